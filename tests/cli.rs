//! The command line against files written from known tuples: every expected figure is
//! computed here from the tuples, never copied from the program's output.

mod common;

use assert_cmd::Command;
use common::{aggregate, records, scenario, write_log, Agg, Flow};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// The field names every NDJSON object and CSV header carries, in order.
const TUPLE_FIELDS: [&str; 24] = [
    "time",
    "src",
    "dst",
    "sport",
    "dport",
    "proto",
    "dir",
    "action",
    "state",
    "rule",
    "nsg",
    "mac",
    "flowlog",
    "target",
    "acl",
    "encryption",
    "bytes",
    "packets",
    "bytes_out",
    "bytes_in",
    "packets_out",
    "packets_in",
    "version",
    "file",
];

/// A folder holding the scenario: NSG and VNet records in two files.
struct Fixture {
    dir: TempDir,
    flows: Vec<Flow>,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = TempDir::new().unwrap();
        let flows = scenario();
        let (nsg, vnet): (Vec<Flow>, Vec<Flow>) = flows
            .iter()
            .cloned()
            .partition(|f| f.kind == common::Kind::Nsg);
        write_log(&dir.path().join("nsg.json"), records(&nsg, &[]));
        write_log(&dir.path().join("vnet.json"), records(&vnet, &[]));
        Fixture { dir, flows }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn run(&self, args: &[&str]) -> std::process::Output {
        flowscope().args(args).arg(self.path()).output().unwrap()
    }
}

fn flowscope() -> Command {
    Command::cargo_bin("flowscope").unwrap()
}

fn stdout(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn time_ms(v: &Value) -> i64 {
    let s = v.as_str().expect("time as a string");
    chrono::DateTime::parse_from_rfc3339(s)
        .expect("RFC 3339 time")
        .timestamp_millis()
}

fn state_name(c: char) -> &'static str {
    match c {
        'B' => "begin",
        'C' => "continue",
        'E' => "end",
        _ => "deny",
    }
}

#[test]
fn check_reports_counts_as_json() {
    let fx = Fixture::new();
    let out = stdout(&fx.run(&["check", "--format", "json"]));
    let v: Value = serde_json::from_str(&out).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    let mut expected_keys = vec![
        "files",
        "records",
        "tuples",
        "rejected",
        "skipped_files",
        "problems",
    ];
    let mut sorted = keys.clone();
    sorted.sort();
    expected_keys.sort();
    assert_eq!(sorted, expected_keys);
    assert_eq!(v["files"], 2);
    assert_eq!(v["tuples"], fx.flows.len() as u64);
    assert_eq!(v["rejected"], 0);
    let nsg = fx
        .flows
        .iter()
        .filter(|f| f.kind == common::Kind::Nsg)
        .count();
    let vnet = fx.flows.len() - nsg;
    assert_eq!(
        v["records"],
        (nsg.div_ceil(100) + vnet.div_ceil(100)) as u64
    );
    assert!(v["problems"].as_array().unwrap().is_empty());
}

/// A file with good tuples and `bad` broken ones.
fn with_rejects(dir: &Path) -> (PathBuf, usize, usize) {
    let good: Vec<Flow> = scenario().into_iter().take(10).collect();
    let bad = [
        "notatime,1.2.3.4,10.0.0.4,1,2,T,I,A,B,,,,",
        "1731916800,1.2.3.4,10.0.0.4,1,99999,T,I,A,B,,,,",
        "1731916800,1.2.3.999,10.0.0.4,1,22,T,I,A,B,,,,",
    ];
    let path = dir.join("mixed.json");
    write_log(&path, records(&good, &bad));
    (path, good.len(), bad.len())
}

#[test]
fn rejected_tuples_are_counted_reported_and_strict_fails() {
    let dir = TempDir::new().unwrap();
    let (path, good, bad) = with_rejects(dir.path());
    let out = flowscope()
        .args(["check", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["tuples"], good as u64);
    assert_eq!(v["rejected"], bad as u64);
    let problems = v["problems"].as_array().unwrap();
    let counted: u64 = problems
        .iter()
        .filter(|p| p["kind"] == "bad-tuple")
        .map(|p| p["count"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, bad as u64);
    for p in problems {
        for key in ["file", "kind", "detail", "count"] {
            assert!(p.get(key).is_some(), "problem without {key}: {p}");
        }
    }

    // Success with a one-line summary on stderr; the data is still right.
    let out = flowscope()
        .args(["query", "--count"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(stdout(&out).trim(), good.to_string());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&format!("{bad} tuples")), "{err}");

    for args in [
        &["query", "--count", "--strict"][..],
        &["--strict", "check"][..],
    ] {
        let out = flowscope().args(args).arg(&path).output().unwrap();
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("flowscope: "), "{err}");
        assert!(err.contains("rejected"), "{args:?}: {err}");
    }

    let text = stdout(&flowscope().arg("check").arg(&path).output().unwrap());
    assert!(text.contains("bad-tuple"), "{text}");
    assert!(text.contains("mixed.json"), "{text}");
}

#[test]
fn query_count_applies_filters() {
    let fx = Fixture::new();
    let count = |filter: Option<&str>| -> u64 {
        let mut args = vec!["query", "--count"];
        if let Some(f) = filter {
            args.extend(["-f", f]);
        }
        stdout(&fx.run(&args))
            .trim()
            .parse()
            .expect("a bare integer")
    };
    let n = |p: &dyn Fn(&Flow) -> bool| fx.flows.iter().filter(|f| p(f)).count() as u64;
    assert_eq!(count(None), fx.flows.len() as u64);
    assert_eq!(count(Some("dport == 3389")), n(&|f| f.dport == 3389));
    assert_eq!(count(Some("action == deny")), n(&|f| f.deny));
    assert_eq!(
        count(Some("dport == 3389 and action == allow")),
        n(&|f| f.dport == 3389 && !f.deny)
    );
    assert_eq!(count(Some("udp")), n(&|f| f.proto == 17));
    assert_eq!(
        count(Some("src in 203.0.113.0/24")),
        n(&|f| f.src.starts_with("203.0.113."))
    );

    // `last` counts back from the newest tuple of the whole load (the NSG file's here),
    // not from each file's own newest.
    let newest = |p: &dyn Fn(&Flow) -> bool| {
        fx.flows
            .iter()
            .filter(|f| p(f))
            .map(|f| f.time_ms)
            .max()
            .unwrap()
    };
    let span = 600_000;
    let whole = newest(&|_| true) - span;
    let vnet = |f: &Flow| f.kind == common::Kind::Vnet;
    let per_file = n(&|f| f.time_ms >= newest(&|g| vnet(g) == vnet(f)) - span);
    let want = n(&|f| f.time_ms >= whole);
    assert!(
        want > 0 && want != per_file,
        "the scenario tells them apart"
    );
    assert_eq!(count(Some("last 10m")), want);
    assert_eq!(
        count(Some("tcp and last 10m")),
        n(&|f| f.proto == 6 && f.time_ms >= whole)
    );
    // The whole load keeps the columns its filter reads (addresses here).
    assert_eq!(
        count(Some("not src in 203.0.113.0/24 and last 10m")),
        n(&|f| !f.src.starts_with("203.0.113.") && f.time_ms >= whole)
    );
}

#[test]
fn a_bad_filter_is_reported_before_anything_is_read() {
    // The path does not exist: had it been read first, that would be the error.
    for args in [
        &["query", "--count", "-f", "dprot == 22"][..],
        &["query", "-f", "dprot == 22"][..],
        &["stats", "--by", "src", "-f", "dprot == 22"][..],
    ] {
        let out = flowscope()
            .args(args)
            .arg("no/such/folder")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("did you mean `dport`?"), "{args:?}: {err}");
    }
}

#[test]
fn nothing_to_do_is_a_usage_error() {
    let out = flowscope().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no path given"), "{err}");
}

#[test]
fn query_ndjson_has_every_field_in_time_order() {
    let fx = Fixture::new();
    let out = stdout(&fx.run(&[
        "query",
        "--format",
        "ndjson",
        "-f",
        "dport == 53 or port == 8080",
    ]));
    let objects: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let wanted: Vec<&Flow> = fx
        .flows
        .iter()
        .filter(|f| f.dport == 53 || f.sport == 8080 || f.dport == 8080)
        .collect();
    assert_eq!(objects.len(), wanted.len());
    for o in &objects {
        let keys: Vec<&str> = o.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        let mut expected = TUPLE_FIELDS.to_vec();
        let mut got = keys.clone();
        expected.sort();
        got.sort();
        assert_eq!(got, expected);
        assert!(o["sport"].is_u64() && o["bytes"].is_u64() && o["packets_in"].is_u64());
    }
    let times: Vec<i64> = objects.iter().map(|o| time_ms(&o["time"])).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "not in time order");

    type Row = (
        i64,
        String,
        u64,
        String,
        u64,
        String,
        String,
        String,
        u64,
        u64,
    );
    let mut got: Vec<Row> = objects
        .iter()
        .map(|o| {
            (
                time_ms(&o["time"]),
                o["src"].as_str().unwrap().to_string(),
                o["sport"].as_u64().unwrap(),
                o["dst"].as_str().unwrap().to_string(),
                o["dport"].as_u64().unwrap(),
                o["proto"].as_str().unwrap().to_string(),
                o["state"].as_str().unwrap().to_string(),
                o["rule"].as_str().unwrap().to_string(),
                o["bytes_out"].as_u64().unwrap(),
                o["packets_in"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut expected: Vec<Row> = wanted
        .iter()
        .map(|f| {
            (
                f.time_ms,
                f.src.clone(),
                f.sport as u64,
                f.dst.clone(),
                f.dport as u64,
                f.proto_name(),
                state_name(f.state).to_string(),
                f.rule.clone(),
                f.counters[1],
                f.counters[2],
            )
        })
        .collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
}

#[test]
fn query_limit_keeps_the_oldest_and_csv_quotes() {
    let fx = Fixture::new();
    let out = stdout(&fx.run(&["query", "--format", "csv", "--limit", "5"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], TUPLE_FIELDS.join(","));
    assert_eq!(lines.len(), 6);
    let mut times: Vec<i64> = fx.flows.iter().map(|f| f.time_ms).collect();
    times.sort();
    let got: Vec<i64> = lines[1..]
        .iter()
        .map(|l| time_ms(&Value::String(l.split(',').next().unwrap().to_string())))
        .collect();
    assert_eq!(got, times[..5].to_vec());

    let odd = stdout(&fx.run(&["query", "--format", "csv", "-f", "dport == 8080"]));
    let quoted = odd
        .lines()
        .filter(|l| l.contains(",\"Odd,\"\"Rule\"\"\","))
        .count();
    let expected = fx.flows.iter().filter(|f| f.rule == "Odd,\"Rule\"").count();
    assert_eq!(quoted, expected);
}

#[test]
fn control_characters_never_reach_table_or_csv_output() {
    let fx = Fixture::new();
    for args in [
        &["query", "-f", "dport == 8080"][..],
        &["query", "-f", "dport == 8080", "--format", "csv"][..],
        &["stats", "--by", "rule", "--top", "100"][..],
        &["stats", "--by", "rule", "--top", "100", "--format", "csv"][..],
        &["check"][..],
    ] {
        let out = stdout(&fx.run(args));
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}'),
            "{args:?}: {out:?}"
        );
    }
    let table = stdout(&fx.run(&["stats", "--by", "rule", "--top", "100"]));
    assert!(
        table.contains("[2J"),
        "the rule is shown, neutralised: {table}"
    );
}

/// Expected `stats` entries, biggest first by tuples.
fn ranked<K: Ord + Clone>(map: BTreeMap<K, Agg>) -> Vec<(K, Agg)> {
    let mut v: Vec<(K, Agg)> = map.into_iter().collect();
    v.sort_by_key(|e| std::cmp::Reverse(e.1.tuples));
    v
}

fn agg_of(o: &Value) -> Agg {
    let n = |k: &str| {
        o[k].as_u64()
            .unwrap_or_else(|| panic!("{k} as integer: {o}"))
    };
    Agg {
        tuples: n("tuples"),
        bytes: n("bytes"),
        packets: n("packets"),
        allowed: n("allowed"),
        denied: n("denied"),
        first: time_ms(&o["first"]),
        last: time_ms(&o["last"]),
    }
}

#[test]
fn stats_by_field_as_json_matches_the_tuples() {
    let fx = Fixture::new();
    type KeyFn = fn(&Flow) -> Vec<String>;
    let cases: [(&str, KeyFn); 4] = [
        ("dport", |f| vec![f.dport.to_string()]),
        ("ip", |f| vec![f.src.clone(), f.dst.clone()]),
        ("rule", |f| vec![f.rule.clone()]),
        ("proto", |f| vec![f.proto_name()]),
    ];
    for (field, keys) in cases {
        let out = stdout(&fx.run(&["stats", "--by", field, "--top", "1000", "--format", "json"]));
        let got: Vec<Value> = serde_json::from_str(&out).unwrap();
        let expected = ranked(aggregate(&fx.flows, keys));
        assert_eq!(got.len(), expected.len(), "{field}");
        let got_tuples: Vec<u64> = got.iter().map(|o| o["tuples"].as_u64().unwrap()).collect();
        let exp_tuples: Vec<u64> = expected.iter().map(|e| e.1.tuples).collect();
        assert_eq!(got_tuples, exp_tuples, "{field}: biggest first");
        let got_map: BTreeMap<String, Agg> = got
            .iter()
            .map(|o| (o["key"].as_str().unwrap().to_string(), agg_of(o)))
            .collect();
        assert_eq!(got_map, expected.into_iter().collect(), "{field}");
    }

    // --top and --sort bytes.
    let out = stdout(&fx.run(&[
        "stats", "--by", "dport", "--sort", "bytes", "--top", "1", "--format", "json",
    ]));
    let got: Vec<Value> = serde_json::from_str(&out).unwrap();
    let by_port = aggregate(&fx.flows, |f| vec![f.dport]);
    let max_bytes = by_port.values().map(|a| a.bytes).max().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["bytes"], max_bytes);
}

/// `stats` builds only the columns it reads (its key's, counters, the filter's): every
/// field answers, with or without a filter on other columns, and its tuples add up to
/// the flows (both sides' values for `ip` and `port`, one where they are equal).
#[test]
fn stats_by_every_field_reads_only_what_it_has() {
    let fx = Fixture::new();
    for field in flowscope::field::Field::ALL {
        for filter in [None, Some("ip in 0.0.0.0/0 or ip in ::/0 or sport >= 0")] {
            let mut args = vec!["stats", "--by", field.name(), "--top", "100000"];
            args.extend(["--format", "json"]);
            if let Some(f) = filter {
                args.extend(["-f", f]);
            }
            let out = stdout(&fx.run(&args));
            let got: Vec<Value> = serde_json::from_str(&out).unwrap();
            let tuples: u64 = got.iter().map(|o| o["tuples"].as_u64().unwrap()).sum();
            let want: u64 = match field.name() {
                "ip" => fx.flows.iter().map(|f| 1 + (f.src != f.dst) as u64).sum(),
                "port" => fx
                    .flows
                    .iter()
                    .map(|f| 1 + (f.sport != f.dport) as u64)
                    .sum(),
                _ => fx.flows.len() as u64,
            };
            assert_eq!(tuples, want, "{field} {filter:?}");
        }
    }
}

#[test]
fn stats_by_conversation_sums_continue_and_end_counters() {
    let fx = Fixture::new();
    let out = stdout(&fx.run(&[
        "stats",
        "--by",
        "conversation",
        "--top",
        "100000",
        "--format",
        "json",
        "-f",
        "tcp",
    ]));
    let got: Vec<Value> = serde_json::from_str(&out).unwrap();
    let tcp: Vec<Flow> = fx.flows.iter().filter(|f| f.proto == 6).cloned().collect();
    let expected = aggregate(&tcp, |f| {
        vec![(
            f.mac.clone(),
            f.src.clone(),
            f.sport as u64,
            f.dst.clone(),
            f.dport as u64,
        )]
    });
    assert_eq!(got.len(), expected.len());
    assert!(got
        .windows(2)
        .all(|w| w[0]["tuples"].as_u64() >= w[1]["tuples"].as_u64()));
    let mut got_map = BTreeMap::new();
    for o in &got {
        assert!(o.get("key").is_none());
        assert_eq!(o["proto"], "tcp");
        let key = (
            o["mac"].as_str().unwrap().to_string(),
            o["src"].as_str().unwrap().to_string(),
            o["sport"].as_u64().unwrap(),
            o["dst"].as_str().unwrap().to_string(),
            o["dport"].as_u64().unwrap(),
        );
        got_map.insert(key, agg_of(o));
    }
    assert_eq!(got_map, expected);
}

#[test]
fn tables_and_csv_for_stats() {
    let fx = Fixture::new();
    let deny = fx
        .flows
        .iter()
        .filter(|f| f.deny && f.dport == 3389)
        .count() as u64;
    let table = stdout(&fx.run(&["stats", "--by", "dport", "-f", "deny"]));
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["key", "tuples", "bytes", "packets", "allowed", "denied", "first", "last"]
    );
    let separated = {
        let s = deny.to_string();
        format!("{},{}", &s[..s.len() - 3], &s[s.len() - 3..])
    };
    assert!(deny >= 1000 && table.contains(&separated), "{table}");

    let csv = stdout(&fx.run(&[
        "stats",
        "--by",
        "conversation",
        "--format",
        "csv",
        "--top",
        "3",
    ]));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "src,sport,dst,dport,proto,tuples,bytes,packets,allowed,denied,first,last,mac"
    );
    assert_eq!(lines.len(), 4);
}

#[test]
fn query_table_has_aligned_columns() {
    let fx = Fixture::new();
    let out = stdout(&fx.run(&["query", "-f", "udp", "--limit", "10"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 11);
    // Aligned: every line's columns start where the header's do.
    let starts = |l: &str| -> usize { l.find("udp").unwrap() };
    let header_proto = lines[0].find("proto").unwrap();
    for l in &lines[1..] {
        assert!(
            starts(l) >= header_proto && starts(l) < header_proto + 5,
            "{out}"
        );
    }
}

#[test]
fn standard_input_is_read_with_a_dash() {
    let fx = Fixture::new();
    let data = std::fs::read(fx.path().join("vnet.json")).unwrap();
    let out = flowscope()
        .args(["query", "--count", "-"])
        .write_stdin(data)
        .output()
        .unwrap();
    let vnet = fx
        .flows
        .iter()
        .filter(|f| f.kind == common::Kind::Vnet)
        .count();
    assert_eq!(stdout(&out).trim(), vnet.to_string());
}

#[test]
fn a_bad_filter_shows_a_caret_under_the_error() {
    let fx = Fixture::new();
    let out = fx.run(&["query", "-f", "dport == 33x9"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines[0].starts_with("flowscope: "), "{err}");
    let shown = lines
        .iter()
        .position(|l| l.contains("dport == 33x9"))
        .expect("filter shown");
    let caret_line = lines[shown + 1];
    let caret = caret_line.find('^').expect("a caret");
    assert_eq!(&lines[shown][caret..caret + 1], "x", "{err}");
    assert!(err.contains("port"), "{err}");

    let out = fx.run(&["stats", "--by", "rule", "-f", "dprot == 22"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("dport"), "suggests the nearest field: {err}");
}

#[test]
fn bad_arguments_and_missing_data_fail_with_one_line() {
    let fx = Fixture::new();
    let missing = fx.path().join("no-such-file.json");
    let not_a_log = fx.path().join("other.json");
    std::fs::write(&not_a_log, r#"{"hello": "world"}"#).unwrap();
    let cases: Vec<Vec<String>> = vec![
        vec!["query".into(), missing.display().to_string()],
        vec![
            "stats".into(),
            "--by".into(),
            "rule".into(),
            not_a_log.display().to_string(),
        ],
        vec![
            "stats".into(),
            "--by".into(),
            "dprot".into(),
            fx.path().display().to_string(),
        ],
        vec![
            "query".into(),
            "--format".into(),
            "yaml".into(),
            fx.path().display().to_string(),
        ],
        vec!["query".into()],
        vec!["--demo".into(), fx.path().display().to_string()],
        vec!["--bogus".into()],
    ];
    for args in cases {
        let out = flowscope().args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("flowscope: "), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}

/// When nothing loads, the one line says why in terms a person can act on: no files, or
/// the one skipped file's own reason (a gzip file: decompress it), or where to look.
#[test]
fn nothing_readable_says_why() {
    let fx = Fixture::new();
    let empty = fx.path().join("empty-folder");
    std::fs::create_dir(&empty).unwrap();
    let gz = fx.path().join("PT1H.json.gz");
    std::fs::write(&gz, [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]).unwrap();
    let not_a_log = fx.path().join("other.json");
    std::fs::write(&not_a_log, r#"{"hello": "world"}"#).unwrap();
    let cases: [(&[&Path], &str); 3] = [
        (
            &[&empty],
            "nothing readable: no *.json or *.log files found",
        ),
        (&[&gz], "PT1H.json.gz: gzip-compressed: decompress it first"),
        (
            &[&gz, &not_a_log],
            "no flow log records found (2 files skipped; `flowscope check` says why)",
        ),
    ];
    for (paths, want) in cases {
        let out = flowscope()
            .arg("query")
            .args(paths)
            .arg("--count")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{paths:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(want), "{paths:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{paths:?}: {err}");
    }
}

#[test]
fn help_has_examples_for_every_subcommand() {
    for sub in [None, Some("check"), Some("query"), Some("stats")] {
        let mut cmd = flowscope();
        if let Some(s) = sub {
            cmd.arg(s);
        }
        let out = cmd.arg("--help").output().unwrap();
        let text = stdout(&out);
        assert!(text.contains("Examples:"), "{sub:?}");
    }
}

/// The demo logs one SQL flow twice (web01's NSG log and db01's VNet log): the table names
/// each interface; JSON keeps the contract's five-field key.
#[test]
fn conversation_tables_tell_interfaces_apart() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let args = ["stats", "-f", "sport == 50377", "--by", "conversation"];
    let table = flowscope().args(args).arg(&demo).output().unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].split_whitespace().any(|c| c == "mac"), "{text}");
    let macs: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().nth(5).unwrap())
        .collect();
    assert_eq!(macs.len(), 2, "{text}");
    assert_ne!(macs[0], macs[1], "{text}");

    let json = flowscope()
        .args(args)
        .arg(&demo)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    let json_macs: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|conv| conv["mac"].as_str().unwrap())
        .collect();
    assert_eq!(json_macs, macs, "JSON names the same interfaces");

    let csv = flowscope()
        .args(args)
        .arg(&demo)
        .args(["--format", "csv"])
        .output()
        .unwrap();
    let text = String::from_utf8(csv.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // After the contract's columns, so that readers by position are not thrown.
    assert!(
        lines[0].starts_with("src,sport,dst,dport,proto,tuples,"),
        "{text}"
    );
    assert!(lines[0].ends_with(",last,mac"), "{text}");
    let csv_macs: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert_eq!(csv_macs, macs, "CSV names the same interfaces");
}

/// FORMATS.md: a conversation's `E` can be logged before its `B` in the same instant.
/// `query` lists them as they happened, whatever the file's order, and `--limit` keeps
/// the first of them.
#[test]
fn tuples_of_one_instant_are_listed_begin_continue_end() {
    let dir = TempDir::new().unwrap();
    let tuples = ["E,5,500,4,400", "C,2,200,1,100", "B,,,,"]
        .map(|tail| format!("\"1731916800,10.0.0.1,10.0.0.2,50000,3389,T,I,A,{tail}\""));
    let log = format!(
        r#"{{"records":[{{"time":"2024-11-18T08:00:00Z","macAddress":"00AA","resourceId":"/X/NSG-A","properties":{{"Version":2,"flows":[{{"rule":"R","flows":[{{"mac":"00AA","flowTuples":[{}]}}]}}]}}}}]}}"#,
        tuples.join(",")
    );
    std::fs::write(dir.path().join("PT1H.json"), log).unwrap();
    let states = |extra: &[&str]| -> Vec<String> {
        let out = stdout(
            &flowscope()
                .args(["query", "--format", "ndjson"])
                .args(extra)
                .arg(dir.path())
                .output()
                .unwrap(),
        );
        out.lines()
            .map(|l| {
                let o: Value = serde_json::from_str(l).unwrap();
                o["state"].as_str().unwrap().to_string()
            })
            .collect()
    };
    assert_eq!(states(&[]), ["begin", "continue", "end"]);
    assert_eq!(states(&["--limit", "1"]), ["begin"]);
}

/// A record beyond repair loses tuples nobody can count: the warning names it and
/// `--strict` fails on it, as on a rejected tuple.
#[test]
fn an_unreadable_record_is_warned_of_and_fails_strict() {
    let dir = TempDir::new().unwrap();
    let record = |tuples: &str| {
        format!(
            r#"{{"time":"2024-11-18T08:00:00Z","macAddress":"00AA","properties":{{"Version":2,"flows":[{{"rule":"R","flows":[{{"mac":"00AA","flowTuples":[{tuples}]}}]}}]}}}}"#
        )
    };
    let tuple = r#""1731916800,10.0.0.1,10.0.0.2,50000,3389,T,I,A,B,,,,""#;
    // NDJSON: one good record, then one whose tuples lack the comma between them.
    let text = format!(
        "{}\n{}\n",
        record(tuple),
        record(&format!("{tuple} {tuple}"))
    );
    std::fs::write(dir.path().join("PT1H.json"), text).unwrap();
    let run = |strict: bool| {
        let mut cmd = flowscope();
        cmd.args(["query", "--count"]).arg(dir.path());
        if strict {
            cmd.arg("--strict");
        }
        cmd.output().unwrap()
    };
    let lenient = run(false);
    assert_eq!(stdout(&lenient).trim(), "1");
    let warning = String::from_utf8_lossy(&lenient.stderr);
    assert!(warning.contains("1 record unreadable"), "{warning}");
    let strict = run(true);
    assert!(!strict.status.success());
    let error = String::from_utf8_lossy(&strict.stderr);
    assert!(error.contains("1 record unreadable (--strict)"), "{error}");
}

/// The explorer says what is wrong before it takes over the screen: a path that is not
/// there (and the subcommand it was probably meant to be), or no terminal to draw on.
#[test]
fn the_explorer_refuses_in_one_line_without_a_terminal_or_a_path() {
    let fx = Fixture::new();
    let cases = [
        (
            vec!["chekc".to_string()],
            "chekc: no such file or folder; did you mean `flowscope check`?",
        ),
        (
            vec!["no-such-folder".into()],
            "no-such-folder: no such file or folder",
        ),
        (
            vec![fx.path().display().to_string()],
            "the explorer needs a terminal",
        ),
    ];
    for (args, message) in cases {
        let out = flowscope().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.starts_with(&format!("flowscope: {message}")),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}

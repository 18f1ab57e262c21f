//! Hostile input: every cut and byte flip of the real samples loads without panicking,
//! never claims more tuples than the file holds, and keeps every record that ends before a
//! cut; bounds on nesting, string and array size; control characters kept as data.

mod common;

use common::samples::samples;

use flowscope::load::{load_bytes, LoadReport, ProblemKind};
use flowscope::store::Store;
use proptest::prelude::*;
use regex::bytes::Regex;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One sample file, with what loading it whole gives.
struct Sample {
    name: String,
    data: Vec<u8>,
    /// Tuple-looking strings in the file: no load of any part of it may see more.
    bound: u64,
    /// Rows of the whole file by the offset where their record's successor starts (a
    /// record is whole in any prefix that reaches its successor).
    rows_by_end: Vec<(u64, Row)>,
}

/// A row as data, comparable across stores.
type Row = (i64, String, String, u16, u16, u32, String);

fn row(store: &Store, r: u32) -> Row {
    let i = r as usize;
    (
        store.time_ms(r),
        store.src(r).to_string(),
        store.dst(r).to_string(),
        store.sports()[i],
        store.dports()[i],
        store.flag(r).0,
        format!("{:?}", store.counters(r)),
    )
}

/// Anything that starts like a tuple (time, two addresses), escaped or not.
fn tuple_bound(data: &[u8]) -> u64 {
    static TUPLE: OnceLock<Regex> = OnceLock::new();
    let re = TUPLE.get_or_init(|| {
        Regex::new(r"[0-9]{1,20},[0-9A-Fa-f.:\[\]]+,[0-9A-Fa-f.:\[\]]+,").expect("valid regex")
    });
    re.find_iter(data).count() as u64
}

fn sample_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sample_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("json" | "log" | "txt")
        ) {
            out.push(path);
        }
    }
}

fn load_sample(path: &Path, dir: &Path) -> Sample {
    let data = std::fs::read(path).expect("sample readable");
    let name = path.strip_prefix(dir).unwrap_or(path).display().to_string();
    let (store, _) = load_bytes(&name, &data);
    // Where each record's successor starts (records are in file order; nested records
    // found inside strings have no offset and are left out).
    let mut starts: Vec<(u32, u64)> = store
        .records()
        .iter()
        .filter(|r| r.offset != u64::MAX)
        .map(|r| (r.ordinal, r.offset))
        .collect();
    starts.sort_unstable();
    starts.dedup_by_key(|(ordinal, _)| *ordinal);
    let next_start: HashMap<u32, u64> = starts.windows(2).map(|w| (w[0].0, w[1].1)).collect();
    let mut rows_by_end = Vec::new();
    for r in 0..store.len() as u32 {
        let record = &store.records()[store.group_of(r).record as usize];
        if let Some(&end) = next_start.get(&record.ordinal) {
            if record.offset != u64::MAX {
                rows_by_end.push((end, row(&store, r)));
            }
        }
    }
    Sample {
        bound: tuple_bound(&data),
        name,
        data,
        rows_by_end,
    }
}

fn corpus() -> &'static [Sample] {
    static CORPUS: OnceLock<Vec<Sample>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let Some(dir) = samples() else {
            return Vec::new();
        };
        let mut files = Vec::new();
        sample_files(&dir, &mut files);
        files.sort();
        let corpus: Vec<Sample> = files.iter().map(|f| load_sample(f, &dir)).collect();
        assert!(!corpus.is_empty(), "no sample files in {}", dir.display());
        corpus
    })
}

/// What must hold for any load of any damaged copy of `sample`.
fn check_accounting(sample: &Sample, store: &Store, report: &LoadReport, what: &str) {
    assert_eq!(
        report.tuples as usize,
        store.len(),
        "{}: {what}",
        sample.name
    );
    let seen = report.tuples + report.rejected;
    assert!(
        seen <= sample.bound,
        "{}: {what}: {seen} tuples seen, the file holds at most {}",
        sample.name,
        sample.bound
    );
}

/// Every row of a record that ends before `at` in the whole file is loaded from the copy.
fn check_kept(sample: &Sample, store: &Store, at: usize, what: &str) {
    let mut have: HashMap<Row, usize> = HashMap::new();
    for r in 0..store.len() as u32 {
        *have.entry(row(store, r)).or_default() += 1;
    }
    for (end, want) in &sample.rows_by_end {
        if *end as usize > at {
            continue;
        }
        let left = have.get_mut(want).filter(|n| **n > 0);
        let Some(n) = left else {
            panic!(
                "{}: {what}: row {want:?} of a whole record lost",
                sample.name
            );
        };
        *n -= 1;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_cut_keeps_whole_records(pick in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>()) {
        let corpus = corpus();
        if corpus.is_empty() {
            return Ok(());
        }
        let sample = &corpus[pick.index(corpus.len())];
        let at = cut.index(sample.data.len() + 1);
        let (store, report) = load_bytes(&sample.name, &sample.data[..at]);
        let what = format!("cut at {at}");
        check_accounting(sample, &store, &report, &what);
        check_kept(sample, &store, at, &what);
    }

    #[test]
    fn any_byte_flip_is_accounted(
        pick in any::<prop::sample::Index>(),
        place in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let corpus = corpus();
        if corpus.is_empty() {
            return Ok(());
        }
        let sample = &corpus[pick.index(corpus.len())];
        let mut data = sample.data.clone();
        let at = place.index(data.len());
        data[at] = byte;
        let (store, report) = load_bytes(&sample.name, &data);
        let what = format!("byte {at} set to {byte:#04x}");
        check_accounting(sample, &store, &report, &what);
        check_kept(sample, &store, at, &what);
    }
}

#[test]
fn every_sample_loads_whole_within_its_bound() {
    for sample in corpus() {
        let (store, report) = load_bytes(&sample.name, &sample.data);
        check_accounting(sample, &store, &report, "whole");
        check_kept(sample, &store, sample.data.len(), "whole");
    }
    // The keep check has rows to check (samples with two records or more).
    if !corpus().is_empty() {
        assert!(corpus().iter().any(|s| !s.rows_by_end.is_empty()));
    }
}

#[test]
fn cuts_at_record_boundaries_keep_whole_records() {
    for sample in corpus() {
        let mut cuts: Vec<usize> = sample
            .rows_by_end
            .iter()
            .map(|(end, _)| *end as usize)
            .collect();
        cuts.dedup();
        // A handful per file, spread over it, keeps the large samples fast.
        let step = cuts.len().div_ceil(8).max(1);
        for end in cuts.into_iter().step_by(step) {
            for at in [end.saturating_sub(1), end, end + 1] {
                let at = at.min(sample.data.len());
                let (store, report) = load_bytes(&sample.name, &sample.data[..at]);
                let what = format!("cut at {at}");
                check_accounting(sample, &store, &report, &what);
                check_kept(sample, &store, at, &what);
            }
        }
    }
}

/// A copy saved as UTF-16 (as Windows PowerShell 5 writes it) loads the same rows as the
/// original, whichever byte order and with or without a byte order mark, and says so.
#[test]
fn utf16_copies_load_the_same_rows_as_the_original() {
    for sample in corpus() {
        let text = String::from_utf8_lossy(&sample.data);
        let (original, original_report) = load_bytes(&sample.name, text.as_bytes());
        let rows = |store: &Store| {
            (0..store.len() as u32)
                .map(|r| row(store, r))
                .collect::<Vec<_>>()
        };
        let units: Vec<u16> = text.trim_start_matches('\u{feff}').encode_utf16().collect();
        for (order, mark) in [("le", true), ("le", false), ("be", true)] {
            let mut copy = Vec::new();
            for u in mark
                .then_some(0xFEFF)
                .into_iter()
                .chain(units.iter().copied())
            {
                copy.extend(if order == "le" {
                    u.to_le_bytes()
                } else {
                    u.to_be_bytes()
                });
            }
            let what = format!("{} as UTF-16{order}, mark {mark}", sample.name);
            let (store, report) = load_bytes(&sample.name, &copy);
            assert_eq!(rows(&store), rows(&original), "{what}");
            assert_eq!(report.rejected, original_report.rejected, "{what}");
            assert_eq!(
                report.skipped_files, original_report.skipped_files,
                "{what}"
            );
            if report.skipped_files == 0 {
                assert!(
                    report
                        .problems
                        .iter()
                        .any(|p| p.detail.starts_with("UTF-16")),
                    "{what}: {:?}",
                    report.problems
                );
            }
        }
    }
}

/// A problem of `kind` in the report, or a panic naming what was reported instead.
fn assert_problem(report: &LoadReport, kind: ProblemKind, what: &str) {
    assert!(
        report.problems.iter().any(|p| p.kind == kind),
        "{what}: expected a {} problem, got {:?}",
        kind.name(),
        report.problems
    );
}

const RECORD_HEAD: &str = r#"{"records":[{"time":"2024-01-01T00:00:00Z","properties":{"Version":2,"flows":[{"rule":"R","flows":[{"mac":"000D3A000001","flowTuples":["#;
const RECORD_TAIL: &str = "]}]}]}}]}";
const TUPLE: &str = r#""1704067200,10.0.0.1,10.0.0.2,1234,22,T,I,A,B,,,,""#;

#[test]
fn deep_nesting_is_reported_not_recursed() {
    for open in ["[", "{\"a\":", "{\"properties\":"] {
        let data = open.repeat(100_000);
        let (store, report) = load_bytes("deep.json", data.as_bytes());
        assert_eq!(store.len(), 0);
        assert_eq!(report.tuples + report.rejected, 0);
        assert!(!report.problems.is_empty(), "{open}: a problem is reported");
    }
    // Deep nesting after a good record: the record stays, the rest is reported.
    let mut data = format!(
        "[{}{TUPLE}{}",
        &RECORD_HEAD[12..],
        &RECORD_TAIL[..RECORD_TAIL.len() - 2]
    );
    data.push(',');
    data.push_str(&"[".repeat(100_000));
    let (store, report) = load_bytes("deep.json", data.as_bytes());
    assert_eq!(store.len(), 1, "{report:?}");
    assert_problem(
        &report,
        ProblemKind::Truncated,
        "deep nesting after a record",
    );
    // Closed deep nesting inside a record is valid JSON but beyond the parser's depth.
    let deep = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    let data = format!("{RECORD_HEAD}{TUPLE},{deep}{RECORD_TAIL}");
    let (store, report) = load_bytes("deep.json", data.as_bytes());
    assert!(store.len() <= 1);
    assert!(report.tuples + report.rejected <= 2, "{report:?}");
    assert!(!report.problems.is_empty());
}

#[test]
fn a_giant_string_is_one_bad_tuple() {
    // 16 MB in one tuple string, and as much in one rule name.
    let giant = "9".repeat(16 << 20);
    let data = format!("{RECORD_HEAD}{TUPLE},\"{giant}\"{RECORD_TAIL}");
    let (store, report) = load_bytes("giant.json", data.as_bytes());
    assert_eq!(
        (report.tuples, report.rejected),
        (1, 1),
        "{:?}",
        report.problems
    );
    assert_eq!(store.len(), 1);
    assert_problem(&report, ProblemKind::BadTuple, "giant tuple");
    let data = format!(
        "{}{TUPLE}{RECORD_TAIL}",
        RECORD_HEAD.replace("\"R\"", &format!("\"{giant}\""))
    );
    let (store, report) = load_bytes("giant.json", data.as_bytes());
    assert_eq!(store.len(), 1, "{:?}", report.problems);
    // An unterminated giant string is a file cut inside its record.
    let data = format!("{RECORD_HEAD}{TUPLE},\"{giant}");
    let (store, report) = load_bytes("giant.json", data.as_bytes());
    assert_eq!(store.len(), 0);
    assert_problem(&report, ProblemKind::Truncated, "unterminated giant string");
}

#[test]
fn a_giant_array_is_counted_tuple_by_tuple() {
    let n = 200_000;
    let bad = vec![r#""x""#; n].join(",");
    let data = format!("{RECORD_HEAD}{TUPLE},{bad}{RECORD_TAIL}");
    let (store, report) = load_bytes("wide.json", data.as_bytes());
    assert_eq!(store.len(), 1);
    assert_eq!(report.rejected, n as u64);
    let problem = report
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::BadTuple);
    assert_eq!(
        problem.map(|p| p.count),
        Some(n as u64),
        "one problem, counted"
    );
    // Numbers where strings belong: each is a rejected tuple, counted in one problem.
    let numbers = vec!["1"; n].join(",");
    let data = format!("{RECORD_HEAD}{numbers}{RECORD_TAIL}");
    let (store, report) = load_bytes("wide.json", data.as_bytes());
    assert_eq!(store.len(), 0);
    assert_eq!((report.tuples, report.rejected), (0, n as u64));
    let bad = report
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::BadTuple);
    assert_eq!(bad.map(|p| p.count), Some(n as u64), "numbers as tuples");
}

/// Control characters are data: loading keeps them, and `sanitize` makes each text safe.
#[test]
fn escape_sequences_in_every_text_field_are_kept_as_data() {
    const ESC: &str = "\u{1b}[2J";
    let file = format!(
        r#"{{"records":[
{{"time":"2024-01-01T00:00:00Z","resourceId":"/X/NETWORKSECURITYGROUPS/NSG{e}","properties":{{"Version":2,"flows":[
 {{"rule":"Rule{e}","flows":[{{"mac":"MAC{e}","flowTuples":["1704067200,10.0.0.1,10.0.0.2,1234,22,T,I,A,B,,,,"]}}]}}]}}}},
{{"time":"2024-01-01T00:10:00Z","flowLogVersion":4,"flowLogResourceID":"/X/FLOWLOGS/FL{e}",
 "targetResourceID":"/X/VIRTUALNETWORKS/VNET{e}","macAddress":"VMAC{e}","flowRecords":{{"flows":[
 {{"aclID":"/X/networkSecurityGroups/ACLNSG{e}","flowGroups":[{{"rule":"VRule{e}","flowTuples":[
 "1704067800000,10.1.0.1,10.1.0.2,44000,443,6,O,B,NX,0,0,0,0"]}}]}}]}}}}]}}"#,
        e = r"\u001b[2J"
    );
    let name = format!("logs/{ESC}evil.json");
    let (store, report) = load_bytes(&name, file.as_bytes());
    assert_eq!(store.len(), 2, "{:?}", report.problems);
    let texts = store.texts();
    let text = |id: u32| (id != u32::MAX).then(|| texts.text(id).to_string());
    let mut kept: Vec<String> = Vec::new();
    for g in store.groups() {
        kept.extend(
            [text(g.rule), text(g.mac), text(g.acl)]
                .into_iter()
                .flatten(),
        );
    }
    for r in store.records() {
        kept.extend(
            [text(r.nsg), text(r.flowlog), text(r.target)]
                .into_iter()
                .flatten(),
        );
    }
    kept.extend(store.files().iter().map(|f| f.path.clone()));
    for want in [
        "NSG", "Rule", "MAC", "FL", "VNET", "VMAC", "ACLNSG", "VRule", "logs/",
    ] {
        let field = kept.iter().find(|t| t.starts_with(want));
        let field = field.unwrap_or_else(|| panic!("{want}…: not kept in {kept:?}"));
        assert!(
            field.contains(ESC),
            "{want}: escape sequence kept as data in {field:?}"
        );
        let safe = flowscope::text::sanitize(field);
        assert!(!safe.chars().any(char::is_control), "{want}: {safe:?}");
        assert!(
            safe.contains("[2J"),
            "only the control character is replaced"
        );
    }
}

/// Found by fuzzing the filter: a counter filter read past the end of the counter stream
/// when the store's last tuple had no counters.
#[test]
fn a_counter_filter_reads_a_last_tuple_without_counters() {
    let data = format!(
        "{RECORD_HEAD}{},{TUPLE}{RECORD_TAIL}",
        r#""1704067100,10.0.0.9,10.0.0.2,1234,22,T,I,A,E,10,2000,12,3000""#
    );
    let (store, report) = load_bytes("last.json", data.as_bytes());
    assert_eq!(store.len(), 2, "{:?}", report.problems);
    let compiled = flowscope::filter::compile("bytes > 1000 and packets < 50", &store);
    let compiled = compiled.expect("valid filter");
    assert_eq!(compiled.select(&store).to_vec(), [0]);
    assert_eq!(compiled.count(&store), 1);
}

/// A record serde refuses keeps its good tuples: each repair that makes it readable is
/// named, and every tuple it held is loaded or rejected.
#[test]
fn a_refused_record_keeps_its_good_tuples() {
    let line_break = TUPLE.replacen(",10.0.0.2", ",\n10.0.0.2", 1);
    let cases = [
        // A raw line break inside a tuple string (JSON forbids it): that tuple is bad.
        (
            format!("{RECORD_HEAD}{TUPLE},{line_break},{TUPLE}{RECORD_TAIL}"),
            2,
            1,
        ),
        // Elements that are not strings are rejected one by one.
        (
            format!("{RECORD_HEAD}{TUPLE},5,null,{{}},{TUPLE}{RECORD_TAIL}"),
            2,
            3,
        ),
        // A key given twice keeps its last value.
        (
            format!("{RECORD_HEAD}{TUPLE},{TUPLE}{RECORD_TAIL}")
                .replace(r#""rule":"R""#, r#""rule":"R1","rule":"R2""#),
            2,
            0,
        ),
        // Repairs combine: a trailing comma and a number.
        (format!("{RECORD_HEAD}{TUPLE},7,{RECORD_TAIL}"), 1, 1),
    ];
    for (data, loaded, rejected) in cases {
        let (store, report) = load_bytes("refused.json", data.as_bytes());
        assert_eq!(
            (report.tuples, report.rejected, store.len() as u64),
            (loaded, rejected, loaded),
            "{data}: {report:?}"
        );
        assert_problem(&report, ProblemKind::Repaired, &data);
        assert_eq!(report.unreadable_records(), 0, "{data}");
    }
    // flowTuples holding one string instead of an array: counted as one rejected tuple.
    let data = format!("{RECORD_HEAD}{TUPLE}{RECORD_TAIL}").replace(&format!("[{TUPLE}]"), TUPLE);
    let (_, report) = load_bytes("refused.json", data.as_bytes());
    assert_eq!((report.tuples, report.rejected), (0, 1), "{report:?}");
    // Beyond repair: the record is reported, and counted where its tuples can be seen.
    let data = format!("{RECORD_HEAD}{TUPLE} {TUPLE}{RECORD_TAIL}");
    let (store, report) = load_bytes("refused.json", data.as_bytes());
    assert_eq!(store.len(), 0);
    assert_eq!(report.unreadable_records(), 1, "{report:?}");
    assert_eq!((report.tuples, report.rejected), (0, 2), "{report:?}");
}

/// A record cut short in the middle of the text (a line of NDJSON cut by an interrupted
/// write, or files joined on standard input, the first cut short) does not swallow the
/// records after it: reading goes on from the next one, and the cut is reported.
#[test]
fn records_after_a_cut_one_are_read() {
    let record = |n: usize| {
        let tuples = vec![TUPLE; n].join(",");
        format!(
            r#"{{"time":"2024-01-01T00:00:00Z","properties":{{"Version":2,"flows":[{{"rule":"R","flows":[{{"mac":"000D3A000001","flowTuples":[{tuples}]}}]}}]}}}}"#
        )
    };
    let cut = |text: String, at: &str| text[..text.find(at).unwrap()].to_string();
    // Cut inside a tuple string (the string then runs on into the next line), inside a
    // key, and after the tuples.
    for at in ["10.0.0.2,1234", "\"flowTuples", "]}]}]}}"] {
        let lines = [
            record(2),
            cut(record(3), at),
            record(1),
            record(1),
            record(1),
        ];
        let (store, report) = load_bytes("cut.json", lines.join("\n").as_bytes());
        assert_eq!(
            (report.tuples, store.len()),
            (5, 5),
            "cut at {at:?}: {report:?}"
        );
        assert_problem(&report, ProblemKind::Truncated, at);
    }
    // Documents joined with no line break, the first cut short.
    let doc = |n| format!("{{\"records\":[{}]}}", record(n));
    let joined = format!("{}{}", cut(doc(3), "10.0.0.2,1234"), doc(2));
    let (store, report) = load_bytes("joined.json", joined.as_bytes());
    assert_eq!(store.len(), 2, "{report:?}");
    assert_problem(&report, ProblemKind::Truncated, "joined documents");
    // Hostile text that opens an object on every line and closes none: a bounded scan.
    let lines = "{\"properties\":\"\n".repeat(200_000);
    let (store, report) = load_bytes("open.json", lines.as_bytes());
    assert_eq!(store.len(), 0);
    assert_eq!(report.tuples + report.rejected, 0);
    // Each reading on rescans the rest of the text: a few times the text, not a time for
    // each of the 200,000 lines.
    assert!(report.cuts() <= 16, "{report:?}");
}

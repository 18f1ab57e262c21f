//! The same count by whole processes: the `flowscope` binary, DuckDB (Python package) and
//! jq, on the same files; a table of wall times and a loud MISMATCH if counts differ.

use super::{secs, COUNT_FILTER};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Denied inbound RDP tuples: `dport` is field 4, the decision field 7 of an NSG tuple.
const DUCKDB: &str = r#"
import sys
try:
    import duckdb
except ImportError:
    print("NO_DUCKDB")
    sys.exit(3)
files = sys.argv[1] + "/**/PT1H.json"
query = f"""
WITH r AS (SELECT unnest(records) AS rec FROM read_json('{files}', format = 'auto',
             hive_partitioning = false, maximum_object_size = 67108864)),
     f AS (SELECT unnest(rec.properties.flows) AS rule_flows FROM r),
     m AS (SELECT unnest(rule_flows.flows) AS mac_flows FROM f),
     t AS (SELECT unnest(mac_flows.flowTuples) AS tuple FROM m)
SELECT count(*) FROM t
WHERE split_part(tuple, ',', 5) = '3389' AND split_part(tuple, ',', 8) = 'D'
"""
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
print(con.execute(query).fetchone()[0])
"#;

const JQ: &str = r#"reduce (inputs | .records[].properties.flows[].flows[].flowTuples[]
  | split(",") | select(.[4] == "3389" and .[7] == "D")) as $t (0; . + 1)"#;

struct Row {
    tool: &'static str,
    time: Duration,
    count: Option<u64>,
    note: String,
}

/// Rounds of flowscope and DuckDB run in turns.
const ROUNDS: usize = 5;

/// Runs the three tools and prints the table; `engine` is the in-process count.
/// flowscope and DuckDB run in turns, `ROUNDS` times each after one untimed run of each
/// (which also brings the files into the page cache, as both then find them): the
/// machine's speed drifts, and both tools' figures come from the same minutes. Each
/// tool's median is shown, and DuckDB's time over flowscope's round by round, so that
/// no ratio rests on one lucky or unlucky run. jq, far slower, runs three times.
pub fn compare(dir: &Path, engine: Option<u64>) {
    println!(
        "\n== side by side: count of `{COUNT_FILTER}`, whole processes, same files, \
         median of {ROUNDS} rounds in turns (jq: of 3)"
    );
    let ours = flowscope_binary().map(|bin| {
        let args = [
            "query".into(),
            dir.display().to_string(),
            "-f".into(),
            COUNT_FILTER.into(),
            "--count".into(),
        ];
        move || {
            let mut cmd = Command::new(&bin);
            cmd.args(&args);
            cmd
        }
    });
    let duckdb = || {
        let mut cmd = Command::new("python3");
        cmd.args(["-c", DUCKDB, &dir.display().to_string()]);
        cmd
    };
    let mut rows = Vec::new();
    let mut ratios = Vec::new();
    match ours {
        Some(ours) => {
            let (flowscope, duck, each) = in_turns(("flowscope", &ours), ("duckdb", &duckdb));
            rows.extend([flowscope, duck]);
            ratios = each;
        }
        None => {
            rows.push(skipped(
                "flowscope",
                "binary not built (cargo build --release failed)",
            ));
            rows.push(median_of("duckdb", 3, duckdb));
        }
    }
    if let Some(duck) = rows.iter_mut().find(|r| r.note == "NO_DUCKDB") {
        *duck = skipped(
            "duckdb",
            "python duckdb package missing: pip install duckdb",
        );
    }
    if Command::new("jq").arg("--version").output().is_ok() {
        let files = json_files(dir);
        rows.push(median_of("jq", 3, || {
            let mut cmd = Command::new("jq");
            cmd.args(["-n", JQ]).args(&files);
            cmd
        }));
    } else {
        rows.push(skipped("jq", "jq not installed (apt-get install jq)"));
    }
    print_table(&rows, engine);
    if !ratios.is_empty() {
        let listed: Vec<String> = ratios.iter().map(|r| format!("{r:.1}")).collect();
        ratios.sort_by(f64::total_cmp);
        println!(
            "duckdb ÷ flowscope, round by round: {} (median {:.1}, least {:.1})",
            listed.join(" "),
            ratios[ratios.len() / 2],
            ratios[0]
        );
    }
}

/// Two tools run in turns, `ROUNDS` times each after one untimed run of each: each
/// one's median run, and the second's time over the first's in each round. A tool that
/// cannot run is not tried again, and a failed run is shown rather than hidden.
fn in_turns(
    (a_name, a): (&'static str, &dyn Fn() -> Command),
    (b_name, b): (&'static str, &dyn Fn() -> Command),
) -> (Row, Row, Vec<f64>) {
    let (a_first, b_first) = (run(a_name, &mut a()), run(b_name, &mut b()));
    let (mut a_runs, mut b_runs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let ra = a_first.count.map(|_| run(a_name, &mut a()));
        let rb = b_first.count.map(|_| run(b_name, &mut b()));
        if let (
            Some(Row {
                count: Some(_),
                time: ta,
                ..
            }),
            Some(Row {
                count: Some(_),
                time: tb,
                ..
            }),
        ) = (&ra, &rb)
        {
            ratios.push(secs(*tb) / secs(*ta).max(1e-9));
        }
        a_runs.extend(ra);
        b_runs.extend(rb);
    }
    let pick = |first: Row, runs: Vec<Row>| match first.count {
        Some(_) => median(runs),
        None => first,
    };
    (pick(a_first, a_runs), pick(b_first, b_runs), ratios)
}

/// The median of `n` runs (by time); one that cannot run is not tried again.
fn median_of(tool: &'static str, n: usize, command: impl Fn() -> Command) -> Row {
    let first = run(tool, &mut command());
    if first.count.is_none() {
        return first;
    }
    let mut runs = vec![first];
    runs.extend((1..n).map(|_| run(tool, &mut command())));
    median(runs)
}

/// The median run by time, or the first failed one, shown rather than hidden.
fn median(mut runs: Vec<Row>) -> Row {
    if let Some(failed) = runs.iter().position(|r| r.count.is_none()) {
        return runs.swap_remove(failed);
    }
    runs.sort_by_key(|r| r.time);
    let middle = runs.len() / 2;
    runs.swap_remove(middle)
}

fn print_table(rows: &[Row], engine: Option<u64>) {
    let base = rows
        .iter()
        .find(|r| r.tool == "flowscope" && r.count.is_some())
        .map(|r| r.time);
    println!(
        "{:<10} {:>10} {:>12} {:>10}  note",
        "tool", "wall s", "count", "× flowscope"
    );
    for r in rows {
        let count = r.count.map(|c| c.to_string()).unwrap_or_else(|| "-".into());
        let ratio = match (base, r.count) {
            (Some(b), Some(_)) => format!("{:.1}", secs(r.time) / secs(b).max(1e-9)),
            _ => "-".into(),
        };
        println!(
            "{:<10} {:>10.3} {:>12} {:>10}  {}",
            r.tool,
            secs(r.time),
            count,
            ratio,
            r.note
        );
    }
    let mut counts: Vec<u64> = rows.iter().filter_map(|r| r.count).collect();
    counts.extend(engine);
    counts.dedup();
    if counts.len() > 1 {
        println!("\n!!!!!!!! MISMATCH: the tools disagree on the count (in-process engine: {engine:?}) !!!!!!!!");
    } else if let Some(c) = counts.first() {
        println!("counts agree: {c} (in-process engine included)");
    }
}

fn run(tool: &'static str, cmd: &mut Command) -> Row {
    let started = Instant::now();
    let output = cmd.output();
    let time = started.elapsed();
    match output {
        Ok(out) => {
            let stdout = String::from_utf8_lossy(&out.stdout).trim().to_string();
            let count = stdout.parse().ok();
            let note = match (&count, out.status.success()) {
                (Some(_), true) => String::new(),
                _ if stdout == "NO_DUCKDB" => stdout,
                _ => format!("failed: {}", last_line(&out.stderr, &stdout)),
            };
            Row {
                tool,
                time,
                count,
                note,
            }
        }
        Err(e) => skipped(tool, &format!("cannot run: {e}")),
    }
}

/// The last non-empty line of stderr: where tools put the reason they failed.
fn last_line(stderr: &[u8], stdout: &str) -> String {
    let text = String::from_utf8_lossy(stderr);
    // Progress bars redraw with carriage returns: split on them too.
    let line = text
        .split(['\n', '\r'])
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(stdout);
    line.chars().take(160).collect()
}

fn skipped(tool: &'static str, why: &str) -> Row {
    Row {
        tool,
        time: Duration::ZERO,
        count: None,
        note: why.to_string(),
    }
}

/// `target/release/flowscope`: cargo builds the package's binaries (bench profile, which
/// inherits release) before it runs a benchmark and tells us where.
fn flowscope_binary() -> Option<PathBuf> {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_flowscope"));
    bin.exists().then_some(bin)
}

/// Every `PT1H.json` under `dir`, sorted.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

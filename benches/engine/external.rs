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

/// Runs the three tools and prints the table; `engine` is the in-process count. Each tool
/// runs three times and keeps its median, so that no tool's figure is its one unlucky
/// (or lucky) run; the first run of each may also pay for a cold page cache.
pub fn compare(dir: &Path, engine: Option<u64>) {
    println!(
        "\n== side by side: count of `{COUNT_FILTER}`, whole processes, same files, median of 3"
    );
    let mut rows = Vec::new();
    match flowscope_binary() {
        Some(bin) => {
            let args = [
                "query".into(),
                dir.display().to_string(),
                "-f".into(),
                COUNT_FILTER.into(),
                "--count".into(),
            ];
            rows.push(median_of_3("flowscope", || {
                let mut cmd = Command::new(&bin);
                cmd.args(&args);
                cmd
            }));
        }
        None => rows.push(skipped(
            "flowscope",
            "binary not built (cargo build --release failed)",
        )),
    }
    let row = median_of_3("duckdb", || {
        let mut cmd = Command::new("python3");
        cmd.args(["-c", DUCKDB, &dir.display().to_string()]);
        cmd
    });
    rows.push(match row.note.as_str() {
        "NO_DUCKDB" => skipped(
            "duckdb",
            "python duckdb package missing: pip install duckdb",
        ),
        _ => row,
    });
    if Command::new("jq").arg("--version").output().is_ok() {
        let files = json_files(dir);
        rows.push(median_of_3("jq", || {
            let mut cmd = Command::new("jq");
            cmd.args(["-n", JQ]).args(&files);
            cmd
        }));
    } else {
        rows.push(skipped("jq", "jq not installed (apt-get install jq)"));
    }
    print_table(&rows, engine);
}

/// The median run of three (by time); a tool that cannot run is not tried again, and a
/// failed run is shown rather than hidden.
fn median_of_3(tool: &'static str, command: impl Fn() -> Command) -> Row {
    let first = run(tool, &mut command());
    if first.count.is_none() {
        return first;
    }
    let mut runs = vec![first, run(tool, &mut command()), run(tool, &mut command())];
    if let Some(failed) = runs.iter().position(|r| r.count.is_none()) {
        return runs.swap_remove(failed);
    }
    runs.sort_by_key(|r| r.time);
    runs.swap_remove(1)
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

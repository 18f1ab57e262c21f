//! Engine benchmark (DESIGN.md "Budgets"): load throughput, memory per tuple, filter and
//! top-N times over a generated NSG v2 tree, then the same count side by side with the
//! `flowscope` binary, DuckDB and jq as whole processes.
//!
//! `cargo bench --bench engine`; `FLOWSCOPE_BENCH_TUPLES=500k` changes the size (default 2M).
//! The tree is generated once into `target/bench-data/`.

#[path = "engine/external.rs"]
mod external;

use flowscope::field::Field;
use flowscope::filter;
use flowscope::gen::{self, GenKind, GenSpec};
use flowscope::load::{self, LoadOptions, Progress, Source};
use flowscope::selection::Selection;
use flowscope::store::Store;
use flowscope::views::{self, SortBy};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The count compared across tools: denied inbound RDP.
pub const COUNT_FILTER: &str = "dport == 3389 and action == deny";
const FILTERS: [&str; 6] = [
    "bytes > 100kB",
    "not rule ~ \"^DefaultRule_\"",
    "src in 10.0.0.0/8",
    "dport == 3389 and action == deny and dir == in",
    "src in 10.0.0.0/8 and dst == 10.0.2.0/24",
    "not rule ~ \"^DefaultRule_\" and bytes > 100kB",
];
const RUNS: usize = 7;
/// From this many tuples on, the load is timed once, and the side-by-side run is left out
/// unless `FLOWSCOPE_BENCH_EXTERNAL=1` (jq alone takes minutes there).
const BIG: usize = 50_000_000;

fn main() {
    // `cargo bench` passes `--bench`; there is nothing to filter.
    let tuples = std::env::var("FLOWSCOPE_BENCH_TUPLES")
        .ok()
        .map(|v| {
            flowscope::cli::generate::parse_count(&v)
                .unwrap_or_else(|e| panic!("FLOWSCOPE_BENCH_TUPLES: {e}"))
        })
        .unwrap_or(2_000_000);
    let (dir, bytes) = bench_data(tuples);
    println!(
        "data: {} ({} tuples, {:.1} MB)",
        dir.display(),
        tuples,
        mb(bytes)
    );

    let store = measure_load(&dir, bytes);
    measure_filters(&store);
    measure_views(&store);
    let ours = filter::compile(COUNT_FILTER, &store)
        .map(|f| f.count(&store) as u64)
        .ok();
    let big = store.len() >= BIG;
    drop(store);
    let external = std::env::var("FLOWSCOPE_BENCH_EXTERNAL").map_or(!big, |v| v == "1");
    if external {
        external::compare(&dir, ours);
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// The generated tree for `tuples` (generated on first use) and its size in bytes.
fn bench_data(tuples: u64) -> (PathBuf, u64) {
    let dir = target_dir()
        .join("bench-data")
        .join(format!("nsg-v2-{tuples}-seed1"));
    let done = dir.join("COMPLETE");
    if let Ok(text) = std::fs::read_to_string(&done) {
        if let Ok(bytes) = text.trim().parse() {
            return (dir, bytes);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let spec = GenSpec {
        kind: GenKind::NsgV2,
        tuples,
        macs: 4,
        seed: 1,
        ..GenSpec::default()
    };
    let started = Instant::now();
    let summary = gen::generate(&spec, &dir).expect("bench data generated");
    println!(
        "generated {} tuples, {} files, {:.1} MB in {:.2} s ({:.0} MB/s)",
        summary.tuples,
        summary.files,
        mb(summary.bytes),
        secs(started.elapsed()),
        mb(summary.bytes) / secs(started.elapsed())
    );
    std::fs::write(&done, summary.bytes.to_string()).expect("marker written");
    (dir, summary.bytes)
}

/// First load measures memory; then the median of three timed loads.
fn measure_load(dir: &Path, bytes: u64) -> Store {
    let sources = [Source::Path(dir.to_path_buf())];
    let before = proc_status_kb("VmRSS");
    let started = Instant::now();
    let (store, report) =
        load::load(&sources, &LoadOptions::default(), &Progress::default()).expect("loads");
    let first = started.elapsed();
    let peak = proc_status_kb("VmHWM");
    let rows = store.len().max(1) as f64;
    println!("\n== load");
    println!(
        "loaded {} tuples, {} rejected, {} files",
        report.tuples, report.rejected, report.files
    );
    if let (Some(before), Some(peak)) = (before, peak) {
        println!(
            "memory: peak RSS - RSS before = {:.1} bytes/tuple (budget ≤ 32)",
            (peak.saturating_sub(before) * 1024) as f64 / rows
        );
    }
    println!(
        "memory: Store::heap_bytes      = {:.1} bytes/tuple",
        store.heap_bytes() as f64 / rows
    );
    if store.len() >= BIG {
        // A second copy of a store this size is more memory than the figure is worth.
        println!(
            "load: {:.2} s, one run → {:.0} MB/s (budget ≥ 750)",
            secs(first),
            mb(bytes) / secs(first)
        );
        return store;
    }
    let mut times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let again =
            load::load(&sources, &LoadOptions::default(), &Progress::default()).expect("loads");
        times.push(started.elapsed());
        drop(again);
    }
    let t = median(&mut times);
    println!(
        "load: {:.0} ms median of 3 → {:.0} MB/s (budget ≥ 750)",
        ms(t),
        mb(bytes) / secs(t)
    );
    store
}

fn measure_filters(store: &Store) {
    println!(
        "\n== filter over {} tuples (median, min of {RUNS}; budget ≤ 5 ms)",
        store.len()
    );
    for text in FILTERS {
        let compiled = match filter::compile(text, store) {
            Ok(c) => c,
            Err(e) => {
                println!("{text:<55} does not compile: {e}");
                continue;
            }
        };
        let mut rows = 0;
        let (median, min) = timed_both(|| rows = compiled.select(store).len());
        println!(
            "{text:<50} {:>7.2} ms {:>7.2} ms  {rows} rows",
            ms(median),
            ms(min)
        );
    }
}

fn measure_views(store: &Store) {
    println!(
        "\n== views over all {} tuples in {} groups (median, min of {RUNS}; top-N budget ≤ 20 ms)",
        store.len(),
        store.groups().len()
    );
    let all = Selection::all(store.len());
    // The first group-level top-N works out the per-group sums that later ones reuse.
    let started = Instant::now();
    std::hint::black_box(views::top(store, &all, Field::Rule, SortBy::Tuples, 10));
    println!(
        "{:<20} {:>8.2} ms (once)",
        "top rule, first",
        ms(started.elapsed())
    );
    // Every other row: no group is whole, no part is a plain range.
    let half = Selection::from_sorted((0..store.len() as u32).step_by(2).collect());
    for (name, field, sort, sel) in [
        ("top src", Field::Src, SortBy::Tuples, &all),
        ("top dport", Field::Dport, SortBy::Tuples, &all),
        ("top rule", Field::Rule, SortBy::Tuples, &all),
        ("top src by bytes", Field::Src, SortBy::Bytes, &all),
        ("top rule, half", Field::Rule, SortBy::Tuples, &half),
    ] {
        let (median, min) = timed_both(|| {
            std::hint::black_box(views::top(store, sel, field, sort, 10));
        });
        println!("{name:<20} {:>8.2} ms {:>8.2} ms", ms(median), ms(min));
    }
    let (median, min) = timed_both(|| {
        std::hint::black_box(views::conversations(store, &all, SortBy::Bytes, 10));
    });
    println!(
        "{:<20} {:>8.2} ms {:>8.2} ms",
        "conversations",
        ms(median),
        ms(min)
    );
}

/// Median and least wall time of `RUNS` runs (the least is the one a busy machine
/// disturbed least).
fn timed_both(mut f: impl FnMut()) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    let least = times.iter().copied().min().unwrap_or_default();
    (median(&mut times), least)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// A `kB` line of /proc/self/status (Linux only).
fn proc_status_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
pub fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

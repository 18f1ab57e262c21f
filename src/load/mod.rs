//! Loading: walk paths, read and parse flow log files in parallel, salvage what hostile
//! input allows, and account for every tuple seen (loaded + rejected = seen).
//!
//! ```text
//! sources ─walk─> inputs ─parallel─> per file: read → decode → file (fast path | salvage)
//!                                      → record (by hand | serde) → emit
//!                                      → StoreBuilder + Tally
//!         <─ merged in file order, by the worker whose turn it is ─ Store + LoadReport
//! ```
//! The types below are the contract the command line and the explorer build on.

mod bytes;
mod emit;
mod encoding;
mod file;
mod found;
mod parallel;
mod parts;
mod path_meta;
mod record;
mod repair;
mod report;
mod rows;
mod salvage;
mod tally;
mod tuple;
mod walk;

#[cfg(test)]
mod tests;

pub use bytes::load_bytes;

/// Checks that every source is there, without reading any: for the explorer, which
/// says so before it takes over the screen.
pub fn check_sources(sources: &[Source]) -> Result<(), LoadError> {
    walk::roots(sources).map(|_| ())
}
pub use path_meta::path_meta;
#[doc(hidden)]
pub use record::check_against_serde as check_record_reader;
pub use report::{LoadReport, Problem, ProblemKind, Progress, ProgressSnapshot};
pub use tuple::{parse_quoted, parse_tuple, TupleError, Values};

use crate::store::{Columns, Store, StoreBuilder};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

/// Where to read from: a file, a folder (searched for `*.json` and `*.log`), or `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Path(PathBuf),
    Stdin,
    /// A file compiled into the binary (the demo scenario in `assets/`).
    Embedded {
        name: &'static str,
        data: &'static [u8],
    },
}

impl Source {
    pub fn from_arg(arg: &str) -> Source {
        if arg == "-" {
            Source::Stdin
        } else {
            Source::Path(PathBuf::from(arg))
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Worker threads; 0 = one per core.
    pub threads: usize,
}

/// Loads every source. Never fails on bad content (that is reported in the `LoadReport`);
/// fails only when the caller's arguments make no sense.
pub fn load(
    sources: &[Source],
    options: &LoadOptions,
    progress: &Progress,
) -> Result<(Store, LoadReport), LoadError> {
    load_inner(sources, options, Columns::ALL, progress, None)
}

/// `load`, the store keeping only `columns` of the optional columns: for an answer that
/// reads few of them (`stats --by rule` reads no address and no port), in less memory and
/// time. Reading a column left out panics.
pub fn load_columns(
    sources: &[Source],
    options: &LoadOptions,
    columns: Columns,
    progress: &Progress,
) -> Result<(Store, LoadReport), LoadError> {
    load_inner(sources, options, columns, progress, None)
}

/// Rows in the first partial store handed out; each next one holds twice as many.
const FIRST_SNAPSHOT_ROWS: usize = 50_000;
/// No partial store beyond this many rows: a copy of a quarter of a 100M-tuple load would
/// be 7 bytes a tuple on top of the store, and one of 4M rows still 1.2 (with the work
/// of the panes on it). A million rows already fill every pane.
const LAST_SNAPSHOT_ROWS: usize = 1_000_000;

/// Like `load`, and hands `on_snapshot` partial stores (every file merged so far, in file
/// order) while it works, so the explorer can fill its panes as data arrives. A snapshot is
/// a copy: they come at doubling sizes and stop at a quarter of the expected tuples or at
/// `LAST_SNAPSHOT_ROWS`, which bounds their cost to a fraction of the load's time and
/// memory.
pub fn load_with_snapshots(
    sources: &[Source],
    options: &LoadOptions,
    progress: &Progress,
    on_snapshot: &mut (dyn FnMut(Store) + Send),
) -> Result<(Store, LoadReport), LoadError> {
    load_inner(sources, options, Columns::ALL, progress, Some(on_snapshot))
}

/// Like `load`, without building the load's store: each file's rows reach `per_file` as a
/// store of their own, with only `columns` of the optional columns, in file order, and
/// are dropped after it. Memory stays at the few files in flight whatever the size of
/// the load, so `check` and `query --count` over 100M tuples need megabytes, not a 3 GB
/// store; and no time goes into merging files or building columns nobody reads.
pub fn load_each(
    sources: &[Source],
    options: &LoadOptions,
    columns: Columns,
    progress: &Progress,
    per_file: &mut (dyn FnMut(&Store) + Send),
) -> Result<LoadReport, LoadError> {
    let roots = walk::roots(sources)?;
    let mut report = LoadReport::default();
    let walked = parallel::run(roots, threads(options), columns, progress, |outcome| {
        if let Some(file) = account(&mut report, outcome) {
            per_file(&file.into_store());
        }
    });
    add_walk_problems(&mut report, walked);
    Ok(report)
}

/// `load`, with snapshots only when someone takes them: each one is a copy.
fn load_inner(
    sources: &[Source],
    options: &LoadOptions,
    columns: Columns,
    progress: &Progress,
    mut on_snapshot: Option<&mut (dyn FnMut(Store) + Send)>,
) -> Result<(Store, LoadReport), LoadError> {
    let roots = walk::roots(sources)?;
    let mut report = LoadReport::default();
    let mut builder = StoreBuilder::with_columns(columns);
    // Rows expected, known once the walk has found every file: the columns are then
    // reserved whole, not grown by doubling (which would need twice their memory).
    let mut expected = None;
    let mut next_snapshot = FIRST_SNAPSHOT_ROWS;
    let walked = parallel::run(roots, threads(options), columns, progress, |outcome| {
        if expected.is_none() && progress.found_all.load(Ordering::Relaxed) {
            let rows =
                (progress.bytes_total.load(Ordering::Relaxed) / parallel::BYTES_PER_TUPLE) as usize;
            builder.reserve(rows.saturating_sub(builder.len()));
            expected = Some(rows);
        }
        if let Some(file) = account(&mut report, outcome) {
            builder.append(file);
        }
        let Some(on_snapshot) = on_snapshot.as_mut() else {
            return;
        };
        let last_snapshot = expected.map_or(LAST_SNAPSHOT_ROWS, |rows| rows / 4);
        if builder.len() >= next_snapshot && builder.len() <= last_snapshot.min(LAST_SNAPSHOT_ROWS)
        {
            next_snapshot = builder.len() * 2;
            on_snapshot(builder.snapshot());
        }
    });
    add_walk_problems(&mut report, walked);
    Ok((builder.finish(), report))
}

/// Puts the walk's problems (unreadable folders and files, paths found before) in the
/// report, first: they were met before any file was read. A path found before lost
/// nothing, so it is not a skipped file.
fn add_walk_problems(report: &mut LoadReport, problems: Vec<Problem>) {
    report.skipped_files += problems.iter().filter(|p| p.kind.skips_file()).count() as u64;
    report.problems.splice(0..0, problems);
}

fn threads(options: &LoadOptions) -> usize {
    match options.threads {
        0 => crate::parallel::cores(),
        n => n,
    }
}

/// Adds one file's outcome to the load's report, in file order; its rows, unless the file
/// was skipped whole.
fn account(report: &mut LoadReport, outcome: parallel::FileOutcome) -> Option<StoreBuilder> {
    report.bytes += outcome.bytes;
    report.records += outcome.tally.records;
    report.tuples += outcome.tally.tuples;
    report.rejected += outcome.tally.rejected;
    match &outcome.builder {
        Some(_) => report.files += 1,
        None => report.skipped_files += 1,
    }
    report
        .problems
        .extend(outcome.tally.into_problems(&outcome.name));
    report.problems.extend(outcome.skipped);
    outcome.builder
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("nothing to load: no path given")]
    NoSources,
    #[error("{path}: no such file or folder")]
    NotFound { path: String },
}

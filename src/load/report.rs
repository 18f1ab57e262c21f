//! What a load found: counts, problems, and live progress for the explorer.

use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Why something was rejected or skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// A tuple that does not parse (field count, address, port, time, protocol, …).
    BadTuple,
    /// A record that is not valid (missing or mistyped keys); its tuples are rejected.
    BadRecord,
    /// The file ends inside a record (a copy taken mid-hour, an interrupted download).
    Truncated,
    /// Invalid JSON that was repaired or skipped (trailing commas, a leading comma, …).
    Repaired,
    /// Valid JSON, but no flow log records in it.
    NotFlowLog,
    Empty,
    Unreadable,
}

impl ProblemKind {
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::BadTuple => "bad-tuple",
            ProblemKind::BadRecord => "bad-record",
            ProblemKind::Truncated => "truncated",
            ProblemKind::Repaired => "repaired",
            ProblemKind::NotFlowLog => "not-flow-log",
            ProblemKind::Empty => "empty",
            ProblemKind::Unreadable => "unreadable",
        }
    }
}

/// One kind of problem in one file, counted; `detail` names the reason and the first place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: String,
    pub kind: ProblemKind,
    pub detail: String,
    pub count: u64,
}

/// Totals of a load. Invariant: `tuples + rejected` = tuples seen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    /// Files that held at least one flow log record.
    pub files: u64,
    pub records: u64,
    /// Tuples loaded.
    pub tuples: u64,
    /// Tuples seen but rejected.
    pub rejected: u64,
    /// Files skipped whole (empty, unreadable, not a flow log).
    pub skipped_files: u64,
    /// Bytes read.
    #[serde(skip)]
    pub bytes: u64,
    pub problems: Vec<Problem>,
}

/// Live counters a loader updates and the explorer reads (relaxed atomics: a progress bar
/// tolerates a value a moment old).
#[derive(Debug, Default)]
pub struct Progress {
    pub files_total: AtomicU64,
    pub files_done: AtomicU64,
    pub bytes_total: AtomicU64,
    pub bytes_done: AtomicU64,
    pub tuples: AtomicU64,
    /// Set by the reader to ask the loader to stop early.
    pub cancel: AtomicBool,
}

impl Progress {
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
    pub fn snapshot(&self) -> ProgressSnapshot {
        ProgressSnapshot {
            files_total: self.files_total.load(Ordering::Relaxed),
            files_done: self.files_done.load(Ordering::Relaxed),
            bytes_total: self.bytes_total.load(Ordering::Relaxed),
            bytes_done: self.bytes_done.load(Ordering::Relaxed),
            tuples: self.tuples.load(Ordering::Relaxed),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgressSnapshot {
    pub files_total: u64,
    pub files_done: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
    pub tuples: u64,
}

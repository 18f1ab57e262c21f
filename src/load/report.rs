//! What a load found: counts, problems, and live progress for the explorer.

use crate::model::{plural, Thousands};
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
    /// Text that was repaired, skipped or decoded to be read (trailing commas, a leading
    /// comma, UTF-16, …).
    Repaired,
    /// Valid JSON, but no flow log records in it.
    NotFlowLog,
    Empty,
    Unreadable,
    /// A file or folder reached again (named twice, or through a link): read once, where
    /// first found, so nothing is lost.
    FoundBefore,
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
            ProblemKind::FoundBefore => "found-before",
        }
    }

    /// Whether a problem of this kind leaves its file (or folder) out whole.
    pub fn skips_file(self) -> bool {
        matches!(
            self,
            ProblemKind::NotFlowLog | ProblemKind::Empty | ProblemKind::Unreadable
        )
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

impl LoadReport {
    /// Records that could not be read even after repair. Their tuples are rejected where
    /// they can be counted; where the text is too broken to count them, this is the only
    /// trace, so `--strict` and the warnings name it.
    pub fn unreadable_records(&self) -> u64 {
        self.count(ProblemKind::BadRecord)
    }

    /// Places where the text was cut short (a file, or a line of it, ending inside a
    /// record or its brackets): what followed is lost, however many tuples it held.
    pub fn cuts(&self) -> u64 {
        self.count(ProblemKind::Truncated)
    }

    /// What the load could not take: text cut short, rejected tuples, unreadable records
    /// (what `--strict` refuses).
    pub fn losses(&self) -> Vec<String> {
        let mut lost = Vec::new();
        if self.cuts() > 0 {
            lost.push(format!(
                "cut short or left open in {}",
                plural(self.cuts(), "place")
            ));
        }
        if self.rejected > 0 {
            lost.push(format!(
                "{} of {} rejected",
                plural(self.rejected, "tuple"),
                Thousands(self.tuples + self.rejected)
            ));
        }
        let records = self.unreadable_records();
        if records > 0 {
            lost.push(format!("{} unreadable", plural(records, "record")));
        }
        lost
    }

    /// `losses`, and the files skipped whole: the one-line warning after a load.
    pub fn shortfalls(&self) -> Vec<String> {
        let mut parts = self.losses();
        if self.skipped_files > 0 {
            parts.push(format!("{} skipped", plural(self.skipped_files, "file")));
        }
        parts
    }

    fn count(&self, kind: ProblemKind) -> u64 {
        self.problems
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.count)
            .sum()
    }

    /// `nothing readable: ` and why, when nothing was loaded, as plainly as the report
    /// allows: a single skipped file's own reason says what to do about it.
    pub fn nothing_readable(&self) -> Option<String> {
        if self.files > 0 || self.tuples > 0 {
            return None;
        }
        let skips: Vec<&Problem> = self
            .problems
            .iter()
            .filter(|p| p.kind.skips_file())
            .collect();
        let why = match skips.as_slice() {
            [] if self.skipped_files == 0 => "no *.json or *.log files found".to_string(),
            [one] if self.skipped_files <= 1 => format!("{}: {}", one.file, one.detail),
            _ => format!(
                "no flow log records found ({} skipped; `flowscope check` says why)",
                plural(self.skipped_files, "file")
            ),
        };
        Some(format!("nothing readable: {why}"))
    }
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
    /// Set when the walk has found every file: the totals above are final.
    pub found_all: AtomicBool,
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
            found_all: self.found_all.load(Ordering::Relaxed),
        }
    }
}

/// One file's share of a `Progress`, reported as its records are read: one large file
/// would otherwise show all its bytes read at once and its tuples only at the end. What
/// its readers reported is kept apart, so that `settle` can make the file count exactly
/// once, whatever was read twice (a part read again, parts dropped for the whole walk).
pub struct FileProgress<'p> {
    progress: &'p Progress,
    bytes: AtomicU64,
    tuples: AtomicU64,
}

impl<'p> FileProgress<'p> {
    pub fn new(progress: &'p Progress) -> FileProgress<'p> {
        FileProgress {
            progress,
            bytes: AtomicU64::new(0),
            tuples: AtomicU64::new(0),
        }
    }

    /// Bytes and tuples read since the last report.
    pub fn add(&self, bytes: u64, tuples: u64) {
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.tuples.fetch_add(tuples, Ordering::Relaxed);
        self.progress.bytes_done.fetch_add(bytes, Ordering::Relaxed);
        self.progress.tuples.fetch_add(tuples, Ordering::Relaxed);
    }

    /// The file is done: its `bytes` and loaded `tuples` count in full, and once.
    pub fn settle(&self, bytes: u64, tuples: u64) {
        let settle = |total: &AtomicU64, reported: &AtomicU64, exact: u64| {
            let reported = reported.swap(exact, Ordering::Relaxed);
            if exact >= reported {
                total.fetch_add(exact - reported, Ordering::Relaxed);
            } else {
                total.fetch_sub(reported - exact, Ordering::Relaxed);
            }
        };
        settle(&self.progress.bytes_done, &self.bytes, bytes);
        settle(&self.progress.tuples, &self.tuples, tuples);
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgressSnapshot {
    pub files_total: u64,
    pub files_done: u64,
    pub bytes_total: u64,
    pub bytes_done: u64,
    pub tuples: u64,
    /// The totals are final (the walk has ended).
    pub found_all: bool,
}

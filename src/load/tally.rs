//! Per-file accounting: counts of records and tuples, and problems aggregated by
//! (kind, reason) with the first place each was seen.

use super::report::{Problem, ProblemKind};
use super::tuple::TupleError;
use crate::store::dict::FastMap;
use std::fmt;

/// Why something went wrong, cheap to hash (a bad tuple costs no allocation).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reason {
    Tuple(TupleError),
    Text(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Tuple(e) => e.fmt(f),
            Reason::Text(s) => f.write_str(s),
        }
    }
}

#[derive(Debug)]
struct Entry {
    index: usize,
    count: u64,
    first: String,
}

/// What one file (or one standard input) gave.
#[derive(Debug, Default)]
pub struct Tally {
    pub records: u64,
    pub tuples: u64,
    pub rejected: u64,
    problems: FastMap<(ProblemKind, Reason), Entry>,
}

impl Tally {
    /// Counts one problem; `first` is only built for the first occurrence of a reason.
    pub fn problem(&mut self, kind: ProblemKind, reason: Reason, first: impl FnOnce() -> String) {
        self.problems_of(kind, reason, 1, first);
    }

    /// `count` problems of one kind and reason at once, the first of them at `first`.
    pub fn problems_of(
        &mut self,
        kind: ProblemKind,
        reason: Reason,
        count: u64,
        first: impl FnOnce() -> String,
    ) {
        let next = self.problems.len();
        let entry = self
            .problems
            .entry((kind, reason))
            .or_insert_with(|| Entry {
                index: next,
                count: 0,
                first: first(),
            });
        entry.count += count;
    }

    /// Adds `later` (what the text after ours gave): counts add up, and a problem seen
    /// in both keeps our first place.
    pub fn absorb(&mut self, later: Tally) {
        self.records += later.records;
        self.tuples += later.tuples;
        self.rejected += later.rejected;
        let mut entries: Vec<_> = later.problems.into_iter().collect();
        entries.sort_by_key(|(_, e)| e.index);
        for (key, e) in entries {
            let next = self.problems.len();
            let entry = self.problems.entry(key).or_insert(Entry {
                index: next,
                count: 0,
                first: e.first,
            });
            entry.count += e.count;
        }
    }

    /// Whether any problem was counted.
    /// Forgets what reading the text found: for a file skipped whole as something else
    /// than a flow log, its repairs and cuts say nothing of use.
    pub fn forget_problems(&mut self) {
        self.problems.clear();
    }

    pub fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    /// How many problems of `kind` were counted.
    pub fn count(&self, kind: ProblemKind) -> u64 {
        self.problems
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|(_, e)| e.count)
            .sum()
    }

    /// The problems in the order first seen, for file `file`.
    pub fn into_problems(self, file: &str) -> Vec<Problem> {
        let mut list: Vec<_> = self.problems.into_iter().collect();
        list.sort_by_key(|(_, e)| e.index);
        list.into_iter()
            .map(|((kind, reason), e)| Problem {
                file: file.to_string(),
                kind,
                detail: if e.first.is_empty() {
                    reason.to_string()
                } else {
                    format!("{reason} (first at {})", e.first)
                },
                count: e.count,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_aggregate_by_kind_and_reason_keeping_the_first_place() {
        let mut t = Tally::default();
        let bad = Reason::Tuple(TupleError::Time);
        t.problem(ProblemKind::BadTuple, bad.clone(), || "record 1".into());
        t.problem(ProblemKind::BadTuple, bad, || "record 2".into());
        t.problem(ProblemKind::Repaired, Reason::Text("x".into()), String::new);
        assert_eq!(t.count(ProblemKind::Repaired), 1);
        let p = t.into_problems("a.json");
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].detail, "bad time (first at record 1)");
        assert_eq!((p[0].count, p[1].count), (2, 1));
        assert_eq!(p[1].detail, "x");
    }

    #[test]
    fn absorbing_adds_counts_and_keeps_the_earlier_first_place() {
        let bad = Reason::Tuple(TupleError::Time);
        let mut a = Tally {
            records: 2,
            tuples: 5,
            rejected: 1,
            ..Tally::default()
        };
        a.problem(ProblemKind::BadTuple, bad.clone(), || "record 1".into());
        let mut b = Tally {
            records: 3,
            tuples: 7,
            rejected: 2,
            ..Tally::default()
        };
        b.problem(ProblemKind::Repaired, Reason::Text("x".into()), || {
            "record 4".into()
        });
        b.problem(ProblemKind::BadTuple, bad.clone(), || "record 5".into());
        b.problem(ProblemKind::BadTuple, bad, || "record 6".into());
        a.absorb(b);
        assert_eq!((a.records, a.tuples, a.rejected), (5, 12, 3));
        let p = a.into_problems("a.json");
        let details: Vec<_> = p.iter().map(|p| (p.detail.as_str(), p.count)).collect();
        assert_eq!(
            details,
            [
                ("bad time (first at record 1)", 3),
                ("x (first at record 4)", 1)
            ]
        );
    }
}

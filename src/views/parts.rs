//! A selection's rows cut into parts that are scanned on threads of their own, and the
//! runs of those rows that fall in one group.

use crate::selection::Selection;
use crate::store::counters::total;
use crate::store::Store;

/// Rows of a store, ascending and below its length.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rows<'a> {
    /// Every row in `start..end` (the whole store is selected).
    Range(u32, u32),
    /// Listed row ids.
    List(&'a [u32]),
}

impl<'a> Rows<'a> {
    pub(crate) fn len(self) -> usize {
        match self {
            Rows::Range(start, end) => (end - start) as usize,
            Rows::List(rows) => rows.len(),
        }
    }

    /// Calls `f` with every row. `f` is called from one place only, so the compiler
    /// inlines it (two loops, one a kind, would each call it); the kind is tested in the
    /// loop, a branch that always goes the same way.
    #[inline]
    pub(crate) fn for_each(self, mut f: impl FnMut(u32)) {
        let (start, list) = match self {
            Rows::Range(start, _) => (start, None),
            Rows::List(rows) => (0, Some(rows)),
        };
        for i in 0..self.len() {
            let row = match list {
                None => start + i as u32,
                Some(rows) => rows[i],
            };
            f(row);
        }
    }

    /// Calls `f` with every row and one total of its counters (see `counters::picks`): a
    /// range decodes just that total, 64 rows at a time.
    #[inline]
    pub(crate) fn for_each_with_total<const PICK: u8>(
        self,
        store: &Store,
        mut f: impl FnMut(u32, u64),
    ) {
        let column = store.counter_column();
        match self {
            Rows::Range(start, end) => {
                let mut reader = column.totals::<PICK>(start as usize);
                let mut totals = [0u64; 64];
                for first in (start..end).step_by(64) {
                    let totals = &mut totals[..(end - first).min(64) as usize];
                    reader.fill(first as usize, totals);
                    (first..).zip(totals.iter()).for_each(|(row, &t)| f(row, t));
                }
            }
            Rows::List(rows) => {
                let mut cursor = column.cursor();
                rows.iter()
                    .for_each(|&row| f(row, total::<PICK>(&cursor.at(row as usize))));
            }
        }
    }

    /// The rows before `end`, and the rest.
    fn split_before(self, end: u32) -> (Rows<'a>, Rows<'a>) {
        match self {
            Rows::Range(start, stop) => {
                let cut = end.clamp(start, stop);
                (Rows::Range(start, cut), Rows::Range(cut, stop))
            }
            Rows::List(rows) => {
                let (before, after) = rows.split_at(rows.partition_point(|&r| r < end));
                (Rows::List(before), Rows::List(after))
            }
        }
    }

    /// The first row, if any.
    fn first(self) -> Option<u32> {
        match self {
            Rows::Range(start, end) => (start < end).then_some(start),
            Rows::List(rows) => rows.first().copied(),
        }
    }

    /// Two halves of about the same number of rows.
    fn halves(self) -> [Rows<'a>; 2] {
        match self {
            Rows::Range(start, end) => {
                let mid = start + (end - start) / 2;
                [Rows::Range(start, mid), Rows::Range(mid, end)]
            }
            Rows::List(rows) => {
                let (a, b) = rows.split_at(rows.len() / 2);
                [Rows::List(a), Rows::List(b)]
            }
        }
    }

    /// Calls `f(group, run, whole)` for each run of rows in one group, in row order;
    /// `whole` says the run is every row of its group.
    pub(crate) fn for_each_group(self, store: &Store, mut f: impl FnMut(usize, Rows<'a>, bool)) {
        let groups = store.groups();
        let mut rest = self;
        let Some(first) = rest.first() else { return };
        let mut g = store.group_index(first);
        while let Some(first) = rest.first() {
            // Groups are walked in order; a long jump is searched for.
            if groups
                .get(g + 8)
                .is_some_and(|next| next.first_row <= first)
            {
                g = store.group_index(first);
            }
            while groups
                .get(g + 1)
                .is_some_and(|next| next.first_row <= first)
            {
                g += 1;
            }
            let rows = store.group_rows(g);
            let (run, after) = rest.split_before(rows.end);
            f(g, run, run.len() == rows.len());
            rest = after;
        }
    }
}

/// The selected rows of `store`, in two parts from `parallel_rows` rows up (when the
/// machine has a second core), else one.
pub(crate) fn parts<'a>(store: &Store, sel: &'a Selection, parallel_rows: usize) -> Vec<Rows<'a>> {
    let len = store.len() as u32;
    let rows = match sel.listed() {
        None => Rows::Range(0, (sel.len() as u32).min(len)),
        Some(listed) => {
            let listed = &listed[..listed.partition_point(|&r| r < len)];
            // Ascending distinct ids below `len`, as many as rows: every row.
            if listed.len() == len as usize {
                Rows::Range(0, len)
            } else {
                Rows::List(listed)
            }
        }
    };
    if rows.len() >= parallel_rows && rows.len() >= 2 {
        rows.halves().to_vec()
    } else {
        vec![rows]
    }
}

/// `f` of each part, in part order; every part but the first on its own thread.
pub(crate) fn map_parts<T: Send>(parts: &[Rows<'_>], f: impl Fn(Rows<'_>) -> T + Sync) -> Vec<T> {
    match parts {
        [] => Vec::new(),
        [only] => vec![f(*only)],
        [first, others @ ..] => std::thread::scope(|scope| {
            let f = &f;
            let handles: Vec<_> = others
                .iter()
                .map(|&part| scope.spawn(move || f(part)))
                .collect();
            let mut out = vec![f(*first)];
            for h in handles {
                // A panic on another thread is a bug in the view: pass it on.
                out.push(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
            }
            out
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::testing::{build, tuple};

    fn collect(rows: Rows) -> Vec<u32> {
        let mut v = Vec::new();
        rows.for_each(|r| v.push(r));
        v
    }

    fn store() -> Store {
        let t = tuple(1, "1.1.1.1", 1, "2.2.2.2", 2);
        build(&[
            ("A".into(), vec![t; 3]),
            ("B".into(), vec![t; 4]),
            ("C".into(), vec![t; 2]),
        ])
    }

    #[test]
    fn parts_cover_the_selection_once_in_order() {
        let store = store();
        let all = Selection::all(store.len());
        let some = Selection::from_sorted(vec![0, 2, 3, 8, 9, 40]);
        for (sel, threshold) in [(&all, 0), (&all, usize::MAX), (&some, 0), (&some, 100)] {
            let parts = parts(&store, sel, threshold);
            assert_eq!(parts.len(), if threshold == 0 { 2 } else { 1 });
            let seen: Vec<u32> = map_parts(&parts, collect).concat();
            let expected: Vec<u32> = sel.iter().filter(|&r| r < 9).collect();
            assert_eq!(seen, expected);
        }
        let empty = Selection::default();
        assert_eq!(
            map_parts(&parts(&store, &empty, 0), collect).concat(),
            Vec::<u32>::new()
        );
    }

    #[test]
    fn totals_walk_every_row_of_a_range_or_a_list() {
        let flows: Vec<_> = (0..150u64)
            .map(|i| {
                let mut t = tuple(1, "1.1.1.1", 1, "2.2.2.2", 2);
                t.counters.bytes_out = i * 70_001;
                t.counters.bytes_in = i % 3;
                t
            })
            .collect();
        let store = build(&[("A".into(), flows)]);
        let listed = [0, 5, 64, 65, 130, 149];
        for rows in [
            Rows::Range(3, 140),
            Rows::Range(0, 150),
            Rows::List(&listed),
        ] {
            let mut seen = Vec::new();
            rows.for_each_with_total::<{ crate::store::counters::picks::BYTES }>(&store, |r, t| {
                seen.push((r, t))
            });
            let expected: Vec<_> = collect(rows)
                .into_iter()
                .map(|r| (r, store.counters(r).bytes()))
                .collect();
            assert_eq!(seen, expected);
        }
    }

    #[test]
    fn group_runs_say_whether_they_hold_the_whole_group() {
        let store = store();
        let runs = |rows: Rows| {
            let mut v = Vec::new();
            rows.for_each_group(&store, |g, run, whole| v.push((g, collect(run), whole)));
            v
        };
        assert_eq!(
            runs(Rows::Range(2, 9)),
            vec![
                (0, vec![2], false),
                (1, vec![3, 4, 5, 6], true),
                (2, vec![7, 8], true)
            ]
        );
        let listed = [0, 1, 2, 4, 6, 8];
        assert_eq!(
            runs(Rows::List(&listed)),
            vec![
                (0, vec![0, 1, 2], true),
                (1, vec![4, 6], false),
                (2, vec![8], false)
            ]
        );
        // Over many groups: far jumps are searched for, near ones walked.
        let t = tuple(1, "1.1.1.1", 1, "2.2.2.2", 2);
        let many = build(
            &(0..40)
                .map(|g| (format!("R{g}"), vec![t; 2]))
                .collect::<Vec<_>>(),
        );
        let listed = [1, 2, 3, 40, 41, 44, 78, 79];
        let mut seen = Vec::new();
        Rows::List(&listed)
            .for_each_group(&many, |g, run, whole| seen.push((g, collect(run), whole)));
        let expected = vec![
            (0, vec![1], false),
            (1, vec![2, 3], true),
            (20, vec![40, 41], true),
            (22, vec![44], false),
            (39, vec![78, 79], true),
        ];
        assert_eq!(seen, expected);
    }
}

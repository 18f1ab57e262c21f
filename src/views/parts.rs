//! A selection's rows cut into parts that are scanned on threads of their own, and the
//! runs of those rows that fall in one group.

use crate::selection::{marked_rows, marked_words, Held, Selection, WordRows};
use crate::store::counters::total;
use crate::store::Store;

/// Rows of a store, ascending and below its length.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Rows<'a> {
    /// Every row in `start..end` (the whole store is selected).
    Range(u32, u32),
    /// Listed row ids.
    List(&'a [u32]),
    /// The rows in `start..end` whose bit is set (bit `i % 64` of word `i / 64` = row
    /// `i`).
    Marked {
        words: &'a [u64],
        start: u32,
        end: u32,
    },
}

impl<'a> Rows<'a> {
    pub(crate) fn len(self) -> usize {
        match self {
            Rows::Range(start, end) => (end - start) as usize,
            Rows::List(rows) => rows.len(),
            Rows::Marked { words, start, end } => marked_words(words, start, end)
                .map(|(_, w)| w.count_ones() as usize)
                .sum(),
        }
    }

    /// Calls `f` with every row. `f` is called from one place only, so the compiler
    /// inlines it (a loop for each kind would each call it: measured 10-25% slower top-N
    /// over every row); the kind is tested in the loop, a branch that always goes the
    /// same way.
    #[inline]
    pub(crate) fn for_each(self, mut f: impl FnMut(u32)) {
        let (start, list, mut marked) = match self {
            Rows::Range(start, _) => (start, None, None),
            Rows::List(rows) => (0, Some(rows), None),
            Rows::Marked { words, start, end } => (0, None, Some(marked_rows(words, start, end))),
        };
        let n = match self {
            Rows::Marked { .. } => usize::MAX,
            _ => self.len(),
        };
        for i in 0..n {
            let row = match (&mut marked, list) {
                (Some(marked), _) => match marked.next() {
                    Some(row) => row,
                    None => return,
                },
                (None, None) => start + i as u32,
                (None, Some(rows)) => rows[i],
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
            Rows::List(_) | Rows::Marked { .. } => {
                let mut cursor = column.cursor();
                self.for_each(|row| f(row, total::<PICK>(&cursor.at(row as usize))));
            }
        }
    }

    /// The rows in `range`.
    pub(crate) fn within(self, range: std::ops::Range<u32>) -> Rows<'a> {
        self.split_before(range.start).1.split_before(range.end).0
    }

    /// The rows before `end`, and the rest.
    fn split_before(self, end: u32) -> (Rows<'a>, Rows<'a>) {
        match self {
            Rows::Range(start, stop) => {
                let cut = end.clamp(start, stop);
                (Rows::Range(start, cut), Rows::Range(cut, stop))
            }
            Rows::List(rows) => {
                let (before, after) = rows.split_at(first_at_least(rows, end));
                (Rows::List(before), Rows::List(after))
            }
            Rows::Marked {
                words,
                start,
                end: stop,
            } => {
                let cut = end.clamp(start, stop);
                (
                    Rows::Marked {
                        words,
                        start,
                        end: cut,
                    },
                    Rows::Marked {
                        words,
                        start: cut,
                        end: stop,
                    },
                )
            }
        }
    }

    /// The first row, if any.
    fn first(self) -> Option<u32> {
        match self {
            Rows::Range(start, end) => (start < end).then_some(start),
            Rows::List(rows) => rows.first().copied(),
            Rows::Marked { words, start, end } => marked_rows(words, start, end).next(),
        }
    }

    /// Two halves of about the same number of rows.
    pub(crate) fn halves(self) -> [Rows<'a>; 2] {
        match self {
            Rows::Range(start, end) => {
                let mid = start + (end - start) / 2;
                [Rows::Range(start, mid), Rows::Range(mid, end)]
            }
            Rows::List(rows) => {
                let (a, b) = rows.split_at(rows.len() / 2);
                [Rows::List(a), Rows::List(b)]
            }
            Rows::Marked { words, start, end } => {
                // Cut where half the rows are behind, not at the middle row: a time
                // range keeps rows in one stretch.
                let mut left = self.len() / 2;
                let mut cut = start;
                for (i, w) in marked_words(words, start, end) {
                    let ones = w.count_ones() as usize;
                    if left <= ones {
                        // Just after the row that makes up half (none: the start).
                        cut = left
                            .checked_sub(1)
                            .and_then(|k| WordRows::new(w, i).nth(k))
                            .map_or(cut, |r| r + 1);
                        break;
                    }
                    left -= ones;
                }
                let (a, b) = self.split_before(cut);
                [a, b]
            }
        }
    }

    /// Calls `f(group, run, whole)` for each run of rows in one group, in row order;
    /// `whole` says the run is every row of its group.
    pub(crate) fn for_each_group(self, store: &Store, mut f: impl FnMut(usize, Rows<'a>, bool)) {
        let mut group = store.group_cursor();
        let mut rest = self;
        while let Some(first) = rest.first() {
            let g = group.at(first);
            let rows = store.group_rows(g);
            let (run, after) = rest.split_before(rows.end);
            f(g, run, run.len() == rows.len());
            rest = after;
        }
    }
}

/// The first place in `rows` (ascending) of a row at least `end`, searched from the front
/// in steps that double: a run of a group's rows costs a few steps, where a binary search
/// of all the rows after it took some twenty (a fifth of a top-N by rule over a listed
/// selection, once a group).
fn first_at_least(rows: &[u32], end: u32) -> usize {
    let mut bound = 1;
    while bound < rows.len() && rows[bound - 1] < end {
        bound *= 2;
    }
    // Every row before `bound / 2` is below `end`.
    let from = bound / 2;
    from + rows[from..bound.min(rows.len())].partition_point(|&r| r < end)
}

/// The selected rows of `store`, in two parts from `parallel_rows` rows up (when the
/// machine has a second core), else one.
pub(crate) fn parts<'a>(store: &Store, sel: &'a Selection, parallel_rows: usize) -> Vec<Rows<'a>> {
    let rows = whole(store, sel);
    if rows.len() >= parallel_rows && rows.len() >= 2 {
        rows.halves().to_vec()
    } else {
        vec![rows]
    }
}

/// Every selected row of `store`.
pub(crate) fn whole<'a>(store: &Store, sel: &'a Selection) -> Rows<'a> {
    let len = store.len() as u32;
    match sel.held() {
        Held::Every(n) => Rows::Range(0, (n as u32).min(len)),
        Held::Marked(words) => Rows::Marked {
            words,
            start: 0,
            end: ((words.len() * 64) as u32).min(len),
        },
        Held::Listed(listed) => {
            let listed = &listed[..listed.partition_point(|&r| r < len)];
            // Ascending distinct ids below `len`, as many as rows: every row.
            if listed.len() == len as usize {
                Rows::Range(0, len)
            } else {
                Rows::List(listed)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::map_each;
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

    /// The doubling search finds what a binary search of every row finds, for lists of
    /// every length up to 40 and every place in them.
    #[test]
    fn first_at_least_is_the_partition_point() {
        for len in 0..40u32 {
            let rows: Vec<u32> = (0..len).map(|i| i * 3 + 1).collect();
            for end in 0..len * 3 + 3 {
                assert_eq!(
                    first_at_least(&rows, end),
                    rows.partition_point(|&r| r < end),
                    "{len} rows, end {end}"
                );
            }
        }
    }

    #[test]
    fn parts_cover_the_selection_once_in_order() {
        let store = store();
        let all = Selection::all(store.len());
        let some = Selection::from_sorted(vec![0, 2, 3, 8, 9, 40]);
        for (sel, threshold) in [(&all, 0), (&all, usize::MAX), (&some, 0), (&some, 100)] {
            let parts = parts(&store, sel, threshold);
            assert_eq!(parts.len(), if threshold == 0 { 2 } else { 1 });
            let seen: Vec<u32> = map_each(&parts, collect).concat();
            let expected: Vec<u32> = sel.iter().filter(|&r| r < 9).collect();
            assert_eq!(seen, expected);
        }
        // Dense enough to be held as bits.
        let marked = Selection::from_bitmap(bits(&[0, 2, 3, 8, 40], 64), 64);
        assert!(matches!(marked.held(), Held::Marked(_)));
        for threshold in [0, 100] {
            let seen: Vec<u32> = map_each(&parts(&store, &marked, threshold), collect).concat();
            assert_eq!(seen, [0, 2, 3, 8]);
        }
        let empty = Selection::default();
        assert_eq!(
            map_each(&parts(&store, &empty, 0), collect).concat(),
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
        // The same rows marked in a bitmap, cut anywhere.
        let words = bits(&listed, 80);
        let mut seen = Vec::new();
        Rows::Marked {
            words: &words,
            start: 0,
            end: 80,
        }
        .for_each_group(&many, |g, run, whole| seen.push((g, collect(run), whole)));
        assert_eq!(seen, expected);
    }

    fn bits(rows: &[u32], len: usize) -> Vec<u64> {
        let mut words = vec![0u64; len.div_ceil(64)];
        rows.iter()
            .for_each(|&r| words[r as usize / 64] |= 1 << (r % 64));
        words
    }

    #[test]
    fn marked_rows_count_split_and_walk_within_their_bounds() {
        let rows: Vec<u32> = (0..300).filter(|r| r % 3 == 0 || r % 7 == 0).collect();
        let words = bits(&rows, 300);
        for (start, end) in [(0, 300), (5, 64), (64, 128), (63, 65), (1, 299), (70, 70)] {
            let marked = Rows::Marked {
                words: &words,
                start,
                end,
            };
            let within: Vec<u32> = rows
                .iter()
                .copied()
                .filter(|r| (start..end).contains(r))
                .collect();
            assert_eq!(collect(marked), within, "{start}..{end}");
            assert_eq!(marked.len(), within.len());
            assert_eq!(marked.first(), within.first().copied());
            let [a, b] = marked.halves();
            assert_eq!([collect(a), collect(b)].concat(), within);
            assert!(a.len().abs_diff(b.len()) <= 1, "{start}..{end} halves");
        }
        // Rows kept in one stretch are still cut in two halves.
        let stretch: Vec<u32> = (200..260).collect();
        let words = bits(&stretch, 300);
        let [a, b] = Rows::Marked {
            words: &words,
            start: 0,
            end: 300,
        }
        .halves();
        assert_eq!((a.len(), b.len()), (30, 30));
    }
}

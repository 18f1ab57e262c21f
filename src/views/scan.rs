//! Walking a selection with each row's group and counters, decoding the counter stream
//! sequentially where rows are close (a fresh seek costs up to a block of skipped rows).

use crate::model::Counters;
use crate::selection::{Held, Selection};
use crate::store::Store;

/// Rows closer than this are reached by decoding the gap rather than seeking.
const RUN_GAP: u32 = 32;

/// Calls `f(row, group_index, counters)` for every selected row, in row order. Rows past
/// the end of the store are ignored.
pub(crate) fn for_each_row(
    store: &Store,
    sel: &Selection,
    mut f: impl FnMut(u32, usize, &Counters),
) {
    let rows = match sel.held() {
        Held::Every(n) => return for_rows_below(store, n.min(store.len()), f),
        Held::Listed(rows) => rows,
        Held::Marked(words) => {
            // More than one row in 32: decoding every row is about what seeking each
            // would cost.
            let end = (words.len() * 64).min(store.len());
            return for_rows_below(store, end, |row, g, c| {
                if words[row as usize / 64] >> (row % 64) & 1 == 1 {
                    f(row, g, c);
                }
            });
        }
    };
    let column = store.counter_column();
    let len = store.len() as u32;
    if rows.len() == len as usize {
        // Ascending distinct ids below `len`, as many as rows: every row.
        return for_rows_below(store, store.len(), f);
    }
    let mut group = store.group_cursor();
    let mut i = 0;
    while i < rows.len() && rows[i] < len {
        let mut j = i + 1;
        while j < rows.len() && rows[j] < len && rows[j] - rows[j - 1] < RUN_GAP {
            j += 1;
        }
        let (start, end) = (rows[i], rows[j - 1] + 1);
        let mut next = i;
        for (row, counters) in (start..end).zip(column.iter_range(start as usize, end as usize)) {
            if row != rows[next] {
                continue;
            }
            f(row, group.at(row), &counters);
            next += 1;
        }
        i = j;
    }
}

/// Rows `0..end`, group by group, without looking rows up in a selection.
fn for_rows_below(store: &Store, end: usize, mut f: impl FnMut(u32, usize, &Counters)) {
    let mut counters = store.counter_column().iter_range(0, end);
    for g in 0..store.groups().len() {
        for row in store.group_rows(g) {
            match counters.next() {
                Some(c) => f(row, g, &c),
                None => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::testing::{build, tuple};

    #[test]
    fn visits_exactly_the_selected_rows_with_their_counters_and_groups() {
        let mut groups = Vec::new();
        for g in 0..5u64 {
            let tuples: Vec<_> = (0..50u64)
                .map(|i| {
                    let mut t = tuple((g * 50 + i) as i64, "1.1.1.1", 1, "2.2.2.2", 2);
                    t.counters.bytes_out = g * 1000 + i * 7;
                    t
                })
                .collect();
            groups.push((format!("R{g}"), tuples));
        }
        let store = build(&groups);
        let picked: Vec<u32> = vec![0, 1, 2, 40, 49, 50, 120, 199, 200, 249, 400];
        let mut seen = Vec::new();
        for_each_row(
            &store,
            &Selection::from_sorted(picked.clone()),
            |row, g, c| {
                seen.push((row, g, c.bytes_out));
            },
        );
        let expected: Vec<_> = picked
            .iter()
            .filter(|&&r| r < 250)
            .map(|&r| {
                let (g, i) = (r as u64 / 50, r as u64 % 50);
                (r, g as usize, g * 1000 + i * 7)
            })
            .collect();
        assert_eq!(seen, expected);

        let mut every = Vec::new();
        for_each_row(&store, &Selection::all(store.len()), |row, g, c| {
            every.push((row, g, c.bytes_out))
        });
        let expected: Vec<_> = (0..250u32)
            .map(|r| {
                let (g, i) = (r as u64 / 50, r as u64 % 50);
                (r, g as usize, g * 1000 + i * 7)
            })
            .collect();
        assert_eq!(every, expected);

        // A dense selection, held as bits, reaching past the store's rows.
        let mut words = vec![0u64; 5];
        (0..300usize)
            .filter(|r| r % 2 == 0)
            .for_each(|r| words[r / 64] |= 1 << (r % 64));
        let marked = Selection::from_bitmap(words, 300);
        assert!(matches!(marked.held(), Held::Marked(_)));
        let mut even = Vec::new();
        for_each_row(&store, &marked, |row, g, c| {
            even.push((row, g, c.bytes_out))
        });
        let evens: Vec<_> = expected.iter().copied().filter(|e| e.0 % 2 == 0).collect();
        assert_eq!(even, evens);

        // Every row of a shorter store: only the rows below its count.
        let mut first = Vec::new();
        for_each_row(&store, &Selection::all(120), |row, g, c| {
            first.push((row, g, c.bytes_out))
        });
        assert_eq!(first, expected[..120]);
    }
}

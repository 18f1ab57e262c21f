//! A selection's rows in time order, found a window at a time through the store's time
//! index instead of sorting them all: sorting 100M rows held 400 MB of row ids, plus
//! scratch space, on top of the store, and took seconds.
//!
//! ```text
//! count   one pass over the selection: selected rows per cell of time, summed up to
//!         the position of each cell's first row (4 MB at most; none for every row)
//! window  positions → the cells holding them → the blocks of rows touching those
//!         cells → their selected rows, sorted by (time, state, row) → the positions asked
//! ```
//! The order is the one a stable sort by `Store::time_order` gives: time, then state
//! (B < C < E < D), then row id.

use super::parts::{whole, Rows};
use crate::selection::{Held, Selection};
use crate::store::time_index::prefix_sums;
use crate::store::{Store, TimeIndex};
use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};

/// Above this many rows read to find one cell's rows, a window costs more than a sort
/// is worth: the times are too jumbled across the blocks, or too many rows share few
/// cells.
const WIDEST_READ: usize = 1 << 18;
/// Rows counted between two checks for staleness.
const STEP: u32 = 1 << 22;
/// Positions gathered beyond each end of the ones asked for, so that scrolling reads
/// the store about once a page.
const MARGIN: usize = 256;

/// Holds no store: each read is given the store the order was made for, or one that
/// store's rows begin (the explorer's stores grow while they load).
#[derive(Debug)]
pub struct Chronology {
    index: Arc<TimeIndex>,
    sel: Arc<Selection>,
    /// Selected rows before each cell of the store's time index; the last entry is
    /// every selected row.
    before: Arc<Vec<u32>>,
    /// The rows of the positions last gathered.
    recent: Mutex<Window>,
}

#[derive(Debug, Default)]
struct Window {
    first: usize,
    rows: Vec<u32>,
}

impl Chronology {
    /// True when the store's times lie so that windows are cheap (see `WIDEST_READ`);
    /// else sort. Builds the store's time index on first use.
    pub fn suits(store: &Store) -> bool {
        store.time_index().widest_read() <= WIDEST_READ
    }

    /// The time order of `sel`; `None` once `stale` says it is no longer wanted.
    pub fn new(store: &Store, sel: Arc<Selection>, stale: &dyn Fn() -> bool) -> Option<Chronology> {
        let index = store.time_index();
        let before = match sel.held() {
            Held::Every(n) if n >= store.len() => Arc::clone(index.rows_before()),
            _ => Arc::new(prefix_sums(count_cells(store, index, &sel, stale)?)),
        };
        Some(Chronology {
            index: Arc::clone(index),
            sel,
            before,
            recent: Mutex::default(),
        })
    }

    /// How many rows are in order.
    pub fn len(&self) -> usize {
        self.before.last().map_or(0, |&n| n as usize)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows at `positions` of the time order (clipped to its length).
    pub fn rows(&self, store: &Store, positions: Range<usize>) -> Vec<u32> {
        let end = positions.end.min(self.len());
        let start = positions.start.min(end);
        // A cache of what was last gathered, not state: the answer is the same without.
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        if start < recent.first || end > recent.first + recent.rows.len() {
            let around = start.saturating_sub(MARGIN)..end.saturating_add(MARGIN).min(self.len());
            *recent = self.gather(store, around);
        }
        // Clipped, not trusted: a store that is not the order's (nor one its rows begin)
        // gives fewer rows rather than a panic.
        let have = recent.rows.len();
        let from = start.saturating_sub(recent.first).min(have);
        recent.rows[from..end.saturating_sub(recent.first).clamp(from, have)].to_vec()
    }

    /// The rows at `positions` (clipped to the order), read without the cache `rows`
    /// keeps: for a reader that goes through the order once, front to back, the margins
    /// `rows` gathers around each window would be read twice.
    pub fn read(&self, store: &Store, positions: Range<usize>) -> Vec<u32> {
        let end = positions.end.min(self.len());
        self.gather(store, positions.start.min(end)..end).rows
    }

    /// The rows at `positions`, read from the blocks touching their cells.
    fn gather(&self, store: &Store, positions: Range<usize>) -> Window {
        let first = positions.start;
        if positions.is_empty() {
            return Window::default();
        }
        let before = &self.before;
        // The cell holding position p: the last whose first position is at most p.
        let cell_of = |p: usize| before.partition_point(|&b| b as usize <= p) - 1;
        let cells = cell_of(positions.start)..cell_of(positions.end - 1) + 1;
        let index = &self.index;
        // Skip blocks whose touched cells hold no selected row.
        let ranges = index.rows_touching(cells.clone(), |a, b| before[b + 1] > before[a]);
        let whole = whole(store, &self.sel);
        let mut found: Vec<(i64, u32)> = Vec::new();
        for range in ranges {
            whole.within(range).for_each(|row| {
                if cells.contains(&index.cell(store.time_ms(row))) {
                    found.push((store.time_order(row), row));
                }
            });
        }
        found.sort_unstable();
        let skip = positions.start - before[cells.start] as usize;
        let rows = found
            .iter()
            .skip(skip)
            .take(positions.len())
            .map(|&(_, row)| row)
            .collect();
        Window { first, rows }
    }
}

/// Selected rows in each cell of `index`, on two threads for a long selection.
fn count_cells(
    store: &Store,
    index: &TimeIndex,
    sel: &Selection,
    stale: &dyn Fn() -> bool,
) -> Option<Vec<u32>> {
    let rows = whole(store, sel);
    let split = rows.len() >= crate::parallel::split_rows();
    let mut counts = vec![0u32; index.cells()];
    let mut more = if split { counts.clone() } else { Vec::new() };
    let tally = |rows: Rows, counts: &mut [u32]| {
        rows.for_each(|row| {
            index.tally(store, row, counts);
        })
    };
    for start in (0..store.len() as u32).step_by(STEP as usize) {
        if stale() {
            return None;
        }
        let piece = rows.within(start..start.saturating_add(STEP));
        if split {
            let [a, b] = piece.halves();
            std::thread::scope(|scope| {
                scope.spawn(|| tally(b, &mut more));
                tally(a, &mut counts);
            });
        } else {
            tally(piece, &mut counts);
        }
    }
    counts.iter_mut().zip(more).for_each(|(a, b)| *a += b);
    Some(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::testing::{jumbled, streams};

    /// The order a stable sort by time and state gives.
    fn sorted(store: &Store, sel: &Selection) -> Vec<u32> {
        let mut rows = sel.to_vec();
        rows.sort_by_key(|&r| store.time_order(r));
        rows
    }

    fn selections(store: &Store) -> Vec<Selection> {
        let n = store.len() as u32;
        let mut words = vec![0u64; store.len().div_ceil(64)];
        (0..n)
            .filter(|r| r % 5 != 2)
            .for_each(|r| words[r as usize / 64] |= 1 << (r % 64));
        let marked = Selection::from_bitmap(words, store.len());
        assert!(matches!(marked.held(), Held::Marked(_)), "held as bits");
        vec![
            Selection::all(store.len()),
            Selection::from_sorted((0..n).filter(|r| r % 97 == 3).collect()),
            marked,
            Selection::from_sorted(Vec::new()),
        ]
    }

    #[test]
    fn windows_read_the_stable_time_order() {
        let store = streams(3000);
        assert!(Chronology::suits(&store));
        for sel in selections(&store) {
            let want = sorted(&store, &sel);
            let chron = Chronology::new(&store, Arc::new(sel), &|| false).unwrap();
            assert_eq!(chron.len(), want.len());
            assert_eq!(chron.rows(&store, 0..usize::MAX), want);
            // Windows anywhere, forwards and back, and past the end.
            let n = want.len();
            for start in [n / 2, 0, n.saturating_sub(3), n / 3, n + 5] {
                for len in [0, 1, 40, 700] {
                    let end = (start + len).min(n);
                    let start = start.min(end);
                    assert_eq!(
                        chron.rows(&store, start..start + len),
                        want[start..end],
                        "{start}+{len}"
                    );
                }
            }
            // Window after window, as `query` reads it.
            let mut streamed = Vec::new();
            for start in (0..n).step_by(333) {
                streamed.extend(chron.rows(&store, start..start + 333));
            }
            assert_eq!(streamed, want);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Any times (ties, a single instant, spans of seconds or of a century, in order
        /// or not) and any rows kept: every window is the stable sort's.
        #[test]
        fn any_times_any_rows_read_as_the_stable_sort(
            span in proptest::prop_oneof![
                proptest::strategy::Just(1i64),
                proptest::strategy::Just(3_000),
                proptest::strategy::Just(90_000_000),
                proptest::strategy::Just(4_000_000_000_000),
            ],
            times in proptest::collection::vec(0i64..1 << 40, 1..2600),
            in_order in proptest::bool::ANY,
            keep in proptest::collection::vec(0u8..4, 1..64),
            windows in proptest::collection::vec((0usize..3000, 0usize..300), 1..6),
        ) {
            let mut times: Vec<i64> = times.iter().map(|t| t % span).collect();
            if in_order {
                times.sort();
            }
            let tuples = times
                .iter()
                .map(|&t| crate::views::testing::tuple(t, "10.0.0.1", 1, "10.0.0.2", 2))
                .collect();
            let store = crate::views::testing::build(&[("R".to_string(), tuples)]);
            let n = store.len() as u32;
            // Each row kept by the pattern `keep`, read cyclically; the form varies with it.
            let listed: Vec<u32> = (0..n).filter(|&r| keep[r as usize % keep.len()] > 0).collect();
            let sel = if keep.len() % 2 == 0 {
                Selection::from_sorted(listed)
            } else {
                let mut words = vec![0u64; store.len().div_ceil(64)];
                listed.iter().for_each(|&r| words[r as usize / 64] |= 1 << (r % 64));
                Selection::from_bitmap(words, store.len())
            };
            let want = sorted(&store, &sel);
            let chron = Chronology::new(&store, Arc::new(sel), &|| false).unwrap();
            proptest::prop_assert_eq!(chron.len(), want.len());
            for (start, len) in windows {
                let end = (start + len).min(want.len());
                let got = chron.rows(&store, start..start + len);
                proptest::prop_assert_eq!(&got[..], &want[start.min(end)..end]);
            }
        }
    }

    #[test]
    fn another_store_gives_fewer_rows_not_a_panic() {
        let store = streams(300);
        let small = streams(10);
        for sel in selections(&store) {
            let chron = Chronology::new(&store, Arc::new(sel), &|| false).unwrap();
            let got = chron.rows(&small, 0..chron.len());
            assert!(got.len() <= small.len());
            assert!(got.iter().all(|&r| (r as usize) < small.len()));
        }
    }

    #[test]
    fn a_stale_count_gives_up() {
        let store = jumbled(30);
        let sel = Arc::new(Selection::from_sorted(vec![1, 5, 9]));
        assert!(Chronology::new(&store, sel, &|| true).is_none());
        // Every row needs no count, so there is nothing to give up.
        let every = Arc::new(Selection::all(store.len()));
        assert!(Chronology::new(&store, every, &|| true).is_some());
    }
}

//! Where the rows of a stretch of time lie, so that rows can be listed in time order a
//! screenful at a time instead of all sorted at once (a sort of 100M rows held 4 bytes a
//! row plus scratch space on top of the store, and took seconds).
//!
//! ```text
//! time   |cell 0|cell 1|cell 2|cell 3| …      equal cells, 2^shift ms wide, ≤ MAX_CELLS
//! rows   [block 0 ][block 1 ][block 2 ] …     BLOCK rows each, in load order
//! block  → first and last cell its rows fall in
//! cell   → rows of the store before it (a prefix sum: the position of its first row)
//! ```
//! Flow log files are chronological and each covers an hour, so a block spans few cells
//! and the rows of a cell are found by reading the few blocks that touch it. Times that
//! are jumbled across a wide span make blocks wide; `widest_read` says how many rows the
//! worst cell costs, so a caller can sort instead.

use super::Store;
use std::ops::Range;
use std::sync::Arc;

/// Rows a block holds.
const BLOCK: usize = 1024;
/// At most this many cells: 4 MB of counts for a selection.
const MAX_CELLS: usize = 1 << 20;

#[derive(Debug, Clone, Default)]
pub struct TimeIndex {
    /// Time of the start of cell 0, ms since the epoch.
    start_ms: i64,
    /// A cell is `1 << shift` ms wide.
    shift: u32,
    /// First and last cell of each block's rows.
    blocks: Vec<(u32, u32)>,
    /// Rows of the store before each cell; one entry more than cells, the last is every
    /// row. Shared with the time order of an unfiltered view.
    rows_before: Arc<Vec<u32>>,
    /// The most rows that finding every row of one cell reads.
    widest_read: usize,
    cells: usize,
}

impl Store {
    /// The store's time index, built on first use (one pass over the times). Shared,
    /// so that an order read through it outlives no store.
    pub fn time_index(&self) -> &Arc<TimeIndex> {
        self.time_index
            .get_or_init(|| Arc::new(TimeIndex::build(self)))
    }
}

impl TimeIndex {
    fn build(store: &Store) -> TimeIndex {
        let Some((first, last)) = store.time_range() else {
            return TimeIndex {
                rows_before: Arc::new(vec![0]),
                ..TimeIndex::default()
            };
        };
        // Cell of the newest time = cells - 1.
        let newest = (last - first).max(0) as u64;
        let shift = (0..63)
            .find(|&s| newest >> s < MAX_CELLS as u64)
            .unwrap_or(63);
        let cells = (newest >> shift) as usize + 1;
        let mut index = TimeIndex {
            start_ms: first,
            shift,
            cells,
            ..TimeIndex::default()
        };
        let blocks = store.len().div_ceil(BLOCK);
        // Two halves on two threads, cut at a block boundary.
        let halves = if store.len() >= crate::parallel::split_rows() {
            vec![(0, blocks / 2), (blocks / 2, blocks)]
        } else {
            vec![(0, blocks)]
        };
        let scanned = crate::parallel::map_each(&halves, |(a, b)| index.scan(store, a..b));
        let mut counts = vec![0u32; cells];
        for (spans, part) in scanned {
            index.blocks.extend(spans);
            counts.iter_mut().zip(part).for_each(|(a, b)| *a += b);
        }
        index.widest_read = widest_read(&index.blocks, store.len(), cells);
        index.rows_before = Arc::new(prefix_sums(counts));
        index
    }

    /// The cells of `blocks`' rows, and how many rows fall in each cell.
    fn scan(&self, store: &Store, blocks: Range<usize>) -> (Vec<(u32, u32)>, Vec<u32>) {
        let mut counts = vec![0u32; self.cells];
        let spans = blocks
            .map(|b| {
                let mut span = (u32::MAX, 0);
                for row in block_rows(b, store.len()) {
                    let cell = self.tally(store, row as u32, &mut counts) as u32;
                    span = (span.0.min(cell), span.1.max(cell));
                }
                span
            })
            .collect();
        (spans, counts)
    }

    pub fn heap_bytes(&self) -> usize {
        self.blocks.capacity() * 8 + self.rows_before.capacity() * 4
    }

    /// Counts `row` in its cell of `counts` (one slot a cell); returns the cell.
    #[inline]
    pub fn tally(&self, store: &Store, row: u32, counts: &mut [u32]) -> usize {
        let cell = self.cell(store.time_ms(row));
        counts[cell] += 1;
        cell
    }

    /// Number of cells.
    pub fn cells(&self) -> usize {
        self.cells
    }

    /// The cell a time of the store falls in.
    #[inline]
    pub fn cell(&self, time_ms: i64) -> usize {
        let offset = (time_ms - self.start_ms).max(0) as u64 >> self.shift;
        (offset as usize).min(self.cells.saturating_sub(1))
    }

    /// Rows of the store before each cell, and every row last.
    pub fn rows_before(&self) -> &Arc<Vec<u32>> {
        &self.rows_before
    }

    /// The most rows that finding every row of one cell reads: the sum of the blocks
    /// that touch it.
    pub fn widest_read(&self) -> usize {
        self.widest_read
    }

    /// The stretches of rows to read to find every row whose cell is in `cells`: the
    /// blocks that touch those cells, and for which `wanted(first, last)` holds of the
    /// cells (inclusive) they touch there. Adjacent blocks are joined.
    pub fn rows_touching(
        &self,
        cells: Range<usize>,
        mut wanted: impl FnMut(usize, usize) -> bool,
    ) -> Vec<Range<u32>> {
        let mut out: Vec<Range<u32>> = Vec::new();
        let Some(last_cell) = cells.end.checked_sub(1) else {
            return out;
        };
        // The last prefix sum is every row of the store.
        let total = self.rows_before[self.cells] as usize;
        for (b, &(lo, hi)) in self.blocks.iter().enumerate() {
            let (lo, hi) = ((lo as usize).max(cells.start), (hi as usize).min(last_cell));
            if lo > hi || !wanted(lo, hi) {
                continue;
            }
            let rows = block_rows(b, total);
            let (start, end) = (rows.start as u32, rows.end as u32);
            match out.last_mut() {
                Some(last) if last.end == start => last.end = end,
                _ => out.push(start..end),
            }
        }
        out
    }
}

/// The rows of block `b` of a store of `rows` rows.
fn block_rows(b: usize, rows: usize) -> Range<usize> {
    b * BLOCK..((b + 1) * BLOCK).min(rows)
}

/// `counts` turned into the count before each entry, with the total appended.
pub fn prefix_sums(mut counts: Vec<u32>) -> Vec<u32> {
    let mut total = 0u32;
    for c in counts.iter_mut() {
        let n = *c;
        *c = total;
        total += n;
    }
    counts.push(total);
    counts
}

/// The largest sum of the lengths of the blocks that touch one cell.
fn widest_read(blocks: &[(u32, u32)], rows: usize, cells: usize) -> usize {
    // Each block adds its length to a run of cells: a difference array, then a running
    // sum. Every true sum is at most `rows`, so wrapping arithmetic ends exact.
    let mut diff = vec![0u32; cells + 1];
    for (b, &(lo, hi)) in blocks.iter().enumerate() {
        let len = block_rows(b, rows).len() as u32;
        diff[lo as usize] = diff[lo as usize].wrapping_add(len);
        diff[hi as usize + 1] = diff[hi as usize + 1].wrapping_sub(len);
    }
    let mut sum = 0u32;
    let mut widest = 0u32;
    for d in &diff[..cells] {
        sum = sum.wrapping_add(*d);
        widest = widest.max(sum);
    }
    widest as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::testing::{jumbled, streams};

    /// Every row's cell, read the slow way.
    fn cells_of(store: &Store) -> Vec<usize> {
        let index = store.time_index();
        (0..store.len() as u32)
            .map(|r| index.cell(store.time_ms(r)))
            .collect()
    }

    #[test]
    fn cells_follow_time_and_count_every_row() {
        let store = jumbled(40);
        let index = store.time_index();
        let cells = cells_of(&store);
        assert!(index.cells() <= MAX_CELLS && index.cells() > 1);
        for a in 0..store.len() as u32 {
            for b in [0, a / 2, store.len() as u32 - 1] {
                if store.time_ms(a) < store.time_ms(b) {
                    assert!(cells[a as usize] <= cells[b as usize]);
                }
            }
        }
        let before = index.rows_before();
        for c in 0..index.cells() {
            let n = cells.iter().filter(|&&x| x == c).count() as u32;
            assert_eq!(before[c + 1] - before[c], n, "cell {c}");
        }
        assert_eq!(*before.last().unwrap() as usize, store.len());
    }

    #[test]
    fn rows_touching_a_cell_hold_all_its_rows() {
        for store in [streams(3 * BLOCK / 10 + 7), jumbled(70)] {
            let index = store.time_index();
            let cells = cells_of(&store);
            // Every cell's read the slow way: the lengths of the blocks around it.
            let blocks: Vec<(usize, usize, usize)> = cells
                .chunks(BLOCK)
                .map(|b| (*b.iter().min().unwrap(), *b.iter().max().unwrap(), b.len()))
                .collect();
            let widest = (0..index.cells())
                .map(|c| {
                    blocks
                        .iter()
                        .filter(|b| b.0 <= c && c <= b.1)
                        .map(|b| b.2)
                        .sum()
                })
                .max()
                .unwrap_or(0);
            assert_eq!(index.widest_read(), widest);
            let step = index.cells() / 300 + 1;
            let sample = (0..index.cells())
                .step_by(step)
                .chain(cells.iter().step_by(97).copied());
            for c in sample {
                let ranges = index.rows_touching(c..c + 1, |_, _| true);
                let found: Vec<u32> = ranges
                    .into_iter()
                    .flatten()
                    .filter(|&r| cells[r as usize] == c)
                    .collect();
                let want: Vec<u32> = (0..store.len() as u32)
                    .filter(|&r| cells[r as usize] == c)
                    .collect();
                assert_eq!(found, want, "cell {c}");
            }
            // Nothing wanted, nothing read.
            assert!(index
                .rows_touching(0..index.cells(), |_, _| false)
                .is_empty());
        }
        let store = streams(3 * BLOCK / 10 + 7);
        assert!(store.len() > 2 * BLOCK, "several blocks");
        assert!(
            store.time_index().widest_read() < store.len() / 2,
            "blocks span few cells"
        );
    }

    #[test]
    fn one_instant_and_no_rows() {
        let empty = Store::default();
        assert_eq!(empty.time_index().cells(), 0);
        assert_eq!(**empty.time_index().rows_before(), [0]);
        let mut one = jumbled(1);
        one.secs.iter_mut().for_each(|s| *s = 7);
        assert!(one.flags_high.is_empty(), "NSG rows carry no milliseconds");
        one.time_range = Some((7000, 7000));
        let index = one.time_index();
        assert_eq!(index.cells(), 1);
        assert_eq!(index.widest_read(), one.len());
    }
}

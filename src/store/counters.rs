//! Byte and packet counters, packed as a variable-width stream.
//!
//! Most tuples carry small counters or none at all (B and D tuples), so four fixed `u64`
//! columns (32 bytes a tuple) would be most of the store's memory. Each row is instead one
//! header byte (a 2-bit width code per counter: 0, 1, 2 or 4 bytes) and its values in those
//! widths. A `B` tuple costs 1 byte, a typical `C` tuple 7 to 11. The header bytes are a
//! column of their own, apart from the values: a scan then finds the next row's values by
//! adding a table lookup of a header it has already loaded, instead of first loading a
//! header whose place depends on the row before (a chain of dependent loads that made a
//! `bytes > 1MB` scan four times slower than its other columns). Each value is one masked
//! unaligned read inside a fixed window, without a bounds check per byte. Values that do
//! not fit 32 bits (a multi-gigabyte 5-minute delta) are written as the sentinel
//! `u32::MAX` and kept exactly in a small side table. Every `BLOCK` rows the values'
//! offset is kept so any row is reached by summing at most `BLOCK - 1` header widths.

use crate::model::Counters;

const BLOCK: usize = 64;
const WIDTH: [usize; 4] = [0, 1, 2, 4];
/// The widest row's values, and so the window a row's values are read from.
const WINDOW: usize = 16;
#[derive(Debug, Default, Clone)]
pub struct CounterColumn {
    /// One header byte per row.
    heads: Vec<u8>,
    /// Every row's values back to back, then `WINDOW` zero bytes so the last row's window
    /// is whole.
    values: Vec<u8>,
    /// Offset in `values` of every `BLOCK`-th row.
    block_starts: Vec<u64>,
    /// Rows with a value above `u32::MAX`, ascending by row.
    wide: Vec<(u32, Counters)>,
}

impl CounterColumn {
    pub fn len(&self) -> usize {
        self.heads.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heads.is_empty()
    }

    pub fn reserve(&mut self, rows: usize) {
        self.heads.reserve(rows);
        self.values.reserve(rows * 3);
        self.block_starts.reserve(rows / BLOCK + 1);
    }

    pub fn shrink_to_fit(&mut self) {
        self.heads.shrink_to_fit();
        self.values.shrink_to_fit();
        self.block_starts.shrink_to_fit();
        self.wide.shrink_to_fit();
    }

    /// Heap bytes held, for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        self.heads.capacity()
            + self.values.capacity()
            + self.block_starts.capacity() * 8
            + self.wide.capacity() * std::mem::size_of::<(u32, Counters)>()
    }

    /// The values without the padding after them.
    fn unpadded(&self) -> &[u8] {
        &self.values[..self.values.len().saturating_sub(WINDOW)]
    }

    fn unpad(&mut self) {
        let end = self.values.len().saturating_sub(WINDOW);
        self.values.truncate(end);
    }

    pub fn push(&mut self, c: &Counters) {
        self.unpad();
        let row = self.len();
        if row.is_multiple_of(BLOCK) {
            self.block_starts.push(self.values.len() as u64);
        }
        let values = [c.packets_out, c.bytes_out, c.packets_in, c.bytes_in];
        if values.iter().any(|&v| v >= u32::MAX as u64) {
            self.wide.push((row as u32, *c));
        }
        // The values and the padding after them are written into a fixed buffer (each
        // value as a whole u32, the next one overwriting its unused bytes), then copied in
        // one go.
        let mut buf = [0u8; 2 * WINDOW];
        let mut head = 0u8;
        let mut at = 0;
        for (i, v) in values.iter().enumerate() {
            let code = width_code(*v);
            head |= code << (i * 2);
            let v = (*v).min(u32::MAX as u64) as u32;
            buf[at..at + 4].copy_from_slice(&v.to_le_bytes());
            at += WIDTH[code as usize];
        }
        buf[at..at + WINDOW].fill(0);
        self.heads.push(head);
        self.values.extend_from_slice(&buf[..at + WINDOW]);
    }

    /// Appends every row of `other`, in order: headers and values are copied as they are
    /// and only the block offsets are recomputed (merging per-file columns is on the load
    /// path).
    pub fn extend_from(&mut self, other: &CounterColumn) {
        let base = self.len() as u32;
        self.wide
            .extend(other.wide.iter().map(|(row, c)| (row + base, *c)));
        self.unpad();
        let mut pos = self.values.len();
        for (row, &head) in (self.heads.len()..).zip(&other.heads) {
            if row.is_multiple_of(BLOCK) {
                self.block_starts.push(pos as u64);
            }
            pos += LEN[head as usize] as usize;
        }
        self.heads.extend_from_slice(&other.heads);
        self.values.extend_from_slice(other.unpadded());
        self.values.extend_from_slice(&[0; WINDOW]);
    }

    pub fn get(&self, row: usize) -> Counters {
        self.cursor().at(row)
    }

    /// The offset of `row`'s values, from its block's.
    fn offset(&self, row: usize) -> usize {
        self.block_starts[row / BLOCK] as usize + self.values_len(row - row % BLOCK..row)
    }

    /// How many bytes of values `rows` take.
    #[inline(always)]
    fn values_len(&self, rows: std::ops::Range<usize>) -> usize {
        self.heads[rows]
            .iter()
            .map(|&h| LEN[h as usize] as usize)
            .sum()
    }

    fn wide_value(&self, row: usize) -> Option<Counters> {
        self.wide
            .binary_search_by_key(&(row as u32), |(r, _)| *r)
            .ok()
            .map(|i| self.wide[i].1)
    }

    /// The counters of `row`, whose values start at `pos`.
    #[inline(always)]
    fn decode(&self, row: usize, head: u8, pos: usize) -> Counters {
        let c = read_window(head, &self.values[pos..pos + WINDOW]);
        if c.has_sentinel() {
            return self.wide_value(row).unwrap_or(c);
        }
        c
    }

    /// Counters of rows `start..end`, decoded sequentially (fast for scans).
    pub fn iter_range(&self, start: usize, end: usize) -> impl Iterator<Item = Counters> + '_ {
        let end = end.min(self.len());
        let mut pos = if start < end { self.offset(start) } else { 0 };
        let heads = self.heads.get(start..end).unwrap_or_default();
        // Wide rows come in row order, so a scan walks their table alongside.
        let mut wide = self.wide[self.wide.partition_point(|(r, _)| (*r as usize) < start)..]
            .iter()
            .peekable();
        (start..).zip(heads).map(move |(row, &head)| {
            let c = read_window(head, &self.values[pos..pos + WINDOW]);
            pos += LEN[head as usize] as usize;
            match wide.peek() {
                Some((r, exact)) if *r as usize == row => {
                    wide.next();
                    *exact
                }
                _ => c,
            }
        })
    }
}

/// The values a total adds up, one bit each in `Counters` order: packets out (bit 0),
/// bytes out, packets in, bytes in.
pub mod picks {
    pub const BYTES: u8 = 0b1010;
    pub const PACKETS: u8 = 0b0101;
    pub const BYTES_OUT: u8 = 0b0010;
    pub const BYTES_IN: u8 = 0b1000;
    pub const PACKETS_OUT: u8 = 0b0001;
    pub const PACKETS_IN: u8 = 0b0100;
}

/// The sum of the values of `c` that `PICK` names (see `picks`).
#[inline(always)]
pub fn total<const PICK: u8>(c: &Counters) -> u64 {
    let values = [c.packets_out, c.bytes_out, c.packets_in, c.bytes_in];
    (0..4)
        .filter(|i| PICK >> i & 1 == 1)
        .fold(0u64, |sum, i| sum.saturating_add(values[i]))
}

/// Reads one total (the sum of the values `PICK` names, see `picks`) of rows in ascending
/// runs, for scans.
pub struct Totals<'a, const PICK: u8> {
    column: &'a CounterColumn,
    /// The first wide row not yet passed.
    wide: usize,
}

impl CounterColumn {
    /// A reader of totals from row `from` on.
    pub fn totals<const PICK: u8>(&self, from: usize) -> Totals<'_, PICK> {
        Totals {
            column: self,
            wide: self.wide.partition_point(|(r, _)| (*r as usize) < from),
        }
    }
}

impl<const PICK: u8> Totals<'_, PICK> {
    /// Into `out`, the totals of rows `start..start + out.len()`; each run starts at or
    /// after the one before. Scans ask for 64 rows at a time from a block's first row, so
    /// a run's start is one table read; the loop has no branch per row (a row above
    /// `u32::MAX` is mended after it), so the compiler keeps it tight, and drops the
    /// reads of the values the total does not add up.
    #[inline(always)]
    pub fn fill(&mut self, start: usize, out: &mut [u64]) {
        let column = self.column;
        let end = start + out.len();
        let mut pos = if start.is_multiple_of(BLOCK) {
            column
                .block_starts
                .get(start / BLOCK)
                .map_or(0, |&p| p as usize)
        } else {
            column.offset(start)
        };
        for (sum, &head) in out.iter_mut().zip(&column.heads[start..end]) {
            let Some(window) = column.values.get(pos..pos + WINDOW) else {
                unreachable!("every row's window is inside the padded values");
            };
            *sum = total::<PICK>(&read_window(head, window));
            pos += LEN[head as usize] as usize;
        }
        let wide = &column.wide;
        while let Some((row, exact)) = wide.get(self.wide) {
            let row = *row as usize;
            if row >= end {
                break;
            }
            if row >= start {
                out[row - start] = total::<PICK>(exact);
            }
            self.wide += 1;
        }
    }
}

/// A reader that moves forward through the rows of a column, decoding only the rows asked
/// for: rows passed over cost a table lookup each (or a jump to their block when far).
pub struct CounterCursor<'a> {
    column: &'a CounterColumn,
    /// The row at `pos`.
    row: usize,
    pos: usize,
}

impl CounterColumn {
    /// A cursor at the first row.
    pub fn cursor(&self) -> CounterCursor<'_> {
        CounterCursor {
            column: self,
            row: 0,
            pos: 0,
        }
    }
}

impl CounterCursor<'_> {
    /// The counters of `row`. Rows asked for in ascending order are fastest; an earlier
    /// row (or one at least a block ahead) is reached through its block's offset.
    #[inline(always)]
    pub fn at(&mut self, row: usize) -> Counters {
        let column = self.column;
        assert!(
            row < column.len(),
            "counter row {row} out of {}",
            column.len()
        );
        if row < self.row || row - self.row >= BLOCK {
            self.pos = column.offset(row);
        } else {
            self.pos += column.values_len(self.row..row);
        }
        let head = column.heads[row];
        let c = column.decode(row, head, self.pos);
        self.pos += LEN[head as usize] as usize;
        self.row = row + 1;
        c
    }
}

/// The values of a row with header `head`, read from the window its values start: each
/// value is one unaligned read at an offset looked up for the header, masked to its
/// width, so without a bounds check per byte.
#[inline(always)]
fn read_window(head: u8, window: &[u8]) -> Counters {
    let Ok(window) = <&[u8; WINDOW]>::try_from(window) else {
        unreachable!("a window is {WINDOW} bytes");
    };
    let layout = &LAYOUT[head as usize];
    let value = |i: usize| {
        // An offset is at most 12: the read stays in the window.
        let at = (layout.offsets[i] as usize).min(WINDOW - 4);
        let raw = u32::from_le_bytes([window[at], window[at + 1], window[at + 2], window[at + 3]]);
        (raw & layout.masks[i]) as u64
    };
    Counters {
        packets_out: value(0),
        bytes_out: value(1),
        packets_in: value(2),
        bytes_in: value(3),
    }
}

/// Where each value of a row starts among its values, the mask of its width, and the
/// length of all of them.
struct Layout {
    offsets: [u8; 4],
    masks: [u32; 4],
    len: u8,
}

/// The layout after each possible header byte.
const LAYOUT: [Layout; 256] = layout_table();

/// `LAYOUT`'s lengths alone: stepping from row to row reads this small table (a scan
/// measured 15% slower reading the lengths out of `LAYOUT`).
const LEN: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut h = 0;
    while h < 256 {
        t[h] = LAYOUT[h].len;
        h += 1;
    }
    t
};

const fn layout_table() -> [Layout; 256] {
    const MASK: [u32; 4] = [0, 0xff, 0xffff, 0xffff_ffff];
    let mut t = [const {
        Layout {
            offsets: [0; 4],
            masks: [0; 4],
            len: 0,
        }
    }; 256];
    let mut h = 0;
    while h < 256 {
        let mut i = 0;
        let mut at = 0;
        while i < 4 {
            let code = (h >> (i * 2)) & 3;
            t[h].offsets[i] = at as u8;
            t[h].masks[i] = MASK[code];
            at += WIDTH[code];
            i += 1;
        }
        t[h].len = at as u8;
        h += 1;
    }
    t
}

trait Sentinel {
    fn has_sentinel(&self) -> bool;
}

impl Sentinel for Counters {
    #[inline]
    fn has_sentinel(&self) -> bool {
        let m = u32::MAX as u64;
        self.packets_out == m || self.bytes_out == m || self.packets_in == m || self.bytes_in == m
    }
}

#[inline]
fn width_code(v: u64) -> u8 {
    match v {
        0 => 0,
        1..=0xff => 1,
        0x100..=0xffff => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(i: u64) -> Counters {
        Counters {
            packets_out: i % 7,
            bytes_out: i * 1_000_003 % 5_000_000_000_000,
            packets_in: i * 31 % 300,
            bytes_in: if i.is_multiple_of(5) {
                u64::MAX
            } else {
                i * 13
            },
        }
    }

    /// Values either side of each width's limit.
    const EDGES: [u64; 8] = [
        0,
        1,
        255,
        256,
        65535,
        65536,
        u32::MAX as u64 - 1,
        u32::MAX as u64,
    ];

    #[test]
    fn random_access_and_scans_return_what_was_pushed() {
        let mut col = CounterColumn::default();
        for i in 0..1000 {
            col.push(&sample(i));
        }
        assert_eq!(col.len(), 1000);
        for i in [0u64, 1, 5, 63, 64, 65, 500, 999] {
            assert_eq!(col.get(i as usize), sample(i), "row {i}");
        }
        let scanned: Vec<_> = col.iter_range(130, 260).collect();
        assert_eq!(scanned.len(), 130);
        for (k, c) in scanned.iter().enumerate() {
            assert_eq!(*c, sample(130 + k as u64));
        }
    }

    #[test]
    fn a_cursor_reads_any_row_forward_backward_and_far() {
        let mut col = CounterColumn::default();
        for i in 0..1000 {
            col.push(&sample(i));
        }
        let mut cursor = col.cursor();
        for row in [0usize, 1, 2, 5, 63, 64, 200, 201, 3, 999, 998, 130] {
            assert_eq!(cursor.at(row), sample(row as u64), "row {row}");
        }
        let mut cursor = col.cursor();
        for row in 0..1000 {
            assert_eq!(cursor.at(row), sample(row as u64), "row {row} in turn");
        }
        // Every width, up to the last rows.
        let mut edges = CounterColumn::default();
        let values = EDGES;
        let all: Vec<Counters> = (0..values.len().pow(2))
            .map(|i| Counters {
                packets_out: values[i % 8],
                bytes_out: values[i / 8],
                packets_in: values[(i + 3) % 8],
                bytes_in: values[(i / 8 + 5) % 8],
            })
            .collect();
        all.iter().for_each(|c| edges.push(c));
        let mut cursor = edges.cursor();
        for (row, c) in all.iter().enumerate() {
            assert_eq!(cursor.at(row), *c, "row {row}");
        }
    }

    #[test]
    fn totals_add_up_the_values_picked_in_runs_from_any_row() {
        let mut col = CounterColumn::default();
        for i in 0..1000 {
            col.push(&sample(i));
        }
        let expected = |row: usize, pick: u8| {
            let c = sample(row as u64);
            let values = [c.packets_out, c.bytes_out, c.packets_in, c.bytes_in];
            (0..4)
                .filter(|i| pick >> i & 1 == 1)
                .fold(0u64, |sum, i| sum.saturating_add(values[i]))
        };
        fn check<const PICK: u8>(col: &CounterColumn, expected: impl Fn(usize, u8) -> u64) {
            // Runs on block boundaries, inside blocks, across them, after a gap, empty.
            for (from, runs) in [
                (0, vec![0..64, 64..128, 128..130, 130..500, 500..1000]),
                (3, vec![3..5, 5..70, 200..264, 264..264, 999..1000]),
            ] {
                let mut reader = col.totals::<PICK>(from);
                for run in runs {
                    let mut out = vec![7u64; run.len()];
                    reader.fill(run.start, &mut out);
                    for (row, total) in run.zip(out) {
                        assert_eq!(total, expected(row, PICK), "row {row}, pick {PICK:#06b}");
                    }
                }
            }
        }
        check::<{ picks::BYTES }>(&col, expected);
        check::<{ picks::PACKETS }>(&col, expected);
        check::<{ picks::BYTES_OUT }>(&col, expected);
        check::<{ picks::BYTES_IN }>(&col, expected);
        check::<{ picks::PACKETS_OUT }>(&col, expected);
        check::<{ picks::PACKETS_IN }>(&col, expected);
    }

    #[test]
    fn values_at_the_width_boundaries_survive() {
        let edges = EDGES;
        let mut col = CounterColumn::default();
        for &e in &edges {
            col.push(&Counters {
                packets_out: e,
                bytes_out: e,
                packets_in: 1,
                bytes_in: e,
            });
        }
        for (row, &e) in edges.iter().enumerate() {
            let c = col.get(row);
            assert_eq!((c.packets_out, c.bytes_out, c.bytes_in), (e, e, e));
        }
        let all: Vec<_> = col.iter_range(0, edges.len()).collect();
        assert_eq!(all.iter().map(|c| c.bytes_in).collect::<Vec<_>>(), edges);
    }

    #[test]
    fn zero_counters_cost_one_byte() {
        let mut col = CounterColumn::default();
        for _ in 0..100 {
            col.push(&Counters::default());
        }
        assert_eq!(col.heads.len() + col.unpadded().len(), 100);
    }

    #[test]
    fn a_last_row_without_counters_can_be_read() {
        let mut col = CounterColumn::default();
        col.push(&sample(1));
        col.push(&Counters::default());
        assert_eq!(col.get(1), Counters::default());
        assert_eq!(col.iter_range(0, 2).last(), Some(Counters::default()));
    }

    #[test]
    fn extend_keeps_order() {
        let mut a = CounterColumn::default();
        let mut b = CounterColumn::default();
        for i in 0..70 {
            a.push(&sample(i));
        }
        for i in 70..200 {
            b.push(&sample(i));
        }
        a.extend_from(&b);
        assert_eq!(a.len(), 200);
        for i in 0..200 {
            assert_eq!(a.get(i as usize), sample(i));
        }
        let scanned: Vec<_> = a.iter_range(0, 200).collect();
        assert_eq!(scanned, (0..200).map(sample).collect::<Vec<_>>());
        let mut empty = CounterColumn::default();
        empty.extend_from(&a);
        assert_eq!(empty.get(199), sample(199));
    }
}

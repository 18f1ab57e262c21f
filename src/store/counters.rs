//! Byte and packet counters, packed as a variable-width stream.
//!
//! Most tuples carry small counters or none at all (B and D tuples), so four fixed `u64`
//! columns (32 bytes a tuple) would be most of the store's memory. Each row is instead one
//! header byte (a 2-bit width code per counter: 0, 1, 2 or 4 bytes) followed by the values.
//! A `B` tuple costs 1 byte, a typical `C` tuple 7 to 11. Decoding is branch-free (a masked
//! unaligned read per value), which keeps a `bytes > 1MB` scan near column speed. Values
//! that do not fit 32 bits (a multi-gigabyte 5-minute delta) are written as the sentinel
//! `u32::MAX` and kept exactly in a small side table. Every `BLOCK` rows an offset is kept
//! so any row is reached by skipping at most `BLOCK - 1` headers.

use crate::model::Counters;

const BLOCK: usize = 64;
const WIDTH: [usize; 4] = [0, 1, 2, 4];
const MASK: [u32; 4] = [0, 0xff, 0xffff, 0xffff_ffff];
/// Trailing zero bytes kept after the last row so every value is read as a whole `u32`:
/// a zero-width value at the very end is still read as four bytes from there.
const PAD: usize = 4;
/// Payload length after each possible header byte.
const PAYLOAD: [u8; 256] = payload_table();

const fn payload_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut h = 0;
    while h < 256 {
        let mut i = 0;
        let mut n = 0;
        while i < 4 {
            n += WIDTH[(h >> (i * 2)) & 3];
            i += 1;
        }
        t[h] = n as u8;
        h += 1;
    }
    t
}

#[derive(Debug, Default, Clone)]
pub struct CounterColumn {
    bytes: Vec<u8>,
    block_starts: Vec<u64>,
    /// Rows with a value above `u32::MAX`, ascending by row.
    wide: Vec<(u32, Counters)>,
    len: usize,
}

impl CounterColumn {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn reserve(&mut self, rows: usize) {
        self.bytes.reserve(rows * 4);
        self.block_starts.reserve(rows / BLOCK + 1);
    }

    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.block_starts.shrink_to_fit();
        self.wide.shrink_to_fit();
    }

    /// Heap bytes held, for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity()
            + self.block_starts.capacity() * 8
            + self.wide.capacity() * std::mem::size_of::<(u32, Counters)>()
    }

    pub fn push(&mut self, c: &Counters) {
        let end = self.bytes.len().saturating_sub(PAD);
        self.bytes.truncate(end);
        if self.len.is_multiple_of(BLOCK) {
            self.block_starts.push(self.bytes.len() as u64);
        }
        let values = [c.packets_out, c.bytes_out, c.packets_in, c.bytes_in];
        if values.iter().any(|&v| v >= u32::MAX as u64) {
            self.wide.push((self.len as u32, *c));
        }
        // The row and the padding after it are written into a fixed buffer (each value as
        // a whole u32, the next one overwriting its unused bytes), then copied in one go.
        let mut row = [0u8; 1 + 16 + PAD];
        let mut at = 1;
        for (i, v) in values.iter().enumerate() {
            let code = width_code(*v);
            row[0] |= code << (i * 2);
            let v = (*v).min(u32::MAX as u64) as u32;
            row[at..at + 4].copy_from_slice(&v.to_le_bytes());
            at += WIDTH[code as usize];
        }
        row[at..at + PAD].fill(0);
        self.bytes.extend_from_slice(&row[..at + PAD]);
        self.len += 1;
    }

    /// Appends every row of `other`, in order: the rows' bytes are copied as they are and
    /// only the block offsets are recomputed (merging per-file columns is on the load path).
    pub fn extend_from(&mut self, other: &CounterColumn) {
        let base = self.len as u32;
        self.wide
            .extend(other.wide.iter().map(|(row, c)| (row + base, *c)));
        let end = self.bytes.len().saturating_sub(PAD);
        self.bytes.truncate(end);
        let theirs = &other.bytes[..other.bytes.len().saturating_sub(PAD)];
        let offset = self.bytes.len();
        self.bytes.extend_from_slice(theirs);
        let mut pos = 0;
        for _ in 0..other.len {
            if self.len.is_multiple_of(BLOCK) {
                self.block_starts.push((offset + pos) as u64);
            }
            pos += 1 + PAYLOAD[theirs[pos] as usize] as usize;
            self.len += 1;
        }
        self.bytes.extend_from_slice(&[0; PAD]);
    }

    pub fn get(&self, row: usize) -> Counters {
        assert!(row < self.len, "counter row {row} out of {}", self.len);
        let mut pos = self.block_starts[row / BLOCK] as usize;
        for _ in 0..row % BLOCK {
            pos += 1 + PAYLOAD[self.bytes[pos] as usize] as usize;
        }
        let (c, _) = read(&self.bytes, pos);
        if c.has_sentinel() {
            return self.wide_value(row).unwrap_or(c);
        }
        c
    }

    fn wide_value(&self, row: usize) -> Option<Counters> {
        self.wide
            .binary_search_by_key(&(row as u32), |(r, _)| *r)
            .ok()
            .map(|i| self.wide[i].1)
    }

    /// Counters of rows `start..end`, decoded sequentially (fast for scans).
    pub fn iter_range(&self, start: usize, end: usize) -> impl Iterator<Item = Counters> + '_ {
        let end = end.min(self.len);
        let mut pos = 0;
        if start < end {
            pos = self.block_starts[start / BLOCK] as usize;
            for _ in 0..start % BLOCK {
                pos += 1 + PAYLOAD[self.bytes[pos] as usize] as usize;
            }
        }
        (start..end).map(move |row| {
            let (c, next) = read(&self.bytes, pos);
            pos = next;
            if c.has_sentinel() {
                return self.wide_value(row).unwrap_or(c);
            }
            c
        })
    }
}

/// A reader that moves forward through the rows of a column, decoding only the rows asked
/// for: rows passed over cost a header read each (or a jump to their block when far).
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
            pos: self.block_starts.first().map_or(0, |&p| p as usize),
        }
    }
}

impl CounterCursor<'_> {
    /// The counters of `row`. Rows asked for in ascending order are fastest; an earlier
    /// row (or one at least a block ahead) is reached through its block's offset.
    #[inline(always)]
    pub fn at(&mut self, row: usize) -> Counters {
        let column = self.column;
        assert!(row < column.len, "counter row {row} out of {}", column.len);
        if row < self.row || row - self.row >= BLOCK {
            self.row = row - row % BLOCK;
            self.pos = column.block_starts[row / BLOCK] as usize;
        }
        while self.row < row {
            self.pos += 1 + PAYLOAD[column.bytes[self.pos] as usize] as usize;
            self.row += 1;
        }
        let (c, next) =
            read_window(&column.bytes, self.pos).unwrap_or_else(|| read(&column.bytes, self.pos));
        self.pos = next;
        self.row += 1;
        if c.has_sentinel() {
            return column.wide_value(row).unwrap_or(c);
        }
        c
    }
}

/// `read` for a row with a whole widest row's bytes and a value's after it (all but the
/// last few rows): each value is one unaligned read at an offset worked out from the
/// header, inside a fixed window, so without a bounds check per byte. `None` near the end
/// of the stream.
#[inline(always)]
fn read_window(bytes: &[u8], pos: usize) -> Option<(Counters, usize)> {
    let window: &[u8; 20] = bytes.get(pos..pos + 20)?.try_into().ok()?;
    let h = window[0] as usize;
    // Widths 0, 1, 2, 4 for codes 0 to 3.
    let width = |i: usize| {
        let code = (h >> (i * 2)) & 3;
        code + (code >> 1 & code & 1)
    };
    let (w0, w1, w2, w3) = (width(0), width(1), width(2), width(3));
    let value = |offset: usize, width: usize| {
        // An offset is at most 12, a width at most 4: the read stays in the window.
        let at = 1 + (offset & 15);
        let raw = u32::from_le_bytes([window[at], window[at + 1], window[at + 2], window[at + 3]]);
        (raw as u64) & ((1u64 << (width * 8)) - 1)
    };
    let c = Counters {
        packets_out: value(0, w0),
        bytes_out: value(w0, w1),
        packets_in: value(w0 + w1, w2),
        bytes_in: value(w0 + w1 + w2, w3),
    };
    Some((c, pos + 1 + w0 + w1 + w2 + w3))
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

/// Decodes the row at `pos`; returns it and the position of the next row.
#[inline]
fn read(bytes: &[u8], mut pos: usize) -> (Counters, usize) {
    let h = bytes[pos] as usize;
    pos += 1;
    let mut v = [0u64; 4];
    for (i, slot) in v.iter_mut().enumerate() {
        let code = (h >> (i * 2)) & 3;
        let raw = u32::from_le_bytes([bytes[pos], bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]]);
        *slot = (raw & MASK[code]) as u64;
        pos += WIDTH[code];
    }
    (
        Counters {
            packets_out: v[0],
            bytes_out: v[1],
            packets_in: v[2],
            bytes_in: v[3],
        },
        pos,
    )
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
        // Every width, up to the last rows where the stream is read byte by byte.
        let mut edges = CounterColumn::default();
        let values = [
            0,
            1,
            255,
            256,
            65535,
            65536,
            u32::MAX as u64 - 1,
            u32::MAX as u64,
        ];
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
    fn values_at_the_width_boundaries_survive() {
        let edges = [
            0,
            1,
            255,
            256,
            65535,
            65536,
            u32::MAX as u64 - 1,
            u32::MAX as u64,
        ];
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
        assert_eq!(col.bytes.len(), 100 + PAD);
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

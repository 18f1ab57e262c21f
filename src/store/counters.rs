//! Byte and packet counters, packed as a variable-length stream.
//!
//! Most tuples carry small counters or none at all (B and D tuples), so four fixed `u64`
//! columns (32 bytes a tuple) would be most of the store's memory. Each row is instead one
//! header byte (a 2-bit width code per counter) followed by the non-zero values: a `B`
//! tuple costs 1 byte, a typical `C` tuple 6 to 9. Every `BLOCK` rows an offset is kept so
//! any row is reached by skipping at most `BLOCK - 1` rows.

use crate::model::Counters;

const BLOCK: usize = 64;

#[derive(Debug, Default, Clone)]
pub struct CounterColumn {
    bytes: Vec<u8>,
    block_starts: Vec<u64>,
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
    }

    /// Heap bytes held, for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.block_starts.capacity() * 8
    }

    pub fn push(&mut self, c: &Counters) {
        if self.len % BLOCK == 0 {
            self.block_starts.push(self.bytes.len() as u64);
        }
        let values = [c.packets_out, c.bytes_out, c.packets_in, c.bytes_in];
        let mut header = 0u8;
        for (i, v) in values.iter().enumerate() {
            header |= width_code(*v) << (i * 2);
        }
        self.bytes.push(header);
        for v in values {
            match width_code(v) {
                0 => {}
                1 => self.bytes.push(v as u8),
                2 => self.bytes.extend_from_slice(&(v as u16).to_le_bytes()),
                _ => push_varint(&mut self.bytes, v),
            }
        }
        self.len += 1;
    }

    /// Appends every row of `other`, in order.
    pub fn extend_from(&mut self, other: &CounterColumn) {
        for c in other.iter_range(0, other.len) {
            self.push(&c);
        }
    }

    pub fn get(&self, row: usize) -> Counters {
        assert!(row < self.len, "counter row {row} out of {}", self.len);
        let mut cursor = Cursor {
            bytes: &self.bytes,
            pos: self.block_starts[row / BLOCK] as usize,
        };
        for _ in 0..row % BLOCK {
            cursor.skip();
        }
        cursor.read()
    }

    /// Counters of rows `start..end`, decoded sequentially (fast for scans).
    pub fn iter_range(&self, start: usize, end: usize) -> impl Iterator<Item = Counters> + '_ {
        let end = end.min(self.len);
        let mut cursor = Cursor {
            bytes: &self.bytes,
            pos: if start < end {
                self.block_starts[start / BLOCK] as usize
            } else {
                0
            },
        };
        if start < end {
            for _ in 0..start % BLOCK {
                cursor.skip();
            }
        }
        (start..end).map(move |_| cursor.read())
    }
}

fn width_code(v: u64) -> u8 {
    match v {
        0 => 0,
        1..=0xff => 1,
        0x100..=0xffff => 2,
        _ => 3,
    }
}

fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn value(&mut self, code: u8) -> u64 {
        match code {
            0 => 0,
            1 => {
                self.pos += 1;
                self.bytes[self.pos - 1] as u64
            }
            2 => {
                self.pos += 2;
                u16::from_le_bytes([self.bytes[self.pos - 2], self.bytes[self.pos - 1]]) as u64
            }
            _ => {
                let mut v = 0u64;
                let mut shift = 0;
                loop {
                    let b = self.bytes[self.pos];
                    self.pos += 1;
                    v |= ((b & 0x7f) as u64) << shift;
                    if b & 0x80 == 0 {
                        return v;
                    }
                    shift += 7;
                }
            }
        }
    }

    fn read(&mut self) -> Counters {
        let h = self.bytes[self.pos];
        self.pos += 1;
        Counters {
            packets_out: self.value(h & 3),
            bytes_out: self.value((h >> 2) & 3),
            packets_in: self.value((h >> 4) & 3),
            bytes_in: self.value((h >> 6) & 3),
        }
    }

    fn skip(&mut self) {
        let h = self.bytes[self.pos];
        self.pos += 1;
        for i in 0..4 {
            match (h >> (i * 2)) & 3 {
                0 => {}
                1 => self.pos += 1,
                2 => self.pos += 2,
                _ => {
                    while self.bytes[self.pos] & 0x80 != 0 {
                        self.pos += 1;
                    }
                    self.pos += 1;
                }
            }
        }
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
            bytes_in: if i % 5 == 0 { u64::MAX } else { i * 13 },
        }
    }

    #[test]
    fn random_access_and_scans_return_what_was_pushed() {
        let mut col = CounterColumn::default();
        for i in 0..1000 {
            col.push(&sample(i));
        }
        assert_eq!(col.len(), 1000);
        for i in [0u64, 1, 63, 64, 65, 500, 999] {
            assert_eq!(col.get(i as usize), sample(i), "row {i}");
        }
        let scanned: Vec<_> = col.iter_range(130, 260).collect();
        assert_eq!(scanned.len(), 130);
        for (k, c) in scanned.iter().enumerate() {
            assert_eq!(*c, sample(130 + k as u64));
        }
    }

    #[test]
    fn zero_counters_cost_one_byte() {
        let mut col = CounterColumn::default();
        for _ in 0..100 {
            col.push(&Counters::default());
        }
        assert_eq!(col.bytes.len(), 100);
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
        for i in 0..200 {
            assert_eq!(a.get(i as usize), sample(i));
        }
    }
}

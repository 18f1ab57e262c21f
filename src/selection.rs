//! A selection: the row ids a filter kept, ascending.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    rows: Vec<u32>,
}

impl Selection {
    /// Every row of a store with `len` rows.
    pub fn all(len: usize) -> Selection {
        Selection {
            rows: (0..len as u32).collect(),
        }
    }

    /// From ascending row ids.
    pub fn from_sorted(rows: Vec<u32>) -> Selection {
        debug_assert!(rows.windows(2).all(|w| w[0] < w[1]));
        Selection { rows }
    }

    /// From a bitmap of `len` rows (bit `i` of word `i / 64` set = row kept).
    pub fn from_bitmap(words: &[u64], len: usize) -> Selection {
        Selection::from_bitmap_split(words, len, crate::parallel::split_rows())
    }

    /// As `from_bitmap`, on two threads from `parallel_rows` kept rows up.
    fn from_bitmap_split(words: &[u64], len: usize, parallel_rows: usize) -> Selection {
        let words = &words[..len.div_ceil(64).min(words.len())];
        let word = |i: usize| match words[i] {
            w if i == len / 64 => w & ((1u64 << (len % 64)) - 1),
            w => w,
        };
        let count = |range: std::ops::Range<usize>| -> usize {
            range.map(|i| word(i).count_ones() as usize).sum()
        };
        // Writes the rows of the words in `range` into `out`, which has room for exactly them.
        let write = |range: std::ops::Range<usize>, out: &mut [u32]| {
            let mut at = 0;
            for i in range {
                let mut bits = word(i);
                while bits != 0 {
                    out[at] = (i * 64) as u32 + bits.trailing_zeros();
                    at += 1;
                    bits &= bits - 1;
                }
            }
        };
        let mid = words.len() / 2;
        let lower = count(0..mid);
        let mut rows = vec![0u32; lower + count(mid..words.len())];
        if rows.len() >= parallel_rows {
            let (a, b) = rows.split_at_mut(lower);
            std::thread::scope(|scope| {
                scope.spawn(|| write(mid..words.len(), b));
                write(0..mid, a);
            });
        } else {
            write(0..words.len(), &mut rows);
        }
        Selection { rows }
    }

    pub fn rows(&self) -> &[u32] {
        &self.rows
    }
    pub fn len(&self) -> usize {
        self.rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.rows.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_conversion_keeps_set_bits_below_len() {
        let words = [0b1011u64, 1 << 63, u64::MAX];
        let s = Selection::from_bitmap(&words, 130);
        assert_eq!(s.rows(), &[0, 1, 3, 127, 128, 129]);
        assert_eq!(Selection::from_bitmap(&words, 128).rows(), &[0, 1, 3, 127]);
        assert!(Selection::from_bitmap(&words, 0).is_empty());
    }

    #[test]
    fn a_large_bitmap_converted_on_two_threads_keeps_every_row_in_order() {
        let parallel_rows: usize = 1000;
        let len = 3 * parallel_rows + 17;
        let kept = |row: usize| row % 3 != 1 && !row.is_multiple_of(7);
        let mut words = vec![0u64; len.div_ceil(64) + 1];
        for row in (0..len).filter(|&r| kept(r)) {
            words[row / 64] |= 1 << (row % 64);
        }
        // Bits past `len` are not rows.
        words[len / 64] |= u64::MAX << (len % 64);
        *words.last_mut().unwrap() = u64::MAX;
        let s = Selection::from_bitmap_split(&words, len, parallel_rows);
        let expected: Vec<u32> = (0..len).filter(|&r| kept(r)).map(|r| r as u32).collect();
        assert!(s.len() >= parallel_rows);
        assert_eq!(s.rows(), &expected[..]);
    }
}

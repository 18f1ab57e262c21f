//! A selection: the row ids a filter kept, ascending. Every row of a store (no filter, or
//! one that keeps everything) is held as a count, not a list: for 100M rows that list
//! was 400 MB that said nothing.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    kept: Kept,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kept {
    /// Rows `0..n`.
    Every(u32),
    Listed(Vec<u32>),
}

impl Default for Selection {
    fn default() -> Self {
        Selection::all(0)
    }
}

impl Selection {
    /// Every row of a store with `len` rows.
    pub fn all(len: usize) -> Selection {
        Selection {
            kept: Kept::Every(len as u32),
        }
    }

    /// From ascending row ids.
    pub fn from_sorted(rows: Vec<u32>) -> Selection {
        debug_assert!(rows.windows(2).all(|w| w[0] < w[1]));
        Selection {
            kept: Kept::Listed(rows),
        }
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
        let kept = lower + count(mid..words.len());
        if kept == len {
            return Selection::all(len);
        }
        let mut rows = vec![0u32; kept];
        if rows.len() >= parallel_rows {
            let (a, b) = rows.split_at_mut(lower);
            std::thread::scope(|scope| {
                scope.spawn(|| write(mid..words.len(), b));
                write(0..mid, a);
            });
        } else {
            write(0..words.len(), &mut rows);
        }
        Selection::from_sorted(rows)
    }

    /// The row ids, or `None` when every row `0..len()` is selected.
    pub fn listed(&self) -> Option<&[u32]> {
        match &self.kept {
            Kept::Every(_) => None,
            Kept::Listed(rows) => Some(rows),
        }
    }

    /// The row ids as a list of their own.
    pub fn to_vec(&self) -> Vec<u32> {
        self.iter().collect()
    }

    /// The `i`-th selected row.
    pub fn get(&self, i: usize) -> Option<u32> {
        match &self.kept {
            Kept::Every(n) => (i < *n as usize).then_some(i as u32),
            Kept::Listed(rows) => rows.get(i).copied(),
        }
    }

    pub fn len(&self) -> usize {
        match &self.kept {
            Kept::Every(n) => *n as usize,
            Kept::Listed(rows) => rows.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows, ascending; reversible.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = u32> + '_ {
        let (every, listed) = match &self.kept {
            Kept::Every(n) => (0..*n, &[][..]),
            Kept::Listed(rows) => (0..0, &rows[..]),
        };
        every.chain(listed.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_conversion_keeps_set_bits_below_len() {
        let words = [0b1011u64, 1 << 63, u64::MAX];
        let s = Selection::from_bitmap(&words, 130);
        assert_eq!(s.to_vec(), [0, 1, 3, 127, 128, 129]);
        assert_eq!(Selection::from_bitmap(&words, 128).to_vec(), [0, 1, 3, 127]);
        assert!(Selection::from_bitmap(&words, 0).is_empty());
    }

    #[test]
    fn every_row_is_held_as_a_count_and_reads_as_the_rows() {
        let every = Selection::from_bitmap(&[u64::MAX, 0b111], 67);
        assert_eq!(every, Selection::all(67));
        assert_eq!(every.listed(), None);
        assert_eq!(every.to_vec(), (0..67).collect::<Vec<u32>>());
        assert_eq!(every.iter().next_back(), Some(66));
        assert_eq!((every.get(66), every.get(67)), (Some(66), None));
        let some = Selection::from_bitmap(&[u64::MAX, 0b101], 67);
        assert_eq!(some.listed().map(<[u32]>::len), Some(66));
        assert_eq!(
            (some.get(64), some.get(65), some.len()),
            (Some(64), Some(66), 66)
        );
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
        assert_eq!(s.to_vec(), expected);
    }
}

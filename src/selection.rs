//! A selection: the row ids a filter kept, ascending. Every row of a store (no filter, or
//! one that keeps everything) is held as a count, not a list: for 100M rows that list
//! was 400 MB that said nothing. A filter that keeps more than one row in 32 is held as
//! the filter's bitmap, a bit a row: `bytes > 100kB` keeps 41M of 100M rows, 165 MB as a
//! list (and most of the filter's time spent writing it), 12.5 MB as bits.

#[derive(Debug, Clone)]
pub struct Selection {
    kept: Kept,
}

#[derive(Debug, Clone)]
enum Kept {
    /// Rows `0..n`.
    Every(u32),
    Listed(Vec<u32>),
    Marked(Marked),
}

/// Rows held as set bits (bit `i % 64` of word `i / 64` = row `i`).
#[derive(Debug, Clone)]
struct Marked {
    /// No bit set past the last row.
    words: Vec<u64>,
    /// Rows kept before word `k * RANK_WORDS`, for each `k`: the `i`-th row is then found
    /// by a search among these and a count inside at most `RANK_WORDS` words.
    before: Vec<u32>,
    count: usize,
}

const RANK_WORDS: usize = 8;

/// How a selection holds its rows, for scans that walk each form its own way.
#[derive(Debug, Clone, Copy)]
pub enum Held<'a> {
    /// Rows `0..n`.
    Every(usize),
    /// Ascending row ids.
    Listed(&'a [u32]),
    /// A bit a row (bit `i % 64` of word `i / 64` = row `i`).
    Marked(&'a [u64]),
}

impl Default for Selection {
    fn default() -> Self {
        Selection::all(0)
    }
}

/// Two selections are equal when they hold the same rows, however each holds them.
impl PartialEq for Selection {
    fn eq(&self, other: &Selection) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Selection {}

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
    pub fn from_bitmap(words: Vec<u64>, len: usize) -> Selection {
        Selection::from_bitmap_split(words, len, crate::parallel::split_rows())
    }

    /// As `from_bitmap`, a list written on two threads from `parallel_rows` kept rows up.
    fn from_bitmap_split(mut words: Vec<u64>, len: usize, parallel_rows: usize) -> Selection {
        words.resize(len.div_ceil(64), 0);
        if !len.is_multiple_of(64) {
            if let Some(last) = words.last_mut() {
                *last &= (1u64 << (len % 64)) - 1;
            }
        }
        // One count serves all three forms: the total, the ranks a bitmap keeps, and
        // where a list written on two threads is split.
        let (before, kept) = ranks(&words);
        if kept == len {
            return Selection::all(len);
        }
        if kept > len / 32 {
            return Selection {
                kept: Kept::Marked(Marked {
                    words,
                    before,
                    count: kept,
                }),
            };
        }
        let half = before.len() / 2;
        let mid = (half * RANK_WORDS).min(words.len());
        let lower = before.get(half).map_or(kept, |&b| b as usize);
        // Writes the rows of the words in `range` into `out`, which has room for exactly them.
        let write = |range: std::ops::Range<usize>, out: &mut [u32]| {
            let mut at = 0;
            for i in range {
                for row in WordRows::new(words[i], i) {
                    out[at] = row;
                    at += 1;
                }
            }
        };
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

    /// How the rows are held.
    pub fn held(&self) -> Held<'_> {
        match &self.kept {
            Kept::Every(n) => Held::Every(*n as usize),
            Kept::Listed(rows) => Held::Listed(rows),
            Kept::Marked(m) => Held::Marked(&m.words),
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
            Kept::Marked(m) => m.get(i),
        }
    }

    pub fn len(&self) -> usize {
        match &self.kept {
            Kept::Every(n) => *n as usize,
            Kept::Listed(rows) => rows.len(),
            Kept::Marked(m) => m.count,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows, ascending; reversible.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = u32> + '_ {
        let (every, listed, marked) = match &self.kept {
            Kept::Every(n) => (0..*n, &[][..], &[][..]),
            Kept::Listed(rows) => (0..0, &rows[..], &[][..]),
            Kept::Marked(m) => (0..0, &[][..], &m.words[..]),
        };
        let marked = marked_rows(marked, 0, (marked.len() * 64) as u32);
        every.chain(listed.iter().copied()).chain(marked)
    }
}

/// Rows kept before every `RANK_WORDS`-th word, and in all.
fn ranks(words: &[u64]) -> (Vec<u32>, usize) {
    let mut before = Vec::with_capacity(words.len().div_ceil(RANK_WORDS));
    let mut sum = 0u32;
    for chunk in words.chunks(RANK_WORDS) {
        before.push(sum);
        sum += chunk.iter().map(|w| w.count_ones()).sum::<u32>();
    }
    (before, sum as usize)
}

impl Marked {
    fn get(&self, i: usize) -> Option<u32> {
        if i >= self.count {
            return None;
        }
        let i = i as u32;
        let block = self.before.partition_point(|&b| b <= i) - 1;
        let mut left = i - self.before[block];
        for (k, &w) in self.words.iter().enumerate().skip(block * RANK_WORDS) {
            let ones = w.count_ones();
            if left < ones {
                return WordRows::new(w, k).nth(left as usize);
            }
            left -= ones;
        }
        None
    }
}

/// The words of a bitmap that hold rows `start..end`, with their index, the bits of other
/// rows cleared.
pub(crate) fn marked_words(
    words: &[u64],
    start: u32,
    end: u32,
) -> impl DoubleEndedIterator<Item = (usize, u64)> + '_ {
    let (start, end) = (start as usize, end as usize);
    let range = if start < end {
        start / 64..(end - 1) / 64 + 1
    } else {
        0..0
    };
    range.map(move |i| {
        let mut w = words.get(i).copied().unwrap_or(0);
        if i == start / 64 {
            w &= u64::MAX << (start % 64);
        }
        if i == (end - 1) / 64 {
            w &= u64::MAX >> (63 - (end - 1) % 64);
        }
        (i, w)
    })
}

/// The rows `start..end` marked in a bitmap, ascending; reversible.
pub(crate) fn marked_rows(
    words: &[u64],
    start: u32,
    end: u32,
) -> impl DoubleEndedIterator<Item = u32> + '_ {
    marked_words(words, start, end).flat_map(|(i, w)| WordRows::new(w, i))
}

/// The rows of one word of a bitmap (word `index`), either way round.
pub struct WordRows {
    bits: u64,
    base: u32,
}

impl WordRows {
    pub fn new(bits: u64, index: usize) -> WordRows {
        WordRows {
            bits,
            base: (index * 64) as u32,
        }
    }
}

impl Iterator for WordRows {
    type Item = u32;
    #[inline]
    fn next(&mut self) -> Option<u32> {
        if self.bits == 0 {
            return None;
        }
        let bit = self.bits.trailing_zeros();
        self.bits &= self.bits - 1;
        Some(self.base + bit)
    }
}

impl DoubleEndedIterator for WordRows {
    #[inline]
    fn next_back(&mut self) -> Option<u32> {
        if self.bits == 0 {
            return None;
        }
        let bit = 63 - self.bits.leading_zeros();
        self.bits &= !(1 << bit);
        Some(self.base + bit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bitmap(len: usize, kept: impl Fn(usize) -> bool) -> Vec<u64> {
        let mut words = vec![0u64; len.div_ceil(64)];
        for row in (0..len).filter(|&r| kept(r)) {
            words[row / 64] |= 1 << (row % 64);
        }
        words
    }

    #[test]
    fn bitmap_conversion_keeps_set_bits_below_len() {
        let words = [0b1011u64, 1 << 63, u64::MAX];
        let s = Selection::from_bitmap(words.to_vec(), 130);
        assert_eq!(s.to_vec(), [0, 1, 3, 127, 128, 129]);
        assert_eq!(
            Selection::from_bitmap(words.to_vec(), 128).to_vec(),
            [0, 1, 3, 127]
        );
        assert!(Selection::from_bitmap(words.to_vec(), 0).is_empty());
        // Fewer words than rows: the missing ones keep nothing.
        assert_eq!(Selection::from_bitmap(vec![0b10], 200).to_vec(), [1]);
    }

    #[test]
    fn every_row_is_held_as_a_count_and_reads_as_the_rows() {
        let every = Selection::from_bitmap(vec![u64::MAX, 0b111], 67);
        assert_eq!(every, Selection::all(67));
        assert!(matches!(every.held(), Held::Every(67)));
        assert_eq!(every.to_vec(), (0..67).collect::<Vec<u32>>());
        assert_eq!(every.iter().next_back(), Some(66));
        assert_eq!((every.get(66), every.get(67)), (Some(66), None));
    }

    #[test]
    fn sparse_rows_are_listed_and_dense_ones_marked() {
        let len = 10_000;
        let sparse = Selection::from_bitmap(bitmap(len, |r| r % 40 == 7), len);
        assert!(matches!(sparse.held(), Held::Listed(rows) if rows.len() == 250));
        let dense = Selection::from_bitmap(bitmap(len, |r| r % 3 != 1), len);
        assert!(matches!(dense.held(), Held::Marked(_)));
        let expected: Vec<u32> = (0..len as u32).filter(|r| r % 3 != 1).collect();
        assert_eq!(dense.len(), expected.len());
        assert_eq!(dense.to_vec(), expected);
        assert_eq!(
            dense.iter().rev().collect::<Vec<_>>(),
            expected.iter().rev().copied().collect::<Vec<_>>()
        );
        // The i-th row, across rank blocks, at their edges and past the end.
        for i in [0, 1, 2, 340, 341, 342, 1000, 6665, 6666, 6667] {
            assert_eq!(dense.get(i), expected.get(i).copied(), "row {i}");
        }
        assert_eq!(dense, Selection::from_sorted(expected));
    }

    #[test]
    fn a_large_list_written_on_two_threads_keeps_every_row_in_order() {
        let parallel_rows: usize = 1000;
        let len = 50 * parallel_rows + 17;
        let kept = |row: usize| row % 71 == 3 || row.is_multiple_of(73);
        let mut words = bitmap(len, kept);
        // Bits past `len` are not rows.
        words[len / 64] |= u64::MAX << (len % 64);
        words.push(u64::MAX);
        let s = Selection::from_bitmap_split(words, len, parallel_rows);
        let expected: Vec<u32> = (0..len).filter(|&r| kept(r)).map(|r| r as u32).collect();
        assert!(s.len() >= parallel_rows);
        assert!(matches!(s.held(), Held::Listed(_)));
        assert_eq!(s.to_vec(), expected);
    }
}

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
        let count: usize = words.iter().map(|w| w.count_ones() as usize).sum();
        let mut rows = Vec::with_capacity(count);
        for (wi, &w) in words.iter().enumerate() {
            let mut bits = w;
            while bits != 0 {
                let row = wi * 64 + bits.trailing_zeros() as usize;
                if row < len {
                    rows.push(row as u32);
                }
                bits &= bits - 1;
            }
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
    }
}

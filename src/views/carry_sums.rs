//! Sums per slot of 64-bit figures, held in 32 bits a slot with the carries kept apart.
//!
//! A top-N by bytes sums every row's bytes into the slot of its address: at 100M tuples
//! that is 18M addresses, and the sums are read and written in no order the cache can
//! follow. Halving each slot halves the memory those misses walk. A slot's low word wraps
//! past 4 GiB only once per 4 GiB it gains, and only busy slots ever do, so the carries
//! go to a small map at a cost paid that rarely.

use crate::store::dict::FastMap;

#[derive(Debug, Clone)]
pub(crate) struct CarrySums {
    low: Vec<u32>,
    /// Units of 2^32 a slot's low word wrapped past.
    carries: FastMap<usize, u64>,
}

impl CarrySums {
    /// `space` slots, all zero.
    pub(crate) fn new(space: usize) -> CarrySums {
        CarrySums {
            low: vec![0; space],
            carries: FastMap::default(),
        }
    }

    /// Adds `figure` to `slot`; a slot past the end is ignored.
    #[inline(always)]
    pub(crate) fn add(&mut self, slot: usize, figure: u64) {
        let Some(low) = self.low.get_mut(slot) else {
            return;
        };
        let (sum, wrapped) = low.overflowing_add(figure as u32);
        *low = sum;
        let carry = (figure >> 32) + u64::from(wrapped);
        if carry != 0 {
            self.carry(slot, carry);
        }
    }

    #[cold]
    fn carry(&mut self, slot: usize, carry: u64) {
        let c = self.carries.entry(slot).or_default();
        *c = c.saturating_add(carry);
    }

    /// Adds every slot of `other` into these.
    pub(crate) fn merge(&mut self, other: &CarrySums) {
        for (slot, &low) in other.low.iter().enumerate() {
            self.add(slot, u64::from(low));
        }
        for (&slot, &carry) in &other.carries {
            self.carry(slot, carry);
        }
    }

    /// Every slot's sum, in slot order (saturating at `u64::MAX`).
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = u64> + '_ {
        // The few carried slots in order, walked alongside: a map lookup per slot would
        // cost more than the sums.
        let mut carried: Vec<(usize, u64)> = self.carries.iter().map(|(&s, &c)| (s, c)).collect();
        carried.sort_unstable();
        let mut carried = carried.into_iter().peekable();
        self.low.iter().enumerate().map(move |(slot, &low)| {
            let high = carried.next_if(|&(s, _)| s == slot).map_or(0, |(_, c)| c);
            high.checked_mul(1 << 32)
                .and_then(|h| h.checked_add(u64::from(low)))
                .unwrap_or(u64::MAX)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_past_32_bits_come_out_whole() {
        let figures: [(usize, u64); 9] = [
            (0, u32::MAX as u64),
            (0, 1),
            (1, 5),
            (2, 3 << 40),
            (2, u32::MAX as u64),
            (2, u32::MAX as u64),
            (4, 7),
            (3, u64::MAX),
            (3, u64::MAX),
        ];
        let mut expected = vec![0u64; 5];
        let (mut a, mut b) = (CarrySums::new(5), CarrySums::new(5));
        for (i, &(slot, figure)) in figures.iter().enumerate() {
            expected[slot] = expected[slot].saturating_add(figure);
            // Split over two sums merged after, as the threads do.
            if i % 2 == 0 { &mut a } else { &mut b }.add(slot, figure);
        }
        a.add(9, 1);
        a.merge(&b);
        assert_eq!(a.iter().collect::<Vec<_>>(), expected);
    }
}

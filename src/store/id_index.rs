//! The index of a dictionary: an open-addressing table of ids, 4 bytes a slot. The values
//! live only in the dictionary, so nothing is stored twice (for the address dictionary of a
//! large load that is several bytes a tuple at the peak).

const EMPTY: u32 = u32::MAX;

#[derive(Debug, Clone, Default)]
pub struct IdIndex {
    /// Ids by hash, `EMPTY` where free; the length is a power of two (or 0).
    slots: Vec<u32>,
}

impl IdIndex {
    /// The id that `is` accepts, probing from `hash`'s slot; otherwise the free slot where
    /// it would go (`usize::MAX` while the table is empty).
    #[inline]
    pub fn find(&self, hash: u64, is: impl Fn(u32) -> bool) -> Result<u32, usize> {
        if self.slots.is_empty() {
            return Err(usize::MAX);
        }
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            match self.slots[i] {
                EMPTY => return Err(i),
                id if is(id) => return Ok(id),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Records the new value `id` (ids are dense: it is the dictionary's last) at the
    /// `slot` that `find` returned. The table grows, re-hashing every id with `hash_of`,
    /// to stay at most 70% full so probe runs stay short.
    pub fn insert(&mut self, slot: usize, id: u32, hash_of: impl Fn(u32) -> u64) {
        let len = id as usize + 1;
        if slot == usize::MAX || len * 10 > self.slots.len() * 7 {
            self.rebuild(len, hash_of);
        } else {
            self.slots[slot] = id;
        }
    }

    fn rebuild(&mut self, len: usize, hash_of: impl Fn(u32) -> u64) {
        let mut size = self.slots.len().max(8);
        while len * 10 > size * 7 {
            size *= 2;
        }
        self.slots = Vec::new();
        self.slots.resize(size, EMPTY);
        let mask = size - 1;
        for id in 0..len as u32 {
            let mut i = hash_of(id) as usize & mask;
            while self.slots[i] != EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = id;
        }
    }

    /// Frees the table.
    pub fn free(&mut self) {
        self.slots = Vec::new();
    }

    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * 4
    }
}

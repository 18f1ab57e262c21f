//! Dictionaries: each distinct address or text is stored once; columns hold `u32` ids.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::net::IpAddr;

/// A small multiplicative hasher: dictionary keys are short and not attacker-chosen in a
/// way that matters for a local, single-user tool, and SipHash would cost more than the
/// tuple parse itself.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits (the table index) depending only on the input's
        // low bits (for 10.x.y.z addresses: the constant first octet); fold the high in.
        self.0 ^ (self.0 >> 32)
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(buf));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64)
    }
    fn write_u16(&mut self, i: u16) {
        self.add(i as u64)
    }
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64)
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i)
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64)
    }
}

impl FastHasher {
    #[inline]
    fn add(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Interns values of type `T`, handing out dense ids in first-seen order.
///
/// The index is an open-addressing table of ids (4 bytes a slot) rather than a map from
/// value to id, which would store every value twice: for a store's address dictionary that
/// difference is several bytes a tuple at the peak of a load.
#[derive(Debug, Clone)]
pub struct Interner<T: Hash + Eq + Clone> {
    values: Vec<T>,
    /// Ids by hash, `EMPTY` where free; length a power of two (or 0 once dropped).
    slots: Vec<u32>,
    /// False once `drop_index` ran: look-ups then scan `values`.
    indexed: bool,
}

const EMPTY: u32 = u32::MAX;

impl<T: Hash + Eq + Clone> Default for Interner<T> {
    fn default() -> Self {
        Interner {
            values: Vec::new(),
            slots: Vec::new(),
            indexed: true,
        }
    }
}

fn hash_of<Q: Hash + ?Sized>(q: &Q) -> u64 {
    let mut h = FastHasher::default();
    q.hash(&mut h);
    h.finish()
}

impl<T: Hash + Eq + Clone> Interner<T> {
    /// The id of the value that `eq` accepts, searching from `hash`'s slot.
    fn find(&self, hash: u64, eq: impl Fn(&T) -> bool) -> Result<u32, usize> {
        if !self.indexed {
            return self
                .values
                .iter()
                .position(eq)
                .map(|i| i as u32)
                .ok_or(usize::MAX);
        }
        if self.slots.is_empty() {
            return Err(usize::MAX);
        }
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            match self.slots[i] {
                EMPTY => return Err(i),
                id if eq(&self.values[id as usize]) => return Ok(id),
                _ => i = (i + 1) & mask,
            }
        }
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(16);
        self.slots = vec![EMPTY; size];
        let mask = size - 1;
        for (id, v) in self.values.iter().enumerate() {
            let mut i = hash_of(v) as usize & mask;
            while self.slots[i] != EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = id as u32;
        }
    }

    fn insert_at(&mut self, slot: usize, v: T) -> u32 {
        let id = self.values.len() as u32;
        self.values.push(v);
        // Keep the table at most 70% full so probe runs stay short.
        if slot == usize::MAX || self.values.len() * 10 > self.slots.len() * 7 {
            self.grow();
        } else {
            self.slots[slot] = id;
        }
        id
    }

    pub fn intern(&mut self, v: T) -> u32 {
        assert!(self.indexed, "intern after drop_index");
        match self.find(hash_of(&v), |x| *x == v) {
            Ok(id) => id,
            Err(slot) => self.insert_at(slot, v),
        }
    }
    pub fn get(&self, id: u32) -> &T {
        &self.values[id as usize]
    }
    pub fn lookup(&self, v: &T) -> Option<u32> {
        self.find(hash_of(v), |x| x == v).ok()
    }

    /// Frees the index once no more values will be interned: queries never need it
    /// (filters match dictionary values by scanning them once), and a look-up scans.
    pub fn drop_index(&mut self) {
        self.slots = Vec::new();
        self.indexed = false;
        self.values.shrink_to_fit();
    }

    /// Heap bytes held, for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        self.values.capacity() * std::mem::size_of::<T>() + self.slots.capacity() * 4
    }
    pub fn values(&self) -> &[T] {
        &self.values
    }
    pub fn len(&self) -> usize {
        self.values.len()
    }
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
    /// Interns every value of `other`; returns the id translation (`other` id → our id).
    pub fn absorb(&mut self, other: &Interner<T>) -> Vec<u32> {
        other
            .values
            .iter()
            .map(|v| self.intern(v.clone()))
            .collect()
    }
}

/// Text dictionary (rules, MACs, NSG and flow log names, targets, ACL ids, file names).
pub type TextDict = Interner<Box<str>>;

impl Interner<Box<str>> {
    pub fn intern_str(&mut self, s: &str) -> u32 {
        assert!(self.indexed, "intern after drop_index");
        match self.find(hash_of(s), |x| &**x == s) {
            Ok(id) => id,
            Err(slot) => self.insert_at(slot, s.into()),
        }
    }
    pub fn lookup_str(&self, s: &str) -> Option<u32> {
        self.find(hash_of(s), |x| &**x == s).ok()
    }
    pub fn text(&self, id: u32) -> &str {
        &self.values[id as usize]
    }
}

/// Address dictionary (IPv4 and IPv6).
pub type AddrDict = Interner<IpAddr>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_idempotent_and_dense() {
        let mut d = TextDict::default();
        let a = d.intern_str("DenyAllInBound");
        let b = d.intern_str("UserRule_RDP");
        assert_eq!(d.intern_str("DenyAllInBound"), a);
        assert_eq!((a, b), (0, 1));
        assert_eq!(d.text(b), "UserRule_RDP");
        assert_eq!(d.lookup_str("nope"), None);
    }

    #[test]
    fn lookup_still_answers_after_the_index_is_dropped() {
        let mut d = AddrDict::default();
        let a = d.intern("10.0.0.1".parse().unwrap());
        let b = d.intern("::1".parse().unwrap());
        d.drop_index();
        assert_eq!(d.lookup(&"::1".parse().unwrap()), Some(b));
        assert_eq!(d.lookup(&"10.0.0.1".parse().unwrap()), Some(a));
        assert_eq!(d.lookup(&"10.0.0.2".parse().unwrap()), None);
        assert_eq!(d.heap_bytes(), 2 * std::mem::size_of::<IpAddr>());
    }

    #[test]
    fn absorb_translates_ids() {
        let mut global = AddrDict::default();
        global.intern("10.0.0.1".parse().unwrap());
        let mut local = AddrDict::default();
        local.intern("10.0.0.2".parse().unwrap());
        local.intern("10.0.0.1".parse().unwrap());
        assert_eq!(global.absorb(&local), vec![1, 0]);
    }
}

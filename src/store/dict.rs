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
#[derive(Debug, Clone)]
pub struct Interner<T: Hash + Eq + Clone> {
    values: Vec<T>,
    ids: FastMap<T, u32>,
}

impl<T: Hash + Eq + Clone> Default for Interner<T> {
    fn default() -> Self {
        Interner {
            values: Vec::new(),
            ids: FastMap::default(),
        }
    }
}

impl<T: Hash + Eq + Clone> Interner<T> {
    pub fn intern(&mut self, v: T) -> u32 {
        if let Some(&id) = self.ids.get(&v) {
            return id;
        }
        let id = self.values.len() as u32;
        self.values.push(v.clone());
        self.ids.insert(v, id);
        id
    }
    pub fn get(&self, id: u32) -> &T {
        &self.values[id as usize]
    }
    pub fn lookup(&self, v: &T) -> Option<u32> {
        self.ids.get(v).copied()
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
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        self.intern(s.into())
    }
    pub fn lookup_str(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
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
    fn absorb_translates_ids() {
        let mut global = AddrDict::default();
        global.intern("10.0.0.1".parse().unwrap());
        let mut local = AddrDict::default();
        local.intern("10.0.0.2".parse().unwrap());
        local.intern("10.0.0.1".parse().unwrap());
        assert_eq!(global.absorb(&local), vec![1, 0]);
    }
}

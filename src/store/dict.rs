//! Dictionaries: each distinct address or text is stored once; columns hold `u32` ids.

use super::id_index::IdIndex;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

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
    index: IdIndex,
    /// False once `drop_index` ran: look-ups then scan `values`.
    indexed: bool,
    /// Ids of texts interned lately, by `recent_slot` (`NOT_RECENT` where none): only
    /// the text dictionary's `intern_str` keeps and reads them.
    recent: [u32; RECENT],
}

/// Slots for texts interned lately: more than the rules of an NSG.
const RECENT: usize = 32;
const NOT_RECENT: u32 = u32::MAX;

impl<T: Hash + Eq + Clone> Default for Interner<T> {
    fn default() -> Self {
        Interner {
            values: Vec::new(),
            index: IdIndex::default(),
            indexed: true,
            recent: [NOT_RECENT; RECENT],
        }
    }
}

/// Where a text is remembered among those interned lately: from its length and two of
/// its bytes, which tell the rules of an NSG and a MAC apart without hashing the text.
#[inline]
fn recent_slot(s: &str) -> usize {
    let b = s.as_bytes();
    let (last, middle) = (b.last().copied(), b.get(b.len() / 2).copied());
    let mix = b.len() ^ usize::from(last.unwrap_or(0)) << 1 ^ usize::from(middle.unwrap_or(0));
    mix % RECENT
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
        self.index.find(hash, |id| eq(&self.values[id as usize]))
    }

    fn insert_at(&mut self, slot: usize, v: T) -> u32 {
        let id = self.values.len() as u32;
        self.values.push(v);
        let values = &self.values;
        self.index
            .insert(slot, id, |id| hash_of(&values[id as usize]));
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
        self.index.free();
        self.indexed = false;
        self.values.shrink_to_fit();
    }

    /// Heap bytes held, for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        self.values.capacity() * std::mem::size_of::<T>() + self.index.heap_bytes()
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
    /// The id of `s`, interned if new. A load interns a rule and a MAC for every dozen
    /// tuples or so, and they repeat (a record's MAC, an NSG's rules in turn): most are
    /// found among the texts interned lately by one comparison, where hashing the text
    /// and probing the index cost about 100 instructions, a few percent of a load.
    pub fn intern_str(&mut self, s: &str) -> u32 {
        assert!(self.indexed, "intern after drop_index");
        let recent = recent_slot(s);
        let id = self.recent[recent];
        if self.values.get(id as usize).is_some_and(|v| **v == *s) {
            return id;
        }
        let id = match self.find(hash_of(s), |x| &**x == s) {
            Ok(id) => id,
            Err(slot) => self.insert_at(slot, s.into()),
        };
        self.recent[recent] = id;
        id
    }
    pub fn lookup_str(&self, s: &str) -> Option<u32> {
        self.find(hash_of(s), |x| &**x == s).ok()
    }
    pub fn text(&self, id: u32) -> &str {
        &self.values[id as usize]
    }

    /// A text id as a dense slot for tables by text: each id its own, and absent text
    /// (`NONE`) the slot after the last, so `len() + 1` slots in all.
    pub fn slot(&self, id: u32) -> usize {
        match id == super::NONE {
            true => self.values.len(),
            false => id as usize,
        }
    }

    /// The text of a `slot`: absent text (the last slot) reads as empty.
    pub fn slot_text(&self, slot: usize) -> &str {
        self.values.get(slot).map_or("", |t| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_remembered_in_one_slot_keep_their_own_ids() {
        // The same length, middle and last byte: one slot among those interned lately.
        let texts = ["xAy", "zAy", "", "xAy", "qAy", "zAy", "", "qAy"];
        assert!(["zAy", "qAy"]
            .iter()
            .all(|t| recent_slot(t) == recent_slot("xAy")));
        let mut d = TextDict::default();
        let ids: Vec<u32> = texts.iter().map(|t| d.intern_str(t)).collect();
        assert_eq!(ids, [0, 1, 2, 0, 3, 1, 2, 3]);
        for (t, id) in texts.iter().zip(ids) {
            assert_eq!(d.text(id), *t);
            assert_eq!(d.lookup_str(t), Some(id));
        }
    }

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
    fn many_values_survive_the_index_growing_and_being_dropped() {
        let mut d = TextDict::default();
        let names: Vec<String> = (0..5000).map(|i| format!("rule-{i}")).collect();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(d.intern_str(n), i as u32);
        }
        assert_eq!(d.intern_str("rule-4321"), 4321);
        d.drop_index();
        assert_eq!(d.lookup_str("rule-17"), Some(17));
        assert_eq!(d.lookup_str("rule-5000"), None);
    }

    #[test]
    fn absorb_translates_ids() {
        let mut global = TextDict::default();
        global.intern_str("a");
        let mut local = TextDict::default();
        local.intern_str("b");
        local.intern_str("a");
        assert_eq!(global.absorb(&local), vec![1, 0]);
    }
}

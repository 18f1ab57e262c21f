//! The address dictionary: each distinct IPv4 or IPv6 address once, under a dense id.
//!
//! Loads of internet-facing interfaces see a new peer address every few tuples, so the
//! dictionary is a real share of the store. An `IpAddr` takes 17 bytes; here an IPv4
//! address takes its 4 bytes and one bit, and an IPv6 address 4 + 16 bytes and one bit:
//!
//! ```text
//! id:     0          1        2          …
//! words:  10.0.0.4   0 ──┐    8.8.8.8       (IPv4: the address; IPv6: index into v6)
//! is_v6:  0          1   │    0
//! v6:                    └─>  [fd00::4, …]
//! ```

use super::dict::FastHasher;
use super::id_index::IdIndex;
use std::hash::Hasher;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Default)]
pub struct AddrDict {
    values: Values,
    index: IdIndex,
}

#[derive(Debug, Clone, Default)]
struct Values {
    words: Vec<u32>,
    /// One bit per id, set where the id is an IPv6 address.
    is_v6: Vec<u64>,
    v6: Vec<Ipv6Addr>,
}

impl Values {
    #[inline]
    fn get(&self, id: u32) -> IpAddr {
        let i = id as usize;
        let word = self.words[i];
        if self.is_v6(id) {
            IpAddr::V6(self.v6[word as usize])
        } else {
            IpAddr::V4(Ipv4Addr::from(word))
        }
    }

    /// Whether `id` is the IPv4 address `word`. An IPv6 entry's word is its index among
    /// the IPv6 addresses, which the word of some IPv4 address equals.
    #[inline]
    fn is_v4(&self, id: u32, word: u32) -> bool {
        self.words[id as usize] == word && !self.is_v6(id)
    }

    #[inline]
    fn is_v6(&self, id: u32) -> bool {
        let i = id as usize;
        self.is_v6[i / 64] >> (i % 64) & 1 == 1
    }

    fn push(&mut self, addr: IpAddr) -> u32 {
        let i = self.words.len();
        if i.is_multiple_of(64) {
            self.is_v6.push(0);
        }
        match addr {
            IpAddr::V4(a) => self.words.push(u32::from(a)),
            IpAddr::V6(a) => {
                self.words.push(self.v6.len() as u32);
                self.v6.push(a);
                self.is_v6[i / 64] |= 1 << (i % 64);
            }
        }
        i as u32
    }
}

/// One multiply for an IPv4 address: this runs twice for nearly every tuple loaded.
#[inline]
fn hash(addr: IpAddr) -> u64 {
    let mut h = FastHasher::default();
    match addr {
        IpAddr::V4(a) => h.write_u32(u32::from(a)),
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            h.write_u64(bits as u64);
            h.write_u64((bits >> 64) as u64);
        }
    }
    h.finish()
}

impl AddrDict {
    pub fn len(&self) -> usize {
        self.values.words.len()
    }
    pub fn is_empty(&self) -> bool {
        self.values.words.is_empty()
    }

    #[inline]
    pub fn get(&self, id: u32) -> IpAddr {
        self.values.get(id)
    }

    /// Every address, in id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = IpAddr> + '_ {
        (0..self.len() as u32).map(|id| self.get(id))
    }

    /// The id of `addr`, interned if new; not after `drop_index`.
    #[inline]
    pub fn intern(&mut self, addr: IpAddr) -> u32 {
        assert!(
            self.index.heap_bytes() > 0 || self.is_empty(),
            "intern after drop_index"
        );
        let found = match addr {
            // The word first: its bit (IPv6 or not) is read only where the word matches,
            // which for a slot of another address it seldom does.
            IpAddr::V4(a) => {
                let word = u32::from(a);
                let v = &self.values;
                self.index.find(hash(addr), |id| v.is_v4(id, word))
            }
            IpAddr::V6(_) => self.index.find(hash(addr), |id| self.get(id) == addr),
        };
        match found {
            Ok(id) => id,
            Err(slot) => self.insert_at(slot, addr),
        }
    }

    fn insert_at(&mut self, slot: usize, addr: IpAddr) -> u32 {
        let id = self.values.push(addr);
        let values = &self.values;
        self.index.insert(slot, id, |id| hash(values.get(id)));
        id
    }

    /// Frees the index once no more addresses will be interned: queries never need it
    /// (filters match the dictionary by scanning it once).
    pub fn drop_index(&mut self) {
        self.index.free();
        let v = &mut self.values;
        v.words.shrink_to_fit();
        v.is_v6.shrink_to_fit();
        v.v6.shrink_to_fit();
    }

    /// Heap bytes held, for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        let v = &self.values;
        v.words.capacity() * 4
            + v.is_v6.capacity() * 8
            + v.v6.capacity() * 16
            + self.index.heap_bytes()
    }

    /// Interns every address of `other`; returns the id translation (`other` id → ours).
    pub fn absorb(&mut self, other: &AddrDict) -> Vec<u32> {
        other.iter().map(|a| self.intern(a)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn both_families_keep_their_ids_through_growth() {
        let mut d = AddrDict::default();
        let all: Vec<IpAddr> = (0..3000u32)
            .map(|i| match i % 3 {
                0 => IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)),
                1 => IpAddr::V6(Ipv6Addr::from(0xfd00_u128 << 112 | i as u128)),
                _ => IpAddr::V4(Ipv4Addr::from(i.wrapping_mul(2_654_435_761))),
            })
            .collect();
        for (i, a) in all.iter().enumerate() {
            assert_eq!(d.intern(*a), i as u32, "{a}");
        }
        for (i, a) in all.iter().enumerate() {
            assert_eq!(d.intern(*a), i as u32, "again {a}");
            assert_eq!(d.get(i as u32), *a);
        }
        assert_eq!(d.iter().collect::<Vec<_>>(), all);
    }

    #[test]
    fn dropping_the_index_frees_it_and_keeps_every_id() {
        let mut d = AddrDict::default();
        let a = d.intern(addr("10.0.0.1"));
        let b = d.intern(addr("::1"));
        d.drop_index();
        assert_eq!(d.heap_bytes(), 2 * 4 + 8 + 16);
        assert_eq!((d.get(a), d.get(b)), (addr("10.0.0.1"), addr("::1")));
    }

    #[test]
    fn an_ipv4_mapped_address_is_not_its_ipv4_address() {
        let mut d = AddrDict::default();
        let a = d.intern(addr("10.0.0.1"));
        assert_ne!(d.intern(addr("::ffff:10.0.0.1")), a);
    }

    #[test]
    #[should_panic(expected = "intern after drop_index")]
    fn interning_after_the_index_is_dropped_is_refused() {
        let mut d = AddrDict::default();
        d.intern(addr("10.0.0.1"));
        d.drop_index();
        d.intern(addr("10.0.0.1"));
    }

    #[test]
    fn an_ipv4_address_is_never_taken_for_an_ipv6_one_with_the_same_word() {
        // An IPv6 entry's word is its index among the IPv6 addresses: 0, 1, 2, … which
        // are also the words of 0.0.0.0, 0.0.0.1, 0.0.0.2.
        let mut d = AddrDict::default();
        let v6: Vec<IpAddr> = (0..4u128)
            .map(|i| IpAddr::V6(Ipv6Addr::from(i + 1)))
            .collect();
        let v4: Vec<IpAddr> = (0..4u32).map(|i| IpAddr::V4(Ipv4Addr::from(i))).collect();
        for a in v6.iter().chain(&v4) {
            d.intern(*a);
        }
        for (i, a) in v6.iter().chain(&v4).enumerate() {
            assert_eq!(d.intern(*a), i as u32, "{a}");
            assert_eq!(d.get(i as u32), *a);
        }
        assert_eq!(d.len(), 8);
        for id in 0..4 {
            assert!(!d.values.is_v4(id, id), "IPv6 entry {id} is not 0.0.0.{id}");
            assert!(d.values.is_v4(id + 4, id));
        }
    }

    #[test]
    fn absorb_translates_ids() {
        let mut global = AddrDict::default();
        global.intern(addr("10.0.0.1"));
        let mut local = AddrDict::default();
        local.intern(addr("10.0.0.2"));
        local.intern(addr("10.0.0.1"));
        assert_eq!(global.absorb(&local), vec![1, 0]);
    }
}

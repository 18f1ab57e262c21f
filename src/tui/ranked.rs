//! Sorting the Flows table by a column whose values can be numbered in order (a rank):
//! a counting sort, two passes over the rows, instead of comparing rows. By source over
//! 100M rows the comparison sort took 63 s, its merges reading the dictionaries at random.
//!
//! ```text
//! src, dst      rank of the address among all addresses, then the port within it
//! proto, dir, action, state      the packed value itself
//! rule, nsg     rank of the text among the texts in use
//! ```
//! Rows go to their rank's bucket in row order, so equal keys stay in row order: the
//! order of a stable sort. Time and the counters have no small rank and are sorted
//! otherwise.

use super::settings::Column;
use crate::field::Field;
use crate::selection::Selection;
use crate::store::flags::{DENY_BIT, DIR_BIT, STATE_MASK};
use crate::store::Store;
use crate::views::group_slot;
use std::net::IpAddr;

/// Rows ranked between two checks for staleness.
const STALE_STEP: usize = 1 << 20;

/// What a column's rows are ranked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rank {
    /// The address among all addresses, then the port: the source side, or the
    /// destination.
    Address { source: bool },
    /// `(flags & mask) >> shift`: the packed value, in the order of what it encodes.
    Flags { mask: u32, shift: u32 },
    /// The group's text (rule) or its record's (NSG) among the texts in use.
    Text(Field),
}

impl Rank {
    /// The rank of `column`'s values; `None` for time and the counters, which have no
    /// small rank and are sorted otherwise.
    pub fn of(column: Column) -> Option<Rank> {
        let flags = |mask: u32| Rank::Flags {
            mask,
            shift: mask.trailing_zeros(),
        };
        Some(match column {
            Column::Src => Rank::Address { source: true },
            Column::Dst => Rank::Address { source: false },
            Column::Proto => flags(0xff),
            Column::Dir => flags(DIR_BIT),
            Column::Action => flags(DENY_BIT),
            Column::State => flags(STATE_MASK),
            Column::Rule => Rank::Text(Field::Rule),
            Column::Nsg => Rank::Text(Field::Nsg),
            Column::Time | Column::Bytes | Column::Packets => return None,
        })
    }
}

/// The rows of `sel` in `rank` order (stable); `None` when `stale` says the answer is no
/// longer wanted.
pub fn sort(
    store: &Store,
    rank: Rank,
    sel: &Selection,
    stale: &dyn Fn() -> bool,
) -> Option<Vec<u32>> {
    match rank {
        Rank::Address { source } => {
            let (ids, ports) = match source {
                true => (store.src_ids(), store.sports()),
                false => (store.dst_ids(), store.dports()),
            };
            let ranks = address_ranks(store);
            let mut rows = by_rank(
                sel,
                ranks.len(),
                |row| ranks[ids[row as usize] as usize],
                stale,
            )?;
            drop(ranks);
            // Within one address, by port: each bucket is in row order, so a stable sort.
            for bucket in buckets(&mut rows, |row| ids[row as usize]) {
                if stale() {
                    return None;
                }
                bucket.sort_by_key(|&row| ports[row as usize]);
            }
            Some(rows)
        }
        Rank::Flags { mask, shift } => {
            let flags = store.flags();
            let value = |row: u32| (flags[row as usize] as u32 & mask) >> shift;
            by_rank(sel, (mask >> shift) as usize + 1, value, stale)
        }
        Rank::Text(field) => {
            let ranks = group_text_ranks(store, field);
            let bound = ranks.iter().max().map_or(0, |&r| r as usize + 1);
            let mut group = store.group_cursor();
            by_rank(sel, bound, |row| ranks[group.at(row)], stale)
        }
    }
}

/// A counting sort of the selected rows by `rank` (below `ranks`), which is called with
/// ascending rows, twice each.
fn by_rank(
    sel: &Selection,
    ranks: usize,
    mut rank: impl FnMut(u32) -> u32,
    stale: &dyn Fn() -> bool,
) -> Option<Vec<u32>> {
    // Where each rank's bucket starts, then (while filling) where its next row goes.
    let mut next = vec![0u32; ranks + 1];
    for (i, row) in sel.iter().enumerate() {
        if i % STALE_STEP == STALE_STEP - 1 && stale() {
            return None;
        }
        next[rank(row) as usize + 1] += 1;
    }
    for r in 1..next.len() {
        next[r] += next[r - 1];
    }
    // Zeros the system hands out untouched; every slot is written below.
    let mut rows = vec![0u32; sel.len()];
    if stale() {
        return None;
    }
    for row in sel.iter() {
        let at = &mut next[rank(row) as usize];
        rows[*at as usize] = row;
        *at += 1;
    }
    Some(rows)
}

/// The runs of `rows` with equal `key`, each as a mutable slice.
fn buckets(rows: &mut [u32], key: impl Fn(u32) -> u32) -> impl Iterator<Item = &mut [u32]> {
    rows.chunk_by_mut(move |&a, &b| key(a) == key(b))
}

/// The rank of every address id in address order (IPv4 before IPv6, as `IpAddr` orders).
/// Each address is sorted packed with its id, reading memory in order: sorting ids by
/// looking their addresses up took four times as long (184 → 48 ms for the 1.8M
/// addresses of 10M tuples).
fn address_ranks(store: &Store) -> Vec<u32> {
    let addrs = store.addrs();
    let (mut v4, mut v6) = (Vec::with_capacity(addrs.len()), Vec::new());
    for id in 0..addrs.len() as u32 {
        match addrs.get(id) {
            IpAddr::V4(a) => v4.push(u64::from(u32::from(a)) << 32 | u64::from(id)),
            IpAddr::V6(a) => v6.push((u128::from(a), id)),
        }
    }
    v4.sort_unstable();
    v6.sort_unstable();
    let ids = v4.iter().map(|&key| key as u32);
    let mut ranks = vec![0u32; addrs.len()];
    for (rank, id) in ids.chain(v6.iter().map(|&(_, id)| id)).enumerate() {
        ranks[id as usize] = rank as u32;
    }
    ranks
}

/// Each group's rank by the text of `field` (a group-level text field: rule, NSG, …).
/// Absent text reads as empty, as the comparison sort reads it, and equal texts share a
/// rank.
fn group_text_ranks(store: &Store, field: Field) -> Vec<u32> {
    let texts = store.texts();
    let absent = texts.slot(crate::store::NONE);
    let slots: Vec<usize> = (0..store.groups().len())
        .map(|g| group_slot(store, field, g) as usize)
        .collect();
    let mut seen = vec![false; absent + 1];
    slots.iter().for_each(|&slot| seen[slot] = true);
    let text = |slot| texts.slot_text(slot);
    let mut used: Vec<usize> = (0..=absent).filter(|&s| seen[s]).collect();
    used.sort_unstable_by_key(|&s| text(s));
    let mut by_slot = vec![0u32; absent + 1];
    let mut rank = 0;
    for (i, &s) in used.iter().enumerate() {
        if i > 0 && text(s) != text(used[i - 1]) {
            rank += 1;
        }
        by_slot[s] = rank;
    }
    slots.into_iter().map(|slot| by_slot[slot]).collect()
}

//! Sorting the Flows table by a column whose values can be numbered in order (a rank):
//! a counting sort, two passes over the rows, instead of comparing rows. By source over
//! 100M rows the comparison sort took 63 s, its merges reading the dictionaries at random.
//!
//! ```text
//! src, dst      rank of the address among all addresses, then the port within it
//! proto, dir, action, state      the packed value itself
//! rule, nsg     rank of the text among the texts in use
//! bytes, packets the value itself below 2^17; larger ones by bit length and the 12
//!               bits after the leading one, then sorted within (`counters`)
//! ```
//! Rows go to their rank's bucket in row order, so equal keys stay in row order: the
//! order of a stable sort. Time has no small rank and is sorted otherwise.

use super::settings::Column;
use crate::field::Field;
use crate::selection::Selection;
use crate::store::flags::{DENY_BIT, DIR_BIT, STATE_MASK};
use crate::store::Store;
use crate::views::group_slot;
use std::net::IpAddr;

mod counters;

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
    /// A row's bytes or packets, in plus out (`counters`).
    Counter { bytes: bool },
}

impl Rank {
    /// The rank of `column`'s values; `None` for time, which has no small rank and is
    /// sorted otherwise.
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
            Column::Bytes => Rank::Counter { bytes: true },
            Column::Packets => Rank::Counter { bytes: false },
            Column::Time => return None,
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
            let (mut rows, ends) = by_rank(
                sel,
                ranks.len(),
                |row| ranks[ids[row as usize] as usize],
                stale,
            )?;
            drop(ranks);
            // Within one address, by port; each bucket is in row order. Buckets come from
            // the counting sort's ends: telling them apart by id read each row's id again,
            // in address order, all over the column.
            let mut scratch = PortSort::default();
            let mut since_check = 0;
            let mut start = 0;
            for &end in &ends[..ends.len() - 1] {
                let bucket = &mut rows[start as usize..end as usize];
                start = end;
                since_check += bucket.len();
                if since_check >= STALE_STEP {
                    since_check = 0;
                    if stale() {
                        return None;
                    }
                }
                scratch.sort(bucket, ports);
            }
            Some(rows)
        }
        Rank::Flags { mask, shift } => {
            let flags = store.flags();
            let value = |row: u32| (flags[row as usize] as u32 & mask) >> shift;
            Some(by_rank(sel, (mask >> shift) as usize + 1, value, stale)?.0)
        }
        Rank::Text(field) => {
            let ranks = group_text_ranks(store, field);
            let bound = ranks.iter().max().map_or(0, |&r| r as usize + 1);
            let mut group = store.group_cursor();
            Some(by_rank(sel, bound, |row| ranks[group.at(row)], stale)?.0)
        }
        Rank::Counter { bytes } => counters::sort(store.counter_column(), bytes, sel, stale),
    }
}

/// A counting sort of the selected rows by `rank` (below `ranks`), which is called with
/// ascending rows, twice each; with the rows, where each rank's bucket ends in them.
fn by_rank(
    sel: &Selection,
    ranks: usize,
    rank: impl FnMut(u32) -> u32,
    stale: &dyn Fn() -> bool,
) -> Option<(Vec<u32>, Vec<u32>)> {
    count_sort(|| sel.iter(), sel.len(), ranks, rank, stale)
}

/// A counting sort of the `len` rows `rows()` gives (twice, the same each time) by
/// `rank` (below `ranks`): the rows, and where each rank's bucket ends in them.
fn count_sort<I: Iterator<Item = u32>>(
    rows: impl Fn() -> I,
    len: usize,
    ranks: usize,
    mut rank: impl FnMut(u32) -> u32,
    stale: &dyn Fn() -> bool,
) -> Option<(Vec<u32>, Vec<u32>)> {
    // Where each rank's bucket starts, then (while filling) where its next row goes.
    let mut next = vec![0u32; ranks + 1];
    for (i, row) in rows().enumerate() {
        if i % STALE_STEP == STALE_STEP - 1 && stale() {
            return None;
        }
        next[rank(row) as usize + 1] += 1;
    }
    for r in 1..next.len() {
        next[r] += next[r - 1];
    }
    // Zeros the system hands out untouched; every slot is written below.
    let mut sorted = vec![0u32; len];
    if stale() {
        return None;
    }
    for row in rows() {
        let at = &mut next[rank(row) as usize];
        sorted[*at as usize] = row;
        *at += 1;
    }
    // Each rank's next slot is now where its bucket ends.
    Some((sorted, next))
}

/// Sorts `rows` by a 32-bit key each (`key(i, row)` for the row at `i`), ties by row id:
/// each row packed with its key as one `u64`, the packed values sorted. Row ids break
/// ties, so on ascending rows the unstable sort gives the stable order. `packed` is a
/// buffer kept between calls.
fn sort_packed(rows: &mut [u32], key: impl Fn(usize, u32) -> u32, packed: &mut Vec<u64>) {
    packed.clear();
    let keyed = rows
        .iter()
        .enumerate()
        .map(|(i, &row)| u64::from(key(i, row)) << 32 | u64::from(row));
    packed.extend(keyed);
    packed.sort_unstable();
    for (slot, key) in rows.iter_mut().zip(packed.iter()) {
        *slot = *key as u32;
    }
}

/// Sorts an address's rows (ascending) by port, stably, without comparing through the
/// port column: a comparison sort that read two rows' ports for every comparison took
/// half of a 50M-row sort by address (8.2 s), the big buckets (an interface's own
/// address is on most of its rows) most of it. Buffers are kept between buckets.
#[derive(Default)]
struct PortSort {
    packed: Vec<u64>,
}

/// Buckets from this many rows are sorted by counting their ports (65,536 counters);
/// smaller ones packed with their row ids.
const COUNT_PORTS_FROM: usize = 1 << 16;

impl PortSort {
    fn sort(&mut self, rows: &mut [u32], ports: &[u16]) {
        let port = |row: u32| u32::from(ports[row as usize]);
        if rows.len() < COUNT_PORTS_FROM {
            sort_packed(rows, |_, row| port(row), &mut self.packed);
            return;
        }
        let bucket = &*rows;
        let never = || false;
        let (sorted, _) = count_sort(
            || bucket.iter().copied(),
            bucket.len(),
            1 << 16,
            port,
            &never,
        )
        .expect("a sort that is never stale finishes");
        rows.copy_from_slice(&sorted);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Both ways of sorting a bucket (packed, counted) give the stable sort by port.
    #[test]
    fn port_sort_is_the_stable_sort_by_port() {
        let mut rng = crate::gen::rng::Rng::new(0x2545_f491_4f6c_dd1d);
        let mut next = move || rng.next_u64();
        let ports: Vec<u16> = (0..400_000)
            .map(|_| match next() % 4 {
                0 => 443,
                1 => 0,
                2 => u16::MAX,
                _ => next() as u16,
            })
            .collect();
        let mut scratch = PortSort::default();
        for len in [
            0,
            1,
            2,
            1000,
            COUNT_PORTS_FROM - 1,
            COUNT_PORTS_FROM,
            200_000,
        ] {
            // Ascending rows, as a bucket holds them, with gaps.
            let mut rows: Vec<u32> = (0..ports.len() as u32)
                .filter(|_| next() % 3 != 0)
                .take(len)
                .collect();
            assert_eq!(rows.len(), len);
            let mut want = rows.clone();
            want.sort_by_key(|&r| ports[r as usize]);
            scratch.sort(&mut rows, &ports);
            assert_eq!(rows, want, "{len} rows");
        }
    }
}

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
use crate::selection::Selection;
use crate::store::flags::{DENY_BIT, DIR_BIT, STATE_MASK, STATE_SHIFT};
use crate::store::Store;

/// Rows ranked between two checks for staleness.
const STALE_STEP: usize = 1 << 20;

/// True when `sort` sorts by `column`.
pub fn has_ranks(column: Column) -> bool {
    !matches!(column, Column::Time | Column::Bytes | Column::Packets)
}

/// The rows of `sel` in `column` order (stable); `None` when `stale` says the answer is
/// no longer wanted (or the column has no rank: see `has_ranks`).
pub fn sort(
    store: &Store,
    column: Column,
    sel: &Selection,
    stale: &dyn Fn() -> bool,
) -> Option<Vec<u32>> {
    let flags = store.flags();
    let flag = |row: u32| flags[row as usize] as u32;
    match column {
        Column::Src | Column::Dst => {
            let (ids, ports) = if column == Column::Src {
                (store.src_ids(), store.sports())
            } else {
                (store.dst_ids(), store.dports())
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
        Column::Proto => by_rank(sel, 256, |row| flag(row) & 0xff, stale),
        Column::Dir => by_rank(sel, 2, |row| (flag(row) & DIR_BIT != 0) as u32, stale),
        Column::Action => by_rank(sel, 2, |row| (flag(row) & DENY_BIT != 0) as u32, stale),
        Column::State => by_rank(sel, 8, |row| (flag(row) & STATE_MASK) >> STATE_SHIFT, stale),
        Column::Rule => {
            let ranks = TextRanks::new(store, store.groups().iter().map(|g| g.rule));
            let mut group = store.group_cursor();
            let rank = |row| ranks.of(store.groups()[group.at(row)].rule);
            by_rank(sel, ranks.len(), rank, stale)
        }
        Column::Nsg => {
            let records = store.records();
            let ranks = TextRanks::new(store, records.iter().map(|r| r.nsg));
            let mut group = store.group_cursor();
            let rank = |row| {
                let record = store.groups()[group.at(row)].record;
                ranks.of(records[record as usize].nsg)
            };
            by_rank(sel, ranks.len(), rank, stale)
        }
        Column::Time | Column::Bytes | Column::Packets => None,
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
fn address_ranks(store: &Store) -> Vec<u32> {
    let addrs = store.addrs();
    let mut ids: Vec<u32> = (0..addrs.len() as u32).collect();
    ids.sort_unstable_by_key(|&id| addrs.get(id));
    let mut ranks = vec![0u32; ids.len()];
    for (rank, &id) in ids.iter().enumerate() {
        ranks[id as usize] = rank as u32;
    }
    ranks
}

/// Ranks of text ids by their text.
struct TextRanks {
    /// By text id, and one more slot last for absent text.
    ranks: Vec<u32>,
}

impl TextRanks {
    /// The texts of `used` ranked by text; absent text reads as empty, as the comparison
    /// sort reads it, and equal texts share a rank.
    fn new(store: &Store, used: impl Iterator<Item = u32>) -> TextRanks {
        let absent = store.texts().len();
        let mut seen = vec![false; absent + 1];
        used.for_each(|id| seen[slot(id, absent)] = true);
        let text = |slot: usize| match slot == absent {
            true => "",
            false => store.texts().text(slot as u32),
        };
        let mut slots: Vec<usize> = (0..=absent).filter(|&s| seen[s]).collect();
        slots.sort_unstable_by_key(|&s| text(s));
        let mut ranks = vec![0u32; absent + 1];
        let mut rank = 0;
        for (i, &s) in slots.iter().enumerate() {
            if i > 0 && text(s) != text(slots[i - 1]) {
                rank += 1;
            }
            ranks[s] = rank;
        }
        TextRanks { ranks }
    }

    /// A bound on the ranks (above the highest).
    fn len(&self) -> usize {
        self.ranks.len()
    }

    fn of(&self, id: u32) -> u32 {
        self.ranks[slot(id, self.ranks.len() - 1)]
    }
}

/// Where a text id's rank is kept: by id, and absent text (`NONE`) at `absent`.
fn slot(id: u32, absent: usize) -> usize {
    match id == crate::store::NONE {
        true => absent,
        false => id as usize,
    }
}

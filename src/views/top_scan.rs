//! The scans behind a top-N: tallies per slot over the selected rows, each part of the
//! rows on its own thread and merged after.
//!
//! ```text
//! address, port, sort by tuples   count per slot ─> candidates ─> tally candidate rows
//! other row-level fields          tally per slot
//! group-level fields              whole group: its counter sums + time, flags columns
//!                                 part of a group: row by row, into the group's slot
//! ```

use super::carry_sums::CarrySums;
use super::parts::Rows;
use super::tally::PackedTally;
use super::SortBy;
use crate::field::Field;
use crate::parallel::map_each;
use crate::store::counters::{picks, CounterCursor};
use crate::store::flags::{ENC_MASK, ENC_SHIFT, STATE_MASK, STATE_SHIFT};
use crate::store::{Flags, Store, NONE};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A value's slot; `NO_SLOT` when a row has no second value (one side, or both sides equal).
pub(crate) type Slot = u64;
pub(crate) const NO_SLOT: Slot = u64::MAX;

/// Something run with the slot function of one field, so each field gets its own loop.
pub(crate) trait WithSlots {
    type Out;
    fn run<F: Fn(usize) -> [Slot; 2] + Sync>(self, slots: F) -> Self::Out;
}

/// Runs `user` with the slots of a row-level field (one a row, two for `ip` and `port`
/// unless both sides are equal); `None` for other fields.
pub(crate) fn with_row_slots<U: WithSlots>(store: &Store, field: Field, user: U) -> Option<U::Out> {
    // A store may be built without the columns other fields read (`Columns`): those
    // are empty here, and the field's own are there.
    let columns = store.columns();
    let (src, dst) = if columns.addresses {
        (store.src_ids(), store.dst_ids())
    } else {
        (&[][..], &[][..])
    };
    let (sport, dport) = if columns.ports {
        (store.sports(), store.dports())
    } else {
        (&[][..], &[][..])
    };
    let flags = store.flags();
    let pair = |a: Slot, b: Slot| [a, if a == b { NO_SLOT } else { b }];
    let out = match field {
        Field::Src => user.run(|r| [src[r] as Slot, NO_SLOT]),
        Field::Dst => user.run(|r| [dst[r] as Slot, NO_SLOT]),
        Field::Ip => user.run(|r| pair(src[r] as Slot, dst[r] as Slot)),
        Field::Sport => user.run(|r| [sport[r] as Slot, NO_SLOT]),
        Field::Dport => user.run(|r| [dport[r] as Slot, NO_SLOT]),
        Field::Port => user.run(|r| pair(sport[r] as Slot, dport[r] as Slot)),
        Field::Proto => user.run(|r| [(flags[r] & 0xff) as Slot, NO_SLOT]),
        Field::Dir => user.run(|r| [Flags(flags[r] as u32).dir() as Slot, NO_SLOT]),
        Field::Action => user.run(|r| [Flags(flags[r] as u32).decision() as Slot, NO_SLOT]),
        Field::State => user.run(|r| {
            [
                ((flags[r] as u32 & STATE_MASK) >> STATE_SHIFT) as Slot,
                NO_SLOT,
            ]
        }),
        Field::Encryption => user.run(|r| {
            let f = store.flag(r as u32);
            [((f.0 & ENC_MASK) >> ENC_SHIFT) as Slot, NO_SLOT]
        }),
        _ => return None,
    };
    Some(out)
}

/// The slots of one row of a row-level field.
pub(crate) fn row_slots(store: &Store, field: Field, row: usize) -> Option<[Slot; 2]> {
    struct One(usize);
    impl WithSlots for One {
        type Out = [Slot; 2];
        fn run<F: Fn(usize) -> [Slot; 2] + Sync>(self, slots: F) -> [Slot; 2] {
            slots(self.0)
        }
    }
    with_row_slots(store, field, One(row))
}

/// A row's time and flags, and its bytes and packets if they count toward totals (zero
/// otherwise). The counters are always decoded and then masked: whether a row's counters
/// count is as good as random from row to row, and a mispredicted test costs more than
/// the decoding.
#[inline(always)]
fn figures(store: &Store, row: u32, cursor: &mut CounterCursor) -> (i64, Flags, u64, u64) {
    let c = cursor.at(row as usize);
    let flags = store.flag(row);
    let keep = flags.counted_mask();
    (
        store.time_ms(row),
        flags,
        c.bytes() & keep,
        c.packets() & keep,
    )
}

/// Adds each part's tallies into the first.
fn merged(per_part: Vec<Vec<PackedTally>>) -> Vec<PackedTally> {
    merged_sums(per_part, |mut a, b| {
        a.merge(&b);
        a
    })
}

/// Tallies per slot of a row-level field, `space` slots.
pub(crate) struct Dense<'a> {
    pub store: &'a Store,
    pub parts: &'a [Rows<'a>],
    pub space: usize,
}

impl WithSlots for Dense<'_> {
    type Out = Vec<PackedTally>;
    fn run<F: Fn(usize) -> [Slot; 2] + Sync>(self, slots: F) -> Vec<PackedTally> {
        let Dense {
            store,
            parts,
            space,
        } = self;
        merged(map_each(parts, |rows| {
            let mut tallies = vec![PackedTally::default(); space];
            let mut cursor = store.counter_column().cursor();
            rows.for_each(|row| {
                let (time, flags, bytes, packets) = figures(store, row, &mut cursor);
                for slot in slots(row as usize) {
                    if let Some(t) = tallies.get_mut(slot as usize) {
                        t.add_counted(time, flags, bytes, packets);
                    }
                }
            });
            tallies
        }))
    }
}

/// The slots that can make a top `n` with their tallies, for a row-level field of `space`
/// slots. A full tally per value (40 bytes, hundreds of thousands of addresses) misses the
/// cache on nearly every row; summing the figure sorted by first in a small array and
/// tallying only the values that reach the n-th biggest (ties included, so the ranking is
/// the same) is several times faster, and by tuples rows of other values need no counters
/// at all. `None` by bytes or packets when fewer than `n` values have any: values with
/// none can then make the top, and only a full tally knows which.
pub(crate) struct CountFirst<'a> {
    pub store: &'a Store,
    pub parts: &'a [Rows<'a>],
    pub space: usize,
    pub n: usize,
    pub sort: SortBy,
}

impl WithSlots for CountFirst<'_> {
    type Out = Option<Vec<(Slot, PackedTally)>>;
    fn run<F: Fn(usize) -> [Slot; 2] + Sync>(self, slots: F) -> Self::Out {
        let CountFirst {
            store,
            parts,
            space,
            n,
            sort,
        } = self;
        let (kept, positions) = if sort == SortBy::Tuples {
            let counts = merged_sums(
                map_each(parts, |rows| {
                    let mut counts = vec![0u32; space];
                    rows.for_each(|row| {
                        for slot in slots(row as usize) {
                            if let Some(c) = counts.get_mut(slot as usize) {
                                *c += 1;
                            }
                        }
                    });
                    counts
                }),
                u32::saturating_add,
            );
            let figures = || counts.iter().map(|&c| u64::from(c));
            // Fewer than `n` values: every value that has a tuple.
            let threshold = nth_biggest(figures(), n).unwrap_or(1);
            candidates(figures(), threshold)
        } else {
            let mut per_part = map_each(parts, |rows| {
                let mut sums = CarrySums::new(space);
                let mut add = |row: u32, total: u64| {
                    let figure = total & store.flag(row).counted_mask();
                    for slot in slots(row as usize) {
                        sums.add(slot as usize, figure);
                    }
                };
                if sort == SortBy::Bytes {
                    rows.for_each_with_total::<{ picks::BYTES }>(store, &mut add);
                } else {
                    rows.for_each_with_total::<{ picks::PACKETS }>(store, &mut add);
                }
                sums
            });
            let mut sums = per_part.swap_remove(0);
            per_part.iter().for_each(|other| sums.merge(other));
            let threshold = nth_biggest(sums.iter(), n)?;
            candidates(sums.iter(), threshold)
        };
        Some(tally_candidates(store, parts, &slots, &positions, kept))
    }
}

/// Tallies of the `kept` slots (ascending, each with its place in `positions`), in `kept`
/// order.
fn tally_candidates<F: Fn(usize) -> [Slot; 2] + Sync>(
    store: &Store,
    parts: &[Rows<'_>],
    slots: &F,
    positions: &Positions,
    kept: Vec<Slot>,
) -> Vec<(Slot, PackedTally)> {
    let per_part = map_each(parts, |rows| {
        // Rows of other values are skipped (a test that pays for itself: measured
        // faster than decoding every row); the second side of an `ip` or `port`
        // row that is not a candidate goes to a last tally, thrown away.
        let sink = kept.len();
        let mut tallies = vec![PackedTally::default(); sink + 1];
        let mut cursor = store.counter_column().cursor();
        let candidate = |slot: Slot| positions.of(slot).unwrap_or(sink);
        rows.for_each(|row| {
            let [a, b] = slots(row as usize).map(candidate);
            if a >= sink && b >= sink {
                return;
            }
            let (time, flags, bytes, packets) = figures(store, row, &mut cursor);
            for i in [a, b] {
                tallies[i.min(sink)].add_counted(time, flags, bytes, packets);
            }
        });
        tallies
    });
    kept.into_iter().zip(merged(per_part)).collect()
}

/// Adds each part's sums per slot into the first, with `add`.
fn merged_sums<T: Copy>(mut per_part: Vec<Vec<T>>, add: impl Fn(T, T) -> T) -> Vec<T> {
    let mut out = per_part.swap_remove(0);
    for other in per_part {
        out.iter_mut()
            .zip(&other)
            .for_each(|(s, &o)| *s = add(*s, o));
    }
    out
}

/// The `n`-th biggest positive figure, `None` when fewer than `n` are positive. The `n`
/// biggest so far are kept in a heap: one pass, nothing the size of the figures.
fn nth_biggest(figures: impl ExactSizeIterator<Item = u64>, n: usize) -> Option<u64> {
    // Fewer figures than `n` (a top of every value asks for `usize::MAX`): no answer,
    // known without a pass.
    if n == 0 || figures.len() < n {
        return None;
    }
    let mut biggest: BinaryHeap<Reverse<u64>> = BinaryHeap::new();
    for f in figures.filter(|&f| f > 0) {
        if biggest.len() < n {
            biggest.push(Reverse(f));
        } else if biggest.peek().is_some_and(|&Reverse(least)| f > least) {
            biggest.pop();
            biggest.push(Reverse(f));
        }
    }
    (biggest.len() == n).then(|| biggest.peek().map_or(0, |r| r.0))
}

/// The slots whose figure reaches `threshold`, ascending, and their positions.
fn candidates(
    figures: impl ExactSizeIterator<Item = u64>,
    threshold: u64,
) -> (Vec<Slot>, Positions) {
    let mut kept = Vec::new();
    let mut positions = vec![0u32; figures.len()];
    for (slot, f) in figures.enumerate() {
        if f >= threshold {
            kept.push(slot as Slot);
            positions[slot] = kept.len() as u32;
        }
    }
    (kept, Positions(positions))
}

/// Each candidate slot's position among them, + 1 (0 for the other slots). Every row asks
/// about its slot. The positions are zeroed memory the system hands out untouched: a page
/// without a candidate is never written, and every such page reads from the same zero
/// page, so the millions of slots of an address top miss the cache only where candidates
/// are.
struct Positions(Vec<u32>);

impl Positions {
    #[inline]
    fn of(&self, slot: Slot) -> Option<usize> {
        let p = *self.0.get(usize::try_from(slot).ok()?)?;
        (p as usize).checked_sub(1)
    }
}

/// Tallies per slot of a group-level field, `space` slots: each run of rows in one group
/// is added to the one slot of its group.
pub(crate) fn by_group(
    store: &Store,
    parts: &[Rows<'_>],
    field: Field,
    space: usize,
) -> Vec<PackedTally> {
    // Whole groups are added from their sums, worked out once for the store when the
    // selection is big enough for that to pay back at once.
    let selected: usize = parts.iter().map(|p| p.len()).sum();
    let sums = if selected * 4 >= store.len() {
        store.group_sums()
    } else {
        store.group_sums_ready().unwrap_or_default()
    };
    merged(map_each(parts, |rows| {
        let mut tallies = vec![PackedTally::default(); space];
        let mut cursor = store.counter_column().cursor();
        rows.for_each_group(store, |g, run, whole| {
            let slot = group_slot(store, field, g);
            let Some(t) = tallies.get_mut(slot as usize) else {
                return;
            };
            match (whole, sums.get(g)) {
                (true, Some(&sums)) => {
                    let rows = store.group_rows(g);
                    t.add_group(store, rows.start as usize..rows.end as usize, sums);
                }
                _ => run.for_each(|row| {
                    let (time, flags, bytes, packets) = figures(store, row, &mut cursor);
                    t.add_counted(time, flags, bytes, packets);
                }),
            }
        });
        tallies
    }))
}

fn text_slot(store: &Store, id: u32) -> Slot {
    store.texts().slot(id) as Slot
}

/// The slot of group `g` for a group-level field (`NO_SLOT` for other fields).
pub(crate) fn group_slot(store: &Store, field: Field, g: usize) -> Slot {
    let Some(group) = store.groups().get(g) else {
        return NO_SLOT;
    };
    let record = store.records().get(group.record as usize);
    match field {
        Field::Rule => text_slot(store, group.rule),
        Field::Mac => text_slot(store, group.mac),
        Field::Acl => text_slot(store, group.acl),
        Field::Nsg => text_slot(store, record.map_or(NONE, |r| r.nsg)),
        Field::Flowlog => text_slot(store, record.map_or(NONE, |r| r.flowlog)),
        Field::Target => text_slot(store, record.map_or(NONE, |r| r.target)),
        Field::Version => record.map_or(0, |r| r.version) as Slot,
        Field::File => record.map_or(NO_SLOT, |r| r.file as Slot),
        _ => NO_SLOT,
    }
}

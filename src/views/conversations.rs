//! Conversations: tuples grouped by (MAC, src, sport, dst, dport, proto) with totals.

use super::scan::for_each_row;
use super::tally::{counts_toward_totals, state_rank};
use super::{Conversation, SortBy, Tally};
use crate::model::{ConversationKey, Counters};
use crate::selection::Selection;
use crate::store::dict::FastMap;
use crate::store::Store;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault};

type FastSet<K> = HashSet<K, BuildHasherDefault<crate::store::dict::FastHasher>>;

fn hash_of(key: &ConversationKey) -> u64 {
    // The map hashes with the same hasher; its low bits pick the slot, so the split takes
    // a high bit instead.
    BuildHasherDefault::<crate::store::dict::FastHasher>::default().hash_one(key) >> 60
}

/// What ranking needs, kept small: millions of conversations can pass through here.
#[derive(Default, Clone, Copy)]
struct Size {
    tuples: u32,
    bytes: u64,
    packets: u64,
}

impl Size {
    fn metric(&self, sort: SortBy) -> u64 {
        match sort {
            SortBy::Tuples => self.tuples as u64,
            SortBy::Bytes => self.bytes,
            SortBy::Packets => self.packets,
        }
    }
}

/// A conversation as ranked: bigger first, then more tuples, then the smaller key.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Ranked {
    metric: u64,
    tuples: u32,
    key: ConversationKey,
}

impl Ord for Ranked {
    /// `Greater` ranks first.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.metric, self.tuples)
            .cmp(&(other.metric, other.tuples))
            .then_with(|| other.key.cmp(&self.key))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Everything shown about one of the conversations kept.
#[derive(Default)]
struct Detail {
    tally: Tally,
    totals: Counters,
    /// (time, state rank, row) of each tuple, for the state sequence.
    steps: Vec<(i64, u8, u32)>,
}

/// The `n` biggest conversations of the selection (ties by key), with totals summed over
/// their `C` and `E` tuples and their states in time order.
pub fn conversations(store: &Store, sel: &Selection, sort: SortBy, n: usize) -> Vec<Conversation> {
    let wanted = biggest(store, sel, sort, n);
    let mut details = details(store, sel, wanted.iter().copied().collect());
    wanted
        .into_iter()
        .map(|key| {
            let d = details.remove(&key).unwrap_or_default();
            Conversation {
                key,
                tally: d.tally,
                totals: d.totals,
                states: states(store, d.steps),
            }
        })
        .collect()
}

/// The keys of the `n` biggest conversations, in order.
///
/// Large selections are split over two threads by key hash, so each conversation is
/// summed by exactly one of them and each thread's map is half the size: at 100M tuples
/// the maps outgrow every cache, and a look-up costs a memory access whatever its size.
fn biggest(store: &Store, sel: &Selection, sort: SortBy, n: usize) -> Vec<ConversationKey> {
    let parts = if sel.len() >= crate::parallel::split_rows() {
        2
    } else {
        1
    };
    biggest_in_parts(store, sel, sort, n, parts)
}

/// `biggest`, with the conversations split into `parts` by key hash, each on a thread.
fn biggest_in_parts(
    store: &Store,
    sel: &Selection,
    sort: SortBy,
    n: usize,
    parts: u64,
) -> Vec<ConversationKey> {
    if n == 0 {
        return Vec::new();
    }
    let mut ranked: Vec<Ranked> = std::thread::scope(|scope| {
        let others: Vec<_> = (1..parts)
            .map(|part| scope.spawn(move || best(sizes(store, sel, part, parts), sort, n)))
            .collect();
        let mut all = best(sizes(store, sel, 0, parts), sort, n);
        for other in others {
            // A panic on another thread is a bug in the view: pass it on.
            all.extend(
                other
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            );
        }
        all
    });
    ranked.sort_unstable_by(|a, b| b.cmp(a));
    ranked.truncate(n);
    ranked.into_iter().map(|r| r.key).collect()
}

/// Sizes of the conversations whose key hash is `part` modulo `parts`.
fn sizes(store: &Store, sel: &Selection, part: u64, parts: u64) -> FastMap<ConversationKey, Size> {
    let groups = store.groups();
    let mut sizes: FastMap<ConversationKey, Size> = FastMap::default();
    for_each_row(store, sel, |row, g, c| {
        let key = key_of(store, row, groups[g].mac);
        if parts > 1 && hash_of(&key) % parts != part {
            return;
        }
        let size = sizes.entry(key).or_default();
        size.tuples += 1;
        if counts_toward_totals(store.flag(row).state()) {
            size.bytes = size.bytes.saturating_add(c.bytes());
            size.packets = size.packets.saturating_add(c.packets());
        }
    });
    sizes
}

/// The `n` best of `sizes`, in no particular order: a bounded heap, so ranking the top ten
/// of 40M conversations does not copy them all first.
fn best(sizes: FastMap<ConversationKey, Size>, sort: SortBy, n: usize) -> Vec<Ranked> {
    let ranked = sizes.into_iter().map(|(key, s)| Ranked {
        metric: s.metric(sort),
        tuples: s.tuples,
        key,
    });
    if n >= 1 << 16 {
        return ranked.collect();
    }
    let mut heap = BinaryHeap::with_capacity(n + 1);
    for r in ranked {
        heap.push(Reverse(r));
        if heap.len() > n {
            heap.pop();
        }
    }
    heap.into_iter().map(|Reverse(r)| r).collect()
}

/// Tallies, totals and steps of the wanted conversations, in a second pass so only the
/// conversations shown pay for them.
fn details(
    store: &Store,
    sel: &Selection,
    wanted: FastSet<ConversationKey>,
) -> FastMap<ConversationKey, Detail> {
    let groups = store.groups();
    let mut details: FastMap<ConversationKey, Detail> = FastMap::default();
    for_each_row(store, sel, |row, g, c| {
        let key = key_of(store, row, groups[g].mac);
        if !wanted.contains(&key) {
            return;
        }
        let flags = store.flag(row);
        let time = store.time_ms(row);
        let d = details.entry(key).or_default();
        d.tally.add(time, flags, c);
        if counts_toward_totals(flags.state()) {
            d.totals.add(c);
        }
        d.steps.push((time, state_rank(flags.state()), row));
    });
    details
}

/// State letters in time order (ties B < C < E < D, then row).
fn states(store: &Store, mut steps: Vec<(i64, u8, u32)>) -> String {
    steps.sort_unstable();
    steps
        .iter()
        .map(|&(_, _, row)| store.flag(row).state().map_or('-', |st| st.letter()))
        .collect()
}

#[inline]
fn key_of(store: &Store, row: u32, mac: u32) -> ConversationKey {
    let r = row as usize;
    ConversationKey {
        mac,
        src: store.src_ids()[r],
        sport: store.sports()[r],
        dst: store.dst_ids()[r],
        dport: store.dports()[r],
        proto: store.flag(row).proto(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FlowState, Tuple};
    use crate::views::testing::{build_specs, tuple, GroupSpec};

    fn step(time: i64, state: FlowState, packets: u64, bytes: u64) -> Tuple {
        let mut t = tuple(time, "203.0.113.9", 51234, "10.0.0.4", 3389);
        t.state = Some(state);
        t.counters.packets_out = packets;
        t.counters.bytes_out = bytes;
        t
    }

    fn group(rule: &str, mac: &str, tuples: Vec<Tuple>) -> GroupSpec {
        GroupSpec {
            rule: rule.into(),
            mac: mac.into(),
            nsg: Some("NSG".into()),
            flowlog: None,
            tuples,
        }
    }

    #[test]
    fn totals_sum_continue_and_end_counters_like_the_docs_example() {
        // FORMATS.md: packets 1021 + 52 + 8005 + 47 = 9125, across C and E tuples; the
        // E arrives before its B with the same time.
        let flow = vec![
            step(5_000, FlowState::End, 47, 4_700),
            step(1_000, FlowState::Begin, 0, 0),
            step(2_000, FlowState::Continue, 1021, 102_100),
            step(3_000, FlowState::Continue, 52, 5_200),
            step(4_000, FlowState::Continue, 8005, 800_500),
            step(1_000, FlowState::End, 0, 0),
        ];
        let other = vec![tuple(9_000, "198.51.100.1", 1, "10.0.0.4", 22)];
        let store = build_specs(&[group("R", "M1", flow.clone()), group("R", "M1", other)]);
        let all = conversations(&store, &Selection::all(store.len()), SortBy::Tuples, 10);
        assert_eq!(all.len(), 2);
        let c = &all[0];
        let expected_packets: u64 = flow
            .iter()
            .filter(|t| counts_toward_totals(t.state))
            .map(|t| t.counters.packets_out)
            .sum();
        assert_eq!(expected_packets, 9125);
        assert_eq!(c.totals.packets(), expected_packets);
        assert_eq!(c.tally.packets, expected_packets);
        assert_eq!(c.tally.tuples, flow.len() as u64);
        assert_eq!((c.tally.first_ms, c.tally.last_ms), (1_000, 5_000));
        assert_eq!(c.states, "BECCCE");
        assert_eq!(all[1].states, "-");
    }

    #[test]
    fn split_and_bounded_rankings_equal_a_plain_sort() {
        // Many conversations with few distinct sizes, so ties are broken by key.
        let tuples: Vec<Tuple> = (0..3000u64)
            .map(|i| {
                let mut t = tuple(i as i64, "203.0.113.9", (i % 700) as u16, "10.0.0.4", 22);
                t.state = Some(if i % 3 == 0 {
                    FlowState::End
                } else {
                    FlowState::Begin
                });
                t.counters.bytes_out = (i % 5) * 100;
                t.counters.packets_out = i % 4;
                t
            })
            .collect();
        let store = build_specs(&[group("R", "M1", tuples.clone()), group("R", "M2", tuples)]);
        let sel = Selection::from_sorted((0..store.len() as u32).filter(|r| r % 7 != 0).collect());
        for sort in [SortBy::Tuples, SortBy::Bytes, SortBy::Packets] {
            let mut plain: Vec<(u64, u32, ConversationKey)> = sizes(&store, &sel, 0, 1)
                .into_iter()
                .map(|(key, s)| (s.metric(sort), s.tuples, key))
                .collect();
            plain.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
            let plain: Vec<ConversationKey> = plain.into_iter().map(|r| r.2).collect();
            let all = plain.len();
            assert!(all > 1000, "{all} conversations");
            for parts in 1..=3 {
                for n in [0, 1, 10, all - 1, all, usize::MAX] {
                    let got = biggest_in_parts(&store, &sel, sort, n, parts);
                    assert_eq!(got, plain[..n.min(plain.len())], "{parts} parts, n {n}");
                }
            }
        }
    }

    #[test]
    fn the_interface_is_part_of_the_key_and_n_limits() {
        let t = tuple(1, "1.1.1.1", 1, "2.2.2.2", 2);
        let store = build_specs(&[group("R", "M1", vec![t, t]), group("R", "M2", vec![t])]);
        let sel = Selection::all(store.len());
        let all = conversations(&store, &sel, SortBy::Tuples, usize::MAX);
        let tuples: Vec<_> = all.iter().map(|c| c.tally.tuples).collect();
        assert_eq!(tuples, vec![2, 1]);
        assert_ne!(all[0].key.mac, all[1].key.mac);
        assert_eq!(conversations(&store, &sel, SortBy::Bytes, 1).len(), 1);
        assert!(conversations(&store, &sel, SortBy::Bytes, 0).is_empty());
    }
}

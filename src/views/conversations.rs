//! Conversations: tuples grouped by (MAC, src, sport, dst, dport, proto) with totals.

use super::parts::{parts, whole, Rows};
use super::scan::for_each_row;
use super::tally::{counts_toward_totals, state_rank};
use super::{Conversation, SortBy, Tally};
use crate::model::{ConversationKey, Counters};
use crate::parallel::map_each;
use crate::selection::Selection;
use crate::store::dict::FastMap;
use crate::store::Store;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault};

type FastSet<K> = HashSet<K, BuildHasherDefault<crate::store::dict::FastHasher>>;

/// What ranking needs of a conversation, in 12 bytes (a map entry is 32 with the key):
/// tens of millions of conversations can pass through here.
#[derive(Default, Clone, Copy)]
#[repr(C, packed(4))]
struct Size {
    tuples: u32,
    /// The sum the ranking is by (bytes or packets); unused when by tuples.
    sum: u64,
}

impl Size {
    fn metric(self, sort: SortBy) -> u64 {
        match sort {
            SortBy::Tuples => self.tuples as u64,
            SortBy::Bytes | SortBy::Packets => self.sum,
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
    conversations_unless(store, sel, sort, n, &|| false).unwrap_or_default()
}

/// `conversations`, or `None` once `stop` says the answer is no longer wanted: it is asked
/// between the passes over the rows, so a ranking of 20M tuples (seconds) gives way to a
/// newer question within a part's pass.
pub fn conversations_unless(
    store: &Store,
    sel: &Selection,
    sort: SortBy,
    n: usize,
    stop: &dyn Fn() -> bool,
) -> Option<Vec<Conversation>> {
    let wanted = biggest(store, sel, sort, n, stop)?;
    if stop() {
        return None;
    }
    let (mut details, shared) = details(store, sel, wanted.iter().copied().collect());
    wanted
        .into_iter()
        .map(|key| {
            let d = details.remove(&key).unwrap_or_default();
            Conversation {
                key,
                tally: d.tally,
                totals: d.totals,
                states: states(store, d.steps),
                other_interface: shared.contains(&Flow::of(&key)),
            }
        })
        .collect::<Vec<_>>()
        .into()
}

/// Memory the conversation maps of one ranking may take at once: a byte per loaded tuple,
/// and at least `MIN_ROOM`. Ranking the 30M conversations of 100M tuples in one go held
/// 4.5 GB of maps, more than the store itself.
const MIN_ROOM: usize = 8 << 20;
/// Bytes a conversation takes in a map: a 32-byte entry, a control byte, and the free
/// slots of a table at most 7/8 full.
const ENTRY_BYTES: usize = 40;

/// The keys of the `n` biggest conversations, in order.
///
/// Conversations are split into parts (`part_of`), so each is summed in exactly one part.
/// Two parts run at a time on a machine with a second core, each a thread scanning every
/// selected row. There are as many parts as keep the maps within their room, going by an
/// estimate of how many conversations there are: at 100M tuples (30M conversations), 26
/// parts took 11.1 s against 10.2 s for two, and no more memory than the load against
/// 4.5 GB of maps.
fn biggest(
    store: &Store,
    sel: &Selection,
    sort: SortBy,
    n: usize,
    stop: &dyn Fn() -> bool,
) -> Option<Vec<ConversationKey>> {
    let plan = plan(store, sel, MIN_ROOM.max(store.len()));
    if stop() {
        return None;
    }
    biggest_in_parts(store, sel, sort, n, plan, stop)
}

/// A split whose maps take about `room` bytes at a time.
fn plan(store: &Store, sel: &Selection, room: usize) -> Plan {
    let threads = if sel.len() >= crate::parallel::split_rows() {
        2
    } else {
        1
    };
    if sel.len().saturating_mul(ENTRY_BYTES) <= room {
        return Plan::new(threads, threads, 0);
    }
    let distinct = distinct_estimate(store, sel);
    let parts = distinct.saturating_mul(ENTRY_BYTES).div_ceil(room.max(1)) * threads;
    Plan::new(parts.max(threads), threads, distinct)
}

/// How a ranking is split.
#[derive(Debug, Clone, Copy)]
struct Plan {
    parts: u64,
    /// Parts summed at the same time, each on a thread.
    threads: u64,
    /// Room to reserve in each part's map (0: let it grow).
    capacity: usize,
}

impl Plan {
    fn new(parts: usize, threads: usize, distinct: usize) -> Plan {
        Plan {
            parts: parts as u64,
            threads: threads as u64,
            // Reserved up front: a map that grows holds its old and new table at once.
            capacity: (distinct / parts.max(1)).saturating_mul(9) / 8,
        }
    }
}

/// `biggest`, split as `plan` says.
fn biggest_in_parts(
    store: &Store,
    sel: &Selection,
    sort: SortBy,
    n: usize,
    plan: Plan,
    stop: &dyn Fn() -> bool,
) -> Option<Vec<ConversationKey>> {
    if n == 0 {
        return Some(Vec::new());
    }
    let best_of = |part: u64| best(sizes(store, sel, sort, part, plan), sort, n);
    let mut ranked: Vec<Ranked> = Vec::new();
    let parts: Vec<u64> = (0..plan.parts).collect();
    for batch in parts.chunks(plan.threads.max(1) as usize) {
        if stop() {
            return None;
        }
        ranked.extend(map_each(batch, best_of).into_iter().flatten());
    }
    ranked.sort_unstable_by(|a, b| b.cmp(a));
    ranked.truncate(n);
    Some(ranked.into_iter().map(|r| r.key).collect())
}

/// Sizes of the conversations of part `part`; only their rows' counters are decoded.
fn sizes(
    store: &Store,
    sel: &Selection,
    sort: SortBy,
    part: u64,
    plan: Plan,
) -> FastMap<ConversationKey, Size> {
    let mut sizes: FastMap<ConversationKey, Size> =
        FastMap::with_capacity_and_hasher(plan.capacity, Default::default());
    let mut counters = store.counter_column().cursor();
    let in_part = |row: u32| plan.parts == 1 || part_of(store, row, plan.parts) == part;
    for_each_key(store, whole(store, sel), in_part, |row, key| {
        let size = sizes.entry(key).or_default();
        size.tuples += 1;
        if sort != SortBy::Tuples && counts_toward_totals(store.flag(row).state()) {
            let c = counters.at(row as usize);
            let add = if sort == SortBy::Bytes {
                c.bytes()
            } else {
                c.packets()
            };
            size.sum = { size.sum }.saturating_add(add);
        }
    });
    sizes
}

/// Calls `f(row, key)` for every row of `rows` that `wanted` accepts, in row order.
fn for_each_key(
    store: &Store,
    rows: Rows,
    wanted: impl Fn(u32) -> bool,
    mut f: impl FnMut(u32, ConversationKey),
) {
    let groups = store.groups();
    let mut group = store.group_cursor();
    rows.for_each(|row| {
        if wanted(row) {
            f(row, key_of(store, row, groups[group.at(row)].mac))
        }
    });
}

/// The part of the conversation of `row`, of `parts`: from its source and ports, read
/// straight from their columns (8 bytes a row), so that a part's scan passes over the
/// other parts' rows at the cost of a multiply (every part scans every row). Both ports
/// are in, so one source's many conversations spread over the parts.
#[inline]
fn part_of(store: &Store, row: u32, parts: u64) -> u64 {
    let r = row as usize;
    let ports = (store.sports()[r] as u64) << 16 | store.dports()[r] as u64;
    let x = (store.src_ids()[r] as u64) << 32 | ports;
    let h = x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32;
    // `h` is uniform below 2^32: scaled to `0..parts` without a division.
    (h * parts) >> 32
}

/// A hash of the key with every bit mixed (the maps' own hash leaves the high bits
/// weak), for the estimate.
fn spread(key: &ConversationKey) -> u64 {
    let mut h = BuildHasherDefault::<crate::store::dict::FastHasher>::default().hash_one(key);
    // The finaliser of MurmurHash3.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ h >> 33
}

/// About how many distinct conversations the selected rows hold: HyperLogLog with 2^11
/// registers, about 2% off, in one pass that reads no counters.
fn distinct_estimate(store: &Store, sel: &Selection) -> usize {
    const BITS: u32 = 11;
    let registers = map_each(&parts(store, sel, crate::parallel::split_rows()), |rows| {
        let mut registers = vec![0u8; 1 << BITS];
        for_each_key(
            store,
            rows,
            |_| true,
            |_, key| {
                let h = spread(&key);
                let at = (h >> (64 - BITS)) as usize;
                // The rest of the bits, with a stop so the run of zeros ends by bit BITS.
                let rank = ((h << BITS) | 1 << (BITS - 1)).leading_zeros() as u8 + 1;
                registers[at] = registers[at].max(rank);
            },
        );
        registers
    });
    let mut merged = vec![0u8; 1 << BITS];
    for r in registers {
        merged.iter_mut().zip(r).for_each(|(a, b)| *a = (*a).max(b));
    }
    let m = merged.len() as f64;
    let sum: f64 = merged.iter().map(|&r| (-(r as f64)).exp2()).sum();
    let raw = 0.7213 / (1.0 + 1.079 / m) * m * m / sum;
    let zeros = merged.iter().filter(|&&r| r == 0).count();
    let estimate = if raw <= 2.5 * m && zeros > 0 {
        m * (m / zeros as f64).ln() // few conversations: count the empty registers
    } else {
        raw
    };
    estimate.ceil() as usize
}

/// The `n` best of `sizes`, in no particular order: a bounded heap, so ranking the top ten
/// of 30M conversations does not copy them all first.
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
/// conversations shown pay for them; and which of their flows another interface logged
/// too (twins need not rank side by side, nor both make the list). One look-up a row, by
/// flow: a row of a wanted flow is one of a wanted conversation or of its twin.
fn details(
    store: &Store,
    sel: &Selection,
    wanted: FastSet<ConversationKey>,
) -> (FastMap<ConversationKey, Detail>, FastSet<Flow>) {
    let groups = store.groups();
    // Each wanted flow's first interface seen, and whether another was.
    let mut flows: FastMap<Flow, (Option<u32>, bool)> = wanted
        .iter()
        .map(|k| (Flow::of(k), (None, false)))
        .collect();
    let mut details: FastMap<ConversationKey, Detail> = FastMap::default();
    for_each_row(store, sel, |row, g, c| {
        let key = key_of(store, row, groups[g].mac);
        let Some((first, other)) = flows.get_mut(&Flow::of(&key)) else {
            return;
        };
        match *first {
            None => *first = Some(key.mac),
            Some(mac) => *other |= mac != key.mac,
        }
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
    let shared = flows
        .into_iter()
        .filter(|(_, (_, other))| *other)
        .map(|(flow, _)| flow)
        .collect();
    (details, shared)
}

/// A conversation's key without its interface: the flow itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Flow {
    src: u32,
    sport: u16,
    dst: u32,
    dport: u16,
    proto: u8,
}

impl Flow {
    fn of(k: &ConversationKey) -> Flow {
        Flow {
            src: k.src,
            sport: k.sport,
            dst: k.dst,
            dport: k.dport,
            proto: k.proto,
        }
    }
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
    use crate::views::testing::{build_specs, jumbled, tuple, GroupSpec};

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
            let mut plain: Vec<(u64, u32, ConversationKey)> =
                sizes(&store, &sel, sort, 0, Plan::new(1, 1, 0))
                    .into_iter()
                    .map(|(key, s)| (s.metric(sort), s.tuples, key))
                    .collect();
            plain.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
            let plain: Vec<ConversationKey> = plain.into_iter().map(|r| r.2).collect();
            let all = plain.len();
            assert!(all > 1000, "{all} conversations");
            for (parts, threads, distinct) in
                [(1, 1, 0), (2, 2, 0), (3, 2, 5000), (5, 1, 90), (7, 3, 0)]
            {
                let plan = Plan::new(parts, threads, distinct);
                for n in [0, 1, 10, all - 1, all, usize::MAX] {
                    let got = biggest_in_parts(&store, &sel, sort, n, plan, &|| false);
                    let got = got.expect("never stopped");
                    assert_eq!(got, plain[..n.min(plain.len())], "{plan:?}, n {n}");
                }
            }
            // By hand: every tuple counted once, whatever the plan.
            let by_hand: u64 = sel
                .iter()
                .map(|r| {
                    let c = store.counters(r);
                    let counted = counts_toward_totals(store.flag(r).state());
                    match sort {
                        SortBy::Tuples => 1,
                        SortBy::Bytes => c.bytes() * counted as u64,
                        SortBy::Packets => c.packets() * counted as u64,
                    }
                })
                .sum();
            let summed: u64 = (0..3)
                .flat_map(|part| sizes(&store, &sel, sort, part, Plan::new(3, 1, 0)))
                .map(|(_, s)| s.metric(sort))
                .sum();
            assert_eq!(summed, by_hand, "{sort:?}");
        }
    }

    #[test]
    fn the_estimate_of_conversations_is_close() {
        for (count, ports) in [(3000u64, 700u64), (60_000, 50_000)] {
            let tuples: Vec<Tuple> = (0..count)
                .map(|i| tuple(i as i64, "203.0.113.9", (i % ports) as u16, "10.0.0.4", 22))
                .collect();
            let store = build_specs(&[group("R", "M1", tuples.clone()), group("R", "M2", tuples)]);
            let sel = Selection::all(store.len());
            let exact = sizes(&store, &sel, SortBy::Tuples, 0, Plan::new(1, 1, 0)).len();
            assert_eq!(exact as u64, 2 * ports);
            let estimate = distinct_estimate(&store, &sel);
            let off = estimate.abs_diff(exact) as f64 / exact as f64;
            assert!(off < 0.08, "{estimate} for {exact}");
            // Little room: parts enough that each map holds about that.
            let room = exact * ENTRY_BYTES / 10;
            let split = plan(&store, &sel, room);
            assert!((9..=12).contains(&split.parts), "{split:?}");
            assert!(split.capacity * ENTRY_BYTES <= room * 5 / 4, "{split:?}");
            let ranked = |plan| biggest_in_parts(&store, &sel, SortBy::Tuples, 50, plan, &|| false);
            let whole = ranked(Plan::new(1, 1, 0));
            assert!(whole.is_some());
            assert_eq!(ranked(split), whole);
        }
    }

    /// Asked to stop, a ranking gives way at its next pass; never asked, it answers as
    /// `conversations` does.
    #[test]
    fn a_ranking_stops_when_asked() {
        let store = jumbled(30);
        let sel = Selection::all(store.len());
        let whole = conversations(&store, &sel, SortBy::Bytes, 10);
        assert!(!whole.is_empty());
        assert_eq!(
            conversations_unless(&store, &sel, SortBy::Bytes, 10, &|| false),
            Some(whole)
        );
        assert_eq!(
            conversations_unless(&store, &sel, SortBy::Bytes, 10, &|| true),
            None
        );
        // Asked after the first pass: the split ranking stops between its parts.
        let asked = std::cell::Cell::new(0);
        let stop = || {
            asked.set(asked.get() + 1);
            asked.get() > 2
        };
        let split = Plan::new(4, 1, 0);
        assert_eq!(
            biggest_in_parts(&store, &sel, SortBy::Bytes, 10, split, &stop),
            None
        );
        assert_eq!(asked.get(), 3);
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

    /// A conversation whose flow another interface logged knows it, also when the twin
    /// is not in the list; a flow on one interface, or another flow, does not.
    #[test]
    fn a_flow_on_two_interfaces_is_known_from_either_side() {
        let t = tuple(1, "1.1.1.1", 1, "2.2.2.2", 2);
        let other_port = tuple(2, "1.1.1.1", 1, "2.2.2.2", 3);
        let store = build_specs(&[
            group("R", "M1", vec![t, t, t]),
            group("R", "M2", vec![t]),
            group("R", "M1", vec![other_port, other_port]),
        ]);
        let sel = Selection::all(store.len());
        let all = conversations(&store, &sel, SortBy::Tuples, usize::MAX);
        let shared: Vec<(u64, bool)> = all
            .iter()
            .map(|c| (c.tally.tuples, c.other_interface))
            .collect();
        assert_eq!(shared, [(3, true), (2, false), (1, true)]);
        let first = conversations(&store, &sel, SortBy::Tuples, 1);
        assert!(first[0].other_interface, "its twin is not in the list");
        // Selected without its twin's rows: alone.
        let only_first_group = Selection::from_sorted((0..3).collect());
        let alone = conversations(&store, &only_first_group, SortBy::Tuples, 1);
        assert!(!alone[0].other_interface);
    }
}

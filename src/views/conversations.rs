//! Conversations: tuples grouped by (MAC, src, sport, dst, dport, proto) with totals.

use super::scan::for_each_row;
use super::tally::{counts_toward_totals, state_rank};
use super::{Conversation, SortBy, Tally};
use crate::model::{ConversationKey, Counters};
use crate::selection::Selection;
use crate::store::dict::FastMap;
use crate::store::Store;
use std::collections::HashSet;
use std::hash::BuildHasherDefault;

type FastSet<K> = HashSet<K, BuildHasherDefault<crate::store::dict::FastHasher>>;

/// What ranking needs, kept small: millions of conversations can pass through here.
#[derive(Default, Clone, Copy)]
struct Size {
    tuples: u64,
    bytes: u64,
    packets: u64,
}

impl Size {
    fn metric(&self, sort: SortBy) -> u64 {
        match sort {
            SortBy::Tuples => self.tuples,
            SortBy::Bytes => self.bytes,
            SortBy::Packets => self.packets,
        }
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
fn biggest(store: &Store, sel: &Selection, sort: SortBy, n: usize) -> Vec<ConversationKey> {
    let groups = store.groups();
    // Keys map to slots of plain vectors: the map holds only key and slot.
    let mut index: FastMap<ConversationKey, u32> = FastMap::default();
    let mut keys: Vec<ConversationKey> = Vec::new();
    let mut sizes: Vec<Size> = Vec::new();
    for_each_row(store, sel, |row, g, c| {
        let key = key_of(store, row, groups[g].mac);
        let slot = *index.entry(key).or_insert_with(|| {
            keys.push(key);
            sizes.push(Size::default());
            keys.len() as u32 - 1
        });
        let size = &mut sizes[slot as usize];
        size.tuples += 1;
        if counts_toward_totals(store.flag(row).state()) {
            size.bytes = size.bytes.saturating_add(c.bytes());
            size.packets = size.packets.saturating_add(c.packets());
        }
    });
    drop(index);
    let mut ranked: Vec<u32> = (0..keys.len() as u32).collect();
    let order = |a: &u32, b: &u32| {
        let (sa, sb) = (&sizes[*a as usize], &sizes[*b as usize]);
        sb.metric(sort)
            .cmp(&sa.metric(sort))
            .then(sb.tuples.cmp(&sa.tuples))
            .then(keys[*a as usize].cmp(&keys[*b as usize]))
    };
    if n < ranked.len() {
        if n == 0 {
            return Vec::new();
        }
        ranked.select_nth_unstable_by(n - 1, order);
        ranked.truncate(n);
    }
    ranked.sort_unstable_by(order);
    ranked.into_iter().map(|s| keys[s as usize]).collect()
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

//! Conversations: tuples grouped by (MAC, src, sport, dst, dport, proto) with totals.

use super::scan::for_each_row;
use super::tally::{biggest_first, counts_toward_totals, state_rank};
use super::{Conversation, SortBy, Tally};
use crate::model::{ConversationKey, Counters};
use crate::selection::Selection;
use crate::store::dict::FastMap;
use crate::store::Store;
use std::collections::HashSet;
use std::hash::BuildHasherDefault;

type FastSet<K> = HashSet<K, BuildHasherDefault<crate::store::dict::FastHasher>>;

#[derive(Default)]
struct Acc {
    tally: Tally,
    totals: Counters,
}

/// The `n` biggest conversations of the selection (ties by key), with totals summed over
/// their `C` and `E` tuples and their states in time order.
pub fn conversations(store: &Store, sel: &Selection, sort: SortBy, n: usize) -> Vec<Conversation> {
    let groups = store.groups();
    // Keys map to slots of a plain vector: the map stays small (key + u32) and the
    // accumulators never move when it grows.
    let mut index: FastMap<ConversationKey, u32> = FastMap::default();
    let mut accs: Vec<(ConversationKey, Acc)> = Vec::new();
    for_each_row(store, sel, |row, g, c| {
        let key = key_of(store, row, groups[g].mac);
        let flags = store.flag(row);
        let slot = *index.entry(key).or_insert_with(|| {
            accs.push((key, Acc::default()));
            accs.len() as u32 - 1
        });
        let acc = &mut accs[slot as usize].1;
        acc.tally.add(store.time_ms(row), flags, c);
        if counts_toward_totals(flags.state()) {
            acc.totals.add(c);
        }
    });
    drop(index);
    // Rank slot numbers, not the (large) accumulators.
    let mut ranked: Vec<u32> = (0..accs.len() as u32).collect();
    let order = |a: &u32, b: &u32| {
        let (ka, a) = &accs[*a as usize];
        let (kb, b) = &accs[*b as usize];
        biggest_first(&a.tally, &b.tally, sort).then(ka.cmp(kb))
    };
    if n < ranked.len() {
        if n == 0 {
            return Vec::new();
        }
        ranked.select_nth_unstable_by(n - 1, order);
        ranked.truncate(n);
    }
    ranked.sort_unstable_by(order);
    let wanted = ranked.iter().map(|&s| accs[s as usize].0).collect();
    let states = state_sequences(store, sel, wanted);
    ranked
        .into_iter()
        .map(|slot| {
            let (key, acc) = &accs[slot as usize];
            Conversation {
                key: *key,
                tally: acc.tally,
                totals: acc.totals,
                states: states.get(key).cloned().unwrap_or_default(),
            }
        })
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

/// States of the wanted conversations as letters in time order (ties B < C < E < D),
/// found in a second pass so only the conversations shown pay for it.
fn state_sequences(
    store: &Store,
    sel: &Selection,
    wanted: FastSet<ConversationKey>,
) -> FastMap<ConversationKey, String> {
    let groups = store.groups();
    let mut steps: FastMap<ConversationKey, Vec<(i64, u8, u32)>> = FastMap::default();
    for_each_row(store, sel, |row, g, _| {
        let key = key_of(store, row, groups[g].mac);
        if wanted.contains(&key) {
            let rank = state_rank(store.flag(row).state());
            steps
                .entry(key)
                .or_default()
                .push((store.time_ms(row), rank, row));
        }
    });
    steps
        .into_iter()
        .map(|(key, mut s)| {
            s.sort_unstable();
            let letters = s
                .iter()
                .map(|&(_, _, row)| store.flag(row).state().map_or('-', |st| st.letter()))
                .collect();
            (key, letters)
        })
        .collect()
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

//! Top-N by any field (like `nfdump -s`): tuples, bytes and packets per field value.
//!
//! Each field value maps to a slot (a dictionary id, a port, a packed code); tallies live
//! in an array indexed by slot when the slot space is small enough (see `top_scan`), else
//! in a hash map.

use super::parts::{parts, Rows};
use super::scan::for_each_row;
use super::tally::{biggest_first, PackedTally};
use super::top_scan::{
    by_group, group_slot, row_slots, with_row_slots, CountFirst, Dense, Slot, NO_SLOT,
};
use super::{SortBy, Tally, TopEntry};
use crate::field::Field;
use crate::model::{format_time_ms, proto, Counters, Encryption, FlowState};
use crate::selection::Selection;
use crate::store::dict::FastMap;
use crate::store::Store;
use std::net::IpAddr;

/// The `n` values of `field` with the most tuples (or bytes, packets) in the selection,
/// biggest first, ties by value. `ip` and `port` count each side of a tuple (once when
/// both sides hold the same value).
pub fn top(store: &Store, sel: &Selection, field: Field, sort: SortBy, n: usize) -> Vec<TopEntry> {
    top_split(store, sel, field, sort, n, crate::parallel::split_rows())
}

/// As `top`, the rows cut in two parts on two threads from `parallel_rows` rows up.
fn top_split(
    store: &Store,
    sel: &Selection,
    field: Field,
    sort: SortBy,
    n: usize,
    parallel_rows: usize,
) -> Vec<TopEntry> {
    if n == 0 {
        return Vec::new();
    }
    let parts = parts(store, sel, parallel_rows);
    let tallies = tallies(store, sel, &parts, field, sort, n);
    let mut ranked: Vec<(SortKey, Slot, Tally)> = tallies
        .into_iter()
        .map(|(slot, t)| (sort_key(store, field, slot), slot, t))
        .collect();
    let order = |a: &(SortKey, Slot, Tally), b: &(SortKey, Slot, Tally)| {
        biggest_first(&a.2, &b.2, sort).then_with(|| a.0.cmp(&b.0))
    };
    if n < ranked.len() {
        ranked.select_nth_unstable_by(n - 1, order);
        ranked.truncate(n);
    }
    ranked.sort_unstable_by(order);
    ranked
        .into_iter()
        .map(|(_, slot, tally)| TopEntry {
            key: display(store, field, slot),
            tally,
        })
        .collect()
}

/// Tallies per slot over the selection (slots with no tuple left out); addresses and ports
/// get only the slots that can make a top `n`.
fn tallies(
    store: &Store,
    sel: &Selection,
    parts: &[Rows<'_>],
    field: Field,
    sort: SortBy,
    n: usize,
) -> Vec<(Slot, Tally)> {
    let selected: usize = parts.iter().map(|p| p.len()).sum();
    // An array costs memory per slot: use it only when the slots are not much sparser
    // than the rows that fill them.
    let Some(space) = slot_space(store, field).filter(|&s| s <= (1 << 16).max(selected * 4)) else {
        return sparse(store, sel, field);
    };
    if is_group_level(field) {
        return kept(by_group(store, parts, field, space));
    }
    let sides = matches!(
        field,
        Field::Src | Field::Dst | Field::Ip | Field::Sport | Field::Dport | Field::Port
    );
    if sides {
        let count_first = CountFirst {
            store,
            parts,
            space,
            n,
            sort,
        };
        if let Some(found) = with_row_slots(store, field, count_first).flatten() {
            // Every candidate reached a threshold of at least one tuple or byte.
            return found.into_iter().map(|(s, t)| (s, t.unpack())).collect();
        }
    }
    let dense = Dense {
        store,
        parts,
        space,
    };
    with_row_slots(store, field, dense).map_or_else(|| sparse(store, sel, field), kept)
}

/// The non-empty slots of an array of tallies.
fn kept(tallies: Vec<PackedTally>) -> Vec<(Slot, Tally)> {
    let all = tallies.into_iter().enumerate();
    all.filter(|(_, t)| !t.is_empty())
        .map(|(s, t)| (s as Slot, t.unpack()))
        .collect()
}

/// How many slots a field's values can take, when small enough for an array.
fn slot_space(store: &Store, field: Field) -> Option<usize> {
    let text_slots = store.texts().len() + 1;
    match field {
        Field::Src | Field::Dst | Field::Ip => Some(store.addrs().len()),
        Field::Sport | Field::Dport | Field::Port => Some(1 << 16),
        Field::Proto | Field::Version => Some(256),
        Field::Dir | Field::Action => Some(2),
        Field::State => Some(8),
        Field::Encryption => Some(16),
        Field::Rule | Field::Mac | Field::Acl => Some(text_slots),
        Field::Nsg | Field::Flowlog | Field::Target => Some(text_slots),
        Field::File => Some(store.files().len()),
        Field::Time
        | Field::Bytes
        | Field::Packets
        | Field::BytesOut
        | Field::BytesIn
        | Field::PacketsOut
        | Field::PacketsIn => None,
    }
}

/// Fields whose value is the same for every row of a group (rule, MAC, record…).
fn is_group_level(field: Field) -> bool {
    matches!(
        field,
        Field::Rule
            | Field::Mac
            | Field::Acl
            | Field::Nsg
            | Field::Flowlog
            | Field::Target
            | Field::Version
            | Field::File
    )
}

/// The slots of one row's value(s) for `field`, any field.
fn slots_of(store: &Store, field: Field, row: u32, group: usize, c: &Counters) -> [Slot; 2] {
    let one = |a: Slot| [a, NO_SLOT];
    match field {
        Field::Time => one(store.time_ms(row).max(0) as Slot),
        Field::Bytes => one(c.bytes()),
        Field::Packets => one(c.packets()),
        Field::BytesOut => one(c.bytes_out),
        Field::BytesIn => one(c.bytes_in),
        Field::PacketsOut => one(c.packets_out),
        Field::PacketsIn => one(c.packets_in),
        _ if is_group_level(field) => one(group_slot(store, field, group)),
        _ => row_slots(store, field, row as usize).unwrap_or([NO_SLOT; 2]),
    }
}

/// Tallies in a map, for fields with too many values for an array (time, counters, or
/// addresses in a small selection of a big store).
fn sparse(store: &Store, sel: &Selection, field: Field) -> Vec<(Slot, Tally)> {
    let mut tallies: FastMap<Slot, PackedTally> = FastMap::default();
    for_each_row(store, sel, |row, g, c| {
        let (time, flags) = (store.time_ms(row), store.flag(row));
        for slot in slots_of(store, field, row, g, c) {
            if slot != NO_SLOT {
                tallies.entry(slot).or_default().add(time, flags, c);
            }
        }
    });
    tallies.into_iter().map(|(s, t)| (s, t.unpack())).collect()
}

/// What ties are broken by: the value in its natural order.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey<'a> {
    Num(u64),
    Addr(IpAddr),
    Text(&'a str),
}

fn sort_key(store: &Store, field: Field, slot: Slot) -> SortKey<'_> {
    match field {
        Field::Src | Field::Dst | Field::Ip => SortKey::Addr(store.addrs().get(slot as u32)),
        Field::Rule | Field::Mac | Field::Acl | Field::Nsg | Field::Flowlog | Field::Target => {
            SortKey::Text(text_of(store, slot))
        }
        Field::File => SortKey::Text(file_of(store, slot)),
        _ => SortKey::Num(slot),
    }
}

/// The text of a text slot; the last slot (absent text) and anything past it is empty.
fn text_of(store: &Store, slot: Slot) -> &str {
    let values = store.texts().values();
    usize::try_from(slot)
        .ok()
        .and_then(|i| values.get(i))
        .map_or("", |t| t)
}

fn file_of(store: &Store, slot: Slot) -> &str {
    store
        .files()
        .get(slot as usize)
        .map(|f| f.path.as_str())
        .unwrap_or("")
}

/// A slot's value as text (`10.0.0.4`, `3389`, `tcp`, `deny`, a rule name…).
fn display(store: &Store, field: Field, slot: Slot) -> String {
    let code = |slot: Slot| (slot as usize).checked_sub(1);
    match field {
        Field::Src | Field::Dst | Field::Ip => store.addrs().get(slot as u32).to_string(),
        Field::Proto => proto::display(slot as u8),
        Field::Dir => ["in", "out"][slot as usize & 1].to_string(),
        Field::Action => ["allow", "deny"][slot as usize & 1].to_string(),
        Field::State => code(slot)
            .and_then(|i| FlowState::ALL.get(i))
            .map_or("-", |s| s.name())
            .to_string(),
        Field::Encryption => code(slot)
            .and_then(|i| Encryption::ALL.get(i))
            .map_or("-", |e| e.name())
            .to_string(),
        Field::Rule | Field::Mac | Field::Acl | Field::Nsg | Field::Flowlog | Field::Target => {
            text_of(store, slot).to_string()
        }
        Field::File => file_of(store, slot).to_string(),
        Field::Time => format_time_ms(slot as i64),
        _ => slot.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Decision, Tuple};
    use crate::views::counts_toward_totals;
    use crate::views::testing::{build, tuple};
    use std::collections::HashMap;

    /// The expected key(s) of a tuple under its rule.
    type KeysOf = dyn Fn(&str, &Tuple) -> Vec<String>;

    /// Pseudo-random tuples over a few rules (a tiny LCG keeps the test deterministic).
    fn sample() -> Vec<(String, Vec<Tuple>)> {
        let mut seed = 7u64;
        let mut next = move |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let states = [
            None,
            Some(FlowState::Begin),
            Some(FlowState::Continue),
            Some(FlowState::End),
        ];
        // Groups of uneven sizes, rules shared by several groups.
        (0..9u64)
            .map(|g| {
                let tuples = (0..(g * 67 % 190 + 40))
                    .map(|_| {
                        let src = format!("10.0.0.{}", next(6));
                        let dst = format!("10.0.0.{}", next(6));
                        let mut t = tuple(
                            next(10_000) as i64,
                            &src,
                            next(5) as u16 + 20,
                            &dst,
                            next(5) as u16 + 20,
                        );
                        t.proto = [6, 17, 47][next(3) as usize];
                        t.decision = if next(3) == 0 {
                            Decision::Deny
                        } else {
                            Decision::Allow
                        };
                        t.state = states[next(4) as usize];
                        t.counters.bytes_out = next(4) * 100;
                        t.counters.packets_in = next(3);
                        // Now and then a value past 32 bits, kept aside by the store.
                        t.counters.bytes_in = if next(50) == 0 { 5 << 30 } else { next(3) };
                        t
                    })
                    .collect();
                (format!("Rule{}", g % 4), tuples)
            })
            .collect()
    }

    /// Expected top list computed straight from the tuples.
    fn expected(
        groups: &[(String, Vec<Tuple>)],
        keys: impl Fn(&str, &Tuple) -> Vec<String>,
        sort: SortBy,
    ) -> Vec<(String, u64, u64, u64)> {
        let mut map: HashMap<String, (u64, u64, u64)> = HashMap::new();
        for (rule, tuples) in groups {
            for t in tuples {
                let mut ks = keys(rule, t);
                ks.dedup();
                for k in ks {
                    let e = map.entry(k).or_default();
                    e.0 += 1;
                    if counts_toward_totals(t.state) {
                        e.1 += t.counters.bytes_out + t.counters.bytes_in;
                        e.2 += t.counters.packets_out + t.counters.packets_in;
                    }
                }
            }
        }
        let mut v: Vec<_> = map.into_iter().map(|(k, (t, b, p))| (k, t, b, p)).collect();
        let metric = |e: &(String, u64, u64, u64)| match sort {
            SortBy::Tuples => e.1,
            SortBy::Bytes => e.2,
            SortBy::Packets => e.3,
        };
        v.sort_by(|a, b| metric(b).cmp(&metric(a)).then(b.1.cmp(&a.1)));
        v
    }

    fn actual(store: &Store, field: Field, sort: SortBy) -> Vec<(String, u64, u64, u64)> {
        top(store, &Selection::all(store.len()), field, sort, usize::MAX)
            .into_iter()
            .map(|e| (e.key, e.tally.tuples, e.tally.bytes, e.tally.packets))
            .collect()
    }

    /// The ordering figures (metric, tuples) must come in the same order; entries equal on
    /// both may be in any order.
    fn assert_same(
        mut a: Vec<(String, u64, u64, u64)>,
        mut e: Vec<(String, u64, u64, u64)>,
        sort: SortBy,
    ) {
        let figures = |v: &[(String, u64, u64, u64)]| -> Vec<(u64, u64)> {
            v.iter()
                .map(|x| {
                    (
                        match sort {
                            SortBy::Tuples => x.1,
                            SortBy::Bytes => x.2,
                            SortBy::Packets => x.3,
                        },
                        x.1,
                    )
                })
                .collect()
        };
        assert_eq!(figures(&a), figures(&e));
        a.sort();
        e.sort();
        assert_eq!(a, e);
    }

    #[test]
    fn every_kind_of_field_matches_a_direct_count() {
        let groups = sample();
        let store = build(&groups);
        let cases: Vec<(Field, Box<KeysOf>)> = vec![
            (Field::Src, Box::new(|_, t| vec![t.src.to_string()])),
            (
                Field::Ip,
                Box::new(|_, t| vec![t.src.to_string(), t.dst.to_string()]),
            ),
            (Field::Dport, Box::new(|_, t| vec![t.dport.to_string()])),
            (
                Field::Port,
                Box::new(|_, t| vec![t.sport.to_string(), t.dport.to_string()]),
            ),
            (Field::Rule, Box::new(|r, _| vec![r.to_string()])),
            (
                Field::Proto,
                Box::new(|_, t| {
                    vec![match t.proto {
                        6 => "tcp".into(),
                        17 => "udp".into(),
                        n => n.to_string(),
                    }]
                }),
            ),
            (
                Field::Action,
                Box::new(|_, t| {
                    vec![if t.decision == Decision::Deny {
                        "deny"
                    } else {
                        "allow"
                    }
                    .into()]
                }),
            ),
            (
                Field::BytesOut,
                Box::new(|_, t| vec![t.counters.bytes_out.to_string()]),
            ),
        ];
        for (field, keys) in &cases {
            for sort in [SortBy::Tuples, SortBy::Bytes, SortBy::Packets] {
                let e = expected(&groups, keys, sort);
                assert_same(actual(&store, *field, sort), e, sort);
            }
        }
    }

    #[test]
    fn packed_and_record_fields_show_their_names() {
        use crate::model::Encryption;
        use crate::views::testing::{build_specs, GroupSpec};
        let mut vnet = tuple(5_500, "1.1.1.1", 1, "2.2.2.2", 2);
        vnet.state = Some(FlowState::Deny);
        vnet.decision = Decision::Deny;
        vnet.encryption = Some(Encryption::NxHwNotSupported);
        let nsg_v1 = tuple(1_000, "1.1.1.1", 1, "2.2.2.2", 2);
        let store = build_specs(&[
            GroupSpec {
                rule: "A".into(),
                mac: "M1".into(),
                nsg: Some("web-nsg".into()),
                flowlog: None,
                tuples: vec![nsg_v1, nsg_v1],
            },
            GroupSpec {
                rule: "B".into(),
                mac: "M2".into(),
                nsg: None,
                flowlog: Some("fl-1".into()),
                tuples: vec![vnet],
            },
        ]);
        let sel = Selection::all(store.len());
        let keys = |field| -> Vec<(String, u64)> {
            top(&store, &sel, field, SortBy::Tuples, 10)
                .into_iter()
                .map(|e| (e.key, e.tally.tuples))
                .collect()
        };
        let pairs = |v: &[(&str, u64)]| -> Vec<(String, u64)> {
            v.iter().map(|(k, n)| (k.to_string(), *n)).collect()
        };
        assert_eq!(keys(Field::State), pairs(&[("-", 2), ("deny", 1)]));
        assert_eq!(keys(Field::Action), pairs(&[("allow", 2), ("deny", 1)]));
        assert_eq!(
            keys(Field::Encryption),
            pairs(&[("-", 2), ("NX_HW_NOT_SUPPORTED", 1)])
        );
        assert_eq!(keys(Field::Nsg), pairs(&[("web-nsg", 2), ("", 1)]));
        assert_eq!(keys(Field::Flowlog), pairs(&[("", 2), ("fl-1", 1)]));
        assert_eq!(keys(Field::Mac), pairs(&[("M1", 2), ("M2", 1)]));
        assert_eq!(keys(Field::File), pairs(&[("test.json", 3)]));
        assert_eq!(keys(Field::Version), pairs(&[("2", 3)]));
        assert_eq!(keys(Field::Dir), pairs(&[("in", 3)]));
        assert_eq!(
            keys(Field::Time),
            pairs(&[("1970-01-01T00:00:01Z", 2), ("1970-01-01T00:00:05.500Z", 1)])
        );
    }

    /// Every tally of `field` over `sel`, by key, straight from each row's tuple.
    fn direct(store: &Store, sel: &Selection, field: Field) -> HashMap<String, Tally> {
        let mut map: HashMap<String, Tally> = HashMap::new();
        for row in sel.iter().filter(|&r| (r as usize) < store.len()) {
            let t = store.tuple(row);
            let text = |id| store.text(id).unwrap_or("").to_string();
            let mut keys = match field {
                Field::Src => vec![t.src.to_string()],
                Field::Ip => vec![t.src.to_string(), t.dst.to_string()],
                Field::Dport => vec![t.dport.to_string()],
                Field::Port => vec![t.sport.to_string(), t.dport.to_string()],
                Field::Action => {
                    vec![["allow", "deny"][(t.decision == Decision::Deny) as usize].into()]
                }
                Field::State => vec![t.state.map_or("-", |s| s.name()).into()],
                Field::Rule => vec![text(store.group_of(row).rule)],
                Field::Nsg => vec![text(store.record_of(row).nsg)],
                Field::File => vec![store.file_of(row).path.clone()],
                Field::BytesIn => vec![t.counters.bytes_in.to_string()],
                other => unreachable!("no direct keys for {other}"),
            };
            keys.dedup();
            for k in keys {
                map.entry(k)
                    .or_default()
                    .add(t.time_ms, store.flag(row), &t.counters);
            }
        }
        map
    }

    #[test]
    fn every_path_and_split_gives_the_exact_tallies_of_a_direct_count() {
        let store = build(&sample());
        let len = store.len() as u32;
        let selections = [
            Selection::all(store.len()),
            Selection::from_sorted((0..len).step_by(3).collect()),
            // Cuts groups at both ends, and rows past the store are ignored.
            Selection::from_sorted((50..len - 70).chain([len + 1, len + 9]).collect()),
            Selection::from_sorted(vec![len / 2]),
            Selection::default(),
        ];
        let fields = [
            Field::Src,
            Field::Ip,
            Field::Dport,
            Field::Port,
            Field::Action,
            Field::State,
            Field::Rule,
            Field::Nsg,
            Field::File,
            Field::BytesIn,
        ];
        for sel in &selections {
            for field in fields {
                let want = direct(&store, sel, field);
                for sort in [SortBy::Tuples, SortBy::Bytes, SortBy::Packets] {
                    for parallel in [0, usize::MAX] {
                        let all = top_split(&store, sel, field, sort, usize::MAX, parallel);
                        let got: HashMap<String, Tally> =
                            all.iter().map(|e| (e.key.clone(), e.tally)).collect();
                        let what = format!("{field} by {sort:?}, {} rows", sel.len());
                        assert_eq!(got, want, "{what}");
                        let metric = |e: &TopEntry| (e.tally.metric(sort), e.tally.tuples);
                        assert!(all.windows(2).all(|w| metric(&w[0]) >= metric(&w[1])));
                        for n in [1, 2, 3, 7] {
                            let some = top_split(&store, sel, field, sort, n, parallel);
                            assert_eq!(some, all[..n.min(all.len())], "{what}, top {n}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn ties_are_broken_by_value_and_n_limits() {
        let t = |dport| tuple(1, "1.1.1.1", 1, "2.2.2.2", dport);
        let store = build(&[("R".into(), vec![t(3389), t(22), t(80), t(80), t(443)])]);
        let keys: Vec<_> = top(
            &store,
            &Selection::all(store.len()),
            Field::Dport,
            SortBy::Tuples,
            3,
        )
        .into_iter()
        .map(|e| e.key)
        .collect();
        assert_eq!(keys, vec!["80", "22", "443"]);
        assert!(top(&store, &Selection::all(5), Field::Dport, SortBy::Tuples, 0).is_empty());
    }
}

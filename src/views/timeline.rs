//! One conversation's timeline: its tuples in time order with per-step counters.

use super::tally::{counts_toward_totals, state_rank};
use super::{Step, Timeline};
use crate::model::{ConversationKey, Counters};
use crate::store::Store;

/// Every tuple of the conversation `key` in the whole store, ordered by time, then state
/// (B < C < E < D), then row; totals sum the `C` and `E` steps.
pub fn timeline(store: &Store, key: &ConversationKey) -> Timeline {
    let mut steps = Vec::new();
    for (g, group) in store.groups().iter().enumerate() {
        if group.mac != key.mac {
            continue;
        }
        let rows = store.group_rows(g);
        let rule = store.text(group.rule).unwrap_or("");
        for row in rows {
            let r = row as usize;
            let flags = store.flag(row);
            let same = store.src_ids()[r] == key.src
                && store.dst_ids()[r] == key.dst
                && store.sports()[r] == key.sport
                && store.dports()[r] == key.dport
                && flags.proto() == key.proto;
            if same {
                steps.push(Step {
                    row,
                    time_ms: store.time_ms(row),
                    state: flags.state(),
                    counters: store.counters(row),
                    rule: rule.to_string(),
                });
            }
        }
    }
    steps.sort_by_key(|s| (s.time_ms, state_rank(s.state), s.row));
    let mut totals = Counters::default();
    for s in steps.iter().filter(|s| counts_toward_totals(s.state)) {
        totals.add(&s.counters);
    }
    let duration_ms = match (steps.first(), steps.last()) {
        (Some(a), Some(b)) => b.time_ms - a.time_ms,
        _ => 0,
    };
    Timeline {
        key: *key,
        steps,
        totals,
        duration_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FlowState, Tuple};
    use crate::views::testing::{build_specs, tuple, GroupSpec};

    #[test]
    fn steps_are_ordered_by_time_then_state_with_totals() {
        let mk = |time, state, bytes| {
            let mut t = tuple(time, "203.0.113.9", 51234, "10.0.0.4", 3389);
            t.state = Some(state);
            t.counters.bytes_in = bytes;
            t.counters.packets_in = bytes / 100;
            t
        };
        let flow: Vec<Tuple> = vec![
            mk(2_000, FlowState::End, 300),
            mk(1_000, FlowState::Continue, 200),
            mk(1_000, FlowState::Begin, 0),
        ];
        let noise = [
            tuple(1_500, "203.0.113.9", 51235, "10.0.0.4", 3389),
            mk(1_500, FlowState::Continue, 999),
        ];
        let spec = |rule: &str, mac: &str, tuples: Vec<Tuple>| GroupSpec {
            rule: rule.into(),
            mac: mac.into(),
            nsg: None,
            flowlog: Some("fl".into()),
            tuples,
        };
        // The 999-byte step has the same addresses but another interface: not this one.
        let store = build_specs(&[
            spec("Allow", "M1", flow.clone()),
            spec("Other", "M1", noise[..1].to_vec()),
            spec("Allow", "M2", noise[1..].to_vec()),
        ]);
        let key = store.conversation_key(0);
        let tl = timeline(&store, &key);
        let states: Vec<_> = tl.steps.iter().map(|s| s.state).collect();
        assert_eq!(
            states,
            vec![
                Some(FlowState::Begin),
                Some(FlowState::Continue),
                Some(FlowState::End)
            ]
        );
        assert_eq!(tl.steps[1].counters.bytes_in, 200);
        assert!(tl.steps.iter().all(|s| s.rule == "Allow"));
        let bytes: u64 = flow.iter().map(|t| t.counters.bytes_in).sum();
        assert_eq!(tl.totals.bytes(), bytes);
        assert_eq!(tl.duration_ms, 1_000);
    }
}

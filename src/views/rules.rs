//! Rule hits: tuples per (rule, scope), with allowed/denied, first/last and hits per hour.

use super::scan::for_each_row;
use super::tally::biggest_first;
use super::{RuleHits, SortBy, Tally};
use crate::selection::Selection;
use crate::store::dict::FastMap;
use crate::store::{Store, NONE};
use std::collections::BTreeMap;

const HOUR_MS: i64 = 3_600_000;

/// Hits of one (rule id, scope id) pair.
#[derive(Default)]
struct Acc {
    tally: Tally,
    per_hour: BTreeMap<i64, u64>,
}

/// Hits of the group being scanned: its rows mostly share an hour, so hours are counted
/// in runs and merged into the `Acc` once per group.
#[derive(Default)]
struct Pending {
    tally: Tally,
    hours: Vec<(i64, u64)>,
}

impl Pending {
    #[inline]
    fn count_hour(&mut self, time_ms: i64) {
        let hour = time_ms.div_euclid(HOUR_MS) * HOUR_MS;
        match self.hours.last_mut() {
            Some((h, n)) if *h == hour => *n += 1,
            _ => self.hours.push((hour, 1)),
        }
    }

    fn merge_into(&mut self, acc: &mut Acc) {
        acc.tally.merge(&self.tally);
        for (hour, n) in self.hours.drain(..) {
            *acc.per_hour.entry(hour).or_default() += n;
        }
        self.tally = Tally::default();
    }
}

/// Every rule hit by the selection, biggest first (ties by rule, then scope). The scope is
/// the NSG name, else the flow log name.
pub fn rule_hits(store: &Store, sel: &Selection) -> Vec<RuleHits> {
    let groups = store.groups();
    let records = store.records();
    let mut accs: FastMap<(u32, u32), Acc> = FastMap::default();
    // Rows of one group arrive together: look the accumulator up once per group.
    let mut current: Option<(usize, (u32, u32))> = None;
    let mut pending = Pending::default();
    for_each_row(store, sel, |row, g, counters| {
        if current.map(|(cg, _)| cg) != Some(g) {
            if let Some((_, key)) = current {
                pending.merge_into(accs.entry(key).or_default());
            }
            let group = &groups[g];
            let scope = records
                .get(group.record as usize)
                .map(|r| if r.nsg != NONE { r.nsg } else { r.flowlog })
                .unwrap_or(NONE);
            current = Some((g, (group.rule, scope)));
        }
        let time = store.time_ms(row);
        pending.tally.add(time, store.flag(row), counters);
        pending.count_hour(time);
    });
    if let Some((_, key)) = current {
        pending.merge_into(accs.entry(key).or_default());
    }
    finish(store, accs)
}

/// Merges ids that name the same (rule, scope) text and orders the result.
fn finish(store: &Store, accs: FastMap<(u32, u32), Acc>) -> Vec<RuleHits> {
    let mut named: BTreeMap<(String, String), Acc> = BTreeMap::new();
    for ((rule, scope), acc) in accs {
        let rule = store.text(rule).unwrap_or("").to_string();
        let scope = store.text(scope).map(scope_name).unwrap_or("").to_string();
        let target = named.entry((rule, scope)).or_default();
        target.tally.merge(&acc.tally);
        for (hour, n) in acc.per_hour {
            *target.per_hour.entry(hour).or_default() += n;
        }
    }
    let mut out: Vec<RuleHits> = named
        .into_iter()
        .map(|((rule, scope), acc)| RuleHits {
            rule,
            scope,
            tally: acc.tally,
            per_hour: acc.per_hour.into_iter().collect(),
        })
        .collect();
    // The BTreeMap already ordered by (rule, scope); a stable sort keeps that for ties.
    out.sort_by(|a, b| biggest_first(&a.tally, &b.tally, SortBy::Tuples));
    out
}

/// The last segment of an ARM path (`…/networkSecurityGroups/web-nsg` → `web-nsg`).
fn scope_name(text: &str) -> &str {
    text.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Decision, FlowState, Tuple};
    use crate::views::testing::{build_specs, tuple, GroupSpec};

    fn spec(rule: &str, nsg: Option<&str>, flowlog: Option<&str>, t: Vec<Tuple>) -> GroupSpec {
        GroupSpec {
            rule: rule.into(),
            mac: "M1".into(),
            nsg: nsg.map(str::to_string),
            flowlog: flowlog.map(str::to_string),
            tuples: t,
        }
    }

    #[test]
    fn hits_are_counted_per_rule_and_scope_with_hours() {
        let h = HOUR_MS;
        let mut denied = tuple(10 * h + 5, "9.9.9.9", 1, "10.0.0.4", 3389);
        denied.decision = Decision::Deny;
        denied.state = Some(FlowState::Begin);
        let mut cont = tuple(11 * h + 7, "1.1.1.1", 2, "10.0.0.4", 22);
        cont.state = Some(FlowState::Continue);
        cont.counters.bytes_in = 500;
        let specs = vec![
            spec("Deny", Some("NSG-A"), None, vec![denied, denied, denied]),
            spec("Allow", Some("NSG-A"), None, vec![cont]),
            // The same rule name in another scope is another entry.
            spec(
                "Allow",
                None,
                Some("/subs/x/flowLogs/fl-1"),
                vec![cont, cont],
            ),
            // And a second record of the first scope merges into it.
            spec("Deny", Some("NSG-A"), None, vec![cont]),
        ];
        let store = build_specs(&specs);
        let hits = rule_hits(&store, &Selection::all(store.len()));

        let keys: Vec<_> = hits
            .iter()
            .map(|r| (r.rule.as_str(), r.scope.as_str(), r.tally.tuples))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("Deny", "NSG-A", 4),
                ("Allow", "fl-1", 2),
                ("Allow", "NSG-A", 1)
            ]
        );
        let deny = &hits[0];
        assert_eq!((deny.tally.allowed, deny.tally.denied), (1, 3));
        assert_eq!(deny.tally.bytes, 500);
        assert_eq!(
            (deny.tally.first_ms, deny.tally.last_ms),
            (10 * h + 5, 11 * h + 7)
        );
        assert_eq!(deny.per_hour, vec![(10 * h, 3), (11 * h, 1)]);
    }

    #[test]
    fn only_selected_rows_count() {
        let t = tuple(1_000, "1.1.1.1", 1, "2.2.2.2", 2);
        let store = build_specs(&[
            spec("A", Some("N"), None, vec![t, t]),
            spec("B", Some("N"), None, vec![t]),
        ]);
        let hits = rule_hits(&store, &Selection::from_sorted(vec![1, 2]));
        let keys: Vec<_> = hits
            .iter()
            .map(|r| (r.rule.as_str(), r.tally.tuples))
            .collect();
        assert_eq!(keys, vec![("A", 1), ("B", 1)]);
        assert!(rule_hits(&store, &Selection::default()).is_empty());
    }
}

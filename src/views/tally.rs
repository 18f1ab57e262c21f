//! Adding tuples into a `Tally`.

pub use crate::model::counts_toward_totals;

use super::{SortBy, Tally};
use crate::model::{Counters, Decision, FlowState};
use crate::store::{Flags, GroupSums, Store};
use std::cmp::Ordering;
use std::ops::Range;

impl Tally {
    /// Adds one tuple.
    #[inline]
    pub fn add(&mut self, time_ms: i64, flags: Flags, counters: &Counters) {
        if self.tuples == 0 {
            self.first_ms = time_ms;
            self.last_ms = time_ms;
        } else {
            self.first_ms = self.first_ms.min(time_ms);
            self.last_ms = self.last_ms.max(time_ms);
        }
        self.tuples += 1;
        match flags.decision() {
            Decision::Allow => self.allowed += 1,
            Decision::Deny => self.denied += 1,
        }
        if counts_toward_totals(flags.state()) {
            self.bytes = self.bytes.saturating_add(counters.bytes());
            self.packets = self.packets.saturating_add(counters.packets());
        }
    }

    /// Adds another tally (of disjoint tuples).
    pub fn merge(&mut self, o: &Tally) {
        if o.tuples == 0 {
            return;
        }
        if self.tuples == 0 {
            *self = *o;
            return;
        }
        self.tuples += o.tuples;
        self.bytes = self.bytes.saturating_add(o.bytes);
        self.packets = self.packets.saturating_add(o.packets);
        self.allowed += o.allowed;
        self.denied += o.denied;
        self.first_ms = self.first_ms.min(o.first_ms);
        self.last_ms = self.last_ms.max(o.last_ms);
    }
}

/// A `Tally` packed for scans that touch many of them at random (top-N over tens of
/// thousands of ports or addresses): 40 bytes instead of 56, so more stay in cache.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PackedTally {
    tuples: u32,
    denied: u32,
    bytes: u64,
    packets: u64,
    first_ms: i64,
    last_ms: i64,
}

impl Default for PackedTally {
    fn default() -> Self {
        PackedTally {
            tuples: 0,
            denied: 0,
            bytes: 0,
            packets: 0,
            first_ms: i64::MAX,
            last_ms: i64::MIN,
        }
    }
}

impl PackedTally {
    #[inline]
    pub(crate) fn add(&mut self, time_ms: i64, flags: Flags, counters: &Counters) {
        // Row ids are u32, so a count of rows fits too.
        let counted = flags.counted_mask();
        self.add_counted(
            time_ms,
            flags,
            counters.bytes() & counted,
            counters.packets() & counted,
        );
    }

    /// Adds one tuple whose bytes and packets are given already zeroed unless they count
    /// toward totals.
    #[inline]
    pub(crate) fn add_counted(&mut self, time_ms: i64, flags: Flags, bytes: u64, packets: u64) {
        self.tuples += 1;
        self.denied += (flags.decision() == Decision::Deny) as u32;
        self.first_ms = self.first_ms.min(time_ms);
        self.last_ms = self.last_ms.max(time_ms);
        self.bytes = self.bytes.saturating_add(bytes);
        self.packets = self.packets.saturating_add(packets);
    }

    /// Adds the rows of a whole group from their time and flags columns, with their
    /// counters already summed (the same figures as adding them one by one).
    pub(crate) fn add_group(&mut self, store: &Store, rows: Range<usize>, sums: GroupSums) {
        let secs = &store.secs()[rows.clone()];
        let low = &store.flags()[rows.clone()];
        let high = store.flags_high().get(rows);
        // Row ids are u32, so a count of rows fits too.
        self.tuples += secs.len() as u32;
        for (i, (&s, &l)) in secs.iter().zip(low).enumerate() {
            let h = high.map_or(0, |h| h[i]);
            let time = crate::store::flags::time_ms(s, h);
            let f = Flags::join(l, h);
            self.first_ms = self.first_ms.min(time);
            self.last_ms = self.last_ms.max(time);
            self.denied += (f.decision() == Decision::Deny) as u32;
        }
        self.bytes = self.bytes.saturating_add(sums.bytes);
        self.packets = self.packets.saturating_add(sums.packets);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.tuples == 0
    }

    /// Adds another packed tally (of disjoint tuples).
    pub(crate) fn merge(&mut self, o: &PackedTally) {
        self.tuples += o.tuples;
        self.denied += o.denied;
        self.bytes = self.bytes.saturating_add(o.bytes);
        self.packets = self.packets.saturating_add(o.packets);
        self.first_ms = self.first_ms.min(o.first_ms);
        self.last_ms = self.last_ms.max(o.last_ms);
    }

    pub(crate) fn unpack(&self) -> Tally {
        if self.tuples == 0 {
            return Tally::default();
        }
        Tally {
            tuples: self.tuples as u64,
            bytes: self.bytes,
            packets: self.packets,
            allowed: (self.tuples - self.denied) as u64,
            denied: self.denied as u64,
            first_ms: self.first_ms,
            last_ms: self.last_ms,
        }
    }
}

/// Biggest first by `sort`, then by tuples; the caller breaks remaining ties by key.
pub(crate) fn biggest_first(a: &Tally, b: &Tally, sort: SortBy) -> Ordering {
    b.metric(sort)
        .cmp(&a.metric(sort))
        .then(b.tuples.cmp(&a.tuples))
}

/// Order of states at equal time within one conversation: B < C < E < D, none first.
pub(crate) fn state_rank(state: Option<FlowState>) -> u8 {
    state.map(|s| s as u8 + 1).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::testing::tuple;

    #[test]
    fn only_continue_and_end_counters_count() {
        let mut t = Tally::default();
        for (state, time) in [
            (FlowState::Begin, 30),
            (FlowState::Continue, 10),
            (FlowState::End, 20),
        ] {
            let mut tu = tuple(time, "1.1.1.1", 1, "2.2.2.2", 2);
            tu.state = Some(state);
            tu.counters = Counters {
                packets_out: 1,
                bytes_out: 100,
                packets_in: 2,
                bytes_in: 200,
            };
            t.add(time, Flags::pack(&tu), &tu.counters);
        }
        assert_eq!(t.tuples, 3);
        assert_eq!(t.bytes, 600);
        assert_eq!(t.packets, 6);
        assert_eq!((t.first_ms, t.last_ms), (10, 30));
        assert_eq!((t.allowed, t.denied), (3, 0));
    }

    #[test]
    fn a_packed_tally_unpacks_to_the_same_figures() {
        let mut t = Tally::default();
        let mut p = PackedTally::default();
        assert_eq!(p.unpack(), t);
        for (i, state) in [FlowState::Begin, FlowState::End, FlowState::Deny]
            .into_iter()
            .enumerate()
        {
            let mut tu = tuple(100 - i as i64 * 40, "1.1.1.1", 1, "2.2.2.2", 2);
            tu.state = Some(state);
            tu.decision = if state == FlowState::Deny {
                Decision::Deny
            } else {
                Decision::Allow
            };
            tu.counters.bytes_in = 10 + i as u64;
            tu.counters.packets_out = 1;
            t.add(tu.time_ms, Flags::pack(&tu), &tu.counters);
            p.add(tu.time_ms, Flags::pack(&tu), &tu.counters);
        }
        assert_eq!(p.unpack(), t);
        assert!(!p.is_empty());
        let mut twice = p;
        twice.merge(&p);
        let mut t2 = t;
        t2.merge(&t);
        assert_eq!(twice.unpack(), t2);
        let mut empty = PackedTally::default();
        empty.merge(&p);
        assert_eq!(empty.unpack(), t);
    }

    #[test]
    fn merging_an_empty_tally_changes_nothing() {
        let mut a = Tally {
            tuples: 1,
            first_ms: 5,
            last_ms: 5,
            ..Tally::default()
        };
        let before = a;
        a.merge(&Tally::default());
        assert_eq!(a, before);
        let mut e = Tally::default();
        e.merge(&before);
        assert_eq!(e, before);
    }
}

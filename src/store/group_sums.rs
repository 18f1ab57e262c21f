//! Bytes and packets summed per group, worked out once on first use: a group-level
//! top-N (rule, MAC, NSG, file…) then adds up whole groups without decoding counters.

use super::Store;

/// Sums over the tuples of one group whose counters count toward totals (`C` and `E`,
/// FORMATS.md "Counting right"); saturating like every tally.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupSums {
    pub bytes: u64,
    pub packets: u64,
}

impl Store {
    /// The sums of every group, in group order. The first call decodes every row's
    /// counters (16 bytes kept a group); later calls return them at once.
    pub fn group_sums(&self) -> &[GroupSums] {
        self.group_sums
            .get_or_init(|| sums_split(self, self.len() >= crate::parallel::split_rows()))
    }

    /// The sums if a call to `group_sums` has worked them out already.
    pub fn group_sums_ready(&self) -> Option<&[GroupSums]> {
        self.group_sums.get().map(Vec::as_slice)
    }
}

/// Every group's sums, on two threads (groups cut in two halves) when `split`.
fn sums_split(store: &Store, split: bool) -> Vec<GroupSums> {
    let mut sums = vec![GroupSums::default(); store.groups().len()];
    let mid = if split { sums.len() / 2 } else { sums.len() };
    let (lower, upper) = sums.split_at_mut(mid);
    std::thread::scope(|scope| {
        if !upper.is_empty() {
            scope.spawn(|| fill(store, mid, upper));
        }
        fill(store, 0, lower);
    });
    sums
}

/// Fills `out` with the sums of groups `first..first + out.len()`. Groups cover their
/// rows back to back, so the counters of all of them are decoded as one scan; whether a
/// row counts is masked in rather than branched on (it is as good as random).
fn fill(store: &Store, first: usize, out: &mut [GroupSums]) {
    let Some(last) = (first + out.len()).checked_sub(1) else {
        return;
    };
    let flags = store.flags();
    let (start, end) = (store.group_rows(first).start, store.group_rows(last).end);
    let mut counters = store
        .counter_column()
        .iter_range(start as usize, end as usize);
    for (g, sum) in (first..).zip(out.iter_mut()) {
        for (row, c) in store.group_rows(g).zip(counters.by_ref()) {
            let mask = super::Flags(flags[row as usize] as u32).counted_mask();
            sum.bytes = sum.bytes.saturating_add(c.bytes() & mask);
            sum.packets = sum.packets.saturating_add(c.packets() & mask);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Counters, Decision, Direction, FlowState, LogKind, Tuple};
    use crate::store::{FileInfo, RecordMeta, StoreBuilder};

    fn store() -> Store {
        let mut b = StoreBuilder::new();
        let file = b.add_file(FileInfo::default());
        let meta = RecordMeta {
            ordinal: 0,
            offset: 0,
            kind: LogKind::Nsg,
            version: 2,
            time_ms: 0,
            nsg: None,
            flowlog: None,
            target: None,
        };
        b.begin_record(file, &meta);
        let states = [None, Some(FlowState::Begin), Some(FlowState::Continue)];
        for g in 0..5u64 {
            b.begin_group(Some("R"), None, None);
            for i in 0..(g * 3 + 1) {
                b.push(&Tuple {
                    time_ms: 1000,
                    src: "1.1.1.1".parse().expect("address"),
                    dst: "2.2.2.2".parse().expect("address"),
                    sport: 1,
                    dport: 2,
                    proto: 6,
                    dir: Direction::In,
                    decision: Decision::Allow,
                    state: [states[(i % 3) as usize], Some(FlowState::End)][(g % 2) as usize],
                    encryption: None,
                    counters: Counters {
                        packets_out: i + 1,
                        bytes_out: (i + 1) * 100,
                        packets_in: g,
                        bytes_in: if i == 2 { 6 << 30 } else { g * 10 },
                    },
                });
            }
        }
        b.finish()
    }

    #[test]
    fn sums_hold_only_continue_and_end_counters_split_or_not() {
        let store = store();
        let expected: Vec<GroupSums> = (0..store.groups().len())
            .map(|g| {
                let mut s = GroupSums::default();
                for row in store.group_rows(g) {
                    let t = store.tuple(row);
                    if matches!(t.state, Some(FlowState::Continue | FlowState::End)) {
                        s.bytes += t.counters.bytes();
                        s.packets += t.counters.packets();
                    }
                }
                s
            })
            .collect();
        assert!(expected.iter().any(|s| s.bytes > 6 << 30));
        assert!(expected.iter().any(|s| s.bytes == 0));
        assert_eq!(sums_split(&store, true), expected);
        assert_eq!(sums_split(&store, false), expected);
        assert_eq!(store.group_sums_ready(), None);
        assert_eq!(store.group_sums(), expected);
        assert_eq!(store.group_sums_ready(), Some(&expected[..]));
        assert!(Store::default().group_sums().is_empty());
    }
}

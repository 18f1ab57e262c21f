//! The Flows table's row order, computed on the query worker. A stable sort of a selection
//! (row ids ascending) by a column is the order by (key, row id); descending is that order
//! read backwards. Large sorts run in chunks so newer work can abandon them, and their
//! first screenful can be sent before the rest is ready.

use super::ranked;
use super::settings::Column;
use crate::selection::Selection;
use crate::store::Store;
use crate::views::{group_slot, Chronology};
use std::cmp::Ordering;
use std::ops::Range;
use std::sync::Arc;

/// Rows merged or scanned between two stale checks.
const STALE_STEP: usize = 1 << 18;

/// How the worker sorts the Flows table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortPlan {
    /// Selections at least this long get their first screenful sent before the full sort.
    pub long: usize,
    /// Rows sent ahead of a long sort: more than any terminal shows.
    pub head: usize,
    /// Rows sorted at a time before merging: small enough that a stale check comes every
    /// few milliseconds.
    pub chunk: usize,
}

impl Default for SortPlan {
    fn default() -> Self {
        SortPlan {
            long: 1 << 20,
            head: 256,
            chunk: 1 << 18,
        }
    }
}

/// The row ids behind a `RowList`.
#[derive(Debug, Clone)]
enum Ids {
    /// The selection itself (load order, or already in the order asked for).
    Selected(Arc<Selection>),
    Sorted(Arc<Vec<u32>>),
    /// In time order, read from the store a window at a time.
    Chronological(Arc<Chronology>),
    /// The first rows in display order only, of `total`, while the rest is being sorted.
    Head {
        first: Arc<Vec<u32>>,
        total: usize,
    },
}

/// Row ids in display order, shared without copying however many rows.
#[derive(Debug, Clone)]
pub struct RowList {
    ids: Ids,
    /// Read the ids backwards (a descending sort or reversed load order).
    reversed: bool,
}

impl RowList {
    pub fn selected(sel: Arc<Selection>, reversed: bool) -> RowList {
        RowList {
            ids: Ids::Selected(sel),
            reversed,
        }
    }

    pub fn sorted(rows: Arc<Vec<u32>>, reversed: bool) -> RowList {
        RowList {
            ids: Ids::Sorted(rows),
            reversed,
        }
    }

    pub fn chronological(order: Arc<Chronology>, reversed: bool) -> RowList {
        RowList {
            ids: Ids::Chronological(order),
            reversed,
        }
    }

    /// The same ids, read backwards or not.
    pub fn reversed(self, reversed: bool) -> RowList {
        RowList { reversed, ..self }
    }

    /// The first rows of a longer list (already in display order).
    pub fn head(first: Vec<u32>, total: usize) -> RowList {
        RowList {
            ids: Ids::Head {
                first: Arc::new(first),
                total,
            },
            reversed: false,
        }
    }

    /// The ids at positions `at` of the ids (not of the display order); `store` is the
    /// one the list was made for, or one its rows begin.
    fn ids(&self, store: &Store, at: Range<usize>) -> Vec<u32> {
        let at = at.start.min(self.available())..at.end.min(self.available());
        match &self.ids {
            Ids::Selected(s) => at.filter_map(|i| s.get(i)).collect(),
            Ids::Sorted(v) => v[at].to_vec(),
            Ids::Chronological(c) => c.rows(store, at),
            Ids::Head { first, .. } => first[at].to_vec(),
        }
    }

    /// How many rows the filter selected.
    pub fn count(&self) -> usize {
        match &self.ids {
            Ids::Head { total, .. } => *total,
            _ => self.available(),
        }
    }

    /// How many rows can be shown and moved through now (fewer than `count` while only
    /// the head is known).
    pub fn available(&self) -> usize {
        match &self.ids {
            Ids::Selected(s) => s.len(),
            Ids::Sorted(v) => v.len(),
            Ids::Chronological(c) => c.len(),
            Ids::Head { first, .. } => first.len(),
        }
    }

    /// True while only the first rows are known.
    pub fn is_partial(&self) -> bool {
        matches!(self.ids, Ids::Head { .. })
    }

    /// The row at display position `i`.
    pub fn get(&self, store: &Store, i: usize) -> Option<u32> {
        let at = if self.reversed {
            self.available().checked_sub(i + 1)?
        } else {
            i
        };
        self.ids(store, at..at + 1).first().copied()
    }

    /// Up to `n` rows from display position `offset`.
    pub fn window(&self, store: &Store, offset: usize, n: usize) -> Vec<u32> {
        let available = self.available();
        let end = offset.saturating_add(n).min(available);
        let offset = offset.min(end);
        let at = if self.reversed {
            available - end..available - offset
        } else {
            offset..end
        };
        let mut ids = self.ids(store, at);
        if self.reversed {
            ids.reverse();
        }
        ids
    }

    /// True when both lists read the same ids (one was not computed again).
    #[cfg(test)]
    pub fn shares_ids_with(&self, other: &RowList) -> bool {
        match (&self.ids, &other.ids) {
            (Ids::Selected(a), Ids::Selected(b)) => Arc::ptr_eq(a, b),
            (Ids::Sorted(a), Ids::Sorted(b)) => Arc::ptr_eq(a, b),
            (Ids::Chronological(a), Ids::Chronological(b)) => Arc::ptr_eq(a, b),
            (Ids::Head { first: a, .. }, Ids::Head { first: b, .. }) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Every available row in display order.
    #[cfg(test)]
    pub fn to_vec(&self, store: &Store) -> Vec<u32> {
        self.window(store, 0, self.available())
    }
}

/// Compares the sort keys of two rows (not their ids).
fn compare_keys(store: &Store, column: Column, a: u32, b: u32) -> Ordering {
    let text = |id: u32| store.text(id).unwrap_or("");
    let (ai, bi) = (a as usize, b as usize);
    match column {
        Column::Time => store.time_order(a).cmp(&store.time_order(b)),
        Column::Src => (store.src(a), store.sports()[ai]).cmp(&(store.src(b), store.sports()[bi])),
        Column::Dst => (store.dst(a), store.dports()[ai]).cmp(&(store.dst(b), store.dports()[bi])),
        Column::Proto => store.flag(a).proto().cmp(&store.flag(b).proto()),
        Column::Dir => store.flag(a).dir().cmp(&store.flag(b).dir()),
        Column::Action => store.flag(a).decision().cmp(&store.flag(b).decision()),
        Column::State => store.flag(a).state().cmp(&store.flag(b).state()),
        Column::Bytes => store.counters(a).bytes().cmp(&store.counters(b).bytes()),
        Column::Packets => store
            .counters(a)
            .packets()
            .cmp(&store.counters(b).packets()),
        Column::Rule => text(store.group_of(a).rule).cmp(text(store.group_of(b).rule)),
        Column::Nsg => text(store.record_of(a).nsg).cmp(text(store.record_of(b).nsg)),
    }
}

/// The total order of a stable ascending sort: key, then row id.
fn compare(store: &Store, column: Column, a: u32, b: u32) -> Ordering {
    compare_keys(store, column, a, b).then(a.cmp(&b))
}

/// True when ascending `rows` are already in `column` order (a stable sort would keep
/// them as they are): one cheap pass, and flow logs are mostly chronological.
pub fn is_ordered(store: &Store, column: Column, mut rows: impl Iterator<Item = u32>) -> bool {
    if column == Column::Time {
        // The default order: one key read per row instead of two.
        let mut last = (i64::MIN, None);
        return rows.all(|r| {
            let key = (store.time_order(r), Some(r));
            let ordered = key > last;
            last = key;
            ordered
        });
    }
    if let Some(ranked::Rank::Text(field)) = ranked::Rank::of(column) {
        // Rows of one group share its text: compare only where the group changes. Row by
        // row, each comparison found its group by a binary search: 0.8 s for 10M rows
        // already in NSG order. Absent text reads as empty, as in `compare_keys`.
        let text = |g| {
            store
                .texts()
                .slot_text(group_slot(store, field, g) as usize)
        };
        let mut groups = store.group_cursor();
        let mut last = None;
        return rows.all(|r| {
            let g = groups.at(r);
            let ordered = last.is_none_or(|l| l == g || text(l) <= text(g));
            last = Some(g);
            ordered
        });
    }
    let Some(mut last) = rows.next() else {
        return true;
    };
    rows.all(|r| {
        let ordered = compare(store, column, last, r) == Ordering::Less;
        last = r;
        ordered
    })
}

/// True when a long sort by `column` is worth a `head` sent first. A ranked sort by a
/// few values (flags, rule, NSG, counters) is two passes in row order and finishes long
/// before a head's row-by-row comparisons: at 10M rows, by rule, 80 ms against 0.9 s for
/// the head alone. By address it scatters rows over
/// millions of buckets (6.7 s at 100M rows) and the head still comes first.
pub fn wants_head(column: Column) -> bool {
    matches!(
        ranked::Rank::of(column),
        None | Some(ranked::Rank::Address { .. })
    )
}

/// The first `n` rows of `sel` in `column` order, or in reverse order when
/// `descending`, without sorting them all; `None` once `stale` says it is not wanted.
pub fn head(
    store: &Store,
    column: Column,
    sel: &Selection,
    n: usize,
    descending: bool,
    stale: &dyn Fn() -> bool,
) -> Option<Vec<u32>> {
    if n == 0 {
        return Some(Vec::new());
    }
    let better = |a: u32, b: u32| {
        let o = compare(store, column, a, b);
        if descending {
            o.reverse()
        } else {
            o
        }
    };
    // Best candidates come first when the data is nearly in order: walk that way.
    let walk: Box<dyn Iterator<Item = u32>> = if descending {
        Box::new(sel.iter().rev())
    } else {
        Box::new(sel.iter())
    };
    let mut kept: Vec<u32> = Vec::with_capacity(4 * n);
    let mut worst: Option<u32> = None;
    for (i, row) in walk.enumerate() {
        if i % STALE_STEP == STALE_STEP - 1 && stale() {
            return None;
        }
        if worst.is_some_and(|w| better(row, w) != Ordering::Less) {
            continue;
        }
        kept.push(row);
        if kept.len() == 4 * n {
            kept.select_nth_unstable_by(n - 1, |&a, &b| better(a, b));
            kept.truncate(n);
            worst = kept.iter().copied().max_by(|&a, &b| better(a, b));
        }
    }
    kept.sort_unstable_by(|&a, &b| better(a, b));
    kept.truncate(n);
    Some(kept)
}

/// The rows of `sel` sorted by `column`, stably: by counting where the column's values
/// can be ranked (`ranked`), else `chunk` rows at a time then merged; `None` as soon as
/// `stale` says the answer is no longer wanted.
pub fn sort(
    store: &Store,
    column: Column,
    sel: &Selection,
    chunk: usize,
    stale: &dyn Fn() -> bool,
) -> Option<Vec<u32>> {
    if let Some(rank) = ranked::Rank::of(column) {
        return ranked::sort(store, rank, sel, stale);
    }
    let chunk = chunk.max(1);
    let mut out = sel.to_vec();
    for chunk in out.chunks_mut(chunk) {
        if stale() {
            return None;
        }
        if !is_ordered(store, column, chunk.iter().copied()) {
            chunk.sort_by(|&a, &b| compare_keys(store, column, a, b));
        }
    }
    let cmp = |a: u32, b: u32| compare(store, column, a, b);
    let mut buffer = Vec::new();
    let mut width = chunk;
    while width < out.len() {
        for start in (0..out.len()).step_by(2 * width) {
            let end = (start + 2 * width).min(out.len());
            let mid = (start + width).min(end);
            if !merge(&mut out[start..end], mid - start, &mut buffer, &cmp, stale) {
                return None;
            }
        }
        width *= 2;
    }
    Some(out)
}

/// Merges the sorted halves `run[..mid]` and `run[mid..]` in place, with a buffer for the
/// part of the left half that overlaps the right one; false when abandoned (the run is
/// then left in no useful order).
fn merge(
    run: &mut [u32],
    mid: usize,
    buffer: &mut Vec<u32>,
    cmp: &dyn Fn(u32, u32) -> Ordering,
    stale: &dyn Fn() -> bool,
) -> bool {
    if mid == 0 || mid == run.len() || cmp(run[mid - 1], run[mid]) == Ordering::Less {
        return true; // already in order: chronological files make this the usual case
    }
    // Left rows before the right's first, and right rows after the left's last, stay put.
    let start = run[..mid].partition_point(|&x| cmp(x, run[mid]) == Ordering::Less);
    let last_left = run[mid - 1];
    let end = mid + run[mid..].partition_point(|&y| cmp(y, last_left) == Ordering::Less);
    let run = &mut run[start..end];
    let mid = mid - start;
    buffer.clear();
    buffer.extend_from_slice(&run[..mid]);
    let (mut i, mut j) = (0, mid);
    // Once the buffer is used up, the right rows left are already where they belong.
    for k in 0..run.len() {
        if i == buffer.len() {
            break;
        }
        if k % STALE_STEP == STALE_STEP - 1 && stale() {
            return false;
        }
        // k < j always holds, so writing run[k] never overwrites an unread right row.
        if j < run.len() && cmp(run[j], buffer[i]).is_lt() {
            run[k] = run[j];
            j += 1;
        } else {
            run[k] = buffer[i];
            i += 1;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selection::Held;
    use crate::views::testing::jumbled;

    const COLUMNS: [Column; 11] = Column::DEFAULT;

    /// What the worker did before chunks: one stable sort of the whole selection.
    fn reference(store: &Store, column: Column, rows: &Selection) -> Vec<u32> {
        let mut v = rows.to_vec();
        v.sort_by(|&a, &b| compare_keys(store, column, a, b));
        v
    }

    fn every_other(store: &Store) -> Selection {
        Selection::from_sorted((0..store.len() as u32).filter(|r| r % 3 != 1).collect())
    }

    #[test]
    fn chunked_sort_equals_one_stable_sort() {
        let store = jumbled(6);
        let rows = every_other(&store);
        for column in COLUMNS {
            let want = reference(&store, column, &rows);
            for chunk in [1, 7, 64, rows.len() + 1] {
                let got = sort(&store, column, &rows, chunk, &|| false);
                assert_eq!(got.as_ref(), Some(&want), "{column:?} in chunks of {chunk}");
            }
            assert!(
                is_ordered(&store, column, want.iter().copied()),
                "{column:?}"
            );
        }
        // Every row, held as a count.
        let every = Selection::all(store.len());
        let want = reference(&store, Column::Time, &every);
        assert_eq!(sort(&store, Column::Time, &every, 7, &|| false), Some(want));
    }

    /// Groups with every direction, decision, state and protocol, IPv4 and IPv6, an empty
    /// and an absent rule, and groups without an NSG.
    fn varied() -> Store {
        use crate::model::{Decision, Direction, FlowState};
        use crate::views::testing::{build_specs, tuple, GroupSpec};
        let states = [
            None,
            Some(FlowState::Begin),
            Some(FlowState::Continue),
            Some(FlowState::End),
            Some(FlowState::Deny),
        ];
        let specs: Vec<GroupSpec> = (0..12)
            .map(|g| GroupSpec {
                rule: ["b", "", "a", "b"][g % 4].to_string(),
                mac: "M".into(),
                nsg: (g % 3 != 0).then(|| format!("N{}", g % 2)),
                flowlog: Some("F".into()),
                tuples: (0..30u16)
                    .map(|i| {
                        let k = g as u16 * 30 + i;
                        let src = if k.is_multiple_of(5) {
                            format!("fd00::{}", k % 7)
                        } else {
                            format!("10.0.{}.{}", k % 2, k % 9)
                        };
                        let mut t = tuple((k as i64 * 7919) % 100, &src, k % 4, "10.9.0.1", 80);
                        t.dir = if k.is_multiple_of(3) {
                            Direction::Out
                        } else {
                            Direction::In
                        };
                        t.decision = if k % 7 < 3 {
                            Decision::Deny
                        } else {
                            Decision::Allow
                        };
                        t.state = states[(k % 5) as usize];
                        t.proto = [6, 17, 1][(k % 3) as usize];
                        t.counters = varied_counters(k as u64);
                        t
                    })
                    .collect(),
            })
            .collect();
        build_specs(&specs)
    }

    /// Counters of every kind a sort by bytes or packets meets: equal values small and
    /// large, values either side of the exact ranks, and (packets only) values whose
    /// rest within their rank is too wide to pack.
    fn varied_counters(k: u64) -> crate::model::Counters {
        let (bytes, packets) = match k % 6 {
            0 => (k % 3, k % 2),
            1 => ((1 << 17) - 1 + k % 3, 5),
            2 => (1_000_000 + (k * 7919) % 300, 1_000_000),
            3 => (3_000_000_000 + k % 4, (1 << 40) + k % 4),
            4 => (70_000 + k % 5, u64::MAX - k % 2),
            _ => (0, 0),
        };
        crate::model::Counters {
            packets_out: packets,
            bytes_out: bytes,
            packets_in: k % 4,
            bytes_in: (k % 7) * 1000,
        }
    }

    #[test]
    fn every_column_sorts_as_one_stable_sort_over_varied_rows() {
        let store = varied();
        let all = Selection::all(store.len());
        let some = every_other(&store);
        for column in COLUMNS {
            for rows in [&all, &some] {
                let want = reference(&store, column, rows);
                let got = sort(&store, column, rows, 16, &|| false);
                assert_eq!(got.as_ref(), Some(&want), "{column:?}");
            }
        }
    }

    /// `every_other`'s rows held as bits, as a filter that keeps many rows holds them.
    fn every_other_marked(store: &Store) -> Selection {
        let mut words = vec![0u64; store.len().div_ceil(64)];
        for r in every_other(store).iter() {
            words[r as usize / 64] |= 1 << (r % 64);
        }
        let marked = Selection::from_bitmap(words, store.len());
        assert!(matches!(marked.held(), Held::Marked(_)), "held as bits");
        marked
    }

    #[test]
    fn head_is_the_start_of_the_full_order_either_way() {
        let store = jumbled(6);
        for (rows, column) in COLUMNS
            .iter()
            .flat_map(|&c| [(every_other(&store), c), (every_other_marked(&store), c)])
        {
            let asc = reference(&store, column, &rows);
            let desc: Vec<u32> = asc.iter().rev().copied().collect();
            for n in [1, 5, 30, rows.len() + 10] {
                let take = n.min(rows.len());
                let first = |descending| head(&store, column, &rows, n, descending, &|| false);
                assert_eq!(first(false).as_deref(), Some(&asc[..take]));
                assert_eq!(first(true).as_deref(), Some(&desc[..take]));
            }
        }
    }

    #[test]
    fn order_check_tells_sorted_from_jumbled() {
        let store = jumbled(6);
        let rows = every_other(&store);
        assert!(!is_ordered(&store, Column::Time, rows.iter()));
        let one_group = Selection::from_sorted((0..40).collect());
        assert!(is_ordered(&store, Column::Rule, one_group.iter()));
        assert!(!is_ordered(&store, Column::Time, one_group.iter()));
    }

    #[test]
    fn order_check_agrees_with_a_row_by_row_check() {
        let store = varied();
        let n = store.len() as u32;
        let ordered_in = |column, rows: &[u32]| {
            let sorted = rows
                .windows(2)
                .all(|w| compare(&store, column, w[0], w[1]) == Ordering::Less);
            (is_ordered(&store, column, rows.iter().copied()), sorted)
        };
        let mut told_apart = 0;
        for column in COLUMNS {
            for rows in [
                (0..n).collect::<Vec<u32>>(),
                (0..n).filter(|r| r % 30 < 3).collect(),
                (0..n).filter(|r| r % 90 < 2).collect(),
                (35..65).collect(),
                vec![5],
                vec![],
            ] {
                let (got, want) = ordered_in(column, &rows);
                assert_eq!(got, want, "{column:?} over {} rows", rows.len());
                told_apart += usize::from(want);
            }
        }
        assert!(
            told_apart > 12,
            "the cases hold ordered row sets beyond the trivial"
        );
    }

    #[test]
    fn stale_sort_gives_up() {
        let store = jumbled(6);
        let rows = every_other(&store);
        assert_eq!(sort(&store, Column::Time, &rows, 7, &|| true), None);
        for column in COLUMNS {
            assert_eq!(sort(&store, column, &rows, 7, &|| true), None, "{column:?}");
        }
        // Going stale in the middle of the merges.
        let calls = std::cell::Cell::new(0);
        let later = || {
            calls.set(calls.get() + 1);
            calls.get() > 40
        };
        assert_eq!(sort(&store, Column::Time, &rows, 1, &later), None);
        // A head scans every row: long scans check on the way.
        let big = jumbled(STALE_STEP / 40 + 1);
        let long = Selection::all(big.len());
        assert_eq!(head(&big, Column::Time, &long, 5, false, &|| true), None);
        assert!(head(&big, Column::Time, &long, 5, false, &|| false).is_some());
    }

    #[test]
    fn row_lists_read_forwards_and_backwards() {
        let store = jumbled(1);
        let sel = Arc::new(Selection::from_sorted(vec![2, 4, 6, 8]));
        let forwards = RowList::selected(Arc::clone(&sel), false);
        let backwards = RowList::selected(sel, true);
        assert_eq!(forwards.to_vec(&store), [2, 4, 6, 8]);
        assert_eq!(backwards.to_vec(&store), [8, 6, 4, 2]);
        assert_eq!(backwards.window(&store, 1, 2), [6, 4]);
        assert_eq!(backwards.window(&store, 3, 10), [2]);
        assert_eq!(backwards.get(&store, 4), None);
        let head = RowList::head(vec![9, 3], 1000);
        assert_eq!((head.count(), head.available()), (1000, 2));
        assert!(head.is_partial() && !forwards.is_partial());
    }
}

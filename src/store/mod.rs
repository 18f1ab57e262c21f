//! The in-memory columnar store: one array per tuple field, dictionaries for addresses and
//! text, and the record/group tables every row traces back to.
//!
//! ```text
//! rows (load order)      secs  flags (+ high half, VNet)  src  dst  sport dport  counters
//! groups (row ranges)    first_row → rule, mac, acl, record
//! time index             block of rows → cells of time it spans (built on first use)
//! records                file, ordinal, byte offset, kind, version, nsg, flow log, target
//! files                  path, size, metadata from the blob folder layout
//! ```
//! A group is the run of tuples under one rule (and MAC) of one record; groups are
//! contiguous in row order, so rule, MAC, NSG, file… cost no per-row memory.

mod addrs;
mod builder;
mod columns;
pub mod counters;
pub mod dict;
pub mod flags;
mod group_sums;
mod id_index;
pub mod time_index;

pub use addrs::AddrDict;
pub use builder::{RecordMeta, Row, StoreBuilder};
pub use columns::Columns;
pub use counters::CounterColumn;
pub use dict::TextDict;
pub use flags::Flags;
pub use group_sums::GroupSums;
pub use time_index::TimeIndex;

use crate::model::{ConversationKey, Counters, LogKind, Tuple};
use std::net::IpAddr;
use std::ops::Range;

/// Id stored where a text field is absent.
pub const NONE: u32 = u32::MAX;

/// A run of tuples that share rule, MAC, ACL and record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    pub first_row: u32,
    pub record: u32,
    /// Text ids; `NONE` when absent.
    pub rule: u32,
    pub mac: u32,
    pub acl: u32,
}

/// One record of a flow log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub file: u32,
    /// 0-based position of the record in its file.
    pub ordinal: u32,
    /// Byte offset of the record's opening brace in its file (`u64::MAX` if unknown).
    pub offset: u64,
    pub kind: LogKind,
    /// NSG `Version` (1, 2) or VNet `flowLogVersion` (4); 0 if absent.
    pub version: u8,
    /// The record's own `time`, in ms since the epoch (`i64::MIN` if absent).
    pub time_ms: i64,
    /// Text ids; `NONE` when absent.
    pub nsg: u32,
    pub flowlog: u32,
    pub target: u32,
}

/// Finds the group of rows met in ascending order by stepping forward through the
/// groups; a jump of more than a few groups, or a row before the last one, is searched
/// for instead. Scans walk rows in order, so this costs a comparison a row, not a search.
#[derive(Debug, Clone)]
pub struct GroupCursor<'a> {
    groups: &'a [Group],
    group: usize,
}

impl GroupCursor<'_> {
    /// Index of the group holding `row`.
    #[inline]
    pub fn at(&mut self, row: u32) -> usize {
        let groups = self.groups;
        let behind = groups.get(self.group).is_some_and(|g| g.first_row > row);
        let far = groups
            .get(self.group + 8)
            .is_some_and(|g| g.first_row <= row);
        if behind || far {
            self.group = groups
                .partition_point(|g| g.first_row <= row)
                .saturating_sub(1);
        }
        while groups
            .get(self.group + 1)
            .is_some_and(|next| next.first_row <= row)
        {
            self.group += 1;
        }
        self.group
    }
}

/// Metadata that the blob folder layout carries (FORMATS.md "Where files come from").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathMeta {
    pub subscription: Option<String>,
    pub resource_group: Option<String>,
    pub nsg: Option<String>,
    pub flowlog: Option<String>,
    pub mac: Option<String>,
    /// Start of the hour the blob covers, ms since the epoch.
    pub hour_ms: Option<i64>,
}

/// A loaded source file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileInfo {
    /// As given or found (`-` for standard input).
    pub path: String,
    pub size: u64,
    pub meta: PathMeta,
}

#[derive(Debug, Default, Clone)]
pub struct Store {
    pub(crate) secs: Vec<u32>,
    /// The low half of each row's `Flags`: protocol, direction, decision, state.
    pub(crate) flags: Vec<u16>,
    /// The high half (encryption, milliseconds: VNet only); empty while every row's is
    /// zero, else one a row.
    pub(crate) flags_high: Vec<u16>,
    pub(crate) src: Vec<u32>,
    pub(crate) dst: Vec<u32>,
    pub(crate) sport: Vec<u16>,
    pub(crate) dport: Vec<u16>,
    pub(crate) counters: CounterColumn,
    pub(crate) groups: Vec<Group>,
    pub(crate) records: Vec<Record>,
    pub(crate) files: Vec<FileInfo>,
    pub(crate) addrs: AddrDict,
    pub(crate) texts: TextDict,
    pub(crate) time_range: Option<(i64, i64)>,
    /// Per-group counter sums, worked out on first use (`group_sums`).
    pub(crate) group_sums: std::sync::OnceLock<Vec<GroupSums>>,
    /// Where rows of each stretch of time lie, worked out on first use (`time_index`).
    pub(crate) time_index: std::sync::OnceLock<std::sync::Arc<TimeIndex>>,
    /// The optional columns built; the others are empty.
    pub(crate) columns: Columns,
}

impl Store {
    /// Number of loaded tuples (rows).
    pub fn len(&self) -> usize {
        self.secs.len()
    }
    pub fn is_empty(&self) -> bool {
        self.secs.is_empty()
    }

    // Columns, for column-wise scans (filters, views).
    pub fn secs(&self) -> &[u32] {
        &self.secs
    }
    /// The low half of every row's flags (see `flags`).
    pub fn flags(&self) -> &[u16] {
        &self.flags
    }
    /// The high half of every row's flags, or nothing when every row's is zero.
    pub fn flags_high(&self) -> &[u16] {
        &self.flags_high
    }
    // A store built without a column (`Columns`) panics when it is read rather than
    // answer from an empty column.
    pub fn src_ids(&self) -> &[u32] {
        assert!(self.columns.addresses, "addresses not built");
        &self.src
    }
    pub fn dst_ids(&self) -> &[u32] {
        assert!(self.columns.addresses, "addresses not built");
        &self.dst
    }
    pub fn sports(&self) -> &[u16] {
        assert!(self.columns.ports, "ports not built");
        &self.sport
    }
    pub fn dports(&self) -> &[u16] {
        assert!(self.columns.ports, "ports not built");
        &self.dport
    }
    pub fn counter_column(&self) -> &CounterColumn {
        assert!(self.columns.counters, "counters not built");
        &self.counters
    }
    /// The optional columns this store has.
    pub fn columns(&self) -> Columns {
        self.columns
    }
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }
    pub fn records(&self) -> &[Record] {
        &self.records
    }
    pub fn files(&self) -> &[FileInfo] {
        &self.files
    }
    pub fn addrs(&self) -> &AddrDict {
        &self.addrs
    }
    pub fn texts(&self) -> &TextDict {
        &self.texts
    }

    /// Oldest and newest tuple time (ms), if any tuple is loaded.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        self.time_range
    }

    // One row, field by field.
    #[inline]
    pub fn time_ms(&self, row: u32) -> i64 {
        let r = row as usize;
        flags::time_ms(self.secs[r], self.flags_high.get(r).copied().unwrap_or(0))
    }
    /// The key of the time order: time, then state (none, B, C, E, D), in one word so
    /// that sort keys stay 16 bytes with their row. A conversation's `E` logged before
    /// its `B` in the same millisecond (FORMATS.md) still reads after it; the row id
    /// breaks the remaining ties.
    #[inline]
    pub fn time_order(&self, row: u32) -> i64 {
        let r = row as usize;
        // One read of the high flags for both halves: whole selections are ordered by it.
        let high = self.flags_high.get(r).copied().unwrap_or(0);
        let state = Flags::join(self.flags[r], high).state_rank();
        // Times are whole u32 seconds in milliseconds: 42 bits, room for 3 of state.
        flags::time_ms(self.secs[r], high) << 3 | i64::from(state)
    }
    #[inline]
    pub fn flag(&self, row: u32) -> Flags {
        let r = row as usize;
        Flags::join(self.flags[r], self.flags_high.get(r).copied().unwrap_or(0))
    }
    pub fn src(&self, row: u32) -> IpAddr {
        self.addrs.get(self.src_ids()[row as usize])
    }
    pub fn dst(&self, row: u32) -> IpAddr {
        self.addrs.get(self.dst_ids()[row as usize])
    }
    pub fn counters(&self, row: u32) -> Counters {
        self.counter_column().get(row as usize)
    }

    /// Index of the group holding `row`.
    pub fn group_index(&self, row: u32) -> usize {
        self.groups.partition_point(|g| g.first_row <= row) - 1
    }
    /// A finder of the groups of rows met in ascending order (see `GroupCursor`).
    pub fn group_cursor(&self) -> GroupCursor<'_> {
        GroupCursor {
            groups: &self.groups,
            group: 0,
        }
    }
    pub fn group_of(&self, row: u32) -> &Group {
        &self.groups[self.group_index(row)]
    }
    /// The rows of group `index`.
    pub fn group_rows(&self, index: usize) -> Range<u32> {
        let start = self.groups[index].first_row;
        let end = self
            .groups
            .get(index + 1)
            .map(|g| g.first_row)
            .unwrap_or(self.len() as u32);
        start..end
    }
    pub fn record_of(&self, row: u32) -> &Record {
        &self.records[self.group_of(row).record as usize]
    }
    pub fn file_of(&self, row: u32) -> &FileInfo {
        &self.files[self.record_of(row).file as usize]
    }

    /// Text of a text id, `None` for `NONE`.
    pub fn text(&self, id: u32) -> Option<&str> {
        (id != NONE).then(|| self.texts.text(id))
    }

    /// The whole tuple, unpacked.
    pub fn tuple(&self, row: u32) -> Tuple {
        let f = self.flag(row);
        Tuple {
            time_ms: self.time_ms(row),
            src: self.src(row),
            dst: self.dst(row),
            sport: self.sport[row as usize],
            dport: self.dport[row as usize],
            proto: f.proto(),
            dir: f.dir(),
            decision: f.decision(),
            state: f.state(),
            encryption: f.encryption(),
            counters: self.counters(row),
        }
    }

    pub fn conversation_key(&self, row: u32) -> ConversationKey {
        let r = row as usize;
        ConversationKey {
            mac: self.group_of(row).mac,
            src: self.src[r],
            sport: self.sport[r],
            dst: self.dst[r],
            dport: self.dport[r],
            proto: self.flag(row).proto(),
        }
    }

    /// Heap bytes held by the store, for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        self.secs.capacity() * 4
            + self.flags.capacity() * 2
            + self.flags_high.capacity() * 2
            + self.src.capacity() * 4
            + self.dst.capacity() * 4
            + self.sport.capacity() * 2
            + self.dport.capacity() * 2
            + self.counters.heap_bytes()
            + self.groups.capacity() * std::mem::size_of::<Group>()
            + self.records.capacity() * std::mem::size_of::<Record>()
            + self.addrs.heap_bytes()
            + self.texts.heap_bytes()
            + self.texts.values().iter().map(|t| t.len()).sum::<usize>()
            + self
                .group_sums
                .get()
                .map_or(0, |v| v.capacity() * std::mem::size_of::<GroupSums>())
            + self.time_index.get().map_or(0, |i| i.heap_bytes())
    }
}

#[cfg(test)]
mod tests {
    use crate::views::testing::jumbled;

    #[test]
    fn the_group_cursor_agrees_with_the_search_in_any_order() {
        let store = jumbled(40);
        let n = store.len() as u32;
        let orders: [Vec<u32>; 4] = [
            (0..n).collect(),
            (0..n).step_by(3).collect(),
            // Jumps far ahead, then steps back to the start and again.
            [0, 5, n - 1, 2, 900, 901, 1, n - 2].into(),
            (0..n).rev().collect(),
        ];
        for rows in orders {
            let mut cursor = store.group_cursor();
            for row in rows {
                assert_eq!(cursor.at(row), store.group_index(row), "row {row}");
            }
        }
    }
}

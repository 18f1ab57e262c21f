//! Building a store: the loader pushes files, records, groups and tuples; per-file
//! builders made on worker threads are merged with `append`, which re-maps dictionary ids.

use super::{Columns, FileInfo, Flags, Group, Record, Store, NONE};
use crate::model::{Counters, LogKind, Tuple};
use std::net::{IpAddr, Ipv4Addr};

/// What the loader knows about a record before its tuples.
#[derive(Debug, Clone, Copy)]
pub struct RecordMeta<'a> {
    pub ordinal: u32,
    pub offset: u64,
    pub kind: LogKind,
    pub version: u8,
    pub time_ms: i64,
    pub nsg: Option<&'a str>,
    pub flowlog: Option<&'a str>,
    pub target: Option<&'a str>,
}

/// One tuple's time and packed fields, as the store's columns take them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub time_ms: i64,
    /// `Flags::pack`: protocol, direction, decision, state, encryption and milliseconds.
    pub flags: u32,
    pub sport: u16,
    pub dport: u16,
}

impl Row {
    #[inline(always)]
    pub fn of(t: &Tuple) -> Row {
        let ms = (t.time_ms as u64 % 1000) as u32;
        Row {
            time_ms: t.time_ms,
            flags: Flags::pack_with_ms(t, ms).0,
            sport: t.sport,
            dport: t.dport,
        }
    }
}

#[derive(Debug)]
pub struct StoreBuilder {
    store: Store,
    /// The two addresses interned last: one side of nearly every tuple is the logged
    /// interface's own address, so most look-ups end here without hashing.
    recent: [(IpAddr, u32); 2],
    min_time: i64,
    max_time: i64,
}

impl Default for StoreBuilder {
    fn default() -> Self {
        StoreBuilder::new()
    }
}

impl StoreBuilder {
    pub fn new() -> Self {
        StoreBuilder::with_columns(Columns::ALL)
    }

    /// A builder that keeps only `columns` of the optional ones: for a store read once.
    pub fn with_columns(columns: Columns) -> Self {
        StoreBuilder {
            store: Store {
                columns,
                ..Store::default()
            },
            recent: [(IpAddr::V4(Ipv4Addr::UNSPECIFIED), NONE); 2],
            min_time: i64::MAX,
            max_time: i64::MIN,
        }
    }

    /// The optional columns this builder keeps.
    pub fn columns(&self) -> Columns {
        self.store.columns
    }

    /// Tuples pushed so far.
    pub fn len(&self) -> usize {
        self.store.len()
    }
    pub fn is_empty(&self) -> bool {
        self.store.is_empty()
    }

    /// Reserves room for `rows` more tuples (untouched capacity costs no resident memory).
    pub fn reserve(&mut self, rows: usize) {
        let s = &mut self.store;
        let optional = |keep: bool| if keep { rows } else { 0 };
        s.secs.reserve(rows);
        s.flags.reserve(rows);
        s.src.reserve(optional(s.columns.addresses));
        s.dst.reserve(optional(s.columns.addresses));
        s.sport.reserve(optional(s.columns.ports));
        s.dport.reserve(optional(s.columns.ports));
        s.counters.reserve(optional(s.columns.counters));
    }

    pub fn add_file(&mut self, file: FileInfo) -> u32 {
        self.store.files.push(file);
        self.store.files.len() as u32 - 1
    }

    /// Starts a record of file `file`; tuples go to groups started after this.
    pub fn begin_record(&mut self, file: u32, meta: &RecordMeta) -> u32 {
        let texts = &mut self.store.texts;
        let mut id = |s: Option<&str>| s.map(|s| texts.intern_str(s)).unwrap_or(NONE);
        let record = Record {
            file,
            ordinal: meta.ordinal,
            offset: meta.offset,
            kind: meta.kind,
            version: meta.version,
            time_ms: meta.time_ms,
            nsg: id(meta.nsg),
            flowlog: id(meta.flowlog),
            target: id(meta.target),
        };
        self.store.records.push(record);
        self.store.records.len() as u32 - 1
    }

    /// Starts the group of tuples under one rule (and MAC, ACL) of the last record.
    pub fn begin_group(&mut self, rule: Option<&str>, mac: Option<&str>, acl: Option<&str>) {
        self.begin_group_ahead(0, rule, mac, acl);
    }

    /// Starts a group as `begin_group` does, its rows coming after `ahead` rows not
    /// pushed yet: a loader can begin a record's groups as it reads them and push their
    /// rows in one pass after.
    pub fn begin_group_ahead(
        &mut self,
        ahead: usize,
        rule: Option<&str>,
        mac: Option<&str>,
        acl: Option<&str>,
    ) {
        assert!(
            !self.store.records.is_empty(),
            "begin_group called before begin_record"
        );
        let first_row = self.store.secs.len() + ahead;
        self.drop_group_without_rows(first_row);
        let texts = &mut self.store.texts;
        let mut id = |s: Option<&str>| s.map(|s| texts.intern_str(s)).unwrap_or(NONE);
        let group = Group {
            first_row: first_row as u32,
            record: self.store.records.len() as u32 - 1,
            rule: id(rule),
            mac: id(mac),
            acl: id(acl),
        };
        self.store.groups.push(group);
    }

    fn drop_empty_last_group(&mut self) {
        self.drop_group_without_rows(self.store.secs.len());
    }

    /// Drops the last group when the row after it is its first: it has none.
    fn drop_group_without_rows(&mut self, next_row: usize) {
        if let Some(last) = self.store.groups.last() {
            if last.first_row as usize == next_row {
                self.store.groups.pop();
            }
        }
    }

    /// Adds one tuple to the current group. The loader has checked the time's range
    /// (0 ..= u32::MAX seconds).
    pub fn push(&mut self, t: &Tuple) {
        self.extend(std::slice::from_ref(t).iter());
    }

    /// Adds tuples to the current group, as `push` would one by one.
    pub fn extend<'t>(&mut self, tuples: impl ExactSizeIterator<Item = &'t Tuple> + Clone) {
        self.extend_rows(
            tuples.clone().map(Row::of),
            tuples.clone().map(|t| (t.src, t.dst)),
            tuples.map(|t| &t.counters),
        );
    }

    /// Adds rows to the current group, each column written in a pass of its own: the
    /// lengths and time bounds stay in registers, where a push a column a row stored and
    /// reloaded each of them. `addresses` and `counters` give a value a row where the
    /// builder keeps them (else they may be empty).
    pub fn extend_rows<'c>(
        &mut self,
        rows: impl ExactSizeIterator<Item = Row> + Clone,
        addresses: impl Iterator<Item = (IpAddr, IpAddr)>,
        counters: impl Iterator<Item = &'c Counters>,
    ) {
        debug_assert!(!self.store.groups.is_empty(), "push before begin_group");
        let n = rows.len();
        // The same columns for every row of a builder: these branches always go one way.
        // Each column's room is made once for all the rows: by `extend` where the rows
        // are counted, here where they are pushed.
        let columns = self.store.columns;
        if columns.addresses {
            self.store.src.reserve(n);
            self.store.dst.reserve(n);
            let before = self.store.src.len();
            for (src, dst) in addresses {
                let src = self.addr_id(src);
                let dst = self.addr_id(dst);
                self.store.src.push(src);
                self.store.dst.push(dst);
            }
            debug_assert_eq!(self.store.src.len(), before + n, "an address a row");
        }
        let s = &mut self.store;
        let start = s.flags.len();
        // Times are 0 ..= u32::MAX seconds (the loader checks): unsigned division
        // splits them exactly, in fewer instructions than `div_euclid`.
        s.secs
            .extend(rows.clone().map(|r| (r.time_ms as u64 / 1000) as u32));
        s.flags.extend(rows.clone().map(|r| Flags(r.flags).low()));
        let (mut min_time, mut max_time, mut high) = (self.min_time, self.max_time, 0);
        for r in rows.clone() {
            debug_assert!((0..=u32::MAX as i64 * 1000 + 999).contains(&r.time_ms));
            min_time = min_time.min(r.time_ms);
            max_time = max_time.max(r.time_ms);
            high |= Flags(r.flags).high();
        }
        (self.min_time, self.max_time) = (min_time, max_time);
        if columns.ports {
            s.sport.extend(rows.clone().map(|r| r.sport));
            s.dport.extend(rows.clone().map(|r| r.dport));
        }
        if columns.counters {
            s.counters.reserve(n);
            let before = s.counters.len();
            for c in counters {
                s.counters.push(c);
            }
            debug_assert_eq!(s.counters.len(), before + n, "counters a row");
        }
        // The high half's column stays empty until a tuple needs it (VNet's).
        if high != 0 || !s.flags_high.is_empty() {
            s.flags_high.resize(start, 0);
            s.flags_high.extend(rows.map(|r| Flags(r.flags).high()));
        }
    }

    #[inline]
    fn addr_id(&mut self, addr: IpAddr) -> u32 {
        if self.recent[0].0 == addr && self.recent[0].1 != NONE {
            return self.recent[0].1;
        }
        if self.recent[1].0 == addr && self.recent[1].1 != NONE {
            self.recent.swap(0, 1);
            return self.recent[0].1;
        }
        let id = self.store.addrs.intern(addr);
        self.recent[1] = self.recent[0];
        self.recent[0] = (addr, id);
        id
    }

    /// Moves everything of `other` (typically one file parsed on a worker) after our rows.
    pub fn append(&mut self, mut other: StoreBuilder) {
        other.drop_empty_last_group();
        self.drop_empty_last_group();
        if self.is_blank() && other.len() >= self.store.secs.capacity() / 2 {
            // Most of the load in one builder (one huge file) and nothing to re-map: take
            // it whole rather than copy it, so it is never held twice. The room reserved
            // for later files is kept (growing by doubling leaves freed copies resident).
            assert_eq!(self.store.columns, other.store.columns, "same columns");
            let room = self.store.secs.capacity().saturating_sub(other.len());
            *self = other;
            self.reserve(room);
            return;
        }
        let file_base = self.store.files.len() as u32;
        let files = std::mem::take(&mut other.store.files);
        self.store.files.extend(files);
        self.merge(other, file_base, 0);
    }

    /// Moves everything of `other`, a later part of our last file parsed on its own
    /// (no file of its own: its records name ours), after our rows; its records' ordinals
    /// grow by `ordinal_shift`.
    pub fn append_part(&mut self, mut other: StoreBuilder, ordinal_shift: u32) {
        assert!(
            other.store.files.is_empty(),
            "a part has no file of its own"
        );
        other.drop_empty_last_group();
        self.drop_empty_last_group();
        self.merge(other, 0, ordinal_shift);
    }

    /// Appends `other`'s records, groups and rows, re-mapping its dictionary ids; its
    /// file ids grow by `file_base` and its ordinals by `ordinal_shift`.
    fn merge(&mut self, other: StoreBuilder, file_base: u32, ordinal_shift: u32) {
        let s = &mut self.store;
        let o = &other.store;
        assert_eq!(
            s.columns, o.columns,
            "only builders of the same columns merge"
        );
        let record_base = s.records.len() as u32;
        let row_base = s.secs.len() as u32;
        let text_map = s.texts.absorb(&o.texts);
        let addr_map = s.addrs.absorb(&o.addrs);
        let text = |id: u32| {
            if id == NONE {
                NONE
            } else {
                text_map[id as usize]
            }
        };
        s.records.extend(o.records.iter().map(|r| Record {
            file: r.file + file_base,
            ordinal: r.ordinal.wrapping_add(ordinal_shift),
            nsg: text(r.nsg),
            flowlog: text(r.flowlog),
            target: text(r.target),
            ..*r
        }));
        s.groups.extend(o.groups.iter().map(|g| Group {
            first_row: g.first_row + row_base,
            record: g.record + record_base,
            rule: text(g.rule),
            mac: text(g.mac),
            acl: text(g.acl),
        }));
        s.secs.extend_from_slice(&o.secs);
        extend_flags(s, &o.flags, &o.flags_high);
        s.src.extend(o.src.iter().map(|&a| addr_map[a as usize]));
        s.dst.extend(o.dst.iter().map(|&a| addr_map[a as usize]));
        s.sport.extend_from_slice(&o.sport);
        s.dport.extend_from_slice(&o.dport);
        s.counters.extend_from(&o.counters);
        self.min_time = self.min_time.min(other.min_time);
        self.max_time = self.max_time.max(other.max_time);
    }

    /// Copies `rows` (ascending) of `other`, a finished store with every column, after
    /// our rows: with the files, records and groups they belong to, and only the
    /// addresses and texts they use. For answers that keep a few rows of each file read
    /// (`query`), so that what is kept does not grow with what is read. Each call adds
    /// the files its rows are in, as `append` does.
    pub fn append_rows(&mut self, other: &Store, rows: &[u32]) {
        let mut groups = other.group_cursor();
        let text = |id: u32| other.text(id);
        // Rows ascend, so their groups, records and files come in order: each is begun
        // once, the first time a row of it comes.
        let (mut last_group, mut last_record, mut last_file) = (None, None, None);
        for &row in rows {
            let g = groups.at(row);
            let group = other.groups[g];
            if last_record != Some(group.record) {
                last_record = Some(group.record);
                let record = other.records[group.record as usize];
                if last_file != Some(record.file) {
                    last_file = Some(record.file);
                    self.add_file(other.files[record.file as usize].clone());
                }
                let meta = RecordMeta {
                    ordinal: record.ordinal,
                    offset: record.offset,
                    kind: record.kind,
                    version: record.version,
                    time_ms: record.time_ms,
                    nsg: text(record.nsg),
                    flowlog: text(record.flowlog),
                    target: text(record.target),
                };
                self.begin_record(self.store.files.len() as u32 - 1, &meta);
            }
            if last_group != Some(g) {
                last_group = Some(g);
                self.begin_group(text(group.rule), text(group.mac), text(group.acl));
            }
            self.push(&other.tuple(row));
        }
    }

    /// Nothing added yet: no files, records, dictionary entries or rows.
    fn is_blank(&self) -> bool {
        let s = &self.store;
        s.files.is_empty()
            && s.records.is_empty()
            && s.groups.is_empty()
            && s.secs.is_empty()
            && s.addrs.is_empty()
            && s.texts.is_empty()
    }

    /// A finished copy of what is built so far (the builder goes on).
    pub fn snapshot(&self) -> Store {
        let mut copy = StoreBuilder {
            store: self.store.clone(),
            recent: self.recent,
            min_time: self.min_time,
            max_time: self.max_time,
        };
        copy.drop_empty_last_group();
        copy.store.time_range =
            (!copy.store.secs.is_empty()).then_some((copy.min_time, copy.max_time));
        copy.store.addrs.drop_index();
        copy.store
    }

    /// The finished store, its columns shrunk to fit: it lives as long as the session.
    pub fn finish(mut self) -> Store {
        self.drop_empty_last_group();
        let s = &mut self.store;
        s.secs.shrink_to_fit();
        s.flags.shrink_to_fit();
        s.flags_high.shrink_to_fit();
        s.src.shrink_to_fit();
        s.dst.shrink_to_fit();
        s.sport.shrink_to_fit();
        s.dport.shrink_to_fit();
        s.counters.shrink_to_fit();
        s.groups.shrink_to_fit();
        s.records.shrink_to_fit();
        self.into_store()
    }

    /// The finished store as it stands, spare room and all: for a store read once and
    /// dropped, where shrinking would copy every column for nothing.
    pub fn into_store(mut self) -> Store {
        self.drop_empty_last_group();
        let s = &mut self.store;
        s.addrs.drop_index();
        s.time_range = (!s.secs.is_empty()).then_some((self.min_time, self.max_time));
        self.store
    }
}

/// Appends rows' flags, both halves; `high` is empty when every one of theirs is zero.
/// The first row with a high half gives every row before it a zero one. Always inlined:
/// `push` calls it for each loaded row with one-row slices, which then fold to plain
/// pushes (called, it was 28 instructions a row, 3% of a file-by-file count).
#[inline(always)]
fn extend_flags(s: &mut Store, low: &[u16], high: &[u16]) {
    if !(s.flags_high.is_empty() && high.is_empty()) {
        s.flags_high.resize(s.flags.len(), 0);
        match high.is_empty() {
            true => s.flags_high.resize(s.flags.len() + low.len(), 0),
            false => s.flags_high.extend_from_slice(high),
        }
    }
    s.flags.extend_from_slice(low);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Counters, Decision, Direction, FlowState};

    fn tuple(ms: i64, src: &str, dport: u16) -> Tuple {
        Tuple {
            time_ms: ms,
            src: src.parse().unwrap(),
            dst: "10.0.0.4".parse().unwrap(),
            sport: 50000,
            dport,
            proto: 6,
            dir: Direction::In,
            decision: Decision::Allow,
            state: Some(FlowState::Continue),
            encryption: None,
            counters: Counters {
                packets_out: 3,
                bytes_out: 300,
                packets_in: 2,
                bytes_in: 200,
            },
        }
    }

    fn meta() -> RecordMeta<'static> {
        RecordMeta {
            ordinal: 0,
            offset: 0,
            kind: LogKind::Nsg,
            version: 2,
            time_ms: 0,
            nsg: Some("NSG-A"),
            flowlog: None,
            target: None,
        }
    }

    /// NSG rows (no high half) and VNet rows (encryption, milliseconds) in every order,
    /// pushed into one builder or appended from others: every row reads back whole.
    #[test]
    fn flags_high_half_appears_with_the_first_vnet_row_wherever_it_is() {
        use crate::model::Encryption;
        let nsg = |ms| tuple(ms, "1.1.1.1", 22);
        let vnet = |ms| Tuple {
            encryption: Some(Encryption::NxFallback),
            ..tuple(ms, "2.2.2.2", 443)
        };
        let runs: [&[Tuple]; 4] = [
            &[nsg(1_000), nsg(2_000)],
            &[vnet(3_007), nsg(4_000)],
            &[nsg(5_000)],
            &[vnet(6_999)],
        ];
        let each = |runs: &[&[Tuple]]| {
            let mut b = StoreBuilder::new();
            let f = b.add_file(FileInfo::default());
            b.begin_record(f, &meta());
            b.begin_group(Some("R"), None, None);
            runs.iter().flat_map(|r| r.iter()).for_each(|t| b.push(t));
            b
        };
        // The same runs, each given to `extend` at once.
        let extended = |runs: &[&[Tuple]]| {
            let mut b = StoreBuilder::new();
            let f = b.add_file(FileInfo::default());
            b.begin_record(f, &meta());
            b.begin_group(Some("R"), None, None);
            runs.iter().for_each(|r| b.extend(r.iter()));
            b
        };
        for order in [[0, 1, 2, 3], [2, 0, 3, 1], [3, 2, 1, 0], [0, 2, 1, 3]] {
            let tuples: Vec<Tuple> = order.iter().flat_map(|&i| runs[i].to_vec()).collect();
            let pushed = each(&order.map(|i| runs[i])).finish();
            let mut appended = StoreBuilder::new();
            order
                .iter()
                .for_each(|&i| appended.append(each(&[runs[i]])));
            let in_runs = extended(&order.map(|i| runs[i])).finish();
            let at_once = extended(&[&tuples]).finish();
            for s in [pushed, appended.finish(), in_runs, at_once] {
                assert_eq!(s.len(), tuples.len());
                assert!(s.flags_high().is_empty() || s.flags_high().len() == s.len());
                for (r, t) in tuples.iter().enumerate() {
                    assert_eq!(s.flag(r as u32), Flags::pack(t), "{order:?} row {r}");
                    assert_eq!(s.tuple(r as u32), *t, "{order:?} row {r}");
                }
                let times = tuples.iter().map(|t| t.time_ms);
                assert_eq!(s.time_range(), times.clone().min().zip(times.max()));
            }
        }
        // NSG alone keeps no high half at all.
        assert!(each(&[runs[0], runs[2]]).finish().flags_high().is_empty());
    }

    /// Groups begun ahead of their rows, the rows then pushed in one pass, make the
    /// store that beginning each group before its rows makes, empty groups dropped.
    #[test]
    fn groups_begun_ahead_of_their_rows_hold_the_same_rows() {
        let rules = [("A", 2), ("Empty", 0), ("B", 1), ("C", 3), ("Last", 0)];
        let rows = |n: usize, from: usize| -> Vec<Tuple> {
            (from..from + n)
                .map(|k| tuple(1_000 * k as i64, "1.1.1.1", k as u16))
                .collect()
        };
        let mut one_by_one = StoreBuilder::new();
        let mut ahead = StoreBuilder::new();
        for b in [&mut one_by_one, &mut ahead] {
            let f = b.add_file(FileInfo::default());
            b.begin_record(f, &meta());
        }
        let mut waiting = Vec::new();
        for (rule, n) in rules {
            let group = rows(n, waiting.len());
            one_by_one.begin_group(Some(rule), None, None);
            one_by_one.extend(group.iter());
            ahead.begin_group_ahead(waiting.len(), Some(rule), None, None);
            waiting.extend(group);
        }
        ahead.extend(waiting.iter());
        let (expected, s) = (one_by_one.finish(), ahead.finish());
        let shape = |s: &Store| -> Vec<(Option<String>, std::ops::Range<u32>)> {
            (0..s.groups().len())
                .map(|g| {
                    let rule = s.text(s.groups()[g].rule).map(String::from);
                    (rule, s.group_rows(g))
                })
                .collect()
        };
        assert_eq!(
            shape(&s),
            [
                (Some("A".into()), 0..2),
                (Some("B".into()), 2..3),
                (Some("C".into()), 3..6)
            ]
        );
        assert_eq!(shape(&s), shape(&expected));
        for (r, t) in waiting.iter().enumerate() {
            assert_eq!(s.tuple(r as u32), *t, "row {r}");
        }
    }

    #[test]
    fn append_remaps_files_records_groups_and_dictionaries() {
        let mut a = StoreBuilder::new();
        let f = a.add_file(FileInfo::default());
        a.begin_record(f, &meta());
        a.begin_group(Some("EmptyRule"), None, None);
        a.begin_group(Some("RuleA"), Some("MAC1"), None);
        a.push(&tuple(1_000, "1.1.1.1", 22));

        let mut b = StoreBuilder::new();
        let f = b.add_file(FileInfo {
            path: "b.json".into(),
            ..Default::default()
        });
        b.begin_record(f, &meta());
        b.begin_group(Some("RuleB"), Some("MAC2"), None);
        b.push(&tuple(5_500, "2.2.2.2", 3389));
        b.push(&tuple(2_000, "1.1.1.1", 3389));

        a.append(b);
        let s = a.finish();
        assert_eq!(s.len(), 3);
        assert_eq!(s.groups().len(), 2, "the empty group is dropped");
        assert_eq!(s.text(s.group_of(0).rule), Some("RuleA"));
        assert_eq!(s.text(s.group_of(2).rule), Some("RuleB"));
        assert_eq!(s.file_of(1).path, "b.json");
        assert_eq!(s.src(2), "1.1.1.1".parse::<std::net::IpAddr>().unwrap());
        assert_eq!(s.src_ids()[0], s.src_ids()[2]);
        assert_eq!(s.tuple(1), tuple(5_500, "2.2.2.2", 3389));
        assert_eq!(s.time_range(), Some((1_000, 5_500)));
        assert_eq!(s.group_rows(1), 1..3);
    }

    /// Some rows of a store of several files, records and groups (NSG and VNet, with an
    /// empty group): each copied row reads back whole, with its record, group and file.
    #[test]
    fn append_rows_copies_rows_with_their_context() {
        let mut whole = StoreBuilder::new();
        for file in 0..3u32 {
            let f = whole.add_file(FileInfo {
                path: format!("f{file}.json"),
                ..Default::default()
            });
            for r in 0..3u32 {
                let nsg = format!("NSG-{file}{r}");
                let kind = if r == 2 { LogKind::Vnet } else { LogKind::Nsg };
                let m = RecordMeta {
                    ordinal: r,
                    offset: 100 * r as u64,
                    kind,
                    nsg: Some(&nsg),
                    ..meta()
                };
                whole.begin_record(f, &m);
                for g in 0..3u32 {
                    let rule = format!("R{g}");
                    whole.begin_group(Some(&rule), Some("MAC"), (r == 2).then_some("acl"));
                    for k in 0..g * 2 {
                        let mut t = tuple(
                            (file * 100 + r * 10 + k) as i64 * 1_001,
                            &format!("10.{file}.{r}.{k}"),
                            (k * 11) as u16,
                        );
                        if kind == LogKind::Vnet {
                            t.encryption = Some(crate::model::Encryption::Nx);
                        }
                        t.counters.bytes_out = u64::from(k) << (8 * g);
                        whole.push(&t);
                    }
                }
            }
        }
        let whole = whole.finish();
        let n = whole.len() as u32;
        for pick in [
            (0..n).collect::<Vec<u32>>(),
            (0..n).filter(|r| r % 3 == 1).collect(),
            vec![0, n - 1],
            vec![],
        ] {
            let mut kept = StoreBuilder::new();
            kept.append_rows(&whole, &pick);
            let kept = kept.finish();
            assert_eq!(kept.len(), pick.len());
            let context = |s: &Store, row: u32| {
                let (g, r) = (s.group_of(row), s.record_of(row));
                (
                    s.tuple(row),
                    (
                        r.ordinal,
                        r.offset,
                        r.kind,
                        s.text(r.nsg).map(str::to_string),
                    ),
                    (
                        s.text(g.rule).map(str::to_string),
                        s.text(g.acl).map(str::to_string),
                    ),
                    s.file_of(row).path.clone(),
                )
            };
            for (i, &row) in pick.iter().enumerate() {
                assert_eq!(context(&kept, i as u32), context(&whole, row), "row {row}");
            }
            let times = pick.iter().map(|&r| whole.time_ms(r));
            let range = times.clone().min().zip(times.max());
            assert_eq!(kept.time_range(), range);
            // Only what the rows use is kept.
            let files: std::collections::BTreeSet<u32> =
                pick.iter().map(|&r| whole.record_of(r).file).collect();
            assert_eq!(kept.files().len(), files.len());
        }
    }
}

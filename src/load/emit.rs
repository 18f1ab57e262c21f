//! From a deserialised record to the store builder: record metadata (NSG, flow log,
//! target names), one group per rule and MAC, and each tuple loaded or rejected.

use super::encoding::Shifts;
use super::path_meta::last_segment;
use super::record::{self, RawRecord, Shape, Stray};
use super::report::{FileProgress, ProblemKind};
use super::rows::Rows;
use super::tally::{Reason, Tally};
use super::tuple::{parse_tuple, TupleError, Values};
use crate::model::{FlowState, LogKind};
use crate::store::{PathMeta, RecordMeta, StoreBuilder};
use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;

/// Progress is reported after a record once this many bytes of the file have passed.
const REPORT_BYTES: u64 = 1 << 20;

/// For text read as it is in its file (or in no file): no shifts.
static NO_SHIFTS: Shifts = Shifts::NONE;

/// Where one file's records go: its own builder and tally.
pub struct Emitter<'p> {
    pub builder: StoreBuilder,
    pub tally: Tally,
    file: u32,
    meta: PathMeta,
    /// Records begun so far in this file (the next record's ordinal).
    ordinal: u32,
    /// The ordinal this emitter's first record got (not 0 for a part of a file).
    first: u32,
    /// Embedded flow log texts already loaded (hash, length): each is loaded once.
    pub seen_embedded: HashSet<(u64, usize)>,
    /// Where records read are reported, if anywhere.
    progress: Option<&'p FileProgress<'p>>,
    /// The byte offset of the record last reported at (none before the first), and the
    /// tuples loaded by then.
    reported_at: Option<u64>,
    reported_tuples: u64,
    /// Where the text's offsets run ahead of the file's (bytes that are not UTF-8).
    shifts: &'p Shifts,
}

impl<'p> Emitter<'p> {
    pub fn new(builder: StoreBuilder, file: u32, meta: PathMeta) -> Emitter<'p> {
        Emitter {
            builder,
            tally: Tally::default(),
            file,
            meta,
            ordinal: 0,
            first: 0,
            seen_embedded: HashSet::new(),
            progress: None,
            reported_at: None,
            reported_tuples: 0,
            shifts: &NO_SHIFTS,
        }
    }

    /// Names places by the file's byte offsets where the text's run ahead of them.
    pub fn with_shifts(mut self, shifts: &'p Shifts) -> Emitter<'p> {
        self.shifts = shifts;
        self
    }

    /// The file's byte offset of the text's offset `at`.
    pub fn file_offset(&self, at: u64) -> u64 {
        self.shifts.file_offset(at)
    }

    /// The tuple values the builder keeps: only those need working out.
    pub fn values(&self) -> Values {
        let columns = self.builder.columns();
        Values {
            counters: columns.counters,
            addresses: columns.addresses,
        }
    }

    /// Reports the records it reads to `progress` as it goes.
    pub fn reporting_to(mut self, progress: &'p FileProgress<'p>) -> Emitter<'p> {
        self.progress = Some(progress);
        self
    }

    /// Reports the file read up to the record at `offset`, every `REPORT_BYTES`.
    fn report(&mut self, offset: Option<u64>) {
        let (Some(progress), Some(at)) = (self.progress, offset) else {
            return;
        };
        let from = *self.reported_at.get_or_insert(at);
        if at >= from + REPORT_BYTES {
            progress.add(at - from, self.tally.tuples - self.reported_tuples);
            self.reported_at = Some(at);
            self.reported_tuples = self.tally.tuples;
        }
    }

    /// An emitter for a later part of the same file, parsed on another thread: an empty
    /// builder with the same columns and no file of its own (its records name ours), and
    /// records numbered from `ordinal`.
    pub fn part(&self, ordinal: u32) -> Emitter<'p> {
        Emitter {
            builder: StoreBuilder::with_columns(self.builder.columns()),
            tally: Tally::default(),
            file: self.file,
            meta: self.meta.clone(),
            ordinal,
            first: ordinal,
            seen_embedded: HashSet::new(),
            progress: self.progress,
            reported_at: None,
            reported_tuples: 0,
            shifts: self.shifts,
        }
    }

    /// Adds what `part` read of the text right after ours; its records are numbered on
    /// from ours, whatever it numbered them from.
    pub fn absorb(&mut self, part: Emitter<'p>) {
        let read = part.records_read();
        let shift = self.ordinal.wrapping_sub(part.first);
        self.builder.append_part(part.builder, shift);
        self.tally.absorb(part.tally);
        self.ordinal += read;
        self.seen_embedded.extend(part.seen_embedded);
    }

    /// Records this emitter read (a part's own, not those before it).
    pub fn records_read(&self) -> u32 {
        self.ordinal - self.first
    }

    /// Embedded flow log texts loaded (each is loaded once a file).
    pub fn embedded_seen(&self) -> usize {
        self.seen_embedded.len()
    }

    /// Records seen so far (the 0-based ordinal of the next one).
    pub fn records_seen(&self) -> u32 {
        self.ordinal
    }

    /// Counts a record too damaged to be read or rejected as one (left open mid-text, or
    /// no longer an object): the records after it are numbered on from it.
    pub fn skip_record(&mut self) {
        self.ordinal += 1;
    }

    /// Counts a record that could not be read; its `tuples` are rejected.
    pub fn bad_record(&mut self, reason: String, offset: Option<u64>, tuples: u64) {
        let place = self.place(offset);
        self.ordinal += 1;
        self.tally.rejected += tuples;
        self.tally
            .problem(ProblemKind::BadRecord, Reason::Text(reason), || place);
    }

    /// Human place of the next record: "record 3 at byte 1204".
    pub fn place(&self, offset: Option<u64>) -> String {
        self.place_of(self.ordinal, offset)
    }

    /// Human place of the record of `ordinal` (from 0).
    fn place_of(&self, ordinal: u32, offset: Option<u64>) -> String {
        match offset {
            Some(b) => format!("record {} at byte {}", ordinal + 1, self.file_offset(b)),
            None => format!("record {}", ordinal + 1),
        }
    }

    /// Loads one record whose tuples (if any) sit in `scratch`.
    pub fn record(&mut self, raw: &RawRecord, shape: Shape, offset: Option<u64>, scratch: &Rows) {
        let ordinal = self.ordinal;
        self.ordinal += 1;
        self.tally.records += 1;
        let time_ms = raw.time.get().and_then(parse_time).unwrap_or(i64::MIN);
        let meta = RecordMeta {
            ordinal,
            offset: offset.map_or(u64::MAX, |at| self.file_offset(at)),
            kind: LogKind::Nsg,
            version: 0,
            time_ms,
            nsg: None,
            flowlog: None,
            target: None,
        };
        // The path metadata is lent out while the builder is borrowed mutably.
        let pm = std::mem::take(&mut self.meta);
        match shape {
            Shape::Nsg => self.nsg(raw, &pm, meta, scratch),
            Shape::Vnet => self.vnet(raw, &pm, meta, scratch),
            Shape::Flat(kind) => self.flat(raw, &pm, meta, kind),
        }
        self.meta = pm;
        self.reject_strays(raw.stray, ordinal, offset);
        self.report(offset);
    }

    /// Counts a record that is no flow log record as read, only because a key of it is
    /// damaged (`properties` without its `flows`): a bad record, its tuples under keys not
    /// read rejected, and the records after it numbered on. `false` when it has none.
    pub fn stray_record(&mut self, raw: &RawRecord, offset: Option<u64>) -> bool {
        let stray = raw.stray;
        if stray.tuples == 0 {
            return false;
        }
        self.bad_record(stray_reason(stray), offset, stray.tuples);
        true
    }

    /// Rejects the tuples record `ordinal`, which is read, holds under a key not read:
    /// only they are lost, each a bad tuple.
    fn reject_strays(&mut self, stray: Stray, ordinal: u32, offset: Option<u64>) {
        if stray.tuples == 0 {
            return;
        }
        self.tally.rejected += stray.tuples;
        let place = self.place_of(ordinal, offset);
        let reason = Reason::Text(stray_reason(stray));
        self.tally
            .problems_of(ProblemKind::BadTuple, reason, stray.tuples, || place);
    }

    fn nsg<'r>(
        &mut self,
        raw: &'r RawRecord,
        pm: &'r PathMeta,
        mut meta: RecordMeta<'r>,
        scratch: &Rows,
    ) {
        let Some(props) = &raw.properties else { return };
        let nsg = raw.resource_id.get().map(last_segment);
        meta.version = props
            .version
            .0
            .unwrap_or_else(|| version_of(scratch.first_state()));
        meta.nsg = nsg.or(pm.nsg.as_deref());
        self.builder.begin_record(self.file, &meta);
        let record_mac = raw.mac.get().or(pm.mac.as_deref()).map(mac_text);
        // The rules of a record name the same MAC, as a rule: its text is made once while
        // the written MAC repeats.
        let mut group_mac: Option<(&str, Cow<str>)> = None;
        let mut waiting = 0..0;
        for rule in props.flows.iter().flatten() {
            let rule_name = rule.rule.get();
            // Tuples are numbered through the rule, whatever MAC block holds them.
            let mut before = 0;
            for flows in &rule.flows {
                let mac = match flows.mac.get() {
                    Some(written) => {
                        if group_mac.as_ref().is_none_or(|(w, _)| *w != written) {
                            group_mac = Some((written, mac_text(written)));
                        }
                        group_mac.as_ref().map(|(_, text)| text.as_ref())
                    }
                    None => record_mac.as_deref(),
                };
                self.builder
                    .begin_group_ahead(waiting.len(), rule_name, mac, None);
                let range = flows.tuples.as_ref().map_or(0..0, |t| t.0.clone());
                let len = range.len();
                let place = (meta.ordinal, rule_name, before);
                self.push_all(scratch, range, &mut waiting, place);
                before += len;
            }
        }
        self.load_run(scratch, waiting);
    }

    fn vnet<'r>(
        &mut self,
        raw: &'r RawRecord,
        pm: &'r PathMeta,
        mut meta: RecordMeta<'r>,
        scratch: &Rows,
    ) {
        let Some(records) = &raw.flow_records else {
            return;
        };
        meta.kind = LogKind::Vnet;
        meta.version = raw.flow_log_version.and_then(|v| v.0).unwrap_or(0);
        meta.flowlog = raw
            .flowlog_id
            .get()
            .map(last_segment)
            .or(pm.flowlog.as_deref());
        meta.target = raw.target_id.get().map(last_segment);
        let mac = raw.mac.get().or(pm.mac.as_deref()).map(mac_text);
        let flows = records.flows.as_deref().unwrap_or_default();
        meta.nsg = flows.first().and_then(|f| f.acl.get()).and_then(nsg_of_acl);
        self.builder.begin_record(self.file, &meta);
        let mut waiting = 0..0;
        for flow in flows {
            let acl = flow.acl.get();
            // A record mixes NSG and platform ACLs: each NSG gets its own store record
            // (same ordinal and offset) so `nsg` is right for every group.
            let nsg = acl.and_then(nsg_of_acl);
            if nsg != meta.nsg {
                meta.nsg = nsg;
                self.builder.begin_record(self.file, &meta);
            }
            for group in &flow.groups {
                let rule = group.rule.get();
                self.builder
                    .begin_group_ahead(waiting.len(), rule, mac.as_deref(), acl);
                let range = group.tuples.as_ref().map_or(0..0, |t| t.0.clone());
                self.push_all(scratch, range, &mut waiting, (meta.ordinal, rule, 0));
            }
        }
        self.load_run(scratch, waiting);
    }

    fn flat<'r>(
        &mut self,
        raw: &'r RawRecord,
        pm: &'r PathMeta,
        mut meta: RecordMeta<'r>,
        kind: LogKind,
    ) {
        meta.kind = kind;
        let acl = raw.acl.get();
        let parsed = parse_tuple(raw.flat_tuple.get().unwrap_or_default(), kind);
        if kind == LogKind::Vnet {
            meta.version = raw.flow_log_version.and_then(|v| v.0).unwrap_or(0);
            meta.flowlog = raw.flowlog_id.get().map(last_segment);
            meta.target = raw.target_id.get().map(last_segment);
            meta.nsg = acl.and_then(nsg_of_acl);
        } else {
            let version = raw.version.or(raw.properties.as_ref().map(|p| p.version));
            meta.version = version
                .and_then(|v| v.0)
                .unwrap_or_else(|| version_of(parsed.as_ref().ok().map(|t| t.state)));
            meta.nsg = raw.resource_id.get().map(last_segment);
        }
        let mac = raw.mac.get().or(pm.mac.as_deref()).map(mac_text);
        self.builder.begin_record(self.file, &meta);
        let rule = raw.rule.get();
        self.builder.begin_group(rule, mac.as_deref(), acl);
        match parsed {
            Ok(tuple) => {
                self.builder.push(&tuple);
                self.tally.tuples += 1;
            }
            Err(e) => self.reject(e, meta.ordinal, rule, 0),
        }
    }

    /// Loads a group's tuples, the rows `range` of `rows`: its good ones join the rows
    /// `waiting`, and each bad one is counted with its place: the record's ordinal, the
    /// rule, and the rule's tuples in groups before this one (so that a place names one
    /// tuple of the rule, not one of each MAC block).
    fn push_all(
        &mut self,
        rows: &Rows,
        range: Range<usize>,
        waiting: &mut Range<usize>,
        (ordinal, rule, before): (u32, Option<&str>, usize),
    ) {
        let mut run = range.start;
        for &(row, e) in rows.rejected_in(range.clone()) {
            let row = row as usize;
            self.wait(rows, waiting, run..row);
            run = row + 1;
            self.reject(e, ordinal, rule, before + row - range.start);
        }
        self.wait(rows, waiting, run..range.end);
    }

    /// Adds the good rows `run` to those `waiting` for the builder, loading those first
    /// unless `run` follows them. A record's groups follow one another in its rows, so
    /// they go to the builder in one pass (each pass costs about 300 instructions of
    /// set-up, and a rule holds a dozen tuples or so), the groups begun ahead of it.
    fn wait(&mut self, rows: &Rows, waiting: &mut Range<usize>, run: Range<usize>) {
        if run.is_empty() {
            return;
        }
        if run.start != waiting.end {
            let ready = std::mem::replace(waiting, run.start..run.start);
            self.load_run(rows, ready);
        }
        waiting.end = run.end;
    }

    /// Rejects the tuple `index` (from 0) of `rule` in record `ordinal`.
    fn reject(&mut self, e: TupleError, ordinal: u32, rule: Option<&str>, index: usize) {
        self.tally.rejected += 1;
        let place = || {
            let rule = rule.unwrap_or("(none)");
            format!("record {}, rule {rule}, tuple {}", ordinal + 1, index + 1)
        };
        self.tally
            .problem(ProblemKind::BadTuple, Reason::Tuple(e), place);
    }

    /// Loads the rows `run` of `rows`, all of them read.
    fn load_run(&mut self, rows: &Rows, run: Range<usize>) {
        if run.is_empty() {
            return;
        }
        let (src, dst) = rows.addresses(run.clone());
        self.builder.extend_rows(
            rows.rows(run.clone()).iter().copied(),
            src.iter().copied().zip(dst.iter().copied()),
            rows.counters(run.clone()).iter(),
        );
        self.tally.tuples += run.len() as u64;
    }
}

/// Parses and loads one record text (exactly one JSON object). `Ok(false)`: valid JSON
/// but not a flow log record; `Err`: the serde error (syntax, or a mistyped key).
pub fn record_text(
    em: &mut Emitter,
    text: &str,
    offset: Option<u64>,
) -> Result<bool, serde_json::Error> {
    record::return_scratch(record::take_scratch());
    let raw = record::parse_record(text)?;
    Ok(load_raw(em, &raw, offset))
}

/// Loads a record deserialised since the scratch buffer was last cleared; `false` when
/// it is not a flow log record.
pub fn load_raw(em: &mut Emitter, raw: &RawRecord, offset: Option<u64>) -> bool {
    let tuples = record::take_scratch();
    let loaded = load_parsed(em, raw, offset, &tuples);
    record::return_scratch(tuples);
    loaded
}

/// Why tuples under a key not read are rejected, naming the (first) key.
fn stray_reason(stray: Stray) -> String {
    let key = stray.key.unwrap_or_default();
    format!("tuples under a key not read, {key:?} (a damaged key?)")
}

/// Loads a record whose tuple ranges index `tuples`; `false` when it is not a flow log
/// record.
pub fn load_parsed(em: &mut Emitter, raw: &RawRecord, offset: Option<u64>, tuples: &Rows) -> bool {
    let shape = raw.shape();
    if let Some(shape) = shape {
        em.record(raw, shape, offset, tuples);
    }
    shape.is_some()
}

/// An NSG record's version from its first tuple read (`state`, if any was), where it
/// gives none: version 2 writes a state, version 1 does not (13 fields against 8); 0
/// without a tuple read.
fn version_of(state: Option<Option<FlowState>>) -> u8 {
    state.map_or(0, |state| if state.is_some() { 2 } else { 1 })
}

/// The NSG name when an ACL id is an NSG's ARM path.
pub fn nsg_of_acl(acl: &str) -> Option<&str> {
    let lower_has = |needle: &str| {
        acl.as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    };
    (acl.contains('/') && lower_has("/networksecuritygroups/")).then(|| last_segment(acl))
}

/// MACs are kept as text, uppercased (mixed case is seen in real files) and without
/// separators: `00-0d-3a-f8-78-56` is the interface `000D3AF87856` writes, as the
/// filter's `mac ==` already took it, and one interface is one key in `--by mac` and in
/// conversations.
pub fn mac_text(mac: &str) -> Cow<'_, str> {
    let mac = mac.trim();
    let separator = |b: u8| matches!(b, b'-' | b':' | b'.');
    if mac.bytes().any(|b| b.is_ascii_lowercase() || separator(b)) {
        Cow::Owned(
            mac.chars()
                .filter(|c| !matches!(c, '-' | ':' | '.'))
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        )
    } else {
        Cow::Borrowed(mac)
    }
}

/// A record's `time` (RFC 3339, any fraction digits, `Z` or an offset) in ms.
pub fn parse_time(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acl_ids_name_an_nsg_only_when_they_are_its_path() {
        let path = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/web-nsg";
        assert_eq!(nsg_of_acl(path), Some("web-nsg"));
        assert_eq!(nsg_of_acl("00000000-0000-0000-0000-000000000000"), None);
        assert_eq!(nsg_of_acl("unspecified"), None);
    }

    #[test]
    fn macs_and_times() {
        assert_eq!(mac_text("0022487bC205"), "0022487BC205");
        assert_eq!(mac_text("00-0d-3A-f8-78-56"), "000D3AF87856");
        assert_eq!(mac_text("00:0D:3A:F8:78:56"), "000D3AF87856");
        assert_eq!(mac_text("000D124564789"), "000D124564789");
        assert_eq!(
            parse_time("2018-11-13T12:00:35.3899262Z"),
            Some(1_542_110_435_389)
        );
        assert_eq!(
            parse_time("2025-04-30T09:07:40.986182+00:00"),
            Some(1_746_004_060_986)
        );
        assert_eq!(parse_time("yesterday"), None);
    }
}

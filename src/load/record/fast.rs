//! The fast record reader: one record's JSON read by hand into the same `RawRecord`
//! serde makes, each `flowTuples` string parsed where it lies (serde found each string's
//! end in a pass of its own, then the tuple parser read it again).
//!
//! It reads only the plain form: any escape, control character, duplicate key, value of
//! an unexpected type, odd number or deep nesting returns `None`, and serde reads the
//! record instead. So the two always agree on what a record holds; a test checks it on
//! every sample file.

use super::{
    NsgMacFlows, NsgProperties, NsgRule, RawRecord, Stray, Text, Tuples, Version, VnetAcl,
    VnetFlowRecords, VnetGroup,
};
use crate::load::rows::Rows;
use crate::load::salvage::count_tuple_shapes;
use crate::load::tuple::{parse_quoted_by_field, parse_tuple, read_run, Values};
use crate::model::LogKind;
use std::borrow::Cow;

/// Nesting followed when skipping unknown values; deeper ones are left to serde.
const MAX_DEPTH: u32 = 64;

/// The record whose `{` is at `pos` and the position just after its `}`; its tuples are
/// appended to `tuples`, which the record's ranges index (the values it does not keep
/// are not worked out). `None`: serde must read it.
pub fn read_record<'a>(
    text: &'a str,
    pos: usize,
    tuples: &mut Rows,
) -> Option<(RawRecord<'a>, usize)> {
    let mut record = RawRecord::default();
    let end = read_record_into(text, pos, tuples, &mut record)?;
    Some((record, end))
}

/// `read_record` into `record`, which must be empty (`RawRecord::default()`), returning
/// the position just after the record's `}`. A record with its rules held inline is
/// about a kilobyte: built where the caller keeps it, it is not copied on its way out
/// through every function that reads a level of it (copies that took 2% of a load).
pub fn read_record_into<'a>(
    text: &'a str,
    pos: usize,
    tuples: &mut Rows,
    record: &mut RawRecord<'a>,
) -> Option<usize> {
    let mut r = Reader {
        text,
        b: text.as_bytes(),
        i: pos,
        tuples,
        stray: Stray::default(),
    };
    r.record(record)?;
    Some(r.i)
}

struct Reader<'a, 't> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    tuples: &'t mut Rows,
    stray: Stray<'a>,
}

/// Checks the fast reader against serde at every `{` of `text`: wherever the fast reader
/// reads a record, serde reads the same record, tuples and end. Panics where they differ;
/// returns how many records the fast reader read. For tests and fuzzing.
#[doc(hidden)]
pub fn check_against_serde(text: &str) -> usize {
    let mut read = 0;
    for (pos, _) in text.match_indices('{') {
        let mut fast_tuples = Rows::keeping(Values::ALL);
        let Some((mut fast, end)) = read_record(text, pos, &mut fast_tuples) else {
            continue;
        };
        // serde does not look for tuples under keys it does not know.
        fast.stray = Stray::default();
        read += 1;
        super::return_scratch(super::take_scratch());
        let mut stream = serde_json::Deserializer::from_str(&text[pos..]).into_iter::<RawRecord>();
        let serde = match stream.next() {
            Some(Ok(r)) => r,
            other => panic!("read at byte {pos}, serde gives {other:?}: {text:?}"),
        };
        assert_eq!(
            end,
            pos + stream.byte_offset(),
            "end, at byte {pos}: {text:?}"
        );
        assert_eq!(
            format!("{fast:?}"),
            format!("{serde:?}"),
            "record at byte {pos}: {text:?}"
        );
        assert_eq!(fast_tuples, super::take_scratch(), "tuples at byte {pos}");
    }
    read
}

impl<'a> Reader<'a, '_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.i += 1;
        }
    }

    /// Consumes `c` if it is next.
    #[inline]
    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        self.i += hit as usize;
        hit
    }

    #[inline]
    fn expect(&mut self, c: u8) -> Option<()> {
        self.eat(c).then_some(())
    }

    /// A string without escapes or control characters, borrowed from the text.
    fn string(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        let start = self.i;
        let len = plain_len(&self.b[start..])?;
        self.i = start + len + 1;
        Some(&self.text[start..start + len])
    }

    /// An object's members: `member` reads the value of a key it knows and returns
    /// `Some(true)`; on `Some(false)` the value is skipped.
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'a str) -> Option<bool>) -> Option<()> {
        self.expect(b'{')?;
        self.ws();
        if self.eat(b'}') {
            return Some(());
        }
        loop {
            let key = self.string()?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            if !member(self, key)? {
                self.skip(0)?;
            }
            self.ws();
            if self.eat(b'}') {
                return Some(());
            }
            self.expect(b',')?;
            self.ws();
        }
    }

    /// An array's elements, each read by `element`.
    fn array(&mut self, mut element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.expect(b'[')?;
        self.ws();
        if self.eat(b']') {
            return Some(());
        }
        loop {
            element(self)?;
            self.ws();
            if self.eat(b']') {
                return Some(());
            }
            self.expect(b',')?;
            self.ws();
        }
    }

    /// Consumes `bytes` if they are next.
    #[inline(always)]
    fn eat_bytes(&mut self, bytes: &[u8]) -> bool {
        let hit = self.b[self.i..].starts_with(bytes);
        self.i += bytes.len() * hit as usize;
        hit
    }

    /// `null` if it is next.
    fn null(&mut self) -> bool {
        self.eat_bytes(b"null")
    }

    /// Any value, read over.
    fn skip(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => self.object(|r, _| r.skip(depth + 1).map(|()| true)),
            b'[' => self.array(|r| r.skip(depth + 1)),
            b'-' | b'0'..=b'9' => self.number().map(drop),
            _ => self.literal().map(drop),
        }
    }

    /// `true`, `false` or `null`.
    fn literal(&mut self) -> Option<&'static str> {
        let rest = &self.b[self.i..];
        let word = ["true", "false", "null"]
            .into_iter()
            .find(|w| rest.starts_with(w.as_bytes()))?;
        self.i += word.len();
        Some(word)
    }

    /// A number in JSON's grammar, as written.
    fn number(&mut self) -> Option<&'a str> {
        let start = self.i;
        self.eat(b'-');
        if !self.eat(b'0') {
            self.digits()?;
        }
        if self.eat(b'.') {
            self.digits()?;
        }
        if self.eat(b'e') || self.eat(b'E') {
            let _ = self.eat(b'+') || self.eat(b'-');
            self.digits()?;
        }
        Some(&self.text[start..self.i])
    }

    /// One or more digits.
    fn digits(&mut self) -> Option<()> {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        (self.i > start).then_some(())
    }

    /// A `Text`: a string, or a literal (absent). Numbers are left to serde.
    fn text(&mut self) -> Option<Text<'a>> {
        match self.peek()? {
            b'"' => self.plain_text(),
            b't' | b'f' | b'n' => self.literal().map(|_| Text(None)),
            _ => None,
        }
    }

    /// A `Version`: as serde reads it, a string or a plain whole number.
    fn version(&mut self) -> Option<Version> {
        match self.peek()? {
            b'0'..=b'9' => {
                let n = self.number()?;
                // Fractions and exponents read as absent through serde; leave them to it.
                n.bytes().all(|c| c.is_ascii_digit()).then_some(())?;
                Some(Version(n.parse::<u8>().ok()))
            }
            _ => {
                let text = self.text()?;
                Some(Version::of_text(&text))
            }
        }
    }

    fn optional_version(&mut self) -> Option<Option<Version>> {
        if self.null() {
            return Some(None);
        }
        self.version().map(Some)
    }

    /// An object read into a `T` (absent keys keep its default): each of `keys` by
    /// `read` with its index in `keys`, at most once (serde refuses a duplicate field);
    /// other keys' values are skipped, and with `strays` the tuples under them counted.
    fn fields<T: Default>(
        &mut self,
        keys: &[&str],
        strays: bool,
        read: impl FnMut(&mut Self, &mut T, usize) -> Option<()>,
    ) -> Option<T> {
        let mut value = T::default();
        self.fields_into(&mut value, keys, strays, read)?;
        Some(value)
    }

    /// `fields` into `value`, which starts empty.
    fn fields_into<T>(
        &mut self,
        value: &mut T,
        keys: &[&str],
        strays: bool,
        mut read: impl FnMut(&mut Self, &mut T, usize) -> Option<()>,
    ) -> Option<()> {
        let mut seen = 0u32;
        self.object(|s, key| {
            let Some(i) = keys.iter().position(|k| *k == key) else {
                if strays && matches!(s.peek(), Some(b'[' | b'{')) {
                    let start = s.i;
                    s.skip(0)?;
                    s.stray_tuples(key, start);
                    return Some(true);
                }
                return Some(false);
            };
            (seen & 1 << i == 0).then_some(())?;
            seen |= 1 << i;
            read(s, value, i).map(|()| true)
        })
    }

    /// Counts the tuples of the value from `start` on, under `key`, which is not read.
    fn stray_tuples(&mut self, key: &'a str, start: usize) {
        let tuples = count_tuple_shapes(&self.text[start..self.i]);
        if tuples > 0 {
            self.stray.tuples += tuples;
            self.stray.key.get_or_insert(key);
        }
    }

    fn record(&mut self, record: &mut RawRecord<'a>) -> Option<()> {
        let keys = [
            "time",
            "macAddress",
            "resourceId",
            "category",
            "properties",
            "flowLogVersion",
            "flowLogResourceID",
            "targetResourceID",
            "flowRecords",
            "rule",
            "flow.0",
            "version",
            "aclID",
        ];
        self.fields_into(record, &keys, false, |s, r, key| {
            match key {
                0 => r.time = s.text()?,
                1 => r.mac = s.text()?,
                2 => r.resource_id = s.text()?,
                3 => r.category = s.text()?,
                4 if s.null() => r.properties = None,
                4 => s.nsg_properties(r.properties.insert(NsgProperties::default()))?,
                5 => r.flow_log_version = s.optional_version()?,
                6 => r.flowlog_id = s.text()?,
                7 => r.target_id = s.text()?,
                8 => r.flow_records = s.optional(Self::vnet_records)?,
                9 => r.rule = s.text()?,
                10 => r.flat_tuple = s.text()?,
                11 => r.version = s.optional_version()?,
                _ => r.acl = s.text()?,
            }
            Some(())
        })?;
        record.stray = self.stray;
        Some(())
    }

    /// `null` as `None`, anything else read by `read`.
    fn optional<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.null() {
            return Some(None);
        }
        read(self).map(Some)
    }

    /// An array of objects, each read by `read`.
    fn list<T, C: Default + Extend<T>>(
        &mut self,
        mut read: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<C> {
        let mut out = C::default();
        self.array(|s| read(s).map(|v| out.extend([v])))?;
        Some(out)
    }

    /// NSG `properties` into `properties`, which starts empty; its rules are pushed where
    /// they are kept (see `read_record_into`).
    fn nsg_properties(&mut self, properties: &mut NsgProperties<'a>) -> Option<()> {
        self.fields_into(properties, &["Version", "flows"], true, |s, p, key| {
            match key {
                0 => p.version = s.version()?,
                _ if s.null() => p.flows = None,
                _ => {
                    let rules = p.flows.insert(Default::default());
                    s.array(|s| s.nsg_rule().map(|rule| rules.push(rule)))?;
                }
            }
            Some(())
        })
    }

    fn nsg_rule(&mut self) -> Option<NsgRule<'a>> {
        if let Some(rule) = self.compact(Self::compact_nsg_rule) {
            return Some(rule);
        }
        self.fields::<NsgRule>(&["rule", "flows"], true, |s, rule, key| {
            match key {
                0 => rule.rule = s.text()?,
                _ => {
                    rule.flows = s
                        .optional(|s| s.list(Self::nsg_mac_flows))?
                        .unwrap_or_default()
                }
            }
            Some(())
        })
    }

    fn nsg_mac_flows(&mut self) -> Option<NsgMacFlows<'a>> {
        self.fields::<NsgMacFlows>(&["mac", "flowTuples"], true, |s, flows, key| {
            match key {
                0 => flows.mac = s.text()?,
                _ => flows.tuples = s.optional(|s| s.tuples(LogKind::Nsg))?.map(Tuples),
            }
            Some(())
        })
    }

    /// What `read` makes of the compact form it matches, or `None` with nothing read
    /// (no position moved, no tuple kept) for the general reader to read the same text.
    fn compact<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let (at, rows) = (self.i, self.tuples.len());
        let value = read(self);
        if value.is_none() {
            self.i = at;
            self.tuples.truncate(rows);
        }
        value
    }

    /// A rule as Azure writes it, `{"rule":"R","flows":[{"mac":"M","flowTuples":[…]}]}`:
    /// no spaces, these keys in this order, one MAC block. Its keys are matched as bytes
    /// rather than read, looked up and dispatched one by one: that cost about 1,000
    /// instructions a rule, as much as reading two of its tuples, and a rule holds a dozen
    /// or so. What it reads is what `fields` reads of the same text.
    fn compact_nsg_rule(&mut self) -> Option<NsgRule<'a>> {
        self.eat_bytes(br#"{"rule":"#).then_some(())?;
        let rule = self.plain_text()?;
        self.eat_bytes(br#","flows":[{"mac":"#).then_some(())?;
        let mac = self.plain_text()?;
        self.eat_bytes(br#","flowTuples":"#).then_some(())?;
        let tuples = self.tuples(LogKind::Nsg)?;
        self.eat_bytes(b"}]}").then_some(())?;
        let block = NsgMacFlows {
            mac,
            tuples: Some(Tuples(tuples)),
        };
        Some(NsgRule {
            rule,
            flows: std::iter::once(block).collect(),
        })
    }

    /// A flow group as Azure writes it, `{"rule":"R","flowTuples":[…]}`: matched as
    /// `compact_nsg_rule` is.
    fn compact_vnet_group(&mut self) -> Option<VnetGroup<'a>> {
        self.eat_bytes(br#"{"rule":"#).then_some(())?;
        let rule = self.plain_text()?;
        self.eat_bytes(br#","flowTuples":"#).then_some(())?;
        let tuples = self.tuples(LogKind::Vnet)?;
        self.eat_bytes(b"}").then_some(())?;
        Some(VnetGroup {
            rule,
            tuples: Some(Tuples(tuples)),
        })
    }

    /// A string as a `Text`, as `text` reads it.
    fn plain_text(&mut self) -> Option<Text<'a>> {
        Some(Text(Some(Cow::Borrowed(self.string()?))))
    }

    fn vnet_records(&mut self) -> Option<VnetFlowRecords<'a>> {
        self.fields::<VnetFlowRecords>(&["flows"], true, |s, records, _| {
            records.flows = s.optional(|s| s.list(Self::vnet_acl))?;
            Some(())
        })
    }

    fn vnet_acl(&mut self) -> Option<VnetAcl<'a>> {
        self.fields::<VnetAcl>(&["aclID", "flowGroups"], true, |s, acl, key| {
            match key {
                0 => acl.acl = s.text()?,
                _ => {
                    acl.groups = s
                        .optional(|s| s.list(Self::vnet_group))?
                        .unwrap_or_default()
                }
            }
            Some(())
        })
    }

    fn vnet_group(&mut self) -> Option<VnetGroup<'a>> {
        if let Some(group) = self.compact(Self::compact_vnet_group) {
            return Some(group);
        }
        self.fields::<VnetGroup>(&["rule", "flowTuples"], true, |s, group, key| {
            match key {
                0 => group.rule = s.text()?,
                _ => group.tuples = s.optional(|s| s.tuples(LogKind::Vnet))?.map(Tuples),
            }
            Some(())
        })
    }

    /// A `flowTuples` array: each string parsed in place, appended to `tuples`.
    fn tuples(&mut self, kind: LogKind) -> Option<std::ops::Range<usize>> {
        let start = self.tuples.len();
        self.array(|s| {
            let run = read_run(&s.b[s.i..], kind, s.tuples);
            if run > 0 {
                s.i += run;
                return Some(());
            }
            // Not read whole (the run tried): field by field, or the checked parser.
            s.expect(b'"')?;
            let parsed = match parse_quoted_by_field(&s.b[s.i..], kind) {
                Some((tuple, len)) => {
                    s.i += len + 1;
                    Ok(tuple)
                }
                None => {
                    s.i -= 1;
                    parse_tuple(s.string()?, kind)
                }
            };
            s.tuples.push(parsed);
            Some(())
        })?;
        Some(start..self.tuples.len())
    }
}

/// The length of a plain string's body (`b` starts after its opening quote), up to its
/// closing quote; `None` at an escape, a control character or the end of the text.
/// Sixteen bytes at a time where the processor is x86-64 (SSE2 is part of it, so this
/// inlines), then eight: a resource id is 150 bytes and every record has a few.
#[inline]
fn plain_len(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    while let Some(chunk) = b.get(i..i + 16) {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is in every x86-64 processor; the load reads the 16 bytes of `chunk`.
        let hits = unsafe {
            let x = _mm_loadu_si128(chunk.as_ptr().cast());
            let quote = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8));
            let slash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
            // Below 0x20, unsigned: the byte is its own minimum with 0x1f.
            let control = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
            _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, slash), control))
        };
        if hits != 0 {
            i += hits.trailing_zeros() as usize;
            return (b[i] == b'"').then_some(i);
        }
        i += 16;
    }
    while let Some(chunk) = b.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().ok()?);
        // A byte is flagged when it is a quote, a backslash or below 0x20. The lowest
        // flag is exact (borrows only reach bytes above the first hit).
        let quote = x ^ (ONES * b'"' as u64);
        let slash = x ^ (ONES * b'\\' as u64);
        let hits = (quote.wrapping_sub(ONES) & !quote
            | slash.wrapping_sub(ONES) & !slash
            | x.wrapping_sub(ONES * 0x20) & !x)
            & HIGH;
        if hits != 0 {
            i += hits.trailing_zeros() as usize / 8;
            return (b[i] == b'"').then_some(i);
        }
        i += 8;
    }
    let len = i + b[i..]
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
    (b[len] == b'"').then_some(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::{generate, GenKind, GenSpec};

    const NSG: &str = r#"{"time":"2024-11-18T08:00:00Z","macAddress":"00AA","resourceId":"/X/NSG-A","properties":{"Version":2,"flows":[{"rule":"R1","flows":[{"mac":"00BB","flowTuples":["1731916800,10.0.0.1,10.0.0.2,1000,22,T,I,A,B,,,,","1731916801,fd00::1,10.0.0.2,1000,22,T,I,A,E,1,2,3,4","bad"]}]},{"rule":"R2","flows":[]}]}}"#;
    const VNET: &str = r#"{ "time" : "2024-11-18T08:00:00Z" , "flowLogVersion" : 4, "macAddress":"00cc", "flowRecords":{"flows":[{"aclID":"a","flowGroups":[{"rule":"R3","flowTuples":[ "1731916800000,10.0.0.3,10.0.0.4,1,443,6,O,D,NX,0,0,0,0" ,"1731916800000,10.0.0.3,10.0.0.4,1,443,6,O,C,Unsupported,0,0,0,0"]}]}]}, "extra": [1, -2.5e3, true, null, {"a": [{}]}] }"#;
    const FLAT: &str =
        r#"{"rule":"R","flow.0":"1,1.1.1.1,2.2.2.2,1,2,T,I,A","version":"2.0","category":null}"#;

    #[test]
    fn plain_records_are_read_as_serde_reads_them() {
        for text in [NSG, VNET, FLAT] {
            let mut tuples = Rows::default();
            let (_, end) = read_record(text, 0, &mut tuples).expect(text);
            assert_eq!(end, text.len());
            assert!(check_against_serde(text) > 0);
        }
        let mut tuples = Rows::default();
        let (raw, _) = read_record(NSG, 0, &mut tuples).unwrap();
        assert_eq!(raw.properties.unwrap().version.0, Some(2));
        assert_eq!(tuples.len(), 3);
        let rejected: Vec<u32> = tuples.rejected_in(0..3).iter().map(|r| r.0).collect();
        assert_eq!(rejected, [2]);
    }

    /// Tuples read whole in runs, broken by one left to the field-by-field parser (an IPv6
    /// address beside an IPv4 one), by a bad one and by a space: each tuple is read once,
    /// in order, as serde reads it.
    #[test]
    fn runs_of_whole_tuples_resume_after_one_read_another_way() {
        let v4 = |n: u8| format!("\"1731916800,10.0.0.{n},10.0.0.2,1000,22,T,I,A,B,,,,\"");
        let mixed = "\"1731916801,fd00::1,10.0.0.2,1000,22,T,I,A,E,1,2,3,4\"".to_string();
        let list = [
            v4(1),
            v4(2),
            mixed,
            v4(3),
            format!(" {}", v4(4)),
            "\"bad\"".into(),
            v4(5),
        ];
        // The text after the tuples lets each be read whole (it needs 264 bytes).
        let text = format!(
            r#"{{"properties":{{"Version":2,"flows":[{{"rule":"R","flows":[{{"mac":"M","flowTuples":[{}]}}]}}]}},"pad":"{}"}}"#,
            list.join(","),
            "x".repeat(300)
        );
        let mut tuples = Rows::default();
        read_record(&text, 0, &mut tuples).expect("plain record");
        let all = 0..tuples.len();
        let rejected: Vec<usize> = tuples
            .rejected_in(all.clone())
            .iter()
            .map(|r| r.0 as usize)
            .collect();
        let sources: Vec<String> = tuples
            .addresses(all.clone())
            .0
            .iter()
            .zip(all)
            .map(|(src, row)| match rejected.contains(&row) {
                true => "bad".into(),
                false => src.to_string(),
            })
            .collect();
        let expected = [
            "10.0.0.1", "10.0.0.2", "fd00::1", "10.0.0.3", "10.0.0.4", "bad", "10.0.0.5",
        ];
        assert_eq!(sources, expected);
        assert!(check_against_serde(&text) > 0);
    }

    /// A rule's `flows` or an ACL's `flowGroups` given as `null` is an empty list, to
    /// both readers: the record and its other tuples are kept.
    #[test]
    fn a_null_list_is_empty_and_the_record_keeps_its_other_tuples() {
        let nsg = NSG.replace(r#""rule":"R2","flows":[]"#, r#""rule":"R2","flows":null"#);
        let vnet = VNET.replace(
            r#"{"aclID":"a","#,
            r#"{"aclID":"z","flowGroups":null},{"aclID":"a","#,
        );
        for (text, count) in [(nsg, 3), (vnet, 2)] {
            let mut tuples = Rows::default();
            read_record(&text, 0, &mut tuples).expect(&text);
            assert_eq!(tuples.len(), count, "{text}");
            let mut stream = serde_json::Deserializer::from_str(&text).into_iter::<RawRecord>();
            assert!(matches!(stream.next(), Some(Ok(_))), "serde reads {text}");
            assert!(check_against_serde(&text) > 0);
        }
    }

    /// A rule or flow group that starts in the compact form and leaves it after its
    /// tuples (a second MAC block, another key, a space) is read again key by key: each
    /// tuple once, under the right rule, as serde reads it.
    #[test]
    fn a_group_that_leaves_the_compact_form_is_read_again_whole() {
        let nsg_tuples =
            r#""flowTuples":["1731916800,10.0.0.1,10.0.0.2,1000,22,T,I,A,B,,,,","bad"]"#;
        let vnet_tuples =
            r#""flowTuples":["1731916800000,10.0.0.3,10.0.0.4,1,443,6,O,D,NX,0,0,0,0","bad"]"#;
        let nsg_cases = [
            format!(r#"{nsg_tuples}}},{{"mac":"00CC",{nsg_tuples}}}]}}"#),
            format!(r#"{nsg_tuples},"x":[1]}}]}}"#),
            format!(r#"{nsg_tuples}}}],"x":{{}}}}"#),
            format!(r#"{nsg_tuples} }}]}}"#),
        ];
        for end in nsg_cases {
            let text = NSG.replacen(
                &NSG[NSG.find(r#""flowTuples""#).unwrap()..NSG.find(r#",{"rule":"R2""#).unwrap()],
                &end,
                1,
            );
            let mut tuples = Rows::default();
            read_record(&text, 0, &mut tuples).expect(&text);
            check_against_serde(&text);
        }
        let vnet_cases = [
            format!(r#"{vnet_tuples},"x":1}}"#),
            format!(r#"{vnet_tuples} }}"#),
        ];
        for end in vnet_cases {
            let from = VNET.find(r#""flowTuples""#).unwrap();
            let to = VNET.find("]}]}]}").unwrap() + 2;
            let text = format!("{}{end}{}", &VNET[..from], &VNET[to..]);
            let mut tuples = Rows::default();
            read_record(&text, 0, &mut tuples).expect(&text);
            assert_eq!(tuples.len(), 2, "{text}");
            check_against_serde(&text);
        }
    }

    #[test]
    fn anything_but_the_plain_form_is_left_to_serde() {
        let cases = [
            NSG.replace("R1", "R\\u0031"),
            NSG.replace("\"time\"", "\"time\":1,\"time\""),
            NSG.replace("\"mac\":", "\"flowTuples\":null,\"mac\":"),
            NSG.replace("\"Version\":2", "\"Version\":2.0"),
            NSG.replace("\"Version\":2", "\"Version\":02"),
            NSG.replace("\"00AA\"", "7"),
            NSG.replace("\"bad\"", "\"bad\",]"),
            NSG.replace("\"bad\"", "5"),
            NSG.replace("\"bad\"", "\"1,\t2\""),
            NSG.replace("[{\"rule\":\"R1\"", "[[\"R1\"],{\"rule\":\"R1\""),
            VNET.replace("{}", &format!("{}{}", "[".repeat(80), "]".repeat(80))),
            VNET.replace("true", "tru"),
            FLAT.replace("\"flow.0\"", "\"flow.0\":\"x\",\"flow.0\""),
        ];
        for text in &cases {
            assert!(
                read_record(text, 0, &mut Rows::default()).is_none(),
                "{text}"
            );
            check_against_serde(text);
        }
    }

    #[test]
    fn every_generated_record_takes_the_fast_path() {
        for kind in [GenKind::NsgV1, GenKind::NsgV2, GenKind::Vnet] {
            let dir = tempfile::tempdir().unwrap();
            let spec = GenSpec {
                kind,
                tuples: 3_000,
                ..GenSpec::default()
            };
            let summary = generate(&spec, dir.path()).unwrap();
            let mut read = 0;
            for text in crate::gen::tests::read_tree(dir.path()).values() {
                let text = std::str::from_utf8(text).unwrap();
                for (pos, _) in text.match_indices("{\"time\"") {
                    let mut tuples = Rows::default();
                    read_record(text, pos, &mut tuples).expect("plain record");
                    read += tuples.len() as u64;
                }
                check_against_serde(text);
            }
            assert_eq!(read, summary.tuples, "{kind:?}");
        }
    }

    proptest::proptest! {
        /// Records pieced together from plain and awkward parts: wherever the fast reader
        /// reads one, serde agrees, and a record of plain parts only is always read.
        #[test]
        fn readers_agree_on_pieced_records(
            parts in proptest::collection::vec(0usize..PARTS.len(), 0..8),
            spaces in proptest::collection::vec(0usize..4, 8),
        ) {
            let ws = |i: usize| [" ", "", "\r\n", "\t"][spaces[i % spaces.len()]];
            let members: Vec<String> = parts
                .iter()
                .enumerate()
                .map(|(i, &p)| format!("{}{}{}", ws(i), PARTS[p].1, ws(i + 1)))
                .collect();
            let text = format!("{{{}}}", members.join(","));
            check_against_serde(&text);
            let mut keys: Vec<&str> = parts.iter().map(|&p| PARTS[p].1.split(':').next().unwrap()).collect();
            let n = keys.len();
            keys.sort_unstable();
            keys.dedup();
            if keys.len() == n && parts.iter().all(|&p| PARTS[p].0) {
                proptest::prop_assert!(read_record(&text, 0, &mut Rows::default()).is_some(), "{}", text);
            }
        }
    }

    /// Members a record may have: whether the fast reader takes it, and its text.
    const PARTS: &[(bool, &str)] = &[
        (true, r#""time":"2024-11-18T08:00:00Z""#),
        (true, r#""time":null"#),
        (false, r#""time":1731916800"#),
        (true, r#""macAddress":"00-0D-3A""#),
        (false, r#""macAddress":"\u0041""#),
        (true, r#""resourceId":"/S/NSG""#),
        (
            true,
            r#""properties":{"Version":1,"flows":[{"rule":"R","flows":[{"mac":"M","flowTuples":["1,1.1.1.1,2.2.2.2,1,2,T,I,A","1,1.1.1.1,2.2.2.2,1,2,T,I,Q"]}]}]}"#,
        ),
        (true, r#""properties":{"Version":"2","flows":null}"#),
        (true, r#""properties":null"#),
        (false, r#""properties":{"Version":-1}"#),
        (true, r#""properties":{"flows":[{"flows":null}]}"#),
        (
            true,
            r#""flowRecords":{"flows":[{"aclID":"A","flowGroups":null}]}"#,
        ),
        (true, r#""flowLogVersion":4"#),
        (
            true,
            r#""flowRecords":{"flows":[{"aclID":"A","flowGroups":[{"rule":"R","flowTuples":["1000,::1,2.2.2.2,1,2,6,I,B,X,,,,"]}]}]}"#,
        ),
        (
            true,
            r#""flowRecords":{"flows":[{"flowGroups":[{"flowTuples":null}]}],"x":[]}"#,
        ),
        (
            false,
            r#""flowRecords":{"flows":[{"flowGroups":[{"flowTuples":[1]}]}]}"#,
        ),
        (true, r#""rule":"R""#),
        (true, r#""flow.0":"1,1.1.1.1,2.2.2.2,1,2,T,I,A""#),
        (true, r#""version":null"#),
        (true, r#""aclID":true"#),
        (true, r#""other":[1,2.5,-3e-2,{"k":"v"},[],{}]"#),
        (false, r#""other":01"#),
        (false, r#""other":"a\"b""#),
    ];

    #[test]
    fn plain_strings_end_at_their_quote_and_nothing_else_is_plain() {
        for len in 0..70 {
            let body = "a".repeat(len);
            for tail in ["\"", "\",\"x\":1", "\"\\\"x"] {
                let text = format!("{body}{tail}");
                assert_eq!(plain_len(text.as_bytes()), Some(len), "{text}");
            }
            for stop in ["\\\"", "\n\"", "\u{1f}\"", ""] {
                let text = format!("{body}{stop}");
                assert_eq!(plain_len(text.as_bytes()), None, "{text:?}");
            }
        }
        // Bytes from 0x7f up are not control characters, in the wide steps too.
        for n in [1, 5] {
            let text = format!("{}\"", "é→\u{7f}".repeat(n));
            assert_eq!(plain_len(text.as_bytes()), Some(6 * n), "{text:?}");
        }
    }
}

//! One file's text → records. The fast path walks the expected shapes (`{"records":[…]}`,
//! a bare array, single records, NDJSON) and hands each record object to the record
//! reader (serde where the record is not in the plain form); where the text stops making
//! sense, the salvage scanner takes over from the last good point.

use super::emit::{self, Emitter};
use super::record::{self, RawRecord};
use super::repair;
use super::report::ProblemKind;
use super::salvage::{self, skip_ws, Found};
use super::tally::Reason;
use serde::de::IgnoredAny;
use std::hash::{Hash, Hasher};

/// How deep flow logs embedded in strings of flow logs are followed.
const MAX_NESTING: u8 = 3;

/// Where the fast path gave up, and whether the text simply ended there.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fallback {
    at: usize,
    eof: bool,
}

/// Loads every record of `text` (a file's content, BOM allowed) into `em`.
pub fn parse_file(em: &mut Emitter, text: &str) {
    parse_text(em, text, Some(0), 0);
}

/// `base` is the byte offset of `text` in its file (`None` for text embedded in a string).
fn parse_text(em: &mut Emitter, text: &str, base: Option<u64>, nesting: u8) {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let Err(fallback) = walk(em, text, start, base, nesting) else {
        return;
    };
    let repaired = em.tally.count(ProblemKind::Repaired);
    let truncated = em.tally.count(ProblemKind::Truncated);
    let before = em.records_seen();
    salvage(em, text, fallback.at, base, nesting);
    let explained = em.tally.count(ProblemKind::Repaired) > repaired
        || em.tally.count(ProblemKind::Truncated) > truncated;
    let records = em.records_seen();
    let (kind, reason) = if explained {
        return;
    } else if fallback.eof {
        (
            ProblemKind::Truncated,
            "file ends before its closing brackets",
        )
    } else if records > before {
        (
            ProblemKind::Repaired,
            "not valid JSON; records recovered by scanning",
        )
    } else if records > 0 {
        (
            ProblemKind::Repaired,
            "invalid JSON after the last record ignored",
        )
    } else {
        // Nothing of a flow log here: the caller skips the file as such.
        return;
    };
    let place = match base {
        Some(b) => format!(
            "byte {} (after {before} records)",
            em.file_offset(b + fallback.at as u64)
        ),
        None => format!("embedded text, after {before} records"),
    };
    em.tally
        .problem(kind, Reason::Text(reason.into()), || place);
}

fn walk(
    em: &mut Emitter,
    text: &str,
    mut pos: usize,
    base: Option<u64>,
    nesting: u8,
) -> Result<(), Fallback> {
    loop {
        pos = skip_ws(text, pos);
        let Some(&c) = text.as_bytes().get(pos) else {
            return Ok(());
        };
        pos = match (c, wrapper_array(text, pos)) {
            (b'{', Some(inner)) => {
                let end = skip_ws(text, array(em, text, inner, base, nesting)?);
                match text.as_bytes().get(end) {
                    Some(b'}') => end + 1,
                    other => {
                        return Err(Fallback {
                            at: end,
                            eof: other.is_none(),
                        })
                    }
                }
            }
            (b'{', None) => element(em, text, pos, base, nesting)?,
            (b'[', _) => array(em, text, pos + 1, base, nesting)?,
            _ => {
                return Err(Fallback {
                    at: pos,
                    eof: false,
                })
            }
        };
    }
}

/// Walks array elements from just after `[`; returns the position after `]`.
fn array(
    em: &mut Emitter,
    text: &str,
    mut pos: usize,
    base: Option<u64>,
    nesting: u8,
) -> Result<usize, Fallback> {
    let b = text.as_bytes();
    pos = skip_ws(text, pos);
    if b.get(pos) == Some(&b']') {
        return Ok(pos + 1);
    }
    loop {
        pos = match b.get(pos) {
            Some(b'{') => element(em, text, pos, base, nesting)?,
            Some(_) => {
                // Strings may hold a flow log of their own (arrays of raw events).
                let end = skip_value(text, pos).ok_or(Fallback {
                    at: pos,
                    eof: false,
                })?;
                salvage_region(em, text, pos, end, base, nesting);
                end
            }
            None => return Err(Fallback { at: pos, eof: true }),
        };
        pos = skip_ws(text, pos);
        match b.get(pos) {
            Some(b',') => pos = skip_ws(text, pos + 1),
            Some(b']') => return Ok(pos + 1),
            other => {
                return Err(Fallback {
                    at: pos,
                    eof: other.is_none(),
                })
            }
        }
    }
}

/// One object at `pos`: a record, or something to search for records.
pub(super) fn element(
    em: &mut Emitter,
    text: &str,
    pos: usize,
    base: Option<u64>,
    nesting: u8,
) -> Result<usize, Fallback> {
    let offset = base.map(|b| b + pos as u64);
    let mut tuples = record::take_scratch();
    tuples.reset(em.values());
    let mut raw = RawRecord::default();
    if let Some(end) = record::read_record_into(text, pos, &mut tuples, &mut raw) {
        if !emit::load_parsed(em, &raw, offset, &tuples) && !em.stray_record(&raw, offset) {
            salvage_region(em, text, pos, end, base, nesting);
        }
        record::return_scratch(tuples);
        return Ok(end);
    }
    // Anything but the plain form: serde reads it, and says what is wrong.
    record::return_scratch(tuples);
    let mut stream = serde_json::Deserializer::from_str(&text[pos..]).into_iter::<RawRecord>();
    match stream.next() {
        Some(Ok(raw)) => {
            let end = pos + stream.byte_offset();
            if !emit::load_raw(em, &raw, offset) {
                salvage_region(em, text, pos, end, base, nesting);
            }
            Ok(end)
        }
        Some(Err(e)) if e.is_data() => {
            // A mistyped key: valid JSON, so skip it whole and let the scanner judge it.
            let end = skip_value(text, pos).ok_or(Fallback {
                at: pos,
                eof: false,
            })?;
            salvage_region(em, text, pos, end, base, nesting);
            Ok(end)
        }
        Some(Err(e)) => Err(Fallback {
            at: pos,
            eof: e.is_eof(),
        }),
        None => Err(Fallback { at: pos, eof: true }),
    }
}

/// Why `text` (a whole file, trimmed) holds no records although it is a blob's wrapper:
/// `{"records":[]}`, or only its start, `{"records":[`, as a blob just begun is. `None`
/// for anything else.
pub(super) fn no_records(text: &str) -> Option<&'static str> {
    let inner = wrapper_array(text, 0)?;
    let rest = text[inner..].trim_start();
    match rest.strip_prefix(']') {
        Some(close) if matches!(close.trim(), "}" | "") => {
            Some("no records: an empty `records` array")
        }
        None if rest.is_empty() => {
            Some("no records yet: the blob holds only its opening `{\"records\":[`")
        }
        _ => None,
    }
}

/// `Some(position after "[")` when the object at `pos` starts `{"records":[`.
pub(super) fn wrapper_array(text: &str, pos: usize) -> Option<usize> {
    let p = skip_ws(text, salvage::first_key(text, pos, "records")?);
    (text.as_bytes().get(p) == Some(&b'[')).then_some(p + 1)
}

/// The end of the JSON value at `pos`, if it is valid.
fn skip_value(text: &str, pos: usize) -> Option<usize> {
    let mut stream = serde_json::Deserializer::from_str(&text[pos..]).into_iter::<IgnoredAny>();
    match stream.next() {
        Some(Ok(_)) => Some(pos + stream.byte_offset()),
        _ => None,
    }
}

/// Scans `text[from..]` to its end, one piece from each record's start (told by its first
/// key, which only a record's top level has) to the next: damage in one record stays in
/// its piece. Scanned as one, the rest of a file took every record after a lost bracket
/// into the damaged one, and read every record after a lost quote inside out; reading on
/// from the next record, once for each damaged one, cost a scan of the rest each time.
fn salvage(em: &mut Emitter, text: &str, from: usize, base: Option<u64>, nesting: u8) {
    let mut at = from;
    while let Some(next) = salvage::next_record_by_key(text, at + 1) {
        salvage_region(em, text, at, next, base, nesting);
        at = next;
    }
    salvage_region(em, text, at, text.len(), base, nesting);
}

/// Reading on after a record cut short scans the rest of the text again: at most this
/// many times the text in all, so that hostile text (a line opening an object on every
/// line, none closed) costs a bounded scan, while each cut line of NDJSON is read past.
const RESCANS: usize = 8;

fn salvage_region(
    em: &mut Emitter,
    text: &str,
    from: usize,
    to: usize,
    base: Option<u64>,
    nesting: u8,
) {
    let mut from = from;
    let mut budget = (to - from).saturating_mul(RESCANS);
    loop {
        // Reading on costs a scan of the rest at most, so a part may stop at a record
        // that runs on only while the budget has room for that scan.
        let may_read_on = budget >= 2 * (to - from);
        let Some(next) = salvage_part(em, text, from, to, base, nesting, may_read_on) else {
            return;
        };
        budget = budget.saturating_sub(to - from);
        if budget < to - next {
            return;
        }
        from = next;
    }
}

/// Scans `from..to` for records; where it ends inside one that a later record follows (a
/// line of NDJSON cut short, or a document cut short before the next one, as files
/// joined on standard input are), the record is reported and the place to read on from.
fn salvage_part(
    em: &mut Emitter,
    text: &str,
    from: usize,
    to: usize,
    base: Option<u64>,
    nesting: u8,
    may_read_on: bool,
) -> Option<usize> {
    let region = &text[from..to];
    let offset = |at: usize| base.map(|b| b + (from + at) as u64);
    let mut read_to = 0;
    let mut open = None;
    // Where a bad candidate holds the start of a later record: the scan's finds after it
    // are read again from there.
    let mut runs_on = None;
    // Text between what the scan found: tuples there belong to no record.
    let mut gaps = Vec::new();
    let mut covered = 0;
    salvage::scan(region, |found| {
        if runs_on.is_some() {
            return;
        }
        gaps.push(covered..found.start().max(covered));
        match found {
            Found::Record { start, end } => {
                let text = &region[start..end];
                let next = may_read_on.then(|| next_inside(text)).flatten();
                match next {
                    Some(n) => candidate(em, &text[..n], offset(start), Some(RUNS_ON)),
                    None => candidate(em, text, offset(start), None),
                }
                runs_on = next.map(|n| start + n);
                read_to = end;
            }
            Found::Embedded { start, end } => {
                embedded(em, &region[start..end], nesting);
                read_to = end;
            }
            Found::OpenRecord { start } => open = Some((start, true)),
            Found::OpenOther { start } => open = Some((start, false)),
        }
        covered = runs_on.unwrap_or(read_to).max(covered);
    });
    if runs_on.is_none() && open.is_none() {
        gaps.push(covered..region.len());
    }
    for gap in gaps {
        orphan_tuples(em, &region[gap.clone()], offset(gap.start));
    }
    if let Some(next) = runs_on {
        return Some(from + next);
    }
    let (start, in_record) = open?;
    // What is left open may have swallowed records after it (a string cut short runs on
    // into the next line): read on from where one may begin, past what was read.
    let next = salvage::next_record_start(region, start.max(read_to) + 1);
    // What is left open, past what was read in it and up to where reading goes on or to
    // the end, held tuples that were seen: they are rejected with it (a file cut short,
    // or a quote lost in its last record, which left the file's closing brackets inside
    // a string).
    let left_open = &region[start.max(read_to)..next.unwrap_or(region.len())];
    let tuples = salvage::count_tuple_shapes(left_open);
    em.tally.rejected += tuples;
    // A piece that ends where the next record begins (see `salvage`): brackets left open
    // there close in a later piece (a wrapper's `{"records":[`), and only a record left
    // open, or tuples, are worth a word.
    let mid_text = to < text.len();
    if mid_text && next.is_none() && !in_record && tuples == 0 {
        return None;
    }
    let place = em.place(offset(start));
    if (in_record || tuples > 0) && (next.is_some() || mid_text) {
        // A record whole in the file, only damaged: the records after it are numbered on.
        em.skip_record();
    }
    let (reason, place) = match (in_record, next) {
        (_, Some(_)) => (
            "record not closed (cut short, or a quote or bracket missing); read on from the next one",
            place,
        ),
        _ if mid_text => (RUNS_ON, place),
        (true, None) => ("file ends inside a record", place),
        (false, None) => (
            "file ends inside brackets",
            match base {
                Some(b) => format!(
                    "brackets opened at byte {}",
                    em.file_offset(b + (from + start) as u64)
                ),
                None => "embedded text".to_string(),
            },
        ),
    };
    em.tally
        .problem(ProblemKind::Truncated, Reason::Text(reason.into()), || {
            place
        });
    next.map(|n| from + n)
}

/// Where a candidate that is not JSON holds the start of another record. A record that
/// lacks a closing bracket runs on over the records after it, up to the bracket that
/// closes the file's array: read whole, it was one bad record that took every later
/// record's tuples with it.
fn next_inside(text: &str) -> Option<usize> {
    let next = salvage::next_record_start(text, 1)?;
    serde_json::from_str::<serde::de::IgnoredAny>(text)
        .is_err()
        .then_some(next)
}

/// Tuples in text that is no record (its opening brace lost, say) are rejected: every
/// tuple seen is loaded or rejected, and `--strict` fails on them. Such text was a
/// record, damaged: the records after it are numbered on. (Text without a tuple, which
/// is all a JSON file that is no flow log has, is passed over.)
fn orphan_tuples(em: &mut Emitter, text: &str, offset: Option<u64>) {
    let tuples = salvage::count_tuple_shapes(text);
    if tuples == 0 {
        return;
    }
    em.tally.rejected += tuples;
    let place = match offset {
        Some(at) => format!("byte {}", em.file_offset(at)),
        None => "embedded text".to_string(),
    };
    em.skip_record();
    let reason = Reason::Text("tuples outside any record (a brace or key of it damaged?)".into());
    em.tally.problem(ProblemKind::BadRecord, reason, || place);
}

/// Why a record that runs on into the next one is bad.
const RUNS_ON: &str =
    "record not closed before the next one begins (cut short, or a bracket or quote missing)";

/// One candidate record found by the scanner: parsed, repaired, or counted as bad, for
/// `why` if given, else for serde's reason.
fn candidate(em: &mut Emitter, text: &str, offset: Option<u64>, why: Option<&str>) {
    let err = match emit::record_text(em, text, offset) {
        Ok(_) => return,
        Err(e) => e,
    };
    // `repair` itself says when the text is beyond it (still not JSON, say).
    if let Some(fixed) = repair::repair(text) {
        let place = em.place(offset);
        if let Ok(true) = emit::record_text(em, &fixed.text, offset) {
            for note in fixed.notes {
                let reason = Reason::Text(note.into());
                em.tally
                    .problem(ProblemKind::Repaired, reason, || place.clone());
            }
            if fixed.dropped > 0 {
                em.tally.rejected += fixed.dropped;
                let reason = Reason::Text("not a tuple string".into());
                em.tally
                    .problems_of(ProblemKind::BadTuple, reason, fixed.dropped, || place);
            }
            return;
        }
    }
    let tuples = count_tuples(text);
    let reason = why.map_or_else(|| error_reason(&err), str::to_string);
    em.bad_record(reason, offset, tuples);
}

/// A string that holds a flow log: unescaped and loaded as a nested source, once per text.
fn embedded(em: &mut Emitter, token: &str, nesting: u8) {
    if nesting >= MAX_NESTING {
        return;
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    token.hash(&mut h);
    if !em.seen_embedded.insert((h.finish(), token.len())) {
        return;
    }
    if let Ok(inner) = serde_json::from_str::<String>(token) {
        parse_text(em, &inner, None, nesting + 1);
    }
}

/// The tuples a bad record holds, when its JSON can be read at all.
fn count_tuples(text: &str) -> u64 {
    fn walk(v: &serde_json::Value) -> u64 {
        match v {
            serde_json::Value::Object(m) => m
                .iter()
                .map(|(k, v)| match (k.as_str(), v) {
                    ("flowTuples", serde_json::Value::Array(a)) => a.len() as u64,
                    ("flow.0", _) => 1,
                    _ => walk(v),
                })
                .sum(),
            serde_json::Value::Array(a) => a.iter().map(walk).sum(),
            _ => 0,
        }
    }
    serde_json::from_str(text)
        .map(|v| walk(&v))
        .unwrap_or_else(|_| salvage::count_tuple_shapes(text))
}

/// serde's message without its line and column (they differ per record).
fn error_reason(err: &serde_json::Error) -> String {
    let msg = err.to_string();
    let cut = msg.find(" at line ").unwrap_or(msg.len());
    let kind = if err.is_data() {
        "bad record"
    } else {
        "invalid JSON in record"
    };
    format!("{kind}: {}", &msg[..cut])
}

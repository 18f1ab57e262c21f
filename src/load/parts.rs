//! One large file read on several threads. A file is otherwise the unit of parallel
//! work, so a single big blob (or one standard input) would load on one core.
//!
//! The records array of `{"records":[…]}` (or the arrays of such documents one after
//! the other) is cut where a record seems to start (`{` and the key `"time"` right after
//! a comma), and each part is read on a thread of its own. A cut is a guess: the part
//! before it must walk, element by element, exactly onto it. If every cut is proved so,
//! the parts are the file, as read whole; if any is not, or a part met anything but
//! plain records, the parts are dropped and the file is read whole. Either way the result
//! is the same, only the time differs.

use super::emit::Emitter;
use super::file::{element, parse_file, wrapper_array};
use super::salvage::skip_ws;

/// Files smaller than this are read whole: a thread and a merge cost more than they save.
pub const MIN_BYTES: usize = 32 << 20;

/// Reads `text` (a whole file) into `em`, on up to `parts` threads when it is large
/// enough and of the plain shape.
pub fn parse_file_in_parts(em: &mut Emitter, text: &str, parts: usize) {
    if parts < 2 || text.len() < MIN_BYTES || !read_in_parts(em, text, parts) {
        parse_file(em, text);
    }
}

/// `false` (and `em` untouched) when the file cannot be read in parts.
fn read_in_parts<'p>(em: &mut Emitter<'p>, text: &str, parts: usize) -> bool {
    let Some((open, close)) = records_array(text) else {
        return false;
    };
    let cuts = cuts(text, open, close, parts);
    if cuts.is_empty() {
        return false;
    }
    // Part k reads the elements from bounds[k] to bounds[k + 1]; the last ends at `]`.
    let bounds: Vec<usize> = std::iter::once(open)
        .chain(cuts)
        .chain(std::iter::once(close))
        .collect();
    let spans: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    let read = |em: &Emitter<'p>, (from, to): (usize, usize), ordinal: u32| {
        let mut part = em.part(ordinal);
        walk_part(&mut part, text, from, to).then_some(part)
    };
    // The first part numbers its records on from ours; a later one from 0, as where its
    // records start in the file is not known yet.
    let jobs: Vec<((usize, usize), u32)> = spans
        .iter()
        .enumerate()
        .map(|(k, &span)| (span, if k == 0 { em.records_seen() } else { 0 }))
        .collect();
    let shared: &Emitter<'p> = em;
    let results = crate::parallel::map_each(&jobs, |(span, ordinal)| read(shared, span, ordinal));
    // Every cut proved, and no embedded flow log after the first part: one loaded in two
    // parts would be loaded twice, where the whole file loads it once. Until all is known
    // `em` is not touched, so the whole walk can still start from nothing.
    let parts: Option<Vec<Emitter<'p>>> = results
        .into_iter()
        .enumerate()
        .map(|(k, part)| part.filter(|p| k == 0 || p.embedded_seen() == 0))
        .collect();
    let Some(mut parts) = parts else {
        return false;
    };
    // Places of problems name records by number, which a later part did not know: such a
    // part is read again from its first record's number, known now.
    let mut first = em.records_seen();
    for (k, span) in spans.iter().enumerate() {
        if k > 0 && parts[k].tally.has_problems() {
            match read(em, *span, first) {
                Some(again) => parts[k] = again,
                None => return false,
            }
        }
        first += parts[k].records_read();
    }
    parts.into_iter().for_each(|part| em.absorb(part));
    true
}

/// Where the records array of a plain file opens (just after `[`) and closes (its `]`):
/// the file is `{"records":[` … `]}` with only white space around, or several such
/// documents one after the other (the first's array opens, the last's closes).
fn records_array(text: &str) -> Option<(usize, usize)> {
    let start = skip_ws(text, text.strip_prefix('\u{feff}').map_or(0, |_| 3));
    (text.as_bytes().get(start) == Some(&b'{')).then_some(())?;
    let open = wrapper_array(text, start)?;
    let body = text.trim_end_matches([' ', '\n', '\r', '\t']);
    let close = body
        .strip_suffix('}')?
        .trim_end_matches([' ', '\n', '\r', '\t']);
    let close = close.strip_suffix(']')?.len();
    (close >= open).then_some((open, close))
}

/// Up to `parts - 1` places in `open..close`, spread evenly, where a record seems to
/// start: a `{` opening `"time"`, after a comma.
fn cuts(text: &str, open: usize, close: usize, parts: usize) -> Vec<usize> {
    let b = text.as_bytes();
    let mut cuts: Vec<usize> = Vec::new();
    for k in 1..parts {
        let mut from = (open + (close - open) * k / parts).max(cuts.last().map_or(open, |c| c + 1));
        // Inside a rule name's multi-byte character, the search starts after it.
        while !text.is_char_boundary(from) {
            from += 1;
        }
        while let Some(found) = text.get(from..close).and_then(|t| t.find("\"time\"")) {
            let key = from + found;
            from = key + 1;
            let brace = back_over_ws(b, key);
            if brace > open && b[brace - 1] == b'{' {
                let comma = back_over_ws(b, brace - 1);
                if comma > open && b[comma - 1] == b',' {
                    cuts.push(brace - 1);
                    break;
                }
            }
        }
    }
    cuts
}

/// The position after the last non-space byte before `at`.
fn back_over_ws(b: &[u8], mut at: usize) -> usize {
    while at > 0 && matches!(b[at - 1], b' ' | b'\n' | b'\r' | b'\t') {
        at -= 1;
    }
    at
}

/// Reads the array's elements from `from` (an element's start, or just after `[`) as
/// the whole file's walk reads them: `true` when the walk lands exactly on `to`, the
/// next part's first element or the array's `]`. Anything but an object is left to the
/// whole file's walk (`false`).
fn walk_part(em: &mut Emitter, text: &str, from: usize, to: usize) -> bool {
    let b = text.as_bytes();
    let mut pos = skip_ws(text, from);
    loop {
        // On the next part's first record; at the `]` right after a comma is a trailing
        // comma, which the whole file's walk does not take either.
        if pos >= to {
            return pos == to && b[to] == b'{';
        }
        if b[pos] != b'{' {
            return false;
        }
        match element(em, text, pos, Some(0), 0) {
            Ok(end) => pos = skip_ws(text, end),
            Err(_) => return false,
        }
        match b.get(pos) {
            Some(b',') => pos = skip_ws(text, pos + 1),
            Some(b']') if pos == to => return true,
            // The end of one document's records and the start of the next one's, as in
            // files joined one after the other (`cat *.json | flowscope -`).
            Some(b']') => match next_document(text, pos) {
                Some(inner) => pos = skip_ws(text, inner),
                None => return false,
            },
            _ => return false,
        }
    }
}

/// Just after the `[` of the next document's records array, when the `]` at `close` ends
/// a `{"records":[…]}` document that another follows.
fn next_document(text: &str, close: usize) -> Option<usize> {
    let b = text.as_bytes();
    let end = skip_ws(text, close + 1);
    (b.get(end) == Some(&b'}')).then_some(())?;
    let next = skip_ws(text, end + 1);
    (b.get(next) == Some(&b'{')).then_some(())?;
    wrapper_array(text, next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::report::Problem;
    use crate::model::Tuple;
    use crate::store::{FileInfo, PathMeta, Store, StoreBuilder};

    /// What a file read gives, to compare: every row with its record's number and place,
    /// the problems, and the records seen.
    #[derive(Debug, Clone, PartialEq)]
    struct Read {
        rows: Vec<(Tuple, u32, u64, Option<String>)>,
        problems: Vec<Problem>,
        records: u32,
    }

    fn emitter() -> Emitter<'static> {
        let mut builder = StoreBuilder::new();
        let file = builder.add_file(FileInfo::default());
        Emitter::new(builder, file, PathMeta::default())
    }

    fn finish(em: Emitter) -> Read {
        let records = em.records_seen();
        let store: Store = em.builder.finish();
        let rows = (0..store.len() as u32)
            .map(|r| {
                let rec = store.record_of(r);
                let rule = store.text(store.group_of(r).rule).map(str::to_string);
                (store.tuple(r), rec.ordinal, rec.offset, rule)
            })
            .collect();
        Read {
            rows,
            problems: em.tally.into_problems("f"),
            records,
        }
    }

    fn whole(text: &str) -> Read {
        let mut em = emitter();
        parse_file(&mut em, text);
        finish(em)
    }

    /// The file read in `parts`, or `None` when it is not cut.
    fn in_parts(text: &str, parts: usize) -> Option<Read> {
        let mut em = emitter();
        read_in_parts(&mut em, text, parts).then(|| finish(em))
    }

    fn record(i: usize, tuples: &[String], sep: &str) -> String {
        let quoted: Vec<String> = tuples.iter().map(|t| format!("\"{t}\"")).collect();
        format!(
            "{{{sep}\"time\": \"2024-11-18T08:{:02}:00Z\",{sep}\"resourceId\": \"/X/NSG{}\",{sep}\
             \"properties\": {{\"Version\": 2, \"flows\": [{{\"rule\": \"R{}\", \"flows\": \
             [{{\"mac\": \"00AA\", \"flowTuples\": [{}]}}]}}]}}}}",
            i % 60,
            i % 3,
            i % 5,
            quoted.join(",")
        )
    }

    fn tuple(i: usize, j: usize) -> String {
        format!(
            "{},10.0.{}.{},10.0.0.4,{},{},T,I,{},C,1,{},2,{}",
            1_731_916_800 + i * 60 + j,
            i % 250,
            j % 250,
            40_000 + j,
            [22, 80, 443, 3389][(i + j) % 4],
            ["A", "D"][j % 2],
            100 + i,
            200 + j
        )
    }

    /// `{"records":[…]}` of `n` records, `sep` between keys and elements.
    fn file(n: usize, sep: &str, each: impl Fn(usize) -> String) -> String {
        let records: Vec<String> = (0..n).map(each).collect();
        format!(
            "{{\"records\":[{sep}{}{sep}]}}{sep}",
            records.join(&format!(",{sep}"))
        )
    }

    fn plain(i: usize, sep: &str) -> String {
        let tuples: Vec<String> = (0..1 + i % 4).map(|j| tuple(i, j)).collect();
        record(i, &tuples, sep)
    }

    #[test]
    fn plain_files_read_in_parts_as_read_whole() {
        for sep in ["", "\n  ", "\r\n\t"] {
            let text = file(40, sep, |i| plain(i, sep));
            let want = whole(&text);
            assert_eq!(want.records, 40);
            assert!(want.problems.is_empty());
            for parts in 2..=6 {
                let got = in_parts(&text, parts).unwrap_or_else(|| panic!("{parts} parts"));
                assert_eq!(got, want, "{parts} parts, separator {sep:?}");
            }
        }
    }

    /// Progress comes as records are read, whole or in parts, and settles at the file's
    /// bytes and tuples exactly.
    #[test]
    fn progress_is_reported_while_reading_and_settles_exactly() {
        use crate::load::report::{FileProgress, Progress};
        use std::sync::atomic::Ordering::Relaxed;
        // Records of about 75 kB, 12 MB in all: each of three parts passes the reporting
        // step.
        let big = |i: usize| {
            let tuples: Vec<String> = (0..1200).map(|j| tuple(i, j)).collect();
            record(i, &tuples, "")
        };
        let text = file(160, "", big);
        assert!(text.len() > 3 * (2 << 20), "{} bytes", text.len());
        for parts in [1, 3] {
            let progress = Progress::default();
            let file_progress = FileProgress::new(&progress);
            let mut em = emitter().reporting_to(&file_progress);
            if parts == 1 || !read_in_parts(&mut em, &text, parts) {
                assert_eq!(parts, 1, "cut");
                parse_file(&mut em, &text);
            }
            let (bytes, tuples) = (
                progress.bytes_done.load(Relaxed),
                progress.tuples.load(Relaxed),
            );
            assert!(
                bytes > 0 && bytes < text.len() as u64,
                "{parts} parts: {bytes} bytes"
            );
            assert!(
                tuples > 0 && tuples < em.tally.tuples,
                "{parts} parts: {tuples} tuples"
            );
            file_progress.settle(text.len() as u64, em.tally.tuples);
            assert_eq!(progress.bytes_done.load(Relaxed), text.len() as u64);
            assert_eq!(progress.tuples.load(Relaxed), em.tally.tuples);
            // Reported twice over (a part read again): settling takes the extra back.
            file_progress.add(1000, 10);
            file_progress.settle(text.len() as u64, em.tally.tuples);
            assert_eq!(progress.bytes_done.load(Relaxed), text.len() as u64);
            assert_eq!(progress.tuples.load(Relaxed), em.tally.tuples);
        }
    }

    #[test]
    fn rule_names_of_many_byte_characters_are_cut_around() {
        let text = file(40, "", |i| plain(i, "").replace("\"R", "\"Régle→✓"));
        let want = whole(&text);
        assert!(want
            .rows
            .iter()
            .all(|r| r.3.as_deref().unwrap().starts_with("Régle→✓")));
        for parts in 2..=9 {
            assert_eq!(in_parts(&text, parts), Some(want.clone()), "{parts} parts");
        }
    }

    #[test]
    fn bad_tuples_in_later_parts_are_placed_by_their_record_number() {
        // A reason first met in a later part (22), and one met in the first part too.
        let text = file(30, "", |i| match i {
            22 => record(i, &[tuple(i, 0), "bad".into(), tuple(i, 1)], ""),
            4 | 29 => record(i, &[tuple(i, 0).replace(",T,", ",X,")], ""),
            _ => plain(i, ""),
        });
        let want = whole(&text);
        let details: Vec<_> = want
            .problems
            .iter()
            .map(|p| (p.detail.as_str(), p.count))
            .collect();
        assert_eq!(
            details,
            [
                ("unknown protocol (first at record 5, rule R4, tuple 1)", 2),
                (
                    "wrong field count 1 (first at record 23, rule R2, tuple 2)",
                    1
                )
            ]
        );
        for parts in 2..=5 {
            assert_eq!(in_parts(&text, parts), Some(want.clone()), "{parts} parts");
        }
    }

    #[test]
    fn files_that_cannot_be_cut_are_left_to_the_whole_walk() {
        let plain_file = file(20, "", |i| plain(i, ""));
        let end = plain_file.rfind("]}").unwrap();
        let trailing_comma = format!("{},]}}", &plain_file[..end]);
        let nested_time = file(20, "", |i| match i {
            // A `{"time"` inside a record, after a comma: a cut there is disproved.
            10 => plain(i, "").replace(
                "\"Version\": 2,",
                "\"Version\": 2, \"x\": [1, {\"time\": 1}],",
            ),
            _ => plain(i, ""),
        });
        let string_element = file(20, "", |i| match i {
            15 => "\"not a record\"".to_string(),
            _ => plain(i, ""),
        });
        // The same flow log embedded in two records' strings: the whole file loads it once.
        let embedded = serde_json::to_string(&file(1, "", |i| plain(i, ""))).unwrap();
        let embedded_twice = file(20, "", |i| match i {
            2 | 15 => format!("{{\"time\": \"2024-11-18T08:00:00Z\", \"message\": {embedded}}}"),
            _ => plain(i, ""),
        });
        let other_key_first = file(20, "", |i| {
            plain(i, "").replacen("{\"time\"", "{\"t\": 1, \"time\"", 1)
        });
        let empty_between = format!(
            "{}{{\"records\":[]}}{}",
            file(10, "", |i| plain(i, "")),
            file(10, "", |i| plain(i, ""))
        );
        let two_documents = format!(
            "{}\n{}",
            file(10, "", |i| plain(i, "")),
            file(10, "", |i| plain(i, ""))
        );
        let cut_off = file(20, "", |i| plain(i, ""))
            .trim_end_matches("]}")
            .to_string();
        for (name, text, cut) in [
            ("trailing comma", trailing_comma, false),
            ("string element", string_element, false),
            ("embedded twice", embedded_twice, false),
            ("no record starts with time", other_key_first, false),
            ("two documents", two_documents, true),
            ("an empty document between", empty_between, false),
            ("cut off", cut_off, false),
            // Cuts elsewhere hold: the nested one is passed over or disproved.
            ("nested time", nested_time, true),
        ] {
            let want = whole(&text);
            let got = in_parts(&text, 4);
            if cut {
                assert_eq!(got, Some(want.clone()), "{name}");
            } else if let Some(got) = got {
                assert_eq!(got, want, "{name}: cut, and must read the same");
            }
            // Through the entry point (as if large), whatever it decides, the same.
            let mut em = emitter();
            if !read_in_parts(&mut em, &text, 3) {
                parse_file(&mut em, &text);
            }
            assert_eq!(finish(em), want, "{name}");
        }
    }

    proptest::proptest! {
        /// A plain file (or a few joined) with a byte or two changed or inserted
        /// anywhere: read in parts (when it still can be) it reads as it reads whole.
        #[test]
        fn damaged_files_read_in_parts_as_read_whole(
            records in 2usize..24,
            sep in proptest::sample::select(vec!["", "\n  "]),
            damage in proptest::collection::vec((
                0.0f64..1.0,
                proptest::sample::select(b"{}[],:\"\\ 0aT\n".to_vec()),
                proptest::bool::ANY,
            ), 1..3),
            parts in 2usize..6,
            documents in 1usize..4,
        ) {
            let one = file(records, sep, |i| plain(i, sep));
            let mut text = vec![one; documents].join("\n").into_bytes();
            for &(at, byte, insert) in &damage {
                let at = ((text.len() - 1) as f64 * at) as usize;
                if insert {
                    text.insert(at, byte);
                } else {
                    text[at] = byte;
                }
            }
            let text = String::from_utf8(text).unwrap();
            if let Some(got) = in_parts(&text, parts) {
                proptest::prop_assert_eq!(got, whole(&text), "{:?}", damage);
            }
        }
    }
}

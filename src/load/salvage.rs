//! The salvage scanner: one linear, string-aware pass over text that is not a clean flow
//! log file. It tracks object depth and the keys seen at each depth to find "record
//! candidates" (objects with a `properties`, `flowRecords` or `flow.0` key of their own)
//! anywhere, and strings that hold a flow log of their own (Cribl `_raw`, Sekoia `message`).

/// Something the scanner found, in text order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A complete candidate object: `start` is its `{`, `end` one past its `}`.
    Record { start: usize, end: usize },
    /// A string value (quotes included) that looks like an embedded flow log.
    Embedded { start: usize, end: usize },
    /// The text ends inside a candidate that began at `start`.
    OpenRecord { start: usize },
    /// The text ends inside other brackets (none of them a candidate) opened at `start`.
    OpenOther { start: usize },
}

impl Found {
    /// Where what was found begins.
    pub fn start(self) -> usize {
        match self {
            Found::Record { start, .. } | Found::Embedded { start, .. } => start,
            Found::OpenRecord { start } | Found::OpenOther { start } => start,
        }
    }
}

const RECORD_KEYS: [&[u8]; 3] = [b"properties", b"flowRecords", b"flow.0"];
const EMBEDDED_MARKS: [&[u8]; 2] = [b"flowTuples", b"flow.0"];
/// Shorter strings cannot hold a record.
const MIN_EMBEDDED: usize = 40;

#[derive(Debug, Clone, Copy)]
struct Frame {
    start: usize,
    object: bool,
    expect_key: bool,
    candidate: bool,
    /// A candidate inside this frame was already reported.
    holds_found: bool,
}

/// Scans `text` and calls `found` for each record, embedded string and open end.
pub fn scan(text: &str, mut found: impl FnMut(Found)) {
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut candidates_open = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let end = string_end(b, i);
                if on_string(b, i, end, &mut stack, candidates_open, &mut found) {
                    candidates_open += 1;
                }
                i = end;
                continue;
            }
            c @ (b'{' | b'[') => stack.push(Frame {
                start: i,
                object: c == b'{',
                expect_key: c == b'{',
                candidate: false,
                holds_found: false,
            }),
            b',' => {
                if let Some(f) = stack.last_mut() {
                    f.expect_key = f.object;
                }
            }
            b'}' | b']' => {
                // Stray closers (a scan that starts mid-array) are ignored.
                if let Some(f) = stack.pop() {
                    if f.candidate {
                        candidates_open -= 1;
                    }
                    let emit = f.candidate && !f.holds_found && candidates_open == 0;
                    if emit {
                        found(Found::Record {
                            start: f.start,
                            end: i + 1,
                        });
                    }
                    if emit || f.holds_found {
                        if let Some(parent) = stack.last_mut() {
                            parent.holds_found = true;
                        }
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    if let Some(open) = stack.iter().find(|f| f.candidate) {
        found(Found::OpenRecord { start: open.start });
    } else if let Some(open) = stack.first() {
        found(Found::OpenOther { start: open.start });
    }
}

/// A string token from `start` (its `"`) to one past its closing `"` (or the text end);
/// `true` when it is the key that makes its object a record candidate.
fn on_string(
    b: &[u8],
    start: usize,
    end: usize,
    stack: &mut [Frame],
    candidates_open: usize,
    found: &mut impl FnMut(Found),
) -> bool {
    let inner = &b[start + 1..end.saturating_sub(1).max(start + 1)];
    match stack.last_mut() {
        Some(f) if f.object && f.expect_key => {
            f.expect_key = false;
            if !f.candidate && RECORD_KEYS.contains(&inner) {
                f.candidate = true;
                return true;
            }
        }
        _ => {
            if candidates_open == 0 && looks_embedded(inner) {
                found(Found::Embedded { start, end });
            }
        }
    }
    false
}

/// One past the closing quote of the string starting at `start`, or the text length.
pub(super) fn string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

fn looks_embedded(inner: &[u8]) -> bool {
    let first = inner.iter().find(|c| !c.is_ascii_whitespace());
    inner.len() >= MIN_EMBEDDED
        && matches!(first, Some(b'{' | b'['))
        && EMBEDDED_MARKS
            .iter()
            .any(|m| inner.windows(m.len()).any(|w| w == *m))
}

/// Removes commas that directly precede `]` or `}` (whitespace between allowed), outside
/// strings; `None` when there was none to remove.
pub fn drop_trailing_commas(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut removed = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let end = string_end(b, i);
                out.extend_from_slice(&b[i..end]);
                i = end;
                continue;
            }
            b',' => {
                let next = b[i + 1..].iter().find(|c| !c.is_ascii_whitespace());
                if matches!(next, Some(b']' | b'}')) {
                    removed = true;
                } else {
                    out.push(b',');
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    // Only ASCII commas were removed from valid UTF-8, so this cannot fail.
    removed.then(|| String::from_utf8(out).ok()).flatten()
}

/// Where a record may begin at or after `from`: a line that opens an object with its
/// first key on the same line (NDJSON), a `{"records"` document, or an object whose
/// first key only a record has at its top level (files joined with no line break between
/// them, bare records too). A pretty-printed object alone on its line is a record only by
/// its first key: else every rule and MAC object of a cut pretty-printed record was one
/// more place to read on from, and one more cut reported.
pub fn next_record_start(text: &str, from: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = from;
    while i < b.len() {
        match b[i] {
            b'\n' => {
                let line = i + 1;
                let first = b[line..]
                    .iter()
                    .position(|c| !matches!(c, b' ' | b'\t' | b'\r'));
                if let Some(k) = first.filter(|&k| b[line + k] == b'{') {
                    let brace = line + k;
                    let rest = b[brace + 1..].iter().find(|c| !matches!(c, b' ' | b'\t'));
                    // Nothing after it (the text cut there) is no key on its line.
                    let inline = rest.is_some_and(|c| !matches!(c, b'\r' | b'\n'));
                    if inline || opens_record(text, brace) {
                        return Some(brace);
                    }
                }
            }
            b'{' if opens_record(text, i) => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Where a record begins at or after `from`, told by its first key only: an object whose
/// first key only a record's top level has (or a `{"records"` document).
pub fn next_record_by_key(text: &str, from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(k) = text.get(at..)?.find('{') {
        let brace = at + k;
        if opens_record(text, brace) {
            return Some(brace);
        }
        at = brace + 1;
    }
    None
}

/// Keys of a record's top level that no object inside a flow log record has.
const TOP_LEVEL_KEYS: [&str; 11] = [
    "records",
    "time",
    "systemId",
    "macAddress",
    "category",
    "resourceId",
    "operationName",
    "flowLogVersion",
    "flowLogGUID",
    "flowLogResourceID",
    "targetResourceID",
];

/// Whether the object whose `{` is at `brace` starts with one of `TOP_LEVEL_KEYS`.
fn opens_record(text: &str, brace: usize) -> bool {
    TOP_LEVEL_KEYS
        .iter()
        .any(|key| first_key(text, brace, key).is_some())
}

/// The position after the colon when the object whose `{` is at `brace` starts with
/// `key` (whitespace allowed around it).
pub(super) fn first_key(text: &str, brace: usize, key: &str) -> Option<usize> {
    let b = text.as_bytes();
    let at = skip_ws(text, brace + 1);
    let after = at + key.len() + 2;
    let quoted = b.get(at..after)?;
    let named = quoted[0] == b'"' && quoted[after - at - 1] == b'"';
    let colon = skip_ws(text, after);
    (named && &quoted[1..after - at - 1] == key.as_bytes() && b.get(colon) == Some(&b':'))
        .then_some(colon + 1)
}

/// The first position at or after `pos` that is not JSON whitespace.
pub(super) fn skip_ws(text: &str, mut pos: usize) -> usize {
    let b = text.as_bytes();
    while pos < b.len() && matches!(b[pos], b' ' | b'\n' | b'\r' | b'\t') {
        pos += 1;
    }
    pos
}

/// The tuples in text that is not a record as JSON reads it (a record left open mid-file,
/// a quote lost, so that strings and what lies between them trade places; tuples outside
/// any record): each run of characters shaped as a tuple's time, addresses, ports,
/// protocol and direction counts once, inside a string or not. One opened by an escaped
/// quote (`\"`) is text of a flow log embedded in a string, which is read, or not, as
/// such.
pub fn count_tuple_shapes(text: &str) -> u64 {
    static SHAPE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"[0-9]{1,16},[0-9A-Fa-f.:]{2,45},[0-9A-Fa-f.:]{2,45},[0-9]{0,5},[0-9]{0,5},[A-Za-z0-9]{1,3},[A-Za-z],",
        )
        .expect("a valid pattern")
    });
    SHAPE
        .find_iter(text)
        .filter(|m| !text[..m.start()].ends_with("\\\""))
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_start_on_a_line_of_their_own_or_as_a_document() {
        let text = "{\"a\":\"x\n  {\"b\":1}\n[{\"records\":[]}";
        assert_eq!(next_record_start(text, 0), Some(text.find("{\"b").unwrap()));
        let after = text.find("{\"b").unwrap() + 1;
        assert_eq!(
            next_record_start(text, after),
            Some(text.find("{\"records").unwrap())
        );
        assert_eq!(next_record_start("{\"a\":1}\n   ", 1), None);
    }

    /// In a pretty-printed file every object opens a line of its own: only a record's
    /// first key makes one a place to read on from.
    #[test]
    fn an_object_alone_on_its_line_starts_a_record_by_its_first_key() {
        let text = "{\n  \"flows\": [\n    {\r\n      \"rule\": \"R\"\n    }\n  ]\n},\n  {  \n  \"time\": 1}";
        assert_eq!(next_record_start(text, 1), text.rfind('{'));
        assert_eq!(next_record_start("x\n{\n\"rule\":1}", 0), None);
        assert_eq!(next_record_start("x\n{ \"rule\":1}", 0), Some(2));
        assert_eq!(next_record_start("x\n  {", 0), None, "cut after the brace");
    }

    /// Bare records joined with no line break: the one after a cut record is found by
    /// its first key, which only a record's top level has; other objects are not.
    #[test]
    fn a_bare_record_mid_line_is_found_by_its_first_key() {
        let text = r#"{"time":"2022-09-14T09:00:52Z","flowLogGUID":"ab{"rule":"R","flows":[]}{ "time" : "x"}"#;
        let next = text.rfind("{ \"time").unwrap();
        assert_eq!(next_record_start(text, 1), Some(next));
        for key in TOP_LEVEL_KEYS {
            let text = format!(r#"[{{"mac":"M"}},{{"{key}":1}}"#);
            assert_eq!(next_record_start(&text, 1), text.rfind('{'), "{key}");
        }
        assert_eq!(next_record_start(r#"x{"timeX":1}{"time"}"#, 0), None);
    }

    /// A quote lost between two tuples turns strings inside out: the tuples are still
    /// counted once each, and what only looks like numbers is not.
    #[test]
    fn tuple_shapes_are_counted_whatever_the_quotes() {
        let tuples = [
            "1731918442,170.176.155.240,10.0.1.4,33826,443,T,I,A,E,2,226,11,10043",
            "1731918464,211.2.182.36,10.0.1.4,3807,443,T,I,A,B,,,,",
            "1663146003599,fd00::4,10.0.0.5,443,35370,6,O,E,NX,1,2,3,4",
        ];
        let whole = format!(r#"{{"flowTuples":["{}"]}}"#, tuples.join(r#"",""#));
        assert_eq!(count_tuple_shapes(&whole), 3);
        let lost = whole.replacen(r#"10043",""#, r#"10043,""#, 1);
        assert_ne!(lost, whole);
        assert_eq!(count_tuple_shapes(&lost), 3);
        assert_eq!(
            count_tuple_shapes(r#"{"time":"2024-11-18T08:00:00Z","n":[1,2,3]}"#),
            0
        );
        // Text embedded in a string escapes its quotes.
        let embedded = serde_json::to_string(&whole).unwrap();
        assert_eq!(count_tuple_shapes(&embedded), 0);
    }

    fn found(text: &str) -> Vec<Found> {
        let mut v = Vec::new();
        scan(text, |f| v.push(f));
        v
    }

    #[test]
    fn finds_records_at_any_depth_and_skips_their_insides() {
        let text = r#",{"a":{"properties":{"flows":[{"x":{"flowRecords":1}}]}}} ]}"#;
        let v = found(text);
        assert_eq!(v.len(), 1);
        let Found::Record { start, end } = v[0] else {
            panic!("{v:?}")
        };
        assert_eq!(
            &text[start..end],
            r#"{"properties":{"flows":[{"x":{"flowRecords":1}}]}}"#
        );
    }

    #[test]
    fn keys_only_count_at_their_own_depth_and_as_keys() {
        assert_eq!(found(r#"{"a":"properties","b":["properties"]}"#), vec![]);
        let v = found(r#"[{"rule":"r","flow.0":"1"},{"flow.0":"2"}]"#);
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn braces_inside_strings_do_not_count() {
        let text = r#"{"properties":{"r":"}}}\"{{"}} "#;
        let v = found(text);
        assert_eq!(
            v,
            vec![Found::Record {
                start: 0,
                end: text.len() - 1
            }]
        );
    }

    #[test]
    fn a_cut_file_reports_the_open_record() {
        let text = r#"{"records":[{"properties":{}},{"time":"t","properties":{"flows":["#;
        let v = found(text);
        assert_eq!(v[0], Found::Record { start: 12, end: 29 });
        assert_eq!(v[1], Found::OpenRecord { start: 30 });
        assert_eq!(
            found(r#"{"records":[{"properties":{}}"#)[1],
            Found::OpenOther { start: 0 }
        );
    }

    #[test]
    fn embedded_flow_logs_are_found_outside_records_only() {
        let inner = r#"{\"rule\":\"R\",\"flow.0\":\"1,1.1.1.1,2.2.2.2,1,2,T,I,A\"}"#;
        let text = format!(r#"{{"input":{{"message":"{inner}"}},"n":"{{short"}}"#);
        let v = found(&text);
        assert_eq!(v.len(), 1);
        let Found::Embedded { start, end } = v[0] else {
            panic!("{v:?}")
        };
        assert_eq!(&text[start + 1..end - 1], inner);
    }

    #[test]
    fn trailing_commas_are_removed_outside_strings() {
        let fixed = drop_trailing_commas(
            r#"{"a":["x,]", "y",
          ],}"#,
        )
        .unwrap();
        assert_eq!(
            fixed,
            r#"{"a":["x,]", "y"
          ]}"#
        );
        assert_eq!(drop_trailing_commas(r#"{"a":[1,2]}"#), None);
    }
}

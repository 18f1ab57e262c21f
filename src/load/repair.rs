//! Repairs of a record serde refused, so that its good tuples are kept and each bad part
//! is counted: trailing commas, raw control characters (a line break inside a tuple
//! string) and backslashes that begin no escape in the text, and `flowTuples` elements
//! that are not tuple strings in its shape.

use super::salvage::{drop_trailing_commas, string_end};
use serde_json::Value;

/// A record's text after repair, what was repaired, and the `flowTuples` elements taken
/// out because they are not strings (each a rejected tuple).
#[derive(Debug, PartialEq, Eq)]
pub struct Repaired {
    pub text: String,
    pub notes: Vec<&'static str>,
    pub dropped: u64,
}

/// The record's text with every repair that applies, or `None` when none does or the
/// result is still not JSON.
pub fn repair(text: &str) -> Option<Repaired> {
    let mut notes = Vec::new();
    let mut fixed = std::borrow::Cow::Borrowed(text);
    if let Some(t) = drop_trailing_commas(&fixed) {
        notes.push(TRAILING_COMMAS);
        fixed = t.into();
    }
    if let Some(t) = escape_controls(&fixed) {
        notes.push(CONTROLS);
        fixed = t.into();
    }
    if let Some(t) = keep_bad_escapes(&fixed) {
        notes.push(BAD_ESCAPES);
        fixed = t.into();
    }
    if let Some(t) = replace_lone_surrogates(&fixed) {
        notes.push(LONE_SURROGATES);
        fixed = t.into();
    }
    let mut value: Value = serde_json::from_str(&fixed).ok()?;
    let dropped = keep_tuple_strings(&mut value, &mut notes);
    if has_duplicate_keys(&fixed) {
        notes.push(DUPLICATE_KEYS);
    }
    if notes.is_empty() {
        // Nothing here this module repairs (a value of the wrong type, say).
        return None;
    }
    // Written again from the value: a key given twice keeps its last value there, as in
    // most JSON readers.
    Some(Repaired {
        text: value.to_string(),
        notes,
        dropped,
    })
}

/// Whether an object in `text` (valid JSON) names a key twice.
fn has_duplicate_keys(text: &str) -> bool {
    // Per open bracket: the keys of an object so far (`None` for an array), and whether a
    // string there would be a key.
    let mut open: Vec<(Option<Vec<&[u8]>>, bool)> = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let end = string_end(b, i);
                if let Some((Some(keys), expect_key)) = open.last_mut() {
                    if *expect_key {
                        let key = &b[i + 1..end - 1];
                        if keys.contains(&key) {
                            return true;
                        }
                        keys.push(key);
                        *expect_key = false;
                    }
                }
                i = end;
                continue;
            }
            b'{' => open.push((Some(Vec::new()), true)),
            b'[' => open.push((None, false)),
            b'}' | b']' => drop(open.pop()),
            b',' => {
                if let Some((Some(_), expect_key)) = open.last_mut() {
                    *expect_key = true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// Backslashes that begin no escape JSON has (`\x`, `\u` without four hex digits) kept
/// as written, doubled: serde refuses the whole record for one, where it is only its
/// string that is bad (a tuple with a stray backslash is then rejected alone); `None`
/// when there were none.
fn keep_bad_escapes(text: &str) -> Option<String> {
    rewrite_strings(text, |s| {
        let b = s.as_bytes();
        let valid = |k: usize| match b.get(k + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => true,
            Some(b'u') => b
                .get(k + 2..k + 6)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)),
            _ => false,
        };
        let mut out = String::new();
        let (mut copied, mut k) = (0, 0);
        while k < b.len() {
            if b[k] != b'\\' {
                k += 1;
            } else if valid(k) {
                k += 2;
            } else {
                out.push_str(&s[copied..=k]);
                out.push('\\');
                copied = k + 1;
                k += 1;
            }
        }
        (copied > 0).then(|| out + &s[copied..])
    })
}

/// `\uD800`–`\uDFFF` escapes that are not a high surrogate followed by a low one
/// (serde refuses the record: a rule name cut inside a UTF-16 pair, say) written as
/// `\uFFFD`; `None` when there were none.
fn replace_lone_surrogates(text: &str) -> Option<String> {
    rewrite_strings(text, |s| {
        let b = s.as_bytes();
        let unit = |at: usize| -> Option<u16> {
            let hex = b.get(at..at + 6)?.strip_prefix(b"\\u")?;
            u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
        };
        let mut out = String::new();
        let (mut copied, mut k) = (0, 0);
        while k < b.len() {
            if b[k] != b'\\' {
                k += 1;
                continue;
            }
            let Some(u) = unit(k) else {
                k += 2; // any other escape: the backslash and the escaped character
                continue;
            };
            let paired = (0xD800..0xDC00).contains(&u)
                && unit(k + 6).is_some_and(|low| (0xDC00..0xE000).contains(&low));
            if !paired && (0xD800..0xE000).contains(&u) {
                out.push_str(&s[copied..k]);
                out.push_str("\\ufffd");
                copied = k + 6;
            }
            k += if paired { 12 } else { 6 };
        }
        (copied > 0).then(|| out + &s[copied..])
    })
}

/// Raw control characters inside strings (JSON forbids them) written as `\u00XX`
/// escapes; `None` when there were none.
fn escape_controls(text: &str) -> Option<String> {
    rewrite_strings(text, |s| {
        s.bytes().any(|c| c < 0x20).then(|| {
            s.chars()
                .map(|c| match c {
                    '\0'..='\x1f' => format!("\\u{:04x}", c as u32),
                    c => c.to_string(),
                })
                .collect()
        })
    })
}

/// `text` with each JSON string in it (quotes included) as `rewrite` gives it, where it
/// gives one; `None` when it gave none.
fn rewrite_strings(text: &str, mut rewrite: impl FnMut(&str) -> Option<String>) -> Option<String> {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut copied, mut i) = (0, 0);
    while i < b.len() {
        if b[i] != b'"' {
            i += 1;
            continue;
        }
        let end = string_end(b, i);
        if let Some(new) = rewrite(&text[i..end]) {
            out.push_str(&text[copied..i]);
            out.push_str(&new);
            copied = end;
        }
        i = end;
    }
    (copied > 0).then(|| out + &text[copied..])
}

/// Takes every element that is not a string out of the `flowTuples` arrays under
/// `value`, and replaces a `flowTuples` that is not an array by an empty one; the count
/// of what was taken out (a non-array counts as one). A `null` is left as it is: every
/// reader takes it for no tuples, as it takes an absent key.
fn keep_tuple_strings(value: &mut Value, notes: &mut Vec<&'static str>) -> u64 {
    match value {
        Value::Object(map) => map
            .iter_mut()
            .map(|(key, v)| match (key.as_str(), v) {
                ("flowTuples", Value::Array(items)) => {
                    let before = items.len();
                    items.retain(Value::is_string);
                    let dropped = (before - items.len()) as u64;
                    if dropped > 0 && !notes.contains(&NOT_STRINGS) {
                        notes.push(NOT_STRINGS);
                    }
                    dropped
                }
                ("flowTuples", Value::Null) => 0,
                ("flowTuples", v) => {
                    *v = Value::Array(Vec::new());
                    if !notes.contains(&NOT_ARRAY) {
                        notes.push(NOT_ARRAY);
                    }
                    1
                }
                (_, v) => keep_tuple_strings(v, notes),
            })
            .sum(),
        Value::Array(items) => items.iter_mut().map(|v| keep_tuple_strings(v, notes)).sum(),
        _ => 0,
    }
}

/// What `check` says of each repair.
pub const TRAILING_COMMAS: &str = "trailing commas removed";
pub const CONTROLS: &str = "control characters inside strings escaped";
pub const NOT_STRINGS: &str = "flowTuples elements that are not strings rejected";
pub const NOT_ARRAY: &str = "a flowTuples that is not an array rejected";
pub const DUPLICATE_KEYS: &str = "a key given twice: its last value kept";
pub const BAD_ESCAPES: &str = "backslashes that begin no escape kept as written";
pub const LONE_SURROGATES: &str = "escapes of half a UTF-16 pair replaced by U+FFFD";

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{"properties":{"Version":2,"flows":[{"rule":"R","flows":[{"mac":"00AA","flowTuples":TUPLES}]}]}}"#;

    fn record(tuples: &str) -> String {
        RECORD.replace("TUPLES", tuples)
    }

    #[test]
    fn a_key_given_twice_keeps_its_last_value() {
        let text = record(r#"["a"]"#).replace("\"rule\":\"R\"", "\"rule\":\"R1\",\"rule\":\"R2\"");
        let r = repair(&text).unwrap();
        assert_eq!((r.notes, r.dropped), (vec![DUPLICATE_KEYS], 0));
        let v: Value = serde_json::from_str(&r.text).unwrap();
        assert_eq!(v["properties"]["flows"][0]["rule"], "R2");
    }

    #[test]
    fn elements_that_are_not_strings_are_taken_out_and_counted() {
        let r = repair(&record(r#"["a", 5, null, {"x": 1}, "b"]"#)).unwrap();
        assert_eq!(r.dropped, 3);
        assert_eq!(r.notes, [NOT_STRINGS]);
        let v: Value = serde_json::from_str(&r.text).unwrap();
        assert_eq!(
            v["properties"]["flows"][0]["flows"][0]["flowTuples"],
            serde_json::json!(["a", "b"])
        );
    }

    #[test]
    fn a_flow_tuples_string_counts_as_one_rejected_tuple() {
        let r = repair(&record(r#""1,1.1.1.1,2.2.2.2,1,2,T,I,A,B,,,,""#)).unwrap();
        assert_eq!((r.dropped, r.notes), (1, vec![NOT_ARRAY]));
    }

    /// `null` is no tuples, as the plain reader and serde read it: a repair elsewhere in
    /// the record (here a trailing comma) does not make it a rejected tuple.
    #[test]
    fn a_null_flow_tuples_is_no_tuples_not_a_rejected_one() {
        let r = repair(&record("null").replace("null}", "null},")).unwrap();
        assert_eq!((r.dropped, r.notes), (0, vec![TRAILING_COMMAS]));
    }

    /// A stray backslash costs its string, not the record: the tuple keeps it, and is
    /// then rejected by the tuple reader alone.
    #[test]
    fn backslashes_that_begin_no_escape_are_kept_as_written() {
        let text = record(r#"["1,1.1.1.1,2.2.2.2,1,2,T,I\x,A,B,,,,", "ok\n\u00e9\u12"]"#);
        let r = repair(&text).unwrap();
        assert_eq!((r.notes, r.dropped), (vec![BAD_ESCAPES], 0));
        let v: Value = serde_json::from_str(&r.text).unwrap();
        assert_eq!(
            v["properties"]["flows"][0]["flows"][0]["flowTuples"],
            serde_json::json!(["1,1.1.1.1,2.2.2.2,1,2,T,I\\x,A,B,,,,", "ok\n\u{e9}\\u12"])
        );
        assert_eq!(keep_bad_escapes(&record(r#"["a\"b\\c\/"]"#)), None);
    }

    /// Half a UTF-16 pair, alone or before anything but its other half, becomes U+FFFD;
    /// a whole pair and an escaped backslash before `u` are left as they are.
    #[test]
    fn escapes_of_half_a_pair_are_replaced() {
        let text = record(r#"["a"]"#).replace("\"R\"", r#""A\ud800B\udc00\ud83d\ude00\\ud800""#);
        let r = repair(&text).unwrap();
        assert_eq!((r.notes, r.dropped), (vec![LONE_SURROGATES], 0));
        let v: Value = serde_json::from_str(&r.text).unwrap();
        assert_eq!(
            v["properties"]["flows"][0]["rule"],
            "A\u{fffd}B\u{fffd}\u{1f600}\\ud800"
        );
        assert_eq!(
            replace_lone_surrogates(r#"{"a":"\ud83d\ude00 \\udc00"}"#),
            None
        );
    }

    #[test]
    fn raw_control_characters_in_strings_are_escaped() {
        let text = record("[\"1,1.1.1.1,\n2.2.2.2\",\t\"x\"]");
        let r = repair(&text).unwrap();
        assert_eq!(r.notes, ["control characters inside strings escaped"]);
        assert_eq!(r.dropped, 0);
        let v: Value = serde_json::from_str(&r.text).unwrap();
        assert_eq!(
            v["properties"]["flows"][0]["flows"][0]["flowTuples"],
            serde_json::json!(["1,1.1.1.1,\n2.2.2.2", "x"])
        );
        // A tab between elements is whitespace, not inside a string: left alone.
        assert_eq!(
            escape_controls("[\"a\",\t\"b\u{1}\"]").unwrap(),
            "[\"a\",\t\"b\\u0001\"]"
        );
    }

    #[test]
    fn repairs_combine_and_a_duplicate_key_keeps_the_last() {
        let text = RECORD
            .replace("\"rule\":\"R\"", "\"rule\":\"R1\",\"rule\":\"R2\"")
            .replace("TUPLES", "[\"a\",\n7,]");
        let r = repair(&text).unwrap();
        assert_eq!(
            r.notes,
            ["trailing commas removed", NOT_STRINGS, DUPLICATE_KEYS]
        );
        assert_eq!(r.dropped, 1);
        let v: Value = serde_json::from_str(&r.text).unwrap();
        assert_eq!(v["properties"]["flows"][0]["rule"], "R2");
    }

    #[test]
    fn keys_given_twice_are_found_in_any_object_only_as_keys() {
        assert!(has_duplicate_keys(r#"{"a":1,"b":{"c":2,"c":3}}"#));
        assert!(has_duplicate_keys(r#"[{"a":1},{"b":[{"x":1,"x":2}]}]"#));
        assert!(!has_duplicate_keys(
            r#"{"a":"a","b":{"a":1},"c":["a","a"]}"#
        ));
        assert!(!has_duplicate_keys(r#"{"a\"":1,"a":2}"#));
        // The same key in sibling objects is no repeat.
        assert!(!has_duplicate_keys(r#"[{"rule":"R1"},{"rule":"R2"}]"#));
        // A record of the wrong type, with nothing to repair, is left alone.
        assert_eq!(repair(r#"{"properties":{"Version":"two"}}"#), None);
    }

    #[test]
    fn text_that_stays_invalid_is_not_repaired() {
        assert_eq!(repair(&record("[\"a\" \"b\"]")), None);
    }
}

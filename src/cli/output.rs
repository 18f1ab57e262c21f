//! Output formats shared by the commands: aligned tables (sanitized, thousands
//! separators), CSV (RFC 4180) and JSON values.

use crate::model::{format_time_ms, Thousands};
use crate::text::sanitize;
use std::borrow::Cow;
use std::io::{self, Write};

/// One value of an output cell, kept typed until a format decides how to write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    /// Text, possibly from the logs (sanitized in tables, escaped in CSV and JSON).
    Text(Cow<'a, str>),
    /// An identifier-like number (port, version): never with separators.
    Int(u64),
    /// An amount (tuples, bytes, packets): separators in tables.
    Count(u64),
    /// Milliseconds since the epoch, written as RFC 3339 UTC.
    Time(i64),
    /// Absent (NSG v1 state, VNet decision-less fields…).
    Null,
}

impl Value<'_> {
    /// As a table cell: safe for the terminal.
    pub fn table(&self) -> String {
        match self {
            Value::Text(s) => sanitize(s).into_owned(),
            Value::Int(n) => n.to_string(),
            Value::Count(n) => Thousands(*n).to_string(),
            Value::Time(ms) => format_time_ms(*ms),
            Value::Null => "-".to_string(),
        }
    }

    /// As a CSV field, quoted when needed. Control characters are replaced as in a table:
    /// CSV is read in terminals too, and has no way to escape them (NDJSON keeps them,
    /// escaped).
    pub fn csv(&self) -> Cow<'_, str> {
        match self {
            Value::Text(s) => match sanitize(s) {
                Cow::Borrowed(plain) => csv_quote(plain),
                Cow::Owned(replaced) => Cow::Owned(csv_quote(&replaced).into_owned()),
            },
            Value::Int(n) | Value::Count(n) => Cow::Owned(n.to_string()),
            Value::Time(ms) => Cow::Owned(format_time_ms(*ms)),
            Value::Null => Cow::Borrowed(""),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        match self {
            Value::Text(s) => serde_json::Value::String(s.to_string()),
            Value::Int(n) | Value::Count(n) => serde_json::Value::from(*n),
            Value::Time(ms) => serde_json::Value::String(format_time_ms(*ms)),
            Value::Null => serde_json::Value::Null,
        }
    }

    /// Whether a table right-aligns this value.
    fn numeric(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Count(_))
    }
}

/// A JSON object that keeps its keys in the given order (column order, as documented).
pub struct JsonObject<'a>(pub Vec<(&'a str, serde_json::Value)>);

impl serde::Serialize for JsonObject<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// RFC 4180: quote a field holding a comma, quote or line break (or any other control
/// character, so it stands out); double inner quotes.
pub fn csv_quote(s: &str) -> Cow<'_, str> {
    if s.contains([',', '"']) || s.chars().any(char::is_control) {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(s)
    }
}

/// Writes a CSV header and rows, CRLF-free (one `\n` per record, as most tools expect).
pub fn write_csv<'a>(
    out: &mut dyn Write,
    header: &[&str],
    rows: impl Iterator<Item = Vec<Value<'a>>>,
) -> io::Result<()> {
    writeln!(out, "{}", header.join(","))?;
    for row in rows {
        let cells: Vec<Cow<str>> = row.iter().map(Value::csv).collect();
        writeln!(out, "{}", cells.join(","))?;
    }
    Ok(())
}

/// Writes an aligned table: a header, then `count` rows made by `row(i)`. Rows are built
/// twice (widths, then output) so a large result never sits in memory as text.
pub fn write_table<'a>(
    out: &mut dyn Write,
    header: &[&str],
    count: usize,
    row: impl Fn(usize) -> Vec<Value<'a>>,
) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| crate::text::width(h)).collect();
    let mut numeric = vec![false; header.len()];
    for i in 0..count {
        for (c, v) in row(i).iter().enumerate().take(header.len()) {
            widths[c] = widths[c].max(crate::text::width(&v.table()));
            numeric[c] |= v.numeric();
        }
    }
    let header_cells: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    write_line(out, &header_cells, &widths, &numeric)?;
    for i in 0..count {
        let cells: Vec<String> = row(i).iter().map(Value::table).collect();
        write_line(out, &cells, &widths, &numeric)?;
    }
    Ok(())
}

fn write_line(
    out: &mut dyn Write,
    cells: &[String],
    widths: &[usize],
    numeric: &[bool],
) -> io::Result<()> {
    let mut line = String::new();
    for (c, cell) in cells.iter().enumerate() {
        let pad = widths[c].saturating_sub(crate::text::width(cell));
        if c > 0 {
            line.push_str("  ");
        }
        if numeric[c] {
            line.extend(std::iter::repeat_n(' ', pad));
            line.push_str(cell);
        } else {
            line.push_str(cell);
            // No trailing blanks after the last column.
            if c + 1 < cells.len() {
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
    }
    writeln!(out, "{line}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value<'_> {
        Value::Text(Cow::Borrowed(s))
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_quote("plain"), "plain");
        assert_eq!(csv_quote("a,b"), "\"a,b\"");
        assert_eq!(csv_quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_quote("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn tables_align_sanitize_and_separate_thousands() {
        let rows = [
            vec![text("evil\x1b[2J"), Value::Count(1234567), Value::Int(3389)],
            vec![text("ok"), Value::Count(5), Value::Null],
        ];
        let mut out = Vec::new();
        write_table(&mut out, &["rule", "tuples", "port"], rows.len(), |i| {
            rows[i].clone()
        })
        .unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(!s.contains('\x1b'));
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "rule         tuples  port");
        assert_eq!(lines[1], "evil\u{FFFD}[2J  1,234,567  3389");
        assert_eq!(lines[2], "ok                5     -");
    }

    /// A CJK rule name or an emoji takes two columns a character: the columns after it
    /// still line up with the header.
    #[test]
    fn wide_characters_keep_the_columns_aligned() {
        let rows = [
            vec![text("Règle_日本語_🔥"), Value::Count(7)],
            vec![text("ascii"), Value::Count(12)],
        ];
        let mut out = Vec::new();
        write_table(&mut out, &["rule", "tuples"], rows.len(), |i| {
            rows[i].clone()
        })
        .unwrap();
        let s = String::from_utf8(out).unwrap();
        let ends: Vec<usize> = s.lines().map(crate::text::width).collect();
        assert_eq!(ends, [ends[0]; 3], "{s}");
    }

    #[test]
    fn json_numbers_are_plain_integers() {
        assert_eq!(Value::Count(1234).json(), serde_json::json!(1234));
        assert_eq!(
            Value::Time(1_542_110_377_000).json(),
            serde_json::json!("2018-11-13T11:59:37Z")
        );
        assert_eq!(Value::Null.json(), serde_json::Value::Null);
        let object = JsonObject(vec![("z", Value::Int(1).json()), ("a", Value::Null.json())]);
        assert_eq!(
            serde_json::to_string(&object).unwrap(),
            r#"{"z":1,"a":null}"#
        );
    }
}

//! Text from the logs made safe for a terminal: control characters (escape sequences
//! included) are replaced, so a hostile rule name cannot move the cursor or recolour.
//! And how wide text is on a terminal, where a CJK character or an emoji takes two
//! columns: tables and carets line up by columns, not characters.

use std::borrow::Cow;
use unicode_width::UnicodeWidthChar;

/// Columns `s` takes on a terminal.
pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Columns the first `chars` characters of `s` take.
pub fn width_of_first(s: &str, chars: usize) -> usize {
    s.chars().take(chars).map(char_width).sum()
}

/// The characters of `s` that lie wholly in columns `from..from + len`.
pub fn columns(s: &str, from: usize, len: usize) -> String {
    let mut at = 0;
    let mut out = String::new();
    for c in s.chars() {
        let w = char_width(c);
        if at >= from && at + w <= from + len {
            out.push(c);
        }
        at += w;
    }
    out
}

fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Replaces every control character with `�`, keeping the rest as is.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| if is_unsafe(c) { '\u{FFFD}' } else { c })
            .collect(),
    )
}

fn is_unsafe(c: char) -> bool {
    // C0, DEL and C1 controls; also bidi overrides, which can reorder what a reader sees.
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(width("rule_日本語"), 11);
        assert_eq!(width("🔥a"), 3);
        assert_eq!(width_of_first("日本語 and x", 4), 7);
        assert_eq!(columns("ab日本c", 1, 4), "b日");
        assert_eq!(columns("ab日本c", 3, 4), "本c");
        assert_eq!(columns("abc", 0, 10), "abc");
    }

    #[test]
    fn escape_sequences_are_neutralised() {
        assert_eq!(sanitize("plain_rule"), Cow::Borrowed("plain_rule"));
        assert_eq!(
            sanitize("evil\x1b[2Jrule\r\n"),
            "evil\u{FFFD}[2Jrule\u{FFFD}\u{FFFD}"
        );
        assert_eq!(sanitize("a\u{9b}b"), "a\u{FFFD}b");
    }
}

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

/// `s` broken into lines of at most `width` columns, at spaces where a word fits; a word
/// wider than a line is cut. Always at least one line.
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = vec![String::new()];
    for word in s.split(' ').filter(|w| !w.is_empty()) {
        let line = lines.last_mut().expect("one line at least");
        let gap = usize::from(!line.is_empty());
        if self::width(line) + gap + self::width(word) <= width {
            if gap == 1 {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        let mut rest = word.to_string();
        if !line.is_empty() {
            lines.push(String::new());
        }
        while self::width(&rest) > width {
            let mut head = columns(&rest, 0, width);
            if head.is_empty() {
                // A character wider than the line: it goes alone.
                head = rest.chars().take(1).collect();
            }
            rest = rest[head.len()..].to_string();
            *lines.last_mut().expect("one line at least") = head;
            if rest.is_empty() {
                break;
            }
            lines.push(String::new());
        }
        lines.last_mut().expect("one line at least").push_str(&rest);
    }
    lines
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
    fn wrapping_breaks_at_spaces_and_cuts_only_words_too_long() {
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(wrap("a bb ccc", 8), ["a bb ccc"]);
        assert_eq!(wrap("abcdefghij k", 4), ["abcd", "efgh", "ij k"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(wrap("  spaced  out ", 20), ["spaced out"]);
        // By columns: a CJK character takes two.
        assert_eq!(wrap("日本 語", 4), ["日本", "語"]);
        assert_eq!(wrap("日本", 1), ["日", "本"]);
        for text in ["a bb ccc dddd", "日本語のテキスト x y", "word"] {
            for width in 1..12 {
                let lines = wrap(text, width);
                assert!(lines.iter().all(|l| width_ok(l, width)), "{text} {width}");
                let joined: String = lines.concat().chars().filter(|c| *c != ' ').collect();
                let want: String = text.chars().filter(|c| *c != ' ').collect();
                assert_eq!(joined, want, "{text} {width}");
            }
        }
    }

    fn width_ok(line: &str, max: usize) -> bool {
        width(line) <= max || line.chars().count() == 1
    }

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

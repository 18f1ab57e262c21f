//! Text from the logs made safe for a terminal: control characters (escape sequences
//! included) are replaced, so a hostile rule name cannot move the cursor or recolour.

use std::borrow::Cow;

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
    fn escape_sequences_are_neutralised() {
        assert_eq!(sanitize("plain_rule"), Cow::Borrowed("plain_rule"));
        assert_eq!(
            sanitize("evil\x1b[2Jrule\r\n"),
            "evil\u{FFFD}[2Jrule\u{FFFD}\u{FFFD}"
        );
        assert_eq!(sanitize("a\u{9b}b"), "a\u{FFFD}b");
    }
}

//! A bad filter, shown as the filter text with a caret under the error.

use crate::filter::FilterError;
use crate::text::sanitize;
use std::fmt;

/// A filter that did not compile, with the text it came from.
#[derive(Debug)]
pub struct BadFilter {
    pub text: String,
    pub error: FilterError,
}

impl std::error::Error for BadFilter {}

impl fmt::Display for BadFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.error;
        // Sanitizing replaces characters one for one, so the caret stays in its column;
        // it is indented by the columns the text before it takes (a CJK character two).
        let shown = sanitize(&self.text);
        let column = e.position.min(shown.chars().count());
        let indent = crate::text::width_of_first(&shown, column);
        writeln!(f, "bad filter at column {}: {}", column + 1, e.message)?;
        writeln!(f, "  {shown}")?;
        // The suggestion is said once, on the first line; the caret says what is wrong.
        let (what, suggested) = match e.message.split_once("; did you mean") {
            Some((what, _)) => (what, true),
            None => (e.message.as_str(), false),
        };
        write!(f, "  {}^ {what}", " ".repeat(indent))?;
        if !e.suggestions.is_empty() && !suggested {
            let names: Vec<_> = e.suggestions.iter().map(|s| sanitize(s)).collect();
            write!(f, "\n  did you mean: {}?", names.join(", "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caret_sits_under_the_error() {
        let bad = BadFilter {
            text: "dport == 33x9".into(),
            error: FilterError {
                position: 11,
                message: "expected a port number".into(),
                suggestions: vec![],
            },
        };
        let shown = bad.to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines[0], "bad filter at column 12: expected a port number");
        assert_eq!(lines[1], "  dport == 33x9");
        assert_eq!(lines[2], "             ^ expected a port number");
        let caret = lines[2].find('^').unwrap();
        assert_eq!(&lines[1][caret..caret + 1], "x");
    }

    /// Wide characters before the error: the caret is indented by their columns.
    #[test]
    fn the_caret_sits_under_the_error_after_wide_characters() {
        let text = "rule == \"日本語\" and dprt == 1";
        let bad = BadFilter {
            text: text.into(),
            error: FilterError {
                position: text
                    .find("dprt")
                    .map(|b| text[..b].chars().count())
                    .unwrap(),
                message: "unknown field `dprt`".into(),
                suggestions: vec![],
            },
        };
        let shown = bad.to_string();
        let lines: Vec<&str> = shown.lines().collect();
        let caret = crate::text::width(&lines[2][..lines[2].find('^').unwrap()]);
        let error = crate::text::width(&lines[1][..lines[1].find("dprt").unwrap()]);
        assert_eq!(caret, error, "{shown}");
    }

    #[test]
    fn suggestions_follow() {
        let bad = BadFilter {
            text: "dprot == 1".into(),
            error: FilterError {
                position: 0,
                message: "unknown field `dprot`".into(),
                suggestions: vec!["dport".into(), "sport".into()],
            },
        };
        assert!(bad.to_string().ends_with("\n  did you mean: dport, sport?"));
    }

    #[test]
    fn a_suggestion_in_the_message_is_said_once() {
        let bad = BadFilter {
            text: "dprot == 1".into(),
            error: FilterError {
                position: 0,
                message: "unknown field `dprot`; did you mean `dport`?".into(),
                suggestions: vec!["dport".into(), "sport".into()],
            },
        };
        let shown = bad.to_string();
        assert_eq!(shown.matches("did you mean").count(), 1, "{shown}");
        assert!(shown.ends_with("\n  ^ unknown field `dprot`"), "{shown}");
    }
}

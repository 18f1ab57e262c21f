//! Completion for the explorer's filter bar: what may come next at the end of the text.

use super::lexer::{self, Kind, Token};
use super::vocab;
use crate::field::Field;

pub use super::vocab::value_keywords;

/// Every field name, in DESIGN.md order.
pub fn field_names() -> impl Iterator<Item = &'static str> {
    Field::ALL.into_iter().map(Field::name)
}

/// Candidates to replace the text from character `start` to the end.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Completion {
    pub start: usize,
    pub candidates: Vec<String>,
}

/// Completes the word at the end of `text` (or the next word after a space): field names
/// and shorthands where a term starts, operators after a field, a field's value keywords
/// after its operator, `and`/`or` after a value.
pub fn complete(text: &str) -> Completion {
    let len = text.chars().count();
    let Ok(tokens) = lexer::tokenize(text) else {
        return Completion {
            start: len,
            candidates: Vec::new(),
        };
    };
    let (prefix, start, context) = match tokens.split_last() {
        Some((last, rest)) if last.word().is_some() && last.pos + last.len == len => {
            (last.word().unwrap_or(""), last.pos, rest)
        }
        _ => ("", len, &tokens[..]),
    };
    let candidates = next_words(context)
        .into_iter()
        .filter(|c| c.to_lowercase().starts_with(&prefix.to_lowercase()))
        .collect();
    Completion { start, candidates }
}

/// The words that may follow `context`.
fn next_words(context: &[Token]) -> Vec<String> {
    let owned = |words: &[&str]| words.iter().map(|w| w.to_string()).collect();
    let Some(last) = context.last() else {
        return term_starts();
    };
    let before = context.len().checked_sub(2).and_then(|i| context.get(i));
    let field_of = |t: Option<&Token>| t.and_then(Token::word).and_then(vocab::resolve_field);
    match &last.kind {
        Kind::Op(_) => field_of(before).map_or_else(Vec::new, |f| owned(value_keywords(f))),
        Kind::Word(_) if last.is_keyword("in") => {
            field_of(before).map_or_else(Vec::new, |f| owned(value_keywords(f)))
        }
        Kind::Word(_) if ["and", "or", "not"].iter().any(|k| last.is_keyword(k)) => term_starts(),
        Kind::Word(w) if !after_operator(context) && vocab::resolve_field(w).is_some() => {
            vocab::resolve_field(w).map_or_else(Vec::new, |f| owned(vocab::operators(f)))
        }
        Kind::Word(_) | Kind::Str(_) | Kind::RBrace | Kind::RParen => owned(&["and", "or"]),
        Kind::LBrace | Kind::Comma => {
            set_field(context).map_or_else(Vec::new, |f| owned(value_keywords(f)))
        }
        _ => term_starts(),
    }
}

/// True when the word before the last token is an operator (the last word is a value).
fn after_operator(context: &[Token]) -> bool {
    context.len() >= 2 && {
        let t = &context[context.len() - 2];
        matches!(t.kind, Kind::Op(_)) || t.is_keyword("in")
    }
}

/// The field of the `{…}` set being typed.
fn set_field(context: &[Token]) -> Option<Field> {
    let open = context.iter().rposition(|t| t.kind == Kind::LBrace)?;
    let field = context.get(open.checked_sub(2)?)?;
    vocab::resolve_field(field.word()?)
}

fn term_starts() -> Vec<String> {
    field_names()
        .chain(vocab::SHORTHANDS.iter().map(|s| s.0))
        .chain(["not", "last"])
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates(text: &str) -> Vec<String> {
        complete(text).candidates
    }

    #[test]
    fn completes_fields_operators_values_and_connectives() {
        assert_eq!(candidates("dp"), vec!["dport"]);
        assert_eq!(complete("deny and dp").start, 9);
        assert!(candidates("").contains(&"deny".to_string()));
        assert!(candidates("dport ").contains(&"==".to_string()));
        assert_eq!(candidates("dir == "), vec!["in", "out"]);
        assert_eq!(candidates("action == d"), vec!["deny"]);
        assert_eq!(
            candidates("state in {begin, "),
            vec!["begin", "continue", "end", "deny"]
        );
        assert_eq!(candidates("dport == 22 "), vec!["and", "or"]);
        assert_eq!(candidates("tcp and in"), vec!["inbound"]);
        assert!(candidates("rule == \"open").is_empty());
    }

    #[test]
    fn field_names_list_every_field() {
        assert_eq!(field_names().count(), Field::ALL.len());
        assert_eq!(value_keywords(Field::Dir), &["in", "out"]);
    }
}

//! Tab completion in the filter bar: the filter language's own completion (fields,
//! operators, keywords, connectives), plus values seen in the data for the field being
//! compared (rules, addresses, ports, …).

use super::worker::Vocabulary;
use crate::field::Field;
use crate::filter;

const MAX_CANDIDATES: usize = 50;
const OPERATORS: [&str; 9] = ["==", "!=", "~", "!~", "in", "<", ">", "<=", ">="];

/// The word being completed and what it can become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// Character offset where the word starts.
    pub start: usize,
    /// Character offset where the word ends (the cursor).
    pub end: usize,
    pub candidates: Vec<String>,
}

/// Candidates for the word that ends at character `cursor` of `text`.
pub fn complete(text: &str, cursor: usize, vocab: &Vocabulary) -> Completion {
    let chars: Vec<char> = text.chars().collect();
    let end = cursor.min(chars.len());
    let mut start = end;
    while start > 0 && !is_boundary(chars[start - 1]) {
        start -= 1;
    }
    let word: String = chars[start..end].iter().collect();
    let before: String = chars[..start].iter().collect();
    let Some((field, op)) = field_being_compared(&before) else {
        // Not a value of a field: the language knows what may come next.
        let head: String = chars[..end].iter().collect();
        let language = filter::complete(&head);
        return Completion {
            start: language.start,
            end,
            candidates: language
                .candidates
                .into_iter()
                .take(MAX_CANDIDATES)
                .collect(),
        };
    };
    // Only values the comparison takes: none after an operator the field refuses.
    let takes = filter::operators(field).contains(&op);
    let lower = word.trim_start_matches('"').to_ascii_lowercase();
    let candidates = values(field, vocab)
        .into_iter()
        .filter(|c| {
            takes
                && c.trim_start_matches('"')
                    .to_ascii_lowercase()
                    .starts_with(&lower)
        })
        .take(MAX_CANDIDATES)
        .collect();
    Completion {
        start,
        end,
        candidates,
    }
}

fn is_boundary(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '{' | '}' | ',' | '=' | '!' | '<' | '>' | '~')
}

/// `dport == ` → `dport`, `==`: the field and operator when the text before the word
/// ends in `FIELD OP`.
fn field_being_compared(before: &str) -> Option<(Field, &'static str)> {
    let trimmed = before.trim_end();
    // Inside a set (`dport in {22, `): the comparison before its `{`.
    if let Some(open) = trimmed.rfind('{') {
        if !trimmed[open..].contains('}') {
            return field_being_compared(&trimmed[..open]);
        }
    }
    let op = OPERATORS
        .iter()
        .filter(|op| trimmed.to_ascii_lowercase().ends_with(*op))
        .max_by_key(|op| op.len())?;
    let rest = trimmed[..trimmed.len() - op.len()].trim_end();
    let field_start = rest
        .rfind(|c: char| c.is_whitespace() || c == '(')
        .map(|i| i + 1)
        .unwrap_or(0);
    Field::parse(&rest[field_start..]).map(|f| (f, *op))
}

fn values(field: Field, vocab: &Vocabulary) -> Vec<String> {
    match field {
        Field::Rule => vocab.rules.iter().map(|r| quote(r)).collect(),
        Field::Nsg => vocab.nsgs.iter().map(|r| quote(r)).collect(),
        Field::Mac => vocab.macs.iter().map(|r| quote(r)).collect(),
        Field::Flowlog => vocab.flowlogs.iter().map(|r| quote(r)).collect(),
        Field::Target => vocab.targets.iter().map(|r| quote(r)).collect(),
        Field::Acl => vocab.acls.iter().map(|r| quote(r)).collect(),
        Field::Version => vocab.versions.iter().map(|v| v.to_string()).collect(),
        Field::Encryption => vocab.encryptions.clone(),
        Field::Src => vocab.sources.clone(),
        Field::Dst => vocab.destinations.clone(),
        Field::Ip => vocab.addresses.clone(),
        Field::Sport => numbers(&vocab.sports),
        Field::Dport => numbers(&vocab.dports),
        Field::Port => numbers(&vocab.ports),
        other => filter::value_keywords(other)
            .iter()
            .map(|s| s.to_string())
            .collect(),
    }
}

fn numbers(ports: &[u16]) -> Vec<String> {
    ports.iter().map(|p| p.to_string()).collect()
}

/// Names with characters outside `[A-Za-z0-9_.-]` are quoted.
fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('"', "\\\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocabulary {
        Vocabulary {
            rules: vec!["DefaultRule_DenyAllInBound".into(), "UserRule_RDP".into()],
            nsgs: vec![],
            macs: vec!["000D3AF87856".into()],
            flowlogs: vec!["fl-1".into()],
            targets: vec![],
            acls: vec![],
            versions: vec![2, 1],
            encryptions: vec!["X".into(), "-".into()],
            addresses: vec!["10.0.0.4".into(), "203.0.113.9".into()],
            sources: vec!["203.0.113.9".into()],
            destinations: vec!["10.0.0.4".into()],
            ports: vec![3389, 22, 443, 51234],
            sports: vec![51234],
            dports: vec![3389, 22, 443],
        }
    }

    /// What Tab offers with the cursor at the end of `text`.
    fn candidates(text: &str) -> Vec<String> {
        complete(text, text.chars().count(), &vocab()).candidates
    }

    #[test]
    fn completes_operators_and_connectives_from_the_language() {
        let c = complete("dport ", 6, &vocab());
        assert!(c.candidates.contains(&"==".to_string()), "{c:?}");
        let c = complete("dir == ", 7, &vocab());
        assert_eq!(c.candidates, vec!["in", "out"]);
    }

    #[test]
    fn completes_field_names_at_the_start() {
        let c = complete("dp", 2, &vocab());
        assert_eq!(c.candidates, vec!["dport"]);
        assert_eq!((c.start, c.end), (0, 2));
    }

    #[test]
    fn completes_values_of_the_compared_field() {
        let c = complete("deny and rule == User", 21, &vocab());
        assert_eq!(c.candidates, vec!["UserRule_RDP"]);
        assert_eq!(c.start, 17);
        let c = complete("dport==3", 8, &vocab());
        assert_eq!(c.candidates, vec!["3389"]);
        let c = complete("src == 2", 8, &vocab());
        assert_eq!(c.candidates, vec!["203.0.113.9"]);
    }

    /// No value is offered after an operator the field does not take.
    #[test]
    fn no_values_after_an_operator_the_field_refuses() {
        assert_eq!(candidates("src ~ "), Vec::<String>::new());
        assert_eq!(candidates("dport > 3"), vec!["3389"]);
        assert_eq!(candidates("rule !~ User"), vec!["UserRule_RDP"]);
        assert_eq!(candidates("rule < User"), Vec::<String>::new());
    }

    /// Each side is completed with what was seen on that side only.
    #[test]
    fn each_side_completes_with_its_own_values() {
        assert_eq!(candidates("src == 10"), Vec::<String>::new());
        assert_eq!(candidates("dst == 10"), vec!["10.0.0.4"]);
        assert_eq!(candidates("ip == 10"), vec!["10.0.0.4"]);
        assert_eq!(candidates("sport == 3"), Vec::<String>::new());
        assert_eq!(candidates("dport == 5"), Vec::<String>::new());
        assert_eq!(candidates("sport == 5"), vec!["51234"]);
        assert_eq!(candidates("port == 5"), vec!["51234"]);
        assert_eq!(candidates("mac == 000"), vec!["000D3AF87856"]);
        // Inside a set, after its brace or a comma.
        assert_eq!(candidates("dport in {3"), vec!["3389"]);
        assert_eq!(candidates("dport in {22, 4"), vec!["443"]);
        assert_eq!(
            candidates("dport in {22} and src == 2"),
            vec!["203.0.113.9"]
        );
        assert_eq!(candidates("version == "), vec!["2", "1"]);
        assert_eq!(candidates("flowlog == f"), vec!["fl-1"]);
    }
}

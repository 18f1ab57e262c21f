//! The words of the language: field names and aliases, bare shorthands, the value
//! keywords of each field, and nearest-name suggestions for typos.

use crate::field::Field;

/// Other names people type for a field.
const ALIASES: [(&str, Field); 10] = [
    ("protocol", Field::Proto),
    ("direction", Field::Dir),
    ("decision", Field::Action),
    ("host", Field::Ip),
    ("addr", Field::Ip),
    ("src_port", Field::Sport),
    ("dst_port", Field::Dport),
    ("src_ip", Field::Src),
    ("dst_ip", Field::Dst),
    ("flow_log", Field::Flowlog),
];

/// A field by name or alias, case-insensitively.
pub fn resolve_field(word: &str) -> Option<Field> {
    Field::parse(word).or_else(|| {
        ALIASES
            .iter()
            .find(|(alias, _)| alias.eq_ignore_ascii_case(word))
            .map(|&(_, f)| f)
    })
}

/// Words that stand alone for `field == value` (or `field in {values}`). Service names
/// match either port, so both directions of a conversation show. Every `NX` status is
/// unencrypted, not only the plain `NX`.
pub const SHORTHANDS: [(&str, Field, &[&str]); 18] = [
    ("deny", Field::Action, &["deny"]),
    ("denied", Field::Action, &["deny"]),
    ("allow", Field::Action, &["allow"]),
    ("allowed", Field::Action, &["allow"]),
    ("inbound", Field::Dir, &["in"]),
    ("outbound", Field::Dir, &["out"]),
    ("tcp", Field::Proto, &["tcp"]),
    ("udp", Field::Proto, &["udp"]),
    ("icmp", Field::Proto, &["icmp"]),
    ("icmpv6", Field::Proto, &["icmpv6"]),
    ("encrypted", Field::Encryption, &["X"]),
    ("unencrypted", Field::Encryption, UNENCRYPTED),
    ("ssh", Field::Port, &["22"]),
    ("rdp", Field::Port, &["3389"]),
    ("http", Field::Port, &["80"]),
    ("https", Field::Port, &["443"]),
    ("dns", Field::Port, &["53"]),
    ("smb", Field::Port, &["445"]),
];

/// Encryption statuses: `X`, then the unencrypted ones (FORMATS.md).
const ENCRYPTION: [&str; 8] = [
    "X",
    "NX",
    "NX_HW_NOT_SUPPORTED",
    "NX_SW_NOT_READY",
    "NX_NOT_ACCEPTED",
    "NX_NOT_SUPPORTED",
    "NX_LOCAL_DST",
    "NX_FALLBACK",
];

/// Every status but `X`.
const UNENCRYPTED: &[&str] = ENCRYPTION.split_at(1).1;

/// The shorthand's meaning, as a field and the values it stands for.
pub fn shorthand(word: &str) -> Option<(Field, &'static [&'static str])> {
    SHORTHANDS
        .iter()
        .find(|(w, _, _)| w.eq_ignore_ascii_case(word))
        .map(|&(_, f, v)| (f, v))
}

/// The operators a field takes, as `check` enforces them: text is matched (`~`), not
/// ordered; addresses and the fields of a few letters are only equal or not; numbers and
/// times take every comparison.
pub fn operators(field: Field) -> &'static [&'static str] {
    match field {
        f if f.is_text() => &["==", "!=", "in", "~", "!~"],
        Field::Src | Field::Dst | Field::Ip | Field::Dir | Field::Action | Field::State => {
            &["==", "!=", "in"]
        }
        _ => &["==", "!=", "<", "<=", ">", ">=", "in"],
    }
}

/// The keywords a field's values are spelled with (empty for free values).
pub fn value_keywords(field: Field) -> &'static [&'static str] {
    match field {
        Field::Dir => &["in", "out"],
        Field::Action => &["allow", "deny"],
        Field::State => &["begin", "continue", "end", "deny"],
        Field::Proto => &["tcp", "udp", "icmp", "icmpv6"],
        Field::Encryption => &ENCRYPTION,
        _ => &[],
    }
}

/// Known names within a small edit distance of `word`, nearest first.
pub fn suggestions<'a>(word: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let word = word.to_ascii_lowercase();
    let limit = (word.chars().count() / 2).clamp(1, 3);
    // A name the word begins comes first, as Tab completes it (`dp` → `dport`), then
    // the nearest by edits.
    let mut near: Vec<(bool, usize, &str)> = names
        .map(|n| (!n.starts_with(word.as_str()), edit_distance(&word, n), n))
        .filter(|&(later, d, _)| !later || d <= limit)
        .collect();
    near.sort();
    near.into_iter().map(|(_, _, n)| n.to_string()).collect()
}

/// Field names nearest to an unknown `word`.
pub fn field_suggestions(word: &str) -> Vec<String> {
    suggestions(word, Field::ALL.iter().map(|f| f.name()))
}

/// Edit distance counting a swap of neighbours as one edit (`dprot` → `dport` is 1).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// "unknown field `x`; did you mean `y`?" naming the nearest candidates.
pub fn unknown_message(kind: &str, word: &str, suggestions: &[String]) -> String {
    let nearest: Vec<String> = match suggestions.first() {
        Some(first) => {
            let best = edit_distance(&word.to_ascii_lowercase(), first);
            suggestions
                .iter()
                .filter(|s| edit_distance(&word.to_ascii_lowercase(), s) == best)
                .map(|s| format!("`{s}`"))
                .collect()
        }
        None => Vec::new(),
    };
    if nearest.is_empty() {
        format!("unknown {kind} `{word}`")
    } else {
        format!(
            "unknown {kind} `{word}`; did you mean {}?",
            nearest.join(" or ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_resolve_by_name_and_alias() {
        assert_eq!(resolve_field("DPORT"), Some(Field::Dport));
        assert_eq!(resolve_field("protocol"), Some(Field::Proto));
        assert_eq!(resolve_field("dprot"), None);
    }

    #[test]
    fn suggestions_prefer_the_nearest_names() {
        assert_eq!(edit_distance("dprot", "dport"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        let s = field_suggestions("dprot");
        assert_eq!(s.first().map(String::as_str), Some("dport"));
        assert_eq!(
            unknown_message("field", "dprot", &s),
            "unknown field `dprot`; did you mean `dport`?"
        );
        assert!(field_suggestions("zzzzzzzz").is_empty());
        assert_eq!(unknown_message("field", "zz", &[]), "unknown field `zz`");
    }
}

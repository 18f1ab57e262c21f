//! Bad filters: exact positions, messages and suggestions.

use super::*;
use crate::field::Field;

#[test]
fn bad_filters_name_position_message_and_suggestions() {
    let store = Store::default();
    let cases = [
        ("dport == 33x9", 11, "expected a port number"),
        (
            "dprot == 3389",
            0,
            "unknown field `dprot`; did you mean `dport`?",
        ),
        ("dport == 70000", 9, "a port number must be at most 65535"),
        // The unknown field first, though the value is missing too (as typed so far).
        (
            "dprot ==",
            0,
            "unknown field `dprot`; did you mean `dport`?",
        ),
        ("dir == sideways", 7, "expected in or out"),
        ("action == maybe", 10, "expected allow or deny"),
        ("state == x", 9, "expected begin, continue, end or deny"),
        (
            "encryption == aes",
            14,
            "expected an encryption status such as X or NX",
        ),
        (
            "dir < in",
            4,
            "`<` does not apply to `dir`; use ==, != or in",
        ),
        (
            "dport ~ 33",
            6,
            "`~` matches text fields only (rule nsg mac flowlog target acl encryption file)",
        ),
        (
            "rule ~ \"(\"",
            7,
            "invalid regular expression: unclosed group",
        ),
        (
            "src == 10.0.0.0/40",
            16,
            "expected a prefix length from 0 to 32",
        ),
        (
            "src == 10.0.0",
            7,
            "expected an IP address or a CIDR such as 10.0.0.0/8",
        ),
        ("bytes > 1XB", 9, "expected a unit such as kB, MB or GiB"),
        (
            "time > yesterday",
            7,
            "expected a time such as 2024-11-18T08:30:00Z or \"2024-11-18 09:10\"",
        ),
        ("last 15", 7, "expected a unit: s, m, h, d or w"),
        ("dport < {1, 2}", 8, "expected a single value after `<`"),
        (
            "dport in 90..80",
            9,
            "range is empty: its start is after its end",
        ),
        (
            "in",
            0,
            "`in` alone is ambiguous; write `inbound` or `dir == in`",
        ),
        (
            "deny and out",
            9,
            "`out` alone is ambiguous; write `outbound` or `dir == out`",
        ),
        (
            "dport",
            5,
            "expected an operator after `dport`: == != < <= > >= in",
        ),
        (
            "denyy",
            0,
            "unknown field or shorthand `denyy`; did you mean `deny`?",
        ),
        (
            "proto == tcpp",
            9,
            "expected a protocol (tcp, udp, icmp or a number)",
        ),
        ("rule in {a..b}", 9, "a text field takes no range"),
        (
            "dport == 22 and (",
            17,
            "expected a field, a shorthand such as `deny` or `tcp`, or `(`",
        ),
    ];
    for (text, position, message) in cases {
        let e = compile(text, &store).unwrap_err();
        assert_eq!(
            (e.position, e.message.as_str()),
            (position, message),
            "{text}"
        );
        assert_eq!(columns(text).unwrap_err(), e, "{text}");
        assert_eq!(compile_unanchored(text).unwrap_err(), e, "{text}");
    }
    // An address or CIDR alone is checked as one.
    let e = compile("10.0.2.5/33", &store).unwrap_err();
    let field = compile("src == 10.0.2.5/33", &store).unwrap_err();
    assert_eq!(
        (e.position, &e.message),
        (field.position - 7, &field.message)
    );
    assert!(compile("10.0.2.5/24", &store).is_ok());
    // A name the word begins is suggested first, as Tab completes it.
    let e = compile("dp", &store).unwrap_err();
    assert_eq!(
        e.message,
        "unknown field or shorthand `dp`; did you mean `dport`?"
    );
    // An operator the field does not take is named before the missing value, and the
    // message lists the ones it takes.
    let e = compile("src >", &store).unwrap_err();
    assert_eq!(
        (e.position, e.message.as_str()),
        (4, "`>` does not apply to `src`; use ==, != or in")
    );
    let e = compile("rule < x", &store).unwrap_err();
    assert_eq!(
        e.message,
        "`<` does not apply to `rule`; use ==, !=, in, ~ or !~"
    );
    // A field alone names the operators that field takes.
    let e = compile("src", &store).unwrap_err();
    assert_eq!(e.message, "expected an operator after `src`: == != in");
    let e = compile("dprot == 1", &store).unwrap_err();
    assert_eq!(e.suggestions.first().map(String::as_str), Some("dport"));
    assert!(columns("dport == 3389 and deny").is_ok());
}

/// The operators `vocab::operators` offers (in completions and messages) are exactly
/// those the checker takes: any other is refused at the operator itself.
#[test]
fn every_field_takes_the_operators_it_is_said_to_take() {
    let store = Store::default();
    let all = ["==", "!=", "<", "<=", ">", ">=", "in", "~", "!~"];
    for field in Field::ALL {
        let offered = vocab::operators(field);
        for op in all {
            let text = format!("{} {op} x", field.name());
            let op_pos = field.name().len() + 1;
            let refused_at_op = compile(&text, &store).is_err_and(|e| e.position == op_pos);
            assert_eq!(!refused_at_op, offered.contains(&op), "{text}");
        }
    }
}

//! Random text never makes the filter panic.

use super::*;

proptest::proptest! {
    /// Whatever is typed, compiling answers with a filter or an error inside the text.
    #[test]
    fn any_text_compiles_or_errors_without_panicking(text in "[a-z0-9 .:/{}(),=!<>~&|\"'_*-]{0,40}") {
        let (store, _) = fixture();
        match compile(&text, &store) {
            Ok(c) => proptest::prop_assert!(c.count(&store) <= store.len()),
            Err(e) => proptest::prop_assert!(e.position <= text.chars().count(), "{e:?}"),
        }
    }

    /// Fragments of the language glued at random.
    #[test]
    fn grammar_fragments_never_panic(parts in proptest::collection::vec(proptest::sample::select(vec![
        "dport", "ip", "time", "rule", "bytes", "==", "!=", "<", ">=", "in", "~", "!~", "not", "and",
        "or", "(", ")", "{", "}", ",", "..", "3389", "10.0.0.0/8", "1.5MB", "\"x\"", "deny", "last",
        "15m", "2024-11-18", "tcp", "in", "out", "!", "&&", "||",
    ]), 0..12)) {
        let (store, _) = fixture();
        let text = parts.join(" ");
        if let Err(e) = compile(&text, &store) {
            proptest::prop_assert!(e.position <= text.chars().count(), "{e:?}");
        }
    }
}

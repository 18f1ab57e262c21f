//! The fuzzy picker's state: rules, addresses and saved filters matched with
//! `SkimMatcherV2` as the user types.

use crossterm::event::{Event as TermEvent, KeyEvent};
use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;
use tui_input::backend::crossterm::EventHandler;
use tui_input::Input;

/// Matches kept for display.
const MAX_MATCHES: usize = 200;
/// Addresses offered (the rest are reachable through the filter).
pub const MAX_ADDRESSES: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickItem {
    Rule(String),
    Address(String),
    Saved(String),
}

impl PickItem {
    pub fn kind(&self) -> &'static str {
        match self {
            PickItem::Rule(_) => "rule",
            PickItem::Address(_) => "address",
            PickItem::Saved(_) => "filter",
        }
    }
    pub fn text(&self) -> &str {
        match self {
            PickItem::Rule(s) | PickItem::Address(s) | PickItem::Saved(s) => s,
        }
    }
}

#[derive(Default)]
pub struct Picker {
    pub input: Input,
    items: Vec<PickItem>,
    /// Each item's text in lower case, made once rather than at every key.
    lowered: Vec<String>,
    /// Indexes into `items`, best match first, at most `MAX_MATCHES` of them.
    pub matches: Vec<usize>,
    /// How many items match, all of them (`matches` keeps the best).
    pub matched: usize,
    pub cursor: usize,
    matcher: SkimMatcherV2,
}

impl std::fmt::Debug for Picker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Picker")
            .field("query", &self.input.value())
            .field("matches", &self.matches.len())
            .finish()
    }
}

impl Picker {
    pub fn new(items: Vec<PickItem>) -> Picker {
        let mut p = Picker {
            lowered: items.iter().map(|i| i.text().to_lowercase()).collect(),
            items,
            ..Picker::default()
        };
        p.refilter();
        p
    }

    pub fn item(&self, match_index: usize) -> Option<&PickItem> {
        self.matches.get(match_index).map(|&i| &self.items[i])
    }

    pub fn selected(&self) -> Option<&PickItem> {
        self.item(self.cursor)
    }

    pub fn edit(&mut self, key: KeyEvent) -> bool {
        let before = self.input.value().to_string();
        self.input.handle_event(&TermEvent::Key(key));
        let changed = self.input.value() != before;
        if changed {
            self.refilter();
        }
        changed
    }

    /// Pasted text, typed in at the cursor; true when the query changed.
    pub fn paste(&mut self, text: &str) -> bool {
        // A copied address or rule name often ends in a line break, which would become
        // a space no item has.
        let text = text.trim();
        let before = self.input.value().to_string();
        super::filter_bar::insert(&mut self.input, text);
        let changed = self.input.value() != before;
        if changed {
            self.refilter();
        }
        changed
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.matches.len().saturating_sub(1);
        self.cursor = self.cursor.saturating_add_signed(delta).min(last);
    }

    fn refilter(&mut self) {
        let query = self.input.value();
        self.cursor = 0;
        if query.is_empty() {
            self.matched = self.items.len();
            self.matches = (0..self.items.len().min(MAX_MATCHES)).collect();
            return;
        }
        // Items holding the query as it is typed come first, then the fuzzy score: `100`
        // finds the filter `bytes > 100MB` before addresses that spell 1, 0, 0 across
        // their dots.
        let lower = query.to_lowercase();
        let mut scored: Vec<(bool, i64, usize)> = self
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let score = self.matcher.fuzzy_match(item.text(), query)?;
                Some((self.lowered[i].contains(&lower), score, i))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        self.matched = scored.len();
        scored.truncate(MAX_MATCHES);
        self.matches = scored.into_iter().map(|(_, _, i)| i).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    #[test]
    fn typing_narrows_to_fuzzy_matches() {
        let mut p = Picker::new(vec![
            PickItem::Rule("DefaultRule_DenyAllInBound".into()),
            PickItem::Rule("UserRule_RDP".into()),
            PickItem::Address("10.0.0.4".into()),
        ]);
        assert_eq!(p.matches.len(), 3);
        for c in "urdp".chars() {
            p.edit(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        assert_eq!(p.selected(), Some(&PickItem::Rule("UserRule_RDP".into())));
        assert_eq!(p.matches.len(), 1);
    }

    /// An item holding the query as typed ranks above fuzzy matches that spell it out.
    #[test]
    fn the_query_as_typed_ranks_first() {
        let mut p = Picker::new(vec![
            PickItem::Address("10.0.1.4".into()),
            PickItem::Address("10.0.2.5".into()),
            PickItem::Saved("bytes > 100MB".into()),
        ]);
        assert!(p.paste("100"));
        assert_eq!(p.selected(), Some(&PickItem::Saved("bytes > 100MB".into())));
        assert_eq!(p.matched, 3);
    }

    /// More items match than are kept: the count says how many; and a pasted address
    /// with its line break finds the address.
    #[test]
    fn every_match_is_counted_and_a_pasted_line_break_is_dropped() {
        let items = (0..300)
            .map(|i| PickItem::Address(format!("10.0.{}.{}", i / 100, i % 100)))
            .collect();
        let mut p = Picker::new(items);
        assert_eq!((p.matched, p.matches.len()), (300, MAX_MATCHES));
        assert!(p.paste("10.0.2.99\n"));
        assert_eq!(p.input.value(), "10.0.2.99");
        assert_eq!(p.selected(), Some(&PickItem::Address("10.0.2.99".into())));
        assert!(p.matched < 300 && p.matched >= 1, "{}", p.matched);
    }
}

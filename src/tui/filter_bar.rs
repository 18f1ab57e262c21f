//! The filter bar's state: the text being edited, the filter in force, live validation,
//! history browsing and Tab completion.

use super::complete::{complete, Completion};
use super::worker::Vocabulary;
use crate::filter::FilterError;
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use tui_input::backend::crossterm::EventHandler;
use tui_input::Input;

#[derive(Debug, Default, Clone)]
pub struct FilterBar {
    pub input: Input,
    pub editing: bool,
    /// The filter in force (the last one kept with Enter, or set by a drill-in).
    pub kept: String,
    /// The filter in force before the last Enter, while its answer may still find the
    /// kept text wrong.
    before: String,
    /// What is wrong with the text being edited, if anything.
    pub error: Option<FilterError>,
    /// The filter in force, just opened for editing, is selected: typing replaces it (a
    /// new question), a key that moves the cursor edits it (a refinement), as in an
    /// address bar.
    pub selected: bool,
    /// Position in the history while browsing it with Up/Down (`None` = not browsing).
    history_pos: Option<usize>,
    /// The text typed before browsing the history, restored past the newest entry.
    draft: String,
    /// The last completion, so a second Tab moves to the next candidate.
    completion: Option<(Completion, usize)>,
    /// Completion candidates to show under the bar.
    pub hint: Option<String>,
}

impl FilterBar {
    /// The text the panes should show: the edited text while editing.
    pub fn current(&self) -> &str {
        if self.editing {
            self.input.value()
        } else {
            &self.kept
        }
    }

    pub fn begin(&mut self) {
        self.editing = true;
        self.input = Input::new(self.kept.clone());
        self.selected = !self.kept.is_empty();
        self.error = None;
        self.history_pos = None;
        self.completion = None;
        self.hint = None;
    }

    /// Applies a key to the text; true when the text changed.
    pub fn edit(&mut self, key: KeyEvent) -> bool {
        let before = self.input.value().to_string();
        if std::mem::take(&mut self.selected) && replaces_selection(&key) {
            self.input = Input::default();
            if matches!(key.code, KeyCode::Backspace | KeyCode::Delete) {
                return self.edited(&before);
            }
        }
        self.input.handle_event(&TermEvent::Key(key));
        self.edited(&before)
    }

    /// Inserts pasted text at the cursor (over the selected filter, as typing does), its
    /// line breaks and other control characters as spaces; true when the text changed.
    pub fn paste(&mut self, text: &str) -> bool {
        let before = self.input.value().to_string();
        if std::mem::take(&mut self.selected) {
            self.input = Input::default();
        }
        insert(&mut self.input, text);
        self.edited(&before)
    }

    /// Whether the text is no longer `before`; a change ends a completion, its hint and
    /// history browsing.
    fn edited(&mut self, before: &str) -> bool {
        let changed = self.input.value() != before;
        if changed {
            self.completion = None;
            self.hint = None;
            self.history_pos = None;
        }
        changed
    }

    /// Keeps the edited text; returns it.
    pub fn accept(&mut self) -> String {
        self.editing = false;
        self.selected = false;
        let kept = self.input.value().trim().to_string();
        self.before = std::mem::replace(&mut self.kept, kept);
        self.hint = None;
        self.kept.clone()
    }

    /// Drops the edit and goes back to the kept filter.
    pub fn cancel(&mut self) {
        self.editing = false;
        self.selected = false;
        self.error = None;
        self.hint = None;
    }

    /// The kept `text` was found wrong after Enter: back to editing it, with the filter
    /// in force the one before.
    pub fn reopen(&mut self, text: &str, error: FilterError) {
        self.kept = std::mem::take(&mut self.before);
        self.editing = true;
        self.selected = false;
        self.input = Input::new(text.to_string());
        self.error = Some(error);
        self.history_pos = None;
        self.completion = None;
        self.hint = None;
    }

    /// Sets the filter in force directly (drill-in, picker, going back).
    pub fn set(&mut self, text: String) {
        self.editing = false;
        self.error = None;
        self.hint = None;
        self.before = std::mem::replace(&mut self.kept, text);
    }

    /// Steps through `history` (oldest first); true when the text changed.
    pub fn browse(&mut self, history: &[String], older: bool) -> bool {
        if history.is_empty() {
            return false;
        }
        self.selected = false;
        let pos = match (self.history_pos, older) {
            (None, true) => {
                self.draft = self.input.value().to_string();
                // The newest entry is often the filter being edited: ↑ shows the one before.
                let newest = history.len() - 1;
                let same = history[newest] == self.draft.trim();
                Some(newest.saturating_sub(usize::from(same)))
            }
            (None, false) => return false,
            (Some(0), true) => Some(0),
            (Some(p), true) => Some(p - 1),
            (Some(p), false) if p + 1 < history.len() => Some(p + 1),
            (Some(_), false) => None,
        };
        self.history_pos = pos;
        let text = pos
            .map(|p| history[p].clone())
            .unwrap_or(self.draft.clone());
        let changed = text != self.input.value();
        self.input = Input::new(text);
        changed
    }

    /// Completes the word at the cursor; a repeated Tab cycles candidates, Shift-Tab
    /// (`back`) cycles them the other way, and starts from the last. True when the text
    /// changed.
    pub fn complete(&mut self, vocab: &Vocabulary, back: bool) -> bool {
        self.selected = false;
        let step = |i: usize, n: usize| if back { (i + n - 1) % n } else { (i + 1) % n };
        let (completion, index) = match self.completion.take() {
            Some((c, i)) if !c.candidates.is_empty() => {
                let next = step(i, c.candidates.len());
                (c, next)
            }
            _ => {
                let c = complete(self.input.value(), self.input.cursor(), vocab);
                let first = match back {
                    true => c.candidates.len().saturating_sub(1),
                    false => 0,
                };
                (c, first)
            }
        };
        let Some(choice) = completion.candidates.get(index).cloned() else {
            self.hint = Some("no completion".into());
            return false;
        };
        let chars: Vec<char> = self.input.value().chars().collect();
        let head: String = chars[..completion.start].iter().collect();
        let tail: String = chars[completion.end.min(chars.len())..].iter().collect();
        let text = format!("{head}{choice}{tail}");
        let cursor = completion.start + choice.chars().count();
        self.input = Input::new(text).with_cursor(cursor);
        self.hint = Some(hint_line(&completion.candidates, index));
        let end = cursor;
        self.completion = Some((Completion { end, ..completion }, index));
        true
    }
}

/// `Tab 2/5: 3389  [3306]  33146  …`: the candidates around the one chosen (bracketed),
/// so that cycling on does not drop the ones before from sight.
fn hint_line(candidates: &[String], index: usize) -> String {
    const SHOWN: usize = 8;
    let first = index
        .saturating_sub(2)
        .min(candidates.len().saturating_sub(SHOWN));
    let mut line = format!("Tab {}/{}: ", index + 1, candidates.len());
    for (i, c) in candidates.iter().enumerate().skip(first).take(SHOWN) {
        if i > first {
            line.push_str("  ");
        }
        match i == index {
            true => line.push_str(&format!("[{c}]")),
            false => line.push_str(c),
        }
    }
    line
}

/// Types `text` into `input` at its cursor, control characters as spaces (a filter is one
/// line).
pub fn insert(input: &mut Input, text: &str) {
    for c in text.chars() {
        let c = if c.is_control() { ' ' } else { c };
        input.handle(tui_input::InputRequest::InsertChar(c));
    }
}

/// Whether a key typed on a selected filter replaces it: a character typed as text, or a
/// deletion. Keys that move the cursor (arrows, Home, End, Ctrl-…) keep it to edit.
fn replaces_selection(key: &KeyEvent) -> bool {
    let typed = !key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    match key.code {
        KeyCode::Char(_) => typed,
        KeyCode::Backspace | KeyCode::Delete => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn typed(bar: &mut FilterBar, s: &str) {
        for c in s.chars() {
            bar.edit(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    #[test]
    fn history_browsing_returns_to_the_draft() {
        let history = vec!["deny".to_string(), "tcp".to_string()];
        let mut bar = FilterBar::default();
        bar.begin();
        typed(&mut bar, "dp");
        assert!(bar.browse(&history, true));
        assert_eq!(bar.input.value(), "tcp");
        bar.browse(&history, true);
        assert_eq!(bar.input.value(), "deny");
        bar.browse(&history, true);
        assert_eq!(bar.input.value(), "deny");
        bar.browse(&history, false);
        bar.browse(&history, false);
        assert_eq!(bar.input.value(), "dp");
    }

    #[test]
    fn the_first_up_skips_the_filter_in_force() {
        let history = vec!["deny".to_string(), "tcp".to_string()];
        let mut bar = FilterBar::default();
        bar.set("tcp".into());
        bar.begin();
        assert!(bar.browse(&history, true));
        assert_eq!(bar.input.value(), "deny");
    }

    #[test]
    fn tab_cycles_through_candidates() {
        let mut bar = FilterBar::default();
        bar.begin();
        typed(&mut bar, "d");
        bar.complete(&Vocabulary::default(), false);
        let first = bar.input.value().to_string();
        bar.complete(&Vocabulary::default(), false);
        let second = bar.input.value().to_string();
        assert!(first.starts_with('d') && second.starts_with('d'));
        assert_ne!(first, second);
        // Shift-Tab steps back to the candidate before.
        bar.complete(&Vocabulary::default(), true);
        assert_eq!(bar.input.value(), first);
    }

    #[test]
    fn the_hint_keeps_the_candidates_before_the_one_chosen() {
        let c: Vec<String> = ["3389", "3306", "33146"].map(String::from).to_vec();
        assert_eq!(hint_line(&c, 0), "Tab 1/3: [3389]  3306  33146");
        assert_eq!(hint_line(&c, 1), "Tab 2/3: 3389  [3306]  33146");
        let many: Vec<String> = (0..20).map(|n| n.to_string()).collect();
        assert_eq!(hint_line(&many, 5), "Tab 6/20: 3  4  [5]  6  7  8  9  10");
        assert_eq!(
            hint_line(&many, 19),
            "Tab 20/20: 12  13  14  15  16  17  18  [19]"
        );
    }

    #[test]
    fn shift_tab_starts_from_the_last_candidate_and_wraps() {
        let vocab = Vocabulary::default();
        let mut forward = FilterBar::default();
        forward.begin();
        typed(&mut forward, "d");
        let mut seen = Vec::new();
        loop {
            forward.complete(&vocab, false);
            let text = forward.input.value().to_string();
            if seen.first() == Some(&text) {
                break;
            }
            seen.push(text);
        }
        assert!(seen.len() > 1, "{seen:?}");
        let mut back = FilterBar::default();
        back.begin();
        typed(&mut back, "d");
        for expected in seen.iter().rev().chain(seen.last()) {
            back.complete(&vocab, true);
            assert_eq!(&back.input.value(), expected);
        }
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn opened_on(kept: &str) -> FilterBar {
        let mut bar = FilterBar::default();
        bar.set(kept.into());
        bar.begin();
        bar
    }

    #[test]
    fn typing_on_the_opened_filter_replaces_it() {
        let mut bar = opened_on("rule == R1");
        assert!(bar.selected);
        typed(&mut bar, "tcp");
        assert_eq!(bar.input.value(), "tcp");
        // Only the first key replaced: the rest is typed after it.
        assert!(!bar.selected);
        let mut bar = opened_on("rule == R1");
        assert!(bar.edit(key(KeyCode::Backspace)));
        assert_eq!(bar.input.value(), "");
    }

    #[test]
    fn moving_the_cursor_first_edits_the_opened_filter() {
        let mut bar = opened_on("tcp");
        bar.edit(key(KeyCode::End));
        typed(&mut bar, " and deny");
        assert_eq!(bar.input.value(), "tcp and deny");
        let mut bar = opened_on("tcp");
        bar.edit(key(KeyCode::Left));
        bar.edit(key(KeyCode::Backspace));
        assert_eq!(bar.input.value(), "tp");
        // Ctrl-U is an edit of its own, not typing over the selection.
        let mut bar = opened_on("tcp");
        bar.edit(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert!(!bar.selected);
        // An empty filter has nothing to select.
        assert!(!opened_on("").selected);
    }
}

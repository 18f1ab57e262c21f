//! Where each pane's cursor was under the filters seen lately: going back (Backspace after
//! a drill-in, Esc after live typing) returns to the row you were on, while a filter not
//! seen lately starts at the top.

use super::app::{Cursor, Pane};
use std::collections::VecDeque;

/// Filters and panes remembered, the oldest forgotten first.
const KEPT: usize = 64;

#[derive(Debug, Default)]
pub struct Places {
    recent: VecDeque<(String, Pane, Cursor)>,
}

impl Places {
    /// Remembers `at`, the cursor of `pane`, as the filter `filter` is left.
    pub fn leave(&mut self, filter: &str, pane: Pane, at: Cursor) {
        self.recent.retain(|(f, p, _)| !(f == filter && *p == pane));
        if self.recent.len() == KEPT {
            self.recent.pop_front();
        }
        self.recent.push_back((filter.to_string(), pane, at));
    }

    /// Where `pane`'s cursor goes as the filter `filter` is shown: where it was, or the top.
    pub fn enter(&self, filter: &str, pane: Pane) -> Cursor {
        self.recent
            .iter()
            .rev()
            .find(|(f, p, _)| f == filter && *p == pane)
            .map_or_else(Cursor::default, |(_, _, at)| *at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_left_is_entered_where_it_was_left() {
        let mut places = Places::default();
        let at = Cursor {
            selected: 25,
            offset: 10,
        };
        places.leave("tcp", Pane::Flows, at);
        assert_eq!(places.enter("tcp", Pane::Flows), at);
        assert_eq!(places.enter("tcp", Pane::Rules), Cursor::default());
        assert_eq!(places.enter("udp", Pane::Flows), Cursor::default());
        for k in 0..KEPT {
            places.leave(&format!("f{k}"), Pane::Flows, at);
        }
        assert_eq!(
            places.enter("tcp", Pane::Flows),
            Cursor::default(),
            "forgotten"
        );
    }
}

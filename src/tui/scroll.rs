//! Moving within panes: selection and scrolling, paging, and mouse hit-testing, all
//! computed from the same layout the renderer uses.

use super::app::{App, Cursor, Overlay, Pane, RuleLine};
use super::render::{layout, top};
use super::worker::{TimelineResult, TopList};
use ratatui::layout::Position;

impl App {
    /// Lines of the Rules pane: each scope's heading, then its rules.
    pub fn rule_lines(&self) -> Vec<RuleLine> {
        let Some(summary) = &self.summary else {
            return Vec::new();
        };
        let rules = &summary.rules;
        let mut lines = Vec::with_capacity(rules.len() + 4);
        for (i, r) in rules.iter().enumerate() {
            if i == 0 || rules[i - 1].scope != r.scope {
                lines.push(RuleLine::Scope(i));
            }
            lines.push(RuleLine::Rule(i));
        }
        lines
    }

    /// Number of selectable lines in a pane.
    pub fn pane_len(&self, pane: Pane) -> usize {
        match pane {
            Pane::Rules => self.rule_lines().len(),
            Pane::Flows => self.view.as_ref().map_or(0, |v| v.rows.available()),
            Pane::Top => self.top_list().map_or(0, TopList::len),
            Pane::Timeline => match &self.timeline {
                Some(TimelineResult::Conversation(t)) => t.steps.len(),
                _ => 0,
            },
        }
    }

    /// Visible entries of a pane (inside borders, below a table header).
    pub fn page_height(&self, pane: Pane) -> usize {
        let areas = self.areas();
        let (area, chrome) = match pane {
            Pane::Rules => (areas.rules, 2),
            Pane::Flows => (areas.flows, 3),
            Pane::Top => (areas.top, 3),
            Pane::Timeline => (areas.timeline, layout::TIMELINE_CHROME),
        };
        let lines = (area.height as usize).saturating_sub(chrome);
        (lines / self.lines_per_entry(pane)).max(1)
    }

    /// Screen lines an entry of `pane` takes.
    fn lines_per_entry(&self, pane: Pane) -> usize {
        match pane {
            Pane::Top => self.top_list().map_or(1, top::lines_per_entry),
            _ => 1,
        }
    }

    /// Moves a pane's selection by `delta` lines and scrolls to keep it visible.
    pub fn move_cursor(&mut self, pane: Pane, delta: isize) {
        let len = self.pane_len(pane);
        let height = self.page_height(pane);
        let is_heading = |app: &App, i: usize| {
            pane == Pane::Rules && matches!(app.rule_lines().get(i), Some(RuleLine::Scope(_)))
        };
        let cur = self.cursors[pane.index()];
        let mut selected = cur.selected.saturating_add_signed(delta);
        selected = selected.min(len.saturating_sub(1));
        if pane == Pane::Rules && is_heading(self, selected) {
            // Headings are not selectable: step past them in the direction of travel.
            let lines = self.rule_lines();
            let forward = delta >= 0;
            selected = next_rule_line(&lines, selected, forward)
                .or_else(|| next_rule_line(&lines, selected, !forward))
                .unwrap_or(0);
        }
        let mut offset = cur.offset.min(selected);
        if selected >= offset + height {
            offset = selected + 1 - height;
        }
        offset = offset.min(len.saturating_sub(height));
        if pane == Pane::Rules && selected > 0 && offset == selected {
            offset -= 1; // keep the scope heading above the first visible rule
        }
        self.cursors[pane.index()] = Cursor { selected, offset };
    }

    pub fn cursor(&self, pane: Pane) -> Cursor {
        self.cursors[pane.index()]
    }

    pub(super) fn pane_at(&self, column: u16, row: u16) -> Option<Pane> {
        let a = self.areas();
        let p = Position::new(column, row);
        [
            (a.rules, Pane::Rules),
            (a.flows, Pane::Flows),
            (a.top, Pane::Top),
            (a.timeline, Pane::Timeline),
        ]
        .into_iter()
        .find(|(r, _)| r.contains(p))
        .map(|(_, pane)| pane)
    }

    pub(super) fn click(&mut self, column: u16, row: u16) -> bool {
        if !matches!(self.overlay, Overlay::None) || self.filter.editing {
            return false;
        }
        let Some(pane) = self.pane_at(column, row) else {
            return false;
        };
        self.focus = pane;
        let a = self.areas();
        let (area, header) = match pane {
            Pane::Rules => (a.rules, 1),
            Pane::Flows => (a.flows, 2),
            Pane::Top => (a.top, 2),
            Pane::Timeline => (a.timeline, layout::TIMELINE_CHROME as u16 - 1),
        };
        let line = row.saturating_sub(area.y + header) as usize / self.lines_per_entry(pane);
        // Below the last entry shown (a line too few for a two-line entry): no entry.
        if row >= area.y + header && line < self.page_height(pane) {
            let cur = self.cursor(pane);
            let target = (cur.offset + line) as isize - cur.selected as isize;
            self.move_cursor(pane, target);
        }
        true
    }
}

fn next_rule_line(lines: &[RuleLine], from: usize, forward: bool) -> Option<usize> {
    if forward {
        (from..lines.len()).find(|&i| matches!(lines[i], RuleLine::Rule(_)))
    } else {
        (0..=from)
            .rev()
            .find(|&i| matches!(lines[i], RuleLine::Rule(_)))
    }
}

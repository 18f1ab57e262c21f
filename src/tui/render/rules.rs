//! The Rules pane: every rule, grouped under its NSG or flow log, with hits, a sparkline
//! of hits over time, and the selected rule's allowed/denied and first/last below.
//!
//! ```text
//! ┌ Rules (by tuples) ────────┐
//! │ nsg-web                   │
//! │  DenyAllInBound  8.1k ▂▅█ │
//! │  UserRule_RDP    2.0k ▁▁▃ │
//! └ A 1.2k D 6.9k 08:30–09:10 ┘
//! ```

use super::format::{compact, human_tight, rule_name, style_for_range, time, truncate, HourCells};
use super::theme::Theme;
use super::{fitted_title, pane_block};
use crate::text::sanitize;
use crate::tui::app::{App, Pane, RuleLine};
use crate::views::{RuleHits, SortBy};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

const HITS_WIDTH: usize = 5;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let sort = match app.rule_sort {
        SortBy::Tuples => "tuples",
        SortBy::Bytes => "bytes",
        SortBy::Packets => "packets",
    };
    let heading = fitted_title(&[format!("Rules by {sort}")], "", area.width);
    let mut block = pane_block(heading, Pane::Rules, app, theme);
    let Some(view) = &app.summary else {
        frame.render_widget(block, area);
        return;
    };
    let lines = app.rule_lines();
    let cursor = app.cursor(Pane::Rules);
    if let Some(RuleLine::Rule(i)) = lines.get(cursor.selected) {
        let room = (area.width as usize).saturating_sub(2);
        block = block.title_bottom(summary(&view.rules[*i], app, room));
    }
    let inner = block.inner(area);
    let width = inner.width as usize;
    let (first, last) = time_span(&view.rules);
    let hours = HourCells::new(first, last, (width / 5).clamp(3, 12));
    let rows: Vec<Line> = lines
        .iter()
        .enumerate()
        .skip(cursor.offset)
        .take(inner.height as usize)
        .map(|(i, line)| match *line {
            RuleLine::Scope(r) => {
                let scope = match view.rules[r].scope.as_str() {
                    "" => "(no NSG or flow log)".to_string(),
                    s => sanitize(s).into_owned(),
                };
                Line::styled(truncate(&scope, width), theme.header)
            }
            RuleLine::Rule(r) => {
                let rule = &view.rules[r];
                let name_width = width.saturating_sub(HITS_WIDTH + hours.cells + 3);
                let name = rule_name(&sanitize(&rule.rule), name_width);
                let hits_style = if rule.tally.denied > rule.tally.allowed {
                    theme.deny
                } else {
                    theme.allow
                };
                let line = Line::from(vec![
                    Span::raw(format!(" {name:<name_width$} ")),
                    Span::styled(
                        format!("{:>HITS_WIDTH$}", measure(rule, app.rule_sort)),
                        hits_style,
                    ),
                    Span::raw(" "),
                    Span::styled(hours.bars(&rule.per_hour), theme.accent),
                ]);
                if i == cursor.selected {
                    line.style(theme.selected)
                } else {
                    line
                }
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(rows).block(block), area);
}

/// What the rules are sorted by, for one rule, in at most `HITS_WIDTH` columns: sorted by
/// bytes, a list of tuple counts would look unordered.
fn measure(rule: &RuleHits, sort: SortBy) -> String {
    let t = &rule.tally;
    match sort {
        SortBy::Tuples => compact(t.tuples),
        SortBy::Bytes => human_tight(t.bytes),
        SortBy::Packets => compact(t.packets),
    }
}

/// `A 1.2k D 6.9k 08:30:01–09:10:12` for the selected rule, in at most `room` columns:
/// a span too long gives up its seconds (`08:30–09:10`) or, over days, its clock times
/// (`11-18–12-05`), then goes, rather than be cut mid-time.
fn summary(rule: &RuleHits, app: &App, room: usize) -> Line<'static> {
    let t = &rule.tally;
    let zone = app.settings.time_zone;
    let counts = format!("A {} D {}", compact(t.allowed), compact(t.denied));
    let padded = |text: String| format!(" {text} ");
    let room = room.saturating_sub(2);
    if t.tuples == 0 {
        return Line::from(padded(truncate(&counts, room)));
    }
    // Both ends alike: over days, a clock time alone at the end would read as the first
    // day's.
    let span = |style| {
        let (first, last) = (time(t.first_ms, zone, style), time(t.last_ms, zone, style));
        format!("{counts} {first}–{last}")
    };
    // Dated as the whole load needs: over days, a rule's hits within one of them would
    // otherwise show clock times of no day.
    let load = app.store.as_ref().and_then(|s| s.time_range());
    let range = load.map_or((t.first_ms, t.last_ms), |(a, b)| {
        (a.min(t.first_ms), b.max(t.last_ms))
    });
    let style = style_for_range(Some(range));
    let shorter = style.shorter();
    let text = [span(style), span(shorter)]
        .into_iter()
        .find(|text| text.chars().count() <= room)
        .unwrap_or_else(|| truncate(&counts, room));
    Line::from(padded(text))
}

/// The first and last hour of every rule's hits, so bars line up across rules.
fn time_span(rules: &[RuleHits]) -> (i64, i64) {
    let hours = rules.iter().flat_map(|r| r.per_hour.iter().map(|p| p.0));
    let start = hours.clone().min().unwrap_or(0);
    let end = hours.max().unwrap_or(0);
    (start, end)
}

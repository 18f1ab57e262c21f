//! The Top/Conversations pane: top sources, destinations or ports like `nfdump -s`, or the
//! conversation list with totals (`t` switches).
//!
//! ```text
//! ┌ Top sources (t) ──────────┐
//! │ key           tuples bytes│
//! │ 203.0.113.9     8.1k 1.2 MB│
//! └───────────────────────────┘
//! ```

use super::format::{compact, human_short, truncate};
use super::theme::Theme;
use super::{fitted_title, pane_block};
use crate::store::Store;
use crate::text::sanitize;
use crate::tui::app::{App, Pane};
use crate::tui::navigate::endpoint;
use crate::tui::worker::TopList;
use crate::views::{Conversation, SortBy};
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

const NUMBER_WIDTH: u16 = 6;
const BYTES_WIDTH: u16 = 7;
/// The least key width worth three columns: an IPv4 address.
const NARROWEST_KEY: u16 = 15;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // The measure is named once `o` has changed it from the mode's own.
    let by = match app.top_sort() {
        sort if sort == app.top_mode.default_sort() => String::new(),
        SortBy::Tuples => " by tuples".into(),
        SortBy::Bytes => " by bytes".into(),
        SortBy::Packets => " by packets".into(),
    };
    let heading = fitted_title(
        &[format!("{}{by} (t)", app.top_mode.title())],
        "",
        area.width,
    );
    let block = pane_block(heading, Pane::Top, app, theme);
    let (Some(store), Some(view)) = (&app.store, &app.summary) else {
        frame.render_widget(block, area);
        return;
    };
    let inner = block.inner(area);
    if (view.top_mode, view.top_sort) != (app.top_mode, app.top_sort()) {
        // The list of the mode (or ranking) before would sit under the new title.
        let working = Paragraph::new("counting…").style(theme.dim).block(block);
        frame.render_widget(working, area);
        return;
    }
    let cursor = app.cursor(Pane::Top);
    let height = inner.height.saturating_sub(1) as usize;
    // Conversations show their states, unless ranked by tuples: then their counts.
    let states = matches!(view.top, TopList::Conversations(_)) && app.top_sort() != SortBy::Tuples;
    let lines = visible_lines(store, &view.top, states, cursor.offset, height);
    let second = if states { "states" } else { "tuples" };
    // Too narrow for three columns (80 columns leave the key 7, `203.0.…`): the key keeps
    // room for an address and one figure stays, the one the list is ranked by.
    let three = inner.width >= NUMBER_WIDTH + BYTES_WIDTH + 2 + NARROWEST_KEY;
    let kept = match (three, app.top_sort()) {
        (true, _) => [0, 1, 2].as_slice(),
        (false, SortBy::Tuples) => &[0, 1],
        (false, _) => &[0, 2],
    };
    let figures: u16 = kept[1..].iter().map(|&c| column_width(c, 0) + 1).sum();
    let key_width = inner.width.saturating_sub(figures);
    let names = ["key", second, "bytes"];
    let header = Row::new(kept.iter().map(|&c| Cell::from(names[c]))).style(theme.header);
    let widths = kept
        .iter()
        .map(|&c| Constraint::Length(column_width(c, key_width)));
    let rows = lines.into_iter().enumerate().map(|(i, cells)| {
        let row = Row::new(
            kept.iter()
                .map(|&c| Cell::from(truncate(&cells[c], column_width(c, key_width) as usize))),
        );
        if cursor.offset + i == cursor.selected {
            row.style(theme.selected)
        } else {
            row
        }
    });
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .block(block);
    frame.render_widget(table, area);
}

/// Width of column `c` (key, count or states, bytes), the key's given.
fn column_width(c: usize, key_width: u16) -> u16 {
    match c {
        0 => key_width,
        1 => NUMBER_WIDTH,
        _ => BYTES_WIDTH,
    }
}

/// Key, count (or a conversation's `states`) and bytes of the entries on screen.
fn visible_lines(
    store: &Store,
    top: &TopList,
    states: bool,
    offset: usize,
    height: usize,
) -> Vec<[String; 3]> {
    match top {
        TopList::Entries(entries) => entries
            .iter()
            .skip(offset)
            .take(height)
            .map(|e| {
                [
                    sanitize(&e.key).into_owned(),
                    compact(e.tally.tuples),
                    human_short(e.tally.bytes),
                ]
            })
            .collect(),
        TopList::Conversations(convs) => convs
            .iter()
            .skip(offset)
            .take(height)
            .map(|c| {
                let second = match states {
                    true => c.states.clone(),
                    false => compact(c.tally.tuples),
                };
                [
                    conversation_text(store, c),
                    second,
                    human_short(c.totals.bytes()),
                ]
            })
            .collect(),
    }
}

/// `203.0.113.9:51234→10.0.0.4:3389`
fn conversation_text(store: &Store, c: &Conversation) -> String {
    let src = store.addrs().get(c.key.src);
    let dst = store.addrs().get(c.key.dst);
    format!(
        "{}→{}",
        endpoint(&src, c.key.sport),
        endpoint(&dst, c.key.dport)
    )
}

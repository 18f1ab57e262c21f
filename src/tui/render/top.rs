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
use crate::views::Conversation;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;

const NUMBER_WIDTH: u16 = 6;
const BYTES_WIDTH: u16 = 7;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let heading = fitted_title(&[format!("{} (t)", app.top_mode.title())], "", area.width);
    let block = pane_block(heading, Pane::Top, app, theme);
    let (Some(store), Some(view)) = (&app.store, &app.summary) else {
        frame.render_widget(block, area);
        return;
    };
    let inner = block.inner(area);
    let key_width = inner.width.saturating_sub(NUMBER_WIDTH + BYTES_WIDTH + 2);
    let cursor = app.cursor(Pane::Top);
    let height = inner.height.saturating_sub(1) as usize;
    let lines = visible_lines(store, &view.top, cursor.offset, height);
    let second = match view.top {
        TopList::Entries(_) => "tuples",
        TopList::Conversations(_) => "states",
    };
    let header = Row::new(vec![
        Cell::from("key"),
        Cell::from(second),
        Cell::from("bytes"),
    ])
    .style(theme.header);
    let rows = lines.into_iter().enumerate().map(|(i, [k, n, b])| {
        let row = Row::new(vec![
            Cell::from(truncate(&k, key_width as usize)),
            Cell::from(truncate(&n, NUMBER_WIDTH as usize)),
            Cell::from(b),
        ]);
        if cursor.offset + i == cursor.selected {
            row.style(theme.selected)
        } else {
            row
        }
    });
    let widths = [
        Constraint::Length(key_width),
        Constraint::Length(NUMBER_WIDTH),
        Constraint::Length(BYTES_WIDTH),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .block(block);
    frame.render_widget(table, area);
}

/// Key, count (or states) and bytes of the entries on screen.
fn visible_lines(store: &Store, top: &TopList, offset: usize, height: usize) -> Vec<[String; 3]> {
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
                [
                    conversation_text(store, c),
                    c.states.clone(),
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

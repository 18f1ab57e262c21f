//! The Flows pane: the selected tuples as a table. Virtualised: only the rows on screen are
//! read from the store, so any number of rows scrolls at the same speed.
//!
//! ```text
//! ┌ Flows (12,408 of 2,000,000) by bytes ↓ ────────────────────┐
//! │ time     src:port          dst:port      proto dir act …   │
//! │ 08:30:01 203.0.113.9:51234 10.0.0.4:3389 tcp   in  deny …  │
//! └────────────────────────────────────────────────────────────┘
//! ```
//! Which columns fit, and in words or the log's letters, is `flow_columns`' choice.

use super::flow_columns::{self, Measures};
use super::format::{
    compact, cut_endpoint, human_short, human_tight, rule_name, style_for_range, time, truncate,
    TimeStyle,
};
use super::theme::Theme;
use super::{fitted_title, pane_block, title};
use crate::model::{proto, Decision, Thousands};
use crate::store::Store;
use crate::text::sanitize;
use crate::tui::app::{App, Pane};
use crate::tui::navigate::endpoint;
use crate::tui::settings::{Column, TimeZone};
use crate::tui::widths::proto_letters;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

/// What a cell needs besides the row.
struct CellContext<'a> {
    store: &'a Store,
    /// Narrow pane: protocol, direction, action and state as the log's letters, bytes
    /// without a space (see `flow_columns`).
    compact: bool,
    zone: TimeZone,
    time_style: TimeStyle,
    theme: &'a Theme,
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let (Some(store), Some(view)) = (&app.store, &app.view) else {
        let block = pane_block(title("Flows"), Pane::Flows, app, theme);
        frame.render_widget(block, area);
        return;
    };
    // While files are still read, the panes show the first tuples read (the loading box
    // counts them all): a bare total would look final.
    let (count, of) = (
        Thousands(view.rows.count() as u64),
        Thousands(view.of as u64),
    );
    // Also just after: until the new store's answer comes, the rows are the preview's.
    let count = match app.loading() || view.of < store.len() {
        true => format!("Flows ({count} of the first {of} read)"),
        false => format!("Flows ({count} of {of})"),
    };
    let heading = [count, order_label(app)];
    let block = pane_block(
        fitted_title(&heading, " ", area.width),
        Pane::Flows,
        app,
        theme,
    );
    let inner = block.inner(area);
    let cursor = app.cursor(Pane::Flows);
    let visible = view.rows.window(
        store,
        cursor.offset,
        inner.height.saturating_sub(1) as usize,
    );
    // Fitted to every row chosen, so paging keeps the columns.
    let measures = Measures {
        endpoints: view.widths.endpoints,
        endpoint_rows: view.widths.rows,
        proto_letters: view.widths.proto_letters,
        proto_words: view.widths.proto_words,
        time_style: style_for_range(store.time_range()),
    };
    let fitted = flow_columns::fit(&app.settings.columns, measures, inner.width);
    let ctx = CellContext {
        store,
        compact: fitted.compact,
        zone: app.settings.time_zone,
        time_style: fitted.time_style,
        theme,
    };
    let columns = &fitted.columns;
    let header = Row::new(
        columns
            .iter()
            .map(|p| Cell::from(header_text(p.column, ctx.compact))),
    )
    .style(theme.header);
    let rows = visible.iter().enumerate().map(|(i, &row)| {
        let cells = columns.iter().map(|p| {
            let (text, style) = cell(&ctx, row, p.column);
            let text = match p.column {
                Column::Src | Column::Dst => cut_endpoint(&text, p.width as usize),
                Column::Rule => rule_name(&text, p.width as usize),
                _ => truncate(&text, p.width as usize),
            };
            Cell::from(text).style(style)
        });
        let r = Row::new(cells);
        if cursor.offset + i == cursor.selected {
            r.style(theme.selected)
        } else {
            r
        }
    });
    // Gaps are part of the widths: letters in compact form have none between them.
    let widths: Vec<Constraint> = columns
        .iter()
        .map(|p| Constraint::Length(p.width + p.gap))
        .collect();
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(0)
        .block(block);
    frame.render_widget(table, area);
    // An empty answer says so, rather than leave a blank table to puzzle over.
    if view.rows.count() == 0 && !app.busy() && !app.filter.kept.is_empty() {
        let under_header = Rect {
            y: inner.y + 2,
            height: inner.height.saturating_sub(2),
            ..inner
        };
        let note = Paragraph::new(" No tuple matches this filter; / edits it.")
            .style(theme.dim)
            .wrap(Wrap { trim: false });
        frame.render_widget(note, under_header);
    }
}

fn order_label(app: &App) -> String {
    match app.order.column {
        None if app.order.descending => "in reverse load order".to_string(),
        None => "in load order".to_string(),
        Some(c) => format!(
            "by {} {}",
            header_text(c, false),
            if app.order.descending { "↓" } else { "↑" }
        ),
    }
}

fn header_text(c: Column, compact: bool) -> &'static str {
    match c {
        Column::Proto if compact => "p",
        Column::Dir if compact => "d",
        Column::Action if compact => "a",
        Column::State if compact => "s",
        Column::Time => "time",
        Column::Src => "src:port",
        Column::Dst => "dst:port",
        Column::Proto => "proto",
        Column::Dir => "dir",
        Column::Action => "act",
        Column::State => "st",
        Column::Bytes => "bytes",
        Column::Packets => "pkts",
        Column::Rule => "rule",
        Column::Nsg => "nsg",
    }
}

/// The protocol as the log writes it: `T`, `U`, or the number (VNet, other protocols).
fn cell(ctx: &CellContext, row: u32, c: Column) -> (String, Style) {
    let s = ctx.store;
    let f = s.flag(row);
    let plain = Style::new();
    match c {
        Column::Time => (time(s.time_ms(row), ctx.zone, ctx.time_style), plain),
        Column::Src => (endpoint(&s.src(row), s.sports()[row as usize]), plain),
        Column::Dst => (endpoint(&s.dst(row), s.dports()[row as usize]), plain),
        Column::Proto if ctx.compact => (proto_letters(f.proto()), plain),
        Column::Proto => (proto::display(f.proto()), plain),
        Column::Dir if ctx.compact => (f.dir().letter().to_string(), plain),
        Column::Dir => (f.dir().name().to_string(), plain),
        Column::Action => {
            let d = f.decision();
            let style = match d {
                Decision::Allow => ctx.theme.allow,
                Decision::Deny => ctx.theme.deny,
            };
            let text = if ctx.compact {
                d.letter().to_string()
            } else {
                d.name().to_string()
            };
            (text, style)
        }
        Column::State => (
            f.state()
                .map(|x| x.letter().to_string())
                .unwrap_or("-".into()),
            plain,
        ),
        Column::Bytes if ctx.compact => (human_tight(s.counters(row).bytes()), plain),
        Column::Bytes => (human_short(s.counters(row).bytes()), plain),
        Column::Packets => (compact(s.counters(row).packets()), plain),
        Column::Rule => (text(s, s.group_of(row).rule), plain),
        Column::Nsg => (text(s, s.record_of(row).nsg), plain),
    }
}

fn text(s: &Store, id: u32) -> String {
    sanitize(s.text(id).unwrap_or("")).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_read_as_the_log_writes_them() {
        assert_eq!(proto_letters(proto::TCP), "T");
        assert_eq!(proto_letters(proto::UDP), "U");
        assert_eq!(proto_letters(proto::ICMP), "1");
    }
}

//! The Flows pane: the selected tuples as a table. Virtualised: only the rows on screen are
//! read from the store, so any number of rows scrolls at the same speed.
//!
//! ```text
//! ┌ Flows (12,408 of 2,000,000) sorted by bytes ↓ ─────────────┐
//! │ time     src:port          dst:port      proto dir act …   │
//! │ 08:30:01 203.0.113.9:51234 10.0.0.4:3389 tcp   in  deny …  │
//! └────────────────────────────────────────────────────────────┘
//! ```

use super::format::{compact, human_short, style_for_range, time, truncate, TimeStyle};
use super::theme::Theme;
use super::{fitted_title, pane_block, title};
use crate::model::{proto, Decision, Thousands};
use crate::store::Store;
use crate::text::sanitize;
use crate::tui::app::{App, Pane};
use crate::tui::navigate::endpoint;
use crate::tui::settings::{Column, TimeZone};
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

/// What a cell needs besides the row.
struct CellContext<'a> {
    store: &'a Store,
    /// Widest `address:port` on screen, per side (columns fit what is visible).
    endpoint_widths: (u16, u16),
    /// Narrow pane: direction and action as the logs' own letters (I/O, A/D).
    letters: bool,
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
    let count = format!(
        "Flows ({} of {})",
        Thousands(view.rows.count() as u64),
        Thousands(store.len() as u64),
    );
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
    let mut ctx = CellContext {
        store,
        endpoint_widths: endpoint_widths(store, &visible),
        letters: false,
        zone: app.settings.time_zone,
        time_style: style_for_range(store.time_range()),
        theme,
    };
    ctx.endpoint_widths = fit_endpoints(&app.settings.columns, &ctx, inner.width);
    let mut columns = fitting_columns(&app.settings.columns, &ctx, inner.width);
    // Allow/deny matters most: spell it as a letter rather than lose the column.
    let wanted = |cols: &[(Column, u16)]| cols.iter().any(|(c, _)| *c == Column::Action);
    if app.settings.columns.contains(&Column::Action) && !wanted(&columns) {
        ctx.letters = true;
        columns = fitting_columns(&app.settings.columns, &ctx, inner.width);
    }
    let letters = ctx.letters;
    let header = Row::new(
        columns
            .iter()
            .map(|(c, _)| Cell::from(header_text(*c, letters))),
    )
    .style(theme.header);
    let rows = visible.iter().enumerate().map(|(i, &row)| {
        let cells = columns.iter().map(|(c, w)| {
            let (text, style) = cell(&ctx, row, *c);
            let text = match c {
                Column::Src | Column::Dst => truncate_middle(&text, *w as usize),
                _ => truncate(&text, *w as usize),
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
    let widths: Vec<Constraint> = columns
        .iter()
        .map(|(_, w)| Constraint::Length(*w))
        .collect();
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
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

fn header_text(c: Column, letters: bool) -> &'static str {
    match c {
        Column::Dir if letters => "d",
        Column::Action if letters => "a",
        Column::Proto if letters => "prot",
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

/// Columns that fit in `width`, in the configured order; the last text column takes what
/// is left.
fn fitting_columns(columns: &[Column], ctx: &CellContext, width: u16) -> Vec<(Column, u16)> {
    let mut out = Vec::new();
    let mut used = 0u16;
    for &c in columns {
        let w = natural_width(c, ctx);
        let need = if out.is_empty() { w } else { w + 1 };
        if used + need > width {
            let left = width.saturating_sub(used + 1);
            if matches!(c, Column::Rule | Column::Nsg) && left >= 6 {
                out.push((c, left));
            }
            break;
        }
        used += need;
        out.push((c, w));
    }
    out
}

fn natural_width(c: Column, ctx: &CellContext) -> u16 {
    match c {
        Column::Time => match ctx.time_style {
            TimeStyle::Clock => 8,
            _ => 11,
        },
        Column::Src => ctx.endpoint_widths.0,
        Column::Dst => ctx.endpoint_widths.1,
        Column::Proto if ctx.letters => 4,
        Column::Dir | Column::Action if ctx.letters => 1,
        Column::Proto => 5,
        Column::Dir => 3,
        Column::Action => 5,
        Column::State => 2,
        Column::Bytes => 7,
        Column::Packets => 5,
        Column::Rule => 24,
        Column::Nsg => 16,
    }
}

/// An IPv4 endpoint's width (`255.255.255.255:65535`): a long one (IPv6) gives up width
/// down to this before a column after it is lost.
const SHORT_ENDPOINT: u16 = 21;

/// The endpoint widths, narrowed (the wider side first) until every configured column
/// but the flexible text ones fits in `width`: one IPv6 row on screen must not push
/// protocol, direction and action off every row.
fn fit_endpoints(columns: &[Column], ctx: &CellContext, width: u16) -> (u16, u16) {
    let others: u16 = columns
        .iter()
        .filter(|c| !matches!(c, Column::Src | Column::Dst | Column::Rule | Column::Nsg))
        .map(|&c| natural_width(c, ctx) + 1)
        .sum();
    let has = |c: Column| u16::from(columns.contains(&c));
    let (mut src, mut dst) = ctx.endpoint_widths;
    let need =
        |src: u16, dst: u16| others + has(Column::Src) * (src + 1) + has(Column::Dst) * (dst + 1);
    while need(src, dst) > width + 1 {
        let wider = if src >= dst { &mut src } else { &mut dst };
        if *wider <= SHORT_ENDPOINT {
            break;
        }
        *wider -= 1;
    }
    (src, dst)
}

/// `text` in at most `width` columns, cut in the middle so an endpoint keeps its port.
fn truncate_middle(text: &str, width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width || width < 3 {
        return truncate(text, width);
    }
    let tail = (width - 1) / 2;
    let head = width - 1 - tail;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
}

fn endpoint_widths(store: &Store, rows: &[u32]) -> (u16, u16) {
    let width = |a: std::net::IpAddr, p: u16| endpoint(&a, p).chars().count() as u16;
    rows.iter().fold((8, 8), |(s, d), &r| {
        let i = r as usize;
        (
            s.max(width(store.src(r), store.sports()[i])),
            d.max(width(store.dst(r), store.dports()[i])),
        )
    })
}

fn cell(ctx: &CellContext, row: u32, c: Column) -> (String, Style) {
    let s = ctx.store;
    let f = s.flag(row);
    let plain = Style::new();
    match c {
        Column::Time => (time(s.time_ms(row), ctx.zone, ctx.time_style), plain),
        Column::Src => (endpoint(&s.src(row), s.sports()[row as usize]), plain),
        Column::Dst => (endpoint(&s.dst(row), s.dports()[row as usize]), plain),
        Column::Proto => (proto::display(f.proto()), plain),
        Column::Dir if ctx.letters => (f.dir().letter().to_string(), plain),
        Column::Dir => (f.dir().name().to_string(), plain),
        Column::Action => {
            let d = f.decision();
            let style = match d {
                Decision::Allow => ctx.theme.allow,
                Decision::Deny => ctx.theme.deny,
            };
            let text = if ctx.letters {
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
    use crate::tui::settings::Settings;

    fn fitted(columns: &[Column], endpoints: (u16, u16), width: u16) -> Vec<(Column, u16)> {
        let store = Store::default();
        let theme = Theme::from_settings(&Settings::default());
        let mut ctx = CellContext {
            store: &store,
            endpoint_widths: endpoints,
            letters: false,
            zone: TimeZone::Utc,
            time_style: TimeStyle::Short,
            theme: &theme,
        };
        ctx.endpoint_widths = fit_endpoints(columns, &ctx, width);
        fitting_columns(columns, &ctx, width)
    }

    #[test]
    fn a_long_endpoint_narrows_before_a_column_after_it_is_lost() {
        let columns = Settings::default().columns;
        let ipv6 = "[2510:1a5b:ce4e:2bf6:eb11:2640:a20:4fb0]:56683".len() as u16;
        for width in [80, 100, 118] {
            let fitted = fitted(&columns, (ipv6, 22), width);
            let shown: Vec<Column> = fitted.iter().map(|(c, _)| *c).collect();
            for c in [Column::Proto, Column::Dir, Column::Action] {
                assert!(
                    shown.contains(&c),
                    "{c:?} lost at width {width}: {fitted:?}"
                );
            }
            let used: u16 = fitted.iter().map(|(_, w)| w + 1).sum();
            assert!(used <= width + 1, "{fitted:?} overflows {width}");
        }
        // Room enough: nothing is narrowed.
        let wide = fitted(&columns, (ipv6, 22), 250);
        assert!(wide.contains(&(Column::Src, ipv6)), "{wide:?}");
        // Never below an IPv4 endpoint's width, however narrow the pane.
        let narrow = fitted(&columns, (ipv6, ipv6), 40);
        assert!(narrow
            .iter()
            .all(|(c, w)| *c != Column::Src || *w == SHORT_ENDPOINT));
    }

    #[test]
    fn an_endpoint_cut_in_the_middle_keeps_its_port() {
        let text = "[2510:1a5b:ce4e:2bf6:eb11:2640:a20:4fb0]:56683";
        let cut = truncate_middle(text, 21);
        assert_eq!(cut.chars().count(), 21);
        assert!(
            cut.starts_with("[2510:1a5b") && cut.ends_with("fb0]:56683"),
            "{cut}"
        );
        assert_eq!(truncate_middle("10.0.0.4:3389", 21), "10.0.0.4:3389");
    }
}

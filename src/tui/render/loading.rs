//! The loading screen: a progress bar with files, tuples and MB/s, shown from the first
//! frame while the loader works; and the screen for a load that failed.
//!
//! ```text
//! ┌ Loading (q cancels) ─────────────────────────┐
//! │ ██████████████░░░░░░░░░░░░░░░░░░░  3 of 8 files │
//! │ 1,204,330 tuples · 412 MB of 900 MB · 580 MB/s │
//! └──────────────────────────────────────────────┘
//! ```
//! Files are read while the folders are still searched; until the search ends, the totals
//! are what it has found so far, and the bar says so.

use super::format::fit_parts;
use super::layout::centered;
use super::theme::Theme;
use crate::load::ProgressSnapshot;
use crate::model::{human_bytes, Thousands};
use crate::text::sanitize;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Block, Clear, Gauge, Paragraph, Wrap};
use ratatui::Frame;
use std::time::Duration;

pub fn render(
    frame: &mut Frame,
    area: Rect,
    p: &ProgressSnapshot,
    elapsed: Duration,
    quit: &str,
    theme: &Theme,
) {
    let popup = centered(area, 64, 4);
    let block = Block::bordered()
        .title(format!(" Loading ({quit} cancels) "))
        .border_style(theme.focus);
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    let [bar, counts] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(inner);
    let ratio = if p.bytes_total > 0 {
        (p.bytes_done as f64 / p.bytes_total as f64).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (done, total) = (Thousands(p.files_done), Thousands(p.files_total));
    let files = match (p.found_all, p.files_total) {
        (true, _) => format!("{done} of {total} files"),
        // The walk goes on: the totals are what it has found so far.
        (false, 0) => "finding files…".to_string(),
        (false, _) => format!("{done} of {total} files, finding more…"),
    };
    frame.render_widget(
        Gauge::default()
            .ratio(ratio)
            .label(files)
            .gauge_style(theme.accent)
            .use_unicode(true),
        bar,
    );
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        format!("{}/s", human_bytes((p.bytes_done as f64 / secs) as u64))
    } else {
        "…".to_string()
    };
    let line = fit_parts(
        &[
            format!("{} tuples", Thousands(p.tuples)),
            format!(
                "{} of {}",
                human_bytes(p.bytes_done),
                human_bytes(p.bytes_total)
            ),
            rate,
        ],
        " · ",
        counts.width as usize,
    );
    frame.render_widget(Paragraph::new(line).style(theme.dim), counts);
}

pub fn render_failed(frame: &mut Frame, area: Rect, message: &str, quit: &str, theme: &Theme) {
    let popup = centered(area, 64, 5);
    let block = Block::bordered()
        .title(format!(" Nothing loaded ({quit} quits) "))
        .border_style(theme.error);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(sanitize(message).into_owned())
            .wrap(Wrap { trim: true })
            .block(block),
        popup,
    );
}

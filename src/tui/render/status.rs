//! The status line: row count and query time, the breadcrumb, a message (else the standing
//! notice), and the two keys everyone needs.
//!
//! ```text
//!  12,408 of 2,000,000 rows · 3 ms   all › rule UserRule_RDP        ? help  q quit
//! ```

use super::format::{truncate, truncate_front};
use super::theme::Theme;
use crate::model::Thousands;
use crate::text::sanitize;
use crate::tui::app::{App, Phase};
use crate::tui::keys::Command;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// The least of the trail kept when it is cut from its front (`…:3389 tcp`).
const MIN_TRAIL: usize = 10;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = vec![Span::raw(" ")];
    match (&app.phase, &app.store, &app.view) {
        (Phase::Ready, Some(store), Some(view)) => {
            spans.push(Span::styled(
                format!(
                    "{} of {} rows · {} ms",
                    Thousands(view.rows.count() as u64),
                    Thousands(store.len() as u64),
                    view.elapsed.as_millis()
                ),
                theme.accent,
            ));
            // The same filter in another order: only the rows are being sorted.
            let resorting = view.filter == app.filter.current() && view.order != app.order;
            if app.busy() && !resorting {
                spans.push(Span::styled(" · filtering…", theme.dim));
            } else if app.busy() || view.rows.is_partial() {
                spans.push(Span::styled(" · sorting…", theme.dim));
            }
        }
        (Phase::Ready, _, _) => spans.push(Span::styled("filtering…", theme.dim)),
        (Phase::Loading { .. }, _, _) => spans.push(Span::styled("loading…", theme.dim)),
        (Phase::Failed(_), _, _) => spans.push(Span::styled("nothing loaded", theme.error)),
    }
    let mut trail_at = None;
    if !app.crumbs.is_empty() {
        let mut trail = String::from("all");
        for c in &app.crumbs {
            trail.push_str(" › ");
            trail.push_str(&c.label);
        }
        spans.push(Span::raw("   "));
        trail_at = Some(spans.len());
        spans.push(Span::styled(sanitize(&trail).into_owned(), theme.header));
    }
    if let Some(m) = app.message.as_ref().or(app.notice.as_ref()) {
        spans.push(Span::raw("   "));
        spans.push(Span::styled(sanitize(m).into_owned(), theme.error));
    }
    // The keys as the config binds them.
    let keymap = &app.settings.keymap;
    let keys = format!(
        "{} help  {} quit ",
        keymap.hint_key(Command::Help),
        keymap.hint_key(Command::Quit)
    );
    let width = |spans: &[Span]| -> usize { spans.iter().map(|s| s.content.chars().count()).sum() };
    let room = (area.width as usize).saturating_sub(keys.chars().count());
    // The trail gives way from its front: where one is (its end, a conversation's
    // ports) stays. Where even its last few characters have no room, it goes whole, and
    // a message after it shows: the panes' titles still say what they are about. Cut at
    // its end, the trail lost the ports, and pushed a message off the line.
    if let Some(at) = trail_at {
        let over = (width(&spans) + 1).saturating_sub(room);
        let trail = spans[at].content.chars().count();
        if over > 0 && trail >= over + MIN_TRAIL {
            let cut = truncate_front(&spans[at].content, trail - over);
            spans[at].content = cut.into();
        } else if over > 0 {
            // The trail and the gap before it.
            spans.drain(at - 1..=at);
        }
    }
    // A gap before the keys, also when the text fits exactly.
    let used = width(&spans);
    if used + 1 > room {
        let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
        spans = vec![Span::raw(truncate(&text, room.saturating_sub(1)))];
    }
    let used = width(&spans);
    spans.push(Span::raw(" ".repeat(room.saturating_sub(used))));
    spans.push(Span::styled(keys, theme.dim));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

//! Drawing: one function per screen region, each reading the app state and never changing
//! it. `draw` lays the regions out and stacks the popups on top.
//!
//! ```text
//! ┌ Rules ──────┐┌ Flows (N of M) ─────────────┐
//! │ rules       ││ virtualised table           │
//! ├ Top ────────┤├ Timeline ───────────────────┤
//! │ top-N/convs ││ steps on a time axis        │
//! └─────────────┘└─────────────────────────────┘
//!  / filter bar
//!  status line                         ? help  q quit
//! ```

pub mod details;
pub mod filter_bar;
pub mod flow_columns;
pub mod flows;
pub mod format;
pub mod help;
pub mod layout;
pub mod loading;
pub mod picker;
pub mod rules;
pub mod status;
pub mod theme;
pub mod timeline;
pub mod top;

use super::app::{App, Overlay, Pane, Phase};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType};
use ratatui::Frame;
use theme::Theme;

pub fn draw(frame: &mut Frame, app: &App) {
    let theme = Theme::from_settings(&app.settings);
    let areas = layout::areas(frame.area());
    let panes = |frame: &mut Frame| {
        rules::render(frame, areas.rules, app, &theme);
        top::render(frame, areas.top, app, &theme);
        flows::render(frame, areas.flows, app, &theme);
        timeline::render(frame, areas.timeline, app, &theme);
    };
    let quit = app
        .settings
        .keymap
        .hint_key(crate::tui::keys::Command::Quit);
    match &app.phase {
        Phase::Ready => panes(frame),
        Phase::Loading { snapshot, elapsed } => {
            // Panes show what is loaded so far, under the progress box.
            if app.store.is_some() {
                panes(frame);
            }
            loading::render(frame, areas.main, snapshot, *elapsed, &quit, &theme)
        }
        Phase::Failed(message) => loading::render_failed(frame, areas.main, message, &quit, &theme),
    }
    filter_bar::render(frame, areas.filter, app, &theme);
    status::render(frame, areas.status, app, &theme);
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help => help::render(frame, areas.main, app, &theme),
        Overlay::Picker(p) => picker::render(frame, areas.main, p, &theme),
        Overlay::Details(row) => details::render(frame, areas.main, app, *row, &theme),
    }
}

/// The bordered block of a pane, highlighted when it has the focus.
pub fn pane_block<'a>(title: Line<'a>, pane: Pane, app: &App, theme: &Theme) -> Block<'a> {
    let focused = app.focus == pane && matches!(app.overlay, Overlay::None);
    let (border, kind) = if focused {
        (theme.focus, BorderType::Thick)
    } else {
        (theme.border, BorderType::Plain)
    };
    Block::bordered()
        .border_type(kind)
        .border_style(border)
        .title(title.style(if focused { theme.focus } else { Style::new() }))
}

/// ` Title ` as a line.
pub fn title(text: impl Into<String>) -> Line<'static> {
    Line::from(Span::raw(format!(" {} ", text.into())))
}

/// The title of a block `width` wide: `parts` joined by `sep`, as many whole ones as fit
/// between the corners (a border cuts a title wherever it falls, mid-number too). The
/// space after the text may be the one given up.
pub fn fitted_title(parts: &[String], sep: &str, width: u16) -> Line<'static> {
    title(format::fit_parts(parts, sep, title_room(width)))
}

/// `fitted_title` for the top border, and the parts it has no room for, if any, as a
/// title for the bottom border rather than lost.
pub fn split_title(
    parts: &[String],
    sep: &str,
    width: u16,
) -> (Line<'static>, Option<Line<'static>>) {
    let top = format::parts_that_fit(parts, sep, title_room(width)).max(1);
    let bottom = (top < parts.len()).then(|| fitted_title(&parts[top..], sep, width));
    (fitted_title(&parts[..top], sep, width), bottom)
}

/// Columns between the corners of a block `width` wide, less the space after the text.
pub fn title_room(width: u16) -> usize {
    (width as usize).saturating_sub(3)
}

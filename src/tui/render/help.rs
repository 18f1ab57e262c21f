//! The `?` help popup, generated from the key table (so overrides show).
//!
//! ```text
//! ┌ Keys (Esc closes) ───────────────┐
//! │ Panes                            │
//! │   q, Ctrl-c   quit               │
//! │   …                              │
//! └──────────────────────────────────┘
//! ```

use super::layout::centered;
use super::theme::Theme;
use crate::text::{sanitize, wrap};
use crate::tui::app::App;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

/// The popup's width, where the terminal has it.
const WIDTH: u16 = 64;

/// One line of the popup, before it is styled.
enum Piece {
    Heading(&'static str),
    Problem(String),
    Entry { keys: String, text: String },
}

/// The popup's lines for `area`. Lines are broken here, not by the paragraph, so that a
/// help text goes on under its own column and scrolling counts every line.
fn pieces(app: &App, area: Rect) -> (Vec<Piece>, usize) {
    let help = app.settings.keymap.help();
    let key_width = help
        .iter()
        .flat_map(|(_, lines)| lines.iter().map(|(k, _)| k.chars().count()))
        .max()
        .unwrap_or(0);
    let inner_width = (area.width.min(WIDTH) as usize).saturating_sub(2);
    let mut pieces = Vec::new();
    // The config's problems in full: the status line has room for only their start.
    if !app.settings.problems.is_empty() {
        pieces.push(Piece::Heading("Config"));
        for problem in &app.settings.problems {
            for part in wrap(&sanitize(problem), inner_width.saturating_sub(2)) {
                pieces.push(Piece::Problem(part));
            }
        }
    }
    let text_width = inner_width.saturating_sub(key_width + 4);
    for (context, entries) in &help {
        pieces.push(Piece::Heading(context.title()));
        for (keys, text) in entries {
            for (i, part) in wrap(text, text_width).into_iter().enumerate() {
                let keys = if i == 0 { keys.clone() } else { String::new() };
                pieces.push(Piece::Entry { keys, text: part });
            }
        }
    }
    (pieces, key_width)
}

/// How far the help can scroll in `area`.
pub fn scroll_room(app: &App, area: Rect) -> u16 {
    let lines = pieces(app, area).0.len() + 2;
    let popup = centered(area, WIDTH, lines as u16);
    lines.saturating_sub(popup.height as usize) as u16
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let (pieces, key_width) = pieces(app, area);
    let lines: Vec<Line> = pieces
        .into_iter()
        .map(|p| match p {
            Piece::Heading(title) => Line::styled(title, theme.header),
            Piece::Problem(text) => Line::styled(format!("  {text}"), theme.error),
            Piece::Entry { keys, text } => Line::from(vec![
                Span::styled(format!("  {keys:<key_width$}  "), theme.accent),
                Span::raw(text),
            ]),
        })
        .collect();
    let popup = centered(area, WIDTH, lines.len() as u16 + 2);
    let fits = popup.height as usize >= lines.len() + 2;
    let heading = if fits {
        " Keys (Esc closes) "
    } else {
        " Keys (↑↓ scroll, Esc closes) "
    };
    let block = Block::bordered().title(heading).border_style(theme.focus);
    let max_scroll = scroll_room(app, area);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((app.popup_scroll.min(max_scroll), 0))
            .block(block),
        popup,
    );
}

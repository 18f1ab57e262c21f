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
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

/// The popup's width, where the terminal has it.
const WIDTH: u16 = 64;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let help = app.settings.keymap.help();
    let key_width = help
        .iter()
        .flat_map(|(_, lines)| lines.iter().map(|(k, _)| k.chars().count()))
        .max()
        .unwrap_or(0);
    // Lines are broken here, not by the paragraph, so that a help text goes on under its
    // own column and the popup's height counts every line.
    let inner_width = (area.width.min(WIDTH) as usize).saturating_sub(2);
    let mut lines = Vec::new();
    // The config's problems in full: the status line has room for only their start.
    if !app.settings.problems.is_empty() {
        lines.push(Line::styled("Config", theme.header));
        for problem in &app.settings.problems {
            for part in wrap(&sanitize(problem), inner_width.saturating_sub(2)) {
                lines.push(Line::styled(format!("  {part}"), theme.error));
            }
        }
    }
    let text_width = inner_width.saturating_sub(key_width + 4);
    for (context, entries) in &help {
        lines.push(Line::styled(context.title(), theme.header));
        for (keys, text) in entries {
            for (i, part) in wrap(text, text_width).into_iter().enumerate() {
                let keys = if i == 0 { keys.as_str() } else { "" };
                lines.push(Line::from(vec![
                    Span::styled(format!("  {keys:<key_width$}  "), theme.accent),
                    Span::raw(part),
                ]));
            }
        }
    }
    let popup = centered(area, WIDTH, lines.len() as u16 + 2);
    let fits = popup.height as usize >= lines.len() + 2;
    let heading = if fits {
        " Keys (Esc closes) "
    } else {
        " Keys (↑↓ scroll, Esc closes) "
    };
    let block = Block::bordered().title(heading).border_style(theme.focus);
    // Never scroll past the last screenful.
    let max_scroll = (lines.len() + 2).saturating_sub(popup.height as usize) as u16;
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((app.popup_scroll.min(max_scroll), 0))
            .block(block),
        popup,
    );
}

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
use crate::tui::app::App;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let help = app.settings.keymap.help();
    let key_width = help
        .iter()
        .flat_map(|(_, lines)| lines.iter().map(|(k, _)| k.chars().count()))
        .max()
        .unwrap_or(0);
    let mut lines = Vec::new();
    for (context, entries) in &help {
        lines.push(Line::styled(context.title(), theme.header));
        for (keys, text) in entries {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<key_width$}  "), theme.accent),
                Span::raw(*text),
            ]));
        }
    }
    let popup = centered(area, 64, lines.len() as u16 + 2);
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

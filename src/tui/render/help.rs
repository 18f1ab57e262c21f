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
    let block = Block::bordered()
        .title(" Keys (Esc closes) ")
        .border_style(theme.focus);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        popup,
    );
}

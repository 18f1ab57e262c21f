//! The fuzzy picker popup: a query line and the best matches among rules, addresses and
//! saved filters.
//!
//! ```text
//! ┌ Jump to (Enter, Esc) ────────────┐
//! │ > rdp▏                           │
//! │ rule     UserRule_RDP            │
//! └──────────────────────────────────┘
//! ```

use super::format::truncate;
use super::layout::centered;
use super::theme::Theme;
use crate::text::sanitize;
use crate::tui::picker::Picker;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

pub fn render(frame: &mut Frame, area: Rect, picker: &Picker, theme: &Theme) {
    let popup = centered(area, 60, area.height.saturating_sub(2).min(20));
    let shown = picker.matches.len();
    let count = match picker.matched {
        1 => "1 match".to_string(),
        n if n > shown => format!("best {shown} of {n} matches"),
        n => format!("{n} matches"),
    };
    let block = Block::bordered()
        .title(format!(" Jump to ({count}) "))
        .border_style(theme.focus);
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    let mut lines = vec![Line::from(vec![
        Span::styled("> ", theme.accent),
        Span::raw(sanitize(picker.input.value()).into_owned()),
    ])];
    let height = inner.height.saturating_sub(1) as usize;
    let first = picker.cursor.saturating_sub(height.saturating_sub(1));
    for i in first..(first + height).min(picker.matches.len()) {
        let Some(item) = picker.item(i) else { break };
        let text = truncate(
            &sanitize(item.text()),
            inner.width.saturating_sub(9) as usize,
        );
        let line = Line::from(vec![
            Span::styled(format!("{:<8} ", item.kind()), theme.dim),
            Span::raw(text),
        ]);
        lines.push(if i == picker.cursor {
            line.style(theme.selected)
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines).block(block), popup);
    let x = inner.x + 2 + picker.input.visual_cursor() as u16;
    frame.set_cursor_position((x.min(inner.right().saturating_sub(1)), inner.y));
}

//! The filter bar: the filter in force, or the text being edited with live validation;
//! an error puts a caret under its position on the line above, with the message.
//!
//! ```text
//!    ^ expected a port number            (on the pane border, while editing)
//!  / dport == 33x9▏                 ✗ expected a port number
//! ```

use super::format::truncate;
use super::theme::Theme;
use crate::text::sanitize;
use crate::tui::app::App;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

const PROMPT: &str = " / ";

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let bar = &app.filter;
    let verdict_width = (area.width / 3) as usize;
    let text_width = (area.width as usize).saturating_sub(PROMPT.len() + verdict_width + 1);
    if !bar.editing {
        let line = if bar.kept.is_empty() {
            Line::from(vec![
                Span::styled(PROMPT, theme.accent),
                Span::styled("to filter, e.g. dport == 3389 and deny", theme.dim),
            ])
        } else {
            let room = (area.width as usize).saturating_sub(PROMPT.len());
            Line::from(vec![
                Span::styled(PROMPT, theme.accent),
                Span::raw(truncate(&sanitize(&bar.kept), room)),
            ])
        };
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let scroll = bar.input.visual_scroll(text_width);
    let value = sanitize(bar.input.value()).into_owned();
    // The input scrolls by columns (a CJK character takes two), so the text shown is cut
    // by columns too.
    let shown = crate::text::columns(&value, scroll, text_width);
    let verdict = match (&bar.error, app.busy()) {
        (Some(e), _) => Span::styled(
            truncate(&format!("✗ {}", e.message), verdict_width),
            theme.error,
        ),
        (None, true) => Span::styled("…", theme.dim),
        (None, false) => Span::styled("✓", theme.ok),
    };
    let pad = text_width.saturating_sub(crate::text::width(&shown));
    // A selected filter is shown as selected: typing replaces it.
    let text_style = if bar.selected {
        theme.selected
    } else {
        ratatui::style::Style::default()
    };
    let line = Line::from(vec![
        Span::styled(PROMPT, theme.focus),
        Span::styled(shown, text_style),
        Span::raw(" ".repeat(pad + 1)),
        verdict,
    ]);
    frame.render_widget(Paragraph::new(line), area);
    let cursor_x = bar.input.visual_cursor().saturating_sub(scroll) + PROMPT.len();
    frame.set_cursor_position((area.x + cursor_x as u16, area.y));
    if area.y == 0 {
        return;
    }
    let above = Rect::new(area.x, area.y - 1, area.width, 1);
    let note = match (&bar.error, &bar.hint) {
        (Some(e), _) => {
            let at = crate::text::width_of_first(&value, e.position).saturating_sub(scroll)
                + PROMPT.len();
            // The message names the nearest fields already: the suggestions are not added.
            let text = format!("{}^ {}", " ".repeat(at), e.message);
            Some(Line::styled(
                truncate(&text, above.width as usize),
                theme.error,
            ))
        }
        (None, Some(hint)) => {
            let text = format!("{}{}", " ".repeat(PROMPT.len()), sanitize(hint));
            Some(Line::styled(
                truncate(&text, above.width as usize),
                theme.accent,
            ))
        }
        _ => None,
    };
    if let Some(note) = note {
        frame.render_widget(Clear, above);
        frame.render_widget(Paragraph::new(note), above);
    }
}

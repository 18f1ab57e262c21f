//! Colours and emphasis for the three themes, or none at all under `NO_COLOR`.

use crate::tui::settings::{Settings, ThemeName};
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub border: Style,
    pub focus: Style,
    pub header: Style,
    pub selected: Style,
    pub allow: Style,
    pub deny: Style,
    pub dim: Style,
    pub error: Style,
    pub ok: Style,
    pub accent: Style,
}

impl Theme {
    pub fn from_settings(s: &Settings) -> Theme {
        if s.no_color {
            return Theme::plain();
        }
        let bold = Modifier::BOLD;
        match s.theme {
            ThemeName::Dark => Theme {
                border: Style::new().fg(Color::DarkGray),
                focus: Style::new().fg(Color::Cyan).add_modifier(bold),
                header: Style::new().fg(Color::Yellow).add_modifier(bold),
                selected: Style::new().bg(Color::DarkGray).add_modifier(bold),
                allow: Style::new().fg(Color::Green),
                deny: Style::new().fg(Color::Red),
                dim: Style::new().fg(Color::Gray),
                error: Style::new().fg(Color::LightRed).add_modifier(bold),
                ok: Style::new().fg(Color::Green),
                accent: Style::new().fg(Color::Cyan),
            },
            ThemeName::Light => Theme {
                border: Style::new().fg(Color::Gray),
                focus: Style::new().fg(Color::Blue).add_modifier(bold),
                header: Style::new().fg(Color::Magenta).add_modifier(bold),
                selected: Style::new().bg(Color::Gray).add_modifier(bold),
                allow: Style::new().fg(Color::Green),
                deny: Style::new().fg(Color::Red),
                dim: Style::new().fg(Color::DarkGray),
                error: Style::new().fg(Color::Red).add_modifier(bold),
                ok: Style::new().fg(Color::Green),
                accent: Style::new().fg(Color::Blue),
            },
            ThemeName::HighContrast => Theme {
                border: Style::new().fg(Color::White),
                focus: Style::new().fg(Color::LightYellow).add_modifier(bold),
                header: Style::new()
                    .fg(Color::White)
                    .add_modifier(bold | Modifier::UNDERLINED),
                selected: Style::new().fg(Color::Black).bg(Color::LightYellow),
                allow: Style::new().fg(Color::LightGreen).add_modifier(bold),
                deny: Style::new().fg(Color::LightRed).add_modifier(bold),
                dim: Style::new().fg(Color::White),
                error: Style::new().fg(Color::LightRed).add_modifier(bold),
                ok: Style::new().fg(Color::LightGreen),
                accent: Style::new().fg(Color::LightCyan),
            },
        }
    }

    /// No colours: emphasis only through bold and reverse video.
    pub(crate) fn plain() -> Theme {
        let none = Style::new();
        let bold = Style::new().add_modifier(Modifier::BOLD);
        Theme {
            border: none,
            focus: bold,
            header: bold,
            selected: Style::new().add_modifier(Modifier::REVERSED),
            allow: none,
            deny: none,
            dim: none,
            error: bold,
            ok: none,
            accent: none,
        }
    }
}

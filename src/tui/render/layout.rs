//! Where each region goes; pure, so the app can page and hit-test with the same numbers.
//!
//! ```text
//! ┌ Rules ──────┐┌ Flows ─────────────────────┐
//! │             ││                            │
//! ├ Top ────────┤├ Timeline ──────────────────┤
//! │             ││                            │
//! └─────────────┘└────────────────────────────┘
//!  / filter bar                       ✓ valid
//!  status: rows · time · breadcrumb   ? help
//! ```

use ratatui::layout::{Constraint, Layout, Rect};

/// Lines of the Timeline pane that are not steps: borders, axis, axis labels, header.
pub const TIMELINE_CHROME: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub main: Rect,
    pub rules: Rect,
    pub top: Rect,
    pub flows: Rect,
    pub timeline: Rect,
    pub filter: Rect,
    pub status: Rect,
}

pub fn areas(size: Rect) -> Areas {
    let [main, filter, status] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(size);
    let left_width = (size.width * 30 / 100).clamp(22.min(size.width), 44);
    let [left, right] =
        Layout::horizontal([Constraint::Length(left_width), Constraint::Min(0)]).areas(main);
    let [rules, top] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(left);
    let [flows, timeline] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(right);
    Areas {
        main,
        rules,
        top,
        flows,
        timeline,
        filter,
        status,
    }
}

/// A `width` × `height` rectangle centred in `area` (clipped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

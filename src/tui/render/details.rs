//! The details popup: every field of one tuple and where it came from (file, record
//! ordinal, byte offset), so it can be found in the original log.
//!
//! ```text
//! ┌ Flow details (Esc closes) ─────────┐
//! │ time        2024-11-18 08:30:01    │
//! │ src         203.0.113.9            │
//! │ …                                  │
//! │ record      #3 at byte 18,204      │
//! └────────────────────────────────────┘
//! ```

use super::format::{time, truncate, TimeStyle};
use super::layout::centered;
use super::theme::Theme;
use crate::field::Field;
use crate::model::{proto, Thousands};
use crate::store::Store;
use crate::text::sanitize;
use crate::tui::app::App;
use crate::tui::settings::TimeZone;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

pub fn render(frame: &mut Frame, area: Rect, app: &App, row: u32, theme: &Theme) {
    let Some(store) = &app.store else { return };
    if row as usize >= store.len() {
        return;
    }
    let text_width = WIDTH.min(area.width).saturating_sub(2);
    let (mut lines, origin) = content(app, store, row, text_width, theme);
    let (fields, _) = content(app, store, row, u16::MAX, theme);
    let block = Block::bordered().border_style(theme.focus);
    let tall = (lines.len() + origin.len()) as u16 + 2;
    match fit(&lines, &fields, &origin, area.height) {
        Fit::OneColumn => {
            let popup = centered(area, WIDTH, tall);
            lines.extend(origin);
            frame.render_widget(Clear, popup);
            let block = block.title(" Flow details (Esc closes) ");
            frame.render_widget(Paragraph::new(lines).block(block), popup);
        }
        Fit::Scrolled => {
            let popup = centered(area, WIDTH, tall);
            lines.extend(origin);
            let scroll = app.popup_scroll.min(tall.saturating_sub(popup.height));
            let block = block.title(" Flow details (↑↓ scroll, Esc closes) ");
            frame.render_widget(Clear, popup);
            frame.render_widget(
                Paragraph::new(lines).scroll((scroll, 0)).block(block),
                popup,
            );
        }
        Fit::TwoColumns => {
            let mut left = fields;
            let half = left.len().div_ceil(2);
            let right = left.split_off(half);
            let popup = centered(area, WIDTH, (half + origin.len()) as u16 + 2);
            let block = block.title(" Flow details (Esc closes) ");
            let inner = block.inner(popup);
            frame.render_widget(Clear, popup);
            frame.render_widget(block, popup);
            let [columns, bottom] =
                Layout::vertical([Constraint::Length(half as u16), Constraint::Min(0)])
                    .areas(inner);
            let [l, r] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .spacing(1)
                    .areas(columns);
            for (lines, column) in [(left, l), (right, r)] {
                let lines: Vec<Line> = lines
                    .into_iter()
                    .map(|line| cut_line(line, column.width as usize))
                    .collect();
                frame.render_widget(Paragraph::new(lines), column);
            }
            frame.render_widget(Paragraph::new(origin), bottom);
        }
    }
}

/// How the details fit a terminal's height.
#[derive(Debug, PartialEq, Eq)]
enum Fit {
    /// Every value, cut into lines of the popup's width.
    OneColumn,
    /// Shorter: the fields in two columns, a line each (a value too long for its column
    /// ends in `…`); where the tuple came from below, whole.
    TwoColumns,
    /// Shorter still: one column that scrolls, so that every value can be read whole.
    Scrolled,
}

/// A field's line (name, value) cut to `width`, its value ending in `…` where it is cut:
/// a rule name cut at a column's edge read as another rule's.
fn cut_line(mut line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    if let [name, value] = &mut line.spans[..] {
        let room = width.saturating_sub(name.width());
        value.content = truncate(&value.content, room).into();
    }
    line
}

fn fit(lines: &[Line], fields: &[Line], origin: &[Line], height: u16) -> Fit {
    let tall = (lines.len() + origin.len()) as u16 + 2;
    let half = fields.len().div_ceil(2);
    let two_columns = (half + origin.len()) as u16 + 2;
    if tall <= height {
        Fit::OneColumn
    } else if two_columns <= height {
        Fit::TwoColumns
    } else {
        Fit::Scrolled
    }
}

/// How many lines the details of `row` scroll by in `area` (0 when they fit): the
/// popup's lines beyond its height, when it is one column that scrolls.
pub fn scroll_room(app: &App, row: u32, area: Rect) -> u16 {
    let Some(store) = &app.store else { return 0 };
    if row as usize >= store.len() {
        return 0;
    }
    let theme = Theme::from_settings(&app.settings);
    let text_width = WIDTH.min(area.width).saturating_sub(2);
    let (lines, origin) = content(app, store, row, text_width, &theme);
    let (fields, _) = content(app, store, row, u16::MAX, &theme);
    match fit(&lines, &fields, &origin, area.height) {
        Fit::Scrolled => ((lines.len() + origin.len()) as u16 + 2).saturating_sub(area.height),
        _ => 0,
    }
}

/// The tuple's fields, then where it came from, each value cut into lines of `width` (an
/// ACL id is a whole resource id, a blob path longer still): the popup's height is then
/// known, as a wrapped paragraph's is not.
fn content(
    app: &App,
    store: &Store,
    row: u32,
    width: u16,
    theme: &Theme,
) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let zone = app.settings.time_zone;
    let fields = Field::tuple_fields()
        .filter(|f| *f != Field::File)
        .flat_map(|f| long_entry(f.name(), &field_value(store, row, f, zone), width, theme))
        .collect();
    let record = store.record_of(row);
    let offset = match record.offset {
        u64::MAX => "unknown offset".to_string(),
        o => format!("byte {}", Thousands(o)),
    };
    let file = field_value(store, row, Field::File, zone);
    let origin = [
        ("record", format!("#{} at {offset}", record.ordinal)),
        ("row", Thousands(row as u64).to_string()),
        ("file", file),
    ]
    .iter()
    .flat_map(|(name, value)| long_entry(name, value, width, theme))
    .collect();
    (fields, origin)
}

/// Popup width, borders included.
const WIDTH: u16 = 76;

/// Columns before a value: the field's name, padded.
const NAME_WIDTH: usize = 12;

/// An entry whose value may be longer than a line of `width`: cut into lines, those
/// after the first under the value's first character.
fn long_entry(name: &str, value: &str, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let room = (width as usize).saturating_sub(NAME_WIDTH).max(1);
    let chars: Vec<char> = sanitize(value).chars().collect();
    let mut pieces = chars.chunks(room).map(|c| c.iter().collect::<String>());
    let first = Line::from(vec![
        Span::styled(format!("{name:<NAME_WIDTH$}"), theme.accent),
        Span::raw(pieces.next().unwrap_or_default()),
    ]);
    let mut lines = vec![first];
    lines.extend(pieces.map(|p| Line::raw(format!("{:NAME_WIDTH$}{p}", ""))));
    lines
}

/// One field of one tuple, as text.
fn field_value(s: &Store, row: u32, field: Field, zone: TimeZone) -> String {
    let f = s.flag(row);
    let c = s.counters(row);
    let r = row as usize;
    // Absent text shows as `-`, as an absent state or encryption does: a blank read as
    // a value cut off.
    let text = |id: u32| s.text(id).unwrap_or("-").to_string();
    match field {
        Field::Time => time(s.time_ms(row), zone, TimeStyle::Full),
        Field::Src => s.src(row).to_string(),
        Field::Dst => s.dst(row).to_string(),
        Field::Ip => format!("{} {}", s.src(row), s.dst(row)),
        Field::Sport => s.sports()[r].to_string(),
        Field::Dport => s.dports()[r].to_string(),
        Field::Port => format!("{} {}", s.sports()[r], s.dports()[r]),
        Field::Proto => proto::display(f.proto()),
        Field::Dir => f.dir().name().into(),
        Field::Action => f.decision().name().into(),
        Field::State => f.state().map(|x| x.name()).unwrap_or("-").into(),
        Field::Rule => text(s.group_of(row).rule),
        Field::Nsg => text(s.record_of(row).nsg),
        Field::Mac => text(s.group_of(row).mac),
        Field::Flowlog => text(s.record_of(row).flowlog),
        Field::Target => text(s.record_of(row).target),
        Field::Acl => text(s.group_of(row).acl),
        Field::Encryption => f.encryption().map(|e| e.name()).unwrap_or("-").into(),
        Field::Bytes => Thousands(c.bytes()).to_string(),
        Field::Packets => Thousands(c.packets()).to_string(),
        Field::BytesOut => Thousands(c.bytes_out).to_string(),
        Field::BytesIn => Thousands(c.bytes_in).to_string(),
        Field::PacketsOut => Thousands(c.packets_out).to_string(),
        Field::PacketsIn => Thousands(c.packets_in).to_string(),
        Field::Version => s.record_of(row).version.to_string(),
        Field::File => s.file_of(row).path.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_path_is_cut_into_lines_and_kept_whole() {
        let path = format!(
            "insights-logs/{}/PT1H.json",
            "y=2024/m=11/d=18/h=07".repeat(5)
        );
        let theme = Theme::plain();
        let lines = long_entry("file", &path, 40, &theme);
        assert!(lines.len() > 1);
        let shown: String = lines
            .iter()
            .map(|l| l.to_string()[NAME_WIDTH..].to_string())
            .collect();
        assert_eq!(shown, path);
        assert!(lines.iter().all(|l| l.width() <= 40));
        assert_eq!(long_entry("row", "7", 40, &theme).len(), 1);
    }
}

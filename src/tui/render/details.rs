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
    let (fields, origin) = entries(app, store, row);
    let text_width = WIDTH.min(area.width).saturating_sub(2);
    let shape = Shape::of(&fields, &origin, text_width);
    let lines = |entries: &[Entry], width| -> Vec<Line<'static>> {
        entries
            .iter()
            .flat_map(|(name, value)| long_entry(name, value, width, theme))
            .collect()
    };
    let block = Block::bordered().border_style(theme.focus);
    match shape.fit(area.height) {
        Fit::OneColumn | Fit::Scrolled => {
            let tall = shape.tall();
            let popup = centered(area, WIDTH, tall);
            let mut all = lines(&fields, text_width);
            all.extend(lines(&origin, text_width));
            let scroll = app.popup_scroll.min(tall.saturating_sub(popup.height));
            let title = match tall > popup.height {
                true => " Flow details (↑↓ scroll, Esc closes) ",
                false => " Flow details (Esc closes) ",
            };
            frame.render_widget(Clear, popup);
            frame.render_widget(
                Paragraph::new(all)
                    .scroll((scroll, 0))
                    .block(block.title(title)),
                popup,
            );
        }
        Fit::TwoColumns => {
            let half = fields.len().div_ceil(2);
            let popup = centered(area, WIDTH, shape.two_columns());
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
            for (part, column) in [(&fields[..half], l), (&fields[half..], r)] {
                let one_line_each: Vec<Line> = lines(part, u16::MAX)
                    .into_iter()
                    .map(|line| cut_line(line, column.width as usize))
                    .collect();
                frame.render_widget(Paragraph::new(one_line_each), column);
            }
            frame.render_widget(Paragraph::new(lines(&origin, text_width)), bottom);
        }
    }
}

/// A field's name and its value, as text.
type Entry = (&'static str, String);

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

/// The popup's line counts, from its entries: what `Fit` is chosen by, known without
/// building a line.
struct Shape {
    /// Fields, and their lines at the popup's width.
    fields: usize,
    field_lines: usize,
    /// Lines of where the tuple came from, at the popup's width.
    origin_lines: usize,
}

impl Shape {
    fn of(fields: &[Entry], origin: &[Entry], width: u16) -> Shape {
        let count = |entries: &[Entry]| -> usize {
            entries.iter().map(|(_, v)| entry_lines(v, width)).sum()
        };
        Shape {
            fields: fields.len(),
            field_lines: count(fields),
            origin_lines: count(origin),
        }
    }

    /// Height in one column, borders included.
    fn tall(&self) -> u16 {
        (self.field_lines + self.origin_lines) as u16 + 2
    }

    /// Height in two columns, borders included.
    fn two_columns(&self) -> u16 {
        (self.fields.div_ceil(2) + self.origin_lines) as u16 + 2
    }

    fn fit(&self, height: u16) -> Fit {
        if self.tall() <= height {
            Fit::OneColumn
        } else if self.two_columns() <= height {
            Fit::TwoColumns
        } else {
            Fit::Scrolled
        }
    }
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

/// How many lines the details of `row` scroll by in `area` (0 when they fit): the
/// popup's lines beyond its height, when it is one column that scrolls.
pub fn scroll_room(app: &App, row: u32, area: Rect) -> u16 {
    let Some(store) = &app.store else { return 0 };
    if row as usize >= store.len() {
        return 0;
    }
    let (fields, origin) = entries(app, store, row);
    let shape = Shape::of(&fields, &origin, WIDTH.min(area.width).saturating_sub(2));
    match shape.fit(area.height) {
        Fit::Scrolled => shape.tall().saturating_sub(area.height),
        _ => 0,
    }
}

/// The tuple's fields, then where it came from, each named: every value is worked out
/// once, however the popup then lays them out.
fn entries(app: &App, store: &Store, row: u32) -> (Vec<Entry>, Vec<Entry>) {
    let zone = app.settings.time_zone;
    let fields = Field::tuple_fields()
        .filter(|f| *f != Field::File)
        .map(|f| (f.name(), field_value(store, row, f, zone)))
        .collect();
    let record = store.record_of(row);
    let offset = match record.offset {
        u64::MAX => "unknown offset".to_string(),
        o => format!("byte {}", Thousands(o)),
    };
    let origin = vec![
        ("record", format!("#{} at {offset}", record.ordinal)),
        ("row", Thousands(row as u64).to_string()),
        ("file", field_value(store, row, Field::File, zone)),
    ];
    (fields, origin)
}

/// Popup width, borders included.
const WIDTH: u16 = 76;

/// Columns before a value: the field's name, padded.
const NAME_WIDTH: usize = 12;

/// Columns for a value in a line of `width`.
fn value_room(width: u16) -> usize {
    (width as usize).saturating_sub(NAME_WIDTH).max(1)
}

/// The lines `long_entry` cuts `value` into.
fn entry_lines(value: &str, width: u16) -> usize {
    sanitize(value)
        .chars()
        .count()
        .div_ceil(value_room(width))
        .max(1)
}

/// An entry whose value may be longer than a line of `width`: cut into lines, those
/// after the first under the value's first character (`entry_lines` of them). The value
/// is cut into lines of the popup's width, so that the popup's height is known, as a
/// wrapped paragraph's is not (an ACL id is a whole resource id, a blob path longer).
fn long_entry(name: &str, value: &str, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let room = value_room(width);
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

    /// The heights the layout is chosen by are the lines the popup then draws.
    #[test]
    fn lines_are_counted_as_they_are_cut() {
        let theme = Theme::plain();
        for len in [0, 1, 27, 28, 29, 64, 200] {
            let value = "x".repeat(len);
            for width in [20, 40, 74, u16::MAX] {
                let cut = long_entry("acl", &value, width, &theme).len();
                assert_eq!(entry_lines(&value, width), cut, "{len} at {width}");
            }
        }
    }
}

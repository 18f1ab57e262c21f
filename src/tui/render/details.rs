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

use super::format::{time, TimeStyle};
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
    let zone = app.settings.time_zone;
    // Each field's value cut into lines of `width` (an ACL id is a whole resource id):
    // the popup's height is then known, as a wrapped paragraph's is not.
    let fields = |width: u16| -> Vec<Line> {
        Field::tuple_fields()
            .filter(|f| *f != Field::File)
            .flat_map(|f| long_entry(f.name(), &field_value(store, row, f, zone), width, theme))
            .collect()
    };
    let record = store.record_of(row);
    let offset = match record.offset {
        u64::MAX => "unknown offset".to_string(),
        o => format!("byte {}", Thousands(o)),
    };
    let text_width = WIDTH.min(area.width).saturating_sub(2);
    // Where it came from, last: a blob path is long (wrapped as one word, its end fell
    // off the popup).
    let file = field_value(store, row, Field::File, zone);
    let origin: Vec<Line> = [
        ("record", format!("#{} at {offset}", record.ordinal)),
        ("row", Thousands(row as u64).to_string()),
        ("file", file),
    ]
    .iter()
    .flat_map(|(name, value)| long_entry(name, value, text_width, theme))
    .collect();
    let mut lines = fields(text_width);
    let block = Block::bordered()
        .title(" Flow details (Esc closes) ")
        .border_style(theme.focus);
    let tall = (lines.len() + origin.len()) as u16 + 2;
    if tall <= area.height {
        let popup = centered(area, WIDTH, tall);
        lines.extend(origin);
        frame.render_widget(Clear, popup);
        frame.render_widget(Paragraph::new(lines).block(block), popup);
        return;
    }
    // Short terminal: the tuple's fields in two columns, a line each (cut at the column's
    // edge), where it came from below.
    let mut lines = fields(u16::MAX);
    let half = lines.len().div_ceil(2);
    let right = lines.split_off(half);
    let height = (half + origin.len()) as u16 + 2;
    let popup = centered(area, WIDTH, height);
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    let [columns, bottom] =
        Layout::vertical([Constraint::Length(half as u16), Constraint::Min(0)]).areas(inner);
    let [l, r] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
        .spacing(1)
        .areas(columns);
    frame.render_widget(Paragraph::new(lines), l);
    frame.render_widget(Paragraph::new(right), r);
    frame.render_widget(Paragraph::new(origin), bottom);
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
pub fn field_value(s: &Store, row: u32, field: Field, zone: TimeZone) -> String {
    let f = s.flag(row);
    let c = s.counters(row);
    let r = row as usize;
    let text = |id: u32| s.text(id).unwrap_or("").to_string();
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

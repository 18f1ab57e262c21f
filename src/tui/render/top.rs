//! The Top/Conversations pane: top sources, destinations or ports like `nfdump -s`, or the
//! conversation list with totals (`t` switches).
//!
//! ```text
//! ┌ Top sources (t) ──────────┐   ┌ Conversations (t) ───┐
//! │ key           tuples bytes│   │key            bytes  │
//! │ 203.0.113.9     8.1k 1.2 MB│   │10.0.1.4:50377→ 275 MB│
//! └───────────────────────────┘   │ 10.0.2.5:445  …4F2E35│
//!                                 └──────────────────────┘
//! ```
//! A conversation takes two lines, its destination under its source: the pane is at most
//! 44 columns wide, and on one line two endpoints were cut to a few characters each, or
//! the destination lost. The same flow logged on two interfaces is two conversations
//! with the same endpoints: each then shows its interface's MAC.

use super::format::{compact, cut_endpoint, cut_middle, human_short, truncate, truncate_front};
use super::theme::Theme;
use super::{fitted_title, pane_block};
use crate::store::Store;
use crate::text::sanitize;
use crate::tui::app::{App, Pane};
use crate::tui::navigate::endpoint;
use crate::tui::worker::{TopList, TOP_N};
use crate::views::SortBy;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

const NUMBER_WIDTH: usize = 6;
const BYTES_WIDTH: usize = 7;
/// The least key width worth three columns: an IPv4 address.
const NARROWEST_KEY: usize = 15;
/// A MAC's last digits, `…4F2E35`: what tells two interfaces apart.
const INTERFACE_WIDTH: usize = 7;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // The measure is named once `o` has changed it from the mode's own.
    let by = match app.top_sort() {
        sort if sort == app.top_mode.default_sort() => String::new(),
        SortBy::Tuples => " by tuples".into(),
        SortBy::Bytes => " by bytes".into(),
        SortBy::Packets => " by packets".into(),
    };
    let heading = fitted_title(
        &[format!("{}{by} (t)", app.top_mode.title())],
        "",
        area.width,
    );
    let mut block = pane_block(heading, Pane::Top, app, theme);
    // The list holds the biggest `TOP_N`: where it is full, more may be left out. On the
    // bottom border, which has room for it at every width.
    if app.top_list().is_some_and(|top| top.len() >= TOP_N) {
        block = block.title_bottom(fitted_title(&[format!("{TOP_N} biggest")], "", area.width));
    }
    let (Some(store), Some(_)) = (&app.store, &app.summary) else {
        frame.render_widget(block, area);
        return;
    };
    let inner = block.inner(area);
    let Some(top) = app.top_list() else {
        // The list of the mode (or ranking) before would sit under the new title.
        let working = Paragraph::new("counting…").style(theme.dim).block(block);
        frame.render_widget(working, area);
        return;
    };
    let cursor = app.cursor(Pane::Top);
    let columns = Columns::of(inner.width as usize, app.top_sort());
    let height = inner.height.saturating_sub(1) as usize / lines_per_entry(top);
    // Conversations show their states, unless ranked by tuples: then their counts.
    let states = matches!(top, TopList::Conversations(_)) && app.top_sort() != SortBy::Tuples;
    let entries = visible_entries(store, top, states, cursor.offset, height);
    let second = if states { "states" } else { "tuples" };
    let names = ["key", second, "bytes"].map(String::from);
    let header = Row::new([Cell::from(columns.line(&names))]).style(theme.header);
    let rows = entries.into_iter().enumerate().map(|(i, entry)| {
        let lines = entry.lines(&columns, theme);
        let height = lines.len() as u16;
        let row = Row::new([Cell::from(Text::from(lines))]).height(height);
        if cursor.offset + i == cursor.selected {
            row.style(theme.selected)
        } else {
            row
        }
    });
    let table = Table::new(rows, [Constraint::Length(inner.width)])
        .header(header)
        .column_spacing(0)
        .block(block);
    frame.render_widget(table, area);
}

/// Screen lines each entry of a Top list takes: scrolling and clicks count entries by it.
pub fn lines_per_entry(top: &TopList) -> usize {
    match top {
        TopList::Conversations(_) => 2,
        TopList::Entries(_) => 1,
    }
}

/// The columns shown (key, count or states, bytes), laid out in the pane's width.
struct Columns {
    /// Which of the three, in order.
    kept: &'static [usize],
    key_width: usize,
    width: usize,
}

impl Columns {
    /// For a pane `width` wide inside, ranked by `sort`.
    fn of(width: usize, sort: SortBy) -> Columns {
        // Too narrow for three columns (80 columns leave the key 7, `203.0.…`): the key
        // keeps room for an address and one figure stays, the one the list is ranked by.
        let three = width >= NUMBER_WIDTH + BYTES_WIDTH + 2 + NARROWEST_KEY;
        let kept: &'static [usize] = match (three, sort) {
            (true, _) => &[0, 1, 2],
            (false, SortBy::Tuples) => &[0, 1],
            (false, _) => &[0, 2],
        };
        let figures: usize = kept[1..].iter().map(|&c| figure_width(c) + 1).sum();
        Columns {
            kept,
            key_width: width.saturating_sub(figures),
            width,
        }
    }

    fn width_of(&self, c: usize) -> usize {
        match c {
            0 => self.key_width,
            c => figure_width(c),
        }
    }

    /// The key and the figures kept, each cut to its column, one space between.
    fn line(&self, texts: &[String; 3]) -> String {
        let cells: Vec<String> = self
            .kept
            .iter()
            .map(|&c| {
                let width = self.width_of(c);
                format!("{:<width$}", truncate(&texts[c], width))
            })
            .collect();
        cells.join(" ")
    }
}

/// Width of a figure's column: the count or states (1), the bytes (2).
fn figure_width(c: usize) -> usize {
    match c {
        1 => NUMBER_WIDTH,
        _ => BYTES_WIDTH,
    }
}

/// One entry on screen.
struct Entry {
    key: Key,
    /// Count (or a conversation's `states`) and bytes.
    figures: [String; 2],
}

/// A list's key: an address or a port, or a conversation's two endpoints, kept apart so
/// that each is cut in its address, never its port.
enum Key {
    Value(String),
    Conversation {
        src: String,
        dst: String,
        /// The interface's MAC, where another interface logged the same flow.
        interface: Option<String>,
    },
}

impl Entry {
    /// The entry laid out in `columns`: a value on one line; a conversation's source and
    /// figures, then its destination under the source (set in by one column, over the
    /// whole width) and the MAC of a twin at the end of the line.
    fn lines(&self, columns: &Columns, theme: &Theme) -> Vec<Line<'static>> {
        let [second, bytes] = self.figures.clone();
        let (src, dst, interface) = match &self.key {
            Key::Value(value) => {
                let key = cut_middle(value, columns.key_width);
                return vec![Line::from(columns.line(&[key, second, bytes]))];
            }
            Key::Conversation {
                src,
                dst,
                interface,
            } => (src, dst, interface),
        };
        let source = format!(
            "{}{ARROW}",
            cut_endpoint(src, columns.key_width.saturating_sub(1))
        );
        let first = Line::from(columns.line(&[source, second, bytes]));
        let Some(nic) = interface else {
            let room = columns.width.saturating_sub(1);
            return vec![first, Line::from(format!(" {}", cut_endpoint(dst, room)))];
        };
        let room = columns.width.saturating_sub(2 + INTERFACE_WIDTH);
        let destination = format!(" {:<room$} ", cut_endpoint(dst, room));
        let nic = Span::styled(truncate_front(nic, INTERFACE_WIDTH), theme.dim);
        vec![first, Line::from(vec![Span::raw(destination), nic])]
    }
}

/// The entries on screen.
fn visible_entries(
    store: &Store,
    top: &TopList,
    states: bool,
    offset: usize,
    height: usize,
) -> Vec<Entry> {
    match top {
        TopList::Entries(entries) => entries
            .iter()
            .skip(offset)
            .take(height)
            .map(|e| Entry {
                key: Key::Value(sanitize(&e.key).into_owned()),
                figures: [compact(e.tally.tuples), human_short(e.tally.bytes)],
            })
            .collect(),
        TopList::Conversations(convs) => convs
            .iter()
            .skip(offset)
            .take(height)
            .map(|c| {
                let second = match states {
                    true => c.states.clone(),
                    false => compact(c.tally.tuples),
                };
                let interface = c
                    .other_interface
                    .then(|| store.text(c.key.mac).map(|m| sanitize(m).into_owned()))
                    .flatten();
                Entry {
                    key: Key::Conversation {
                        src: endpoint(&store.addrs().get(c.key.src), c.key.sport),
                        dst: endpoint(&store.addrs().get(c.key.dst), c.key.dport),
                        interface,
                    },
                    figures: [second, human_short(c.totals.bytes())],
                }
            })
            .collect(),
    }
}

/// After a conversation's source (`203.0.113.9:51234→`).
const ARROW: char = '→';

#[cfg(test)]
mod tests {
    use super::*;

    /// Each line of a conversation, as text.
    fn lines(key: Key, width: usize, sort: SortBy) -> Vec<String> {
        let entry = Entry {
            key,
            figures: ["BCE".into(), "1.2 MB".into()],
        };
        let columns = Columns::of(width, sort);
        let text = |l: &Line| l.spans.iter().map(|s| s.content.as_ref()).collect();
        entry
            .lines(
                &columns,
                &Theme::from_settings(&crate::tui::settings::Settings::default()),
            )
            .iter()
            .map(text)
            .collect()
    }

    fn conversation(src: &str, dst: &str, interface: Option<&str>) -> Key {
        Key::Conversation {
            src: src.into(),
            dst: dst.into(),
            interface: interface.map(String::from),
        }
    }

    /// At 80 columns the pane is 22 wide inside, the key 14: the source is cut in its
    /// address, never its port, and the destination has the whole line under it.
    #[test]
    fn a_conversation_takes_two_lines_cut_in_its_addresses() {
        let v6 = conversation("[2001:db8:c1::5]:51234", "[fd00:db8:0:1::4]:443", None);
        assert_eq!(
            lines(v6, 22, SortBy::Bytes),
            ["[20…:5]:51234→ 1.2 MB ", " [fd00:db8:0:1::4]:443"]
        );
        let v4 = conversation("203.0.113.77:49968", "198.51.100.23:443", None);
        assert_eq!(
            lines(v4, 22, SortBy::Bytes),
            ["203….77:49968→ 1.2 MB ", " 198.51.100.23:443"]
        );
        // Three columns from 30: the key is 15.
        let v4 = conversation("10.0.1.4:50644", "10.0.2.5:445", None);
        assert_eq!(
            lines(v4, 30, SortBy::Bytes),
            ["10.0.1.4:50644→ BCE    1.2 MB ", " 10.0.2.5:445"]
        );
    }

    /// A twin's MAC ends its second line, seven columns whatever the figure beside it.
    #[test]
    fn a_twin_shows_its_interface_at_the_end_of_its_destination_line() {
        for sort in [SortBy::Bytes, SortBy::Tuples] {
            let twin = conversation("10.0.1.4:50377", "10.0.2.5:445", Some("000D3A4F2E35"));
            let shown = lines(twin, 22, sort);
            assert_eq!(shown[1], " 10.0.2.5:445  …4F2E35", "{sort:?}");
        }
        // A destination too long for the room left is cut in its address.
        let twin = conversation(
            "10.0.1.4:50377",
            "[fd00:db8:0:1::4]:445",
            Some("000D3A4F2E35"),
        );
        assert_eq!(lines(twin, 22, SortBy::Bytes)[1], " [fd0…::4]:445 …4F2E35");
    }

    /// A pane too narrow for the figures leaves the key no room: nothing panics.
    #[test]
    fn a_pane_narrower_than_its_figures_still_lays_out() {
        for width in 0..10 {
            let v4 = conversation("10.0.1.4:50644", "10.0.2.5:445", Some("000D3A4F2E35"));
            assert_eq!(lines(v4, width, SortBy::Bytes).len(), 2, "{width}");
        }
    }

    #[test]
    fn a_value_keeps_both_ends() {
        let value = Key::Value("2001:db8:5ca7::33".into());
        assert_eq!(lines(value, 19, SortBy::Tuples), ["2001:d…7::33 BCE   "]);
    }
}

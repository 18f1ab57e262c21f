//! The Top/Conversations pane: top sources, destinations or ports like `nfdump -s`, or the
//! conversation list with totals (`t` switches).
//!
//! ```text
//! ┌ Top sources (t) ──────────┐   ┌ Conversations (t) ───┐
//! │ key           tuples bytes│   │key            bytes  │
//! │ 203.0.113.9     8.1k 1.2 MB│   │10.0.1.4:50377→ 275 MB│
//! └───────────────────────────┘   │ 10.0.2.5:445         │
//!                                 └──────────────────────┘
//! ```
//! Where a conversation's two endpoints do not fit on one line with their addresses
//! legible (80 columns leave the key 14), each conversation takes two lines.

use super::format::{
    compact, cut_endpoint, cut_middle, cut_pair, human_short, truncate, truncate_front,
    LEGIBLE_ADDRESS,
};
use super::theme::Theme;
use super::{fitted_title, pane_block};
use crate::model::ConversationKey;
use crate::store::Store;
use crate::text::sanitize;
use crate::tui::app::{App, Pane};
use crate::tui::navigate::endpoint;
use crate::tui::worker::TopList;
use crate::views::SortBy;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Text};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

const NUMBER_WIDTH: u16 = 6;
const BYTES_WIDTH: u16 = 7;
/// The least key width worth three columns: an IPv4 address.
const NARROWEST_KEY: u16 = 15;
/// The least key width that holds a conversation on one line with both addresses
/// legible: `203….77:49968→198…00.23:443`.
const ONE_LINE_CONVERSATION: u16 = 2 * LEGIBLE_ADDRESS as u16 + 11;

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
    let block = pane_block(heading, Pane::Top, app, theme);
    let (Some(store), Some(view)) = (&app.store, &app.summary) else {
        frame.render_widget(block, area);
        return;
    };
    let inner = block.inner(area);
    if (view.top_mode, view.top_sort) != (app.top_mode, app.top_sort()) {
        // The list of the mode (or ranking) before would sit under the new title.
        let working = Paragraph::new("counting…").style(theme.dim).block(block);
        frame.render_widget(working, area);
        return;
    }
    let cursor = app.cursor(Pane::Top);
    let columns = Columns::of(inner.width, app.top_sort());
    let conversations = matches!(view.top, TopList::Conversations(_));
    let per_entry = match conversations {
        true => columns.lines_per_conversation(),
        false => 1,
    };
    let height = inner.height.saturating_sub(1) as usize / per_entry;
    // Conversations show their states, unless ranked by tuples: then their counts.
    let states = conversations && app.top_sort() != SortBy::Tuples;
    let lines = visible_lines(store, &view.top, states, cursor.offset, height);
    let second = if states { "states" } else { "tuples" };
    let Columns { kept, key_width } = columns;
    let names = ["key", second, "bytes"];
    let header = Row::new(kept.iter().map(|&c| Cell::from(names[c]))).style(theme.header);
    let widths = kept
        .iter()
        .map(|&c| Constraint::Length(column_width(c, key_width)));
    let last = kept[kept.len() - 1];
    let rows = lines.into_iter().enumerate().map(|(i, line)| {
        let key = line.key.lines(key_width as usize, per_entry);
        let cell = |c: usize| {
            let width = column_width(c, key_width) as usize;
            let mut cell = vec![Line::from(truncate(&line.figures[c - 1], width))];
            // Under the figures, the interface of a conversation shown more than once.
            if let (true, Some(nic)) = (c == last && key.len() > 1, &line.interface) {
                cell.push(Line::styled(truncate_front(nic, width), theme.dim));
            }
            Cell::from(Text::from(cell))
        };
        let row = Row::new(kept.iter().map(|&c| match c {
            0 => Cell::from(Text::from(
                key.iter().cloned().map(Line::from).collect::<Vec<_>>(),
            )),
            _ => cell(c),
        }))
        .height(key.len() as u16);
        if cursor.offset + i == cursor.selected {
            row.style(theme.selected)
        } else {
            row
        }
    });
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .block(block);
    frame.render_widget(table, area);
}

/// Lines each entry of the Top pane takes in `area`: two for a conversation whose
/// endpoints do not fit on one line, else one. Scrolling and clicks count entries by it.
pub fn lines_per_entry(app: &App, area: Rect) -> usize {
    let conversations = matches!(
        app.summary.as_ref().map(|s| &s.top),
        Some(TopList::Conversations(_))
    );
    match conversations {
        true => Columns::of(area.width.saturating_sub(2), app.top_sort()).lines_per_conversation(),
        false => 1,
    }
}

/// The columns shown (key, count or states, bytes) and the key's width.
struct Columns {
    kept: &'static [usize],
    key_width: u16,
}

impl Columns {
    /// For a pane `inner_width` wide, ranked by `sort`.
    fn of(inner_width: u16, sort: SortBy) -> Columns {
        // Too narrow for three columns (80 columns leave the key 7, `203.0.…`): the key
        // keeps room for an address and one figure stays, the one the list is ranked by.
        let three = inner_width >= NUMBER_WIDTH + BYTES_WIDTH + 2 + NARROWEST_KEY;
        let kept: &'static [usize] = match (three, sort) {
            (true, _) => &[0, 1, 2],
            (false, SortBy::Tuples) => &[0, 1],
            (false, _) => &[0, 2],
        };
        let figures: u16 = kept[1..].iter().map(|&c| column_width(c, 0) + 1).sum();
        Columns {
            kept,
            key_width: inner_width.saturating_sub(figures),
        }
    }

    fn lines_per_conversation(&self) -> usize {
        match self.key_width < ONE_LINE_CONVERSATION {
            true => 2,
            false => 1,
        }
    }
}

/// Width of column `c` (key, count or states, bytes), the key's given.
fn column_width(c: usize, key_width: u16) -> u16 {
    match c {
        0 => key_width,
        1 => NUMBER_WIDTH,
        _ => BYTES_WIDTH,
    }
}

/// One entry on screen.
struct Entry {
    key: Key,
    /// Count (or a conversation's `states`) and bytes.
    figures: [String; 2],
    /// The interface (MAC) of a conversation whose endpoints and protocol another on
    /// screen (or next to it) shares: the same flow logged on two interfaces reads the
    /// same otherwise.
    interface: Option<String>,
}

/// The entries on screen.
fn visible_lines(
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
                interface: None,
            })
            .collect(),
        TopList::Conversations(convs) => {
            let shown = convs.iter().skip(offset).take(height);
            let flow = |k: &ConversationKey| (k.src, k.sport, k.dst, k.dport, k.proto);
            // With the one above and the one below: twins have the same totals, so they
            // sit side by side, and one may be just off screen.
            let around = offset.saturating_sub(1)..(offset + height + 1).min(convs.len());
            let flows: Vec<_> = convs[around].iter().map(|c| flow(&c.key)).collect();
            shown
                .map(|c| {
                    let second = match states {
                        true => c.states.clone(),
                        false => compact(c.tally.tuples),
                    };
                    let shared = flows.iter().filter(|&&f| f == flow(&c.key)).count() > 1;
                    Entry {
                        key: Key::Conversation {
                            src: endpoint(&store.addrs().get(c.key.src), c.key.sport),
                            dst: endpoint(&store.addrs().get(c.key.dst), c.key.dport),
                        },
                        figures: [second, human_short(c.totals.bytes())],
                        interface: shared
                            .then(|| store.text(c.key.mac).map(|m| sanitize(m).into_owned()))
                            .flatten(),
                    }
                })
                .collect()
        }
    }
}

/// A list's key: an address or a port, or a conversation's two endpoints, kept apart so
/// that each is cut in its address.
enum Key {
    Value(String),
    Conversation { src: String, dst: String },
}

impl Key {
    /// The key in `width` columns, on `lines` lines (1 or 2), each address cut in its
    /// middle so that its ports and both ends of the addresses stay: cut at their end,
    /// the IPv6 conversations at 80 columns all read `[2001:db8:c1:…`.
    /// - On one line, a conversation too long for both endpoints to keep a few
    ///   characters of their addresses shows its source, and what fits of the
    ///   destination, its port first (`203…3.9:51234→`, `10.0.1.4:50644→…:443`).
    /// - On two, the destination goes under the source, set in by one column.
    fn lines(&self, width: usize, lines: usize) -> Vec<String> {
        let (src, dst) = match self {
            Key::Value(value) => return vec![cut_middle(value, width)],
            Key::Conversation { src, dst } => (src, dst),
        };
        let side = width.saturating_sub(1);
        if lines > 1 {
            return vec![
                format!("{}{ARROW}", cut_endpoint(src, side)),
                format!(" {}", cut_endpoint(dst, side)),
            ];
        }
        let cut = cut_pair(src, dst, side);
        let text = match cut.kept >= LEGIBLE_ADDRESS {
            true => format!(
                "{}{ARROW}{}",
                cut_endpoint(src, cut.src),
                cut_endpoint(dst, cut.dst)
            ),
            false => {
                let src = cut_endpoint(src, side);
                let rest = width.saturating_sub(src.chars().count() + 1);
                format!("{src}{ARROW}{}", cut_endpoint(dst, rest))
            }
        };
        vec![truncate(&text, width)]
    }

    #[cfg(test)]
    fn fitted(&self, width: usize) -> String {
        self.lines(width, 1).concat()
    }
}

/// Between a conversation's two endpoints (`203.0.113.9:51234→10.0.0.4:3389`).
const ARROW: char = '→';

#[cfg(test)]
mod tests {
    use super::*;

    /// At 80 columns the key is 14 wide: IPv6 conversations cut at their end all read
    /// `[2001:db8:c1:…`.
    #[test]
    fn keys_are_cut_in_their_addresses_never_their_ports() {
        let conversation = |src: &str, dst: &str| Key::Conversation {
            src: src.into(),
            dst: dst.into(),
        };
        let a = conversation("[2001:db8:c1::5]:51234", "[fd00:db8:0:1::4]:443");
        let b = conversation("[2001:db8:c1::6]:51235", "[fd00:db8:0:1::4]:443");
        for width in [14, 19, 30, 36, 44] {
            let (ka, kb) = (a.fitted(width), b.fitted(width));
            assert_ne!(ka, kb, "{width}");
            assert!(ka.chars().count() <= width, "{ka} in {width}");
            assert!(ka.contains("]:51234→"), "{ka} in {width}");
        }
        assert_eq!(a.fitted(14), "[20…:5]:51234→");
        assert_eq!(a.fitted(29), "[200…:5]:51234→[fd00…::4]:443");
        assert_eq!(a.fitted(44), "[2001:db8:c1::5]:51234→[fd00:db8:0:1::4]:443");
        // Without room for both, the destination's port before its address.
        let v4 = conversation("10.0.1.4:50644", "198.51.100.1:443");
        assert_eq!(v4.fitted(20), "10.0.1.4:50644→…:443");
        // An address keeps both ends.
        assert_eq!(
            Key::Value("2001:db8:5ca7::33".into()).fitted(10),
            "2001:…::33"
        );
    }
}

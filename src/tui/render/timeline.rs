//! The Timeline pane: for a conversation, its tuples in time order on a time axis with
//! per-step and total counters; for a rule or address, a histogram of hits over time.
//!
//! ```text
//! ┌ Timeline: 203.0.113.9:51234 → 10.0.0.4:3389 tcp · 2m 30s · 1.2 MB ┐
//! │ B─────C──────────C────────────E                                   │
//! │ 08:30:01                                                 08:32:31 │
//! │ time     st  elapsed bytes  pkts  rule                             │
//! │ 08:30:01 B   0s     0 B    0     UserRule_RDP                     │
//! └───────────────────────────────────────────────────────────────────┘
//! ```

use super::format::{
    compact, duration, human_short, rule_name, style_for_range, time, truncate, TimeStyle,
    LEGIBLE_ADDRESS,
};
use super::theme::Theme;
use super::{pane_block, split_title, title, title_room};
use crate::model::plural;
use crate::text::sanitize;
use crate::tui::app::{App, Pane};
use crate::tui::navigate::conversation_label_in;
use crate::tui::worker::TimelineResult;
use crate::views::{Histogram, Timeline};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Sparkline, Table, Wrap};
use ratatui::Frame;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    match &app.timeline {
        Some(TimelineResult::Conversation(t)) => conversation(frame, area, app, t, theme),
        Some(TimelineResult::Histogram {
            title: t,
            histogram,
        }) => hits(frame, area, app, t, histogram, theme),
        Some(TimelineResult::Failed(message)) => {
            let block = pane_block(title("Timeline"), Pane::Timeline, app, theme);
            let text = Paragraph::new(Line::styled(sanitize(message).into_owned(), theme.error))
                .wrap(Wrap { trim: true });
            frame.render_widget(text.block(block), area);
        }
        None => {
            let block = pane_block(title("Timeline"), Pane::Timeline, app, theme);
            let hint = match app.timeline_spec {
                Some(_) => "computing…".to_string(),
                None => hint(area.width.saturating_sub(2)),
            };
            // Wrapped at words: a narrow pane cut it mid-word.
            let text = Paragraph::new(hint)
                .style(theme.dim)
                .wrap(Wrap { trim: true });
            frame.render_widget(text.block(block), area);
        }
    }
}

/// What the empty Timeline says, for a pane `width` columns wide inside: a sentence a line
/// where the first fits, else one paragraph, so that wrapping leaves no word alone on a
/// line (`timeline;` was, under 53 columns).
fn hint(width: u16) -> String {
    const FIRST: &str = "Enter on a flow or conversation shows its timeline;";
    const SECOND: &str = "on a rule or address, its hits over time.";
    let between = match usize::from(width) >= FIRST.len() {
        true => '\n',
        false => ' ',
    };
    format!("{FIRST}{between}{SECOND}")
}

fn conversation(frame: &mut Frame, area: Rect, app: &App, t: &Timeline, theme: &Theme) {
    let Some(store) = &app.store else { return };
    // The conversation's name first on the top border, its addresses cut so that its
    // ports stay. Where the pane's name would leave the addresses a few characters
    // (`[…]:51170`), the conversation's name alone is the title.
    let prefix = "Timeline: ";
    let room = title_room(area.width);
    let (label, kept) = conversation_label_in(store, &t.key, room.saturating_sub(prefix.len()));
    let first = match kept >= LEGIBLE_ADDRESS {
        true => format!("{prefix}{label}"),
        false => conversation_label_in(store, &t.key, room).0,
    };
    let mut heading = vec![first];
    // The interface is part of the key: the same flow logged by two NICs (or NSGs) is two
    // conversations, told apart by it alone, so it comes before the totals.
    if let Some(mac) = store.text(t.key.mac) {
        heading.push(format!("MAC {}", sanitize(mac)));
    }
    heading.extend([
        plural(t.steps.len() as u64, "step"),
        duration(t.duration_ms),
        human_short(t.totals.bytes()),
        format!("{} pkts", compact(t.totals.packets())),
    ]);
    // The totals the label leaves no room for (80 columns) go to the bottom border.
    let (top, bottom) = split_title(&heading, " · ", area.width);
    let mut block = pane_block(top, Pane::Timeline, app, theme);
    if let Some(bottom) = bottom {
        block = block.title_bottom(bottom);
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [axis, labels, table] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);
    let zone = app.settings.time_zone;
    let (first, last) = match (t.steps.first(), t.steps.last()) {
        (Some(a), Some(b)) => (a.time_ms, b.time_ms),
        _ => (0, 0),
    };
    let style = style_for_range(Some((first, last)));
    frame.render_widget(
        Paragraph::new(axis_line(t, axis.width as usize)).style(theme.accent),
        axis,
    );
    frame.render_widget(
        Paragraph::new(spread(
            &time(first, zone, style),
            &time(last, zone, style),
            labels.width as usize,
        ))
        .style(theme.dim),
        labels,
    );
    steps_table(frame, table, app, t, (first, style), theme);
}

/// The steps as a table: time, state, time since the first step, counters, rule.
fn steps_table(
    frame: &mut Frame,
    table: Rect,
    app: &App,
    t: &Timeline,
    (first, style): (i64, TimeStyle),
    theme: &Theme,
) {
    let zone = app.settings.time_zone;
    let cursor = app.cursor(Pane::Timeline);
    let names = ["time", "st", "elapsed", "bytes", "pkts", "rule"];
    let time_width = style.width();
    let widths = [time_width, 2, 7, 7, 5];
    // What the other columns and their gaps leave the rule, cut with `…` to fit.
    let rule_width = (table.width as usize)
        .saturating_sub(widths.iter().map(|w| *w as usize + 1).sum())
        .max(4);
    // The columns that fit whole, from the left (time and state always): a narrow pane
    // drops the rule, then the counters, rather than cutting the time.
    let all = widths.iter().map(|&w| w as usize).chain([rule_width]);
    let mut used = 0;
    let shown = all
        .take_while(|w| {
            used += w + 1;
            used <= table.width as usize + 1
        })
        .count()
        .max(2);
    let header = Row::new(names.into_iter().take(shown)).style(theme.header);
    let rows = t
        .steps
        .iter()
        .enumerate()
        .skip(cursor.offset)
        .take(table.height.saturating_sub(1) as usize)
        .map(|(i, s)| {
            let row = Row::new(
                vec![
                    Cell::from(time(s.time_ms, zone, style)),
                    Cell::from(
                        s.state
                            .map(|x| x.letter().to_string())
                            .unwrap_or("-".into()),
                    ),
                    Cell::from(duration(s.time_ms - first)),
                    Cell::from(human_short(s.counters.bytes())),
                    Cell::from(compact(s.counters.packets())),
                    Cell::from(rule_name(&sanitize(&s.rule), rule_width)),
                ]
                .into_iter()
                .take(shown)
                .collect::<Vec<_>>(),
            );
            if i == cursor.selected {
                row.style(theme.selected)
            } else {
                row
            }
        });
    let widths = widths
        .into_iter()
        .map(Constraint::Length)
        .chain([Constraint::Min(4)])
        .take(shown);
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        table,
    );
}

/// `B────C─────C──E`: each step's state letter at its place on the time axis.
fn axis_line(t: &Timeline, width: usize) -> String {
    if width == 0 || t.steps.is_empty() {
        return String::new();
    }
    let first = t.steps[0].time_ms;
    let span = t.steps[t.steps.len() - 1].time_ms - first;
    let mut cells = vec!['─'; width];
    for s in &t.steps {
        let x = if span == 0 {
            0
        } else {
            ((s.time_ms - first) as i128 * (width as i128 - 1) / span as i128) as usize
        };
        cells[x.min(width - 1)] = s.state.map(|x| x.letter()).unwrap_or('•');
    }
    let last_x = if span == 0 { 0 } else { width - 1 };
    cells.truncate(last_x + 1);
    cells.into_iter().collect()
}

/// `left` at the start and `right` at the end of a `width`-wide line.
fn spread(left: &str, right: &str, width: usize) -> String {
    let (l, r) = (left.chars().count(), right.chars().count());
    // Without a space between them the two would read as one time.
    if left == right || l + r + 1 > width {
        return truncate(left, width);
    }
    let gap = width - l - r;
    truncate(&format!("{left}{}{right}", " ".repeat(gap)), width)
}

fn hits(frame: &mut Frame, area: Rect, app: &App, what: &str, h: &Histogram, theme: &Theme) {
    let total: u64 = h.counts.iter().sum();
    let peak = h.counts.iter().copied().max().unwrap_or(0);
    let mut heading = vec![
        format!("Hits over time: {}", sanitize(what)),
        plural(total, "tuple"),
    ];
    // Without a hit there are no buckets worth a scale (the span is the whole load's).
    if total > 0 {
        heading.push(format!(
            "peak {} per {}",
            compact(peak),
            duration(h.bucket_ms)
        ));
    }
    // What the label leaves no room for (the peak, which gives the bars their scale) goes
    // to the bottom border, as the conversation timeline's totals do.
    let (top, bottom) = split_title(&heading, " · ", area.width);
    let mut block = pane_block(top, Pane::Timeline, app, theme);
    if let Some(bottom) = bottom {
        block = block.title_bottom(bottom);
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [bars, labels] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    let data = resample(&h.counts, bars.width as usize);
    frame.render_widget(Sparkline::default().data(&data).style(theme.accent), bars);
    let zone = app.settings.time_zone;
    let end = h.start_ms + h.bucket_ms * h.counts.len() as i64;
    let style = style_for_range(Some((h.start_ms, end)));
    let line = spread(
        &time(h.start_ms, zone, style),
        &time(end, zone, style),
        labels.width as usize,
    );
    frame.render_widget(Paragraph::new(line).style(theme.dim), labels);
}

/// Fits `counts` to `width` columns: each column shows the busiest of its buckets when
/// there are more buckets than columns, each bucket is repeated over its columns when
/// there are fewer. Not their sum: columns then hold one or two buckets in turn, and
/// steady traffic drew as a comb of tall and short bars, the title's peak not the
/// tallest.
fn resample(counts: &[u64], width: usize) -> Vec<u64> {
    if counts.is_empty() || width == 0 {
        return Vec::new();
    }
    if counts.len() <= width {
        return (0..width)
            .map(|x| counts[x * counts.len() / width])
            .collect();
    }
    let mut out = vec![0u64; width];
    for (i, &c) in counts.iter().enumerate() {
        let x = i * width / counts.len();
        out[x] = out[x].max(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resampling_keeps_the_busiest_bucket_when_merging_and_shape_when_spreading() {
        let merged = resample(&[1, 2, 3, 4, 5, 6], 3);
        assert_eq!(merged, vec![2, 4, 6]);
        // Five steady buckets in three columns: level, though the columns hold two,
        // one and two buckets.
        assert_eq!(resample(&[14; 5], 3), vec![14; 3]);
        // The peak stays the tallest bar.
        let counts = [13, 14, 19, 15, 13, 14, 15];
        assert_eq!(resample(&counts, 4).into_iter().max(), Some(19));
        assert_eq!(resample(&[1, 9], 4), vec![1, 1, 9, 9]);
        assert!(resample(&[], 4).is_empty());
    }
}

//! Small text formats shared by the panes: compact counts, times in the chosen zone,
//! hourly sparklines and truncation.

use crate::tui::settings::TimeZone;
use chrono::{DateTime, Datelike, Local, Utc};

/// `950`, `8.1k`, `2.0M`, `3.4G`: fits in 5 columns.
pub fn compact(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")];
    for (size, unit) in UNITS {
        if n >= size {
            let v = n as f64 / size as f64;
            return if v < 100.0 {
                format!("{v:.1}{unit}")
            } else {
                format!("{}{unit}", (v as u64))
            };
        }
    }
    n.to_string()
}

/// How much of a time to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeStyle {
    /// `08:30:01`
    Clock,
    /// `08:30`
    Minute,
    /// `11-18 08:30`
    Short,
    /// `11-18 08:30:01`: `Short` with seconds, where there is room
    ShortClock,
    /// `11-18`
    Day,
    /// `2024-11-18 08:30`: data over more than one year
    Dated,
    /// `2024-11-18 08:30:01`: `Dated` with seconds, where there is room
    DatedClock,
    /// `2024-11-18`
    Date,
    /// `2024-11-18 08:30:01.250`
    Full,
}

impl TimeStyle {
    /// Columns a time takes in this style (`Full` without milliseconds).
    pub fn width(self) -> u16 {
        match self {
            TimeStyle::Clock => 8,
            TimeStyle::Minute | TimeStyle::Day => 5,
            TimeStyle::Short => 11,
            TimeStyle::ShortClock => 14,
            TimeStyle::Dated => 16,
            TimeStyle::DatedClock => 19,
            TimeStyle::Date => 10,
            TimeStyle::Full => 19,
        }
    }

    /// The same times with less in them: no seconds, or no clock time.
    pub fn shorter(self) -> TimeStyle {
        match self {
            TimeStyle::Clock => TimeStyle::Minute,
            TimeStyle::Dated | TimeStyle::DatedClock | TimeStyle::Date => TimeStyle::Date,
            _ => TimeStyle::Day,
        }
    }

    /// The same times with seconds, where this style has none and times span days.
    pub fn with_seconds(self) -> Option<TimeStyle> {
        match self {
            TimeStyle::Short => Some(TimeStyle::ShortClock),
            TimeStyle::Dated => Some(TimeStyle::DatedClock),
            _ => None,
        }
    }
}

pub fn time(ms: i64, zone: TimeZone, style: TimeStyle) -> String {
    let Some(utc) = DateTime::<Utc>::from_timestamp_millis(ms) else {
        return ms.to_string();
    };
    let pattern = match style {
        TimeStyle::Clock => "%H:%M:%S",
        TimeStyle::Minute => "%H:%M",
        TimeStyle::Short => "%m-%d %H:%M",
        TimeStyle::ShortClock => "%m-%d %H:%M:%S",
        TimeStyle::Day => "%m-%d",
        TimeStyle::Dated => "%Y-%m-%d %H:%M",
        TimeStyle::DatedClock => "%Y-%m-%d %H:%M:%S",
        TimeStyle::Date => "%Y-%m-%d",
        TimeStyle::Full if ms % 1000 == 0 => "%Y-%m-%d %H:%M:%S",
        TimeStyle::Full => "%Y-%m-%d %H:%M:%S%.3f",
    };
    match zone {
        TimeZone::Utc => utc.format(pattern).to_string(),
        TimeZone::Local => utc.with_timezone(&Local).format(pattern).to_string(),
    }
}

/// The style that fits a time range: clock times within one day, dates within one year,
/// dates with their year otherwise (samples from 2017 and 2024 side by side would read as
/// one year's).
pub fn style_for_range(range: Option<(i64, i64)>) -> TimeStyle {
    let year = |ms| DateTime::<Utc>::from_timestamp_millis(ms).map(|t| t.year());
    match range {
        Some((a, b)) if a.div_euclid(86_400_000) == b.div_euclid(86_400_000) => TimeStyle::Clock,
        Some((a, b)) if year(a) != year(b) => TimeStyle::Dated,
        _ => TimeStyle::Short,
    }
}

/// `1m 30s`, `2h 5m`, `3d 4h`, `450 ms`: at most 7 columns below 100 days.
pub fn duration(ms: i64) -> String {
    let s = ms / 1000;
    match s {
        _ if ms < 1000 => format!("{ms} ms"),
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const HOUR_MS: i64 = 3_600_000;

/// Sparkline cells over hourly counts: every cell the same whole number of hours, so a
/// blank cell is a span without hits, never the room between two hourly points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourCells {
    /// Start of the first cell's first hour, ms.
    start: i64,
    hours_per_cell: i64,
    pub cells: usize,
}

impl HourCells {
    /// The hours from the one starting at `first` to the one starting at `last`, in at
    /// most `width` cells.
    pub fn new(first: i64, last: i64, width: usize) -> HourCells {
        let hours = (last - first).div_euclid(HOUR_MS).max(0) + 1;
        let hours_per_cell = match width {
            0 => hours,
            w => (hours + w as i64 - 1) / w as i64,
        };
        let cells = if width == 0 {
            0
        } else {
            ((hours + hours_per_cell - 1) / hours_per_cell) as usize
        };
        HourCells {
            start: first,
            hours_per_cell,
            cells,
        }
    }

    /// `(start of hour, count)` points as bars scaled to their highest cell.
    pub fn bars(&self, points: &[(i64, u64)]) -> String {
        let mut sums = vec![0u64; self.cells];
        for &(t, n) in points {
            let i = (t - self.start).div_euclid(HOUR_MS * self.hours_per_cell);
            if let Some(sum) = usize::try_from(i).ok().and_then(|i| sums.get_mut(i)) {
                *sum = sum.saturating_add(n);
            }
        }
        let max = sums.iter().copied().max().unwrap_or(0).max(1);
        sums.iter()
            .map(|&v| match v {
                0 => ' ',
                _ => BARS[((v as u128 * 7) / max as u128) as usize],
            })
            .collect()
    }
}

/// Cuts `s` to `width` characters, marking the cut with `…`.
pub fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    if width > 0 {
        out.push('…');
    }
    out
}

/// An `address:port` in at most `width` columns, cut in the middle of the address so
/// the port stays whole.
pub fn cut_endpoint(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let Some((address, port)) = text.rsplit_once(':') else {
        return truncate(text, width);
    };
    let room = width.saturating_sub(port.chars().count() + 1);
    match room {
        0 => truncate(text, width),
        // Too narrow for either end of the address: the port alone (`…:3389`).
        1 | 2 => format!("…:{port}"),
        _ => format!("{}:{port}", cut_middle(address, room)),
    }
}

/// `s` in at most `width` columns, cut in its middle (`2001:db…::33`): both ends of an
/// address tell it from its neighbours, where its start alone often does not.
pub fn cut_middle(s: &str, width: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= width {
        return s.to_string();
    }
    if width < 3 {
        return truncate(s, width);
    }
    let tail = (width - 1) / 2;
    let head = width - 1 - tail;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// The fewest characters of a cut address that still tell it (`203.…3.77`).
pub const LEGIBLE_ADDRESS: usize = 7;

/// How two `address:port` texts are cut to take at most `room` columns together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairCut {
    pub src: usize,
    pub dst: usize,
    /// The fewer characters of an address either keeps.
    pub kept: usize,
}

/// Cuts two `address:port` texts to take at most `room` columns together: the longer is
/// cut first, and neither below `…` for its address, so both ports stay.
pub fn cut_pair(src: &str, dst: &str, room: usize) -> PairCut {
    let port = |e: &str| e.rsplit_once(':').map_or(0, |(_, port)| port.len() + 1);
    let least = |e: &str| port(e) + 1;
    let (mut a, mut b) = (src.chars().count(), dst.chars().count());
    while a + b > room {
        match (a > least(src), b > least(dst)) {
            (false, false) => break,
            (true, false) => a -= 1,
            (false, true) => b -= 1,
            (true, true) if a >= b => a -= 1,
            (true, true) => b -= 1,
        }
    }
    PairCut {
        src: a,
        dst: b,
        kept: (a - port(src)).min(b - port(dst)),
    }
}

/// Cuts `s` to its last `width` characters, marking the cut with `…` at its front.
pub fn truncate_front(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        return s.to_string();
    }
    let mut out = String::from(if width > 0 { "…" } else { "" });
    out.extend(s.chars().skip(n - width.saturating_sub(1)));
    out
}

/// Azure's prefixes of default and user rules: the part after them tells rules apart.
const RULE_PREFIXES: [&str; 2] = ["DefaultRule_", "UserRule_"];

/// A rule's name in `width` columns. Cut at its end, `UserRule_AllowRDP` and
/// `UserRule_AllowHTTPS` both read `UserRule_A…`; so a name too long drops Azure's
/// prefix first (`…AllowRDP`), then is cut.
pub fn rule_name(name: &str, width: usize) -> String {
    if name.chars().count() <= width {
        return name.to_string();
    }
    match RULE_PREFIXES.iter().find_map(|p| name.strip_prefix(p)) {
        Some(rest) if !rest.is_empty() => truncate(&format!("…{rest}"), width),
        _ => truncate(name, width),
    }
}

/// `parts` joined by `sep`, as many whole parts as fit in `room` columns (the first, if
/// too long alone, cut with `…`): a cut line ends at a whole part, never mid-number.
pub fn fit_parts(parts: &[String], sep: &str, room: usize) -> String {
    match parts_that_fit(parts, sep, room) {
        0 => parts
            .first()
            .map_or_else(String::new, |first| truncate(first, room)),
        k => parts[..k].join(sep),
    }
}

/// How many of `parts`, from the first, fit in `room` columns joined by `sep`.
pub fn parts_that_fit(parts: &[String], sep: &str, room: usize) -> usize {
    let mut used = 0;
    for (k, part) in parts.iter().enumerate() {
        used += part.chars().count() + if k == 0 { 0 } else { sep.chars().count() };
        if used > room {
            return k;
        }
    }
    parts.len()
}

/// Bytes in at most 7 columns: `512 B`, `1.5 kB`, `23 MB`.
pub fn human_short(n: u64) -> String {
    match crate::model::scale_bytes(n) {
        (_, "B") => format!("{n} B"),
        (v, unit) if v < 10.0 => format!("{v:.1} {unit}"),
        (v, unit) => format!("{} {unit}", v as u64),
    }
}

/// Bytes in at most 5 columns, for narrow tables: `512B`, `1.5kB`, `23MB`.
pub fn human_tight(n: u64) -> String {
    human_short(n).replace(' ', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_front_cut_keeps_the_end() {
        assert_eq!(
            truncate_front("all › rule › 10.0.0.4:3389 tcp", 18),
            "…10.0.0.4:3389 tcp"
        );
        assert_eq!(truncate_front("short", 18), "short");
        assert_eq!(truncate_front("abc", 1), "…");
        assert_eq!(truncate_front("abc", 0), "");
    }

    #[test]
    fn an_endpoint_cut_in_the_middle_keeps_its_port() {
        let ipv6 = "[2510:1a5b:ce4e:2bf6:eb11:2640:a20:4fb0]:56683";
        let cut = cut_endpoint(ipv6, 21);
        assert_eq!(cut.chars().count(), 21);
        assert_eq!(cut, "[2510:1…0:4fb0]:56683");
        assert_eq!(cut_endpoint("198.51.100.138:52260", 16), "198.5….138:52260");
        assert_eq!(cut_endpoint("10.0.0.4:3389", 21), "10.0.0.4:3389");
        // Too narrow for the address's ends: the port alone, then the start alone.
        assert_eq!(cut_endpoint("10.0.0.4:3389", 6), "…:3389");
        assert_eq!(cut_endpoint("10.0.0.4:3389", 5), "10.0…");
    }

    #[test]
    fn compact_counts_fit_five_columns() {
        assert_eq!(compact(950), "950");
        assert_eq!(compact(8_100), "8.1k");
        assert_eq!(compact(2_000_000), "2.0M");
        assert_eq!(compact(123_456_789), "123M");
    }

    #[test]
    fn hour_cells_cover_whole_hours_without_gaps() {
        let h = HOUR_MS;
        let steady = [(7 * h, 18), (8 * h, 18), (9 * h, 18)];
        // Fewer hours than room: one cell per hour, no blank between them.
        let cells = HourCells::new(7 * h, 9 * h, 6);
        assert_eq!(cells.cells, 3);
        assert_eq!(cells.bars(&steady), "███");
        assert_eq!(cells.bars(&[(7 * h, 8), (9 * h, 1)]), "█ ▁");
        // More hours than room: two hours a cell, summed.
        let day: Vec<(i64, u64)> = (0..24).map(|i| (i * h, 1)).collect();
        let cells = HourCells::new(0, 23 * h, 12);
        assert_eq!(cells.cells, 12);
        assert_eq!(cells.bars(&day), "█".repeat(12));
        let cells = HourCells::new(0, 12 * h, 12);
        // The last cell is an hour of data and an hour after it.
        assert_eq!(cells.cells, 7);
        assert_eq!(cells.bars(&day[..13]), "██████▄");
        assert_eq!(HourCells::new(0, 0, 0).bars(&steady), "");
    }

    #[test]
    fn parts_are_kept_whole_or_cut_with_an_ellipsis() {
        let parts = ["Timeline: a → b tcp", "4 steps", "210 kB", "477 pkts"].map(String::from);
        assert_eq!(fit_parts(&parts, " · ", 100), parts.join(" · "));
        // "· 477 pkts" does not fit: it goes whole, not as "· 47".
        assert_eq!(
            fit_parts(&parts, " · ", 42),
            "Timeline: a → b tcp · 4 steps · 210 kB"
        );
        assert_eq!(fit_parts(&parts, " · ", 20), "Timeline: a → b tcp");
        assert_eq!(fit_parts(&parts, " · ", 10), "Timeline:…");
        assert_eq!(fit_parts(&[], " · ", 10), "");
    }

    #[test]
    fn times_over_years_carry_their_year() {
        let day = 86_400_000;
        let nov_18_2024 = 1_731_916_800_000;
        assert_eq!(
            style_for_range(Some((nov_18_2024, nov_18_2024 + 60_000))),
            TimeStyle::Clock
        );
        assert_eq!(
            style_for_range(Some((nov_18_2024, nov_18_2024 + 30 * day))),
            TimeStyle::Short
        );
        // From 2024-11-18 to 2025-01-17: the same months and days could be either year.
        let style = style_for_range(Some((nov_18_2024, nov_18_2024 + 60 * day)));
        assert_eq!(style, TimeStyle::Dated);
        let shown = time(nov_18_2024 + 60 * day, TimeZone::Utc, style);
        assert_eq!(shown, "2025-01-17 08:00");
        assert_eq!(shown.chars().count(), style.width() as usize);
        assert_eq!(
            time(nov_18_2024, TimeZone::Utc, style.shorter()),
            "2024-11-18"
        );
    }

    #[test]
    fn durations_and_truncation() {
        assert_eq!(duration(90_000), "1m 30s");
        assert_eq!(duration(450), "450 ms");
        assert_eq!(duration(3 * 86_400_000 + 7_200_000), "3d 2h");
        assert_eq!(truncate("DefaultRule_DenyAllInBound", 8), "Default…");
    }

    #[test]
    fn a_rule_name_too_long_drops_azures_prefix_before_its_end() {
        assert_eq!(rule_name("UserRule_AllowRDP", 17), "UserRule_AllowRDP");
        assert_eq!(rule_name("UserRule_AllowRDP", 11), "…AllowRDP");
        assert_eq!(rule_name("UserRule_AllowHTTPS", 11), "…AllowHTTPS");
        assert_eq!(rule_name("DefaultRule_AllowVnetInBound", 11), "…AllowVnet…");
        assert_eq!(
            rule_name("DefaultRule_AllowVnetInBound", 15),
            "…AllowVnetInBo…"
        );
        assert_eq!(rule_name("my-own-rule-name", 8), "my-own-…");
        assert_eq!(rule_name("UserRule_", 5), "User…");
    }
}

//! Which Flows columns fit a width, and how wide: the words (`tcp in allow`) when every
//! essential column fits, else the compact forms a narrow terminal needs.
//!
//! ```text
//! words:   time     src:port          dst:port      proto dir act   st bytes   pkts
//! compact: time     src:port          dst:port      pdas bytes pkts
//!          08:30:01 203.0.113.9:51234 10.0.0.4:3389 TIAB 0B    0
//! ```
//! Compact: protocol, direction, action and state as the log writes them, side by side
//! with no gap, and bytes without the space before the unit.

use super::format::TimeStyle;
use crate::tui::settings::Column;
use crate::tui::widths::EndpointRows;

/// What sets the widths: what is on screen now.
#[derive(Debug, Clone, Copy)]
pub struct Measures {
    /// Widest `address:port` per side.
    pub endpoints: (u16, u16),
    /// Rows by endpoint width: which side to narrow.
    pub endpoint_rows: EndpointRows,
    /// Widest protocol as the log writes it (`T`, `U` or the number).
    pub proto_letters: u16,
    /// Widest protocol in words (`tcp`, `icmpv6` or the number).
    pub proto_words: u16,
    pub time_style: TimeStyle,
}

/// A column placed in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub column: Column,
    /// Width of its text.
    pub width: u16,
    /// Blank columns between it and the next (0 between letters in compact form).
    pub gap: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fitted {
    pub compact: bool,
    pub columns: Vec<Placed>,
    /// How times are written: the measured style, or the same with seconds.
    pub time_style: TimeStyle,
}

/// An IPv4 endpoint's width (`255.255.255.255:65535`): a long one (IPv6) gives up width
/// down to this before a column after it is lost.
pub const SHORT_ENDPOINT: u16 = 21;
/// In compact form endpoints give up width down to this (cut in the address, never the
/// port) before an essential column is lost.
pub const COMPACT_ENDPOINT: u16 = 16;
/// Narrower than this an endpoint is mostly `…` (`1…4:443`): the least a side narrows to.
const LEAST_ENDPOINT: u16 = 11;

/// The configured columns that fit in `width`, in their order: in words if every
/// essential one fits so, else in compact form; the last text column takes what is left.
/// Times over days have no seconds, to fit 80 columns; where the same columns fit as
/// wide with seconds too, they keep them (else flows of one minute look the same).
pub fn fit(configured: &[Column], m: Measures, width: u16) -> Fitted {
    let fitted = fit_columns(configured, m, width);
    let Some(time_style) = m.time_style.with_seconds() else {
        return fitted;
    };
    let seconds = fit_columns(configured, Measures { time_style, ..m }, width);
    // Columns as wide, but for the time and the last (which takes what is left).
    let kept = |f: &Fitted| -> Vec<(Column, u16)> {
        let n = f.columns.len().saturating_sub(1);
        f.columns[..n]
            .iter()
            .filter(|p| p.column != Column::Time)
            .map(|p| (p.column, p.width))
            .collect()
    };
    let same = seconds.compact == fitted.compact
        && seconds.columns.len() == fitted.columns.len()
        && kept(&seconds) == kept(&fitted);
    match same {
        true => seconds,
        false => fitted,
    }
}

/// `fit` with the measured time style.
fn fit_columns(configured: &[Column], m: Measures, width: u16) -> Fitted {
    let words = place(configured, m, false, width);
    let essential = |c: &&Column| !matches!(c, Column::Packets | Column::Rule | Column::Nsg);
    let shown = |f: &Fitted| {
        configured
            .iter()
            .filter(essential)
            .all(|c| f.columns.iter().any(|p| p.column == *c))
    };
    if shown(&words) {
        return words;
    }
    place(configured, m, true, width)
}

fn place(configured: &[Column], m: Measures, compact: bool, width: u16) -> Fitted {
    let measured = m.endpoints;
    let m = Measures {
        endpoints: narrowed(configured, m, compact, width),
        ..m
    };
    let mut columns: Vec<Placed> = Vec::new();
    let mut used = 0u16;
    for &column in configured {
        let width_of = natural_width(column, m, compact);
        let gap = columns
            .last()
            .map_or(0, |p| gap(p.column, p.width, column, width_of, compact));
        if used + gap + width_of > width {
            let left = width.saturating_sub(used + gap);
            if matches!(column, Column::Rule | Column::Nsg) && left >= MIN_TEXT {
                used += gap + left;
                push(&mut columns, column, left, gap);
            }
            break;
        }
        used += gap + width_of;
        push(&mut columns, column, width_of, gap);
    }
    // The letters of compact form (`TIAB`) go whole or not at all: `TIA` would read as
    // a whole set with the state lost.
    let letter = |c: Column| {
        compact
            && matches!(
                c,
                Column::Proto | Column::Dir | Column::Action | Column::State
            )
    };
    let all_letters = configured.iter().filter(|&&c| letter(c)).count();
    let placed = columns.iter().filter(|p| letter(p.column)).count();
    if placed > 0 && placed < all_letters {
        while columns.last().is_some_and(|p| letter(p.column)) {
            let p = columns.pop().expect("a last column");
            used -= p.width;
            if let Some(before) = columns.last_mut() {
                used -= before.gap;
                before.gap = 0;
            }
        }
    }
    // Room left over (columns dropped after the endpoints were narrowed to make room
    // for them) first gives the endpoints back what they measured, then widens the rule,
    // the text most often cut, up to a whole rule name.
    let room = width.saturating_sub(used);
    let room = widen_endpoints(&mut columns, [measured.0, measured.1], room);
    let room = match columns.iter_mut().find(|p| p.column == Column::Rule) {
        Some(rule) => {
            let more = room.min(RULE_MAX.saturating_sub(rule.width));
            rule.width += more;
            room - more
        }
        None => room,
    };
    // Room still left (no rule column, or a whole one) holds the widest endpoints too:
    // the few long IPv6 ones the measure leaves out were cut beside blank columns.
    let widest = [0, 1].map(|side| m.endpoint_rows.holding(side, 100).unwrap_or(0));
    widen_endpoints(&mut columns, widest, room);
    Fitted {
        compact,
        columns,
        time_style: m.time_style,
    }
}

/// Widens the source and destination columns towards `want` (per side, the source
/// first) with at most `room` columns; returns the room left.
fn widen_endpoints(columns: &mut [Placed], want: [u16; 2], mut room: u16) -> u16 {
    for p in columns.iter_mut() {
        let side = match p.column {
            Column::Src => 0,
            Column::Dst => 1,
            _ => continue,
        };
        let more = want[side].saturating_sub(p.width).min(room);
        p.width += more;
        room -= more;
    }
    room
}

/// A rule or NSG column is left out below this: a short name (`…RDP`) still shows.
const MIN_TEXT: u16 = 6;
/// The longest rule name Azure writes, `DefaultRule_AllowAzureLoadBalancerInBound`.
const RULE_MAX: u16 = 41;

/// Adds a column `gap` after the last one.
fn push(columns: &mut Vec<Placed>, column: Column, width: u16, gap: u16) {
    if let Some(last) = columns.last_mut() {
        last.gap = gap;
    }
    columns.push(Placed {
        column,
        width,
        gap: 0,
    });
}

fn natural_width(c: Column, m: Measures, compact: bool) -> u16 {
    match c {
        Column::Time => m.time_style.width(),
        Column::Src => m.endpoints.0,
        Column::Dst => m.endpoints.1,
        Column::Proto if compact => m.proto_letters.max(1),
        Column::Dir | Column::Action | Column::State if compact => 1,
        Column::Bytes if compact => 5,
        // As wide as `proto`, or the widest name (`icmpv6` was cut to `icmp…`).
        Column::Proto => m.proto_words.max(5),
        Column::Dir => 3,
        Column::Action => 5,
        Column::State => 2,
        Column::Bytes => 7,
        Column::Packets => 5,
        Column::Rule => 24,
        Column::Nsg => 16,
    }
}

/// No gap between two one-letter columns in compact form (`TIAB`, as the log has them).
fn gap(before: Column, before_width: u16, after: Column, after_width: u16, compact: bool) -> u16 {
    let letter = |c: Column, w: u16| {
        compact
            && w == 1
            && matches!(
                c,
                Column::Proto | Column::Dir | Column::Action | Column::State
            )
    };
    u16::from(!(letter(before, before_width) && letter(after, after_width)))
}

/// The endpoint widths, narrowed (down to a floor) until the columns that must not be lost
/// fit in `width`: one IPv6 row on screen must not push protocol, direction and action
/// off every row. Each step narrows the side where it cuts fewer rows that were whole
/// (the wider side when as many): a column of mostly short destinations gives way before
/// sources that need their width. In compact form a side whose rows are short goes below
/// the floor, down to the width nine rows in ten of it fit in; in words the floor holds
/// every IPv4 endpoint whole, as it did. A pane too narrow for those columns at the
/// floors still shows both endpoints, cut further, rather than one whole and the other
/// lost: at 60 columns the destinations were lost while the sources had blank room.
fn narrowed(configured: &[Column], m: Measures, compact: bool, width: u16) -> (u16, u16) {
    let shown = |c: &Column| match c {
        Column::Rule | Column::Nsg => false,
        Column::Packets => !compact,
        _ => true,
    };
    // In words every column but the flexible text ones; in compact form the essentials.
    let kept: Vec<Column> = configured.iter().copied().filter(shown).collect();
    // The columns up to the later endpoint.
    let through = configured
        .iter()
        .rposition(|c| matches!(c, Column::Src | Column::Dst))
        .map_or(0, |i| i + 1);
    let first: Vec<Column> = configured[..through]
        .iter()
        .copied()
        .filter(shown)
        .collect();
    let need = |columns: &[Column], endpoints| {
        let m = Measures { endpoints, ..m };
        let widths: Vec<(Column, u16)> = columns
            .iter()
            .map(|&c| (c, natural_width(c, m, compact)))
            .collect();
        let gaps: u16 = widths
            .windows(2)
            .map(|w| gap(w[0].0, w[0].1, w[1].0, w[1].1, compact))
            .sum();
        widths.iter().map(|(_, w)| w).sum::<u16>() + gaps
    };
    let floor = if compact {
        COMPACT_ENDPOINT
    } else {
        SHORT_ENDPOINT
    };
    let rows = m.endpoint_rows;
    let floors = [0, 1].map(|side| match rows.holding(side, 90) {
        Some(short) if compact => floor.min(short.max(LEAST_ENDPOINT)),
        _ => floor,
    });
    let endpoints = narrow(m.endpoints, floors, rows, |e| need(&kept, e) <= width);
    narrow(endpoints, [LEAST_ENDPOINT; 2], rows, |e| {
        need(&first, e) <= width
    })
}

/// `endpoints` narrowed a column at a time, each side down to its floor, until they
/// `fit`: the side narrowed is the one where that cuts fewer rows that were whole.
fn narrow(
    (mut src, mut dst): (u16, u16),
    floors: [u16; 2],
    rows: EndpointRows,
    fit: impl Fn((u16, u16)) -> bool,
) -> (u16, u16) {
    while !fit((src, dst)) {
        let cut = |side, from: u16| rows.at(side, from);
        let narrow_src = match (src > floors[0], dst > floors[1]) {
            (false, false) => break,
            (true, false) => true,
            (false, true) => false,
            (true, true) => (cut(0, src), dst) <= (cut(1, dst), src),
        };
        match narrow_src {
            true => src -= 1,
            false => dst -= 1,
        }
    }
    (src, dst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::settings::Settings;

    fn measures(endpoints: (u16, u16)) -> Measures {
        Measures {
            endpoints,
            endpoint_rows: EndpointRows::NONE,
            proto_letters: 1,
            proto_words: 3,
            time_style: TimeStyle::Clock,
        }
    }

    fn names(f: &Fitted) -> Vec<Column> {
        f.columns.iter().map(|p| p.column).collect()
    }

    fn total(f: &Fitted) -> u16 {
        f.columns.iter().map(|p| p.width + p.gap).sum()
    }

    #[test]
    fn a_long_endpoint_narrows_before_a_column_after_it_is_lost() {
        let columns = Settings::default().columns;
        let ipv6 = "[2510:1a5b:ce4e:2bf6:eb11:2640:a20:4fb0]:56683".len() as u16;
        for width in [60, 80, 100, 118] {
            let fitted = fit(&columns, measures((ipv6, 22)), width);
            for c in [Column::Proto, Column::Dir, Column::Action, Column::State] {
                assert!(
                    names(&fitted).contains(&c),
                    "{c:?} lost at {width}: {fitted:?}"
                );
            }
            assert!(total(&fitted) <= width, "{fitted:?} overflows {width}");
        }
        // Room enough: nothing is narrowed.
        let wide = fit(&columns, measures((ipv6, 22)), 250);
        assert_eq!(wide.columns[1].width, ipv6);
        assert!(!wide.compact);
        // A pane too narrow for the rest still shows both endpoints, cut alike, rather
        // than the source whole and the destination lost.
        let narrow = fit(&columns, measures((ipv6, ipv6)), 40);
        assert_eq!(names(&narrow), [Column::Time, Column::Src, Column::Dst]);
        assert_eq!(endpoint_widths(&narrow), (Some(15), Some(15)), "{narrow:?}");
        assert_eq!(total(&narrow), 40, "{narrow:?}");
        // Too narrow for them at the least width: the destination goes, and the source
        // takes the room it leaves.
        let narrower = fit(&columns, measures((ipv6, ipv6)), 30);
        assert_eq!(names(&narrower), [Column::Time, Column::Src]);
        assert_eq!(total(&narrower), 30, "{narrower:?}");
        // With room for its measure, it gets no more.
        let short = fit(&columns, measures((19, 19)), 30);
        let src = short.columns.iter().find(|p| p.column == Column::Src);
        assert_eq!(src.map(|p| p.width), Some(19), "{short:?}");
    }

    /// At 80 columns the demo's Flows pane is 54 wide, its sources mostly wider than its
    /// destinations: the destinations give way (down to the width nine in ten of them
    /// fit in) before the sources, which had been cut to 17 while destinations of 11 to
    /// 13 had 16.
    #[test]
    fn the_side_that_cuts_fewer_rows_narrows_first() {
        let columns = Settings::default().columns;
        // (width, rows) of each side, as measured in the demo.
        let rows = |counts: &[(u16, usize)]| -> Vec<u16> {
            counts
                .iter()
                .flat_map(|&(w, n)| std::iter::repeat_n(w, n))
                .collect()
        };
        let src = rows(&[
            (14, 1443),
            (16, 112),
            (17, 201),
            (18, 542),
            (19, 180),
            (20, 496),
            (23, 34),
        ]);
        let dst = rows(&[
            (11, 453),
            (12, 749),
            (13, 1445),
            (14, 96),
            (16, 180),
            (17, 59),
            (21, 37),
        ]);
        let m = Measures {
            endpoint_rows: EndpointRows::of_widths(&src, &dst),
            ..measures((20, 16))
        };
        let fitted = fit(&columns, m, 54);
        assert_eq!(endpoint_widths(&fitted), (Some(19), Some(14)));
        assert!(fitted.compact && total(&fitted) <= 54, "{fitted:?}");
        // Without counts the wider side narrows first, as before, down to the floor.
        let fitted = fit(&columns, measures((20, 16)), 54);
        assert_eq!(endpoint_widths(&fitted), (Some(17), Some(16)));
        // In words an IPv4 endpoint stays whole, however few rows are that wide: the
        // packets column goes first.
        let m = Measures {
            endpoint_rows: EndpointRows::of_widths(&rows(&[(14, 95), (21, 5)]), &dst),
            ..measures((21, 16))
        };
        let fitted = fit(&columns, m, 78);
        assert!(!fitted.compact, "{fitted:?}");
        assert_eq!(endpoint_widths(&fitted).0, Some(21), "{fitted:?}");
    }

    /// At 60 columns the Flows pane is 36 wide inside: too narrow for the letters, but
    /// not for both endpoints. The destinations were lost while the sources kept blank
    /// room.
    #[test]
    fn a_pane_too_narrow_for_the_letters_shows_both_endpoints() {
        let columns = Settings::default().columns;
        for (endpoints, width) in [((20, 16), 36), ((21, 21), 36), ((47, 47), 34)] {
            let fitted = fit(&columns, measures(endpoints), width);
            let (src, dst) = endpoint_widths(&fitted);
            assert!(src.is_some() && dst.is_some(), "{width}: {fitted:?}");
            assert!(total(&fitted) <= width, "{fitted:?} overflows {width}");
        }
        // Where they fit at their floors nothing changes: 16 each is the compact floor.
        let fitted = fit(&columns, measures((20, 16)), 54);
        assert!(names(&fitted).contains(&Column::State), "{fitted:?}");
    }

    /// In words the protocol column is as wide as the widest name: `icmpv6` was cut to
    /// `icmp…` in a column of five.
    #[test]
    fn the_protocol_column_holds_its_widest_name() {
        let columns = Settings::default().columns;
        let icmpv6 = Measures {
            proto_words: 6,
            ..measures((20, 16))
        };
        let fitted = fit(&columns, icmpv6, 160);
        assert!(!fitted.compact);
        let proto = fitted.columns.iter().find(|p| p.column == Column::Proto);
        assert_eq!(proto.map(|p| p.width), Some(6), "{fitted:?}");
        // `proto` itself needs five.
        let fitted = fit(&columns, measures((20, 16)), 160);
        let proto = fitted.columns.iter().find(|p| p.column == Column::Proto);
        assert_eq!(proto.map(|p| p.width), Some(5), "{fitted:?}");
    }

    fn endpoint_widths(f: &Fitted) -> (Option<u16>, Option<u16>) {
        let width = |c| f.columns.iter().find(|p| p.column == c).map(|p| p.width);
        (width(Column::Src), width(Column::Dst))
    }

    /// The measure holds 95% of the rows whole; room left over once every column is
    /// placed goes to the widest rows too, up to their width and no further. At 120
    /// columns the demo's IPv6 destinations were cut beside four blank columns.
    #[test]
    fn room_left_over_holds_the_widest_endpoints() {
        use Column::*;
        let columns = [Time, Src, Dst, Proto, Dir, Action, State, Bytes];
        let mut src = vec![19; 95];
        src.extend([25; 5]);
        let mut dst = vec![17; 95];
        dst.extend([23; 5]);
        let m = Measures {
            endpoint_rows: EndpointRows::of_widths(&src, &dst),
            ..measures((19, 17))
        };
        // Every column at the measure: 73 columns.
        let exact = fit(&columns, m, 73);
        assert_eq!(endpoint_widths(&exact), (Some(19), Some(17)), "{exact:?}");
        assert_eq!(names(&exact), columns);
        // Four more: the sources take them first.
        let four = fit(&columns, m, 77);
        assert_eq!(endpoint_widths(&four), (Some(23), Some(17)), "{four:?}");
        assert_eq!(total(&four), 77);
        let roomy = fit(&columns, m, 300);
        assert_eq!(endpoint_widths(&roomy), (Some(25), Some(23)), "{roomy:?}");
        assert_eq!(total(&roomy), 85);
    }

    /// In compact form the four letters show together or not at all, at every width and
    /// time style (at 80 columns, dated times once left `TIA` with the state lost).
    #[test]
    fn the_letters_go_whole_or_not_at_all() {
        let columns = Settings::default().columns;
        let letters = [Column::Proto, Column::Dir, Column::Action, Column::State];
        for style in [TimeStyle::Clock, TimeStyle::Short, TimeStyle::Dated] {
            for endpoints in [(16, 16), (21, 18), (47, 47)] {
                for width in 30..=140 {
                    let m = Measures {
                        time_style: style,
                        ..measures(endpoints)
                    };
                    let f = fit(&columns, m, width);
                    let shown = letters.iter().filter(|c| names(&f).contains(c)).count();
                    assert!(
                        shown == 0 || shown == 4,
                        "{width} {style:?} {endpoints:?}: {f:?}"
                    );
                    assert!(total(&f) <= width, "{f:?} overflows {width}");
                }
            }
        }
    }

    /// The Flows pane of an 80-column terminal is 54 wide inside; the demo's widest
    /// endpoints are 20 and 16.
    #[test]
    fn a_narrow_pane_keeps_every_essential_column_in_compact_form() {
        let columns = Settings::default().columns;
        let fitted = fit(&columns, measures((20, 16)), 54);
        assert!(fitted.compact);
        let shown = names(&fitted);
        assert_eq!(&shown[..8], &Column::DEFAULT[..8], "{fitted:?}");
        assert!(total(&fitted) <= 54, "{fitted:?}");
        // The letters sit side by side, as the log writes them.
        let gaps: Vec<u16> = fitted.columns[3..7].iter().map(|p| p.gap).collect();
        assert_eq!(gaps, vec![0, 0, 0, 1]);
        // Wide enough for the words: they stay.
        let words = fit(&columns, measures((20, 16)), 82);
        assert!(!words.compact);
        assert!(names(&words).contains(&Column::Packets), "{words:?}");
    }

    /// Times over days keep their seconds where nothing else gives up width for them.
    #[test]
    fn times_over_days_keep_seconds_where_they_cost_nothing() {
        let columns = Settings::default().columns;
        let over_days = Measures {
            time_style: TimeStyle::Short,
            ..measures((20, 16))
        };
        assert_eq!(
            fit(&columns, over_days, 160).time_style,
            TimeStyle::ShortClock
        );
        // Within a day there are seconds already.
        assert_eq!(
            fit(&columns, measures((20, 16)), 54).time_style,
            TimeStyle::Clock
        );
        let mut without_seconds = 0;
        for width in 40..200 {
            let fitted = fit(&columns, over_days, width);
            let plain = fit_columns(&columns, over_days, width);
            assert_eq!(names(&fitted), names(&plain), "{width}");
            assert_eq!(fitted.compact, plain.compact, "{width}");
            assert!(total(&fitted) <= width, "{fitted:?} overflows {width}");
            without_seconds += usize::from(fitted.time_style == TimeStyle::Short);
        }
        // Somewhere seconds would cost a column or width, and are given up.
        assert!(without_seconds > 0);
    }

    /// A rule with too little room is left out; room to spare widens it, to a whole rule
    /// name at most; the columns never overflow.
    #[test]
    fn the_rule_takes_the_room_left_or_none() {
        let columns = Settings::default().columns;
        let rule = |f: &Fitted| {
            f.columns
                .iter()
                .find(|p| p.column == Column::Rule)
                .map(|p| p.width)
        };
        for width in 60..260 {
            let fitted = fit(&columns, measures((20, 16)), width);
            assert!(total(&fitted) <= width, "{fitted:?} overflows {width}");
            if let Some(w) = rule(&fitted) {
                assert!((MIN_TEXT..=RULE_MAX).contains(&w), "{w} at {width}");
            }
        }
        let wide = fit(&columns, measures((20, 16)), 200);
        assert_eq!(rule(&wide), Some(RULE_MAX));
        assert!(names(&wide).contains(&Column::Nsg));
    }
}

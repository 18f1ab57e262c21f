//! Fuzzes the flow tuple parser for both log kinds: no panic, and an accepted tuple agrees
//! with what the standard library reads from the same fields. The same text read in its
//! JSON quotes, with room after it for the reader that takes the whole tuple at once,
//! gives what reading it alone gives; skipping the counters' and addresses' values changes
//! nothing else.
#![no_main]

use flowscope::load::{parse_quoted, parse_tuple, Values};
use flowscope::model::{Counters, LogKind, Tuple};
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let kind = if selector & 1 == 0 {
        LogKind::Nsg
    } else {
        LogKind::Vnet
    };
    let text = String::from_utf8_lossy(rest);
    // Parsing is a pure function of its input.
    let first = parse_tuple(&text, kind);
    assert_eq!(first, parse_tuple(&text, kind));
    let body = &text[..text.find('"').unwrap_or(text.len())];
    let mut quoted = format!("{body}\"").into_bytes();
    quoted.resize(quoted.len() + 300, b' ');
    let read = parse_quoted(&quoted, kind, Values::ALL);
    if let Some((t, len)) = read {
        assert_eq!(len, body.len(), "{body:?}");
        assert_eq!(Ok(t), parse_tuple(body, kind), "{body:?}");
    }
    // Skipping may leave the counters 0 and the addresses 0.0.0.0 (where the tuple is
    // read whole), nothing more.
    let skipped = parse_quoted(&quoted, kind, Values::CHECKED);
    let without_values = |r: Option<(Tuple, usize)>| {
        r.map(|(t, len)| {
            let (counters, none) = (Counters::default(), IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            (Tuple { counters, src: none, dst: none, ..t }, len)
        })
    };
    assert_eq!(without_values(skipped), without_values(read), "{body:?}");
    let Ok(t) = first else { return };
    let fields: Vec<&str> = text.split(',').collect();
    match kind {
        LogKind::Nsg => assert!(matches!(fields.len(), 8 | 13), "{text:?}"),
        LogKind::Vnet => assert_eq!(fields.len(), 13, "{text:?}"),
    }
    if let Ok(src) = fields[1].parse::<IpAddr>() {
        assert_eq!(t.src, src, "{text:?}");
    }
    if let Ok(dst) = fields[2].parse::<IpAddr>() {
        assert_eq!(t.dst, dst, "{text:?}");
    }
    if let Ok(sport) = fields[3].parse::<u16>() {
        assert_eq!(t.sport, sport, "{text:?}");
    }
    if let Ok(dport) = fields[4].parse::<u16>() {
        assert_eq!(t.dport, dport, "{text:?}");
    }
    // The store keeps whole seconds as u32: an accepted time must fit.
    assert!(
        t.time_ms >= 0 && t.time_ms / 1000 <= i64::from(u32::MAX),
        "{text:?}"
    );
    if let Ok(time) = fields[0].parse::<i64>() {
        let scale = if kind == LogKind::Nsg { 1000 } else { 1 };
        assert_eq!(t.time_ms, time * scale, "{text:?}");
    }
});

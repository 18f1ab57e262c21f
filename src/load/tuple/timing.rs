//! How long the tuple parser takes over a million generated tuples of each format; run with
//! `cargo test --release --lib load::tuple::timing -- --ignored --nocapture`.

use super::{fast, parse_quoted, parse_tuple, Values};
use crate::gen::layout::{bulk_interface, LogFormat};
use crate::gen::rng::Rng;
use crate::gen::traffic::{Traffic, World};
use crate::model::LogKind;
use std::time::Instant;

const TUPLES: usize = 1_000_000;

/// The tuples' texts, one after the other, and where each ends.
fn generated(format: LogFormat) -> (Vec<u8>, Vec<usize>) {
    let mut rng = Rng::new(7);
    let world = World::new(&mut rng);
    let mut text = Vec::new();
    let mut ends = Vec::new();
    let mut flows = Vec::new();
    let ifaces: Vec<_> = (0..8)
        .map(|i| bulk_interface(format, i, "sub", &mut rng))
        .collect();
    let mut traffic: Vec<_> = ifaces
        .iter()
        .map(|iface| Traffic::new(iface, &world, Rng::new(rng.next_u64())))
        .collect();
    let mut minute = 1_731_920_400_000;
    while ends.len() < TUPLES {
        for t in &mut traffic {
            flows.clear();
            t.minute(minute, 200, &mut flows);
            for f in &flows {
                f.write(format, &mut text);
                ends.push(text.len());
                // As in a `flowTuples` array, for the parser that reads to the quote.
                text.extend_from_slice(b"\",\"");
            }
        }
        minute += 60_000;
    }
    (text, ends)
}

#[test]
#[ignore = "a measurement, not a check"]
fn timing_of_the_tuple_parser() {
    for (format, kind) in [
        (LogFormat::NsgV2, LogKind::Nsg),
        (LogFormat::Vnet, LogKind::Vnet),
    ] {
        let (text, ends) = generated(format);
        let text = std::str::from_utf8(&text).unwrap();
        let bytes = text.len() as f64 / ends.len() as f64 - 3.0;
        let alone = least_of_7(&ends, |from, end| {
            parse_tuple(&text[from..end], kind).is_ok()
        });
        let quoted = least_of_7(&ends, |from, _| {
            parse_quoted(&text.as_bytes()[from..], kind, Values::ALL).is_some()
        });
        let by_field = least_of_7(&ends, |from, _| {
            fast::parse_quoted_by_field(&text.as_bytes()[from..], kind).is_some()
        });
        let whole = read_whole(text.as_bytes(), &ends, kind);
        println!(
            "{format:?}: {alone:.1} ns per tuple alone, {quoted:.1} in its quotes, \
             {by_field:.1} in its quotes field by field (least of 7); {bytes:.1} bytes per \
             tuple; {whole} of {} read whole",
            ends.len()
        );
    }
}

/// How many of the tuples the whole-tuple reader takes.
fn read_whole(text: &[u8], ends: &[usize], kind: LogKind) -> usize {
    let starts = std::iter::once(0).chain(ends.iter().map(|end| end + 3));
    #[cfg(target_arch = "x86_64")]
    return starts
        .take(ends.len())
        .filter(|&from| super::whole::parse_quoted(&text[from..], kind, Values::ALL).is_some())
        .count();
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (text, starts, kind);
        0
    }
}

/// Nanoseconds per tuple of `parse(start, end)` over every tuple, the least of 7 runs;
/// every tuple must be accepted.
fn least_of_7(ends: &[usize], parse: impl Fn(usize, usize) -> bool) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..7 {
        let start = Instant::now();
        let mut from = 0;
        let mut accepted = 0u64;
        for &end in ends {
            accepted += parse(from, end) as u64;
            from = end + 3;
        }
        best = best.min(start.elapsed().as_nanos() as f64 / ends.len() as f64);
        assert_eq!(accepted, ends.len() as u64);
    }
    best
}

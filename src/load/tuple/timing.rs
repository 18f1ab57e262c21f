//! How long the tuple parser takes over a million generated tuples of each format; run with
//! `cargo test --release --lib load::tuple::timing -- --ignored --nocapture`.

use super::parse_tuple;
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
        let mut best = f64::MAX;
        for _ in 0..7 {
            let start = Instant::now();
            let mut from = 0;
            let mut accepted = 0u64;
            for &end in &ends {
                accepted += parse_tuple(&text[from..end], kind).is_ok() as u64;
                from = end;
            }
            let ns = start.elapsed().as_nanos() as f64 / ends.len() as f64;
            assert_eq!(accepted, ends.len() as u64);
            best = best.min(ns);
        }
        println!(
            "{format:?}: {best:.1} ns per tuple (least of 7), {:.1} bytes per tuple",
            text.len() as f64 / ends.len() as f64
        );
    }
}

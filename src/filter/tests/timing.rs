//! A measurement over 2M rows, ignored by default; it asserts nothing about time.

use super::*;

/// Prints how long some filters take over 2M rows; run with
/// `cargo test --release --lib filter::tests::timing -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a check"]
fn timing_over_two_million_rows() {
    let mut rng = Lcg(11);
    let mut b = StoreBuilder::new();
    let file = b.add_file(FileInfo::default());
    let rules: Vec<String> = (0..50).map(|i| format!("UserRule_{i}")).collect();
    let mut pushed = 0;
    let mut ordinal = 0;
    while pushed < 2_000_000 {
        let meta = RecordMeta {
            ordinal,
            offset: 0,
            kind: LogKind::Nsg,
            version: 2,
            time_ms: BASE_MS,
            nsg: Some("NSG-A"),
            flowlog: None,
            target: None,
        };
        b.begin_record(file, &meta);
        ordinal += 1;
        for _ in 0..4 {
            b.begin_group(
                Some(&rules[rng.next() as usize % rules.len()]),
                Some("000D3AF87856"),
                None,
            );
            for _ in 0..25 {
                let mut t = tuple(&mut rng, false);
                t.src = IpAddr::V4((0x0a00_0000 + (rng.next() % 20_000) as u32).into());
                b.push(&t);
                pushed += 1;
            }
        }
    }
    let store = b.finish();
    let start = std::time::Instant::now();
    let sum: u64 = store
        .counter_column()
        .iter_range(0, store.len())
        .map(|c| c.bytes_out)
        .sum();
    println!("decoding every counter: {:.2?} ({sum})", start.elapsed());
    for text in [
        "dport == 3389 and action == deny and dir == in",
        "port in {22, 3389, 5985..5986}",
        "src in 10.0.0.0/20 or ip == 192.0.2.7",
        "rule ~ \"_1[0-9]$\" and not tcp",
        "time >= 2024-11-18T08:30:00Z and time < \"2024-11-18 09:10\"",
        "time > 2024-11-18T08:30:00.500Z",
        "bytes > 1MB",
        "last 15m",
    ] {
        let start = std::time::Instant::now();
        let compiled = compile(text, &store).unwrap();
        let compile_time = start.elapsed();
        let best_of = |f: &dyn Fn() -> usize| {
            (0..15)
                .map(|_| {
                    let start = std::time::Instant::now();
                    let n = f();
                    (start.elapsed(), n)
                })
                .min()
                .unwrap_or_default()
        };
        let (best, count) = best_of(&|| compiled.count(&store));
        let (one_thread, _) = best_of(&|| {
            let words = eval::bitmap_split(&compiled.plan, &store, usize::MAX);
            words.iter().map(|w| w.count_ones() as usize).sum()
        });
        let (select_time, selected) = best_of(&|| compiled.select(&store).len());
        assert_eq!(selected, count);
        println!("{text:<62} compile {compile_time:>9.2?} count {best:>9.2?} (1 thread {one_thread:>9.2?}) select {select_time:>9.2?} rows {count}");
    }
}

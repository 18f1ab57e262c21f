//! Filters evaluated over a store built in the test, checked against the same tuples
//! filtered with plain closures.

use super::*;
use crate::model::{Counters, Decision, Direction, Encryption, FlowState, LogKind, Tuple};
use crate::store::{FileInfo, RecordMeta, StoreBuilder};
use std::net::IpAddr;

/// Everything a row carries, as pushed.
#[derive(Debug, Clone)]
struct Row {
    t: Tuple,
    rule: &'static str,
    mac: &'static str,
    acl: Option<&'static str>,
    nsg: &'static str,
    flowlog: Option<&'static str>,
    version: u8,
    file: &'static str,
}

/// A small deterministic generator, so the fixture needs no extra crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.next() as usize % items.len()]
    }
}

const BASE_MS: i64 = 1_731_916_800_000; // 2024-11-18T08:00:00Z
const RULES: [&str; 4] = [
    "DefaultRule_DenyAllInBound",
    "UserRule_RDP",
    "UserRule_Web",
    "DefaultRule_AllowVnetOutBound",
];
const MACS: [&str; 3] = ["000D3AF87856", "000d3a1b2c3d", "00-0D-3A-00-00-01"];
const FILES: [&str; 3] = [
    "logs/nsg-a/PT1H.json",
    "logs/nsg-b/PT1H.json",
    "vnet/fl-1/PT1H.json",
];
const ADDRS: [&str; 7] = [
    "10.0.0.4",
    "10.0.1.5",
    "192.0.2.7",
    "203.0.113.9",
    "198.51.100.2",
    "fe80::1",
    "2001:db8::5",
];

fn tuple(rng: &mut Lcg, vnet: bool) -> Tuple {
    let state = if vnet {
        Some(rng.pick(&FlowState::ALL))
    } else {
        rng.pick(&[None, Some(FlowState::Begin), Some(FlowState::End)])
    };
    let big = rng.pick(&[
        0u64,
        1,
        999,
        1_000,
        1_500,
        1_000_000,
        2_500_000,
        5_000_000_000,
    ]);
    Tuple {
        // Two days, with a millisecond part on some rows.
        time_ms: BASE_MS + (rng.next() % 172_800) as i64 * 1000 + rng.pick(&[0, 0, 1, 500, 999]),
        src: rng.pick(&ADDRS).parse().unwrap(),
        dst: rng.pick(&ADDRS).parse().unwrap(),
        sport: rng.pick(&[22, 443, 3389, 50000, 51234, 65535]),
        dport: rng.pick(&[0, 22, 80, 443, 3389, 5985, 5986, 5987]),
        proto: rng.pick(&[6, 6, 17, 1, 47]),
        dir: rng.pick(&[Direction::In, Direction::Out]),
        decision: rng.pick(&[Decision::Allow, Decision::Deny]),
        state,
        encryption: if vnet {
            Some(rng.pick(&Encryption::ALL))
        } else {
            None
        },
        counters: Counters {
            packets_out: rng.next() % 20,
            bytes_out: big,
            packets_in: rng.pick(&[0, 3, 10_000]),
            bytes_in: rng.pick(&[0, 1, 500, 600_000]),
        },
    }
}

/// Three files, several records each, several groups each.
fn fixture() -> (Store, Vec<Row>) {
    fixture_sized(3)
}

fn fixture_sized(groups_per_record: usize) -> (Store, Vec<Row>) {
    let mut rng = Lcg(7);
    let mut b = StoreBuilder::new();
    let mut rows = Vec::new();
    for (fi, &path) in FILES.iter().enumerate() {
        let vnet = fi == 2;
        let file = b.add_file(FileInfo {
            path: path.into(),
            size: 0,
            meta: Default::default(),
        });
        for ordinal in 0..4u32 {
            let nsg = if fi == 0 { "NSG-A" } else { "nsg-b" };
            let version = if vnet { 4 } else { 1 + (ordinal % 2) as u8 };
            let flowlog = vnet.then_some("fl-1");
            b.begin_record(
                file,
                &RecordMeta {
                    ordinal,
                    offset: 0,
                    kind: if vnet { LogKind::Vnet } else { LogKind::Nsg },
                    version,
                    time_ms: BASE_MS,
                    nsg: Some(nsg),
                    flowlog,
                    target: None,
                },
            );
            for _ in 0..groups_per_record {
                let rule = rng.pick(&RULES);
                let mac = rng.pick(&MACS);
                let acl = vnet.then_some("00000000-0000-0000-0000-000000000000");
                b.begin_group(Some(rule), Some(mac), acl);
                for _ in 0..(rng.next() % 40) {
                    let t = tuple(&mut rng, vnet);
                    b.push(&t);
                    rows.push(Row {
                        t,
                        rule,
                        mac,
                        acl,
                        nsg,
                        flowlog,
                        version,
                        file: path,
                    });
                }
            }
        }
    }
    (b.finish(), rows)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn in_net(a: IpAddr, net: &str, prefix: u32) -> bool {
    match (a, ip(net)) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            (u32::from(a) ^ u32::from(n))
                .checked_shr(32 - prefix)
                .unwrap_or(0)
                == 0
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            (u128::from(a) ^ u128::from(n))
                .checked_shr(128 - prefix)
                .unwrap_or(0)
                == 0
        }
        _ => false,
    }
}

fn at(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp_millis()
}

type Expect = fn(&Row) -> bool;

#[test]
fn every_field_operator_and_shorthand_selects_what_plain_rust_selects() {
    let (store, rows) = fixture();
    assert!(rows.len() > 300, "fixture too small: {}", rows.len());
    let newest = rows.iter().map(|r| r.t.time_ms).max().unwrap();
    let cases: Vec<(&str, Expect)> = vec![
        ("", |_| true),
        ("dport == 3389 and action == deny and dir == in", |r| {
            r.t.dport == 3389 && r.t.decision == Decision::Deny && r.t.dir == Direction::In
        }),
        ("dport == 3389 && deny && inbound", |r| {
            r.t.dport == 3389 && r.t.decision == Decision::Deny && r.t.dir == Direction::In
        }),
        ("sport == 22", |r| r.t.sport == 22),
        ("port == 22", |r| r.t.sport == 22 || r.t.dport == 22),
        ("port != 22", |r| r.t.sport != 22 && r.t.dport != 22),
        ("port 443", |r| r.t.sport == 443 || r.t.dport == 443),
        ("dport in {22, 3389, 5985..5986}", |r| {
            [22, 3389, 5985, 5986].contains(&r.t.dport)
        }),
        ("dport not in {22, 80}", |r| ![22, 80].contains(&r.t.dport)),
        ("dport in 5985..5987", |r| {
            (5985..=5987).contains(&r.t.dport)
        }),
        ("dport < 443", |r| r.t.dport < 443),
        ("dport <= 443", |r| r.t.dport <= 443),
        ("sport > 50000", |r| r.t.sport > 50000),
        ("sport >= 65535", |r| r.t.sport == 65535),
        ("dport < 0", |_| false),
        ("src == 10.0.0.4", |r| r.t.src == ip("10.0.0.4")),
        ("src in 10.0.0.0/8 || dst == 192.0.2.0/24", |r| {
            in_net(r.t.src, "10.0.0.0", 8) || in_net(r.t.dst, "192.0.2.0", 24)
        }),
        ("ip == 203.0.113.9", |r| {
            r.t.src == ip("203.0.113.9") || r.t.dst == ip("203.0.113.9")
        }),
        ("ip != 203.0.113.9", |r| {
            r.t.src != ip("203.0.113.9") && r.t.dst != ip("203.0.113.9")
        }),
        ("dst in {fe80::/10, 198.51.100.2}", |r| {
            in_net(r.t.dst, "fe80::", 10) || r.t.dst == ip("198.51.100.2")
        }),
        ("src in 10.0.0.0..10.0.1.255", |r| {
            in_net(r.t.src, "10.0.0.0", 23)
        }),
        ("2001:db8::/32", |r| {
            in_net(r.t.src, "2001:db8::", 32) || in_net(r.t.dst, "2001:db8::", 32)
        }),
        ("tcp", |r| r.t.proto == 6),
        ("udp or icmp", |r| r.t.proto == 17 || r.t.proto == 1),
        ("proto == 47", |r| r.t.proto == 47),
        ("proto in {tcp, 47}", |r| r.t.proto == 6 || r.t.proto == 47),
        ("proto > 6", |r| r.t.proto > 6),
        ("dir == out", |r| r.t.dir == Direction::Out),
        ("dir == I", |r| r.t.dir == Direction::In),
        ("outbound", |r| r.t.dir == Direction::Out),
        ("action == A", |r| r.t.decision == Decision::Allow),
        ("allow", |r| r.t.decision == Decision::Allow),
        ("state == begin", |r| r.t.state == Some(FlowState::Begin)),
        ("state in {C, E}", |r| {
            matches!(r.t.state, Some(FlowState::Continue | FlowState::End))
        }),
        ("state != deny", |r| r.t.state != Some(FlowState::Deny)),
        ("encryption == nx", |r| {
            r.t.encryption == Some(Encryption::Nx)
        }),
        ("encryption ~ \"^NX_\"", |r| {
            r.t.encryption.is_some_and(|e| e.name().starts_with("NX_"))
        }),
        ("encrypted", |r| r.t.encryption == Some(Encryption::X)),
        ("rule == userrule_rdp", |r| r.rule == "UserRule_RDP"),
        ("not rule ~ \"^DefaultRule_\"", |r| {
            !r.rule.starts_with("DefaultRule_")
        }),
        ("rule !~ default", |r| {
            !r.rule.to_lowercase().contains("default")
        }),
        ("rule in {UserRule_Web, \"UserRule_RDP\"}", |r| {
            r.rule == "UserRule_Web" || r.rule == "UserRule_RDP"
        }),
        ("mac == 00:0d:3a:f8:78:56", |r| r.mac == "000D3AF87856"),
        ("mac ~ \"^00-0d\"", |r| r.mac.starts_with("00-0D")),
        ("nsg == nsg-a", |r| r.nsg == "NSG-A"),
        ("flowlog == fl-1", |r| r.flowlog == Some("fl-1")),
        ("flowlog != fl-1", |r| r.flowlog != Some("fl-1")),
        ("target ~ .", |_| false),
        ("acl ~ \"^0+-\"", |r| r.acl.is_some()),
        ("file == \"PT1H.json\"", |_| true),
        ("file ~ \"nsg-b\"", |r| r.file.contains("nsg-b")),
        ("file == vnet/fl-1/PT1H.json", |r| {
            r.file == "vnet/fl-1/PT1H.json"
        }),
        ("version == 2", |r| r.version == 2),
        ("version >= 2", |r| r.version >= 2),
        ("bytes > 1MB", |r| r.t.counters.bytes() > 1_000_000),
        ("bytes <= 1.5kB", |r| r.t.counters.bytes() <= 1500),
        ("bytes >= 2GiB", |r| r.t.counters.bytes() >= 2 << 30),
        ("packets > 10k", |r| r.t.counters.packets() > 10_000),
        ("bytes_out == 1000", |r| r.t.counters.bytes_out == 1000),
        ("bytes_in in 1..600", |r| {
            (1..=600).contains(&r.t.counters.bytes_in)
        }),
        ("packets_out < 5", |r| r.t.counters.packets_out < 5),
        ("packets_in == 0", |r| r.t.counters.packets_in == 0),
        (
            "time >= 2024-11-18T08:30:00Z and time < \"2024-11-18 09:10\"",
            |r| {
                r.t.time_ms >= at("2024-11-18T08:30:00Z")
                    && r.t.time_ms < at("2024-11-18T09:10:00Z")
            },
        ),
        ("time == 2024-11-19", |r| {
            (at("2024-11-19T00:00:00Z")..at("2024-11-20T00:00:00Z")).contains(&r.t.time_ms)
        }),
        ("time > 2024-11-19T12:00:00.500Z", |r| {
            r.t.time_ms > at("2024-11-19T12:00:00.500Z")
        }),
        ("time <= \"2024-11-18 10:00:01\"", |r| {
            r.t.time_ms < at("2024-11-18T10:00:02Z")
        }),
        ("time in 2024-11-18T09..2024-11-18T10", |r| {
            (at("2024-11-18T09:00:00Z")..at("2024-11-18T11:00:00Z")).contains(&r.t.time_ms)
        }),
        ("not (tcp or udp) and (deny || state == end)", |r| {
            r.t.proto != 6
                && r.t.proto != 17
                && (r.t.decision == Decision::Deny || r.t.state == Some(FlowState::End))
        }),
        ("deny or allow and tcp", |r| {
            r.t.decision == Decision::Deny || r.t.proto == 6
        }),
        ("!deny && !!tcp", |r| {
            r.t.decision == Decision::Allow && r.t.proto == 6
        }),
        ("PROTOCOL == TCP AND Direction == IN", |r| {
            r.t.proto == 6 && r.t.dir == Direction::In
        }),
    ];
    for (text, expect) in cases {
        let want: Vec<u32> = (0..rows.len() as u32)
            .filter(|&i| expect(&rows[i as usize]))
            .collect();
        let compiled = compile(text, &store).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(compiled.select(&store).rows(), &want[..], "{text}");
        assert_eq!(compiled.count(&store), want.len(), "{text}");
        let one_by_one: Vec<u32> = (0..rows.len() as u32)
            .filter(|&r| compiled.matches(&store, r))
            .collect();
        assert_eq!(one_by_one, want, "{text} row by row");
        let split = eval::bitmap_split(&compiled.plan, &store, 0);
        assert_eq!(
            Selection::from_bitmap(&split, store.len()).rows(),
            &want[..],
            "{text} on two threads"
        );
    }
    let _ = newest;
}

#[test]
fn last_is_relative_to_the_newest_tuple() {
    let (store, rows) = fixture();
    let newest = rows.iter().map(|r| r.t.time_ms).max().unwrap();
    for (text, span) in [
        ("last 15m", 900_000),
        ("last 2h", 7_200_000),
        ("LAST 1d", 86_400_000),
        ("last 30s", 30_000),
    ] {
        let want = rows.iter().filter(|r| r.t.time_ms >= newest - span).count();
        assert_eq!(compile(text, &store).unwrap().count(&store), want, "{text}");
    }
    let empty = Store::default();
    assert_eq!(compile("last 15m", &empty).unwrap().count(&empty), 0);
}

#[test]
fn a_store_that_grew_gets_fresh_tables() {
    let (store, _) = fixture();
    let compiled = compile("ip == 10.0.0.4 and rule ~ rdp", &Store::default()).unwrap();
    let fresh = compile("ip == 10.0.0.4 and rule ~ rdp", &store).unwrap();
    assert!(fresh.count(&store) > 0);
    assert_eq!(compiled.select(&store), fresh.select(&store));
    assert!(!compiled.matches(&store, u32::MAX));
}

#[test]
fn bad_filters_name_position_message_and_suggestions() {
    let store = Store::default();
    let cases = [
        ("dport == 33x9", 11, "expected a port number"),
        (
            "dprot == 3389",
            0,
            "unknown field `dprot`; did you mean `dport`?",
        ),
        ("dport == 70000", 9, "a port number must be at most 65535"),
        ("dir == sideways", 7, "expected in or out"),
        ("action == maybe", 10, "expected allow or deny"),
        ("state == x", 9, "expected begin, continue, end or deny"),
        (
            "encryption == aes",
            14,
            "expected an encryption status such as X or NX",
        ),
        (
            "dir < in",
            4,
            "`<` does not apply to `dir`; use ==, != or in",
        ),
        (
            "dport ~ 33",
            6,
            "`~` matches text fields only (rule nsg mac flowlog target acl encryption file)",
        ),
        (
            "rule ~ \"(\"",
            7,
            "invalid regular expression: error: unclosed group",
        ),
        (
            "src == 10.0.0.0/40",
            16,
            "expected a prefix length from 0 to 32",
        ),
        (
            "src == 10.0.0",
            7,
            "expected an IP address or a CIDR such as 10.0.0.0/8",
        ),
        ("bytes > 1XB", 9, "expected a unit such as kB, MB or GiB"),
        (
            "time > yesterday",
            7,
            "expected a time such as 2024-11-18T08:30:00Z or \"2024-11-18 09:10\"",
        ),
        ("last 15", 7, "expected a unit: s, m, h, d or w"),
        ("dport < {1, 2}", 8, "expected a single value after `<`"),
        (
            "dport in 90..80",
            9,
            "range is empty: its start is after its end",
        ),
        (
            "in",
            0,
            "`in` alone is ambiguous; write `inbound` or `dir == in`",
        ),
        (
            "deny and out",
            9,
            "`out` alone is ambiguous; write `outbound` or `dir == out`",
        ),
        (
            "dport",
            5,
            "expected an operator after `dport`: == != < <= > >= in ~",
        ),
        (
            "denyy",
            0,
            "unknown field or shorthand `denyy`; did you mean `deny`?",
        ),
        (
            "proto == tcpp",
            9,
            "expected a protocol (tcp, udp, icmp or a number)",
        ),
        ("rule in {a..b}", 9, "a text field takes no range"),
        (
            "dport == 22 and (",
            17,
            "expected a field, a shorthand such as `deny` or `tcp`, or `(`",
        ),
    ];
    for (text, position, message) in cases {
        let e = compile(text, &store).unwrap_err();
        assert_eq!(
            (e.position, e.message.as_str()),
            (position, message),
            "{text}"
        );
        assert_eq!(validate(text).unwrap_err(), e, "{text}");
    }
    let e = compile("dprot == 1", &store).unwrap_err();
    assert_eq!(e.suggestions.first().map(String::as_str), Some("dport"));
    assert!(validate("dport == 3389 and deny").is_ok());
}

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

#[test]
fn contradictions_and_merged_flag_tests_still_select_right() {
    let (store, rows) = fixture();
    let count = |text: &str| compile(text, &store).unwrap().count(&store);
    assert_eq!(count("dir == in and dir == out"), 0);
    assert_eq!(count("tcp and not tcp"), 0);
    assert_eq!(
        count("time < 2024-11-18T10:00:00Z and time > 2024-11-18T11:00:00Z"),
        0
    );
    let want = rows
        .iter()
        .filter(|r| r.t.dir == Direction::In && r.t.decision == Decision::Deny && r.t.proto == 6)
        .count();
    assert_eq!(
        count("inbound and (port > 0 or port == 0) and deny and tcp and dir == in"),
        want
    );
}

#[test]
fn two_threads_agree_with_plain_rust_across_blocks() {
    let (store, rows) = fixture_sized(60);
    assert!(rows.len() > 3 * 4096, "fixture too small: {}", rows.len());
    let cases: Vec<(&str, Expect)> = vec![
        ("deny and dport == 3389", |r| {
            r.t.decision == Decision::Deny && r.t.dport == 3389
        }),
        ("rule ~ rdp or bytes > 1MB", |r| {
            r.rule == "UserRule_RDP" || r.t.counters.bytes() > 1_000_000
        }),
        ("not ip == 10.0.0.4", |r| {
            r.t.src != ip("10.0.0.4") && r.t.dst != ip("10.0.0.4")
        }),
    ];
    for (text, expect) in cases {
        let want: Vec<u32> = (0..rows.len() as u32)
            .filter(|&i| expect(&rows[i as usize]))
            .collect();
        let compiled = compile(text, &store).unwrap();
        let split = eval::bitmap_split(&compiled.plan, &store, 0);
        assert_eq!(
            Selection::from_bitmap(&split, store.len()).rows(),
            &want[..],
            "{text}"
        );
        assert_eq!(compiled.select(&store).rows(), &want[..], "{text}");
    }
}

proptest::proptest! {
    /// Whatever is typed, compiling answers with a filter or an error inside the text.
    #[test]
    fn any_text_compiles_or_errors_without_panicking(text in "[a-z0-9 .:/{}(),=!<>~&|\"'_*-]{0,40}") {
        let (store, _) = fixture();
        match compile(&text, &store) {
            Ok(c) => proptest::prop_assert!(c.count(&store) <= store.len()),
            Err(e) => proptest::prop_assert!(e.position <= text.chars().count(), "{e:?}"),
        }
    }

    /// Fragments of the language glued at random.
    #[test]
    fn grammar_fragments_never_panic(parts in proptest::collection::vec(proptest::sample::select(vec![
        "dport", "ip", "time", "rule", "bytes", "==", "!=", "<", ">=", "in", "~", "!~", "not", "and",
        "or", "(", ")", "{", "}", ",", "..", "3389", "10.0.0.0/8", "1.5MB", "\"x\"", "deny", "last",
        "15m", "2024-11-18", "tcp", "in", "out", "!", "&&", "||",
    ]), 0..12)) {
        let (store, _) = fixture();
        let text = parts.join(" ");
        if let Err(e) = compile(&text, &store) {
            proptest::prop_assert!(e.position <= text.chars().count(), "{e:?}");
        }
    }
}

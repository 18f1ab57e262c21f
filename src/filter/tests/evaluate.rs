//! Evaluation: every field, operator and shorthand against plain Rust.

use super::*;

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
        ("rdp and not ssh", |r| {
            (r.t.sport == 3389 || r.t.dport == 3389) && r.t.sport != 22 && r.t.dport != 22
        }),
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
        // An NSG tuple's absent encryption is the empty text.
        ("encryption == \"\"", |r| r.t.encryption.is_none()),
        ("encryption == \"-\"", |r| r.t.encryption.is_none()),
        ("state == \"-\"", |r| r.t.state.is_none()),
        ("encryption ~ \"^$\"", |r| r.t.encryption.is_none()),
        ("encryption in {\"\", X}", |r| {
            matches!(r.t.encryption, None | Some(Encryption::X))
        }),
        // Every NX status is unencrypted, not only the plain NX.
        ("unencrypted", |r| {
            r.t.encryption.is_some_and(|e| e.name().starts_with("NX"))
        }),
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
        // An absent text is the empty one.
        ("flowlog == \"\"", |r| r.flowlog.is_none()),
        ("flowlog in {\"\", fl-1}", |r| {
            r.flowlog.is_none() || r.flowlog == Some("fl-1")
        }),
        ("flowlog ~ \"^$\"", |r| r.flowlog.is_none()),
        ("target == \"\"", |_| true),
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
    let files: Vec<Store> = fixture_files(3)
        .0
        .into_iter()
        .map(StoreBuilder::into_store)
        .collect();
    for (text, expect) in cases {
        let want: Vec<u32> = (0..rows.len() as u32)
            .filter(|&i| expect(&rows[i as usize]))
            .collect();
        let unanchored = compile_unanchored(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let unanchored = unanchored.unwrap_or_else(|| panic!("{text}: needs no newest tuple"));
        let file_by_file: usize = files.iter().map(|f| unanchored.count(f)).sum();
        assert_eq!(file_by_file, want.len(), "{text} file by file");
        // Files with only the columns the filter reads (reading any other panics).
        let lean: usize = fixture_files_with(3, unanchored.columns())
            .0
            .into_iter()
            .map(|f| unanchored.count(&f.into_store()))
            .sum();
        assert_eq!(lean, want.len(), "{text} file by file, lean columns");
        let compiled = compile(text, &store).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(compiled.select(&store).to_vec(), want, "{text}");
        assert_eq!(compiled.count(&store), want.len(), "{text}");
        let one_by_one: Vec<u32> = (0..rows.len() as u32)
            .filter(|&r| compiled.matches(&store, r))
            .collect();
        assert_eq!(one_by_one, want, "{text} row by row");
        let split = eval::bitmap_split(&compiled.plan, &store, 0);
        assert_eq!(
            Selection::from_bitmap(split, store.len()).to_vec(),
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
    // File by file, the newest tuple is not known yet.
    for text in ["last 15m", "tcp and not (deny or last 1h)"] {
        assert!(compile_unanchored(text).unwrap().is_none(), "{text}");
    }
    assert!(compile_unanchored("time > 2024-11-18").unwrap().is_some());
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
        // A rule's groups on the left: few rows in stretches, read run by run.
        ("rule ~ rdp and bytes > 1kB", |r| {
            r.rule == "UserRule_RDP" && r.t.counters.bytes() > 1000
        }),
        ("rule ~ rdp and not (dport == 3389 or bytes > 1kB)", |r| {
            r.rule == "UserRule_RDP" && !(r.t.dport == 3389 || r.t.counters.bytes() > 1000)
        }),
        // A selective left side (ten minutes of two days): the right side is evaluated
        // only under the words the left kept.
        (
            "time >= 2024-11-18T10:00:00Z and time < 2024-11-18T10:10:00Z and bytes > 1kB",
            |r| ten_minutes(r) && r.t.counters.bytes() > 1000,
        ),
        (
            "time >= 2024-11-18T10:00:00Z and time < 2024-11-18T10:10:00Z and not (rule ~ rdp or state == end)",
            |r| {
                ten_minutes(r)
                    && !(r.rule == "UserRule_RDP" || r.t.state == Some(FlowState::End))
            },
        ),
        (
            "time >= 2024-11-18T10:00:00Z and time < 2024-11-18T10:10:00Z and (packets > 3 or dport == 22)",
            |r| ten_minutes(r) && (r.t.counters.packets() > 3 || r.t.dport == 22),
        ),
    ];
    let sparse = rows.iter().filter(|r| ten_minutes(r)).count();
    assert!(
        sparse > 0 && sparse * 100 < rows.len(),
        "the fixture must make ten minutes selective: {sparse} of {}",
        rows.len()
    );
    for (text, expect) in cases {
        let want: Vec<u32> = (0..rows.len() as u32)
            .filter(|&i| expect(&rows[i as usize]))
            .collect();
        let compiled = compile(text, &store).unwrap();
        let split = eval::bitmap_split(&compiled.plan, &store, 0);
        assert_eq!(
            Selection::from_bitmap(split, store.len()).to_vec(),
            &want[..],
            "{text}"
        );
        assert_eq!(compiled.select(&store).to_vec(), want, "{text}");
    }
}

/// 2024-11-18 10:00 to 10:10 UTC.
fn ten_minutes(r: &Row) -> bool {
    (1_731_924_000_000..1_731_924_600_000).contains(&r.t.time_ms)
}

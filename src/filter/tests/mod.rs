//! Filters compiled and evaluated over stores built here, checked against the same tuples
//! filtered with plain closures.

mod errors;
mod evaluate;
mod fuzz;
mod timing;

use super::*;
use crate::model::{Counters, Decision, Direction, Encryption, FlowState, LogKind, Tuple};
use crate::store::{Columns, FileInfo, RecordMeta, StoreBuilder};
use std::net::IpAddr;

/// Everything a row carries, as pushed.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub(super) t: Tuple,
    pub(super) rule: &'static str,
    pub(super) mac: &'static str,
    pub(super) acl: Option<&'static str>,
    pub(super) nsg: &'static str,
    pub(super) flowlog: Option<&'static str>,
    pub(super) version: u8,
    pub(super) file: &'static str,
}

/// A small deterministic generator, so the fixture needs no extra crate.
pub(super) struct Lcg(u64);

impl Lcg {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub(super) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.next() as usize % items.len()]
    }
}

pub(super) const BASE_MS: i64 = 1_731_916_800_000; // 2024-11-18T08:00:00Z
pub(super) const RULES: [&str; 4] = [
    "DefaultRule_DenyAllInBound",
    "UserRule_RDP",
    "UserRule_Web",
    "DefaultRule_AllowVnetOutBound",
];
pub(super) const MACS: [&str; 3] = ["000D3AF87856", "000d3a1b2c3d", "00-0D-3A-00-00-01"];
pub(super) const FILES: [&str; 3] = [
    "logs/nsg-a/PT1H.json",
    "logs/nsg-b/PT1H.json",
    "vnet/fl-1/PT1H.json",
];
pub(super) const ADDRS: [&str; 7] = [
    "10.0.0.4",
    "10.0.1.5",
    "192.0.2.7",
    "203.0.113.9",
    "198.51.100.2",
    "fe80::1",
    "2001:db8::5",
];

pub(super) fn tuple(rng: &mut Lcg, vnet: bool) -> Tuple {
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
pub(super) fn fixture() -> (Store, Vec<Row>) {
    fixture_sized(3)
}

pub(super) fn fixture_sized(groups_per_record: usize) -> (Store, Vec<Row>) {
    let (files, rows) = fixture_files(groups_per_record);
    let mut whole = StoreBuilder::new();
    files.into_iter().for_each(|file| whole.append(file));
    (whole.finish(), rows)
}

/// The fixture's files, each built on its own as the loader's workers build them.
pub(super) fn fixture_files(groups_per_record: usize) -> (Vec<StoreBuilder>, Vec<Row>) {
    fixture_files_with(groups_per_record, Columns::ALL)
}

/// `fixture_files` keeping only `columns` of the optional columns.
pub(super) fn fixture_files_with(
    groups_per_record: usize,
    columns: Columns,
) -> (Vec<StoreBuilder>, Vec<Row>) {
    let mut rng = Lcg(7);
    let mut files = Vec::new();
    let mut rows = Vec::new();
    for (fi, &path) in FILES.iter().enumerate() {
        let vnet = fi == 2;
        let mut b = StoreBuilder::with_columns(columns);
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
        files.push(b);
    }
    (files, rows)
}

pub(super) fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub(super) fn in_net(a: IpAddr, net: &str, prefix: u32) -> bool {
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

pub(super) fn at(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp_millis()
}

pub(super) type Expect = fn(&Row) -> bool;

//! Small stores for view tests, built from plain tuples with `StoreBuilder`.

use crate::model::{Counters, Decision, Direction, FlowState, LogKind, Tuple};
use crate::store::{FileInfo, RecordMeta, Store, StoreBuilder};

/// A run of tuples under one rule, MAC and scope (NSG or flow log) in its own record.
pub struct GroupSpec {
    pub rule: String,
    pub mac: String,
    pub nsg: Option<String>,
    pub flowlog: Option<String>,
    pub tuples: Vec<Tuple>,
}

/// An allowed inbound TCP tuple without state or counters.
pub fn tuple(time_ms: i64, src: &str, sport: u16, dst: &str, dport: u16) -> Tuple {
    Tuple {
        time_ms,
        src: src.parse().expect("test address"),
        dst: dst.parse().expect("test address"),
        sport,
        dport,
        proto: 6,
        dir: Direction::In,
        decision: Decision::Allow,
        state: None,
        encryption: None,
        counters: Counters::default(),
    }
}

/// Groups named by rule, all on MAC `M1` under NSG `NSG-A`.
pub fn build(groups: &[(String, Vec<Tuple>)]) -> Store {
    let specs: Vec<GroupSpec> = groups
        .iter()
        .map(|(rule, tuples)| GroupSpec {
            rule: rule.clone(),
            mac: "M1".into(),
            nsg: Some("NSG-A".into()),
            flowlog: None,
            tuples: tuples.clone(),
        })
        .collect();
    build_specs(&specs)
}

pub fn build_specs(specs: &[GroupSpec]) -> Store {
    let mut b = StoreBuilder::new();
    let file = b.add_file(FileInfo {
        path: "test.json".into(),
        ..FileInfo::default()
    });
    for (i, spec) in specs.iter().enumerate() {
        b.begin_record(
            file,
            &RecordMeta {
                ordinal: i as u32,
                offset: 0,
                kind: if spec.nsg.is_some() {
                    LogKind::Nsg
                } else {
                    LogKind::Vnet
                },
                version: 2,
                time_ms: 0,
                nsg: spec.nsg.as_deref(),
                flowlog: spec.flowlog.as_deref(),
                target: None,
            },
        );
        b.begin_group(Some(&spec.rule), Some(&spec.mac), None);
        for t in &spec.tuples {
            b.push(t);
        }
    }
    b.finish()
}

/// `groups` groups of tuples out of time order across several rules and NSGs, with ties
/// in every key and ports 80 to 82.
pub fn jumbled(groups: usize) -> Store {
    with_times(groups, |g, i| (i as i64 * 37 + g as i64 * 11) % 50 * 1000)
}

/// `jumbled`'s tuples with times the way flow log files hold them: each three groups
/// (one for each NSG) cover the next 20 seconds, their tuples out of order within them.
pub fn streams(groups: usize) -> Store {
    with_times(groups, |g, i| {
        (g / 3) as i64 * 20_000 + (i as i64 * 37 + g as i64 * 11) % 40 * 500
    })
}

const STATES: [Option<FlowState>; 5] = [
    Some(FlowState::End),
    Some(FlowState::Continue),
    None,
    Some(FlowState::Deny),
    Some(FlowState::Begin),
];

fn with_times(groups: usize, time: fn(usize, u16) -> i64) -> Store {
    let specs: Vec<GroupSpec> = (0..groups)
        .map(|g| GroupSpec {
            rule: format!("rule-{}", (g * 7) % 4),
            mac: "M1".into(),
            nsg: Some(format!("NSG-{}", g % 3)),
            flowlog: None,
            tuples: (0..40u16)
                .map(|i| {
                    let t = time(g, i);
                    let src = format!("10.0.{}.{}", i % 3, (i as usize * 5 + g) % 7);
                    let mut tu = tuple(t, &src, 1000 + i % 4, "10.9.0.1", 80 + i % 3);
                    // Every state at tied times, out of their order (B < C < E < D).
                    tu.state = STATES[(i as usize * 3 + g) % STATES.len()];
                    tu.counters = crate::model::Counters {
                        packets_out: (i % 5) as u64,
                        bytes_out: (i as u64 * 13) % 17,
                        ..Default::default()
                    };
                    tu
                })
                .collect(),
        })
        .collect();
    build_specs(&specs)
}

//! Flow log files for command tests, written from plain tuples by a small JSON writer that
//! shares no code with the loader, plus the expected answers computed from those tuples.

#![allow(dead_code)]

pub mod samples;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Nsg,
    Vnet,
}

/// One tuple as the test thinks of it.
#[derive(Debug, Clone)]
pub struct Flow {
    pub kind: Kind,
    pub time_ms: i64,
    pub src: String,
    pub sport: u16,
    pub dst: String,
    pub dport: u16,
    /// IANA number (6 or 17 here).
    pub proto: u8,
    pub inbound: bool,
    pub deny: bool,
    /// `B`, `C`, `E` or `D` (VNet denied).
    pub state: char,
    /// packets out, bytes out, packets in, bytes in.
    pub counters: [u64; 4],
    pub rule: String,
    pub mac: String,
    /// NSG name or flow log name.
    pub scope: String,
}

impl Flow {
    /// Counters that count toward totals: those of `C` and `E` tuples.
    pub fn counted(&self) -> [u64; 4] {
        if matches!(self.state, 'C' | 'E') {
            self.counters
        } else {
            [0; 4]
        }
    }
    pub fn bytes(&self) -> u64 {
        let c = self.counted();
        c[1] + c[3]
    }
    pub fn packets(&self) -> u64 {
        let c = self.counted();
        c[0] + c[2]
    }
    pub fn proto_name(&self) -> String {
        match self.proto {
            6 => "tcp".into(),
            17 => "udp".into(),
            n => n.to_string(),
        }
    }

    /// The tuple string of its format.
    pub fn tuple_text(&self) -> String {
        let [po, bo, pi, bi] = self.counters;
        let dir = if self.inbound { 'I' } else { 'O' };
        match self.kind {
            Kind::Nsg => {
                let proto = if self.proto == 17 { 'U' } else { 'T' };
                let decision = if self.deny { 'D' } else { 'A' };
                let counters = if self.state == 'B' {
                    ",,,".to_string()
                } else {
                    format!("{po},{bo},{pi},{bi}")
                };
                format!(
                    "{},{},{},{},{},{proto},{dir},{decision},{},{counters}",
                    self.time_ms / 1000,
                    self.src,
                    self.dst,
                    self.sport,
                    self.dport,
                    self.state
                )
            }
            Kind::Vnet => format!(
                "{},{},{},{},{},{},{dir},{},NX,{po},{bo},{pi},{bi}",
                self.time_ms, self.src, self.dst, self.sport, self.dport, self.proto, self.state
            ),
        }
    }
}

/// A varied, deterministic set: allowed TCP conversations (B C C E) under NSG v2, a burst
/// of denied RDP attempts, VNet UDP conversations with denies, and two hostile rule names.
pub fn scenario() -> Vec<Flow> {
    let base = 1_731_916_800_000i64; // 2024-11-18T08:00:00Z
    let mut flows = Vec::new();
    let nsg = |time_ms, src: String, sport, dst: &str, dport, rule: &str| Flow {
        kind: Kind::Nsg,
        time_ms,
        src,
        sport,
        dst: dst.into(),
        dport,
        proto: 6,
        inbound: true,
        deny: false,
        state: 'B',
        counters: [0; 4],
        rule: rule.into(),
        mac: "00224871C205".into(),
        scope: "web-nsg".into(),
    };
    for i in 0..40u64 {
        let dport = [3389, 22, 443][i as usize % 3];
        let start = base + i as i64 * 60_000;
        for (step, state) in ['B', 'C', 'C', 'E'].into_iter().enumerate() {
            let mut f = nsg(
                start + step as i64 * 300_000,
                format!("203.0.113.{}", i % 7),
                50_000 + i as u16,
                "10.0.0.4",
                dport,
                "UserRule_AllowAdmin",
            );
            f.state = state;
            if state != 'B' {
                f.counters = [3 + i, 1_000 * (i + 1), 2 + step as u64, 700 + i];
            }
            flows.push(f);
        }
    }
    for k in 0..1_200u64 {
        let mut f = nsg(
            base + (k as i64 % 3_000) * 1_000,
            format!("198.51.100.{}", k % 50),
            40_000 + k as u16,
            "10.0.0.5",
            3389,
            "DefaultRule_DenyAllInBound",
        );
        f.deny = true;
        flows.push(f);
    }
    for j in 0..15u64 {
        let start = base + 123 + j as i64 * 7_001;
        for (step, state) in ['B', 'E', 'D'].into_iter().enumerate() {
            flows.push(Flow {
                kind: Kind::Vnet,
                time_ms: start + step as i64 * 1_000,
                src: "10.1.0.7".into(),
                sport: 53_000 + j as u16,
                dst: format!("10.1.1.{}", j % 4),
                dport: 53,
                proto: 17,
                inbound: false,
                deny: state == 'D',
                state,
                counters: if state == 'E' {
                    [1, 80 + j, 1, 120]
                } else {
                    [0; 4]
                },
                rule: if state == 'D' {
                    "BlockDns"
                } else {
                    "PlatformRule"
                }
                .into(),
                mac: "6045BDA1B2C3".into(),
                scope: "fl-east".into(),
            });
        }
    }
    for (n, rule) in [(3, "Evil\u{1b}[2J\u{7}Rule"), (2, "Odd,\"Rule\"")] {
        for m in 0..n {
            flows.push(nsg(
                base + 5_000_000 + m * 1_000,
                "192.0.2.77".into(),
                60_000 + m as u16,
                "10.0.0.9",
                8080,
                rule,
            ));
        }
    }
    flows
}

fn nsg_record(
    scope: &str,
    mac: &str,
    time_ms: i64,
    rules: &BTreeMap<String, Vec<String>>,
) -> Value {
    let groups: Vec<Value> = rules
        .iter()
        .map(|(rule, tuples)| json!({"rule": rule, "flows": [{"mac": mac, "flowTuples": tuples}]}))
        .collect();
    json!({
        "time": chrono::DateTime::from_timestamp_millis(time_ms).unwrap().to_rfc3339(),
        "systemId": "5f1e9a3c-0000-4000-8000-000000000001",
        "macAddress": mac,
        "category": "NetworkSecurityGroupFlowEvent",
        "resourceId": format!("/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/{}", scope.to_uppercase()),
        "operationName": "NetworkSecurityGroupFlowEvents",
        "properties": {"Version": 2, "flows": groups}
    })
}

fn vnet_record(
    scope: &str,
    mac: &str,
    time_ms: i64,
    rules: &BTreeMap<String, Vec<String>>,
) -> Value {
    let groups: Vec<Value> = rules
        .iter()
        .map(|(rule, tuples)| json!({"rule": rule, "flowTuples": tuples}))
        .collect();
    json!({
        "time": chrono::DateTime::from_timestamp_millis(time_ms).unwrap().to_rfc3339(),
        "flowLogVersion": 4,
        "flowLogGUID": "66aa66aa-bb77-4000-8000-000000000002",
        "macAddress": mac,
        "category": "FlowLogFlowEvent",
        "flowLogResourceID": format!("/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_EASTUS/FLOWLOGS/{}", scope.to_uppercase()),
        "targetResourceID": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/vnet1",
        "operationName": "FlowLogFlowEvent",
        "flowRecords": {"flows": [{"aclID": "00000000-0000-0000-0000-000000000000", "flowGroups": groups}]}
    })
}

/// The records of `flows`: one per (kind, scope, MAC) and chunk of 100 tuples, each
/// grouping its tuples by rule. `extra` adds raw tuple strings to the first record.
pub fn records(flows: &[Flow], extra: &[&str]) -> Vec<Value> {
    let mut by_source: BTreeMap<(bool, String, String), Vec<&Flow>> = BTreeMap::new();
    for f in flows {
        by_source
            .entry((f.kind == Kind::Vnet, f.scope.clone(), f.mac.clone()))
            .or_default()
            .push(f);
    }
    let mut out = Vec::new();
    for ((vnet, scope, mac), list) in by_source {
        for chunk in list.chunks(100) {
            let mut rules: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for f in chunk {
                rules
                    .entry(f.rule.clone())
                    .or_default()
                    .push(f.tuple_text());
            }
            if out.is_empty() {
                if let Some(first) = rules.values_mut().next() {
                    first.extend(extra.iter().map(|s| s.to_string()));
                }
            }
            let time = chunk[0].time_ms;
            out.push(if vnet {
                vnet_record(&scope, &mac, time, &rules)
            } else {
                nsg_record(&scope, &mac, time, &rules)
            });
        }
    }
    out
}

/// Writes `{"records":[…]}` to `path`.
pub fn write_log(path: &Path, records: Vec<Value>) {
    let text = serde_json::to_string(&json!({ "records": records })).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Totals the way `stats` reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Agg {
    pub tuples: u64,
    pub bytes: u64,
    pub packets: u64,
    pub allowed: u64,
    pub denied: u64,
    pub first: i64,
    pub last: i64,
}

impl Agg {
    pub fn add(&mut self, f: &Flow) {
        if self.tuples == 0 {
            self.first = f.time_ms;
            self.last = f.time_ms;
        }
        self.first = self.first.min(f.time_ms);
        self.last = self.last.max(f.time_ms);
        self.tuples += 1;
        self.bytes += f.bytes();
        self.packets += f.packets();
        if f.deny {
            self.denied += 1;
        } else {
            self.allowed += 1;
        }
    }
}

/// Aggregates by key; a flow may give several keys (each counted once).
pub fn aggregate<K: Ord + Clone>(
    flows: &[Flow],
    keys: impl Fn(&Flow) -> Vec<K>,
) -> BTreeMap<K, Agg> {
    let mut map: BTreeMap<K, Agg> = BTreeMap::new();
    for f in flows {
        let mut ks = keys(f);
        ks.sort();
        ks.dedup();
        for k in ks {
            map.entry(k).or_default().add(f);
        }
    }
    map
}

//! The demo scenario, scripted: an RDP brute force that gets in, moves sideways and ships
//! data out, amid ordinary traffic. Two interfaces, two log families:
//!
//! ```text
//! web01 10.0.1.4  NIC in web-nsg      → NSG flow logs v2   (exposed: RDP open to the internet)
//! db01  10.0.2.5  NIC in app-subnet   → VNet flow logs v4  (the lateral-movement target)
//! ```
//! `assets/demo/STORY.md` tells the timeline; `write_demo` writes it in the blob layout.

pub mod attack;
mod background;

use super::layout::{Interface, LogFormat};
use super::record::BlobWriter;
use super::rng::Rng;
pub use super::tuple::Flow;
use super::tuple::{FlowTuple, Rule};
use super::GenSummary;
use crate::model::{Counters, Decision, Direction, FlowState};
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// 2024-11-18T00:00:00Z in ms: the day of the story.
pub const DAY_MS: i64 = 1_731_888_000_000;
/// The logs cover 07:00–10:00 UTC.
pub const FIRST_HOUR: i64 = 7;
pub const HOURS: i64 = 3;

pub const WEB01: Ipv4Addr = Ipv4Addr::new(10, 0, 1, 4);
pub const DB01: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 5);
pub const DNS_SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 4);
pub const ATTACKER: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 77);
pub const DROP_SITE: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 23);

/// Milliseconds at `h:m:s` UTC on the day of the story.
pub fn at(h: i64, m: i64, s: i64) -> i64 {
    DAY_MS + ((h * 60 + m) * 60 + s) * 1000
}

const SUBSCRIPTION: &str = "6b1e4d7a-3c55-4f0e-9a2b-1f8e0c7d5a90";

/// The exposed web server, logged by its NSG (flow logs v2).
pub fn web01() -> Interface {
    Interface {
        format: LogFormat::NsgV2,
        mac: "000D3A4F1C21".into(),
        ipv4: WEB01,
        ipv6: Ipv6Addr::new(0xfd00, 0xdb8, 0, 1, 0, 0, 0, 4),
        subscription: SUBSCRIPTION.into(),
        resource_group: "contoso-prod-rg".into(),
        nsg: "web-nsg".into(),
        region: "westeurope".into(),
        flowlog: "contoso-vnet-flowlog".into(),
        vnet: "contoso-vnet".into(),
        subnet: None,
        system_id: "2f6c1b8e-7d4a-4c3b-9e21-5a0d8f3c6b17".into(),
        flowlog_guid: String::new(),
    }
}

/// The database and file server, logged by the VNet flow log on its subnet (v4).
pub fn db01() -> Interface {
    Interface {
        format: LogFormat::Vnet,
        mac: "000D3A4F2E35".into(),
        ipv4: DB01,
        ipv6: Ipv6Addr::new(0xfd00, 0xdb8, 0, 2, 0, 0, 0, 5),
        nsg: "app-nsg".into(),
        subnet: Some("app-subnet".into()),
        system_id: String::new(),
        flowlog_guid: "c1d5e9a2-47b3-4f68-8a0e-93b27d6f4c58".into(),
        ..web01()
    }
}

/// How the scenario plays a flow out.
impl Flow {
    /// One denied attempt (no counters).
    pub fn denied(&self, time_ms: i64) -> FlowTuple {
        self.tuple(
            time_ms,
            Decision::Deny,
            FlowState::Begin,
            Counters::default(),
        )
    }

    /// An allowed session from `begin` to `end`: B, C every five minutes, E. `step` gives
    /// the counters of each C and E from the milliseconds it covers.
    pub fn session(
        &self,
        begin: i64,
        end: i64,
        mut step: impl FnMut(i64) -> Counters,
    ) -> Vec<FlowTuple> {
        let mut out = vec![self.tuple(
            begin,
            Decision::Allow,
            FlowState::Begin,
            Counters::default(),
        )];
        let mut last = begin;
        while last + 300_000 < end {
            last += 300_000;
            out.push(self.tuple(last, Decision::Allow, FlowState::Continue, step(300_000)));
        }
        out.push(self.tuple(end, Decision::Allow, FlowState::End, step(end - last)));
        out
    }
}

/// The same tuples as the other end's interface logs them.
pub fn mirror(tuples: &[FlowTuple], dir: Direction, rule: Rule) -> Vec<FlowTuple> {
    tuples
        .iter()
        .map(|t| FlowTuple { dir, rule, ..*t })
        .collect()
}

/// Counters for `ms` of traffic at the given rates per second, jittered ±25 %.
pub fn rate(
    rng: &mut Rng,
    ms: i64,
    bytes_out_per_s: u64,
    bytes_in_per_s: u64,
    packet: u64,
) -> Counters {
    let mut side = |per_s: u64| {
        let bytes = per_s * ms.max(1) as u64 / 1000 * rng.range(75, 125) / 100;
        (bytes.div_ceil(packet).max(1), bytes.max(60))
    };
    let (packets_out, bytes_out) = side(bytes_out_per_s);
    let (packets_in, bytes_in) = side(bytes_in_per_s);
    Counters {
        packets_out,
        bytes_out,
        packets_in,
        bytes_in,
    }
}

/// Everything each interface logged, in no particular order.
#[derive(Debug, Default)]
pub struct Script {
    pub web: Vec<FlowTuple>,
    pub db: Vec<FlowTuple>,
}

/// The whole story as logged between 07:00 and 10:00, deterministic.
pub fn script() -> Script {
    let mut rng = Rng::new(20_241_118);
    let mut s = Script::default();
    background::web01(&mut s, &mut rng);
    background::db01(&mut s, &mut rng);
    attack::recon_and_brute_force(&mut s, &mut rng);
    attack::rdp_session(&mut s, &mut rng);
    attack::lateral_movement(&mut s, &mut rng);
    attack::exfiltration(&mut s, &mut rng);
    let window = at(FIRST_HOUR, 0, 0)..at(FIRST_HOUR + HOURS, 0, 0);
    s.web.retain(|t| window.contains(&t.time_ms));
    s.db.retain(|t| window.contains(&t.time_ms));
    s
}

/// Writes the demo scenario under `out_dir` in the blob folder layout.
pub fn write_demo(out_dir: &Path) -> io::Result<GenSummary> {
    let script = script();
    let mut summary = GenSummary::default();
    write_interface(&web01(), script.web, out_dir, &mut summary)?;
    write_interface(&db01(), script.db, out_dir, &mut summary)?;
    Ok(summary)
}

/// One record per minute that saw traffic, stamped a few seconds after the minute ends.
fn write_interface(
    iface: &Interface,
    mut tuples: Vec<FlowTuple>,
    out_dir: &Path,
    summary: &mut GenSummary,
) -> io::Result<()> {
    tuples.sort_by_key(|t| (t.time_ms.div_euclid(60_000), t.record_order()));
    let mut writer = BlobWriter::new(out_dir, summary);
    for minute in
        tuples.chunk_by(|a, b| a.time_ms.div_euclid(60_000) == b.time_ms.div_euclid(60_000))
    {
        let start = minute[0].time_ms.div_euclid(60_000) * 60_000;
        // The last minute of an hour stays in its hour's blob.
        let stamp_ms = start + 58_000 - (start / 60_000 % 7) * 1_000;
        writer.record(iface, stamp_ms * 10_000 + (start / 1000 % 9_973), minute)?;
    }
    writer.close()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    fn conversation(
        tuples: &[FlowTuple],
        src: Ipv4Addr,
        sport: u16,
        dst: Ipv4Addr,
        dport: u16,
    ) -> Vec<FlowTuple> {
        let mut c: Vec<FlowTuple> = tuples
            .iter()
            .filter(|t| {
                t.src == IpAddr::V4(src)
                    && t.sport == sport
                    && t.dst == IpAddr::V4(dst)
                    && t.dport == dport
            })
            .copied()
            .collect();
        c.sort_by_key(|t| (t.time_ms, t.state));
        c
    }

    fn total(c: &[FlowTuple]) -> Counters {
        let mut sum = Counters::default();
        c.iter().for_each(|t| sum.add(&t.counters));
        sum
    }

    #[test]
    fn the_successful_login_runs_begin_continue_end_for_an_hour() {
        let s = script();
        let login = conversation(&s.web, ATTACKER, attack::LOGIN_PORT, WEB01, 3389);
        let states: String = login.iter().map(|t| t.state.letter()).collect();
        assert!(
            states.starts_with("BC") && states.ends_with("CE"),
            "{states}"
        );
        assert!(login
            .iter()
            .all(|t| t.rule == Rule::AllowRdp && t.decision == Decision::Allow));
        let hours = (login[login.len() - 1].time_ms - login[0].time_ms) / 3_600_000;
        assert_eq!(hours, 1);
    }

    #[test]
    fn brute_force_mixes_allowed_rdp_and_denied_attempts() {
        let s = script();
        let from_attacker = |d: Decision| {
            s.web
                .iter()
                .filter(|t| t.src == IpAddr::V4(ATTACKER) && t.decision == d)
                .count()
        };
        assert!(from_attacker(Decision::Allow) > 400);
        assert!(from_attacker(Decision::Deny) > 40);
        assert!(
            s.web
                .iter()
                .any(|t| t.rule == Rule::DenyAllIn && t.src != IpAddr::V4(ATTACKER)),
            "background scanners"
        );
    }

    #[test]
    fn lateral_copy_and_upload_are_hundreds_of_megabytes_and_seen_where_expected() {
        let s = script();
        let upload = total(&conversation(&s.web, WEB01, 50_644, DROP_SITE, 443));
        assert!(upload.bytes_out > 300_000_000, "{upload:?}");
        let copy_web = conversation(&s.web, WEB01, 50_377, DB01, 445);
        let copy_db = conversation(&s.db, WEB01, 50_377, DB01, 445);
        assert_eq!(total(&copy_web), total(&copy_db));
        assert!(total(&copy_db).bytes_in > 200_000_000);
        assert!(
            copy_db.iter().all(|t| t.dir == Direction::In)
                && copy_web.iter().all(|t| t.dir == Direction::Out)
        );
        let hop =
            s.db.iter()
                .filter(|t| t.dport == 3389 && t.decision == Decision::Deny)
                .count();
        assert_eq!(hop, 2, "the RDP hop is denied at db01");
    }
}

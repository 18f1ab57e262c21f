//! The incident of the demo, step by step (times UTC, see `assets/demo/STORY.md`).

use super::{at, mirror, rate, Flow, Script, ATTACKER, DB01, DROP_SITE, WEB01};
use crate::gen::rng::Rng;
use crate::gen::tuple::Rule;
use crate::model::{proto, Counters, Decision, Direction, FlowState};

/// Ports of the 08:05 sweep; 443 and 3389 answer (allowed), the rest are denied.
const SWEEP: [u16; 24] = [
    21, 22, 23, 25, 53, 80, 110, 135, 139, 143, 443, 445, 993, 1433, 3306, 3389, 5432, 5900, 5985,
    5986, 8080, 8443, 9200, 27017,
];
/// Failed RDP logins before the one that works.
pub const BRUTE_FORCE_ATTEMPTS: u16 = 236;
/// Windows picks client ports upwards from here for the attacker's tool.
pub const FIRST_ATTEMPT_PORT: u16 = 49_731;
/// The source port of the successful login.
pub const LOGIN_PORT: u16 = FIRST_ATTEMPT_PORT + BRUTE_FORCE_ATTEMPTS + 1;

fn inbound(sport: u16, dport: u16, rule: Rule) -> Flow {
    Flow {
        src: ATTACKER.into(),
        dst: WEB01.into(),
        sport,
        dport,
        proto: proto::TCP,
        dir: Direction::In,
        rule,
    }
}

/// 08:05 port sweep from the attacker, then 08:12–08:41 password guessing on RDP: short
/// allowed sessions (UserRule_AllowRDP is open to any source) and denied SSH/WinRM tries.
pub fn recon_and_brute_force(s: &mut Script, rng: &mut Rng) {
    let mut t = at(8, 5, 10);
    for port in SWEEP {
        let probe = inbound(61_000, port, Rule::DenyAllIn);
        match port {
            443 => s.web.extend(
                Flow {
                    rule: Rule::AllowHttps,
                    ..probe
                }
                .session(t, t + 80, |_| syn_ack_rst()),
            ),
            3389 => s.web.extend(
                Flow {
                    rule: Rule::AllowRdp,
                    ..probe
                }
                .session(t, t + 90, |_| syn_ack_rst()),
            ),
            _ => s.web.push(probe.denied(t)),
        }
        t += rng.range(1_500, 4_500) as i64;
    }
    for i in 0..BRUTE_FORCE_ATTEMPTS {
        let begin = at(8, 12, 0) + i as i64 * 7_500 + rng.below(2_000) as i64;
        let attempt = inbound(FIRST_ATTEMPT_PORT + i, 3389, Rule::AllowRdp);
        let end = begin + rng.range(1_800, 4_800) as i64;
        s.web
            .extend(attempt.session(begin, end, |_| failed_login(rng)));
        if i % 8 == 3 {
            let port = if i % 16 == 3 { 22 } else { 5985 };
            let other = inbound(FIRST_ATTEMPT_PORT + i, port, Rule::DenyAllIn);
            s.web.push(other.denied(begin + 1_200));
        }
    }
}

/// SYN, SYN-ACK, RST: what a port probe leaves on an open port.
fn syn_ack_rst() -> Counters {
    Counters {
        packets_out: 2,
        bytes_out: 118,
        packets_in: 1,
        bytes_in: 62,
    }
}

/// A failed RDP login: TLS handshake and credentials, then the server hangs up.
fn failed_login(rng: &mut Rng) -> Counters {
    let packets_out = rng.range(14, 22);
    let packets_in = rng.range(11, 17);
    Counters {
        packets_out,
        bytes_out: packets_out * rng.range(200, 260),
        packets_in,
        bytes_in: packets_in * rng.range(300, 380),
    }
}

/// 08:41:47 the password works: an RDP session of an hour, screen out and tools in.
pub fn rdp_session(s: &mut Script, rng: &mut Rng) {
    let login = inbound(LOGIN_PORT, 3389, Rule::AllowRdp);
    let mut step = 0;
    s.web
        .extend(login.session(at(8, 41, 47), at(9, 46, 5), |ms| {
            step += 1;
            // Around 08:52 the attacker uploads a toolkit (bytes towards the VM jump).
            let upload = if step == 2 { 9_000_000 / 300 } else { 0 };
            rate(rng, ms, 1_500 + upload, 22_000, 1_100)
        }));
}

/// 08:57–09:24 from web01 to db01: a denied RDP hop, SMB enumeration, WinRM commands and a
/// long SMB copy pulling ~300 MB back to web01. Logged by both interfaces.
pub fn lateral_movement(s: &mut Script, rng: &mut Rng) {
    let hop = |sport: u16, dport: u16| Flow {
        src: WEB01.into(),
        dst: DB01.into(),
        sport,
        dport,
        proto: proto::TCP,
        dir: Direction::Out,
        rule: Rule::AllowVnetOut,
    };
    // web-nsg lets the RDP hop out; app-nsg stops it at db01.
    for (i, t) in [at(8, 57, 31), at(8, 57, 52)].into_iter().enumerate() {
        let rdp = hop(50_310 + i as u16, 3389);
        let unanswered = Counters {
            packets_out: 3,
            bytes_out: 186,
            packets_in: 0,
            bytes_in: 0,
        };
        s.web
            .push(rdp.tuple(t, Decision::Allow, FlowState::Begin, Counters::default()));
        s.web
            .push(rdp.tuple(t + 21_000, Decision::Allow, FlowState::End, unanswered));
        s.db.push(
            Flow {
                dir: Direction::In,
                rule: Rule::DenyRdpFromWeb,
                ..rdp
            }
            .denied(t),
        );
    }
    let mut both = |tuples: Vec<_>| {
        s.db.extend(mirror(&tuples, Direction::In, Rule::AllowVnetIn));
        s.web.extend(tuples);
    };
    for i in 0..6u16 {
        let t = at(8, 58, 10) + i as i64 * 52_000;
        both(
            hop(50_320 + i, 445).session(t, t + rng.range(2_000, 20_000) as i64, |ms| {
                rate(rng, ms, 6_000, 9_000, 800)
            }),
        );
    }
    let winrm = [
        (at(9, 3, 20), at(9, 4, 41)),
        (at(9, 6, 2), at(9, 15, 40)),
        (at(9, 16, 15), at(9, 18, 3)),
    ];
    for (i, (begin, end)) in winrm.into_iter().enumerate() {
        both(hop(50_350 + i as u16, 5985).session(begin, end, |ms| rate(rng, ms, 900, 2_400, 700)));
    }
    // The copy: bytes flow from db01 (destination) back to web01 (source).
    both(
        hop(50_377, 445).session(at(9, 10, 30), at(9, 23, 50), |ms| {
            rate(rng, ms, 9_000, 380_000, 1_400)
        }),
    );
}

/// 09:25–09:44 web01 uploads ~370 MB over HTTPS to 198.51.100.23.
pub fn exfiltration(s: &mut Script, rng: &mut Rng) {
    let upload = Flow {
        src: WEB01.into(),
        dst: DROP_SITE.into(),
        sport: 50_644,
        dport: 443,
        proto: proto::TCP,
        dir: Direction::Out,
        rule: Rule::AllowInternetOut,
    };
    s.web
        .extend(upload.session(at(9, 25, 31), at(9, 44, 50), |ms| {
            rate(rng, ms, 320_000, 7_000, 1_400)
        }));
}

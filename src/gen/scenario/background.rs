//! Ordinary traffic of the demo: internet scanners denied, load-balancer probes, DNS,
//! web clients, updates, and the web tier's SQL connections to db01.

use super::{at, mirror, rate, Flow, Script, DB01, DNS_SERVER, FIRST_HOUR, HOURS, WEB01};
use crate::gen::rng::Rng;
use crate::gen::traffic::AZURE_PLATFORM;
use crate::gen::tuple::Rule;
use crate::model::{proto, Direction};
use std::net::{IpAddr, Ipv6Addr};

/// Ports the scanners try (3389 and 443 are left to the story: they are open).
const SCANNED: [u16; 14] = [
    22, 23, 25, 80, 445, 1433, 3306, 5432, 5900, 5985, 6379, 8080, 8443, 27017,
];
/// Stand-ins for update and telemetry endpoints.
const UPDATES: [[u8; 4]; 3] = [[198, 51, 100, 10], [198, 51, 100, 11], [198, 51, 100, 12]];

fn minutes() -> impl Iterator<Item = i64> {
    (0..HOURS * 60).map(|m| at(FIRST_HOUR, m, 0))
}

/// Background seen by web01's NSG flow log.
pub fn web01(s: &mut Script, rng: &mut Rng) {
    for minute in minutes() {
        scanners(s, rng, minute);
        if (minute / 60_000) % 2 == 0 {
            let probe = flow(
                AZURE_PLATFORM.into(),
                WEB01.into(),
                rng.ephemeral_port(),
                443,
                Direction::In,
                Rule::AllowLoadBalancerIn,
            );
            let t = minute + 15_000;
            s.web
                .extend(probe.session(t, t + 1_000, |ms| rate(rng, ms, 180, 120, 60)));
        }
        let dns = Flow {
            proto: proto::UDP,
            ..flow(
                WEB01.into(),
                DNS_SERVER.into(),
                rng.ephemeral_port(),
                53,
                Direction::Out,
                Rule::AllowVnetOut,
            )
        };
        let t = minute + rng.below(59_000) as i64;
        s.web
            .extend(dns.session(t, t + 40, |ms| rate(rng, ms, 2_000, 5_000, 120)));
        web_clients(s, rng, minute);
        sql_query(s, rng, minute);
        if (minute / 60_000) % 10 == 3 {
            let host = *rng.pick(&UPDATES);
            let update = flow(
                WEB01.into(),
                host.into(),
                rng.ephemeral_port(),
                443,
                Direction::Out,
                Rule::AllowInternetOut,
            );
            let t = minute + rng.below(30_000) as i64;
            let end = t + rng.range(10_000, 90_000) as i64;
            s.web
                .extend(update.session(t, end, |ms| rate(rng, ms, 2_000, 40_000, 1_400)));
        }
    }
    // The application's pooled SQL connection stays open all morning.
    let pool = flow(
        WEB01.into(),
        DB01.into(),
        49_700,
        1433,
        Direction::Out,
        Rule::AllowVnetOut,
    );
    let tuples = pool.session(at(6, 58, 4), at(FIRST_HOUR + HOURS, 5, 0), |ms| {
        rate(rng, ms, 300, 2_500, 900)
    });
    s.db.extend(mirror(&tuples, Direction::In, Rule::AllowVnetIn));
    s.web.extend(tuples);
}

/// Background seen by db01's VNet flow log (its SQL traffic is mirrored from web01).
pub fn db01(s: &mut Script, rng: &mut Rng) {
    for minute in minutes() {
        if (minute / 60_000) % 2 == 1 {
            let dns = Flow {
                proto: proto::UDP,
                ..flow(
                    DB01.into(),
                    AZURE_PLATFORM.into(),
                    rng.ephemeral_port(),
                    53,
                    Direction::Out,
                    Rule::Platform,
                )
            };
            let t = minute + rng.below(59_000) as i64;
            s.db.extend(dns.session(t, t + 30, |ms| rate(rng, ms, 2_000, 5_000, 120)));
        }
        if (minute / 60_000) % 20 == 11 {
            let update = flow(
                DB01.into(),
                UPDATES[1].into(),
                rng.ephemeral_port(),
                443,
                Direction::Out,
                Rule::AllowInternetOut,
            );
            let t = minute + rng.below(30_000) as i64;
            s.db.extend(
                update.session(t, t + rng.range(5_000, 40_000) as i64, |ms| {
                    rate(rng, ms, 1_500, 30_000, 1_400)
                }),
            );
        }
    }
}

fn flow(src: IpAddr, dst: IpAddr, sport: u16, dport: u16, dir: Direction, rule: Rule) -> Flow {
    Flow {
        src,
        dst,
        sport,
        dport,
        proto: proto::TCP,
        dir,
        rule,
    }
}

/// One to three denied knocks a minute from scanners in 192.0.2.0/24 (some IPv6).
fn scanners(s: &mut Script, rng: &mut Rng, minute: i64) {
    for _ in 0..rng.range(1, 3) {
        let (src, dst): (IpAddr, IpAddr) = if rng.percent(8) {
            let host = rng.range(1, 0x40) as u16;
            (
                Ipv6Addr::new(0x2001, 0xdb8, 0x5ca7, 0, 0, 0, 0, host).into(),
                super::web01().ipv6.into(),
            )
        } else {
            ([192, 0, 2, rng.range(1, 254) as u8].into(), WEB01.into())
        };
        let udp = rng.percent(10);
        let dport = match (udp, rng.percent(70)) {
            (true, _) => *rng.pick(&[53u16, 123, 161, 1900]),
            (false, true) => *rng.pick(&SCANNED),
            (false, false) => rng.range(1_024, 65_000) as u16,
        };
        let mut scan = flow(
            src,
            dst,
            rng.ephemeral_port(),
            dport,
            Direction::In,
            Rule::DenyAllIn,
        );
        if udp {
            scan.proto = proto::UDP;
        }
        s.web.push(scan.denied(minute + rng.below(60_000) as i64));
    }
}

/// Visitors of the web site (198.51.100.100–199 and 2001:db8:c1::/64).
fn web_clients(s: &mut Script, rng: &mut Rng, minute: i64) {
    for _ in 0..rng.range(0, 3) {
        let (src, dst): (IpAddr, IpAddr) = if rng.percent(10) {
            (
                Ipv6Addr::new(0x2001, 0xdb8, 0xc1, 0, 0, 0, 0, rng.range(1, 0xff) as u16).into(),
                super::web01().ipv6.into(),
            )
        } else {
            (
                [198, 51, 100, rng.range(100, 199) as u8].into(),
                WEB01.into(),
            )
        };
        let visit = flow(
            src,
            dst,
            rng.ephemeral_port(),
            443,
            Direction::In,
            Rule::AllowHttps,
        );
        let t = minute + rng.below(55_000) as i64;
        let end = t + rng.range(300, 45_000) as i64;
        s.web
            .extend(visit.session(t, end, |ms| rate(rng, ms, 1_500, 30_000, 1_000)));
    }
}

/// A short query from the web tier to the database, logged at both ends.
fn sql_query(s: &mut Script, rng: &mut Rng, minute: i64) {
    let query = flow(
        WEB01.into(),
        DB01.into(),
        rng.ephemeral_port(),
        1433,
        Direction::Out,
        Rule::AllowVnetOut,
    );
    let t = minute + rng.below(55_000) as i64;
    let tuples = query.session(t, t + rng.range(150, 3_000) as i64, |ms| {
        rate(rng, ms, 8_000, 40_000, 900)
    });
    s.db.extend(mirror(&tuples, Direction::In, Rule::AllowVnetIn));
    s.web.extend(tuples);
}

//! The bulk traffic model: what a VM's interface sees minute after minute. Internet
//! scanners denied, outbound HTTPS and DNS, load-balancer probes, east-west traffic, now and
//! then an RDP session; allowed flows run B → C (every 5 minutes) → E with delta counters.

use super::layout::{Interface, LogFormat};
use super::rng::Rng;
use super::tuple::{Flow, FlowTuple, Rule};
use crate::model::{proto, Counters, Decision, Direction, FlowState};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Azure's probe and DNS address.
pub const AZURE_PLATFORM: Ipv4Addr = Ipv4Addr::new(168, 63, 129, 16);
/// How often Azure logs a continuing flow.
pub const CONTINUE_EVERY_MS: i64 = 300_000;

/// Ports internet scanners knock on most.
const SCANNED: [u16; 16] = [
    22, 23, 25, 80, 445, 1433, 3306, 3389, 5432, 5900, 5985, 6379, 8080, 8443, 9200, 27017,
];

/// Addresses shared by every interface of a tree: the services they talk to.
#[derive(Debug, Clone)]
pub struct World {
    services: Vec<IpAddr>,
}

impl World {
    pub fn new(rng: &mut Rng) -> World {
        let mut services: Vec<IpAddr> = (0..48).map(|_| IpAddr::V4(public_v4(rng))).collect();
        services.extend((0..6).map(|_| IpAddr::V6(public_v6(rng))));
        World { services }
    }
}

/// A random address outside private, loopback, link-local, CGNAT and multicast space.
pub fn public_v4(rng: &mut Rng) -> Ipv4Addr {
    loop {
        let a = Ipv4Addr::from(rng.next_u64() as u32);
        let [o1, o2, ..] = a.octets();
        let reserved = matches!(o1, 0 | 10 | 127)
            || o1 >= 224
            || (o1 == 172 && (16..32).contains(&o2))
            || (o1 == 192 && o2 == 168)
            || (o1 == 169 && o2 == 254)
            || (o1 == 100 && (64..128).contains(&o2));
        if !reserved {
            return a;
        }
    }
}

/// A random global unicast IPv6 address (2000::/3).
pub fn public_v6(rng: &mut Rng) -> Ipv6Addr {
    let bits = ((rng.next_u64() as u128) << 64) | rng.next_u64() as u128;
    Ipv6Addr::from((bits & !(0b111u128 << 125)) | (1u128 << 125))
}

/// A flow in progress: its key and how fast it moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Conv {
    pub flow: Flow,
    /// Continue steps still to come before the end.
    pub continues: u16,
    /// Packets per 5 minutes each way, and bytes per packet each way.
    pub pkts_out: u32,
    pub pkts_in: u32,
    pub size_out: u16,
    pub size_in: u16,
}

impl Conv {
    /// Counters for a step covering `elapsed_ms` of the flow, jittered by `rng`.
    pub fn counters(&self, elapsed_ms: i64, rng: &mut Rng) -> Counters {
        let share =
            (elapsed_ms.clamp(1_000, CONTINUE_EVERY_MS) as u64 * 100) / CONTINUE_EVERY_MS as u64;
        let scale =
            |pkts: u32, rng: &mut Rng| (pkts as u64 * share * rng.range(60, 140) / 10_000).max(1);
        let packets_out = scale(self.pkts_out, rng);
        let packets_in = scale(self.pkts_in, rng);
        Counters {
            packets_out,
            bytes_out: packets_out * self.size_out as u64,
            packets_in,
            bytes_in: packets_in * self.size_in as u64,
        }
    }
}

/// The next tuple a flow owes: ordered by time, then by creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    time_ms: i64,
    seq: u64,
    last_ms: i64,
    conv: Conv,
}

/// One interface's traffic generator.
pub struct Traffic<'a> {
    iface: &'a Interface,
    world: &'a World,
    rng: Rng,
    pending: BinaryHeap<Reverse<Pending>>,
    seq: u64,
}

impl<'a> Traffic<'a> {
    pub fn new(iface: &'a Interface, world: &'a World, rng: Rng) -> Traffic<'a> {
        Traffic {
            iface,
            world,
            rng,
            pending: BinaryHeap::new(),
            seq: 0,
        }
    }

    /// Exactly `budget` tuples for the minute starting at `minute_ms`: the follow-ups of
    /// flows in progress first, then new flows. Flows still open at the end stay open.
    pub fn minute(&mut self, minute_ms: i64, budget: usize, out: &mut Vec<FlowTuple>) {
        let end = minute_ms + 60_000;
        while out.len() < budget {
            match self.pending.peek() {
                Some(Reverse(p)) if p.time_ms < end => {
                    let Some(Reverse(p)) = self.pending.pop() else {
                        break;
                    };
                    out.push(self.follow_up(p));
                }
                _ => break,
            }
        }
        while out.len() < budget {
            let t = minute_ms + self.rng.below(60_000) as i64;
            out.push(self.new_flow(t));
        }
    }

    /// The step a pending flow owes now, scheduling the one after it.
    fn follow_up(&mut self, p: Pending) -> FlowTuple {
        let counters = p.conv.counters(p.time_ms - p.last_ms, &mut self.rng);
        if p.conv.continues == 0 {
            return p
                .conv
                .flow
                .tuple(p.time_ms, Decision::Allow, FlowState::End, counters);
        }
        let mut conv = p.conv;
        conv.continues -= 1;
        let next = if conv.continues == 0 {
            p.time_ms + self.rng.range(2_000, CONTINUE_EVERY_MS as u64 - 1_000) as i64
        } else {
            p.time_ms + CONTINUE_EVERY_MS
        };
        self.schedule(next, p.time_ms, conv);
        conv.flow
            .tuple(p.time_ms, Decision::Allow, FlowState::Continue, counters)
    }

    fn schedule(&mut self, time_ms: i64, last_ms: i64, conv: Conv) {
        self.seq += 1;
        self.pending.push(Reverse(Pending {
            time_ms,
            seq: self.seq,
            last_ms,
            conv,
        }));
    }

    /// Starts a new flow at `t`: its first tuple, with the rest scheduled.
    fn new_flow(&mut self, t: i64) -> FlowTuple {
        let roll = self.rng.below(100);
        let conv = match roll {
            0..=39 => return self.scan(t),
            40..=61 => self.outbound_https(),
            62..=71 => self.dns(),
            72..=81 => self.east_west(Direction::In),
            82..=88 => self.east_west(Direction::Out),
            89..=94 => self.probe(),
            95..=97 => self.web_client(),
            _ => self.rdp_client(),
        };
        // A third of the flows run over several 5-minute steps; the rest end within a minute.
        let end_after = if conv.continues > 0 {
            CONTINUE_EVERY_MS
        } else {
            self.rng.range(500, 55_000) as i64
        };
        self.schedule(t + end_after, t, conv);
        conv.flow
            .tuple(t, Decision::Allow, FlowState::Begin, Counters::default())
    }

    fn vm(&self, v6: bool) -> IpAddr {
        if v6 {
            IpAddr::V6(self.iface.ipv6)
        } else {
            IpAddr::V4(self.iface.ipv4)
        }
    }

    /// A denied knock from the internet (one tuple, no counters).
    fn scan(&mut self, t: i64) -> FlowTuple {
        let v6 = self.rng.percent(4);
        let src = if v6 {
            IpAddr::V6(public_v6(&mut self.rng))
        } else {
            IpAddr::V4(public_v4(&mut self.rng))
        };
        let udp = self.rng.percent(8);
        let dport = match (udp, self.rng.percent(65)) {
            (true, _) => *self.rng.pick(&[53u16, 123, 161, 1900, 5060]),
            (false, true) => *self.rng.pick(&SCANNED),
            (false, false) => self.rng.range(1, 65535) as u16,
        };
        let conv = self.conv(
            src,
            self.vm(v6),
            dport,
            if udp { proto::UDP } else { proto::TCP },
            Direction::In,
            Rule::DenyAllIn,
        );
        conv.flow
            .tuple(t, Decision::Deny, FlowState::Begin, Counters::default())
    }

    fn outbound_https(&mut self) -> Conv {
        let dst = *self.rng.pick(&self.world.services);
        let v6 = dst.is_ipv6();
        let mut c = self.conv(
            self.vm(v6),
            dst,
            443,
            proto::TCP,
            Direction::Out,
            Rule::AllowInternetOut,
        );
        c.continues = if self.rng.percent(15) {
            self.rng.range(1, 12) as u16
        } else {
            0
        };
        c.pkts_out = self.rng.range(10, 400) as u32;
        c.pkts_in = c.pkts_out * self.rng.range(1, 4) as u32;
        c.size_out = self.rng.range(80, 600) as u16;
        c.size_in = self.rng.range(600, 1400) as u16;
        c
    }

    fn dns(&mut self) -> Conv {
        let rule = if self.iface.format == LogFormat::Vnet {
            Rule::Platform
        } else {
            Rule::AllowVnetOut
        };
        let mut c = self.conv(
            self.vm(false),
            IpAddr::V4(AZURE_PLATFORM),
            53,
            proto::UDP,
            Direction::Out,
            rule,
        );
        c.pkts_out = 1;
        c.pkts_in = 1;
        c.size_out = self.rng.range(60, 90) as u16;
        c.size_in = self.rng.range(90, 300) as u16;
        c
    }

    fn east_west(&mut self, dir: Direction) -> Conv {
        let peer = IpAddr::V4(Ipv4Addr::new(
            10,
            0,
            self.rng.range(1, 3) as u8,
            self.rng.range(4, 40) as u8,
        ));
        let dport = *self.rng.pick(&[443u16, 1433, 445, 8080, 22]);
        let (src, dst, rule) = match dir {
            Direction::In => (peer, self.vm(false), Rule::AllowVnetIn),
            Direction::Out => (self.vm(false), peer, Rule::AllowVnetOut),
        };
        let mut c = self.conv(src, dst, dport, proto::TCP, dir, rule);
        c.continues = if self.rng.percent(30) {
            self.rng.range(1, 24) as u16
        } else {
            0
        };
        c.pkts_out = self.rng.range(20, 2_000) as u32;
        c.pkts_in = self.rng.range(20, 2_000) as u32;
        c.size_out = self.rng.range(100, 1_400) as u16;
        c.size_in = self.rng.range(100, 1_400) as u16;
        c
    }

    fn probe(&mut self) -> Conv {
        let dport = *self.rng.pick(&[80u16, 443]);
        let mut c = self.conv(
            IpAddr::V4(AZURE_PLATFORM),
            self.vm(false),
            dport,
            proto::TCP,
            Direction::In,
            Rule::AllowLoadBalancerIn,
        );
        c.pkts_out = 3;
        c.pkts_in = 2;
        c.size_out = 60;
        c.size_in = 60;
        c
    }

    fn web_client(&mut self) -> Conv {
        let src = IpAddr::V4(public_v4(&mut self.rng));
        let mut c = self.conv(
            src,
            self.vm(false),
            443,
            proto::TCP,
            Direction::In,
            Rule::AllowHttps,
        );
        c.pkts_out = self.rng.range(8, 200) as u32;
        c.pkts_in = c.pkts_out * 3;
        c.size_out = self.rng.range(80, 500) as u16;
        c.size_in = self.rng.range(800, 1_400) as u16;
        c
    }

    fn rdp_client(&mut self) -> Conv {
        let src = IpAddr::V4(public_v4(&mut self.rng));
        let mut c = self.conv(
            src,
            self.vm(false),
            3389,
            proto::TCP,
            Direction::In,
            Rule::AllowRdp,
        );
        c.continues = if self.rng.percent(10) {
            self.rng.range(2, 24) as u16
        } else {
            0
        };
        c.pkts_out = self.rng.range(20, 3_000) as u32;
        c.pkts_in = self.rng.range(20, 6_000) as u32;
        c.size_out = self.rng.range(60, 300) as u16;
        c.size_in = self.rng.range(200, 1_300) as u16;
        c
    }

    fn conv(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        dport: u16,
        proto: u8,
        dir: Direction,
        rule: Rule,
    ) -> Conv {
        Conv {
            flow: Flow {
                src,
                dst,
                sport: self.rng.ephemeral_port(),
                dport,
                proto,
                dir,
                rule,
            },
            continues: 0,
            pkts_out: 1,
            pkts_in: 1,
            size_out: 60,
            size_in: 60,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::layout::bulk_interface;

    #[test]
    fn a_minute_holds_exactly_its_budget_and_flows_progress() {
        let mut rng = Rng::new(11);
        let world = World::new(&mut rng);
        let iface = bulk_interface(LogFormat::NsgV2, 0, "sub", &mut rng);
        let mut traffic = Traffic::new(&iface, &world, rng.fork(1));
        let mut states = [0usize; 4];
        for minute in 0..120 {
            let mut out = Vec::new();
            traffic.minute(minute * 60_000, 50, &mut out);
            assert_eq!(out.len(), 50);
            for t in &out {
                states[t.state as usize] += 1;
                assert!(t.state == FlowState::Begin || t.counters.packets() > 0);
            }
        }
        let [b, c, e, _] = states;
        assert!(b > 0 && c > 0 && e > 0, "B {b} C {c} E {e}");
    }

    #[test]
    fn public_addresses_avoid_private_space() {
        let mut rng = Rng::new(5);
        for _ in 0..5_000 {
            let a = public_v4(&mut rng);
            assert!(
                !a.is_private() && !a.is_loopback() && !a.is_multicast(),
                "{a}"
            );
            let b = public_v6(&mut rng);
            assert_eq!(b.segments()[0] >> 13, 0b001, "{b}");
        }
    }
}

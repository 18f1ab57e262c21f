//! One generated flow tuple, the rules that decide it, and its text in each log format.

use super::layout::LogFormat;
use crate::model::{proto, Counters, Decision, Direction, FlowState};
use std::io::Write;
use std::net::IpAddr;

/// The NSG rules (and the VNet platform rule) generated traffic hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    AllowRdp,
    AllowHttps,
    DenyRdpFromWeb,
    AllowVnetIn,
    AllowLoadBalancerIn,
    DenyAllIn,
    AllowVnetOut,
    AllowInternetOut,
    DenyAllOut,
    /// VNet flow logs only: traffic to the Azure platform (aclID is the zero GUID).
    Platform,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::AllowRdp => "UserRule_AllowRDP",
            Rule::AllowHttps => "UserRule_AllowHTTPS",
            Rule::DenyRdpFromWeb => "UserRule_DenyRDPFromWebTier",
            Rule::AllowVnetIn => "DefaultRule_AllowVnetInBound",
            Rule::AllowLoadBalancerIn => "DefaultRule_AllowAzureLoadBalancerInBound",
            Rule::DenyAllIn => "DefaultRule_DenyAllInBound",
            Rule::AllowVnetOut => "DefaultRule_AllowVnetOutBound",
            Rule::AllowInternetOut => "DefaultRule_AllowInternetOutBound",
            Rule::DenyAllOut => "DefaultRule_DenyAllOutBound",
            Rule::Platform => "PlatformRule",
        }
    }
}

/// The `aclID` of platform rules in VNet flow logs.
pub const PLATFORM_ACL: &str = "00000000-0000-0000-0000-000000000000";

/// A flow as one interface sees it: what the tuples of a session share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Flow {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub proto: u8,
    pub dir: Direction,
    pub rule: Rule,
}

impl Flow {
    pub fn tuple(
        &self,
        time_ms: i64,
        decision: Decision,
        state: FlowState,
        counters: Counters,
    ) -> FlowTuple {
        FlowTuple {
            time_ms,
            src: self.src,
            dst: self.dst,
            sport: self.sport,
            dport: self.dport,
            proto: self.proto,
            dir: self.dir,
            decision,
            state,
            counters,
            rule: self.rule,
        }
    }
}

/// One tuple before it becomes text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowTuple {
    pub time_ms: i64,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    pub proto: u8,
    pub dir: Direction,
    pub decision: Decision,
    /// Begin, Continue or End; denied flows carry Begin (NSG) and are written `D` in VNet.
    pub state: FlowState,
    pub counters: Counters,
    pub rule: Rule,
}

impl FlowTuple {
    /// The order tuples take inside a record: grouped by rule, then by time.
    pub fn record_order(&self) -> (Rule, i64) {
        (self.rule, self.time_ms)
    }

    /// Appends the tuple's text (without quotes) in `format`.
    pub fn write(&self, format: LogFormat, out: &mut Vec<u8>) {
        match format {
            LogFormat::NsgV1 => self.write_nsg(out, false),
            LogFormat::NsgV2 => self.write_nsg(out, true),
            LogFormat::Vnet => self.write_vnet(out),
        }
    }

    fn write_nsg(&self, out: &mut Vec<u8>, with_state: bool) {
        push_u64(out, (self.time_ms / 1000) as u64);
        self.write_endpoints(out);
        out.push(b',');
        out.push(if self.proto == proto::UDP { b'U' } else { b'T' });
        out.push(b',');
        out.push(self.dir.letter() as u8);
        out.push(b',');
        out.push(self.decision.letter() as u8);
        if with_state {
            out.push(b',');
            out.push(self.state.letter() as u8);
            if self.state == FlowState::Begin {
                out.extend_from_slice(b",,,,");
            } else {
                self.write_counters(out);
            }
        }
    }

    fn write_vnet(&self, out: &mut Vec<u8>) {
        push_u64(out, self.time_ms as u64);
        self.write_endpoints(out);
        out.push(b',');
        push_u64(out, self.proto as u64);
        out.push(b',');
        out.push(self.dir.letter() as u8);
        out.push(b',');
        let state = match self.decision {
            Decision::Deny => FlowState::Deny,
            Decision::Allow => self.state,
        };
        out.push(state.letter() as u8);
        out.extend_from_slice(b",NX");
        if matches!(state, FlowState::Begin | FlowState::Deny) {
            out.extend_from_slice(b",0,0,0,0");
        } else {
            self.write_counters(out);
        }
    }

    fn write_endpoints(&self, out: &mut Vec<u8>) {
        out.push(b',');
        push_ip(out, self.src);
        out.push(b',');
        push_ip(out, self.dst);
        out.push(b',');
        push_u64(out, self.sport as u64);
        out.push(b',');
        push_u64(out, self.dport as u64);
    }

    fn write_counters(&self, out: &mut Vec<u8>) {
        let c = &self.counters;
        for v in [c.packets_out, c.bytes_out, c.packets_in, c.bytes_in] {
            out.push(b',');
            push_u64(out, v);
        }
    }
}

/// Decimal digits without going through `fmt` (the generator writes tens of millions).
pub fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn push_ip(out: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                push_u64(out, octet as u64);
            }
        }
        // Rare enough that the formatter's speed does not matter.
        IpAddr::V6(v6) => {
            let _ = write!(out, "{v6}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(decision: Decision, state: FlowState) -> FlowTuple {
        FlowTuple {
            time_ms: 1_731_917_045_123,
            src: "203.0.113.77".parse().unwrap(),
            dst: "10.0.1.4".parse().unwrap(),
            sport: 51234,
            dport: 3389,
            proto: proto::TCP,
            dir: Direction::In,
            decision,
            state,
            counters: Counters {
                packets_out: 12,
                bytes_out: 3400,
                packets_in: 10,
                bytes_in: 5600,
            },
            rule: Rule::AllowRdp,
        }
    }

    fn text(t: &FlowTuple, f: LogFormat) -> String {
        let mut out = Vec::new();
        t.write(f, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn nsg_tuples_use_seconds_and_letters() {
        let c = sample(Decision::Allow, FlowState::Continue);
        assert_eq!(
            text(&c, LogFormat::NsgV1),
            "1731917045,203.0.113.77,10.0.1.4,51234,3389,T,I,A"
        );
        assert_eq!(
            text(&c, LogFormat::NsgV2),
            "1731917045,203.0.113.77,10.0.1.4,51234,3389,T,I,A,C,12,3400,10,5600"
        );
        let b = sample(Decision::Deny, FlowState::Begin);
        assert_eq!(
            text(&b, LogFormat::NsgV2),
            "1731917045,203.0.113.77,10.0.1.4,51234,3389,T,I,D,B,,,,"
        );
    }

    #[test]
    fn vnet_tuples_use_milliseconds_numbers_and_d_for_denied() {
        let e = sample(Decision::Allow, FlowState::End);
        assert_eq!(
            text(&e, LogFormat::Vnet),
            "1731917045123,203.0.113.77,10.0.1.4,51234,3389,6,I,E,NX,12,3400,10,5600"
        );
        let d = sample(Decision::Deny, FlowState::Begin);
        assert_eq!(
            text(&d, LogFormat::Vnet),
            "1731917045123,203.0.113.77,10.0.1.4,51234,3389,6,I,D,NX,0,0,0,0"
        );
    }

    #[test]
    fn numbers_and_ipv6_are_written_plainly() {
        let mut out = Vec::new();
        push_u64(&mut out, 0);
        out.push(b' ');
        push_u64(&mut out, u64::MAX);
        out.push(b' ');
        push_ip(&mut out, "2001:db8::1".parse().unwrap());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "0 18446744073709551615 2001:db8::1"
        );
    }
}

//! The flow tuple parser: one comma-separated string of `flowTuples` → `Tuple`, without
//! allocating, with a precise reason when the string is not a tuple.
//!
//! ```text
//! NSG v1   time(s),src,dst,sport,dport,T|U,I|O,A|D
//! NSG v2   … ,B|C|E,packets→,bytes→,packets←,bytes←      (counters empty on B)
//! VNet v4  time(ms),src,dst,sport,dport,proto#,I|O,B|C|E|D,encryption,4 counters
//! ```
//! The field count decides the NSG shape: an 8-field tuple is v1 whatever the record says.

use crate::model::{proto, Counters, Decision, Direction, Encryption, FlowState, LogKind, Tuple};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

/// Largest time accepted, in seconds (the store keeps seconds as `u32`).
const MAX_SECS: u64 = u32::MAX as u64;
const MAX_FIELDS: usize = 13;

/// Why a tuple string was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TupleError {
    /// The number of comma-separated fields (capped at 14 for "more than 13").
    FieldCount(u8),
    Time,
    SourceAddress,
    DestinationAddress,
    SourcePort,
    DestinationPort,
    Protocol,
    Direction,
    Decision,
    State,
    Encryption,
    /// A counter that is not a number (index 0..4: packets out, bytes out, packets in, bytes in).
    Counter(u8),
}

impl fmt::Display for TupleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TupleError::FieldCount(n) if *n as usize > MAX_FIELDS => {
                write!(f, "more than {MAX_FIELDS} fields")
            }
            TupleError::FieldCount(n) => write!(f, "wrong field count {n}"),
            TupleError::Time => f.write_str("bad time"),
            TupleError::SourceAddress => f.write_str("bad source address"),
            TupleError::DestinationAddress => f.write_str("bad destination address"),
            TupleError::SourcePort => f.write_str("bad source port (0-65535)"),
            TupleError::DestinationPort => f.write_str("bad destination port (0-65535)"),
            TupleError::Protocol => f.write_str("unknown protocol"),
            TupleError::Direction => f.write_str("bad direction (I or O)"),
            TupleError::Decision => f.write_str("bad decision (A or D)"),
            TupleError::State => f.write_str("bad flow state"),
            TupleError::Encryption => f.write_str("bad encryption status"),
            TupleError::Counter(i) => {
                let name = ["packets out", "bytes out", "packets in", "bytes in"];
                write!(f, "bad counter ({})", name[(*i as usize).min(3)])
            }
        }
    }
}

impl std::error::Error for TupleError {}

/// Parses one tuple string of a record of `kind`.
pub fn parse_tuple(s: &str, kind: LogKind) -> Result<Tuple, TupleError> {
    let mut fields = [""; MAX_FIELDS];
    let mut count = 0usize;
    for field in s.split(',') {
        if count == MAX_FIELDS {
            return Err(TupleError::FieldCount(MAX_FIELDS as u8 + 1));
        }
        fields[count] = field;
        count += 1;
    }
    match (kind, count) {
        (LogKind::Nsg, 8) | (LogKind::Nsg, 13) => parse_nsg(&fields[..count]),
        (LogKind::Vnet, 13) => parse_vnet(&fields),
        _ => Err(TupleError::FieldCount(count as u8)),
    }
}

fn parse_nsg(f: &[&str]) -> Result<Tuple, TupleError> {
    let secs = number(f[0])
        .filter(|&s| s <= MAX_SECS)
        .ok_or(TupleError::Time)?;
    let mut t = common(f, secs as i64 * 1000)?;
    t.proto = nsg_protocol(f[5]).ok_or(TupleError::Protocol)?;
    t.decision = match f[7] {
        "A" | "a" => Decision::Allow,
        "D" | "d" => Decision::Deny,
        _ => return Err(TupleError::Decision),
    };
    if f.len() == 13 {
        t.state = match f[8] {
            "B" | "b" => Some(FlowState::Begin),
            "C" | "c" => Some(FlowState::Continue),
            "E" | "e" => Some(FlowState::End),
            _ => return Err(TupleError::State),
        };
        t.counters = counters(&f[9..13])?;
    }
    Ok(t)
}

fn parse_vnet(f: &[&str; MAX_FIELDS]) -> Result<Tuple, TupleError> {
    let ms = number(f[0])
        .filter(|&ms| ms / 1000 <= MAX_SECS)
        .ok_or(TupleError::Time)?;
    let mut t = common(f, ms as i64)?;
    t.proto = nsg_protocol(f[5]).ok_or(TupleError::Protocol)?;
    let state = match f[7] {
        "B" | "b" => FlowState::Begin,
        "C" | "c" => FlowState::Continue,
        "E" | "e" => FlowState::End,
        "D" | "d" => FlowState::Deny,
        _ => return Err(TupleError::State),
    };
    t.state = Some(state);
    if state == FlowState::Deny {
        t.decision = Decision::Deny;
    }
    t.encryption = Some(Encryption::parse(f[8]).ok_or(TupleError::Encryption)?);
    t.counters = counters(&f[9..13])?;
    Ok(t)
}

/// Fields 1-4 and 6, shared by every shape; protocol and decision are set by the caller.
fn common(f: &[&str], time_ms: i64) -> Result<Tuple, TupleError> {
    Ok(Tuple {
        time_ms,
        src: address(f[1]).ok_or(TupleError::SourceAddress)?,
        dst: address(f[2]).ok_or(TupleError::DestinationAddress)?,
        sport: port(f[3]).ok_or(TupleError::SourcePort)?,
        dport: port(f[4]).ok_or(TupleError::DestinationPort)?,
        proto: 0,
        dir: match f[6] {
            "I" | "i" => Direction::In,
            "O" | "o" => Direction::Out,
            _ => return Err(TupleError::Direction),
        },
        decision: Decision::Allow,
        state: None,
        encryption: None,
        counters: Counters::default(),
    })
}

/// `T`, `U` (NSG), or an IANA number (VNet; some tools write numbers in NSG tuples too).
fn nsg_protocol(s: &str) -> Option<u8> {
    match s {
        "T" | "t" => Some(proto::TCP),
        "U" | "u" => Some(proto::UDP),
        _ => number(s).and_then(|n| u8::try_from(n).ok()),
    }
}

/// The four counters; an empty field (NSG `B` tuples) counts as zero.
fn counters(f: &[&str]) -> Result<Counters, TupleError> {
    let mut v = [0u64; 4];
    for (i, s) in f.iter().enumerate().take(4) {
        if !s.is_empty() {
            v[i] = number(s).ok_or(TupleError::Counter(i as u8))?;
        }
    }
    Ok(Counters {
        packets_out: v[0],
        bytes_out: v[1],
        packets_in: v[2],
        bytes_in: v[3],
    })
}

fn port(s: &str) -> Option<u16> {
    number(s).and_then(|n| u16::try_from(n).ok())
}

/// Decimal digits only (no sign, no spaces), at most 19 of them (no overflow).
#[inline]
fn number(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 19 {
        return None;
    }
    let mut n = 0u64;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n * 10 + d as u64;
    }
    Some(n)
}

/// IPv4 by hand (the common case, no leading zeros tolerated beyond std's rules), IPv6 by std.
#[inline]
fn address(s: &str) -> Option<IpAddr> {
    ipv4(s.as_bytes())
        .map(IpAddr::V4)
        .or_else(|| s.parse::<IpAddr>().ok())
}

fn ipv4(b: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (k, octet) in octets.iter_mut().enumerate() {
        if k > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let start = i;
        let mut v = 0u32;
        while let Some(&c) = b.get(i) {
            if !c.is_ascii_digit() || i - start == 3 {
                break;
            }
            v = v * 10 + (c - b'0') as u32;
            i += 1;
        }
        // Leading zeros ("010") are ambiguous (octal?), leave them to the std parser's refusal.
        if i == start || v > 255 || (i - start > 1 && b[start] == b'0') {
            return None;
        }
        *octet = v as u8;
    }
    (i == b.len()).then(|| Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests {
    use super::*;
    use LogKind::{Nsg, Vnet};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn nsg_v1_tuple() {
        let t = parse_tuple("1542110377,13.67.143.118,10.0.0.4,44931,443,T,I,A", Nsg).unwrap();
        assert_eq!(t.time_ms, 1_542_110_377_000);
        assert_eq!((t.src, t.dst), (ip("13.67.143.118"), ip("10.0.0.4")));
        assert_eq!((t.sport, t.dport, t.proto), (44931, 443, 6));
        assert_eq!((t.dir, t.decision), (Direction::In, Decision::Allow));
        assert_eq!((t.state, t.encryption), (None, None));
        assert_eq!(t.counters, Counters::default());
    }

    #[test]
    fn nsg_v2_tuples_with_and_without_counters() {
        let b = parse_tuple(
            "1578673943,10.244.1.69,10.244.0.4,49663,53,U,O,D,B,,,,",
            Nsg,
        )
        .unwrap();
        assert_eq!(
            (b.proto, b.dir, b.decision),
            (17, Direction::Out, Decision::Deny)
        );
        assert_eq!(b.state, Some(FlowState::Begin));
        assert_eq!(b.counters, Counters::default());
        let e = parse_tuple(
            "1578673977,10.201.4.6,10.244.2.21,53763,80,T,O,A,E,4,246,2,126",
            Nsg,
        )
        .unwrap();
        assert_eq!(e.state, Some(FlowState::End));
        let want = Counters {
            packets_out: 4,
            bytes_out: 246,
            packets_in: 2,
            bytes_in: 126,
        };
        assert_eq!(e.counters, want);
    }

    #[test]
    fn vnet_tuple_and_denied_state() {
        let t = parse_tuple(
            "1663146003606,216.160.83.56,81.2.69.142,36776,443,6,O,E,NX,22,2217,33,0",
            Vnet,
        )
        .unwrap();
        assert_eq!(t.time_ms, 1_663_146_003_606);
        assert_eq!(
            (t.state, t.decision),
            (Some(FlowState::End), Decision::Allow)
        );
        assert_eq!(t.encryption, Some(Encryption::Nx));
        assert_eq!((t.counters.packets_out, t.counters.bytes_out), (22, 2217));
        let d = parse_tuple(
            "1663145998065,8.7.6.5,1.2.3.4,55188,22,6,I,D,NX_LOCAL_DST,0,0,0,0",
            Vnet,
        )
        .unwrap();
        assert_eq!(
            (d.state, d.decision),
            (Some(FlowState::Deny), Decision::Deny)
        );
        assert_eq!(d.encryption, Some(Encryption::NxLocalDst));
    }

    #[test]
    fn ipv6_and_numeric_nsg_protocol() {
        let t = parse_tuple("1700000000,2001:db8::1,fe80::2,1,2,17,I,A", Nsg).unwrap();
        assert_eq!(
            (t.src, t.dst, t.proto),
            (ip("2001:db8::1"), ip("fe80::2"), 17)
        );
    }

    #[test]
    fn every_rejection_has_its_reason() {
        let cases = [
            ("1,1.1.1.1,2.2.2.2,1,2,T,I", Nsg, TupleError::FieldCount(7)),
            (
                "1,1.1.1.1,2.2.2.2,1,2,6,I,B,NX",
                Vnet,
                TupleError::FieldCount(9),
            ),
            (
                "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1",
                Nsg,
                TupleError::FieldCount(14),
            ),
            ("x,1.1.1.1,2.2.2.2,1,2,T,I,A", Nsg, TupleError::Time),
            (
                "4294967296,1.1.1.1,2.2.2.2,1,2,T,I,A",
                Nsg,
                TupleError::Time,
            ),
            ("-1,1.1.1.1,2.2.2.2,1,2,T,I,A", Nsg, TupleError::Time),
            (
                "1,1.1.1.256,2.2.2.2,1,2,T,I,A",
                Nsg,
                TupleError::SourceAddress,
            ),
            (
                "1,1.1.1.1,2.2.2,1,2,T,I,A",
                Nsg,
                TupleError::DestinationAddress,
            ),
            (
                "1,1.1.1.1,2.2.2.2,65536,2,T,I,A",
                Nsg,
                TupleError::SourcePort,
            ),
            (
                "1,1.1.1.1,2.2.2.2,1,,T,I,A",
                Nsg,
                TupleError::DestinationPort,
            ),
            ("1,1.1.1.1,2.2.2.2,1,2,X,I,A", Nsg, TupleError::Protocol),
            ("1,1.1.1.1,2.2.2.2,1,2,256,I,A", Nsg, TupleError::Protocol),
            ("1,1.1.1.1,2.2.2.2,1,2,T,X,A", Nsg, TupleError::Direction),
            ("1,1.1.1.1,2.2.2.2,1,2,T,I,X", Nsg, TupleError::Decision),
            ("1,1.1.1.1,2.2.2.2,1,2,T,I,A,D,,,,", Nsg, TupleError::State),
            (
                "1,1.1.1.1,2.2.2.2,1,2,T,I,A,C,1,x,1,1",
                Nsg,
                TupleError::Counter(1),
            ),
            (
                "1,1.1.1.1,2.2.2.2,1,2,6,I,X,NX,0,0,0,0",
                Vnet,
                TupleError::State,
            ),
            (
                "1,1.1.1.1,2.2.2.2,1,2,6,I,B,YES,0,0,0,0",
                Vnet,
                TupleError::Encryption,
            ),
            (
                "1,1.1.1.1,2.2.2.2,1,2,6,I,B,NX,0,0,0,-",
                Vnet,
                TupleError::Counter(3),
            ),
            (
                "4294967296000,1.1.1.1,2.2.2.2,1,2,6,I,B,NX,0,0,0,0",
                Vnet,
                TupleError::Time,
            ),
        ];
        for (s, kind, want) in cases {
            assert_eq!(parse_tuple(s, kind), Err(want), "{s}");
        }
    }

    #[test]
    fn time_limits_are_inclusive() {
        let t = parse_tuple("4294967295,1.1.1.1,2.2.2.2,1,2,T,I,A", Nsg).unwrap();
        assert_eq!(t.time_ms, 4_294_967_295_000);
        let t = parse_tuple("0,1.1.1.1,2.2.2.2,1,2,6,I,B,NX,0,0,0,0", Vnet).unwrap();
        assert_eq!(t.time_ms, 0);
    }

    #[test]
    fn reasons_read_well() {
        assert_eq!(TupleError::FieldCount(7).to_string(), "wrong field count 7");
        assert_eq!(
            TupleError::FieldCount(14).to_string(),
            "more than 13 fields"
        );
        assert_eq!(
            TupleError::Counter(2).to_string(),
            "bad counter (packets in)"
        );
    }

    #[test]
    fn ipv4_fast_path_agrees_with_std() {
        for s in [
            "0.0.0.0",
            "255.255.255.255",
            "10.0.0.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1..2.3",
            "1.2.3.4 ",
            "1234.1.1.1",
        ] {
            assert_eq!(ipv4(s.as_bytes()), s.parse::<Ipv4Addr>().ok(), "{s}");
        }
    }
}

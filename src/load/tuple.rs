//! The flow tuple parser: one comma-separated string of `flowTuples` → `Tuple`, without
//! allocating, with a precise reason when the string is not a tuple.
//!
//! ```text
//! NSG v1   time(s),src,dst,sport,dport,T|U,I|O,A|D
//! NSG v2   … ,B|C|E,packets→,bytes→,packets←,bytes←      (counters empty on B)
//! VNet v4  time(ms),src,dst,sport,dport,proto#,I|O,B|C|E|D,encryption,4 counters
//! ```
//! The field count decides the NSG shape: an 8-field tuple is v1 whatever the record says.

use crate::model::{Counters, Decision, Encryption, FlowState, LogKind, Tuple};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

mod fast;
mod ipv4;
mod ipv6;
mod letters;
/// x86-64 only: it needs AVX2, which it checks for at run time.
#[cfg(target_arch = "x86_64")]
mod whole;
pub use fast::{parse_quoted, parse_quoted_by_field, read_run};
#[cfg(test)]
mod timing;

/// Which of a tuple's values a reader must give. A load that keeps no counter or address
/// column (a count whose filter reads neither) skips working them out: their text is
/// still checked, so what is accepted is the same, and the values may be left 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Values {
    pub counters: bool,
    pub addresses: bool,
}

impl Values {
    pub const ALL: Values = Values {
        counters: true,
        addresses: true,
    };
    /// Neither counters nor addresses.
    pub const CHECKED: Values = Values {
        counters: false,
        addresses: false,
    };
}

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
#[inline]
pub fn parse_tuple(s: &str, kind: LogKind) -> Result<Tuple, TupleError> {
    match fast::parse(s.as_bytes(), kind) {
        Some(t) => Ok(t),
        None => parse_checked(s, kind),
    }
}

/// The field-by-field parser: slower, and it names what is wrong. It decides every tuple
/// the fast parser refuses, so both agree on what is accepted.
pub fn parse_checked(s: &str, kind: LogKind) -> Result<Tuple, TupleError> {
    let fields = split(s.as_bytes())?;
    match (kind, fields.len()) {
        (LogKind::Nsg, 8) | (LogKind::Nsg, 13) => parse_nsg(fields.as_slice()),
        (LogKind::Vnet, 13) => parse_vnet(fields.as_slice()),
        (_, n) => Err(TupleError::FieldCount(n as u8)),
    }
}

/// Up to 13 comma-separated fields, without allocating.
struct Fields<'s> {
    items: [&'s [u8]; MAX_FIELDS],
    len: usize,
}

impl<'s> Fields<'s> {
    fn len(&self) -> usize {
        self.len
    }
    fn as_slice(&self) -> &[&'s [u8]] {
        &self.items[..self.len]
    }
}

#[inline]
fn split(b: &[u8]) -> Result<Fields<'_>, TupleError> {
    let mut f = Fields {
        items: [&[]; MAX_FIELDS],
        len: 0,
    };
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b',' {
            if f.len == MAX_FIELDS - 1 {
                return Err(TupleError::FieldCount(MAX_FIELDS as u8 + 1));
            }
            f.items[f.len] = &b[start..i];
            f.len += 1;
            start = i + 1;
        }
    }
    f.items[f.len] = &b[start..];
    f.len += 1;
    Ok(f)
}

fn parse_nsg(f: &[&[u8]]) -> Result<Tuple, TupleError> {
    let secs = number(f[0])
        .filter(|&s| s <= MAX_SECS)
        .ok_or(TupleError::Time)?;
    let mut t = common(f, secs as i64 * 1000)?;
    t.decision = letters::field(&letters::DECISION, f[7]).ok_or(TupleError::Decision)?;
    if f.len() == 13 {
        t.state = Some(letters::field(&letters::NSG_STATE, f[8]).ok_or(TupleError::State)?);
        t.counters = counters(&f[9..13])?;
    }
    Ok(t)
}

fn parse_vnet(f: &[&[u8]]) -> Result<Tuple, TupleError> {
    let ms = number(f[0])
        .filter(|&ms| ms / 1000 <= MAX_SECS)
        .ok_or(TupleError::Time)?;
    let mut t = common(f, ms as i64)?;
    let state = letters::field(&letters::VNET_STATE, f[7]).ok_or(TupleError::State)?;
    t.state = Some(state);
    if state == FlowState::Deny {
        t.decision = Decision::Deny;
    }
    t.encryption = Some(encryption(f[8]).ok_or(TupleError::Encryption)?);
    t.counters = counters(&f[9..13])?;
    Ok(t)
}

/// Fields 1-6, shared by every shape; the decision is set by the caller.
#[inline]
fn common(f: &[&[u8]], time_ms: i64) -> Result<Tuple, TupleError> {
    Ok(Tuple {
        time_ms,
        src: address(f[1]).ok_or(TupleError::SourceAddress)?,
        dst: address(f[2]).ok_or(TupleError::DestinationAddress)?,
        sport: port(f[3]).ok_or(TupleError::SourcePort)?,
        dport: port(f[4]).ok_or(TupleError::DestinationPort)?,
        proto: protocol(f[5]).ok_or(TupleError::Protocol)?,
        dir: letters::field(&letters::DIRECTION, f[6]).ok_or(TupleError::Direction)?,
        decision: Decision::Allow,
        state: None,
        encryption: None,
        counters: Counters::default(),
    })
}

/// `T`, `U` (NSG), or an IANA number (VNet; some tools write numbers in NSG tuples too).
#[inline]
fn protocol(s: &[u8]) -> Option<u8> {
    letters::field(&letters::PROTOCOL, s).or_else(|| u8::try_from(number(s)?).ok())
}

#[inline]
fn encryption(s: &[u8]) -> Option<Encryption> {
    match s {
        b"NX" => Some(Encryption::Nx),
        b"X" => Some(Encryption::X),
        _ => Encryption::parse(std::str::from_utf8(s).ok()?),
    }
}

/// The four counters; an empty field (NSG `B` tuples) counts as zero.
#[inline]
fn counters(f: &[&[u8]]) -> Result<Counters, TupleError> {
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

#[inline]
fn port(s: &[u8]) -> Option<u16> {
    number(s).and_then(|n| u16::try_from(n).ok())
}

/// Decimal digits only (no sign, no spaces), at most 19 of them (no overflow).
#[inline]
fn number(b: &[u8]) -> Option<u64> {
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

/// IPv4 and the usual IPv6 forms by hand; anything else as std reads it.
#[inline]
fn address(s: &[u8]) -> Option<IpAddr> {
    ipv4(s).map(IpAddr::V4).or_else(|| not_ipv4(s))
}

/// `address` for text already known not to be dotted IPv4.
fn not_ipv4(s: &[u8]) -> Option<IpAddr> {
    ipv6::parse(s).map(IpAddr::V6).or_else(|| by_std(s))
}

/// The address as std reads it: the forms the hand readers leave to it (an embedded IPv4
/// address, a zone, anything malformed).
fn by_std(s: &[u8]) -> Option<IpAddr> {
    std::str::from_utf8(s).ok()?.parse::<IpAddr>().ok()
}

#[inline]
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
        // Leading zeros ("010") are ambiguous (octal?): refused, as std refuses them.
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
    use crate::model::Direction;
    use std::net::Ipv6Addr;
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
    fn fast_and_checked_parsers_agree() {
        let samples = [
            "1542110377,13.67.143.118,10.0.0.4,44931,443,T,I,A",
            "1578673943,10.244.1.69,10.244.0.4,49663,53,U,O,D,B,,,,",
            "1578673977,10.201.4.6,10.244.2.21,53763,80,T,O,A,E,4,246,2,126",
            "1663146003606,216.160.83.56,81.2.69.142,36776,443,6,O,E,NX,22,2217,33,0",
            "1663145998065,8.7.6.5,1.2.3.4,55188,22,6,I,D,NX_LOCAL_DST,0,0,0,0",
            "1700000000,2001:db8::1,fe80::2,1,2,17,I,A",
            "1,1.1.1.1,2.2.2.2,1,2,T,I,A,C,1,x,1,1",
            "1,1.1.1.1,2.2.2.2,1,2,T,I,A,",
            "1,1.1.1.1,2.2.2.2,1,2,T,I,A,B,,,",
            "1,1.1.1.1,2.2.2.2,1,2,T,I,AA",
            "1,1.1.1.1,2.2.2.2,1,2,6,I,B,NX,0,0,0,0,",
            "4294967295,255.255.255.255,0.0.0.0,65535,0,t,o,d",
            "4294967296,1.1.1.1,2.2.2.2,1,2,T,I,A",
            ",1.1.1.1,2.2.2.2,1,2,T,I,A",
            "",
        ];
        for s in samples {
            for kind in [Nsg, Vnet] {
                let fast = fast::parse(s.as_bytes(), kind);
                let checked = parse_checked(s, kind);
                if let Some(t) = fast {
                    assert_eq!(Ok(t), checked, "{s}");
                }
                assert_eq!(parse_tuple(s, kind), checked, "{s}");
            }
        }
    }

    #[test]
    fn ipv6_tuples_take_the_fast_path_and_agree() {
        let samples = [
            "1731949188,fd00:db8:0:3::4,3180:b23a:1075:b77f:c09a:1a81:7914:ffbc,34217,443,T,O,A,E,42,12054,60,82020",
            "1731949234,fd00:db8:0:3::4,2028:5292:5a4d:c852:86c5:d1b0:5ce2:ce14,49902,443,T,O,A,B,,,,",
            "1731949234,::ffff:10.0.0.4,10.0.0.5,1,2,U,I,D",
            "1731949234,10.0.0.4,::1,1,2,6,I,A",
        ];
        for s in samples {
            let fast = fast::parse(s.as_bytes(), Nsg);
            assert!(fast.is_some(), "{s}");
            assert_eq!(Ok(fast.unwrap()), parse_checked(s, Nsg), "{s}");
        }
        for bad in [
            "1731949234,fd00::4::5,10.0.0.5,1,2,U,I,D",
            "1731949234,[::1],10.0.0.5,1,2,U,I,D",
        ] {
            assert_eq!(fast::parse(bad.as_bytes(), Nsg), None, "{bad}");
            assert!(parse_checked(bad, Nsg).is_err(), "{bad}");
        }
    }

    #[test]
    fn ipv6_by_hand_reads_what_std_reads() {
        for s in [
            "::",
            "::1",
            "1::",
            "fe80::1",
            "2001:db8::8a2e:370:7334",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "FD00:DB8:0:2::4",
            "0000:0:00:000::ffff",
            "1:2:3:4:5:6:7:8::",
            "::1:2:3:4:5:6:7:8",
            "1::2:3:4:5:6:7:8",
            "1:::2",
            ":1",
            "1:",
            "1::2::3",
            "12345::",
            "1:2:3:4:5:6:7:8:9",
            "::ffff:10.0.0.1",
            "fe80::1%eth0",
            "",
            ":",
            ":::",
            "g::1",
            "1:2:3:4:5:6:7",
        ] {
            let std = s.parse::<IpAddr>().ok();
            assert_eq!(address(s.as_bytes()), std, "{s:?}");
            if let Some(a) = ipv6::parse(s.as_bytes()) {
                assert_eq!(Some(IpAddr::V6(a)), std, "{s:?} by hand");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn ipv6_by_hand_agrees_with_std(s in "[0-9a-fA-F:.]{0,40}") {
            if let Some(a) = ipv6::parse(s.as_bytes()) {
                proptest::prop_assert_eq!(Ok(IpAddr::V6(a)), s.parse::<IpAddr>(), "{}", s);
            }
            proptest::prop_assert_eq!(address(s.as_bytes()), s.parse::<IpAddr>().ok(), "{}", s);
        }

        #[test]
        fn ipv6_by_hand_reads_every_address_std_writes(bits in proptest::num::u128::ANY, zeros in 0usize..8, from in 0usize..8) {
            // Runs of zero groups, so `::` appears in the text std writes.
            let mut groups = Ipv6Addr::from(bits).segments();
            groups[from..(from + zeros).min(8)].fill(0);
            let a = Ipv6Addr::from(groups);
            for text in [a.to_string(), a.to_string().to_uppercase(), format!("{:04x}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}", groups[0], groups[1], groups[2], groups[3], groups[4], groups[5], groups[6], groups[7])] {
                if !text.contains('.') {
                    proptest::prop_assert_eq!(ipv6::parse(text.as_bytes()), Some(a), "{}", text);
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_parser_never_accepts_what_checked_refuses(s in "[0-9a-fTUIOABCDEXN,.:_]{0,70}") {
            for kind in [Nsg, Vnet] {
                if let Some(t) = fast::parse(s.as_bytes(), kind) {
                    proptest::prop_assert_eq!(Ok(t), parse_checked(&s, kind));
                }
            }
        }

        #[test]
        fn a_tuple_read_in_its_quotes_is_the_tuple_read_alone(
            s in "[0-9a-fTUIOABCDEXN,.:\"\\\\]{0,70}", after in "[\",\\]0-9]{0,9}",
        ) {
            for kind in [Nsg, Vnet] {
                let text = format!("{s}\"{after}");
                match parse_quoted(text.as_bytes(), kind, Values::ALL) {
                    Some((t, len)) => {
                        proptest::prop_assert_eq!(text.as_bytes()[len], b'"');
                        proptest::prop_assert_eq!(fast::parse(&text.as_bytes()[..len], kind), Some(t));
                    }
                    None => {
                        let stop = text.find(['"', '\\']).unwrap();
                        let body = &text[..stop];
                        if text.as_bytes()[stop] == b'"' {
                            proptest::prop_assert!(fast::parse(body.as_bytes(), kind).is_none(), "{}", body);
                        }
                    }
                }
            }
        }

        #[test]
        fn well_formed_tuples_take_the_fast_path(
            secs in 0u64..=u32::MAX as u64, a in proptest::array::uniform4(0u8..), b in proptest::array::uniform4(0u8..),
            sport: u16, dport: u16, proto in 0u8..=255, inbound: bool, state in 0usize..4,
            c in proptest::array::uniform4(0u64..1_000_000_000),
        ) {
            let dir = if inbound { 'I' } else { 'O' };
            let a = std::net::Ipv4Addr::from(a);
            let b = std::net::Ipv4Addr::from(b);
            let st = ['B', 'C', 'E', 'D'][state];
            let s = format!("{}{:03},{a},{b},{sport},{dport},{proto},{dir},{st},NX,{},{},{},{}", secs, 123, c[0], c[1], c[2], c[3]);
            let fast = fast::parse(s.as_bytes(), Vnet);
            proptest::prop_assert!(fast.is_some(), "{}", s);
            proptest::prop_assert_eq!(Ok(fast.unwrap()), parse_checked(&s, Vnet));
            let quoted = format!("{s}\"]");
            proptest::prop_assert_eq!(parse_quoted(quoted.as_bytes(), Vnet, Values::ALL), Some((fast.unwrap(), s.len())));
            let s = format!("{secs},{a},{b},{sport},{dport},{proto},{dir},A,{},{},{},{},{}", ['B', 'C', 'E', 'C'][state], c[0], c[1], c[2], c[3]);
            let fast = fast::parse(s.as_bytes(), Nsg);
            proptest::prop_assert!(fast.is_some(), "{}", s);
            proptest::prop_assert_eq!(Ok(fast.unwrap()), parse_checked(&s, Nsg));
            // Version 2 as above, version 1, and a begin with its counters left empty:
            // each read to its closing quote as it is read alone.
            let v1 = format!("{secs},{a},{b},{sport},{dport},{proto},{dir},D");
            let begin = format!("{secs},{a},{b},{sport},{dport},{proto},{dir},A,B,,,,");
            for s in [s, v1, begin] {
                let alone = fast::parse(s.as_bytes(), Nsg);
                proptest::prop_assert!(alone.is_some(), "{}", s);
                let quoted = format!("{s}\",\"");
                proptest::prop_assert_eq!(parse_quoted(quoted.as_bytes(), Nsg, Values::ALL), Some((alone.unwrap(), s.len())));
            }
        }
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

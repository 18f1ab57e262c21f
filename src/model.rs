//! The flow-log domain: one model for NSG (v1, v2) and VNet (v4) tuples.

use std::fmt;
use std::net::IpAddr;

/// Which Azure log family a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogKind {
    /// NSG flow logs, category `NetworkSecurityGroupFlowEvent`.
    Nsg,
    /// VNet flow logs, category `FlowLogFlowEvent`.
    Vnet,
}

impl LogKind {
    pub fn name(self) -> &'static str {
        match self {
            LogKind::Nsg => "nsg",
            LogKind::Vnet => "vnet",
        }
    }
}

/// Direction of the flow as seen by the logged interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn name(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
    pub fn letter(self) -> char {
        match self {
            Direction::In => 'I',
            Direction::Out => 'O',
        }
    }
}

/// Whether the rule allowed or denied the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Decision {
    Allow,
    Deny,
}

impl Decision {
    pub fn name(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        }
    }
    pub fn letter(self) -> char {
        match self {
            Decision::Allow => 'A',
            Decision::Deny => 'D',
        }
    }
}

/// Flow state (NSG v2 and VNet). NSG v1 tuples have none.
/// The order is the order within one conversation at equal time: B < C < E, D last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlowState {
    Begin,
    Continue,
    End,
    /// VNet only: the flow was denied (there is no separate decision field).
    Deny,
}

/// Whether a tuple's counters belong in totals: `C` and `E` carry deltas since the
/// conversation's previous tuple; `B` and `D` carry none (FORMATS.md "Counting right").
#[inline]
pub fn counts_toward_totals(state: Option<FlowState>) -> bool {
    matches!(state, Some(FlowState::Continue) | Some(FlowState::End))
}

impl FlowState {
    pub const ALL: [FlowState; 4] = [
        FlowState::Begin,
        FlowState::Continue,
        FlowState::End,
        FlowState::Deny,
    ];
    pub fn name(self) -> &'static str {
        match self {
            FlowState::Begin => "begin",
            FlowState::Continue => "continue",
            FlowState::End => "end",
            FlowState::Deny => "deny",
        }
    }
    pub fn letter(self) -> char {
        match self {
            FlowState::Begin => 'B',
            FlowState::Continue => 'C',
            FlowState::End => 'E',
            FlowState::Deny => 'D',
        }
    }
    pub fn from_letter(s: &str) -> Option<FlowState> {
        match s {
            "B" => Some(FlowState::Begin),
            "C" => Some(FlowState::Continue),
            "E" => Some(FlowState::End),
            "D" => Some(FlowState::Deny),
            _ => None,
        }
    }
}

/// VNet flow encryption status (field 8 of a VNet tuple).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Encryption {
    X,
    Nx,
    NxHwNotSupported,
    NxSwNotReady,
    NxNotAccepted,
    NxNotSupported,
    NxLocalDst,
    NxFallback,
}

impl Encryption {
    pub const ALL: [Encryption; 8] = [
        Encryption::X,
        Encryption::Nx,
        Encryption::NxHwNotSupported,
        Encryption::NxSwNotReady,
        Encryption::NxNotAccepted,
        Encryption::NxNotSupported,
        Encryption::NxLocalDst,
        Encryption::NxFallback,
    ];
    /// The spelling used in the logs.
    pub fn name(self) -> &'static str {
        match self {
            Encryption::X => "X",
            Encryption::Nx => "NX",
            Encryption::NxHwNotSupported => "NX_HW_NOT_SUPPORTED",
            Encryption::NxSwNotReady => "NX_SW_NOT_READY",
            Encryption::NxNotAccepted => "NX_NOT_ACCEPTED",
            Encryption::NxNotSupported => "NX_NOT_SUPPORTED",
            Encryption::NxLocalDst => "NX_LOCAL_DST",
            Encryption::NxFallback => "NX_FALLBACK",
        }
    }
    pub fn parse(s: &str) -> Option<Encryption> {
        Encryption::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(s))
    }
}

/// IANA protocol numbers with names people type.
pub mod proto {
    pub const ICMP: u8 = 1;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const ICMPV6: u8 = 58;

    pub fn name(p: u8) -> Option<&'static str> {
        match p {
            ICMP => Some("icmp"),
            TCP => Some("tcp"),
            UDP => Some("udp"),
            ICMPV6 => Some("icmpv6"),
            _ => None,
        }
    }
    pub fn parse(s: &str) -> Option<u8> {
        match s.to_ascii_lowercase().as_str() {
            "icmp" => Some(ICMP),
            "tcp" | "t" => Some(TCP),
            "udp" | "u" => Some(UDP),
            "icmpv6" => Some(ICMPV6),
            n => n.parse().ok(),
        }
    }
    /// `tcp`, `udp`, … or the number.
    pub fn display(p: u8) -> String {
        name(p).map(str::to_string).unwrap_or_else(|| p.to_string())
    }
}

/// Byte and packet counters of one tuple: deltas since the conversation's previous tuple.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Counters {
    pub packets_out: u64,
    pub bytes_out: u64,
    pub packets_in: u64,
    pub bytes_in: u64,
}

impl Counters {
    pub fn bytes(&self) -> u64 {
        self.bytes_out.saturating_add(self.bytes_in)
    }
    pub fn packets(&self) -> u64 {
        self.packets_out.saturating_add(self.packets_in)
    }
    pub fn add(&mut self, o: &Counters) {
        self.packets_out = self.packets_out.saturating_add(o.packets_out);
        self.bytes_out = self.bytes_out.saturating_add(o.bytes_out);
        self.packets_in = self.packets_in.saturating_add(o.packets_in);
        self.bytes_in = self.bytes_in.saturating_add(o.bytes_in);
    }
}

/// One parsed flow tuple, before it is packed into the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tuple {
    /// Milliseconds since the UNIX epoch (NSG seconds are scaled).
    pub time_ms: i64,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub sport: u16,
    pub dport: u16,
    /// IANA protocol number.
    pub proto: u8,
    pub dir: Direction,
    pub decision: Decision,
    pub state: Option<FlowState>,
    pub encryption: Option<Encryption>,
    pub counters: Counters,
}

/// The key that identifies a conversation (FORMATS.md "Counting right").
/// `mac` is the interned text id of the interface MAC (or `u32::MAX` when unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConversationKey {
    pub mac: u32,
    pub src: u32,
    pub sport: u16,
    pub dst: u32,
    pub dport: u16,
    pub proto: u8,
}

/// Milliseconds since the epoch as RFC 3339 UTC, millisecond precision when needed.
pub fn format_time_ms(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) if ms % 1000 == 0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => ms.to_string(),
    }
}

/// Wraps a value that prints with thousands separators (`12,408`).
pub struct Thousands(pub u64);

impl fmt::Display for Thousands {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        f.pad(&out)
    }
}

/// The count with thousands separators and the noun, pluralised (`1 step`, `1,200 tuples`).
pub fn plural(n: u64, noun: &str) -> String {
    format!("{} {noun}{}", Thousands(n), if n == 1 { "" } else { "s" })
}

/// A byte count scaled to decimal units: the value and its unit (`B`, `kB`, `MB`, …).
pub fn scale_bytes(n: u64) -> (f64, &'static str) {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    (v, UNITS[u])
}

/// Human-readable byte count (`1.5 MB`), decimal units as the filter language uses.
pub fn human_bytes(n: u64) -> String {
    match scale_bytes(n) {
        (_, "B") => format!("{n} B"),
        (v, unit) => format!("{v:.1} {unit}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators_and_plurals() {
        assert_eq!(Thousands(0).to_string(), "0");
        assert_eq!(Thousands(999).to_string(), "999");
        assert_eq!(Thousands(1000).to_string(), "1,000");
        assert_eq!(Thousands(2_000_000).to_string(), "2,000,000");
        assert_eq!(plural(1, "step"), "1 step");
        assert_eq!(plural(0, "step"), "0 steps");
        assert_eq!(plural(1200, "tuple"), "1,200 tuples");
    }

    #[test]
    fn time_formatting_keeps_milliseconds_only_when_present() {
        assert_eq!(format_time_ms(1_542_110_377_000), "2018-11-13T11:59:37Z");
        assert_eq!(
            format_time_ms(1_663_146_003_599),
            "2022-09-14T09:00:03.599Z"
        );
    }

    #[test]
    fn protocol_names_round_trip() {
        assert_eq!(proto::parse("TCP"), Some(6));
        assert_eq!(proto::parse("17"), Some(17));
        assert_eq!(proto::display(6), "tcp");
        assert_eq!(proto::display(47), "47");
        assert_eq!(proto::parse("bogus"), None);
    }
}

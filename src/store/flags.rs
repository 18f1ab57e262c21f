//! The small per-tuple fields packed into one `u32`: protocol, direction, decision, state,
//! encryption and the millisecond part of the time.
//!
//! ```text
//! bit  0..8   protocol (IANA number)
//! bit  8      direction   0 in, 1 out
//! bit  9      decision    0 allow, 1 deny
//! bit 10..13  state       0 none (NSG v1), 1 B, 2 C, 3 E, 4 D
//! bit 16..20  encryption  0 none (NSG), 1.. = Encryption::ALL index + 1
//! bit 20..30  milliseconds within the second (0..999)
//! ```
//! The store keeps the two halves in two columns of `u16`. Only VNet tuples set the high
//! half (encryption, milliseconds), and its column stays empty until one does: NSG data
//! pays 2 bytes a tuple for these fields, not 4.

use crate::model::{Decision, Direction, Encryption, FlowState, Tuple};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags(pub u32);

pub const DIR_BIT: u32 = 1 << 8;
pub const DENY_BIT: u32 = 1 << 9;
pub const STATE_SHIFT: u32 = 10;
pub const STATE_MASK: u32 = 0b111 << STATE_SHIFT;
pub const ENC_SHIFT: u32 = 16;
pub const ENC_MASK: u32 = 0b1111 << ENC_SHIFT;
pub const MS_SHIFT: u32 = 20;
/// The bits kept in the high half's column.
pub const HIGH_SHIFT: u32 = 16;

impl Flags {
    pub fn pack(t: &Tuple) -> Flags {
        Flags::pack_with_ms(t, t.time_ms.rem_euclid(1000) as u32)
    }

    /// `pack` with the time's milliseconds within the second (0..999) worked out.
    #[inline]
    pub fn pack_with_ms(t: &Tuple, ms: u32) -> Flags {
        let mut v = t.proto as u32;
        if t.dir == Direction::Out {
            v |= DIR_BIT;
        }
        if t.decision == Decision::Deny {
            v |= DENY_BIT;
        }
        v |= state_code(t.state) << STATE_SHIFT;
        v |= encryption_code(t.encryption) << ENC_SHIFT;
        v |= ms << MS_SHIFT;
        Flags(v)
    }
    /// The word from its two halves.
    #[inline]
    pub fn join(low: u16, high: u16) -> Flags {
        Flags(low as u32 | (high as u32) << HIGH_SHIFT)
    }
    #[inline]
    pub fn low(self) -> u16 {
        self.0 as u16
    }
    #[inline]
    pub fn high(self) -> u16 {
        (self.0 >> HIGH_SHIFT) as u16
    }
    #[inline]
    pub fn proto(self) -> u8 {
        self.0 as u8
    }
    #[inline]
    pub fn dir(self) -> Direction {
        if self.0 & DIR_BIT != 0 {
            Direction::Out
        } else {
            Direction::In
        }
    }
    #[inline]
    pub fn decision(self) -> Decision {
        if self.0 & DENY_BIT != 0 {
            Decision::Deny
        } else {
            Decision::Allow
        }
    }
    /// The state's place among tuples of one instant: none, then B < C < E < D.
    #[inline]
    pub fn state_rank(self) -> u8 {
        ((self.0 & STATE_MASK) >> STATE_SHIFT) as u8
    }
    #[inline]
    pub fn state(self) -> Option<FlowState> {
        match (self.0 & STATE_MASK) >> STATE_SHIFT {
            0 => None,
            n => FlowState::ALL.get(n as usize - 1).copied(),
        }
    }
    /// All ones when the tuple's counters count toward totals, else zero: scans mask
    /// the counters with it rather than branch, whether a row counts being as good as
    /// random.
    #[inline]
    pub fn counted_mask(self) -> u64 {
        0u64.wrapping_sub(crate::model::counts_toward_totals(self.state()) as u64)
    }
    #[inline]
    pub fn encryption(self) -> Option<Encryption> {
        match (self.0 & ENC_MASK) >> ENC_SHIFT {
            0 => None,
            n => Encryption::ALL.get(n as usize - 1).copied(),
        }
    }
    #[inline]
    pub fn millis(self) -> u32 {
        self.0 >> MS_SHIFT
    }
}

/// A row's time in ms from its seconds and the high half of its flags (which holds the
/// milliseconds); the low half is not needed.
#[inline]
pub fn time_ms(secs: u32, high: u16) -> i64 {
    secs as i64 * 1000 + Flags::join(0, high).millis() as i64
}

/// The 3-bit code stored for a state (0 = none).
pub fn state_code(s: Option<FlowState>) -> u32 {
    s.map(|s| s as u32 + 1).unwrap_or(0)
}

/// The 4-bit code stored for an encryption status (0 = none).
pub fn encryption_code(e: Option<Encryption>) -> u32 {
    e.map(|e| e as u32 + 1).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Counters;

    #[test]
    fn every_field_survives_packing() {
        for (state, enc, dir, dec) in [
            (None, None, Direction::In, Decision::Allow),
            (
                Some(FlowState::Deny),
                Some(Encryption::NxFallback),
                Direction::Out,
                Decision::Deny,
            ),
            (
                Some(FlowState::Continue),
                Some(Encryption::X),
                Direction::In,
                Decision::Deny,
            ),
        ] {
            let t = Tuple {
                time_ms: 1_663_146_003_599,
                src: "10.0.0.1".parse().unwrap(),
                dst: "10.0.0.2".parse().unwrap(),
                sport: 1,
                dport: 2,
                proto: 17,
                dir,
                decision: dec,
                state,
                encryption: enc,
                counters: Counters::default(),
            };
            let f = Flags::pack(&t);
            assert_eq!(f.proto(), 17);
            assert_eq!(f.dir(), dir);
            assert_eq!(f.decision(), dec);
            assert_eq!(f.state(), state);
            assert_eq!(f.encryption(), enc);
            assert_eq!(f.millis(), 599);
            assert_eq!(Flags::join(f.low(), f.high()), f);
            // NSG tuples leave the high half zero.
            let nsg = Flags::pack(&Tuple {
                time_ms: 1_663_146_003_000,
                encryption: None,
                ..t
            });
            assert_eq!((nsg.high(), nsg.state(), nsg.dir()), (0, state, dir));
        }
    }
}

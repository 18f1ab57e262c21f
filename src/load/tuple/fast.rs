//! The fast tuple parser: one pass over the bytes, each field parsed where it is met.
//! Anything unusual (a rare encryption status, any error) returns `None` and the
//! checked parser decides, so the two always agree on what is accepted.
//!
//! It reads a tuple given alone, or one still inside its JSON string (`QUOTED`): then
//! the closing `"` ends it, and the record reader needs no pass of its own to find it.
//! No field accepts a quote or a backslash, so a tuple read to its quote is the whole string.

use super::{letters, Values, MAX_SECS};
use crate::load::rows::Rows;
use crate::model::{Counters, Decision, Encryption, FlowState, LogKind, Tuple};
use std::net::{IpAddr, Ipv4Addr};

struct Cursor<'s, const QUOTED: bool> {
    b: &'s [u8],
    i: usize,
}

impl<const QUOTED: bool> Cursor<'_, QUOTED> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    fn at_end(&self) -> bool {
        if QUOTED {
            self.peek() == Some(b'"')
        } else {
            self.i == self.b.len()
        }
    }

    /// Whether a field ends at `c` (`None`: the text's end).
    #[inline(always)]
    fn ends_field(c: Option<u8>) -> bool {
        match c {
            None | Some(b',') => true,
            Some(b'"') => QUOTED,
            _ => false,
        }
    }

    #[inline(always)]
    fn comma(&mut self) -> Option<()> {
        (self.peek()? == b',').then(|| self.i += 1)
    }

    /// 1 to 19 decimal digits. Where 8 bytes remain they are read at once (SWAR): the
    /// digit count comes from a mask, not from a loop exit mispredicted on every field.
    #[inline(always)]
    fn number(&mut self) -> Option<u64> {
        match self.swar_at(self.i) {
            Some(head) => self.short(head),
            None => self.number_slow(),
        }
    }

    /// The number of 1 to 7 digits leading the 8 bytes `swar_at` read here; longer or no
    /// digits digit by digit.
    #[inline(always)]
    fn short(&mut self, (x, digits): (u64, usize)) -> Option<u64> {
        if digits == 0 || digits == 8 {
            return self.number_slow();
        }
        self.i += digits;
        Some(swar_value(x << (8 * (8 - digits))))
    }

    /// As `number`, for a field that is usually 9 to 16 digits long (a time): two 8-byte
    /// reads instead of a loop per digit.
    #[inline(always)]
    fn number_long(&mut self) -> Option<u64> {
        let (Some(head), Some(tail)) = (self.swar_at(self.i), self.swar_at(self.i + 8)) else {
            return self.number_slow();
        };
        if head.1 < 8 {
            return self.short(head);
        }
        let (x, digits) = tail;
        if digits == 8 {
            return self.number_slow();
        }
        self.i += 8 + digits;
        let high = swar_value(head.0);
        if digits == 0 {
            return Some(high);
        }
        Some(high * 10u64.pow(digits as u32) + swar_value(x << (8 * (8 - digits))))
    }

    /// The 8 bytes at `at` as digit values (`'0'` is 0) and how many digits lead them.
    #[inline(always)]
    fn swar_at(&self, at: usize) -> Option<(u64, usize)> {
        let x = digit_values(self.b.get(at..at + 8)?);
        Some((x, (non_digits(x).trailing_zeros() / 8) as usize))
    }

    /// Digit by digit, for long numbers (times, big counters) and the end of the text.
    fn number_slow(&mut self) -> Option<u64> {
        let start = self.i;
        let mut n = 0u64;
        while let Some(c) = self.peek() {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            n = n.wrapping_mul(10).wrapping_add(d as u64);
            self.i += 1;
        }
        let digits = self.i - start;
        (1..=19).contains(&digits).then_some(n)
    }

    /// A counter: empty (zero) or a number, ending at a comma or the end.
    #[inline(always)]
    fn counter(&mut self) -> Option<u64> {
        if Self::ends_field(self.peek()) {
            return Some(0);
        }
        self.number()
    }

    /// A one-letter field, in either case, as `table` reads it.
    #[inline(always)]
    fn letter<T: Copy>(&mut self, table: &[Option<T>; 256]) -> Option<T> {
        let c = self.peek()?;
        if !Self::ends_field(self.b.get(self.i + 1).copied()) {
            return None;
        }
        self.i += 1;
        letters::any_case(table, c)
    }

    #[inline(always)]
    fn port(&mut self) -> Option<u16> {
        u16::try_from(self.number()?).ok()
    }

    /// Dotted IPv4 without leading zeros (what the checked parser accepts too).
    #[inline(always)]
    fn ipv4(&mut self) -> Option<IpAddr> {
        match self.b.get(self.i..).and_then(<[u8]>::first_chunk) {
            Some(window) => {
                let (octets, len) = super::ipv4::in_window(window)?;
                self.i += len;
                Some(IpAddr::V4(Ipv4Addr::from(octets)))
            }
            None => self.ipv4_by_octet(),
        }
    }

    /// `ipv4` one octet at a time, where fewer than 16 bytes are left.
    fn ipv4_by_octet(&mut self) -> Option<IpAddr> {
        let mut octets = [0u8; 4];
        for (k, octet) in octets.iter_mut().enumerate() {
            if k > 0 {
                (self.peek()? == b'.').then_some(())?;
                self.i += 1;
            }
            *octet = self.octet()?;
        }
        Some(IpAddr::V4(Ipv4Addr::from(octets)))
    }

    /// 1 to 3 digits, at most 255, no leading zero: read from one 8-byte load, without
    /// the general number's 8-digit arithmetic.
    #[inline(always)]
    fn octet(&mut self) -> Option<u8> {
        let (x, n) = self.swar_at(self.i)?;
        let v = octet_value(x as u32, n as u32)?;
        self.i += n;
        Some(v)
    }

    /// An address: dotted IPv4 here, anything else (IPv6) read as the checked parser reads
    /// the field, rather than the whole tuple going to the checked parser.
    #[inline(always)]
    fn address(&mut self) -> Option<IpAddr> {
        let start = self.i;
        if let Some(a) = self.ipv4() {
            return Some(a);
        }
        let rest = &self.b[start..];
        if let Some((a, len)) = super::ipv6::parse_prefix(rest) {
            if Self::ends_field(rest.get(len).copied()) {
                self.i = start + len;
                return Some(IpAddr::V6(a));
            }
        }
        // An embedded IPv4 address, a zone, anything std must decide: the IPv6 reader
        // has read as far as it can, and would refuse the whole field.
        let len = rest
            .iter()
            .position(|&c| Self::ends_field(Some(c)))
            .unwrap_or(rest.len());
        let a = super::by_std(&rest[..len])?;
        self.i = start + len;
        Some(a)
    }

    #[inline(always)]
    fn protocol(&mut self) -> Option<u8> {
        match self.peek()? {
            b'0'..=b'9' => u8::try_from(self.number()?).ok(),
            _ => self.letter(&letters::PROTOCOL),
        }
    }

    /// `,` then four counters, then the end of the tuple.
    #[inline(always)]
    fn counters(&mut self) -> Option<Counters> {
        let mut v = [0u64; 4];
        for slot in &mut v {
            self.comma()?;
            *slot = self.counter()?;
        }
        self.at_end().then_some(Counters {
            packets_out: v[0],
            bytes_out: v[1],
            packets_in: v[2],
            bytes_in: v[3],
        })
    }
}

/// The tuple, or `None` when the checked parser must decide.
#[inline]
pub fn parse(b: &[u8], kind: LogKind) -> Option<Tuple> {
    read(&mut Cursor::<false> { b, i: 0 }, kind)
}

/// The tuple whose JSON string begins at `b` (just after its opening quote) and its
/// length up to the closing quote, read whole where it can be (`whole.rs`); `None` when
/// the checked parser must decide. The values `values` skips may be left 0.
#[inline]
pub fn parse_quoted(b: &[u8], kind: LogKind, values: Values) -> Option<(Tuple, usize)> {
    #[cfg(target_arch = "x86_64")]
    if let Some(read) = super::whole::parse_quoted(b, kind, values) {
        return Some(read);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = values;
    parse_quoted_by_field(b, kind)
}

/// A run of tuple strings read whole, from `b` at the first one's opening quote, pushed
/// to `out` (working out only the values it keeps); the bytes read (0 where the first
/// must be read another way).
#[inline]
pub fn read_run(b: &[u8], kind: LogKind, out: &mut Rows) -> usize {
    #[cfg(target_arch = "x86_64")]
    return super::whole::read_run(b, kind, out);
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (b, kind, out);
        0
    }
}

/// `parse_quoted` field by field: for the shapes and processors the whole-tuple reader
/// does not take.
pub fn parse_quoted_by_field(b: &[u8], kind: LogKind) -> Option<(Tuple, usize)> {
    let mut c = Cursor::<true> { b, i: 0 };
    let t = read(&mut c, kind)?;
    Some((t, c.i))
}

#[inline(always)]
fn read<const QUOTED: bool>(c: &mut Cursor<QUOTED>, kind: LogKind) -> Option<Tuple> {
    let time = c.number_long()?;
    c.comma()?;
    let src = c.address()?;
    c.comma()?;
    let dst = c.address()?;
    c.comma()?;
    let sport = c.port()?;
    c.comma()?;
    let dport = c.port()?;
    c.comma()?;
    let proto = c.protocol()?;
    c.comma()?;
    let dir = c.letter(&letters::DIRECTION)?;
    c.comma()?;
    let mut t = Tuple {
        time_ms: 0,
        src,
        dst,
        sport,
        dport,
        proto,
        dir,
        decision: Decision::Allow,
        state: None,
        encryption: None,
        counters: Counters::default(),
    };
    match kind {
        LogKind::Nsg => nsg_tail(c, &mut t, time)?,
        LogKind::Vnet => vnet_tail(c, &mut t, time)?,
    }
    Some(t)
}

#[inline(always)]
fn nsg_tail<const Q: bool>(c: &mut Cursor<Q>, t: &mut Tuple, secs: u64) -> Option<()> {
    (secs <= MAX_SECS).then_some(())?;
    t.time_ms = secs as i64 * 1000;
    t.decision = c.letter(&letters::DECISION)?;
    if c.at_end() {
        return Some(());
    }
    c.comma()?;
    t.state = Some(c.letter(&letters::NSG_STATE)?);
    t.counters = c.counters()?;
    Some(())
}

#[inline(always)]
fn vnet_tail<const Q: bool>(c: &mut Cursor<Q>, t: &mut Tuple, ms: u64) -> Option<()> {
    (ms / 1000 <= MAX_SECS).then_some(())?;
    t.time_ms = ms as i64;
    let state = c.letter(&letters::VNET_STATE)?;
    t.state = Some(state);
    if state == FlowState::Deny {
        t.decision = Decision::Deny;
    }
    c.comma()?;
    let rest = &c.b[c.i..];
    t.encryption = Some(if rest.starts_with(b"NX,") {
        c.i += 2;
        Encryption::Nx
    } else if rest.starts_with(b"X,") {
        c.i += 1;
        Encryption::X
    } else {
        return None;
    });
    t.counters = c.counters()?;
    Some(())
}

/// The first 8 bytes of `b` as digit values: `'0'` is 0, `'9'` is 9.
#[inline(always)]
pub(super) fn digit_values(b: &[u8]) -> u64 {
    let mut chunk = [0u8; 8];
    chunk.copy_from_slice(&b[..8]);
    u64::from_le_bytes(chunk) ^ 0x3030_3030_3030_3030
}

/// The top bit of each byte of `digit_values` set where it was not a digit: a byte is a
/// digit when it is now 0..=9, and adding 0x76 sets its top bit otherwise.
#[inline(always)]
pub(super) fn non_digits(x: u64) -> u64 {
    (x.wrapping_add(0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080
}

/// The octet whose `n` digit values lead `x` (lowest byte first): 1 to 3 digits, no
/// leading zero, at most 255.
#[inline(always)]
pub(super) fn octet_value(x: u32, n: u32) -> Option<u8> {
    if !(1..=3).contains(&n) || (n > 1 && x & 0xff == 0) {
        return None;
    }
    // The n digits in the top bytes of a u32, zeros below.
    let d = x << (8 * (4 - n));
    u8::try_from((d >> 8 & 0xff) * 100 + (d >> 16 & 0xff) * 10 + (d >> 24)).ok()
}

/// The value of up to 8 decimal digits (0..=9 per byte) in the top bytes of `x`, first
/// digit lowest, zeros below: combine pairs, then quads, then halves.
#[inline(always)]
pub(super) fn swar_value(x: u64) -> u64 {
    let x = (x & 0x0f0f_0f0f_0f0f_0f0f).wrapping_mul(2561) >> 8;
    let x = (x & 0x00ff_00ff_00ff_00ff).wrapping_mul(6_553_601) >> 16;
    (x & 0x0000_ffff_0000_ffff).wrapping_mul(42_949_672_960_001) >> 32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_of_every_length_with_and_without_room_after() {
        let numbers = [
            "0", "7", "42", "443", "65535", "123456", "1234567", "99999999",
        ];
        for s in numbers.iter().chain(&["123456789012", "0007"]) {
            for tail in ["", ",1,2,3,4,5,6,7,8"] {
                let text = format!("{s}{tail}");
                let mut c = Cursor::<false> {
                    b: text.as_bytes(),
                    i: 0,
                };
                assert_eq!(c.number(), s.parse().ok(), "{text}");
                assert_eq!(c.i, s.len());
            }
        }
    }

    proptest::proptest! {
        /// Addresses read from a 16-byte window and octet by octet agree: the same address,
        /// the same length, the same refusals (leading zeros, long or empty octets, > 255).
        #[test]
        fn ipv4_from_a_window_agrees_with_octet_by_octet(
            parts in proptest::array::uniform4("0|[0-9]{0,4}|[1-9][0-9]{0,2}"),
            dots in proptest::array::uniform3("[.]|[.]|[.]|[,a]"),
            tail in "[,\"0-9.a]{0,4}",
            octets in proptest::array::uniform4(0u8..),
        ) {
            let text = format!("{}{}{}{}{}{}{}{tail}", parts[0], dots[0], parts[1], dots[1], parts[2], dots[2], parts[3]);
            let printed = format!("{}.{}.{}.{},1", octets[0], octets[1], octets[2], octets[3]);
            for t in [text, printed] {
                let padded = format!("{t}{}", " ".repeat(16));
                let mut wide = Cursor::<true> { b: padded.as_bytes(), i: 0 };
                let mut narrow = Cursor::<true> { b: padded.as_bytes(), i: 0 };
                let read = wide.ipv4();
                proptest::prop_assert_eq!(read, narrow.ipv4_by_octet(), "{:?}", t);
                // Where it fails, `address` starts over from where it began.
                if read.is_some() {
                    proptest::prop_assert_eq!(wide.i, narrow.i, "{:?}", t);
                }
            }
        }
    }

    #[test]
    fn long_numbers_of_every_length_with_and_without_room_after() {
        let digits = "1234567890123456789012";
        for len in 0..=digits.len() {
            let s = &digits[..len];
            for tail in ["", ",", ",1,2,3,4,5,6,7,8,9,10,11,12"] {
                let text = format!("{s}{tail}");
                let mut c = Cursor::<false> {
                    b: text.as_bytes(),
                    i: 0,
                };
                let expected = (1..=19).contains(&len).then(|| s.parse::<u64>().unwrap());
                assert_eq!(c.number_long(), expected, "{text}");
                if expected.is_some() {
                    assert_eq!(c.i, len, "{text}");
                }
            }
        }
    }
}

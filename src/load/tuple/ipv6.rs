//! IPv6 addresses as hex groups with at most one `::`, read from masks of the text's hex
//! digits and colons: the groups' places and lengths come from the masks at once, and each
//! group's value from one word. A character at a time (look up, test, shift) cost four
//! times as much, and IPv6 tuples were the slowest part of a load with a few percent of
//! them. Anything else (an embedded IPv4 address, a zone, brackets, anything malformed)
//! is `None`, for std to decide; where this gives an address, std reads the same.

use std::net::Ipv6Addr;

/// The longest address written without an embedded IPv4 one: eight groups of four.
const LONGEST: usize = 39;
/// Bytes looked at: the longest address and what follows it, and a group's last word.
pub const WINDOW: usize = 48;

/// `s` read whole as an address.
pub fn parse(s: &[u8]) -> Option<Ipv6Addr> {
    parse_prefix(s).and_then(|(address, len)| (len == s.len()).then_some(address))
}

/// The address `text` starts with, read up to the first byte that is neither a hex digit
/// nor a colon, and its length. The caller sees what follows (a field's end, or a dot of
/// an embedded IPv4 address, which std must read): no pass of its own to find the end.
pub fn parse_prefix(text: &[u8]) -> Option<(Ipv6Addr, usize)> {
    let mut padded = [0u8; WINDOW];
    let window = match text.first_chunk::<WINDOW>() {
        Some(window) => window,
        None => {
            padded[..text.len()].copy_from_slice(text);
            &padded
        }
    };
    prefix_in(window)
}

/// `parse_prefix` of a text that has `WINDOW` bytes: none to pad.
#[inline]
pub fn prefix_in(window: &[u8; WINDOW]) -> Option<(Ipv6Addr, usize)> {
    let shape = shape(window)?;
    let mut groups = [0u16; 8];
    let mut rest = shape.starts;
    let n = shape.starts.count_ones() as usize;
    for k in 0..n {
        let at = rest.trailing_zeros();
        rest &= rest - 1;
        let digits = (!(shape.hex >> at)).trailing_zeros();
        let place = if at > shape.tail_after { k + 8 - n } else { k };
        groups[place] = group_value(window, at as usize, digits);
    }
    Some((Ipv6Addr::from(groups), shape.len))
}

/// The length of the address a text of `WINDOW` bytes starts with, where `prefix_in`
/// reads one: checked the same way, without working out the groups' values, which cost
/// two thirds of reading an address and which a load that keeps no addresses does not
/// need.
#[inline]
pub fn length_in(window: &[u8; WINDOW]) -> Option<usize> {
    shape(window).map(|shape| shape.len)
}

/// What the masks say of a well-formed address: its length, its hex digits, where each
/// group starts, and where the groups after a `::` begin (`u32::MAX` without one).
struct Shape {
    len: usize,
    hex: u64,
    starts: u64,
    tail_after: u32,
}

/// The shape of the address the window starts with; `None` where it is not one this
/// module reads.
#[inline(always)]
fn shape(window: &[u8; WINDOW]) -> Option<Shape> {
    let (hex, colon) = classes(window);
    let len = (!(hex | colon)).trailing_zeros() as usize;
    // `::` is the shortest address.
    if !(2..=LONGEST).contains(&len) {
        return None;
    }
    let all = (1u64 << len) - 1;
    let (hex, colon) = (hex & all, colon & all);
    // Bit k of `pairs`: colons at k and k + 1, that is a `::` (or part of `:::`).
    let pairs = colon & colon >> 1;
    let last = 1u64 << (len - 1);
    let lone_first = colon & 1 != 0 && colon & 2 == 0;
    let lone_last = colon & last != 0 && colon & last >> 1 == 0;
    let five_digits = hex & hex >> 1 & hex >> 2 & hex >> 3 & hex >> 4;
    if pairs & pairs >> 1 != 0
        || pairs.count_ones() > 1
        || lone_first
        || lone_last
        || five_digits != 0
    {
        return None;
    }
    // Each group starts at a digit after a colon (or at the start); `::` stands for at
    // least one group of zeros.
    let starts = hex & !(hex << 1);
    let n = starts.count_ones();
    let gap = pairs != 0;
    if (gap && n > 7) || (!gap && n != 8) {
        return None;
    }
    // Groups after the `::` go to the end.
    let tail_after = if gap {
        pairs.trailing_zeros()
    } else {
        u32::MAX
    };
    Some(Shape {
        len,
        hex,
        starts,
        tail_after,
    })
}

/// The value of the `digits` (1 to 4) hex digits at `at`: each byte's nibble, the bytes
/// after the group shifted out, then the nibbles joined pairwise.
#[inline(always)]
fn group_value(text: &[u8; WINDOW], at: usize, digits: u32) -> u16 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&text[at..at + 4]);
    let x = u32::from_le_bytes(word);
    // '0'-'9' are 0x30-0x39, 'A'-'F' 0x41-0x46 and 'a'-'f' 0x61-0x66: the low nibble,
    // plus 9 where bit 6 says a letter.
    let nibbles = (x & 0x0F0F_0F0F) + 9 * (x >> 6 & 0x0101_0101);
    // The group's last digit in the top byte.
    let y = nibbles << (8 * (4 - digits));
    let pairs = (y & 0x00FF_00FF) << 4 | (y >> 8 & 0x00FF_00FF);
    ((pairs & 0xFF) << 8 | (pairs >> 16 & 0xFF)) as u16
}

/// Masks of the hex digits and of the colons in the window, one bit a byte.
#[cfg(target_arch = "x86_64")]
fn classes(text: &[u8; WINDOW]) -> (u64, u64) {
    use std::arch::x86_64::*;
    let (mut hex, mut colon) = (0u64, 0u64);
    for (k, chunk) in text.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is in every x86-64 processor; the load reads the 16 bytes of `chunk`.
        let (h, c) = unsafe {
            let v = _mm_loadu_si128(chunk.as_ptr().cast());
            // A digit is 0..=9 once '0' is taken away, a letter 0..=5 once 'a' is taken
            // from it in lower case; unsigned, each is its own minimum with the limit.
            let d = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
            let digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
            let l = _mm_sub_epi8(
                _mm_or_si128(v, _mm_set1_epi8(0x20)),
                _mm_set1_epi8(b'a' as i8),
            );
            let letter = _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(5)), l);
            let colon = _mm_cmpeq_epi8(v, _mm_set1_epi8(b':' as i8));
            (
                _mm_movemask_epi8(_mm_or_si128(digit, letter)) as u16,
                _mm_movemask_epi8(colon) as u16,
            )
        };
        hex |= u64::from(h) << (16 * k);
        colon |= u64::from(c) << (16 * k);
    }
    (hex, colon)
}

#[cfg(not(target_arch = "x86_64"))]
fn classes(text: &[u8; WINDOW]) -> (u64, u64) {
    let (mut hex, mut colon) = (0u64, 0u64);
    for (k, &c) in text.iter().enumerate() {
        hex |= u64::from(c.is_ascii_hexdigit()) << k;
        colon |= u64::from(c == b':') << k;
    }
    (hex, colon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_ends_where_hex_digits_and_colons_end() {
        let long_tail = ",".repeat(60);
        for (text, read) in [
            ("fd00::4,443,T", Some(("fd00::4", 7))),
            ("fd00::4\"]", Some(("fd00::4", 7))),
            ("1:2:3:4:5:6:7:8", Some(("1:2:3:4:5:6:7:8", 15))),
            // What follows is the caller's to judge: a dot here, so std reads the field.
            ("::ffff:10.0.0.1", Some(("::ffff:10", 9))),
            ("fd00::4::5,", None),
            ("1:2:3:4:5:6:7:8:9,", None),
            ("12345::,", None),
            (":1,", None),
            ("1:,", None),
            (",", None),
        ] {
            let expected = read.map(|(a, len)| (a.parse::<Ipv6Addr>().unwrap(), len));
            // Short texts are padded, long ones read in place: both the same.
            assert_eq!(parse_prefix(text.as_bytes()), expected, "{text}");
            let long = format!("{text}{long_tail}");
            assert_eq!(
                parse_prefix(long.as_bytes()),
                expected,
                "{text} in a long text"
            );
            let window = long.as_bytes().first_chunk().unwrap();
            assert_eq!(length_in(window), expected.map(|(_, len)| len), "{text}");
        }
    }
}

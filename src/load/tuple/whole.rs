//! The whole tuple at once, where the processor has AVX2. The field-by-field parser reads
//! a field, learns where it ends, and only then starts the next, so every field waits for
//! the one before it. Here vector compares over the tuple's first 128 bytes give masks of
//! its commas and digits (and of the dots and zeros among the first 64). The commas place
//! every field at once, each check is a comparison of masks, and each number is read from
//! where the masks say it starts, independently of the others.
//!
//! It reads only the common shapes: 13 fields, two IPv4 addresses or two IPv6 ones (hex
//! groups and colons only), uppercase letters, numbers of at most 16
//! digits, NSG's `T`/`U` or VNet's numbered protocol, and the ten fields after the
//! addresses in 63 bytes (19 to 45 in every sample and generated tuple measured). IPv6
//! addresses are read as the field-by-field parser reads them, and the fields after them
//! from masks of their own 64 bytes. Anything else returns `None` and the field-by-field
//! parser decides, so what is accepted is unchanged: the tests hold it to the checked
//! parser.

use super::fast::{digit_values, swar_value};
use super::letters::{DECISION, DIRECTION, NSG_STATE, PROTOCOL, VNET_STATE};
use super::{Values, MAX_SECS};
use crate::load::rows::Rows;
use crate::model::{Counters, Decision, Encryption, FlowState, LogKind, Tuple};
use std::net::{IpAddr, Ipv4Addr};

/// Bytes that must be readable from a tuple's start: every byte looked at is within
/// `REACH` (a position masked to it needs no bounds check), and is read as 8 bytes at most.
const WINDOW: usize = REACH + 8;

/// Where positions in the window are kept, a power of two: the furthest a tuple read whole
/// reaches is byte 175 (a time of 16 digits, two IPv6 addresses of 39 bytes and their
/// commas, the ten fields after them in 64 bytes, and a number there read 16 bytes at a
/// time).
const REACH: usize = 256;

/// The furthest the comma after the destination address can be: a time of 16 digits and
/// two IPv4 addresses of 15 bytes.
const HEAD_END: u32 = 48;

/// The tuple whose JSON string begins at `b` (after its opening quote) and its length up
/// to the closing quote; `None` when the field-by-field parser must decide (another
/// shape, no AVX2, fewer than `WINDOW` bytes left). The values `values` skips are 0.
#[inline]
pub fn parse_quoted(b: &[u8], kind: LogKind, values: Values) -> Option<(Tuple, usize)> {
    if !available() {
        return None;
    }
    let mut tuple = None;
    // SAFETY: the processor has every feature `read` enables (checked just above).
    let len = unsafe {
        let w = b.first_chunk()?;
        read(w, kind, values, &mut tuple).or_else(|| read_ipv6(w, kind, values, &mut tuple))
    }?;
    Some((tuple?, len))
}

/// Where `read` puts the tuple it reads.
trait Put {
    fn put(&mut self, tuple: Tuple);
}

/// A record's tuples read.
impl Put for Rows {
    #[inline(always)]
    fn put(&mut self, tuple: Tuple) {
        self.push_tuple(&tuple);
    }
}

/// One tuple, read alone.
impl Put for Option<Tuple> {
    #[inline(always)]
    fn put(&mut self, tuple: Tuple) {
        *self = Some(tuple);
    }
}

/// A run of `flowTuples` strings read whole, from `b` at the first one's opening quote:
/// each tuple is pushed to `out` (with only the values it keeps worked out), and the run
/// goes on while a comma and the next opening quote follow at once (the compact form
/// writers use). Returns the bytes read, up to the last closing quote; 0 when the first
/// string is not read whole. One call for a run
/// rather than one a tuple: the tuple is written where it is kept, not returned and
/// copied (a copy the processor stalls on, its stores not yet done).
pub fn read_run(b: &[u8], kind: LogKind, out: &mut Rows) -> usize {
    if !available() {
        return 0;
    }
    let values = out.keep();
    // SAFETY: the processor has every feature `run` enables (checked just above).
    unsafe { run(b, kind, values, out) }
}

#[target_feature(enable = "avx2,bmi1,bmi2,popcnt")]
fn run(b: &[u8], kind: LogKind, values: Values, out: &mut Rows) -> usize {
    let mut read_to = 0;
    let mut at = 0;
    // The window of the tuple whose opening quote is at `at`.
    let window = |at: usize| match b.get(at) {
        Some(b'"') => b.get(at + 1..).and_then(<[u8]>::first_chunk),
        _ => None,
    };
    loop {
        // IPv4 tuples in a loop of their own, and `read_ipv6` cold: with the call in
        // the same loop, or in this one but not marked cold, every IPv4 tuple reloaded
        // the loop's vector constants and spilled registers, 33 to 75 instructions more
        // on about 500.
        let w = loop {
            let Some(w) = window(at) else {
                return read_to;
            };
            let Some(len) = read(w, kind, values, out) else {
                break w;
            };
            read_to = at + len + 2;
            if b.get(read_to..read_to + 2) != Some(b",\"") {
                return read_to;
            }
            at = read_to + 1;
        };
        let Some(len) = read_ipv6(w, kind, values, out) else {
            return read_to;
        };
        read_to = at + len + 2;
        if b.get(read_to..read_to + 2) != Some(b",\"") {
            return read_to;
        }
        at = read_to + 1;
    }
}

/// Whether the processor has what `read` uses; each answer is cached by std.
#[inline(always)]
fn available() -> bool {
    std::is_x86_feature_detected!("avx2")
        && std::is_x86_feature_detected!("bmi1")
        && std::is_x86_feature_detected!("bmi2")
        && std::is_x86_feature_detected!("popcnt")
}

/// The window's first 128 bytes, one bit a byte: bit k of `comma[0]` is byte k, of
/// `comma[1]` byte 64 + k. Dots and zeros only matter in the addresses, so only the first
/// 64 bytes have theirs.
struct Masks {
    comma: [u64; 2],
    digit: [u64; 2],
    dot: u64,
    zero: u64,
}

#[target_feature(enable = "avx2")]
fn masks(w: &[u8; WINDOW]) -> Masks {
    use std::arch::x86_64::*;
    // SAFETY: the four 32-byte loads are inside the window.
    let v: [__m256i; 4] =
        std::array::from_fn(|k| unsafe { _mm256_loadu_si256(w.as_ptr().add(32 * k).cast()) });
    let equal = |v: __m256i, c: u8| _mm256_cmpeq_epi8(v, _mm256_set1_epi8(c as i8));
    let (comma_low, digit_low) = commas_and_digits([v[0], v[1]]);
    let (comma_high, digit_high) = commas_and_digits([v[2], v[3]]);
    Masks {
        comma: [comma_low, comma_high],
        digit: [digit_low, digit_high],
        dot: bits(equal(v[0], b'.'), equal(v[1], b'.')),
        zero: bits(equal(v[0], b'0'), equal(v[1], b'0')),
    }
}

/// One bit a byte for 64 bytes, from the compares of their two halves.
#[target_feature(enable = "avx2")]
fn bits(low: std::arch::x86_64::__m256i, high: std::arch::x86_64::__m256i) -> u64 {
    use std::arch::x86_64::*;
    _mm256_movemask_epi8(low) as u32 as u64 | (_mm256_movemask_epi8(high) as u32 as u64) << 32
}

/// The commas and the digits of the 64 bytes in `v`, one bit a byte.
#[target_feature(enable = "avx2")]
fn commas_and_digits(v: [std::arch::x86_64::__m256i; 2]) -> (u64, u64) {
    use std::arch::x86_64::*;
    let comma = |v| _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b',' as i8));
    // A digit is a byte 0..=9 once '0' is taken away, unsigned.
    let digit = |v| {
        let d = _mm256_sub_epi8(v, _mm256_set1_epi8(b'0' as i8));
        _mm256_cmpeq_epi8(_mm256_min_epu8(d, _mm256_set1_epi8(9)), d)
    };
    (
        bits(comma(v[0]), comma(v[1])),
        bits(digit(v[0]), digit(v[1])),
    )
}

/// The 64 bits of a 128-byte mask from byte `at` (1 to 63) on.
#[inline(always)]
fn shifted(m: [u64; 2], at: u32) -> u64 {
    m[0] >> at | m[1] << (64 - at)
}

/// Bits `from..to` (both at most 63).
#[inline(always)]
fn span(from: u32, to: u32) -> u64 {
    ((1u64 << to) - 1) & !((1u64 << from) - 1)
}

/// The first `N` set bits' positions, lowest first; 64 for each one `m` lacks.
#[inline(always)]
fn positions<const N: usize>(mut m: u64) -> [u32; N] {
    let mut p = [0; N];
    for x in &mut p {
        *x = m.trailing_zeros();
        m &= m.wrapping_sub(1);
    }
    p
}

/// The byte at `at` (below `REACH`).
#[inline(always)]
fn byte(w: &[u8; WINDOW], at: u32) -> u8 {
    w[at as usize & (REACH - 1)]
}

/// The digits' values in the 8 bytes at `at` (below `REACH`).
#[inline(always)]
fn word(w: &[u8; WINDOW], at: u32) -> u64 {
    let at = at as usize & (REACH - 1);
    digit_values(&w[at..at + 8])
}

/// The number of `len` digits (0 to 16, none is 0) at `at` (at most `REACH` - 16); the
/// masks said they are digits. Only where the processor has AVX2 (every caller runs
/// after `available()`).
#[inline(always)]
fn number(w: &[u8; WINDOW], at: u32, len: u32) -> u64 {
    if len > 8 {
        // SAFETY: the processor has AVX2 (see above).
        unsafe { long_number(w, at, len) }
    } else {
        // Without a branch: an empty counter (every NSG begin) reads a word and keeps none
        // of it.
        let value = swar_value(word(w, at) << ((8 * (8 - len)) & 63));
        value & 0u64.wrapping_sub(u64::from(len != 0))
    }
}

/// A number of 9 to 16 digits at `at` (at most `REACH` - 16) from one 16-byte load: the
/// digits moved to the register's end (zeros before them), read by `halves_read`, and
/// the two halves joined. Two 8-digit words joined by multiplies took twice the
/// instructions.
#[target_feature(enable = "avx2")]
fn long_number(w: &[u8; WINDOW], at: u32, len: u32) -> u64 {
    use std::arch::x86_64::*;
    let digits = &w[at as usize & (REACH - 1)..][..16];
    let order = &RIGHT_ALIGNED[(len as usize).min(16)];
    // SAFETY: each load reads the 16 bytes of its slice, in both lanes.
    let halves = unsafe {
        halves_read(
            _mm256_loadu2_m128i(digits.as_ptr().cast(), digits.as_ptr().cast()),
            _mm256_loadu2_m128i(order.as_ptr().cast(), order.as_ptr().cast()),
        )
    };
    halves[0] * 100_000_000 + halves[1]
}

/// The values of the digits `order` places in `text`: each 8-byte half of a lane ends
/// with a number of up to 8 digits, zeros before. The digits are joined by
/// multiply-adds, two, four, then eight. Gives the four halves' values, lowest first.
#[target_feature(enable = "avx2")]
fn halves_read(text: std::arch::x86_64::__m256i, order: std::arch::x86_64::__m256i) -> [u64; 4] {
    use std::arch::x86_64::*;
    let values = _mm256_shuffle_epi8(_mm256_sub_epi8(text, _mm256_set1_epi8(b'0' as i8)), order);
    let pairs = _mm256_maddubs_epi16(values, _mm256_set1_epi16(0x010a));
    let fours = _mm256_madd_epi16(pairs, _mm256_set1_epi32(0x0001_0064));
    let eights = _mm256_madd_epi16(
        _mm256_packus_epi32(fours, fours),
        _mm256_set1_epi32(0x0001_2710),
    );
    let lane = |v: i32| v as u32 as u64;
    [
        lane(_mm256_extract_epi32::<0>(eights)),
        lane(_mm256_extract_epi32::<1>(eights)),
        lane(_mm256_extract_epi32::<4>(eights)),
        lane(_mm256_extract_epi32::<5>(eights)),
    ]
}

/// The time (`time_len` digits, 0 to 16, at the tuple's start) and both ports (`lens`
/// digits, 1 to 5 each, from `sport_at`, a comma between), in one `halves_read`: the
/// time in one 16-byte lane, each port at the end of a half of the other. Three numbers each joined by
/// multiplies took three times the instructions, on every tuple.
#[target_feature(enable = "avx2")]
fn time_and_ports(w: &[u8; WINDOW], time_len: u32, sport_at: u32, lens: [u32; 2]) -> [u64; 3] {
    use std::arch::x86_64::*;
    let ports = &w[sport_at as usize & (REACH - 1)..][..16];
    let time_order = &RIGHT_ALIGNED[(time_len as usize).min(16)];
    let port_order = &PORTS_ALIGNED[(lens[0] as usize).min(5)][(lens[1] as usize).min(5)];
    // SAFETY: each load reads the 16 bytes of its slice or table entry.
    let [time_high, time_low, sport, dport] = unsafe {
        halves_read(
            _mm256_loadu2_m128i(ports.as_ptr().cast(), w.as_ptr().cast()),
            _mm256_loadu2_m128i(port_order.as_ptr().cast(), time_order.as_ptr().cast()),
        )
    };
    [time_high * 100_000_000 + time_low, sport, dport]
}

/// For a source port of `a` digits and a destination port of `b` (`a` digits, a comma,
/// `b` digits at a register's start), the shuffle that puts each at the end of a half of
/// it, zeros before.
const PORTS_ALIGNED: [[[u8; 16]; 6]; 6] = {
    let mut table = [[[0x80u8; 16]; 6]; 6];
    let mut a = 0;
    while a <= 5 {
        let mut b = 0;
        while b <= 5 {
            let mut k = 0;
            while k < a {
                table[a][b][8 - a + k] = k as u8;
                k += 1;
            }
            k = 0;
            while k < b {
                table[a][b][16 - b + k] = (a + 1 + k) as u8;
                k += 1;
            }
            b += 1;
        }
        a += 1;
    }
    table
};

/// For `len` digits at a register's start, the shuffle that moves them to its end: byte
/// k takes byte k - (16 - len), and the bytes before the digits are zeroed.
const RIGHT_ALIGNED: [[u8; 16]; 17] = {
    let mut table = [[0x80u8; 16]; 17];
    let mut len = 0;
    while len <= 16 {
        let mut k = 16 - len;
        while k < 16 {
            table[len][k] = (k - (16 - len)) as u8;
            k += 1;
        }
        len += 1;
    }
    table
};

/// The two addresses, fields 1 and 2, between the commas at `p0`, `p1` and `p2`: the
/// bytes between them are digits and dots (checked by the caller). Unless `values`, they
/// are only checked, and given as 0.0.0.0.
#[target_feature(enable = "avx2,bmi1,bmi2,popcnt")]
fn addresses(
    w: &[u8; WINDOW],
    m: &Masks,
    [p0, p1, p2]: [u32; 3],
    values: bool,
) -> Option<[[u8; 4]; 2]> {
    use std::arch::x86_64::*;
    let both = span(p0 + 1, p2);
    let dots = m.dot & both;
    // Empty octets (two separators side by side), octets of four digits or more, and
    // leading zeros (an octet's first digit is 0 and a digit follows it).
    let separators = dots | 1 << p0 | 1 << p1 | 1 << p2;
    let digit = m.digit[0];
    let four = digit & digit >> 1 & digit >> 2 & digit >> 3;
    let leading_zero = separators << 1 & both & m.zero & digit >> 1;
    let (src_dots, dst_dots) = (dots & span(p0 + 1, p1), dots & span(p1 + 1, p2));
    if separators & separators >> 1 != 0
        || four & both != 0
        || leading_zero != 0
        || src_dots.count_ones() != 3
        || dst_dots.count_ones() != 3
    {
        return None;
    }
    if !values {
        return (!octet_over_255(w, separators, both, digit)).then_some([[0; 4]; 2]);
    }
    // Each octet is now 1 to 3 digits: the shuffle for their lengths puts them in place.
    let shuffle = |start: u32, dots: u64, end: u32| {
        let [a, b, c] = positions::<3>(dots);
        super::ipv4::shuffle([a - start, b - a - 1, c - b - 1, end - c - 1])
    };
    let (src, dst) = (p0 as usize + 1, p1 as usize + 1);
    let (src_order, dst_order) = (shuffle(p0 + 1, src_dots, p1), shuffle(p1 + 1, dst_dots, p2));
    // SAFETY: both addresses start by byte `HEAD_END`, so their 16 bytes are in the window.
    let (text, order) = unsafe {
        (
            _mm256_loadu2_m128i(
                w.as_ptr().add(dst & 63).cast(),
                w.as_ptr().add(src & 63).cast(),
            ),
            _mm256_loadu2_m128i(dst_order.as_ptr().cast(), src_order.as_ptr().cast()),
        )
    };
    let values = _mm256_sub_epi8(text, _mm256_set1_epi8(b'0' as i8));
    let lanes = _mm256_shuffle_epi8(values, order);
    let weights = _mm256_setr_epi8(
        100, 10, 1, 0, 100, 10, 1, 0, 100, 10, 1, 0, 100, 10, 1, 0, 100, 10, 1, 0, 100, 10, 1, 0,
        100, 10, 1, 0, 100, 10, 1, 0,
    );
    // Hundreds and tens, ones and zero: two 16-bit sums a lane, then one 32-bit value.
    let octets = _mm256_madd_epi16(_mm256_maddubs_epi16(lanes, weights), _mm256_set1_epi16(1));
    if _mm256_movemask_epi8(_mm256_cmpgt_epi32(octets, _mm256_set1_epi32(255))) != 0 {
        return None;
    }
    let low_bytes = _mm256_setr_epi8(
        0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1,
    );
    let packed = _mm256_shuffle_epi8(octets, low_bytes);
    let src = _mm256_extract_epi32::<0>(packed) as u32;
    let dst = _mm256_extract_epi32::<4>(packed) as u32;
    Some([src.to_le_bytes(), dst.to_le_bytes()])
}

/// Whether an octet of the addresses in `both` is over 255, from masks alone: a
/// three-digit octet (no octet is longer) is over when its first digit is above 2, or
/// it is 2 and the second is above 5, or they are 25 and the third is above 5. Cheaper
/// than the octets' values, which a load that keeps no addresses does not need.
#[target_feature(enable = "avx2")]
fn octet_over_255(w: &[u8; WINDOW], separators: u64, both: u64, digit: u64) -> bool {
    use std::arch::x86_64::*;
    // SAFETY: the two 32-byte loads are inside the window.
    let v: [__m256i; 2] =
        std::array::from_fn(|k| unsafe { _mm256_loadu_si256(w.as_ptr().add(32 * k).cast()) });
    let bits = |a, b| {
        _mm256_movemask_epi8(a) as u32 as u64 | (_mm256_movemask_epi8(b) as u32 as u64) << 32
    };
    // Signed compares: a byte from 0x80 up is below every digit, and only digits are
    // looked at.
    let above = |c: u8| {
        let c = _mm256_set1_epi8(c as i8);
        bits(_mm256_cmpgt_epi8(v[0], c), _mm256_cmpgt_epi8(v[1], c))
    };
    let equal = |c: u8| {
        let c = _mm256_set1_epi8(c as i8);
        bits(_mm256_cmpeq_epi8(v[0], c), _mm256_cmpeq_epi8(v[1], c))
    };
    let (above_2, is_2, above_5, is_5) = (above(b'2'), equal(b'2'), above(b'5'), equal(b'5'));
    let three = separators << 1 & both & digit >> 1 & digit >> 2;
    three & (above_2 | is_2 & (above_5 >> 1 | is_5 >> 1 & above_5 >> 2)) != 0
}

/// The head (time and addresses) from the first 64 bytes' masks, then the tail (the other
/// ten fields) from the masks of the 64 bytes after the destination address's comma.
#[target_feature(enable = "avx2,bmi1,bmi2,popcnt")]
#[inline]
fn read(w: &[u8; WINDOW], kind: LogKind, values: Values, out: &mut impl Put) -> Option<usize> {
    let m = masks(w);
    // Fewer than three commas puts a 64 here.
    let [p0, p1, p2] = positions::<3>(m.comma[0]);
    if p2 > HEAD_END || !(1..=16).contains(&p0) {
        return None;
    }
    // Before the third comma: digits, two commas, and dots after the first comma.
    if span(0, p2) & !m.digit[0] != 1 << p0 | 1 << p1 | (m.dot & span(p0 + 1, p2)) {
        return None;
    }
    let [src, dst] = addresses(w, &m, [p0, p1, p2], values.addresses)?;
    let base = p2 + 1;
    let head = Head {
        time_digits: p0,
        base,
        comma: shifted(m.comma, base),
        digit: shifted(m.digit, base),
        addresses: [IpAddr::V4(src.into()), IpAddr::V4(dst.into())],
    };
    tail(w, head, kind, values, out)
}

/// `read` for a tuple of two IPv6 addresses (a few percent of the tuples in the logs
/// measured), tried where `read` fails: each address is read up to the first byte that is
/// neither a hex digit nor a colon, where its comma must be. Anything else (an IPv4
/// address beside one, an embedded IPv4 address, a zone) is left to the field-by-field
/// parser. Out of line and cold for IPv4's sake (see `run`).
#[target_feature(enable = "avx2,bmi1,bmi2,popcnt")]
#[cold]
#[inline(never)]
fn read_ipv6(w: &[u8; WINDOW], kind: LogKind, values: Values, out: &mut impl Put) -> Option<usize> {
    let (comma, digit) = masks_64(w, 0);
    let p0 = comma.trailing_zeros();
    if !(1..=16).contains(&p0) || span(0, p0) & !digit != 0 {
        return None;
    }
    let (src, p1) = ipv6_field(w, p0, values.addresses)?;
    let (dst, p2) = ipv6_field(w, p1, values.addresses)?;
    let base = p2 + 1;
    let (comma, digit) = masks_64(w, base);
    let addresses = [src, dst];
    let head = Head {
        time_digits: p0,
        base,
        comma,
        digit,
        addresses,
    };
    tail(w, head, kind, values, out)
}

/// The IPv6 address after the comma at `comma` (at most 56: a time of 16 digits and an
/// address of 39 bytes) and the comma that ends it. Unless `value`, the address is only
/// checked, and given as 0.0.0.0, as IPv4's are.
#[inline(always)]
fn ipv6_field(w: &[u8; WINDOW], comma: u32, value: bool) -> Option<(IpAddr, u32)> {
    let from = (comma as usize + 1) & 63;
    let window = w[from..].first_chunk()?;
    let (address, len) = match value {
        true => super::ipv6::prefix_in(window).map(|(a, len)| (IpAddr::V6(a), len))?,
        false => (
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            super::ipv6::length_in(window)?,
        ),
    };
    let end = comma + 1 + len as u32;
    (byte(w, end) == b',').then_some((address, end))
}

/// The commas and digits of the 64 bytes from `at` (at most 97: a time of 16 digits and
/// two IPv6 addresses of 39 bytes, each with its comma), one bit a byte. An IPv6 tuple's
/// tail starts past where 64 bytes of `masks`' 128 still follow.
#[target_feature(enable = "avx2")]
fn masks_64(w: &[u8; WINDOW], at: u32) -> (u64, u64) {
    use std::arch::x86_64::*;
    let at = at as usize & 127;
    let bytes = &w[at..at + 64];
    // SAFETY: the two 32-byte loads read the 64 bytes of `bytes`.
    let v: [__m256i; 2] =
        std::array::from_fn(|k| unsafe { _mm256_loadu_si256(bytes.as_ptr().add(32 * k).cast()) });
    commas_and_digits(v)
}

/// What the head leaves the tail: the time's length, where the tail starts (`base`), the
/// masks of the 64 bytes from there, and the addresses.
struct Head {
    time_digits: u32,
    base: u32,
    comma: u64,
    digit: u64,
    addresses: [IpAddr; 2],
}

/// The ten fields after the addresses, then the tuple put. Letters are looked up rather
/// than matched, and empty counters need no branch: random letters and states would
/// otherwise mispredict a branch in most tuples.
#[inline(always)]
fn tail(
    w: &[u8; WINDOW],
    head: Head,
    kind: LogKind,
    values: Values,
    out: &mut impl Put,
) -> Option<usize> {
    let Head {
        time_digits: p0,
        base,
        comma,
        digit,
        addresses: [src, dst],
    } = head;
    // Nine commas after `base`, the last counter's digits, the closing quote.
    let q = positions::<9>(comma);
    if q[8] >= 63 {
        return None;
    }
    let end = q[8] + 1 + (!(digit >> (q[8] + 1))).trailing_zeros();
    if end > 63 || byte(w, base + end) != b'"' {
        return None;
    }
    // Tail field k: sport, dport, protocol, direction, then NSG's decision and state or
    // VNet's state and encryption, then four counters.
    let mut starts = [base; 10];
    let mut lens = [q[0]; 10];
    for k in 1..9 {
        starts[k] = base + q[k - 1] + 1;
        lens[k] = q[k] - q[k - 1] - 1;
    }
    starts[9] = base + q[8] + 1;
    lens[9] = end - q[8] - 1;
    let letter = |k: usize| byte(w, starts[k]) as usize;
    let (proto, letter_bits, shape) = match kind {
        LogKind::Nsg => {
            let proto = PROTOCOL[letter(2)];
            (proto, 0b0101_0101 << (q[1] + 1), lens[2..6] == [1; 4])
        }
        LogKind::Vnet => {
            let proto = u8::try_from(number(w, starts[2], lens[2].min(3))).ok();
            let bits = 1 << (q[2] + 1) | 1 << (q[3] + 1) | span(q[4] + 1, q[5]);
            let ok = (1..=3).contains(&lens[2])
                && lens[3] == 1
                && lens[4] == 1
                && (1..=2).contains(&lens[5]);
            (proto, bits, ok)
        }
    };
    // Every byte is a digit, a comma, or a letter where a letter belongs: so a quote, a
    // backslash, a space or a sign fails here.
    let odd = span(0, end) & !comma & !digit;
    if !shape
        || odd != letter_bits
        || !(1..=5).contains(&lens[0])
        || !(1..=5).contains(&lens[1])
        || lens[6..].iter().any(|&n| n > 16)
    {
        return None;
    }
    // SAFETY: the processor has AVX2 (every caller runs after `available()`).
    let [time, sport, dport] = unsafe { time_and_ports(w, p0, starts[0], [lens[0], lens[1]]) };
    let (time_ms, decision, state, encryption) = match kind {
        LogKind::Nsg => (
            (time <= MAX_SECS).then_some(time * 1000),
            DECISION[letter(4)],
            NSG_STATE[letter(5)],
            None,
        ),
        LogKind::Vnet => {
            let state = VNET_STATE[letter(4)];
            let decision = match state {
                Some(FlowState::Deny) => Decision::Deny,
                _ => Decision::Allow,
            };
            let encryption = match (lens[5], byte(w, starts[5]), byte(w, starts[5] + 1)) {
                (1, b'X', _) => Encryption::X,
                (2, b'N', b'X') => Encryption::Nx,
                _ => return None,
            };
            (
                (time / 1000 <= MAX_SECS).then_some(time),
                Some(decision),
                state,
                Some(encryption),
            )
        }
    };
    let (Some(proto), Some(dir), Some(time_ms), Some(decision), Some(state)) =
        (proto, DIRECTION[letter(3)], time_ms, decision, state)
    else {
        return None;
    };
    let (Ok(sport), Ok(dport)) = (u16::try_from(sport), u16::try_from(dport)) else {
        return None;
    };
    let counter = |k: usize| number(w, starts[k], lens[k]);
    let counters = match values.counters {
        true => Counters {
            packets_out: counter(6),
            bytes_out: counter(7),
            packets_in: counter(8),
            bytes_in: counter(9),
        },
        // Their digits are checked above: only the values are skipped.
        false => Counters::default(),
    };
    out.put(Tuple {
        time_ms: time_ms as i64,
        src,
        dst,
        sport,
        dport,
        proto,
        dir,
        decision,
        state: Some(state),
        encryption,
        counters,
    });
    Some((base + end) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::tuple::{fast, parse_checked};
    use proptest::prelude::*;
    use std::net::Ipv6Addr;

    /// Whether this processor reads tuples whole. Under CI it must, or the tests below
    /// would check nothing.
    fn reads_whole() -> bool {
        if !available() {
            assert!(
                std::env::var("CI").is_err(),
                "no AVX2 here: the whole-tuple reader would go untested"
            );
            eprintln!("no AVX2 here: the whole-tuple reader is not tested");
        }
        available()
    }

    /// `body` as a `flowTuples` string: its closing quote, then `after` and spaces to fill
    /// the window.
    fn quoted(body: &str, after: &str) -> Vec<u8> {
        let mut text = format!("{body}\"{after}").into_bytes();
        text.resize(text.len().max(WINDOW), b' ');
        text
    }

    /// What the whole-tuple reader makes of `body`, held to the checked parser: what it
    /// reads is what the checked parser reads, up to the closing quote. Skipping the
    /// counters' and addresses' values changes nothing else.
    fn read_checked(body: &str, after: &str, kind: LogKind) -> Option<Tuple> {
        let text = quoted(body, after);
        let checked_only = parse_quoted(&text, kind, Values::CHECKED);
        let Some((t, len)) = parse_quoted(&text, kind, Values::ALL) else {
            assert_eq!(checked_only, None, "{body:?}");
            return None;
        };
        let unspecified = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        let without_values = Tuple {
            counters: Counters::default(),
            src: unspecified,
            dst: unspecified,
            ..t
        };
        assert_eq!(checked_only, Some((without_values, len)), "{body:?}");
        assert_eq!(text[len], b'"', "{body:?}");
        let read = std::str::from_utf8(&text[..len]).unwrap();
        assert_eq!(Ok(t), parse_checked(read, kind), "{body:?}");
        assert_eq!(
            fast::parse_quoted_by_field(&text, kind),
            Some((t, len)),
            "{body:?}"
        );
        Some(t)
    }

    #[test]
    fn numbers_of_every_length() {
        if !reads_whole() {
            return;
        }
        let digits = "9876543210987654";
        for len in 0..=16 {
            let mut w = [b','; WINDOW];
            w[3..3 + len].copy_from_slice(&digits.as_bytes()[..len]);
            let expected = digits[..len].parse().unwrap_or(0);
            assert_eq!(number(&w, 3, len as u32), expected, "{len} digits");
        }
    }

    /// Times of every length beside ports of every length, each value its own.
    #[test]
    fn times_and_ports_of_every_length() {
        if !reads_whole() {
            return;
        }
        let digits = "9876543210987654";
        for time_len in 0..=16 {
            for (a, b) in (1..=5).flat_map(|a| (1..=5).map(move |b| (a, b))) {
                let (sport, dport) = (&"65535"[..a], &"40213"[5 - b..]);
                let text = format!("{},{sport},{dport},T", &digits[..time_len]);
                let mut w = [b' '; WINDOW];
                w[..text.len()].copy_from_slice(text.as_bytes());
                let expected = [
                    digits[..time_len].parse().unwrap_or(0),
                    sport.parse().unwrap(),
                    dport.parse().unwrap(),
                ];
                // SAFETY: the processor has AVX2 (`reads_whole`).
                let read = unsafe {
                    time_and_ports(
                        &w,
                        time_len as u32,
                        time_len as u32 + 1,
                        [a as u32, b as u32],
                    )
                };
                assert_eq!(read, expected, "{text}");
            }
        }
    }

    #[test]
    fn spans_and_shifted_masks() {
        assert_eq!(span(0, 0), 0);
        assert_eq!(span(2, 5), 0b11100);
        assert_eq!(span(0, 63), u64::MAX >> 1);
        let m = [0x8000_0000_0000_0001, 0b101];
        assert_eq!(shifted(m, 63), 0b1011);
        assert_eq!(shifted(m, 1), 1 << 62 | 1 << 63);
    }

    /// Where the shapes the reader takes end, each side of the line. `Some(true)`: read
    /// whole; `Some(false)`: left to the field-by-field parser, which reads it; `None`:
    /// refused by every parser.
    #[test]
    fn limits_of_each_field() {
        if !reads_whole() {
            return;
        }
        use LogKind::{Nsg, Vnet};
        let cases = [
            (Nsg, "1,1.1.1.1,2.2.2.2,1,2,T,I,A,B,,,,", Some(true)),
            (Nsg, "4294967295,255.255.255.255,0.0.0.0,65535,0,U,O,D,E,1,2,3,4", Some(true)),
            (Nsg, "4294967296,1.1.1.1,2.2.2.2,1,2,T,I,A,B,,,,", None),
            (Nsg, "0000000000000001,1.1.1.1,2.2.2.2,00080,2,T,I,A,B,,,,", Some(true)),
            (Nsg, "00000000000000001,1.1.1.1,2.2.2.2,1,2,T,I,A,B,,,,", Some(false)),
            (Nsg, "1,1.1.1.1,2.2.2.2,000080,2,T,I,A,B,,,,", Some(false)),
            (Nsg, "1,1.1.1.1,2.2.2.2,65536,2,T,I,A,B,,,,", None),
            (Nsg, "1,1.1.1.1,2.2.2.2,,2,T,I,A,B,,,,", None),
            (Nsg, "1,1.1.1.1,2.2.2.2,1,2,T,I,A,C,9999999999999999,1,1,1", Some(true)),
            (Nsg, "1,1.1.1.1,2.2.2.2,1,2,T,I,A,C,1,1,1,99999999999999999", Some(false)),
            // The ten fields after the addresses in 63 bytes, and in 64.
            (Nsg, "1,1.1.1.1,2.2.2.2,65535,65535,T,I,A,C,1234567,12345678901,1234567,123456789012345", Some(true)),
            (Nsg, "1,1.1.1.1,2.2.2.2,65535,65535,T,I,A,C,1234567,12345678901,1234567,1234567890123456", Some(false)),
            (Nsg, "1,1.1.1.256,2.2.2.2,1,2,T,I,A,B,,,,", None),
            (Nsg, "1,1.1.1.1,2.2.2.02,1,2,T,I,A,B,,,,", None),
            (Nsg, "1,1.1.1.1,2.2..2,1,2,T,I,A,B,,,,", None),
            (Nsg, "1,1.1.1.1,2.2.2.2.2,1,2,T,I,A,B,,,,", None),
            (Nsg, "1,1.1.1.1,2222.2.2.2,1,2,T,I,A,B,,,,", None),
            // Two IPv6 addresses as std writes them, in upper case, with leading zeros:
            // read whole.
            (Nsg, "1,fd00::1,fd00::2,1,2,T,I,A,B,,,,", Some(true)),
            (Nsg, "1732068020,3583:2966:28b3:a8a2:c97b:1431:bf86:38e3,fd00:db8:0:1::4,63342,23,T,I,D,B,,,,", Some(true)),
            (Nsg, "1,FD00:DB8:0:1:A:B:C:D,ABCD::EF,1,2,U,O,D,E,1,2,3,4", Some(true)),
            (Nsg, "1,::,::1,1,2,T,I,A,B,,,,", Some(true)),
            (Nsg, "1,1::,0000:0db8::0001,1,2,T,I,A,B,,,,", Some(true)),
            (Vnet, "1731916800000,fd00::1,2001:db8::2,1,443,17,I,D,NX,1,2,3,4", Some(true)),
            // The longest head, IPv6's, with the longest tail that fits, and one byte more.
            (Nsg, "0000000000000001,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,65535,65535,T,I,A,C,1234567,12345678901,1234567,123456789012345", Some(true)),
            (Nsg, "0000000000000001,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,65535,65535,T,I,A,C,1234567,12345678901,1234567,1234567890123456", Some(false)),
            (Nsg, "00000000000000001,fd00::1,fd00::2,1,2,T,I,A,B,,,,", Some(false)),
            // Malformed ones, refused.
            (Nsg, "1,fd00:::1,fd00::2,1,2,T,I,A,B,,,,", None),
            (Nsg, "1,fd00::1::2,fd00::2,1,2,T,I,A,B,,,,", None),
            (Nsg, "1,fd00::1,fd00::12345,1,2,T,I,A,B,,,,", None),
            (Nsg, "1,1:2:3:4:5:6:7:8:9,fd00::2,1,2,T,I,A,B,,,,", None),
            (Nsg, "1,1:2:3:4:5:6:7,fd00::2,1,2,T,I,A,B,,,,", None),
            (Nsg, "1,fd00::1,:fd00::2,1,2,T,I,A,B,,,,", None),
            (Nsg, "1,fd00::g,fd00::2,1,2,T,I,A,B,,,,", None),
            (Nsg, "1,fd00::1,fd00::2 ,1,2,T,I,A,B,,,,", None),
            (Nsg, "1,fd00::1,fd00::2,1,2,T,I,A,B,,,-1,", None),
            // Beside an IPv4 address, or with one embedded: field by field.
            (Nsg, "1,fd00::1,2.2.2.2,1,2,T,I,A,B,,,,", Some(false)),
            (Nsg, "1,1.1.1.1,fd00::2,1,2,T,I,A,B,,,,", Some(false)),
            (Nsg, "1,::ffff:10.0.0.1,fd00::2,1,2,T,I,A,B,,,,", Some(false)),
            // A zone: not read whole, and std refuses it.
            (Nsg, "1,fd00::1,fe80::1%eth0,1,2,T,I,A,B,,,,", None),
            (Nsg, "1,fd00::1,fd00::2,1,2,t,i,a,b,,,,", Some(false)),
            (Nsg, "1,1.1.1.1,2.2.2.2,1,2,t,i,a,b,,,,", Some(false)),
            (Nsg, "1,1.1.1.1,2.2.2.2,1,2,6,I,A,B,,,,", Some(false)),
            (Nsg, "1,1.1.1.1,2.2.2.2,1,2,T,I,A", Some(false)),
            (Nsg, "1,1.1.1.1,2.2.2.2,1,2,T,I,A,D,,,,", None),
            (Nsg, "1,1.1.1.1,2.2.2.2,1,2,X,I,A,B,,,,", None),
            (Nsg, "1,1.1.1.1,2.2.2.2,1,2,T,I,A,B,,,, ", None),
            (Nsg, "1,1.1.1.1,2.2.2.2,1,2,T,I,A,B,,,,,", None),
            (Nsg, "1,1.1.1.1,2.2.2.2,1,2,T,I,A,B,,,-1,", None),
            (Nsg, "1,1.1.1.1,2.2.2.2,1,2,T,I,AA,B,,,,", None),
            // A dot, a space or a sign where only digits belong.
            (Nsg, "17.5,1.1.1.1,2.2.2.2,1,2,T,I,A,B,,,,", None),
            (Nsg, "17 ,1.1.1.1,2.2.2.2,1,2,T,I,A,B,,,,", None),
            (Nsg, "1,1.1.1.1,2.2.2.2,1.0,2,T,I,A,B,,,,", None),
            (Nsg, "1,1.1.1.1,2.2.2.2,1,+2,T,I,A,B,,,,", None),
            (Nsg, "1,1.1.1.1,2.2.2.2,1,2,T,I,A,C,1,2.5,3,4", None),
            (Nsg, "1,1.1.1.1,2.2.2.2,1,2,T,I,A,C,1,2,3,4\\", None),
            (Nsg, "1,1.1.1.1 ,2.2.2.2,1,2,T,I,A,B,,,,", None),
            (Vnet, "4294967295999,10.0.0.1,10.0.0.2,1,443,6,O,D,NX,0,0,0,0", Some(true)),
            (Vnet, "4294967296000,10.0.0.1,10.0.0.2,1,443,6,O,D,NX,0,0,0,0", None),
            (Vnet, "1,10.0.0.1,10.0.0.2,1,443,255,I,B,X,1,2,3,4", Some(true)),
            (Vnet, "1,10.0.0.1,10.0.0.2,1,443,256,I,B,X,1,2,3,4", None),
            (Vnet, "1,10.0.0.1,10.0.0.2,1,443,0006,I,B,X,1,2,3,4", Some(false)),
            (Vnet, "1,10.0.0.1,10.0.0.2,1,443,T,I,B,X,1,2,3,4", Some(false)),
            (Vnet, "1,10.0.0.1,10.0.0.2,1,443,6,I,C,NX_LOCAL_DST,1,2,3,4", Some(false)),
            (Vnet, "1,10.0.0.1,10.0.0.2,1,443,6,I,E,N,1,2,3,4", None),
            (Vnet, "1,10.0.0.1,10.0.0.2,1,443,6,I,A,X,1,2,3,4", None),
            (Vnet, "1,10.0.0.1,10.0.0.2,1,443,6,I,B,X,,2,3,4", Some(true)),
        ];
        for (kind, body, expected) in cases {
            let whole = read_checked(body, ",\"", kind);
            let checked = parse_checked(body, kind);
            let seen = match (whole, checked) {
                (Some(_), _) => Some(true),
                (None, Ok(_)) => Some(false),
                (None, Err(_)) => None,
            };
            assert_eq!(seen, expected, "{kind:?} {body}");
        }
    }

    /// Octets up to 999 in each of the eight places: over 255 is refused whether the
    /// address values are worked out or only checked (`read_checked` holds the two to
    /// each other and to the checked parser).
    #[test]
    fn octets_over_255_are_refused_in_every_place() {
        if !reads_whole() {
            return;
        }
        for place in 0..8 {
            for octet in 0..1000 {
                let mut octets = ["1"; 8].map(String::from);
                octets[place] = octet.to_string();
                let (src, dst) = (octets[..4].join("."), octets[4..].join("."));
                let body = format!("1732068030,{src},{dst},1,2,T,I,A,B,,,,");
                let read = read_checked(&body, ",\"", LogKind::Nsg);
                assert_eq!(read.is_some(), octet <= 255, "{body}");
            }
        }
    }

    /// A well-formed tuple of either kind, with numbers of any length the reader takes,
    /// leading zeros included, and two IPv4 or two IPv6 addresses.
    fn well_formed() -> impl Strategy<Value = (LogKind, String)> {
        let number = |max: u64, width: usize| {
            (0..=max, 0..=width).prop_map(move |(n, w)| format!("{n:0w$}"))
        };
        let ipv4 = proptest::array::uniform4(0u8..).prop_map(|o| Ipv4Addr::from(o).to_string());
        // Groups zeroed at random, so that std writes runs of them as `::`; sometimes in
        // upper case. Not the addresses std writes with an embedded IPv4 one.
        let ipv6 = (
            proptest::array::uniform8(any::<u16>()),
            any::<u8>(),
            any::<bool>(),
        )
            .prop_map(|(mut groups, zeros, upper)| {
                for (k, g) in groups.iter_mut().enumerate() {
                    if zeros >> k & 1 == 1 {
                        *g = 0;
                    }
                }
                let text = Ipv6Addr::from(groups).to_string();
                match upper {
                    true => text.to_uppercase(),
                    false => text,
                }
            })
            .prop_filter("an embedded IPv4 address", |a| !a.contains('.'));
        let addresses = prop_oneof![(ipv4.clone(), ipv4), (ipv6.clone(), ipv6)];
        // Packets to 7 digits and bytes to 11, so that the ten fields after the addresses
        // fit in their 63 bytes; `limits_of_each_field` has longer ones.
        let (packets, bytes) = (number(9_999_999, 7), number(99_999_999_999, 11));
        let counters =
            (packets.clone(), bytes.clone(), packets, bytes).prop_map(|(a, b, c, d)| [a, b, c, d]);
        (
            any::<bool>(),
            (0..=MAX_SECS, 0..1000u64),
            addresses,
            (number(65535, 5), number(65535, 5), 0..=255u8),
            (any::<bool>(), 0..4usize, any::<bool>()),
            counters,
        )
            .prop_map(
                |(vnet, (secs, ms), (src, dst), (sport, dport, proto), (inbound, state, nx), c)| {
                    let dir = if inbound { 'I' } else { 'O' };
                    let c = c.join(",");
                    if vnet {
                        let state = ['B', 'C', 'E', 'D'][state];
                        let enc = if nx { "NX" } else { "X" };
                        let time = secs * 1000 + ms;
                        let t = format!(
                            "{time},{src},{dst},{sport},{dport},{proto},{dir},{state},{enc},{c}"
                        );
                        (LogKind::Vnet, t)
                    } else {
                        let proto = if nx { 'T' } else { 'U' };
                        let decision = if state < 2 { 'A' } else { 'D' };
                        let tail = match state {
                            0 => "B,,,,".to_string(),
                            1 => format!("C,{c}"),
                            _ => format!("E,{c}"),
                        };
                        let t = format!(
                            "{secs},{src},{dst},{sport},{dport},{proto},{dir},{decision},{tail}"
                        );
                        (LogKind::Nsg, t)
                    }
                },
            )
    }

    /// A run goes on over compact tuples, IPv4 or IPv6, and stops after the last it reads
    /// whole: before one it cannot read (one of each), or a space; it reads nothing when
    /// the first is not whole.
    #[test]
    fn a_run_stops_after_the_last_tuple_it_reads_whole() {
        if !reads_whole() {
            return;
        }
        let a = "1731916800,10.0.0.1,10.0.0.2,1000,22,T,I,A,B,,,,";
        let b = "1731916801,10.0.0.3,10.0.0.4,1001,443,U,O,D,E,1,20,3,40";
        let v6 = "1731916801,fd00::1,2001:db8::2,1000,22,T,I,A,E,1,2,3,4";
        let mixed = "1731916801,fd00::1,10.0.0.2,1000,22,T,I,A,E,1,2,3,4";
        let pad = " ".repeat(WINDOW);
        // Fewer than `WINDOW` bytes after the third tuple's opening quote (left to the
        // other readers), enough after the second's.
        let short = " ".repeat(WINDOW - 1 - a.len() - 3);
        let cases = [
            (format!("\"{a}\",\"{b}\",\"{v6}\",\"{a}\"]{pad}"), 4),
            (format!("\"{v6}\",\"{v6}\",\"{a}\"]{pad}"), 3),
            (format!("\"{a}\",\"{b}\",\"{mixed}\",\"{a}\"]{pad}"), 2),
            (format!("\"{a}\",\"{v6}\",\"{mixed}\",\"{a}\"]{pad}"), 2),
            (format!("\"{a}\",\"{b}\", \"{a}\"]{pad}"), 2),
            (format!("\"{a}\",\"{v6}\", \"{a}\"]{pad}"), 2),
            (format!("\"{a}\",\"{b}\",\"{a}\"]{pad}"), 3),
            (format!("\"{mixed}\",\"{a}\"]{pad}"), 0),
            (format!("\"{a}\",\"{b}\",\"{a}\"]{short}"), 2),
            (format!("\"{a}\",\"{v6}\",\"{a}\"]{short}"), 2),
        ];
        for (text, tuples) in cases {
            let mut out = Rows::default();
            let read = read_run(text.as_bytes(), LogKind::Nsg, &mut out);
            assert_eq!(out.len(), tuples, "{text}");
            let bodies: Vec<&str> = text.split('"').skip(1).step_by(2).take(tuples).collect();
            let mut expected = Rows::default();
            for t in &bodies {
                expected.push(parse_checked(t, LogKind::Nsg));
            }
            assert_eq!(out, expected, "{text}");
            // Up to the last closing quote read.
            let end = bodies
                .iter()
                .map(|t| t.len() + 3)
                .sum::<usize>()
                .saturating_sub(1);
            assert_eq!(read, end, "{text}");
        }
    }

    proptest! {
        // Each case takes microseconds, and a damaged byte must land in each field often.
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn every_well_formed_tuple_is_read_whole(
            (kind, body) in well_formed(), after in "[\",\\]0-9a-f. ]{0,160}",
        ) {
            if !reads_whole() {
                return Ok(());
            }
            prop_assert!(read_checked(&body, &after, kind).is_some(), "{:?} {}", kind, body);
        }

        /// One to three bytes changed, put in or taken out, anywhere: what is still read
        /// whole is what the checked parser reads.
        #[test]
        fn damaged_tuples_are_read_as_the_checked_parser_reads_them(
            (kind, body) in well_formed(),
            edits in proptest::collection::vec((0..3u8, any::<proptest::sample::Index>(), "[0-9a-f,.\"\\\\ :xTUIOADBCENX-]"), 1..=3),
            after in "[\",\\]0-9 ]{0,20}",
        ) {
            if !reads_whole() {
                return Ok(());
            }
            let mut b = body.into_bytes();
            for (how, at, c) in edits {
                let at = at.index(b.len() + 1);
                match how {
                    0 if at < b.len() => b[at] = c.as_bytes()[0],
                    1 => b.insert(at, c.as_bytes()[0]),
                    _ if at < b.len() => { b.remove(at); }
                    _ => {}
                }
            }
            let body = String::from_utf8(b).unwrap();
            // `read_checked` holds what is read to the checked parser, to the first quote.
            read_checked(&body, &after, kind);
        }
    }
}

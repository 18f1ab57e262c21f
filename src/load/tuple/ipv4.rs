//! A dotted IPv4 address read from the 16 bytes that start it: two of them in every tuple,
//! about a third of the tuple parser's time. Where the processor has SSSE3 (nearly every
//! x86-64 in use), one shuffle puts every octet's digits in place and two multiply-adds
//! give the four values: 7–11% less CPU for a count over 2M tuples than the portable
//! reading, which every other processor uses. Both accept exactly what reading octet by
//! octet accepts: 1 to 3 digits an octet, no leading zero, at most 255, three dots.

use super::fast::{digit_values, non_digits, octet_value};

/// The address at the start of `w` and its length. An address is at most 15 bytes, so
/// its end is inside the window.
#[inline(always)]
pub fn in_window(w: &[u8; 16]) -> Option<([u8; 4], usize)> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("ssse3") {
        // SAFETY: the processor has SSSE3, checked just above (the answer is cached).
        return unsafe { shuffled(w) };
    }
    swar(w)
}

/// Portable: one mask of the bytes that are not digits gives the three dots and the end,
/// and each octet's value comes from the loaded bytes.
#[inline(always)]
fn swar(w: &[u8; 16]) -> Option<([u8; 4], usize)> {
    let (lo, hi) = (digit_values(&w[..8]), digit_values(&w[8..16]));
    // Bit k set where byte k is not a digit, the top bits gathered by one multiply.
    let gather = |x: u64| ((non_digits(x) >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32;
    let mut stops = gather(lo) | gather(hi) << 8;
    let digits = (lo as u128) | (hi as u128) << 64;
    let mut octets = [0u8; 4];
    let mut start = 0u32;
    for (k, octet) in octets.iter_mut().enumerate() {
        let end = stops.trailing_zeros();
        let n = end.wrapping_sub(start);
        // Ending inside the window, a dot after each of the first three.
        if end > 15 || (k < 3 && w[end as usize] != b'.') {
            return None;
        }
        stops &= stops - 1;
        *octet = octet_value((digits >> (8 * start)) as u32, n)?;
        start = end + 1;
    }
    Some((octets, start as usize - 1))
}

/// For each combination of octet lengths (1 to 3 digits each), the shuffle that puts each
/// octet's digits in a 4-byte lane of its own: hundreds, tens, ones, then zero, a missing
/// digit zero too (0x80 makes a zero byte). Index `27 (l0 - 1) + 9 (l1 - 1) + 3 (l2 - 1)
/// + (l3 - 1)`.
#[cfg(target_arch = "x86_64")]
static SHUFFLES: [[u8; 16]; 81] = shuffles();

/// The shuffle for octets of `lengths` digits (each 1 to 3); the whole-tuple reader
/// (`whole.rs`) takes one for each of its two addresses.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn shuffle(lengths: [u32; 4]) -> &'static [u8; 16] {
    let [a, b, c, d] = lengths.map(|n| n as usize - 1);
    &SHUFFLES[27 * a + 9 * b + 3 * c + d]
}

#[cfg(target_arch = "x86_64")]
const fn shuffles() -> [[u8; 16]; 81] {
    let mut table = [[0x80u8; 16]; 81];
    let mut id = 0;
    while id < 81 {
        let lengths = [id / 27 + 1, id / 9 % 3 + 1, id / 3 % 3 + 1, id % 3 + 1];
        let mut start = 0;
        let mut k = 0;
        while k < 4 {
            let len = lengths[k];
            let mut d = 0;
            while d < len {
                // The ones digit lands in byte 2 of the lane, the others before it.
                table[id][4 * k + 3 - len + d] = (start + d) as u8;
                d += 1;
            }
            start += len + 1;
            k += 1;
        }
        id += 1;
    }
    table
}

/// `swar` with SSSE3: the octets' ends come from one mask as there, and their values
/// from one shuffle and two multiply-adds rather than four rounds of shifts.
///
/// # Safety
/// The processor must have SSSE3.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
unsafe fn shuffled(w: &[u8; 16]) -> Option<([u8; 4], usize)> {
    use std::arch::x86_64::*;
    let v = _mm_loadu_si128(w.as_ptr().cast());
    let values = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
    // A digit is a byte now 0..=9, unsigned.
    let is_digit = _mm_cmpeq_epi8(_mm_min_epu8(values, _mm_set1_epi8(9)), values);
    let digits = _mm_movemask_epi8(is_digit) as u32;
    let dots = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'.' as i8))) as u32;
    let zeros = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'0' as i8))) as u32;
    // The first four bytes that are not digits; past the window, bits 16 to 19 stand in,
    // so each position is below 20 and every shift below is defined.
    let mut stops = (!digits & 0xffff) | 0xf_0000;
    let mut ends = [0u32; 4];
    for end in &mut ends {
        *end = stops.trailing_zeros();
        stops &= stops - 1;
    }
    let lengths = [
        ends[0],
        ends[1] - ends[0] - 1,
        ends[2] - ends[1] - 1,
        ends[3] - ends[2] - 1,
    ];
    let bad_length = lengths.iter().any(|&n| !(1..=3).contains(&n));
    let separators = 1 << ends[0] | 1 << ends[1] | 1 << ends[2];
    // A leading zero: an octet's first digit is 0 and a digit follows it.
    let leading_zero = zeros & (1 | separators << 1) & (digits >> 1);
    if bad_length || ends[3] > 15 || separators & !dots != 0 || leading_zero != 0 {
        return None;
    }
    let lanes = _mm_shuffle_epi8(values, _mm_loadu_si128(shuffle(lengths).as_ptr().cast()));
    let weights = _mm_setr_epi8(100, 10, 1, 0, 100, 10, 1, 0, 100, 10, 1, 0, 100, 10, 1, 0);
    // Hundreds and tens, ones and zero: two 16-bit sums a lane, then one 32-bit value.
    let octets = _mm_madd_epi16(_mm_maddubs_epi16(lanes, weights), _mm_set1_epi16(1));
    if _mm_movemask_epi8(_mm_cmpgt_epi32(octets, _mm_set1_epi32(255))) != 0 {
        return None;
    }
    let low_bytes = _mm_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    let packed = _mm_cvtsi128_si32(_mm_shuffle_epi8(octets, low_bytes)) as u32;
    Some((packed.to_le_bytes(), ends[3] as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference both window readers must agree with: the address ends at the fourth
    /// byte that is not a digit, and what comes before it is read as the checked parser
    /// reads an address field (its own test holds it to the standard library).
    fn by_octet(w: &[u8; 16]) -> Option<([u8; 4], usize)> {
        let end = w
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.is_ascii_digit())
            .nth(3)?
            .0;
        let address = crate::load::tuple::ipv4(&w[..end])?;
        Some((address.octets(), end))
    }

    fn window(text: &str) -> [u8; 16] {
        let mut w = [b','; 16];
        let n = text.len().min(16);
        w[..n].copy_from_slice(&text.as_bytes()[..n]);
        w
    }

    fn assert_agree(w: &[u8; 16]) {
        let expected = by_octet(w);
        let text = String::from_utf8_lossy(w);
        assert_eq!(swar(w), expected, "portable, {text:?}");
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("ssse3") {
            // SAFETY: checked just above.
            assert_eq!(unsafe { shuffled(w) }, expected, "SSSE3, {text:?}");
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_table_places_every_digit_once_in_order() {
        for (id, shuffle) in SHUFFLES.iter().enumerate() {
            let used: Vec<u8> = shuffle.iter().copied().filter(|&b| b != 0x80).collect();
            let digits = used.len();
            assert!(used.windows(2).all(|p| p[0] < p[1]), "{id}: {shuffle:?}");
            // The ones digit of each octet is byte 2 of its lane.
            assert!((0..4).all(|k| shuffle[4 * k + 2] != 0x80), "{id}");
            assert!((4..=12).contains(&digits), "{id}");
        }
    }

    #[test]
    fn every_length_combination_and_the_edges_of_each_octet() {
        let values = [
            "0", "7", "10", "99", "100", "199", "255", "256", "299", "999",
        ];
        let refusals = ["00", "01", "010", "1000", ""];
        let all: Vec<&str> = values.iter().chain(&refusals).copied().collect();
        for a in &all {
            for b in &values {
                for c in &all {
                    for d in &values {
                        for tail in ["", ",", "\"", ".", "5", "a"] {
                            assert_agree(&window(&format!("{a}.{b}.{c}.{d}{tail}")));
                        }
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        /// Windows mostly made of digits and dots, so that most are near-addresses.
        #[test]
        fn window_readers_agree_with_octet_by_octet(text in "[0-9.]{0,16}[,\"a0-9.]{0,4}") {
            assert_agree(&window(&text));
        }
    }
}

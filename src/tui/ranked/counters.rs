//! Rows by bytes or packets (in plus out), by counting. A value below `EXACT` is a rank of
//! its own (most counters: a minute of one flow, and every `B` tuple's 0). A larger one
//! ranks by its bit length and the 12 bits after its leading one, so a rank holds values
//! that differ only in their low bits; its rows are then sorted by those bits packed with
//! their row ids, a rank at a time. Sorted as one packed run instead (40% of the generated
//! rows' bytes are large), 100M rows took 4.8–5.6 s, 8 bytes a large row, with no way to
//! stop early; compared row by row, 10M rows by packets took 5.5 s.

use super::STALE_STEP;
use crate::model::Counters;
use crate::selection::Selection;
use crate::store::CounterColumn;

/// Values below this are ranked exactly.
const EXACT: u64 = 1 << 17;
/// Bits after the leading one that tell ranks of large values apart.
const SPLIT: u32 = 12;
/// Exact ranks, then `1 << SPLIT` for each bit length from 18 to 64.
const RANKS: usize = EXACT as usize + (64 - 17) * (1 << SPLIT);

/// The rank of `value`: ranks follow values' order, and values of one rank below
/// `EXACT` are equal.
fn rank(value: u64) -> usize {
    if value < EXACT {
        return value as usize;
    }
    let bits = 64 - value.leading_zeros();
    let top = (value >> (bits - 1 - SPLIT)) as usize & ((1 << SPLIT) - 1);
    EXACT as usize + (bits as usize - 18) * (1 << SPLIT) + top
}

/// The least value of large rank `rank`.
fn base(rank: usize) -> u64 {
    let i = rank - EXACT as usize;
    let bits = 18 + (i >> SPLIT) as u32;
    let top = (i & ((1 << SPLIT) - 1)) as u64;
    1 << (bits - 1) | top << (bits - 1 - SPLIT)
}

/// The rows of `sel` by bytes (`bytes`) or packets, stably; `None` as soon as `stale`
/// says the answer is no longer wanted.
pub(super) fn sort(
    column: &CounterColumn,
    bytes: bool,
    sel: &Selection,
    stale: &dyn Fn() -> bool,
) -> Option<Vec<u32>> {
    let value = |c: Counters| if bytes { c.bytes() } else { c.packets() };
    // Where each rank's rows start, then (while placing) where its next row goes. Rows
    // come in ascending order, which the counter cursor reads fastest.
    let mut next = vec![0u32; RANKS + 1];
    let mut cursor = column.cursor();
    for (i, row) in sel.iter().enumerate() {
        if i % STALE_STEP == STALE_STEP - 1 && stale() {
            return None;
        }
        next[rank(value(cursor.at(row as usize))) + 1] += 1;
    }
    for r in 1..next.len() {
        next[r] += next[r - 1];
    }
    if stale() {
        return None;
    }
    let large = next[EXACT as usize] as usize;
    // Zeros the system hands out untouched; every slot is written below.
    let mut rows = vec![0u32; sel.len()];
    // For each large row (by its place), its value less its rank's least value.
    let mut rests = vec![0u32; sel.len() - large];
    // Large ranks with a rest wider than 32 bits (values of 2^45 and more).
    let mut wide = vec![false; RANKS - EXACT as usize];
    let mut cursor = column.cursor();
    for row in sel.iter() {
        let v = value(cursor.at(row as usize));
        let r = rank(v);
        let at = next[r] as usize;
        next[r] += 1;
        rows[at] = row;
        if r >= EXACT as usize {
            match u32::try_from(v - base(r)) {
                Ok(rest) => rests[at - large] = rest,
                Err(_) => wide[r - EXACT as usize] = true,
            }
        }
    }
    // Each rank's next slot is now where its rows end; each large rank's rows are still
    // ascending.
    let mut packed = Vec::new();
    let (mut start, mut since_check) = (large, 0);
    for r in EXACT as usize..RANKS {
        let end = next[r] as usize;
        let (bucket, bucket_rests) = (&mut rows[start..end], &rests[start - large..end - large]);
        start = end;
        if bucket.len() < 2 {
            continue;
        }
        since_check += bucket.len();
        if since_check >= STALE_STEP {
            since_check = 0;
            if stale() {
                return None;
            }
        }
        // Row ids break ties, so the unstable sorts give the stable order.
        if wide[r - EXACT as usize] {
            let mut cursor = column.cursor();
            let mut pairs: Vec<(u64, u32)> = bucket
                .iter()
                .map(|&row| (value(cursor.at(row as usize)), row))
                .collect();
            pairs.sort_unstable();
            for (slot, (_, row)) in bucket.iter_mut().zip(pairs) {
                *slot = row;
            }
        } else {
            super::sort_packed(bucket, |i, _| bucket_rests[i], &mut packed);
        }
    }
    Some(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_values_and_bases_start_them() {
        let mut values: Vec<u64> = vec![0, 1, EXACT - 1, EXACT, EXACT + 31, EXACT + 32];
        for bits in 18..=64u32 {
            let low = 1u64 << (bits - 1);
            let high = if bits == 64 {
                u64::MAX
            } else {
                (1 << bits) - 1
            };
            values.extend([low, low + 1, low + (low >> 1), high - 1, high]);
        }
        values.sort_unstable();
        for pair in values.windows(2) {
            assert!(rank(pair[0]) <= rank(pair[1]), "{pair:?}");
        }
        for &v in &values {
            let r = rank(v);
            assert!(r < RANKS, "{v}");
            if r >= EXACT as usize {
                assert!(base(r) <= v && rank(base(r)) == r, "{v}");
                assert!(base(r) == 1 << 17 || rank(base(r) - 1) == r - 1, "{v}");
            } else {
                assert_eq!(r as u64, v);
            }
        }
        assert_eq!(rank(u64::MAX), RANKS - 1);
    }

    /// Values of every kind, many sharing a large rank, some too wide to pack: sorted as
    /// a stable sort by value sorts them, over all rows and over every third.
    #[test]
    fn rows_sort_as_a_stable_sort_by_value() {
        let mut rng = crate::gen::rng::Rng::new(0x9e37_79b9_7f4a_7c15);
        let mut next = move || rng.next_u64();
        let values: Vec<u64> = (0..20_000)
            .map(|_| match next() % 7 {
                0 => next() % 50,
                1 => EXACT - 2 + next() % 4,
                2 => 1_000_000 + next() % 2_000,
                3 => next() % (1 << 32),
                4 => (1 << 45) + next() % (1 << 40),
                5 => u64::MAX - next() % 1_000,
                _ => next() >> (next() % 64),
            })
            .collect();
        for bytes in [true, false] {
            let mut column = CounterColumn::default();
            for &v in &values {
                let c = if bytes {
                    Counters {
                        bytes_out: v,
                        packets_out: 7,
                        ..Counters::default()
                    }
                } else {
                    Counters {
                        packets_out: v,
                        bytes_in: 9,
                        ..Counters::default()
                    }
                };
                column.push(&c);
            }
            let every_third: Vec<u64> = (0..values.len().div_ceil(64))
                .map(|w| {
                    (0..64)
                        .filter(|b| (w * 64 + b) % 3 == 0 && w * 64 + b < values.len())
                        .fold(0, |m, b| m | 1 << b)
                })
                .collect();
            for sel in [
                Selection::all(values.len()),
                Selection::from_bitmap(every_third, values.len()),
                Selection::from_sorted((0..values.len() as u32).step_by(5).collect()),
            ] {
                let mut want = sel.to_vec();
                want.sort_by_key(|&row| values[row as usize]);
                let got = sort(&column, bytes, &sel, &|| false);
                assert_eq!(got, Some(want), "bytes {bytes}");
            }
        }
    }
}

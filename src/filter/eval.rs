//! Evaluation of a plan into a bitmap over rows (bit `i` of word `i / 64` = row `i`), one
//! column at a time in tight loops; two threads split the rows of a large store.

use super::check::{CounterKind, Side};
use super::plan::{bit, Leaf, Node};
use crate::model::Counters;
use crate::store::counters::picks;
use crate::store::flags::{time_ms, HIGH_SHIFT};
use crate::store::{Flags, Store};
use std::ops::Range;

/// The bitmap of rows `node` keeps, bits past the last row cleared.
pub fn bitmap(node: &Node, store: &Store) -> Vec<u64> {
    bitmap_split(node, store, crate::parallel::split_rows())
}

/// As `bitmap`, on two threads from `parallel_rows` rows up.
pub fn bitmap_split(node: &Node, store: &Store, parallel_rows: usize) -> Vec<u64> {
    let len = store.len();
    let mut words = vec![0u64; len.div_ceil(64)];
    if len >= parallel_rows {
        // Split on a block boundary so each thread's blocks stay aligned.
        let mid = (len / 2).next_multiple_of(BLOCK_ROWS).min(len);
        let (lower, upper) = words.split_at_mut(mid.div_ceil(64));
        std::thread::scope(|scope| {
            scope.spawn(|| eval_range(node, store, mid..len, upper));
            eval_range(node, store, 0..mid, lower);
        });
    } else {
        eval_range(node, store, 0..len, &mut words);
    }
    if !len.is_multiple_of(64) {
        if let Some(last) = words.last_mut() {
            *last &= (1u64 << (len % 64)) - 1;
        }
    }
    words
}

/// Rows evaluated together, so a block's temporaries stay in the L1 cache and an `and`
/// can skip its right side where the left kept nothing.
const BLOCK_ROWS: usize = 64 * BLOCK_WORDS;
const BLOCK_WORDS: usize = 64;

/// Fills `out` (the words of `rows`, which starts on a block boundary) block by block.
fn eval_range(node: &Node, store: &Store, rows: Range<usize>, out: &mut [u64]) {
    for (i, words) in out.chunks_mut(BLOCK_WORDS).enumerate() {
        let start = rows.start + i * BLOCK_ROWS;
        let end = (start + BLOCK_ROWS).min(rows.end);
        eval_block(node, store, start..end, words);
    }
}

/// Words for at most one block of rows; bits past `rows.end` may be set.
fn eval_block(node: &Node, store: &Store, rows: Range<usize>, out: &mut [u64]) {
    let mut scratch = [0u64; BLOCK_WORDS];
    let other = &mut scratch[..out.len()];
    match node {
        Node::All => out.fill(u64::MAX),
        Node::Nothing => out.fill(0),
        Node::And(a, b) => {
            eval_block(a, store, rows.clone(), out);
            let kept = Kept::of(out, rows.len());
            let cost = row_cost(b);
            if kept.runs * RUN_COST + kept.rows * cost < rows.len() * cost {
                and_runs(b, store, rows, out);
            } else if kept.words * SPARSE_SHARE <= out.len() {
                and_sparse(b, store, rows, out);
            } else {
                eval_block(b, store, rows, other);
                out.iter_mut().zip(other.iter()).for_each(|(x, y)| *x &= y);
            }
        }
        Node::Or(a, b) => {
            eval_block(a, store, rows.clone(), out);
            if out.iter().any(|&w| w != u64::MAX) {
                eval_block(b, store, rows, other);
                out.iter_mut().zip(other.iter()).for_each(|(x, y)| *x |= y);
            }
        }
        Node::Not(a) => {
            eval_block(a, store, rows, out);
            out.iter_mut().for_each(|w| *w = !*w);
        }
        Node::Leaf(leaf) => {
            out.fill(0);
            fill(leaf, store, rows, out);
        }
    }
}

/// An `and` whose left side kept at most one word in this many evaluates its right side
/// only under the kept words: for a selective left side (one port, one address) that skips
/// most of the right side's column.
const SPARSE_SHARE: usize = 4;

/// What starting one run of `and_runs` costs, in rows a fixed-width column's scan tests
/// in the same time (measured: about 40 ns against 0.15 ns a row).
const RUN_COST: usize = 256;

/// What testing one row costs, in rows of a fixed-width column: counters are decoded from
/// their variable-width stream, ten times the work.
fn row_cost(node: &Node) -> usize {
    match node {
        Node::All | Node::Nothing => 0,
        Node::And(a, b) | Node::Or(a, b) => row_cost(a) + row_cost(b),
        Node::Not(a) => row_cost(a),
        Node::Leaf(Leaf::Counter(..)) => 10,
        Node::Leaf(_) => 1,
    }
}

/// What the left side of an `and` kept, among the first `len` bits of its words.
#[derive(Debug, PartialEq, Eq)]
struct Kept {
    rows: usize,
    /// Runs of consecutive kept rows.
    runs: usize,
    /// Words with a kept row.
    words: usize,
}

impl Kept {
    fn of(words: &[u64], len: usize) -> Kept {
        let mut kept = Kept {
            rows: 0,
            runs: 0,
            words: 0,
        };
        let mut carry = 0;
        for (i, &w) in words.iter().enumerate() {
            let w = w & valid_bits(len - (i * 64).min(len));
            kept.rows += w.count_ones() as usize;
            kept.words += (w != 0) as usize;
            // A run starts at a one whose lower neighbour (the previous word's top) is zero.
            kept.runs += (w & !(w << 1 | carry)).count_ones() as usize;
            carry = w >> 63;
        }
        kept
    }
}

/// The low `n` bits set (all 64 from 64 up).
fn valid_bits(n: usize) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1 << n) - 1
    }
}

/// `out &= node`, evaluating `node` over each run of kept rows only. For a left side that
/// keeps few rows in stretches (a rule's groups: 5% of rows, yet touching two words in
/// three), the right side then reads only those rows.
fn and_runs(node: &Node, store: &Store, rows: Range<usize>, out: &mut [u64]) {
    let len = rows.len();
    let mut at = 0;
    while let Some(start) = next_bit(out, at, true, len) {
        let end = next_bit(out, start, false, len).unwrap_or(len);
        let mut bits = [0u64; BLOCK_WORDS];
        let bits = &mut bits[..(end - start).div_ceil(64)];
        eval_block(node, store, rows.start + start..rows.start + end, bits);
        clear_refused(out, start, end - start, bits);
        at = end;
    }
}

/// The first bit at or after `from` (and before `len`) that is one (`set`) or zero.
fn next_bit(words: &[u64], from: usize, set: bool, len: usize) -> Option<usize> {
    let flip = if set { 0 } else { u64::MAX };
    let mut i = from / 64;
    let mut w = (*words.get(i)? ^ flip) & (u64::MAX << (from % 64));
    loop {
        if w != 0 {
            let bit = i * 64 + w.trailing_zeros() as usize;
            return (bit < len).then_some(bit);
        }
        i += 1;
        w = *words.get(i)? ^ flip;
    }
}

/// Clears the bits `from..from + n` of `out` whose bit in `kept` (bit 0 = `from`) is zero.
fn clear_refused(out: &mut [u64], from: usize, n: usize, kept: &[u64]) {
    for (k, &w) in kept.iter().take(n.div_ceil(64)).enumerate() {
        let refused = !w & valid_bits(n - 64 * k);
        let (word, shift) = ((from + 64 * k) / 64, (from + 64 * k) % 64);
        out[word] &= !(refused << shift);
        if shift != 0 {
            if let Some(next) = out.get_mut(word + 1) {
                *next &= !(refused >> (64 - shift));
            }
        }
    }
}

/// `out &= node` for the words of `out` that are not zero, 64 rows at a time.
fn and_sparse(node: &Node, store: &Store, rows: Range<usize>, out: &mut [u64]) {
    for (i, word) in out.iter_mut().enumerate() {
        if *word == 0 {
            continue;
        }
        let start = rows.start + i * 64;
        let mut bits = [0u64];
        eval_block(node, store, start..(start + 64).min(rows.end), &mut bits);
        *word &= bits[0];
    }
}

/// One bit per value of `col`, 64 values a word.
#[inline]
fn scan<T: Copy>(col: &[T], out: &mut [u64], pred: impl Fn(T) -> bool) {
    let chunks = col.chunks_exact(64);
    let rest = chunks.remainder();
    let mut words = out.iter_mut();
    // `chunks` first: zip must not consume the word the remainder needs.
    for (chunk, word) in chunks.zip(words.by_ref()) {
        *word = pack(chunk, &pred);
    }
    if let Some(word) = words.next() {
        *word = bits_of(rest.iter().map(|&v| pred(v)));
    }
}

/// The bits of 64 values; a fixed-size array lets the compiler unroll and vectorise.
#[inline(always)]
fn pack<T: Copy>(chunk: &[T], pred: &impl Fn(T) -> bool) -> u64 {
    let Ok(values) = <&[T; 64]>::try_from(chunk) else {
        return 0;
    };
    bits_of(values.iter().map(|&v| pred(v)))
}

/// Up to 64 test results as the bits of a word (the first is bit 0). They are written one
/// byte each first, a loop the compiler vectorises (shifting each into the word at once
/// kept it to one test at a time); then per 8 bytes one multiply sends each byte's bit to
/// its own place, so nothing carries.
#[inline(always)]
fn bits_of(tests: impl Iterator<Item = bool>) -> u64 {
    let mut passed = [0u8; 64];
    for (p, t) in passed.iter_mut().zip(tests) {
        *p = u8::from(t);
    }
    gather_bytes(&passed)
}

/// 64 bytes of 0 or 1 as the bits of a word (byte i to bit i).
#[inline(always)]
fn gather_bytes(passed: &[u8; 64]) -> u64 {
    let mut bits = 0u64;
    for (k, eight) in passed.chunks_exact(8).enumerate() {
        let w = u64::from_le_bytes(eight.try_into().unwrap_or_default());
        bits |= (w.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k);
    }
    bits
}

/// As `scan`, over two columns side by side.
#[inline]
fn scan2<A: Copy, B: Copy>(a: &[A], b: &[B], out: &mut [u64], pred: impl Fn(A, B) -> bool) {
    for (word, (ca, cb)) in out.iter_mut().zip(a.chunks(64).zip(b.chunks(64))) {
        *word = bits_of(ca.iter().zip(cb).map(|(&x, &y)| pred(x, y)));
    }
}

/// As `scan`, over each row's whole flags word; the high half's column is read only when
/// the test looks at it (`high`) and some row has one.
#[inline]
fn scan_flags(
    store: &Store,
    rows: Range<usize>,
    high: bool,
    out: &mut [u64],
    pred: impl Fn(u32) -> bool,
) {
    let low = &store.flags()[rows.clone()];
    match store.flags_high().get(rows).filter(|_| high) {
        Some(high) => scan2(low, high, out, |l, h| pred(Flags::join(l, h).0)),
        None => scan(low, out, |l| pred(l as u32)),
    }
}

fn fill(leaf: &Leaf, store: &Store, rows: Range<usize>, out: &mut [u64]) {
    let r = rows.clone();
    match leaf {
        Leaf::Secs(lo, hi) => {
            let (lo, span) = (*lo, hi - lo);
            scan(&store.secs()[r], out, |s| s.wrapping_sub(lo) <= span);
        }
        Leaf::Millis(lo, hi) => {
            let (lo, hi) = (*lo, *hi);
            let secs = &store.secs()[r.clone()];
            match store.flags_high().get(r) {
                Some(high) => scan2(secs, high, out, |s, h| (lo..=hi).contains(&time_ms(s, h))),
                // No row has milliseconds.
                None => scan(secs, out, |s| (lo..=hi).contains(&time_ms(s, 0))),
            }
        }
        Leaf::PortRange(side, lo, hi) => {
            let (lo, span) = (*lo, hi - lo);
            ports(store, *side, r, out, |p| p.wrapping_sub(lo) <= span);
        }
        Leaf::PortTable(side, table) => {
            ports(store, *side, r, out, |p| bit(table, p as usize));
        }
        Leaf::Addr(side, table) => {
            let test = |id: u32| bit(table, id as usize);
            match side {
                Side::Src => scan(&store.src_ids()[r], out, test),
                Side::Dst => scan(&store.dst_ids()[r], out, test),
                Side::Either => scan2(
                    &store.src_ids()[r.clone()],
                    &store.dst_ids()[r],
                    out,
                    |a, b| test(a) | test(b),
                ),
            }
        }
        Leaf::FlagsEq(mask, value) => {
            let (mask, value) = (*mask, *value);
            scan_flags(store, r, mask >> HIGH_SHIFT != 0, out, |f| {
                f & mask == value
            });
        }
        Leaf::Flags(codes) => {
            let high = codes.shift >= HIGH_SHIFT;
            scan_flags(store, r, high, out, |f| codes.contains_flags(f))
        }
        Leaf::Counter(kind, spans) => match &spans[..] {
            // One span (`bytes > 1MB`) is by far the most common counter test.
            &[(lo, hi)] if lo <= hi => {
                let span = hi - lo;
                scan_counters(store, *kind, rows, out, |v| v.wrapping_sub(lo) <= span);
            }
            _ => scan_counters(store, *kind, rows, out, |v| {
                spans.iter().any(|&(lo, hi)| lo <= v && v <= hi)
            }),
        },
        Leaf::Groups(table) => fill_groups(table, store, rows, out),
    }
}

#[inline]
fn ports(store: &Store, side: Side, r: Range<usize>, out: &mut [u64], test: impl Fn(u16) -> bool) {
    match side {
        Side::Src => scan(&store.sports()[r], out, test),
        Side::Dst => scan(&store.dports()[r], out, test),
        Side::Either => scan2(
            &store.sports()[r.clone()],
            &store.dports()[r],
            out,
            |a, b| test(a) | test(b),
        ),
    }
}

/// As `scan`, over one counter total of `rows`.
#[inline(always)]
fn scan_counters(
    store: &Store,
    kind: CounterKind,
    rows: Range<usize>,
    out: &mut [u64],
    pred: impl Fn(u64) -> bool,
) {
    match kind {
        CounterKind::Bytes => scan_totals::<{ picks::BYTES }>(store, rows, out, pred),
        CounterKind::Packets => scan_totals::<{ picks::PACKETS }>(store, rows, out, pred),
        CounterKind::BytesOut => scan_totals::<{ picks::BYTES_OUT }>(store, rows, out, pred),
        CounterKind::BytesIn => scan_totals::<{ picks::BYTES_IN }>(store, rows, out, pred),
        CounterKind::PacketsOut => scan_totals::<{ picks::PACKETS_OUT }>(store, rows, out, pred),
        CounterKind::PacketsIn => scan_totals::<{ picks::PACKETS_IN }>(store, rows, out, pred),
    }
}

/// The totals of 64 rows are decoded into an array first, then tested in a loop of its
/// own: the test then vectorises like a fixed-width column's.
#[inline(always)]
fn scan_totals<const PICK: u8>(
    store: &Store,
    rows: Range<usize>,
    out: &mut [u64],
    pred: impl Fn(u64) -> bool,
) {
    let mut reader = store.counter_column().totals::<PICK>(rows.start);
    let mut totals = [0u64; 64];
    for (word, start) in out.iter_mut().zip(rows.clone().step_by(64)) {
        let totals = &mut totals[..(rows.end - start).min(64)];
        reader.fill(start, totals);
        *word = bits_of(totals.iter().map(|&v| pred(v)));
    }
}

pub fn counter(kind: CounterKind, c: &Counters) -> u64 {
    match kind {
        CounterKind::Bytes => c.bytes(),
        CounterKind::Packets => c.packets(),
        CounterKind::BytesOut => c.bytes_out,
        CounterKind::BytesIn => c.bytes_in,
        CounterKind::PacketsOut => c.packets_out,
        CounterKind::PacketsIn => c.packets_in,
    }
}

/// Sets the rows of every kept group that overlaps `rows`.
fn fill_groups(table: &[u64], store: &Store, rows: Range<usize>, out: &mut [u64]) {
    let groups = store.groups();
    let first = groups
        .partition_point(|g| (g.first_row as usize) <= rows.start)
        .saturating_sub(1);
    for index in first..groups.len() {
        let span = store.group_rows(index);
        let (start, end) = (span.start as usize, span.end as usize);
        if start >= rows.end {
            break;
        }
        if bit(table, index) {
            let (a, b) = (start.max(rows.start), end.min(rows.end));
            if a < b {
                set_range(out, a - rows.start, b - rows.start);
            }
        }
    }
}

/// Sets bits `from..to`.
fn set_range(out: &mut [u64], from: usize, to: usize) {
    let (first, last) = (from / 64, (to - 1) / 64);
    let head = u64::MAX << (from % 64);
    let tail = u64::MAX >> (63 - (to - 1) % 64);
    if first == last {
        out[first] |= head & tail;
        return;
    }
    out[first] |= head;
    out[first + 1..last].iter_mut().for_each(|w| *w = u64::MAX);
    out[last] |= tail;
}

/// Whether one row passes, without scanning columns.
pub fn matches(node: &Node, store: &Store, row: u32) -> bool {
    match node {
        Node::All => true,
        Node::Nothing => false,
        Node::And(a, b) => matches(a, store, row) && matches(b, store, row),
        Node::Or(a, b) => matches(a, store, row) || matches(b, store, row),
        Node::Not(a) => !matches(a, store, row),
        Node::Leaf(leaf) => leaf_matches(leaf, store, row),
    }
}

fn leaf_matches(leaf: &Leaf, store: &Store, row: u32) -> bool {
    let r = row as usize;
    let sides = |side: Side, src: u32, dst: u32, test: &dyn Fn(u32) -> bool| match side {
        Side::Src => test(src),
        Side::Dst => test(dst),
        Side::Either => test(src) || test(dst),
    };
    let (sport, dport) = (store.sports()[r] as u32, store.dports()[r] as u32);
    match leaf {
        Leaf::Secs(lo, hi) => (*lo..=*hi).contains(&store.secs()[r]),
        Leaf::Millis(lo, hi) => (*lo..=*hi).contains(&store.time_ms(row)),
        Leaf::PortRange(side, lo, hi) => sides(*side, sport, dport, &|p| {
            (*lo as u32..=*hi as u32).contains(&p)
        }),
        Leaf::PortTable(side, table) => sides(*side, sport, dport, &|p| bit(table, p as usize)),
        Leaf::Addr(side, table) => {
            let (src, dst) = (store.src_ids()[r], store.dst_ids()[r]);
            sides(*side, src, dst, &|id| bit(table, id as usize))
        }
        Leaf::FlagsEq(mask, value) => store.flag(row).0 & mask == *value,
        Leaf::Flags(codes) => codes.contains_flags(store.flag(row).0),
        Leaf::Counter(kind, spans) => {
            let v = counter(*kind, &store.counters(row));
            spans.iter().any(|&(lo, hi)| lo <= v && v <= hi)
        }
        Leaf::Groups(table) => bit(table, store.group_index(row)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn runs_are_found_counted_and_cleared_bit_for_bit(
            words in proptest::collection::vec(proptest::num::u64::ANY, 1..5),
            cut in 0usize..64,
            kept in proptest::collection::vec(proptest::num::u64::ANY, 64),
        ) {
            let len = words.len() * 64 - cut;
            let ones: Vec<usize> = (0..len).filter(|&i| bit(&words, i)).collect();
            let starts = ones.iter().filter(|&&i| i == 0 || !bit(&words, i - 1)).count();
            let busy = words.iter().enumerate().filter(|&(i, _)| (i * 64..(i * 64 + 64).min(len)).any(|b| bit(&words, b))).count();
            proptest::prop_assert_eq!(Kept::of(&words, len), Kept { rows: ones.len(), runs: starts, words: busy });
            let mut runs = Vec::new();
            let mut at = 0;
            while let Some(start) = next_bit(&words, at, true, len) {
                let end = next_bit(&words, start, false, len).unwrap_or(len);
                runs.push((start, end));
                at = end;
            }
            let flat: Vec<usize> = runs.iter().flat_map(|&(a, b)| a..b).collect();
            proptest::prop_assert_eq!(&flat, &ones);
            proptest::prop_assert_eq!(runs.len(), starts);
            for (start, end) in runs {
                let mut out = words.clone();
                clear_refused(&mut out, start, end - start, &kept);
                for i in 0..words.len() * 64 {
                    let refused = (start..end).contains(&i) && !bit(&kept, i - start);
                    proptest::prop_assert_eq!(bit(&out, i), bit(&words, i) && !refused, "bit {}", i);
                }
            }
        }
    }

    #[test]
    fn set_range_sets_exactly_the_bits_asked() {
        for (from, to) in [(0, 1), (3, 64), (0, 128), (63, 65), (5, 190), (64, 128)] {
            let mut out = vec![0u64; 3];
            set_range(&mut out, from, to);
            for i in 0..192 {
                assert_eq!(
                    out[i / 64] >> (i % 64) & 1 == 1,
                    (from..to).contains(&i),
                    "{from}..{to} bit {i}"
                );
            }
        }
    }
}

//! Tuples over time: equal buckets spanning the whole store, so the axis stays put while
//! the filter changes.

use super::Histogram;
use crate::selection::Selection;
use crate::store::Store;

/// Counts the selected tuples in `buckets` equal buckets over the store's time range.
pub fn histogram(store: &Store, sel: &Selection, buckets: usize) -> Histogram {
    let buckets = buckets.max(1);
    let Some((first, last)) = store.time_range() else {
        return Histogram {
            start_ms: 0,
            bucket_ms: 1,
            counts: vec![0; buckets],
        };
    };
    let span = (last - first).saturating_add(1).max(1);
    // Round up so the newest tuple falls in the last bucket.
    let bucket_ms = ((span + buckets as i64 - 1) / buckets as i64).max(1);
    let mut counts = vec![0u64; buckets];
    let len = store.len() as u32;
    for row in sel.iter().filter(|&r| r < len) {
        let i = ((store.time_ms(row) - first) / bucket_ms).clamp(0, buckets as i64 - 1);
        counts[i as usize] += 1;
    }
    Histogram {
        start_ms: first,
        bucket_ms,
        counts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::testing::{build, tuple};

    #[test]
    fn buckets_cover_the_store_and_count_the_selection() {
        let times = [0i64, 10, 49, 50, 99, 99];
        let tuples = times
            .iter()
            .map(|&t| tuple(t, "1.1.1.1", 1, "2.2.2.2", 2))
            .collect();
        let store = build(&[("R".into(), tuples)]);
        let h = histogram(&store, &Selection::all(store.len()), 2);
        assert_eq!((h.start_ms, h.bucket_ms), (0, 50));
        let expect = |lo: i64, hi: i64| times.iter().filter(|&&t| t >= lo && t < hi).count() as u64;
        assert_eq!(h.counts, vec![expect(0, 50), expect(50, 100)]);
        let some = histogram(&store, &Selection::from_sorted(vec![0, 5]), 2);
        assert_eq!(some.counts, vec![1, 1]);
        assert_eq!(
            histogram(&store, &Selection::default(), 3).counts,
            vec![0; 3]
        );
    }
}

//! What the query worker keeps for the filter in force, so a refresh that keeps the store
//! and the filter (another pane's sort, the other top list, a reversed table) neither
//! filters nor sorts again. One filter at a time: a new one replaces everything.

use super::order::{RowList, SortPlan};
use super::settings::Column;
use super::widths::{self, FlowWidths};
use super::worker::{TopList, TopMode};
use crate::selection::Selection;
use crate::store::Store;
use crate::views::{RuleHits, SortBy};
use std::sync::{Arc, Weak};

#[derive(Debug, Default)]
pub struct Memo {
    /// How sorts run (kept across filters, unlike everything else).
    pub plan: SortPlan,
    /// The store the memo is about; weak, so the memo never keeps an old store alive. The
    /// pointer stays unique while the weak reference lives.
    store: Weak<Store>,
    filter: String,
    pub selection: Option<Arc<Selection>>,
    /// The last column sorted on, ascending (a descending table reads it backwards).
    pub order: Option<(Column, RowList)>,
    /// Rule hits in the engine's order (each refresh sorts a copy its own way).
    pub rules: Option<Vec<RuleHits>>,
    pub top: Option<((TopMode, SortBy), TopList)>,
    /// The Flows table's widths for this filter's rows.
    pub widths: Option<FlowWidths>,
    /// Each address's text width (`widths::address_widths`): kept across filters, as
    /// long as the store is the same.
    address_widths: Option<Arc<Vec<u8>>>,
}

impl Memo {
    /// Forgets everything unless it was computed for `store` and `filter`.
    pub fn keep_for(&mut self, store: &Arc<Store>, filter: &str) {
        let same_store = std::ptr::eq(self.store.as_ptr(), Arc::as_ptr(store));
        if !same_store || self.filter != filter {
            let address_widths = self.address_widths.take().filter(|_| same_store);
            *self = Memo {
                plan: self.plan,
                store: Arc::downgrade(store),
                filter: filter.to_string(),
                address_widths,
                ..Memo::default()
            };
        }
    }

    /// The Flows table's widths for `sel`, this filter's rows of `store`.
    pub fn widths(&mut self, store: &Store, sel: &Selection) -> FlowWidths {
        if let Some(w) = self.widths {
            return w;
        }
        let address = self
            .address_widths
            .get_or_insert_with(|| Arc::new(widths::address_widths(store)));
        let w = widths::of_selection(store, sel, address);
        self.widths = Some(w);
        w
    }

    /// The ascending order by `column`, when known.
    pub fn order_by(&self, column: Column) -> Option<&RowList> {
        match &self.order {
            Some((c, a)) if *c == column => Some(a),
            _ => None,
        }
    }

    /// Keeps `ascending` as the order by `column` for this filter; returns it in the
    /// direction asked for.
    pub fn keep_order(&mut self, column: Column, ascending: RowList, descending: bool) -> RowList {
        let rows = ascending.clone().reversed(descending);
        self.order = Some((column, ascending));
        rows
    }

    pub fn top_for(&self, mode: TopMode, sort: SortBy) -> Option<&TopList> {
        match &self.top {
            Some((key, t)) if *key == (mode, sort) => Some(t),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::worker::{
        execute, execute_with, FlowOrder, QueryKind, QueryRequest, QueryResult, RefreshSpec,
        Summary,
    };
    use crate::views::testing::jumbled;
    use crate::views::SortBy;

    fn sample(groups: usize) -> Arc<Store> {
        Arc::new(jumbled(groups))
    }

    /// A memo whose sorts count as long from 10 rows, in chunks of `chunk`.
    fn small_sorts(chunk: usize) -> Memo {
        Memo {
            plan: SortPlan {
                long: 10,
                head: 4,
                chunk,
            },
            ..Memo::default()
        }
    }

    fn spec(filter: &str) -> RefreshSpec {
        RefreshSpec {
            filter: filter.into(),
            order: FlowOrder::default(),
            rule_sort: SortBy::Tuples,
            top: TopMode::Sources,
            top_sort: SortBy::Tuples,
        }
    }

    fn request(store: &Arc<Store>, spec: &RefreshSpec) -> QueryRequest {
        QueryRequest {
            generation: 1,
            store: Arc::clone(store),
            kind: QueryKind::Refresh(spec.clone()),
        }
    }

    /// The last rows and summary of an answer.
    fn answer(results: Vec<QueryResult>) -> (RowList, Summary) {
        let (mut rows, mut summary) = (None, None);
        for r in results {
            match r {
                QueryResult::Rows(Ok(r)) => rows = Some(r.rows),
                QueryResult::Summary(s) => summary = Some(s),
                other => panic!("unexpected part {other:?}"),
            }
        }
        (rows.expect("rows"), summary.expect("summary"))
    }

    fn run(memo: &mut Memo, store: &Arc<Store>, spec: &RefreshSpec) -> (RowList, Summary) {
        let mut results = Vec::new();
        execute_with(memo, &request(store, spec), &|| false, &mut |r| {
            results.push(r)
        });
        answer(results)
    }

    fn fresh(store: &Arc<Store>, spec: &RefreshSpec) -> (RowList, Summary) {
        let mut results = Vec::new();
        execute(&request(store, spec), &|| false, &mut |r| results.push(r));
        answer(results)
    }

    fn assert_fresh(got: &(RowList, Summary), store: &Arc<Store>, spec: &RefreshSpec) {
        let (rows, summary) = fresh(store, spec);
        assert_eq!(got.0.to_vec(store), rows.to_vec(store), "rows for {spec:?}");
        assert_eq!(got.0.count(), rows.count());
        assert_eq!(got.1.rules, summary.rules, "rules for {spec:?}");
        assert_eq!(got.1.top, summary.top, "top for {spec:?}");
    }

    #[test]
    fn order_is_kept_while_the_filter_stays() {
        let store = sample(5);
        let mut memo = Memo::default();
        let mut s = spec("dport == 80 or dport == 81");
        // A fresh memo's first answer is `execute`'s by definition: checked from here on.
        let first = run(&mut memo, &store, &s);
        assert!(!first.0.is_partial());
        // Another pane's sort, the other top list, a reversed table: no new sort.
        s.rule_sort = SortBy::Bytes;
        let again = run(&mut memo, &store, &s);
        assert!(again.0.shares_ids_with(&first.0));
        assert_fresh(&again, &store, &s);
        s.top = TopMode::Conversations;
        let again = run(&mut memo, &store, &s);
        assert!(again.0.shares_ids_with(&first.0));
        assert_fresh(&again, &store, &s);
        s.order.descending = true;
        let reversed = run(&mut memo, &store, &s);
        assert!(reversed.0.shares_ids_with(&first.0));
        assert_fresh(&reversed, &store, &s);
        // A new filter, a new store: computed again.
        s.filter = "dport == 82".into();
        let other = run(&mut memo, &store, &s);
        assert!(!other.0.shares_ids_with(&first.0));
        assert_fresh(&other, &store, &s);
        let bigger = sample(7);
        let moved = run(&mut memo, &bigger, &s);
        assert!(!moved.0.shares_ids_with(&other.0));
        assert_fresh(&moved, &bigger, &s);
    }

    #[test]
    fn long_sorts_send_their_head_first_and_match_a_fresh_answer() {
        let store = sample(6);
        let mut memo = small_sorts(7);
        // The last value: whether a head comes first (a new sort of more than 10 rows,
        // except by time: that is read from the store's time index a window at a time).
        // By rule or a flag the head is empty, and the whole order follows at once.
        let cases = [
            ("", None, false, false),
            ("", Some(Column::Time), false, false),
            ("", Some(Column::Time), true, false),
            ("dport != 81", Some(Column::Time), true, false),
            ("dport != 81", Some(Column::Bytes), true, true),
            ("dport != 81", Some(Column::Packets), false, true),
            ("dport != 81", Some(Column::Src), true, true),
            ("dport != 81", Some(Column::Rule), false, true),
            ("dport != 81", Some(Column::Dst), true, true),
            ("dport != 81", None, true, false),
        ];
        for (filter, column, descending, head_first) in cases {
            let mut s = spec(filter);
            s.order = FlowOrder { column, descending };
            let mut results = Vec::new();
            execute_with(&mut memo, &request(&store, &s), &|| false, &mut |r| {
                results.push(r)
            });
            let Some(QueryResult::Rows(Ok(first))) = results.first() else {
                panic!("{s:?} answered {:?} first", results.first());
            };
            assert_eq!(first.order, s.order, "{s:?}");
            assert_eq!(first.rows.is_partial(), head_first, "{s:?}");
            if head_first {
                let head = first.rows.to_vec(&store);
                let whole_next = !crate::tui::order::wants_head(column.unwrap());
                assert_eq!(head.is_empty(), whole_next, "{s:?}");
                match &results[1] {
                    QueryResult::Rows(Ok(r)) => assert!(whole_next && !r.rows.is_partial()),
                    next => assert!(!whole_next && matches!(next, QueryResult::Summary(_))),
                }
                let (all, _) = fresh(&store, &s);
                assert_eq!(head, all.to_vec(&store)[..head.len()], "head of {s:?}");
                assert_eq!(first.rows.count(), all.count());
            }
            let got = answer(results);
            assert!(!got.0.is_partial(), "{s:?} ended with its head only");
            if column == Some(Column::Time) {
                // Checked against a plain stable sort, not only against itself.
                let mut want = crate::tui::worker::select(&store, filter).unwrap().to_vec();
                want.sort_by_key(|&r| store.time_order(r));
                if descending {
                    want.reverse();
                }
                assert_eq!(got.0.to_vec(&store), want, "{s:?}");
            }
            assert_fresh(&got, &store, &s);
        }
    }

    #[test]
    fn work_stopped_as_stale_leaves_nothing_wrong_behind() {
        let store = sample(6);
        let mut memo = small_sorts(3);
        let s = spec("dport == 80 or dport == 82");
        for give_up_after in 1..12 {
            let calls = std::cell::Cell::new(0);
            let stale = || {
                calls.set(calls.get() + 1);
                calls.get() > give_up_after
            };
            execute_with(&mut memo, &request(&store, &s), &stale, &mut |_| {});
            let got = run(&mut memo, &store, &s);
            assert_fresh(&got, &store, &s);
            memo = small_sorts(3);
        }
    }

    #[test]
    fn the_memo_does_not_keep_a_store_alive() {
        let store = sample(2);
        let gone = Arc::downgrade(&store);
        let mut memo = Memo::default();
        run(&mut memo, &store, &spec("dport == 80"));
        drop(store);
        assert!(gone.upgrade().is_none());
    }
}

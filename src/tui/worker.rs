//! The query worker: filters and views run here, off the UI thread. Every request carries a
//! generation number; a newer request of the same kind makes older ones stale, and stale
//! work stops at the next checkpoint (its result is never sent).

use super::event::Event;
use super::memo::Memo;
use super::order;
pub use super::order::RowList;
use super::settings::Column;
use super::widths::FlowWidths;
use crate::field::Field;
use crate::filter::{self, FilterError};
use crate::model::{ConversationKey, Encryption};
use crate::selection::Selection;
use crate::store::flags::{ENC_MASK, ENC_SHIFT};
use crate::store::{Flags, Store};
use crate::views::{
    self, Chronology, Conversation, Histogram, RuleHits, SortBy, Timeline, TopEntry,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How many entries the Top/Conversations pane asks for.
pub const TOP_N: usize = 500;
/// Buckets of a hits-over-time histogram.
pub const HISTOGRAM_BUCKETS: usize = 120;
/// Buckets asked of the engine before zooming in on the part that has hits.
const HISTOGRAM_FINE: usize = 65_536;
const VOCABULARY_ADDRESSES: usize = 50_000;

/// What the Top/Conversations pane lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TopMode {
    #[default]
    Sources,
    Destinations,
    Ports,
    Conversations,
}

impl TopMode {
    pub fn next(self) -> TopMode {
        match self {
            TopMode::Sources => TopMode::Destinations,
            TopMode::Destinations => TopMode::Ports,
            TopMode::Ports => TopMode::Conversations,
            TopMode::Conversations => TopMode::Sources,
        }
    }
    /// What the list ranks by until `o` changes it: counts for top lists, sizes for
    /// conversations.
    pub fn default_sort(self) -> SortBy {
        match self {
            TopMode::Conversations => SortBy::Bytes,
            _ => SortBy::Tuples,
        }
    }

    /// The list's title; ports are destination ports (services), named as the filter
    /// field they drill into (`dport`).
    pub fn title(self) -> &'static str {
        match self {
            TopMode::Sources => "Top sources",
            TopMode::Destinations => "Top destinations",
            TopMode::Ports => "Top dports",
            TopMode::Conversations => "Conversations",
        }
    }
    /// The filter field an entry of this list stands for.
    pub fn field(self) -> Option<Field> {
        match self {
            TopMode::Sources => Some(Field::Src),
            TopMode::Destinations => Some(Field::Dst),
            TopMode::Ports => Some(Field::Dport),
            TopMode::Conversations => None,
        }
    }
}

/// The order of the Flows table: `None` keeps load order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowOrder {
    pub column: Option<Column>,
    pub descending: bool,
}

/// Time order first: a responder reads a log as a story. The sort is stable, so tuples of
/// the same millisecond keep their order in the file.
impl Default for FlowOrder {
    fn default() -> Self {
        FlowOrder {
            column: Some(Column::Time),
            descending: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RefreshSpec {
    pub filter: String,
    pub order: FlowOrder,
    pub rule_sort: SortBy,
    pub top: TopMode,
    /// What the Top pane ranks by: tuples or bytes.
    pub top_sort: SortBy,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TimelineSpec {
    Conversation(ConversationKey),
    /// Hits over time of the tuples a filter selects (a rule, an address).
    Histogram {
        title: String,
        filter: String,
    },
}

#[derive(Debug, Clone)]
pub enum QueryKind {
    Refresh(RefreshSpec),
    Timeline(TimelineSpec),
    Vocabulary,
}

impl QueryKind {
    fn slot(&self) -> usize {
        match self {
            QueryKind::Refresh(_) => 0,
            QueryKind::Timeline(_) => 1,
            QueryKind::Vocabulary => 2,
        }
    }
}

#[derive(Debug, Clone)]
pub struct QueryRequest {
    pub generation: u64,
    pub store: Arc<Store>,
    pub kind: QueryKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TopList {
    Entries(Vec<TopEntry>),
    Conversations(Vec<Conversation>),
}

impl TopList {
    pub fn len(&self) -> usize {
        match self {
            TopList::Entries(e) => e.len(),
            TopList::Conversations(c) => c.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The rows a filter selects, in display order: sent first, so the count and the Flows
/// pane update before the slower summaries.
#[derive(Debug, Clone)]
pub struct Rows {
    pub filter: String,
    /// The order the rows are in.
    pub order: FlowOrder,
    pub rows: RowList,
    /// Rows of the store the filter ran over: while loading, an earlier (shorter) store
    /// than the one shown may hold.
    pub of: usize,
    /// The widths of every row chosen, which the table's columns fit (not the page's).
    pub widths: FlowWidths,
    /// Time the filter and ordering took (shown in the status line).
    pub elapsed: Duration,
}

/// The Rules and Top/Conversations panes for one filter.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The filter the lists are for.
    pub filter: String,
    pub rules: Vec<RuleHits>,
    pub top_mode: TopMode,
    /// What the top list is ranked by.
    pub top_sort: SortBy,
    pub top: TopList,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TimelineResult {
    Conversation(Timeline),
    Histogram { title: String, histogram: Histogram },
    Failed(String),
}

/// Values seen in the data, for completion and the picker.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vocabulary {
    pub rules: Vec<String>,
    pub nsgs: Vec<String>,
    pub macs: Vec<String>,
    pub flowlogs: Vec<String>,
    pub targets: Vec<String>,
    pub acls: Vec<String>,
    /// The versions the records give, most used first.
    pub versions: Vec<u8>,
    /// The encryption statuses the tuples give, most used first, then `-` (none) if a
    /// tuple gives none: NSG data is offered `-` alone, not eight statuses it never has.
    pub encryptions: Vec<String>,
    /// Addresses seen on either side (`ip`), as sources, as destinations: each side's
    /// own, so `src ==` is completed with nothing that only ever was a destination.
    pub addresses: Vec<String>,
    pub sources: Vec<String>,
    pub destinations: Vec<String>,
    /// Ports, most used first: on either side (`port`), as sources, as destinations.
    pub ports: Vec<u16>,
    pub sports: Vec<u16>,
    pub dports: Vec<u16>,
}

#[derive(Debug, Clone)]
pub enum QueryResult {
    /// Boxed: the widths' row counts make it the largest answer by far.
    Rows(Result<Box<Rows>, (String, FilterError)>),
    Summary(Summary),
    Timeline(TimelineResult),
    Vocabulary(Box<Vocabulary>),
}

/// Runs one request, handing each part of the answer to `emit` as soon as it is ready;
/// stops early once `stale` says a newer request of the same kind exists.
pub fn execute(req: &QueryRequest, stale: &dyn Fn() -> bool, emit: &mut dyn FnMut(QueryResult)) {
    execute_with(&mut Memo::default(), req, stale, emit);
}

/// Like `execute`, reusing what `memo` kept from earlier requests for the same filter.
pub fn execute_with(
    memo: &mut Memo,
    req: &QueryRequest,
    stale: &dyn Fn() -> bool,
    emit: &mut dyn FnMut(QueryResult),
) {
    let store = &req.store;
    match &req.kind {
        QueryKind::Refresh(spec) => refresh(store, spec, memo, stale, emit),
        QueryKind::Timeline(spec) => emit(QueryResult::Timeline(timeline(store, spec))),
        QueryKind::Vocabulary => emit(QueryResult::Vocabulary(Box::new(vocabulary(store)))),
    }
}

/// The rows `text` selects (blank text: every row).
pub fn select(store: &Store, text: &str) -> Result<Selection, FilterError> {
    if text.trim().is_empty() {
        return Ok(Selection::all(store.len()));
    }
    Ok(filter::compile(text, store)?.select(store))
}

/// Count and first rows first (every row, for a sort by a few ranked values), then the
/// summaries, then (for a long sort by another column) every row.
fn refresh(
    store: &Arc<Store>,
    spec: &RefreshSpec,
    memo: &mut Memo,
    stale: &dyn Fn() -> bool,
    emit: &mut dyn FnMut(QueryResult),
) {
    let started = Instant::now();
    if stale() {
        return;
    }
    memo.keep_for(store, &spec.filter);
    let sel = match &memo.selection {
        Some(sel) => Arc::clone(sel),
        None => match select(store, &spec.filter) {
            Ok(sel) => Arc::clone(memo.selection.insert(Arc::new(sel))),
            Err(e) => return emit(QueryResult::Rows(Err((spec.filter.clone(), e)))),
        },
    };
    if stale() {
        return;
    }
    let widths = memo.widths(store, &sel);
    let rows_of = |rows: RowList| {
        QueryResult::Rows(Ok(Box::new(Rows {
            filter: spec.filter.clone(),
            order: spec.order,
            rows,
            of: store.len(),
            widths,
            elapsed: started.elapsed(),
        })))
    };
    // Every row in `column` order, kept for this filter; false when stopped as stale.
    let sort_all = |column, memo: &mut Memo, emit: &mut dyn FnMut(QueryResult)| {
        let Some(sorted) = order::sort(store, column, &sel, memo.plan.chunk, stale) else {
            return false;
        };
        let ascending = RowList::sorted(Arc::new(sorted), false);
        let rows = memo.keep_order(column, ascending, spec.order.descending);
        emit(rows_of(rows));
        true
    };
    let long_sort = match cheap_order(store, &sel, spec.order, memo) {
        Ok(rows) => {
            emit(rows_of(rows));
            None
        }
        Err(Column::Time) if Chronology::suits(store) => {
            // No sort: the rows are read in time order a screenful at a time.
            let order = Chronology::new(store, Arc::clone(&sel), stale);
            let Some(order) = order else {
                return;
            };
            let ascending = RowList::chronological(Arc::new(order), false);
            emit(rows_of(memo.keep_order(
                Column::Time,
                ascending,
                spec.order.descending,
            )));
            None
        }
        Err(column) if !order::wants_head(column) => {
            // Done sooner than a head: the whole order comes first. An empty head goes
            // before it, so that the order on screen is let go before the new one is
            // made (400 MB each at 100M rows).
            emit(rows_of(RowList::head(Vec::new(), sel.len())));
            if !sort_all(column, memo, emit) {
                return;
            }
            None
        }
        Err(column) => {
            let (n, descending) = (memo.plan.head, spec.order.descending);
            let Some(first) = order::head(store, column, &sel, n, descending, stale) else {
                return;
            };
            emit(rows_of(RowList::head(first, sel.len())));
            Some(column)
        }
    };
    if !summarize(store, &sel, spec, memo, stale, emit) {
        return;
    }
    if let Some(column) = long_sort {
        sort_all(column, memo, emit);
    }
}

/// The Flows order when it costs little: load order, the order kept for this filter, a
/// selection already in order, or a short sort. Else the column that needs a long sort.
fn cheap_order(
    store: &Store,
    sel: &Arc<Selection>,
    order: FlowOrder,
    memo: &mut Memo,
) -> Result<RowList, Column> {
    let Some(column) = order.column else {
        return Ok(RowList::selected(Arc::clone(sel), order.descending));
    };
    if memo.order_by(column).is_none() {
        // Another column's order is let go before this one is made: at 100M rows each
        // is 400 MB.
        memo.order = None;
    }
    let ascending = match memo.order_by(column) {
        Some(kept) => kept.clone(),
        None if order::is_ordered(store, column, sel.iter()) => {
            RowList::selected(Arc::clone(sel), false)
        }
        None if sel.len() < memo.plan.long => {
            // Short enough to finish rather than check for staleness on the way.
            let chunk = memo.plan.chunk;
            let sorted = order::sort(store, column, sel, chunk, &|| false).ok_or(column)?;
            RowList::sorted(Arc::new(sorted), false)
        }
        None => return Err(column),
    };
    Ok(memo.keep_order(column, ascending, order.descending))
}

/// Emits the Rules and Top panes for `sel`; false when stopped as stale.
fn summarize(
    store: &Store,
    sel: &Selection,
    spec: &RefreshSpec,
    memo: &mut Memo,
    stale: &dyn Fn() -> bool,
    emit: &mut dyn FnMut(QueryResult),
) -> bool {
    if stale() {
        return false;
    }
    let mut rules = memo
        .rules
        .get_or_insert_with(|| views::rule_hits(store, sel))
        .clone();
    sort_rules(&mut rules, spec.rule_sort);
    if stale() {
        return false;
    }
    let top = match memo.top_for(spec.top, spec.top_sort) {
        Some(top) => top.clone(),
        None => {
            let sort = spec.top_sort;
            let top = match spec.top.field() {
                Some(f) => TopList::Entries(views::top(store, sel, f, sort, TOP_N)),
                // Seconds at tens of millions of tuples: a newer filter must not wait.
                None => match views::conversations_unless(store, sel, sort, TOP_N, stale) {
                    Some(convs) => TopList::Conversations(convs),
                    None => return false,
                },
            };
            memo.top = Some(((spec.top, sort), top.clone()));
            top
        }
    };
    emit(QueryResult::Summary(Summary {
        filter: spec.filter.clone(),
        rules,
        top_mode: spec.top,
        top_sort: spec.top_sort,
        top,
    }));
    true
}

/// Rules grouped by their NSG or flow log, biggest first within a group.
fn sort_rules(rules: &mut [RuleHits], by: SortBy) {
    let key = |r: &RuleHits| match by {
        SortBy::Tuples => r.tally.tuples,
        SortBy::Bytes => r.tally.bytes,
        SortBy::Packets => r.tally.packets,
    };
    rules.sort_by(|a, b| {
        a.scope
            .cmp(&b.scope)
            .then(key(b).cmp(&key(a)))
            .then(a.rule.cmp(&b.rule))
    });
}

fn timeline(store: &Store, spec: &TimelineSpec) -> TimelineResult {
    match spec {
        TimelineSpec::Conversation(key) => {
            TimelineResult::Conversation(views::timeline(store, key))
        }
        TimelineSpec::Histogram { title, filter } => match select(store, filter) {
            Ok(sel) => TimelineResult::Histogram {
                title: title.clone(),
                histogram: zoom(
                    &views::histogram(store, &sel, HISTOGRAM_FINE),
                    HISTOGRAM_BUCKETS,
                ),
            },
            Err(e) => TimelineResult::Failed(format!("{title}: {e}")),
        },
    }
}

/// See `Vocabulary::encryptions`. NSG rows have no high half of their flags (its column
/// is empty until a VNet row needs it), and so no status.
fn encryptions(store: &Store) -> Vec<String> {
    let mut counts = [0u32; 16];
    let high = store.flags_high();
    counts[0] = (store.len() - high.len()) as u32;
    for &h in high {
        counts[((Flags::join(0, h).0 & ENC_MASK) >> ENC_SHIFT) as usize] += 1;
    }
    // Code k is `Encryption::ALL[k - 1]`; 0 is none.
    let statuses = &counts[1..=Encryption::ALL.len()];
    let mut names: Vec<String> = by_use(statuses)
        .map(|k| Encryption::ALL[k].name().to_string())
        .collect();
    if counts[0] > 0 {
        names.push("-".into());
    }
    names
}

/// The engine's histogram spans the whole store; a rule or address is often active for a
/// small part of it. Keeps the buckets from the first hit to the last, merged into at most
/// `buckets`.
pub fn zoom(h: &Histogram, buckets: usize) -> Histogram {
    let first = h.counts.iter().position(|&c| c > 0);
    let last = h.counts.iter().rposition(|&c| c > 0);
    let (Some(first), Some(last)) = (first, last) else {
        return h.clone();
    };
    let used = &h.counts[first..=last];
    let merge = used.len().div_ceil(buckets.max(1));
    Histogram {
        start_ms: h.start_ms + first as i64 * h.bucket_ms,
        bucket_ms: h.bucket_ms * merge as i64,
        counts: used.chunks(merge).map(|c| c.iter().sum()).collect(),
    }
}

fn vocabulary(store: &Store) -> Vocabulary {
    let rules = distinct_texts(store, store.groups().iter().map(|g| g.rule));
    let nsgs = distinct_texts(store, store.records().iter().map(|r| r.nsg));
    let macs = distinct_texts(store, store.groups().iter().map(|g| g.mac));
    let flowlogs = distinct_texts(store, store.records().iter().map(|r| r.flowlog));
    let targets = distinct_texts(store, store.records().iter().map(|r| r.target));
    let acls = distinct_texts(store, store.groups().iter().map(|g| g.acl));
    let mut version_counts = [0u32; 256];
    store
        .records()
        .iter()
        .for_each(|r| version_counts[r.version as usize] += 1);
    let versions = by_use(&version_counts).map(|v| v as u8).collect();
    let encryptions = encryptions(store);
    // Tuples per address, per side: the most used come first, as ports do.
    let tuples = |ids: &[u32]| {
        let mut counts = vec![0u32; store.addrs().len()];
        ids.iter()
            .for_each(|&id| counts[id as usize] = counts[id as usize].saturating_add(1));
        counts
    };
    let (as_src, as_dst) = (tuples(store.src_ids()), tuples(store.dst_ids()));
    let either: Vec<u32> = as_src
        .iter()
        .zip(&as_dst)
        .map(|(a, b)| a.saturating_add(*b))
        .collect();
    let addresses = |counts: &[u32]| -> Vec<String> {
        by_use(counts)
            .take(VOCABULARY_ADDRESSES)
            .map(|id| store.addrs().get(id as u32).to_string())
            .collect()
    };
    let counts = |ports: &[u16]| {
        let mut counts = vec![0u32; 65536];
        ports
            .iter()
            .for_each(|&p| counts[p as usize] = counts[p as usize].saturating_add(1));
        counts
    };
    let (sport_counts, dport_counts) = (counts(store.sports()), counts(store.dports()));
    let either_port: Vec<u32> = sport_counts
        .iter()
        .zip(&dport_counts)
        .map(|(a, b)| a.saturating_add(*b))
        .collect();
    Vocabulary {
        rules,
        nsgs,
        macs,
        flowlogs,
        targets,
        acls,
        versions,
        encryptions,
        addresses: addresses(&either),
        sources: addresses(&as_src),
        destinations: addresses(&as_dst),
        ports: most_used(&either_port),
        sports: most_used(&sport_counts),
        dports: most_used(&dport_counts),
    }
}

/// The ports with a count, most counted first, at most a thousand.
fn most_used(counts: &[u32]) -> Vec<u16> {
    by_use(counts).take(1000).map(|p| p as u16).collect()
}

/// The places of `counts` with a count, most counted first (ties in order of place).
fn by_use(counts: &[u32]) -> impl Iterator<Item = usize> {
    let mut used: Vec<usize> = (0..counts.len()).filter(|&k| counts[k] > 0).collect();
    used.sort_by_key(|&k| std::cmp::Reverse(counts[k]));
    used.into_iter()
}

/// The texts of `ids`, each once, sorted. Deduplicated as ids first: a string for each
/// of the 6.8M groups of 100M tuples, at about 56 bytes a string and its slot, comes to
/// some 380 MB (counted, not measured alone), if only for a moment.
fn distinct_texts(store: &Store, ids: impl Iterator<Item = u32>) -> Vec<String> {
    let mut seen = vec![false; store.texts().len()];
    ids.for_each(|id| {
        if let Some(seen) = seen.get_mut(id as usize) {
            *seen = true;
        }
    });
    let mut texts: Vec<String> = (0..seen.len() as u32)
        .filter(|&id| seen[id as usize])
        .filter_map(|id| store.text(id))
        .map(str::to_string)
        .collect();
    // Distinct ids are distinct texts: the dictionary interns them.
    texts.sort();
    texts
}

/// The worker threads' handle: submit requests, results come back as `Event::QueryDone`.
/// Refreshes have a thread of their own, so a timeline asked for while a large selection
/// is being summarised or sorted is not queued behind it.
pub struct Worker {
    refreshes: Sender<QueryRequest>,
    others: Sender<QueryRequest>,
    latest: Arc<[AtomicU64; 3]>,
}

impl Worker {
    pub fn spawn(events: Sender<Event>) -> Worker {
        let latest: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
        let start = |name: &str| {
            let (tx, rx) = mpsc::channel::<QueryRequest>();
            let (events, latest) = (events.clone(), Arc::clone(&latest));
            std::thread::Builder::new()
                .name(name.into())
                .spawn(move || serve(rx, events, latest))
                .expect("spawning a query worker thread");
            tx
        };
        let refreshes = start("query-refresh");
        let others = start("query-other");
        Worker {
            refreshes,
            others,
            latest,
        }
    }

    pub fn submit(&self, req: QueryRequest) {
        self.latest[req.kind.slot()].fetch_max(req.generation, Ordering::Relaxed);
        let thread = match req.kind {
            QueryKind::Refresh(_) => &self.refreshes,
            _ => &self.others,
        };
        // A closed channel means the worker is gone with the app; nothing to do.
        let _ = thread.send(req);
    }
}

/// Runs requests in the order they come, skipping any a newer one of its kind made stale.
fn serve(rx: Receiver<QueryRequest>, events: Sender<Event>, latest: Arc<[AtomicU64; 3]>) {
    let mut memo = Memo::default();
    while let Ok(req) = rx.recv() {
        let slot = req.kind.slot();
        let stale = || latest[slot].load(Ordering::Relaxed) > req.generation;
        if stale() {
            continue;
        }
        let mut emit = |result: QueryResult| {
            if stale() {
                return;
            }
            // A closed channel means the app is gone; the thread ends with the process.
            let _ = events.send(Event::QueryDone {
                generation: req.generation,
                result: Box::new(result),
            });
        };
        execute_with(&mut memo, &req, &stale, &mut emit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Addresses and ports are listed for the side they were seen on, the most used
    /// first (ties in the order first seen).
    #[test]
    fn the_vocabulary_keeps_each_side_apart() {
        use crate::views::testing::{build, tuple};
        let tuples = vec![
            tuple(0, "10.0.0.1", 50000, "10.0.0.9", 22),
            tuple(1, "10.0.0.1", 50001, "10.0.0.9", 22),
            tuple(2, "10.0.0.2", 50001, "10.0.0.1", 443),
        ];
        let v = vocabulary(&build(&[("R".into(), tuples)]));
        assert_eq!(v.sources, ["10.0.0.1", "10.0.0.2"]);
        assert_eq!(v.destinations, ["10.0.0.9", "10.0.0.1"]);
        assert_eq!(v.addresses, ["10.0.0.1", "10.0.0.9", "10.0.0.2"]);
        assert_eq!(v.dports, [22, 443]);
        assert_eq!(v.sports, [50001, 50000]);
        assert_eq!(v.ports, [22, 50001, 443, 50000]);
        assert_eq!(v.macs, ["M1"]);
        assert_eq!(v.versions, [2]);
        assert_eq!(v.encryptions, ["-"], "NSG tuples give no status");
    }

    /// Statuses come from the tuples, most used first, and `-` only where some tuple
    /// has none.
    #[test]
    fn encryption_statuses_are_those_the_tuples_give() {
        use crate::model::Encryption;
        use crate::views::testing::{build, tuple};
        let with = |e| {
            let mut t = tuple(0, "10.0.0.1", 50000, "10.0.0.9", 22);
            t.encryption = Some(e);
            t
        };
        let vnet = vec![
            with(Encryption::NxLocalDst),
            with(Encryption::X),
            with(Encryption::NxLocalDst),
        ];
        let v = vocabulary(&build(&[("R".into(), vnet.clone())]));
        assert_eq!(v.encryptions, ["NX_LOCAL_DST", "X"]);
        let nsg = vec![tuple(0, "10.0.0.1", 50000, "10.0.0.9", 22)];
        let v = vocabulary(&build(&[("V".into(), vnet), ("N".into(), nsg)]));
        assert_eq!(v.encryptions, ["NX_LOCAL_DST", "X", "-"]);
    }

    #[test]
    fn zoom_keeps_the_active_span_and_every_hit() {
        let mut counts = vec![0u64; 1000];
        counts[400] = 3;
        counts[409] = 2;
        counts[455] = 5;
        let h = Histogram {
            start_ms: 1_000,
            bucket_ms: 10,
            counts,
        };
        let z = zoom(&h, 5);
        assert_eq!(z.start_ms, 1_000 + 400 * 10);
        assert!(z.counts.len() <= 5);
        assert_eq!(z.counts.iter().sum::<u64>(), 10);
        assert_eq!(z.counts[0], 5, "buckets 400 and 409 merge");
        let empty = Histogram {
            start_ms: 0,
            bucket_ms: 1,
            counts: vec![0; 4],
        };
        assert_eq!(zoom(&empty, 2), empty);
    }
}

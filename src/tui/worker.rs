//! The query worker: filters and views run here, off the UI thread. Every request carries a
//! generation number; a newer request of the same kind makes older ones stale, and stale
//! work stops at the next checkpoint (its result is never sent).

use super::event::Event;
use super::settings::Column;
use crate::field::Field;
use crate::filter::{self, FilterError};
use crate::model::ConversationKey;
use crate::selection::Selection;
use crate::store::Store;
use crate::views::{self, Conversation, Histogram, RuleHits, SortBy, Timeline, TopEntry};
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
    pub fn title(self) -> &'static str {
        match self {
            TopMode::Sources => "Top sources",
            TopMode::Destinations => "Top destinations",
            TopMode::Ports => "Top ports",
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

/// Row ids in display order: the selection itself in load order (nothing copied, however
/// many rows), or a sorted copy.
#[derive(Debug, Clone)]
pub enum RowList {
    Selected(Arc<Selection>),
    Sorted(Arc<Vec<u32>>),
}

impl std::ops::Deref for RowList {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        match self {
            RowList::Selected(s) => s.rows(),
            RowList::Sorted(v) => v,
        }
    }
}

/// The rows a filter selects, in display order: sent first, so the count and the Flows
/// pane update before the slower summaries.
#[derive(Debug, Clone)]
pub struct Rows {
    pub filter: String,
    pub rows: RowList,
    /// Time the filter and ordering took (shown in the status line).
    pub elapsed: Duration,
}

/// The Rules and Top/Conversations panes for one filter.
#[derive(Debug, Clone)]
pub struct Summary {
    pub rules: Vec<RuleHits>,
    pub top_mode: TopMode,
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
    pub addresses: Vec<String>,
    /// Destination ports, most used first.
    pub ports: Vec<u16>,
}

#[derive(Debug, Clone)]
pub enum QueryResult {
    Rows(Result<Rows, (String, FilterError)>),
    Summary(Summary),
    Timeline(TimelineResult),
    Vocabulary(Vocabulary),
}

/// Runs one request, handing each part of the answer to `emit` as soon as it is ready;
/// stops early once `stale` says a newer request of the same kind exists.
pub fn execute(req: &QueryRequest, stale: &dyn Fn() -> bool, emit: &mut dyn FnMut(QueryResult)) {
    let store = &req.store;
    match &req.kind {
        QueryKind::Refresh(spec) => refresh(store, spec, stale, emit),
        QueryKind::Timeline(spec) => emit(QueryResult::Timeline(timeline(store, spec))),
        QueryKind::Vocabulary => emit(QueryResult::Vocabulary(vocabulary(store))),
    }
}

/// The rows `text` selects (blank text: every row).
pub fn select(store: &Store, text: &str) -> Result<Selection, FilterError> {
    if text.trim().is_empty() {
        return Ok(Selection::all(store.len()));
    }
    Ok(filter::compile(text, store)?.select(store))
}

fn refresh(
    store: &Store,
    spec: &RefreshSpec,
    stale: &dyn Fn() -> bool,
    emit: &mut dyn FnMut(QueryResult),
) {
    let started = Instant::now();
    if stale() {
        return;
    }
    let sel = match select(store, &spec.filter) {
        Ok(s) => s,
        Err(e) => return emit(QueryResult::Rows(Err((spec.filter.clone(), e)))),
    };
    if stale() {
        return;
    }
    let sel = Arc::new(sel);
    let rows = ordered_rows(store, &sel, spec.order);
    emit(QueryResult::Rows(Ok(Rows {
        filter: spec.filter.clone(),
        rows,
        elapsed: started.elapsed(),
    })));
    if stale() {
        return;
    }
    let mut rules = views::rule_hits(store, &sel);
    sort_rules(&mut rules, spec.rule_sort);
    if stale() {
        return;
    }
    let top = match spec.top.field() {
        Some(f) => TopList::Entries(views::top(store, &sel, f, SortBy::Tuples, TOP_N)),
        None => TopList::Conversations(views::conversations(store, &sel, SortBy::Bytes, TOP_N)),
    };
    emit(QueryResult::Summary(Summary {
        rules,
        top_mode: spec.top,
        top,
    }));
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

fn ordered_rows(store: &Store, sel: &Arc<Selection>, order: FlowOrder) -> RowList {
    if order.column.is_none() && !order.descending {
        return RowList::Selected(Arc::clone(sel));
    }
    let mut rows = sel.rows().to_vec();
    if let Some(column) = order.column {
        sort_rows(store, &mut rows, column);
    }
    if order.descending {
        rows.reverse();
    }
    RowList::Sorted(Arc::new(rows))
}

fn sort_rows(store: &Store, rows: &mut [u32], column: Column) {
    match column {
        Column::Time => rows.sort_by_key(|&r| store.time_ms(r)),
        Column::Src => rows.sort_by_cached_key(|&r| (store.src(r), store.sports()[r as usize])),
        Column::Dst => rows.sort_by_cached_key(|&r| (store.dst(r), store.dports()[r as usize])),
        Column::Proto => rows.sort_by_key(|&r| store.flag(r).proto()),
        Column::Dir => rows.sort_by_key(|&r| store.flag(r).dir()),
        Column::Action => rows.sort_by_key(|&r| store.flag(r).decision()),
        Column::State => rows.sort_by_key(|&r| store.flag(r).state()),
        Column::Bytes => rows.sort_by_cached_key(|&r| store.counters(r).bytes()),
        Column::Packets => rows.sort_by_cached_key(|&r| store.counters(r).packets()),
        Column::Rule => rows.sort_by_cached_key(|&r| text_of(store, store.group_of(r).rule)),
        Column::Nsg => rows.sort_by_cached_key(|&r| text_of(store, store.record_of(r).nsg)),
    }
}

fn text_of(store: &Store, id: u32) -> String {
    store.text(id).unwrap_or("").to_string()
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
    let mut rules: Vec<String> = store
        .groups()
        .iter()
        .filter_map(|g| store.text(g.rule))
        .map(str::to_string)
        .collect();
    rules.sort();
    rules.dedup();
    let mut nsgs: Vec<String> = store
        .records()
        .iter()
        .filter_map(|r| store.text(r.nsg))
        .map(str::to_string)
        .collect();
    nsgs.sort();
    nsgs.dedup();
    let addresses = store
        .addrs()
        .iter()
        .take(VOCABULARY_ADDRESSES)
        .map(|a| a.to_string())
        .collect();
    let mut counts = vec![0u32; 65536];
    for &p in store.dports() {
        counts[p as usize] = counts[p as usize].saturating_add(1);
    }
    let mut ports: Vec<u16> = (0..=u16::MAX).filter(|&p| counts[p as usize] > 0).collect();
    ports.sort_by_key(|&p| std::cmp::Reverse(counts[p as usize]));
    ports.truncate(1000);
    Vocabulary {
        rules,
        nsgs,
        addresses,
        ports,
    }
}

/// The worker thread's handle: submit requests, results come back as `Event::QueryDone`.
pub struct Worker {
    tx: Sender<QueryRequest>,
    latest: Arc<[AtomicU64; 3]>,
}

impl Worker {
    pub fn spawn(events: Sender<Event>) -> Worker {
        let (tx, rx) = mpsc::channel::<QueryRequest>();
        let latest: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
        let shared = Arc::clone(&latest);
        std::thread::Builder::new()
            .name("query-worker".into())
            .spawn(move || serve(rx, events, shared))
            .expect("spawning the query worker thread");
        Worker { tx, latest }
    }

    pub fn submit(&self, req: QueryRequest) {
        self.latest[req.kind.slot()].fetch_max(req.generation, Ordering::Relaxed);
        // A closed channel means the worker is gone with the app; nothing to do.
        let _ = self.tx.send(req);
    }
}

fn serve(rx: Receiver<QueryRequest>, events: Sender<Event>, latest: Arc<[AtomicU64; 3]>) {
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
        execute(&req, &stale, &mut emit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

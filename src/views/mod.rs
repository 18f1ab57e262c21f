//! Views: the answers the explorer and the command line show, computed from a store and a
//! selection. Pure and synchronous.
//!
//! (Implementation: see the issue "The engine"; the types and signatures below are the
//! contract the command line and the explorer build on.)

use crate::field::Field;
use crate::model::{ConversationKey, Counters, FlowState};
use crate::selection::Selection;
use crate::store::Store;

/// What a list is ordered by (biggest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    #[default]
    Tuples,
    Bytes,
    Packets,
}

/// Totals over a set of tuples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub tuples: u64,
    pub bytes: u64,
    pub packets: u64,
    pub allowed: u64,
    pub denied: u64,
    /// Oldest and newest tuple time, ms (0 when `tuples` is 0).
    pub first_ms: i64,
    pub last_ms: i64,
}

/// One rule's hits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleHits {
    pub rule: String,
    /// The NSG or flow log the rule belongs to (empty if unknown).
    pub scope: String,
    pub tally: Tally,
    /// Hits per hour: (start of hour in ms, tuples), ascending.
    pub per_hour: Vec<(i64, u64)>,
}

/// One key of a top-N list (`stats --by FIELD`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopEntry {
    /// The field value as text (`10.0.0.4`, `3389`, `tcp`, `deny`, a rule name…).
    pub key: String,
    pub tally: Tally,
}

/// A conversation (FORMATS.md "Counting right") with its totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub key: ConversationKey,
    pub tally: Tally,
    /// Sum of C and E counters.
    pub totals: Counters,
    /// States in time order, e.g. `BCCE` (`-` for a tuple without state).
    pub states: String,
}

/// One step of a conversation's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub row: u32,
    pub time_ms: i64,
    pub state: Option<FlowState>,
    pub counters: Counters,
    pub rule: String,
}

/// A conversation's tuples in time order (ties: B < C < E < D).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub key: ConversationKey,
    pub steps: Vec<Step>,
    pub totals: Counters,
    pub duration_ms: i64,
}

/// Tuples over time in equal buckets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    pub start_ms: i64,
    pub bucket_ms: i64,
    pub counts: Vec<u64>,
}

pub fn rule_hits(store: &Store, sel: &Selection) -> Vec<RuleHits> {
    let _ = (store, sel);
    todo!("views")
}

pub fn top(store: &Store, sel: &Selection, field: Field, sort: SortBy, n: usize) -> Vec<TopEntry> {
    let _ = (store, sel, field, sort, n);
    todo!("views")
}

pub fn conversations(store: &Store, sel: &Selection, sort: SortBy, n: usize) -> Vec<Conversation> {
    let _ = (store, sel, sort, n);
    todo!("views")
}

pub fn timeline(store: &Store, key: &ConversationKey) -> Timeline {
    let _ = (store, key);
    todo!("views")
}

pub fn histogram(store: &Store, sel: &Selection, buckets: usize) -> Histogram {
    let _ = (store, sel, buckets);
    todo!("views")
}

//! Views: the answers the explorer and the command line show, computed from a store and a
//! selection. Pure and synchronous.
//!
//! ```text
//!  selection ─> scan (row, group, counters) ─> rules · top-N · conversations · histogram
//!  conversation key ─> timeline
//!  selection ─> chronology (time order, a window at a time)
//! ```

mod carry_sums;
mod chronology;
mod conversations;
mod histogram;
mod parts;
mod rules;
mod scan;
mod tally;
mod timeline;
mod top;
mod top_scan;

pub use chronology::Chronology;
pub use conversations::{conversations, conversations_unless};
pub use histogram::histogram;
pub use rules::rule_hits;
pub use tally::counts_toward_totals;
pub use timeline::timeline;
pub use top::top;
pub(crate) use top_scan::group_slot;

use crate::model::{ConversationKey, Counters, FlowState};

/// What a list is ordered by (biggest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    #[default]
    Tuples,
    Bytes,
    Packets,
}

impl SortBy {
    pub fn name(self) -> &'static str {
        match self {
            SortBy::Tuples => "tuples",
            SortBy::Bytes => "bytes",
            SortBy::Packets => "packets",
        }
    }
    pub fn parse(s: &str) -> Option<SortBy> {
        [SortBy::Tuples, SortBy::Bytes, SortBy::Packets]
            .into_iter()
            .find(|v| v.name().eq_ignore_ascii_case(s))
    }
}

/// Totals over a set of tuples. Bytes and packets are the sums over `C` and `E` tuples
/// (FORMATS.md "Counting right"); `B` and `D` tuples carry none.
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
    /// Another interface (MAC) logged the same flow, endpoints and protocol, in the
    /// selection: the two conversations differ only by their MAC.
    pub other_interface: bool,
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

impl Tally {
    /// The figure `sort` orders by.
    pub fn metric(&self, sort: SortBy) -> u64 {
        match sort {
            SortBy::Tuples => self.tuples,
            SortBy::Bytes => self.bytes,
            SortBy::Packets => self.packets,
        }
    }
}

#[cfg(test)]
pub(crate) mod testing;

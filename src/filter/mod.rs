//! The filter language (DESIGN.md "Filter language"): parse → check → compile, then
//! evaluate column-wise over the store into a selection.
//!
//! ```text
//! text ─lexer─> tokens ─parser─> Expr ─check─> Cond ─plan─> Node ─eval─> bitmap ─> Selection
//! ```
//! Decisions worth knowing:
//! - `ip != X` and `port != X` mean neither side is X (the negation of `ip == X`).
//! - A field followed directly by a value means `==` (`port 22`, `src 10.0.0.0/8`).
//! - Bare words: `deny denied allow allowed inbound outbound tcp udp icmp icmpv6 encrypted
//!   unencrypted`, services `ssh rdp http https dns smb` (either port), and an address or
//!   CIDR (either side). `in` and `out` alone are
//!   rejected as ambiguous (is `in` the operator or the direction?); the error says to
//!   write `inbound` or `dir == in`.
//! - Times without a zone are UTC and cover the precision typed: `time == 2024-11-18` is
//!   the whole day, `time < "2024-11-18 09:10"` is before that minute.
//! - `last 15m` keeps tuples no older than 15 minutes before the newest tuple loaded.

mod ast;
mod check;
mod complete;
mod eval;
mod lexer;
mod parser;
mod plan;
mod value;
mod vocab;

#[cfg(test)]
mod tests;

pub use complete::{complete, field_names, value_keywords, Completion};
pub use vocab::{operators, suggestions};

use crate::selection::Selection;
use crate::store::{Columns, Store};
use check::Cond;
use plan::{Fingerprint, Node};

/// A filter error: where (character offset in the text) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at column {})", .position + 1)]
pub struct FilterError {
    /// Character offset (not byte) of the offending token.
    pub position: usize,
    /// What was expected or wrong, e.g. "expected a port number".
    pub message: String,
    /// Nearest field names for an unknown field.
    pub suggestions: Vec<String>,
}

impl FilterError {
    pub(crate) fn at(position: usize, message: impl Into<String>) -> FilterError {
        FilterError {
            position,
            message: message.into(),
            suggestions: Vec::new(),
        }
    }
    pub(crate) fn with_suggestions(mut self, suggestions: Vec<String>) -> FilterError {
        self.suggestions = suggestions;
        self
    }
}

/// A checked filter, ready to evaluate against the store it was compiled for.
#[derive(Debug, Clone)]
pub struct Compiled {
    cond: Cond,
    plan: Node,
    fingerprint: Fingerprint,
}

/// Parses and checks `text` against `store` (regexes, values, `last 15m` relative to the
/// newest tuple). Empty or blank text selects every row.
pub fn compile(text: &str, store: &Store) -> Result<Compiled, FilterError> {
    let (_, cond) = checked(text, store.time_range().map(|(_, newest)| newest))?;
    Ok(Compiled::plan(cond, store))
}

/// Parses and checks `text` for stores yet to come, each evaluated on its own (a load's
/// files, one by one); `Ok(None)` when it cannot be: `last 15m` counts back from the
/// newest tuple of the whole load.
pub fn compile_unanchored(text: &str) -> Result<Option<Compiled>, FilterError> {
    let (expr, cond) = checked(text, None)?;
    // Planned for the empty store: any other store gets a plan of its own.
    Ok((!expr.uses_last()).then(|| Compiled::plan(cond, &Store::default())))
}

/// Checks `text` without a store, and says which optional store columns it reads: a
/// command checks its filter this way before reading anything.
pub fn columns(text: &str) -> Result<Columns, FilterError> {
    checked(text, None).map(|(_, cond)| cond.columns())
}

/// Parses and checks `text`; `newest` is the anchor of `last 15m` (none: it keeps nothing).
fn checked(text: &str, newest: Option<i64>) -> Result<(ast::Expr, Cond), FilterError> {
    let tokens = lexer::tokenize(text)?;
    let expr = parser::parse(&tokens, text.chars().count())?;
    let cond = check::check(&expr, newest)?;
    Ok((expr, cond))
}

impl Compiled {
    /// `cond` with its lookup tables built for `store`.
    fn plan(cond: Cond, store: &Store) -> Compiled {
        Compiled {
            plan: plan::build(&cond, store),
            fingerprint: Fingerprint::of(store),
            cond,
        }
    }

    /// The optional store columns evaluating this filter reads.
    pub fn columns(&self) -> Columns {
        self.cond.columns()
    }

    pub fn select(&self, store: &Store) -> Selection {
        Selection::from_bitmap(self.bitmap(store), store.len())
    }

    pub fn count(&self, store: &Store) -> usize {
        let words = self.bitmap(store);
        words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether one row passes (false for a row outside the store).
    pub fn matches(&self, store: &Store, row: u32) -> bool {
        if row as usize >= store.len() {
            return false;
        }
        if Fingerprint::of(store) == self.fingerprint {
            eval::matches(&self.plan, store, row)
        } else {
            eval::matches(&plan::build(&self.cond, store), store, row)
        }
    }

    /// The rows kept, as a bitmap (bit `i` of word `i / 64` = row `i`).
    pub fn bitmap(&self, store: &Store) -> Vec<u64> {
        // A store that grew since compiling (background loading) gets fresh lookup tables.
        if Fingerprint::of(store) == self.fingerprint {
            eval::bitmap(&self.plan, store)
        } else {
            eval::bitmap(&plan::build(&self.cond, store), store)
        }
    }
}

//! The filter language (DESIGN.md "Filter language"): parse → check → compile, then
//! evaluate column-wise over the store into a selection.

use crate::selection::Selection;
use crate::store::Store;

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

/// A checked filter, ready to evaluate against the store it was compiled for.
#[derive(Debug, Clone)]
pub struct Compiled {
    _private: (),
}

/// Parses and checks `text` against `store` (regexes, values, `last 15m` relative to the
/// newest tuple). Empty or blank text selects every row.
pub fn compile(text: &str, store: &Store) -> Result<Compiled, FilterError> {
    let _ = (text, store);
    todo!("filter")
}

impl Compiled {
    pub fn select(&self, store: &Store) -> Selection {
        let _ = store;
        todo!("filter")
    }
    pub fn count(&self, store: &Store) -> usize {
        self.select(store).len()
    }
}

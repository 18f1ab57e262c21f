//! The built-in demo scenario, compiled from `assets/demo/`.

use crate::load::Source;

/// The demo's files, as embedded sources.
pub fn sources() -> Vec<Source> {
    Vec::new()
}

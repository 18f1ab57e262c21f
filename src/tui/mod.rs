//! The explorer: panes for rules, flows, a conversation timeline and a live filter.
//!
//! (Implementation: see the issue "The explorer".)

use crate::load::Source;

/// Runs the explorer on `sources` until the user quits; the terminal is restored on every
/// way out, panics included.
pub fn run(sources: Vec<Source>) -> anyhow::Result<()> {
    let _ = sources;
    anyhow::bail!("the explorer is not built yet; use `flowscope check|query|stats`")
}

//! Loading: walk paths, read and parse flow log files in parallel, salvage what hostile
//! input allows, and account for every tuple seen (loaded + rejected = seen).
//!
//! (Implementation: see the issue "The engine"; the types below are the contract the
//! command line and the explorer build on.)

mod report;

pub use report::{LoadReport, Problem, ProblemKind, Progress};

use crate::store::Store;
use std::path::PathBuf;

/// Where to read from: a file, a folder (searched for `*.json` and `*.log`), or `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Path(PathBuf),
    Stdin,
    /// A file compiled into the binary (the demo scenario in `assets/`).
    Embedded {
        name: &'static str,
        data: &'static [u8],
    },
}

impl Source {
    pub fn from_arg(arg: &str) -> Source {
        if arg == "-" {
            Source::Stdin
        } else {
            Source::Path(PathBuf::from(arg))
        }
    }
}

#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Worker threads; 0 = one per core.
    pub threads: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions { threads: 0 }
    }
}

/// Loads every source. Never fails on bad content (that is reported in the `LoadReport`);
/// fails only when the caller's arguments make no sense.
pub fn load(
    sources: &[Source],
    options: &LoadOptions,
    progress: &Progress,
) -> Result<(Store, LoadReport), LoadError> {
    let _ = (sources, options, progress);
    todo!("loader")
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("nothing to load: no path given")]
    NoSources,
    #[error("{path}: no such file or folder")]
    NotFound { path: String },
}

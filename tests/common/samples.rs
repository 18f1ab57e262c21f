//! Where the conformance corpus is: `FLOWSCOPE_SAMPLES`, else `../shared/samples` beside the
//! project. Absent outside CI, tests that need it print a note and pass; under `CI=true` a
//! missing corpus fails them.

use std::path::PathBuf;

/// The samples folder, or `None` (with a note) when it is absent outside CI.
pub fn samples() -> Option<PathBuf> {
    let dir = std::env::var_os("FLOWSCOPE_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/samples"));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "samples folder {} is missing (set FLOWSCOPE_SAMPLES)",
            dir.display()
        );
    }
    eprintln!("note: samples folder {} not found; skipping", dir.display());
    None
}

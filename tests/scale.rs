//! Loading at scale and from awkward trees: one file far larger than the rest loads like
//! the same records spread over many files (and in parts as on one thread), and paths
//! that cannot be read are reported without stopping the load.

use flowscope::filter;
use flowscope::gen::{self, GenSpec};
use flowscope::load::{self, LoadOptions, LoadReport, ProblemKind, Progress, Source};
use flowscope::store::Store;
use std::path::{Path, PathBuf};

fn load_dir(dir: &Path) -> (Store, LoadReport) {
    let sources = [Source::Path(dir.to_path_buf())];
    load::load(&sources, &LoadOptions::default(), &Progress::default()).expect("loads")
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Joins the records of every `{"records":[…]}` file under `dir` into one file.
fn concatenate(dir: &Path, out: &Path) {
    let mut text = String::from("{\"records\":[");
    for (i, path) in json_files(dir).iter().enumerate() {
        let file = std::fs::read_to_string(path).expect("generated file");
        let inner = file
            .trim()
            .strip_prefix("{\"records\":[")
            .and_then(|t| t.strip_suffix("]}"))
            .expect("generated files are wrapped in a records array");
        if i > 0 {
            text.push(',');
        }
        text.push_str(inner);
    }
    text.push_str("]}");
    std::fs::write(out, text).expect("joined file written");
}

#[test]
fn one_large_file_loads_like_its_records_in_many_files() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let many = tmp.path().join("many");
    let spec = GenSpec {
        tuples: 500_000,
        ..GenSpec::default()
    };
    gen::generate(&spec, &many).expect("generated");
    let one = tmp.path().join("one");
    std::fs::create_dir(&one).expect("folder");
    concatenate(&many, &one.join("all.json"));
    let size = std::fs::metadata(one.join("all.json"))
        .expect("joined")
        .len();
    assert!(
        size > 32 << 20,
        "large enough to be mapped and read in parts: {size} bytes"
    );

    let (a, ra) = load_dir(&many);
    let (b, rb) = load_dir(&one);
    assert_eq!((ra.tuples, ra.rejected), (spec.tuples, 0));
    assert_eq!((rb.tuples, rb.rejected, rb.files), (spec.tuples, 0, 1));
    assert_eq!(a.len(), b.len());
    assert_eq!(a.addrs().len(), b.addrs().len());
    let count = |s: &Store| {
        filter::compile("dport == 3389 and action == deny", s)
            .expect("filter compiles")
            .count(s)
    };
    assert_eq!(count(&a), count(&b));
    for row in [0, a.len() as u32 / 2, a.len() as u32 - 1] {
        assert_eq!(a.tuple(row), b.tuple(row), "row {row}");
    }

    // The one file read on one thread, and in three parts: the same rows from the same
    // records (numbers and byte offsets), the same report.
    let load_with = |threads| {
        let sources = [Source::Path(one.clone())];
        load::load(&sources, &LoadOptions { threads }, &Progress::default()).expect("loads")
    };
    let ((whole, rw), (parts, rp)) = (load_with(1), load_with(3));
    assert_eq!(rw, rp);
    assert_eq!(whole.len(), parts.len());
    assert_eq!(whole.records().len(), parts.records().len());
    for row in 0..whole.len() as u32 {
        let (w, p) = (whole.record_of(row), parts.record_of(row));
        assert_eq!(
            (whole.tuple(row), w.ordinal, w.offset),
            (parts.tuple(row), p.ordinal, p.offset),
            "row {row}"
        );
    }
}

#[cfg(unix)]
#[test]
fn dangling_links_and_link_loops_are_reported_not_fatal() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    let spec = GenSpec {
        tuples: 1_000,
        ..GenSpec::default()
    };
    // A folder whose name looks like a log file is searched, not read.
    gen::generate(&spec, &root.join("logs.json")).expect("generated");
    symlink(root.join("missing.json"), root.join("dangling.json")).expect("link");
    symlink(root.join("self.json"), root.join("self.json")).expect("link");
    symlink(root, root.join("logs.json/back")).expect("link");

    let (store, report) = load_dir(root);
    assert_eq!(store.len() as u64, spec.tuples, "the loop is followed once");
    let unreadable: Vec<&str> = report
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::Unreadable)
        .map(|p| p.file.as_str())
        .collect();
    // A link to itself names nothing readable; a loop back to a folder loses nothing.
    assert_eq!(unreadable.len(), 2, "{:?}", report.problems);
    assert!(unreadable.iter().any(|f| f.ends_with("dangling.json")));
    assert!(unreadable.iter().any(|f| f.ends_with("self.json")));
    let looped = report
        .problems
        .iter()
        .find(|p| p.file.ends_with("logs.json/back"));
    assert_eq!(looped.map(|p| p.kind), Some(ProblemKind::FoundBefore));
}

//! Generated trees, read back with serde_json: valid JSON, exact counts, deterministic.

use super::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Every file under `dir`, relative path → bytes, in path order.
pub(crate) fn read_tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("under root").to_path_buf();
                files.insert(rel, std::fs::read(&path).expect("readable file"));
            }
        }
    }
    files
}

/// Tuple strings of one record, whatever its family.
fn record_tuples(record: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let as_strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("flowTuples array")
            .iter()
            .map(|t| t.as_str().expect("string tuple").to_string())
            .collect()
    };
    if let Some(flows) = record.pointer("/properties/flows") {
        for rule in flows.as_array().expect("rules") {
            for f in rule["flows"].as_array().expect("mac flows") {
                out.extend(as_strings(&f["flowTuples"]));
            }
        }
    } else {
        for acl in record
            .pointer("/flowRecords/flows")
            .and_then(Value::as_array)
            .expect("acl flows")
        {
            for g in acl["flowGroups"].as_array().expect("flow groups") {
                out.extend(as_strings(&g["flowTuples"]));
            }
        }
    }
    out
}

struct Counted {
    files: u64,
    records: u64,
    tuples: Vec<String>,
    bytes: u64,
    categories: Vec<String>,
}

fn count(dir: &Path) -> Counted {
    let mut c = Counted {
        files: 0,
        records: 0,
        tuples: Vec::new(),
        bytes: 0,
        categories: Vec::new(),
    };
    for (path, bytes) in read_tree(dir) {
        assert!(path.ends_with("PT1H.json"), "{}", path.display());
        c.files += 1;
        c.bytes += bytes.len() as u64;
        let doc: Value = serde_json::from_slice(&bytes).expect("valid JSON");
        for record in doc["records"].as_array().expect("records array") {
            c.records += 1;
            c.categories
                .push(record["category"].as_str().expect("category").to_string());
            c.tuples.extend(record_tuples(record));
        }
    }
    c
}

fn spec(kind: GenKind, tuples: u64, macs: usize) -> GenSpec {
    GenSpec {
        kind,
        tuples,
        macs,
        seed: 42,
        tuples_per_record: 37,
        ..GenSpec::default()
    }
}

#[test]
fn summary_matches_what_the_files_hold() {
    for kind in [
        GenKind::NsgV1,
        GenKind::NsgV2,
        GenKind::Vnet,
        GenKind::Mixed,
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let summary = generate(&spec(kind, 5_003, 3), dir.path()).expect("generated");
        let counted = count(dir.path());
        assert_eq!(summary.tuples, 5_003, "{kind:?}");
        assert_eq!(counted.tuples.len() as u64, summary.tuples, "{kind:?}");
        assert_eq!(counted.records, summary.records, "{kind:?}");
        assert_eq!(counted.files, summary.files, "{kind:?}");
        assert_eq!(counted.bytes, summary.bytes, "{kind:?}");
    }
}

#[test]
fn tuples_have_the_field_count_of_their_format() {
    let dir = tempfile::tempdir().expect("temp dir");
    generate(&spec(GenKind::Mixed, 3_000, 3), dir.path()).expect("generated");
    let counted = count(dir.path());
    let mut widths: Vec<usize> = counted
        .tuples
        .iter()
        .map(|t| t.split(',').count())
        .collect();
    widths.sort_unstable();
    widths.dedup();
    assert_eq!(widths, [8, 13]);
    assert!(counted.categories.iter().any(|c| c == "FlowLogFlowEvent"));
    assert!(counted
        .categories
        .iter()
        .any(|c| c == "NetworkSecurityGroupFlowEvent"));
}

#[test]
fn conversations_begin_continue_and_end() {
    let dir = tempfile::tempdir().expect("temp dir");
    generate(&spec(GenKind::NsgV2, 20_000, 1), dir.path()).expect("generated");
    let tuples = count(dir.path()).tuples;
    let state = |s: &str| {
        tuples
            .iter()
            .filter(|t| t.split(',').nth(8) == Some(s))
            .count()
    };
    assert!(state("B") > 0 && state("C") > 0 && state("E") > 0);
    // Begin tuples carry no counters; the others do.
    for t in &tuples {
        let f: Vec<&str> = t.split(',').collect();
        assert_eq!(f[8] == "B", f[9].is_empty(), "{t}");
    }
    assert!(
        tuples.iter().any(|t| t.contains(",I,D,")),
        "denied inbound scans"
    );
    assert!(
        tuples
            .iter()
            .any(|t| t.split(',').nth(1).is_some_and(|a| a.contains(':'))),
        "some IPv6"
    );
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, b, c) = (
        tempfile::tempdir(),
        tempfile::tempdir(),
        tempfile::tempdir(),
    );
    let (a, b, c) = (a.expect("temp"), b.expect("temp"), c.expect("temp"));
    let s = spec(GenKind::Mixed, 2_000, 2);
    generate(&s, a.path()).expect("generated");
    generate(&s, b.path()).expect("generated");
    generate(&GenSpec { seed: 43, ..s }, c.path()).expect("generated");
    assert_eq!(read_tree(a.path()), read_tree(b.path()));
    assert_ne!(read_tree(a.path()), read_tree(c.path()));
}

#[test]
fn zero_macs_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(generate(&spec(GenKind::NsgV2, 10, 0), dir.path()).is_err());
}

//! Loading one file's bytes held in memory, through the same per-file path as `load`
//! (decoding, fast path, salvage, accounting), for embedders, fuzzing and property tests.

use super::parallel::{parse_bytes, Parse};
use super::report::{LoadReport, Progress};
use crate::store::Store;

/// Loads `data` as the content of a file called `name`. Like `load`, it never fails: what
/// the bytes do not allow is in the report (`tuples + rejected` = tuples seen).
pub fn load_bytes(name: &str, data: &[u8]) -> (Store, LoadReport) {
    let outcome = parse_bytes(name.to_string(), data, Parse::WHOLE, &Progress::default());
    let mut report = LoadReport::default();
    let builder = super::account(&mut report, outcome).unwrap_or_default();
    (builder.finish(), report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::ProblemKind;
    use crate::load::{load, LoadOptions, Progress, Source};

    const NSG: &[u8] = br#"{"records":[{"time":"2024-01-01T00:00:00Z","resourceId":"/X/NSG1",
"properties":{"Version":2,"flows":[{"rule":"R","flows":[{"mac":"000D3A000001","flowTuples":[
"1704067200,10.0.0.1,10.0.0.2,1,22,T,I,A,B,1,2,3,4","bad","1704067201,10.0.0.1,10.0.0.3,1,80,T,O,D"
]}]}]}},{"time":"2024-01-01T00:01:00Z","properties":{"Version":2,"flows":[{"rule":"R2","flows":[
{"mac":"000D3A000002","flowTuples":["1704067260,10.0.0.4,10.0.0.2,5,443,T,I,A,E,1,2,3,4"]}]}]}}"#;

    /// The reference: the file loader fed the same bytes as an embedded source.
    fn via_load(name: &'static str, data: &'static [u8]) -> (Store, LoadReport) {
        let source = Source::Embedded { name, data };
        let options = LoadOptions { threads: 1 };
        load(&[source], &options, &Progress::default()).expect("one source")
    }

    fn rows(store: &Store) -> Vec<(i64, String, String, u16)> {
        (0..store.len() as u32)
            .map(|r| {
                let dport = store.dports()[r as usize];
                (
                    store.time_ms(r),
                    store.src(r).to_string(),
                    store.dst(r).to_string(),
                    dport,
                )
            })
            .collect()
    }

    fn assert_same_as_load(name: &'static str, data: &'static [u8]) {
        let (store, report) = load_bytes(name, data);
        let (want_store, want_report) = via_load(name, data);
        assert_eq!(report, want_report, "{name}");
        assert_eq!(rows(&store), rows(&want_store), "{name}");
        assert_eq!(store.records(), want_store.records(), "{name}");
        assert_eq!(store.files(), want_store.files(), "{name}");
    }

    #[test]
    fn matches_the_file_loader_on_a_clean_file() {
        assert_same_as_load("clean.json", NSG);
        let (store, report) = load_bytes("clean.json", NSG);
        assert_eq!(report.records, 2);
        assert_eq!(report.tuples as usize, store.len());
        assert_eq!(report.tuples + report.rejected, 4);
    }

    #[test]
    fn matches_the_file_loader_on_a_cut_file() {
        let cut = &NSG[..NSG.len() - 40];
        let (store, report) = load_bytes("cut.json", cut);
        assert!(report
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::Truncated));
        assert!(store.len() >= 2, "the first record is whole");
        assert_same_as_load("cut.json", &NSG[..NSG.len() - 40]);
    }

    /// Bytes that are not UTF-8 in a rule name: the tuples load, and the replacement is
    /// named as a repair (two different bad names would read the same).
    #[test]
    fn bytes_that_are_not_utf8_are_replaced_and_said_so() {
        let mut bad = NSG.to_vec();
        let at = bad.windows(3).position(|w| w == b"\"R\"").unwrap() + 2;
        bad.splice(at..at, [0xff, 0xfe]);
        let (good, clean) = load_bytes("good.json", NSG);
        let (store, report) = load_bytes("bad.json", &bad);
        assert_eq!(store.len(), good.len());
        let repairs: Vec<&str> = report
            .problems
            .iter()
            .filter(|p| p.kind == ProblemKind::Repaired)
            .map(|p| p.detail.as_str())
            .collect();
        assert_eq!(repairs.len(), 1, "{:?}", report.problems);
        assert!(
            repairs[0].starts_with("bytes that are not UTF-8"),
            "{repairs:?}"
        );
        assert!(clean
            .problems
            .iter()
            .all(|p| p.kind != ProblemKind::Repaired));
    }

    #[test]
    fn empty_and_foreign_files_are_skipped_as_load_skips_them() {
        for (name, data) in [
            ("empty.json", &b"  \n"[..]),
            ("bom.json", &b"\xef\xbb\xbf"[..]),
            ("other.json", &br#"{"a":[1,2,3]}"#[..]),
            ("binary.log", &b"\xff\xfe\x00garbage"[..]),
        ] {
            let (store, report) = load_bytes(name, data);
            assert_eq!(store.len(), 0, "{name}");
            assert_eq!(report.skipped_files, 1, "{name}");
            assert_eq!(report.files, 0, "{name}");
            assert_same_as_load(name, data);
        }
    }
}

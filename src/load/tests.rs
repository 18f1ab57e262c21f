//! Whole-loader tests on small hand-written inputs: file shapes, salvage, accounting.

use super::*;
use crate::model::Decision;

const NSG_REC: &str = r#"{"time":"2024-11-18T08:00:00.0000000Z","macAddress":"00AA","category":"NetworkSecurityGroupFlowEvent","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG-A","properties":{"Version":2,"flows":[{"rule":"R1","flows":[{"mac":"00BB","flowTuples":["1731916800,10.0.0.1,10.0.0.2,1000,22,T,I,A,B,,,,","1731916801,10.0.0.1,10.0.0.2,1000,22,T,I,A,E,1,2,3,4"]}]},{"rule":"R2","flows":[]}]}}"#;

const VNET_REC: &str = r#"{"time":"2024-11-18T08:00:00Z","flowLogVersion":4,"macAddress":"00cc","flowLogResourceID":"/S/FLOWLOGS/FL1","targetResourceID":"/s/x/virtualNetworks/vnet1","flowRecords":{"flows":[{"aclID":"/s/rg/providers/Microsoft.Network/networkSecurityGroups/nsg-b","flowGroups":[{"rule":"R3","flowTuples":["1731916800000,10.0.0.3,10.0.0.4,1,443,6,O,D,NX,0,0,0,0"]}]},{"aclID":"00000000-0000-0000-0000-000000000000","flowGroups":[{"rule":"PlatformRule","flowTuples":["1731916800001,10.0.0.3,10.0.0.4,1,443,6,O,B,NX,0,0,0,0"]}]}]}}"#;

fn load_texts(files: &[(&str, &str)], threads: usize) -> (Store, LoadReport) {
    let sources: Vec<Source> = files
        .iter()
        .map(|(name, text)| Source::Embedded {
            name: Box::leak(name.to_string().into_boxed_str()),
            data: Box::leak(text.as_bytes().to_vec().into_boxed_slice()),
        })
        .collect();
    load(&sources, &LoadOptions { threads }, &Progress::default()).unwrap()
}

fn one(text: &str) -> (Store, LoadReport) {
    load_texts(&[("f.json", text)], 1)
}

/// `records` in a blob's `{"records":[…]}` wrapper.
fn wrapped(records: &[&str]) -> String {
    format!(r#"{{"records":[{}]}}"#, records.join(","))
}

/// Records, tuples loaded and tuples rejected.
fn counts(report: &LoadReport) -> (u64, u64, u64) {
    (report.records, report.tuples, report.rejected)
}

/// The NSG record without its closing brace.
fn left_open() -> &'static str {
    NSG_REC
        .strip_suffix('}')
        .expect("a record ends with its brace")
}

fn kinds(report: &LoadReport) -> Vec<ProblemKind> {
    report.problems.iter().map(|p| p.kind).collect()
}

fn offsets_point_at_braces(store: &Store, text: &str) {
    for r in store.records() {
        if r.offset != u64::MAX {
            assert_eq!(text.as_bytes()[r.offset as usize], b'{', "{r:?}");
        }
    }
}

#[test]
fn wrapped_pretty_crlf_with_bom() {
    let text =
        format!("\u{feff}{{\r\n \"records\" : [\r\n {NSG_REC} ,\r\n{VNET_REC}\r\n]\r\n}}\r\n");
    let (s, r) = one(&text);
    assert_eq!((r.files, r.records, r.tuples, r.rejected), (1, 2, 4, 0));
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    offsets_point_at_braces(&s, &text);
    assert_eq!(s.records()[0].ordinal, 0);
}

#[test]
fn ndjson_bare_array_and_single_record() {
    for text in [
        format!("{NSG_REC}\n{VNET_REC}\n"),
        format!("[{NSG_REC},{VNET_REC}]"),
        format!("{NSG_REC}{VNET_REC}"),
    ] {
        let (s, r) = one(&text);
        assert_eq!((r.records, r.tuples), (2, 4), "{text}");
        assert!(r.problems.is_empty());
        offsets_point_at_braces(&s, &text);
    }
    let (_, r) = one(VNET_REC);
    assert_eq!((r.records, r.tuples), (1, 2));
}

#[test]
fn nested_wrapper_inside_the_array_loads_too() {
    let text = format!(r#"{{"records":[{NSG_REC},{{"records":[{VNET_REC},{NSG_REC}]}}]}}"#);
    let (s, r) = one(&text);
    assert_eq!((r.records, r.tuples), (3, 6));
    offsets_point_at_braces(&s, &text);
}

#[test]
fn record_fields_groups_and_names() {
    let (s, _) = one(&format!("[{NSG_REC},{VNET_REC}]"));
    // NSG: the inner mac wins over the record's; the rule with no flows has no rows.
    assert_eq!(s.text(s.record_of(0).nsg), Some("NSG-A"));
    assert_eq!(s.text(s.group_of(0).mac), Some("00BB"));
    assert_eq!(s.text(s.group_of(0).rule), Some("R1"));
    assert_eq!(s.records()[0].version, 2);
    assert_eq!(s.records()[0].time_ms, 1_731_916_800_000);
    // VNet: uppercased MAC, flow log and target names, NSG named only for its ACL.
    assert_eq!(s.text(s.group_of(2).mac), Some("00CC"));
    assert_eq!(s.text(s.record_of(2).flowlog), Some("FL1"));
    assert_eq!(s.text(s.record_of(2).target), Some("vnet1"));
    assert_eq!(s.text(s.record_of(2).nsg), Some("nsg-b"));
    assert_eq!(s.record_of(3).nsg, crate::store::NONE);
    assert_eq!(s.record_of(3).ordinal, s.record_of(2).ordinal);
    // One store record per NSG seen in the VNet record, none left empty.
    assert_eq!(s.records().len(), 3);
    assert_eq!(s.tuple(2).decision, Decision::Deny);
    assert_eq!(s.tuple(1).counters.bytes_in, 4);
}

#[test]
fn leading_comma_fragment_is_recovered() {
    let text = format!("\u{feff},{NSG_REC}");
    let (s, r) = one(&text);
    assert_eq!((r.records, r.tuples), (1, 2));
    assert_eq!(kinds(&r), [ProblemKind::Repaired]);
    offsets_point_at_braces(&s, &text);
}

#[test]
fn trailing_comma_in_tuples_is_repaired() {
    let bad = NSG_REC.replace("E,1,2,3,4\"]", "E,1,2,3,4\",\n ]");
    let (_, r) = one(&format!(r#"{{"records":[{NSG_REC},{bad}]}}"#));
    assert_eq!((r.records, r.tuples), (2, 4));
    assert_eq!(kinds(&r), [ProblemKind::Repaired]);
    assert!(
        r.problems[0].detail.contains("record 2"),
        "{:?}",
        r.problems
    );
}

/// Bytes that are not UTF-8 before a place: the place named and the records' offsets are
/// the file's bytes, not the text's (each replacement takes 3 bytes of text).
#[test]
fn places_after_bytes_that_are_not_utf8_are_the_files_bytes() {
    let bad = NSG_REC.replacen("\"rule\":\"", "\"rule\":\"\u{1}", 1);
    assert_ne!(bad, NSG_REC, "the rule name is where the fixture has it");
    let whole = wrapped(&[&bad, &bad, NSG_REC]).into_bytes();
    // One byte, then three, that are not UTF-8 where the marks are.
    let mut data = Vec::new();
    for (k, &b) in whole.iter().enumerate() {
        match b {
            1 if data.iter().filter(|&&b| b == 0xff).count() == 0 => data.push(0xff),
            1 => data.extend_from_slice(&[0xe9, 0xff, 0xfe]),
            _ => data.push(whole[k]),
        }
    }
    let starts: Vec<usize> = (0..data.len())
        .filter(|&i| data[i..].starts_with(b"{\"time\""))
        .collect();
    assert_eq!(starts.len(), 3);
    let cut = &data[..starts[2] + 300];
    let source = Source::Embedded {
        name: "f.json",
        data: Box::leak(cut.to_vec().into_boxed_slice()),
    };
    let (s, r) = load(&[source], &LoadOptions { threads: 1 }, &Progress::default()).unwrap();
    assert_eq!((r.records, r.tuples), (2, 4));
    let truncated = r.problems.iter().find(|p| p.kind == ProblemKind::Truncated);
    let detail = &truncated.expect("the cut is reported").detail;
    assert!(
        detail.contains(&format!("record 3 at byte {}", starts[2])),
        "{detail}"
    );
    let offsets: Vec<u64> = s.records().iter().map(|r| r.offset).collect();
    assert_eq!(offsets, [starts[0] as u64, starts[1] as u64]);
}

/// A bad tuple in a rule's second MAC block is named by its place in the rule: "tuple 2"
/// had named a good tuple of the first block.
#[test]
fn a_bad_tuple_is_numbered_through_its_rule() {
    let good = "1731916800,10.0.0.1,10.0.0.2,1000,22,T,I,A,B,,,,";
    let bad = "1731916800,10.0.0.1,10.0.0.2,1000,22,T,I,A,B,,,";
    let record = format!(
        r#"{{"time":"2024-11-18T08:00:00Z","category":"NetworkSecurityGroupFlowEvent","resourceId":"/X/NSG","properties":{{"Version":2,"flows":[{{"rule":"R1","flows":[{{"mac":"AA","flowTuples":["{good}","{good}","{good}"]}},{{"mac":"BB","flowTuples":["{good}","{bad}"]}}]}}]}}}}"#
    );
    let (_, r) = one(&wrapped(&[&record]));
    assert_eq!((r.tuples, r.rejected), (4, 1));
    let detail = &r.problems[0].detail;
    assert!(detail.contains("record 1, rule R1, tuple 5"), "{detail}");
}

/// One bracket lost in a record of a wrapped file: that record's tuples are rejected,
/// and the records after it are read, not taken for part of it.
#[test]
fn a_record_missing_a_closing_bracket_loses_only_itself() {
    let lost_bracket = NSG_REC.replacen("\"]", "\"", 1);
    assert_ne!(lost_bracket, NSG_REC);
    for bad in [left_open(), lost_bracket.as_str()] {
        let (_, r) = one(&wrapped(&[NSG_REC, bad, NSG_REC, NSG_REC]));
        assert_eq!(counts(&r), (3, 6, 2), "{:?}", r.problems);
        let open = r.problems.iter().find(|p| p.detail.contains("not closed"));
        let detail = &open.expect("the record left open is reported").detail;
        assert!(detail.contains("record 2 at byte"), "{detail}");
    }
}

/// However many damaged records come in a row, the ones after them are read, and
/// numbered as the file has them. (Reading on from each damaged record scanned the rest
/// of the file again, and after a few the budget for that ran out and the rest was one
/// bad record.) A quote turned into a brace turns the rest of the text inside out for a
/// reader of JSON: that too stays in its record.
#[test]
fn damage_stays_in_its_record_however_much_there_is() {
    let mut records = vec![left_open(); 12];
    records.extend([NSG_REC; 12]);
    let (_, r) = one(&wrapped(&records));
    assert_eq!(counts(&r), (12, 24, 24), "{:?}", r.problems);

    let flipped = NSG_REC.replacen(r#""category":""#, r#""category":}"#, 1);
    assert_ne!(flipped, NSG_REC);
    let bad_tuple = NSG_REC.replacen(",T,I,A,B,", ",Q,I,A,B,", 1);
    let (_, r) = one(&wrapped(&[NSG_REC, &flipped, NSG_REC, &bad_tuple]));
    assert_eq!(counts(&r), (3, 5, 3), "{:?}", r.problems);
    let bad = r.problems.iter().find(|p| p.kind == ProblemKind::BadTuple);
    let detail = &bad.expect("the bad tuple is reported").detail;
    assert!(detail.contains("record 4, rule R1, tuple 1"), "{detail}");
}

/// A record whose opening brace or `properties` key is lost is no record to read, but its
/// tuples were seen: they are rejected, not dropped unsaid.
#[test]
fn tuples_outside_any_record_are_rejected() {
    let headless = NSG_REC
        .strip_prefix('{')
        .expect("a record starts with its brace");
    // A key damaged: valid JSON, and no flow log record.
    let renamed = NSG_REC.replacen("\"properties\"", "\"propertiex\"", 1);
    assert_ne!(renamed, NSG_REC);
    for damaged in [headless, renamed.as_str()] {
        let (_, r) = one(&wrapped(&[NSG_REC, damaged, NSG_REC]));
        assert_eq!(counts(&r), (2, 4, 2), "{:?}", r.problems);
        assert!(r
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::BadRecord && p.detail.contains("outside any record")));
    }
}

/// A pretty-printed file cut inside a record is one cut: its rule and MAC objects, each
/// alone on its line, are not records to read on from.
#[test]
fn a_cut_pretty_printed_file_is_one_cut() {
    let value: serde_json::Value = serde_json::from_str(NSG_REC).unwrap();
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    let whole = format!("{{\n  \"records\": [\n{pretty},\n{pretty}\n  ]\n}}\n");
    let second = whole
        .rfind(&format!(",\n{pretty}"))
        .expect("the second record")
        + 2;
    let cut = &whole[..whole.rfind("\"flowTuples\"").unwrap() - 10];
    assert!(cut.len() > second);
    let (_, r) = one(cut);
    assert_eq!((r.records, r.tuples), (1, 2));
    let cuts: Vec<_> = r
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::Truncated)
        .collect();
    assert_eq!(cuts.len(), 1, "{cuts:?}");
    assert_eq!(cuts[0].count, 1, "{cuts:?}");
    assert!(
        cuts[0]
            .detail
            .contains(&format!("record 2 at byte {second}")),
        "{cuts:?}"
    );
}

#[test]
fn a_cut_file_keeps_every_complete_record() {
    let whole = format!(r#"{{"records":[{NSG_REC},{VNET_REC},{NSG_REC}]}}"#);
    let third = whole.rfind(r#"{"time""#).unwrap();
    let cut = &whole[..third + 300];
    let (_, r) = one(cut);
    assert_eq!((r.records, r.tuples), (2, 4));
    assert_eq!(kinds(&r), [ProblemKind::Truncated]);
    let detail = &r.problems[0].detail;
    assert!(
        detail.contains(&format!("record 3 at byte {third}")),
        "{detail}"
    );
    // Cut between records: nothing lost, still reported.
    let (_, r) = one(&whole[..third]);
    assert_eq!((r.records, r.tuples), (2, 4));
    assert_eq!(kinds(&r), [ProblemKind::Truncated]);
}

#[test]
fn bad_tuples_are_rejected_with_their_place_and_the_rest_kept() {
    let text = NSG_REC.replace("1731916801,10.0.0.1", "1731916801,10.0.0.300");
    let (s, r) = one(&text);
    assert_eq!((r.records, r.tuples, r.rejected), (1, 1, 1));
    assert_eq!(s.len(), 1);
    assert_eq!(kinds(&r), [ProblemKind::BadTuple]);
    let p = &r.problems[0];
    assert_eq!(
        p.detail,
        "bad source address (first at record 1, rule R1, tuple 2)"
    );
    assert_eq!((p.file.as_str(), p.count), ("f.json", 1));
}

#[test]
fn a_bad_record_rejects_its_tuples_and_spares_its_neighbours() {
    // A comma missing between two tuples: the record cannot be read, its two tuples are
    // counted.
    let bad = NSG_REC.replace(r#",,,,","1731916801"#, r#",,,," "1731916801"#);
    let (_, r) = one(&format!("[{VNET_REC},{bad},{VNET_REC}]"));
    assert_eq!((r.records, r.tuples, r.rejected), (2, 4, 2));
    // The file is no longer JSON: its records were found by scanning, and it says so.
    assert_eq!(kinds(&r), [ProblemKind::BadRecord, ProblemKind::Repaired]);
    assert!(
        r.problems[0].detail.contains("record 2"),
        "{:?}",
        r.problems
    );
    assert_eq!(r.unreadable_records(), 1);
}

#[test]
fn a_number_among_tuples_is_rejected_and_its_record_kept() {
    let odd = NSG_REC.replace(
        r#""flowTuples":["1731916800"#,
        r#""flowTuples":[17, "1731916800"#,
    );
    let (_, r) = one(&format!("[{VNET_REC},{odd},{VNET_REC}]"));
    assert_eq!((r.records, r.tuples, r.rejected), (3, 6, 1));
    assert_eq!(kinds(&r), [ProblemKind::Repaired, ProblemKind::BadTuple]);
    assert!(
        r.problems[1].detail.contains("record 2"),
        "{:?}",
        r.problems
    );
    assert_eq!(r.unreadable_records(), 0);
}

#[test]
fn embedded_flow_logs_load_once_per_text() {
    let inner = serde_json::to_string(VNET_REC).unwrap();
    let text = format!(r#"{{"input":{{"message":{inner}}},"expected":{{"message":{inner}}}}}"#);
    let (s, r) = one(&text);
    assert_eq!((r.records, r.tuples), (1, 2));
    assert_eq!(s.records()[0].offset, u64::MAX);
}

#[test]
fn skipped_files_are_counted_with_their_reason() {
    let (_, r) = load_texts(
        &[
            ("a.json", r#"{"a":[1,2]}"#),
            ("b.json", " \r\n"),
            ("c.json", NSG_REC),
        ],
        2,
    );
    assert_eq!((r.files, r.skipped_files, r.records), (1, 2, 1));
    assert_eq!(kinds(&r), [ProblemKind::NotFlowLog, ProblemKind::Empty]);
}

/// A blob with an empty `records` array, or only its opening (a blob just begun), is an
/// empty flow log, not something else, and nothing is reported cut short.
#[test]
fn empty_blobs_are_empty_not_foreign() {
    let texts = [
        ("a.json", r#"{"records":[]}"#),
        ("b.json", "\u{feff}{ \"records\" : [ ] }\r\n"),
        ("c.json", r#"{"records":["#),
        ("d.json", r#"{"records":[],"more":1}"#),
        ("e.json", r#"{"records":[{"a":1}]}"#),
    ];
    let (_, r) = load_texts(&texts, 2);
    assert_eq!((r.files, r.skipped_files), (0, 5));
    use ProblemKind::{Empty, NotFlowLog};
    assert_eq!(kinds(&r), [Empty, Empty, Empty, NotFlowLog, NotFlowLog]);
}

/// Bytes that are not even the start of JSON are only "not a flow log": no repairs or
/// cuts besides (which read as a damaged log, and failed `--strict`). A blob cut before
/// its first record still says it was cut.
#[test]
fn a_binary_file_is_only_not_a_flow_log() {
    let binary: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x80)
        .collect();
    let source = Source::Embedded {
        name: "r.json",
        data: Box::leak(binary.into_boxed_slice()),
    };
    let (_, r) = load(&[source], &LoadOptions { threads: 1 }, &Progress::default()).unwrap();
    assert_eq!(kinds(&r), [ProblemKind::NotFlowLog], "{r:?}");
    assert_eq!(r.cuts(), 0);
    let (_, r) = one(r#"{"records":[{"time":"2024-11-18T08:00:00Z","properties":{"flows":[{"#);
    assert!(kinds(&r).contains(&ProblemKind::Truncated), "{r:?}");
    assert!(kinds(&r).contains(&ProblemKind::NotFlowLog), "{r:?}");
}

/// An NSG record without a `Version` (a flattened one too) takes it from its tuples: a
/// state is version 2.
#[test]
fn a_missing_version_is_read_from_the_tuples() {
    let v1 = NSG_REC
        .replace(r#""Version":2,"#, "")
        .replace(",T,I,A,B,,,,", ",T,I,A")
        .replace(",T,I,A,E,1,2,3,4", ",T,I,A");
    let flat = |tuple: &str| {
        format!(r#"{{"rule":"R","flow.0":"{tuple}","resourceId":"/X/NSG-A","category":null}}"#)
    };
    for (text, version, tuples) in [
        (NSG_REC.to_string(), 2, 2),
        (NSG_REC.replace(r#""Version":2,"#, ""), 2, 2),
        (v1, 1, 2),
        (flat("1,1.1.1.1,2.2.2.2,1,2,T,I,A"), 1, 1),
        (flat("1,1.1.1.1,2.2.2.2,1,2,T,I,A,C,1,99,1,167"), 2, 1),
    ] {
        let (s, r) = one(&text);
        assert_eq!(r.tuples, tuples, "{text}");
        assert_eq!(s.records()[0].version, version, "{text}");
    }
}

#[test]
fn loaded_plus_rejected_is_every_tuple_seen() {
    // Tuples seen, counted by construction: 2 per NSG_REC and VNET_REC.
    let bad_tuple = NSG_REC.replace(",T,I,A,B,", ",X,I,A,B,");
    let null_tuple = VNET_REC.replacen(r#""flowTuples":["#, r#""flowTuples":[null,"#, 1);
    let bad_record = NSG_REC.replace(r#",,,,","1731916801"#, r#",,,," "1731916801"#);
    let text = format!("[{NSG_REC},{bad_tuple},{null_tuple},{bad_record},{VNET_REC}]");
    let seen = 2 + 2 + 3 + 2 + 2;
    let (s, r) = one(&text);
    assert_eq!(r.tuples + r.rejected, seen);
    assert_eq!(s.len() as u64, r.tuples);
    assert_eq!((r.tuples, r.rejected), (7, 4));
}

#[test]
fn many_files_merge_in_file_order_whatever_the_threads() {
    let texts: Vec<String> = (0..20)
        .map(|i| NSG_REC.replace("NSG-A", &format!("NSG-{i:02}")))
        .collect();
    let files: Vec<(String, &str)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("f{i:02}.json"), t.as_str()))
        .collect();
    let named: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), *t)).collect();
    let (single, r1) = load_texts(&named, 1);
    let (multi, r3) = load_texts(&named, 3);
    assert_eq!(r1, r3);
    assert_eq!(multi.len(), 40);
    for row in 0..multi.len() as u32 {
        let want = format!("NSG-{:02}", row / 2);
        assert_eq!(multi.text(multi.record_of(row).nsg), Some(want.as_str()));
        assert_eq!(multi.file_of(row).path, single.file_of(row).path);
    }
}

/// `n` files of NSG records, file `i` holding `records(i)` of NSG `NSG-{i}`.
fn nsg_files(n: usize, records: impl Fn(usize) -> usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let record = NSG_REC.replace("NSG-A", &format!("NSG-{i:02}"));
            format!("{{\"records\":[{}]}}", vec![record; records(i)].join(","))
        })
        .collect()
}

#[test]
fn batches_finishing_out_of_order_merge_in_file_order() {
    // Files over the batch size are batches of their own, small ones share one: with a
    // big file beside small ones, later batches finish first and wait their turn.
    let texts = nsg_files(24, |i| if i % 3 == 0 { 450 } else { 1 + i % 4 });
    let names: Vec<String> = (0..texts.len()).map(|i| format!("f{i:02}.json")).collect();
    let files: Vec<(&str, &str)> = names
        .iter()
        .zip(&texts)
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let (single, r1) = load_texts(&files, 1);
    for threads in [2, 5] {
        let (multi, r) = load_texts(&files, threads);
        assert_eq!(r, r1, "{threads} threads");
        assert_eq!(multi.len(), single.len());
        for row in 0..multi.len() as u32 {
            assert_eq!(multi.tuple(row), single.tuple(row), "row {row}");
            assert_eq!(multi.file_of(row).path, single.file_of(row).path);
            let nsg = |s: &Store| s.text(s.record_of(row).nsg).map(str::to_string);
            assert_eq!(nsg(&multi), nsg(&single), "row {row}");
        }
    }
    let nsgs: Vec<String> = (0..single.len() as u32)
        .map(|row| single.text(single.record_of(row).nsg).unwrap().to_string())
        .collect();
    assert!(nsgs.windows(2).all(|w| w[0] <= w[1]), "rows in file order");
}

#[test]
fn file_by_file_sees_every_row_of_the_load_in_order_and_the_same_report() {
    let texts: Vec<String> = nsg_files(12, |i| if i % 4 == 0 { 300 } else { 1 + i % 3 })
        .into_iter()
        .chain(["".to_string(), "{\"not\": \"a flow log\"}".to_string()])
        .chain([format!(
            "[{NSG_REC},{}]",
            NSG_REC.replace(",T,I,A,B,", ",X,I,A,B,")
        )])
        .collect();
    let sources: Vec<Source> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| Source::Embedded {
            name: Box::leak(format!("f{i:02}.json").into_boxed_str()),
            data: Box::leak(text.as_bytes().to_vec().into_boxed_slice()),
        })
        .collect();
    let progress = Progress::default();
    let (whole, want) = load(&sources, &LoadOptions { threads: 1 }, &progress).unwrap();
    assert_eq!((want.skipped_files, want.rejected), (2, 1));
    for threads in [1, 2, 5] {
        let each = |columns, per_file: &mut (dyn FnMut(&Store) + Send)| {
            let options = LoadOptions { threads };
            load_each(&sources, &options, columns, &Progress::default(), per_file).unwrap()
        };
        let (mut rows, mut files) = (Vec::new(), Vec::new());
        let report = each(Columns::ALL, &mut |file| {
            files.push(file.files()[0].path.clone());
            rows.extend((0..file.len() as u32).map(|row| {
                let nsg = file.text(file.record_of(row).nsg).map(str::to_string);
                (file.tuple(row), nsg)
            }));
        });
        assert_eq!(report, want, "{threads} threads");
        assert_eq!(files.len() as u64, want.files, "{threads} threads");
        assert!(files.windows(2).all(|w| w[0] < w[1]), "in file order");
        assert_eq!(rows.len(), whole.len(), "{threads} threads");
        for (row, got) in rows.iter().enumerate() {
            let row = row as u32;
            let nsg = whole.text(whole.record_of(row).nsg).map(str::to_string);
            assert_eq!(got, &(whole.tuple(row), nsg), "row {row}");
        }
        // Without the optional columns: the same report, rows and time span.
        let (mut rows, mut spans) = (0, Vec::new());
        let lean = each(Columns::NONE, &mut |file| {
            rows += file.len();
            spans.extend(file.time_range());
            assert_eq!(file.columns(), Columns::NONE);
        });
        assert_eq!(lean, want, "{threads} threads, no optional columns");
        assert_eq!(rows, whole.len(), "{threads} threads, no optional columns");
        let first = spans.iter().map(|s| s.0).min();
        let last = spans.iter().map(|s| s.1).max();
        assert_eq!(whole.time_range(), first.zip(last));
    }
}

#[test]
fn a_cancelled_load_stops_early() {
    let progress = Progress::default();
    progress.cancel.store(true, Ordering::Relaxed);
    let source = Source::Embedded {
        name: "a.json",
        data: NSG_REC.as_bytes(),
    };
    let (s, r) = load(&[source], &LoadOptions { threads: 2 }, &progress).unwrap();
    assert_eq!((s.len(), r.files), (0, 0));
}

#[test]
fn progress_counts_files_bytes_and_tuples() {
    let progress = Progress::default();
    let source = Source::Embedded {
        name: "a.json",
        data: NSG_REC.as_bytes(),
    };
    load(&[source], &LoadOptions::default(), &progress).unwrap();
    let p = progress.snapshot();
    assert_eq!((p.files_total, p.files_done, p.tuples), (1, 1, 2));
    assert_eq!(p.bytes_done, NSG_REC.len() as u64);
}

#[test]
fn folder_layout_fills_in_what_records_lack() {
    let rec = NSG_REC
        .replace(r#""mac":"00BB","#, "")
        .replace(r#""macAddress":"00AA","#, "");
    let name = "resourceId=/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG-A/y=2024/m=11/d=18/h=08/m=00/macAddress=00dd/PT1H.json";
    let (s, _) = load_texts(&[(name, &rec)], 1);
    assert_eq!(s.text(s.group_of(0).mac), Some("00DD"));
    assert_eq!(s.file_of(0).meta.hour_ms, Some(1_731_916_800_000));
}

#[test]
fn text_that_is_not_json_is_skipped_without_claiming_repairs() {
    let (_, r) = one("2024-11-18 08:00:00 sshd[1]: Accepted publickey\n");
    assert_eq!(kinds(&r), [ProblemKind::NotFlowLog]);
    let (_, r) = one(&format!("{NSG_REC}\n# trailing notes"));
    assert_eq!((r.records, r.tuples), (1, 2));
    assert_eq!(kinds(&r), [ProblemKind::Repaired]);
}

#[test]
fn an_array_of_raw_event_strings_is_read() {
    let raw = serde_json::to_string(NSG_REC).unwrap();
    let (_, r) = one(&format!("[{raw}, 5, null]"));
    assert_eq!((r.records, r.tuples), (1, 2));
}

#[test]
fn hostile_bytes_never_panic() {
    let whole = format!("\u{feff}{{\"records\":[{NSG_REC},{VNET_REC}]}}");
    let bytes = whole.as_bytes();
    // Every cut, and a few byte flips, of a valid file.
    for cut in (0..bytes.len()).step_by(7) {
        let text = String::from_utf8_lossy(&bytes[..cut]).into_owned();
        let (s, r) = one(&text);
        assert_eq!(s.len() as u64, r.tuples);
    }
    for at in (0..bytes.len()).step_by(13) {
        let mut b = bytes.to_vec();
        b[at] = [b'"', b'{', b'}', b',', b'\\', 0xff][at % 6];
        let text = String::from_utf8_lossy(&b).into_owned();
        let (s, r) = one(&text);
        assert_eq!(s.len() as u64, r.tuples);
    }
}

#[test]
fn snapshots_are_growing_prefixes_of_the_final_store() {
    // Enough files that the first snapshot (50,000 rows) comes before a quarter of the
    // expected tuples.
    let tuples: Vec<String> = (0..5_000)
        .map(|i| {
            format!(
                "\"{},10.0.{}.{},10.0.0.2,{},22,T,I,A,C,1,2,3,4\"",
                1_731_916_800 + i,
                i % 200,
                i % 250,
                1000 + i
            )
        })
        .collect();
    let record = format!(
        r#"{{"records":[{{"time":"2024-11-18T08:00:00Z","resourceId":"/X/NSG-A","properties":{{"Version":2,"flows":[{{"rule":"R","flows":[{{"mac":"00BB","flowTuples":[{}]}}]}}]}}}}]}}"#,
        tuples.join(",")
    );
    let sources: Vec<Source> = (0..60)
        .map(|i| Source::Embedded {
            name: Box::leak(format!("f{i:02}.json").into_boxed_str()),
            data: Box::leak(record.clone().into_bytes().into_boxed_slice()),
        })
        .collect();
    let mut snapshots = Vec::new();
    let (store, report) = load_with_snapshots(
        &sources,
        &LoadOptions { threads: 2 },
        &Progress::default(),
        &mut |s| snapshots.push(s),
    )
    .unwrap();
    assert_eq!(report.tuples, 300_000);
    assert!(!snapshots.is_empty(), "no partial store was handed out");
    let mut last = 0;
    for snap in &snapshots {
        assert!(snap.len() > last && snap.len() < store.len());
        last = snap.len();
        for row in [0, snap.len() as u32 / 2, snap.len() as u32 - 1] {
            assert_eq!(snap.tuple(row), store.tuple(row));
            assert_eq!(snap.file_of(row).path, store.file_of(row).path);
        }
    }
}

/// A damaged key inside a record's flows leaves it valid JSON, with its tuples under a key
/// the reader does not know: they are rejected with the key named, not lost unsaid. The
/// rest of the record loads.
#[test]
fn tuples_under_a_damaged_key_are_rejected() {
    // A record still read reports its lost tuples as bad tuples (one problem each); one
    // that no longer reads as a flow log record is one bad record.
    let still_read = (2, ProblemKind::BadTuple, 2);
    let no_record = (1, ProblemKind::BadRecord, 1);
    for (from, to, (records, kind, problems)) in [
        // A MAC block's tuples: both of rule R1's.
        ("\"flowTuples\"", "\"flowTuples[\"", still_read),
        // A rule's MAC blocks.
        (
            "{\"rule\":\"R1\",\"flows\"",
            "{\"rule\":\"R1\",\"flo ws\"",
            still_read,
        ),
        // The record's rules: without them it is no flow log record as read, so only
        // the VNet record loads.
        (
            "\"Version\":2,\"flows\"",
            "\"Version\":2,\"flows}\"",
            no_record,
        ),
    ] {
        let (_, r) = one(&wrapped(&[&NSG_REC.replacen(from, to, 1), VNET_REC]));
        assert_eq!(counts(&r), (records, 2, 2), "{to}");
        let problem = r.problems.iter().find(|p| p.kind == kind);
        assert_eq!(
            problem.map(|p| p.count),
            Some(problems),
            "{to}: {:?}",
            r.problems
        );
        let detail = problem.map(|p| p.detail.clone()).unwrap_or_default();
        let key = to
            .trim_start_matches("{\"rule\":\"R1\",")
            .trim_start_matches("\"Version\":2,");
        assert!(detail.contains(key), "{to}: {:?}", r.problems);
        assert!(detail.contains("record 1"), "{to}: {detail}");
    }
    // VNet: a group's tuples, an ACL's groups.
    for (from, to) in [
        ("\"flowTuples\"", "\"flowTuple\""),
        ("\"flowGroups\"", "\"flowGroupz\""),
    ] {
        let damaged = format!("[{NSG_REC},{}]", VNET_REC.replacen(from, to, 1));
        let (_, r) = one(&damaged);
        assert_eq!((r.tuples, r.rejected), (3, 1), "{to}: {:?}", r.problems);
    }
    // Other tools' events keep tuples under keys of their own at the record's top level:
    // those are not looked into.
    let event = NSG_REC.replacen(
        "\"category\"",
        "\"input\":[\"1731916800,10.0.0.1,10.0.0.2,1000,22,T,I,A,B,,,,\"],\"category\"",
        1,
    );
    let (_, r) = one(&event);
    assert_eq!((r.tuples, r.rejected), (2, 0), "{:?}", r.problems);
}

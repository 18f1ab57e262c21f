//! Fuzzes loading one file's bytes (fast path, salvage, accounting): no panic, and the
//! report agrees with the store and with a bound on the tuples the bytes can hold.
#![no_main]

use flowscope::load::load_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (store, report) = load_bytes("PT1H.json", data);
    assert_eq!(report.tuples as usize, store.len());
    // Every tuple seen is an element of a JSON array or a flat record's string: each
    // takes at least two bytes of the file (an escaped text is longer than what it holds).
    let seen = report.tuples + report.rejected;
    assert!(
        seen <= data.len() as u64 / 2 + 1,
        "{seen} tuples in {} bytes",
        data.len()
    );
    assert!(report.records <= data.len() as u64 / 2);
    assert!(report.files + report.skipped_files == 1);
    assert_eq!(store.files().len() as u64, report.files);
    if report.files == 0 {
        assert_eq!(store.len(), 0);
    }
    for problem in &report.problems {
        assert!(problem.count > 0, "{problem:?}");
    }
    // Rows point at groups, groups at records, records at the file.
    // Rows point at groups and records of this file, inside the store's time range.
    for row in 0..store.len() as u32 {
        let t = store.time_ms(row);
        let (oldest, newest) = store.time_range().expect("rows have a time range");
        assert!(oldest <= t && t <= newest);
        assert!(store.group_index(row) < store.groups().len());
    }
    for record in store.records() {
        assert!((record.file as usize) < store.files().len());
    }
});

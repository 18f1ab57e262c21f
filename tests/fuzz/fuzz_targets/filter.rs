//! Fuzzes the filter language over a small fixed store: compiling never panics, and a
//! compiled filter's selection, count and row-by-row answers agree.
#![no_main]

use flowscope::filter;
use flowscope::load::load_bytes;
use flowscope::store::Store;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// Two NSG records (v2, one v1 tuple among them) and a VNet record, with IPv4 and IPv6.
const FILE: &str = r#"{"records":[
{"time":"2024-01-01T00:00:00Z","resourceId":"/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG1",
 "properties":{"Version":2,"flows":[{"rule":"DefaultRule_AllowInternetOutBound","flows":[{"mac":"000D3A000001","flowTuples":[
 "1704067200,10.0.0.1,10.0.0.2,1234,22,T,I,A,B,,,,",
 "1704067201,10.0.0.1,10.0.0.2,1234,22,T,I,A,E,10,2000,12,3000",
 "1704067260,10.0.0.4,192.168.1.9,5353,53,U,O,A,B,,,,",
 "1704067300,2001:db8::1,2001:db8::2,40000,443,T,O,D,B,,,,"]}]},
 {"rule":"UserRule_DenyRdp","flows":[{"mac":"000D3A000002","flowTuples":[
 "1704067320,203.0.113.5,10.0.0.2,50000,3389,T,I,D"]}]}]}},
{"time":"2024-01-01T00:10:00Z","flowLogVersion":4,"flowLogResourceID":"/X/FLOWLOGS/FL1","targetResourceID":"/X/VIRTUALNETWORKS/VNET1","macAddress":"000D3A000003",
 "flowRecords":{"flows":[{"aclID":"00000000-0000-0000-0000-000000000000","flowGroups":[{"rule":"BlockAll","flowTuples":[
 "1704067800000,10.1.0.1,10.1.0.2,44000,443,6,O,B,NX,0,0,0,0",
 "1704067860000,10.1.0.1,10.1.0.2,44000,443,6,O,E,NX,5,500,6,600",
 "1704067870000,10.1.0.3,10.1.0.2,0,0,1,I,D,NX,0,0,0,0"]}]}]}}
]}"#;

fn store() -> &'static Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(|| {
        let (store, report) = load_bytes("PT1H.json", FILE.as_bytes());
        assert!(store.len() >= 8, "fixture loads: {report:?}");
        store
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let store = store();
    let compiled = match filter::compile(text, store) {
        Ok(c) => c,
        Err(e) => {
            // An error points inside the text (or just past its end).
            assert!(e.position <= text.chars().count(), "{e:?} for {text:?}");
            return;
        }
    };
    let selection = compiled.select(store);
    let rows = selection.to_vec();
    assert!(
        rows.windows(2).all(|w| w[0] < w[1]),
        "ascending, no duplicates"
    );
    assert!(
        rows.iter().all(|&r| (r as usize) < store.len()),
        "rows of the store"
    );
    assert_eq!(compiled.count(store), rows.len(), "count = select().len()");
    assert_eq!(selection.len(), rows.len());
    for (i, &row) in rows.iter().enumerate() {
        assert_eq!(selection.get(i), Some(row), "the {i}-th row");
    }
    assert_eq!(selection.get(rows.len()), None);
    let mut kept = rows.iter().peekable();
    for row in 0..store.len() as u32 {
        let selected = kept.next_if_eq(&&row).is_some();
        assert_eq!(
            compiled.matches(store, row),
            selected,
            "row {row} for {text:?}"
        );
    }
    assert!(!compiled.matches(store, store.len() as u32));
});

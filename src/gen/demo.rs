//! The built-in demo scenario, compiled from `assets/demo/` (written by
//! `scenario::write_demo`; regenerate with `FLOWSCOPE_UPDATE_DEMO=1 cargo test --lib demo`).

use crate::load::Source;

/// Blob folders of the two interfaces (see `scenario::web01` and `scenario::db01`).
macro_rules! nsg_blob {
    ($hour:literal) => {
        concat!(
            "insights-logs-networksecuritygroupflowevent/resourceId=/SUBSCRIPTIONS/",
            "6B1E4D7A-3C55-4F0E-9A2B-1F8E0C7D5A90/RESOURCEGROUPS/CONTOSO-PROD-RG/PROVIDERS/",
            "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/WEB-NSG/y=2024/m=11/d=18/h=",
            $hour,
            "/m=00/macAddress=000D3A4F1C21/PT1H.json"
        )
    };
}
macro_rules! vnet_blob {
    ($hour:literal) => {
        concat!(
            "insights-logs-flowlogflowevent/flowLogResourceID=/",
            "6B1E4D7A-3C55-4F0E-9A2B-1F8E0C7D5A90_NETWORKWATCHERRG/",
            "NETWORKWATCHER_WESTEUROPE_CONTOSO-VNET-FLOWLOG/y=2024/m=11/d=18/h=",
            $hour,
            "/m=00/macAddress=000D3A4F2E35/PT1H.json"
        )
    };
}
macro_rules! embedded {
    ($name:expr) => {
        Source::Embedded {
            name: $name,
            data: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/", $name)),
        }
    };
}

/// The demo's files, as embedded sources named by their blob path, in path order.
pub fn sources() -> Vec<Source> {
    vec![
        embedded!(vnet_blob!("07")),
        embedded!(vnet_blob!("08")),
        embedded!(vnet_blob!("09")),
        embedded!(nsg_blob!("07")),
        embedded!(nsg_blob!("08")),
        embedded!(nsg_blob!("09")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter;
    use crate::gen::scenario::attack::LOGIN_PORT;
    use crate::gen::scenario::{at, script, write_demo, ATTACKER, DB01, DROP_SITE, WEB01};
    use crate::gen::tests::read_tree;
    use crate::gen::tuple::{FlowTuple, Rule};
    use crate::load::{load, LoadOptions, Progress};
    use crate::model::{Decision, Direction, FlowState, Thousands};
    use std::net::IpAddr;
    use std::path::{Path, PathBuf};

    fn assets() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo")
    }

    /// The committed assets and the embedded copies are what the scenario writes today.
    #[test]
    fn embedded_demo_equals_the_scenario() {
        let dir = tempfile::tempdir().expect("temp dir");
        write_demo(dir.path()).expect("demo written");
        let fresh = read_tree(dir.path());
        if std::env::var_os("FLOWSCOPE_UPDATE_DEMO").is_some() {
            for (path, bytes) in &fresh {
                let target = assets().join(path);
                std::fs::create_dir_all(target.parent().expect("has a folder")).expect("folder");
                std::fs::write(target, bytes).expect("written");
            }
        }
        let embedded: Vec<(PathBuf, Vec<u8>)> = sources()
            .into_iter()
            .map(|s| match s {
                Source::Embedded { name, data } => (PathBuf::from(name), data.to_vec()),
                other => panic!("not embedded: {other:?}"),
            })
            .collect();
        let fresh: Vec<(PathBuf, Vec<u8>)> = fresh.into_iter().collect();
        assert_eq!(
            embedded.len(),
            fresh.len(),
            "file count; regenerate the demo assets"
        );
        for ((name, data), (path, bytes)) in embedded.iter().zip(&fresh) {
            assert_eq!(name, path);
            assert!(
                data == bytes,
                "{} drifted; run FLOWSCOPE_UPDATE_DEMO=1 cargo test --lib demo",
                name.display()
            );
        }
    }

    /// No stale file in `assets/demo` that the binary would not carry.
    #[test]
    fn assets_folder_holds_exactly_the_embedded_files() {
        let on_disk: Vec<PathBuf> = read_tree(&assets())
            .into_keys()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        let embedded: Vec<PathBuf> = sources()
            .iter()
            .filter_map(|s| match s {
                Source::Embedded { name, .. } => Some(PathBuf::from(name)),
                _ => None,
            })
            .collect();
        assert_eq!(on_disk, embedded);
    }

    type Want = fn(&FlowTuple, bool) -> bool;

    /// Every filter of STORY.md, with what it must select (counted from the script, where
    /// the flag says the tuple comes from the VNet log).
    const STORY_FILTERS: [(&str, Want); 22] = [
        ("rule == UserRule_AllowRDP", |t, _| t.rule == Rule::AllowRdp),
        (
            "src == 203.0.113.77 and time < 2024-11-18T08:10:00Z",
            |t, _| from_attacker(t) && t.time_ms < at(8, 10, 0),
        ),
        ("src == 203.0.113.77 and dport == 3389", |t, _| {
            from_attacker(t) && t.dport == 3389
        }),
        ("src == 203.0.113.77 and deny", |t, _| {
            from_attacker(t) && t.decision == Decision::Deny
        }),
        (
            "src == 203.0.113.77 and dport == 3389 and bytes > 1MB",
            |t, _| from_attacker(t) && t.dport == 3389 && t.counters.bytes() > 1_000_000,
        ),
        ("sport == 49968 and bytes_out > 5MB", |t, _| {
            t.sport == LOGIN_PORT && t.counters.bytes_out > 5_000_000
        }),
        ("sport == 49968 and state == end", |t, _| {
            t.sport == LOGIN_PORT && t.state == FlowState::End
        }),
        ("dst == 10.0.2.5 and dport == 3389", |t, _| {
            t.dst == IpAddr::V4(DB01) && t.dport == 3389
        }),
        ("dst == 10.0.2.5 and dport == 445", |t, _| {
            t.dst == IpAddr::V4(DB01) && t.dport == 445
        }),
        ("dst == 10.0.2.5 and dport == 5985", |t, _| {
            t.dst == IpAddr::V4(DB01) && t.dport == 5985
        }),
        ("dport == 445 and bytes > 100MB", |t, _| {
            t.dport == 445 && t.counters.bytes() > 100_000_000
        }),
        ("sport == 50377", |t, _| t.sport == 50_377),
        ("dst == 198.51.100.23", |t, _| {
            t.dst == IpAddr::V4(DROP_SITE)
        }),
        ("bytes > 100MB", |t, _| t.counters.bytes() > 100_000_000),
        (
            "src == 10.0.1.4 and dst == 10.0.2.5 and not dport == 1433",
            |t, _| t.src == IpAddr::V4(WEB01) && t.dst == IpAddr::V4(DB01) && t.dport != 1433,
        ),
        ("deny and dir == in and not src == 203.0.113.77", |t, _| {
            t.decision == Decision::Deny && t.dir == Direction::In && !from_attacker(t)
        }),
        (
            "rule == DefaultRule_AllowAzureLoadBalancerInBound",
            |t, _| t.rule == Rule::AllowLoadBalancerIn,
        ),
        ("dport == 53", |t, _| t.dport == 53),
        ("rule == UserRule_AllowHTTPS", |t, _| {
            t.rule == Rule::AllowHttps
        }),
        (
            "dst == 198.51.100.0/28",
            |t, _| matches!(t.dst, IpAddr::V4(a) if a.octets()[..3] == [198, 51, 100] && a.octets()[3] < 16),
        ),
        ("dport == 1433 and version == 4", |t, vnet| {
            vnet && t.dport == 1433
        }),
        ("dport == 1433 and version == 2", |t, vnet| {
            !vnet && t.dport == 1433
        }),
    ];

    fn from_attacker(t: &FlowTuple) -> bool {
        t.src == IpAddr::V4(ATTACKER)
    }

    #[test]
    fn demo_loads_whole_and_the_story_filters_find_each_step() {
        let (store, report) =
            load(&sources(), &LoadOptions::default(), &Progress::default()).expect("demo loads");
        let s = script();
        let logged: Vec<(FlowTuple, bool)> = s
            .web
            .iter()
            .map(|t| (*t, false))
            .chain(s.db.iter().map(|t| (*t, true)))
            .collect();
        assert_eq!(report.rejected, 0);
        assert_eq!(store.len(), logged.len());
        for (text, want) in STORY_FILTERS {
            let expected = logged.iter().filter(|(t, vnet)| want(t, *vnet)).count();
            let compiled = filter::compile(text, &store).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(compiled.count(&store), expected, "{text}");
            assert!(expected > 0, "{text} selects nothing");
        }
        // The figures STORY.md quotes.
        let story = include_str!("../../assets/demo/STORY.md");
        let rdp = logged
            .iter()
            .filter(|(t, _)| t.rule == Rule::AllowRdp)
            .count();
        assert!(
            story.contains(&format!("`UserRule_AllowRDP` has {rdp} hits")),
            "RDP hits: {rdp}"
        );
        let total = Thousands(logged.len() as u64).to_string();
        assert!(
            story.contains(&format!("{total} tuples in all")),
            "total: {total}"
        );
    }
}

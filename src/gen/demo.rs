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
    use crate::gen::scenario::write_demo;
    use crate::gen::tests::read_tree;
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
}

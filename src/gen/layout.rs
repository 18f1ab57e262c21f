//! Where generated logs live: the interfaces being logged, their Azure resource names, and
//! the blob folder layout (FORMATS.md "Where files come from").

use super::rng::Rng;
use chrono::{DateTime, Datelike, Timelike};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

/// The shape of one file's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    NsgV1,
    NsgV2,
    Vnet,
}

/// One logged network interface and the resources around it.
#[derive(Debug, Clone)]
pub struct Interface {
    pub format: LogFormat,
    /// Twelve upper-case hex digits, as Azure writes it.
    pub mac: String,
    pub ipv4: Ipv4Addr,
    pub ipv6: Ipv6Addr,
    pub subscription: String,
    pub resource_group: String,
    pub nsg: String,
    pub region: String,
    pub flowlog: String,
    pub vnet: String,
    /// The subnet the VNet flow log targets, when it targets a subnet rather than the VNet.
    pub subnet: Option<String>,
    /// GUIDs Azure stamps on every record.
    pub system_id: String,
    pub flowlog_guid: String,
}

impl Interface {
    /// The NSG's ARM path as NSG flow logs write it (`resourceId`, upper case).
    pub fn nsg_resource_id(&self) -> String {
        format!(
            "/SUBSCRIPTIONS/{}/RESOURCEGROUPS/{}/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/{}",
            self.subscription.to_uppercase(),
            self.resource_group.to_uppercase(),
            self.nsg.to_uppercase()
        )
    }

    /// The NSG's ARM path as VNet flow logs write it in `aclID`.
    pub fn nsg_acl_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/networkSecurityGroups/{}",
            self.subscription, self.resource_group, self.nsg
        )
    }

    pub fn flowlog_resource_id(&self) -> String {
        format!(
            "/SUBSCRIPTIONS/{}/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_{}/FLOWLOGS/{}",
            self.subscription.to_uppercase(),
            self.region.to_uppercase(),
            self.flowlog.to_uppercase()
        )
    }

    /// The VNet (or subnet) the flow log is enabled on.
    pub fn target_resource_id(&self) -> String {
        let vnet = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/virtualNetworks/{}",
            self.subscription, self.resource_group, self.vnet
        );
        match &self.subnet {
            Some(subnet) => format!("{vnet}/subnets/{subnet}"),
            None => vnet,
        }
    }

    /// The blob path (relative) of the hour starting at `hour_ms`.
    pub fn blob_path(&self, hour_ms: i64) -> PathBuf {
        let prefix = match self.format {
            LogFormat::NsgV1 | LogFormat::NsgV2 => format!(
                "insights-logs-networksecuritygroupflowevent/resourceId={}",
                self.nsg_resource_id()
            ),
            LogFormat::Vnet => format!(
                "insights-logs-flowlogflowevent/flowLogResourceID=/{}_NETWORKWATCHERRG/NETWORKWATCHER_{}_{}",
                self.subscription.to_uppercase(),
                self.region.to_uppercase(),
                self.flowlog.to_uppercase()
            ),
        };
        let t = DateTime::from_timestamp_millis(hour_ms).unwrap_or_default();
        PathBuf::from(format!(
            "{prefix}/y={:04}/m={:02}/d={:02}/h={:02}/m=00/macAddress={}/PT1H.json",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            self.mac
        ))
    }
}

/// A random version-4-shaped GUID.
pub fn guid(rng: &mut Rng) -> String {
    let a = rng.next_u64();
    let b = rng.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

/// A MAC unique to each of the first 2^24 interfaces: multiplying by an odd number is a
/// bijection modulo 2^24, so indexes scatter over the range without two landing together
/// (random MACs collided, and colliding interfaces overwrote each other's blobs).
fn interface_mac(index: usize) -> String {
    format!(
        "000D3A{:06X}",
        (index as u64).wrapping_mul(0x9E37_79B1) & 0xFF_FFFF
    )
}

/// NSG names the bulk generator spreads interfaces over.
const NSGS: [&str; 3] = ["web-nsg", "app-nsg", "db-nsg"];

/// The `index`-th interface of a generated tree, deterministic from `rng`'s seed.
pub fn bulk_interface(
    format: LogFormat,
    index: usize,
    subscription: &str,
    rng: &mut Rng,
) -> Interface {
    let tier = index % NSGS.len();
    let host = 4 + (index / NSGS.len()) % 250;
    let block = (index / NSGS.len() / 250) as u8;
    Interface {
        format,
        mac: interface_mac(index),
        ipv4: Ipv4Addr::new(10, block, 1 + tier as u8, host as u8),
        ipv6: Ipv6Addr::new(0xfd00, 0xdb8, 0, 1 + tier as u16, 0, 0, 0, host as u16),
        subscription: subscription.to_string(),
        resource_group: "prod-rg".into(),
        nsg: NSGS[tier].into(),
        region: "westeurope".into(),
        flowlog: "prod-vnet-flowlog".into(),
        vnet: "prod-vnet".into(),
        subnet: None,
        system_id: guid(rng),
        flowlog_guid: guid(rng),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_macs_never_collide() {
        let macs: std::collections::HashSet<String> = (0..100_000).map(interface_mac).collect();
        assert_eq!(macs.len(), 100_000);
    }

    #[test]
    fn blob_paths_follow_the_azure_layout() {
        let mut rng = Rng::new(3);
        let sub = guid(&mut rng);
        let nsg = bulk_interface(LogFormat::NsgV2, 0, &sub, &mut rng);
        let hour = 1_731_916_800_000; // 2024-11-18T08:00:00Z
        let p = nsg.blob_path(hour).to_string_lossy().into_owned();
        assert!(
            p.starts_with("insights-logs-networksecuritygroupflowevent/resourceId=/SUBSCRIPTIONS/")
        );
        assert!(p.contains("/NETWORKSECURITYGROUPS/WEB-NSG/y=2024/m=11/d=18/h=08/m=00/macAddress="));
        assert!(p.ends_with(&format!("{}/PT1H.json", nsg.mac)));
        let vnet = Interface {
            format: LogFormat::Vnet,
            ..nsg
        };
        let p = vnet.blob_path(hour).to_string_lossy().into_owned();
        assert!(p.starts_with("insights-logs-flowlogflowevent/flowLogResourceID=/"));
        assert!(p.contains("_NETWORKWATCHERRG/NETWORKWATCHER_WESTEUROPE_PROD-VNET-FLOWLOG/y=2024/"));
    }

    #[test]
    fn guids_have_the_usual_shape() {
        let g = guid(&mut Rng::new(9));
        let lens: Vec<usize> = g.split('-').map(str::len).collect();
        assert_eq!(lens, [8, 4, 4, 4, 12]);
    }
}

//! Metadata carried by the blob folder layout (subscription, resource group, NSG or flow
//! log name, MAC, hour), read tolerantly and case-insensitively from a file's path.
//!
//! ```text
//! …/resourceId=/SUBSCRIPTIONS/{sub}/RESOURCEGROUPS/{rg}/PROVIDERS/MICROSOFT.NETWORK/
//!     NETWORKSECURITYGROUPS/{nsg}/y=YYYY/m=MM/d=DD/h=HH/m=00/macAddress={mac}/PT1H.json
//! …/flowLogResourceID=/{SUB}_{RG}/NETWORKWATCHER_{REGION}_{FLOWLOG}/y=…/macAddress={mac}/PT1H.json
//! ```

use crate::store::PathMeta;

/// The part after the last `/` (an ARM path's resource name), trailing slashes ignored.
pub fn last_segment(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// Reads what the folder layout says about the file at `path`.
pub fn path_meta(path: &str) -> PathMeta {
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    let mut meta = PathMeta::default();
    let mut date = [None::<u32>; 4];
    let mut i = 0;
    while i < parts.len() {
        let part = parts[i];
        let next = parts.get(i + 1).copied();
        if eq(part, "SUBSCRIPTIONS") {
            meta.subscription = next.map(str::to_string);
        } else if eq(part, "RESOURCEGROUPS") {
            meta.resource_group = next.map(str::to_string);
        } else if eq(part, "NETWORKSECURITYGROUPS") {
            meta.nsg = next.map(str::to_string);
        } else if let Some(v) = value_of(part, "flowLogResourceID") {
            flow_log_parts(&mut meta, v, next, parts.get(i + 2).copied());
        } else if let Some(mac) = value_of(part, "macAddress") {
            meta.mac = Some(mac.to_ascii_uppercase()).filter(|m| !m.is_empty());
        } else {
            for (slot, key) in ["y", "m", "d", "h"].iter().enumerate() {
                // `m=` appears twice (month, then minute): take the first, after `y=`.
                let fresh = slot == 0 || (date[slot - 1].is_some() && date[slot].is_none());
                if let Some(v) = value_of(part, key).filter(|_| fresh) {
                    date[slot] = v.parse().ok();
                    break;
                }
            }
        }
        i += 1;
    }
    meta.hour_ms = hour_ms(date);
    meta
}

/// `{SUB}_{RG}` then `NETWORKWATCHER_{REGION}_{FLOWLOG}` after `flowLogResourceID=`.
fn flow_log_parts(meta: &mut PathMeta, inline: &str, next: Option<&str>, after: Option<&str>) {
    let (owner, watcher) = if inline.is_empty() {
        (next, after)
    } else {
        (Some(inline), next)
    };
    if let Some((sub, rg)) = owner.and_then(|o| o.split_once('_')) {
        meta.subscription = Some(sub.to_string());
        meta.resource_group = Some(rg.to_string());
    }
    let name = watcher
        .filter(|w| w.len() > 15 && eq(&w[..15], "NETWORKWATCHER_"))
        .and_then(|w| w[15..].split_once('_'))
        .map(|(_region, flowlog)| flowlog.to_string());
    meta.flowlog = name.filter(|n| !n.is_empty());
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The value of a `key=value` folder name.
fn value_of<'p>(part: &'p str, key: &str) -> Option<&'p str> {
    let (k, v) = part.split_once('=')?;
    eq(k, key).then_some(v)
}

fn hour_ms(date: [Option<u32>; 4]) -> Option<i64> {
    let [Some(y), Some(m), Some(d), Some(h)] = date else {
        return None;
    };
    let day = chrono::NaiveDate::from_ymd_opt(y as i32, m, d)?;
    let t = day.and_hms_opt(h, 0, 0)?;
    Some(t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nsg_layout() {
        let p = "logs/insights-logs-networksecuritygroupflowevent/resourceId=/SUBSCRIPTIONS/AAA/RESOURCEGROUPS/RG1/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/WEB-NSG/y=2024/m=11/d=18/h=08/m=00/macAddress=000d3a/PT1H.json";
        let m = path_meta(p);
        assert_eq!(m.subscription.as_deref(), Some("AAA"));
        assert_eq!(m.resource_group.as_deref(), Some("RG1"));
        assert_eq!(m.nsg.as_deref(), Some("WEB-NSG"));
        assert_eq!(m.mac.as_deref(), Some("000D3A"));
        assert_eq!(m.hour_ms, Some(1_731_916_800_000));
        assert_eq!(m.flowlog, None);
    }

    #[test]
    fn vnet_layout_lowercase_and_backslashes() {
        let p = r"c:\x\insights-logs-flowlogflowevent\flowloGResourceID=\A64A_NETWORKWATCHERRG\networkwatcher_eastus_flowlog-vnet_one\Y=2025\M=10\D=05\H=09\M=00\MACADDRESS=7C1E5264840B\PT1H.json";
        let m = path_meta(p);
        assert_eq!(m.subscription.as_deref(), Some("A64A"));
        assert_eq!(m.resource_group.as_deref(), Some("NETWORKWATCHERRG"));
        assert_eq!(m.flowlog.as_deref(), Some("flowlog-vnet_one"));
        assert_eq!(m.mac.as_deref(), Some("7C1E5264840B"));
        assert_eq!(m.hour_ms, Some(1_759_654_800_000));
    }

    #[test]
    fn plain_paths_carry_nothing() {
        assert_eq!(path_meta("samples/PT1H.json"), PathMeta::default());
        assert_eq!(path_meta("y=2024/m=13/d=1/h=0/x.json").hour_ms, None);
        assert_eq!(last_segment("/A/B/NSG-1"), "NSG-1");
        assert_eq!(last_segment("plain"), "plain");
    }
}

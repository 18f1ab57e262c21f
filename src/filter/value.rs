//! Literal values: numbers with units, ports, addresses and CIDRs, times and durations.
//! Every parser reports the character position of what it could not read.

use super::ast::Atom;
use super::FilterError;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use std::net::IpAddr;

/// An inclusive range of addresses of one family, as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddrRange {
    pub v6: bool,
    pub lo: u128,
    pub hi: u128,
}

impl AddrRange {
    pub fn contains(&self, ip: &IpAddr) -> bool {
        let (v6, n) = addr_bits(ip);
        v6 == self.v6 && self.lo <= n && n <= self.hi
    }
}

pub fn addr_bits(ip: &IpAddr) -> (bool, u128) {
    match ip {
        IpAddr::V4(a) => (false, u32::from(*a) as u128),
        IpAddr::V6(a) => (true, u128::from(*a)),
    }
}

/// Reads a whole number of at most `max`; `what` names it in errors ("a port number").
pub fn uint(atom: &Atom, max: u64, what: &str) -> Result<u64, FilterError> {
    let expected = || format!("expected {what}");
    if atom.text.is_empty() {
        return Err(FilterError::at(atom.pos, expected()));
    }
    if let Some((i, _)) = atom
        .text
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_digit())
    {
        return Err(FilterError::at(atom.char_pos(i), expected()));
    }
    match atom.text.parse::<u64>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(FilterError::at(
            atom.pos,
            format!("{what} must be at most {max}"),
        )),
    }
}

/// Splits `text` into its leading decimal number (`1.5`) and the rest; `None` without digits.
fn split_number(text: &str) -> Option<(f64, usize)> {
    let end = text
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map(|(i, _)| i)
        .unwrap_or(text.len());
    let number = &text[..end];
    if !number.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    number.parse::<f64>().ok().map(|n| (n, end))
}

/// A count with an optional unit: `1MB`, `1.5kB`, `10k`, `2GiB` (decimal k/M/G/T, binary
/// Ki/Mi/Gi/Ti; case and a trailing `B` do not matter).
pub fn count(atom: &Atom) -> Result<u64, FilterError> {
    let text = atom.text.as_str();
    let Some((number, unit_at)) = split_number(text) else {
        return Err(FilterError::at(
            atom.pos,
            "expected a number such as 1500, 10k or 1.5MB",
        ));
    };
    let unit = text[unit_at..].to_ascii_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let scale: u64 = match unit {
        "" => 1,
        "k" => 1_000,
        "m" => 1_000_000,
        "g" => 1_000_000_000,
        "t" => 1_000_000_000_000,
        "ki" => 1 << 10,
        "mi" => 1 << 20,
        "gi" => 1 << 30,
        "ti" => 1 << 40,
        _ => {
            let at = atom.char_pos(text[..unit_at].chars().count());
            return Err(FilterError::at(at, "expected a unit such as kB, MB or GiB"));
        }
    };
    let value = number * scale as f64;
    if scale == 1 && number.fract() != 0.0 {
        return Err(FilterError::at(atom.pos, "expected a whole number"));
    }
    if !value.is_finite() || value >= u64::MAX as f64 {
        return Err(FilterError::at(atom.pos, "number too large"));
    }
    Ok(value.round() as u64)
}

/// An address or CIDR block (`10.0.0.4`, `10.0.0.0/8`, `fe80::/10`) as a range.
pub fn addr(atom: &Atom) -> Result<AddrRange, FilterError> {
    let expected = "expected an IP address or a CIDR such as 10.0.0.0/8";
    let (ip_text, prefix) = match atom.text.split_once('/') {
        Some((ip, prefix)) => (ip, Some(prefix)),
        None => (atom.text.as_str(), None),
    };
    let ip: IpAddr = ip_text
        .parse()
        .map_err(|_| FilterError::at(atom.pos, expected))?;
    let (v6, bits) = addr_bits(&ip);
    let width: u32 = if v6 { 128 } else { 32 };
    let Some(prefix) = prefix else {
        return Ok(AddrRange {
            v6,
            lo: bits,
            hi: bits,
        });
    };
    let prefix_atom = Atom {
        text: prefix.to_string(),
        pos: atom.char_pos(ip_text.chars().count() + 1),
        quoted: false,
    };
    let len = uint(&prefix_atom, width as u64, "a prefix length").map_err(|e| {
        FilterError::at(
            e.position,
            format!("expected a prefix length from 0 to {width}"),
        )
    })? as u32;
    let host_bits = width - len;
    let host_mask: u128 = if host_bits == 0 {
        0
    } else {
        u128::MAX >> (128 - host_bits)
    };
    Ok(AddrRange {
        v6,
        lo: bits & !host_mask,
        hi: bits | host_mask,
    })
}

/// A UTC time at the precision typed, as an inclusive millisecond interval: a date is the
/// whole day, `08:30` the whole minute. `Z` or an offset may follow; without, UTC.
pub fn time(atom: &Atom) -> Result<(i64, i64), FilterError> {
    time_interval(atom.text.trim()).ok_or_else(|| {
        FilterError::at(
            atom.pos,
            "expected a time such as 2024-11-18T08:30:00Z or \"2024-11-18 09:10\"",
        )
    })
}

fn time_interval(text: &str) -> Option<(i64, i64)> {
    let (local, offset_ms) = split_offset(text)?;
    let date = NaiveDate::parse_from_str(local.get(..10)?, "%Y-%m-%d").ok()?;
    let rest = &local[10..];
    let (clock, span_ms) = if rest.is_empty() {
        (NaiveTime::MIN, 86_400_000)
    } else {
        let rest = rest.strip_prefix(['T', 't', ' '])?;
        clock(rest)?
    };
    let start = NaiveDateTime::new(date, clock).and_utc().timestamp_millis() - offset_ms;
    Some((start, start + span_ms - 1))
}

/// Splits a trailing `Z`, `+hh:mm` or `-hh:mm` (after the date) from the local time.
fn split_offset(text: &str) -> Option<(&str, i64)> {
    if let Some(local) = text.strip_suffix(['Z', 'z']) {
        return Some((local, 0));
    }
    let Some(at) = text
        .get(10..)
        .and_then(|t| t.rfind(['+', '-']))
        .map(|i| i + 10)
    else {
        return Some((text, 0));
    };
    let sign = if text[at..].starts_with('-') { -1 } else { 1 };
    let (h, m) = text[at + 1..].split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let minutes = h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?;
    Some((&text[..at], sign * minutes * 60_000))
}

/// `HH`, `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff`, with the span of the precision given.
fn clock(text: &str) -> Option<(NaiveTime, i64)> {
    let (hms, frac) = match text.split_once('.') {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (text, None),
    };
    let parts: Vec<u32> = hms
        .split(':')
        .map(|p| (p.len() == 2).then(|| p.parse().ok()).flatten())
        .collect::<Option<_>>()?;
    let (h, m, s, span) = match parts[..] {
        [h] => (h, 0, 0, 3_600_000),
        [h, m] => (h, m, 0, 60_000),
        [h, m, s] => (h, m, s, 1_000),
        _ => return None,
    };
    let (ms, span) = match frac {
        None => (0, span),
        // Up to nanoseconds, as a record's `time` is written (7 digits): times are kept
        // in milliseconds, so finer digits name the millisecond they fall in.
        Some(f) if parts.len() == 3 && (1..=9).contains(&f.len()) => {
            f.bytes().all(|c| c.is_ascii_digit()).then_some(())?;
            let kept = f.len().min(3) as u32;
            let digits: u32 = f[..kept as usize].parse().ok()?;
            (digits * 10u32.pow(3 - kept), 10i64.pow(3 - kept))
        }
        Some(_) => return None,
    };
    Some((NaiveTime::from_hms_milli_opt(h, m, s, ms)?, span))
}

/// A duration such as `15m`, `2h`, `7d`, `30s`, `1w` or `1h30m`, in milliseconds.
pub fn duration(atom: &Atom) -> Result<i64, FilterError> {
    let expected = "expected a duration such as 15m, 2h, 7d or 30s";
    let chars: Vec<char> = atom.text.chars().collect();
    let mut total: i64 = 0;
    let mut i = 0;
    if chars.is_empty() {
        return Err(FilterError::at(atom.pos, expected));
    }
    while i < chars.len() {
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return Err(FilterError::at(atom.char_pos(i), expected));
        }
        let n: i64 = chars[start..i]
            .iter()
            .collect::<String>()
            .parse()
            .unwrap_or(i64::MAX);
        let unit_start = i;
        while i < chars.len() && chars[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit: String = chars[unit_start..i]
            .iter()
            .collect::<String>()
            .to_lowercase();
        let scale = match unit.as_str() {
            "ms" => 1,
            "s" => 1_000,
            "m" | "min" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            _ => {
                let message = "expected a unit: s, m, h, d or w";
                return Err(FilterError::at(atom.char_pos(unit_start), message));
            }
        };
        total = total.saturating_add(n.saturating_mul(scale));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atom(text: &str) -> Atom {
        Atom {
            text: text.into(),
            pos: 10,
            quoted: false,
        }
    }
    fn ms(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn counts_take_decimal_and_binary_units() {
        let cases = [
            ("1500", 1500),
            ("1MB", 1_000_000),
            ("1.5kB", 1500),
            ("10k", 10_000),
            ("2GiB", 2 << 30),
            ("3mb", 3_000_000),
            ("7B", 7),
        ];
        for (text, want) in cases {
            assert_eq!(count(&atom(text)).unwrap(), want, "{text}");
        }
        let e = count(&atom("10xB")).unwrap_err();
        assert_eq!(
            (e.position, e.message.as_str()),
            (12, "expected a unit such as kB, MB or GiB")
        );
        assert_eq!(
            count(&atom("1.5")).unwrap_err().message,
            "expected a whole number"
        );
        assert!(count(&atom("kB")).is_err());
    }

    #[test]
    fn ports_report_the_first_bad_character() {
        assert_eq!(uint(&atom("3389"), 65535, "a port number").unwrap(), 3389);
        let e = uint(&atom("33x9"), 65535, "a port number").unwrap_err();
        assert_eq!(
            (e.position, e.message.as_str()),
            (12, "expected a port number")
        );
        let e = uint(&atom("70000"), 65535, "a port number").unwrap_err();
        assert_eq!(e.message, "a port number must be at most 65535");
    }

    #[test]
    fn cidr_blocks_become_ranges() {
        let r = addr(&atom("10.1.2.3/8")).unwrap();
        assert!(r.contains(&"10.255.0.1".parse().unwrap()));
        assert!(!r.contains(&"11.0.0.0".parse().unwrap()));
        let r = addr(&atom("fe80::/10")).unwrap();
        assert!(r.contains(&"fe80::1".parse().unwrap()));
        assert!(!r.contains(&"10.0.0.1".parse().unwrap()));
        assert!(addr(&atom("0.0.0.0/0"))
            .unwrap()
            .contains(&"1.2.3.4".parse().unwrap()));
        let e = addr(&atom("10.0.0.0/33")).unwrap_err();
        assert_eq!(e.position, 19);
        let e = addr(&atom("10.0.0.0/x")).unwrap_err();
        assert_eq!(
            (e.position, e.message.as_str()),
            (19, "expected a prefix length from 0 to 32")
        );
        assert!(addr(&atom("10.0.0")).is_err());
    }

    #[test]
    fn times_cover_the_precision_typed() {
        let t = ms("2024-11-18T08:30:00Z");
        assert_eq!(time(&atom("2024-11-18T08:30:00Z")).unwrap(), (t, t + 999));
        assert_eq!(time(&atom("2024-11-18 08:30")).unwrap(), (t, t + 59_999));
        assert_eq!(
            time(&atom("2024-11-18T08:30:00.5")).unwrap(),
            (t + 500, t + 599)
        );
        // A record's own time, pasted: its 7 digits name one millisecond.
        assert_eq!(
            time(&atom("2024-11-18T08:30:00.1234567Z")).unwrap(),
            (t + 123, t + 123)
        );
        let day = ms("2024-11-18T00:00:00Z");
        assert_eq!(
            time(&atom("2024-11-18")).unwrap(),
            (day, day + 86_400_000 - 1)
        );
        let shifted = time(&atom("2024-11-18T09:30:00+01:00")).unwrap();
        assert_eq!(shifted.0, t);
        for bad in [
            "2024-13-01",
            "2024-11-18T8:30",
            "yesterday",
            "2024-11-18T08:30:00.1234567890",
            "2024-11-18T08:30:00.12a",
            "2024-11-18T08:30:00.",
        ] {
            assert!(time(&atom(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_add_up_units() {
        assert_eq!(duration(&atom("15m")).unwrap(), 900_000);
        assert_eq!(duration(&atom("2h")).unwrap(), 7_200_000);
        assert_eq!(duration(&atom("7d")).unwrap(), 604_800_000);
        assert_eq!(duration(&atom("30s")).unwrap(), 30_000);
        assert_eq!(duration(&atom("1h30m")).unwrap(), 5_400_000);
        let e = duration(&atom("15")).unwrap_err();
        assert_eq!(
            (e.position, e.message.as_str()),
            (12, "expected a unit: s, m, h, d or w")
        );
        assert_eq!(duration(&atom("m")).unwrap_err().position, 10);
    }
}

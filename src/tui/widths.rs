//! The widths the Flows table fits its columns to, taken over every row a filter chose
//! rather than the page on screen: measured by page, the columns changed form (words or
//! letters, a rule column or none, seconds or none) from one page to the next. Worked out
//! on the query worker, once a filter, from a sample of at most `SAMPLE` rows.

use crate::model::proto;
use crate::selection::Selection;
use crate::store::Store;
use std::net::IpAddr;

/// The widest texts of a selection's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowWidths {
    /// Widest `address:port` (`[v6]:port`) per side of all but the widest few rows
    /// (`WHOLE_SHARE`); at least `MIN_ENDPOINT`.
    pub endpoints: (u16, u16),
    /// Widest protocol as the log writes it (`T`, `U` or the number).
    pub proto_letters: u16,
    /// Widest protocol in words (`tcp`, `icmpv6` or the number).
    pub proto_words: u16,
    /// How many rows each width holds, per side: which side a narrow pane cuts.
    pub rows: EndpointRows,
}

/// The measured rows by endpoint width (up to 63), per side: how many rows a column of
/// some width would cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointRows([[u32; 64]; 2]);

impl EndpointRows {
    /// No rows measured: every width cuts none.
    pub const NONE: EndpointRows = EndpointRows([[0; 64]; 2]);

    /// From each row's width, per side.
    #[cfg(test)]
    pub fn of_widths(src: &[u16], dst: &[u16]) -> EndpointRows {
        let mut rows = [[0; 64]; 2];
        for (side, widths) in [src, dst].into_iter().enumerate() {
            widths.iter().for_each(|&w| rows[side][usize::from(w)] += 1);
        }
        EndpointRows(rows)
    }

    /// Rows of the source side (`side` 0) or the destination side (1) exactly `width`
    /// wide: those a column narrowed from `width` cuts that were whole.
    pub fn at(&self, side: usize, width: u16) -> u32 {
        self.0[side].get(usize::from(width)).copied().unwrap_or(0)
    }

    /// The least width that holds `percent` of the rows of `side` whole; `None` without
    /// rows.
    pub fn holding(&self, side: usize, percent: u64) -> Option<u16> {
        let rows = &self.0[side];
        let all: u64 = rows.iter().map(|&n| u64::from(n)).sum();
        let wanted = (all * percent).div_ceil(100).max(1);
        let mut seen = 0;
        (0..rows.len() as u16).find(|&w| {
            seen += u64::from(rows[usize::from(w)]);
            seen >= wanted
        })
    }
}

/// An endpoint column is never narrower than its header needs.
const MIN_ENDPOINT: u16 = 8;

impl Default for FlowWidths {
    fn default() -> Self {
        FlowWidths {
            endpoints: (MIN_ENDPOINT, MIN_ENDPOINT),
            proto_letters: 1,
            proto_words: 3,
            rows: EndpointRows::NONE,
        }
    }
}

/// Each address's text width, by address id (a v6 address with its brackets): worked out
/// once a store, so measuring a selection is a look-up a row. IPv4 widths are counted
/// from the octets: formatting every address of a 2M-tuple store put some 60 ms before
/// the first rows after a load.
pub fn address_widths(store: &Store) -> Vec<u8> {
    store
        .addrs()
        .iter()
        .map(|a| match a {
            IpAddr::V4(a) => {
                a.octets()
                    .iter()
                    .map(|&o| digits(o.into()) as u8)
                    .sum::<u8>()
                    + 3
            }
            IpAddr::V6(a) => a.to_string().len() as u8 + 2,
        })
        .collect()
}

/// Share of the rows whose endpoints the columns hold whole: the rest (a few long IPv6
/// addresses among IPv4 ones) are cut with `…` rather than widen every page's columns
/// and push out the rule or the seconds.
const WHOLE_PERCENT: u64 = 95;

/// Rows measured at most, one in each run of rows of the selection.
const SAMPLE: usize = 1 << 16;

/// The widths of `sel`'s rows; `address` from `address_widths` of the same store.
pub fn of_selection(store: &Store, sel: &Selection, address: &[u8]) -> FlowWidths {
    let (src, dst) = (store.src_ids(), store.dst_ids());
    let (sport, dport) = (store.sports(), store.dports());
    let endpoint = |addr: u32, port: u16| usize::from(address[addr as usize]) + 1 + digits(port);
    // How many rows have each width, per side (an endpoint is at most 47 columns).
    let mut widths = [[0u32; 64]; 2];
    let mut protocols = [false; 256];
    // A share of the rows is as well measured on a sample of them: looking up every row
    // of 2M put 20 ms before each filter's first rows. One row of each run of `step`, at
    // a place that varies from run to run: a fixed stride took every row of a pattern
    // repeating with it (every third row of a three-address rotation).
    let step = sel.len().div_ceil(SAMPLE).max(1);
    let picked =
        |run: usize| ((run as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize % step;
    for (n, row) in sel.iter().enumerate() {
        if n % step != picked(n / step) {
            continue;
        }
        let i = row as usize;
        widths[0][endpoint(src[i], sport[i]).min(63)] += 1;
        widths[1][endpoint(dst[i], dport[i]).min(63)] += 1;
        protocols[store.flag(row).proto() as usize] = true;
    }
    let rows = EndpointRows(widths);
    let held = |side| {
        let width = rows.holding(side, WHOLE_PERCENT).unwrap_or(0);
        width.max(MIN_ENDPOINT)
    };
    FlowWidths {
        endpoints: (held(0), held(1)),
        rows,
        proto_letters: widest(&protocols, letters_width).unwrap_or(1),
        proto_words: widest(&protocols, words_width).unwrap_or(3),
    }
}

/// The protocol as the log writes it: `T`, `U` or its number.
pub fn proto_letters(p: u8) -> String {
    match p {
        proto::TCP => "T".into(),
        proto::UDP => "U".into(),
        n => n.to_string(),
    }
}

fn letters_width(p: u8) -> u16 {
    proto_letters(p).len() as u16
}

fn words_width(p: u8) -> u16 {
    proto::display(p).len() as u16
}

/// The widest of the protocols `seen`, as `width` measures them.
fn widest(seen: &[bool; 256], width: fn(u8) -> u16) -> Option<u16> {
    (0..=255u8).filter(|&p| seen[p as usize]).map(width).max()
}

fn digits(port: u16) -> usize {
    port.checked_ilog10().map_or(1, |d| d as usize + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::navigate::endpoint;
    use crate::views::testing::{build, tuple};

    /// Addresses of both families and every width, ports of one to five digits, and
    /// protocols written as letters or numbers of one to three digits.
    fn mixed() -> Store {
        let addrs = [
            "10.0.0.1",
            "203.0.113.250",
            "fd00::1",
            "2001:db8:85a3::8a2e:370:7334",
        ];
        let ports = [0, 7, 80, 443, 3389, 65535];
        let protos = [6, 17, 1, 47, 132];
        let tuples = (0..120)
            .map(|i| {
                let mut t = tuple(
                    i as i64 * 1000,
                    addrs[i % 4],
                    ports[i % 6],
                    addrs[(i / 4) % 4],
                    ports[(i / 3) % 6],
                );
                t.proto = protos[(i / 5) % 5];
                t
            })
            .collect();
        build(&[("R".into(), tuples)])
    }

    /// What the widths say is the width that 95% of the rows' texts fit in, measured by
    /// formatting each row as the table does.
    #[test]
    fn widths_hold_all_but_the_widest_few_rows() {
        let store = mixed();
        let address = address_widths(&store);
        let n = store.len() as u32;
        let held = |mut w: Vec<u16>| {
            w.sort_unstable();
            let at = (w.len() * 95).div_ceil(100);
            w.get(at.saturating_sub(1))
                .copied()
                .unwrap_or(0)
                .max(MIN_ENDPOINT)
        };
        for rows in [
            (0..n).collect::<Vec<u32>>(),
            (0..n).filter(|r| r % 7 == 3).collect(),
            (0..n).filter(|r| r % 4 == 0 && r % 5 != 0).collect(),
            vec![],
        ] {
            let sel = Selection::from_sorted(rows.clone());
            let got = of_selection(&store, &sel, &address);
            let text = |a, p| endpoint(&a, p).chars().count() as u16;
            let src: Vec<u16> = rows
                .iter()
                .map(|&r| text(store.src(r), store.sports()[r as usize]))
                .collect();
            let dst: Vec<u16> = rows
                .iter()
                .map(|&r| text(store.dst(r), store.dports()[r as usize]))
                .collect();
            let proto = |text: fn(u8) -> String| {
                rows.iter()
                    .map(|&r| text(store.flag(r).proto()).len() as u16)
                    .max()
            };
            let want = FlowWidths {
                endpoints: (held(src.clone()), held(dst.clone())),
                proto_letters: proto(proto_letters).unwrap_or(1),
                proto_words: proto(proto::display).unwrap_or(3),
                rows: got.rows,
            };
            assert_eq!(got, want, "{} rows", rows.len());
            // Every row is measured here (fewer than a sample's worth).
            for (side, texts) in [src, dst].iter().enumerate() {
                for width in 0..50 {
                    let at = texts.iter().filter(|&&w| w == width).count() as u32;
                    assert_eq!(got.rows.at(side, width), at, "side {side}, {width}");
                }
            }
        }
        // A few long IPv6 rows among many IPv4 ones do not widen the columns.
        let v4 = (0..20u32).map(|r| r * 4).collect::<Vec<u32>>();
        let widest_v4 = v4.iter().map(|&r| text_width(&store, r)).max().unwrap();
        let mut rows = v4;
        rows.push(3);
        rows.sort_unstable();
        let got = of_selection(&store, &Selection::from_sorted(rows), &address);
        assert_eq!(got.endpoints.0, widest_v4.max(MIN_ENDPOINT));
    }

    /// Past `SAMPLE` rows the widths come from a sample, which holds the same share: 2% of
    /// long IPv6 sources among IPv4 ones still do not widen the column, and a pattern
    /// that repeats with the sample's stride is still seen whole.
    #[test]
    fn a_sample_measures_a_long_selection_as_all_its_rows() {
        let v4 = ["10.0.0.1", "10.0.0.100", "203.0.113.250"];
        let tuples = (0..3 * SAMPLE)
            .map(|i| {
                let src = match i % 50 {
                    0 => "2001:db8:85a3::8a2e:370:7334",
                    _ => v4[i % 3],
                };
                tuple(i as i64, src, 443, v4[i % 3], 22)
            })
            .collect();
        let store = build(&[("R".into(), tuples)]);
        let address = address_widths(&store);
        let got = of_selection(&store, &Selection::all(store.len()), &address);
        let want = ("203.0.113.250:443".len(), "203.0.113.250:22".len());
        assert_eq!(got.endpoints, (want.0 as u16, want.1 as u16));
    }

    fn text_width(store: &Store, r: u32) -> u16 {
        endpoint(&store.src(r), store.sports()[r as usize])
            .chars()
            .count() as u16
    }

    #[test]
    fn ports_count_their_digits() {
        for (port, n) in [(0, 1), (9, 1), (10, 2), (443, 3), (65535, 5usize)] {
            assert_eq!(digits(port), n, "{port}");
        }
    }
}

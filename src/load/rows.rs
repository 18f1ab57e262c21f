//! A record's tuples as its reading leaves them: each packed as the store keeps it (time,
//! flags word, ports), with the addresses and counters beside only where the load keeps
//! them, and the rejected ones listed by row. A record's ranges of tuples index these
//! rows; loading a group's good rows then copies them a column at a time. Unpacking a
//! whole `Tuple` a row at a time into the store's columns cost about 80 instructions a
//! tuple, more than a third of reading it.

use super::tuple::{TupleError, Values};
use crate::model::{Counters, FlowState, Tuple};
use crate::store::{Flags, Row};
use std::net::{IpAddr, Ipv4Addr};
use std::ops::Range;

/// A parsed tuple string, or why it was rejected.
pub type Parsed = Result<Tuple, TupleError>;

/// Tuples read, in the order read.
#[derive(Debug, Clone, PartialEq)]
pub struct Rows {
    /// The optional values kept: addresses and counters are not stored without.
    keep: Values,
    rows: Vec<Row>,
    src: Vec<IpAddr>,
    dst: Vec<IpAddr>,
    counters: Vec<Counters>,
    /// Rows rejected, in row order; their columns hold placeholders.
    rejected: Vec<(u32, TupleError)>,
}

impl Default for Rows {
    fn default() -> Self {
        Rows::keeping(Values::ALL)
    }
}

/// What a rejected row's columns hold: never loaded.
const PLACEHOLDER: Tuple = Tuple {
    time_ms: 0,
    src: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    dst: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    sport: 0,
    dport: 0,
    proto: 0,
    dir: crate::model::Direction::In,
    decision: crate::model::Decision::Allow,
    state: None,
    encryption: None,
    counters: Counters {
        packets_out: 0,
        bytes_out: 0,
        packets_in: 0,
        bytes_in: 0,
    },
};

impl Rows {
    /// No rows, keeping the values `keep` asks for.
    pub fn keeping(keep: Values) -> Rows {
        Rows {
            keep,
            rows: Vec::new(),
            src: Vec::new(),
            dst: Vec::new(),
            counters: Vec::new(),
            rejected: Vec::new(),
        }
    }

    /// Empties the rows (keeping their room) for a record whose load keeps `keep`.
    pub fn reset(&mut self, keep: Values) {
        self.keep = keep;
        self.rows.clear();
        self.src.clear();
        self.dst.clear();
        self.counters.clear();
        self.rejected.clear();
    }

    /// The values kept.
    pub fn keep(&self) -> Values {
        self.keep
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Adds a tuple read.
    #[inline(always)]
    pub fn push_tuple(&mut self, t: &Tuple) {
        self.rows.push(Row::of(t));
        // The same for every row of a load: these branches always go one way.
        if self.keep.addresses {
            self.src.push(t.src);
            self.dst.push(t.dst);
        }
        if self.keep.counters {
            self.counters.push(t.counters);
        }
    }

    /// Adds a tuple read or rejected.
    pub fn push(&mut self, parsed: Parsed) {
        match parsed {
            Ok(t) => self.push_tuple(&t),
            Err(e) => {
                self.rejected.push((self.rows.len() as u32, e));
                self.push_tuple(&PLACEHOLDER);
            }
        }
    }

    /// Drops the rows from `len` on, rejected ones included: a reading given up.
    pub fn truncate(&mut self, len: usize) {
        self.rows.truncate(len);
        self.src.truncate(len);
        self.dst.truncate(len);
        self.counters.truncate(len);
        let kept = self.rejected.partition_point(|&(r, _)| (r as usize) < len);
        self.rejected.truncate(kept);
    }

    /// The packed rows of `range`.
    pub fn rows(&self, range: Range<usize>) -> &[Row] {
        &self.rows[range]
    }

    /// The addresses of `range` (empty unless kept).
    pub fn addresses(&self, range: Range<usize>) -> (&[IpAddr], &[IpAddr]) {
        match self.keep.addresses {
            true => (&self.src[range.clone()], &self.dst[range]),
            false => (&[], &[]),
        }
    }

    /// The counters of `range` (empty unless kept).
    pub fn counters(&self, range: Range<usize>) -> &[Counters] {
        match self.keep.counters {
            true => &self.counters[range],
            false => &[],
        }
    }

    /// The rows rejected within `range`, with why, in row order.
    pub fn rejected_in(&self, range: Range<usize>) -> &[(u32, TupleError)] {
        let from = self
            .rejected
            .partition_point(|&(r, _)| (r as usize) < range.start);
        let to = self
            .rejected
            .partition_point(|&(r, _)| (r as usize) < range.end);
        &self.rejected[from..to]
    }

    /// The state of the first row read, if any was: `Some(None)` for a tuple without one
    /// (NSG version 1).
    pub fn first_state(&self) -> Option<Option<FlowState>> {
        // Rejected rows are listed in order: the first row read is the first that is
        // not the next of them.
        let row = self
            .rejected
            .iter()
            .enumerate()
            .take_while(|&(k, &(row, _))| row as usize == k)
            .count();
        let read = self.rows.get(row)?;
        Some(Flags(read.flags).state())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::tuple::parse_tuple;
    use crate::model::LogKind;

    /// A record's version comes from its first tuple read, past any rejected before it.
    #[test]
    fn the_first_state_is_the_first_tuple_reads() {
        let nsg = |text| parse_tuple(text, LogKind::Nsg);
        let mut rows = Rows::default();
        assert_eq!(rows.first_state(), None);
        rows.push(nsg("bad"));
        rows.push(nsg("bad,too"));
        assert_eq!(rows.first_state(), None, "only rejected rows");
        rows.push(nsg("1,1.1.1.1,2.2.2.2,1,2,T,I,A"));
        rows.push(nsg("1,1.1.1.1,2.2.2.2,1,2,T,I,A,B,,,,"));
        assert_eq!(rows.first_state(), Some(None), "version 1 first");
        let mut rows = Rows::default();
        rows.push(nsg("bad"));
        rows.push(nsg("1,1.1.1.1,2.2.2.2,1,2,T,I,A,E,1,2,3,4"));
        assert_eq!(rows.first_state(), Some(Some(FlowState::End)));
        assert_eq!(rows.rejected_in(0..2).len(), 1);
        assert_eq!(rows.rejected_in(1..2), []);
    }
}

//! Which of a store's optional tuple columns are built. A store read once for an answer
//! that needs few columns (a count, `check`) skips the rest: interning addresses and
//! encoding counters are most of what pushing a row costs. Times, flags, groups and
//! records are always kept: they are cheap, and the row count comes from the times.

/// The optional columns a store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    /// Source and destination address ids, and the address dictionary.
    pub addresses: bool,
    /// Source and destination ports.
    pub ports: bool,
    /// The four counters.
    pub counters: bool,
}

impl Columns {
    pub const ALL: Columns = Columns {
        addresses: true,
        ports: true,
        counters: true,
    };
    /// Times, flags, groups and records only.
    pub const NONE: Columns = Columns {
        addresses: false,
        ports: false,
        counters: false,
    };

    /// Source and destination addresses alone.
    pub const ADDRESSES: Columns = Columns {
        addresses: true,
        ..Columns::NONE
    };
    /// Source and destination ports alone.
    pub const PORTS: Columns = Columns {
        ports: true,
        ..Columns::NONE
    };
    /// The counters alone.
    pub const COUNTERS: Columns = Columns {
        counters: true,
        ..Columns::NONE
    };

    /// The columns either needs.
    pub fn union(self, other: Columns) -> Columns {
        Columns {
            addresses: self.addresses || other.addresses,
            ports: self.ports || other.ports,
            counters: self.counters || other.counters,
        }
    }
}

impl Default for Columns {
    fn default() -> Self {
        Columns::ALL
    }
}

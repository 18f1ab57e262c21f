//! The named fields of a tuple, shared by the filter language, `stats --by`, the
//! explorer's columns and the NDJSON/CSV output.

use crate::store::Columns;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Time,
    Src,
    Dst,
    /// Either address.
    Ip,
    Sport,
    Dport,
    /// Either port.
    Port,
    Proto,
    Dir,
    Action,
    State,
    Rule,
    Nsg,
    Mac,
    Flowlog,
    Target,
    Acl,
    Encryption,
    Bytes,
    Packets,
    BytesOut,
    BytesIn,
    PacketsOut,
    PacketsIn,
    Version,
    File,
}

impl Field {
    /// In DESIGN.md order: also the column order of `query` output.
    pub const ALL: [Field; 26] = [
        Field::Time,
        Field::Src,
        Field::Dst,
        Field::Ip,
        Field::Sport,
        Field::Dport,
        Field::Port,
        Field::Proto,
        Field::Dir,
        Field::Action,
        Field::State,
        Field::Rule,
        Field::Nsg,
        Field::Mac,
        Field::Flowlog,
        Field::Target,
        Field::Acl,
        Field::Encryption,
        Field::Bytes,
        Field::Packets,
        Field::BytesOut,
        Field::BytesIn,
        Field::PacketsOut,
        Field::PacketsIn,
        Field::Version,
        Field::File,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Time => "time",
            Field::Src => "src",
            Field::Dst => "dst",
            Field::Ip => "ip",
            Field::Sport => "sport",
            Field::Dport => "dport",
            Field::Port => "port",
            Field::Proto => "proto",
            Field::Dir => "dir",
            Field::Action => "action",
            Field::State => "state",
            Field::Rule => "rule",
            Field::Nsg => "nsg",
            Field::Mac => "mac",
            Field::Flowlog => "flowlog",
            Field::Target => "target",
            Field::Acl => "acl",
            Field::Encryption => "encryption",
            Field::Bytes => "bytes",
            Field::Packets => "packets",
            Field::BytesOut => "bytes_out",
            Field::BytesIn => "bytes_in",
            Field::PacketsOut => "packets_out",
            Field::PacketsIn => "packets_in",
            Field::Version => "version",
            Field::File => "file",
        }
    }

    /// Case-insensitive lookup by name.
    pub fn parse(name: &str) -> Option<Field> {
        Field::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// Fields that name one side or a derived value; a tuple has a single value for the rest.
    pub fn is_either_side(self) -> bool {
        matches!(self, Field::Ip | Field::Port)
    }

    /// Fields whose values are text (matched with `~`).
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Field::Rule
                | Field::Nsg
                | Field::Mac
                | Field::Flowlog
                | Field::Target
                | Field::Acl
                | Field::File
                | Field::Encryption
        )
    }

    /// The optional store columns reading this field's values takes.
    pub fn columns(self) -> Columns {
        match self {
            Field::Src | Field::Dst | Field::Ip => Columns::ADDRESSES,
            Field::Sport | Field::Dport | Field::Port => Columns::PORTS,
            Field::Bytes
            | Field::Packets
            | Field::BytesOut
            | Field::BytesIn
            | Field::PacketsOut
            | Field::PacketsIn => Columns::COUNTERS,
            _ => Columns::NONE,
        }
    }

    /// Fields that hold a single value per tuple: every field but `ip` and `port`.
    pub fn tuple_fields() -> impl Iterator<Item = Field> {
        Field::ALL.into_iter().filter(|f| !f.is_either_side())
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_case_insensitively() {
        for f in Field::ALL {
            assert_eq!(Field::parse(f.name()), Some(f));
            assert_eq!(Field::parse(&f.name().to_uppercase()), Some(f));
        }
        assert_eq!(Field::parse("dprot"), None);
    }
}

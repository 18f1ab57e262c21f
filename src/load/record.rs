//! One flow log record, NSG or VNet (or the flattened one-tuple event some tools write),
//! deserialised with borrowed strings; its tuples are parsed while serde reads them.
//!
//! ```text
//! NSG   {time, macAddress?, resourceId, properties: {Version, flows: [{rule, flows: [{mac, flowTuples}]}]}}
//! VNet  {time, flowLogVersion, macAddress, flowLogResourceID, targetResourceID,
//!        flowRecords: {flows: [{aclID, flowGroups: [{rule, flowTuples}]}]}}
//! flat  {rule, "flow.0", resourceId? | aclID?, macAddress?, version? | flowLogVersion?, time?}
//! ```

mod fast;
pub use fast::{check_against_serde, read_record_into};

use super::rows::{Parsed, Rows};
use super::tuple::{parse_tuple, Values};
use crate::model::LogKind;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

thread_local! {
    /// Tuples of the record being read: the readers fill it, the emitter drains it. One
    /// buffer per thread, reused, so reading a tuple allocates nothing.
    static SCRATCH: RefCell<Rows> = RefCell::new(Rows::default());
}

/// Takes the tuples parsed so far on this thread, leaving an empty buffer.
pub fn take_scratch() -> Rows {
    SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()))
}

/// Gives a buffer back, emptied and keeping every value (as serde's reading needs), so
/// the next record reuses its room.
pub fn return_scratch(mut rows: Rows) {
    rows.reset(Values::ALL);
    SCRATCH.with(|s| *s.borrow_mut() = rows);
}

/// A text value that tolerates other JSON scalars (they read as absent).
#[derive(Debug, Default, Clone)]
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Text<'a>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
            fn visit_unit<E>(self) -> Result<Text<'a>, E> {
                Ok(Text(None))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// A version written as a number (`2`) or a string (`"2"`).
#[derive(Debug, Default, Clone, Copy)]
pub struct Version(pub Option<u8>);

impl Version {
    /// The whole number a version's text starts with: `"2"`, `"2.0"`, `" 4 "`.
    pub fn of_text(text: &Text) -> Version {
        Version(text.get().and_then(|s| {
            let s = s.split('.').next().unwrap_or(s);
            s.trim().parse::<u8>().ok()
        }))
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Version::of_text(&Text::deserialize(d)?))
    }
}

/// A `flowTuples` array, parsed into the thread's scratch buffer as it is read.
#[derive(Debug, Default, Clone)]
pub struct Tuples<const VNET: bool>(pub Range<usize>);

impl<'de, const VNET: bool> Deserialize<'de> for Tuples<VNET> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Seq<const VNET: bool>;
        impl<'de, const VNET: bool> Visitor<'de> for Seq<VNET> {
            type Value = Tuples<VNET>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of tuple strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                // The buffer is held locally for the whole array (one thread-local access
                // per array, not per tuple) and given back even when the array is bad.
                let mut buf = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
                let start = buf.len();
                let result = loop {
                    match seq.next_element::<TupleText<VNET>>() {
                        Ok(Some(parsed)) => buf.push(parsed.0),
                        Ok(None) => break Ok(Tuples(start..buf.len())),
                        Err(e) => break Err(e),
                    }
                };
                SCRATCH.with(|s| *s.borrow_mut() = buf);
                result
            }
        }
        d.deserialize_seq(Seq::<VNET>)
    }
}

/// One element of `flowTuples`, parsed straight from the borrowed (or unescaped) text.
struct TupleText<const VNET: bool>(Parsed);

impl<'de, const VNET: bool> Deserialize<'de> for TupleText<VNET> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Str<const VNET: bool>;
        impl<'de, const VNET: bool> Visitor<'de> for Str<VNET> {
            type Value = TupleText<VNET>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a tuple string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                let kind = if VNET { LogKind::Vnet } else { LogKind::Nsg };
                Ok(TupleText(parse_tuple(v, kind)))
            }
        }
        d.deserialize_str(Str::<VNET>)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NsgProperties<'a> {
    #[serde(rename = "Version")]
    pub version: Version,
    #[serde(borrow)]
    pub flows: Option<Rules<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NsgRule<'a> {
    #[serde(borrow)]
    pub rule: Text<'a>,
    #[serde(borrow, deserialize_with = "null_as_empty")]
    pub flows: MacBlocks<'a>,
}

/// A list given as `null` read as empty, as an absent one is: else the record's other
/// rules, and their tuples, were lost with it.
fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A record's rules, held in the record while few: a record is read, loaded and
/// dropped, and a list on the heap for every record and rule cost more to allocate and
/// free than to fill (the NSG records measured hold 5 to 7 rules, each one MAC block).
pub type Rules<'a> = SmallVec<[NsgRule<'a>; 8]>;
/// A rule's MAC blocks (one in every record measured).
pub type MacBlocks<'a> = SmallVec<[NsgMacFlows<'a>; 1]>;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NsgMacFlows<'a> {
    #[serde(borrow)]
    pub mac: Text<'a>,
    #[serde(rename = "flowTuples")]
    pub tuples: Option<Tuples<false>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VnetFlowRecords<'a> {
    #[serde(borrow)]
    pub flows: Option<Vec<VnetAcl<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VnetAcl<'a> {
    #[serde(borrow, rename = "aclID")]
    pub acl: Text<'a>,
    #[serde(borrow, rename = "flowGroups", deserialize_with = "null_as_empty")]
    pub groups: Vec<VnetGroup<'a>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct VnetGroup<'a> {
    #[serde(borrow)]
    pub rule: Text<'a>,
    #[serde(rename = "flowTuples")]
    pub tuples: Option<Tuples<true>>,
}

/// Every key flowscope reads, of all three record shapes; other keys are skipped.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawRecord<'a> {
    #[serde(borrow)]
    pub time: Text<'a>,
    #[serde(borrow, rename = "macAddress")]
    pub mac: Text<'a>,
    #[serde(borrow, rename = "resourceId")]
    pub resource_id: Text<'a>,
    #[serde(borrow)]
    pub category: Text<'a>,
    #[serde(borrow)]
    pub properties: Option<NsgProperties<'a>>,
    #[serde(rename = "flowLogVersion")]
    pub flow_log_version: Option<Version>,
    #[serde(borrow, rename = "flowLogResourceID")]
    pub flowlog_id: Text<'a>,
    #[serde(borrow, rename = "targetResourceID")]
    pub target_id: Text<'a>,
    #[serde(borrow, rename = "flowRecords")]
    pub flow_records: Option<VnetFlowRecords<'a>>,
    #[serde(borrow)]
    pub rule: Text<'a>,
    #[serde(borrow, rename = "flow.0")]
    pub flat_tuple: Text<'a>,
    pub version: Option<Version>,
    #[serde(borrow, rename = "aclID")]
    pub acl: Text<'a>,
    /// Tuples the fast reader found under keys it does not know inside the flows.
    #[serde(skip)]
    pub stray: Stray<'a>,
}

/// Tuples under a key not read, inside a record's flows (`properties`, a rule, a MAC
/// block, and VNet's levels): a key damaged in the file (`"flowTuples["`, `"flo ws"`)
/// leaves the record valid JSON, and its tuples would be lost unsaid. They are counted
/// by their shape, and rejected. Keys of the record itself are not looked into: other
/// tools' events keep tuples of their own there.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stray<'a> {
    /// The first such key.
    pub key: Option<&'a str>,
    pub tuples: u64,
}

/// The shape of a record, decided by its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Nsg,
    Vnet,
    /// One tuple in `flow.0`, NSG or VNet.
    Flat(LogKind),
}

impl RawRecord<'_> {
    /// `None` when the object is not a flow log record at all. Other products' output
    /// also has `properties` objects: an NSG record needs `properties.flows` and either
    /// `Version` or a `flowTuples` key; a VNet one `flowRecords.flows`.
    pub fn shape(&self) -> Option<Shape> {
        let nsg = self.properties.as_ref().is_some_and(|p| {
            p.flows.as_ref().is_some_and(|rules| {
                p.version.0.is_some()
                    || rules
                        .iter()
                        .any(|r| r.flows.iter().any(|f| f.tuples.is_some()))
            })
        });
        let vnet = self
            .flow_records
            .as_ref()
            .is_some_and(|r| r.flows.is_some());
        if nsg {
            Some(Shape::Nsg)
        } else if vnet {
            Some(Shape::Vnet)
        } else if self.flat_tuple.get().is_some() {
            let vnet = self.flow_log_version.is_some()
                || self.acl.get().is_some()
                || self.flowlog_id.get().is_some()
                || self.category.get() == Some("FlowLogFlowEvent");
            Some(Shape::Flat(if vnet { LogKind::Vnet } else { LogKind::Nsg }))
        } else {
            None
        }
    }
}

/// Parses one record from `text` (exactly one JSON object, nothing after).
pub fn parse_record(text: &str) -> Result<RawRecord<'_>, serde_json::Error> {
    serde_json::from_str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nsg_record_with_keys_out_of_order() {
        let text = r#"{"properties":{"flows":[{"flows":[{"flowTuples":["1,1.1.1.1,2.2.2.2,1,2,T,I,A","bad"],"mac":"AA"}],"rule":"R"}],"Version":1},"resourceId":"/X/NSG1","time":"2024-01-01T00:00:00Z"}"#;
        let _ = take_scratch();
        let r = parse_record(text).unwrap();
        assert_eq!(r.shape(), Some(Shape::Nsg));
        let p = r.properties.as_ref().unwrap();
        assert_eq!(p.version.0, Some(1));
        let g = &p.flows.as_ref().unwrap()[0].flows[0];
        assert_eq!(g.tuples.as_ref().unwrap().0, 0..2);
        let scratch = take_scratch();
        assert_eq!(scratch.len(), 2);
        assert_eq!(
            scratch.rejected_in(0..2),
            [(1, crate::load::TupleError::FieldCount(1))]
        );
    }

    #[test]
    fn flat_event_kind_follows_its_keys() {
        let nsg = parse_record(r#"{"rule":"R","flow.0":"x","version":"2"}"#).unwrap();
        assert_eq!(nsg.shape(), Some(Shape::Flat(LogKind::Nsg)));
        assert_eq!(nsg.version.unwrap().0, Some(2));
        let vnet = parse_record(r#"{"flowLogVersion":4,"aclID":"a","flow.0":"x"}"#).unwrap();
        assert_eq!(vnet.shape(), Some(Shape::Flat(LogKind::Vnet)));
        let other = parse_record(r#"{"records":[],"time":5}"#).unwrap();
        assert_eq!(other.shape(), None);
        let ecs = parse_record(r#"{"properties":{"flows":[{"flows":[{"tuples":[]}]}]}}"#);
        assert_eq!(ecs.unwrap().shape(), None);
        let empty_rules = parse_record(r#"{"properties":{"Version":1,"flows":[]}}"#);
        assert_eq!(empty_rules.unwrap().shape(), Some(Shape::Nsg));
    }

    #[test]
    fn flow_tuples_must_be_an_array() {
        let err =
            parse_record(r#"{"flowRecords":{"flows":[{"flowGroups":[{"flowTuples":"1,2"}]}]}}"#)
                .unwrap_err();
        assert!(err.is_data());
    }
}

//! One tuple's fields as output values (the names of `Field::tuple_fields()`).

use super::output::Value;
use crate::field::Field;
use crate::model::{proto, Counters};
use crate::store::{Flags, Group, Record, Store};
use std::borrow::Cow;

/// What every field of one row is read from, looked up once per row.
pub struct RowView<'s> {
    store: &'s Store,
    row: u32,
    flags: Flags,
    group: &'s Group,
    record: Option<&'s Record>,
    counters: Counters,
}

impl<'s> RowView<'s> {
    pub fn new(store: &'s Store, row: u32) -> RowView<'s> {
        let group = store.group_of(row);
        RowView {
            store,
            row,
            flags: store.flag(row),
            group,
            record: store.records().get(group.record as usize),
            counters: store.counters(row),
        }
    }

    /// The values of `fields`, in order.
    pub fn values(&self, fields: &[Field]) -> Vec<Value<'s>> {
        fields.iter().map(|&f| self.value(f)).collect()
    }

    pub fn value(&self, field: Field) -> Value<'s> {
        let (store, flags, c) = (self.store, self.flags, &self.counters);
        let r = self.row as usize;
        match field {
            Field::Time => Value::Time(store.time_ms(self.row)),
            Field::Src => Value::Text(Cow::Owned(store.src(self.row).to_string())),
            Field::Dst => Value::Text(Cow::Owned(store.dst(self.row).to_string())),
            Field::Sport => Value::Int(store.sports()[r] as u64),
            Field::Dport => Value::Int(store.dports()[r] as u64),
            Field::Proto => match proto::name(flags.proto()) {
                Some(name) => Value::Text(Cow::Borrowed(name)),
                None => Value::Int(flags.proto() as u64),
            },
            Field::Dir => Value::Text(Cow::Borrowed(flags.dir().name())),
            Field::Action => Value::Text(Cow::Borrowed(flags.decision().name())),
            Field::State => flags
                .state()
                .map_or(Value::Null, |s| Value::Text(Cow::Borrowed(s.name()))),
            Field::Encryption => flags
                .encryption()
                .map_or(Value::Null, |e| Value::Text(Cow::Borrowed(e.name()))),
            Field::Rule => self.text(self.group.rule),
            Field::Mac => self.text(self.group.mac),
            Field::Acl => self.text(self.group.acl),
            Field::Nsg => self.record_text(|r| r.nsg),
            Field::Flowlog => self.record_text(|r| r.flowlog),
            Field::Target => self.record_text(|r| r.target),
            Field::Version => self
                .record
                .map_or(Value::Null, |r| Value::Int(r.version as u64)),
            Field::File => self
                .record
                .and_then(|r| store.files().get(r.file as usize))
                .map_or(Value::Null, |f| Value::Text(Cow::Borrowed(f.path.as_str()))),
            Field::Bytes => Value::Count(c.bytes()),
            Field::Packets => Value::Count(c.packets()),
            Field::BytesOut => Value::Count(c.bytes_out),
            Field::BytesIn => Value::Count(c.bytes_in),
            Field::PacketsOut => Value::Count(c.packets_out),
            Field::PacketsIn => Value::Count(c.packets_in),
            // Either-side fields have no single value.
            Field::Ip | Field::Port => Value::Null,
        }
    }

    fn text(&self, id: u32) -> Value<'s> {
        match self.store.text(id) {
            Some(s) => Value::Text(Cow::Borrowed(s)),
            None => Value::Null,
        }
    }

    fn record_text(&self, pick: fn(&Record) -> u32) -> Value<'s> {
        self.record.map_or(Value::Null, |r| self.text(pick(r)))
    }
}

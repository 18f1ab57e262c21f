//! One tuple's fields as output values (the names of `Field::tuple_fields()`).

use super::output::Value;
use crate::field::Field;
use crate::model::{proto, Counters};
use crate::store::Store;
use std::borrow::Cow;

/// The value of `field` for `row`; `counters` are the row's (decoded once by the caller).
pub fn value<'s>(store: &'s Store, row: u32, field: Field, counters: &Counters) -> Value<'s> {
    let flags = store.flag(row);
    let group = store.group_of(row);
    let record = store.records().get(group.record as usize);
    let text = |id: u32| match store.text(id) {
        Some(s) => Value::Text(Cow::Borrowed(s)),
        None => Value::Null,
    };
    let record_text =
        |pick: fn(&crate::store::Record) -> u32| record.map_or(Value::Null, |r| text(pick(r)));
    match field {
        Field::Time => Value::Time(store.time_ms(row)),
        Field::Src => Value::Text(Cow::Owned(store.src(row).to_string())),
        Field::Dst => Value::Text(Cow::Owned(store.dst(row).to_string())),
        Field::Sport => Value::Int(store.sports()[row as usize] as u64),
        Field::Dport => Value::Int(store.dports()[row as usize] as u64),
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
        Field::Rule => text(group.rule),
        Field::Mac => text(group.mac),
        Field::Acl => text(group.acl),
        Field::Nsg => record_text(|r| r.nsg),
        Field::Flowlog => record_text(|r| r.flowlog),
        Field::Target => record_text(|r| r.target),
        Field::Version => record.map_or(Value::Null, |r| Value::Int(r.version as u64)),
        Field::File => record
            .and_then(|r| store.files().get(r.file as usize))
            .map_or(Value::Null, |f| Value::Text(Cow::Borrowed(f.path.as_str()))),
        Field::Bytes => Value::Count(counters.bytes()),
        Field::Packets => Value::Count(counters.packets()),
        Field::BytesOut => Value::Count(counters.bytes_out),
        Field::BytesIn => Value::Count(counters.bytes_in),
        Field::PacketsOut => Value::Count(counters.packets_out),
        Field::PacketsIn => Value::Count(counters.packets_in),
        // Either-side fields have no single value.
        Field::Ip | Field::Port => Value::Null,
    }
}

//! `flowscope stats`: top values of a field, or top conversations, biggest first.

use super::args::{StatsArgs, StatsBy, StatsFormat};
use super::input::{accept, load_columns};
use super::output::{write_csv, write_table, JsonObject, Value};
use super::{bad_filter, select};
use crate::model::proto;
use crate::store::{Columns, Store};
use crate::views::{self, Tally};
use std::borrow::Cow;
use std::io::Write;

const TALLY_COLUMNS: [&str; 7] = [
    "tuples", "bytes", "packets", "allowed", "denied", "first", "last",
];
const CONVERSATION_COLUMNS: [&str; 5] = ["src", "sport", "dst", "dport", "proto"];

pub fn run(args: &StatsArgs, strict: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    // The filter is checked here, before anything is read.
    let (store, report) = load_columns(&args.paths, columns(args)?)?;
    accept(&report, strict)?;
    let sel = select(&store, args.filter.as_deref())?;
    let sort = args.sort.into();
    let (header, rows): (Vec<&str>, Vec<Vec<Value>>) = match args.by {
        StatsBy::Field(field) => {
            let entries = views::top(&store, &sel, field, sort, args.top);
            let rows = entries
                .into_iter()
                .map(|e| with_tally(vec![Value::Text(Cow::Owned(e.key))], &e.tally))
                .collect();
            (with_tally_columns(&["key"]), rows)
        }
        StatsBy::Conversation => {
            // The interface (MAC) tells apart one five-tuple logged by two interfaces (an
            // NSG log and a VNet log of the same flow): without it they are two equal
            // rows. A table shows it beside the key; JSON and CSV add it last, after the
            // contract's columns, so that readers by position are not thrown.
            let mac_at = match args.format {
                StatsFormat::Table => CONVERSATION_COLUMNS.len(),
                StatsFormat::Csv | StatsFormat::Json => {
                    CONVERSATION_COLUMNS.len() + TALLY_COLUMNS.len()
                }
            };
            let convs = views::conversations(&store, &sel, sort, args.top);
            let rows = convs
                .iter()
                .map(|c| {
                    let mut row = with_tally(conversation_key(&store, &c.key), &c.tally);
                    let mac = store
                        .text(c.key.mac)
                        .map(|m| Value::Text(m.to_string().into()));
                    row.insert(mac_at, mac.unwrap_or(Value::Null));
                    row
                })
                .collect();
            let mut header = with_tally_columns(&CONVERSATION_COLUMNS);
            header.insert(mac_at, "mac");
            (header, rows)
        }
    };
    match args.format {
        StatsFormat::Table => write_table(out, &header, rows.len(), |i| rows[i].clone())?,
        StatsFormat::Csv => write_csv(out, &header, rows.into_iter())?,
        StatsFormat::Json => {
            let array: Vec<JsonObject> = rows
                .iter()
                .map(|row| {
                    JsonObject(
                        header
                            .iter()
                            .zip(row)
                            .map(|(k, v)| (*k, v.json()))
                            .collect(),
                    )
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &array)?;
            writeln!(out)?;
        }
    }
    Ok(out.flush()?)
}

/// The optional columns the answer reads: counters for every tally, the key's columns,
/// and the filter's; checking the filter on the way (a typo is reported at once, not
/// after the load).
fn columns(args: &StatsArgs) -> anyhow::Result<Columns> {
    let key = match args.by {
        StatsBy::Field(field) => field.columns(),
        StatsBy::Conversation => Columns::ALL,
    };
    let filter = match args.filter.as_deref() {
        Some(text) => crate::filter::columns(text).map_err(|e| bad_filter(text, e))?,
        None => Columns::NONE,
    };
    Ok(Columns::COUNTERS.union(key).union(filter))
}

fn with_tally_columns<'a>(key: &[&'a str]) -> Vec<&'a str> {
    key.iter().chain(TALLY_COLUMNS.iter()).copied().collect()
}

fn with_tally<'a>(mut cells: Vec<Value<'a>>, t: &Tally) -> Vec<Value<'a>> {
    cells.extend([
        Value::Count(t.tuples),
        Value::Count(t.bytes),
        Value::Count(t.packets),
        Value::Count(t.allowed),
        Value::Count(t.denied),
        Value::Time(t.first_ms),
        Value::Time(t.last_ms),
    ]);
    cells
}

/// src, sport, dst, dport, proto (`tcp`/`udp` or the number).
fn conversation_key<'a>(store: &Store, key: &crate::model::ConversationKey) -> Vec<Value<'a>> {
    let addr = |id: u32| Value::Text(Cow::Owned(store.addrs().get(id).to_string()));
    let protocol = match proto::name(key.proto) {
        Some(name) => Value::Text(Cow::Borrowed(name)),
        None => Value::Int(key.proto as u64),
    };
    vec![
        addr(key.src),
        Value::Int(key.sport as u64),
        addr(key.dst),
        Value::Int(key.dport as u64),
        protocol,
    ]
}

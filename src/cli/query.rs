//! `flowscope query`: the selected tuples in time order, as a table, CSV or NDJSON.

use super::args::{QueryArgs, QueryFormat};
use super::input::{enforce_strict, ensure_readable, load_paths, warn_rejections};
use super::output::{write_csv, write_table, JsonObject, Value};
use super::row::RowView;
use super::select;
use crate::field::Field;
use crate::store::Store;
use std::io::Write;

/// Columns of the table format (CSV and NDJSON carry every tuple field).
const TABLE_FIELDS: [Field; 12] = [
    Field::Time,
    Field::Src,
    Field::Sport,
    Field::Dst,
    Field::Dport,
    Field::Proto,
    Field::Dir,
    Field::Action,
    Field::State,
    Field::Packets,
    Field::Bytes,
    Field::Rule,
];

pub fn run(args: &QueryArgs, strict: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let (store, report) = load_paths(&args.paths)?;
    enforce_strict(&report, strict)?;
    ensure_readable(&report)?;
    let sel = select(&store, args.filter.as_deref())?;
    warn_rejections(&report);
    if args.count {
        writeln!(out, "{}", sel.len())?;
        return Ok(out.flush()?);
    }
    let rows = time_ordered(&store, sel.iter(), args.limit.unwrap_or(usize::MAX));
    match args.format {
        QueryFormat::Table => {
            let header: Vec<&str> = TABLE_FIELDS.iter().map(|f| f.name()).collect();
            write_table(out, &header, rows.len(), |i| {
                row_values(&store, rows[i], &TABLE_FIELDS)
            })?
        }
        QueryFormat::Csv => {
            let fields: Vec<Field> = Field::tuple_fields().collect();
            let header: Vec<&str> = fields.iter().map(|f| f.name()).collect();
            let values = rows.iter().map(|&r| row_values(&store, r, &fields));
            write_csv(out, &header, values)?
        }
        QueryFormat::Ndjson => write_ndjson(out, &store, &rows)?,
    }
    Ok(out.flush()?)
}

/// The first `limit` rows by (time, row id).
fn time_ordered(store: &Store, rows: impl Iterator<Item = u32>, limit: usize) -> Vec<u32> {
    let mut keyed: Vec<(i64, u32)> = rows.map(|r| (store.time_ms(r), r)).collect();
    if limit < keyed.len() {
        if limit == 0 {
            return Vec::new();
        }
        keyed.select_nth_unstable(limit - 1);
        keyed.truncate(limit);
    }
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, r)| r).collect()
}

fn row_values<'s>(store: &'s Store, row: u32, fields: &[Field]) -> Vec<Value<'s>> {
    RowView::new(store, row).values(fields)
}

/// One JSON object per tuple, keys in field order.
fn write_ndjson(out: &mut dyn Write, store: &Store, rows: &[u32]) -> anyhow::Result<()> {
    let fields: Vec<Field> = Field::tuple_fields().collect();
    for &row in rows {
        let view = RowView::new(store, row);
        let object = JsonObject(
            fields
                .iter()
                .map(|&f| (f.name(), view.value(f).json()))
                .collect(),
        );
        serde_json::to_writer(&mut *out, &object)?;
        writeln!(out)?;
    }
    Ok(())
}

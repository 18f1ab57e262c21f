//! `flowscope query`: the selected tuples in time order, as a table, CSV or NDJSON.

use super::args::{QueryArgs, QueryFormat};
use super::input::{accept, load_columns, read_paths};
use super::output::{write_csv, write_table, JsonObject, Value};
use super::row::RowView;
use super::{bad_filter, select};
use crate::field::Field;
use crate::filter;
use crate::load::LoadReport;
use crate::selection::Selection;
use crate::store::{Columns, Store, StoreBuilder};
use crate::views::Chronology;
use std::io::Write;
use std::sync::Arc;

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
    if args.count {
        let (count, report) = count(args)?;
        accept(&report, strict)?;
        writeln!(out, "{count}")?;
        return Ok(out.flush()?);
    }
    let limit = args.limit.unwrap_or(usize::MAX);
    let (store, sel, report) = selected(args, limit)?;
    accept(&report, strict)?;
    let rows = time_ordered(&store, sel, limit);
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

/// How the files are read: file by file with the filter compiled for each (checked
/// before anything is read), or loaded whole first, selected, when the filter has `last`
/// (it counts back from the newest tuple of the whole load).
enum Reading {
    ByFile(filter::Compiled),
    Loaded(Box<(Store, Selection, LoadReport)>),
}

/// `answer`: the optional columns the answer reads besides the filter's, which a whole
/// load keeps (the file-by-file reading picks its own).
fn reading(args: &QueryArgs, answer: Columns) -> anyhow::Result<Reading> {
    let text = args.filter.as_deref().unwrap_or("");
    let bad = |e| bad_filter(text, e);
    Ok(match filter::compile_unanchored(text).map_err(bad)? {
        Some(filter) => Reading::ByFile(filter),
        None => {
            let columns = answer.union(filter::columns(text).map_err(bad)?);
            let (store, report) = load_columns(&args.paths, columns)?;
            let sel = select(&store, Some(text))?;
            Reading::Loaded(Box::new((store, sel, report)))
        }
    })
}

/// A store holding the rows the query may print, and those rows. File by file, each
/// file's selected rows, or its first `limit` in time order, are copied into a store of
/// their own: what is kept grows with the answer, not with the data (`dport == 3389 and
/// deny --limit 20` over 100M tuples keeps 20 rows a file, not a 3 GB store).
fn selected(args: &QueryArgs, limit: usize) -> anyhow::Result<(Store, Selection, LoadReport)> {
    let filter = match reading(args, Columns::ALL)? {
        Reading::ByFile(filter) => filter,
        Reading::Loaded(loaded) => return Ok(*loaded),
    };
    let mut kept = StoreBuilder::new();
    let report = read_paths(&args.paths, Columns::ALL, &mut |file| {
        // Kept in row order, as the whole load holds them: the time order across files
        // then breaks ties as it does there. Only a limit below the file's selection
        // needs its time order first, to know which rows come first.
        let sel = filter.select(file);
        let rows = if limit < sel.len() {
            let mut first = time_ordered(file, sel, limit);
            first.sort_unstable();
            first
        } else {
            sel.to_vec()
        };
        kept.append_rows(file, &rows);
    })?;
    let store = kept.finish();
    let sel = Selection::all(store.len());
    Ok((store, sel, report))
}

/// `--count`: added up file by file as the files are read, each file's store with only
/// the columns the filter reads and dropped after it (memory does not grow with the
/// data, and no time goes into merging files).
fn count(args: &QueryArgs) -> anyhow::Result<(u64, LoadReport)> {
    Ok(match reading(args, Columns::NONE)? {
        Reading::ByFile(filter) => {
            let mut count = 0;
            let report = read_paths(&args.paths, filter.columns(), &mut |file| {
                count += filter.count(file) as u64;
            })?;
            (count, report)
        }
        Reading::Loaded(loaded) => {
            let (_, sel, report) = *loaded;
            (sel.len() as u64, report)
        }
    })
}

/// Selections from this many rows are read in time order through the store's time
/// index rather than sorted: no 16 bytes a row of sort keys, and a `--limit` reads only
/// the first stretch of time.
const LONG: usize = 1 << 20;
/// Rows read from the time index at a time.
const WINDOW: usize = 1 << 16;

/// The first `limit` rows by (time, state, row id): `Store::time_order`.
fn time_ordered(store: &Store, sel: Selection, limit: usize) -> Vec<u32> {
    time_ordered_from(store, sel, limit, LONG)
}

/// `time_ordered`, read through the time index from `long` rows up.
fn time_ordered_from(store: &Store, sel: Selection, limit: usize, long: usize) -> Vec<u32> {
    let wanted = limit.min(sel.len());
    let sel = Arc::new(sel);
    if sel.len() >= long && Chronology::suits(store) {
        if let Some(order) = Chronology::new(store, Arc::clone(&sel), &|| false) {
            let mut rows = Vec::with_capacity(wanted);
            for start in (0..wanted).step_by(WINDOW) {
                rows.extend(order.read(store, start..(start + WINDOW).min(wanted)));
            }
            return rows;
        }
    }
    let mut keyed: Vec<(i64, u32)> = sel.iter().map(|r| (store.time_order(r), r)).collect();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::testing::streams;

    #[test]
    fn both_ways_give_the_stable_time_order() {
        let store = streams(200);
        // Else `long = 0` would sort too, and compare the sort with itself.
        assert!(Chronology::suits(&store));
        let n = store.len() as u32;
        for rows in [
            (0..n).collect::<Vec<u32>>(),
            (0..n).filter(|r| r % 3 == 1).collect(),
        ] {
            let mut want = rows.clone();
            want.sort_by_key(|&r| store.time_order(r));
            for limit in [0, 1, 77, want.len(), usize::MAX] {
                let first = &want[..limit.min(want.len())];
                for long in [0, usize::MAX] {
                    let sel = Selection::from_sorted(rows.clone());
                    let got = time_ordered_from(&store, sel, limit, long);
                    assert_eq!(got, first, "limit {limit}, from {long} rows");
                }
            }
        }
    }
}

//! `flowscope check`: what loaded, what was rejected or skipped, and why.

use super::args::{CheckArgs, CheckFormat};
use super::input::{enforce_strict, ensure_readable, read_paths};
use crate::load::LoadReport;
use crate::model::{format_time_ms, human_bytes, plural, Thousands};
use crate::store::Columns;
use crate::text::sanitize;
use std::io::Write;

pub fn run(args: &CheckArgs, strict: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    // Only the report and the time span are shown: no store is kept.
    let mut span: Option<(i64, i64)> = None;
    let report = read_paths(&args.paths, Columns::NONE, &mut |file| {
        if let Some((first, last)) = file.time_range() {
            span = Some(span.map_or((first, last), |(a, b)| (a.min(first), b.max(last))));
        }
    })?;
    match args.format {
        CheckFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)?;
        }
        CheckFormat::Text => write_text(out, &report, span)?,
    }
    out.flush()?;
    ensure_readable(&report)?;
    enforce_strict(&report, strict)
}

/// A readable summary: totals, the time span, then problems grouped by file.
fn write_text(
    out: &mut dyn Write,
    r: &LoadReport,
    span: Option<(i64, i64)>,
) -> std::io::Result<()> {
    writeln!(out, "files          {}", Thousands(r.files))?;
    writeln!(out, "records        {}", Thousands(r.records))?;
    writeln!(out, "tuples loaded  {}", Thousands(r.tuples))?;
    writeln!(out, "rejected       {}", Thousands(r.rejected))?;
    writeln!(out, "skipped files  {}", Thousands(r.skipped_files))?;
    writeln!(out, "bytes read     {}", human_bytes(r.bytes))?;
    if let Some((first, last)) = span {
        let (first, last) = (format_time_ms(first), format_time_ms(last));
        writeln!(out, "time span      {first} to {last}")?;
    }
    if r.problems.is_empty() {
        return writeln!(out, "no problems");
    }
    writeln!(
        out,
        "\nproblems ({}):",
        plural(r.problems.len() as u64, "reason")
    )?;
    let kind_width = r
        .problems
        .iter()
        .map(|p| p.kind.name().len())
        .max()
        .unwrap_or(0);
    // Grouped by file, in the order files first appear.
    let mut order: Vec<&str> = Vec::new();
    for p in &r.problems {
        if !order.contains(&p.file.as_str()) {
            order.push(&p.file);
        }
    }
    let mut problems: Vec<_> = r.problems.iter().collect();
    problems.sort_by_key(|p| order.iter().position(|f| *f == p.file));
    let mut current: Option<&str> = None;
    for p in problems {
        if current != Some(p.file.as_str()) {
            writeln!(out, "  {}", sanitize(&p.file))?;
            current = Some(p.file.as_str());
        }
        writeln!(
            out,
            "    {:<kind_width$}  {:>8}  {}",
            p.kind.name(),
            Thousands(p.count).to_string(),
            sanitize(&p.detail)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Problem, ProblemKind};

    #[test]
    fn text_groups_problems_by_file_and_sanitizes() {
        let problem = |file: &str, kind, count| Problem {
            file: file.into(),
            kind,
            detail: "tuple 3: bad port \x1b[31m".into(),
            count,
        };
        let report = LoadReport {
            files: 2,
            records: 3,
            tuples: 1500,
            rejected: 4,
            problems: vec![
                problem("a.json", ProblemKind::BadTuple, 3),
                problem("b.json", ProblemKind::BadTuple, 1),
                problem("a.json", ProblemKind::Truncated, 1),
            ],
            ..LoadReport::default()
        };
        let mut out = Vec::new();
        write_text(&mut out, &report, Some((1_000, 61_000))).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.contains("tuples loaded  1,500"));
        // Three reasons of two kinds: the heading counts what it lists.
        assert!(s.contains("problems (3 reasons):"), "{s}");
        assert!(s.contains("time span      1970-01-01T00:00:01Z to 1970-01-01T00:01:01Z"));
        assert_eq!(s.matches("  a.json\n").count(), 1);
        assert!(s.find("truncated").unwrap() < s.find("b.json").unwrap());
        assert!(s.contains("    truncated         1  tuple 3"));
        assert!(!s.contains('\x1b'));
    }
}

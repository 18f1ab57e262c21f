//! `flowscope generate`: writes a synthetic flow log tree (or the demo scenario) to a folder.

use crate::gen::{self, GenKind, GenSpec};
use crate::model::{human_bytes, Thousands};
use anyhow::Context;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `flowscope generate`.
#[derive(Debug, Clone, clap::Args)]
pub struct GenerateArgs {
    /// Folder to write the blob tree into: new or empty (created if missing).
    #[arg(value_name = "OUT")]
    pub out: PathBuf,
    /// Number of tuples, exactly (accepts 2M, 100k, 1_000).
    #[arg(long, default_value = "100k", value_parser = parse_count)]
    pub tuples: u64,
    /// Log family.
    #[arg(long, value_enum, default_value_t = GenKind::NsgV2)]
    pub kind: GenKind,
    /// Network interfaces (MACs) to spread the tuples over.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub macs: u64,
    /// Seed: the same seed writes the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Start of the first minute (RFC 3339, `YYYY-MM-DD HH:MM` or `YYYY-MM-DD`, UTC).
    #[arg(long, default_value = "2024-11-18T08:00:00Z", value_parser = parse_start)]
    pub start: DateTime<Utc>,
    /// Tuples per record (one record per minute per MAC).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub per_record: u32,
    /// Write the built-in demo scenario instead (the other options are ignored).
    #[arg(long)]
    pub demo: bool,
}

impl Default for GenerateArgs {
    /// The same defaults as the command line.
    fn default() -> Self {
        let spec = GenSpec::default();
        GenerateArgs {
            out: PathBuf::from("flowlogs"),
            tuples: spec.tuples,
            kind: spec.kind,
            macs: spec.macs as u64,
            seed: spec.seed,
            start: spec.start,
            per_record: spec.tuples_per_record,
            demo: false,
        }
    }
}

/// Generates the tree and prints what was written to stderr.
pub fn run(args: &GenerateArgs) -> anyhow::Result<()> {
    ensure_empty(&args.out)?;
    let started = Instant::now();
    let summary = if args.demo {
        gen::scenario::write_demo(&args.out)
    } else {
        let spec = GenSpec {
            kind: args.kind,
            tuples: args.tuples,
            macs: args.macs as usize,
            start: args.start,
            seed: args.seed,
            tuples_per_record: args.per_record,
        };
        gen::generate(&spec, &args.out)
    }
    .with_context(|| format!("cannot write the flow logs under {}", args.out.display()))?;
    eprintln!(
        "flowscope: wrote {} tuples in {} records, {} files, {} under {} in {:.1} s",
        Thousands(summary.tuples),
        Thousands(summary.records),
        Thousands(summary.files),
        human_bytes(summary.bytes),
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Refuses a folder that holds anything: a new tree written over an older one (or beside
/// other files) would be read together with it, and nothing is deleted to make room.
fn ensure_empty(out: &Path) -> anyhow::Result<()> {
    // A path that cannot be listed (missing, or a file) is left to the writing to report.
    let held = std::fs::read_dir(out).is_ok_and(|mut entries| entries.next().is_some());
    if held {
        anyhow::bail!(
            "{} already holds files: generate writes only into an empty or new folder; \
             choose one (nothing was written)",
            out.display()
        );
    }
    Ok(())
}

/// `2M`, `100k`, `2.5M`, `1_000`, `1500` → a count.
pub fn parse_count(text: &str) -> Result<u64, String> {
    let t = text.trim().replace('_', "");
    let (number, scale) = match t.chars().last().map(|c| c.to_ascii_lowercase()) {
        Some('k') => (&t[..t.len() - 1], 1_000.0),
        Some('m') => (&t[..t.len() - 1], 1_000_000.0),
        Some('g') => (&t[..t.len() - 1], 1_000_000_000.0),
        _ => (t.as_str(), 1.0),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a count (try 2M, 100k or 5000)"))?;
    let n = value * scale;
    if !(0.0..=1e12).contains(&n) || n.fract() != 0.0 {
        return Err(format!("`{text}` is not a whole count between 0 and 10^12"));
    }
    Ok(n as u64)
}

/// RFC 3339, `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DD`, read as UTC.
pub fn parse_start(text: &str) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
            return Ok(d.and_utc());
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .ok_or_else(|| format!("`{text}` is not a time (try 2024-11-18T08:00:00Z)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: GenerateArgs,
    }

    #[test]
    fn counts_take_suffixes() {
        assert_eq!(parse_count("2M"), Ok(2_000_000));
        assert_eq!(parse_count("100k"), Ok(100_000));
        assert_eq!(parse_count("2.5m"), Ok(2_500_000));
        assert_eq!(parse_count("1_000"), Ok(1_000));
        assert!(parse_count("lots").is_err());
        assert!(parse_count("1.5").is_err());
        assert!(parse_count("-3").is_err());
    }

    #[test]
    fn start_times_in_common_shapes() {
        let want = parse_start("2024-11-18T08:30:00Z").expect("rfc3339");
        assert_eq!(want.timestamp(), 1_731_918_600);
        assert_eq!(parse_start("2024-11-18 08:30"), Ok(want));
        assert_eq!(parse_start("2024-11-18T09:30:00+01:00"), Ok(want));
        assert_eq!(
            parse_start("2024-11-18").map(|d| d.timestamp()),
            Ok(1_731_888_000)
        );
        assert!(parse_start("yesterday").is_err());
    }

    #[test]
    fn run_writes_the_requested_tree() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("logs");
        let cli = Cli::try_parse_from([
            "generate",
            out.to_str().expect("utf-8"),
            "--tuples",
            "1k",
            "--kind",
            "vnet",
            "--macs",
            "2",
        ])
        .expect("arguments parse");
        assert_eq!(cli.args.tuples, 1_000);
        let defaults = Cli::try_parse_from(["generate", "out"])
            .expect("arguments parse")
            .args;
        let built = GenerateArgs {
            out: "out".into(),
            ..GenerateArgs::default()
        };
        assert_eq!(format!("{defaults:?}"), format!("{built:?}"));
        run(&cli.args).expect("generated");
        let files = crate::gen::tests::read_tree(&out);
        assert!(!files.is_empty());
        assert!(files
            .keys()
            .all(|p| p.starts_with("insights-logs-flowlogflowevent")));
    }

    #[test]
    fn a_folder_that_holds_files_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().expect("temp dir");
        let args = |out: &Path, tuples| GenerateArgs {
            out: out.to_path_buf(),
            tuples,
            ..GenerateArgs::default()
        };
        let out = dir.path().join("logs");
        run(&args(&out, 20_000)).expect("generated");
        let first = crate::gen::tests::read_tree(&out);
        // Written over, what is left of the older tree would be read with the new one.
        let err = run(&args(&out, 10)).expect_err("a generated tree is refused");
        assert!(err.to_string().contains("empty or new folder"), "{err}");
        assert_eq!(crate::gen::tests::read_tree(&out), first, "left as it was");
        let mine = dir.path().join("mine");
        std::fs::create_dir(&mine).expect("folder");
        std::fs::write(mine.join("notes.txt"), "mine").expect("written");
        assert!(
            run(&args(&mine, 10)).is_err(),
            "other files are refused too"
        );
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).expect("folder");
        run(&args(&empty, 10)).expect("an empty folder is written into");
    }
}

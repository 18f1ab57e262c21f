//! Generated flow logs: realistic NSG v1/v2 and VNet trees in the blob folder layout, for
//! tests, benchmarks and the demo scenario. Deterministic from a seed.
//!
//! ```text
//! GenSpec ─> interfaces (layout) ─> Traffic (per minute) ─> records ─> PT1H.json per hour per MAC
//! ```

pub mod demo;
pub mod layout;
pub mod record;
pub mod rng;
pub mod scenario;
pub mod traffic;
pub mod tuple;

use chrono::{DateTime, Utc};
use layout::{bulk_interface, guid, Interface, LogFormat};
use record::BlobWriter;
use rng::Rng;
use std::io;
use std::path::Path;
use traffic::{Traffic, World};
use tuple::FlowTuple;

/// Which log family to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum GenKind {
    /// NSG flow logs, version 1 (no state, no counters).
    #[value(name = "nsg-v1")]
    NsgV1,
    /// NSG flow logs, version 2.
    #[default]
    #[value(name = "nsg-v2")]
    NsgV2,
    /// VNet flow logs, version 4.
    Vnet,
    /// Interfaces take turns: NSG v2, VNet, NSG v1.
    Mixed,
}

impl GenKind {
    fn format_of(self, interface: usize) -> LogFormat {
        match self {
            GenKind::NsgV1 => LogFormat::NsgV1,
            GenKind::NsgV2 => LogFormat::NsgV2,
            GenKind::Vnet => LogFormat::Vnet,
            GenKind::Mixed => [LogFormat::NsgV2, LogFormat::Vnet, LogFormat::NsgV1][interface % 3],
        }
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenSpec {
    pub kind: GenKind,
    /// Total tuples, exactly.
    pub tuples: u64,
    /// Interfaces (MACs) the tuples are spread over.
    pub macs: usize,
    /// Start of the first minute (rounded down to the minute).
    pub start: DateTime<Utc>,
    pub seed: u64,
    /// Tuples in one record (one record per minute per MAC, as Azure writes them).
    pub tuples_per_record: u32,
}

impl Default for GenSpec {
    fn default() -> Self {
        GenSpec {
            kind: GenKind::NsgV2,
            tuples: 100_000,
            macs: 4,
            start: DateTime::from_timestamp(1_731_916_800, 0).unwrap_or_default(), // 2024-11-18T08:00Z
            seed: 1,
            tuples_per_record: 100,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenSummary {
    pub files: u64,
    pub records: u64,
    pub tuples: u64,
    pub bytes: u64,
}

/// Writes the tree described by `spec` under `out_dir` (created if missing).
pub fn generate(spec: &GenSpec, out_dir: &Path) -> io::Result<GenSummary> {
    if spec.macs == 0 || spec.tuples_per_record == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "macs and tuples per record must be at least 1",
        ));
    }
    std::fs::create_dir_all(out_dir)?;
    let mut rng = Rng::new(spec.seed);
    let subscription = guid(&mut rng);
    let world = World::new(&mut rng);
    let start_ms = spec.start.timestamp_millis().div_euclid(60_000) * 60_000;
    let mut summary = GenSummary::default();
    let macs = spec.macs as u64;
    for i in 0..spec.macs {
        let iface = bulk_interface(spec.kind.format_of(i), i, &subscription, &mut rng);
        // Spread the remainder over the first interfaces so the total is exact.
        let share = spec.tuples / macs + u64::from((i as u64) < spec.tuples % macs);
        let traffic = Traffic::new(&iface, &world, rng.fork(i as u64 + 1));
        write_interface(
            &iface,
            traffic,
            share,
            spec,
            start_ms,
            out_dir,
            &mut summary,
        )?;
    }
    Ok(summary)
}

fn write_interface(
    iface: &Interface,
    mut traffic: Traffic,
    mut remaining: u64,
    spec: &GenSpec,
    start_ms: i64,
    out_dir: &Path,
    summary: &mut GenSummary,
) -> io::Result<()> {
    let mut writer = BlobWriter::new(out_dir, summary);
    let mut jitter = Rng::new(spec.seed ^ iface.ipv4.to_bits() as u64);
    let mut tuples: Vec<FlowTuple> = Vec::with_capacity(spec.tuples_per_record as usize);
    let mut minute_ms = start_ms;
    while remaining > 0 {
        let budget = remaining.min(spec.tuples_per_record as u64) as usize;
        tuples.clear();
        traffic.minute(minute_ms, budget, &mut tuples);
        tuples.sort_by_key(FlowTuple::record_order);
        // Azure stamps a record a few seconds into its minute, to the 100 ns.
        let ticks = minute_ms * 10_000 + jitter.range(5_000_000, 99_999_999) as i64;
        writer.record(iface, ticks, &tuples)?;
        remaining -= budget as u64;
        minute_ms += 60_000;
    }
    writer.close()
}

#[cfg(test)]
pub(crate) mod tests;

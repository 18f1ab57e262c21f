//! Records and blobs: turns one minute of tuples into an Azure record and appends records
//! to `PT1H.json` blobs the way Azure does (`{"records":[` … `,` … `]}`, minified).

use super::layout::{Interface, LogFormat};
use super::tuple::{FlowTuple, Rule, PLATFORM_ACL};
use super::GenSummary;
use chrono::DateTime;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

const HOUR_MS: i64 = 3_600_000;

/// Writes the blobs of one interface, hour after hour, and counts what it wrote.
pub struct BlobWriter<'a> {
    root: &'a Path,
    summary: &'a mut GenSummary,
    open: Option<OpenBlob>,
    buf: Vec<u8>,
}

struct OpenBlob {
    hour_ms: i64,
    out: BufWriter<File>,
}

impl<'a> BlobWriter<'a> {
    pub fn new(root: &'a Path, summary: &'a mut GenSummary) -> BlobWriter<'a> {
        BlobWriter {
            root,
            summary,
            open: None,
            buf: Vec::with_capacity(1 << 16),
        }
    }

    /// Appends one record; `tuples` must be in record order (see `FlowTuple::record_order`).
    /// `ticks` is the record's own time in 100 ns units since the epoch.
    pub fn record(
        &mut self,
        iface: &Interface,
        ticks: i64,
        tuples: &[FlowTuple],
    ) -> io::Result<()> {
        let hour_ms = (ticks / 10_000).div_euclid(HOUR_MS) * HOUR_MS;
        self.buf.clear();
        match &self.open {
            Some(blob) if blob.hour_ms == hour_ms => self.buf.push(b','),
            _ => {
                self.close()?;
                let path = self.root.join(iface.blob_path(hour_ms));
                self.open = Some(OpenBlob {
                    hour_ms,
                    out: create(&path)?,
                });
                self.summary.files += 1;
                self.buf.extend_from_slice(b"{\"records\":[");
            }
        }
        match iface.format {
            LogFormat::NsgV1 => write_nsg_record(&mut self.buf, iface, 1, ticks, tuples),
            LogFormat::NsgV2 => write_nsg_record(&mut self.buf, iface, 2, ticks, tuples),
            LogFormat::Vnet => write_vnet_record(&mut self.buf, iface, ticks, tuples),
        }
        self.summary.records += 1;
        self.summary.tuples += tuples.len() as u64;
        self.emit()
    }

    /// Ends the open blob, if any.
    pub fn close(&mut self) -> io::Result<()> {
        if let Some(mut blob) = self.open.take() {
            blob.out.write_all(b"]}")?;
            blob.out.flush()?;
            self.summary.bytes += 2;
        }
        Ok(())
    }

    fn emit(&mut self) -> io::Result<()> {
        if let Some(blob) = &mut self.open {
            blob.out.write_all(&self.buf)?;
            self.summary.bytes += self.buf.len() as u64;
        }
        Ok(())
    }
}

fn create(path: &PathBuf) -> io::Result<BufWriter<File>> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    Ok(BufWriter::with_capacity(1 << 18, File::create(path)?))
}

/// `2024-11-18T08:01:03.1234567Z`: Azure's seven fractional digits.
fn write_time(out: &mut Vec<u8>, ticks: i64) {
    let secs = ticks.div_euclid(10_000_000);
    let frac = ticks.rem_euclid(10_000_000);
    let t = DateTime::from_timestamp(secs, 0).unwrap_or_default();
    let _ = write!(out, "{}.{frac:07}Z", t.format("%Y-%m-%dT%H:%M:%S"));
}

fn write_nsg_record(
    out: &mut Vec<u8>,
    iface: &Interface,
    version: u8,
    ticks: i64,
    tuples: &[FlowTuple],
) {
    out.extend_from_slice(b"{\"time\":\"");
    write_time(out, ticks);
    let _ = write!(
        out,
        "\",\"systemId\":\"{}\",\"macAddress\":\"{}\",\"category\":\"NetworkSecurityGroupFlowEvent\",\
         \"resourceId\":\"{}\",\"operationName\":\"NetworkSecurityGroupFlowEvents\",\
         \"properties\":{{\"Version\":{version},\"flows\":[",
        iface.system_id,
        iface.mac,
        iface.nsg_resource_id()
    );
    let format = if version == 1 {
        LogFormat::NsgV1
    } else {
        LogFormat::NsgV2
    };
    for (i, group) in tuples.chunk_by(|a, b| a.rule == b.rule).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let _ = write!(
            out,
            "{{\"rule\":\"{}\",\"flows\":[{{\"mac\":\"{}\",\"flowTuples\":[",
            group[0].rule.name(),
            iface.mac
        );
        write_tuples(out, format, group);
        out.extend_from_slice(b"]}]}");
    }
    out.extend_from_slice(b"]}}");
}

fn write_vnet_record(out: &mut Vec<u8>, iface: &Interface, ticks: i64, tuples: &[FlowTuple]) {
    out.extend_from_slice(b"{\"time\":\"");
    write_time(out, ticks);
    let _ = write!(
        out,
        "\",\"flowLogVersion\":4,\"flowLogGUID\":\"{}\",\"macAddress\":\"{}\",\"category\":\"FlowLogFlowEvent\",\
         \"flowLogResourceID\":\"{}\",\"targetResourceID\":\"{}\",\"operationName\":\"FlowLogFlowEvent\",\
         \"flowRecords\":{{\"flows\":[",
        iface.flowlog_guid,
        iface.mac,
        iface.flowlog_resource_id(),
        iface.target_resource_id()
    );
    let nsg_acl = iface.nsg_acl_id();
    let is_platform = |t: &FlowTuple| t.rule == Rule::Platform;
    for (i, acl_group) in tuples
        .chunk_by(|a, b| is_platform(a) == is_platform(b))
        .enumerate()
    {
        if i > 0 {
            out.push(b',');
        }
        let acl = if is_platform(&acl_group[0]) {
            PLATFORM_ACL
        } else {
            nsg_acl.as_str()
        };
        let _ = write!(out, "{{\"aclID\":\"{acl}\",\"flowGroups\":[");
        for (j, group) in acl_group.chunk_by(|a, b| a.rule == b.rule).enumerate() {
            if j > 0 {
                out.push(b',');
            }
            let _ = write!(
                out,
                "{{\"rule\":\"{}\",\"flowTuples\":[",
                group[0].rule.name()
            );
            write_tuples(out, LogFormat::Vnet, group);
            out.extend_from_slice(b"]}");
        }
        out.extend_from_slice(b"]}");
    }
    out.extend_from_slice(b"]}}");
}

fn write_tuples(out: &mut Vec<u8>, format: LogFormat, tuples: &[FlowTuple]) {
    for (i, t) in tuples.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        t.write(format, out);
        out.push(b'"');
    }
}

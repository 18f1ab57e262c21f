//! Loading the paths a command names: a progress line on a slow load, the rejected-tuple
//! summary, `--strict`, and "nothing readable".

use super::Failure;
use crate::load::{self, LoadOptions, LoadReport, Progress, Source};
use crate::model::{human_bytes, Thousands};
use crate::store::{Columns, Store};
use std::io::{IsTerminal, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A progress line appears only when loading takes longer than this.
const QUIET_FOR: Duration = Duration::from_millis(300);
const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// Loads `paths`, the store keeping only `columns` of the optional columns, drawing a
/// progress line on stderr if it is a terminal and loading is slow.
pub fn load_columns(paths: &[String], columns: Columns) -> anyhow::Result<(Store, LoadReport)> {
    with_progress(paths, |sources, progress| {
        load::load_columns(sources, &LoadOptions::default(), columns, progress)
    })
}

/// Reads `paths` file by file without building a store (`load::load_each`): for answers
/// that add up over files, in memory that does not grow with the data. Each file's store
/// has only `columns` of the optional columns.
pub fn read_paths(
    paths: &[String],
    columns: Columns,
    per_file: &mut (dyn FnMut(&Store) + Send),
) -> anyhow::Result<LoadReport> {
    with_progress(paths, |sources, progress| {
        load::load_each(
            sources,
            &LoadOptions::default(),
            columns,
            progress,
            per_file,
        )
    })
}

/// Runs `read` on a thread of its own while this one draws the progress line.
fn with_progress<T: Send>(
    paths: &[String],
    read: impl FnOnce(&[Source], &Progress) -> Result<T, load::LoadError> + Send,
) -> anyhow::Result<T> {
    let sources: Vec<Source> = paths.iter().map(|p| Source::from_arg(p)).collect();
    let progress = Progress::default();
    let terminal = std::io::stderr().is_terminal();
    let started = Instant::now();
    let (done_tx, done_rx) = mpsc::channel();
    let result = std::thread::scope(|scope| {
        let progress = &progress;
        let sources = &sources;
        scope.spawn(move || {
            let result = read(sources, progress);
            // The receiver waits until this arrives; a send error means it is gone.
            let _ = done_tx.send(result);
        });
        let mut drawn = false;
        loop {
            match done_rx.recv_timeout(REDRAW_EVERY) {
                Ok(result) => break finish_line(drawn, result),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if terminal && started.elapsed() >= QUIET_FOR {
                        draw_line(progress);
                        drawn = true;
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    break finish_line(drawn, Err(load::LoadError::NoSources))
                }
            }
        }
    });
    result.map_err(|e| Failure::data(e.to_string()).into())
}

fn draw_line(progress: &Progress) {
    let p = progress.snapshot();
    // Still finding files: the totals are lower bounds.
    let more = if p.found_all { "" } else { "+" };
    let mut err = std::io::stderr().lock();
    // Progress is best effort: a closed stderr must not stop the load.
    let _ = write!(
        err,
        "\rloading {}/{}{more} files · {} of {}{more} · {} tuples\x1b[K",
        p.files_done,
        p.files_total,
        human_bytes(p.bytes_done),
        human_bytes(p.bytes_total),
        Thousands(p.tuples)
    );
    let _ = err.flush();
}

fn finish_line<T>(drawn: bool, result: T) -> T {
    if drawn {
        let _ = write!(std::io::stderr(), "\r\x1b[K");
    }
    result
}

/// Fails as `--strict` and an unreadable load ask, else warns of rejected tuples: what
/// `query` and `stats` do with a load's report before answering.
pub fn accept(report: &LoadReport, strict: bool) -> anyhow::Result<()> {
    enforce_strict(report, strict)?;
    ensure_readable(report)?;
    warn_rejections(report);
    Ok(())
}

/// Fails under `--strict` when any tuple was rejected, any record could not be read or
/// the text was cut short.
pub fn enforce_strict(report: &LoadReport, strict: bool) -> anyhow::Result<()> {
    let lost = report.losses();
    if strict && !lost.is_empty() {
        return Err(Failure::data(format!(
            "{} (--strict); run `flowscope check` for the reasons",
            lost.join(", ")
        ))
        .into());
    }
    Ok(())
}

/// Fails when no path held a flow log record.
pub fn ensure_readable(report: &LoadReport) -> anyhow::Result<()> {
    match report.nothing_readable() {
        Some(why) => Err(Failure::data(why).into()),
        None => Ok(()),
    }
}

/// The one-line stderr summary of what was rejected or skipped, if anything was.
fn warn_rejections(report: &LoadReport) {
    let parts = report.shortfalls();
    if !parts.is_empty() {
        eprintln!(
            "flowscope: warning: {} (run `flowscope check` for details)",
            parts.join(", ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_fails_on_rejected_tuples_unreadable_records_and_cuts() {
        let mut report = LoadReport {
            files: 1,
            tuples: 5,
            ..LoadReport::default()
        };
        assert!(enforce_strict(&report, true).is_ok());
        report.rejected = 2;
        assert!(enforce_strict(&report, false).is_ok());
        let err = enforce_strict(&report, true).unwrap_err().to_string();
        assert!(err.starts_with("2 tuples of 7 rejected"), "{err}");
        report.rejected = 0;
        report.problems.push(crate::load::Problem {
            file: "a.json".into(),
            kind: crate::load::ProblemKind::BadRecord,
            detail: "invalid JSON in record".into(),
            count: 3,
        });
        let err = enforce_strict(&report, true).unwrap_err().to_string();
        assert!(err.starts_with("3 records unreadable (--strict)"), "{err}");
        assert!(enforce_strict(&report, false).is_ok());
        report.problems[0].kind = crate::load::ProblemKind::Truncated;
        report.problems[0].count = 1;
        let err = enforce_strict(&report, true).unwrap_err().to_string();
        assert!(
            err.starts_with("cut short or left open in 1 place (--strict)"),
            "{err}"
        );
    }

    #[test]
    fn nothing_readable_means_no_flow_log_file() {
        let empty = LoadReport {
            skipped_files: 1,
            ..LoadReport::default()
        };
        assert!(ensure_readable(&empty).is_err());
        let one = LoadReport {
            files: 1,
            ..LoadReport::default()
        };
        assert!(ensure_readable(&one).is_ok());
    }
}

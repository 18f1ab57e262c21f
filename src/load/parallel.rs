//! Reading files on worker threads: each worker takes the next batch of files, parses each
//! into its own builder, and merges what is next in file order itself.
//!
//! ```text
//! workers: next batch (atomic index) → read → parse → pending[i] ─┐
//!          whoever holds the merger: append pending[merged], merged += 1, … ←┘
//! ```
//! A batch is one file, or consecutive small files up to `BATCH_BYTES`: a folder of 100,000
//! small blobs then costs a few thousand hand-overs between threads, not 100,000.
//! A worker waits before batch `i` while `i >= merged + 2 × threads`, so at most that many
//! parsed batches are held at once whatever the order they finish in.
//!
//! There is no merging thread: on two cores it took a core's time slices from the
//! parsers, woke for every batch, and read each file's columns from the other core's
//! cache. The worker that finishes the next batch in order merges it (and any that
//! follow) while its columns are still in its cache.

use super::emit::Emitter;
use super::encoding::{decode, packed, Encoding};
use super::parts::parse_file_in_parts;
use super::path_meta::path_meta;
use super::report::{FileProgress, Problem, ProblemKind, Progress};
use super::tally::{Reason, Tally};
use super::walk::Input;
use crate::store::{Columns, FileInfo, StoreBuilder};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, TryLockError};
use std::time::Duration;

/// Rows per byte of JSON, roughly (a tuple string and its quotes, comma, indentation).
pub const BYTES_PER_TUPLE: u64 = 60;

/// Files at least this large are mapped rather than read: a 2 GB file then needs no 2 GB
/// buffer on top of the store, and its pages stay clean page cache the kernel can drop.
/// Smaller files are read into the worker's reused buffer, which is as fast and immune to
/// a file shrinking under a live mapping.
const MAP_FROM_BYTES: u64 = 16 << 20;

/// Consecutive files are batched up to this many bytes (one larger file is a batch alone).
/// Each file of a batch is held parsed until the batch is merged, so batches stay small.
const BATCH_BYTES: u64 = 256 << 10;
/// At most this many files a batch, whatever their size (empty files cost a hand-over too).
const BATCH_FILES: usize = 256;

/// What reading one input gave.
#[derive(Debug)]
pub struct FileOutcome {
    pub name: String,
    pub bytes: u64,
    /// `None` when the file was skipped whole.
    pub builder: Option<StoreBuilder>,
    pub tally: Tally,
    /// Why the file was skipped, when it was.
    pub skipped: Option<Problem>,
}

/// What the workers share.
struct Shared<'a, M> {
    batches: Vec<&'a [Input]>,
    /// How each file is parsed: its columns, and the threads a large one is read on
    /// (more than one when there are fewer batches than threads, which would wait).
    how: Parse,
    window: usize,
    progress: &'a Progress,
    /// The next batch to hand out.
    next: AtomicUsize,
    /// Parsed batches waiting for their turn.
    pending: Mutex<BTreeMap<usize, Vec<FileOutcome>>>,
    /// The in-order end of the load, held by the worker merging; `merged` counts the
    /// batches it has taken.
    merger: Mutex<M>,
    merged: Mutex<usize>,
    wake: Condvar,
}

/// Reads every input with `threads` workers (the calling thread is one of them) into
/// builders of `columns`, and hands the outcomes to `merge` in order, on whichever
/// worker is merging.
pub fn run(
    inputs: &[Input],
    threads: usize,
    columns: Columns,
    progress: &Progress,
    merge: impl FnMut(FileOutcome) + Send,
) {
    let batches = batches(inputs);
    let how = Parse {
        columns,
        parts: parts_per_file(batches.len(), threads),
    };
    let threads = threads.clamp(1, batches.len().max(1));
    let shared = Shared {
        batches,
        how,
        window: 2 * threads,
        progress,
        next: AtomicUsize::new(0),
        pending: Mutex::new(BTreeMap::new()),
        merger: Mutex::new(merge),
        merged: Mutex::new(0),
        wake: Condvar::new(),
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(|| work(&shared));
        }
        work(&shared);
    });
    // Every worker has stopped: whatever is still pending (none, when the hand-over
    // works as described) is merged here, in order, unless the load was cancelled.
    merge_in_order(&shared);
}

/// One worker: parse the next batch, put it in `pending`, merge what is in order.
fn work<M: FnMut(FileOutcome)>(shared: &Shared<M>) {
    // One read buffer per worker, reused: fresh pages for every file cost page faults
    // that show in profiles.
    let mut buf = Vec::new();
    loop {
        let i = shared.next.fetch_add(1, Ordering::Relaxed);
        if i >= shared.batches.len() || !wait_turn(i, shared) {
            break;
        }
        let outcomes = shared.batches[i]
            .iter()
            .map(|input| read_one(input, shared.how, shared.progress, &mut buf))
            .collect();
        match shared.pending.lock() {
            Ok(mut pending) => pending.insert(i, outcomes),
            Err(_) => break,
        };
        if !merge_in_order(shared) {
            break;
        }
    }
    // Whoever stops wakes the others, so none waits on a turn that will not come.
    shared.wake.notify_all();
}

/// Merges pending batches while the next in order is there; `false` when the load stops
/// (cancelled, or another worker panicked). A worker that finds the merger busy leaves:
/// the one merging looks at `pending` again after it lets go, so a batch put there while
/// it held the merger is not left behind.
fn merge_in_order<M: FnMut(FileOutcome)>(shared: &Shared<M>) -> bool {
    loop {
        let mut merger = match shared.merger.try_lock() {
            Ok(m) => m,
            Err(TryLockError::WouldBlock) => return true,
            Err(TryLockError::Poisoned(_)) => return false,
        };
        let Ok(mut merged) = shared.merged.lock().map(|m| *m) else {
            return false;
        };
        loop {
            if shared.progress.cancelled() {
                return false;
            }
            let Some(outcomes) = shared
                .pending
                .lock()
                .ok()
                .and_then(|mut p| p.remove(&merged))
            else {
                break;
            };
            outcomes.into_iter().for_each(&mut *merger);
            merged += 1;
            if let Ok(mut m) = shared.merged.lock() {
                *m = merged;
            }
            shared.wake.notify_all();
        }
        drop(merger);
        let waiting = shared.pending.lock().is_ok_and(|p| p.contains_key(&merged));
        if !waiting {
            return true;
        }
    }
}

/// Threads a large file may be read on: the threads that `batches` leave idle, shared out.
fn parts_per_file(batches: usize, threads: usize) -> usize {
    match batches {
        n if n < threads => threads.div_ceil(n.max(1)),
        _ => 1,
    }
}

/// Splits `inputs` into runs of consecutive inputs, each at most `BATCH_BYTES` (or one
/// input) and `BATCH_FILES` long.
fn batches(inputs: &[Input]) -> Vec<&[Input]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, input) in inputs.iter().enumerate() {
        let size = input.size();
        if i > start && (bytes + size > BATCH_BYTES || i - start == BATCH_FILES) {
            out.push(&inputs[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < inputs.len() {
        out.push(&inputs[start..]);
    }
    out
}

/// Blocks until batch `i` is inside the window; `false` when the load is cancelled.
fn wait_turn<M>(i: usize, shared: &Shared<M>) -> bool {
    let Ok(mut m) = shared.merged.lock() else {
        return false;
    };
    while i >= *m + shared.window {
        if shared.progress.cancelled() {
            return false;
        }
        m = match shared.wake.wait_timeout(m, Duration::from_millis(50)) {
            Ok((m, _)) => m,
            Err(_) => return false,
        };
    }
    !shared.progress.cancelled()
}

/// Reads (into `buf`, unless the input is in memory already) and parses one input.
pub fn read_one(input: &Input, how: Parse, progress: &Progress, buf: &mut Vec<u8>) -> FileOutcome {
    let name = input.name();
    let data = match read(input, buf) {
        Ok(d) => d,
        Err(e) => return skipped(name, 0, ProblemKind::Unreadable, e.to_string(), progress),
    };
    let bytes = data.len() as u64;
    if matches!(input, Input::Stdin) {
        progress.bytes_total.fetch_add(bytes, Ordering::Relaxed);
    }
    parse_bytes(name, &data, how, progress)
}

/// How a file is parsed.
#[derive(Debug, Clone, Copy)]
pub struct Parse {
    /// The optional columns its builder keeps.
    pub columns: Columns,
    /// Threads a large file may be read on.
    pub parts: usize,
}

impl Parse {
    /// Every column, on the calling thread.
    pub const WHOLE: Parse = Parse {
        columns: Columns::ALL,
        parts: 1,
    };
}

/// Parses one file's bytes (already read) into its outcome: the per-file half of loading,
/// shared with `load_bytes`.
pub fn parse_bytes(name: String, data: &[u8], how: Parse, progress: &Progress) -> FileOutcome {
    let bytes = data.len() as u64;
    if let Some(why) = packed(data) {
        return skipped(name, bytes, ProblemKind::NotFlowLog, why.into(), progress);
    }
    let encoding = Encoding::of(data);
    let text = decode(data, encoding);
    let body = text.trim_start_matches('\u{feff}').trim();
    if body.is_empty() {
        return skipped(
            name,
            bytes,
            ProblemKind::Empty,
            "empty file".into(),
            progress,
        );
    }
    let mut builder = StoreBuilder::with_columns(how.columns);
    builder.reserve((bytes / BYTES_PER_TUPLE) as usize);
    let meta = path_meta(&name);
    let file = builder.add_file(FileInfo {
        path: name.clone(),
        size: bytes,
        meta: meta.clone(),
    });
    let file_progress = FileProgress::new(progress);
    let mut em = Emitter::new(builder, file, meta).reporting_to(&file_progress);
    if let Some(note) = encoding.note() {
        em.tally
            .problem(ProblemKind::Repaired, Reason::Text(note), String::new);
    }
    parse_file_in_parts(&mut em, &text, how.parts);
    file_progress.settle(bytes, em.tally.tuples);
    progress.files_done.fetch_add(1, Ordering::Relaxed);
    // A file without a single record (good or bad) is not a flow log: skipped whole.
    let found = em.records_seen() > 0;
    let skipped = (!found).then(|| Problem {
        file: name.clone(),
        kind: ProblemKind::NotFlowLog,
        detail: "no flow log records found".to_string(),
        count: 1,
    });
    FileOutcome {
        name,
        bytes,
        builder: found.then_some(em.builder),
        tally: em.tally,
        skipped,
    }
}

/// A file's bytes: in the worker's buffer, compiled in, or mapped.
enum Data<'b> {
    Slice(&'b [u8]),
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for Data<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Data::Slice(s) => s,
            Data::Mapped(m) => m,
        }
    }
}

fn read<'b>(input: &Input, buf: &'b mut Vec<u8>) -> std::io::Result<Data<'b>> {
    buf.clear();
    match input {
        Input::File { path, size } => {
            let mut file = std::fs::File::open(path)?;
            if *size >= MAP_FROM_BYTES {
                if let Some(map) = map(&file) {
                    return Ok(Data::Mapped(map));
                }
            }
            buf.reserve(*size as usize + 1);
            file.read_to_end(buf)?;
        }
        Input::Stdin => {
            std::io::stdin().lock().read_to_end(buf)?;
        }
        Input::Embedded { data, .. } => return Ok(Data::Slice(data)),
    }
    Ok(Data::Slice(buf.as_slice()))
}

/// Maps a large file read-only; `None` (read it instead) where mapping is not possible.
fn map(file: &std::fs::File) -> Option<memmap2::Mmap> {
    // SAFETY: the mapping is private and read-only. Flow logs are finished blobs; a file
    // truncated by another process while mapped would fault, which is why only large
    // files, where a full read buffer would cost real memory, are mapped.
    let map = unsafe { memmap2::Mmap::map(file) }.ok()?;
    #[cfg(unix)]
    let _ = map.advise(memmap2::Advice::Sequential);
    Some(map)
}

fn skipped(
    name: String,
    bytes: u64,
    kind: ProblemKind,
    detail: String,
    progress: &Progress,
) -> FileOutcome {
    progress.bytes_done.fetch_add(bytes, Ordering::Relaxed);
    progress.files_done.fetch_add(1, Ordering::Relaxed);
    FileOutcome {
        skipped: Some(Problem {
            file: name.clone(),
            kind,
            detail,
            count: 1,
        }),
        name,
        bytes,
        builder: None,
        tally: Tally::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn files(sizes: &[u64]) -> Vec<Input> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &size)| Input::File {
                path: PathBuf::from(format!("{i}.json")),
                size,
            })
            .collect()
    }

    #[test]
    fn idle_threads_go_to_reading_files_in_parts() {
        let cases = [
            (1, 2, 2),
            (1, 8, 8),
            (3, 8, 3),
            (2, 2, 1),
            (5, 2, 1),
            (0, 4, 4),
            (1, 1, 1),
        ];
        for (batches, threads, parts) in cases {
            assert_eq!(
                parts_per_file(batches, threads),
                parts,
                "{batches} batches, {threads} threads"
            );
        }
    }

    #[test]
    fn batches_cover_every_input_in_order_within_their_limits() {
        let kb = 1 << 10;
        let mut sizes = vec![80 * kb, 80 * kb, 80 * kb, 80 * kb, 5 << 20, 10, 0];
        sizes.extend(std::iter::repeat_n(2 * kb, 600));
        sizes.push(3 << 20);
        let inputs = files(&sizes);
        let runs = batches(&inputs);
        let flat: Vec<&Input> = runs.iter().flat_map(|b| b.iter()).collect();
        assert_eq!(
            flat,
            inputs.iter().collect::<Vec<_>>(),
            "all, in order, once"
        );
        for b in &runs {
            let bytes: u64 = b.iter().map(Input::size).sum();
            assert!(!b.is_empty() && b.len() <= BATCH_FILES);
            assert!(
                b.len() == 1 || bytes <= BATCH_BYTES,
                "{} files, {bytes} bytes",
                b.len()
            );
        }
        let lens: Vec<usize> = runs.iter().map(|b| b.len()).collect();
        assert_eq!(
            &lens[..3],
            &[3, 1, 1],
            "80 kB files fill 256 kB three at a time"
        );
        assert_eq!(lens[lens.len() - 1], 1, "a big file is a batch alone");
        assert!(batches(&[]).is_empty());
    }
}

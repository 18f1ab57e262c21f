//! Reading files on worker threads: each worker takes the next batch of files (see
//! `found`), parses each into its own builder, and merges what is next in file order
//! itself.
//!
//! ```text
//! calling thread: walk → found ─┐   (then a worker like the others)
//! workers: next batch (atomic index) → read → parse → pending[i] ─┐
//!          whoever holds the merger: append pending[merged], merged += 1, … ←┘
//! ```
//! A worker waits before batch `i` while `i >= merged + 2 × threads`, so at most that many
//! parsed batches are held at once whatever the order they finish in.
//!
//! There is no merging thread: on two cores it took a core's time slices from the
//! parsers, woke for every batch, and read each file's columns from the other core's
//! cache. The worker that finishes the next batch in order merges it (and any that
//! follow) while its columns are still in its cache.

use super::emit::Emitter;
use super::encoding::{decode, packed, Encoding};
use super::file::no_records;
use super::found::{Finish, Found};
use super::parts::parse_file_in_parts;
use super::path_meta::path_meta;
use super::report::{FileProgress, Problem, ProblemKind, Progress};
use super::tally::{Reason, Tally};
use super::walk::{self, Input, Roots};
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
    found: Found<'a>,
    /// The columns each file's builder keeps.
    columns: Columns,
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

/// Finds the inputs of `roots` on the calling thread while `threads` workers read them (the
/// calling thread joins them when the walk ends) into builders of `columns`, and hands the
/// outcomes to `merge` in order, on whichever worker is merging. Returns the problems the
/// walk met.
pub fn run(
    roots: Roots,
    threads: usize,
    columns: Columns,
    progress: &Progress,
    merge: impl FnMut(FileOutcome) + Send,
) -> Vec<Problem> {
    let threads = threads.max(1);
    let shared = Shared {
        found: Found::new(threads, progress),
        columns,
        window: 2 * threads,
        progress,
        next: AtomicUsize::new(0),
        pending: Mutex::new(BTreeMap::new()),
        merger: Mutex::new(merge),
        merged: Mutex::new(0),
        wake: Condvar::new(),
    };
    let problems = std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(|| work(&shared));
        }
        let problems = {
            let _finish = Finish(&shared.found);
            let push = &mut |input| shared.found.push(input);
            walk::find(roots, push, &|| progress.cancelled())
        };
        work(&shared);
        problems
    });
    // Every worker has stopped: whatever is still pending (none, when the hand-over
    // works as described) is merged here, in order, unless the load was cancelled.
    merge_in_order(&shared);
    problems
}

/// One worker: parse the next batch, put it in `pending`, merge what is in order.
fn work<M: FnMut(FileOutcome)>(shared: &Shared<M>) {
    // One read buffer per worker, reused: fresh pages for every file cost page faults
    // that show in profiles.
    let mut buf = Vec::new();
    loop {
        let i = shared.next.fetch_add(1, Ordering::Relaxed);
        let Some(batch) = shared.found.take(i) else {
            break;
        };
        if !wait_turn(i, shared) {
            break;
        }
        let how = Parse {
            columns: shared.columns,
            parts: batch.parts,
        };
        let outcomes = batch
            .inputs
            .iter()
            .map(|input| read_one(input, how, shared.progress, &mut buf))
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
    let decoded = decode(data, encoding);
    let text = &decoded.text;
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
    if let Some(why) = no_records(body) {
        return skipped(name, bytes, ProblemKind::Empty, why.into(), progress);
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
    let mut em = Emitter::new(builder, file, meta)
        .reporting_to(&file_progress)
        .with_shifts(&decoded.shifts);
    if let Some(note) = encoding.note() {
        em.tally
            .problem(ProblemKind::Repaired, Reason::Text(note), String::new);
    }
    if let Some(note) = decoded.note(encoding) {
        em.tally.problem(
            ProblemKind::Repaired,
            Reason::Text(note.into()),
            String::new,
        );
    }
    parse_file_in_parts(&mut em, text, how.parts);
    file_progress.settle(bytes, em.tally.tuples);
    progress.files_done.fetch_add(1, Ordering::Relaxed);
    // A file without a single record (good or bad) is not a flow log: skipped whole.
    let found = em.records_seen() > 0;
    // Not even the start of JSON (random bytes, a binary): the skip is all there is to
    // say. Its bytes not UTF-8 or its brackets left open would read as a damaged log,
    // and fail `--strict`. A cut blob, which starts as JSON does, keeps its cut.
    if !found && !body.starts_with(['{', '[', ',']) {
        em.tally.forget_problems();
    }
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

//! The inputs the walk has found so far, in batches for the workers: the walk appends while
//! the workers read, so a tree of thousands of folders is read while it is still being
//! searched instead of after (on a cold disk the search alone took seconds).
//!
//! ```text
//! walk ── push(input) ──▶ open batch ──(full)──▶ batches[0], batches[1], … ◀── take(i) ── workers
//! ```
//! A batch is one file, or consecutive small files up to `BATCH_BYTES`: a folder of 100,000
//! small blobs then costs a few thousand hand-overs between threads, not 100,000.

use super::report::Progress;
use super::walk::Input;
use std::sync::atomic::Ordering;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Consecutive files are batched up to this many bytes (one larger file is a batch alone).
/// Each file of a batch is held parsed until the batch is merged, so batches stay small.
pub const BATCH_BYTES: u64 = 256 << 10;
/// At most this many files a batch, whatever their size (empty files cost a hand-over too).
pub const BATCH_FILES: usize = 256;

/// Batches found so far; shared by the walk and the workers.
pub struct Found<'p> {
    state: Mutex<State>,
    more: Condvar,
    progress: &'p Progress,
    threads: usize,
}

#[derive(Default)]
struct State {
    /// Closed batches; a taken one is left empty.
    batches: Vec<Vec<Input>>,
    /// The batch being filled, and its bytes.
    open: Vec<Input>,
    open_bytes: u64,
    /// The walk has ended: no batch will be added.
    done: bool,
}

/// The next batch for a worker, and the threads each of its files may be read on.
pub struct Batch {
    pub inputs: Vec<Input>,
    pub parts: usize,
}

impl<'p> Found<'p> {
    /// For `threads` workers, counting what is found into `progress`.
    pub fn new(threads: usize, progress: &'p Progress) -> Found<'p> {
        Found {
            state: Mutex::new(State::default()),
            more: Condvar::new(),
            progress,
            threads: threads.max(1),
        }
    }

    /// Adds the next input in order.
    pub fn push(&self, input: Input) {
        self.progress.files_total.fetch_add(1, Ordering::Relaxed);
        self.progress
            .bytes_total
            .fetch_add(input.size(), Ordering::Relaxed);
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        let size = input.size();
        if !s.open.is_empty() && (s.open_bytes + size > BATCH_BYTES || s.open.len() == BATCH_FILES)
        {
            s.close();
            self.more.notify_all();
        }
        s.open.push(input);
        s.open_bytes += size;
    }

    /// The walk has ended: the open batch is closed and waiting workers are told.
    pub fn finish(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.close();
            s.done = true;
        }
        self.progress.found_all.store(true, Ordering::Relaxed);
        self.more.notify_all();
    }

    /// Batch `i`, once the walk has found it; `None` when there is no such batch (the walk
    /// ended before it) or the load was cancelled.
    ///
    /// Files are read whole until it is known whether there are fewer batches than
    /// threads: then the idle threads help read each file in parts. So the first batches
    /// wait for the walk to find as many batches as there are threads, or to end.
    pub fn take(&self, i: usize) -> Option<Batch> {
        let mut s = self.state.lock().ok()?;
        while !s.done && s.batches.len() < (i + 1).max(self.threads) {
            if self.progress.cancelled() {
                return None;
            }
            // Timed, so that a cancel is seen even while the walk finds nothing.
            s = self.more.wait_timeout(s, Duration::from_millis(50)).ok()?.0;
        }
        let parts = match s.done {
            true => parts_per_file(s.batches.len(), self.threads),
            false => 1,
        };
        let inputs = std::mem::take(s.batches.get_mut(i)?);
        Some(Batch { inputs, parts })
    }
}

impl State {
    fn close(&mut self) {
        if !self.open.is_empty() {
            self.batches.push(std::mem::take(&mut self.open));
            self.open_bytes = 0;
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

/// Ends the walk's side of `Found` when dropped, also when the walk panics: no worker
/// then waits for a batch that will not come.
pub struct Finish<'f, 'p>(pub &'f Found<'p>);

impl Drop for Finish<'_, '_> {
    fn drop(&mut self) {
        self.0.finish();
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

    /// Every batch of `inputs`, pushed then taken in order.
    fn batches(inputs: &[Input], threads: usize) -> Vec<Batch> {
        let progress = Progress::default();
        let found = Found::new(threads, &progress);
        inputs.iter().cloned().for_each(|i| found.push(i));
        found.finish();
        (0..).map_while(|i| found.take(i)).collect()
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
        let big = files(&[5 << 20]);
        assert_eq!(batches(&big, 2)[0].parts, 2, "one file, two threads");
        let two = files(&[5 << 20, 5 << 20]);
        assert!(batches(&two, 2).iter().all(|b| b.parts == 1));
    }

    #[test]
    fn batches_cover_every_input_in_order_within_their_limits() {
        let kb = 1 << 10;
        let mut sizes = vec![80 * kb, 80 * kb, 80 * kb, 80 * kb, 5 << 20, 10, 0];
        sizes.extend(std::iter::repeat_n(2 * kb, 600));
        sizes.push(3 << 20);
        let inputs = files(&sizes);
        let runs: Vec<Vec<Input>> = batches(&inputs, 2).into_iter().map(|b| b.inputs).collect();
        assert_eq!(runs.concat(), inputs, "all, in order, once");
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
        assert!(batches(&[], 2).is_empty());
    }

    #[test]
    fn workers_take_batches_while_the_walk_goes_on() {
        let progress = Progress::default();
        let found = Found::new(2, &progress);
        // Two closed batches (the third push closes the second) are enough for two
        // threads: the first is handed out before the walk ends.
        let sizes = [200 << 10, 200 << 10, 200 << 10];
        files(&sizes).into_iter().for_each(|i| found.push(i));
        let (taken, told) = std::sync::mpsc::channel::<()>();
        std::thread::scope(|scope| {
            // Ends the walk once the batch is taken; after a while regardless, so that a
            // `take` that waits for the end fails the test instead of hanging it.
            let found = &found;
            scope.spawn(move || {
                let _ = told.recv_timeout(Duration::from_secs(10));
                found.finish();
            });
            let first = found.take(0).map(|b| (b.inputs.len(), b.parts));
            let walk_ended = progress.found_all.load(Ordering::Relaxed);
            taken.send(()).unwrap();
            assert_eq!(first, Some((1, 1)));
            assert!(!walk_ended, "taken only after the walk ended");
        });
        assert!(progress.found_all.load(Ordering::Relaxed));
        assert_eq!(progress.files_total.load(Ordering::Relaxed), 3);
        assert_eq!(found.take(2).map(|b| b.inputs.len()), Some(1));
        assert!(found.take(3).is_none());
    }

    #[test]
    fn a_cancelled_load_stops_waiting_for_the_walk() {
        let progress = Progress::default();
        let found = Found::new(2, &progress);
        progress.cancel.store(true, Ordering::Relaxed);
        assert!(found.take(0).is_none());
    }
}

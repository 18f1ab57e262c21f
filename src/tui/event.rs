//! Everything that can happen to the explorer, as one typed event on one channel, and the
//! threads at the edges that produce them (terminal input, load progress, the loader).

use super::worker::QueryResult;
use crate::load::{self, LoadOptions, LoadReport, Progress, ProgressSnapshot, Source};
use crate::store::Store;
use crossterm::event::{KeyEvent, MouseEvent};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the progress bar is refreshed while loading (about 5 times a second).
const PROGRESS_PERIOD: Duration = Duration::from_millis(200);

#[derive(Debug)]
pub enum Event {
    Key(KeyEvent),
    /// Text pasted into the terminal, whole (bracketed paste).
    Paste(String),
    Mouse(MouseEvent),
    Resize(u16, u16),
    LoadProgress {
        snapshot: ProgressSnapshot,
        elapsed: Duration,
    },
    /// What is loaded so far, while loading goes on.
    Partial(Box<Store>),
    Loaded(Box<Store>, LoadReport),
    LoadFailed(String),
    QueryDone {
        generation: u64,
        result: Box<QueryResult>,
    },
}

/// Reads terminal events forever (the thread ends with the process or the channel).
pub fn spawn_input(tx: Sender<Event>) {
    let spawned = std::thread::Builder::new()
        .name("terminal-input".into())
        .spawn(move || loop {
            let ev = match crossterm::event::read() {
                Ok(crossterm::event::Event::Key(k)) => Event::Key(k),
                Ok(crossterm::event::Event::Paste(text)) => Event::Paste(text),
                Ok(crossterm::event::Event::Mouse(m)) => Event::Mouse(m),
                Ok(crossterm::event::Event::Resize(w, h)) => Event::Resize(w, h),
                Ok(_) => continue,
                Err(_) => return,
            };
            if tx.send(ev).is_err() {
                return;
            }
        });
    spawned.expect("spawning the terminal input thread");
}

/// Loads `sources` on a background thread and reports progress until it is done.
pub fn spawn_load(sources: Vec<Source>, progress: Arc<Progress>, tx: Sender<Event>) {
    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    {
        let (done, progress, tx) = (Arc::clone(&done), Arc::clone(&progress), tx.clone());
        std::thread::Builder::new()
            .name("load-progress".into())
            .spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    std::thread::sleep(PROGRESS_PERIOD);
                    if done.load(Ordering::Relaxed) {
                        return;
                    }
                    let ev = Event::LoadProgress {
                        snapshot: progress.snapshot(),
                        elapsed: started.elapsed(),
                    };
                    if tx.send(ev).is_err() {
                        return;
                    }
                }
            })
            .expect("spawning the progress thread");
    }
    std::thread::Builder::new()
        .name("loader".into())
        .spawn(move || {
            let mut partial = |store: Store| {
                let _ = tx.send(Event::Partial(Box::new(store)));
            };
            let outcome = load::load_with_snapshots(
                &sources,
                &LoadOptions::default(),
                &progress,
                &mut partial,
            );
            done.store(true, Ordering::Relaxed);
            let ev = match outcome {
                Ok((store, report)) => Event::Loaded(Box::new(store), report),
                Err(e) => Event::LoadFailed(e.to_string()),
            };
            let _ = tx.send(ev);
        })
        .expect("spawning the loader thread");
}

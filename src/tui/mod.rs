//! The explorer: panes for rules, flows, top talkers/conversations and a timeline, with a
//! live filter bar, over a store loaded in the background.
//!
//! ```text
//! input thread ─┐
//! loader, progress ─┼─> one Event channel ─> App::update ─> render (only when changed)
//! query worker ─┘                   └─> QueryRequest ─> worker
//! ```

pub mod app;
pub mod complete;
pub mod event;
pub mod filter_bar;
pub mod keys;
pub mod memo;
pub mod navigate;
pub mod order;
pub mod picker;
mod places;
mod ranked;
pub mod render;
pub mod scroll;
pub mod settings;
pub mod terminal;
pub mod widths;
pub mod worker;

use crate::load::{Progress, Source};
use app::App;
use ratatui::layout::Rect;
use settings::Settings;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use worker::Worker;

/// Runs the explorer on `sources` until the user quits; the terminal is restored on every
/// way out, panics included.
pub fn run(sources: Vec<Source>) -> anyhow::Result<()> {
    let settings = Settings::load(Settings::default_dir(), no_color());
    let mut terminal = terminal::enter()?;
    let outcome = event_loop(&mut terminal, sources, settings);
    terminal::restore();
    outcome
}

/// `NO_COLOR` set to anything non-empty turns colours off (no-color.org).
fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

fn event_loop(
    terminal: &mut terminal::Tui,
    sources: Vec<Source>,
    settings: Settings,
) -> anyhow::Result<()> {
    let size = terminal.size()?;
    let mut app = App::new(settings, Rect::new(0, 0, size.width, size.height));
    let (tx, rx) = mpsc::channel();
    let progress = Arc::new(Progress::default());
    event::spawn_input(tx.clone());
    event::spawn_load(sources, Arc::clone(&progress), tx.clone());
    let worker = Worker::spawn(tx);
    terminal.draw(|f| render::draw(f, &app))?;
    while let Ok(first) = rx.recv() {
        // Apply everything already waiting, then draw once.
        let mut changed = app.handle(first);
        while let Ok(more) = rx.try_recv() {
            changed |= app.handle(more);
        }
        for request in app.take_requests() {
            worker.submit(request);
        }
        if app.quit {
            break;
        }
        if changed {
            terminal.draw(|f| render::draw(f, &app))?;
        }
    }
    if app.loading() {
        progress.cancel.store(true, Ordering::Relaxed);
    }
    // The terminal comes back before the state goes: freeing a large store must not keep
    // the user waiting, and busy threads are not waited for (they end with the process).
    terminal::restore();
    Ok(())
}

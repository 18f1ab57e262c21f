//! The explorer's state and its one way to change: `App::update(Action)`. Terminal events
//! become actions here; queries the state needs are queued as requests for the worker.

use super::event::Event;
use super::filter_bar::FilterBar;
use super::keys::{Command, Context, Key, QUIT_ALWAYS};
use super::picker::Picker;
use super::places::Places;
use super::render::layout::{self, Areas};
use super::settings::Settings;
use super::worker::{
    FlowOrder, QueryKind, QueryRequest, QueryResult, RefreshSpec, Rows, Summary, TimelineResult,
    TimelineSpec, TopList, TopMode, Vocabulary,
};
use crate::load::LoadReport;
use crate::load::ProgressSnapshot;
use crate::store::Store;
use crate::views::SortBy;
use crossterm::event::{KeyEvent, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Rules,
    Flows,
    Top,
    Timeline,
}

impl Pane {
    pub const ORDER: [Pane; 4] = [Pane::Rules, Pane::Flows, Pane::Top, Pane::Timeline];
    pub(super) fn index(self) -> usize {
        Pane::ORDER.iter().position(|p| *p == self).unwrap_or(0)
    }
}

#[derive(Debug)]
pub enum Overlay {
    None,
    Help,
    Picker(Box<Picker>),
    /// Every field of one row.
    Details(u32),
}

#[derive(Debug, Clone)]
pub enum Phase {
    Loading {
        snapshot: ProgressSnapshot,
        elapsed: Duration,
    },
    Ready,
    Failed(String),
}

/// One step back along the breadcrumb: what was shown before a drill-in.
#[derive(Debug, Clone, PartialEq)]
pub struct Crumb {
    /// What the drill-in went to (shown in the breadcrumb).
    pub label: String,
    pub filter: String,
    pub focus: Pane,
    pub timeline: Option<TimelineSpec>,
}

/// Selected line and first visible line of a pane.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
}

/// A line of the Rules pane: a scope heading or a rule (index into the rule list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleLine {
    Scope(usize),
    Rule(usize),
}

/// Everything that happens to the app, after keys went through the key table.
#[derive(Debug)]
pub enum Action {
    Command(Command),
    /// A key typed into the filter bar or the picker.
    Input(KeyEvent),
    /// Text pasted: into the filter bar or the picker, never run as keys.
    Paste(String),
    Click {
        column: u16,
        row: u16,
    },
    Scroll {
        column: u16,
        row: u16,
        down: bool,
    },
    Resize(u16, u16),
    Progress {
        snapshot: ProgressSnapshot,
        elapsed: Duration,
    },
    Partial(Arc<Store>),
    Loaded(Arc<Store>, LoadReport),
    LoadFailed(String),
    QueryDone {
        generation: u64,
        result: Box<QueryResult>,
    },
}

pub struct App {
    pub settings: Settings,
    pub phase: Phase,
    pub store: Option<Arc<Store>>,
    pub report: Option<LoadReport>,
    pub focus: Pane,
    pub overlay: Overlay,
    pub filter: FilterBar,
    /// The latest answer for the filter in force (kept while a newer one is computed).
    pub view: Option<Rows>,
    /// Rules and top lists for the filter in force (they follow the rows).
    pub summary: Option<Summary>,
    pub cursors: [Cursor; 4],
    pub order: FlowOrder,
    pub rule_sort: SortBy,
    pub top_mode: TopMode,
    /// What `o` chose for the Top pane to rank by (its mode's own until then).
    top_sort: Option<SortBy>,
    pub timeline_spec: Option<TimelineSpec>,
    pub timeline: Option<TimelineResult>,
    pub crumbs: Vec<Crumb>,
    /// Where the cursors were under the filters seen lately.
    places: Places,
    /// A one-off message for the status line (saved filters, filter errors); the next key
    /// or mouse command clears it.
    pub message: Option<String>,
    /// What stays true until the next load: config problems, what loading found. Shown
    /// when there is no message.
    pub notice: Option<String>,
    pub vocabulary: Vocabulary,
    /// The terminal's size, for paging and mouse hit-testing.
    pub size: Rect,
    /// First line of the help or details popup shown (both scroll on small terminals).
    pub popup_scroll: u16,
    pub quit: bool,
    generation: u64,
    /// Latest generation asked for, per request kind (refresh, timeline, vocabulary).
    pending: [u64; 3],
    /// Latest generation received, per request kind.
    received: [u64; 3],
    outbox: Vec<QueryRequest>,
}

/// Why `o` and `O` do not sort the Timeline pane: it is the steps of one thing in time.
const TIMELINE_ORDER: &str = "the timeline runs in time order; Tab to Flows to sort";

impl App {
    pub fn new(settings: Settings, size: Rect) -> App {
        let notice = (!settings.problems.is_empty()).then(|| settings.problems.join("; "));
        App {
            settings,
            phase: Phase::Loading {
                snapshot: ProgressSnapshot::default(),
                elapsed: Duration::ZERO,
            },
            store: None,
            report: None,
            focus: Pane::Flows,
            overlay: Overlay::None,
            filter: FilterBar::default(),
            view: None,
            summary: None,
            cursors: [Cursor::default(); 4],
            order: FlowOrder::default(),
            rule_sort: SortBy::Tuples,
            top_mode: TopMode::default(),
            top_sort: None,
            timeline_spec: None,
            timeline: None,
            crumbs: Vec::new(),
            places: Places::default(),
            message: None,
            notice,
            vocabulary: Vocabulary::default(),
            size,
            popup_scroll: 0,
            quit: false,
            generation: 0,
            pending: [0; 3],
            received: [0; 3],
            outbox: Vec::new(),
        }
    }

    /// Requests queued for the worker since the last call.
    pub fn take_requests(&mut self) -> Vec<QueryRequest> {
        std::mem::take(&mut self.outbox)
    }

    /// True while the answer for the filter in force is still being computed.
    pub fn busy(&self) -> bool {
        self.received[0] < self.pending[0]
    }

    pub fn loading(&self) -> bool {
        matches!(self.phase, Phase::Loading { .. })
    }

    pub fn areas(&self) -> Areas {
        layout::areas(self.size)
    }

    /// Where keys go now.
    pub fn context(&self) -> Context {
        match self.overlay {
            Overlay::Help | Overlay::Details(_) => Context::Popup,
            Overlay::Picker(_) => Context::Picker,
            Overlay::None if self.filter.editing => Context::Filter,
            Overlay::None => Context::Panes,
        }
    }

    /// Turns a terminal event into an action and applies it; false when nothing changed
    /// (no redraw needed).
    pub fn handle(&mut self, event: Event) -> bool {
        let action = match event {
            Event::Key(k) => match self.key_action(&k) {
                Some(a) => a,
                None => return false,
            },
            Event::Paste(text) => Action::Paste(text),
            Event::Mouse(m) => match mouse_action(&m) {
                Some(a) => a,
                None => return false,
            },
            Event::Resize(w, h) => Action::Resize(w, h),
            Event::LoadProgress { snapshot, elapsed } => Action::Progress { snapshot, elapsed },
            Event::Partial(store) => Action::Partial(Arc::from(store)),
            Event::Loaded(store, report) => Action::Loaded(Arc::from(store), report),
            Event::LoadFailed(m) => Action::LoadFailed(m),
            Event::QueryDone { generation, result } => Action::QueryDone { generation, result },
        };
        self.update(action)
    }

    fn key_action(&self, k: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(k)?;
        // Ctrl-C quits from anywhere (filter bar, picker, popups), whatever the config says.
        if key == QUIT_ALWAYS {
            return Some(Action::Command(Command::Quit));
        }
        let context = self.context();
        match self.settings.keymap.resolve(key, context) {
            Some(c) => Some(Action::Command(c)),
            None if matches!(context, Context::Filter | Context::Picker) => Some(Action::Input(*k)),
            None => None,
        }
    }

    /// The one place state changes. Returns whether anything visible changed.
    pub fn update(&mut self, action: Action) -> bool {
        // A message answers one command: the next one the user gives replaces it.
        let cleared = matches!(
            action,
            Action::Command(_)
                | Action::Input(_)
                | Action::Paste(_)
                | Action::Click { .. }
                | Action::Scroll { .. }
        ) && self.message.take().is_some();
        self.apply(action) || cleared
    }

    fn apply(&mut self, action: Action) -> bool {
        match action {
            Action::Command(c) => self.command(c),
            Action::Input(k) => self.input(k),
            Action::Paste(text) => self.paste(&text),
            Action::Click { column, row } => self.click(column, row),
            Action::Scroll { column, row, down } => {
                let Some(pane) = self.pane_at(column, row) else {
                    return false;
                };
                self.move_cursor(pane, if down { 3 } else { -3 });
                true
            }
            Action::Resize(w, h) => {
                self.size = Rect::new(0, 0, w, h);
                for pane in Pane::ORDER {
                    self.move_cursor(pane, 0);
                }
                true
            }
            Action::Progress { snapshot, elapsed } => {
                if self.loading() {
                    self.phase = Phase::Loading { snapshot, elapsed };
                }
                self.loading()
            }
            Action::Partial(store) => {
                // Panes fill with what is loaded so far; the final store replaces it.
                self.store = Some(store);
                self.refresh();
                true
            }
            Action::Loaded(store, report) => self.loaded(store, report),
            Action::LoadFailed(m) => {
                self.phase = Phase::Failed(m);
                true
            }
            Action::QueryDone { generation, result } => self.query_done(generation, *result),
        }
    }

    fn loaded(&mut self, store: Arc<Store>, report: LoadReport) -> bool {
        self.phase = Phase::Ready;
        if let Some(why) = report.nothing_readable() {
            // An empty explorer with no word of why would look like a bug.
            self.notice = Some(why);
        } else {
            // Cut files and skipped ones too, not only rejected tuples: each is data the
            // panes do not show. It comes before a config problem (which the help gives
            // whole), not instead of it.
            let shortfalls = report.shortfalls();
            if !shortfalls.is_empty() {
                let load = format!("loading: {} (see `flowscope check`)", shortfalls.join(", "));
                self.notice = Some(match self.notice.take() {
                    Some(config) => format!("{load}; {config}"),
                    None => load,
                });
            }
        }
        self.store = Some(store);
        self.report = Some(report);
        // The rows first: completion lists (43 ms at 2M tuples) are not wanted before
        // the first key, and the worker answers in turn.
        self.refresh();
        self.request(QueryKind::Vocabulary);
        true
    }

    fn command(&mut self, c: Command) -> bool {
        // Quitting works whatever is open or running.
        if c == Command::Quit {
            self.quit = true;
            return true;
        }
        match self.context() {
            Context::Popup => {
                // The help, and details too tall for the screen, scroll like a pane; any
                // other key closes the popup.
                let page = self.areas().main.height.saturating_sub(2) as isize;
                let by = match c {
                    Command::Up => -1,
                    Command::Down => 1,
                    Command::PageUp => -page,
                    Command::PageDown => page,
                    Command::First => isize::MIN / 2,
                    Command::Last => isize::MAX / 2,
                    _ => {
                        self.overlay = Overlay::None;
                        return true;
                    }
                };
                self.scroll_popup(by);
                true
            }
            Context::Picker => self.picker_command(c),
            Context::Filter => self.filter_command(c),
            Context::Panes => self.pane_command(c),
        }
    }

    fn pane_command(&mut self, c: Command) -> bool {
        if c == Command::Help {
            self.overlay = Overlay::Help;
            self.popup_scroll = 0;
            return true;
        }
        if self.store.is_none() {
            return false;
        }
        let page = self.page_height(self.focus) as isize;
        match c {
            Command::NextPane => self.focus = Pane::ORDER[(self.focus.index() + 1) % 4],
            Command::PrevPane => self.focus = Pane::ORDER[(self.focus.index() + 3) % 4],
            Command::Up => self.move_cursor(self.focus, -1),
            Command::Down => self.move_cursor(self.focus, 1),
            Command::PageUp => self.move_cursor(self.focus, -page),
            Command::PageDown => self.move_cursor(self.focus, page),
            Command::First => self.move_cursor(self.focus, isize::MIN / 2),
            Command::Last => self.move_cursor(self.focus, isize::MAX / 2),
            Command::DrillIn => return self.drill_in(),
            Command::Back => return self.back(),
            Command::EditFilter => self.filter.begin(),
            Command::Picker => self.open_picker(),
            Command::SaveFilter => self.save_filter(),
            Command::Details => self.open_details(),
            Command::CycleSort => self.cycle_sort(),
            Command::ReverseSort => self.reverse_sort(),
            Command::CycleTop => {
                // A ranking chosen with `o` stays: by bytes, the next list is its
                // biggest talkers too.
                self.top_mode = self.top_mode.next();
                self.cursors[Pane::Top.index()] = Cursor::default();
                self.refresh();
            }
            _ => return false,
        }
        true
    }

    /// The cursors of `panes` as answers for the filter `new` replace those for `shown`:
    /// each kept for `shown`, and set where it was under `new` when that was seen lately,
    /// else at the top. Another order of the same filter keeps the place.
    fn follow_filter(&mut self, shown: Option<String>, new: &str, panes: &[Pane]) {
        if shown.as_deref() == Some(new) {
            return;
        }
        for &pane in panes {
            let cursor = &mut self.cursors[pane.index()];
            if let Some(old) = &shown {
                self.places.leave(old, pane, *cursor);
            }
            *cursor = self.places.enter(new, pane);
        }
    }

    /// Moves the popup's first line by `by`, within its lines.
    fn scroll_popup(&mut self, by: isize) {
        let main = self.areas().main;
        let room = match self.overlay {
            Overlay::Details(row) => crate::tui::render::details::scroll_room(self, row, main),
            _ => crate::tui::render::help::scroll_room(self, main),
        };
        let at = (self.popup_scroll as usize)
            .saturating_add_signed(by)
            .min(room as usize);
        self.popup_scroll = at as u16;
    }

    fn filter_command(&mut self, c: Command) -> bool {
        match c {
            Command::Accept => {
                // While an answer is on its way the error shown may be for older text;
                // the answer reports it if the kept text is wrong too.
                if let Some(e) = self.filter.error.as_ref().filter(|_| !self.busy()) {
                    self.message = Some(format!("fix the filter first: {e} (Esc restores)"));
                    return true;
                }
                let before = self.filter.kept.clone();
                let kept = self.filter.accept();
                if let Err(e) = self.settings.remember(&kept) {
                    self.message = Some(e);
                }
                self.typed_filter(before);
            }
            Command::Cancel => {
                self.filter.cancel();
                self.refresh();
            }
            Command::Complete | Command::CompleteBack => {
                let back = c == Command::CompleteBack;
                if self.filter.complete(&self.vocabulary, back) {
                    self.refresh();
                }
            }
            Command::HistoryPrev | Command::HistoryNext => {
                let older = c == Command::HistoryPrev;
                if self.filter.browse(&self.settings.history, older) {
                    self.refresh();
                }
            }
            _ => return false,
        }
        true
    }

    /// Pasted text goes into the picker or the filter bar, which it opens if need be: a
    /// filter copied from a note or a chat is the usual paste.
    fn paste(&mut self, text: &str) -> bool {
        if text.is_empty() {
            // Nothing pasted: the filter in force is not opened, let alone replaced.
            return false;
        }
        match &mut self.overlay {
            Overlay::Picker(p) => p.paste(text),
            Overlay::None => {
                if !self.filter.editing {
                    if self.store.is_none() {
                        return false;
                    }
                    self.filter.begin();
                }
                if self.filter.paste(text) {
                    self.refresh();
                }
                true
            }
            _ => false,
        }
    }

    fn input(&mut self, k: KeyEvent) -> bool {
        match &mut self.overlay {
            Overlay::Picker(p) => p.edit(k),
            _ if self.filter.editing => {
                let changed = self.filter.edit(k);
                if changed {
                    self.refresh();
                }
                // The cursor may have moved even when the text did not.
                true
            }
            _ => false,
        }
    }

    /// Asks for the panes' contents for the current filter text.
    pub fn refresh(&mut self) {
        let spec = RefreshSpec {
            filter: self.filter.current().to_string(),
            order: self.order,
            rule_sort: self.rule_sort,
            top: self.top_mode,
            top_sort: self.top_sort(),
        };
        self.request(QueryKind::Refresh(spec));
    }

    pub(super) fn request(&mut self, kind: QueryKind) {
        let Some(store) = &self.store else { return };
        self.generation += 1;
        let slot = match kind {
            QueryKind::Refresh(_) => 0,
            QueryKind::Timeline(_) => 1,
            QueryKind::Vocabulary => 2,
        };
        self.pending[slot] = self.generation;
        self.outbox.push(QueryRequest {
            generation: self.generation,
            store: Arc::clone(store),
            kind,
        });
    }

    fn query_done(&mut self, generation: u64, result: QueryResult) -> bool {
        let slot = match &result {
            QueryResult::Rows(_) | QueryResult::Summary(_) => 0,
            QueryResult::Timeline(_) => 1,
            QueryResult::Vocabulary(_) => 2,
        };
        if generation != self.pending[slot] {
            return false; // stale: a newer request is on its way
        }
        self.received[slot] = generation;
        match result {
            QueryResult::Summary(summary) => {
                let shown = self.summary.as_ref().map(|s| s.filter.clone());
                self.follow_filter(shown, &summary.filter, &[Pane::Rules, Pane::Top]);
                self.summary = Some(summary);
                for pane in [Pane::Rules, Pane::Top] {
                    self.move_cursor(pane, 0);
                }
            }
            QueryResult::Rows(Ok(r)) => {
                if self.filter.editing {
                    self.filter.error = None;
                }
                let shown = self.view.as_ref().map(|v| v.filter.clone());
                self.follow_filter(shown, &r.filter, &[Pane::Flows]);
                self.view = Some(*r);
                self.move_cursor(Pane::Flows, 0);
            }
            QueryResult::Rows(Err((text, e))) => {
                if self.filter.editing {
                    self.filter.error = Some(e);
                } else if text.trim() == self.filter.kept {
                    // Kept before its answer came: the bar must not show it as in force.
                    self.message = Some(format!("fix the filter first: {e} (Esc restores)"));
                    self.filter.reopen(&text, e);
                    self.untype_filter(&text);
                } else {
                    self.message = Some(format!("filter `{text}`: {e}"));
                }
            }
            QueryResult::Timeline(t) => {
                self.timeline = Some(t);
                self.move_cursor(Pane::Timeline, 0);
            }
            QueryResult::Vocabulary(v) => self.vocabulary = *v,
        }
        true
    }

    /// What the Top pane ranks by.
    pub fn top_sort(&self) -> SortBy {
        self.top_sort.unwrap_or(self.top_mode.default_sort())
    }

    /// The Top list of the mode and ranking asked for; `None` while it is being counted
    /// (the list before is another mode's: keys typed meanwhile must not act on it).
    pub fn top_list(&self) -> Option<&TopList> {
        self.summary
            .as_ref()
            .filter(|s| (s.top_mode, s.top_sort) == (self.top_mode, self.top_sort()))
            .map(|s| &s.top)
    }

    fn cycle_sort(&mut self) {
        match self.focus {
            Pane::Timeline => {
                self.message = Some(TIMELINE_ORDER.into());
                return;
            }
            // The Top pane shows counts and bytes: it ranks by one or the other.
            Pane::Top => {
                self.top_sort = Some(match self.top_sort() {
                    SortBy::Tuples => SortBy::Bytes,
                    _ => SortBy::Tuples,
                });
                self.cursors[Pane::Top.index()] = Cursor::default();
            }
            Pane::Rules => {
                self.rule_sort = match self.rule_sort {
                    SortBy::Tuples => SortBy::Bytes,
                    SortBy::Bytes => SortBy::Packets,
                    SortBy::Packets => SortBy::Tuples,
                };
            }
            _ => {
                let cols = &self.settings.columns;
                let next = match self.order.column {
                    None => cols.first().copied(),
                    Some(c) => cols
                        .iter()
                        .position(|x| *x == c)
                        .and_then(|i| cols.get(i + 1).copied()),
                };
                // Past the last column the table goes back to load order.
                self.order.column = next;
            }
        }
        self.refresh();
    }

    fn reverse_sort(&mut self) {
        match self.focus {
            // Reversing Flows from here sorted a pane out of sight.
            Pane::Rules | Pane::Top => {
                self.message = Some("biggest first; o picks the measure".into());
            }
            Pane::Timeline => self.message = Some(TIMELINE_ORDER.into()),
            Pane::Flows => {
                self.order.descending = !self.order.descending;
                self.refresh();
            }
        }
    }

    fn save_filter(&mut self) {
        let text = self.filter.kept.clone();
        if text.is_empty() {
            self.message = Some("no filter to save: type one with /".into());
            return;
        }
        self.message = Some(match self.settings.save_filter(&text) {
            Ok(()) => format!("saved filter `{}`", crate::text::sanitize(&text)),
            Err(e) => e,
        });
    }

    /// The details of the flow under the cursor; elsewhere, a word on where `d` works
    /// (a key that does nothing looks broken).
    fn open_details(&mut self) {
        match self.selected_row() {
            Some(row) => {
                self.overlay = Overlay::Details(row);
                self.popup_scroll = 0;
            }
            None if matches!(self.focus, Pane::Flows | Pane::Timeline) => {
                self.message = Some("no flow here to show the details of".into());
            }
            None => {
                // Short: the status line at 80 columns leaves it about 40.
                self.message = Some("d needs a flow (Flows or a timeline)".into());
            }
        }
    }

    /// The store row under the cursor of the Flows or Timeline pane.
    pub fn selected_row(&self) -> Option<u32> {
        match self.focus {
            Pane::Flows => {
                let rows = &self.view.as_ref()?.rows;
                rows.get(self.store.as_ref()?, self.cursor(Pane::Flows).selected)
            }
            Pane::Timeline => match &self.timeline {
                Some(TimelineResult::Conversation(t)) => t
                    .steps
                    .get(self.cursor(Pane::Timeline).selected)
                    .map(|s| s.row),
                _ => None,
            },
            _ => None,
        }
    }
}

fn mouse_action(m: &MouseEvent) -> Option<Action> {
    let (column, row) = (m.column, m.row);
    match m.kind {
        MouseEventKind::Down(_) => Some(Action::Click { column, row }),
        MouseEventKind::ScrollDown => Some(Action::Scroll {
            column,
            row,
            down: true,
        }),
        MouseEventKind::ScrollUp => Some(Action::Scroll {
            column,
            row,
            down: false,
        }),
        _ => None,
    }
}

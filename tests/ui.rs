//! Whole-screen tests of the explorer: the app is driven with scripted events and data
//! (no threads: queries run synchronously between events) and each screen is compared
//! with an accepted snapshot at 80×24 and 120×40.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flowscope::load::{LoadReport, Problem, ProblemKind, ProgressSnapshot};
use flowscope::model::{Counters, Decision, Direction, FlowState, LogKind, Tuple};
use flowscope::store::{FileInfo, RecordMeta, Store, StoreBuilder};
use flowscope::tui::app::{Action, App, Overlay, Pane};
use flowscope::tui::event::Event;
use flowscope::tui::keys::{Command, Context};
use flowscope::tui::render;
use flowscope::tui::settings::Settings;
use flowscope::tui::worker::{self, QueryRequest, QueryResult};
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::Terminal;
use std::net::IpAddr;
use std::time::Duration;

/// 2024-11-18T08:00:00Z
const T0: i64 = 1_731_916_800_000;

fn tuple(
    secs: i64,
    (src, sport): (&str, u16),
    (dst, dport): (&str, u16),
    decision: Decision,
    state: FlowState,
    bytes: u64,
) -> Tuple {
    let counters = match state {
        FlowState::Begin | FlowState::Deny => Counters::default(),
        _ => Counters {
            packets_out: bytes / 500 + 1,
            bytes_out: bytes,
            packets_in: bytes / 1000 + 1,
            bytes_in: bytes / 2,
        },
    };
    Tuple {
        time_ms: T0 + secs * 1000,
        src: src.parse::<IpAddr>().expect("test address"),
        dst: dst.parse::<IpAddr>().expect("test address"),
        sport,
        dport,
        proto: 6,
        dir: Direction::In,
        decision,
        state: Some(state),
        encryption: None,
        counters,
    }
}

/// An NSG v2 record of `nsg-web` at `T0`.
fn meta(ordinal: u32, offset: u64) -> RecordMeta<'static> {
    RecordMeta {
        ordinal,
        offset,
        kind: LogKind::Nsg,
        version: 2,
        time_ms: T0,
        nsg: Some("nsg-web"),
        flowlog: None,
        target: None,
    }
}

/// A small scenario: RDP brute force denied, one RDP session allowed (B C C E), HTTPS
/// traffic, and a rule name carrying a terminal escape.
fn scenario() -> Store {
    scenario_growing().1
}

/// The scenario's first record as a load would hand it out, and the whole scenario.
fn scenario_growing() -> (Store, Store) {
    let mut b = StoreBuilder::new();
    let file = b.add_file(FileInfo {
        path: "nsg-web/PT1H.json".into(),
        size: 4096,
        ..FileInfo::default()
    });
    b.begin_record(file, &meta(0, 16));
    b.begin_group(
        Some("DefaultRule_DenyAllInBound"),
        Some("000D3AF87856"),
        None,
    );
    for i in 0..40u16 {
        let src = format!("198.51.100.{}", i % 7 + 1);
        b.push(&tuple(
            i as i64 * 90,
            (&src, 40000 + i),
            ("10.0.0.4", 3389),
            Decision::Deny,
            FlowState::Begin,
            0,
        ));
    }
    b.begin_group(Some("UserRule_RDP"), Some("000D3AF87856"), None);
    let rdp = [
        (300, FlowState::Begin, 0),
        (600, FlowState::Continue, 120_000),
        (900, FlowState::Continue, 80_000),
        (1140, FlowState::End, 4_000),
    ];
    for (t, state, bytes) in rdp {
        b.push(&tuple(
            t,
            ("203.0.113.9", 51234),
            ("10.0.0.4", 3389),
            Decision::Allow,
            state,
            bytes,
        ));
    }
    let first = b.snapshot();
    b.begin_record(file, &meta(1, 2048));
    b.begin_group(Some("UserRule_HTTPS"), Some("000D3AF87856"), None);
    for i in 0..12u16 {
        let src = format!("192.0.2.{}", i % 3 + 10);
        b.push(&tuple(
            1200 + i as i64 * 60,
            (&src, 50000 + i),
            ("10.0.0.5", 443),
            Decision::Allow,
            FlowState::End,
            2_000 + i as u64 * 100,
        ));
    }
    b.begin_group(Some("evil\x1b[2Jrule"), Some("000D3AF87856"), None);
    b.push(&tuple(
        2000,
        ("192.0.2.66", 6666),
        ("10.0.0.5", 22),
        Decision::Deny,
        FlowState::Begin,
        0,
    ));
    (first, b.finish())
}

/// Every part of a query's answer, computed synchronously.
fn run(request: &QueryRequest) -> Vec<QueryResult> {
    let mut results = Vec::new();
    worker::execute(request, &|| false, &mut |r| results.push(r));
    results
}

/// The app with scripted input and synchronous queries, settings in a throwaway folder.
struct Harness {
    app: App,
    width: u16,
    height: u16,
    _dir: tempfile::TempDir,
}

impl Harness {
    fn new(width: u16, height: u16) -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let settings = Settings::load(Some(dir.path().to_path_buf()), true);
        Harness {
            app: App::new(settings, Rect::new(0, 0, width, height)),
            width,
            height,
            _dir: dir,
        }
    }

    fn loaded(width: u16, height: u16) -> Harness {
        Harness::with_store(width, height, scenario())
    }

    /// The app after loading `store` from one file.
    fn with_store(width: u16, height: u16, store: Store) -> Harness {
        let mut h = Harness::new(width, height);
        let report = LoadReport {
            files: 1,
            records: store.records().len() as u64,
            tuples: store.len() as u64,
            ..LoadReport::default()
        };
        h.app.handle(Event::Loaded(Box::new(store), report));
        h.settle();
        h
    }

    /// Runs every queued query and feeds its result back, until none is left.
    fn settle(&mut self) {
        loop {
            let requests = self.app.take_requests();
            if requests.is_empty() {
                return;
            }
            for r in requests {
                for result in run(&r) {
                    self.done(r.generation, result);
                }
            }
        }
    }

    fn done(&mut self, generation: u64, mut result: QueryResult) -> bool {
        // Query times vary from run to run; snapshots show 0 ms.
        if let QueryResult::Rows(Ok(r)) = &mut result {
            r.elapsed = Duration::ZERO;
        }
        self.app.handle(Event::QueryDone {
            generation,
            result: Box::new(result),
        })
    }

    fn press(&mut self, code: KeyCode) {
        self.press_with(code, KeyModifiers::NONE);
    }

    /// A key whose queries are left unanswered.
    fn send(&mut self, c: char) {
        self.app.handle(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }

    fn press_with(&mut self, code: KeyCode, mods: KeyModifiers) {
        self.app.handle(Event::Key(KeyEvent::new(code, mods)));
        self.settle();
    }

    /// Focuses the Top pane and switches it to conversations.
    fn show_conversations(&mut self) {
        self.press(KeyCode::Tab);
        for _ in 0..3 {
            self.press(KeyCode::Char('t'));
        }
    }

    /// Types `text` in the filter bar and keeps it.
    fn keep_filter(&mut self, text: &str) {
        self.press(KeyCode::Char('/'));
        self.type_text(text);
        self.press(KeyCode::Enter);
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c));
        }
    }

    fn screen(&self) -> String {
        let mut terminal =
            Terminal::new(TestBackend::new(self.width, self.height)).expect("test terminal");
        terminal.draw(|f| render::draw(f, &self.app)).expect("draw");
        terminal.backend().to_string()
    }
}

/// Snapshots the screen at both sizes after the same script.
fn both_sizes(name: &str, script: impl Fn(&mut Harness)) {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = Harness::loaded(w, h);
        script(&mut harness);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), harness.screen());
    }
}

#[test]
fn loading_screen() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = Harness::new(w, h);
        let status = ProgressSnapshot {
            files_total: 8,
            files_done: 3,
            bytes_total: 900_000_000,
            bytes_done: 412_000_000,
            tuples: 1_204_330,
            found_all: true,
        };
        harness.app.handle(Event::LoadProgress {
            snapshot: status,
            elapsed: Duration::from_millis(800),
        });
        insta::assert_snapshot!(format!("loading_{w}x{h}"), harness.screen());
    }
}

/// Files are read while the folders are searched: until the search ends the totals are
/// what it found so far, and the bar must not pass them off as the whole.
#[test]
fn the_loading_screen_says_while_files_are_still_being_found() {
    let screen = |files_total, found_all| {
        let mut harness = Harness::new(80, 24);
        harness.app.handle(Event::LoadProgress {
            snapshot: ProgressSnapshot {
                files_total,
                files_done: files_total / 2,
                bytes_total: files_total * 400_000,
                bytes_done: files_total * 200_000,
                tuples: files_total * 6_000,
                found_all,
            },
            elapsed: Duration::from_millis(800),
        });
        harness.screen()
    };
    assert!(screen(0, false).contains("finding files…"));
    let finding = screen(3_621, false);
    assert!(
        finding.contains("1,810 of 3,621 files, finding more…"),
        "{finding}"
    );
    let found = screen(3_621, true);
    assert!(found.contains("1,810 of 3,621 files"), "{found}");
    assert!(!found.contains("finding"), "{found}");
}

#[test]
fn flows_pane() {
    both_sizes("flows", |_| {});
}

#[test]
fn flows_pane_says_when_nothing_matches() {
    both_sizes("flows_nothing_matches", |h| {
        h.press(KeyCode::Char('/'));
        h.type_text("dport == 1");
        h.press(KeyCode::Enter);
    });
}

#[test]
fn flows_sorted_by_bytes_descending() {
    both_sizes("flows_sorted", |h| {
        // Time is the first column and the default order: seven steps reach bytes.
        for _ in 0..7 {
            h.press(KeyCode::Char('o'));
        }
        h.press(KeyCode::Char('O'));
    });
}

#[test]
fn rules_pane() {
    both_sizes("rules", |h| {
        h.press(KeyCode::BackTab);
        h.press(KeyCode::Char('j'));
    });
}

#[test]
fn top_conversations_pane() {
    both_sizes("conversations", |h| {
        h.show_conversations();
    });
}

/// A conversation takes two lines, its destination under its source: at 80 columns, on
/// one line, the destination had no room at all. Moving and clicking count
/// conversations, not lines, and the selection stays on screen.
#[test]
fn narrow_conversations_take_two_lines_and_are_moved_through_whole() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut h = Harness::loaded(80, 24);
    h.show_conversations();
    let top = h.app.areas().top;
    // Eight lines under the header: four conversations.
    assert_eq!(h.app.page_height(Pane::Top), 4);
    let lines_of = |h: &Harness| -> Vec<String> {
        let screen = h.screen();
        let lines: Vec<&str> = screen.lines().collect();
        (top.y + 2..top.y + top.height - 1)
            .map(|y| {
                let line = lines[y as usize].trim_matches('"');
                line.chars()
                    .skip(1)
                    .take(top.width as usize - 2)
                    .collect::<String>()
            })
            .collect()
    };
    let first = lines_of(&h);
    assert!(first[0].starts_with("203…3.9:51234→"), "{first:?}");
    assert!(first[1].starts_with(" 10.0.0.4:3389"), "{first:?}");
    for _ in 0..4 {
        h.press(KeyCode::Char('j'));
    }
    assert_eq!(h.app.cursor(Pane::Top).selected, 4);
    let moved = lines_of(&h);
    // The fifth conversation is on screen, the view scrolled by one conversation.
    assert_eq!(moved[0], first[2], "{moved:?}");
    assert_eq!(moved[1], first[3], "{moved:?}");
    // A click on the destination line of the second conversation shown selects it.
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: top.x + 3,
        row: top.y + 2 + 3,
        modifiers: KeyModifiers::NONE,
    };
    h.app.handle(Event::Mouse(click));
    assert_eq!(h.app.cursor(Pane::Top).selected, 2);
}

/// The same flow logged on two interfaces is two conversations with the same endpoints:
/// each shows its interface's MAC at the end of its second line, and only those do, also
/// where its twin is off screen.
#[test]
fn a_flow_logged_on_two_interfaces_shows_each_interface() {
    let smb = (("10.0.1.4", 50377), ("10.0.2.5", 445));
    let web = |port| (("10.0.1.4", port), ("198.51.100.23", 443));
    // By bytes: the SMB flow first, then three web ones, then the SMB flow again where
    // `first` is false (four conversations fit on screen).
    let nics_shown = |first: bool| {
        let mut b = StoreBuilder::new();
        let file = b.add_file(FileInfo::default());
        b.begin_record(file, &meta(0, 0));
        let smb_bytes = if first { 9_000_000 } else { 5_000_000 };
        let conversations = [
            ("000D3A4F1C21", smb, smb_bytes),
            ("000D3A4F2E35", smb, smb_bytes),
            ("000D3A4F1C21", web(50644), 8_000_000),
            ("000D3A4F1C21", web(50645), 7_000_000),
            ("000D3A4F1C21", web(50646), 6_000_000),
        ];
        for (mac, (src, dst), bytes) in conversations {
            b.begin_group(Some("UserRule_Allow"), Some(mac), None);
            for (secs, state, bytes) in [(0, FlowState::Begin, 0), (60, FlowState::End, bytes)] {
                b.push(&tuple(secs, src, dst, Decision::Allow, state, bytes));
            }
        }
        let mut h = Harness::with_store(80, 24, b.finish());
        h.show_conversations();
        let screen = h.screen();
        let top = h.app.areas().top;
        // The second line of each conversation: its destination, then the MAC if any.
        let nics: Vec<String> = screen
            .lines()
            .skip(top.y as usize + 3)
            .step_by(2)
            .take(4)
            .map(|l| {
                let inside: String = l
                    .trim_matches('"')
                    .chars()
                    .take(top.width as usize)
                    .collect();
                let words: Vec<&str> = inside.trim_matches(['│', '┃']).split_whitespace().collect();
                assert!(
                    words[0].ends_with(":445") || words[0].ends_with("0.23:443"),
                    "{screen}"
                );
                words.get(1).unwrap_or(&"").to_string()
            })
            .collect();
        nics
    };
    let first = nics_shown(true);
    assert_eq!(first[2..], ["", ""]);
    let mut twins = first[..2].to_vec();
    twins.sort();
    assert_eq!(twins, ["…4F1C21", "…4F2E35"]);
    let last = nics_shown(false);
    assert_eq!(last[..3], ["", "", ""]);
    assert!(last[3] == "…4F1C21" || last[3] == "…4F2E35", "{last:?}");
}

/// Keys typed while the Top pane counts its new mode act on nothing: the list on screen
/// until then is the mode before's. `G` went to the end of the sources and stayed there
/// in the conversations, and `Enter` on the conversations, with sources asked for,
/// opened a conversation's timeline.
#[test]
fn keys_wait_for_the_top_list_of_the_mode_asked_for() {
    let enter = |h: &mut Harness| {
        h.app.handle(Event::Key(KeyEvent::new(
            KeyCode::Enter,
            KeyModifiers::NONE,
        )));
    };
    let mut h = Harness::loaded(80, 24);
    h.press(KeyCode::Tab);
    assert_eq!(h.app.focus, Pane::Top);
    for c in ['t', 't', 't', 'G'] {
        h.send(c);
    }
    assert_eq!(h.app.cursor(Pane::Top).selected, 0);
    h.settle();
    assert_eq!(h.app.cursor(Pane::Top).selected, 0);
    assert!(h.screen().contains("Conversations (t)"));
    h.press(KeyCode::Char('G'));
    let last = h.app.pane_len(Pane::Top) - 1;
    assert_eq!(h.app.cursor(Pane::Top).selected, last);
    // Back to sources, not yet counted: the conversations on screen are not drilled into.
    h.send('t');
    enter(&mut h);
    assert!(
        h.app.timeline.is_none(),
        "nothing to drill into while counting"
    );
    assert!(h.app.crumbs.is_empty());
}

/// A click on the line left under the last two-line entry selects nothing: it selected
/// the next entry, off screen.
#[test]
fn a_click_below_the_last_entry_selects_nothing() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let (mut h, spare) = (24..40)
        .map(|height| Harness::loaded(80, height))
        .find_map(|h| {
            let top = h.app.areas().top;
            let lines = top.height.saturating_sub(3);
            (lines % 2 == 1).then_some((h, top.y + 2 + lines - 1))
        })
        .expect("a height with a spare line");
    h.show_conversations();
    let top = h.app.areas().top;
    let click = |row| {
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: top.x + 3,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    h.app.handle(click(spare));
    assert_eq!(h.app.cursor(Pane::Top).selected, 0);
    assert_eq!(h.app.cursor(Pane::Top).offset, 0);
    h.app.handle(click(spare - 1));
    assert_eq!(
        h.app.cursor(Pane::Top).selected,
        h.app.page_height(Pane::Top) - 1
    );
}

/// The Top list holds the biggest 500: where it is full, its bottom border says so, at
/// 80 columns too.
#[test]
fn a_full_top_list_says_it_holds_the_biggest_500() {
    let mut b = one_group("UserRule_Allow", "000D3A4F1C21");
    for port in 0..501u16 {
        let src = ("10.0.1.4", 40000 + port);
        let dst = ("10.0.2.5", 445);
        b.push(&tuple(0, src, dst, Decision::Allow, FlowState::Begin, 0));
    }
    let full = b.finish();
    let cases = [
        (full.clone(), (120, 40), true),
        (full, (80, 24), true),
        (scenario(), (120, 40), false),
    ];
    for (store, (width, height), said) in cases {
        let mut h = Harness::with_store(width, height, store);
        h.show_conversations();
        let screen = h.screen();
        assert_eq!(screen.contains(" 500 biggest "), said, "{screen}");
        assert!(screen.contains("Conversations (t)"), "{screen}");
    }
}

/// Conversations ranked by tuples show their tuple counts; a mode switched to but not
/// yet counted shows no list of the mode before.
#[test]
fn the_top_pane_shows_what_it_is_ranked_by_and_no_list_of_another_mode() {
    let mut h = Harness::loaded(120, 40);
    h.show_conversations();
    let top_header = |h: &Harness| {
        let screen = h.screen();
        let line = screen
            .lines()
            .find(|l| l.contains("key") && l.contains("bytes"))
            .map(str::to_string);
        (screen, line)
    };
    let (screen, line) = top_header(&h);
    assert!(line.is_some_and(|l| l.contains("states")), "{screen}");
    // `o` ranks the conversations by tuples, then by bytes again.
    h.press(KeyCode::Char('o'));
    let (screen, line) = top_header(&h);
    assert!(screen.contains("Conversations by tuples"), "{screen}");
    assert!(
        line.is_some_and(|l| l.contains("tuples") && !l.contains("states")),
        "{screen}"
    );
    h.press(KeyCode::Char('o'));
    let (screen, line) = top_header(&h);
    assert!(line.is_some_and(|l| l.contains("states")), "{screen}");
    // Ranked another way, its answer not yet in.
    h.send('o');
    let screen = h.screen();
    assert!(screen.contains("Conversations by tuples"), "{screen}");
    assert!(screen.contains("counting…"), "{screen}");
    h.settle();
    // Back to the first mode, its answer not yet in.
    h.send('t');
    let screen = h.screen();
    assert!(screen.contains("counting…"), "{screen}");
    assert!(
        !screen.contains("→"),
        "a conversation under another title:\n{screen}"
    );
}

/// In a narrow pane the timeline drops columns from the right rather than cut its
/// times, and its axis labels keep a space between them or show the first alone.
#[test]
fn a_narrow_timeline_keeps_whole_times() {
    for (w, h) in [(60, 20), (40, 12), (50, 16)] {
        let mut harness = Harness::loaded(w, h);
        harness.keep_filter("sport == 51234");
        harness.press(KeyCode::Enter);
        let screen = harness.screen();
        let times: Vec<&str> = screen
            .lines()
            .filter_map(|l| l.split('┃').nth(1))
            .filter(|l| l.starts_with("08:"))
            .collect();
        assert!(!times.is_empty(), "{w}x{h}:\n{screen}");
        for line in &times {
            let time = line.split(' ').next().unwrap();
            assert_eq!(time.len(), 8, "{w}x{h}: {line:?}\n{screen}");
        }
        assert!(
            !screen.contains(":0008:"),
            "{w}x{h}: labels run together\n{screen}"
        );
    }
}

#[test]
fn conversation_timeline() {
    both_sizes("timeline", |h| {
        h.type_text("/");
        h.type_text("sport == 51234");
        h.press(KeyCode::Enter);
        h.press(KeyCode::Enter);
    });
}

#[test]
fn a_timeline_of_one_step_says_so_in_the_singular() {
    let mut h = Harness::loaded(120, 40);
    h.type_text("/");
    h.type_text("sport == 40000");
    h.press(KeyCode::Enter);
    h.press(KeyCode::Enter);
    let screen = h.screen();
    assert!(screen.contains(" · 1 step "), "{screen}");
}

/// A rule hit over several days shows the date at both ends of its span, with clock
/// times where they fit.
/// One record of allowed RDP begins from one client, at `hits` (rule, seconds from the
/// scenario's start); a group a hit.
fn rdp_hits(hits: &[(&str, i64)]) -> Store {
    let mut b = StoreBuilder::new();
    let file = b.add_file(FileInfo::default());
    b.begin_record(file, &meta(0, 0));
    for &(rule, secs) in hits {
        b.begin_group(Some(rule), Some("000D3AF87856"), None);
        let (hop, to) = (("203.0.113.9", 51234), ("10.0.0.4", 3389));
        b.push(&tuple(secs, hop, to, Decision::Allow, FlowState::Begin, 0));
    }
    b.finish()
}

#[test]
fn a_rule_within_a_day_of_a_load_over_days_is_dated() {
    // The selected rule's hits are an hour apart on the first day; another rule's come
    // three days later.
    let store = rdp_hits(&[
        ("UserRule_RDP", 0),
        ("UserRule_RDP", 3_600),
        ("Other", 3 * 86_400),
    ]);
    let h = Harness::with_store(120, 40, store);
    let screen = h.screen();
    assert!(screen.contains("11-18 08:00"), "{screen}");
    assert!(!screen.contains(" 08:00:00–09:00:00"), "{screen}");
}

#[test]
fn a_rule_span_over_days_dates_both_ends() {
    let store = rdp_hits(&[("UserRule_RDP", 0), ("UserRule_RDP", 3 * 86_400 + 3_600)]);
    for ((width, height), want) in [
        ((120, 40), "11-18 08:00–11-21 09:00"),
        ((80, 24), " 11-18–11-21 "),
    ] {
        let h = Harness::with_store(width, height, store.clone());
        let screen = h.screen();
        assert!(screen.contains(want), "{screen}");
    }
}

/// Flows over several days keep their seconds where every column fits with them, so
/// that flows of one minute can be told apart; at 80 columns they give them up first.
#[test]
fn flows_over_days_keep_seconds_where_they_fit() {
    let rdp = "UserRule_RDP";
    let store = rdp_hits(&[(rdp, 1), (rdp, 17), (rdp, 2 * 86_400 + 42)]);
    let wide = Harness::with_store(120, 40, store.clone()).screen();
    for row in ["11-18 08:00:01", "11-18 08:00:17", "11-20 08:00:42"] {
        assert!(wide.contains(row), "{wide}");
    }
    let narrow = Harness::with_store(80, 24, store).screen();
    assert!(
        narrow.contains("11-18 08:00 ") && !narrow.contains("08:00:17"),
        "{narrow}"
    );
}

#[test]
fn an_empty_load_says_why_in_the_status_line() {
    let mut h = Harness::new(120, 40);
    let report = LoadReport {
        skipped_files: 1,
        problems: vec![Problem {
            file: "PT1H.json.gz".into(),
            kind: ProblemKind::NotFlowLog,
            detail: "gzip-compressed".into(),
            count: 1,
        }],
        ..LoadReport::default()
    };
    h.app.handle(Event::Loaded(
        Box::new(StoreBuilder::new().finish()),
        report,
    ));
    h.settle();
    let screen = h.screen();
    assert!(
        screen.contains("nothing readable: PT1H.json.gz: gzip-compressed"),
        "{screen}"
    );
}

#[test]
fn rule_histogram() {
    both_sizes("histogram", |h| {
        h.press(KeyCode::BackTab);
        h.press(KeyCode::Enter);
    });
}

/// A rule without a hit under the filter: its chart says so and gives no peak (a scale
/// of nothing, over the whole load's span, read as "peak 0 per 165 ms").
#[test]
fn a_hits_chart_without_hits_gives_no_peak() {
    let mut h = Harness::loaded(120, 40);
    h.keep_filter("dport == 22");
    h.press_with(KeyCode::Char('p'), KeyModifiers::CONTROL);
    h.type_text("UserRule_RDP");
    h.press(KeyCode::Enter);
    let screen = h.screen();
    assert!(
        screen.contains("Hits over time: rule UserRule_RDP"),
        "{screen}"
    );
    assert!(screen.contains("0 tuples"), "{screen}");
    assert!(!screen.contains("peak"), "{screen}");
}

/// A config problem is cut on the status line; the help gives it whole. And a help text
/// too long for its line goes on under its own column, not under the keys.
#[test]
fn the_help_gives_config_problems_whole_and_wraps_under_its_text() {
    let problem = "config /home/someone/.config/flowscope/config.toml: unknown variant `neon`, \
                   expected one of `dark`, `light`, `high-contrast`; using defaults";
    let mut h = Harness::loaded(100, 40);
    h.app.settings.problems.push(problem.to_string());
    h.press(KeyCode::Char('?'));
    let screen = h.screen();
    // Its end too, which the status line has no room for.
    for part in [
        "config.toml: unknown",
        "expected one of",
        "`high-contrast`; using defaults",
    ] {
        assert!(screen.contains(part), "{part}:\n{screen}");
    }
    let mut h = Harness::loaded(40, 30);
    h.press(KeyCode::Char('?'));
    let screen = h.screen();
    let quit = screen
        .lines()
        .position(|l| l.contains("quit (also"))
        .expect("the quit line");
    let next = screen.lines().nth(quit + 1).expect("a line after");
    let text_column = screen.lines().nth(quit).unwrap().find("quit").unwrap();
    let continued = next.find(|c: char| c.is_alphanumeric()).unwrap_or(0);
    assert_eq!(continued, text_column, "{screen}");
}

/// Scrolling reaches the help's last line at every size, its texts wrapped or not.
#[test]
fn the_help_scrolls_to_its_last_line() {
    for (w, h) in [(40, 12), (60, 20), (80, 24)] {
        let mut harness = Harness::loaded(w, h);
        harness.press(KeyCode::Char('?'));
        harness.press(KeyCode::End);
        let screen = harness.screen();
        let last = screen
            .lines()
            .rev()
            .find(|l| l.contains('│') && l.split('│').nth(1).is_some_and(|t| !t.trim().is_empty()))
            .unwrap_or_default();
        assert!(last.contains("close"), "{w}x{h}: {last}\n{screen}");
    }
}

#[test]
fn help_popup() {
    both_sizes("help", |h| h.press(KeyCode::Char('?')));
}

#[test]
fn help_popup_scrolls_on_small_terminals() {
    let mut h = Harness::loaded(80, 24);
    h.press(KeyCode::Char('?'));
    for _ in 0..100 {
        h.press(KeyCode::Char('j'));
    }
    insta::assert_snapshot!("help_scrolled_80x24", h.screen());
    // G, g and the page keys move it as they move a pane: to the same end, and back.
    let end = h.screen();
    h.press(KeyCode::Char('g'));
    assert_ne!(h.screen(), end, "g goes back to the top");
    h.press(KeyCode::Char('G'));
    assert_eq!(h.screen(), end, "G reaches the end j did");
    h.press(KeyCode::PageUp);
    assert_ne!(h.screen(), end, "PgUp moves up");
    h.press(KeyCode::PageDown);
    assert_eq!(h.screen(), end, "PgDn comes back down");
    assert!(h.screen().contains("help"), "still open");
}

#[test]
fn picker_popup() {
    both_sizes("picker", |h| {
        h.press(KeyCode::Char(':'));
        h.type_text("rdp");
    });
}

#[test]
fn filter_error() {
    both_sizes("filter_error", |h| {
        h.press(KeyCode::Char('/'));
        h.type_text("dport == 33x9");
    });
}

#[test]
fn details_popup() {
    both_sizes("details", |h| h.press(KeyCode::Char('d')));
}

/// Too short for the details in two columns: one column that scrolls to the last line,
/// where the file is, and back, every value whole.
#[test]
fn details_popup_scrolls_on_short_terminals() {
    let mut h = Harness::loaded(80, 14);
    h.press(KeyCode::Char('d'));
    let top = h.screen();
    assert!(top.contains("Flow details (↑↓ scroll"), "{top}");
    assert!(top.contains("│time ") && !top.contains("│file "), "{top}");
    h.press(KeyCode::Char('G'));
    let end = h.screen();
    assert!(end.contains("│file ") && !end.contains("│time "), "{end}");
    for _ in 0..100 {
        h.press(KeyCode::Char('j'));
    }
    assert_eq!(h.screen(), end, "j stops at the end G reached");
    h.press(KeyCode::Char('k'));
    assert_ne!(h.screen(), end, "k moves up at once from the end");
    h.press(KeyCode::Char('g'));
    assert_eq!(h.screen(), top, "g goes back to the top");
    h.press(KeyCode::Esc);
    h.press(KeyCode::Char('d'));
    assert_eq!(h.screen(), top, "opened again, it starts at the top");
}

#[test]
fn hostile_rule_names_never_reach_the_terminal() {
    let mut h = Harness::loaded(120, 40);
    h.press(KeyCode::BackTab);
    let screen = h.screen();
    assert!(!screen.contains('\x1b'), "raw escape on screen");
    assert!(screen.contains("evil\u{FFFD}[2Jrule"), "{screen}");
}

#[test]
fn drilling_into_a_rule_and_back_restores_the_filter() {
    let mut h = Harness::loaded(120, 40);
    let all = h.app.view.as_ref().map(|v| v.rows.count());
    h.press(KeyCode::BackTab);
    assert_eq!(h.app.focus, Pane::Rules);
    h.press(KeyCode::Enter);
    assert_eq!(h.app.focus, Pane::Flows);
    assert_eq!(h.app.crumbs.len(), 1);
    assert!(
        h.app.filter.kept.contains("rule =="),
        "{}",
        h.app.filter.kept
    );
    let narrowed = h.app.view.as_ref().map(|v| v.rows.count());
    assert!(narrowed < all, "{narrowed:?} vs {all:?}");
    h.press(KeyCode::Enter); // a flow → its conversation
    assert_eq!(h.app.focus, Pane::Timeline);
    assert_eq!(h.app.crumbs.len(), 2);
    h.press(KeyCode::Backspace);
    assert_eq!(h.app.focus, Pane::Flows);
    h.press(KeyCode::Esc);
    assert_eq!(h.app.crumbs.len(), 0);
    assert_eq!(h.app.filter.kept, "");
    assert_eq!(h.app.focus, Pane::Rules);
    assert_eq!(h.app.view.as_ref().map(|v| v.rows.count()), all);
}

/// A filter typed while drilled in is a step of its own: the breadcrumb names it, the
/// hits over time follow it, and Backspace goes back to the drill-in it was typed over.
#[test]
fn a_filter_typed_while_drilled_in_is_a_step_that_backspace_undoes() {
    let mut h = Harness::loaded(120, 40);
    h.press(KeyCode::BackTab);
    h.press(KeyCode::Enter);
    let drilled = h.app.filter.kept.clone();
    let rule_screen = h.screen();
    assert!(
        rule_screen.contains("Hits over time: rule"),
        "{rule_screen}"
    );
    h.press(KeyCode::Char('/'));
    h.type_text("udp");
    h.press(KeyCode::Enter);
    assert_eq!(h.app.filter.kept, "udp");
    assert_eq!(h.app.crumbs.len(), 2);
    let screen = h.screen();
    assert!(screen.contains("› filter udp"), "{screen}");
    assert!(screen.contains("Hits over time: filter udp"), "{screen}");
    h.press(KeyCode::Backspace);
    assert_eq!(h.app.filter.kept, drilled);
    assert_eq!(h.app.crumbs.len(), 1);
    assert_eq!(h.screen(), rule_screen, "back where the filter was typed");
    // Kept again unchanged, a filter is no new step.
    h.press(KeyCode::Char('/'));
    h.press(KeyCode::End);
    h.press(KeyCode::Enter);
    assert_eq!(h.app.crumbs.len(), 1);
}

/// Wide characters before an error: the caret is still under it.
#[test]
fn the_filter_caret_sits_under_the_error_after_wide_characters() {
    let mut h = Harness::loaded(120, 40);
    h.press(KeyCode::Char('/'));
    h.type_text("rule == \"日本語\" and dprt == 1");
    let screen = h.screen();
    let lines: Vec<&str> = screen.lines().collect();
    let text = lines
        .iter()
        .rposition(|l| l.contains("dprt"))
        .expect("filter line");
    // A wide character's second cell is left out of the screen's text: columns are
    // display widths.
    let column =
        |line: &str, needle: &str| flowscope::text::width(&line[..line.find(needle).unwrap()]);
    assert_eq!(
        column(lines[text - 1], "^"),
        column(lines[text], "dprt"),
        "{screen}"
    );
}

/// `d` away from a flow says where it works rather than doing nothing.
#[test]
fn details_away_from_a_flow_say_where_they_work() {
    let mut h = Harness::loaded(80, 24);
    h.press(KeyCode::BackTab);
    h.press(KeyCode::Char('d'));
    let screen = h.screen();
    assert!(
        screen.contains("d needs a flow (Flows or a timeline)"),
        "{screen}"
    );
    assert!(matches!(h.app.overlay, Overlay::None));
}

/// A narrow Timeline pane wraps its hint at words rather than cutting it.
#[test]
fn the_timeline_hint_wraps_at_words_in_a_narrow_pane() {
    let screen = Harness::loaded(60, 20).screen();
    assert!(screen.contains("shows its timeline;"), "{screen}");
    assert!(screen.contains("time."), "{screen}");
}

/// The empty Timeline's hint leaves no word alone on a line where the pane is too
/// narrow for its first sentence: at 66 columns `timeline;` stood on a line of its own.
#[test]
fn the_timeline_hint_wraps_as_one_paragraph_when_narrow() {
    for width in [60, 66, 72, 80, 120] {
        let h = Harness::loaded(width, 24);
        let screen = h.screen();
        let line = screen
            .lines()
            .find(|l| l.contains("timeline;"))
            .unwrap_or_else(|| panic!("the hint at {width} columns:\n{screen}"));
        // Within the Timeline pane's borders, the word has others beside it.
        let inside = line
            .split(['│', '┃'])
            .find(|part| part.contains("timeline;"))
            .unwrap_or_default();
        assert_ne!(inside.trim(), "timeline;", "at {width} columns:\n{screen}");
    }
}

#[test]
fn enter_keeps_a_filter_and_esc_restores_it() {
    let mut h = Harness::loaded(80, 24);
    h.press(KeyCode::Char('/'));
    h.type_text("deny");
    h.press(KeyCode::Enter);
    assert_eq!(h.app.filter.kept, "deny");
    let kept_rows = h.app.view.as_ref().map(|v| v.rows.count());
    h.press(KeyCode::Char('/'));
    h.type_text(" and dport == 22");
    assert_ne!(h.app.view.as_ref().map(|v| v.rows.count()), kept_rows);
    h.press(KeyCode::Esc);
    assert!(!h.app.filter.editing);
    assert_eq!(h.app.filter.kept, "deny");
    assert_eq!(h.app.view.as_ref().map(|v| v.rows.count()), kept_rows);
    // The kept filter went to the history: Up brings it back.
    h.press(KeyCode::Char('/'));
    h.press_with(KeyCode::Char('u'), KeyModifiers::CONTROL);
    h.press(KeyCode::Up);
    assert_eq!(h.app.filter.input.value(), "deny");
}

#[test]
fn an_invalid_filter_cannot_be_kept() {
    let mut h = Harness::loaded(80, 24);
    h.press(KeyCode::Char('/'));
    let text = "dport == 33x9";
    h.type_text(text);
    let error = h.app.filter.error.clone().expect("a filter error");
    // DESIGN.md: the caret goes under the `x`.
    assert_eq!(Some(error.position), text.find('x'));
    h.press(KeyCode::Enter);
    assert!(h.app.filter.editing, "an invalid filter was kept");
}

#[test]
fn the_status_line_tells_sorting_from_filtering_while_either_runs() {
    let mut h = Harness::loaded(120, 40);
    let status = |h: &Harness| h.screen().lines().last().unwrap_or_default().to_string();
    // `o` asks for the same rows in another order; nothing has answered yet.
    h.send('o');
    assert!(status(&h).contains("sorting…"), "{}", status(&h));
    h.settle();
    assert!(!status(&h).contains('…'), "{}", status(&h));
    // A new filter is filtering, whatever the order.
    h.press(KeyCode::Char('/'));
    h.send('t');
    assert!(status(&h).contains("filtering…"), "{}", status(&h));
    h.settle();
    assert!(!status(&h).contains('…'), "{}", status(&h));
}

#[test]
fn stale_query_results_are_dropped() {
    let mut h = Harness::loaded(80, 24);
    h.press(KeyCode::Char('/'));
    h.send('t');
    let older = h.app.take_requests();
    "cp".chars().for_each(|c| h.send(c));
    let newer = h.app.take_requests();
    let newest = newer.last().expect("a newer request");
    for result in run(newest) {
        assert!(h.done(newest.generation, result));
    }
    assert_eq!(h.app.view.as_ref().map(|v| v.filter.as_str()), Some("tcp"));
    for r in &older {
        for result in run(r) {
            assert!(!h.done(r.generation, result), "a stale result was applied");
        }
    }
    assert_eq!(h.app.view.as_ref().map(|v| v.filter.as_str()), Some("tcp"));
    // Work that learns it is stale stops without a result.
    let mut late = Vec::new();
    worker::execute(&older[0], &|| true, &mut |r| late.push(r));
    assert!(
        late.is_empty(),
        "stale work produced {} results",
        late.len()
    );
}

#[test]
fn quit_works_while_loading_and_popups_close() {
    let mut h = Harness::new(80, 24);
    h.press(KeyCode::Char('?'));
    assert!(matches!(h.app.overlay, Overlay::Help));
    h.press(KeyCode::Esc);
    assert!(matches!(h.app.overlay, Overlay::None));
    h.app.update(Action::Command(Command::Quit));
    assert!(h.app.quit);
}

#[test]
fn enter_keeps_new_text_while_an_older_error_is_still_shown() {
    let mut h = Harness::loaded(80, 24);
    h.press(KeyCode::Char('/'));
    h.type_text("dport >");
    assert!(
        h.app.filter.error.is_some(),
        "an incomplete filter is an error"
    );
    // An error with no newer answer pending keeps the bar open.
    h.press(KeyCode::Enter);
    assert!(h.app.filter.editing);
    // Typed but not answered yet: the error shown is for the older text.
    for c in " 22".chars() {
        h.app.handle(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }
    assert!(h.app.busy() && h.app.filter.error.is_some());
    h.press(KeyCode::Enter);
    assert!(!h.app.filter.editing, "Enter was refused for a stale error");
    assert_eq!(h.app.filter.kept, "dport > 22");
    assert_eq!(
        h.app.view.as_ref().map(|v| v.filter.as_str()),
        Some("dport > 22")
    );
}

#[test]
fn ctrl_c_quits_from_the_filter_bar_the_picker_and_a_popup() {
    let ctrl_c = || Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    for opener in ['/', ':', '?'] {
        let mut h = Harness::loaded(80, 24);
        h.press(KeyCode::Char(opener));
        assert!(
            !matches!(h.app.context(), Context::Panes),
            "{opener} opened nothing"
        );
        h.app.handle(ctrl_c());
        assert!(h.app.quit, "Ctrl-C after {opener} did not quit");
    }
}

#[test]
fn a_broken_config_is_reported_in_the_status_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("config.toml"), "theme = [").expect("write config");
    let settings = Settings::load(Some(dir.path().to_path_buf()), true);
    let app = App::new(settings, Rect::new(0, 0, 120, 40));
    let h = Harness {
        app,
        width: 120,
        height: 40,
        _dir: dir,
    };
    let screen = h.screen();
    assert!(screen.contains("using defaults"), "{screen}");
}

#[test]
fn saving_a_filter_offers_it_in_the_picker() {
    let mut h = Harness::loaded(120, 40);
    h.press(KeyCode::Char('/'));
    h.type_text("dport == 443");
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('s'));
    assert_eq!(h.app.settings.saved, vec!["dport == 443".to_string()]);
    h.press(KeyCode::Char(':'));
    h.type_text("443");
    h.press(KeyCode::Enter);
    assert_eq!(h.app.filter.kept, "dport == 443");
}

#[test]
fn mouse_click_focuses_and_selects() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut h = Harness::loaded(120, 40);
    let flows = h.app.areas().flows;
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: flows.x + 5,
        row: flows.y + 4,
        modifiers: KeyModifiers::NONE,
    };
    h.app.handle(Event::Mouse(click));
    assert_eq!(h.app.focus, Pane::Flows);
    assert_eq!(h.app.cursor(Pane::Flows).selected, 2);
    let wheel = MouseEvent {
        kind: MouseEventKind::ScrollDown,
        ..click
    };
    h.app.handle(Event::Mouse(wheel));
    assert_eq!(h.app.cursor(Pane::Flows).selected, 5);
}

#[test]
fn no_color_means_no_colours_at_all() {
    use ratatui::style::Color;
    let colours_used = |no_color: bool| {
        let mut h = Harness::loaded(120, 40);
        h.app.settings.no_color = no_color;
        h.press(KeyCode::BackTab);
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
        terminal.draw(|f| render::draw(f, &h.app)).expect("draw");
        let buffer = terminal.backend().buffer().clone();
        buffer
            .content()
            .iter()
            .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
            .count()
    };
    assert_eq!(colours_used(true), 0);
    assert!(colours_used(false) > 0, "the default theme has colours");
}

#[test]
fn panes_fill_while_loading_goes_on() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = Harness::new(w, h);
        let store = scenario();
        let rows = store.len();
        harness.app.handle(Event::Partial(Box::new(store)));
        harness.settle();
        harness.app.handle(Event::LoadProgress {
            snapshot: ProgressSnapshot {
                files_total: 8,
                files_done: 3,
                bytes_total: 900_000_000,
                bytes_done: 412_000_000,
                tuples: rows as u64,
                found_all: true,
            },
            elapsed: Duration::from_millis(800),
        });
        let screen = harness.screen();
        assert!(harness.app.loading(), "still loading");
        assert!(
            screen.contains(&format!("Flows ({rows} of the first {rows} read)")),
            "the Flows pane shows the partial store, and that more is coming:\n{screen}"
        );
        assert!(screen.contains("Loading (q cancels)"), "{screen}");
        insta::assert_snapshot!(format!("loading_partial_{w}x{h}"), screen);
    }
}

/// A bigger store arriving while the rows of the last are still shown: the title counts
/// the rows against the store they were chosen from, not the new one, until the new
/// answer comes.
#[test]
fn flows_count_against_the_store_their_rows_come_from() {
    let (first, whole) = scenario_growing();
    let (a, b) = (first.len(), whole.len());
    assert!(a < b);
    let mut harness = Harness::new(120, 40);
    harness.app.handle(Event::Partial(Box::new(first)));
    harness.settle();
    harness.app.handle(Event::Partial(Box::new(whole)));
    let screen = harness.screen();
    assert!(
        screen.contains(&format!("Flows ({a} of the first {a} read)")),
        "{screen}"
    );
    harness.settle();
    let screen = harness.screen();
    assert!(
        screen.contains(&format!("Flows ({b} of the first {b} read)")),
        "{screen}"
    );
    // Loading ends with a bigger store: until its answer comes, the rows are still
    // the preview's, and the title says so.
    let (first, whole) = scenario_growing();
    let mut harness = Harness::new(120, 40);
    harness.app.handle(Event::Partial(Box::new(first)));
    harness.settle();
    let report = LoadReport {
        files: 1,
        tuples: b as u64,
        ..LoadReport::default()
    };
    harness.app.handle(Event::Loaded(Box::new(whole), report));
    let screen = harness.screen();
    assert!(
        screen.contains(&format!("Flows ({a} of the first {a} read)")),
        "{screen}"
    );
    harness.settle();
    assert!(harness.screen().contains(&format!("Flows ({b} of {b})")));
}

/// The Flows columns fit every row the filter chose, not the page on screen: paging
/// keeps the header (it changed form and width from page to page).
#[test]
fn paging_through_flows_keeps_the_columns() {
    // Wide endpoints first in time, narrow ones after: pages of one and of the other.
    let store = || {
        let mut b = StoreBuilder::new();
        let file = b.add_file(FileInfo {
            path: "nsg/PT1H.json".into(),
            ..FileInfo::default()
        });
        b.begin_record(file, &meta(0, 16));
        b.begin_group(Some("UserRule_Wide"), Some("000D3AF87856"), None);
        for i in 0..60u16 {
            let (src, dst) = match i < 30 {
                true => (("198.51.100.200", 40000 + i), ("203.0.113.250", 3389)),
                false => (("10.0.0.1", i), ("10.0.0.2", 22)),
            };
            b.push(&tuple(
                i as i64 * 60,
                src,
                dst,
                Decision::Allow,
                FlowState::Begin,
                0,
            ));
        }
        b.finish()
    };
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = Harness::new(w, h);
        let store = store();
        let report = LoadReport {
            files: 1,
            tuples: store.len() as u64,
            ..LoadReport::default()
        };
        harness.app.handle(Event::Loaded(Box::new(store), report));
        harness.settle();
        let header = |h: &Harness| {
            h.screen()
                .lines()
                .find(|l| l.contains("time") && l.contains("src:port"))
                .map(|l| l.split('┃').nth(1).unwrap_or(l).to_string())
                .expect("the Flows header")
        };
        let first = header(&harness);
        for _ in 0..4 {
            harness.press(KeyCode::PageDown);
            assert_eq!(header(&harness), first, "{w}x{h}");
        }
        harness.press(KeyCode::Char('G'));
        assert_eq!(header(&harness), first, "{w}x{h}, last row");
    }
}

/// Asserts the status line (the screen's last line) shows `text`, or not.
fn status_shows(h: &Harness, text: &str, shown: bool) {
    let screen = h.screen();
    let status = screen.lines().last().unwrap_or_default();
    assert_eq!(status.contains(text), shown, "{text:?} in {status:?}");
}

/// A one-off message answers one command: the next key or click clears it, so an old
/// filter error never sits beside a new one or outlives the filter it was about.
#[test]
fn a_one_off_message_clears_on_the_next_command() {
    let mut h = Harness::loaded(120, 40);
    h.press(KeyCode::Char('/'));
    h.type_text("time > yesterday");
    h.press(KeyCode::Enter);
    status_shows(&h, "fix the filter first", true);
    // Typing clears it: the bar's own verdict is the one shown.
    h.press(KeyCode::Backspace);
    status_shows(&h, "fix the filter", false);
    h.press_with(KeyCode::Char('u'), KeyModifiers::CONTROL);
    h.type_text("deny");
    h.press(KeyCode::Enter);
    status_shows(&h, "fix the filter", false);
    h.press(KeyCode::Char('s'));
    status_shows(&h, "saved filter `deny`", true);
    h.press(KeyCode::Char('j'));
    status_shows(&h, "saved filter", false);
    // Esc from the bar clears one too.
    h.press(KeyCode::Char('/'));
    h.type_text(" and");
    h.press(KeyCode::Enter);
    status_shows(&h, "fix the filter first", true);
    h.press(KeyCode::Esc);
    status_shows(&h, "fix the filter", false);
}

/// What loading found stays on the status line whatever keys follow; a one-off message
/// takes its place for one command only.
#[test]
fn a_load_notice_stays_after_keys() {
    let mut h = Harness::new(120, 40);
    let store = scenario();
    let report = LoadReport {
        files: 1,
        tuples: store.len() as u64,
        rejected: 3,
        ..LoadReport::default()
    };
    h.app.handle(Event::Loaded(Box::new(store), report));
    h.settle();
    let notice = "loading: 3 tuples of 60 rejected";
    status_shows(&h, notice, true);
    h.press(KeyCode::Char('j'));
    h.press(KeyCode::Tab);
    status_shows(&h, notice, true);
    h.press(KeyCode::Char('s'));
    status_shows(&h, "no filter to save", true);
    status_shows(&h, notice, false);
    h.press(KeyCode::Char('k'));
    status_shows(&h, notice, true);
}

/// Files skipped and text cut short are data the panes do not show: the status line
/// says so after loading, as it does for rejected tuples.
#[test]
fn skipped_and_cut_files_are_named_after_loading() {
    let mut h = Harness::new(120, 40);
    let store = scenario();
    let cut = Problem {
        file: "cut.json".into(),
        kind: ProblemKind::Truncated,
        detail: "file ends inside a record".into(),
        count: 1,
    };
    let report = LoadReport {
        files: 1,
        tuples: store.len() as u64,
        skipped_files: 4,
        problems: vec![cut],
        ..LoadReport::default()
    };
    // A config problem already on the status line stays, after what loading found.
    h.app.notice = Some("config: unknown theme".into());
    h.app.handle(Event::Loaded(Box::new(store), report));
    h.settle();
    status_shows(
        &h,
        "loading: cut short or left open in 1 place, 4 files skipped",
        true,
    );
    let notice = h.app.notice.as_deref().unwrap_or_default();
    assert!(notice.ends_with("; config: unknown theme"), "{notice}");
}

/// Another filter is another list: its first rows are shown, not the old row number;
/// another order of the same rows keeps the place.
#[test]
fn a_new_filter_starts_every_list_at_its_first_row() {
    let mut h = Harness::loaded(120, 40);
    for _ in 0..30 {
        h.press(KeyCode::Char('j'));
    }
    h.press(KeyCode::Tab);
    h.press(KeyCode::Char('j'));
    h.press(KeyCode::Char('j'));
    h.press(KeyCode::BackTab);
    h.press(KeyCode::BackTab);
    h.press(KeyCode::Char('j'));
    let before = [Pane::Rules, Pane::Flows, Pane::Top].map(|p| h.app.cursor(p).selected);
    assert_eq!(before, [2, 30, 2]);
    // Re-sorting keeps the place.
    h.press(KeyCode::Char('O'));
    assert_eq!(h.app.cursor(Pane::Flows).selected, 30);
    // Pasted (or typed faster than answered): only the whole text's answer comes back.
    h.press(KeyCode::Char('/'));
    "src == 192.0.2.10 or deny".chars().for_each(|c| h.send(c));
    h.press(KeyCode::Enter);
    assert!(
        h.app.pane_len(Pane::Flows) > 30,
        "the rows still reach row 30"
    );
    let flows = h.app.cursor(Pane::Flows);
    assert_eq!((flows.selected, flows.offset), (0, 0));
    // The Rules pane's first line is a scope heading: its first rule is line 1.
    assert_eq!(h.app.cursor(Pane::Rules).selected, 1);
    assert_eq!(h.app.cursor(Pane::Top).selected, 0);
}

/// Going back returns to the row you were on: Backspace after a drill-in, and Esc after
/// typing a filter live; a filter seen again later finds its place too.
#[test]
fn going_back_returns_to_the_row_you_were_on() {
    let mut h = Harness::loaded(120, 40);
    for _ in 0..25 {
        h.press(KeyCode::Char('j'));
    }
    let place = h.app.cursor(Pane::Flows);
    assert_eq!(place.selected, 25);
    // Esc after live typing: the rows of the typed text came and went.
    h.press(KeyCode::Char('/'));
    h.type_text("deny");
    assert_eq!(
        h.app.cursor(Pane::Flows).selected,
        0,
        "a new filter starts at the top"
    );
    h.press(KeyCode::Esc);
    assert_eq!(h.app.cursor(Pane::Flows), place);
    // Backspace after drilling into a rule from the Rules pane.
    h.press(KeyCode::BackTab);
    h.press(KeyCode::Enter);
    assert_eq!(h.app.cursor(Pane::Flows).selected, 0);
    h.press(KeyCode::Backspace);
    assert_eq!(h.app.cursor(Pane::Flows), place);
}

/// Pasted text is text: it goes into the filter bar (opening it) or the picker, its line
/// breaks as spaces, and never runs as keys (a pasted `q` would quit, a `d` open details).
#[test]
fn pasted_text_is_typed_never_run_as_keys() {
    let mut h = Harness::loaded(120, 40);
    h.app
        .handle(Event::Paste("dport == 3389\nand deny q".into()));
    h.settle();
    assert!(!h.app.quit);
    assert!(matches!(h.app.overlay, Overlay::None));
    assert!(h.app.filter.editing, "the paste opened the filter bar");
    assert_eq!(h.app.filter.input.value(), "dport == 3389 and deny q");
    h.press(KeyCode::Esc);
    // An empty paste leaves everything as it was.
    assert!(!h.app.handle(Event::Paste(String::new())));
    assert!(!h.app.filter.editing);
    // Over a filter just opened, a paste replaces it, as typing does.
    h.press(KeyCode::Char('/'));
    h.type_text("tcp");
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('/'));
    h.app.handle(Event::Paste("deny".into()));
    h.settle();
    assert_eq!(h.app.filter.input.value(), "deny");
    h.press(KeyCode::Enter);
    assert_eq!(h.app.filter.kept, "deny");
    // Into the picker's query.
    h.press(KeyCode::Char(':'));
    h.app.handle(Event::Paste("rdp".into()));
    match &h.app.overlay {
        Overlay::Picker(p) => assert_eq!(p.input.value(), "rdp"),
        other => panic!("picker closed: {other:?}"),
    }
}

/// Rules sorted by bytes show their bytes, by packets their packets: sorted by one
/// measure and showing another, the list looked unordered.
#[test]
fn rules_show_the_measure_they_are_sorted_by() {
    let mut h = Harness::loaded(120, 40);
    h.press(KeyCode::BackTab);
    // The Rules pane's rule lines (indented under their NSG), without the other panes.
    let rule_lines = |h: &Harness| -> Vec<String> {
        h.screen()
            .lines()
            .map(|l| l.trim_matches('"').chars().take(36).collect::<String>())
            .filter(|l| l.chars().nth(2).is_some_and(|c| c != ' ') && l.starts_with(['│', '┃']))
            .filter(|l| l.chars().nth(1) == Some(' '))
            .collect()
    };
    let by_tuples = rule_lines(&h);
    h.press(KeyCode::Char('o'));
    assert!(h.screen().contains("Rules by bytes"));
    let by_bytes = rule_lines(&h);
    assert!(!by_bytes.is_empty());
    assert!(
        by_bytes.iter().all(|l| l.contains("B ")),
        "every rule shows its bytes: {by_bytes:#?}"
    );
    assert!(
        by_tuples.iter().all(|l| !l.contains("kB ")),
        "{by_tuples:#?}"
    );
}

/// `o` sorts the pane it is pressed in: in Top, by tuples then by bytes; `O` there, or in
/// Rules, says what it would do instead of reversing Flows out of sight.
#[test]
fn o_sorts_the_focused_pane() {
    let mut h = Harness::loaded(120, 40);
    h.press(KeyCode::Tab);
    assert_eq!(h.app.focus, Pane::Top);
    let flows_title = |h: &Harness| h.screen().lines().next().unwrap_or_default().to_string();
    let before = flows_title(&h);
    h.press(KeyCode::Char('o'));
    assert!(
        h.screen().contains("Top sources by bytes (t)"),
        "{}",
        h.screen()
    );
    assert_eq!(flows_title(&h), before, "Flows kept its order");
    // Ranked by bytes: the first source has the most bytes of the list.
    assert_top_list_by_bytes(&h);
    h.press(KeyCode::Char('O'));
    assert_eq!(flows_title(&h), before);
    assert!(h.screen().contains("biggest first"));
    h.press(KeyCode::Char('o'));
    assert!(h.screen().contains("Top sources (t)"));
    // The Timeline runs in time order: o and O there leave Flows as it was.
    h.press(KeyCode::Tab);
    assert_eq!(h.app.focus, Pane::Timeline);
    h.press(KeyCode::Char('o'));
    h.press(KeyCode::Char('O'));
    assert_eq!(flows_title(&h), before);
    assert!(h.screen().contains("time order"));
}

/// The Top list on screen runs from the most bytes down.
fn assert_top_list_by_bytes(h: &Harness) {
    let summary = h.app.summary.as_ref().expect("lists");
    let flowscope::tui::worker::TopList::Entries(entries) = &summary.top else {
        panic!("a top list");
    };
    assert!(entries
        .windows(2)
        .all(|w| w[0].tally.bytes >= w[1].tally.bytes));
}

/// A ranking chosen with `o` stays as `t` moves through the lists; untouched, each list
/// ranks its own way (conversations by bytes, the others by tuples).
#[test]
fn a_ranking_chosen_stays_through_the_top_lists() {
    let mut h = Harness::loaded(120, 40);
    h.press(KeyCode::Tab);
    assert!(h.screen().contains("Top sources (t)"));
    for (key, title) in [
        ('t', "Top destinations (t)"),
        ('t', "Top dports (t)"),
        ('t', "Conversations (t)"),
        ('o', "Conversations by tuples (t)"),
        ('t', "Top sources (t)"),
        ('o', "Top sources by bytes (t)"),
        ('t', "Top destinations by bytes (t)"),
    ] {
        h.press(KeyCode::Char(key));
        assert!(
            h.screen().contains(title),
            "{key} → {title}:\n{}",
            h.screen()
        );
    }
    // Ranked by bytes after `t`: the first destination has the most bytes of the list.
    assert_top_list_by_bytes(&h);
    for title in ["Top dports by bytes (t)", "Conversations (t)"] {
        h.press(KeyCode::Char('t'));
        assert!(h.screen().contains(title), "t → {title}:\n{}", h.screen());
    }
}

/// At 80 columns the Top pane keeps one figure: the one it is ranked by.
#[test]
fn a_narrow_top_pane_shows_what_it_ranks_by() {
    let mut h = Harness::loaded(80, 24);
    h.press(KeyCode::Tab);
    let header = |h: &Harness| {
        h.screen()
            .lines()
            .find(|l| l.contains("key"))
            .unwrap_or_default()
            .to_string()
    };
    assert!(header(&h).contains("tuples"), "{}", header(&h));
    h.press(KeyCode::Char('o'));
    assert!(header(&h).contains("bytes") && !header(&h).contains("tuples"));
}

/// The filter bar says what is wrong once: the nearest field name, not that and a list.
#[test]
fn a_filter_error_says_each_thing_once() {
    let mut h = Harness::loaded(120, 40);
    h.press(KeyCode::Char('/'));
    h.type_text("dpor == 1");
    let screen = h.screen();
    let note = screen.lines().find(|l| l.contains('^')).unwrap_or_default();
    assert_eq!(note.matches("did you mean").count(), 1, "{note}");
    assert!(
        note.contains("^ unknown field `dpor`; did you mean `dport`?"),
        "{note}"
    );
    h.press_with(KeyCode::Char('u'), KeyModifiers::CONTROL);
    h.type_text("rule ~ \"[a\"");
    let screen = h.screen();
    assert!(
        screen.contains("^ invalid regular expression: unclosed character class"),
        "{screen}"
    );
}

/// Steady hits draw a steady sparkline: every cell covers whole hours of the data, so a
/// blank cell is an hour without hits, never the gap between two hourly points.
#[test]
fn steady_rule_hits_draw_a_sparkline_without_gaps() {
    let mut b = one_group("Platform", "000D3AF87856");
    // Every 10 minutes for three hours.
    for i in 0..18 {
        let hop = ("168.63.129.16", 40000 + i as u16);
        let to = ("10.0.0.4", 443);
        b.push(&tuple(
            i * 600,
            hop,
            to,
            Decision::Allow,
            FlowState::Begin,
            0,
        ));
    }
    // Another rule, quiet in the middle hour.
    b.begin_group(Some("UserRDP"), Some("000D3AF87856"), None);
    for secs in [60, 2 * 3600 + 60] {
        let hop = ("203.0.113.9", 51234);
        let to = ("10.0.0.4", 3389);
        b.push(&tuple(secs, hop, to, Decision::Allow, FlowState::Begin, 0));
    }
    let store = b.finish();
    for (width, height) in [(80, 24), (120, 40), (200, 50)] {
        let h = Harness::with_store(width, height, store.clone());
        let screen = h.screen();
        // What follows the rule's name and hit count in the Rules pane.
        let bars = |rule: &str| {
            let line = screen
                .lines()
                .find(|l| l.contains(rule))
                .unwrap_or_default();
            let pane = line.split(['│', '┃']).nth(1).unwrap_or_default();
            let after_name = pane.split_once(rule).map(|(_, r)| r).unwrap_or_default();
            let count = after_name.trim_start().trim_start_matches(char::is_numeric);
            count
                .strip_prefix(' ')
                .unwrap_or_default()
                .trim_end()
                .to_string()
        };
        assert_eq!(bars("Platform"), "███", "{width}x{height}:\n{screen}");
        // The quiet hour is blank, and nothing else is.
        let rdp = bars("UserRDP");
        assert_eq!(rdp.chars().count(), 3, "{width}x{height}:\n{screen}");
        assert_eq!(rdp.chars().nth(1), Some(' '), "{rdp:?}");
    }
}

/// A title too long for its pane keeps whole parts: `· 618` cut from `· 618 pkts` would
/// read as a count of something else, `08:05:00–08:1` as a time it is not.
#[test]
fn a_cut_title_ends_at_a_whole_part() {
    let border_with = |screen: &str, text: &str| {
        let line = screen.lines().find(|l| l.contains(text));
        line.unwrap_or_default().to_string()
    };
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = Harness::loaded(w, h);
        harness.press(KeyCode::Char('/'));
        harness.type_text("sport == 51234");
        harness.press(KeyCode::Enter);
        harness.press(KeyCode::Enter);
        let screen = harness.screen();
        let title = border_with(&screen, "Timeline: ");
        let parts = [
            "→ 10.0.0.4:3389 tcp",
            "· 4 steps",
            "· 14m 0s",
            "· 306 kB",
            "· 618 pkts",
        ];
        let kept = parts.iter().filter(|p| title.contains(*p)).count();
        assert!(kept > 0, "{title}");
        // Every part up to the last shown is whole, and the border follows it.
        let last = parts[kept - 1];
        let after = title.split_once(last).map(|(_, a)| a).unwrap_or_default();
        let ends = [" ━", " ┓", "┓"].iter().any(|e| after.starts_with(e));
        assert!(ends, "{w}x{h}: {title}");
        // The selected rule's span keeps whole times.
        let span = border_with(&screen, " A 4 D 0 ");
        assert!(
            span.contains(" 08:05:00–08:19:00 ") || span.contains(" 08:05–08:19 "),
            "{w}x{h}: {span}"
        );
    }
    // A kept filter wider than the bar ends with an ellipsis.
    let mut harness = Harness::loaded(80, 24);
    harness.press(KeyCode::Char('/'));
    let long = "dport == 3389 and src != 198.51.100.1 and src != 198.51.100.2 and bytes < 1000";
    harness.type_text(long);
    harness.press(KeyCode::Enter);
    let screen = harness.screen();
    let bar = border_with(&screen, " / dport == 3389");
    assert!(bar.trim_end_matches('"').ends_with('…'), "{bar}");
}

/// One allowed RDP-like conversation, `src` to `dst`: a begin, and an end a minute later
/// with `bytes`.
fn one_conversation(src: (&str, u16), dst: (&str, u16), bytes: u64) -> Store {
    let mut b = one_group("UserRule_AllowRDP", "000D3AF87856");
    for (secs, state, bytes) in [(0, FlowState::Begin, 0), (60, FlowState::End, bytes)] {
        b.push(&tuple(secs, src, dst, Decision::Allow, state, bytes));
    }
    b.finish()
}

/// A builder in the middle of one group of one record, of `rule` on interface `mac`.
fn one_group(rule: &str, mac: &str) -> StoreBuilder {
    let mut b = StoreBuilder::new();
    let file = b.add_file(FileInfo::default());
    b.begin_record(file, &meta(0, 0));
    b.begin_group(Some(rule), Some(mac), None);
    b
}

/// The app on `store` at `size`, with `filter` typed and kept.
fn filtered(store: &Store, (width, height): (u16, u16), filter: &str) -> Harness {
    let mut h = Harness::with_store(width, height, store.clone());
    h.press(KeyCode::Char('/'));
    h.type_text(filter);
    h.press(KeyCode::Enter);
    h
}

/// At 80 columns the Flows pane keeps time, both endpoints, protocol, direction, action,
/// state and bytes, in the log's own letters if need be: without state a begin and an
/// end row look the same, and a `bytes > 1MB` filter shows no bytes.
#[test]
fn a_narrow_flows_pane_keeps_state_and_bytes() {
    // The demo's widest endpoints: 20 and 16 columns.
    let store = one_conversation(("198.51.100.138", 52260), ("168.63.129.16", 53), 1_000_000);
    for (width, height) in [(80, 24), (100, 30), (120, 40)] {
        let h = filtered(&store, (width, height), "bytes > 1MB");
        let screen = h.screen();
        let row = screen
            .lines()
            .find(|l| l.contains("08:01:00"))
            .unwrap_or_default();
        // Room is found in the middle of the wider address, never in a port.
        let src = row.contains("198.51.100.138:52260");
        assert!(src || row.contains("…0.138:52260"), "{width}: {row}");
        assert_eq!(src, width >= 100, "{width}: {row}");
        assert!(row.contains("168.63.129.16:53"), "{width}: {row}");
        let whole = row.contains(" tcp   in  allow E  1.5 MB");
        assert!(whole || row.contains(" TIAE 1.5MB"), "{width}: {row}");
        // The words where they fit.
        assert_eq!(whole, width >= 120, "{width}: {row}");
    }
}

/// A conversation between two long IPv6 endpoints keeps both ports and its protocol in
/// the Timeline's title and in the status line's trail: their addresses are cut in the
/// middle, and the trail from its front. Both were cut at their end, which lost the
/// destination's port.
#[test]
fn a_long_ipv6_conversation_keeps_its_ports_when_cut() {
    let src = ("2510:1a5b:ce4e:2bf6:eb11:2640:a20:4fb0", 51234);
    let dst = ("9823:cc54:9a1e:7b30:41d2:e8f0:f6c9:59eb", 3389);
    let store = one_conversation(src, dst, 4_000);
    // Drilled into the conversation from its flow.
    let drilled = |size| {
        let mut h = filtered(&store, size, "sport == 51234");
        h.press(KeyCode::Enter);
        let screen = h.screen();
        (h, screen)
    };
    let line_with = |screen: &str, text: &str| {
        let line = screen.lines().find(|l| l.contains(text));
        line.unwrap_or_default().to_string()
    };
    for (width, height) in [(80, 24), (100, 30), (120, 40)] {
        let (mut h, screen) = drilled((width, height));
        let title = line_with(&screen, "Timeline: ");
        assert!(title.contains("]:51234 → ["), "{width}: {title}");
        assert!(title.contains("]:3389 tcp"), "{width}: {title}");
        // Each address keeps its two ends.
        assert!(
            title.contains("[2510:") && title.contains("4fb0]"),
            "{title}"
        );
        assert!(
            title.contains("[9823:") && title.contains("59eb]"),
            "{title}"
        );
        let status = screen.lines().last().unwrap_or_default();
        assert!(status.contains("]:3389 tcp"), "{width}: {status}");
        assert!(status.contains("help"), "{width}: {status}");
        // A message shows whole: the trail gives way to it, from its front or whole.
        h.send('s');
        let status = h.screen().lines().last().unwrap_or_default().to_string();
        assert!(
            status.contains("saved filter `sport == 51234`"),
            "{width}: {status}"
        );
    }
    // Too narrow for the pane's name and the addresses both: the conversation alone is
    // the title, and keeps its ports and protocol.
    for width in [48, 54, 56, 60] {
        let (_, screen) = drilled((width, 24));
        let title = line_with(&screen, ":51234 → ");
        assert!(title.contains(":3389 tcp"), "{width}: {title}\n{screen}");
    }
}

/// Enter before the answer came keeps the text; if the answer then finds it wrong, the
/// bar opens again on it with the error, and the filter in force stays the one before:
/// the bar never shows a filter that is not the one the panes show.
#[test]
fn a_filter_found_wrong_after_enter_opens_the_bar_again() {
    let mut h = Harness::loaded(120, 40);
    h.press(KeyCode::Char('/'));
    h.type_text("deny");
    h.press(KeyCode::Enter);
    let denied = h.app.view.as_ref().map(|v| v.rows.count());
    h.press(KeyCode::Char('/'));
    h.press_with(KeyCode::Char('u'), KeyModifiers::CONTROL);
    // Typed faster than answered, and kept at once.
    "time > yesterday".chars().for_each(|c| h.send(c));
    h.press(KeyCode::Enter);
    assert!(h.app.filter.editing, "the bar did not open again");
    assert_eq!(h.app.filter.input.value(), "time > yesterday");
    assert!(h.app.filter.error.is_some());
    status_shows(&h, "fix the filter first", true);
    // A key clears the message, and the bar still shows the error where it is.
    h.press(KeyCode::End);
    status_shows(&h, "fix the filter", false);
    assert!(h.screen().contains("✗ expected a time"), "{}", h.screen());
    h.press(KeyCode::Esc);
    assert_eq!(h.app.filter.kept, "deny");
    assert_eq!(h.app.view.as_ref().map(|v| v.rows.count()), denied);
    assert!(h.screen().contains(" / deny "), "{}", h.screen());
}

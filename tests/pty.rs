//! End to end in a real pseudo-terminal: the built binary runs on flow logs this test
//! writes, keys are typed into the terminal and the screen is read back with a VT100
//! parser. Checks what a user sees (counts, a timeline, a resize) and that the terminal
//! is given back as it was (main screen, cursor visible, mouse off, raw mode off).

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long to wait for a screen before giving up (a deadline against hanging, not a
/// performance check).
const PATIENCE: Duration = Duration::from_secs(60);

/// What the generated logs hold, counted while writing them.
struct Written {
    tuples: u64,
    ssh_tuples: u64,
    rdp_tuples: u64,
}

/// Writes an NSG v2 `PT1H.json` with `records` one-minute records; each carries SSH
/// sessions (B, C, E), denied RDP attempts and HTTPS flows.
fn write_nsg_log(dir: &Path, records: u32, per_rule: u32) -> Written {
    let t0: u64 = 1_731_916_800; // 2024-11-18T08:00:00Z
    let mut out = String::from("{\"records\":[");
    let mut written = Written {
        tuples: 0,
        ssh_tuples: 0,
        rdp_tuples: 0,
    };
    for r in 0..records {
        let time = t0 + r as u64 * 60;
        if r > 0 {
            out.push(',');
        }
        let rules = [
            ("UserRule_SSH", ssh_tuples(time, per_rule)),
            ("DefaultRule_DenyAllInBound", rdp_tuples(time, per_rule)),
            ("UserRule_HTTPS", https_tuples(time, per_rule)),
        ];
        written.ssh_tuples += rules[0].1.len() as u64;
        written.rdp_tuples += rules[1].1.len() as u64;
        written.tuples += rules.iter().map(|(_, t)| t.len() as u64).sum::<u64>();
        write_record(&mut out, r % 60, &rules);
    }
    out.push_str("]}");
    std::fs::write(dir.join("PT1H.json"), out).expect("write the test log");
    written
}

/// SSH sessions of three tuples each (B, C, E) from a spread of sources.
fn ssh_tuples(time: u64, n: u32) -> Vec<String> {
    (0..n)
        .map(|i| {
            let state = ["B", "C", "E"][(i % 3) as usize];
            let counters = if state == "B" {
                ",,,".to_string()
            } else {
                let (p_out, p_in) = (i % 50 + 1, i % 40 + 1);
                format!("{p_out},{},{p_in},{}", p_out * 700, p_in * 900)
            };
            format!(
                "\"{time},10.1.{}.{},10.0.0.4,{},22,T,I,A,{state},{counters}\"",
                i / 3 % 250,
                i / 3 % 200 + 1,
                40000 + (i / 3) % 20000
            )
        })
        .collect()
}

fn rdp_tuples(time: u64, n: u32) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "\"{},198.51.100.{},10.0.0.4,{},3389,T,I,D,B,,,,\"",
                time + (i % 60) as u64,
                i % 250 + 1,
                50000 + i % 10000
            )
        })
        .collect()
}

fn https_tuples(time: u64, n: u32) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "\"{time},192.0.2.{},10.0.0.5,{},443,T,I,A,E,12,{},10,{}\"",
                i % 250 + 1,
                30000 + i % 20000,
                1200 + i,
                56000 + i
            )
        })
        .collect()
}

/// One NSG v2 record of minute `minute` with the given rules and their tuples.
fn write_record(out: &mut String, minute: u32, rules: &[(&str, Vec<String>)]) {
    let flows: Vec<String> = rules
        .iter()
        .map(|(rule, tuples)| {
            format!(
                "{{\"rule\":\"{rule}\",\"flows\":[{{\"mac\":\"000D3AF87856\",\"flowTuples\":[{}]}}]}}",
                tuples.join(",")
            )
        })
        .collect();
    let _ = write!(
        out,
        "{{\"time\":\"2024-11-18T08:{minute:02}:00.0000000Z\",\"systemId\":\"5f1b3c4e-0000-4000-8000-000000000001\",\"macAddress\":\"000D3AF87856\",\"category\":\"NetworkSecurityGroupFlowEvent\",\"resourceId\":\"/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG-WEB\",\"operationName\":\"NetworkSecurityGroupFlowEvents\",\"properties\":{{\"Version\":2,\"flows\":[{}]}}}}",
        flows.join(",")
    );
}

/// The explorer running in a pseudo-terminal, its output parsed as it arrives.
struct Session {
    master: Box<dyn MasterPty + Send>,
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte the explorer wrote to the terminal.
    output: Arc<Mutex<Vec<u8>>>,
}

impl Session {
    fn start(data: &Path, home: &Path, cols: u16, rows: u16) -> Session {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pseudo-terminal");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_flowscope"));
        cmd.arg(data);
        cmd.env("TERM", "xterm-256color");
        // Keep the user's real config, history and saved filters out of the test.
        cmd.env("HOME", home);
        cmd.env("XDG_CONFIG_HOME", home.join("config"));
        let child = pty.slave.spawn_command(cmd).expect("start the explorer");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let writer = pty.master.take_writer().expect("pty writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let output = Arc::new(Mutex::new(Vec::new()));
        let (p, o) = (Arc::clone(&parser), Arc::clone(&output));
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                p.lock().expect("parser lock").process(&buf[..n]);
                o.lock().expect("output lock").extend_from_slice(&buf[..n]);
            }
        });
        Session {
            master: pty.master,
            child,
            writer,
            parser,
            output,
        }
    }

    fn screen(&self) -> String {
        self.parser.lock().expect("parser lock").screen().contents()
    }

    fn bytes_so_far(&self) -> usize {
        self.output.lock().expect("output lock").len()
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("type");
        self.writer.flush().expect("flush");
    }

    /// Waits until the screen text satisfies `ok`; panics with the screen after `PATIENCE`.
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        self.wait_state(what, |screen| ok(&screen.contents()));
        self.screen()
    }

    /// Waits until the terminal state satisfies `ok`.
    fn wait_state(&self, what: &str, ok: impl Fn(&vt100::Screen) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if ok(self.parser.lock().expect("parser lock").screen()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn resize(&mut self, cols: u16, rows: u16) {
        self.parser
            .lock()
            .expect("parser lock")
            .screen_mut()
            .set_size(rows, cols);
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize");
    }

    /// Waits for the explorer to exit; true when it exited successfully.
    fn wait_exit(&mut self) -> bool {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("child status") {
                return status.success();
            }
            assert!(Instant::now() < deadline, "the explorer did not quit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

fn rows_line(count: u64, total: u64) -> String {
    format!(
        "{} of {} rows",
        flowscope::model::Thousands(count),
        flowscope::model::Thousands(total)
    )
}

#[test]
fn filter_drill_resize_and_quit_in_a_real_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("logs");
    std::fs::create_dir_all(&data).expect("data dir");
    let written = write_nsg_log(&data, 30, 40);
    let mut s = Session::start(&data, dir.path(), 100, 30);

    s.wait_for("the loaded screen", |sc| {
        sc.contains(&rows_line(written.tuples, written.tuples))
    });
    s.send("/dport == 22\r");
    s.wait_for("the filtered count", |sc| {
        sc.contains(&rows_line(written.ssh_tuples, written.tuples))
    });
    // Enter on the first flow opens its conversation's timeline.
    s.send("\r");
    s.wait_for("a conversation timeline", |sc| {
        sc.contains("Timeline: 10.1.0.1:40000 → 10.0.0.4:22 tcp")
    });
    s.resize(120, 40);
    s.wait_for("a redraw at the new size", |sc| {
        sc.lines()
            .nth(39)
            .is_some_and(|l| l.contains("? help  q quit"))
    });
    s.send("q");
    assert!(s.wait_exit(), "the explorer failed");
    assert_terminal_given_back(&s);
}

/// The terminal as it was before the explorer: main screen, cursor shown, mouse reporting
/// off, raw mode off.
fn assert_terminal_given_back(s: &Session) {
    // The last bytes may still be on their way from the terminal to the parser.
    s.wait_state("the main screen back", |sc| !sc.alternate_screen());
    s.wait_state("the cursor shown", |sc| !sc.hide_cursor());
    s.wait_state("mouse reporting off", |sc| {
        sc.mouse_protocol_mode() == vt100::MouseProtocolMode::None
    });
    if let Some(termios) = s.master.get_termios() {
        let flags = format!("{:?}", termios.local_flags);
        assert!(
            flags.contains("ICANON") && flags.contains("ECHO"),
            "raw mode left on: {flags}"
        );
    }
}

/// `q` and Ctrl-C quit at once while a large load (and the queries on what is loaded so far)
/// is still running.
#[test]
fn quit_while_loading_gives_the_terminal_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("logs");
    let generated = std::process::Command::new(env!("CARGO_BIN_EXE_flowscope"))
        .arg("generate")
        .arg(&data)
        .args(["--tuples", "2M"])
        .output()
        .expect("run flowscope generate");
    assert!(generated.status.success(), "generate failed: {generated:?}");
    for key in ["q", "\x03"] {
        let mut s = Session::start(&data, dir.path(), 100, 30);
        s.wait_for("the loading screen", |sc| sc.contains("loading"));
        s.send(key);
        assert!(s.wait_exit(), "the explorer failed after {key:?}");
        assert_terminal_given_back(&s);
    }
}

/// How long the screen takes to show `want` after `key`, sent `pause_ms` after the last
/// key (so earlier work has settled, or not, as a person typing would leave it).
fn time_key(s: &mut Session, pause_ms: u64, key: &str, what: &str, want: &str) -> Duration {
    std::thread::sleep(Duration::from_millis(pause_ms));
    let t = Instant::now();
    s.send(key);
    s.wait_for(what, |sc| sc.contains(want));
    t.elapsed()
}

/// Figures for the record, not a pass/fail check: run with
/// `cargo test --release --test pty -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_terminal_traffic_and_latency() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("logs");
    std::fs::create_dir_all(&data).expect("data dir");
    let records: u32 = std::env::var("FLOWSCOPE_MEASURE_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let written = write_nsg_log(&data, records, 11_112);
    println!("generated {} tuples", written.tuples);
    let started = Instant::now();
    let mut s = Session::start(&data, dir.path(), 120, 40);
    s.wait_for("a first frame", |sc| sc.contains("q quit"));
    println!("time to first frame: {:?}", started.elapsed());
    s.wait_for("the loaded screen", |sc| {
        sc.contains(&rows_line(written.tuples, written.tuples))
    });
    println!("time to loaded screen: {:?}", started.elapsed());

    // Idle means settled: the summaries of a big load may still arrive after the count.
    loop {
        let before = s.bytes_so_far();
        std::thread::sleep(Duration::from_secs(2));
        if s.bytes_so_far() == before {
            break;
        }
    }
    let before = s.bytes_so_far();
    std::thread::sleep(Duration::from_secs(10));
    println!(
        "bytes written while idle 10 s: {}",
        s.bytes_so_far() - before
    );

    let before = s.bytes_so_far();
    for _ in 0..20 {
        s.send("j");
        std::thread::sleep(Duration::from_millis(50));
    }
    println!(
        "bytes per scroll step (j): {}",
        (s.bytes_so_far() - before) / 20
    );
    let before = s.bytes_so_far();
    for _ in 0..10 {
        s.send("\x1b[6~");
        std::thread::sleep(Duration::from_millis(100));
    }
    println!("bytes per page step: {}", (s.bytes_so_far() - before) / 10);

    s.send("/dport == 2");
    s.wait_for("the typed text", |sc| sc.contains("dport == 2"));
    let ssh = rows_line(written.ssh_tuples, written.tuples);
    let t = time_key(&mut s, 2000, "2", "the filtered count", &ssh);
    println!(
        "keystroke to frame, filter on {} tuples: {t:?}",
        written.tuples
    );

    // A selection out of time order (the denied tuples' seconds jitter within a minute).
    s.send("\r/\x7f\x7f338");
    s.wait_for("the typed text", |sc| sc.contains("dport == 338"));
    let rdp = rows_line(written.rdp_tuples, written.tuples);
    let t = time_key(&mut s, 2000, "9", "the denied count", &rdp);
    println!("keystroke to frame, filter out of time order: {t:?}");
    std::thread::sleep(Duration::from_millis(2000));

    // Typing at a brisk pace through filters that each select millions of rows.
    s.send(&"\x7f".repeat("== 3389".len()));
    std::thread::sleep(Duration::from_millis(500));
    let (typed, last) = "> 10000".split_at("> 10000".len() - 1);
    for c in typed.chars() {
        std::thread::sleep(Duration::from_millis(150));
        s.send(&c.to_string());
    }
    // The status line starts with a space: "6,667,200 of …" ends in "0 of …" too.
    let empty = format!(" {}", rows_line(0, written.tuples));
    let t = time_key(&mut s, 150, last, "the empty count", &empty);
    println!("last keystroke to frame, typing fast: {t:?}");
    s.send("\rq");
    s.wait_exit();
}

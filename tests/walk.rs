//! The command line over awkward folder trees: files that are not regular files, link
//! loops, the same files reached by more than one path.
#![cfg(unix)]

use assert_cmd::Command;
use flowscope::gen::{self, GenSpec};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// Long enough for any load here; a walk that blocks fails instead of hanging the suite.
const TIMEOUT: Duration = Duration::from_secs(20);

fn flowscope() -> Command {
    let mut cmd = Command::cargo_bin("flowscope").expect("binary built");
    cmd.timeout(TIMEOUT);
    cmd
}

/// A generated tree of `tuples` under `dir`.
fn logs(dir: &Path, tuples: u64) {
    let spec = GenSpec {
        tuples,
        macs: 2,
        ..GenSpec::default()
    };
    gen::generate(&spec, dir).expect("generated");
}

fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
}

fn check_json(args: &[&Path]) -> Value {
    let out = flowscope()
        .arg("check")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("check runs");
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).expect("json")
}

fn count(args: &[&Path]) -> u64 {
    let out = flowscope()
        .arg("query")
        .args(args)
        .arg("--count")
        .output()
        .expect("query runs");
    counted(&out)
}

/// The count a successful `query --count` printed.
fn counted(out: &std::process::Output) -> u64 {
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a count")
}

#[test]
fn a_fifo_in_a_folder_is_skipped_not_waited_on() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    logs(&root.join("logs"), 500);
    mkfifo(&root.join("fifo.json"));
    let report = check_json(&[root]);
    assert_eq!(report["tuples"], 500);
    assert_eq!(report["skipped_files"], 1);
    let problem = &report["problems"][0];
    assert!(
        problem["file"].as_str().unwrap().ends_with("fifo.json"),
        "{problem}"
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("a FIFO"),
        "{problem}"
    );
}

#[test]
fn a_pipe_named_on_the_command_line_is_read() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    logs(&root.join("logs"), 500);
    let file = walkdir_first(&root.join("logs"));
    let fifo = root.join("pipe");
    mkfifo(&fifo);
    let data = std::fs::read(&file).expect("log read");
    let tuples = count(&[&file]);
    let writer = {
        let fifo = fifo.clone();
        // Opening for writing waits for the reader: the command under test.
        std::thread::spawn(move || std::fs::write(fifo, data))
    };
    assert_eq!(count(&[&fifo]), tuples);
    writer.join().expect("writer").expect("written");
}

/// The first log file under `dir`, in path order.
fn walkdir_first(dir: &Path) -> std::path::PathBuf {
    let mut here = dir.to_path_buf();
    loop {
        let mut entries: Vec<_> = std::fs::read_dir(&here)
            .expect("folder")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        let first = entries.into_iter().next().expect("not empty");
        if first.is_file() {
            return first;
        }
        here = first;
    }
}

/// A loop loses nothing (its folder's files are read where first found): it is listed
/// as a path reached again, and only the dangling link counts as a skipped file.
#[test]
fn a_link_loop_is_reported_but_only_a_dangling_link_is_skipped() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    logs(&root.join("logs"), 500);
    std::os::unix::fs::symlink(".", root.join("self")).expect("link");
    std::os::unix::fs::symlink("missing.json", root.join("dangling.json")).expect("link");
    let report = check_json(&[root]);
    assert_eq!(report["tuples"], 500, "the loop is followed once");
    let problems = report["problems"].as_array().expect("problems");
    let of = |name: &str| {
        problems
            .iter()
            .find(|p| p["file"].as_str().is_some_and(|f| f.ends_with(name)))
            .unwrap_or_else(|| panic!("{name} reported: {problems:?}"))
    };
    let (dangling, looped) = (of("dangling.json"), of("self"));
    assert_eq!(dangling["kind"], "unreadable");
    assert_eq!(looped["kind"], "found-before");
    assert!(looped["detail"].as_str().unwrap().starts_with("link loop"));
    assert_eq!(report["skipped_files"], 1);
}

#[test]
fn files_reached_twice_are_counted_once_and_reported() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    logs(&root.join("logs"), 2_000);
    let file = walkdir_first(&root.join("logs"));
    let sub = file.parent().expect("its folder").to_path_buf();
    let in_file = count(&[&file]);
    assert!(0 < in_file && in_file < 2_000);
    let logs = root.join("logs");
    let dotted = root.join("./logs/");
    // The paths, the tuples in them, and the path reported as reached again.
    let cases: [(&[&Path], u64, &Path); 5] = [
        (&[&logs, &logs], 2_000, &logs),
        (&[&logs, &dotted], 2_000, &dotted),
        (&[&logs, &sub], 2_000, &sub),
        (&[&file, &logs], 2_000, &file),
        (&[&file, &file], in_file, &file),
    ];
    for (paths, tuples, again) in cases {
        assert_eq!(count(paths), tuples, "{paths:?}");
        let report = check_json(paths);
        assert_eq!(report["tuples"], tuples, "{paths:?}");
        // Nothing was lost: not a skipped file, a kind of its own.
        assert_eq!(report["skipped_files"], 0, "{report}");
        let problem = &report["problems"][0];
        assert_eq!(problem["kind"], "found-before", "{report}");
        assert_eq!(problem["file"], again.to_string_lossy().as_ref());
        let detail = problem["detail"].as_str().expect("detail");
        assert!(detail.contains("given more than once"), "{detail}");
    }
}

#[test]
fn standard_input_is_read_each_time_it_is_named() {
    let tmp = tempfile::tempdir().expect("temp dir");
    logs(&tmp.path().join("logs"), 500);
    let file = walkdir_first(&tmp.path().join("logs"));
    let in_file = count(&[&file]);
    let data = std::fs::read(&file).expect("log read");
    let stdin_count = |args: &[&str]| -> u64 {
        let out = flowscope()
            .arg("query")
            .args(args)
            .arg("--count")
            .write_stdin(data.clone())
            .output()
            .expect("query runs");
        counted(&out)
    };
    assert_eq!(stdin_count(&["-"]), in_file);
    // What comes on standard input is not known to be the file, so both are read.
    assert_eq!(
        stdin_count(&["-", file.to_str().expect("utf-8")]),
        2 * in_file
    );
}

//! Expanding sources into the inputs to read: files as given, folders searched recursively
//! for regular files named `*.json` and `*.log` in sorted order, standard input, embedded
//! data. Each input is handed on as soon as it is found, so reading starts while the search
//! goes on.

use super::report::{Problem, ProblemKind};
use super::{LoadError, Source};
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

/// One thing to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    File {
        path: PathBuf,
        size: u64,
    },
    Stdin,
    Embedded {
        name: &'static str,
        data: &'static [u8],
    },
}

impl Input {
    /// The name shown in reports (`-` for standard input).
    pub fn name(&self) -> String {
        match self {
            Input::File { path, .. } => path.to_string_lossy().into_owned(),
            Input::Stdin => "-".to_string(),
            Input::Embedded { name, .. } => name.to_string(),
        }
    }
    /// Size in bytes when known before reading.
    pub fn size(&self) -> u64 {
        match self {
            Input::File { size, .. } => *size,
            Input::Stdin => 0,
            Input::Embedded { data, .. } => data.len() as u64,
        }
    }
}

/// A source, checked: what `find` walks.
#[derive(Debug)]
pub struct Roots(Vec<Root>);

#[derive(Debug)]
enum Root {
    /// Standard input or embedded data: never the same as another source.
    Input(Input),
    File {
        path: PathBuf,
        meta: fs::Metadata,
    },
    Folder {
        path: PathBuf,
        meta: fs::Metadata,
    },
}

/// Checks that every source is there before anything is read: a mistyped path fails the
/// load at once, not after the sources before it have been read.
pub fn roots(sources: &[Source]) -> Result<Roots, LoadError> {
    if sources.is_empty() {
        return Err(LoadError::NoSources);
    }
    let root = |source: &Source| match source {
        Source::Stdin => Ok(Root::Input(Input::Stdin)),
        Source::Embedded { name, data } => Ok(Root::Input(Input::Embedded { name, data })),
        Source::Path(path) => {
            let meta = fs::metadata(path).map_err(|_| LoadError::NotFound {
                path: path.to_string_lossy().into_owned(),
            })?;
            let path = path.clone();
            Ok(match meta.is_dir() {
                true => Root::Folder { path, meta },
                false => Root::File { path, meta },
            })
        }
    };
    sources
        .iter()
        .map(root)
        .collect::<Result<_, _>>()
        .map(Roots)
}

/// Hands `found` every input of `roots` in order, as it is found (folders searched
/// recursively in sorted order), each file once, where it is first found; returns the
/// problems met on the way (unreadable folders and files, log files that are not regular
/// files, link loops, files and folders reached again). Stops early when `stop` says so.
pub fn find(roots: Roots, found: &mut dyn FnMut(Input), stop: &dyn Fn() -> bool) -> Vec<Problem> {
    let mut walk = Walk {
        searched: HashMap::new(),
        files: HashSet::new(),
        problems: Vec::new(),
        found,
        stop,
    };
    for root in roots.0 {
        match root {
            Root::Input(input) => (walk.found)(input),
            Root::File { path, meta } => walk.file(path, &meta),
            Root::Folder { path, meta } => walk.folder(&path, &meta),
        }
    }
    walk.problems
}

/// The inputs of `sources` and the problems met, all at once.
#[cfg(test)]
pub fn expand(sources: &[Source]) -> Result<(Vec<Input>, Vec<Problem>), LoadError> {
    let mut inputs = Vec::new();
    let problems = find(roots(sources)?, &mut |i| inputs.push(i), &|| false);
    Ok((inputs, problems))
}

/// Identifies a folder or file whatever name reached it: a link loop is followed once, a
/// file given twice is read once.
#[cfg(unix)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct NodeId {
    dev: u64,
    ino: u64,
}
#[cfg(not(unix))]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct NodeId(PathBuf);

/// From the metadata already read: no extra system calls per folder or file (trees of flow
/// logs hold a folder per hour, and resolving each path's links cost more than reading it).
#[cfg(unix)]
fn node_id(_path: &Path, meta: &fs::Metadata) -> Option<NodeId> {
    use std::os::unix::fs::MetadataExt;
    Some(NodeId {
        dev: meta.dev(),
        ino: meta.ino(),
    })
}

#[cfg(not(unix))]
fn node_id(path: &Path, _meta: &fs::Metadata) -> Option<NodeId> {
    fs::canonicalize(path).ok().map(NodeId)
}

/// One walk's state: the folders and files seen and where the inputs and problems go.
struct Walk<'f> {
    /// Folders reached, `true` while their search is under way: reaching one of those
    /// again is a link loop.
    searched: HashMap<NodeId, bool>,
    /// Files handed on.
    files: HashSet<NodeId>,
    problems: Vec<Problem>,
    found: &'f mut dyn FnMut(Input),
    stop: &'f dyn Fn() -> bool,
}

impl Walk<'_> {
    fn folder(&mut self, dir: &Path, meta: &fs::Metadata) {
        if (self.stop)() {
            return;
        }
        let id = node_id(dir, meta);
        if let Some(id) = &id {
            if let Some(&under_way) = self.searched.get(id) {
                self.problems.push(match under_way {
                    true => link_loop(dir),
                    false => found_before(dir, SEARCHED_BEFORE),
                });
                return;
            }
            self.searched.insert(id.clone(), true);
        }
        self.search(dir);
        if let Some(id) = id {
            self.searched.insert(id, false);
        }
    }

    /// Hands on a file unless it was found before.
    fn file(&mut self, path: PathBuf, meta: &fs::Metadata) {
        let first = node_id(&path, meta).is_none_or(|id| self.files.insert(id));
        match first {
            true => (self.found)(Input::File {
                path,
                size: meta.len(),
            }),
            false => self.problems.push(found_before(&path, FOUND_BEFORE)),
        }
    }

    /// Hands on the log files of `dir` and searches its folders, in name order.
    fn search(&mut self, dir: &Path) {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                self.problems.push(skipped(dir, e.to_string()));
                return;
            }
        };
        // Names share the folder, so sorting them orders the paths.
        let mut entries: Vec<fs::DirEntry> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            // Only folders, links and log files need metadata (the listing knows the type).
            let plain = entry
                .file_type()
                .is_ok_and(|t| !t.is_dir() && !t.is_symlink());
            if plain && !is_log_file(&path) {
                continue;
            }
            match entry_metadata(&entry, &path) {
                Ok(m) if m.is_dir() => self.folder(&path, &m),
                _ if !is_log_file(&path) => {}
                Ok(m) if m.is_file() => self.file(path, &m),
                // Reading a FIFO would wait for a writer that may never come.
                Ok(m) => self.problems.push(skipped(&path, not_regular(&m))),
                Err(e) => self.problems.push(skipped(&path, e.to_string())),
            }
        }
    }
}

/// An entry's metadata, through a symlink to what it names (linked files and folders are
/// read too). Entries that are not links are asked relative to their folder: resolving
/// every full path again was most of the walk's time in a tree of 100,000 blobs.
fn entry_metadata(entry: &fs::DirEntry, path: &Path) -> std::io::Result<fs::Metadata> {
    match entry.file_type() {
        Ok(t) if !t.is_symlink() => entry.metadata(),
        _ => fs::metadata(path),
    }
}

fn is_log_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json") || e.eq_ignore_ascii_case("log"))
}

/// Why a log file found in a folder is not read: neither a regular file nor a folder.
fn not_regular(meta: &fs::Metadata) -> String {
    #[cfg(unix)]
    let what = {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            "a FIFO"
        } else if t.is_socket() {
            "a socket"
        } else if t.is_char_device() {
            "a character device"
        } else if t.is_block_device() {
            "a block device"
        } else {
            "of another kind"
        }
    };
    #[cfg(not(unix))]
    let what = {
        let _ = meta;
        "of another kind"
    };
    format!(
        "not a regular file ({what}): folders are searched for regular files only; \
         name it on the command line to read it"
    )
}

/// Why a path reached again is left out: it is read once, where first found.
const SEARCHED_BEFORE: &str = "the same folder was searched before (given more than once, or \
     through a link): its files are read once";
const FOUND_BEFORE: &str =
    "the same file was found before (given more than once, or through a link): it is read once";

/// A link to a folder that holds it: followed once. Its files are all read where the
/// folder was first reached, so it is a path reached again, not a loss.
fn link_loop(path: &Path) -> Problem {
    let target = fs::canonicalize(path)
        .map(|t| format!(" {}", t.to_string_lossy()))
        .unwrap_or_default();
    let detail = format!("link loop: leads back to{target}, a folder it is in; not searched again");
    found_before(path, &detail)
}

/// A path reached again: not a loss, so a kind of its own that no warning counts.
fn found_before(path: &Path, detail: &str) -> Problem {
    Problem {
        kind: ProblemKind::FoundBefore,
        ..skipped(path, detail.into())
    }
}

/// A path the walk leaves out, and why.
fn skipped(path: &Path, detail: String) -> Problem {
    Problem {
        file: path.to_string_lossy().into_owned(),
        kind: ProblemKind::Unreadable,
        detail,
        count: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(inputs: &[Input], root: &Path) -> Vec<String> {
        inputs
            .iter()
            .map(|i| match i {
                Input::File { path, .. } => path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
                other => other.name(),
            })
            .collect()
    }

    #[test]
    fn folders_are_searched_recursively_in_sorted_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/c")).unwrap();
        for f in [
            "b/c/PT1H.json",
            "a.log",
            "b/x.JSON",
            "notes.txt",
            "b/a.json",
        ] {
            fs::write(root.join(f), "{}").unwrap();
        }
        let (inputs, problems) =
            expand(&[Source::Path(root.to_path_buf()), Source::Stdin]).unwrap();
        assert_eq!(
            names(&inputs, root),
            ["a.log", "b/a.json", "b/c/PT1H.json", "b/x.JSON", "-"]
        );
        assert!(problems.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_followed_once_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir(root.join("d")).unwrap();
        fs::write(root.join("d/a.json"), "{}").unwrap();
        std::os::unix::fs::symlink(root, root.join("d/loop")).unwrap();
        std::os::unix::fs::symlink(".", root.join("d/self")).unwrap();
        let (inputs, problems) = expand(&[Source::Path(root.to_path_buf())]).unwrap();
        assert_eq!(names(&inputs, root), ["d/a.json"]);
        let loops: Vec<&str> = problems.iter().map(|p| p.file.as_str()).collect();
        assert_eq!(loops.len(), 2, "{problems:?}");
        assert!(loops[0].ends_with("loop") && loops[1].ends_with("self"));
        assert!(problems.iter().all(|p| p.kind == ProblemKind::FoundBefore
            && p.detail.starts_with("link loop: leads back to")));
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_are_read_from_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("a.json"), "{}").unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(root.join("fifo.json"))
            .status()
            .unwrap();
        assert!(made.success());
        let _socket = std::os::unix::net::UnixListener::bind(root.join("socket.log")).unwrap();
        std::os::unix::fs::symlink("/dev/null", root.join("null.json")).unwrap();
        let (inputs, problems) = expand(&[Source::Path(root.to_path_buf())]).unwrap();
        assert_eq!(names(&inputs, root), ["a.json"]);
        let expected = [
            ("fifo.json", "(a FIFO)"),
            ("null.json", "(a character device)"),
            ("socket.log", "(a socket)"),
        ];
        assert_eq!(problems.len(), expected.len(), "{problems:?}");
        for (p, (name, what)) in problems.iter().zip(expected) {
            assert!(p.file.ends_with(name) && p.detail.contains(what), "{p:?}");
        }
        assert!(problems.iter().all(|p| p.kind == ProblemKind::Unreadable));
        // Named on the command line, a pipe is read as given (`<(…)` is one).
        let (inputs, problems) = expand(&[Source::Path(root.join("fifo.json"))]).unwrap();
        assert_eq!(names(&inputs, root), ["fifo.json"]);
        assert!(problems.is_empty());
    }

    #[test]
    fn a_file_reached_twice_is_found_once_where_first_reached() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("logs/sub")).unwrap();
        for f in ["logs/a.json", "logs/sub/b.json"] {
            fs::write(root.join(f), "{}").unwrap();
        }
        let path = |p: &str| Source::Path(root.join(p));
        let cases: [(Vec<Source>, &[&str]); 6] = [
            (
                vec![path("logs"), path("logs")],
                &["logs/a.json", "logs/sub/b.json"],
            ),
            (
                vec![path("logs"), path("./logs/")],
                &["logs/a.json", "logs/sub/b.json"],
            ),
            (
                vec![path("logs"), path("logs/sub")],
                &["logs/a.json", "logs/sub/b.json"],
            ),
            // The first place found is kept, and the order found.
            (
                vec![path("logs/sub"), path("logs")],
                &["logs/sub/b.json", "logs/a.json"],
            ),
            (
                vec![path("logs/a.json"), path("logs/a.json")],
                &["logs/a.json"],
            ),
            (
                vec![path("logs/sub/b.json"), path("logs")],
                &["logs/sub/b.json", "logs/a.json"],
            ),
        ];
        for (sources, want) in cases {
            let (inputs, problems) = expand(&sources).unwrap();
            assert_eq!(names(&inputs, root), want, "{sources:?}");
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].detail.contains("given more than once"));
        }
        // Standard input is read each time it is named.
        let (inputs, problems) = expand(&[Source::Stdin, Source::Stdin]).unwrap();
        assert_eq!(inputs, [Input::Stdin, Input::Stdin]);
        assert!(problems.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_file_or_folder_is_found_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("logs")).unwrap();
        fs::write(root.join("logs/a.json"), "{}").unwrap();
        fs::hard_link(root.join("logs/a.json"), root.join("logs/hard.json")).unwrap();
        std::os::unix::fs::symlink("a.json", root.join("logs/soft.json")).unwrap();
        std::os::unix::fs::symlink("logs", root.join("same")).unwrap();
        let (inputs, problems) = expand(&[Source::Path(root.to_path_buf())]).unwrap();
        assert_eq!(names(&inputs, root), ["logs/a.json"]);
        let again: Vec<&str> = problems.iter().map(|p| p.file.as_str()).collect();
        assert_eq!(again.len(), 3, "{problems:?}");
        assert!(again[0].ends_with("hard.json") && again[1].ends_with("soft.json"));
        assert!(again[2].ends_with("same"));
    }

    #[test]
    fn missing_paths_and_no_sources_are_errors() {
        let err = expand(&[Source::Path("no/such/place.json".into())]).unwrap_err();
        assert!(matches!(err, LoadError::NotFound { .. }));
        assert!(matches!(expand(&[]), Err(LoadError::NoSources)));
    }
}

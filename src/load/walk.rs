//! Expanding sources into the list of inputs to read: files as given, folders searched
//! recursively for `*.json` and `*.log` in sorted order, standard input, embedded data.

use super::report::{Problem, ProblemKind};
use super::{LoadError, Source};
use std::collections::HashSet;
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

/// The inputs of `sources`, and problems met on the way (unreadable folders).
pub fn expand(sources: &[Source]) -> Result<(Vec<Input>, Vec<Problem>), LoadError> {
    if sources.is_empty() {
        return Err(LoadError::NoSources);
    }
    let mut inputs = Vec::new();
    let mut problems = Vec::new();
    for source in sources {
        match source {
            Source::Stdin => inputs.push(Input::Stdin),
            Source::Embedded { name, data } => inputs.push(Input::Embedded { name, data }),
            Source::Path(path) => {
                let meta = fs::metadata(path).map_err(|_| LoadError::NotFound {
                    path: path.to_string_lossy().into_owned(),
                })?;
                if meta.is_dir() {
                    let mut visited = HashSet::new();
                    folder(path, &meta, &mut visited, &mut inputs, &mut problems);
                } else {
                    inputs.push(Input::File {
                        path: path.clone(),
                        size: meta.len(),
                    });
                }
            }
        }
    }
    Ok((inputs, problems))
}

/// Identifies a folder whatever name reached it, so a symlink loop is followed once.
#[cfg(unix)]
type FolderId = (u64, u64);
#[cfg(not(unix))]
type FolderId = PathBuf;

/// From the metadata already read: no extra system calls per folder (trees of flow logs
/// hold a folder per hour, and resolving each path's links cost more than reading it).
#[cfg(unix)]
fn folder_id(_dir: &Path, meta: &fs::Metadata) -> Option<FolderId> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn folder_id(dir: &Path, _meta: &fs::Metadata) -> Option<FolderId> {
    fs::canonicalize(dir).ok()
}

fn folder(
    dir: &Path,
    meta: &fs::Metadata,
    visited: &mut HashSet<FolderId>,
    inputs: &mut Vec<Input>,
    problems: &mut Vec<Problem>,
) {
    if let Some(id) = folder_id(dir, meta) {
        if !visited.insert(id) {
            return;
        }
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(unreadable(dir, &e));
            return;
        }
    };
    // Names share the folder, so sorting them orders the paths.
    let mut entries: Vec<fs::DirEntry> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        // A plain file that is not a log needs no metadata (the listing knows its type).
        if entry.file_type().is_ok_and(|t| t.is_file()) && !is_log_file(&path) {
            continue;
        }
        match entry_metadata(&entry, &path) {
            Ok(m) if m.is_dir() => folder(&path, &m, visited, inputs, problems),
            Ok(m) if is_log_file(&path) => inputs.push(Input::File {
                path,
                size: m.len(),
            }),
            Ok(_) => {}
            Err(e) if is_log_file(&path) => problems.push(unreadable(&path, &e)),
            Err(_) => {}
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

fn unreadable(path: &Path, err: &std::io::Error) -> Problem {
    Problem {
        file: path.to_string_lossy().into_owned(),
        kind: ProblemKind::Unreadable,
        detail: err.to_string(),
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
    fn symlink_loops_are_followed_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir(root.join("d")).unwrap();
        fs::write(root.join("d/a.json"), "{}").unwrap();
        std::os::unix::fs::symlink(root, root.join("d/loop")).unwrap();
        let (inputs, _) = expand(&[Source::Path(root.to_path_buf())]).unwrap();
        assert_eq!(names(&inputs, root), ["d/a.json"]);
    }

    #[test]
    fn missing_paths_and_no_sources_are_errors() {
        let err = expand(&[Source::Path("no/such/place.json".into())]).unwrap_err();
        assert!(matches!(err, LoadError::NotFound { .. }));
        assert!(matches!(expand(&[]), Err(LoadError::NoSources)));
    }
}

//! The explorer's settings: a TOML config, filter history and saved filters, all in the
//! project config folder (or a folder a test injects). A missing or broken config yields
//! the defaults and a message, never an error.

use super::keys::Keymap;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

const CONFIG_FILE: &str = "config.toml";
const HISTORY_FILE: &str = "history";
const SAVED_FILE: &str = "saved-filters";
const HISTORY_LIMIT: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThemeName {
    #[default]
    Dark,
    Light,
    HighContrast,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeZone {
    #[default]
    Utc,
    Local,
}

/// A column of the Flows pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Column {
    Time,
    Src,
    Dst,
    Proto,
    Dir,
    Action,
    State,
    Bytes,
    Packets,
    Rule,
    Nsg,
}

impl Column {
    pub const DEFAULT: [Column; 11] = [
        Column::Time,
        Column::Src,
        Column::Dst,
        Column::Proto,
        Column::Dir,
        Column::Action,
        Column::State,
        Column::Bytes,
        Column::Packets,
        Column::Rule,
        Column::Nsg,
    ];
}

/// The config file as written by the user; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    theme: Option<ThemeName>,
    time_zone: Option<TimeZone>,
    columns: Option<Vec<Column>>,
    #[serde(default)]
    keys: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// Where config, history and saved filters live; `None` = keep nothing on disk.
    pub dir: Option<PathBuf>,
    pub theme: ThemeName,
    pub time_zone: TimeZone,
    pub columns: Vec<Column>,
    pub keymap: Keymap,
    /// `NO_COLOR` was set: no colours at all.
    pub no_color: bool,
    pub history: Vec<String>,
    pub saved: Vec<String>,
    /// What went wrong reading the config, for the status line.
    pub problems: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            dir: None,
            theme: ThemeName::default(),
            time_zone: TimeZone::default(),
            columns: Column::DEFAULT.to_vec(),
            keymap: Keymap::default(),
            no_color: false,
            history: Vec::new(),
            saved: Vec::new(),
            problems: Vec::new(),
        }
    }
}

impl Settings {
    /// The user's project config folder (`None` when the platform has no home).
    pub fn default_dir() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "flowscope").map(|d| d.config_dir().to_path_buf())
    }

    /// Reads everything under `dir`; `no_color` comes from the caller (the `NO_COLOR`
    /// variable) so tests stay independent of the environment.
    pub fn load(dir: Option<PathBuf>, no_color: bool) -> Settings {
        let mut s = Settings {
            no_color,
            ..Settings::default()
        };
        let Some(dir) = dir else { return s };
        s.read_config(&dir.join(CONFIG_FILE));
        s.history = read_lines(&dir.join(HISTORY_FILE));
        s.saved = read_lines(&dir.join(SAVED_FILE));
        s.dir = Some(dir);
        s
    }

    fn read_config(&mut self, path: &Path) {
        let text = match fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => {
                self.problems
                    .push(format!("config {}: {e}; using defaults", path.display()));
                return;
            }
        };
        let config: ConfigFile = match toml::from_str(&text) {
            Ok(c) => c,
            Err(e) => {
                let first = e.message().lines().next().unwrap_or("invalid").to_string();
                self.problems.push(format!(
                    "config {}: {first}; using defaults",
                    path.display()
                ));
                return;
            }
        };
        self.theme = config.theme.unwrap_or_default();
        self.time_zone = config.time_zone.unwrap_or_default();
        if let Some(cols) = config.columns.filter(|c| !c.is_empty()) {
            self.columns = cols;
        }
        let (keymap, problems) = Keymap::with_overrides(&config.keys);
        self.keymap = keymap;
        self.problems
            .extend(problems.into_iter().map(|p| format!("config: {p}")));
    }

    /// Adds a kept filter to the history (most recent last, no repeats) and writes it.
    pub fn remember(&mut self, filter: &str) -> Result<(), String> {
        if filter.trim().is_empty() {
            return Ok(());
        }
        self.history.retain(|h| h != filter);
        self.history.push(filter.to_string());
        let excess = self.history.len().saturating_sub(HISTORY_LIMIT);
        self.history.drain(..excess);
        self.write(HISTORY_FILE, &self.history)
    }

    /// Saves a filter for the picker.
    pub fn save_filter(&mut self, filter: &str) -> Result<(), String> {
        if !self.saved.iter().any(|s| s == filter) {
            self.saved.push(filter.to_string());
        }
        self.write(SAVED_FILE, &self.saved)
    }

    fn write(&self, name: &str, lines: &[String]) -> Result<(), String> {
        let Some(dir) = &self.dir else { return Ok(()) };
        let mut text = lines.join("\n");
        text.push('\n');
        fs::create_dir_all(dir)
            .and_then(|_| fs::write(dir.join(name), text))
            .map_err(|e| format!("cannot write {}: {e}", dir.join(name).display()))
    }
}

fn read_lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .map(|t| {
            t.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_dir_gives_defaults_without_problems() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings::load(Some(dir.path().join("nowhere")), false);
        assert_eq!(s.theme, ThemeName::Dark);
        assert!(s.problems.is_empty());
    }

    #[test]
    fn broken_config_is_reported_and_defaults_kept() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(CONFIG_FILE), "theme = \"purple\"\n").unwrap();
        let s = Settings::load(Some(dir.path().to_path_buf()), false);
        assert_eq!(s.theme, ThemeName::Dark);
        assert_eq!(s.problems.len(), 1);
        assert!(s.problems[0].contains("using defaults"), "{:?}", s.problems);
    }

    #[test]
    fn config_history_and_saved_filters_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(CONFIG_FILE),
            "theme = \"high-contrast\"\ntime_zone = \"local\"\ncolumns = [\"time\", \"src\"]\n[keys]\nquit = \"x\"\n",
        )
        .unwrap();
        let mut s = Settings::load(Some(dir.path().to_path_buf()), true);
        assert_eq!(s.theme, ThemeName::HighContrast);
        assert_eq!(s.time_zone, TimeZone::Local);
        assert_eq!(s.columns, vec![Column::Time, Column::Src]);
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        s.remember("deny").unwrap();
        s.remember("tcp").unwrap();
        s.remember("deny").unwrap();
        s.save_filter("dport == 22").unwrap();
        let again = Settings::load(Some(dir.path().to_path_buf()), true);
        assert_eq!(again.history, vec!["tcp", "deny"]);
        assert_eq!(again.saved, vec!["dport == 22"]);
    }
}

//! The key table: one list of (key, context, command, help text) that drives dispatch, the
//! `?` help screen and the key overrides of the config file.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::collections::BTreeMap;

/// Where the keyboard focus is; the same key can mean different things in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    /// The panes (also while loading).
    Panes,
    /// Editing the filter bar.
    Filter,
    /// The fuzzy picker.
    Picker,
    /// A popup that only closes (help, details).
    Popup,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Panes => "Panes",
            Context::Filter => "Filter bar",
            Context::Picker => "Picker",
            Context::Popup => "Popups",
        }
    }
}

/// What a key asks for, before it touches any state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Quit,
    Help,
    NextPane,
    PrevPane,
    Up,
    Down,
    First,
    Last,
    PageUp,
    PageDown,
    DrillIn,
    Back,
    EditFilter,
    Picker,
    SaveFilter,
    Details,
    CycleSort,
    ReverseSort,
    CycleTop,
    Accept,
    Cancel,
    Complete,
    CompleteBack,
    HistoryPrev,
    HistoryNext,
    Close,
}

impl Command {
    /// The name used for key overrides in the config file.
    pub fn name(self) -> &'static str {
        match self {
            Command::Quit => "quit",
            Command::Help => "help",
            Command::NextPane => "next_pane",
            Command::PrevPane => "prev_pane",
            Command::Up => "up",
            Command::Down => "down",
            Command::First => "first",
            Command::Last => "last",
            Command::PageUp => "page_up",
            Command::PageDown => "page_down",
            Command::DrillIn => "drill_in",
            Command::Back => "back",
            Command::EditFilter => "edit_filter",
            Command::Picker => "picker",
            Command::SaveFilter => "save_filter",
            Command::Details => "details",
            Command::CycleSort => "sort",
            Command::ReverseSort => "reverse_sort",
            Command::CycleTop => "top_mode",
            Command::Accept => "accept",
            Command::Cancel => "cancel",
            Command::Complete => "complete",
            Command::CompleteBack => "complete_back",
            Command::HistoryPrev => "history_prev",
            Command::HistoryNext => "history_next",
            Command::Close => "close",
        }
    }
}

/// A key with its modifiers (Shift is folded into the character for printable keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            mods: KeyModifiers::NONE,
        }
    }
    pub const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }
    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    /// Normalises a terminal key event; `None` for releases.
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        let mut mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        if !matches!(ev.code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods |= ev.modifiers & KeyModifiers::SHIFT;
        }
        Some(Key {
            code: ev.code,
            mods,
        })
    }

    /// Parses `q`, `ctrl-p`, `tab`, `shift-tab`, `pgdn`, `f1`, `enter`, …
    pub fn parse(spec: &str) -> Option<Key> {
        let lower = spec.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("ctrl-") {
            let c = single_char(rest)?;
            return Some(Key::ctrl(c));
        }
        let code = match lower.as_str() {
            "tab" => KeyCode::Tab,
            "shift-tab" | "backtab" => KeyCode::BackTab,
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "backspace" => KeyCode::Backspace,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            "space" => KeyCode::Char(' '),
            f if f.starts_with('f') && f.len() > 1 => KeyCode::F(f[1..].parse().ok()?),
            _ => KeyCode::Char(single_char(spec)?),
        };
        Some(Key::plain(code))
    }

    /// How the help screen spells the key.
    pub fn label(self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }
}

fn single_char(s: &str) -> Option<char> {
    let mut chars = s.chars();
    let c = chars.next()?;
    chars.next().is_none().then_some(c)
}

/// One row of the key table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub key: Key,
    pub context: Context,
    pub command: Command,
    pub help: &'static str,
}

const fn bind(key: Key, context: Context, command: Command, help: &'static str) -> Binding {
    Binding {
        key,
        context,
        command,
        help,
    }
}

use Command as C;
use Context::{Filter, Panes, Picker, Popup};

/// The key that quits from anywhere: the app takes it before the key table.
pub const QUIT_ALWAYS: Key = Key::ctrl('c');

/// The default key table.
pub const DEFAULT_BINDINGS: &[Binding] = &[
    bind(Key::ch('q'), Panes, C::Quit, "quit (also cancels a load)"),
    bind(QUIT_ALWAYS, Panes, C::Quit, "quit (also cancels a load)"),
    bind(Key::ch('?'), Panes, C::Help, "this help"),
    bind(Key::plain(KeyCode::Tab), Panes, C::NextPane, "next pane"),
    bind(
        Key::plain(KeyCode::BackTab),
        Panes,
        C::PrevPane,
        "previous pane",
    ),
    bind(Key::ch('k'), Panes, C::Up, "move up"),
    bind(Key::plain(KeyCode::Up), Panes, C::Up, "move up"),
    bind(Key::ch('j'), Panes, C::Down, "move down"),
    bind(Key::plain(KeyCode::Down), Panes, C::Down, "move down"),
    bind(Key::ch('g'), Panes, C::First, "first row"),
    bind(Key::plain(KeyCode::Home), Panes, C::First, "first row"),
    bind(Key::ch('G'), Panes, C::Last, "last row"),
    bind(Key::plain(KeyCode::End), Panes, C::Last, "last row"),
    bind(Key::plain(KeyCode::PageUp), Panes, C::PageUp, "page up"),
    bind(
        Key::plain(KeyCode::PageDown),
        Panes,
        C::PageDown,
        "page down",
    ),
    bind(Key::plain(KeyCode::Enter), Panes, C::DrillIn, "drill in"),
    bind(Key::plain(KeyCode::Backspace), Panes, C::Back, "go back"),
    bind(Key::plain(KeyCode::Esc), Panes, C::Back, "go back"),
    bind(Key::ch('/'), Panes, C::EditFilter, "edit the filter"),
    bind(
        Key::ch(':'),
        Panes,
        C::Picker,
        "jump to a rule, address, filter",
    ),
    bind(
        Key::ctrl('p'),
        Panes,
        C::Picker,
        "jump to a rule, address, filter",
    ),
    bind(Key::ch('s'), Panes, C::SaveFilter, "save the filter"),
    bind(Key::ch('d'), Panes, C::Details, "details of a flow"),
    bind(
        Key::ch('o'),
        Panes,
        C::CycleSort,
        "sort by the next column or measure",
    ),
    bind(
        Key::ch('O'),
        Panes,
        C::ReverseSort,
        "reverse the Flows sort",
    ),
    bind(
        Key::ch('t'),
        Panes,
        C::CycleTop,
        "top src, dst, dport, or conversations",
    ),
    bind(
        Key::plain(KeyCode::Enter),
        Filter,
        C::Accept,
        "keep the filter",
    ),
    bind(
        Key::plain(KeyCode::Esc),
        Filter,
        C::Cancel,
        "restore the previous filter",
    ),
    bind(
        Key::plain(KeyCode::Tab),
        Filter,
        C::Complete,
        "complete a field or value",
    ),
    bind(
        Key::plain(KeyCode::BackTab),
        Filter,
        C::CompleteBack,
        "previous completion",
    ),
    bind(
        Key::plain(KeyCode::Up),
        Filter,
        C::HistoryPrev,
        "older filter",
    ),
    bind(
        Key::plain(KeyCode::Down),
        Filter,
        C::HistoryNext,
        "newer filter",
    ),
    bind(Key::plain(KeyCode::Enter), Picker, C::Accept, "jump"),
    bind(Key::plain(KeyCode::Esc), Picker, C::Cancel, "close"),
    bind(Key::plain(KeyCode::Up), Picker, C::Up, "move up"),
    bind(Key::plain(KeyCode::Down), Picker, C::Down, "move down"),
    bind(Key::plain(KeyCode::Up), Popup, C::Up, "scroll up"),
    bind(Key::ch('k'), Popup, C::Up, "scroll up"),
    bind(Key::plain(KeyCode::Down), Popup, C::Down, "scroll down"),
    bind(Key::ch('j'), Popup, C::Down, "scroll down"),
    bind(Key::plain(KeyCode::PageUp), Popup, C::PageUp, "page up"),
    bind(
        Key::plain(KeyCode::PageDown),
        Popup,
        C::PageDown,
        "page down",
    ),
    bind(Key::ch('g'), Popup, C::First, "top"),
    bind(Key::plain(KeyCode::Home), Popup, C::First, "top"),
    bind(Key::ch('G'), Popup, C::Last, "end"),
    bind(Key::plain(KeyCode::End), Popup, C::Last, "end"),
    bind(Key::plain(KeyCode::Esc), Popup, C::Close, "close"),
    bind(Key::ch('q'), Popup, C::Close, "close"),
    bind(Key::ch('?'), Popup, C::Close, "close"),
    bind(Key::plain(KeyCode::Enter), Popup, C::Close, "close"),
];

/// The key table in use: the defaults with the config's overrides applied.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bindings: DEFAULT_BINDINGS.to_vec(),
        }
    }
}

impl Keymap {
    /// Applies `command name → key` overrides (pane context); returns the map and one
    /// message per override it could not understand.
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> (Keymap, Vec<String>) {
        let mut map = Keymap::default();
        let mut problems = Vec::new();
        for (name, spec) in overrides {
            let Some(b) = DEFAULT_BINDINGS
                .iter()
                .find(|b| b.command.name() == name && b.context == Panes)
            else {
                problems.push(format!("unknown command `{name}` in [keys]"));
                continue;
            };
            let Some(key) = Key::parse(spec) else {
                problems.push(format!("unknown key `{spec}` for `{name}`"));
                continue;
            };
            let (command, help) = (b.command, b.help);
            // Ctrl-C quits from anywhere, whatever the config says (a way out must remain).
            if key == QUIT_ALWAYS && command != C::Quit {
                problems.push(format!(
                    "{} always quits: not bound to `{name}`",
                    key.label()
                ));
                continue;
            }
            // A key taken from another command leaves that one without it: refused where
            // it is that command's only key (`t` for the Top pane, `?` for the help),
            // said where it has others.
            let others_keys = |other: Command| {
                map.bindings
                    .iter()
                    .filter(|x| x.context == Panes && x.command == other && x.key != key)
                    .count()
            };
            let taken: Vec<Command> = map
                .bindings
                .iter()
                .filter(|x| x.context == Panes && x.key == key && x.command != command)
                .map(|x| x.command)
                .collect();
            if let Some(&only) = taken.iter().find(|&&other| others_keys(other) == 0) {
                problems.push(format!(
                    "`{spec}` is the only key of `{}`: not bound to `{name}`",
                    only.name()
                ));
                continue;
            }
            for other in taken {
                problems.push(format!(
                    "`{spec}` for `{name}` takes it from `{}`",
                    other.name()
                ));
            }
            map.bindings.retain(|x| {
                x.key == QUIT_ALWAYS
                    || !(x.context == Panes && (x.command == command || x.key == key))
            });
            map.bindings.push(bind(key, Panes, command, help));
        }
        (map, problems)
    }

    /// The key to name for `command` in hints (the status line, the loading box): its
    /// first key in the panes other than Ctrl-C, which every command would otherwise share
    /// with quit.
    pub fn hint_key(&self, command: Command) -> String {
        let keys = || {
            self.bindings
                .iter()
                .filter(move |b| b.context == Panes && b.command == command)
        };
        keys()
            .find(|b| b.key != QUIT_ALWAYS)
            .or_else(|| keys().next())
            .map_or_else(String::new, |b| b.key.label())
    }

    pub fn resolve(&self, key: Key, context: Context) -> Option<Command> {
        self.bindings
            .iter()
            .find(|b| b.key == key && b.context == context)
            .map(|b| b.command)
    }

    /// Help lines per context: (keys joined, help text), in table order.
    pub fn help(&self) -> Vec<(Context, Vec<(String, &'static str)>)> {
        let mut out: Vec<(Context, Vec<(String, &'static str)>)> = Vec::new();
        for ctx in [Panes, Filter, Picker, Popup] {
            let mut lines: Vec<(Command, String, &'static str)> = Vec::new();
            for b in self.bindings.iter().filter(|b| b.context == ctx) {
                match lines.iter_mut().find(|l| l.0 == b.command) {
                    Some(line) => {
                        line.1.push_str(", ");
                        line.1.push_str(&b.key.label());
                    }
                    None => lines.push((b.command, b.key.label(), b.help)),
                }
            }
            out.push((ctx, lines.into_iter().map(|(_, k, h)| (k, h)).collect()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifted_letters_and_controls_resolve() {
        let map = Keymap::default();
        let shift_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        let key = Key::from_event(&shift_g).unwrap();
        assert_eq!(map.resolve(key, Panes), Some(C::Last));
        let ctrl_p = KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL);
        assert_eq!(
            map.resolve(Key::from_event(&ctrl_p).unwrap(), Panes),
            Some(C::Picker)
        );
        assert_eq!(map.resolve(Key::ch('j'), Filter), None);
    }

    #[test]
    fn overrides_replace_the_key_and_report_mistakes() {
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), "x".to_string());
        o.insert("fly".to_string(), "y".to_string());
        o.insert("help".to_string(), "ctrl-".to_string());
        let (map, problems) = Keymap::with_overrides(&o);
        assert_eq!(map.resolve(Key::ch('x'), Panes), Some(C::Quit));
        assert_eq!(map.resolve(Key::ch('q'), Panes), None);
        assert_eq!(problems.len(), 2, "{problems:?}");
        // Hints name the new key; Ctrl-C still quits, so the help still lists it.
        assert_eq!(map.hint_key(C::Quit), "x");
        assert_eq!(map.resolve(QUIT_ALWAYS, Panes), Some(C::Quit));
        let help = map.help();
        assert!(
            help[0]
                .1
                .iter()
                .any(|(k, h)| k.contains("Ctrl") && k.contains('x') && h.starts_with("quit")),
            "{help:?}"
        );
    }

    #[test]
    fn a_key_taken_from_another_command_is_reported_or_refused() {
        // `t` is the Top pane's only key: refused, so both keep a key.
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), "t".to_string());
        let (map, problems) = Keymap::with_overrides(&o);
        assert_eq!(map.resolve(Key::ch('t'), Panes), Some(C::CycleTop));
        assert_eq!(map.resolve(Key::ch('q'), Panes), Some(C::Quit));
        assert_eq!(
            problems,
            ["`t` is the only key of `top_mode`: not bound to `quit`"]
        );
        // `k` is one of two keys of `up`: taken, and said.
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), "k".to_string());
        let (map, problems) = Keymap::with_overrides(&o);
        assert_eq!(map.resolve(Key::ch('k'), Panes), Some(C::Quit));
        assert_eq!(map.resolve(Key::plain(KeyCode::Up), Panes), Some(C::Up));
        assert_eq!(problems, ["`k` for `quit` takes it from `up`"]);
        // Two overrides on one key: the second would leave the first's command keyless.
        let mut o = BTreeMap::new();
        o.insert("help".to_string(), "x".to_string());
        o.insert("quit".to_string(), "x".to_string());
        let (map, problems) = Keymap::with_overrides(&o);
        assert_eq!(map.resolve(Key::ch('x'), Panes), Some(C::Help));
        assert!(!map.hint_key(C::Quit).is_empty() && !map.hint_key(C::Help).is_empty());
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn ctrl_c_cannot_be_taken_from_quit() {
        let mut o = BTreeMap::new();
        o.insert("help".to_string(), "ctrl-c".to_string());
        let (map, problems) = Keymap::with_overrides(&o);
        assert_eq!(map.resolve(QUIT_ALWAYS, Panes), Some(C::Quit));
        assert_eq!(map.hint_key(C::Help), "?");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(Keymap::default().hint_key(C::Quit), "q");
    }

    #[test]
    fn help_joins_keys_of_one_command() {
        let help = Keymap::default().help();
        let panes = &help[0].1;
        assert!(panes.iter().any(|(k, h)| k == "k, ↑" && *h == "move up"));
    }
}

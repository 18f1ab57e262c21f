//! The command line (DESIGN.md "Command line"): `check`, `query`, `stats`, `generate` and
//! the explorer. Data goes to stdout; progress, warnings and errors to stderr.

mod args;
mod check;
mod filter_error;
pub mod generate;
mod input;
mod output;
mod query;
mod row;
mod stats;

pub use args::Cli;

use args::Command;
use clap::Parser;
use filter_error::BadFilter;
use std::fmt;
use std::io;
use std::process::ExitCode;

use crate::load::Source;
use crate::selection::Selection;
use crate::store::Store;

/// A failure said in one line, with its exit code: the data's (nothing readable, a
/// missing path, `--strict`: 1) or the arguments' (nothing to do: 2).
#[derive(Debug)]
pub struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    pub fn data(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_DATA,
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

const EXIT_DATA: u8 = 1;
const EXIT_USAGE: u8 = 2;

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Messages can quote file names and filter text: keep them terminal-safe.
            let message = format!("{e:#}");
            let lines: Vec<_> = message.lines().map(crate::text::sanitize).collect();
            eprintln!("flowscope: {}", lines.join("\n"));
            let code = match e.downcast_ref::<Failure>() {
                Some(failure) => failure.code,
                None if e.is::<BadFilter>() => EXIT_USAGE,
                None => EXIT_DATA,
            };
            ExitCode::from(code)
        }
    }
}

/// Help and version go to stdout as clap writes them; errors become one line.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = e.print();
        return ExitCode::from(EXIT_USAGE);
    }
    let reason = one_line(&e.render().to_string());
    eprintln!("flowscope: {reason} (see `flowscope --help`)");
    ExitCode::from(EXIT_USAGE)
}

/// clap's first message line, with the items it lists below a trailing colon.
fn one_line(rendered: &str) -> String {
    let mut lines = rendered.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().unwrap_or("bad arguments");
    let mut reason = first.strip_prefix("error: ").unwrap_or(first).to_string();
    if reason.ends_with(':') {
        let items: Vec<&str> = lines
            .take_while(|l| l.starts_with(' '))
            .map(str::trim)
            .collect();
        reason = format!("{} {}", reason, items.join(", "));
    } else if let Some(values) = lines.find_map(|l| l.trim().strip_prefix("[possible values: ")) {
        reason = format!(
            "{reason}; possible values: {}",
            values.trim_end_matches(']')
        );
    }
    reason
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                .is_some_and(|k| k == io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    // Only the data commands hold stdout: the explorer draws on the terminal itself.
    let data_out = || io::BufWriter::new(io::stdout().lock());
    let strict = cli.strict;
    match &cli.command {
        Some(Command::Check(a)) => check::run(a, strict, &mut data_out()),
        Some(Command::Query(a)) => query::run(a, strict, &mut data_out()),
        Some(Command::Stats(a)) => stats::run(a, strict, &mut data_out()),
        Some(Command::Generate(a)) => generate::run(a),
        None => explore(cli),
    }
}

/// `flowscope [PATH]...` and `flowscope --demo`.
fn explore(cli: &Cli) -> anyhow::Result<()> {
    let sources = if cli.demo {
        crate::gen::demo::sources()
    } else if cli.paths.is_empty() {
        return Err(Failure::usage(
            "no path given: try `flowscope PATH...`, `flowscope --demo` or `flowscope --help`",
        )
        .into());
    } else {
        cli.paths.iter().map(|p| Source::from_arg(p)).collect()
    };
    // Said before the screen is taken over, where a script or a person reads it.
    if let Err(e) = crate::load::check_sources(&sources) {
        let hint = mistyped_command(&cli.paths)
            .map(|c| format!("; did you mean `flowscope {c}`?"))
            .unwrap_or_default();
        return Err(Failure::data(format!("{e}{hint}")).into());
    }
    if !has_terminal() {
        return Err(Failure::data(
            "the explorer needs a terminal; in scripts use `flowscope check`, `query` or `stats`",
        )
        .into());
    }
    crate::tui::run(sources)
}

/// The subcommand a first path that is not there was probably meant to be (`chekc`).
fn mistyped_command(paths: &[String]) -> Option<String> {
    let first = paths.first()?;
    if std::path::Path::new(first).exists() {
        return None;
    }
    let commands = ["check", "query", "stats", "generate"].into_iter();
    crate::filter::suggestions(first, commands)
        .into_iter()
        .next()
}

/// The explorer draws on stdout and reads keys from stdin, or from the controlling
/// terminal when stdin carries the logs (`zcat … | flowscope -`).
fn has_terminal() -> bool {
    use std::io::IsTerminal;
    io::stdout().is_terminal()
        && (io::stdin().is_terminal() || cfg!(unix) && std::fs::File::open("/dev/tty").is_ok())
}

/// The rows `filter` selects (every row without one).
fn select(store: &Store, filter: Option<&str>) -> anyhow::Result<Selection> {
    match filter {
        None => Ok(Selection::all(store.len())),
        Some(text) => crate::filter::compile(text, store)
            .map(|compiled| compiled.select(store))
            .map_err(|error| bad_filter(text, error)),
    }
}

fn bad_filter(text: &str, error: crate::filter::FilterError) -> anyhow::Error {
    BadFilter {
        text: text.to_string(),
        error,
    }
    .into()
}

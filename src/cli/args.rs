//! The command line's grammar (DESIGN.md "Command line", a stable contract).

use super::generate::GenerateArgs;
use crate::field::Field;
use crate::views::SortBy;
use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  flowscope ~/flowlogs/                     explore a folder of downloaded PT1H.json blobs
  flowscope --demo                          explore the built-in demo scenario
  flowscope check ./logs --format json      what loaded, what was rejected and why
  flowscope query ./logs -f 'dport == 3389 and deny' --limit 20
  flowscope stats ./logs --by rule          tuples per rule, biggest first";

#[derive(Debug, Parser)]
#[command(
    name = "flowscope",
    version,
    about = "A terminal explorer for Azure NSG and VNet flow logs",
    after_help = EXAMPLES,
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Flow log files or folders (folders are searched for *.json and *.log; `-` reads
    /// standard input)
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,

    /// Explore the built-in demo scenario
    #[arg(long, conflicts_with = "paths")]
    pub demo: bool,

    /// Treat any rejected tuple as an error
    #[arg(long, global = true)]
    pub strict: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load files and report what was read, rejected and skipped
    #[command(after_help = "\
Examples:
  flowscope check PT1H.json
  flowscope check ./logs --format json | jq '.problems[] | select(.kind == \"truncated\")'
  cat PT1H.json | flowscope check - --strict")]
    Check(CheckArgs),

    /// Print the tuples a filter selects, in time order
    #[command(after_help = "\
Examples:
  flowscope query ./logs -f 'dport == 3389 and action == deny' --limit 50
  flowscope query ./logs -f 'src in 10.0.0.0/8' --count
  flowscope query ./logs -f 'last 15m' --format ndjson | jq .rule
  flowscope query ./logs --format csv > tuples.csv")]
    Query(QueryArgs),

    /// Top values of a field, or top conversations, biggest first
    #[command(after_help = "\
Examples:
  flowscope stats ./logs --by rule
  flowscope stats ./logs -f deny --by src --top 20
  flowscope stats ./logs --by dport --sort bytes --format csv
  flowscope stats ./logs --by conversation --sort packets --format json

Fields: time src dst ip sport dport port proto dir action state rule nsg mac flowlog
target acl encryption bytes packets bytes_out bytes_in packets_out packets_in version file
(`ip` and `port` count both sides of a tuple).")]
    Stats(StatsArgs),

    /// Write generated flow logs
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Flow log files or folders (`-` reads standard input)
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<String>,

    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Flow log files or folders (`-` reads standard input)
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<String>,

    /// Filter expression, e.g. 'dport == 3389 and deny'
    #[arg(short = 'f', long = "filter", value_name = "EXPR")]
    pub filter: Option<String>,

    /// Print only the number of matching tuples
    #[arg(long, conflicts_with_all = ["format", "limit"])]
    pub count: bool,

    #[arg(long, value_enum, default_value_t = QueryFormat::Table)]
    pub format: QueryFormat,

    /// Print at most N tuples (the oldest first)
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Flow log files or folders (`-` reads standard input)
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<String>,

    /// Filter expression, e.g. 'dport == 3389 and deny'
    #[arg(short = 'f', long = "filter", value_name = "EXPR")]
    pub filter: Option<String>,

    /// A field name, or `conversation`
    #[arg(long, value_name = "FIELD|conversation", value_parser = parse_by)]
    pub by: StatsBy,

    #[arg(long, value_enum, default_value_t = SortArg::Tuples)]
    pub sort: SortArg,

    /// How many entries to print
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,

    #[arg(long, value_enum, default_value_t = StatsFormat::Table)]
    pub format: StatsFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsBy {
    Field(Field),
    Conversation,
}

fn parse_by(s: &str) -> Result<StatsBy, String> {
    if s.eq_ignore_ascii_case("conversation") {
        return Ok(StatsBy::Conversation);
    }
    Field::parse(s).map(StatsBy::Field).ok_or_else(|| {
        // A near miss is a typo: name the field meant rather than list all of them.
        let names = Field::ALL.iter().map(|f| f.name()).chain(["conversation"]);
        match crate::filter::suggestions(s, names).first() {
            Some(name) => format!("unknown field; did you mean `{name}`?"),
            None => {
                let names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "unknown field; expected one of: {}, conversation",
                    names.join(", ")
                )
            }
        }
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueryFormat {
    Table,
    Csv,
    Ndjson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatsFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortArg {
    Tuples,
    Bytes,
    Packets,
}

impl From<SortArg> for SortBy {
    fn from(s: SortArg) -> SortBy {
        match s {
            SortArg::Tuples => SortBy::Tuples,
            SortArg::Bytes => SortBy::Bytes,
            SortArg::Packets => SortBy::Packets,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_grammar_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn stats_by_accepts_fields_and_conversation() {
        assert_eq!(parse_by("DPORT"), Ok(StatsBy::Field(Field::Dport)));
        assert_eq!(parse_by("conversation"), Ok(StatsBy::Conversation));
        assert_eq!(
            parse_by("dprot"),
            Err("unknown field; did you mean `dport`?".into())
        );
        assert_eq!(
            parse_by("conversatoin").unwrap_err(),
            "unknown field; did you mean `conversation`?"
        );
        assert!(parse_by("zzzzzz")
            .unwrap_err()
            .contains("expected one of: time, src"));
        assert!(parse_by("dprot").is_err());
    }
}

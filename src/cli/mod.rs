//! The command line (DESIGN.md "Command line"): `check`, `query`, `stats`, the explorer.

pub mod generate;

use std::process::ExitCode;

pub fn main() -> ExitCode {
    eprintln!("flowscope: not built yet");
    ExitCode::FAILURE
}

//! The command line (DESIGN.md "Command line"): `check`, `query`, `stats`, the explorer.

use std::process::ExitCode;

pub fn main() -> ExitCode {
    eprintln!("flowscope: not built yet");
    ExitCode::FAILURE
}

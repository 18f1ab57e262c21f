fn main() -> std::process::ExitCode {
    flowscope::cli::main()
}

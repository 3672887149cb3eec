use std::process::ExitCode;

fn main() -> ExitCode {
    recovery_bot::cli::main()
}

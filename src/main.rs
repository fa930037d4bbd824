//! The `airlock` binary: parse arguments, run, map the outcome to an exit code
//! (0 ok / verified, 1 checked and rejected, 2 could not run).

mod cli;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    let out = cli.output_mode();
    match cli.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            failure.report(&out);
            failure.exit_code()
        }
    }
}

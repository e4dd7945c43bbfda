//! The `flowgate` binary. Each subcommand lives in its own module; `main`
//! only parses and dispatches.

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod decode_cmd;
mod templates;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Decode(args)) => decode_cmd::run(args),
        Some(Command::Run(args)) => flowgate_server::run(args),
        Some(Command::CheckConfig { file }) => flowgate_server::check_config(&file),
        Some(Command::Healthcheck(args)) => flowgate_server::healthcheck(args),
        None => flowgate_server::run(cli.run),
    }
}

//! `curd`: the client, and the server as `curd server`, so one copied binary does both.

use curd::cli::{self, args::Command};

fn main() {
    let command = cli::args::parse(std::env::args_os().skip(1)).unwrap_or_else(|s| s.exit());
    let result: Result<(), Box<dyn std::error::Error>> = match command {
        Command::Install(args) => cli::install::install(args).map_err(Into::into),
        Command::Wheel(args) => cli::install::wheel(args).map_err(Into::into),
        Command::Uninstall(args) => cli::uninstall::uninstall(args).map_err(Into::into),
        Command::Freeze(args) => cli::freeze::freeze(args).map_err(Into::into),
        Command::Server(rest) => {
            let args = curd::server::args::parse("curd server", rest).unwrap_or_else(|s| s.exit());
            curd::server::run(args).map_err(Into::into)
        }
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

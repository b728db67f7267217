//! `curd`: the client, and the server as `curd server`, so one copied binary does both.

use argh::FromArgs;
use curd::cli;

/// Install Python packages from cache servers and package indexes, or serve a cache.
#[derive(FromArgs)]
struct Curd {
    #[argh(subcommand)]
    command: Command,
}

#[derive(FromArgs)]
#[argh(subcommand)]
enum Command {
    Install(cli::InstallArgs),
    Wheel(cli::WheelArgs),
    Uninstall(cli::UninstallArgs),
    Freeze(cli::FreezeArgs),
    Server(curd::server::Args),
}

fn main() {
    let curd: Curd = curd::cli::args::from_env();
    let result: Result<(), Box<dyn std::error::Error>> = match curd.command {
        Command::Install(args) => cli::install::install(args).map_err(Into::into),
        Command::Wheel(args) => cli::install::wheel(args).map_err(Into::into),
        Command::Uninstall(args) => cli::uninstall::uninstall(args).map_err(Into::into),
        Command::Freeze(args) => cli::freeze::freeze(args).map_err(Into::into),
        Command::Server(args) => curd::server::run(args).map_err(Into::into),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

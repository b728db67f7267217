//! `curd`: the client, and the server as `curd server`, so one copied binary does both.

use argh::FromArgs;
use curd::commands;

/// Install Python packages from cache servers and package indexes, or serve a cache.
#[derive(FromArgs)]
struct Curd {
    #[argh(subcommand)]
    command: Command,
}

#[derive(FromArgs)]
#[argh(subcommand)]
enum Command {
    Install(commands::InstallArgs),
    Wheel(commands::WheelArgs),
    Uninstall(commands::UninstallArgs),
    Freeze(commands::FreezeArgs),
    Server(curd::server::Args),
}

fn main() {
    let curd: Curd = curd::args::from_env();
    let result = match curd.command {
        Command::Install(args) => commands::install::install(args),
        Command::Wheel(args) => commands::wheel(args),
        Command::Uninstall(args) => commands::uninstall(args),
        Command::Freeze(args) => commands::freeze(args),
        Command::Server(args) => curd::server::run(args).map_err(commands::CommandError::new),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

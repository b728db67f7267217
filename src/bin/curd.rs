//! `curd`: the client, and the server as `curd server`, so one copied binary does both.

use argh::FromArgs;

/// Install Python packages from cache servers and package indexes, or serve a cache.
#[derive(FromArgs)]
struct Curd {
    #[argh(subcommand)]
    command: Command,
}

#[derive(FromArgs)]
#[argh(subcommand)]
enum Command {
    Server(curd::server::Args),
}

fn main() {
    let curd: Curd = curd::args::from_env();
    let result = match curd.command {
        Command::Server(args) => curd::server::run(args),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

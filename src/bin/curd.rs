//! `curd`: the client, and the server as `curd server`, so one copied binary does both.

use curd::cli::{self, args::Command, settings::Variables};

/// The client allocates through mimalloc, curd-server through the system's: see
/// Cargo.toml for why.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let vars = Variables::from_process();
    let command = cli::args::parse_with(std::env::args_os().skip(1), &|m, name| {
        cli::config::fill(m, name, &vars)
    })
    .unwrap_or_else(|s| s.exit());
    let result: Result<(), Box<dyn std::error::Error>> = match command {
        Command::Install(args) => cli::install::install(args).map_err(Into::into),
        Command::Wheel(args) => cli::install::wheel(args).map_err(Into::into),
        Command::Uninstall(args) => cli::uninstall::uninstall(args).map_err(Into::into),
        Command::Freeze(args) => cli::freeze::freeze(args).map_err(Into::into),
        Command::List(args) => cli::list::list(args).map_err(Into::into),
        // Like pip's, these exit 1 when what they report is not all well.
        Command::Show(args) => cli::show::show(args).map(exit_unless).map_err(Into::into),
        Command::Check(args) => cli::check::check(args).map(exit_unless).map_err(Into::into),
        Command::Server(rest) => curd::server::main("curd server", rest).map_err(Into::into),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// Exits 1 unless `fine`, having said why already.
fn exit_unless(fine: bool) {
    if !fine {
        std::process::exit(1);
    }
}

//! `curd-server DIRECTORY`: the cache server on its own, as Curdling named it.

fn main() {
    let args = curd::server::args::parse("curd-server", std::env::args_os().skip(1))
        .unwrap_or_else(|s| s.exit());
    if let Err(e) = curd::server::run(args) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

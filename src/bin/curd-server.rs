//! `curd-server DIRECTORY`: the cache server on its own, as Curdling named it.

fn main() {
    let args: curd::server::Args = curd::cli::args::from_env();
    if let Err(e) = curd::server::run(args) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

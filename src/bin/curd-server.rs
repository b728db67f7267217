//! `curd-server DIRECTORY`: the cache server on its own, as Curdling named it; and
//! `curd-server prune DIRECTORY`, which removes what was not downloaded for a while.

fn main() {
    if let Err(e) = curd::server::main("curd-server", std::env::args_os().skip(1).collect()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

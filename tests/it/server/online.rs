//! Pull-through of real PyPI: opt-in (`make test-online`), never in CI. pip and
//! uv install a real set through `curd-server --upstream https://pypi.org/simple/`,
//! then again into fresh environments from a server on the same folder that is
//! `--offline`, with PyPI out of reach.

use std::path::Path;

use crate::support::process::{command, run_ok};
use crate::support::python::{pip, pip_freeze, tool, venv};
use crate::support::servers::Server;
use crate::support::tmp::{TempDir, mkdir};

const SET: [&str; 3] = ["requests", "rich", "packaging"];

/// pip and uv install `SET` from `index` into fresh environments under `dir`;
/// returns what each installed.
fn install(dir: &Path, index: &str) -> (String, String) {
    let pip_env = venv(&mkdir(dir.join("pip")));
    run_ok(
        pip(&pip_env.join("bin/python"))
            .args(["install", "--index-url", index])
            .args(SET),
    );
    let uv_env = venv(&mkdir(dir.join("uv")));
    run_ok(
        command(tool("uv"))
            .args(["pip", "install", "--python"])
            .arg(uv_env.join("bin/python"))
            .args(["--index-url", index])
            .args(SET)
            .env("UV_CACHE_DIR", dir.join("uv-cache"))
            .env("UV_NO_CONFIG", "1"),
    );
    (pip_freeze(&pip_env), pip_freeze(&uv_env))
}

#[test]
#[ignore = "needs the network: run with `make test-online`"]
fn pip_and_uv_install_from_pypi_through_it_then_offline() {
    let tmp = TempDir::new("online-pull");
    let dir = mkdir(tmp.path().join("cache"));
    let online = Server::start(&dir, &["--upstream=https://pypi.org/simple/"]);
    let cold = install(&tmp.path().join("cold"), &format!("{}/simple/", online.url));
    drop(online);
    // An upstream that cannot even be looked up: only the folder can answer.
    let offline = Server::start(
        &dir,
        &["--upstream=https://pypi.invalid/simple/", "--offline"],
    );
    let warm = install(
        &tmp.path().join("warm"),
        &format!("{}/simple/", offline.url),
    );
    assert_eq!(cold, warm);
}

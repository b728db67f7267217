//! Against real PyPI: opt-in (`make test-online`), never in CI. curd must pick the
//! same versions pip picks for a real requirement set.

use std::process::Command;

use crate::support::{TempDir, pip_freeze, run_ok, venv};

const SET: [&str; 4] = ["flask", "requests", "rich", "pydantic"];

#[test]
#[ignore = "needs the network: run with `make test-online`"]
fn installs_what_pip_installs_from_pypi() {
    let tmp = TempDir::new("online");
    let ours = venv(&tmp.path().join("curd"));
    let theirs = venv(&tmp.path().join("pip"));
    let python = ours.join("bin/python");
    run_ok(
        Command::new(env!("CARGO_BIN_EXE_curd"))
            .args(["install", "--python", python.to_str().unwrap()])
            .arg("--cache-dir")
            .arg(tmp.path().join("cache"))
            .args(SET),
    );
    run_ok(
        Command::new(theirs.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--no-cache-dir",
                "--disable-pip-version-check",
            ])
            .args(SET),
    );
    assert_eq!(pip_freeze(&ours), pip_freeze(&theirs));
}

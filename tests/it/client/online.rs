//! Against real PyPI: opt-in (`make test-online`), never in CI. curd must pick the
//! same versions pip picks for a real requirement set.

use crate::support::curd::Curd;
use crate::support::process::run_ok;
use crate::support::python::{pip, pip_freeze, venv};
use crate::support::tmp::TempDir;

const SET: [&str; 4] = ["flask", "requests", "rich", "pydantic"];

#[test]
#[ignore = "needs the network: run with `make test-online`"]
fn installs_what_pip_installs_from_pypi() {
    let tmp = TempDir::new("online");
    let ours = venv(&tmp.path().join("curd"));
    let theirs = venv(&tmp.path().join("pip"));
    let _run = Curd::install(tmp.path(), &ours)
        .arg("--cache-dir")
        .arg(tmp.path().join("cache"))
        .args(SET)
        .run()
        .success();
    run_ok(pip(&theirs.join("bin/python")).arg("install").args(SET));
    assert_eq!(pip_freeze(&ours), pip_freeze(&theirs));
}

//! Python as the oracle: venvs made by `python3 -m venv`, pip saying what is
//! installed, the reference implementation of the packaging standards, and the test
//! tools (uv, twine, an interpreter with setuptools) that `make tools` installs
//! pinned.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::process::{command, run_ok};
use super::tmp::TempDir;

/// A fresh virtual environment made by `python3 -m venv` in `dir/venv`.
pub fn venv(dir: &Path) -> PathBuf {
    let path = dir.join("venv");
    run_ok(command("python3").args(["-m", "venv"]).arg(&path));
    path
}

/// pip of `python`, with no configuration, cache, version check or prompt of the
/// developer's.
pub fn pip(python: &Path) -> Command {
    let mut cmd = command(python);
    cmd.args(["-m", "pip"])
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PIP_NO_CACHE_DIR", "1")
        .env("PIP_NO_INPUT", "1");
    cmd
}

/// What pip says is installed in the venv at `env`, as `name==version` lines,
/// without pip's own tools.
pub fn pip_freeze(env: &Path) -> String {
    run_ok(pip(&env.join("bin/python")).arg("freeze"))
}

/// Every distribution pip lists in the venv at `env`, pip itself included, as
/// `name==version` lines.
pub fn pip_list(env: &Path) -> String {
    run_ok(pip(&env.join("bin/python")).args(["list", "--format=freeze"]))
}

/// Runs `script` under the tools venv's interpreter, which imports the reference
/// implementation as `packaging` (today's, pinned in `tests/tools.txt`) and has
/// today's pip for its own parsers. The script reads one case per line from the
/// file named by `sys.argv[1]` and writes one result per line to the file named by
/// `sys.argv[2]`; results come back through that file, never through stdout.
pub fn packaging_oracle(script: &str, cases: &[String]) -> Vec<String> {
    let python = tools_python(&["packaging", "pip"]);
    run_oracle(command(&python), script, cases)
}

/// Where `packaging` comes from when the oracle runs on an interpreter other than
/// the tools venv's.
pub enum Packaging {
    /// Today's, from the tools venv (Python 3.10 and later).
    Current,
    /// The newest release that still runs on Python 3.8 and 3.9, from the wheel
    /// `make tools` downloads (`tests/tools-wheels.txt`).
    LastForPython38,
}

/// [`packaging_oracle`] under `python`, any interpreter, with `packaging` alone
/// put on its path (the tools venv's other packages stay out of sight).
pub fn packaging_oracle_on(
    python: &Path,
    packaging: Packaging,
    script: &str,
    cases: &[String],
) -> Vec<String> {
    let tools_python = tools_python(&["packaging"]);
    let dir = TempDir::new("packaging-path");
    let entry = match packaging {
        Packaging::Current => {
            let found = run_ok(command(&tools_python).args([
                "-c",
                "import os, packaging; print(os.path.dirname(packaging.__file__))",
            ]));
            let link = dir.path().join("packaging");
            std::os::unix::fs::symlink(found.trim(), &link).expect("link packaging");
            dir.path().to_path_buf()
        }
        Packaging::LastForPython38 => {
            let wheels = tools_python
                .parent()
                .and_then(Path::parent)
                .expect("the tools venv")
                .join("wheels");
            let wheel = std::fs::read_dir(&wheels)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .find(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("packaging-"))
                });
            wheel.unwrap_or_else(|| {
                panic!(
                    "no packaging wheel in {}: run `make tools` (or `make test`, which does)",
                    wheels.display()
                )
            })
        }
    };
    let mut cmd = command(python);
    cmd.env("PYTHONPATH", &entry).env("PYTHONNOUSERSITE", "1");
    run_oracle(cmd, script, cases)
}

/// Runs the oracle `script` with `cmd` as the interpreter (see [`packaging_oracle`]).
fn run_oracle(mut cmd: Command, script: &str, cases: &[String]) -> Vec<String> {
    let dir = TempDir::new("oracle");
    let input = dir.path().join("cases.txt");
    let output = dir.path().join("results.txt");
    let program = dir.path().join("oracle.py");
    std::fs::write(&input, cases.join("\n")).expect("write oracle cases");
    let prelude = "import sys\nimport packaging, packaging.version, packaging.specifiers, packaging.requirements, packaging.markers, packaging.tags, packaging.utils\n";
    std::fs::write(&program, format!("{prelude}{script}")).expect("write oracle script");
    run_ok(cmd.arg(&program).arg(&input).arg(&output));
    let text = std::fs::read_to_string(&output).expect("read oracle results");
    let results: Vec<String> = text.lines().map(String::from).collect();
    assert_eq!(
        results.len(),
        cases.len(),
        "oracle answered a different number of cases"
    );
    results
}

/// A program from the tools venv (`$CURD_TEST_TOOLS`, else `.tools/bin`). A
/// missing one fails the test: a test that cannot run its tool has not passed.
pub fn tool(name: &str) -> PathBuf {
    let dir = std::env::var_os("CURD_TEST_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin"));
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `make tools` (or `make test`, which does)",
        path.display()
    );
    path
}

/// The tools venv's interpreter, checked to import each of `modules` (pinned in
/// `tests/tools.txt`).
pub fn tools_python(modules: &[&str]) -> PathBuf {
    let python = tool("python");
    for module in modules {
        let imports = command(&python)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|out| out.status.success());
        assert!(
            imports,
            "{} cannot import `{module}`, which this test needs: run `make tools` (or \
             `make test`, which does) to install the tools pinned in tests/tools.txt",
            python.display()
        );
    }
    python
}

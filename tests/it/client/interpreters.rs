//! Builds on every Python curd supports: an sdist built and installed into venvs
//! made without pip (`python -m venv --without-pip`, as uv makes them too) by the
//! oldest and newest interpreters in `~/.pyenv/versions`, by 3.9 (which has no
//! tomllib either), and by the machine's python3. An interpreter the machine lacks
//! is skipped, saying so. The backend is the in-tree one of
//! `fixtures/sdists/in-tree-backend`, so nothing is fetched.

use std::path::{Path, PathBuf};

use crate::support::curd::Curd;
use crate::support::dists;
use crate::support::process::{command, run_ok};
use crate::support::tmp::{TempDir, mkdir};

/// The newest `~/.pyenv/versions/{minor}.*` interpreter, if the machine has one.
fn pyenv_python(minor: &str) -> Option<PathBuf> {
    let versions = Path::new(&std::env::var_os("HOME")?).join(".pyenv/versions");
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(versions)
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let patch = name.strip_prefix(minor)?.strip_prefix('.')?.parse().ok()?;
            let python = entry.path().join("bin/python3");
            python.is_file().then_some((patch, python))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, python)| python)
}

#[test]
fn sdists_build_in_venvs_without_pip_on_every_python() {
    let dir = TempDir::new("interpreters");
    let links = mkdir(dir.path().join("links"));
    let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sdists/in-tree-backend");
    dists::sdist(&links, "in_tree_demo-1.0", Some(&tree), &[]);
    let mut interpreters = vec![("python3".to_string(), PathBuf::from("python3"))];
    for minor in ["3.8", "3.9", "3.13"] {
        match pyenv_python(minor) {
            Some(python) => interpreters.push((minor.to_string(), python)),
            None => eprintln!("skipped Python {minor}: not in ~/.pyenv/versions"),
        }
    }
    for (label, python) in interpreters {
        let home = mkdir(dir.path().join(&label));
        let env = home.join("env");
        run_ok(
            command(&python)
                .args(["-m", "venv", "--without-pip"])
                .arg(&env),
        );
        let run = Curd::install(&home, &env)
            .args(["--no-index", "--find-links"])
            .arg(&links)
            .arg("in-tree-demo")
            .run()
            .success();
        assert!(
            run.stderr.contains("Built in_tree_demo-1.0.tar.gz in "),
            "{label}: {}",
            run.stderr
        );
        let greeting = run_ok(command(env.join("bin/python")).args([
            "-c",
            "import sys, in_tree_demo; print(sys.version_info[:2], in_tree_demo.greeting())",
        ]));
        assert!(
            greeting.ends_with(") built by an in-tree backend\n"),
            "{label}: {greeting}"
        );
    }
}

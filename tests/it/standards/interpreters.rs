//! Every CPython from 3.8 to 3.13 this machine has (`~/.pyenv/versions`, else
//! `python3.X` on `PATH`): its tags and marker environment as curd works them out,
//! against packaging running on that interpreter. Today's packaging needs Python
//! 3.10, as pip 26 does; 3.8 and 3.9 are compared with packaging 25.0, the newest
//! that runs there, with the one order it gives otherwise undone (below). An
//! interpreter the machine lacks is skipped with a line saying so; 3.11, the CI
//! machine's, is always there.

use std::path::{Path, PathBuf};

use curd::client::python::Interpreter;

use super::tags::{ORACLE, assert_same_list, assert_same_markers, tag_strings};
use crate::support::python::{Packaging, packaging_oracle_on};
use crate::support::tmp::TempDir;

/// The first `3.<minor>.*` interpreter under `~/.pyenv/versions`, else
/// `python3.<minor>` on `PATH`.
fn find_python(minor: u32) -> Option<PathBuf> {
    let pyenv = std::env::var_os("HOME").map(|home| Path::new(&home).join(".pyenv/versions"));
    let mut installed: Vec<PathBuf> = pyenv
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("3.{minor}."))
        })
        .map(|e| e.path().join("bin/python3"))
        .filter(|p| p.exists())
        .collect();
    installed.sort();
    installed.into_iter().next().or_else(|| {
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|dir| dir.join(format!("python3.{minor}")))
            .find(|p| p.exists())
    })
}

/// packaging 25.0's order, from packaging 26.3's: there the `linux_<arch>` tags come
/// after the manylinux and musllinux ones of each interpreter and ABI.
fn linux_last(tags: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    let mut run: (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let mut key = String::new();
    for tag in tags {
        let (prefix, platform) = tag.rsplit_once('-').expect("a tag has three parts");
        if prefix != key {
            out.append(&mut run.0);
            out.append(&mut run.1);
            key = prefix.to_string();
        }
        if platform.starts_with("linux_") {
            run.1.push(tag);
        } else {
            run.0.push(tag);
        }
    }
    out.append(&mut run.0);
    out.append(&mut run.1);
    out
}

#[test]
fn every_interpreter_matches_packaging() {
    let dir = TempDir::new("interpreters");
    let cache = dir.path().join("cache");
    let mut checked = Vec::new();
    for minor in 8..=13 {
        let Some(python) = find_python(minor) else {
            eprintln!("skipped Python 3.{minor}: neither in ~/.pyenv/versions nor on PATH");
            continue;
        };
        let interpreter = Interpreter::query(&python, &cache)
            .unwrap_or_else(|e| panic!("query {}: {e}", python.display()));
        assert_eq!(
            interpreter.target().python_version,
            (3, minor),
            "{}",
            python.display()
        );
        let (packaging, ours) = if minor >= 10 {
            (Packaging::Current, tag_strings(&interpreter))
        } else {
            (
                Packaging::LastForPython38,
                linux_last(tag_strings(&interpreter)),
            )
        };
        let cases = ["sys_tags", "markers"].map(String::from);
        let reference = packaging_oracle_on(&python, packaging, ORACLE, &cases);
        assert_same_list(&ours, &reference[0], &python.display().to_string());
        assert_same_markers(&interpreter, &reference[1]);
        checked.push(format!("3.{minor} ({} tags)", ours.len()));
    }
    assert!(
        checked.iter().any(|c| c.starts_with("3.11 ")),
        "Python 3.11 must be checked wherever the tests run: {checked:?}"
    );
    eprintln!("compared tags and markers of Python {}", checked.join(", "));
}

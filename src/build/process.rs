//! Running Python for builds: the command with the user's setup cleared, the
//! isolated build environment, answers read back from files, and the tails of
//! logs shown when something fails.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::build::error::BuildError;
use crate::util::fs::Context;

/// Where a virtual environment keeps its interpreter.
const VENV_PYTHON: &str = if cfg!(windows) {
    "Scripts/python.exe"
} else {
    "bin/python"
};

/// How much of a failed build's log an error shows; the rest is in the file.
const TAIL_LINES: usize = 20;

/// Hook answers are short lists or names; anything larger is not an answer.
const MAX_ANSWER_BYTES: u64 = 1024 * 1024;

/// Variables that would carry the user's setup into a build: `PYTHONPATH` and
/// `PYTHONHOME` put other packages (or another standard library) before the build
/// environment's, and pip's install-location settings would send a backend's own
/// pip runs (setuptools' `setup_requires`) outside it or make them refuse to run.
const CLEARED_VARIABLES: [&str; 8] = [
    "PYTHONPATH",
    "PYTHONHOME",
    "PIP_USER",
    "PIP_TARGET",
    "PIP_PREFIX",
    "PIP_ROOT",
    "PIP_REQUIRE_VIRTUALENV",
    "PIP_REQUIRE_VENV",
];

/// A fresh isolated environment for builds in `dir`, and its interpreter.
///
/// `python -m venv --without-pip`: a venv leaves out user and system
/// site-packages, so a build sees only what its `requires` installed, and without
/// pip it takes tens of milliseconds instead of seconds; curd's own installer
/// fills it.
pub fn create_build_env(base_python: &Path, dir: &Path) -> Result<PathBuf, BuildError> {
    let dir = std::path::absolute(dir).context("resolve", dir)?;
    let output = python_command(base_python)
        .args(["-I", "-m", "venv", "--without-pip"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|source| BuildError::Spawn {
            python: base_python.to_path_buf(),
            source,
        })?;
    let task = || format!("create a build environment in `{}`", dir.display());
    if !output.status.success() {
        return Err(python_failed(base_python, &task(), &output));
    }
    let python = dir.join(VENV_PYTHON);
    if !python.exists() {
        return Err(BuildError::PythonFailed {
            python: base_python.to_path_buf(),
            task: format!("{} (it has no `{VENV_PYTHON}`)", task()),
            status: output.status,
            output: tail(&String::from_utf8_lossy(&output.stderr)),
        });
    }
    Ok(python)
}

fn python_failed(python: &Path, task: &str, output: &std::process::Output) -> BuildError {
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    BuildError::PythonFailed {
        python: python.to_path_buf(),
        task: task.to_string(),
        status: output.status,
        output: tail(&text),
    }
}

/// `python` with the variables that would carry the user's setup into a build
/// cleared, and nothing to answer a prompt.
pub(super) fn python_command(python: &Path) -> Command {
    let mut command = Command::new(python);
    for variable in CLEARED_VARIABLES {
        command.env_remove(variable);
    }
    command.env("PIP_NO_INPUT", "1").stdin(Stdio::null());
    command
}

/// `PATH` with a virtual environment's scripts folder first, as an activated venv
/// has it: build tools installed into the build environment (cmake, ninja,
/// cython) are found before the machine's. Another interpreter's folder is left
/// out of it: putting `/usr/bin` first would change which tools everything finds.
pub(super) fn search_path_with_scripts(python: &Path, path: Option<&OsStr>) -> Option<OsString> {
    let scripts = python.parent()?;
    if !scripts.parent()?.join("pyvenv.cfg").is_file() {
        return None;
    }
    let rest = path.unwrap_or_default();
    let folders = std::iter::once(scripts.to_path_buf()).chain(std::env::split_paths(rest));
    std::env::join_paths(folders).ok()
}

/// Why a Python process's answer file holds no answer curd can use.
#[derive(Debug)]
pub enum AnswerError {
    /// The file could not be opened or read.
    Unreadable(io::Error),
    /// The process ended without writing anything.
    Empty,
    /// More than an answer can be.
    TooLarge,
    /// What was written is not JSON.
    NotJson(serde_json::Error),
}

impl fmt::Display for AnswerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnswerError::Unreadable(e) => write!(f, "cannot read its answer: {e}"),
            AnswerError::Empty => f.write_str("it ended without an answer"),
            AnswerError::TooLarge => write!(f, "its answer is over {MAX_ANSWER_BYTES} bytes"),
            AnswerError::NotJson(e) => write!(f, "its answer is not JSON: {e}"),
        }
    }
}

impl std::error::Error for AnswerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AnswerError::Unreadable(e) => Some(e),
            AnswerError::NotJson(e) => Some(e),
            AnswerError::Empty | AnswerError::TooLarge => None,
        }
    }
}

/// A JSON answer file, bounded; the error is for a user when it is not one.
pub(super) fn read_answer(path: &Path) -> Result<Value, AnswerError> {
    let mut text = Vec::new();
    File::open(path)
        .and_then(|file| file.take(MAX_ANSWER_BYTES + 1).read_to_end(&mut text))
        .map_err(AnswerError::Unreadable)?;
    if text.is_empty() {
        return Err(AnswerError::Empty);
    }
    if text.len() as u64 > MAX_ANSWER_BYTES {
        return Err(AnswerError::TooLarge);
    }
    serde_json::from_slice(&text).map_err(AnswerError::NotJson)
}

/// The last lines the log got from `start` on; only its end is read, however long
/// the build talked.
pub(super) fn read_tail(log: &Path, start: u64) -> String {
    const WINDOW: u64 = 64 * 1024;
    let mut bytes = Vec::new();
    let read = File::open(log).and_then(|mut file| {
        let end = file.metadata()?.len();
        file.seek(SeekFrom::Start(start.max(end.saturating_sub(WINDOW))))?;
        file.take(WINDOW).read_to_end(&mut bytes)
    });
    match read {
        Ok(_) => tail(&String::from_utf8_lossy(&bytes)),
        Err(e) => format!("(cannot read the log: {e})"),
    }
}

/// The last [`TAIL_LINES`] lines of program output, as a terminal showed them:
/// only what follows a carriage return (progress bars redraw their line), and
/// other control characters escaped so they cannot drive the terminal the error
/// is printed to.
fn tail(text: &str) -> String {
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let shown = line.rsplit('\r').next().unwrap_or_default();
            shown
                .chars()
                .map(|c| {
                    if c.is_control() && c != '\t' {
                        c.escape_unicode().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        })
        .collect();
    let end = lines
        .iter()
        .rposition(|line| !line.trim().is_empty())
        .map_or(0, |last| last + 1);
    lines[end.saturating_sub(TAIL_LINES)..end].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_show_the_last_lines_as_a_terminal_would() {
        let text: String = (1..=30).map(|n| format!("line {n}\n")).collect();
        let shown = tail(&format!("{text}\n\n"));
        assert_eq!(shown.lines().count(), TAIL_LINES);
        assert!(shown.starts_with("line 11\n") && shown.ends_with("line 30"));
        assert_eq!(tail("10%\r50%\r100%\ndone\n"), "100%\ndone");
        assert_eq!(tail("\u{1b}[31mred\u{1b}[0m"), "\\u{1b}[31mred\\u{1b}[0m");
        assert_eq!(tail(""), "");
    }
}

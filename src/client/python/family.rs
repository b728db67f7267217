//! Virtual environments made alike on one Python answer alike.
//!
//! Two venvs made the same way on the same interpreter (the same file behind the
//! link, the same `pyvenv.cfg` but for the command line that made it) differ only
//! in their folder: every fact the script gathers is the base interpreter's, or a
//! path under `sys.prefix`. So a venv curd has not met (tox's, nox's, a CI job's in
//! a fresh folder) is answered from another one's answer, moved to its folder,
//! without starting Python, which is most of the time of a warm install.
//!
//! What a venv runs at start-up could change the answer, so the `.pth` and
//! `sitecustomize` files of its site-packages must match the first venv's byte for
//! byte, or Python is asked.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Interpreter, exe_stamp};
use crate::client::schemes::InstallPaths;
use crate::util::digest::hex;
use crate::util::fs::{read_bounded, write_unsynced};

/// Stands for the venv's folder in a kept answer.
const PLACEHOLDER: &str = "@curd-venv@";

/// The answer fields that hold paths under `sys.prefix`; the rest are the base
/// interpreter's.
const MOVED: [&str; 2] = ["executable", "prefix"];

/// The most a start-up file is read, for the comparison.
const MAX_STARTUP_FILE: u64 = 1024 * 1024;

/// The venvs alike to one: where their shared answer is kept, and this one's folder.
pub(super) struct Family {
    file: PathBuf,
    prefix: String,
}

impl Family {
    /// The family of the venv whose interpreter is `path` (its `bin/python`), kept
    /// in `dir`; `None` when `path` is not in a venv or cannot be told apart.
    pub(super) fn of(path: &Path, dir: &Path, script_hash: &str) -> Option<Family> {
        let prefix = path.parent()?.parent()?;
        let inside = path.strip_prefix(prefix).ok()?;
        let cfg = read_bounded(&prefix.join("pyvenv.cfg"), 64 * 1024).ok()?;
        let cfg = String::from_utf8(cfg).ok()?;
        // The command line names the venv's folder, and the prompt is only shown.
        let alike: Vec<&str> = cfg
            .lines()
            .filter(|line| {
                let key = line.split('=').next().unwrap_or_default().trim();
                key != "command" && key != "prompt"
            })
            .collect();
        let mut hash = Sha256::new();
        for part in [
            script_hash,
            &exe_stamp(path)?,
            &inside.to_string_lossy(),
            &alike.join("\n"),
        ] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        let prefix = prefix.to_str()?;
        // Kept answers are matched as JSON text below; a folder that JSON escapes
        // is asked about every time instead.
        if prefix.contains(['"', '\\']) || prefix.chars().any(char::is_control) {
            return None;
        }
        Some(Family {
            file: dir.join(format!("venv-{}.json", hex(&hash.finalize()))),
            prefix: prefix.to_string(),
        })
    }

    /// The kept answer, moved to this venv, if its start-up files are the same.
    pub(super) fn read(&self, path: &Path) -> Option<Interpreter> {
        let text = read_bounded(&self.file, 1024 * 1024).ok()?;
        let kept: Value = serde_json::from_slice(&text).ok()?;
        let answer = moved(kept.get("answer")?, PLACEHOLDER, &self.prefix);
        let interpreter = Interpreter::from_answer(path, &answer, true).ok()?;
        (startup_files(&interpreter.paths)? == *kept.get("startup")?).then_some(interpreter)
    }

    /// Keeps `answer`, which Python gave for this venv, for the venvs alike to it.
    pub(super) fn keep(&self, answer: &Value, interpreter: &Interpreter) {
        if answer.get("prefix").and_then(Value::as_str) != Some(self.prefix.as_str()) {
            return;
        }
        let template = moved(answer, &self.prefix, PLACEHOLDER);
        // A path of the venv anywhere else would not move with it.
        if template.to_string().contains(&self.prefix) {
            return;
        }
        let Some(startup) = startup_files(&interpreter.paths) else {
            return;
        };
        let entry = json!({"answer": template, "startup": startup});
        let _ = write_unsynced(&self.file, entry.to_string().as_bytes());
    }
}

/// `answer` with the paths under `from` (the fields in [`MOVED`] and `paths`)
/// under `to` instead.
fn moved(answer: &Value, from: &str, to: &str) -> Value {
    let mut answer = answer.clone();
    let under = |value: &mut Value| {
        if let Some(text) = value.as_str()
            && let Some(rest) = text.strip_prefix(from)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            *value = Value::String(format!("{to}{rest}"));
        }
    };
    for key in MOVED {
        if let Some(value) = answer.get_mut(key) {
            under(value);
        }
    }
    if let Some(paths) = answer.get_mut("paths").and_then(Value::as_object_mut) {
        paths.values_mut().for_each(under);
    }
    answer
}

/// The files of site-packages that Python runs or reads as it starts (`*.pth`,
/// `sitecustomize`, `usercustomize`), by name with their contents' hashes; `None`
/// when a folder or file cannot be read.
fn startup_files(paths: &InstallPaths) -> Option<Value> {
    let mut found = serde_json::Map::new();
    for dir in [&paths.purelib, &paths.platlib] {
        for entry in std::fs::read_dir(dir).ok()? {
            let entry = entry.ok()?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let runs = name.ends_with(".pth")
                || name.starts_with("sitecustomize")
                || name.starts_with("usercustomize");
            if runs && !found.contains_key(&name) {
                let bytes = read_bounded(&entry.path(), MAX_STARTUP_FILE).ok()?;
                found.insert(name, Value::String(hex(&Sha256::digest(&bytes))));
            }
        }
    }
    Some(Value::Object(found))
}

//! The PEP 517 hooks curd calls, each run in its own Python process through a shim
//! that imports the backend and writes the hook's answer to a file.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::build::error::{BuildError, Hook};
use crate::build::process::{python_command, read_answer, read_tail, search_path_with_scripts};
use crate::build::pyproject::BuildSystem;
use crate::standards::filename::DistFilename;
use crate::standards::requirement::Requirement;
use crate::util::fs::{Context, FsError, TempFile};

/// Runs one hook: `python -c HOOK_SHIM answer backend hook backend_path args`, in
/// the project folder. Arguments and answers are JSON; the answer goes to the
/// file named first, as one of `{"returned": value}`, `{"missing": true}` (the
/// backend lacks the hook), `{"unavailable": reason}` (it cannot be imported) or
/// `{"invalid": reason}`. A hook that raises leaves no answer and a traceback in
/// the log.
///
/// Not `-I`: for a build without isolation the target's user site-packages is
/// where `pip install --user` put the backend, and pip finds it there. A build
/// environment is a virtual environment, which leaves out user and system
/// site-packages by itself.
const HOOK_SHIM: &str = r#"
import sys

# `-c` puts the current folder, the project, first on sys.path. PEP 517 keeps the
# source tree off it: an in-tree backend comes only from backend-path, and a
# project's own `json.py` must not stand in for the standard library's.
if sys.path and sys.path[0] == "":
    del sys.path[0]

import importlib, json, os


def reply(path, answer):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(answer, f, default=repr)


def within(path, folders):
    path = os.path.normcase(os.path.abspath(path))
    return any(path.startswith(os.path.join(os.path.normcase(os.path.abspath(f)), ""))
               for f in folders)


def main():
    answer, spec, hook_name, backend_path, args = sys.argv[1:6]
    backend_path = json.loads(backend_path)
    sys.path[:0] = backend_path
    module_name, _, object_path = spec.partition(":")
    try:
        backend = importlib.import_module(module_name)
    except Exception as e:
        import traceback
        traceback.print_exc()
        reason = "".join(traceback.format_exception_only(type(e), e)).strip()
        return reply(answer, {"unavailable": reason})
    if backend_path:
        origin = getattr(backend, "__file__", None)
        if not origin or not within(origin, backend_path):
            return reply(answer, {"invalid": "it was loaded from %s, not from its backend-path" % origin})
    for name in filter(None, object_path.split(".")):
        if not hasattr(backend, name):
            return reply(answer, {"invalid": "`%s` has no `%s`" % (module_name, object_path)})
        backend = getattr(backend, name)
    hook = getattr(backend, hook_name, None)
    if hook is None:
        return reply(answer, {"missing": True})
    reply(answer, {"returned": hook(*json.loads(args))})


main()
"#;

/// One project's backend, as the hooks are called on it.
#[derive(Clone, Copy, Debug)]
pub struct Backend<'a> {
    /// The interpreter the hooks run under: the build environment's, or the target's.
    pub python: &'a Path,
    /// The unpacked project folder, where the hooks run.
    pub project: &'a Path,
    pub system: &'a BuildSystem,
    /// The build's log, which every hook's output is appended to.
    pub log: &'a Path,
    /// `PATH` as the command line's settings read it, for the hooks' processes.
    pub search_path: Option<&'a OsStr>,
}

impl Backend<'_> {
    /// A hook answered, but not what PEP 517 says it returns.
    fn bad_result(&self, hook: Hook, reason: String) -> BuildError {
        BuildError::BadHookResult {
            backend: self.system.backend.clone(),
            hook,
            project: self.project.to_path_buf(),
            reason,
        }
    }

    /// The requirements the backend needs beyond `requires`, to install before
    /// building; none when the backend has no such hook.
    pub fn get_requires_for_build_wheel(&self) -> Result<Vec<Requirement>, BuildError> {
        self.get_requires(Hook::GetRequiresForBuildWheel)
    }

    /// What [`Backend::get_requires_for_build_wheel`] is for an editable build (PEP 660).
    pub fn get_requires_for_build_editable(&self) -> Result<Vec<Requirement>, BuildError> {
        self.get_requires(Hook::GetRequiresForBuildEditable)
    }

    fn get_requires(&self, hook: Hook) -> Result<Vec<Requirement>, BuildError> {
        let Some(answer) = self.run_hook(hook, json!([null]))? else {
            return Ok(Vec::new());
        };
        let bad = |reason: String| self.bad_result(hook, reason);
        let Value::Array(items) = &answer else {
            return Err(bad(format!(
                "expected a list of requirements, found {answer}"
            )));
        };
        items
            .iter()
            .map(|item| {
                let text = item
                    .as_str()
                    .ok_or_else(|| bad(format!("expected requirement strings, found {item}")))?;
                text.parse()
                    .map_err(|e| bad(format!("an invalid requirement: {e}")))
            })
            .collect()
    }

    /// The wheel's `.dist-info` folder, written into `out_dir` without building, or
    /// `None` when the backend cannot do that (the hook is optional): then only
    /// building the wheel tells its metadata.
    pub fn prepare_metadata_for_build_wheel(
        &self,
        out_dir: &Path,
    ) -> Result<Option<PathBuf>, BuildError> {
        const HOOK: Hook = Hook::PrepareMetadataForBuildWheel;
        let target = output_folder(out_dir)?;
        let Some(answer) = self.run_hook(HOOK, json!([target, null]))? else {
            return Ok(None);
        };
        let bad = |reason: String| self.bad_result(HOOK, reason);
        let name = answer
            .as_str()
            .ok_or_else(|| bad(format!("expected a folder name, found {answer}")))?;
        if !is_plain_name(name) || !name.ends_with(".dist-info") {
            return Err(bad(format!(
                "expected the name of a `.dist-info` folder, found `{}`",
                name.escape_debug()
            )));
        }
        let dist_info = out_dir.join(name);
        if !dist_info.is_dir() {
            return Err(bad(format!(
                "it named `{name}`, which it did not create in `{}`",
                out_dir.display()
            )));
        }
        Ok(Some(dist_info))
    }

    /// Builds the wheel into `out_dir`, and gives its path.
    pub fn build_wheel(&self, out_dir: &Path) -> Result<PathBuf, BuildError> {
        self.build(Hook::BuildWheel, out_dir, "which PEP 517 makes mandatory")
    }

    /// Builds an editable wheel (PEP 660) into `out_dir`, and gives its path: one
    /// that points the environment at the project folder instead of copying it.
    pub fn build_editable(&self, out_dir: &Path) -> Result<PathBuf, BuildError> {
        self.build(
            Hook::BuildEditable,
            out_dir,
            "so it cannot install the project as editable (PEP 660)",
        )
    }

    fn build(&self, hook: Hook, out_dir: &Path, without: &str) -> Result<PathBuf, BuildError> {
        let Backend {
            project, system, ..
        } = *self;
        let target = output_folder(out_dir)?;
        let Some(answer) = self.run_hook(hook, json!([target, null, null]))? else {
            return Err(BuildError::BackendInvalid {
                backend: system.backend.clone(),
                project: project.to_path_buf(),
                reason: format!("it has no {hook} hook, {without}"),
            });
        };
        let bad = |reason: String| self.bad_result(hook, reason);
        let name = answer
            .as_str()
            .ok_or_else(|| bad(format!("expected a wheel's file name, found {answer}")))?;
        // The file name parser is also the traversal guard: no separators, no `..`.
        match DistFilename::parse(name) {
            Ok(filename) if filename.is_wheel() => {}
            Ok(_) => return Err(bad(format!("`{name}` is not a wheel"))),
            Err(e) => return Err(bad(e.to_string())),
        }
        let wheel = out_dir.join(name);
        if !wheel.is_file() {
            return Err(bad(format!(
                "it named `{name}`, which it did not write in `{}`",
                out_dir.display()
            )));
        }
        Ok(wheel)
    }

    /// Runs one hook in a subprocess: `Some(answer)`, or `None` when the backend does
    /// not have the hook. Its output goes to the end of `log`, after a line naming the
    /// hook, so one log can follow a build through every hook.
    fn run_hook(&self, hook: Hook, args: Value) -> Result<Option<Value>, BuildError> {
        let Backend {
            python,
            project,
            system,
            log,
            search_path,
        } = *self;
        let log = std::path::absolute(log).context("resolve", log)?;
        let log_dir = log.parent().unwrap_or(Path::new("/"));
        std::fs::create_dir_all(log_dir).context("create", log_dir)?;
        // A relative interpreter path would be taken from the project folder.
        let python = if python.components().count() > 1 {
            std::path::absolute(python).context("resolve", python)?
        } else {
            python.to_path_buf()
        };
        let mut log_file = File::options()
            .create(true)
            .append(true)
            .open(&log)
            .context("open", &log)?;
        writeln!(
            log_file,
            "# {hook} of the build backend `{}`",
            system.backend
        )
        .context("write", &log)?;
        let start = log_file.metadata().context("inspect", &log)?.len();
        let answer_file = TempFile::new_in(log_dir)?;
        let backend_path: Vec<String> = system
            .backend_path
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let mut command = python_command(&python);
        command
            .arg("-c")
            .arg(HOOK_SHIM)
            .arg(answer_file.path())
            .arg(&system.backend)
            .arg(hook.as_str())
            .arg(json!(backend_path).to_string())
            .arg(args.to_string())
            .current_dir(project)
            // Output in the order it was written, not in the order buffers filled.
            .env("PYTHONUNBUFFERED", "1")
            .stdout(log_file.try_clone().context("open", &log)?)
            .stderr(log_file.try_clone().context("open", &log)?);
        if let Some(path) = search_path_with_scripts(&python, search_path) {
            command.env("PATH", path);
        }
        let status = command.status().map_err(|source| BuildError::Spawn {
            python: python.clone(),
            source,
        })?;
        drop(log_file);
        let log_tail = || read_tail(&log, start);
        if !status.success() {
            return Err(BuildError::HookFailed {
                backend: system.backend.clone(),
                hook,
                project: project.to_path_buf(),
                status,
                tail: log_tail(),
                log,
            });
        }
        let bad = |reason: String| self.bad_result(hook, reason);
        let answer = read_answer(answer_file.path()).map_err(|e| bad(e.to_string()))?;
        if answer.get("missing").is_some() {
            return Ok(None);
        }
        if let Some(reason) = answer.get("unavailable") {
            return Err(BuildError::BackendUnavailable {
                backend: system.backend.clone(),
                project: project.to_path_buf(),
                reason: reason.as_str().unwrap_or_default().to_string(),
                tail: log_tail(),
                log,
            });
        }
        if let Some(reason) = answer.get("invalid") {
            return Err(BuildError::BackendInvalid {
                backend: system.backend.clone(),
                project: project.to_path_buf(),
                reason: reason.as_str().unwrap_or_default().to_string(),
            });
        }
        match answer {
            Value::Object(mut map) if map.contains_key("returned") => Ok(map.remove("returned")),
            other => Err(bad(format!("its answer is {other}"))),
        }
    }
}

/// Creates `out_dir` and gives it absolute: the hook runs in the project folder,
/// where a relative path would lead elsewhere.
fn output_folder(out_dir: &Path) -> Result<String, BuildError> {
    std::fs::create_dir_all(out_dir).context("create", out_dir)?;
    let absolute = std::path::absolute(out_dir).context("resolve", out_dir)?;
    absolute.into_os_string().into_string().map_err(|path| {
        BuildError::Io(FsError {
            path: PathBuf::from(path),
            action: "pass to Python",
            source: io::Error::new(io::ErrorKind::InvalidData, "the path is not UTF-8"),
        })
    })
}

/// A single file name: nothing that leads to another folder.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

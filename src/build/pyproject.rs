//! Reading `[build-system]` from `pyproject.toml` (PEP 518), with PEP 517's
//! fallback for projects that have none, and the checks on `backend-path`.

use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;

use crate::build::error::BuildError;
use crate::build::process::{python_command, python_failed, read_answer, tail};
use crate::standards::requirement::Requirement;
use crate::util::fs::TempFile;

/// What a project without `[build-system]` is built with: setuptools running its
/// `setup.py`, with the requirements pip gives it.
const LEGACY_BACKEND: &str = "setuptools.build_meta:__legacy__";
const LEGACY_REQUIRES: [&str; 2] = ["setuptools>=40.8.0", "wheel"];

/// Reads `[build-system]` with the interpreter's TOML parser (tomllib from 3.11,
/// else tomli, else the copy inside pip), so curd needs no TOML parser of its own
/// and reads the file exactly as Python tools do. Run under `-I`: nothing of the
/// project or the user's environment is on `sys.path`.
const PYPROJECT_SCRIPT: &str = r#"
import json, sys


def toml_reader():
    try:
        import tomllib
        return tomllib
    except ImportError:
        pass
    try:
        import tomli
        return tomli
    except ImportError:
        pass
    try:
        from pip._vendor import tomli
        return tomli
    except ImportError:
        return None


def main():
    pyproject, answer = sys.argv[1:3]
    toml = toml_reader()
    if toml is None:
        result = {"no_reader": True}
    else:
        try:
            with open(pyproject, "rb") as f:
                result = {"build_system": toml.load(f).get("build-system")}
        except ValueError as e:  # TOMLDecodeError and UnicodeDecodeError
            result = {"invalid": str(e)}
    with open(answer, "w", encoding="utf-8") as f:
        json.dump(result, f, default=str)


main()
"#;

/// A project's `[build-system]`: what to install, and which backend to ask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildSystem {
    /// Installed before any hook runs.
    pub requires: Vec<Requirement>,
    /// `module` or `module:object`, as PEP 517 writes it.
    pub backend: String,
    /// Folders put first on `sys.path` for an in-tree backend: absolute, or
    /// relative to the project.
    pub backend_path: Vec<PathBuf>,
}

/// Reads `[build-system]` from the project's `pyproject.toml` by asking `python`,
/// which needs tomllib (3.11+), tomli or pip: the target interpreter, or the one a
/// build environment is made from (a fresh one has no pip).
///
/// Without `pyproject.toml`, or without `[build-system]` in it, the project is
/// built as pip builds it: by setuptools' legacy backend, which runs `setup.py`.
/// A `[build-system]` without `build-backend` keeps its `requires` and gets that
/// backend too, as PEP 517 says.
pub fn build_system(python: &Path, project: &Path) -> Result<BuildSystem, BuildError> {
    let pyproject = project.join("pyproject.toml");
    if !pyproject.is_file() {
        if !project.join("setup.py").is_file() {
            return Err(BuildError::NotAProject {
                project: project.to_path_buf(),
            });
        }
        return legacy_build_system(&pyproject, &LEGACY_REQUIRES);
    }
    let answer_file = TempFile::new_in(&std::env::temp_dir())?;
    let output = python_command(python)
        .args(["-I", "-c", PYPROJECT_SCRIPT])
        .arg(&pyproject)
        .arg(answer_file.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|source| BuildError::Spawn {
            python: python.to_path_buf(),
            source,
        })?;
    if !output.status.success() {
        return Err(python_failed(python, "read pyproject.toml", &output));
    }
    let answer = read_answer(answer_file.path()).map_err(|reason| BuildError::PythonFailed {
        python: python.to_path_buf(),
        task: format!("read pyproject.toml ({reason})"),
        status: output.status,
        output: tail(&String::from_utf8_lossy(&output.stderr)),
    })?;
    let invalid = |reason: String| BuildError::Pyproject {
        path: pyproject.clone(),
        reason,
    };
    if answer.get("no_reader").is_some() {
        return Err(BuildError::NoTomlReader {
            python: python.to_path_buf(),
        });
    }
    if let Some(reason) = answer.get("invalid") {
        return Err(invalid(format!(
            "not TOML: {}",
            reason.as_str().unwrap_or_default()
        )));
    }
    let table = match answer.get("build_system") {
        None | Some(Value::Null) => return legacy_build_system(&pyproject, &LEGACY_REQUIRES),
        Some(Value::Object(table)) => table,
        Some(_) => return Err(invalid("`build-system` is not a table".into())),
    };
    let requires = match table.get("requires") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str())
            .collect::<Option<Vec<&str>>>()
            .ok_or_else(|| invalid("`build-system.requires` is not a list of strings".into()))?,
        Some(_) => {
            return Err(invalid(
                "`build-system.requires` is not a list of strings".into(),
            ));
        }
        None => {
            return Err(invalid(
                "`[build-system]` has no `requires`, which PEP 518 makes mandatory".into(),
            ));
        }
    };
    let backend = match table.get("build-backend") {
        None => return legacy_build_system(&pyproject, &requires),
        Some(Value::String(backend)) if is_backend_reference(backend) => backend.clone(),
        Some(other) => {
            return Err(invalid(format!(
                "`build-system.build-backend` is `{other}`, not `module` or `module:object`"
            )));
        }
    };
    let backend_path = match table.get("backend-path") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item.as_str() {
                Some(entry) => backend_folder(project, entry).map_err(|e| invalid(e.to_string())),
                None => Err(invalid(
                    "`build-system.backend-path` is not a list of strings".into(),
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(invalid(
                "`build-system.backend-path` is not a list of strings".into(),
            ));
        }
    };
    Ok(BuildSystem {
        requires: parse_requires(&pyproject, &requires)?,
        backend,
        backend_path,
    })
}

fn legacy_build_system(pyproject: &Path, requires: &[&str]) -> Result<BuildSystem, BuildError> {
    Ok(BuildSystem {
        requires: parse_requires(pyproject, requires)?,
        backend: LEGACY_BACKEND.to_string(),
        backend_path: Vec::new(),
    })
}

fn parse_requires(pyproject: &Path, requires: &[&str]) -> Result<Vec<Requirement>, BuildError> {
    requires
        .iter()
        .map(|text| {
            text.parse().map_err(|e| BuildError::Pyproject {
                path: pyproject.to_path_buf(),
                reason: format!("`build-system.requires` holds an invalid requirement: {e}"),
            })
        })
        .collect()
}

/// `module` or `module:object`, both dotted names of Python identifiers: anything
/// else could not be imported, and is better refused with the file's name than
/// with a traceback.
fn is_backend_reference(text: &str) -> bool {
    let dotted = |part: &str| {
        part.split('.').all(|name| {
            name.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        })
    };
    match text.split_once(':') {
        Some((module, object)) => dotted(module) && dotted(object),
        None => dotted(text),
    }
}

/// Why a `backend-path` entry cannot be used.
#[derive(Debug)]
pub enum BackendPathError {
    /// The entry leads outside the project, by its name or through a link.
    Outside { entry: String },
    /// The project folder could not be made absolute.
    Resolve(io::Error),
}

impl fmt::Display for BackendPathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendPathError::Outside { entry } => write!(
                f,
                "`build-system.backend-path` holds `{entry}`, outside the project"
            ),
            BackendPathError::Resolve(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for BackendPathError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BackendPathError::Outside { .. } => None,
            BackendPathError::Resolve(e) => Some(e),
        }
    }
}

/// A `backend-path` entry as a folder inside the project, or why it is not one.
/// PEP 517 requires frontends to check this: an entry outside the source tree
/// would run code the sdist does not hold.
fn backend_folder(project: &Path, entry: &str) -> Result<PathBuf, BackendPathError> {
    let outside = || BackendPathError::Outside {
        entry: entry.to_string(),
    };
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in Path::new(entry).components() {
        match component {
            Component::CurDir => {}
            Component::Normal(part) => parts.push(part),
            Component::ParentDir => {
                parts.pop().ok_or_else(outside)?;
            }
            Component::RootDir | Component::Prefix(_) => return Err(outside()),
        }
    }
    let project = std::path::absolute(project).map_err(BackendPathError::Resolve)?;
    let folder: PathBuf = parts
        .iter()
        .fold(project.clone(), |path, part| path.join(part));
    // A link inside the project can still lead out of it.
    if let (Ok(real), Ok(real_project)) = (folder.canonicalize(), project.canonicalize())
        && !real.starts_with(real_project)
    {
        return Err(outside());
    }
    Ok(folder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::fs::TestDir;

    #[test]
    fn backend_references_are_module_and_object() {
        for good in [
            "setuptools.build_meta",
            "setuptools.build_meta:__legacy__",
            "flit_core.buildapi",
            "backend",
            "a.b:c.d",
        ] {
            assert!(is_backend_reference(good), "{good}");
        }
        for bad in [
            "", ":", "a:", ":b", "a..b", "1a", "a-b", "a:b:c", "a b", "a/b",
        ] {
            assert!(!is_backend_reference(bad), "{bad}");
        }
    }

    #[test]
    fn backend_path_stays_in_the_project() {
        let dir = TestDir::new("backend-path");
        let project = dir.join("demo-1.0");
        std::fs::create_dir_all(project.join("_build")).unwrap();
        assert_eq!(
            backend_folder(&project, "_build").unwrap(),
            project.join("_build")
        );
        assert_eq!(backend_folder(&project, ".").unwrap(), project);
        assert_eq!(
            backend_folder(&project, "a/../_build").unwrap(),
            project.join("_build")
        );
        for bad in ["..", "../demo-1.0", "a/../..", "/usr/lib/python3"] {
            assert_eq!(
                backend_folder(&project, bad).unwrap_err().to_string(),
                format!("`build-system.backend-path` holds `{bad}`, outside the project")
            );
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/usr", project.join("usr")).unwrap();
            assert!(backend_folder(&project, "usr").is_err());
        }
    }
}

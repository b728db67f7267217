//! The Python environment a command works on: its interpreter (asked once, then
//! cached), where files go, and what is installed.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::client::python::{self, Discovery, Interpreter, PythonError};
use crate::install::{InstallError, InstalledDist, Scheme, Target};

/// Why an environment cannot be used.
#[derive(Debug)]
pub enum EnvironmentError {
    /// No interpreter was found, or it could not be asked.
    Python(PythonError),
    /// The interpreter is the machine's own, and `--system` was not given.
    NotVirtual(PathBuf),
    /// What is installed could not be read.
    Installed(InstallError),
}

impl fmt::Display for EnvironmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvironmentError::Python(e) => e.fmt(f),
            EnvironmentError::NotVirtual(path) => write!(
                f,
                "`{}` is not a virtual environment, and installing into it could break the system\n\
                 hint: create one with `python3 -m venv .venv`, or pass --system to use this Python anyway",
                path.display()
            ),
            EnvironmentError::Installed(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for EnvironmentError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EnvironmentError::Python(e) => e.source(),
            EnvironmentError::NotVirtual(_) => None,
            EnvironmentError::Installed(e) => e.source(),
        }
    }
}

pub struct Environment {
    pub interpreter: Interpreter,
    pub target: Target,
}

impl Environment {
    /// Finds and asks the interpreter (its answers kept under `interpreters`).
    /// Outside a virtual environment, refuses unless `system`: installing into the
    /// machine's own Python breaks what it runs.
    pub fn open(
        discovery: &Discovery,
        system: bool,
        interpreters: &Path,
    ) -> Result<Environment, EnvironmentError> {
        let path = python::find(discovery).map_err(EnvironmentError::Python)?;
        let interpreter =
            Interpreter::query(&path, interpreters).map_err(EnvironmentError::Python)?;
        if !system && !interpreter.is_virtualenv() {
            return Err(EnvironmentError::NotVirtual(interpreter.path.clone()));
        }
        let paths = &interpreter.paths;
        // In a virtual environment sysconfig's include folder is the base Python's;
        // pip puts headers under the environment instead, and so does curd.
        let headers = if interpreter.is_virtualenv() {
            Scheme::venv_headers(&interpreter.prefix, interpreter.python_version)
        } else {
            paths.include.clone()
        };
        let target = Target {
            scheme: Scheme {
                purelib: paths.purelib.clone(),
                platlib: paths.platlib.clone(),
                scripts: paths.scripts.clone(),
                data: paths.data.clone(),
                headers,
            },
            python: interpreter.executable.clone(),
        };
        Ok(Environment {
            interpreter,
            target,
        })
    }

    /// What is installed, by name.
    pub fn installed(&self) -> Result<Vec<InstalledDist>, EnvironmentError> {
        let scheme = &self.target.scheme;
        let inventory =
            crate::install::installed(&[scheme.purelib.clone(), scheme.platlib.clone()])
                .map_err(EnvironmentError::Installed)?;
        Ok(inventory.dists)
    }
}

//! The Python environment a command works on: its interpreter (asked once, then
//! cached), where files go, what is installed, and the lock that lets one run at a
//! time change it.

use std::fmt;
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

use crate::client::python::{self, Discovery, Interpreter, PythonError};
use crate::install::{InstallError, Inventory, Recovered, Scheme, Target};
use crate::util::fs::{Context, FsError};
use crate::{message, warn};

/// The lock file, in the environment's purelib folder beside the journal of its
/// transactions ([`crate::install::JOURNAL`]).
pub const LOCK: &str = ".curd.lock";

/// Why an environment cannot be used.
#[derive(Debug)]
pub enum EnvironmentError {
    /// No interpreter was found, or it could not be asked.
    Python(PythonError),
    /// The interpreter is the machine's own, and `--system` was not given.
    NotVirtual(PathBuf),
    /// What is installed could not be read.
    Installed(InstallError),
    /// The lock file could not be made or locked.
    Lock(FsError),
    /// What a killed run left could not be finished or undone.
    Recover(InstallError),
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
            EnvironmentError::Lock(e) => e.fmt(f),
            EnvironmentError::Recover(e) => {
                write!(f, "cannot finish an install that was interrupted: {e}")
            }
        }
    }
}

impl std::error::Error for EnvironmentError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EnvironmentError::Python(e) => e.source(),
            EnvironmentError::NotVirtual(_) => None,
            EnvironmentError::Installed(e) | EnvironmentError::Recover(e) => e.source(),
            EnvironmentError::Lock(e) => e.source(),
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

    /// What is installed, by name, and the `.dist-info` folders that cannot be read.
    pub fn installed(&self) -> Result<Inventory, EnvironmentError> {
        let scheme = &self.target.scheme;
        crate::install::installed(&[scheme.purelib.clone(), scheme.platlib.clone()])
            .map_err(EnvironmentError::Installed)
    }

    /// Takes the environment for this run, until the lock is dropped (or the process
    /// ends, however it ends): waits while another curd changes it, saying so once,
    /// then finishes or undoes what a killed run left.
    pub fn lock(&self) -> Result<EnvironmentLock, EnvironmentError> {
        let site = &self.target.scheme.purelib;
        let path = site.join(LOCK);
        let file = std::fs::create_dir_all(site)
            .and_then(|()| {
                File::options()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
            })
            .context("open", &path)
            .map_err(EnvironmentError::Lock)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                message!(
                    "waiting for another curd install in {}",
                    self.interpreter.prefix.display()
                );
                file.lock()
                    .context("lock", &path)
                    .map_err(EnvironmentError::Lock)?;
            }
            Err(TryLockError::Error(error)) => {
                return Err(EnvironmentError::Lock(FsError {
                    path,
                    action: "lock",
                    source: error,
                }));
            }
        }
        match crate::install::recover(site).map_err(EnvironmentError::Recover)? {
            Some(Recovered::Finished) => {
                warn!("finished the install that a killed curd had committed")
            }
            Some(Recovered::RolledBack) => {
                warn!("undid the unfinished install that a killed curd left")
            }
            None => {}
        }
        Ok(EnvironmentLock { _file: file })
    }
}

/// An environment taken by [`Environment::lock`]: the lock is the open file's, so the
/// kernel releases it when the process dies.
pub struct EnvironmentLock {
    _file: File,
}

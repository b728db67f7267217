//! The Python environment a command works on: its interpreter (asked once, then
//! cached), where files go, what is installed, and the lock that lets one run at a
//! time change it.

use std::fmt;
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

use crate::client::python::{self, Discovery, Interpreter, PythonError};
use crate::client::schemes::Location;
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
    /// `--user` in a virtual environment that cannot see the user site.
    UserInVirtualEnv(PathBuf),
    /// The interpreter has no install scheme for the location asked (`--prefix`'s, say).
    NoScheme {
        python: PathBuf,
        scheme: &'static str,
        flag: &'static str,
    },
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
            EnvironmentError::UserInVirtualEnv(prefix) => write!(
                f,
                "cannot install with --user: the user site is not visible in the virtual environment `{}`\n\
                 hint: install into the virtual environment without --user",
                prefix.display()
            ),
            EnvironmentError::NoScheme {
                python,
                scheme,
                flag,
            } => write!(
                f,
                "cannot install with {flag}: `{}` has no `{scheme}` install scheme",
                python.display()
            ),
        }
    }
}

impl std::error::Error for EnvironmentError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EnvironmentError::Python(e) => e.source(),
            EnvironmentError::NotVirtual(_)
            | EnvironmentError::UserInVirtualEnv(_)
            | EnvironmentError::NoScheme { .. } => None,
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
        Environment::open_at(discovery, system, interpreters, &Location::Environment)
    }

    /// [`Environment::open`] for an install into `location`. `--target`, `--prefix`
    /// and `--user` leave the interpreter's own environment alone, so they need no
    /// `system`; `--user` is refused where the interpreter cannot see the user site.
    pub fn open_at(
        discovery: &Discovery,
        system: bool,
        interpreters: &Path,
        location: &Location,
    ) -> Result<Environment, EnvironmentError> {
        let path = python::find(discovery).map_err(EnvironmentError::Python)?;
        let interpreter =
            Interpreter::query(&path, interpreters).map_err(EnvironmentError::Python)?;
        match location {
            Location::Environment if !system && !interpreter.is_virtualenv() => {
                return Err(EnvironmentError::NotVirtual(interpreter.path.clone()));
            }
            Location::User(_) if !sees_user_site(&interpreter) => {
                return Err(EnvironmentError::UserInVirtualEnv(
                    interpreter.prefix.clone(),
                ));
            }
            _ => {}
        }
        let scheme =
            scheme_for(&interpreter, location).map_err(|scheme| EnvironmentError::NoScheme {
                python: interpreter.path.clone(),
                scheme,
                flag: location.flag().unwrap_or("curd install"),
            })?;
        let target = Target {
            scheme,
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
                    // The prefix, or the folder of --target, --prefix or --user.
                    self.target.scheme.data.display()
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

/// Where files go for `location`, as pip's `get_scheme` puts them (and, for
/// `--target`, its move out of the home scheme: see [`crate::client::schemes`]);
/// `Err` names the scheme the interpreter lacks.
fn scheme_for(interpreter: &Interpreter, location: &Location) -> Result<Scheme, &'static str> {
    // pip's header folder in a virtual environment: under the scheme's base (for
    // `--user` the user base, which sysconfig adds to pip's variables).
    let headers = |base: &Path, include: PathBuf| {
        if interpreter.is_virtualenv() {
            Scheme::venv_headers(base, interpreter.python_version)
        } else {
            include
        }
    };
    let schemes = &interpreter.schemes;
    let (paths, base) = match location {
        Location::Environment => (interpreter.paths.clone(), interpreter.prefix.clone()),
        Location::Target(dir) => {
            let home = schemes.home.as_ref().ok_or("home")?.rebased(dir);
            return Ok(Scheme {
                purelib: dir.clone(),
                platlib: dir.clone(),
                scripts: home.scripts,
                data: dir.clone(),
                headers: headers(dir, home.include),
            });
        }
        Location::Prefix(dir) => (
            schemes.prefix.as_ref().ok_or("prefix")?.rebased(dir),
            dir.clone(),
        ),
        Location::User(base) => (
            schemes.user.as_ref().ok_or("user")?.rebased(base),
            base.clone(),
        ),
    };
    Ok(Scheme {
        headers: headers(&base, paths.include),
        purelib: paths.purelib,
        platlib: paths.platlib,
        scripts: paths.scripts,
        data: paths.data,
    })
}

/// Whether the user site is on the interpreter's `sys.path`: outside a virtual
/// environment always; inside one only if its `pyvenv.cfg` says
/// `include-system-site-packages = true` (pip's `virtualenv_no_global`, which takes
/// a missing `pyvenv.cfg` as no).
fn sees_user_site(interpreter: &Interpreter) -> bool {
    if !interpreter.is_virtualenv() {
        return true;
    }
    let cfg = interpreter.prefix.join("pyvenv.cfg");
    let Ok(bytes) = crate::util::fs::read_bounded(&cfg, 64 * 1024) else {
        return false;
    };
    let text = String::from_utf8_lossy(&bytes);
    !text.lines().any(|line| {
        line.split_once('=').is_some_and(|(key, value)| {
            key.trim() == "include-system-site-packages" && value.trim() == "false"
        })
    })
}

/// An environment taken by [`Environment::lock`]: the lock is the open file's, so the
/// kernel releases it when the process dies.
pub struct EnvironmentLock {
    _file: File,
}

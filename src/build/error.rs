//! Why a project could not be unpacked, read or built, and the hooks that can fail.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use crate::archive::unpack::UnpackError;
use crate::util::config::ConfigError;
use crate::util::fs::FsError;

/// The PEP 517 hooks curd calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    GetRequiresForBuildWheel,
    PrepareMetadataForBuildWheel,
    BuildWheel,
    GetRequiresForBuildEditable,
    BuildEditable,
}

impl Hook {
    /// The function's name in the backend.
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::GetRequiresForBuildWheel => "get_requires_for_build_wheel",
            Hook::PrepareMetadataForBuildWheel => "prepare_metadata_for_build_wheel",
            Hook::BuildWheel => "build_wheel",
            Hook::GetRequiresForBuildEditable => "get_requires_for_build_editable",
            Hook::BuildEditable => "build_editable",
        }
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a project could not be unpacked, read or built.
#[derive(Debug)]
pub enum BuildError {
    /// A file or folder could not be read or written.
    Io(FsError),
    /// The sdist could not be unpacked.
    Unpack(UnpackError),
    /// Neither `pyproject.toml` nor `setup.py`.
    NotAProject { project: PathBuf },
    /// `pyproject.toml` is not TOML, or its `[build-system]` not what PEP 517 and
    /// 518 ask for.
    Pyproject { path: PathBuf, reason: String },
    /// `pyproject.toml` could not be read, or is not TOML.
    Toml(ConfigError),
    /// The interpreter could not be started.
    Spawn { python: PathBuf, source: io::Error },
    /// Python failed at a task of curd's own (not a hook).
    PythonFailed {
        python: PathBuf,
        task: String,
        status: ExitStatus,
        output: String,
    },
    /// Importing the backend failed.
    BackendUnavailable {
        backend: String,
        project: PathBuf,
        reason: String,
        log: PathBuf,
        tail: String,
    },
    /// The backend is not what `[build-system]` promised.
    BackendInvalid {
        backend: String,
        project: PathBuf,
        reason: String,
    },
    /// A hook raised, or its process ended with an error.
    HookFailed {
        backend: String,
        hook: Hook,
        project: PathBuf,
        status: ExitStatus,
        log: PathBuf,
        tail: String,
    },
    /// The hook ran, and answered something curd cannot use.
    BadHookResult {
        backend: String,
        hook: Hook,
        project: PathBuf,
        reason: String,
    },
}

/// A project by its folder's name: an sdist's folder is `{name}-{version}`, which
/// says more than the temporary path it was unpacked to.
fn project_name(project: &Path) -> String {
    project.file_name().map_or_else(
        || project.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// Lines of program output, framed so they read as quoted.
fn write_framed(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    for line in text.lines() {
        write!(f, "\n  | {line}")?;
    }
    Ok(())
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Io(e) => e.fmt(f),
            BuildError::Unpack(e) => e.fmt(f),
            BuildError::NotAProject { project } => write!(
                f,
                "`{}` is not a Python project: it has neither `pyproject.toml` nor `setup.py`",
                project.display()
            ),
            BuildError::Pyproject { path, reason } => {
                write!(f, "invalid `{}`: {reason}", path.display())
            }
            BuildError::Toml(e) => e.fmt(f),
            BuildError::Spawn { python, source } => {
                write!(f, "cannot run `{}`: {source}", python.display())
            }
            BuildError::PythonFailed {
                python,
                task,
                status,
                output,
            } => {
                write!(f, "`{}` failed ({status}) to {task}", python.display())?;
                if !output.trim().is_empty() {
                    f.write_str(", saying:")?;
                    write_framed(f, output)?;
                }
                Ok(())
            }
            BuildError::BackendUnavailable {
                backend,
                project,
                reason,
                log,
                tail,
            } => {
                write!(
                    f,
                    "cannot import the build backend `{backend}` for `{}`: {reason}",
                    project_name(project)
                )?;
                write_framed(f, tail)?;
                write!(f, "\nfull log: `{}`", log.display())
            }
            BuildError::BackendInvalid {
                backend,
                project,
                reason,
            } => write!(
                f,
                "the build backend `{backend}` of `{}` cannot be used: {reason}",
                project_name(project)
            ),
            BuildError::HookFailed {
                backend,
                hook,
                project,
                status,
                log,
                tail,
            } => {
                write!(
                    f,
                    "the build backend `{backend}` failed in {hook} for `{}` ({status})",
                    project_name(project)
                )?;
                if tail.is_empty() {
                    f.write_str(", saying nothing")?;
                } else {
                    f.write_str(", ending with:")?;
                    write_framed(f, tail)?;
                }
                write!(f, "\nfull log: `{}`", log.display())
            }
            BuildError::BadHookResult {
                backend,
                hook,
                project,
                reason,
            } => write!(
                f,
                "the build backend `{backend}` gave {hook} for `{}` an answer curd cannot use: {reason}",
                project_name(project)
            ),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Io(e) => Some(e),
            BuildError::Toml(e) => e.source(),
            BuildError::Unpack(e) => e.source(),
            BuildError::Spawn { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<FsError> for BuildError {
    fn from(e: FsError) -> Self {
        BuildError::Io(e)
    }
}

impl From<UnpackError> for BuildError {
    fn from(e: UnpackError) -> Self {
        BuildError::Unpack(e)
    }
}

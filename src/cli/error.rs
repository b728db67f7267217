//! A command that failed as a whole, or some of whose parts did: every cause kept
//! typed up to `main`, which prints it.

use std::fmt;
use std::sync::Arc;

use crate::cli::report::ReportError;
use crate::cli::requirements_txt::RequirementsError;
use crate::cli::settings::SettingsError;
use crate::client::direct::DirectError;
use crate::client::environment::EnvironmentError;
use crate::client::error::{FindError, PrepareError};
use crate::client::fetch::FetchError;
use crate::install::InstallError;
use crate::resolve::ResolveError;
use crate::standards::marker::MarkerEnvironmentError;
use crate::standards::name::{InvalidName, PackageName};
use crate::standards::version::{Version, VersionParseError};
use crate::util::fs::FsError;

/// Why a command failed.
#[derive(Debug)]
pub enum CommandError {
    /// The flags, requirements files or environment variables do not make a run.
    Settings(SettingsError),
    /// The target environment cannot be used.
    Environment(EnvironmentError),
    /// The local cache, or the wheel folder, cannot be written.
    Fs(FsError),
    /// The HTTP client cannot be set up (a bad certificate bundle).
    Client(FetchError),
    /// The interpreter reports markers that do not parse.
    Markers(MarkerEnvironmentError),
    /// The interpreter reports a version that does not parse.
    PythonVersion(VersionParseError),
    /// A project given by path or URL could not be made into a wheel.
    Direct(DirectError),
    /// The requirements do not resolve.
    Resolve(ResolveError<Arc<FindError>>),
    /// Some packages could not be installed (so none were), or saved.
    Steps(Failures),
    /// The environment could not be prepared for the install (its journal written).
    Transaction(InstallError),
    /// The install stopped after it was committed: the next run finishes it.
    Commit(InstallError),
    /// A requirements file given to `uninstall` could not be read.
    Requirements(RequirementsError),
    /// A project name given to `uninstall` is not one.
    Name(InvalidName),
    /// `uninstall` with nothing to uninstall.
    NothingToUninstall,
    /// Removing an installed project failed.
    Uninstall(InstallError),
    /// `--report` could not be made or written.
    Report(ReportError),
    /// `show` with no name.
    NothingToShow,
    /// `--upload-required`, and wheels did not reach the cache server; the install
    /// itself is complete.
    Upload(UploadFailed),
}

/// What `--upload-required` could not do.
#[derive(Debug)]
pub struct UploadFailed {
    /// The cache server's index, redacted.
    pub server: String,
    pub failed: usize,
    pub of: usize,
    /// Each distinct reason, joined.
    pub why: String,
}

impl fmt::Display for UploadFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} not uploaded to {}: {}\n\
             hint: the install itself is complete; --upload-required made the upload count",
            self.failed,
            crate::util::messages::count(self.of, "wheel"),
            self.server,
            self.why
        )
    }
}

impl std::error::Error for UploadFailed {}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::Settings(e) => e.fmt(f),
            CommandError::Environment(e) => e.fmt(f),
            CommandError::Fs(e) => e.fmt(f),
            CommandError::Client(e) => e.fmt(f),
            CommandError::Markers(e) => e.fmt(f),
            CommandError::PythonVersion(e) => write!(f, "the interpreter reports an {e}"),
            CommandError::Direct(e) => e.fmt(f),
            CommandError::Resolve(e) => e.fmt(f),
            CommandError::Steps(e) => e.fmt(f),
            CommandError::Transaction(e) => write!(f, "cannot install: {e}"),
            CommandError::Commit(e) => write!(
                f,
                "the install stopped part way: {e}\n\
                 hint: once that is fixed, the next `curd install` into this environment finishes it"
            ),
            CommandError::Requirements(e) => e.fmt(f),
            CommandError::Name(e) => e.fmt(f),
            CommandError::NothingToUninstall => {
                f.write_str("nothing to uninstall: expected project names or -r FILE")
            }
            CommandError::Uninstall(e) => e.fmt(f),
            CommandError::Report(e) => e.fmt(f),
            CommandError::NothingToShow => {
                f.write_str("nothing to show: expected project names\nhint: curd show requests")
            }
            CommandError::Upload(e) => e.fmt(f),
        }
    }
}

/// Each variant's text already says its cause's, so `source` goes one step past it.
impl std::error::Error for CommandError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CommandError::Settings(e) => e.source(),
            CommandError::Environment(e) => e.source(),
            CommandError::Fs(e) => e.source(),
            CommandError::Client(e) => e.source(),
            CommandError::Resolve(e) => e.source(),
            CommandError::Direct(e) => e.source(),
            CommandError::Requirements(e) => e.source(),
            CommandError::Report(e) => e.source(),
            CommandError::Uninstall(e) | CommandError::Transaction(e) | CommandError::Commit(e) => {
                e.source()
            }
            _ => None,
        }
    }
}

macro_rules! from {
    ($($variant:ident($error:ty)),* $(,)?) => {$(
        impl From<$error> for CommandError {
            fn from(error: $error) -> CommandError {
                CommandError::$variant(error)
            }
        }
    )*};
}

from!(
    Settings(SettingsError),
    Environment(EnvironmentError),
    Fs(FsError),
    Client(FetchError),
    Markers(MarkerEnvironmentError),
    PythonVersion(VersionParseError),
    Resolve(ResolveError<Arc<FindError>>),
    Direct(DirectError),
    Steps(Failures),
    Requirements(RequirementsError),
    Name(InvalidName),
    Report(ReportError),
);

/// The packages that failed, each with who asked for it and why.
#[derive(Debug)]
pub struct Failures {
    /// How many packages the run tried.
    pub of: usize,
    pub failed: Vec<Failure>,
    /// Whether the others were left out of the environment for it.
    pub installed_nothing: bool,
}

/// One package that failed.
#[derive(Debug)]
pub struct Failure {
    pub name: PackageName,
    pub version: Version,
    /// Who asked for it, as a person would say it.
    pub required_by: String,
    pub error: StepError,
}

impl fmt::Display for Failures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} failed",
            self.failed.len(),
            crate::util::messages::count(self.of, "package")
        )?;
        if self.installed_nothing {
            f.write_str(", so nothing was installed")?;
        }
        f.write_str(":")?;
        for failure in &self.failed {
            write!(
                f,
                "\n  {} {} (required by {}): {}",
                failure.name, failure.version, failure.required_by, failure.error
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Failures {}

/// Why one package could not be installed (or saved, for `curd wheel`).
#[derive(Debug)]
pub enum StepError {
    /// It could not be fetched, built, unpacked or written.
    Prepare(PrepareError),
    /// Some requirements have `--hash` values, but not this one.
    NoHash { name: PackageName, version: Version },
    /// The version it replaces cannot be removed.
    Uninstall(InstallError),
    /// It could not be copied into the wheel folder.
    Copy(FsError),
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepError::Prepare(e) => e.fmt(f),
            StepError::NoHash { name, version } => write!(
                f,
                "the requirements give hashes, but none for `{name}`\nhint: pin it with `=={version}` and a --hash line"
            ),
            StepError::Uninstall(e) => e.fmt(f),
            StepError::Copy(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StepError {}

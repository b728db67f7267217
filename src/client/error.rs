//! What can go wrong between a requirement and a wheel ready to install: finding
//! it, building it, preparing it. One file, because the three refer to each other:
//! finding a version without a wheel builds it, and a build fetches its own
//! requirements through the finder.

use std::fmt;
use std::sync::Arc;

use crate::archive::error::ArchiveError;
use crate::build::error::BuildError;
use crate::client::fetch::FetchError;
use crate::client::index::IndexError;
use crate::install::InstallError;
use crate::resolve::ResolveError;
use crate::standards::metadata::{IdentityError, MetadataError};
use crate::standards::name::PackageName;
use crate::standards::version::Version;
use crate::util::fs::FsError;
use crate::util::messages::count;

/// Why finding failed.
#[derive(Debug)]
pub enum FindError {
    /// Every source that knows the project failed, or the only one did.
    Index(IndexError),
    /// Downloading a file failed.
    Fetch(FetchError),
    /// A file's metadata could not be read, or is not the file's.
    Metadata {
        file: String,
        cause: Box<MetadataCause>,
    },
    /// The project exists nowhere.
    NotFound { name: PackageName, sources: usize },
    /// An index that could not be reached earlier in the run was not asked.
    Unreachable { source: String, reason: String },
    /// An sdist could not be built; shared by everyone who asked for that build.
    Build {
        file: String,
        source: Arc<DispatchError>,
    },
    /// The local cache could not be written (or a file read to hash it).
    Cache(FsError),
    /// No file of the version has a hash the requirements file allows.
    Hash(Box<NoAllowedFile>),
}

/// A version none of whose files has a hash the requirements file allows.
#[derive(Debug)]
pub struct NoAllowedFile {
    pub name: PackageName,
    pub version: Version,
    pub refused: Vec<RefusedFile>,
}

/// A file passed over because its hash is not one a requirements file allows.
#[derive(Debug)]
pub struct RefusedFile {
    pub file: String,
    /// Where it came from, as a person would say it.
    pub source: String,
    pub sha256: String,
}

impl fmt::Display for FindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FindError::Index(e) => e.fmt(f),
            FindError::Fetch(e) => e.fmt(f),
            FindError::Metadata { file, cause } => {
                write!(f, "cannot read the metadata of `{file}`: {cause}")
            }
            FindError::Build { file, source } => write!(f, "cannot build `{file}`: {source}"),
            FindError::Cache(e) => e.fmt(f),
            FindError::Hash(hash) => {
                write!(
                    f,
                    "no file of {} {} has a hash the requirements file allows:",
                    hash.name, hash.version
                )?;
                for r in &hash.refused {
                    write!(
                        f,
                        "\n    `{}` from {} has sha256 {}",
                        r.file, r.source, r.sha256
                    )?;
                }
                Ok(())
            }
            FindError::Unreachable { source, reason } => write!(
                f,
                "{source} could not be reached earlier in this run, so it was not asked: {reason}"
            ),
            FindError::NotFound { name, sources } => {
                write!(
                    f,
                    "no project named `{name}` in any of the {}",
                    count(*sources, "package source")
                )
            }
        }
    }
}

impl std::error::Error for FindError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FindError::Index(e) => e.source(),
            FindError::Fetch(e) => e.source(),
            FindError::Build { source, .. } => source.source(),
            FindError::Cache(e) => e.source(),
            FindError::Metadata { .. }
            | FindError::NotFound { .. }
            | FindError::Unreachable { .. }
            | FindError::Hash(_) => None,
        }
    }
}

/// What is wrong with a file's metadata.
#[derive(Debug)]
pub enum MetadataCause {
    /// The wheel could not be read for it.
    Read(ArchiveError),
    /// It does not parse.
    Parse(MetadataError),
    /// It is another project's or version's (or names an invalid one).
    Identity {
        error: IdentityError,
        /// The name and version the metadata gives.
        says: String,
        /// The project and version the file was chosen for.
        expected: String,
    },
}

impl fmt::Display for MetadataCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetadataCause::Read(e) => e.fmt(f),
            MetadataCause::Parse(e) => e.fmt(f),
            MetadataCause::Identity {
                error,
                says,
                expected,
            } => match error {
                IdentityError::InvalidName(e) => e.fmt(f),
                IdentityError::InvalidVersion(e) => e.fmt(f),
                IdentityError::OtherProject { .. } | IdentityError::OtherVersion { .. } => {
                    write!(f, "its metadata says {says}, expected {expected}")
                }
            },
        }
    }
}

/// Why an sdist did not become a wheel.
#[derive(Debug)]
pub enum DispatchError {
    /// Nothing may be built in this run.
    Off,
    /// The sdist could not be fetched.
    Fetch(FindError),
    /// The cache's work or log folder could not be made.
    Cache(FsError),
    /// Unpacking, the backend or one of its hooks failed.
    Build(BuildError),
    /// The build requirements do not resolve.
    Requirements(ResolveError<Arc<FindError>>),
    /// A build requirement could not be installed into the build environment.
    Requirement {
        name: PackageName,
        source: PrepareError,
    },
    /// The sdist is needed, through other builds, to build itself.
    Cycle { name: PackageName, chain: String },
    /// The thread building it stopped before it finished.
    Stopped,
    /// The built wheel could not be moved into the cache.
    Keep(FsError),
    /// The backend made no wheel where it said, or a file that is not one.
    NoWheel { dir: String },
    /// The backend made a wheel of another project or version, or not a wheel.
    Made { file: String, reason: &'static str },
}

impl fmt::Display for DispatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DispatchError::Off => f.write_str("building is off"),
            DispatchError::Fetch(e) => e.fmt(f),
            DispatchError::Cache(e) | DispatchError::Keep(e) => e.fmt(f),
            DispatchError::Build(e) => e.fmt(f),
            DispatchError::Requirements(e) => e.fmt(f),
            DispatchError::Requirement { name, source } => {
                write!(f, "build requirement {name}: {source}")
            }
            DispatchError::Cycle { name, chain } => {
                write!(f, "`{name}` is needed to build itself ({chain} -> {name})")
            }
            DispatchError::Stopped => f.write_str("the build stopped unexpectedly"),
            DispatchError::NoWheel { dir } => write!(f, "no wheel in `{dir}`"),
            DispatchError::Made { file, reason } => {
                write!(f, "the build made `{file}`, which is {reason}")
            }
        }
    }
}

/// Each variant's text already says its cause's, so `source` goes one step past it:
/// a chain printed as "caused by" never says the same thing twice.
impl std::error::Error for DispatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DispatchError::Fetch(e) => e.source(),
            DispatchError::Cache(e) | DispatchError::Keep(e) => e.source(),
            DispatchError::Build(e) => e.source(),
            DispatchError::Requirements(e) => e.source(),
            DispatchError::Requirement { source, .. } => source.source(),
            _ => None,
        }
    }
}

/// Why a wheel could not be made ready for an environment, or placed in one.
#[derive(Debug)]
pub enum PrepareError {
    /// It could not be found, fetched or built.
    Find(FindError),
    /// It could not be unpacked into the cache, or installed from there.
    Install(InstallError),
}

impl fmt::Display for PrepareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrepareError::Find(e) => e.fmt(f),
            PrepareError::Install(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for PrepareError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PrepareError::Find(e) => e.source(),
            PrepareError::Install(e) => e.source(),
        }
    }
}

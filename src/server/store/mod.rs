//! Where the server keeps uploads: the [`Store`] the routes speak to, over a
//! folder ([`folder`], the default) or an S3-compatible bucket shared by several
//! servers ([`remote`] over [`bucket`] over [`s3`]).
//!
//! Both keep the same promises: a file is listed whole or not at all, the same
//! bytes saved again are `Unchanged` and other bytes a conflict, uploads are
//! checked before they are visible, and hashes and METADATA are computed once,
//! when the file is saved or first read.

pub mod bucket;
pub mod copies;
mod folder;
pub mod remote;
pub mod s3;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::server::storage::{
    Download, Facts, Index, NotServed, SaveError, Saved, StoredFile, Upload,
};
use crate::standards::filename::DistFilename;
use crate::standards::name::PackageName;
use crate::standards::version::Version;
use crate::util::fs::FsError;

/// Why files could not be removed.
#[derive(Debug)]
pub enum RemoveError {
    /// The folder refused.
    Disk(FsError),
    /// The bucket refused or could not be reached.
    Bucket(bucket::StoreError),
}

impl fmt::Display for RemoveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemoveError::Disk(e) => e.fmt(f),
            RemoveError::Bucket(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RemoveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RemoveError::Disk(e) => Some(e),
            RemoveError::Bucket(e) => Some(e),
        }
    }
}

/// The uploads a server serves.
pub trait Store: Send + Sync {
    /// Where the files are, for the start-up line.
    fn describe(&self) -> String;
    /// Where request bodies wait while they arrive (a local folder).
    fn spool(&self) -> &Path;
    /// The current listing, at most as stale as the store's bound says.
    fn index(&self) -> Arc<Index>;
    /// What is known of a file's contents, computed (or read) once.
    fn facts(&self, file: &StoredFile) -> Facts;
    /// Prepares what first requests need, in the background.
    fn warm_up(self: Arc<Self>);
    /// A listed file, opened to be sent, with its hash.
    fn download(&self, filename: &DistFilename) -> Result<Download, NotServed>;
    /// Where clients may fetch a listed file straight from the store, if they should.
    fn redirect(&self, _filename: &DistFilename) -> Option<String> {
        None
    }
    /// A listed wheel's METADATA (PEP 658).
    fn wheel_metadata(&self, filename: &DistFilename) -> Result<Arc<Vec<u8>>, NotServed>;
    /// Starts receiving an upload of at most `limit` bytes.
    fn begin_upload(&self, limit: u64) -> Result<Upload, SaveError>;
    /// Checks a received upload and makes it visible, whole.
    fn commit(
        &self,
        upload: Upload,
        filename: &DistFilename,
        expected_sha256: Option<&str>,
        overwrite: bool,
    ) -> Result<Saved, SaveError>;
    /// Removes the file stored under `filename`, however spelled; the files removed.
    fn remove(&self, filename: &DistFilename) -> Result<Vec<Arc<StoredFile>>, RemoveError>;
    /// Removes every file of one version of a project.
    fn remove_version(
        &self,
        project: &PackageName,
        version: &Version,
    ) -> Result<Vec<Arc<StoredFile>>, RemoveError>;
}

//! The folder as a [`Store`]: today's [`Storage`], unchanged, behind the trait.

use std::path::Path;
use std::sync::Arc;

use super::{RemoveError, Store};
use crate::server::storage::{
    Download, Facts, Index, NotServed, SaveError, Saved, Storage, StoredFile, Upload,
};
use crate::standards::filename::DistFilename;
use crate::standards::name::PackageName;
use crate::standards::version::Version;

impl Store for Storage {
    fn describe(&self) -> String {
        self.dir().display().to_string()
    }

    fn spool(&self) -> &Path {
        // Request bodies wait in the folder, on the disk of the uploads they become.
        self.incoming()
    }

    fn index(&self) -> Arc<Index> {
        Storage::index(self)
    }

    fn facts(&self, file: &StoredFile) -> Facts {
        Storage::facts(self, file)
    }

    fn warm_up(self: Arc<Self>) {
        Storage::warm_up(&self);
    }

    fn download(&self, filename: &DistFilename) -> Result<Download, NotServed> {
        Storage::download(self, filename)
    }

    fn wheel_metadata(&self, filename: &DistFilename) -> Result<Arc<Vec<u8>>, NotServed> {
        Storage::wheel_metadata(self, filename)
    }

    fn begin_upload(&self, limit: u64) -> Result<Upload, SaveError> {
        Storage::begin_upload(self, limit)
    }

    fn commit(
        &self,
        upload: Upload,
        filename: &DistFilename,
        expected_sha256: Option<&str>,
        overwrite: bool,
    ) -> Result<Saved, SaveError> {
        Storage::commit(self, upload, filename, expected_sha256, overwrite)
    }

    fn remove(&self, filename: &DistFilename) -> Result<Vec<Arc<StoredFile>>, RemoveError> {
        Storage::remove(self, filename).map_err(RemoveError::Disk)
    }

    fn remove_version(
        &self,
        project: &PackageName,
        version: &Version,
    ) -> Result<Vec<Arc<StoredFile>>, RemoveError> {
        Storage::remove_version(self, project, version).map_err(RemoveError::Disk)
    }
}

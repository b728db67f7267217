//! Removing stored files: by `DELETE`, pypiserver's `remove_pkg`, eviction and
//! `prune`. A file is unlinked, never truncated, so a download already sending it
//! keeps reading its open handle to the end; the next listing no longer has it,
//! and its hashes and checks are forgotten with it (see [`Storage::rescan`]).

use std::sync::Arc;

use super::{Storage, StoredFile};
use crate::standards::filename::DistFilename;
use crate::standards::name::PackageName;
use crate::standards::version::Version;
use crate::util::fs::{Context, FsError};
use crate::util::sync::lock;

impl Storage {
    /// Removes the file stored under `filename`, however its name is spelled
    /// (`Foo-1.0.0-…` for `foo-1.0-…`), as saves treat spellings alike. The files
    /// removed; none when nothing is stored under that name.
    pub fn remove(&self, filename: &DistFilename) -> Result<Vec<Arc<StoredFile>>, FsError> {
        let files = self.stored_as(filename);
        self.remove_files(&files)?;
        Ok(files)
    }

    /// Removes every file of one version of a project (pypiserver's `remove_pkg`).
    pub fn remove_version(
        &self,
        project: &PackageName,
        version: &Version,
    ) -> Result<Vec<Arc<StoredFile>>, FsError> {
        let index = self.rescanned();
        let files: Vec<Arc<StoredFile>> = index
            .project(project)
            .unwrap_or_default()
            .iter()
            .filter(|f| f.filename.version() == version)
            .cloned()
            .collect();
        self.remove_files(&files)?;
        Ok(files)
    }

    /// Unlinks listed files, then reads the folder again so no listing offers them.
    /// A file already gone (removed by another process) counts as removed.
    pub fn remove_files(&self, files: &[Arc<StoredFile>]) -> Result<(), FsError> {
        let outcome = {
            let _guard = lock(&self.saving);
            files.iter().try_for_each(|file| {
                let path = self.dir.join(&file.name);
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    other => other.context("remove", &path),
                }
            })
        };
        if let Err(e) = self.rescan() {
            crate::message!("curd-server: {e}");
        }
        outcome
    }
}

//! Removing stored files: by `DELETE`, pypiserver's `remove_pkg`, eviction and
//! `prune`. A file is unlinked, never truncated, so a download already sending it
//! keeps reading its open handle to the end; the next listing no longer has it,
//! and its hashes and checks are forgotten at the next rescan.

use std::sync::{Arc, MutexGuard};

use super::{Storage, StoredFile};
use crate::standards::filename::DistFilename;
use crate::standards::name::PackageName;
use crate::standards::version::Version;
use crate::util::fs::{Context, FsError};
use crate::util::sync::{lock, read};

impl Storage {
    /// Removes the file stored under `filename`, however its name is spelled
    /// (`Foo-1.0.0-…` for `foo-1.0-…`), as saves treat spellings alike. The files
    /// removed; none when nothing is stored under that name.
    pub fn remove(&self, filename: &DistFilename) -> Result<Vec<Arc<StoredFile>>, FsError> {
        let saving = lock(&self.saving);
        let files = self.stored_as(&saving, filename);
        self.unlink(&saving, &files)?;
        Ok(files)
    }

    /// Removes every file of one version of a project (pypiserver's `remove_pkg`).
    pub fn remove_version(
        &self,
        project: &PackageName,
        version: &Version,
    ) -> Result<Vec<Arc<StoredFile>>, FsError> {
        let saving = lock(&self.saving);
        self.refresh(&saving);
        let index = Arc::clone(&read(&self.scan).index);
        let files = index.version(project, version);
        self.unlink(&saving, &files)?;
        Ok(files)
    }

    /// Unlinks listed files, and drops them from the index so no listing offers
    /// them. A file already gone (removed by another process) counts as removed.
    pub fn remove_files(&self, files: &[Arc<StoredFile>]) -> Result<(), FsError> {
        let saving = lock(&self.saving);
        self.refresh(&saving);
        self.unlink(&saving, files)
    }

    fn unlink(
        &self,
        saving: &MutexGuard<'_, ()>,
        files: &[Arc<StoredFile>],
    ) -> Result<(), FsError> {
        let mut removed = Vec::new();
        let outcome = files.iter().try_for_each(|file| {
            let path = self.dir.join(&file.name);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(e).context("remove", &path)
                }
                _ => {
                    removed.push(Arc::clone(file));
                    Ok(())
                }
            }
        });
        self.changed(saving, None, &removed);
        outcome
    }
}

//! The bucket as a [`Store`]: uploads are received and checked on local disk,
//! then saved to the bucket ([`BucketStore`]); listings, hashes and METADATA come
//! from the bucket's entries, and downloads from the local cache it fills (or,
//! with `--s3-redirect`, straight from the store by a presigned URL).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::bucket::{BucketStore, Committed, Entry};
use super::{RemoveError, Store};
use crate::server::storage::{
    Download, Facts, Index, NotServed, SaveError, Saved, StoredFile, Upload, listing_order,
    validate,
};
use crate::standards::filename::DistFilename;
use crate::standards::name::PackageName;
use crate::standards::version::Version;
use crate::util::sync::lock;

/// Uploads kept in a bucket.
pub struct Remote {
    store: BucketStore,
    spool: PathBuf,
    /// How long presigned download URLs live, when downloads are redirected.
    redirect: Option<Duration>,
    /// The index built from the bucket's listing of one generation.
    index: Mutex<Arc<Index>>,
}

impl Remote {
    pub fn new(store: BucketStore, spool: PathBuf, redirect: Option<Duration>) -> Remote {
        Remote {
            store,
            spool,
            redirect,
            index: Mutex::new(Arc::new(Index::default())),
        }
    }

    /// A listed file's entry.
    fn entry_of(&self, filename: &DistFilename) -> Result<Arc<Entry>, NotServed> {
        self.index().file(filename).ok_or(NotServed::Missing)?;
        match self.store.entry(filename) {
            Ok(Some(entry)) => Ok(entry),
            Ok(None) => Err(NotServed::Missing),
            Err(e) => Err(NotServed::Unavailable(Arc::new(e))),
        }
    }
}

impl Store for Remote {
    fn describe(&self) -> String {
        self.store.describe()
    }

    fn spool(&self) -> &Path {
        &self.spool
    }

    fn index(&self) -> Arc<Index> {
        let listing = self.store.listing();
        let mut index = lock(&self.index);
        if index.generation == listing.generation && listing.generation > 0 {
            return Arc::clone(&index);
        }
        let mut projects: BTreeMap<PackageName, Vec<Arc<StoredFile>>> = BTreeMap::new();
        for listed in listing.dists.values() {
            let file =
                StoredFile::listed(listed.filename.clone(), listed.size, SystemTime::UNIX_EPOCH);
            projects
                .entry(listed.filename.name().clone())
                .or_default()
                .push(Arc::new(file));
        }
        for files in projects.values_mut() {
            files.sort_by(|a, b| listing_order((&a.filename, &a.name), (&b.filename, &b.name)));
        }
        *index = Arc::new(Index {
            generation: listing.generation,
            projects,
            refused: BTreeMap::new(),
        });
        Arc::clone(&index)
    }

    fn facts(&self, file: &StoredFile) -> Facts {
        match self.store.entry(&file.filename) {
            Ok(Some(entry)) => Facts {
                sha256: entry.sha256.clone(),
                metadata_sha256: entry.metadata_sha256.clone(),
                requires_python: entry.requires_python.clone(),
            },
            Ok(None) => Facts::default(),
            Err(e) => {
                crate::message!("curd-server: {e}");
                Facts::default()
            }
        }
    }

    fn warm_up(self: Arc<Self>) {
        let spawned = std::thread::Builder::new()
            .name("warm-up".into())
            .spawn(move || {
                for file in self.index().projects.values().flatten() {
                    self.facts(file);
                }
            });
        if let Err(e) = spawned {
            crate::message!("curd-server: could not start the warm-up thread: {e}");
        }
    }

    fn download(&self, filename: &DistFilename) -> Result<Download, NotServed> {
        let entry = self.entry_of(filename)?;
        match self.store.fetch(&entry) {
            Ok(Some(fetched)) => Ok(Download {
                file: fetched.file,
                size: entry.size,
                sha256: entry.sha256.clone(),
                copied: fetched.new,
            }),
            Ok(None) => Err(NotServed::Missing),
            Err(e) => Err(NotServed::Unavailable(Arc::new(e))),
        }
    }

    fn redirect(&self, filename: &DistFilename) -> Option<String> {
        let expires = self.redirect?;
        let entry = self.entry_of(filename).ok()?;
        Some(self.store.presigned(&entry, expires))
    }

    fn wheel_metadata(&self, filename: &DistFilename) -> Result<Arc<Vec<u8>>, NotServed> {
        if !filename.is_wheel() {
            return Err(NotServed::Missing);
        }
        let entry = self.entry_of(filename)?;
        if entry.metadata_sha256.is_none() {
            return Err(NotServed::Missing);
        }
        match self.store.metadata(&entry) {
            Ok(Some(bytes)) => Ok(Arc::new(bytes)),
            Ok(None) => Err(NotServed::Missing),
            Err(e) => Err(NotServed::Unavailable(Arc::new(e))),
        }
    }

    fn begin_upload(&self, limit: u64) -> Result<Upload, SaveError> {
        Upload::new_in(&self.spool, limit)
    }

    fn commit(
        &self,
        upload: Upload,
        filename: &DistFilename,
        expected_sha256: Option<&str>,
        overwrite: bool,
    ) -> Result<Saved, SaveError> {
        let valid = validate(upload, filename, expected_sha256)?;
        let metadata = (filename.is_wheel() && valid.checked.metadata_sha256.is_some())
            .then_some(valid.raw.as_slice());
        let entry = Entry {
            filename: filename.to_string(),
            sha256: valid.sha256.clone(),
            size: valid.size,
            metadata_sha256: valid.checked.metadata_sha256.clone(),
            requires_python: valid.checked.requires_python.clone(),
        };
        let committed = self
            .store
            .save(valid.temp.path(), entry, metadata, overwrite)
            .map_err(SaveError::Bucket)?;
        match committed {
            Committed::Created => Ok(Saved::Created),
            Committed::Unchanged => Ok(Saved::Unchanged),
            Committed::Replaced => Ok(Saved::Replaced),
            Committed::Conflict => Err(SaveError::Conflict {
                filename: filename.to_string(),
            }),
            Committed::Busy => Err(SaveError::Racing {
                filename: filename.to_string(),
            }),
        }
    }

    fn remove(&self, filename: &DistFilename) -> Result<Vec<Arc<StoredFile>>, RemoveError> {
        let listed = self.index().file(filename).cloned();
        match self.store.remove(filename).map_err(RemoveError::Bucket)? {
            true => Ok(listed.into_iter().collect()),
            false => Ok(Vec::new()),
        }
    }

    fn remove_version(
        &self,
        project: &PackageName,
        version: &Version,
    ) -> Result<Vec<Arc<StoredFile>>, RemoveError> {
        let files = self.index().version(project, version);
        for file in &files {
            self.store
                .remove(&file.filename)
                .map_err(RemoveError::Bucket)?;
        }
        Ok(files)
    }
}

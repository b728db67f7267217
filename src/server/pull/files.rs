//! Files and METADATA pulled through: served from `upstream/` once there, else
//! fetched whole from the upstream, checked and stored, then served from disk.
//!
//! A file is not streamed to its first clients while it arrives: its bytes are
//! only known good once all of them match the upstream's sha256 (and pass the
//! checks an upload passes), and a client that had been sent half a file that
//! then failed would have installed nothing good anyway. So every request for a
//! file being fetched waits for the whole fetch (bounded by the upstream's read
//! timeout and the size limit), then is sent the file from disk with sendfile.

use std::fs::File;
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::{Pull, PullError};
use crate::server::http::Payload;
use crate::server::storage::{Download, NotServed, SaveError, StoredFile};
use crate::server::upstream::{MAX_FILE, UpstreamError};
use crate::standards::filename::DistFilename;
use crate::standards::simple::{IndexFile, MetadataAvailability};
use crate::util::digest::sha256_hex;
use crate::util::fs::{Context, FsError, TempFile};

impl Pull {
    /// A file to send: cached, else fetched from its upstream now (once, however
    /// many ask). `None` when it is neither cached nor listed upstream.
    pub fn download(
        self: &Arc<Self>,
        filename: &DistFilename,
    ) -> Result<Option<Download>, PullError> {
        match self.store.download(filename) {
            Ok(download) => {
                self.stats.file_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(Some(download));
            }
            Err(NotServed::Missing) => {}
            Err(_) => return Ok(None),
        }
        if self.offline() {
            return Ok(None);
        }
        let name = filename.to_string();
        let Some(listing) = self.listing(filename.name())? else {
            return Ok(None);
        };
        let Some(file) = listing.file(&name).cloned() else {
            return Ok(None);
        };
        self.stats.file_pulls.fetch_add(1, Ordering::Relaxed);
        let _turn = self.wait_turn()?;
        self.file_flights
            .run(name.clone(), || self.pull_file(filename, &file))
            .ok_or(PullError::Vanished)??;
        match self.store.download(filename) {
            Ok(download) => Ok(Some(download)),
            Err(NotServed::Missing) => Err(PullError::Evicted { file: name }),
            Err(_) => Ok(None),
        }
    }

    /// Fetches a file into `upstream/`: hashed as it is written to a temporary
    /// file there, then checked and renamed into place, or removed.
    fn pull_file(&self, filename: &DistFilename, file: &IndexFile) -> Result<(), PullError> {
        let refused = |why: SaveError| PullError::Refused {
            file: file.filename.clone(),
            why: Arc::new(why),
        };
        let Some(upstreams) = &self.upstreams else {
            return Ok(());
        };
        let mut upload = self.store.begin_upload(MAX_FILE).map_err(refused)?;
        let mut reader = upstreams.file(&file.url).map_err(|e| self.failed(e))?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(self.failed(UpstreamError::Transfer {
                        url: file.url.clone(),
                        reason: e.to_string(),
                    }));
                }
            };
            if let Err(e) = upload.write_all(&buf[..n]) {
                return Err(refused(upload.write_error(e)));
            }
        }
        self.store
            .commit(upload, filename, file.sha256.as_deref(), false)
            .map_err(|e| {
                let e = refused(e);
                crate::message!("curd-server: {e}");
                e
            })?;
        Ok(())
    }

    /// Removes a cached file with its saved METADATA. The upstream still lists
    /// it, so the next request for it fetches it again.
    pub fn remove(&self, filename: &DistFilename) -> Result<Vec<Arc<StoredFile>>, FsError> {
        let removed = self.store.remove(filename)?;
        self.forget_metadata(&removed);
        Ok(removed)
    }

    /// Deletes the saved METADATA of files removed from the cache.
    pub fn forget_metadata(&self, removed: &[Arc<StoredFile>]) {
        remove_metadata(&self.metadata_dir, removed);
    }

    fn failed(&self, e: UpstreamError) -> PullError {
        self.stats.upstream_errors.fetch_add(1, Ordering::Relaxed);
        crate::message!("curd-server: {e}");
        PullError::Upstream(Arc::new(e))
    }

    /// An upstream wheel's METADATA (PEP 658): as saved, else fetched when its
    /// page offers it, else read from the cached wheel. `None` when none is known.
    pub fn metadata(
        self: &Arc<Self>,
        filename: &DistFilename,
    ) -> Result<Option<Payload>, PullError> {
        let name = filename.to_string();
        let path = self.metadata_dir.join(format!("{name}.metadata"));
        if let Some(payload) = open_payload(&path) {
            return Ok(Some(payload));
        }
        let offered = match self.listing(filename.name())? {
            Some(listing) => listing.file(&name).cloned(),
            None => None,
        };
        if let Some(file) = offered.filter(|f| f.core_metadata != MetadataAvailability::No)
            && !self.offline()
        {
            let _turn = self.wait_turn()?;
            self.file_flights
                .run(format!("{name}.metadata"), || {
                    self.pull_metadata(&file, &path)
                })
                .ok_or(PullError::Vanished)??;
            if let Some(payload) = open_payload(&path) {
                return Ok(Some(payload));
            }
        }
        match self.store.wheel_metadata(filename) {
            Ok(bytes) => Ok(Some(Payload::Shared(bytes))),
            Err(NotServed::Busy) => Err(PullError::Busy),
            Err(_) => Ok(None),
        }
    }

    /// Fetches a METADATA file, checks it against the page's sha256 and saves it.
    fn pull_metadata(&self, file: &IndexFile, path: &std::path::Path) -> Result<(), PullError> {
        let Some(upstreams) = &self.upstreams else {
            return Ok(());
        };
        let url = file.url.with_path_suffix(".metadata");
        let Some(document) = upstreams
            .document(&url, "*/*")
            .map_err(|e| self.failed(e))?
        else {
            return Ok(());
        };
        let bytes = document.body;
        if let MetadataAvailability::Sha256(expected) = &file.core_metadata {
            let actual = sha256_hex(&bytes);
            if !actual.eq_ignore_ascii_case(expected) {
                let e = PullError::MetadataMismatch {
                    file: file.filename.clone(),
                    expected: expected.clone(),
                    actual,
                };
                crate::message!("curd-server: {e}");
                return Err(e);
            }
        }
        let disk = |e| PullError::Disk(Arc::new(e));
        let mut temp = TempFile::new_in(&self.metadata_dir).map_err(disk)?;
        temp.lock().map_err(disk)?;
        temp.write_all(&bytes)
            .context("write", temp.path())
            .map_err(disk)?;
        temp.persist(path).map_err(disk)
    }
}

/// Deletes the METADATA saved in `metadata_dir` for files removed from the cache.
pub fn remove_metadata(metadata_dir: &std::path::Path, removed: &[Arc<StoredFile>]) {
    for file in removed {
        let path = metadata_dir.join(format!("{}.metadata", file.name));
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            crate::message!("curd-server: cannot remove `{}`: {e}", path.display());
        }
    }
}

fn open_payload(path: &std::path::Path) -> Option<Payload> {
    let file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    Some(Payload::File(file, len))
}

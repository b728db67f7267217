//! What is known of each version of a stored file: whether it passed the checks
//! an installer makes, its sha256, its core metadata. Keyed by the file's identity
//! on disk (device, inode, size, modification and change times), never by its
//! name: a file replaced under the same name (an upload with `--overwrite`, a copy
//! or `rsync` behind the server's back, even with the same size and time) is a new
//! inode and so a new version.
//!
//! Everything is computed from an open handle and filed under that handle's
//! identity while the handle is open, so the inode cannot be freed and reused
//! meanwhile: what is filed under an identity is always about the bytes that the
//! same identity names. Storage never writes into a stored file; it only renames
//! new ones over it. So a route that opens a file once, looks up its identity and
//! sends from that handle sends exactly the bytes that were hashed.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::{File, Metadata};
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use sha2::{Digest, Sha256};

use crate::archive::check::check_dist;
use crate::archive::error::ArchiveError;
use crate::archive::metadata::read_wheel_metadata;
use crate::standards::filename::DistFilename;
use crate::standards::metadata::{CoreMetadata, IdentityError};
use crate::util::digest::{hex, sha256_hex};
use crate::util::lru::Lru;
use crate::util::sync::lock;

/// Room for some hundreds of METADATA files of the usual tens of KiB: the ones
/// clients resolve over and over. Any other is read from its wheel again, which
/// costs a central directory read, not a whole wheel.
const METADATA_CACHE_BYTES: usize = 8 * 1024 * 1024;
/// The largest METADATA served on its own (PEP 658). Real ones are at most a few
/// hundred KiB (a long description); a larger one is offered only inside its
/// wheel, as installers then read it, so no request can make the server inflate
/// and hold many MiB of it for an answer of a few bytes on the wire.
pub const MAX_SERVED_METADATA: usize = 2 * 1024 * 1024;
/// All the METADATA held in memory at once: the cache, and what answers still
/// being sent hold beyond it. Each version is held once however many answers send
/// it, so only many large METADATA files requested at once can reach it; a request
/// that would pass it is answered 503, to be retried.
const METADATA_HELD_BYTES: usize = 128 * 1024 * 1024;

/// One version of a file, as `stat` tells it; all zero for a file no folder holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FileId {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileId {
    #[cfg(unix)]
    pub fn of(meta: &Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    #[cfg(not(unix))]
    pub fn of(meta: &Metadata) -> FileId {
        let nanos = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i64);
        FileId {
            dev: 0,
            ino: 0,
            size: meta.len(),
            mtime: (nanos, 0),
            ctime: (0, 0),
        }
    }
}

/// What a file that passed the checks says of itself.
#[derive(Clone, Debug, Default)]
pub struct Checked {
    /// Hex sha256 of a wheel's METADATA (PEP 658); none for sdists, and for
    /// METADATA too large to serve on its own.
    pub metadata_sha256: Option<String>,
    /// The size of that METADATA, to know what holding it costs before reading it.
    pub metadata_len: usize,
    pub requires_python: Option<String>,
}

/// Why a file is not the distribution its name says, or not one an installer
/// would accept.
#[derive(Debug)]
pub enum InvalidDist {
    /// The archive failed a check, or its metadata cannot be read or parsed; told
    /// of the file by its name, not by the temporary path it is held at.
    Archive {
        source: Box<ArchiveError>,
        held_at: PathBuf,
        filename: String,
    },
    /// Its metadata names another project or version than the file name, or names
    /// them wrongly.
    Identity(IdentityError),
}

impl fmt::Display for InvalidDist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidDist::Archive {
                source,
                held_at,
                filename,
            } => f.write_str(
                &source
                    .to_string()
                    .replace(&held_at.display().to_string(), filename),
            ),
            InvalidDist::Identity(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for InvalidDist {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InvalidDist::Archive { source, .. } => Some(source.as_ref()),
            InvalidDist::Identity(e) => e.source(),
        }
    }
}

/// The checks, on an open file held at `path`: what [`Checked`] says, and the raw
/// core metadata.
pub fn check(
    file: &mut File,
    path: &Path,
    filename: &DistFilename,
) -> Result<(Checked, Vec<u8>), InvalidDist> {
    let archive = |source| InvalidDist::Archive {
        source: Box::new(source),
        held_at: path.to_path_buf(),
        filename: filename.to_string(),
    };
    let start = file.rewind().and_then(|()| file.metadata());
    start.map_err(|e| {
        archive(ArchiveError::Io(crate::util::fs::FsError {
            path: path.to_path_buf(),
            action: "read",
            source: e,
        }))
    })?;
    let raw = check_dist(file, path, filename).map_err(archive)?;
    let meta = CoreMetadata::parse(&raw).map_err(|e| archive(e.into()))?;
    meta.check_identity(filename.name(), filename.version())
        .map_err(InvalidDist::Identity)?;
    let checked = Checked {
        metadata_sha256: (filename.is_wheel() && raw.len() <= MAX_SERVED_METADATA)
            .then(|| sha256_hex(&raw)),
        metadata_len: raw.len(),
        requires_python: meta.requires_python,
    };
    Ok((checked, raw))
}

/// The sha256 of everything an open file holds, read from its start; the file is
/// left at its start, to be sent.
pub fn hash(file: &mut File) -> io::Result<String> {
    file.rewind()?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    file.rewind()?;
    Ok(hex(&hasher.finalize()))
}

type CheckResult = Result<Checked, Arc<InvalidDist>>;

/// Why a checked wheel's METADATA is not at hand.
#[derive(Debug, PartialEq, Eq)]
pub enum MetadataMiss {
    /// Holding it would pass the bound on METADATA in memory; later it may not.
    Busy,
    /// The file under its name is no longer the version that was checked.
    Changed,
}

/// One version's facts, each computed once, by whichever request needs it first
/// (the others wait for it rather than compute it again).
#[derive(Default)]
struct Cell {
    check: OnceLock<CheckResult>,
    sha256: OnceLock<String>,
    /// Held while its METADATA is read again, so that requests missing the cache
    /// at once read it once, and share it.
    reading: Mutex<()>,
}

/// Recently served METADATA files, bounded by their total size; the oldest used
/// goes first. Also knows every METADATA still held by an answer being sent, so a
/// request for it shares that copy instead of making another.
struct MetadataCache {
    recent: Lru<FileId, Arc<Vec<u8>>>,
    /// Every METADATA handed out, cached or not, while someone holds it.
    held: HashMap<FileId, (Weak<Vec<u8>>, usize)>,
}

impl Default for MetadataCache {
    fn default() -> MetadataCache {
        MetadataCache {
            recent: Lru::new(METADATA_CACHE_BYTES),
            held: HashMap::new(),
        }
    }
}

impl MetadataCache {
    fn get(&mut self, id: &FileId) -> Option<Arc<Vec<u8>>> {
        match self.recent.get(id) {
            Some(bytes) => Some(Arc::clone(bytes)),
            None => self.held.get(id).and_then(|(weak, _)| weak.upgrade()),
        }
    }

    /// Whether `len` more bytes may be held in memory now.
    fn has_room(&mut self, len: usize) -> bool {
        self.held.retain(|_, (weak, _)| weak.strong_count() > 0);
        let held: usize = self.held.values().map(|(_, n)| n).sum();
        held + len <= METADATA_HELD_BYTES
    }

    /// Keeps `bytes` as the METADATA of `id`, and returns the copy to send: the one
    /// already held, if another request read it meanwhile.
    fn insert(&mut self, id: FileId, bytes: Arc<Vec<u8>>) -> Arc<Vec<u8>> {
        if let Some(held) = self.get(&id) {
            return held;
        }
        self.held.insert(id, (Arc::downgrade(&bytes), bytes.len()));
        if bytes.len() <= METADATA_CACHE_BYTES / 4 {
            self.recent.insert(id, Arc::clone(&bytes), bytes.len());
        }
        bytes
    }

    fn retain(&mut self, keep: &HashSet<FileId>) {
        self.recent.retain(|id, _| keep.contains(id));
        self.held.retain(|id, _| keep.contains(id));
    }
}

/// The facts of every file version in the folder.
#[derive(Default)]
pub struct Versions {
    cells: Mutex<HashMap<FileId, Arc<Cell>>>,
    metadata: Mutex<MetadataCache>,
}

impl Versions {
    fn cell(&self, id: FileId) -> Arc<Cell> {
        Arc::clone(lock(&self.cells).entry(id).or_default())
    }

    /// The checks' verdict for the open `file` of identity `id`, computed on first
    /// use; `fresh` is true when this call computed it.
    pub fn check(
        &self,
        id: FileId,
        file: &mut File,
        path: &Path,
        filename: &DistFilename,
    ) -> (CheckResult, bool) {
        let cell = self.cell(id);
        let mut fresh = false;
        let verdict = cell.check.get_or_init(|| {
            fresh = true;
            match check(file, path, filename) {
                Ok((checked, raw)) => {
                    if checked.metadata_sha256.is_some() {
                        lock(&self.metadata).insert(id, Arc::new(raw));
                    }
                    Ok(checked)
                }
                Err(e) => Err(Arc::new(e)),
            }
        });
        (verdict.clone(), fresh)
    }

    /// The verdict, if known.
    pub fn verdict(&self, id: &FileId) -> Option<CheckResult> {
        let cell = lock(&self.cells).get(id).cloned()?;
        cell.check.get().cloned()
    }

    /// The sha256 of the open `file` of identity `id`, computed on first use; the
    /// file is left at its start. Empty if it could not be read.
    pub fn sha256(&self, id: FileId, file: &mut File) -> String {
        let cell = self.cell(id);
        let sha = cell.sha256.get_or_init(|| hash(file).unwrap_or_default());
        let _ = file.rewind();
        sha.clone()
    }

    /// A checked wheel's METADATA: from the cache, shared with the answers that
    /// still hold it, or read again (without the checks, which it passed) from the
    /// file at `path`, and served only if it hashes as the checked version's did.
    pub fn metadata(
        &self,
        id: FileId,
        checked: &Checked,
        path: &Path,
        filename: &DistFilename,
    ) -> Result<Arc<Vec<u8>>, MetadataMiss> {
        let cell = self.cell(id);
        let _reading = lock(&cell.reading);
        let mut cache = lock(&self.metadata);
        if let Some(bytes) = cache.get(&id) {
            return Ok(bytes);
        }
        if !cache.has_room(checked.metadata_len) {
            return Err(MetadataMiss::Busy);
        }
        drop(cache);
        let (DistFilename::Wheel(wheel), Some(expected)) = (filename, &checked.metadata_sha256)
        else {
            return Err(MetadataMiss::Changed);
        };
        let raw = read_wheel_metadata(path, wheel).map_err(|_| MetadataMiss::Changed)?;
        if sha256_hex(&raw) != *expected {
            return Err(MetadataMiss::Changed);
        }
        Ok(lock(&self.metadata).insert(id, Arc::new(raw)))
    }

    /// Files what an upload's checks found, for the identity it has once stored.
    pub fn register(
        &self,
        id: FileId,
        checked: Checked,
        sha256: String,
        metadata: Option<Vec<u8>>,
    ) {
        let cell = Cell::default();
        let _ = cell.check.set(Ok(checked));
        let _ = cell.sha256.set(sha256);
        lock(&self.cells).insert(id, Arc::new(cell));
        if let Some(raw) = metadata.filter(|raw| raw.len() <= MAX_SERVED_METADATA) {
            lock(&self.metadata).insert(id, Arc::new(raw));
        }
    }

    /// Forgets every version not in `keep`: files removed or replaced.
    pub fn retain(&self, keep: &HashSet<FileId>) {
        lock(&self.cells).retain(|id, _| keep.contains(id));
        lock(&self.metadata).retain(keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> FileId {
        FileId {
            dev: 1,
            ino: n,
            size: 0,
            mtime: (0, 0),
            ctime: (0, 0),
        }
    }

    #[test]
    fn metadata_cache_keeps_its_bound_and_drops_the_least_recently_used() {
        let mut cache = MetadataCache::default();
        let quarter = METADATA_CACHE_BYTES / 4;
        for n in 0..4 {
            cache.insert(id(n), Arc::new(vec![0; quarter]));
        }
        assert!(cache.get(&id(0)).is_some());
        cache.insert(id(4), Arc::new(vec![0; quarter]));
        assert!(cache.recent.weight() <= METADATA_CACHE_BYTES);
        assert!(
            cache.get(&id(1)).is_none(),
            "the least recently used goes first"
        );
        assert!(cache.get(&id(0)).is_some() && cache.get(&id(4)).is_some());
        cache.insert(id(5), Arc::new(vec![0; quarter + 1]));
        assert!(cache.get(&id(5)).is_none(), "too large to keep");
        cache.retain(&HashSet::from([id(0)]));
        assert_eq!(cache.recent.weight(), quarter);
        assert!(cache.recent.get(&id(0)).is_some());
    }

    #[test]
    fn answers_being_sent_share_one_copy_and_are_counted_until_dropped() {
        let mut cache = MetadataCache::default();
        let quarter = METADATA_CACHE_BYTES / 4;
        // Too large for the cache, yet shared while an answer holds it.
        let big = cache.insert(id(9), Arc::new(vec![1; quarter + 1]));
        let again = cache.insert(id(9), Arc::new(vec![1; quarter + 1]));
        assert!(Arc::ptr_eq(&big, &again), "a second copy was kept");
        assert!(Arc::ptr_eq(&cache.get(&id(9)).unwrap(), &big));
        // Evicted from the cache, still held by an answer: the same copy.
        let small = cache.insert(id(0), Arc::new(vec![0; quarter]));
        for n in 1..5 {
            cache.insert(id(n), Arc::new(vec![0; quarter]));
        }
        assert!(cache.recent.get(&id(0)).is_none());
        assert!(Arc::ptr_eq(&cache.get(&id(0)).unwrap(), &small));
        assert!(!cache.has_room(METADATA_HELD_BYTES - 2 * quarter));
        drop((big, again, small));
        assert!(cache.get(&id(9)).is_none());
        assert!(cache.has_room(METADATA_HELD_BYTES - METADATA_CACHE_BYTES));
    }
}

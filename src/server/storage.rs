//! The folder of distributions (disk I/O): its in-memory index, kept current, and
//! atomic, validated saves.
//!
//! Invariants a change must keep:
//! - Storage reaches a file only through a parsed [`DistFilename`], never a raw path
//!   from a request: the file name parser refuses separators, `..` and hidden names.
//! - Readers see an immutable snapshot ([`Index`]) swapped whole on change, so no lock
//!   is held while a page is rendered.
//! - The index follows files copied in or removed behind the server's back: one
//!   `stat` of the folder per request, and a rescan only when the folder changed.
//!   The server's own saves and removals edit the index in place instead (a rescan
//!   per save made filling a folder of n files cost n² `stat` calls); while the
//!   folder keeps changing, rescans that catch outside changes are spaced so they
//!   take at most a fiftieth of the time.
//! - Every change to the index, in place or by a rescan, happens under one lock
//!   (`saving`), so a rescan never swaps in a listing older than a save.
//! - Checks, hashes and metadata are computed once per file version (its identity
//!   on disk, see [`versions`]), lazily or by a background warm-up, never on every
//!   request; a download sends from the handle its hash was computed for.
//! - A file that fails the checks an installer makes is neither listed nor served
//!   (said once in the log); nothing in the folder is deleted for it.
//! - A save goes to a locked temporary file, is checked, fsynced, then renamed:
//!   nobody ever sees half a file, a bad upload leaves nothing behind, and what a
//!   crash leaves is swept (see [`debris`]).

mod debris;
mod remove;
mod versions;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest, Sha256};

pub use self::versions::{Checked, InvalidDist};
use self::versions::{FileId, MetadataMiss, Versions};
use crate::standards::filename::DistFilename;
use crate::standards::name::PackageName;
use crate::standards::version::Version;
use crate::util::fs::{Context, FsError, TempFile, out_of_space};
use crate::util::sync::{lock, read, write};

/// A folder change this recent may hide a later one inside the same timestamp tick
/// (coarse on network filesystems), so until the folder's mtime is older than this
/// it is scanned again, at most every [`RESCAN_UNSETTLED`].
const SETTLE: Duration = Duration::from_secs(2);
const RESCAN_UNSETTLED: Duration = Duration::from_millis(100);
/// While the folder is unsettled, a rescan waits at least this many times as long
/// as the last one took, so a folder that keeps changing (a cache filling) costs
/// at most 2% of a core however many files it holds. These rescans only catch an
/// outside change hidden in the same timestamp tick as one of the server's own.
const RESCAN_SPACING: u32 = 50;
/// The hidden folder, inside the storage's, where files are written before they
/// are renamed into place (on the same file system, so the rename is atomic).
const INCOMING: &str = ".curd-incoming";

/// One distribution file in the folder.
pub struct StoredFile {
    pub filename: DistFilename,
    /// The file name, as stored and served.
    pub name: String,
    pub size: u64,
    pub mtime: SystemTime,
    id: FileId,
}

impl StoredFile {
    /// A file listed by another store than the folder, which has no identity on disk.
    pub fn listed(filename: DistFilename, size: u64, mtime: SystemTime) -> StoredFile {
        StoredFile {
            name: filename.to_string(),
            filename,
            size,
            mtime,
            id: FileId::default(),
        }
    }
}

/// What is known about a file's contents, computed once.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// Hex sha256 of the whole file; empty if it could not be read.
    pub sha256: String,
    /// Hex sha256 of the wheel's METADATA file, when it has a readable one (PEP 658).
    pub metadata_sha256: Option<String>,
    pub requires_python: Option<String>,
}

/// A consistent view of the folder at one moment.
#[derive(Default)]
pub struct Index {
    /// Bumped on every change, so callers can cache what they render from it.
    pub generation: u64,
    /// Each project's files, newest version first, wheels before sdists.
    pub projects: BTreeMap<PackageName, Vec<Arc<StoredFile>>>,
    /// Files that failed the checks, by name, and why: neither listed nor served.
    pub refused: BTreeMap<String, Arc<InvalidDist>>,
}

impl Index {
    pub fn project(&self, name: &PackageName) -> Option<&[Arc<StoredFile>]> {
        self.projects.get(name).map(Vec::as_slice)
    }

    /// Every file of one version of a project.
    pub fn version(&self, project: &PackageName, version: &Version) -> Vec<Arc<StoredFile>> {
        self.project(project)
            .unwrap_or_default()
            .iter()
            .filter(|f| f.filename.version() == version)
            .cloned()
            .collect()
    }

    pub fn file(&self, filename: &DistFilename) -> Option<&Arc<StoredFile>> {
        let name = filename.to_string();
        self.project(filename.name())?
            .iter()
            .find(|f| f.name == name)
    }
}

struct Scan {
    /// The folder's mtime when it was last scanned.
    dir_mtime: Option<SystemTime>,
    /// Whether that mtime was old enough to trust (see [`SETTLE`]).
    settled: bool,
    scanned_at: Instant,
    /// How long the last rescan took.
    took: Duration,
    index: Arc<Index>,
}

/// The folder of wheels and sdists the server serves.
pub struct Storage {
    dir: PathBuf,
    /// Where bodies and saves are written before their rename into `dir`: a
    /// temporary file created or removed there leaves `dir`'s mtime alone, which
    /// would otherwise tell every next request to read the folder again.
    incoming: PathBuf,
    scan: RwLock<Scan>,
    /// Serializes every change to the folder and to the index (saves, removals,
    /// rescans).
    saving: Mutex<()>,
    versions: Versions,
    /// Set when a check refuses a listed file, so the next request drops it.
    stale: AtomicBool,
}

/// A stored file opened to be sent, with the hash of the bytes that handle reads.
pub struct Download {
    pub file: File,
    pub size: u64,
    pub sha256: String,
    /// Whether the bytes were just copied onto this server's disk, which the
    /// size limit must then look at.
    pub copied: bool,
}

/// Why a file is not served.
#[derive(Debug)]
pub enum NotServed {
    /// No such file is stored (or it is not a wheel, for its METADATA).
    Missing,
    /// The file is there and failed the checks an installer makes.
    Invalid(Arc<InvalidDist>),
    /// Serving it now would hold more in memory than the server allows.
    Busy,
    /// The store holding it cannot be reached, or failed.
    Unavailable(Arc<crate::server::store::bucket::StoreError>),
}

/// Why a save was refused or failed.
#[derive(Debug)]
pub enum SaveError {
    /// The body is larger than the limit.
    TooLarge { limit: u64 },
    /// The bytes are not a valid distribution of the name they were sent under.
    Invalid {
        filename: String,
        reason: InvalidDist,
    },
    /// The client's sha256 does not match the bytes it sent.
    DigestMismatch {
        filename: String,
        expected: String,
        actual: String,
    },
    /// The name is taken by different bytes, and overwriting is off.
    Conflict { filename: String },
    /// Reading the request body failed (the client went away or was too slow).
    Body(io::Error),
    /// The disk is full: no room for bytes or for a new file, or the quota is spent.
    NoSpace,
    /// Any other disk failure.
    Disk(FsError),
    /// The bucket refused the upload or could not be reached.
    Bucket(crate::server::store::bucket::StoreError),
    /// Another server is saving other bytes under the name at this moment.
    Racing { filename: String },
}

impl SaveError {
    pub fn status(&self) -> u16 {
        match self {
            SaveError::TooLarge { .. } => 413,
            SaveError::Invalid { .. } | SaveError::DigestMismatch { .. } => 400,
            SaveError::Conflict { .. } => 409,
            SaveError::Body(e)
                if e.kind() == io::ErrorKind::TimedOut || e.kind() == io::ErrorKind::WouldBlock =>
            {
                408
            }
            SaveError::Body(_) => 400,
            SaveError::NoSpace => 507,
            SaveError::Disk(_) => 500,
            SaveError::Bucket(_) | SaveError::Racing { .. } => 503,
        }
    }
}

impl fmt::Display for SaveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SaveError::TooLarge { limit } => {
                write!(
                    f,
                    "upload too large: the limit is {limit} bytes (see --max-upload-size)"
                )
            }
            SaveError::Invalid { filename, reason } => {
                write!(f, "invalid distribution `{filename}`: {reason}")
            }
            SaveError::DigestMismatch {
                filename,
                expected,
                actual,
            } => write!(
                f,
                "sha256 mismatch for `{filename}`: expected {expected}, the upload has {actual}"
            ),
            SaveError::Conflict { filename } => write!(
                f,
                "`{filename}` already exists with different contents: distributions are immutable (the server can be run with --overwrite)"
            ),
            SaveError::Body(e) => write!(f, "could not read the upload: {e}"),
            SaveError::NoSpace => f.write_str("the server's disk is full"),
            SaveError::Disk(e) => write!(f, "could not store the upload: {e}"),
            SaveError::Bucket(e) => write!(f, "could not store the upload: {e}"),
            SaveError::Racing { filename } => write!(
                f,
                "another upload of `{filename}` with different contents is under way; retry shortly"
            ),
        }
    }
}

impl std::error::Error for SaveError {}

/// What a successful save did.
#[derive(Debug, PartialEq, Eq)]
pub enum Saved {
    Created,
    /// The same bytes were already stored: saving is idempotent.
    Unchanged,
    /// Different bytes replaced the old file (only with overwriting on).
    Replaced,
}

/// An upload being received: a temporary file in the folder, hashed as it is written.
pub struct Upload {
    temp: TempFile,
    hasher: Sha256,
    written: u64,
    limit: u64,
}

impl Write for Upload {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.written + buf.len() as u64 > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                "upload too large",
            ));
        }
        let n = self.temp.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp.flush()
    }
}

impl Upload {
    /// Starts an upload into a new locked temporary file in `dir`.
    pub fn new_in(dir: &Path, limit: u64) -> Result<Upload, SaveError> {
        let temp = TempFile::new_in(dir).map_err(disk_error)?;
        temp.lock().map_err(disk_error)?;
        Ok(Upload {
            temp,
            hasher: Sha256::new(),
            written: 0,
            limit,
        })
    }

    /// The hex sha256 of the bytes written so far: of the whole upload, once received.
    pub fn sha256(&self) -> String {
        crate::util::digest::hex(&self.hasher.clone().finalize())
    }

    /// Maps a write error to what the client should hear.
    pub fn write_error(&self, e: io::Error) -> SaveError {
        match e.kind() {
            io::ErrorKind::FileTooLarge => SaveError::TooLarge { limit: self.limit },
            _ if out_of_space(&e) => SaveError::NoSpace,
            _ => SaveError::Disk(FsError {
                path: self.temp.path().to_path_buf(),
                action: "write",
                source: e,
            }),
        }
    }
}

impl Storage {
    /// Opens (creating if needed) the folder and indexes it.
    pub fn open(dir: &Path) -> Result<Storage, FsError> {
        std::fs::create_dir_all(dir).context("create folder", dir)?;
        let incoming = dir.join(INCOMING);
        // On a full disk the server still starts and serves; uploads are
        // answered 507 until there is room for the folder.
        if let Err(e) = std::fs::create_dir_all(&incoming) {
            crate::message!("curd-server: cannot create `{}`: {e}", incoming.display());
        }
        // Older versions wrote their temporary files in the folder itself.
        let swept = debris::sweep(dir, debris::When::StartUp)
            + debris::sweep(&incoming, debris::When::StartUp);
        if swept > 0 {
            crate::message!(
                "curd-server: removed {swept} temporary files of uploads cut short by a crash"
            );
        }
        Storage::open_beside_server(dir)
    }

    /// Opens a folder a server may be serving now (for `prune`): sweeps nothing,
    /// as a temporary file there may be the server's, just created.
    pub fn open_beside_server(dir: &Path) -> Result<Storage, FsError> {
        let dir = dir.canonicalize().context("open folder", dir)?;
        let storage = Storage {
            incoming: dir.join(INCOMING),
            dir,
            scan: RwLock::new(Scan {
                dir_mtime: None,
                settled: false,
                scanned_at: Instant::now(),
                took: Duration::ZERO,
                index: Arc::new(Index::default()),
            }),
            saving: Mutex::new(()),
            versions: Versions::default(),
            stale: AtomicBool::new(false),
        };
        storage.rescan(&lock(&storage.saving))?;
        Ok(storage)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The folder for temporary files that are renamed into [`Storage::dir`].
    pub fn incoming(&self) -> &Path {
        &self.incoming
    }

    /// The current index, rescanning first if the folder changed since the last scan.
    pub fn index(&self) -> Arc<Index> {
        if !self.up_to_date() {
            self.refresh(&lock(&self.saving));
        }
        Arc::clone(&read(&self.scan).index)
    }

    /// Whether the index may be served as it is: the folder's mtime is the one last
    /// seen, and old enough to trust or checked recently enough.
    fn up_to_date(&self) -> bool {
        if self.stale.load(Ordering::Relaxed) {
            return false;
        }
        let mtime = std::fs::metadata(&self.dir).and_then(|m| m.modified()).ok();
        let scan = read(&self.scan);
        let spacing = RESCAN_UNSETTLED.max(scan.took * RESCAN_SPACING);
        let fresh = scan.settled || scan.scanned_at.elapsed() < spacing;
        mtime.is_some() && scan.dir_mtime == mtime && fresh
    }

    /// Rescans unless the index is up to date: another request may have rescanned
    /// while this one waited for the lock.
    fn refresh(&self, saving: &MutexGuard<'_, ()>) {
        if self.up_to_date() {
            return;
        }
        if let Err(e) = self.rescan(saving) {
            crate::message!("curd-server: {e}");
        }
    }

    /// Reads the folder listing and rebuilds the index, reusing what is unchanged.
    fn rescan(&self, _saving: &MutexGuard<'_, ()>) -> Result<(), FsError> {
        let started = Instant::now();
        self.stale.store(false, Ordering::Relaxed);
        let now = SystemTime::now();
        let dir_mtime = std::fs::metadata(&self.dir)
            .and_then(|m| m.modified())
            .context("read folder", &self.dir)?;
        let entries = std::fs::read_dir(&self.dir).context("read folder", &self.dir)?;
        let old = Arc::clone(&read(&self.scan).index);
        let known: HashMap<&str, &Arc<StoredFile>> = old
            .projects
            .values()
            .flatten()
            .map(|f| (f.name.as_str(), f))
            .collect();
        let mut projects: BTreeMap<PackageName, Vec<Arc<StoredFile>>> = BTreeMap::new();
        let mut refused = BTreeMap::new();
        let mut present = HashSet::new();
        for entry in entries.flatten() {
            let Some(name) = entry.file_name().to_str().map(String::from) else {
                continue;
            };
            // A name listed before needs no parsing again: only its identity.
            let listed = known.get(name.as_str()).copied();
            let parsed;
            let filename = match listed {
                Some(file) => &file.filename,
                None => match DistFilename::parse(&name) {
                    Ok(filename) => {
                        parsed = filename;
                        &parsed
                    }
                    Err(_) => continue,
                },
            };
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let id = FileId::of(&meta);
            present.insert(id);
            if let Some(Err(why)) = self.versions.verdict(&id) {
                refused.insert(name, why);
                continue;
            }
            let file = match listed {
                Some(file) if file.id == id => Arc::clone(file),
                _ => Arc::new(StoredFile::new(filename.clone(), name, &meta)),
            };
            projects
                .entry(file.filename.name().clone())
                .or_default()
                .push(file);
        }
        for files in projects.values_mut() {
            sort_files(files);
        }
        self.versions.retain(&present);
        let mut scan = write(&self.scan);
        let changed = !same_files(&scan.index.projects, &projects);
        let generation = scan.index.generation + u64::from(changed);
        if changed || scan.index.refused.len() != refused.len() {
            scan.index = Arc::new(Index {
                generation,
                projects,
                refused,
            });
        }
        scan.dir_mtime = Some(dir_mtime);
        scan.settled = now.duration_since(dir_mtime).is_ok_and(|age| age > SETTLE);
        scan.scanned_at = Instant::now();
        scan.took = started.elapsed();
        Ok(())
    }

    /// Puts this server's own change to the folder (`added` stored, `removed` gone)
    /// into the index without reading the folder. The caller holds `saving` and
    /// refreshed the index before changing the folder, so the index was the folder
    /// then; an outside change made meanwhile is caught by the rescans an
    /// unsettled folder gets.
    fn changed(
        &self,
        _saving: &MutexGuard<'_, ()>,
        added: Option<Arc<StoredFile>>,
        removed: &[Arc<StoredFile>],
    ) {
        if added.is_none() && removed.is_empty() {
            return;
        }
        let mtime = std::fs::metadata(&self.dir).and_then(|m| m.modified()).ok();
        let mut scan = write(&self.scan);
        let mut projects = scan.index.projects.clone();
        let mut refused = scan.index.refused.clone();
        for file in removed {
            let project = file.filename.name();
            if let Some(files) = projects.get_mut(project) {
                files.retain(|f| f.name != file.name);
                if files.is_empty() {
                    projects.remove(project);
                }
            }
        }
        if let Some(file) = added {
            refused.remove(&file.name);
            let files = projects.entry(file.filename.name().clone()).or_default();
            files.retain(|f| f.name != file.name);
            files.push(file);
            sort_files(files);
        }
        scan.index = Arc::new(Index {
            generation: scan.index.generation + 1,
            projects,
            refused,
        });
        match mtime {
            Some(mtime) if scan.dir_mtime.is_some() => {
                scan.dir_mtime = Some(mtime);
                scan.settled = false;
            }
            _ => self.stale.store(true, Ordering::Relaxed),
        }
    }

    /// What is known of a file's contents, computed on first use; nothing for a
    /// file that is gone or failed the checks.
    pub fn facts(&self, file: &StoredFile) -> Facts {
        let Ok((mut handle, id, path)) = self.open_now(&file.filename) else {
            return Facts::default();
        };
        match self.checked(id, &mut handle, &path, &file.filename) {
            Ok(checked) => Facts {
                sha256: self.versions.sha256(id, &mut handle),
                metadata_sha256: checked.metadata_sha256,
                requires_python: checked.requires_python,
            },
            Err(_) => Facts::default(),
        }
    }

    /// Checks every file, then hashes every file, in the background: a file that
    /// fails is dropped from the listing within moments of start-up, and first
    /// requests find hashes ready.
    pub fn warm_up(self: &Arc<Self>) {
        let storage = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("warm-up".into())
            .spawn(move || {
                let index = storage.index();
                for file in index.projects.values().flatten() {
                    if let Ok((mut handle, id, path)) = storage.open_now(&file.filename) {
                        let _ = storage.checked(id, &mut handle, &path, &file.filename);
                    }
                }
                for file in storage.index().projects.values().flatten() {
                    storage.facts(file);
                }
            });
        if let Err(e) = spawned {
            crate::message!("curd-server: could not start the warm-up thread: {e}");
        }
    }

    fn path_of(&self, filename: &DistFilename) -> PathBuf {
        self.dir.join(filename.to_string())
    }

    /// Opens what the folder holds under `filename` now, with its identity.
    fn open_now(&self, filename: &DistFilename) -> Result<(File, FileId, PathBuf), NotServed> {
        let path = self.path_of(filename);
        let file = File::open(&path).map_err(|_| NotServed::Missing)?;
        let meta = file.metadata().map_err(|_| NotServed::Missing)?;
        if !meta.is_file() {
            return Err(NotServed::Missing);
        }
        Ok((file, FileId::of(&meta), path))
    }

    /// The checks' verdict on an open file; a file refused for the first time is
    /// said in the log and dropped from the index at the next request.
    fn checked(
        &self,
        id: FileId,
        file: &mut File,
        path: &Path,
        filename: &DistFilename,
    ) -> Result<Checked, Arc<InvalidDist>> {
        let (verdict, fresh) = self.versions.check(id, file, path, filename);
        if let (Err(why), true) = (&verdict, fresh) {
            crate::message!("curd-server: not serving `{filename}`: {why}");
            self.stale.store(true, Ordering::Relaxed);
        }
        verdict
    }

    /// Opens a listed file that passed the checks, with its identity and what the
    /// checks found.
    fn open_listed(
        &self,
        filename: &DistFilename,
    ) -> Result<(File, FileId, PathBuf, Checked), NotServed> {
        let index = self.index();
        if let Some(why) = index.refused.get(&filename.to_string()) {
            return Err(NotServed::Invalid(Arc::clone(why)));
        }
        index.file(filename).ok_or(NotServed::Missing)?;
        let (mut file, id, path) = self.open_now(filename)?;
        let checked = self
            .checked(id, &mut file, &path, filename)
            .map_err(NotServed::Invalid)?;
        Ok((file, id, path, checked))
    }

    /// Opens a listed file to be sent, with the hash of what that handle reads.
    pub fn download(&self, filename: &DistFilename) -> Result<Download, NotServed> {
        let (mut file, id, ..) = self.open_listed(filename)?;
        let sha256 = self.versions.sha256(id, &mut file);
        let size = file.metadata().map_err(|_| NotServed::Missing)?.len();
        Ok(Download {
            file,
            size,
            sha256,
            copied: false,
        })
    }

    /// The METADATA of a listed wheel (PEP 658), kept from when it was checked.
    pub fn wheel_metadata(&self, filename: &DistFilename) -> Result<Arc<Vec<u8>>, NotServed> {
        if !filename.is_wheel() {
            return Err(NotServed::Missing);
        }
        let (_, id, path, checked) = self.open_listed(filename)?;
        self.versions
            .metadata(id, &checked, &path, filename)
            .map_err(|miss| match miss {
                MetadataMiss::Busy => NotServed::Busy,
                MetadataMiss::Changed => NotServed::Missing,
            })
    }

    /// The sha256 of what the folder holds for a file now.
    fn sha256_of(&self, file: &StoredFile) -> String {
        match self.open_now(&file.filename) {
            Ok((mut handle, id, _)) => self.versions.sha256(id, &mut handle),
            Err(_) => String::new(),
        }
    }

    /// Starts receiving an upload of at most `limit` bytes.
    pub fn begin_upload(&self, limit: u64) -> Result<Upload, SaveError> {
        debris::sweep(&self.incoming, debris::When::Running);
        // Made again if it was removed, or could not be made at start-up.
        std::fs::create_dir_all(&self.incoming)
            .context("create folder", &self.incoming)
            .map_err(disk_error)?;
        Upload::new_in(&self.incoming, limit)
    }

    /// Validates a received upload and moves it into place.
    pub fn commit(
        &self,
        upload: Upload,
        filename: &DistFilename,
        expected_sha256: Option<&str>,
        overwrite: bool,
    ) -> Result<Saved, SaveError> {
        let Valid {
            temp,
            sha256,
            checked,
            raw,
            reader,
            ..
        } = validate(upload, filename, expected_sha256)?;
        let name = filename.to_string();
        temp.sync().map_err(disk_error)?;
        let dest = self.path_of(filename);
        let saving = lock(&self.saving);
        let existing = self.stored_as(&saving, filename);
        if let Some(old) = existing.first() {
            if self.sha256_of(old) == sha256 {
                return Ok(Saved::Unchanged);
            }
            if !overwrite {
                return Err(SaveError::Conflict { filename: name });
            }
        }
        temp.persist(&dest).map_err(disk_error)?;
        let mut stored = None;
        if let Ok(meta) = reader.metadata() {
            let metadata = filename.is_wheel().then_some(raw);
            self.versions
                .register(FileId::of(&meta), checked, sha256, metadata);
            stored = Some(Arc::new(StoredFile::new(
                filename.clone(),
                name.clone(),
                &meta,
            )));
        }
        let mut replaced = Vec::new();
        for old in existing.iter().filter(|f| f.name != name) {
            let path = self.path_of(&old.filename);
            match std::fs::remove_file(&path) {
                Ok(()) => replaced.push(Arc::clone(old)),
                Err(e) => crate::message!(
                    "curd-server: cannot remove `{}`, replaced by `{name}`: {e}",
                    path.display()
                ),
            }
        }
        if stored.is_none() {
            // The file is stored but could not be described: the next request reads
            // the folder again.
            self.stale.store(true, Ordering::Relaxed);
        }
        self.changed(&saving, stored, &replaced);
        Ok(if existing.is_empty() {
            Saved::Created
        } else {
            Saved::Replaced
        })
    }

    /// The files the folder holds now for `filename`'s distribution. It may be
    /// stored under another spelling of its name (`Foo-1.0.0-...` for
    /// `foo-1.0-...`): that counts as the same file, or a client could replace
    /// an immutable distribution by respelling it.
    fn stored_as(
        &self,
        saving: &MutexGuard<'_, ()>,
        filename: &DistFilename,
    ) -> Vec<Arc<StoredFile>> {
        self.refresh(saving);
        read(&self.scan)
            .index
            .project(filename.name())
            .unwrap_or_default()
            .iter()
            .filter(|f| same_distribution(&f.filename, filename))
            .cloned()
            .collect()
    }
}

impl StoredFile {
    fn new(filename: DistFilename, name: String, meta: &std::fs::Metadata) -> StoredFile {
        StoredFile {
            filename,
            name,
            size: meta.len(),
            mtime: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            id: FileId::of(meta),
        }
    }
}

/// Removes what a crash left of writes to a folder kept beside a storage's (the
/// pull-through cache's pages and METADATA), before this process writes there.
pub fn sweep_at_start(dir: &Path) {
    debris::sweep(dir, debris::When::StartUp);
}

/// An upload that passed the checks, still in its temporary file.
pub struct Valid {
    pub temp: TempFile,
    pub sha256: String,
    pub size: u64,
    pub checked: Checked,
    /// The core metadata as read from the archive.
    pub raw: Vec<u8>,
    /// Kept open through a rename, so the file's identity (which the rename
    /// changes) can be read afterwards, with no other file able to take its inode.
    reader: File,
}

/// Checks a received upload against the client's digest and as an installer would.
pub fn validate(
    upload: Upload,
    filename: &DistFilename,
    expected_sha256: Option<&str>,
) -> Result<Valid, SaveError> {
    let Upload {
        temp,
        hasher,
        written,
        ..
    } = upload;
    let sha256 = crate::util::digest::hex(&hasher.finalize());
    let name = filename.to_string();
    if let Some(expected) = expected_sha256
        && !expected.eq_ignore_ascii_case(&sha256)
    {
        return Err(SaveError::DigestMismatch {
            filename: name,
            expected: expected.to_string(),
            actual: sha256,
        });
    }
    let held_at = temp.path().to_path_buf();
    let mut reader = File::open(&held_at)
        .context("read", &held_at)
        .map_err(SaveError::Disk)?;
    let (checked, raw) =
        versions::check(&mut reader, &held_at, filename).map_err(|reason| SaveError::Invalid {
            filename: name,
            reason,
        })?;
    Ok(Valid {
        temp,
        sha256,
        size: written,
        checked,
        raw,
        reader,
    })
}

/// A full disk (no byte, no inode, no quota left) is told apart from other failures.
fn disk_error(e: FsError) -> SaveError {
    if out_of_space(&e.source) {
        SaveError::NoSpace
    } else {
        SaveError::Disk(e)
    }
}

fn sort_files(files: &mut [Arc<StoredFile>]) {
    files.sort_by(|a, b| listing_order((&a.filename, &a.name), (&b.filename, &b.name)));
}

/// The order files are listed in: newest version first; for one version, wheels
/// before sdists, then by name.
pub fn listing_order(a: (&DistFilename, &str), b: (&DistFilename, &str)) -> std::cmp::Ordering {
    b.0.version()
        .cmp(a.0.version())
        .then_with(|| b.0.is_wheel().cmp(&a.0.is_wheel()))
        .then_with(|| a.1.cmp(b.1))
}

fn same_files(
    a: &BTreeMap<PackageName, Vec<Arc<StoredFile>>>,
    b: &BTreeMap<PackageName, Vec<Arc<StoredFile>>>,
) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|((na, fa), (nb, fb))| {
            na == nb && fa.len() == fb.len() && fa.iter().zip(fb).all(|(x, y)| Arc::ptr_eq(x, y))
        })
}

/// Whether two file names are the same distribution: for wheels, the same project,
/// version, build and tags however spelled; for sdists, the same project and version.
fn same_distribution(a: &DistFilename, b: &DistFilename) -> bool {
    let sorted = |tags: &[String]| {
        let mut tags = tags.to_vec();
        tags.sort();
        tags
    };
    match (a, b) {
        (DistFilename::Wheel(x), DistFilename::Wheel(y)) => {
            x.name == y.name
                && x.version == y.version
                && x.build_tag == y.build_tag
                && sorted(&x.python_tags) == sorted(&y.python_tags)
                && sorted(&x.abi_tags) == sorted(&y.abi_tags)
                && sorted(&x.platform_tags) == sorted(&y.platform_tags)
        }
        (DistFilename::Sdist(x), DistFilename::Sdist(y)) => {
            x.name == y.name && x.version == y.version
        }
        _ => false,
    }
}

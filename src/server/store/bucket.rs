//! Distributions kept in an S3-compatible bucket, shared by any number of servers.
//!
//! The bucket holds, under the prefix:
//! - `files/<sha256>/<file name>`: the file's bytes, named by what they are, so two
//!   uploads of different bytes never write the same object; beside it
//!   `<file name>.metadata`, a wheel's METADATA (PEP 658).
//! - `dists/<identity>`: the entry that makes a distribution visible, written once,
//!   last, after its file: a small JSON object with the file name, its sha256,
//!   size, METADATA hash and Requires-Python. The identity is the distribution
//!   whatever the spelling of its name (normalized project, version and sorted
//!   tags), so `Foo-1.0.0-…` cannot stand beside `foo-1.0-…`.
//! - `changed`: rewritten with new bytes after every change, so servers notice a
//!   change with one HEAD instead of a listing.
//!
//! Invariants a change must keep:
//! - Visible whole or not at all: a file is listed only through its entry, and an
//!   entry is written only after its file (and METADATA) are stored whole.
//! - One byte string per name: the entry is created with `If-None-Match: *`; a
//!   store that ignores the header gets claims instead (`claims/<identity>/`): a
//!   writer that sees another writer's claim for other bytes backs off, so two
//!   different byte strings never both win, at worst both are told to retry.
//!   Claims are aged by the store's clock, never by the servers' own.
//! - Same bytes again are `Unchanged`, other bytes a conflict, as in the folder.
//! - Nothing re-reads a wheel: hashes and METADATA come from the entry and the
//!   sidecar, written once by the server that checked the upload.
//! - Every server's listing is at most [`REFRESH`] behind the bucket: the marker
//!   is looked at no more often than that, on demand, and a changed marker (or
//!   [`RELIST`] without one) lists the bucket again.
//! - A file object is never removed while a server may still point an entry at
//!   it: bytes that lost a race, were replaced or removed stay, unlisted (the
//!   same bytes saved again reuse them).
//! - Downloads are fetched once into a local cache, named by sha256 and checked
//!   against it, then sent from disk like any file.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use super::copies::Copies;
use super::s3::{Bucket, Overwrite, Payload, S3Error, Written};
use crate::standards::filename::DistFilename;
use crate::util::digest::hex;
use crate::util::fs::FsError;
use crate::util::sync::{lock, read, write};

/// How far behind the bucket a server's listing may be.
pub const REFRESH: Duration = Duration::from_secs(1);
/// A full listing this often even when the marker is unchanged, for changes
/// made by other tools.
pub const RELIST: Duration = Duration::from_secs(60);
/// The largest entry or METADATA object read.
const MAX_ENTRY: u64 = 64 * 1024;
const MAX_METADATA: u64 = 16 << 20;
/// A claim older than this is a crashed writer's, and no longer counts.
const CLAIM_TTL: Duration = Duration::from_secs(600);

/// Why the bucket could not do what was asked.
#[derive(Debug)]
pub enum StoreError {
    /// The store failed or refused the request.
    S3(S3Error),
    /// An entry object is not what servers write.
    Entry { key: String },
    /// A fetched file does not have the bytes its entry names.
    Corrupt {
        key: String,
        expected: String,
        actual: String,
    },
    /// The local cache could not be written.
    Cache(FsError),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::S3(e) => e.fmt(f),
            StoreError::Entry { key } => write!(
                f,
                "bucket object `{key}`: expected a distribution entry written by curd-server"
            ),
            StoreError::Corrupt {
                key,
                expected,
                actual,
            } => write!(
                f,
                "bucket object `{key}`: expected sha256 {expected}, read {actual}"
            ),
            StoreError::Cache(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::S3(e) => Some(e),
            StoreError::Cache(e) => Some(e),
            StoreError::Entry { .. } | StoreError::Corrupt { .. } => None,
        }
    }
}

impl From<S3Error> for StoreError {
    fn from(e: S3Error) -> StoreError {
        StoreError::S3(e)
    }
}

/// What the entry of a distribution says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The file name as uploaded.
    pub filename: String,
    pub sha256: String,
    pub size: u64,
    pub metadata_sha256: Option<String>,
    pub requires_python: Option<String>,
}

impl Entry {
    fn to_json(&self) -> Vec<u8> {
        serde_json::json!({
            "filename": self.filename,
            "sha256": self.sha256,
            "size": self.size,
            "metadata_sha256": self.metadata_sha256,
            "requires_python": self.requires_python,
        })
        .to_string()
        .into_bytes()
    }

    fn from_json(bytes: &[u8]) -> Option<Entry> {
        let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
        let text = |name: &str| value.get(name).and_then(|v| v.as_str()).map(String::from);
        let entry = Entry {
            filename: text("filename")?,
            sha256: text("sha256")?,
            size: value.get("size")?.as_u64()?,
            metadata_sha256: text("metadata_sha256"),
            requires_python: text("requires_python"),
        };
        let hex64 = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        let sane = DistFilename::parse(&entry.filename).is_ok()
            && hex64(&entry.sha256)
            && entry.metadata_sha256.as_deref().is_none_or(hex64);
        sane.then_some(entry)
    }
}

/// A file opened to be sent.
pub struct Fetched {
    pub file: File,
    /// Whether it was fetched from the store just now (a new copy on this disk).
    pub new: bool,
}

/// A distribution the bucket lists.
#[derive(Clone, Debug)]
pub struct Listed {
    pub filename: DistFilename,
    /// The entry, once read; a listing alone knows the name and size.
    pub entry: Option<Arc<Entry>>,
    pub size: u64,
}

/// The bucket's distributions at one moment.
#[derive(Clone, Default)]
pub struct Listing {
    /// Bumped on every change seen.
    pub generation: u64,
    /// By identity.
    pub dists: BTreeMap<String, Listed>,
}

impl Listing {
    pub fn get(&self, filename: &DistFilename) -> Option<&Listed> {
        self.dists.get(&identity(filename))
    }
}

/// What a save did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Committed {
    Created,
    /// The same bytes were there already.
    Unchanged,
    Replaced,
    /// Other bytes hold the name.
    Conflict,
    /// Another server is saving other bytes under the name right now.
    Busy,
}

struct State {
    checked_at: Option<Instant>,
    /// A request is refreshing the listing now.
    refreshing: bool,
    listed_at: Option<Instant>,
    marker: Option<String>,
    listing: Arc<Listing>,
}

/// The bucket backend.
pub struct BucketStore {
    bucket: Bucket,
    /// Ends with `/` unless empty.
    prefix: String,
    copies: Arc<Copies>,
    conditional: bool,
    state: RwLock<State>,
    /// Entries read, by identity; an entry never changes but by `--overwrite`,
    /// which names another sha256.
    entries: Mutex<HashMap<String, Arc<Entry>>>,
}

impl BucketStore {
    /// Reaches the bucket (a clear error at start-up when it cannot: down, no such
    /// bucket, refused credentials), finds whether it honours conditional writes,
    /// and lists it.
    pub fn open(bucket: Bucket, prefix: &str, cache: PathBuf) -> Result<BucketStore, StoreError> {
        let prefix = match prefix.trim_matches('/') {
            "" => String::new(),
            p => format!("{p}/"),
        };
        let copies = Arc::new(Copies::open(cache).map_err(StoreError::Cache)?);
        let probe = format!(
            "{prefix}probe/{}",
            crate::util::fs::temp_name("if-none-match")
        );
        let conditional = bucket.honours_if_none_match(&probe)?;
        let store = BucketStore {
            bucket,
            prefix,
            copies,
            conditional,
            state: RwLock::new(State {
                checked_at: None,
                refreshing: false,
                listed_at: None,
                marker: None,
                listing: Arc::new(Listing::default()),
            }),
            entries: Mutex::new(HashMap::new()),
        };
        store.refresh(true)?;
        Ok(store)
    }

    pub fn describe(&self) -> String {
        format!(
            "{}/{}",
            self.bucket.describe(),
            self.prefix.trim_end_matches('/')
        )
    }

    /// Whether names are guarded by the store's conditional writes (else by claims).
    pub fn conditional(&self) -> bool {
        self.conditional
    }

    fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.prefix)
    }

    fn file_key(&self, sha256: &str, filename: &str) -> String {
        self.key(&format!("files/{sha256}/{filename}"))
    }

    fn entry_key(&self, identity: &str) -> String {
        self.key(&format!("dists/{identity}"))
    }

    /// The listing, refreshed first when it may be more than [`REFRESH`] old.
    pub fn listing(&self) -> Arc<Listing> {
        // The first request to find the listing due refreshes it; the others
        // meanwhile serve it as it is. One refresh at a time: against a store that
        // stalls, one worker waits on it, not one more every second until none is
        // left to answer anything.
        let due = {
            let mut state = write(&self.state);
            let due =
                !state.refreshing && state.checked_at.is_none_or(|at| at.elapsed() >= REFRESH);
            if due {
                state.checked_at = Some(Instant::now());
                state.refreshing = true;
            }
            due
        };
        if due {
            if let Err(e) = self.refresh(false) {
                crate::message!("curd-server: {e}");
            }
            write(&self.state).refreshing = false;
        }
        Arc::clone(&read(&self.state).listing)
    }

    /// Looks at the marker, and lists the bucket again if it changed (or `force`).
    fn refresh(&self, force: bool) -> Result<(), StoreError> {
        let marker = self.bucket.head(&self.key("changed"))?.map(|o| o.etag);
        let now = Instant::now();
        {
            let mut state = write(&self.state);
            let stale = state.listed_at.is_none_or(|at| at.elapsed() >= RELIST);
            if !force && !stale && state.marker == marker {
                state.checked_at = Some(now);
                return Ok(());
            }
        }
        let dists = self.list()?;
        let mut state = write(&self.state);
        let changed = !same(&state.listing.dists, &dists);
        let generation = state.listing.generation + u64::from(changed);
        if changed {
            state.listing = Arc::new(Listing { generation, dists });
        }
        state.marker = marker;
        state.checked_at = Some(now);
        state.listed_at = Some(now);
        Ok(())
    }

    /// Entries joined with files: an entry whose identity has exactly one file
    /// is known from the listings alone; otherwise its entry is read.
    fn list(&self) -> Result<BTreeMap<String, Listed>, StoreError> {
        let entry_prefix = self.key("dists/");
        let file_prefix = self.key("files/");
        let identities: Vec<String> = self
            .bucket
            .list(&entry_prefix)?
            .into_iter()
            .filter_map(|o| o.key.strip_prefix(&entry_prefix).map(String::from))
            .collect();
        let mut files: HashMap<String, Vec<(DistFilename, String, u64)>> = HashMap::new();
        for object in self.bucket.list(&file_prefix)? {
            let Some((sha256, name)) = object
                .key
                .strip_prefix(&file_prefix)
                .and_then(|rest| rest.split_once('/'))
            else {
                continue;
            };
            let Ok(filename) = DistFilename::parse(name) else {
                continue;
            };
            files.entry(identity(&filename)).or_default().push((
                filename,
                sha256.to_string(),
                object.size,
            ));
        }
        let mut dists = BTreeMap::new();
        for id in identities {
            let candidates = files.remove(&id).unwrap_or_default();
            // A cached entry is trusted only when the name has one file, its own:
            // with more (bytes removed, replaced, or that lost a race), the entry
            // is read again, as another server may have changed it.
            let entry = {
                let mut entries = lock(&self.entries);
                match (entries.get(&id), candidates.as_slice()) {
                    (Some(entry), [(_, sha, _)]) if *sha == entry.sha256 => Some(Arc::clone(entry)),
                    _ => {
                        entries.remove(&id);
                        None
                    }
                }
            };
            let from_entry = |entry: Arc<Entry>| -> Result<Listed, StoreError> {
                Ok(Listed {
                    filename: DistFilename::parse(&entry.filename).map_err(|_| {
                        StoreError::Entry {
                            key: self.entry_key(&id),
                        }
                    })?,
                    size: entry.size,
                    entry: Some(entry),
                })
            };
            let listed = match (entry, candidates.as_slice()) {
                (Some(entry), _) => from_entry(entry),
                (None, [(filename, _, size)]) => Ok(Listed {
                    filename: filename.clone(),
                    size: *size,
                    entry: None,
                }),
                (None, _) => match self.read_entry(&id) {
                    Ok(Some(entry)) => from_entry(entry),
                    Ok(None) => continue,
                    Err(e) => Err(e),
                },
            };
            match listed {
                Ok(listed) => {
                    dists.insert(id, listed);
                }
                // An object under `dists/` that no server wrote (another tool's, or
                // a faulty store's) is passed over: one stray key must not stop
                // every server from listing, or from starting.
                Err(e @ StoreError::Entry { .. }) => {
                    crate::message!("curd-server: passing over {e}");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(dists)
    }

    /// The entry of a distribution, read once.
    pub fn entry(&self, filename: &DistFilename) -> Result<Option<Arc<Entry>>, StoreError> {
        let id = identity(filename);
        if let Some(entry) = lock(&self.entries).get(&id) {
            return Ok(Some(Arc::clone(entry)));
        }
        self.read_entry(&id)
    }

    fn read_entry(&self, id: &str) -> Result<Option<Arc<Entry>>, StoreError> {
        let key = self.entry_key(id);
        let Some(bytes) = self.bucket.get_small(&key, MAX_ENTRY)? else {
            return Ok(None);
        };
        let entry = Arc::new(Entry::from_json(&bytes).ok_or(StoreError::Entry { key })?);
        lock(&self.entries).insert(id.to_string(), Arc::clone(&entry));
        Ok(Some(entry))
    }

    /// A wheel's METADATA, from its sidecar.
    pub fn metadata(&self, entry: &Entry) -> Result<Option<Vec<u8>>, StoreError> {
        let key = format!("{}.metadata", self.file_key(&entry.sha256, &entry.filename));
        Ok(self.bucket.get_small(&key, MAX_METADATA)?)
    }

    /// A URL clients can read the file from straight, for `expires`.
    pub fn presigned(&self, entry: &Entry, expires: Duration) -> String {
        self.bucket
            .presigned_get(&self.file_key(&entry.sha256, &entry.filename), expires)
    }

    /// The file, fetched into the local cache if it is not there yet, checked
    /// against its sha256, and opened.
    pub fn fetch(&self, entry: &Entry) -> Result<Option<Fetched>, StoreError> {
        let copy = || self.copies.open_copy(&entry.sha256, entry.size);
        if let Some(file) = copy() {
            return Ok(Some(Fetched { file, new: false }));
        }
        self.copies.one_at_a_time(&entry.sha256, || match copy() {
            Some(file) => Ok(Some(Fetched { file, new: false })),
            None => self.copy(entry),
        })
    }

    /// Fetches a file from the bucket into a new copy, checked against its sha256.
    fn copy(&self, entry: &Entry) -> Result<Option<Fetched>, StoreError> {
        let key = self.file_key(&entry.sha256, &entry.filename);
        let Some(mut object) = self.bucket.get(&key)? else {
            return Ok(None);
        };
        let cached = self.copies.path(&entry.sha256);
        let mut temp = self.copies.temp().map_err(StoreError::Cache)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = object
                .body
                .read(&mut buf)
                .map_err(|e| StoreError::S3(S3Error::Local(e)))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            temp.write_all(&buf[..n]).map_err(|source| {
                StoreError::Cache(FsError {
                    path: temp.path().to_path_buf(),
                    action: "write",
                    source,
                })
            })?;
        }
        let actual = hex(&hasher.finalize());
        if actual != entry.sha256 {
            return Err(StoreError::Corrupt {
                key,
                expected: entry.sha256.clone(),
                actual,
            });
        }
        // Opened before it is named, so eviction can never take it from under us.
        let file = File::open(temp.path()).map_err(|source| {
            StoreError::Cache(FsError {
                path: temp.path().to_path_buf(),
                action: "open",
                source,
            })
        })?;
        temp.persist_unsynced(&cached).map_err(StoreError::Cache)?;
        crate::message!(
            "curd-server: copied `{}` ({} bytes) from the bucket",
            entry.filename,
            entry.size
        );
        Ok(Some(Fetched { file, new: true }))
    }

    /// This server's copies of the bucket's files.
    pub fn copies(&self) -> &Arc<Copies> {
        &self.copies
    }

    /// Saves a checked file held at `path`: its bytes, its METADATA, then the entry
    /// that makes it visible.
    pub fn save(
        &self,
        path: &Path,
        entry: Entry,
        metadata: Option<&[u8]>,
        overwrite: bool,
    ) -> Result<Committed, StoreError> {
        let filename = DistFilename::parse(&entry.filename).map_err(|_| StoreError::Entry {
            key: entry.filename.clone(),
        })?;
        let id = identity(&filename);
        // Read afresh: another server may have removed or replaced it.
        lock(&self.entries).remove(&id);
        if let Some(old) = self.read_entry(&id)? {
            if old.sha256 == entry.sha256 {
                return Ok(Committed::Unchanged);
            }
            if !overwrite {
                return Ok(Committed::Conflict);
            }
        }
        let file_key = self.file_key(&entry.sha256, &entry.filename);
        self.bucket
            .put_file(&file_key, path, Some(&entry.sha256), Overwrite::Always)?;
        if let Some(metadata) = metadata {
            self.bucket.put(
                &format!("{file_key}.metadata"),
                Payload::Bytes(metadata),
                Overwrite::Always,
            )?;
        }
        let committed = if overwrite {
            let old = self.entry(&filename)?;
            self.put_entry(&id, &entry, Overwrite::Always)?;
            if old.is_some() {
                Committed::Replaced
            } else {
                Committed::Created
            }
        } else if self.conditional {
            match self.put_entry(&id, &entry, Overwrite::IfAbsent)? {
                Written::Stored => Committed::Created,
                Written::Exists => self.lost_to(&id, &entry)?,
            }
        } else {
            self.save_claimed(&id, &entry)?
        };
        if matches!(committed, Committed::Created | Committed::Replaced) {
            let entry = Arc::new(entry);
            lock(&self.entries).insert(id.clone(), Arc::clone(&entry));
            self.touch();
            let listed = Listed {
                filename,
                size: entry.size,
                entry: Some(entry),
            };
            self.note(id, Some(listed));
        }
        Ok(committed)
    }

    fn put_entry(
        &self,
        id: &str,
        entry: &Entry,
        overwrite: Overwrite,
    ) -> Result<Written, StoreError> {
        let json = entry.to_json();
        Ok(self
            .bucket
            .put(&self.entry_key(id), Payload::Bytes(&json), overwrite)?)
    }

    /// Another writer's entry is there: the same bytes, or a conflict.
    fn lost_to(&self, id: &str, entry: &Entry) -> Result<Committed, StoreError> {
        lock(&self.entries).remove(id);
        match self.read_entry(id)? {
            Some(winner) if winner.sha256 == entry.sha256 => Ok(Committed::Unchanged),
            Some(_) => Ok(Committed::Conflict),
            None => Ok(Committed::Busy),
        }
    }

    /// The entry written under a claim, for stores that ignore `If-None-Match`:
    /// write a claim, list the claims of the name, and back off if another
    /// writer claims other bytes; else write the entry unless one is there.
    fn save_claimed(&self, id: &str, entry: &Entry) -> Result<Committed, StoreError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let claims = self.key(&format!("claims/{id}/"));
        let mine = format!(
            "{claims}{now}-{}-{}",
            entry.sha256,
            crate::util::fs::temp_name("").trim_start_matches(crate::util::fs::TEMP_PREFIX)
        );
        self.bucket.put(&mine, Payload::Empty, Overwrite::Always)?;
        let result = (|| {
            // One page of claims: more than a page for one name is a crowd, or a
            // store that never stops listing; either way, back off.
            let page = self.bucket.list_page(&claims, None, 1000)?;
            let crowded = page.next.is_some();
            // Claims are aged by the store's clock, the one every server shares:
            // when it stored each against when it stored this one. A store whose
            // listing gives no times leaves the servers' clocks, written in the keys.
            let store_now = page
                .objects
                .iter()
                .find(|claim| claim.key == mine)
                .and_then(|claim| claim.modified);
            let rivals = crowded
                || page.objects.iter().any(|claim| {
                    let Some((at, sha)) = claim.key.strip_prefix(&claims).and_then(|rest| {
                        let (at, rest) = rest.split_once('-')?;
                        Some((at.parse::<u64>().ok()?, rest.split('-').next()?))
                    }) else {
                        return false;
                    };
                    let fresh = match store_now {
                        // A claim without a time is taken as fresh.
                        Some(now) => claim
                            .modified
                            .is_none_or(|at| now.saturating_sub(at) < CLAIM_TTL.as_secs()),
                        None => now.saturating_sub(at) < CLAIM_TTL.as_secs(),
                    };
                    sha != entry.sha256 && fresh
                });
            lock(&self.entries).remove(id);
            match self.read_entry(id)? {
                Some(_) => self.lost_to(id, entry),
                None if rivals => Ok(Committed::Busy),
                None => {
                    self.put_entry(id, entry, Overwrite::Always)?;
                    Ok(Committed::Created)
                }
            }
        })();
        let _ = self.bucket.delete(&mine);
        result
    }

    /// Removes a distribution by its entry; its file stays, unlisted, as a
    /// server may be saving the same bytes again right now.
    pub fn remove(&self, filename: &DistFilename) -> Result<bool, StoreError> {
        if self.entry(filename)?.is_none() {
            return Ok(false);
        }
        let id = identity(filename);
        self.bucket.delete(&self.entry_key(&id))?;
        lock(&self.entries).remove(&id);
        self.touch();
        self.note(id, None);
        Ok(true)
    }

    /// Shows this server's own change at once, without listing the bucket, which
    /// after every save would make each upload cost a listing of the whole bucket.
    /// The marker last seen is kept, and differs from the one just written, so the
    /// next refresh lists the bucket anyway and takes in other servers' changes.
    fn note(&self, id: String, listed: Option<Listed>) {
        let mut state = write(&self.state);
        let listing = Arc::make_mut(&mut state.listing);
        match listed {
            Some(listed) => listing.dists.insert(id, listed),
            None => listing.dists.remove(&id),
        };
        listing.generation += 1;
    }

    /// Rewrites the change marker with new bytes, so other servers list again.
    fn touch(&self) {
        let stamp = crate::util::fs::temp_name("changed");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let body = format!("{now} {stamp}\n");
        if let Err(e) = self.bucket.put(
            &self.key("changed"),
            Payload::Bytes(body.as_bytes()),
            Overwrite::Always,
        ) {
            crate::message!("curd-server: other servers may list the change late: {e}");
        }
    }
}

/// Whether two listings hold the same distributions.
fn same(a: &BTreeMap<String, Listed>, b: &BTreeMap<String, Listed>) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|((ka, la), (kb, lb))| {
            ka == kb && la.filename.to_string() == lb.filename.to_string() && la.size == lb.size
        })
}

/// The distribution a file name stands for, however spelled: normalized project
/// name, the version with trailing zeros of its release dropped, and for wheels
/// the build tag and sorted tags. Safe as one key segment.
pub fn identity(filename: &DistFilename) -> String {
    let version = |v: &crate::standards::version::Version| {
        let mut release = v.release().to_vec();
        while release.len() > 1 && release.last() == Some(&0) {
            release.pop();
        }
        let release: Vec<String> = release.iter().map(u64::to_string).collect();
        let mut text = format!("{}!{}", v.epoch(), release.join("."));
        if let Some(pre) = v.pre() {
            text.push_str(&format!("{pre:?}"));
        }
        if let Some(post) = v.post() {
            text.push_str(&format!(".post{post}"));
        }
        if let Some(dev) = v.dev() {
            text.push_str(&format!(".dev{dev}"));
        }
        if let Some(local) = v.local() {
            text.push_str(&format!("+{local}"));
        }
        text
    };
    let sorted = |tags: &[String]| {
        let mut tags = tags.to_vec();
        tags.sort();
        tags.join(".")
    };
    let text = match filename {
        DistFilename::Wheel(w) => format!(
            "{}-{}-{}-{}-{}-{}.whl",
            w.name,
            version(&w.version),
            w.build_tag
                .as_ref()
                .map(|b| format!("{}{}", b.number, b.suffix))
                .unwrap_or_default(),
            sorted(&w.python_tags),
            sorted(&w.abi_tags),
            sorted(&w.platform_tags)
        ),
        DistFilename::Sdist(s) => format!("{}-{}.sdist", s.name, version(&s.version)),
    };
    crate::util::encoding::percent_encode(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> String {
        identity(&DistFilename::parse(name).unwrap())
    }

    #[test]
    fn one_identity_however_the_name_is_spelled() {
        assert_eq!(
            id("Foo_Bar-1.0.0-py3.py2-none-any.whl"),
            id("foo.bar-1.0-py2.py3-none-any.whl")
        );
        assert_ne!(
            id("foo-1.0-py3-none-any.whl"),
            id("foo-1.0.1-py3-none-any.whl")
        );
        assert_ne!(
            id("foo-1.0-1-py3-none-any.whl"),
            id("foo-1.0-py3-none-any.whl")
        );
        assert_eq!(id("foo-1.0.tar.gz"), id("Foo-1.0.0.tar.gz"));
        assert_ne!(id("foo-1.0+local.tar.gz"), id("foo-1.0.tar.gz"));
        assert!(!id("foo-1.0+a.b-py3-none-any.whl").contains(['/', '+']));
    }

    #[test]
    fn entries_round_trip_and_refuse_what_servers_do_not_write() {
        let entry = Entry {
            filename: "foo-1.0-py3-none-any.whl".into(),
            sha256: "ab".repeat(32),
            size: 12,
            metadata_sha256: Some("cd".repeat(32)),
            requires_python: Some(">=3.8".into()),
        };
        assert_eq!(Entry::from_json(&entry.to_json()), Some(entry));
        for bad in [
            &b"{}"[..],
            b"not json",
            br#"{"filename":"../x","sha256":"00","size":1}"#,
            br#"{"filename":"foo-1.0.tar.gz","sha256":"zz","size":1}"#,
        ] {
            assert_eq!(Entry::from_json(bad), None);
        }
    }
}

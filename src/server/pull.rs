//! Pull-through: the upstream indexes' projects served as if they were here,
//! their files fetched once and kept.
//!
//! What came from an upstream lives apart from uploads, in `DIRECTORY/upstream/`:
//! the files themselves (a [`Storage`] of their own, so they get the same checks,
//! hashes, atomic saves and sendfile downloads), `pages/<project>.json` (each
//! upstream page as last fetched, in PEP 691 JSON with absolute links, its mtime
//! the time of the fetch) and `metadata/<file>.metadata` (PEP 658 files). Deleting
//! the folder forgets the upstream and never touches an upload; copying it to
//! another machine gives that machine's `--offline` server the same cache.
//!
//! Invariants a change must keep:
//! - A hit never waits on an upstream: a page older than the TTL is served at
//!   once and fetched again in the background (stale-while-revalidate); a page
//!   whose upstream fails stays served, with its age.
//! - One fetch per page and per file at a time ([`flight`]); the requests that
//!   arrive meanwhile wait for it and share its outcome.
//! - A file is served only once it is whole, matches the upstream's sha256 and
//!   passed the checks any upload passes; until then nothing of it is stored.
//! - Workers that wait on an upstream are bounded (`Busy`, a 503), so a slow
//!   upstream can take only part of the pool: local files and cached pages are
//!   still answered.
//! - `--offline` never opens a connection: it serves what the folder holds.

pub mod files;
pub mod flight;
pub mod summary;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use self::flight::Flights;
use crate::server::pages::{self, Format, Row};
use crate::server::storage::{self, SaveError, Storage};
use crate::server::upstream::{UpstreamError, Upstreams};
use crate::standards::filename::DistFilename;
use crate::standards::name::PackageName;
use crate::standards::simple::{IndexFile, parse_json};
use crate::standards::url::Url;
use crate::util::fs::{Context, FsError, TempFile};
use crate::util::lru::Lru;
use crate::util::sync::lock;

/// Pages refreshed in the background at once; more stale pages wait for a turn.
const MAX_REFRESHES: usize = 4;
/// After a failed refresh, how long a stale page is served before trying again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);
/// Files listed by the pages held in memory, at most (a listed file takes about a
/// kilobyte); past it, the pages used least recently are let go, and come back
/// from disk when next asked for (a page of ten files is read in well under a
/// millisecond), so clients asking for many names cannot fill memory.
const MAX_HELD_FILES: usize = 5_000;
/// The largest page kept on disk that is read back.
const MAX_SAVED_PAGE: u64 = 64 * 1024 * 1024;

/// A project as an upstream last listed it.
pub struct Listing {
    /// The files whose names are distributions (PyPI's `.exe` and `.egg` files
    /// are dropped), as the upstream describes them.
    pub files: Vec<(DistFilename, IndexFile)>,
    pub fetched: SystemTime,
    /// Unique to this listing, so what is rendered from it can be cached.
    pub serial: u64,
}

/// Listings are numbered from here.
static SERIALS: AtomicU64 = AtomicU64::new(1);

fn next_serial() -> u64 {
    SERIALS.fetch_add(1, Ordering::Relaxed)
}

impl Listing {
    pub fn age(&self) -> Duration {
        self.fetched.elapsed().unwrap_or_default()
    }

    pub fn file(&self, name: &str) -> Option<&IndexFile> {
        self.files
            .iter()
            .find(|(_, f)| f.filename == name)
            .map(|(_, f)| f)
    }
}

/// A project page's rows and how old the upstream's part of them is.
pub struct Upstreamed {
    pub rows: Vec<Row>,
    /// How old the upstream's page is; `None` when no page is known.
    pub age: Option<Duration>,
    /// The upstream page's [`Listing::serial`], if there is one.
    pub serial: Option<u64>,
}

/// Why a page or file could not be pulled through.
#[derive(Clone, Debug)]
pub enum PullError {
    /// The upstream failed and nothing cached stands in.
    Upstream(Arc<UpstreamError>),
    /// Too many requests wait on upstreams already.
    Busy,
    /// The fetch's thread stopped without an outcome.
    Vanished,
    /// The upstream's file was refused (a sha256 mismatch, not a valid
    /// distribution) or could not be stored.
    Refused { file: String, why: Arc<SaveError> },
    /// A METADATA file does not match the sha256 its page gives.
    MetadataMismatch {
        file: String,
        expected: String,
        actual: String,
    },
    /// Writing to the folder failed.
    Disk(Arc<FsError>),
    /// The file was stored, then let go before it could be sent: retention made
    /// room at once, as the size limit is smaller than what must be kept.
    Evicted { file: String },
}

impl PullError {
    pub fn status(&self) -> u16 {
        match self {
            PullError::Busy | PullError::Evicted { .. } => 503,
            PullError::Refused { why, .. } => match **why {
                SaveError::NoSpace => 507,
                SaveError::Disk(_) => 500,
                _ => 502,
            },
            PullError::Disk(_) => 500,
            _ => 502,
        }
    }
}

impl fmt::Display for PullError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PullError::Upstream(e) => e.fmt(f),
            PullError::Busy => {
                f.write_str("too many requests are waiting on the upstream; retry shortly")
            }
            PullError::Vanished => f.write_str("the upstream fetch stopped without an outcome"),
            PullError::Refused { file, why } => match &**why {
                SaveError::DigestMismatch {
                    expected, actual, ..
                } => write!(
                    f,
                    "upstream file `{file}` does not match its sha256: expected {expected}, received {actual}"
                ),
                why => write!(f, "upstream file `{file}` refused: {why}"),
            },
            PullError::MetadataMismatch {
                file,
                expected,
                actual,
            } => write!(
                f,
                "upstream METADATA of `{file}` does not match its sha256: expected {expected}, received {actual}"
            ),
            PullError::Disk(e) => e.fmt(f),
            PullError::Evicted { file } => write!(
                f,
                "upstream file `{file}` was let go as soon as it was stored: --max-size is too small for what is asked at once; retry shortly"
            ),
        }
    }
}

impl std::error::Error for PullError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PullError::Upstream(e) => Some(&**e),
            PullError::Refused { why, .. } => Some(&**why),
            PullError::Disk(e) => Some(&**e),
            _ => None,
        }
    }
}

/// How the cache has done since start-up, for the home page.
#[derive(Default)]
pub struct Stats {
    pub page_hits: AtomicU64,
    pub page_fetches: AtomicU64,
    pub file_hits: AtomicU64,
    pub file_pulls: AtomicU64,
    pub upstream_errors: AtomicU64,
}

/// The upstream pages in memory, and the state of their refreshes.
struct Held {
    /// Weighed by the files they list.
    pages: Lru<PackageName, Arc<Listing>>,
    /// Pages being fetched again in the background.
    refreshing: HashSet<PackageName>,
    /// Pages whose refresh failed, and when to try again.
    retry_at: HashMap<PackageName, Instant>,
}

impl Held {
    /// Keeps a page in memory, letting go of the least recently used if need be.
    fn hold(&mut self, name: &PackageName, listing: Arc<Listing>) {
        let weight = listing.files.len().max(1);
        self.pages.insert(name.clone(), listing, weight);
    }
}

type PageOutcome = Result<Arc<Listing>, Arc<UpstreamError>>;

/// The pull-through cache over the upstreams (none when offline).
pub struct Pull {
    upstreams: Option<Upstreams>,
    ttl: Duration,
    pub store: Arc<Storage>,
    pages_dir: PathBuf,
    metadata_dir: PathBuf,
    held: Mutex<Held>,
    page_flights: Flights<PackageName, PageOutcome>,
    file_flights: Flights<String, Result<(), PullError>>,
    waiting: AtomicUsize,
    max_waiting: usize,
    refreshing: AtomicUsize,
    pub stats: Stats,
}

impl Pull {
    /// Opens `DIRECTORY/upstream/`. `upstreams` is `None` offline; `max_waiting`
    /// bounds the workers that wait on upstreams at once.
    pub fn open(
        dir: PathBuf,
        upstreams: Option<Upstreams>,
        ttl: Duration,
        max_waiting: usize,
    ) -> Result<Pull, FsError> {
        let pages_dir = dir.join("pages");
        let metadata_dir = dir.join("metadata");
        for d in [&pages_dir, &metadata_dir] {
            std::fs::create_dir_all(d).context("create folder", d)?;
            storage::sweep_at_start(d);
        }
        Ok(Pull {
            store: Arc::new(Storage::open(&dir)?),
            upstreams,
            ttl,
            pages_dir,
            metadata_dir,
            held: Mutex::new(Held {
                pages: Lru::new(MAX_HELD_FILES),
                refreshing: HashSet::new(),
                retry_at: HashMap::new(),
            }),
            page_flights: Flights::default(),
            file_flights: Flights::default(),
            waiting: AtomicUsize::new(0),
            max_waiting: max_waiting.max(1),
            refreshing: AtomicUsize::new(0),
            stats: Stats::default(),
        })
    }

    pub fn offline(&self) -> bool {
        self.upstreams.is_none()
    }

    pub fn upstreams(&self) -> &[Url] {
        self.upstreams.as_ref().map_or(&[], |u| u.indexes())
    }

    /// The upstream's rows of a project page: what its page lists (offline, only
    /// what is cached) and cached files no page lists. Local files are the
    /// caller's, and win over these by name.
    pub fn project(self: &Arc<Self>, name: &PackageName) -> Result<Upstreamed, PullError> {
        let listing = self.listing(name)?;
        let cached = self.store.index();
        let cached_files = cached.project(name).unwrap_or_default();
        let mut rows = Vec::new();
        if let Some(listing) = &listing {
            for (filename, file) in &listing.files {
                // A cached file is described by the bytes served, not by the page:
                // an upstream that changed a file's bytes must not make every
                // install of the cached one fail its hash check.
                match cached_files.iter().find(|f| f.name == file.filename) {
                    Some(stored) => rows.push(Row {
                        yanked: file.yanked.clone(),
                        ..Row::stored(&*self.store, stored)
                    }),
                    None if self.offline() => {}
                    None => {
                        let href = pages::served_href(&file.filename);
                        rows.push(Row::listed(file, filename.clone(), href));
                    }
                }
            }
        }
        for file in cached_files {
            if listing
                .as_ref()
                .is_none_or(|l| l.file(&file.name).is_none())
            {
                rows.push(Row::stored(&*self.store, file));
            }
        }
        Ok(Upstreamed {
            rows,
            age: listing.as_ref().map(|l| l.age()),
            serial: listing.map(|l| l.serial),
        })
    }

    /// The project's page as an upstream lists it: from memory, else from disk,
    /// else fetched now; refreshed in the background when older than the TTL.
    /// `None` when no upstream lists it (or, offline, none is saved).
    pub fn listing(
        self: &Arc<Self>,
        name: &PackageName,
    ) -> Result<Option<Arc<Listing>>, PullError> {
        if let Some(listing) = self.peek(name) {
            return Ok(Some(self.hit(name, listing)));
        }
        if let Some(saved) = self.read_page(name) {
            let saved = Arc::new(saved);
            lock(&self.held).hold(name, Arc::clone(&saved));
            return Ok(Some(self.hit(name, saved)));
        }
        if self.offline() {
            return Ok(None);
        }
        self.stats.page_fetches.fetch_add(1, Ordering::Relaxed);
        let _turn = self.wait_turn()?;
        let outcome = self
            .page_flights
            .run(name.clone(), || self.fetch_page(name))
            .ok_or(PullError::Vanished)?;
        outcome.map(Some).map_err(PullError::Upstream)
    }

    /// The page held in memory, if it is; not yet counted as a hit, as the
    /// caller may go on to [`Pull::listing`], which counts it.
    pub fn peek(&self, name: &PackageName) -> Option<Arc<Listing>> {
        lock(&self.held).pages.get(name).cloned()
    }

    /// Counts a page served from what is kept, and refreshes it in the background
    /// when stale.
    pub fn hit(self: &Arc<Self>, name: &PackageName, listing: Arc<Listing>) -> Arc<Listing> {
        self.stats.page_hits.fetch_add(1, Ordering::Relaxed);
        if listing.age() >= self.ttl {
            self.refresh_later(name);
        }
        listing
    }

    /// Fetches a stale page again in a thread of its own, unless one already is,
    /// a failure is too recent, or enough refreshes run.
    fn refresh_later(self: &Arc<Self>, name: &PackageName) {
        if self.offline() {
            return;
        }
        {
            let mut held = lock(&self.held);
            let now = Instant::now();
            held.retry_at.retain(|_, at| now < *at);
            if held.refreshing.contains(name) || held.retry_at.contains_key(name) {
                return;
            }
            if self.refreshing.fetch_add(1, Ordering::SeqCst) >= MAX_REFRESHES {
                self.refreshing.fetch_sub(1, Ordering::SeqCst);
                return;
            }
            held.refreshing.insert(name.clone());
        }
        let pull = Arc::clone(self);
        let project = name.clone();
        let spawned = std::thread::Builder::new()
            .name("refresh".into())
            .spawn(move || {
                let outcome = pull
                    .page_flights
                    .run(project.clone(), || pull.fetch_page(&project));
                let mut held = lock(&pull.held);
                held.refreshing.remove(&project);
                if !matches!(outcome, Some(Ok(_))) {
                    held.retry_at
                        .insert(project, Instant::now() + RETRY_AFTER_FAILURE);
                }
                pull.refreshing.fetch_sub(1, Ordering::SeqCst);
            });
        if let Err(e) = spawned {
            crate::message!("curd-server: could not start a page refresh: {e}");
            lock(&self.held).refreshing.remove(name);
            self.refreshing.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Asks the upstreams for the page, and keeps it in memory and on disk.
    fn fetch_page(&self, name: &PackageName) -> PageOutcome {
        let Some(upstreams) = &self.upstreams else {
            return Ok(Arc::new(Listing {
                files: Vec::new(),
                fetched: SystemTime::now(),
                serial: next_serial(),
            }));
        };
        let files = match upstreams.project(name) {
            Ok(files) => files,
            Err(e) => {
                self.stats.upstream_errors.fetch_add(1, Ordering::Relaxed);
                crate::message!("curd-server: page of `{name}`: {e}");
                return Err(Arc::new(e));
            }
        };
        let listing = Arc::new(Listing {
            files: distributions(files.unwrap_or_default()),
            fetched: SystemTime::now(),
            serial: next_serial(),
        });
        if !listing.files.is_empty() {
            self.save_page(name, &listing);
        }
        let mut held = lock(&self.held);
        held.hold(name, Arc::clone(&listing));
        held.retry_at.remove(name);
        Ok(listing)
    }

    fn page_path(&self, name: &PackageName) -> PathBuf {
        self.pages_dir.join(format!("{}.json", name.as_str()))
    }

    /// Writes the page as PEP 691 JSON with absolute links and no credentials; a
    /// failure only costs the next start a fetch.
    fn save_page(&self, name: &PackageName, listing: &Listing) {
        let mut rows: Vec<Row> = listing
            .files
            .iter()
            .map(|(filename, file)| {
                let href = file.url.without_credentials().to_string();
                Row::listed(file, filename.clone(), href)
            })
            .collect();
        pages::sort_rows(&mut rows);
        let bytes = pages::simple_project(name, &rows, Format::Json);
        let path = self.page_path(name);
        let saved = TempFile::new_in(&self.pages_dir).and_then(|mut temp| {
            use std::io::Write;
            temp.lock()?;
            temp.write_all(&bytes).context("write", temp.path())?;
            temp.persist_unsynced(&path)
        });
        if let Err(e) = saved {
            crate::message!("curd-server: {e}");
        }
    }

    /// The page saved on disk, aged by its mtime.
    fn read_page(&self, name: &PackageName) -> Option<Listing> {
        let path = self.page_path(name);
        let fetched = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
        let bytes = crate::util::fs::read_bounded(&path, MAX_SAVED_PAGE).ok()?;
        let url = Url::from_file_path(&path).ok()?;
        match parse_json(&bytes, &url) {
            Ok(page) => Some(Listing {
                files: distributions(page.files),
                fetched,
                serial: next_serial(),
            }),
            Err(e) => {
                crate::message!("curd-server: ignoring a saved page: {e}");
                None
            }
        }
    }

    /// A turn to wait on an upstream, or `Busy` when the workers' share is spent.
    fn wait_turn(&self) -> Result<Turn<'_>, PullError> {
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(PullError::Busy);
        }
        Ok(Turn(&self.waiting))
    }

    /// Whether an upload of `filename` with this sha256 would change the bytes
    /// the upstream serves under that name (cached, or listed with a hash).
    pub fn conflicts(&self, filename: &DistFilename, sha256: &str) -> bool {
        if let Ok(cached) = self.store.download(filename) {
            return !cached.sha256.eq_ignore_ascii_case(sha256);
        }
        let name = filename.to_string();
        let listed = lock(&self.held)
            .pages
            .get(filename.name())
            .and_then(|listing| listing.file(&name).and_then(|f| f.sha256.clone()));
        listed.is_some_and(|sha| !sha.eq_ignore_ascii_case(sha256))
    }
}

/// A worker's place among those waiting on upstreams, given back on drop.
struct Turn<'a>(&'a AtomicUsize);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The files of a page whose names are distributions.
fn distributions(files: Vec<IndexFile>) -> Vec<(DistFilename, IndexFile)> {
    files
        .into_iter()
        .filter_map(|f| Some((DistFilename::parse(&f.filename).ok()?, f)))
        .collect()
}

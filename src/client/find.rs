//! Finding distributions (network and disk): asks the cache servers, then the
//! package indexes, then find-links folders about each project; keeps the files
//! this interpreter can install; reads their metadata, from PEP 658 files where the
//! index serves them. It is the resolver's [`Provider`].
//!
//! Traps:
//! - A cache server that is down, slow or answers garbage must never fail an
//!   install: the first failure is one warning, and that server is not asked again.
//! - Among a version's files, any compatible wheel on a cache server beats the
//!   indexes' (that is what the cache is for); among one source's wheels the
//!   interpreter's tag order decides.
//! - Yanked files are skipped (PEP 592) unless a root requirement pins their version
//!   with `==` or `===`.
//! - Files whose names do not parse (versions that are not PEP 440 among them) are
//!   skipped quietly, never an error.
//! - Requires-Python is checked twice: from the index's listing, before anything is
//!   fetched, and from the metadata, which is all that find-links folders and many
//!   indexes have. A version whose metadata excludes the interpreter is unusable,
//!   and the resolver goes on to the next one; a Requires-Python that does not
//!   parse excludes nothing, as in pip.
//! - An sdist's metadata is its built wheel's, except where the sdist itself says
//!   enough before a build: its PKG-INFO's Requires-Python, or dependencies its
//!   PKG-INFO (Metadata 2.2) or `[project]` table marks static. Building a version
//!   the interpreter cannot use, or only to learn what it depends on, costs
//!   minutes; reading two files of the archive costs one pass over it.
//! - Why a version's files were all left out (yanked, Requires-Python, no wheel
//!   for this interpreter) is kept, for the error when nothing else satisfies a
//!   requirement.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::archive::check::read_sdist_files;
use crate::archive::metadata::{MAX_METADATA_BYTES, read_wheel_metadata};
use crate::build::pyproject::{MAX_PYPROJECT_BYTES, parse_pyproject};
use crate::client::ahead::UnpackAhead;
use crate::client::cache::{Cache, CacheKey};
use crate::client::error::{DispatchError, FindError, MetadataCause, NoAllowedFile, RefusedFile};
use crate::client::fetch::Client;
use crate::client::formats::Formats;
use crate::client::index::{self, Index, IndexError, IndexFile, MetadataAvailability};
use crate::resolve::{Dependencies, Hint, Lookahead, Provider, Unusable};
use crate::standards::filename::{DistFilename, WheelFilename};
use crate::standards::metadata::CoreMetadata;
use crate::standards::name::PackageName;
use crate::standards::requirement::{Requirement, VersionOrUrl};
use crate::standards::specifier::VersionSpecifiers;
use crate::standards::tags::TagPriority;
use crate::standards::url::Url;
use crate::standards::version::Version;
use crate::util::fs::{Context, read_bounded, write_unsynced};
use crate::util::messages::{Level, emit};
use crate::util::progress::Progress;
use crate::util::sync::{Jobs, lock};

/// Where distributions may come from, in the order they are asked.
#[derive(Clone, Debug)]
pub enum Source {
    /// A curd-server (`-c`): its simple index.
    Cache(Index),
    /// A package index (`-i`).
    Index(Index),
    /// A folder of distributions (`--find-links DIR`).
    Folder(PathBuf),
    /// A page that links to distributions (`--find-links URL`).
    Page(Url),
}

impl Source {
    pub fn is_cache(&self) -> bool {
        matches!(self, Source::Cache(_))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Cache(index) => write!(f, "cache server {}", index.url),
            Source::Index(index) => write!(f, "index {}", index.url),
            Source::Folder(dir) => write!(f, "folder {}", dir.display()),
            Source::Page(url) => write!(f, "page {url}"),
        }
    }
}

/// One file that could be installed, and where it came from.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub filename: DistFilename,
    pub file: IndexFile,
    /// Position of its source in the finder's list.
    pub source: usize,
    /// Position of its best tag in the interpreter's list; sdists come last.
    pub rank: usize,
}

impl Candidate {
    /// The wheel's parsed name, when it is one.
    pub fn wheel(&self) -> Option<&WheelFilename> {
        match &self.filename {
            DistFilename::Wheel(w) => Some(w),
            DistFilename::Sdist(_) => None,
        }
    }

    /// The sha256 its listing gives, when it is a real one.
    fn listed_sha256(&self) -> Option<&str> {
        self.file
            .sha256
            .as_deref()
            .filter(|sha| sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
    }

    /// How the cache names this file: by its sha256 when the index gives a real one
    /// (anything else could be a path), a local file by its path, size and mtime (it
    /// may be rebuilt in place), else by its URL.
    pub fn cache_key(&self) -> CacheKey {
        match self.listed_sha256() {
            Some(sha) => CacheKey::Sha256(sha.to_string()),
            None => {
                let url = self.file.url.without_credentials().to_string();
                let stamp = self
                    .file
                    .url
                    .to_file_path()
                    .and_then(|path| std::fs::metadata(path).ok())
                    .map(|meta| format!("#{}-{:?}", meta.len(), meta.modified().ok()))
                    .unwrap_or_default();
                CacheKey::Url(url + &stamp)
            }
        }
    }
}

/// Turns an sdist into a wheel for this interpreter. The finder asks for it when a
/// version has no wheel; the builder resolves its build requirements through the
/// same finder, working for that build ([`Finder::within`]), so build backends come
/// from the cache servers too.
pub trait WheelBuilder: Sync {
    fn build(
        &self,
        finder: &Finder<'_>,
        candidate: &Candidate,
    ) -> Result<Built, Arc<DispatchError>>;
}

/// A wheel built from an sdist.
#[derive(Clone, Debug)]
pub struct Built {
    pub path: PathBuf,
    /// Built by this run, rather than found built by an earlier one.
    pub fresh: bool,
}

/// Where a wheel came from, for the summary and for `-u`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A curd-server had it.
    CacheServer,
    /// A package index had it.
    Index,
    /// A `--find-links` folder or page had it.
    Links,
    /// It was named by path or URL.
    Direct,
    /// It was built from an sdist; `fresh` when by this run.
    Built { fresh: bool },
}

/// A version's wheel on local disk, and how it got there.
#[derive(Clone, Debug)]
pub struct LocalWheel {
    pub path: PathBuf,
    pub filename: WheelFilename,
    pub origin: Origin,
    /// The cache held it before this run asked for it (an earlier download or
    /// build): a wheel used again, and so worth keeping unpacked.
    pub cached: bool,
}

/// What decides whether this interpreter can install a file.
pub struct Compatibility {
    pub tags: TagPriority,
    /// Checked against each file's Requires-Python.
    pub python_version: Version,
}

/// A project's versions: the installable files of each, and why the versions
/// left without any cannot be used.
#[derive(Default)]
struct Listing {
    usable: BTreeMap<Version, Vec<Candidate>>,
    unusable: BTreeMap<Version, Unusable>,
}

/// A project's listing, or why none could be made.
type Found = Arc<Result<Listing, Arc<FindError>>>;

/// What a finder learned, shared with the finders of the builds it starts.
#[derive(Default)]
struct Learned {
    projects: Mutex<HashMap<PackageName, Found>>,
    metadata: Mutex<HashMap<(PackageName, Version), Arc<CoreMetadata>>>,
    down: Mutex<HashSet<usize>>,
    /// Indexes that could not be reached (after their retries), and why: not asked
    /// again for other projects, where each would wait out the same retries. Unlike
    /// a cache server that is down, the files they listed before stay in play (they
    /// are downloaded from wherever the page pointed).
    unreachable: Mutex<HashMap<usize, String>>,
    /// Files a `--hash` refused, by source and name: passed over for the next.
    refused: Mutex<Vec<(usize, String)>>,
    /// Said once each, at the end.
    warnings: Mutex<Vec<String>>,
    /// Whether the hint that an unreachable index wants `--no-index` was given.
    hinted_offline: AtomicBool,
    /// Projects given by path or URL: their one wheel, and where it came from.
    direct: Mutex<HashMap<PackageName, Origin>>,
    /// Archives this run downloaded (for their metadata, say): found in the cache
    /// later, they are still fresh, not a wheel used again.
    fetched: Mutex<HashSet<PathBuf>>,
}

/// The source position of a project's one wheel given by path or URL.
const DIRECT: usize = usize::MAX;

/// The resolver's view of every package source, with what it learned cached.
#[derive(Clone)]
pub struct Finder<'a> {
    client: &'a Client,
    cache: &'a Cache,
    sources: Vec<Source>,
    tags: TagPriority,
    python_version: Version,
    /// Projects whose yanked files stay in play: pinned with `==` by the user.
    pinned: HashSet<PackageName>,
    /// The run's one limit on threads, which builds started from here share.
    jobs: &'a Jobs,
    builder: Option<&'a dyn WheelBuilder>,
    /// `--only-binary` and `--no-binary`: builds asked by this run keep them too.
    formats: Arc<Formats>,
    progress: Option<&'a Progress>,
    /// Where wheels downloaded whole for their metadata go to be unpacked meanwhile.
    ahead: Option<&'a UnpackAhead>,
    learned: Arc<Learned>,
    /// The sdist whose build this finder works for: what it asks of the builder, on
    /// any thread, is that build waiting, which is how the builder sees a cycle.
    building: Option<CacheKey>,
}

impl<'a> Finder<'a> {
    pub fn new(
        client: &'a Client,
        cache: &'a Cache,
        sources: Vec<Source>,
        interpreter: Compatibility,
        roots: &[Requirement],
        jobs: &'a Jobs,
        builder: Option<&'a dyn WheelBuilder>,
    ) -> Finder<'a> {
        let pinned = roots
            .iter()
            .filter(|r| match &r.version_or_url {
                Some(crate::standards::requirement::VersionOrUrl::VersionSpecifier(s)) => {
                    s.iter().any(|c| {
                        matches!(
                            c.operator,
                            crate::standards::specifier::Operator::Equal
                                | crate::standards::specifier::Operator::ArbitraryEqual
                        )
                    })
                }
                _ => false,
            })
            .map(|r| r.name.clone())
            .collect();
        Finder {
            client,
            cache,
            sources,
            tags: interpreter.tags,
            python_version: interpreter.python_version,
            pinned,
            jobs,
            builder,
            formats: Arc::default(),
            progress: None,
            ahead: None,
            learned: Arc::default(),
            building: None,
        }
    }

    /// This finder, keeping to `--only-binary` and `--no-binary`: a file of a kind
    /// they rule out is no candidate, and says so if no other is left.
    pub fn with_formats(self, formats: Formats) -> Finder<'a> {
        Finder {
            formats: Arc::new(formats),
            ..self
        }
    }

    /// This finder, unpacking into the cache by `ahead` each wheel it downloads
    /// for its metadata: for a run that installs what it resolves.
    pub fn with_unpack_ahead(self, ahead: Option<&'a UnpackAhead>) -> Finder<'a> {
        Finder { ahead, ..self }
    }

    /// Leaves the cache's tree `dest` to the caller: see [`UnpackAhead::settle`].
    pub fn settle_unpacking(&self, dest: &Path) {
        if let Some(ahead) = self.ahead {
            ahead.settle(dest);
        }
    }

    /// The finder the build of the sdist `key` resolves its own requirements with:
    /// it shares what this one learned, and what it asks of the builder counts as
    /// that build waiting.
    pub fn within(&self, key: CacheKey) -> Finder<'a> {
        Finder {
            building: Some(key),
            ..self.clone()
        }
    }

    /// The build asking, for the builder to see who waits on whom.
    pub fn building(&self) -> Option<&CacheKey> {
        self.building.as_ref()
    }

    /// This finder, counting the projects it looks up on a progress line.
    pub fn reporting_to<'p>(&self, progress: &'p Progress) -> Finder<'p>
    where
        'a: 'p,
    {
        Finder {
            progress: Some(progress),
            ..self.clone()
        }
    }

    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// What went wrong without stopping the install, each said once.
    pub fn warnings(&self) -> Vec<String> {
        lock(&self.learned.warnings).clone()
    }

    /// Whether the cache server whose index is `index` failed in this run: `-u`
    /// would spend a connect timeout per wheel on it for nothing.
    pub fn is_down(&self, index: &Url) -> bool {
        let down = lock(&self.learned.down);
        self.sources.iter().enumerate().any(|(position, source)| {
            matches!(source, Source::Cache(cache) if &cache.url == index)
                && down.contains(&position)
        })
    }

    /// Stops asking a cache server that failed; says so once.
    fn mark_down(&self, position: usize, reason: &str) {
        if lock(&self.learned.down).insert(position)
            && let Some(source) = self.sources.get(position)
        {
            self.warn(format!(
                "{source} is not usable, so it is skipped: {reason}"
            ));
        }
    }

    /// Says, once, that an index could not be reached and is not asked again.
    fn warn_unreachable(&self, position: usize) {
        let reason = lock(&self.learned.unreachable).get(&position).cloned();
        if let (Some(source), Some(reason)) = (self.sources.get(position), reason) {
            self.warn(format!(
                "{source} could not be reached, so it is not asked again in this run: {reason}"
            ));
        }
    }

    /// An air-gapped machine given `--find-links` but not `--no-index` waits out
    /// every retry of the index it cannot reach: said at once, and once, while the
    /// run goes on with what the folders have.
    fn hint_offline(&self, source: &Source, error: &IndexError) {
        let Source::Index(index) = source else {
            return;
        };
        let unreachable = matches!(error, IndexError::Fetch(e) if e.is_unreachable());
        let find_links = self
            .sources
            .iter()
            .any(|s| matches!(s, Source::Folder(_) | Source::Page(_)));
        if unreachable && find_links && !self.learned.hinted_offline.swap(true, Ordering::Relaxed) {
            emit(
                Level::Warn,
                format_args!(
                    "hint: {} is unreachable; with --find-links alone, add --no-index",
                    index.url
                ),
            );
        }
    }

    fn warn(&self, message: String) {
        let mut warnings = lock(&self.learned.warnings);
        if !warnings.contains(&message) {
            warnings.push(message);
        }
    }

    /// Makes `wheel` the one candidate of its project, whatever the sources have:
    /// the project was given by path or URL.
    pub fn pin_direct(&self, wheel: &Path, filename: &WheelFilename, origin: Origin) {
        let Ok(url) = Url::from_file_path(wheel) else {
            return;
        };
        let candidate = Candidate {
            filename: DistFilename::Wheel(filename.clone()),
            file: IndexFile {
                filename: filename.to_string(),
                url,
                sha256: None,
                requires_python: None,
                yanked: None,
                core_metadata: MetadataAvailability::No,
                size: None,
            },
            source: DIRECT,
            rank: 0,
        };
        let mut listing = Listing::default();
        listing
            .usable
            .insert(filename.version.clone(), vec![candidate]);
        lock(&self.learned.direct).insert(filename.name.clone(), origin);
        lock(&self.learned.projects).insert(filename.name.clone(), Arc::new(Ok(listing)));
    }

    /// Every installable file of a project, by version; asked of each source once.
    fn candidates(&self, name: &PackageName) -> Found {
        if let Some(found) = lock(&self.learned.projects).get(name) {
            return Arc::clone(found);
        }
        if let Some(progress) = self.progress {
            progress.grow();
        }
        let found = Arc::new(self.look_up(name));
        if let Some(progress) = self.progress {
            progress.tick();
        }
        lock(&self.learned.projects)
            .entry(name.clone())
            .or_insert(found)
            .clone()
    }

    fn look_up(&self, name: &PackageName) -> Result<Listing, Arc<FindError>> {
        let mut listing = Listing::default();
        let mut known = false;
        // The last index that failed, and its position when it could not be reached.
        let mut failure: Option<(Arc<FindError>, Option<usize>)> = None;
        for (position, source) in self.sources.iter().enumerate() {
            if lock(&self.learned.down).contains(&position) {
                continue;
            }
            if let Some(reason) = lock(&self.learned.unreachable).get(&position) {
                let error = FindError::Unreachable {
                    source: source.to_string(),
                    reason: reason.clone(),
                };
                failure = Some((Arc::new(error), Some(position)));
                continue;
            }
            let files = match self.files_of(source, name) {
                Ok(Some(files)) => files,
                Ok(None) => continue,
                Err(e) => {
                    let unreachable = if source.is_cache() {
                        self.mark_down(position, &e.to_string());
                        continue;
                    } else if matches!(&e, IndexError::Fetch(f) if f.is_unreachable()) {
                        self.hint_offline(source, &e);
                        lock(&self.learned.unreachable)
                            .entry(position)
                            .or_insert_with(|| e.to_string());
                        Some(position)
                    } else {
                        None
                    };
                    failure = Some((Arc::new(FindError::Index(e)), unreachable));
                    continue;
                }
            };
            known = true;
            for file in files {
                let Ok(filename) = DistFilename::parse(&file.filename) else {
                    continue;
                };
                if filename.name() != name {
                    continue;
                }
                let version = filename.version().clone();
                match self.candidate(filename, file, position) {
                    Ok(candidate) => listing.usable.entry(version).or_default().push(candidate),
                    Err(reason) => {
                        let kept = listing.unusable.entry(version).or_insert(reason.clone());
                        if weight(&reason) < weight(kept) {
                            *kept = reason;
                        }
                    }
                }
            }
        }
        match (known, failure) {
            // Every source failed: that is an error, not an unknown project. So is
            // an index that failed while the others (an empty --find-links folder,
            // say) had nothing to use: the failure is why there is no version.
            (false, Some((error, _))) => Err(error),
            (true, Some((error, _))) if listing.usable.is_empty() => Err(error),
            (_, failure) => {
                // A failure the run goes on without is said; where the run fails
                // on it, its error says it instead.
                match failure {
                    Some((error, None)) => self.warn(format!(
                        "{name}: {error}; only the other sources' files are considered"
                    )),
                    Some((_, Some(position))) => self.warn_unreachable(position),
                    None => {}
                }
                for files in listing.usable.values_mut() {
                    files.sort_by_key(|c| (c.rank == usize::MAX, c.source, c.rank));
                }
                let usable = &listing.usable;
                listing
                    .unusable
                    .retain(|version, _| !usable.contains_key(version));
                Ok(listing)
            }
        }
    }

    fn files_of(
        &self,
        source: &Source,
        name: &PackageName,
    ) -> Result<Option<Vec<IndexFile>>, IndexError> {
        match source {
            Source::Cache(index) | Source::Index(index) => {
                Ok(index.project(self.client, name)?.map(|page| page.files))
            }
            Source::Folder(dir) => Ok(Some(index::find_links_dir(dir)?)),
            Source::Page(url) => Ok(Some(index::find_links_page(self.client, url)?)),
        }
    }

    /// Keeps a file if this interpreter can install it, or says why not.
    fn candidate(
        &self,
        filename: DistFilename,
        file: IndexFile,
        source: usize,
    ) -> Result<Candidate, Unusable> {
        if let Some(reason) = &file.yanked
            && !self.pinned.contains(filename.name())
        {
            let reason = reason.clone();
            return Err(Unusable::Yanked { reason });
        }
        self.check_python(file.requires_python.as_deref())?;
        let name = filename.name();
        let rank = match &filename {
            DistFilename::Wheel(_) if !self.formats.wheels(name) => {
                return Err(Unusable::NoBinary);
            }
            DistFilename::Wheel(w) => self
                .tags
                .rank(&w.python_tags, &w.abi_tags, &w.platform_tags)
                .ok_or(Unusable::NoWheel)?,
            DistFilename::Sdist(_) if !self.formats.sdists(name) => {
                return Err(Unusable::OnlyBinary);
            }
            // An sdist is a candidate only where it can be built, and after every wheel.
            DistFilename::Sdist(_) if self.builder.is_some() => usize::MAX,
            DistFilename::Sdist(_) => return Err(Unusable::NoWheel),
        };
        Ok(Candidate {
            filename,
            file,
            source,
            rank,
        })
    }

    /// Whether a Requires-Python admits this interpreter (pre-releases of it too);
    /// one that does not parse admits it, as in pip.
    fn check_python(&self, requires: Option<&str>) -> Result<(), Unusable> {
        let Some(Ok(requires)) = requires.map(str::parse::<VersionSpecifiers>) else {
            return Ok(());
        };
        if requires.contains_with_prereleases(&self.python_version, Some(true)) {
            return Ok(());
        }
        Err(Unusable::RequiresPython {
            requires,
            python: self.python_version.clone(),
        })
    }

    /// The file that would be installed for a version: the first of its sorted files.
    pub fn best(&self, name: &PackageName, version: &Version) -> Option<Candidate> {
        let down = lock(&self.learned.down).clone();
        let refused = lock(&self.learned.refused).clone();
        let usable = |f: &&Candidate| {
            !down.contains(&f.source)
                && !refused
                    .iter()
                    .any(|(source, file)| *source == f.source && *file == f.file.filename)
        };
        match &*self.candidates(name) {
            Ok(listing) => listing
                .usable
                .get(version)
                .and_then(|files| files.iter().find(usable).cloned()),
            Err(_) => None,
        }
    }

    /// The wheel of a version, ready on disk, with the candidate it came from. A
    /// cache server whose file fails (missing, wrong hash, wrong metadata) is
    /// skipped from then on, and the next source's file is tried.
    pub fn fetch(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<(Candidate, LocalWheel), FindError> {
        self.with_fallback(name, version, |candidate| self.wheel_file(candidate))
    }

    /// The wheel of a version from the first of its files whose sha256 is one of
    /// `allowed` (a requirements file's `--hash` values), as pip chooses: a file with
    /// another hash (another build of the version, say) is passed over for the next
    /// source's, unread where the listing gives its hash, and its source stays in use.
    /// An sdist's own hash is checked before it is built.
    pub fn fetch_allowed(
        &self,
        name: &PackageName,
        version: &Version,
        allowed: &[String],
    ) -> Result<(Candidate, LocalWheel), FindError> {
        let mut refused = Vec::new();
        loop {
            let fetched = self.with_fallback(name, version, |candidate| {
                let actual = self.sha256_of(candidate)?;
                if !allowed
                    .iter()
                    .any(|hash| hash.eq_ignore_ascii_case(&actual))
                {
                    return Ok(Err(actual));
                }
                self.wheel_file(candidate).map(Ok)
            });
            match fetched {
                Ok((candidate, Ok(wheel))) => return Ok((candidate, wheel)),
                Ok((candidate, Err(sha256))) => {
                    let file = candidate.file.filename.clone();
                    lock(&self.learned.refused).push((candidate.source, file.clone()));
                    refused.push(RefusedFile {
                        file,
                        source: self
                            .sources
                            .get(candidate.source)
                            .map(ToString::to_string)
                            .unwrap_or_default(),
                        sha256,
                    });
                }
                Err(FindError::NotFound { .. }) if !refused.is_empty() => {
                    return Err(FindError::Hash(Box::new(NoAllowedFile {
                        name: name.clone(),
                        version: version.clone(),
                        refused,
                    })));
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// A file's sha256: the listing's, where a download will be held to it; else
    /// that of its bytes on disk (a find-links folder's file, read in place).
    fn sha256_of(&self, candidate: &Candidate) -> Result<String, FindError> {
        match candidate.listed_sha256() {
            Some(sha) if candidate.file.url.to_file_path().is_none() => {
                Ok(sha.to_ascii_lowercase())
            }
            _ => {
                let path = self.local_file(candidate)?;
                crate::util::digest::sha256_file(&path)
                    .context("read", &path)
                    .map_err(FindError::Cache)
            }
        }
    }

    /// A failed build is not the cache server's fault (the same sdist fails from
    /// anywhere), so it keeps the server in use; a guessed build that fails must not
    /// take the server away from the rest of the install.
    fn with_fallback<T>(
        &self,
        name: &PackageName,
        version: &Version,
        work: impl Fn(&Candidate) -> Result<T, FindError>,
    ) -> Result<(Candidate, T), FindError> {
        loop {
            let candidate = self
                .best(name, version)
                .ok_or_else(|| FindError::NotFound {
                    name: name.clone(),
                    sources: self.sources.len(),
                })?;
            match work(&candidate) {
                Err(e) if self.from_cache(&candidate) && !matches!(e, FindError::Build { .. }) => {
                    self.mark_down(candidate.source, &e.to_string())
                }
                other => return other.map(|value| (candidate, value)),
            }
        }
    }

    /// The core metadata of a version, from its PEP 658 file or its wheel.
    pub fn core_metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Arc<CoreMetadata>, FindError> {
        let key = (name.clone(), version.clone());
        if let Some(found) = lock(&self.learned.metadata).get(&key) {
            return Ok(Arc::clone(found));
        }
        let (_, parsed) = self.with_fallback(name, version, |candidate| {
            if let Some(metadata) = self.unbuilt_metadata(candidate)? {
                return Ok(metadata);
            }
            let raw = self.raw_metadata(candidate)?;
            let parsed = CoreMetadata::parse(&raw).map_err(|e| FindError::Metadata {
                file: candidate.file.filename.clone(),
                cause: Box::new(MetadataCause::Parse(e)),
            })?;
            check_identity(candidate, &parsed, name, version)?;
            Ok(parsed)
        })?;
        let parsed = Arc::new(parsed);
        lock(&self.learned.metadata).insert(key, Arc::clone(&parsed));
        Ok(parsed)
    }

    /// The METADATA file of a version as its source has it, for reports that
    /// show every field: from its PEP 658 file or its wheel, fetched or built once.
    pub fn raw_core_metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<(Candidate, Vec<u8>), FindError> {
        self.with_fallback(name, version, |candidate| self.raw_metadata(candidate))
    }

    fn raw_metadata(&self, candidate: &Candidate) -> Result<Vec<u8>, FindError> {
        if let Some(url) = candidate.file.metadata_url() {
            let kept = self.kept_metadata(candidate);
            if let Some(body) = kept
                .as_deref()
                .and_then(|path| read_bounded(path, MAX_METADATA_BYTES).ok())
                .filter(|body| metadata_matches(candidate, body))
            {
                return Ok(body);
            }
            let fetched = self.client.get(&url, "*/*").map_err(FindError::Fetch);
            match fetched {
                Ok(response) if response.status == 200 => {
                    if metadata_matches(candidate, &response.body) {
                        if let Some(path) = kept {
                            keep(&path, &response.body);
                        }
                        return Ok(response.body);
                    }
                    self.warn(format!(
                        "the metadata of `{}` does not match its hash; reading the wheel instead",
                        candidate.file.filename
                    ));
                }
                // An index that advertises metadata it cannot serve costs a download, not an error.
                _ => {}
            }
        }
        let wheel = self.wheel_file(candidate)?;
        if let Some(ahead) = self.ahead
            && candidate.wheel().is_some()
            && wheel.path.starts_with(self.cache.root())
        {
            let dest = self.cache.unpacked_dir(&candidate.cache_key());
            ahead.queue(&wheel.path, &wheel.filename, dest);
        }
        read_wheel_metadata(&wheel.path, &wheel.filename).map_err(|e| FindError::Metadata {
            file: candidate.file.filename.clone(),
            cause: Box::new(MetadataCause::Read(e)),
        })
    }

    /// Where a wheel's PEP 658 file is kept once fetched: beside the wheel in the
    /// cache, under the wheel's hash, which fixes its METADATA. A warm run reads it
    /// there instead of asking the index again, a round trip less on the resolver's
    /// path for every project.
    fn kept_metadata(&self, candidate: &Candidate) -> Option<PathBuf> {
        // Without the listing's hash of the file, a short one a crash left could
        // not be told from the whole.
        if !matches!(
            candidate.file.core_metadata,
            MetadataAvailability::Sha256(_)
        ) {
            return None;
        }
        candidate.wheel()?;
        let key @ CacheKey::Sha256(_) = candidate.cache_key() else {
            return None;
        };
        let name = format!("{}.metadata", candidate.file.filename);
        Some(self.cache.archive_dir(&key).join(name))
    }

    /// An sdist's metadata, when its PKG-INFO or its `pyproject.toml` tells the
    /// resolver enough without a build: a Requires-Python that leaves this
    /// interpreter out (PKG-INFO's from Metadata 1.2 on), or dependencies marked
    /// static (Metadata 2.2, PEP 643; or `[project]`, PEP 621). Otherwise the
    /// sdist is built, as it is when its archive cannot be read: the build then
    /// says why. An index's PEP 658 file is cheaper, and read instead.
    fn unbuilt_metadata(&self, candidate: &Candidate) -> Result<Option<CoreMetadata>, FindError> {
        let DistFilename::Sdist(sdist) = &candidate.filename else {
            return Ok(None);
        };
        if candidate.file.metadata_url().is_some() {
            return Ok(None);
        }
        let path = self.local_file(candidate)?;
        let Ok(files) = read_sdist_files(&path, sdist) else {
            return Ok(None);
        };
        let pkg_info = files
            .pkg_info
            .and_then(|raw| CoreMetadata::parse(&raw).ok());
        let project = files
            .pyproject
            .filter(|raw| raw.len() as u64 <= MAX_PYPROJECT_BYTES)
            .and_then(|raw| String::from_utf8(raw).ok())
            .and_then(|text| parse_pyproject(&path.join("pyproject.toml"), &text).ok())
            .and_then(|pyproject| pyproject.project?.core_metadata());
        let tells = |metadata: &CoreMetadata| {
            let excluded = !metadata.is_dynamic("Requires-Python")
                && self
                    .check_python(metadata.requires_python.as_deref())
                    .is_err();
            metadata.check_identity(&sdist.name, &sdist.version).is_ok()
                && (excluded || metadata.has_static_dependencies())
        };
        Ok([pkg_info, project].into_iter().flatten().find(tells))
    }

    /// The wheel to install for a candidate: its own file, or the wheel built from it.
    pub fn wheel_file(&self, candidate: &Candidate) -> Result<LocalWheel, FindError> {
        if let Some(wheel) = candidate.wheel() {
            let direct = match candidate.source {
                DIRECT => lock(&self.learned.direct).get(&wheel.name).copied(),
                _ => None,
            };
            let (path, cached) = self.cached_file(candidate)?;
            return Ok(LocalWheel {
                path,
                filename: wheel.clone(),
                cached,
                origin: match direct {
                    Some(origin) => origin,
                    None => match self.sources.get(candidate.source) {
                        Some(Source::Cache(_)) => Origin::CacheServer,
                        Some(Source::Folder(_) | Source::Page(_)) => Origin::Links,
                        Some(Source::Index(_)) | None => Origin::Index,
                    },
                },
            });
        }
        let fail = |source: Arc<DispatchError>| FindError::Build {
            file: candidate.file.filename.clone(),
            source,
        };
        let builder = self
            .builder
            .ok_or_else(|| fail(Arc::new(DispatchError::Off)))?;
        let built = builder.build(self, candidate).map_err(fail)?;
        let name = built
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        match DistFilename::parse(name) {
            Ok(DistFilename::Wheel(wheel))
                if &wheel.name == candidate.filename.name()
                    && &wheel.version == candidate.filename.version() =>
            {
                Ok(LocalWheel {
                    path: built.path.clone(),
                    filename: wheel,
                    origin: Origin::Built { fresh: built.fresh },
                    cached: !built.fresh,
                })
            }
            Ok(DistFilename::Wheel(_)) => Err(fail(Arc::new(DispatchError::Made {
                file: name.to_string(),
                reason: "another project or version",
            }))),
            _ => Err(fail(Arc::new(DispatchError::Made {
                file: name.to_string(),
                reason: "not a wheel",
            }))),
        }
    }

    /// The file on local disk: a find-links folder's own file, or a download into the
    /// cache (once: a cached copy is reused, as its name is its hash).
    pub fn local_file(&self, candidate: &Candidate) -> Result<PathBuf, FindError> {
        self.cached_file(candidate).map(|(path, _)| path)
    }

    /// [`Finder::local_file`], and whether the cache held it already.
    fn cached_file(&self, candidate: &Candidate) -> Result<(PathBuf, bool), FindError> {
        if let Some(path) = candidate.file.url.to_file_path() {
            return Ok((path, false));
        }
        let dir = self.cache.archive_dir(&candidate.cache_key());
        let dest = dir.join(&candidate.file.filename);
        self.cache.filling(&dest, || {
            if dest.is_file() {
                let reused = !lock(&self.learned.fetched).contains(&dest);
                return Ok((dest.clone(), reused));
            }
            std::fs::create_dir_all(&dir)
                .context("create cache folder", &dir)
                .map_err(FindError::Cache)?;
            self.client
                .download(&candidate.file.url, &dest, candidate.file.sha256.as_deref())
                .map_err(FindError::Fetch)?;
            lock(&self.learned.fetched).insert(dest.clone());
            Ok((dest.clone(), false))
        })
    }

    /// Whether a file came from a cache server.
    pub fn from_cache(&self, candidate: &Candidate) -> bool {
        self.sources
            .get(candidate.source)
            .is_some_and(Source::is_cache)
    }

    /// The run's limit on threads, for work that goes with the finder's.
    pub fn jobs(&self) -> &'a Jobs {
        self.jobs
    }
}

impl Provider for Finder<'_> {
    type Error = Arc<FindError>;

    fn versions(&self, name: &PackageName) -> Result<Vec<Version>, Arc<FindError>> {
        match &*self.candidates(name) {
            Ok(listing) => Ok(listing.usable.keys().rev().cloned().collect()),
            Err(e) => Err(Arc::clone(e)),
        }
    }

    fn unusable(&self, name: &PackageName) -> Vec<(Version, Unusable)> {
        match &*self.candidates(name) {
            Ok(listing) => listing
                .unusable
                .iter()
                .rev()
                .map(|(version, reason)| (version.clone(), reason.clone()))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// A version whose metadata excludes the interpreter, or whose Requires-Dist
    /// does not parse, is unusable: installing it without a dependency would leave
    /// a broken environment. The latter is said, as the resolver may quietly settle
    /// on an older version.
    fn dependencies(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Dependencies, Arc<FindError>> {
        let metadata = self.core_metadata(name, version).map_err(Arc::new)?;
        if let Err(reason) = self.check_python(metadata.requires_python.as_deref()) {
            return Ok(Dependencies::Unusable(reason));
        }
        let mut out = Vec::new();
        let direct = lock(&self.learned.direct);
        for line in &metadata.requires_dist {
            match line.parse::<Requirement>() {
                // A project given by path or URL is the one candidate of its name: a
                // dependency's URL for it stands for that one, as in pip and uv.
                Ok(mut r) if direct.contains_key(&r.name) => {
                    if matches!(r.version_or_url, Some(VersionOrUrl::Url(_))) {
                        r.version_or_url = None;
                    }
                    out.push(r)
                }
                Ok(r) => out.push(r),
                Err(e) => {
                    let reason = Unusable::InvalidRequirement(Box::new(e));
                    self.warn(format!("{name} {version} {reason}, so it is not used"));
                    return Ok(Dependencies::Unusable(reason));
                }
            }
        }
        Ok(Dependencies::Known(out))
    }

    /// Looks up the projects and reads the metadata of their likely versions, all at
    /// once: for an sdist that is its build, which the resolver's own question then
    /// waits for instead of starting it later. A wrong guess costs time, never the
    /// install: its failure is dropped here, and met again (the builder keeps it) only
    /// if the resolver chooses that version.
    fn prefetch(&self, hints: &[Hint], lookahead: Lookahead<'_>) {
        // Once a project the resolver asked for turns out to have no version here,
        // the resolution is likely to fail: nothing more is followed for it.
        let missing = AtomicBool::new(false);
        let seeds = hints.iter().map(|hint| (hint.clone(), false)).collect();
        self.jobs.crawl(seeds, |(hint, followed)| {
            if followed && missing.load(Ordering::Relaxed) {
                return Vec::new();
            }
            let versions = self.versions(&hint.name).unwrap_or_default();
            let Some(version) = hint.likely(&versions) else {
                if !followed {
                    missing.store(true, Ordering::Relaxed);
                }
                return Vec::new();
            };
            // A project met only by following a guess is read from a wheel or its
            // metadata file, never built: its build would run code for a version
            // the resolver may never choose.
            if followed
                && self
                    .best(&hint.name, version)
                    .is_none_or(|c| c.wheel().is_none() && c.file.metadata_url().is_none())
            {
                return Vec::new();
            }
            match self.core_metadata(&hint.name, version) {
                Ok(metadata)
                    if self
                        .check_python(metadata.requires_python.as_deref())
                        .is_ok() =>
                {
                    let requirements: Vec<Requirement> = metadata
                        .requires_dist
                        .iter()
                        .filter_map(|line| line.parse().ok())
                        .collect();
                    let next = lookahead.after(&hint, &requirements);
                    next.into_iter().map(|hint| (hint, true)).collect()
                }
                _ => Vec::new(),
            }
        });
    }
}

/// Which of the reasons the files of one version give is said: the first that
/// holds for the whole version.
fn weight(reason: &Unusable) -> u8 {
    match reason {
        Unusable::Yanked { .. } => 0,
        Unusable::RequiresPython { .. } => 1,
        // The flags are the reason a person can change, so they are said first.
        Unusable::OnlyBinary | Unusable::NoBinary => 2,
        Unusable::NoWheel | Unusable::InvalidRequirement(_) => 3,
    }
}

/// A file's metadata must be the project and version it was chosen for: anything else
/// would install another project, or one version under another's name.
/// Whether a PEP 658 file is the one the listing names, where it gives its hash.
fn metadata_matches(candidate: &Candidate, body: &[u8]) -> bool {
    match &candidate.file.core_metadata {
        MetadataAvailability::Sha256(expected) => {
            crate::util::digest::sha256_hex(body).eq_ignore_ascii_case(expected)
        }
        _ => true,
    }
}

/// Writes a fetched PEP 658 file into the cache. The cache is a convenience: a
/// file that cannot be kept is fetched again next time.
fn keep(path: &Path, body: &[u8]) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = write_unsynced(path, body);
}

fn check_identity(
    candidate: &Candidate,
    metadata: &CoreMetadata,
    name: &PackageName,
    version: &Version,
) -> Result<(), FindError> {
    metadata
        .check_identity(name, version)
        .map_err(|error| FindError::Metadata {
            file: candidate.file.filename.clone(),
            cause: Box::new(MetadataCause::Identity {
                error,
                says: format!("{} {}", metadata.name, metadata.version),
                expected: format!("{name} {version}"),
            }),
        })
}

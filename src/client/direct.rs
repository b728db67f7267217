//! Projects named by where they are rather than by name: a project folder, a wheel
//! or an sdist on disk, a URL (PEP 508's `name @ url`), a git repository, and
//! editable folders (PEP 660).
//!
//! <https://peps.python.org/pep-0508/> (direct references),
//! <https://packaging.python.org/en/latest/specifications/direct-url-data-structure/>
//! (`direct_url.json`, PEP 610), <https://peps.python.org/pep-0660/> (editables).
//!
//! Each becomes one wheel before resolving, whose name and version then stand
//! fixed: the resolver sees that one version, so a requirement on the project from
//! anywhere else in the graph must accept it, as in pip and uv; the installer writes
//! where it came from into `direct_url.json`.
//!
//! Traps:
//! - A string is a path as pip reads one: it starts with `.` or holds a `/` and
//!   names a folder, or it ends like an archive. A bare `proj` is a project name
//!   even when a folder of that name is here.
//! - Paths in a requirements file are relative to that file.
//! - `direct_url.json` keeps a URL's credentials only when they are environment
//!   variables (`${USER}:${TOKEN}`), or the `git` user of a git URL, as pip does;
//!   anything else is a secret and is dropped.
//! - The wheels of a folder and of an editable are never cached nor uploaded: the
//!   folder may change under the same path. A wheel built from an archive (whose
//!   hash is known) or a git commit is cached like an sdist's.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::archive::unpack::unpack_sdist;
use crate::client::cache::{Cache, CacheKey};
use crate::client::dispatch::{Builder, Flavor, keep};
use crate::client::error::DispatchError;
use crate::client::fetch::{Client, FetchError};
use crate::client::find::{Finder, Origin};
use crate::standards::filename::{DistFilename, FilenameError, WheelFilename};
use crate::standards::marker::{MarkerEnvironment, MarkerTree};
use crate::standards::name::{ExtraName, PackageName};
use crate::standards::requirement::{Requirement, VersionOrUrl};
use crate::standards::url::{Url, UrlError, recorded, redact_str};
use crate::standards::version::Version;
use crate::util::fs::{Context, FsError};

mod git;

pub use self::git::{GitSource, frozen_editable};

/// Where a direct requirement's project is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A project folder (absolute).
    Folder(PathBuf),
    /// A wheel or an sdist on disk (absolute).
    Archive(PathBuf),
    /// A wheel or an sdist to download; as written, without its fragment, and the
    /// sha256 its fragment pins.
    Url {
        url: Url,
        written: String,
        sha256: Option<String>,
    },
    /// A git repository, at a revision, maybe in a subfolder.
    Git(GitSource),
}

/// A requirement that names where its project is.
#[derive(Clone, Debug)]
pub struct DirectRequest {
    /// The name given with `name @ url`, which the project found there must have.
    pub name: Option<PackageName>,
    pub extras: Vec<ExtraName>,
    pub marker: Option<MarkerTree>,
    pub location: Location,
    /// `-e`: installed pointing at its folder.
    pub editable: bool,
    /// As written, its credentials masked: what messages show.
    pub given: String,
}

/// A direct requirement made into a wheel: the one candidate of its project.
#[derive(Clone, Debug)]
pub struct DirectDist {
    pub name: PackageName,
    pub version: Version,
    pub extras: Vec<ExtraName>,
    pub marker: Option<MarkerTree>,
    pub wheel: PathBuf,
    pub filename: WheelFilename,
    /// The text of `direct_url.json`.
    pub direct_url: String,
    /// Whether `-u` may share the wheel: it is, or was built from, a source that
    /// cannot change (an archive of known hash, a git commit).
    pub shareable: bool,
    pub origin: Origin,
    pub given: String,
}

impl DirectDist {
    /// The requirement the resolver sees: this exact version.
    pub fn requirement(&self) -> Requirement {
        let pin = format!("=={}", self.version);
        Requirement {
            name: self.name.clone(),
            extras: self.extras.clone(),
            version_or_url: pin.parse().ok().map(VersionOrUrl::VersionSpecifier),
            marker: self.marker.clone(),
        }
    }

    /// Whether the project installed with `direct_url.json` text `installed` came
    /// from the same source, unchanged: a folder may have changed, so it never did.
    pub fn installed_as(&self, installed: &str) -> bool {
        let parsed = serde_json::from_str::<Value>(installed).ok();
        let same = parsed == serde_json::from_str::<Value>(&self.direct_url).ok();
        same && parsed.is_some_and(|v| v.get("dir_info").is_none())
    }
}

/// Why a direct requirement could not be made into a wheel.
#[derive(Debug)]
pub enum DirectError {
    /// It looks like a path, and there is nothing there.
    Missing { given: String },
    /// A folder without `pyproject.toml` or `setup.py`.
    NotAProject { given: String },
    /// `-e` given something other than a project folder.
    EditableNotFolder { given: String },
    /// `-e git+…` without `#egg=name`, which names its checkout.
    EditableWithoutName { given: String },
    /// A URL or file that is neither a wheel nor an sdist.
    NotAnArchive { given: String },
    /// A wheel whose file name does not parse.
    Filename { given: String, error: FilenameError },
    /// A version control system other than git.
    Vcs { given: String, scheme: String },
    /// A URL that does not parse.
    Url { given: String, error: UrlError },
    /// Downloading failed, or the download did not match its hash.
    Fetch {
        given: String,
        error: Box<FetchError>,
    },
    /// Building the project failed.
    Build {
        given: String,
        error: Box<DispatchError>,
    },
    /// git failed.
    Git { given: String, error: git::GitError },
    /// A file or folder could not be read or written.
    Io(FsError),
    /// `name @ url` where the URL holds another project.
    NameMismatch {
        given: String,
        expected: PackageName,
        found: PackageName,
    },
    /// Two different sources for one project.
    Conflict {
        name: PackageName,
        first: String,
        second: String,
    },
}

impl fmt::Display for DirectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DirectError::Missing { given } => write!(
                f,
                "`{}` looks like a path, but there is no such file or folder",
                given
            ),
            DirectError::NotAProject { given } => write!(
                f,
                "`{}` is not a Python project: expected `pyproject.toml` or `setup.py` in it",
                given
            ),
            DirectError::EditableNotFolder { given } => {
                write!(f, "-e `{}`: expected a project folder", given)
            }
            DirectError::EditableWithoutName { given } => write!(
                f,
                "-e `{given}`: expected `#egg=NAME` at the end, to name the checkout"
            ),
            DirectError::NotAnArchive { given } => write!(
                f,
                "`{}`: expected a wheel (.whl), an sdist (.tar.gz, .zip) or a project folder",
                given
            ),
            DirectError::Filename { given, error } => {
                write!(f, "`{given}`: {error}")
            }
            DirectError::Vcs { given, scheme } => write!(
                f,
                "`{}`: `{scheme}+` URLs are not supported: expected `git+`",
                given
            ),
            DirectError::Url { given, error } => write!(f, "`{given}`: {error}"),
            DirectError::Fetch { given, error } => write!(f, "`{given}`: {error}"),
            DirectError::Build { given, error } => {
                write!(f, "cannot build `{given}`: {error}")
            }
            DirectError::Git { given, error } => write!(f, "`{given}`: {error}"),
            DirectError::Io(e) => e.fmt(f),
            DirectError::NameMismatch {
                given,
                expected,
                found,
            } => write!(f, "`{}` holds the project {found}, not {expected}", given),
            DirectError::Conflict {
                name,
                first,
                second,
            } => write!(
                f,
                "{name} is required from two places: `{}` and `{}`",
                first, second
            ),
        }
    }
}

/// Each variant's text already says its cause's, so `source` goes one step past it.
impl std::error::Error for DirectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DirectError::Fetch { error, .. } => error.source(),
            DirectError::Build { error, .. } => error.source(),
            DirectError::Io(e) => e.source(),
            _ => None,
        }
    }
}

/// How a direct requirement is shown: as written, its credentials masked. The `@`
/// of `name @ url` and of a git revision are no user's, so only the URL's (or the
/// repository's) own user information is masked.
fn shown(text: &str) -> String {
    if let Some((name, url)) = text.split_once('@')
        && !name.contains("://")
        && has_scheme(url.trim_start())
    {
        let url = url.trim_start();
        return format!("{name}@ {}", shown(url));
    }
    if let Some(rest) = text.strip_prefix("git+")
        && let Ok(source) = GitSource::parse(rest)
    {
        let mut out = format!("git+{}", redact_str(&source.url));
        if let Some(rev) = &source.rev {
            out = out + "@" + rev;
        }
        if let Some((_, fragment)) = text.split_once('#') {
            out = out + "#" + fragment;
        }
        return out;
    }
    redact_str(text)
}

/// The suffixes of the archives pip installs by path.
const ARCHIVES: [&str; 3] = [".whl", ".tar.gz", ".zip"];

/// Reads a requirement that names a place, relative to `base` (the current folder,
/// or the requirements file's): `None` when it names a project by name (and
/// version), to be read as such.
pub fn parse(
    text: &str,
    base: &Path,
    editable: bool,
) -> Result<Option<DirectRequest>, DirectError> {
    let text = text.trim();
    let given = shown(text);
    if editable && let Some(rest) = text.strip_prefix("git+") {
        let source = GitSource::parse(rest).map_err(|error| DirectError::Git {
            given: given.clone(),
            error,
        })?;
        let Some(egg) = source.egg.clone() else {
            return Err(DirectError::EditableWithoutName { given });
        };
        let (name, extras) = split_extras(&egg);
        let name = PackageName::new(name).map_err(|_| DirectError::EditableWithoutName {
            given: given.clone(),
        })?;
        return Ok(Some(DirectRequest {
            editable: true,
            ..request(Some(name), extras, None, Location::Git(source), given)
        }));
    }
    if editable {
        let (path, extras) = split_extras(text);
        let folder = std::path::absolute(base.join(path)).context("resolve", Path::new(path));
        let folder = folder.map_err(DirectError::Io)?;
        if !folder.is_dir() {
            return Err(if folder.exists() || has_scheme(text) {
                DirectError::EditableNotFolder { given }
            } else {
                DirectError::Missing { given }
            });
        }
        return project_folder(folder, extras, given, true).map(Some);
    }
    if has_scheme(text) {
        let location = from_url(text, base, &given)?;
        return Ok(Some(request(None, Vec::new(), None, location, given)));
    }
    let (path, extras) = split_extras(text);
    let looks_like_path = path.starts_with('.') || path.contains('/');
    let archive = ARCHIVES.iter().any(|suffix| path.ends_with(suffix));
    if looks_like_path || archive {
        let full = std::path::absolute(base.join(path)).context("resolve", Path::new(path));
        let full = full.map_err(DirectError::Io)?;
        if looks_like_path && full.is_dir() {
            return project_folder(full, extras, given, false).map(Some);
        }
        if archive && full.is_file() {
            let location = Location::Archive(full);
            return Ok(Some(request(None, extras, None, location, given)));
        }
        // `name @ url` holds a `/` too, and is read as the requirement it is.
        let before_at = text.split_once('@').map(|(name, _)| name.trim());
        if before_at.is_none_or(|name| name.starts_with('.') || name.contains('/')) {
            return Err(DirectError::Missing { given });
        }
    }
    let Ok(requirement) = text.parse::<Requirement>() else {
        return Ok(None);
    };
    from_requirement(requirement, base).map(|r| r.map(|r| DirectRequest { given, ..r }))
}

/// A parsed requirement that is `name @ url`, as a direct one; `None` for others.
pub fn from_requirement(
    requirement: Requirement,
    base: &Path,
) -> Result<Option<DirectRequest>, DirectError> {
    let Some(VersionOrUrl::Url(url)) = &requirement.version_or_url else {
        return Ok(None);
    };
    let given = shown(&format!("{} @ {url}", requirement.name));
    let location = from_url(url, base, &given)?;
    Ok(Some(request(
        Some(requirement.name),
        requirement.extras,
        requirement.marker,
        location,
        given,
    )))
}

fn request(
    name: Option<PackageName>,
    extras: Vec<ExtraName>,
    marker: Option<MarkerTree>,
    location: Location,
    given: String,
) -> DirectRequest {
    DirectRequest {
        name,
        extras,
        marker,
        location,
        editable: false,
        given,
    }
}

fn project_folder(
    folder: PathBuf,
    extras: Vec<ExtraName>,
    given: String,
    editable: bool,
) -> Result<DirectRequest, DirectError> {
    if !folder.join("pyproject.toml").is_file() && !folder.join("setup.py").is_file() {
        return Err(DirectError::NotAProject { given });
    }
    Ok(DirectRequest {
        editable,
        ..request(None, extras, None, Location::Folder(folder), given)
    })
}

/// Whether the text starts with a URL scheme and `://`.
fn has_scheme(text: &str) -> bool {
    text.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    })
}

/// `path[extra,other]` as the path and its extras; extras that are not names are
/// left in the path, to be reported as a path that is not there.
fn split_extras(text: &str) -> (&str, Vec<ExtraName>) {
    if let Some(open) = text.rfind('[')
        && let Some(inner) = text[open + 1..].strip_suffix(']')
    {
        let extras: Result<Vec<ExtraName>, _> = inner
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(ExtraName::new)
            .collect();
        if let Ok(extras) = extras {
            return (&text[..open], extras);
        }
    }
    (text, Vec::new())
}

/// Where a URL points: a git repository, a file or folder on disk, or a download.
fn from_url(text: &str, base: &Path, given: &str) -> Result<Location, DirectError> {
    let given = given.to_string();
    if let Some(rest) = text.strip_prefix("git+") {
        return GitSource::parse(rest)
            .map(Location::Git)
            .map_err(|error| DirectError::Git { given, error });
    }
    if let Some((scheme, _)) = text.split_once('+')
        && ["hg", "svn", "bzr"].contains(&scheme)
    {
        let scheme = scheme.to_string();
        return Err(DirectError::Vcs { given, scheme });
    }
    let (written, _) = text.split_once('#').unwrap_or((text, ""));
    let url = Url::parse(text).map_err(|error| DirectError::Url {
        given: given.clone(),
        error,
    })?;
    if let Some(path) = url.to_file_path() {
        let path = base.join(path);
        if path.is_dir() {
            return Ok(Location::Folder(path));
        }
        if path.is_file() {
            return Ok(Location::Archive(path));
        }
        return Err(DirectError::Missing { given });
    }
    Ok(Location::Url {
        sha256: url.fragment_sha256(),
        url: url.without_fragment(),
        written: written.to_string(),
    })
}

/// What making wheels of direct requirements needs.
pub struct Maker<'a> {
    pub builder: &'a Builder<'a>,
    pub finder: &'a Finder<'a>,
    pub cache: &'a Cache,
    pub client: &'a Client,
    /// Where the wheels of folders are kept for the run.
    pub scratch: &'a Path,
    /// Where editable git checkouts go: the environment's `src/`, as in pip.
    pub src: &'a Path,
}

impl Maker<'_> {
    /// Makes each request whose marker holds here into a wheel; two different
    /// sources for one project are an error that names both.
    pub fn make_all(
        &self,
        requests: &[DirectRequest],
        markers: &MarkerEnvironment,
    ) -> Result<Vec<DirectDist>, DirectError> {
        let mut made: Vec<DirectDist> = Vec::new();
        for request in requests {
            if request
                .marker
                .as_ref()
                .is_some_and(|m| !m.evaluate(markers, &[]))
            {
                continue;
            }
            let dist = self.make(request)?;
            match made.iter_mut().find(|d| d.name == dist.name) {
                Some(other) if other.direct_url != dist.direct_url => {
                    return Err(DirectError::Conflict {
                        name: dist.name,
                        first: other.given.clone(),
                        second: dist.given,
                    });
                }
                Some(other) => {
                    for extra in dist.extras {
                        if !other.extras.contains(&extra) {
                            other.extras.push(extra);
                        }
                    }
                }
                None => made.push(dist),
            }
        }
        Ok(made)
    }

    fn make(&self, request: &DirectRequest) -> Result<DirectDist, DirectError> {
        let given = &request.given;
        let (wheel, origin, direct_url, shareable) = match &request.location {
            Location::Folder(folder) => {
                let (flavor, info) = if request.editable {
                    (Flavor::Editable, json!({"editable": true}))
                } else {
                    (Flavor::Wheel, json!({}))
                };
                let wheel = self.build_folder(folder, flavor, given)?;
                let url = file_url(folder, given)?;
                let direct_url = json!({"url": url, "dir_info": info});
                (wheel, Origin::Built { fresh: true }, direct_url, false)
            }
            Location::Archive(path) => {
                let sha256 = crate::util::digest::sha256_file(path)
                    .context("read", path)
                    .map_err(DirectError::Io)?;
                let (wheel, origin) = self.archive(path, &sha256, given)?;
                let url = file_url(path, given)?;
                (wheel, origin, archive_url(&url, &sha256), true)
            }
            Location::Url {
                url,
                written,
                sha256,
            } => {
                let (path, sha256) = self.download(url, sha256.as_deref(), given)?;
                let (wheel, origin) = self.archive(&path, &sha256, given)?;
                let direct_url = archive_url(&recorded(written, false), &sha256);
                (wheel, origin, direct_url, true)
            }
            Location::Git(source) if request.editable => {
                let git = |error| DirectError::Git {
                    given: given.clone(),
                    error,
                };
                let name = request.name.as_ref().map(|n| n.to_string());
                let dest = self.src.join(name.unwrap_or_default());
                std::fs::create_dir_all(self.src)
                    .context("create", self.src)
                    .map_err(DirectError::Io)?;
                source.clone_into(&dest).map_err(git)?;
                let folder = match &source.subdirectory {
                    Some(sub) => dest.join(sub),
                    None => dest.clone(),
                };
                let wheel = self.build_folder(&folder, Flavor::Editable, given)?;
                let url = file_url(&folder, given)?;
                let direct_url = json!({"url": url, "dir_info": {"editable": true}});
                (wheel, Origin::Built { fresh: true }, direct_url, false)
            }
            Location::Git(source) => {
                let checkout = source
                    .checkout(self.cache)
                    .map_err(|error| DirectError::Git {
                        given: given.clone(),
                        error,
                    })?;
                let key = CacheKey::Url(checkout.key());
                let (wheel, origin) = self.built_once(&key, given, |out| {
                    let (_work, folder) =
                        checkout
                            .tree(self.cache)
                            .map_err(|error| DirectError::Git {
                                given: given.clone(),
                                error,
                            })?;
                    if !folder.join("pyproject.toml").is_file()
                        && !folder.join("setup.py").is_file()
                    {
                        return Err(DirectError::NotAProject {
                            given: given.clone(),
                        });
                    }
                    self.build(&folder, Flavor::Wheel, given, out)
                })?;
                (wheel, origin, checkout.direct_url(), true)
            }
        };
        let filename = wheel_filename(&wheel, given)?;
        if let Some(expected) = &request.name
            && expected != &filename.name
        {
            return Err(DirectError::NameMismatch {
                given: given.clone(),
                expected: expected.clone(),
                found: filename.name,
            });
        }
        Ok(DirectDist {
            name: filename.name.clone(),
            version: filename.version.clone(),
            extras: request.extras.clone(),
            marker: request.marker.clone(),
            wheel,
            filename,
            direct_url: direct_url.to_string(),
            shareable,
            origin,
            given: given.clone(),
        })
    }

    /// The wheel of a folder, built afresh into the run's scratch folder.
    fn build_folder(
        &self,
        folder: &Path,
        flavor: Flavor,
        given: &str,
    ) -> Result<PathBuf, DirectError> {
        let out = self.scratch.join(crate::util::fs::temp_name("wheel"));
        self.build(folder, flavor, given, &out)
    }

    fn build(
        &self,
        folder: &Path,
        flavor: Flavor,
        given: &str,
        out: &Path,
    ) -> Result<PathBuf, DirectError> {
        let label = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "project".into());
        self.builder
            .build_tree(self.finder, folder, &label, flavor, out)
            .map_err(|error| DirectError::Build {
                given: given.to_string(),
                error: Box::new(error),
            })
    }

    /// A wheel file is its own wheel; an sdist is built, once per hash.
    fn archive(
        &self,
        path: &Path,
        sha256: &str,
        given: &str,
    ) -> Result<(PathBuf, Origin), DirectError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".whl") {
            return Ok((path.to_path_buf(), Origin::Direct));
        }
        if !name.ends_with(".tar.gz") && !name.ends_with(".zip") {
            return Err(DirectError::NotAnArchive {
                given: given.to_string(),
            });
        }
        let key = CacheKey::Sha256(sha256.to_string());
        self.built_once(&key, given, |out| {
            let work = self.cache.work_dir("unpack").map_err(DirectError::Io)?;
            let project =
                unpack_sdist(path, &work.path().join("src")).map_err(|e| DirectError::Build {
                    given: given.to_string(),
                    error: Box::new(DispatchError::Build(e.into())),
                })?;
            self.build(&project, Flavor::Wheel, given, out)
        })
    }

    /// The wheel the cache keeps for `key`, or the one `build` makes into a work
    /// folder, then kept there.
    fn built_once(
        &self,
        key: &CacheKey,
        given: &str,
        build: impl FnOnce(&Path) -> Result<PathBuf, DirectError>,
    ) -> Result<(PathBuf, Origin), DirectError> {
        let (done, found) = self.builder.built(key);
        if let Some(wheel) = found {
            return Ok((wheel, Origin::Built { fresh: false }));
        }
        let work = self.cache.work_dir("build").map_err(DirectError::Io)?;
        let wheel = build(&work.path().join("out"))?;
        let kept = keep(&wheel, &done).map_err(|error| DirectError::Build {
            given: given.to_string(),
            error: Box::new(error),
        })?;
        Ok((kept, Origin::Built { fresh: true }))
    }

    /// Downloads a URL: into the cache under its hash when the URL pins one (and
    /// once), else into the scratch folder. Gives the file and its sha256.
    fn download(
        &self,
        url: &Url,
        sha256: Option<&str>,
        given: &str,
    ) -> Result<(PathBuf, String), DirectError> {
        let name = url
            .filename()
            .filter(|n| ARCHIVES.iter().any(|suffix| n.ends_with(suffix)))
            .ok_or_else(|| DirectError::NotAnArchive {
                given: given.to_string(),
            })?;
        let fetch = |dest: &Path| {
            self.client
                .download(url, dest, sha256)
                .map_err(|error| DirectError::Fetch {
                    given: given.to_string(),
                    error: Box::new(error),
                })
        };
        let dir = match sha256 {
            Some(sha) => self.cache.archive_dir(&CacheKey::Sha256(sha.to_string())),
            None => self.scratch.join(crate::util::fs::temp_name("download")),
        };
        std::fs::create_dir_all(&dir)
            .context("create", &dir)
            .map_err(DirectError::Io)?;
        let dest = dir.join(&name);
        if let Some(sha) = sha256 {
            self.cache.filling(&dest, || match dest.is_file() {
                true => Ok(()),
                false => fetch(&dest).map(drop),
            })?;
            return Ok((dest, sha.to_string()));
        }
        fetch(&dest)?;
        let sha = crate::util::digest::sha256_file(&dest)
            .context("read", &dest)
            .map_err(DirectError::Io)?;
        Ok((dest, sha))
    }
}

fn wheel_filename(wheel: &Path, given: &str) -> Result<WheelFilename, DirectError> {
    let name = wheel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match DistFilename::parse(&name) {
        Ok(DistFilename::Wheel(wheel)) => Ok(wheel),
        Ok(DistFilename::Sdist(_)) => Err(DirectError::NotAnArchive {
            given: given.to_string(),
        }),
        Err(error) => Err(DirectError::Filename {
            given: given.to_string(),
            error,
        }),
    }
}

fn file_url(path: &Path, given: &str) -> Result<String, DirectError> {
    Url::from_file_path(path)
        .map(|url| url.to_string())
        .map_err(|error| DirectError::Url {
            given: given.to_string(),
            error,
        })
}

/// `direct_url.json` of an archive: its hash in both the old and the new field, as
/// pip writes it.
fn archive_url(url: &str, sha256: &str) -> Value {
    json!({
        "url": url,
        "archive_info": {"hash": format!("sha256={sha256}"), "hashes": {"sha256": sha256}},
    })
}

#[cfg(test)]
mod tests;

//! What is installed, and taking it away: the projects an environment's
//! `.dist-info` folders describe, and uninstalling one through its RECORD.
//!
//! - <https://packaging.python.org/en/latest/specifications/recording-installed-packages/>
//!
//! Traps: RECORD is input like any file, and may name paths outside the environment
//! (absolute, `../`, or through a symbolic link), so every path is resolved and the
//! whole RECORD refused before anything is removed; "if the RECORD file is missing,
//! tools ... must not attempt to uninstall"; bytecode Python cached for removed
//! modules goes too, though RECORD does not list it; a folder another project still
//! uses stays.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::bytecode::is_cached_bytecode;
use super::error::InstallError;
use super::layout::{Scheme, absolute};
use super::wheel::{MAX_TEXT_BYTES, parse_record};
use crate::archive::metadata::MAX_METADATA_BYTES;
use crate::standards::metadata::CoreMetadata;
use crate::standards::name::PackageName;
use crate::standards::record::Row;
use crate::standards::version::{Version, VersionParseError};
use crate::util::fs::{Context, FsError, read_bounded, read_dir_if_there};

/// A project installed in an environment, as its `.dist-info` folder describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstalledDist {
    pub name: PackageName,
    pub version: Version,
    pub dist_info: PathBuf,
    /// Its METADATA's `Requires-Dist` lines, as written: what it needs installed
    /// beside it, for telling whether an environment is complete without an index.
    pub requires_dist: Vec<String>,
}

/// The projects found in an environment's site-packages folders.
#[derive(Debug, Default)]
pub struct Inventory {
    /// Sorted by name.
    pub dists: Vec<InstalledDist>,
    /// `.dist-info` folders that could not be read (no METADATA, unparsable
    /// metadata): left out of `dists`, and worth a debug-level note.
    pub broken: Vec<InstallError>,
}

/// What an uninstall removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    /// Files listed in RECORD, and the cached bytecode of its `.py` files.
    pub files: Vec<PathBuf>,
    /// Folders the uninstall emptied, and the `.dist-info` folder.
    pub dirs: Vec<PathBuf>,
}

/// What taking an installed project away removes, worked out and checked before
/// anything is: every file its RECORD lists (less those a new install writes), the
/// cached bytecode of its `.py` files, the folders this may empty, and its
/// `.dist-info` folder.
#[derive(Debug)]
pub struct Removal {
    /// The `.dist-info` folder, resolved.
    pub(super) dist_info: PathBuf,
    pub(super) files: Vec<PathBuf>,
    /// Folders to remove if emptied, deepest first.
    pub(super) dirs: Vec<PathBuf>,
}

/// Files a new install writes, resolved as a RECORD's paths are, so that removing
/// the version it replaces spares them.
#[derive(Debug, Default)]
pub struct Spare {
    files: HashSet<PathBuf>,
}

impl Spare {
    /// The places of `paths`, whose folders (or their nearest existing parents)
    /// are resolved through symbolic links.
    pub fn of<'p>(paths: impl IntoIterator<Item = &'p Path>) -> Result<Spare, InstallError> {
        let mut resolved = HashMap::new();
        let mut files = HashSet::new();
        for path in paths {
            if let (Some(parent), Some(name)) = (path.parent(), path.file_name()) {
                files.insert(resolve_dir(parent, &mut resolved)?.join(name));
            }
        }
        Ok(Spare { files })
    }

    fn contains(&self, path: &Path) -> bool {
        self.files.contains(path)
    }
}

/// `dir` through symbolic links, as far as it exists.
fn resolve_dir(dir: &Path, known: &mut HashMap<PathBuf, PathBuf>) -> Result<PathBuf, InstallError> {
    if let Some(found) = known.get(dir) {
        return Ok(found.clone());
    }
    let found = match fs::canonicalize(dir) {
        Ok(found) => found,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            match (dir.parent(), dir.file_name()) {
                (Some(parent), Some(name)) => resolve_dir(parent, known)?.join(name),
                _ => absolute(dir)?,
            }
        }
        Err(error) => Err(error).context("open", dir)?,
    };
    known.insert(dir.to_path_buf(), found.clone());
    Ok(found)
}

impl Removal {
    /// Plans removing `dist` through its RECORD, sparing the files in `spare` (and
    /// their bytecode) that a new version writes in place of the old.
    ///
    /// Every path is resolved (symbolic links included), and a RECORD naming
    /// anything outside the environment's prefix (`scheme.data`) is refused as a
    /// whole. Folders are removed only once empty and never the scheme's own folders
    /// or their parents (an emptied `include/site/pythonX.Y` stays, as with pip).
    pub fn plan(
        scheme: &Scheme,
        dist: &InstalledDist,
        spare: &Spare,
    ) -> Result<Removal, InstallError> {
        // "If the RECORD file is missing, tools that rely on .dist-info must not attempt
        // to uninstall or upgrade the package."
        let rows = record(dist)?;
        let prefix = fs::canonicalize(&scheme.data).context("open", &scheme.data)?;
        let dist_info = fs::canonicalize(&dist.dist_info).context("open", &dist.dist_info)?;
        if !dist_info.starts_with(&prefix) {
            return Err(InstallError::OutsideEnvironment {
                path: dist_info,
                prefix,
            });
        }
        let site = absolute(dist.dist_info.parent().unwrap_or(Path::new("/")))?;
        let mut kept = HashSet::new();
        for dir in [
            &scheme.purelib,
            &scheme.platlib,
            &scheme.scripts,
            &scheme.data,
            &scheme.headers,
            &site,
        ] {
            let dir = fs::canonicalize(dir).or_else(|_| absolute(dir))?;
            kept.extend(dir.ancestors().map(Path::to_path_buf));
        }

        // "The path may be either absolute, or relative to the directory containing the
        // .dist-info directory." Paths are resolved first, so that a RECORD pointing
        // outside the environment removes nothing at all.
        let mut resolved: HashMap<PathBuf, Option<PathBuf>> = HashMap::new();
        let mut files = Vec::new();
        let mut sources: HashMap<PathBuf, Vec<String>> = HashMap::new();
        for row in &rows {
            let path = absolute(&site.join(&row.path))?;
            let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
                return Err(InstallError::OutsideEnvironment { path, prefix });
            };
            let parent = match resolved.get(parent) {
                Some(parent) => parent.clone(),
                None => {
                    let canonical = match fs::canonicalize(parent) {
                        Ok(canonical) => Some(canonical),
                        // Its folder is gone, so the file is too.
                        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
                        Err(error) => Err(error).context("open", parent)?,
                    };
                    resolved.insert(parent.to_path_buf(), canonical.clone());
                    canonical
                }
            };
            let Some(parent) = parent else { continue };
            if !parent.starts_with(&prefix) {
                return Err(InstallError::OutsideEnvironment { path, prefix });
            }
            let file = parent.join(name);
            // The .dist-info folder goes whole.
            if file.starts_with(&dist_info) {
                continue;
            }
            // A module's bytecode goes even where the new version writes the module
            // anew: it was compiled from the old one.
            if let Some(stem) = name.to_str().and_then(|name| name.strip_suffix(".py")) {
                sources
                    .entry(parent.clone())
                    .or_default()
                    .push(stem.to_string());
            }
            if !spare.contains(&file) {
                files.push(file);
            }
        }
        // "To completely uninstall a package, a tool needs to remove all files listed in
        // RECORD, all .pyc files (of all optimization levels) corresponding to removed .py
        // files, and any directories emptied by the uninstallation."
        let mut emptied: BTreeSet<PathBuf> = files
            .iter()
            .filter_map(|f| f.parent())
            .map(Path::to_path_buf)
            .collect();
        for (dir, stems) in &sources {
            let cache = dir.join("__pycache__");
            let Some(entries) = read_dir_if_there(&cache)? else {
                continue;
            };
            for entry in entries {
                let entry = entry.context("read folder", &cache)?;
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                let path = entry.path();
                if stems.iter().any(|stem| is_cached_bytecode(name, stem)) && !spare.contains(&path)
                {
                    files.push(path);
                }
            }
            emptied.insert(cache);
        }
        let mut dirs = BTreeSet::new();
        for start in &emptied {
            for dir in start.ancestors() {
                if kept.contains(dir)
                    || !dir.starts_with(&prefix)
                    || !dirs.insert(dir.to_path_buf())
                {
                    break;
                }
            }
        }
        // Deepest first, so a parent is tried after its children.
        let mut dirs: Vec<PathBuf> = dirs.into_iter().collect();
        dirs.sort_by_key(|dir| std::cmp::Reverse(dir.components().count()));
        Ok(Removal {
            dist_info,
            files,
            dirs,
        })
    }

    /// Only the `.dist-info` folder of a project whose RECORD is gone (so its other
    /// files cannot be known), or whose metadata is: installing it again writes over
    /// the files it has.
    pub fn dist_info_only(dist_info: &Path) -> Result<Removal, InstallError> {
        Ok(Removal {
            dist_info: fs::canonicalize(dist_info).context("open", dist_info)?,
            files: Vec::new(),
            dirs: Vec::new(),
        })
    }

    /// Removes the planned files and the folders they leave empty, saying which.
    pub(super) fn remove_files(&self, removed: &mut Removed) -> Result<(), FsError> {
        for file in &self.files {
            if remove_file(file)? {
                removed.files.push(file.clone());
            }
        }
        for dir in &self.dirs {
            if fs::remove_dir(dir).is_ok() {
                removed.dirs.push(dir.clone());
            }
        }
        Ok(())
    }
}

/// Removes a file; false if it was not there. A folder where RECORD lists a file
/// stays ("directories should not be listed"; the ones emptied go with the rest).
pub(super) fn remove_file(file: &Path) -> Result<bool, FsError> {
    match fs::remove_file(file) {
        Ok(()) => Ok(true),
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::NotFound
                    | io::ErrorKind::IsADirectory
                    | io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(false)
        }
        Err(error) => Err(error).context("remove", file),
    }
}

/// The rows of an installed project's RECORD; its absence is
/// [`InstallError::NoRecord`].
pub fn record(dist: &InstalledDist) -> Result<Vec<Row>, InstallError> {
    let record_path = dist.dist_info.join("RECORD");
    let text = match read_bounded(&record_path, MAX_TEXT_BYTES) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(InstallError::NoRecord {
                dist_info: dist.dist_info.clone(),
            });
        }
        Err(error) => Err(error).context("read", &record_path)?,
    };
    parse_record(&text, &record_path)
}

/// Removes an installed project: every file its RECORD lists, the cached bytecode of
/// its `.py` files, the folders this empties, and its `.dist-info` folder, as
/// [`Removal::plan`] says. The `.dist-info` folder goes last and whole, so an
/// interrupted uninstall keeps the RECORD that lets it be run again; a transaction
/// ([`crate::install::Transaction`]) does better, removing it first and finishing
/// after a crash.
pub fn uninstall(scheme: &Scheme, dist: &InstalledDist) -> Result<Removed, InstallError> {
    // Another process upgrading the same environment may have removed it already.
    if !dist.dist_info.exists() {
        return Ok(Removed::default());
    }
    let removal = Removal::plan(scheme, dist, &Spare::default())?;
    let mut removed = Removed::default();
    removal.remove_files(&mut removed)?;
    match fs::remove_dir_all(&removal.dist_info) {
        Ok(()) => removed.dirs.push(removal.dist_info),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => Err(error).context("remove", &removal.dist_info)?,
    }
    Ok(removed)
}

/// Why an installed project is not whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// Its `.dist-info` has no RECORD, or one that cannot be read.
    Record(String),
    /// A file its RECORD names is gone.
    Missing(PathBuf),
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Damage::Record(reason) => write!(f, "its RECORD {reason}"),
            Damage::Missing(path) => write!(
                f,
                "`{}`, which its RECORD lists, is missing",
                path.display()
            ),
        }
    }
}

/// What is wrong with an installed project, if anything: its RECORD must be there
/// and every file it names must exist, but bytecode (a cache Python writes again,
/// and people clear). Only existence is checked, which is what an interrupted
/// install or uninstall leaves wrong (reading every file back would cost as much as
/// installing it); a folder with several of the files is listed once rather than
/// each file asked after, which takes a third of the system calls on a typical
/// environment.
pub fn damage(dist: &InstalledDist) -> Option<Damage> {
    whole_folders(dist).err()
}

/// The folders holding the files of a whole project (bytecode caches aside), or
/// what is wrong with it, as [`damage`] checks.
pub(super) fn whole_folders(dist: &InstalledDist) -> Result<Vec<PathBuf>, Damage> {
    let record = dist.dist_info.join("RECORD");
    let text = match read_bounded(&record, MAX_TEXT_BYTES) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(Damage::Record("is missing".into()));
        }
        Err(error) => return Err(Damage::Record(format!("cannot be read: {error}"))),
    };
    let rows = match parse_record(&text, &record) {
        Ok(rows) => rows,
        Err(error) => return Err(Damage::Record(format!("cannot be read: {error}"))),
    };
    let site = dist.dist_info.parent().unwrap_or(Path::new("/"));
    let mut by_dir: HashMap<PathBuf, Vec<&OsStr>> = HashMap::new();
    let mut paths = Vec::with_capacity(rows.len());
    for row in &rows {
        let Ok(path) = absolute(&site.join(&row.path)) else {
            return Err(Damage::Missing(site.join(&row.path)));
        };
        paths.push(path);
    }
    for path in &paths {
        if let (Some(dir), Some(name)) = (path.parent(), path.file_name())
            && !dir.ends_with("__pycache__")
        {
            by_dir.entry(dir.to_path_buf()).or_default().push(name);
        }
    }
    for (dir, names) in &by_dir {
        let missing = if names.len() < 4 {
            names
                .iter()
                .find(|name| fs::symlink_metadata(dir.join(name)).is_err())
        } else {
            let present: HashSet<OsString> = fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .filter_map(|e| e.ok().map(|e| e.file_name()))
                        .collect()
                })
                .unwrap_or_default();
            names.iter().find(|name| !present.contains(**name))
        };
        if let Some(name) = missing {
            return Err(Damage::Missing(dir.join(name)));
        }
    }
    Ok(by_dir.into_keys().collect())
}

/// The projects installed in `site_packages` (usually purelib and platlib, which may
/// be the same folder): every `*.dist-info` folder with readable METADATA.
///
/// A folder that does not exist holds nothing; a broken `.dist-info` is reported in
/// [`Inventory::broken`] rather than failing the whole scan, as pip does.
pub fn installed(site_packages: &[PathBuf]) -> Result<Inventory, InstallError> {
    let mut inventory = Inventory::default();
    let mut seen = HashSet::new();
    for dir in site_packages {
        if !seen.insert(dir) {
            continue;
        }
        let Some(entries) = read_dir_if_there(dir)? else {
            continue;
        };
        for entry in entries {
            let entry = entry.context("read folder", dir)?;
            let is_dist_info = entry
                .file_name()
                .to_str()
                .is_some_and(|name| name.ends_with(".dist-info"));
            if is_dist_info && entry.path().is_dir() {
                match read_installed(entry.path()) {
                    Ok(dist) => inventory.dists.push(dist),
                    Err(error) => inventory.broken.push(error),
                }
            }
        }
    }
    inventory
        .dists
        .sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    Ok(inventory)
}

fn read_installed(dist_info: PathBuf) -> Result<InstalledDist, InstallError> {
    let broken = |reason: String| InstallError::BrokenDist {
        dist_info: dist_info.clone(),
        reason,
    };
    let bytes = match read_bounded(&dist_info.join("METADATA"), MAX_METADATA_BYTES) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(broken("expected a METADATA file, found none".into()));
        }
        Err(error) => return Err(broken(format!("cannot read METADATA: {error}"))),
    };
    let metadata = CoreMetadata::parse(&bytes).map_err(|error| broken(error.to_string()))?;
    let name = PackageName::new(&metadata.name).map_err(|error| broken(error.to_string()))?;
    let version = metadata
        .version
        .parse()
        .map_err(|error: VersionParseError| broken(error.to_string()))?;
    Ok(InstalledDist {
        name,
        version,
        dist_info,
        requires_dist: metadata.requires_dist,
    })
}

#[cfg(test)]
mod tests;

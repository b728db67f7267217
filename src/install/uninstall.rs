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
use crate::standards::version::{Version, VersionParseError};
use crate::util::fs::{Context, read_bounded};

/// A project installed in an environment, as its `.dist-info` folder describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstalledDist {
    pub name: PackageName,
    pub version: Version,
    pub dist_info: PathBuf,
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

/// Removes an installed project: every file its RECORD lists, the cached bytecode of
/// its `.py` files, the folders this empties, and its `.dist-info` folder.
///
/// Every path is resolved (symbolic links included) before anything is removed, and
/// a RECORD naming anything outside the environment's prefix (`scheme.data`) is
/// refused as a whole. Folders are removed only once empty and never the scheme's own
/// folders or their parents (an emptied `include/site/pythonX.Y` stays, as with pip).
pub fn uninstall(scheme: &Scheme, dist: &InstalledDist) -> Result<Removed, InstallError> {
    // Another process upgrading the same environment may have removed it already.
    if !dist.dist_info.exists() {
        return Ok(Removed::default());
    }
    let record_path = dist.dist_info.join("RECORD");
    // "If the RECORD file is missing, tools that rely on .dist-info must not attempt
    // to uninstall or upgrade the package."
    let text = match read_bounded(&record_path, MAX_TEXT_BYTES) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(InstallError::NoRecord {
                dist_info: dist.dist_info.clone(),
            });
        }
        Err(error) => Err(error).context("read", &record_path)?,
    };
    let rows = parse_record(&text, &record_path)?;
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
        // The .dist-info folder goes last and whole, so an interrupted uninstall
        // keeps the RECORD that lets it be run again.
        if !file.starts_with(&dist_info) {
            files.push(file);
        }
    }

    let mut removed = Removed::default();
    let mut emptied = BTreeSet::new();
    let mut sources: HashMap<PathBuf, Vec<String>> = HashMap::new();
    for file in files {
        match fs::remove_file(&file) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            // "Directories should not be listed"; the ones emptied go below.
            Err(error) if error.kind() == io::ErrorKind::IsADirectory => continue,
            Err(error) => Err(error).context("remove", &file)?,
        }
        if let Some(parent) = file.parent() {
            emptied.insert(parent.to_path_buf());
            let stem = file
                .file_name()
                .and_then(|name| name.to_str())
                .and_then(|name| name.strip_suffix(".py"));
            if let Some(stem) = stem {
                sources
                    .entry(parent.to_path_buf())
                    .or_default()
                    .push(stem.to_string());
            }
        }
        removed.files.push(file);
    }
    // "To completely uninstall a package, a tool needs to remove all files listed in
    // RECORD, all .pyc files (of all optimization levels) corresponding to removed .py
    // files, and any directories emptied by the uninstallation."
    for (dir, stems) in &sources {
        let cache = dir.join("__pycache__");
        let entries = match fs::read_dir(&cache) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => Err(error).context("read folder", &cache)?,
        };
        for entry in entries {
            let entry = entry.context("read folder", &cache)?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if stems.iter().any(|stem| is_cached_bytecode(name, stem)) {
                let path = entry.path();
                match fs::remove_file(&path) {
                    Ok(()) => removed.files.push(path),
                    Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                    Err(error) => Err(error).context("remove", &path)?,
                }
            }
        }
        emptied.insert(cache);
    }
    // Deepest first, so a parent is tried after its children.
    let mut emptied: Vec<PathBuf> = emptied.into_iter().collect();
    emptied.sort_by_key(|dir| std::cmp::Reverse(dir.components().count()));
    for start in &emptied {
        let mut dir = Some(start.as_path());
        while let Some(current) = dir {
            if kept.contains(current) || !current.starts_with(&prefix) {
                break;
            }
            match fs::remove_dir(current) {
                Ok(()) => removed.dirs.push(current.to_path_buf()),
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(_) => break,
            }
            dir = current.parent();
        }
    }
    match fs::remove_dir_all(&dist_info) {
        Ok(()) => removed.dirs.push(dist_info),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => Err(error).context("remove", &dist_info)?,
    }
    Ok(removed)
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
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => Err(error).context("read folder", dir)?,
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
    })
}

#[cfg(test)]
mod tests;

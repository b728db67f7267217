//! A wheel's core metadata (METADATA) taken out of it on disk, for the client;
//! the server takes it out of wheels and sdists as it checks them
//! ([`crate::archive::check`]).
//!
//! <https://packaging.python.org/en/latest/specifications/core-metadata/>
//!
//! Archives come from clients, so every read is bounded: only the one entry is
//! read, never the whole archive, and never more than [`MAX_METADATA_BYTES`] of it,
//! whatever its header claims, so a zip or gzip bomb cannot exhaust memory.

use std::io::Read;
use std::path::Path;

use crate::archive::error::ArchiveError;
use crate::archive::zipfile::{ZipArchive, open_zip};
use crate::standards::filename::WheelFilename;
use crate::standards::name::PackageName;

/// Far above any real METADATA (the largest on PyPI are a few hundred KiB of
/// description), far below what would hurt the server.
pub const MAX_METADATA_BYTES: u64 = 16 * 1024 * 1024;

/// The raw bytes of a wheel's `.dist-info/METADATA`.
///
/// The folder is the one top-level `*.dist-info` folder, as pip requires, and it
/// must belong to the wheel's project; names are compared normalized because
/// wheels built before names were escaped spell the folder as the project did.
pub fn read_wheel_metadata(path: &Path, filename: &WheelFilename) -> Result<Vec<u8>, ArchiveError> {
    let mut archive = open_zip(path, false)?;
    // Names that are not text cannot be a `.dist-info` folder's, so they are skipped.
    let names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .map(String::from)
        .collect();
    let dist_info = dist_info_folder(path, filename, names.iter().map(String::as_str))?;
    read_zip_entry(&mut archive, path, &format!("{dist_info}/METADATA"))
}

/// The one top-level `*.dist-info` folder among a wheel's entry names, which must
/// belong to the wheel's project, as pip requires.
pub(crate) fn dist_info_folder<'a>(
    path: &Path,
    filename: &WheelFilename,
    names: impl Iterator<Item = &'a str>,
) -> Result<String, ArchiveError> {
    let mut dist_info: Option<&str> = None;
    for name in names {
        let Some((top, _)) = name.split_once('/') else {
            continue;
        };
        if !top.ends_with(".dist-info") || dist_info == Some(top) {
            continue;
        }
        if let Some(first) = dist_info {
            return Err(ArchiveError::MultipleDistInfo {
                path: path.to_path_buf(),
                first: first.to_string(),
                second: top.to_string(),
            });
        }
        dist_info = Some(top);
    }
    let dist_info = dist_info.ok_or_else(|| ArchiveError::NoDistInfo {
        path: path.to_path_buf(),
        expected: filename.dist_info_dir(),
    })?;
    let project = dist_info
        .strip_suffix(".dist-info")
        .and_then(|stem| stem.split_once('-'))
        .and_then(|(name, _)| PackageName::new(name).ok());
    if project.as_ref() != Some(&filename.name) {
        return Err(ArchiveError::DistInfoMismatch {
            path: path.to_path_buf(),
            found: dist_info.to_string(),
            expected: filename.dist_info_dir(),
        });
    }
    Ok(dist_info.to_string())
}

fn read_zip_entry(
    archive: &mut ZipArchive,
    path: &Path,
    entry: &str,
) -> Result<Vec<u8>, ArchiveError> {
    let file = archive.by_name(entry).map_err(|error| match error {
        zip::result::ZipError::FileNotFound => ArchiveError::MissingEntry {
            path: path.to_path_buf(),
            entry: entry.to_string(),
        },
        other => ArchiveError::UnreadableEntry {
            path: path.to_path_buf(),
            entry: entry.to_string(),
            reason: other.to_string(),
        },
    })?;
    let declared = file.size();
    read_bounded(file, declared, path, entry)
}

/// Reads one entry, refusing it without decompressing anything when its header
/// declares too much, and once it passes the limit when the header lies.
pub(crate) fn read_bounded(
    reader: impl Read,
    declared: u64,
    path: &Path,
    entry: &str,
) -> Result<Vec<u8>, ArchiveError> {
    let too_large = || ArchiveError::TooLarge {
        path: path.to_path_buf(),
        entry: entry.to_string(),
        limit: MAX_METADATA_BYTES,
    };
    if declared > MAX_METADATA_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    reader
        .take(MAX_METADATA_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| ArchiveError::UnreadableEntry {
            path: path.to_path_buf(),
            entry: entry.to_string(),
            reason: error.to_string(),
        })?;
    if bytes.len() as u64 > MAX_METADATA_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests;

//! A wheel's core metadata (METADATA) taken out of it on disk, for the client;
//! the server takes it out of wheels and sdists as it checks them
//! ([`crate::archive::check`]).
//!
//! <https://packaging.python.org/en/latest/specifications/core-metadata/>
//!
//! Archives come from clients, so every read is bounded: only the one entry is
//! read, never the whole archive, and never more than [`MAX_METADATA_BYTES`] of it,
//! whatever its header claims, so a zip or gzip bomb cannot exhaust memory.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::archive::error::ArchiveError;
use crate::archive::limits::{MAX_CENTRAL_DIRECTORY, MAX_WHEEL_ENTRIES};
use crate::archive::zipdir::{self, Record};
use crate::standards::filename::WheelFilename;
use crate::standards::name::PackageName;
use crate::util::fs::Context;

pub use crate::archive::limits::MAX_METADATA_BYTES;

/// The raw bytes of a wheel's `.dist-info/METADATA`.
///
/// The folder is the one top-level `*.dist-info` folder, as pip requires, and it
/// must belong to the wheel's project; names are compared normalized because
/// wheels built before names were escaped spell the folder as the project did.
/// The entry count and the central directory's size are checked from the end
/// record before a record is read, and only the `.dist-info` records are kept.
pub fn read_wheel_metadata(path: &Path, filename: &WheelFilename) -> Result<Vec<u8>, ArchiveError> {
    let mut file = File::open(path).context("open", path)?;
    let dir = zipdir::directory(&mut file, path, MAX_WHEEL_ENTRIES, MAX_CENTRAL_DIRECTORY)?;
    let mut records = Vec::new();
    zipdir::records(&mut file, path, &dir, |record| {
        if in_dist_info(&record.name) {
            records.push(record);
        }
        Ok(())
    })?;
    let dist_info = dist_info_folder(path, filename, records.iter().map(|r| r.name.as_str()))?;
    let metadata = dist_info_file(path, &records, &dist_info, "METADATA")?;
    zipdir::read_entry(&mut file, path, &dir, metadata, MAX_METADATA_BYTES)
}

/// Whether an entry is inside a top-level `.dist-info` folder: the only ones
/// kept to find the metadata with.
pub(crate) fn in_dist_info(name: &str) -> bool {
    name.split('/')
        .next()
        .unwrap_or_default()
        .ends_with(".dist-info")
}

/// The record of the file `name` in the `.dist-info` folder: there once, since
/// tools that read one of two entries of one name differ on which.
pub(crate) fn dist_info_file<'r>(
    path: &Path,
    records: &'r [Record],
    dist_info: &str,
    name: &str,
) -> Result<&'r Record, ArchiveError> {
    let wanted = format!("{dist_info}/{name}");
    let mut found = records.iter().filter(|r| r.name == wanted && !r.is_dir());
    match (found.next(), found.next()) {
        (Some(record), None) => Ok(record),
        (Some(_), Some(_)) => Err(ArchiveError::DuplicateEntries {
            path: path.to_path_buf(),
        }),
        (None, _) => Err(ArchiveError::MissingEntry {
            path: path.to_path_buf(),
            entry: wanted,
        }),
    }
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

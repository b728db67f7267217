//! Core metadata (a wheel's METADATA, an sdist's PKG-INFO) taken out of archives on
//! disk.
//!
//! <https://packaging.python.org/en/latest/specifications/core-metadata/>
//!
//! Archives come from clients, so every read is bounded: only the one entry is
//! read, never the whole archive, and never more than [`MAX_METADATA_BYTES`] of it,
//! whatever its header claims, so a zip or gzip bomb cannot exhaust memory.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use crate::archive::error::ArchiveError;
use crate::archive::zipfile::{ZipArchive, open_zip};
use crate::standards::filename::{
    DistFilename, SdistExtension, SdistFilename, WheelFilename, split_sdist_stem,
};
use crate::standards::metadata::CoreMetadata;
use crate::standards::name::PackageName;
use crate::util::fs::Context;

/// Far above any real METADATA (the largest on PyPI are a few hundred KiB of
/// description), far below what would hurt the server.
pub const MAX_METADATA_BYTES: u64 = 16 * 1024 * 1024;

/// The parsed core metadata of a wheel or an sdist.
pub fn read_core_metadata(
    path: &Path,
    filename: &DistFilename,
) -> Result<CoreMetadata, ArchiveError> {
    let raw = read_dist_metadata(path, filename)?;
    Ok(CoreMetadata::parse(&raw)?)
}

/// The raw core metadata of a wheel (METADATA) or an sdist (PKG-INFO).
pub fn read_dist_metadata(path: &Path, filename: &DistFilename) -> Result<Vec<u8>, ArchiveError> {
    match filename {
        DistFilename::Wheel(wheel) => read_wheel_metadata(path, wheel),
        DistFilename::Sdist(sdist) => read_sdist_metadata(path, sdist),
    }
}

/// The raw bytes of a wheel's `.dist-info/METADATA`.
///
/// The folder is the one top-level `*.dist-info` folder, as pip requires, and it
/// must belong to the wheel's project; names are compared normalized because
/// wheels built before names were escaped spell the folder as the project did.
pub fn read_wheel_metadata(path: &Path, filename: &WheelFilename) -> Result<Vec<u8>, ArchiveError> {
    let mut archive = open_zip(path, false)?;
    let mut dist_info: Option<String> = None;
    // Names that are not text cannot be a `.dist-info` folder's, so they are skipped.
    for name in archive.file_names().filter_map(Result::ok) {
        let Some((top, _)) = name.split_once('/') else {
            continue;
        };
        if !top.ends_with(".dist-info") || dist_info.as_deref() == Some(top) {
            continue;
        }
        if let Some(first) = dist_info {
            return Err(ArchiveError::MultipleDistInfo {
                path: path.to_path_buf(),
                first,
                second: top.to_string(),
            });
        }
        dist_info = Some(top.to_string());
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
            found: dist_info,
            expected: filename.dist_info_dir(),
        });
    }
    read_zip_entry(&mut archive, path, &format!("{dist_info}/METADATA"))
}

/// The raw bytes of an sdist's `{name}-{version}/PKG-INFO`.
///
/// The top-level folder is matched by normalized name and version rather than by
/// the file name's spelling, so a renamed file (`Foo-1.0.tar.gz` holding
/// `foo-1.0/`) still reads; nested PKG-INFO files (in `*.egg-info`) are not it.
pub fn read_sdist_metadata(path: &Path, filename: &SdistFilename) -> Result<Vec<u8>, ArchiveError> {
    let is_pkg_info = |entry: &str| {
        let mut parts = entry
            .split('/')
            .filter(|part| !part.is_empty() && *part != ".");
        match (parts.next(), parts.next(), parts.next()) {
            (Some(folder), Some("PKG-INFO"), None) => {
                split_sdist_stem(folder).is_some_and(|(name, version)| {
                    name == filename.name && version == filename.version
                })
            }
            _ => false,
        }
    };
    let expected = || format!("{}/PKG-INFO", filename.stem());
    match filename.extension {
        SdistExtension::TarGz => {
            let file = File::open(path).context("open", path)?;
            let not_tar_gz = |error: io::Error| ArchiveError::NotTarGz {
                path: path.to_path_buf(),
                reason: error.to_string(),
            };
            let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(BufReader::new(file)));
            for entry in archive.entries().map_err(not_tar_gz)? {
                let entry = entry.map_err(not_tar_gz)?;
                let entry_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
                if entry.header().entry_type().is_file() && is_pkg_info(&entry_path) {
                    let declared = entry.size();
                    return read_bounded(entry, declared, path, &entry_path);
                }
            }
            Err(ArchiveError::MissingEntry {
                path: path.to_path_buf(),
                entry: expected(),
            })
        }
        SdistExtension::Zip => {
            let mut archive = open_zip(path, false)?;
            let found = archive
                .file_names()
                .filter_map(Result::ok)
                .find(|name| !name.ends_with('/') && is_pkg_info(name))
                .map(|name| name.into_owned());
            match found {
                Some(entry) => read_zip_entry(&mut archive, path, &entry),
                None => Err(ArchiveError::MissingEntry {
                    path: path.to_path_buf(),
                    entry: expected(),
                }),
            }
        }
    }
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
fn read_bounded(
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

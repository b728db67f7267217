//! Core metadata (METADATA, PKG-INFO), read from wheels and sdists on disk.
//! (Provisional: replaced by the full implementation.)

use std::fmt;
use std::io::Read;
use std::path::Path;

use crate::filename::{SdistFilename, WheelFilename};

/// The fields of core metadata that installers and indexes use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoreMetadata {
    pub name: String,
    pub version: String,
    pub requires_dist: Vec<String>,
    pub requires_python: Option<String>,
    pub provides_extra: Vec<String>,
}

/// Why metadata could not be read.
#[derive(Debug)]
pub struct MetadataError {
    message: String,
}

impl fmt::Display for MetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MetadataError {}

impl CoreMetadata {
    pub fn parse(bytes: &[u8]) -> Result<Self, MetadataError> {
        let text = std::str::from_utf8(bytes).map_err(|_| MetadataError {
            message: "metadata is not UTF-8".into(),
        })?;
        let mut m = CoreMetadata::default();
        for line in text.lines() {
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(": ") {
                match k {
                    "Name" => m.name = v.to_string(),
                    "Version" => m.version = v.to_string(),
                    "Requires-Dist" => m.requires_dist.push(v.to_string()),
                    "Requires-Python" => m.requires_python = Some(v.to_string()),
                    "Provides-Extra" => m.provides_extra.push(v.to_string()),
                    _ => {}
                }
            }
        }
        Ok(m)
    }
}

/// The raw bytes of a wheel's `.dist-info/METADATA`.
pub fn read_wheel_metadata(
    path: &Path,
    filename: &WheelFilename,
) -> Result<Vec<u8>, MetadataError> {
    let fail = |message: String| MetadataError { message };
    let file = std::fs::File::open(path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
    let mut archive =
        zip::ZipArchive::new(file).map_err(|e| fail(format!("{}: {e}", path.display())))?;
    let prefix = filename.name.as_escaped();
    let entry = archive
        .file_names()
        .filter_map(Result::ok)
        .find(|n| {
            n.ends_with(".dist-info/METADATA")
                && n.matches('/').count() == 1
                && n.to_ascii_lowercase()
                    .replace(['-', '.'], "_")
                    .starts_with(&prefix)
        })
        .map(|n| n.into_owned())
        .ok_or_else(|| fail(format!("{}: no .dist-info/METADATA", path.display())))?;
    let mut out = Vec::new();
    archive
        .by_name(&entry)
        .map_err(|e| fail(e.to_string()))?
        .read_to_end(&mut out)
        .map_err(|e| fail(e.to_string()))?;
    Ok(out)
}

/// The raw bytes of an sdist's `PKG-INFO`.
pub fn read_sdist_metadata(
    path: &Path,
    filename: &SdistFilename,
) -> Result<Vec<u8>, MetadataError> {
    let fail = |message: String| MetadataError { message };
    let file = std::fs::File::open(path).map_err(|e| fail(format!("{}: {e}", path.display())))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let entries = archive.entries().map_err(|e| fail(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| fail(e.to_string()))?;
        let is_pkg_info = entry
            .path()
            .map(|p| p.components().count() == 2 && p.ends_with("PKG-INFO"))
            .unwrap_or(false);
        if is_pkg_info {
            let mut out = Vec::new();
            entry
                .read_to_end(&mut out)
                .map_err(|e| fail(e.to_string()))?;
            return Ok(out);
        }
    }
    Err(fail(format!(
        "{}: no PKG-INFO in {}",
        path.display(),
        filename.raw
    )))
}

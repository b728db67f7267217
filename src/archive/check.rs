//! Whether a wheel or an sdist is one an installer would accept, checked in one
//! bounded pass that also yields its core metadata: what a server checks before
//! it stores or serves a file, and how the client reads an sdist's PKG-INFO
//! before it builds it.
//!
//! Wheels (<https://packaging.python.org/en/latest/specifications/binary-distribution-format/>,
//! as pypa/installer and pip read them): entry names that stay inside the target
//! (the rules of [`crate::archive::paths`], one for client and server), no
//! symbolic links, no bytes before or after the zip, no overlapping entries, one
//! `.dist-info` folder of the wheel's project holding METADATA, WHEEL and RECORD.
//! Only the central directory is read, and only after its entry count passed.
//!
//! Sdists: what the client's unpacker refuses is refused here, by the same rules
//! ([`crate::archive::sdist`]) over the same bounded tar reader
//! ([`crate::archive::tarball`]), from names alone, before anything is written.
//! The bounds are those of [`crate::archive::limits`].

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use crate::archive::error::{ArchiveError, Refusal};
use crate::archive::limits::{
    MAX_CENTRAL_DIRECTORY, MAX_LINK_TARGET, MAX_METADATA_BYTES, MAX_SDIST_ENTRIES,
    MAX_WHEEL_ENTRIES, MAX_WHEEL_UNPACKED,
};
use crate::archive::metadata::{dist_info_file, dist_info_folder, in_dist_info, read_bounded};
use crate::archive::paths::archive_path;
use crate::archive::sdist::{Kind, Limits, Rules, text};
use crate::archive::tarball;
use crate::archive::zipdir::{self, Record};
use crate::standards::filename::{
    DistFilename, SdistExtension, SdistFilename, WheelFilename, split_sdist_stem,
};
use crate::util::fs::Context;

/// Checks a distribution held open as `file` (`path` names it in errors) and
/// returns its raw core metadata: a wheel's METADATA, an sdist's PKG-INFO.
pub fn check_dist(
    file: &mut File,
    path: &Path,
    filename: &DistFilename,
) -> Result<Vec<u8>, ArchiveError> {
    match filename {
        DistFilename::Wheel(wheel) => check_wheel(file, path, wheel),
        DistFilename::Sdist(sdist) => {
            sdist_files(file, path, sdist)?
                .pkg_info
                .ok_or_else(|| ArchiveError::MissingEntry {
                    path: path.to_path_buf(),
                    entry: format!("{}/PKG-INFO", sdist.stem()),
                })
        }
    }
}

fn check_wheel(
    file: &mut File,
    path: &Path,
    filename: &WheelFilename,
) -> Result<Vec<u8>, ArchiveError> {
    let dir = zipdir::directory(file, path, MAX_WHEEL_ENTRIES, MAX_CENTRAL_DIRECTORY)?;
    let mut extents = Vec::new();
    let mut unpacked = 0u64;
    let mut records: Vec<Record> = Vec::new();
    let mut locals = Vec::new();
    zipdir::records(file, path, &dir, |record| {
        locals.push((record.header, record.name.clone()));
        if record.is_symlink() {
            return Err(ArchiveError::entry(
                path,
                &record.name,
                "is a symbolic link",
            ));
        }
        if record.is_special() {
            return Err(ArchiveError::entry(
                path,
                &record.name,
                "is a device file or a pipe",
            ));
        }
        let normal = archive_path(&record.name)
            .map_err(|e| ArchiveError::entry(path, &record.name, e.to_string()))?;
        unpacked = unpacked.saturating_add(record.uncompressed);
        if unpacked > MAX_WHEEL_UNPACKED {
            return Err(ArchiveError::refused(
                path,
                Refusal::Unpacked(MAX_WHEEL_UNPACKED),
            ));
        }
        let Some(normal) = normal else {
            return Ok(());
        };
        extents.push((record.header, record.min_end(), normal));
        // Only the `.dist-info` files are kept, to find and read METADATA.
        if in_dist_info(&record.name) {
            records.push(record);
        }
        Ok(())
    })?;
    zipdir::check_layout(path, &dir, &mut extents)?;
    zipdir::check_local_headers(file, path, &locals)?;
    let mut names: Vec<&str> = extents.iter().map(|(.., name)| name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(ArchiveError::DuplicateEntries {
            path: path.to_path_buf(),
        });
    }
    let dist_info = dist_info_folder(path, filename, records.iter().map(|r| r.name.as_str()))?;
    let file_in = |name: &str| dist_info_file(path, &records, &dist_info, name);
    file_in("WHEEL")?;
    file_in("RECORD")?;
    let metadata = file_in("METADATA")?;
    zipdir::read_entry(file, path, &dir, metadata, MAX_METADATA_BYTES)
}

/// The files at the top of an sdist that say what it is before it is built.
#[derive(Debug, Default)]
pub struct SdistFiles {
    /// Its core metadata (Metadata 1.2 on carries Requires-Python; 2.2 on says
    /// which fields the build may change).
    pub pkg_info: Option<Vec<u8>>,
    /// Its `pyproject.toml`, whose `[project]` may say the same (PEP 621).
    pub pyproject: Option<Vec<u8>>,
}

/// One of [`SdistFiles`].
#[derive(Clone, Copy)]
enum TopFile {
    PkgInfo,
    Pyproject,
}

impl TopFile {
    /// Which one the file at `path` inside the archive is, if any: in the top
    /// folder, which must belong to the sdist's project and version.
    fn of(path: &str, filename: &SdistFilename) -> Option<TopFile> {
        let (top, rest) = path.split_once('/')?;
        let file = match rest {
            "PKG-INFO" => TopFile::PkgInfo,
            "pyproject.toml" => TopFile::Pyproject,
            _ => return None,
        };
        split_sdist_stem(top)
            .is_some_and(|(name, version)| name == filename.name && version == filename.version)
            .then_some(file)
    }
}

impl SdistFiles {
    fn slot(&mut self, file: TopFile) -> &mut Option<Vec<u8>> {
        match file {
            TopFile::PkgInfo => &mut self.pkg_info,
            TopFile::Pyproject => &mut self.pyproject,
        }
    }
}

/// An sdist's PKG-INFO and `pyproject.toml`, read by the client before it decides
/// to build: after the same checks the server makes (the rules unpacking keeps),
/// so what is read here is from an sdist the client would unpack. Either may be
/// missing, as in sdists made before the format was specified.
pub fn read_sdist_files(path: &Path, filename: &SdistFilename) -> Result<SdistFiles, ArchiveError> {
    let mut file = File::open(path).context("open", path)?;
    sdist_files(&mut file, path, filename)
}

/// Checks an sdist held open as `file`, and gives its top files.
fn sdist_files(
    file: &mut File,
    path: &Path,
    filename: &SdistFilename,
) -> Result<SdistFiles, ArchiveError> {
    match filename.extension {
        SdistExtension::TarGz => tar_sdist_files(file, path, filename),
        SdistExtension::Zip => zip_sdist_files(file, path, filename),
    }
}

fn tar_sdist_files(
    file: &mut File,
    path: &Path,
    filename: &SdistFilename,
) -> Result<SdistFiles, ArchiveError> {
    let mut rules = Rules::new(path, Limits::SDIST);
    let mut files = SdistFiles::default();
    tarball::walk(BufReader::new(file), path, &mut rules, |entry| {
        if matches!(entry.kind, Kind::File { .. })
            && let Some(top_file) = TopFile::of(&entry.path, filename)
        {
            *files.slot(top_file) = Some(read_bounded(entry.data, entry.size, path, entry.name)?);
        }
        Ok::<_, ArchiveError>(())
    })?;
    rules.finish()?;
    Ok(files)
}

fn zip_sdist_files(
    file: &mut File,
    path: &Path,
    filename: &SdistFilename,
) -> Result<SdistFiles, ArchiveError> {
    let dir = zipdir::directory(file, path, MAX_SDIST_ENTRIES, MAX_CENTRAL_DIRECTORY)?;
    let mut rules = Rules::new(path, Limits::SDIST);
    let mut extents = Vec::new();
    let mut links = Vec::new();
    let mut found = Vec::new();
    zipdir::records(file, path, &dir, |record| {
        if record.is_special() {
            return Err(ArchiveError::entry(
                path,
                &record.name,
                "is a device file or a pipe",
            ));
        }
        extents.push((record.header, record.min_end(), record.name.clone()));
        if record.is_symlink() {
            // Targets are read once the directory is walked; the rules see the
            // link then, with every other entry already known.
            links.push(record);
            return Ok(());
        }
        let kind = if record.is_dir() {
            Kind::Dir
        } else {
            Kind::File {
                executable: false,
                modified: None,
            }
        };
        if let Some((entry, Kind::File { .. })) =
            rules.admit(&record.name, kind, record.uncompressed)?
            && let Some(top_file) = TopFile::of(&entry, filename)
        {
            found.push((top_file, record));
        }
        Ok(())
    })?;
    zipdir::check_layout(path, &dir, &mut extents)?;
    for link in links {
        let target = zipdir::read_entry(file, path, &dir, &link, MAX_LINK_TARGET)?;
        let target = text(path, &target, Some(&link.name))?;
        rules.admit(&link.name, Kind::Symlink(target), link.uncompressed)?;
    }
    rules.finish()?;
    let mut files = SdistFiles::default();
    for (top_file, record) in found {
        *files.slot(top_file) = Some(zipdir::read_entry(
            file,
            path,
            &dir,
            &record,
            MAX_METADATA_BYTES,
        )?);
    }
    Ok(files)
}

#[cfg(test)]
mod tests;

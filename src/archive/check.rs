//! Whether a wheel or an sdist is one an installer would accept, checked in one
//! bounded pass that also yields its core metadata: what a server checks before
//! it stores or serves a file.
//!
//! Wheels (<https://packaging.python.org/en/latest/specifications/binary-distribution-format/>,
//! as pypa/installer and pip read them): entry names that stay inside the target
//! (the rules of [`crate::archive::paths`], one for client and server), no
//! symbolic links, no bytes before or after the zip, no overlapping entries, one
//! `.dist-info` folder of the wheel's project holding METADATA, WHEEL and RECORD.
//! Only the central directory is read, and only after its entry count passed.
//!
//! Sdists (<https://packaging.python.org/en/latest/specifications/source-distribution-format/>):
//! what the client's unpacker refuses is refused here, from names alone, before
//! anything is written: names that climb out, links that lead out, hard links to
//! anything but a file before them, devices, more than one top-level folder, more
//! entries or bytes than unpacking allows. The tar is read raw: GNU long names and
//! pax records are bounded here rather than read whole by the tar crate, and a pax
//! `size` record (which no sdist within the bounds needs) is refused, since it
//! would make this reader and Python's see different entries.
//!
//! Limits, from real wheels: ansible 12.3 has 21 488 entries (2.7 MB of central
//! directory, 211 MB unpacked), torch about 15 000; CUDA wheels unpack to a few GiB.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::archive::error::{ArchiveError, Refusal};
use crate::archive::metadata::{MAX_METADATA_BYTES, dist_info_folder, read_bounded};
use crate::archive::paths::{archive_path, check_link};
use crate::archive::unpack::{MAX_ENTRIES, MAX_UNPACKED_BYTES};
use crate::archive::zipdir::{self, Directory, Record};
use crate::standards::filename::{
    DistFilename, SdistExtension, SdistFilename, WheelFilename, split_sdist_stem,
};

/// Five times the entries of the largest real wheels.
pub const MAX_WHEEL_ENTRIES: u64 = 100_000;
/// Room for [`MAX_WHEEL_ENTRIES`] records with names of 300 bytes.
pub const MAX_CENTRAL_DIRECTORY: u64 = 32 * 1024 * 1024;
/// Twice what the largest real wheels unpack to.
pub const MAX_WHEEL_UNPACKED: u64 = 8 * 1024 * 1024 * 1024;
/// A GNU long name or link target; no file system takes a path this long.
const MAX_LONG_NAME: u64 = 64 * 1024;
/// A pax header's records (names, times, comments).
const MAX_PAX: u64 = 1024 * 1024;

/// Checks a distribution held open as `file` (`path` names it in errors) and
/// returns its raw core metadata: a wheel's METADATA, an sdist's PKG-INFO.
pub fn check_dist(
    file: &mut File,
    path: &Path,
    filename: &DistFilename,
) -> Result<Vec<u8>, ArchiveError> {
    match filename {
        DistFilename::Wheel(wheel) => check_wheel(file, path, wheel),
        DistFilename::Sdist(sdist) => match sdist.extension {
            SdistExtension::TarGz => check_tar_sdist(file, path, sdist),
            SdistExtension::Zip => check_zip_sdist(file, path, sdist),
        },
    }
}

fn refused(path: &Path, refusal: Refusal) -> ArchiveError {
    ArchiveError::Refused {
        path: path.to_path_buf(),
        refusal,
    }
}

fn entry_refused(path: &Path, entry: &str, reason: impl Into<String>) -> ArchiveError {
    refused(
        path,
        Refusal::Entry {
            entry: entry.to_string(),
            reason: reason.into(),
        },
    )
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
    zipdir::records(file, path, &dir, |record| {
        if record.is_symlink() {
            return Err(entry_refused(path, &record.name, "is a symbolic link"));
        }
        if record.is_special() {
            return Err(entry_refused(
                path,
                &record.name,
                "is a device file or a pipe",
            ));
        }
        let normal = archive_path(&record.name)
            .map_err(|e| entry_refused(path, &record.name, e.to_string()))?;
        unpacked = unpacked.saturating_add(record.uncompressed);
        if unpacked > MAX_WHEEL_UNPACKED {
            return Err(refused(path, Refusal::Unpacked(MAX_WHEEL_UNPACKED)));
        }
        let Some(normal) = normal else {
            return Ok(());
        };
        extents.push((record.header, record.min_end(), normal));
        // Only the `.dist-info` files are kept, to find and read METADATA.
        let top = record.name.split('/').next().unwrap_or_default();
        if top.ends_with(".dist-info") {
            records.push(record);
        }
        Ok(())
    })?;
    zipdir::check_layout(path, &dir, &mut extents)?;
    let mut names: Vec<&str> = extents.iter().map(|(.., name)| name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(ArchiveError::DuplicateEntries {
            path: path.to_path_buf(),
        });
    }
    let dist_info = dist_info_folder(path, filename, records.iter().map(|r| r.name.as_str()))?;
    let file_in = |name: &str| {
        let wanted = format!("{dist_info}/{name}");
        records
            .iter()
            .find(|r| r.name == wanted && !r.is_dir())
            .ok_or_else(|| ArchiveError::MissingEntry {
                path: path.to_path_buf(),
                entry: wanted,
            })
    };
    file_in("WHEEL")?;
    file_in("RECORD")?;
    let metadata = file_in("METADATA")?;
    zipdir::read_entry(file, path, &dir, metadata, MAX_METADATA_BYTES)
}

/// What an sdist entry is.
enum Kind {
    Dir,
    File,
    Symlink(String),
    HardLink(String),
}

/// The client unpacker's rules, applied to names alone.
struct SdistRules<'a> {
    path: &'a Path,
    filename: &'a SdistFilename,
    top: Option<String>,
    entries: u64,
    bytes: u64,
    dirs: HashSet<String>,
    files: HashSet<String>,
    links: Vec<(String, String)>,
    metadata: Option<Vec<u8>>,
}

impl<'a> SdistRules<'a> {
    fn new(path: &'a Path, filename: &'a SdistFilename) -> Self {
        SdistRules {
            path,
            filename,
            top: None,
            entries: 0,
            bytes: 0,
            dirs: HashSet::new(),
            files: HashSet::new(),
            links: Vec::new(),
            metadata: None,
        }
    }

    /// Counts `size` bytes against the bound, before any of them is read.
    fn reserve(&mut self, size: u64) -> Result<(), ArchiveError> {
        self.bytes = self.bytes.saturating_add(size);
        if self.bytes > MAX_UNPACKED_BYTES {
            return Err(refused(self.path, Refusal::Unpacked(MAX_UNPACKED_BYTES)));
        }
        Ok(())
    }

    /// Admits one entry; gives its path inside the archive when it is PKG-INFO.
    fn admit(&mut self, name: &str, kind: Kind, size: u64) -> Result<bool, ArchiveError> {
        self.entries += 1;
        if self.entries > MAX_ENTRIES {
            return Err(refused(self.path, Refusal::Entries(MAX_ENTRIES)));
        }
        self.reserve(size)?;
        let refuse = |reason: String| entry_refused(self.path, name, reason);
        let Some(normal) = archive_path(name).map_err(|e| refuse(e.to_string()))? else {
            return Ok(false);
        };
        let (first, rest) = normal.split_once('/').unwrap_or((&normal, ""));
        let is_dir = matches!(kind, Kind::Dir);
        match &self.top {
            Some(top) if top != first => {
                let found = format!("`{}` and `{}`", top.escape_debug(), first.escape_debug());
                return Err(refused(self.path, Refusal::TopLevel(found)));
            }
            _ if rest.is_empty() && !is_dir => {
                let found = format!("`{}`, which is not a folder", first.escape_debug());
                return Err(refused(self.path, Refusal::TopLevel(found)));
            }
            _ => self.top = Some(first.to_string()),
        }
        for (end, _) in normal.match_indices('/') {
            let folder = &normal[..end];
            if self.files.contains(folder) || self.links.iter().any(|(l, _)| l == folder) {
                return Err(refuse(format!(
                    "passes through `{folder}`, which is not a folder"
                )));
            }
        }
        let taken = self.files.contains(&normal) || self.links.iter().any(|(l, _)| *l == normal);
        if taken || (!is_dir && self.dirs.contains(&normal)) {
            return Err(refuse("clashes with an entry before it".into()));
        }
        match kind {
            Kind::Dir => {
                self.dirs.insert(normal);
            }
            Kind::File => {
                let is_pkg_info = rest == "PKG-INFO"
                    && split_sdist_stem(first).is_some_and(|(name, version)| {
                        name == self.filename.name && version == self.filename.version
                    });
                self.files.insert(normal);
                return Ok(is_pkg_info);
            }
            Kind::HardLink(target) => match archive_path(&target) {
                Ok(Some(source)) if self.files.contains(&source) => {
                    self.files.insert(normal);
                }
                _ => {
                    return Err(refuse(format!(
                        "is a hard link to `{}`, which is not a file before it",
                        target.escape_debug()
                    )));
                }
            },
            Kind::Symlink(target) => self.links.push((normal, target)),
        }
        Ok(false)
    }

    fn finish(self) -> Result<Vec<u8>, ArchiveError> {
        if self.top.is_none() {
            return Err(refused(self.path, Refusal::TopLevel("nothing".into())));
        }
        let names: HashSet<String> = self.links.iter().map(|(l, _)| l.clone()).collect();
        for (link, target) in &self.links {
            check_link(link, target, &names)
                .map_err(|e| entry_refused(self.path, link, e.to_string()))?;
        }
        self.metadata.ok_or_else(|| ArchiveError::MissingEntry {
            path: self.path.to_path_buf(),
            entry: format!("{}/PKG-INFO", self.filename.stem()),
        })
    }
}

/// Text from an archive: names and link targets must be UTF-8, as every tool that
/// writes sdists makes them.
fn utf8(path: &Path, bytes: &[u8], what: &str) -> Result<String, ArchiveError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        entry_refused(
            path,
            &String::from_utf8_lossy(bytes),
            format!("has {what} that is not UTF-8"),
        )
    })
}

/// Reads a small piece of the archive (a long name, pax records) whose declared
/// size was checked first.
fn read_small(
    reader: impl Read,
    size: u64,
    limit: u64,
    path: &Path,
) -> Result<Vec<u8>, ArchiveError> {
    if size > limit {
        return Err(not_tar_gz(
            path,
            format!("a header record of {size} bytes, over {limit}"),
        ));
    }
    let mut bytes = Vec::new();
    reader
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| not_tar_gz(path, e.to_string()))?;
    Ok(bytes)
}

fn not_tar_gz(path: &Path, reason: String) -> ArchiveError {
    ArchiveError::NotTarGz {
        path: path.to_path_buf(),
        reason,
    }
}

fn check_tar_sdist(
    file: &mut File,
    path: &Path,
    filename: &SdistFilename,
) -> Result<Vec<u8>, ArchiveError> {
    let damaged = |e: std::io::Error| not_tar_gz(path, e.to_string());
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(BufReader::new(file)));
    let mut rules = SdistRules::new(path, filename);
    let mut long_name: Option<Vec<u8>> = None;
    let mut long_link: Option<Vec<u8>> = None;
    for entry in archive.entries().map_err(damaged)?.raw(true) {
        let mut entry = entry.map_err(damaged)?;
        let kind = entry.header().entry_type();
        let size = entry.size();
        if kind.is_gnu_longname() || kind.is_gnu_longlink() {
            rules.reserve(size)?;
            let mut bytes = read_small(&mut entry, size, MAX_LONG_NAME, path)?;
            while bytes.last() == Some(&0) {
                bytes.pop();
            }
            *(if kind.is_gnu_longname() {
                &mut long_name
            } else {
                &mut long_link
            }) = Some(bytes);
            continue;
        }
        if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            rules.reserve(size)?;
            let records = read_small(&mut entry, size, MAX_PAX, path)?;
            if kind.is_pax_local_extensions() {
                for record in tar::PaxExtensions::new(&records) {
                    let record = record.map_err(damaged)?;
                    match record.key_bytes() {
                        b"path" => long_name = Some(record.value_bytes().to_vec()),
                        b"linkpath" => long_link = Some(record.value_bytes().to_vec()),
                        b"size" => {
                            return Err(not_tar_gz(
                                path,
                                "a pax size record, which no sdist needs".into(),
                            ));
                        }
                        _ => {}
                    }
                }
            }
            continue;
        }
        let name_bytes = long_name
            .take()
            .unwrap_or_else(|| entry.path_bytes().into_owned());
        let link_bytes = long_link
            .take()
            .or_else(|| entry.link_name_bytes().map(|b| b.into_owned()));
        let name = utf8(path, &name_bytes, "a name")?;
        let target = || match &link_bytes {
            Some(bytes) => utf8(path, bytes, "a link target"),
            None => Err(entry_refused(path, &name, "is a link to nothing")),
        };
        // Tars older than POSIX mark folders as files whose names end in `/`.
        let entry_kind = if kind.is_dir() || (kind.is_file() && name.ends_with('/')) {
            Kind::Dir
        } else if kind.is_file() || kind.is_contiguous() {
            Kind::File
        } else if kind.is_symlink() {
            Kind::Symlink(target()?)
        } else if kind.is_hard_link() {
            Kind::HardLink(target()?)
        } else if kind.is_character_special() || kind.is_block_special() || kind.is_fifo() {
            return Err(entry_refused(path, &name, "is a device file or a pipe"));
        } else {
            let reason = format!(
                "is of a kind curd does not unpack (tar type `{}`)",
                (kind.as_byte() as char).escape_default()
            );
            return Err(entry_refused(path, &name, reason));
        };
        let data = if matches!(entry_kind, Kind::File) {
            size
        } else {
            0
        };
        if rules.admit(&name, entry_kind, data)? {
            rules.metadata = Some(read_bounded(&mut entry, size, path, &name)?);
        }
    }
    rules.finish()
}

fn check_zip_sdist(
    file: &mut File,
    path: &Path,
    filename: &SdistFilename,
) -> Result<Vec<u8>, ArchiveError> {
    let dir: Directory = zipdir::directory(file, path, MAX_ENTRIES, MAX_CENTRAL_DIRECTORY)?;
    let mut rules = SdistRules::new(path, filename);
    let mut extents = Vec::new();
    let mut links = Vec::new();
    let mut pkg_info = None;
    zipdir::records(file, path, &dir, |record| {
        if record.is_special() {
            return Err(entry_refused(
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
        let (kind, size) = if record.is_dir() {
            (Kind::Dir, 0)
        } else {
            (Kind::File, record.uncompressed)
        };
        if rules.admit(&record.name, kind, size)? {
            pkg_info = Some(record);
        }
        Ok(())
    })?;
    zipdir::check_layout(path, &dir, &mut extents)?;
    for link in links {
        let target = zipdir::read_entry(file, path, &dir, &link, 4096)?;
        let target = utf8(path, &target, "a link target")?;
        rules.admit(&link.name, Kind::Symlink(target), 0)?;
    }
    if let Some(record) = pkg_info {
        rules.metadata = Some(zipdir::read_entry(
            file,
            path,
            &dir,
            &record,
            MAX_METADATA_BYTES,
        )?);
    }
    rules.finish()
}

#[cfg(test)]
mod tests;

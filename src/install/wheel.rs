//! The wheel as a source of files: the archive or a folder unpacked from it, its one
//! `.dist-info` folder found and checked against the file name, WHEEL and RECORD
//! read, and every entry name checked before anything is read or written.
//!
//! - <https://packaging.python.org/en/latest/specifications/binary-distribution-format/>
//!
//! Traps: an entry name is untrusted input (`../`, absolute paths, `\`, NUL), and so
//! is every size in a zip header; two entries with one name read differently in
//! different tools; wheels built before names were escaped spell `.dist-info` as the
//! project did (`Zope.Interface-4.0.dist-info`).

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::error::{InstallError, WheelFileError};
use super::stream::Verified;
use crate::archive::error::ArchiveError;
use crate::archive::zipfile::ZipArchive;
use crate::standards::filename::WheelFilename;
use crate::standards::name::PackageName;
use crate::standards::record::{self, Row};
use crate::standards::version::Version;
use crate::util::fs::{Context, read_bounded, take_bounded};

/// Far above any real RECORD (one listing 100,000 files is about 10 MiB), WHEEL or
/// `entry_points.txt`, and a bound on what a hostile wheel can make us hold in memory.
pub(super) const MAX_TEXT_BYTES: u64 = 64 * 1024 * 1024;

/// The major version of the wheel format this module implements (1.0).
const WHEEL_MAJOR: u64 = 1;

/// Where a wheel's files come from.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// The `.whl` archive itself, verified while it is read.
    Zip(&'a Path),
    /// A folder made by [`unpack`](super::unpack), verified when it was made; its files
    /// are linked or copied, and RECORD's hashes are taken from it rather than recomputed.
    Unpacked(&'a Path),
}

/// A wheel opened for reading: its `.dist-info` found and checked, WHEEL, RECORD and
/// `entry_points.txt` read, and (for an archive) every entry name checked.
pub(super) struct Wheel {
    /// The archive or unpacked folder, as errors name it.
    pub(super) path: PathBuf,
    /// `None` for an unpacked folder.
    archive: Option<ZipArchive>,
    pub(super) dist_info: String,
    pub(super) record: Vec<Row>,
    /// Bytecode compiled into an unpacked folder, placed like its files.
    pub(super) bytecode: Vec<Row>,
    pub(super) root_is_purelib: bool,
    pub(super) entry_points: Option<String>,
    pub(super) warnings: Vec<String>,
}

/// The bytes of one file of a wheel, as the source offers them.
pub(super) enum Content<'a> {
    /// Being read from the archive; `executable` comes from its Unix mode bits.
    Stream {
        reader: &'a mut dyn Read,
        executable: bool,
    },
    /// A file of an unpacked wheel, to be linked or copied.
    File(&'a Path),
}

impl Wheel {
    pub(super) fn open(
        source: Source<'_>,
        filename: &WheelFilename,
    ) -> Result<Wheel, InstallError> {
        let (path, archive, tops) = match source {
            Source::Zip(path) => {
                let archive = open_zip(path)?;
                let mut tops = Vec::new();
                for name in archive.file_names() {
                    let name = name.map_err(|error| InstallError::NotZip {
                        wheel: path.to_path_buf(),
                        reason: error.to_string(),
                    })?;
                    // The traversal guard: every name is checked before anything is
                    // read or written.
                    if !is_safe_entry(&name) {
                        return Err(InstallError::UnsafePath {
                            wheel: path.to_path_buf(),
                            entry: name.into_owned(),
                        });
                    }
                    if name.split('/').any(is_reserved) {
                        return Err(InstallError::ReservedName {
                            wheel: path.to_path_buf(),
                            entry: name.into_owned(),
                        });
                    }
                    if let Some((top, _)) = name.split_once('/')
                        && !tops.iter().any(|known| known == top)
                    {
                        tops.push(top.to_string());
                    }
                }
                (path, Some(archive), tops)
            }
            Source::Unpacked(path) => {
                let mut tops = Vec::new();
                for entry in fs::read_dir(path).context("read folder", path)? {
                    let entry = entry.context("read folder", path)?;
                    if let Some(name) = entry.file_name().to_str()
                        && entry.path().is_dir()
                    {
                        tops.push(name.to_string());
                    }
                }
                tops.sort();
                (path, None, tops)
            }
        };
        let path = path.to_path_buf();
        let dist_info = find_dist_info(&path, &tops, filename)?;
        let mut wheel = Wheel {
            path,
            archive,
            dist_info,
            record: Vec::new(),
            bytecode: Vec::new(),
            root_is_purelib: false,
            entry_points: None,
            warnings: Vec::new(),
        };
        // "Wheel .dist-info directories include at a minimum METADATA, WHEEL, and RECORD."
        if !wheel.has_file("METADATA") {
            return Err(InstallError::MissingFile {
                wheel: wheel.path.clone(),
                entry: format!("{}/METADATA", wheel.dist_info),
            });
        }
        let text = wheel.read_text("WHEEL")?;
        let (major, minor, root_is_purelib) =
            parse_wheel_file(&text).map_err(|reason| InstallError::InvalidWheelFile {
                wheel: wheel.path.clone(),
                reason,
            })?;
        // "A wheel installer should warn if Wheel-Version is greater than the version
        // it supports, and must fail if Wheel-Version has a greater major version."
        // A smaller major predates the specification, which pip refuses too.
        if major != WHEEL_MAJOR {
            return Err(InstallError::UnsupportedWheelVersion {
                wheel: wheel.path.clone(),
                found: format!("{major}.{minor}"),
            });
        }
        if minor > 0 {
            wheel.warnings.push(format!(
                "`{}` declares Wheel-Version {major}.{minor}, newer than the 1.0 this installer implements; installing it anyway",
                wheel.path.display()
            ));
        }
        wheel.root_is_purelib = root_is_purelib;
        let text = wheel.read_text("RECORD")?;
        let record_path = wheel.path.join(&wheel.dist_info).join("RECORD");
        wheel.record = parse_record(text.as_bytes(), &record_path)?;
        if wheel.has_file("entry_points.txt") {
            wheel.entry_points = Some(wheel.read_text("entry_points.txt")?);
        }
        Ok(wheel)
    }

    fn has_file(&self, name: &str) -> bool {
        let entry = format!("{}/{name}", self.dist_info);
        match &self.archive {
            Some(archive) => archive.index_for_name(&entry).is_some(),
            None => self.path.join(entry).is_file(),
        }
    }

    /// A UTF-8 file of `.dist-info`, bounded by [`MAX_TEXT_BYTES`].
    fn read_text(&mut self, name: &str) -> Result<String, InstallError> {
        let entry = format!("{}/{name}", self.dist_info);
        let unreadable = |reason: String| InstallError::UnreadableEntry {
            wheel: self.path.clone(),
            entry: entry.clone(),
            reason,
        };
        let bytes = match &mut self.archive {
            Some(archive) => {
                let file = match archive.by_name(&entry) {
                    Ok(file) => file,
                    Err(zip::result::ZipError::FileNotFound) => {
                        return Err(InstallError::MissingFile {
                            wheel: self.path.clone(),
                            entry,
                        });
                    }
                    Err(error) => return Err(unreadable(error.to_string())),
                };
                if file.size() > MAX_TEXT_BYTES {
                    return Err(unreadable(format!(
                        "expected at most {MAX_TEXT_BYTES} bytes, found {}",
                        file.size()
                    )));
                }
                take_bounded(file, MAX_TEXT_BYTES).map_err(|error| unreadable(error.to_string()))?
            }
            None => {
                let path = self.path.join(&entry);
                match read_bounded(&path, MAX_TEXT_BYTES) {
                    Ok(bytes) => bytes,
                    Err(error) if error.kind() == io::ErrorKind::NotFound => {
                        return Err(InstallError::MissingFile {
                            wheel: self.path.clone(),
                            entry,
                        });
                    }
                    Err(error) => Err(error).context("read", &path)?,
                }
            }
        };
        String::from_utf8(bytes)
            .map_err(|_| unreadable("expected UTF-8 text, found other bytes".into()))
    }

    /// Hands every file of the wheel to `place`, in archive order (or RECORD order
    /// for an unpacked folder), except RECORD and its signatures.
    ///
    /// Archive entries are verified as `place` reads them: each must be in RECORD
    /// with a hash and a size, its header must declare that size, and it may not
    /// decompress to more. What `place` leaves unread is read and checked anyway.
    pub(super) fn for_each_file(
        &self,
        place: impl FnMut(&str, &Row, Content<'_>) -> Result<(), InstallError>,
    ) -> Result<(), InstallError> {
        self.for_each_part(0..self.files(), place)
    }

    /// How many items [`Wheel::for_each_part`] takes ranges of: the archive's
    /// entries, or an unpacked folder's RECORD rows and bytecode.
    pub(super) fn files(&self) -> usize {
        match &self.archive {
            Some(archive) => archive.len(),
            None => self.record.len() + self.bytecode.len(),
        }
    }

    /// [`Wheel::for_each_file`] for the items in `items` alone (an archive's read
    /// through a reader of its own), so that threads can each take a part of one
    /// wheel. Each file is verified the same way, whichever part it falls in.
    pub(super) fn for_each_part(
        &self,
        items: Range<usize>,
        mut place: impl FnMut(&str, &Row, Content<'_>) -> Result<(), InstallError>,
    ) -> Result<(), InstallError> {
        let skipped = self.skipped();
        let Some(archive) = &self.archive else {
            let wheel = &self.path;
            let rows = self.record.iter().chain(&self.bytecode);
            for row in rows.skip(items.start).take(items.len()) {
                if skipped.contains(&row.path) {
                    continue;
                }
                if !is_safe_entry(&row.path) || row.path.ends_with('/') {
                    return Err(InstallError::UnsafePath {
                        wheel: wheel.clone(),
                        entry: row.path.clone(),
                    });
                }
                place(&row.path, row, Content::File(&wheel.join(&row.path)))?;
            }
            return Ok(());
        };
        let mut archive = archive.clone();
        let wheel = &self.path;
        let rows: HashMap<&str, &Row> = self.record.iter().map(|r| (r.path.as_str(), r)).collect();
        let record_path = wheel.join(&skipped[0]);
        for index in items {
            let mut file = archive
                .by_index(index)
                .map_err(|error| InstallError::NotZip {
                    wheel: wheel.clone(),
                    reason: error.to_string(),
                })?;
            let name = match file.name() {
                Ok(name) => name.into_owned(),
                Err(error) => {
                    return Err(InstallError::NotZip {
                        wheel: wheel.clone(),
                        reason: error.to_string(),
                    });
                }
            };
            // Folders are made as files need them; RECORD lists none.
            if name.ends_with('/') || skipped.contains(&name) {
                continue;
            }
            // "Apart from RECORD and its signatures, installation will fail if any
            // file in the archive is not both mentioned and correctly hashed in RECORD."
            let row = rows
                .get(name.as_str())
                .ok_or_else(|| InstallError::NotInRecord {
                    wheel: wheel.clone(),
                    entry: name.clone(),
                })?;
            let (algorithm, size) =
                row.expected()
                    .map_err(|error| InstallError::InvalidRecord {
                        record: record_path.clone(),
                        error,
                    })?;
            // A header declaring another size than RECORD is refused before a byte is
            // decompressed; the reader below stops one byte past RECORD's size.
            if file.size() != size {
                return Err(InstallError::SizeMismatch {
                    wheel: wheel.clone(),
                    entry: name,
                    expected: size,
                    found: Some(file.size()),
                });
            }
            // As pip does: executable if the entry is a regular file with any x bit.
            let mode = file.external_attributes() >> 16;
            let executable = mode & 0o170_000 == 0o100_000 && mode & 0o111 != 0;
            let mut verified = Verified::new(&mut file, algorithm, size);
            place(
                &name,
                row,
                Content::Stream {
                    reader: &mut verified,
                    executable,
                },
            )?;
            verified.finish(wheel, &name, row)?;
        }
        Ok(())
    }

    /// RECORD first, then its signatures: the files not handed on.
    fn skipped(&self) -> [String; 3] {
        let record = format!("{}/RECORD", self.dist_info);
        // "RECORD.jws is used for digital signatures. It is not mentioned in RECORD."
        // Nor is RECORD.p7s; neither means anything once RECORD is rewritten.
        [
            record.clone(),
            format!("{record}.jws"),
            format!("{record}.p7s"),
        ]
    }
}

/// Opens a wheel to read all of it (into memory, unless it is huge).
fn open_zip(path: &Path) -> Result<ZipArchive, InstallError> {
    // Two entries with one name are read differently by different tools, so what was
    // verified might not be what is installed: the metadata reader refuses them too.
    crate::archive::zipfile::open_zip(path, true).map_err(|error| match error {
        ArchiveError::Io(e) => InstallError::Io(e),
        ArchiveError::DuplicateEntries { .. } => InstallError::DuplicateEntries {
            wheel: path.to_path_buf(),
        },
        ArchiveError::NotZip { reason, .. } => InstallError::NotZip {
            wheel: path.to_path_buf(),
            reason,
        },
        other => InstallError::NotZip {
            wheel: path.to_path_buf(),
            reason: other.to_string(),
        },
    })
}

/// Whether an archive entry name is a plain relative path: no leading `/`, no `.`,
/// `..` or empty components, no `\` (a separator on Windows) and no NUL. Joined to
/// any folder, such a path stays inside it.
/// Whether a part of a path is a name curd gives its own files in an environment
/// (its journal, its lock, hidden temporary names): a wheel that brought a journal
/// could have the next run carry out steps it wrote.
fn is_reserved(part: &str) -> bool {
    part.starts_with(".curd-") || part == ".curd.lock"
}

pub(super) fn is_safe_entry(name: &str) -> bool {
    let path = name.strip_suffix('/').unwrap_or(name);
    !path.is_empty()
        && path.split('/').all(|part| {
            !part.is_empty() && part != "." && part != ".." && !part.contains(['\\', '\0'])
        })
}

/// The wheel's one top-level `.dist-info` folder, which must be the file name's
/// project and version; and no `.data` folder but the one named after it.
///
/// Names are compared normalized, because wheels built before names were escaped
/// spell the folder as the project did (`Zope.Interface-4.0.dist-info`).
fn find_dist_info(
    wheel: &Path,
    tops: &[String],
    filename: &WheelFilename,
) -> Result<String, InstallError> {
    let mut found: Option<&String> = None;
    for top in tops.iter().filter(|top| top.ends_with(".dist-info")) {
        if let Some(first) = found {
            return Err(InstallError::MultipleDistInfo {
                wheel: wheel.to_path_buf(),
                first: first.clone(),
                second: top.clone(),
            });
        }
        found = Some(top);
    }
    let dist_info = found.ok_or_else(|| InstallError::NoDistInfo {
        wheel: wheel.to_path_buf(),
        expected: filename.dist_info_dir(),
    })?;
    let stem = dist_info.strip_suffix(".dist-info").unwrap_or(dist_info);
    let matches = stem.split_once('-').is_some_and(|(name, version)| {
        PackageName::new(name).is_ok_and(|name| name == filename.name)
            && version
                .parse::<Version>()
                .is_ok_and(|version| version == filename.version)
    });
    if !matches {
        return Err(InstallError::DistInfoMismatch {
            wheel: wheel.to_path_buf(),
            found: dist_info.clone(),
            expected: filename.dist_info_dir(),
        });
    }
    // "Any file that is not normally installed inside site-packages goes into the
    // .data directory, named as the .dist-info directory but with the .data/ extension."
    let data = format!("{stem}.data");
    if let Some(other) = tops
        .iter()
        .find(|top| top.ends_with(".data") && **top != data)
    {
        return Err(InstallError::DataDirMismatch {
            wheel: wheel.to_path_buf(),
            found: other.clone(),
            expected: data,
        });
    }
    Ok(dist_info.clone())
}

/// `Wheel-Version` (major, minor) and `Root-Is-Purelib` from WHEEL, which is "in
/// the same basic key: value format" as METADATA.
fn parse_wheel_file(text: &str) -> Result<(u64, u64, bool), WheelFileError> {
    let mut version = None;
    let mut root_is_purelib = false;
    for line in text.lines() {
        let Some((field, value)) = line.split_once(':') else {
            continue;
        };
        let (field, value) = (field.trim(), value.trim());
        if field.eq_ignore_ascii_case("Wheel-Version") {
            version = Some(value);
        } else if field.eq_ignore_ascii_case("Root-Is-Purelib") {
            // "Root-Is-Purelib is true if the top level directory of the archive
            // should be installed into purelib", compared as pip does.
            root_is_purelib = value.eq_ignore_ascii_case("true");
        }
    }
    let version = version.ok_or(WheelFileError::NoVersion)?;
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let parsed = version
        .split_once('.')
        .and_then(|(major, minor)| Some((number(major)?, number(minor)?)));
    match parsed {
        Some((major, minor)) => Ok((major, minor, root_is_purelib)),
        None => Err(WheelFileError::InvalidVersion {
            found: version.to_string(),
        }),
    }
}

/// The rows of a RECORD's bytes; `path` names the file in errors.
pub(super) fn parse_record(bytes: &[u8], path: &Path) -> Result<Vec<Row>, InstallError> {
    record::parse_bytes(bytes).map_err(|error| InstallError::InvalidRecord {
        record: path.to_path_buf(),
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_against_paths_leaving_their_folder() {
        for safe in [
            "a",
            "a/b.py",
            "a/",
            "a.data/scripts/x",
            "..a/b..",
            "a/.hidden",
            "a b/c",
        ] {
            assert!(is_safe_entry(safe), "{safe}");
        }
        for unsafe_ in [
            "",
            "/",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/..",
            "..",
            ".",
            "./a",
            "a/./b",
            "a//b",
            "a\\b",
            "..\\x",
            "a\0b",
            "//x",
        ] {
            assert!(!is_safe_entry(unsafe_), "{unsafe_:?}");
        }
    }

    #[test]
    fn reads_wheel_file() {
        assert_eq!(
            parse_wheel_file("Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"),
            Ok((1, 0, true))
        );
        assert_eq!(
            parse_wheel_file("wheel-version:2.13\r\nroot-is-purelib: False\r\n"),
            Ok((2, 13, false))
        );
        assert_eq!(parse_wheel_file("Wheel-Version: 1.0\n"), Ok((1, 0, false)));
        assert_eq!(
            parse_wheel_file("Generator: x\n").map_err(|e| e.to_string()),
            Err("expected a `Wheel-Version` field, found none".into())
        );
        for bad in ["1", "1.", ".0", "one.0", "1.0.0", "+1.0", "1.-0"] {
            assert_eq!(
                parse_wheel_file(&format!("Wheel-Version: {bad}\n")).map_err(|e| e.to_string()),
                Err(format!(
                    "expected `Wheel-Version` as `major.minor`, found `{bad}`"
                )),
                "{bad}"
            );
        }
    }
}

//! Reads files: core metadata (a wheel's METADATA, an sdist's PKG-INFO) taken out
//! of archives on disk, and the parser for the fields installers and indexes use.
//!
//! <https://packaging.python.org/en/latest/specifications/core-metadata/>
//!
//! Archives come from clients, so every read is bounded: only the one entry is
//! read, never the whole archive, and never more than [`MAX_METADATA_BYTES`] of it,
//! whatever its header claims, so a zip or gzip bomb cannot exhaust memory.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::standards::filename::{
    DistFilename, SdistExtension, SdistFilename, WheelFilename, split_sdist_stem,
};
use crate::standards::name::PackageName;
use crate::util::fs::{Context, FsError};

/// Far above any real METADATA (the largest on PyPI are a few hundred KiB of
/// description), far below what would hurt the server.
pub const MAX_METADATA_BYTES: u64 = 16 * 1024 * 1024;

/// The fields of core metadata that installers and indexes use, as written.
///
/// Values are kept as text: the name, version and requirements are parsed by
/// whoever needs them, so that a legacy value in a field nobody uses does not make
/// the whole file unreadable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoreMetadata {
    pub metadata_version: String,
    pub name: String,
    pub version: String,
    pub requires_dist: Vec<String>,
    pub requires_python: Option<String>,
    pub provides_extra: Vec<String>,
}

/// Why metadata could not be read or parsed.
#[derive(Debug)]
pub enum MetadataError {
    /// A header line (1-based) is not UTF-8, as the specification requires.
    NotUtf8 {
        line: usize,
    },
    MissingField {
        field: &'static str,
    },
    DuplicateField {
        field: &'static str,
    },
    UnsupportedMetadataVersion {
        found: String,
    },
    Io(FsError),
    NotZip {
        path: PathBuf,
        reason: String,
    },
    NotTarGz {
        path: PathBuf,
        reason: String,
    },
    DuplicateEntries {
        path: PathBuf,
    },
    NoDistInfo {
        path: PathBuf,
        expected: String,
    },
    MultipleDistInfo {
        path: PathBuf,
        first: String,
        second: String,
    },
    DistInfoMismatch {
        path: PathBuf,
        found: String,
        expected: String,
    },
    MissingEntry {
        path: PathBuf,
        entry: String,
    },
    TooLarge {
        path: PathBuf,
        entry: String,
    },
    UnreadableEntry {
        path: PathBuf,
        entry: String,
        reason: String,
    },
}

impl fmt::Display for MetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use MetadataError::*;
        match self {
            NotUtf8 { line } => write!(
                f,
                "invalid metadata: expected UTF-8, found other bytes on line {line}"
            ),
            MissingField { field } => write!(
                f,
                "invalid metadata: expected a `{field}` field with a value, found none"
            ),
            DuplicateField { field } => write!(
                f,
                "invalid metadata: expected one `{field}` field, found several"
            ),
            UnsupportedMetadataVersion { found } => write!(
                f,
                "unsupported metadata: expected `Metadata-Version` 1.x or 2.x, found `{}`",
                found.escape_debug()
            ),
            Io(error) => error.fmt(f),
            NotZip { path, reason } => write!(
                f,
                "cannot read `{}`: expected a zip archive, found something else ({reason})",
                path.display()
            ),
            NotTarGz { path, reason } => write!(
                f,
                "cannot read `{}`: expected a gzip-compressed tar archive, found something else ({reason})",
                path.display()
            ),
            DuplicateEntries { path } => write!(
                f,
                "cannot read `{}`: expected unique entry names, found some twice",
                path.display()
            ),
            NoDistInfo { path, expected } => write!(
                f,
                "cannot read `{}`: expected a top-level `{expected}` folder, found no `.dist-info` folder",
                path.display()
            ),
            MultipleDistInfo {
                path,
                first,
                second,
            } => write!(
                f,
                "cannot read `{}`: expected one top-level `.dist-info` folder, found `{}` and `{}`",
                path.display(),
                first.escape_debug(),
                second.escape_debug()
            ),
            DistInfoMismatch {
                path,
                found,
                expected,
            } => write!(
                f,
                "cannot read `{}`: expected the `.dist-info` folder `{expected}`, found `{}`",
                path.display(),
                found.escape_debug()
            ),
            MissingEntry { path, entry } => write!(
                f,
                "cannot read `{}`: expected a file `{}`, found none",
                path.display(),
                entry.escape_debug()
            ),
            TooLarge { path, entry } => write!(
                f,
                "cannot read `{}`: expected `{}` to be at most {MAX_METADATA_BYTES} bytes, found more",
                path.display(),
                entry.escape_debug()
            ),
            UnreadableEntry {
                path,
                entry,
                reason,
            } => write!(
                f,
                "cannot read `{}` in `{}`: {reason}",
                entry.escape_debug(),
                path.display()
            ),
        }
    }
}

impl std::error::Error for MetadataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MetadataError::Io(error) => Some(error),
            _ => None,
        }
    }
}

impl From<FsError> for MetadataError {
    fn from(error: FsError) -> Self {
        MetadataError::Io(error)
    }
}

impl CoreMetadata {
    /// Parses the header section; the body (the description, after the first
    /// blank line) is not read, so only the headers need to be UTF-8.
    pub fn parse(bytes: &[u8]) -> Result<Self, MetadataError> {
        let mut metadata_version = None;
        let mut name = None;
        let mut version = None;
        let mut requires_python = None;
        let mut requires_dist = Vec::new();
        let mut provides_extra = Vec::new();
        for (field, value) in headers(bytes)? {
            let single = |slot: &mut Option<String>, field: &'static str| {
                if slot.is_some() {
                    return Err(MetadataError::DuplicateField { field });
                }
                *slot = Some(value.clone());
                Ok(())
            };
            if field.eq_ignore_ascii_case("Metadata-Version") {
                single(&mut metadata_version, "Metadata-Version")?;
            } else if field.eq_ignore_ascii_case("Name") {
                single(&mut name, "Name")?;
            } else if field.eq_ignore_ascii_case("Version") {
                single(&mut version, "Version")?;
            } else if field.eq_ignore_ascii_case("Requires-Python") {
                single(&mut requires_python, "Requires-Python")?;
            } else if field.eq_ignore_ascii_case("Requires-Dist") {
                requires_dist.push(value);
            } else if field.eq_ignore_ascii_case("Provides-Extra") {
                provides_extra.push(value);
            }
        }
        let required = |value: Option<String>, field: &'static str| {
            value
                .filter(|v| !v.is_empty())
                .ok_or(MetadataError::MissingField { field })
        };
        let metadata_version = required(metadata_version, "Metadata-Version")?;
        if !is_supported_metadata_version(&metadata_version) {
            return Err(MetadataError::UnsupportedMetadataVersion {
                found: metadata_version,
            });
        }
        Ok(CoreMetadata {
            metadata_version,
            name: required(name, "Name")?,
            version: required(version, "Version")?,
            requires_dist,
            requires_python: requires_python.filter(|v| !v.is_empty()),
            provides_extra,
        })
    }
}

/// The specification says readers must refuse a major version they do not know,
/// and only warn about a newer minor version, which adds fields without changing
/// the ones read here.
fn is_supported_metadata_version(version: &str) -> bool {
    let Some((major, minor)) = version.split_once('.') else {
        return false;
    };
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    matches!(major, "1" | "2") && number(minor)
}

/// The header fields in order, unfolded and trimmed.
///
/// Where the line syntax is loose, this does what Python's `email` parser does,
/// since pip and `packaging` read metadata with it: the headers end at the first
/// blank line or at the first line that is neither a header nor a continuation; a
/// line starting with `:` and a continuation with nothing to continue are skipped.
fn headers(bytes: &[u8]) -> Result<Vec<(String, String)>, MetadataError> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for (index, line) in lines(bytes).enumerate() {
        let text =
            || std::str::from_utf8(line).map_err(|_| MetadataError::NotUtf8 { line: index + 1 });
        match line.first() {
            None => break,
            Some(b' ' | b'\t') => {
                let continuation = text()?;
                if let Some((_, value)) = headers.last_mut() {
                    value.push_str(continuation);
                }
            }
            Some(_) => {
                let Some(colon) = line.iter().position(|&b| b == b':') else {
                    break;
                };
                if colon == 0 {
                    continue;
                }
                if !line[..colon].iter().all(|b| b.is_ascii_graphic()) {
                    break;
                }
                let line = text()?;
                let (field, value) = line.split_at(colon);
                headers.push((field.to_string(), value[1..].to_string()));
            }
        }
    }
    for (_, value) in &mut headers {
        *value = value.trim().to_string();
    }
    Ok(headers)
}

/// Lines without their ending, which may be `\n`, `\r\n` or a lone `\r`.
fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .unwrap_or(rest.len());
        let line = &rest[..end];
        let ending = match rest[end..] {
            [b'\r', b'\n', ..] => 2,
            [] => 0,
            _ => 1,
        };
        rest = &rest[end + ending..];
        Some(line)
    })
}

/// The raw core metadata of a wheel (METADATA) or an sdist (PKG-INFO).
pub fn read_dist_metadata(path: &Path, filename: &DistFilename) -> Result<Vec<u8>, MetadataError> {
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
pub fn read_wheel_metadata(
    path: &Path,
    filename: &WheelFilename,
) -> Result<Vec<u8>, MetadataError> {
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
            return Err(MetadataError::MultipleDistInfo {
                path: path.to_path_buf(),
                first,
                second: top.to_string(),
            });
        }
        dist_info = Some(top.to_string());
    }
    let dist_info = dist_info.ok_or_else(|| MetadataError::NoDistInfo {
        path: path.to_path_buf(),
        expected: filename.dist_info_dir(),
    })?;
    let project = dist_info
        .strip_suffix(".dist-info")
        .and_then(|stem| stem.split_once('-'))
        .and_then(|(name, _)| PackageName::new(name).ok());
    if project.as_ref() != Some(&filename.name) {
        return Err(MetadataError::DistInfoMismatch {
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
pub fn read_sdist_metadata(
    path: &Path,
    filename: &SdistFilename,
) -> Result<Vec<u8>, MetadataError> {
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
            let not_tar_gz = |error: io::Error| MetadataError::NotTarGz {
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
            Err(MetadataError::MissingEntry {
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
                None => Err(MetadataError::MissingEntry {
                    path: path.to_path_buf(),
                    entry: expected(),
                }),
            }
        }
    }
}

/// An archive's bytes: all in memory when the archive is to be read whole (and is
/// not huge), which spares a read and a seek per entry, or from the file.
pub enum ArchiveBytes {
    Memory(io::Cursor<Vec<u8>>),
    File(BufReader<File>),
}

impl Read for ArchiveBytes {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            ArchiveBytes::Memory(bytes) => bytes.read(buf),
            ArchiveBytes::File(file) => file.read(buf),
        }
    }
}

impl Seek for ArchiveBytes {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match self {
            ArchiveBytes::Memory(bytes) => bytes.seek(to),
            ArchiveBytes::File(file) => file.seek(to),
        }
    }
}

pub type ZipArchive = zip::ZipArchive<ArchiveBytes>;

/// The largest archive [`open_zip`] reads into memory.
const MAX_IN_MEMORY: u64 = 128 * 1024 * 1024;

/// Opens a zip archive, telling a truncated or foreign file from a disk failure, and
/// refusing archives with two entries of one name. With `whole`, for callers that
/// read every entry, the archive is read into memory first.
pub fn open_zip(path: &Path, whole: bool) -> Result<ZipArchive, MetadataError> {
    let mut file = File::open(path).context("open", path)?;
    let size = file.metadata().context("read", path)?.len();
    let bytes = if whole && size <= MAX_IN_MEMORY {
        let mut bytes = Vec::with_capacity(size as usize);
        file.read_to_end(&mut bytes).context("read", path)?;
        ArchiveBytes::Memory(io::Cursor::new(bytes))
    } else {
        ArchiveBytes::File(BufReader::new(file))
    };
    let archive = zip::ZipArchive::new(bytes).map_err(|error| match error {
        // Running out of bytes is what a truncated archive does, not a disk failure.
        zip::result::ZipError::Io(source) if source.kind() != io::ErrorKind::UnexpectedEof => {
            MetadataError::Io(FsError {
                path: path.to_path_buf(),
                action: "read",
                source,
            })
        }
        other => MetadataError::NotZip {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    })?;
    // Two entries with one name are read differently by different tools, so the
    // metadata served could differ from what an installer sees.
    if archive.has_duplicate_names() {
        return Err(MetadataError::DuplicateEntries {
            path: path.to_path_buf(),
        });
    }
    Ok(archive)
}

fn read_zip_entry(
    archive: &mut ZipArchive,
    path: &Path,
    entry: &str,
) -> Result<Vec<u8>, MetadataError> {
    let file = archive.by_name(entry).map_err(|error| match error {
        zip::result::ZipError::FileNotFound => MetadataError::MissingEntry {
            path: path.to_path_buf(),
            entry: entry.to_string(),
        },
        other => MetadataError::UnreadableEntry {
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
) -> Result<Vec<u8>, MetadataError> {
    let too_large = || MetadataError::TooLarge {
        path: path.to_path_buf(),
        entry: entry.to_string(),
    };
    if declared > MAX_METADATA_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    reader
        .take(MAX_METADATA_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| MetadataError::UnreadableEntry {
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
mod tests {
    use super::*;
    use crate::standards::filename::DistFilename;
    use crate::util::fs::TestDir as TempDir;
    use std::io::Write;

    fn parse(text: &str) -> CoreMetadata {
        CoreMetadata::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn parse_err(bytes: &[u8]) -> MetadataError {
        match CoreMetadata::parse(bytes) {
            Ok(parsed) => panic!("{:?}: parsed as {parsed:?}", String::from_utf8_lossy(bytes)),
            Err(error) => error,
        }
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn parses_the_fields_used() {
        let m = parse(
            "Metadata-Version: 2.1\n\
             Name: Foo.Bar\n\
             Version: 1.0.post1\n\
             Summary: A summary: with a colon\n\
             Requires-Python: >=3.8\n\
             Requires-Dist: requests (>=2.0)\n\
             Requires-Dist: tomli>=1.1; python_version < \"3.11\"\n\
             Provides-Extra: socks\n\
             Requires-Dist: PySocks!=1.5.7,>=1.5.6; extra == \"socks\"\n\
             Provides-Extra: Test_Suite\n\
             Description-Content-Type: text/markdown\n\
             \n\
             # Foo\n\
             Name: not-a-header\n\
             Requires-Dist: not-a-dependency\n",
        );
        assert_eq!(
            m,
            CoreMetadata {
                metadata_version: "2.1".into(),
                name: "Foo.Bar".into(),
                version: "1.0.post1".into(),
                requires_dist: strings(&[
                    "requests (>=2.0)",
                    "tomli>=1.1; python_version < \"3.11\"",
                    "PySocks!=1.5.7,>=1.5.6; extra == \"socks\"",
                ]),
                requires_python: Some(">=3.8".into()),
                provides_extra: strings(&["socks", "Test_Suite"]),
            }
        );
    }

    #[test]
    fn reads_every_metadata_version_of_the_specification() {
        for version in [
            "1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "1.10",
        ] {
            let m = parse(&format!(
                "Metadata-Version: {version}\nName: a\nVersion: 1\n"
            ));
            assert_eq!(m.metadata_version, version);
        }
        for version in [
            "3.0", "0.9", "2", "2.", ".4", "two.one", "2.1a", "v2.1", "10.0",
        ] {
            let text = format!("Metadata-Version: {version}\nName: a\nVersion: 1\n");
            match parse_err(text.as_bytes()) {
                MetadataError::UnsupportedMetadataVersion { found } => assert_eq!(found, version),
                other => panic!("{version}: {other}"),
            }
        }
    }

    #[test]
    fn unfolds_continuation_lines() {
        let m = parse(
            "Metadata-Version: 1.2\n\
             Name: foo\n\
             Version: 1.0\n\
             Description: A long description\n\
             \x20       |spanning lines\n\
             \x20       |Name: not-a-header\n\
             Requires-Dist: bar;\n\
             \x20 python_version < \"3\"\n\
             Requires-Python:\n\
             \t>=3.6,\n\
             \x20<4\n\
             Provides-Extra: a\n",
        );
        assert_eq!(m.name, "foo");
        assert_eq!(m.requires_dist, ["bar;  python_version < \"3\""]);
        assert_eq!(m.requires_python.as_deref(), Some(">=3.6, <4"));
        assert_eq!(m.provides_extra, ["a"]);
    }

    #[test]
    fn tolerates_crlf_and_lone_cr_and_no_final_newline() {
        for text in [
            "Metadata-Version: 2.1\r\nName: foo\r\nVersion: 1.0\r\nRequires-Dist: bar\r\n\r\nbody\r\n",
            "Metadata-Version: 2.1\rName: foo\rVersion: 1.0\rRequires-Dist: bar\r\rbody",
            "Metadata-Version: 2.1\nName: foo\r\nVersion: 1.0\rRequires-Dist: bar",
            "Metadata-Version: 2.1\r\nName: foo\r\nVersion: 1.0\r\nRequires-Dist:\r\n bar\r\n",
        ] {
            let m = parse(text);
            assert_eq!(
                (m.name.as_str(), m.version.as_str(), m.requires_dist),
                ("foo", "1.0", strings(&["bar"])),
                "{text:?}"
            );
        }
    }

    #[test]
    fn compares_field_names_without_case_and_trims_values() {
        let m = parse(
            "metadata-version: 2.1\n\
             NAME:foo  \n\
             version:\t 1.0\n\
             requires-dist: bar\n\
             REQUIRES-DIST: baz\n\
             Requires-python:  \n\
             provides-EXTRA: x\n",
        );
        assert_eq!(m.name, "foo");
        assert_eq!(m.version, "1.0");
        assert_eq!(m.requires_dist, ["bar", "baz"]);
        assert_eq!(m.requires_python, None);
        assert_eq!(m.provides_extra, ["x"]);
    }

    #[test]
    fn ignores_the_fields_it_does_not_use() {
        let m = parse(
            "Metadata-Version: 2.4\n\
             Name: foo\n\
             Version: 2.0\n\
             License-Expression: MIT OR Apache-2.0\n\
             License-File: LICENSE\n\
             License-File: licenses/NOTICE\n\
             Dynamic: Requires-Dist\n\
             Classifier: Programming Language :: Python :: 3\n\
             Project-URL: Homepage, https://example.org\n\
             Import-Name: foo\n\
             X-Custom: anything\n",
        );
        assert_eq!(
            m,
            CoreMetadata {
                metadata_version: "2.4".into(),
                name: "foo".into(),
                version: "2.0".into(),
                ..CoreMetadata::default()
            }
        );
    }

    #[test]
    fn ends_headers_where_python_email_does() {
        // A line that is neither a header nor a continuation starts the body.
        let m = parse(
            "Metadata-Version: 2.1\nName: foo\nVersion: 1\nno colon here\nRequires-Dist: bar\n",
        );
        assert!(m.requires_dist.is_empty());
        let m = parse(
            "Metadata-Version: 2.1\nName: foo\nVersion: 1\nBad Name: x\nRequires-Dist: bar\n",
        );
        assert!(m.requires_dist.is_empty());
        // A line starting with `:` and a continuation with nothing before it are skipped.
        let m = parse(
            " stray\nMetadata-Version: 2.1\n: odd\nName: foo\nVersion: 1\nRequires-Dist: bar\n",
        );
        assert_eq!(m.requires_dist, ["bar"]);
        // A line of only whitespace is a continuation, not the blank line.
        let m = parse(
            "Metadata-Version: 2.1\nName: foo\nVersion: 1\nRequires-Dist: bar\n \nRequires-Dist: baz\n",
        );
        assert_eq!(m.requires_dist, ["bar", "baz"]);
        // A space before the colon makes no header (so no `Name` here).
        assert!(matches!(
            parse_err(b"Metadata-Version: 2.1\nName : foo\nVersion: 1\n"),
            MetadataError::MissingField { field: "Name" }
        ));
    }

    #[test]
    fn refuses_missing_empty_and_repeated_fields() {
        for (text, expected) in [
            ("", "Metadata-Version"),
            (
                "\nMetadata-Version: 2.1\nName: foo\nVersion: 1\n",
                "Metadata-Version",
            ),
            ("Name: foo\nVersion: 1\n", "Metadata-Version"),
            (
                "Metadata-Version:\nName: foo\nVersion: 1\n",
                "Metadata-Version",
            ),
            ("Metadata-Version: 2.1\nVersion: 1\n", "Name"),
            ("Metadata-Version: 2.1\nName:   \nVersion: 1\n", "Name"),
            ("Metadata-Version: 2.1\nName: foo\n", "Version"),
            (
                "Metadata-Version: 2.1\nName: foo\n\nVersion: 1\n",
                "Version",
            ),
        ] {
            match parse_err(text.as_bytes()) {
                MetadataError::MissingField { field } => assert_eq!(field, expected, "{text:?}"),
                other => panic!("{text:?}: {other}"),
            }
        }
        for (text, expected) in [
            (
                "Metadata-Version: 2.1\nName: foo\nname: bar\nVersion: 1\n",
                "Name",
            ),
            (
                "Metadata-Version: 2.1\nName: foo\nVersion: 1\nVersion: 2\n",
                "Version",
            ),
            (
                "Metadata-Version: 2.1\nMetadata-Version: 2.2\nName: foo\nVersion: 1\n",
                "Metadata-Version",
            ),
            (
                "Metadata-Version: 2.1\nName: foo\nVersion: 1\nRequires-Python: >=3\nRequires-Python: <4\n",
                "Requires-Python",
            ),
        ] {
            match parse_err(text.as_bytes()) {
                MetadataError::DuplicateField { field } => assert_eq!(field, expected, "{text:?}"),
                other => panic!("{text:?}: {other}"),
            }
        }
    }

    #[test]
    fn refuses_headers_that_are_not_utf8_but_not_a_body() {
        let latin1 = b"Metadata-Version: 2.1\nName: foo\nVersion: 1\nAuthor: Andr\xe9\n";
        assert!(matches!(
            parse_err(latin1),
            MetadataError::NotUtf8 { line: 4 }
        ));
        let continuation = b"Metadata-Version: 2.1\nName: foo\nVersion: 1\nSummary: a\n \xff\n";
        assert!(matches!(
            parse_err(continuation),
            MetadataError::NotUtf8 { line: 5 }
        ));
        let body = b"Metadata-Version: 2.1\nName: foo\nVersion: 1\n\nAndr\xe9\n";
        assert_eq!(CoreMetadata::parse(body).expect("body").name, "foo");
        let unicode = "Metadata-Version: 2.1\nName: foo\nVersion: 1\nAuthor: Andr\u{e9}\n";
        assert_eq!(parse(unicode).name, "foo");
    }

    #[test]
    fn explains_parse_errors() {
        for (error, message) in [
            (
                MetadataError::NotUtf8 { line: 4 },
                "invalid metadata: expected UTF-8, found other bytes on line 4",
            ),
            (
                MetadataError::MissingField { field: "Name" },
                "invalid metadata: expected a `Name` field with a value, found none",
            ),
            (
                MetadataError::DuplicateField { field: "Version" },
                "invalid metadata: expected one `Version` field, found several",
            ),
            (
                MetadataError::UnsupportedMetadataVersion {
                    found: "3.0".into(),
                },
                "unsupported metadata: expected `Metadata-Version` 1.x or 2.x, found `3.0`",
            ),
        ] {
            assert_eq!(error.to_string(), message);
        }
    }

    const METADATA: &[u8] = b"Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n";

    fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
        zip_bytes_with(zip::CompressionMethod::Deflated, entries)
    }

    fn zip_bytes_with(method: zip::CompressionMethod, entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        for (name, data) in entries {
            if name.ends_with('/') {
                writer.add_directory(*name, options).expect("zip folder");
            } else {
                writer.start_file(*name, options).expect("zip entry");
                writer.write_all(data).expect("zip data");
            }
        }
        writer.finish().expect("zip finish").into_inner()
    }

    fn tar_gz_bytes(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
        tar_gz_bytes_with(flate2::Compression::fast(), entries)
    }

    fn tar_gz_bytes_with(
        level: flate2::Compression,
        entries: &[(&str, tar::EntryType, &[u8])],
    ) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), level);
        let mut builder = tar::Builder::new(gz);
        for (name, kind, data) in entries {
            let mut header = tar::Header::new_gnu();
            // Written raw, so names such as `./x` or `../x` reach the reader unchanged.
            let raw = &mut header.as_gnu_mut().expect("gnu header").name;
            raw[..name.len()].copy_from_slice(name.as_bytes());
            header.set_entry_type(*kind);
            header.set_mode(0o644);
            header.set_size(data.len() as u64);
            header.set_cksum();
            builder.append(&header, *data).expect("tar entry");
        }
        builder
            .into_inner()
            .expect("tar finish")
            .finish()
            .expect("gzip finish")
    }

    fn wheel_name(filename: &str) -> WheelFilename {
        match DistFilename::parse(filename) {
            Ok(DistFilename::Wheel(wheel)) => wheel,
            other => panic!("{filename}: {other:?}"),
        }
    }

    fn sdist_name(filename: &str) -> SdistFilename {
        match DistFilename::parse(filename) {
            Ok(DistFilename::Sdist(sdist)) => sdist,
            other => panic!("{filename}: {other:?}"),
        }
    }

    /// Writes `bytes` as `filename` and reads its metadata.
    fn read(dir: &TempDir, filename: &str, bytes: &[u8]) -> Result<Vec<u8>, MetadataError> {
        let path = dir.join(filename);
        std::fs::write(&path, bytes).expect("write archive");
        match DistFilename::parse(filename) {
            Ok(DistFilename::Wheel(wheel)) => read_wheel_metadata(&path, &wheel),
            Ok(DistFilename::Sdist(sdist)) => read_sdist_metadata(&path, &sdist),
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn reads_wheel_metadata() {
        let dir = TempDir::new("wheel");
        for (filename, entries) in [
            (
                "foo-1.0-py3-none-any.whl",
                vec![
                    ("foo/__init__.py", &b"x = 1\n"[..]),
                    ("foo-1.0.data/scripts/foo", b"#!python\n"),
                    ("foo-1.0.dist-info/", b""),
                    ("foo-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n"),
                    ("foo-1.0.dist-info/METADATA", METADATA),
                    ("foo-1.0.dist-info/RECORD", b""),
                    ("foo/sub.dist-info/METADATA", b"nested, not it"),
                ],
            ),
            // Old wheels spell the folder as the project did.
            (
                "zope.interface-4.0-cp27-none-linux_x86_64.whl",
                vec![("Zope.Interface-4.0.dist-info/METADATA", METADATA)],
            ),
            (
                "Foo_Bar-2.0-1-py2.py3-none-any.whl",
                vec![
                    ("Foo_Bar-2.0.dist-info/METADATA", METADATA),
                    ("foo_bar/x.py", b""),
                ],
            ),
        ] {
            let bytes = read(&dir, filename, &zip_bytes(&entries));
            assert_eq!(bytes.expect(filename), METADATA, "{filename}");
        }
    }

    /// Big entries are stored uncompressed, because compressing megabytes in a
    /// debug build is slow; the declared sizes are what a bomb would declare.
    #[test]
    fn reads_metadata_up_to_the_limit_and_no_further() {
        let dir = TempDir::new("bomb");
        let wheel = "foo-1.0-py3-none-any.whl";
        let entry = "foo-1.0.dist-info/METADATA";
        let limit = usize::try_from(MAX_METADATA_BYTES).expect("limit");
        let at_limit = vec![b'a'; limit];
        let stored = zip::CompressionMethod::Stored;
        let bytes = read(&dir, wheel, &zip_bytes_with(stored, &[(entry, &at_limit)]));
        assert_eq!(bytes.expect("at the limit").len(), limit);
        let over = vec![b'a'; limit + 1];
        let mut bomb = zip_bytes_with(stored, &[(entry, &over)]);
        match read(&dir, wheel, &bomb) {
            Err(MetadataError::TooLarge { entry: found, .. }) => assert_eq!(found, entry),
            other => panic!("{other:?}"),
        }
        // A header that lies (declaring 1 byte) is caught by the zip reader or by
        // the bound: patch the uncompressed size in the local header (offset 22)
        // and the central one (24).
        for (signature, offset) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
            let at = bomb
                .windows(4)
                .position(|w| w == signature)
                .expect("zip header");
            bomb[at + offset..at + offset + 4].copy_from_slice(&1u32.to_le_bytes());
        }
        match read(&dir, wheel, &bomb) {
            Err(
                MetadataError::TooLarge { entry: found, .. }
                | MetadataError::UnreadableEntry { entry: found, .. },
            ) => assert_eq!(found, entry),
            other => panic!("{other:?}"),
        }
        let bomb = tar_gz_bytes_with(
            flate2::Compression::none(),
            &[("foo-1.0/PKG-INFO", tar::EntryType::Regular, &over)],
        );
        assert!(matches!(
            read(&dir, "foo-1.0.tar.gz", &bomb),
            Err(MetadataError::TooLarge { .. })
        ));
    }

    #[test]
    fn refuses_wheels_without_one_matching_dist_info() {
        let dir = TempDir::new("dist-info");
        let wheel = "foo-1.0-py3-none-any.whl";
        let two = zip_bytes(&[
            ("foo-1.0.dist-info/METADATA", METADATA),
            ("foo-1.0.dist-info/RECORD", b""),
            ("bar-1.0.dist-info/METADATA", METADATA),
        ]);
        match read(&dir, wheel, &two) {
            Err(MetadataError::MultipleDistInfo { first, second, .. }) => {
                assert_eq!(
                    (first.as_str(), second.as_str()),
                    ("foo-1.0.dist-info", "bar-1.0.dist-info")
                )
            }
            other => panic!("{other:?}"),
        }
        let same_project_twice = zip_bytes(&[
            ("foo-1.0.dist-info/METADATA", METADATA),
            ("foo-2.0.dist-info/METADATA", METADATA),
        ]);
        assert!(matches!(
            read(&dir, wheel, &same_project_twice),
            Err(MetadataError::MultipleDistInfo { .. })
        ));
        for entries in [
            vec![("foo/__init__.py", &b""[..])],
            vec![("foo/foo-1.0.dist-info/METADATA", METADATA)],
            vec![("foo-1.0.dist-info", METADATA)],
            vec![],
        ] {
            match read(&dir, wheel, &zip_bytes(&entries)) {
                Err(MetadataError::NoDistInfo { expected, .. }) => {
                    assert_eq!(expected, "foo-1.0.dist-info")
                }
                other => panic!("{entries:?}: {other:?}"),
            }
        }
        for folder in [
            "bar-1.0.dist-info",
            "foobar-1.0.dist-info",
            "foo.dist-info",
            "-1.0.dist-info",
        ] {
            let entry = format!("{folder}/METADATA");
            match read(&dir, wheel, &zip_bytes(&[(&entry, METADATA)])) {
                Err(MetadataError::DistInfoMismatch {
                    found, expected, ..
                }) => {
                    assert_eq!(
                        (found.as_str(), expected.as_str()),
                        (folder, "foo-1.0.dist-info")
                    )
                }
                other => panic!("{folder}: {other:?}"),
            }
        }
        let no_metadata = zip_bytes(&[("foo-1.0.dist-info/RECORD", b"")]);
        match read(&dir, wheel, &no_metadata) {
            Err(MetadataError::MissingEntry { entry, .. }) => {
                assert_eq!(entry, "foo-1.0.dist-info/METADATA")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn refuses_what_is_not_a_sound_zip() {
        let dir = TempDir::new("not-zip");
        let wheel = "foo-1.0-py3-none-any.whl";
        let good = zip_bytes(&[("foo-1.0.dist-info/METADATA", METADATA)]);
        for bytes in [
            &good[..good.len() / 2],
            &good[..good.len() - 1],
            b"not a zip at all",
            b"",
            &tar_gz_bytes(&[("foo-1.0/PKG-INFO", tar::EntryType::Regular, METADATA)]),
        ] {
            assert!(
                matches!(read(&dir, wheel, bytes), Err(MetadataError::NotZip { .. })),
                "{:?}",
                read(&dir, wheel, bytes)
            );
        }
        // Two entries with one name: rename the second entry in place.
        let mut twice = zip_bytes(&[
            ("foo-1.0.dist-info/METADATA", METADATA),
            (
                "foo-1.0.dist-info/METADATB",
                b"Metadata-Version: 2.1\nName: evil\n",
            ),
        ]);
        let (from, to) = (b"METADATB", b"METADATA");
        let mut i = 0;
        while i + from.len() <= twice.len() {
            if &twice[i..i + from.len()] == from {
                twice[i..i + from.len()].copy_from_slice(to);
            }
            i += 1;
        }
        assert!(matches!(
            read(&dir, wheel, &twice),
            Err(MetadataError::DuplicateEntries { .. })
        ));
        let missing = dir.join("missing.whl");
        match read_wheel_metadata(&missing, &wheel_name(wheel)) {
            Err(MetadataError::Io(error)) => assert_eq!(error.path, missing),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_sdist_metadata() {
        use tar::EntryType::{Directory, Regular, Symlink};
        let dir = TempDir::new("sdist");
        let noise: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for (filename, entries) in [
            (
                "python-dateutil-2.8.2.tar.gz",
                vec![
                    ("python-dateutil-2.8.2/", Directory, &b""[..]),
                    ("python-dateutil-2.8.2/big.bin", Regular, &noise),
                    (
                        "python-dateutil-2.8.2/python_dateutil.egg-info/PKG-INFO",
                        Regular,
                        b"nested",
                    ),
                    ("python-dateutil-2.8.2/PKG-INFO", Regular, METADATA),
                    ("python-dateutil-2.8.2/setup.py", Regular, b""),
                ],
            ),
            (
                "foo-1.0.tar.gz",
                vec![("./foo-1.0/PKG-INFO", Regular, METADATA)],
            ),
            // A renamed file still finds its folder.
            (
                "Foo_Bar-1.0.tar.gz",
                vec![("foo-bar-1.0/PKG-INFO", Regular, METADATA)],
            ),
            // A symbolic link is not the file.
            (
                "foo-2.0.tar.gz",
                vec![
                    ("foo-2.0/PKG-INFO", Symlink, b""),
                    ("foo-2.0/PKG-INFO", Regular, METADATA),
                ],
            ),
        ] {
            let bytes = read(&dir, filename, &tar_gz_bytes(&entries));
            assert_eq!(bytes.expect(filename), METADATA, "{filename}");
        }
        let zip = zip_bytes(&[
            ("foo-1.0/", b""),
            ("foo-1.0/PKG-INFO/", b""),
            ("foo-1.0/foo.egg-info/PKG-INFO", b"nested"),
            ("foo-1.0/PKG-INFO", METADATA),
        ]);
        assert_eq!(
            read(&dir, "foo-1.0.zip", &zip).expect("zip sdist"),
            METADATA
        );
    }

    #[test]
    fn refuses_sdists_without_their_pkg_info() {
        use tar::EntryType::{Regular, Symlink};
        let dir = TempDir::new("sdist-missing");
        for entries in [
            vec![],
            vec![("bar-1.0/PKG-INFO", Regular, METADATA)],
            vec![("foo-1.1/PKG-INFO", Regular, METADATA)],
            vec![("PKG-INFO", Regular, METADATA)],
            vec![("foo-1.0/foo.egg-info/PKG-INFO", Regular, METADATA)],
            vec![("../foo-1.0/PKG-INFO", Regular, METADATA)],
            vec![("foo-1.0/PKG-INFO", Symlink, b"")],
        ] {
            match read(&dir, "foo-1.0.tar.gz", &tar_gz_bytes(&entries)) {
                Err(MetadataError::MissingEntry { entry, .. }) => {
                    assert_eq!(entry, "foo-1.0/PKG-INFO")
                }
                other => panic!("{entries:?}: {other:?}"),
            }
        }
        match read(
            &dir,
            "foo-1.0.zip",
            &zip_bytes(&[("bar-1.0/PKG-INFO", METADATA)]),
        ) {
            Err(MetadataError::MissingEntry { entry, .. }) => assert_eq!(entry, "foo-1.0/PKG-INFO"),
            other => panic!("{other:?}"),
        }
        let noise: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let good = tar_gz_bytes(&[
            ("foo-1.0/big.bin", Regular, &noise),
            ("foo-1.0/PKG-INFO", Regular, METADATA),
        ]);
        for bytes in [
            &good[..good.len() / 2],
            b"not gzip",
            &zip_bytes(&[("foo-1.0/PKG-INFO", METADATA)]),
        ] {
            assert!(
                matches!(
                    read(&dir, "foo-1.0.tar.gz", bytes),
                    Err(MetadataError::NotTarGz { .. })
                ),
                "{:?}",
                read(&dir, "foo-1.0.tar.gz", bytes)
            );
        }
        assert!(matches!(
            read(&dir, "foo-1.0.zip", &good),
            Err(MetadataError::NotZip { .. })
        ));
        let missing = dir.join("missing.tar.gz");
        assert!(matches!(
            read_sdist_metadata(&missing, &sdist_name("foo-1.0.tar.gz")),
            Err(MetadataError::Io(_))
        ));
    }

    #[test]
    fn explains_archive_errors() {
        let path = PathBuf::from("/srv/foo-1.0-py3-none-any.whl");
        let p = || path.clone();
        for (error, message) in [
            (
                MetadataError::NotZip {
                    path: p(),
                    reason: "invalid Zip archive".into(),
                },
                "cannot read `/srv/foo-1.0-py3-none-any.whl`: expected a zip archive, found something else (invalid Zip archive)",
            ),
            (
                MetadataError::MultipleDistInfo {
                    path: p(),
                    first: "a-1.dist-info".into(),
                    second: "b-1.dist-info".into(),
                },
                "cannot read `/srv/foo-1.0-py3-none-any.whl`: expected one top-level `.dist-info` folder, found `a-1.dist-info` and `b-1.dist-info`",
            ),
            (
                MetadataError::NoDistInfo {
                    path: p(),
                    expected: "foo-1.0.dist-info".into(),
                },
                "cannot read `/srv/foo-1.0-py3-none-any.whl`: expected a top-level `foo-1.0.dist-info` folder, found no `.dist-info` folder",
            ),
            (
                MetadataError::DistInfoMismatch {
                    path: p(),
                    found: "bar-1.0.dist-info".into(),
                    expected: "foo-1.0.dist-info".into(),
                },
                "cannot read `/srv/foo-1.0-py3-none-any.whl`: expected the `.dist-info` folder `foo-1.0.dist-info`, found `bar-1.0.dist-info`",
            ),
            (
                MetadataError::MissingEntry {
                    path: p(),
                    entry: "foo-1.0.dist-info/METADATA".into(),
                },
                "cannot read `/srv/foo-1.0-py3-none-any.whl`: expected a file `foo-1.0.dist-info/METADATA`, found none",
            ),
            (
                MetadataError::TooLarge {
                    path: p(),
                    entry: "foo-1.0.dist-info/METADATA".into(),
                },
                "cannot read `/srv/foo-1.0-py3-none-any.whl`: expected `foo-1.0.dist-info/METADATA` to be at most 16777216 bytes, found more",
            ),
            (
                MetadataError::DuplicateEntries { path: p() },
                "cannot read `/srv/foo-1.0-py3-none-any.whl`: expected unique entry names, found some twice",
            ),
        ] {
            assert_eq!(error.to_string(), message);
        }
    }
}

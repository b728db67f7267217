//! Why a wheel or an sdist could not be read: opened as an archive, or its core
//! metadata found, read within bounds and parsed.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::standards::metadata::MetadataError;
use crate::util::fs::FsError;

/// Why an archive, or the metadata inside it, could not be read.
#[derive(Debug)]
pub enum ArchiveError {
    /// The file could not be opened or read.
    Io(FsError),
    /// The file is not a zip archive, or a damaged one.
    NotZip { path: PathBuf, reason: String },
    /// The file is not a gzip-compressed tar archive, or a damaged one.
    NotTarGz { path: PathBuf, reason: String },
    /// Two entries share a name, which tools read differently.
    DuplicateEntries { path: PathBuf },
    /// A wheel without a top-level `.dist-info` folder.
    NoDistInfo { path: PathBuf, expected: String },
    /// A wheel with more than one top-level `.dist-info` folder.
    MultipleDistInfo {
        path: PathBuf,
        first: String,
        second: String,
    },
    /// A wheel whose `.dist-info` folder belongs to another project.
    DistInfoMismatch {
        path: PathBuf,
        found: String,
        expected: String,
    },
    /// The entry that holds the metadata is not in the archive.
    MissingEntry { path: PathBuf, entry: String },
    /// The entry is larger than `limit` bytes, by its header or by what it holds.
    TooLarge {
        path: PathBuf,
        entry: String,
        limit: u64,
    },
    /// The entry is there, but reading it failed.
    UnreadableEntry {
        path: PathBuf,
        entry: String,
        reason: String,
    },
    /// The metadata was read, and is not valid core metadata.
    Metadata(MetadataError),
    /// An archive no installer should accept, or one past the bounds a real one keeps.
    Refused { path: PathBuf, refusal: Refusal },
}

/// Why an archive is refused before anything of it is trusted.
#[derive(Debug)]
pub enum Refusal {
    /// More entries than the limit.
    Entries(u64),
    /// A central directory larger than the limit, in bytes.
    Directory(u64),
    /// More bytes unpacked than the limit.
    Unpacked(u64),
    /// Names and link targets adding up to more bytes than the limit.
    Names(u64),
    /// A tar's long-name or pax header of `size` bytes, over `limit`.
    Header { size: u64, limit: u64 },
    /// Bytes before the zip archive, which tools read differently.
    BytesBefore,
    /// Bytes after the zip archive's end record.
    BytesAfter(u64),
    /// Two entries whose data overlap (a zip bomb's trick).
    Overlap(String, String),
    /// One entry that could write or point outside, or clash with another.
    Entry { entry: String, reason: String },
    /// Not one top-level folder.
    TopLevel(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Entries(limit) => write!(f, "it holds more than {limit} entries"),
            Refusal::Directory(limit) => {
                write!(f, "its central directory is larger than {limit} bytes")
            }
            Refusal::Unpacked(limit) => write!(f, "it unpacks to more than {limit} bytes"),
            Refusal::Names(limit) => {
                write!(f, "its names add up to more than {limit} bytes")
            }
            Refusal::Header { size, limit } => write!(
                f,
                "it has a long-name or pax header of {size} bytes, more than the {limit} allowed"
            ),
            Refusal::BytesBefore => f.write_str("it has bytes before the zip archive"),
            Refusal::BytesAfter(n) => {
                write!(f, "it has {n} bytes after the end of the zip archive")
            }
            Refusal::Overlap(a, b) => write!(
                f,
                "its entries `{}` and `{}` overlap",
                a.escape_debug(),
                b.escape_debug()
            ),
            Refusal::Entry { entry, reason } => {
                write!(f, "its entry `{}` {reason}", entry.escape_debug())
            }
            Refusal::TopLevel(found) => {
                write!(f, "expected one top-level folder, found {found}")
            }
        }
    }
}

impl ArchiveError {
    /// A refusal of the archive at `path`: the one shape every check reports in.
    pub(crate) fn refused(path: &Path, refusal: Refusal) -> Self {
        ArchiveError::Refused {
            path: path.to_path_buf(),
            refusal,
        }
    }

    /// The refusal of one entry, `entry` as the archive names it.
    pub(crate) fn entry(path: &Path, entry: &str, reason: impl Into<String>) -> Self {
        Self::refused(
            path,
            Refusal::Entry {
                entry: entry.to_string(),
                reason: reason.into(),
            },
        )
    }
}

impl fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ArchiveError::*;
        match self {
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
            TooLarge { path, entry, limit } => write!(
                f,
                "cannot read `{}`: expected `{}` to be at most {limit} bytes, found more",
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
            Metadata(error) => error.fmt(f),
            Refused { path, refusal } => {
                write!(f, "refusing `{}`: {refusal}", path.display())
            }
        }
    }
}

impl std::error::Error for ArchiveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ArchiveError::Io(error) => Some(error),
            ArchiveError::Metadata(error) => error.source(),
            _ => None,
        }
    }
}

impl From<FsError> for ArchiveError {
    fn from(error: FsError) -> Self {
        ArchiveError::Io(error)
    }
}

impl From<MetadataError> for ArchiveError {
    fn from(error: MetadataError) -> Self {
        ArchiveError::Metadata(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_archive_errors() {
        let path = PathBuf::from("/srv/foo-1.0-py3-none-any.whl");
        let p = || path.clone();
        for (error, message) in [
            (
                ArchiveError::NotZip {
                    path: p(),
                    reason: "invalid Zip archive".into(),
                },
                "cannot read `/srv/foo-1.0-py3-none-any.whl`: expected a zip archive, found something else (invalid Zip archive)",
            ),
            (
                ArchiveError::MultipleDistInfo {
                    path: p(),
                    first: "a-1.dist-info".into(),
                    second: "b-1.dist-info".into(),
                },
                "cannot read `/srv/foo-1.0-py3-none-any.whl`: expected one top-level `.dist-info` folder, found `a-1.dist-info` and `b-1.dist-info`",
            ),
            (
                ArchiveError::NoDistInfo {
                    path: p(),
                    expected: "foo-1.0.dist-info".into(),
                },
                "cannot read `/srv/foo-1.0-py3-none-any.whl`: expected a top-level `foo-1.0.dist-info` folder, found no `.dist-info` folder",
            ),
            (
                ArchiveError::DistInfoMismatch {
                    path: p(),
                    found: "bar-1.0.dist-info".into(),
                    expected: "foo-1.0.dist-info".into(),
                },
                "cannot read `/srv/foo-1.0-py3-none-any.whl`: expected the `.dist-info` folder `foo-1.0.dist-info`, found `bar-1.0.dist-info`",
            ),
            (
                ArchiveError::MissingEntry {
                    path: p(),
                    entry: "foo-1.0.dist-info/METADATA".into(),
                },
                "cannot read `/srv/foo-1.0-py3-none-any.whl`: expected a file `foo-1.0.dist-info/METADATA`, found none",
            ),
            (
                ArchiveError::TooLarge {
                    path: p(),
                    entry: "foo-1.0.dist-info/METADATA".into(),
                    limit: 16 * 1024 * 1024,
                },
                "cannot read `/srv/foo-1.0-py3-none-any.whl`: expected `foo-1.0.dist-info/METADATA` to be at most 16777216 bytes, found more",
            ),
            (
                ArchiveError::DuplicateEntries { path: p() },
                "cannot read `/srv/foo-1.0-py3-none-any.whl`: expected unique entry names, found some twice",
            ),
        ] {
            assert_eq!(error.to_string(), message);
        }
    }
}

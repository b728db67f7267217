//! Zip archives (wheels, and sdists in the old `.zip` format) opened for reading:
//! a truncated or foreign file told apart from a disk failure, and archives whose
//! entries share a name refused.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use crate::archive::error::ArchiveError;
use crate::util::fs::{Context, FsError};

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
pub fn open_zip(path: &Path, whole: bool) -> Result<ZipArchive, ArchiveError> {
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
            ArchiveError::Io(FsError {
                path: path.to_path_buf(),
                action: "read",
                source,
            })
        }
        other => ArchiveError::NotZip {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    })?;
    // Two entries with one name are read differently by different tools, so the
    // metadata served could differ from what an installer sees.
    if archive.has_duplicate_names() {
        return Err(ArchiveError::DuplicateEntries {
            path: path.to_path_buf(),
        });
    }
    Ok(archive)
}

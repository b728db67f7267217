//! Zip archives (wheels, and sdists in the old `.zip` format) opened for reading:
//! a truncated or foreign file told apart from a disk failure, and archives whose
//! entries share a name refused.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use crate::archive::error::ArchiveError;
use crate::util::fs::{Context, FsError};

/// An archive's bytes: all in memory when the archive is to be read whole (and is
/// not huge), which spares a read and a seek per entry, or from the file. A clone
/// shares the bytes (or the open file) and keeps its own position, so several
/// threads can read the entries of one archive at once.
pub enum ArchiveBytes {
    Memory(io::Cursor<Shared>),
    File(BufReader<At>),
}

impl Clone for ArchiveBytes {
    fn clone(&self) -> ArchiveBytes {
        match self {
            ArchiveBytes::Memory(bytes) => {
                ArchiveBytes::Memory(io::Cursor::new(bytes.get_ref().clone()))
            }
            ArchiveBytes::File(file) => ArchiveBytes::File(BufReader::new(file.get_ref().clone())),
        }
    }
}

/// An archive read into memory once, for every reader of it.
#[derive(Clone)]
pub struct Shared(Arc<Vec<u8>>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// An open file read at a position of its own (`pread`), rather than at the
/// descriptor's one offset that every clone of a `File` shares.
#[derive(Clone)]
pub struct At {
    file: Arc<File>,
    position: u64,
    len: u64,
}

impl Read for At {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.position)?;
        self.position += n as u64;
        Ok(n)
    }
}

impl Seek for At {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let (base, offset) = match to {
            SeekFrom::Start(position) => (position, 0),
            SeekFrom::End(offset) => (self.len, offset),
            SeekFrom::Current(offset) => (self.position, offset),
        };
        self.position = base.checked_add_signed(offset).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )
        })?;
        Ok(self.position)
    }
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
        ArchiveBytes::Memory(io::Cursor::new(Shared(Arc::new(bytes))))
    } else {
        ArchiveBytes::File(BufReader::new(At {
            file: Arc::new(file),
            position: 0,
            len: size,
        }))
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

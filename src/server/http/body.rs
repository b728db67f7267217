//! A request body on its way to the handler: the reactor receives it as it arrives,
//! in memory while it is small and then in a temporary file in the served folder
//! (on the same disk as the upload it becomes, and locked like an upload's, so a
//! sweep of what crashes left there passes it by); the handler then reads it at disk speed,
//! so no worker ever waits for a client to send.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use crate::util::fs::{Context, FsError, TempFile};

/// Bodies up to this size stay in memory; larger ones go to a file.
pub(super) const IN_MEMORY: usize = 16 * 1024;

/// A body being received.
pub(super) enum Spool {
    Memory(Vec<u8>),
    File { temp: TempFile, len: u64 },
}

impl Spool {
    /// An empty spool for a body of `expected` bytes, if known: a file at once when it
    /// will not fit in memory.
    pub(super) fn new(expected: Option<u64>, dir: &Path) -> Result<Spool, FsError> {
        match expected {
            Some(n) if n > IN_MEMORY as u64 => Ok(Spool::File {
                temp: spool_file(dir)?,
                len: 0,
            }),
            _ => Ok(Spool::Memory(Vec::new())),
        }
    }

    /// Appends `data`, moving the body to a file in `dir` once it outgrows memory.
    pub(super) fn write(&mut self, data: &[u8], dir: &Path) -> Result<(), FsError> {
        if let Spool::Memory(bytes) = self {
            if bytes.len() + data.len() <= IN_MEMORY {
                bytes.extend_from_slice(data);
                return Ok(());
            }
            let mut temp = spool_file(dir)?;
            let path = temp.path().to_path_buf();
            temp.write_all(bytes).context("write", &path)?;
            *self = Spool::File {
                len: bytes.len() as u64,
                temp,
            };
        }
        if let Spool::File { temp, len } = self {
            let path = temp.path().to_path_buf();
            temp.write_all(data).context("write", &path)?;
            *len += data.len() as u64;
        }
        Ok(())
    }

    /// The received body, for the handler to read.
    pub(super) fn into_body(self) -> Result<Body, FsError> {
        match self {
            Spool::Memory(bytes) => Ok(Body::Memory(io::Cursor::new(bytes))),
            Spool::File { temp, .. } => {
                let file = File::open(temp.path()).context("read", temp.path())?;
                Ok(Body::File { file, _temp: temp })
            }
        }
    }
}

/// A new temporary file for a body, locked while it lives, so that whoever sweeps
/// the folder for what crashed uploads left sees it is in use.
fn spool_file(dir: &Path) -> Result<TempFile, FsError> {
    std::fs::create_dir_all(dir).context("create folder", dir)?;
    let temp = TempFile::new_in(dir)?;
    temp.lock()?;
    Ok(temp)
}

/// A whole body, as handlers read it; a file of it is removed when it is dropped.
pub(super) enum Body {
    Memory(io::Cursor<Vec<u8>>),
    File { file: File, _temp: TempFile },
}

impl Body {
    pub(super) fn empty() -> Body {
        Body::Memory(io::Cursor::new(Vec::new()))
    }
}

impl Read for Body {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match self {
            Body::Memory(bytes) => bytes.read(out),
            Body::File { file, .. } => file.read(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::fs::TestDir;

    fn read_all(spool: Spool) -> Vec<u8> {
        let mut out = Vec::new();
        spool.into_body().unwrap().read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn small_bodies_stay_in_memory_and_large_ones_move_to_a_file() {
        let dir = TestDir::new("spool");
        let mut small = Spool::new(None, &dir.0).unwrap();
        small.write(b"hello", &dir.0).unwrap();
        assert!(matches!(small, Spool::Memory(_)));
        assert_eq!(read_all(small), b"hello");

        let mut grown = Spool::new(None, &dir.0).unwrap();
        let piece = vec![3u8; IN_MEMORY / 2 + 1];
        grown.write(&piece, &dir.0).unwrap();
        grown.write(&piece, &dir.0).unwrap();
        assert!(matches!(grown, Spool::File { len, .. } if len == 2 * piece.len() as u64));
        assert_eq!(read_all(grown), [piece.clone(), piece].concat());
        assert_eq!(
            std::fs::read_dir(&dir.0).unwrap().count(),
            0,
            "the file is gone"
        );

        let declared = Spool::new(Some(IN_MEMORY as u64 + 1), &dir.0).unwrap();
        assert!(matches!(declared, Spool::File { .. }));
    }
}

//! The bytes of a wheel's files on their way through: hashed and bounded as they are
//! read from the archive, hashed as they are written, copied with each side's errors
//! kept apart (a read fails for the wheel, a write for the disk).

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use sha2::Digest as _;

use super::error::InstallError;
use crate::standards::record::{Algorithm, Row};
use crate::util::encoding::urlsafe_base64;
use crate::util::fs::read_full;

/// A digest being computed in the algorithm a RECORD row names.
pub(super) enum Hasher {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hasher {
    pub(super) fn new(algorithm: Algorithm) -> Hasher {
        match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            Algorithm::Sha384 => Hasher::Sha384(sha2::Sha384::new()),
            Algorithm::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
        }
    }

    pub(super) fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(hasher) => hasher.update(bytes),
            Hasher::Sha384(hasher) => hasher.update(bytes),
            Hasher::Sha512(hasher) => hasher.update(bytes),
        }
    }

    /// `algorithm=digest`, as RECORD writes it: "urlsafe_b64encode_nopad(digest)
    /// (urlsafe base64 encoding with no trailing = characters)".
    pub(super) fn finish(self) -> String {
        let (algorithm, digest) = match self {
            Hasher::Sha256(hasher) => (Algorithm::Sha256, hasher.finalize().to_vec()),
            Hasher::Sha384(hasher) => (Algorithm::Sha384, hasher.finalize().to_vec()),
            Hasher::Sha512(hasher) => (Algorithm::Sha512, hasher.finalize().to_vec()),
        };
        format!("{}={}", algorithm.name(), urlsafe_base64(&digest))
    }
}

/// An archive entry being read: hashed as it goes, and cut off one byte past the
/// size RECORD declares, so a lying header cannot make it write more than that.
pub(super) struct Verified<'a> {
    inner: io::Take<&'a mut dyn Read>,
    hasher: Hasher,
    read: u64,
    /// What RECORD declares.
    size: u64,
}

impl Read for Verified<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

impl<'a> Verified<'a> {
    /// Reads `inner` for an entry RECORD says is `size` bytes long and hashes it so.
    pub(super) fn new(inner: &'a mut dyn Read, algorithm: Algorithm, size: u64) -> Verified<'a> {
        Verified {
            inner: inner.take(size + 1),
            hasher: Hasher::new(algorithm),
            read: 0,
            size,
        }
    }

    /// Reads what was left unread, then checks the size and hash against RECORD.
    pub(super) fn finish(
        mut self,
        wheel: &Path,
        entry: &str,
        row: &Row,
    ) -> Result<(), InstallError> {
        let size = self.size;
        copy(&mut self, &mut io::sink()).map_err(|error| {
            let (CopyError::Read(error) | CopyError::Write(error)) = error;
            InstallError::UnreadableEntry {
                wheel: wheel.to_path_buf(),
                entry: entry.to_string(),
                reason: error.to_string(),
            }
        })?;
        if self.read != size {
            return Err(InstallError::SizeMismatch {
                wheel: wheel.to_path_buf(),
                entry: entry.to_string(),
                expected: size,
                found: (self.read < size).then_some(self.read),
            });
        }
        let found = self.hasher.finish();
        let (name, digest) = row.hash.split_once('=').unwrap_or_default();
        if found.strip_prefix(name).and_then(|d| d.strip_prefix('='))
            != Some(digest.trim_end_matches('='))
        {
            return Err(InstallError::HashMismatch {
                wheel: wheel.to_path_buf(),
                entry: entry.to_string(),
                expected: row.hash.clone(),
                found,
            });
        }
        Ok(())
    }
}

/// A file being written, hashed with SHA-256 as it goes, for its RECORD row.
pub(super) struct Hashing {
    file: File,
    hasher: Hasher,
    size: u64,
}

impl Hashing {
    pub(super) fn new(file: File) -> Hashing {
        Hashing {
            file,
            hasher: Hasher::new(Algorithm::Sha256),
            size: 0,
        }
    }

    pub(super) fn finish(self, path: String) -> Row {
        Row {
            path,
            hash: self.hasher.finish(),
            size: Some(self.size),
            line: 0,
        }
    }
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Which side of a copy failed: a read is the wheel's fault, a write the disk's.
pub(super) enum CopyError {
    /// Reading the wheel's file failed.
    Read(io::Error),
    /// Writing to the disk failed.
    Write(io::Error),
}

const COPY_BUFFER: usize = 64 * 1024;

thread_local! {
    /// One copy buffer per thread, kept: most of a wheel's files are a few KiB, and
    /// zeroing a new 64 KiB buffer for each (twice, with the drain after it) cost
    /// more than copying them.
    static BUFFER: RefCell<Box<[u8]>> = RefCell::new(vec![0; COPY_BUFFER].into_boxed_slice());
}

pub(super) fn copy(reader: &mut dyn Read, writer: &mut dyn Write) -> Result<u64, CopyError> {
    BUFFER.with(|kept| match kept.try_borrow_mut() {
        Ok(mut buf) => copy_with(reader, writer, &mut buf),
        // A reader that copies inside its own read: it gets a buffer of its own.
        Err(_) => copy_with(reader, writer, &mut vec![0; COPY_BUFFER]),
    })
}

fn copy_with(
    reader: &mut dyn Read,
    writer: &mut dyn Write,
    buf: &mut [u8],
) -> Result<u64, CopyError> {
    let mut total = 0;
    loop {
        let n = read_full(reader, buf).map_err(CopyError::Read)?;
        if n == 0 {
            return Ok(total);
        }
        writer.write_all(&buf[..n]).map_err(CopyError::Write)?;
        total += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_as_record_writes_digests() {
        let mut hasher = Hasher::new(Algorithm::Sha256);
        hasher.update(b"");
        // `base64.urlsafe_b64encode(hashlib.sha256(b"").digest()).rstrip(b"=")`
        assert_eq!(
            hasher.finish(),
            "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
        );
        let mut hasher = Hasher::new(Algorithm::Sha384);
        hasher.update(b"");
        assert_eq!(
            hasher.finish(),
            "sha384=OLBgp1GsljhM2TJ-sbHjaiH9txEUvgdDTAzHv2P24donTt6_529l-9Ua0vFImLlb"
        );
    }

    #[test]
    fn verifies_size_and_hash_ignoring_padding() {
        let row = |hash: &str| Row {
            path: "a.py".into(),
            hash: hash.into(),
            size: Some(3),
            line: 1,
        };
        let good = "sha256=ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0";
        let check = |bytes: &[u8], hash: &str| {
            let mut reader = bytes;
            let verified = Verified::new(&mut reader, Algorithm::Sha256, 3);
            verified.finish(Path::new("w.whl"), "a.py", &row(hash))
        };
        assert!(check(b"abc", good).is_ok());
        assert!(check(b"abc", &format!("{good}=")).is_ok());
        assert!(matches!(
            check(b"abd", good),
            Err(InstallError::HashMismatch { .. })
        ));
        assert!(matches!(
            check(b"ab", good),
            Err(InstallError::SizeMismatch { found: Some(2), .. })
        ));
        assert!(matches!(
            check(b"abcdef", good),
            Err(InstallError::SizeMismatch { found: None, .. })
        ));
    }
}

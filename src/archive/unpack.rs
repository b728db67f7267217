//! Safe unpacking of sdists: input from anywhere, so unpacking refuses whatever
//! could write or point outside the destination, and bounds what it reads and
//! writes.
//!
//! <https://packaging.python.org/en/latest/specifications/source-distribution-format/>
//! (the archive, and what unpacking one may do).
//!
//! What an sdist may hold is decided by the rules of [`crate::archive::sdist`],
//! the server's as well, from names alone as entries stream by; tars are read by
//! [`crate::archive::tarball`], zips only once their end record passed the
//! bounds. This file writes what the rules admit, and nothing else.

use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::archive::error::ArchiveError;
use crate::archive::limits::{MAX_CENTRAL_DIRECTORY, MAX_LINK_TARGET};
use crate::archive::sdist::{Entry, Kind, Limits, Rules, text};
use crate::archive::{tarball, zipdir};
use crate::util::fs::{Context, FsError};

/// Why an sdist could not be unpacked.
#[derive(Debug)]
pub enum UnpackError {
    /// The sdist could not be opened, or the destination written.
    Io(FsError),
    /// Neither `.tar.gz` nor `.zip`.
    UnknownArchive { sdist: PathBuf },
    /// The archive is damaged, holds what an sdist may not, or passes the bounds.
    Archive(ArchiveError),
}

impl fmt::Display for UnpackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnpackError::Io(e) => e.fmt(f),
            UnpackError::UnknownArchive { sdist } => write!(
                f,
                "cannot unpack `{}`: expected a `.tar.gz` or `.zip` sdist",
                sdist.display()
            ),
            UnpackError::Archive(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for UnpackError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UnpackError::Io(e) => Some(e),
            UnpackError::Archive(e) => e.source(),
            UnpackError::UnknownArchive { .. } => None,
        }
    }
}

impl From<FsError> for UnpackError {
    fn from(e: FsError) -> Self {
        UnpackError::Io(e)
    }
}

impl From<ArchiveError> for UnpackError {
    fn from(e: ArchiveError) -> Self {
        UnpackError::Archive(e)
    }
}

/// Safe extraction of a `.tar.gz` or `.zip` sdist into `dest`, which must not
/// exist yet: the project folder (the archive's one top-level folder) comes back.
///
/// Refused: what the rules of [`crate::archive::sdist`] refuse, device files and
/// pipes, and more than the bounds of [`crate::archive::limits`] allow (500 000
/// entries, 4 GiB). Hard links become copies. Permissions keep only whether a
/// file is executable; modification times are kept, because build tools compare
/// them (a generated `.c` file older than its `.pyx` gets regenerated). After an
/// error, `dest` may hold part of the archive.
pub fn unpack_sdist(sdist: &Path, dest: &Path) -> Result<PathBuf, UnpackError> {
    unpack_within(sdist, dest, Limits::SDIST)
}

fn unpack_within(sdist: &Path, dest: &Path, limits: Limits) -> Result<PathBuf, UnpackError> {
    let name = sdist
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let is_tar = name.ends_with(".tar.gz");
    if !is_tar && !name.ends_with(".zip") {
        return Err(UnpackError::UnknownArchive {
            sdist: sdist.to_path_buf(),
        });
    }
    let file = File::open(sdist).context("open", sdist)?;
    // A folder of its own: nothing in it but what the rules admitted can
    // redirect a write (links are made last).
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).context("create", parent)?;
    }
    std::fs::create_dir(dest).context("create", dest)?;
    let mut rules = Rules::new(sdist, limits);
    let unpacker = Unpacker { sdist, dest };
    if is_tar {
        tarball::walk(BufReader::new(file), sdist, &mut rules, |entry| {
            unpacker.entry(entry)
        })?;
    } else {
        unpack_zip(&unpacker, &mut rules, limits, file)?;
    }
    let (top, links) = rules.finish()?;
    for (path, target) in links {
        unpacker.link(&path, &target)?;
    }
    Ok(dest.join(top))
}

fn unpack_zip(
    unpacker: &Unpacker<'_>,
    rules: &mut Rules<'_>,
    limits: Limits,
    mut file: File,
) -> Result<(), UnpackError> {
    let sdist = unpacker.sdist;
    // The zip reader makes a table of every entry the end record claims.
    zipdir::directory(&mut file, sdist, limits.entries, MAX_CENTRAL_DIRECTORY)?;
    let damaged = |reason: String| ArchiveError::NotZip {
        path: sdist.to_path_buf(),
        reason,
    };
    let mut archive =
        zip::ZipArchive::new(BufReader::new(file)).map_err(|e| damaged(e.to_string()))?;
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| damaged(format!("entry {index}: {e}")))?;
        let name = match entry.name() {
            Ok(name) => name.into_owned(),
            Err(_) => text(sdist, entry.name_raw(), None)?,
        };
        let mode = entry.unix_mode().unwrap_or(0);
        let size = entry.size();
        let kind = if entry.is_symlink() {
            let mut target = Vec::new();
            (&mut entry)
                .take(MAX_LINK_TARGET)
                .read_to_end(&mut target)
                .map_err(|e| unreadable(sdist, &name, e.to_string()))?;
            Kind::Symlink(text(sdist, &target, Some(&name))?)
        } else if entry.is_dir() || mode & 0o170000 == 0o040000 {
            Kind::Dir
        } else if matches!(mode & 0o170000, 0 | 0o100000) {
            Kind::File {
                executable: mode & 0o100 != 0,
                modified: None,
            }
        } else {
            return Err(ArchiveError::entry(sdist, &name, "is a device file or a pipe").into());
        };
        if let Some((path, kind)) = rules.admit(&name, kind, size)? {
            unpacker.entry(Entry {
                name: &name,
                path,
                kind,
                size,
                data: &mut entry,
            })?;
        }
    }
    Ok(())
}

fn unreadable(sdist: &Path, entry: &str, reason: impl Into<String>) -> ArchiveError {
    ArchiveError::UnreadableEntry {
        path: sdist.to_path_buf(),
        entry: entry.to_string(),
        reason: reason.into(),
    }
}

/// Writes the entries the rules admitted under `dest`, one at a time as they
/// stream by. Until the links are made, last, `dest` holds only folders and
/// files, none of them where another entry passes: folders can be made as paths
/// need them.
struct Unpacker<'a> {
    sdist: &'a Path,
    dest: &'a Path,
}

impl Unpacker<'_> {
    fn entry(&self, entry: Entry<'_>) -> Result<(), UnpackError> {
        let on_disk = self.dest.join(&entry.path);
        match entry.kind {
            Kind::Dir => std::fs::create_dir_all(&on_disk).context("create", &on_disk)?,
            Kind::File {
                executable,
                modified,
            } => {
                let mut file = self.create(&on_disk, executable)?;
                self.copy(entry.name, entry.data, entry.size, &mut file, &on_disk)?;
                if let Some(time) = modified {
                    file.set_modified(time)
                        .context("set the modification time of", &on_disk)?;
                }
            }
            // A second name for a file is all a hard link means in an sdist, and
            // a copy cannot be changed through the first.
            Kind::HardLink(source) => {
                let from = self.dest.join(source);
                let mut reader = File::open(&from).context("open", &from)?;
                let mut file = self.create(&on_disk, is_executable(&reader))?;
                io::copy(&mut reader, &mut file).context("copy into", &on_disk)?;
            }
            // Made last, once every link is checked against all the others.
            Kind::Symlink(_) => {}
        }
        Ok(())
    }

    /// A new file: never over another, nor through a link.
    fn create(&self, on_disk: &Path, executable: bool) -> Result<File, UnpackError> {
        if let Some(parent) = on_disk.parent() {
            std::fs::create_dir_all(parent).context("create", parent)?;
        }
        let mut options = File::options();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(if executable { 0o755 } else { 0o644 });
        }
        #[cfg(not(unix))]
        let _ = executable;
        Ok(options.open(on_disk).context("create", on_disk)?)
    }

    /// Copies an entry's data: the bytes its header declared, which the rules
    /// counted, and no more; read errors are the archive's, write errors the
    /// disk's.
    fn copy(
        &self,
        name: &str,
        data: &mut dyn Read,
        size: u64,
        file: &mut File,
        on_disk: &Path,
    ) -> Result<(), UnpackError> {
        let mut buffer = vec![0; 64 * 1024];
        let mut left = size;
        loop {
            // One byte past what is left shows an entry holding more than it says.
            let want = usize::try_from(left.saturating_add(1))
                .map_or(buffer.len(), |want| want.min(buffer.len()));
            let n = match data.read(&mut buffer[..want]) {
                Ok(0) if left == 0 => return Ok(()),
                Ok(0) => return Err(unreadable(self.sdist, name, "it ends early").into()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(unreadable(self.sdist, name, e.to_string()).into()),
            };
            left = left.checked_sub(n as u64).ok_or_else(|| {
                unreadable(self.sdist, name, "it holds more than its header says")
            })?;
            file.write_all(&buffer[..n]).context("write", on_disk)?;
        }
    }

    fn link(&self, path: &str, target: &str) -> Result<(), UnpackError> {
        let on_disk = self.dest.join(path);
        if let Some(parent) = on_disk.parent() {
            std::fs::create_dir_all(parent).context("create", parent)?;
        }
        Ok(symlink(target, &on_disk).context("create the link", &on_disk)?)
    }
}

#[cfg(unix)]
fn symlink(target: &str, path: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, path)
}

#[cfg(not(unix))]
fn symlink(_target: &str, _path: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "links in sdists are unpacked only on Unix",
    ))
}

#[cfg(unix)]
fn is_executable(file: &File) -> bool {
    use std::os::unix::fs::PermissionsExt;
    file.metadata()
        .is_ok_and(|m| m.permissions().mode() & 0o100 != 0)
}

#[cfg(not(unix))]
fn is_executable(_file: &File) -> bool {
    false
}

#[cfg(test)]
mod tests;

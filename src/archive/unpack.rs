//! Safe unpacking of sdists: input from anywhere, so unpacking refuses whatever
//! could write or point outside the destination, and bounds what it writes.
//!
//! <https://packaging.python.org/en/latest/specifications/source-distribution-format/>
//! (the archive, and what unpacking one may do).

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::archive::paths::{archive_path, check_link};
use crate::util::fs::{Context, FsError};

/// Far above what real sdists unpack to (the largest, with vendored C++ sources,
/// reach a few hundred MiB): a bound for archives that expand without end (a
/// gzip bomb), not a quota.
pub(crate) const MAX_UNPACKED_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// Tiny entries exhaust inodes long before bytes run out.
pub(crate) const MAX_ENTRIES: u64 = 500_000;

/// Why an sdist could not be unpacked.
#[derive(Debug)]
pub enum UnpackError {
    /// The sdist could not be read, or the destination written.
    Io(FsError),
    /// Neither `.tar.gz` nor `.zip`.
    UnknownArchive { sdist: PathBuf },
    /// The archive is damaged or not what its name says.
    Archive { sdist: PathBuf, reason: String },
    /// An entry that could write or point outside the destination, or clash.
    UnsafeEntry {
        sdist: PathBuf,
        entry: String,
        reason: String,
    },
    /// More bytes or entries than the limits allow.
    TooLarge { sdist: PathBuf, reason: String },
    /// Not exactly one top-level folder.
    TopLevel { sdist: PathBuf, found: String },
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
            UnpackError::Archive { sdist, reason } => {
                write!(f, "cannot read the sdist `{}`: {reason}", sdist.display())
            }
            UnpackError::UnsafeEntry {
                sdist,
                entry,
                reason,
            } => write!(
                f,
                "refusing to unpack `{}`: its entry `{}` {reason}",
                sdist.display(),
                entry.escape_debug()
            ),
            UnpackError::TooLarge { sdist, reason } => {
                write!(f, "refusing to unpack `{}`: {reason}", sdist.display())
            }
            UnpackError::TopLevel { sdist, found } => write!(
                f,
                "invalid sdist `{}`: expected one top-level folder, found {found}",
                sdist.display()
            ),
        }
    }
}

impl std::error::Error for UnpackError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UnpackError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<FsError> for UnpackError {
    fn from(e: FsError) -> Self {
        UnpackError::Io(e)
    }
}

/// Safe extraction of a `.tar.gz` or `.zip` sdist into `dest`: the project folder
/// (the archive's one top-level folder) comes back.
///
/// Refused: absolute names, `..`, links that point outside the project or go up
/// after passing through another link, hard links to anything but a file unpacked before them,
/// device files and pipes, an entry that would be written through a link or over
/// another, and more than 4 GiB or 500 000 entries. Permissions keep only whether
/// a file is executable; modification times are kept, because build tools compare
/// them (a generated `.c` file older than its `.pyx` gets regenerated). After an
/// error, `dest` may hold part of the archive.
pub fn unpack_sdist(sdist: &Path, dest: &Path) -> Result<PathBuf, UnpackError> {
    unpack_within(
        sdist,
        dest,
        Limits {
            bytes: MAX_UNPACKED_BYTES,
            entries: MAX_ENTRIES,
        },
    )
}

#[derive(Clone, Copy)]
struct Limits {
    bytes: u64,
    entries: u64,
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
    std::fs::create_dir_all(dest).context("create", dest)?;
    let file = File::open(sdist).context("open", sdist)?;
    let mut unpacker = Unpacker {
        sdist,
        dest,
        limits,
        top: None,
        bytes: 0,
        entries: 0,
        dirs: HashSet::new(),
        files: HashSet::new(),
        links: Vec::new(),
    };
    if is_tar {
        unpack_tar(&mut unpacker, file)?;
    } else {
        unpack_zip(&mut unpacker, file)?;
    }
    unpacker.finish()
}

/// What an archive entry is, once checked to be something an sdist may hold.
enum Kind {
    Dir,
    File {
        executable: bool,
        modified: Option<SystemTime>,
    },
    Symlink(String),
    HardLink(String),
}

fn unpack_tar(unpacker: &mut Unpacker<'_>, file: File) -> Result<(), UnpackError> {
    let sdist = unpacker.sdist;
    let damaged = |e: io::Error| UnpackError::Archive {
        sdist: sdist.to_path_buf(),
        reason: e.to_string(),
    };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(BufReader::new(file)));
    for entry in archive.entries().map_err(damaged)? {
        let mut entry = entry.map_err(damaged)?;
        let header = entry.header();
        let kind = header.entry_type();
        // Global pax headers (git archive writes one) carry no file.
        if kind.is_pax_global_extensions() {
            continue;
        }
        let name = utf8(sdist, &entry.path_bytes(), None)?;
        let link_target = || match entry.link_name_bytes() {
            Some(bytes) => utf8(sdist, &bytes, Some(&name)),
            None => Err(unsafe_entry(sdist, &name, "is a link to nothing")),
        };
        // Tars older than POSIX mark folders as files whose names end in `/`.
        let kind = if kind.is_dir() || (kind.is_file() && name.ends_with('/')) {
            Kind::Dir
        } else if kind.is_file() || kind.is_contiguous() {
            Kind::File {
                executable: header.mode().is_ok_and(|mode| mode & 0o100 != 0),
                modified: header
                    .mtime()
                    .ok()
                    .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs))),
            }
        } else if kind.is_symlink() {
            Kind::Symlink(link_target()?)
        } else if kind.is_hard_link() {
            Kind::HardLink(link_target()?)
        } else if kind.is_character_special() || kind.is_block_special() || kind.is_fifo() {
            return Err(unsafe_entry(sdist, &name, "is a device file or a pipe"));
        } else {
            let reason = format!(
                "is of a kind curd does not unpack (tar type `{}`)",
                (kind.as_byte() as char).escape_default()
            );
            return Err(unsafe_entry(sdist, &name, &reason));
        };
        let declared = entry.size();
        unpacker.entry(&name, kind, &mut entry, declared)?;
    }
    Ok(())
}

fn unpack_zip(unpacker: &mut Unpacker<'_>, file: File) -> Result<(), UnpackError> {
    let sdist = unpacker.sdist;
    let damaged = |reason: String| UnpackError::Archive {
        sdist: sdist.to_path_buf(),
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
            Err(_) => utf8(sdist, entry.name_raw(), None)?,
        };
        let mode = entry.unix_mode().unwrap_or(0);
        let kind = if entry.is_symlink() {
            let mut target = Vec::new();
            (&mut entry)
                .take(4096)
                .read_to_end(&mut target)
                .map_err(|e| damaged(format!("entry `{name}`: {e}")))?;
            Kind::Symlink(utf8(sdist, &target, Some(&name))?)
        } else if entry.is_dir() || mode & 0o170000 == 0o040000 {
            Kind::Dir
        } else if matches!(mode & 0o170000, 0 | 0o100000) {
            Kind::File {
                executable: mode & 0o100 != 0,
                modified: None,
            }
        } else {
            return Err(unsafe_entry(sdist, &name, "is a device file or a pipe"));
        };
        let declared = entry.size();
        unpacker.entry(&name, kind, &mut entry, declared)?;
    }
    Ok(())
}

/// Text from an archive: names and link targets must be UTF-8, as every tool that
/// writes sdists makes them. `entry` is the entry a link target belongs to.
fn utf8(sdist: &Path, bytes: &[u8], entry: Option<&str>) -> Result<String, UnpackError> {
    match (std::str::from_utf8(bytes), entry) {
        (Ok(text), _) => Ok(text.to_string()),
        (Err(_), None) => Err(unsafe_entry(
            sdist,
            &String::from_utf8_lossy(bytes),
            "has a name that is not UTF-8",
        )),
        (Err(_), Some(entry)) => Err(unsafe_entry(
            sdist,
            entry,
            "is a link whose target is not UTF-8",
        )),
    }
}

fn unsafe_entry(sdist: &Path, entry: &str, reason: &str) -> UnpackError {
    UnpackError::UnsafeEntry {
        sdist: sdist.to_path_buf(),
        entry: entry.to_string(),
        reason: reason.to_string(),
    }
}

/// Writes an archive's entries under `dest`, one at a time as they stream by.
///
/// Links are made last, after every file and folder: nothing is ever written
/// through one, and a link's check can see every other link in the archive.
struct Unpacker<'a> {
    sdist: &'a Path,
    dest: &'a Path,
    limits: Limits,
    /// The top-level folder, once the first entry names it.
    top: Option<String>,
    bytes: u64,
    entries: u64,
    /// Folders made or checked to be real folders (not links), by archive path.
    dirs: HashSet<String>,
    /// Regular files written, which hard links may copy.
    files: HashSet<String>,
    /// Symbolic links to make at the end: (archive path, target).
    links: Vec<(String, String)>,
}

impl Unpacker<'_> {
    fn refuse(&self, entry: &str, reason: &str) -> UnpackError {
        unsafe_entry(self.sdist, entry, reason)
    }

    fn too_large(&self, reason: String) -> UnpackError {
        UnpackError::TooLarge {
            sdist: self.sdist.to_path_buf(),
            reason,
        }
    }

    fn entry(
        &mut self,
        name: &str,
        kind: Kind,
        reader: &mut dyn Read,
        declared: u64,
    ) -> Result<(), UnpackError> {
        self.entries += 1;
        if self.entries > self.limits.entries {
            return Err(self.too_large(format!(
                "it holds more than {} entries",
                self.limits.entries
            )));
        }
        let Some(path) =
            archive_path(name).map_err(|reason| self.refuse(name, &reason.to_string()))?
        else {
            return Ok(());
        };
        let (first, rest) = path.split_once('/').unwrap_or((&path, ""));
        match &self.top {
            None if rest.is_empty() && !matches!(kind, Kind::Dir) => {
                return Err(UnpackError::TopLevel {
                    sdist: self.sdist.to_path_buf(),
                    found: format!("`{}`, which is not a folder", first.escape_debug()),
                });
            }
            None => self.top = Some(first.to_string()),
            Some(top) if top != first => {
                return Err(UnpackError::TopLevel {
                    sdist: self.sdist.to_path_buf(),
                    found: format!("`{}` and `{}`", top.escape_debug(), first.escape_debug()),
                });
            }
            Some(_) if rest.is_empty() && !matches!(kind, Kind::Dir) => {
                return Err(UnpackError::TopLevel {
                    sdist: self.sdist.to_path_buf(),
                    found: format!("`{}`, which is not a folder", first.escape_debug()),
                });
            }
            Some(_) => {}
        }
        match kind {
            Kind::Dir => self.dir(name, &path),
            Kind::File {
                executable,
                modified,
            } => self.file(name, &path, reader, declared, executable, modified),
            Kind::HardLink(target) => self.hard_link(name, &path, &target),
            Kind::Symlink(target) => {
                self.links.push((path, target));
                Ok(())
            }
        }
    }

    /// Makes the folders above `path`, refusing to go through anything that is not
    /// a real folder, and gives where `path` goes on disk.
    fn parent_of(&mut self, name: &str, path: &str) -> Result<PathBuf, UnpackError> {
        for (end, _) in path.match_indices('/') {
            let folder = &path[..end];
            if self.dirs.contains(folder) {
                continue;
            }
            let on_disk = self.dest.join(folder);
            match std::fs::symlink_metadata(&on_disk) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => {
                    let reason = format!("passes through `{folder}`, which is not a folder");
                    return Err(self.refuse(name, &reason));
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    std::fs::create_dir(&on_disk).context("create", &on_disk)?;
                }
                Err(e) => return Err(fs_error("inspect", &on_disk, e)),
            }
            self.dirs.insert(folder.to_string());
        }
        Ok(self.dest.join(path))
    }

    fn dir(&mut self, name: &str, path: &str) -> Result<(), UnpackError> {
        let on_disk = self.parent_of(name, path)?;
        if self.dirs.contains(path) {
            return Ok(());
        }
        match std::fs::create_dir(&on_disk) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if !std::fs::symlink_metadata(&on_disk).is_ok_and(|m| m.is_dir()) {
                    return Err(self.refuse(name, "clashes with an entry before it"));
                }
            }
            Err(e) => return Err(fs_error("create", &on_disk, e)),
        }
        self.dirs.insert(path.to_string());
        Ok(())
    }

    /// A new file at `path`: never over another entry, or through a link left
    /// there by someone else.
    fn create(&mut self, name: &str, path: &str, executable: bool) -> Result<File, UnpackError> {
        let on_disk = self.parent_of(name, path)?;
        let mut options = File::options();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(if executable { 0o755 } else { 0o644 });
        }
        #[cfg(not(unix))]
        let _ = executable;
        match options.open(&on_disk) {
            Ok(file) => Ok(file),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                Err(self.refuse(name, "clashes with an entry before it"))
            }
            Err(e) => Err(fs_error("create", &on_disk, e)),
        }
    }

    fn file(
        &mut self,
        name: &str,
        path: &str,
        reader: &mut dyn Read,
        declared: u64,
        executable: bool,
        modified: Option<SystemTime>,
    ) -> Result<(), UnpackError> {
        self.reserve(declared)?;
        let mut file = self.create(name, path, executable)?;
        let on_disk = self.dest.join(path);
        let sdist = self.sdist;
        self.copy(reader, &mut file, &on_disk, |e| UnpackError::Archive {
            sdist: sdist.to_path_buf(),
            reason: format!("entry `{name}`: {e}"),
        })?;
        if let Some(time) = modified {
            file.set_modified(time)
                .context("set the modification time of", &on_disk)?;
        }
        self.files.insert(path.to_string());
        Ok(())
    }

    /// A hard link becomes a copy: a second name for a file is all it means in an
    /// sdist, and a copy cannot be changed through the first.
    fn hard_link(&mut self, name: &str, path: &str, target: &str) -> Result<(), UnpackError> {
        let source = match archive_path(target) {
            Ok(Some(source)) if self.files.contains(&source) => source,
            _ => {
                let reason = format!(
                    "is a hard link to `{}`, which is not a file unpacked before it",
                    target.escape_debug()
                );
                return Err(self.refuse(name, &reason));
            }
        };
        let from = self.dest.join(&source);
        let mut reader = File::open(&from).context("open", &from)?;
        let executable = is_executable(&reader);
        let mut file = self.create(name, path, executable)?;
        let on_disk = self.dest.join(path);
        self.copy(&mut reader, &mut file, &on_disk, |e| {
            fs_error("read", &from, e)
        })?;
        self.files.insert(path.to_string());
        Ok(())
    }

    /// Refuses an entry whose header alone says it would pass the size limit,
    /// before anything of it is written.
    fn reserve(&self, declared: u64) -> Result<(), UnpackError> {
        if self.bytes.saturating_add(declared) > self.limits.bytes {
            return Err(self.too_large(self.size_reason()));
        }
        Ok(())
    }

    fn size_reason(&self) -> String {
        format!("it unpacks to more than {} bytes", self.limits.bytes)
    }

    /// Copies until the end, or until the size limit is passed whatever headers
    /// claimed; read errors are the archive's, write errors the disk's.
    fn copy(
        &mut self,
        reader: &mut dyn Read,
        file: &mut File,
        on_disk: &Path,
        read_error: impl Fn(io::Error) -> UnpackError,
    ) -> Result<(), UnpackError> {
        let mut buffer = vec![0; 64 * 1024];
        loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(read_error(e)),
            };
            self.bytes += n as u64;
            if self.bytes > self.limits.bytes {
                return Err(self.too_large(self.size_reason()));
            }
            file.write_all(&buffer[..n]).context("write", on_disk)?;
        }
    }

    /// Makes the links, then gives the project folder.
    fn finish(mut self) -> Result<PathBuf, UnpackError> {
        let Some(top) = self.top.take() else {
            return Err(UnpackError::TopLevel {
                sdist: self.sdist.to_path_buf(),
                found: "nothing".to_string(),
            });
        };
        let links: HashSet<String> = self.links.iter().map(|(path, _)| path.clone()).collect();
        for (path, target) in &self.links {
            check_link(path, target, &links)
                .map_err(|reason| self.refuse(path, &reason.to_string()))?;
        }
        for (path, target) in std::mem::take(&mut self.links) {
            let on_disk = self.parent_of(&path, &path)?;
            match symlink(&target, &on_disk) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(self.refuse(&path, "clashes with an entry before it"));
                }
                Err(e) => return Err(fs_error("create the link", &on_disk, e)),
            }
        }
        Ok(self.dest.join(top))
    }
}

fn fs_error(action: &'static str, path: &Path, source: io::Error) -> UnpackError {
    UnpackError::Io(FsError {
        path: path.to_path_buf(),
        action,
        source,
    })
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

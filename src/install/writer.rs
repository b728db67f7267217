//! Files and folders made so that nothing is left half-done: each file is written
//! under a temporary name beside its destination and renamed into place only when
//! the whole wheel has verified, `.dist-info` last; on any error, dropping the writer
//! removes what it wrote and the folders it made.
//!
//! Traps: another install may share a folder (a namespace package's) and remove it
//! when it fails, so a file whose folder vanished is tried once more after making it
//! again; renaming a hard link over another link to the same file does nothing
//! (POSIX) and leaves the temporary name behind.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::util::fs::{Context, FsError, temp_name};

/// How files of an unpacked wheel reach the environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkMode {
    /// An independent copy; where the file system can share extents
    /// (`copy_file_range` on Btrfs or XFS) it does, without being asked.
    Copy,
    /// A hard link to the unpacked file, falling back to a copy where linking fails
    /// (another file system, a link limit). Installed files then share the cache's
    /// bytes: editing one in place edits the other.
    Hardlink,
}

/// Creates files and folders, and undoes it all unless committed.
///
/// Staged, each file is written under a temporary name beside its destination and
/// renamed into place by [`Writer::commit`] (hard links that replace nothing go
/// straight to their place, see [`Writer::link`]); direct (for a private staging folder,
/// removed whole on failure), files are written where they belong.
pub(super) struct Writer {
    staged: bool,
    /// Files under this folder are renamed into place after all others.
    last: PathBuf,
    /// Folders known to exist, so each is created (or found) once.
    known: HashSet<PathBuf>,
    /// Folders this writer created, removed again if it is not committed.
    created: Vec<PathBuf>,
    pending: Vec<Pending>,
    /// How many of `pending` are in place.
    placed: usize,
    /// Destinations already written, to refuse a second file at one place.
    taken: HashSet<PathBuf>,
    committed: bool,
}

/// A file written under `temp`, to be renamed to `dest` on commit.
struct Pending {
    temp: PathBuf,
    dest: PathBuf,
    linked: bool,
    last: bool,
}

impl Writer {
    pub(super) fn staged(last: PathBuf) -> Writer {
        Writer::new(true, last)
    }

    pub(super) fn direct() -> Writer {
        Writer::new(false, PathBuf::new())
    }

    fn new(staged: bool, last: PathBuf) -> Writer {
        Writer {
            staged,
            last,
            known: HashSet::new(),
            created: Vec::new(),
            pending: Vec::new(),
            placed: 0,
            taken: HashSet::new(),
            committed: false,
        }
    }

    /// A new file for `dest`, with the permissions of a new file, or of a new
    /// executable (`0o777` less the umask, as pip gives them).
    pub(super) fn create(&mut self, dest: &Path, executable: bool) -> Result<File, FsError> {
        let (dir, temp) = self.prepare(dest)?;
        let mode = if executable { 0o777 } else { 0o666 };
        let open = || {
            File::options()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&temp)
        };
        let file = self.retry(&dir, open).context("create", dest)?;
        self.push(temp, dest, false);
        Ok(file)
    }

    pub(super) fn link(
        &mut self,
        source: &Path,
        dest: &Path,
        mode: LinkMode,
    ) -> Result<(), FsError> {
        // A hard link appears whole, so where nothing is in the way it can go straight
        // to its place (into a fresh environment, that is every file) and spare the
        // rename. The .dist-info is staged all the same: it must appear last.
        let mut link = mode == LinkMode::Hardlink;
        if self.staged && link && !dest.starts_with(&self.last) {
            let dir = dest.parent().unwrap_or(Path::new("/")).to_path_buf();
            self.ensure_dir(&dir)?;
            match self.retry(&dir, || fs::hard_link(source, dest)) {
                Ok(()) => {
                    self.push(dest.to_path_buf(), dest, true);
                    return Ok(());
                }
                // A file is in the way: linked beside it and renamed over it below.
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                // Across filesystems, say: a second link would fail the same way.
                Err(_) => link = false,
            }
        }
        let (dir, temp) = self.prepare(dest)?;
        let linked = link && self.retry(&dir, || fs::hard_link(source, &temp)).is_ok();
        if !linked {
            self.retry(&dir, || fs::copy(source, &temp))
                .context("copy", source)?;
        }
        self.push(temp, dest, linked);
        Ok(())
    }

    /// Takes `dest` for one file of the wheel; false if another file has it.
    pub(super) fn claim(&mut self, dest: &Path) -> bool {
        self.taken.insert(dest.to_path_buf())
    }

    /// Makes sure `dest`'s folder exists; returns it and the name to write to.
    fn prepare(&mut self, dest: &Path) -> Result<(PathBuf, PathBuf), FsError> {
        let dir = dest.parent().unwrap_or(Path::new("/")).to_path_buf();
        self.ensure_dir(&dir)?;
        let temp = if self.staged {
            dir.join(temp_name(""))
        } else {
            dest.to_path_buf()
        };
        Ok((dir, temp))
    }

    fn push(&mut self, temp: PathBuf, dest: &Path, linked: bool) {
        let last = self.staged && dest.starts_with(&self.last);
        self.pending.push(Pending {
            temp,
            dest: dest.to_path_buf(),
            linked,
            last,
        });
    }

    fn ensure_dir(&mut self, dir: &Path) -> Result<(), FsError> {
        if self.known.contains(dir) {
            return Ok(());
        }
        match fs::create_dir(dir) {
            Ok(()) => self.created.push(dir.to_path_buf()),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                let Some(parent) = dir.parent() else {
                    return Err(error).context("create folder", dir);
                };
                self.ensure_dir(parent)?;
                match fs::create_dir(dir) {
                    Ok(()) => self.created.push(dir.to_path_buf()),
                    Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(error) => return Err(error).context("create folder", dir),
                }
            }
            Err(error) => return Err(error).context("create folder", dir),
        }
        self.known.insert(dir.to_path_buf());
        Ok(())
    }

    /// Runs `op`, which creates a file in `dir`, once more if `dir` vanished: an
    /// install failing in another thread removes the folders it made, and this one
    /// may have counted on one of them (a namespace package's, say).
    fn retry<T>(&mut self, dir: &Path, op: impl Fn() -> io::Result<T>) -> io::Result<T> {
        match op() {
            Err(error) if error.kind() == io::ErrorKind::NotFound && !dir.is_dir() => {
                self.known.retain(|known| !dir.starts_with(known));
                self.ensure_dir(dir).map_err(|error| error.source)?;
                op()
            }
            other => other,
        }
    }

    /// Renames every file into place, `.dist-info` last, in the order written
    /// otherwise (so RECORD, written last, is placed last).
    pub(super) fn commit(mut self) -> Result<(), FsError> {
        if self.staged {
            self.pending.sort_by_key(|pending| pending.last);
            while let Some(pending) = self.pending.get(self.placed) {
                if pending.temp == pending.dest {
                    self.placed += 1;
                    continue;
                }
                fs::rename(&pending.temp, &pending.dest)
                    .context("rename into place", &pending.dest)?;
                if pending.linked {
                    // Renaming a hard link over another link to the same file succeeds
                    // and does nothing (POSIX), leaving the temporary name behind.
                    let _ = fs::remove_file(&pending.temp);
                }
                self.placed += 1;
            }
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if self.committed || !self.staged {
            return;
        }
        for (index, pending) in self.pending.iter().enumerate() {
            let written = if index < self.placed {
                &pending.dest
            } else {
                &pending.temp
            };
            let _ = fs::remove_file(written);
        }
        for dir in self.created.iter().rev() {
            // Only if empty: another install may have put files there meanwhile.
            let _ = fs::remove_dir(dir);
        }
    }
}

/// A temporary folder beside an unpacked wheel's destination, removed unless kept.
pub(super) struct Staging {
    pub(super) path: PathBuf,
    keep: bool,
}

impl Staging {
    pub(super) fn new(parent: &Path) -> Result<Staging, FsError> {
        loop {
            let path = parent.join(temp_name("unpack-"));
            match fs::create_dir(&path) {
                Ok(()) => return Ok(Staging { path, keep: false }),
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(error).context("create folder", &path),
            }
        }
    }

    pub(super) fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

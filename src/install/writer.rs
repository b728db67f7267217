//! Files and folders made so that nothing is left half-done: each file is written
//! under a temporary name beside its destination and renamed into place only when
//! the whole wheel (or, in a transaction, every wheel) has verified, `.dist-info`
//! last; on any error, dropping the writer removes what it wrote and the folders it
//! made.
//!
//! Traps: another install may share a folder (a namespace package's) and remove it
//! when it fails, so a file whose folder vanished is tried once more after making it
//! again; renaming a hard link over another link to the same file does nothing
//! (POSIX) and leaves the temporary name behind.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::journal::{Journal, Pending, discard, install_dist_info, place};
use crate::util::fs::{Context, FsError, copy_new, temp_name};

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
/// renamed into place by [`Writer::commit`] (outside a transaction, hard links that
/// replace nothing go straight to their place, see [`Writer::link`]), and the
/// `.dist-info` folder is written whole under a hidden name beside its place and
/// renamed into it last; direct (for a private staging folder, removed whole on
/// failure), files are written where they belong.
///
/// Within a [`Journal`]'s transaction nothing visible changes before the commit: a
/// folder that does not exist yet is written as a hidden folder beside its place
/// (one for all the transaction's wheels), renamed there on commit, and the files
/// in it go straight to their names. The journal names every folder that gets
/// hidden names before it gets them, which is all a later run needs to undo a
/// killed one; the renames are the transaction's to make ([`Writer::hand_over`]),
/// along with every other wheel's.
pub(super) struct Writer<'j> {
    staged: bool,
    /// The `.dist-info` folder's place, and the hidden folder written instead.
    dist_info: Option<(PathBuf, PathBuf)>,
    journal: Option<&'j Journal>,
    /// Folders known to exist, so each is created (or found) once; in a
    /// transaction, with the folder where files for it are written meanwhile.
    known: HashMap<PathBuf, PathBuf>,
    /// Folders this writer created, removed again if it is not committed.
    created: Vec<PathBuf>,
    pending: Vec<Pending>,
    /// How many of `pending` are in place.
    placed: usize,
    /// Destinations already written, to refuse a second file at one place.
    taken: HashSet<PathBuf>,
    /// Committed, or handed to a transaction: nothing left to undo.
    done: bool,
}

/// What a staged writer leaves for its transaction to place.
pub(super) struct Handed {
    /// The renames still to make, in the order written.
    pub(super) pending: Vec<Pending>,
    /// The hidden folder the `.dist-info` was written to, and its place.
    pub(super) stage: PathBuf,
    pub(super) dist_info: PathBuf,
}

/// Where a file is written until the commit.
enum Spot {
    /// Under the temporary name `temp` in `dir`, beside its destination.
    Beside { dir: PathBuf, temp: PathBuf },
    /// At a path nothing looks at before the commit (in the staged `.dist-info`
    /// or a hidden new folder), or, for a direct writer, its destination.
    Unseen(PathBuf),
}

impl<'j> Writer<'j> {
    /// A writer for the files of one wheel, whose `.dist-info` folder goes to
    /// `dist_info`; in `journal`'s transaction if given.
    pub(super) fn staged(dist_info: PathBuf, journal: Option<&'j Journal>) -> Writer<'j> {
        let label = journal.map_or("stage-", Journal::label);
        let stage = parent(&dist_info).join(temp_name(label));
        Writer::new(true, Some((dist_info, stage)), journal)
    }

    pub(super) fn direct() -> Writer<'static> {
        Writer::new(false, None, None)
    }

    fn new(
        staged: bool,
        dist_info: Option<(PathBuf, PathBuf)>,
        journal: Option<&'j Journal>,
    ) -> Writer<'j> {
        Writer {
            staged,
            dist_info,
            journal,
            known: HashMap::new(),
            created: Vec::new(),
            pending: Vec::new(),
            placed: 0,
            taken: HashSet::new(),
            done: false,
        }
    }

    /// A writer for another part of the same wheel, on another thread: its files
    /// go where this one's would (the `.dist-info` into the same staged folder),
    /// and [`Writer::absorb`] takes them over once the part is written.
    pub(super) fn sibling(&self) -> Writer<'j> {
        Writer::new(self.staged, self.dist_info.clone(), self.journal)
    }

    /// Takes over what a [`Writer::sibling`] wrote, to commit or undo with its own;
    /// the path that both wrote, if any, is refused, as one writer refuses it.
    pub(super) fn absorb(&mut self, mut part: Writer<'j>) -> Result<(), PathBuf> {
        part.done = true;
        self.pending.append(&mut part.pending);
        self.created.append(&mut part.created);
        // Parents before their children, so undoing (in reverse) empties each
        // folder before it tries to remove it, whichever part made which.
        self.created.sort_by_key(|dir| dir.components().count());
        self.known.extend(part.known.drain());
        for path in part.taken.drain() {
            if self.taken.contains(&path) {
                return Err(path);
            }
            self.taken.insert(path);
        }
        Ok(())
    }

    /// What this writer's temporary names carry.
    fn label(&self) -> &str {
        self.journal.map_or("", Journal::label)
    }

    /// A new file for `dest`, with the permissions of a new file, or of a new
    /// executable (`0o777` less the umask, as pip gives them).
    pub(super) fn create(&mut self, dest: &Path, executable: bool) -> Result<File, FsError> {
        let mode = if executable { 0o777 } else { 0o666 };
        let open = |path: &Path| {
            File::options()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(path)
        };
        match self.spot(dest)? {
            Spot::Beside { dir, temp } => {
                let file = self.retry(&dir, || open(&temp)).context("create", dest)?;
                self.push(temp, dest, false);
                Ok(file)
            }
            Spot::Unseen(path) => {
                let dir = parent(&path).to_path_buf();
                match self.retry(&dir, || open(&path)) {
                    // Another wheel of the transaction wrote the file into a new
                    // folder they share: this one goes over it, as a rename would.
                    Err(error)
                        if error.kind() == io::ErrorKind::AlreadyExists
                            && self.journal.is_some() =>
                    {
                        let temp = dir.join(temp_name(self.label()));
                        let file = open(&temp).context("create", dest)?;
                        fs::rename(&temp, &path).context("rename into place", &path)?;
                        Ok(file)
                    }
                    other => other.context("create", dest),
                }
            }
        }
    }

    pub(super) fn link(
        &mut self,
        source: &Path,
        dest: &Path,
        mode: LinkMode,
    ) -> Result<(), FsError> {
        // A hard link appears whole, so where nothing is in the way it can go straight
        // to its place (into a fresh environment, that is every file) and spare the
        // rename. (Within a transaction, files of new folders go straight to theirs,
        // hidden until the commit.) The .dist-info is staged all the same: it must
        // appear last.
        let mut link = mode == LinkMode::Hardlink;
        if self.staged && self.journal.is_none() && link && self.staged_path(dest).is_none() {
            let dir = parent(dest).to_path_buf();
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
        match self.spot(dest)? {
            Spot::Beside { dir, temp } => {
                let linked = link && self.retry(&dir, || fs::hard_link(source, &temp)).is_ok();
                if !linked {
                    self.retry(&dir, || copy_new(source, &temp))
                        .context("copy", source)?;
                }
                self.push(temp, dest, linked);
            }
            Spot::Unseen(path) => {
                let placed = match link {
                    true => fs::hard_link(source, &path),
                    false => copy_new(source, &path),
                };
                if placed.is_ok() {
                    return Ok(());
                }
                // Beside it, then over it: copying onto a file that is there would
                // write through it, into whatever it is a link to.
                let temp = parent(&path).join(temp_name(self.label()));
                let linked = link && fs::hard_link(source, &temp).is_ok();
                if !linked {
                    copy_new(source, &temp).context("copy", source)?;
                }
                place(&Pending {
                    temp,
                    dest: path,
                    linked,
                })?;
            }
        }
        Ok(())
    }

    /// Takes `dest` for one file of the wheel; false if another file has it.
    pub(super) fn claim(&mut self, dest: &Path) -> bool {
        self.taken.insert(dest.to_path_buf())
    }

    /// Every place the wheel's files go, its `.dist-info` folder's included.
    pub(super) fn destinations(&self) -> impl Iterator<Item = &Path> {
        self.taken.iter().map(PathBuf::as_path)
    }

    /// Where a file of the `.dist-info` folder is written instead of `dest`.
    fn staged_path(&self, dest: &Path) -> Option<PathBuf> {
        let (dist_info, stage) = self.dist_info.as_ref()?;
        let inner = dest.strip_prefix(dist_info).ok()?;
        Some(stage.join(inner))
    }

    /// Where the file for `dest` is written until the commit, its folder made.
    fn spot(&mut self, dest: &Path) -> Result<Spot, FsError> {
        if let Some(path) = self.staged_path(dest) {
            if let (Some(journal), Some((_, stage))) = (self.journal, &self.dist_info) {
                let root = parent(stage).to_path_buf();
                if !self.known.contains_key(&root) {
                    fs::create_dir_all(&root).context("create folder", &root)?;
                    journal.note(&root)?;
                    self.known.insert(root.clone(), root);
                }
            }
            self.ensure_dir(parent(&path))?;
            return Ok(Spot::Unseen(path));
        }
        let dir = parent(dest).to_path_buf();
        if !self.staged {
            self.ensure_dir(&dir)?;
            return Ok(Spot::Unseen(dest.to_path_buf()));
        }
        let Some(journal) = self.journal else {
            self.ensure_dir(&dir)?;
            let temp = dir.join(temp_name(""));
            return Ok(Spot::Beside { dir, temp });
        };
        let actual = self.actual_dir(&dir)?;
        if actual != dir {
            return Ok(Spot::Unseen(
                actual.join(dest.file_name().unwrap_or_default()),
            ));
        }
        journal.note(&dir)?;
        let temp = dir.join(temp_name(journal.label()));
        Ok(Spot::Beside { dir, temp })
    }

    /// Within a transaction, the folder files for `dir` are written to until the
    /// commit: `dir` itself if it exists, else its place in the hidden folder that
    /// stands for its first missing parent (or itself).
    fn actual_dir(&mut self, dir: &Path) -> Result<PathBuf, FsError> {
        if let Some(found) = self.known.get(dir) {
            return Ok(found.clone());
        }
        let Some(journal) = self.journal else {
            return Ok(dir.to_path_buf());
        };
        let found = match journal.hidden(dir) {
            Some(hidden) => hidden,
            None if dir.is_dir() => dir.to_path_buf(),
            None => {
                let outer = match dir.parent() {
                    Some(parent) => self.actual_dir(parent)?,
                    None => {
                        return Err(io::Error::from(io::ErrorKind::NotFound))
                            .context("create folder", dir);
                    }
                };
                if Some(outer.as_path()) == dir.parent() {
                    journal.hide(dir)?
                } else {
                    let inner = outer.join(dir.file_name().unwrap_or_default());
                    match fs::create_dir(&inner) {
                        Err(error) if error.kind() != io::ErrorKind::AlreadyExists => {
                            return Err(error).context("create folder", &inner);
                        }
                        _ => inner,
                    }
                }
            }
        };
        self.known.insert(dir.to_path_buf(), found.clone());
        Ok(found)
    }

    fn push(&mut self, written: PathBuf, dest: &Path, linked: bool) {
        self.pending.push(Pending {
            temp: written,
            dest: dest.to_path_buf(),
            linked,
        });
    }

    fn ensure_dir(&mut self, dir: &Path) -> Result<(), FsError> {
        if self.known.contains_key(dir) {
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
        self.known.insert(dir.to_path_buf(), dir.to_path_buf());
        Ok(())
    }

    /// Runs `op`, which creates a file in `dir`, once more if `dir` vanished: an
    /// install failing in another thread removes the folders it made, and this one
    /// may have counted on one of them (a namespace package's, say).
    fn retry<T>(&mut self, dir: &Path, op: impl Fn() -> io::Result<T>) -> io::Result<T> {
        match op() {
            Err(error) if error.kind() == io::ErrorKind::NotFound && !dir.is_dir() => {
                self.known.retain(|known, _| !dir.starts_with(known));
                self.ensure_dir(dir).map_err(|error| error.source)?;
                op()
            }
            other => other,
        }
    }

    /// Renames every file into place in the order written, then the `.dist-info`
    /// folder (replacing one of the same name, as a reinstall does).
    pub(super) fn commit(mut self) -> Result<(), FsError> {
        if self.staged {
            while let Some(pending) = self.pending.get(self.placed) {
                place(pending)?;
                self.placed += 1;
            }
            if let Some((dist_info, stage)) = &self.dist_info {
                let trash = parent(dist_info).join(temp_name("old-"));
                install_dist_info(stage, dist_info, &trash)?;
                discard(&trash)?;
            }
        }
        self.done = true;
        Ok(())
    }

    /// Gives the renames still to make to the transaction, which makes them once
    /// every wheel is written.
    pub(super) fn hand_over(mut self) -> Handed {
        self.done = true;
        let (dist_info, stage) = self.dist_info.take().unwrap_or_default();
        Handed {
            pending: std::mem::take(&mut self.pending),
            stage,
            dist_info,
        }
    }
}

impl Drop for Writer<'_> {
    /// A transaction's writer leaves undoing to the transaction, whose journal
    /// names all it wrote, its own and the other wheels' in the same new folders.
    fn drop(&mut self) {
        if self.done || !self.staged || self.journal.is_some() {
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
        if let Some((_, stage)) = &self.dist_info {
            let _ = fs::remove_dir_all(stage);
        }
        for dir in self.created.iter().rev() {
            // Only if empty: another install may have put files there meanwhile.
            let _ = fs::remove_dir(dir);
        }
    }
}

fn parent(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new("/"))
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

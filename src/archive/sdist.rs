//! What an sdist may hold, decided from names alone as its entries stream by and
//! before anything of one is written: the one set of rules that the server's
//! check ([`crate::archive::check`]) and the client's unpacker
//! ([`crate::archive::unpack`]) both apply, so the server never stores an sdist
//! that the client would refuse.
//!
//! <https://packaging.python.org/en/latest/specifications/source-distribution-format/>
//!
//! Refused: names that climb out (the rules of [`crate::archive::paths`]); an
//! entry through or over a file or link before it; hard links to anything but a
//! file before them; links that lead out of the project, checked once every link
//! is known; anything but one top-level folder; more entries, bytes or names than
//! [`Limits`] allow. A hard link is a copy once unpacked, so its source's bytes
//! count again.
//!
//! Traps: folders implied by a deep name are kept too, so their bytes count
//! against the bound on names (a name of 64 KiB can imply 32 000 folders);
//! folders are looked up from the nearest one up and no further than the first
//! one known, so each costs its hashing once.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;
use std::time::SystemTime;

use crate::archive::error::{ArchiveError, Refusal};
use crate::archive::limits::{MAX_SDIST_ENTRIES, MAX_SDIST_NAMES, MAX_SDIST_UNPACKED};
use crate::archive::paths::{archive_path, check_link};

/// The bounds one sdist is read within.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Members, including those that carry no file.
    pub entries: u64,
    /// Bytes declared by members, hard-link copies included.
    pub bytes: u64,
    /// Bytes of names and link targets kept in memory.
    pub names: u64,
}

impl Limits {
    pub(crate) const SDIST: Limits = Limits {
        entries: MAX_SDIST_ENTRIES,
        bytes: MAX_SDIST_UNPACKED,
        names: MAX_SDIST_NAMES,
    };
}

/// What an entry is, once its type is one an sdist may hold.
#[derive(Debug)]
pub(crate) enum Kind {
    Dir,
    /// A regular file: whether its owner may run it, and when it last changed
    /// (build tools compare the times of generated files with their sources).
    File {
        executable: bool,
        modified: Option<SystemTime>,
    },
    /// A symbolic link to the target as written.
    Symlink(String),
    /// A hard link to the target as written; once admitted, to the target's
    /// path inside the archive.
    HardLink(String),
}

/// One admitted entry as it streams by, its data not read yet.
pub(crate) struct Entry<'a> {
    /// The name as the archive spells it, for messages.
    pub name: &'a str,
    /// Where it goes inside the archive, `/`-separated, without `.` parts.
    pub path: String,
    pub kind: Kind,
    /// The bytes its header declares, counted against the bound already.
    pub size: u64,
    pub data: &'a mut dyn Read,
}

/// The rules, and what they have seen of one sdist so far.
pub(crate) struct Rules<'a> {
    sdist: &'a Path,
    limits: Limits,
    entries: u64,
    bytes: u64,
    names: u64,
    /// The top-level folder, once the first entry names it.
    top: Option<String>,
    /// Folders, named or implied by an entry inside them.
    dirs: HashSet<String>,
    /// Regular files and their sizes, which hard links may copy.
    files: HashMap<String, u64>,
    /// Symbolic links, in the archive's order: (path, target).
    links: Vec<(String, String)>,
    link_paths: HashSet<String>,
}

impl<'a> Rules<'a> {
    pub(crate) fn new(sdist: &'a Path, limits: Limits) -> Self {
        Rules {
            sdist,
            limits,
            entries: 0,
            bytes: 0,
            names: 0,
            top: None,
            dirs: HashSet::new(),
            files: HashMap::new(),
            links: Vec::new(),
            link_paths: HashSet::new(),
        }
    }

    fn refused(&self, refusal: Refusal) -> ArchiveError {
        ArchiveError::refused(self.sdist, refusal)
    }

    /// Counts one member of the archive, and the `size` bytes it declares,
    /// before any of them is read.
    pub(crate) fn count(&mut self, size: u64) -> Result<(), ArchiveError> {
        self.entries += 1;
        if self.entries > self.limits.entries {
            return Err(self.refused(Refusal::Entries(self.limits.entries)));
        }
        self.count_bytes(size)
    }

    fn count_bytes(&mut self, size: u64) -> Result<(), ArchiveError> {
        self.bytes = self.bytes.saturating_add(size);
        if self.bytes > self.limits.bytes {
            return Err(self.refused(Refusal::Unpacked(self.limits.bytes)));
        }
        Ok(())
    }

    fn count_names(&mut self, len: usize) -> Result<(), ArchiveError> {
        self.names = self.names.saturating_add(len as u64);
        if self.names > self.limits.names {
            return Err(self.refused(Refusal::Names(self.limits.names)));
        }
        Ok(())
    }

    /// Counts an entry of `size` bytes and admits it: its path inside the
    /// archive comes back with its kind, or `None` for the archive's root (`./`).
    pub(crate) fn admit(
        &mut self,
        name: &str,
        kind: Kind,
        size: u64,
    ) -> Result<Option<(String, Kind)>, ArchiveError> {
        self.count(size)?;
        let target_len = match &kind {
            Kind::Symlink(target) | Kind::HardLink(target) => target.len(),
            Kind::Dir | Kind::File { .. } => 0,
        };
        self.count_names(name.len() + target_len)?;
        let sdist = self.sdist;
        let refuse = |reason: String| ArchiveError::entry(sdist, name, reason);
        let Some(path) = archive_path(name).map_err(|e| refuse(e.to_string()))? else {
            return Ok(None);
        };
        let (first, rest) = path.split_once('/').unwrap_or((&path, ""));
        let is_dir = matches!(kind, Kind::Dir);
        match &self.top {
            Some(top) if top != first => {
                let found = format!("`{}` and `{}`", top.escape_debug(), first.escape_debug());
                return Err(self.refused(Refusal::TopLevel(found)));
            }
            _ if rest.is_empty() && !is_dir => {
                let found = format!("`{}`, which is not a folder", first.escape_debug());
                return Err(self.refused(Refusal::TopLevel(found)));
            }
            Some(_) => {}
            None => self.top = Some(first.to_string()),
        }
        // A known folder's own folders are known, and none is a file or a link.
        let mut implied = Vec::new();
        for (end, _) in path.rmatch_indices('/') {
            let folder = &path[..end];
            if self.dirs.contains(folder) {
                break;
            }
            if self.files.contains_key(folder) || self.link_paths.contains(folder) {
                return Err(refuse(format!(
                    "passes through `{folder}`, which is not a folder"
                )));
            }
            implied.push(folder);
        }
        let taken = self.files.contains_key(&path) || self.link_paths.contains(&path);
        if taken || (!is_dir && self.dirs.contains(&path)) {
            return Err(refuse("clashes with an entry before it".into()));
        }
        // A hard link becomes a copy of its source, of the source's size.
        let (kind, file_size) = match kind {
            Kind::HardLink(target) => {
                let found = archive_path(&target)
                    .ok()
                    .flatten()
                    .and_then(|source| self.files.get(&source).map(|&size| (source, size)));
                let Some((source, copied)) = found else {
                    return Err(refuse(format!(
                        "is a hard link to `{}`, which is not a file before it",
                        target.escape_debug()
                    )));
                };
                self.count_bytes(copied)?;
                (Kind::HardLink(source), Some(copied))
            }
            Kind::File { .. } => (kind, Some(size)),
            kind => (kind, None),
        };
        self.count_names(implied.iter().map(|folder| folder.len()).sum())?;
        self.dirs.extend(implied.into_iter().map(String::from));
        if let Some(size) = file_size {
            self.files.insert(path.clone(), size);
        }
        match &kind {
            Kind::Dir => {
                self.dirs.insert(path.clone());
            }
            Kind::Symlink(target) => {
                self.link_paths.insert(path.clone());
                self.links.push((path.clone(), target.clone()));
            }
            Kind::File { .. } | Kind::HardLink(_) => {}
        }
        Ok(Some((path, kind)))
    }

    /// Checks every link now that all are known, and gives the top-level
    /// folder and the links, to be made last.
    pub(crate) fn finish(self) -> Result<(String, Vec<(String, String)>), ArchiveError> {
        let Some(top) = self.top else {
            return Err(ArchiveError::refused(
                self.sdist,
                Refusal::TopLevel("nothing".into()),
            ));
        };
        for (link, target) in &self.links {
            check_link(link, target, &self.link_paths)
                .map_err(|e| ArchiveError::entry(self.sdist, link, e.to_string()))?;
        }
        Ok((top, self.links))
    }
}

/// A name or a link target from an archive as text: every tool that writes
/// sdists makes them UTF-8. `link` is the entry whose target `bytes` are.
pub(crate) fn text(sdist: &Path, bytes: &[u8], link: Option<&str>) -> Result<String, ArchiveError> {
    match (std::str::from_utf8(bytes), link) {
        (Ok(text), _) => Ok(text.to_string()),
        (Err(_), None) => Err(ArchiveError::entry(
            sdist,
            &String::from_utf8_lossy(bytes),
            "has a name that is not UTF-8",
        )),
        (Err(_), Some(link)) => Err(ArchiveError::entry(
            sdist,
            link,
            "is a link whose target is not UTF-8",
        )),
    }
}

#[cfg(test)]
mod tests;

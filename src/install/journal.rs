//! The journal of a transaction (see [`super::transaction`]): what a run writes in
//! the environment before it changes it, so that the next run can finish or undo
//! a killed one; its steps, each of which may be done twice without harm; reading
//! it back.
//!
//! One line a record, words separated by a space, paths percent-encoded (they need
//! not be UTF-8, and may hold spaces): `curd-journal 1 PREFIX` first (how the
//! transaction's hidden names begin), `D DIR` for each folder that gets hidden
//! names, before the first; once committed, `B` opening each block of steps (`R`
//! and `L` renames, `Y` an old `.dist-info` out of sight, `I` a staged one into
//! place, `X` a file removed, `E` a folder removed if empty, `T` a hidden folder
//! removed), and `C` last. A last line without its newline was cut short by the
//! crash the journal is there for, and never happened.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::error::InstallError;
use super::uninstall::remove_file;
use crate::util::encoding::{percent_decode, percent_encode_word};
use crate::util::fs::{
    Context, FsError, TEMP_PREFIX, read_bounded, read_dir_if_there, temp_name, temp_prefix,
};
use crate::util::sync::lock;

/// The journal's name in the environment's purelib folder.
pub const JOURNAL: &str = ".curd-journal";

/// Its first word, and the version of its format.
const MAGIC: &str = "curd-journal 1";

/// The largest journal read back: a line per file of every wheel.
const MAX_JOURNAL_BYTES: u64 = 1 << 30;

/// The journal of one transaction, being written.
pub(super) struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    /// What this transaction's temporary names carry, so they are told from others'.
    label: String,
    /// Folders the journal names as holding hidden names of this transaction.
    noted: Mutex<HashSet<PathBuf>>,
    /// Folders that do not exist yet, each written as a hidden folder beside its
    /// place (shared by every wheel that puts files there) until the commit.
    hidden: Mutex<HashMap<PathBuf, PathBuf>>,
}

impl Journal {
    /// Starts the journal of a new transaction in `site`; one must not be there.
    pub(super) fn begin(site: &Path) -> Result<Journal, InstallError> {
        fs::create_dir_all(site).context("create folder", site)?;
        let path = site.join(JOURNAL);
        let label = format!("{}-", temp_name("txn"));
        let mut file = File::options()
            .append(true)
            .create_new(true)
            .open(&path)
            .context("create", &path)?;
        let prefix = percent_encode_word(temp_prefix(&label).as_bytes());
        let header = format!("{MAGIC} {prefix}\n");
        file.write_all(header.as_bytes()).context("write", &path)?;
        Ok(Journal {
            path,
            file: Mutex::new(file),
            label,
            noted: Mutex::default(),
            hidden: Mutex::default(),
        })
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn label(&self) -> &str {
        &self.label
    }

    /// The hidden new folders, with their places, for the commit to rename.
    pub(super) fn take_hidden(&self) -> HashMap<PathBuf, PathBuf> {
        std::mem::take(&mut *lock(&self.hidden))
    }

    /// Writes every block of steps, then the commit line, and syncs: from then on
    /// the change has happened.
    pub(super) fn commit(&self, blocks: &[Vec<Step>]) -> Result<(), FsError> {
        let mut text = String::new();
        for block in blocks {
            text.push_str("B\n");
            for step in block {
                text.push_str(&step.line());
                text.push('\n');
            }
        }
        text.push_str("C\n");
        let mut file = lock(&self.file);
        file.write_all(text.as_bytes())
            .context("write", &self.path)?;
        file.sync_data().context("sync", &self.path)
    }

    /// Says, once, that `dir` will hold hidden names of this transaction (temporary
    /// files, hidden folders), before the first is made there.
    pub(super) fn note(&self, dir: &Path) -> Result<(), FsError> {
        let mut noted = lock(&self.noted);
        if noted.contains(dir) {
            return Ok(());
        }
        let line = format!("D {}\n", word(dir));
        lock(&self.file)
            .write_all(line.as_bytes())
            .context("write", &self.path)?;
        noted.insert(dir.to_path_buf());
        Ok(())
    }

    /// The hidden folder standing for the missing folder `dir`, if there is one.
    pub(super) fn hidden(&self, dir: &Path) -> Option<PathBuf> {
        lock(&self.hidden).get(dir).cloned()
    }

    /// The hidden folder standing for the missing folder `dir`, made if need be.
    pub(super) fn hide(&self, dir: &Path) -> Result<PathBuf, FsError> {
        let mut hidden = lock(&self.hidden);
        if let Some(found) = hidden.get(dir) {
            return Ok(found.clone());
        }
        let parent = dir.parent().unwrap_or(Path::new("/"));
        self.note(parent)?;
        let path = parent.join(temp_name(&self.label));
        fs::create_dir(&path).context("create folder", &path)?;
        hidden.insert(dir.to_path_buf(), path.clone());
        Ok(path)
    }
}

/// One step of a committed change; each may be done again after a crash.
#[derive(Debug)]
pub(super) enum Step {
    /// Rename a written file into place.
    Place(Pending),
    /// Move an old `.dist-info` folder out of sight.
    Retire { dir: PathBuf, trash: PathBuf },
    /// Put a staged `.dist-info` folder in its place (moving one there to `trash`).
    Install {
        stage: PathBuf,
        dist_info: PathBuf,
        trash: PathBuf,
    },
    /// Remove an old version's file.
    Remove(PathBuf),
    /// Remove a folder, if that left it empty.
    Prune(PathBuf),
    /// Remove a retired folder whole.
    Discard(PathBuf),
}

impl Step {
    pub(super) fn line(&self) -> String {
        match self {
            Step::Place(p) => {
                let kind = if p.linked { "L" } else { "R" };
                format!("{kind} {} {}", word(&p.temp), word(&p.dest))
            }
            Step::Retire { dir, trash } => format!("Y {} {}", word(dir), word(trash)),
            Step::Install {
                stage,
                dist_info,
                trash,
            } => format!("I {} {} {}", word(stage), word(dist_info), word(trash)),
            Step::Remove(path) => format!("X {}", word(path)),
            Step::Prune(dir) => format!("E {}", word(dir)),
            Step::Discard(dir) => format!("T {}", word(dir)),
        }
    }

    pub(super) fn run(&self) -> Result<(), FsError> {
        match self {
            Step::Place(pending) => place(pending),
            Step::Retire { dir, trash } => retire(dir, trash),
            Step::Install {
                stage,
                dist_info,
                trash,
            } => install_dist_info(stage, dist_info, trash),
            Step::Remove(path) => remove_file(path).map(drop),
            Step::Prune(dir) => {
                let _ = fs::remove_dir(dir);
                Ok(())
            }
            Step::Discard(dir) => discard(dir),
        }
    }
}

pub(super) fn word(path: &Path) -> String {
    percent_encode_word(path.as_os_str().as_bytes())
}

fn unword(word: &str) -> PathBuf {
    PathBuf::from(std::ffi::OsString::from_vec(percent_decode(word)))
}

/// A file written under `temp`, to be renamed to `dest` on commit (the same path
/// for a file already in place).
#[derive(Clone, Debug)]
pub(super) struct Pending {
    pub(super) temp: PathBuf,
    pub(super) dest: PathBuf,
    /// A hard link: renaming it over another link to the same file does nothing.
    pub(super) linked: bool,
}

/// Renames one file into place. Renaming a hard link over another link to the same
/// file succeeds and does nothing (POSIX), leaving the temporary name behind. Done
/// already (the temporary name gone, as when a journal is replayed) is done.
pub(super) fn place(pending: &Pending) -> Result<(), FsError> {
    if pending.temp == pending.dest {
        return Ok(());
    }
    match fs::rename(&pending.temp, &pending.dest) {
        Ok(()) => {
            if pending.linked {
                let _ = fs::remove_file(&pending.temp);
            }
            Ok(())
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound && !exists(&pending.temp) => Ok(()),
        Err(error) => Err(error).context("rename into place", &pending.dest),
    }
}

/// Puts the `.dist-info` folder written at `stage` in its place, moving one already
/// there to `trash` first: each step is one rename, so the project is never seen
/// with half a `.dist-info`. Done already (no `stage`) is done.
pub(super) fn install_dist_info(
    stage: &Path,
    dist_info: &Path,
    trash: &Path,
) -> Result<(), FsError> {
    if !exists(stage) {
        return Ok(());
    }
    retire(dist_info, trash)?;
    fs::rename(stage, dist_info).context("rename into place", dist_info)
}

/// Moves a folder out of sight (to a hidden name in the same folder), if it is there.
pub(super) fn retire(dir: &Path, trash: &Path) -> Result<(), FsError> {
    match fs::rename(dir, trash) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => {
            Err(error).context("rename out of the way", dir)
        }
        _ => Ok(()),
    }
}

/// Removes a retired folder, if it is there.
pub(super) fn discard(trash: &Path) -> Result<(), FsError> {
    match fs::remove_dir_all(trash) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => {
            Err(error).context("remove", trash)
        }
        _ => Ok(()),
    }
}

fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// A journal read back.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    /// How this transaction's temporary names begin.
    prefix: Vec<u8>,
    /// Folders noted `D`: where its hidden names are.
    temporary: Vec<PathBuf>,
    pub(super) steps: Vec<Step>,
    pub(super) committed: bool,
}

/// Reads back the journal at `path`.
pub(super) fn read(path: &Path) -> Result<Parsed, InstallError> {
    let text = read_bounded(path, MAX_JOURNAL_BYTES).context("read", path)?;
    parse(&text, path)
}

fn parse(text: &[u8], path: &Path) -> Result<Parsed, InstallError> {
    let bad = |line: usize, reason: &'static str| InstallError::Journal {
        path: path.to_path_buf(),
        line,
        reason,
    };
    // The last line, unless it ends, was cut short by the crash: it never happened.
    let whole = match text.iter().rposition(|&b| b == b'\n') {
        Some(end) => &text[..end],
        None => &[][..],
    };
    let text = std::str::from_utf8(whole).map_err(|_| bad(1, "expected ASCII text"))?;
    let mut lines = text.lines().enumerate().map(|(i, line)| (i + 1, line));
    let mut parsed = Parsed::default();
    match lines.next() {
        Some((_, header)) if header.starts_with(MAGIC) => {
            let prefix = header[MAGIC.len()..].trim();
            parsed.prefix = percent_decode(prefix);
            if !parsed.prefix.starts_with(TEMP_PREFIX.as_bytes()) {
                return Err(bad(1, "expected the prefix of temporary names"));
            }
        }
        // Killed before the header was written: nothing was changed.
        None => return Ok(parsed),
        Some(_) => return Err(bad(1, "expected a curd journal")),
    }
    for (number, line) in lines {
        if parsed.committed {
            return Err(bad(number, "expected nothing after the commit"));
        }
        let mut words = line.split(' ');
        let kind = words.next().unwrap_or_default();
        let paths: Vec<PathBuf> = words.map(unword).collect();
        let step = match (kind, paths.as_slice()) {
            ("D", [dir]) => {
                parsed.temporary.push(dir.clone());
                continue;
            }
            ("B", []) => continue,
            ("C", []) => {
                parsed.committed = true;
                continue;
            }
            ("R" | "L", [temp, dest]) => Step::Place(Pending {
                temp: temp.clone(),
                dest: dest.clone(),
                linked: kind == "L",
            }),
            ("Y", [dir, trash]) => Step::Retire {
                dir: dir.clone(),
                trash: trash.clone(),
            },
            ("I", [stage, dist_info, trash]) => Step::Install {
                stage: stage.clone(),
                dist_info: dist_info.clone(),
                trash: trash.clone(),
            },
            ("X", [file]) => Step::Remove(file.clone()),
            ("E", [dir]) => Step::Prune(dir.clone()),
            ("T", [dir]) => Step::Discard(dir.clone()),
            _ => return Err(bad(number, "expected a step of a transaction")),
        };
        parsed.steps.push(step);
    }
    Ok(parsed)
}

impl Parsed {
    /// Undoes an uncommitted transaction: every hidden name it made goes (temporary
    /// files, staged `.dist-info` folders, hidden new folders), and nothing else, so a
    /// file some other tool put in the environment meanwhile stays.
    pub(super) fn roll_back(&self) -> Result<(), InstallError> {
        let parsed = self;
        for dir in &parsed.temporary {
            let Some(entries) = read_dir_if_there(dir)? else {
                continue;
            };
            for entry in entries {
                let entry = entry.context("read folder", dir)?;
                if !entry.file_name().as_bytes().starts_with(&parsed.prefix) {
                    continue;
                }
                let path = entry.path();
                let removed = match entry.file_type() {
                    Ok(kind) if kind.is_dir() => fs::remove_dir_all(&path),
                    _ => fs::remove_file(&path),
                };
                match removed {
                    Err(error) if error.kind() != io::ErrorKind::NotFound => {
                        Err(error).context("remove", &path)?
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

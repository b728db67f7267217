//! Changing an environment all or nothing, even across a crash: a journal in the
//! environment, kept the way databases keep theirs.
//!
//! A transaction first writes every wheel beside its place: files under hidden
//! temporary names, each `.dist-info` folder whole under a hidden name; nothing an
//! interpreter or pip looks at has changed yet. Before it makes a folder, or leaves
//! temporary files in one, it says so in the journal (`<site-packages>/.curd-journal`),
//! so a later run can undo all of it. Once every wheel is written and every old
//! version's removal planned, the journal gets the whole change as a list of steps,
//! each of which can be done twice without harm, then a last line `C`, and is
//! synced: from that line on the change has happened, and the next run replays the
//! steps if this one is killed. After the steps, the journal goes.
//!
//! A project's steps keep it whole at every moment, crash or not: its new files are
//! renamed over the old (so every file the old RECORD names still exists), the old
//! `.dist-info` is renamed out of sight and the new one into its place (one rename
//! each), then the old version's files that the new one does not reuse are removed.
//!
//! Traps: the journal is read back by a later process, so paths are percent-encoded
//! (they need not be UTF-8, and may hold spaces); its last line may be cut short by
//! the crash it is there for; only one transaction may run in an environment at a
//! time, which the caller's lock on the environment ensures.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::error::InstallError;
use super::uninstall::{Removal, remove_file};
use super::writer::{Pending, Writer, discard, install_dist_info, place, retire};
use super::{InstallOptions, Source, Target};
use crate::standards::filename::WheelFilename;
use crate::util::encoding::{percent_decode, percent_encode_word};
use crate::util::fs::{Context, FsError, read_bounded, temp_name, temp_prefix};
use crate::util::sync::{Jobs, lock};

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
    pub(super) fn label(&self) -> &str {
        &self.label
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
enum Step {
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
    fn line(&self) -> String {
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

    fn run(&self) -> Result<(), FsError> {
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

fn word(path: &Path) -> String {
    percent_encode_word(path.as_os_str().as_bytes())
}

fn unword(word: &str) -> PathBuf {
    PathBuf::from(std::ffi::OsString::from_vec(percent_decode(word)))
}

/// A wheel written beside its place by a [`Transaction`], to be placed when it commits.
pub struct Staged<'t> {
    writer: Writer<'t>,
}

impl Staged<'_> {
    /// Every place the wheel's files go, to spare them when removing old versions.
    pub fn destinations(&self) -> impl Iterator<Item = &Path> {
        self.writer.destinations()
    }
}

/// One project's part of a transaction: its new version, and what goes (the version
/// it replaces; a broken `.dist-info` of the same project).
pub struct Change<'t> {
    pub staged: Option<Staged<'t>>,
    pub removals: Vec<Removal>,
}

/// A change to one environment, all or nothing; undone when dropped uncommitted.
/// The caller holds the environment's lock from before [`recover`] until the end.
pub struct Transaction {
    journal: Journal,
    committed: AtomicBool,
}

impl Transaction {
    /// Starts a transaction whose journal lives in `site` (the purelib folder).
    pub fn begin(site: &Path) -> Result<Transaction, InstallError> {
        fs::create_dir_all(site).context("create folder", site)?;
        let path = site.join(JOURNAL);
        let label = format!("{}-", temp_name("txn"));
        let mut file = File::options()
            .append(true)
            .create_new(true)
            .open(&path)
            .context("create", &path)?;
        let header = format!(
            "{MAGIC} {}\n",
            percent_encode_word(temp_prefix(&label).as_bytes())
        );
        file.write_all(header.as_bytes()).context("write", &path)?;
        Ok(Transaction {
            journal: Journal {
                path,
                file: Mutex::new(file),
                label,
                noted: Mutex::default(),
                hidden: Mutex::default(),
            },
            committed: AtomicBool::new(false),
        })
    }

    /// Writes a wheel beside its place, as [`crate::install::install_wheel`] would
    /// install it; it is placed by [`Transaction::commit`].
    pub fn stage(
        &self,
        source: Source<'_>,
        filename: &WheelFilename,
        target: &Target,
        options: &InstallOptions,
    ) -> Result<Staged<'_>, InstallError> {
        let (writer, _) =
            super::write_wheel(source, filename, target, options, Some(&self.journal))?;
        Ok(Staged { writer })
    }

    /// Makes every change, each project's on one of `jobs`' threads. An error before
    /// the journal's last line undoes everything; after it, what is left is the next
    /// run's to finish ([`recover`]).
    pub fn commit(&self, changes: Vec<Change<'_>>, jobs: &Jobs) -> Result<(), InstallError> {
        let blocks = self.write_commit(changes)?;
        if let Some((first, rest)) = blocks.split_first() {
            first.iter().try_for_each(Step::run)?;
            let results = jobs.parallel(rest, |steps| steps.iter().try_for_each(Step::run));
            results.into_iter().collect::<Result<(), FsError>>()?;
        }
        let path = &self.journal.path;
        fs::remove_file(path).context("remove", path)?;
        Ok(())
    }

    /// Writes the steps of every change to the journal, then the commit line, and
    /// syncs it: the change has happened. Gives the steps, a list per project.
    fn write_commit(&self, changes: Vec<Change<'_>>) -> Result<Vec<Vec<Step>>, InstallError> {
        // First the new folders, which every project's files may be in.
        let hidden = std::mem::take(&mut *lock(&self.journal.hidden));
        let mut blocks: Vec<Vec<Step>> = vec![
            hidden
                .into_iter()
                .map(|(dest, temp)| {
                    Step::Place(Pending {
                        temp,
                        dest,
                        linked: false,
                    })
                })
                .collect(),
        ];
        for change in changes {
            let mut steps = Vec::new();
            let mut trash = Vec::new();
            let handed = change.staged.map(|staged| staged.writer.hand_over());
            let dist_info = match &handed {
                Some(handed) => {
                    steps.extend(handed.pending.iter().cloned().map(Step::Place));
                    let parent = handed.dist_info.parent().unwrap_or(Path::new("/"));
                    let name = handed.dist_info.file_name().unwrap_or_default();
                    Some(fs::canonicalize(parent).context("open", parent)?.join(name))
                }
                None => None,
            };
            for removal in &change.removals {
                if Some(&removal.dist_info) != dist_info.as_ref() {
                    let dir = removal.dist_info.clone();
                    let hidden = self.trash_beside(&dir);
                    steps.push(Step::Retire {
                        dir,
                        trash: hidden.clone(),
                    });
                    trash.push(hidden);
                }
            }
            if let Some(handed) = handed {
                let hidden = self.trash_beside(&handed.dist_info);
                steps.push(Step::Install {
                    stage: handed.stage,
                    dist_info: handed.dist_info,
                    trash: hidden.clone(),
                });
                trash.push(hidden);
            }
            for removal in &change.removals {
                steps.extend(removal.files.iter().cloned().map(Step::Remove));
                steps.extend(removal.dirs.iter().cloned().map(Step::Prune));
            }
            steps.extend(trash.into_iter().map(Step::Discard));
            blocks.push(steps);
        }
        let mut text = String::new();
        for block in &blocks {
            text.push_str("B\n");
            for step in block {
                text.push_str(&step.line());
                text.push('\n');
            }
        }
        text.push_str("C\n");
        let path = &self.journal.path;
        {
            let mut file = lock(&self.journal.file);
            file.write_all(text.as_bytes()).context("write", path)?;
            file.sync_data().context("sync", path)?;
        }
        self.committed.store(true, Ordering::SeqCst);
        Ok(blocks)
    }

    fn trash_beside(&self, dir: &Path) -> PathBuf {
        dir.parent()
            .unwrap_or(Path::new("/"))
            .join(temp_name(&self.journal.label))
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if !self.committed.load(Ordering::SeqCst) {
            // Staged writers have removed what they wrote already; this catches what
            // they could not, as the next run would.
            let _ = recover_from(&self.journal.path);
        }
    }
}

/// What [`recover`] found of a killed run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovered {
    /// Its change was committed, and is now complete.
    Finished,
    /// It died before committing; what it had written is gone.
    RolledBack,
}

/// Finishes or undoes the transaction a killed run left in the environment whose
/// purelib folder is `site`, if any. The caller holds the environment's lock.
pub fn recover(site: &Path) -> Result<Option<Recovered>, InstallError> {
    let path = site.join(JOURNAL);
    if !path.exists() {
        return Ok(None);
    }
    recover_from(&path).map(Some)
}

fn recover_from(path: &Path) -> Result<Recovered, InstallError> {
    let text = read_bounded(path, MAX_JOURNAL_BYTES).context("read", path)?;
    let parsed = parse(&text, path)?;
    let outcome = if parsed.committed {
        for step in &parsed.steps {
            step.run()?;
        }
        Recovered::Finished
    } else {
        roll_back(&parsed)?;
        Recovered::RolledBack
    };
    fs::remove_file(path).context("remove", path)?;
    Ok(outcome)
}

/// A journal read back.
#[derive(Debug, Default)]
struct Parsed {
    /// How this transaction's temporary names begin.
    prefix: Vec<u8>,
    /// Folders noted `D`: where its hidden names are.
    temporary: Vec<PathBuf>,
    steps: Vec<Step>,
    committed: bool,
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
            if !parsed
                .prefix
                .starts_with(crate::util::fs::TEMP_PREFIX.as_bytes())
            {
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

/// Undoes an uncommitted transaction: every hidden name it made goes (temporary
/// files, staged `.dist-info` folders, hidden new folders), and nothing else, so a
/// file some other tool put in the environment meanwhile stays.
fn roll_back(parsed: &Parsed) -> Result<(), InstallError> {
    for dir in &parsed.temporary {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => Err(error).context("read folder", dir)?,
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

#[cfg(test)]
mod tests;

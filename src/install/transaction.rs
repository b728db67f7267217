//! Changing an environment all or nothing, even across a crash: a journal in the
//! environment ([`super::journal`]), kept the way databases keep theirs.
//!
//! A transaction first writes every wheel where nothing looks: files under hidden
//! temporary names beside their places, each `.dist-info` folder whole under a
//! hidden name, each folder that does not exist yet as a hidden folder; nothing an
//! interpreter or pip sees has changed. Before a folder gets its first hidden name,
//! the journal (`<site-packages>/.curd-journal`) names it, so a later run can undo
//! all of it, removing hidden names only. Once every wheel is written and every old
//! version's removal planned, the journal gets the whole change as steps, each of
//! which can be done twice without harm, then a last line `C`, and is synced: from
//! that line on the change has happened, and the next run replays the steps if
//! this one is killed. After the steps, the journal goes.
//!
//! A project's steps keep it whole at every moment, crash or not: new folders and
//! files are renamed into place (over the old files, so every file the old RECORD
//! names still exists), the old `.dist-info` is renamed out of sight and the new
//! one into its place (one rename each), then the old version's files that the new
//! one does not reuse are removed.
//!
//! Only one transaction may run in an environment at a time, which the caller's
//! lock on the environment ensures.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use super::error::InstallError;
use super::journal::{JOURNAL, Journal, Pending, Step, read};
use super::uninstall::Removal;
use super::writer::Writer;
use crate::util::fs::{Context, FsError, temp_name};
use crate::util::sync::Jobs;

/// A wheel written beside its place by a [`Transaction`], to be placed when it commits.
pub struct Staged<'t> {
    writer: Writer<'t>,
}

impl<'t> Staged<'t> {
    pub(super) fn new(writer: Writer<'t>) -> Staged<'t> {
        Staged { writer }
    }

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
        Ok(Transaction {
            journal: Journal::begin(site)?,
            committed: AtomicBool::new(false),
        })
    }

    /// The journal the transaction's writers note their folders in.
    pub(super) fn journal(&self) -> &Journal {
        &self.journal
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
        let path = self.journal.path();
        fs::remove_file(path).context("remove", path)?;
        Ok(())
    }

    /// Writes the steps of every change to the journal, then the commit line, and
    /// syncs it: the change has happened. Gives the steps, a list per project.
    fn write_commit(&self, changes: Vec<Change<'_>>) -> Result<Vec<Vec<Step>>, InstallError> {
        // First the new folders, which every project's files may be in.
        let mut blocks: Vec<Vec<Step>> = vec![
            self.journal
                .take_hidden()
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
        blocks.iter().flatten().try_for_each(check_place)?;
        self.journal.commit(&blocks)?;
        self.committed.store(true, Ordering::SeqCst);
        Ok(blocks)
    }

    fn trash_beside(&self, dir: &Path) -> PathBuf {
        dir.parent()
            .unwrap_or(Path::new("/"))
            .join(temp_name(self.journal.label()))
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if !self.committed.load(Ordering::SeqCst) {
            // Staged writers have removed what they wrote already; this catches what
            // they could not, as the next run would.
            let _ = recover_from(self.journal.path());
        }
    }
}

/// Refuses, before the commit, a rename that could only fail after it: a folder
/// onto a file or a file onto a folder (a project whose module became a package, or
/// two projects that disagree), which would leave the journal committed and every
/// later run unable to finish it.
fn check_place(step: &Step) -> Result<(), InstallError> {
    let Step::Place(pending) = step else {
        return Ok(());
    };
    if pending.temp == pending.dest {
        return Ok(());
    }
    let folder = fs::symlink_metadata(&pending.temp).is_ok_and(|meta| meta.is_dir());
    match fs::symlink_metadata(&pending.dest) {
        Ok(meta) if meta.is_dir() != folder => Err(InstallError::KindClash {
            path: pending.dest.clone(),
            folder,
        }),
        _ => Ok(()),
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
    let journal = read(path)?;
    let outcome = if journal.committed {
        for step in &journal.steps {
            step.run()?;
        }
        Recovered::Finished
    } else {
        journal.roll_back()?;
        Recovered::RolledBack
    };
    fs::remove_file(path).context("remove", path)?;
    Ok(outcome)
}

#[cfg(test)]
mod tests;

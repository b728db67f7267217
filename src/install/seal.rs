//! Seals: how the folders of an installed project looked when it was last found
//! whole file by file, so a run that changes nothing (the second `curd install -r
//! requirements.txt` of a CI job) tells it is still whole from one `stat` per
//! folder, instead of reading its RECORD and listing every folder again.
//!
//! Removing, adding or renaming a file changes its folder's change time (ctime),
//! which nobody can set by hand (unlike mtime); a seal keeps each folder's inode and
//! change time, and holds while every one is as it was. A file changed in place
//! keeps its folder's: [`super::damage`] does not read files back either.
//!
//! Traps:
//! - Change times have the grain of the kernel's clock tick: a folder changed in
//!   the same tick as the check could change again unseen. A folder changed less
//!   than [`SETTLE`] before the check is not sealed (git's "racily clean" rule);
//!   the next run checks it in full, and seals it then.
//! - A seal only ever saves work: one missing, unreadable, of another format or
//!   too large means the full check. Paths that the line format cannot carry (a
//!   tab or a newline in them, or not UTF-8) are not sealed.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::uninstall::{Damage, InstalledDist, whole_folders};
use crate::util::fs::{Context, FsError, read_bounded, write_unsynced};

/// How long a folder must have been left alone before its change time is trusted.
pub const SETTLE: Duration = Duration::from_secs(2);

/// The largest seal file read; a big environment's is a few hundred KiB.
const MAX_SEALS_BYTES: u64 = 16 * 1024 * 1024;

/// What the first line of a seal file says, so another format is never misread.
const HEADER: &str = "curd seals 1";

/// A folder's identity and change time, in nanoseconds since the epoch.
type Stamp = (u64, i128);

/// One project's folders, as they were when it was found whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seal {
    dist_info: PathBuf,
    folders: Vec<(PathBuf, Stamp)>,
}

/// The seals of one environment.
#[derive(Debug, Default)]
pub struct Seals {
    by_dist: HashMap<PathBuf, Seal>,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    Some((
        meta.ino(),
        i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
    ))
}

/// Whether a project is whole, and its seal when its folders have settled: the
/// full check of [`super::damage`], done once.
pub fn seal(dist: &InstalledDist) -> Result<Option<Seal>, Damage> {
    let mut folders = whole_folders(dist)?;
    folders.sort();
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128);
    let settled = now - SETTLE.as_nanos() as i128;
    let mut stamped = Vec::with_capacity(folders.len());
    for folder in folders {
        let writable = folder
            .to_str()
            .is_some_and(|text| !text.contains(['\t', '\n']));
        match stamp(&folder) {
            Some(stamp) if writable && stamp.1 < settled => stamped.push((folder, stamp)),
            _ => return Ok(None),
        }
    }
    Ok(Some(Seal {
        dist_info: dist.dist_info.clone(),
        folders: stamped,
    }))
}

impl Seals {
    /// The seals kept at `path`; none when there are none, or they cannot be read.
    pub fn read(path: &Path) -> Seals {
        let Ok(bytes) = read_bounded(path, MAX_SEALS_BYTES) else {
            return Seals::default();
        };
        let text = String::from_utf8_lossy(&bytes);
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Seals::default();
        }
        let mut by_dist = HashMap::new();
        let mut current: Option<Seal> = None;
        for line in lines {
            let mut fields = line.splitn(4, '\t');
            match (fields.next(), fields.next(), fields.next(), fields.next()) {
                (Some("D"), Some(dist_info), None, None) => {
                    if let Some(seal) = current.take() {
                        by_dist.insert(seal.dist_info.clone(), seal);
                    }
                    current = Some(Seal {
                        dist_info: PathBuf::from(dist_info),
                        folders: Vec::new(),
                    });
                }
                (Some(ino), Some(ctime), Some(folder), None) => {
                    let (Some(seal), Ok(ino), Ok(ctime)) =
                        (current.as_mut(), ino.parse(), ctime.parse())
                    else {
                        return Seals::default();
                    };
                    seal.folders.push((PathBuf::from(folder), (ino, ctime)));
                }
                _ => return Seals::default(),
            }
        }
        if let Some(seal) = current {
            by_dist.insert(seal.dist_info.clone(), seal);
        }
        Seals { by_dist }
    }

    /// Whether `dist` was sealed and every folder of it is as it was then.
    pub fn holds(&self, dist: &InstalledDist) -> bool {
        self.by_dist.get(&dist.dist_info).is_some_and(|seal| {
            !seal.folders.is_empty()
                && seal
                    .folders
                    .iter()
                    .all(|(folder, was)| stamp(folder).as_ref() == Some(was))
        })
    }

    /// Replaces the seal of each of `fresh`'s projects.
    pub fn update(&mut self, fresh: impl IntoIterator<Item = Seal>) {
        for seal in fresh {
            self.by_dist.insert(seal.dist_info.clone(), seal);
        }
    }

    /// Keeps only the seals of these `.dist-info` folders: the others are gone.
    pub fn retain(&mut self, installed: &[&Path]) {
        self.by_dist
            .retain(|dist_info, _| installed.contains(&dist_info.as_path()));
    }

    /// Writes them to `path`, whole or not at all.
    pub fn write(&self, path: &Path) -> Result<(), FsError> {
        let mut text = format!("{HEADER}\n");
        let mut seals: Vec<&Seal> = self.by_dist.values().collect();
        seals.sort_by(|a, b| a.dist_info.cmp(&b.dist_info));
        for seal in seals {
            let _ = writeln!(text, "D\t{}", seal.dist_info.display());
            for (folder, (ino, ctime)) in &seal.folders {
                let _ = writeln!(text, "{ino}\t{ctime}\t{}", folder.display());
            }
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).context("create", dir)?;
        write_unsynced(path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standards::name::PackageName;

    /// A whole project of two folders, made just now.
    fn project(site: &Path) -> InstalledDist {
        let dist_info = site.join("demo-1.0.dist-info");
        std::fs::create_dir_all(&dist_info).unwrap();
        std::fs::create_dir_all(site.join("demo")).unwrap();
        std::fs::write(site.join("demo/__init__.py"), "").unwrap();
        std::fs::write(dist_info.join("METADATA"), "Name: demo\nVersion: 1.0\n").unwrap();
        std::fs::write(
            dist_info.join("RECORD"),
            "demo/__init__.py,,\ndemo-1.0.dist-info/METADATA,,\ndemo-1.0.dist-info/RECORD,,\n",
        )
        .unwrap();
        InstalledDist {
            name: PackageName::new("demo").unwrap(),
            version: "1.0".parse().unwrap(),
            dist_info,
            requires_dist: Vec::new(),
        }
    }

    fn tmp(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(crate::util::fs::temp_name(label));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn folders_just_changed_are_not_sealed() {
        let site = tmp("seal-fresh");
        let dist = project(&site);
        assert_eq!(seal(&dist).map(|s| s.is_none()).ok(), Some(true));
        std::fs::remove_dir_all(&site).unwrap();
    }

    #[test]
    fn a_seal_holds_until_a_folder_changes_and_survives_its_file() {
        let site = tmp("seal-holds");
        let dist = project(&site);
        let folders = whole_folders(&dist).unwrap();
        let mut folders: Vec<(PathBuf, Stamp)> = folders
            .into_iter()
            .map(|f| (f.clone(), stamp(&f).unwrap()))
            .collect();
        folders.sort();
        let mut seals = Seals::default();
        seals.update([Seal {
            dist_info: dist.dist_info.clone(),
            folders,
        }]);
        let file = site.join("seals/env.txt");
        seals.write(&file).unwrap();
        let read = Seals::read(&file);
        assert_eq!(read.by_dist, seals.by_dist);
        assert!(read.holds(&dist));
        std::fs::remove_file(site.join("demo/__init__.py")).unwrap();
        assert!(!read.holds(&dist), "a file removed changes its folder");
        // Garbage reads as no seals at all.
        std::fs::write(&file, "curd seals 1\nx\ty\n").unwrap();
        assert!(Seals::read(&file).by_dist.is_empty());
        std::fs::remove_dir_all(&site).unwrap();
    }
}

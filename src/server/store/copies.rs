//! This server's copies of files kept in a bucket: one file per sha256, in
//! `DIRECTORY/bucket-cache/`, so a download is fetched from the store once and
//! then sent from disk.
//!
//! Copies are a cache: the bucket holds every byte of them, so `--max-size`
//! may remove any copy at any time. "Recently downloaded" is the copy's mtime,
//! set whenever it is sent (one `futimens`, no journal to keep). A copy is
//! unlinked, never truncated, so a download sending it ends whole.

use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::util::fs::{FsError, TempFile};
use crate::util::sync::lock;

/// The folder of copies.
pub struct Copies {
    dir: PathBuf,
    /// A turn per sha256 being fetched, so a burst of requests for one new file
    /// fetches it from the store once.
    fetching: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

/// One copy on disk.
pub struct Copy {
    pub path: PathBuf,
    pub size: u64,
    /// When it was last sent or fetched.
    pub last: SystemTime,
}

impl Copies {
    /// The folder, made if missing, with what a crash left half-written in it removed.
    pub fn open(dir: PathBuf) -> Result<Copies, FsError> {
        std::fs::create_dir_all(&dir).map_err(|source| FsError {
            path: dir.clone(),
            action: "create folder",
            source,
        })?;
        let copies = Copies {
            dir,
            fetching: Mutex::new(HashMap::new()),
        };
        for entry in copies.read_dir()?.flatten() {
            if !is_copy_name(&entry.file_name().to_string_lossy()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(copies)
    }

    fn read_dir(&self) -> Result<std::fs::ReadDir, FsError> {
        std::fs::read_dir(&self.dir).map_err(|source| FsError {
            path: self.dir.clone(),
            action: "read folder",
            source,
        })
    }

    /// The copy of the file with this sha256 and size, opened, if there is one;
    /// it counts as just downloaded.
    pub fn open_copy(&self, sha256: &str, size: u64) -> Option<File> {
        let file = File::open(self.dir.join(sha256)).ok()?;
        if file.metadata().ok()?.len() != size {
            return None;
        }
        // Only the order of eviction depends on it: a copy whose time could not
        // be set is merely let go earlier.
        let _ = file.set_modified(SystemTime::now());
        Some(file)
    }

    /// Runs `fill` for the file with this sha256 while no other request does:
    /// requests that arrive meanwhile wait their turn, and then find the copy.
    pub fn one_at_a_time<T>(&self, sha256: &str, fill: impl FnOnce() -> T) -> T {
        let turn = Arc::clone(lock(&self.fetching).entry(sha256.to_string()).or_default());
        let result = {
            let _turn = lock(&turn);
            fill()
        };
        let mut fetching = lock(&self.fetching);
        // Others take the turn only under the map's lock: if the map's and ours
        // are the only holders left, nobody waits for it.
        if Arc::strong_count(&turn) == 2 {
            fetching.remove(sha256);
        }
        result
    }

    /// A temporary file in the folder, to fetch a copy into.
    pub fn temp(&self) -> Result<TempFile, FsError> {
        TempFile::new_in(&self.dir)
    }

    /// Where the copy of the file with this sha256 goes.
    pub fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(sha256)
    }

    /// Every copy, with its size and last use.
    pub fn list(&self) -> Vec<Copy> {
        let Ok(entries) = self.read_dir() else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter(|e| is_copy_name(&e.file_name().to_string_lossy()))
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                Some(Copy {
                    path: e.path(),
                    size: meta.len(),
                    last: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                })
            })
            .collect()
    }

    /// Removes copies; a download already sending one ends whole.
    pub fn remove(&self, copies: &[&Copy]) -> Result<(), FsError> {
        for copy in copies {
            match std::fs::remove_file(&copy.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(FsError {
                        path: copy.path.clone(),
                        action: "remove",
                        source,
                    });
                }
            }
        }
        Ok(())
    }
}

/// A copy is named by its sha256 (64 lowercase hex digits); anything else in the
/// folder is a temporary file.
fn is_copy_name(name: &str) -> bool {
    name.len() == 64
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sha256_names_are_copies() {
        assert!(is_copy_name(&"ab".repeat(32)));
        assert!(!is_copy_name(&"AB".repeat(32)));
        assert!(!is_copy_name(&"ab".repeat(31)));
        assert!(!is_copy_name(".tmp-curd-1234-fetch"));
    }
}

//! The local cache (disk): downloaded wheels and their unpacked trees, shared safely
//! by curd processes running at once.
//!
//! Every entry is content-addressed (by the file's sha256, or by its URL when an
//! index gives no hash) and created by renaming a finished temporary file or folder
//! into place. Two processes that fetch the same wheel at once both succeed: the
//! second rename finds the entry there and keeps it, and since the name says what
//! the content is, both copies are the same. No locks, so a crashed process leaves
//! at worst a folder under `tmp/`, never a corrupt entry. Within one process, threads
//! that need one entry at once (builds side by side, each installing the same
//! build backend) take turns, so it is made once rather than made and thrown away.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use crate::util::fs::{Context, FsError, temp_name};
use crate::util::sync::{lock, wait};

/// The cache folder and its layout.
#[derive(Clone, Debug)]
pub struct Cache {
    root: PathBuf,
    /// Entries a thread of this process is making, and a signal when one is made.
    filling: Arc<(Mutex<Vec<PathBuf>>, Condvar)>,
}

impl Cache {
    /// The cache at `root` (the command line's settings choose it); created if missing.
    pub fn open(root: PathBuf) -> Result<Cache, FsError> {
        std::fs::create_dir_all(&root).context("create cache folder", &root)?;
        Ok(Cache {
            root,
            filling: Arc::default(),
        })
    }

    /// Runs `fill`, which makes the entry `entry` unless it is there, once no other
    /// thread of this process is running it for the same entry.
    pub fn filling<T>(&self, entry: &Path, fill: impl FnOnce() -> T) -> T {
        let (busy, done) = &*self.filling;
        let mut filling = lock(busy);
        while filling.iter().any(|p| p == entry) {
            filling = wait(done, filling);
        }
        filling.push(entry.to_path_buf());
        drop(filling);
        // Cleared on the way out, even when `fill` unwinds, so nobody waits for ever.
        let _turn = Turn { cache: self, entry };
        fill()
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the seals of the environment whose site-packages is `site` are kept
    /// (`install::Seals`): one file per environment, named by its path's hash.
    pub fn seals(&self, site: &Path) -> PathBuf {
        let key = crate::util::digest::sha256_hex(site.as_os_str().as_encoded_bytes());
        self.root.join("seals").join(format!("{key}.txt"))
    }

    /// The folder under which `python.rs` keeps interpreter answers.
    pub fn interpreters(&self) -> PathBuf {
        self.root.clone()
    }

    /// The folder that holds a downloaded file, keyed by `key`.
    pub fn archive_dir(&self, key: &CacheKey) -> PathBuf {
        self.root.join("archives").join(key.shard())
    }

    /// Where a wheel is kept unpacked, ready to be linked into environments.
    pub fn unpacked_dir(&self, key: &CacheKey) -> PathBuf {
        self.root.join("unpacked").join(key.shard())
    }

    /// Where the wheels built from an sdist are kept, one folder per interpreter.
    pub fn built_dir(&self, key: &CacheKey) -> PathBuf {
        self.root.join("built").join(key.shard())
    }

    /// The log of building `name`, kept apart from the build's work folder so that an
    /// error can point at it after the folder is gone; each build starts it afresh.
    pub fn build_log(&self, name: &str) -> Result<PathBuf, FsError> {
        let dir = self.root.join("logs");
        std::fs::create_dir_all(&dir).context("create cache folder", &dir)?;
        let log = dir.join(format!("{name}.log"));
        match std::fs::remove_file(&log) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).context("remove", &log),
            _ => Ok(log),
        }
    }

    /// A fresh folder for one piece of work, on the same filesystem as the entries so
    /// that finishing an entry is a rename; removed when dropped.
    pub fn work_dir(&self, label: &str) -> Result<WorkDir, FsError> {
        let tmp = self.root.join("tmp");
        crate::util::fs::sweep_abandoned(&tmp);
        let dir = tmp.join(temp_name(label));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).context("create cache folder", &dir)?;
        Ok(WorkDir(dir))
    }
}

/// A thread's turn at making a cache entry, ended when dropped.
struct Turn<'c> {
    cache: &'c Cache,
    entry: &'c Path,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let (busy, done) = &*self.cache.filling;
        lock(busy).retain(|p| p != self.entry);
        done.notify_all();
    }
}

/// A temporary folder inside the cache, removed with everything in it when dropped.
pub struct WorkDir(PathBuf);

impl WorkDir {
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What names a cache entry: the content's sha256 when known, else the URL's.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CacheKey {
    Sha256(String),
    Url(String),
}

impl CacheKey {
    fn shard(&self) -> PathBuf {
        let hex = match self {
            CacheKey::Sha256(hex) => hex.to_ascii_lowercase(),
            CacheKey::Url(url) => {
                format!("url-{}", crate::util::digest::sha256_hex(url.as_bytes()))
            }
        };
        let prefix: String = hex.chars().rev().take(2).collect();
        PathBuf::from(prefix).join(hex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn threads_take_turns_at_one_entry() {
        let cache = Cache {
            root: PathBuf::from("/c"),
            filling: Arc::default(),
        };
        let inside = AtomicU64::new(0);
        let most = AtomicU64::new(0);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    cache.filling(Path::new("/c/entry"), || {
                        most.fetch_max(inside.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        inside.fetch_sub(1, Ordering::SeqCst);
                    })
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn keys_shard_by_content_or_url() {
        let cache = Cache {
            root: PathBuf::from("/c"),
            filling: Arc::default(),
        };
        let sha = CacheKey::Sha256("ABCDEF".into());
        assert_eq!(
            cache.archive_dir(&sha),
            PathBuf::from("/c/archives/fe/abcdef")
        );
        let url = CacheKey::Url("http://h/x.whl".into());
        let dir = cache.unpacked_dir(&url);
        assert!(dir.starts_with("/c/unpacked"));
        assert_ne!(
            dir,
            cache.unpacked_dir(&CacheKey::Url("http://h/y.whl".into()))
        );
    }
}

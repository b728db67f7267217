//! One temporary folder per test: removed when the test passes, kept when it fails,
//! so what the binaries left behind can be looked at.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh folder under the system's temporary folder, unique to one test.
pub struct TempDir(PathBuf);

impl TempDir {
    /// `label` names the folder, so a kept one is easy to find.
    pub fn new(label: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("curd-it-{}-{label}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temporary folder");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    /// Dropped while the test panics: the test failed, and the folder is its evidence.
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept the failed test's folder: {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// `path`, created with its parents.
pub fn mkdir(path: PathBuf) -> PathBuf {
    std::fs::create_dir_all(&path)
        .unwrap_or_else(|e| panic!("cannot create `{}`: {e}", path.display()));
    path
}

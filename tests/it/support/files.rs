//! Files the tests read: the committed fixtures, and what a folder holds.

use std::path::{Path, PathBuf};

/// A committed fixture file.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The names in a folder, sorted, but for the server's journal of downloads.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != ".curd-access")
        .collect();
    names.sort();
    names
}

//! Files the tests read: the committed fixtures, and what a folder holds.

use std::path::{Path, PathBuf};

/// A committed fixture file.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The names in a folder, sorted, but for the server's journal of downloads; the
/// files left in its incoming folder are named inside it.
pub fn listing(dir: &Path) -> Vec<String> {
    let names_in = |dir: &Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let mut names: Vec<String> = names_in(dir)
        .into_iter()
        .filter(|name| name != ".curd-access" && name != INCOMING)
        .collect();
    let incoming = dir.join(INCOMING);
    if incoming.is_dir() {
        names.extend(
            names_in(&incoming)
                .into_iter()
                .map(|n| format!("{INCOMING}/{n}")),
        );
    }
    names.sort();
    names
}

/// Where curd-server writes files before their rename into its folder: what is
/// left there is listed too, as `.curd-incoming/<name>`.
pub const INCOMING: &str = ".curd-incoming";

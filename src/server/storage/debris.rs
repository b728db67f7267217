//! Temporary files left in the folder by uploads that a crash cut short.
//!
//! An upload holds an exclusive lock on its temporary file for as long as it
//! writes it, and the lock dies with the process that held it. So a temporary file
//! that can be locked belongs to nobody and is removed, however young; one that
//! cannot is an upload in progress, of this server or of another one on the same
//! folder (on this machine, or over NFS, which carries the lock), however old.
//!
//! While the server runs, a file touched in the last minute is left alone: its own
//! uploads create a file and then lock it, and a sweep between the two must not
//! take it. At start-up no upload of this process exists yet, so every unlocked
//! file goes, however young: what a crash left is gone before the first request.

use std::fs::{File, TryLockError};
use std::path::Path;
use std::time::Duration;

use crate::util::fs::TEMP_PREFIX;

/// How young an unlocked file may be and still be an upload about to lock it.
const GRACE: Duration = Duration::from_secs(60);

/// Whether a sweep runs beside the server's own uploads or before any.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum When {
    StartUp,
    Running,
}

/// Removes the temporary files of uploads whose process is gone; says how many.
pub fn sweep(dir: &Path, when: When) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
            continue;
        }
        let path = entry.path();
        let settled = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > GRACE)
            || when == When::StartUp;
        if !settled {
            continue;
        }
        let Ok(file) = File::open(&path) else {
            continue;
        };
        match file.try_lock() {
            // Removed while locked, so no new writer can take it meanwhile.
            Ok(()) => {
                if std::fs::remove_file(&path).is_ok() {
                    removed += 1;
                }
            }
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => crate::debug!(
                "curd-server: cannot tell whether `{}` is in use: {e}",
                path.display()
            ),
        }
    }
    removed
}

//! When each stored file was last downloaded: a small journal of the server's
//! own, `DIRECTORY/.curd-access`, read by eviction (`--max-size`) and `prune`.
//!
//! The file system's atime is no help (`noatime`, `relatime`), so the server
//! keeps its own. Invariants a change must keep:
//! - A download only updates a map in memory (one short lock): the journal is
//!   appended by a thread of its own about once a second, never fsynced, so no
//!   request waits on the disk for it.
//! - The journal only ever grows by whole lines, `MILLISECONDS NAME\n` (since the epoch), and is read
//!   leniently: a line torn by a crash or kill -9 is skipped, and the times it
//!   held are at worst a second or two older than the truth.
//! - It stays small: when it holds several times more lines than files it
//!   times, it is rewritten from the map (a temporary file renamed over it).

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::util::fs::read_bounded;
use crate::util::sync::lock;

/// The journal's name in the folder: hidden, so no listing takes it for a file.
pub const JOURNAL: &str = ".curd-access";
/// The largest journal read back; past it, only its first part is read.
const MAX_JOURNAL: u64 = 256 * 1024 * 1024;
/// How often downloads are written down.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Last downloads by file name, in memory and in the journal.
pub struct Access {
    path: PathBuf,
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    /// Milliseconds since the epoch of each file's last download.
    times: HashMap<String, u64>,
    /// Downloads not yet written down.
    pending: HashMap<String, u64>,
    /// Lines in the journal now.
    lines: usize,
}

impl Access {
    /// Reads the journal in `dir` (none yet is an empty one).
    pub fn open(dir: &Path) -> Access {
        let path = dir.join(JOURNAL);
        let (times, lines, torn) = read_journal(&path);
        let access = Access {
            path,
            state: Mutex::new(State {
                times,
                pending: HashMap::new(),
                lines,
            }),
            wake: Condvar::new(),
        };
        if torn {
            access.compact();
        }
        access
    }

    /// The journal's times as they are on disk, for a process that only reads it.
    pub fn read(dir: &Path) -> HashMap<String, SystemTime> {
        let times = read_journal(&dir.join(JOURNAL)).0;
        times
            .into_iter()
            .map(|(name, millis)| (name, UNIX_EPOCH + Duration::from_millis(millis)))
            .collect()
    }

    /// Notes a download of `name` now.
    pub fn touch(&self, name: &str) {
        let now = now_millis();
        let mut state = lock(&self.state);
        state.times.insert(name.to_string(), now);
        state.pending.insert(name.to_string(), now);
    }

    /// When `name` was last downloaded, if the journal knows.
    pub fn last(&self, name: &str) -> Option<SystemTime> {
        let millis = *lock(&self.state).times.get(name)?;
        Some(UNIX_EPOCH + Duration::from_millis(millis))
    }

    /// Forgets removed files, so the journal does not time files that are gone.
    pub fn forget<'a>(&self, names: impl IntoIterator<Item = &'a str>) {
        let mut state = lock(&self.state);
        for name in names {
            state.times.remove(name);
            state.pending.remove(name);
        }
    }

    /// Writes down the downloads since the last flush every second, from a
    /// thread of its own.
    pub fn start_flushing(self: &Arc<Self>) {
        let access = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("access-journal".into())
            .spawn(move || {
                loop {
                    {
                        let state = lock(&access.state);
                        let _ = access.wake.wait_timeout(state, FLUSH_EVERY);
                    }
                    access.flush();
                }
            });
        if let Err(e) = spawned {
            crate::message!("curd-server: could not start the access journal's thread: {e}");
        }
    }

    /// Appends what is pending; rewrites the journal when it has grown too long.
    pub fn flush(&self) {
        let (pending, compact) = {
            let mut state = lock(&self.state);
            let pending = std::mem::take(&mut state.pending);
            state.lines += pending.len();
            let compact = state.lines > 4 * state.times.len() + 1024;
            (pending, compact)
        };
        if compact {
            self.compact();
            return;
        }
        if pending.is_empty() {
            return;
        }
        let text: String = pending
            .iter()
            .map(|(name, millis)| format!("{millis} {name}\n"))
            .collect();
        let appended = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = appended {
            crate::message!("curd-server: cannot write `{}`: {e}", self.path.display());
        }
    }

    /// Rewrites the journal with one line per file.
    fn compact(&self) {
        let text: String = {
            let mut state = lock(&self.state);
            state.pending.clear();
            state.lines = state.times.len();
            state
                .times
                .iter()
                .map(|(name, millis)| format!("{millis} {name}\n"))
                .collect()
        };
        if let Err(e) = crate::util::fs::write_unsynced(&self.path, text.as_bytes()) {
            crate::message!("curd-server: {e}");
        }
    }
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The latest time of each name, the number of lines, and whether the last
/// line was torn (the journal then needs rewriting before it is appended to).
fn read_journal(path: &Path) -> (HashMap<String, u64>, usize, bool) {
    let mut times = HashMap::new();
    let Ok(bytes) = read_bounded(path, MAX_JOURNAL) else {
        return (times, 0, false);
    };
    let torn = !bytes.is_empty() && !bytes.ends_with(b"\n");
    let text = String::from_utf8_lossy(&bytes);
    let mut lines = 0;
    for line in text.split_inclusive('\n') {
        lines += 1;
        let Some(line) = line.strip_suffix('\n') else {
            continue;
        };
        let Some((millis, name)) = line.split_once(' ') else {
            continue;
        };
        let (Ok(millis), false) = (millis.parse::<u64>(), name.is_empty()) else {
            continue;
        };
        let slot = times.entry(name.to_string()).or_insert(millis);
        *slot = (*slot).max(millis);
    }
    (times, lines, torn)
}

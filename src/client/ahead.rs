//! Wheels that resolution downloaded whole, unpacked into the cache while it goes on.
//!
//! An index that gives no PEP 658 metadata file makes the resolver download every
//! wheel it reads, and then wait on the network with the cores idle. Unpacking those
//! wheels into the cache meanwhile, on threads of their own, leaves the install
//! only links to make; otherwise every file is written after resolution ends.
//! A wheel the install reaches before its turn here is taken off the queue and
//! installed from its archive, as it would have been; one being unpacked is waited
//! for. Nothing outlives the run: at the end (a failed resolution, say) the queue is
//! dropped and the unpacking under way is called off, its temporary folder removed,
//! so the run neither waits for a tree it will not use nor leaves half of one.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use crate::client::cache::Cache;
use crate::standards::filename::WheelFilename;
use crate::util::sync::{Jobs, lock, wait};

/// The queue of wheels to unpack ahead of the install, and the threads that do it.
pub struct UnpackAhead {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

struct Shared {
    cache: Cache,
    state: Mutex<State>,
    /// Signalled when a job is queued or done, and when the queue closes.
    changed: Condvar,
    /// Set at the end: the unpacking under way gives up.
    stop: AtomicBool,
}

#[derive(Default)]
struct State {
    queued: VecDeque<Job>,
    /// The trees being made now.
    running: Vec<PathBuf>,
    closed: bool,
}

struct Job {
    archive: PathBuf,
    wheel: WheelFilename,
    dest: PathBuf,
}

impl UnpackAhead {
    /// Starts `threads` threads (at least one) that unpack what is queued. A thread
    /// the system will not start is done without; with none, nothing is unpacked
    /// ahead and installs go on as they would.
    pub fn start(cache: &Cache, threads: usize) -> UnpackAhead {
        let shared = Arc::new(Shared {
            cache: cache.clone(),
            state: Mutex::default(),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
        });
        let threads = (0..threads.max(1))
            .filter_map(|i| {
                let shared = Arc::clone(&shared);
                std::thread::Builder::new()
                    .name(format!("unpack-ahead-{i}"))
                    .spawn(move || shared.work())
                    .ok()
            })
            .collect();
        UnpackAhead { shared, threads }
    }

    /// Queues the wheel at `archive` to be unpacked into `dest`, the cache's tree.
    pub fn queue(&self, archive: &Path, wheel: &WheelFilename, dest: PathBuf) {
        if self.threads.is_empty() || dest.is_dir() {
            return;
        }
        let mut state = lock(&self.shared.state);
        let known = state.running.contains(&dest) || state.queued.iter().any(|j| j.dest == dest);
        if state.closed || known {
            return;
        }
        state.queued.push_back(Job {
            archive: archive.to_path_buf(),
            wheel: wheel.clone(),
            dest,
        });
        drop(state);
        self.shared.changed.notify_one();
    }

    /// Leaves `dest` to the caller: off the queue if it is waiting there, or made
    /// (or failed) if it is being unpacked now.
    pub fn settle(&self, dest: &Path) {
        let mut state = lock(&self.shared.state);
        state.queued.retain(|job| job.dest != dest);
        while state.running.iter().any(|d| d == dest) {
            state = wait(&self.shared.changed, state);
        }
    }
}

impl Shared {
    fn work(&self) {
        // Each thread unpacks one wheel at a time, whole: the threads are the
        // parallelism, and the install's own limit stays with the install.
        let alone = Jobs::new(1);
        while let Some(job) = self.next() {
            let _done = Done {
                shared: self,
                dest: &job.dest,
            };
            let unpacked = self.cache.filling(&job.dest, || {
                crate::install::unpack_until(
                    &job.archive,
                    &job.wheel,
                    &job.dest,
                    &alone,
                    &self.stop,
                )
            });
            // The install, reaching this wheel, reads its archive again and says
            // what is wrong with it, where the failure is the run's.
            if let Err(error) = unpacked {
                crate::debug!("{}: not unpacked ahead: {error}", job.wheel);
            }
        }
    }

    /// The next job, marked running; none once the queue is closed.
    fn next(&self) -> Option<Job> {
        let mut state = lock(&self.state);
        loop {
            if state.closed {
                return None;
            }
            if let Some(job) = state.queued.pop_front() {
                state.running.push(job.dest.clone());
                return Some(job);
            }
            state = wait(&self.changed, state);
        }
    }
}

/// A running job's mark, taken off when it ends, even by a panic, so that nobody
/// waits for it for ever.
struct Done<'s> {
    shared: &'s Shared,
    dest: &'s Path,
}

impl Drop for Done<'_> {
    fn drop(&mut self) {
        lock(&self.shared.state).running.retain(|d| d != self.dest);
        self.shared.changed.notify_all();
    }
}

impl Drop for UnpackAhead {
    fn drop(&mut self) {
        let mut state = lock(&self.shared.state);
        state.closed = true;
        state.queued.clear();
        drop(state);
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.changed.notify_all();
        for thread in self.threads.drain(..) {
            // A thread that panicked has said so on stderr; there is nothing to add.
            let _ = thread.join();
        }
    }
}

//! Keeping the folder under `--max-size`: when the files stored pass it, the
//! least recently downloaded files cached from upstreams or copied from a bucket
//! are removed first, and uploads only with `--evict-uploads`.
//!
//! Invariants a change must keep:
//! - Eviction never runs on a request's thread: a store pokes a thread of its
//!   own, which also runs once at start-up.
//! - A file is unlinked, never truncated, so a download already sending it ends
//!   whole from its open handle; listings, hashes and cached METADATA forget it,
//!   and a cached file evicted is fetched again when next asked for.
//! - "Recently downloaded" is the access journal's time ([`Access`]), else the
//!   file's mtime (when it was stored); a bucket's copies keep it in their mtime.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::SystemTime;

use crate::server::access::Access;
use crate::server::pages::human_size;
use crate::server::pull::Pull;
use crate::server::storage::{Storage, StoredFile};
use crate::server::store::copies::{Copies, Copy};
use crate::util::messages::count;
use crate::util::sync::lock;

/// The size limit and what enforces it.
pub struct Retention {
    max_size: Option<u64>,
    evict_uploads: bool,
    pub access: Arc<Access>,
    /// The folder of uploads; none when uploads live in a bucket, which the
    /// limit (of this server's disk) does not cover.
    uploads: Option<Arc<Storage>>,
    pull: Option<Arc<Pull>>,
    /// This server's copies of a bucket's files.
    copies: Option<Arc<Copies>>,
    evictions: AtomicU64,
    evicted_bytes: AtomicU64,
    poked: Mutex<bool>,
    wake: Condvar,
}

/// A file that may be evicted, with when it was last wanted.
struct Candidate {
    last: SystemTime,
    what: Evictable,
}

enum Evictable {
    Upload(Arc<StoredFile>),
    Cached(Arc<StoredFile>),
    Copy(Copy),
}

impl Evictable {
    fn size(&self) -> u64 {
        match self {
            Evictable::Upload(file) | Evictable::Cached(file) => file.size,
            Evictable::Copy(copy) => copy.size,
        }
    }
}

/// Bytes on this server's disk, by kind.
struct Used {
    uploads: u64,
    cached: u64,
    copies: u64,
}

impl Retention {
    pub fn new(
        dir: &std::path::Path,
        uploads: Option<Arc<Storage>>,
        pull: Option<Arc<Pull>>,
        copies: Option<Arc<Copies>>,
        max_size: Option<u64>,
        evict_uploads: bool,
    ) -> Retention {
        let access = Arc::new(Access::open(dir));
        Retention {
            max_size,
            evict_uploads,
            access,
            uploads,
            pull,
            copies,
            evictions: AtomicU64::new(0),
            evicted_bytes: AtomicU64::new(0),
            poked: Mutex::new(true),
            wake: Condvar::new(),
        }
    }

    /// Starts the journal's writer and, with a size limit, the evicting thread,
    /// which checks the folder at once.
    pub fn start(self: &Arc<Self>) {
        self.access.start_flushing();
        if self.max_size.is_none() {
            return;
        }
        let retention = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("eviction".into())
            .spawn(move || {
                loop {
                    {
                        let mut poked = lock(&retention.poked);
                        while !*poked {
                            poked = retention
                                .wake
                                .wait(poked)
                                .unwrap_or_else(std::sync::PoisonError::into_inner);
                        }
                        *poked = false;
                    }
                    retention.enforce();
                }
            });
        if let Err(e) = spawned {
            crate::message!("curd-server: could not start the eviction thread: {e}");
        }
    }

    /// Asks the evicting thread to check the folder (after a store); returns at once.
    pub fn poke(&self) {
        if self.max_size.is_some() {
            *lock(&self.poked) = true;
            self.wake.notify_one();
        }
    }

    /// Bytes stored now: of uploads, of files cached from upstreams, of copies.
    fn used(&self) -> Used {
        let sum = |storage: &Storage| -> u64 {
            storage
                .index()
                .projects
                .values()
                .flatten()
                .map(|f| f.size)
                .sum()
        };
        Used {
            uploads: self.uploads.as_deref().map_or(0, sum),
            cached: self.pull.as_ref().map_or(0, |p| sum(&p.store)),
            copies: self
                .copies
                .as_ref()
                .map_or(0, |c| c.list().iter().map(|c| c.size).sum()),
        }
    }

    /// Removes the least recently downloaded files until the folder is under the limit.
    fn enforce(&self) {
        let Some(limit) = self.max_size else {
            return;
        };
        let used = self.used();
        let Some(mut over) = (used.uploads + used.cached + used.copies)
            .checked_sub(limit)
            .filter(|&o| o > 0)
        else {
            return;
        };
        let mut candidates = Vec::new();
        let mut add = |storage: &Storage, upload: bool| {
            for file in storage.index().projects.values().flatten() {
                let last = self.access.last(&file.name).unwrap_or(file.mtime);
                let file = Arc::clone(file);
                candidates.push(Candidate {
                    last: last.max(file.mtime),
                    what: match upload {
                        true => Evictable::Upload(file),
                        false => Evictable::Cached(file),
                    },
                });
            }
        };
        if let Some(pull) = &self.pull {
            add(&pull.store, false);
        }
        if let Some(uploads) = self.uploads.as_deref().filter(|_| self.evict_uploads) {
            add(uploads, true);
        }
        if let Some(copies) = &self.copies {
            candidates.extend(copies.list().into_iter().map(|copy| Candidate {
                last: copy.last,
                what: Evictable::Copy(copy),
            }));
        }
        candidates.sort_by_key(|c| c.last);
        let (mut from_uploads, mut from_cache, mut from_copies) =
            (Vec::new(), Vec::new(), Vec::new());
        for candidate in &candidates {
            if over == 0 {
                break;
            }
            over = over.saturating_sub(candidate.what.size());
            match &candidate.what {
                Evictable::Upload(file) => from_uploads.push(Arc::clone(file)),
                Evictable::Cached(file) => from_cache.push(Arc::clone(file)),
                Evictable::Copy(copy) => from_copies.push(copy),
            }
        }
        if let Some(copies) = &self.copies
            && !from_copies.is_empty()
        {
            if let Err(e) = copies.remove(&from_copies) {
                crate::message!("curd-server: eviction: {e}");
            }
            let bytes: u64 = from_copies.iter().map(|c| c.size).sum();
            self.evictions
                .fetch_add(from_copies.len() as u64, Ordering::Relaxed);
            self.evicted_bytes.fetch_add(bytes, Ordering::Relaxed);
            crate::message!(
                "curd-server: let go of {} copied from the bucket ({})",
                count(from_copies.len(), "file"),
                human_size(bytes)
            );
        }
        if let Some(uploads) = &self.uploads
            && !from_uploads.is_empty()
            && let Err(e) = uploads.remove_files(&from_uploads)
        {
            crate::message!("curd-server: eviction: {e}");
        }
        if let Some(pull) = &self.pull
            && !from_cache.is_empty()
        {
            if let Err(e) = pull.store.remove_files(&from_cache) {
                crate::message!("curd-server: eviction: {e}");
            }
            pull.forget_metadata(&from_cache);
        }
        let evicted: Vec<&Arc<StoredFile>> = from_cache.iter().chain(&from_uploads).collect();
        self.access.forget(evicted.iter().map(|f| f.name.as_str()));
        let bytes: u64 = evicted.iter().map(|f| f.size).sum();
        self.evictions
            .fetch_add(evicted.len() as u64, Ordering::Relaxed);
        self.evicted_bytes.fetch_add(bytes, Ordering::Relaxed);
        for file in &evicted {
            crate::message!(
                "curd-server: evicted `{}` ({})",
                file.name,
                human_size(file.size)
            );
        }
        if over > 0 {
            crate::message!(
                "curd-server: {} over --max-size, with nothing left that may be evicted{}",
                human_size(over),
                if self.evict_uploads {
                    ""
                } else {
                    " (uploads are kept without --evict-uploads)"
                }
            );
        }
    }

    /// A paragraph of the home page: the limit, what is used, what was evicted.
    pub fn summary(&self) -> String {
        let used = self.used();
        let limit = self.max_size.map_or("none".to_string(), |l| {
            format!("{} ({l} bytes)", human_size(l))
        });
        let uploads = match (&self.uploads, &self.copies) {
            (None, Some(_)) => format!("copies of the bucket's files {}", human_size(used.copies)),
            _ => format!("uploads {}", human_size(used.uploads)),
        };
        format!(
            "<h2>Storage</h2>\n<p>Size limit: {limit}. On this disk: {uploads}, the upstream cache {}. \
             Evicted since start-up: {}, {}.</p>\n",
            human_size(used.cached),
            count(self.evictions.load(Ordering::Relaxed) as usize, "file"),
            human_size(self.evicted_bytes.load(Ordering::Relaxed)),
        )
    }
}

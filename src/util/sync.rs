//! Locks that outlive a panicked holder, and the run's one limit on threads.
//!
//! A thread that panics while holding a lock poisons it; the data under every lock
//! here stays consistent across a panic (each update is one assignment), so the
//! remaining threads go on with it rather than panic in turn.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

/// Locks `mutex`, taking it over from a holder that panicked.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reads under `lock`, taking it over from a writer that panicked.
pub fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Writes under `lock`, taking it over from a holder that panicked.
pub fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Waits on `signal`, taking the lock back even from a holder that panicked.
pub fn wait<'m, T>(signal: &Condvar, guard: MutexGuard<'m, T>) -> MutexGuard<'m, T> {
    signal
        .wait(guard)
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Waits on `signal` for at most `timeout`, likewise; spurious wake-ups return early,
/// so callers wait in a loop against their own deadline.
pub fn wait_timeout<'m, T>(
    signal: &Condvar,
    guard: MutexGuard<'m, T>,
    timeout: Duration,
) -> MutexGuard<'m, T> {
    match signal.wait_timeout(guard, timeout) {
        Ok((guard, _)) => guard,
        Err(poisoned) => poisoned.into_inner().0,
    }
}

/// The one limit on how much of a run works at once (downloads, builds, installs),
/// shared by every level: work started from within other work (a build's own
/// requirements, fetched while the install's downloads run) draws on the same
/// permits, so nesting never multiplies `-j`.
///
/// A caller of [`Jobs::parallel`] always works on its own items itself and adds a
/// helper thread only for a free permit; it never waits for one. So nested calls
/// cannot deadlock, and a permit freed anywhere is taken up by the next item of any
/// call still running. A thread that blocks (on its helpers, or on another thread's
/// build) lends its place through [`Jobs::idle`], so work elsewhere goes on in it.
#[derive(Debug)]
pub struct Jobs {
    /// Permits for helper threads: the limit less the thread that runs the command.
    /// A thread back from [`Jobs::idle`] takes its place again without waiting, so
    /// this may dip below zero until a helper ends.
    free: Mutex<isize>,
}

impl Jobs {
    /// Room for `limit` threads at once, counting the caller's (at least one).
    pub fn new(limit: usize) -> Jobs {
        Jobs {
            free: Mutex::new(isize::try_from(limit.max(1) - 1).unwrap_or(isize::MAX)),
        }
    }

    fn try_acquire(&self) -> bool {
        let mut free = lock(&self.free);
        if *free <= 0 {
            return false;
        }
        *free -= 1;
        true
    }

    fn release(&self) {
        *lock(&self.free) += 1;
    }

    /// Takes a place back after [`Jobs::release`], without waiting: the thread that
    /// holds it may be waiting on this one.
    fn reclaim(&self) {
        *lock(&self.free) -= 1;
    }

    /// Runs `wait`, which blocks on other threads, with this thread's place in the
    /// limit lent to work elsewhere meanwhile.
    pub fn idle<R>(&self, wait: impl FnOnce() -> R) -> R {
        self.release();
        let _back = Reclaim(self);
        wait()
    }

    /// Runs `work` on every item, on this thread and on as many helpers as there
    /// are free permits, and returns the results in the items' order.
    pub fn parallel<T: Sync, R: Send>(&self, items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
        if items.len() <= 1 {
            return items.iter().map(work).collect();
        }
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
        let run = Run {
            jobs: self,
            items,
            next: &next,
            results: &results,
            work: &work,
        };
        std::thread::scope(|scope| {
            run.work(scope, false);
            // Nothing is left for this thread but to wait for its helpers.
            self.release();
        });
        self.reclaim();
        results
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .into_iter()
            .flatten()
            .collect()
    }

    /// Runs `work` on every seed and on every item it returns in turn, until none is
    /// left: a walk of a graph met as it goes, such as a project's dependencies,
    /// whose next items can start as soon as the item naming them is done instead of
    /// when the rest of its level is. Threads as in [`Jobs::parallel`]: the caller
    /// works too, helpers join for free permits while items wait.
    pub fn crawl<T: Send>(&self, seeds: Vec<T>, work: impl Fn(T) -> Vec<T> + Sync) {
        let crawl = Crawl {
            jobs: self,
            queue: Mutex::new(Queue {
                items: seeds.into(),
                busy: 0,
            }),
            changed: Condvar::new(),
            work: &work,
        };
        std::thread::scope(|scope| crawl.run(scope, false));
    }
}

/// One [`Jobs::crawl`] call, shared by the threads that work on it.
struct Crawl<'r, T, F> {
    jobs: &'r Jobs,
    queue: Mutex<Queue<T>>,
    /// Signalled when items are added or an item is done.
    changed: Condvar,
    work: &'r F,
}

struct Queue<T> {
    items: VecDeque<T>,
    /// Items being worked on, which may still add more.
    busy: usize,
}

impl<'r, T: Send, F: Fn(T) -> Vec<T> + Sync> Crawl<'r, T, F> {
    /// Takes items while there are any; a helper then leaves, while the caller waits
    /// (its place lent) until the last busy item is done, as that may add more.
    fn run<'s>(&'s self, scope: &'s std::thread::Scope<'s, '_>, helper: bool) {
        let _permit = helper.then(|| Permit(self.jobs));
        let mut queue = lock(&self.queue);
        loop {
            if let Some(item) = queue.items.pop_front() {
                queue.busy += 1;
                let more = !queue.items.is_empty();
                drop(queue);
                if more && self.jobs.try_acquire() {
                    scope.spawn(move || self.run(scope, true));
                }
                let mut done = Done {
                    crawl: self,
                    found: Vec::new(),
                };
                done.found = (self.work)(item);
                drop(done);
                queue = lock(&self.queue);
            } else if helper || queue.busy == 0 {
                return;
            } else {
                self.jobs.release();
                queue = wait(&self.changed, queue);
                self.jobs.reclaim();
            }
        }
    }
}

/// An item's end, even by a panic: what it found is queued before it stops
/// counting as busy, so the caller never sees the walk over while items are owed.
struct Done<'c, 'r, T, F> {
    crawl: &'c Crawl<'r, T, F>,
    found: Vec<T>,
}

impl<T, F> Drop for Done<'_, '_, T, F> {
    fn drop(&mut self) {
        let mut queue = lock(&self.crawl.queue);
        queue.items.extend(self.found.drain(..));
        queue.busy -= 1;
        self.crawl.changed.notify_all();
    }
}

/// A place in the limit that a thread took back, given back when it is done.
struct Reclaim<'j>(&'j Jobs);

impl Drop for Reclaim<'_> {
    fn drop(&mut self) {
        self.0.reclaim();
    }
}

/// A helper thread's permit, given back when the thread ends, even by a panic.
struct Permit<'j>(&'j Jobs);

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.0.release();
    }
}

/// One [`Jobs::parallel`] call, shared by the threads that work on it.
struct Run<'r, T, R, F> {
    jobs: &'r Jobs,
    items: &'r [T],
    next: &'r AtomicUsize,
    results: &'r Mutex<Vec<Option<R>>>,
    work: &'r F,
}

impl<T, R, F> Clone for Run<'_, T, R, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T, R, F> Copy for Run<'_, T, R, F> {}

impl<'r, T: Sync, R: Send, F: Fn(&T) -> R + Sync> Run<'r, T, R, F> {
    /// Takes items until none is left; before each, hands the rest to one more
    /// helper if a permit is free. `helper` threads give their permit back at the end.
    fn work<'s>(self, scope: &'s std::thread::Scope<'s, 'r>, helper: bool) {
        let _permit = helper.then(|| Permit(self.jobs));
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = self.items.get(i) else { break };
            if i + 1 < self.items.len() && self.jobs.try_acquire() {
                scope.spawn(move || self.work(scope, true));
            }
            let result = (self.work)(item);
            lock(self.results)[i] = Some(result);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Counts the threads inside `work` at once, and the most there ever were.
    #[derive(Default)]
    struct Gauge {
        now: AtomicUsize,
        most: AtomicUsize,
    }

    impl Gauge {
        fn enter(&self) {
            let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(5));
        }

        fn leave(&self) {
            self.now.fetch_sub(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn keeps_order_and_the_limit() {
        let jobs = Jobs::new(3);
        let gauge = Gauge::default();
        let items: Vec<usize> = (0..40).collect();
        let doubled = jobs.parallel(&items, |&i| {
            gauge.enter();
            gauge.leave();
            i * 2
        });
        assert_eq!(doubled, (0..40).map(|i| i * 2).collect::<Vec<_>>());
        let most = gauge.most.load(Ordering::SeqCst);
        assert!((1..=3).contains(&most), "{most} threads at once");
        assert_eq!(*lock(&jobs.free), 2, "every permit came back");
    }

    #[test]
    fn nested_calls_share_the_limit() {
        let jobs = Jobs::new(4);
        let gauge = Gauge::default();
        let outer: Vec<usize> = (0..8).collect();
        let sums = jobs.parallel(&outer, |&i| {
            let inner: Vec<usize> = (0..8).collect();
            jobs.parallel(&inner, |&j| {
                gauge.enter();
                gauge.leave();
                i * j
            })
            .into_iter()
            .sum::<usize>()
        });
        assert_eq!(sums, (0..8).map(|i| i * 28).collect::<Vec<_>>());
        // A thread that waits for its helpers lends its place, and takes it back
        // without waiting when they are done: for a moment that can be one more
        // each, never a multiple of the limit per level as threads of their own were.
        let most = gauge.most.load(Ordering::SeqCst);
        assert!(most <= 2 * 4, "{most} threads at once with -j 4");
    }

    #[test]
    fn a_waiting_thread_lends_its_place() {
        let jobs = Jobs::new(2);
        let gauge = Gauge::default();
        let outer = [0, 1];
        jobs.parallel(&outer, |&i| {
            if i == 0 {
                return;
            }
            let inner = [0; 4];
            jobs.parallel(&inner, |_| {
                gauge.enter();
                std::thread::sleep(Duration::from_millis(100));
                gauge.leave();
            });
        });
        let most = gauge.most.load(Ordering::SeqCst);
        assert_eq!(most, 2, "the nested items ran {most} at once with -j 2");
        assert_eq!(*lock(&jobs.free), 1, "every permit came back");
    }

    #[test]
    fn crawl_visits_what_items_find_within_the_limit() {
        let jobs = Jobs::new(3);
        let gauge = Gauge::default();
        let seen = Mutex::new(Vec::new());
        // A binary tree of 63 nodes, found from its root.
        jobs.crawl(vec![1usize], |node| {
            gauge.enter();
            gauge.leave();
            lock(&seen).push(node);
            [2 * node, 2 * node + 1]
                .into_iter()
                .filter(|&n| n < 64)
                .collect()
        });
        let mut seen = seen.into_inner().unwrap_or_default();
        seen.sort_unstable();
        assert_eq!(seen, (1..64).collect::<Vec<_>>());
        let most = gauge.most.load(Ordering::SeqCst);
        assert!((1..=3).contains(&most), "{most} threads at once");
        assert_eq!(*lock(&jobs.free), 2, "every permit came back");
    }

    #[test]
    fn crawl_starts_found_items_before_their_level_is_done() {
        let jobs = Jobs::new(3);
        let (child_ran, told) = std::sync::mpsc::channel();
        let (child_ran, told) = (Mutex::new(child_ran), Mutex::new(told));
        let waited = Mutex::new(None);
        // `slow` ends only once `child` (found by `fast`) has run: a walk level by
        // level would wait here until the timeout.
        jobs.crawl(vec!["slow", "fast"], |item| match item {
            "slow" => {
                *lock(&waited) = Some(lock(&told).recv_timeout(Duration::from_secs(20)).is_ok());
                Vec::new()
            }
            "fast" => vec!["child"],
            _ => {
                let _ = lock(&child_ran).send(());
                Vec::new()
            }
        });
        assert_eq!(*lock(&waited), Some(true));
    }

    #[test]
    fn one_job_runs_on_the_callers_thread() {
        let jobs = Jobs::new(1);
        let caller = std::thread::current().id();
        let items = [1, 2, 3];
        let same = jobs.parallel(&items, |_| std::thread::current().id() == caller);
        assert_eq!(same, [true, true, true]);
    }
}

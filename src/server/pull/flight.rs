//! One fetch at a time per key: the first request for a page or a file fetches
//! it, and every request for the same key meanwhile waits for that fetch and
//! shares its outcome, so twenty clients asking at once cost the upstream one
//! request.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::util::sync::{lock, wait_timeout};

/// The fetches in progress, by key.
pub struct Flights<K, V> {
    running: Mutex<HashMap<K, Arc<Flight<V>>>>,
}

struct Flight<V> {
    /// `None` until the fetch lands; then its outcome, or `None` inside if the
    /// fetching thread vanished without one.
    outcome: Mutex<Option<Option<V>>>,
    landed: Condvar,
}

impl<K, V> Default for Flights<K, V> {
    fn default() -> Self {
        Flights {
            running: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Flights<K, V> {
    /// Runs `fetch` for `key`, or waits for the run already in progress and takes
    /// its outcome. `None` only if that run's thread stopped without one.
    pub fn run(&self, key: K, fetch: impl FnOnce() -> V) -> Option<V> {
        let (flight, leader) = {
            let mut running = lock(&self.running);
            match running.get(&key) {
                Some(flight) => (Arc::clone(flight), false),
                None => {
                    let flight = Arc::new(Flight {
                        outcome: Mutex::new(None),
                        landed: Condvar::new(),
                    });
                    running.insert(key.clone(), Arc::clone(&flight));
                    (flight, true)
                }
            }
        };
        if !leader {
            let mut outcome = lock(&flight.outcome);
            loop {
                if let Some(outcome) = &*outcome {
                    return outcome.clone();
                }
                outcome = wait_timeout(&flight.landed, outcome, Duration::from_secs(1));
            }
        }
        let landing = Landing {
            flights: self,
            key,
            flight: &flight,
            value: None,
        };
        let value = fetch();
        let mut landing = landing;
        landing.value = Some(value.clone());
        drop(landing);
        Some(value)
    }
}

/// Ends a run however its thread leaves it: the key is freed for the next
/// fetch and the waiters are woken with the outcome.
struct Landing<'a, K: Eq + Hash, V> {
    flights: &'a Flights<K, V>,
    key: K,
    flight: &'a Arc<Flight<V>>,
    value: Option<V>,
}

impl<K: Eq + Hash, V> Drop for Landing<'_, K, V> {
    fn drop(&mut self) {
        lock(&self.flights.running).remove(&self.key);
        *lock(&self.flight.outcome) = Some(self.value.take());
        self.flight.landed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn concurrent_runs_of_one_key_fetch_once() {
        let flights: Flights<&str, usize> = Flights::default();
        let fetches = AtomicUsize::new(0);
        let outcomes: Vec<Option<usize>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        flights.run("a", || {
                            // Lands only once all eight have joined this run.
                            while lock(&flights.running)
                                .get("a")
                                .is_some_and(|f| Arc::strong_count(f) < 9)
                            {
                                std::thread::sleep(Duration::from_millis(5));
                            }
                            fetches.fetch_add(1, Ordering::SeqCst) + 7
                        })
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        assert!(outcomes.iter().all(|o| *o == Some(7)), "{outcomes:?}");
        // The key is free again: a later run fetches anew.
        assert_eq!(flights.run("a", || 9), Some(9));
    }
}

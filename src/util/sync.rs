//! Locks that outlive a panicked holder.
//!
//! A thread that panics while holding a lock poisons it; the data under every lock
//! here stays consistent across a panic (each update is one assignment), so the
//! remaining threads go on with it rather than panic in turn.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, taking it over from a holder that panicked.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

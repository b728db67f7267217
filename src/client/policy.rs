//! How long the client waits, and how often it asks again, by kind of source.
//!
//! The two kinds fail differently, and a failure costs differently:
//! - A package index or a find-links page (and the files it links to) is where
//!   packages come from: its failure fails the install. It is waited for as long as
//!   pip waits (`--timeout`, 15 s, for the lookup, the connection with its TLS
//!   handshake, and each read), and what may pass (no DNS answer, a lost or refused
//!   connection, a reset, 5xx, 429) is tried again after an exponential backoff
//!   with jitter, honouring `Retry-After` up to a cap.
//! - A cache server (`-c`) is a shortcut: whatever it holds an index holds too, so a
//!   slow one costs more than it saves. It gets short fixed limits (2 s to connect,
//!   5 s for a whole page, a download that keeps a minimum pace) and no retries; the
//!   finder marks it down at its first failure and asks the next source.
//!
//! Traps:
//! - A read timeout alone does not bound a request: a server that trickles a byte
//!   before each timeout keeps it alive forever. Hence the cache server's deadline
//!   over a whole page and the pace a download must keep in every window.
//! - Retrying in lockstep makes a struggling server's load come back in waves; the
//!   jitter spreads the threads of one run, and the runs of many machines.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

pub use crate::util::pace::{Pace, Paced, TooSlow, seconds};

/// pip's `--timeout`, which users know: each wait for an index, not a total.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// Extra attempts after a transient failure, so 5 in all: pip makes 6, uv 4.
pub const DEFAULT_RETRIES: u32 = 4;
/// The first retry waits about this long, each next one twice as long.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// The longest `Retry-After` waited for: a server that asks for more is down for
/// longer than an install should wait.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Redirects followed for one request: more is a loop.
pub const MAX_REDIRECTS: usize = 10;

/// A cache server is near (the same network): its handshake takes milliseconds.
const CACHE_CONNECT: Duration = Duration::from_secs(2);
/// A cache server's page or metadata, whole; and a download's head.
const CACHE_DEADLINE: Duration = Duration::from_secs(5);
/// What a download from a cache server must bring in every window: 16 KiB/s, so a
/// big wheel over a slow link arrives, and a trickle is cut off after a window.
const CACHE_PACE: Pace = Pace {
    bytes: 80 * 1024,
    window: Duration::from_secs(5),
};

/// The timeouts and retries of one kind of source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Looking the host up.
    pub resolve: Duration,
    /// A TCP connection and its TLS handshake, across the host's addresses.
    pub connect: Duration,
    /// Any one read or write once connected.
    pub io: Duration,
    /// The whole of a small document (a page, metadata) and the head of a download;
    /// `None` for no limit beyond the others.
    pub deadline: Option<Duration>,
    /// The pace a download must keep; `None` for none.
    pub pace: Option<Pace>,
    /// Extra attempts after a transient failure.
    pub retries: u32,
}

impl Policy {
    /// For package indexes and find-links pages: `timeout` for each wait.
    pub fn patient(timeout: Duration, retries: u32) -> Policy {
        Policy {
            resolve: timeout,
            connect: timeout,
            io: timeout,
            deadline: None,
            pace: None,
            retries,
        }
    }

    /// For cache servers: quick to give up, never asked again by the same request.
    pub fn quick() -> Policy {
        Policy {
            resolve: CACHE_CONNECT,
            connect: CACHE_CONNECT,
            io: CACHE_DEADLINE,
            deadline: Some(CACHE_DEADLINE),
            pace: Some(CACHE_PACE),
            retries: 0,
        }
    }

    /// The wait before retry `n` (from 1): doubling from [`FIRST_BACKOFF`] up to
    /// [`MAX_BACKOFF`], each drawn between half and all of it ("equal jitter").
    pub fn backoff(&self, n: u32) -> Duration {
        let full = FIRST_BACKOFF
            .saturating_mul(1 << n.saturating_sub(1).min(16))
            .min(MAX_BACKOFF);
        let half = full / 2;
        half + half.mul_f64(random_fraction())
    }
}

/// A number in [0, 1) that differs between calls, threads and processes: std's
/// hasher keys are random per process and per call, which is all jitter needs.
fn random_fraction() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// A `Retry-After` header's wait; only the delay-seconds form (a date is rare
/// enough to be waited for as any other retry).
pub fn retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_a_cap() {
        let policy = Policy::patient(DEFAULT_TIMEOUT, DEFAULT_RETRIES);
        for n in 1..=8 {
            let full = FIRST_BACKOFF.saturating_mul(1 << (n - 1)).min(MAX_BACKOFF);
            let wait = policy.backoff(n);
            assert!(wait >= full / 2 && wait <= full, "{n}: {wait:?}");
        }
        assert!(policy.backoff(u32::MAX) <= MAX_BACKOFF);
        let draws: std::collections::HashSet<Duration> =
            (0..20).map(|_| policy.backoff(3)).collect();
        assert!(draws.len() > 1, "no jitter: {draws:?}");
    }

    #[test]
    fn retry_after_takes_seconds() {
        assert_eq!(retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(retry_after("-1"), None);
    }
}

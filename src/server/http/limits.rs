//! The limits on what clients may cost the server, and the deadlines drawn from them.

use std::time::{Duration, Instant};

/// Bounds on what clients may cost the server.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Worker threads: requests handled at once.
    pub threads: usize,
    /// Connections open at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// The request line and headers together.
    pub max_header_bytes: usize,
    /// From the first byte of a request to the end of its head.
    pub header_timeout: Duration,
    /// A keep-alive connection waiting for its next request.
    pub idle_timeout: Duration,
    /// Each read of a body and each write of a response.
    pub io_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            threads: 16,
            max_connections: 1024,
            max_header_bytes: 16 * 1024,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(15),
            io_timeout: Duration::from_secs(30),
        }
    }
}

/// The slowest a body may arrive or a response leave, past a grace period: a client
/// that trickles holds a worker for a bounded time, not for as long as it likes.
const MIN_BYTES_PER_SECOND: u64 = 32 * 1024;

impl Limits {
    /// When sending or receiving `len` bytes, starting now, must be done.
    pub(super) fn deadline(&self, len: u64) -> Instant {
        Instant::now() + self.io_timeout + Duration::from_secs(len / MIN_BYTES_PER_SECOND)
    }
}

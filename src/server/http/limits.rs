//! The limits on what clients may cost the server, and the deadlines drawn from them.

use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

/// Bounds on what clients may cost the server.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Worker threads: handlers run at once.
    pub threads: usize,
    /// Connections open at once. Past it, the idle keep-alive connection that has
    /// waited longest is closed to make room, and without one the newcomer is
    /// answered 503. One address may hold a quarter of them.
    pub max_connections: usize,
    /// Request bodies being received at once from one address; more are answered 429.
    pub max_uploads_per_peer: usize,
    /// The request line and headers together.
    pub max_header_bytes: usize,
    /// From the first byte of a request to the end of its head (then 408).
    pub header_timeout: Duration,
    /// A keep-alive connection waiting for its next request.
    pub idle_timeout: Duration,
    /// The longest a body or a response may stall; also the grace period before
    /// the minimum rate applies.
    pub io_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            threads: 16,
            max_connections: 1024,
            max_uploads_per_peer: 8,
            max_header_bytes: 16 * 1024,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(15),
            io_timeout: Duration::from_secs(30),
        }
    }
}

/// The slowest a body may arrive or a response leave, on average, past the grace
/// period: a client that trickles holds a connection for a bounded time.
const MIN_BYTES_PER_SECOND: u64 = 32 * 1024;

impl Limits {
    /// Connections one address may hold, so that no one client can take them all.
    pub(super) fn max_connections_per_peer(&self) -> usize {
        (self.max_connections / 4).max(1)
    }

    /// Whether a transfer that started at `started`, moved `moved` bytes and last
    /// moved some at `moved_at` is too slow to go on: stalled for the I/O timeout,
    /// or below the minimum rate once past it.
    pub(super) fn too_slow(
        &self,
        started: Instant,
        moved_at: Instant,
        moved: u64,
        now: Instant,
    ) -> bool {
        let allowed = self.io_timeout + Duration::from_secs(moved / MIN_BYTES_PER_SECOND);
        now.duration_since(moved_at) > self.io_timeout || now.duration_since(started) > allowed
    }
}

/// The client an address belongs to, for every limit per client: IPv4 as it is
/// (also when mapped into IPv6), IPv6 by its /64, which one host usually holds
/// whole, so that it cannot pass a limit by changing addresses within it.
pub fn client_of(peer: IpAddr) -> IpAddr {
    match peer {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfers_may_be_slow_but_not_stalled_or_crawling() {
        let limits = Limits::default();
        let t0 = Instant::now();
        let at = |secs| t0 + Duration::from_secs(secs);
        // Nothing for 29 s, then bytes: fine; nothing for 31 s: stalled.
        assert!(!limits.too_slow(t0, t0, 0, at(29)));
        assert!(limits.too_slow(t0, t0, 0, at(31)));
        // A byte now and then, but 1 KiB in 40 s: below the minimum rate.
        assert!(limits.too_slow(t0, at(39), 1024, at(40)));
        // 64 KiB/s for 100 s.
        assert!(!limits.too_slow(t0, at(100), 6_400 << 10, at(100)));
        assert_eq!(limits.max_connections_per_peer(), 256);
    }
}

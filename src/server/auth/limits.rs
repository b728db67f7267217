//! What failed logins may cost: a limit on failures per client, and a bound on the
//! password hashes computed at once.
//!
//! A client is its address, and for IPv6 its /64, which one host usually holds
//! whole. Behind a reverse proxy every client is the proxy: the limit then holds
//! for all of them at once (the proxy's own headers are not trusted).
//!
//! After [`FREE_FAILURES`] failures a client waits [`FIRST_WAIT`] before it may
//! guess again, and each later failure doubles the wait, up to [`LONGEST_WAIT`]. While shut out, nothing it sends is checked, not even a right
//! password: an answer would make the limit an oracle. Successes neither count nor
//! reset the count, or one good account would reset the guessing on the others. A
//! client's failures are forgotten [`FORGET_AFTER`] its last one.
//!
//! Traps: concurrent guesses would all pass a check made before any of them
//! failed, so a client's guesses still being hashed count as failures already;
//! the table of clients is bounded, so a flood of addresses cannot grow it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::server::http::client_of;
use crate::util::sync::{lock, wait};

/// Failures a client may make before it has to wait.
pub const FREE_FAILURES: u32 = 10;
/// The wait after the first failure past the free ones; doubled by each next one.
pub const FIRST_WAIT: Duration = Duration::from_secs(1);
pub const LONGEST_WAIT: Duration = Duration::from_secs(600);
pub const FORGET_AFTER: Duration = Duration::from_secs(3600);
/// Clients remembered at once: a record is ~64 bytes.
const MOST_CLIENTS: usize = 1 << 16;

/// Failed logins per client.
pub struct FailureLimit {
    clients: Mutex<HashMap<IpAddr, Record>>,
}

#[derive(Clone, Copy)]
struct Record {
    failures: u32,
    /// Guesses being hashed now, counted as failures until they are known.
    pending: u32,
    last_failure: Instant,
    shut_until: Option<Instant>,
}

impl Record {
    fn forgotten(&self, now: Instant) -> bool {
        self.pending == 0
            && self.shut_until.is_none_or(|t| t <= now)
            && now.saturating_duration_since(self.last_failure) >= FORGET_AFTER
    }
}

/// Why a client may not try now: how long it should wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShutOut(pub Duration);

impl ShutOut {
    /// Whole seconds, rounded up, as `Retry-After` takes them.
    pub fn seconds(self) -> u64 {
        self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0)
    }
}

impl FailureLimit {
    pub fn new() -> FailureLimit {
        FailureLimit {
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `peer` may try a login now.
    pub fn check(&self, peer: IpAddr, now: Instant) -> Result<(), ShutOut> {
        let mut clients = lock(&self.clients);
        let client = client_of(peer);
        let Some(record) = clients.get(&client) else {
            return Ok(());
        };
        if record.forgotten(now) {
            clients.remove(&client);
            return Ok(());
        }
        match record.shut_until {
            Some(until) if until > now => Err(ShutOut(until - now)),
            _ => Ok(()),
        }
    }

    /// Starts a guess that will be hashed; its outcome goes to [`FailureLimit::finish`].
    /// Refused when the client's failures and the guesses it has in flight already
    /// reach its free ones and it must wait out the last.
    pub fn begin(&self, peer: IpAddr, now: Instant) -> Result<(), ShutOut> {
        let mut clients = lock(&self.clients);
        let record = record_of(&mut clients, client_of(peer), now);
        if let Some(until) = record.shut_until.filter(|&until| until > now) {
            return Err(ShutOut(until - now));
        }
        if record.failures + record.pending >= FREE_FAILURES && record.pending > 0 {
            // Its last guesses decide how long it waits; until then, the least.
            return Err(ShutOut(FIRST_WAIT));
        }
        record.pending += 1;
        Ok(())
    }

    /// The outcome of a guess started with [`FailureLimit::begin`].
    pub fn finish(&self, peer: IpAddr, failed: bool, now: Instant) {
        let mut clients = lock(&self.clients);
        let client = client_of(peer);
        let Some(record) = clients.get_mut(&client) else {
            return;
        };
        record.pending = record.pending.saturating_sub(1);
        if failed {
            fail(record, now);
        } else if record.failures == 0 && record.pending == 0 {
            clients.remove(&client);
        }
    }

    /// A failure that needed no hashing (credentials too long to check).
    pub fn fail(&self, peer: IpAddr, now: Instant) {
        let mut clients = lock(&self.clients);
        fail(record_of(&mut clients, client_of(peer), now), now);
    }
}

/// The client's record: made if it has none (room first), begun afresh if its
/// failures are forgotten.
fn record_of(clients: &mut HashMap<IpAddr, Record>, client: IpAddr, now: Instant) -> &mut Record {
    if !clients.contains_key(&client) {
        make_room(clients, now);
    }
    let fresh = Record {
        failures: 0,
        pending: 0,
        last_failure: now,
        shut_until: None,
    };
    let record = clients.entry(client).or_insert(fresh);
    if record.forgotten(now) {
        *record = fresh;
    }
    record
}

fn fail(record: &mut Record, now: Instant) {
    record.failures = record.failures.saturating_add(1);
    record.last_failure = now;
    if let Some(past) = record.failures.checked_sub(FREE_FAILURES) {
        let wait = FIRST_WAIT
            .checked_mul(1u32.checked_shl(past).unwrap_or(u32::MAX))
            .unwrap_or(LONGEST_WAIT)
            .min(LONGEST_WAIT);
        record.shut_until = Some(now + wait);
    }
}

/// Drops forgotten clients when the table is full, then, if need be, the one whose
/// last failure is oldest: a flood of addresses costs old records, not memory.
fn make_room(clients: &mut HashMap<IpAddr, Record>, now: Instant) {
    if clients.len() < MOST_CLIENTS {
        return;
    }
    clients.retain(|_, r| !r.forgotten(now));
    if clients.len() >= MOST_CLIENTS {
        let oldest = clients
            .iter()
            .filter(|(_, r)| r.pending == 0)
            .min_by_key(|(_, r)| r.last_failure)
            .map(|(&ip, _)| ip);
        if let Some(ip) = oldest {
            clients.remove(&ip);
        }
    }
}

/// Bounds the password hashes computed at once, and the logins waiting to compute
/// one: a flood of guesses then costs a few cores and a few workers, and the other
/// requests (downloads, logins already verified) keep the rest.
pub struct HashGate {
    state: Mutex<Gate>,
    free: Condvar,
    most_running: usize,
    most_waiting: usize,
}

struct Gate {
    running: usize,
    waiting: usize,
}

/// A place to compute one hash; given back when dropped.
pub struct Turn<'g>(&'g HashGate);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).running -= 1;
        self.0.free.notify_one();
    }
}

impl HashGate {
    pub fn new(most_running: usize, most_waiting: usize) -> HashGate {
        HashGate {
            state: Mutex::new(Gate {
                running: 0,
                waiting: 0,
            }),
            free: Condvar::new(),
            most_running: most_running.max(1),
            most_waiting,
        }
    }

    /// A turn to hash, after waiting for one; `None` when too many already wait.
    pub fn enter(&self) -> Option<Turn<'_>> {
        let mut gate = lock(&self.state);
        if gate.running >= self.most_running {
            if gate.waiting >= self.most_waiting {
                return None;
            }
            gate.waiting += 1;
            while gate.running >= self.most_running {
                gate = wait(&self.free, gate);
            }
            gate.waiting -= 1;
        }
        gate.running += 1;
        Some(Turn(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// An empty limit, a client and a moment.
    fn fresh() -> (FailureLimit, IpAddr, Instant) {
        (FailureLimit::new(), ip("192.0.2.7"), Instant::now())
    }

    /// One failed guess, as a login makes it.
    fn guess(limit: &FailureLimit, peer: IpAddr, now: Instant) -> Result<(), ShutOut> {
        limit.check(peer, now)?;
        limit.begin(peer, now)?;
        limit.finish(peer, true, now);
        Ok(())
    }

    #[test]
    fn waits_double_after_the_free_failures_up_to_the_longest() {
        let (limit, peer, mut now) = fresh();
        for _ in 0..FREE_FAILURES - 1 {
            assert_eq!(guess(&limit, peer, now), Ok(()));
        }
        assert_eq!(guess(&limit, peer, now), Ok(()), "the last free failure");
        let mut expected = FIRST_WAIT;
        for _ in 0..12 {
            assert_eq!(limit.check(peer, now), Err(ShutOut(expected)));
            now += expected;
            assert_eq!(guess(&limit, peer, now), Ok(()));
            expected = (expected * 2).min(LONGEST_WAIT);
        }
        assert_eq!(limit.check(peer, now), Err(ShutOut(LONGEST_WAIT)));
        assert_eq!(limit.check(ip("192.0.2.8"), now), Ok(()), "others go on");
        // Forgotten an hour after the last failure.
        now += FORGET_AFTER;
        for _ in 0..FREE_FAILURES {
            assert_eq!(guess(&limit, peer, now), Ok(()));
        }
        assert!(limit.check(peer, now).is_err());
    }

    #[test]
    fn successes_neither_count_nor_reset() {
        let (limit, peer, now) = fresh();
        let login = |failed| {
            limit.begin(peer, now).unwrap();
            limit.finish(peer, failed, now);
        };
        for _ in 0..FREE_FAILURES - 1 {
            login(false);
            login(true);
            login(false);
        }
        assert_eq!(limit.check(peer, now), Ok(()));
        login(true);
        assert!(limit.check(peer, now).is_err());
    }

    #[test]
    fn guesses_in_flight_count_already() {
        let (limit, peer, now) = fresh();
        for _ in 0..FREE_FAILURES {
            assert_eq!(limit.begin(peer, now), Ok(()));
        }
        assert_eq!(limit.begin(peer, now), Err(ShutOut(FIRST_WAIT)));
        for _ in 0..FREE_FAILURES {
            limit.finish(peer, true, now);
        }
        assert_eq!(limit.check(peer, now), Err(ShutOut(FIRST_WAIT)));
    }

    #[test]
    fn an_ipv6_host_is_its_64() {
        let limit = FailureLimit::new();
        let now = Instant::now();
        for i in 0..FREE_FAILURES {
            guess(&limit, ip(&format!("2001:db8:1:2::{i:x}")), now).unwrap();
        }
        assert!(limit.check(ip("2001:db8:1:2:ffff::1"), now).is_err());
        assert_eq!(limit.check(ip("2001:db8:1:3::1"), now), Ok(()));
        for _ in 0..FREE_FAILURES {
            guess(&limit, ip("::ffff:192.0.2.9"), now).unwrap();
        }
        assert!(limit.check(ip("192.0.2.9"), now).is_err());
    }

    #[test]
    fn the_table_of_clients_is_bounded() {
        let limit = FailureLimit::new();
        let now = Instant::now();
        for n in 0..MOST_CLIENTS as u32 + 10 {
            limit.fail(IpAddr::V4(n.into()), now);
        }
        assert_eq!(lock(&limit.clients).len(), MOST_CLIENTS);
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(ShutOut(Duration::from_millis(1)).seconds(), 1);
        assert_eq!(ShutOut(Duration::from_secs(2)).seconds(), 2);
        assert_eq!(ShutOut(Duration::from_millis(2001)).seconds(), 3);
    }

    #[test]
    fn the_gate_bounds_hashes_and_waiters() {
        let gate = HashGate::new(1, 1);
        let first = gate.enter().expect("a free gate");
        std::thread::scope(|s| {
            let waiter = s.spawn(|| gate.enter().is_some());
            while lock(&gate.state).waiting == 0 {
                std::thread::yield_now();
            }
            assert!(gate.enter().is_none(), "one waits already");
            drop(first);
            assert!(waiter.join().unwrap());
        });
        assert_eq!(lock(&gate.state).running, 0);
    }
}

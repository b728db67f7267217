//! Host names, looked up once per run for every connection the client makes.
//!
//! ureq asks its resolver before every request, even one that then goes out on a
//! pooled connection, and most Linux machines cache no DNS answers (no nscd, no
//! systemd-resolved): one install asked DNS 145 times for two hosts, and each
//! lookup was one more lost UDP packet away from failing the install. Here each
//! host is looked up once; threads that need it meanwhile wait for that lookup.
//!
//! Traps:
//! - `getaddrinfo` cannot be cancelled, so a lookup runs on a thread of its own and
//!   a caller stops waiting at its timeout. The lookup goes on: a retry after a
//!   timeout waits for the same lookup instead of starting another, and its late
//!   answer fills the cache.
//! - Only what will not change within a run is kept: answers, and a name that does
//!   not resolve. A failure that may pass ("try again", no answer in time) is asked
//!   again by the next request.
//! - The system's message is all a failed lookup says through `std` (its kind is
//!   uncategorized), so a transient failure is told by the words glibc, musl and
//!   macOS use for `EAI_AGAIN`.
//! - Addresses are interleaved by family (RFC 8305, section 4): ureq tries them in
//!   turn, so a broken IPv6 route is followed by an IPv4 address, not another IPv6 one.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::ResolvedSocketAddrs;
use ureq::unversioned::transport::NextTimeout;

use crate::client::policy::seconds;
use crate::util::sync::{lock, wait_timeout};

/// Asks the system for a host's addresses.
pub type Lookup = dyn Fn(&str) -> io::Result<Vec<IpAddr>> + Send + Sync;

/// Why a host name gave no address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupError {
    pub host: String,
    pub cause: LookupCause,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LookupCause {
    /// No answer within the time allowed; the lookup may still be under way.
    TimedOut(Duration),
    /// A failure that may pass, such as a DNS server that did not answer in time.
    Temporary(String),
    /// The name does not resolve, or the system failed for good.
    Failed(String),
}

impl LookupError {
    /// Whether asking again soon may give an answer.
    pub fn is_transient(&self) -> bool {
        !matches!(self.cause, LookupCause::Failed(_))
    }

    /// Classifies what the system said.
    fn from_io(host: &str, error: &io::Error) -> LookupError {
        let text = error.to_string();
        let reason = text
            .strip_prefix("failed to lookup address information: ")
            .unwrap_or(&text);
        let reason = lowercase_first(reason);
        let lower = reason.to_ascii_lowercase();
        let transient = matches!(
            error.kind(),
            io::ErrorKind::TimedOut | io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
        ) || lower.contains("temporary failure")
            || lower.contains("try again");
        LookupError {
            host: host.to_string(),
            cause: if transient {
                LookupCause::Temporary(reason)
            } else {
                LookupCause::Failed(reason)
            },
        }
    }
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot look up `{}`: {}", self.host, self.cause)
    }
}

impl fmt::Display for LookupCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupCause::TimedOut(after) => write!(f, "no answer within {}", seconds(*after)),
            LookupCause::Temporary(reason) | LookupCause::Failed(reason) => f.write_str(reason),
        }
    }
}

impl std::error::Error for LookupError {}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// One host's lookup: under way, or done.
#[derive(Default)]
struct Answer {
    state: Mutex<Option<Result<Vec<IpAddr>, LookupError>>>,
    done: Condvar,
}

impl Answer {
    /// Whether a new lookup should replace this one.
    fn failed_transiently(&self) -> bool {
        matches!(&*lock(&self.state), Some(Err(e)) if e.is_transient())
    }

    fn finish(&self, result: Result<Vec<IpAddr>, LookupError>) {
        *lock(&self.state) = Some(result);
        self.done.notify_all();
    }

    /// The answer, waiting for it at most `timeout` (`None`: as long as it takes).
    fn wait(&self, host: &str, timeout: Option<Duration>) -> Result<Vec<IpAddr>, LookupError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut state = lock(&self.state);
        loop {
            if let Some(result) = &*state {
                return result.clone();
            }
            state = match deadline {
                None => crate::util::sync::wait(&self.done, state),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(LookupError {
                            host: host.to_string(),
                            cause: LookupCause::TimedOut(timeout.unwrap_or_default()),
                        });
                    }
                    wait_timeout(&self.done, state, left)
                }
            };
        }
    }
}

/// The client's one resolver: every host looked up once, whatever the number of
/// threads, requests and retries that need it.
pub struct Resolver {
    lookup: Arc<Lookup>,
    hosts: Mutex<HashMap<String, Arc<Answer>>>,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver").finish_non_exhaustive()
    }
}

impl Default for Resolver {
    /// The system's resolver (`getaddrinfo`), as `std` asks it.
    fn default() -> Resolver {
        Resolver::with_lookup(Arc::new(|host: &str| {
            Ok((host, 0).to_socket_addrs()?.map(|a| a.ip()).collect())
        }))
    }
}

impl Resolver {
    /// A resolver over another way of asking, for tests.
    pub fn with_lookup(lookup: Arc<Lookup>) -> Resolver {
        Resolver {
            lookup,
            hosts: Mutex::default(),
        }
    }

    /// The addresses of `host` (an IP literal is its own), IPv6 and IPv4 taking
    /// turns, waiting at most `timeout` for a lookup.
    pub fn addresses(
        &self,
        host: &str,
        timeout: Option<Duration>,
    ) -> Result<Vec<IpAddr>, LookupError> {
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        let answer = {
            let mut hosts = lock(&self.hosts);
            match hosts.get(host) {
                Some(answer) if !answer.failed_transiently() => Arc::clone(answer),
                _ => {
                    let answer = Arc::new(Answer::default());
                    hosts.insert(host.to_string(), Arc::clone(&answer));
                    self.start(host, &answer);
                    answer
                }
            }
        };
        answer.wait(host, timeout).map(interleave)
    }

    /// Looks `host` up on a thread of its own, which fills `answer`.
    fn start(&self, host: &str, answer: &Arc<Answer>) {
        let lookup = Arc::clone(&self.lookup);
        let (name, filled) = (host.to_string(), Arc::clone(answer));
        let work = move || {
            let result = match lookup(&name) {
                Ok(ips) if !ips.is_empty() => Ok(ips),
                Ok(_) => Err(LookupError {
                    host: name.clone(),
                    cause: LookupCause::Failed("no address for it".into()),
                }),
                Err(e) => Err(LookupError::from_io(&name, &e)),
            };
            filled.finish(result);
        };
        if let Err(e) = std::thread::Builder::new()
            .name("curd-dns".into())
            .spawn(work)
        {
            answer.finish(Err(LookupError::from_io(host, &e)));
        }
    }
}

/// Alternates the families, keeping the system's order within each (RFC 6724 sorts
/// them by preference), starting with the family the system put first.
fn interleave(ips: Vec<IpAddr>) -> Vec<IpAddr> {
    let first_is_v6 = ips.first().is_some_and(IpAddr::is_ipv6);
    let (mut preferred, mut other): (Vec<IpAddr>, Vec<IpAddr>) =
        ips.into_iter().partition(|ip| ip.is_ipv6() == first_is_v6);
    let mut out = Vec::with_capacity(preferred.len() + other.len());
    preferred.reverse();
    other.reverse();
    loop {
        match (preferred.pop(), other.pop()) {
            (None, None) => return out,
            (a, b) => out.extend(a.into_iter().chain(b)),
        }
    }
}

impl ureq::unversioned::resolver::Resolver for Resolver {
    fn resolve(
        &self,
        uri: &Uri,
        _config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(ureq::Error::BadUri(format!("{uri} has no scheme or host")));
        };
        let port = match (authority.port_u16(), scheme) {
            (Some(port), _) => port,
            (None, "https") => 443,
            (None, "http") => 80,
            (None, other) => {
                return Err(ureq::Error::BadUri(format!("unknown scheme: {other}")));
            }
        };
        let wait = (!timeout.after.is_not_happening()).then(|| *timeout.after);
        let ips = self
            .addresses(authority.host(), wait)
            .map_err(|e| ureq::Error::Io(io::Error::other(e)))?;
        let mut addrs = self.empty();
        for ip in ips {
            if addrs.try_push(SocketAddr::new(ip, port)).is_err() {
                break;
            }
        }
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// A resolver whose lookups are counted, answered by `answer` after `delay`.
    fn counting(
        delay: Duration,
        answer: impl Fn(usize) -> io::Result<Vec<IpAddr>> + Send + Sync + 'static,
    ) -> (Resolver, Arc<AtomicUsize>) {
        let count = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&count);
        let resolver = Resolver::with_lookup(Arc::new(move |_: &str| {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(delay);
            answer(n)
        }));
        (resolver, count)
    }

    #[test]
    fn a_host_is_looked_up_once_by_every_thread() {
        let (resolver, count) = counting(Duration::from_millis(200), |_| Ok(vec![ip("192.0.2.1")]));
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let found = resolver.addresses("pypi.org", Some(Duration::from_secs(10)));
                    assert_eq!(found, Ok(vec![ip("192.0.2.1")]));
                });
            }
        });
        assert_eq!(
            resolver.addresses("pypi.org", None),
            Ok(vec![ip("192.0.2.1")])
        );
        assert_eq!(count.load(Ordering::SeqCst), 1);
        resolver.addresses("files.pythonhosted.org", None).unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 2);
        // Literals ask nobody.
        assert_eq!(resolver.addresses("[::1]", None), Ok(vec![ip("::1")]));
        assert_eq!(
            resolver.addresses("127.0.0.1", None),
            Ok(vec![ip("127.0.0.1")])
        );
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_retry_after_a_timeout_waits_for_the_same_lookup() {
        let (resolver, count) = counting(Duration::from_millis(600), |_| Ok(vec![ip("192.0.2.7")]));
        let first = resolver.addresses("slow.example", Some(Duration::from_millis(100)));
        assert_eq!(
            first.map_err(|e| (e.is_transient(), e.to_string())),
            Err((
                true,
                "cannot look up `slow.example`: no answer within 0.1 s".into()
            ))
        );
        let second = resolver.addresses("slow.example", Some(Duration::from_secs(10)));
        assert_eq!(second, Ok(vec![ip("192.0.2.7")]));
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn transient_failures_are_asked_again_and_definite_ones_are_kept() {
        let temporary = || {
            io::Error::other(
                "failed to lookup address information: Temporary failure in name resolution",
            )
        };
        let (resolver, count) = counting(Duration::ZERO, move |n| match n {
            0 => Err(temporary()),
            _ => Ok(vec![ip("192.0.2.9")]),
        });
        let error = resolver.addresses("flaky.example", None).unwrap_err();
        assert!(error.is_transient());
        assert_eq!(
            error.to_string(),
            "cannot look up `flaky.example`: temporary failure in name resolution"
        );
        assert_eq!(
            resolver.addresses("flaky.example", None),
            Ok(vec![ip("192.0.2.9")])
        );
        assert_eq!(count.load(Ordering::SeqCst), 2);

        let (resolver, count) = counting(Duration::ZERO, |_| {
            Err(io::Error::other(
                "failed to lookup address information: Name or service not known",
            ))
        });
        for _ in 0..2 {
            let error = resolver.addresses("nowhere.invalid", None).unwrap_err();
            assert!(!error.is_transient());
            assert_eq!(
                error.to_string(),
                "cannot look up `nowhere.invalid`: name or service not known"
            );
        }
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn each_system_says_try_again_its_own_way() {
        let classify = |message: &str| {
            let error =
                io::Error::other(format!("failed to lookup address information: {message}"));
            LookupError::from_io("h", &error).is_transient()
        };
        // glibc and macOS, then musl, for EAI_AGAIN.
        assert!(classify("Temporary failure in name resolution"));
        assert!(classify("temporary failure in name resolution"));
        assert!(classify("Try again"));
        // glibc, musl and macOS for EAI_NONAME; EAI_FAIL.
        assert!(!classify("Name or service not known"));
        assert!(!classify("Name does not resolve"));
        assert!(!classify("nodename nor servname provided, or not known"));
        assert!(!classify("Non-recoverable failure in name resolution"));
        let timed_out = LookupError::from_io("h", &io::Error::from(io::ErrorKind::TimedOut));
        assert!(timed_out.is_transient());
    }

    #[test]
    fn families_take_turns() {
        let ips = [
            "2001:db8::1",
            "2001:db8::2",
            "192.0.2.1",
            "192.0.2.2",
            "192.0.2.3",
        ];
        let turns = interleave(ips.iter().map(|s| ip(s)).collect());
        let expected = [
            "2001:db8::1",
            "192.0.2.1",
            "2001:db8::2",
            "192.0.2.2",
            "192.0.2.3",
        ];
        assert_eq!(turns, expected.iter().map(|s| ip(s)).collect::<Vec<_>>());
        assert_eq!(interleave(vec![ip("192.0.2.1")]), vec![ip("192.0.2.1")]);
        assert_eq!(interleave(Vec::new()), Vec::<IpAddr>::new());
    }
}

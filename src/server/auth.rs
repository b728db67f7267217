//! Who may do what: HTTP Basic logins (RFC 7617) checked against the users of an
//! htpasswd file, and which requests need one.
//!
//! The file is re-read when its modification time or size changes, and a file
//! that fails to parse at that point leaves the previous users in force: a
//! half-edited file must not lock everyone out, nor let anyone in.
//!
//! Logins that verified are remembered by a digest, never the password: bcrypt
//! costs tens of milliseconds and pip sends the credentials with every request.
//! The same credentials sent at once (pip and uv send many requests in parallel)
//! wait for one hash rather than each computing its own.
//!
//! What a failed login may cost is bounded four ways: credentials longer than
//! [`MAX_USER`] or [`MAX_PASSWORD`] bytes are refused before any hashing (SHA-crypt's
//! work grows with the password's length); an unknown user costs what a known one
//! does (the file's decoy, see `htpasswd`), so the time does not tell which names
//! exist; each client has a limit on failures (`limits`); and the hashes computed
//! at once, and the logins waiting to compute one, are bounded (`limits`).

mod limits;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Instant, SystemTime};

use sha2::{Digest as _, Sha256};

pub use self::limits::ShutOut;
use self::limits::{FailureLimit, HashGate};
use crate::server::htpasswd::{self, Entry, HtpasswdError, Users};
use crate::util::encoding::base64_decode;
use crate::util::sync::{lock, wait};

/// The longest user name checked: Apache's `htpasswd` takes at most 255 bytes.
pub const MAX_USER: usize = 256;
/// The longest password checked; `htpasswd` itself reads at most 255 bytes, and
/// bcrypt only 72.
pub const MAX_PASSWORD: usize = 1024;

/// Who may read; uploads always need a login when a user database is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadAccess {
    LoginRequired,
    Anonymous,
}

impl ReadAccess {
    /// Whether a request that reads (or, with `write`, uploads) needs a login.
    pub fn needs_login(self, write: bool) -> bool {
        write || self == ReadAccess::LoginRequired
    }
}

/// Who may upload: with `--upload-users`, the users it names; otherwise anyone
/// who logs in.
#[derive(Clone, Debug, Default)]
pub struct Uploaders(Option<HashSet<String>>);

impl Uploaders {
    pub fn only(users: impl IntoIterator<Item = String>) -> Uploaders {
        Uploaders(Some(users.into_iter().collect()))
    }

    pub fn allows(&self, user: &str) -> bool {
        self.0.as_ref().is_none_or(|users| users.contains(user))
    }
}

/// The users allowed in, read from an htpasswd file and reloaded when it changes.
pub struct UserDb {
    path: PathBuf,
    state: Mutex<State>,
    failures: FailureLimit,
    hashing: HashGate,
}

struct State {
    /// The file as of the last read; `None` while it cannot be stat'ed, so that
    /// its return is noticed and its absence reported once.
    seen: Option<Stamp>,
    users: Users,
    /// Digests of (user, password, stored hash) that verified.
    verified: HashSet<[u8; 32]>,
    /// Checks being computed, by the same digest.
    checking: HashMap<[u8; 32], Arc<Check>>,
    reload_error: Option<HtpasswdError>,
}

/// One password check, which the same credentials sent meanwhile wait for.
#[derive(Default)]
struct Check {
    outcome: Mutex<Option<Outcome>>,
    done: Condvar,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Verified,
    Wrong,
    ShutOut(ShutOut),
    Busy,
}

impl Check {
    fn finish(&self, outcome: Outcome) {
        lock(&self.outcome).get_or_insert(outcome);
        self.done.notify_all();
    }

    fn wait(&self) -> Outcome {
        let mut outcome = lock(&self.outcome);
        loop {
            if let Some(outcome) = *outcome {
                return outcome;
            }
            outcome = wait(&self.done, outcome);
        }
    }
}

/// What a stat says about the file: cheap enough to check on every request.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Stamp {
        Stamp {
            modified: meta.modified().ok(),
            len: meta.len(),
        }
    }
}

/// Bounds the memory of the cache: DES crypt reads only 8 bytes of a password
/// and bcrypt 72, so one user can have any number of passwords that verify.
const CACHE_LIMIT: usize = 4096;

/// Why a request was not let in. Shown in the server log, so it never holds the
/// password; user names come from the client and are escaped when shown.
#[derive(Debug, PartialEq, Eq)]
pub enum Denied {
    /// No `Authorization` header.
    Missing,
    /// An `Authorization` header with another scheme than Basic.
    NotBasic,
    /// A Basic header whose credentials cannot be read; says why.
    Malformed(&'static str),
    /// No such user in the file.
    UnknownUser(String),
    /// The user exists; the password is not theirs.
    WrongPassword(String),
    /// A user name or password longer than is ever checked; says which and the limit.
    TooLong { what: &'static str, limit: usize },
    /// The client failed too often and must wait this long.
    ShutOut(ShutOut),
    /// Too many logins are being checked already; the client may retry soon.
    Busy,
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denied::Missing => f.write_str("no credentials"),
            Denied::NotBasic => f.write_str("Authorization header is not Basic"),
            Denied::Malformed(why) => write!(f, "malformed Authorization header: {why}"),
            Denied::UnknownUser(user) => write!(f, "unknown user `{}`", user.escape_debug()),
            Denied::WrongPassword(user) => {
                write!(f, "wrong password for `{}`", user.escape_debug())
            }
            Denied::TooLong { what, limit } => write!(f, "{what} longer than {limit} bytes"),
            Denied::ShutOut(wait) => write!(
                f,
                "too many failed logins; the next one is checked in {} s",
                wait.seconds()
            ),
            Denied::Busy => f.write_str("too many logins are being checked at once"),
        }
    }
}

impl UserDb {
    /// Reads the file once so that a bad one stops the server at start-up. Of the
    /// `workers` that handle requests, half at most wait to check a password.
    pub fn open(path: &Path, workers: usize) -> Result<UserDb, HtpasswdError> {
        let meta = fs::metadata(path).map_err(|e| HtpasswdError::read(path, &e))?;
        let users = htpasswd::read(path)?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(UserDb {
            path: path.to_path_buf(),
            state: Mutex::new(State {
                seen: Some(Stamp::of(&meta)),
                users,
                verified: HashSet::new(),
                checking: HashMap::new(),
                reload_error: None,
            }),
            failures: FailureLimit::new(),
            // Hashing never takes more than half the cores from serving.
            hashing: HashGate::new(cores.div_ceil(2), workers / 2),
        })
    }

    /// Whether the file, as last read, has this user.
    pub fn has_user(&self, user: &str) -> bool {
        self.lock().users.get(user).is_some()
    }

    /// Checks the value of an `Authorization` header sent from `peer`; returns the
    /// user name.
    ///
    /// The lock is not held while a hash is computed, so one slow bcrypt does not
    /// hold up other requests.
    pub fn authenticate(
        &self,
        peer: IpAddr,
        authorization: Option<&str>,
    ) -> Result<String, Denied> {
        let credentials = basic_credentials(authorization.ok_or(Denied::Missing)?)?;
        let (user, password) = credentials
            .split_once(':')
            .ok_or(Denied::Malformed("no `:` between user and password"))?;
        if user.is_empty() {
            return Err(Denied::Malformed("empty user name"));
        }
        self.failures
            .check(peer, Instant::now())
            .map_err(Denied::ShutOut)?;
        for (what, text, limit) in [
            ("user name", user, MAX_USER),
            ("password", password, MAX_PASSWORD),
        ] {
            if text.len() > limit {
                self.failures.fail(peer, Instant::now());
                return Err(Denied::TooLong { what, limit });
            }
        }
        let (entry, known, key, check, first) = {
            let mut state = self.lock();
            self.refresh(&mut state);
            let (entry, known) = match state.users.get(user) {
                Some(entry) => (entry.clone(), true),
                None => match state.users.decoy() {
                    Some(decoy) => (decoy.clone(), false),
                    None => return Err(Denied::UnknownUser(user.to_owned())),
                },
            };
            let key = cache_key(user, password, entry.stored());
            if known && state.verified.contains(&key) {
                return Ok(user.to_owned());
            }
            match state.checking.get(&key) {
                Some(check) => (entry, known, key, Arc::clone(check), false),
                None => {
                    let check = Arc::new(Check::default());
                    state.checking.insert(key, Arc::clone(&check));
                    (entry, known, key, check, true)
                }
            }
        };
        let outcome = if first {
            let checking = Checking {
                db: self,
                key,
                check: &check,
            };
            let outcome = self.verify(peer, &entry, password);
            checking.finish(outcome, known)
        } else {
            match check.wait() {
                // The first sender's wait is its own.
                Outcome::ShutOut(_) => Outcome::Busy,
                outcome => outcome,
            }
        };
        match outcome {
            Outcome::Verified if known => Ok(user.to_owned()),
            Outcome::Verified | Outcome::Wrong if !known => {
                Err(Denied::UnknownUser(user.to_owned()))
            }
            Outcome::Verified | Outcome::Wrong => Err(Denied::WrongPassword(user.to_owned())),
            Outcome::ShutOut(wait) => Err(Denied::ShutOut(wait)),
            Outcome::Busy => Err(Denied::Busy),
        }
    }

    /// Hashes `password` against `entry` (a user's or the decoy) when the client's
    /// limit and the gate allow, and counts a failure against the client.
    fn verify(&self, peer: IpAddr, entry: &Entry, password: &str) -> Outcome {
        if let Err(wait) = self.failures.begin(peer, Instant::now()) {
            return Outcome::ShutOut(wait);
        }
        let outcome = match self.hashing.enter() {
            None => Outcome::Busy,
            Some(_turn) => {
                if entry.verify(password.as_bytes()) {
                    Outcome::Verified
                } else {
                    Outcome::Wrong
                }
            }
        };
        self.failures
            .finish(peer, outcome == Outcome::Wrong, Instant::now());
        outcome
    }

    /// The error of the last failed reload, once: the server logs it after
    /// `authenticate`. The users of the last good file stay in force meanwhile.
    pub fn take_reload_error(&self) -> Option<HtpasswdError> {
        self.lock().reload_error.take()
    }

    /// The state is consistent between statements, so a panic elsewhere while
    /// holding the lock leaves nothing half-done.
    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    fn refresh(&self, state: &mut State) {
        let stamp = match fs::metadata(&self.path) {
            Ok(meta) => Stamp::of(&meta),
            Err(e) => {
                if state.seen.take().is_some() {
                    state.reload_error = Some(HtpasswdError::read(&self.path, &e));
                }
                return;
            }
        };
        if state.seen == Some(stamp) {
            return;
        }
        // Stamped before reading: a change during the read shows up next time.
        state.seen = Some(stamp);
        match htpasswd::read(&self.path) {
            Ok(users) => {
                state.users = users;
                state.verified.clear();
                state.reload_error = None;
            }
            Err(e) => state.reload_error = Some(e),
        }
    }
}

/// A check being computed: ends it for those waiting, and caches a success. Dropped
/// unfinished (a panic while hashing), it ends as busy, so no one waits forever.
struct Checking<'a> {
    db: &'a UserDb,
    key: [u8; 32],
    check: &'a Check,
}

impl Checking<'_> {
    fn finish(self, outcome: Outcome, known: bool) -> Outcome {
        if outcome == Outcome::Verified && known {
            // A reload may have happened meanwhile; the key names the hash it was
            // checked against, so the entry is right for whichever file is current.
            let mut state = self.db.lock();
            if state.verified.len() >= CACHE_LIMIT {
                state.verified.clear();
            }
            state.verified.insert(self.key);
        }
        self.check.finish(outcome);
        outcome
    }
}

impl Drop for Checking<'_> {
    fn drop(&mut self) {
        self.db.lock().checking.remove(&self.key);
        self.check.finish(Outcome::Busy);
    }
}

/// The decoded `user:password` of a Basic `Authorization` header (RFC 7617).
/// Clients differ on whether the token is padded, so either is taken.
fn basic_credentials(header: &str) -> Result<String, Denied> {
    let header = header.trim_matches(|c: char| c.is_ascii_whitespace());
    let (scheme, token) = header
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("Basic") {
        return Err(Denied::NotBasic);
    }
    let token = token.trim_start_matches(|c: char| c.is_ascii_whitespace());
    if token.is_empty() {
        return Err(Denied::Malformed("no credentials after `Basic`"));
    }
    let bytes = base64_decode(token).ok_or(Denied::Malformed("credentials are not base64"))?;
    String::from_utf8(bytes).map_err(|_| Denied::Malformed("credentials are not UTF-8"))
}

/// Names a successful verification without keeping the password: the
/// lengths keep `("a", "b:c")` and `("a:b", "c")` apart.
fn cache_key(user: &str, password: &str, stored: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in [user, password, stored] {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests;

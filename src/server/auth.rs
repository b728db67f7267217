//! Who may do what: HTTP Basic logins (RFC 7617) checked against the users of an
//! htpasswd file, and which requests need one.
//!
//! The file is re-read when its modification time or size changes, and a file
//! that fails to parse at that point leaves the previous users in force: a
//! half-edited file must not lock everyone out, nor let anyone in.
//!
//! Logins that verified are remembered by a digest, never the password: bcrypt
//! costs tens of milliseconds and pip sends the credentials with every request.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use sha2::{Digest as _, Sha256};

use crate::server::htpasswd::{self, Entry, HtpasswdError};
use crate::util::encoding::base64_decode;
use crate::util::sync::lock;

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

/// The users allowed in, read from an htpasswd file and reloaded when it changes.
pub struct UserDb {
    path: PathBuf,
    state: Mutex<State>,
}

struct State {
    /// The file as of the last read; `None` while it cannot be stat'ed, so that
    /// its return is noticed and its absence reported once.
    seen: Option<Stamp>,
    users: HashMap<String, Entry>,
    /// Digests of (user, password, stored hash) that verified.
    verified: HashSet<[u8; 32]>,
    reload_error: Option<HtpasswdError>,
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
        }
    }
}

impl UserDb {
    /// Reads the file once so that a bad one stops the server at start-up.
    pub fn open(path: &Path) -> Result<UserDb, HtpasswdError> {
        let meta = fs::metadata(path).map_err(|e| HtpasswdError::read(path, &e))?;
        let users = htpasswd::read(path)?;
        Ok(UserDb {
            path: path.to_path_buf(),
            state: Mutex::new(State {
                seen: Some(Stamp::of(&meta)),
                users,
                verified: HashSet::new(),
                reload_error: None,
            }),
        })
    }

    /// Checks the value of an `Authorization` header; returns the user name.
    ///
    /// The lock is not held while a hash is computed, so one slow bcrypt does not
    /// hold up other requests.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<String, Denied> {
        let credentials = basic_credentials(authorization.ok_or(Denied::Missing)?)?;
        let (user, password) = credentials
            .split_once(':')
            .ok_or(Denied::Malformed("no `:` between user and password"))?;
        if user.is_empty() {
            return Err(Denied::Malformed("empty user name"));
        }
        let (entry, key) = {
            let mut state = self.lock();
            self.refresh(&mut state);
            let Some(entry) = state.users.get(user).cloned() else {
                return Err(Denied::UnknownUser(user.to_owned()));
            };
            let key = cache_key(user, password, entry.stored());
            if state.verified.contains(&key) {
                return Ok(user.to_owned());
            }
            (entry, key)
        };
        if !entry.verify(password.as_bytes()) {
            return Err(Denied::WrongPassword(user.to_owned()));
        }
        // A reload may have happened meanwhile; the key names the hash it was
        // checked against, so the entry is right for whichever file is current.
        let mut state = self.lock();
        if state.verified.len() >= CACHE_LIMIT {
            state.verified.clear();
        }
        state.verified.insert(key);
        Ok(user.to_owned())
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

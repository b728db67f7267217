//! htpasswd files and HTTP Basic authentication.
//!
//! The user database is an Apache htpasswd file, so that administrators keep the
//! tool they know (`htpasswd`) and the file Curdling's `-u USER_DB` took.
//! Every hash `htpasswd` writes is read: `-m` (`$apr1$`, its default), `-B`
//! (bcrypt `$2y$`; `$2a$` and `$2b$` too), `-2`/`-5` (`$5$`/`$6$`), `-s`
//! (`{SHA}`) and `-d` (DES crypt), plus glibc's `$1$`.
//!
//! Plain-text passwords (`htpasswd -p`) are refused: Apache itself only reads
//! them on Windows, and nothing in a line tells a plain password from a crypt
//! hash (`wonderland12` could be either), so any rule that reads unknown
//! lines as plain text turns a damaged or foreign hash into a password anyone
//! who sees the file can type.
//!
//! The file is re-read when its modification time or size changes, and a file
//! that fails to parse at that point leaves the previous users in force: a
//! half-edited file must not lock everyone out, nor let anyone in.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use sha2::{Digest as _, Sha256};

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
    /// Digests of (user, password, stored hash) that verified: bcrypt costs tens
    /// of milliseconds and pip sends the credentials with every request.
    verified: HashSet<[u8; 32]>,
    reload_error: Option<AuthError>,
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

#[derive(Clone)]
struct Entry {
    /// The hash as written in the file; it is part of the cache key, so a
    /// changed hash can never hit an entry made for the old one.
    stored: String,
    scheme: Scheme,
}

#[derive(Clone)]
enum Scheme {
    /// Apache's md5-crypt variant, which pwhash does not know.
    Apr1 { salt: String },
    /// `{SHA}`: unsalted SHA-1, decoded at load so a bad one fails at start-up.
    Sha1([u8; 20]),
    /// Everything pwhash's crypt(3) work-alike verifies: `$1$`, bcrypt, `$5$`, `$6$`, DES.
    Crypt,
}

impl Entry {
    fn verify(&self, password: &[u8]) -> bool {
        match &self.scheme {
            Scheme::Apr1 { salt } => ct_eq(
                md5_crypt(APR1_MAGIC, salt, password).as_bytes(),
                self.stored.as_bytes(),
            ),
            Scheme::Sha1(digest) => {
                use sha1::Digest as _;
                ct_eq(&sha1::Sha1::digest(password), digest)
            }
            Scheme::Crypt => pwhash::unix::crypt(password, &self.stored)
                .is_ok_and(|hash| ct_eq(hash.as_bytes(), self.stored.as_bytes())),
        }
    }
}

/// Why the user database could not be loaded.
#[derive(Debug, PartialEq, Eq)]
pub enum AuthError {
    /// The file could not be stat'ed or read.
    Read { path: PathBuf, message: String },
    /// A line is not `user:hash`, or its hash is cut short or damaged.
    Malformed {
        path: PathBuf,
        line: usize,
        expected: &'static str,
    },
    /// A hash in a format curd does not verify; `scheme` is `None` when the
    /// format is not recognised, which is what a plain-text password looks like.
    Unsupported {
        path: PathBuf,
        line: usize,
        scheme: Option<&'static str>,
    },
    /// The same user twice: Apache would silently use the first, and an
    /// administrator editing the second would wonder why nothing changes.
    Duplicate {
        path: PathBuf,
        line: usize,
        user: String,
        first: usize,
    },
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Read { path, message } => write!(
                f,
                "cannot read user database `{}`: {message}",
                path.display()
            ),
            AuthError::Malformed {
                path,
                line,
                expected,
            } => write!(
                f,
                "user database `{}`, line {line}: malformed line, expected {expected}",
                path.display()
            ),
            AuthError::Unsupported { path, line, scheme } => {
                write!(f, "user database `{}`, line {line}: ", path.display())?;
                match scheme {
                    Some(scheme) => write!(f, "unsupported hash format `{scheme}`")?,
                    None => f.write_str(
                        "unrecognised hash format (plain-text passwords, `htpasswd -p`, are refused)",
                    )?,
                }
                f.write_str(
                    "; use htpasswd -m (`$apr1$`), -B (`$2y$`), -2 (`$5$`), -5 (`$6$`), -s (`{SHA}`) or -d (DES crypt)",
                )
            }
            AuthError::Duplicate {
                path,
                line,
                user,
                first,
            } => write!(
                f,
                "user database `{}`, line {line}: user `{}` is already on line {first}",
                path.display(),
                user.escape_debug()
            ),
        }
    }
}

impl std::error::Error for AuthError {}

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
    UnknownUser(String),
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
    pub fn open(path: &Path) -> Result<UserDb, AuthError> {
        let meta = fs::metadata(path).map_err(|e| read_error(path, &e))?;
        let users = read_users(path)?;
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
            let key = cache_key(user, password, &entry.stored);
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
    pub fn take_reload_error(&self) -> Option<AuthError> {
        self.lock().reload_error.take()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is consistent between statements, so a panic elsewhere
        // while holding the lock leaves nothing half-done.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn refresh(&self, state: &mut State) {
        let stamp = match fs::metadata(&self.path) {
            Ok(meta) => Stamp::of(&meta),
            Err(e) => {
                if state.seen.take().is_some() {
                    state.reload_error = Some(read_error(&self.path, &e));
                }
                return;
            }
        };
        if state.seen == Some(stamp) {
            return;
        }
        // Stamped before reading: a change during the read shows up next time.
        state.seen = Some(stamp);
        match read_users(&self.path) {
            Ok(users) => {
                state.users = users;
                state.verified.clear();
                state.reload_error = None;
            }
            Err(e) => state.reload_error = Some(e),
        }
    }
}

fn read_error(path: &Path, e: &std::io::Error) -> AuthError {
    AuthError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn read_users(path: &Path) -> Result<HashMap<String, Entry>, AuthError> {
    let bytes = fs::read(path).map_err(|e| read_error(path, &e))?;
    parse_users(path, &bytes)
}

fn parse_users(path: &Path, bytes: &[u8]) -> Result<HashMap<String, Entry>, AuthError> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut users = HashMap::new();
    let mut lines_of = HashMap::new();
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = index + 1;
        let malformed = |expected| AuthError::Malformed {
            path: path.to_path_buf(),
            line,
            expected,
        };
        let text = std::str::from_utf8(raw).map_err(|_| malformed("UTF-8 text"))?;
        // Apache trims each line the same way, which also takes care of CRLF.
        let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let (user, hash) = match text.split_once(':') {
            Some((user, hash)) if !user.is_empty() && !hash.is_empty() => (user, hash),
            _ => return Err(malformed("`user:hash`")),
        };
        let scheme = parse_hash(hash).map_err(|e| match e {
            HashError::Malformed(expected) => malformed(expected),
            HashError::Unsupported(scheme) => AuthError::Unsupported {
                path: path.to_path_buf(),
                line,
                scheme,
            },
        })?;
        if let Some(&first) = lines_of.get(user) {
            return Err(AuthError::Duplicate {
                path: path.to_path_buf(),
                line,
                user: user.to_owned(),
                first,
            });
        }
        lines_of.insert(user, line);
        let entry = Entry {
            stored: hash.to_owned(),
            scheme,
        };
        users.insert(user.to_owned(), entry);
    }
    Ok(users)
}

enum HashError {
    Malformed(&'static str),
    Unsupported(Option<&'static str>),
}

const APR1_MAGIC: &str = "$apr1$";

/// Hash formats seen in the wild that curd does not verify, named in the error
/// by prefix. Only these are named: echoing an unknown prefix could print part
/// of a plain-text password into the log.
const FOREIGN_SCHEMES: &[&str] = &[
    "$y$",
    "$gy$",
    "$7$",
    "$3$",
    "$2x$",
    "$sha1$",
    "$md5$",
    "$argon2i$",
    "$argon2d$",
    "$argon2id$",
    "$scrypt$",
    "$pbkdf2-sha256$",
    "$pbkdf2-sha512$",
    "{SSHA}",
    "{SSHA256}",
    "{SSHA512}",
    "{SHA256}",
    "{SHA512}",
    "{MD5}",
    "{SMD5}",
    "{CRYPT}",
    "{PLAIN}",
    "{CLEARTEXT}",
    "{ARGON2}",
];

/// Recognises the format and checks the hash is whole: a line cut short while
/// being written must fail to load rather than lock its user out.
fn parse_hash(hash: &str) -> Result<Scheme, HashError> {
    let malformed = |expected| Err(HashError::Malformed(expected));
    if let Some(rest) = hash.strip_prefix(APR1_MAGIC) {
        return match md5_crypt_salt(rest) {
            Some(salt) => Ok(Scheme::Apr1 {
                salt: salt.to_owned(),
            }),
            None => {
                malformed("a whole `$apr1$` hash: a salt of up to 8 characters, `$`, 22 characters")
            }
        };
    }
    if let Some(rest) = hash.strip_prefix("$1$") {
        return match md5_crypt_salt(rest) {
            Some(_) => Ok(Scheme::Crypt),
            None => {
                malformed("a whole `$1$` hash: a salt of up to 8 characters, `$`, 22 characters")
            }
        };
    }
    if let Some(rest) = ["$2a$", "$2b$", "$2y$"]
        .iter()
        .find_map(|magic| hash.strip_prefix(magic))
    {
        return match rest.split_once('$') {
            Some((cost, body))
                if cost.len() == 2
                    && cost.parse().is_ok_and(|cost: u32| (4..=31).contains(&cost))
                    && is_hash64(body, 53) =>
            {
                Ok(Scheme::Crypt)
            }
            _ => malformed("a whole bcrypt hash: a cost from 04 to 31, `$`, 53 characters"),
        };
    }
    if let Some(rest) = hash.strip_prefix("$5$") {
        if is_sha_crypt(rest, 43) {
            return Ok(Scheme::Crypt);
        }
        return malformed("a whole `$5$` hash: a salt of up to 16 characters, `$`, 43 characters");
    }
    if let Some(rest) = hash.strip_prefix("$6$") {
        if is_sha_crypt(rest, 86) {
            return Ok(Scheme::Crypt);
        }
        return malformed("a whole `$6$` hash: a salt of up to 16 characters, `$`, 86 characters");
    }
    if let Some(rest) = hash.strip_prefix("{SHA}") {
        return match base64_decode(rest).and_then(|d| <[u8; 20]>::try_from(d).ok()) {
            Some(digest) => Ok(Scheme::Sha1(digest)),
            None => malformed("a whole `{SHA}` hash: 28 characters of base64"),
        };
    }
    if is_hash64(hash, 13) {
        return Ok(Scheme::Crypt);
    }
    let scheme = FOREIGN_SCHEMES
        .iter()
        .find(|scheme| hash.starts_with(*scheme))
        .copied();
    Err(HashError::Unsupported(scheme))
}

/// The salt of `salt$checksum` after an md5-crypt magic, if the rest is whole.
fn md5_crypt_salt(rest: &str) -> Option<&str> {
    let (salt, checksum) = rest.split_once('$')?;
    (salt.len() <= 8 && is_hash64(salt, salt.len()) && is_hash64(checksum, 22)).then_some(salt)
}

/// Whether `[rounds=N$]salt$checksum` after a SHA-crypt magic is whole.
fn is_sha_crypt(rest: &str, checksum_len: usize) -> bool {
    let rest = match rest.strip_prefix("rounds=") {
        Some(rounds) => match rounds.split_once('$') {
            Some((n, rest)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => rest,
            _ => return false,
        },
        None => rest,
    };
    match rest.split_once('$') {
        Some((salt, checksum)) => {
            salt.len() <= 16
                && !salt.contains('$')
                && is_hash64(salt, salt.len())
                && is_hash64(checksum, checksum_len)
        }
        None => false,
    }
}

/// The alphabet of crypt(3) hashes, in the order of its base-64 digits.
const HASH64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn is_hash64(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| HASH64.contains(&b))
}

/// md5-crypt (Poul-Henning Kamp's, as in FreeBSD and Apache) with the magic
/// given, since pwhash hard-codes `$1$` and Apache's `$apr1$` differs only there.
fn md5_crypt(magic: &str, salt: &str, password: &[u8]) -> String {
    use md5::{Digest as _, Md5};
    let salt = salt.as_bytes();
    let alternate = Md5::new()
        .chain(password)
        .chain(salt)
        .chain(password)
        .finalize();
    let mut ctx = Md5::new().chain(password).chain(magic).chain(salt);
    for chunk in password.chunks(16) {
        ctx.update(&alternate[..chunk.len()]);
    }
    // The original reads a byte of a zeroed buffer here, hence the 0.
    let first = password.first().copied().unwrap_or(0);
    let mut n = password.len();
    while n > 0 {
        ctx.update([if n & 1 == 1 { 0 } else { first }]);
        n >>= 1;
    }
    let mut digest = ctx.finalize();
    for round in 0..1000 {
        let mut ctx = Md5::new();
        if round % 2 == 1 {
            ctx.update(password);
        } else {
            ctx.update(&digest[..]);
        }
        if round % 3 != 0 {
            ctx.update(salt);
        }
        if round % 7 != 0 {
            ctx.update(password);
        }
        if round % 2 == 1 {
            ctx.update(&digest[..]);
        } else {
            ctx.update(password);
        }
        digest = ctx.finalize();
    }
    let d = |i: usize| u32::from(digest[i]);
    let mut out = String::with_capacity(magic.len() + salt.len() + 23);
    out.push_str(magic);
    out.extend(salt.iter().map(|&b| char::from(b)));
    out.push('$');
    for (a, b, c) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
        push_hash64(&mut out, (d(a) << 16) | (d(b) << 8) | d(c), 4);
    }
    push_hash64(&mut out, d(11), 2);
    out
}

fn push_hash64(out: &mut String, mut value: u32, digits: usize) {
    for _ in 0..digits {
        out.push(char::from(HASH64[(value & 0x3f) as usize]));
        value >>= 6;
    }
}

/// The decoded `user:password` of a Basic `Authorization` header (RFC 7617).
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

/// Standard base64 (RFC 4648), padding optional: clients differ on it.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let body = bytes
        .strip_suffix(b"==")
        .or_else(|| bytes.strip_suffix(b"="))
        .unwrap_or(bytes);
    if (body.len() != bytes.len() && bytes.len() % 4 != 0) || body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in body {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
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

/// Compares without stopping at the first difference, so the time taken does
/// not tell an attacker how much of a guessed hash was right.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && std::hint::black_box(a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y))) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::fs::TestDir as TempDir;
    use std::time::Duration;

    /// The passwords of `fixtures/htpasswd/` (see fixtures/README.md).
    const ALICE: &str = "wonderland";
    const BOB: &str = "p:ss wörd";

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/htpasswd")
            .join(name)
    }

    fn basic(user: &str, password: &str) -> String {
        format!(
            "Basic {}",
            base64_encode(format!("{user}:{password}").as_bytes())
        )
    }

    fn base64_encode(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 0x3f) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    fn login(db: &UserDb, user: &str, password: &str) -> Result<String, Denied> {
        db.authenticate(Some(&basic(user, password)))
    }

    /// Writes `contents` with a modification time of its own, so a rewrite is
    /// seen even within the file system's timestamp granularity.
    fn write(path: &Path, contents: &str, second: u64) {
        fs::write(path, contents).expect("write htpasswd");
        fs::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(second)))
            .expect("set modification time");
    }

    fn line_of(name: &str, user: &str) -> String {
        fs::read_to_string(fixture(name))
            .expect("read fixture")
            .lines()
            .find(|line| line.starts_with(&format!("{user}:")))
            .expect("user in fixture")
            .to_owned()
    }

    fn open_err(contents: &str) -> AuthError {
        let dir = TempDir::new("auth");
        let path = dir.0.join("htpasswd");
        fs::write(&path, contents).expect("write htpasswd");
        match UserDb::open(&path) {
            Ok(_) => panic!("{contents:?} loaded"),
            Err(e) => e,
        }
    }

    #[test]
    fn every_htpasswd_format_verifies() {
        for name in ["apr1", "bcrypt", "sha1", "crypt", "sha256", "sha512"] {
            let db = UserDb::open(&fixture(name)).expect(name);
            assert_eq!(login(&db, "alice", ALICE), Ok("alice".to_owned()), "{name}");
            assert_eq!(login(&db, "bob", BOB), Ok("bob".to_owned()), "{name}");
            assert_eq!(
                login(&db, "alice", "Wonderland"),
                Err(Denied::WrongPassword("alice".to_owned())),
                "{name}"
            );
            assert_eq!(
                login(&db, "bob", "p:ss word"),
                Err(Denied::WrongPassword("bob".to_owned())),
                "{name}"
            );
            assert_eq!(
                login(&db, "alice", ""),
                Err(Denied::WrongPassword("alice".to_owned())),
                "{name}"
            );
            assert_eq!(
                login(&db, "carol", ALICE),
                Err(Denied::UnknownUser("carol".to_owned())),
                "{name}"
            );
        }
    }

    #[test]
    fn des_crypt_reads_eight_bytes_as_htpasswd_warns() {
        let db = UserDb::open(&fixture("crypt")).expect("crypt");
        assert_eq!(login(&db, "alice", "wonderlaXX"), Ok("alice".to_owned()));
        assert_eq!(login(&db, "bob", "p:ss wöXX"), Ok("bob".to_owned()));
        assert!(login(&db, "alice", "wonder").is_err());
    }

    #[test]
    fn mixed_file_with_comments_and_blank_lines() {
        let db = UserDb::open(&fixture("mixed")).expect("mixed");
        for (user, password) in [
            ("alice", ALICE),
            ("bob", BOB),
            ("carol", "café:crème"),
            ("zoë", "Ünïcødé"),
            ("dave", "correct horse battery staple"),
            ("erin", "hunter2"),
        ] {
            assert_eq!(login(&db, user, password), Ok(user.to_owned()));
            assert_eq!(
                login(&db, user, &format!("{password}!")),
                Err(Denied::WrongPassword(user.to_owned())),
                "{user}"
            );
        }
        assert_eq!(db.lock().users.len(), 6);
    }

    #[test]
    fn crlf_and_surrounding_whitespace_are_tolerated() {
        let dir = TempDir::new("auth");
        let path = dir.0.join("htpasswd");
        let text = fs::read_to_string(fixture("mixed")).expect("mixed");
        let crlf = format!("\u{feff}  {}", text.replace('\n', " \r\n"));
        fs::write(&path, crlf).expect("write");
        let db = UserDb::open(&path).expect("crlf file");
        assert_eq!(login(&db, "alice", ALICE), Ok("alice".to_owned()));
        assert_eq!(login(&db, "erin", "hunter2"), Ok("erin".to_owned()));
    }

    #[test]
    fn bcrypt_variants() {
        // From OpenBSD's and Openwall's test vectors, and libxcrypt's `$2b$`.
        for (hash, password) in [
            (
                "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
                "U*U",
            ),
            (
                "$2b$04$abcdefghijklmnopqrstuujZkTwHUiJ9XdZPwKfcfDo7dMp5DjlTu",
                ALICE,
            ),
            (
                "$2y$04$abcdefghijklmnopqrstuujZkTwHUiJ9XdZPwKfcfDo7dMp5DjlTu",
                ALICE,
            ),
        ] {
            let entry = Entry {
                stored: hash.to_owned(),
                scheme: parse_hash(hash).ok().expect(hash),
            };
            assert!(entry.verify(password.as_bytes()), "{hash}");
            assert!(!entry.verify(b"U*U*"), "{hash}");
        }
    }

    #[test]
    fn apr1_and_md5_crypt_known_vectors() {
        // Made by `openssl passwd -apr1` and libxcrypt's crypt(3).
        assert_eq!(
            md5_crypt(APR1_MAGIC, "saltsalt", b"password"),
            "$apr1$saltsalt$yAAkm4libquA.ZWLHbSBq/"
        );
        assert_eq!(
            md5_crypt(APR1_MAGIC, "abc", b""),
            "$apr1$abc$BfqKdn9xFDWJPa3kcp/PH0"
        );
        let long = b"a somewhat longer password of more than sixteen bytes";
        assert_eq!(
            md5_crypt(APR1_MAGIC, "abcdefgh", long),
            "$apr1$abcdefgh$SN8qMcX2rgbga8yM.lhNh1"
        );
        assert_eq!(
            md5_crypt("$1$", "abcdefgh", long),
            "$1$abcdefgh$vIKbOr3yG4gO9aS8oIvWR1"
        );
        assert_eq!(
            md5_crypt("$1$", "abcdefgh", ALICE.as_bytes()),
            "$1$abcdefgh$90FgjgNE3pH//25Pe/ys.1"
        );
        // The `$1$` form goes through pwhash: both must agree.
        let db_line = "$1$abcdefgh$90FgjgNE3pH//25Pe/ys.1";
        assert!(pwhash::unix::verify(ALICE, db_line));
        let apr1 = line_of("apr1", "alice");
        let (_, stored) = apr1.split_once(':').expect("user:hash");
        let salt = md5_crypt_salt(&stored[APR1_MAGIC.len()..]).expect("salt");
        assert_eq!(md5_crypt(APR1_MAGIC, salt, ALICE.as_bytes()), stored);
    }

    #[test]
    fn sha1_known_vector() {
        // `htpasswd -nbs alice wonderland`, and SHA-1 of "abc" from FIPS 180.
        assert_eq!(
            line_of("sha1", "alice"),
            "alice:{SHA}tiY7sUhYKUwI5L3866kDY+ENcrQ="
        );
        let Ok(Scheme::Sha1(digest)) = parse_hash("{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0=") else {
            panic!("{{SHA}} not recognised");
        };
        assert_eq!(
            digest[..4],
            [0xa9, 0x99, 0x3e, 0x36],
            "base64 decoding of the stored digest"
        );
    }

    #[test]
    fn base64_decoding() {
        assert_eq!(base64_decode("").as_deref(), Some(&b""[..]));
        assert_eq!(base64_decode("YQ==").as_deref(), Some(&b"a"[..]));
        assert_eq!(base64_decode("YQ").as_deref(), Some(&b"a"[..]));
        assert_eq!(base64_decode("YWI=").as_deref(), Some(&b"ab"[..]));
        assert_eq!(base64_decode("YWJj").as_deref(), Some(&b"abc"[..]));
        assert_eq!(
            base64_decode("+/+/").as_deref(),
            Some(&[0xfb, 0xff, 0xbf][..])
        );
        for bad in [
            "Y", "YQ=", "YQ===", "Y===", "YW=I", "YW I", "YW-_", "YQ==YQ==",
        ] {
            assert_eq!(base64_decode(bad), None, "{bad}");
        }
        for n in 0..10 {
            let bytes: Vec<u8> = (0..n)
                .map(|i: u8| i.wrapping_mul(37).wrapping_add(200))
                .collect();
            assert_eq!(base64_decode(&base64_encode(&bytes)), Some(bytes));
        }
    }

    #[test]
    fn basic_header_parsing() {
        let db = UserDb::open(&fixture("apr1")).expect("apr1");
        let token = base64_encode(b"alice:wonderland");
        for header in [
            format!("Basic {token}"),
            format!("basic {token}"),
            format!("BASIC  {token}"),
            format!(" Basic\t{token} "),
            format!("Basic {}", token.trim_end_matches('=')),
        ] {
            assert_eq!(
                db.authenticate(Some(&header)),
                Ok("alice".to_owned()),
                "{header}"
            );
        }
        // The password may hold `:`; the user name ends at the first one.
        assert_eq!(login(&db, "bob", BOB), Ok("bob".to_owned()));
        assert_eq!(login(&db, "bob:p", "ss wörd"), Ok("bob".to_owned()));
        let cases = [
            (None, Denied::Missing),
            (Some("Bearer abc".to_owned()), Denied::NotBasic),
            (Some(format!("Basicx {token}")), Denied::NotBasic),
            (Some(token.clone()), Denied::NotBasic),
            (Some(String::new()), Denied::NotBasic),
            (
                Some("Basic".to_owned()),
                Denied::Malformed("no credentials after `Basic`"),
            ),
            (
                Some("Basic  ".to_owned()),
                Denied::Malformed("no credentials after `Basic`"),
            ),
            (
                Some("Basic YWxpY2U6d29uZGVy bGFuZA==".to_owned()),
                Denied::Malformed("credentials are not base64"),
            ),
            (
                Some("Basic !!!!".to_owned()),
                Denied::Malformed("credentials are not base64"),
            ),
            (
                Some(format!("Basic {}", base64_encode(b"alice:\xff\xfe"))),
                Denied::Malformed("credentials are not UTF-8"),
            ),
            (
                Some(format!("Basic {}", base64_encode(b"alice"))),
                Denied::Malformed("no `:` between user and password"),
            ),
            (
                Some(format!("Basic {}", base64_encode(b":wonderland"))),
                Denied::Malformed("empty user name"),
            ),
        ];
        for (header, denied) in cases {
            assert_eq!(
                db.authenticate(header.as_deref()),
                Err(denied),
                "{header:?}"
            );
        }
    }

    #[test]
    fn malformed_file_names_its_line() {
        let path = fixture("malformed");
        let e = UserDb::open(&path).err().expect("malformed fixture loaded");
        assert_eq!(
            e,
            AuthError::Malformed {
                path: path.clone(),
                line: 4,
                expected: "`user:hash`"
            }
        );
        let message = e.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("line 4"), "{message}");
        assert!(message.contains("expected `user:hash`"), "{message}");
    }

    #[test]
    fn damaged_lines_are_refused_with_their_line_number() {
        let alice = line_of("apr1", "alice");
        let bcrypt = line_of("bcrypt", "alice");
        let sha512 = line_of("sha512", "bob");
        let cases = [
            (format!("{alice}\n:nobody"), 2, "`user:hash`"),
            (format!("{alice}\nbob:"), 2, "`user:hash`"),
            (
                format!("#\n\n{}", &alice[..alice.len() - 1]),
                3,
                "a whole `$apr1$`",
            ),
            (
                format!("{}\n", &bcrypt[..bcrypt.len() - 1]),
                1,
                "a whole bcrypt",
            ),
            (
                sha512.replace("rounds=10000", "rounds=x"),
                1,
                "a whole `$6$`",
            ),
            ("x:$5$salt".to_owned(), 1, "a whole `$5$`"),
            (bcrypt.replace("$05$", "$03$"), 1, "a whole bcrypt"),
            ("x:$1$saltsaltsalt$abc".to_owned(), 1, "a whole `$1$`"),
            (
                "x:{SHA}tiY7sUhYKUwI5L3866kDY+ENcr==".to_owned(),
                1,
                "a whole `{SHA}`",
            ),
        ];
        for (text, line, expected) in cases {
            match open_err(&text) {
                AuthError::Malformed {
                    line: got,
                    expected: message,
                    ..
                } => {
                    assert_eq!(got, line, "{text}");
                    assert!(message.starts_with(expected), "{text}: {message}");
                }
                e => panic!("{text}: {e}"),
            }
        }
        let bytes = [alice.as_bytes(), b"\nb\xffb:x\n"].concat();
        let e = parse_users(Path::new("f"), &bytes)
            .err()
            .expect("non-UTF-8 line loaded");
        assert!(
            matches!(
                e,
                AuthError::Malformed {
                    line: 2,
                    expected: "UTF-8 text",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn plain_text_and_foreign_hashes_are_refused() {
        let path = fixture("plaintext");
        let e = UserDb::open(&path).err().expect("plain text loaded");
        assert_eq!(
            e,
            AuthError::Unsupported {
                path,
                line: 1,
                scheme: None
            }
        );
        let message = e.to_string();
        assert!(message.contains("plain-text"), "{message}");
        assert!(!message.contains(ALICE), "{message}");
        for (hash, scheme) in [
            ("$y$j9T$abc$def", Some("$y$")),
            ("{SSHA}abcdef", Some("{SSHA}")),
            ("$argon2id$v=19$m=65536", Some("$argon2id$")),
            ("$money$in$the$bank", None),
            ("_J9..CCCCXBrJUJV154M", None),
            ("secret", None),
        ] {
            let e = open_err(&format!("# users\nalice:{hash}\n"));
            assert_eq!(
                e,
                AuthError::Unsupported {
                    path: match &e {
                        AuthError::Unsupported { path, .. } => path.clone(),
                        _ => PathBuf::new(),
                    },
                    line: 2,
                    scheme
                },
                "{hash}"
            );
            if scheme.is_none() {
                assert!(!e.to_string().contains(hash), "{e}");
            }
        }
    }

    #[test]
    fn duplicate_users_are_refused() {
        let alice = line_of("apr1", "alice");
        let bob = line_of("apr1", "bob");
        let e = open_err(&format!("{alice}\n{bob}\n{alice}\n"));
        assert!(
            matches!(&e, AuthError::Duplicate { line: 3, first: 1, user, .. } if user == "alice"),
            "{e}"
        );
    }

    #[test]
    fn unreadable_file_is_refused() {
        let dir = TempDir::new("auth");
        let path = dir.0.join("missing");
        let e = UserDb::open(&path).err().expect("missing file loaded");
        assert!(
            matches!(&e, AuthError::Read { path: p, .. } if *p == path),
            "{e}"
        );
        assert!(e.to_string().contains("missing"), "{e}");
    }

    #[test]
    fn reload_picks_up_a_changed_file() {
        let dir = TempDir::new("auth");
        let path = dir.0.join("htpasswd");
        let alice = line_of("apr1", "alice");
        let bob = line_of("bcrypt", "bob");
        write(&path, &format!("{alice}\n"), 1);
        let db = UserDb::open(&path).expect("open");
        assert_eq!(
            login(&db, "bob", BOB),
            Err(Denied::UnknownUser("bob".to_owned()))
        );
        write(&path, &format!("{alice}\n{bob}\n"), 2);
        assert_eq!(login(&db, "bob", BOB), Ok("bob".to_owned()));
        assert_eq!(db.take_reload_error(), None);
        // Same size, new time: still re-read.
        write(&path, &format!("{bob}\n{alice}\n"), 3);
        assert_eq!(login(&db, "alice", ALICE), Ok("alice".to_owned()));
        write(&path, &format!("{bob}\n"), 4);
        assert_eq!(
            login(&db, "alice", ALICE),
            Err(Denied::UnknownUser("alice".to_owned()))
        );
    }

    #[test]
    fn a_bad_reload_keeps_the_previous_users_and_is_reported_once() {
        let dir = TempDir::new("auth");
        let path = dir.0.join("htpasswd");
        let alice = line_of("apr1", "alice");
        let bob = line_of("bcrypt", "bob");
        write(&path, &format!("{alice}\n"), 1);
        let db = UserDb::open(&path).expect("open");
        write(&path, &format!("{alice}\n{bob}\nbroken\n"), 2);
        assert_eq!(login(&db, "alice", ALICE), Ok("alice".to_owned()));
        assert_eq!(
            login(&db, "bob", BOB),
            Err(Denied::UnknownUser("bob".to_owned()))
        );
        assert_eq!(
            db.take_reload_error(),
            Some(AuthError::Malformed {
                path: path.clone(),
                line: 3,
                expected: "`user:hash`"
            })
        );
        assert_eq!(login(&db, "alice", ALICE), Ok("alice".to_owned()));
        assert_eq!(db.take_reload_error(), None);

        fs::remove_file(&path).expect("remove");
        assert_eq!(login(&db, "alice", ALICE), Ok("alice".to_owned()));
        assert!(matches!(
            db.take_reload_error(),
            Some(AuthError::Read { .. })
        ));
        assert_eq!(login(&db, "alice", ALICE), Ok("alice".to_owned()));
        assert_eq!(db.take_reload_error(), None);

        write(&path, &format!("{alice}\n{bob}\n"), 3);
        assert_eq!(login(&db, "bob", BOB), Ok("bob".to_owned()));
        assert_eq!(db.take_reload_error(), None);
    }

    #[test]
    fn successes_are_cached_by_digest_and_forgotten_on_reload() {
        let dir = TempDir::new("auth");
        let path = dir.0.join("htpasswd");
        let old = line_of("bcrypt", "alice");
        write(&path, &format!("{old}\n"), 1);
        let db = UserDb::open(&path).expect("open");
        assert_eq!(login(&db, "alice", ALICE), Ok("alice".to_owned()));
        assert_eq!(
            login(&db, "alice", "wrong"),
            Err(Denied::WrongPassword("alice".to_owned()))
        );
        let (_, stored) = old.split_once(':').expect("user:hash");
        let key = cache_key("alice", ALICE, stored);
        assert_eq!(db.lock().verified, HashSet::from([key]));
        // The cache is what answers: a key planted for a wrong password lets it in.
        db.lock()
            .verified
            .insert(cache_key("alice", "planted", stored));
        assert_eq!(login(&db, "alice", "planted"), Ok("alice".to_owned()));

        // Alice's password changes to Bob's: the old one must stop working.
        let new = line_of("bcrypt", "bob").replacen("bob", "alice", 1);
        write(&path, &format!("{new}\n"), 2);
        assert_eq!(
            login(&db, "alice", ALICE),
            Err(Denied::WrongPassword("alice".to_owned()))
        );
        assert!(db.lock().verified.is_empty());
        assert_eq!(login(&db, "alice", BOB), Ok("alice".to_owned()));
        assert_eq!(db.lock().verified.len(), 1);
    }

    #[test]
    fn the_cache_is_bounded() {
        let dir = TempDir::new("auth");
        let path = dir.0.join("htpasswd");
        write(&path, &format!("{}\n", line_of("crypt", "alice")), 1);
        let db = UserDb::open(&path).expect("open");
        // DES crypt ignores all but 8 bytes, so these all verify.
        for n in 0..CACHE_LIMIT + 10 {
            assert!(login(&db, "alice", &format!("wonderla{n}")).is_ok());
        }
        assert!(db.lock().verified.len() <= CACHE_LIMIT);
    }

    #[test]
    fn cache_keys_keep_their_parts_apart() {
        assert_ne!(cache_key("a", "b:c", "h"), cache_key("a:b", "c", "h"));
        assert_ne!(cache_key("a", "bh", ""), cache_key("a", "b", "h"));
    }

    #[test]
    fn denials_never_show_the_password() {
        let db = UserDb::open(&fixture("mixed")).expect("mixed");
        let secret = "s3cr3t:Pässwörd";
        let mut shown = Vec::new();
        for header in [
            basic("alice", secret),
            basic("mallory", secret),
            basic("a\nb", secret),
            format!("Bearer {secret}"),
            format!("Basic {secret}"),
            format!(
                "Basic {}",
                base64_encode(secret.replace(':', "").as_bytes())
            ),
        ] {
            let denied = db.authenticate(Some(&header)).expect_err(&header);
            let text = denied.to_string();
            assert!(
                !text.contains("s3cr3t") && !text.contains("Pässwörd"),
                "{text}"
            );
            shown.push(text);
        }
        assert_eq!(shown[0], "wrong password for `alice`");
        assert_eq!(shown[1], "unknown user `mallory`");
        // User names come from the client: a newline must not forge a log line.
        assert_eq!(shown[2], "unknown user `a\\nb`");
        assert_eq!(shown[3], "Authorization header is not Basic");
        assert_eq!(Denied::Missing.to_string(), "no credentials");
    }

    #[test]
    fn constant_time_comparison() {
        assert!(ct_eq(b"", b""));
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}

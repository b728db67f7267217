//! htpasswd files: Apache's format for users and their password hashes, and the
//! verification of each hash.
//!
//! The user database is an Apache htpasswd file, so that administrators keep the
//! tool they know (`htpasswd`) and the file Curdling's `-u USER_DB` took.
//! Every hash `htpasswd` writes is read: `-m` (`$apr1$`, its default), `-B`
//! (bcrypt `$2y$`; `$2a$` and `$2b$` too), `-2`/`-5` (`$5$`/`$6$`), `-s`
//! (`{SHA}`) and `-d` (DES crypt), plus glibc's `$1$`. bcrypt is the `bcrypt`
//! crate's; SHA-crypt's digest is the `sha-crypt` crate's; the rest are in `crypt`.
//!
//! Plain-text passwords (`htpasswd -p`) are refused: Apache itself only reads
//! them on Windows, and nothing in a line tells a plain password from a crypt
//! hash (`wonderland12` could be either), so any rule that reads unknown
//! lines as plain text turns a damaged or foreign hash into a password anyone
//! who sees the file can type.
//!
//! A name that is not in the file is checked against a decoy: a hash of the same
//! format and cost as most of the file's, which no password is known to match. So
//! an unknown user costs what a known one does, and the time a refusal takes does
//! not tell which names exist (users on a rarer format stay told apart: keep one
//! format in a file).
//!
//! Traps: DES crypt reads only the first 8 bytes of a password and bcrypt the
//! first 72, so different passwords verify alike; a hash is checked whole at load
//! time, so a line cut short while being written fails to load rather than locking
//! its user out.

mod crypt;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use self::crypt::{DEFAULT_ROUNDS, ShaCrypt, des_crypt, is_hash64, md5_crypt};
use crate::util::encoding::{base64, base64_decode};

/// One user's stored hash, recognised and checked whole when the file was read.
#[derive(Clone)]
pub struct Entry {
    /// The hash as written in the file.
    stored: String,
    scheme: Scheme,
}

/// The users of one file, and the decoy that stands for everyone else.
pub struct Users {
    by_name: HashMap<String, Entry>,
    /// `None` for a file without users, where there is nothing to tell apart.
    decoy: Option<Entry>,
}

impl Users {
    pub fn get(&self, user: &str) -> Option<&Entry> {
        self.by_name.get(user)
    }

    /// What an unknown user's password is checked against, for the time it takes;
    /// the answer is never used.
    pub fn decoy(&self) -> Option<&Entry> {
        self.decoy.as_ref()
    }

    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

#[derive(Clone, Debug)]
enum Scheme {
    /// md5-crypt: Apache's `$apr1$` or glibc's `$1$`.
    Md5 { magic: &'static str, salt: String },
    /// `$5$` or `$6$`, with `rounds=` when the setting names them.
    Sha {
        sha: ShaCrypt,
        rounds: Option<u32>,
        salt: String,
    },
    /// `$2a$`, `$2b$` or `$2y$`.
    Bcrypt,
    /// `{SHA}`: unsalted SHA-1, decoded at load so a bad one fails at start-up.
    Sha1([u8; 20]),
    /// 13 characters of the crypt(3) alphabet: a salt of 2, a checksum of 11.
    Des,
}

impl Entry {
    /// The hash as written in the file: a changed one is a new password.
    pub fn stored(&self) -> &str {
        &self.stored
    }

    /// Whether `password` is this user's.
    pub fn verify(&self, password: &[u8]) -> bool {
        let stored = self.stored.as_bytes();
        match &self.scheme {
            Scheme::Md5 { magic, salt } => {
                ct_eq(md5_crypt(magic, salt, password).as_bytes(), stored)
            }
            // A setting that crypt(3) writes back otherwise can never match: it is
            // refused before its rounds are spent.
            Scheme::Sha { sha, rounds, salt } => {
                self.stored.starts_with(&sha.setting(*rounds, salt))
                    && ct_eq(sha.crypt(*rounds, salt, password).as_bytes(), stored)
            }
            Scheme::Bcrypt => bcrypt::verify(password, &self.stored).unwrap_or(false),
            Scheme::Sha1(digest) => {
                use sha1::Digest as _;
                ct_eq(&sha1::Sha1::digest(password), digest)
            }
            Scheme::Des => ct_eq(des_crypt(&self.stored, password).as_bytes(), stored),
        }
    }

    /// The format and the work a verification costs: entries of one class take
    /// equally long to check.
    fn class(&self) -> (u8, u32) {
        match &self.scheme {
            Scheme::Md5 { .. } => (0, 0),
            Scheme::Sha { sha, rounds, .. } => {
                let kind = if *sha == ShaCrypt::Sha256 { 1 } else { 2 };
                (kind, rounds.unwrap_or(DEFAULT_ROUNDS))
            }
            Scheme::Bcrypt => {
                let cost = self.stored.get(4..6).and_then(|c| c.parse().ok());
                (3, cost.unwrap_or(0))
            }
            Scheme::Sha1(_) => (4, 0),
            Scheme::Des => (5, 0),
        }
    }

    /// This entry with its checksum zeroed: the same setting (salt, rounds, cost),
    /// so the same work to verify, and a checksum only a preimage of zeros would
    /// match.
    fn decoy(&self) -> Entry {
        let checksum = match &self.scheme {
            Scheme::Md5 { .. } => 22,
            Scheme::Sha { sha, .. } => sha.checksum_len(),
            Scheme::Bcrypt => 31,
            Scheme::Des => 11,
            Scheme::Sha1(_) => {
                return Entry {
                    stored: format!("{{SHA}}{}", base64(&[0; 20])),
                    scheme: Scheme::Sha1([0; 20]),
                };
            }
        };
        // Parsing checked that the hash ends in a checksum of this length.
        let end = self.stored.len().saturating_sub(checksum);
        let setting = self.stored.get(..end).unwrap_or_default();
        Entry {
            stored: format!("{setting}{}", ".".repeat(checksum)),
            scheme: self.scheme.clone(),
        }
    }
}

/// Why the user database could not be loaded.
#[derive(Debug, PartialEq, Eq)]
pub enum HtpasswdError {
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

impl HtpasswdError {
    pub fn read(path: &Path, e: &std::io::Error) -> HtpasswdError {
        HtpasswdError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }
}

impl fmt::Display for HtpasswdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HtpasswdError::Read { path, message } => write!(
                f,
                "cannot read user database `{}`: {message}",
                path.display()
            ),
            HtpasswdError::Malformed {
                path,
                line,
                expected,
            } => write!(
                f,
                "user database `{}`, line {line}: malformed line, expected {expected}",
                path.display()
            ),
            HtpasswdError::Unsupported { path, line, scheme } => {
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
            HtpasswdError::Duplicate {
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

impl std::error::Error for HtpasswdError {}

/// Reads an htpasswd file: each user and their hash.
pub fn read(path: &Path) -> Result<Users, HtpasswdError> {
    let bytes = std::fs::read(path).map_err(|e| HtpasswdError::read(path, &e))?;
    parse(path, &bytes)
}

fn parse(path: &Path, bytes: &[u8]) -> Result<Users, HtpasswdError> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut users = HashMap::new();
    let mut lines_of = HashMap::new();
    // Each class of entry: how many, and the line of its first.
    let mut classes: HashMap<(u8, u32), (usize, usize)> = HashMap::new();
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = index + 1;
        let malformed = |expected| HtpasswdError::Malformed {
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
            HashError::Unsupported(scheme) => HtpasswdError::Unsupported {
                path: path.to_path_buf(),
                line,
                scheme,
            },
        })?;
        if let Some(&first) = lines_of.get(user) {
            return Err(HtpasswdError::Duplicate {
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
        let (count, _) = classes.entry(entry.class()).or_insert((0, line));
        *count += 1;
        users.insert(user.to_owned(), entry);
    }
    // The most common class; on a tie, the costlier, then the first in the file.
    let typical = classes
        .iter()
        .max_by_key(|(class, (count, _))| (*count, **class))
        .map(|(_, &(_, line))| line);
    let decoy = typical
        .and_then(|line| lines_of.iter().find(|&(_, &l)| l == line))
        .and_then(|(user, _)| users.get(*user))
        .map(Entry::decoy);
    Ok(Users {
        by_name: users,
        decoy,
    })
}

/// Why one hash was refused; the caller adds the file and line.
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
    for (magic, expected) in [
        (
            APR1_MAGIC,
            "a whole `$apr1$` hash: a salt of up to 8 characters, `$`, 22 characters",
        ),
        (
            "$1$",
            "a whole `$1$` hash: a salt of up to 8 characters, `$`, 22 characters",
        ),
    ] {
        if let Some(rest) = hash.strip_prefix(magic) {
            return match md5_crypt_salt(rest) {
                Some(salt) => Ok(Scheme::Md5 {
                    magic,
                    salt: salt.to_owned(),
                }),
                None => malformed(expected),
            };
        }
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
                Ok(Scheme::Bcrypt)
            }
            _ => malformed("a whole bcrypt hash: a cost from 04 to 31, `$`, 53 characters"),
        };
    }
    for (sha, expected) in [
        (
            ShaCrypt::Sha256,
            "a whole `$5$` hash: a salt of up to 16 characters, `$`, 43 characters",
        ),
        (
            ShaCrypt::Sha512,
            "a whole `$6$` hash: a salt of up to 16 characters, `$`, 86 characters",
        ),
    ] {
        if let Some(rest) = hash.strip_prefix(sha.magic()) {
            return match sha_crypt_setting(rest, sha.checksum_len()) {
                Some((rounds, salt)) => Ok(Scheme::Sha {
                    sha,
                    rounds,
                    salt: salt.to_owned(),
                }),
                None => malformed(expected),
            };
        }
    }
    if let Some(rest) = hash.strip_prefix("{SHA}") {
        return match base64_decode(rest).and_then(|d| <[u8; 20]>::try_from(d).ok()) {
            Some(digest) => Ok(Scheme::Sha1(digest)),
            None => malformed("a whole `{SHA}` hash: 28 characters of base64"),
        };
    }
    if is_hash64(hash, 13) {
        return Ok(Scheme::Des);
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

/// The rounds and salt of `[rounds=N$]salt$checksum` after a SHA-crypt magic, if
/// the rest is whole. Rounds too many for a `u32` are as many as it holds: crypt(3)
/// clamps them to its range all the same.
fn sha_crypt_setting(rest: &str, checksum_len: usize) -> Option<(Option<u32>, &str)> {
    let (rounds, rest) = match rest.strip_prefix("rounds=") {
        Some(rounds) => match rounds.split_once('$') {
            Some((n, rest)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                (Some(n.parse().unwrap_or(u32::MAX)), rest)
            }
            _ => return None,
        },
        None => (None, rest),
    };
    let (salt, checksum) = rest.split_once('$')?;
    (salt.len() <= 16 && is_hash64(salt, salt.len()) && is_hash64(checksum, checksum_len))
        .then_some((rounds, salt))
}

/// Compares without stopping at the first difference, so the time taken does
/// not tell an attacker how much of a guessed hash was right.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && std::hint::black_box(a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y))) == 0
}

#[cfg(test)]
pub(crate) mod tests;

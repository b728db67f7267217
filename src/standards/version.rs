//! PEP 440 versions, parsed, normalized and ordered as the spec says.
//!
//! <https://packaging.python.org/en/latest/specifications/version-specifiers/>
//!
//! A version is `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`. Parsing accepts
//! every alternate spelling the spec allows and [`Version`]'s `Display` prints the
//! normalized form, exactly as `str(packaging.version.Version(s))` does.
//!
//! Traps, each of which has bitten an implementation before:
//!
//! - Trailing zeros do not count: `1.0 == 1.0.0`, and they hash alike, yet each
//!   keeps its own spelling when printed (`1.0.0` stays `1.0.0`).
//! - Ordering puts a local version after its public one (`1.0 < 1.0+local`), yet
//!   the specifier `==1.0` matches `1.0+local`: specifiers ignore the candidate's
//!   local label when the clause has none (see [`crate::standards::specifier`]).
//! - `1.0.dev1 < 1.0a1.dev1 < 1.0a1 < 1.0a1.post1 < 1.0rc1 < 1.0 < 1.0.post1.dev1 <
//!   1.0.post1`: a lone dev release sorts before every pre-release of its release;
//!   attached to a pre- or post-release, it sorts just before that one.
//! - `1.0c1 == 1.0rc1`; `1.0-1 == 1.0.post1` (implicit post-release); `1.0a` is
//!   `1.0a0` and `1.0.post` is `1.0.post0`; a separator may even dangle
//!   (`1.0a.` is `1.0a0`), because the spec's regular expression allows it.
//! - A dev release is a pre-release for [`Version::is_prerelease`], as in packaging.
//! - Local labels compare segment by segment: numeric segments numerically and
//!   after alphanumeric ones, a label before any longer label it starts
//!   (`1.0+abc < 1.0+9 < 1.0+10 == 1.0+010 < 1.0+10.a`). `-` and `_` are spelled
//!   `.` (`+ubuntu-1` is `+ubuntu.1`) and numeric segments lose leading zeros.
//! - Numbers are unbounded in the spec; here epoch, release, pre, post and dev
//!   numbers are `u64`, and a larger one is an error rather than a wrapped value
//!   (packaging accepts it). Numeric local segments stay text, so any size works.
//! - Only ASCII is accepted: the whitespace the spec lists, and ASCII letters
//!   (packaging's case-insensitive regular expression also lets the Kelvin sign
//!   and similar characters through).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::Arc;

/// A PEP 440 version, compared by its meaning (`1.0 == 1.0.0`).
///
/// Most real versions fit a packed 64-bit key whose integer order is the PEP 440
/// order, so sorting thousands of them costs one integer comparison per pair, and
/// are stored inline, so matching them against specifiers never follows a pointer.
/// The rest share their parts, so cloning never copies.
#[derive(Clone)]
pub struct Version {
    /// The packed sort key, or [`NO_KEY`] when the version does not fit it.
    key: u64,
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    /// For versions with a key and at most four release numbers as written; the
    /// key holds everything else (epoch 0, no local label, one suffix at most).
    Inline {
        release: [u64; 4],
        len: u8,
    },
    Shared(Arc<Parts>),
}

/// The kind of a pre-release; variants are in PEP 440 order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrereleaseKind {
    /// `a`, also spelled `alpha`.
    Alpha,
    /// `b`, also spelled `beta`.
    Beta,
    /// `rc`, also spelled `c`, `pre` and `preview`.
    Rc,
}

/// A pre-release segment such as `rc1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prerelease {
    pub kind: PrereleaseKind,
    pub number: u64,
}

struct Parts {
    epoch: u64,
    release: Vec<u64>,
    pre: Option<Prerelease>,
    post: Option<u64>,
    dev: Option<u64>,
    /// Normalized: lowercase, `.`-separated, numeric segments without leading zeros.
    local: Option<Box<str>>,
}

/// Why a string is not a PEP 440 version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionParseError {
    input: String,
    kind: ErrorKind,
}

/// What went wrong; byte offsets are into the trimmed input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    Empty,
    /// No release number where one must start.
    ExpectedRelease {
        at: usize,
    },
    /// A `.` not followed by a number.
    ExpectedNumber {
        at: usize,
    },
    /// Text that no further part of a version can start with.
    Unexpected {
        at: usize,
        allowed: &'static str,
    },
    /// A `+` not followed by a well-formed local label.
    InvalidLocal {
        at: usize,
    },
    /// A number that does not fit in 64 bits.
    Overflow {
        start: usize,
        end: usize,
    },
}

impl ErrorKind {
    /// The explanation, given the trimmed text the offsets refer to.
    pub(crate) fn describe(&self, text: &str) -> String {
        let at = |i: usize| text.get(..i).unwrap_or(text);
        let from = |i: usize| text.get(i..).unwrap_or("");
        match *self {
            ErrorKind::Empty => "expected a version such as `1.0`, found nothing".to_string(),
            ErrorKind::ExpectedRelease { at: i } if from(i).is_empty() => {
                format!("expected a release number after `{}`", at(i))
            }
            ErrorKind::ExpectedRelease { at: i } => {
                format!(
                    "expected a release number such as `1.0`, found `{}`",
                    from(i)
                )
            }
            ErrorKind::ExpectedNumber { at: i } => {
                format!("expected a number after `{}`", at(i))
            }
            ErrorKind::Unexpected { at: i, allowed } => {
                format!("expected {allowed} after `{}`", at(i))
            }
            ErrorKind::InvalidLocal { at: i } => format!(
                "expected a local version label of ASCII letters and digits separated by \
                 `.`, `-` or `_` after `{}`",
                at(i + 1)
            ),
            ErrorKind::Overflow { start, end } => format!(
                "the number `{}` is too large, expected at most {}",
                text.get(start..end).unwrap_or(text),
                u64::MAX
            ),
        }
    }
}

impl fmt::Display for VersionParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let detail = self.kind.describe(trim(&self.input));
        if self.kind == ErrorKind::Empty {
            write!(f, "invalid version: {detail}")
        } else {
            write!(f, "invalid version `{}`: {detail}", self.input)
        }
    }
}

impl std::error::Error for VersionParseError {}

/// The whitespace the spec names: ` `, `\t`, `\n`, `\r`, `\f` and `\v`.
pub(crate) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c' | '\x0b')
}

pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(is_space)
}

impl FromStr for Version {
    type Err = VersionParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(trim(s)).map_err(|kind| VersionParseError {
            input: s.to_string(),
            kind,
        })
    }
}

/// Parses an already trimmed version in one pass. The grammar is the spec's
/// regular expression; every optional part is taken greedily, which accepts the
/// same strings because no part can begin with what the one before it may leave.
pub(crate) fn parse(s: &str) -> Result<Version, ErrorKind> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(ErrorKind::Empty);
    }
    let mut i = 0;
    if matches!(b[0], b'v' | b'V') {
        i = 1;
    }
    let first = number(b, &mut i)?.ok_or(ErrorKind::ExpectedRelease { at: i })?;
    let mut epoch = 0;
    let mut release = ReleaseBuf::default();
    if b.get(i) == Some(&b'!') {
        i += 1;
        epoch = first;
        release.push(number(b, &mut i)?.ok_or(ErrorKind::ExpectedRelease { at: i })?);
    } else {
        release.push(first);
    }
    while b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        release.extend(number(b, &mut i)?);
    }

    let pre = labelled(b, &mut i, &PRE_LABELS)?.map(|(kind, number)| Prerelease { kind, number });
    let post = if b.get(i) == Some(&b'-') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        number(b, &mut i)?
    } else {
        labelled(b, &mut i, &POST_LABELS)?.map(|((), n)| n)
    };
    let dev = labelled(b, &mut i, &DEV_LABELS)?.map(|((), n)| n);

    let local = if b.get(i) == Some(&b'+') {
        let local = normalize_local(&b[i + 1..]).ok_or(ErrorKind::InvalidLocal { at: i })?;
        i = b.len();
        Some(local)
    } else {
        None
    };

    if i < b.len() {
        let dangling_dot = b[i] == b'.' && !b.get(i + 1).is_some_and(u8::is_ascii_alphabetic);
        if dangling_dot && pre.is_none() && post.is_none() && dev.is_none() {
            return Err(ErrorKind::ExpectedNumber { at: i + 1 });
        }
        let separator = matches!(b[i], b'.' | b'-' | b'_');
        let allowed = if dev.is_some() {
            "a local version"
        } else if post.is_some() {
            if separator {
                "a dev-release"
            } else {
                "a dev-release or local version"
            }
        } else if pre.is_some() {
            if separator {
                "a post-release or dev-release"
            } else {
                "a post-release, dev-release or local version"
            }
        } else if separator {
            "a pre-release, post-release or dev-release"
        } else {
            "a pre-release, post-release, dev-release or local version"
        };
        return Err(ErrorKind::Unexpected { at: i, allowed });
    }
    Ok(Version::build(
        epoch,
        release.as_slice(),
        (pre, post, dev),
        local,
    ))
}

/// Release numbers, kept on the stack unless there are more than four.
#[derive(Default)]
struct ReleaseBuf {
    small: [u64; 4],
    len: usize,
    spilled: Vec<u64>,
}

impl ReleaseBuf {
    fn push(&mut self, n: u64) {
        if self.spilled.is_empty() && self.len < 4 {
            self.small[self.len] = n;
            self.len += 1;
        } else {
            if self.spilled.is_empty() {
                self.spilled.extend_from_slice(&self.small);
            }
            self.spilled.push(n);
        }
    }

    fn extend(&mut self, n: Option<u64>) {
        if let Some(n) = n {
            self.push(n);
        }
    }

    fn as_slice(&self) -> &[u64] {
        if self.spilled.is_empty() {
            &self.small[..self.len]
        } else {
            &self.spilled
        }
    }
}

/// Pre-release, post-release and dev-release, in that order.
type Suffixes = (Option<Prerelease>, Option<u64>, Option<u64>);

/// Reads a run of ASCII digits, if there is one.
fn number(b: &[u8], i: &mut usize) -> Result<Option<u64>, ErrorKind> {
    let start = *i;
    let mut n: u64 = 0;
    while let Some(d) = b.get(*i).filter(|d| d.is_ascii_digit()) {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
            .ok_or_else(|| {
                let end = start + b[start..].iter().take_while(|d| d.is_ascii_digit()).count();
                ErrorKind::Overflow { start, end }
            })?;
        *i += 1;
    }
    Ok((*i > start).then_some(n))
}

/// Spellings of a labelled segment, longest first where one is a prefix of another.
type Labels<T> = [(&'static [u8], T)];

const PRE_LABELS: [(&[u8], PrereleaseKind); 8] = [
    (b"preview", PrereleaseKind::Rc),
    (b"alpha", PrereleaseKind::Alpha),
    (b"beta", PrereleaseKind::Beta),
    (b"pre", PrereleaseKind::Rc),
    (b"rc", PrereleaseKind::Rc),
    (b"a", PrereleaseKind::Alpha),
    (b"b", PrereleaseKind::Beta),
    (b"c", PrereleaseKind::Rc),
];
const POST_LABELS: [(&[u8], ()); 3] = [(b"post", ()), (b"rev", ()), (b"r", ())];
const DEV_LABELS: [(&[u8], ()); 1] = [(b"dev", ())];

/// Reads `[-_.]? label [-_.]? digits?`; leaves `i` alone when no label follows.
fn labelled<T: Copy>(
    b: &[u8],
    i: &mut usize,
    labels: &Labels<T>,
) -> Result<Option<(T, u64)>, ErrorKind> {
    let mut j = *i;
    if b.get(j).is_some_and(|c| matches!(c, b'.' | b'-' | b'_')) {
        j += 1;
    }
    let rest = &b[j..];
    let Some(&(label, value)) = labels
        .iter()
        .find(|(l, _)| rest.len() >= l.len() && rest[..l.len()].eq_ignore_ascii_case(l))
    else {
        return Ok(None);
    };
    j += label.len();
    if b.get(j).is_some_and(|c| matches!(c, b'.' | b'-' | b'_')) {
        j += 1;
    }
    let n = number(b, &mut j)?.unwrap_or(0);
    *i = j;
    Ok(Some((value, n)))
}

/// Validates a local label and returns its normalized spelling.
fn normalize_local(b: &[u8]) -> Option<Box<str>> {
    let mut out = String::with_capacity(b.len());
    for segment in b.split(|c| matches!(c, b'.' | b'-' | b'_')) {
        if segment.is_empty() || !segment.iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        if !out.is_empty() {
            out.push('.');
        }
        if segment.iter().all(u8::is_ascii_digit) {
            let zeros = segment.iter().take_while(|&&d| d == b'0').count();
            let digits = &segment[zeros.min(segment.len() - 1)..];
            out.extend(digits.iter().map(|&d| char::from(d)));
        } else {
            out.extend(segment.iter().map(|&c| char::from(c.to_ascii_lowercase())));
        }
    }
    Some(out.into_boxed_str())
}

/// Marks a version whose parts do not fit the packed key.
const NO_KEY: u64 = u64::MAX;

/// Packs a version into a key whose integer order is the PEP 440 order, if it
/// fits: epoch 0, no local label, at most four release numbers once trailing zeros
/// are dropped (the first below 2^16, the others below 2^8), and at most one of
/// pre, post and dev, numbered below 2^21. The key depends only on the version's
/// meaning, so equal versions either both have a key or both lack one.
fn pack(epoch: u64, release: &[u64], suffixes: Suffixes, local: bool) -> u64 {
    if epoch != 0 || local {
        return NO_KEY;
    }
    let release = trimmed(release);
    if release.len() > 4 {
        return NO_KEY;
    }
    let mut key = 0u64;
    for (slot, bits) in [(0usize, 16u32), (1, 8), (2, 8), (3, 8)] {
        let n = release.get(slot).copied().unwrap_or(0);
        if n >= 1 << bits {
            return NO_KEY;
        }
        key = (key << bits) | n;
    }
    let (rank, n) = match suffixes {
        (None, None, None) => (RANK_FINAL, 0),
        (None, None, Some(n)) => (RANK_DEV, n),
        (Some(pre), None, None) => (RANK_ALPHA + pre.kind as u64, pre.number),
        (None, Some(n), None) => (RANK_POST, n),
        _ => return NO_KEY,
    };
    if n > SUFFIX_NUMBER {
        return NO_KEY;
    }
    (key << 24) | (rank << 21) | n
}

/// Ranks of the lone suffix in a packed key, in PEP 440 order; alpha, beta and rc
/// take the three ranks from `RANK_ALPHA`.
const RANK_DEV: u64 = 0;
const RANK_ALPHA: u64 = 1;
const RANK_FINAL: u64 = 4;
const RANK_POST: u64 = 5;
/// The largest suffix number a packed key holds, and the mask that extracts it.
const SUFFIX_NUMBER: u64 = (1 << 21) - 1;

/// The suffixes a packed key holds.
fn unpack_suffixes(key: u64) -> Suffixes {
    let n = key & SUFFIX_NUMBER;
    let pre = |kind| Some(Prerelease { kind, number: n });
    match (key >> 21) & 7 {
        RANK_DEV => (None, None, Some(n)),
        1 => (pre(PrereleaseKind::Alpha), None, None),
        2 => (pre(PrereleaseKind::Beta), None, None),
        3 => (pre(PrereleaseKind::Rc), None, None),
        RANK_POST => (None, Some(n), None),
        _ => (None, None, None),
    }
}

/// The release without trailing zeros: what comparison and hashing see.
fn trimmed(release: &[u64]) -> &[u64] {
    let len = release.iter().rposition(|&n| n != 0).map_or(0, |i| i + 1);
    &release[..len]
}

impl Version {
    fn build(epoch: u64, release: &[u64], suffixes: Suffixes, local: Option<Box<str>>) -> Version {
        let key = pack(epoch, release, suffixes, local.is_some());
        let repr = match u8::try_from(release.len()) {
            Ok(len) if key != NO_KEY && len <= 4 => {
                let mut inline = [0; 4];
                inline[..release.len()].copy_from_slice(release);
                Repr::Inline {
                    release: inline,
                    len,
                }
            }
            _ => {
                let (pre, post, dev) = suffixes;
                Repr::Shared(Arc::new(Parts {
                    epoch,
                    release: release.to_vec(),
                    pre,
                    post,
                    dev,
                    local,
                }))
            }
        };
        Version { key, repr }
    }

    fn suffixes(&self) -> Suffixes {
        match &self.repr {
            Repr::Inline { .. } => unpack_suffixes(self.key),
            Repr::Shared(p) => (p.pre, p.post, p.dev),
        }
    }

    /// The epoch, `0` when not written.
    pub fn epoch(&self) -> u64 {
        match &self.repr {
            Repr::Inline { .. } => 0,
            Repr::Shared(p) => p.epoch,
        }
    }

    /// The release numbers as written, trailing zeros included.
    pub fn release(&self) -> &[u64] {
        match &self.repr {
            Repr::Inline { release, len } => &release[..usize::from(*len)],
            Repr::Shared(p) => &p.release,
        }
    }

    pub fn pre(&self) -> Option<Prerelease> {
        self.suffixes().0
    }

    pub fn post(&self) -> Option<u64> {
        self.suffixes().1
    }

    pub fn dev(&self) -> Option<u64> {
        self.suffixes().2
    }

    /// The normalized local label, without its `+`.
    pub fn local(&self) -> Option<&str> {
        match &self.repr {
            Repr::Inline { .. } => None,
            Repr::Shared(p) => p.local.as_deref(),
        }
    }

    /// Whether this is a pre-release or a dev release: what installers skip unless
    /// asked (packaging's `is_prerelease`).
    pub fn is_prerelease(&self) -> bool {
        let (pre, _, dev) = self.suffixes();
        pre.is_some() || dev.is_some()
    }

    pub fn is_postrelease(&self) -> bool {
        self.post().is_some()
    }

    pub fn is_devrelease(&self) -> bool {
        self.dev().is_some()
    }

    /// Whether it carries a local label (`+ubuntu1`), which indexes must not serve.
    pub fn is_local(&self) -> bool {
        self.local().is_some()
    }

    /// The same version without its local label.
    pub fn without_local(&self) -> Version {
        if !self.is_local() {
            return self.clone();
        }
        Version::build(self.epoch(), self.release(), self.suffixes(), None)
    }

    /// The normalized public version: everything but the local label.
    pub fn public(&self) -> String {
        self.without_local().to_string()
    }

    /// Epoch and release only (`1!2.0` for `1!2.0rc1.post3+x`): the version a
    /// pre-, post- or dev-release belongs to.
    pub fn base_version(&self) -> Version {
        Version::build(self.epoch(), self.release(), (None, None, None), None)
    }

    /// Whether both have the same epoch and release, ignoring trailing zeros:
    /// `base_version() == other.base_version()` without building either.
    pub(crate) fn same_base(&self, other: &Version) -> bool {
        self.epoch() == other.epoch() && trimmed(self.release()) == trimmed(other.release())
    }

    /// Orders by everything but the local label.
    pub(crate) fn cmp_public(&self, other: &Version) -> Ordering {
        if self.key != NO_KEY && other.key != NO_KEY {
            return self.key.cmp(&other.key);
        }
        self.epoch()
            .cmp(&other.epoch())
            .then_with(|| trimmed(self.release()).cmp(trimmed(other.release())))
            .then_with(|| suffix_key(self.suffixes()).cmp(&suffix_key(other.suffixes())))
    }
}

/// One bound of a suffix sort key: packaging's `Infinity` and `NegativeInfinity`
/// around a value.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Bound<T> {
    Below,
    At(T),
    Above,
}

/// packaging's `_cmpkey` for pre, post and dev: a lone dev release sorts before
/// every pre-release, and a missing dev release after any dev release.
fn suffix_key(suffixes: Suffixes) -> (Bound<Prerelease>, Bound<u64>, Bound<u64>) {
    let pre = match suffixes {
        (None, None, Some(_)) => Bound::Below,
        (None, _, _) => Bound::Above,
        (Some(pre), _, _) => Bound::At(pre),
    };
    let post = suffixes.1.map_or(Bound::Below, Bound::At);
    let dev = suffixes.2.map_or(Bound::Above, Bound::At);
    (pre, post, dev)
}

/// Compares normalized local labels: segment by segment, alphanumeric segments
/// below numeric ones, numbers by value (they carry no leading zeros, so by length
/// first), and a label below any longer label it starts.
fn cmp_local(a: Option<&str>, b: Option<&str>) -> Ordering {
    let (a, b) = match (a, b) {
        (None, None) => return Ordering::Equal,
        (None, Some(_)) => return Ordering::Less,
        (Some(_), None) => return Ordering::Greater,
        (Some(a), Some(b)) => (a, b),
    };
    let mut a = a.split('.');
    let mut b = b.split('.');
    loop {
        let (x, y) = match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => (x, y),
        };
        let numeric = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
        let order = match (numeric(x), numeric(y)) {
            (true, true) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
            (false, false) => x.cmp(y),
            (false, true) => Ordering::Less,
            (true, false) => Ordering::Greater,
        };
        if order.is_ne() {
            return order;
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let epoch = self.epoch();
        if epoch != 0 {
            write!(f, "{epoch}!")?;
        }
        for (i, n) in self.release().iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{n}")?;
        }
        let (pre, post, dev) = self.suffixes();
        if let Some(pre) = pre {
            let label = match pre.kind {
                PrereleaseKind::Alpha => "a",
                PrereleaseKind::Beta => "b",
                PrereleaseKind::Rc => "rc",
            };
            write!(f, "{label}{}", pre.number)?;
        }
        if let Some(n) = post {
            write!(f, ".post{n}")?;
        }
        if let Some(n) = dev {
            write!(f, ".dev{n}")?;
        }
        if let Some(local) = self.local() {
            write!(f, "+{local}")?;
        }
        Ok(())
    }
}

/// Shows the normalized form: the parts are an implementation detail.
impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version(\"{self}\")")
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        if self.key != NO_KEY || other.key != NO_KEY {
            return self.key == other.key;
        }
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_public(other)
            .then_with(|| cmp_local(self.local(), other.local()))
    }
}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        if self.key != NO_KEY {
            self.key.hash(state);
            return;
        }
        self.epoch().hash(state);
        trimmed(self.release()).hash(state);
        self.suffixes().hash(state);
        self.local().hash(state);
    }
}

#[cfg(test)]
mod tests;

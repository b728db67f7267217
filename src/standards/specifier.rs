//! PEP 440 version specifiers: which versions a requirement such as `>=1.0,<2`
//! accepts, and when pre-releases count.
//!
//! <https://packaging.python.org/en/latest/specifications/version-specifiers/>
//!
//! Semantics follow packaging (`packaging.specifiers`) wherever the spec leaves
//! room, and the spec where packaging 21.3 strays from it (see the differential
//! test `tests/it/pep440.rs`).
//!
//! Traps, each of which has bitten an implementation before:
//!
//! - `==1.0` matches `1.0+local` (a clause without a local label ignores the
//!   candidate's), though `1.0+local > 1.0` when sorting; `==1.0+local` matches only
//!   that label. `<`, `<=`, `>=` and `~=` ignore local labels; `>` does not (below).
//! - `==1.0` matches `1.0.0`: equality is by meaning, not spelling.
//! - `==1.0.*` pads with zeros: it matches `1`, `1.0.0`, `1.0.5` and `1.0.post1`, but
//!   not `1.1`. `==1.0.0.*` matches `1` too. A prefix with a pre- or post-release
//!   (`==1.0a1.*`, allowed) matches only candidates whose release is no longer than
//!   the prefix's, so not `1.0.0a1`, although `1.0.0a1 == 1.0a1`: the spec is silent
//!   and packaging compares spellings.
//! - `~=2.2` is `>=2.2,==2.*`; `~=1.4.5a4` is `>=1.4.5a4,==1.4.*`: suffixes are
//!   ignored when building the prefix, and `~=1` is an error.
//! - `<1.0` rejects `1.0a1` and `1.0.dev0` (pre-releases of the named version)
//!   unless the clause names a pre-release itself; `>1.0` rejects `1.0.post1` unless
//!   the clause names a post-release; `>1.0` also rejects every local version of a
//!   `1.0` (`1.0+x`, `1.0.post2+x`, even for `>1.0a1`). "Of the named version" means
//!   "with the same epoch and release", as in packaging and uv: `>1.0a1` therefore
//!   rejects `1.0.post1`.
//! - A pre-release candidate is rejected before any operator is consulted unless
//!   pre-releases are allowed: asked for, or admitted by a clause that names one
//!   (`>=1.0a1`, `==1.0.dev1`, `~=`, `<=`, `===`; never `!=`, `<` or `>`).
//!   [`VersionSpecifiers::filter`] also keeps pre-releases when no final or post
//!   release matches, as the spec asks of installers.
//! - `===` compares strings, ignoring case, against the candidate's normalized form,
//!   so `===1.0` matches `1.0` but not `1.0.0`, and `===v1.0` matches nothing.
//! - Wildcards, local labels and `~=` each restrict the operators and versions they
//!   combine with: `<=1.0.*`, `~=1.0.*`, `==1.0.dev1.*`, `==1.0+x.*` and `>=1.0+x`
//!   are all errors, as they are for packaging.

use std::fmt;
use std::str::FromStr;

use crate::standards::version::{self, ErrorKind, Version, is_space};

/// A comparison operator; the wildcard forms are variants of their own because
/// they compare differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `==`
    Equal,
    /// `==` with a trailing `.*`: prefix matching.
    EqualStar,
    /// `!=`
    NotEqual,
    /// `!=` with a trailing `.*`.
    NotEqualStar,
    /// `~=`, the compatible release.
    TildeEqual,
    /// `<`
    LessThan,
    /// `<=`
    LessThanEqual,
    /// `>`
    GreaterThan,
    /// `>=`
    GreaterThanEqual,
    /// `===`, arbitrary (string) equality.
    ArbitraryEqual,
}

impl Operator {
    /// The operator as written; the wildcard forms print their `.*` after the version.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equal | Operator::EqualStar => "==",
            Operator::NotEqual | Operator::NotEqualStar => "!=",
            Operator::TildeEqual => "~=",
            Operator::LessThan => "<",
            Operator::LessThanEqual => "<=",
            Operator::GreaterThan => ">",
            Operator::GreaterThanEqual => ">=",
            Operator::ArbitraryEqual => "===",
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a clause compares against: a version, or for `===` the text as written,
/// which need not be a PEP 440 version at all.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SpecifierVersion {
    Pep440(Version),
    /// Only meaningful with [`Operator::ArbitraryEqual`]; other operators match
    /// nothing against it.
    Arbitrary(String),
}

/// One clause, such as `>=1.0` or `==2.*`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VersionSpecifier {
    pub operator: Operator,
    pub version: SpecifierVersion,
}

/// A comma-separated set of clauses; empty means any version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VersionSpecifiers(Vec<VersionSpecifier>);

/// Why a string is not a version specifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecifierParseError {
    /// The offending clause (the whole input for an empty clause).
    input: String,
    kind: SpecErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum SpecErrorKind {
    EmptyClause,
    ExpectedOperator,
    ExpectedVersion(Operator),
    /// The version after the operator, from `start` in the trimmed clause, is invalid.
    Version {
        start: usize,
        kind: ErrorKind,
    },
    ArbitraryWhitespace,
    WildcardOperator(Operator),
    WildcardPosition,
    WildcardAfterDev,
    WildcardAfterLocal,
    LocalOperator(Operator),
    CompatibleRelease,
}

impl fmt::Display for SpecifierParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid version specifier `{}`: ", self.input)?;
        let clause = version::trim(&self.input);
        match &self.kind {
            SpecErrorKind::EmptyClause => {
                f.write_str("expected a version specifier between commas, found nothing")
            }
            SpecErrorKind::ExpectedOperator => f.write_str(
                "expected an operator (`==`, `!=`, `<=`, `>=`, `<`, `>`, `~=` or `===`) \
                 before the version",
            ),
            SpecErrorKind::ExpectedVersion(op) => write!(f, "expected a version after `{op}`"),
            SpecErrorKind::Version { start, kind } => {
                f.write_str(&kind.describe(clause.get(*start..).unwrap_or(clause)))
            }
            SpecErrorKind::ArbitraryWhitespace => f.write_str(
                "expected a single word after `===`, found whitespace inside the version",
            ),
            SpecErrorKind::WildcardOperator(op) => write!(
                f,
                "the wildcard `.*` is only allowed with `==` and `!=`, found `{op}`"
            ),
            SpecErrorKind::WildcardPosition => {
                f.write_str("expected the wildcard `.*` only at the end of the version")
            }
            SpecErrorKind::WildcardAfterDev => {
                f.write_str("the wildcard `.*` cannot follow a dev-release")
            }
            SpecErrorKind::WildcardAfterLocal => {
                f.write_str("the wildcard `.*` cannot follow a local version")
            }
            SpecErrorKind::LocalOperator(op) => write!(
                f,
                "a local version is only allowed with `==` and `!=`, found `{op}`"
            ),
            SpecErrorKind::CompatibleRelease => f.write_str(
                "the compatible release operator `~=` needs at least two release numbers, \
                 such as `~=1.0`",
            ),
        }
    }
}

impl std::error::Error for SpecifierParseError {}

/// Operators by spelling, longest first so `===` is not read as `==`.
const OPERATORS: [(&str, Operator); 8] = [
    ("===", Operator::ArbitraryEqual),
    ("~=", Operator::TildeEqual),
    ("==", Operator::Equal),
    ("!=", Operator::NotEqual),
    ("<=", Operator::LessThanEqual),
    (">=", Operator::GreaterThanEqual),
    ("<", Operator::LessThan),
    (">", Operator::GreaterThan),
];

impl FromStr for VersionSpecifier {
    type Err = SpecifierParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_clause(version::trim(s)).map_err(|kind| SpecifierParseError {
            input: s.to_string(),
            kind,
        })
    }
}

/// Parses a trimmed clause.
fn parse_clause(clause: &str) -> Result<VersionSpecifier, SpecErrorKind> {
    let (spelling, mut operator) = OPERATORS
        .into_iter()
        .find(|(spelling, _)| clause.starts_with(spelling))
        .ok_or(SpecErrorKind::ExpectedOperator)?;
    let rest = &clause[spelling.len()..];
    let text = rest.trim_start_matches(is_space);
    let start = clause.len() - text.len();
    if text.is_empty() {
        return Err(SpecErrorKind::ExpectedVersion(operator));
    }
    if operator == Operator::ArbitraryEqual {
        if text.contains(is_space) {
            return Err(SpecErrorKind::ArbitraryWhitespace);
        }
        return Ok(VersionSpecifier {
            operator,
            version: SpecifierVersion::Arbitrary(text.to_string()),
        });
    }
    let mut version_text = text;
    if text.contains('*') {
        if !matches!(operator, Operator::Equal | Operator::NotEqual) {
            return Err(SpecErrorKind::WildcardOperator(operator));
        }
        version_text = text
            .strip_suffix(".*")
            .filter(|v| !v.contains('*'))
            .ok_or(SpecErrorKind::WildcardPosition)?;
        operator = if operator == Operator::Equal {
            Operator::EqualStar
        } else {
            Operator::NotEqualStar
        };
    }
    let version =
        version::parse(version_text).map_err(|kind| SpecErrorKind::Version { start, kind })?;
    match operator {
        Operator::EqualStar | Operator::NotEqualStar if version.is_devrelease() => {
            return Err(SpecErrorKind::WildcardAfterDev);
        }
        Operator::EqualStar | Operator::NotEqualStar if version.is_local() => {
            return Err(SpecErrorKind::WildcardAfterLocal);
        }
        Operator::Equal | Operator::NotEqual => {}
        _ if version.is_local() => return Err(SpecErrorKind::LocalOperator(operator)),
        Operator::TildeEqual if version.release().len() < 2 => {
            return Err(SpecErrorKind::CompatibleRelease);
        }
        _ => {}
    }
    Ok(VersionSpecifier {
        operator,
        version: SpecifierVersion::Pep440(version),
    })
}

impl VersionSpecifier {
    /// Whether `candidate` satisfies the operator, ignoring the pre-release policy,
    /// which belongs to the whole set ([`VersionSpecifiers::contains_with_prereleases`]).
    pub fn contains(&self, candidate: &Version) -> bool {
        let spec = match &self.version {
            SpecifierVersion::Pep440(spec) => spec,
            SpecifierVersion::Arbitrary(raw) => {
                return self.operator == Operator::ArbitraryEqual
                    && raw.to_lowercase() == candidate.to_string();
            }
        };
        match self.operator {
            Operator::Equal => equal(candidate, spec),
            Operator::NotEqual => !equal(candidate, spec),
            Operator::EqualStar => prefix_match(candidate, spec, spec.release()),
            Operator::NotEqualStar => !prefix_match(candidate, spec, spec.release()),
            Operator::TildeEqual => {
                let release = spec.release();
                let prefix = &release[..release.len().saturating_sub(1)];
                candidate.cmp_public(spec).is_ge() && release_prefix(candidate, spec, prefix)
            }
            Operator::LessThanEqual => candidate.cmp_public(spec).is_le(),
            Operator::GreaterThanEqual => candidate.cmp_public(spec).is_ge(),
            Operator::LessThan => {
                candidate < spec
                    && !(candidate.is_prerelease()
                        && !spec.is_prerelease()
                        && candidate.same_base(spec))
            }
            Operator::GreaterThan => {
                candidate > spec
                    && !(candidate.same_base(spec)
                        && (candidate.is_local()
                            || (candidate.is_postrelease() && !spec.is_postrelease())))
            }
            Operator::ArbitraryEqual => spec.to_string().to_lowercase() == candidate.to_string(),
        }
    }

    /// Whether this clause lets pre-releases in: it is inclusive and names one
    /// (packaging's `Specifier.prereleases`).
    pub fn admits_prereleases(&self) -> bool {
        let inclusive = matches!(
            self.operator,
            Operator::Equal
                | Operator::EqualStar
                | Operator::GreaterThanEqual
                | Operator::LessThanEqual
                | Operator::TildeEqual
                | Operator::ArbitraryEqual
        );
        inclusive
            && match &self.version {
                SpecifierVersion::Pep440(v) => v.is_prerelease(),
                SpecifierVersion::Arbitrary(raw) => {
                    raw.parse::<Version>().is_ok_and(|v| v.is_prerelease())
                }
            }
    }
}

/// `==`: the candidate's local label counts only if the clause has one.
fn equal(candidate: &Version, spec: &Version) -> bool {
    if spec.is_local() {
        candidate == spec
    } else {
        candidate.cmp_public(spec).is_eq()
    }
}

/// Whether the candidate's epoch is the prefix's and its release, padded with
/// zeros, starts with `prefix`.
fn release_prefix(candidate: &Version, spec: &Version, prefix: &[u64]) -> bool {
    let release = candidate.release();
    candidate.epoch() == spec.epoch()
        && prefix
            .iter()
            .enumerate()
            .all(|(i, &n)| release.get(i).copied().unwrap_or(0) == n)
}

/// `==V.*`. Past the release, the candidate's pre, post and dev segments must
/// start with the prefix's, and a release longer than the prefix's leaves a number
/// where the prefix has a suffix (packaging splits both into segments and compares
/// those; the spec leaves suffixes in prefixes undefined).
fn prefix_match(candidate: &Version, spec: &Version, prefix: &[u64]) -> bool {
    if !release_prefix(candidate, spec, prefix) {
        return false;
    }
    let wanted = suffixes(spec);
    if wanted.iter().all(Option::is_none) {
        return true;
    }
    let found = suffixes(candidate);
    let mut found = found.iter().flatten();
    candidate.release().len() <= prefix.len()
        && wanted.iter().flatten().all(|w| found.next() == Some(w))
}

#[derive(PartialEq)]
enum Suffix {
    Pre(version::Prerelease),
    Post(u64),
    Dev(u64),
}

fn suffixes(v: &Version) -> [Option<Suffix>; 3] {
    [
        v.pre().map(Suffix::Pre),
        v.post().map(Suffix::Post),
        v.dev().map(Suffix::Dev),
    ]
}

impl fmt::Display for VersionSpecifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            SpecifierVersion::Pep440(v) => write!(f, "{}{v}", self.operator)?,
            SpecifierVersion::Arbitrary(raw) => write!(f, "{}{raw}", self.operator)?,
        }
        if matches!(self.operator, Operator::EqualStar | Operator::NotEqualStar) {
            f.write_str(".*")?;
        }
        Ok(())
    }
}

impl FromStr for VersionSpecifiers {
    type Err = SpecifierParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if version::trim(s).is_empty() {
            return Ok(VersionSpecifiers::default());
        }
        s.split(',')
            .map(|clause| {
                let trimmed = version::trim(clause);
                if trimmed.is_empty() {
                    return Err(SpecifierParseError {
                        input: s.to_string(),
                        kind: SpecErrorKind::EmptyClause,
                    });
                }
                parse_clause(trimmed).map_err(|kind| SpecifierParseError {
                    input: trimmed.to_string(),
                    kind,
                })
            })
            .collect()
    }
}

impl FromIterator<VersionSpecifier> for VersionSpecifiers {
    fn from_iter<I: IntoIterator<Item = VersionSpecifier>>(iter: I) -> Self {
        VersionSpecifiers(iter.into_iter().collect())
    }
}

impl VersionSpecifiers {
    pub fn iter(&self) -> std::slice::Iter<'_, VersionSpecifier> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether any clause lets pre-releases in (packaging's `SpecifierSet.prereleases`).
    pub fn admits_prereleases(&self) -> bool {
        self.0.iter().any(VersionSpecifier::admits_prereleases)
    }

    /// Whether `version` satisfies every clause, pre-releases counting only when a
    /// clause admits them.
    pub fn contains(&self, version: &Version) -> bool {
        self.contains_with_prereleases(version, None)
    }

    /// packaging's `SpecifierSet.contains(version, prereleases)`: `Some` forces
    /// pre-releases in or out, `None` leaves it to the clauses.
    pub fn contains_with_prereleases(&self, version: &Version, prereleases: Option<bool>) -> bool {
        if version.is_prerelease() && !prereleases.unwrap_or_else(|| self.admits_prereleases()) {
            return false;
        }
        self.0.iter().all(|s| s.contains(version))
    }

    /// The versions that satisfy the set, in their order, with the spec's default
    /// pre-release policy: pre-releases only if a clause admits them or no final or
    /// post release matches.
    pub fn filter<'a, I>(&self, versions: I) -> Vec<&'a Version>
    where
        I: IntoIterator<Item = &'a Version>,
    {
        self.filter_with_prereleases(versions, None)
    }

    /// [`VersionSpecifiers::filter`] where `Some` forces pre-releases in or out, as
    /// packaging's `SpecifierSet.filter(versions, prereleases)`.
    pub fn filter_with_prereleases<'a, I>(
        &self,
        versions: I,
        prereleases: Option<bool>,
    ) -> Vec<&'a Version>
    where
        I: IntoIterator<Item = &'a Version>,
    {
        let matching = versions
            .into_iter()
            .filter(|v| self.0.iter().all(|s| s.contains(v)));
        if prereleases.unwrap_or_else(|| self.admits_prereleases()) {
            return matching.collect();
        }
        let (pre, final_): (Vec<_>, Vec<_>) = matching.partition(|v| v.is_prerelease());
        if final_.is_empty() && prereleases.is_none() {
            pre
        } else {
            final_
        }
    }
}

impl fmt::Display for VersionSpecifiers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

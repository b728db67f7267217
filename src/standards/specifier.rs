//! PEP 440 version specifiers: which versions a requirement such as `>=1.0,<2`
//! accepts, and when pre-releases count.
//!
//! <https://packaging.python.org/en/latest/specifications/version-specifiers/>
//!
//! Semantics follow today's packaging (`packaging.specifiers`, the differential
//! test `tests/it/standards/pep440.rs`) wherever the spec leaves room.
//!
//! Traps, each of which has bitten an implementation before:
//!
//! - `==1.0` matches `1.0+local` (a clause without a local label ignores the
//!   candidate's), though `1.0+local > 1.0` when sorting; `==1.0+local` matches only
//!   that label. `<`, `<=`, `>=` and `~=` ignore local labels; `>` does not (below).
//! - `==1.0` matches `1.0.0`: equality is by meaning, not spelling.
//! - `==1.0.*` pads with zeros: it matches `1`, `1.0.0`, `1.0.5` and `1.0.post1`, but
//!   not `1.1`. `==1.0.0.*` matches `1` too. The wildcard follows release numbers
//!   only: `==1.0a1.*` and `==1.0.post1.*` are errors, as in packaging 22+.
//! - `~=2.2` is `>=2.2,==2.*`; `~=1.4.5a4` is `>=1.4.5a4,==1.4.*`: suffixes are
//!   ignored when building the prefix, and `~=1` is an error.
//! - `<V` means `<V.dev0` unless `V` is a pre-release: `<1.0` rejects `1.0a1` and
//!   `1.0.dev0`, `<1.0.post2` rejects `1.0.post2.dev1` but not `1.0a1`. `>V` rejects
//!   `V`'s post-releases unless `V` has a post or dev segment (`>1.0` rejects
//!   `1.0.post1`, `>1.0a1` rejects `1.0a1.post1` but not `1.0.post1`), and every
//!   local version of `V` itself (`1.0+x` for `>1.0`). "Of `V`" means "with the same
//!   epoch and release", as in packaging 22+ and uv.
//! - Pre-releases are admitted by a clause that names one (a dev release counts),
//!   whatever its operator but `!=` and `==V.*`: `>=1.0a1`, `<0.2.0a2`,
//!   `>1.0.post1.dev3` all let every pre-release of the project in, as packaging 22+
//!   and pip do. [`VersionSpecifiers::filter`] also keeps pre-releases when no final
//!   or post release matches, as the spec asks of installers.
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
    WildcardAfterSuffix,
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
            SpecErrorKind::WildcardAfterSuffix => f.write_str(
                "the wildcard `.*` can only follow release numbers, such as `==1.4.*`, \
                 not a pre-, post- or dev-release or a local version",
            ),
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
        Operator::EqualStar | Operator::NotEqualStar
            if version.pre().is_some()
                || version.is_postrelease()
                || version.is_devrelease()
                || version.is_local() =>
        {
            return Err(SpecErrorKind::WildcardAfterSuffix);
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
            Operator::EqualStar => prefix_match(candidate, spec),
            Operator::NotEqualStar => !prefix_match(candidate, spec),
            Operator::TildeEqual => {
                let release = spec.release();
                let prefix = &release[..release.len().saturating_sub(1)];
                candidate.cmp_public(spec).is_ge() && release_prefix(candidate, spec, prefix)
            }
            Operator::LessThanEqual => candidate.cmp_public(spec).is_le(),
            Operator::GreaterThanEqual => candidate.cmp_public(spec).is_ge(),
            Operator::LessThan => candidate < spec && !below_but_of(candidate, spec),
            Operator::GreaterThan => {
                candidate > spec
                    && candidate.cmp_public(spec).is_ne()
                    && !post_release_of(candidate, spec)
            }
            Operator::ArbitraryEqual => spec.to_string().to_lowercase() == candidate.to_string(),
        }
    }

    /// Whether this clause lets pre-releases in: it names one (a dev release counts),
    /// whatever its operator but `!=` and the wildcards, which exclude rather than
    /// name (packaging's `Specifier.prereleases` since 22).
    pub fn admits_prereleases(&self) -> bool {
        let names = !matches!(
            self.operator,
            Operator::NotEqual | Operator::NotEqualStar | Operator::EqualStar
        );
        names
            && match &self.version {
                SpecifierVersion::Pep440(v) => v.is_prerelease(),
                SpecifierVersion::Arbitrary(raw) => {
                    raw.parse::<Version>().is_ok_and(|v| v.is_prerelease())
                }
            }
    }
}

/// `<V` for a `V` that is no pre-release means `<V.dev0`: what sorts below `V` but
/// belongs to it (`1.0a1` and `1.0.dev1` for `<1.0`, `1.0.post2.dev1` for
/// `<1.0.post2`) is excluded, as PEP 440 asks.
fn below_but_of(candidate: &Version, spec: &Version) -> bool {
    if spec.is_prerelease() || !candidate.same_base(spec) {
        return false;
    }
    match spec.post() {
        None => true,
        Some(_) => {
            candidate.pre().is_none()
                && candidate.post() == spec.post()
                && candidate.is_devrelease()
        }
    }
}

/// `>V` for a `V` with neither post nor dev segment excludes `V`'s post-releases
/// (those that share its release and pre-release segment), as PEP 440 asks.
fn post_release_of(candidate: &Version, spec: &Version) -> bool {
    spec.post().is_none()
        && spec.dev().is_none()
        && candidate.same_base(spec)
        && candidate.pre() == spec.pre()
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

/// `==V.*`: the candidate's epoch is `V`'s and its release, padded with zeros,
/// starts with `V`'s (whose wildcard follows release numbers only).
fn prefix_match(candidate: &Version, spec: &Version) -> bool {
    release_prefix(candidate, spec, spec.release())
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

    /// Whether `version` satisfies every clause. One version has no alternatives, so
    /// a pre-release counts as the spec's "no other version matches" rule asks
    /// (packaging's `SpecifierSet.contains` since 26); choosing among candidates is
    /// [`VersionSpecifiers::filter`]'s work.
    pub fn contains(&self, version: &Version) -> bool {
        self.contains_with_prereleases(version, None)
    }

    /// packaging's `SpecifierSet.contains(version, prereleases)`: `Some(false)` keeps
    /// pre-releases out; `None` and `Some(true)` let them in.
    pub fn contains_with_prereleases(&self, version: &Version, prereleases: Option<bool>) -> bool {
        if version.is_prerelease() && prereleases == Some(false) {
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

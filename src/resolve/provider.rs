//! What the solver asks of the world and what it gives back: the [`Provider`] of
//! versions and dependencies, the [`Options`] that steer its choices, and the
//! [`Resolution`] it finds.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Mutex, PoisonError};

use crate::standards::marker::{MarkerEnvironment, write_quoted};
use crate::standards::name::{ExtraName, PackageName};
use crate::standards::requirement::{Requirement, RequirementParseError, VersionOrUrl};
use crate::standards::specifier::VersionSpecifiers;
use crate::standards::version::Version;

/// Where projects, versions and dependencies come from: an index, a cache, or a
/// table in tests.
pub trait Provider {
    type Error: fmt::Display;
    /// Candidate versions of a project, best first (the provider already dropped files
    /// that do not fit: wrong tags, Requires-Python, yanked unless pinned with ==).
    fn versions(&self, name: &PackageName) -> Result<Vec<Version>, Self::Error>;
    /// Requires-Dist of one version, as written (markers not yet evaluated), or why
    /// that version turned out unusable once its metadata was read: the resolver
    /// then goes on to the next version, as it does after a conflict.
    fn dependencies(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Dependencies, Self::Error>;
    /// The versions [`Provider::versions`] left out and why, newest first, asked
    /// only to explain a requirement that no candidate satisfies. Default: none.
    fn unusable(&self, _name: &PackageName) -> Vec<(Version, Unusable)> {
        Vec::new()
    }
    /// A hint that these projects will be asked for soon, so a provider can fetch
    /// them in parallel, and through `lookahead` the projects their likely versions
    /// require, and so on down: the resolver meets a dependency tree level by level,
    /// but its fetches need not wait for a level to end. Default: nothing.
    fn prefetch(&self, _hints: &[Hint], _lookahead: Lookahead<'_>) {}
}

/// What a provider learned of one version from its metadata.
#[derive(Clone, Debug)]
pub enum Dependencies {
    /// Its requirements, as written.
    Known(Vec<Requirement>),
    /// It cannot be installed here.
    Unusable(Unusable),
}

/// Why a version cannot be installed here. Each reads after the version it is
/// about: `django 6.1.3 requires Python >=3.12 (the interpreter is Python 3.11.2)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unusable {
    /// Its Requires-Python excludes the interpreter.
    RequiresPython {
        requires: VersionSpecifiers,
        python: Version,
    },
    /// Every file of it is yanked (PEP 592), with the index's reason for the first.
    Yanked { reason: String },
    /// No wheel fits the interpreter and there is no sdist to build one from.
    NoWheel,
    /// No wheel fits the interpreter, and its sdist may not be built (`--only-binary`).
    OnlyBinary,
    /// It has wheels only, and its wheels may not be used (`--no-binary`).
    NoBinary,
    /// A line of its Requires-Dist does not parse.
    InvalidRequirement(Box<RequirementParseError>),
}

/// How much of an index's yank reason an explanation quotes.
const REASON_SHOWN: usize = 200;

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unusable::RequiresPython { requires, python } => write!(
                f,
                "requires Python {requires} (the interpreter is Python {python})"
            ),
            Unusable::Yanked { reason } if reason.is_empty() => f.write_str("is yanked"),
            Unusable::Yanked { reason } => {
                // The index's words: shown short and with control characters escaped.
                let short: String = reason.chars().take(REASON_SHOWN).collect();
                f.write_str("is yanked (reason: ")?;
                write_quoted(f, &short)?;
                f.write_str(if short.len() < reason.len() {
                    "…)"
                } else {
                    ")"
                })
            }
            Unusable::NoWheel => f.write_str("has no wheel for this interpreter and no sdist"),
            Unusable::OnlyBinary => f.write_str(
                "has no wheel for this interpreter, and --only-binary forbids building its sdist",
            ),
            Unusable::NoBinary => {
                f.write_str("has no sdist, and --no-binary forbids installing its wheels")
            }
            Unusable::InvalidRequirement(error) => {
                write!(f, "has an invalid Requires-Dist: {}", error.summary())
            }
        }
    }
}

/// A project the resolver has just met, with what it knows so far of the version it
/// will choose: enough for a provider to start on that version's dependencies early
/// (for an sdist, its build), instead of when the resolver gets there.
#[derive(Clone, Debug)]
pub struct Hint {
    pub name: PackageName,
    /// The requirements on it met so far, and its constraints.
    pub(super) specifiers: VersionSpecifiers,
    /// The installed version, which the resolver keeps where it fits.
    pub(super) preferred: Option<Version>,
    /// `--pre`.
    pub(super) prereleases: bool,
    /// The extras asked of it, whose requirements count too.
    pub(super) extras: Vec<ExtraName>,
}

impl Hint {
    /// The version the resolver will choose among `versions` (best first) unless
    /// requirements it has not met yet rule it out: its own rule (the installed
    /// version, else the best final release, else the best pre-release) applied to
    /// what it knows now.
    pub fn likely<'v>(&self, versions: &'v [Version]) -> Option<&'v Version> {
        let preferred = versions.iter().find(|v| {
            Some(*v) == self.preferred.as_ref()
                && self.specifiers.contains_with_prereleases(v, Some(true))
        });
        preferred.or_else(|| {
            let prereleases = self.prereleases.then_some(true);
            let allowed = self
                .specifiers
                .filter_with_prereleases(versions, prereleases);
            allowed.first().copied()
        })
    }
}

/// The resolver's rules for following a hint to the projects its likely version
/// requires: which requirements count (markers, extras), and what is known of each
/// project (constraints, installed versions). Each project, with its extras, is
/// followed once in a resolution.
#[derive(Clone, Copy)]
pub struct Lookahead<'a> {
    env: &'a MarkerEnvironment,
    options: &'a Options,
    constraints: &'a HashMap<PackageName, VersionSpecifiers>,
    followed: &'a Mutex<HashSet<(PackageName, Vec<ExtraName>)>>,
    deep: bool,
}

/// Projects followed ahead of the resolver in one resolution at most: past this,
/// a guess gone wrong costs more than waiting for the resolver's own questions.
const MAX_FOLLOWED: usize = 2_000;

impl<'a> Lookahead<'a> {
    pub(super) fn new(
        env: &'a MarkerEnvironment,
        options: &'a Options,
        constraints: &'a HashMap<PackageName, VersionSpecifiers>,
        followed: &'a Mutex<HashSet<(PackageName, Vec<ExtraName>)>>,
    ) -> Lookahead<'a> {
        Lookahead {
            env,
            options,
            constraints,
            followed,
            deep: true,
        }
    }

    /// This lookahead, stopping at the hints themselves: for a provider whose
    /// versions require nothing (`--no-deps`).
    pub fn shallow(self) -> Lookahead<'a> {
        Lookahead {
            deep: false,
            ..self
        }
    }

    /// One hint per project `wanted` names, with every specifier on it there and in
    /// the constraints, and every extra asked.
    pub(super) fn hints(&self, wanted: &[&Requirement]) -> Vec<Hint> {
        let mut hints: Vec<Hint> = Vec::new();
        for requirement in wanted {
            let name = &requirement.name;
            if hints.iter().any(|h| &h.name == name) {
                continue;
            }
            let same = || wanted.iter().filter(|r| &r.name == name);
            let specifiers = same()
                .filter_map(|r| match &r.version_or_url {
                    Some(VersionOrUrl::VersionSpecifier(specifiers)) => Some(specifiers),
                    _ => None,
                })
                .chain(self.constraints.get(name))
                .flat_map(VersionSpecifiers::iter)
                .cloned()
                .collect();
            let mut extras: Vec<ExtraName> = same().flat_map(|r| r.extras.clone()).collect();
            extras.sort();
            extras.dedup();
            hints.push(Hint {
                name: name.clone(),
                specifiers,
                preferred: self.options.preferences.get(name).cloned(),
                prereleases: self.options.prereleases,
                extras,
            });
        }
        hints
    }

    /// Marks `hints` followed, so that no lookahead follows them again.
    pub(super) fn mark(&self, hints: &[Hint]) {
        let mut followed = self.followed.lock().unwrap_or_else(PoisonError::into_inner);
        followed.extend(hints.iter().map(|h| (h.name.clone(), h.extras.clone())));
    }

    /// The projects to follow next from `hint`, given the requirements of its likely
    /// version: those whose markers hold here (with the hint's extras), not
    /// followed yet. A requirement by URL is left to the resolver, which refuses it.
    pub fn after(&self, hint: &Hint, requirements: &[Requirement]) -> Vec<Hint> {
        if !self.deep {
            return Vec::new();
        }
        let wanted: Vec<&Requirement> = requirements
            .iter()
            .filter(|r| !matches!(r.version_or_url, Some(VersionOrUrl::Url(_))))
            .filter(|r| {
                r.marker
                    .as_ref()
                    .is_none_or(|m| m.evaluate(self.env, &hint.extras))
            })
            .collect();
        let mut followed = self.followed.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = self.hints(&wanted);
        next.retain(|h| {
            followed.len() < MAX_FOLLOWED && followed.insert((h.name.clone(), h.extras.clone()))
        });
        next
    }
}

/// Enough for real dependency sets many times over; a pathological one stops here
/// instead of hanging the installer.
pub const DEFAULT_MAX_STEPS: usize = 100_000;

/// What the resolver may choose, beyond the requirements themselves.
#[derive(Clone, Debug)]
pub struct Options {
    /// `--pre`: pre-releases compete with final releases everywhere.
    pub prereleases: bool,
    /// Restrict a project's versions if it is installed; never add a project.
    pub constraints: Vec<Requirement>,
    /// Installed versions, kept when the requirements allow them, so an install
    /// changes as little as it can; an installed pre-release is kept too, as pip
    /// keeps it, since choosing it was settled when it was installed.
    pub preferences: HashMap<PackageName, Version>,
    /// Decisions plus conflict resolution steps before giving up.
    pub max_steps: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            prereleases: false,
            constraints: Vec::new(),
            preferences: HashMap::new(),
            max_steps: DEFAULT_MAX_STEPS,
        }
    }
}

/// The chosen versions, sorted by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    pub packages: Vec<Resolved>,
}

/// One project of a [`Resolution`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub name: PackageName,
    pub version: Version,
    /// The extras whose dependencies were installed, sorted.
    pub extras: Vec<ExtraName>,
    /// Whether a root requirement names it.
    pub requested: bool,
    /// The projects whose chosen versions depend on it, sorted (the root excluded:
    /// see `requested`).
    pub why: Vec<PackageName>,
}

//! Dependency resolution: one version of each project such that every requirement
//! holds, or an explanation a person can follow of why no such set exists.
//!
//! The resolver is pure: everything it learns about projects comes through
//! [`Provider`], which does the I/O (and may fetch in parallel on a
//! [`Provider::prefetch`] hint). Each version list and each dependency list is asked
//! for at most once.
//!
//! # Algorithm
//!
//! PubGrub (Natalie Weizenbaum, 2018; the solver of Dart's pub, pubgrub-rs and uv),
//! which is conflict-driven clause learning over version sets. The state is a
//! *partial solution*, a list of assignments "project p is (not) in set S", each
//! either a *decision* (p is version v) or a *derivation* forced by an
//! *incompatibility*, a set of terms that must not all hold at once ("app 1.0 and
//! not b<2" says app 1.0 depends on b<2). The loop:
//!
//! 1. *Unit propagation*: an incompatibility whose terms all hold but one forces
//!    the negation of that one. If all hold, there is a conflict: *conflict
//!    resolution* combines it with the causes of its most recent assignments until
//!    the result points at an earlier decision level, records it as a new (learned)
//!    incompatibility and jumps back to that level. Learning means a dead end is
//!    never explored twice in another guise, and backjumping skips decisions that
//!    had nothing to do with the conflict, which is what keeps classic cases (the
//!    newest versions conflicting several levels down) from exploding as they do
//!    under chronological backtracking.
//! 2. *Decision*: among projects that must be installed but have no version yet,
//!    take the one with the fewest candidates left (most constrained first) and
//!    its best candidate; fetch that version's dependencies and add them as
//!    incompatibilities. The version is decided only if none of them already
//!    conflicts; otherwise propagation rules it out and the loop goes on.
//! 3. No project left to decide: the decisions are the solution. A conflict that
//!    resolves to "root cannot be installed" means there is none, and the chain of
//!    resolutions that led there is the explanation, printed as pubgrub-rs does.
//!
//! The search is complete: it finds a solution whenever one exists among the
//! candidates, up to [`Options::max_steps`] steps (decisions plus conflict
//! resolution steps), after which it gives up rather than run for ever.
//!
//! # Traps
//!
//! - Specifiers are not intervals: `!=1.5`, `==1.*`, `===` and local labels make
//!   unions and complements of ranges awkward and easy to get wrong. Every set
//!   here is a bitset over the candidates the provider listed, so set algebra is
//!   exact; the price is fetching a project's version list when it is first
//!   named, which a resolver must do anyway.
//! - Extras: `a[x]` is a virtual project with the same candidates as `a`, whose
//!   version `V` depends on `a==V` (that exact candidate) plus the requirements of
//!   `a V` whose markers hold with extra `x` but not without extras. `a` and `a[x]`
//!   thus always share one version, and extras of extras (`a[all]` requiring
//!   `a[x]`) fall out of the same rule.
//! - Markers are evaluated when a dependency list is read: with no extras for a
//!   project, with its extra for the virtual project. Root requirements whose
//!   markers are false are dropped; so are constraints.
//! - Pre-releases (PEP 440) are in every project's candidate set, because whether
//!   one may be chosen depends on which requirements end up active, which no fixed
//!   set can express. The rule is applied when choosing a version instead: a
//!   pre-release is taken when `--pre` is on, or an active requirement on the
//!   project (or a constraint) names a pre-release, or no final release satisfies
//!   the active requirements (packaging's `filter` fallback). When final releases
//!   remain by the specifiers but every one of them has been ruled out by a
//!   conflict, the best pre-release left is taken as a last resort, as uv does
//!   (pip would report no solution); such projects are decided after all others.
//! - A version that depends on itself is handled as one term: harmless when it
//!   satisfies its own requirement, otherwise that version is unusable.
//! - A requirement no candidate satisfies is the incompatibility "the requiring
//!   version cannot be installed", which keeps the requirement for explanations.
//! - The same dependency of several versions of a project is merged into one
//!   incompatibility (`a >=1.0,<3.0 depends on b>=2`), as pubgrub-rs does: one
//!   conflict then rules out all those versions at once, and explanations stay
//!   short.
//! - Backjumping never goes below the root's decision (level 1), and a version
//!   tried again after backtracking reuses the dependencies added the first time.
//! - Direct URL requirements (`name @ url`) are not resolved here: the caller pins
//!   them to a version before resolving (a root `name @ url` becomes `name==V`
//!   served by its provider). Meeting one is [`ResolveError::Url`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::rc::Rc;

use crate::standards::marker::MarkerEnvironment;
use crate::standards::name::{ExtraName, PackageName};
use crate::standards::requirement::{Requirement, VersionOrUrl};
use crate::standards::specifier::{
    Operator, SpecifierVersion, VersionSpecifier, VersionSpecifiers,
};
use crate::standards::version::Version;

/// Where projects, versions and dependencies come from: an index, a cache, or a
/// table in tests.
pub trait Provider {
    type Error: fmt::Display;
    /// Candidate versions of a project, best first (the provider already dropped files
    /// that do not fit: wrong tags, Requires-Python, yanked unless pinned with ==).
    fn versions(&self, name: &PackageName) -> Result<Vec<Version>, Self::Error>;
    /// Requires-Dist of one version, as written (markers not yet evaluated).
    fn dependencies(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Vec<Requirement>, Self::Error>;
    /// A hint that these projects will be asked for soon, so a provider can fetch
    /// them (and the dependencies of their likely versions) in parallel. Default: nothing.
    fn prefetch(&self, _hints: &[Hint]) {}
}

/// A project the resolver has just met, with what it knows so far of the version it
/// will choose: enough for a provider to start on that version's dependencies early
/// (for an sdist, its build), instead of when the resolver gets there.
#[derive(Clone, Debug)]
pub struct Hint {
    pub name: PackageName,
    /// The requirements on it met so far, and its constraints.
    specifiers: VersionSpecifiers,
    /// The installed version, which the resolver keeps where it fits.
    preferred: Option<Version>,
    /// `--pre`.
    prereleases: bool,
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

/// One step of a chain from the root requirements down to a project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub name: PackageName,
    /// Set when the step is the project with one of its extras.
    pub extra: Option<ExtraName>,
    pub version: Version,
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.extra {
            Some(extra) => write!(f, "{}[{extra}] {}", self.name, self.version),
            None => write!(f, "{} {}", self.name, self.version),
        }
    }
}

/// Prints `root -> a 1.0 -> b 2.0`.
struct Chain<'a>(&'a [Link]);

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("root")?;
        for link in self.0 {
            write!(f, " -> {link}")?;
        }
        Ok(())
    }
}

/// Why resolution failed. Chains start below the root requirements: an empty
/// chain means a root requirement itself.
#[derive(Debug)]
pub enum ResolveError<E> {
    /// The requirements conflict; the text explains how, step by step.
    NoSolution(String),
    /// A requirement that no candidate satisfies, reached through `chain` alone.
    NoVersions {
        name: PackageName,
        specifiers: VersionSpecifiers,
        chain: Vec<Link>,
    },
    /// The provider failed while resolving the last link of `chain` (or a project
    /// it requires).
    Provider(E, Vec<Link>),
    /// A direct URL requirement, which the caller must pin before resolving.
    Url {
        name: PackageName,
        url: String,
        chain: Vec<Link>,
    },
    /// The search took more than [`Options::max_steps`] steps.
    TooComplex { steps: usize },
}

impl<E: fmt::Display> fmt::Display for ResolveError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveError::NoSolution(explanation) => {
                write!(f, "no solution found:\n{explanation}")
            }
            ResolveError::NoVersions {
                name,
                specifiers,
                chain,
            } => {
                if specifiers.is_empty() {
                    write!(f, "no version of {name} is available")?;
                } else {
                    write!(f, "no version of {name} satisfies {specifiers}")?;
                }
                write!(f, " (required by {})", Chain(chain))
            }
            ResolveError::Provider(error, chain) => {
                write!(f, "{error} (while resolving {})", Chain(chain))
            }
            ResolveError::Url { name, url, chain } => write!(
                f,
                "{name} @ {url} (required by {}) is a direct URL requirement: \
                 pin it to a version before resolving",
                Chain(chain)
            ),
            ResolveError::TooComplex { steps } => write!(
                f,
                "gave up after {steps} resolution steps: the requirements leave too many \
                 combinations to try; narrow them or add constraints"
            ),
        }
    }
}

impl<E: fmt::Display + fmt::Debug> std::error::Error for ResolveError<E> {}

/// Chooses one version of every project the root requirements need, directly or
/// not, so that every requirement and constraint holds in `env`.
pub fn resolve<P: Provider>(
    root: &[Requirement],
    env: &MarkerEnvironment,
    provider: &P,
    options: &Options,
) -> Result<Resolution, ResolveError<P::Error>> {
    let mut solver = Solver::new(root, env, provider, options)?;
    match solver.run() {
        Ok(()) => Ok(solver.resolution()),
        Err(Failure::Conflict(id)) => Err(solver.graph().explain(id)),
        Err(Failure::Provider(error, chain)) => Err(ResolveError::Provider(error, chain)),
        Err(Failure::Url { name, url, chain }) => Err(ResolveError::Url { name, url, chain }),
        Err(Failure::TooComplex) => Err(ResolveError::TooComplex {
            steps: solver.steps,
        }),
    }
}

/// A set of candidates of one project, by index in its candidate list.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Set {
    words: Vec<u64>,
    len: usize,
}

impl Set {
    fn empty(len: usize) -> Set {
        Set {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    fn full(len: usize) -> Set {
        Set {
            words: vec![!0; len.div_ceil(64)],
            len,
        }
        .trimmed()
    }

    fn single(len: usize, index: usize) -> Set {
        let mut set = Set::empty(len);
        if let Some(word) = set.words.get_mut(index / 64) {
            *word |= 1 << (index % 64);
        }
        set
    }

    fn from_fn(len: usize, mut member: impl FnMut(usize) -> bool) -> Set {
        let mut set = Set::empty(len);
        for index in (0..len).filter(|&i| member(i)) {
            set.words[index / 64] |= 1 << (index % 64);
        }
        set
    }

    /// Clears the bits past `len`, so equal sets have equal words.
    fn trimmed(mut self) -> Set {
        let spare = self.words.len() * 64 - self.len;
        if let Some(last) = self.words.last_mut().filter(|_| spare > 0) {
            *last &= !0 >> spare;
        }
        self
    }

    fn zip(&self, other: &Set, op: impl Fn(u64, u64) -> u64) -> Set {
        Set {
            words: self
                .words
                .iter()
                .zip(&other.words)
                .map(|(a, b)| op(*a, *b))
                .collect(),
            len: self.len,
        }
    }

    fn and(&self, other: &Set) -> Set {
        self.zip(other, |a, b| a & b)
    }

    fn or(&self, other: &Set) -> Set {
        self.zip(other, |a, b| a | b)
    }

    fn minus(&self, other: &Set) -> Set {
        self.zip(other, |a, b| a & !b)
    }

    fn complement(&self) -> Set {
        Set {
            words: self.words.iter().map(|w| !w).collect(),
            len: self.len,
        }
        .trimmed()
    }

    fn contains(&self, index: usize) -> bool {
        self.words
            .get(index / 64)
            .is_some_and(|w| w >> (index % 64) & 1 == 1)
    }

    fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The best member, candidates being listed best first.
    fn first(&self) -> Option<usize> {
        self.words
            .iter()
            .enumerate()
            .find(|(_, w)| **w != 0)
            .map(|(i, w)| i * 64 + w.trailing_zeros() as usize)
    }
}

/// "p is in S" or "p is not in S"; the negative form also holds when p is not
/// installed at all, which is why both forms are needed.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Term {
    Pos(Set),
    Neg(Set),
}

impl Term {
    fn any(len: usize) -> Term {
        Term::Neg(Set::empty(len))
    }

    fn is_any(&self) -> bool {
        matches!(self, Term::Neg(set) if set.is_empty())
    }

    fn negate(&self) -> Term {
        match self {
            Term::Pos(set) => Term::Neg(set.clone()),
            Term::Neg(set) => Term::Pos(set.clone()),
        }
    }

    fn intersect(&self, other: &Term) -> Term {
        match (self, other) {
            (Term::Pos(a), Term::Pos(b)) => Term::Pos(a.and(b)),
            (Term::Pos(a), Term::Neg(b)) | (Term::Neg(b), Term::Pos(a)) => Term::Pos(a.minus(b)),
            (Term::Neg(a), Term::Neg(b)) => Term::Neg(a.or(b)),
        }
    }

    fn union(&self, other: &Term) -> Term {
        self.negate().intersect(&other.negate()).negate()
    }

    fn subset_of(&self, other: &Term) -> bool {
        self.intersect(other) == *self
    }

    fn disjoint(&self, other: &Term) -> bool {
        matches!(self.intersect(other), Term::Pos(set) if set.is_empty())
    }
}

type Pkg = usize;
type IncId = usize;

/// The root requirements, as a project with a single version.
const ROOT: Pkg = 0;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Root,
    Base(PackageName),
    Extra(PackageName, ExtraName),
}

struct Package {
    key: Key,
    /// The project itself, or for `a[x]` the project `a`.
    base: Pkg,
    /// Shared between a project and its extras.
    versions: Rc<[Version]>,
    /// Domain size: the number of candidates (one for the root).
    len: usize,
    /// Candidates that are not pre-releases.
    finals: Set,
    /// Whether a constraint on the project names a pre-release.
    constraint_admits: bool,
    /// The virtual projects `a[x]` of this project.
    extras: Vec<Pkg>,
    /// The intersection of the project's assignments.
    term: Term,
    assignments: Vec<usize>,
    decided: Option<usize>,
    /// The incompatibilities that mention the project, oldest first.
    incompats: Vec<IncId>,
}

struct Incompat {
    /// Sorted by project, one term each; never a term that always holds.
    terms: Vec<(Pkg, Term)>,
    cause: Cause,
}

enum Cause {
    /// The root must be installed.
    Root,
    /// The parent's versions in its term depend on `child` in `allowed`.
    Dependency {
        parent: Pkg,
        child: Pkg,
        specifiers: VersionSpecifiers,
        allowed: Set,
        admits: bool,
    },
    /// The constraints rule out the versions in the term.
    Constraint { specifiers: VersionSpecifiers },
    /// Learned from two others by conflict resolution.
    Derived(IncId, IncId),
}

struct Assignment {
    pkg: Pkg,
    term: Term,
    level: usize,
    /// `None` for a decision.
    cause: Option<IncId>,
}

enum Relation {
    Satisfied,
    Contradicted,
    /// Every term holds but this project's.
    Almost(Pkg),
    Inconclusive,
}

enum Failure<E> {
    Conflict(IncId),
    Provider(E, Vec<Link>),
    Url {
        name: PackageName,
        url: String,
        chain: Vec<Link>,
    },
    TooComplex,
}

/// One evaluated requirement of a version on a project (or virtual project).
struct Dependency {
    child: Pkg,
    specifiers: VersionSpecifiers,
    allowed: Set,
    admits: bool,
}

/// A version choice for a project, and how urgently to make it.
struct Choice {
    index: usize,
    count: usize,
    last_resort: bool,
}

struct Solver<'a, P: Provider> {
    provider: &'a P,
    env: &'a MarkerEnvironment,
    options: &'a Options,
    root: Rc<[Requirement]>,
    constraints: HashMap<PackageName, VersionSpecifiers>,
    packages: Vec<Package>,
    ids: HashMap<Key, Pkg>,
    incompats: Vec<Incompat>,
    /// Incompatibilities seen contradicted, which they stay until backtracking
    /// below the level they were seen at: skipped by propagation.
    contradicted: Vec<bool>,
    /// The same, with their levels, in the order seen (so by level).
    contradicted_at: Vec<(IncId, usize)>,
    /// Dependency incompatibilities by (parent, child), for merging.
    dependency_index: HashMap<(Pkg, Pkg), Vec<IncId>>,
    assignments: Vec<Assignment>,
    level: usize,
    /// The provider's dependency lists, by project and candidate.
    requirements: HashMap<(Pkg, usize), Rc<[Requirement]>>,
    /// The projects each tried version depends on; also records which versions
    /// have their dependencies added already.
    children: HashMap<(Pkg, usize), Vec<Pkg>>,
    steps: usize,
}

impl<'a, P: Provider> Solver<'a, P> {
    fn new(
        root: &[Requirement],
        env: &'a MarkerEnvironment,
        provider: &'a P,
        options: &'a Options,
    ) -> Result<Self, ResolveError<P::Error>> {
        let mut constraints: HashMap<PackageName, VersionSpecifiers> = HashMap::new();
        for constraint in &options.constraints {
            if !constraint
                .marker
                .as_ref()
                .is_none_or(|m| m.evaluate(env, &[]))
            {
                continue;
            }
            match &constraint.version_or_url {
                Some(VersionOrUrl::Url(url)) => {
                    return Err(ResolveError::Url {
                        name: constraint.name.clone(),
                        url: url.clone(),
                        chain: Vec::new(),
                    });
                }
                Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
                    let entry = constraints.entry(constraint.name.clone()).or_default();
                    *entry = entry.iter().chain(specifiers.iter()).cloned().collect();
                }
                None => {}
            }
        }
        let root_package = Package {
            key: Key::Root,
            base: ROOT,
            versions: Rc::from(Vec::new()),
            len: 1,
            finals: Set::full(1),
            constraint_admits: false,
            extras: Vec::new(),
            term: Term::any(1),
            assignments: Vec::new(),
            decided: None,
            incompats: Vec::new(),
        };
        Ok(Solver {
            provider,
            env,
            options,
            root: Rc::from(root.to_vec()),
            constraints,
            packages: vec![root_package],
            ids: HashMap::from([(Key::Root, ROOT)]),
            incompats: Vec::new(),
            contradicted: Vec::new(),
            contradicted_at: Vec::new(),
            dependency_index: HashMap::new(),
            assignments: Vec::new(),
            level: 0,
            requirements: HashMap::new(),
            children: HashMap::new(),
            steps: 0,
        })
    }

    fn run(&mut self) -> Result<(), Failure<P::Error>> {
        let id = self.push(Incompat {
            terms: vec![(ROOT, Term::Neg(Set::full(1)))],
            cause: Cause::Root,
        });
        self.register(id);
        let mut next = ROOT;
        loop {
            self.propagate(next)?;
            let Some((pkg, index)) = self.pick() else {
                return Ok(());
            };
            self.step()?;
            if !self.children.contains_key(&(pkg, index)) {
                self.add_dependencies(pkg, index)?;
            }
            if !self.dependencies_conflict(pkg, index) {
                self.decide(pkg, index);
            }
            next = pkg;
        }
    }

    fn step(&mut self) -> Result<(), Failure<P::Error>> {
        self.steps += 1;
        if self.steps > self.options.max_steps {
            return Err(Failure::TooComplex);
        }
        Ok(())
    }

    fn push(&mut self, incompat: Incompat) -> IncId {
        self.incompats.push(incompat);
        self.contradicted.push(false);
        self.incompats.len() - 1
    }

    fn register(&mut self, id: IncId) {
        for (pkg, _) in &self.incompats[id].terms {
            self.packages[*pkg].incompats.push(id);
        }
    }

    fn unregister(&mut self, id: IncId) {
        for (pkg, _) in &self.incompats[id].terms {
            self.packages[*pkg].incompats.retain(|&other| other != id);
        }
    }

    fn term_of(&self, id: IncId, pkg: Pkg) -> Option<&Term> {
        self.incompats[id]
            .terms
            .iter()
            .find(|(p, _)| *p == pkg)
            .map(|(_, term)| term)
    }

    // Partial solution.

    fn assign(&mut self, pkg: Pkg, term: Term, cause: Option<IncId>) {
        let package = &mut self.packages[pkg];
        package.term = package.term.intersect(&term);
        package.assignments.push(self.assignments.len());
        self.assignments.push(Assignment {
            pkg,
            term,
            level: self.level,
            cause,
        });
    }

    fn decide(&mut self, pkg: Pkg, index: usize) {
        self.level += 1;
        let len = self.packages[pkg].len;
        self.assign(pkg, Term::Pos(Set::single(len, index)), None);
        self.packages[pkg].decided = Some(index);
    }

    /// Adds the negation of `pkg`'s term in `id`, which holds because all of
    /// `id`'s other terms do.
    fn derive(&mut self, pkg: Pkg, id: IncId) {
        if let Some(term) = self.term_of(id, pkg).map(Term::negate) {
            self.assign(pkg, term, Some(id));
        }
    }

    fn backtrack(&mut self, level: usize) {
        let mut dirty = Vec::new();
        while self.assignments.last().is_some_and(|a| a.level > level) {
            if let Some(assignment) = self.assignments.pop() {
                let package = &mut self.packages[assignment.pkg];
                package.assignments.pop();
                if assignment.cause.is_none() {
                    package.decided = None;
                }
                dirty.push(assignment.pkg);
            }
        }
        dirty.sort_unstable();
        dirty.dedup();
        for pkg in dirty {
            let package = &self.packages[pkg];
            let term = package
                .assignments
                .iter()
                .fold(Term::any(package.len), |acc, &a| {
                    acc.intersect(&self.assignments[a].term)
                });
            self.packages[pkg].term = term;
        }
        self.level = level;
        while self
            .contradicted_at
            .last()
            .is_some_and(|(_, at)| *at > level)
        {
            if let Some((id, _)) = self.contradicted_at.pop() {
                self.contradicted[id] = false;
            }
        }
    }

    fn mark_contradicted(&mut self, id: IncId) {
        self.contradicted[id] = true;
        self.contradicted_at.push((id, self.level));
    }

    /// How `id` stands against the partial solution, with `pkg` taken as
    /// `term` if given.
    fn relation(&self, id: IncId, replace: Option<(Pkg, &Term)>) -> Relation {
        let mut almost = None;
        for (pkg, term) in &self.incompats[id].terms {
            let current = match replace {
                Some((p, t)) if p == *pkg => t,
                _ => &self.packages[*pkg].term,
            };
            if current.subset_of(term) {
                continue;
            }
            if current.disjoint(term) {
                return Relation::Contradicted;
            }
            if almost.is_some() {
                return Relation::Inconclusive;
            }
            almost = Some(*pkg);
        }
        match almost {
            None => Relation::Satisfied,
            Some(pkg) => Relation::Almost(pkg),
        }
    }

    fn propagate(&mut self, start: Pkg) -> Result<(), Failure<P::Error>> {
        let mut queue = vec![start];
        while let Some(pkg) = queue.pop() {
            let mut conflict = None;
            // Newest first: learned incompatibilities prune the most.
            for i in (0..self.packages[pkg].incompats.len()).rev() {
                let id = self.packages[pkg].incompats[i];
                if self.contradicted[id] {
                    continue;
                }
                match self.relation(id, None) {
                    Relation::Satisfied => {
                        conflict = Some(id);
                        break;
                    }
                    Relation::Almost(other) => {
                        self.derive(other, id);
                        self.mark_contradicted(id);
                        if !queue.contains(&other) {
                            queue.push(other);
                        }
                    }
                    Relation::Contradicted => self.mark_contradicted(id),
                    Relation::Inconclusive => {}
                }
            }
            if let Some(id) = conflict {
                let (learned, other) = self.resolve_conflict(id)?;
                queue.clear();
                queue.push(other);
                self.derive(other, learned);
                self.mark_contradicted(learned);
            }
        }
        Ok(())
    }

    fn is_terminal(&self, id: IncId) -> bool {
        match self.incompats[id].terms.as_slice() {
            [] => true,
            [(pkg, Term::Pos(_))] => *pkg == ROOT,
            _ => false,
        }
    }

    /// Turns a satisfied incompatibility into one that, after backjumping, forces
    /// a new derivation; or fails when it comes down to the root.
    fn resolve_conflict(&mut self, mut id: IncId) -> Result<(IncId, Pkg), Failure<P::Error>> {
        let mut learned = false;
        loop {
            if self.is_terminal(id) {
                return Err(Failure::Conflict(id));
            }
            self.step()?;
            let Some((satisfier, previous)) = self.satisfiers(id) else {
                return Err(Failure::Conflict(id));
            };
            let assignment = &self.assignments[satisfier];
            let pkg = assignment.pkg;
            // Never below the root's decision, which holds in every solution.
            let previous_level = previous.map_or(0, |i| self.assignments[i].level).max(1);
            match assignment.cause {
                Some(cause) if previous_level >= assignment.level => {
                    let terms = self.prior_cause(id, cause, pkg);
                    id = self.push(Incompat {
                        terms,
                        cause: Cause::Derived(id, cause),
                    });
                    learned = true;
                }
                _ => {
                    self.backtrack(previous_level);
                    if learned {
                        self.register(id);
                    }
                    return Ok((id, pkg));
                }
            }
        }
    }

    /// The assignment that made `id` satisfied (the latest of the earliest
    /// assignments satisfying each term), and the latest assignment before it
    /// that `id` also needs.
    fn satisfiers(&self, id: IncId) -> Option<(usize, Option<usize>)> {
        let terms = &self.incompats[id].terms;
        let mut found = Vec::with_capacity(terms.len());
        for (pkg, term) in terms {
            let package = &self.packages[*pkg];
            let mut acc = Term::any(package.len);
            let at = package.assignments.iter().find(|&&a| {
                acc = acc.intersect(&self.assignments[a].term);
                acc.subset_of(term)
            })?;
            found.push((*pkg, *at, term));
        }
        let &(pkg, satisfier, term) = found.iter().max_by_key(|(_, at, _)| *at)?;
        let mut previous = found
            .iter()
            .filter(|(p, _, _)| *p != pkg)
            .map(|(_, at, _)| *at)
            .max();
        let mut acc = self.assignments[satisfier].term.clone();
        if !acc.subset_of(term) {
            let earlier = self.packages[pkg]
                .assignments
                .iter()
                .take_while(|&&a| a < satisfier)
                .find(|&&a| {
                    acc = acc.intersect(&self.assignments[a].term);
                    acc.subset_of(term)
                });
            previous = previous.max(earlier.copied());
        }
        Some((satisfier, previous))
    }

    /// The resolvent of `id` and `cause` on `pkg`: what must hold whatever
    /// `pkg` is.
    fn prior_cause(&self, id: IncId, cause: IncId, pkg: Pkg) -> Vec<(Pkg, Term)> {
        let mut terms: BTreeMap<Pkg, Term> = BTreeMap::new();
        for (p, term) in self.incompats[id]
            .terms
            .iter()
            .chain(&self.incompats[cause].terms)
        {
            match terms.get_mut(p) {
                Some(existing) if *p == pkg => *existing = existing.union(term),
                Some(existing) => *existing = existing.intersect(term),
                None => {
                    terms.insert(*p, term.clone());
                }
            }
        }
        terms.into_iter().filter(|(_, t)| !t.is_any()).collect()
    }

    // Decisions.

    /// The undecided project with the fewest versions left, and its version.
    fn pick(&self) -> Option<(Pkg, usize)> {
        let mut best: Option<((bool, usize, Pkg), usize)> = None;
        for (pkg, package) in self.packages.iter().enumerate() {
            if package.decided.is_some() {
                continue;
            }
            let Term::Pos(range) = &package.term else {
                continue;
            };
            let Some(choice) = self.choose(pkg, range) else {
                continue;
            };
            let key = (choice.last_resort, choice.count, pkg);
            if best.as_ref().is_none_or(|(k, _)| key < *k) {
                best = Some((key, choice.index));
            }
        }
        best.map(|((_, _, pkg), index)| (pkg, index))
    }

    fn choose(&self, pkg: Pkg, range: &Set) -> Option<Choice> {
        // A project and its extras share one version.
        if let Some(index) = self.twin_version(pkg).filter(|&i| range.contains(i)) {
            return Some(Choice {
                index,
                count: 1,
                last_resort: false,
            });
        }
        let package = &self.packages[pkg];
        let finals = range.and(&package.finals);
        let (allowed, last_resort) =
            if finals == *range || self.options.prereleases || self.explicit_prereleases(pkg) {
                (range.clone(), false)
            } else if !finals.is_empty() {
                (finals, false)
            } else {
                (range.clone(), self.specifiers_allow_finals(pkg))
            };
        let index = self
            .preferred(pkg)
            .filter(|&i| range.contains(i))
            .or_else(|| allowed.first())?;
        Some(Choice {
            index,
            count: allowed.count(),
            last_resort,
        })
    }

    fn twin_version(&self, pkg: Pkg) -> Option<usize> {
        let package = &self.packages[pkg];
        match package.key {
            Key::Root => None,
            Key::Base(_) => package
                .extras
                .iter()
                .find_map(|&e| self.packages[e].decided),
            Key::Extra(..) => self.packages[package.base].decided,
        }
    }

    fn preferred(&self, pkg: Pkg) -> Option<usize> {
        let package = &self.packages[pkg];
        let (Key::Base(name) | Key::Extra(name, _)) = &package.key else {
            return None;
        };
        let version = self.options.preferences.get(name)?;
        package.versions.iter().position(|v| v == version)
    }

    /// The dependencies on `pkg` of decided versions: the requirements that
    /// apply now, with their allowed sets and whether they name a pre-release.
    fn active_dependencies(&self, pkg: Pkg) -> impl Iterator<Item = (&Set, bool)> {
        self.packages[pkg]
            .incompats
            .iter()
            .filter_map(move |&id| match &self.incompats[id].cause {
                Cause::Dependency {
                    parent,
                    child,
                    allowed,
                    admits,
                    ..
                } if *child == pkg && *parent != pkg && self.is_active(id, *parent) => {
                    Some((allowed, *admits))
                }
                _ => None,
            })
    }

    fn is_active(&self, id: IncId, parent: Pkg) -> bool {
        let Some(decided) = self.packages[parent].decided else {
            return false;
        };
        matches!(self.term_of(id, parent), Some(Term::Pos(set)) if set.contains(decided))
    }

    fn explicit_prereleases(&self, pkg: Pkg) -> bool {
        self.packages[pkg].constraint_admits
            || self.active_dependencies(pkg).any(|(_, admits)| admits)
    }

    /// Whether some final release satisfies the active requirements and
    /// constraints, conflicts aside.
    fn specifiers_allow_finals(&self, pkg: Pkg) -> bool {
        let package = &self.packages[pkg];
        let mut finals = package.finals.clone();
        for &id in &package.incompats {
            if let (Cause::Constraint { .. }, Some(Term::Pos(forbidden))) =
                (&self.incompats[id].cause, self.term_of(id, pkg))
            {
                finals = finals.minus(forbidden);
            }
        }
        for (allowed, _) in self.active_dependencies(pkg) {
            finals = finals.and(allowed);
        }
        !finals.is_empty()
    }

    /// Whether deciding `pkg` at `index` would break one of its dependencies at
    /// once: then it is left to propagation to rule the version out instead.
    fn dependencies_conflict(&self, pkg: Pkg, index: usize) -> bool {
        let exact = Term::Pos(Set::single(self.packages[pkg].len, index));
        self.packages[pkg].incompats.iter().any(|&id| {
            matches!(self.incompats[id].cause, Cause::Dependency { parent, .. } if parent == pkg)
                && matches!(self.term_of(id, pkg), Some(Term::Pos(set)) if set.contains(index))
                && matches!(self.relation(id, Some((pkg, &exact))), Relation::Satisfied)
        })
    }

    // Projects and dependencies.

    fn intern(&mut self, name: &PackageName) -> Result<Pkg, P::Error> {
        let key = Key::Base(name.clone());
        if let Some(&pkg) = self.ids.get(&key) {
            return Ok(pkg);
        }
        let mut seen = HashSet::new();
        let versions: Rc<[Version]> = self
            .provider
            .versions(name)?
            .into_iter()
            .filter(|v| seen.insert(v.clone()))
            .collect();
        let len = versions.len();
        let finals = Set::from_fn(len, |i| !versions[i].is_prerelease());
        let pkg = self.packages.len();
        let constraint = self.constraints.get(name).cloned();
        self.packages.push(Package {
            key: key.clone(),
            base: pkg,
            versions,
            len,
            finals,
            constraint_admits: constraint
                .as_ref()
                .is_some_and(VersionSpecifiers::admits_prereleases),
            extras: Vec::new(),
            term: Term::any(len),
            assignments: Vec::new(),
            decided: None,
            incompats: Vec::new(),
        });
        self.ids.insert(key, pkg);
        if let Some(specifiers) = constraint {
            let forbidden = self.matching(pkg, &specifiers).complement();
            if !forbidden.is_empty() {
                let id = self.push(Incompat {
                    terms: vec![(pkg, Term::Pos(forbidden))],
                    cause: Cause::Constraint { specifiers },
                });
                self.register(id);
            }
        }
        Ok(pkg)
    }

    fn intern_extra(&mut self, base: Pkg, name: &PackageName, extra: &ExtraName) -> Pkg {
        let key = Key::Extra(name.clone(), extra.clone());
        if let Some(&pkg) = self.ids.get(&key) {
            return pkg;
        }
        let pkg = self.packages.len();
        let b = &self.packages[base];
        let package = Package {
            key: key.clone(),
            base,
            versions: b.versions.clone(),
            len: b.len,
            finals: b.finals.clone(),
            constraint_admits: b.constraint_admits,
            extras: Vec::new(),
            term: Term::any(b.len),
            assignments: Vec::new(),
            decided: None,
            incompats: Vec::new(),
        };
        self.packages.push(package);
        self.packages[base].extras.push(pkg);
        self.ids.insert(key, pkg);
        pkg
    }

    /// The candidates of `pkg` that satisfy every clause, pre-release policy
    /// aside (that is applied when choosing).
    fn matching(&self, pkg: Pkg, specifiers: &VersionSpecifiers) -> Set {
        let versions = &self.packages[pkg].versions;
        Set::from_fn(versions.len(), |i| {
            specifiers.contains_with_prereleases(&versions[i], Some(true))
        })
    }

    fn requirements(
        &mut self,
        pkg: Pkg,
        index: usize,
    ) -> Result<Rc<[Requirement]>, Failure<P::Error>> {
        let package = &self.packages[pkg];
        let (Key::Base(name) | Key::Extra(name, _)) = &package.key else {
            return Ok(self.root.clone());
        };
        let key = (package.base, index);
        if let Some(requirements) = self.requirements.get(&key) {
            return Ok(requirements.clone());
        }
        let name = name.clone();
        let version = package.versions[index].clone();
        match self.provider.dependencies(&name, &version) {
            Ok(requirements) => {
                let requirements: Rc<[Requirement]> = Rc::from(requirements);
                self.requirements.insert(key, requirements.clone());
                Ok(requirements)
            }
            Err(error) => Err(Failure::Provider(error, self.chain(pkg, index))),
        }
    }

    fn add_dependencies(&mut self, pkg: Pkg, index: usize) -> Result<(), Failure<P::Error>> {
        let requirements = self.requirements(pkg, index)?;
        let extra = match &self.packages[pkg].key {
            Key::Extra(_, extra) => Some(extra.clone()),
            _ => None,
        };
        let env = self.env;
        let wanted: Vec<&Requirement> = requirements
            .iter()
            .filter(|r| match (&r.marker, &extra) {
                (None, None) => true,
                // The project itself brings those.
                (None, Some(_)) => false,
                (Some(marker), None) => marker.evaluate(env, &[]),
                (Some(marker), Some(extra)) => {
                    marker.evaluate(env, std::slice::from_ref(extra)) && !marker.evaluate(env, &[])
                }
            })
            .collect();
        for requirement in &wanted {
            if let Some(VersionOrUrl::Url(url)) = &requirement.version_or_url {
                return Err(Failure::Url {
                    name: requirement.name.clone(),
                    url: url.clone(),
                    chain: self.chain(pkg, index),
                });
            }
        }
        let mut fresh: Vec<Hint> = Vec::new();
        for requirement in &wanted {
            let name = &requirement.name;
            if self.ids.contains_key(&Key::Base(name.clone()))
                || fresh.iter().any(|h| &h.name == name)
            {
                continue;
            }
            let specifiers = wanted
                .iter()
                .filter(|r| &r.name == name)
                .filter_map(|r| match &r.version_or_url {
                    Some(VersionOrUrl::VersionSpecifier(specifiers)) => Some(specifiers),
                    _ => None,
                })
                .chain(self.constraints.get(name))
                .flat_map(VersionSpecifiers::iter)
                .cloned()
                .collect();
            fresh.push(Hint {
                name: name.clone(),
                specifiers,
                preferred: self.options.preferences.get(name).cloned(),
                prereleases: self.options.prereleases,
            });
        }
        if !fresh.is_empty() {
            self.provider.prefetch(&fresh);
        }

        let mut dependencies = Vec::new();
        if extra.is_some() {
            let base = self.packages[pkg].base;
            let version = self.packages[base].versions[index].clone();
            let specifiers: VersionSpecifiers = std::iter::once(VersionSpecifier {
                operator: Operator::Equal,
                version: SpecifierVersion::Pep440(version),
            })
            .collect();
            dependencies.push(Dependency {
                child: base,
                admits: specifiers.admits_prereleases(),
                allowed: Set::single(self.packages[base].len, index),
                specifiers,
            });
        }
        for requirement in wanted {
            let specifiers = match &requirement.version_or_url {
                Some(VersionOrUrl::VersionSpecifier(specifiers)) => specifiers.clone(),
                _ => VersionSpecifiers::default(),
            };
            let child = match self.intern(&requirement.name) {
                Ok(child) => child,
                Err(error) => return Err(Failure::Provider(error, self.chain(pkg, index))),
            };
            let allowed = self.matching(child, &specifiers);
            let admits = specifiers.admits_prereleases();
            for extra in &requirement.extras {
                let virtual_pkg = self.intern_extra(child, &requirement.name, extra);
                dependencies.push(Dependency {
                    child: virtual_pkg,
                    specifiers: specifiers.clone(),
                    allowed: allowed.clone(),
                    admits,
                });
            }
            dependencies.push(Dependency {
                child,
                specifiers,
                allowed,
                admits,
            });
        }
        self.children
            .insert((pkg, index), dependencies.iter().map(|d| d.child).collect());
        for dependency in dependencies {
            self.add_dependency(pkg, index, dependency);
        }
        Ok(())
    }

    fn add_dependency(&mut self, parent: Pkg, index: usize, dependency: Dependency) {
        let len = self.packages[parent].len;
        let cause = |dependency: Dependency| Cause::Dependency {
            parent,
            child: dependency.child,
            specifiers: dependency.specifiers,
            allowed: dependency.allowed,
            admits: dependency.admits,
        };
        if dependency.child == parent {
            if !dependency.allowed.contains(index) {
                let id = self.push(Incompat {
                    terms: vec![(parent, Term::Pos(Set::single(len, index)))],
                    cause: cause(dependency),
                });
                self.register(id);
            }
            return;
        }
        let key = (parent, dependency.child);
        let same = self.dependency_index.get(&key).and_then(|ids| {
            ids.iter().position(|&id| {
                matches!(
                    &self.incompats[id].cause,
                    Cause::Dependency { specifiers, allowed, admits, .. }
                        if *specifiers == dependency.specifiers
                            && *allowed == dependency.allowed
                            && *admits == dependency.admits
                )
            })
        });
        let mut versions = Set::single(len, index);
        if let Some(old) = same.and_then(|at| self.dependency_index.get(&key)?.get(at).copied()) {
            if let Some(Term::Pos(set)) = self.term_of(old, parent) {
                versions = versions.or(set);
            }
            self.unregister(old);
        }
        let mut terms = vec![(parent, Term::Pos(versions))];
        if !dependency.allowed.is_empty() {
            terms.push((dependency.child, Term::Neg(dependency.allowed.clone())));
        }
        terms.sort_by_key(|(pkg, _)| *pkg);
        let id = self.push(Incompat {
            terms,
            cause: cause(dependency),
        });
        self.register(id);
        let ids = self.dependency_index.entry(key).or_default();
        match same {
            Some(at) => ids[at] = id,
            None => ids.push(id),
        }
    }

    /// How the resolver came to `pkg` at `index`: the earliest decided version
    /// that depends on each link, up to the root.
    fn chain(&self, pkg: Pkg, index: usize) -> Vec<Link> {
        let graph = self.graph();
        let mut links: Vec<Link> = graph.link(pkg, index).into_iter().collect();
        let mut seen = vec![pkg];
        let mut current = pkg;
        while current != ROOT {
            let parent = self
                .assignments
                .iter()
                .filter(|a| a.cause.is_none())
                .find_map(|a| {
                    let decided = self.packages[a.pkg].decided?;
                    let children = self.children.get(&(a.pkg, decided))?;
                    children.contains(&current).then_some((a.pkg, decided))
                });
            let Some((parent, decided)) = parent.filter(|(p, _)| !seen.contains(p)) else {
                break;
            };
            links.extend(graph.link(parent, decided));
            seen.push(parent);
            current = parent;
        }
        links.reverse();
        links
    }

    fn resolution(&self) -> Resolution {
        let mut resolved: BTreeMap<PackageName, Resolved> = BTreeMap::new();
        for package in &self.packages {
            if let (Key::Base(name), Some(index)) = (&package.key, package.decided) {
                resolved.insert(
                    name.clone(),
                    Resolved {
                        name: name.clone(),
                        version: package.versions[index].clone(),
                        extras: Vec::new(),
                        requested: false,
                        why: Vec::new(),
                    },
                );
            }
        }
        let name_of = |pkg: Pkg| match &self.packages[pkg].key {
            Key::Root => None,
            Key::Base(name) | Key::Extra(name, _) => Some(name.clone()),
        };
        for (pkg, package) in self.packages.iter().enumerate() {
            let Some(index) = package.decided else {
                continue;
            };
            if let Key::Extra(name, extra) = &package.key {
                if let Some(entry) = resolved.get_mut(name) {
                    entry.extras.push(extra.clone());
                }
            }
            let parent = name_of(pkg);
            for &child in self.children.get(&(pkg, index)).into_iter().flatten() {
                let Some(entry) = name_of(child).and_then(|name| resolved.get_mut(&name)) else {
                    continue;
                };
                match &parent {
                    None => entry.requested = true,
                    Some(parent) if *parent != entry.name => entry.why.push(parent.clone()),
                    Some(_) => {}
                }
            }
        }
        let packages = resolved
            .into_values()
            .map(|mut r| {
                r.extras.sort();
                r.extras.dedup();
                r.why.sort();
                r.why.dedup();
                r
            })
            .collect();
        Resolution { packages }
    }

    fn graph(&self) -> Graph<'_> {
        Graph {
            packages: &self.packages,
            incompats: &self.incompats,
        }
    }
}

/// The projects and incompatibilities, for explaining a failure.
struct Graph<'s> {
    packages: &'s [Package],
    incompats: &'s [Incompat],
}

impl Graph<'_> {
    fn explain<E>(&self, terminal: IncId) -> ResolveError<E> {
        if let Some(error) = self.no_versions(terminal) {
            return error;
        }
        let mut report = Report {
            graph: self,
            shared: self.shared(terminal),
            refs: HashMap::new(),
            lines: Vec::new(),
            count: 0,
        };
        if self.derived(terminal).is_some() {
            report.build(terminal);
        } else {
            report.lines.push(format!(
                "Because {}, {}.",
                self.external(terminal),
                self.describe(terminal)
            ));
        }
        ResolveError::NoSolution(report.lines.join("\n").trim().to_string())
    }

    fn derived(&self, id: IncId) -> Option<(IncId, IncId)> {
        match self.incompats[id].cause {
            Cause::Derived(a, b) => Some((a, b)),
            _ => None,
        }
    }

    /// Derived incompatibilities used more than once, which get line numbers.
    fn shared(&self, terminal: IncId) -> HashSet<IncId> {
        let mut seen = HashSet::new();
        let mut shared = HashSet::new();
        let mut stack = vec![terminal];
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                shared.insert(id);
                continue;
            }
            if let Some((a, b)) = self.derived(id) {
                stack.push(b);
                stack.push(a);
            }
        }
        shared.retain(|&id| self.derived(id).is_some());
        shared
    }

    /// The external incompatibilities a derivation rests on, once each.
    fn leaves(&self, terminal: IncId) -> Vec<IncId> {
        let mut seen = HashSet::new();
        let mut leaves = Vec::new();
        let mut stack = vec![terminal];
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            match self.derived(id) {
                Some((a, b)) => {
                    stack.push(b);
                    stack.push(a);
                }
                None => leaves.push(id),
            }
        }
        leaves
    }

    /// A failure that is one requirement no candidate satisfies, reached through
    /// one version at each step: worth a one-line message with its chain.
    fn no_versions<E>(&self, terminal: IncId) -> Option<ResolveError<E>> {
        let leaves = self.leaves(terminal);
        let mut empty = leaves.iter().copied().filter(|&id| {
            matches!(&self.incompats[id].cause, Cause::Dependency { allowed, .. } if allowed.is_empty())
        });
        let unavailable = empty.next()?;
        if empty.next().is_some() {
            return None;
        }
        let mut rest: Vec<IncId> = leaves
            .into_iter()
            .filter(|&id| id != unavailable && !matches!(self.incompats[id].cause, Cause::Root))
            .collect();
        let Cause::Dependency {
            child, specifiers, ..
        } = &self.incompats[unavailable].cause
        else {
            return None;
        };
        let mut chain = Vec::new();
        let mut current = unavailable;
        loop {
            let Cause::Dependency { parent, .. } = self.incompats[current].cause else {
                return None;
            };
            if parent == ROOT {
                break;
            }
            let index = match self.incompats[current]
                .terms
                .iter()
                .find(|(p, _)| *p == parent)
            {
                Some((_, Term::Pos(set))) if set.count() == 1 => set.first()?,
                _ => return None,
            };
            chain.extend(self.link(parent, index));
            let at = rest.iter().position(|&id| {
                matches!(self.incompats[id].cause, Cause::Dependency { child, .. } if child == parent)
            })?;
            current = rest.remove(at);
        }
        if !rest.is_empty() {
            return None;
        }
        chain.reverse();
        let (Key::Base(name) | Key::Extra(name, _)) = &self.packages[*child].key else {
            return None;
        };
        Some(ResolveError::NoVersions {
            name: name.clone(),
            specifiers: specifiers.clone(),
            chain,
        })
    }

    fn link(&self, pkg: Pkg, index: usize) -> Option<Link> {
        let package = &self.packages[pkg];
        let (name, extra) = match &package.key {
            Key::Root => return None,
            Key::Base(name) => (name.clone(), None),
            Key::Extra(name, extra) => (name.clone(), Some(extra.clone())),
        };
        Some(Link {
            name,
            extra,
            version: package.versions.get(index)?.clone(),
        })
    }

    fn name(&self, pkg: Pkg) -> String {
        match &self.packages[pkg].key {
            Key::Root => "root".to_string(),
            Key::Base(name) => name.to_string(),
            Key::Extra(name, extra) => format!("{name}[{extra}]"),
        }
    }

    /// A set of candidates as runs in version order: `1.0`, `>=1.0`, `<2.0`,
    /// `>=1.0,<2.0`, `1.0 or >=3.0`; empty for all of several candidates (a lone
    /// candidate is clearer named). Bounds are candidates, so `<2.0` means
    /// "below the candidate 2.0".
    fn versions(&self, pkg: Pkg, set: &Set) -> String {
        let versions = &self.packages[pkg].versions;
        let n = versions.len();
        if set.count() == n && n != 1 {
            return String::new();
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| versions[a].cmp(&versions[b]));
        let mut runs = Vec::new();
        let mut k = 0;
        while k < n {
            if !set.contains(order[k]) {
                k += 1;
                continue;
            }
            let start = k;
            while k + 1 < n && set.contains(order[k + 1]) {
                k += 1;
            }
            let end = k;
            k += 1;
            if start == end {
                runs.push(versions[order[start]].to_string());
                continue;
            }
            let mut bounds = Vec::new();
            if start > 0 {
                bounds.push(format!(">={}", versions[order[start]]));
            }
            if end + 1 < n {
                bounds.push(format!("<{}", versions[order[end + 1]]));
            }
            runs.push(bounds.join(","));
        }
        if runs.is_empty() {
            return "(no version)".to_string();
        }
        runs.join(" or ")
    }

    fn term(&self, pkg: Pkg, set: &Set) -> String {
        let name = self.name(pkg);
        match self.versions(pkg, set) {
            versions if versions.is_empty() => name,
            versions => format!("{name} {versions}"),
        }
    }

    /// What an incompatibility says, as the conclusion of a step.
    fn describe(&self, id: IncId) -> String {
        let mut positive = Vec::new();
        let mut negative = Vec::new();
        for (pkg, term) in &self.incompats[id].terms {
            match term {
                Term::Pos(_) if *pkg == ROOT => {}
                Term::Pos(set) => positive.push((*pkg, set)),
                Term::Neg(set) => negative.push(self.term(*pkg, set)),
            }
        }
        let terms: Vec<String> = positive.iter().map(|(p, s)| self.term(*p, s)).collect();
        match (positive.as_slice(), negative.is_empty()) {
            ([], true) => "the requirements cannot be satisfied".to_string(),
            // Said of the root only by its own requirements (`external`).
            ([], false) => format!("{} is required", join(&negative, "or")),
            ([(pkg, set)], true) if set.count() == self.packages[*pkg].len => {
                format!("no version of {} can be installed", self.name(*pkg))
            }
            ([_], true) => format!("{} cannot be installed", terms[0]),
            ([_, _], true) => format!("{} cannot both be installed", join(&terms, "and")),
            (_, true) => format!("{} cannot all be installed together", join(&terms, "and")),
            ([_], false) => format!("{} depends on {}", terms[0], join(&negative, "or")),
            (_, false) => format!(
                "{} together depend on {}",
                join(&terms, "and"),
                join(&negative, "or")
            ),
        }
    }

    /// What an external incompatibility records, as a premise.
    fn external(&self, id: IncId) -> String {
        let incompat = &self.incompats[id];
        match &incompat.cause {
            Cause::Root => "root is requested".to_string(),
            Cause::Dependency {
                parent,
                child,
                specifiers,
                allowed,
                ..
            } => {
                let wanted = format!("{}{specifiers}", self.name(*child));
                let mut text = if *parent == ROOT {
                    format!("root requires {wanted}")
                } else {
                    let versions = match incompat.terms.iter().find(|(p, _)| p == parent) {
                        Some((_, Term::Pos(set))) => self.term(*parent, set),
                        _ => self.name(*parent),
                    };
                    format!("{versions} depends on {wanted}")
                };
                if allowed.is_empty() && self.packages[*child].len == 0 {
                    text.push_str(&format!(
                        " (no version of {} is available)",
                        self.name(*child)
                    ));
                } else if allowed.is_empty() {
                    text.push_str(&format!(" (no version of {} matches)", self.name(*child)));
                }
                text
            }
            Cause::Constraint { specifiers } => match incompat.terms.first() {
                Some((pkg, _)) => {
                    format!("the constraints allow only {}{specifiers}", self.name(*pkg))
                }
                None => "the constraints cannot be satisfied".to_string(),
            },
            Cause::Derived(..) => self.describe(id),
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {word} {last}", init.join(", ")),
    }
}

/// pubgrub-rs's `DefaultStringReporter`: one sentence per derivation step,
/// chaining "And because" while the derivation is linear and numbering lines
/// that are referred to twice.
struct Report<'g, 's> {
    graph: &'g Graph<'s>,
    shared: HashSet<IncId>,
    refs: HashMap<IncId, usize>,
    lines: Vec<String>,
    count: usize,
}

impl Report<'_, '_> {
    fn build(&mut self, id: IncId) {
        self.build_step(id);
        if self.shared.contains(&id) && !self.refs.contains_key(&id) {
            self.add_ref();
            self.refs.insert(id, self.count);
        }
    }

    fn add_ref(&mut self) {
        self.count += 1;
        if let Some(line) = self.lines.last_mut() {
            line.push_str(&format!(" ({})", self.count));
        }
    }

    fn build_step(&mut self, id: IncId) {
        let graph = self.graph;
        let Some((a, b)) = graph.derived(id) else {
            return;
        };
        let conclusion = graph.describe(id);
        match (graph.derived(a).is_some(), graph.derived(b).is_some()) {
            (false, false) => self.lines.push(format!(
                "Because {} and {}, {conclusion}.",
                graph.external(a),
                graph.external(b)
            )),
            (true, false) => self.one_each(a, b, &conclusion),
            (false, true) => self.one_each(b, a, &conclusion),
            (true, true) => match (self.refs.get(&a).copied(), self.refs.get(&b).copied()) {
                (Some(ra), Some(rb)) => self.lines.push(format!(
                    "Because {} ({ra}) and {} ({rb}), {conclusion}.",
                    graph.describe(a),
                    graph.describe(b)
                )),
                (Some(ra), None) => {
                    self.build(b);
                    self.lines.push(format!(
                        "And because {} ({ra}), {conclusion}.",
                        graph.describe(a)
                    ));
                }
                (None, Some(rb)) => {
                    self.build(a);
                    self.lines.push(format!(
                        "And because {} ({rb}), {conclusion}.",
                        graph.describe(b)
                    ));
                }
                (None, None) => {
                    self.build(a);
                    if self.shared.contains(&a) {
                        self.lines.push(String::new());
                        self.build(id);
                    } else {
                        self.add_ref();
                        let ra = self.count;
                        self.lines.push(String::new());
                        self.build(b);
                        self.lines.push(format!(
                            "And because {} ({ra}), {conclusion}.",
                            graph.describe(a)
                        ));
                    }
                }
            },
        }
    }

    fn one_each(&mut self, derived: IncId, external: IncId, conclusion: &str) {
        let graph = self.graph;
        if let Some(r) = self.refs.get(&derived).copied() {
            self.lines.push(format!(
                "Because {} ({r}) and {}, {conclusion}.",
                graph.describe(derived),
                graph.external(external)
            ));
            return;
        }
        let prior = graph.derived(derived).and_then(|(a, b)| {
            let fresh = |id: IncId| graph.derived(id).is_some() && !self.refs.contains_key(&id);
            match (
                fresh(a),
                graph.derived(b).is_none(),
                fresh(b),
                graph.derived(a).is_none(),
            ) {
                (true, true, _, _) => Some((a, b)),
                (_, _, true, true) => Some((b, a)),
                _ => None,
            }
        });
        match prior {
            Some((prior_derived, prior_external)) => {
                self.build(prior_derived);
                self.lines.push(format!(
                    "And because {} and {}, {conclusion}.",
                    graph.external(prior_external),
                    graph.external(external)
                ));
            }
            None => {
                self.build(derived);
                self.lines.push(format!(
                    "And because {}, {conclusion}.",
                    graph.external(external)
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Project, version, dependencies; a dependency of `!error` makes reading that
    /// version's metadata fail.
    type Row<'a> = (&'a str, &'a str, &'a [&'a str]);

    struct Index {
        projects: BTreeMap<PackageName, Vec<(Version, Vec<Requirement>, bool)>>,
        log: RefCell<Vec<String>>,
    }

    impl Index {
        fn new(rows: impl IntoIterator<Item = (String, String, Vec<String>)>) -> Index {
            let mut projects: BTreeMap<PackageName, Vec<_>> = BTreeMap::new();
            for (name, version, dependencies) in rows {
                let broken = dependencies.iter().any(|d| d == "!error");
                let requirements = dependencies
                    .iter()
                    .filter(|d| *d != "!error")
                    .map(|d| d.parse().unwrap())
                    .collect();
                projects.entry(name.parse().unwrap()).or_default().push((
                    version.parse().unwrap(),
                    requirements,
                    broken,
                ));
            }
            Index {
                projects,
                log: RefCell::new(Vec::new()),
            }
        }

        fn sorted(&self, name: &PackageName) -> Vec<Version> {
            let mut versions: Vec<Version> = self
                .projects
                .get(name)
                .map(|list| list.iter().map(|(v, _, _)| v.clone()).collect())
                .unwrap_or_default();
            versions.sort_by(|a, b| b.cmp(a));
            versions
        }

        fn requirements(&self, name: &PackageName, version: &Version) -> Option<&[Requirement]> {
            self.projects
                .get(name)?
                .iter()
                .find(|(v, _, _)| v == version)
                .map(|(_, r, _)| r.as_slice())
        }
    }

    fn index(rows: &[Row]) -> Index {
        Index::new(rows.iter().map(|(name, version, dependencies)| {
            (
                name.to_string(),
                version.to_string(),
                dependencies.iter().map(|d| d.to_string()).collect(),
            )
        }))
    }

    impl Provider for Index {
        type Error = String;

        fn versions(&self, name: &PackageName) -> Result<Vec<Version>, String> {
            self.log.borrow_mut().push(format!("versions {name}"));
            if name.as_str() == "offline" {
                return Err("cannot reach the index for offline".to_string());
            }
            Ok(self.sorted(name))
        }

        fn dependencies(
            &self,
            name: &PackageName,
            version: &Version,
        ) -> Result<Vec<Requirement>, String> {
            self.log
                .borrow_mut()
                .push(format!("dependencies {name} {version}"));
            let found = self
                .projects
                .get(name)
                .and_then(|list| list.iter().find(|(v, _, _)| v == version));
            match found {
                Some((_, _, true)) => Err(format!("cannot read the metadata of {name} {version}")),
                Some((_, requirements, false)) => Ok(requirements.clone()),
                None => Err(format!("{name} {version} does not exist")),
            }
        }

        /// Logs each project with the version the hint guesses: `prefetch a=1.0,b`.
        fn prefetch(&self, hints: &[Hint]) {
            let guesses: Vec<String> = hints
                .iter()
                .map(|h| match h.likely(&self.sorted(&h.name)) {
                    Some(version) => format!("{}={version}", h.name),
                    None => h.name.to_string(),
                })
                .collect();
            self.log
                .borrow_mut()
                .push(format!("prefetch {}", guesses.join(",")));
        }
    }

    fn env() -> &'static MarkerEnvironment {
        static ENV: std::sync::OnceLock<MarkerEnvironment> = std::sync::OnceLock::new();
        ENV.get_or_init(|| environment().unwrap())
    }

    fn environment() -> Result<MarkerEnvironment, crate::standards::marker::MarkerEnvironmentError>
    {
        MarkerEnvironment::from_map([
            ("implementation_name", "cpython"),
            ("implementation_version", "3.12.1"),
            ("os_name", "posix"),
            ("platform_machine", "x86_64"),
            ("platform_python_implementation", "CPython"),
            ("platform_release", "6.1.0"),
            ("platform_system", "Linux"),
            ("platform_version", "#1 SMP"),
            ("python_full_version", "3.12.1"),
            ("python_version", "3.12"),
            ("sys_platform", "linux"),
        ])
    }

    fn reqs(list: &[&str]) -> Vec<Requirement> {
        list.iter().map(|r| r.parse().unwrap()).collect()
    }

    fn run(
        index: &Index,
        root: &[&str],
        options: &Options,
    ) -> Result<Resolution, ResolveError<String>> {
        let root = reqs(root);
        let result = resolve(&root, env(), index, options);
        if let Ok(resolution) = &result {
            check(index, &root, options, resolution).unwrap();
        }
        result
    }

    fn show(resolution: &Resolution) -> String {
        let packages: Vec<String> = resolution
            .packages
            .iter()
            .map(|p| {
                let extras: Vec<&str> = p.extras.iter().map(PackageName::as_str).collect();
                if extras.is_empty() {
                    format!("{} {}", p.name, p.version)
                } else {
                    format!("{}[{}] {}", p.name, extras.join(","), p.version)
                }
            })
            .collect();
        packages.join(", ")
    }

    fn solve_with(rows: &[Row], root: &[&str], options: &Options) -> String {
        match run(&index(rows), root, options) {
            Ok(resolution) => show(&resolution),
            Err(error) => error.to_string(),
        }
    }

    fn solve(rows: &[Row], root: &[&str]) -> String {
        solve_with(rows, root, &Options::default())
    }

    fn holds(requirement: &Requirement, extras: &[ExtraName]) -> bool {
        match &requirement.marker {
            None => true,
            Some(marker) => {
                marker.evaluate(env(), &[])
                    || extras
                        .iter()
                        .any(|x| marker.evaluate(env(), std::slice::from_ref(x)))
            }
        }
    }

    /// Whether `chosen` satisfies every requirement of the root, of every chosen
    /// version (with its extras) and every constraint.
    fn valid(
        index: &Index,
        root: &[Requirement],
        options: &Options,
        chosen: &BTreeMap<PackageName, (Version, Vec<ExtraName>)>,
    ) -> Result<(), String> {
        let satisfied = |r: &Requirement, who: &str| -> Result<(), String> {
            let Some((version, extras)) = chosen.get(&r.name) else {
                return Err(format!("{who} requires {r}, which is missing"));
            };
            if let Some(VersionOrUrl::VersionSpecifier(s)) = &r.version_or_url {
                if !s.contains_with_prereleases(version, Some(true)) {
                    return Err(format!("{who} requires {r}, got {version}"));
                }
            }
            match r.extras.iter().find(|x| !extras.contains(x)) {
                Some(x) => Err(format!("{who} requires {r}, extra {x} is missing")),
                None => Ok(()),
            }
        };
        for r in root.iter().filter(|r| holds(r, &[])) {
            satisfied(r, "root")?;
        }
        for (name, (version, extras)) in chosen {
            let requirements = index
                .requirements(name, version)
                .ok_or(format!("{name} {version} does not exist"))?;
            for r in requirements.iter().filter(|r| holds(r, extras)) {
                satisfied(r, &format!("{name} {version}"))?;
            }
            for c in &options.constraints {
                if let (true, true, Some(VersionOrUrl::VersionSpecifier(s))) =
                    (c.name == *name, holds(c, &[]), &c.version_or_url)
                {
                    if !s.contains_with_prereleases(version, Some(true)) {
                        return Err(format!("constraint {c} excludes {name} {version}"));
                    }
                }
            }
        }
        Ok(())
    }

    /// `valid`, plus: every project is needed, and `requested` and `why` say by whom.
    fn check(
        index: &Index,
        root: &[Requirement],
        options: &Options,
        resolution: &Resolution,
    ) -> Result<(), String> {
        let chosen: BTreeMap<PackageName, (Version, Vec<ExtraName>)> = resolution
            .packages
            .iter()
            .map(|p| (p.name.clone(), (p.version.clone(), p.extras.clone())))
            .collect();
        let names: Vec<&PackageName> = resolution.packages.iter().map(|p| &p.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        if names != sorted {
            return Err("not sorted by name".to_string());
        }
        valid(index, root, options, &chosen)?;
        for p in &resolution.packages {
            let requested = root.iter().any(|r| r.name == p.name && holds(r, &[]));
            let mut why: Vec<PackageName> = Vec::new();
            for (name, (version, extras)) in &chosen {
                let requirements = index.requirements(name, version).unwrap_or_default();
                if *name != p.name
                    && requirements
                        .iter()
                        .any(|r| r.name == p.name && holds(r, extras))
                {
                    why.push(name.clone());
                }
            }
            if p.requested != requested || p.why != why {
                return Err(format!(
                    "{}: requested {} why {:?}, expected {requested} {why:?}",
                    p.name, p.requested, p.why
                ));
            }
            if !requested && why.is_empty() {
                return Err(format!("{} is not needed", p.name));
            }
        }
        Ok(())
    }

    /// Tries every combination of versions (or absence) of every project, each
    /// with and without the extra `e` if `extras`.
    fn brute_force(index: &Index, root: &[Requirement], extras: bool) -> bool {
        let projects: Vec<(&PackageName, Vec<&Version>)> = index
            .projects
            .iter()
            .map(|(name, list)| (name, list.iter().map(|(v, _, _)| v).collect()))
            .collect();
        let extra: ExtraName = "e".parse().unwrap();
        let per_version = if extras { 2 } else { 1 };
        let options = |versions: &Vec<&Version>| per_version * versions.len() + 1;
        let total: usize = projects.iter().map(|(_, v)| options(v)).product();
        (0..total).any(|mut n| {
            let mut chosen = BTreeMap::new();
            for (name, versions) in &projects {
                let pick = n % options(versions);
                n /= options(versions);
                let Some(i) = pick.checked_sub(1) else {
                    continue;
                };
                let with_extra = extras && i % 2 == 1;
                let extras = if with_extra {
                    vec![extra.clone()]
                } else {
                    Vec::new()
                };
                chosen.insert((*name).clone(), (versions[i / per_version].clone(), extras));
            }
            valid(index, root, &Options::default(), &chosen).is_ok()
        })
    }

    /// xorshift64*: fixed seeds give the same graphs everywhere.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        /// A requirement on another project; with `extras`, sometimes on its
        /// extra `e`, and sometimes (for dependencies) only for the extra `e`.
        fn requirement(
            &mut self,
            projects: usize,
            versions: usize,
            not: usize,
            extras: bool,
        ) -> String {
            let mut target = self.below(projects);
            if target == not {
                target = (target + 1) % projects;
            }
            let v = 1 + self.below(versions);
            let name = if extras && self.below(4) == 0 {
                format!("p{target}[e]")
            } else {
                format!("p{target}")
            };
            let requirement = match self.below(6) {
                0 => format!("{name}>={v}.0"),
                1 => format!("{name}<{v}.0"),
                2 => format!("{name}=={v}.0"),
                3 => format!("{name}!={v}.0"),
                4 => format!("{name}<={v}.0"),
                _ => name,
            };
            if extras && not < projects && self.below(3) == 0 {
                format!("{requirement}; extra == 'e'")
            } else {
                requirement
            }
        }
    }

    fn random_graph(
        seed: u64,
        projects: usize,
        versions: usize,
        max_deps: usize,
        extras: bool,
    ) -> (Index, Vec<Requirement>) {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut rows = Vec::new();
        for p in 0..projects {
            for v in 1..=versions {
                let count = rng.below(max_deps + 1);
                let deps = (0..count)
                    .map(|_| rng.requirement(projects, versions, p, extras))
                    .collect();
                rows.push((format!("p{p}"), format!("{v}.0"), deps));
            }
        }
        let root = (0..1 + rng.below(3))
            .map(|_| {
                rng.requirement(projects, versions, projects, extras)
                    .parse()
                    .unwrap()
            })
            .collect();
        (Index::new(rows), root)
    }

    #[test]
    fn linear_chain() {
        let rows: &[Row] = &[
            ("a", "1.0", &["b>=1"]),
            ("b", "1.0", &["c"]),
            ("b", "2.0", &["c<2"]),
            ("c", "1.0", &[]),
            ("c", "2.0", &[]),
        ];
        assert_eq!(solve(rows, &["a"]), "a 1.0, b 2.0, c 1.0");
        assert_eq!(solve(rows, &[]), "");
    }

    #[test]
    fn diamond_intersects_requirements_and_records_why() {
        let rows: &[Row] = &[
            ("a", "1.0", &["b", "c"]),
            ("b", "1.0", &["d>=1"]),
            ("c", "1.0", &["d<2"]),
            ("d", "0.5", &[]),
            ("d", "1.0", &[]),
            ("d", "1.5", &[]),
            ("d", "2.0", &[]),
        ];
        let resolution = run(&index(rows), &["a"], &Options::default()).unwrap();
        assert_eq!(show(&resolution), "a 1.0, b 1.0, c 1.0, d 1.5");
        let d = &resolution.packages[3];
        assert_eq!(
            (d.requested, d.why.clone()),
            (false, reqs_names(&["b", "c"]))
        );
        assert!(resolution.packages[0].requested && resolution.packages[0].why.is_empty());
    }

    fn reqs_names(names: &[&str]) -> Vec<PackageName> {
        names.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn backtracks_to_an_older_version() {
        let rows: &[Row] = &[
            ("a", "1.0", &["b"]),
            ("a", "2.0", &["b<1"]),
            ("b", "1.0", &[]),
            ("b", "2.0", &[]),
        ];
        assert_eq!(solve(rows, &["a"]), "a 1.0, b 2.0");
    }

    /// The worked examples of the PubGrub documentation (`^1.0.0` is `>=1,<2`).
    #[test]
    fn pubgrub_documentation_examples() {
        // Avoiding conflict during decision making.
        let rows: &[Row] = &[
            ("foo", "1.0.0", &[]),
            ("foo", "1.1.0", &["bar>=2,<3"]),
            ("bar", "1.0.0", &[]),
            ("bar", "1.1.0", &[]),
            ("bar", "2.0.0", &[]),
        ];
        assert_eq!(
            solve(rows, &["foo>=1,<2", "bar>=1,<2"]),
            "bar 1.1.0, foo 1.0.0"
        );
        // Performing conflict resolution.
        let rows: &[Row] = &[
            ("foo", "1.0.0", &[]),
            ("foo", "2.0.0", &["bar>=1,<2"]),
            ("bar", "1.0.0", &["foo>=1,<2"]),
        ];
        assert_eq!(solve(rows, &["foo>=1"]), "foo 1.0.0");
        // Conflict resolution with a partial satisfier.
        let rows: &[Row] = &[
            ("foo", "1.0.0", &[]),
            ("foo", "1.1.0", &["left>=1,<2", "right>=1,<2"]),
            ("left", "1.0.0", &["shared>=1"]),
            ("right", "1.0.0", &["shared<2"]),
            ("shared", "1.0.0", &["target>=1,<2"]),
            ("shared", "2.0.0", &[]),
            ("target", "1.0.0", &[]),
            ("target", "2.0.0", &[]),
        ];
        assert_eq!(
            solve(rows, &["foo>=1,<2", "target>=2,<3"]),
            "foo 1.0.0, target 2.0.0"
        );
    }

    /// The newest version of each level leads to a dead end four levels down,
    /// found only after a dozen unrelated decisions: learning and backjumping
    /// undo none of those, where chronological backtracking would try their
    /// 4096 combinations.
    #[test]
    fn latest_versions_conflicting_deep_down_do_not_explode() {
        let mut rows: Vec<(String, String, Vec<String>)> = Vec::new();
        let mut row = |name: &str, version: &str, deps: &[&str]| {
            rows.push((
                name.to_string(),
                version.to_string(),
                deps.iter().map(|d| d.to_string()).collect(),
            ));
        };
        for v in ["1.0", "2.0", "3.0"] {
            row("a", v, &[&format!("b=={v}")]);
            row("b", v, &[&format!("c=={v}")]);
            row("c", v, &[&format!("d=={v}")]);
        }
        row("d", "3.0", &["e<1"]);
        row("d", "2.0", &["e>=1"]);
        row("d", "1.0", &[]);
        row("e", "1.0", &[]);
        let mut root = vec!["a".to_string()];
        for x in 0..12 {
            row(&format!("x{x}"), "1.0", &[]);
            row(&format!("x{x}"), "2.0", &[]);
            root.push(format!("x{x}"));
        }
        let index = Index::new(rows);
        let root: Vec<&str> = root.iter().map(String::as_str).collect();
        let options = Options {
            max_steps: 100,
            ..Options::default()
        };
        let resolution = run(&index, &root, &options).unwrap();
        assert!(
            show(&resolution)
                .starts_with("a 2.0, b 2.0, c 2.0, d 2.0, e 1.0, x0 2.0, x1 2.0, x10 2.0"),
            "{}",
            show(&resolution)
        );
    }

    #[test]
    fn extras_add_their_dependencies_and_share_the_version() {
        let rows: &[Row] = &[
            ("a", "1.0", &["b; extra == 'x'", "c"]),
            ("a", "2.0", &["b; extra == 'x'", "c"]),
            ("b", "1.0", &[]),
            ("c", "1.0", &[]),
        ];
        assert_eq!(solve(rows, &["a[x]", "a<2"]), "a[x] 1.0, b 1.0, c 1.0");
        assert_eq!(solve(rows, &["a"]), "a 2.0, c 1.0");
        assert_eq!(solve(rows, &["A[X]"]), "a[x] 2.0, b 1.0, c 1.0");
    }

    #[test]
    fn an_extra_that_pulls_a_conflicting_dependency() {
        let rows: &[Row] = &[
            ("a", "1.0", &["c>=1; extra == 'x'"]),
            ("a", "2.0", &["c>=2; extra == 'x'"]),
            ("c", "1.0", &[]),
            ("c", "2.0", &[]),
        ];
        assert_eq!(solve(rows, &["a[x]", "c<2"]), "a[x] 1.0, c 1.0");
        assert_eq!(solve(rows, &["a", "c<2"]), "a 2.0, c 1.0");
        assert_eq!(
            solve(rows, &["a[x]>=2", "c<2"]),
            "no solution found:\n\
             Because a[x] 2.0 depends on c>=2 and root requires a[x]>=2, c 2.0 is required.\n\
             And because root requires c<2, the requirements cannot be satisfied."
        );
    }

    #[test]
    fn extras_of_extras() {
        let rows: &[Row] = &[
            (
                "a",
                "1.0",
                &[
                    "a[x]; extra == 'all'",
                    "a[y]; extra == 'all'",
                    "b; extra == 'x'",
                    "c>=2; extra == 'y'",
                ],
            ),
            ("b", "1.0", &[]),
            ("c", "2.0", &[]),
        ];
        assert_eq!(solve(rows, &["a[all]"]), "a[all,x,y] 1.0, b 1.0, c 2.0");
        assert_eq!(solve(rows, &["a[y]"]), "a[y] 1.0, c 2.0");
    }

    #[test]
    fn markers_select_dependencies() {
        let rows: &[Row] = &[
            (
                "a",
                "1.0",
                &[
                    "old; python_version < '3.8'",
                    "win; sys_platform == 'win32'",
                    "lin; sys_platform == 'linux' and python_version >= '3.10'",
                    "x; extra == 'x'",
                    "notx; extra != 'x'",
                ],
            ),
            ("lin", "1.0", &[]),
            ("x", "1.0", &[]),
            ("notx", "1.0", &[]),
        ];
        assert_eq!(
            solve(rows, &["a", "missing; python_version < '3'"]),
            "a 1.0, lin 1.0, notx 1.0"
        );
        assert_eq!(solve(rows, &["a[x]"]), "a[x] 1.0, lin 1.0, notx 1.0, x 1.0");
    }

    #[test]
    fn prereleases() {
        let rows: &[Row] = &[("a", "1.0", &[]), ("a", "2.0b1", &[])];
        // Excluded by default.
        assert_eq!(solve(rows, &["a"]), "a 1.0");
        // Chosen when a requirement names one, at the root or deeper.
        assert_eq!(solve(rows, &["a>=1.0b1"]), "a 2.0b1");
        let deeper: &[Row] = &[
            ("a", "1.0", &[]),
            ("a", "2.0b1", &[]),
            ("b", "1.0", &["a>=2.0b1"]),
        ];
        assert_eq!(solve(deeper, &["b", "a"]), "a 2.0b1, b 1.0");
        // With --pre.
        let pre = Options {
            prereleases: true,
            ..Options::default()
        };
        assert_eq!(solve_with(rows, &["a"], &pre), "a 2.0b1");
        // As the last resort, when no final release satisfies the specifiers.
        let later: &[Row] = &[("a", "1.0", &[]), ("a", "2.1rc1", &[]), ("a", "2.0b1", &[])];
        assert_eq!(solve(later, &["a>=2"]), "a 2.1rc1");
        assert_eq!(solve(&[("a", "1.0a1", &[])], &["a"]), "a 1.0a1");
        // A constraint naming one counts too.
        let constrained = Options {
            constraints: reqs(&["a<=2.0b1"]),
            ..Options::default()
        };
        assert_eq!(solve_with(rows, &["a"], &constrained), "a 2.0b1");
    }

    /// The hint's guess is the resolver's choice when nothing met later changes it:
    /// constraints, the installed version and the pre-release rule included.
    #[test]
    fn hints_guess_the_versions_chosen() {
        let rows: &[Row] = &[
            ("a", "1.0", &["b>=1", "c", "e>=2.0b1"]),
            ("b", "1.0", &[]),
            ("b", "2.0", &[]),
            ("b", "3.0", &[]),
            ("c", "1.0", &[]),
            ("c", "2.0a1", &[]),
            ("d", "1.0", &[]),
            ("d", "2.0", &[]),
            ("e", "1.0", &[]),
            ("e", "2.0b1", &[]),
        ];
        let options = Options {
            constraints: reqs(&["b<3"]),
            preferences: HashMap::from([("d".parse().unwrap(), "1.0".parse().unwrap())]),
            ..Options::default()
        };
        let index = index(rows);
        let resolution = run(&index, &["a", "d"], &options).unwrap();
        assert_eq!(show(&resolution), "a 1.0, b 2.0, c 1.0, d 1.0, e 2.0b1");
        let mut guessed: Vec<String> = index
            .log
            .borrow()
            .iter()
            .filter_map(|line| line.strip_prefix("prefetch "))
            .flat_map(|line| line.split(','))
            .map(|guess| guess.replace('=', " "))
            .collect();
        guessed.sort();
        assert_eq!(guessed.join(", "), show(&resolution));

        let versions: Vec<Version> = ["3.0b1", "2.0", "1.0"]
            .iter()
            .map(|v| v.parse().unwrap())
            .collect();
        let likely = |specifiers: &str, preferred: Option<&str>, prereleases: bool| {
            let hint = Hint {
                name: "a".parse().unwrap(),
                specifiers: specifiers.parse().unwrap(),
                preferred: preferred.map(|v| v.parse().unwrap()),
                prereleases,
            };
            hint.likely(&versions).map(ToString::to_string)
        };
        assert_eq!(likely("", None, false).as_deref(), Some("2.0"));
        assert_eq!(likely("", None, true).as_deref(), Some("3.0b1"));
        assert_eq!(likely(">=3.0a1", None, false).as_deref(), Some("3.0b1"));
        // The last resort: only a pre-release fits.
        assert_eq!(likely(">2", None, false).as_deref(), Some("3.0b1"));
        assert_eq!(likely("<3", Some("1.0"), false).as_deref(), Some("1.0"));
        assert_eq!(likely(">=2", Some("1.0"), false).as_deref(), Some("2.0"));
        assert_eq!(likely("<1", None, false), None);
    }

    /// When conflicts, not specifiers, rule out every final release, the best
    /// pre-release left is taken, as uv does.
    #[test]
    fn prerelease_when_every_final_release_conflicts() {
        let rows: &[Row] = &[
            ("a", "1.0", &["c>=2"]),
            ("a", "2.0b1", &[]),
            ("c", "1.0", &[]),
        ];
        assert_eq!(solve(rows, &["a", "c"]), "a 2.0b1, c 1.0");
    }

    #[test]
    fn constraints_restrict_but_never_add() {
        let rows: &[Row] = &[("a", "1.0", &[]), ("a", "2.0", &[]), ("b", "1.0", &[])];
        let options = Options {
            constraints: reqs(&["a<2", "b==1.0", "a!=1.5", "a>5; sys_platform == 'win32'"]),
            ..Options::default()
        };
        assert_eq!(solve_with(rows, &["a"], &options), "a 1.0");
        assert_eq!(
            solve_with(rows, &["a>=2"], &options),
            "no solution found:\n\
             Because the constraints allow only a<2,!=1.5 and root requires a>=2, \
             the requirements cannot be satisfied."
        );
    }

    #[test]
    fn preferences_keep_installed_versions_that_fit() {
        let rows: &[Row] = &[("a", "1.0", &[]), ("a", "2.0", &[]), ("b", "1.0", &["a"])];
        let options = Options {
            preferences: HashMap::from([("a".parse().unwrap(), "1.0".parse().unwrap())]),
            ..Options::default()
        };
        assert_eq!(solve_with(rows, &["b"], &options), "a 1.0, b 1.0");
        assert_eq!(solve_with(rows, &["b", "a>=2"], &options), "a 2.0, b 1.0");
    }

    #[test]
    fn conflict_explanations() {
        let rows: &[Row] = &[
            ("app", "1.0", &["b<2", "c==3.0"]),
            ("b", "1.0", &[]),
            ("b", "2.0", &[]),
            ("c", "3.0", &["b>=2"]),
        ];
        assert_eq!(
            solve(rows, &["app==1.0"]),
            "no solution found:\n\
             Because c 3.0 depends on b>=2 and app 1.0 depends on b<2, \
             app 1.0 and c 3.0 cannot both be installed.\n\
             And because app 1.0 depends on c==3.0 and root requires app==1.0, \
             the requirements cannot be satisfied."
        );
        // PubGrub's "linear error reporting" example.
        let rows: &[Row] = &[
            ("foo", "1.0.0", &["bar>=2,<3"]),
            ("bar", "2.0.0", &["baz>=3,<4"]),
            ("baz", "1.0.0", &[]),
            ("baz", "3.0.0", &[]),
        ];
        assert_eq!(
            solve(rows, &["foo>=1,<2", "baz>=1,<2"]),
            "no solution found:\n\
             Because foo 1.0.0 depends on bar>=2,<3 and bar 2.0.0 depends on baz>=3,<4, \
             foo 1.0.0 depends on baz 3.0.0.\n\
             And because root requires foo>=1,<2 and root requires baz>=1,<2, \
             the requirements cannot be satisfied."
        );
        // Every version of a project with the same dependency is one premise.
        let rows: &[Row] = &[
            ("a", "1.0", &["b>=5"]),
            ("a", "2.0", &["b>=5"]),
            ("b", "1.0", &[]),
        ];
        assert_eq!(
            solve(rows, &["a"]),
            "no solution found:\n\
             Because a depends on b>=5 (no version of b matches) \
             and root requires a, the requirements cannot be satisfied."
        );
    }

    #[test]
    fn branching_explanation_numbers_shared_lines() {
        // PubGrub's "branching error reporting" example.
        let rows: &[Row] = &[
            ("foo", "1.0.0", &["a>=1,<2", "b>=1,<2"]),
            ("foo", "1.1.0", &["x>=1,<2", "y>=1,<2"]),
            ("a", "1.0.0", &["b>=2,<3"]),
            ("b", "1.0.0", &[]),
            ("b", "2.0.0", &[]),
            ("x", "1.0.0", &["y>=2,<3"]),
            ("y", "1.0.0", &[]),
            ("y", "2.0.0", &[]),
        ];
        let text = solve(rows, &["foo>=1,<2"]);
        assert!(text.starts_with("no solution found:\nBecause "), "{text}");
        for premise in [
            "a 1.0.0 depends on b>=2,<3",
            "foo 1.0.0 depends on a>=1,<2",
            "foo 1.0.0 depends on b>=1,<2",
            "x 1.0.0 depends on y>=2,<3",
            "foo 1.1.0 depends on x>=1,<2",
            "foo 1.1.0 depends on y>=1,<2",
            "root requires foo>=1,<2",
        ] {
            assert!(text.contains(premise), "{premise} in {text}");
        }
        assert!(
            text.ends_with("the requirements cannot be satisfied."),
            "{text}"
        );
    }

    #[test]
    fn requirements_nothing_satisfies() {
        let rows: &[Row] = &[("a", "1.0", &["b>=5"]), ("b", "1.0", &[])];
        assert_eq!(
            solve(rows, &["a"]),
            "no version of b satisfies >=5 (required by root -> a 1.0)"
        );
        assert_eq!(
            solve(rows, &["b>=5"]),
            "no version of b satisfies >=5 (required by root)"
        );
        assert_eq!(
            solve(rows, &["b[x]>=5"]),
            "no version of b satisfies >=5 (required by root)"
        );
        let rows: &[Row] = &[
            ("a", "1.0", &["c[x]"]),
            ("c", "1.0", &["ghost; extra == 'x'"]),
        ];
        assert_eq!(
            solve(rows, &["a"]),
            "no version of ghost is available (required by root -> a 1.0 -> c[x] 1.0)"
        );
        let error = run(&index(rows), &["a"], &Options::default()).unwrap_err();
        let ResolveError::NoVersions { name, chain, .. } = error else {
            panic!("{error}");
        };
        assert_eq!(name.as_str(), "ghost");
        assert_eq!(chain[1].extra.as_ref().map(PackageName::as_str), Some("x"));
    }

    #[test]
    fn self_dependencies() {
        let rows: &[Row] = &[("a", "1.0", &["a>=1"]), ("a", "2.0", &["a<2"])];
        assert_eq!(solve(rows, &["a"]), "a 1.0");
    }

    #[test]
    fn provider_errors_carry_the_chain() {
        let rows: &[Row] = &[
            ("a", "1.0", &["c"]),
            ("c", "1.0", &["!error"]),
            ("d", "1.0", &["offline"]),
        ];
        let error = run(&index(rows), &["a"], &Options::default()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot read the metadata of c 1.0 (while resolving root -> a 1.0 -> c 1.0)"
        );
        let ResolveError::Provider(message, chain) = error else {
            panic!("{error}");
        };
        assert_eq!(message, "cannot read the metadata of c 1.0");
        assert_eq!(chain.len(), 2);
        assert_eq!(
            solve(rows, &["d"]),
            "cannot reach the index for offline (while resolving root -> d 1.0)"
        );
    }

    #[test]
    fn url_requirements_are_refused() {
        let rows: &[Row] = &[("a", "1.0", &["b @ https://example.com/b-1.0.tar.gz"])];
        assert_eq!(
            solve(rows, &["a"]),
            "b @ https://example.com/b-1.0.tar.gz (required by root -> a 1.0) is a direct \
             URL requirement: pin it to a version before resolving"
        );
        assert!(matches!(
            run(&index(rows), &["a @ https://example.com/a.whl"], &Options::default()),
            Err(ResolveError::Url { chain, .. }) if chain.is_empty()
        ));
    }

    #[test]
    fn fetches_each_list_once_and_hints_first() {
        let (index, root) = random_graph(7, 30, 8, 3, true);
        let options = Options::default();
        let _ = resolve(&root, env(), &index, &options);
        let log = index.log.borrow();
        let mut asked: Vec<&String> = log.iter().filter(|l| !l.starts_with("prefetch")).collect();
        let total = asked.len();
        asked.sort();
        asked.dedup();
        assert_eq!(asked.len(), total, "{log:?}");
        assert!(total > 10, "{log:?}");
        let first_versions = log.iter().position(|l| l.starts_with("versions")).unwrap();
        assert!(log[first_versions - 1].starts_with("prefetch"), "{log:?}");
    }

    #[test]
    fn same_input_same_output() {
        for seed in 0..10 {
            let (index, root) = random_graph(seed, 50, 10, 3, true);
            let first = resolve(&root, env(), &index, &Options::default());
            let second = resolve(&root, env(), &index, &Options::default());
            match (first, second) {
                (Ok(a), Ok(b)) => assert_eq!(a, b),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                (a, b) => panic!("{a:?} then {b:?}"),
            }
        }
    }

    /// n + 1 pigeons in n holes: every proof that they do not fit is exponential.
    #[test]
    fn gives_up_after_max_steps() {
        let holes = 7;
        let mut rows = Vec::new();
        for pigeon in 0..=holes {
            for hole in 1..=holes {
                let others = (0..=holes)
                    .filter(|&p| p != pigeon)
                    .map(|p| format!("p{p}!={hole}"))
                    .collect();
                rows.push((format!("p{pigeon}"), hole.to_string(), others));
            }
        }
        let index = Index::new(rows);
        let root: Vec<String> = (0..=holes).map(|p| format!("p{p}")).collect();
        let root: Vec<&str> = root.iter().map(String::as_str).collect();
        let options = Options {
            max_steps: 2_000,
            ..Options::default()
        };
        let error = run(&index, &root, &options).unwrap_err();
        assert!(matches!(error, ResolveError::TooComplex { steps: 2_001 }));
        assert!(
            error
                .to_string()
                .starts_with("gave up after 2001 resolution steps")
        );
    }

    #[test]
    fn random_small_graphs_agree_with_brute_force() {
        let (mut solved, mut failed) = (0, 0);
        for seed in 0..400 {
            let (index, root) = random_graph(seed, 5, 3, 2, false);
            let exists = brute_force(&index, &root, false);
            match resolve(&root, env(), &index, &Options::default()) {
                Ok(resolution) => {
                    assert!(exists, "seed {seed}: brute force found none");
                    check(&index, &root, &Options::default(), &resolution)
                        .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
                    solved += 1;
                }
                Err(ResolveError::NoSolution(_) | ResolveError::NoVersions { .. }) => {
                    assert!(!exists, "seed {seed}: a solution exists");
                    failed += 1;
                }
                Err(error) => panic!("seed {seed}: {error}"),
            }
        }
        assert!(
            solved > 50 && failed > 50,
            "{solved} solved, {failed} failed"
        );
    }

    #[test]
    fn random_small_graphs_with_extras_agree_with_brute_force() {
        let (mut solved, mut failed) = (0, 0);
        for seed in 0..150 {
            let (index, root) = random_graph(5000 + seed, 4, 3, 3, true);
            let exists = brute_force(&index, &root, true);
            match resolve(&root, env(), &index, &Options::default()) {
                Ok(resolution) => {
                    assert!(exists, "seed {seed}: brute force found none");
                    check(&index, &root, &Options::default(), &resolution)
                        .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
                    solved += 1;
                }
                Err(ResolveError::NoSolution(_) | ResolveError::NoVersions { .. }) => {
                    assert!(!exists, "seed {seed}: a solution exists");
                    failed += 1;
                }
                Err(error) => panic!("seed {seed}: {error}"),
            }
        }
        assert!(
            solved > 20 && failed > 20,
            "{solved} solved, {failed} failed"
        );
    }

    #[test]
    fn random_large_graphs_resolve_to_valid_solutions() {
        let mut solved = 0;
        for seed in 0..40 {
            let (index, root) = random_graph(1000 + seed, 50, 10, 3, seed % 2 == 0);
            match resolve(&root, env(), &index, &Options::default()) {
                Ok(resolution) => {
                    check(&index, &root, &Options::default(), &resolution)
                        .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
                    solved += 1;
                }
                Err(ResolveError::NoSolution(text)) => assert!(!text.is_empty()),
                Err(ResolveError::NoVersions { .. }) => {}
                Err(error) => panic!("seed {seed}: {error}"),
            }
        }
        assert!(solved > 5, "{solved} solved");
    }
}

//! The solver's vocabulary: projects (real, virtual `a[x]`, and the root), terms
//! over their candidate sets, incompatibilities with the cause each was added for,
//! and the assignments of the partial solution.

use std::rc::Rc;

use crate::standards::name::{ExtraName, PackageName};
use crate::standards::specifier::VersionSpecifiers;
use crate::standards::version::Version;

use super::provider::Unusable;
use super::set::Set;

/// "p is in S" or "p is not in S"; the negative form also holds when p is not
/// installed at all, which is why both forms are needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Term {
    Pos(Set),
    Neg(Set),
}

impl Term {
    pub(super) fn any(len: usize) -> Term {
        Term::Neg(Set::empty(len))
    }

    pub(super) fn is_any(&self) -> bool {
        matches!(self, Term::Neg(set) if set.is_empty())
    }

    pub(super) fn negate(&self) -> Term {
        match self {
            Term::Pos(set) => Term::Neg(set.clone()),
            Term::Neg(set) => Term::Pos(set.clone()),
        }
    }

    pub(super) fn intersect(&self, other: &Term) -> Term {
        match (self, other) {
            (Term::Pos(a), Term::Pos(b)) => Term::Pos(a.and(b)),
            (Term::Pos(a), Term::Neg(b)) | (Term::Neg(b), Term::Pos(a)) => Term::Pos(a.minus(b)),
            (Term::Neg(a), Term::Neg(b)) => Term::Neg(a.or(b)),
        }
    }

    pub(super) fn union(&self, other: &Term) -> Term {
        self.negate().intersect(&other.negate()).negate()
    }

    pub(super) fn subset_of(&self, other: &Term) -> bool {
        self.intersect(other) == *self
    }

    pub(super) fn disjoint(&self, other: &Term) -> bool {
        matches!(self.intersect(other), Term::Pos(set) if set.is_empty())
    }
}

pub(super) type Pkg = usize;
pub(super) type IncId = usize;

/// The root requirements, as a project with a single version.
pub(super) const ROOT: Pkg = 0;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum Key {
    Root,
    Base(PackageName),
    Extra(PackageName, ExtraName),
}

pub(super) struct Package {
    pub(super) key: Key,
    /// The project itself, or for `a[x]` the project `a`.
    pub(super) base: Pkg,
    /// Shared between a project and its extras.
    pub(super) versions: Rc<[Version]>,
    /// Domain size: the number of candidates (one for the root).
    pub(super) len: usize,
    /// Candidates that are not pre-releases.
    pub(super) finals: Set,
    /// Whether a constraint on the project names a pre-release.
    pub(super) constraint_admits: bool,
    /// The virtual projects `a[x]` of this project.
    pub(super) extras: Vec<Pkg>,
    /// The intersection of the project's assignments.
    pub(super) term: Term,
    pub(super) assignments: Vec<usize>,
    pub(super) decided: Option<usize>,
    /// The incompatibilities that mention the project, oldest first.
    pub(super) incompats: Vec<IncId>,
}

pub(super) struct Incompat {
    /// Sorted by project, one term each; never a term that always holds.
    pub(super) terms: Vec<(Pkg, Term)>,
    pub(super) cause: Cause,
}

pub(super) enum Cause {
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
    /// The version in the term turned out unusable when its metadata was read.
    Unusable(Unusable),
    /// Learned from two others by conflict resolution.
    Derived(IncId, IncId),
}

pub(super) struct Assignment {
    pub(super) pkg: Pkg,
    pub(super) term: Term,
    pub(super) level: usize,
    /// `None` for a decision.
    pub(super) cause: Option<IncId>,
}

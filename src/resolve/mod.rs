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
//!    take the first in pip's and uv's order (one candidate left first, then the
//!    order met, direct requirements first, corrected by repeated conflicts: see
//!    `priority`) and its best candidate; fetch that version's dependencies and
//!    add them as incompatibilities. The version is decided only if none of them
//!    already conflicts; otherwise propagation rules it out and the loop goes on.
//!    When a project has been to blame for rejections often enough, its decision
//!    is undone (with every later one) so it can fit around the one it rejected;
//!    what was learned stays, so the search stays complete.
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

mod dependencies;
mod error;
mod incompat;
mod provider;
mod report;
mod priority;
mod set;
mod solver;
#[cfg(test)]
mod tests;

use crate::standards::marker::MarkerEnvironment;
use crate::standards::requirement::Requirement;

pub use error::{Link, ResolveError};
pub use provider::{
    DEFAULT_MAX_STEPS, Dependencies, Hint, Lookahead, Options, Provider, Resolution, Resolved,
    Unusable,
};
use solver::{Failure, Solver};

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
        Err(Failure::Conflict(id)) => {
            Err(solver.graph().explain(id, |name| provider.unusable(name)))
        }
        Err(Failure::Provider(error, chain)) => Err(ResolveError::Provider(error, chain)),
        Err(Failure::Url { name, url, chain }) => Err(ResolveError::Url { name, url, chain }),
        Err(Failure::TooComplex) => Err(ResolveError::TooComplex {
            steps: solver.steps,
        }),
    }
}

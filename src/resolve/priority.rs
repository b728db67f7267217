//! Which project to decide next, as pip and uv order them: a project with a
//! single candidate left first, then projects in the order they were met (the
//! root's requirements first, then each decided version's requirements in the
//! order written), except where conflicts taught otherwise.
//!
//! The order decides which of several valid answers comes out. A project decided
//! early keeps its best version and the projects decided after it fit around
//! it; so the order met puts direct requirements first, and what a user asked
//! for gets the newest version that fits. Deciding the most constrained project
//! first instead (fewest candidates left) looks cheaper but gives away newer
//! versions of the many-versioned projects users name: `app` and `tool` both
//! named, `tool` with fewer versions but capping a dependency that `app`'s newer
//! versions need, would cost `app` its newest versions.
//!
//! Conflicts correct the order, as uv's conflict tracking does: when versions of
//! a project are rejected again and again because of the version decided for
//! another ([`THRESHOLD`] times), the one rejected is decided *early* from then
//! on, the one to blame *late*, and the decision on the one to blame is undone,
//! so its version is chosen again to fit the newest version of the other. With
//! `dbt-core==1.8.*`, mashumaro (met before dbt-adapters) is decided 3.23, and
//! rules out dbt-adapters' newest versions one by one; after five, dbt-adapters
//! goes first and keeps the newest version that fits, 1.16.3, and mashumaro
//! gives way to 3.14, as with pip and uv (not dbt-adapters 1.10.2, the newest
//! that allows mashumaro 3.23). Each project moves at most once each way, so
//! this cannot go round in circles, and what conflict resolution learned stays
//! learned.

use std::collections::HashMap;

use super::incompat::Pkg;

/// Rejections (or blames) before a project changes place, as uv counts them: few
/// enough to act before walking down a long version list, enough that one odd
/// version does not reorder the resolution.
const THRESHOLD: u32 = 5;

/// Where conflicts put a project; lower is decided sooner.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Rank {
    /// Its versions were rejected often because of earlier decisions.
    Early,
    /// Its decided versions were often why another project's were rejected.
    Late,
    /// Neither: the order it was met in decides.
    #[default]
    Met,
}

/// How soon to decide a project: the smallest first, fields compared in order.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Urgency {
    /// Final releases were allowed but only pre-releases are left: after all others.
    pub(super) last_resort: bool,
    /// More than one candidate left.
    pub(super) open: bool,
    pub(super) rank: Rank,
    /// The project's base (a project and its extras go together), in the order met.
    pub(super) met: Pkg,
    pub(super) pkg: Pkg,
}

#[derive(Default)]
struct Tally {
    rejected: u32,
    blamed: u32,
    rank: Rank,
}

/// Conflict counts by project (a project and its extras count as one).
#[derive(Default)]
pub(super) struct Priorities {
    tallies: HashMap<Pkg, Tally>,
    /// Projects just ranked late, whose decisions are to be undone.
    demoted: Vec<Pkg>,
}

impl Priorities {
    pub(super) fn rank(&self, base: Pkg) -> Rank {
        self.tallies.get(&base).map_or(Rank::Met, |t| t.rank)
    }

    /// Records that a version of `rejected` was ruled out because of the
    /// assignments to `culprits` (all by their base project).
    pub(super) fn record(&mut self, rejected: Pkg, culprits: impl IntoIterator<Item = Pkg>) {
        let mut any = false;
        for culprit in culprits.into_iter().filter(|&c| c != rejected) {
            any = true;
            let tally = self.tallies.entry(culprit).or_default();
            tally.blamed += 1;
            if tally.blamed == THRESHOLD && tally.rank == Rank::Met {
                tally.rank = Rank::Late;
                self.demoted.push(culprit);
            }
        }
        if !any {
            return;
        }
        let tally = self.tallies.entry(rejected).or_default();
        tally.rejected += 1;
        if tally.rejected == THRESHOLD {
            tally.rank = Rank::Early;
        }
    }

    /// The projects ranked late since the last call.
    pub(super) fn take_demoted(&mut self) -> Vec<Pkg> {
        std::mem::take(&mut self.demoted)
    }
}

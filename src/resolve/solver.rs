//! The solver proper: unit propagation, decisions, conflict resolution and
//! backjumping over the partial solution (the loop the module header describes).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;
use std::sync::Mutex;

use crate::standards::marker::MarkerEnvironment;
use crate::standards::name::{ExtraName, PackageName};
use crate::standards::requirement::{Requirement, VersionOrUrl};
use crate::standards::specifier::VersionSpecifiers;

use super::error::{Link, ResolveError};
use super::incompat::{Assignment, Cause, IncId, Incompat, Key, Package, Pkg, ROOT, Term};
use super::priority::{Priorities, Urgency};
use super::provider::{Dependencies, Lookahead, Options, Provider, Resolution, Resolved};
use super::report::Graph;
use super::set::Set;

enum Relation {
    Satisfied,
    Contradicted,
    /// Every term holds but this project's.
    Almost(Pkg),
    Inconclusive,
}

pub(super) enum Failure<E> {
    Conflict(IncId),
    Provider(E, Vec<Link>),
    Url {
        name: PackageName,
        url: String,
        chain: Vec<Link>,
    },
    TooComplex,
}

/// A version choice for a project, and how urgently to make it.
struct Choice {
    index: usize,
    count: usize,
    last_resort: bool,
}

pub(super) struct Solver<'a, P: Provider> {
    pub(super) provider: &'a P,
    pub(super) env: &'a MarkerEnvironment,
    pub(super) options: &'a Options,
    /// The root requirements, as the root's dependencies.
    pub(super) root: Rc<Dependencies>,
    pub(super) constraints: HashMap<PackageName, VersionSpecifiers>,
    pub(super) packages: Vec<Package>,
    pub(super) ids: HashMap<Key, Pkg>,
    pub(super) incompats: Vec<Incompat>,
    /// Incompatibilities seen contradicted, which they stay until backtracking
    /// below the level they were seen at: skipped by propagation.
    contradicted: Vec<bool>,
    /// The same, with their levels, in the order seen (so by level).
    contradicted_at: Vec<(IncId, usize)>,
    /// Dependency incompatibilities by (parent, child), for merging.
    pub(super) dependency_index: HashMap<(Pkg, Pkg), Vec<IncId>>,
    pub(super) assignments: Vec<Assignment>,
    level: usize,
    /// The provider's dependency lists, by project and candidate.
    pub(super) requirements: HashMap<(Pkg, usize), Rc<Dependencies>>,
    /// The projects each tried version depends on; also records which versions
    /// have their dependencies added already.
    pub(super) children: HashMap<(Pkg, usize), Vec<Pkg>>,
    pub(super) steps: usize,
    priorities: Priorities,
    /// The projects followed ahead of the resolver so far (see [`Lookahead`]).
    followed: Mutex<HashSet<(PackageName, Vec<ExtraName>)>>,
}

impl<'a, P: Provider> Solver<'a, P> {
    pub(super) fn new(
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
            root: Rc::new(Dependencies::Known(root.to_vec())),
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
            priorities: Priorities::default(),
            followed: Mutex::default(),
        })
    }

    pub(super) fn lookahead(&self) -> Lookahead<'_> {
        Lookahead::new(self.env, self.options, &self.constraints, &self.followed)
    }

    pub(super) fn run(&mut self) -> Result<(), Failure<P::Error>> {
        let id = self.push(Incompat {
            terms: vec![(ROOT, Term::Neg(Set::full(1)))],
            cause: Cause::Root,
        });
        self.register(id);
        let mut next = vec![ROOT];
        loop {
            self.propagate(next)?;
            if let Some(undone) = self.undo_demoted() {
                next = undone;
                continue;
            }
            let Some((pkg, index)) = self.pick() else {
                return Ok(());
            };
            self.step()?;
            if !self.children.contains_key(&(pkg, index)) {
                self.add_dependencies(pkg, index)?;
            }
            match self.dependencies_conflict(pkg, index) {
                Some(id) => self.record_conflict(pkg, id),
                None => self.decide(pkg, index),
            }
            next = vec![pkg];
        }
    }

    /// Counts a rejection of `pkg`'s version against the other projects of `id`.
    fn record_conflict(&mut self, pkg: Pkg, id: IncId) {
        let culprits: Vec<Pkg> = self.incompats[id]
            .terms
            .iter()
            .map(|(p, _)| self.packages[*p].base)
            .filter(|&p| p != ROOT)
            .collect();
        self.priorities.record(self.packages[pkg].base, culprits);
    }

    /// Undoes the decisions on projects just ranked late (and all decisions
    /// after the first of them), so they are chosen again after the projects
    /// they pushed back; gives the projects to propagate again from, as the
    /// incompatibilities learned since may now force derivations earlier.
    fn undo_demoted(&mut self) -> Option<Vec<Pkg>> {
        let demoted = self.priorities.take_demoted();
        let level = self
            .assignments
            .iter()
            .find(|a| a.cause.is_none() && demoted.contains(&self.packages[a.pkg].base))?
            .level;
        // Never below the root's decision.
        self.backtrack(level.saturating_sub(1).max(1));
        Some(
            (0..self.packages.len())
                .filter(|&p| !self.packages[p].assignments.is_empty())
                .collect(),
        )
    }

    fn step(&mut self) -> Result<(), Failure<P::Error>> {
        self.steps += 1;
        if self.steps > self.options.max_steps {
            return Err(Failure::TooComplex);
        }
        Ok(())
    }

    pub(super) fn push(&mut self, incompat: Incompat) -> IncId {
        self.incompats.push(incompat);
        self.contradicted.push(false);
        self.incompats.len() - 1
    }

    pub(super) fn register(&mut self, id: IncId) {
        for (pkg, _) in &self.incompats[id].terms {
            self.packages[*pkg].incompats.push(id);
        }
    }

    pub(super) fn unregister(&mut self, id: IncId) {
        for (pkg, _) in &self.incompats[id].terms {
            self.packages[*pkg].incompats.retain(|&other| other != id);
        }
    }

    pub(super) fn term_of(&self, id: IncId, pkg: Pkg) -> Option<&Term> {
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

    fn propagate(&mut self, mut queue: Vec<Pkg>) -> Result<(), Failure<P::Error>> {
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
                // As uv counts it: the conflict undoes the latest decision.
                let rejected = self
                    .assignments
                    .iter()
                    .rfind(|a| a.cause.is_none())
                    .map_or(ROOT, |a| a.pkg);
                let (learned, other) = self.resolve_conflict(id)?;
                if rejected != ROOT {
                    self.record_conflict(rejected, id);
                }
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

    /// The undecided project to decide next, and its version: see
    /// [`super::priority`] for the order.
    fn pick(&self) -> Option<(Pkg, usize)> {
        let mut best: Option<(Urgency, usize)> = None;
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
            let urgency = Urgency {
                last_resort: choice.last_resort,
                open: choice.count != 1,
                rank: self.priorities.rank(package.base),
                met: package.base,
                pkg,
            };
            if best.as_ref().is_none_or(|(u, _)| urgency < *u) {
                best = Some((urgency, choice.index));
            }
        }
        best.map(|(urgency, index)| (urgency.pkg, index))
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

    /// The dependency of `pkg` at `index` that deciding it would break at once,
    /// or the incompatibility saying the version is unusable: then it is left to
    /// propagation to rule the version out instead.
    fn dependencies_conflict(&self, pkg: Pkg, index: usize) -> Option<IncId> {
        let exact = Term::Pos(Set::single(self.packages[pkg].len, index));
        self.packages[pkg].incompats.iter().copied().find(|&id| {
            let own = match self.incompats[id].cause {
                Cause::Dependency { parent, .. } => parent == pkg,
                Cause::Unusable(_) => true,
                _ => false,
            };
            own && matches!(self.term_of(id, pkg), Some(Term::Pos(set)) if set.contains(index))
                && matches!(self.relation(id, Some((pkg, &exact))), Relation::Satisfied)
        })
    }

    pub(super) fn resolution(&self) -> Resolution {
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
            if let Key::Extra(name, extra) = &package.key
                && let Some(entry) = resolved.get_mut(name)
            {
                entry.extras.push(extra.clone());
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

    pub(super) fn graph(&self) -> Graph<'_> {
        Graph {
            packages: &self.packages,
            incompats: &self.incompats,
        }
    }
}

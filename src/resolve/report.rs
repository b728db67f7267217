//! The explanation of a failure: the derivation graph of the incompatibility that
//! ruled out the root, told one step per sentence as pubgrub-rs tells it.

use std::collections::{HashMap, HashSet};

use crate::standards::name::PackageName;
use crate::standards::version::Version;

use super::error::{Link, ResolveError};
use super::incompat::{Cause, IncId, Incompat, Key, Package, Pkg, ROOT, Term};
use super::provider::Unusable;
use super::set::Set;

/// The projects and incompatibilities, for explaining a failure.
pub(super) struct Graph<'s> {
    pub(super) packages: &'s [Package],
    pub(super) incompats: &'s [Incompat],
}

impl Graph<'_> {
    /// `unusable` says which versions of a project its provider left out, and why.
    pub(super) fn explain<E>(
        &self,
        terminal: IncId,
        unusable: impl Fn(&PackageName) -> Vec<(Version, Unusable)>,
    ) -> ResolveError<E> {
        if let Some(error) = self.no_versions(terminal, unusable) {
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
    fn no_versions<E>(
        &self,
        terminal: IncId,
        unusable: impl Fn(&PackageName) -> Vec<(Version, Unusable)>,
    ) -> Option<ResolveError<E>> {
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
        let unusable = unusable(name)
            .into_iter()
            .filter(|(version, _)| specifiers.contains_with_prereleases(version, Some(true)))
            .collect();
        Some(ResolveError::NoVersions {
            name: name.clone(),
            specifiers: specifiers.clone(),
            chain,
            unusable,
        })
    }

    pub(super) fn link(&self, pkg: Pkg, index: usize) -> Option<Link> {
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
            Cause::Unusable(reason) => match incompat.terms.first() {
                Some((pkg, Term::Pos(set))) => format!("{} {reason}", self.term(*pkg, set)),
                _ => reason.to_string(),
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
/// that are referred to twice. The derivation is walked with a stack of its own,
/// not by recursion: a chain of thousands of projects makes a derivation as deep,
/// which would overflow the thread's stack.
struct Report<'g, 's> {
    graph: &'g Graph<'s>,
    shared: HashSet<IncId>,
    refs: HashMap<IncId, usize>,
    lines: Vec<String>,
    count: usize,
}

/// What is left to do, last first: the reporter's recursion as data.
enum Task {
    /// Tell how an incompatibility was derived, then number it if shared.
    Build(IncId),
    /// Tell the last step of a derivation, its premises told already.
    Step(IncId),
    /// Number an incompatibility told just before, if it is shared.
    Number(IncId),
    Line(String),
    /// The rest of a step from two fresh derivations, once the first is told.
    AfterFirst {
        id: IncId,
        first: IncId,
        second: IncId,
        conclusion: String,
    },
}

impl Report<'_, '_> {
    fn build(&mut self, terminal: IncId) {
        let mut tasks = vec![Task::Build(terminal)];
        while let Some(task) = tasks.pop() {
            match task {
                Task::Build(id) => tasks.extend([Task::Number(id), Task::Step(id)]),
                Task::Number(id) => {
                    if self.shared.contains(&id) && !self.refs.contains_key(&id) {
                        self.add_ref();
                        self.refs.insert(id, self.count);
                    }
                }
                Task::Line(line) => self.lines.push(line),
                Task::Step(id) => self.step(id, &mut tasks),
                Task::AfterFirst {
                    id,
                    first,
                    second,
                    conclusion,
                } => {
                    if self.shared.contains(&first) {
                        tasks.extend([Task::Build(id), Task::Line(String::new())]);
                    } else {
                        self.add_ref();
                        let line = format!(
                            "And because {} ({}), {conclusion}.",
                            self.graph.describe(first),
                            self.count
                        );
                        tasks.extend([
                            Task::Line(line),
                            Task::Build(second),
                            Task::Line(String::new()),
                        ]);
                    }
                }
            }
        }
    }

    fn add_ref(&mut self) {
        self.count += 1;
        if let Some(line) = self.lines.last_mut() {
            line.push_str(&format!(" ({})", self.count));
        }
    }

    /// Pushes what telling step `id` takes, last first.
    fn step(&mut self, id: IncId, tasks: &mut Vec<Task>) {
        let graph = self.graph;
        let Some((a, b)) = graph.derived(id) else {
            return;
        };
        let conclusion = graph.describe(id);
        match (graph.derived(a).is_some(), graph.derived(b).is_some()) {
            (false, false) => tasks.push(Task::Line(format!(
                "Because {} and {}, {conclusion}.",
                graph.external(a),
                graph.external(b)
            ))),
            (true, false) => self.one_each(a, b, &conclusion, tasks),
            (false, true) => self.one_each(b, a, &conclusion, tasks),
            (true, true) => match (self.refs.get(&a).copied(), self.refs.get(&b).copied()) {
                (Some(ra), Some(rb)) => tasks.push(Task::Line(format!(
                    "Because {} ({ra}) and {} ({rb}), {conclusion}.",
                    graph.describe(a),
                    graph.describe(b)
                ))),
                (Some(ra), None) => tasks.extend([
                    Task::Line(format!(
                        "And because {} ({ra}), {conclusion}.",
                        graph.describe(a)
                    )),
                    Task::Build(b),
                ]),
                (None, Some(rb)) => tasks.extend([
                    Task::Line(format!(
                        "And because {} ({rb}), {conclusion}.",
                        graph.describe(b)
                    )),
                    Task::Build(a),
                ]),
                (None, None) => tasks.extend([
                    Task::AfterFirst {
                        id,
                        first: a,
                        second: b,
                        conclusion,
                    },
                    Task::Build(a),
                ]),
            },
        }
    }

    fn one_each(
        &mut self,
        derived: IncId,
        external: IncId,
        conclusion: &str,
        tasks: &mut Vec<Task>,
    ) {
        let graph = self.graph;
        if let Some(r) = self.refs.get(&derived).copied() {
            tasks.push(Task::Line(format!(
                "Because {} ({r}) and {}, {conclusion}.",
                graph.describe(derived),
                graph.external(external)
            )));
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
            Some((prior_derived, prior_external)) => tasks.extend([
                Task::Line(format!(
                    "And because {} and {}, {conclusion}.",
                    graph.external(prior_external),
                    graph.external(external)
                )),
                Task::Build(prior_derived),
            ]),
            None => tasks.extend([
                Task::Line(format!(
                    "And because {}, {conclusion}.",
                    graph.external(external)
                )),
                Task::Build(derived),
            ]),
        }
    }
}

//! Projects and dependencies: the provider's version and dependency lists turned
//! into projects and incompatibilities, with extras as virtual projects, markers
//! evaluated as each list is read, and equal dependencies of several versions merged.

use std::collections::HashSet;
use std::rc::Rc;

use crate::standards::name::{ExtraName, PackageName};
use crate::standards::requirement::{Requirement, VersionOrUrl};
use crate::standards::specifier::{
    Operator, SpecifierVersion, VersionSpecifier, VersionSpecifiers,
};
use crate::standards::version::Version;

use super::error::Link;
use super::incompat::{Cause, Incompat, Key, Package, Pkg, ROOT, Term};
use super::provider::{Dependencies, Provider};
use super::set::Set;
use super::solver::{Failure, Solver};

/// One evaluated requirement of a version on a project (or virtual project).
struct Dependency {
    child: Pkg,
    specifiers: VersionSpecifiers,
    allowed: Set,
    admits: bool,
}

impl<P: Provider> Solver<'_, P> {
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
    ) -> Result<Rc<Dependencies>, Failure<P::Error>> {
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
            Ok(dependencies) => {
                let dependencies = Rc::new(dependencies);
                self.requirements.insert(key, dependencies.clone());
                Ok(dependencies)
            }
            Err(error) => Err(Failure::Provider(error, self.chain(pkg, index))),
        }
    }

    pub(super) fn add_dependencies(
        &mut self,
        pkg: Pkg,
        index: usize,
    ) -> Result<(), Failure<P::Error>> {
        let dependencies = self.requirements(pkg, index)?;
        let requirements = match &*dependencies {
            Dependencies::Known(requirements) => requirements,
            Dependencies::Unusable(reason) => {
                // Ruled out as a conflict would rule it out, so the search goes on
                // to the next version and an explanation can say why.
                let len = self.packages[pkg].len;
                let id = self.push(Incompat {
                    terms: vec![(pkg, Term::Pos(Set::single(len, index)))],
                    cause: Cause::Unusable(reason.clone()),
                });
                self.register(id);
                self.children.insert((pkg, index), Vec::new());
                return Ok(());
            }
        };
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
        let lookahead = self.lookahead();
        let mut fresh = lookahead.hints(&wanted);
        fresh.retain(|h| !self.ids.contains_key(&Key::Base(h.name.clone())));
        if !fresh.is_empty() {
            lookahead.mark(&fresh);
            self.provider.prefetch(&fresh, lookahead);
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
}

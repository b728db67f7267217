//! Whether what is installed already satisfies the requirements, told from the
//! installed projects' own metadata without asking any source: the usual second run
//! of `curd install -r requirements.txt` (a CI step, a deploy) then costs no request.
//!
//! The walk is the resolver's, over one candidate per project (the installed
//! version): every root requirement whose marker holds must name an installed
//! project whose version it admits (pre-releases included, as pip takes an
//! installed one), and so must every `Requires-Dist` line of each project reached,
//! its markers evaluated without extras and, for each extra asked of it, with that
//! extra; the constraints hold for every project reached. Anything the walk cannot
//! settle (a URL requirement, a line that does not parse, two versions of one
//! project installed) is not satisfied: the resolver decides.

use std::collections::{HashMap, HashSet};

use crate::install::InstalledDist;
use crate::standards::marker::MarkerEnvironment;
use crate::standards::name::{ExtraName, PackageName};
use crate::standards::requirement::{Requirement, VersionOrUrl};

/// The installed projects the requirements need, when those satisfy them all and
/// none is to be looked up afresh (`refresh`: `-f`, an upgrade); `None` otherwise.
pub fn installed_satisfies<'a>(
    roots: &[Requirement],
    constraints: &[Requirement],
    installed: &'a [InstalledDist],
    env: &MarkerEnvironment,
    refresh: &dyn Fn(&PackageName) -> bool,
) -> Option<Vec<&'a InstalledDist>> {
    let mut by_name: HashMap<&PackageName, &InstalledDist> = HashMap::new();
    for dist in installed {
        if by_name.insert(&dist.name, dist).is_some() {
            return None;
        }
    }
    let applies = |r: &Requirement| r.marker.as_ref().is_none_or(|m| m.evaluate(env, &[]));
    let constraints: Vec<&Requirement> = constraints.iter().filter(|r| applies(r)).collect();
    let mut queue: Vec<Requirement> = roots.iter().filter(|r| applies(r)).cloned().collect();
    let mut expanded: HashSet<(PackageName, Option<ExtraName>)> = HashSet::new();
    let mut needed: Vec<&InstalledDist> = Vec::new();
    while let Some(requirement) = queue.pop() {
        let dist = *by_name.get(&requirement.name)?;
        if refresh(&dist.name) || !admits(&requirement, dist) {
            return None;
        }
        let constrained = constraints.iter().filter(|c| c.name == dist.name);
        if !constrained.into_iter().all(|c| admits(c, dist)) {
            return None;
        }
        let asked = std::iter::once(None).chain(requirement.extras.iter().cloned().map(Some));
        for extra in asked {
            if !expanded.insert((dist.name.clone(), extra.clone())) {
                continue;
            }
            if extra.is_none() {
                needed.push(dist);
            }
            for line in &dist.requires_dist {
                let child: Requirement = line.parse().ok()?;
                let wanted = match (&child.marker, &extra) {
                    (None, None) => true,
                    (None, Some(_)) => false,
                    (Some(marker), None) => marker.evaluate(env, &[]),
                    (Some(marker), Some(extra)) => {
                        marker.evaluate(env, std::slice::from_ref(extra))
                    }
                };
                if wanted {
                    queue.push(child);
                }
            }
        }
    }
    Some(needed)
}

/// Whether `dist` is a version `requirement` allows; a URL is for the resolver.
fn admits(requirement: &Requirement, dist: &InstalledDist) -> bool {
    match &requirement.version_or_url {
        None => true,
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
            specifiers.contains_with_prereleases(&dist.version, Some(true))
        }
        Some(VersionOrUrl::Url(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn dist(name: &str, version: &str, requires: &[&str]) -> InstalledDist {
        InstalledDist {
            name: PackageName::new(name).expect("a name"),
            version: version.parse().expect("a version"),
            dist_info: PathBuf::from(format!("{name}-{version}.dist-info")),
            requires_dist: requires.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn reqs(texts: &[&str]) -> Vec<Requirement> {
        texts
            .iter()
            .map(|t| t.parse().expect("a requirement"))
            .collect()
    }

    fn env() -> MarkerEnvironment {
        let pairs = [
            ("implementation_name", "cpython"),
            ("implementation_version", "3.11.2"),
            ("os_name", "posix"),
            ("platform_machine", "x86_64"),
            ("platform_python_implementation", "CPython"),
            ("platform_release", ""),
            ("platform_system", "Linux"),
            ("platform_version", ""),
            ("python_full_version", "3.11.2"),
            ("python_version", "3.11"),
            ("sys_platform", "linux"),
        ];
        MarkerEnvironment::from_map(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .expect("markers")
    }

    /// The names of what is needed, sorted, or `None`.
    fn check(roots: &[&str], constraints: &[&str], installed: &[InstalledDist]) -> Option<String> {
        let needed =
            installed_satisfies(&reqs(roots), &reqs(constraints), installed, &env(), &|_| {
                false
            })?;
        let mut names: Vec<&str> = needed.iter().map(|d| d.name.as_str()).collect();
        names.sort();
        Some(names.join(" "))
    }

    fn installed() -> Vec<InstalledDist> {
        vec![
            dist(
                "app",
                "1.0",
                &[
                    "lib>=1",
                    "fast>=2; extra == 'speed'",
                    "winonly; sys_platform == 'win32'",
                ],
            ),
            dist("lib", "1.5", &["base"]),
            dist("base", "2.0rc1", &[]),
            dist("fast", "2.1", &[]),
            dist("stray", "1.0", &[]),
        ]
    }

    #[test]
    fn the_installed_set_satisfies_transitively() {
        let all = installed();
        assert_eq!(check(&["app"], &[], &all).as_deref(), Some("app base lib"));
        // Extras bring their own requirements; markers that do not hold are skipped.
        assert_eq!(
            check(&["app[speed]>=1"], &[], &all).as_deref(),
            Some("app base fast lib")
        );
        // Root requirements whose marker is false need nothing.
        assert_eq!(
            check(&["app", "winonly; sys_platform == 'win32'"], &[], &all).as_deref(),
            Some("app base lib")
        );
    }

    #[test]
    fn anything_unsatisfied_leaves_it_to_the_resolver() {
        let all = installed();
        assert_eq!(check(&["app>=2"], &[], &all), None, "version");
        assert_eq!(check(&["missing"], &[], &all), None, "not installed");
        let without_lib: Vec<InstalledDist> = installed()
            .into_iter()
            .filter(|d| d.name.as_str() != "lib")
            .collect();
        assert_eq!(
            check(&["app"], &[], &without_lib),
            None,
            "a dependency missing"
        );
        let slow = vec![
            dist("app", "1.0", &["fast>=2; extra == 'speed'"]),
            dist("fast", "1.0", &[]),
        ];
        assert_eq!(
            check(&["app[speed]"], &[], &slow),
            None,
            "an extra's requirement"
        );
        assert_eq!(check(&["app"], &["lib<1.5"], &all), None, "a constraint");
        assert_eq!(
            check(&["app"], &["lib<1.5; sys_platform == 'win32'"], &all).as_deref(),
            Some("app base lib"),
            "a constraint whose marker is false"
        );
        assert_eq!(
            check(&["app @ https://h/app-1.0-py3-none-any.whl"], &[], &all),
            None
        );
        let garbled = vec![dist("app", "1.0", &["lib >=>= 1"]), dist("lib", "1.0", &[])];
        assert_eq!(
            check(&["app"], &[], &garbled),
            None,
            "a line that does not parse"
        );
    }

    #[test]
    fn a_project_to_refresh_is_never_taken_as_installed() {
        let all = installed();
        let refreshed = installed_satisfies(&reqs(&["app"]), &[], &all, &env(), &|name| {
            name.as_str() == "base"
        });
        assert!(refreshed.is_none());
    }
}

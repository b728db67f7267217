//! `curd check`: whether every installed project has what it requires, as
//! `pip check` says it: each `Requires-Dist` whose marker holds here must be
//! installed, in a version its specifiers take (pre-releases included).
//!
//! Unlike pip, extras are honoured: when one installed project requires
//! `y[socks]`, the requirements of `y`'s `socks` extra are checked as well, since
//! that project will not work without them.

use std::collections::{BTreeMap, BTreeSet};

use crate::cli::args::CheckArgs;
use crate::cli::error::CommandError;
use crate::cli::freeze::{Described, describe, open};
use crate::standards::marker::MarkerEnvironment;
use crate::standards::name::{ExtraName, PackageName};
use crate::standards::requirement::{Requirement, VersionOrUrl};
use crate::warn;

/// `curd check`: `Ok(false)` when something is missing or in the wrong version.
pub fn check(args: CheckArgs) -> Result<bool, CommandError> {
    let env = open(args.python)?;
    let markers = MarkerEnvironment::from_map(env.interpreter.markers().iter())?;
    let installed = describe(&env)?;
    let (problems, unreadable) = problems(&installed, &markers);
    for line in &problems {
        println!("{line}");
    }
    if problems.is_empty() && !unreadable {
        println!("No broken requirements found.");
    }
    Ok(problems.is_empty() && !unreadable)
}

/// The lines pip prints for what is missing and what conflicts, and whether some
/// project's requirements could not be read (pip's exit code counts those too).
fn problems(installed: &[Described], markers: &MarkerEnvironment) -> (Vec<String>, bool) {
    let mut unreadable = false;
    let mut parsed: BTreeMap<&PackageName, Vec<Requirement>> = BTreeMap::new();
    for dist in installed {
        let mut requirements = Vec::new();
        for text in dist.all("Requires-Dist") {
            match text.parse::<Requirement>() {
                Ok(requirement) => requirements.push(requirement),
                Err(error) => {
                    warn!("Error parsing requirements for {}: {error}", dist.dist.name);
                    unreadable = true;
                }
            }
        }
        parsed.insert(&dist.dist.name, requirements);
    }
    let extras = asked_extras(&parsed, markers);
    let mut missing = Vec::new();
    let mut conflicting = Vec::new();
    for dist in installed {
        let name = &dist.dist.name;
        let asked: Vec<ExtraName> = extras.get(name).into_iter().flatten().cloned().collect();
        let mut own_missing = BTreeSet::new();
        let mut own_conflicting = BTreeSet::new();
        for requirement in parsed.get(name).into_iter().flatten() {
            if !applies(requirement, markers, &asked) {
                continue;
            }
            let Some(found) = installed.iter().find(|d| d.dist.name == requirement.name) else {
                own_missing.insert(requirement.name.to_string());
                continue;
            };
            let version = &found.dist.version;
            if let Some(VersionOrUrl::VersionSpecifier(specifiers)) = &requirement.version_or_url
                && !specifiers.contains_with_prereleases(version, Some(true))
            {
                own_conflicting.insert(format!(
                    "{name} {} has requirement {requirement}, but you have {} {version}.",
                    dist.dist.version, requirement.name
                ));
            }
        }
        for dependency in own_missing {
            missing.push(format!(
                "{name} {} requires {dependency}, which is not installed.",
                dist.dist.version
            ));
        }
        conflicting.extend(own_conflicting);
    }
    missing.extend(conflicting);
    (missing, unreadable)
}

/// Whether a requirement holds here, given the extras of its project that are asked
/// for (none: the marker is tried with `extra == ""`, as pip does).
fn applies(requirement: &Requirement, markers: &MarkerEnvironment, extras: &[ExtraName]) -> bool {
    let Some(marker) = &requirement.marker else {
        return true;
    };
    marker.evaluate(markers, &[]) || (!extras.is_empty() && marker.evaluate(markers, extras))
}

/// The extras of each installed project that other installed projects ask for,
/// through requirements that hold here, followed until nothing new is asked.
fn asked_extras(
    parsed: &BTreeMap<&PackageName, Vec<Requirement>>,
    markers: &MarkerEnvironment,
) -> BTreeMap<PackageName, BTreeSet<ExtraName>> {
    let mut asked: BTreeMap<PackageName, BTreeSet<ExtraName>> = BTreeMap::new();
    loop {
        let mut grew = false;
        for (name, requirements) in parsed {
            let own: Vec<ExtraName> = asked.get(*name).into_iter().flatten().cloned().collect();
            for requirement in requirements {
                if !requirement.extras.is_empty() && applies(requirement, markers, &own) {
                    let set = asked.entry(requirement.name.clone()).or_default();
                    for extra in &requirement.extras {
                        grew |= set.insert(extra.clone());
                    }
                }
            }
        }
        if !grew {
            return asked;
        }
    }
}

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use crate::standards::marker::MarkerEnvironment;
use crate::standards::name::{ExtraName, PackageName};
use crate::standards::requirement::{Requirement, VersionOrUrl};
use crate::standards::version::Version;

use super::*;

/// Project, version, dependencies; a dependency of `!error` makes reading that
/// version's metadata fail, `!python>=3.13` (any specifiers) makes its metadata
/// exclude the interpreter, `!yanked` leaves it out of the version list.
type Row<'a> = (&'a str, &'a str, &'a [&'a str]);

/// What a row's `!` entry says of its version.
#[derive(Clone, Debug, PartialEq)]
enum Mark {
    Usable,
    Error,
    /// Found unusable when its dependencies are asked for.
    Unusable(Unusable),
    /// Left out of the version list, for this reason.
    Unlisted(Unusable),
}

impl Mark {
    fn parse(dependency: &str) -> Option<Mark> {
        let mark = dependency.strip_prefix('!')?;
        Some(match mark {
            "error" => Mark::Error,
            "yanked" => Mark::Unlisted(Unusable::Yanked {
                reason: String::new(),
            }),
            _ => Mark::Unusable(Unusable::RequiresPython {
                requires: mark.strip_prefix("python")?.parse().ok()?,
                python: "3.12.1".parse().ok()?,
            }),
        })
    }
}

struct Index {
    projects: BTreeMap<PackageName, Vec<(Version, Vec<Requirement>, Mark)>>,
    log: RefCell<Vec<String>>,
    /// The projects a lookahead led to, as a provider following it would fetch them.
    followed: RefCell<Vec<String>>,
}

impl Index {
    fn new(rows: impl IntoIterator<Item = (String, String, Vec<String>)>) -> Index {
        let mut projects: BTreeMap<PackageName, Vec<_>> = BTreeMap::new();
        for (name, version, dependencies) in rows {
            let mark = dependencies
                .iter()
                .find_map(|d| Mark::parse(d))
                .unwrap_or(Mark::Usable);
            let requirements = dependencies
                .iter()
                .filter(|d| !d.starts_with('!'))
                .map(|d| d.parse().unwrap())
                .collect();
            projects.entry(name.parse().unwrap()).or_default().push((
                version.parse().unwrap(),
                requirements,
                mark,
            ));
        }
        Index {
            projects,
            log: RefCell::new(Vec::new()),
            followed: RefCell::new(Vec::new()),
        }
    }

    /// The versions of a project, newest first, unlisted ones left out.
    fn sorted(&self, name: &PackageName) -> Vec<Version> {
        let mut versions: Vec<Version> = self
            .projects
            .get(name)
            .map(|list| {
                list.iter()
                    .filter(|(_, _, mark)| !matches!(mark, Mark::Unlisted(_)))
                    .map(|(v, _, _)| v.clone())
                    .collect()
            })
            .unwrap_or_default();
        versions.sort_by(|a, b| b.cmp(a));
        versions
    }

    fn usable(&self, name: &PackageName, version: &Version) -> bool {
        self.projects.get(name).is_some_and(|list| {
            list.iter()
                .any(|(v, _, mark)| v == version && *mark == Mark::Usable)
        })
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

    fn dependencies(&self, name: &PackageName, version: &Version) -> Result<Dependencies, String> {
        self.log
            .borrow_mut()
            .push(format!("dependencies {name} {version}"));
        let found = self
            .projects
            .get(name)
            .and_then(|list| list.iter().find(|(v, _, _)| v == version));
        match found {
            Some((_, _, Mark::Error)) => {
                Err(format!("cannot read the metadata of {name} {version}"))
            }
            Some((_, _, Mark::Unusable(reason))) => Ok(Dependencies::Unusable(reason.clone())),
            Some((_, requirements, Mark::Usable)) => Ok(Dependencies::Known(requirements.clone())),
            Some((_, _, Mark::Unlisted(_))) | None => {
                Err(format!("{name} {version} does not exist"))
            }
        }
    }

    fn unusable(&self, name: &PackageName) -> Vec<(Version, Unusable)> {
        let mut unlisted: Vec<(Version, Unusable)> = self
            .projects
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|(v, _, mark)| match mark {
                Mark::Unlisted(reason) => Some((v.clone(), reason.clone())),
                _ => None,
            })
            .collect();
        unlisted.sort_by(|a, b| b.0.cmp(&a.0));
        unlisted
    }

    /// Logs each project with the version the hint guesses: `prefetch a=1.0,b`;
    /// follows the lookahead down from there, noting each project it leads to.
    fn prefetch(&self, hints: &[Hint], lookahead: Lookahead<'_>) {
        let mut queue = hints.to_vec();
        while let Some(hint) = queue.pop() {
            let versions = self.sorted(&hint.name);
            let Some(requirements) = hint
                .likely(&versions)
                .and_then(|v| self.requirements(&hint.name, v))
            else {
                continue;
            };
            for next in lookahead.after(&hint, requirements) {
                let extras: Vec<&str> = next.extras.iter().map(ExtraName::as_str).collect();
                self.followed
                    .borrow_mut()
                    .push(format!("{}[{}]", next.name, extras.join(",")));
                queue.push(next);
            }
        }
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

fn environment() -> Result<MarkerEnvironment, crate::standards::marker::MarkerEnvironmentError> {
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
        if let Some(VersionOrUrl::VersionSpecifier(s)) = &r.version_or_url
            && !s.contains_with_prereleases(version, Some(true))
        {
            return Err(format!("{who} requires {r}, got {version}"));
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
                && !s.contains_with_prereleases(version, Some(true))
            {
                return Err(format!("constraint {c} excludes {name} {version}"));
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
        if !index.usable(&p.name, &p.version) {
            return Err(format!("{} {} is not usable", p.name, p.version));
        }
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
        .map(|(name, list)| {
            let usable = list.iter().filter(|(_, _, mark)| *mark == Mark::Usable);
            (name, usable.map(|(v, _, _)| v).collect())
        })
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

/// With `unusable`, a version in four is found unusable when its metadata is read.
fn random_graph(
    seed: u64,
    projects: usize,
    versions: usize,
    max_deps: usize,
    extras: bool,
    unusable: bool,
) -> (Index, Vec<Requirement>) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut rows = Vec::new();
    for p in 0..projects {
        for v in 1..=versions {
            let count = rng.below(max_deps + 1);
            let mut deps: Vec<String> = (0..count)
                .map(|_| rng.requirement(projects, versions, p, extras))
                .collect();
            if unusable && rng.below(4) == 0 {
                deps.push("!python>=3.13".to_string());
            }
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

/// The project named first keeps its newest version; the later one, though it
/// has fewer versions, gives way (as pip and uv resolve it).
#[test]
fn decides_in_the_order_met() {
    let rows: &[Row] = &[
        ("app", "1.0", &["lib>=1"]),
        ("app", "2.0", &["lib>=2"]),
        ("app", "3.0", &["lib>=3"]),
        ("lib", "1.0", &[]),
        ("lib", "2.0", &[]),
        ("lib", "3.0", &[]),
        ("tool", "1.0", &[]),
        ("tool", "2.0", &["lib<3"]),
    ];
    assert_eq!(solve(rows, &["app", "tool"]), "app 3.0, lib 3.0, tool 1.0");
    assert_eq!(solve(rows, &["tool", "app"]), "app 2.0, lib 2.0, tool 2.0");
}

/// Versions of plugin rejected again and again because of the version decided
/// for base, met first: plugin is then decided first and keeps its newest
/// version, and base fits around it.
#[test]
fn repeated_conflicts_reorder_decisions() {
    let mut rows: Vec<Row> = vec![
        ("app", "1.0", &["base", "plugin"]),
        ("base", "1.0", &[]),
        ("base", "2.0", &[]),
        ("plugin", "1.0", &[]),
    ];
    for version in ["2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6"] {
        rows.push(("plugin", version, &["base<2"]));
    }
    assert_eq!(solve(&rows, &["app"]), "app 1.0, base 1.0, plugin 2.6");
    // Fewer rejections than it takes to reorder: base keeps its newest version.
    rows.truncate(7);
    assert_eq!(solve(&rows, &["app"]), "app 1.0, base 2.0, plugin 1.0");
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
        show(&resolution).starts_with("a 2.0, b 2.0, c 2.0, d 2.0, e 1.0, x0 2.0, x1 2.0, x10 2.0"),
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
            extras: Vec::new(),
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

/// A lookahead leads from the hints down the likely versions' requirements, with
/// the resolver's rules: markers evaluated (with the extras asked), each project
/// with its extras once, none the resolver already met.
#[test]
fn lookahead_follows_requirements_down() {
    let rows: &[Row] = &[
        (
            "a",
            "1.0",
            &["b>=1", "c[x]", "w; sys_platform == 'nowhere'"],
        ),
        ("b", "1.0", &["d"]),
        (
            "c",
            "1.0",
            &["e; extra == 'x'", "f; extra == 'y'", "g", "d"],
        ),
        ("d", "1.0", &["a", "b"]),
        ("e", "1.0", &[]),
        ("f", "1.0", &[]),
        ("g", "1.0", &[]),
        ("w", "1.0", &[]),
    ];
    let index = index(rows);
    let resolution = run(&index, &["a"], &Options::default()).unwrap();
    assert_eq!(
        show(&resolution),
        "a 1.0, b 1.0, c[x] 1.0, d 1.0, e 1.0, g 1.0"
    );
    let mut followed = index.followed.borrow().clone();
    followed.sort();
    assert_eq!(followed, ["b[]", "c[x]", "d[]", "e[]", "g[]"]);
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
fn unusable_versions_are_passed_over_and_explained() {
    let rows: &[Row] = &[
        ("app", "2.0", &["lib>=2"]),
        ("app", "1.0", &["lib"]),
        ("lib", "3.0", &["!yanked"]),
        ("lib", "2.0", &["!python>=3.13"]),
        ("lib", "1.0", &[]),
    ];
    // Found unusable only once its dependencies are asked for, lib 2.0 sends the
    // resolver back to app 1.0.
    assert_eq!(solve(rows, &["app"]), "app 1.0, lib 1.0");
    assert_eq!(
        solve(rows, &["lib==3.0"]),
        "no version of lib satisfies ==3.0 (required by root)\n  lib 3.0 is yanked"
    );
    assert_eq!(
        solve(rows, &["app==2.0"]),
        "no solution found:\n\
         Because app 2.0 depends on lib>=2 and lib 2.0 requires Python >=3.13 \
         (the interpreter is Python 3.12.1), app 2.0 cannot be installed.\n\
         And because root requires app==2.0, the requirements cannot be satisfied."
    );
    let many: Vec<(String, String, Vec<String>)> = (1..=8)
        .map(|v| ("old".into(), format!("{v}.0"), vec!["!yanked".into()]))
        .collect();
    let error = run(&Index::new(many), &["old"], &Options::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "no version of old can be used (required by root)\n  \
         old 8.0 is yanked\n  old 7.0 is yanked\n  old 6.0 is yanked\n  \
         old 5.0 is yanked\n  old 4.0 is yanked\n  \
         and 3 older versions that cannot be used either"
    );
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
         URL requirement: only the command line and requirements files may name one\n\
         hint: add `b @ URL` to the command line or a requirements file"
    );
    assert!(matches!(
        run(&index(rows), &["a @ https://example.com/a.whl"], &Options::default()),
        Err(ResolveError::Url { chain, .. }) if chain.is_empty()
    ));
}

#[test]
fn fetches_each_list_once_and_hints_first() {
    let (index, root) = random_graph(7, 30, 8, 3, true, false);
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
        let (index, root) = random_graph(seed, 50, 10, 3, true, false);
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

/// Resolves the graph of each seed (with extras or not), checks any solution,
/// and checks against brute force that one exists exactly when it is found; says
/// how many were solved and how many failed.
fn agree_with_brute_force(
    seeds: std::ops::Range<u64>,
    graph: impl Fn(u64) -> ((Index, Vec<Requirement>), bool),
) -> (usize, usize) {
    let (mut solved, mut failed) = (0, 0);
    for seed in seeds {
        let ((index, root), extras) = graph(seed);
        let exists = brute_force(&index, &root, extras);
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
    (solved, failed)
}

#[test]
fn random_small_graphs_agree_with_brute_force() {
    let (solved, failed) = agree_with_brute_force(0..400, |seed| {
        (random_graph(seed, 5, 3, 2, false, false), false)
    });
    assert!(
        solved > 50 && failed > 50,
        "{solved} solved, {failed} failed"
    );
}

#[test]
fn random_small_graphs_with_unusable_versions_agree_with_brute_force() {
    let (solved, failed) = agree_with_brute_force(0..300, |seed| {
        let extras = seed % 3 == 0;
        (random_graph(9000 + seed, 5, 3, 2, extras, true), extras)
    });
    assert!(
        solved > 50 && failed > 50,
        "{solved} solved, {failed} failed"
    );
}

#[test]
fn random_small_graphs_with_extras_agree_with_brute_force() {
    let (solved, failed) = agree_with_brute_force(0..150, |seed| {
        (random_graph(5000 + seed, 4, 3, 3, true, false), true)
    });
    assert!(
        solved > 20 && failed > 20,
        "{solved} solved, {failed} failed"
    );
}

#[test]
fn random_large_graphs_resolve_to_valid_solutions() {
    let mut solved = 0;
    for seed in 0..40 {
        let (index, root) = random_graph(1000 + seed, 50, 10, 3, seed % 2 == 0, seed % 4 < 2);
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

/// A conflict at the end of a chain of thousands of projects is learned one link
/// at a time, a derivation as deep as the chain: told without recursion, it
/// cannot overflow the stack (test threads have 2 MiB).
#[test]
fn explains_a_derivation_thousands_deep() {
    let n = 5000;
    let mut rows: Vec<(String, String, Vec<String>)> = (0..n)
        .map(|i| (format!("a{i}"), "1.0".into(), vec![format!("a{}", i + 1)]))
        .collect();
    rows.push((format!("a{n}"), "1.0".into(), vec!["c==1.0".into()]));
    rows.push(("c".into(), "1.0".into(), vec![]));
    rows.push(("c".into(), "2.0".into(), vec![]));
    let error = run(&Index::new(rows), &["c==2.0", "a0"], &Options::default()).unwrap_err();
    let ResolveError::NoSolution(text) = error else {
        panic!("{error}");
    };
    // Two links a line, as the reporter folds a linear chain.
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), n / 2 + 2);
    assert_eq!(
        lines[0],
        "Because a0 1.0 depends on a1 and a1 1.0 depends on a2, a0 1.0 depends on a2 1.0."
    );
    assert!(
        lines[n / 2 + 1].ends_with("the requirements cannot be satisfied."),
        "{}",
        lines[n / 2 + 1]
    );
}

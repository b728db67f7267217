//! Which versions the resolver picks when several answers are valid: the ones pip
//! and uv pick, with the newest versions of what the user asked for. Each shape is
//! served by curd-server over loopback, and pip and uv (today's, from the tools
//! venv) resolve it beside curd as the oracles.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::curd::Curd;
use crate::support::dists::WheelSpec;
use crate::support::process::{command, run_ok};
use crate::support::python::{pip, tool, tools_python, venv};
use crate::support::servers::Server;
use crate::support::tmp::{TempDir, mkdir};

/// One release: name, version, Requires-Python, Requires-Dist.
type Release = (String, String, Option<String>, Vec<String>);

/// The releases of a file written by `fixtures/resolution/pypi_shape.py`.
fn fixture(file: &str) -> Vec<Release> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/resolution")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("read the fixture");
    text.lines()
        .map(|line| {
            let mut fields = line.split(" | ");
            let head: Vec<&str> = fields.next().unwrap_or_default().split(' ').collect();
            let [name, version, python] = head[..] else {
                panic!("{}: bad line {line:?}", path.display());
            };
            let python = (python != "-").then(|| python.to_string());
            let requires = fields.map(String::from).collect();
            (name.to_string(), version.to_string(), python, requires)
        })
        .collect()
}

/// Releases written in the test, with no Requires-Python.
fn releases(rows: &[(&str, &str, &[&str])]) -> Vec<Release> {
    rows.iter()
        .map(|(name, version, requires)| {
            let requires = requires.iter().map(|r| r.to_string()).collect();
            (name.to_string(), version.to_string(), None, requires)
        })
        .collect()
}

/// name → version, names normalized.
pub type Picked = BTreeMap<String, String>;

pub fn normalized(name: &str) -> String {
    name.to_lowercase().replace(['_', '.'], "-")
}

/// What `curd install --dry-run` would install into the venv at `env`.
pub fn curd_picks(dir: &Path, env: &Path, options: &[&str], requirements: &[&str]) -> Picked {
    let run = Curd::install(dir, env)
        .arg("--dry-run")
        .args(options)
        .args(requirements)
        .run()
        .success();
    run.stdout
        .trim()
        .strip_prefix("Would install ")
        .unwrap_or_else(|| panic!("curd said {:?}", run.stdout))
        .split(' ')
        .map(|dist| {
            let (name, version) = dist.rsplit_once('-').expect("name-version");
            (normalized(name), version.to_string())
        })
        .collect()
}

/// What `uv pip compile` picks for the interpreter of the venv at `env`.
pub fn uv_picks(dir: &Path, env: &Path, options: &[&str], requirements: &[&str]) -> Picked {
    let input = dir.join("requirements.in");
    let output = dir.join("requirements.txt");
    std::fs::write(&input, requirements.join("\n")).expect("write requirements.in");
    run_ok(
        command(tool("uv"))
            .args(["pip", "compile", "-q", "--no-header", "--no-annotate"])
            .args(options)
            .arg("--python")
            .arg(env.join("bin/python"))
            .arg(&input)
            .arg("-o")
            .arg(&output)
            .env("UV_CACHE_DIR", dir.join("uv-cache"))
            .env("UV_NO_CONFIG", "1"),
    );
    std::fs::read_to_string(&output)
        .expect("uv's output")
        .lines()
        .filter_map(|line| line.split_once("=="))
        .map(|(name, version)| (normalized(name), version.trim().to_string()))
        .collect()
}

/// What curd, pip and uv pick for `requirements` among `releases`, in that order.
fn resolve_all(label: &str, releases: &[Release], requirements: &[&str]) -> [Picked; 3] {
    let tmp = TempDir::new(label);
    let wheels = mkdir(tmp.path().join("wheels"));
    for (name, version, python, requires) in releases {
        let requires: Vec<&str> = requires.iter().map(String::as_str).collect();
        WheelSpec {
            requires: &requires,
            requires_python: python.as_deref(),
            ..WheelSpec::new(name, version)
        }
        .build(&wheels);
    }
    let server = Server::start(&wheels, &[]);
    let index = format!("{}/simple/", server.url);
    let env = venv(tmp.path());

    let curd = curd_picks(tmp.path(), &env, &["-i", &index], requirements);

    let report = tmp.path().join("pip-report.json");
    run_ok(
        pip(&tools_python(&["pip"]))
            .arg("--python")
            .arg(env.join("bin/python"))
            .args(["install", "--dry-run", "--ignore-installed", "-q"])
            .args(["--index-url", &index, "--report"])
            .arg(&report)
            .args(requirements),
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("pip's report")).expect("JSON");
    let pip = report["install"]
        .as_array()
        .expect("pip's install list")
        .iter()
        .map(|item| {
            let metadata = &item["metadata"];
            let field = |key: &str| metadata[key].as_str().expect("name and version");
            (normalized(field("name")), field("version").to_string())
        })
        .collect();

    let uv = uv_picks(tmp.path(), &env, &["--index-url", &index], requirements);
    [curd, pip, uv]
}

/// Asserts curd picks what pip and uv both pick, and that `expected` (the versions
/// this shape is about) is among it.
fn picks_what_pip_and_uv_pick(
    label: &str,
    releases: &[Release],
    requirements: &[&str],
    expected: &[(&str, &str)],
) {
    let [curd, pip, uv] = resolve_all(label, releases, requirements);
    assert_eq!(pip, uv, "the oracles disagree on {requirements:?}");
    assert_eq!(
        curd, uv,
        "curd (left) and pip and uv (right) on {requirements:?}"
    );
    for (name, version) in expected {
        assert_eq!(uv.get(*name).map(String::as_str), Some(*version), "{name}");
    }
}

/// `dbt-core==1.8.*` as on PyPI (`fixtures/resolution/dbt-core-1.8.txt`):
/// dbt-core asks for mashumaro<4 and dbt-adapters<2, but dbt-adapters from 1.10.3
/// caps mashumaro below 3.15. Deciding mashumaro first (it has fewer versions)
/// keeps mashumaro 3.23 and falls back to dbt-adapters 1.10.2; pip and uv keep the
/// newest dbt-adapters that fits (1.16.3: later ones need protobuf 6, which
/// dbt-core 1.8 refuses) and take mashumaro 3.14.
#[test]
fn dbt_core_keeps_its_newest_adapters() {
    picks_what_pip_and_uv_pick(
        "resolution-dbt",
        &fixture("dbt-core-1.8.txt"),
        &["dbt-core==1.8.*"],
        &[("dbt-adapters", "1.16.3"), ("mashumaro", "3.14")],
    );
}

/// Two direct requirements meet on a shared dependency: app needs a new lib, tool's
/// newer versions cap it. The one named first keeps its newest version; tool,
/// with fewer versions, is the one that gives way.
#[test]
fn the_first_requirement_keeps_its_newest_version() {
    let release = |name: &str, version: String, requires: Vec<String>| {
        (name.to_string(), version, None, requires)
    };
    let mut rows: Vec<Release> = Vec::new();
    for v in 1..=8 {
        rows.push(release("app", format!("{v}.0"), vec![format!("lib>={v}")]));
        rows.push(release("lib", format!("{v}.0"), Vec::new()));
    }
    for (v, cap) in [(1, None), (2, Some(7)), (3, Some(5))] {
        let requires = cap.map(|c| format!("lib<{c}")).into_iter().collect();
        rows.push(release("tool", format!("{v}.0"), requires));
    }
    picks_what_pip_and_uv_pick(
        "resolution-first",
        &rows,
        &["app", "tool"],
        &[("app", "8.0"), ("lib", "8.0"), ("tool", "1.0")],
    );
}

/// A dependency decided early (base, met first) blames its version for the
/// rejection of many versions of a later one (plugin): after a few rejections the
/// later one is decided first and keeps its newest version, as uv and pip do.
#[test]
fn repeated_conflicts_move_the_rejected_project_first() {
    let mut rows: Vec<(&str, &str, &[&str])> = vec![
        ("app", "1.0", &["base", "plugin"]),
        ("base", "1.0", &[]),
        ("base", "2.0", &[]),
        ("base", "3.0", &[]),
        ("plugin", "1.0", &[]),
    ];
    let versions = ["2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7"];
    for version in &versions {
        rows.push(("plugin", version, &["base<3"]));
    }
    picks_what_pip_and_uv_pick(
        "resolution-rejected",
        &releases(&rows),
        &["app"],
        &[("plugin", "2.7"), ("base", "2.0")],
    );
}

/// Asserts curd picks what pip picks where uv, measured beside it, picks otherwise
/// (each case says why curd follows pip): `pip_picks` and `uv_picks` are the
/// versions of the one project the case is about.
fn picks_what_pip_picks(
    label: &str,
    releases: &[Release],
    requirement: &str,
    pip_picks: &str,
    uv_picks: &str,
) {
    let [curd, pip, uv] = resolve_all(label, releases, &[requirement]);
    let name = requirement
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or_default();
    assert_eq!(pip.get(name).map(String::as_str), Some(pip_picks), "pip");
    assert_eq!(uv.get(name).map(String::as_str), Some(uv_picks), "uv");
    assert_eq!(curd, pip, "curd (left) and pip (right) on {requirement}");
}

/// A requirement that names a pre-release or a dev release, with any operator,
/// lets that project's pre-releases in (packaging 22+ and pip 26): `>V.devN`
/// takes the newest version, a beta. uv keeps to final releases there; curd
/// follows pip, as the README's table of where pip and uv disagree says.
#[test]
fn a_requirement_naming_a_dev_release_admits_pre_releases_as_pip_does() {
    picks_what_pip_picks(
        "resolution-pre-dev",
        &releases(&[("vt", "1.0.15", &[]), ("vt", "2.0b1", &[])]),
        "vt>1.0.post456.dev34",
        "2.0b1",
        "1.0.15",
    );
}

/// `<0.2.0a2` names a pre-release: pre-releases are in, and `<V` allows the alpha
/// below `V` because `V` is itself a pre-release, so pip 26 takes 0.2.0a1; uv
/// (0.13) keeps to 0.1.0. curd follows pip.
#[test]
fn a_requirement_below_a_pre_release_takes_the_one_before_as_pip_does() {
    let rows: Vec<(&str, &str, &[&str])> =
        ["0.1.0", "0.2.0", "0.2.0a1", "0.2.0a2", "0.2.0a3", "0.3.0"]
            .iter()
            .map(|v| ("a", *v, &[][..]))
            .collect();
    picks_what_pip_picks(
        "resolution-pre-below",
        &releases(&rows),
        "a<0.2.0a2",
        "0.2.0a1",
        "0.1.0",
    );
}

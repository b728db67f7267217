//! What an sdist's PKG-INFO tells before a build: a Requires-Python that leaves the
//! interpreter out skips the version unbuilt, and dependencies Metadata 2.2 marks
//! static resolve unbuilt; a field marked `Dynamic` is learned from the build.
//! Real binaries, real venvs, find-links folders (whose listings carry no
//! Requires-Python), and a backend in each project that notes every build it runs.

use std::path::{Path, PathBuf};

use crate::support::curd::Curd;
use crate::support::dists::{self, WheelSpec};
use crate::support::process::Run;
use crate::support::python::{pip_freeze, venv};
use crate::support::tmp::{TempDir, mkdir};

/// A PEP 517 backend (after [`dists::PYTHON_WHEEL_WRITER`]): the wheel's
/// METADATA is the project's `METADATA` file as it is, and each build adds
/// `built NAME VERSION` to the file that `TRACE` names.
const BACKEND: &str = r#"
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    metadata = open("METADATA", "rb").read()
    fields = dict(line.split(": ", 1) for line in metadata.decode().splitlines()[1:3])
    name, version = fields["Name"], fields["Version"]
    with open(open("TRACE").read(), "a") as trace:
        trace.write("built %s %s\n" % (name, version))
    init = name.replace("-", "_") + "/__init__.py"
    return write_wheel(wheel_directory, name, version, metadata, [(init, b"")])
"#;

const PYPROJECT: &str =
    "[build-system]\nrequires = []\nbuild-backend = \"noting\"\nbackend-path = [\"_backend\"]\n";

/// What an sdist says of itself: PKG-INFO's Metadata-Version, a newline and the
/// fields after its name and version; the same fields of the wheel it builds; and
/// `[project]`'s keys after its name and version, if it has that table.
struct Says<'a> {
    pkg_info: &'a str,
    wheel: &'a str,
    project: Option<&'a str>,
}

/// What an sdist without `[project]` says.
fn says<'a>(pkg_info: &'a str, wheel: &'a str) -> Says<'a> {
    Says {
        pkg_info,
        wheel,
        project: None,
    }
}

/// `{name}-{version}.tar.gz` in `dir`, saying `says`.
fn sdist(dir: &Path, trace: &Path, name: &str, version: &str, says: Says<'_>) {
    let Says {
        pkg_info,
        wheel,
        project,
    } = says;
    let head = |metadata_version: &str, rest: &str| {
        format!("Metadata-Version: {metadata_version}\nName: {name}\nVersion: {version}\n{rest}")
    };
    let (metadata_version, rest) = pkg_info.split_once('\n').unwrap_or((pkg_info, ""));
    let pkg_info = head(metadata_version, rest);
    let metadata = head("2.1", wheel);
    let trace = trace.display().to_string();
    let mut pyproject = PYPROJECT.to_string();
    if let Some(keys) = project {
        pyproject += &format!("[project]\nname = {name:?}\nversion = {version:?}\n{keys}");
    }
    let backend = format!("{}{BACKEND}", dists::PYTHON_WHEEL_WRITER);
    dists::sdist(
        dir,
        &format!("{name}-{version}"),
        None,
        &[
            ("PKG-INFO", &pkg_info),
            ("METADATA", &metadata),
            ("TRACE", &trace),
            ("pyproject.toml", &pyproject),
            ("_backend/noting.py", &backend),
        ],
    );
}

/// `curd install --no-index --find-links links ARGS` into a fresh venv.
fn install(home: &Path, links: &Path, args: &[&str]) -> (PathBuf, Run) {
    let env = venv(&mkdir(home.join(format!("env-{}", args.join("-")))));
    let run = Curd::install(home, &env)
        .args(["--no-index", "--find-links"])
        .arg(links)
        .args(args)
        .run();
    (env, run)
}

/// The builds the backends noted, sorted: independent sdists build at once.
fn builds(trace: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(trace).unwrap_or_default();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines.sort();
    lines
}

#[test]
fn a_version_whose_pkg_info_excludes_the_interpreter_is_skipped_unbuilt() {
    let dir = TempDir::new("pkg-info-python");
    let home = dir.path();
    let links = mkdir(home.join("links"));
    let trace = home.join("trace.txt");
    let far = "Requires-Python: >=3.99\n";
    sdist(
        &links,
        &trace,
        "demo",
        "2.0",
        says(&format!("1.2\n{far}"), far),
    );
    sdist(&links, &trace, "demo", "1.0", says("2.1\n", ""));
    // Metadata 2.2 may leave Requires-Python to the build: then only the build tells.
    let dynamic = format!("2.2\n{far}Dynamic: Requires-Python\n");
    sdist(&links, &trace, "later", "2.0", says(&dynamic, ""));
    sdist(&links, &trace, "later", "1.0", says("2.2\n", ""));

    let (env, run) = install(home, &links, &["demo", "later"]);
    let run = run.success();
    assert!(!run.stderr.contains("demo-2.0.tar.gz"), "{}", run.stderr);
    assert!(run.stderr.contains("Building later-2.0.tar.gz\n"));
    assert_eq!(builds(&trace), ["built demo 1.0", "built later 2.0"]);
    assert_eq!(pip_freeze(&env), "demo==1.0\nlater==2.0\n");
}

#[test]
fn static_dependencies_of_metadata_2_2_resolve_unbuilt() {
    let dir = TempDir::new("pkg-info-static");
    let home = dir.path();
    let links = mkdir(home.join("links"));
    WheelSpec::new("dep", "1.0").build(&links);
    let trace = home.join("trace.txt");
    // 2.0 needs a project no source has: the resolver must go back to 1.0, and
    // PKG-INFO says so without building 2.0.
    let missing = "Requires-Dist: absent>=1\n";
    sdist(
        &links,
        &trace,
        "demo",
        "2.0",
        says(&format!("2.2\n{missing}"), missing),
    );
    let dep = "Requires-Dist: dep\n";
    sdist(
        &links,
        &trace,
        "demo",
        "1.0",
        says(&format!("2.4\n{dep}"), dep),
    );
    // Dependencies left to the build are the built wheel's, whatever PKG-INFO says.
    let dynamic = "2.2\nRequires-Dist: absent\nDynamic: Requires-Dist\n";
    sdist(&links, &trace, "late", "1.0", says(dynamic, dep));

    let (env, run) = install(home, &links, &["demo"]);
    let run = run.success();
    assert!(!run.stderr.contains("demo-2.0.tar.gz"), "{}", run.stderr);
    assert_eq!(builds(&trace), ["built demo 1.0"]);
    assert_eq!(pip_freeze(&env), "demo==1.0\ndep==1.0\n");

    let (env, run) = install(home, &links, &["late"]);
    run.success();
    assert_eq!(builds(&trace), ["built demo 1.0", "built late 1.0"]);
    assert_eq!(pip_freeze(&env), "dep==1.0\nlate==1.0\n");
}

/// Metadata 2.1 promises nothing, but a `[project]` table does (PEP 621): a field
/// it neither gives nor lists in `dynamic` is empty in every wheel built from it.
#[test]
fn a_static_project_table_resolves_unbuilt() {
    let dir = TempDir::new("pkg-info-project");
    let home = dir.path();
    let links = mkdir(home.join("links"));
    WheelSpec::new("dep", "1.0").build(&links);
    let trace = home.join("trace.txt");
    let far = Says {
        pkg_info: "2.1\n",
        wheel: "Requires-Python: >=3.99\n",
        project: Some("requires-python = \">=3.99\"\n"),
    };
    sdist(&links, &trace, "demo", "3.0", far);
    let missing = Says {
        pkg_info: "2.1\n",
        wheel: "Requires-Dist: absent\n",
        project: Some("dependencies = [\"absent\"]\n"),
    };
    sdist(&links, &trace, "demo", "2.0", missing);
    let fine = Says {
        pkg_info: "2.1\n",
        wheel: "Requires-Dist: dep\n",
        project: Some("dependencies = [\"dep\"]\n"),
    };
    sdist(&links, &trace, "demo", "1.0", fine);
    let dynamic = Says {
        pkg_info: "2.1\n",
        wheel: "Requires-Dist: dep\n",
        project: Some("dynamic = [\"dependencies\"]\n"),
    };
    sdist(&links, &trace, "late", "1.0", dynamic);

    let (env, run) = install(home, &links, &["demo", "late"]);
    let run = run.success();
    assert!(!run.stderr.contains("demo-3.0.tar.gz"), "{}", run.stderr);
    assert!(!run.stderr.contains("demo-2.0.tar.gz"), "{}", run.stderr);
    assert_eq!(builds(&trace), ["built demo 1.0", "built late 1.0"]);
    assert_eq!(pip_freeze(&env), "demo==1.0\ndep==1.0\nlate==1.0\n");
}

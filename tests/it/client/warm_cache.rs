//! The loop the cache exists for: the first machine builds sdists, installs them and
//! uploads the wheels (`-u`); the next machine installs those wheels and builds
//! nothing. How builds run at once, and how a cycle of builds ends. Real binaries, a
//! real curd-server, real venvs, and build backends that need no network.

use std::path::{Path, PathBuf};

use crate::support::curd::Curd;
use crate::support::dists::{self, WheelSpec};
use crate::support::files::{fixture, listing};
use crate::support::process::{Run, command, run_ok};
use crate::support::python::{pip, pip_freeze, venv};
use crate::support::servers::{Server, closed_port};
use crate::support::tmp::{TempDir, mkdir};

/// A PEP 517 backend (after [`dists::PYTHON_WHEEL_WRITER`]): it packs the
/// project's package folder into a wheel, with the name, version and dependencies
/// from `meta.txt`.
const BACKEND: &str = r#"
import os, time

def _meta():
    fields = {}
    requires = []
    for line in open("meta.txt"):
        key, _, value = line.strip().partition(": ")
        if key == "Requires-Dist":
            requires.append(value)
        elif key:
            fields[key] = value
    return fields["Name"], fields["Version"], requires

def get_requires_for_build_wheel(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name, version, requires = _meta()
    if os.path.exists("FAIL"):
        raise SystemExit("this build fails on purpose")
    if os.path.exists("TRACE"):
        trace = open("TRACE").read()
        with open(trace, "a") as f:
            f.write("start %s\n" % name)
        time.sleep(1)
        with open(trace, "a") as f:
            f.write("end %s\n" % name)
    module = name.replace("-", "_")
    metadata = "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version)
    metadata += "".join("Requires-Dist: %s\n" % r for r in requires)
    init = module + "/__init__.py"
    files = [(init, open(init, "rb").read())]
    filename = write_wheel(wheel_directory, name, version, metadata.encode(), files)
    print("built", filename)
    return filename
"#;

/// The backend's module, with the wheel writer it calls.
fn backend_module() -> String {
    format!("{}{BACKEND}", dists::PYTHON_WHEEL_WRITER)
}

/// How an sdist finds its backend.
enum Backend<'a> {
    /// In the project, through `backend-path`.
    InTree,
    /// In the project, with these projects as build requirements.
    Needs(&'a [&'a str]),
    /// From the `tinybackend` project, a build requirement.
    Required,
    /// In the project, and failing.
    Failing,
    /// In the project, taking a second, and writing `start NAME` and `end NAME`
    /// lines into this file.
    Traced(&'a Path),
}

/// Writes `{name}-{version}.tar.gz` into `dir`.
fn sdist(dir: &Path, name: &str, version: &str, requires: &[&str], backend: Backend) -> PathBuf {
    let module = name.replace('-', "_");
    let stem = format!("{module}-{version}");
    let mut meta = format!("Name: {name}\nVersion: {version}\n");
    for r in requires {
        meta.push_str(&format!("Requires-Dist: {r}\n"));
    }
    let in_tree = |requires: &[&str]| {
        let quoted: Vec<String> = requires.iter().map(|r| format!("{r:?}")).collect();
        format!(
            "[build-system]\nrequires = [{}]\nbuild-backend = \"in_tree\"\nbackend-path = [\"_backend\"]\n",
            quoted.join(", ")
        )
    };
    let pyproject = match backend {
        Backend::InTree | Backend::Failing | Backend::Traced(_) => in_tree(&[]),
        Backend::Needs(requires) => in_tree(requires),
        Backend::Required => {
            "[build-system]\nrequires = [\"tinybackend\"]\nbuild-backend = \"tinybackend.backend\"\n".to_string()
        }
    };
    let pkg_info = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    let init = format!("VERSION = {version:?}\n");
    let init_path = format!("{module}/__init__.py");
    let module_text = backend_module();
    let mut files = vec![
        ("PKG-INFO", pkg_info.as_str()),
        ("pyproject.toml", pyproject.as_str()),
        ("meta.txt", meta.as_str()),
        (init_path.as_str(), init.as_str()),
        ("_backend/in_tree.py", &module_text),
    ];
    let trace_path;
    match backend {
        Backend::Failing => files.push(("FAIL", "")),
        Backend::Traced(trace) => {
            trace_path = trace.display().to_string();
            files.push(("TRACE", trace_path.as_str()));
        }
        _ => {}
    }
    dists::sdist(dir, &stem, None, &files)
}

/// A server folder with sdists only, and the backend one of them needs as a wheel.
fn sources(dir: &Path) -> PathBuf {
    let served = mkdir(dir.join("served"));
    sdist(&served, "alpha-sd", "1.0", &[], Backend::InTree);
    sdist(
        &served,
        "beta-sd",
        "2.0",
        &["alpha-sd>=1"],
        Backend::Required,
    );
    WheelSpec {
        files: &[("tinybackend/backend.py", &backend_module())],
        ..WheelSpec::new("tinybackend", "1.0")
    }
    .build(&served);
    served
}

/// One machine: its own cache, HOME and venv.
struct Machine {
    dir: PathBuf,
    env: PathBuf,
}

impl Machine {
    fn new(root: &Path, name: &str) -> Machine {
        let dir = mkdir(root.join(name));
        let env = venv(&dir);
        Machine { dir, env }
    }

    /// Runs curd at home here, on this machine's venv and cache; a hang fails the
    /// test.
    fn curd(&self, args: &[&str]) -> Run {
        Curd::new(&self.dir)
            .args(args)
            .arg("--python")
            .arg(self.env.join("bin/python"))
            .arg("--cache-dir")
            .arg(self.dir.join("cache"))
            .run()
    }

    fn freeze(&self) -> String {
        pip_freeze(&self.env)
    }
}

#[test]
fn the_first_machine_builds_and_uploads_the_next_builds_nothing() {
    let tmp = TempDir::new("warm");
    let served = sources(tmp.path());
    let server = Server::start(&served, &[]);

    let a = Machine::new(tmp.path(), "a");
    let run = a
        .curd(&["install", "-c", &server.url, "-u", "--no-index", "beta-sd"])
        .success();
    assert!(run.stderr.contains("Installed 2 packages"));
    assert!(run.stderr.contains("2 built"));
    // A CI log shows each build, and where each package came from.
    for sdist in ["alpha_sd-1.0.tar.gz", "beta_sd-2.0.tar.gz"] {
        assert!(run.stderr.contains(&format!("Building {sdist}\n")));
        assert!(run.stderr.contains(&format!("Built {sdist} in ")));
    }
    assert!(
        run.stderr
            .contains(" + alpha-sd==1.0 (built)\n + beta-sd==2.0 (built)\n")
    );
    assert!(
        run.stderr
            .contains(&format!("Uploaded 2 wheels to {}/simple/", server.url))
    );
    assert_eq!(a.freeze(), "alpha-sd==1.0\nbeta-sd==2.0\n");
    assert_eq!(
        listing(&served),
        [
            "alpha_sd-1.0-py3-none-any.whl",
            "alpha_sd-1.0.tar.gz",
            "beta_sd-2.0-py3-none-any.whl",
            "beta_sd-2.0.tar.gz",
            "tinybackend-1.0-py3-none-any.whl"
        ]
    );

    let b = Machine::new(tmp.path(), "b");
    let run = b
        .curd(&["install", "-c", &server.url, "--no-index", "beta-sd"])
        .success();
    assert!(run.stderr.contains("2 from cache, 0 from index, 0 built"));
    assert!(
        run.stderr
            .contains(" + alpha-sd==1.0 (cache)\n + beta-sd==2.0 (cache)\n")
    );
    assert!(!run.stderr.contains("Building"));
    assert_eq!(b.freeze(), a.freeze());
    run_ok(command(b.env.join("bin/python")).args(["-c", "import alpha_sd, beta_sd"]));

    // pip installs the uploaded wheels from the server's simple index.
    let c = Machine::new(tmp.path(), "c");
    run_ok(pip(&c.env.join("bin/python")).args([
        "install",
        "--only-binary",
        ":all:",
        "--index-url",
        &format!("{}/simple/", server.url),
        "beta-sd",
    ]));
    assert_eq!(c.freeze(), a.freeze());
}

#[test]
fn a_machine_never_builds_the_same_sdist_twice() {
    let tmp = TempDir::new("rebuild");
    let served = sources(tmp.path());
    let a = Machine::new(tmp.path(), "a");
    let links = served.display().to_string();
    let first = a
        .curd(&["install", "--no-index", "--find-links", &links, "alpha-sd"])
        .success();
    assert!(first.stderr.contains("1 built"));
    let again = a
        .curd(&[
            "install",
            "-f",
            "--no-index",
            "--find-links",
            &links,
            "alpha-sd",
        ])
        .success();
    assert!(again.stderr.contains("0 built"));
}

#[test]
fn a_failed_build_says_why_and_installs_nothing() {
    let tmp = TempDir::new("failing");
    let served = mkdir(tmp.path().join("served"));
    sdist(&served, "broken-sd", "1.0", &[], Backend::Failing);
    let a = Machine::new(tmp.path(), "a");
    let run = a
        .curd(&[
            "install",
            "--no-index",
            "--find-links",
            served.to_str().unwrap(),
            "broken-sd",
        ])
        .failure();
    assert!(run.stderr.contains("broken_sd-1.0.tar.gz"));
    assert!(run.stderr.contains("this build fails on purpose"));
    assert_eq!(a.freeze(), "");
    // Said when it happened too, with the build's output.
    let said = run
        .stderr
        .split("Failed to build broken_sd-1.0.tar.gz in ")
        .nth(1)
        .unwrap_or_else(|| panic!("no line for the failed build: {}", run.stderr));
    assert!(
        said.contains("this build fails on purpose"),
        "{}",
        run.stderr
    );
    // The log the error points at outlives the build's work folder.
    let log = run
        .stderr
        .split("full log: `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .expect("the error names its log");
    let text = std::fs::read_to_string(log).unwrap_or_else(|e| panic!("{log}: {e}"));
    assert!(text.contains("this build fails on purpose"), "{text}");
}

#[test]
fn failed_uploads_are_warnings_and_the_install_succeeds() {
    let tmp = TempDir::new("upload-fail");
    let served = sources(tmp.path());
    let users = fixture("htpasswd/apr1");
    let server = Server::start(&served, &["-u", users.to_str().unwrap(), "--public-read"]);
    let wrong = server.url.replace("http://", "http://alice:wrong@");
    let a = Machine::new(tmp.path(), "a");
    let run = a
        .curd(&["install", "-c", &wrong, "-u", "--no-index", "alpha-sd"])
        .success();
    assert!(
        run.stderr
            .contains("warning: could not upload `alpha_sd-1.0-py3-none-any.whl`")
    );
    let index = format!("{}/simple/", server.url.replace("http://", "http://****@"));
    assert!(
        run.stderr.contains(&format!(
            "Uploaded 0 of 1 wheel to {index}: 401 Unauthorized: login required"
        )),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("wrong"), "the password never shows");
    assert_eq!(a.freeze(), "alpha-sd==1.0\n");

    // Asked to count, the failed upload fails the run, once the install is done.
    let b = Machine::new(tmp.path(), "b");
    let run = b
        .curd(&[
            "install",
            "-c",
            &wrong,
            "--upload-required",
            "--no-index",
            "alpha-sd",
        ])
        .failure();
    assert!(
        run.stderr.contains(&format!(
            "error: 1 of 1 wheel not uploaded to {index}: 401 Unauthorized"
        )),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("wrong"), "the password never shows");
    assert_eq!(b.freeze(), "alpha-sd==1.0\n");
    // With the right password it passes.
    let right = server.url.replace("http://", "http://alice:wonderland@");
    let c = Machine::new(tmp.path(), "c");
    let run = c
        .curd(&[
            "install",
            "-c",
            &right,
            "--upload-required",
            "--no-index",
            "alpha-sd",
        ])
        .success();
    assert!(run.stderr.contains("Uploaded 1 wheel to"), "{}", run.stderr);
}

#[test]
fn uploads_to_a_server_that_is_down_or_holds_other_bytes_are_warnings() {
    let tmp = TempDir::new("upload-conflict");
    let served = sources(tmp.path());
    // The server already has a wheel of that name, with other bytes, that this
    // client cannot use (its Requires-Python excludes it): the built one conflicts.
    WheelSpec {
        requires_python: Some(">=4"),
        ..WheelSpec::new("alpha_sd", "1.0")
    }
    .build(&served);
    let server = Server::start(&served, &[]);
    let a = Machine::new(tmp.path(), "a");
    let run = a
        .curd(&["install", "-c", &server.url, "-u", "--no-index", "alpha-sd"])
        .success();
    assert!(run.stderr.contains("1 built"));
    assert!(
        run.stderr
            .contains("could not upload `alpha_sd-1.0-py3-none-any.whl`")
    );
    assert!(run.stderr.contains("409"));
    assert_eq!(a.freeze(), "alpha-sd==1.0\n");

    let down = closed_port();
    let links = served.display().to_string();
    let b = Machine::new(tmp.path(), "b");
    let run = b
        .curd(&[
            "install",
            "-c",
            &format!("http://{down}"),
            "-u",
            "--no-index",
            "--find-links",
            &links,
            "tinybackend",
        ])
        .success();
    // Found down while resolving: no upload is tried, and that is said.
    assert!(
        run.stderr.contains(&format!(
            "Uploaded 0 of 1 wheel to http://{down}/simple/: it was not usable earlier in this run"
        )),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("could not upload"));
    assert_eq!(b.freeze(), "tinybackend==1.0\n");
}

#[test]
fn curd_wheel_fills_a_folder_for_an_air_gapped_server() {
    let tmp = TempDir::new("wheel-dir");
    let served = sources(tmp.path());
    let server = Server::start(&served, &[]);
    let a = Machine::new(tmp.path(), "a");
    let out_dir = tmp.path().join("wheelhouse");
    a.curd(&[
        "wheel",
        "-w",
        out_dir.to_str().unwrap(),
        "-c",
        &server.url,
        "--no-index",
        "beta-sd",
    ])
    .success();
    assert_eq!(
        listing(&out_dir),
        [
            "alpha_sd-1.0-py3-none-any.whl",
            "beta_sd-2.0-py3-none-any.whl"
        ]
    );
    assert_eq!(a.freeze(), "", "curd wheel installs nothing");
}

/// The most builds a trace shows running at once.
fn most_at_once(trace: &Path) -> usize {
    let text = std::fs::read_to_string(trace).unwrap();
    let (mut now, mut most) = (0, 0);
    for line in text.lines() {
        if line.starts_with("start ") {
            now += 1;
            most = most.max(now);
        } else {
            now -= 1;
        }
    }
    assert_eq!(now, 0, "{text}");
    most
}

/// Each build takes a second and writes when it starts and ends: side by side by
/// default, one after the other with `-j 1`.
#[test]
fn independent_sdists_build_at_once_unless_one_job() {
    let tmp = TempDir::new("at-once");
    let served = mkdir(tmp.path().join("served"));
    let trace = tmp.path().join("trace");
    sdist(&served, "one-sd", "1.0", &[], Backend::Traced(&trace));
    sdist(&served, "two-sd", "1.0", &[], Backend::Traced(&trace));
    let links = served.display().to_string();
    let install = [
        "install",
        "--no-index",
        "--find-links",
        &links,
        "one-sd",
        "two-sd",
    ];

    let a = Machine::new(tmp.path(), "a");
    let run = a.curd(&install).success();
    assert!(run.stderr.contains("2 built"));
    assert_eq!(most_at_once(&trace), 2);

    std::fs::remove_file(&trace).unwrap();
    let b = Machine::new(tmp.path(), "b");
    let run = b.curd(&[&install[..], &["-j", "1"]].concat()).success();
    assert!(run.stderr.contains("2 built"));
    assert_eq!(most_at_once(&trace), 1);
}

/// `needy-sd` needs `slow-sd` to build, while another thread builds `slow-sd`: it
/// waits for that build, which is no cycle.
#[test]
fn a_build_waits_for_its_requirement_built_elsewhere() {
    let tmp = TempDir::new("wait-elsewhere");
    let served = mkdir(tmp.path().join("served"));
    let trace = tmp.path().join("trace");
    sdist(&served, "slow-sd", "1.0", &[], Backend::Traced(&trace));
    sdist(
        &served,
        "needy-sd",
        "1.0",
        &[],
        Backend::Needs(&["slow-sd"]),
    );
    let links = served.display().to_string();
    let a = Machine::new(tmp.path(), "a");
    let run = a
        .curd(&[
            "install",
            "--no-index",
            "--find-links",
            &links,
            "needy-sd",
            "slow-sd",
        ])
        .success();
    assert!(run.stderr.contains("2 built"));
    assert_eq!(
        std::fs::read_to_string(&trace).unwrap(),
        "start slow-sd\nend slow-sd\n"
    );
    assert_eq!(a.freeze(), "needy-sd==1.0\nslow-sd==1.0\n");
}

/// Each needs the other to build, and both builds start at once on two threads.
#[test]
fn a_cycle_of_builds_is_an_error_not_a_hang() {
    let tmp = TempDir::new("cycle");
    let served = mkdir(tmp.path().join("served"));
    sdist(&served, "hen-sd", "1.0", &[], Backend::Needs(&["egg-sd"]));
    sdist(&served, "egg-sd", "1.0", &[], Backend::Needs(&["hen-sd"]));
    let links = served.display().to_string();
    let a = Machine::new(tmp.path(), "a");
    let run = a
        .curd(&[
            "install",
            "--no-index",
            "--find-links",
            &links,
            "hen-sd",
            "egg-sd",
        ])
        .failure();
    assert!(
        run.stderr
            .contains("is needed to build itself (hen-sd -> egg-sd -> hen-sd)")
            || run
                .stderr
                .contains("is needed to build itself (egg-sd -> hen-sd -> egg-sd)")
    );
    assert_eq!(a.freeze(), "");
}

/// The newest `late-sd` fails to build, and the first guess is that one; what
/// `holder` requires, met later, rules it out. The failure costs nothing, not even
/// the cache server it came from.
#[test]
fn a_failed_build_of_a_version_not_chosen_is_no_error() {
    let tmp = TempDir::new("wrong-guess");
    let served = mkdir(tmp.path().join("served"));
    sdist(&served, "late-sd", "2.0", &[], Backend::Failing);
    sdist(&served, "late-sd", "1.0", &[], Backend::InTree);
    WheelSpec {
        requires: &["late-sd<2"],
        ..WheelSpec::new("holder", "1.0")
    }
    .build(&served);
    let server = Server::start(&served, &[]);
    let a = Machine::new(tmp.path(), "a");
    let run = a
        .curd(&[
            "install",
            "-c",
            &server.url,
            "--no-index",
            "late-sd",
            "holder",
        ])
        .success();
    assert!(!run.stderr.contains("warning"));
    assert_eq!(a.freeze(), "holder==1.0\nlate-sd==1.0\n");
}

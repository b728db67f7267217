//! The loop the cache exists for: the first machine builds sdists, installs them and
//! uploads the wheels (`-u`); the next machine installs those wheels and builds
//! nothing. How builds run at once, and how a cycle of builds ends. Real binaries, a
//! real curd-server, real venvs, and build backends that need no network.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::{Server, TempDir, WheelSpec, listing, pip_freeze, run_ok, venv};

/// A PEP 517 backend in the standard library alone: it packs the project's package
/// folder into a wheel, with the name, version and dependencies from `meta.txt`.
const BACKEND: &str = r#"
import base64, hashlib, os, time, zipfile

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
    dist_info = "%s-%s.dist-info" % (module, version)
    metadata = "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version)
    metadata += "".join("Requires-Dist: %s\n" % r for r in requires)
    files = [(module + "/__init__.py", open(os.path.join(module, "__init__.py"), "rb").read()),
             (dist_info + "/METADATA", metadata.encode()),
             (dist_info + "/WHEEL", b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")]
    record = ["%s,sha256=%s,%d" % (p, base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode(), len(d)) for p, d in files]
    record.append(dist_info + "/RECORD,,")
    files.append((dist_info + "/RECORD", ("\n".join(record) + "\n").encode()))
    filename = "%s-%s-py3-none-any.whl" % (module, version)
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as z:
        for path, data in files:
            z.writestr(path, data)
    print("built", filename)
    return filename
"#;

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
    let mut files = vec![
        (
            "PKG-INFO".to_string(),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
        ),
        ("pyproject.toml".to_string(), pyproject),
        ("meta.txt".to_string(), meta),
        (
            format!("{module}/__init__.py"),
            format!("VERSION = {version:?}\n"),
        ),
        ("_backend/in_tree.py".to_string(), BACKEND.to_string()),
    ];
    match backend {
        Backend::Failing => files.push(("FAIL".to_string(), String::new())),
        Backend::Traced(trace) => files.push(("TRACE".to_string(), trace.display().to_string())),
        _ => {}
    }
    let path = dir.join(format!("{stem}.tar.gz"));
    let file = std::fs::File::create(&path).unwrap();
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        file,
        flate2::Compression::fast(),
    ));
    for (name, text) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, format!("{stem}/{name}"), text.as_bytes())
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap().flush().unwrap();
    path
}

/// A server folder with sdists only, and the backend one of them needs as a wheel.
fn sources(dir: &Path) -> PathBuf {
    let served = dir.join("served");
    std::fs::create_dir_all(&served).unwrap();
    sdist(&served, "alpha-sd", "1.0", &[], Backend::InTree);
    sdist(
        &served,
        "beta-sd",
        "2.0",
        &["alpha-sd>=1"],
        Backend::Required,
    );
    WheelSpec {
        files: &[("tinybackend/backend.py", BACKEND)],
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
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let env = venv(&dir);
        Machine { dir, env }
    }

    /// Runs curd, killed if it takes more than a minute: a hang fails the test.
    fn curd(&self, args: &[&str]) -> Output {
        let python = self.env.join("bin/python");
        let cache = self.dir.join("cache");
        let (out_file, err_file) = (self.dir.join("stdout"), self.dir.join("stderr"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_curd"))
            .args(args)
            .args([
                "--python",
                python.to_str().unwrap(),
                "--cache-dir",
                cache.to_str().unwrap(),
            ])
            .env("HOME", &self.dir)
            .env_remove("VIRTUAL_ENV")
            .stdout(std::fs::File::create(&out_file).unwrap())
            .stderr(std::fs::File::create(&err_file).unwrap())
            .spawn()
            .unwrap();
        let limit = Duration::from_secs(60);
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "curd {args:?} still ran after {limit:?}:\n{}",
                    std::fs::read_to_string(&err_file).unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        Output {
            status,
            stdout: std::fs::read(&out_file).unwrap(),
            stderr: std::fs::read(&err_file).unwrap(),
        }
    }

    fn freeze(&self) -> String {
        pip_freeze(&self.env)
    }
}

fn stderr(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "curd failed ({}): {err}", out.status);
    err
}

#[test]
fn the_first_machine_builds_and_uploads_the_next_builds_nothing() {
    let tmp = TempDir::new("warm");
    let served = sources(tmp.path());
    let server = Server::start(&served, &[]);

    let a = Machine::new(tmp.path(), "a");
    let err = stderr(&a.curd(&["install", "-c", &server.url, "-u", "--no-index", "beta-sd"]));
    assert!(err.contains("Installed 2 packages"), "{err}");
    assert!(err.contains("2 built"), "{err}");
    assert!(
        err.contains(&format!("Uploaded 2 wheels to {}/simple/", server.url)),
        "{err}"
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
    let err = stderr(&b.curd(&["install", "-c", &server.url, "--no-index", "beta-sd"]));
    assert!(err.contains("2 from cache, 0 from index, 0 built"), "{err}");
    assert_eq!(b.freeze(), a.freeze());
    run_ok(Command::new(b.env.join("bin/python")).args(["-c", "import alpha_sd, beta_sd"]));

    // pip installs the uploaded wheels from the server's simple index.
    let c = Machine::new(tmp.path(), "c");
    run_ok(
        Command::new(c.env.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--only-binary",
                ":all:",
                "--no-cache-dir",
                "--disable-pip-version-check",
            ])
            .args(["--index-url", &format!("{}/simple/", server.url), "beta-sd"])
            .env("PIP_CONFIG_FILE", "/dev/null"),
    );
    assert_eq!(c.freeze(), a.freeze());
}

#[test]
fn a_machine_never_builds_the_same_sdist_twice() {
    let tmp = TempDir::new("rebuild");
    let served = sources(tmp.path());
    let a = Machine::new(tmp.path(), "a");
    let links = served.display().to_string();
    let first = stderr(&a.curd(&["install", "--no-index", "--find-links", &links, "alpha-sd"]));
    assert!(first.contains("1 built"), "{first}");
    let again = stderr(&a.curd(&[
        "install",
        "-f",
        "--no-index",
        "--find-links",
        &links,
        "alpha-sd",
    ]));
    assert!(again.contains("0 built"), "{again}");
}

#[test]
fn a_failed_build_says_why_and_installs_nothing() {
    let tmp = TempDir::new("failing");
    let served = tmp.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
    sdist(&served, "broken-sd", "1.0", &[], Backend::Failing);
    let a = Machine::new(tmp.path(), "a");
    let out = a.curd(&[
        "install",
        "--no-index",
        "--find-links",
        served.to_str().unwrap(),
        "broken-sd",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken_sd-1.0.tar.gz"), "{err}");
    assert!(err.contains("this build fails on purpose"), "{err}");
    assert_eq!(a.freeze(), "");
    // The log the error points at outlives the build's work folder.
    let log = err
        .split("full log: `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_else(|| panic!("no log named: {err}"));
    let text = std::fs::read_to_string(log).unwrap_or_else(|e| panic!("{log}: {e}"));
    assert!(text.contains("this build fails on purpose"), "{text}");
}

#[test]
fn failed_uploads_are_warnings_and_the_install_succeeds() {
    let tmp = TempDir::new("upload-fail");
    let served = sources(tmp.path());
    let users = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/htpasswd/apr1");
    let server = Server::start(&served, &["-u", users.to_str().unwrap(), "--public-read"]);
    let wrong = server.url.replace("http://", "http://alice:wrong@");
    let a = Machine::new(tmp.path(), "a");
    let out = a.curd(&["install", "-c", &wrong, "-u", "--no-index", "alpha-sd"]);
    let err = stderr(&out);
    assert!(
        err.contains("warning: could not upload `alpha_sd-1.0-py3-none-any.whl`"),
        "{err}"
    );
    assert!(err.contains("401"), "{err}");
    assert!(err.contains("Uploaded 0 wheels"), "{err}");
    assert!(!err.contains("wrong"), "the password never shows: {err}");
    assert_eq!(a.freeze(), "alpha-sd==1.0\n");
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
    let err = stderr(&a.curd(&["install", "-c", &server.url, "-u", "--no-index", "alpha-sd"]));
    assert!(err.contains("1 built"), "{err}");
    assert!(
        err.contains("could not upload `alpha_sd-1.0-py3-none-any.whl`"),
        "{err}"
    );
    assert!(err.contains("409"), "{err}");
    assert_eq!(a.freeze(), "alpha-sd==1.0\n");

    let down = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let links = served.display().to_string();
    let b = Machine::new(tmp.path(), "b");
    let err = stderr(&b.curd(&[
        "install",
        "-c",
        &format!("http://{down}"),
        "-u",
        "--no-index",
        "--find-links",
        &links,
        "tinybackend",
    ]));
    assert!(
        err.contains("could not upload `tinybackend-1.0-py3-none-any.whl`"),
        "{err}"
    );
    assert!(err.contains("Uploaded 0 wheels"), "{err}");
    assert_eq!(b.freeze(), "tinybackend==1.0\n");
}

#[test]
fn curd_wheel_fills_a_folder_for_an_air_gapped_server() {
    let tmp = TempDir::new("wheel-dir");
    let served = sources(tmp.path());
    let server = Server::start(&served, &[]);
    let a = Machine::new(tmp.path(), "a");
    let out_dir = tmp.path().join("wheelhouse");
    stderr(&a.curd(&[
        "wheel",
        "-w",
        out_dir.to_str().unwrap(),
        "-c",
        &server.url,
        "--no-index",
        "beta-sd",
    ]));
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
    let served = tmp.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
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
    let err = stderr(&a.curd(&install));
    assert!(err.contains("2 built"), "{err}");
    assert_eq!(most_at_once(&trace), 2);

    std::fs::remove_file(&trace).unwrap();
    let b = Machine::new(tmp.path(), "b");
    let err = stderr(&b.curd(&[&install[..], &["-j", "1"]].concat()));
    assert!(err.contains("2 built"), "{err}");
    assert_eq!(most_at_once(&trace), 1);
}

/// `needy-sd` needs `slow-sd` to build, while another thread builds `slow-sd`: it
/// waits for that build, which is no cycle.
#[test]
fn a_build_waits_for_its_requirement_built_elsewhere() {
    let tmp = TempDir::new("wait-elsewhere");
    let served = tmp.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
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
    let err = stderr(&a.curd(&[
        "install",
        "--no-index",
        "--find-links",
        &links,
        "needy-sd",
        "slow-sd",
    ]));
    assert!(err.contains("2 built"), "{err}");
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
    let served = tmp.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
    sdist(&served, "hen-sd", "1.0", &[], Backend::Needs(&["egg-sd"]));
    sdist(&served, "egg-sd", "1.0", &[], Backend::Needs(&["hen-sd"]));
    let links = served.display().to_string();
    let a = Machine::new(tmp.path(), "a");
    let out = a.curd(&[
        "install",
        "--no-index",
        "--find-links",
        &links,
        "hen-sd",
        "egg-sd",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("is needed to build itself (hen-sd -> egg-sd -> hen-sd)")
            || err.contains("is needed to build itself (egg-sd -> hen-sd -> egg-sd)"),
        "{err}"
    );
    assert_eq!(a.freeze(), "");
}

/// The newest `late-sd` fails to build, and the first guess is that one; what
/// `holder` requires, met later, rules it out. The failure costs nothing, not even
/// the cache server it came from.
#[test]
fn a_failed_build_of_a_version_not_chosen_is_no_error() {
    let tmp = TempDir::new("wrong-guess");
    let served = tmp.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
    sdist(&served, "late-sd", "2.0", &[], Backend::Failing);
    sdist(&served, "late-sd", "1.0", &[], Backend::InTree);
    WheelSpec {
        requires: &["late-sd<2"],
        ..WheelSpec::new("holder", "1.0")
    }
    .build(&served);
    let server = Server::start(&served, &[]);
    let a = Machine::new(tmp.path(), "a");
    let err = stderr(&a.curd(&[
        "install",
        "-c",
        &server.url,
        "--no-index",
        "late-sd",
        "holder",
    ]));
    assert!(!err.contains("warning"), "{err}");
    assert_eq!(a.freeze(), "holder==1.0\nlate-sd==1.0\n");
}

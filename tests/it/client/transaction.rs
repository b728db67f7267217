//! `curd install` as one transaction: all or nothing when a package fails, whole
//! projects when the process is killed at any moment, one run at a time per
//! environment, and `--hash` choosing among the sources' files.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::curd::Curd;
use crate::support::dists::WheelSpec;
use crate::support::process::{Run, command, run_ok};
use crate::support::python::{pip, pip_freeze, venv};
use crate::support::rng::Rng;
use crate::support::servers::Server;
use crate::support::tmp::{TempDir, mkdir};

/// The projects of the set: each depends on the next, in the same major version.
const PROJECTS: [&str; 6] = ["p0", "p1", "p2", "p3", "p4", "p5"];

/// Modules per project: enough files that placing them takes a while.
const MODULES: usize = 40;

/// Versions 1.0 and 2.0 of each project: the same modules with other bytes, a file
/// only 1.0 has and a folder only 2.0 has (so upgrades add and remove files), and a
/// console script.
fn project_set(dir: &Path) -> PathBuf {
    let wheels = mkdir(dir.join("wheels"));
    for (i, name) in PROJECTS.iter().enumerate() {
        for (version, major) in [("1.0", 1), ("2.0", 2)] {
            let mut files: Vec<(String, String)> = (0..MODULES)
                .map(|m| {
                    (
                        format!("{name}/m{m}.py"),
                        format!("X = {m}\nV = {version:?}\n"),
                    )
                })
                .collect();
            files.push((
                format!("{name}/cli.py"),
                "def main():\n    print('hello')\n".into(),
            ));
            match major {
                1 => files.push((format!("{name}/old_only.py"), "OLD = 1\n".into())),
                _ => files.push((format!("{name}/new_only/x.py"), "NEW = 2\n".into())),
            }
            let files: Vec<(&str, &str)> = files
                .iter()
                .map(|(p, t)| (p.as_str(), t.as_str()))
                .collect();
            let next = PROJECTS
                .get(i + 1)
                .map(|next| format!("{next}>={major}.0,<{}", major + 1));
            let requires: Vec<&str> = next.iter().map(String::as_str).collect();
            let entry_points = format!("[console_scripts]\n{name}-hello = {name}.cli:main\n");
            WheelSpec {
                files: &files,
                requires: &requires,
                entry_points: Some(&entry_points),
                ..WheelSpec::new(name, version)
            }
            .build(&wheels);
        }
    }
    wheels
}

/// Checks every project of the set in the environment, printing one line per fault:
/// its RECORD is there and every file it names exists; with `full`, also with the
/// bytes RECORD says, its modules import as the version its metadata says, nothing
/// else was left in the environment (staging, temporary files, empty folders) beyond
/// what it held at first (listed in `argv[2]`), and last `name==version` of each.
const CHECK: &str = r#"
import base64, csv, hashlib, importlib, os, sys, sysconfig
full, baseline = sys.argv[1] == "full", set(open(sys.argv[2]).read().splitlines())
site, prefix = sysconfig.get_paths()["purelib"], sys.prefix
owned, versions = set(), []
for entry in sorted(os.listdir(site)):
    name, _, version = entry.removesuffix(".dist-info").partition("-")
    if not entry.endswith(".dist-info") or name not in sys.argv[3].split(","):
        continue
    dist = os.path.join(site, entry)
    try:
        rows = list(csv.reader(open(os.path.join(dist, "RECORD"))))
    except OSError as e:
        print(f"{entry}: {e}")
        continue
    for path, digest, size in rows:
        path = os.path.normpath(os.path.join(site, path))
        owned.add(path)
        if not os.path.exists(path):
            print(f"{entry}: missing {path}")
        elif full and digest:
            algo, _, want = digest.partition("=")
            got = base64.urlsafe_b64encode(hashlib.new(algo, open(path, "rb").read()).digest()).rstrip(b"=").decode()
            if got != want:
                print(f"{entry}: other bytes in {path}")
    if full:
        try:
            module = importlib.import_module(name)
            wrong = [m for m in range(40) if importlib.import_module(f"{name}.m{m}").V != version]
            if wrong:
                print(f"{entry}: modules of another version: {wrong}")
        except Exception as e:
            print(f"{entry}: import {name}: {e!r}")
    versions.append(f"{name}=={version}")
if full:
    print(*versions, sep="\n")
    for root, dirs, files in os.walk(prefix):
        if "__pycache__" in root:
            continue
        if not dirs and not files and root not in baseline:
            print(f"left an empty folder {root}")
        for f in files:
            path = os.path.join(root, f)
            if path not in owned and path not in baseline and f != ".curd.lock":
                print(f"left {path}")
"#;

/// The venv's files and folders as it was made: what [`CHECK`] does not ask about.
fn baseline(env: &Path, out: &Path) -> PathBuf {
    let script = "import os, sys\n\
                  for root, dirs, files in os.walk(sys.prefix):\n\
                  \x20   print(root)\n\
                  \x20   for f in files: print(os.path.join(root, f))";
    let listing = run_ok(command(env.join("bin/python")).args(["-c", script]));
    let path = out.join("baseline.txt");
    std::fs::write(&path, listing).unwrap();
    path
}

/// What [`CHECK`] finds wrong in the venv, one line each.
fn faults(env: &Path, baseline: &Path, full: bool) -> String {
    let mode = if full { "full" } else { "files" };
    run_ok(
        command(env.join("bin/python"))
            .args(["-c", CHECK, mode])
            .arg(baseline)
            .arg(PROJECTS.join(",")),
    )
}

/// The environment holds the set at `expected` (`name==version` lines), whole.
fn assert_whole(env: &Path, baseline: &Path, expected: &str, context: &str) {
    assert_eq!(faults(env, baseline, true), expected, "{context}");
    run_ok(pip(&env.join("bin/python")).arg("check"));
}

/// `p0==V ... p5==V` and what pip freeze says once it is installed.
fn pins(version: &str) -> (Vec<String>, String) {
    let args = PROJECTS.iter().map(|p| format!("{p}=={version}")).collect();
    let frozen = PROJECTS
        .iter()
        .map(|p| format!("{p}=={version}\n"))
        .collect();
    (args, frozen)
}

fn install(tmp: &Path, env: &Path, wheels: &Path, extra: &[&str], pins: &[String]) -> Curd {
    Curd::install(tmp, env)
        .args(["--no-index", "--find-links"])
        .arg(wheels)
        .args(extra)
        .args(pins)
}

/// The venv's purelib folder.
fn site_packages(env: &Path) -> PathBuf {
    PathBuf::from(run_ok(command(env.join("bin/python")).args([
        "-c",
        "import sysconfig; print(sysconfig.get_paths()['purelib'], end='')",
    ])))
}

/// The set at 1.0, installed whole into a fresh venv: the test's folder, the
/// wheels, the venv, what the venv held at first, and what pip freeze says now.
struct Installed {
    tmp: TempDir,
    wheels: PathBuf,
    env: PathBuf,
    baseline: PathBuf,
    pins: Vec<String>,
    frozen: String,
}

fn installed_set(label: &str) -> Installed {
    let tmp = TempDir::new(label);
    let wheels = project_set(tmp.path());
    let env = venv(tmp.path());
    let baseline = baseline(&env, tmp.path());
    let (pins, frozen) = pins("1.0");
    install(tmp.path(), &env, &wheels, &[], &pins)
        .run()
        .success();
    assert_whole(&env, &baseline, &frozen, "first install");
    Installed {
        tmp,
        wheels,
        env,
        baseline,
        pins,
        frozen,
    }
}

#[test]
fn a_killed_install_leaves_every_project_whole() {
    let Installed {
        tmp,
        wheels,
        env,
        baseline,
        pins: one,
        ..
    } = installed_set("txn-kill");
    // How long an uninterrupted run takes, warm: kills land anywhere within it.
    let started = Instant::now();
    install(tmp.path(), &env, &wheels, &["-f"], &one)
        .run()
        .success();
    let span = started.elapsed().as_millis() as u64;

    let mut rng = Rng::seeded(0x7278_6e5f_6b69_6c6c);
    let mut current = "1.0";
    for round in 0..30 {
        let (version, extra): (&str, &[&str]) = match rng.below(3) {
            0 => (current, &["-f"]),
            1 => (if current == "1.0" { "2.0" } else { "1.0" }, &[]),
            _ => {
                Curd::new(tmp.path())
                    .arg("uninstall")
                    .arg("--python")
                    .arg(env.join("bin/python"))
                    .args(PROJECTS)
                    .run()
                    .success();
                (current, &[])
            }
        };
        let (args, frozen) = pins(version);
        let delay = Duration::from_millis(rng.next() % (span + span / 4 + 1));
        let context = format!("round {round}: {extra:?} {version}, killed after {delay:?}");
        let running = install(tmp.path(), &env, &wheels, extra, &args).start();
        std::thread::sleep(delay);
        let _killed = running.killed();
        // Even before the next run, every project in sight is whole: its RECORD is
        // there and names files that exist.
        assert_eq!(faults(&env, &baseline, false), "", "{context}");
        let rerun = install(tmp.path(), &env, &wheels, &[], &args)
            .run()
            .success();
        eprintln!(
            "{context}: {}",
            rerun.stderr.lines().next().unwrap_or_default()
        );
        assert_whole(&env, &baseline, &frozen, &context);
        current = version;
    }
}

#[test]
fn a_wrong_hash_installs_nothing() {
    let tmp = TempDir::new("txn-hash");
    let wheels = project_set(tmp.path());
    let env = venv(tmp.path());
    let reqs = tmp.path().join("requirements.txt");
    let mut text = String::new();
    for (i, name) in PROJECTS.iter().enumerate() {
        let file = wheels.join(format!("{name}-1.0-py3-none-any.whl"));
        let sha = match i {
            3 => "0".repeat(64),
            _ => curd::util::digest::sha256_file(&file).unwrap(),
        };
        text.push_str(&format!("{name}==1.0 --hash=sha256:{sha}\n"));
    }
    std::fs::write(&reqs, text).unwrap();
    let run = install(
        tmp.path(),
        &env,
        &wheels,
        &["-r"],
        &[reqs.display().to_string()],
    )
    .run()
    .failure();
    assert!(
        run.stderr.contains("p3-1.0-py3-none-any.whl"),
        "names the file"
    );
    assert!(run.stderr.contains("nothing was installed"), "says so");
    assert_eq!(pip_freeze(&env), "");
}

#[test]
fn a_cache_server_with_another_build_falls_through_to_the_allowed_file() {
    let tmp = TempDir::new("txn-hash-fallback");
    let wheels = mkdir(tmp.path().join("wheels"));
    let allowed = WheelSpec::new("lib", "1.0").build(&wheels);
    let sha = curd::util::digest::sha256_file(&allowed).unwrap();
    // The same version built elsewhere: other bytes, served with their own hash.
    let served = mkdir(tmp.path().join("served"));
    WheelSpec {
        files: &[("lib/other_build.py", "")],
        ..WheelSpec::new("lib", "1.0")
    }
    .build(&served);
    let server = Server::start(&served, &[]);
    let env = venv(tmp.path());
    let reqs = tmp.path().join("requirements.txt");
    std::fs::write(&reqs, format!("lib==1.0 --hash=sha256:{sha}\n")).unwrap();
    let run = Curd::install(tmp.path(), &env)
        .args(["-c", &server.url, "--no-index", "--find-links"])
        .arg(&wheels)
        .arg("-r")
        .arg(&reqs)
        .run()
        .success();
    assert!(
        run.stderr.contains("1 from find-links"),
        "the folder's file"
    );
    assert!(
        !run.stderr.contains("is not usable"),
        "the cache server is not broken, it only lacks this build"
    );
    assert_eq!(pip_freeze(&env), "lib==1.0\n");
    let other = run_ok(command(env.join("bin/python")).args([
        "-c",
        "import importlib.util; print(importlib.util.find_spec('lib.other_build'))",
    ]));
    assert_eq!(other, "None\n");
}

#[test]
fn concurrent_installs_into_one_environment_both_succeed() {
    let Installed {
        tmp,
        wheels,
        env,
        baseline,
        pins: one,
        frozen,
    } = installed_set("txn-concurrent");
    for round in 0..4 {
        let running: Vec<_> = (0..2)
            .map(|_| install(tmp.path(), &env, &wheels, &["-f"], &one).start())
            .collect();
        let runs: Vec<Run> = running.into_iter().map(|r| r.wait()).collect();
        for run in runs {
            let _run = run.success();
        }
        assert_whole(&env, &baseline, &frozen, &format!("round {round}"));
    }
}

#[test]
fn an_install_waits_for_the_one_before_it() {
    let Installed {
        tmp,
        wheels,
        env,
        pins: one,
        frozen,
        ..
    } = installed_set("txn-wait");
    // Another installer holds the environment's lock.
    let held = std::fs::File::create(site_packages(&env).join(".curd.lock")).unwrap();
    held.lock().unwrap();
    let running = install(tmp.path(), &env, &wheels, &["-f"], &one).start();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !running
        .stderr_so_far()
        .contains("waiting for another curd install in")
    {
        assert!(Instant::now() < deadline, "{}", running.stderr_so_far());
        std::thread::sleep(Duration::from_millis(20));
    }
    held.unlock().unwrap();
    let run = running.wait().success();
    assert_eq!(run.stderr.matches("waiting for another").count(), 1);
    assert_eq!(pip_freeze(&env), frozen);
}

#[test]
fn a_damaged_project_is_installed_again() {
    let Installed {
        tmp,
        wheels,
        env,
        baseline,
        pins: one,
        frozen,
    } = installed_set("txn-damaged");
    let site = site_packages(&env);
    // What an install or uninstall cut short leaves: files gone, RECORD gone too,
    // a `.dist-info` with nothing in it.
    std::fs::remove_file(site.join("p1/m7.py")).unwrap();
    std::fs::remove_file(env.join("bin/p2-hello")).unwrap();
    std::fs::remove_file(site.join("p3-1.0.dist-info/RECORD")).unwrap();
    std::fs::remove_file(site.join("p3/m0.py")).unwrap();
    let p4 = site.join("p4-1.0.dist-info");
    std::fs::remove_dir_all(&p4).unwrap();
    std::fs::create_dir(&p4).unwrap();
    let run = install(tmp.path(), &env, &wheels, &[], &one)
        .run()
        .success();
    for name in ["p1 1.0", "p2 1.0", "p3 1.0"] {
        assert!(
            run.stderr
                .contains(&format!("{name} is damaged, so it is installed again")),
            "{name}"
        );
    }
    assert!(run.stderr.contains("Installed 4 packages"));
    assert_whole(&env, &baseline, &frozen, "repaired");
    let again = install(tmp.path(), &env, &wheels, &[], &one)
        .run()
        .success();
    assert!(again.stderr.contains("Nothing to install"));
}

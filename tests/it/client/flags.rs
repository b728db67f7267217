//! The pip and uv flags people type, on the real `curd` binary: upgrades, `--no-deps`,
//! constraints files, hash mode, which formats may be used, a cache kept for no
//! one, what `-v` says, `--version` and `-p`. pip, given the same flags over the same
//! folder, is the oracle of what should get installed.

use std::path::{Path, PathBuf};

use crate::support::curd::Curd;
use crate::support::dists::{self, WheelSpec};
use crate::support::process::{Run, command, run_ok};
use crate::support::python::{pip, pip_freeze, venv};
use crate::support::servers::Server;
use crate::support::tmp::{TempDir, mkdir};

/// `curd install -p` into `env`, then `args`, at home in `tmp`.
fn curd_install(tmp: &Path, env: &Path, args: &[&str]) -> Run {
    Curd::new(tmp)
        .arg("install")
        .arg("-p")
        .arg(env.join("bin/python"))
        .args(args)
        .run()
}

/// pip, offline, over the folder `links`, into `env`.
fn pip_install(env: &Path, links: &Path, args: &[&str]) {
    run_ok(
        pip(&env.join("bin/python"))
            .args(["install", "--no-index", "--find-links"])
            .arg(links)
            .args(args),
    );
}

/// Two versions of `app` and of `lib`, each `app` requiring any `lib`, and a
/// `tool` of one version.
fn two_of_each(dir: &Path) -> PathBuf {
    let wheels = mkdir(dir.join("wheels"));
    for version in ["1.0", "2.0"] {
        WheelSpec {
            requires: &["lib"],
            ..WheelSpec::new("app", version)
        }
        .build(&wheels);
        WheelSpec::new("lib", version).build(&wheels);
    }
    WheelSpec::new("tool", "1.0").build(&wheels);
    wheels
}

/// The same commands, run by curd in one venv and by pip in another, leave the
/// same packages.
fn same_as_pip(tmp: &Path, wheels: &Path, steps: &[&[&str]]) -> String {
    let ours = venv(&mkdir(tmp.join("curd")));
    let theirs = venv(&mkdir(tmp.join("pip")));
    let links = wheels.to_str().expect("a UTF-8 path");
    for step in steps {
        let mut args = vec!["--no-index", "--find-links", links];
        args.extend_from_slice(step);
        curd_install(tmp, &ours, &args).success();
        pip_install(&theirs, wheels, step);
        assert_eq!(pip_freeze(&ours), pip_freeze(&theirs), "after {step:?}");
    }
    pip_freeze(&ours)
}

#[test]
fn upgrades_only_what_is_asked_as_pip_does() {
    let tmp = TempDir::new("flags-upgrade");
    let wheels = two_of_each(tmp.path());
    let end = same_as_pip(
        tmp.path(),
        &wheels,
        &[
            &["app==1.0", "lib==1.0"],
            // Satisfied: nothing moves.
            &["app"],
            // The named requirement moves; its dependency only if it must.
            &["-U", "app"],
        ],
    );
    assert_eq!(end, "app==2.0\nlib==1.0\n");
    // `-P` (uv's) upgrades just that project, named or not.
    let env = tmp.path().join("curd/venv");
    let links = wheels.to_str().expect("a UTF-8 path");
    for (args, left) in [
        (&["app==1.0"][..], "app==1.0\nlib==1.0\n"),
        (&["-P", "lib", "app"], "app==1.0\nlib==2.0\n"),
        (&["--upgrade-package", "app", "app"], "app==2.0\nlib==2.0\n"),
    ] {
        let base = ["--no-index", "--find-links", links];
        curd_install(tmp.path(), &env, &[&base[..], args].concat()).success();
        assert_eq!(pip_freeze(&env), left, "after {args:?}");
    }
}

#[test]
fn no_deps_installs_just_what_is_named() {
    let tmp = TempDir::new("flags-no-deps");
    let wheels = two_of_each(tmp.path());
    let end = same_as_pip(tmp.path(), &wheels, &[&["--no-deps", "app", "tool"]]);
    assert_eq!(end, "app==2.0\ntool==1.0\n");
}

#[test]
fn constraints_files_come_with_constraint_and_never_with_c() {
    let tmp = TempDir::new("flags-constraint");
    let wheels = two_of_each(tmp.path());
    let constraints = tmp.path().join("constraints.txt");
    std::fs::write(
        &constraints,
        "lib<2\napp<2\n# not installed unless required\ntool==1.0\n",
    )
    .unwrap();
    let given = constraints.to_str().expect("a UTF-8 path");
    let end = same_as_pip(
        tmp.path(),
        &wheels,
        &[&["--constraint", given, "--constraint", given, "app"]],
    );
    assert_eq!(end, "app==1.0\nlib==1.0\n");

    // pip's `-c` is curd's cache server: a file there is a mistake, said in one line.
    let env = venv(&mkdir(tmp.path().join("other")));
    let links = wheels.to_str().expect("a UTF-8 path");
    for value in [given, "missing.txt"] {
        let run = curd_install(
            tmp.path(),
            &env,
            &["--no-index", "--find-links", links, "-c", value, "app"],
        )
        .failure();
        assert_eq!(
            run.stderr,
            format!(
                "error: -c expects the URL of a curd cache server, found the file `{value}`\n\
                 hint: constraints files are --constraint FILE; -c is a curd cache server\n"
            )
        );
    }
    assert_eq!(pip_freeze(&env), "");
}

#[test]
fn require_hashes_wants_every_package_pinned_and_hashed() {
    let tmp = TempDir::new("flags-hashes");
    let wheels = two_of_each(tmp.path());
    let env = venv(tmp.path());
    let links = wheels.to_str().expect("a UTF-8 path");
    let sha = |file: &str| curd::util::digest::sha256_file(&wheels.join(file)).unwrap();
    let app = format!(
        "app==2.0 --hash=sha256:{}\n",
        sha("app-2.0-py3-none-any.whl")
    );
    let lib = format!(
        "lib==2.0 --hash=sha256:{}\n",
        sha("lib-2.0-py3-none-any.whl")
    );
    let reqs = tmp.path().join("requirements.txt");
    let install = |args: &[&str]| {
        let base = ["--no-index", "--find-links", links];
        curd_install(tmp.path(), &env, &[&base[..], args].concat())
    };
    let from_file = || install(&["-r", reqs.to_str().expect("a UTF-8 path")]);

    // On the command line nothing has a hash.
    let run = install(&["--require-hashes", "tool==1.0"]).failure();
    assert!(
        run.stderr.starts_with(
            "error: --require-hashes: every requirement needs a --hash, and `tool==1.0` has none\n"
        ),
        "{}",
        run.stderr
    );
    // In the file, as the flag, or implied by a hash: an unpinned line is refused.
    std::fs::write(&reqs, "--require-hashes\ntool>=1\n").unwrap();
    let run = from_file().failure();
    assert!(
        run.stderr
            .contains("pinned with `==`, and `tool>=1` is not")
    );
    let tool_sha = sha("tool-1.0-py3-none-any.whl");
    std::fs::write(&reqs, format!("tool>=1 --hash=sha256:{tool_sha}\n")).unwrap();
    let run = from_file().failure();
    assert!(run.stderr.contains("`tool>=1` is not"), "{}", run.stderr);
    // A dependency needs its own line too.
    std::fs::write(&reqs, &app).unwrap();
    let run = from_file().failure();
    assert!(run.stderr.contains("none for `lib`"), "{}", run.stderr);
    assert_eq!(pip_freeze(&env), "");
    std::fs::write(&reqs, format!("--require-hashes\n{app}{lib}")).unwrap();
    from_file().success();
    assert_eq!(pip_freeze(&env), "app==2.0\nlib==2.0\n");
}

/// A folder with `in-tree-demo` 1.0 as an sdist whose own backend builds it, and,
/// unless `sdist_only`, as a wheel too; the two are told apart by the WHEEL file's
/// `Generator` once installed.
fn demo(dir: &Path, sdist_only: bool) -> PathBuf {
    let folder = mkdir(dir.join(if sdist_only { "sdists" } else { "both" }));
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sdists/in-tree-backend");
    dists::sdist(&folder, "in_tree_demo-1.0", Some(&fixture), &[]);
    if !sdist_only {
        WheelSpec::new("in-tree-demo", "1.0").build(&folder);
    }
    WheelSpec::new("tool", "1.0").build(&folder);
    folder
}

/// Who made the installed `in-tree-demo`'s wheel: `demo_backend` (built here) or
/// `curd-tests` (the wheel as served).
fn generator(env: &Path) -> String {
    let code = "import importlib.metadata as m\n\
                print(m.distribution('in-tree-demo').read_text('WHEEL'))";
    let wheel = run_ok(command(env.join("bin/python")).args(["-c", code]));
    let line = wheel.lines().find(|l| l.starts_with("Generator: "));
    line.unwrap_or_default()
        .trim_start_matches("Generator: ")
        .to_string()
}

#[test]
fn no_binary_builds_the_sdist_even_where_a_wheel_is_served() {
    let tmp = TempDir::new("flags-no-binary");
    let both = demo(tmp.path(), false);
    let links = both.to_str().expect("a UTF-8 path");
    let base = ["--no-index", "--find-links", links];
    let env = venv(tmp.path());
    let install = |args: &[&str]| curd_install(tmp.path(), &env, &[&base[..], args].concat());
    install(&["in-tree-demo"]).success();
    assert_eq!(generator(&env), "curd-tests");
    // From the command line, and as a requirements file says it.
    install(&["-f", "--no-binary", "in_tree_demo", "in-tree-demo"]).success();
    assert_eq!(generator(&env), "demo_backend");
    install(&["-f", "in-tree-demo"]).success();
    let reqs = tmp.path().join("requirements.txt");
    std::fs::write(
        &reqs,
        "--no-binary :all:\n--only-binary tool\nin-tree-demo\ntool\n",
    )
    .unwrap();
    install(&["-f", "-r", reqs.to_str().expect("a UTF-8 path")]).success();
    assert_eq!(generator(&env), "demo_backend");
    // pip agrees on what is installed.
    let theirs = venv(&mkdir(tmp.path().join("pip")));
    pip_install(
        &theirs,
        &both,
        &[
            "--no-binary",
            ":all:",
            "--only-binary",
            "tool",
            "in-tree-demo",
            "tool",
        ],
    );
    assert_eq!(pip_freeze(&env), pip_freeze(&theirs));
}

#[test]
fn only_binary_never_builds_and_names_the_project_without_a_wheel() {
    let tmp = TempDir::new("flags-only-binary");
    let sdists = demo(tmp.path(), true);
    let links = sdists.to_str().expect("a UTF-8 path");
    let env = venv(tmp.path());
    let reqs = tmp.path().join("requirements.txt");
    std::fs::write(&reqs, "--only-binary=:all:\nin-tree-demo\ntool\n").unwrap();
    let given = reqs.to_str().expect("a UTF-8 path");
    for args in [
        &["--only-binary", ":all:", "in-tree-demo", "tool"][..],
        &["--only-binary", "tool,in-tree-demo", "in-tree-demo"],
        &["-r", given],
    ] {
        let base = ["--no-index", "--find-links", links];
        let run = curd_install(tmp.path(), &env, &[&base[..], args].concat()).failure();
        assert!(
            run.stderr.contains(
                "in-tree-demo 1.0 has no wheel for this interpreter, and --only-binary forbids building its sdist"
            ),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert_eq!(pip_freeze(&env), "");
    // `:none:` after `:all:` takes it back.
    let base = ["--no-index", "--find-links", links];
    let args = [
        "--only-binary",
        ":all:",
        "--only-binary",
        ":none:",
        "in-tree-demo",
    ];
    curd_install(tmp.path(), &env, &[&base[..], &args[..]].concat()).success();
    assert_eq!(generator(&env), "demo_backend");
}

/// Every file under `dir`, or nothing if it is not there.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn no_cache_keeps_nothing_after_the_run() {
    let tmp = TempDir::new("flags-no-cache");
    let wheels = two_of_each(tmp.path());
    let server = Server::start(&wheels, &[]);
    let index = format!("{}/simple/", server.url);
    let env = venv(tmp.path());
    let temp = mkdir(tmp.path().join("temp"));
    let cache = tmp.path().join("xdg-cache");
    for (flag, project) in [("--no-cache-dir", "app"), ("--no-cache", "tool")] {
        Curd::new(tmp.path())
            .env("TMPDIR", &temp)
            .args(["install", "-p"])
            .arg(env.join("bin/python"))
            .args(["-i", &index, flag, project])
            .run()
            .success();
        assert_eq!(files_under(&cache), Vec::<PathBuf>::new(), "{flag}");
        assert_eq!(files_under(&temp), Vec::<PathBuf>::new(), "{flag}");
    }
    assert_eq!(pip_freeze(&env), "app==2.0\nlib==2.0\ntool==1.0\n");
    // Without it, the cache is kept.
    curd_install(tmp.path(), &env, &["-i", &index, "-f", "tool"]).success();
    assert_ne!(files_under(&cache), Vec::<PathBuf>::new());
}

#[test]
fn verbose_says_what_each_source_answered() {
    let tmp = TempDir::new("flags-verbose");
    let wheels = two_of_each(tmp.path());
    let server = Server::start(&wheels, &[]);
    let env = venv(tmp.path());
    let index = format!("{}/simple/", server.url);
    let secret = index.replace("http://", "http://someone:hunter2@");
    let links = wheels.to_str().expect("a UTF-8 path");
    let verbose = |project: &str| {
        let args = ["-v", "-i", &secret, "--find-links", links, project];
        curd_install(tmp.path(), &env, &args)
    };
    let shown = index.replace("http://", "http://****@");
    let found = verbose("app").success();
    let missing = verbose("nope-not-here").failure();
    for (run, line) in [
        (&found, format!("{shown}app/: 200, 2 files\n")),
        (&found, format!("{shown}lib/: 200, 2 files\n")),
        (&found, format!("{links}: 5 files\n")),
        (
            &missing,
            format!("{shown}nope-not-here/: 404, no such project\n"),
        ),
    ] {
        assert!(run.stderr.contains(&line), "{line}\n{}", run.stderr);
        assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    }
    // Without it, none of that.
    let quiet = curd_install(tmp.path(), &env, &["-f", "-i", &index, "app"]).success();
    assert!(!quiet.stderr.contains("200"), "{}", quiet.stderr);
}

#[test]
fn version_is_said_as_curd_server_says_it() {
    let tmp = TempDir::new("flags-version");
    let ours = Curd::new(tmp.path()).arg("--version").run().success();
    let server = run_ok(command(env!("CARGO_BIN_EXE_curd-server")).arg("--version"));
    assert_eq!(ours.stdout, server.replace("curd-server", "curd"));
    assert_eq!(ours.stdout, format!("curd {}\n", env!("CARGO_PKG_VERSION")));
}

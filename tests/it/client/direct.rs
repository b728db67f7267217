//! Projects given by where they are: folders (with extras), wheels and sdists by
//! path, `name @ file://` and `name @ http://…#sha256=`, git repositories at a
//! revision and in a subfolder, and editable folders; `direct_url.json` and
//! `curd freeze` held to what pip writes and prints. Real binaries, real venvs, a
//! real curd-server serving the URL, git repositories made by the test, and a
//! build backend in the projects themselves, so nothing leaves the machine.

use std::path::{Path, PathBuf};

use crate::support::curd::Curd;
use crate::support::dists::{self, WheelSpec};
use crate::support::process::{Run, command, run_ok};
use crate::support::python::{pip, pip_freeze, pip_list, venv};
use crate::support::servers::Server;
use crate::support::tmp::{TempDir, mkdir};

/// A PEP 517 and PEP 660 backend (after [`dists::PYTHON_WHEEL_WRITER`]): the project's
/// name, version, extras and dependencies come from `meta.txt`; the wheel holds its
/// package, the editable wheel a `.pth` file naming the project folder.
const BACKEND: &str = r#"
import os

def _meta():
    fields, requires, extras = {}, [], []
    for line in open("meta.txt"):
        key, _, value = line.strip().partition(": ")
        if key == "Requires-Dist":
            requires.append(value)
        elif key == "Provides-Extra":
            extras.append(value)
        elif key:
            fields[key] = value
    return fields["Name"], fields["Version"], requires, extras

def _wheel(directory, files):
    name, version, requires, extras = _meta()
    metadata = "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version)
    metadata += "".join("Provides-Extra: %s\n" % e for e in extras)
    metadata += "".join("Requires-Dist: %s\n" % r for r in requires)
    return write_wheel(directory, name, version, metadata.encode(), files(name.replace("-", "_")))

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, lambda m: [(m + "/__init__.py", open(os.path.join(m, "__init__.py"), "rb").read())])

def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, lambda m: [("__editable__.%s.pth" % m, (os.getcwd() + "\n").encode())])
"#;

const PYPROJECT: &str = "[build-system]\nrequires = []\nbuild-backend = \"tiny_backend\"\nbackend-path = [\"_backend\"]\n";

/// Writes a project folder `dir`: package `name` saying `VALUE = version`, and
/// `meta` lines (`Provides-Extra: x`, `Requires-Dist: y`) in its metadata.
fn project(dir: &Path, name: &str, version: &str, meta: &[&str]) -> PathBuf {
    let module = name.replace('-', "_");
    let mut text = format!("Name: {name}\nVersion: {version}\n");
    for line in meta {
        text.push_str(line);
        text.push('\n');
    }
    for (path, contents) in [
        ("pyproject.toml", PYPROJECT.to_string()),
        (
            "_backend/tiny_backend.py",
            format!("{}{BACKEND}", dists::PYTHON_WHEEL_WRITER),
        ),
        ("meta.txt", text),
        (
            &format!("{module}/__init__.py"),
            format!("VALUE = {version:?}\n"),
        ),
    ] {
        let path = dir.join(path);
        mkdir(path.parent().unwrap().to_path_buf());
        std::fs::write(path, contents).unwrap();
    }
    dir.to_path_buf()
}

/// `home/demo`: project `demo` 1.0, whose `test` extra asks for `dep`.
fn demo(home: &Path) -> PathBuf {
    project(
        &home.join("demo"),
        "demo",
        "1.0",
        &[
            "Provides-Extra: test",
            "Requires-Dist: dep; extra == \"test\"",
        ],
    )
}

/// The dependency the projects' `test` extra asks for, in a find-links folder.
fn links(home: &Path) -> PathBuf {
    let links = mkdir(home.join("links"));
    WheelSpec::new("dep", "1.0").build(&links);
    links
}

/// `curd install --no-index --find-links links ARGS` into the venv at `env`.
fn install(home: &Path, env: &Path, args: &[&str]) -> Run {
    Curd::install(home, env)
        .args(["--no-index", "--find-links"])
        .arg(home.join("links"))
        .args(args)
        .run()
}

fn curd_freeze(home: &Path, env: &Path) -> String {
    let run = Curd::new(home)
        .arg("freeze")
        .arg("--python")
        .arg(env.join("bin/python"))
        .run()
        .success();
    run.stdout.clone()
}

fn direct_url(env: &Path, dist_info: &str) -> serde_json::Value {
    let site = std::fs::read_dir(env.join("lib"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path()
        .join("site-packages");
    let text = std::fs::read_to_string(site.join(dist_info).join("direct_url.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn python(env: &Path, code: &str) -> String {
    run_ok(command(env.join("bin/python")).args(["-c", code]))
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

#[test]
fn a_folder_with_extras_installs_as_pip_would_and_freezes_as_pip_does() {
    let dir = TempDir::new("direct-folder");
    let home = dir.path();
    links(home);
    let demo = demo(home);
    let env = venv(home);
    install(home, &env, &["./demo[test]"]).success();
    assert_eq!(
        pip_freeze(&env),
        format!("demo @ {}\ndep==1.0\n", file_url(&demo))
    );
    assert_eq!(curd_freeze(home, &env), pip_freeze(&env));
    assert_eq!(
        direct_url(&env, "demo-1.0.dist-info"),
        serde_json::json!({"url": file_url(&demo), "dir_info": {}})
    );
    // A folder may have changed under its path: it is built and installed again.
    std::fs::write(demo.join("demo/__init__.py"), "VALUE = 'changed'\n").unwrap();
    install(home, &env, &["./demo"]).success();
    assert_eq!(python(&env, "import demo; print(demo.VALUE)"), "changed\n");
}

#[test]
fn wheels_and_sdists_by_path_and_by_file_url_freeze_with_their_hash() {
    let dir = TempDir::new("direct-archives");
    let home = dir.path();
    links(home);
    let wheels = mkdir(home.join("wheels"));
    let one = WheelSpec::new("one", "1.0").build(&wheels);
    let two = WheelSpec::new("two", "2.0").build(&wheels);
    let sdists = mkdir(home.join("sdists"));
    let source = project(&home.join("three-src"), "three", "3.0", &[]);
    let three = dists::sdist(&sdists, "three-3.0", Some(&source), &[]);
    let env = venv(home);
    let named = format!("two @ {}", file_url(&two));
    let run = install(
        home,
        &env,
        &[
            "./wheels/one-1.0-py3-none-any.whl",
            &named,
            "sdists/three-3.0.tar.gz",
        ],
    )
    .success();
    for line in [
        " + one==1.0 (direct)",
        " + two==2.0 (direct)",
        " + three==3.0 (built)",
    ] {
        assert!(run.stderr.contains(line), "{line} in {}", run.stderr);
    }
    assert!(
        run.stderr.contains("2 named directly, 1 built"),
        "{}",
        run.stderr
    );
    let sha = |path: &Path| dists::sha256_hex(&std::fs::read(path).unwrap());
    assert_eq!(
        pip_freeze(&env),
        format!(
            "one @ {}#sha256={}\nthree @ {}#sha256={}\ntwo @ {}#sha256={}\n",
            file_url(&one),
            sha(&one),
            file_url(&three),
            sha(&three),
            file_url(&two),
            sha(&two)
        )
    );
    assert_eq!(curd_freeze(home, &env), pip_freeze(&env));
    let hashes = &direct_url(&env, "three-3.0.dist-info")["archive_info"]["hashes"];
    assert_eq!(hashes["sha256"], sha(&three));

    // pip installs the same files to the same record.
    let by_pip = venv(&mkdir(home.join("pip")));
    run_ok(
        pip(&by_pip.join("bin/python"))
            .args(["install", "--no-index", "--no-deps", "--quiet"])
            .arg(&one)
            .arg(&named),
    );
    let ours: Vec<String> = pip_freeze(&env).lines().map(String::from).collect();
    for line in pip_freeze(&by_pip).lines() {
        assert!(ours.contains(&line.to_string()), "{line} not in {ours:?}");
    }
}

#[test]
fn a_url_is_held_to_its_hash() {
    let dir = TempDir::new("direct-url");
    let home = dir.path();
    links(home);
    let served = mkdir(home.join("served"));
    let wheel = WheelSpec::new("far", "1.0").build(&served);
    let sha = dists::sha256_hex(&std::fs::read(&wheel).unwrap());
    let server = Server::start(&served, &[]);
    let url = format!("{}/p/far-1.0-py3-none-any.whl", server.url);
    let env = venv(home);

    let wrong = format!("far @ {url}#sha256={}", "0".repeat(64));
    let refused = install(home, &env, &[&wrong]).failure();
    assert!(
        refused.stderr.contains(&format!("`{wrong}`: ")) && refused.stderr.contains(&sha),
        "{}",
        refused.stderr
    );
    assert_eq!(
        refused.stderr.trim().lines().count(),
        1,
        "{}",
        refused.stderr
    );
    assert_eq!(pip_freeze(&env), "");

    install(home, &env, &[&format!("far @ {url}#sha256={sha}")]).success();
    assert_eq!(pip_freeze(&env), format!("far @ {url}#sha256={sha}\n"));
    assert_eq!(curd_freeze(home, &env), pip_freeze(&env));
}

/// `git` in `repo`, as a user with no configuration of their own.
fn git(repo: &Path, args: &[&str]) -> String {
    let out = run_ok(
        command("git")
            .arg("-C")
            .arg(repo)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args([
                "-c",
                "init.defaultBranch=main",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args),
    );
    out.trim().to_string()
}

/// A repository whose `sub/` holds `gitdemo`: 1.0 at tag `v1`, then 1.1.
fn repository(home: &Path) -> (PathBuf, String, String) {
    let repo = mkdir(home.join("repo"));
    project(&repo.join("sub"), "gitdemo", "1.0", &[]);
    git(&repo, &["init", "--quiet"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "--quiet", "-m", "one"]);
    git(&repo, &["tag", "v1"]);
    let first = git(&repo, &["rev-parse", "HEAD"]);
    project(&repo.join("sub"), "gitdemo", "1.1", &[]);
    git(&repo, &["commit", "--quiet", "-am", "two"]);
    let second = git(&repo, &["rev-parse", "HEAD"]);
    (repo, first, second)
}

#[test]
fn git_sources_at_a_revision_and_in_a_subfolder_record_their_commit() {
    let dir = TempDir::new("direct-git");
    let home = dir.path();
    links(home);
    let (repo, first, second) = repository(home);
    let url = format!("git+{}", file_url(&repo));
    let env = venv(home);
    install(home, &env, &[&format!("{url}@v1#subdirectory=sub")]).success();
    let frozen = format!("gitdemo @ {url}@{first}#subdirectory=sub\n");
    assert_eq!(pip_freeze(&env), frozen);
    assert_eq!(curd_freeze(home, &env), frozen);
    assert_eq!(
        direct_url(&env, "gitdemo-1.0.dist-info"),
        serde_json::json!({
            "url": file_url(&repo),
            "vcs_info": {"vcs": "git", "commit_id": first, "requested_revision": "v1"},
            "subdirectory": "sub",
        })
    );

    // The default branch, named: the newer commit.
    let named = format!("gitdemo @ {url}#subdirectory=sub");
    install(home, &env, &[&named]).success();
    let frozen = format!("gitdemo @ {url}@{second}#subdirectory=sub\n");
    assert_eq!(pip_freeze(&env), frozen);

    // A commit's wheel is built once: a fresh venv takes it from the cache.
    let again = venv(&mkdir(home.join("again")));
    let run = install(home, &again, &[&format!("{url}@{first}#subdirectory=sub")]).success();
    assert!(
        run.stderr.contains("0 built (1 built earlier)"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_editable_folder_is_used_in_place() {
    let dir = TempDir::new("direct-editable");
    let home = dir.path();
    links(home);
    let demo = demo(home);
    let env = venv(home);
    // `-e .[test]` from the project's own folder, as CI runs it.
    Curd::install(&demo, &env)
        .args(["--no-index", "--find-links"])
        .arg(home.join("links"))
        .args(["-e", ".[test]"])
        .run()
        .success();
    assert_eq!(python(&env, "import demo, dep; print(demo.VALUE)"), "1.0\n");
    std::fs::write(demo.join("demo/__init__.py"), "VALUE = 'edited'\n").unwrap();
    assert_eq!(python(&env, "import demo; print(demo.VALUE)"), "edited\n");
    let frozen = format!(
        "# Editable install with no version control (demo==1.0)\n-e {}\ndep==1.0\n",
        demo.display()
    );
    assert_eq!(pip_freeze(&env), frozen);
    assert_eq!(curd_freeze(home, &env), frozen);
    assert_eq!(
        direct_url(&env, "demo-1.0.dist-info"),
        serde_json::json!({"url": file_url(&demo), "dir_info": {"editable": true}})
    );

    // In a requirements file, the path is the file's own folder's.
    let other = venv(&mkdir(home.join("other")));
    let file = home.join("demo/requirements.txt");
    std::fs::write(&file, "-e .\n").unwrap();
    install(home, &other, &["-r", "demo/requirements.txt"]).success();
    assert_eq!(python(&other, "import demo; print(demo.VALUE)"), "edited\n");

    // A git source is checked out into the environment's `src/`, and frozen as the
    // commit of that checkout, which installs the same again.
    let (repo, first, _) = repository(home);
    let checkout = venv(&mkdir(home.join("checkout")));
    let url = format!("git+{}", file_url(&repo));
    let editable = format!("{url}@v1#egg=gitdemo&subdirectory=sub");
    install(home, &checkout, &["-e", &editable]).success();
    let frozen = format!("-e {url}@{first}#egg=gitdemo&subdirectory=sub\n");
    assert_eq!(pip_freeze(&checkout), frozen);
    assert_eq!(curd_freeze(home, &checkout), frozen);
    let source = checkout.join("src/gitdemo/sub/gitdemo/__init__.py");
    std::fs::write(source, "VALUE = 'edited'\n").unwrap();
    let code = "import gitdemo; print(gitdemo.VALUE)";
    assert_eq!(python(&checkout, code), "edited\n");
    std::fs::write(home.join("frozen.txt"), &frozen).unwrap();
    let again = venv(&mkdir(home.join("again")));
    install(home, &again, &["-r", "frozen.txt"]).success();
    assert_eq!(pip_freeze(&again), frozen);
}

#[test]
fn what_freeze_prints_installs_the_same_set_again() {
    let dir = TempDir::new("direct-round-trip");
    let home = dir.path();
    links(home);
    demo(home);
    project(&home.join("plain"), "plain", "2.0", &[]);
    let wheels = mkdir(home.join("wheels"));
    WheelSpec::new("one", "1.0").build(&wheels);
    let (repo, _, _) = repository(home);
    let git_url = format!("git+{}@v1#subdirectory=sub", file_url(&repo));
    let env = venv(home);
    install(
        home,
        &env,
        &[
            "-e",
            "./demo[test]",
            "./plain",
            "wheels/one-1.0-py3-none-any.whl",
            &git_url,
        ],
    )
    .success();
    let frozen = curd_freeze(home, &env);
    assert_eq!(frozen, pip_freeze(&env));
    std::fs::write(home.join("r.txt"), &frozen).unwrap();

    let fresh = venv(&mkdir(home.join("fresh")));
    install(home, &fresh, &["-r", "r.txt"]).success();
    assert_eq!(pip_freeze(&fresh), pip_freeze(&env));
    assert_eq!(pip_list(&fresh), pip_list(&env));
}

#[test]
fn sources_that_cannot_be_used_are_one_line_errors_and_install_nothing() {
    let dir = TempDir::new("direct-errors");
    let home = dir.path();
    links(home);
    mkdir(home.join("empty"));
    let (repo, _, _) = repository(home);
    let git_url = format!("git+{}", file_url(&repo));
    let env = venv(home);
    let before = pip_list(&env);
    let cases = [
        (
            vec!["./missing".to_string()],
            "error: `./missing` looks like a path, but there is no such file or folder".to_string(),
        ),
        (
            vec!["./empty".to_string()],
            "error: `./empty` is not a Python project: expected `pyproject.toml` or `setup.py` in it"
                .to_string(),
        ),
        (
            vec![format!("{git_url}@nope#subdirectory=sub")],
            format!(
                "error: `{git_url}@nope#subdirectory=sub`: the repository has no branch, tag or commit `nope`"
            ),
        ),
        (
            vec![format!("other @ {git_url}#subdirectory=sub")],
            format!(
                "error: `other @ {git_url}#subdirectory=sub` holds the project gitdemo, not other"
            ),
        ),
        (
            vec![
                format!("{git_url}@v1#subdirectory=sub"),
                format!("{git_url}#subdirectory=sub"),
            ],
            format!(
                "error: gitdemo is required from two places: `{git_url}@v1#subdirectory=sub` and `{git_url}#subdirectory=sub`"
            ),
        ),
        (
            vec!["-e".to_string(), "wheels.whl".to_string()],
            "error: `wheels.whl` looks like a path, but there is no such file or folder"
                .to_string(),
        ),
    ];
    for (args, expected) in cases {
        let run = install(
            home,
            &env,
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        let run = run.failure();
        assert_eq!(run.stderr.trim(), expected, "{args:?}");
        assert_eq!(pip_list(&env), before, "{args:?}");
    }
}

#[test]
fn wheels_built_from_commits_are_shared_and_from_folders_not() {
    let dir = TempDir::new("direct-upload");
    let home = dir.path();
    links(home);
    let (repo, _, _) = repository(home);
    let git_url = format!("git+{}@v1#subdirectory=sub", file_url(&repo));
    // A dependency's URL for a project given on the command line stands for it.
    let requires = format!("Requires-Dist: gitdemo @ {git_url}");
    project(&home.join("app"), "app", "2.0", &[&requires]);
    let served = mkdir(home.join("served"));
    let server = Server::start(&served, &[]);
    let env = venv(home);
    let run = install(home, &env, &["-u", "-c", &server.url, "./app", &git_url]).success();
    assert!(run.stderr.contains("Uploaded 1 wheel to"), "{}", run.stderr);
    assert_eq!(
        crate::support::files::listing(&served),
        ["gitdemo-1.0-py3-none-any.whl"]
    );
    assert!(pip_freeze(&env).contains("gitdemo @ git+file://"));
}

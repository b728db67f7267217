//! `curd install`, `uninstall` and `freeze`, run as the real binary against a real
//! curd-server and static PEP 503 folders, into venvs made by `python3 -m venv`,
//! with pip as the oracle of what got installed.

use std::path::{Path, PathBuf};

use crate::support::crafted::wheel_of_zeros;
use crate::support::curd::Curd;
use crate::support::dists::WheelSpec;
use crate::support::files::listing;
use crate::support::process::{Run, command, run_ok};
use crate::support::python::{pip, pip_freeze, venv};
use crate::support::servers::{CannedServer, Server, closed_port, reply};
use crate::support::static_index::{StaticIndex, publish_html};
use crate::support::tmp::{TempDir, mkdir};

/// `curd install --python` into `env`, then `args`, at home in `tmp`.
fn curd_install(tmp: &Path, env: &Path, args: &[&str]) -> Run {
    Curd::install(tmp, env).args(args).run()
}

fn pip_check(env: &Path) {
    run_ok(pip(&env.join("bin/python")).arg("check"));
}

/// How many names the installed file `path` (under site-packages) has: 1 when it
/// was written for this environment, more when linked from the cache.
fn links_to(env: &Path, path: &str) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let site = run_ok(command(env.join("bin/python")).args([
        "-c",
        "import sysconfig; print(sysconfig.get_paths()['purelib'], end='')",
    ]));
    std::fs::metadata(Path::new(&site).join(path))
        .unwrap()
        .nlink()
}

/// A graph with extras, markers, a console script, a conflict that needs
/// backtracking, a pre-release, and a wheel for another platform.
fn graph(dir: &Path) -> PathBuf {
    let wheels = dir.join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    WheelSpec {
        requires: &[
            "lib>=1.0",
            "fastlib; extra == 'fast'",
            "winonly; sys_platform == 'win32'",
        ],
        entry_points: Some("[console_scripts]\napp-hello = app.cli:hello\n"),
        files: &[("app/cli.py", "def hello():\n    print('hello from app')\n")],
        ..WheelSpec::new("app", "1.0")
    }
    .build(&wheels);
    // app 2.0 needs a lib that does not exist: the resolver must fall back to app 1.0.
    WheelSpec {
        requires: &["lib>=9"],
        ..WheelSpec::new("app", "2.0")
    }
    .build(&wheels);
    WheelSpec::new("lib", "1.0").build(&wheels);
    WheelSpec::new("lib", "1.5").build(&wheels);
    WheelSpec::new("lib", "2.0rc1").build(&wheels);
    WheelSpec {
        tag: "cp27-cp27m-win32",
        ..WheelSpec::new("lib", "3.0")
    }
    .build(&wheels);
    WheelSpec {
        requires: &["lib<1.5"],
        ..WheelSpec::new("fastlib", "1.0")
    }
    .build(&wheels);
    wheels
}

fn python(env: &Path) -> String {
    env.join("bin/python").display().to_string()
}

#[test]
fn installs_a_graph_from_a_cache_server_as_pip_would() {
    let tmp = TempDir::new("client-graph");
    let server = Server::start(&graph(tmp.path()), &[]);
    let env = venv(tmp.path());
    let run = curd_install(
        tmp.path(),
        &env,
        &["-c", &server.url, "--no-index", "app[fast]"],
    )
    .success();
    assert!(run.stderr.contains("Installed 3 packages"));
    assert!(run.stderr.contains("3 from cache"));
    // app 2.0 cannot be installed; fastlib pins lib below 1.5; the rc and the win32 wheel stay out.
    assert_eq!(pip_freeze(&env), "app==1.0\nfastlib==1.0\nlib==1.0\n");
    pip_check(&env);
    let hello = run_ok(&mut command(env.join("bin/app-hello")));
    assert_eq!(hello, "hello from app\n");
    let freeze = Curd::new(tmp.path())
        .args(["freeze", "--python", &python(&env)])
        .run()
        .success();
    assert_eq!(freeze.stdout, pip_freeze(&env));
    // The same again: nothing to do.
    let again = curd_install(
        tmp.path(),
        &env,
        &["-c", &server.url, "--no-index", "app[fast]"],
    )
    .success();
    assert!(again.stderr.contains("Nothing to install"));
}

#[test]
fn prereleases_only_when_asked_for() {
    let tmp = TempDir::new("client-pre");
    let wheels = graph(tmp.path());
    let env = venv(tmp.path());
    let links = wheels.display().to_string();
    let install = |extra: &[&str]| {
        let mut args = vec!["--no-index", "--find-links", &links, "-f"];
        args.extend_from_slice(extra);
        curd_install(tmp.path(), &env, &args).success();
        pip_freeze(&env)
    };
    assert_eq!(install(&["lib"]), "lib==1.5\n");
    assert_eq!(install(&["lib>=2.0rc1"]), "lib==2.0rc1\n");
    assert_eq!(install(&["--pre", "lib"]), "lib==2.0rc1\n");
}

#[test]
fn dry_run_says_what_it_would_do_and_changes_nothing() {
    let tmp = TempDir::new("client-dry");
    let server = Server::start(&graph(tmp.path()), &[]);
    let env = venv(tmp.path());
    let run = curd_install(
        tmp.path(),
        &env,
        &["--dry-run", "-c", &server.url, "--no-index", "app"],
    )
    .success();
    assert_eq!(run.stdout, "Would install app-1.0 lib-1.5\n");
    assert_eq!(pip_freeze(&env), "");
}

#[test]
fn explains_a_conflict_and_installs_nothing() {
    let tmp = TempDir::new("client-conflict");
    let server = Server::start(&graph(tmp.path()), &[]);
    let env = venv(tmp.path());
    let run = curd_install(
        tmp.path(),
        &env,
        &["-c", &server.url, "--no-index", "fastlib", "lib>=1.5"],
    )
    .failure();
    assert!(run.stderr.contains("fastlib 1.0 depends on lib<1.5"));
    assert_eq!(
        run.stderr.lines().next().map(|l| l.starts_with("error: ")),
        Some(true)
    );
    assert_eq!(pip_freeze(&env), "");
    let run = curd_install(
        tmp.path(),
        &env,
        &["-c", &server.url, "--no-index", "nothing-like-it"],
    )
    .failure();
    assert!(run.stderr.contains("nothing-like-it"));
}

/// A static PEP 503 tree, as `file://` pages, with a yanked release.
fn static_index(dir: &Path, wheels: &Path) -> String {
    let root = dir.join("static");
    let project = root.join("lib");
    std::fs::create_dir_all(&project).unwrap();
    let mut links = String::from("<!DOCTYPE html><html><body>\n");
    for entry in std::fs::read_dir(wheels).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !name.starts_with("lib-") {
            continue;
        }
        std::fs::copy(wheels.join(&name), project.join(&name)).unwrap();
        let yanked = if name.starts_with("lib-1.5-") {
            " data-yanked=\"broken\""
        } else {
            ""
        };
        links.push_str(&format!("<a href=\"{name}\"{yanked}>{name}</a><br/>\n"));
    }
    links.push_str("</body></html>\n");
    std::fs::write(project.join("index.html"), links).unwrap();
    format!("file://{}/", root.display())
}

#[test]
fn a_static_index_with_yanked_files_and_foreign_wheels() {
    let tmp = TempDir::new("client-static");
    let wheels = graph(tmp.path());
    let index = static_index(tmp.path(), &wheels);
    let env = venv(tmp.path());
    curd_install(tmp.path(), &env, &["-i", &index, "lib"]).success();
    assert_eq!(
        pip_freeze(&env),
        "lib==1.0\n",
        "1.5 is yanked, 3.0 is for Windows"
    );
    curd_install(tmp.path(), &env, &["-i", &index, "lib==1.5"]).success();
    assert_eq!(
        pip_freeze(&env),
        "lib==1.5\n",
        "a yanked file pinned with == is allowed"
    );
}

#[test]
fn a_cache_server_that_is_down_or_broken_does_not_fail_the_install() {
    let tmp = TempDir::new("client-down");
    let wheels = graph(tmp.path());
    let links = wheels.display().to_string();
    // A port that nothing listens on, and a server that answers 500 to everything.
    let down = closed_port();
    let broken = CannedServer::start(
        (0..50)
            .map(|_| reply("500 Internal Server Error", &[], b"nope"))
            .collect(),
    );
    let env = venv(tmp.path());
    for cache in [format!("http://{down}"), broken.url()] {
        let run = curd_install(
            tmp.path(),
            &env,
            &[
                "-f",
                "-u",
                "-c",
                &cache,
                "--no-index",
                "--find-links",
                &links,
                "lib",
            ],
        )
        .success();
        assert!(run.stderr.contains("warning: cache server"));
        assert_eq!(
            run.stderr.matches("warning: cache server").count(),
            1,
            "one warning"
        );
        // No upload tried to a server known to be down, and the summary says so.
        assert!(
            run.stderr
                .contains(": it was not usable earlier in this run"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("Uploaded 0 of 1 wheel to "));
        assert!(!run.stderr.contains("could not upload"));
        assert_eq!(pip_freeze(&env), "lib==1.5\n");
    }
}

#[test]
fn an_index_that_fails_is_the_error_unless_another_source_has_the_project() {
    let tmp = TempDir::new("client-index-fails");
    let wheels = graph(tmp.path()).display().to_string();
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let empty = empty.display().to_string();
    let broken = CannedServer::start(
        (0..10)
            .map(|_| reply("500 Internal Server Error", &[], b"nope"))
            .collect(),
    );
    let index = format!("{}/simple/", broken.url());
    let env = venv(tmp.path());
    // An empty --find-links folder answers, but the index's failure is why there is
    // no version: it is the error, not "no version is available".
    let args = ["-i", &index, "--retries", "0", "lib"];
    let run = curd_install(
        tmp.path(),
        &env,
        &[&["--find-links", &empty], &args[..]].concat(),
    )
    .failure();
    assert!(
        run.stderr.contains("answered 500 Internal Server Error"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("no version"), "{}", run.stderr);
    // A folder that has the project is used, and the index's failure said.
    let run = curd_install(
        tmp.path(),
        &env,
        &[&["--find-links", &wheels], &args[..]].concat(),
    )
    .success();
    assert!(
        run.stderr.contains("warning: lib: `")
            && run
                .stderr
                .contains("only the other sources' files are considered"),
        "{}",
        run.stderr
    );
    assert_eq!(pip_freeze(&env), "lib==1.5\n");
}

#[test]
fn an_unreachable_index_is_not_asked_again_for_each_project() {
    let tmp = TempDir::new("client-index-unreachable");
    let server = Server::start(&graph(tmp.path()), &[]);
    let index = format!("http://{}/simple/", closed_port());
    let env = venv(tmp.path());
    // The cache server has app and lib; the index (PyPI, on an air-gapped machine)
    // cannot be reached. Asked for app, it is skipped for lib, app's dependency.
    let run = curd_install(
        tmp.path(),
        &env,
        &["-c", &server.url, "-i", &index, "--retries", "1", "app"],
    )
    .success();
    assert_eq!(
        run.stderr
            .matches("could not be reached, so it is not asked again in this run")
            .count(),
        1,
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("only the other sources' files"),
        "{}",
        run.stderr
    );
    assert_eq!(pip_freeze(&env), "app==1.0\nlib==1.5\n");
}

#[test]
fn two_processes_share_one_cache() {
    let tmp = TempDir::new("client-shared");
    let server = Server::start(&graph(tmp.path()), &[]);
    let envs: Vec<PathBuf> = (0..2)
        .map(|i| {
            let dir = tmp.path().join(format!("m{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            venv(&dir)
        })
        .collect();
    let cache = tmp.path().join("shared-cache").display().to_string();
    let running: Vec<_> = envs
        .iter()
        .map(|env| {
            Curd::install(tmp.path(), env)
                .args([
                    "--cache-dir",
                    &cache,
                    "-c",
                    &server.url,
                    "--no-index",
                    "app[fast]",
                ])
                .start()
        })
        .collect();
    // Both run at once; only then is each one waited for.
    let runs: Vec<Run> = running.into_iter().map(|r| r.wait()).collect();
    for (env, run) in envs.iter().zip(runs) {
        let _run = run.success();
        assert_eq!(pip_freeze(env), "app==1.0\nfastlib==1.0\nlib==1.0\n");
    }
}

#[test]
fn uninstall_leaves_nothing_behind() {
    let tmp = TempDir::new("client-uninstall");
    let server = Server::start(&graph(tmp.path()), &[]);
    let env = venv(tmp.path());
    let before = tree(&env);
    curd_install(tmp.path(), &env, &["-c", &server.url, "--no-index", "app"]).success();
    assert_ne!(tree(&env), before);
    Curd::new(tmp.path())
        .args(["uninstall", "--python", &python(&env), "app", "lib"])
        .run()
        .success();
    // All but the environment's lock file, which stays: removing a lock file that
    // another run may be waiting on would let a third one in beside it.
    let mut after = tree(&env);
    after.retain(|(path, _)| !path.ends_with(".curd.lock"));
    assert_eq!(after, before);
}

#[test]
fn hashes_from_a_requirements_file_are_checked() {
    let tmp = TempDir::new("client-hash");
    let wheels = graph(tmp.path());
    let env = venv(tmp.path());
    let sha = curd::util::digest::sha256_file(&wheels.join("lib-1.0-py3-none-any.whl")).unwrap();
    let reqs = tmp.path().join("requirements.txt");
    let links = wheels.display().to_string();
    std::fs::write(
        &reqs,
        format!("lib==1.0 --hash=sha256:{}\n", "0".repeat(64)),
    )
    .unwrap();
    let run = curd_install(
        tmp.path(),
        &env,
        &[
            "--no-index",
            "--find-links",
            &links,
            "-r",
            reqs.to_str().unwrap(),
        ],
    )
    .failure();
    assert!(run.stderr.contains("lib-1.0-py3-none-any.whl"));
    assert_eq!(pip_freeze(&env), "");
    std::fs::write(&reqs, format!("lib==1.0 --hash=sha256:{sha}\n")).unwrap();
    curd_install(
        tmp.path(),
        &env,
        &[
            "--no-index",
            "--find-links",
            &links,
            "-r",
            reqs.to_str().unwrap(),
        ],
    )
    .success();
    assert_eq!(pip_freeze(&env), "lib==1.0\n");
}

#[test]
fn uploads_what_the_cache_lacked() {
    let tmp = TempDir::new("client-upload");
    let wheels = graph(tmp.path());
    let cache_dir = tmp.path().join("served");
    let server = Server::start(&cache_dir, &[]);
    let env = venv(tmp.path());
    let links = wheels.display().to_string();
    let run = curd_install(
        tmp.path(),
        &env,
        &[
            "-c",
            &server.url,
            "-u",
            "--no-index",
            "--find-links",
            &links,
            "app",
        ],
    )
    .success();
    assert!(
        run.stderr
            .contains(&format!("Uploaded 2 wheels to {}/simple/", server.url))
    );
    assert_eq!(
        listing(&cache_dir),
        ["app-1.0-py3-none-any.whl", "lib-1.5-py3-none-any.whl"]
    );
    let run = curd_install(tmp.path(), &env, &["-u", "app"]).failure();
    assert!(run.stderr.contains("-u uploads to a cache server"));
}

#[test]
fn refuses_a_python_that_is_not_a_virtual_environment() {
    let tmp = TempDir::new("client-system");
    let run = Curd::new(tmp.path())
        .args(["install", "--python", "python3", "--no-index", "lib"])
        .run()
        .failure();
    assert!(run.stderr.contains("is not a virtual environment"));
    assert!(
        run.stderr
            .contains("hint: create one with `python3 -m venv .venv`")
    );
}

/// Every path under `dir` with its size, except bytecode caches.
fn tree(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if path.file_name().is_some_and(|n| n == "__pycache__") {
                continue;
            }
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path.clone());
            }
            out.push((path, if meta.is_file() { meta.len() } else { 0 }));
        }
    }
    out.sort();
    out
}

#[test]
fn a_failed_upgrade_keeps_the_installed_version() {
    let tmp = TempDir::new("client-upgrade");
    let wheels = graph(tmp.path());
    // lib 9.0 whose RECORD lies about a file: refused while verifying.
    let broken = WheelSpec::new("lib", "9.0").build(&mkdir(tmp.path().join("staging")));
    let bytes = std::fs::read(&broken).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(
        std::fs::File::create(wheels.join("lib-9.0-py3-none-any.whl")).unwrap(),
    );
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut data).unwrap();
        if name.ends_with("__init__.py") {
            data.extend_from_slice(b"# tampered\n");
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut out, &data).unwrap();
    }
    out.finish().unwrap();
    let env = venv(tmp.path());
    let links = wheels.display().to_string();
    curd_install(
        tmp.path(),
        &env,
        &["--no-index", "--find-links", &links, "lib==1.0"],
    )
    .success();
    let run = curd_install(
        tmp.path(),
        &env,
        &["--no-index", "--find-links", &links, "lib==9.0"],
    )
    .failure();
    assert!(run.stderr.contains("lib-9.0-py3-none-any.whl"));
    assert_eq!(pip_freeze(&env), "lib==1.0\n");
}

#[test]
fn a_cache_server_with_a_bad_file_is_skipped_for_the_next_source() {
    let tmp = TempDir::new("client-badfile");
    let wheels = graph(tmp.path());
    // Named lib 1.5, but its metadata says 1.0: the cache server's copy is unusable.
    // curd-server refuses to serve such a file, so a canned server plays one that
    // does: the listing, then the file.
    let bad = std::fs::read(wheels.join("lib-1.0-py3-none-any.whl")).unwrap();
    let name = "lib-1.5-py3-none-any.whl";
    let page = format!("<a href=\"{name}\">{name}</a>\n");
    let server = CannedServer::start(vec![
        reply("200 OK", &[("Content-Type", "text/html")], page.as_bytes()),
        reply(
            "200 OK",
            &[("Content-Type", "application/octet-stream")],
            &bad,
        ),
    ]);
    let env = venv(tmp.path());
    let links = wheels.display().to_string();
    let run = curd_install(
        tmp.path(),
        &env,
        &[
            "-c",
            &server.url(),
            "--no-index",
            "--find-links",
            &links,
            "lib==1.5",
        ],
    )
    .success();
    assert_eq!(run.stderr.matches("warning: cache server").count(), 1);
    assert!(run.stderr.contains("its metadata says lib 1.0"));
    assert_eq!(pip_freeze(&env), "lib==1.5\n");
    let files =
        run_ok(command(env.join("bin/python")).args(["-c", "import lib; print(lib.VERSION)"]));
    assert_eq!(files, "1.5\n");
    let heads = server.heads();
    assert!(heads[1].contains(name), "{heads:?}");
}

#[test]
fn extra_index_urls_add_to_the_main_index() {
    let tmp = TempDir::new("client-extra");
    let wheels = graph(tmp.path());
    let main = static_index(tmp.path(), &wheels);
    let extra_root = tmp.path().join("extra");
    let app = mkdir(extra_root.join("app"));
    std::fs::copy(
        wheels.join("app-1.0-py3-none-any.whl"),
        app.join("app-1.0-py3-none-any.whl"),
    )
    .unwrap();
    std::fs::write(
        app.join("index.html"),
        "<a href=\"app-1.0-py3-none-any.whl\">app-1.0-py3-none-any.whl</a>\n",
    )
    .unwrap();
    let reqs = tmp.path().join("requirements.txt");
    std::fs::write(
        &reqs,
        format!(
            "--extra-index-url file://{}/\napp==1.0\n",
            extra_root.display()
        ),
    )
    .unwrap();
    let env = venv(tmp.path());
    curd_install(
        tmp.path(),
        &env,
        &["-i", &main, "-r", reqs.to_str().unwrap()],
    )
    .success();
    assert_eq!(
        pip_freeze(&env),
        "app==1.0\nlib==1.0\n",
        "app from the extra index, lib from the main one"
    );
}

/// For each module, what Python's import would make of its bytecode: `ok` when the
/// `.pyc` has this interpreter's magic number and the source's mtime and size.
const BYTECODE_CHECK: &str = r#"
import importlib.util, os, struct, sys
for path in sys.argv[1:]:
    try:
        with open(importlib.util.cache_from_source(path), "rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        print("missing"); continue
    st = os.stat(path)
    flags, mtime, size = struct.unpack("<III", head[4:16])
    fresh = flags != 0 or (mtime, size) == (int(st.st_mtime) & 0xFFFFFFFF, st.st_size & 0xFFFFFFFF)
    print("ok" if head[:4] == importlib.util.MAGIC_NUMBER and fresh else "stale")
"#;

#[test]
fn compiles_bytecode_once_per_machine_and_links_it() {
    let tmp = TempDir::new("client-compile");
    let wheels = tmp.path().join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    WheelSpec {
        files: &[
            ("app/cli.py", "def hello():\n    return 'hello'\n"),
            ("app/legacy.py", "print 'Python 2'\n"),
            ("app-1.0.data/purelib/app_extra.py", "X = 1\n"),
            ("app-1.0.data/scripts/tool.py", "print('a script')\n"),
        ],
        ..WheelSpec::new("app", "1.0")
    }
    .build(&wheels);
    let server = Server::start(&wheels, &[]);
    let install = |name: &str, extra: &[&str]| {
        let env = venv(&tmp.path().join(name));
        let mut args = vec!["--compile", "-c", &server.url, "--no-index", "app"];
        args.extend(extra);
        let run = curd_install(tmp.path(), &env, &args).success();
        assert!(!run.stderr.contains("warning"));
        env
    };
    let site = |env: &Path| {
        let lib = env.join("lib");
        let version = std::fs::read_dir(&lib).unwrap().next().unwrap().unwrap();
        version.path().join("site-packages")
    };
    let check = |env: &Path| {
        let site = site(env);
        let out = run_ok(
            command(env.join("bin/python"))
                .args(["-c", BYTECODE_CHECK])
                .args(
                    [
                        "app/__init__.py",
                        "app/cli.py",
                        "app/legacy.py",
                        "app_extra.py",
                    ]
                    .map(|m| site.join(m)),
                ),
        );
        assert_eq!(out, "ok\nok\nmissing\nok\n", "{}", env.display());
        assert!(
            !env.join("bin/__pycache__").exists(),
            "scripts are not compiled"
        );
    };
    let first = install("first", &[]);
    check(&first);
    let second = install("second", &[]);
    check(&second);
    // The second environment's bytecode is the first's: linked, not compiled again.
    use std::os::unix::fs::MetadataExt;
    let pyc = |env: &Path| {
        let dir = site(env).join("app/__pycache__");
        let name = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains("cli."))
            .expect("cli's bytecode");
        std::fs::metadata(name).unwrap().ino()
    };
    assert_eq!(pyc(&first), pyc(&second));
    // Copies get their own mtime, so they are compiled where they are.
    let copied = install("copied", &["--link-mode", "copy"]);
    check(&copied);
    assert_ne!(pyc(&copied), pyc(&first));
    // RECORD lists the bytecode, so pip removes all of it.
    run_ok(pip(&second.join("bin/python")).args(["uninstall", "-y", "app"]));
    let site = site(&second);
    assert!(!site.join("app").exists());
    let left: Vec<_> = std::fs::read_dir(site.join("__pycache__"))
        .map(|dir| dir.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(
        left.iter()
            .all(|n| !n.to_string_lossy().contains("app_extra")),
        "{left:?}"
    );
}

/// Every `.whl` file under `dir`.
fn wheels_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "whl") {
                found.push(path);
            }
        }
    }
    found
}

/// A wheel fetched by this run is installed from its archive; one the cache held
/// already is in use again, so it is unpacked once and linked from then on.
#[test]
fn a_wheel_used_again_is_unpacked_once_and_then_linked() {
    let tmp = TempDir::new("client-reused");
    let server = Server::start(&graph(tmp.path()), &[]);
    let unpacked = tmp.path().join("xdg-cache/curd/unpacked");
    let install = |name: &str| {
        let env = venv(&tmp.path().join(name));
        curd_install(tmp.path(), &env, &["-c", &server.url, "--no-index", "app"]).success();
        assert_eq!(pip_freeze(&env), "app==1.0\nlib==1.5\n");
        links_to(&env, "app/cli.py")
    };
    assert_eq!(install("first"), 1);
    assert!(!unpacked.exists());
    assert_eq!(install("second"), 2);
    assert!(unpacked.is_dir());
    assert_eq!(install("third"), 3);
}

/// An index without PEP 658 metadata files makes the resolver download each wheel
/// it reads; those are unpacked into the cache while it resolves, so the install
/// links their files (app 2.0, read and passed over, is unpacked in vain).
#[test]
fn wheels_downloaded_for_their_metadata_are_unpacked_while_resolving() {
    let tmp = TempDir::new("client-ahead");
    let wheels = graph(tmp.path());
    let root = mkdir(tmp.path().join("index"));
    for project in ["app", "lib", "fastlib", "winonly"] {
        let files: Vec<(String, Vec<u8>)> = listing(&wheels)
            .into_iter()
            .filter(|name| name.starts_with(&format!("{project}-")))
            .map(|name| {
                let bytes = std::fs::read(wheels.join(&name)).unwrap();
                (name, bytes)
            })
            .collect();
        let files: Vec<(&str, &[u8], &str)> = files
            .iter()
            .map(|(name, bytes)| (name.as_str(), bytes.as_slice(), ""))
            .collect();
        publish_html(&root, project, &files);
    }
    let index = StaticIndex::start(&root, None);
    let simple = format!("http://{}/simple/", index.addr);
    let unpacked = tmp.path().join("xdg-cache/curd/unpacked");
    let install = |name: &str| {
        let env = venv(&tmp.path().join(name));
        curd_install(tmp.path(), &env, &["-i", &simple, "app"]).success();
        assert_eq!(pip_freeze(&env), "app==1.0\nlib==1.5\n");
        pip_check(&env);
        links_to(&env, "app/cli.py")
    };
    assert_eq!(install("first"), 2);
    let trees: Vec<String> = listing(&unpacked)
        .iter()
        .flat_map(|shard| listing(&unpacked.join(shard)))
        .collect();
    assert_eq!(trees.len(), 3, "app 1.0, app 2.0 and lib 1.5: {trees:?}");
    assert_eq!(install("second"), 3);
}

/// Fetching ahead follows the newest version of a project, which the resolver
/// may not choose: a project met only that way is never built. Here `y` (one
/// candidate, decided first) pins `x<2`, so `x 2.0`'s sdist-only requirement is
/// not wanted, and pip never downloads it either.
#[test]
fn a_guess_the_resolver_does_not_take_builds_nothing() {
    let tmp = TempDir::new("client-guess");
    let built = mkdir(tmp.path().join("built"));
    let root = mkdir(tmp.path().join("index"));
    let wheels = [
        WheelSpec::new("x", "1.0").build(&built),
        WheelSpec {
            requires: &["sonly"],
            ..WheelSpec::new("x", "2.0")
        }
        .build(&built),
        WheelSpec {
            requires: &["x<2"],
            ..WheelSpec::new("y", "1.0")
        }
        .build(&built),
    ];
    let sdist = crate::support::dists::sdist(
        &built,
        "sonly-1.0",
        None,
        &[("setup.py", "raise SystemExit(1)\n")],
    );
    let read = |path: &PathBuf| {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        (name, std::fs::read(path).unwrap())
    };
    for (project, files) in [
        ("x", vec![read(&wheels[0]), read(&wheels[1])]),
        ("y", vec![read(&wheels[2])]),
        ("sonly", vec![read(&sdist)]),
    ] {
        let files: Vec<(&str, &[u8], &str)> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice(), ""))
            .collect();
        publish_html(&root, project, &files);
    }
    let index = StaticIndex::start(&root, None);
    let simple = format!("http://{}/simple/", index.addr);
    let env = venv(&tmp.path().join("env"));
    curd_install(tmp.path(), &env, &["-i", &simple, "x", "y==1"]).success();
    assert_eq!(pip_freeze(&env), "x==1.0\ny==1.0\n");
    assert_eq!(index.requests("/files/sonly-1.0.tar.gz"), 0);
}

/// A run that fails after the resolver read a wheel's metadata calls off the
/// unpacking of that wheel under way: it neither waits for a tree it will not use
/// nor leaves one, whole or half made, in the cache.
#[test]
fn a_failed_resolution_calls_off_unpacking_ahead() {
    let tmp = TempDir::new("client-ahead-stop");
    let root = mkdir(tmp.path().join("index"));
    let wheel = wheel_of_zeros("big", "1.0", &["nothere>=1"], 64 << 20);
    publish_html(&root, "big", &[("big-1.0-py3-none-any.whl", &wheel, "")]);
    let index = StaticIndex::start(&root, None);
    let simple = format!("http://{}/simple/", index.addr);
    let env = venv(&tmp.path().join("env"));
    let run = curd_install(tmp.path(), &env, &["-i", &simple, "big"]).failure();
    assert!(run.stderr.contains("nothere"), "{run}");
    let unpacked = tmp.path().join("xdg-cache/curd/unpacked");
    // Made only once an unpack starts.
    let shards = if unpacked.exists() {
        listing(&unpacked)
    } else {
        Vec::new()
    };
    let left: Vec<String> = shards
        .iter()
        .flat_map(|shard| listing(&unpacked.join(shard)))
        .collect();
    assert!(left.is_empty(), "left in the cache: {left:?}");
    assert_eq!(pip_freeze(&env), "");
}

#[test]
fn a_cached_download_cut_short_is_fetched_again() {
    let tmp = TempDir::new("client-short");
    let server = Server::start(&graph(tmp.path()), &[]);
    let cache = tmp.path().join("xdg-cache/curd");
    let install = |name: &str| {
        let env = venv(&tmp.path().join(name));
        curd_install(tmp.path(), &env, &["-c", &server.url, "--no-index", "app"]).success();
        assert_eq!(pip_freeze(&env), "app==1.0\nlib==1.5\n");
    };
    install("first");
    // Fresh downloads are installed from the archive, not unpacked into the cache.
    assert!(!cache.join("unpacked").exists());
    // As a power cut can leave them: the downloads short.
    let archives = wheels_under(&cache.join("archives"));
    assert_eq!(archives.len(), 2, "{archives:?}");
    for archive in &archives {
        let file = std::fs::File::options().write(true).open(archive).unwrap();
        file.set_len(10).unwrap();
    }
    install("second");
    for archive in &archives {
        assert!(
            std::fs::metadata(archive).unwrap().len() > 10,
            "{}",
            archive.display()
        );
    }
}

//! What `curd install` says off a terminal, as a CI log shows it: a line per package
//! placed or replaced, with its version and origin, counts in good English, nothing
//! but errors with `-q`; the hint for an air-gapped machine that forgot
//! `--no-index`; the second identical install, which asks no server anything; and a
//! warm cache, which asks for pages only.

use std::path::{Path, PathBuf};
use std::time::Duration;

use curd::install::SETTLE;

use crate::support::curd::Curd;
use crate::support::dists::WheelSpec;
use crate::support::process::Run;
use crate::support::python::{pip_freeze, venv};
use crate::support::servers::{Server, closed_port};
use crate::support::tmp::{TempDir, mkdir};

fn curd_install(tmp: &Path, env: &Path, args: &[&str]) -> Run {
    Curd::install(tmp, env).args(args).run()
}

/// `lib` 1.0 and 2.0, and `app` 1.0, which needs `lib` and, with its extra `fast`,
/// `fastlib`.
fn wheels(dir: &Path) -> PathBuf {
    let wheels = mkdir(dir.join("wheels"));
    WheelSpec::new("lib", "1.0").build(&wheels);
    WheelSpec::new("lib", "2.0").build(&wheels);
    WheelSpec {
        requires: &["lib>=1", "fastlib; extra == 'fast'"],
        ..WheelSpec::new("app", "1.0")
    }
    .build(&wheels);
    WheelSpec::new("fastlib", "1.0").build(&wheels);
    wheels
}

/// The lines of `text` that show a package placed or removed.
fn changes(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.starts_with(" + ") || l.starts_with(" - ") || l.starts_with(" ~ "))
        .collect()
}

#[test]
fn each_package_placed_or_replaced_is_a_line_with_its_version_and_origin() {
    let tmp = TempDir::new("output-lines");
    let wheels = wheels(tmp.path());
    let server = Server::start(&wheels, &[]);
    let env = venv(tmp.path());
    let run = curd_install(
        tmp.path(),
        &env,
        &["-c", &server.url, "--no-index", "lib==1.0"],
    )
    .success();
    assert_eq!(
        changes(&run.stderr),
        [" + lib==1.0 (cache)"],
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Installed 1 package in "),
        "{}",
        run.stderr
    );

    // From a find-links folder, over the installed version: the old one is named.
    let links = wheels.display().to_string();
    let run = curd_install(
        tmp.path(),
        &env,
        &["--no-index", "--find-links", &links, "lib==2.0", "app"],
    )
    .success();
    assert_eq!(
        changes(&run.stderr),
        [
            " + app==1.0 (find-links)",
            " - lib==1.0",
            " + lib==2.0 (find-links)"
        ],
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Installed 2 packages in "),
        "{}",
        run.stderr
    );
    // The summary comes last.
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("Installed 2 packages"), "{}", run.stderr);

    // Reinstalled over itself: one line.
    let run = curd_install(
        tmp.path(),
        &env,
        &["-f", "--no-index", "--find-links", &links, "lib==2.0"],
    )
    .success();
    assert_eq!(
        changes(&run.stderr),
        [" ~ lib==2.0 (find-links)"],
        "{}",
        run.stderr
    );

    let satisfied = curd_install(
        tmp.path(),
        &env,
        &["--no-index", "--find-links", &links, "lib"],
    )
    .success();
    assert_eq!(
        satisfied.stderr.trim(),
        "Nothing to install: 1 package already satisfied"
    );
    let dry = curd_install(
        tmp.path(),
        &env,
        &["--dry-run", "--no-index", "--find-links", &links, "lib"],
    )
    .success();
    assert_eq!(
        dry.stdout.trim(),
        "Would install nothing: 1 package already satisfied"
    );
}

#[test]
fn quiet_prints_nothing_but_errors() {
    let tmp = TempDir::new("output-quiet");
    let wheels = wheels(tmp.path());
    let links = wheels.display().to_string();
    let env = venv(tmp.path());
    let run = curd_install(
        tmp.path(),
        &env,
        &["-q", "--no-index", "--find-links", &links, "app"],
    )
    .success();
    assert_eq!(run.stderr, "");
    assert_eq!(pip_freeze(&env), "app==1.0\nlib==2.0\n");
    let failed = curd_install(
        tmp.path(),
        &env,
        &["-q", "--no-index", "--find-links", &links, "missing"],
    )
    .failure();
    assert!(failed.stderr.starts_with("error: "), "{}", failed.stderr);
}

#[test]
fn an_unreachable_index_beside_find_links_hints_at_no_index_once() {
    let tmp = TempDir::new("output-offline");
    let wheels = wheels(tmp.path());
    let links = wheels.display().to_string();
    let env = venv(tmp.path());
    let index = format!("http://{}/simple/", closed_port());
    let run = curd_install(
        tmp.path(),
        &env,
        &[
            "-i",
            &index,
            "--retries",
            "0",
            "--find-links",
            &links,
            "app",
        ],
    )
    .success();
    let hint = format!("hint: {index} is unreachable; with --find-links alone, add --no-index");
    assert_eq!(run.stderr.matches(&hint).count(), 1, "{}", run.stderr);
    assert_eq!(pip_freeze(&env), "app==1.0\nlib==2.0\n");

    // Without --find-links there is nothing to add --no-index to.
    let other = venv(&mkdir(tmp.path().join("other")));
    let run = curd_install(tmp.path(), &other, &["-i", &index, "--retries", "0", "app"]).failure();
    assert!(!run.stderr.contains("hint: "), "{}", run.stderr);
}

/// How many requests curd made of the server so far, counted once the server logged
/// the marker request (`/health?…`) sent now: it logs each request after answering it.
fn requests(server: &Server, marker: &str) -> usize {
    let _ = server.get(marker);
    let log = server.log_with(marker);
    log.lines()
        .filter(|l| l.contains("\"GET /") || l.contains("\"HEAD /") || l.contains("\"PUT /"))
        .filter(|l| !l.contains("\"GET /health"))
        .count()
}

#[test]
fn a_second_identical_install_asks_the_server_nothing() {
    let tmp = TempDir::new("output-noop");
    let wheels = wheels(tmp.path());
    let server = Server::start(&wheels, &[]);
    let env = venv(tmp.path());
    let requirements = tmp.path().join("requirements.txt");
    std::fs::write(&requirements, "app[fast]\nlib>=2\n").unwrap();
    let req = requirements.display().to_string();
    let args = ["-c", &server.url, "--no-index", "-r", &req];
    curd_install(tmp.path(), &env, &args).success();
    let first = requests(&server, "/health?first");
    assert!(first > 0, "{}", server.log());

    let again = curd_install(tmp.path(), &env, &args).success();
    assert_eq!(
        again.stderr.trim(),
        "Nothing to install: 3 packages already satisfied"
    );
    assert_eq!(
        requests(&server, "/health?second"),
        first,
        "{}",
        server.log()
    );

    // One requirement not satisfied: resolved as usual, and only that changes.
    std::fs::write(&requirements, "app[fast]\nlib<2\n").unwrap();
    let changed = curd_install(tmp.path(), &env, &args).success();
    assert_eq!(
        changes(&changed.stderr),
        [" - lib==2.0", " + lib==1.0 (cache)"],
        "{}",
        changed.stderr
    );
    assert!(requests(&server, "/health?third") > first);
    assert_eq!(pip_freeze(&env), "app==1.0\nfastlib==1.0\nlib==1.0\n");

    // A dependency removed behind curd's back is installed again.
    let uninstall = Curd::new(tmp.path())
        .args(["uninstall", "--python"])
        .arg(env.join("bin/python"))
        .arg("fastlib")
        .run();
    uninstall.success();
    let repaired = curd_install(tmp.path(), &env, &args).success();
    assert_eq!(
        changes(&repaired.stderr),
        [" + fastlib==1.0 (cache)"],
        "{}",
        repaired.stderr
    );

    // Once its folders have settled, a no-op seals what it found whole; a file
    // removed after that is still seen, and its project installed again.
    std::thread::sleep(SETTLE + Duration::from_millis(200));
    curd_install(tmp.path(), &env, &args).success();
    let seals = tmp.path().join("xdg-cache/curd/seals");
    assert_eq!(std::fs::read_dir(&seals).map(Iterator::count).ok(), Some(1));
    let site = std::fs::read_dir(env.join("lib"))
        .unwrap()
        .flatten()
        .map(|python| python.path().join("site-packages"))
        .next()
        .unwrap();
    std::fs::remove_file(site.join("fastlib/__init__.py")).unwrap();
    let damaged = curd_install(tmp.path(), &env, &args).success();
    assert!(
        damaged
            .stderr
            .contains("fastlib 1.0 is damaged, so it is installed again"),
        "{}",
        damaged.stderr
    );
    assert_eq!(changes(&damaged.stderr), [" ~ fastlib==1.0 (cache)"]);
    assert!(site.join("fastlib/__init__.py").is_file());
}

/// The server's log lines that fetched a PEP 658 file, once `marker` is logged.
fn metadata_fetches(server: &Server, marker: &str) -> usize {
    let _ = server.get(marker);
    let log = server.log_with(marker);
    log.lines().filter(|l| l.contains(".metadata\"")).count()
}

#[test]
fn a_warm_cache_asks_the_server_for_pages_and_not_for_metadata() {
    let tmp = TempDir::new("output-kept-metadata");
    let wheels = wheels(tmp.path());
    let server = Server::start(&wheels, &[]);
    let args = ["-c", &server.url, "--no-index", "app[fast]", "lib>=2"];
    let first = venv(&mkdir(tmp.path().join("first")));
    curd_install(tmp.path(), &first, &args).success();
    let fetched = metadata_fetches(&server, "/health?first");
    assert_eq!(fetched, 3, "{}", server.log());

    let second = venv(&mkdir(tmp.path().join("second")));
    curd_install(tmp.path(), &second, &args).success();
    assert_eq!(metadata_fetches(&server, "/health?second"), fetched);
    assert_eq!(pip_freeze(&second), pip_freeze(&first));

    // A kept file that is not the one the page lists is fetched again.
    let kept: Vec<PathBuf> = walk(&tmp.path().join("xdg-cache/curd/archives"))
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".metadata"))
        .collect();
    assert_eq!(kept.len(), 3, "{kept:?}");
    for file in &kept {
        std::fs::write(file, "Metadata-Version: 2.1\nName: app\nVersion: 9.9\n").unwrap();
    }
    let third = venv(&mkdir(tmp.path().join("third")));
    curd_install(tmp.path(), &third, &args).success();
    assert_eq!(metadata_fetches(&server, "/health?third"), 2 * fetched);
    assert_eq!(pip_freeze(&third), "app==1.0\nfastlib==1.0\nlib==2.0\n");
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        match path.is_dir() {
            true => files.extend(walk(&path)),
            false => files.push(path),
        }
    }
    files
}

//! Versions that cannot be used here, run as the real `curd install` against
//! find-links folders, static PEP 503 pages and a real curd-server: a version whose
//! Requires-Python is only in its METADATA is passed over like one whose index
//! says so, and when nothing satisfies a requirement the error says why each
//! version that would was left out.

use std::path::{Path, PathBuf};

use crate::support::curd::Curd;
use crate::support::dists::WheelSpec;
use crate::support::process::{Run, command, run_ok};
use crate::support::python::{pip_freeze, venv};
use crate::support::servers::Server;
use crate::support::tmp::{TempDir, mkdir};

fn curd_install(tmp: &Path, env: &Path, args: &[&str]) -> Run {
    Curd::install(tmp, env).args(args).run()
}

/// The venv's `platform.python_version()`, as curd names the interpreter.
fn python_version(env: &Path) -> String {
    let code = "import platform; print(platform.python_version())";
    run_ok(command(env.join("bin/python")).args(["-c", code]))
        .trim()
        .to_string()
}

/// lib 1.0 that fits; 2.0 whose METADATA alone excludes every Python there is;
/// 3.0 whose index listing does too; 4.0 yanked; 5.0 for Windows and Python 2.7
/// only; and app 1.0, which pins the yanked lib 4.0.
fn wheels(dir: &Path) -> PathBuf {
    let wheels = mkdir(dir.join("wheels"));
    WheelSpec::new("lib", "1.0").build(&wheels);
    for version in ["2.0", "3.0"] {
        WheelSpec {
            requires_python: Some(">=99"),
            ..WheelSpec::new("lib", version)
        }
        .build(&wheels);
    }
    WheelSpec::new("lib", "4.0").build(&wheels);
    WheelSpec {
        tag: "cp27-cp27m-win32",
        ..WheelSpec::new("lib", "5.0")
    }
    .build(&wheels);
    WheelSpec {
        requires: &["lib==4.0"],
        ..WheelSpec::new("app", "1.0")
    }
    .build(&wheels);
    wheels
}

/// A static PEP 503 tree over `wheels`, as `file://` pages, that lists lib 3.0's
/// Requires-Python and lib 4.0 as yanked, and says nothing of lib 2.0's.
fn static_index(dir: &Path, wheels: &Path) -> String {
    let root = dir.join("static");
    for entry in std::fs::read_dir(wheels).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let project = mkdir(root.join(name.split('-').next().unwrap()));
        std::fs::copy(wheels.join(&name), project.join(&name)).unwrap();
        let attributes = match name.split('-').nth(1) {
            Some("3.0") => " data-requires-python=\"&gt;=99\"",
            Some("4.0") if name.starts_with("lib-") => " data-yanked=\"broken build\"",
            _ => "",
        };
        let page = project.join("index.html");
        let mut links = std::fs::read_to_string(&page).unwrap_or_default();
        links.push_str(&format!("<a href=\"{name}\"{attributes}>{name}</a><br/>\n"));
        std::fs::write(page, links).unwrap();
    }
    format!("file://{}/", root.display())
}

#[test]
fn requires_python_from_metadata_alone_passes_a_version_over() {
    let tmp = TempDir::new("unusable-metadata");
    let wheels = wheels(tmp.path());
    let links = wheels.display().to_string();
    let env = venv(tmp.path());
    let python = python_version(&env);
    let from_links = ["--no-index", "--find-links", &links];

    // In a find-links folder, Requires-Python is in the wheels alone: below 4.0,
    // 3.0 and 2.0 are read and passed over for 1.0.
    let run = curd_install(tmp.path(), &env, &[&from_links[..], &["lib<4"]].concat()).success();
    assert_eq!(pip_freeze(&env), "lib==1.0\n", "{}", run.stderr);

    let run = curd_install(tmp.path(), &env, &[&from_links[..], &["lib==2.0"]].concat()).failure();
    assert_eq!(run.status.code(), Some(1));
    assert!(
        run.stderr.contains(&format!(
            "lib 2.0 requires Python >=99 (the interpreter is Python {python})"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("root requires lib==2.0"),
        "{}",
        run.stderr
    );
    assert_eq!(pip_freeze(&env), "lib==1.0\n");
}

#[test]
fn a_requirement_nothing_satisfies_says_why_each_version_was_left_out() {
    let tmp = TempDir::new("unusable-reasons");
    let wheels = wheels(tmp.path());
    let index = static_index(tmp.path(), &wheels);
    let env = venv(tmp.path());
    let python = python_version(&env);
    let refused = |requirement: &str| {
        let run = curd_install(tmp.path(), &env, &["-i", &index, requirement]).failure();
        assert_eq!(run.status.code(), Some(1));
        run.stderr.clone()
    };
    assert_eq!(
        refused("lib==3.0"),
        format!(
            "error: no version of lib satisfies ==3.0 (required by root)\n  \
             lib 3.0 requires Python >=99 (the interpreter is Python {python})\n"
        )
    );
    assert_eq!(
        refused("app"),
        "error: no version of lib satisfies ==4.0 (required by root -> app 1.0)\n  \
         lib 4.0 is yanked (reason: `broken build`)\n"
    );
    assert_eq!(
        refused("lib==5.0"),
        "error: no version of lib satisfies ==5.0 (required by root)\n  \
         lib 5.0 has no wheel for this interpreter and no sdist\n"
    );
    assert_eq!(
        refused("lib>=3"),
        format!(
            "error: no version of lib satisfies >=3 (required by root)\n  \
             lib 5.0 has no wheel for this interpreter and no sdist\n  \
             lib 4.0 is yanked (reason: `broken build`)\n  \
             lib 3.0 requires Python >=99 (the interpreter is Python {python})\n"
        )
    );
    assert_eq!(pip_freeze(&env), "");

    // A curd-server lists each wheel's Requires-Python from its METADATA.
    let server = Server::start(&wheels, &[]);
    let run = curd_install(
        tmp.path(),
        &env,
        &["-c", &server.url, "--no-index", "lib==2.0"],
    )
    .failure();
    assert_eq!(
        run.stderr,
        format!(
            "error: no version of lib satisfies ==2.0 (required by root)\n  \
             lib 2.0 requires Python >=99 (the interpreter is Python {python})\n"
        )
    );
}

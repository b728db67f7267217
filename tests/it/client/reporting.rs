//! `curd list`, `show` and `check` on a venv that pip filled, with pip's own
//! `list`, `show` and `check` as the oracle: the same projects, fields and problems.

use std::path::Path;

use crate::support::curd::Curd;
use crate::support::dists::WheelSpec;
use crate::support::process::{Run, run};
use crate::support::python::{pip, venv};
use crate::support::tmp::TempDir;

/// A venv where `app` lacks `gone` and has a `lib` older than it needs, `lib` is
/// installed editable, `Other-Pkg` has the fields `pip show` prints, and `needy`
/// asks for an extra of `Other-Pkg` whose requirement is missing.
fn broken_env(dir: &Path) -> std::path::PathBuf {
    let wheels = dir.join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    WheelSpec {
        requires: &[
            "lib>=2",
            "gone>=1",
            "winonly; sys_platform == 'win32'",
            "fastlib; extra == 'fast'",
            "Other-Pkg",
        ],
        ..WheelSpec::new("app", "1.0")
    }
    .build(&wheels);
    WheelSpec::new("lib", "1.0").build(&wheels);
    WheelSpec {
        requires: &["lib<2", "absent; extra == 'more'"],
        ..WheelSpec::new("Other-Pkg", "0.5")
    }
    .build(&wheels);
    WheelSpec {
        requires: &["other-pkg[more]"],
        ..WheelSpec::new("needy", "2.0")
    }
    .build(&wheels);
    let env = venv(dir);
    let python = env.join("bin/python");
    let installed = run(pip(&python)
        .args(["install", "--no-deps", "--no-index", "--find-links"])
        .arg(&wheels)
        .args(["app", "lib", "Other-Pkg", "needy"]));
    assert!(installed.status.success(), "{}", installed.stderr);
    let site = run(&mut command_python(&python)).stdout.trim().to_string();
    let site = Path::new(&site);
    let metadata = site.join("Other_Pkg-0.5.dist-info/METADATA");
    let mut text = std::fs::read_to_string(&metadata).unwrap();
    text += "Summary: a package with things to say\nHome-page: https://example.org/\n\
             Author: Ann Example\nAuthor-email: ann@example.org\nLicense: MIT\n";
    std::fs::write(&metadata, text).unwrap();
    std::fs::write(
        site.join("lib-1.0.dist-info/direct_url.json"),
        r#"{"url": "file:///src/my%20lib", "dir_info": {"editable": true}}"#,
    )
    .unwrap();
    env
}

fn command_python(python: &Path) -> std::process::Command {
    let mut cmd = crate::support::process::command(python);
    cmd.args([
        "-c",
        "import sysconfig; print(sysconfig.get_paths()['purelib'])",
    ]);
    cmd
}

fn curd(home: &Path, env: &Path, args: &[&str]) -> Run {
    Curd::new(home)
        .args(args)
        .arg("--python")
        .arg(env.join("bin/python"))
        .run()
}

fn pip_says(env: &Path, args: &[&str]) -> Run {
    run(pip(&env.join("bin/python")).args(args))
}

#[test]
fn list_and_show_say_what_pip_says() {
    let tmp = TempDir::new("reporting-list");
    let env = broken_env(tmp.path());
    for format in ["columns", "freeze", "json"] {
        let args = ["list", "--format", format];
        let ours = curd(tmp.path(), &env, &args).success();
        let pips = pip_says(&env, &args);
        assert_eq!(ours.stdout, pips.stdout, "--format {format}");
    }
    assert!(
        curd(tmp.path(), &env, &["list"])
            .stdout
            .contains("/src/my lib")
    );
    for args in [
        &["show", "app", "LIB", "other_pkg", "needy"][..],
        &["show", "-f", "Other-Pkg", "pip"],
    ] {
        let ours = curd(tmp.path(), &env, args).success();
        assert_eq!(ours.stdout, pip_says(&env, args).stdout, "{args:?}");
    }
    let ours = curd(tmp.path(), &env, &["show", "nothing-here"]);
    assert_eq!(ours.status.code(), Some(1));
    assert_eq!(
        (
            ours.stdout.as_str(),
            pip_says(&env, &["show", "nothing-here"]).stdout.as_str()
        ),
        ("", "")
    );
}

#[test]
fn check_finds_the_problems_pip_finds_and_the_extras_it_skips() {
    let tmp = TempDir::new("reporting-check");
    let env = broken_env(tmp.path());
    let ours = curd(tmp.path(), &env, &["check"]);
    let pips = pip_says(&env, &["check"]);
    assert_eq!((ours.status.code(), pips.status.code()), (Some(1), Some(1)));
    let sorted = |text: &str| {
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        lines.sort();
        lines
    };
    let mut expected = sorted(&pips.stdout);
    assert_eq!(
        expected,
        [
            "app 1.0 has requirement lib>=2, but you have lib 1.0.",
            "app 1.0 requires gone, which is not installed.",
        ]
    );
    // pip does not look into the extras that installed projects ask for; curd does.
    expected.push("other-pkg 0.5 requires absent, which is not installed.".into());
    expected.sort();
    assert_eq!(sorted(&ours.stdout), expected);
    // Once mended, both say so.
    std::fs::remove_dir_all(tmp.path().join("wheels")).unwrap();
    let python = env.join("bin/python");
    run(pip(&python).args(["uninstall", "-y", "app", "needy"]));
    let ours = curd(tmp.path(), &env, &["check"]).success();
    assert_eq!(ours.stdout, pip_says(&env, &["check"]).success().stdout);
    assert_eq!(ours.stdout, "No broken requirements found.\n");
}

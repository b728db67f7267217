//! Where `curd install` puts things (`--target`, `--prefix`, `--user`), what it
//! reports (`--report`), and `curd wheel` for another machine, with pip as the
//! oracle: pip given the same wheels and flags makes the same file tree, refuses
//! the same things, and writes a report of the same shape.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::curd::Curd;
use crate::support::dists::WheelSpec;
use crate::support::files::listing;
use crate::support::process::{Run, command, run, run_ok};
use crate::support::python::{pip, pip_freeze, venv};
use crate::support::tmp::{TempDir, mkdir};

/// app 1.0 (a console script, a script, data and a header; needs lib), lib 1.0
/// (platlib) and lib 2.0.
fn wheels(dir: &Path) -> PathBuf {
    let wheels = mkdir(dir.join("wheels"));
    WheelSpec {
        requires: &["lib"],
        entry_points: Some("[console_scripts]\napp-hello = app.cli:hello\n"),
        files: &[
            ("app/cli.py", "def hello():\n    print('hello from app')\n"),
            ("app-1.0.data/scripts/tool.sh", "#!/bin/sh\necho tool\n"),
            ("app-1.0.data/data/share/app/notes.txt", "notes\n"),
            ("app-1.0.data/headers/app.h", "int app;\n"),
        ],
        ..WheelSpec::new("app", "1.0")
    }
    .build(&wheels);
    for version in ["1.0", "2.0"] {
        WheelSpec {
            root_is_purelib: false,
            ..WheelSpec::new("lib", version)
        }
        .build(&wheels);
    }
    wheels
}

/// Every path under `root`, relative, without bytecode caches and curd's lock.
fn tree(root: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name == "__pycache__" || name == ".curd.lock" {
                continue;
            }
            if path.is_dir() {
                stack.push(path.clone());
            }
            out.insert(path.strip_prefix(root).unwrap().display().to_string());
        }
    }
    out
}

fn curd(tmp: &Path, python: &Path, args: &[&str]) -> Run {
    Curd::new(tmp)
        .arg("install")
        .arg("--python")
        .arg(python)
        .args(["--no-index", "--find-links"])
        .arg(tmp.join("wheels"))
        .args(args)
        .run()
}

fn pip_install(tmp: &Path, python: &Path, args: &[&str]) -> Run {
    run(pip(python)
        .args(["install", "--no-index", "--find-links"])
        .arg(tmp.join("wheels"))
        .args(args))
}

/// `python -c code` with `PYTHONPATH` set to `path`.
fn python_with_path(python: &Path, path: &Path, code: &str) -> String {
    run_ok(command(python).env("PYTHONPATH", path).args(["-c", code]))
}

#[test]
fn target_lays_files_out_as_pip_does_and_keeps_what_is_there() {
    let tmp = TempDir::new("schemes-target");
    wheels(tmp.path());
    let env = venv(tmp.path());
    let python = env.join("bin/python");
    let ours = tmp.path().join("ours");
    let pips = tmp.path().join("pips");
    let (o, p) = (ours.to_str().unwrap(), pips.to_str().unwrap());
    curd(tmp.path(), &python, &["--target", o, "app", "lib==1.0"]).success();
    pip_install(tmp.path(), &python, &["--target", p, "app", "lib==1.0"]).success();
    assert_eq!(tree(&ours), tree(&pips));
    assert!(tree(&ours).contains("bin/app-hello"));
    assert!(tree(&ours).contains("include/site/python3.11/app/app.h"));
    // The environment itself is untouched, and the folder works on PYTHONPATH.
    assert_eq!(pip_freeze(&env), "");
    let hello = run_ok(command(ours.join("bin/app-hello")).env("PYTHONPATH", &ours));
    assert_eq!(hello, "hello from app\n");

    // What is there stays, with a warning, as pip leaves it; -f replaces it.
    let again = curd(tmp.path(), &python, &["--target", o, "lib==2.0"]).success();
    assert!(again.stderr.contains("left as it is"), "{}", again.stderr);
    let pip_again = pip_install(tmp.path(), &python, &["--target", p, "lib==2.0"]).success();
    assert!(pip_again.stderr.contains("already exists"));
    let version = "import lib; print(lib.VERSION)";
    assert_eq!(python_with_path(&python, &ours, version), "1.0\n");
    curd(tmp.path(), &python, &["--target", o, "-f", "lib==2.0"]).success();
    assert_eq!(python_with_path(&python, &ours, version), "2.0\n");
    let names = listing(&ours);
    assert!(
        names.contains(&"lib-2.0.dist-info".to_string()),
        "{names:?}"
    );
    assert!(
        !names.contains(&"lib-1.0.dist-info".to_string()),
        "{names:?}"
    );
    // Nothing of the transaction is left but the lock.
    let hidden: Vec<&String> = names.iter().filter(|n| n.starts_with('.')).collect();
    assert_eq!(hidden, [".curd.lock"]);
}

#[test]
fn a_failed_install_into_a_target_writes_nothing_there() {
    let tmp = TempDir::new("schemes-target-failed");
    wheels(tmp.path());
    let env = venv(tmp.path());
    let ours = tmp.path().join("ours");
    // app's wheel is fine, lib's hash is not the one the file pins: nothing goes in.
    let app = crate::support::dists::sha256_hex(
        &std::fs::read(tmp.path().join("wheels/app-1.0-py3-none-any.whl")).unwrap(),
    );
    let requirements = tmp.path().join("requirements.txt");
    std::fs::write(
        &requirements,
        format!(
            "app==1.0 --hash=sha256:{app}\nlib==2.0 --hash=sha256:{}\n",
            "0".repeat(64)
        ),
    )
    .unwrap();
    let failed = curd(
        tmp.path(),
        &env.join("bin/python"),
        &[
            "--target",
            ours.to_str().unwrap(),
            "-r",
            requirements.to_str().unwrap(),
        ],
    )
    .failure();
    assert!(failed.stderr.contains("lib"), "{}", failed.stderr);
    assert_eq!(listing(&ours), [".curd.lock"]);
}

#[test]
fn prefix_lays_files_out_as_the_interpreters_prefix_scheme() {
    let tmp = TempDir::new("schemes-prefix");
    wheels(tmp.path());
    let env = venv(tmp.path());
    let python = env.join("bin/python");
    let ours = tmp.path().join("ours");
    let pips = tmp.path().join("pips");
    curd(
        tmp.path(),
        &python,
        &["--prefix", ours.to_str().unwrap(), "app"],
    )
    .success();
    pip_install(
        tmp.path(),
        &python,
        &["--prefix", pips.to_str().unwrap(), "app"],
    )
    .success();
    assert_eq!(tree(&ours), tree(&pips));
    assert_eq!(pip_freeze(&env), "");
    let site = run_ok(command(&python).args([
        "-c",
        "import sys, sysconfig; print(sysconfig.get_paths('posix_prefix', \
         vars={'base': sys.argv[1], 'platbase': sys.argv[1]})['purelib'])",
        ours.to_str().unwrap(),
    ]));
    let site = PathBuf::from(site.trim());
    assert_eq!(
        python_with_path(&python, &site, "import app, lib; print(lib.VERSION)"),
        "2.0\n"
    );
}

#[test]
fn user_goes_to_the_user_site_and_is_refused_where_it_is_not_seen() {
    let tmp = TempDir::new("schemes-user");
    wheels(tmp.path());
    // A venv without the system's site-packages cannot see the user site.
    let isolated = venv(tmp.path()).join("bin/python");
    let refused = curd(tmp.path(), &isolated, &["--user", "app"]).failure();
    assert!(
        refused
            .stderr
            .contains("user site is not visible in the virtual environment"),
        "{}",
        refused.stderr
    );
    let pip_refused = pip_install(tmp.path(), &isolated, &["--user", "app"]).failure();
    assert!(
        pip_refused
            .stderr
            .contains("User site-packages are not visible")
    );

    let shared = tmp.path().join("shared");
    run_ok(
        command("python3")
            .args(["-m", "venv", "--system-site-packages"])
            .arg(&shared),
    );
    let python = shared.join("bin/python");
    let ours = tmp.path().join("ours");
    let pips = tmp.path().join("pips");
    Curd::new(tmp.path())
        .args(["install", "--user", "--no-index", "--find-links"])
        .arg(tmp.path().join("wheels"))
        .arg("--python")
        .arg(&python)
        .arg("app")
        .env("PYTHONUSERBASE", &ours)
        .run()
        .success();
    run_ok(
        pip(&python)
            .args(["install", "--user", "--no-index", "--find-links"])
            .arg(tmp.path().join("wheels"))
            .arg("app")
            .env("PYTHONUSERBASE", &pips),
    );
    assert_eq!(tree(&ours), tree(&pips));
    let imported = run_ok(
        command(&python)
            .env("PYTHONUSERBASE", &ours)
            .args(["-c", "import app, lib; print(lib.__file__)"]),
    );
    assert!(imported.starts_with(ours.to_str().unwrap()), "{imported}");

    // Outside a venv --user needs no --system: the system's Python is not touched.
    let system = tmp.path().join("system-user");
    Curd::new(tmp.path())
        .args([
            "install",
            "--user",
            "--python",
            "python3",
            "--no-index",
            "--find-links",
        ])
        .arg(tmp.path().join("wheels"))
        .arg("lib")
        .env("PYTHONUSERBASE", &system)
        .run()
        .success();
    assert!(
        tree(&system)
            .iter()
            .any(|p| p.ends_with("site-packages/lib/__init__.py"))
    );

    let both = curd(tmp.path(), &python, &["--user", "--prefix", "x", "app"]).failure();
    assert!(
        both.stderr
            .contains("--prefix and --user cannot be combined"),
        "{}",
        both.stderr
    );
}

#[test]
fn report_has_pips_shape_and_says_what_was_installed() {
    let tmp = TempDir::new("schemes-report");
    wheels(tmp.path());
    let env = venv(tmp.path());
    let python = env.join("bin/python");
    let dry = ["--dry-run", "--report", "-", "app"];
    let ours = curd(tmp.path(), &python, &dry).success();
    let pips = pip_install(
        tmp.path(),
        &python,
        &["--quiet", "--dry-run", "--report", "-", "app"],
    )
    .success();
    let ours: Value = serde_json::from_str(&ours.stdout).expect("curd's report is JSON");
    let pips: Value = serde_json::from_str(&pips.stdout).expect("pip's report is JSON");
    assert_eq!(ours["version"], "1");
    assert_eq!(ours["environment"], pips["environment"]);
    let keys = |v: &Value| {
        v.as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>()
    };
    let mut top = keys(&pips);
    top.remove("pip_version");
    assert_eq!(keys(&ours), top);
    let entries = |v: &Value| v["install"].as_array().unwrap().clone();
    assert_eq!(entries(&ours).len(), entries(&pips).len());
    for (ours, pips) in entries(&ours).iter().zip(entries(&pips)) {
        assert!(keys(ours).is_superset(&keys(&pips)), "{ours} / {pips}");
        for key in ["metadata", "download_info", "is_direct", "requested"] {
            assert_eq!(ours[key], pips[key], "{key}");
        }
    }
    assert_eq!(pip_freeze(&env), "");

    // Written to a file by a real install: what it installed, and who asked.
    let file = tmp.path().join("report.json");
    curd(
        tmp.path(),
        &python,
        &["--report", file.to_str().unwrap(), "app"],
    )
    .success();
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let said: Vec<(String, bool)> = entries(&report)
        .iter()
        .map(|e| {
            (
                e["metadata"]["name"].as_str().unwrap().to_string(),
                e["requested"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        said,
        [("app".to_string(), true), ("lib".to_string(), false)]
    );
    assert_eq!(pip_freeze(&env), "app==1.0\nlib==2.0\n");
}

#[test]
fn wheel_fetches_for_another_machine_by_its_tags_and_markers() {
    let tmp = TempDir::new("schemes-machine");
    let wheels = mkdir(tmp.path().join("wheels"));
    WheelSpec {
        requires: &[
            "native",
            "maconly; sys_platform == 'darwin'",
            "linuxonly; sys_platform == 'linux'",
        ],
        ..WheelSpec::new("app", "1.0")
    }
    .build(&wheels);
    for tag in [
        "cp312-cp312-manylinux_2_17_x86_64",
        "cp312-cp312-macosx_11_0_arm64",
        "cp311-cp311-macosx_11_0_arm64",
    ] {
        WheelSpec {
            tag,
            ..WheelSpec::new("native", "1.0")
        }
        .build(&wheels);
    }
    WheelSpec::new("maconly", "1.0").build(&wheels);
    WheelSpec::new("linuxonly", "1.0").build(&wheels);
    crate::support::dists::sdist(
        &wheels,
        "sdistonly-1.0",
        None,
        &[(
            "PKG-INFO",
            "Metadata-Version: 2.1\nName: sdistonly\nVersion: 1.0\n",
        )],
    );
    let wheel = |out: &str, args: &[&str]| {
        Curd::new(tmp.path())
            .args(["wheel", "--python", "python3", "--no-index", "--find-links"])
            .arg(&wheels)
            .args(["-w", out])
            .args(args)
            .run()
    };
    wheel(
        "mac",
        &[
            "--platform",
            "macosx_11_0_arm64",
            "--python-version",
            "3.12",
            "app",
        ],
    )
    .success();
    assert_eq!(
        listing(&tmp.path().join("mac")),
        [
            "app-1.0-py3-none-any.whl",
            "maconly-1.0-py3-none-any.whl",
            "native-1.0-cp312-cp312-macosx_11_0_arm64.whl",
        ]
    );
    // pip picks the same file for the same tags.
    let pip_dir = tmp.path().join("pip-mac");
    run_ok(
        pip(&crate::support::python::tool("python"))
            .args([
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--no-index",
                "--find-links",
            ])
            .arg(&wheels)
            .args([
                "--platform",
                "macosx_11_0_arm64",
                "--python-version",
                "3.12",
                "-d",
            ])
            .arg(&pip_dir)
            .arg("native"),
    );
    assert_eq!(
        listing(&pip_dir),
        ["native-1.0-cp312-cp312-macosx_11_0_arm64.whl"]
    );

    wheel(
        "linux",
        &[
            "--platform",
            "manylinux_2_17_x86_64",
            "--python-version",
            "312",
            "--implementation",
            "cp",
            "--abi",
            "cp312",
            "app",
        ],
    )
    .success();
    assert_eq!(
        listing(&tmp.path().join("linux")),
        [
            "app-1.0-py3-none-any.whl",
            "linuxonly-1.0-py3-none-any.whl",
            "native-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
        ]
    );
    // No sdist is built for another machine: a project with no fitting wheel fails.
    let failed = wheel("none", &["--platform", "macosx_11_0_arm64", "sdistonly"]).failure();
    assert!(failed.stderr.contains("sdistonly"), "{}", failed.stderr);
    let bad = wheel("none", &["--python-version", "three", "app"]).failure();
    assert!(bad.stderr.contains("--python-version"), "{}", bad.stderr);
}

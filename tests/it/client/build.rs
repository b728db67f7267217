//! The PEP 517 frontend against real Python: fixture projects from
//! `fixtures/sdists/`, packed into sdists here, unpacked and built as the
//! installer will, with no network.

use std::path::{Path, PathBuf};
use std::process::Command;

use curd::archive::unpack::unpack_sdist;
use curd::build::error::BuildError;
use curd::build::hooks::Backend;
use curd::build::process::create_build_env;
use curd::build::pyproject::{BuildSystem, build_system};
use curd::standards::metadata::CoreMetadata;

use crate::support::dists;
use crate::support::process::run_ok;
use crate::support::python::{tools_python, venv};
use crate::support::tmp::TempDir;

/// The hooks of `project`'s backend, run under `python` with this process's `PATH`.
fn backend<'a>(
    python: &'a Path,
    project: &'a Path,
    system: &'a BuildSystem,
    log: &'a Path,
) -> Backend<'a> {
    static PATH: std::sync::OnceLock<Option<std::ffi::OsString>> = std::sync::OnceLock::new();
    Backend {
        python,
        project,
        system,
        log,
        search_path: PATH.get_or_init(|| std::env::var_os("PATH")).as_deref(),
    }
}

/// The machine's interpreter, found on `PATH` as a user's shell finds it.
fn python3() -> &'static Path {
    Path::new("python3")
}

/// Packs `fixtures/sdists/<fixture>` into `<stem>.tar.gz` in `dir`, all under one
/// `<stem>/` folder as sdists are, with `extra` files added.
fn pack(fixture: &str, stem: &str, extra: &[(&str, &str)], dir: &Path) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sdists")
        .join(fixture);
    dists::sdist(dir, stem, Some(&source), extra)
}

/// The fixture as the installer sees it: packed, then unpacked by curd.
fn project(fixture: &str, stem: &str, extra: &[(&str, &str)], dir: &Path) -> PathBuf {
    let sdist = pack(fixture, stem, extra, dir);
    let project = unpack_sdist(&sdist, &dir.join("src")).unwrap();
    assert_eq!(project, dir.join("src").join(stem));
    project
}

/// A project written by the test, for what no fixture needs to keep.
fn write_project(dir: &Path, files: &[(&str, &str)]) -> PathBuf {
    let project = dir.join("demo-1.0");
    for (name, text) in files {
        let path = project.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::create_dir_all(&project).unwrap();
    project
}

#[test]
fn in_tree_backend_builds_a_wheel_pip_installs() {
    let dir = TempDir::new("build-in-tree");
    let project = project("in-tree-backend", "in_tree_demo-1.0", &[], dir.path());

    let python = create_build_env(python3(), &dir.path().join("env")).unwrap();
    assert!(python.ends_with("env/bin/python"), "{}", python.display());

    let system = build_system(&project).unwrap();
    assert_eq!(
        system,
        BuildSystem {
            requires: vec![],
            backend: "demo_backend".into(),
            backend_path: vec![project.join("backend")],
        }
    );
    let log = dir.path().join("build.log");
    let requires = backend(&python, &project, &system, &log)
        .get_requires_for_build_wheel()
        .unwrap();
    assert!(requires.is_empty(), "{requires:?}");
    let wheel = backend(&python, &project, &system, &log)
        .build_wheel(&dir.path().join("dist"))
        .unwrap();
    assert_eq!(
        wheel,
        dir.path().join("dist/in_tree_demo-1.0-py3-none-any.whl")
    );
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(
        log_text.contains(
            "# build_wheel of the build backend `demo_backend`\nbuilding in_tree_demo 1.0\n"
        ),
        "{log_text}"
    );

    // The build environment is isolated: not even pip is in it.
    let out = Command::new(&python)
        .args(["-c", "import pip"])
        .output()
        .unwrap();
    assert!(!out.status.success());

    let venv = venv(dir.path());
    run_ok(
        Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "install", "--no-index", "--no-deps", "--quiet"])
            .arg(&wheel),
    );
    let greeting = run_ok(Command::new(venv.join("bin/python")).args([
        "-c",
        "import in_tree_demo; print(in_tree_demo.greeting(), in_tree_demo.VERSION)",
    ]));
    assert_eq!(greeting.trim(), "built by an in-tree backend 1.0");
}

#[test]
fn extra_build_requirements_come_back_parsed() {
    let dir = TempDir::new("build-requires");
    let listed = "cython >= 3.0\nnumpy; python_version >= '3.9'\nfoo[bar,baz] (>1, <2)\n";
    let project = project(
        "in-tree-backend",
        "in_tree_demo-1.0",
        &[("build-requires.txt", listed)],
        dir.path(),
    );
    let system = build_system(&project).unwrap();
    let log = dir.path().join("build.log");
    let requires = backend(python3(), &project, &system, &log)
        .get_requires_for_build_wheel()
        .unwrap();
    let shown: Vec<String> = requires.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "cython>=3.0",
            "numpy; python_version >= \"3.9\"",
            "foo[bar,baz]>1,<2"
        ]
    );

    // A requirement that does not parse is the backend's fault, and says so.
    let project = write_project(
        &dir.path().join("bad"),
        &[
            (
                "pyproject.toml",
                "[build-system]\nrequires = []\nbuild-backend = \"b\"\nbackend-path = [\".\"]\n",
            ),
            (
                "b.py",
                "def get_requires_for_build_wheel(config_settings=None):\n    return ['ok', 'not a requirement!']\n",
            ),
        ],
    );
    let system = build_system(&project).unwrap();
    let err = backend(python3(), &project, &system, &log)
        .get_requires_for_build_wheel()
        .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "the build backend `b` gave get_requires_for_build_wheel for `demo-1.0` an answer curd cannot use: an invalid requirement: "
        ),
        "{err}"
    );
}

/// A project without pyproject.toml, built with the target interpreter itself
/// (`--no-build-isolation`): setuptools' legacy backend runs its `setup.py`. The
/// interpreter is the tools venv's, where setuptools and wheel are pinned.
#[test]
fn setup_py_project_builds_without_isolation() {
    let python = tools_python(&["setuptools", "wheel"]);
    let dir = TempDir::new("build-setup-py");
    let project = project("setup-py-only", "legacy_demo-1.0", &[], dir.path());
    let system = build_system(&project).unwrap();
    let shown: Vec<String> = system.requires.iter().map(ToString::to_string).collect();
    assert_eq!(shown, ["setuptools>=40.8.0", "wheel"]);
    assert_eq!(system.backend, "setuptools.build_meta:__legacy__");
    assert!(system.backend_path.is_empty());

    let log = dir.path().join("build.log");
    let requires = backend(&python, &project, &system, &log)
        .get_requires_for_build_wheel()
        .unwrap();
    assert!(
        requires.iter().any(|r| r.name.as_str() == "wheel"),
        "{requires:?}"
    );
    let wheel = backend(&python, &project, &system, &log)
        .build_wheel(&dir.path().join("dist"))
        .unwrap();
    assert_eq!(
        wheel.file_name().unwrap(),
        "legacy_demo-1.0-py3-none-any.whl"
    );
}

#[test]
fn failing_backend_error_carries_the_log_tail() {
    let dir = TempDir::new("build-fails");
    let project = project("failing-backend", "failing-1.0", &[], dir.path());
    let system = build_system(&project).unwrap();
    let log = dir.path().join("logs/failing.log");
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    let err = backend(python3(), &project, &system, &log)
        .build_wheel(&dir.path().join("dist"))
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with(
            "the build backend `failing_backend` failed in build_wheel for `failing-1.0` (exit status: 1), ending with:\n  | "
        ),
        "{message}"
    );
    assert!(
        message.contains("\n  | compiling step 40 of 40\n"),
        "{message}"
    );
    assert!(
        message.contains("\n  | RuntimeError: this backend fails on purpose\n"),
        "{message}"
    );
    assert!(!message.contains("step 20 of 40"), "{message}");
    assert!(
        message.ends_with(&format!("\nfull log: `{}`", log.display())),
        "{message}"
    );
    let BuildError::HookFailed { tail, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(tail.lines().count(), 20);
    // The whole output is in the log; the answer file is gone.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("compiling step 1 of 40\n"));
    let left: Vec<_> = std::fs::read_dir(log.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["failing.log"]);
}

#[test]
fn metadata_is_prepared_or_left_to_the_build() {
    let dir = TempDir::new("build-metadata");
    let project = project("in-tree-backend", "in_tree_demo-1.0", &[], dir.path());
    let system = build_system(&project).unwrap();
    let log = dir.path().join("build.log");
    let out = dir.path().join("metadata");
    let dist_info = backend(python3(), &project, &system, &log)
        .prepare_metadata_for_build_wheel(&out)
        .unwrap()
        .unwrap();
    assert_eq!(dist_info, out.join("in_tree_demo-1.0.dist-info"));
    let metadata =
        CoreMetadata::parse(&std::fs::read(dist_info.join("METADATA")).unwrap()).unwrap();
    assert_eq!(
        (metadata.name.as_str(), metadata.version.as_str()),
        ("in-tree-demo", "1.0")
    );

    // A backend with only build_wheel: no metadata before the build, and no
    // extra requirements.
    let project = project_without_optional_hooks(dir.path());
    let system = build_system(&project).unwrap();
    assert_eq!(
        backend(python3(), &project, &system, &log)
            .prepare_metadata_for_build_wheel(&out)
            .unwrap(),
        None
    );
    assert!(
        backend(python3(), &project, &system, &log)
            .get_requires_for_build_wheel()
            .unwrap()
            .is_empty()
    );
}

fn project_without_optional_hooks(dir: &Path) -> PathBuf {
    let dir = dir.join("failing");
    std::fs::create_dir_all(&dir).unwrap();
    project("failing-backend", "failing-1.0", &[], &dir)
}

#[test]
fn reads_build_systems_as_pip_does() {
    let dir = TempDir::new("build-system");
    let read = |name: &str, files: &[(&str, &str)]| {
        let project = write_project(&dir.path().join(name), files);
        build_system(&project)
    };
    let legacy = |system: BuildSystem| {
        let shown: Vec<String> = system.requires.iter().map(ToString::to_string).collect();
        (shown, system.backend)
    };
    let pip_default = (
        vec!["setuptools>=40.8.0".to_string(), "wheel".to_string()],
        "setuptools.build_meta:__legacy__".to_string(),
    );
    assert_eq!(
        legacy(read("setup-only", &[("setup.py", "")]).unwrap()),
        pip_default
    );
    assert_eq!(
        legacy(
            read(
                "no-table",
                &[("pyproject.toml", "[tool.black]\nline-length = 100\n")]
            )
            .unwrap()
        ),
        pip_default
    );
    assert_eq!(
        legacy(
            read(
                "no-backend",
                &[(
                    "pyproject.toml",
                    "[build-system]\nrequires = [\"setuptools>=61\"]\n"
                )]
            )
            .unwrap()
        ),
        (
            vec!["setuptools>=61".to_string()],
            "setuptools.build_meta:__legacy__".to_string()
        )
    );
    // `requires` is kept as written, even empty: pip adds nothing either.
    assert_eq!(
        legacy(
            read(
                "empty-requires",
                &[("pyproject.toml", "[build-system]\nrequires = []\n")]
            )
            .unwrap()
        ),
        (vec![], "setuptools.build_meta:__legacy__".to_string())
    );
    let system = read(
        "modern",
        &[(
            "pyproject.toml",
            "[build-system]\nrequires = [\"hatchling>=1.18\", \"hatch-vcs\"]\nbuild-backend = \"hatchling.build\"\n",
        )],
    )
    .unwrap();
    assert_eq!(system.backend, "hatchling.build");
    assert_eq!(system.requires.len(), 2);

    let error = |name: &str, pyproject: &str| {
        let err = read(name, &[("pyproject.toml", pyproject)]).unwrap_err();
        let path = dir.path().join(name).join("demo-1.0/pyproject.toml");
        let message = err.to_string();
        let prefix = format!("invalid `{}`: ", path.display());
        assert!(message.starts_with(&prefix), "{message}");
        message[prefix.len()..].to_string()
    };
    assert_eq!(
        error("no-requires", "[build-system]\nbuild-backend = \"x\"\n"),
        "`[build-system]` has no `requires`, which PEP 518 makes mandatory"
    );
    assert_eq!(
        error(
            "requires-text",
            "[build-system]\nrequires = \"setuptools\"\n"
        ),
        "line 2: `build-system.requires` is a string, expected a list of strings"
    );
    assert_eq!(
        error(
            "requires-number",
            "[build-system]\nrequires = [\n  \"setuptools\",\n  61,\n]\n"
        ),
        "line 4: `build-system.requires[]` is an integer, expected a string"
    );
    assert_eq!(
        error("table-text", "build-system = \"setuptools\"\n"),
        "line 1: `build-system` is a string, expected a table"
    );
    assert!(
        error(
            "bad-requirement",
            "[build-system]\nrequires = [\"setuptools >=\"]\n"
        )
        .starts_with("`build-system.requires` holds an invalid requirement: "),
    );
    assert_eq!(
        error(
            "outside",
            "[build-system]\nrequires = []\nbuild-backend = \"b\"\nbackend-path = [\"../elsewhere\"]\n"
        ),
        "`build-system.backend-path` holds `../elsewhere`, outside the project"
    );
    assert_eq!(
        error(
            "bad-backend",
            "[build-system]\nrequires = []\nbuild-backend = \"my backend\"\n"
        ),
        "`build-system.build-backend` is `my backend`, not `module` or `module:object`"
    );
    // A `[project]` that PEP 621 refuses is the backend's to refuse: it may not
    // read it at all.
    let system = read(
        "odd-project",
        &[(
            "pyproject.toml",
            "[project]\nname = 3\n[build-system]\nrequires = []\nbuild-backend = \"b\"\n",
        )],
    )
    .unwrap();
    assert_eq!(system.backend, "b");

    // Not TOML, or not UTF-8: one line naming the file and the line.
    for (name, text) in [
        ("not-toml", &b"[build-system]\nrequires = [\n[x\n"[..]),
        (
            "latin-1",
            &b"[build-system]\n# caf\xe9\nrequires = []\n"[..],
        ),
    ] {
        let project = write_project(&dir.path().join(name), &[]);
        std::fs::write(project.join("pyproject.toml"), text).unwrap();
        let message = build_system(&project).unwrap_err().to_string();
        let at = format!("{}:", project.join("pyproject.toml").display());
        assert!(message.starts_with(&at), "{message}");
        assert!(message.contains(": invalid TOML: "), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }
    let project = write_project(&dir.path().join("huge"), &[]);
    let padding = format!("# {}\n", "x".repeat(1 << 20));
    std::fs::write(project.join("pyproject.toml"), padding).unwrap();
    assert_eq!(
        build_system(&project).unwrap_err().to_string(),
        format!(
            "{}: expected a TOML file of at most 1048576 bytes",
            project.join("pyproject.toml").display()
        )
    );

    let err = read("empty", &[]).unwrap_err();
    assert!(matches!(err, BuildError::NotAProject { .. }), "{err:?}");
}

#[test]
fn backends_that_cannot_be_used_say_why() {
    let dir = TempDir::new("build-backends");
    let log = dir.path().join("build.log");
    let out = dir.path().join("dist");
    let run = |name: &str, pyproject: &str, module: &str| {
        let project = write_project(
            &dir.path().join(name),
            &[("pyproject.toml", pyproject), ("b/b.py", module)],
        );
        let system = build_system(&project).unwrap();
        backend(python3(), &project, &system, &log)
            .build_wheel(&out)
            .unwrap_err()
    };
    let err = run(
        "missing",
        "[build-system]\nrequires = []\nbuild-backend = \"no_such_backend\"\n",
        "",
    );
    let message = err.to_string();
    assert!(
        message.starts_with(
            "cannot import the build backend `no_such_backend` for `demo-1.0`: ModuleNotFoundError: No module named 'no_such_backend'\n  | Traceback"
        ),
        "{message}"
    );

    // backend-path names `b`, but `json` comes from the standard library.
    let err = run(
        "elsewhere",
        "[build-system]\nrequires = []\nbuild-backend = \"json\"\nbackend-path = [\"b\"]\n",
        "",
    );
    assert!(
        matches!(err, BuildError::BackendInvalid { .. })
            && err.to_string().ends_with(", not from its backend-path"),
        "{err}"
    );

    let pyproject =
        "[build-system]\nrequires = []\nbuild-backend = \"b\"\nbackend-path = [\"b\"]\n";
    let err = run(
        "no-hook",
        pyproject,
        "def get_requires_for_build_wheel(c=None):\n    return []\n",
    );
    assert_eq!(
        err.to_string(),
        "the build backend `b` of `demo-1.0` cannot be used: it has no build_wheel hook, which PEP 517 makes mandatory"
    );
    let err = run(
        "escaping",
        pyproject,
        "def build_wheel(d, c=None, m=None):\n    return '../demo-1.0-py3-none-any.whl'\n",
    );
    assert!(
        err.to_string().starts_with(
            "the build backend `b` gave build_wheel for `demo-1.0` an answer curd cannot use: invalid file name `../demo-1.0-py3-none-any.whl`"
        ),
        "{err}"
    );
    let err = run(
        "absent",
        pyproject,
        "def build_wheel(d, c=None, m=None):\n    return 'demo-1.0-py3-none-any.whl'\n",
    );
    assert!(
        err.to_string()
            .contains("it named `demo-1.0-py3-none-any.whl`, which it did not write in"),
        "{err}"
    );
    // The project folder is not on sys.path: its own `json.py` does not stand in
    // for the standard library's, which the hook runner needs.
    let project = write_project(
        &dir.path().join("shadow"),
        &[
            ("pyproject.toml", pyproject),
            ("json.py", "raise SystemExit('the project shadowed json')\n"),
            (
                "b/b.py",
                "def get_requires_for_build_wheel(c=None):\n    return ['x']\n",
            ),
        ],
    );
    let system = build_system(&project).unwrap();
    let requires = backend(python3(), &project, &system, &log)
        .get_requires_for_build_wheel()
        .unwrap();
    assert_eq!(requires.len(), 1);
}

/// Builds run at once share a log folder and the interpreter: nothing else.
#[test]
fn parallel_builds_do_not_meet() {
    let dir = TempDir::new("build-parallel");
    let threads: Vec<_> = (0..4)
        .map(|n| {
            let root = dir.path().join(format!("b{n}"));
            let logs = dir.path().to_path_buf();
            std::thread::spawn(move || {
                std::fs::create_dir_all(&root).unwrap();
                let project = project("in-tree-backend", "in_tree_demo-1.0", &[], &root);
                let system = build_system(&project).unwrap();
                let log = logs.join(format!("{n}.log"));
                backend(python3(), &project, &system, &log)
                    .build_wheel(&root.join("dist"))
                    .unwrap()
            })
        })
        .collect();
    for (n, thread) in threads.into_iter().enumerate() {
        let wheel = thread.join().unwrap();
        assert_eq!(
            wheel,
            dir.path()
                .join(format!("b{n}/dist/in_tree_demo-1.0-py3-none-any.whl"))
        );
    }
}

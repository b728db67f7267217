//! Compatibility tags and the interpreter, against the reference implementation:
//! this machine's python3 and a venv of it item for item, then a few hundred
//! made-up interpreters covering the platforms this machine is not.

use std::path::{Path, PathBuf};
use std::process::Command;

use curd::client::python::{Discovery, Interpreter, find};
use curd::standards::tags::{Platform, Target};

use crate::support::process::run_ok;
use crate::support::python::{Packaging, packaging_oracle, packaging_oracle_on, venv};
use crate::support::rng::Rng;
use crate::support::tmp::TempDir;

/// Answers `sys_tags` with the real interpreter's tags, `markers` with its
/// marker environment, `paths` with where it installs, and a JSON case with the
/// tags of the interpreter it describes, worked out by packaging's own functions
/// with the facts it reads from the system replaced by the case's.
pub(super) const ORACLE: &str = r#"
import json, sysconfig, types
tags = packaging.tags
from packaging import _manylinux, _musllinux

def platforms(p):
    kind = p["kind"]
    if kind == "linux":
        glibc = tuple(p["glibc"]) if p["glibc"] else (-1, -1)
        musl = _musllinux._MuslVersion(*p["musl"]) if p["musl"] else None
        _manylinux._get_glibc_version = lambda: glibc
        _manylinux._is_linux_armhf = lambda executable: p["elf_abi"]
        _manylinux._is_linux_i686 = lambda executable: p["elf_abi"]
        _musllinux._get_musl_version = lambda executable: musl
        sysconfig.get_platform = lambda: "linux-" + p["arch"]
        return list(tags._linux_platforms(False))
    if kind == "macos":
        return list(tags.mac_platforms(tuple(p["version"]), p["arch"]))
    if kind == "windows":
        sysconfig.get_platform = lambda: "win32" if p["arch"] == "x86" else "win-" + p["arch"]
        return list(tags._generic_platforms())
    return [p["tag"]]

def synthetic(case):
    plats = platforms(case["platform"])
    version = tuple(case["version"])
    abis = case["abis"]
    name = tags.INTERPRETER_SHORT_NAMES.get(case["implementation"]) or case["implementation"]
    tags.sys = types.SimpleNamespace(version_info=version)
    tags.interpreter_name = lambda: name
    tags.interpreter_version = lambda warn=False: "".join(map(str, version))
    tags._cpython_abis = lambda py_version, warn=False: list(abis)
    tags._generic_abi = lambda: iter(abis)
    tags.platform_tags = lambda: iter(plats)
    return " ".join(str(t) for t in tags.sys_tags())

real = {
    "sys_tags": lambda: " ".join(str(t) for t in tags.sys_tags()),
    "markers": lambda: json.dumps(packaging.markers.default_environment()),
    "paths": lambda: json.dumps(dict(sysconfig.get_paths(), prefix=sys.prefix, base_prefix=sys.base_prefix)),
}
# One kind per run: the synthetic cases replace what the real ones read.
cases = open(sys.argv[1]).read().split("\n")
answers = [real[case]() if case in real else synthetic(json.loads(case)) for case in cases]
open(sys.argv[2], "w").write("\n".join(answers) + "\n")
"#;

pub(super) fn assert_same_list(ours: &[String], reference: &str, what: &str) {
    let reference: Vec<&str> = reference.split(' ').filter(|t| !t.is_empty()).collect();
    if let Some(at) = (0..ours.len().max(reference.len()))
        .find(|&i| ours.get(i).map(String::as_str) != reference.get(i).copied())
    {
        panic!(
            "{what}: first difference at {at} of {} (packaging has {}): curd {:?}, packaging {:?}",
            ours.len(),
            reference.len(),
            ours.get(at),
            reference.get(at)
        );
    }
}

/// Asserts the interpreter's marker environment is `reference`, packaging's
/// `default_environment()` as JSON.
pub(super) fn assert_same_markers(interpreter: &Interpreter, reference: &str) {
    let markers: serde_json::Value = serde_json::from_str(reference).expect("markers JSON");
    let markers = markers.as_object().expect("a JSON object");
    assert_eq!(markers.len(), interpreter.markers().len());
    for (name, value) in markers {
        assert_eq!(
            interpreter.markers().get(name).map(String::as_str),
            value.as_str(),
            "marker {name} of {}",
            interpreter.path.display()
        );
    }
}

pub(super) fn tag_strings(interpreter: &Interpreter) -> Vec<String> {
    interpreter.tags().iter().map(ToString::to_string).collect()
}

fn machine_python() -> PathBuf {
    find(&Discovery {
        explicit: Some(PathBuf::from("python3")),
        virtual_env: None,
        path: std::env::var_os("PATH"),
    })
    .expect("python3 on PATH")
}

/// This machine's python3 (and a venv of it) against today's packaging running
/// inside it.
#[test]
fn this_machine_matches_packaging() {
    let dir = TempDir::new("tags-machine");
    let cache = dir.path().join("cache");
    let python = machine_python();
    let base = Interpreter::query(&python, &cache).expect("query python3");
    let venv_python = venv(dir.path()).join("bin/python");
    let in_venv = Interpreter::query(&venv_python, &cache).expect("query the venv");
    let cases = ["sys_tags", "markers", "paths"].map(String::from);
    let reference = packaging_oracle_on(&python, Packaging::Current, ORACLE, &cases);

    for interpreter in [&base, &in_venv] {
        let tags = tag_strings(interpreter);
        assert_same_list(
            &tags,
            &reference[0],
            &interpreter.path.display().to_string(),
        );
        assert!(tags.len() > 100, "{}", tags.len());

        assert_same_markers(interpreter, &reference[1]);
    }
    eprintln!(
        "compared {} tags and {} markers of `{}`, twice",
        base.tags().len(),
        base.markers().len(),
        base.executable.display()
    );

    let paths: serde_json::Value = serde_json::from_str(&reference[2]).unwrap();
    let path = |key: &str| PathBuf::from(paths[key].as_str().unwrap());
    assert_eq!(base.paths.purelib, path("purelib"));
    assert_eq!(base.paths.platlib, path("platlib"));
    assert_eq!(base.paths.scripts, path("scripts"));
    assert_eq!(base.paths.data, path("data"));
    assert_eq!(base.paths.include, path("include"));
    assert_eq!(base.prefix, path("prefix"));
    assert_eq!(base.base_prefix, path("base_prefix"));
    assert!(!base.is_virtualenv());

    // The venv: its own prefix and site-packages on top of the same interpreter.
    let venv_dir = dir.path().join("venv");
    assert!(in_venv.is_virtualenv());
    assert_eq!(in_venv.prefix, venv_dir);
    assert_eq!(in_venv.base_prefix, base.prefix);
    assert!(
        in_venv.paths.purelib.starts_with(&venv_dir),
        "{:?}",
        in_venv.paths
    );
    assert_eq!(in_venv.paths.scripts, venv_dir.join("bin"));
    assert_eq!(in_venv.path, venv_python);
}

/// A second query does not start Python; a changed file does.
#[test]
fn answers_are_cached_until_the_interpreter_changes() {
    let dir = TempDir::new("tags-cache");
    let venv_dir = dir.path().join("venv");
    // Copies rather than links, so the interpreter file is this test's to change.
    run_ok(
        Command::new("python3")
            .args(["-m", "venv", "--copies"])
            .arg(&venv_dir),
    );
    let python = venv_dir.join("bin/python");
    let cache = dir.path().join("cache");

    let first = Interpreter::query(&python, &cache).expect("first query");
    assert!(!first.from_cache);
    let second = Interpreter::query(&python, &cache).expect("second query");
    assert!(second.from_cache);
    let mut second = second;
    second.from_cache = false;
    assert_eq!(second, first);

    // Proof that the cached answer does not run Python: it cannot run now.
    set_mode(&python, 0o644);
    let cached = Interpreter::query(&python, &cache);
    set_mode(&python, 0o755);
    assert!(
        cached
            .expect("cached query of a non-executable file")
            .from_cache
    );

    // A new modification time means a new interpreter: ask again, then cache again.
    std::fs::File::options()
        .write(true)
        .open(&python)
        .and_then(|f| {
            f.set_modified(
                std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1 << 30),
            )
        })
        .expect("set the modification time");
    assert!(!Interpreter::query(&python, &cache).unwrap().from_cache);
    assert!(Interpreter::query(&python, &cache).unwrap().from_cache);

    // One entry for the path, and one per interpreter file for the venvs made
    // like this one; corrupt entries are ignored and rewritten.
    let entries: Vec<PathBuf> = std::fs::read_dir(cache.join("interpreters"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let alike = |path: &PathBuf| {
        path.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("venv-")
    };
    assert_eq!(
        entries.iter().filter(|p| !alike(p)).count(),
        1,
        "{entries:?}"
    );
    assert_eq!(
        entries.iter().filter(|p| alike(p)).count(),
        2,
        "{entries:?}"
    );
    for entry in &entries {
        std::fs::write(entry, b"{\"answer\": [").unwrap();
    }
    assert!(!Interpreter::query(&python, &cache).unwrap().from_cache);
    assert!(Interpreter::query(&python, &cache).unwrap().from_cache);
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A version number in `0..n`.
fn number(r: &mut Rng, n: usize) -> u32 {
    r.below(n) as u32
}

fn synthetic_platform(r: &mut Rng) -> Platform {
    match r.below(20) {
        0..=9 => {
            let glibc = match r.below(10) {
                0 => None,
                1 => Some((2, number(r, 6))),
                2 => Some((number(r, 2), number(r, 3))),
                3 => Some((3, number(r, 3))),
                _ => Some((2, 5 + number(r, 38))),
            };
            Platform::Linux {
                arch: r
                    .pick(&[
                        "x86_64",
                        "x86_64",
                        "aarch64",
                        "i686",
                        "armv7l",
                        "ppc64le",
                        "ppc64",
                        "s390x",
                        "riscv64",
                        "armv6l",
                        "armv8l",
                        "loongarch64",
                    ])
                    .to_string(),
                glibc,
                musl: r.chance(25).then(|| (1, number(r, 4))),
                elf_abi: r.chance(50),
            }
        }
        10..=15 => {
            let version = match r.below(3) {
                0 => (10, number(r, 17)),
                1 => (11 + number(r, 5), number(r, 7)),
                _ => (number(r, 17), number(r, 3)),
            };
            Platform::MacOs {
                version,
                arch: r
                    .pick(&["arm64", "x86_64", "x86_64", "i386", "ppc", "ppc64", "intel"])
                    .to_string(),
            }
        }
        16..=18 => Platform::Windows {
            arch: r.pick(&["amd64", "arm64", "x86", "arm32"]).to_string(),
        },
        _ => Platform::Other {
            tag: r
                .pick(&[
                    "freebsd_14_0_release_amd64",
                    "FreeBSD_13_2_RELEASE_arm64",
                    "cygwin_3_4_9_x86_64",
                    "any",
                ])
                .to_string(),
        },
    }
}

fn synthetic_target(r: &mut Rng) -> Target {
    let implementation = r.pick(&[
        "cpython", "cpython", "cpython", "pypy", "pypy", "graalpy", "python", "jython",
    ]);
    let python_version = if r.chance(10) {
        (2, 7)
    } else {
        (3, number(r, 15))
    };
    let (major, minor) = python_version;
    let abis: Vec<String> = match implementation {
        "cpython" => {
            let v = format!("cp{major}{minor}");
            match r.below(9) {
                0 => vec![format!("{v}d"), v],
                7 => vec![format!("{v}t")],
                1 => vec![format!("{v}m")],
                2 => vec![format!("{v}dm")],
                3 => Vec::new(),
                4 => vec![v, "abi3".into(), "none".into()],
                5 => vec!["none".into(), v],
                _ => vec![v],
            }
        }
        "pypy" => match r.below(3) {
            0 => Vec::new(),
            1 => vec![format!("pypy{major}{minor}_pp73"), "none".into()],
            _ => vec![format!("pypy{major}{minor}_pp73")],
        },
        _ => (r.chance(50))
            .then(|| format!("{implementation}{major}{minor}_native"))
            .into_iter()
            .collect(),
    };
    Target {
        implementation: implementation.to_string(),
        python_version,
        abis,
        platform: synthetic_platform(r),
    }
}

fn case_json(target: &Target) -> String {
    use serde_json::json;
    let pair = |p: Option<(u32, u32)>| p.map(|(a, b)| json!([a, b]));
    let platform = match &target.platform {
        Platform::Linux {
            arch,
            glibc,
            musl,
            elf_abi,
        } => {
            json!({"kind": "linux", "arch": arch, "glibc": pair(*glibc), "musl": pair(*musl), "elf_abi": elf_abi})
        }
        Platform::MacOs { version, arch } => {
            json!({"kind": "macos", "version": [version.0, version.1], "arch": arch})
        }
        Platform::Windows { arch } => json!({"kind": "windows", "arch": arch}),
        Platform::Other { tag } => json!({"kind": "other", "tag": tag}),
        Platform::Given { tags } => json!({"kind": "given", "tags": tags}),
    };
    json!({
        "implementation": target.implementation,
        "version": [target.python_version.0, target.python_version.1],
        "abis": target.abis,
        "platform": platform,
    })
    .to_string()
}

/// Made-up interpreters on every platform, through packaging's own functions.
#[test]
fn synthetic_interpreters_match_packaging() {
    let mut random = Rng::seeded(0x5EED_C0DE_2024);
    let targets: Vec<Target> = (0..400).map(|_| synthetic_target(&mut random)).collect();
    let cases: Vec<String> = targets.iter().map(case_json).collect();
    let reference = packaging_oracle(ORACLE, &cases);
    let mut compared = 0;
    for ((target, case), reference) in targets.iter().zip(&cases).zip(&reference) {
        let tags: Vec<String> = target.tags().iter().map(ToString::to_string).collect();
        assert_same_list(&tags, reference, case);
        compared += tags.len();
    }
    let kinds = |f: fn(&Platform) -> bool| targets.iter().filter(|t| f(&t.platform)).count();
    assert!(kinds(|p| matches!(p, Platform::Linux { musl: Some(_), .. })) > 20);
    assert!(kinds(|p| matches!(p, Platform::MacOs { .. })) > 60);
    assert!(kinds(|p| matches!(p, Platform::Windows { .. })) > 30);
    eprintln!(
        "compared {compared} tags of {} synthetic interpreters",
        targets.len()
    );
}

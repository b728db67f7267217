//! Installing into real virtual environments made by `python3 -m venv`, with pip
//! and the interpreter as the oracle: what curd installs, pip lists, checks and
//! uninstalls, Python imports and runs; what curd uninstalls leaves nothing behind.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use curd::install::{
    InstallError, InstallOptions, Installed, LinkMode, Scheme, Source, Target, install_wheel,
    installed, uninstall, unpack,
};
use curd::standards::filename::{DistFilename, WheelFilename};
use curd::util::sync::Jobs;

use crate::support::dists::{WheelSpec, record_hash};
use crate::support::process::{command, run_ok};
use crate::support::python::{pip_list, venv};
use crate::support::tmp::TempDir;

/// The venv's scheme, asked of its interpreter as pip asks it; headers as pip puts
/// them in a virtual environment.
fn target(venv: &Path) -> Target {
    let script = "import json, sys, sysconfig\n\
                  p = sysconfig.get_paths()\n\
                  xy = f'python{sys.version_info[0]}.{sys.version_info[1]}'\n\
                  print(json.dumps({k: p[k] for k in ('purelib', 'platlib', 'scripts', 'data')}\n\
                  | {'headers': f'{sys.prefix}/include/site/{xy}', 'python': sys.executable}))";
    let out = run_ok(command(venv.join("bin/python")).args(["-c", script]));
    let paths: BTreeMap<String, String> = serde_json::from_str(&out).expect("scheme JSON");
    let path = |key: &str| PathBuf::from(&paths[key]);
    Target {
        scheme: Scheme {
            purelib: path("purelib"),
            platlib: path("platlib"),
            scripts: path("scripts"),
            data: path("data"),
            headers: path("headers"),
        },
        python: path("python"),
    }
}

fn filename(wheel: &Path) -> WheelFilename {
    let name = wheel
        .file_name()
        .and_then(|n| n.to_str())
        .expect("file name");
    match DistFilename::parse(name) {
        Ok(DistFilename::Wheel(wheel)) => wheel,
        other => panic!("{name}: {other:?}"),
    }
}

fn options() -> InstallOptions {
    InstallOptions {
        installer: "curd",
        requested: true,
        direct_url: None,
        link: LinkMode::Hardlink,
        bytecode: None,
    }
}

fn install(target: &Target, wheel: &Path) -> Result<Installed, InstallError> {
    install_wheel(Source::Zip(wheel), &filename(wheel), target, &options())
}

fn pip(venv: &Path, args: &[&str]) -> String {
    run_ok(crate::support::python::pip(&venv.join("bin/python")).args(args))
}

fn python(venv: &Path, code: &str) -> String {
    run_ok(command(venv.join("bin/python")).args(["-c", code]))
}

/// Every file and folder under `root`, with each file's bytes and mode.
fn tree(root: &Path) -> BTreeMap<PathBuf, Option<(Vec<u8>, u32)>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read folder") {
            let path = entry.expect("entry").path();
            let relative = path.strip_prefix(root).expect("inside").to_path_buf();
            let meta = std::fs::symlink_metadata(&path).expect("stat");
            if meta.is_dir() {
                stack.push(path);
                out.insert(relative, None);
            } else if meta.is_symlink() {
                let link = std::fs::read_link(&path).expect("read link");
                out.insert(
                    relative,
                    Some((link.into_os_string().into_encoded_bytes(), 0)),
                );
            } else {
                let bytes = std::fs::read(&path).expect("read");
                out.insert(relative, Some((bytes, meta.permissions().mode())));
            }
        }
    }
    out
}

fn files_of(tree: &BTreeMap<PathBuf, Option<(Vec<u8>, u32)>>) -> BTreeSet<PathBuf> {
    tree.iter()
        .filter(|(_, kind)| kind.is_some())
        .map(|(path, _)| path.clone())
        .collect()
}

const DEMO_FILES: &[(&str, &str)] = &[
    (
        "curd_demo/cli.py",
        "import sys\n\ndef main():\n    print('hello from curd-demo', sys.argv[1:])\n    return 3\n",
    ),
    (
        "curd_demo-1.0.data/scripts/curd-demo-raw",
        "#!python\nimport curd_demo\nprint('raw', curd_demo.VERSION)\n",
    ),
    (
        "curd_demo-1.0.data/data/share/curd-demo/notes.txt",
        "notes\n",
    ),
    ("curd_demo-1.0.data/headers/curd_demo.h", "int curd;\n"),
];

const DEMO_ENTRY_POINTS: &str = "[console_scripts]\n\
    curd-demo = curd_demo.cli:main\n\
    [gui_scripts]\n\
    curd-demo-gui = curd_demo.cli:main\n";

/// A project with a module, a console and a GUI script, a `#!python` script, data
/// and a header, depending on `curd-dep`.
fn demo_wheel(dir: &Path) -> PathBuf {
    WheelSpec {
        requires: &["curd-dep>=1"],
        files: DEMO_FILES,
        entry_points: Some(DEMO_ENTRY_POINTS),
        ..WheelSpec::new("curd-demo", "1.0")
    }
    .build(dir)
}

/// The files and RECORD of an install checked against each other: RECORD lists
/// exactly the files that appeared, with their hashes and sizes.
fn check_record(venv: &Path, target: &Target, before: &BTreeSet<PathBuf>, dist_info: &Path) {
    let after = files_of(&tree(venv));
    let added: BTreeSet<PathBuf> = after.difference(before).cloned().collect();
    let record = std::fs::read_to_string(dist_info.join("RECORD")).expect("RECORD");
    let mut listed = BTreeSet::new();
    for line in record.lines() {
        let mut fields = line.rsplitn(3, ',');
        let (size, hash, path) = (
            fields.next().expect("size"),
            fields.next().expect("hash"),
            fields.next().expect("path"),
        );
        let full = target.scheme.purelib.join(path);
        let canonical = std::fs::canonicalize(&full).unwrap_or_else(|e| panic!("{path}: {e}"));
        let relative = canonical
            .strip_prefix(std::fs::canonicalize(venv).expect("venv"))
            .expect("inside the venv")
            .to_path_buf();
        if !path.ends_with("/RECORD") {
            let bytes = std::fs::read(&canonical).expect("read");
            assert_eq!(hash, record_hash(&bytes), "{path}");
            assert_eq!(size, bytes.len().to_string(), "{path}");
        } else {
            assert_eq!((hash, size), ("", ""), "RECORD's own row");
        }
        listed.insert(relative);
    }
    assert_eq!(listed, added, "RECORD:\n{record}");
}

#[test]
fn installs_into_a_real_venv_as_pip_and_python_see_it() {
    // A space in the path: shebangs cannot hold it, so scripts get the `/bin/sh`
    // trampoline and must still run.
    let dir = TempDir::new("install venv");
    let venv = venv(dir.path());
    let target = target(&venv);
    let wheels = dir.path().join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    let demo = demo_wheel(&wheels);
    let dep = WheelSpec::new("curd-dep", "1.0").build(&wheels);
    let pristine = tree(&venv);

    let installed_demo = install(&target, &demo).expect("installs curd-demo");
    assert!(installed_demo.warnings.is_empty());
    let before_dep = files_of(&tree(&venv));
    let installed_dep = install(&target, &dep).expect("installs curd-dep");
    check_record(&venv, &target, &before_dep, &installed_dep.dist_info);

    let freeze = pip_list(&venv);
    assert!(freeze.lines().any(|l| l == "curd-demo==1.0"), "{freeze}");
    assert!(freeze.lines().any(|l| l == "curd-dep==1.0"), "{freeze}");
    let check = pip(&venv, &["check"]);
    assert!(check.contains("No broken requirements found."), "{check}");
    let shown = pip(&venv, &["show", "curd-demo"]);
    assert!(shown.contains("Requires: curd-dep"), "{shown}");
    assert_eq!(
        python(&venv, "import curd_demo; print(curd_demo.VERSION)"),
        "1.0\n"
    );

    // importlib.metadata reads RECORD and entry points as the standard library does.
    let report = python(
        &venv,
        "import importlib.metadata as m\n\
         d = m.distribution('curd-demo')\n\
         print(d.read_text('INSTALLER').strip(), d.read_text('REQUESTED') == '')\n\
         print([str(f) for f in d.files if not f.locate().exists()])\n\
         print(sorted(e.name for e in m.entry_points(group='console_scripts') if e.dist.name == 'curd-demo'))",
    );
    assert_eq!(report, "curd True\n[]\n['curd-demo']\n");

    // Console scripts run, with the exit status their function returns.
    for script in ["curd-demo", "curd-demo-gui"] {
        let out = command(venv.join("bin").join(script))
            .args(["a", "b c"])
            .output()
            .expect("run script");
        assert_eq!(out.status.code(), Some(3), "{script}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "hello from curd-demo ['a', 'b c']\n"
        );
        let head = std::fs::read(venv.join("bin").join(script)).unwrap();
        assert!(head.starts_with(b"#!/bin/sh\n'''exec' '"), "{script}");
    }
    let raw = run_ok(&mut command(venv.join("bin/curd-demo-raw")));
    assert_eq!(raw, "raw 1.0\n");
    assert_eq!(
        std::fs::read_to_string(venv.join("share/curd-demo/notes.txt")).unwrap(),
        "notes\n"
    );
    assert!(
        target
            .scheme
            .headers
            .join("curd-demo/curd_demo.h")
            .is_file()
    );

    // What pip sees missing once curd removes a dependency.
    let inventory =
        installed(&[target.scheme.purelib.clone(), target.scheme.platlib.clone()]).expect("scans");
    assert!(inventory.broken.is_empty(), "{:?}", inventory.broken);
    let names: Vec<&str> = inventory.dists.iter().map(|d| d.name.as_str()).collect();
    assert!(
        names.contains(&"curd-demo") && names.contains(&"pip"),
        "{names:?}"
    );
    let dep_dist = inventory
        .dists
        .iter()
        .find(|d| d.name.as_str() == "curd-dep")
        .unwrap();
    uninstall(&target.scheme, dep_dist).expect("uninstalls curd-dep");
    let out = command(venv.join("bin/python"))
        .args(["-m", "pip", "--disable-pip-version-check", "check"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("curd-demo 1.0 requires curd-dep, which is not installed."),
        "{out:?}"
    );

    // pip uninstalls what curd installed: every file goes (pip may keep emptied folders).
    pip(&venv, &["uninstall", "-y", "curd-demo"]);
    assert_eq!(files_of(&tree(&venv)), files_of(&pristine));

    // curd uninstalls it too, bytecode and emptied folders included; only the
    // scheme's own headers folder stays, as with pip.
    let before = files_of(&tree(&venv));
    let installed_demo = install(&target, &demo).expect("installs again");
    check_record(&venv, &target, &before, &installed_demo.dist_info);
    let out = command(venv.join("bin/curd-demo")).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    // Bytecode of every optimization level, as imports and compileall leave it.
    let package = target.scheme.purelib.join("curd_demo");
    for flags in [&["-m"][..], &["-O", "-m"], &["-OO", "-m"]] {
        run_ok(
            command(venv.join("bin/python"))
                .args(flags)
                .args(["compileall", "-q"])
                .arg(&package),
        );
    }
    assert_eq!(
        std::fs::read_dir(package.join("__pycache__"))
            .unwrap()
            .count(),
        6
    );
    let dist = installed(std::slice::from_ref(&target.scheme.purelib))
        .expect("scans")
        .dists
        .into_iter()
        .find(|d| d.name.as_str() == "curd-demo")
        .expect("installed");
    let removed = uninstall(&target.scheme, &dist).expect("uninstalls");
    assert!(
        removed
            .files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "pyc")),
        "{removed:?}"
    );
    let mut after = tree(&venv);
    let headers = target.scheme.headers.strip_prefix(&venv).unwrap();
    for kept in headers.ancestors().filter(|a| !a.as_os_str().is_empty()) {
        if !pristine.contains_key(kept) {
            assert_eq!(after.remove(kept), Some(None), "{}", kept.display());
        }
    }
    assert_eq!(after, pristine);
}

/// Refused wheels leave the venv byte for byte as it was; and curd uninstalls what
/// pip installed, leaving nothing behind either.
#[test]
fn refuses_malformed_wheels_and_uninstalls_what_pip_installed() {
    let dir = TempDir::new("malformed");
    let venv = venv(dir.path());
    let target = target(&venv);
    let wheels = dir.path().join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    let pristine = tree(&venv);

    let good: Vec<(String, Vec<u8>)> = vec![
        ("bad/__init__.py".into(), b"x = 1\n".to_vec()),
        ("bad/more.py".into(), b"y = 2\n".to_vec()),
        (
            "bad-1.0.dist-info/METADATA".into(),
            b"Metadata-Version: 2.1\nName: bad\nVersion: 1.0\n".to_vec(),
        ),
        (
            "bad-1.0.dist-info/WHEEL".into(),
            b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n".to_vec(),
        ),
    ];
    let record = |entries: &[(String, Vec<u8>)]| -> Vec<u8> {
        let mut text = String::new();
        for (name, bytes) in entries {
            text.push_str(&format!("{name},{},{}\n", record_hash(bytes), bytes.len()));
        }
        text.push_str("bad-1.0.dist-info/RECORD,,\n");
        text.into_bytes()
    };
    let write = |label: &str, entries: &[(String, Vec<u8>)], record: Vec<u8>| -> PathBuf {
        let folder = wheels.join(label);
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join("bad-1.0-py3-none-any.whl");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        for (name, bytes) in entries {
            zip.start_file(name.as_str(), options).unwrap();
            zip.write_all(bytes).unwrap();
        }
        zip.start_file("bad-1.0.dist-info/RECORD", options).unwrap();
        zip.write_all(&record).unwrap();
        zip.finish().unwrap();
        path
    };

    let tampered = {
        let mut entries = good.clone();
        let record = record(&entries);
        entries[1].1 = b"y = 3\n".to_vec();
        write("tampered", &entries, record)
    };
    let traversal = {
        let mut entries = good.clone();
        entries.push(("bad/../../../../../../escape.py".into(), b"".to_vec()));
        write("traversal", &entries, record(&entries))
    };
    let absolute = {
        let mut entries = good.clone();
        entries.push(("/tmp/curd-absolute.py".into(), b"".to_vec()));
        write("absolute", &entries, record(&entries))
    };
    let two_dist_info = {
        let mut entries = good.clone();
        entries.push(("other-1.0.dist-info/METADATA".into(), good[2].1.clone()));
        write("two", &entries, record(&entries))
    };
    let future = {
        let mut entries = good.clone();
        entries[3].1 = b"Wheel-Version: 2.0\nRoot-Is-Purelib: true\n".to_vec();
        write("future", &entries, record(&entries))
    };
    let sound = write("sound", &good, record(&good));

    type Check = fn(&InstallError) -> bool;
    let cases: [(&str, &Path, Check); 5] = [
        (
            "tampered",
            &tampered,
            |e| matches!(e, InstallError::HashMismatch { entry, .. } if entry == "bad/more.py"),
        ),
        ("traversal", &traversal, |e| {
            matches!(e, InstallError::UnsafePath { .. })
        }),
        ("absolute", &absolute, |e| {
            matches!(e, InstallError::UnsafePath { .. })
        }),
        ("two dist-info", &two_dist_info, |e| {
            matches!(e, InstallError::MultipleDistInfo { .. })
        }),
        ("Wheel-Version 2.0", &future, |e| {
            matches!(e, InstallError::UnsupportedWheelVersion { .. })
        }),
    ];
    for (label, wheel, expected) in cases {
        let error = install(&target, wheel).expect_err(label);
        assert!(expected(&error), "{label}: {error}");
        assert!(
            error.to_string().contains("bad-1.0-py3-none-any.whl"),
            "{error}"
        );
        assert_eq!(tree(&venv), pristine, "{label}: the venv changed");
    }
    assert!(!Path::new("/tmp/curd-absolute.py").exists());
    // The sound wheel installs, and a refused one leaves it intact.
    install(&target, &sound).expect("installs");
    let installed_tree = tree(&venv);
    let error = install(&target, &tampered).expect_err("tampered");
    assert!(matches!(error, InstallError::HashMismatch { .. }));
    assert_eq!(tree(&venv), installed_tree);
    pip(&venv, &["uninstall", "-y", "bad"]);
    assert_eq!(files_of(&tree(&venv)), files_of(&pristine));

    // pip installs (compiling bytecode, listed in its RECORD), curd uninstalls.
    let before = tree(&venv);
    let wheel = WheelSpec {
        files: &[("piped/sub/mod.py", "def main():\n    return 0\n")],
        entry_points: Some("[console_scripts]\npiped = piped.sub.mod:main\n"),
        ..WheelSpec::new("piped", "2.0")
    }
    .build(&wheels);
    pip(
        &venv,
        &[
            "install",
            "--no-index",
            "--no-deps",
            wheel.to_str().unwrap(),
        ],
    );
    assert!(venv.join("bin/piped").is_file());
    let dist = installed(std::slice::from_ref(&target.scheme.purelib))
        .expect("scans")
        .dists
        .into_iter()
        .find(|d| d.name.as_str() == "piped")
        .expect("pip installed it");
    assert_eq!(dist.version.to_string(), "2.0");
    let removed = uninstall(&target.scheme, &dist).expect("uninstalls");
    assert!(
        removed.files.contains(
            &std::fs::canonicalize(venv.join("bin"))
                .unwrap()
                .join("piped")
        )
    );
    assert_eq!(tree(&venv), before);
}

/// An unpacked wheel installs to the same result as its archive, with its plain
/// files hard-linked to the cache; and independent wheels install in parallel.
#[test]
fn installs_from_an_unpacked_wheel_and_in_parallel() {
    let dir = TempDir::new("unpacked");
    let venv = venv(dir.path());
    let target = target(&venv);
    let wheels = dir.path().join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    let demo = demo_wheel(&wheels);
    let dep = WheelSpec::new("curd-dep", "1.0").build(&wheels);
    let pristine = tree(&venv);

    let from_zip = install(&target, &demo).expect("installs from the zip");
    let zip_tree = tree(&venv);
    let dist = installed(std::slice::from_ref(&target.scheme.purelib))
        .unwrap()
        .dists
        .into_iter()
        .find(|d| d.name.as_str() == "curd-demo")
        .unwrap();
    uninstall(&target.scheme, &dist).expect("uninstalls");

    let cache = dir.path().join("cache/curd_demo-1.0-py3-none-any");
    unpack(&demo, &filename(&demo), &cache, &Jobs::new(2)).expect("unpacks");
    let from_cache = install_wheel(
        Source::Unpacked(&cache),
        &filename(&demo),
        &target,
        &options(),
    )
    .expect("installs from the cache");
    assert_eq!(from_cache, from_zip);
    assert_eq!(tree(&venv), zip_tree, "same files, bytes, modes and RECORD");
    let module = target.scheme.purelib.join("curd_demo/__init__.py");
    let cached = cache.join("curd_demo/__init__.py");
    let meta = std::fs::metadata(&module).unwrap();
    assert_eq!(
        meta.ino(),
        std::fs::metadata(&cached).unwrap().ino(),
        "hard-linked"
    );
    assert_eq!(meta.nlink(), 2);
    assert_ne!(
        std::fs::metadata(venv.join("bin/curd-demo-raw"))
            .unwrap()
            .ino(),
        std::fs::metadata(cache.join("curd_demo-1.0.data/scripts/curd-demo-raw"))
            .unwrap()
            .ino(),
        "rewritten scripts are written fresh"
    );

    install(&target, &dep).expect("installs curd-dep");
    let check = pip(&venv, &["check"]);
    assert!(check.contains("No broken requirements found."), "{check}");
    let out = command(venv.join("bin/curd-demo")).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    // pip uninstalls a hard-linked install without touching the cache.
    pip(&venv, &["uninstall", "-y", "curd-demo", "curd-dep"]);
    assert_eq!(files_of(&tree(&venv)), files_of(&pristine));
    assert_eq!(
        std::fs::read_to_string(&cached).unwrap(),
        "VERSION = \"1.0\"\n"
    );
    assert_eq!(std::fs::metadata(&cached).unwrap().nlink(), 1);

    // Many wheels sharing a namespace folder, from as many threads.
    let names: Vec<String> = (0..16).map(|i| format!("par{i}")).collect();
    let files: Vec<(String, String)> = names
        .iter()
        .map(|name| {
            (
                format!("sharedns/{name}/x.py"),
                format!("NAME = {name:?}\n"),
            )
        })
        .collect();
    let built: Vec<PathBuf> = names
        .iter()
        .zip(&files)
        .map(|(name, (path, contents))| {
            WheelSpec {
                files: &[(path.as_str(), contents.as_str())],
                ..WheelSpec::new(name, "1.0")
            }
            .build(&wheels)
        })
        .collect();
    std::thread::scope(|scope| {
        for wheel in &built {
            let target = &target;
            scope.spawn(move || install(target, wheel).expect("installs"));
        }
    });
    let freeze = pip_list(&venv);
    for name in &names {
        assert!(
            freeze.lines().any(|l| l == format!("{name}==1.0")),
            "{name}: {freeze}"
        );
    }
    let imported = python(
        &venv,
        "import importlib\nprint(sum(importlib.import_module(f'sharedns.par{i}.x').NAME == f'par{i}' for i in range(16)))",
    );
    assert_eq!(imported, "16\n");
}

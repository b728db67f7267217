use super::*;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("curd-python-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn executable(path: &Path, contents: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

fn facts<'a>(system: &'a str, sysconfig_platform: &'a str) -> PlatformFacts<'a> {
    PlatformFacts {
        system,
        sysconfig_platform,
        mac_release: "",
        mac_machine: "",
        is_64bit: true,
        glibc: Some((2, 36)),
        musl: None,
        elf_armhf: false,
        elf_i686: true,
    }
}

/// An answer as the script gives it on a 64-bit glibc Linux.
fn answer() -> Value {
    json!({
        "executable": "/usr/bin/python3.11",
        "version_info": [3, 11],
        "markers": {
            "implementation_name": "cpython",
            "implementation_version": "3.11.2",
            "os_name": "posix",
            "platform_machine": "x86_64",
            "platform_python_implementation": "CPython",
            "platform_release": "6.1.0",
            "platform_system": "Linux",
            "platform_version": "#1 SMP",
            "python_full_version": "3.11.2",
            "python_version": "3.11",
            "sys_platform": "linux",
        },
        "paths": {
            "purelib": "/v/lib/python3.11/site-packages",
            "platlib": "/v/lib/python3.11/site-packages",
            "scripts": "/v/bin",
            "data": "/v",
            "include": "/usr/include/python3.11",
        },
        "prefix": "/v",
        "base_prefix": "/usr",
        "abis": ["cp311"],
        "soabi": "cpython-311-x86_64-linux-gnu",
        "cache_tag": "cpython-311",
        "ext_suffix": ".cpython-311-x86_64-linux-gnu.so",
        "sysconfig_platform": "linux-x86_64",
        "mac_ver": ["", ""],
        "is_64bit": true,
        "glibc": "2.36",
        "musl": null,
        "elf_armhf": false,
        "elf_i686": false,
    })
}

#[test]
fn reads_an_answer() {
    let i = Interpreter::from_answer(Path::new("/v/bin/python"), &answer(), false).unwrap();
    assert_eq!(i.python_version, (3, 11));
    assert_eq!(i.python_full_version, "3.11.2");
    assert_eq!(i.executable, Path::new("/usr/bin/python3.11"));
    assert!(i.is_virtualenv());
    assert_eq!(i.markers().len(), 11);
    assert_eq!(i.markers()["sys_platform"], "linux");
    assert_eq!(i.paths.scripts, Path::new("/v/bin"));
    assert_eq!(i.glibc, Some((2, 36)));
    assert_eq!(
        i.platform,
        Platform::Linux {
            arch: "x86_64".into(),
            glibc: Some((2, 36)),
            musl: None,
            elf_abi: false
        }
    );
    assert_eq!(i.tags()[0].to_string(), "cp311-cp311-linux_x86_64");
    assert_eq!(i.tags().len(), 914);
}

#[test]
fn refuses_malformed_answers_without_panicking() {
    let cases: Vec<(&str, Value)> = vec![
        ("version_info", json!([3])),
        ("version_info", json!([3, 100000])),
        ("version_info", json!("3.11")),
        ("markers", json!({"os_name": "posix"})),
        ("markers", json!([])),
        ("paths", json!({"purelib": 1})),
        ("abis", json!(["cp311", 3])),
        ("is_64bit", json!("yes")),
        ("glibc", json!(2.36)),
        ("mac_ver", json!([])),
    ];
    for (key, value) in cases {
        let mut a = answer();
        a[key] = value.clone();
        let err = Interpreter::from_answer(Path::new("/p"), &a, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains(key), "{key}={value}: {err}");
    }
    for a in [json!(null), json!([]), json!({}), json!("x")] {
        assert!(Interpreter::from_answer(Path::new("/p"), &a, false).is_err());
    }
    let mut a = answer();
    a.as_object_mut().unwrap().remove("prefix");
    assert_eq!(
        Interpreter::from_answer(Path::new("/p"), &a, false)
            .unwrap_err()
            .to_string(),
        "no `prefix`"
    );
}

#[test]
fn odd_library_versions_mean_no_manylinux() {
    let mut a = answer();
    a["glibc"] = json!("not a version");
    let i = Interpreter::from_answer(Path::new("/p"), &a, false).unwrap();
    assert_eq!(i.glibc, None);
    assert_eq!(i.tags()[0].to_string(), "cp311-cp311-linux_x86_64");
    assert_eq!(parse_glibc("2.20-2014.11"), Some((2, 20)));
    assert_eq!(parse_glibc("2.17"), Some((2, 17)));
    assert_eq!(parse_glibc("2"), None);
    assert_eq!(parse_glibc("2.x"), None);
    assert_eq!(parse_glibc("99999999999.1"), None);
    assert_eq!(parse_glibc("2.5000"), None);
    assert_eq!(parse_glibc(""), None);
    assert_eq!(
        parse_musl("musl libc (x86_64)\nVersion 1.2.4\nDynamic Program Loader\n"),
        Some((1, 2))
    );
    assert_eq!(
        parse_musl("\n  musl libc\n\n  Version 1.1.24\n"),
        Some((1, 1))
    );
    assert_eq!(parse_musl("musl libc\n"), None);
    assert_eq!(parse_musl("glibc\nVersion 1.2.4"), None);
    assert_eq!(parse_musl("musl libc\nversion 1.2"), None);
}

#[test]
fn platforms_as_packaging_works_them_out() {
    let linux = |arch: &str, elf_abi| Platform::Linux {
        arch: arch.into(),
        glibc: Some((2, 36)),
        musl: None,
        elf_abi,
    };
    assert_eq!(
        facts("Linux", "linux-x86_64").platform(),
        linux("x86_64", false)
    );
    let f = PlatformFacts {
        is_64bit: false,
        ..facts("Linux", "linux-x86_64")
    };
    assert_eq!(f.platform(), linux("i686", true));
    let f = PlatformFacts {
        is_64bit: false,
        ..facts("Linux", "linux-aarch64")
    };
    assert_eq!(f.platform(), linux("armv8l", false));
    assert_eq!(
        facts("Linux", "android-24-arm64_v8a").platform(),
        Platform::Other {
            tag: "android_24_arm64_v8a".into()
        }
    );
    let mac = |release, machine, is_64bit| {
        PlatformFacts {
            mac_release: release,
            mac_machine: machine,
            is_64bit,
            ..facts("Darwin", "macosx-11.0-arm64")
        }
        .platform()
    };
    let macos = |version, arch: &str| Platform::MacOs {
        version,
        arch: arch.into(),
    };
    assert_eq!(mac("14.2.1", "arm64", true), macos((14, 2), "arm64"));
    assert_eq!(mac("10.15.7", "x86_64", true), macos((10, 15), "x86_64"));
    assert_eq!(mac("10.6", "x86_64", false), macos((10, 6), "i386"));
    assert_eq!(mac("10.5", "ppc64", false), macos((10, 5), "ppc"));
    assert_eq!(mac("15", "arm64", true), macos((15, 0), "arm64"));
    let odd = Platform::Other {
        tag: "macosx_11_0_arm64".into(),
    };
    assert_eq!(mac("", "arm64", true), odd);
    assert_eq!(mac("14.x", "arm64", true), odd);
    let windows = |arch: &str| Platform::Windows { arch: arch.into() };
    assert_eq!(facts("Windows", "win-amd64").platform(), windows("amd64"));
    assert_eq!(facts("Windows", "win-arm64").platform(), windows("arm64"));
    assert_eq!(facts("Windows", "win32").platform(), windows("x86"));
    assert_eq!(
        facts("FreeBSD", "freebsd-14.0-RELEASE-amd64").platform(),
        Platform::Other {
            tag: "freebsd_14_0_RELEASE_amd64".into()
        }
    );
}

#[test]
fn finds_explicit_then_venv_then_dot_venv_then_path() {
    let root = scratch("find");
    let project = root.join("project");
    let deep = project.join("a/b");
    std::fs::create_dir_all(&deep).unwrap();
    let bin = root.join("bin");
    let system = bin.join("python3");
    executable(&system, b"\x7fELF");
    let path_var = std::env::join_paths([root.join("missing"), bin.clone()]).unwrap();
    let path_var = Some(path_var.as_os_str());

    assert_eq!(find_in(None, None, &deep, path_var).unwrap(), system);
    let dot_venv = project.join(".venv").join(VENV_PYTHON);
    executable(&dot_venv, b"\x7fELF");
    assert_eq!(find_in(None, None, &deep, path_var).unwrap(), dot_venv);
    let active = root.join("active");
    executable(&active.join(VENV_PYTHON), b"\x7fELF");
    assert_eq!(
        find_in(None, Some(active.as_os_str()), &deep, path_var).unwrap(),
        active.join(VENV_PYTHON)
    );
    assert_eq!(
        find_in(None, Some(OsStr::new("")), &deep, path_var).unwrap(),
        dot_venv
    );
    let err = find_in(None, Some(root.join("gone").as_os_str()), &deep, path_var).unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "$VIRTUAL_ENV is `{}`, which has no `{VENV_PYTHON}`\nhint: ",
            root.join("gone").display()
        )),
        "{err}"
    );

    let explicit = |p: &str| {
        find_in(
            Some(Path::new(p)),
            Some(active.as_os_str()),
            &deep,
            path_var,
        )
    };
    assert_eq!(explicit("python3").unwrap(), system);
    assert_eq!(
        explicit(active.to_str().unwrap()).unwrap(),
        active.join(VENV_PYTHON)
    );
    assert_eq!(
        explicit("../../.venv").unwrap(),
        deep.join("../../.venv").join(VENV_PYTHON)
    );
    assert_eq!(explicit(system.to_str().unwrap()).unwrap(), system);
    let err = explicit("python9.9").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("no Python `python9.9` on PATH\nhint: "),
        "{err}"
    );
    let err = explicit("./nope/python").unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "no Python at `{}`",
            deep.join("./nope/python").display()
        )),
        "{err}"
    );
    // A folder that is not a venv.
    assert!(matches!(explicit("."), Err(PythonError::NoSuchPath { .. })));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn not_found_names_what_was_tried() {
    let root = scratch("none");
    let err = find_in(None, None, &root, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "no Python found: tried --python (not given), $VIRTUAL_ENV (not set), .venv in `{}` \
             and its parents, python3 on PATH\nhint: create one with `python3 -m venv .venv`, or pass --python PATH",
            root.display()
        )
    );
    // Not executable, so not a command.
    std::fs::write(root.join("python3"), b"").unwrap();
    let path_var = root.clone().into_os_string();
    assert!(find_in(None, None, &root, Some(&path_var)).is_err());
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn cache_holds_while_the_file_is_unchanged() {
    let dir = scratch("cache");
    let python = dir.join("python");
    executable(&python, b"\x7fELF fake");
    let cache = dir.join("c");
    std::fs::create_dir_all(&cache).unwrap();
    let file = cache.join("entry.json");
    let stamp = stamp(&python).unwrap();
    let write = |stamp: &str, answer: Value| {
        let entry = json!({"script": "s", "path": python.to_string_lossy(), "stamp": stamp, "answer": answer});
        std::fs::write(&file, entry.to_string()).unwrap();
    };
    write(&stamp, answer());
    let cached = read_cache(&file, &python, "s", &stamp).unwrap();
    assert!(cached.from_cache);
    assert_eq!(cached.path, python);
    // Another script, path or stamp: not this answer.
    assert!(read_cache(&file, &python, "t", &stamp).is_none());
    assert!(read_cache(&file, &dir.join("other"), "s", &stamp).is_none());
    let file_time = std::fs::File::options().write(true).open(&python).unwrap();
    file_time
        .set_modified(UNIX_EPOCH + std::time::Duration::from_secs(1_000_000))
        .unwrap();
    let changed = super::stamp(&python).unwrap();
    assert_ne!(changed, stamp);
    assert!(read_cache(&file, &python, "s", &changed).is_none());
    // A venv made again in the same place on the same Python is the same; another
    // pyvenv.cfg or another Python behind the link is not.
    let venv = dir.join("venv/bin");
    std::fs::create_dir_all(&venv).unwrap();
    let link = venv.join("python");
    std::os::unix::fs::symlink(&python, &link).unwrap();
    let cfg = dir.join("venv/pyvenv.cfg");
    std::fs::write(&cfg, "home = /usr/bin\n").unwrap();
    let first = super::stamp(&link).unwrap();
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&python, &link).unwrap();
    assert_eq!(super::stamp(&link).unwrap(), first);
    std::fs::write(&cfg, "home = /opt/python/bin\n").unwrap();
    assert_ne!(super::stamp(&link).unwrap(), first);
    let other = dir.join("python-other");
    executable(&other, b"\x7fELF fake");
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&other, &link).unwrap();
    assert_ne!(super::stamp(&link).unwrap(), first);
    // Corrupt entries are no answer either.
    for corrupt in ["", "{", "[]", "{\"script\": 1}"] {
        std::fs::write(&file, corrupt).unwrap();
        assert!(read_cache(&file, &python, "s", &stamp).is_none());
    }
    write(&stamp, json!({"version_info": [3]}));
    assert!(read_cache(&file, &python, "s", &stamp).is_none());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn launcher_scripts_are_never_cached() {
    let dir = scratch("shim");
    let shim = dir.join("python3");
    executable(&shim, b"#!/bin/sh\nexec python3 \"$@\"\n");
    assert_eq!(stamp(&shim), None);
    assert_eq!(stamp(&dir.join("missing")), None);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn failures_show_what_python_said() {
    let dir = scratch("fail");
    let python = dir.join("python");
    executable(
        &python,
        b"#!/bin/sh\necho 'Traceback: boom' >&2\necho 'ValueError: x' >&2\nexit 3\n",
    );
    let err = Interpreter::query(&python, &dir.join("cache")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`{}` failed (exit status: 3) when asked about itself, saying:\n  | Traceback: boom\n  | ValueError: x",
            python.display()
        )
    );
    executable(
        &python,
        b"#!/bin/sh\necho 'Unknown option: -I' >&2\nexit 2\n",
    );
    let err = Interpreter::query(&python, &dir.join("cache")).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("  | Unknown option: -I\nhint: curd needs Python 3.5 or newer"),
        "{err}"
    );
    executable(&python, b"#!/bin/sh\necho 'not json' > \"$4\"\n");
    let err = Interpreter::query(&python, &dir.join("cache")).unwrap_err();
    assert!(
        err.to_string()
            .contains("gave an answer curd cannot use: its answer is not JSON"),
        "{err}"
    );
    let err = Interpreter::query(&dir.join("missing"), &dir.join("cache")).unwrap_err();
    assert!(matches!(err, PythonError::NoSuchPath { .. }));
    // The answer files are gone; only the folder remains.
    let left: Vec<_> = std::fs::read_dir(dir.join("cache/interpreters"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn schemes_sit_under_their_placeholder_base() {
    let mut a = answer();
    let scheme = |purelib: &str| {
        json!({"purelib": purelib, "platlib": "@curd-base@/lib", "scripts": "@curd-base@/bin",
               "data": "@curd-base@", "include": "@curd-base@/include"})
    };
    a["schemes"] = json!({"home": scheme("@curd-base@/lib/python"), "prefix": null});
    let i = Interpreter::from_answer(Path::new("/p"), &a, false).unwrap();
    let home = i.schemes.home.expect("home scheme");
    assert_eq!(
        home.rebased(Path::new("/t")).purelib,
        Path::new("/t/lib/python")
    );
    assert!(i.schemes.prefix.is_none() && i.schemes.user.is_none());
    // A path outside the base would install outside the folder asked for.
    a["schemes"] = json!({"user": scheme("/usr/lib/python3/site-packages")});
    let err = Interpreter::from_answer(Path::new("/p"), &a, false).unwrap_err();
    assert!(
        err.to_string().contains("outside the scheme's base"),
        "{err}"
    );
    a["schemes"] = json!([]);
    assert!(Interpreter::from_answer(Path::new("/p"), &a, false).is_err());
}

#[test]
fn a_new_venv_made_alike_answers_as_python_does_without_starting_it() {
    let dir = scratch("family");
    let venv = |name: &str| {
        let folder = dir.join(name);
        let made = Command::new("python3")
            .args(["-m", "venv", "--without-pip"])
            .arg(&folder)
            .status()
            .unwrap();
        assert!(made.success());
        folder.join(VENV_PYTHON)
    };
    let site = |python: &Path| {
        let cache = dir.join("asked");
        Interpreter::query(python, &cache).unwrap().paths.purelib
    };
    let cache = dir.join("cache");
    assert!(!Interpreter::query(&venv("a"), &cache).unwrap().from_cache);
    // Another venv made alike: answered from the first, as Python answers it.
    let b = venv("b");
    let derived = Interpreter::query(&b, &cache).unwrap();
    assert!(derived.from_cache);
    let asked = Interpreter::query(&b, &dir.join("fresh")).unwrap();
    assert_eq!(
        Interpreter {
            from_cache: false,
            ..derived
        },
        asked
    );
    assert!(asked.paths.purelib.starts_with(dir.join("b")));
    // A start-up file the first venv did not have: Python is asked, and the
    // venvs made alike to that one are then answered from it.
    let c = venv("c");
    std::fs::write(site(&c).join("extra.pth"), "import os\n").unwrap();
    assert!(!Interpreter::query(&c, &cache).unwrap().from_cache);
    let d = venv("d");
    std::fs::write(site(&d).join("extra.pth"), "import os\n").unwrap();
    assert!(Interpreter::query(&d, &cache).unwrap().from_cache);
    std::fs::write(site(&d).join("extra.pth"), "import sys\n").unwrap();
    let e = venv("e");
    std::fs::write(site(&e).join("extra.pth"), "import sys\n").unwrap();
    assert!(!Interpreter::query(&e, &cache).unwrap().from_cache);
    let _ = std::fs::remove_dir_all(&dir);
}

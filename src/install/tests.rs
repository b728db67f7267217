//! The installer end to end, on wheels built in memory and environments without an
//! interpreter: what lands where, what RECORD says, what a bad wheel leaves (nothing).
//! The helpers serve the uninstall tests too.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use super::layout::absolute;
use super::stream::Hasher;
use super::*;
use crate::standards::filename::DistFilename;
use crate::standards::record::{self, Algorithm};
use crate::util::fs::{TEMP_PREFIX, TestDir as TempDir};

fn sha256(bytes: &[u8]) -> String {
    let mut hasher = Hasher::new(Algorithm::Sha256);
    hasher.update(bytes);
    hasher.finish()
}

pub(super) fn wheel_name(filename: &str) -> WheelFilename {
    match DistFilename::parse(filename) {
        Ok(DistFilename::Wheel(wheel)) => wheel,
        other => panic!("{filename}: {other:?}"),
    }
}

/// (name in the archive, contents, Unix mode)
pub(super) type Entry = (String, Vec<u8>, u32);

fn entry(name: &str, contents: &[u8], mode: u32) -> Entry {
    (name.to_string(), contents.to_vec(), mode)
}

/// A wheel with a package, scripts, data, headers, a platlib file and entry points.
pub(super) fn demo_entries() -> Vec<Entry> {
    vec![
        entry("demo/__init__.py", b"VALUE = 1\n", 0o644),
        entry("demo/sub/mod.py", b"def main():\n    print('hi')\n", 0o644),
        entry("demo/tool.sh", b"#!/bin/sh\necho tool\n", 0o755),
        entry(
            "demo-1.0.data/scripts/demo-rewritten",
            b"#!python -u\nprint('x')\n",
            0o644,
        ),
        entry("demo-1.0.data/scripts/plain", b"#!/bin/sh\necho plain\n", 0o644),
        entry("demo-1.0.data/scripts/demo.exe", b"MZ wrapper", 0o644),
        entry("demo-1.0.data/data/share/demo/readme.txt", b"data\n", 0o644),
        entry("demo-1.0.data/headers/demo.h", b"int x;\n", 0o644),
        entry("demo-1.0.data/platlib/demo_native.py", b"", 0o644),
        entry(
            "demo-1.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
            0o644,
        ),
        entry(
            "demo-1.0.dist-info/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
            0o644,
        ),
        entry(
            "demo-1.0.dist-info/entry_points.txt",
            b"[console_scripts]\ndemo = demo.sub.mod:main\n\n[gui_scripts]\ndemo-gui = demo.sub.mod:main [gui]\n\n[other]\nx = y\n",
            0o644,
        ),
    ]
}

fn record_of(entries: &[Entry], dist_info: &str) -> Vec<u8> {
    let mut record = String::new();
    for (name, contents, _) in entries {
        if !name.ends_with('/') {
            record.push_str(&format!("{name},{},{}\n", sha256(contents), contents.len()));
        }
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));
    record.into_bytes()
}

fn zip_entries(path: &Path, entries: &[Entry]) {
    let mut zip = zip::ZipWriter::new(File::create(path).expect("create wheel"));
    for (name, contents, mode) in entries {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(*mode);
        if name.ends_with('/') {
            zip.add_directory(name.as_str(), options)
                .expect("add folder");
        } else {
            zip.start_file(name.as_str(), options).expect("start file");
            zip.write_all(contents).expect("write file");
        }
    }
    zip.finish().expect("finish wheel");
}

/// Writes `entries` and a RECORD for them as `dir/filename`.
pub(super) fn build(dir: &Path, filename: &str, mut entries: Vec<Entry>) -> PathBuf {
    let dist_info = entries
        .iter()
        .find_map(|(name, _, _)| name.split_once(".dist-info/").map(|(d, _)| d.to_string()))
        .map(|d| format!("{d}.dist-info"))
        .unwrap_or_else(|| "demo-1.0.dist-info".into());
    let record = record_of(&entries, &dist_info);
    entries.push((format!("{dist_info}/RECORD"), record, 0o644));
    let path = dir.join(filename);
    zip_entries(&path, &entries);
    path
}

pub(super) struct Env {
    _dir: TempDir,
    pub(super) root: PathBuf,
    pub(super) target: Target,
}

/// An environment's folders without an interpreter; platlib differs from purelib
/// (as on Fedora) so that relative RECORD paths are exercised.
pub(super) fn env(label: &str) -> Env {
    let dir = TempDir::new(label);
    let root = dir.0.join("env");
    let scheme = Scheme {
        purelib: root.join("lib/python3.11/site-packages"),
        platlib: root.join("lib64/python3.11/site-packages"),
        scripts: root.join("bin"),
        data: root.clone(),
        headers: root.join("include/site/python3.11"),
    };
    for path in [&scheme.purelib, &scheme.platlib, &scheme.scripts] {
        fs::create_dir_all(path).expect("create scheme folder");
    }
    fs::write(root.join("bin/python"), b"").expect("write python");
    let python = root.join("bin/python");
    Env {
        _dir: dir,
        root,
        target: Target { scheme, python },
    }
}

pub(super) fn options() -> InstallOptions {
    InstallOptions {
        installer: "curd",
        requested: true,
        direct_url: None,
        link: LinkMode::Hardlink,
        bytecode: None,
    }
}

/// Every file and folder under `root`: contents, and mode for files.
pub(super) fn tree(root: &Path) -> BTreeMap<PathBuf, Option<(Vec<u8>, u32)>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read folder") {
            let path = entry.expect("entry").path();
            let relative = path.strip_prefix(root).expect("inside").to_path_buf();
            if path.is_dir() {
                stack.push(path);
                out.insert(relative, None);
            } else {
                let mode = fs::metadata(&path).expect("stat").permissions().mode();
                out.insert(relative, Some((fs::read(&path).expect("read"), mode)));
            }
        }
    }
    out
}

pub(super) fn install(env: &Env, wheel: &Path, filename: &str) -> Result<Installed, InstallError> {
    install_wheel(
        Source::Zip(wheel),
        &wheel_name(filename),
        &env.target,
        &options(),
    )
}

pub(super) const DEMO: &str = "demo-1.0-py3-none-any.whl";

#[test]
fn installs_every_file_where_the_scheme_says() {
    let env = env("full");
    let dir = TempDir::new("full-wheels");
    let wheel = build(&dir.0, DEMO, demo_entries());
    let installed = install(&env, &wheel, DEMO).expect("installs");
    let site = &env.target.scheme.purelib;
    assert_eq!(installed.dist_info, site.join("demo-1.0.dist-info"));
    assert!(installed.warnings.is_empty());
    let read = |path: &Path| fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mode = |path: &Path| fs::metadata(path).expect("stat").permissions().mode() & 0o111;
    assert_eq!(read(&site.join("demo/__init__.py")), b"VALUE = 1\n");
    assert_eq!(mode(&site.join("demo/__init__.py")), 0);
    assert_ne!(mode(&site.join("demo/tool.sh")), 0);
    let bin = &env.root.join("bin");
    assert_eq!(
        read(&bin.join("demo-rewritten")),
        format!("#!{}\nprint('x')\n", env.target.python.display()).as_bytes()
    );
    assert_ne!(mode(&bin.join("demo-rewritten")), 0);
    assert_eq!(read(&bin.join("plain")), b"#!/bin/sh\necho plain\n");
    assert_ne!(mode(&bin.join("plain")), 0, "scripts get +x");
    assert!(!bin.join("demo.exe").exists(), "setuptools wrapper skipped");
    let launcher = String::from_utf8(read(&bin.join("demo"))).expect("utf-8");
    assert!(launcher.starts_with(&format!("#!{}\n", env.target.python.display())));
    assert!(launcher.contains("from demo.sub.mod import main\n"));
    assert_ne!(mode(&bin.join("demo")), 0);
    assert!(bin.join("demo-gui").is_file());
    assert!(!bin.join("x").exists(), "other groups are not scripts");
    assert_eq!(read(&env.root.join("share/demo/readme.txt")), b"data\n");
    assert_eq!(
        read(&env.root.join("include/site/python3.11/demo/demo.h")),
        b"int x;\n"
    );
    assert!(env.target.scheme.platlib.join("demo_native.py").is_file());
    let dist_info = site.join("demo-1.0.dist-info");
    assert_eq!(read(&dist_info.join("INSTALLER")), b"curd\n");
    assert_eq!(read(&dist_info.join("REQUESTED")), b"");
    assert!(!dist_info.join("direct_url.json").exists());

    // RECORD lists every file written, relative to site-packages, with the hash
    // and size of what is on disk; RECORD itself last.
    let record = String::from_utf8(read(&dist_info.join("RECORD"))).expect("utf-8");
    let rows = record::parse(&record).expect("valid RECORD");
    assert_eq!(rows.len(), installed.files);
    let last = rows.last().expect("rows");
    assert_eq!(
        (last.path.as_str(), last.hash.as_str(), last.size),
        ("demo-1.0.dist-info/RECORD", "", None)
    );
    let mut listed = BTreeSet::new();
    for row in &rows[..rows.len() - 1] {
        let path = absolute(&site.join(&row.path)).expect("absolute");
        let bytes = read(&path);
        assert_eq!(row.hash, sha256(&bytes), "{}", row.path);
        assert_eq!(row.size, Some(bytes.len() as u64), "{}", row.path);
        listed.insert(path);
    }
    listed.insert(dist_info.join("RECORD"));
    let on_disk: BTreeSet<PathBuf> = tree(&env.root)
        .into_iter()
        .filter(|(path, kind)| kind.is_some() && path != Path::new("bin/python"))
        .map(|(path, _)| env.root.join(path))
        .collect();
    assert_eq!(listed, on_disk);
    for expected in [
        "../../../bin/demo",
        "../../../bin/demo-rewritten",
        "../../../share/demo/readme.txt",
        "../../../include/site/python3.11/demo/demo.h",
        "../../../lib64/python3.11/site-packages/demo_native.py",
        "demo/sub/mod.py",
        "demo-1.0.dist-info/INSTALLER",
    ] {
        assert!(
            rows.iter().any(|r| r.path == expected),
            "{expected} in {record}"
        );
    }
    // No temporary file is left anywhere.
    assert!(
        tree(&env.root)
            .keys()
            .all(|path| !path.to_string_lossy().contains(TEMP_PREFIX))
    );
}

#[test]
fn writes_direct_url_and_honours_root_is_purelib_false() {
    let env = env("platlib");
    let dir = TempDir::new("platlib-wheels");
    let mut entries = demo_entries();
    for (name, contents, _) in &mut entries {
        if name.ends_with("/WHEEL") {
            *contents = b"Wheel-Version: 1.0\nRoot-Is-Purelib: false\n".to_vec();
        }
    }
    entries.retain(|(name, _, _)| !name.contains(".data/platlib/"));
    let wheel = build(&dir.0, DEMO, entries);
    let direct_url = r#"{"url": "file:///tmp/demo-1.0-py3-none-any.whl", "archive_info": {}}"#;
    let options = InstallOptions {
        requested: false,
        direct_url: Some(direct_url.into()),
        ..options()
    };
    let installed = install_wheel(
        Source::Zip(&wheel),
        &wheel_name(DEMO),
        &env.target,
        &options,
    )
    .expect("installs");
    let platlib = &env.target.scheme.platlib;
    assert_eq!(installed.dist_info, platlib.join("demo-1.0.dist-info"));
    assert!(platlib.join("demo/__init__.py").is_file());
    assert!(!env.target.scheme.purelib.join("demo").exists());
    assert_eq!(
        fs::read_to_string(platlib.join("demo-1.0.dist-info/direct_url.json")).expect("read"),
        direct_url
    );
    assert!(!platlib.join("demo-1.0.dist-info/REQUESTED").exists());
    let record = fs::read_to_string(platlib.join("demo-1.0.dist-info/RECORD")).expect("read");
    assert!(record.contains("demo-1.0.dist-info/direct_url.json,sha256="));
    assert!(record.contains("\n../../../bin/demo,sha256="));

    for bad in ["[1, 2]", "{not json"] {
        let options = InstallOptions {
            direct_url: Some(bad.into()),
            ..options.clone()
        };
        let error = install_wheel(
            Source::Zip(&wheel),
            &wheel_name(DEMO),
            &env.target,
            &options,
        )
        .expect_err(bad);
        assert!(
            error
                .to_string()
                .starts_with("invalid direct_url.json: expected a JSON object, found "),
            "{error}"
        );
    }
}

#[test]
fn warns_about_newer_minor_versions_and_refuses_other_majors() {
    let env = env("versions");
    let dir = TempDir::new("versions-wheels");
    let with_version = |version: &str| {
        let mut entries = demo_entries();
        for (name, contents, _) in &mut entries {
            if name.ends_with("/WHEEL") {
                *contents =
                    format!("Wheel-Version: {version}\nRoot-Is-Purelib: true\n").into_bytes();
            }
        }
        build(&dir.0, DEMO, entries)
    };
    let installed = install(&env, &with_version("1.9"), DEMO).expect("installs");
    assert_eq!(installed.warnings.len(), 1);
    assert!(installed.warnings[0].contains("Wheel-Version 1.9, newer than the 1.0"));
    let before = tree(&env.root);
    for version in ["2.0", "0.1"] {
        let error = install(&env, &with_version(version), DEMO).expect_err(version);
        assert!(
            matches!(&error, InstallError::UnsupportedWheelVersion { found, .. } if found == version),
            "{error}"
        );
        assert!(error.to_string().contains("expected `Wheel-Version` 1.x"));
    }
    assert_eq!(tree(&env.root), before);
}

/// A malformed case: entries added to the demo wheel, and the RECORD to use
/// instead of a correct one.
struct Malformed {
    label: &'static str,
    extra: Vec<Entry>,
    record: Option<Vec<u8>>,
    check: fn(&InstallError) -> bool,
}

/// The demo wheel's RECORD with `rows` appended.
fn record_with(rows: &str) -> Option<Vec<u8>> {
    let mut record = record_of(&demo_entries(), "demo-1.0.dist-info");
    record.extend(rows.bytes());
    Some(record)
}

/// A wheel refused at any point leaves the environment exactly as it was, even
/// files it would have replaced and folders it had to create.
#[test]
fn refuses_malformed_wheels_and_leaves_nothing_behind() {
    let env = env("malformed");
    let dir = TempDir::new("malformed-wheels");
    // A previous install the bad wheels would overwrite.
    install(&env, &build(&dir.0, DEMO, demo_entries()), DEMO).expect("installs");
    let before = tree(&env.root);
    let cases = [
        Malformed {
            label: "hash mismatch in the last file",
            extra: vec![entry("zzz/late.py", b"tampered", 0o644)],
            record: record_with(&format!("zzz/late.py,{},8\n", sha256(b"original"))),
            check: |e| matches!(e, InstallError::HashMismatch { entry, .. } if entry == "zzz/late.py"),
        },
        Malformed {
            label: "parent traversal",
            extra: vec![entry("demo/../../../../escape.py", b"x", 0o644)],
            record: None,
            check: |e| matches!(e, InstallError::UnsafePath { entry, .. } if entry == "demo/../../../../escape.py"),
        },
        Malformed {
            label: "absolute path",
            extra: vec![entry("/tmp/absolute.py", b"x", 0o644)],
            record: None,
            check: |e| matches!(e, InstallError::UnsafePath { .. }),
        },
        Malformed {
            label: "a second dist-info",
            extra: vec![entry("other-1.0.dist-info/METADATA", b"x", 0o644)],
            record: None,
            check: |e| matches!(e, InstallError::MultipleDistInfo { .. }),
        },
        Malformed {
            label: "a file not in RECORD",
            extra: vec![entry("demo/extra.py", b"x", 0o644)],
            record: record_with(""),
            check: |e| matches!(e, InstallError::NotInRecord { entry, .. } if entry == "demo/extra.py"),
        },
        Malformed {
            label: "a header larger than RECORD says",
            extra: vec![entry("zzz/big.py", b"0123456789", 0o644)],
            record: record_with(&format!("zzz/big.py,{},5\n", sha256(b"01234"))),
            check: |e| {
                matches!(
                    e,
                    InstallError::SizeMismatch {
                        expected: 5,
                        found: Some(10),
                        ..
                    }
                )
            },
        },
        Malformed {
            label: "an md5 hash",
            extra: vec![entry("zzz/weak.py", b"x", 0o644)],
            record: record_with("zzz/weak.py,md5=nope,1\n"),
            check: |e| matches!(e, InstallError::InvalidRecord { error, .. } if error.to_string().contains("found `md5=nope`")),
        },
        Malformed {
            label: "no hash",
            extra: vec![entry("zzz/unhashed.py", b"x", 0o644)],
            record: record_with("zzz/unhashed.py,,1\n"),
            check: |e| matches!(e, InstallError::InvalidRecord { error, .. } if error.to_string().contains("expected a hash")),
        },
        Malformed {
            label: "an unknown .data folder",
            extra: vec![entry("demo-1.0.data/config/x.cfg", b"x", 0o644)],
            record: None,
            check: |e| matches!(e, InstallError::UnknownScheme { entry, .. } if entry == "demo-1.0.data/config/x.cfg"),
        },
        Malformed {
            label: "another .data folder",
            extra: vec![entry("demo-2.0.data/scripts/x", b"x", 0o644)],
            record: None,
            check: |e| matches!(e, InstallError::DataDirMismatch { found, .. } if found == "demo-2.0.data"),
        },
        Malformed {
            label: "two files for one destination",
            extra: vec![entry(
                "demo-1.0.data/purelib/demo/__init__.py",
                b"VALUE = 1\n",
                0o644,
            )],
            record: None,
            check: |e| matches!(e, InstallError::DuplicateDestination { .. }),
        },
        Malformed {
            label: "a script name with a slash",
            extra: vec![entry(
                "demo-1.0.dist-info/entry_points.txt",
                b"[console_scripts]\n../evil = demo:main\n",
                0o644,
            )],
            record: None,
            check: |e| matches!(e, InstallError::InvalidEntryPoint { line, .. } if line == "../evil = demo:main"),
        },
    ];
    for case in cases {
        // An extra entry replaces the demo's entry of the same name.
        let mut entries: Vec<Entry> = demo_entries()
            .into_iter()
            .filter(|(name, _, _)| !case.extra.iter().any(|(extra, _, _)| extra == name))
            .collect();
        entries.extend(case.extra);
        let path = match case.record {
            Some(record) => {
                entries.push(("demo-1.0.dist-info/RECORD".into(), record, 0o644));
                let path = dir.0.join(DEMO);
                zip_entries(&path, &entries);
                path
            }
            None => build(&dir.0, DEMO, entries),
        };
        let error = install(&env, &path, DEMO).expect_err(case.label);
        assert!((case.check)(&error), "{}: {error}", case.label);
        assert_eq!(
            tree(&env.root),
            before,
            "{}: the environment changed",
            case.label
        );
    }
}

/// A wheel may not bring a file named as curd's own: a journal it brought could
/// have the next run carry out steps it wrote.
#[test]
fn refuses_the_names_curd_keeps_for_itself() {
    for name in [
        ".curd-journal",
        "demo/.curd-tmp-1-x",
        ".curd.lock",
        "demo-1.0.data/purelib/.curd-journal",
    ] {
        let dir = TempDir::new("reserved");
        let env = env("reserved-env");
        let mut entries = demo_entries();
        entries.push((name.into(), b"B\n".to_vec(), 0o644));
        let before = tree(&env.root);
        match install(&env, &build(&dir.0, DEMO, entries), DEMO) {
            Err(InstallError::ReservedName { entry, .. }) => assert_eq!(entry, name),
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(tree(&env.root), before, "{name}");
    }
}

#[test]
fn refuses_wheels_of_another_project_or_without_their_files() {
    let env = env("mismatch");
    let dir = TempDir::new("mismatch-wheels");
    let wheel = build(&dir.0, DEMO, demo_entries());
    let error = install(&env, &wheel, "demo-2.0-py3-none-any.whl").expect_err("version");
    assert_eq!(
        error.to_string(),
        format!(
            "invalid wheel `{}`: expected the `.dist-info` folder `demo-2.0.dist-info`, found `demo-1.0.dist-info`",
            wheel.display()
        )
    );
    let error = install(&env, &wheel, "other-1.0-py3-none-any.whl").expect_err("name");
    assert!(
        matches!(error, InstallError::DistInfoMismatch { .. }),
        "{error}"
    );
    for missing in ["METADATA", "WHEEL"] {
        let entries: Vec<Entry> = demo_entries()
            .into_iter()
            .filter(|(name, _, _)| !name.ends_with(&format!("/{missing}")))
            .collect();
        let wheel = build(&dir.0, DEMO, entries);
        match install(&env, &wheel, DEMO) {
            Err(InstallError::MissingFile { entry, .. }) => {
                assert_eq!(entry, format!("demo-1.0.dist-info/{missing}"))
            }
            other => panic!("{missing}: {other:?}"),
        }
    }
    let no_dist_info = dir.0.join("bare.whl");
    zip_entries(&no_dist_info, &[entry("demo/__init__.py", b"", 0o644)]);
    assert!(matches!(
        install(&env, &no_dist_info, DEMO),
        Err(InstallError::NoDistInfo { .. })
    ));
    let not_zip = dir.0.join("not.whl");
    fs::write(&not_zip, b"not a zip").expect("write");
    assert!(matches!(
        install(&env, &not_zip, DEMO),
        Err(InstallError::NotZip { .. })
    ));
    assert!(matches!(
        install(&env, &dir.0.join("missing.whl"), DEMO),
        Err(InstallError::Io(_))
    ));
    // Old wheels spell the folder as the project did.
    let entries: Vec<Entry> = demo_entries()
        .into_iter()
        .map(|(name, contents, mode)| (name.replace("demo-1.0.", "Demo-1.0."), contents, mode))
        .collect();
    let wheel = build(&dir.0, DEMO, entries);
    let installed = install(&env, &wheel, DEMO).expect("old spelling installs");
    assert!(installed.dist_info.ends_with("Demo-1.0.dist-info"));
}

/// A zip bomb: the headers and RECORD declare a small size, the data inflates
/// to far more. Reading stops one byte past what RECORD declares.
#[test]
fn stops_entries_that_inflate_past_their_declared_size() {
    let env = env("bomb");
    let dir = TempDir::new("bomb-wheels");
    let big = vec![b'a'; 1 << 20];
    let small = &big[..10];
    let mut entries = demo_entries();
    entries.push(entry("zzz/bomb.py", &big, 0o644));
    let mut record = record_of(&demo_entries(), "demo-1.0.dist-info");
    record.extend(format!("zzz/bomb.py,{},10\n", sha256(small)).bytes());
    entries.push(("demo-1.0.dist-info/RECORD".into(), record, 0o644));
    let path = dir.0.join(DEMO);
    zip_entries(&path, &entries);
    // Patch the uncompressed size to 10 in the entry's local header (size at
    // offset 22, name at 30) and its central header (size at 24, name at 46).
    let mut bytes = fs::read(&path).expect("read");
    let mut patched = 0;
    for (signature, size_at, name_at) in [(b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)] {
        for at in 0..bytes.len() - name_at - 11 {
            if &bytes[at..at + 4] == signature
                && &bytes[at + name_at..at + name_at + 11] == b"zzz/bomb.py"
            {
                bytes[at + size_at..at + size_at + 4].copy_from_slice(&10u32.to_le_bytes());
                patched += 1;
            }
        }
    }
    assert_eq!(patched, 2, "local and central headers");
    fs::write(&path, &bytes).expect("write");
    let before = tree(&env.root);
    match install(&env, &path, DEMO) {
        Err(InstallError::SizeMismatch {
            entry,
            expected: 10,
            found: None,
            ..
        }) => {
            assert_eq!(entry, "zzz/bomb.py")
        }
        // The zip reader enforces the header's size itself, before our bound does.
        Err(InstallError::UnreadableEntry { entry, reason, .. }) => {
            assert_eq!(entry, "zzz/bomb.py");
            assert!(reason.contains("larger than its declared"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(tree(&env.root), before);
}

#[test]
fn installs_the_same_from_an_unpacked_wheel_with_hard_links() {
    let dir = TempDir::new("unpacked");
    let wheel = build(&dir.0, DEMO, demo_entries());
    let cache = dir.0.join("cache/demo-1.0");
    unpack_demo(&wheel, &cache).expect("unpacks");
    assert!(cache.join("demo/__init__.py").is_file());
    assert!(cache.join("demo-1.0.data/scripts/demo-rewritten").is_file());
    let cache_parent = tree(&dir.0.join("cache"));
    assert!(
        cache_parent
            .keys()
            .all(|p| !p.to_string_lossy().contains(TEMP_PREFIX)),
        "{cache_parent:?}"
    );
    // Unpacking again is a no-op.
    unpack_demo(&wheel, &cache).expect("unpacks again");

    let from_zip = env("from-zip");
    install(&from_zip, &wheel, DEMO).expect("installs from the zip");
    for mode in [LinkMode::Hardlink, LinkMode::Copy] {
        let from_cache = env("from-cache");
        let options = InstallOptions {
            link: mode,
            ..options()
        };
        install_wheel(
            Source::Unpacked(&cache),
            &wheel_name(DEMO),
            &from_cache.target,
            &options,
        )
        .expect("installs from the cache");
        // Same tree, same bytes, same modes; RECORD differs only by the prefix
        // in the rewritten shebangs (each environment has its own python).
        let (a, b) = (tree(&from_zip.root), tree(&from_cache.root));
        assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
        for (path, contents) in &a {
            let other = &b[path];
            let text = |c: &Option<(Vec<u8>, u32)>| {
                c.as_ref().map(|(bytes, mode)| {
                    let text = String::from_utf8_lossy(bytes)
                        .replace(&from_zip.root.display().to_string(), "ENV")
                        .replace(&from_cache.root.display().to_string(), "ENV");
                    (text, *mode)
                })
            };
            if path.ends_with("RECORD") || path.starts_with("bin") {
                assert_eq!(
                    text(contents).map(|(t, m)| (t.lines().count(), m)),
                    text(other).map(|(t, m)| (t.lines().count(), m)),
                    "{}",
                    path.display()
                );
            } else {
                assert_eq!(text(contents), text(other), "{}", path.display());
            }
        }
        let ino = |path: &Path| fs::metadata(path).expect("stat").ino();
        let module = from_cache.target.scheme.purelib.join("demo/__init__.py");
        let shared = ino(&module) == ino(&cache.join("demo/__init__.py"));
        assert_eq!(shared, mode == LinkMode::Hardlink, "{mode:?}");
        let script = from_cache.root.join("bin/demo-rewritten");
        assert_ne!(
            ino(&script),
            ino(&cache.join("demo-1.0.data/scripts/demo-rewritten")),
            "scripts are written fresh"
        );
        // The cache keeps its own shebang.
        assert_eq!(
            fs::read(cache.join("demo-1.0.data/scripts/demo-rewritten")).expect("read"),
            b"#!python -u\nprint('x')\n"
        );
        // Installing over itself (same inodes) leaves no temporary names behind.
        install_wheel(
            Source::Unpacked(&cache),
            &wheel_name(DEMO),
            &from_cache.target,
            &options,
        )
        .expect("installs again");
        assert!(
            tree(&from_cache.root)
                .keys()
                .all(|p| !p.to_string_lossy().contains(TEMP_PREFIX))
        );
    }
}

#[test]
fn a_link_install_failing_midway_leaves_the_environment_as_it_was() {
    let dir = TempDir::new("unpacked-broken");
    let wheel = build(&dir.0, DEMO, demo_entries());
    let cache = dir.0.join("cache/demo-1.0");
    unpack_demo(&wheel, &cache).expect("unpacks");
    // Files before it in RECORD are linked into place by the time it is missed.
    fs::remove_file(cache.join("demo-1.0.data/headers/demo.h")).expect("remove");
    let target = env("linked-broken");
    let before = tree(&target.root);
    install_wheel(
        Source::Unpacked(&cache),
        &wheel_name(DEMO),
        &target.target,
        &options(),
    )
    .expect_err("a file is missing from the cache");
    assert_eq!(tree(&target.root), before);
}

#[test]
fn unpacking_a_bad_wheel_leaves_no_folder() {
    let dir = TempDir::new("unpack-bad");
    let mut entries = demo_entries();
    let wheel = build(&dir.0, DEMO, entries.clone());
    entries.push(entry("zzz/unlisted.py", b"", 0o644));
    entries.push((
        "demo-1.0.dist-info/RECORD".into(),
        record_of(&demo_entries(), "demo-1.0.dist-info"),
        0o644,
    ));
    let bad = dir.0.join("bad").join(DEMO);
    fs::create_dir_all(bad.parent().expect("parent")).expect("mkdir");
    zip_entries(&bad, &entries);
    let cache = dir.0.join("cache");
    let error = unpack_demo(&bad, &cache.join("demo")).expect_err("refused");
    assert!(matches!(error, InstallError::NotInRecord { .. }), "{error}");
    assert_eq!(fs::read_dir(&cache).expect("cache").count(), 0);
    unpack_demo(&wheel, &cache.join("demo")).expect("good one unpacks");
    assert_eq!(fs::read_dir(&cache).expect("cache").count(), 1);
}

/// Unpacks a wheel named [`DEMO`] with threads to share its entries among.
fn unpack_demo(wheel: &Path, dest: &Path) -> Result<(), InstallError> {
    unpack(wheel, &wheel_name(DEMO), dest, &Jobs::new(4))
}

/// Enough modules, in enough folders, that unpacking shares them out among threads.
pub(super) fn big_entries() -> Vec<Entry> {
    let mut entries: Vec<Entry> = (0..FILES_PER_PART * 5 + 3)
        .map(|n| {
            let name = format!("demo/part{}/mod{n}.py", n % 7);
            (name, format!("VALUE = {n}\n").into_bytes(), 0o644)
        })
        .collect();
    entries.extend(demo_entries());
    entries
}

#[test]
fn a_big_wheel_unpacks_in_pieces_into_one_whole_folder() {
    let dir = TempDir::new("unpack-big");
    let entries = big_entries();
    let wheel = build(&dir.0, DEMO, entries.clone());
    let cache = dir.0.join("cache");
    unpack_demo(&wheel, &cache.join("demo")).expect("unpacks");
    let unpacked = tree(&cache.join("demo"));
    for (name, contents, _) in &entries {
        let found = unpacked.get(Path::new(name)).cloned().flatten();
        assert_eq!(
            found.map(|(bytes, _)| bytes).as_ref(),
            Some(contents),
            "{name}"
        );
    }
    // RECORD lists every file once, in the archive's order, and itself last.
    let record = fs::read_to_string(cache.join("demo/demo-1.0.dist-info/RECORD")).expect("RECORD");
    assert_eq!(
        String::from_utf8(record_of(&entries, "demo-1.0.dist-info")).expect("text"),
        record
    );
    assert_eq!(fs::read_dir(&cache).expect("cache").count(), 1);
}

#[test]
fn a_bad_file_in_a_late_piece_of_a_big_wheel_leaves_no_folder() {
    let dir = TempDir::new("unpack-big-bad");
    let mut entries = big_entries();
    let record = record_of(&entries, "demo-1.0.dist-info");
    // RECORD is right about every file but one far into the archive, whose bytes
    // differ from what RECORD hashed (same size, so only the hash can tell).
    let late = FILES_PER_PART * 4 + 1;
    entries[late].1 = format!("VALUE = {late}\n").replace('=', ":").into_bytes();
    entries.push(("demo-1.0.dist-info/RECORD".into(), record, 0o644));
    let bad = dir.0.join(DEMO);
    zip_entries(&bad, &entries);
    let cache = dir.0.join("cache");
    let error = unpack_demo(&bad, &cache.join("demo")).expect_err("refused");
    match error {
        InstallError::HashMismatch { entry, .. } => assert_eq!(entry, entries[late].0),
        other => panic!("{other:?}"),
    }
    assert_eq!(fs::read_dir(&cache).expect("cache").count(), 0);
}

/// Wheels sharing a namespace folder install from several threads at once, some
/// failing and rolling back, without disturbing each other.
#[test]
fn installs_wheels_in_parallel() {
    let env = env("parallel");
    let dir = TempDir::new("parallel-wheels");
    let wheels: Vec<(String, PathBuf, bool)> = (0..12)
        .map(|i| {
            let name = format!("ns{i}");
            let filename = format!("{name}-1.0-py3-none-any.whl");
            let dist_info = format!("{name}-1.0.dist-info");
            let module = format!("nspkg/{name}/deep/x.py");
            let mut entries = vec![
                entry(&module, b"x = 1\n", 0o644),
                entry(
                    &format!("{dist_info}/METADATA"),
                    format!("Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n").as_bytes(),
                    0o644,
                ),
                entry(
                    &format!("{dist_info}/WHEEL"),
                    b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n",
                    0o644,
                ),
            ];
            let good = i % 3 != 0;
            let mut record = record_of(&entries, &dist_info);
            if !good {
                entries.push(entry("nspkg/zz.py", b"bad", 0o644));
                record.extend(format!("nspkg/zz.py,{},3\n", sha256(b"good")).bytes());
            }
            entries.push((format!("{dist_info}/RECORD"), record, 0o644));
            let path = dir.0.join(&filename);
            zip_entries(&path, &entries);
            (filename, path, good)
        })
        .collect();
    std::thread::scope(|scope| {
        for (filename, path, good) in &wheels {
            let env = &env;
            scope.spawn(move || {
                let result = install(env, path, filename);
                assert_eq!(result.is_ok(), *good, "{filename}: {result:?}");
            });
        }
    });
    let site = &env.target.scheme.purelib;
    let inventory = installed(std::slice::from_ref(site)).expect("scans");
    assert_eq!(inventory.dists.len(), 8);
    for (filename, _, good) in &wheels {
        let name = filename.split('-').next().expect("name");
        assert_eq!(
            site.join(format!("nspkg/{name}/deep/x.py")).is_file(),
            *good,
            "{name}"
        );
    }
    assert!(!site.join("nspkg/zz.py").exists());
    assert!(
        tree(&env.root)
            .keys()
            .all(|p| !p.to_string_lossy().contains(TEMP_PREFIX))
    );
}

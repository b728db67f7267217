use super::*;
use crate::archive::error::Refusal;
use crate::archive::sdist;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

fn scratch(name: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("curd-build-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An archive entry, with its name written as is: the tar crate's own
/// builder refuses the names these tests need.
enum Entry<'a> {
    Dir(&'a str),
    File(&'a str, &'a [u8]),
    Executable(&'a str, &'a [u8]),
    Link(&'a str, &'a str),
    HardLink(&'a str, &'a str),
    Fifo(&'a str),
}

fn tar_gz(dir: &Path, entries: &[Entry]) -> PathBuf {
    let path = dir.join("demo-1.0.tar.gz");
    let gz =
        flate2::write::GzEncoder::new(File::create(&path).unwrap(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(gz);
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        let (name, kind, data, link, mode): (&str, _, &[u8], &str, u32) = match entry {
            Entry::Dir(name) => (name, tar::EntryType::Directory, b"", "", 0o755),
            Entry::File(name, data) => (name, tar::EntryType::Regular, data, "", 0o664),
            Entry::Executable(name, data) => (name, tar::EntryType::Regular, data, "", 0o4775),
            Entry::Link(name, target) => (name, tar::EntryType::Symlink, b"", target, 0o777),
            Entry::HardLink(name, target) => (name, tar::EntryType::Link, b"", target, 0o644),
            Entry::Fifo(name) => (name, tar::EntryType::Fifo, b"", "", 0o644),
        };
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        header.set_entry_type(kind);
        header.set_size(data.len() as u64);
        header.set_mode(mode);
        header.set_mtime(1_000_000_000);
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap();
    path
}

fn zip(dir: &Path, entries: &[Entry]) -> PathBuf {
    let path = dir.join("demo-1.0.zip");
    let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    for entry in entries {
        match entry {
            Entry::Dir(name) => zip.add_directory(*name, options).unwrap(),
            Entry::File(name, data) => {
                zip.start_file(*name, options).unwrap();
                zip.write_all(data).unwrap();
            }
            Entry::Executable(name, data) => {
                zip.start_file(*name, options.unix_permissions(0o755))
                    .unwrap();
                zip.write_all(data).unwrap();
            }
            Entry::Link(name, target) => zip.add_symlink(*name, *target, options).unwrap(),
            Entry::HardLink(..) | Entry::Fifo(_) => unreachable!("not in zip files"),
        }
    }
    zip.finish().unwrap();
    path
}

fn refusal(result: Result<PathBuf, UnpackError>) -> (String, String) {
    match result {
        Err(UnpackError::Archive(ArchiveError::Refused {
            refusal: Refusal::Entry { entry, reason },
            ..
        })) => (entry, reason),
        other => panic!("expected a refused entry, got {other:?}"),
    }
}

#[test]
fn unpacks_the_one_folder() {
    let dir = scratch("good");
    let sdist = tar_gz(
        &dir,
        &[
            Entry::Dir("./"),
            Entry::Dir("./demo-1.0/"),
            Entry::File("./demo-1.0/pyproject.toml", b"[build-system]\n"),
            // No folder entry before it: the folders are made anyway.
            Entry::File("demo-1.0/src/demo/__init__.py", b"X = 1\n"),
            Entry::Executable("demo-1.0/tools/run.sh", b"#!/bin/sh\n"),
            Entry::Link("demo-1.0/README", "src/demo/__init__.py"),
            Entry::Link("demo-1.0/src/demo/up", "../../tools"),
            Entry::HardLink("demo-1.0/copy.py", "demo-1.0/src/demo/__init__.py"),
            Entry::Dir("demo-1.0/src/"),
            Entry::File("demo-1.0/old-style/", b""),
        ],
    );
    let dest = dir.join("out");
    let project = unpack_sdist(&sdist, &dest).unwrap();
    assert_eq!(project, dest.join("demo-1.0"));
    let read = |path: &str| std::fs::read_to_string(project.join(path)).unwrap();
    assert_eq!(read("pyproject.toml"), "[build-system]\n");
    assert_eq!(read("README"), "X = 1\n");
    assert_eq!(read("copy.py"), "X = 1\n");
    assert_eq!(read("src/demo/up/run.sh"), "#!/bin/sh\n");
    assert!(project.join("old-style").is_dir());
    assert_eq!(
        std::fs::read_link(project.join("README")).unwrap(),
        Path::new("src/demo/__init__.py")
    );
    let meta = std::fs::metadata(project.join("src/demo/__init__.py")).unwrap();
    assert_eq!(
        meta.modified().unwrap(),
        UNIX_EPOCH + Duration::from_secs(1_000_000_000)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &str| {
            std::fs::metadata(project.join(path))
                .unwrap()
                .permissions()
                .mode()
                & 0o7777
        };
        // No setuid, no group write, whatever the archive says.
        assert_eq!(mode("tools/run.sh") & !0o755, 0);
        assert_ne!(mode("tools/run.sh") & 0o100, 0);
        assert_eq!(mode("pyproject.toml") & 0o111, 0);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unpacks_zip_sdists() {
    let dir = scratch("zip");
    let sdist = zip(
        &dir,
        &[
            Entry::File("demo-1.0/setup.py", b"import setuptools\n"),
            Entry::Executable("demo-1.0/bin/tool", b"#!/bin/sh\n"),
            Entry::Link("demo-1.0/link", "setup.py"),
        ],
    );
    let project = unpack_sdist(&sdist, &dir.join("out")).unwrap();
    assert_eq!(
        std::fs::read_to_string(project.join("link")).unwrap(),
        "import setuptools\n"
    );
    assert!(is_executable(
        &File::open(project.join("bin/tool")).unwrap()
    ));
    let sdist = zip(&dir, &[Entry::File("demo-1.0/../../evil", b"x")]);
    let (entry, reason) = refusal(unpack_sdist(&sdist, &dir.join("out2")));
    assert_eq!(entry, "demo-1.0/../../evil");
    assert_eq!(reason, "goes up a folder with `..`");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn refuses_names_outside_the_destination() {
    let dir = scratch("names");
    let dest = dir.join("a/b/out");
    for (name, expected) in [
        ("demo-1.0/../../../escaped", "goes up a folder with `..`"),
        ("../escaped", "goes up a folder with `..`"),
        ("/tmp/escaped", "is an absolute path"),
        ("demo-1.0\\..\\..\\escaped", "holds a backslash"),
    ] {
        let sdist = tar_gz(
            &dir,
            &[Entry::File("demo-1.0/ok", b"1"), Entry::File(name, b"evil")],
        );
        let (entry, reason) = refusal(unpack_sdist(&sdist, &dest));
        assert_eq!((entry.as_str(), reason.as_str()), (name, expected));
        let _ = std::fs::remove_dir_all(&dest);
    }
    assert!(!dir.join("a/escaped").exists() && !dir.join("escaped").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn refuses_links_out_of_the_project() {
    let dir = scratch("links");
    let dest = dir.join("out");
    for (entries, bad, expected) in [
        (
            vec![Entry::Link("demo-1.0/passwd", "/etc/passwd")],
            "demo-1.0/passwd",
            "is a link to `/etc/passwd`",
        ),
        (
            vec![Entry::Link("demo-1.0/sub/up", "../../out")],
            "demo-1.0/sub/up",
            "is a link to `../../out`, outside the project",
        ),
        (
            vec![Entry::Link("demo-1.0/empty", "")],
            "demo-1.0/empty",
            "is a link to nothing",
        ),
        // By name `a/a/a/../../..` is the project; on disk, with `a -> .`,
        // it is two folders above it.
        (
            vec![
                Entry::Link("demo-1.0/b", "a/a/a/../../.."),
                Entry::Link("demo-1.0/a", "."),
            ],
            "demo-1.0/b",
            "is a link to `a/a/a/../../..`, which goes up after passing through the link `demo-1.0/a`",
        ),
        (
            vec![Entry::HardLink("demo-1.0/shadow", "/etc/shadow")],
            "demo-1.0/shadow",
            "is a hard link to `/etc/shadow`, which is not a file before it",
        ),
        (
            vec![Entry::HardLink("demo-1.0/later", "demo-1.0/x")],
            "demo-1.0/later",
            "is a hard link to `demo-1.0/x`, which is not a file before it",
        ),
        // A link to a folder, then a file written through it.
        (
            vec![
                Entry::Link("demo-1.0/dir", "sub"),
                Entry::Dir("demo-1.0/sub"),
                Entry::Link("demo-1.0/dir/x", "../y"),
            ],
            "demo-1.0/dir/x",
            "passes through `demo-1.0/dir`, which is not a folder",
        ),
        (
            vec![
                Entry::Link("demo-1.0/x", "y"),
                Entry::File("demo-1.0/x", b"1"),
            ],
            "demo-1.0/x",
            "clashes with an entry before it",
        ),
        (
            vec![Entry::Fifo("demo-1.0/pipe")],
            "demo-1.0/pipe",
            "is a device file or a pipe",
        ),
    ] {
        let mut all = vec![Entry::File("demo-1.0/y", b"1")];
        all.extend(entries);
        let sdist = tar_gz(&dir, &all);
        let (entry, reason) = refusal(unpack_sdist(&sdist, &dest));
        assert_eq!((entry.as_str(), reason.as_str()), (bad, expected));
        let _ = std::fs::remove_dir_all(&dest);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn needs_exactly_one_top_level_folder() {
    let dir = scratch("top");
    for (entries, expected) in [
        (
            vec![
                Entry::File("demo-1.0/a", b"1"),
                Entry::File("other/b", b"1"),
            ],
            "`demo-1.0` and `other`",
        ),
        (
            vec![Entry::File("setup.py", b"1")],
            "`setup.py`, which is not a folder",
        ),
        (
            vec![Entry::Dir("demo-1.0"), Entry::File("PKG-INFO", b"1")],
            "`demo-1.0` and `PKG-INFO`",
        ),
        (vec![Entry::Dir("./")], "nothing"),
    ] {
        let sdist = tar_gz(&dir, &entries);
        let dest = dir.join("out");
        match unpack_sdist(&sdist, &dest) {
            Err(UnpackError::Archive(ArchiveError::Refused {
                refusal: Refusal::TopLevel(found),
                ..
            })) => assert_eq!(found, expected),
            other => panic!("expected a top-level error, got {other:?}"),
        }
        let _ = std::fs::remove_dir_all(&dest);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bounds_what_it_writes() {
    let dir = scratch("bounds");
    let big = vec![b'x'; 10_000];
    let sdist = tar_gz(
        &dir,
        &[
            Entry::File("demo-1.0/a", &big),
            Entry::File("demo-1.0/b", &big),
        ],
    );
    let limits = Limits {
        bytes: 15_000,
        ..Limits::SDIST
    };
    let err = unpack_within(&sdist, &dir.join("out"), limits).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "refusing `{}`: it unpacks to more than 15000 bytes",
            sdist.display()
        )
    );
    let limits = Limits {
        entries: 1,
        ..Limits::SDIST
    };
    let err = unpack_within(&sdist, &dir.join("out2"), limits).unwrap_err();
    assert!(
        err.to_string().ends_with("it holds more than 1 entries"),
        "{err}"
    );
    let sdist = zip(&dir, &[Entry::File("demo-1.0/a", &big)]);
    let limits = Limits {
        bytes: 5_000,
        ..Limits::SDIST
    };
    assert!(matches!(
        unpack_within(&sdist, &dir.join("out3"), limits),
        Err(UnpackError::Archive(ArchiveError::Refused {
            refusal: Refusal::Unpacked(5_000),
            ..
        }))
    ));
    // Headers can lie: an entry that says it holds 1 byte and holds 10 000 is
    // stopped at the byte it should have ended with.
    let dest = dir.join("out4");
    let unpacker = Unpacker {
        sdist: &sdist,
        dest: &dest,
    };
    let entry = sdist::Entry {
        name: "demo-1.0/a",
        path: "demo-1.0/a".into(),
        kind: Kind::File {
            executable: false,
            modified: None,
        },
        size: 1,
        data: &mut &big[..],
    };
    match unpacker.entry(entry) {
        Err(UnpackError::Archive(ArchiveError::UnreadableEntry { reason, .. })) => {
            assert_eq!(reason, "it holds more than its header says")
        }
        other => panic!("{other:?}"),
    }
    assert!(std::fs::metadata(dest.join("demo-1.0/a")).unwrap().len() <= 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn refuses_damaged_and_unknown_archives() {
    let dir = scratch("damaged");
    let sdist = dir.join("demo-1.0.tar.gz");
    std::fs::write(&sdist, b"not gzip at all").unwrap();
    let err = unpack_sdist(&sdist, &dir.join("out")).unwrap_err();
    assert!(
        matches!(err, UnpackError::Archive(ArchiveError::NotTarGz { .. })),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("cannot read `"), "{err}");
    let other = dir.join("demo-1.0.tar.bz2");
    std::fs::write(&other, b"").unwrap();
    assert_eq!(
        unpack_sdist(&other, &dir.join("out"))
            .unwrap_err()
            .to_string(),
        format!(
            "cannot unpack `{}`: expected a `.tar.gz` or `.zip` sdist",
            other.display()
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes `bytes` as the sdist `name` in `dir` and unpacks it within `limits`:
/// what its refusal says after naming the sdist. Nothing is left unpacked.
fn refused(dir: &Path, name: &str, bytes: &[u8], limits: Limits) -> String {
    let sdist = dir.join(name);
    std::fs::write(&sdist, bytes).unwrap();
    let dest = dir.join("out");
    let text = unpack_within(&sdist, &dest, limits)
        .unwrap_err()
        .to_string();
    let _ = std::fs::remove_dir_all(&dest);
    let prefix = format!("refusing `{}`: ", sdist.display());
    match text.strip_prefix(&prefix) {
        Some(refusal) => refusal.to_string(),
        None => panic!("expected `{prefix}...`, found `{text}`"),
    }
}

/// The shapes of a tar bomb: records and folders that declare gigabytes. Each
/// is refused from its header, before a byte of it is decompressed; the stream
/// holds none of the bytes declared, so a reader that trusts the header fails
/// some other way.
#[test]
fn refuses_tar_records_past_their_bounds_before_reading_them() {
    use tar::EntryType::{Directory, GNULongLink, GNULongName, Regular, XGlobalHeader, XHeader};
    let dir = scratch("records");
    let header = |size: u64, limit: u64| {
        format!("it has a long-name or pax header of {size} bytes, more than the {limit} allowed")
    };
    for (members, expected) in [
        (
            vec![("././@LongLink", GNULongName, 4 << 30, &b""[..])],
            header(4 << 30, 64 << 10),
        ),
        (
            vec![("././@LongLink", GNULongLink, (64 << 10) + 1, b"")],
            header((64 << 10) + 1, 64 << 10),
        ),
        (
            vec![("pax", XHeader, 4 << 30, b"")],
            header(4 << 30, 1 << 20),
        ),
        (
            vec![("pax", XGlobalHeader, 3 << 30, b"")],
            header(3 << 30, 1 << 20),
        ),
        // A folder whose data a reader skips, decompressing it all the same.
        (
            vec![("demo-1.0/", Directory, 5 << 30, b"")],
            "it unpacks to more than 4294967296 bytes".to_string(),
        ),
        (
            vec![
                ("demo-1.0/a", Regular, 1, b"a"),
                ("demo-1.0/b", Regular, 4 << 30, b""),
            ],
            "it unpacks to more than 4294967296 bytes".to_string(),
        ),
    ] {
        let bytes = crate::archive::testing::tar_gz(&members);
        assert_eq!(
            refused(&dir, "demo-1.0.tar.gz", &bytes, Limits::SDIST),
            expected
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Members that carry no file (global pax headers, as `git archive` writes one
/// of) still cost a header each to read, so they count as entries.
#[test]
fn counts_every_tar_member_as_an_entry() {
    use tar::EntryType::{Regular, XGlobalHeader};
    let dir = scratch("members");
    let pax: &[u8] = b"";
    let mut members = vec![("pax", XGlobalHeader, 0, pax); 4];
    members.push(("demo-1.0/a", Regular, 1, b"a"));
    let bytes = crate::archive::testing::tar_gz(&members);
    let limits = Limits {
        entries: 3,
        ..Limits::SDIST
    };
    assert_eq!(
        refused(&dir, "demo-1.0.tar.gz", &bytes, limits),
        "it holds more than 3 entries"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A zip sdist's entry count is read from its end record before the zip reader
/// builds a table of that many entries.
#[test]
fn refuses_zip_sdists_claiming_too_many_entries() {
    let dir = scratch("zip-entries");
    let good = std::fs::read(zip(&dir, &[Entry::File("demo-1.0/a", b"a")])).unwrap();
    let bytes = crate::archive::testing::claiming_entries(&good, 1 << 40);
    assert_eq!(
        refused(&dir, "demo-1.0.zip", &bytes, Limits::SDIST),
        "it holds more than 500000 entries"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// One pax record, its length counting its own digits.
fn pax(key: &str, value: &str) -> Vec<u8> {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while format!("{len}{body}").len() != len {
        len += 1;
    }
    format!("{len}{body}").into_bytes()
}

/// Names too long for a tar header, as GNU tar, Python's tarfile and `git
/// archive` write them, unpack as they always have.
#[test]
fn unpacks_long_names_and_pax_records_as_tools_write_them() {
    use tar::EntryType::{GNULongName, Regular, Symlink, XGlobalHeader, XHeader};
    let dir = scratch("long-names");
    let long = format!("demo-1.0/{}/gnu.py", "g".repeat(150));
    let long_nul = format!("{long}\0");
    let in_pax = format!("{}/pax.py", "p".repeat(120));
    let global = pax("comment", "0123456789abcdef");
    let path = [
        pax("path", &format!("demo-1.0/{in_pax}")),
        pax("mtime", "1000000000.5"),
    ]
    .concat();
    let link = pax("linkpath", &in_pax);
    let members: Vec<(&str, tar::EntryType, u64, &[u8])> = vec![
        (
            "pax_global_header",
            XGlobalHeader,
            global.len() as u64,
            &global,
        ),
        (
            "././@LongLink",
            GNULongName,
            long_nul.len() as u64,
            long_nul.as_bytes(),
        ),
        ("demo-1.0/short", Regular, 4, b"gnu\n"),
        ("././@PaxHeader", XHeader, path.len() as u64, &path),
        ("demo-1.0/short", Regular, 4, b"pax\n"),
        ("././@PaxHeader", XHeader, link.len() as u64, &link),
        ("demo-1.0/link", Symlink, 0, b""),
    ];
    let sdist = dir.join("demo-1.0.tar.gz");
    std::fs::write(&sdist, crate::archive::testing::tar_gz(&members)).unwrap();
    let project = unpack_sdist(&sdist, &dir.join("out")).unwrap();
    let read = |path: &str| std::fs::read_to_string(project.join(path)).unwrap();
    assert_eq!(read(&long["demo-1.0/".len()..]), "gnu\n");
    assert_eq!(read(&in_pax), "pax\n");
    assert_eq!(read("link"), "pax\n");
    assert!(!project.join("short").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

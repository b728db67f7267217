use super::*;
use crate::archive::limits::MAX_LONG_NAME;
use crate::util::fs::TestDir as TempDir;
use std::io::{Cursor, Write};

const METADATA: &[u8] = b"Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n";
const WHEEL: &str = "foo-1.0-py3-none-any.whl";

/// A zip of (name, data) entries; data `None` makes a Unix link to `name`'s target
/// given after `->`.
fn zip_bytes(entries: &[(&str, &[u8])], large: bool) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(large);
    for (name, data) in entries {
        if let Some((link, target)) = name.split_once(" -> ") {
            writer.add_symlink(link, target, options).expect("zip link");
        } else if name.ends_with('/') {
            writer.add_directory(*name, options).expect("zip folder");
        } else {
            writer.start_file(*name, options).expect("zip entry");
            writer.write_all(data).expect("zip data");
        }
    }
    writer.finish().expect("zip finish").into_inner()
}

/// A sound wheel of `foo` 1.0 with `extra` entries first.
fn wheel(extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut entries = extra.to_vec();
    entries.extend([
        ("foo/__init__.py", &b"x = 1\n"[..]),
        ("foo-1.0.dist-info/METADATA", METADATA),
        ("foo-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n"),
        ("foo-1.0.dist-info/RECORD", b""),
    ]);
    zip_bytes(&entries, false)
}

fn tar_gz_bytes(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(gz);
    for (name, kind, data) in entries {
        let mut header = tar::Header::new_gnu();
        // Written raw, so names such as `./x` or `../x` reach the reader unchanged;
        // a link's target follows its name after ` -> `.
        let (name, target) = name.split_once(" -> ").unwrap_or((name, ""));
        let gnu = header.as_gnu_mut().expect("gnu header");
        gnu.name[..name.len()].copy_from_slice(name.as_bytes());
        gnu.linkname[..target.len()].copy_from_slice(target.as_bytes());
        header.set_entry_type(*kind);
        header.set_mode(0o644);
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append(&header, *data).expect("tar entry");
    }
    builder
        .into_inner()
        .expect("tar finish")
        .finish()
        .expect("gzip finish")
}

/// Writes `bytes` as `filename` and checks it.
fn check(dir: &TempDir, filename: &str, bytes: &[u8]) -> Result<Vec<u8>, ArchiveError> {
    let path = dir.join(filename);
    std::fs::write(&path, bytes).expect("write archive");
    let parsed = DistFilename::parse(filename).expect("a distribution's name");
    check_dist(&mut File::open(&path).expect("open"), &path, &parsed)
}

/// The refusal's text, or a panic naming what came instead.
fn refusal(result: Result<Vec<u8>, ArchiveError>) -> String {
    match result {
        Err(error @ ArchiveError::Refused { .. }) => error.to_string(),
        other => panic!("expected a refusal, found {other:?}"),
    }
}

/// Overwrites a 4-byte field `offset` bytes into each header with `signature`.
fn patch(bytes: &mut [u8], signature: &[u8; 4], offset: usize, value: u32) {
    let starts: Vec<usize> = (0..bytes.len() - 4)
        .filter(|&i| &bytes[i..i + 4] == signature)
        .collect();
    for at in starts {
        bytes[at + offset..at + offset + 4].copy_from_slice(&value.to_le_bytes());
    }
}

#[test]
fn accepts_sound_wheels_and_gives_their_metadata() {
    let dir = TempDir::new("check-wheel");
    assert_eq!(check(&dir, WHEEL, &wheel(&[])).expect("sound"), METADATA);
    let folders = wheel(&[("foo/", b""), ("./", b""), ("foo/data/x.txt", b"x")]);
    assert_eq!(check(&dir, WHEEL, &folders).expect("folders"), METADATA);
    // Zip64 extra fields, as large wheels have them.
    let entries = [
        ("foo-1.0.dist-info/METADATA", METADATA),
        ("foo-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n"),
        ("foo-1.0.dist-info/RECORD", b""),
    ];
    let zip64 = zip_bytes(&entries, true);
    assert_eq!(check(&dir, WHEEL, &zip64).expect("zip64"), METADATA);
    // A comment is part of the archive.
    let mut commented = zip::ZipWriter::new_append(Cursor::new(wheel(&[]))).expect("append");
    commented.set_comment("built by hand").expect("comment");
    let commented = commented.finish().expect("finish").into_inner();
    assert_eq!(check(&dir, WHEEL, &commented).expect("comment"), METADATA);
}

#[test]
fn refuses_wheels_an_installer_would_refuse() {
    let dir = TempDir::new("check-unsafe");
    for (entry, reason) in [
        ("../x.py", "goes up a folder"),
        ("foo/../../x.py", "goes up a folder"),
        ("/etc/x.py", "is an absolute path"),
        ("foo\\x.py", "holds a backslash"),
        ("C:/x.py", "starts with a drive letter"),
        ("foo/link -> /etc/passwd", "is a symbolic link"),
    ] {
        let text = refusal(check(&dir, WHEEL, &wheel(&[(entry, b"")])));
        assert!(text.contains(reason), "{entry}: {text}");
    }
    let good = wheel(&[]);
    let before = [b"#!/bin/sh\n".as_slice(), &good].concat();
    assert!(refusal(check(&dir, WHEEL, &before)).ends_with("it has bytes before the zip archive"));
    let after = [good.as_slice(), b"junk"].concat();
    assert!(
        refusal(check(&dir, WHEEL, &after))
            .ends_with("it has 4 bytes after the end of the zip archive")
    );
    // One file under two spellings would be written twice, differently.
    let twice = wheel(&[("foo/a.py", b"1"), ("foo//a.py", b"2")]);
    assert!(matches!(
        check(&dir, WHEEL, &twice),
        Err(ArchiveError::DuplicateEntries { .. })
    ));
    for missing in ["WHEEL", "RECORD", "METADATA"] {
        let entries: Vec<(String, &[u8])> = ["METADATA", "WHEEL", "RECORD"]
            .into_iter()
            .filter(|f| *f != missing)
            .map(|f| (format!("foo-1.0.dist-info/{f}"), METADATA))
            .collect();
        let entries: Vec<(&str, &[u8])> = entries.iter().map(|(n, d)| (n.as_str(), *d)).collect();
        match check(&dir, WHEEL, &zip_bytes(&entries, false)) {
            Err(ArchiveError::MissingEntry { entry, .. }) => {
                assert_eq!(entry, format!("foo-1.0.dist-info/{missing}"))
            }
            other => panic!("{missing}: {other:?}"),
        }
    }
    // A local header that names `../x.py` where the central directory says `foo/x.py`:
    // a tool that streams the zip would write outside its folder.
    let mut smuggled = wheel(&[("foo/x.py", b"")]);
    let at = smuggled
        .windows(8)
        .position(|w| w == b"foo/x.py")
        .expect("the local header's name");
    smuggled[at..at + 8].copy_from_slice(b"../x.py_");
    match check(&dir, WHEEL, &smuggled) {
        Err(ArchiveError::UnreadableEntry { entry, reason, .. }) => {
            assert_eq!(
                (entry.as_str(), reason.as_str()),
                ("foo/x.py", "its local header names another entry")
            )
        }
        other => panic!("a smuggled local name: {other:?}"),
    }
    let other_project = zip_bytes(&[("bar-1.0.dist-info/METADATA", METADATA)], false);
    assert!(matches!(
        check(&dir, WHEEL, &other_project),
        Err(ArchiveError::DistInfoMismatch { .. })
    ));
}

#[test]
fn refuses_bombs_from_the_central_directory() {
    let dir = TempDir::new("check-bombs");
    let good = wheel(&[]);
    // Every entry pointed at the first one's data: the overlapping-entries bomb.
    let mut overlapping = good.clone();
    patch(&mut overlapping, b"PK\x01\x02", 42, 0);
    assert!(refusal(check(&dir, WHEEL, &overlapping)).contains("overlap"));
    // Sizes that add up past the bound, whatever the data holds.
    let mut huge = good.clone();
    patch(&mut huge, b"PK\x01\x02", 24, 0xFFFF_FFF0);
    assert!(
        refusal(check(&dir, WHEEL, &huge)).contains("it unpacks to more than 8589934592 bytes")
    );
    // The count is read from the end record, before any record.
    let path = dir.join(WHEEL);
    std::fs::write(&path, &good).expect("write");
    let mut file = File::open(&path).expect("open");
    match zipdir::directory(&mut file, &path, 3, MAX_CENTRAL_DIRECTORY) {
        Err(ArchiveError::Refused {
            refusal: Refusal::Entries(3),
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    match zipdir::directory(&mut file, &path, 4, 100) {
        Err(ArchiveError::Refused {
            refusal: Refusal::Directory(100),
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // A METADATA whose data differs from what the directory says.
    let mut lying = good.clone();
    patch(&mut lying, b"PK\x01\x02", 16, 0xDEAD_BEEF);
    assert!(matches!(
        check(&dir, WHEEL, &lying),
        Err(ArchiveError::UnreadableEntry { .. })
    ));
    for broken in [&good[..good.len() / 2], b"not a zip", b""] {
        assert!(matches!(
            check(&dir, WHEEL, broken),
            Err(ArchiveError::NotZip { .. })
        ));
    }
}

#[test]
fn accepts_sound_sdists_and_gives_their_pkg_info() {
    use tar::EntryType::{Directory, Link, Regular, Symlink};
    let dir = TempDir::new("check-sdist");
    let noise: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for (filename, entries) in [
        (
            "python-dateutil-2.8.2.tar.gz",
            vec![
                ("python-dateutil-2.8.2/", Directory, &b""[..]),
                ("python-dateutil-2.8.2/big.bin", Regular, &noise),
                (
                    "python-dateutil-2.8.2/dateutil.egg-info/PKG-INFO",
                    Regular,
                    b"nested",
                ),
                ("python-dateutil-2.8.2/PKG-INFO", Regular, METADATA),
                ("python-dateutil-2.8.2/setup.py", Regular, b""),
            ],
        ),
        (
            "foo-1.0.tar.gz",
            vec![("./foo-1.0/PKG-INFO", Regular, METADATA)],
        ),
        // A renamed file still finds its folder.
        (
            "Foo_Bar-1.0.tar.gz",
            vec![("foo-bar-1.0/PKG-INFO", Regular, METADATA)],
        ),
        // Links inside the project are what the client unpacks.
        (
            "foo-2.0.tar.gz",
            vec![
                ("foo-2.0/PKG-INFO", Regular, METADATA),
                ("foo-2.0/README -> PKG-INFO", Symlink, b""),
                ("foo-2.0/docs/", Directory, b""),
                ("foo-2.0/docs/up -> ../README", Symlink, b""),
                ("foo-2.0/copy -> foo-2.0/PKG-INFO", Link, b""),
            ],
        ),
    ] {
        let bytes = check(&dir, filename, &tar_gz_bytes(&entries));
        assert_eq!(bytes.expect(filename), METADATA, "{filename}");
    }
    let zip = zip_bytes(
        &[
            ("foo-1.0/", b""),
            ("foo-1.0/foo.egg-info/PKG-INFO", b"nested"),
            ("foo-1.0/PKG-INFO", METADATA),
            ("foo-1.0/README -> PKG-INFO", b""),
        ],
        false,
    );
    assert_eq!(
        check(&dir, "foo-1.0.zip", &zip).expect("zip sdist"),
        METADATA
    );
}

#[test]
fn refuses_sdists_the_client_would_not_unpack() {
    use tar::EntryType::{Fifo, Link, Regular, Symlink};
    let dir = TempDir::new("check-sdist-unsafe");
    let with = |entry: (&'static str, tar::EntryType)| {
        tar_gz_bytes(&[
            ("foo-1.0/PKG-INFO", Regular, METADATA),
            (entry.0, entry.1, b""),
        ])
    };
    for (entry, reason) in [
        (("foo-1.0/../../x", Regular), "goes up a folder"),
        (("/tmp/x", Regular), "is an absolute path"),
        (
            ("foo-1.0/l -> /etc/passwd", Symlink),
            "is a link to `/etc/passwd`",
        ),
        (("foo-1.0/l -> ../../x", Symlink), "outside the project"),
        (
            ("foo-1.0/h -> /etc/shadow", Link),
            "is a hard link to `/etc/shadow`",
        ),
        (("foo-1.0/fifo", Fifo), "is a device file or a pipe"),
        (
            ("bar-1.0/x", Regular),
            "expected one top-level folder, found `foo-1.0` and `bar-1.0`",
        ),
        (
            ("foo-1.0/PKG-INFO/x", Regular),
            "passes through `foo-1.0/PKG-INFO`",
        ),
        (
            ("foo-1.0/PKG-INFO", Regular),
            "clashes with an entry before it",
        ),
    ] {
        let text = refusal(check(&dir, "foo-1.0.tar.gz", &with(entry)));
        assert!(text.contains(reason), "{}: {text}", entry.0);
    }
    // A file where an entry before it implied a folder: the client's unpacker
    // cannot write it.
    let over_folder = tar_gz_bytes(&[
        ("foo-1.0/PKG-INFO", Regular, METADATA),
        ("foo-1.0/d/x", Regular, b""),
        ("foo-1.0/d", Regular, b""),
    ]);
    assert!(
        refusal(check(&dir, "foo-1.0.tar.gz", &over_folder))
            .ends_with("its entry `foo-1.0/d` clashes with an entry before it")
    );
    let zip = zip_bytes(
        &[
            ("foo-1.0/PKG-INFO", METADATA),
            ("foo-1.0/l -> /etc/passwd", b""),
        ],
        false,
    );
    assert!(refusal(check(&dir, "foo-1.0.zip", &zip)).contains("is a link to `/etc/passwd`"));
}

/// The client reads PKG-INFO and `pyproject.toml` from the top folder only, of
/// tars and zips alike, after the same checks; either may be missing.
#[test]
fn gives_an_sdists_top_files_to_the_client() {
    use tar::EntryType::Regular;
    let dir = TempDir::new("check-sdist-files");
    let pyproject = b"[project]\nname = \"foo\"\n";
    let read = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write archive");
        let Ok(DistFilename::Sdist(filename)) = DistFilename::parse(name) else {
            panic!("{name} is not an sdist's name");
        };
        read_sdist_files(&path, &filename)
    };
    let tar = tar_gz_bytes(&[
        ("foo-1.0/sub/pyproject.toml", Regular, b"[elsewhere]"),
        ("foo-1.0/pyproject.toml", Regular, pyproject),
        ("foo-1.0/PKG-INFO", Regular, METADATA),
    ]);
    let zip = zip_bytes(
        &[
            ("foo-1.0/sub/PKG-INFO", b"elsewhere"),
            ("foo-1.0/PKG-INFO", METADATA),
            ("foo-1.0/pyproject.toml", pyproject),
        ],
        false,
    );
    for (name, bytes) in [("foo-1.0.tar.gz", &tar), ("foo-1.0.zip", &zip)] {
        let files = read(name, bytes).expect("a sound sdist");
        assert_eq!(files.pkg_info.as_deref(), Some(METADATA), "{name}");
        assert_eq!(files.pyproject.as_deref(), Some(&pyproject[..]), "{name}");
    }
    let bare = read(
        "foo-1.0.tar.gz",
        &tar_gz_bytes(&[("foo-1.0/setup.py", Regular, b"")]),
    )
    .expect("a sound sdist");
    assert!(bare.pkg_info.is_none() && bare.pyproject.is_none());
    let escaping = tar_gz_bytes(&[("foo-1.0/../pyproject.toml", Regular, pyproject)]);
    assert!(read("foo-1.0.tar.gz", &escaping).is_err());
}

#[test]
fn refuses_sdists_without_their_pkg_info() {
    use tar::EntryType::Regular;
    let dir = TempDir::new("check-sdist-missing");
    for entries in [
        vec![("bar-1.0/PKG-INFO", Regular, METADATA)],
        vec![("foo-1.1/PKG-INFO", Regular, METADATA)],
        vec![("foo-1.0/foo.egg-info/PKG-INFO", Regular, METADATA)],
    ] {
        match check(&dir, "foo-1.0.tar.gz", &tar_gz_bytes(&entries)) {
            Err(ArchiveError::MissingEntry { entry, .. }) => assert_eq!(entry, "foo-1.0/PKG-INFO"),
            other => panic!("{entries:?}: {other:?}"),
        }
    }
    assert!(refusal(check(&dir, "foo-1.0.tar.gz", &tar_gz_bytes(&[]))).contains("found nothing"));
    let top = tar_gz_bytes(&[("PKG-INFO", Regular, METADATA)]);
    assert!(refusal(check(&dir, "foo-1.0.tar.gz", &top)).contains("which is not a folder"));
    let good = tar_gz_bytes(&[("foo-1.0/PKG-INFO", Regular, METADATA)]);
    for bytes in [&good[..good.len() / 2], b"not gzip"] {
        assert!(matches!(
            check(&dir, "foo-1.0.tar.gz", bytes),
            Err(ArchiveError::NotTarGz { .. })
        ));
    }
}

#[test]
fn bounds_what_a_tar_makes_it_read() {
    use tar::EntryType::{GNULongName, Regular, XHeader};
    let dir = TempDir::new("check-tar-bounds");
    // A long name is read only up to its bound, never whole into memory.
    let name = vec![b'a'; MAX_LONG_NAME as usize + 1];
    let long = tar_gz_bytes(&[
        ("././@LongLink", GNULongName, &name),
        ("foo-1.0/PKG-INFO", Regular, METADATA),
    ]);
    assert!(
        refusal(check(&dir, "foo-1.0.tar.gz", &long)).ends_with(
            "it has a long-name or pax header of 65537 bytes, more than the 65536 allowed"
        )
    );
    // A long name within bounds names the entry after it.
    let renamed = tar_gz_bytes(&[
        ("././@LongLink", GNULongName, b"foo-1.0/../../escape\0"),
        ("foo-1.0/harmless", Regular, b""),
    ]);
    assert!(
        refusal(check(&dir, "foo-1.0.tar.gz", &renamed)).contains("`foo-1.0/../../escape` goes up")
    );
    // A pax path does too; a pax size, which would move where entries start, is refused.
    let pax = tar_gz_bytes(&[
        ("pax", XHeader, b"21 path=foo-1.0/../x\n"),
        ("foo-1.0/y", Regular, b""),
    ]);
    assert!(refusal(check(&dir, "foo-1.0.tar.gz", &pax)).contains("`foo-1.0/../x` goes up"));
    let size = tar_gz_bytes(&[
        ("pax", XHeader, b"12 size=512\n"),
        ("foo-1.0/PKG-INFO", Regular, METADATA),
    ]);
    assert!(matches!(
        check(&dir, "foo-1.0.tar.gz", &size),
        Err(ArchiveError::NotTarGz { .. })
    ));
}

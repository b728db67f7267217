use super::*;
use crate::standards::filename::DistFilename;
use crate::util::fs::TestDir as TempDir;
use std::io;
use std::io::Write;

const METADATA: &[u8] = b"Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n";

fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
    zip_bytes_with(zip::CompressionMethod::Deflated, entries)
}

fn zip_bytes_with(method: zip::CompressionMethod, entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, data) in entries {
        if name.ends_with('/') {
            writer.add_directory(*name, options).expect("zip folder");
        } else {
            writer.start_file(*name, options).expect("zip entry");
            writer.write_all(data).expect("zip data");
        }
    }
    writer.finish().expect("zip finish").into_inner()
}

fn wheel_name(filename: &str) -> WheelFilename {
    match DistFilename::parse(filename) {
        Ok(DistFilename::Wheel(wheel)) => wheel,
        other => panic!("{filename}: {other:?}"),
    }
}

/// Writes `bytes` as `filename` and reads its metadata.
fn read(dir: &TempDir, filename: &str, bytes: &[u8]) -> Result<Vec<u8>, ArchiveError> {
    let path = dir.join(filename);
    std::fs::write(&path, bytes).expect("write archive");
    read_wheel_metadata(&path, &wheel_name(filename))
}

#[test]
fn reads_wheel_metadata() {
    let dir = TempDir::new("wheel");
    for (filename, entries) in [
        (
            "foo-1.0-py3-none-any.whl",
            vec![
                ("foo/__init__.py", &b"x = 1\n"[..]),
                ("foo-1.0.data/scripts/foo", b"#!python\n"),
                ("foo-1.0.dist-info/", b""),
                ("foo-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n"),
                ("foo-1.0.dist-info/METADATA", METADATA),
                ("foo-1.0.dist-info/RECORD", b""),
                ("foo/sub.dist-info/METADATA", b"nested, not it"),
            ],
        ),
        // Old wheels spell the folder as the project did.
        (
            "zope.interface-4.0-cp27-none-linux_x86_64.whl",
            vec![("Zope.Interface-4.0.dist-info/METADATA", METADATA)],
        ),
        (
            "Foo_Bar-2.0-1-py2.py3-none-any.whl",
            vec![
                ("Foo_Bar-2.0.dist-info/METADATA", METADATA),
                ("foo_bar/x.py", b""),
            ],
        ),
    ] {
        let bytes = read(&dir, filename, &zip_bytes(&entries));
        assert_eq!(bytes.expect(filename), METADATA, "{filename}");
    }
}

/// Big entries are stored uncompressed, because compressing megabytes in a
/// debug build is slow; the declared sizes are what a bomb would declare.
#[test]
fn reads_metadata_up_to_the_limit_and_no_further() {
    let dir = TempDir::new("bomb");
    let wheel = "foo-1.0-py3-none-any.whl";
    let entry = "foo-1.0.dist-info/METADATA";
    let limit = usize::try_from(MAX_METADATA_BYTES).expect("limit");
    let at_limit = vec![b'a'; limit];
    let stored = zip::CompressionMethod::Stored;
    let bytes = read(&dir, wheel, &zip_bytes_with(stored, &[(entry, &at_limit)]));
    assert_eq!(bytes.expect("at the limit").len(), limit);
    let over = vec![b'a'; limit + 1];
    let mut bomb = zip_bytes_with(stored, &[(entry, &over)]);
    match read(&dir, wheel, &bomb) {
        Err(ArchiveError::TooLarge { entry: found, .. }) => assert_eq!(found, entry),
        other => panic!("{other:?}"),
    }
    // A header that lies (declaring 1 byte) is caught by the zip reader or by
    // the bound: patch the uncompressed size in the local header (offset 22)
    // and the central one (24).
    for (signature, offset) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
        let at = bomb
            .windows(4)
            .position(|w| w == signature)
            .expect("zip header");
        bomb[at + offset..at + offset + 4].copy_from_slice(&1u32.to_le_bytes());
    }
    match read(&dir, wheel, &bomb) {
        Err(
            ArchiveError::TooLarge { entry: found, .. }
            | ArchiveError::UnreadableEntry { entry: found, .. },
        ) => assert_eq!(found, entry),
        other => panic!("{other:?}"),
    }
}

#[test]
fn refuses_wheels_without_one_matching_dist_info() {
    let dir = TempDir::new("dist-info");
    let wheel = "foo-1.0-py3-none-any.whl";
    let two = zip_bytes(&[
        ("foo-1.0.dist-info/METADATA", METADATA),
        ("foo-1.0.dist-info/RECORD", b""),
        ("bar-1.0.dist-info/METADATA", METADATA),
    ]);
    match read(&dir, wheel, &two) {
        Err(ArchiveError::MultipleDistInfo { first, second, .. }) => {
            assert_eq!(
                (first.as_str(), second.as_str()),
                ("foo-1.0.dist-info", "bar-1.0.dist-info")
            )
        }
        other => panic!("{other:?}"),
    }
    let same_project_twice = zip_bytes(&[
        ("foo-1.0.dist-info/METADATA", METADATA),
        ("foo-2.0.dist-info/METADATA", METADATA),
    ]);
    assert!(matches!(
        read(&dir, wheel, &same_project_twice),
        Err(ArchiveError::MultipleDistInfo { .. })
    ));
    for entries in [
        vec![("foo/__init__.py", &b""[..])],
        vec![("foo/foo-1.0.dist-info/METADATA", METADATA)],
        vec![("foo-1.0.dist-info", METADATA)],
        vec![],
    ] {
        match read(&dir, wheel, &zip_bytes(&entries)) {
            Err(ArchiveError::NoDistInfo { expected, .. }) => {
                assert_eq!(expected, "foo-1.0.dist-info")
            }
            other => panic!("{entries:?}: {other:?}"),
        }
    }
    for folder in [
        "bar-1.0.dist-info",
        "foobar-1.0.dist-info",
        "foo.dist-info",
        "-1.0.dist-info",
    ] {
        let entry = format!("{folder}/METADATA");
        match read(&dir, wheel, &zip_bytes(&[(&entry, METADATA)])) {
            Err(ArchiveError::DistInfoMismatch {
                found, expected, ..
            }) => {
                assert_eq!(
                    (found.as_str(), expected.as_str()),
                    (folder, "foo-1.0.dist-info")
                )
            }
            other => panic!("{folder}: {other:?}"),
        }
    }
    let no_metadata = zip_bytes(&[("foo-1.0.dist-info/RECORD", b"")]);
    match read(&dir, wheel, &no_metadata) {
        Err(ArchiveError::MissingEntry { entry, .. }) => {
            assert_eq!(entry, "foo-1.0.dist-info/METADATA")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn refuses_what_is_not_a_sound_zip() {
    let dir = TempDir::new("not-zip");
    let wheel = "foo-1.0-py3-none-any.whl";
    let good = zip_bytes(&[("foo-1.0.dist-info/METADATA", METADATA)]);
    for bytes in [
        &good[..good.len() / 2],
        &good[..good.len() - 1],
        b"not a zip at all",
        b"",
        b"\x1f\x8b\x08\x00 a gzip stream",
    ] {
        assert!(
            matches!(read(&dir, wheel, bytes), Err(ArchiveError::NotZip { .. })),
            "{:?}",
            read(&dir, wheel, bytes)
        );
    }
    // Two entries with one name: rename the second entry in place.
    let mut twice = zip_bytes(&[
        ("foo-1.0.dist-info/METADATA", METADATA),
        (
            "foo-1.0.dist-info/METADATB",
            b"Metadata-Version: 2.1\nName: evil\n",
        ),
    ]);
    let (from, to) = (b"METADATB", b"METADATA");
    let mut i = 0;
    while i + from.len() <= twice.len() {
        if &twice[i..i + from.len()] == from {
            twice[i..i + from.len()].copy_from_slice(to);
        }
        i += 1;
    }
    assert!(matches!(
        read(&dir, wheel, &twice),
        Err(ArchiveError::DuplicateEntries { .. })
    ));
    let missing = dir.join("missing.whl");
    match read_wheel_metadata(&missing, &wheel_name(wheel)) {
        Err(ArchiveError::Io(error)) => assert_eq!(error.path, missing),
        other => panic!("{other:?}"),
    }
}

/// The entry count is read from the end record before any entry: a wheel that
/// claims a trillion entries is refused without a table of them.
#[test]
fn refuses_wheels_claiming_too_many_entries() {
    let dir = TempDir::new("claims");
    let wheel = "foo-1.0-py3-none-any.whl";
    let good = zip_bytes(&[("foo-1.0.dist-info/METADATA", METADATA)]);
    assert_eq!(
        read(
            &dir,
            wheel,
            &crate::archive::testing::claiming_entries(&good, 1)
        )
        .expect("a zip64 end record with the true count"),
        METADATA
    );
    let claims = crate::archive::testing::claiming_entries(&good, 1 << 40);
    let err = read(&dir, wheel, &claims).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "refusing `{}`: it holds more than 100000 entries",
            dir.join(wheel).display()
        )
    );
}

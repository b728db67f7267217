use super::*;
use crate::util::fs::TestDir as TempDir;
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

fn tar_gz_bytes(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
    tar_gz_bytes_with(flate2::Compression::fast(), entries)
}

fn tar_gz_bytes_with(
    level: flate2::Compression,
    entries: &[(&str, tar::EntryType, &[u8])],
) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), level);
    let mut builder = tar::Builder::new(gz);
    for (name, kind, data) in entries {
        let mut header = tar::Header::new_gnu();
        // Written raw, so names such as `./x` or `../x` reach the reader unchanged.
        let raw = &mut header.as_gnu_mut().expect("gnu header").name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
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

fn wheel_name(filename: &str) -> WheelFilename {
    match DistFilename::parse(filename) {
        Ok(DistFilename::Wheel(wheel)) => wheel,
        other => panic!("{filename}: {other:?}"),
    }
}

fn sdist_name(filename: &str) -> SdistFilename {
    match DistFilename::parse(filename) {
        Ok(DistFilename::Sdist(sdist)) => sdist,
        other => panic!("{filename}: {other:?}"),
    }
}

/// Writes `bytes` as `filename` and reads its metadata.
fn read(dir: &TempDir, filename: &str, bytes: &[u8]) -> Result<Vec<u8>, ArchiveError> {
    let path = dir.join(filename);
    std::fs::write(&path, bytes).expect("write archive");
    match DistFilename::parse(filename) {
        Ok(DistFilename::Wheel(wheel)) => read_wheel_metadata(&path, &wheel),
        Ok(DistFilename::Sdist(sdist)) => read_sdist_metadata(&path, &sdist),
        Err(error) => panic!("{error}"),
    }
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
    let bomb = tar_gz_bytes_with(
        flate2::Compression::none(),
        &[("foo-1.0/PKG-INFO", tar::EntryType::Regular, &over)],
    );
    assert!(matches!(
        read(&dir, "foo-1.0.tar.gz", &bomb),
        Err(ArchiveError::TooLarge { .. })
    ));
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
        &tar_gz_bytes(&[("foo-1.0/PKG-INFO", tar::EntryType::Regular, METADATA)]),
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

#[test]
fn reads_sdist_metadata() {
    use tar::EntryType::{Directory, Regular, Symlink};
    let dir = TempDir::new("sdist");
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
                    "python-dateutil-2.8.2/python_dateutil.egg-info/PKG-INFO",
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
        // A symbolic link is not the file.
        (
            "foo-2.0.tar.gz",
            vec![
                ("foo-2.0/PKG-INFO", Symlink, b""),
                ("foo-2.0/PKG-INFO", Regular, METADATA),
            ],
        ),
    ] {
        let bytes = read(&dir, filename, &tar_gz_bytes(&entries));
        assert_eq!(bytes.expect(filename), METADATA, "{filename}");
    }
    let zip = zip_bytes(&[
        ("foo-1.0/", b""),
        ("foo-1.0/PKG-INFO/", b""),
        ("foo-1.0/foo.egg-info/PKG-INFO", b"nested"),
        ("foo-1.0/PKG-INFO", METADATA),
    ]);
    assert_eq!(
        read(&dir, "foo-1.0.zip", &zip).expect("zip sdist"),
        METADATA
    );
}

#[test]
fn refuses_sdists_without_their_pkg_info() {
    use tar::EntryType::{Regular, Symlink};
    let dir = TempDir::new("sdist-missing");
    for entries in [
        vec![],
        vec![("bar-1.0/PKG-INFO", Regular, METADATA)],
        vec![("foo-1.1/PKG-INFO", Regular, METADATA)],
        vec![("PKG-INFO", Regular, METADATA)],
        vec![("foo-1.0/foo.egg-info/PKG-INFO", Regular, METADATA)],
        vec![("../foo-1.0/PKG-INFO", Regular, METADATA)],
        vec![("foo-1.0/PKG-INFO", Symlink, b"")],
    ] {
        match read(&dir, "foo-1.0.tar.gz", &tar_gz_bytes(&entries)) {
            Err(ArchiveError::MissingEntry { entry, .. }) => {
                assert_eq!(entry, "foo-1.0/PKG-INFO")
            }
            other => panic!("{entries:?}: {other:?}"),
        }
    }
    match read(
        &dir,
        "foo-1.0.zip",
        &zip_bytes(&[("bar-1.0/PKG-INFO", METADATA)]),
    ) {
        Err(ArchiveError::MissingEntry { entry, .. }) => assert_eq!(entry, "foo-1.0/PKG-INFO"),
        other => panic!("{other:?}"),
    }
    let noise: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let good = tar_gz_bytes(&[
        ("foo-1.0/big.bin", Regular, &noise),
        ("foo-1.0/PKG-INFO", Regular, METADATA),
    ]);
    for bytes in [
        &good[..good.len() / 2],
        b"not gzip",
        &zip_bytes(&[("foo-1.0/PKG-INFO", METADATA)]),
    ] {
        assert!(
            matches!(
                read(&dir, "foo-1.0.tar.gz", bytes),
                Err(ArchiveError::NotTarGz { .. })
            ),
            "{:?}",
            read(&dir, "foo-1.0.tar.gz", bytes)
        );
    }
    assert!(matches!(
        read(&dir, "foo-1.0.zip", &good),
        Err(ArchiveError::NotZip { .. })
    ));
    let missing = dir.join("missing.tar.gz");
    assert!(matches!(
        read_sdist_metadata(&missing, &sdist_name("foo-1.0.tar.gz")),
        Err(ArchiveError::Io(_))
    ));
}

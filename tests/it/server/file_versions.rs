//! What the server knows of each version of a stored file: the ETag is the hash of
//! the very bytes sent, even while `--overwrite` replaces the file; `.metadata` is
//! read from a wheel once, not per request; and the temporary files of uploads cut
//! short by a crash are cleared, never those of an upload still running.

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::support::crafted;
use crate::support::dists::{WheelSpec, sha256_hex};
use crate::support::files::{INCOMING, listing};
use crate::support::http::parse_reply;
use crate::support::rng::Rng;
use crate::support::servers::Server;
use crate::support::tmp::{TempDir, mkdir};

const WHEEL: &str = "delta-1.0-py3-none-any.whl";

/// The same wheel with another zip comment of the same length: other bytes, the
/// same size, the same name and metadata.
fn with_comment(wheel: &[u8], comment: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(wheel)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        out.raw_copy_file(archive.by_index_raw(i).unwrap()).unwrap();
    }
    out.set_comment(comment).unwrap();
    out.finish().unwrap().into_inner()
}

#[test]
fn etags_match_the_bytes_sent_while_overwrites_replace_the_file() {
    let tmp = TempDir::new("etag-overwrite");
    let wheels = tmp.path().join("wheels");
    let dist = mkdir(tmp.path().join("dist"));
    let server = Server::start(&wheels, &["--overwrite"]);
    let base = std::fs::read(WheelSpec::new("delta", "1.0").build(&dist)).unwrap();
    let versions: Vec<Vec<u8>> = (0..4)
        .map(|i| with_comment(&base, &format!("v{i}")))
        .collect();
    assert!(versions.iter().all(|v| v.len() == versions[0].len()));
    let path = format!("/p/{WHEEL}");
    assert_eq!(server.request("PUT", &path, &[], &versions[0]).status, 201);
    let writing = AtomicBool::new(true);
    let (downloads, wrong) = std::thread::scope(|s| {
        let readers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let (mut downloads, mut wrong) = (0, Vec::new());
                    while writing.load(Ordering::Relaxed) && downloads < 2000 {
                        let reply = server.get(&path);
                        assert_eq!(reply.status, 200, "{}", reply.text());
                        assert!(versions.contains(&reply.body), "a whole version");
                        let etag = reply.header("etag").unwrap_or_default();
                        if etag != format!("\"{}\"", sha256_hex(&reply.body)) {
                            wrong.push(etag.to_string());
                        }
                        downloads += 1;
                    }
                    (downloads, wrong)
                })
            })
            .collect();
        for round in 1..300 {
            let reply = server.request("PUT", &path, &[], &versions[round % versions.len()]);
            assert_eq!(reply.status, 200, "{}", reply.text());
        }
        writing.store(false, Ordering::Relaxed);
        readers.into_iter().map(|r| r.join().unwrap()).fold(
            (0, Vec::new()),
            |(n, mut all), (d, w)| {
                all.extend(w);
                (n + d, all)
            },
        )
    });
    assert!(downloads > 100, "{downloads} downloads");
    assert!(
        wrong.is_empty(),
        "{} of {downloads} ETags were not the hash of the bytes sent",
        wrong.len()
    );
}

#[test]
fn etags_match_the_bytes_sent_when_a_file_is_replaced_behind_the_servers_back() {
    let tmp = TempDir::new("etag-replaced");
    let wheels = mkdir(tmp.path().join("wheels"));
    let dist = mkdir(tmp.path().join("dist"));
    let base = std::fs::read(WheelSpec::new("delta", "1.0").build(&dist)).unwrap();
    // As `rsync -a` replaces a file: a new file of the same size, given the old
    // one's modification time, renamed over it.
    let when = SystemTime::now() - Duration::from_secs(3600);
    let replace = |bytes: &[u8]| {
        let temp = wheels.join(".sync-tmp");
        std::fs::write(&temp, bytes).unwrap();
        File::options()
            .write(true)
            .open(&temp)
            .unwrap()
            .set_modified(when)
            .unwrap();
        std::fs::rename(&temp, wheels.join(WHEEL)).unwrap();
    };
    replace(&with_comment(&base, "v0"));
    let server = Server::start(&wheels, &[]);
    for version in ["v1", "v2", "v3", "v0"] {
        let bytes = with_comment(&base, version);
        replace(&bytes);
        let reply = server.get(&format!("/p/{WHEEL}"));
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.body, bytes, "{version}");
        let etag = reply.header("etag").unwrap_or_default();
        assert_eq!(etag, format!("\"{}\"", sha256_hex(&bytes)), "{version}");
    }
}

#[test]
fn metadata_is_read_from_a_wheel_once_not_per_request() {
    let tmp = TempDir::new("metadata-cache");
    let wheels = mkdir(tmp.path().join("wheels"));
    // Ninety thousand entries: under the limit, and a central directory that is
    // costly to read again for each request.
    std::fs::write(
        wheels.join(WHEEL),
        crafted::wheel_with_files("delta", "1.0", 90_000),
    )
    .unwrap();
    let server = Server::start(&wheels, &[]);
    let path = format!("/p/{WHEEL}.metadata");
    let first = server.get(&path);
    assert_eq!(first.status, 200, "{}", first.text());
    assert!(first.text().contains("Name: delta"), "{}", first.text());
    let settled = server.peak_memory_kib();
    std::thread::scope(|s| {
        let requests: Vec<_> = (0..32).map(|_| s.spawn(|| server.get(&path))).collect();
        for request in requests {
            let reply = request.join().unwrap();
            assert_eq!(reply.status, 200, "{}", reply.text());
            assert_eq!(reply.body, first.body);
        }
    });
    let grew = server.peak_memory_kib().saturating_sub(settled);
    assert!(
        grew < 16 * 1024,
        "32 requests for .metadata grew the server's peak memory by {grew} KiB"
    );
}

/// A temporary file as a crashed upload leaves it: nobody holds it, and it was
/// last written ten minutes ago.
fn debris(dir: &Path, name: &str) {
    let file = File::create(dir.join(name)).unwrap();
    file.set_len(1 << 20).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(600))
        .unwrap();
}

fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn temporary_files_of_dead_uploads_are_removed_and_live_ones_kept() {
    let tmp = TempDir::new("debris");
    let wheels = mkdir(tmp.path().join("wheels"));
    debris(&wheels, ".curd-tmp-4000000-0");
    // Held open and locked as an upload in progress holds its file, by a process
    // still running (this one).
    debris(&wheels, ".curd-tmp-4000001-0");
    let live = File::options()
        .write(true)
        .open(wheels.join(".curd-tmp-4000001-0"))
        .unwrap();
    live.try_lock().unwrap();
    let server = Server::start(&wheels, &[]);
    wait_until("debris removed at start-up", || {
        !wheels.join(".curd-tmp-4000000-0").exists()
    });
    assert!(
        wheels.join(".curd-tmp-4000001-0").exists(),
        "a live upload's file was removed"
    );

    // A crash while the server runs: cleared by the next upload's sweep.
    let incoming = wheels.join(INCOMING);
    debris(&incoming, ".curd-tmp-4000002-5");
    let dist = mkdir(tmp.path().join("dist"));
    let wheel = std::fs::read(WheelSpec::new("delta", "1.0").build(&dist)).unwrap();
    assert_eq!(
        server
            .request("PUT", &format!("/p/{WHEEL}"), &[], &wheel)
            .status,
        201
    );
    wait_until("debris removed", || {
        !incoming.join(".curd-tmp-4000002-5").exists()
    });
    assert!(wheels.join(".curd-tmp-4000001-0").exists());
    drop(live);
}

#[test]
fn a_crash_just_before_a_restart_leaves_nothing_behind() {
    let tmp = TempDir::new("debris-fresh");
    let wheels = mkdir(tmp.path().join("wheels"));
    // Written a moment ago by an upload whose server was killed.
    std::fs::write(wheels.join(".curd-tmp-4000003-0"), vec![0u8; 1 << 20]).unwrap();
    let server = Server::start(&wheels, &[]);
    assert_eq!(server.get("/simple/").status, 200);
    assert_eq!(listing(&wheels), Vec::<String>::new(), "{}", server.log());
}

#[test]
fn a_second_server_on_the_folder_keeps_the_first_ones_upload() {
    let tmp = TempDir::new("two-servers");
    let wheels = mkdir(tmp.path().join("wheels"));
    let dist = mkdir(tmp.path().join("dist"));
    // Larger than a body the server keeps in memory, so it goes to a temporary
    // file in the folder's incoming folder as it arrives; text deflate cannot shrink much.
    let mut rng = Rng::seeded(3);
    let filler: String = (0..64 * 1024)
        .map(|_| char::from(b'a' + rng.below(26) as u8))
        .collect();
    let spec = WheelSpec {
        files: &[("delta/filler.txt", &filler)],
        ..WheelSpec::new("delta", "1.0")
    };
    let wheel = std::fs::read(spec.build(&dist)).unwrap();
    let first = Server::start(&wheels, &[]);
    let mut upload = TcpStream::connect(first.addr).unwrap();
    upload
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let head = format!(
        "PUT /p/{WHEEL} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        wheel.len()
    );
    let half = wheel.len() / 2;
    upload.write_all(head.as_bytes()).unwrap();
    upload.write_all(&wheel[..half]).unwrap();
    let temp = || {
        listing(&wheels)
            .into_iter()
            .find(|n| n.starts_with(&format!("{INCOMING}/.curd-tmp-")))
    };
    wait_until("the upload's temporary file", || temp().is_some());
    // Idle long enough to look abandoned by its age alone.
    let held = wheels.join(temp().unwrap());
    File::options()
        .write(true)
        .open(&held)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(7200))
        .unwrap();
    let second = Server::start(&wheels, &[]);
    let other = std::fs::read(WheelSpec::new("epsilon", "1.0").build(&dist)).unwrap();
    let path = "/p/epsilon-1.0-py3-none-any.whl";
    assert_eq!(second.request("PUT", path, &[], &other).status, 201);
    assert!(
        held.exists(),
        "the second server removed the first one's upload in progress"
    );
    upload.write_all(&wheel[half..]).unwrap();
    let mut raw = Vec::new();
    upload.read_to_end(&mut raw).unwrap();
    let reply = parse_reply(&raw, false);
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(std::fs::read(wheels.join(WHEEL)).unwrap(), wheel);
}

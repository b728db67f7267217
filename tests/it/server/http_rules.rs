//! The HTTP/1.1 rules curd-server keeps, checked over raw sockets and with curl:
//! every head gets an answer (bare LF line ends, a head that never ends), every
//! answer a Date, chunked request bodies are decoded under the upload limit, and a
//! full disk is told as 507.

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::dists::WheelSpec;
use crate::support::files::{fixture, listing};
use crate::support::http::{Reply, answer_within, basic};
use crate::support::process::{command, run_ok};
use crate::support::servers::Server;
use crate::support::tmp::{TempDir, mkdir};

fn folder(dir: &Path) -> PathBuf {
    let wheels = mkdir(dir.join("wheels"));
    WheelSpec::new("alpha", "1.0").build(&wheels);
    wheels
}

/// Sends `bytes` on a new connection and reads the answer, closed after it.
fn exchange(server: &Server, bytes: &[u8]) -> Reply {
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.write_all(bytes).unwrap();
    answer_within(
        &mut s,
        Duration::from_secs(10),
        &String::from_utf8_lossy(bytes),
    )
}

/// A wheel made for the test, as bytes, with its file name.
fn wheel(dir: &Path, name: &str) -> (String, Vec<u8>) {
    let spec = WheelSpec::new(name, "1.0");
    let path = spec.build(&mkdir(dir.join("dist")));
    (spec.file_name(), std::fs::read(path).unwrap())
}

/// `body` in chunks of `size` bytes, each with a chunk extension, then a trailer.
fn chunked(body: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in body.chunks(size) {
        out.extend_from_slice(format!("{:x};piece=1\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\nX-Trailer: yes\r\n\r\n");
    out
}

#[test]
fn heads_with_bare_lf_line_ends_are_answered() {
    let tmp = TempDir::new("bare-lf");
    let server = Server::start(&folder(tmp.path()), &[]);
    let reply = exchange(
        &server,
        b"GET /health HTTP/1.1\nHost: x\nConnection: close\n\n",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = exchange(
        &server,
        b"GET /simple/ HTTP/1.1\r\nHost: x\nConnection: close\r\n\n",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
}

#[test]
fn a_head_not_finished_in_time_gets_408() {
    let tmp = TempDir::new("408");
    let server = Server::start(&folder(tmp.path()), &[]);
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.write_all(b"GET /simple/ HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // The limit is 10 s; the guard leaves room for a busy machine.
    let reply = answer_within(&mut s, Duration::from_secs(30), "a head never finished");
    assert_eq!(reply.status, 408, "{}", reply.text());
    assert_eq!(reply.header("connection"), Some("close"));
}

#[test]
fn every_answer_has_a_date() {
    let tmp = TempDir::new("date");
    let server = Server::start(&folder(tmp.path()), &[]);
    let now = run_ok(Command::new("date").args(["-u", "+%Y"]));
    for reply in [
        server.get("/simple/"),
        server.get("/p/alpha-1.0-py3-none-any.whl"),
        server.get("/nowhere"),
        exchange(&server, b"BLAH\r\n\r\n"),
    ] {
        let date = reply
            .header("date")
            .unwrap_or_else(|| panic!("no Date: {reply:?}"));
        // IMF-fixdate (RFC 9110 5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.
        let parts: Vec<&str> = date.split(' ').collect();
        assert_eq!(parts.len(), 6, "{date}");
        assert!(
            ["Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,", "Sun,"].contains(&parts[0]),
            "{date}"
        );
        assert_eq!(parts[1].len(), 2, "{date}");
        assert_eq!(parts[3], now.trim(), "{date}");
        assert_eq!(parts[4].len(), 8, "{date}");
        assert_eq!(parts[5], "GMT", "{date}");
    }
}

#[test]
fn curl_uploads_chunked_bodies() {
    let tmp = TempDir::new("curl-chunked");
    let wheels = folder(tmp.path());
    let server = Server::start(&wheels, &[]);
    let (name, bytes) = wheel(tmp.path(), "delta");
    let file = tmp.path().join("dist").join(&name);
    let curl = |args: &[&str]| {
        run_ok(
            command("curl")
                .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}"])
                .args(args),
        )
    };
    let url = format!("{}/p/{name}", server.url);
    let status = curl(&[
        "-T",
        file.to_str().unwrap(),
        "-H",
        "Transfer-Encoding: chunked",
        &url,
    ]);
    assert_eq!(status, "201");
    assert_eq!(std::fs::read(wheels.join(&name)).unwrap(), bytes);

    // From a pipe, whose length curl cannot know.
    let (name, bytes) = wheel(tmp.path(), "epsilon");
    let file = tmp.path().join("dist").join(&name);
    let url = format!("{}/p/{name}", server.url);
    let status = run_ok(Command::new("sh").args([
        "-c",
        "cat \"$1\" | curl -sS -o /dev/null -w '%{http_code}' -X PUT --data-binary @- \
         -H 'Transfer-Encoding: chunked' \"$2\"",
        "sh",
        file.to_str().unwrap(),
        &url,
    ]));
    assert_eq!(status, "201");
    assert_eq!(std::fs::read(wheels.join(&name)).unwrap(), bytes);
}

#[test]
fn chunked_bodies_are_decoded_under_the_upload_limit() {
    let tmp = TempDir::new("raw-chunked");
    let wheels = folder(tmp.path());
    let server = Server::start(&wheels, &["--max-upload-size", "64K"]);
    let (name, bytes) = wheel(tmp.path(), "zeta");
    let put = |path: &str, headers: &str, body: &[u8]| {
        let mut raw =
            format!("PUT {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}\r\n")
                .into_bytes();
        raw.extend_from_slice(body);
        exchange(&server, &raw)
    };
    let te = "Transfer-Encoding: chunked\r\n";
    let reply = put(&format!("/p/{name}"), te, &chunked(&bytes, 100));
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(std::fs::read(wheels.join(&name)).unwrap(), bytes);

    let big = vec![7u8; 100_000];
    let cases: &[(&str, &[u8], u16)] = &[
        (te, b"zz\r\nabc\r\n0\r\n\r\n", 400),
        (te, b"3\r\nabcd\r\n0\r\n\r\n", 400),
        (te, b"-1\r\n\r\n", 400),
        (te, b"ffffffffffffffffffff\r\n", 413),
        (te, &chunked(&big, 4096), 413),
        ("Transfer-Encoding: gzip\r\n", b"", 501),
        (
            "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
            b"0\r\n\r\n",
            400,
        ),
    ];
    for (headers, body, status) in cases {
        let reply = put("/p/eta-1.0-py3-none-any.whl", headers, body);
        assert_eq!(
            reply.status,
            *status,
            "{headers:?} {:?}: {}",
            String::from_utf8_lossy(&body[..body.len().min(40)]),
            reply.text()
        );
        assert_eq!(reply.text().trim().lines().count(), 1, "{}", reply.text());
    }
    assert_eq!(listing(&wheels).len(), 2, "{:?}", listing(&wheels));
}

#[test]
fn version_flag_prints_the_version() {
    let out = run_ok(command(env!("CARGO_BIN_EXE_curd-server")).arg("--version"));
    assert_eq!(out, format!("curd-server {}\n", env!("CARGO_PKG_VERSION")));
}

/// curd-server in its own mount namespace, on a tmpfs made with `options` and,
/// with `fill`, every inode of it taken: a full disk only this process sees, gone
/// when it exits.
fn on_small_disk(dir: &Path, options: &str, fill: bool) -> Server {
    let script = format!(
        "for d; do :; done; mount -t tmpfs -o {options} curd-test \"$d\" || exit 1; \
         i=0; while {fill} && touch \"$d/.fill$i\" 2>/dev/null; do i=$((i+1)); done; \
         exec \"$0\" \"$@\""
    );
    Server::start_binary(
        "unshare",
        &[
            "--mount",
            "sh",
            "-c",
            &script,
            env!("CARGO_BIN_EXE_curd-server"),
        ],
        dir,
        &[],
    )
}

#[test]
fn a_full_disk_is_answered_507() {
    let tmp = TempDir::new("507");
    let (name, bytes) = wheel(tmp.path(), "theta");
    let big = vec![1u8; 1 << 20];
    // No inode left: no temporary file can be made, for a small body or a large one.
    let no_inodes = on_small_disk(&mkdir(tmp.path().join("inodes")), "nr_inodes=16", true);
    for body in [&bytes, &big] {
        let reply = no_inodes.request("PUT", &format!("/p/{name}"), &[], body);
        assert_eq!(reply.status, 507, "{} bytes: {}", body.len(), reply.text());
    }
    // No byte left for a large body.
    let no_space = on_small_disk(&mkdir(tmp.path().join("bytes")), "size=256k", false);
    let reply = no_space.request("PUT", &format!("/p/{name}"), &[], &big);
    assert_eq!(reply.status, 507, "{}", reply.text());
    assert_eq!(no_space.get("/health").status, 200);
}

#[test]
fn a_held_back_body_is_asked_for_only_when_it_is_wanted() {
    let tmp = TempDir::new("continue");
    let wheels = folder(tmp.path());
    let users = fixture("htpasswd/apr1");
    let server = Server::start(&wheels, &["-u", users.to_str().unwrap()]);
    let (name, bytes) = wheel(tmp.path(), "iota");
    let head = |login: &str| {
        format!(
            "PUT /p/{name} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{login}\
             Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
            bytes.len()
        )
    };
    // Without a login: the final answer at once, and no 100.
    let reply = exchange(&server, head("").as_bytes());
    assert_eq!(reply.status, 401, "{}", reply.text());

    let login = format!("Authorization: {}\r\n", basic("alice", "wonderland"));
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.write_all(head(&login).as_bytes()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut interim = [0u8; 25];
    std::io::Read::read_exact(&mut s, &mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    s.write_all(&bytes).unwrap();
    let reply = answer_within(&mut s, Duration::from_secs(10), "the upload after 100");
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(std::fs::read(wheels.join(&name)).unwrap(), bytes);
}

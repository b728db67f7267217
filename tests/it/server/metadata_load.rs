//! `.metadata` requests for wheels whose METADATA is large and not in the cache:
//! answers that are never read share one copy of it, however many there are;
//! requests whose clients have gone cost no worker, nor keep another client
//! waiting; and METADATA too large to serve on its own is offered only inside its
//! wheel.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::crafted::{ZipEntry, zip};
use crate::support::http::connect_from;
use crate::support::servers::Server;
use crate::support::tmp::{TempDir, mkdir};

/// Wheels whose METADATA, all told, is larger than the server's 64 MiB metadata
/// cache.
const WHEELS: usize = 6;
/// Each wheel's METADATA: far more than a socket's buffers take of an answer.
const LARGE: usize = 15 << 20;

/// `big{i}-1.0`, whose METADATA is a description of `size` bytes that deflates to
/// a few KiB.
fn big_metadata_wheels(dir: &Path, count: usize, size: usize) {
    let description = "A".repeat(size);
    for i in 0..count {
        let name = format!("big{i}");
        let info = format!("{name}-1.0.dist-info");
        let metadata =
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n\n{description}\n");
        let wheel_meta =
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n";
        let bytes = zip(&[
            ZipEntry::File("module.py", b"x = 1\n"),
            ZipEntry::File(&format!("{info}/METADATA"), metadata.as_bytes()),
            ZipEntry::File(&format!("{info}/WHEEL"), wheel_meta.as_bytes()),
            ZipEntry::File(&format!("{info}/RECORD"), b""),
        ]);
        std::fs::write(dir.join(format!("{name}-1.0-py3-none-any.whl")), bytes).unwrap();
    }
}

fn metadata_request(i: usize) -> String {
    format!(
        "GET /p/big{}-1.0-py3-none-any.whl.metadata HTTP/1.1\r\nHost: x\r\n\r\n",
        i % WHEELS
    )
}

/// Reads until the end of an answer's head: the answer is made and being sent.
fn read_head(stream: &mut TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            other => panic!("no answer head: {other:?} after {head:?}"),
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// A connection from 127.0.0.`host` with a receive buffer so small that an answer
/// the client never reads stays almost whole in the server.
fn tight(host: u8, server: std::net::SocketAddr) -> TcpStream {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let local = std::net::SocketAddr::from(([127, 0, 0, host], 0));
    socket.bind(&local.into()).unwrap();
    socket.connect(&server.into()).unwrap();
    socket.into()
}

#[test]
fn unread_metadata_answers_share_one_copy_per_wheel() {
    let tmp = TempDir::new("metadata-memory");
    let wheels = mkdir(tmp.path().join("wheels"));
    big_metadata_wheels(&wheels, WHEELS, LARGE);
    let server = Server::start(&wheels, &[]);
    // Sixty answers of 15 MiB, never read, wheel after wheel, an order that
    // always misses a cache too small for all: a copy each would be 900 MiB.
    let mut held = Vec::new();
    for i in 0..60 {
        let mut s = tight(10, server.addr);
        s.write_all(metadata_request(i).as_bytes()).unwrap();
        let head = read_head(&mut s);
        let status = head.split(' ').nth(1).unwrap_or_default();
        assert!(["200", "404", "503"].contains(&status), "{head}");
        held.push(s);
    }
    let peak_mib = server.peak_memory_kib() >> 10;
    assert!(
        peak_mib < 300,
        "60 unread .metadata answers of {WHEELS} wheels took the server to {peak_mib} MiB"
    );
    drop(held);
}

#[test]
fn metadata_too_large_to_serve_alone_is_offered_only_in_its_wheel() {
    let tmp = TempDir::new("metadata-bound");
    let wheels = mkdir(tmp.path().join("wheels"));
    big_metadata_wheels(&wheels, 1, 3 << 20);
    let server = Server::start(&wheels, &[]);
    let page = server.get("/simple/big0/");
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(
        page.text().contains("big0-1.0-py3-none-any.whl"),
        "{}",
        page.text()
    );
    assert!(!page.text().contains("metadata"), "{}", page.text());
    let metadata = server.get("/p/big0-1.0-py3-none-any.whl.metadata");
    assert_eq!(metadata.status, 404, "{}", metadata.text());
    assert_eq!(server.get("/p/big0-1.0-py3-none-any.whl").status, 200);
}

#[test]
fn requests_of_clients_that_left_cost_others_no_wait() {
    let tmp = TempDir::new("metadata-stall");
    let wheels = mkdir(tmp.path().join("wheels"));
    big_metadata_wheels(&wheels, WHEELS, LARGE);
    let server = Server::start(&wheels, &[]);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        // One address sends requests that miss the cache and leaves at once,
        // hundreds of times a second.
        for t in 0..4 {
            let (stop, addr) = (&stop, server.addr);
            scope.spawn(move || {
                let mut i = t * 10;
                while !stop.load(Ordering::Relaxed) {
                    let mut s = connect_from(10, addr);
                    let _ = s.write_all(metadata_request(i).as_bytes());
                    i += 1;
                    std::thread::sleep(Duration::from_millis(10));
                }
            });
        }
        std::thread::sleep(Duration::from_secs(2));
        let started = Instant::now();
        // Others are answered meanwhile (a hang guard: a server busy with
        // abandoned requests answers after seconds), and that address itself too,
        // in its turn: the connections it closed no longer count against it.
        let mut failure = None;
        for host in [1, 10, 1, 10, 1, 10] {
            let mut s = connect_from(host, server.addr);
            s.write_all(b"GET /simple/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let asked = Instant::now();
            let patience = if host == 1 { 1 } else { 10 };
            s.set_read_timeout(Some(Duration::from_secs(patience)))
                .unwrap();
            let mut raw = Vec::new();
            let read = s.read_to_end(&mut raw);
            let status = String::from_utf8_lossy(&raw)
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            if read.is_err() || !status.starts_with("HTTP/1.1 200") {
                failure = Some(format!(
                    "/simple/ from 127.0.0.{host}: {status:?} after {:?}",
                    asked.elapsed()
                ));
                break;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        stop.store(true, Ordering::Relaxed);
        assert!(
            failure.is_none(),
            "{failure:?} ({:?} into the flood)",
            started.elapsed()
        );
    });
}

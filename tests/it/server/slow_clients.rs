//! Clients that are slow, on purpose or over a slow link, must cost the server a
//! connection and a deadline, never a worker: while they crawl, other clients'
//! index requests are answered at once. Each attacker connects from its own
//! loopback address, as a fleet of machines would, so the per-address limits do
//! not hide what the engine itself does; those limits have their own tests below.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::support::dists::WheelSpec;
use crate::support::files::fixture;
use crate::support::http::{answer_within, basic, connect_from};
use crate::support::rng::Rng;
use crate::support::servers::Server;
use crate::support::tmp::{TempDir, mkdir};

/// More clients than the default 16 workers.
const ATTACKERS: u8 = 24;
/// The first loopback address (127.0.0.N) attackers connect from.
const FIRST_HOST: u8 = 10;

/// A folder with a few small wheels.
fn folder(dir: &Path) -> PathBuf {
    let wheels = mkdir(dir.join("wheels"));
    WheelSpec::new("alpha", "1.0").build(&wheels);
    WheelSpec::new("beta", "2.0").build(&wheels);
    wheels
}

/// Adds a big wheel to `wheels` and returns its name: about 8 MiB that deflate
/// cannot shrink, far more than the socket buffers of a client that stops reading
/// take.
fn big_wheel(wheels: &Path) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = Rng::seeded(7);
    let mut data = String::with_capacity(11 << 20);
    while data.len() < 11 << 20 {
        let mut bits = rng.next();
        for _ in 0..10 {
            data.push(char::from(alphabet[(bits % 64) as usize]));
            bits >>= 6;
        }
    }
    let big = WheelSpec {
        files: &[("huge/data.txt", &data)],
        ..WheelSpec::new("huge", "1.0")
    };
    big.build(wheels);
    big.file_name()
}

/// Ten index requests, one after another, each on a new connection from
/// 127.0.0.1: each must be answered within a second (a hang guard: a server
/// whose workers are all held answers after tens of seconds, or never).
fn index_is_answered(server: &Server) {
    for i in 0..10 {
        let mut s = TcpStream::connect(server.addr).unwrap();
        s.write_all(b"GET /simple/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let reply = answer_within(
            &mut s,
            Duration::from_secs(1),
            &format!("/simple/ request {i} while slow clients are connected"),
        );
        assert_eq!(reply.status, 200);
        assert!(reply.text().contains("alpha"), "{}", reply.text());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Sends `head` from 127.0.0.`host`.
fn send_from(host: u8, server: SocketAddr, head: &str) -> TcpStream {
    let mut s = connect_from(host, server);
    s.write_all(head.as_bytes()).unwrap();
    s
}

#[test]
fn downloads_that_are_never_read_hold_no_worker() {
    let tmp = TempDir::new("unread-downloads");
    let wheels = folder(tmp.path());
    let big = big_wheel(&wheels);
    let server = Server::start(&wheels, &[]);
    // The file's hash (its ETag) is computed once, first: this test is about
    // clients, not about hashing 32 MiB in a debug build.
    assert_eq!(server.get("/simple/huge/").status, 200);
    let head = format!("GET /p/{big} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut stalled: Vec<TcpStream> = (0..ATTACKERS)
        .map(|i| send_from(FIRST_HOST + i, server.addr, &head))
        .collect();
    // Time for every download to start and fill its socket buffers.
    std::thread::sleep(Duration::from_millis(500));
    index_is_answered(&server);
    // A stalled download goes on, whole, once its client reads again.
    let mut last = stalled.pop().unwrap();
    let reply = answer_within(&mut last, Duration::from_secs(30), "a stalled download");
    assert_eq!(reply.status, 200);
    assert!(reply.body == std::fs::read(wheels.join(&big)).unwrap());
}

#[test]
fn bodies_that_are_declared_and_never_sent_hold_no_worker() {
    let tmp = TempDir::new("unsent-bodies");
    let wheels = folder(tmp.path());
    let users = fixture("htpasswd/apr1");
    let server = Server::start(&wheels, &["-u", users.to_str().unwrap(), "--public-read"]);
    let login = basic("alice", "wonderland");
    let third = ATTACKERS / 3;
    let mut refused = Vec::new();
    let mut waiting = Vec::new();
    for i in 0..ATTACKERS {
        let host = FIRST_HOST + i;
        let head = match i / third {
            // Logged in: the upload is accepted and its body awaited.
            0 => format!(
                "PUT /p/gamma-{i}.0-py3-none-any.whl HTTP/1.1\r\nHost: x\r\n\
                 Authorization: {login}\r\nContent-Length: 50000000\r\n\r\n"
            ),
            // Anonymous: refused (401) without reading the body.
            1 => format!(
                "PUT /p/gamma-{i}.0-py3-none-any.whl HTTP/1.1\r\nHost: x\r\n\
                 Content-Length: 50000000\r\n\r\n"
            ),
            // A route that reads no body.
            _ => "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n".into(),
        };
        let s = send_from(host, server.addr, &head);
        if i / third == 0 {
            waiting.push(s);
        } else {
            refused.push((i / third, s));
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    index_is_answered(&server);
    // Routes that need no body answer at once, without waiting for it.
    for (kind, mut s) in refused {
        let reply = answer_within(
            &mut s,
            Duration::from_secs(5),
            "a request whose body is not needed",
        );
        assert_eq!(reply.status, if kind == 1 { 401 } else { 200 });
    }
    drop(waiting);
}

#[test]
fn uploads_that_trickle_hold_no_worker() {
    let tmp = TempDir::new("trickle");
    let wheels = folder(tmp.path());
    let server = Server::start(&wheels, &[]);
    let mut trickling: Vec<TcpStream> = (0..ATTACKERS)
        .map(|i| {
            let head = if i % 2 == 0 {
                format!(
                    "PUT /p/delta-{i}.0-py3-none-any.whl HTTP/1.1\r\nHost: x\r\n\
                     Content-Length: 1000000\r\n\r\n"
                )
            } else {
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\
                 Content-Type: multipart/form-data; boundary=XyZ\r\n\r\n--XyZ\r\n"
                    .to_string()
            };
            send_from(FIRST_HOST + i, server.addr, &head)
        })
        .collect();
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            // One byte from each client every quarter of a second, for at most a minute.
            for _ in 0..240 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                for s in &mut trickling {
                    let _ = s.write_all(b"x");
                }
                std::thread::sleep(Duration::from_millis(250));
            }
        });
        std::thread::sleep(Duration::from_millis(500));
        let probed = std::panic::catch_unwind(|| index_is_answered(&server));
        stop.store(true, Ordering::SeqCst);
        if let Err(panic) = probed {
            std::panic::resume_unwind(panic);
        }
    });
}

#[test]
fn one_address_may_not_take_every_connection_or_upload() {
    let tmp = TempDir::new("per-peer");
    let wheels = folder(tmp.path());
    // A quarter of the connections, 10, may come from one address.
    let server = Server::start(&wheels, &["--max-connections", "40"]);
    let greedy: Vec<TcpStream> = (0..10).map(|_| connect_from(7, server.addr)).collect();
    let mut refused = send_from(7, server.addr, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    let reply = answer_within(
        &mut refused,
        Duration::from_secs(5),
        "a connection past the limit",
    );
    assert_eq!(reply.status, 503, "{}", reply.text());
    index_is_answered(&server);
    drop(greedy);

    // At most 8 uploads at once from one address; another address is not affected.
    let head = |i: usize| {
        format!(
            "PUT /p/delta-{i}.0-py3-none-any.whl HTTP/1.1\r\nHost: x\r\n\
             Content-Length: 1000000\r\n\r\n"
        )
    };
    let uploading: Vec<TcpStream> = (0..8)
        .map(|i| send_from(8, server.addr, &head(i)))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut ninth = send_from(8, server.addr, &head(8));
    let reply = answer_within(
        &mut ninth,
        Duration::from_secs(5),
        "an upload past the limit",
    );
    assert_eq!(reply.status, 429, "{}", reply.text());
    assert!(reply.text().contains("127.0.0.8"), "{}", reply.text());
    let dist = mkdir(tmp.path().join("dist"));
    let wheel = std::fs::read(WheelSpec::new("epsilon", "1.0").build(&dist)).unwrap();
    let mut other = send_from(
        9,
        server.addr,
        &format!(
            "PUT /p/epsilon-1.0-py3-none-any.whl HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
             Content-Length: {}\r\n\r\n",
            wheel.len()
        ),
    );
    other.write_all(&wheel).unwrap();
    let reply = answer_within(
        &mut other,
        Duration::from_secs(10),
        "an upload from another address",
    );
    assert_eq!(reply.status, 201, "{}", reply.text());
    drop(uploading);
}

#[test]
fn idle_keep_alive_connections_make_room_for_new_clients() {
    let tmp = TempDir::new("idle-room");
    let wheels = folder(tmp.path());
    let server = Server::start(&wheels, &["--max-connections", "8"]);
    // Eight clients, each from its own address, ask once and keep their connection.
    let mut idle: Vec<TcpStream> = (0..8)
        .map(|i| {
            let mut s = send_from(
                FIRST_HOST + i,
                server.addr,
                "GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
            );
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut buf = [0u8; 1024];
            let n = s.read(&mut buf).unwrap();
            assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
            s
        })
        .collect();
    // A new client is served, not refused: the oldest idle connection made room.
    let mut new = send_from(
        FIRST_HOST + 8,
        server.addr,
        "GET /simple/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let reply = answer_within(&mut new, Duration::from_secs(5), "a client past the limit");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let mut oldest = idle.remove(0);
    let mut rest = Vec::new();
    assert_eq!(
        oldest.read_to_end(&mut rest).unwrap(),
        0,
        "the oldest idle connection is closed"
    );
}

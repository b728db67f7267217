//! What logins cost and who may upload: the timing of unknown and known users, the
//! limit on failed logins per client, credentials too long to hash, and
//! `--upload-users`. Clients are told apart by their loopback address.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::dists::WheelSpec;
use crate::support::files::{fixture, listing};
use crate::support::http::basic;
use crate::support::process::{command, run};
use crate::support::servers::Server;
use crate::support::tmp::{TempDir, mkdir};

/// An htpasswd file of bcrypt hashes at `cost`, as `htpasswd -B -C cost` writes them.
fn bcrypt_users(dir: &Path, cost: u32, users: &[(&str, &str)]) -> PathBuf {
    let lines: String = users
        .iter()
        .map(|(user, password)| format!("{user}:{}\n", bcrypt::hash(password, cost).unwrap()))
        .collect();
    let path = dir.join("htpasswd");
    std::fs::write(&path, lines).unwrap();
    path
}

fn folder_of_one_wheel(dir: &Path) -> PathBuf {
    let wheels = mkdir(dir.join("wheels"));
    WheelSpec::new("alpha", "1.0").build(&wheels);
    wheels
}

fn client(n: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, n)
}

fn login(server: &Server, from: Ipv4Addr, user: &str, password: &str) -> u16 {
    let auth = basic(user, password);
    server
        .request_from(from, "GET", "/simple/", &[("Authorization", &auth)])
        .status
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// A guard against a leak of a thousandfold (a lookup against a bcrypt hash), not a
/// measure of speed: the medians of unknown and known users stay within a factor 2.
#[test]
fn unknown_users_take_as_long_as_known_ones() {
    let tmp = TempDir::new("login-timing");
    let users = bcrypt_users(
        tmp.path(),
        10,
        &[("alice", "wonderland"), ("bob", "builder")],
    );
    let server = Server::start(
        &folder_of_one_wheel(tmp.path()),
        &["-u", users.to_str().unwrap()],
    );
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..20 {
        // Each pair from a client of its own, so the limit on failures stays out of the way.
        let from = Ipv4Addr::new(127, 0, 1, 1 + i);
        for (user, times) in [("alice", &mut known), ("mallory", &mut unknown)] {
            let start = Instant::now();
            assert_eq!(login(&server, from, user, "guess"), 401);
            times.push(start.elapsed());
        }
    }
    let (known, unknown) = (median(known), median(unknown));
    let ratio = known.max(unknown).as_secs_f64() / known.min(unknown).as_secs_f64();
    assert!(
        ratio < 2.0,
        "known user {known:?}, unknown user {unknown:?}: the time tells which users exist"
    );
}

#[test]
fn failed_logins_are_limited_per_client() {
    let tmp = TempDir::new("login-limit");
    let users = bcrypt_users(
        tmp.path(),
        4,
        &[("alice", "wonderland"), ("bob", "builder")],
    );
    let server = Server::start(
        &folder_of_one_wheel(tmp.path()),
        &["-u", users.to_str().unwrap()],
    );
    // Good logins do not count: a busy client sends its credentials with every request.
    for _ in 0..30 {
        assert_eq!(login(&server, client(4), "bob", "builder"), 200);
    }
    assert_eq!(login(&server, client(4), "bob", "nope"), 401);

    let attacker = client(2);
    for i in 0..10 {
        assert_eq!(
            login(&server, attacker, "alice", &format!("guess{i}")),
            401,
            "{i}"
        );
    }
    let auth = basic("alice", "guess10");
    let limited = server.request_from(attacker, "GET", "/simple/", &[("Authorization", &auth)]);
    assert_eq!(limited.status, 429, "{}", limited.text());
    let wait: u64 = limited
        .header("retry-after")
        .expect("a 429 says when to retry")
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=600).contains(&wait), "{wait}");
    assert!(
        limited.text().contains("failed logins"),
        "{}",
        limited.text()
    );
    // The right password gets no answer either, or the limit would be an oracle.
    assert_eq!(login(&server, attacker, "alice", "wonderland"), 429);
    assert_eq!(
        server.request_from(attacker, "GET", "/health", &[]).status,
        200
    );

    // Other clients log in as before, as any user.
    assert_eq!(login(&server, client(3), "alice", "wonderland"), 200);
    assert_eq!(login(&server, client(3), "bob", "builder"), 200);

    std::thread::sleep(Duration::from_secs(wait));
    assert_eq!(login(&server, attacker, "alice", "wonderland"), 200);
    let log = server.log_with("too many failed logins");
    assert!(log.contains("127.0.0.2"), "{log}");
}

#[test]
fn credentials_too_long_are_refused_before_hashing() {
    let tmp = TempDir::new("login-long");
    // SHA-512-crypt costs time in proportion to the password's length.
    let users = fixture("htpasswd/sha512");
    let server = Server::start(
        &folder_of_one_wheel(tmp.path()),
        &["-u", users.to_str().unwrap()],
    );
    let long = "x".repeat(8 * 1024);
    assert_eq!(login(&server, client(2), "alice", &long), 401);
    let log = server.log_with("longer than");
    assert!(log.contains("password longer than 1024 bytes"), "{log}");
    let long_name = "u".repeat(2000);
    assert_eq!(login(&server, client(3), &long_name, "wonderland"), 401);
    let log = server.log_with("user name longer than");
    assert!(log.contains("user name longer than 256 bytes"), "{log}");
    assert!(!log.contains(&long_name), "the log holds no long name");
    assert_eq!(login(&server, client(4), "alice", "wonderland"), 200);
}

#[test]
fn only_upload_users_may_upload() {
    let tmp = TempDir::new("upload-users");
    let wheels = folder_of_one_wheel(tmp.path());
    let users = fixture("htpasswd/bcrypt");
    let server = Server::start(
        &wheels,
        &["-u", users.to_str().unwrap(), "--upload-users", "alice"],
    );
    let dist = mkdir(tmp.path().join("dist"));
    let body = std::fs::read(WheelSpec::new("delta", "1.0").build(&dist)).unwrap();
    let put =
        |auth: &[(&str, &str)]| server.request("PUT", "/p/delta-1.0-py3-none-any.whl", auth, &body);
    let bob = basic("bob", "p:ss wörd");
    let refused = put(&[("Authorization", &bob)]);
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert!(
        refused.text().contains("may not upload"),
        "{}",
        refused.text()
    );
    let twine = server.request("POST", "/", &[("Authorization", &bob)], b"");
    assert_eq!(twine.status, 403, "{}", twine.text());
    assert!(!listing(&wheels).contains(&"delta-1.0-py3-none-any.whl".to_string()));
    // Bob still reads.
    let read = server.request("GET", "/simple/alpha/", &[("Authorization", &bob)], b"");
    assert_eq!(read.status, 200);
    assert_eq!(put(&[]).status, 401);
    let alice = basic("alice", "wonderland");
    assert_eq!(put(&[("Authorization", &alice)]).status, 201);
}

#[test]
fn upload_users_must_be_in_the_user_database() {
    let tmp = TempDir::new("upload-users-bad");
    let wheels = folder_of_one_wheel(tmp.path());
    let users = fixture("htpasswd/bcrypt");
    let server = |args: &[&str]| {
        run(command(env!("CARGO_BIN_EXE_curd-server"))
            .args(["-H", "127.0.0.1", "-p", "0"])
            .args(args)
            .arg(&wheels))
        .failure()
    };
    let users = users.to_str().unwrap();
    let cases: [(&[&str], &str); 3] = [
        (
            &["-u", users, "--upload-users", "alice,carol"],
            "`--upload-users`: no user `carol` in",
        ),
        (
            &["--upload-users", "alice"],
            "`--upload-users` needs `--user-db`",
        ),
        (
            &["-u", users, "--upload-users", "alice,,bob"],
            "`--upload-users`: expected user names",
        ),
    ];
    for (args, says) in cases {
        let refused = server(args);
        assert!(
            refused.stderr.contains(says),
            "{args:?}: {}",
            refused.stderr
        );
    }
}

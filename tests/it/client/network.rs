//! The network policy under faults: a package index behind lost connections and
//! resets is waited for and asked again; a cache server that trickles, stalls or
//! never answers costs its deadline once and is skipped; each host is looked up
//! once. Faults come from a proxy in front of real curd-servers, and DNS from a
//! resolver whose lookups the test answers and counts.

use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use curd::client::dns::Resolver;
use curd::client::fetch::{Client, ClientOptions, FetchError};
use curd::standards::url::Url;

use crate::support::curd::Curd;
use crate::support::dists::WheelSpec;
use crate::support::proxy::{Fault, Flow, Proxy};
use crate::support::python::{pip_freeze, venv};
use crate::support::servers::{CannedServer, Server, reply};
use crate::support::tmp::TempDir;

/// `app` needs `lib`: two projects, so an install makes several requests.
fn wheels(dir: &Path) -> PathBuf {
    let wheels = dir.join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    WheelSpec {
        requires: &["lib>=1"],
        ..WheelSpec::new("app", "1.0")
    }
    .build(&wheels);
    WheelSpec::new("lib", "1.0").build(&wheels);
    wheels
}

#[test]
fn an_index_behind_lost_connections_and_resets_still_installs() {
    let tmp = TempDir::new("net-index");
    let index = Server::start(&wheels(tmp.path()), &[]);
    let env = venv(tmp.path());
    // For 3 s no connection completes: the client's kernel sends its SYN again
    // after 1 s and 3 s, so a connection started in the first 2 s takes 3 s or 7 s,
    // as over a network that loses packets. Then the first two are reset.
    let proxy = Proxy::start(
        index.addr,
        Duration::from_secs(3),
        vec![Fault::Reset, Fault::Reset],
        Fault::Pass,
    );
    let run = Curd::install(tmp.path(), &env)
        .args([
            "-l",
            "debug",
            "-i",
            &format!("{}/simple/", proxy.url()),
            "app",
        ])
        .run()
        .success();
    assert!(
        run.stderr.contains("retrying in "),
        "the resets were retried"
    );
    assert_eq!(pip_freeze(&env), "app==1.0\nlib==1.0\n");
}

#[test]
fn a_cache_server_that_trickles_stalls_or_never_answers_costs_its_deadline_once() {
    let tmp = TempDir::new("net-cache");
    let wheels = wheels(tmp.path());
    let cache = Server::start(&wheels, &[]);
    let index = Server::start(&wheels, &[]);
    let env = venv(tmp.path());
    let faults = [
        // A byte every second, head and all: each read is quick, the answer never whole.
        (Flow::Trickle(Duration::from_secs(1)), Flow::Full),
        (Flow::Full, Flow::Stall),
        // Accepts and never answers.
        (Flow::Stall, Flow::Stall),
    ];
    for (head, body) in faults {
        let proxy = Proxy::start(
            cache.addr,
            Duration::ZERO,
            vec![],
            Fault::Slow { head, body },
        );
        let started = Instant::now();
        let run = Curd::install(tmp.path(), &env)
            .args([
                "-f",
                "-c",
                &proxy.url(),
                "-i",
                &format!("{}/simple/", index.url),
                "app",
            ])
            .start()
            // The cache server's deadline is 5 s; the rest takes a second or two.
            .wait_within(Duration::from_secs(20))
            .success();
        assert!(started.elapsed() < Duration::from_secs(20));
        let warnings = run.stderr.matches("warning: cache server").count();
        assert_eq!(warnings, 1, "{head:?}, {body:?}: one warning");
        assert!(
            run.stderr.contains("did not answer in full within 5 s"),
            "{head:?}, {body:?}"
        );
        assert!(run.stderr.contains("0 from cache, 2 from index"));
        assert_eq!(pip_freeze(&env), "app==1.0\nlib==1.0\n");
    }
}

/// A client that knows `cache` is a cache server.
fn cache_client(cache: &str) -> Client {
    Client::new(ClientOptions {
        netrc: None,
        caches: vec![Url::parse(cache).unwrap()],
        ..ClientOptions::default()
    })
    .unwrap()
}

#[test]
fn a_download_from_a_cache_server_must_keep_a_pace() {
    let tmp = TempDir::new("net-pace");
    let wheels = wheels(tmp.path());
    let cache = Server::start(&wheels, &[]);
    // The head comes at once, the body a byte every 200 ms: far below the pace.
    let slow = Fault::Slow {
        head: Flow::Full,
        body: Flow::Trickle(Duration::from_millis(200)),
    };
    let proxy = Proxy::start(cache.addr, Duration::ZERO, vec![], slow);
    let client = cache_client(&proxy.url());
    let url = Url::parse(&format!("{}/p/lib-1.0-py3-none-any.whl", proxy.url())).unwrap();
    let dest = tmp.path().join("lib-1.0-py3-none-any.whl");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        s.spawn(|| tx.send(client.download(&url, &dest, None)));
        // The pace's window is 5 s; a byte every 200 ms would take minutes.
        let result = rx.recv_timeout(Duration::from_secs(20));
        let Ok(Err(error)) = result else {
            drop(proxy);
            panic!("not cut off within 20 s: {result:?}");
        };
        assert!(matches!(error, FetchError::TooSlow { .. }), "{error}");
        let shown = error.to_string();
        assert!(
            shown.starts_with(&format!("`{url}` is too slow: only ")),
            "{shown}"
        );
        assert!(
            shown.ends_with("expected at least 80 KiB every 5 s"),
            "{shown}"
        );
        drop(proxy);
    });
    assert!(!dest.exists(), "nothing is left behind");
}

/// A resolver that answers `127.0.0.1` for any name, after failing the first
/// `failures` lookups with `message`, and counts every lookup.
fn resolver(failures: usize, message: &'static str) -> (Resolver, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&count);
    let resolver = Resolver::with_lookup(Arc::new(move |_: &str| {
        if counted.fetch_add(1, Ordering::SeqCst) < failures {
            return Err(io::Error::other(format!(
                "failed to lookup address information: {message}"
            )));
        }
        Ok(vec![IpAddr::from([127, 0, 0, 1])])
    }));
    (resolver, count)
}

fn named_client(resolver: Resolver) -> Client {
    let options = ClientOptions {
        netrc: None,
        ..ClientOptions::default()
    };
    Client::with_resolver(options, resolver).unwrap()
}

#[test]
fn each_host_is_looked_up_once_and_a_failed_lookup_is_asked_again() {
    let tmp = TempDir::new("net-dns");
    let server = Server::start(&wheels(tmp.path()), &[]);
    let port = server.addr.port();
    let (resolver, lookups) = resolver(1, "Temporary failure in name resolution");
    let client = named_client(resolver);
    let page = |project: &str| {
        let url = Url::parse(&format!("http://index.test:{port}/simple/{project}/")).unwrap();
        client.get(&url, "text/html").unwrap().status
    };
    // The first lookup fails as a bad network makes it fail; the retry asks again.
    assert_eq!(page("app"), 200);
    assert_eq!(lookups.load(Ordering::SeqCst), 2);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| assert_eq!(page("lib"), 200));
        }
    });
    let wheel = Url::parse(&format!(
        "http://index.test:{port}/p/lib-1.0-py3-none-any.whl"
    ))
    .unwrap();
    client
        .download(&wheel, &tmp.path().join("lib-1.0-py3-none-any.whl"), None)
        .unwrap();
    assert_eq!(
        lookups.load(Ordering::SeqCst),
        2,
        "no lookup after the first answer"
    );
}

#[test]
fn a_name_that_does_not_resolve_is_one_line_naming_the_host() {
    let (resolver, lookups) = resolver(usize::MAX, "Name or service not known");
    let client = named_client(resolver);
    let url = Url::parse("http://alice:wonderland@nowhere.test:8000/simple/x/").unwrap();
    let error = client.get(&url, "text/html").unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot look up `nowhere.test` to reach `http://****@nowhere.test:8000/simple/x/`: name or service not known"
    );
    assert!(!format!("{error:?}").contains("wonderland"));
    // It will not resolve later in the run either: neither retried nor asked again.
    assert!(client.get(&url, "text/html").is_err());
    assert_eq!(lookups.load(Ordering::SeqCst), 1);
}

#[test]
fn retry_after_is_waited_for_within_a_cap() {
    let server = CannedServer::start(vec![
        reply("429 Too Many Requests", &[("Retry-After", "1")], b""),
        reply("200 OK", &[("Content-Type", "text/html")], b""),
    ]);
    let url = Url::parse(&format!("{}/simple/x/", server.url())).unwrap();
    let client = named_client(Resolver::default());
    assert_eq!(client.get(&url, "text/html").unwrap().status, 200);
    assert_eq!(server.heads().len(), 2);

    // Asked to come back in an hour: an install does not wait that long.
    let server = CannedServer::start(vec![reply(
        "503 Service Unavailable",
        &[("Retry-After", "3600")],
        b"",
    )]);
    let url = Url::parse(&format!("{}/simple/x/", server.url())).unwrap();
    let error = client.get(&url, "text/html").unwrap_err();
    assert!(
        matches!(error, FetchError::Status { status: 503, .. }),
        "{error}"
    );
    assert_eq!(server.heads().len(), 1);
}

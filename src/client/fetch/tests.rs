use super::*;
use crate::client::dns::{LookupCause, LookupError};

#[test]
fn builds_basic_auth() {
    assert_eq!(
        basic_auth("alice", "wonderland"),
        "Basic YWxpY2U6d29uZGVybGFuZA=="
    );
    assert_eq!(basic_auth("a", "b"), "Basic YTpi");
    assert_eq!(basic_auth("bob", "p:ss wörd"), "Basic Ym9iOnA6c3Mgd8O2cmQ=");
}

fn client_with_netrc(text: &str) -> (Client, PathBuf) {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("curd-netrc-{}-{n}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let client = Client::new(ClientOptions {
        netrc: Some(path.clone()),
        ..ClientOptions::default()
    })
    .unwrap();
    (client, path)
}

#[test]
fn credentials_come_from_the_url_then_the_netrc() {
    let (client, path) = client_with_netrc(
        "machine cache login alice password wonderland\nmachine tok login t password tp",
    );
    let url = |s: &str| Url::parse(s).unwrap();
    assert_eq!(
        client.credentials_for(&url("http://cache:8000/simple/")),
        Some(("alice".into(), "wonderland".into()))
    );
    assert_eq!(
        client.credentials_for(&url("http://bob:pw@cache/")),
        Some(("bob".into(), "pw".into()))
    );
    assert_eq!(
        client.credentials_for(&url("http://alice@cache/")),
        Some(("alice".into(), "wonderland".into()))
    );
    assert_eq!(
        client.credentials_for(&url("http://token@tok/")),
        Some(("token".into(), String::new()))
    );
    assert_eq!(client.credentials_for(&url("http://elsewhere/")), None);
    std::fs::remove_file(path).unwrap();
    // A missing netrc is no credentials, not an error.
    let client = Client::new(ClientOptions {
        netrc: Some(PathBuf::from("/nonexistent/.netrc")),
        ..ClientOptions::default()
    })
    .unwrap();
    assert_eq!(client.credentials_for(&url("http://cache/")), None);
}

#[test]
fn transient_errors_are_the_retryable_ones() {
    let url = Url::parse("http://cache:8000/").unwrap();
    let status = |status| FetchError::Status {
        url: url.clone(),
        status,
        detail: String::new(),
        retry_after: None,
    };
    for s in [429, 500, 502, 503, 504] {
        assert!(status(s).is_transient(), "{s}");
    }
    for s in [400, 401, 403, 404, 409, 501, 505] {
        assert!(!status(s).is_transient(), "{s}");
    }
    // A bad network's failures pass; a proxy restarting refuses for a moment.
    let policy = Policy::patient(Duration::from_secs(15), 4);
    let passing = [
        io_error(
            &url,
            io::Error::from(io::ErrorKind::ConnectionRefused),
            &policy,
        ),
        io_error(
            &url,
            io::Error::from(io::ErrorKind::ConnectionReset),
            &policy,
        ),
        io_error(&url, io::Error::from(io::ErrorKind::UnexpectedEof), &policy),
        ureq_error(&url, ureq::Error::Timeout(ureq::Timeout::Connect), &policy),
        ureq_error(&url, ureq::Error::Timeout(ureq::Timeout::Resolve), &policy),
        ureq_error(&url, ureq::Error::Timeout(ureq::Timeout::PerRead), &policy),
        ureq_error(&url, ureq::Error::Timeout(ureq::Timeout::Global), &policy),
    ];
    for error in passing {
        assert!(error.is_transient(), "{error}");
    }
    let lasting = [
        ureq_error(&url, ureq::Error::HostNotFound, &policy),
        io_error(&url, io::Error::other("a bug"), &policy),
    ];
    for error in lasting {
        assert!(!error.is_transient(), "{error}");
    }
}

/// A DNS failure reaches the caller as the resolver said it, through ureq's
/// `io::Error`, and names the host.
#[test]
fn lookup_failures_keep_their_kind_and_name_the_host() {
    let url = Url::parse("https://alice:wonderland@pypi.org/simple/x/").unwrap();
    let policy = Policy::patient(Duration::from_secs(15), 4);
    let failure = |cause| {
        let error = LookupError {
            host: "pypi.org".into(),
            cause,
        };
        io_error(&url, io::Error::other(error), &policy)
    };
    let temporary = failure(LookupCause::Temporary(
        "temporary failure in name resolution".into(),
    ));
    assert!(temporary.is_transient());
    assert_eq!(
        temporary.to_string(),
        "cannot look up `pypi.org` to reach `https://****@pypi.org/simple/x/`: temporary failure in name resolution"
    );
    let timed_out = failure(LookupCause::TimedOut(Duration::from_secs(15)));
    assert!(timed_out.is_transient());
    assert!(timed_out.to_string().ends_with(": no answer within 15 s"));
    let unknown = failure(LookupCause::Failed("name or service not known".into()));
    assert!(!unknown.is_transient());
}

#[test]
fn errors_read_well_and_hide_passwords() {
    let url = Url::parse("http://alice:wonderland@cache:8000/simple/x/").unwrap();
    let quick = Policy::quick();
    let patient = Policy::patient(Duration::from_secs(15), 4);
    let cases = [
        (
            FetchError::Connect {
                url: url.clone(),
                reason: "connection refused".into(),
            },
            "cannot connect to `http://****@cache:8000/simple/x/`: connection refused",
        ),
        (
            FetchError::Status {
                url: url.clone(),
                status: 500,
                detail: String::new(),
                retry_after: None,
            },
            "`http://****@cache:8000/simple/x/` answered 500 Internal Server Error",
        ),
        (
            FetchError::Stalled {
                url: url.clone(),
                after: Duration::from_millis(1500),
            },
            "`http://****@cache:8000/simple/x/` stopped answering (nothing for 1.5 s)",
        ),
        (
            FetchError::HashMismatch {
                file: "x.whl".into(),
                expected: "aa".into(),
                actual: "bb".into(),
            },
            "sha256 mismatch for `x.whl`: expected aa, got bb",
        ),
        (
            io_error(
                &url,
                io::Error::new(io::ErrorKind::ConnectionReset, "reset by peer"),
                &patient,
            ),
            "connection to `http://****@cache:8000/simple/x/` failed: reset by peer",
        ),
        (
            ureq_error(&url, ureq::Error::HostNotFound, &patient),
            "cannot look up `cache` to reach `http://****@cache:8000/simple/x/`: no address for it",
        ),
        (
            ureq_error(&url, ureq::Error::Timeout(ureq::Timeout::Connect), &quick),
            "cannot connect to `http://****@cache:8000/simple/x/`: no answer (gave up after 2 s)",
        ),
        (
            ureq_error(&url, ureq::Error::Timeout(ureq::Timeout::Connect), &patient),
            "cannot connect to `http://****@cache:8000/simple/x/`: no answer (gave up after 15 s)",
        ),
        (
            ureq_error(&url, ureq::Error::Timeout(ureq::Timeout::Global), &quick),
            "`http://****@cache:8000/simple/x/` did not answer in full within 5 s",
        ),
        (
            FetchError::GaveUp {
                attempts: 5,
                last: Box::new(ureq_error(
                    &url,
                    ureq::Error::Timeout(ureq::Timeout::PerRead),
                    &patient,
                )),
            },
            "`http://****@cache:8000/simple/x/` stopped answering (nothing for 15 s) (tried 5 times)",
        ),
    ];
    for (error, expected) in cases {
        let shown = format!("{error} {error:?}");
        assert_eq!(error.to_string(), expected);
        assert!(!shown.contains("wonderland"), "{shown}");
    }
}

#[test]
fn cache_servers_get_the_quick_policy_by_host_and_port() {
    let client = Client::new(ClientOptions {
        caches: vec![Url::parse("http://cache:8000/simple/").unwrap()],
        timeout: Duration::from_secs(40),
        ..ClientOptions::default()
    })
    .unwrap();
    let policy = |s: &str| client.policy(&Url::parse(s).unwrap()).clone();
    assert_eq!(
        policy("http://cache:8000/p/x-1.0-py3-none-any.whl"),
        Policy::quick()
    );
    assert_eq!(policy("http://u:p@cache:8000/simple/x/"), Policy::quick());
    let patient = Policy::patient(Duration::from_secs(40), DEFAULT_RETRIES);
    assert_eq!(policy("http://cache:8001/simple/x/"), patient);
    assert_eq!(policy("https://pypi.org/simple/x/"), patient);
}

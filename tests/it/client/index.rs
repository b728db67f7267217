//! The client's network side over loopback: the simple-index client against a real
//! curd-server, downloads and uploads, credentials, failures and retries against
//! tiny servers of the test's own, and the HTML reader against pip's.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use curd::client::fetch::{Client, ClientOptions, FetchError};
use curd::client::index::{self, Index, IndexFile, MetadataAvailability, ProjectPage};
use curd::standards::name::PackageName;
use curd::standards::url::Url;

use crate::support::dists::{WheelSpec, sha256_hex};
use crate::support::files::{fixture, listing};
use crate::support::python::packaging_oracle;
use crate::support::servers::{Canned, CannedServer, Server, closed_port, header_of, reply};
use crate::support::tmp::TempDir;

/// A client that reads no netrc, with the default policy.
fn client() -> Client {
    Client::new(ClientOptions {
        netrc: None,
        ..ClientOptions::default()
    })
    .expect("client")
}

fn url(s: &str) -> Url {
    Url::parse(s).expect("test URL")
}

fn name(s: &str) -> PackageName {
    PackageName::new(s).expect("test name")
}

/// The sha256 of a wheel's METADATA, read with the zip crate (not the server's code).
fn metadata_sha256(wheel: &Path) -> String {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(wheel).unwrap()).unwrap();
    let name = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .find(|n| n.ends_with(".dist-info/METADATA"))
        .unwrap();
    let mut bytes = Vec::new();
    archive
        .by_name(&name)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    sha256_hex(&bytes)
}

/// Two versions of `alpha`, one with Requires-Python and one with a local version
/// (a `+`, which URLs percent-encode), and `beta`.
fn wheels(dir: &Path) -> PathBuf {
    let wheels = dir.join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    WheelSpec::new("alpha", "1.0").build(&wheels);
    WheelSpec {
        requires_python: Some(">=3.7, <4"),
        requires: &["beta>=1.0"],
        ..WheelSpec::new("alpha", "2.0")
    }
    .build(&wheels);
    WheelSpec::new("alpha", "2.1+local").build(&wheels);
    WheelSpec::new("beta", "1.5").build(&wheels);
    wheels
}

/// What the server must say about `alpha`, computed from the files themselves.
fn expected_alpha(wheels: &Path, base: &str, with_size: bool) -> Vec<IndexFile> {
    let files = [
        (
            "alpha-2.1+local-py3-none-any.whl",
            "alpha-2.1%2Blocal-py3-none-any.whl",
            None,
        ),
        (
            "alpha-2.0-py3-none-any.whl",
            "alpha-2.0-py3-none-any.whl",
            Some(">=3.7, <4"),
        ),
        (
            "alpha-1.0-py3-none-any.whl",
            "alpha-1.0-py3-none-any.whl",
            None,
        ),
    ];
    files
        .iter()
        .map(|(filename, encoded, requires_python)| {
            let path = wheels.join(filename);
            let bytes = std::fs::read(&path).unwrap();
            IndexFile {
                filename: filename.to_string(),
                url: url(&format!("{base}/p/{encoded}")),
                sha256: Some(sha256_hex(&bytes)),
                requires_python: requires_python.map(String::from),
                yanked: None,
                core_metadata: MetadataAvailability::Sha256(metadata_sha256(&path)),
                size: with_size.then_some(bytes.len() as u64),
            }
        })
        .collect()
}

#[test]
fn reads_the_servers_json_and_html_pages() {
    let tmp = TempDir::new("index-pages");
    let wheels = wheels(tmp.path());
    let server = Server::start(&wheels, &[]);
    let client = client();

    // JSON, as the client asks first; the index URL works with or without its `/`.
    for index_url in [
        format!("{}/simple/", server.url),
        format!("{}/simple", server.url),
    ] {
        let index = Index {
            url: url(&index_url),
        };
        let page = index.project(&client, &name("Alpha")).unwrap().unwrap();
        assert_eq!(page.files, expected_alpha(&wheels, &server.url, true));
    }

    // HTML, from the same server: the same files, without sizes.
    let response = client
        .get(&url(&format!("{}/simple/alpha/", server.url)), "text/html")
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(
        response.content_type.as_deref(),
        Some("text/html; charset=utf-8")
    );
    let page = index::parse_html(
        &String::from_utf8(response.body).unwrap(),
        &response.final_url,
    )
    .unwrap();
    assert_eq!(page.files, expected_alpha(&wheels, &server.url, false));

    // An unknown project is no page, not an error.
    let index = Index {
        url: url(&format!("{}/simple/", server.url)),
    };
    assert_eq!(index.project(&client, &name("nothing-here")).unwrap(), None);

    // The metadata URL the page announces serves the METADATA it hashed.
    let file = &expected_alpha(&wheels, &server.url, true)[1];
    let metadata = client.get(&file.metadata_url().unwrap(), "*/*").unwrap();
    assert_eq!(metadata.status, 200);
    assert_eq!(
        MetadataAvailability::Sha256(sha256_hex(&metadata.body)),
        file.core_metadata
    );
}

#[test]
fn follows_the_servers_redirect_to_the_normalized_name() {
    let tmp = TempDir::new("index-redirect");
    let server = Server::start(&wheels(tmp.path()), &[]);
    let response = client()
        .get(
            &url(&format!("{}/simple/ALPHA/", server.url)),
            index::ACCEPT,
        )
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(
        response.final_url.to_string(),
        format!("{}/simple/alpha/", server.url)
    );
}

/// A static mirror on disk (`file://`), with the pages the server renders as
/// HTML: the index client reads it like any index, and downloads from it.
#[test]
fn reads_a_static_mirror_over_file_urls() {
    let tmp = TempDir::new("index-mirror");
    let wheels = wheels(tmp.path());
    let server = Server::start(&wheels, &[]);
    let mirror = tmp.path().join("mirror");
    std::fs::create_dir_all(mirror.join("simple/alpha")).unwrap();
    let html = server.request("GET", "/simple/alpha/", &[("Accept", "text/html")], b"");
    assert_eq!(html.status, 200);
    std::fs::write(mirror.join("simple/alpha/index.html"), &html.body).unwrap();
    std::fs::create_dir_all(mirror.join("p")).unwrap();
    for entry in std::fs::read_dir(&wheels).unwrap() {
        let entry = entry.unwrap();
        if entry.path().is_file() {
            std::fs::copy(entry.path(), mirror.join("p").join(entry.file_name())).unwrap();
        }
    }
    let base = Url::from_file_path(&mirror).unwrap().to_string();
    let index = Index {
        url: url(&format!("{base}/simple/")),
    };
    let client = client();
    let page = index.project(&client, &name("alpha")).unwrap().unwrap();
    assert_eq!(page.files, expected_alpha(&wheels, &base, false));
    assert_eq!(index.project(&client, &name("beta")).unwrap(), None);

    let dest = tmp.path().join("downloads");
    std::fs::create_dir_all(&dest).unwrap();
    let file = &page.files[0];
    let downloaded = client
        .download(
            &file.url,
            &dest.join(&file.filename),
            file.sha256.as_deref(),
        )
        .unwrap();
    assert_eq!(Some(downloaded.sha256), file.sha256.clone());
    assert_eq!(listing(&dest), vec![file.filename.clone()]);
}

#[test]
fn downloads_check_the_hash_and_leave_nothing_when_it_is_wrong() {
    let tmp = TempDir::new("index-download");
    let wheels = wheels(tmp.path());
    let server = Server::start(&wheels, &[]);
    let client = client();
    let dest_dir = tmp.path().join("downloads");
    std::fs::create_dir_all(&dest_dir).unwrap();
    let filename = "alpha-2.1+local-py3-none-any.whl";
    let bytes = std::fs::read(wheels.join(filename)).unwrap();
    let file_url = url(&format!(
        "{}/p/alpha-2.1%2Blocal-py3-none-any.whl",
        server.url
    ));
    let dest = dest_dir.join(filename);

    let wrong = "0".repeat(64);
    let err = client.download(&file_url, &dest, Some(&wrong)).unwrap_err();
    assert!(matches!(err, FetchError::HashMismatch { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "sha256 mismatch for `{filename}`: expected {wrong}, got {}",
            sha256_hex(&bytes)
        )
    );
    assert!(listing(&dest_dir).is_empty(), "{:?}", listing(&dest_dir));

    let downloaded = client
        .download(&file_url, &dest, Some(&sha256_hex(&bytes).to_uppercase()))
        .unwrap();
    assert_eq!(downloaded.size, bytes.len() as u64);
    assert_eq!(downloaded.sha256, sha256_hex(&bytes));
    assert_eq!(std::fs::read(&dest).unwrap(), bytes);

    // Without an expected hash the download still reports one; it replaces the file.
    let again = client.download(&file_url, &dest, None).unwrap();
    assert_eq!(again, downloaded);
    assert_eq!(listing(&dest_dir), vec![filename.to_string()]);

    // A missing file is an error, and leaves nothing either.
    let missing = url(&format!("{}/p/alpha-9.0-py3-none-any.whl", server.url));
    let err = client
        .download(&missing, &dest_dir.join("alpha-9.0-py3-none-any.whl"), None)
        .unwrap_err();
    assert!(
        matches!(err, FetchError::Status { status: 404, .. }),
        "{err}"
    );
    assert_eq!(listing(&dest_dir), vec![filename.to_string()]);
}

#[test]
fn concurrent_downloads_of_one_file_both_end_whole() {
    let tmp = TempDir::new("index-concurrent");
    let wheels = wheels(tmp.path());
    let server = Server::start(&wheels, &[]);
    let client = client();
    let dest = tmp.path().join("alpha-1.0-py3-none-any.whl");
    let file_url = url(&format!("{}/p/alpha-1.0-py3-none-any.whl", server.url));
    let bytes = std::fs::read(wheels.join("alpha-1.0-py3-none-any.whl")).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| client.download(&file_url, &dest, Some(&sha256_hex(&bytes)))))
            .collect();
        for h in handles {
            h.join().unwrap().unwrap();
        }
    });
    assert_eq!(std::fs::read(&dest).unwrap(), bytes);
    assert_eq!(
        listing(tmp.path()),
        vec![
            "alpha-1.0-py3-none-any.whl".to_string(),
            "wheels".to_string()
        ]
    );
}

#[test]
fn credentials_from_the_url_or_a_netrc() {
    let tmp = TempDir::new("index-auth");
    let wheels = wheels(tmp.path());
    let users = fixture("htpasswd/apr1");
    let server = Server::start(&wheels, &["-u", users.to_str().unwrap()]);
    let host_port = server.url.trim_start_matches("http://");
    let anonymous = client();

    // No login: a 401 that says what the server wants, and no page.
    let index = Index {
        url: url(&format!("{}/simple/", server.url)),
    };
    let err = index.project(&anonymous, &name("alpha")).unwrap_err();
    assert!(
        err.to_string().contains("answered 401 Unauthorized"),
        "{err}"
    );

    // A wrong password is refused, and not shown.
    let index = Index {
        url: url(&format!("http://alice:not-wonderland@{host_port}/simple/")),
    };
    let err = index.project(&anonymous, &name("alpha")).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("401"), "{shown}");
    assert!(!shown.contains("not-wonderland"), "{shown}");

    // In the URL: the page's links inherit the login, so the download works too,
    // and a redirect on the same server keeps it.
    let with_login = |client: &Client, index_url: &str| {
        let index = Index {
            url: url(index_url),
        };
        let page = index.project(client, &name("alpha")).unwrap().unwrap();
        assert_eq!(page.files.len(), 3);
        let file = &page.files[2];
        let dest = tmp.path().join(&file.filename);
        let downloaded = client
            .download(&file.url, &dest, file.sha256.as_deref())
            .unwrap();
        assert_eq!(Some(downloaded.sha256), file.sha256.clone());
        std::fs::remove_file(dest).unwrap();
        let redirected = client
            .get(&url(&format!("{index_url}ALPHA/")), index::ACCEPT)
            .unwrap();
        assert_eq!(redirected.status, 200);
        // The password never shows, even in a Debug dump of a whole page.
        assert!(!format!("{page:?} {redirected:?}").contains("wonderland"));
    };
    with_login(
        &anonymous,
        &format!("http://alice:wonderland@{host_port}/simple/"),
    );

    // From a netrc, as a user's ~/.netrc would give it.
    let home = TempDir::new("index-home");
    let netrc = home.path().join(".netrc");
    std::fs::write(
        &netrc,
        "# curd test\nmachine example.com login bob password nope\n\nmachine 127.0.0.1\n  login alice\n  password wonderland\n",
    )
    .unwrap();
    let from_netrc = Client::new(ClientOptions {
        netrc: Some(netrc),
        ..ClientOptions::default()
    })
    .unwrap();
    with_login(&from_netrc, &format!("{}/simple/", server.url));

    // Uploads need the login; the same bytes again are accepted unchanged.
    let new = WheelSpec::new("gamma", "1.0").build(tmp.path());
    let target = url(&format!("{}/p/gamma-1.0-py3-none-any.whl", server.url));
    let err = anonymous.put(&target, &new).unwrap_err();
    assert!(
        matches!(err, FetchError::Status { status: 401, .. }),
        "{err}"
    );
    assert_eq!(from_netrc.put(&target, &new).unwrap(), 201);
    assert_eq!(from_netrc.put(&target, &new).unwrap(), 200);
    assert_eq!(
        std::fs::read(wheels.join("gamma-1.0-py3-none-any.whl")).unwrap(),
        std::fs::read(&new).unwrap()
    );
}

#[test]
fn uploads_report_the_servers_reason() {
    let tmp = TempDir::new("index-upload");
    let wheels = wheels(tmp.path());
    let server = Server::start(&wheels, &[]);
    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    // Other bytes under a stored name: the server refuses, and says why.
    let different = WheelSpec {
        requires: &["zeta"],
        ..WheelSpec::new("beta", "1.5")
    }
    .build(&other);
    let target = url(&format!("{}/p/beta-1.5-py3-none-any.whl", server.url));
    let err = client().put(&target, &different).unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("`{target}` answered 409 Conflict: ")),
        "{shown}"
    );
    let err = client()
        .put(&url("file:///tmp/x.whl"), &different)
        .unwrap_err();
    assert!(matches!(err, FetchError::Unsupported { .. }), "{err}");
}

#[test]
fn a_cache_server_that_is_down_fails_at_once_and_an_index_is_tried_again() {
    let port = closed_port().port();
    let root = format!("http://user:secret@127.0.0.1:{port}/simple/");
    let index = Index { url: url(&root) };
    let cache = Client::new(ClientOptions {
        netrc: None,
        caches: vec![url(&root)],
        ..ClientOptions::default()
    })
    .unwrap();
    let err = index.project(&cache, &name("alpha")).unwrap_err();
    let curd::client::index::IndexError::Fetch(fetch) = &err else {
        panic!("not a fetch error: {err}");
    };
    assert!(matches!(fetch, FetchError::Connect { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "cannot connect to `http://****@127.0.0.1:{port}/simple/alpha/`: connection refused"
        )
    );
    // An index refusing may be a proxy restarting: it is asked again.
    let patient = Client::new(ClientOptions {
        netrc: None,
        retries: 1,
        ..ClientOptions::default()
    })
    .unwrap();
    let err = index.project(&patient, &name("alpha")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot connect to `http://****@127.0.0.1:{port}/simple/alpha/`: connection refused (tried 2 times)"
        )
    );
}

#[test]
fn retries_transient_errors() {
    let server = CannedServer::start(vec![
        reply("500 Internal Server Error", &[], b"oops"),
        reply("503 Service Unavailable", &[], b""),
        reply(
            "200 OK",
            &[("Content-Type", "text/html")],
            b"<a href=\"x-1.0.tar.gz\">x</a>",
        ),
    ]);
    let addr = server.addr;
    let response = client()
        .get(&url(&format!("http://{addr}/simple/x/")), "text/html")
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(server.heads().len(), 3);

    // With fewer retries than failures, the last status is the error.
    let server = CannedServer::start(vec![
        reply("500 Internal Server Error", &[], b"first"),
        reply(
            "502 Bad Gateway",
            &[("Content-Type", "text/plain")],
            b"upstream is down\nmore",
        ),
    ]);
    let addr = server.addr;
    let client = Client::new(ClientOptions {
        retries: 1,
        netrc: None,
        ..ClientOptions::default()
    })
    .unwrap();
    let err = client
        .get(&url(&format!("http://{addr}/x")), "*/*")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("`http://{addr}/x` answered 502 Bad Gateway: upstream is down (tried 2 times)")
    );
    assert!(err.is_transient());
    assert_eq!(server.heads().len(), 2);

    // A client error is not retried.
    let server = CannedServer::start(vec![reply("403 Forbidden", &[], b"")]);
    let addr = server.addr;
    let err = client
        .get(&url(&format!("http://{addr}/x")), "*/*")
        .unwrap_err();
    assert!(
        matches!(err, FetchError::Status { status: 403, .. }),
        "{err}"
    );
    assert_eq!(server.heads().len(), 1);
}

#[test]
fn hashes_the_bytes_served_even_when_they_claim_gzip() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"the uncompressed contents").unwrap();
    let gzipped = gz.finish().unwrap();
    let server = CannedServer::start(vec![reply(
        "200 OK",
        &[
            ("Content-Encoding", "gzip"),
            ("Content-Type", "application/octet-stream"),
        ],
        &gzipped,
    )]);
    let addr = server.addr;
    let tmp = TempDir::new("index-gzip");
    let dest = tmp.path().join("x-1.0.tar.gz");
    let downloaded = client()
        .download(
            &url(&format!("http://{addr}/x-1.0.tar.gz")),
            &dest,
            Some(&sha256_hex(&gzipped)),
        )
        .unwrap();
    assert_eq!(downloaded.sha256, sha256_hex(&gzipped));
    assert_eq!(std::fs::read(&dest).unwrap(), gzipped);
    let heads = server.heads();
    assert_eq!(header_of(&heads[0], "accept-encoding"), Some("identity"));
    assert!(
        header_of(&heads[0], "user-agent").is_some_and(|ua| ua.starts_with("curd/")),
        "{heads:?}"
    );
}

#[test]
fn credentials_do_not_follow_a_redirect_to_another_host() {
    let other_server =
        CannedServer::start(vec![reply("200 OK", &[("Content-Type", "text/html")], b"")]);
    let other = other_server.addr;
    let server = CannedServer::start(vec![
        reply("301 Moved Permanently", &[("Location", "/simple/x/")], b""),
        reply(
            "302 Found",
            &[("Location", &format!("http://{other}/elsewhere/"))],
            b"",
        ),
    ]);
    let addr = server.addr;
    let response = client()
        .get(
            &url(&format!("http://alice:wonderland@{addr}/simple/X/")),
            "text/html",
        )
        .unwrap();
    assert_eq!(
        response.final_url.to_string(),
        format!("http://{other}/elsewhere/")
    );
    let heads = server.heads();
    let other_heads = other_server.heads();
    let basic = "Basic YWxpY2U6d29uZGVybGFuZA==";
    assert_eq!(header_of(&heads[0], "authorization"), Some(basic));
    assert_eq!(header_of(&heads[1], "authorization"), Some(basic));
    assert!(heads[1].starts_with("GET /simple/x/ HTTP/1.1"), "{heads:?}");
    assert_eq!(header_of(&other_heads[0], "authorization"), None);
}

#[test]
fn a_silent_server_stalls_into_an_error() {
    let server = CannedServer::start(vec![Canned::Silence(Duration::from_secs(3))]);
    let addr = server.addr;
    let client = Client::new(ClientOptions {
        timeout: Duration::from_millis(300),
        retries: 0,
        netrc: None,
        ..ClientOptions::default()
    })
    .unwrap();
    let err = client
        .get(&url(&format!("http://{addr}/x")), "*/*")
        .unwrap_err();
    assert!(matches!(err, FetchError::Stalled { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!("`http://{addr}/x` stopped answering (nothing for 0.3 s)")
    );
    server.heads();
}

#[test]
fn too_many_redirects_is_an_error() {
    let answers = (0..11)
        .map(|i| reply("302 Found", &[("Location", &format!("/r{i}"))], b""))
        .collect();
    let server = CannedServer::start(answers);
    let addr = server.addr;
    let err = client()
        .get(&url(&format!("http://{addr}/start")), "*/*")
        .unwrap_err();
    assert!(matches!(err, FetchError::TooManyRedirects { .. }), "{err}");
    assert_eq!(server.heads().len(), 11);
}

#[test]
fn documents_are_size_capped() {
    let huge = b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\nConnection: close\r\n\r\n<a";
    let server = CannedServer::start(vec![Canned::Reply(huge.to_vec())]);
    let addr = server.addr;
    let err = client()
        .get(&url(&format!("http://{addr}/simple/x/")), "text/html")
        .unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!("`http://{addr}/simple/x/` sent more than 67108864 bytes")
    );
    server.heads();
}

#[test]
fn find_links_from_a_folder_and_a_page() {
    let tmp = TempDir::new("index-find-links");
    let wheels = wheels(tmp.path());
    std::fs::write(wheels.join("README.txt"), "not a distribution").unwrap();
    std::fs::write(wheels.join(".curd-tmp-1-0"), "a temporary file").unwrap();
    std::fs::create_dir_all(wheels.join("nested-1.0.tar.gz")).unwrap();
    let files = index::find_links_dir(&wheels).unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.filename.as_str()).collect();
    assert_eq!(
        names,
        [
            "alpha-1.0-py3-none-any.whl",
            "alpha-2.0-py3-none-any.whl",
            "alpha-2.1+local-py3-none-any.whl",
            "beta-1.5-py3-none-any.whl",
        ]
    );
    for file in &files {
        let path = file.url.to_file_path().unwrap();
        assert_eq!(path, wheels.join(&file.filename));
        assert_eq!(file.size, Some(std::fs::metadata(&path).unwrap().len()));
    }
    let err = index::find_links_dir(&tmp.path().join("missing")).unwrap_err();
    assert!(err.to_string().starts_with("cannot read `"), "{err}");

    // A page of links, served over HTTP: the server's own project page will do.
    let server = Server::start(&wheels, &[]);
    let client = client();
    let linked =
        index::find_links_page(&client, &url(&format!("{}/simple/alpha/", server.url))).unwrap();
    assert_eq!(linked, expected_alpha(&wheels, &server.url, false));
    let err =
        index::find_links_page(&client, &url(&format!("{}/nowhere/", server.url))).unwrap_err();
    assert!(err.to_string().contains("answered 404 Not Found"), "{err}");

    // And a page on disk.
    let page = tmp.path().join("links.html");
    std::fs::write(
        &page,
        "<a href=\"wheels/beta-1.5-py3-none-any.whl\">beta</a>",
    )
    .unwrap();
    let linked = index::find_links_page(&client, &Url::from_file_path(&page).unwrap()).unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!(
        linked[0].url.to_file_path().unwrap(),
        wheels.join("beta-1.5-py3-none-any.whl")
    );
}

/// Today's pip's own reader (`parse_links`, which wraps `HTMLLinkParser` and
/// `Link.from_element`/`from_json`), run on each case: one JSON object per line
/// with the page's content type, URL and body. Links curd skips on purpose
/// (folders, schemes it cannot fetch) are left out.
const PIP_PARSE_LINKS: &str = r#"
import json
from urllib.parse import unquote, urlsplit
from pip._internal.index.collector import IndexContent, parse_links

with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    for line in f.read().split("\n"):
        case = json.loads(line)
        page = IndexContent(case["body"].encode(), case["type"], "utf-8", case["url"], cache_link_parsing=False)
        links = []
        for link in parse_links(page):
            parts = urlsplit(link.url)
            if parts.scheme not in ("http", "https", "file") or parts.path.endswith("/") or not parts.path:
                continue
            meta = link.metadata_file_data
            if meta is None:
                metadata = "no"
            elif meta.hashes and "sha256" in meta.hashes:
                metadata = "sha256:" + meta.hashes["sha256"].lower()
            else:
                metadata = "yes"
            sha = link._hashes.get("sha256")
            rp = (link.requires_python or "").strip() or None
            links.append([link.filename, unquote(link.url_without_fragment), sha.lower() if sha else None, rp, link.yanked_reason, metadata])
        out.write(json.dumps(links) + "\n")
"#;

/// The same facts from curd's reader, in the oracle's shape.
fn curd_links(content_type: &str, body: &str, page_url: &Url) -> serde_json::Value {
    let page: ProjectPage = if content_type.contains("json") {
        index::parse_json(body.as_bytes(), page_url).unwrap()
    } else {
        index::parse_html(body, page_url).unwrap()
    };
    let decode = |s: String| {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let hex = |j: usize| bytes.get(j).and_then(|&b| (b as char).to_digit(16));
            match (bytes[i], hex(i + 1), hex(i + 2)) {
                (b'%', Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                }
                (b, _, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    page.files
        .into_iter()
        .map(|f| {
            let metadata = match f.core_metadata {
                MetadataAvailability::No => "no".to_string(),
                MetadataAvailability::Yes => "yes".to_string(),
                MetadataAvailability::Sha256(h) => format!("sha256:{h}"),
            };
            serde_json::json!([
                f.filename,
                decode(f.url.to_string()),
                f.sha256,
                f.requires_python,
                f.yanked,
                metadata
            ])
        })
        .collect()
}

/// Varied pages: the layouts of real servers, every quoting style, attribute
/// orders, entities, `<base>`, comments and scripts, relative forms, metadata
/// and yanking. Known, deliberate differences (a bare `data-yanked`,
/// `data-core-metadata="false"`, duplicate attributes) are left to unit tests.
fn differential_cases() -> Vec<(&'static str, String, String)> {
    let h = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let page = "https://index.example/simple/pkg/";
    let html = "text/html";
    let mut cases: Vec<(&str, String, String)> = vec![
        (html, page.into(), String::new()),
        (html, page.into(), "<html><body>no links</body></html>".into()),
        (html, page.into(), format!("<a href=\"pkg-1.0.tar.gz#sha256={h}\">pkg-1.0.tar.gz</a>")),
        (html, page.into(), format!("<a href='pkg-1.0.tar.gz#sha256={h}'>x</a>")),
        (html, page.into(), format!("<a href=pkg-1.0.tar.gz#sha256={h}>x</a>")),
        (html, page.into(), format!("<A HREF=\"pkg-1.0.tar.gz#sha256={}\">x</A>", h.to_uppercase())),
        (html, page.into(), "<a href=\"../../packages/pkg-1.0-py3-none-any.whl#md5=00ff\">x</a>".into()),
        (html, page.into(), "<a href=\"/abs/pkg-1.0.zip\">x</a><a href=\"//cdn.example/f/pkg-1.1.zip\">y</a>".into()),
        (html, page.into(), "<a href=\"https://files.example/a/b/pkg-1.0.tar.gz?x=1&amp;y=2\">x</a>".into()),
        (html, page.into(), "<a data-requires-python=\"&gt;=3.8\" href=\"pkg-1.0.tar.gz\">x</a>".into()),
        (html, page.into(), "<a href=\"pkg-1.0.tar.gz\" data-requires-python='&gt;=3.6,&lt;4'>x</a>".into()),
        (html, page.into(), "<a href=\"pkg-1.0.tar.gz\" data-requires-python=\"&gt;=2.7, !=3.0.*, !=3.1.*\">x</a>".into()),
        (html, page.into(), "<a href=\"pkg-1.0.tar.gz\" data-requires-python=\"\">x</a>".into()),
        (html, page.into(), "<a href=\"pkg-1.0.tar.gz\" data-yanked=\"broken build\">x</a>".into()),
        (html, page.into(), "<a href=\"pkg-1.0.tar.gz\" data-yanked=\"use &lt;2 &amp; &#39;x&#39;\">x</a>".into()),
        (html, page.into(), "<a href=\"pkg-1.0.tar.gz\" data-yanked=\"\">x</a>".into()),
        (html, page.into(), format!("<a href=\"pkg-1.0.whl\" data-dist-info-metadata=\"sha256={h}\">x</a>")),
        (html, page.into(), format!("<a href=\"pkg-1.0.whl\" data-core-metadata=\"sha256={h}\" data-dist-info-metadata=\"true\">x</a>")),
        (html, page.into(), "<a href=\"pkg-1.0.whl\" data-core-metadata=\"true\">x</a>".into()),
        (html, page.into(), "<a href=\"pkg-1.0.whl\" data-core-metadata=\"md5=00\">x</a>".into()),
        (html, page.into(), "<a href=\"pkg-1.0.whl\" data-dist-info-metadata=\"garbage\">x</a>".into()),
        (html, page.into(), "<base href=\"https://mirror.example/files/\"><a href=\"pkg-1.0.tar.gz\">x</a>".into()),
        (html, page.into(), "<html><head><base href=\"https://mirror.example/a/b/\"></head><body><a href=\"../pkg-1.0.tar.gz\">x</a></body></html>".into()),
        (html, page.into(), "<!-- <a href=\"hidden-1.0.tar.gz\">x</a> --><a href=\"shown-1.0.tar.gz\">y</a>".into()),
        (html, page.into(), "<script>document.write('<a href=\"s-1.0.tar.gz\">')</script><a href=\"t-1.0.tar.gz\">y</a>".into()),
        (html, page.into(), "<style>a::after { content: '<a href=\"u.tar.gz\">' }</style><a href=\"v-1.0.tar.gz\">y</a>".into()),
        (html, page.into(), "<a href=\"pkg-1.0.tar.gz\"\n   data-requires-python=\"&gt;=3\"\n>x</a>".into()),
        (html, page.into(), "<a\thref = \"pkg-1.0.tar.gz\" >x</a>".into()),
        (html, page.into(), "<a href=\"a%2Bb-1.0+local-py3-none-any.whl\">x</a>".into()),
        (html, page.into(), "<a href=\"caf%C3%A9-1.0.tar.gz\">x</a><a href=\"café-2.0.tar.gz\">y</a>".into()),
        (html, page.into(), "<a href=\"sp ace-1.0.tar.gz\">x</a>".into()),
        (html, page.into(), "<a href=\"  lead-1.0.tar.gz\">x</a>".into()),
        (html, page.into(), "<a href=\"folder/\">x</a><a href=\"../\">up</a><a>none</a><a href=\"\">empty</a>".into()),
        (html, page.into(), "<a href=\"mailto:someone@example.com\">mail</a><a href=\"pkg-1.0.tar.gz\">x</a>".into()),
        (html, page.into(), format!("<a href=\"../../+f/abc/pkg-2.0.tar.gz#sha256={h}\" data-requires-python=\"&gt;=3.7\">root/pypi/pkg-2.0.tar.gz</a><br/>")),
        (html, page.into(), "<a href=\"pkg-1.0.tar.gz\"/><a/href=\"pkg-1.1.tar.gz\">y</a>".into()),
        (html, page.into(), "<p><a href=\"one-1.0.tar.gz\">1</a></p><table><tr><td><a href=\"two-1.0.tar.gz\">2</a></td></tr></table>".into()),
        (html, page.into(), "<a href=\"pkg-1.0.tar.gz?sig=a%2Fb#sha256=ab&amp;egg=pkg\">x</a>".into()),
        (html, "https://index.example/simple/pkg".into(), "<a href=\"pkg-1.0.tar.gz\">x</a>".into()),
        (html, "http://127.0.0.1:8000/simple/pkg/".into(), "<a href=\"../../p/pkg-1.0.tar.gz\">x</a>".into()),
        (html, "file:///srv/mirror/simple/pkg/index.html".into(), "<a href=\"../../p/pkg-1.0.tar.gz\">x</a>".into()),
        (html, page.into(), "<a href=\"pkg-1.0.tar.gz\" data-yanked=\"r\" data-requires-python=\"&gt;3\" data-core-metadata=\"true\">x</a>".into()),
        (html, page.into(), "<a href=\"x&#x2d;1.0.tar.gz\">x</a><a href=\"&#x79;-1.0.tar.gz\">y</a>".into()),
    ];
    let json = "application/vnd.pypi.simple.v1+json";
    for body in [
        format!(r#"{{"meta": {{"api-version": "1.1"}}, "name": "pkg", "files": [{{"filename": "pkg-1.0.tar.gz", "url": "../../p/pkg-1.0.tar.gz", "hashes": {{"sha256": "{h}"}}, "requires-python": ">=3.8", "core-metadata": {{"sha256": "{h}"}}, "size": 10}}]}}"#),
        r#"{"meta": {"api-version": "1.0"}, "name": "pkg", "files": [{"filename": "pkg-1.0.tar.gz", "url": "https://files.example/pkg-1.0.tar.gz", "hashes": {}, "yanked": true, "dist-info-metadata": true}]}"#.into(),
        r#"{"meta": {"api-version": "1.0"}, "name": "pkg", "files": [{"filename": "pkg-1.0.tar.gz", "url": "/pkg-1.0.tar.gz", "hashes": {"md5": "00"}, "yanked": "why", "core-metadata": false}]}"#.into(),
    ] {
        cases.push((json, page.into(), body));
    }
    cases
}

#[test]
fn html_reader_agrees_with_pip() {
    let cases = differential_cases();
    assert!(cases.len() >= 40);
    let lines: Vec<String> = cases
        .iter()
        .map(|(content_type, page_url, body)| {
            serde_json::json!({ "type": content_type, "url": page_url, "body": body }).to_string()
        })
        .collect();
    let results = packaging_oracle(PIP_PARSE_LINKS, &lines);
    let mut compared = 0;
    for ((content_type, page_url, body), pip) in cases.iter().zip(results) {
        let pip: serde_json::Value = serde_json::from_str(&pip).unwrap();
        let ours = curd_links(content_type, body, &url(page_url));
        assert_eq!(ours, pip, "page {page_url}:\n{body}");
        compared += pip.as_array().map_or(0, Vec::len);
    }
    assert!(compared >= 45, "only {compared} links compared");
}

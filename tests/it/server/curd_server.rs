//! curd-server, run as a separate process over loopback, checked with real clients
//! (pip, uv, twine) and with raw HTTP for what clients never send.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::dists::{self, WheelSpec, sha256_hex};
use crate::support::files::{fixture, listing};
use crate::support::http::{Reply, basic, parse_reply};
use crate::support::process::{command, run, run_ok};
use crate::support::python::{pip, pip_list, tool, venv};
use crate::support::servers::Server;
use crate::support::tmp::{TempDir, mkdir};

/// A folder with a small dependency graph: alpha 2.0 needs beta, which has a prerelease.
fn populated(dir: &Path) -> PathBuf {
    let wheels = mkdir(dir.join("wheels"));
    WheelSpec::new("alpha", "1.0").build(&wheels);
    WheelSpec {
        requires: &["beta>=1.0"],
        requires_python: Some(">=3.7"),
        ..WheelSpec::new("alpha", "2.0")
    }
    .build(&wheels);
    WheelSpec::new("beta", "1.5").build(&wheels);
    WheelSpec::new("beta", "2.0b1").build(&wheels);
    WheelSpec::new("Gamma.Delta", "0.1").build(&wheels);
    wheels
}

#[test]
fn pip_installs_from_the_simple_index() {
    let tmp = TempDir::new("pip");
    let server = Server::start(&populated(tmp.path()), &[]);
    let env = venv(tmp.path());
    let python = env.join("bin/python");
    run_ok(pip(&python).args([
        "install",
        "--index-url",
        &format!("{}/simple/", server.url),
        "alpha",
    ]));
    let list = pip_list(&env);
    assert!(list.contains("alpha==2.0"), "{list}");
    // pip leaves the prerelease alone, as PEP 440 says.
    assert!(list.contains("beta==1.5"), "{list}");
    run_ok(command(&python).args(["-c", "import alpha, beta; assert alpha.VERSION == '2.0'"]));
    let log = server.log_with("\"GET /simple/alpha/\" 200");
    assert!(log.contains("\"GET /simple/alpha/\" 200"), "{log}");
}

#[test]
fn pip_downloads_by_normalized_and_odd_names() {
    let tmp = TempDir::new("pip-download");
    let server = Server::start(&populated(tmp.path()), &[]);
    let out = tmp.path().join("out");
    run_ok(pip(Path::new("python3")).args([
        "download",
        "--no-deps",
        "--index-url",
        &format!("{}/simple/", server.url),
        "-d",
        out.to_str().unwrap(),
        "GAMMA_delta==0.1",
    ]));
    assert_eq!(listing(&out), ["Gamma.Delta-0.1-py3-none-any.whl"]);
}

#[test]
fn uv_installs_from_the_simple_index() {
    let tmp = TempDir::new("uv");
    let server = Server::start(&populated(tmp.path()), &[]);
    let env = venv(tmp.path());
    run_ok(
        command(tool("uv"))
            .args(["pip", "install", "--python"])
            .arg(env.join("bin/python"))
            .args([
                "--index-url",
                &format!("{}/simple/", server.url),
                "alpha==2.0",
            ])
            .env("UV_CACHE_DIR", tmp.path().join("uv-cache"))
            .env("UV_NO_CONFIG", "1"),
    );
    let list = pip_list(&env);
    assert!(
        list.contains("alpha==2.0") && list.contains("beta==1.5"),
        "{list}"
    );
    // uv asks for PEP 691 JSON and uses PEP 658 metadata instead of whole wheels.
    let log = server.log_with(".whl.metadata\" 200");
    assert!(log.contains(".whl.metadata\" 200"), "{log}");
}

#[test]
fn twine_uploads_with_a_login() {
    let tmp = TempDir::new("twine");
    let wheels = mkdir(tmp.path().join("wheels"));
    let dist = mkdir(tmp.path().join("dist"));
    let wheel = WheelSpec::new("uploaded", "3.1").build(&dist);
    let users = fixture("htpasswd/apr1");
    let server = Server::start(&wheels, &["-u", users.to_str().unwrap()]);
    let twine = |password: &str| {
        run(command(tool("twine"))
            .args([
                "upload",
                "--non-interactive",
                "--disable-progress-bar",
                "--repository-url",
            ])
            .arg(format!("{}/", server.url))
            .args(["-u", "alice", "-p", password])
            .arg(&wheel)
            .env("HOME", tmp.path()))
    };
    let _refused = twine("not-the-password").failure();
    assert!(listing(&wheels).is_empty());
    let _accepted = twine("wonderland").success();
    assert_eq!(listing(&wheels), ["uploaded-3.1-py3-none-any.whl"]);
    assert_eq!(
        std::fs::read(wheels.join("uploaded-3.1-py3-none-any.whl")).unwrap(),
        std::fs::read(&wheel).unwrap()
    );
    // Once the successful upload is logged, so are both attempts.
    let log = server.log_with(" alice \"POST /\" 201");
    assert!(log.contains(" alice \"POST /\" 201"), "{log}");
    assert!(
        !log.contains("wonderland") && !log.contains("not-the-password"),
        "{log}"
    );
}

#[test]
fn simple_index_speaks_pep_691_json_and_658_metadata() {
    let tmp = TempDir::new("pep691");
    let server = Server::start(&populated(tmp.path()), &[]);
    let json = "application/vnd.pypi.simple.v1+json";
    let reply = server.request("GET", "/simple/", &[("Accept", json)], b"");
    assert_eq!(reply.header("content-type"), Some(json));
    let index: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    let names: Vec<&str> = index["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha", "beta", "gamma-delta"]);

    let reply = server.request("GET", "/simple/alpha/", &[("Accept", json)], b"");
    let project: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(project["name"], "alpha");
    let files = project["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let newest = &files[0];
    assert_eq!(newest["filename"], "alpha-2.0-py3-none-any.whl");
    assert_eq!(newest["requires-python"], ">=3.7");
    let sha = newest["hashes"]["sha256"].as_str().unwrap();
    let url = newest["url"].as_str().unwrap();
    assert_eq!(url, "../../p/alpha-2.0-py3-none-any.whl");
    let wheel = server.get("/p/alpha-2.0-py3-none-any.whl");
    assert_eq!(sha256_hex(&wheel.body), sha);

    let metadata = server.get("/p/alpha-2.0-py3-none-any.whl.metadata");
    assert_eq!(metadata.status, 200);
    assert_eq!(
        sha256_hex(&metadata.body),
        newest["core-metadata"]["sha256"].as_str().unwrap()
    );
    assert!(metadata.text().contains("Requires-Dist: beta>=1.0"));

    let html = server.get("/simple/alpha/").text();
    assert!(
        html.contains(&format!(
            "href=\"../../p/alpha-2.0-py3-none-any.whl#sha256={sha}\""
        )),
        "{html}"
    );
    assert!(html.contains("data-requires-python=\"&gt;=3.7\""), "{html}");
    assert!(html.contains("data-core-metadata=\"sha256="), "{html}");
    assert_eq!(
        server
            .request("GET", "/simple/", &[("Accept", "application/xml")], b"")
            .status,
        406
    );
}

#[test]
fn project_urls_are_normalized_with_redirects() {
    let tmp = TempDir::new("redirects");
    let server = Server::start(&populated(tmp.path()), &[]);
    let reply = server.get("/simple/Gamma.Delta/");
    assert_eq!(reply.status, 301);
    assert_eq!(reply.header("location"), Some("/simple/gamma-delta/"));
    assert_eq!(
        server.get("/simple/alpha").header("location"),
        Some("/simple/alpha/")
    );
    assert_eq!(server.get("/simple/gamma-delta/").status, 200);
    assert_eq!(server.get("/simple/nothing-here/").status, 404);
}

#[test]
fn downloads_have_etags_and_answer_conditional_and_head_requests() {
    let tmp = TempDir::new("download");
    let wheels = populated(tmp.path());
    let server = Server::start(&wheels, &[]);
    let path = "/p/beta-1.5-py3-none-any.whl";
    let full = server.get(path);
    assert_eq!(full.status, 200);
    assert_eq!(
        full.body,
        std::fs::read(wheels.join("beta-1.5-py3-none-any.whl")).unwrap()
    );
    assert_eq!(
        full.header("content-type"),
        Some("application/octet-stream")
    );
    let etag = full.header("etag").unwrap().to_string();
    assert_eq!(etag, format!("\"{}\"", sha256_hex(&full.body)));
    let head = server.request("HEAD", path, &[], b"");
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-length"),
        Some(full.body.len().to_string().as_str())
    );
    let cached = server.request("GET", path, &[("If-None-Match", &etag)], b"");
    assert_eq!(cached.status, 304);
    assert!(cached.body.is_empty());
    assert_eq!(cached.header("content-length"), None, "RFC 9110 8.6");
    let weak = format!("W/{etag}");
    let cached = server.request("GET", path, &[("If-None-Match", &weak)], b"");
    assert_eq!(cached.status, 304);
    assert_eq!(server.get("/p/beta-9.9-py3-none-any.whl").status, 404);
    assert_eq!(server.get("/p/..%2F..%2Fetc%2Fpasswd").status, 404);
}

#[test]
fn uploads_are_validated_idempotent_and_immutable() {
    let tmp = TempDir::new("uploads");
    let wheels = tmp.path().join("wheels");
    let server = Server::start(&wheels, &["--max-upload-size", "64K"]);
    let dist = mkdir(tmp.path().join("dist"));
    let good = std::fs::read(WheelSpec::new("delta", "1.0").build(&dist)).unwrap();
    let put = |path: &str, body: &[u8]| server.request("PUT", path, &[], body);

    assert_eq!(put("/p/delta-1.0-py3-none-any.whl", &good).status, 201);
    assert_eq!(
        put("/p/delta-1.0-py3-none-any.whl", &good).status,
        200,
        "same bytes again"
    );
    let other = rebuilt_with_comment(&good);
    let conflict = put("/p/delta-1.0-py3-none-any.whl", &other);
    assert_eq!(conflict.status, 409, "{}", conflict.text());
    // Another spelling of the same distribution is the same file.
    for respelled in [
        "/p/Delta-1.0-py3-none-any.whl",
        "/p/delta-1.0.0-py3-none-any.whl",
    ] {
        assert_eq!(put(respelled, &other).status, 409, "{respelled}");
        assert_eq!(put(respelled, &good).status, 200, "{respelled}");
    }

    let cases: &[(&str, &[u8], u16)] = &[
        ("/p/delta-2.0-py3-none-any.whl", b"not a zip at all", 400),
        ("/p/delta-2.0-py3-none-any.whl", &good, 400),
        ("/p/epsilon-1.0-py3-none-any.whl", &good, 400),
        ("/p/..%2Fdelta-1.0-py3-none-any.whl", &good, 400),
        ("/p/.hidden-1.0-py3-none-any.whl", &good, 400),
        ("/p/delta-1.0-py3-none-any.exe", &good, 400),
        ("/p/delta-1.0-py3-none-any.whl%00", &good, 400),
        ("/p/delta-1.1-py3-none-any.whl", &vec![0u8; 3_000_000], 413),
    ];
    for (path, body, status) in cases {
        let reply = put(path, body);
        assert_eq!(reply.status, *status, "{path}: {}", reply.text());
        assert_eq!(
            reply.text().lines().count(),
            1,
            "one-line reason: {}",
            reply.text()
        );
    }
    assert_eq!(
        listing(&wheels),
        ["delta-1.0-py3-none-any.whl"],
        "nothing else written"
    );
    assert_eq!(
        std::fs::read(wheels.join("delta-1.0-py3-none-any.whl")).unwrap(),
        good
    );
    let mut server = server;
    assert!(server.alive());
}

#[test]
fn overwrite_lets_new_bytes_replace_a_file() {
    let tmp = TempDir::new("overwrite");
    let wheels = tmp.path().join("wheels");
    let server = Server::start(&wheels, &["--overwrite"]);
    let dist = mkdir(tmp.path().join("dist"));
    let first = std::fs::read(WheelSpec::new("delta", "1.0").build(&dist)).unwrap();
    let second = rebuilt_with_comment(&first);
    assert_eq!(
        server
            .request("PUT", "/p/delta-1.0-py3-none-any.whl", &[], &first)
            .status,
        201
    );
    assert_eq!(
        server
            .request("PUT", "/p/delta-1.0-py3-none-any.whl", &[], &second)
            .status,
        200
    );
    assert_eq!(
        std::fs::read(wheels.join("delta-1.0-py3-none-any.whl")).unwrap(),
        second
    );
}

#[test]
fn multipart_put_as_curdling_sends_it() {
    let tmp = TempDir::new("multipart");
    let wheels = tmp.path().join("wheels");
    let server = Server::start(&wheels, &[]);
    let dist = mkdir(tmp.path().join("dist"));
    let name = "delta-1.0-py3-none-any.whl";
    let good = std::fs::read(WheelSpec::new("delta", "1.0").build(&dist)).unwrap();
    let mut body = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&good);
    body.extend_from_slice(b"\r\n--XyZ--\r\n");
    let reply = server.request(
        "PUT",
        &format!("/p/{name}"),
        &[("Content-Type", "multipart/form-data; boundary=XyZ")],
        &body,
    );
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(std::fs::read(wheels.join(name)).unwrap(), good);
}

#[test]
fn concurrent_uploads_of_one_file_are_safe() {
    let tmp = TempDir::new("concurrent");
    let wheels = tmp.path().join("wheels");
    let server = Server::start(&wheels, &[]);
    let dist = mkdir(tmp.path().join("dist"));
    let good = std::fs::read(WheelSpec::new("delta", "1.0").build(&dist)).unwrap();
    let other = rebuilt_with_comment(&good);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let body = if i % 2 == 0 {
                    good.clone()
                } else {
                    other.clone()
                };
                let server = &server;
                s.spawn(move || {
                    server
                        .request("PUT", "/p/delta-1.0-py3-none-any.whl", &[], &body)
                        .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 409).count(),
        4,
        "{statuses:?}"
    );
    let stored = std::fs::read(wheels.join("delta-1.0-py3-none-any.whl")).unwrap();
    assert!(stored == good || stored == other);
    assert_eq!(listing(&wheels).len(), 1);
}

#[test]
fn every_htpasswd_format_logs_in() {
    let tmp = TempDir::new("auth");
    let wheels = populated(tmp.path());
    for format in ["apr1", "bcrypt", "sha1", "crypt", "sha256", "sha512"] {
        let users = fixture(&format!("htpasswd/{format}"));
        let server = Server::start(&wheels, &["-u", users.to_str().unwrap(), "-d"]);
        let denied = server.get("/simple/");
        assert_eq!(denied.status, 401, "{format}");
        assert!(
            denied
                .header("www-authenticate")
                .unwrap()
                .starts_with("Basic"),
            "{format}"
        );
        let wrong = server.request(
            "GET",
            "/simple/",
            &[("Authorization", &basic("alice", "nope"))],
            b"",
        );
        assert_eq!(wrong.status, 401, "{format}");
        let auth = basic("mallory", "nope");
        let stranger = server.request("GET", "/simple/", &[("Authorization", &auth)], b"");
        assert_eq!(
            stranger.text(),
            wrong.text(),
            "a 401 does not tell which users exist"
        );
        let right = server.request(
            "GET",
            "/simple/",
            &[("Authorization", &basic("alice", "wonderland"))],
            b"",
        );
        assert_eq!(right.status, 200, "{format}");
        let odd = server.request(
            "GET",
            "/simple/",
            &[("Authorization", &basic("bob", "p:ss wörd"))],
            b"",
        );
        assert_eq!(odd.status, 200, "{format}");
        assert_eq!(
            server.get("/health").status,
            200,
            "health checks need no login"
        );
        let log = server.log_with(" alice \"GET /simple/\" 200");
        assert!(
            !log.contains("wonderland") && !log.contains(&basic("alice", "wonderland")[6..]),
            "{log}"
        );
        assert!(log.contains(" alice \"GET /simple/\" 200"), "{log}");
    }
}

#[test]
fn public_read_needs_a_login_only_to_upload() {
    let tmp = TempDir::new("public-read");
    let wheels = populated(tmp.path());
    let users = fixture("htpasswd/bcrypt");
    let server = Server::start(&wheels, &["-u", users.to_str().unwrap(), "--public-read"]);
    assert_eq!(server.get("/simple/alpha/").status, 200);
    let dist = mkdir(tmp.path().join("dist"));
    let body = std::fs::read(WheelSpec::new("delta", "1.0").build(&dist)).unwrap();
    assert_eq!(
        server
            .request("PUT", "/p/delta-1.0-py3-none-any.whl", &[], &body)
            .status,
        401
    );
    let auth = basic("alice", "wonderland");
    let reply = server.request(
        "PUT",
        "/p/delta-1.0-py3-none-any.whl",
        &[("Authorization", &auth)],
        &body,
    );
    assert_eq!(reply.status, 201);
}

#[test]
fn the_index_follows_files_copied_in_and_removed() {
    let tmp = TempDir::new("follow");
    let wheels = populated(tmp.path());
    let server = Server::start(&wheels, &[]);
    assert!(!server.get("/simple/").text().contains("zeta"));
    let staging = mkdir(tmp.path().join("staging"));
    let built = WheelSpec::new("zeta", "1.0").build(&staging);
    std::fs::rename(&built, wheels.join("zeta-1.0-py3-none-any.whl")).unwrap();
    assert!(server.get("/simple/").text().contains("zeta"));
    assert_eq!(server.get("/simple/zeta/").status, 200);
    std::fs::remove_file(wheels.join("zeta-1.0-py3-none-any.whl")).unwrap();
    assert!(!server.get("/simple/").text().contains("zeta"));
    assert_eq!(server.get("/p/zeta-1.0-py3-none-any.whl").status, 404);
}

/// The server's own saves update its listing in place; a file copied in while
/// uploads keep changing the folder must still be found.
#[test]
fn files_copied_in_during_uploads_are_listed() {
    let tmp = TempDir::new("follow-busy");
    let wheels = tmp.path().join("wheels");
    let server = Server::start(&wheels, &[]);
    let dist = mkdir(tmp.path().join("dist"));
    let uploads: Vec<(String, Vec<u8>)> = (0..30)
        .map(|i| {
            let built = WheelSpec::new("busy", &format!("1.{i}")).build(&dist);
            let name = built.file_name().unwrap().to_str().unwrap().to_string();
            (name, std::fs::read(&built).unwrap())
        })
        .collect();
    let copied = WheelSpec::new("copied", "1.0").build(&mkdir(tmp.path().join("staging")));
    std::thread::scope(|s| {
        let server = &server;
        let uploader = s.spawn(move || {
            for (name, body) in &uploads {
                let reply = server.request("PUT", &format!("/p/{name}"), &[], body);
                assert_eq!(reply.status, 201, "{name}: {}", reply.text());
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        std::thread::sleep(Duration::from_millis(300));
        std::fs::rename(&copied, wheels.join("copied-1.0-py3-none-any.whl")).unwrap();
        let listed = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(50));
            server.get("/simple/").text().contains("copied")
        });
        assert!(
            listed,
            "a file copied in during uploads is listed within 5 s"
        );
        uploader.join().unwrap();
    });
    let page = server.get("/simple/busy/").text();
    for i in 0..30 {
        assert!(
            page.contains(&format!("busy-1.{i}-py3")),
            "busy 1.{i} listed"
        );
    }
    assert_eq!(server.get("/simple/copied/").status, 200);
}

#[test]
fn slow_clients_do_not_starve_others() {
    let tmp = TempDir::new("slow");
    let server = Server::start(&populated(tmp.path()), &["--threads", "4"]);
    // 200 clients that send half a request and then nothing.
    let slow: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            s.write_all(b"GET /simple/ HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
            s
        })
        .collect();
    for _ in 0..20 {
        let mut s = TcpStream::connect(server.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut reply = Vec::new();
        s.read_to_end(&mut reply)
            .expect("a normal request is answered while slow clients wait");
        assert!(reply.starts_with(b"HTTP/1.1 200"));
    }
    drop(slow);
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let tmp = TempDir::new("keep-alive");
    let server = Server::start(&populated(tmp.path()), &[]);
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // Two pipelined requests, then a third after the answers.
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /simple/ HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = vec![0u8; 65536];
    let mut got = Vec::new();
    while got.windows(7).filter(|w| w == b"HTTP/1.").count() < 2 || !got.ends_with(b"</html>\n") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed early");
        got.extend_from_slice(&buf[..n]);
    }
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    assert!(
        rest.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&rest)
    );
}

#[test]
fn bad_requests_get_a_reason_and_the_server_keeps_serving() {
    let tmp = TempDir::new("bad");
    let mut server = Server::start(&populated(tmp.path()), &[]);
    let raw = |bytes: &[u8]| {
        let mut s = TcpStream::connect(server.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = s.write_all(bytes);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        parse_reply(&out, false)
    };
    let cases: &[(&[u8], u16)] = &[
        (b"BLAH\r\n\r\n", 400),
        (b"GET / HTTP/3\r\nHost: x\r\nConnection: close\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nbroken header\r\n\r\n", 400),
        (b"GET /health HTTP/1.1\r\n\r\n", 400),
        (b"GET /health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400),
        (b"PUT /p/a-1.0-py3-none-any.whl HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: x\r\n\r\n", 400),
        (b"PUT /p/a-1.0-py3-none-any.whl HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: +3\r\n\r\nabc", 400),
        (b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\nContent-Length: 30\r\n\r\n", 400),
        (b"PUT /p/a-1.0-py3-none-any.whl HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        (b"PUT /p/a-1.0-py3-none-any.whl HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        (b"PUT /p/a-1.0-py3-none-any.whl HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        (b"PUT /p/a-1.0-py3-none-any.whl HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 411),
        (b"DELETE /simple/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405),
        (b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404),
        (b"GET /p/a%0Ab.whl HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404),
        (b"GET http://x/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200),
    ];
    for (bytes, status) in cases {
        let reply: Reply = raw(bytes);
        assert_eq!(reply.status, *status, "{}", String::from_utf8_lossy(bytes));
        assert_eq!(
            reply.text().trim().lines().count(),
            1,
            "one line: {}",
            reply.text()
        );
    }
    let huge = [
        b"GET / HTTP/1.1\r\nX: ".as_slice(),
        &vec![b'a'; 1 << 20],
        b"\r\n\r\n",
    ]
    .concat();
    assert_eq!(raw(&huge).status, 431);
    assert!(server.alive());
    assert_eq!(server.get("/health").status, 200);
}

#[test]
fn sdists_are_served_with_their_requires_python() {
    let tmp = TempDir::new("sdist");
    let wheels = mkdir(tmp.path().join("wheels"));
    let pkg_info = "Metadata-Version: 2.1\nName: eta\nVersion: 0.3\nRequires-Python: >=3.8\n\n";
    dists::sdist(&wheels, "eta-0.3", None, &[("PKG-INFO", pkg_info)]);
    let server = Server::start(&wheels, &[]);
    let page = server.get("/simple/eta/").text();
    assert!(page.contains("eta-0.3.tar.gz#sha256="), "{page}");
    assert!(page.contains("data-requires-python=\"&gt;=3.8\""), "{page}");
    assert_eq!(
        server.get("/p/eta-0.3.tar.gz").header("content-type"),
        Some("application/gzip")
    );
}

#[test]
fn home_page_shows_projects_and_how_to_use_them() {
    let tmp = TempDir::new("home");
    let server = Server::start(&populated(tmp.path()), &[]);
    let page = server.get("/").text();
    assert!(
        page.contains(&format!("pip install --index-url {}/simple/", server.url)),
        "{page}"
    );
    assert!(page.contains("beta-2.0b1-py3-none-any.whl"));
    let other = server.request("GET", "/", &[("Host", "cache.example:8000")], b"");
    let other = other.text();
    assert!(
        other.contains("pip install --index-url http://cache.example:8000/simple/"),
        "{other}"
    );
}

#[test]
fn stops_cleanly_on_sigterm() {
    let tmp = TempDir::new("sigterm");
    let server = Server::start(&populated(tmp.path()), &[]);
    assert_eq!(server.get("/health").status, 200);
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
}

#[test]
fn curd_server_subcommand_runs_the_same_server() {
    let tmp = TempDir::new("subcommand");
    let server = Server::start_binary(
        env!("CARGO_BIN_EXE_curd"),
        &["server"],
        &populated(tmp.path()),
        &[],
    );
    assert!(server.get("/simple/").text().contains("alpha"));
}

#[test]
fn command_line_reads_like_the_seed() {
    let server = env!("CARGO_BIN_EXE_curd-server");
    for help in ["-h", "--help"] {
        let text = run_ok(command(server).arg(help));
        for flag in [
            "--debug",
            "--host",
            "--port",
            "--user-db",
            "--public-read",
            "--overwrite",
            "--max-upload-size",
        ] {
            assert!(text.contains(flag), "{help} lacks {flag}: {text}");
        }
    }
    let tmp = TempDir::new("cli");
    let wheels = populated(tmp.path());
    let with_equals = Server::start(&wheels, &["--threads=2"]);
    assert_eq!(with_equals.get("/health").status, 200);

    let fail = |args: &[&str]| {
        let mut run = run(command(server).args(args)).failure();
        let err = std::mem::take(&mut run.stderr);
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        err
    };
    assert!(fail(&["-p", "notaport", "x"]).contains("port"));
    let missing = fail(&[
        "-H",
        "127.0.0.1",
        "-p",
        "0",
        "-u",
        "/nonexistent/users",
        wheels.to_str().unwrap(),
    ]);
    assert!(missing.contains("/nonexistent/users"), "{missing}");
    let malformed = fixture("htpasswd/malformed");
    let bad = fail(&[
        "-H",
        "127.0.0.1",
        "-p",
        "0",
        "-u",
        malformed.to_str().unwrap(),
        wheels.to_str().unwrap(),
    ]);
    assert!(bad.contains("line"), "{bad}");
    assert_eq!(bad.trim().lines().count(), 1, "{bad}");
    assert!(fail(&["--max-upload-size", "lots", "x"]).contains("expected a size"));
}

/// The same wheel with a zip comment: other bytes, same name and metadata.
fn rebuilt_with_comment(wheel: &[u8]) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(wheel)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let file = archive.by_index_raw(i).unwrap();
        out.raw_copy_file(file).unwrap();
    }
    out.set_comment("rebuilt").unwrap();
    out.finish().unwrap().into_inner()
}

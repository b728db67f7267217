//! curd-server with `--upstream`: the upstream's projects served beside the
//! folder's, files fetched once through it, checked, kept apart from uploads, and
//! served again with the upstream gone. The upstream is a static index served
//! from the test's folder (which counts requests, sleeps or demands a login) or
//! a second curd-server.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::curd::Curd;
use crate::support::dists::{WheelSpec, sha256_hex};
use crate::support::files::listing;
use crate::support::http::{Reply, basic};
use crate::support::process::{command, run_ok};
use crate::support::python::{pip, pip_list, tool, venv};
use crate::support::servers::Server;
use crate::support::static_index::{StaticIndex, publish_html};
use crate::support::tmp::{TempDir, mkdir};

/// A wheel built in `dir`, with its bytes.
fn wheel(dir: &Path, spec: WheelSpec<'_>) -> (String, Vec<u8>) {
    let path = spec.build(dir);
    let bytes = std::fs::read(&path).unwrap();
    (spec.file_name(), bytes)
}

/// A static upstream in the test's folder listing one wheel, alpha 1.0: its
/// name, its bytes, and the running index.
fn alpha_upstream(tmp: &TempDir, login: Option<String>) -> (String, Vec<u8>, StaticIndex) {
    let build = mkdir(tmp.path().join("build"));
    let root = mkdir(tmp.path().join("upstream"));
    let (name, bytes) = wheel(&build, WheelSpec::new("alpha", "1.0"));
    publish_html(&root, "alpha", &[(&name, &bytes, "")]);
    (name, bytes, StaticIndex::start(&root, login))
}

/// As [`alpha_upstream`], with a wheel of about a MiB: long enough to download
/// that clients asking at once overlap.
fn big_alpha_upstream(tmp: &TempDir) -> (String, Vec<u8>, StaticIndex) {
    let build = mkdir(tmp.path().join("build"));
    let root = mkdir(tmp.path().join("upstream"));
    let big = "x = 1\n".repeat(200_000);
    let spec = WheelSpec {
        files: &[("alpha/big.py", &big)],
        ..WheelSpec::new("alpha", "1.0")
    };
    let (name, bytes) = wheel(&build, spec);
    publish_html(&root, "alpha", &[(&name, &bytes, "")]);
    (name, bytes, StaticIndex::start(&root, None))
}

/// Other bytes under alpha 1.0's name.
fn respun_alpha(tmp: &TempDir) -> Vec<u8> {
    let spec = WheelSpec {
        files: &[("alpha/x.py", "")],
        ..WheelSpec::new("alpha", "1.0")
    };
    wheel(&mkdir(tmp.path().join("respun")), spec).1
}

/// The proxy's folder, with its uploads.
fn proxy_dir(tmp: &TempDir) -> PathBuf {
    mkdir(tmp.path().join("proxy"))
}

fn simple(upstream: &StaticIndex) -> String {
    format!("--upstream={}/simple/", upstream.url())
}

fn get(server: &Server, path: &str, accept: &str) -> Reply {
    server.request("GET", path, &[("Accept", accept)], b"")
}

const JSON: &str = "application/vnd.pypi.simple.v1+json";

/// Upstream files in `upstream/` of the proxy's folder, not among its uploads.
fn cached(dir: &Path) -> Vec<String> {
    listing(&dir.join("upstream"))
        .into_iter()
        .filter(|n| n.ends_with(".whl") || n.ends_with(".tar.gz"))
        .collect()
}

#[test]
fn project_pages_are_the_union_local_first_in_both_formats() {
    let tmp = TempDir::new("pull-union");
    let build = mkdir(tmp.path().join("build"));
    let root = mkdir(tmp.path().join("upstream"));
    let dir = proxy_dir(&tmp);
    // The same name locally and upstream, with different bytes: the local wins.
    let (local_name, local_bytes) = wheel(&dir, WheelSpec::new("alpha", "1.0"));
    let upstream_one = WheelSpec {
        files: &[("alpha/other.py", "X = 1\n")],
        ..WheelSpec::new("alpha", "1.0")
    };
    let (_, upstream_one) = wheel(&build, upstream_one);
    let (two, two_bytes) = wheel(&build, WheelSpec::new("alpha", "2.0"));
    let (bad, bad_bytes) = wheel(&build, WheelSpec::new("alpha", "1.5"));
    let metadata = b"Metadata-Version: 2.1\nName: alpha\nVersion: 2.0\n";
    std::fs::write(build.join("m"), metadata).unwrap();
    let meta_attr = format!(
        "data-requires-python=\"&gt;=3.8\" data-core-metadata=\"sha256={}\"",
        sha256_hex(metadata)
    );
    publish_html(
        &root,
        "alpha",
        &[
            (&local_name, &upstream_one, ""),
            (&two, &two_bytes, &meta_attr),
            (&bad, &bad_bytes, "data-yanked=\"broken &amp; bad\""),
            ("alpha-0.1.exe", b"not a distribution", ""),
        ],
    );
    std::fs::write(root.join("files").join(format!("{two}.metadata")), metadata).unwrap();
    let upstream = StaticIndex::start(&root, None);
    let server = Server::start(&dir, &[&simple(&upstream)]);

    let html = get(&server, "/simple/alpha/", "text/html");
    assert_eq!(html.status, 200, "{}", html.text());
    let page = html.text();
    let local_link = format!("../../p/{local_name}#sha256={}", sha256_hex(&local_bytes));
    assert!(page.contains(&local_link), "{page}");
    assert!(!page.contains(&sha256_hex(&upstream_one)), "{page}");
    let two_link = format!(
        "<a href=\"../../p/{two}#sha256={}\" data-requires-python=\"&gt;=3.8\" data-dist-info-metadata=\"sha256={1}\" data-core-metadata=\"sha256={1}\">",
        sha256_hex(&two_bytes),
        sha256_hex(metadata)
    );
    assert!(page.contains(&two_link), "{page}");
    assert!(page.contains("data-yanked=\"broken &amp; bad\""), "{page}");
    assert!(!page.contains(".exe"), "{page}");
    assert!(html.header("age").is_some(), "{:?}", html.headers);

    let json: serde_json::Value =
        serde_json::from_slice(&get(&server, "/simple/alpha/", JSON).body).unwrap();
    let files = json["files"].as_array().unwrap();
    let names: Vec<&str> = files
        .iter()
        .map(|f| f["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, [two.as_str(), bad.as_str(), local_name.as_str()]);
    assert_eq!(files[0]["url"], format!("../../p/{two}"));
    assert_eq!(files[0]["requires-python"], ">=3.8");
    assert_eq!(files[0]["core-metadata"]["sha256"], sha256_hex(metadata));
    assert_eq!(files[1]["yanked"], "broken & bad");
    assert_eq!(files[2]["hashes"]["sha256"], sha256_hex(&local_bytes));
    assert_eq!(json["versions"], serde_json::json!(["1.0", "1.5", "2.0"]));

    // Files and METADATA come through the proxy, checked.
    let file = server.get(&format!("/p/{two}"));
    assert_eq!((file.status, file.body == two_bytes), (200, true));
    let meta = server.get(&format!("/p/{two}.metadata"));
    assert_eq!((meta.status, meta.body.as_slice()), (200, &metadata[..]));
    // The local file is the local one, and Curdling's API lists the union too.
    assert_eq!(server.get(&format!("/p/{local_name}")).body, local_bytes);
    let api = server.get("/api/alpha").text();
    assert!(
        api.contains(&two) && api.contains(&sha256_hex(&local_bytes)),
        "{api}"
    );
    // What came from upstream is kept apart from the uploads.
    assert_eq!(cached(&dir), [two.as_str()]);
    assert!(!listing(&dir).contains(&two));
    let home = server.get("/").text();
    assert!(home.contains("Cached from upstream: 1 files"), "{home}");
    // Each page asked for counts once among the hits, whether it was rendered
    // anew (another format) or served as rendered before.
    let pages = |home: &str| -> (u64, u64) {
        let rest = home.split("Pages: ").nth(1).unwrap();
        let mut words = rest.split_whitespace();
        let hits = words.next().unwrap().parse().unwrap();
        let all = words.nth(1).unwrap().parse().unwrap();
        (hits, all)
    };
    let before = pages(&home);
    get(&server, "/simple/alpha/", JSON);
    get(&server, "/simple/alpha/", JSON);
    server.get("/simple/alpha/");
    let after = pages(&server.get("/").text());
    assert_eq!((after.0 - before.0, after.1 - before.1), (3, 3));
}

#[test]
fn a_json_upstream_is_read_too() {
    let tmp = TempDir::new("pull-json");
    let build = mkdir(tmp.path().join("build"));
    let root = mkdir(tmp.path().join("upstream"));
    let (name, bytes) = wheel(&build, WheelSpec::new("beta", "3.0"));
    mkdir(root.join("files"));
    std::fs::write(root.join("files").join(&name), &bytes).unwrap();
    let page = serde_json::json!({
        "meta": {"api-version": "1.1"},
        "name": "beta",
        "files": [{
            "filename": name,
            "url": format!("../../files/{name}"),
            "hashes": {"sha256": sha256_hex(&bytes)},
            "requires-python": ">=3.9",
            "yanked": true,
            "size": bytes.len(),
        }],
    });
    let dir = mkdir(root.join("simple/beta"));
    std::fs::write(dir.join("index.json"), page.to_string()).unwrap();
    let upstream = StaticIndex::start(&root, None);
    let server = Server::start(&proxy_dir(&tmp), &[&simple(&upstream)]);
    let html = get(&server, "/simple/beta/", "text/html").text();
    assert!(
        html.contains("data-requires-python=\"&gt;=3.9\" data-yanked=\"\""),
        "{html}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&get(&server, "/simple/beta/", JSON).body).unwrap();
    assert_eq!(json["files"][0]["yanked"], true);
    assert_eq!(json["files"][0]["size"], bytes.len());
    assert_eq!(server.get(&format!("/p/{name}")).body, bytes);
}

#[test]
fn links_are_read_from_where_a_redirect_led() {
    let tmp = TempDir::new("pull-moved");
    let build = mkdir(tmp.path().join("build"));
    let root = mkdir(tmp.path().join("upstream"));
    let (name, bytes) = wheel(&build, WheelSpec::new("alpha", "1.0"));
    // The page moved to /mirror/alpha/, and links relative to it.
    let moved = mkdir(root.join("mirror/alpha/files"));
    std::fs::write(moved.join(&name), &bytes).unwrap();
    let page = format!(
        "<a href=\"files/{name}#sha256={}\">{name}</a>",
        sha256_hex(&bytes)
    );
    std::fs::write(root.join("mirror/alpha/index.html"), page).unwrap();
    let old = mkdir(root.join("simple/alpha"));
    std::fs::write(old.join("moved"), "/mirror/alpha/").unwrap();
    let upstream = StaticIndex::start(&root, None);
    let server = Server::start(&proxy_dir(&tmp), &[&simple(&upstream)]);
    assert!(server.get("/simple/alpha/").text().contains(&name));
    let reply = server.get(&format!("/p/{name}"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(reply.body == bytes);
}

#[test]
fn twenty_clients_at_once_cost_the_upstream_one_download() {
    let tmp = TempDir::new("pull-once");
    let (name, bytes, upstream) = big_alpha_upstream(&tmp);
    // Slow enough that the twenty overlap.
    upstream.set_delay(Duration::from_millis(500));
    let server = Server::start(&proxy_dir(&tmp), &[&simple(&upstream), "--threads=32"]);
    let path = format!("/p/{name}");
    let replies: Vec<Reply> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20).map(|_| s.spawn(|| server.get(&path))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert!(reply.body == bytes);
    }
    assert_eq!(upstream.requests(&format!("/files/{name}")), 1);
    assert_eq!(upstream.requests("/simple/alpha/"), 1);
}

#[test]
fn a_file_that_does_not_match_its_hash_is_refused_and_not_kept() {
    let tmp = TempDir::new("pull-mismatch");
    let (name, _, upstream) = alpha_upstream(&tmp, None);
    // The file changes behind the page's back.
    let served = tmp.path().join("upstream/files").join(&name);
    std::fs::write(served, respun_alpha(&tmp)).unwrap();
    let dir = proxy_dir(&tmp);
    let server = Server::start(&dir, &[&simple(&upstream)]);
    let reply = server.get(&format!("/p/{name}"));
    assert_eq!(reply.status, 502, "{}", reply.text());
    let text = reply.text();
    assert!(text.contains("does not match its sha256"), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
    let left: Vec<String> = listing(&dir.join("upstream"))
        .into_iter()
        .filter(|n| n != "pages" && n != "metadata")
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // Asked again, it is fetched again and refused again: nothing bad was kept.
    assert_eq!(server.get(&format!("/p/{name}")).status, 502);
}

#[test]
fn a_stale_page_is_served_at_once_while_a_slow_upstream_refreshes_it() {
    let tmp = TempDir::new("pull-swr");
    let (name, _, upstream) = alpha_upstream(&tmp, None);
    let server = Server::start(&proxy_dir(&tmp), &[&simple(&upstream), "--upstream-ttl=1"]);
    assert_eq!(server.get("/simple/alpha/").status, 200);
    std::thread::sleep(Duration::from_millis(1500));
    upstream.set_delay(Duration::from_secs(20));
    for _ in 0..3 {
        let started = Instant::now();
        let reply = server.get("/simple/alpha/");
        // A guard against waiting on the upstream, which sleeps 20 s.
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(reply.status, 200);
        assert!(reply.text().contains(&name));
    }
    // The refresh was asked for once, however many hits came meanwhile.
    let deadline = Instant::now() + Duration::from_secs(10);
    while upstream.requests("/simple/alpha/") < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(upstream.requests("/simple/alpha/"), 2);
}

#[test]
fn with_the_upstream_down_the_last_good_page_is_served_with_its_age() {
    let tmp = TempDir::new("pull-down");
    let (name, bytes, upstream) = alpha_upstream(&tmp, None);
    let server = Server::start(&proxy_dir(&tmp), &[&simple(&upstream), "--upstream-ttl=1"]);
    assert_eq!(server.get("/simple/alpha/").status, 200);
    assert_eq!(server.get(&format!("/p/{name}")).status, 200);
    drop(upstream);
    std::thread::sleep(Duration::from_millis(2100));
    for _ in 0..2 {
        let reply = server.get("/simple/alpha/");
        assert_eq!(reply.status, 200);
        assert!(reply.text().contains(&name));
        let age: u64 = reply.header("age").unwrap().parse().unwrap();
        assert!(age >= 2, "{age}");
    }
    assert_eq!(server.get(&format!("/p/{name}")).body, bytes);
    // A project never fetched has nothing to stand in: 502, one line saying why.
    let reply = server.get("/simple/gamma/");
    assert_eq!(reply.status, 502);
    let text = reply.text();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("upstream `http://127.0.0.1:"), "{text}");
}

#[test]
fn offline_serves_what_was_pulled_through_and_never_asks() {
    let tmp = TempDir::new("pull-offline");
    let build = mkdir(tmp.path().join("build"));
    let root = mkdir(tmp.path().join("upstream"));
    let (one, one_bytes) = wheel(&build, WheelSpec::new("alpha", "1.0"));
    let (two, two_bytes) = wheel(&build, WheelSpec::new("alpha", "2.0"));
    publish_html(
        &root,
        "alpha",
        &[(&one, &one_bytes, ""), (&two, &two_bytes, "")],
    );
    let upstream = StaticIndex::start(&root, None);
    let dir = proxy_dir(&tmp);
    let online = Server::start(&dir, &[&simple(&upstream)]);
    assert_eq!(online.get(&format!("/p/{one}")).status, 200);
    drop(online);
    // Another machine's folder, synced in.
    let synced = tmp.path().join("synced");
    run_ok(command("cp").arg("-a").arg(&dir).arg(&synced));
    let asked = upstream.total();
    let offline = Server::start(&synced, &[&simple(&upstream), "--offline"]);
    let page = offline.get("/simple/alpha/").text();
    // Only what is cached is offered: an installer then picks what it can get.
    assert!(page.contains(&one) && !page.contains(&two), "{page}");
    assert_eq!(offline.get(&format!("/p/{one}")).body, one_bytes);
    assert_eq!(offline.get(&format!("/p/{two}")).status, 404);
    assert_eq!(offline.get("/simple/gamma/").status, 404);
    assert_eq!(upstream.total(), asked);
    assert!(offline.get("/").text().contains("offline"));
}

#[test]
fn credentials_go_to_the_upstream_and_nowhere_else() {
    let tmp = TempDir::new("pull-login");
    let login = basic("mirror", "s3cret-pw");
    let (name, _, upstream) = alpha_upstream(&tmp, Some(login.clone()));
    let url = format!(
        "--upstream=http://mirror:s3cret-pw@{}/simple/",
        upstream.addr
    );
    let server = Server::start(&proxy_dir(&tmp), &[&url, "-d"]);
    let page = get(&server, "/simple/alpha/", "text/html");
    assert_eq!(page.status, 200, "{}", page.text());
    let file = server.get(&format!("/p/{name}"));
    assert_eq!(file.status, 200, "{}", file.text());
    assert!(upstream.logins().iter().all(|l| *l == login));
    let missing = server.get("/simple/gamma/");
    let home = server.get("/").text();
    let json = get(&server, "/simple/alpha/", JSON).text();
    for shown in [page.text(), json, home, missing.text(), server.log()] {
        assert!(!shown.contains("s3cret"), "{shown}");
    }
    // A wrong password is a 502 that names the upstream without it.
    drop(server);
    let url = format!(
        "--upstream=http://mirror:wrong-pw@{}/simple/",
        upstream.addr
    );
    let server = Server::start(&proxy_dir(&tmp), &[&url]);
    let reply = server.get("/simple/beta/");
    assert_eq!(reply.status, 502);
    assert!(reply.text().contains("****@"), "{}", reply.text());
    assert!(!reply.text().contains("wrong-pw") && !server.log().contains("wrong-pw"));
}

/// ureq's own rule keeps a login across a redirect to the same host whatever
/// the port; an origin is scheme, host and port.
#[test]
fn credentials_never_follow_a_redirect_to_another_port() {
    let tmp = TempDir::new("pull-login-moved");
    let (name, bytes, other) = alpha_upstream(&tmp, None);
    let root = mkdir(tmp.path().join("first"));
    let moved = format!("{}/simple/alpha/", other.url());
    std::fs::write(mkdir(root.join("simple/alpha")).join("moved"), moved).unwrap();
    let login = basic("mirror", "s3cret-pw");
    let first = StaticIndex::start(&root, Some(login.clone()));
    let url = format!("--upstream=http://mirror:s3cret-pw@{}/simple/", first.addr);
    let server = Server::start(&proxy_dir(&tmp), &[&url]);
    let page = server.get("/simple/alpha/");
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains(&name));
    let file = server.get(&format!("/p/{name}"));
    assert_eq!(file.status, 200, "{}", file.text());
    assert!(file.body == bytes);
    assert_eq!(
        first.logins(),
        [login],
        "the first upstream is asked with its login"
    );
    assert!(other.logins().is_empty(), "{:?}", other.logins());
}

/// An upstream that changes a file's bytes after it was cached: the page must
/// describe what is served, or every install of it fails its hash check.
#[test]
fn a_cached_file_is_listed_with_the_hash_of_the_bytes_served() {
    let tmp = TempDir::new("pull-respun");
    let (name, bytes, upstream) = alpha_upstream(&tmp, None);
    let server = Server::start(&proxy_dir(&tmp), &[&simple(&upstream), "--upstream-ttl=1"]);
    assert!(server.get(&format!("/p/{name}")).body == bytes);
    let respun = respun_alpha(&tmp);
    let root = tmp.path().join("upstream");
    publish_html(&root, "alpha", &[(&name, &respun, "")]);
    std::thread::sleep(Duration::from_millis(1100));
    // The stale page is served and refreshed behind; the next shows the new page.
    server.get("/simple/alpha/");
    let deadline = Instant::now() + Duration::from_secs(10);
    while upstream.requests("/simple/alpha/") < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let page = server.get("/simple/alpha/").text();
    assert!(page.contains(&sha256_hex(&bytes)), "{page}");
    assert!(!page.contains(&sha256_hex(&respun)), "{page}");
    assert!(server.get(&format!("/p/{name}")).body == bytes);
}

/// A size limit smaller than the file asked for: the file may be let go as soon
/// as it is stored, and the client hears to retry, never that it does not exist.
#[test]
fn a_file_let_go_as_soon_as_it_is_stored_is_never_a_404() {
    let tmp = TempDir::new("pull-tiny-limit");
    let (name, bytes, upstream) = big_alpha_upstream(&tmp);
    let server = Server::start(
        &proxy_dir(&tmp),
        &[&simple(&upstream), "--max-size=1K", "--threads=16"],
    );
    let path = format!("/p/{name}");
    let replies: Vec<Reply> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8).map(|_| s.spawn(|| server.get(&path))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for reply in &replies {
        match reply.status {
            200 => assert!(reply.body == bytes),
            503 => assert!(reply.text().contains("--max-size"), "{}", reply.text()),
            other => panic!("{other}: {}", reply.text()),
        }
    }
}

#[test]
fn an_upload_may_not_change_a_file_the_upstream_serves() {
    let tmp = TempDir::new("pull-upload");
    let (name, bytes, upstream) = alpha_upstream(&tmp, None);
    let dir = proxy_dir(&tmp);
    let server = Server::start(&dir, &[&simple(&upstream)]);
    assert_eq!(server.get(&format!("/p/{name}")).status, 200);
    let other = respun_alpha(&tmp);
    let path = format!("/p/{name}");
    let reply = server.request("PUT", &path, &[], &other);
    assert_eq!(reply.status, 409, "{}", reply.text());
    assert!(!listing(&dir).contains(&name));
    assert_eq!(server.get(&path).body, bytes);
    // The same bytes are welcome.
    let reply = server.request("PUT", &path, &[], &bytes);
    assert_eq!(reply.status, 201, "{}", reply.text());
}

/// An upstream curd-server with a small graph: alpha 2.0 needs beta.
fn upstream_server(tmp: &TempDir) -> Server {
    let wheels = mkdir(tmp.path().join("upstream-wheels"));
    WheelSpec::new("alpha", "1.0").build(&wheels);
    WheelSpec {
        requires: &["beta>=1.0"],
        ..WheelSpec::new("alpha", "2.0")
    }
    .build(&wheels);
    WheelSpec::new("beta", "1.5").build(&wheels);
    Server::start(&wheels, &[])
}

fn installed(env: &Path) {
    let list = pip_list(env);
    assert!(
        list.contains("alpha==2.0") && list.contains("beta==1.5"),
        "{list}"
    );
}

/// pip, uv and curd install through the proxy from a second curd-server, then
/// again into fresh environments with that server stopped.
#[test]
fn pip_uv_and_curd_install_through_it_cold_then_with_the_upstream_gone() {
    let tmp = TempDir::new("pull-clients");
    let upstream = upstream_server(&tmp);
    let dir = proxy_dir(&tmp);
    let server = Server::start(&dir, &[&format!("--upstream={}/simple/", upstream.url)]);
    let index = format!("{}/simple/", server.url);
    let install = |round: &str| {
        let home = mkdir(tmp.path().join(round));
        let pip_env = venv(&mkdir(home.join("pip")));
        run_ok(pip(&pip_env.join("bin/python")).args(["install", "--index-url", &index, "alpha"]));
        installed(&pip_env);
        let uv_env = venv(&mkdir(home.join("uv")));
        run_ok(
            command(tool("uv"))
                .args(["pip", "install", "--python"])
                .arg(uv_env.join("bin/python"))
                .args(["--index-url", &index, "alpha"])
                .env("UV_CACHE_DIR", home.join("uv-cache"))
                .env("UV_NO_CONFIG", "1"),
        );
        installed(&uv_env);
        let curd_env = venv(&mkdir(home.join("curd")));
        Curd::install(&home, &curd_env)
            .args(["-i", &index, "alpha"])
            .run()
            .success();
        installed(&curd_env);
    };
    install("cold");
    drop(upstream);
    install("warm");
    assert_eq!(cached(&dir).len(), 2);
    let log = server.log();
    assert!(log.contains(".whl.metadata\" 200"), "{log}");
}

//! Removing files from curd-server: `DELETE /p/<file>` and pypiserver's
//! `:action=remove_pkg`, who may, what goes with a file (its listing, its
//! hashes, a cached METADATA) and what does not (a download already sending it).
//! Installers still install what remains, and a removed upstream file comes back.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use crate::support::curd::Curd;
use crate::support::dists::{WheelSpec, sha256_hex};
use crate::support::files::{fixture, listing};
use crate::support::http::basic;
use crate::support::process::{command, run, run_ok};
use crate::support::python::{pip, pip_list, tool, venv};
use crate::support::rng::Rng;
use crate::support::servers::Server;
use crate::support::static_index::StaticIndex;
use crate::support::tmp::{TempDir, mkdir};

fn build(dir: &Path, spec: WheelSpec<'_>) -> (String, Vec<u8>) {
    let bytes = std::fs::read(spec.build(dir)).unwrap();
    (spec.file_name(), bytes)
}

/// Distributions cached from upstream, in `upstream/` of the folder.
fn cached(dir: &Path) -> Vec<String> {
    listing(&dir.join("upstream"))
        .into_iter()
        .filter(|n| n.ends_with(".whl"))
        .collect()
}

fn delete(server: &Server, file: &str, auth: Option<&str>) -> (u16, String) {
    let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
    let reply = server.request("DELETE", &format!("/p/{file}"), &headers, b"");
    (reply.status, reply.text())
}

#[test]
fn delete_needs_upload_rights_and_removes_the_file_from_every_listing() {
    let tmp = TempDir::new("delete-rights");
    let wheels = mkdir(tmp.path().join("wheels"));
    let (one, _) = build(&wheels, WheelSpec::new("alpha", "1.0"));
    let (two, _) = build(&wheels, WheelSpec::new("alpha", "2.0"));
    let users = fixture("htpasswd/bcrypt");
    let server = Server::start(
        &wheels,
        &["-u", users.to_str().unwrap(), "--upload-users", "alice"],
    );
    let alice = basic("alice", "wonderland");
    let bob = basic("bob", "p:ss wörd");
    assert_eq!(delete(&server, &two, None).0, 401);
    let (status, text) = delete(&server, &two, Some(&bob));
    assert_eq!(status, 403, "{text}");
    assert!(listing(&wheels).contains(&two));
    let (status, text) = delete(&server, "alpha-3.0-py3-none-any.whl", Some(&alice));
    assert_eq!(status, 404, "{text}");
    assert_eq!(delete(&server, "not-a-wheel", Some(&alice)).0, 404);
    // The page is rendered and its hashes known before the removal.
    let get = |path: &str| server.request("GET", path, &[("Authorization", &alice)], b"");
    assert!(get("/simple/alpha/").text().contains(&two));
    let (status, text) = delete(&server, &two, Some(&alice));
    assert_eq!(
        (status, text.as_str()),
        (200, format!("removed `{two}`\n").as_str())
    );
    assert_eq!(listing(&wheels), std::slice::from_ref(&one));
    let page = get("/simple/alpha/").text();
    assert!(page.contains(&one) && !page.contains(&two), "{page}");
    assert_eq!(get(&format!("/p/{two}")).status, 404);
    assert_eq!(get(&format!("/p/{two}.metadata")).status, 404);
    assert!(!get("/api/alpha").text().contains(&two));
    assert!(!get("/").text().contains(&two));
    assert_eq!(delete(&server, &two, Some(&alice)).0, 404);
    assert!(server.log().contains(&format!("removed `{two}`")));

    // pip installs what remains.
    let env = venv(&mkdir(tmp.path().join("env")));
    let index = server.url.replacen("://", "://alice:wonderland@", 1) + "/simple/";
    run_ok(pip(&env.join("bin/python")).args(["install", "--index-url", &index, "alpha"]));
    assert!(pip_list(&env).contains("alpha==1.0"), "{}", pip_list(&env));
}

/// A multipart form as curl's `--form` sends it.
fn form(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "------------------------curdform";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

#[test]
fn remove_pkg_as_pypiserver_users_send_it() {
    let tmp = TempDir::new("remove-pkg");
    let wheels = mkdir(tmp.path().join("wheels"));
    let (one, _) = build(&wheels, WheelSpec::new("alpha", "1.0"));
    let (two, _) = build(&wheels, WheelSpec::new("alpha", "2.0"));
    let (two_other, _) = build(
        &wheels,
        WheelSpec {
            tag: "py2-none-any",
            ..WheelSpec::new("alpha", "2.0")
        },
    );
    let users = fixture("htpasswd/bcrypt");
    let server = Server::start(
        &wheels,
        &["-u", users.to_str().unwrap(), "--upload-users", "alice"],
    );
    let alice = basic("alice", "wonderland");
    let post = |auth: &str, fields: &[(&str, &str)]| {
        let (content_type, body) = form(fields);
        let headers = [("Authorization", auth), ("Content-Type", &content_type)];
        let reply = server.request("POST", "/", &headers, &body);
        (reply.status, reply.text())
    };
    let remove = [
        (":action", "remove_pkg"),
        ("name", "Alpha"),
        ("version", "2.0"),
    ];
    assert_eq!(post(&basic("bob", "p:ss wörd"), &remove).0, 403);
    assert_eq!(
        post(&alice, &[(":action", "remove_pkg"), ("name", "alpha")]).0,
        400
    );
    let (status, text) = post(
        &alice,
        &[
            (":action", "remove_pkg"),
            ("name", "alpha"),
            ("version", "3.0"),
        ],
    );
    assert_eq!(status, 404, "{text}");
    let (status, text) = post(&alice, &remove);
    assert_eq!(status, 200, "{text}");
    assert!(text.contains(&two) && text.contains(&two_other), "{text}");
    assert_eq!(listing(&wheels), [one]);
}

/// Reads an HTTP response head from a raw socket: the status line and the
/// Content-Length, and whatever body bytes came with the head.
fn read_head(stream: &mut TcpStream) -> (String, usize, Vec<u8>) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the server closed before its head");
        got.extend_from_slice(&buf[..n]);
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_string();
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().unwrap())
                })
                .unwrap();
            return (head, length, got[end + 4..].to_vec());
        }
    }
}

/// Asks for `/p/<name>` on a raw socket and reads the head: the socket, the
/// Content-Length and the body bytes that came with the head.
fn start_download(server: &Server, name: &str) -> (TcpStream, usize, Vec<u8>) {
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(stream, "GET /p/{name} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let (head, length, body) = read_head(&mut stream);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    (stream, length, body)
}

/// Reads the rest of a body of `length` bytes, slowly at first.
fn read_rest_slowly(stream: &mut TcpStream, length: usize, mut body: Vec<u8>) -> Vec<u8> {
    let mut buf = vec![0u8; 1 << 20];
    while body.len() < length {
        let n = stream.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "the download stopped at {} of {length} bytes",
            body.len()
        );
        body.extend_from_slice(&buf[..n]);
        if body.len() < 4 << 20 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    body
}

/// A wheel of `size` bytes of content that deflate cannot shrink much.
fn large_wheel(dir: &Path, name: &str, size: usize) -> (String, Vec<u8>) {
    let mut rng = Rng::seeded(7);
    let text: String = (0..size / 16)
        .map(|_| format!("{:016x}", rng.next()))
        .collect();
    let path = format!("{name}/data.txt");
    let files = [(path.as_str(), text.as_str())];
    build(
        dir,
        WheelSpec {
            files: &files,
            ..WheelSpec::new(name, "1.0")
        },
    )
}

#[test]
fn a_download_in_progress_completes_when_its_file_is_deleted() {
    let tmp = TempDir::new("delete-in-use");
    let wheels = mkdir(tmp.path().join("wheels"));
    let (name, bytes) = large_wheel(&wheels, "big", 48 << 20);
    let server = Server::start(&wheels, &[]);
    let (mut stream, length, body) = start_download(&server, &name);
    assert_eq!(length, bytes.len());

    let (status, text) = delete(&server, &name, None);
    assert_eq!(status, 200, "{text}");
    assert!(listing(&wheels).is_empty());
    assert_eq!(server.get(&format!("/p/{name}")).status, 404);

    // Read the rest slowly: the open handle still has every byte.
    let body = read_rest_slowly(&mut stream, length, body);
    assert_eq!(sha256_hex(&body), sha256_hex(&bytes));
}

#[test]
fn a_deleted_upstream_file_is_fetched_again_when_asked() {
    let tmp = TempDir::new("delete-upstream");
    let build_dir = mkdir(tmp.path().join("build"));
    let root = mkdir(tmp.path().join("upstream"));
    let files = mkdir(root.join("files"));
    let (name, bytes) = build(&build_dir, WheelSpec::new("alpha", "1.0"));
    std::fs::write(files.join(&name), &bytes).unwrap();
    let page = format!(
        "<a href=\"../../files/{name}#sha256={}\">{name}</a>\n",
        sha256_hex(&bytes)
    );
    let project = mkdir(root.join("simple/alpha"));
    std::fs::write(project.join("index.html"), page).unwrap();
    let upstream = StaticIndex::start(&root, None);
    let dir = mkdir(tmp.path().join("proxy"));
    let server = Server::start(&dir, &[&format!("--upstream={}/simple/", upstream.url())]);
    let file_path = format!("/files/{name}");

    assert_eq!(server.get(&format!("/p/{name}")).body, bytes);
    assert_eq!(upstream.requests(&file_path), 1);
    assert_eq!(cached(&dir), std::slice::from_ref(&name));
    let (status, text) = delete(&server, &name, None);
    assert_eq!(status, 200, "{text}");
    assert!(cached(&dir).is_empty());
    assert!(server.get("/simple/alpha/").text().contains(&name));

    let env = venv(&mkdir(tmp.path().join("env")));
    let index = format!("{}/simple/", server.url);
    run_ok(pip(&env.join("bin/python")).args(["install", "--index-url", &index, "alpha"]));
    assert!(pip_list(&env).contains("alpha==1.0"));
    assert_eq!(upstream.requests(&file_path), 2);
    assert_eq!(cached(&dir), std::slice::from_ref(&name));

    // Deleted again, uv and curd install it too, each fetching it anew.
    let home = tmp.path();
    assert_eq!(delete(&server, &name, None).0, 200);
    let uv_env = venv(&mkdir(home.join("uv")));
    run_ok(
        command(tool("uv"))
            .args(["pip", "install", "--python"])
            .arg(uv_env.join("bin/python"))
            .args(["--index-url", &index, "alpha"])
            .env("UV_CACHE_DIR", home.join("uv-cache"))
            .env("UV_NO_CONFIG", "1"),
    );
    assert!(pip_list(&uv_env).contains("alpha==1.0"));
    assert_eq!(delete(&server, &name, None).0, 200);
    let curd_env = venv(&mkdir(home.join("curd")));
    Curd::install(home, &curd_env)
        .args(["-i", &index, "alpha"])
        .run()
        .success();
    assert!(pip_list(&curd_env).contains("alpha==1.0"));
    assert_eq!(upstream.requests(&file_path), 4);
    assert_eq!(cached(&dir), [name]);
}

/// A static upstream in `root` listing `files` (name, bytes) under their projects.
fn publish(root: &Path, files: &[(String, Vec<u8>)]) -> StaticIndex {
    let dir = mkdir(root.join("files"));
    let mut pages: std::collections::BTreeMap<String, String> = Default::default();
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
        let project = name.split('-').next().unwrap().to_string();
        pages.entry(project).or_default().push_str(&format!(
            "<a href=\"../../files/{name}#sha256={}\">{name}</a>\n",
            sha256_hex(bytes)
        ));
    }
    for (project, page) in pages {
        let dir = mkdir(root.join("simple").join(project));
        std::fs::write(dir.join("index.html"), page).unwrap();
    }
    StaticIndex::start(root, None)
}

/// Waits (at most 10 s) until `done` holds.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(10), "{what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn size_of(files: &[(String, Vec<u8>)], names: &[&str]) -> u64 {
    files
        .iter()
        .filter(|(n, _)| names.contains(&n.as_str()))
        .map(|(_, b)| b.len() as u64)
        .sum()
}

/// Four wheels of about 200 KB, one for each of the projects a, b, c and d.
fn four_wheels(dir: &Path) -> Vec<(String, Vec<u8>)> {
    ["a", "b", "c", "d"]
        .iter()
        .map(|p| large_wheel(dir, p, 400 << 10))
        .collect()
}

#[test]
fn max_size_evicts_the_least_recently_downloaded_and_keeps_uploads() {
    let tmp = TempDir::new("evict");
    let wheels = four_wheels(&mkdir(tmp.path().join("build")));
    let upstream = publish(&mkdir(tmp.path().join("upstream")), &wheels);
    let dir = mkdir(tmp.path().join("proxy"));
    let (upload, upload_bytes) = large_wheel(&dir, "up", 400 << 10);
    let [a, b, c, d] = [0, 1, 2, 3].map(|i| wheels[i].0.clone());
    let upstream_flag = format!("--upstream={}/simple/", upstream.url());
    let limit = upload_bytes.len() as u64 + size_of(&wheels, &[&a, &b, &c]) + 1000;
    let server = Server::start(&dir, &[&upstream_flag, &format!("--max-size={limit}")]);
    let fetch = |name: &str| {
        let reply = server.get(&format!("/p/{name}"));
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.body
    };
    for name in [&a, &b, &c] {
        fetch(name);
    }
    // a is downloaded again, so b is now the least recent.
    fetch(&a);
    assert_eq!(cached(&dir), [a.clone(), b.clone(), c.clone()]);
    fetch(&d);
    eventually("b is evicted", || !cached(&dir).contains(&b));
    assert_eq!(cached(&dir), [a.clone(), c.clone(), d.clone()]);
    assert!(listing(&dir).contains(&upload));
    let used: u64 = upload_bytes.len() as u64 + size_of(&wheels, &[&a, &c, &d]);
    assert!(used <= limit, "{used} > {limit}");
    let home = server.get("/").text();
    assert!(home.contains(&format!("({limit} bytes)")), "{home}");
    assert!(home.contains("Evicted since start-up: 1 file"), "{home}");
    // The log line comes after the removal: wait for it as for the removal.
    eventually("the eviction is logged", || {
        server.log().contains(&format!("evicted `{b}`"))
    });
    // The listing forgets it; asked again, it is fetched again.
    assert_eq!(upstream.requests(&format!("/files/{b}")), 1);
    assert_eq!(fetch(&b), wheels[1].1);
    assert_eq!(upstream.requests(&format!("/files/{b}")), 2);

    // A limit under the uploads alone empties the cache and keeps the upload.
    drop(server);
    let server = Server::start(&dir, &[&upstream_flag, "--max-size=1K"]);
    eventually("the cache is emptied", || cached(&dir).is_empty());
    assert!(listing(&dir).contains(&upload));
    assert!(
        server
            .log()
            .contains("uploads are kept without --evict-uploads")
    );
    assert_eq!(server.get(&format!("/p/{upload}")).body, upload_bytes);
    drop(server);
    let _server = Server::start(&dir, &[&upstream_flag, "--max-size=1K", "--evict-uploads"]);
    eventually("the upload is evicted", || !listing(&dir).contains(&upload));
}

#[test]
fn download_times_survive_a_restart_and_kill_9() {
    let tmp = TempDir::new("evict-journal");
    let wheels = four_wheels(&mkdir(tmp.path().join("build")));
    let upstream = publish(&mkdir(tmp.path().join("upstream")), &wheels[..3]);
    let dir = mkdir(tmp.path().join("proxy"));
    let [a, b, c] = [0, 1, 2].map(|i| wheels[i].0.clone());
    let upstream_flag = format!("--upstream={}/simple/", upstream.url());
    let server = Server::start(&dir, &[&upstream_flag]);
    // Stored a, b, c in that order (their mtimes), then downloaded c, b, a:
    // the journal's order is the reverse of the files' mtimes.
    for name in [&a, &b, &c, &c, &b, &a] {
        assert_eq!(server.get(&format!("/p/{name}")).status, 200);
        std::thread::sleep(Duration::from_millis(20));
    }
    eventually("the journal is written", || {
        std::fs::read_to_string(dir.join(".curd-access")).is_ok_and(|j| j.contains(&a))
    });
    // SIGTERM, then a line torn by a crash at the end of the journal.
    server.terminate();
    let mut journal = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join(".curd-access"))
        .unwrap();
    journal.write_all(b"17").unwrap();
    drop(journal);
    let limit = size_of(&wheels, &[&a, &b]) + 1000;
    let server = Server::start(&dir, &[&upstream_flag, &format!("--max-size={limit}")]);
    eventually("c, downloaded least recently, is evicted", || {
        cached(&dir) == [a.clone(), b.clone()]
    });
    assert_eq!(server.get(&format!("/p/{b}")).status, 200);
    eventually("b's download is written", || {
        std::fs::read_to_string(dir.join(".curd-access"))
            .is_ok_and(|j| j.lines().filter(|l| l.ends_with(&b)).count() >= 1)
    });
    std::thread::sleep(Duration::from_millis(1500));
    // kill -9: what was written stays; the next server starts and reads it.
    drop(server);
    let limit = size_of(&wheels, &[&b]) + 1000;
    let server = Server::start(&dir, &[&upstream_flag, &format!("--max-size={limit}")]);
    eventually("a, now older than b, is evicted", || {
        cached(&dir) == [b.clone()]
    });
    assert_eq!(server.get(&format!("/p/{a}")).body, wheels[0].1);
}

#[test]
fn a_download_in_progress_completes_when_its_file_is_evicted() {
    let tmp = TempDir::new("evict-in-use");
    let build_dir = mkdir(tmp.path().join("build"));
    let files = vec![
        large_wheel(&build_dir, "big", 48 << 20),
        large_wheel(&build_dir, "small", 100 << 10),
    ];
    let (big, small) = (files[0].0.clone(), files[1].0.clone());
    let upstream = publish(&mkdir(tmp.path().join("upstream")), &files);
    let dir = mkdir(tmp.path().join("proxy"));
    let limit = files[0].1.len() as u64 + 1000;
    let server = Server::start(
        &dir,
        &[
            &format!("--upstream={}/simple/", upstream.url()),
            &format!("--max-size={limit}"),
        ],
    );
    let (mut stream, length, body) = start_download(&server, &big);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(server.get(&format!("/p/{small}")).status, 200);
    eventually("big is evicted", || cached(&dir) == [small.clone()]);
    let body = read_rest_slowly(&mut stream, length, body);
    assert_eq!(sha256_hex(&body), sha256_hex(&files[0].1));
}

/// Sets a file's mtime `days` ago.
fn age_file(path: &Path, days: u64) {
    let when = std::time::SystemTime::now() - Duration::from_secs(days * 86_400);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

fn prune(dir: &Path, args: &[&str]) -> String {
    run_ok(
        command(env!("CARGO_BIN_EXE_curd-server"))
            .arg("prune")
            .arg(dir)
            .args(args),
    )
}

#[test]
fn prune_removes_what_was_not_downloaded_keeping_the_newest_versions() {
    let tmp = TempDir::new("prune");
    let dir = mkdir(tmp.path().join("server"));
    let cache = mkdir(dir.join("upstream"));
    let alpha: Vec<String> = ["1.0", "2.0", "3.0", "4.0"]
        .iter()
        .map(|v| build(&cache, WheelSpec::new("alpha", v)).0)
        .collect();
    let (beta, _) = build(&cache, WheelSpec::new("beta", "1.0"));
    let (up_one, _) = build(&dir, WheelSpec::new("up", "1.0"));
    let (up_two, _) = build(&dir, WheelSpec::new("up", "2.0"));
    for name in alpha.iter().chain([&beta]) {
        age_file(&cache.join(name), 200);
    }
    for name in [&up_one, &up_two] {
        age_file(&dir.join(name), 200);
    }
    // The journal says alpha 2.0 was downloaded yesterday; a torn line is skipped.
    let yesterday = std::time::SystemTime::now() - Duration::from_secs(86_400);
    let millis = yesterday
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    std::fs::write(
        dir.join(".curd-access"),
        format!("{millis} {}\n17", alpha[1]),
    )
    .unwrap();
    let server = Server::start(&dir, &["--offline"]);
    assert!(server.get("/simple/alpha/").text().contains(&alpha[0]));

    let dry = prune(&dir, &["--older-than=90d", "--keep-latest=1", "--dry-run"]);
    let expected = [
        format!("would remove upstream/{} (", alpha[2]),
        format!("would remove upstream/{} (", alpha[0]),
    ];
    let lines: Vec<&str> = dry.lines().collect();
    assert_eq!(lines.len(), 3, "{dry}");
    for want in &expected {
        assert!(lines.iter().any(|l| l.starts_with(want.as_str())), "{dry}");
    }
    assert!(dry.contains("200 days ago"), "{dry}");
    assert!(lines[2].starts_with("would remove 2 files, "), "{dry}");
    assert_eq!(cached(&dir).len(), 5);

    let done = prune(&dir, &["--older-than", "90d", "--keep-latest", "1"]);
    assert!(
        done.lines()
            .last()
            .unwrap()
            .starts_with("removed 2 files, "),
        "{done}"
    );
    assert_eq!(
        cached(&dir),
        [alpha[1].clone(), alpha[3].clone(), beta.clone()]
    );
    assert!(
        listing(&dir).contains(&up_one),
        "uploads are kept without --uploads"
    );
    // The running server's next listing no longer has them.
    let page = server.get("/simple/alpha/").text();
    assert!(
        !page.contains(&alpha[0]) && page.contains(&alpha[3]),
        "{page}"
    );
    assert_eq!(server.get(&format!("/p/{}", alpha[0])).status, 404);

    let uploads = prune(&dir, &["--older-than=90d", "--keep-latest=1", "--uploads"]);
    assert!(
        uploads.contains(&format!("removed {up_one} (")),
        "{uploads}"
    );
    assert!(listing(&dir).contains(&up_two));
    assert!(!listing(&dir).contains(&up_one));
    let nothing = prune(&dir, &["--older-than=90d"]);
    assert!(nothing.contains(&format!("upstream/{beta}")), "{nothing}");
    assert!(
        !nothing.contains(&alpha[1]),
        "downloaded yesterday: {nothing}"
    );

    // pip installs what remains from the running server.
    let env = venv(&mkdir(tmp.path().join("env")));
    let index = format!("{}/simple/", server.url);
    run_ok(pip(&env.join("bin/python")).args(["install", "--index-url", &index, "alpha", "up"]));
    let list = pip_list(&env);
    assert!(
        list.contains("alpha==2.0") && list.contains("up==2.0"),
        "{list}"
    );
}

#[test]
fn prune_says_what_it_needs() {
    let tmp = TempDir::new("prune-usage");
    let missing = run(command(env!("CARGO_BIN_EXE_curd-server"))
        .args(["prune"])
        .arg(tmp.path()))
    .failure();
    assert!(
        missing.stderr.contains("missing --older-than=AGE"),
        "{}",
        missing.stderr
    );
    let bad = run(command(env!("CARGO_BIN_EXE_curd-server"))
        .args(["prune", "--older-than=soon"])
        .arg(tmp.path()))
    .failure();
    assert!(
        bad.stderr.contains("expected an age such as 90d"),
        "{}",
        bad.stderr
    );
    let gone = run(command(env!("CARGO_BIN_EXE_curd-server"))
        .args(["prune", "--older-than=1d"])
        .arg(tmp.path().join("nowhere")))
    .failure();
    assert!(gone.stderr.contains("no folder"), "{}", gone.stderr);
}

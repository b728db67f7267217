//! Removing files from curd-server: `DELETE /p/<file>` and pypiserver's
//! `:action=remove_pkg`, who may, what goes with a file (its listing, its
//! hashes, a cached METADATA) and what does not (a download already sending it).
//! Installers still install what remains, and a removed upstream file comes back.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use crate::support::dists::{WheelSpec, sha256_hex};
use crate::support::files::{fixture, listing};
use crate::support::http::basic;
use crate::support::process::run_ok;
use crate::support::python::{pip, pip_list, venv};
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
    assert_eq!(listing(&wheels), [one.clone()]);
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
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(stream, "GET /p/{name} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let (head, length, mut body) = read_head(&mut stream);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(length, bytes.len());

    let (status, text) = delete(&server, &name, None);
    assert_eq!(status, 200, "{text}");
    assert!(listing(&wheels).is_empty());
    assert_eq!(server.get(&format!("/p/{name}")).status, 404);

    // Read the rest slowly: the open handle still has every byte.
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
    assert_eq!(cached(&dir), [name.clone()]);
    let (status, text) = delete(&server, &name, None);
    assert_eq!(status, 200, "{text}");
    assert!(cached(&dir).is_empty());
    assert!(server.get("/simple/alpha/").text().contains(&name));

    let env = venv(&mkdir(tmp.path().join("env")));
    let index = format!("{}/simple/", server.url);
    run_ok(pip(&env.join("bin/python")).args(["install", "--index-url", &index, "alpha"]));
    assert!(pip_list(&env).contains("alpha==1.0"));
    assert_eq!(upstream.requests(&file_path), 2);
    assert_eq!(cached(&dir), [name]);
}

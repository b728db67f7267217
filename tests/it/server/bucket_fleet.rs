//! Several curd-servers over one bucket of a real three-node Garage cluster: what
//! is uploaded through one is listed and served by the others, a name holds one
//! byte string whichever server it reaches, and a server or a store node killed
//! mid-upload loses nothing and leaves nothing half visible. pip, uv and curd
//! install through any of them, and one may pull through an upstream beside it.

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use curd::server::store::bucket::identity;
use curd::server::store::s3::{Overwrite, Payload};
use curd::standards::filename::DistFilename;

use super::s3_bucket::bucket_at;
use crate::support::curd::Curd;
use crate::support::dists::{WheelSpec, sha256_hex};
use crate::support::garage::{BUCKET, Garage, KEY_ID, REGION, SECRET};
use crate::support::http::{self, answer_within};
use crate::support::process::{command, run, run_ok};
use crate::support::python::{pip, pip_list, tool, venv};
use crate::support::servers::{Server, closed_port};
use crate::support::tmp::{TempDir, mkdir};

/// Past this, a listing that has not converged is a failure (the README promises
/// one second; the rest is slack for a loaded machine).
const CONVERGE: Duration = Duration::from_secs(10);

fn credentials(dir: &Path, secret: &str) -> PathBuf {
    let path = dir.join("aws-credentials");
    std::fs::write(
        &path,
        format!("[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {secret}\n"),
    )
    .unwrap();
    path
}

fn bucket_args(endpoint: &str, credentials: &Path, prefix: &str) -> Vec<String> {
    vec![
        "--storage".into(),
        format!("s3://{BUCKET}/{prefix}"),
        "--s3-endpoint".into(),
        endpoint.into(),
        "--s3-region".into(),
        REGION.into(),
        "--s3-credentials".into(),
        credentials.display().to_string(),
    ]
}

/// A curd-server over the bucket, talking to Garage node `node`.
fn server(garage: &Garage, node: usize, tmp: &Path, name: &str, extra: &[&str]) -> Server {
    let creds = credentials(tmp, SECRET);
    let mut args = bucket_args(&garage.endpoint(node), &creds, "fleet");
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::start(&mkdir(tmp.join(name)), &args)
}

fn upload(server: &Server, wheel: &Path) -> u16 {
    let name = wheel.file_name().unwrap().to_str().unwrap();
    let bytes = std::fs::read(wheel).unwrap();
    let reply = server.request("PUT", &format!("/p/{name}"), &[], &bytes);
    reply.status
}

/// Waits until `server` lists `name` on its project page; false past [`CONVERGE`].
fn lists(server: &Server, project: &str, name: &str) -> bool {
    let deadline = Instant::now() + CONVERGE;
    while Instant::now() < deadline {
        if server
            .get(&format!("/simple/{project}/"))
            .text()
            .contains(name)
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn servers_over_one_bucket_share_uploads_and_keep_one_byte_string_per_name() {
    let garage = Garage::start();
    let tmp = TempDir::new("fleet");
    let dists = mkdir(tmp.path().join("dists"));
    let servers: Vec<Server> = (0..3)
        .map(|n| server(&garage, n, tmp.path(), &format!("server{n}"), &[]))
        .collect();

    // Different names through each server at once, and one name with three
    // different byte strings, one through each.
    let own: Vec<PathBuf> = (0..3)
        .map(|n| {
            WheelSpec::new("alpha", &format!("1.{n}")).build(&mkdir(dists.join(format!("own{n}"))))
        })
        .collect();
    let contested: Vec<PathBuf> = (0..3)
        .map(|n| {
            let content = format!("VERSION = 'from server {n}'\n");
            let files = [("contested/origin.py", content.as_str())];
            WheelSpec {
                files: &files,
                ..WheelSpec::new("contested", "1.0")
            }
            .build(&mkdir(dists.join(format!("contested{n}"))))
        })
        .collect();
    let statuses: Vec<(u16, u16)> = std::thread::scope(|scope| {
        let handles: Vec<_> = servers
            .iter()
            .zip(own.iter().zip(&contested))
            .map(|(server, (own, contested))| {
                scope.spawn(move || (upload(server, own), upload(server, contested)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|(own, _)| *own == 201), "{statuses:?}");
    // Writers that met at once may all have backed off (503, to be retried):
    // retried one after another, the first wins and the others conflict.
    let statuses: Vec<(u16, u16)> = statuses
        .iter()
        .zip(servers.iter().zip(&contested))
        .map(|(&(own, status), (server, contested))| match status {
            503 => (own, upload(server, contested)),
            _ => (own, status),
        })
        .collect();
    let mut contested_statuses: Vec<u16> = statuses.iter().map(|(_, c)| *c).collect();
    contested_statuses.sort();
    assert_eq!(contested_statuses[0], 201, "{statuses:?}");
    assert!(
        contested_statuses[1..]
            .iter()
            .all(|s| *s == 409 || *s == 503),
        "one byte string wins the name: {statuses:?}"
    );

    // Every server lists every file within the bound, and serves each whole.
    let winner = (0..3).find(|n| statuses[*n].1 == 201).unwrap();
    let winner_bytes = std::fs::read(&contested[winner]).unwrap();
    for server in &servers {
        for wheel in &own {
            let name = wheel.file_name().unwrap().to_str().unwrap();
            assert!(
                lists(server, "alpha", name),
                "{} does not list {name}",
                server.url
            );
            let reply = server.get(&format!("/p/{name}"));
            assert_eq!(reply.status, 200);
            assert_eq!(
                sha256_hex(&reply.body),
                sha256_hex(&std::fs::read(wheel).unwrap())
            );
        }
        assert!(lists(server, "contested", "contested-1.0-py3-none-any.whl"));
        let reply = server.get("/p/contested-1.0-py3-none-any.whl");
        assert_eq!(
            sha256_hex(&reply.body),
            sha256_hex(&winner_bytes),
            "{}",
            server.url
        );
        // The same bytes again are no conflict; other bytes are, on every server.
        assert_eq!(upload(server, &contested[winner]), 200);
        assert_eq!(upload(server, &contested[(winner + 1) % 3]), 409);
        // PEP 658 metadata from its sidecar, with its hash on the page.
        let page = server.get("/simple/alpha/").text();
        assert!(page.contains("data-dist-info-metadata=\"sha256="), "{page}");
        let metadata = server.get("/p/alpha-1.0-py3-none-any.whl.metadata");
        assert_eq!(metadata.status, 200);
        assert!(
            metadata.text().contains("Name: alpha"),
            "{}",
            metadata.text()
        );
    }

    // A removal through one server reaches the others.
    servers[0].get("/simple/alpha/");
    let removed = servers[0].request("DELETE", "/p/alpha-1.2-py3-none-any.whl", &[], b"");
    assert_eq!(removed.status, 200, "{}", removed.text());
    // A server's own change shows at once, without waiting for its next listing.
    assert_eq!(servers[0].get("/p/alpha-1.2-py3-none-any.whl").status, 404);
    let deadline = Instant::now() + CONVERGE;
    while servers[2]
        .get("/simple/alpha/")
        .text()
        .contains("alpha-1.2-py3")
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(servers[2].get("/p/alpha-1.2-py3-none-any.whl").status, 404);
    // The name is free again: other bytes may take it, through another server,
    // and every server then serves those.
    let files = [("alpha/again.py", "VERSION = 'again'\n")];
    let again = WheelSpec {
        files: &files,
        ..WheelSpec::new("alpha", "1.2")
    }
    .build(&mkdir(dists.join("again")));
    // Asked just before, the server's listing is not due again during the upload.
    servers[1].get("/simple/alpha/");
    assert_eq!(upload(&servers[1], &again), 201);
    let again_sha = sha256_hex(&std::fs::read(&again).unwrap());
    let page = servers[1].get("/simple/alpha/").text();
    assert!(page.contains(&format!("#sha256={again_sha}")), "{page}");
    let deadline = Instant::now() + CONVERGE;
    let served = |server: &Server| sha256_hex(&server.get("/p/alpha-1.2-py3-none-any.whl").body);
    while servers.iter().any(|s| served(s) != again_sha) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    for server in &servers {
        assert_eq!(served(server), again_sha, "{}", server.url);
    }

    // pip, uv and curd install through any of the servers.
    let env = venv(&mkdir(tmp.path().join("pip")));
    run_ok(pip(&env.join("bin/python")).args([
        "install",
        "--index-url",
        &format!("{}/simple/", servers[1].url),
        "alpha==1.1",
        "contested",
    ]));
    let list = pip_list(&env);
    assert!(
        list.contains("alpha==1.1") && list.contains("contested==1.0"),
        "{list}"
    );
    let uv_env = venv(&mkdir(tmp.path().join("uv")));
    run_ok(
        command(tool("uv"))
            .args(["pip", "install", "--python"])
            .arg(uv_env.join("bin/python"))
            .args([
                "--index-url",
                &format!("{}/simple/", servers[2].url),
                "alpha==1.0",
            ])
            .env("UV_CACHE_DIR", tmp.path().join("uv-cache"))
            .env("UV_NO_CONFIG", "1"),
    );
    assert!(pip_list(&uv_env).contains("alpha==1.0"));
    let home = mkdir(tmp.path().join("curd-home"));
    let curd_env = venv(&mkdir(tmp.path().join("curd")));
    Curd::install(&home, &curd_env)
        .args(["-i", &format!("{}/simple/", servers[0].url), "contested"])
        .run()
        .success();
    assert!(pip_list(&curd_env).contains("contested==1.0"));
}

/// A wheel of some megabytes, so an upload takes long enough to be cut short.
fn large_wheel(dir: &Path, version: &str) -> PathBuf {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let noise: String = (0..3_000_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(b'a' + (state % 26) as u8)
        })
        .collect();
    let payload = format!("DATA = '{noise}'\n");
    let files = [("large/data.py", payload.as_str())];
    WheelSpec {
        files: &files,
        ..WheelSpec::new("large", version)
    }
    .build(&mkdir(dir.join(version)))
}

#[test]
fn a_server_or_a_store_node_killed_mid_upload_loses_nothing() {
    let mut garage = Garage::start();
    let tmp = TempDir::new("fleet-kills");
    let first = large_wheel(tmp.path(), "1.0");
    let name = first.file_name().unwrap().to_str().unwrap().to_string();
    let bytes = std::fs::read(&first).unwrap();
    let survivor = server(&garage, 0, tmp.path(), "survivor", &[]);

    // A server killed while the body arrives: nothing of it is ever listed.
    let doomed = server(&garage, 1, tmp.path(), "doomed", &[]);
    let mut stream = TcpStream::connect(doomed.addr).unwrap();
    write!(
        stream,
        "PUT /p/{name} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        bytes.len()
    )
    .unwrap();
    stream.write_all(&bytes[..bytes.len() / 2]).unwrap();
    drop(doomed);
    assert!(!survivor.get("/simple/large/").text().contains(&name));
    assert_eq!(survivor.get(&format!("/p/{name}")).status, 404);
    // Uploading it again works, and it is whole.
    assert_eq!(upload(&survivor, &first), 201);
    assert_eq!(
        sha256_hex(&survivor.get(&format!("/p/{name}")).body),
        sha256_hex(&bytes)
    );

    // A store node killed during uploads (three replicas, two suffice): every
    // upload is stored whole or refused, none lost or torn, and the cluster
    // keeps serving.
    let wheels: Vec<PathBuf> = (1..=4)
        .map(|n| large_wheel(tmp.path(), &format!("2.{n}")))
        .collect();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let uploads: Vec<_> = wheels
            .iter()
            .map(|wheel| scope.spawn(|| upload(&survivor, wheel)))
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        garage.kill(2);
        uploads.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (wheel, status) in wheels.iter().zip(&statuses) {
        let name = wheel.file_name().unwrap().to_str().unwrap();
        let expected = std::fs::read(wheel).unwrap();
        match status {
            201 => {
                let reply = survivor.get(&format!("/p/{name}"));
                assert_eq!(
                    sha256_hex(&reply.body),
                    sha256_hex(&expected),
                    "{name} torn"
                );
            }
            503 => {
                assert!(!survivor.get("/simple/large/").text().contains(name));
                assert_eq!(upload(&survivor, wheel), 201, "{name} again after a 503");
            }
            other => panic!("{name}: HTTP {other}"),
        }
    }
    let late = large_wheel(tmp.path(), "3.0");
    assert_eq!(
        upload(&survivor, &late),
        201,
        "the cluster serves on two nodes"
    );
    let other = server(&garage, 1, tmp.path(), "other", &[]);
    for wheel in wheels.iter().chain([&first, &late]) {
        let name = wheel.file_name().unwrap().to_str().unwrap();
        assert!(lists(&other, "large", name), "{name} lost");
    }
}

/// Bytes of the copies a server keeps of the bucket's files (named by sha256).
fn copies_held(dir: &Path) -> u64 {
    std::fs::read_dir(dir.join("bucket-cache"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().len() == 64)
        .map(|e| e.metadata().unwrap().len())
        .sum()
}

#[test]
fn copies_of_the_bucket_are_fetched_once_and_stay_under_max_size() {
    let garage = Garage::start();
    let tmp = TempDir::new("copies");
    let dists = mkdir(tmp.path().join("dists"));
    let wheels: Vec<PathBuf> = (0..6)
        .map(|n| {
            WheelSpec::new("copied", &format!("1.{n}")).build(&mkdir(dists.join(n.to_string())))
        })
        .collect();
    let writer = server(&garage, 0, tmp.path(), "writer", &[]);
    for wheel in &wheels {
        assert_eq!(upload(&writer, wheel), 201);
    }
    let largest = wheels
        .iter()
        .map(|w| std::fs::metadata(w).unwrap().len())
        .max()
        .unwrap();
    let limit = largest * 5 / 2;
    let reader = server(
        &garage,
        1,
        tmp.path(),
        "reader",
        &[&format!("--max-size={limit}")],
    );
    let fetch_all = || {
        for wheel in &wheels {
            let name = wheel.file_name().unwrap().to_str().unwrap();
            assert!(lists(&reader, "copied", name), "{name} is not listed");
            let reply = reader.get(&format!("/p/{name}"));
            assert_eq!(reply.status, 200, "{}", reply.text());
            assert_eq!(
                sha256_hex(&reply.body),
                sha256_hex(&std::fs::read(wheel).unwrap())
            );
        }
    };
    fetch_all();
    let deadline = Instant::now() + CONVERGE;
    while copies_held(&tmp.path().join("reader")) > limit {
        assert!(
            Instant::now() < deadline,
            "the copies were not let go of: {} bytes held, limit {limit}",
            copies_held(&tmp.path().join("reader"))
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(copies_held(&tmp.path().join("reader")) > 0);
    let home = reader.get("/").text();
    assert!(home.contains("copies of the bucket's files"), "{home}");
    assert!(!home.contains("Evicted since start-up: 0 files"), "{home}");
    // What was let go of is fetched again from the bucket, whole.
    fetch_all();

    // A burst of requests for one file not yet copied fetches it from the store once.
    let large = large_wheel(&dists, "9.0");
    let name = large.file_name().unwrap().to_str().unwrap();
    let want = sha256_hex(&std::fs::read(&large).unwrap());
    assert_eq!(upload(&writer, &large), 201);
    let burst = server(&garage, 2, tmp.path(), "burst", &[]);
    assert!(lists(&burst, "large", name));
    let start = std::sync::Barrier::new(8);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                start.wait();
                let reply = burst.get(&format!("/p/{name}"));
                assert_eq!(reply.status, 200, "{}", reply.text());
                assert_eq!(sha256_hex(&reply.body), want);
            });
        }
    });
    let log = burst.log();
    assert_eq!(log.matches(&format!("copied `{name}`")).count(), 1, "{log}");
}

#[test]
fn start_up_says_what_is_wrong_with_the_bucket() {
    let garage = Garage::start();
    let tmp = TempDir::new("fleet-errors");
    let start = |endpoint: &str, secret: &str, bucket: &str| {
        let creds = credentials(&mkdir(tmp.path().join(secret.len().to_string())), secret);
        let mut args = bucket_args(endpoint, &creds, "x");
        args[1] = format!("s3://{bucket}/x");
        let started = Instant::now();
        let out = run(command(env!("CARGO_BIN_EXE_curd-server"))
            .args(["-H", "127.0.0.1", "-p", "0"])
            .args(&args)
            .arg(tmp.path().join("dir")))
        .failure();
        assert!(started.elapsed() < Duration::from_secs(60));
        out.stderr.clone()
    };
    let denied = start(&garage.endpoint(0), &"0".repeat(64), BUCKET);
    assert!(
        denied.contains("cannot use the bucket: the store refused access to bucket `curd`"),
        "{denied}"
    );
    assert!(
        !denied.contains(&"0".repeat(64)) && !denied.contains(SECRET),
        "{denied}"
    );
    let missing = start(&garage.endpoint(1), SECRET, "no-such-bucket");
    assert!(missing.contains("no-such-bucket"), "{missing}");
    let down = start(&format!("http://{}", closed_port()), SECRET, BUCKET);
    assert!(
        down.contains("cannot use the bucket: cannot reach the store at"),
        "{down}"
    );

    // An object under `dists/` that no server wrote is passed over: servers still
    // start, list and take uploads beside it.
    bucket_at(&garage.endpoint(0), BUCKET, SECRET, Duration::from_secs(20))
        .put(
            "fleet/dists/stray",
            Payload::Bytes(b"not an entry"),
            Overwrite::Always,
        )
        .unwrap();
    let up = server(&garage, 0, tmp.path(), "up", &[]);
    let first = WheelSpec::new("first", "1.0").build(&mkdir(tmp.path().join("first")));
    assert_eq!(upload(&up, &first), 201);
    assert!(lists(&up, "first", "first-1.0-py3-none-any.whl"));

    // A rival's claim the store took just now holds the name, though its server's
    // clock said 1970: claims are aged by the store's clock, not the servers'.
    let second = WheelSpec::new("second", "1.0").build(&mkdir(tmp.path().join("second")));
    let id = identity(&DistFilename::parse("second-1.0-py3-none-any.whl").unwrap());
    let claim = format!("fleet/claims/{id}/0-{}-behind", "e".repeat(64));
    let store = bucket_at(&garage.endpoint(0), BUCKET, SECRET, Duration::from_secs(20));
    store
        .put(&claim, Payload::Empty, Overwrite::Always)
        .unwrap();
    assert_eq!(upload(&up, &second), 503);
    store.delete(&claim).unwrap();
    assert_eq!(upload(&up, &second), 201);

    // A store that goes away after start-up: 503 with the reason, no crash.
    drop(garage);
    let wheel = WheelSpec::new("late", "1.0").build(&mkdir(tmp.path().join("late")));
    let bytes = std::fs::read(&wheel).unwrap();
    let reply = up.request("PUT", "/p/late-1.0-py3-none-any.whl", &[], &bytes);
    assert_eq!(reply.status, 503, "{}", reply.text());
    assert!(
        reply
            .text()
            .contains("could not store the upload: cannot reach the store"),
        "{}",
        reply.text()
    );
    assert_eq!(up.get("/health").status, 200);
}

#[test]
fn over_a_bucket_it_pulls_through_an_upstream_and_keeps_that_cache_apart() {
    let garage = Garage::start();
    let tmp = TempDir::new("fleet-pull");
    let shelf = mkdir(tmp.path().join("shelf"));
    let beta = WheelSpec::new("beta", "1.0").build(&shelf);
    let beta_name = beta.file_name().unwrap().to_str().unwrap();
    let upstream = Server::start(&shelf, &[]);
    let upstream_url = format!("{}/simple/", upstream.url);
    let proxy = server(
        &garage,
        0,
        tmp.path(),
        "proxy",
        &["--upstream", &upstream_url],
    );

    assert!(lists(&proxy, "beta", beta_name));
    let reply = proxy.get(&format!("/p/{beta_name}"));
    assert_eq!(reply.status, 200);
    assert_eq!(
        sha256_hex(&reply.body),
        sha256_hex(&std::fs::read(&beta).unwrap())
    );
    assert!(tmp.path().join("proxy/upstream").join(beta_name).is_file());

    // An upload goes to the bucket; what came from the upstream stays in the
    // proxy's own folder, so another server over the bucket has the one, not the other.
    let alpha = WheelSpec::new("alpha", "3.0").build(&mkdir(tmp.path().join("alpha")));
    let alpha_name = alpha.file_name().unwrap().to_str().unwrap();
    assert_eq!(upload(&proxy, &alpha), 201);
    let plain = server(&garage, 1, tmp.path(), "plain", &[]);
    assert!(lists(&plain, "alpha", alpha_name));
    assert_eq!(plain.get("/simple/beta/").status, 404);

    // An upload may not give the upstream's file name other bytes.
    let files = [("beta/respun.py", "VERSION = 'respun'\n")];
    let respun = WheelSpec {
        files: &files,
        ..WheelSpec::new("beta", "1.0")
    }
    .build(&mkdir(tmp.path().join("respun")));
    assert_eq!(upload(&proxy, &respun), 409);

    // pip installs from both through the proxy.
    let env = venv(&mkdir(tmp.path().join("pip")));
    run_ok(pip(&env.join("bin/python")).args([
        "install",
        "--index-url",
        &format!("{}/simple/", proxy.url),
        "alpha",
        "beta",
    ]));
    let list = pip_list(&env);
    assert!(
        list.contains("alpha==3.0") && list.contains("beta==1.0"),
        "{list}"
    );
}

#[test]
fn a_store_that_hangs_holds_one_worker_not_every_one() {
    let garage = Garage::start();
    let tmp = TempDir::new("fleet-hang");
    let up = server(&garage, 0, tmp.path(), "up", &[]);
    let wheel = WheelSpec::new("kept", "1.0").build(&mkdir(tmp.path().join("kept")));
    assert_eq!(upload(&up, &wheel), 201);

    // While the store hangs, a page asked each second finds the listing due; only
    // one request at a time may wait on the store to refresh it.
    garage.pause(0);
    let addr = up.addr;
    let askers: Vec<_> = (0..6)
        .map(|_| {
            let asker = std::thread::spawn(move || {
                http::request(None, addr, "GET", "/simple/kept/", &[], b"");
            });
            std::thread::sleep(Duration::from_millis(1100));
            asker
        })
        .collect();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /simple/kept/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let page = answer_within(
        &mut stream,
        Duration::from_secs(5),
        "a page while the store hangs",
    );
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("kept-1.0-py3-none-any.whl"),
        "{}",
        page.text()
    );
    garage.resume(0);
    drop(askers);
}

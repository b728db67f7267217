//! Curdling's wire API, spoken as Curdling's client speaks it: `/api` lists the
//! project names, `/api/<project>` the releases with download URLs to follow as
//! they are, and `/s/<query>` sends the best file itself, with `;fmt` choosing its
//! format. Fetched with curl, which names a download from Content-Disposition.

use std::path::{Path, PathBuf};

use crate::support::dists::{WheelSpec, sdist, sha256_hex};
use crate::support::files::listing;
use crate::support::process::{command, run};
use crate::support::servers::Server;
use crate::support::tmp::{TempDir, mkdir};

/// alpha 1.0 and 2.0, each as a pure wheel and an sdist, 2.0 also with a binary
/// wheel; beta's newest release (1.6) is an sdist alone, its 2.0b1 a prerelease.
fn folder(dir: &Path) -> PathBuf {
    let wheels = mkdir(dir.join("wheels"));
    for version in ["1.0", "2.0"] {
        WheelSpec::new("alpha", version).build(&wheels);
        let stem = format!("alpha-{version}");
        let pkg_info = format!("Metadata-Version: 2.1\nName: alpha\nVersion: {version}\n");
        sdist(&wheels, &stem, None, &[("PKG-INFO", &pkg_info)]);
    }
    WheelSpec {
        tag: "cp312-cp312-linux_x86_64",
        ..WheelSpec::new("alpha", "2.0")
    }
    .build(&wheels);
    WheelSpec::new("beta", "1.5").build(&wheels);
    WheelSpec::new("beta", "2.0b1").build(&wheels);
    let pkg_info = "Metadata-Version: 2.1\nName: beta\nVersion: 1.6\n";
    sdist(&wheels, "beta-1.6", None, &[("PKG-INFO", pkg_info)]);
    wheels
}

/// `curl -OJ`: the file as the server names it in Content-Disposition, in a folder of
/// its own; the status when curl fails (`-f`).
fn curl_download(url: &str, into: &Path) -> Result<(String, Vec<u8>), String> {
    let reply = run(command("curl")
        .args(["-sS", "-f", "-O", "-J", "--output-dir"])
        .arg(into)
        .arg(url));
    if !reply.status.success() {
        return Err(reply.stderr.clone());
    }
    let files = listing(into);
    assert_eq!(files.len(), 1, "{files:?}");
    let path = into.join(&files[0]);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(path).unwrap();
    Ok((files[0].clone(), bytes))
}

#[test]
fn api_lists_project_names_and_releases_with_urls_to_follow() {
    let tmp = TempDir::new("curdling-api");
    let wheels = folder(tmp.path());
    let server = Server::start(&wheels, &[]);
    // Curdling's client asks for `api`, joined to the server's URL.
    for path in ["/api", "/api/"] {
        let reply = server.get(path);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), Some("application/json"));
        let names: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(names, serde_json::json!(["alpha", "beta"]), "{path}");
    }

    let reply = server.get("/api/Alpha");
    let releases: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(releases[0]["name"], "alpha");
    assert_eq!(releases[0]["version"], "2.0");
    assert_eq!(releases[1]["version"], "1.0");
    // The client downloads `urls[0].url` as it is: an absolute URL, to this server.
    let first = &releases[1]["urls"][0];
    let url = first["url"].as_str().unwrap();
    assert_eq!(url, format!("{}/p/alpha-1.0-py3-none-any.whl", server.url));
    let out = mkdir(tmp.path().join("out"));
    let (name, bytes) = curl_download(url, &out).unwrap();
    assert_eq!(name, "alpha-1.0-py3-none-any.whl");
    assert_eq!(first["sha256"].as_str().unwrap(), sha256_hex(&bytes));

    let missing = server.get("/api/nothing");
    assert_eq!(missing.status, 404);
    assert!(missing.text().contains("\"error\""));
}

#[test]
fn search_sends_the_best_file_in_the_format_asked() {
    let tmp = TempDir::new("curdling-search");
    let wheels = folder(tmp.path());
    let server = Server::start(&wheels, &[]);
    let out = mkdir(tmp.path().join("out"));
    let cases = [
        // The newest version; a pure-Python wheel before a binary one and the sdist.
        ("alpha", "alpha-2.0-py3-none-any.whl"),
        ("alpha;whl", "alpha-2.0-py3-none-any.whl"),
        ("alpha;gz", "alpha-2.0.tar.gz"),
        ("alpha;~whl", "alpha-2.0.tar.gz"),
        ("alpha;", "alpha-2.0-py3-none-any.whl"),
        ("alpha==1.0;~whl", "alpha-1.0.tar.gz"),
        ("alpha%3C2;gz", "alpha-1.0.tar.gz"),
        ("ALPHA%3E%3D1,!=2.0", "alpha-1.0-py3-none-any.whl"),
        // PEP 345's form, which Curdling's own tests use; `;` escaped still splits.
        ("alpha%20(%3D%3D%201.0)%3Bwhl", "alpha-1.0-py3-none-any.whl"),
        // A prerelease only when asked for; the newest final release is an sdist.
        ("beta", "beta-1.6.tar.gz"),
        ("beta%3E%3D2.0b1", "beta-2.0b1-py3-none-any.whl"),
    ];
    for (query, expected) in cases {
        let url = format!("{}/s/{query}", server.url);
        let (name, bytes) = curl_download(&url, &out).unwrap_or_else(|e| panic!("{query}: {e}"));
        assert_eq!(name, expected, "{query}");
        assert_eq!(
            bytes,
            std::fs::read(wheels.join(expected)).unwrap(),
            "{query}"
        );
    }

    let reply = server.get("/s/alpha;gz");
    assert_eq!(
        reply.header("content-disposition"),
        Some("attachment; filename=\"alpha-2.0.tar.gz\"")
    );
    assert_eq!(reply.header("content-type"), Some("application/gzip"));
    let head = server.request("HEAD", "/s/alpha;whl", &[], b"");
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("content-disposition"),
        Some("attachment; filename=\"alpha-2.0-py3-none-any.whl\"")
    );

    // As Curdling does, the version is chosen first: beta 1.6 has no wheel.
    let refusals = [
        ("beta;whl", 404, "no `whl` file"),
        ("alpha%3E%3D3", 404, "no release"),
        ("nothing", 404, "no release"),
        ("alpha;tar", 400, "expected whl, gz or zip"),
        ("alpha%3E%3D%3D", 400, ""),
        ("alpha;whl;gz", 400, "expected whl, gz or zip"),
    ];
    for (query, status, says) in refusals {
        let reply = server.get(&format!("/s/{query}"));
        assert_eq!(reply.status, status, "{query}: {}", reply.text());
        assert!(reply.text().contains(says), "{query}: {}", reply.text());
        assert_eq!(reply.header("content-disposition"), None, "{query}");
    }
    let failed = curl_download(&format!("{}/s/beta;whl", server.url), &out);
    assert!(failed.unwrap_err().contains("404"));
    assert!(listing(&out).is_empty());
}

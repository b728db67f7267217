//! Input made to hurt, given to the real `curd install`: requirements nested
//! deeper than any stack (in a requirements file, in a wheel's Requires-Dist) and
//! malformed URLs that carry a password (in flags, the environment and
//! requirements files). Each is refused with a one-line error and exit status 1,
//! never a crash, and no password is ever printed.

use crate::support::curd::Curd;
use crate::support::dists::WheelSpec;
use crate::support::process::Run;
use crate::support::python::{pip_freeze, venv};
use crate::support::tmp::{TempDir, mkdir};

/// Deep enough to overflow any thread's stack if each parenthesis recursed.
const DEPTH: usize = 100_000;

/// `python_version > "3"` inside [`DEPTH`] parentheses.
fn deep_marker() -> String {
    format!(
        "{}python_version > \"3\"{}",
        "(".repeat(DEPTH),
        ")".repeat(DEPTH)
    )
}

/// Exit status 1, as for any error: a stack overflow aborts with a signal.
fn refused(run: Run) -> Run {
    let run = run.failure();
    assert_eq!(run.status.code(), Some(1));
    run
}

#[test]
fn a_requirement_nested_too_deep_is_an_error_not_a_crash() {
    let tmp = TempDir::new("hostile-deep");
    let wheels = mkdir(tmp.path().join("wheels"));
    let env = venv(tmp.path());
    let links = wheels.display().to_string();
    let install = |args: &[&str]| {
        Curd::install(tmp.path(), &env)
            .args(["--no-index", "--find-links", &links])
            .args(args)
            .run()
    };

    let file = tmp.path().join("deep.txt");
    std::fs::write(&file, format!("deep-project; {}\n", deep_marker())).unwrap();
    let run = refused(install(&["-r", &file.display().to_string()]));
    let first = run.stderr.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        format!(
            "error: `{}` line 1: parentheses nest deeper than 100 levels in a marker",
            file.display()
        )
    );
    assert!(run.stderr.contains("deep-project; ((("), "{}", run.stderr);
    assert!(run.stderr.len() < 1000, "{}", run.stderr.len());

    // In a wheel's metadata: that version cannot be used, and the next is.
    WheelSpec {
        requires: &[&format!("dep; {}", deep_marker())],
        ..WheelSpec::new("deep-project", "2.0")
    }
    .build(&wheels);
    let run = refused(install(&["deep-project==2.0"]));
    // Quoted short: its start, and the fault.
    let reason = format!(
        "deep-project 2.0 has an invalid Requires-Dist: `dep; {}…`: \
         parentheses nest deeper than 100 levels in a marker",
        "(".repeat(35)
    );
    assert!(run.stderr.contains(&reason), "{}", run.stderr);
    assert!(run.stderr.len() < 1000, "{}", run.stderr.len());
    assert_eq!(pip_freeze(&env), "");
    WheelSpec::new("deep-project", "1.0").build(&wheels);
    let run = install(&["deep-project"]).success();
    assert_eq!(pip_freeze(&env), "deep-project==1.0\n");
    assert!(
        run.stderr
            .contains("warning: deep-project 2.0 has an invalid Requires-Dist"),
        "{}",
        run.stderr
    );
}

/// The password every malformed URL below carries.
const SECRET: &str = "pw-s3cr3t";

/// Malformed URLs with a password, and well-formed ones curd does not take.
fn malformed() -> Vec<String> {
    [
        "http:/user:{}@host/",
        "user:{}@host",
        "http//user:{}@host",
        "http://user:{}@",
        "ftp://u:{}@h/",
        "http:///user:{}@host/",
        "https://user:{}@ho st/",
        "https://user:{}@host:99999/",
        "https://user:{}@[::1/",
        "https://user:{}/x@host/",
        "https//{}@host/",
    ]
    .iter()
    .map(|form| form.replace("{}", SECRET))
    .collect()
}

fn assert_masked(run: &Run, given: &str) {
    assert!(
        !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
        "{given} shown with its password"
    );
    assert!(run.stderr.starts_with("error: "), "{given}: {}", run.stderr);
}

#[test]
fn malformed_urls_never_show_their_password() {
    let tmp = TempDir::new("hostile-urls");
    let env = venv(tmp.path());
    let install = || Curd::install(tmp.path(), &env);
    for url in malformed() {
        for flag in ["-c", "-i", "--find-links"] {
            let run = refused(install().args([flag, &url, "x"]).run());
            assert_masked(&run, &format!("{flag} {url}"));
        }
        let run = refused(install().env("CURD_CACHE_URL", &url).arg("x").run());
        assert_masked(&run, &format!("CURD_CACHE_URL={url}"));
        let run = refused(install().env("CURD_INDEX_URL", &url).arg("x").run());
        assert_masked(&run, &format!("CURD_INDEX_URL={url}"));

        let file = tmp.path().join("requirements.txt");
        for line in [
            format!("-i {url}\nx"),
            format!("--extra-index-url {url}\nx"),
            format!("--find-links {url}\nx"),
            format!("x @ {url}"),
            format!("x@{url}"),
            format!("x @ {url} ; python_version > '3' and"),
            url.clone(),
            format!("-r {url}"),
        ] {
            std::fs::write(&file, &line).unwrap();
            let run = refused(install().arg("-r").arg(&file).run());
            assert_masked(&run, &line);
        }
        let run = refused(install().arg(format!("x @ {url}")).run());
        assert_masked(&run, &format!("x @ {url}"));
        let run = refused(install().arg("-r").arg(&url).run());
        assert_masked(&run, &format!("-r {url}"));
    }
    // Well-formed URLs of files, on a server that is not there.
    let closed = crate::support::servers::closed_port();
    for requirement in [
        format!("x @ http://user:{SECRET}@{closed}/x-1.0-py3-none-any.whl"),
        format!("http://user:{SECRET}@{closed}/x-1.0-py3-none-any.whl"),
        format!("git+http://user:{SECRET}@{closed}/x.git@v1"),
    ] {
        let file = tmp.path().join("requirements.txt");
        std::fs::write(&file, &requirement).unwrap();
        let run = refused(install().arg("-r").arg(&file).run());
        assert_masked(&run, &requirement);
    }
}

//! Where `curd install` takes its settings from besides the command line: curd's
//! variables, pip's and uv's, and `curd.toml` files, in that order, against a real
//! curd-server and a port nothing listens on.

use std::path::Path;

use crate::support::curd::Curd;
use crate::support::dists::WheelSpec;
use crate::support::process::Run;
use crate::support::python::{pip_freeze, venv};
use crate::support::servers::{Server, closed_port};
use crate::support::tmp::TempDir;

/// A folder with one wheel, `lonely 1.0`.
fn wheels(dir: &Path) -> std::path::PathBuf {
    let wheels = dir.join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    WheelSpec::new("lonely", "1.0").build(&wheels);
    wheels
}

/// The user's configuration file, as the runner's XDG_CONFIG_HOME places it.
fn user_config(home: &Path, text: &str) -> std::path::PathBuf {
    let path = home.join("xdg-config/curd/curd.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// `curd install --dry-run lonely` with `env` set: whether it resolved.
fn dry_run(home: &Path, env: &Path, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let mut curd = Curd::install(home, env)
        .args(["--dry-run", "lonely"])
        .args(args);
    for (name, value) in vars {
        curd = curd.env(name, value);
    }
    curd.run()
}

#[test]
fn an_image_set_up_for_pip_or_uv_is_not_sent_to_pypi() {
    let tmp = TempDir::new("config-pip-vars");
    let server = Server::start(&wheels(tmp.path()), &[]);
    let env = venv(tmp.path());
    let simple = format!("{}/simple/", server.url.trim_end_matches('/'));
    Curd::install(tmp.path(), &env)
        .env("PIP_INDEX_URL", &simple)
        .arg("lonely")
        .run()
        .success();
    assert_eq!(pip_freeze(&env), "lonely==1.0\n");
    // uv's main index, and the extra indexes of both, which are asked after a main
    // index that lacks the project.
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let main = Server::start(&empty, &[]);
    let main = format!("{}/simple/", main.url.trim_end_matches('/'));
    // Each succeeds only if the variable is read: PyPI is out of reach, and the main
    // index lacks the project.
    for variable in [
        "UV_DEFAULT_INDEX",
        "UV_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "UV_INDEX",
        "UV_EXTRA_INDEX_URL",
    ] {
        let value = match variable {
            "UV_INDEX" => format!("ours={simple}"),
            _ => simple.clone(),
        };
        let args: &[&str] = match variable {
            "UV_DEFAULT_INDEX" | "UV_INDEX_URL" => &[],
            _ => &["-i", &main],
        };
        dry_run(tmp.path(), &env, args, &[(variable, &value)]).success();
    }
}

#[test]
fn flags_beat_curds_variables_beat_pips_beat_the_file() {
    let tmp = TempDir::new("config-precedence");
    let server = Server::start(&wheels(tmp.path()), &[]);
    let env = venv(tmp.path());
    let good = format!("{}/simple/", server.url.trim_end_matches('/'));
    let bad = format!("http://{}/simple/", closed_port());
    let file =
        |index: &str| user_config(tmp.path(), &format!("retries = 0\nindex = [\"{index}\"]\n"));
    // The file alone is used; under a variable that names a dead index, it is not.
    file(&good);
    dry_run(tmp.path(), &env, &[], &[]).success();
    let run = dry_run(tmp.path(), &env, &[], &[("PIP_INDEX_URL", &bad)]).failure();
    assert!(run.stderr.contains(&bad[..bad.len() - 8]), "{}", run.stderr);
    // curd's variable beats pip's; the flag beats curd's.
    file(&bad);
    let vars = [
        ("CURD_INDEX_URL", good.as_str()),
        ("PIP_INDEX_URL", bad.as_str()),
    ];
    dry_run(tmp.path(), &env, &[], &vars).success();
    let vars = [("CURD_INDEX_URL", bad.as_str())];
    dry_run(tmp.path(), &env, &["--index-url", &good], &vars).success();
    // --no-config leaves the file out.
    dry_run(tmp.path(), &env, &["--no-config", "-i", &good], &[]).success();
    // A file named by $CURD_CONFIG_FILE replaces the user's.
    let named = tmp.path().join("named.toml");
    std::fs::write(&named, format!("index = [\"{good}\"]\n")).unwrap();
    let vars = [("CURD_CONFIG_FILE", named.to_str().unwrap())];
    dry_run(tmp.path(), &env, &[], &vars).success();
}

#[test]
fn a_typo_or_bad_toml_is_an_error_naming_the_file_and_line() {
    let tmp = TempDir::new("config-errors");
    let env = venv(tmp.path());
    let path = user_config(tmp.path(), "# settings\ntiemout = 30\n");
    let run = dry_run(tmp.path(), &env, &[], &[]).failure();
    assert_eq!(run.status.code(), Some(2));
    let first = run.stderr.lines().next().unwrap_or_default().to_string();
    assert_eq!(
        first,
        format!("error: {}:2: unknown key `tiemout`", path.display())
    );
    user_config(
        tmp.path(),
        "[install]\npre = true\nindex = [\"http://a/\"\n",
    );
    let run = dry_run(tmp.path(), &env, &[], &[]).failure();
    assert_eq!(run.status.code(), Some(2));
    let prefix = format!("error: {}:3: invalid TOML: ", path.display());
    assert!(run.stderr.starts_with(&prefix), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

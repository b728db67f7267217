//! Against real PyPI: opt-in (`make test-online`), never in CI. curd must pick the
//! same versions pip picks for a real requirement set, and install real sets every
//! time on an ordinary network: late DNS answers and slow handshakes are retried,
//! not fatal.

use std::path::Path;

use curd::standards::version::Version;

use super::resolution::{Picked, curd_picks, normalized, uv_picks};
use crate::support::curd::Curd;
use crate::support::process::{Run, run_ok};
use crate::support::python::{pip, pip_freeze, venv};
use crate::support::tmp::TempDir;

/// Hard real sets, resolved by curd and by uv on the same interpreter. Airflow's
/// official constraints file lives on raw.githubusercontent.com, which a machine
/// may not reach; the closure of `apache-airflow` alone is hard enough.
const COMPARED: [&[&str]; 4] = [
    &["dbt-core==1.8.*"],
    &["apache-airflow"],
    &["great_expectations"],
    &["jupyterlab"],
];

const SET: [&str; 4] = ["flask", "requests", "rich", "pydantic"];

/// Sets that failed most tries when DNS or the first connection was slow.
const REAL_SETS: [&[&str]; 3] = [
    &["jupyterlab"],
    &["dbt-core==1.8.*"],
    &[
        "django",
        "djangorestframework",
        "celery[redis]",
        "psycopg[binary]",
    ],
];

/// Cold installs of each real set, each into a fresh venv with a fresh cache.
const ROUNDS: usize = 5;

/// A cold `curd install` of `set` into a new venv under `dir`, saying what it does.
fn cold_install(dir: &Path, set: &[&str]) -> (Run, String) {
    let env = venv(&dir.join("venv"));
    let run = Curd::install(dir, &env)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .args(["--log-level", "debug"])
        .args(set)
        .run()
        .success();
    let freeze = pip_freeze(&env);
    (run, freeze)
}

#[test]
#[ignore = "needs the network: run with `make test-online`"]
fn installs_what_pip_installs_from_pypi() {
    let tmp = TempDir::new("online");
    let ours = venv(&tmp.path().join("curd"));
    let theirs = venv(&tmp.path().join("pip"));
    let _run = Curd::install(tmp.path(), &ours)
        .arg("--cache-dir")
        .arg(tmp.path().join("cache"))
        .args(SET)
        .run()
        .success();
    run_ok(pip(&theirs.join("bin/python")).arg("install").args(SET));
    assert_eq!(pip_freeze(&ours), pip_freeze(&theirs));
}

#[test]
#[ignore = "needs the network: run with `make test-online`"]
fn real_sets_install_every_time() {
    let tmp = TempDir::new("online-sets");
    for set in REAL_SETS {
        let mut chosen = None;
        for round in 0..ROUNDS {
            let dir = tmp.path().join(format!("{}-{round}", set.join("+")));
            let (run, freeze) = cold_install(&dir, set);
            let retries = run.stderr.matches("retrying").count();
            eprintln!("{set:?} round {round}: {retries} retries");
            match &chosen {
                None => chosen = Some(freeze),
                Some(first) => assert_eq!(&freeze, first, "{set:?} changed between rounds"),
            }
        }
    }
}

/// Where curd and uv differ, as `name: curd X, uv Y` lines, and which of those are
/// an older version of a requirement the user named.
fn differences(set: &[&str], curd: &Picked, uv: &Picked) -> (Vec<String>, Vec<String>) {
    let direct: Vec<String> = set
        .iter()
        .map(|r| {
            normalized(
                r.split(['=', '<', '>', '!', '~', '[', ' '])
                    .next()
                    .unwrap_or(r),
            )
        })
        .collect();
    let mut all = Vec::new();
    let mut older = Vec::new();
    let names: std::collections::BTreeSet<&String> = curd.keys().chain(uv.keys()).collect();
    for name in names {
        let (ours, theirs) = (curd.get(name), uv.get(name));
        if ours == theirs {
            continue;
        }
        let line = format!("{name}: curd {ours:?}, uv {theirs:?}");
        let version = |v: Option<&String>| v.and_then(|v| v.parse::<Version>().ok());
        if direct.contains(name)
            && let (Some(ours), Some(theirs)) = (version(ours), version(theirs))
            && ours < theirs
        {
            older.push(line.clone());
        }
        all.push(line);
    }
    (all, older)
}

#[test]
#[ignore = "needs the network: run with `make test-online`"]
fn picks_no_older_direct_requirement_than_uv() {
    let tmp = TempDir::new("online-uv");
    let mut older = Vec::new();
    for set in COMPARED {
        let dir = tmp.path().join(set.join("+"));
        let env = venv(&dir);
        let curd = curd_picks(&dir, &env, &["--cache-dir", "cache"], set);
        let uv = uv_picks(&dir, &env, &[], set);
        let (all, worse) = differences(set, &curd, &uv);
        eprintln!(
            "{set:?}: {} distributions, {} differ from uv{}",
            curd.len(),
            all.len(),
            all.iter().map(|l| format!("\n  {l}")).collect::<String>()
        );
        older.extend(worse);
    }
    assert!(older.is_empty(), "older than uv: {older:#?}");
}

use std::path::Path;

use super::*;
use crate::cli::args::{Command, InstallArgs, parse_with};

fn vars(pairs: &[(&str, &str)]) -> Variables {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), OsString::from(v)))
        .collect()
}

fn install(args: &[&str], env: &[(&str, &str)]) -> Result<InstallArgs, String> {
    let argv = ["install"].iter().chain(args).map(OsString::from);
    let vars = vars(env);
    match parse_with(argv, &|m, name| fill(m, name, &vars)) {
        Ok(Command::Install(args)) => Ok(args),
        Ok(other) => panic!("not install: {other:?}"),
        Err(stop) => Err(stop.to_string()),
    }
}

#[test]
fn curd_variables_beat_pip_and_uv_ones_and_yield_to_flags() {
    let env = [
        ("PIP_INDEX_URL", "http://pip/simple/"),
        ("UV_DEFAULT_INDEX", "http://uv/simple/"),
        ("PIP_EXTRA_INDEX_URL", "http://e1/ http://e2/"),
        ("UV_INDEX", "named=http://e3/ http://e1/"),
        ("PIP_FIND_LINKS", "/a /b"),
        ("PIP_NO_INDEX", "yes"),
    ];
    let args = install(&["x"], &env).expect("parses");
    assert_eq!(args.index, ["http://pip/simple/"]);
    assert!(args.index_configured && args.no_index);
    assert_eq!(args.extra_index, ["http://e1/", "http://e2/", "http://e3/"]);
    assert_eq!(args.find_links, ["/a", "/b"]);
    let mut ours = env.to_vec();
    ours.push(("CURD_INDEX_URL", "http://curd/simple/"));
    let args = install(&["x"], &ours).expect("parses");
    assert_eq!(args.index, ["http://curd/simple/"]);
    let args = install(&["--index-url", "http://flag/", "x"], &ours).expect("parses");
    assert_eq!(args.index, ["http://flag/"]);
    assert!(!args.index_configured);
    let args = install(&["x"], &[("UV_INDEX_URL", "http://uv-old/")]).expect("parses");
    assert_eq!(args.index, ["http://uv-old/"]);
    assert!(
        !install(&["x"], &[("PIP_NO_INDEX", "off")])
            .expect("parses")
            .no_index
    );
}

#[test]
fn bad_variables_name_themselves() {
    assert_eq!(
        install(&["x"], &[("CURD_TIMEOUT", "soon")]).unwrap_err(),
        "`$CURD_TIMEOUT`: expected a number of seconds, above 0 and at most 86400, found `soon`"
    );
    assert_eq!(
        install(&["x"], &[("CURD_RETRIES", "-2")]).unwrap_err(),
        "`$CURD_RETRIES`: expected a number, found `-2`"
    );
    assert!(install(&["--retries=3", "x"], &[("CURD_RETRIES", "-2")]).is_ok());
    assert_eq!(
        install(&["x"], &[("PIP_NO_INDEX", "maybe")]).unwrap_err(),
        "`$PIP_NO_INDEX`: expected true or false (or 1, 0, yes, no, on, off), found `maybe`"
    );
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

#[test]
fn files_sit_under_the_environment_and_tables_above_the_top() {
    let dir = std::env::temp_dir().join(format!("curd-config-{}", std::process::id()));
    let user = write(
        &dir,
        "xdg/curd/curd.toml",
        "index = [\"http://file/\"]\ntimeout = 30\npre = true\njobs = 2\n\
         [install]\njobs = 3\n[wheel]\njobs = 4\n",
    );
    let xdg = dir.join("xdg").display().to_string();
    let args = install(&["x"], &[("XDG_CONFIG_HOME", &xdg)]).expect("parses");
    assert_eq!(args.index, ["http://file/"]);
    assert!(args.index_configured && args.pre);
    assert_eq!(args.timeout, Some(std::time::Duration::from_secs(30)));
    assert_eq!(args.jobs, 3);
    let env = [
        ("XDG_CONFIG_HOME", xdg.as_str()),
        ("PIP_INDEX_URL", "http://pip/"),
    ];
    let args = install(&["--timeout", "5", "x"], &env).expect("parses");
    assert_eq!(args.index, ["http://pip/"]);
    assert_eq!(args.timeout, Some(std::time::Duration::from_secs(5)));
    let args = install(&["--no-config", "x"], &[("XDG_CONFIG_HOME", &xdg)]).expect("parses");
    assert!(args.index.is_empty() && !args.pre);
    // The named file replaces the others.
    let named = write(&dir, "named.toml", "retries = 1\n");
    let args = install(
        &["x"],
        &[("XDG_CONFIG_HOME", &xdg), ("CURD_CONFIG_FILE", &named)],
    )
    .expect("parses");
    assert_eq!((args.retries, args.pre), (Some(1), false));
    let gone = dir.join("gone.toml").display().to_string();
    let error = install(&["x"], &[("CURD_CONFIG_FILE", &gone)]).unwrap_err();
    assert!(error.contains("gone.toml"), "{error}");
    // A key of another command is fine at the top, wrong in a table.
    write(&dir, "xdg/curd/curd.toml", "wheel-dir = \"w\"\n");
    assert!(install(&["x"], &[("XDG_CONFIG_HOME", &xdg)]).is_ok());
    write(
        &dir,
        "xdg/curd/curd.toml",
        "\n[install]\nwheel-dir = \"w\"\n",
    );
    let error = install(&["x"], &[("XDG_CONFIG_HOME", &xdg)]).unwrap_err();
    assert_eq!(
        error,
        format!(
            "{user}:3: unknown key `install.wheel-dir`\n\
             hint: keys are the long flags of `curd install`: run it with --help"
        )
    );
    write(&dir, "xdg/curd/curd.toml", "timeout = \"soon\"\n");
    let error = install(&["x"], &[("XDG_CONFIG_HOME", &xdg)]).unwrap_err();
    assert_eq!(
        error,
        format!(
            "{user}:1: `timeout`: expected a number of seconds, above 0 and at most 86400, found `soon`"
        )
    );
    write(
        &dir,
        "xdg/curd/curd.toml",
        "timeout = [1, 2]\npre = \"yes\"\n",
    );
    let error = install(&["x"], &[("XDG_CONFIG_HOME", &xdg)]).unwrap_err();
    assert!(
        error.starts_with(&format!("{user}:1: `timeout`: expected one value")),
        "{error}"
    );
    write(&dir, "xdg/curd/curd.toml", "pre = \"yes\"\n");
    let error = install(&["x"], &[("XDG_CONFIG_HOME", &xdg)]).unwrap_err();
    assert_eq!(error, format!("{user}:1: `pre`: expected true or false"));
    write(&dir, "xdg/curd/curd.toml", "[server]\nport = 1\n");
    let error = install(&["x"], &[("XDG_CONFIG_HOME", &xdg)]).unwrap_err();
    assert!(
        error.contains("`[server]` is no command's table"),
        "{error}"
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}

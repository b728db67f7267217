use super::*;

fn curd(args: &[&str]) -> Result<Command, Stop> {
    parse(args.iter().map(OsString::from))
}

fn help(args: &[&str]) -> String {
    match curd(args) {
        Err(Stop::Help(text)) => text,
        other => panic!("{args:?} is not help: {other:?}"),
    }
}

fn usage_error(args: &[&str]) -> (String, &'static str) {
    match curd(args) {
        Err(Stop::Usage { command, error }) => (error.to_string(), command),
        other => panic!("{args:?} is not a usage error: {other:?}"),
    }
}

#[test]
fn install_reads_every_flag() {
    let Ok(Command::Install(args)) = curd(&[
        "install",
        "-r",
        "a.txt",
        "-rb.txt",
        "-i",
        "I",
        "-c",
        "C",
        "-u",
        "-f",
        "--find-links=F",
        "--no-index",
        "--pre",
        "--compile",
        "-q",
        "-l",
        "debug",
        "--python",
        "py",
        "--system",
        "--dry-run",
        "-j3",
        "--cache-dir",
        "cache",
        "--link-mode=copy",
        "--cert",
        "ca.pem",
        "--timeout=2.5",
        "--retries",
        "0",
        "--no-build-isolation",
        "flask>=2",
        "--",
        "-odd",
    ]) else {
        panic!("install did not parse");
    };
    assert_eq!(args.requirements, [PathBuf::from("a.txt"), "b.txt".into()]);
    assert_eq!(
        (args.index, args.curdling_index),
        (vec!["I".into()], vec!["C".into()])
    );
    assert!(args.upload && args.force && args.no_index && args.pre && args.compile);
    assert!(args.quiet && args.system && args.dry_run && args.no_build_isolation);
    assert_eq!(args.find_links, ["F"]);
    assert_eq!(args.log_level, Level::Debug);
    assert_eq!(args.python, Some(PathBuf::from("py")));
    assert_eq!(args.jobs, 3);
    assert_eq!(args.cache_dir, Some(PathBuf::from("cache")));
    assert_eq!(args.link_mode, LinkMode::Copy);
    assert_eq!(args.cert, Some(PathBuf::from("ca.pem")));
    assert_eq!(args.timeout, Some(Duration::from_millis(2500)));
    assert_eq!(args.retries, Some(0));
    assert_eq!(args.wheel_dir, None);
    assert_eq!(args.packages, ["flask>=2", "-odd"]);
}

#[test]
fn install_reads_the_flags_pip_and_uv_users_type() {
    let Ok(Command::Install(args)) = curd(&[
        "install",
        "-U",
        "-P",
        "Lib_One",
        "--upgrade-package=two",
        "--no-deps",
        "--constraint",
        "c1.txt",
        "--constraint=c2.txt",
        "--require-hashes",
        "--no-binary",
        ":all:",
        "--only-binary=fast,quick",
        "--no-binary",
        "slow",
        "--no-cache",
        "-v",
        "-p",
        "py",
        "x",
    ]) else {
        panic!("install did not parse");
    };
    assert!(args.upgrade && args.no_deps && args.require_hashes && args.no_cache);
    let upgrade: Vec<&str> = args.upgrade_packages.iter().map(|n| n.as_str()).collect();
    assert_eq!(upgrade, ["lib-one", "two"]);
    assert_eq!(args.constraints, [PathBuf::from("c1.txt"), "c2.txt".into()]);
    assert_eq!(
        args.formats,
        [
            (Format::NoBinary, ":all:".to_string()),
            (Format::OnlyBinary, "fast,quick".to_string()),
            (Format::NoBinary, "slow".to_string()),
        ]
    );
    assert_eq!(args.log_level, Level::Debug);
    assert_eq!(args.python, Some(PathBuf::from("py")));
    for flag in ["--no-cache-dir", "-n"] {
        let Ok(Command::Install(args)) = curd(&["install", flag, "x"]) else {
            panic!("install did not parse");
        };
        assert!(args.no_cache && !args.upgrade && args.upgrade_packages.is_empty());
    }
    let (message, _) = usage_error(&["install", "-P", "no good"]);
    assert_eq!(
        message,
        "`--upgrade-package`: expected a project name, found `no good`"
    );
    for flag in ["-U", "-Px"] {
        let (message, _) = usage_error(&["wheel", flag]);
        assert!(message.starts_with("unknown flag"), "{flag}: {message}");
    }
}

#[test]
fn the_version_is_said_as_curd_server_says_it() {
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(help(&["--version"]), format!("curd {version}\n"));
}

#[test]
fn install_defaults() {
    let Ok(Command::Install(args)) = curd(&["install"]) else {
        panic!("install did not parse");
    };
    assert!(!args.force && !args.system && !args.quiet);
    assert_eq!((args.jobs, args.log_level), (8, Level::Info));
    assert_eq!(args.link_mode, LinkMode::Hardlink);
    assert_eq!((args.timeout, args.retries), (None, None));
    assert!(args.packages.is_empty());
}

#[test]
fn wheel_is_install_into_a_folder() {
    let Ok(Command::Wheel(args)) = curd(&[
        "wheel",
        "-w",
        "out",
        "-j",
        "2",
        "-c",
        "C",
        "--timeout",
        "60",
        "--retries=9",
        "x",
    ]) else {
        panic!("wheel did not parse");
    };
    assert_eq!(args.wheel_dir, Some(PathBuf::from("out")));
    assert_eq!(
        (args.timeout, args.retries),
        (Some(Duration::from_secs(60)), Some(9))
    );
    assert!(args.force && args.system && !args.compile && !args.dry_run);
    assert_eq!(args.link_mode, LinkMode::Copy);
    assert_eq!(
        (args.jobs, args.curdling_index, args.packages),
        (2, vec!["C".into()], vec!["x".into()])
    );
    let Ok(Command::Wheel(args)) = curd(&["wheel"]) else {
        panic!("wheel did not parse");
    };
    assert_eq!(args.wheel_dir, Some(PathBuf::from(".")));
    for flag in [
        "-f",
        "--compile",
        "--system",
        "--dry-run",
        "--link-mode=copy",
        "-l",
    ] {
        let (message, command) = usage_error(&["wheel", flag]);
        assert!(message.starts_with("unknown flag"), "{flag}: {message}");
        assert_eq!(command, "curd wheel");
    }
}

#[test]
fn locations_are_install_s_and_machines_are_wheel_s() {
    let Ok(Command::Install(args)) = curd(&[
        "install", "-t", "dir", "--prefix", "p", "--user", "--report", "-", "x",
    ]) else {
        panic!("install did not parse");
    };
    assert_eq!(
        (args.target, args.prefix, args.user, args.report),
        (
            Some(PathBuf::from("dir")),
            Some(PathBuf::from("p")),
            true,
            Some(PathBuf::from("-"))
        )
    );
    let Ok(Command::Wheel(args)) = curd(&[
        "wheel",
        "--platform",
        "macosx_11_0_arm64",
        "--platform=manylinux_2_17_x86_64",
        "--python-version",
        "3.12",
        "--implementation",
        "cp",
        "--abi",
        "cp312",
        "x",
    ]) else {
        panic!("wheel did not parse");
    };
    let machine = args.machine;
    assert_eq!(
        machine.platforms,
        ["macosx_11_0_arm64", "manylinux_2_17_x86_64"]
    );
    assert_eq!(
        machine.python_version.map(|v| v.to_string()).as_deref(),
        Some("3.12.0")
    );
    assert_eq!(
        (machine.implementation.as_deref(), machine.abis),
        (Some("cp"), vec!["cp312".to_string()])
    );
    for flag in ["--target=d", "--prefix=p", "--user", "--report=r"] {
        let (message, command) = usage_error(&["wheel", flag]);
        assert!(message.starts_with("unknown flag"), "{flag}: {message}");
        assert_eq!(command, "curd wheel");
    }
    let (message, _) = usage_error(&["install", "--platform=win32"]);
    assert!(message.starts_with("unknown flag"), "{message}");
    let (message, _) = usage_error(&["wheel", "--python-version=3.x"]);
    assert!(message.contains("--python-version"), "{message}");
}

#[test]
fn uninstall_and_freeze() {
    let Ok(Command::Uninstall(args)) = curd(&["uninstall", "-q", "-r", "r.txt", "a", "b"]) else {
        panic!("uninstall did not parse");
    };
    assert!(args.quiet && !args.system);
    assert_eq!(
        (args.requirements, args.names),
        (vec![PathBuf::from("r.txt")], vec!["a".into(), "b".into()])
    );
    let Ok(Command::Freeze(args)) = curd(&["freeze", "--python=py"]) else {
        panic!("freeze did not parse");
    };
    assert_eq!(args.python, Some(PathBuf::from("py")));
    assert_eq!(usage_error(&["freeze", "x"]).0, "unexpected argument `x`");
}

#[test]
fn server_arguments_go_on_untouched() {
    let Ok(Command::Server(rest)) = curd(&["server", "-h", "--host=::1"]) else {
        panic!("server did not parse");
    };
    assert_eq!(rest, [OsString::from("-h"), "--host=::1".into()]);
}

#[test]
fn help_comes_from_the_tables() {
    assert!(help(&["--help"]).contains("  server "));
    let install = help(&["install", "--help"]);
    assert!(install.starts_with("Install packages"), "{install}");
    assert!(
        install.contains("Usage: curd install [-h] [-r FILE]... [-i URL]... [-c URL]... [-u] [-f]"),
        "{install}"
    );
    assert!(install.contains("      --link-mode=MODE"), "{install}");
    let wheel = help(&["wheel", "-h"]);
    assert!(
        wheel.contains("-w, --wheel-dir=DIR") && !wheel.contains("--compile"),
        "{wheel}"
    );
    assert_eq!(help(&["help", "wheel"]), wheel);
    assert!(help(&["freeze", "-h"]).contains("--python=PATH"));
}

#[test]
fn bad_values_are_one_line_naming_the_flag() {
    let (message, command) = usage_error(&["install", "--jobs=x"]);
    assert_eq!(message, "`--jobs`: expected a number, found `x`");
    assert_eq!(command, "curd install");
    let (message, _) = usage_error(&["install", "-l", "loud"]);
    assert_eq!(
        message,
        "`--log-level`: expected error, warn, info or debug, found `loud`"
    );
    let (message, _) = usage_error(&["install", "--link-mode", "symlink"]);
    assert_eq!(
        message,
        "`--link-mode`: expected hardlink or copy, found `symlink`"
    );
    for seconds in ["0", "-1", "soon", "NaN", "inf", "86401"] {
        let (message, _) = usage_error(&["install", "--timeout", seconds]);
        assert_eq!(
            message,
            format!(
                "`--timeout`: expected a number of seconds, above 0 and at most 86400, found `{seconds}`"
            )
        );
    }
    let (message, _) = usage_error(&["install", "--retries=-1"]);
    assert_eq!(message, "`--retries`: expected a number, found `-1`");
    assert_eq!(
        usage_error(&["install", "--bogus"]).0,
        "unknown flag `--bogus`"
    );
    assert_eq!(
        usage_error(&["bogus"]),
        (
            "expected a command (install, wheel, uninstall, freeze, list, show, check, server), found `bogus`".into(),
            "curd"
        )
    );
}

#[test]
fn reporting_commands_read_their_flags() {
    let Ok(Command::List(args)) = curd(&["list", "--format=json", "--python", "py"]) else {
        panic!("list did not parse");
    };
    assert_eq!(
        (args.format, args.python),
        (ListFormat::Json, Some("py".into()))
    );
    assert_eq!(
        usage_error(&["list", "--format", "yaml"]).0,
        "`--format`: expected columns, freeze or json, found `yaml`"
    );
    let Ok(Command::Show(args)) = curd(&["show", "-f", "a", "B"]) else {
        panic!("show did not parse");
    };
    assert!(args.files);
    assert_eq!(args.names, ["a", "B"]);
    assert!(matches!(curd(&["check"]), Ok(Command::Check(_))));
    // pip's and uv's spellings of the index flag are the same flag.
    let Ok(Command::Install(args)) = curd(&[
        "install",
        "--index-url",
        "A",
        "--default-index=B",
        "--extra-index-url",
        "C",
        "x",
    ]) else {
        panic!("install did not parse");
    };
    assert_eq!(
        (args.index, args.extra_index),
        (vec!["A".into(), "B".into()], vec!["C".into()])
    );
}

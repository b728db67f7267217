use super::*;

static JOBS: Flag = Flag::option("jobs", "N", "at once (default: 8)").short('j');
static FILE: Flag = Flag::option("file", "FILE", "read this file")
    .short('f')
    .repeatable();
static QUIET: Flag = Flag::switch("quiet", "say less").short('q');
static PRE: Flag = Flag::switch("pre", "allow pre-releases");

fn command(many: bool) -> Command {
    Command {
        name: "tool run",
        about: "Run things.",
        flags: vec![&JOBS, &FILE, &QUIET, &PRE],
        operand: Some(Operand {
            name: "THING",
            help: "what to run",
            many,
        }),
    }
}

fn parse(args: &[&str]) -> Result<Matches, Stop> {
    command(true).parse(args.iter().map(OsString::from))
}

/// The one-line message of a usage error, and the command its hint names.
fn error(result: Result<Matches, Stop>) -> (String, &'static str) {
    match result {
        Err(Stop::Usage { command, error }) => (error.to_string(), command),
        other => panic!("expected a usage error, found {other:?}"),
    }
}

#[test]
fn takes_every_spelling_of_a_value() {
    for args in [
        &["--jobs=3"][..],
        &["--jobs", "3"],
        &["-j3"],
        &["-j", "3"],
        &["-j=3"],
    ] {
        let m = parse(args).unwrap();
        assert_eq!(m.value::<usize>(&JOBS).unwrap(), Some(3), "{args:?}");
    }
    let m = parse(&[]).unwrap();
    assert_eq!(m.value::<usize>(&JOBS).unwrap(), None);
}

#[test]
fn switches_operands_and_double_dash() {
    let m = parse(&["a", "-qj2", "b", "--", "--pre", "-h"]).unwrap();
    assert!(m.switch(&QUIET));
    assert!(!m.switch(&PRE));
    assert_eq!(m.value::<usize>(&JOBS).unwrap(), Some(2));
    assert_eq!(m.operands::<String>().unwrap(), ["a", "b", "--pre", "-h"]);
}

#[test]
fn repeatable_flags_keep_every_value_in_order() {
    let m = parse(&["-f", "a", "--file=b", "-fc", "--quiet", "-q"]).unwrap();
    let files: Vec<PathBuf> = m.values(&FILE).unwrap();
    assert_eq!(files, [PathBuf::from("a"), "b".into(), "c".into()]);
    assert!(m.switch(&QUIET));
}

#[test]
fn a_value_is_taken_whatever_it_looks_like() {
    let m = parse(&["-f", "-q"]).unwrap();
    assert_eq!(m.values::<String>(&FILE).unwrap(), ["-q"]);
    assert!(!m.switch(&QUIET));
}

#[test]
fn errors_are_one_line_and_name_the_command() {
    let cases: [(&[&str], &str); 6] = [
        (&["--jobs=x"], "`--jobs`: expected a number, found `x`"),
        (&["--bogus"], "unknown flag `--bogus`"),
        (&["-qz"], "unknown flag `-z`"),
        (&["-j"], "`--jobs` expects a value"),
        (&["--pre=yes"], "`--pre` takes no value, found `yes`"),
        (
            &["-j", "1", "--jobs", "2"],
            "`--jobs` may be given only once",
        ),
    ];
    for (args, expected) in cases {
        let result = parse(args).and_then(|m| m.value::<usize>(&JOBS));
        let (message, command) = match result {
            Err(Stop::Usage { command, error }) => (error.to_string(), command),
            other => panic!("{args:?}: expected a usage error, found {other:?}"),
        };
        assert_eq!(message, expected, "{args:?}");
        assert_eq!(command, "tool run");
    }
}

#[test]
fn one_operand_is_required_and_no_more_taken() {
    let one = |args: &[&str]| command(false).parse(args.iter().map(OsString::from));
    let m = one(&["dir"]).unwrap();
    assert_eq!(m.operand::<PathBuf>().unwrap(), PathBuf::from("dir"));
    assert_eq!(error(one(&[])).0, "missing THING");
    assert_eq!(error(one(&["a", "b"])).0, "unexpected argument `b`");
    let none = Command {
        operand: None,
        ..command(false)
    };
    let extra = none.parse([OsString::from("x")]);
    assert_eq!(error(extra).0, "unexpected argument `x`");
}

#[test]
fn help_lists_every_flag_with_its_value() {
    for args in [&["-h"][..], &["--help"], &["a", "--jobs=x", "-h"]] {
        let Err(Stop::Help(text)) = parse(args) else {
            panic!("{args:?} is not help");
        };
        assert!(
            text.starts_with(
                "Run things.\n\nUsage: tool run [-h] [-j N] [-f FILE]... [-q] [THING]...\n"
            ),
            "{text}"
        );
        for line in [
            "Arguments:\n  THING            what to run\n",
            "  -h, --help       print this help\n",
            "  -j, --jobs=N     at once (default: 8)\n",
            "      --pre        allow pre-releases\n",
        ] {
            assert!(text.contains(line), "{line:?} not in\n{text}");
        }
    }
}

#[test]
fn help_wraps_long_lines_under_their_column() {
    let text = wrap("word ".repeat(30).split_whitespace(), 10);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 1);
    assert!(lines[0].len() + 10 <= WIDTH, "{text}");
    assert!(lines.iter().all(|l| l.len() <= WIDTH), "{text}");
    assert!(lines[1].starts_with("          word"), "{text}");
}

#[test]
fn a_program_dispatches_on_its_first_operand() {
    let program = Program {
        name: "tool",
        about: "Tools.",
        commands: &[("run", "run things"), ("stop", "stop them")],
    };
    let dispatch = |args: &[&str]| program.dispatch(args.iter().map(OsString::from));
    let (name, rest) = dispatch(&["run", "-j", "2", "--", "x"]).unwrap();
    assert_eq!(
        (name, rest),
        (
            "run",
            vec!["-j".into(), "2".into(), "--".into(), "x".into()]
        )
    );
    let (name, rest) = dispatch(&["help", "stop"]).unwrap();
    assert_eq!((name, rest), ("stop", vec![OsString::from("--help")]));
    for args in [&["-h"][..], &["--help"], &["help"]] {
        let Err(Stop::Help(text)) = dispatch(args) else {
            panic!("{args:?} is not help");
        };
        assert!(text.contains("  run   run things\n"), "{text}");
    }
    let message = |args: &[&str]| match dispatch(args) {
        Err(Stop::Usage { command, error }) => (error.to_string(), command),
        other => panic!("{args:?}: expected a usage error, found {other:?}"),
    };
    assert_eq!(
        message(&["fly"]).0,
        "expected a command (run, stop), found `fly`"
    );
    assert_eq!(
        message(&[]),
        ("expected a command (run, stop)".into(), "tool")
    );
    assert_eq!(message(&["-x"]).0, "unknown flag `-x`");
}

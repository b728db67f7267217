use super::*;

fn parse(s: &str) -> MarkerTree {
    match s.parse() {
        Ok(tree) => tree,
        Err(e) => panic!("{s:?} should parse:\n{e}"),
    }
}

/// A Linux CPython 3.11 machine, with `overrides` applied.
fn env(overrides: &[(&str, &str)]) -> MarkerEnvironment {
    let mut map = vec![
        ("implementation_name", "cpython"),
        ("implementation_version", "3.11.7"),
        ("os_name", "posix"),
        ("platform_machine", "x86_64"),
        ("platform_python_implementation", "CPython"),
        ("platform_release", "6.1.0"),
        ("platform_system", "Linux"),
        ("platform_version", "#1 SMP PREEMPT_DYNAMIC"),
        ("python_full_version", "3.11.7"),
        ("python_version", "3.11"),
        ("sys_platform", "linux"),
    ];
    map.extend_from_slice(overrides);
    MarkerEnvironment::from_map(map).unwrap()
}

fn extras(names: &[&str]) -> Vec<ExtraName> {
    names.iter().map(|n| ExtraName::new(n).unwrap()).collect()
}

/// A marker, environment overrides, requested extras, and the expected value.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str], bool);

fn check(cases: &[Case]) {
    let mut failures = Vec::new();
    for &(marker, overrides, requested, expected) in cases {
        let actual = parse(marker).evaluate(&env(overrides), &extras(requested));
        if actual != expected {
            failures.push(format!(
                "{marker:?} with {overrides:?}, extras {requested:?}: got {actual}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const VARIABLES: [&str; 12] = [
    "extra",
    "implementation_name",
    "implementation_version",
    "os_name",
    "platform_machine",
    "platform_release",
    "platform_system",
    "platform_version",
    "python_full_version",
    "python_version",
    "platform_python_implementation",
    "sys_platform",
];
const OPERATORS: [&str; 10] = [
    "===", "==", ">=", "<=", "!=", "~=", ">", "<", "in", "not in",
];

#[test]
fn parses_every_variable_operator_and_order() {
    let values = [
        "1.0",
        "5.6a0",
        "dog",
        "any string at all",
        "odd @#4 chars (((",
    ];
    for variable in VARIABLES {
        for operator in OPERATORS {
            for value in values {
                for text in [
                    format!("{variable} {operator} '{value}'"),
                    format!("\"{value}\" {operator} {variable}"),
                ] {
                    // `===` and `~=` between strings are refused (below).
                    let Ok(tree) = text.parse::<MarkerTree>() else {
                        let version = [
                            "implementation_version",
                            "platform_release",
                            "python_full_version",
                            "python_version",
                        ]
                        .contains(&variable);
                        assert!(
                            matches!(operator, "===" | "~=")
                                && (!version || !text.starts_with('"')),
                            "{text} should parse"
                        );
                        continue;
                    };
                    let MarkerTree::Expression(e) = &tree else {
                        panic!("{text}: {tree:?}");
                    };
                    assert_eq!(e.variable.as_str(), variable, "{text}");
                    assert_eq!(e.operator.as_str(), operator, "{text}");
                    assert_eq!(e.value_first, text.starts_with('"'), "{text}");
                    if variable != "extra" {
                        assert_eq!(e.value, value, "{text}");
                    }
                    assert_eq!(parse(&tree.to_string()), tree, "{text}");
                }
            }
        }
    }
}

#[test]
fn resolves_legacy_aliases() {
    for (alias, canonical) in [
        ("os.name", "os_name"),
        ("sys.platform", "sys_platform"),
        ("platform.version", "platform_version"),
        ("platform.machine", "platform_machine"),
        (
            "platform.python_implementation",
            "platform_python_implementation",
        ),
        ("python_implementation", "platform_python_implementation"),
    ] {
        let tree = parse(&format!("{alias} == 'x'"));
        assert_eq!(tree.to_string(), format!("{canonical} == \"x\""));
    }
}

#[test]
fn prints_like_packaging() {
    for (input, printed) in [
        ("python_version == '2.7'", r#"python_version == "2.7""#),
        (r#"python_version=="2.7""#, r#"python_version == "2.7""#),
        (
            "python_version == '2.7' and os_name == 'linux'",
            r#"python_version == "2.7" and os_name == "linux""#,
        ),
        (
            "python_version == '2.7' or os_name == 'linux'",
            r#"python_version == "2.7" or os_name == "linux""#,
        ),
        (
            "python_version == '2.7' and os_name == 'linux' or sys_platform == 'win32'",
            r#"python_version == "2.7" and os_name == "linux" or sys_platform == "win32""#,
        ),
        ("(python_version == '2.7')", r#"python_version == "2.7""#),
        ("((python_version == '2.7'))", r#"python_version == "2.7""#),
        (
            "(python_version == '2.7' and sys_platform == 'win32')",
            r#"python_version == "2.7" and sys_platform == "win32""#,
        ),
        (
            "python_version == '2.7' and (sys_platform == 'win32' or sys_platform == 'linux')",
            r#"python_version == "2.7" and (sys_platform == "win32" or sys_platform == "linux")"#,
        ),
        ("'2.7' in python_version", r#""2.7" in python_version"#),
        ("os_name  not \t in 'nt'", r#"os_name not in "nt""#),
        ("os_name in\"posix\"", r#"os_name in "posix""#),
        // The other quote when the value holds a double quote.
        (
            r#"platform_version == 'say "hi"'"#,
            r#"platform_version == 'say "hi"'"#,
        ),
        // Extras print normalized, as packaging 22+ does.
        ("extra == 'S_P__A_M'", r#"extra == "s-p-a-m""#),
        ("'S_P__A_M' == extra", r#""s-p-a-m" == extra"#),
        (
            "(extra == 'Foo_Bar' or extra == 'Baz') and python_version >= '3'",
            r#"(extra == "foo-bar" or extra == "baz") and python_version >= "3""#,
        ),
    ] {
        let tree = parse(input);
        assert_eq!(tree.to_string(), printed, "{input}");
        assert_eq!(parse(printed), tree, "{printed}");
    }
}

#[test]
fn and_binds_tighter_than_or() {
    let a = || parse("os_name == 'a'");
    let b = || parse("os_name == 'b'");
    let c = || parse("os_name == 'c'");
    let and = |x: Vec<MarkerTree>| MarkerTree::And(x);
    let or = |x: Vec<MarkerTree>| MarkerTree::Or(x);
    for (input, tree) in [
        (
            "os_name=='a' and os_name=='b' or os_name=='c'",
            or(vec![and(vec![a(), b()]), c()]),
        ),
        (
            "os_name=='a' and (os_name=='b' or os_name=='c')",
            and(vec![a(), or(vec![b(), c()])]),
        ),
        (
            "os_name=='a' or os_name=='b' and os_name=='c'",
            or(vec![a(), and(vec![b(), c()])]),
        ),
        (
            "(os_name=='a' or os_name=='b') and os_name=='c'",
            and(vec![or(vec![a(), b()]), c()]),
        ),
        (
            "os_name=='a' and os_name=='b' and os_name=='c'",
            and(vec![a(), b(), c()]),
        ),
        (
            "(os_name=='a' and os_name=='b') and os_name=='c'",
            and(vec![a(), b(), c()]),
        ),
        (
            "os_name=='a' or (os_name=='b' or os_name=='c')",
            or(vec![a(), b(), c()]),
        ),
    ] {
        assert_eq!(parse(input), tree, "{input}");
    }
}

/// Each error: the input, the message, and the caret line under it.
#[test]
fn reports_errors_with_a_caret() {
    for (input, message, caret) in [
        (
            "",
            "expected a marker variable, a quoted string or `(`, found end of input",
            "^",
        ),
        (
            "python_version",
            "expected a comparison operator (`==`, `!=`, `<`, `<=`, `>`, `>=`, `~=`, `===`, `in` or `not in`), found end of input",
            "              ^",
        ),
        (
            "(python_version)",
            "expected a comparison operator (`==`, `!=`, `<`, `<=`, `>`, `>=`, `~=`, `===`, `in` or `not in`), found `)`",
            "               ^",
        ),
        (
            "os_name = 'a'",
            "expected a comparison operator (`==`, `!=`, `<`, `<=`, `>`, `>=`, `~=`, `===`, `in` or `not in`), found `=`",
            "        ^",
        ),
        (
            "os_name notin 'a'",
            "expected a comparison operator (`==`, `!=`, `<`, `<=`, `>`, `>=`, `~=`, `===`, `in` or `not in`), found `notin`",
            "        ^^^^^",
        ),
        (
            "python_version >= 1.0 and (python_version)",
            "expected a marker variable or a quoted string after `>=`, found `1.0`",
            "                  ^^^",
        ),
        (
            "os_name == and",
            "expected a marker variable or a quoted string after `==`, found `and`",
            "           ^^^",
        ),
        (
            "os_name == 'a' and",
            "expected a marker variable, a quoted string or `(`, found end of input",
            "                  ^",
        ),
        (
            "os_name == 'a' and or",
            "expected a marker variable, a quoted string or `(`, found `or`",
            "                   ^^",
        ),
        (
            r#"(python_version == "2.7" and os_name == "linux""#,
            "expected `and`, `or` or `)`, found end of input",
            "                                               ^",
        ),
        (
            r#"(python_version == "2.7") with random text"#,
            "expected `and`, `or` or the end of the marker, found `with`",
            "                          ^^^^",
        ),
        (
            "os_name == 'a' andos_name == 'b'",
            "expected `and`, `or` or the end of the marker, found `andos_name`",
            "               ^^^^^^^^^^",
        ),
        (
            "os_name == 'a')",
            "expected `and`, `or` or the end of the marker, found `)`",
            "              ^",
        ),
        (
            "this_isnt_a_real_variable >= '1.0'",
            "unknown marker variable `this_isnt_a_real_variable`",
            "^^^^^^^^^^^^^^^^^^^^^^^^^",
        ),
        (
            "platform.system == 'Linux'",
            "unknown marker variable `platform.system`",
            "^^^^^^^^^^^^^^^",
        ),
        (
            "'foo' in extras",
            "marker variable `extras` is only defined in lock files",
            "         ^^^^^^",
        ),
        (
            "os_name not 'a'",
            "expected `in` after `not`, found `'`",
            "            ^",
        ),
        (
            "os_name == 'a",
            "unterminated string: no closing `'`",
            "           ^",
        ),
        (
            r#"os_name == "C:\""#,
            r"character `\` is not allowed in a marker string",
            "              ^",
        ),
        (
            "os_name == 'é'",
            "character `é` is not allowed in a marker string",
            "            ^",
        ),
        (
            "os_name == 'a\nb'",
            r"character `\n` is not allowed in a marker string",
            "             ^",
        ),
        (
            "'a' == 'b'",
            "a marker compares a variable with a quoted string, not two quoted strings",
            "^^^^^^^^^^",
        ),
        (
            "os_name == sys_platform",
            "a marker compares a variable with a quoted string, not two variables",
            "^^^^^^^^^^^^^^^^^^^^^^^",
        ),
        (
            "os_name === 'posix'",
            "`===` compares a version variable (`python_version`, `python_full_version`, \
             `implementation_version`, `platform_release`) with a version; between strings \
             it is undefined (use `==`)",
            "^^^^^^^^^^^^^^^^^^^",
        ),
        (
            "python_version ~= '3'",
            "`~=` compares a version variable (`python_version`, `python_full_version`, \
             `implementation_version`, `platform_release`) with a version; between strings \
             it is undefined (use `==`)",
            "^^^^^^^^^^^^^^^^^^^^^",
        ),
        (
            "\tos_name ~ 'a'",
            "expected a comparison operator (`==`, `!=`, `<`, `<=`, `>`, `>=`, `~=`, `===`, `in` or `not in`), found `~`",
            "\t        ^",
        ),
    ] {
        let error = input.parse::<MarkerTree>().unwrap_err();
        let shown: String = input
            .chars()
            .map(|c| if c == '\n' { '\u{FFFD}' } else { c })
            .collect();
        assert_eq!(
            error.to_string(),
            format!("{message}\n{shown}\n{caret}"),
            "{input:?}"
        );
    }
}

/// `python_version > "3"` inside `depth` parentheses.
fn nested(depth: usize) -> String {
    format!(
        "{}python_version > \"3\"{}",
        "(".repeat(depth),
        ")".repeat(depth)
    )
}

#[test]
fn nesting_stops_at_the_limit_without_overflowing() {
    let deepest = parse(&nested(MAX_NESTING));
    assert_eq!(deepest.to_string(), "python_version > \"3\"");
    // Deep enough to overflow any thread's stack if each level recursed.
    for depth in [MAX_NESTING + 1, 100_000] {
        let error = nested(depth).parse::<MarkerTree>().unwrap_err();
        assert_eq!(error.kind(), &MarkerErrorKind::TooDeep { limit: 100 });
        assert_eq!(error.span(), MAX_NESTING..MAX_NESTING + 1);
        let shown = error.to_string();
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(
            lines[0],
            "parentheses nest deeper than 100 levels in a marker"
        );
        // Cut to its start and the text around the fault, the caret still under it.
        let (start, rest) = lines[1].split_once('…').unwrap();
        assert_eq!(start, "(".repeat(20));
        assert!(rest.starts_with(&"(".repeat(50)));
        assert_eq!(rest.chars().count(), 100 + 1);
        assert_eq!(lines[2], format!("{}^", " ".repeat(20 + 1 + 50)));
    }
    // Nesting is counted, not the number of groups side by side.
    let wide = vec![nested(MAX_NESTING); 50].join(" and ");
    assert!(wide.parse::<MarkerTree>().is_ok());
}

#[test]
fn evaluates_strings() {
    check(&[
        ("os_name == 'posix'", &[], &[], true),
        ("os_name == 'foo'", &[("os_name", "foo")], &[], true),
        ("os_name == 'foo'", &[("os_name", "bar")], &[], false),
        ("os_name != 'nt'", &[], &[], true),
        (
            "'2.7' in python_version",
            &[("python_version", "2.7.5")],
            &[],
            true,
        ),
        (
            "'2.7' not in python_version",
            &[("python_version", "2.7")],
            &[],
            false,
        ),
        ("'f' in sys_platform", &[("sys_platform", "foo")], &[], true),
        (
            "'f' in sys_platform",
            &[("sys_platform", "bar")],
            &[],
            false,
        ),
        // `in` is a substring test, however surprising for versions.
        (
            "python_version in '2.7 3.10'",
            &[("python_version", "3.1")],
            &[],
            true,
        ),
        (
            "platform.version in 'Ubuntu'",
            &[("platform_version", "#39")],
            &[],
            false,
        ),
        (
            "sys.platform == 'win32'",
            &[("sys_platform", "linux2")],
            &[],
            false,
        ),
        ("platform.machine=='x86_64'", &[], &[], true),
        ("python_implementation=='Jython'", &[], &[], false),
        // No ordering between strings: `<`, `>` are false, `<=`, `>=` are `==`.
        ("sys_platform < 'win32'", &[], &[], false),
        ("sys_platform > 'a'", &[], &[], false),
        ("sys_platform <= 'linux'", &[], &[], true),
        ("sys_platform >= 'linux'", &[], &[], true),
        (
            "'b' < python_full_version",
            &[("python_full_version", "c")],
            &[],
            false,
        ),
        (
            "'b' < python_full_version",
            &[("python_full_version", "a")],
            &[],
            false,
        ),
        // With the version variable second, `~=` between strings is false.
        (
            "'2.7' ~= python_version",
            &[("python_version", "3")],
            &[],
            false,
        ),
        // Arbitrary equality is a case-insensitive string comparison.
        ("platform_release === '6.1.0'", &[], &[], true),
        ("platform_release === '6.1'", &[], &[], false),
        // Only version-typed variables compare as versions.
        (
            "platform_version == '1.0'",
            &[("platform_version", "1.0.0")],
            &[],
            false,
        ),
        (
            "platform_version >= '10.0'",
            &[("platform_version", "10.0.19045")],
            &[],
            false,
        ),
        // A platform_release that is no version compares as a string.
        (
            "platform_release >= '5.0'",
            &[("platform_release", "5.15.0-91-generic")],
            &[],
            false,
        ),
        (
            "platform_release != '5.0'",
            &[("platform_release", "5.15.0-91-generic")],
            &[],
            true,
        ),
        (
            "platform_release == '5.15.0-91-generic'",
            &[("platform_release", "5.15.0-91-generic")],
            &[],
            true,
        ),
        // `op + value` must make a single clause, or the value is a string.
        ("python_version < '=3.12'", &[], &[], false),
        ("python_version >= '3.8,<3.12'", &[], &[], false),
        // Precedence and grouping.
        (
            "os_name == 'foo' or os_name == 'posix' and python_version == '2.7'",
            &[],
            &[],
            false,
        ),
        (
            "(os_name == 'foo' or os_name == 'posix') and python_version == '3.11'",
            &[],
            &[],
            true,
        ),
    ]);
}

#[test]
fn evaluates_extras_normalized_once_per_extra() {
    check(&[
        ("extra == 'security'", &[], &["quux"], false),
        ("extra == 'security'", &[], &["security"], true),
        ("extra == 'SECURITY'", &[], &["security"], true),
        ("extra == 'pep-685-norm'", &[], &["PEP_685...norm"], true),
        (
            "extra == 'Different.punctuation..is...equal'",
            &[],
            &["different__punctuation_is_EQUAL"],
            true,
        ),
        ("'Foo_Bar' == extra", &[], &["foo-bar"], true),
        ("extra == 'im_valid'", &[], &[], false),
        // Extras are names, never versions.
        ("extra == 'v2'", &[], &["v2"], true),
        ("extra == 'v2'", &[], &["v2a3"], false),
        ("extra == 'v2a3'", &[], &["v2"], false),
        ("extra == 'v2'", &[], &["v2.0"], false),
        // Once per extra, as pip evaluates: never two extras at a time.
        ("extra == 'a' or extra == 'b'", &[], &["a", "b"], true),
        ("extra == 'a' and extra == 'b'", &[], &["a", "b"], false),
        ("extra != 'a'", &[], &[], true),
        ("extra != 'a'", &[], &["a"], false),
        ("extra != 'a'", &[], &["a", "b"], true),
        ("os_name == 'posix'", &[], &["a"], true),
        ("os_name == 'nt' or extra == 'test'", &[], &["test"], true),
        ("os_name == 'nt' and extra == 'test'", &[], &["test"], false),
    ]);
}

/// Version comparisons with `==`, `>=` and `<` on plain release numbers.
#[test]
fn evaluates_versions() {
    check(&[
        ("python_version >= '3.8'", &[], &[], true),
        ("python_version < '3.8'", &[], &[], false),
        ("python_version == '3.11'", &[], &[], true),
        ("python_version == '3.11.0'", &[], &[], true),
        ("python_version >= '3.10'", &[], &[], true),
        (
            "python_version < '3.9'",
            &[("python_version", "3.10")],
            &[],
            false,
        ),
        (
            "'3.6' < python_version",
            &[("python_version", "3.5")],
            &[],
            false,
        ),
        (
            "'2.7.9' < python_full_version",
            &[("python_full_version", "2.7.10")],
            &[],
            true,
        ),
        (
            "'2.7.9' < python_full_version",
            &[("python_full_version", "2.7.8")],
            &[],
            false,
        ),
        ("implementation_version >= '3.11'", &[], &[], true),
        ("platform_release >= '6'", &[], &[], true),
        (
            "python_full_version < '3.12'",
            &[("python_full_version", "3.11.1+")],
            &[],
            true,
        ),
        (
            "python_version >= '3' and python_version < '4'",
            &[],
            &[],
            true,
        ),
    ]);
}

/// The other operators, pre-releases and wildcards, as PEP 440 defines them.
#[test]
fn evaluates_every_version_operator() {
    check(&[
        ("python_version ~= '3.8'", &[], &[], true),
        ("python_version ~= '3.12'", &[], &[], false),
        ("python_full_version ~= '3.11.0'", &[], &[], true),
        ("python_version != '3.11'", &[], &[], false),
        ("python_version != '3.10'", &[], &[], true),
        ("python_version > '3.10'", &[], &[], true),
        ("python_version <= '3.10'", &[], &[], false),
        ("'3.6' <= python_version", &[], &[], true),
        ("python_version == '3.*'", &[], &[], true),
        ("python_version != '3.*'", &[], &[], false),
        ("python_full_version == '3.11.*'", &[], &[], true),
        (
            "python_full_version > '3.6.2'",
            &[("python_full_version", "3.11.0a5")],
            &[],
            true,
        ),
        (
            "python_full_version >= '3.11'",
            &[("python_full_version", "3.12.0rc1")],
            &[],
            true,
        ),
        (
            "python_version >= '3.8' and python_version != '3.9.*'",
            &[],
            &[],
            true,
        ),
        (
            "os_name == 'foo' and python_version ~= '2.7.0'",
            &[("os_name", "foo"), ("python_version", "2.7.6")],
            &[],
            true,
        ),
        (
            "python_version ~= '2.7.0' and (os_name == 'foo' or os_name == 'bar')",
            &[("os_name", "bar"), ("python_version", "2.7.4")],
            &[],
            true,
        ),
        (
            "python_version ~= '2.7.0' and (os_name == 'foo' or os_name == 'bar')",
            &[("os_name", "other"), ("python_version", "2.7.4")],
            &[],
            false,
        ),
    ]);
}

#[test]
fn builds_environments_from_maps() {
    let map: std::collections::HashMap<String, String> = [
        ("implementation_name", "pypy"),
        ("implementation_version", "7.3.13"),
        ("os_name", "nt"),
        ("platform_machine", "AMD64"),
        ("platform_python_implementation", "PyPy"),
        ("platform_release", "10"),
        ("platform_system", "Windows"),
        ("platform_version", "10.0.19045"),
        ("python_full_version", "3.10.13"),
        ("python_version", "3.10"),
        ("sys_platform", "win32"),
        ("extra", "ignored"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let env = MarkerEnvironment::from_map(&map).unwrap();
    assert_eq!(env.implementation_name, "pypy");
    assert_eq!(env.platform_machine, "AMD64");
    assert_eq!(env.sys_platform, "win32");
    assert!(parse("sys_platform == 'win32' and implementation_name == 'pypy'").evaluate(&env, &[]));

    let error =
        MarkerEnvironment::from_map([("os_name", "posix"), ("os.name", "posix")]).unwrap_err();
    assert_eq!(error.missing.len(), 10);
    assert_eq!(
        error.to_string(),
        "marker environment lacks `implementation_name`, `implementation_version`, \
         `platform_machine`, `platform_python_implementation`, `platform_release`, \
         `platform_system`, `platform_version`, `python_full_version`, `python_version`, \
         `sys_platform`"
    );
}

use super::*;

fn parse(s: &str) -> Requirement {
    match s.parse() {
        Ok(requirement) => requirement,
        Err(e) => panic!("{s:?} should parse:\n{e}"),
    }
}

fn specifiers(requirement: &Requirement) -> String {
    match &requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(s)) => s.to_string(),
        _ => String::new(),
    }
}

fn url(requirement: &Requirement) -> Option<&str> {
    match &requirement.version_or_url {
        Some(VersionOrUrl::Url(url)) => Some(url),
        _ => None,
    }
}

fn marker(requirement: &Requirement) -> String {
    requirement
        .marker
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// Each case: input, then the parts (name, extras, specifiers, URL, marker).
type Case<'a> = (
    &'a str,
    &'a str,
    &'a [&'a str],
    &'a str,
    Option<&'a str>,
    &'a str,
);

fn check(cases: &[Case]) {
    for &(input, name, extras, specifier, expected_url, expected_marker) in cases {
        let r = parse(input);
        assert_eq!(r.name.as_str(), name, "{input}");
        let got: Vec<&str> = r.extras.iter().map(ExtraName::as_str).collect();
        assert_eq!(got, extras, "{input}");
        // Through the specifier module's own printing, which may reorder or
        // normalize clauses.
        let specifier = match specifier {
            "" => String::new(),
            text => text.parse::<VersionSpecifiers>().unwrap().to_string(),
        };
        assert_eq!(specifiers(&r), specifier, "{input}");
        assert_eq!(url(&r), expected_url, "{input}");
        assert_eq!(marker(&r), expected_marker, "{input}");
        assert_eq!(parse(&r.to_string()), r, "{input} printed as {r}");
    }
}

#[test]
fn parses_the_specs_examples() {
    check(&[
        (
            "pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686",
            "pip",
            &[],
            "",
            Some(
                "https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686",
            ),
            "",
        ),
        (
            "argparse;python_version<\"2.7\"",
            "argparse",
            &[],
            "",
            None,
            r#"python_version < "2.7""#,
        ),
        ("A", "a", &[], "", None, ""),
        ("A.B-C_D", "a-b-c-d", &[], "", None, ""),
        ("aa", "aa", &[], "", None, ""),
        ("name", "name", &[], "", None, ""),
        ("name>=3", "name", &[], ">=3", None, ""),
        ("name>=3,", "name", &[], ">=3", None, ""),
        ("name>=3,<2", "name", &[], ">=3,<2", None, ""),
        (
            "name@http://foo.com",
            "name",
            &[],
            "",
            Some("http://foo.com"),
            "",
        ),
        (
            "name [fred,bar] @ http://foo.com ; python_version=='2.7'",
            "name",
            &["bar", "fred"],
            "",
            Some("http://foo.com"),
            r#"python_version == "2.7""#,
        ),
        (
            "name[quux, strange];python_version<'2.7' and platform_version=='2'",
            "name",
            &["quux", "strange"],
            "",
            None,
            r#"python_version < "2.7" and platform_version == "2""#,
        ),
        (
            "name; os_name=='a' or os_name=='b'",
            "name",
            &[],
            "",
            None,
            r#"os_name == "a" or os_name == "b""#,
        ),
        (
            "name; os_name=='a' and os_name=='b' or os_name=='c'",
            "name",
            &[],
            "",
            None,
            r#"os_name == "a" and os_name == "b" or os_name == "c""#,
        ),
        (
            "name; os_name=='a' and (os_name=='b' or os_name=='c')",
            "name",
            &[],
            "",
            None,
            r#"os_name == "a" and (os_name == "b" or os_name == "c")"#,
        ),
        (
            "name; os_name=='a' or os_name=='b' and os_name=='c'",
            "name",
            &[],
            "",
            None,
            r#"os_name == "a" or os_name == "b" and os_name == "c""#,
        ),
        (
            "name; (os_name=='a' or os_name=='b') and os_name=='c'",
            "name",
            &[],
            "",
            None,
            r#"(os_name == "a" or os_name == "b") and os_name == "c""#,
        ),
    ]);
}

#[test]
fn parses_names_extras_and_specifiers() {
    check(&[
        ("foo-bar.quux_baz", "foo-bar-quux-baz", &[], "", None, ""),
        ("name (==4)", "name", &[], "==4", None, ""),
        ("name ( >= 2 , < 3 )", "name", &[], ">=2,<3", None, ""),
        ("name (>=1,<2,)", "name", &[], ">=1,<2", None, ""),
        ("name >=2, <3", "name", &[], ">=2,<3", None, ""),
        (
            "name>=1.0 , ; os_name == 'a'",
            "name",
            &[],
            ">=1.0",
            None,
            r#"os_name == "a""#,
        ),
        (
            "foobar [quux,bar]",
            "foobar",
            &["bar", "quux"],
            "",
            None,
            "",
        ),
        ("foo[]", "foo", &[], "", None, ""),
        ("foo [ ]", "foo", &[], "", None, ""),
        (
            "name [ Quux_Ext , bar,quux.ext ]",
            "name",
            &["bar", "quux-ext"],
            "",
            None,
            "",
        ),
        (
            "name[bar]>=3; python_version == \"2.7\"",
            "name",
            &["bar"],
            ">=3",
            None,
            r#"python_version == "2.7""#,
        ),
        ("  name  ", "name", &[], "", None, ""),
        (
            "\tname\t>=1\t;\tos_name=='a'\t",
            "name",
            &[],
            ">=1",
            None,
            r#"os_name == "a""#,
        ),
        (
            "name;os_name=='a'",
            "name",
            &[],
            "",
            None,
            r#"os_name == "a""#,
        ),
        (
            "name>=1.0;os_name=='a'",
            "name",
            &[],
            ">=1.0",
            None,
            r#"os_name == "a""#,
        ),
        (
            "name (>=1.0);os_name=='a'",
            "name",
            &[],
            ">=1.0",
            None,
            r#"os_name == "a""#,
        ),
        ("name[x](==1.0)", "name", &["x"], "==1.0", None, ""),
        (
            "something>=1.2.3; sys_platform == \"foo\"",
            "something",
            &[],
            ">=1.2.3",
            None,
            r#"sys_platform == "foo""#,
        ),
        (
            "aviato>=1.2.3; 'f' in sys_platform",
            "aviato",
            &[],
            ">=1.2.3",
            None,
            r#""f" in sys_platform"#,
        ),
    ]);
}

#[test]
fn parses_direct_references() {
    check(&[
        (
            "name @ file:///absolute/path",
            "name",
            &[],
            "",
            Some("file:///absolute/path"),
            "",
        ),
        ("name @ file://.", "name", &[], "", Some("file://."), ""),
        (
            "name @ FILE:///C:/pkgs/name.whl",
            "name",
            &[],
            "",
            Some("FILE:///C:/pkgs/name.whl"),
            "",
        ),
        (
            "name @ git+https://github.com/org/name.git@v1.0#egg=name",
            "name",
            &[],
            "",
            Some("git+https://github.com/org/name.git@v1.0#egg=name"),
            "",
        ),
        (
            "foo @ https://example.com/name;v=1.1/?query=foo&bar=baz#blah ; python_version=='3.4'",
            "foo",
            &[],
            "",
            Some("https://example.com/name;v=1.1/?query=foo&bar=baz#blah"),
            r#"python_version == "3.4""#,
        ),
        (
            "name[a]@https://host/n.whl\t;extra=='a'",
            "name",
            &["a"],
            "",
            Some("https://host/n.whl"),
            r#"extra == "a""#,
        ),
        // The URL runs to whitespace: without it the marker is part of the URL.
        (
            "name @ https://host/n.whl;extra=='a'",
            "name",
            &[],
            "",
            Some("https://host/n.whl;extra=='a'"),
            "",
        ),
    ]);
}

/// The operators and versions the full PEP 440 module brings.
#[test]
fn parses_every_version_operator() {
    check(&[
        (
            r#"requests [security,tests] >= 2.8.1, == 2.8.* ; python_version < "2.7""#,
            "requests",
            &["security", "tests"],
            ">=2.8.1,==2.8.*",
            None,
            r#"python_version < "2.7""#,
        ),
        ("name<=1", "name", &[], "<=1", None, ""),
        ("name~=1.4.2", "name", &[], "~=1.4.2", None, ""),
        ("name!=1.5.7,>1.0", "name", &[], "!=1.5.7,>1.0", None, ""),
        ("name===1.0.custom", "name", &[], "===1.0.custom", None, ""),
        ("name==1.0a1", "name", &[], "==1.0a1", None, ""),
        (
            "name==1!2.0.post1.dev3+local.7",
            "name",
            &[],
            "==1!2.0.post1.dev3+local.7",
            None,
            "",
        ),
    ]);
}

#[test]
fn prints_the_canonical_form() {
    for (input, printed) in [
        (
            r#"name[bar]>=3; python_version == "2.7""#,
            r#"name[bar]>=3; python_version == "2.7""#,
        ),
        ("name@ http://foo.com", "name@ http://foo.com"),
        (
            r#"name@ http://foo.com ; extra == "feature""#,
            r#"name@ http://foo.com ; extra == "feature""#,
        ),
        (
            "Name.Foo [Quux , bar] (>=1.0) ; os.name=='a'",
            r#"name-foo[bar,quux]>=1.0; os_name == "a""#,
        ),
        ("name [a,a,A]", "name[a]"),
        ("name[]", "name"),
        ("name ; extra == 'Foo_Bar'", r#"name; extra == "foo-bar""#),
        (
            "name @ file:///x ;os_name=='nt'",
            r#"name@ file:///x ; os_name == "nt""#,
        ),
    ] {
        assert_eq!(parse(input).to_string(), printed, "{input}");
    }
}

/// Each error: the input, the message, and the caret line under it.
#[test]
fn reports_errors_with_a_caret() {
    for (input, message, caret) in [
        ("", "expected a package name, found end of input", "^"),
        ("   ", "expected a package name, found end of input", "   ^"),
        ("-name", "expected a package name, found `-`", "^"),
        (
            "name-",
            "package name `name-` must end with a letter or digit",
            "    ^",
        ),
        (
            "name.-_ >=1",
            "package name `name.-_` must end with a letter or digit",
            "      ^",
        ),
        (
            "name[",
            "expected an extra name, found end of input",
            "     ^",
        ),
        ("name[a,]", "expected an extra name, found `]`", "       ^"),
        (
            "name[a b]",
            "expected `,` or `]` after an extra name, found `b`",
            "       ^",
        ),
        (
            "name[a",
            "expected `,` or `]` after an extra name, found end of input",
            "      ^",
        ),
        (
            "name[a_]",
            "extra name `a_` must end with a letter or digit",
            "      ^",
        ),
        (
            "name ! 1.0",
            "expected a version specifier, `@` or `;` after `name`, found `!`",
            "     ^",
        ),
        (
            "toto 42",
            "expected a version specifier, `@` or `;` after `toto`, found `42`",
            "     ^^",
        ),
        (
            "foo!",
            "expected a version specifier, `@` or `;` after `foo`, found `!`",
            "   ^",
        ),
        (
            "name [x] 1.0",
            "expected a version specifier, `@` or `;` after `name [x]`, found `1.0`",
            "         ^^^",
        ),
        (
            "name = 1.0",
            "expected a version specifier, `@` or `;` after `name`, found `=`",
            "     ^",
        ),
        (
            "na me",
            "expected a version specifier, `@` or `;` after `na`, found `me`",
            "   ^^",
        ),
        (
            "name\n",
            r"expected a version specifier, `@` or `;` after `name`, found `\n`",
            "    ^",
        ),
        (
            "name (",
            "expected a version operator (`==`, `!=`, `<`, `<=`, `>`, `>=`, `~=` or `===`), found end of input",
            "      ^",
        ),
        (
            "name ()",
            "expected a version operator (`==`, `!=`, `<`, `<=`, `>`, `>=`, `~=` or `===`), found `)`",
            "      ^",
        ),
        (
            "name>=1,2",
            "expected a version operator (`==`, `!=`, `<`, `<=`, `>`, `>=`, `~=` or `===`), found `2`",
            "        ^",
        ),
        (
            "name (>=1.0",
            "expected `,` or `)` after a version specifier, found end of input",
            "           ^",
        ),
        (
            "name (>=1.0 <2)",
            "expected `,` or `)` after a version specifier, found `<`",
            "            ^",
        ),
        (
            "name >=",
            "expected a version after `>=`, found end of input",
            "       ^",
        ),
        (
            "name >= ;",
            "expected a version after `>=`, found `;`",
            "        ^",
        ),
        (
            "name==(1.0)",
            "expected a version after `==`, found `(`",
            "      ^",
        ),
        (
            "name>=1.0 <2",
            "expected `,`, `;` or the end of the requirement after a version specifier, found `<`",
            "          ^",
        ),
        (
            "name==1.0 @ https://host/n.whl",
            "expected `,`, `;` or the end of the requirement after a version specifier, found `@`",
            "          ^",
        ),
        (
            "name (>=1.0) x",
            "expected `;` or the end of the requirement, found `x`",
            "             ^",
        ),
        ("name @", "expected a URL after `@`", "      ^"),
        ("name @ \t", "expected a URL after `@`", "       \t^"),
        (
            "name @ https://host/n.whl foo",
            "expected `;` or the end of the requirement, found `foo`",
            "                          ^^^",
        ),
        (
            "name @ ./foo",
            "expected a URL of the form `scheme://host/path` or `file:///path`, found `./foo`",
            "       ^^^^^",
        ),
        (
            "name @ gopher:/foo/com",
            "expected a URL of the form `scheme://host/path` or `file:///path`, found `gopher:/foo/com`",
            "       ^^^^^^^^^^^^^^^",
        ),
        (
            "name @ file:.",
            "expected a URL of the form `scheme://host/path` or `file:///path`, found `file:.`",
            "       ^^^^^^",
        ),
        (
            "name @ 1http://host/x",
            "expected a URL of the form `scheme://host/path` or `file:///path`, found `1http://host/x`",
            "       ^^^^^^^^^^^^^^",
        ),
        (
            "name @ https:///x",
            "URL `https:///x` has no host",
            "       ^^^^^^^^^^",
        ),
        (
            "name @ https://host/n.whl;python_version<'3'",
            "character `<` is not allowed in a URL (a marker after a URL needs a space before its `;`)",
            "                                        ^",
        ),
        (
            "name @ https://host/a\\b",
            r"character `\` is not allowed in a URL",
            "                     ^",
        ),
        (
            "name @ https://host/ä.whl",
            "character `ä` is not allowed in a URL",
            "                    ^",
        ),
        (
            "name; ",
            "expected a marker variable, a quoted string or `(`, found end of input",
            "      ^",
        ),
        (
            "name; os_name == 'a' ;",
            "expected `and`, `or` or the end of the marker, found `;`",
            "                     ^",
        ),
        (
            "name; foobar=='x'",
            "unknown marker variable `foobar`",
            "      ^^^^^^",
        ),
        (
            "name @ https://host/n.whl ; python_version=='3.11' or",
            "expected a marker variable, a quoted string or `(`, found end of input",
            "                                                     ^",
        ),
    ] {
        let error = input.parse::<Requirement>().unwrap_err();
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

#[test]
fn a_marker_nested_too_deep_is_an_error_that_names_the_project() {
    let depth = 100_000;
    let input = format!(
        "deep-project >=1; {}python_version > '3'{}",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let error = input.parse::<Requirement>().unwrap_err();
    let limit = crate::standards::marker::MAX_NESTING;
    assert_eq!(
        error.kind(),
        &RequirementErrorKind::Marker(MarkerErrorKind::TooDeep { limit })
    );
    let at = "deep-project >=1; ".len() + limit;
    assert_eq!(error.span(), at..at + 1);
    let shown = error.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(
        lines,
        [
            "parentheses nest deeper than 100 levels in a marker",
            &format!("deep-project >=1; ((…{}…", "(".repeat(100)),
            &format!("{}^", " ".repeat(20 + 1 + 50)),
        ]
    );
}

#[test]
fn errors_mask_what_could_be_credentials() {
    for (input, message, shown, caret) in [
        (
            "x @ http:/user:s3cr3t@host/x.whl",
            "expected a URL of the form `scheme://host/path` or `file:///path`, found `http:/****@host/x.whl`",
            "x @ http:/****@host/x.whl",
            "    ^^^^^^^^^^^^^^^^^^^^^",
        ),
        (
            "x @ https://user:s3cr3t@host/x.whl ; os_name == 'a' and",
            "expected a marker variable, a quoted string or `(`, found end of input",
            "x @ https://****@host/x.whl ; os_name == 'a' and",
            "                                                ^",
        ),
        (
            "x! @ https://s3cr3t@host/x.whl",
            "expected a version specifier, `@` or `;` after `x`, found `!`",
            "x! @ https://****@host/x.whl",
            " ^",
        ),
        (
            "x @ https://u:s3cr\u{e9}t@host/x.whl",
            "the user information of a URL holds a character that is not allowed",
            "x @ https://****@host/x.whl",
            "            ^^^^",
        ),
        (
            "x@https://u:s3cr3t@host/x.whl ; os_name == 'a@b' or",
            "expected a marker variable, a quoted string or `(`, found end of input",
            "****@host/x.whl ; os_name == 'a@b' or",
            "                                     ^",
        ),
    ] {
        let error = input.parse::<Requirement>().unwrap_err();
        assert_eq!(error.to_string(), format!("{message}\n{shown}\n{caret}"));
        assert!(!format!("{}", error.summary()).contains("s3cr3t"));
        // The span still points into the input as given.
        assert!(error.span().end <= input.len());
    }
}

/// Random strings over the grammar's characters and some it lacks: no panic, every
/// error points inside the input, and whatever parses prints back to itself.
#[test]
fn never_panics_and_round_trips() {
    let pieces = [
        "name",
        "a",
        "-",
        "_",
        ".",
        "[",
        "]",
        ",",
        "(",
        ")",
        ";",
        "@",
        " ",
        "\t",
        "\n",
        ">=",
        "==",
        "!=",
        "~=",
        "===",
        "<",
        ">",
        "=",
        "!",
        "*",
        "+",
        "1.0",
        "2!3a1",
        "'",
        "\"",
        "and",
        "or",
        "not",
        "in",
        "extra",
        "python_version",
        "os.name",
        "https://h/x",
        "file:///p",
        "é",
        "\\",
        "\u{0}",
        "0",
    ];
    let mut state: u64 = 0x0508_0508;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for _ in 0..20_000 {
        let len = next(12);
        let input: String = (0..len).map(|_| pieces[next(pieces.len())]).collect();
        match input.parse::<Requirement>() {
            Ok(requirement) => {
                let printed = requirement.to_string();
                assert_eq!(
                    parse(&printed),
                    requirement,
                    "{input:?} printed as {printed:?}"
                );
            }
            Err(error) => {
                let span = error.span();
                assert!(
                    span.start <= span.end && span.end <= input.len(),
                    "{input:?}"
                );
                assert!(input.is_char_boundary(span.start), "{input:?}");
                assert!(input.is_char_boundary(span.end), "{input:?}");
                assert_eq!(error.to_string().lines().count(), 3, "{input:?}: {error}");
            }
        }
    }
}

/// The specifier module judges versions; the error points at the clause.
#[test]
fn points_at_the_invalid_specifier_clause() {
    for (input, span) in [
        ("name>=1.0.x", 4..11),
        ("name >= 1.0 , < 2.x", 14..19),
        ("name (==1.0, >= 1.x.y)", 13..21),
        ("name==1.0.org1", 4..14),
    ] {
        let error = input.parse::<Requirement>().unwrap_err();
        assert!(
            matches!(error.kind(), RequirementErrorKind::InvalidSpecifier(_)),
            "{input}: {error}"
        );
        assert_eq!(error.span(), span, "{input}: {error}");
    }
}

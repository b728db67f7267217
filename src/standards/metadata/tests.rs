use super::*;

fn parse(text: &str) -> CoreMetadata {
    CoreMetadata::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn parse_err(bytes: &[u8]) -> MetadataError {
    match CoreMetadata::parse(bytes) {
        Ok(parsed) => panic!("{:?}: parsed as {parsed:?}", String::from_utf8_lossy(bytes)),
        Err(error) => error,
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

#[test]
fn parses_the_fields_used() {
    let m = parse(
        "Metadata-Version: 2.1\n\
         Name: Foo.Bar\n\
         Version: 1.0.post1\n\
         Summary: A summary: with a colon\n\
         Requires-Python: >=3.8\n\
         Requires-Dist: requests (>=2.0)\n\
         Requires-Dist: tomli>=1.1; python_version < \"3.11\"\n\
         Provides-Extra: socks\n\
         Requires-Dist: PySocks!=1.5.7,>=1.5.6; extra == \"socks\"\n\
         Provides-Extra: Test_Suite\n\
         Description-Content-Type: text/markdown\n\
         \n\
         # Foo\n\
         Name: not-a-header\n\
         Requires-Dist: not-a-dependency\n",
    );
    assert_eq!(
        m,
        CoreMetadata {
            metadata_version: "2.1".into(),
            name: "Foo.Bar".into(),
            version: "1.0.post1".into(),
            requires_dist: strings(&[
                "requests (>=2.0)",
                "tomli>=1.1; python_version < \"3.11\"",
                "PySocks!=1.5.7,>=1.5.6; extra == \"socks\"",
            ]),
            requires_python: Some(">=3.8".into()),
            provides_extra: strings(&["socks", "Test_Suite"]),
            dynamic: Vec::new(),
        }
    );
}

/// PEP 643: from Metadata 2.2, what `Dynamic` does not list is what the wheel says.
#[test]
fn static_dependencies_are_those_metadata_2_2_does_not_mark_dynamic() {
    let pkg_info = |version: &str, dynamic: &[&str]| {
        let mut text = format!("Metadata-Version: {version}\nName: a\nVersion: 1\n");
        for field in dynamic {
            text.push_str(&format!("Dynamic: {field}\n"));
        }
        parse(&text)
    };
    for (version, dynamic, static_) in [
        ("2.1", &[][..], false),
        ("1.2", &[][..], false),
        ("2.2", &[][..], true),
        ("2.4", &["Summary", "License-Expression"][..], true),
        ("2.10", &[][..], true),
        ("2.2", &["Requires-Dist"][..], false),
        ("2.3", &["requires-dist"][..], false),
        ("2.2", &["Provides-Extra"][..], false),
        ("2.2", &["Requires-Python"][..], false),
    ] {
        let metadata = pkg_info(version, dynamic);
        assert_eq!(
            metadata.has_static_dependencies(),
            static_,
            "{version} {dynamic:?}"
        );
    }
    assert_eq!(
        pkg_info("2.2", &["Requires-Dist"]).dynamic,
        ["Requires-Dist"]
    );
}

#[test]
fn reads_every_metadata_version_of_the_specification() {
    for version in [
        "1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "1.10",
    ] {
        let m = parse(&format!(
            "Metadata-Version: {version}\nName: a\nVersion: 1\n"
        ));
        assert_eq!(m.metadata_version, version);
    }
    for version in [
        "3.0", "0.9", "2", "2.", ".4", "two.one", "2.1a", "v2.1", "10.0",
    ] {
        let text = format!("Metadata-Version: {version}\nName: a\nVersion: 1\n");
        match parse_err(text.as_bytes()) {
            MetadataError::UnsupportedMetadataVersion { found } => assert_eq!(found, version),
            other => panic!("{version}: {other}"),
        }
    }
}

#[test]
fn unfolds_continuation_lines() {
    let m = parse(
        "Metadata-Version: 1.2\n\
         Name: foo\n\
         Version: 1.0\n\
         Description: A long description\n\
         \x20       |spanning lines\n\
         \x20       |Name: not-a-header\n\
         Requires-Dist: bar;\n\
         \x20 python_version < \"3\"\n\
         Requires-Python:\n\
         \t>=3.6,\n\
         \x20<4\n\
         Provides-Extra: a\n",
    );
    assert_eq!(m.name, "foo");
    assert_eq!(m.requires_dist, ["bar;  python_version < \"3\""]);
    assert_eq!(m.requires_python.as_deref(), Some(">=3.6, <4"));
    assert_eq!(m.provides_extra, ["a"]);
}

#[test]
fn tolerates_crlf_and_lone_cr_and_no_final_newline() {
    for text in [
        "Metadata-Version: 2.1\r\nName: foo\r\nVersion: 1.0\r\nRequires-Dist: bar\r\n\r\nbody\r\n",
        "Metadata-Version: 2.1\rName: foo\rVersion: 1.0\rRequires-Dist: bar\r\rbody",
        "Metadata-Version: 2.1\nName: foo\r\nVersion: 1.0\rRequires-Dist: bar",
        "Metadata-Version: 2.1\r\nName: foo\r\nVersion: 1.0\r\nRequires-Dist:\r\n bar\r\n",
    ] {
        let m = parse(text);
        assert_eq!(
            (m.name.as_str(), m.version.as_str(), m.requires_dist),
            ("foo", "1.0", strings(&["bar"])),
            "{text:?}"
        );
    }
}

#[test]
fn compares_field_names_without_case_and_trims_values() {
    let m = parse(
        "metadata-version: 2.1\n\
         NAME:foo  \n\
         version:\t 1.0\n\
         requires-dist: bar\n\
         REQUIRES-DIST: baz\n\
         Requires-python:  \n\
         provides-EXTRA: x\n",
    );
    assert_eq!(m.name, "foo");
    assert_eq!(m.version, "1.0");
    assert_eq!(m.requires_dist, ["bar", "baz"]);
    assert_eq!(m.requires_python, None);
    assert_eq!(m.provides_extra, ["x"]);
}

#[test]
fn ignores_the_fields_it_does_not_use() {
    let m = parse(
        "Metadata-Version: 2.4\n\
         Name: foo\n\
         Version: 2.0\n\
         License-Expression: MIT OR Apache-2.0\n\
         License-File: LICENSE\n\
         License-File: licenses/NOTICE\n\
         Dynamic: Requires-Dist\n\
         Classifier: Programming Language :: Python :: 3\n\
         Project-URL: Homepage, https://example.org\n\
         Import-Name: foo\n\
         X-Custom: anything\n",
    );
    assert_eq!(
        m,
        CoreMetadata {
            metadata_version: "2.4".into(),
            name: "foo".into(),
            version: "2.0".into(),
            dynamic: vec!["Requires-Dist".into()],
            ..CoreMetadata::default()
        }
    );
}

#[test]
fn ends_headers_where_python_email_does() {
    // A line that is neither a header nor a continuation starts the body.
    let m =
        parse("Metadata-Version: 2.1\nName: foo\nVersion: 1\nno colon here\nRequires-Dist: bar\n");
    assert!(m.requires_dist.is_empty());
    let m =
        parse("Metadata-Version: 2.1\nName: foo\nVersion: 1\nBad Name: x\nRequires-Dist: bar\n");
    assert!(m.requires_dist.is_empty());
    // A line starting with `:` and a continuation with nothing before it are skipped.
    let m =
        parse(" stray\nMetadata-Version: 2.1\n: odd\nName: foo\nVersion: 1\nRequires-Dist: bar\n");
    assert_eq!(m.requires_dist, ["bar"]);
    // A line of only whitespace is a continuation, not the blank line.
    let m = parse(
        "Metadata-Version: 2.1\nName: foo\nVersion: 1\nRequires-Dist: bar\n \nRequires-Dist: baz\n",
    );
    assert_eq!(m.requires_dist, ["bar", "baz"]);
    // A space before the colon makes no header (so no `Name` here).
    assert!(matches!(
        parse_err(b"Metadata-Version: 2.1\nName : foo\nVersion: 1\n"),
        MetadataError::MissingField { field: "Name" }
    ));
}

#[test]
fn refuses_missing_empty_and_repeated_fields() {
    for (text, expected) in [
        ("", "Metadata-Version"),
        (
            "\nMetadata-Version: 2.1\nName: foo\nVersion: 1\n",
            "Metadata-Version",
        ),
        ("Name: foo\nVersion: 1\n", "Metadata-Version"),
        (
            "Metadata-Version:\nName: foo\nVersion: 1\n",
            "Metadata-Version",
        ),
        ("Metadata-Version: 2.1\nVersion: 1\n", "Name"),
        ("Metadata-Version: 2.1\nName:   \nVersion: 1\n", "Name"),
        ("Metadata-Version: 2.1\nName: foo\n", "Version"),
        (
            "Metadata-Version: 2.1\nName: foo\n\nVersion: 1\n",
            "Version",
        ),
    ] {
        match parse_err(text.as_bytes()) {
            MetadataError::MissingField { field } => assert_eq!(field, expected, "{text:?}"),
            other => panic!("{text:?}: {other}"),
        }
    }
    for (text, expected) in [
        (
            "Metadata-Version: 2.1\nName: foo\nname: bar\nVersion: 1\n",
            "Name",
        ),
        (
            "Metadata-Version: 2.1\nName: foo\nVersion: 1\nVersion: 2\n",
            "Version",
        ),
        (
            "Metadata-Version: 2.1\nMetadata-Version: 2.2\nName: foo\nVersion: 1\n",
            "Metadata-Version",
        ),
        (
            "Metadata-Version: 2.1\nName: foo\nVersion: 1\nRequires-Python: >=3\nRequires-Python: <4\n",
            "Requires-Python",
        ),
    ] {
        match parse_err(text.as_bytes()) {
            MetadataError::DuplicateField { field } => assert_eq!(field, expected, "{text:?}"),
            other => panic!("{text:?}: {other}"),
        }
    }
}

#[test]
fn refuses_headers_that_are_not_utf8_but_not_a_body() {
    let latin1 = b"Metadata-Version: 2.1\nName: foo\nVersion: 1\nAuthor: Andr\xe9\n";
    assert!(matches!(
        parse_err(latin1),
        MetadataError::NotUtf8 { line: 4 }
    ));
    let continuation = b"Metadata-Version: 2.1\nName: foo\nVersion: 1\nSummary: a\n \xff\n";
    assert!(matches!(
        parse_err(continuation),
        MetadataError::NotUtf8 { line: 5 }
    ));
    let body = b"Metadata-Version: 2.1\nName: foo\nVersion: 1\n\nAndr\xe9\n";
    assert_eq!(CoreMetadata::parse(body).expect("body").name, "foo");
    let unicode = "Metadata-Version: 2.1\nName: foo\nVersion: 1\nAuthor: Andr\u{e9}\n";
    assert_eq!(parse(unicode).name, "foo");
}

#[test]
fn explains_parse_errors() {
    for (error, message) in [
        (
            MetadataError::NotUtf8 { line: 4 },
            "invalid metadata: expected UTF-8, found other bytes on line 4",
        ),
        (
            MetadataError::MissingField { field: "Name" },
            "invalid metadata: expected a `Name` field with a value, found none",
        ),
        (
            MetadataError::DuplicateField { field: "Version" },
            "invalid metadata: expected one `Version` field, found several",
        ),
        (
            MetadataError::UnsupportedMetadataVersion {
                found: "3.0".into(),
            },
            "unsupported metadata: expected `Metadata-Version` 1.x or 2.x, found `3.0`",
        ),
    ] {
        assert_eq!(error.to_string(), message);
    }
}

#[test]
fn checks_the_project_first_then_the_version() {
    let name = PackageName::new("foo-bar").expect("name");
    let version: Version = "1.0".parse().expect("version");
    let metadata = |name: &str, version: &str| CoreMetadata {
        name: name.into(),
        version: version.into(),
        ..CoreMetadata::default()
    };
    for (found_name, found_version) in [
        ("Foo_Bar", "1.0"),
        ("foo.bar", "1.0.0"),
        ("foo-bar", "v1.0"),
    ] {
        assert!(
            metadata(found_name, found_version)
                .check_identity(&name, &version)
                .is_ok(),
            "{found_name} {found_version}"
        );
    }
    for (found_name, found_version, message) in [
        (
            "foo bar",
            "1.0",
            "its metadata has an invalid name `foo bar`: expected ASCII letters and digits, with `.`, `_` or `-` only between them",
        ),
        (
            "baz",
            "not a version",
            "its metadata names project `baz`, but the file name says `foo-bar`",
        ),
        (
            "foo_bar",
            "one",
            "its metadata has an invalid version `one`: expected a release number such as `1.0`, found `one`",
        ),
        (
            "foo_bar",
            "1.0.post1",
            "its metadata says version 1.0.post1, but the file name says 1.0",
        ),
    ] {
        let error = metadata(found_name, found_version)
            .check_identity(&name, &version)
            .expect_err(found_name);
        assert_eq!(error.to_string(), message);
    }
}

use super::*;

fn v(s: &str) -> Version {
    s.parse().unwrap()
}

fn set(s: &str) -> VersionSpecifiers {
    s.parse()
        .unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

/// `(version, clause)` pairs that match with pre-releases allowed.
const MATCHING: &[(&str, &str)] = &[
    ("2.0", "==2"),
    ("2.0", "==2.0"),
    ("2.0", "==2.0.0"),
    ("2.0+deadbeef", "==2"),
    ("2.0+deadbeef", "==2.0.0"),
    ("2.0+deadbeef", "==2+deadbeef"),
    ("2.0+deadbeef", "==2.0.0+deadbeef"),
    ("2.0+deadbeef.0", "==2.0.0+deadbeef.00"),
    ("2.dev1", "==2.*"),
    ("2a1", "==2.*"),
    ("2a1.post1", "==2.*"),
    ("2b1.dev1", "==2.*"),
    ("2c1.post1.dev1", "==2.*"),
    ("2c1.post1.dev1", "==2.0.*"),
    ("2rc1", "==2.0.*"),
    ("2", "==2.0.*"),
    ("2", "==0!2.*"),
    ("0!2", "==2.*"),
    ("2.0.0", "==2.*"),
    ("2.1+local.version", "==2.1.*"),
    ("1", "==1.0.0.*"),
    ("1.post1", "==1.0.0.*"),
    ("1.1.post1", "==1.1.*"),
    ("1.1.post1", "==1.1.post1"),
    ("1.1a1", "==1.1.*"),
    ("1.1a1", "==1.1a1"),
    ("2.1", "!=2"),
    ("2.0.1", "!=2.0.0"),
    ("2.0", "!=2.0+deadbeef"),
    ("2.0", "!=3.*"),
    ("2.1", "!=2.0.*"),
    ("2.0", ">=2"),
    ("2.0.post1", ">=2"),
    ("2.0.post1.dev1", ">=2"),
    ("3", ">=2"),
    ("2.0", "<=2.0.0"),
    ("2.0.dev1", "<=2"),
    ("2.0c1.post1.dev1", "<=2"),
    ("2.0+local", "<=2"),
    ("1", "<=2"),
    ("3", ">2"),
    ("2.0.1", ">2"),
    ("2.1.post1", ">2"),
    ("2.1+local.version", ">2"),
    ("1.7.1", ">1.7"),
    ("1.7.1", ">1.7.post2"),
    ("1.7.0.post3", ">1.7.post2"),
    ("1.0.dev1", ">1.0.dev0"),
    ("1.0.post3+local", ">1.0.post2"),
    ("1.0+local", ">1.0a1"),
    ("1.0.post1", ">1.0a1"),
    ("1.0.post1", ">1.0.dev1"),
    ("1.0a1", "<1.0.post1"),
    ("1.0.post1+local", "<1.0.post2"),
    ("1", "<2"),
    ("2.0", "<2.1"),
    ("2.0.dev0", "<2.1"),
    ("3.0.dev0", "<3.1"),
    ("1.0a1", "<1.0a2"),
    ("1.0a1", "<1.0rc1"),
    ("0.9+local", "<1.0"),
    ("1", "~=1.0"),
    ("1.0.1", "~=1.0"),
    ("1.9999999", "~=1.0"),
    ("1.1", "~=1.0a1"),
    ("2.5", "~=2.2.post3"),
    ("1.4.9", "~=1.4.5a4"),
    ("1.4.5.1", "~=1.4.5.0"),
    ("2!1.0", "~=2!1.0"),
    ("2!1.0", "==2!1.*"),
    ("2!1.0", "!=1.0"),
    ("1.0", "<=2!0.1"),
    ("2!1.0", ">=2.0"),
    ("1.0", "<2!0.1"),
    ("2!1.0", ">2.0"),
    ("2.0.5", ">2.0dev"),
    ("1.0", "===1.0"),
    ("1.0a1", "===1.0A1"),
    ("1.0+Local", "===1.0+LOCAL"),
];

/// `(version, clause)` pairs that do not match, pre-releases allowed or not.
const NOT_MATCHING: &[(&str, &str)] = &[
    ("2.1", "==2"),
    ("2.1", "==2.0.0"),
    ("2.0", "==2.0+deadbeef"),
    ("2.0+other", "==2.0+deadbeef"),
    ("1.1.post1", "==1.1"),
    ("1.1a1", "==1.1"),
    ("2.0", "==3.*"),
    ("2.1", "==2.0.*"),
    ("1.0.1", "==1.0.0.1.*"),
    ("2.0", "!=2.0.0"),
    ("2.0+deadbeef", "!=2"),
    ("2.0+deadbeef", "!=2.0.0+deadbeef"),
    ("2.dev1", "!=2.*"),
    ("2c1.post1.dev1", "!=2.0.*"),
    ("2.0.0", "!=2.*"),
    ("2.0.dev1", ">=2"),
    ("2.0c1.post1.dev1", ">=2"),
    ("1", ">=2"),
    ("2.0.post1", "<=2"),
    ("2.0.post1.dev1", "<=2"),
    ("3", "<=2"),
    ("1", ">2"),
    ("2.0.dev1", ">2"),
    ("2.0b1.dev1", ">2"),
    ("2.0", ">2"),
    ("2.0.post1", ">2"),
    ("2.0.post1.dev1", ">2"),
    ("2.0a1.post1", ">2.0a1"),
    ("1.0.post2.dev1", "<1.0.post2"),
    ("2.0+local.version", ">2"),
    ("1.7.0.post1", ">1.7"),
    ("1.7.0", ">1.7.post2"),
    ("2.0.dev1", "<2"),
    ("2.0a1.post1", "<2"),
    ("2.0rc1", "<2"),
    ("2.0", "<2"),
    ("2.post1.dev1", "<2"),
    ("3.1.dev0", "<3.1"),
    ("1.0+local", "<1.0"),
    ("3", "<2"),
    ("2.0", "~=1.0"),
    ("1.1.0", "~=1.0.0"),
    ("1.1.post1", "~=1.0.0"),
    ("1.4.5a3", "~=1.4.5a4"),
    ("1.0", "~=2!1.0"),
    ("2!1.0", "~=1.0"),
    ("2!1.0", "==1.0"),
    ("1.0", "==2!1.0"),
    ("2!1.0", "==1.*"),
    ("1.0", "==2!1.*"),
    ("2!1.0", "!=2!1.0"),
    ("1.0.0", "===1.0"),
    ("1.0", "===v1.0"),
    ("1.0+downstream1", "===1.0"),
];

#[test]
fn operators_match_as_the_spec_and_packaging_say() {
    for &(version, clause) in MATCHING {
        let s = set(clause);
        assert!(
            s.contains_with_prereleases(&v(version), Some(true)),
            "{version} should match {clause}"
        );
        assert!(
            clause
                .parse::<VersionSpecifier>()
                .unwrap()
                .contains(&v(version))
        );
    }
    for &(version, clause) in NOT_MATCHING {
        let s = set(clause);
        for p in [None, Some(true), Some(false)] {
            assert!(
                !s.contains_with_prereleases(&v(version), p),
                "{version} should not match {clause} ({p:?})"
            );
        }
    }
}

#[test]
fn arbitrary_equality_needs_no_pep_440_version() {
    let clause: VersionSpecifier = "===foobar".parse().unwrap();
    assert_eq!(
        clause.version,
        SpecifierVersion::Arbitrary("foobar".to_string())
    );
    assert!(!clause.contains(&v("1.0")));
    assert_eq!(set("=== Foo-Bar!").to_string(), "===Foo-Bar!");
}

#[test]
fn compatible_release_is_a_minimum_and_a_prefix() {
    let candidates = [
        "1",
        "1.0",
        "1.4",
        "1.4.4",
        "1.4.5a4",
        "1.4.5",
        "1.4.5.0",
        "1.4.5.1",
        "1.4.6",
        "1.4.99.post1",
        "1.5",
        "1.5.0a1",
        "2",
        "2.1",
        "2.2",
        "2.2.post2",
        "2.2.post3",
        "2.2.post3.dev1",
        "2.2.1",
        "2.9",
        "3.0",
        "3.0.dev1",
        "1!2.2",
    ];
    for (compatible, equivalent) in [
        ("~=2.2", ">=2.2,==2.*"),
        ("~=1.4.5", ">=1.4.5,==1.4.*"),
        ("~=2.2.post3", ">=2.2.post3,==2.*"),
        ("~=1.4.5a4", ">=1.4.5a4,==1.4.*"),
        ("~=2.2.0", ">=2.2.0,==2.2.*"),
        ("~=1.4.5.0", ">=1.4.5.0,==1.4.5.*"),
        ("~=1!2.2", ">=1!2.2,==1!2.*"),
    ] {
        let (a, b) = (set(compatible), set(equivalent));
        for candidate in candidates {
            for p in [None, Some(true), Some(false)] {
                assert_eq!(
                    a.contains_with_prereleases(&v(candidate), p),
                    b.contains_with_prereleases(&v(candidate), p),
                    "{candidate} in {compatible} ({p:?})"
                );
            }
        }
    }
}

#[test]
fn clauses_naming_a_pre_release_admit_pre_releases() {
    for (s, admits) in [
        ("", false),
        (">=1.0", false),
        (">=1.0.dev0", true),
        (">=1.0a1", true),
        (">=1.0.post1.dev1", true),
        ("==1.0rc1", true),
        ("==1.0.*", false),
        ("~=1.0b1", true),
        ("<=1.0.dev1", true),
        ("===1.0a1", true),
        ("===foo", false),
        ("!=1.0a1", false),
        ("!=1.0a1", false),
        ("<1.0a1", true),
        (">1.0a1", true),
        (">1.0.post456.dev34", true),
        (">=1.0,<2.0a1", true),
        (">=1.0,<=2.0a1", true),
    ] {
        assert_eq!(set(s).admits_prereleases(), admits, "{s}");
    }
    // One version has no alternatives: alone, a pre-release is contained.
    let s = set(">=1.0");
    assert!(s.contains(&v("1.5a1")));
    assert!(!s.contains_with_prereleases(&v("1.5a1"), Some(false)));
    assert!(!set(">=1.0a1").contains_with_prereleases(&v("1.5a1"), Some(false)));
    assert!(set("").contains(&v("1.0a1")));
    assert!(set("").contains(&v("1.0+local")));
}

#[test]
fn filter_keeps_pre_releases_only_when_it_must() {
    for (s, p, versions, kept) in [
        ("", None, &["1.0", "2.0a1"][..], &["1.0"][..]),
        ("", None, &["1.0a1"], &["1.0a1"]),
        ("", Some(false), &["1.0a1"], &[]),
        ("", Some(true), &["1.0", "2.0a1"], &["1.0", "2.0a1"]),
        (">=1.0.dev1", None, &["1.0", "2.0a1"], &["1.0", "2.0a1"]),
        (">=1.0.dev1", Some(false), &["1.0", "2.0a1"], &["1.0"]),
        (">=1.2.3", None, &["1.2", "1.5a1"], &["1.5a1"]),
        (">=1.2.3", None, &["1.3", "1.5a1"], &["1.3"]),
        (">=1.2.3", Some(false), &["1.2", "1.5a1"], &[]),
        (">1.1", None, &["1.1", "2.0a1"], &["2.0a1"]),
        (
            ">=1,!=1.*,!=2.*,!=3.0,<=3.0",
            None,
            &["0.9", "3.0.dev0", "3.0a1", "4.0"],
            &["3.0.dev0", "3.0a1"],
        ),
        (
            "<3",
            None,
            &["2.0a1", "1.0", "2.0b1", "1.5"],
            &["1.0", "1.5"],
        ),
        (
            "<3",
            Some(true),
            &["2.0a1", "1.0", "3.0a1"],
            &["2.0a1", "1.0"],
        ),
    ] {
        let versions: Vec<Version> = versions.iter().map(|s| v(s)).collect();
        let got: Vec<String> = set(s)
            .filter_with_prereleases(&versions, p)
            .iter()
            .map(|v| v.to_string())
            .collect();
        assert_eq!(got, kept, "{s} ({p:?})");
    }
    let versions = [v("1.0"), v("2.0a1")];
    assert_eq!(set("").filter(&versions), [&versions[0]]);
}

#[test]
fn parses_whitespace_and_prints_normalized() {
    for (input, printed) in [
        ("", ""),
        ("  ", ""),
        (">=1.0", ">=1.0"),
        (" >= 1.0 , < 2.0 ", ">=1.0,<2.0"),
        ("\t~=1.0a1,\n!=1.5.*", "~=1.0a1,!=1.5.*"),
        ("==V1.0-1", "==1.0.post1"),
        ("== 01.0.*", "==1.0.*"),
        ("!=v1!1.0.*", "!=1!1.0.*"),
        ("!=1.0+Ubuntu-1", "!=1.0+ubuntu.1"),
        ("===Foo", "===Foo"),
        (">1!1.0,<1!2", ">1!1.0,<1!2"),
    ] {
        assert_eq!(set(input).to_string(), printed, "{input:?}");
    }
    assert!(set("").is_empty());
    assert_eq!(set(">=1, <2").iter().count(), 2);
    let built: VersionSpecifiers = set(">=1, <2").iter().cloned().collect();
    assert_eq!(built, set(">=1.0.0,<2"));
}

#[test]
fn rejects_what_packaging_rejects() {
    for input in [
        "~=1",
        "~=1!1",
        "~=1a1",
        "~=1.0.*",
        "==1.0.*+local",
        "<=1.0.*",
        ">=1.0.*",
        "<1.0.*",
        ">1.0.*",
        "==1.0.dev1.*",
        "==1.0+local.*",
        "==1.0 .*",
        "===a b",
        "<1.0+local",
        ">=1.0+local",
        "~=1.0+local",
        "=1.0",
        "1.0",
        ">==1.0",
        "=>1.0",
        "<>1.0",
        "==",
        ">=",
        "===",
        "==1.*.0",
        "==*",
        "==.*",
        "==1.0.*.*",
        "== 1.0 a1",
        ">=1.0,",
        ",>=1.0",
        ">=1.0,,<2",
        ",",
        ">=1.0-foo",
        "==1.0+",
        "!=1.0.dev1.*",
        "~=1.0.dev1.*",
        "==18446744073709551616",
    ] {
        assert!(
            input.parse::<VersionSpecifiers>().is_err(),
            "{input:?} should be refused"
        );
    }
}

#[test]
fn error_messages_say_what_was_expected() {
    for (input, message) in [
        (
            ">=1.0,,<2",
            "invalid version specifier `>=1.0,,<2`: expected a version specifier between \
             commas, found nothing",
        ),
        (
            "1.0",
            "invalid version specifier `1.0`: expected an operator (`==`, `!=`, `<=`, \
             `>=`, `<`, `>`, `~=` or `===`) before the version",
        ),
        (
            ">= ",
            "invalid version specifier `>=`: expected a version after `>=`",
        ),
        (
            "===",
            "invalid version specifier `===`: expected a version after `===`",
        ),
        (
            "=== a b",
            "invalid version specifier `=== a b`: expected a single word after `===`, \
             found whitespace inside the version",
        ),
        (
            ">=1.0, <2.0-foo",
            "invalid version specifier `<2.0-foo`: expected a pre-release, post-release \
             or dev-release after `2.0`",
        ),
        (
            "== foo",
            "invalid version specifier `== foo`: expected a release number such as `1.0`, \
             found `foo`",
        ),
        (
            "<=1.0.*",
            "invalid version specifier `<=1.0.*`: the wildcard `.*` is only allowed with \
             `==` and `!=`, found `<=`",
        ),
        (
            "==1.0.*+local",
            "invalid version specifier `==1.0.*+local`: expected the wildcard `.*` only at \
             the end of the version",
        ),
        (
            "==1.0.dev1.*",
            "invalid version specifier `==1.0.dev1.*`: the wildcard `.*` can only follow \
             release numbers, such as `==1.4.*`, not a pre-, post- or dev-release or a \
             local version",
        ),
        (
            "==1.0a1.*",
            "invalid version specifier `==1.0a1.*`: the wildcard `.*` can only follow \
             release numbers, such as `==1.4.*`, not a pre-, post- or dev-release or a \
             local version",
        ),
        (
            "!=1.0+local.*",
            "invalid version specifier `!=1.0+local.*`: the wildcard `.*` can only follow \
             release numbers, such as `==1.4.*`, not a pre-, post- or dev-release or a \
             local version",
        ),
        (
            ">=1.0+local",
            "invalid version specifier `>=1.0+local`: a local version is only allowed \
             with `==` and `!=`, found `>=`",
        ),
        (
            "~=1",
            "invalid version specifier `~=1`: the compatible release operator `~=` needs \
             at least two release numbers, such as `~=1.0`",
        ),
        (
            "==1.0.99999999999999999999",
            "invalid version specifier `==1.0.99999999999999999999`: the number \
             `99999999999999999999` is too large, expected at most 18446744073709551615",
        ),
    ] {
        let error = input.parse::<VersionSpecifiers>().unwrap_err();
        assert_eq!(error.to_string(), message, "{input:?}");
    }
    let error = " ~=1 ".parse::<VersionSpecifier>().unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("invalid version specifier ` ~=1 `: ")
    );
}

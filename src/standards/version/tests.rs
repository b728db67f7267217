use super::*;
use std::collections::hash_map::DefaultHasher;

fn v(s: &str) -> Version {
    s.parse()
        .unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

fn hash(v: &Version) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

#[test]
fn normalizes_every_alternate_spelling() {
    for (raw, normalized) in [
        // The spec's own examples.
        ("1.0a1", "1.0a1"),
        ("1.0-alpha.1", "1.0a1"),
        ("1.0.ALPHA_1", "1.0a1"),
        ("1.1a", "1.1a0"),
        ("1.0c1", "1.0rc1"),
        ("1.0pre2", "1.0rc2"),
        ("1.0preview3", "1.0rc3"),
        ("1.0-beta", "1.0b0"),
        ("1.2.post", "1.2.post0"),
        ("1.2-post-2", "1.2.post2"),
        ("1.2_post_2", "1.2.post2"),
        ("1.2post2", "1.2.post2"),
        ("1.2.r5", "1.2.post5"),
        ("1.2rev5", "1.2.post5"),
        ("1.0-1", "1.0.post1"),
        ("1.0-0", "1.0.post0"),
        ("1.2.dev", "1.2.dev0"),
        ("1.2-dev-2", "1.2.dev2"),
        ("1.2dev2", "1.2.dev2"),
        ("1.0+ubuntu-1", "1.0+ubuntu.1"),
        ("1.0+ubuntu_1", "1.0+ubuntu.1"),
        ("1.0+UBUNTU.1", "1.0+ubuntu.1"),
        ("1.0+ubuntu.01", "1.0+ubuntu.1"),
        ("1.0+007", "1.0+7"),
        ("1.0+000", "1.0+0"),
        ("v1.0", "1.0"),
        ("V1.0", "1.0"),
        (" \t1.0\n\r\x0b\x0c", "1.0"),
        ("1.01", "1.1"),
        ("1.0a05", "1.0a5"),
        ("1.0c056", "1.0rc56"),
        ("1.0.post000", "1.0.post0"),
        ("1.1.dev09000", "1.1.dev9000"),
        ("00!1.2", "1.2"),
        ("0100!0.0", "100!0.0"),
        ("1.0.0", "1.0.0"),
        ("1.0.0.0.0", "1.0.0.0.0"),
        // Dangling separators, which the spec's expression allows.
        ("1.0a.", "1.0a0"),
        ("1.0a-", "1.0a0"),
        ("1.0.post_", "1.0.post0"),
        ("1.0.dev.", "1.0.dev0"),
        ("1.0a..post1", "1.0a0.post1"),
        // Greedy readings.
        ("1.0a-1", "1.0a1"),
        ("1.0a--1", "1.0a0.post1"),
        ("1.0a1-1", "1.0a1.post1"),
        ("1.0-1.dev2", "1.0.post1.dev2"),
        ("1.0b2-346", "1.0b2.post346"),
        ("1.0RC1.POST2.DEV3+Abc.9", "1.0rc1.post2.dev3+abc.9"),
        ("1!2.0", "1!2.0"),
        ("18446744073709551615", "18446744073709551615"),
        ("1.0+18446744073709551616", "1.0+18446744073709551616"),
    ] {
        assert_eq!(v(raw).to_string(), normalized, "{raw:?}");
        assert_eq!(v(normalized).to_string(), normalized, "{normalized:?}");
    }
}

#[test]
fn rejects_what_the_spec_does_not_allow() {
    for raw in [
        "",
        " ",
        "v",
        "french toast",
        "1.0+a+",
        "1.0++",
        "1.0+_foobar",
        "1.0+foo&asd",
        "1.0+1+1",
        "1.0+",
        "1.0+a..b",
        "1.0+a-",
        "1.0-",
        "1.0.",
        "1..0",
        ".1",
        "1!",
        "!1",
        "1!!1",
        "1.0a1a2",
        "1.0.post1.post2",
        "1.0.dev1.dev2",
        "1.0.dev1a1",
        "1.0.post1a1",
        "1.0prev1",
        "1.0-foo",
        "1.0-SNAPSHOT",
        "vv1.0",
        "1 .0",
        "1.0 a1",
        "1.0.*",
        "1.0\u{a0}",
        "1.0+\u{212a}",
        "١.٠",
        "1.0_",
        "-1.0",
        "+1.0",
        "1.0-+a",
        "18446744073709551616",
        "1.0.dev18446744073709551616",
    ] {
        assert!(raw.parse::<Version>().is_err(), "{raw:?} should be refused");
    }
}

#[test]
fn error_messages_say_what_was_expected() {
    for (raw, message) in [
        (
            "",
            "invalid version: expected a version such as `1.0`, found nothing",
        ),
        (
            "foo",
            "invalid version `foo`: expected a release number such as `1.0`, found `foo`",
        ),
        (
            "v",
            "invalid version `v`: expected a release number after `v`",
        ),
        (
            "1!",
            "invalid version `1!`: expected a release number after `1!`",
        ),
        (
            "1.0.",
            "invalid version `1.0.`: expected a number after `1.0.`",
        ),
        (
            "1..0",
            "invalid version `1..0`: expected a number after `1.`",
        ),
        (
            "1.0-foo",
            "invalid version `1.0-foo`: expected a pre-release, post-release or \
             dev-release after `1.0`",
        ),
        (
            "1.0foo",
            "invalid version `1.0foo`: expected a pre-release, post-release, \
             dev-release or local version after `1.0`",
        ),
        (
            "1.0a1.x",
            "invalid version `1.0a1.x`: expected a post-release or dev-release after `1.0a1`",
        ),
        (
            "1.0a1x",
            "invalid version `1.0a1x`: expected a post-release, dev-release or local \
             version after `1.0a1`",
        ),
        (
            "1.0.post1a1",
            "invalid version `1.0.post1a1`: expected a dev-release or local version \
             after `1.0.post1`",
        ),
        (
            "1.0.post1.a1",
            "invalid version `1.0.post1.a1`: expected a dev-release after `1.0.post1`",
        ),
        (
            "1.0.dev1a",
            "invalid version `1.0.dev1a`: expected a local version after `1.0.dev1`",
        ),
        (
            "1.0+a..b",
            "invalid version `1.0+a..b`: expected a local version label of ASCII letters \
             and digits separated by `.`, `-` or `_` after `1.0+`",
        ),
        (
            " 1.99999999999999999999 ",
            "invalid version ` 1.99999999999999999999 `: the number `99999999999999999999` \
             is too large, expected at most 18446744073709551615",
        ),
    ] {
        let error = raw.parse::<Version>().unwrap_err();
        assert_eq!(error.to_string(), message, "{raw:?}");
    }
}

/// Strictly increasing, as packaging's test suite orders them.
const SORTED: &[&str] = &[
    "1.0.dev456",
    "1.0a1",
    "1.0a2.dev456",
    "1.0a12.dev456",
    "1.0a12",
    "1.0b1.dev456",
    "1.0b2",
    "1.0b2.post345.dev456",
    "1.0b2.post345",
    "1.0b2-346",
    "1.0c1.dev456",
    "1.0c1",
    "1.0rc2",
    "1.0c3",
    "1.0",
    "1.0+abc",
    "1.0+abc.5",
    "1.0+5",
    "1.0+10",
    "1.0+10.a",
    "1.0.post456.dev34",
    "1.0.post456",
    "1.1.dev1",
    "1.2+123abc",
    "1.2+123abc456",
    "1.2+abc",
    "1.2+abc123",
    "1.2+abc123def",
    "1.2+1234.abc",
    "1.2+123456",
    "1.2.r32+123456",
    "1.2.rev33+123456",
    "1.2.3",
    "65535.255.255.255",
    "65535.255.255.255.1",
    "65536",
    "1!0.1",
    "1!1.0.dev456",
    "1!1.0a1",
    "1!1.0",
    "1!1.0.post1",
    "2!0",
    "18446744073709551615!0",
];

#[test]
fn orders_as_packaging_does() {
    let versions: Vec<Version> = SORTED.iter().map(|s| v(s)).collect();
    for (i, a) in versions.iter().enumerate() {
        for (j, b) in versions.iter().enumerate() {
            assert_eq!(a.cmp(b), i.cmp(&j), "{a} vs {b}");
            assert_eq!(a == b, i == j, "{a} vs {b}");
        }
    }
}

#[test]
fn equal_meanings_compare_and_hash_alike() {
    for (a, b) in [
        ("1.0", "1.0.0"),
        ("1", "1.0.0.0.0.0"),
        ("0", "0.0"),
        ("1.0c1", "1.0rc1"),
        ("1.0-1", "1.0.post1"),
        ("v1.0", "1.0"),
        ("0!1.0", "1.0"),
        ("1.0+ABC-1", "1.0+abc.01"),
        ("1.0.0.0.0.0a1", "1a1"),
        ("300.0.0.0.0", "300"),
        ("1.0.0.0.0.5", "1.0.0.0.0.5.0"),
        ("1.0.dev9999999", "1.0.0.dev9999999"),
    ] {
        assert_eq!(v(a), v(b), "{a} == {b}");
        assert_eq!(v(a).cmp(&v(b)), Ordering::Equal, "{a} == {b}");
        assert_eq!(hash(&v(a)), hash(&v(b)), "{a} and {b} hash alike");
    }
}

/// Versions on both sides of the packed key's limits still order correctly
/// against each other.
#[test]
fn packed_and_unpacked_versions_order_together() {
    let sorted = [
        "1.0.dev2097151",
        "1.0.dev2097152",
        "1.0a2097151",
        "1.0a2097152",
        "1.0a2097152.post1",
        "1.0",
        "1.0.0.0.0.0.1",
        "1.0.0.1",
        "1.0.0.255",
        "1.0.0.256",
        "1.0.1",
        "1.255",
        "1.256",
        "2",
        "65535",
        "65536",
        "1!0",
    ];
    for pair in sorted.windows(2) {
        let (a, b) = (v(pair[0]), v(pair[1]));
        assert!(a < b, "{a} < {b}");
        assert!(b > a, "{b} > {a}");
        assert_ne!(a, b);
    }
    assert!(v("1.0.0.255").key != NO_KEY && v("1.0.0.256").key == NO_KEY);
    assert!(matches!(v("1.2.3rc4").repr, Repr::Inline { len: 3, .. }));
    assert!(matches!(v("1.0.0.0.0").repr, Repr::Shared(_)) && v("1.0.0.0.0").key != NO_KEY);
    assert!(matches!(v("1.0+local").repr, Repr::Shared(_)));
}

#[test]
fn accessors_mirror_packaging() {
    let x = v("1!2.0.3rc4.post5.dev6+Ubuntu-07");
    assert_eq!(x.epoch(), 1);
    assert_eq!(x.release(), &[2, 0, 3]);
    assert_eq!(
        x.pre(),
        Some(Prerelease {
            kind: PrereleaseKind::Rc,
            number: 4
        })
    );
    assert_eq!((x.post(), x.dev()), (Some(5), Some(6)));
    assert_eq!(x.local(), Some("ubuntu.7"));
    assert!(x.is_prerelease() && x.is_postrelease() && x.is_devrelease() && x.is_local());
    assert_eq!(x.public(), "1!2.0.3rc4.post5.dev6");
    assert_eq!(x.without_local().to_string(), "1!2.0.3rc4.post5.dev6");
    assert_eq!(x.base_version().to_string(), "1!2.0.3");
    assert!(x.same_base(&v("1!2.0.3.0")) && !x.same_base(&v("2.0.3")));

    let y = v("1.0");
    assert_eq!(
        (y.epoch(), y.pre(), y.post(), y.dev(), y.local()),
        (0, None, None, None, None)
    );
    assert!(!y.is_prerelease() && !y.is_postrelease() && !y.is_devrelease() && !y.is_local());
    assert!(
        v("1.0.dev0").is_prerelease(),
        "a dev release is a pre-release"
    );
    assert!(v("1.0.post1.dev0").is_prerelease());
    assert!(!v("1.0.post1").is_prerelease());
    assert_eq!(format!("{:?}", v("1.0C1")), "Version(\"1.0rc1\")");
}

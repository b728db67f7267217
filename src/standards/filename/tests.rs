use super::*;

fn parse(filename: &str) -> DistFilename {
    DistFilename::parse(filename).unwrap_or_else(|e| panic!("{filename}: {e}"))
}

fn wheel(filename: &str) -> WheelFilename {
    match parse(filename) {
        DistFilename::Wheel(wheel) => wheel,
        other => panic!("{filename}: parsed as {other:?}"),
    }
}

fn sdist(filename: &str) -> SdistFilename {
    match parse(filename) {
        DistFilename::Sdist(sdist) => sdist,
        other => panic!("{filename}: parsed as {other:?}"),
    }
}

fn version(text: &str) -> Version {
    text.parse().unwrap_or_else(|_| panic!("{text}"))
}

fn tags(text: &str) -> Vec<String> {
    text.split('.').map(String::from).collect()
}

#[test]
fn parses_wheel_names_from_real_projects() {
    // (file name, name, version, python, abi, platform)
    for (filename, name, ver, python, abi, platform) in [
        (
            "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "numpy",
            "1.26.4",
            "cp311",
            "cp311",
            "manylinux_2_17_x86_64.manylinux2014_x86_64",
        ),
        (
            "numpy-1.21.0-cp37-cp37m-win32.whl",
            "numpy",
            "1.21.0",
            "cp37",
            "cp37m",
            "win32",
        ),
        (
            "numpy-2.0.0-cp312-cp312-macosx_14_0_arm64.whl",
            "numpy",
            "2.0.0",
            "cp312",
            "cp312",
            "macosx_14_0_arm64",
        ),
        (
            "six-1.16.0-py2.py3-none-any.whl",
            "six",
            "1.16.0",
            "py2.py3",
            "none",
            "any",
        ),
        (
            "cryptography-42.0.5-cp39-abi3-manylinux_2_28_x86_64.whl",
            "cryptography",
            "42.0.5",
            "cp39",
            "abi3",
            "manylinux_2_28_x86_64",
        ),
        (
            "cryptography-41.0.7-cp37-abi3-win_amd64.whl",
            "cryptography",
            "41.0.7",
            "cp37",
            "abi3",
            "win_amd64",
        ),
        (
            "typing_extensions-4.9.0-py3-none-any.whl",
            "typing-extensions",
            "4.9.0",
            "py3",
            "none",
            "any",
        ),
        (
            "Django-5.0.2-py3-none-any.whl",
            "django",
            "5.0.2",
            "py3",
            "none",
            "any",
        ),
        (
            "zope.interface-5.4.0-cp39-cp39-win_amd64.whl",
            "zope-interface",
            "5.4.0",
            "cp39",
            "cp39",
            "win_amd64",
        ),
        (
            "backports.zoneinfo-0.2.1-cp38-cp38-manylinux1_i686.whl",
            "backports-zoneinfo",
            "0.2.1",
            "cp38",
            "cp38",
            "manylinux1_i686",
        ),
        (
            "pywin32-306-cp311-cp311-win_amd64.whl",
            "pywin32",
            "306",
            "cp311",
            "cp311",
            "win_amd64",
        ),
        (
            "MarkupSafe-2.1.5-cp311-cp311-musllinux_1_1_x86_64.whl",
            "markupsafe",
            "2.1.5",
            "cp311",
            "cp311",
            "musllinux_1_1_x86_64",
        ),
        (
            "pydantic_core-2.16.2-pp310-pypy310_pp73-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "pydantic-core",
            "2.16.2",
            "pp310",
            "pypy310_pp73",
            "manylinux_2_17_x86_64.manylinux2014_x86_64",
        ),
        (
            "pyobjc_core-10.1-cp312-cp312-macosx_10_9_universal2.whl",
            "pyobjc-core",
            "10.1",
            "cp312",
            "cp312",
            "macosx_10_9_universal2",
        ),
        (
            "psycopg2_binary-2.9.9-cp312-cp312-musllinux_1_1_ppc64le.whl",
            "psycopg2-binary",
            "2.9.9",
            "cp312",
            "cp312",
            "musllinux_1_1_ppc64le",
        ),
        (
            "tensorflow-2.15.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "tensorflow",
            "2.15.0",
            "cp311",
            "cp311",
            "manylinux_2_17_x86_64.manylinux2014_x86_64",
        ),
        (
            "pyarrow-15.0.0-cp312-cp312-manylinux_2_28_aarch64.whl",
            "pyarrow",
            "15.0.0",
            "cp312",
            "cp312",
            "manylinux_2_28_aarch64",
        ),
        (
            "scipy-1.12.0-cp39-cp39-macosx_10_9_x86_64.whl",
            "scipy",
            "1.12.0",
            "cp39",
            "cp39",
            "macosx_10_9_x86_64",
        ),
        (
            "PyYAML-6.0.1-cp36-cp36m-win_amd64.whl",
            "pyyaml",
            "6.0.1",
            "cp36",
            "cp36m",
            "win_amd64",
        ),
        (
            "simplejson-3.19.2-cp27-cp27mu-manylinux_2_5_x86_64.manylinux1_x86_64.manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "simplejson",
            "3.19.2",
            "cp27",
            "cp27mu",
            "manylinux_2_5_x86_64.manylinux1_x86_64.manylinux_2_17_x86_64.manylinux2014_x86_64",
        ),
        (
            "black-24.2.0-py3-none-any.whl",
            "black",
            "24.2.0",
            "py3",
            "none",
            "any",
        ),
        ("a-1-py3-none-any.whl", "a", "1", "py3", "none", "any"),
        // Tags are compared lowercased, as `packaging` does.
        (
            "Foo-1.0-PY3-None-Any.whl",
            "foo",
            "1.0",
            "py3",
            "none",
            "any",
        ),
    ] {
        let w = wheel(filename);
        assert_eq!(w.name.as_str(), name, "{filename}");
        assert_eq!(w.version, version(ver), "{filename}");
        assert_eq!(w.build_tag, None, "{filename}");
        assert_eq!(w.python_tags, tags(python), "{filename}");
        assert_eq!(w.abi_tags, tags(abi), "{filename}");
        assert_eq!(w.platform_tags, tags(platform), "{filename}");
        assert_eq!(w.to_string(), filename);
        assert_eq!(parse(filename).to_string(), filename);
        assert!(parse(filename).is_wheel());
        assert_eq!(parse(filename).name().as_str(), name);
        assert_eq!(parse(filename).version(), &version(ver));
    }
}

#[test]
fn parses_build_tags_and_orders_them_as_int_then_str() {
    for (filename, number, suffix) in [
        ("foo-1.0-1-py3-none-any.whl", 1, ""),
        ("foo-1.0-01-py3-none-any.whl", 1, ""),
        ("foo-1.0-2abc-py3-none-any.whl", 2, "abc"),
        (
            "foo-1.0-20240101_nightly-py3-none-any.whl",
            20240101,
            "_nightly",
        ),
        ("foo-1.0-3.1-py3-none-any.whl", 3, ".1"),
        (
            "foo-1.0-18446744073709551615-py3-none-any.whl",
            u64::MAX,
            "",
        ),
    ] {
        let w = wheel(filename);
        let build = BuildTag {
            number,
            suffix: suffix.to_string(),
        };
        assert_eq!(w.build_tag, Some(build), "{filename}");
        assert_eq!(w.python_tags, ["py3"], "{filename}");
    }
    let build = |filename: &str| wheel(filename).build_tag;
    let ordered = [
        build("foo-1.0-py3-none-any.whl"),
        build("foo-1.0-1-py3-none-any.whl"),
        build("foo-1.0-1a-py3-none-any.whl"),
        build("foo-1.0-1b-py3-none-any.whl"),
        build("foo-1.0-2-py3-none-any.whl"),
        build("foo-1.0-10-py3-none-any.whl"),
    ];
    assert!(ordered.windows(2).all(|w| w[0] < w[1]), "{ordered:?}");
}

#[test]
fn parses_sdist_names() {
    use SdistExtension::{TarGz, Zip};
    for (filename, name, ver, extension, stem) in [
        ("foo-1.0.tar.gz", "foo", "1.0", TarGz, "foo-1.0"),
        ("foo-1.0.zip", "foo", "1.0", Zip, "foo-1.0"),
        (
            "python-dateutil-2.8.2.tar.gz",
            "python-dateutil",
            "2.8.2",
            TarGz,
            "python-dateutil-2.8.2",
        ),
        (
            "python_dateutil-2.9.0.tar.gz",
            "python-dateutil",
            "2.9.0",
            TarGz,
            "python_dateutil-2.9.0",
        ),
        (
            "zope.interface-5.4.0.tar.gz",
            "zope-interface",
            "5.4.0",
            TarGz,
            "zope.interface-5.4.0",
        ),
        ("Django-1.0.zip", "django", "1.0", Zip, "Django-1.0"),
        (
            "typing_extensions-4.9.0.tar.gz",
            "typing-extensions",
            "4.9.0",
            TarGz,
            "typing_extensions-4.9.0",
        ),
        (
            "azure-mgmt-storage-21.1.0.tar.gz",
            "azure-mgmt-storage",
            "21.1.0",
            TarGz,
            "azure-mgmt-storage-21.1.0",
        ),
        ("py2-exe-0.9.tar.gz", "py2-exe", "0.9", TarGz, "py2-exe-0.9"),
        ("a-1.tar.gz", "a", "1", TarGz, "a-1"),
        (
            "foo-bar_baz.qux-3.tar.gz",
            "foo-bar-baz-qux",
            "3",
            TarGz,
            "foo-bar_baz.qux-3",
        ),
        // The rightmost dash wins when both sides are valid, as in `packaging`.
        ("foo-2-1.0.tar.gz", "foo-2", "1.0", TarGz, "foo-2-1.0"),
    ] {
        let s = sdist(filename);
        assert_eq!(s.name.as_str(), name, "{filename}");
        assert_eq!(s.version, version(ver), "{filename}");
        assert_eq!(s.extension, extension, "{filename}");
        assert_eq!(s.stem(), stem, "{filename}");
        assert_eq!(s.to_string(), filename);
        assert_eq!(parse(filename).to_string(), filename);
        assert!(!parse(filename).is_wheel());
    }
}

/// The grammar of versions belongs to `version.rs`: a file name parses exactly
/// when its version does, and the split of an sdist follows what is a version.
#[test]
fn delegates_version_grammar_to_version() {
    for (filename, ver) in [
        ("torch-2.2.0+cpu-cp311-cp311-linux_x86_64.whl", "2.2.0+cpu"),
        ("numpy-2.0.0rc1-cp312-cp312-win_amd64.whl", "2.0.0rc1"),
        ("foo-1.0.post1-py3-none-any.whl", "1.0.post1"),
        ("foo-1!2.0-py3-none-any.whl", "1!2.0"),
        ("foo-1.0.dev3-py3-none-any.whl", "1.0.dev3"),
        ("foo-1.0rc1.tar.gz", "1.0rc1"),
        ("foo-1.0+ubuntu.1.zip", "1.0+ubuntu.1"),
        ("foo-1.0-rc1.tar.gz", "1.0-rc1"),
        ("foo-1.0-dev.tar.gz", "1.0-dev"),
        ("foo-1.0+ubuntu-1.tar.gz", "1.0+ubuntu-1"),
    ] {
        match ver.parse::<Version>() {
            Ok(expected) => {
                let parsed = parse(filename);
                let name = if parsed.is_wheel() {
                    filename.split('-').next()
                } else {
                    Some("foo")
                };
                assert_eq!(Some(parsed.name().as_str()), name, "{filename}");
                assert_eq!(parsed.version(), &expected, "{filename}");
            }
            Err(_) => assert!(
                matches!(
                    DistFilename::parse(filename),
                    Err(FilenameError::InvalidVersion { .. } | FilenameError::InvalidName { .. })
                ),
                "{filename}: {:?}",
                DistFilename::parse(filename)
            ),
        }
    }
}

#[test]
fn names_the_dist_info_folder_as_the_specification_does() {
    for (filename, dist_info) in [
        (
            "numpy-1.26.4-cp311-cp311-win_amd64.whl",
            "numpy-1.26.4.dist-info",
        ),
        (
            "typing_extensions-4.9.0-py3-none-any.whl",
            "typing_extensions-4.9.0.dist-info",
        ),
        (
            "Zope.Interface-4.0-py3-none-any.whl",
            "zope_interface-4.0.dist-info",
        ),
        ("Django-5.0-1-py3-none-any.whl", "django-5.0.dist-info"),
    ] {
        assert_eq!(wheel(filename).dist_info_dir(), dist_info);
    }
}

#[test]
fn refuses_unsafe_names() {
    use FilenameError::*;
    let long = format!("{}-1.0.tar.gz", "a".repeat(245));
    assert_eq!(long.len(), 256);
    let just_short_enough = &long[1..];
    assert!(DistFilename::parse(just_short_enough).is_ok());
    let s = |text: &str| text.to_string();
    for (input, expected) in [
        ("", Empty),
        (
            long.as_str(),
            TooLong {
                filename: long.clone(),
            },
        ),
        (
            "foo\0-1.0.tar.gz",
            ControlCharacter {
                filename: s("foo\0-1.0.tar.gz"),
                character: '\0',
            },
        ),
        (
            "foo-1.0.tar.gz\n",
            ControlCharacter {
                filename: s("foo-1.0.tar.gz\n"),
                character: '\n',
            },
        ),
        (
            "foo-1.0\t.tar.gz",
            ControlCharacter {
                filename: s("foo-1.0\t.tar.gz"),
                character: '\t',
            },
        ),
        (
            "\u{1b}[31mfoo-1.0.tar.gz",
            ControlCharacter {
                filename: s("\u{1b}[31mfoo-1.0.tar.gz"),
                character: '\u{1b}',
            },
        ),
        (
            "foo-1.0\u{7f}.zip",
            ControlCharacter {
                filename: s("foo-1.0\u{7f}.zip"),
                character: '\u{7f}',
            },
        ),
        (
            "foo-1.0\u{85}.zip",
            ControlCharacter {
                filename: s("foo-1.0\u{85}.zip"),
                character: '\u{85}',
            },
        ),
        (
            "../foo-1.0.tar.gz",
            PathSeparator {
                filename: s("../foo-1.0.tar.gz"),
                separator: '/',
            },
        ),
        (
            "a/b-1.0-py3-none-any.whl",
            PathSeparator {
                filename: s("a/b-1.0-py3-none-any.whl"),
                separator: '/',
            },
        ),
        (
            "/etc/passwd",
            PathSeparator {
                filename: s("/etc/passwd"),
                separator: '/',
            },
        ),
        (
            "..\\foo-1.0.zip",
            PathSeparator {
                filename: s("..\\foo-1.0.zip"),
                separator: '\\',
            },
        ),
        (
            "foo\\bar-1.0.zip",
            PathSeparator {
                filename: s("foo\\bar-1.0.zip"),
                separator: '\\',
            },
        ),
        (
            " foo-1.0.tar.gz",
            Whitespace {
                filename: s(" foo-1.0.tar.gz"),
                character: ' ',
            },
        ),
        (
            "foo-1.0.tar.gz ",
            Whitespace {
                filename: s("foo-1.0.tar.gz "),
                character: ' ',
            },
        ),
        (
            "foo- 1.0.tar.gz",
            Whitespace {
                filename: s("foo- 1.0.tar.gz"),
                character: ' ',
            },
        ),
        (
            "foo-1.0.tar.gz\u{a0}",
            Whitespace {
                filename: s("foo-1.0.tar.gz\u{a0}"),
                character: '\u{a0}',
            },
        ),
        (
            "\u{3000}foo-1.0.whl",
            Whitespace {
                filename: s("\u{3000}foo-1.0.whl"),
                character: '\u{3000}',
            },
        ),
        ("..", LeadingDot { filename: s("..") }),
        (".", LeadingDot { filename: s(".") }),
        (
            ".whl",
            LeadingDot {
                filename: s(".whl"),
            },
        ),
        (
            ".tar.gz",
            LeadingDot {
                filename: s(".tar.gz"),
            },
        ),
        (
            ".foo-1.0.tar.gz",
            LeadingDot {
                filename: s(".foo-1.0.tar.gz"),
            },
        ),
        (
            ".curd-tmp-1-0",
            LeadingDot {
                filename: s(".curd-tmp-1-0"),
            },
        ),
        (
            "foo..bar-1.0.tar.gz",
            DotDot {
                filename: s("foo..bar-1.0.tar.gz"),
            },
        ),
        (
            "foo-1.0..tar.gz",
            DotDot {
                filename: s("foo-1.0..tar.gz"),
            },
        ),
        (
            "foo-1.0-py3-none-any..whl",
            DotDot {
                filename: s("foo-1.0-py3-none-any..whl"),
            },
        ),
        (
            "naïve-1.0.tar.gz",
            UnexpectedCharacter {
                filename: s("naïve-1.0.tar.gz"),
                character: 'ï',
            },
        ),
        (
            "foo-1.0\u{202e}.tar.gz",
            UnexpectedCharacter {
                filename: s("foo-1.0\u{202e}.tar.gz"),
                character: '\u{202e}',
            },
        ),
        (
            "foo-1.0%2F.tar.gz",
            UnexpectedCharacter {
                filename: s("foo-1.0%2F.tar.gz"),
                character: '%',
            },
        ),
        (
            "foo-1.0:x.zip",
            UnexpectedCharacter {
                filename: s("foo-1.0:x.zip"),
                character: ':',
            },
        ),
        (
            "foo-1.0-py3-none-any.whl*",
            UnexpectedCharacter {
                filename: s("foo-1.0-py3-none-any.whl*"),
                character: '*',
            },
        ),
        (
            "C:foo-1.0.zip",
            UnexpectedCharacter {
                filename: s("C:foo-1.0.zip"),
                character: ':',
            },
        ),
        (
            "~foo-1.0.zip",
            UnexpectedCharacter {
                filename: s("~foo-1.0.zip"),
                character: '~',
            },
        ),
    ] {
        assert_eq!(
            DistFilename::parse(input),
            Err(expected),
            "{}",
            input.escape_debug()
        );
    }
}

#[test]
fn refuses_other_extensions() {
    for input in [
        "foo-1.0.tar.bz2",
        "foo-1.0.tar.xz",
        "foo-1.0.tgz",
        "foo-1.0.egg",
        "foo-1.0.exe",
        "foo-1.0.rpm",
        "foo-1.0.tar",
        "foo-1.0-py3-none-any.WHL",
        "foo-1.0.TAR.GZ",
        "foo-1.0.whl.part",
        "foo",
        "METADATA",
        "index.html",
    ] {
        assert_eq!(
            DistFilename::parse(input),
            Err(FilenameError::UnknownExtension {
                filename: input.to_string()
            }),
            "{input}"
        );
    }
}

#[test]
fn refuses_malformed_wheel_names() {
    use FilenameError::*;
    let s = |text: &str| text.to_string();
    for (input, expected) in [
        (
            "a-1.0.whl",
            WheelParts {
                filename: s("a-1.0.whl"),
                found: 2,
            },
        ),
        (
            "a.whl",
            WheelParts {
                filename: s("a.whl"),
                found: 1,
            },
        ),
        (
            "-.whl",
            WheelParts {
                filename: s("-.whl"),
                found: 2,
            },
        ),
        (
            "a-1.0-py3-none.whl",
            WheelParts {
                filename: s("a-1.0-py3-none.whl"),
                found: 4,
            },
        ),
        (
            "a-1.0-1-2-py3-none-any.whl",
            WheelParts {
                filename: s("a-1.0-1-2-py3-none-any.whl"),
                found: 7,
            },
        ),
        (
            "python-dateutil-2.8.2-py2.py3-none-any.whl",
            InvalidVersion {
                filename: s("python-dateutil-2.8.2-py2.py3-none-any.whl"),
                version: s("dateutil"),
            },
        ),
        (
            "-1.0-py3-none-any.whl",
            InvalidName {
                filename: s("-1.0-py3-none-any.whl"),
                name: s(""),
            },
        ),
        (
            "foo__bar-1.0-py3-none-any.whl",
            InvalidName {
                filename: s("foo__bar-1.0-py3-none-any.whl"),
                name: s("foo__bar"),
            },
        ),
        (
            "_foo-1.0-py3-none-any.whl",
            InvalidName {
                filename: s("_foo-1.0-py3-none-any.whl"),
                name: s("_foo"),
            },
        ),
        (
            "foo_-1.0-py3-none-any.whl",
            InvalidName {
                filename: s("foo_-1.0-py3-none-any.whl"),
                name: s("foo_"),
            },
        ),
        (
            "foo+bar-1.0-py3-none-any.whl",
            InvalidName {
                filename: s("foo+bar-1.0-py3-none-any.whl"),
                name: s("foo+bar"),
            },
        ),
        (
            "foo--py3-none-any.whl",
            InvalidVersion {
                filename: s("foo--py3-none-any.whl"),
                version: s(""),
            },
        ),
        (
            "foo-one-py3-none-any.whl",
            InvalidVersion {
                filename: s("foo-one-py3-none-any.whl"),
                version: s("one"),
            },
        ),
        (
            "foo-1.0.x-py3-none-any.whl",
            InvalidVersion {
                filename: s("foo-1.0.x-py3-none-any.whl"),
                version: s("1.0.x"),
            },
        ),
        (
            "foo-1.0-abc-py3-none-any.whl",
            InvalidBuildTag {
                filename: s("foo-1.0-abc-py3-none-any.whl"),
                build: s("abc"),
            },
        ),
        (
            "foo-1.0--py3-none-any.whl",
            InvalidBuildTag {
                filename: s("foo-1.0--py3-none-any.whl"),
                build: s(""),
            },
        ),
        (
            "foo-1.0-1+x-py3-none-any.whl",
            InvalidBuildTag {
                filename: s("foo-1.0-1+x-py3-none-any.whl"),
                build: s("1+x"),
            },
        ),
        (
            "foo-1.0-18446744073709551616-py3-none-any.whl",
            InvalidBuildTag {
                filename: s("foo-1.0-18446744073709551616-py3-none-any.whl"),
                build: s("18446744073709551616"),
            },
        ),
        (
            "foo-1.0--none-any.whl",
            InvalidTags {
                filename: s("foo-1.0--none-any.whl"),
                kind: TagKind::Python,
                tags: s(""),
            },
        ),
        (
            "foo-1.0-py3.-none-any.whl",
            InvalidTags {
                filename: s("foo-1.0-py3.-none-any.whl"),
                kind: TagKind::Python,
                tags: s("py3."),
            },
        ),
        (
            "foo-1.0-.py3-none-any.whl",
            InvalidTags {
                filename: s("foo-1.0-.py3-none-any.whl"),
                kind: TagKind::Python,
                tags: s(".py3"),
            },
        ),
        (
            "foo-1.0-py3-no+ne-any.whl",
            InvalidTags {
                filename: s("foo-1.0-py3-no+ne-any.whl"),
                kind: TagKind::Abi,
                tags: s("no+ne"),
            },
        ),
        (
            "foo-1.0-py3-none-.whl",
            InvalidTags {
                filename: s("foo-1.0-py3-none-.whl"),
                kind: TagKind::Platform,
                tags: s(""),
            },
        ),
        (
            "foo-1.0-py3-none-any!.whl",
            InvalidTags {
                filename: s("foo-1.0-py3-none-any!.whl"),
                kind: TagKind::Platform,
                tags: s("any!"),
            },
        ),
    ] {
        assert_eq!(DistFilename::parse(input), Err(expected), "{input}");
    }
}

#[test]
fn refuses_malformed_sdist_names() {
    use FilenameError::*;
    let s = |text: &str| text.to_string();
    for (input, expected) in [
        (
            "foo.tar.gz",
            SdistWithoutVersion {
                filename: s("foo.tar.gz"),
            },
        ),
        (
            "1.0.zip",
            SdistWithoutVersion {
                filename: s("1.0.zip"),
            },
        ),
        (
            "foo-bar.tar.gz",
            InvalidVersion {
                filename: s("foo-bar.tar.gz"),
                version: s("bar"),
            },
        ),
        (
            "foo-.tar.gz",
            InvalidVersion {
                filename: s("foo-.tar.gz"),
                version: s(""),
            },
        ),
        (
            "foo-1.0.x.zip",
            InvalidVersion {
                filename: s("foo-1.0.x.zip"),
                version: s("1.0.x"),
            },
        ),
        (
            "-1.0.tar.gz",
            InvalidName {
                filename: s("-1.0.tar.gz"),
                name: s(""),
            },
        ),
        (
            "_foo-1.0.tar.gz",
            InvalidName {
                filename: s("_foo-1.0.tar.gz"),
                name: s("_foo"),
            },
        ),
        (
            "foo+x-1.0.zip",
            InvalidName {
                filename: s("foo+x-1.0.zip"),
                name: s("foo+x"),
            },
        ),
        (
            "-.zip",
            InvalidVersion {
                filename: s("-.zip"),
                version: s(""),
            },
        ),
    ] {
        assert_eq!(DistFilename::parse(input), Err(expected), "{input}");
    }
}

#[test]
fn explains_errors_to_users() {
    for (input, message) in [
        (
            "a-1.0.whl",
            "invalid wheel file name `a-1.0.whl`: expected `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`, found 2 dash-separated parts instead of 5 or 6",
        ),
        (
            "",
            "invalid file name: expected a wheel or sdist file name, found an empty string",
        ),
        (
            "../x.whl",
            "invalid file name `../x.whl`: expected a bare file name, found the path separator `/`",
        ),
        (
            "foo\u{1b}[2J-1.0.zip",
            "invalid file name `foo\\u{1b}[2J-1.0.zip`: expected no control characters, found U+001B",
        ),
        (
            "foo-1.0.tar.gz ",
            "invalid file name `foo-1.0.tar.gz `: expected no whitespace, found U+0020",
        ),
        (
            ".foo-1.0.zip",
            "invalid file name `.foo-1.0.zip`: expected a project name first, found a leading `.`",
        ),
        (
            "a..b-1.zip",
            "invalid file name `a..b-1.zip`: expected no `..`, found one",
        ),
        (
            "foo-1.0\u{202e}.zip",
            "invalid file name `foo-1.0\\u{202e}.zip`: expected ASCII letters, digits, `.`, `_`, `-`, `+` or `!`, found `\\u{202e}`",
        ),
        (
            "foo-1.0.tar.bz2",
            "invalid file name `foo-1.0.tar.bz2`: expected `.whl`, `.tar.gz` or `.zip`, found `.bz2`",
        ),
        (
            "README",
            "invalid file name `README`: expected `.whl`, `.tar.gz` or `.zip`, found no extension",
        ),
        (
            "foo__bar-1.0-py3-none-any.whl",
            "invalid wheel file name `foo__bar-1.0-py3-none-any.whl`: expected an escaped project name (ASCII letters and digits, with single `_` or `.` between them), found `foo__bar`",
        ),
        (
            "_foo-1.0.tar.gz",
            "invalid sdist file name `_foo-1.0.tar.gz`: expected a project name (ASCII letters and digits, with `.`, `_` or `-` only between them), found `_foo`",
        ),
        (
            "foo-one-py3-none-any.whl",
            "invalid wheel file name `foo-one-py3-none-any.whl`: expected a PEP 440 version after the name, found `one`",
        ),
        (
            "foo-bar.zip",
            "invalid sdist file name `foo-bar.zip`: expected a PEP 440 version after the last `-`, found `bar`",
        ),
        (
            "foo-1.0-x-py3-none-any.whl",
            "invalid wheel file name `foo-1.0-x-py3-none-any.whl`: expected a build tag: a number below 2^64, then letters, digits, `.` or `_`, found `x`",
        ),
        (
            "foo-1.0-py3-none-.whl",
            "invalid wheel file name `foo-1.0-py3-none-.whl`: expected platform tags of ASCII letters, digits and `_`, separated by `.`, found ``",
        ),
        (
            "foo.tar.gz",
            "invalid sdist file name `foo.tar.gz`: expected `{name}-{version}.tar.gz` or `.zip`, found no `-`",
        ),
    ] {
        let err = DistFilename::parse(input).expect_err(input);
        assert_eq!(err.to_string(), message, "{}", input.escape_debug());
    }
    let long = "a".repeat(300);
    let message = DistFilename::parse(&long).expect_err("long").to_string();
    assert_eq!(
        message,
        format!(
            "invalid file name `{}…`: expected at most 255 bytes, found 300",
            "a".repeat(255)
        )
    );
}

/// Arbitrary strings near valid names: parsing must answer, never panic, and
/// whatever parses must give back its input and be a safe file name.
#[test]
fn never_panics_and_only_accepts_safe_names() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet: Vec<char> = "ab1_-.+!/\\ \0é\u{202e}whltargzip".chars().collect();
    let seeds = [
        "foo-1.0-py3-none-any.whl",
        "foo-1.0-1-py3-none-any.whl",
        "foo-1.0.tar.gz",
        "foo-bar-1.0.zip",
    ];
    for round in 0..20_000 {
        let mut chars: Vec<char> = seeds[round % seeds.len()].chars().collect();
        for _ in 0..(next() % 4) {
            let at = (next() as usize) % (chars.len() + 1);
            let c = alphabet[(next() as usize) % alphabet.len()];
            match next() % 3 {
                0 if at < chars.len() => chars[at] = c,
                1 if at < chars.len() => {
                    chars.remove(at);
                }
                _ => chars.insert(at, c),
            }
        }
        let input: String = chars.into_iter().collect();
        match DistFilename::parse(&input) {
            Ok(parsed) => {
                assert_eq!(parsed.to_string(), input);
                assert!(!input.starts_with('.') && !input.contains(".."), "{input}");
                assert!(
                    input
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-+!".contains(&b)),
                    "{input}"
                );
            }
            Err(err) => assert!(err.to_string().starts_with("invalid "), "{err}"),
        }
    }
}

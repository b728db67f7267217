use super::*;

fn linux(arch: &str, glibc: Option<(u32, u32)>, musl: Option<(u32, u32)>) -> Platform {
    Platform::Linux {
        arch: arch.to_string(),
        glibc,
        musl,
        elf_abi: true,
    }
}

fn target(implementation: &str, version: (u32, u32), abis: &[&str], platform: Platform) -> Target {
    Target {
        implementation: implementation.to_string(),
        python_version: version,
        abis: abis.iter().map(|a| a.to_string()).collect(),
        platform,
    }
}

fn strings(tags: &[Tag]) -> Vec<String> {
    tags.iter().map(Tag::to_string).collect()
}

#[test]
fn cpython_311_manylinux_x86_64() {
    let t = target(
        "cpython",
        (3, 11),
        &["cp311"],
        linux("x86_64", Some((2, 36)), None),
    );
    let tags = strings(&t.tags());
    // 36 platforms: linux_x86_64, manylinux 2.36..2.5, three legacy aliases.
    // cpython: (cp311 + abi3 + none + abi3 of 3.10..3.2) x 36 = 432;
    // compatible: (py311, py3, py310..py30) x 36 + cp311 and 13 x any = 482.
    assert_eq!(tags.len(), 914);
    assert_eq!(
        &tags[..3],
        [
            "cp311-cp311-linux_x86_64",
            "cp311-cp311-manylinux_2_36_x86_64",
            "cp311-cp311-manylinux_2_35_x86_64"
        ]
    );
    let at = tags
        .iter()
        .position(|t| t == "cp311-cp311-manylinux_2_17_x86_64")
        .unwrap();
    assert_eq!(tags[at + 1], "cp311-cp311-manylinux2014_x86_64");
    assert_eq!(tags[at + 2], "cp311-cp311-manylinux_2_16_x86_64");
    let at = tags
        .iter()
        .position(|t| t == "cp311-cp311-manylinux_2_12_x86_64")
        .unwrap();
    assert_eq!(tags[at + 1], "cp311-cp311-manylinux2010_x86_64");
    assert_eq!(
        tags[33..37],
        [
            "cp311-cp311-manylinux_2_6_x86_64",
            "cp311-cp311-manylinux_2_5_x86_64",
            "cp311-cp311-manylinux1_x86_64",
            "cp311-abi3-linux_x86_64"
        ]
    );
    assert_eq!(tags[72], "cp311-none-linux_x86_64");
    assert_eq!(tags[108], "cp310-abi3-linux_x86_64");
    assert_eq!(tags[431], "cp32-abi3-manylinux1_x86_64");
    assert_eq!(tags[432], "py311-none-linux_x86_64");
    assert_eq!(tags[468], "py3-none-linux_x86_64");
    assert_eq!(
        &tags[898..],
        [
            "py30-none-manylinux_2_5_x86_64",
            "py30-none-manylinux1_x86_64",
            "cp311-none-any",
            "py311-none-any",
            "py3-none-any",
            "py310-none-any",
            "py39-none-any",
            "py38-none-any",
            "py37-none-any",
            "py36-none-any",
            "py35-none-any",
            "py34-none-any",
            "py33-none-any",
            "py32-none-any",
            "py31-none-any",
            "py30-none-any"
        ]
    );
}

#[test]
fn debug_builds_also_load_release_extensions() {
    let t = target(
        "cpython",
        (3, 12),
        &["cp312d", "cp312"],
        Platform::Other {
            tag: "any_os".into(),
        },
    );
    assert_eq!(
        strings(&t.tags())[..5],
        [
            "cp312-cp312d-any_os",
            "cp312-cp312-any_os",
            "cp312-abi3-any_os",
            "cp312-none-any_os",
            "cp311-abi3-any_os"
        ]
    );
}

#[test]
fn free_threaded_builds_have_their_own_stable_abi() {
    let t = target(
        "cpython",
        (3, 13),
        &["cp313t"],
        Platform::Windows {
            arch: "amd64".into(),
        },
    );
    let tags = strings(&t.tags());
    assert_eq!(
        tags[..4],
        [
            "cp313-cp313t-win_amd64",
            "cp313-abi3t-win_amd64",
            "cp313-none-win_amd64",
            "cp312-abi3t-win_amd64",
        ]
    );
    assert!(!tags.iter().any(|t| t.contains("-abi3-")));
    let threaded =
        |abis: &[&str]| is_threaded(&abis.iter().map(|a| a.to_string()).collect::<Vec<_>>());
    assert!(threaded(&["cp313td"]));
    assert!(threaded(&["abi3", "cp313t"]));
    assert!(threaded(&["abi3t"]));
    assert!(!threaded(&["cp313d", "cp313t"]));
    assert!(!threaded(&["cpt"]));
    assert!(!threaded(&["pypy310_pp73"]));
}

#[test]
fn cpython_accepts_its_own_pure_python_wheels() {
    let t = target(
        "cpython",
        (3, 11),
        &["cp311"],
        Platform::Windows {
            arch: "amd64".into(),
        },
    );
    let tags = strings(&t.tags());
    let at = tags
        .iter()
        .position(|t| t == "cp311-none-any")
        .expect("cp311-none-any");
    assert_eq!(tags[at - 1], "py30-none-win_amd64");
    assert_eq!(tags[at + 1], "py311-none-any");
}

#[test]
fn python_2_and_explicit_abi3_none() {
    let t = target(
        "cpython",
        (2, 7),
        &["cp27mu"],
        Platform::Other {
            tag: "linux_x86_64".into(),
        },
    );
    assert_eq!(
        strings(&t.tags()),
        [
            "cp27-cp27mu-linux_x86_64",
            "cp27-none-linux_x86_64",
            "py27-none-linux_x86_64",
            "py2-none-linux_x86_64",
            "py26-none-linux_x86_64",
            "py25-none-linux_x86_64",
            "py24-none-linux_x86_64",
            "py23-none-linux_x86_64",
            "py22-none-linux_x86_64",
            "py21-none-linux_x86_64",
            "py20-none-linux_x86_64",
            "cp27-none-any",
            "py27-none-any",
            "py2-none-any",
            "py26-none-any",
            "py25-none-any",
            "py24-none-any",
            "py23-none-any",
            "py22-none-any",
            "py21-none-any",
            "py20-none-any"
        ]
    );
    // `abi3` and `none` given as ABIs still come at their own place, once.
    let t = target(
        "cpython",
        (3, 3),
        &["none", "cp33m", "abi3"],
        Platform::Other { tag: "x".into() },
    );
    assert_eq!(
        strings(&t.tags())[..4],
        ["cp33-cp33m-x", "cp33-abi3-x", "cp33-none-x", "cp32-abi3-x"]
    );
}

#[test]
fn pypy_uses_generic_tags_and_pp3() {
    let t = target(
        "pypy",
        (3, 10),
        &["pypy310_pp73"],
        linux("x86_64", Some((2, 17)), None),
    );
    let tags = strings(&t.tags());
    // 17 platforms: linux_x86_64, manylinux 2.17..2.5, three aliases.
    assert_eq!(tags.len(), 17 * 2 + 12 * 17 + 1 + 12);
    assert_eq!(
        tags[..3],
        [
            "pp310-pypy310_pp73-linux_x86_64",
            "pp310-pypy310_pp73-manylinux_2_17_x86_64",
            "pp310-pypy310_pp73-manylinux2014_x86_64"
        ]
    );
    assert_eq!(tags[16], "pp310-pypy310_pp73-manylinux1_x86_64");
    assert_eq!(tags[17], "pp310-none-linux_x86_64");
    assert_eq!(tags[34], "py310-none-linux_x86_64");
    let any = tags.iter().position(|t| t == "pp3-none-any").unwrap();
    assert_eq!(tags[any - 1], "py30-none-manylinux1_x86_64");
    assert_eq!(tags[any + 1], "py310-none-any");
    assert_eq!(tags.last().unwrap(), "py30-none-any");
    // An interpreter with no SOABI still gets `none`, under its own short name.
    let t = target("graalpy", (3, 10), &[], Platform::Other { tag: "p".into() });
    assert_eq!(
        strings(&t.tags())[..2],
        ["graalpy310-none-p", "py310-none-p"]
    );
}

#[test]
fn musl_linux() {
    assert_eq!(
        linux("aarch64", None, Some((1, 2))).tags(),
        [
            "linux_aarch64",
            "musllinux_1_2_aarch64",
            "musllinux_1_1_aarch64",
            "musllinux_1_0_aarch64"
        ]
    );
}

#[test]
fn manylinux_minimums_by_architecture() {
    let count = |p: Platform| {
        p.tags()
            .iter()
            .filter(|t| t.starts_with("manylinux"))
            .count()
    };
    assert_eq!(count(linux("aarch64", Some((2, 17)), None)), 2);
    assert_eq!(
        linux("aarch64", Some((2, 17)), None).tags(),
        [
            "linux_aarch64",
            "manylinux_2_17_aarch64",
            "manylinux2014_aarch64"
        ]
    );
    assert_eq!(count(linux("i686", Some((2, 5)), None)), 2);
    assert_eq!(count(linux("ppc64le", Some((2, 28)), None)), 12 + 1);
    // Older than the oldest manylinux: only the plain tag.
    assert_eq!(linux("x86_64", Some((2, 4)), None).tags(), ["linux_x86_64"]);
    assert_eq!(
        linux("aarch64", Some((2, 12)), None).tags(),
        ["linux_aarch64"]
    );
    assert_eq!(
        linux("x86_64", Some((0, 0)), None).tags(),
        ["linux_x86_64", "manylinux_0_0_x86_64"]
    );
    // Architectures manylinux does not cover, and ELF headers of the wrong ABI.
    assert_eq!(
        linux("sparc64", Some((2, 39)), None).tags(),
        ["linux_sparc64"]
    );
    assert_eq!(linux("", Some((2, 39)), None).tags(), ["linux_"]);
    let soft_float = Platform::Linux {
        arch: "armv7l".into(),
        glibc: Some((2, 31)),
        musl: None,
        elf_abi: false,
    };
    assert_eq!(soft_float.tags(), ["linux_armv7l"]);
    assert_eq!(count(linux("armv7l", Some((2, 31)), None)), 16);
    // A 32-bit interpreter on a 64-bit ARM kernel takes ARMv7 wheels second.
    let armv8l = Platform::Linux {
        arch: "armv8l".into(),
        glibc: Some((2, 17)),
        musl: Some((1, 2)),
        elf_abi: true,
    };
    assert_eq!(
        armv8l.tags(),
        [
            "linux_armv8l",
            "linux_armv7l",
            "manylinux_2_17_armv8l",
            "manylinux2014_armv8l",
            "manylinux_2_17_armv7l",
            "manylinux2014_armv7l",
            "musllinux_1_2_armv8l",
            "musllinux_1_1_armv8l",
            "musllinux_1_0_armv8l",
            "musllinux_1_2_armv7l",
            "musllinux_1_1_armv7l",
            "musllinux_1_0_armv7l"
        ]
    );
    // A new glibc major version keeps every 2.x.
    let tags = linux("x86_64", Some((3, 1)), None).tags();
    assert_eq!(
        tags[1..4],
        [
            "manylinux_3_1_x86_64",
            "manylinux_3_0_x86_64",
            "manylinux_2_50_x86_64"
        ]
    );
    assert_eq!(tags.len(), 2 + 46 + 3 + 1);
}

#[test]
fn macos_arm64() {
    let tags = mac_platforms((14, 2), "arm64");
    assert_eq!(
        tags[..9],
        [
            "macosx_14_0_arm64",
            "macosx_14_0_universal2",
            "macosx_13_0_arm64",
            "macosx_13_0_universal2",
            "macosx_12_0_arm64",
            "macosx_12_0_universal2",
            "macosx_11_0_arm64",
            "macosx_11_0_universal2",
            "macosx_10_16_universal2"
        ]
    );
    assert_eq!(tags.len(), 8 + 13);
    assert_eq!(tags.last().unwrap(), "macosx_10_4_universal2");
}

#[test]
fn macos_x86_64() {
    let tags = mac_platforms((10, 15), "x86_64");
    assert_eq!(
        tags[..7],
        [
            "macosx_10_15_x86_64",
            "macosx_10_15_intel",
            "macosx_10_15_fat64",
            "macosx_10_15_fat3",
            "macosx_10_15_universal2",
            "macosx_10_15_universal",
            "macosx_10_14_x86_64"
        ]
    );
    // Nothing before 10.4 for Intel.
    assert_eq!(tags.len(), 12 * 6);
    let tags = mac_platforms((12, 6), "x86_64");
    assert_eq!(tags.len(), 2 * 6 + 13 * 6);
    assert_eq!(tags[12], "macosx_10_16_x86_64");
    // Versions macOS never had yield nothing rather than fail.
    assert!(mac_platforms((9, 0), "x86_64").is_empty());
    assert_eq!(
        mac_platforms((10, 5), "ppc64"),
        [
            "macosx_10_5_ppc64",
            "macosx_10_5_fat64",
            "macosx_10_5_universal",
            "macosx_10_4_ppc64",
            "macosx_10_4_fat64",
            "macosx_10_4_universal"
        ]
    );
    assert_eq!(
        mac_platforms((10, 1), "riscv"),
        ["macosx_10_1_riscv", "macosx_10_0_riscv"]
    );
}

#[test]
fn windows() {
    assert_eq!(
        Platform::Windows {
            arch: "amd64".into()
        }
        .tags(),
        ["win_amd64"]
    );
    assert_eq!(
        Platform::Windows {
            arch: "arm64".into()
        }
        .tags(),
        ["win_arm64"]
    );
    assert_eq!(Platform::Windows { arch: "x86".into() }.tags(), ["win32"]);
    let t = target(
        "cpython",
        (3, 12),
        &["cp312"],
        Platform::Windows { arch: "x86".into() },
    );
    assert_eq!(t.tags()[0].to_string(), "cp312-cp312-win32");
    assert_eq!(t.tags().len(), 1 + 1 + 1 + 10 + 14 + 1 + 14);
}

#[test]
fn tags_are_lowercase() {
    let t = target(
        "cpython",
        (3, 11),
        &["CP311"],
        Platform::Other {
            tag: "FreeBSD_14".into(),
        },
    );
    assert_eq!(t.tags()[0], Tag::new("cp311", "cp311", "freebsd_14"));
}

#[test]
fn rank_picks_the_best_expanded_tag() {
    let t = target(
        "cpython",
        (3, 11),
        &["cp311"],
        linux("x86_64", Some((2, 36)), None),
    );
    let prio = TagPriority::new(&t.tags());
    let rank = |p: &[&str], a: &[&str], pl: &[&str]| prio.rank(p, a, pl);
    assert_eq!(
        rank(&["cp311"], &["cp311"], &["manylinux_2_36_x86_64"]),
        Some(1)
    );
    assert_eq!(rank(&["py3"], &["none"], &["any"]), Some(902));
    assert_eq!(rank(&["py2", "py3"], &["none"], &["any"]), Some(902));
    assert_eq!(rank(&["cp311"], &["none"], &["any"]), Some(900));
    assert_eq!(
        rank(
            &["cp311"],
            &["cp311"],
            &["manylinux_2_17_x86_64", "manylinux2014_x86_64"]
        ),
        Some(20)
    );
    assert_eq!(
        rank(&["CP38"], &["ABI3"], &["MANYLINUX1_X86_64"]),
        Some(180 + 35)
    );
    assert!(
        rank(&["cp38"], &["abi3"], &["manylinux1_x86_64"])
            > rank(&["cp39"], &["abi3"], &["manylinux1_x86_64"])
    );
    assert_eq!(
        rank(&["cp312"], &["cp312"], &["manylinux_2_17_x86_64"]),
        None
    );
    assert_eq!(rank(&["py3"], &["none"], &["win_amd64"]), None);
    assert_eq!(rank(&[], &["none"], &["any"]), None);
}

#[test]
fn rank_keeps_the_first_of_repeated_tags() {
    let tags = [
        Tag::new("py3", "none", "any"),
        Tag::new("py3", "none", "any"),
    ];
    assert_eq!(
        TagPriority::new(&tags).rank(&["py3"], &["none"], &["any"]),
        Some(0)
    );
}

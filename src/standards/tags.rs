//! Platform compatibility tags (PEP 425): which wheels an interpreter can install,
//! best first.
//!
//! <https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/>
//!
//! The list is the one `packaging.tags.sys_tags()` builds (packaging 21.3, the copy
//! pip vendors), item for item and in the same order: the order is what picks one
//! wheel of a release over another, so an installer that orders differently installs
//! different files than pip does. Pure: `python.rs` describes the real interpreter as
//! a [`Target`]; a hand-made `Target` gives the tags of another machine.
//!
//! Two departures from packaging 21.3, both for interpreters it predates: a
//! free-threaded CPython (`cp313t`) gets no `abi3` tags, as in later packaging
//! releases, since the stable ABI does not exist there; and version numbers are
//! pairs, so a bare `3` never stands for a Python version.

use std::collections::HashMap;
use std::fmt;

/// One supported (interpreter, ABI, platform) triple, such as `cp311-abi3-manylinux_2_17_x86_64`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tag {
    pub interpreter: String,
    pub abi: String,
    pub platform: String,
}

impl Tag {
    /// Lowercases the parts: tags compare without case (packaging lowercases too).
    pub fn new(interpreter: &str, abi: &str, platform: &str) -> Tag {
        Tag {
            interpreter: interpreter.to_ascii_lowercase(),
            abi: abi.to_ascii_lowercase(),
            platform: platform.to_ascii_lowercase(),
        }
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.interpreter, self.abi, self.platform)
    }
}

/// The operating system and machine a wheel's platform tag must fit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Platform {
    /// Linux, where the C library decides between manylinux (glibc) and musllinux (musl).
    Linux {
        /// As in the `linux_<arch>` tag: `x86_64`, `aarch64`, `i686`, `armv7l`, ...
        /// (a 32-bit interpreter on a 64-bit kernel has the 32-bit name).
        arch: String,
        /// The glibc version, `None` where the interpreter does not run on glibc.
        glibc: Option<(u32, u32)>,
        /// The musl version, `None` where the interpreter is not linked against musl.
        musl: Option<(u32, u32)>,
        /// Only read for `armv7l` and `i686`, where packaging offers manylinux tags only
        /// when the executable's ELF header shows that ABI (hard-float 32-bit ARM,
        /// 32-bit x86): a soft-float ARM build cannot load manylinux wheels.
        elf_abi: bool,
    },
    /// macOS of a given (major, minor) version.
    MacOs {
        version: (u32, u32),
        /// `arm64`, `x86_64`, or for 32-bit interpreters `i386` or `ppc`.
        arch: String,
    },
    /// Windows: `amd64`, `arm64`, `arm32`, or `x86`, whose tag is `win32`.
    Windows { arch: String },
    /// Any other system, with its one platform tag (`sysconfig.get_platform()` with
    /// `.` and `-` turned into `_`), e.g. `freebsd_14_0_release_amd64`.
    Other { tag: String },
}

/// An interpreter as far as tags are concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// `sys.implementation.name`: `cpython`, `pypy`, ...
    pub implementation: String,
    /// The Python language version, (major, minor).
    pub python_version: (u32, u32),
    /// The interpreter's own ABI tags, most specific first, as packaging computes them:
    /// `cp311`, or `cp311d` then `cp311` for a debug build, `cp37m`, `cp313t`; for
    /// other implementations the normalized `SOABI`, such as `pypy310_pp73`, or none.
    pub abis: Vec<String>,
    pub platform: Platform,
}

/// `packaging.tags.INTERPRETER_SHORT_NAMES`: the interpreter part of a tag.
fn short_name(implementation: &str) -> &str {
    match implementation {
        "python" => "py",
        "cpython" => "cp",
        "pypy" => "pp",
        "ironpython" => "ip",
        "jython" => "jy",
        other => other,
    }
}

impl Target {
    /// Every tag this interpreter accepts, best first (`packaging.tags.sys_tags()`).
    pub fn tags(&self) -> Vec<Tag> {
        let platforms = self.platform.tags();
        let mut tags = Vec::new();
        let short = short_name(&self.implementation);
        if short == "cp" {
            self.cpython_tags(&platforms, &mut tags);
        } else {
            self.generic_tags(short, &platforms, &mut tags);
        }
        let interpreter = (short == "pp").then_some("pp3");
        self.compatible_tags(interpreter, &platforms, &mut tags);
        tags
    }

    /// `packaging.tags.cpython_tags`: the interpreter's ABIs, then `abi3`, then `none`,
    /// then `abi3` of every earlier minor version down to 3.2 (PEP 384).
    fn cpython_tags(&self, platforms: &[String], tags: &mut Vec<Tag>) {
        let (major, minor) = self.python_version;
        let interpreter = format!("cp{major}{minor}");
        let mut abis: Vec<&str> = self.abis.iter().map(String::as_str).collect();
        // Like packaging, only the first of each is moved: they come at their own place.
        for explicit in ["abi3", "none"] {
            if let Some(at) = abis.iter().position(|abi| *abi == explicit) {
                abis.remove(at);
            }
        }
        for abi in &abis {
            tags.extend(platforms.iter().map(|p| Tag::new(&interpreter, abi, p)));
        }
        let abi3 = (major, minor) >= (3, 2) && !abis.first().is_some_and(|abi| is_threaded(abi));
        if abi3 {
            tags.extend(platforms.iter().map(|p| Tag::new(&interpreter, "abi3", p)));
        }
        tags.extend(platforms.iter().map(|p| Tag::new(&interpreter, "none", p)));
        if abi3 {
            for older in (2..minor).rev() {
                let interpreter = format!("cp{major}{older}");
                tags.extend(platforms.iter().map(|p| Tag::new(&interpreter, "abi3", p)));
            }
        }
    }

    /// `packaging.tags.generic_tags`: each ABI, then `none`, for this interpreter only.
    fn generic_tags(&self, short: &str, platforms: &[String], tags: &mut Vec<Tag>) {
        let (major, minor) = self.python_version;
        let interpreter = format!("{short}{major}{minor}");
        let mut abis: Vec<&str> = self.abis.iter().map(String::as_str).collect();
        if !abis.contains(&"none") {
            abis.push("none");
        }
        for abi in abis {
            tags.extend(platforms.iter().map(|p| Tag::new(&interpreter, abi, p)));
        }
    }

    /// `packaging.tags.compatible_tags`: pure-Python wheels for this platform, for
    /// this and every earlier minor version, then the same for any platform.
    fn compatible_tags(
        &self,
        interpreter: Option<&str>,
        platforms: &[String],
        tags: &mut Vec<Tag>,
    ) {
        let (major, minor) = self.python_version;
        let versions: Vec<String> = std::iter::once(format!("py{major}{minor}"))
            .chain(std::iter::once(format!("py{major}")))
            .chain((0..minor).rev().map(|older| format!("py{major}{older}")))
            .collect();
        for version in &versions {
            tags.extend(platforms.iter().map(|p| Tag::new(version, "none", p)));
        }
        if let Some(interpreter) = interpreter {
            tags.push(Tag::new(interpreter, "none", "any"));
        }
        tags.extend(versions.iter().map(|v| Tag::new(v, "none", "any")));
    }
}

/// Whether an ABI tag names a free-threaded build: `t` among the flags after
/// `cp<digits>` (`cp313t`, `cp313td`), as later packaging releases test it.
fn is_threaded(abi: &str) -> bool {
    let Some(rest) = abi.strip_prefix("cp") else {
        return false;
    };
    let flags = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    flags.len() < rest.len() && flags.contains('t')
}

impl Platform {
    /// The platform tags, best first (`packaging.tags.platform_tags()`).
    pub fn tags(&self) -> Vec<String> {
        match self {
            Platform::Linux {
                arch,
                glibc,
                musl,
                elf_abi,
            } => {
                let linux = format!("linux_{arch}");
                let mut tags = manylinux_platforms(&linux, arch, *glibc, *elf_abi);
                if let Some((major, minor)) = *musl {
                    tags.extend(
                        (0..=minor)
                            .rev()
                            .map(|m| format!("musllinux_{major}_{m}_{arch}")),
                    );
                }
                tags.push(linux);
                tags
            }
            Platform::MacOs { version, arch } => mac_platforms(*version, arch),
            Platform::Windows { arch } if arch == "x86" => vec!["win32".to_string()],
            Platform::Windows { arch } => vec![format!("win_{arch}")],
            Platform::Other { tag } => vec![tag.clone()],
        }
    }
}

/// The manylinux tags that fit this glibc, newest first (`packaging._manylinux.platform_tags`):
/// every glibc minor version down to the oldest the architecture has wheels for (2.5
/// on x86, 2.17 elsewhere), each legacy alias right after its PEP 600 name.
fn manylinux_platforms(
    linux: &str,
    arch: &str,
    glibc: Option<(u32, u32)>,
    elf_abi: bool,
) -> Vec<String> {
    let compatible = match arch {
        "armv7l" | "i686" => elf_abi,
        _ => matches!(arch, "x86_64" | "aarch64" | "ppc64" | "ppc64le" | "s390x"),
    };
    let Some((major, minor)) = glibc.filter(|_| compatible) else {
        return Vec::new();
    };
    let too_old: (i64, i64) = if matches!(arch, "x86_64" | "i686") {
        (2, 4)
    } else {
        (2, 16)
    };
    let (major, minor) = (i64::from(major), i64::from(minor));
    // glibc keeps compatibility across major versions; packaging assumes a major
    // version ends at minor 50 until one actually does.
    let maxima = std::iter::once((major, minor)).chain((2..major).rev().map(|m| (m, 50)));
    let mut tags = Vec::new();
    for (major, max_minor) in maxima {
        let min_minor = if major == too_old.0 { too_old.1 } else { -1 };
        for minor in (min_minor + 1..=max_minor).rev() {
            tags.push(linux.replace("linux", &format!("manylinux_{major}_{minor}")));
            let legacy = match (major, minor) {
                (2, 17) => Some("manylinux2014"),
                (2, 12) => Some("manylinux2010"),
                (2, 5) => Some("manylinux1"),
                _ => None,
            };
            if let Some(legacy) = legacy {
                tags.push(linux.replace("linux", legacy));
            }
        }
    }
    tags
}

/// The macOS platform tags, newest first (`packaging.tags.mac_platforms`): before
/// macOS 11 every release bumped the minor version, from 11 on the major, and
/// macOS 11+ also runs x86_64 wheels built for 10.4 to 10.16 (arm64 only their
/// `universal2` form).
pub fn mac_platforms(version: (u32, u32), arch: &str) -> Vec<String> {
    let mut tags = Vec::new();
    let mut push = |major: u32, minor: u32, formats: &[&str]| {
        tags.extend(
            formats
                .iter()
                .map(|format| format!("macosx_{major}_{minor}_{format}")),
        );
    };
    if ((10, 0)..(11, 0)).contains(&version) {
        for minor in (0..=version.1).rev() {
            push(10, minor, &mac_binary_formats((10, minor), arch));
        }
    }
    if version >= (11, 0) {
        for major in (11..=version.0).rev() {
            push(major, 0, &mac_binary_formats((major, 0), arch));
        }
        for minor in (4..=16).rev() {
            if arch == "x86_64" {
                push(10, minor, &mac_binary_formats((10, minor), arch));
            } else {
                push(10, minor, &["universal2"]);
            }
        }
    }
    tags
}

/// `packaging.tags._mac_binary_formats`: the binary formats (single and fat) that
/// hold code for `arch` on a given macOS version.
fn mac_binary_formats(version: (u32, u32), arch: &str) -> Vec<&str> {
    let mut formats = vec![arch];
    match arch {
        "x86_64" | "i386" if version < (10, 4) => return Vec::new(),
        "x86_64" => formats.extend(["intel", "fat64", "fat32"]),
        "i386" => formats.extend(["intel", "fat32", "fat"]),
        "ppc64" if !((10, 4)..=(10, 5)).contains(&version) => return Vec::new(),
        "ppc64" => formats.push("fat64"),
        "ppc" if version > (10, 6) => return Vec::new(),
        "ppc" => formats.extend(["fat32", "fat"]),
        _ => {}
    }
    if matches!(arch, "arm64" | "x86_64") {
        formats.push("universal2");
    }
    if matches!(arch, "x86_64" | "i386" | "ppc64" | "ppc" | "intel") {
        formats.push("universal");
    }
    formats
}

/// Supported tags by position, so choosing among the thousands of wheels of a big
/// project costs one hash lookup per tag a wheel names.
#[derive(Clone, Debug)]
pub struct TagPriority {
    index: HashMap<String, usize>,
}

impl TagPriority {
    /// `tags` best first, as [`Target::tags`] returns them.
    pub fn new(tags: &[Tag]) -> TagPriority {
        let mut index = HashMap::with_capacity(tags.len());
        for (at, tag) in tags.iter().enumerate() {
            index.entry(tag.to_string()).or_insert(at);
        }
        TagPriority { index }
    }

    /// The best (lowest) position among supported tags of any tag a wheel's
    /// compressed tag set expands to (`py2.py3-none-any` has two), or `None` if the
    /// wheel does not fit this interpreter. Case does not matter.
    pub fn rank<S: AsRef<str>>(&self, python: &[S], abi: &[S], platform: &[S]) -> Option<usize> {
        let mut key = String::new();
        let mut best: Option<usize> = None;
        for p in python {
            for a in abi {
                for pl in platform {
                    key.clear();
                    for (i, part) in [p.as_ref(), a.as_ref(), pl.as_ref()]
                        .into_iter()
                        .enumerate()
                    {
                        if i > 0 {
                            key.push('-');
                        }
                        key.extend(part.chars().map(|c| c.to_ascii_lowercase()));
                    }
                    if let Some(&at) = self.index.get(key.as_str()) {
                        best = Some(best.map_or(at, |b| b.min(at)));
                    }
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linux(arch: &str, glibc: Option<(u32, u32)>, musl: Option<(u32, u32)>) -> Platform {
        Platform::Linux {
            arch: arch.to_string(),
            glibc,
            musl,
            elf_abi: true,
        }
    }

    fn target(
        implementation: &str,
        version: (u32, u32),
        abis: &[&str],
        platform: Platform,
    ) -> Target {
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
        // 36 platforms: manylinux 2.36..2.5, three legacy aliases, linux_x86_64.
        // cpython: (cp311 + abi3 + none + abi3 of 3.10..3.2) x 36 = 432;
        // compatible: (py311, py3, py310..py30) x 36 + 13 x any = 481.
        assert_eq!(tags.len(), 913);
        assert_eq!(
            &tags[..3],
            [
                "cp311-cp311-manylinux_2_36_x86_64",
                "cp311-cp311-manylinux_2_35_x86_64",
                "cp311-cp311-manylinux_2_34_x86_64"
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
                "cp311-cp311-manylinux_2_5_x86_64",
                "cp311-cp311-manylinux1_x86_64",
                "cp311-cp311-linux_x86_64",
                "cp311-abi3-manylinux_2_36_x86_64"
            ]
        );
        assert_eq!(tags[72], "cp311-none-manylinux_2_36_x86_64");
        assert_eq!(tags[108], "cp310-abi3-manylinux_2_36_x86_64");
        assert_eq!(tags[431], "cp32-abi3-linux_x86_64");
        assert_eq!(tags[432], "py311-none-manylinux_2_36_x86_64");
        assert_eq!(tags[468], "py3-none-manylinux_2_36_x86_64");
        assert_eq!(
            &tags[897..],
            [
                "py30-none-manylinux_2_5_x86_64",
                "py30-none-manylinux1_x86_64",
                "py30-none-linux_x86_64",
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
    fn free_threaded_builds_have_no_stable_abi() {
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
            tags[..3],
            [
                "cp313-cp313t-win_amd64",
                "cp313-none-win_amd64",
                "py313-none-win_amd64"
            ]
        );
        assert!(!tags.iter().any(|t| t.contains("abi3")));
        assert!(is_threaded("cp313td"));
        assert!(!is_threaded("cp313d"));
        assert!(!is_threaded("cpt"));
        assert!(!is_threaded("pypy310_pp73"));
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
        // 17 platforms: manylinux 2.17..2.5, three aliases, linux_x86_64.
        assert_eq!(tags.len(), 17 * 2 + 12 * 17 + 1 + 12);
        assert_eq!(
            tags[..3],
            [
                "pp310-pypy310_pp73-manylinux_2_17_x86_64",
                "pp310-pypy310_pp73-manylinux2014_x86_64",
                "pp310-pypy310_pp73-manylinux_2_16_x86_64"
            ]
        );
        assert_eq!(tags[16], "pp310-pypy310_pp73-linux_x86_64");
        assert_eq!(tags[17], "pp310-none-manylinux_2_17_x86_64");
        assert_eq!(tags[34], "py310-none-manylinux_2_17_x86_64");
        let any = tags.iter().position(|t| t == "pp3-none-any").unwrap();
        assert_eq!(tags[any - 1], "py30-none-linux_x86_64");
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
                "musllinux_1_2_aarch64",
                "musllinux_1_1_aarch64",
                "musllinux_1_0_aarch64",
                "linux_aarch64"
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
                "manylinux_2_17_aarch64",
                "manylinux2014_aarch64",
                "linux_aarch64"
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
            ["manylinux_0_0_x86_64", "linux_x86_64"]
        );
        // Architectures manylinux does not cover, and ELF headers of the wrong ABI.
        assert_eq!(
            linux("riscv64", Some((2, 39)), None).tags(),
            ["linux_riscv64"]
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
        // A new glibc major version keeps every 2.x.
        let tags = linux("x86_64", Some((3, 1)), None).tags();
        assert_eq!(
            tags[..3],
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
                "macosx_10_15_fat32",
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
        assert_eq!(t.tags().len(), 1 + 1 + 1 + 10 + 14 + 14);
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
            Some(0)
        );
        assert_eq!(rank(&["py3"], &["none"], &["any"]), Some(901));
        assert_eq!(rank(&["py2", "py3"], &["none"], &["any"]), Some(901));
        assert_eq!(
            rank(
                &["cp311"],
                &["cp311"],
                &["manylinux_2_17_x86_64", "manylinux2014_x86_64"]
            ),
            Some(19)
        );
        assert_eq!(
            rank(&["CP38"], &["ABI3"], &["MANYLINUX1_X86_64"]),
            Some(180 + 34)
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
}

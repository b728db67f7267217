//! Platform compatibility tags (PEP 425): which wheels an interpreter can install,
//! best first.
//!
//! <https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/>
//!
//! The list is the one `packaging.tags.sys_tags()` builds (today's packaging, as pip
//! 26 vendors it), item for item and in the same order: the order is what picks one
//! wheel of a release over another, so an installer that orders differently installs
//! different files than pip does. Pure: `python.rs` describes the real interpreter as
//! a [`Target`]; a hand-made `Target` gives the tags of another machine.
//!
//! What packaging 22+ changed and curd follows: `cp311-none-any` after the
//! platform's pure-Python tags, `linux_<arch>` before the manylinux and musllinux
//! tags, `abi3t` in place of `abi3` for a free-threaded build, `fat3` (not `fat32`)
//! among macOS's fat binaries, loongarch64 and riscv64 manylinux wheels, and
//! `armv7l` wheels for a 32-bit interpreter on a 64-bit ARM kernel (`armv8l`).
//! Version numbers are pairs, so a bare `3` never stands for a Python version.
//! iOS, Android and Emscripten have no platform of their own here: their
//! interpreters get the one `Other` tag.

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
    /// Another machine's platform tags, best first, as a user named them
    /// (`--platform`, expanded by [`crate::standards::machine::expand_platforms`]).
    Given { tags: Vec<String> },
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
pub fn short_name(implementation: &str) -> &str {
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
        let (major, minor) = self.python_version;
        let interpreter = match short {
            "pp" => Some("pp3".to_string()),
            "cp" => Some(format!("cp{major}{minor}")),
            _ => None,
        };
        self.compatible_tags(interpreter.as_deref(), &platforms, &mut tags);
        tags
    }

    /// `packaging.tags.cpython_tags`: the interpreter's ABIs, then the stable ABI,
    /// then `none`, then the stable ABI of every earlier minor version down to 3.2
    /// (PEP 384). The stable ABI is `abi3`, or `abi3t` for a free-threaded build
    /// (PEP 803), which cannot load `abi3` extensions.
    fn cpython_tags(&self, platforms: &[String], tags: &mut Vec<Tag>) {
        let (major, minor) = self.python_version;
        let interpreter = format!("cp{major}{minor}");
        let threaded = is_threaded(&self.abis);
        let mut abis: Vec<&str> = self.abis.iter().map(String::as_str).collect();
        let explicit: &[&str] = if threaded {
            &["abi3", "abi3t", "none"]
        } else {
            &["abi3", "none"]
        };
        // Like packaging, only the first of each is moved: they come at their own place.
        for explicit in explicit {
            if let Some(at) = abis.iter().position(|abi| abi == explicit) {
                abis.remove(at);
            }
        }
        for abi in &abis {
            tags.extend(platforms.iter().map(|p| Tag::new(&interpreter, abi, p)));
        }
        let stable = ((major, minor) >= (3, 2)).then_some(if threaded { "abi3t" } else { "abi3" });
        if let Some(stable) = stable {
            tags.extend(platforms.iter().map(|p| Tag::new(&interpreter, stable, p)));
        }
        tags.extend(platforms.iter().map(|p| Tag::new(&interpreter, "none", p)));
        if let Some(stable) = stable {
            for older in (2..minor).rev() {
                let interpreter = format!("cp{major}{older}");
                tags.extend(platforms.iter().map(|p| Tag::new(&interpreter, stable, p)));
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

/// Whether the ABIs are a free-threaded build's (`packaging.tags._is_threaded_cpython`):
/// the first that is `abi3t` or `cp<digits>…` decides, by a `t` among its flags
/// (`cp313t`, `cp313td`).
fn is_threaded(abis: &[String]) -> bool {
    for abi in abis {
        if abi == "abi3t" {
            return true;
        }
        if let Some(rest) = abi.strip_prefix("cp") {
            let flags = rest.trim_start_matches(|c: char| c.is_ascii_digit());
            if flags.len() < rest.len() {
                return flags.contains('t');
            }
        }
    }
    false
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
                // A 32-bit interpreter on a 64-bit ARM kernel runs ARMv7 code too.
                let archs: Vec<&str> = match arch.as_str() {
                    "armv8l" => vec!["armv8l", "armv7l"],
                    arch => vec![arch],
                };
                let mut tags: Vec<String> = archs.iter().map(|a| format!("linux_{a}")).collect();
                tags.extend(manylinux_platforms(&archs, *glibc, *elf_abi));
                if let Some((major, minor)) = *musl {
                    for arch in &archs {
                        tags.extend(
                            (0..=minor)
                                .rev()
                                .map(|m| format!("musllinux_{major}_{m}_{arch}")),
                        );
                    }
                }
                tags
            }
            Platform::MacOs { version, arch } => mac_platforms(*version, arch),
            Platform::Windows { arch } if arch == "x86" => vec!["win32".to_string()],
            Platform::Windows { arch } => vec![format!("win_{arch}")],
            Platform::Other { tag } => vec![tag.clone()],
            Platform::Given { tags } => tags.clone(),
        }
    }
}

/// The manylinux tags that fit this glibc, newest first (`packaging._manylinux.platform_tags`):
/// for each architecture, every glibc minor version down to the oldest the
/// architecture has wheels for (2.5 on x86, 2.17 elsewhere), each legacy alias right
/// after its PEP 600 name.
fn manylinux_platforms(archs: &[&str], glibc: Option<(u32, u32)>, elf_abi: bool) -> Vec<String> {
    let compatible = if archs.contains(&"armv7l") || archs.contains(&"i686") {
        elf_abi
    } else {
        archs.iter().any(|arch| {
            matches!(
                *arch,
                "x86_64" | "aarch64" | "ppc64" | "ppc64le" | "s390x" | "loongarch64" | "riscv64"
            )
        })
    };
    let Some((major, minor)) = glibc.filter(|_| compatible) else {
        return Vec::new();
    };
    let too_old: (i64, i64) = if archs.iter().any(|a| matches!(*a, "x86_64" | "i686")) {
        (2, 4)
    } else {
        (2, 16)
    };
    let (major, minor) = (i64::from(major), i64::from(minor));
    // glibc keeps compatibility across major versions; packaging assumes a major
    // version ends at minor 50 until one actually does.
    let maxima: Vec<(i64, i64)> = std::iter::once((major, minor))
        .chain((2..major).rev().map(|m| (m, 50)))
        .collect();
    let mut tags = Vec::new();
    for arch in archs {
        for &(major, max_minor) in &maxima {
            let min_minor = if major == too_old.0 { too_old.1 } else { -1 };
            for minor in (min_minor + 1..=max_minor).rev() {
                tags.push(format!("manylinux_{major}_{minor}_{arch}"));
                let legacy = match (major, minor) {
                    (2, 17) => Some("manylinux2014"),
                    (2, 12) => Some("manylinux2010"),
                    (2, 5) => Some("manylinux1"),
                    _ => None,
                };
                if let Some(legacy) = legacy {
                    tags.push(format!("{legacy}_{arch}"));
                }
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
        "x86_64" => formats.extend(["intel", "fat64", "fat3"]),
        "i386" => formats.extend(["intel", "fat3", "fat"]),
        "ppc64" if !((10, 4)..=(10, 5)).contains(&version) => return Vec::new(),
        "ppc64" => formats.push("fat64"),
        "ppc" if version > (10, 6) => return Vec::new(),
        "ppc" => formats.extend(["fat3", "fat"]),
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
mod tests;

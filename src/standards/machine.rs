//! Another machine, as `pip download --python-version --platform --implementation
//! --abi` names it: the wheel tags it accepts, and the marker environment its
//! requirements are read in.
//!
//! - pip's `utils/compatibility_tags.get_supported` and `_expand_allowed_platforms`
//! - <https://packaging.python.org/en/latest/specifications/dependency-specifiers/#environment-markers>
//!
//! Traps:
//! - A macOS platform stands for every older macOS it runs wheels of
//!   (`macosx_11_0_arm64` takes `macosx_10_16_universal2`), and `manylinux2014`
//!   for `manylinux2010` and `manylinux1` on x86, as pip expands them; any other
//!   platform is itself only.
//! - pip keeps the running interpreter's markers; curd reads markers on the
//!   machine named (`sys_platform == "darwin"` holds for a macOS platform), taking
//!   the system and machine from the first platform. What a tag cannot tell
//!   (`platform_release`, `platform_version`) is empty on another system.

use std::collections::BTreeMap;
use std::fmt;

use crate::standards::tags::{Platform, Tag, Target, short_name};

/// `--python-version`: as pip takes it, `3`, `3.12`, `3.12.1` or `312`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PythonVersion {
    pub major: u32,
    pub minor: u32,
    pub micro: u32,
}

impl PythonVersion {
    /// Parses pip's forms; `None` for anything else.
    pub fn parse(text: &str) -> Option<PythonVersion> {
        let number = |s: &str| {
            (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u32>().ok())
                .flatten()
        };
        let parts: Vec<&str> = text.trim().split('.').collect();
        let (major, minor, micro) = match parts.as_slice() {
            [joined] if joined.len() > 1 => {
                let (major, minor) = joined.split_at(1);
                (number(major)?, number(minor)?, 0)
            }
            [major] => (number(major)?, 0, 0),
            [major, minor] => (number(major)?, number(minor)?, 0),
            [major, minor, micro] => (number(major)?, number(minor)?, number(micro)?),
            _ => return None,
        };
        Some(PythonVersion {
            major,
            minor,
            micro,
        })
    }
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.micro)
    }
}

/// What `curd wheel` was told of the machine; what is not given is the
/// interpreter's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Machine {
    pub python_version: Option<PythonVersion>,
    /// Platform tags, as given.
    pub platforms: Vec<String>,
    /// The interpreter part of tags: `cp`, `pp`, `py`, ...
    pub implementation: Option<String>,
    pub abis: Vec<String>,
}

/// `packaging.tags.INTERPRETER_SHORT_NAMES`, the other way.
fn long_name(short: &str) -> &str {
    match short {
        "py" => "python",
        "cp" => "cpython",
        "pp" => "pypy",
        "ip" => "ironpython",
        "jy" => "jython",
        other => other,
    }
}

impl Machine {
    /// Whether anything was said: with nothing, the interpreter is the machine.
    pub fn is_given(&self) -> bool {
        self.python_version.is_some()
            || !self.platforms.is_empty()
            || self.implementation.is_some()
            || !self.abis.is_empty()
    }

    /// The machine's tags, best first, as pip's `get_supported` makes them from
    /// what was given and the interpreter (`host`) for the rest.
    pub fn tags(&self, host: &Target) -> Vec<Tag> {
        let python_version = self
            .python_version
            .map_or(host.python_version, |v| (v.major, v.minor));
        let implementation = self
            .implementation
            .as_deref()
            .map_or(host.implementation.clone(), |i| long_name(i).to_string());
        let abis = if !self.abis.is_empty() {
            self.abis.clone()
        } else if implementation == host.implementation && python_version == host.python_version {
            host.abis.clone()
        } else if implementation == "cpython" {
            let (major, minor) = python_version;
            let pymalloc = if (major, minor) < (3, 8) { "m" } else { "" };
            vec![format!("cp{major}{minor}{pymalloc}")]
        } else {
            Vec::new()
        };
        let platform = if self.platforms.is_empty() {
            host.platform.clone()
        } else {
            Platform::Given {
                tags: expand_platforms(&self.platforms),
            }
        };
        let (major, minor) = python_version;
        let mut tags = Target {
            implementation: implementation.clone(),
            python_version,
            abis,
            platform,
        }
        .tags();
        // pip's `compatible_tags` gets the machine's own interpreter (`cp312`), where
        // `sys_tags` gives `pp3` or nothing: its `-none-any` comes before Python's.
        tags.retain(|t| t.platform != "any" || t.interpreter.starts_with("py"));
        let short = self
            .implementation
            .as_deref()
            .unwrap_or(short_name(&implementation));
        let any = tags
            .iter()
            .position(|t| t.platform == "any")
            .unwrap_or(tags.len());
        tags.insert(
            any,
            Tag::new(&format!("{short}{major}{minor}"), "none", "any"),
        );
        tags
    }

    /// The marker environment on the machine: the interpreter's (`host`, by marker
    /// name) with what was given put in.
    pub fn markers(&self, host: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut markers = host.clone();
        let mut set = |name: &str, value: &str| {
            markers.insert(name.to_string(), value.to_string());
        };
        if let Some(version) = self.python_version {
            set(
                "python_version",
                &format!("{}.{}", version.major, version.minor),
            );
            set("python_full_version", &version.to_string());
        }
        if let Some(short) = &self.implementation {
            let (name, platform_name) = match short.as_str() {
                "cp" => ("cpython", "CPython"),
                "pp" => ("pypy", "PyPy"),
                "ip" => ("ironpython", "IronPython"),
                "jy" => ("jython", "Jython"),
                other => (other, other),
            };
            set("implementation_name", name);
            set("platform_python_implementation", platform_name);
        }
        if markers.get("implementation_name").map(String::as_str) == Some("cpython")
            && let Some(full) = markers.get("python_full_version").cloned()
        {
            markers.insert("implementation_version".to_string(), full);
        }
        if let Some(system) = self.platforms.first().and_then(|p| system_of(p)) {
            let mut set = |name: &str, value: &str| {
                markers.insert(name.to_string(), value.to_string());
            };
            let same = host.get("sys_platform").map(String::as_str) == Some(system.sys_platform);
            set("sys_platform", system.sys_platform);
            set("platform_system", system.platform_system);
            set("os_name", system.os_name);
            set("platform_machine", &system.machine);
            if !same {
                set("platform_release", "");
                set("platform_version", "");
            }
        }
        markers
    }
}

/// The system a platform tag is of, as markers name it.
struct System {
    sys_platform: &'static str,
    platform_system: &'static str,
    os_name: &'static str,
    machine: String,
}

fn system_of(tag: &str) -> Option<System> {
    let after = |prefix: &str| tag.strip_prefix(prefix).map(str::to_string);
    let unix = |sys_platform, platform_system, machine| System {
        sys_platform,
        platform_system,
        os_name: "posix",
        machine,
    };
    if tag.starts_with("macosx_") {
        // macosx_11_0_arm64: the machine follows the version.
        let machine = tag.splitn(4, '_').nth(3)?.to_string();
        return Some(unix("darwin", "Darwin", machine));
    }
    if tag.starts_with("manylinux") || tag.starts_with("musllinux") || tag.starts_with("linux_") {
        let machine = linux_arch(tag)?;
        return Some(unix("linux", "Linux", machine));
    }
    let windows = |machine: &str| System {
        sys_platform: "win32",
        platform_system: "Windows",
        os_name: "nt",
        machine: machine.to_string(),
    };
    match tag {
        "win32" => Some(windows("x86")),
        "win_amd64" => Some(windows("AMD64")),
        "win_arm64" => Some(windows("ARM64")),
        _ => after("win_").map(|arch| windows(&arch)),
    }
}

/// The architecture of a Linux tag: what follows `linux_`, `manylinux_2_17_`,
/// `manylinux2014_` or `musllinux_1_2_`.
fn linux_arch(tag: &str) -> Option<String> {
    let (family, rest) = tag.split_once('_')?;
    let rest = if family == "manylinux" || family == "musllinux" {
        rest.splitn(3, '_').nth(2)?
    } else {
        rest
    };
    (!rest.is_empty()).then(|| rest.to_string())
}

/// pip's `_expand_allowed_platforms`: each platform with the older ones it runs
/// wheels of, in order, without repeats.
pub fn expand_platforms(given: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for platform in given {
        for tag in expand_platform(platform) {
            if !out.contains(&tag) {
                out.push(tag);
            }
        }
    }
    out
}

fn expand_platform(platform: &str) -> Vec<String> {
    if platform.starts_with("macosx") {
        let mut parts = platform.splitn(4, '_');
        let (Some(name), Some(major), Some(minor), Some(arch)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return vec![platform.to_string()];
        };
        let (Ok(major), Ok(minor)) = (major.parse::<u32>(), minor.parse::<u32>()) else {
            return vec![platform.to_string()];
        };
        return crate::standards::tags::mac_platforms((major, minor), arch)
            .into_iter()
            .map(|tag| format!("{name}_{}", &tag["macosx_".len()..]))
            .collect();
    }
    let mut out = vec![platform.to_string()];
    if let Some((family, arch)) = platform.split_once('_') {
        match family {
            "manylinux2014" if matches!(arch, "i686" | "x86_64") => {
                out.push(format!("manylinux2010_{arch}"));
                out.push(format!("manylinux1_{arch}"));
            }
            "manylinux2010" => out.push(format!("manylinux1_{arch}")),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions_as_pip_does() {
        let v = |text: &str| PythonVersion::parse(text).map(|v| v.to_string());
        assert_eq!(v("3.12").as_deref(), Some("3.12.0"));
        assert_eq!(v("3.12.1").as_deref(), Some("3.12.1"));
        assert_eq!(v("312").as_deref(), Some("3.12.0"));
        assert_eq!(v("3").as_deref(), Some("3.0.0"));
        for bad in ["", "3.x", "3.12.1.4", "three", "-3"] {
            assert_eq!(v(bad), None, "{bad}");
        }
    }

    #[test]
    fn expands_platforms_as_pip_does() {
        let mac = expand_platforms(&["macosx_11_0_arm64".to_string()]);
        assert_eq!(mac[0], "macosx_11_0_arm64");
        assert!(mac.contains(&"macosx_10_16_universal2".to_string()));
        assert!(!mac.contains(&"macosx_10_16_x86_64".to_string()));
        assert_eq!(
            expand_platforms(&[
                "manylinux2014_x86_64".to_string(),
                "manylinux2010_x86_64".to_string()
            ]),
            [
                "manylinux2014_x86_64",
                "manylinux2010_x86_64",
                "manylinux1_x86_64"
            ]
        );
        assert_eq!(expand_platforms(&["win_amd64".to_string()]), ["win_amd64"]);
    }

    #[test]
    fn markers_follow_the_first_platform() {
        let host: BTreeMap<String, String> = [
            ("sys_platform", "linux"),
            ("platform_system", "Linux"),
            ("os_name", "posix"),
            ("platform_machine", "x86_64"),
            ("platform_release", "6.1"),
            ("platform_version", "#1 SMP"),
            ("python_version", "3.11"),
            ("python_full_version", "3.11.7"),
            ("implementation_name", "cpython"),
            ("implementation_version", "3.11.7"),
            ("platform_python_implementation", "CPython"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let machine = Machine {
            python_version: PythonVersion::parse("3.12"),
            platforms: vec!["macosx_11_0_arm64".to_string()],
            ..Machine::default()
        };
        let markers = machine.markers(&host);
        assert_eq!(markers["sys_platform"], "darwin");
        assert_eq!(markers["platform_system"], "Darwin");
        assert_eq!(markers["platform_machine"], "arm64");
        assert_eq!(markers["platform_release"], "");
        assert_eq!(markers["python_full_version"], "3.12.0");
        assert_eq!(markers["implementation_version"], "3.12.0");
        let linux = Machine {
            platforms: vec!["manylinux_2_17_aarch64".to_string()],
            ..Machine::default()
        };
        let markers = linux.markers(&host);
        assert_eq!(markers["platform_machine"], "aarch64");
        assert_eq!(markers["platform_release"], "6.1");
    }
}

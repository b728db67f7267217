//! The platform as wheel tags see it, worked out from what the interpreter says
//! of itself, function by function as packaging's `platform_tags()` does.

use crate::standards::tags::Platform;

/// The raw facts from which packaging's `platform_tags()` works out the platform.
pub(super) struct PlatformFacts<'a> {
    /// `platform.system()`.
    pub(super) system: &'a str,
    pub(super) sysconfig_platform: &'a str,
    /// `platform.mac_ver()`: the release (`14.2.1`) and the machine.
    pub(super) mac_release: &'a str,
    pub(super) mac_machine: &'a str,
    pub(super) is_64bit: bool,
    pub(super) glibc: Option<(u32, u32)>,
    pub(super) musl: Option<(u32, u32)>,
    pub(super) elf_armhf: bool,
    pub(super) elf_i686: bool,
}

impl PlatformFacts<'_> {
    pub(super) fn platform(&self) -> Platform {
        let normalized = self.sysconfig_platform.replace(['.', '-'], "_");
        let other = || Platform::Other {
            tag: normalized.clone(),
        };
        match self.system {
            "Darwin" => {
                let mut parts = self.mac_release.split('.');
                let number =
                    |p: Option<&str>| p.and_then(|p| p.parse::<u32>().ok()).filter(|n| *n < 1000);
                let Some(major) = number(parts.next()) else {
                    return other();
                };
                let minor = match parts.next() {
                    None => 0,
                    Some(p) => match number(Some(p)) {
                        Some(minor) => minor,
                        None => return other(),
                    },
                };
                // `packaging.tags._mac_arch`: a 32-bit build runs the 32-bit
                // member of its family.
                let arch = match self.mac_machine {
                    machine if self.is_64bit => machine.to_string(),
                    machine if machine.starts_with("ppc") => "ppc".to_string(),
                    _ => "i386".to_string(),
                };
                Platform::MacOs {
                    version: (major, minor),
                    arch,
                }
            }
            "Linux" => {
                let linux = match normalized.as_str() {
                    "linux_x86_64" if !self.is_64bit => "linux_i686",
                    "linux_aarch64" if !self.is_64bit => "linux_armv8l",
                    linux => linux,
                };
                let Some(arch) = linux.strip_prefix("linux_") else {
                    return other();
                };
                let elf_abi = match arch {
                    "armv7l" | "armv8l" => self.elf_armhf,
                    "i686" => self.elf_i686,
                    _ => false,
                };
                Platform::Linux {
                    arch: arch.to_string(),
                    glibc: self.glibc,
                    musl: self.musl,
                    elf_abi,
                }
            }
            _ => match normalized.as_str() {
                "win32" => Platform::Windows { arch: "x86".into() },
                win => match win.strip_prefix("win_") {
                    Some(arch) if arch != "x86" => Platform::Windows { arch: arch.into() },
                    _ => other(),
                },
            },
        }
    }
}

/// `packaging._manylinux._parse_glibc_version`: major and minor at the start,
/// whatever follows (`2.20-2014.11`); `None` for a version packaging cannot read,
/// or too large to be a real one.
pub(super) fn parse_glibc(version: &str) -> Option<(u32, u32)> {
    let (major, rest) = leading_number(version)?;
    let (minor, _) = leading_number(rest.strip_prefix('.')?)?;
    Some((major, minor))
}

/// `packaging._musllinux._parse_musl_version`: the loader prints `musl libc
/// (x86_64)` then `Version 1.2.4`.
pub(super) fn parse_musl(output: &str) -> Option<(u32, u32)> {
    let mut lines = output.lines().map(str::trim).filter(|l| !l.is_empty());
    if !lines.next()?.starts_with("musl") {
        return None;
    }
    parse_glibc(lines.next()?.strip_prefix("Version ")?)
}

/// A run of ASCII digits at the start of `s` and the rest; numbers from 1000 on
/// are refused, since tag lists grow with them.
fn leading_number(s: &str) -> Option<(u32, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: u32 = s[..end].parse().ok()?;
    (n < 1000).then_some((n, &s[end..]))
}

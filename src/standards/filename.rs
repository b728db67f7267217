//! Wheel and sdist file names, parsed into what they say and checked to be safe
//! to use as a file name in the server's storage folder.
//!
//! Wheels: <https://packaging.python.org/en/latest/specifications/binary-distribution-format/>
//! Sdists: <https://packaging.python.org/en/latest/specifications/source-distribution-format/>
//!
//! Storage never joins a client's string to a folder: it parses it here first, so
//! this module is also the traversal guard. Beyond what the specifications ask, it
//! refuses anything that could name another file (`/`, `\`, `..`), hide one (a
//! leading `.`, which also keeps the storage's own temporary files out of reach), or
//! confuse a terminal, a log or a file system (control characters, whitespace,
//! non-ASCII, names longer than file systems allow). Every part of a valid name is
//! ASCII anyway, so the only names refused beyond the specifications are ones no
//! build tool writes.

use std::fmt;

use crate::standards::name::PackageName;
use crate::standards::version::Version;

/// Most file systems refuse longer names, so a longer one could not be stored anyway.
const MAX_LEN: usize = 255;

/// The wheel name template, quoted in errors so a user can see what is missing.
const WHEEL_TEMPLATE: &str = "{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl";

/// A distribution file name that parsed: the only way storage reaches a file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DistFilename {
    Wheel(WheelFilename),
    Sdist(SdistFilename),
}

/// `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`
///
/// The public fields hold the meaning (normalized name, parsed version, lowercase
/// tags, as `packaging` compares them); the file name itself is kept as written,
/// because that is the file on disk.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WheelFilename {
    pub name: PackageName,
    pub version: Version,
    pub build_tag: Option<BuildTag>,
    pub python_tags: Vec<String>,
    pub abi_tags: Vec<String>,
    pub platform_tags: Vec<String>,
    filename: String,
}

/// A wheel's build tag, which breaks ties between wheels of the same version.
///
/// The derived order compares `number` first, then `suffix`, which is the
/// `(int, str)` order the wheel specification prescribes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BuildTag {
    pub number: u64,
    pub suffix: String,
}

/// `{name}-{version}.tar.gz`, or the legacy `.zip`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SdistFilename {
    pub name: PackageName,
    pub version: Version,
    pub extension: SdistExtension,
    filename: String,
}

/// The archive formats an sdist may come in: the specification's `.tar.gz`, and
/// `.zip`, which older releases on indexes still use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SdistExtension {
    TarGz,
    Zip,
}

impl SdistExtension {
    pub fn as_str(self) -> &'static str {
        match self {
            SdistExtension::TarGz => ".tar.gz",
            SdistExtension::Zip => ".zip",
        }
    }
}

/// The three tag sets of a wheel, named in errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagKind {
    Python,
    Abi,
    Platform,
}

impl fmt::Display for TagKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TagKind::Python => "python",
            TagKind::Abi => "abi",
            TagKind::Platform => "platform",
        })
    }
}

/// Why a string is not a distribution file name that storage may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilenameError {
    Empty,
    TooLong {
        filename: String,
    },
    ControlCharacter {
        filename: String,
        character: char,
    },
    PathSeparator {
        filename: String,
        separator: char,
    },
    Whitespace {
        filename: String,
        character: char,
    },
    LeadingDot {
        filename: String,
    },
    DotDot {
        filename: String,
    },
    UnexpectedCharacter {
        filename: String,
        character: char,
    },
    UnknownExtension {
        filename: String,
    },
    WheelParts {
        filename: String,
        found: usize,
    },
    InvalidName {
        filename: String,
        name: String,
    },
    InvalidVersion {
        filename: String,
        version: String,
    },
    InvalidBuildTag {
        filename: String,
        build: String,
    },
    InvalidTags {
        filename: String,
        kind: TagKind,
        tags: String,
    },
    SdistWithoutVersion {
        filename: String,
    },
}

/// Shows a file name inside an error message without letting control or invisible
/// characters reach the terminal or the log, and without flooding either: a name
/// too long to store is cut where a storable one would end.
pub struct Shown<'a>(pub &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.0.chars().enumerate() {
            if i == MAX_LEN {
                return f.write_str("…");
            }
            if c.is_ascii_graphic() || c == ' ' {
                write!(f, "{c}")?;
            } else {
                write!(f, "{}", c.escape_debug())?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for FilenameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use FilenameError::*;
        let filename =
            match self {
                Empty => return f.write_str(
                    "invalid file name: expected a wheel or sdist file name, found an empty string",
                ),
                TooLong { filename }
                | ControlCharacter { filename, .. }
                | PathSeparator { filename, .. }
                | Whitespace { filename, .. }
                | LeadingDot { filename }
                | DotDot { filename }
                | UnexpectedCharacter { filename, .. }
                | UnknownExtension { filename }
                | WheelParts { filename, .. }
                | InvalidName { filename, .. }
                | InvalidVersion { filename, .. }
                | InvalidBuildTag { filename, .. }
                | InvalidTags { filename, .. }
                | SdistWithoutVersion { filename } => filename,
            };
        let kind = match self {
            InvalidName { .. } | InvalidVersion { .. } | WheelParts { .. } => {
                if filename.ends_with(".whl") {
                    "wheel "
                } else {
                    "sdist "
                }
            }
            InvalidBuildTag { .. } | InvalidTags { .. } => "wheel ",
            SdistWithoutVersion { .. } => "sdist ",
            _ => "",
        };
        write!(f, "invalid {kind}file name `{}`: ", Shown(filename))?;
        match self {
            Empty => Ok(()),
            TooLong { filename } => write!(
                f,
                "expected at most {MAX_LEN} bytes, found {}",
                filename.len()
            ),
            ControlCharacter { character, .. } => write!(
                f,
                "expected no control characters, found U+{:04X}",
                u32::from(*character)
            ),
            PathSeparator { separator, .. } => write!(
                f,
                "expected a bare file name, found the path separator `{separator}`"
            ),
            Whitespace { character, .. } => write!(
                f,
                "expected no whitespace, found U+{:04X}",
                u32::from(*character)
            ),
            LeadingDot { .. } => f.write_str("expected a project name first, found a leading `.`"),
            DotDot { .. } => f.write_str("expected no `..`, found one"),
            UnexpectedCharacter { character, .. } => write!(
                f,
                "expected ASCII letters, digits, `.`, `_`, `-`, `+` or `!`, found `{}`",
                character.escape_debug()
            ),
            UnknownExtension { filename } => {
                let found = match filename.rfind('.') {
                    Some(dot) => format!("`{}`", Shown(&filename[dot..])),
                    None => "no extension".to_string(),
                };
                write!(f, "expected `.whl`, `.tar.gz` or `.zip`, found {found}")
            }
            WheelParts { found, .. } => write!(
                f,
                "expected `{WHEEL_TEMPLATE}`, found {found} dash-separated parts instead of 5 or 6"
            ),
            InvalidName { filename, name } if filename.ends_with(".whl") => write!(
                f,
                "expected an escaped project name (ASCII letters and digits, with single `_` or `.` between them), found `{}`",
                Shown(name)
            ),
            InvalidName { name, .. } => write!(
                f,
                "expected a project name (ASCII letters and digits, with `.`, `_` or `-` only between them), found `{}`",
                Shown(name)
            ),
            InvalidVersion { filename, version } if filename.ends_with(".whl") => write!(
                f,
                "expected a PEP 440 version after the name, found `{}`",
                Shown(version)
            ),
            InvalidVersion { version, .. } => write!(
                f,
                "expected a PEP 440 version after the last `-`, found `{}`",
                Shown(version)
            ),
            InvalidBuildTag { build, .. } => write!(
                f,
                "expected a build tag: a number below 2^64, then letters, digits, `.` or `_`, found `{}`",
                Shown(build)
            ),
            InvalidTags { kind, tags, .. } => write!(
                f,
                "expected {kind} tags of ASCII letters, digits and `_`, separated by `.`, found `{}`",
                Shown(tags)
            ),
            SdistWithoutVersion { .. } => {
                f.write_str("expected `{name}-{version}.tar.gz` or `.zip`, found no `-`")
            }
        }
    }
}

impl std::error::Error for FilenameError {}

impl DistFilename {
    pub fn parse(filename: &str) -> Result<Self, FilenameError> {
        check_safe(filename)?;
        if let Some(stem) = filename.strip_suffix(".whl") {
            return parse_wheel(filename, stem).map(DistFilename::Wheel);
        }
        let (stem, extension) = if let Some(stem) = filename.strip_suffix(".tar.gz") {
            (stem, SdistExtension::TarGz)
        } else if let Some(stem) = filename.strip_suffix(".zip") {
            (stem, SdistExtension::Zip)
        } else {
            return Err(FilenameError::UnknownExtension {
                filename: filename.to_string(),
            });
        };
        let (name, version) = split_sdist_stem(stem).ok_or_else(|| sdist_error(filename, stem))?;
        Ok(DistFilename::Sdist(SdistFilename {
            name,
            version,
            extension,
            filename: filename.to_string(),
        }))
    }

    pub fn name(&self) -> &PackageName {
        match self {
            DistFilename::Wheel(w) => &w.name,
            DistFilename::Sdist(s) => &s.name,
        }
    }

    pub fn version(&self) -> &Version {
        match self {
            DistFilename::Wheel(w) => &w.version,
            DistFilename::Sdist(s) => &s.version,
        }
    }

    pub fn is_wheel(&self) -> bool {
        matches!(self, DistFilename::Wheel(_))
    }
}

impl WheelFilename {
    /// The `.dist-info` folder name the specification gives this wheel.
    ///
    /// Wheels built before names were escaped may spell their folder differently
    /// (`Zope.Interface-4.0.dist-info`), so readers should find the folder by its
    /// normalized name and use this string to say what they expected.
    pub fn dist_info_dir(&self) -> String {
        format!("{}-{}.dist-info", self.name.as_escaped(), self.version)
    }
}

impl SdistFilename {
    /// `{name}-{version}` as the file name writes it, which is also the name of
    /// the sdist's top-level folder.
    pub fn stem(&self) -> &str {
        self.filename
            .strip_suffix(self.extension.as_str())
            .unwrap_or(&self.filename)
    }
}

/// Gives back the file name as it was parsed: the name of the file on disk.
impl fmt::Display for DistFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DistFilename::Wheel(w) => w.fmt(f),
            DistFilename::Sdist(s) => s.fmt(f),
        }
    }
}

impl fmt::Display for WheelFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.filename)
    }
}

impl fmt::Display for SdistFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.filename)
    }
}

/// Refuses, with the reason, every name that is unsafe as a storage file name
/// whatever its extension, before its parts are looked at.
fn check_safe(filename: &str) -> Result<(), FilenameError> {
    let owned = || filename.to_string();
    if filename.is_empty() {
        return Err(FilenameError::Empty);
    }
    if filename.len() > MAX_LEN {
        return Err(FilenameError::TooLong { filename: owned() });
    }
    if let Some(character) = filename.chars().find(|c| c.is_control()) {
        return Err(FilenameError::ControlCharacter {
            filename: owned(),
            character,
        });
    }
    if let Some(separator) = filename.chars().find(|c| matches!(c, '/' | '\\')) {
        return Err(FilenameError::PathSeparator {
            filename: owned(),
            separator,
        });
    }
    // Checked here, not left to the version parser: PEP 440 tolerates surrounding
    // whitespace, which would let `foo- 1.0.tar.gz` and `foo-1.0.tar.gz` both parse.
    if let Some(character) = filename.chars().find(|c| c.is_whitespace()) {
        return Err(FilenameError::Whitespace {
            filename: owned(),
            character,
        });
    }
    if filename.starts_with('.') {
        return Err(FilenameError::LeadingDot { filename: owned() });
    }
    // Anywhere, not only as the whole name: no version or tag contains `..`, and a
    // rule without exceptions is easier to trust in a guard.
    if filename.contains("..") {
        return Err(FilenameError::DotDot { filename: owned() });
    }
    if let Some(character) = filename
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '!')))
    {
        return Err(FilenameError::UnexpectedCharacter {
            filename: owned(),
            character,
        });
    }
    Ok(())
}

fn parse_wheel(filename: &str, stem: &str) -> Result<WheelFilename, FilenameError> {
    let owned = || filename.to_string();
    let parts: Vec<&str> = stem.split('-').collect();
    let (name, version, build, python, abi, platform) = match parts.as_slice() {
        [name, version, python, abi, platform] => (name, version, None, python, abi, platform),
        [name, version, build, python, abi, platform] => {
            (name, version, Some(build), python, abi, platform)
        }
        _ => {
            return Err(FilenameError::WheelParts {
                filename: owned(),
                found: parts.len(),
            });
        }
    };
    // Escaping turns every run of `-`, `_` and `.` into one `_`, so `__` cannot come
    // from a build tool; `packaging` refuses it too.
    let name = match PackageName::new(name) {
        Ok(parsed) if !name.contains("__") => parsed,
        _ => {
            return Err(FilenameError::InvalidName {
                filename: owned(),
                name: name.to_string(),
            });
        }
    };
    let version = version.parse().map_err(|_| FilenameError::InvalidVersion {
        filename: owned(),
        version: version.to_string(),
    })?;
    let build_tag = match build {
        Some(build) => {
            Some(
                parse_build_tag(build).ok_or_else(|| FilenameError::InvalidBuildTag {
                    filename: owned(),
                    build: build.to_string(),
                })?,
            )
        }
        None => None,
    };
    let tags = |kind: TagKind, tags: &str| {
        parse_tags(tags).ok_or_else(|| FilenameError::InvalidTags {
            filename: owned(),
            kind,
            tags: tags.to_string(),
        })
    };
    Ok(WheelFilename {
        name,
        version,
        build_tag,
        python_tags: tags(TagKind::Python, python)?,
        abi_tags: tags(TagKind::Abi, abi)?,
        platform_tags: tags(TagKind::Platform, platform)?,
        filename: owned(),
    })
}

fn parse_build_tag(build: &str) -> Option<BuildTag> {
    let digits = build
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(build.len());
    let (number, suffix) = build.split_at(digits);
    if suffix
        .chars()
        .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_')))
    {
        return None;
    }
    // An empty `number` fails to parse, which is the "must start with a digit" rule.
    Some(BuildTag {
        number: number.parse().ok()?,
        suffix: suffix.to_string(),
    })
}

/// A compressed tag set (`py2.py3`), lowercased as `packaging` compares tags.
fn parse_tags(tags: &str) -> Option<Vec<String>> {
    tags.split('.')
        .map(|tag| {
            let valid =
                !tag.is_empty() && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            valid.then(|| tag.to_ascii_lowercase())
        })
        .collect()
}

/// Splits an sdist stem (`python-dateutil-2.8.2`) into name and version.
///
/// The specification's names are escaped and have one dash, but older sdists keep
/// the dashes of the project name, and some the dashes of a legacy version
/// (`1.0-rc1`). Versions rarely contain a dash, so the rightmost dash that leaves a
/// valid name and a valid version wins: that is also where `packaging` splits.
pub(crate) fn split_sdist_stem(stem: &str) -> Option<(PackageName, Version)> {
    stem.rmatch_indices('-').find_map(|(dash, _)| {
        let name = PackageName::new(&stem[..dash]).ok()?;
        let version = stem[dash + 1..].parse().ok()?;
        Some((name, version))
    })
}

/// Says why no split of an sdist stem worked, against the rightmost split, which
/// is the one the user most likely meant.
fn sdist_error(filename: &str, stem: &str) -> FilenameError {
    let filename = filename.to_string();
    match stem.rsplit_once('-') {
        None => FilenameError::SdistWithoutVersion { filename },
        Some((_, version)) if version.parse::<Version>().is_err() => {
            FilenameError::InvalidVersion {
                filename,
                version: version.to_string(),
            }
        }
        Some((name, _)) => FilenameError::InvalidName {
            filename,
            name: name.to_string(),
        },
    }
}

#[cfg(test)]
mod tests;

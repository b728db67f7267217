//! Core metadata (a wheel's METADATA, an sdist's PKG-INFO): the parser for the
//! fields installers and indexes use, and the check that a file's metadata is the
//! project and version its name says. Reading it out of archives is
//! `crate::archive::metadata`'s.
//!
//! <https://packaging.python.org/en/latest/specifications/core-metadata/>

use std::fmt;

use crate::standards::name::{InvalidName, PackageName};
use crate::standards::version::{Version, VersionParseError};

mod json;
pub use json::to_json;

/// The fields of core metadata that installers and indexes use, as written.
///
/// Values are kept as text: the name, version and requirements are parsed by
/// whoever needs them, so that a legacy value in a field nobody uses does not make
/// the whole file unreadable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoreMetadata {
    pub metadata_version: String,
    pub name: String,
    pub version: String,
    pub requires_dist: Vec<String>,
    pub requires_python: Option<String>,
    pub provides_extra: Vec<String>,
    /// The fields an sdist's PKG-INFO leaves to the build (Metadata 2.2, PEP 643).
    pub dynamic: Vec<String>,
}

/// Why metadata could not be parsed.
#[derive(Debug)]
pub enum MetadataError {
    /// A header line (1-based) is not UTF-8, as the specification requires.
    NotUtf8 { line: usize },
    /// A required field is absent or empty.
    MissingField { field: &'static str },
    /// A field that may appear once appears more often.
    DuplicateField { field: &'static str },
    /// A `Metadata-Version` whose major version this reader does not know.
    UnsupportedMetadataVersion { found: String },
}

impl fmt::Display for MetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use MetadataError::*;
        match self {
            NotUtf8 { line } => write!(
                f,
                "invalid metadata: expected UTF-8, found other bytes on line {line}"
            ),
            MissingField { field } => write!(
                f,
                "invalid metadata: expected a `{field}` field with a value, found none"
            ),
            DuplicateField { field } => write!(
                f,
                "invalid metadata: expected one `{field}` field, found several"
            ),
            UnsupportedMetadataVersion { found } => write!(
                f,
                "unsupported metadata: expected `Metadata-Version` 1.x or 2.x, found `{}`",
                found.escape_debug()
            ),
        }
    }
}

impl std::error::Error for MetadataError {}

/// Why a distribution's metadata is not the project and version its file name says.
#[derive(Debug)]
pub enum IdentityError {
    /// The `Name` field is not a valid project name.
    InvalidName(InvalidName),
    /// The `Version` field is not a PEP 440 version.
    InvalidVersion(VersionParseError),
    /// The metadata names another project.
    OtherProject {
        found: String,
        expected: PackageName,
    },
    /// The metadata names another version of the project.
    OtherVersion { found: String, expected: Version },
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentityError::InvalidName(e) => write!(f, "its metadata has an {e}"),
            IdentityError::InvalidVersion(e) => write!(f, "its metadata has an {e}"),
            IdentityError::OtherProject { found, expected } => write!(
                f,
                "its metadata names project `{found}`, but the file name says `{expected}`"
            ),
            IdentityError::OtherVersion { found, expected } => write!(
                f,
                "its metadata says version {found}, but the file name says {expected}"
            ),
        }
    }
}

impl std::error::Error for IdentityError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IdentityError::InvalidName(e) => Some(e),
            IdentityError::InvalidVersion(e) => Some(e),
            IdentityError::OtherProject { .. } | IdentityError::OtherVersion { .. } => None,
        }
    }
}

impl CoreMetadata {
    /// Parses the header section; the body (the description, after the first
    /// blank line) is not read, so only the headers need to be UTF-8.
    pub fn parse(bytes: &[u8]) -> Result<Self, MetadataError> {
        let mut metadata_version = None;
        let mut name = None;
        let mut version = None;
        let mut requires_python = None;
        let mut requires_dist = Vec::new();
        let mut provides_extra = Vec::new();
        let mut dynamic = Vec::new();
        for (field, value) in headers(bytes)? {
            let single = |slot: &mut Option<String>, field: &'static str| {
                if slot.is_some() {
                    return Err(MetadataError::DuplicateField { field });
                }
                *slot = Some(value.clone());
                Ok(())
            };
            if field.eq_ignore_ascii_case("Metadata-Version") {
                single(&mut metadata_version, "Metadata-Version")?;
            } else if field.eq_ignore_ascii_case("Name") {
                single(&mut name, "Name")?;
            } else if field.eq_ignore_ascii_case("Version") {
                single(&mut version, "Version")?;
            } else if field.eq_ignore_ascii_case("Requires-Python") {
                single(&mut requires_python, "Requires-Python")?;
            } else if field.eq_ignore_ascii_case("Requires-Dist") {
                requires_dist.push(value);
            } else if field.eq_ignore_ascii_case("Provides-Extra") {
                provides_extra.push(value);
            } else if field.eq_ignore_ascii_case("Dynamic") {
                dynamic.push(value);
            }
        }
        let required = |value: Option<String>, field: &'static str| {
            value
                .filter(|v| !v.is_empty())
                .ok_or(MetadataError::MissingField { field })
        };
        let metadata_version = required(metadata_version, "Metadata-Version")?;
        if !is_supported_metadata_version(&metadata_version) {
            return Err(MetadataError::UnsupportedMetadataVersion {
                found: metadata_version,
            });
        }
        Ok(CoreMetadata {
            metadata_version,
            name: required(name, "Name")?,
            version: required(version, "Version")?,
            requires_dist,
            requires_python: requires_python.filter(|v| !v.is_empty()),
            provides_extra,
            dynamic,
        })
    }

    /// Whether this PKG-INFO says what every wheel built from its sdist depends on
    /// (`Requires-Dist`, with `Provides-Extra` and `Requires-Python`): from
    /// Metadata 2.2 on, a field not listed in `Dynamic` must be the same in the
    /// wheel (PEP 643). Before 2.2 nothing is promised, and the sdist must be built
    /// to know.
    pub fn has_static_dependencies(&self) -> bool {
        let marks_dynamic = self
            .metadata_version
            .split_once('.')
            .and_then(|(major, minor)| {
                Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?))
            })
            .is_some_and(|version| version >= (2, 2));
        marks_dynamic
            && !["Requires-Dist", "Provides-Extra", "Requires-Python"]
                .iter()
                .any(|field| self.is_dynamic(field))
    }

    /// Whether a PKG-INFO leaves `field` to the build; field names are
    /// case-insensitive, as in email headers.
    pub fn is_dynamic(&self, field: &str) -> bool {
        self.dynamic.iter().any(|d| d.eq_ignore_ascii_case(field))
    }

    /// Checks that the metadata is the project and version a file was named or chosen
    /// for: anything else would install another project, or one version under
    /// another's name. The project is checked first, since another project is the
    /// graver fault.
    pub fn check_identity(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<(), IdentityError> {
        let found_name = PackageName::new(&self.name).map_err(IdentityError::InvalidName)?;
        if &found_name != name {
            return Err(IdentityError::OtherProject {
                found: self.name.clone(),
                expected: name.clone(),
            });
        }
        let found_version: Version = self
            .version
            .parse()
            .map_err(IdentityError::InvalidVersion)?;
        if &found_version != version {
            return Err(IdentityError::OtherVersion {
                found: self.version.clone(),
                expected: version.clone(),
            });
        }
        Ok(())
    }
}

/// The specification says readers must refuse a major version they do not know,
/// and only warn about a newer minor version, which adds fields without changing
/// the ones read here.
fn is_supported_metadata_version(version: &str) -> bool {
    let Some((major, minor)) = version.split_once('.') else {
        return false;
    };
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    matches!(major, "1" | "2") && number(minor)
}

/// Every header field in order, unfolded and trimmed: for showing what a project says
/// of itself (`Summary`, `Author`, …), beyond the fields [`CoreMetadata`] keeps.
pub fn fields(bytes: &[u8]) -> Result<Vec<(String, String)>, MetadataError> {
    headers(bytes)
}

/// The header fields in order, unfolded and trimmed.
///
/// Where the line syntax is loose, this does what Python's `email` parser does,
/// since pip and `packaging` read metadata with it: the headers end at the first
/// blank line or at the first line that is neither a header nor a continuation; a
/// line starting with `:` and a continuation with nothing to continue are skipped.
fn headers(bytes: &[u8]) -> Result<Vec<(String, String)>, MetadataError> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for (index, line) in lines(bytes).enumerate() {
        let text =
            || std::str::from_utf8(line).map_err(|_| MetadataError::NotUtf8 { line: index + 1 });
        match line.first() {
            None => break,
            Some(b' ' | b'\t') => {
                let continuation = text()?;
                if let Some((_, value)) = headers.last_mut() {
                    value.push_str(continuation);
                }
            }
            Some(_) => {
                let Some(colon) = line.iter().position(|&b| b == b':') else {
                    break;
                };
                if colon == 0 {
                    continue;
                }
                if !line[..colon].iter().all(|b| b.is_ascii_graphic()) {
                    break;
                }
                let line = text()?;
                let (field, value) = line.split_at(colon);
                headers.push((field.to_string(), value[1..].to_string()));
            }
        }
    }
    for (_, value) in &mut headers {
        *value = value.trim().to_string();
    }
    Ok(headers)
}

/// Lines without their ending, which may be `\n`, `\r\n` or a lone `\r`.
fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .unwrap_or(rest.len());
        let line = &rest[..end];
        let ending = match rest[end..] {
            [b'\r', b'\n', ..] => 2,
            [] => 0,
            _ => 1,
        };
        rest = &rest[end + ending..];
        Some(line)
    })
}

#[cfg(test)]
mod tests;

//! PEP 508 requirements. (Provisional: replaced by the full implementation.)

use std::fmt;
use std::str::FromStr;

use crate::name::{ExtraName, PackageName};
use crate::specifier::VersionSpecifiers;

/// A dependency as PEP 508 writes it: `name[extras] (specifiers) ; marker`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub name: PackageName,
    pub extras: Vec<ExtraName>,
    pub version_or_url: Option<VersionOrUrl>,
}

/// What a requirement pins: versions, or one file by URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionOrUrl {
    VersionSpecifier(VersionSpecifiers),
    Url(String),
}

/// Why a string is not a PEP 508 requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequirementParseError {
    input: String,
}

impl fmt::Display for RequirementParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid requirement `{}`", self.input)
    }
}

impl std::error::Error for RequirementParseError {}

impl FromStr for Requirement {
    type Err = RequirementParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || RequirementParseError {
            input: s.to_string(),
        };
        let end = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
            .unwrap_or(s.len());
        let name = PackageName::new(&s[..end]).map_err(|_| err())?;
        let rest = s[end..].trim();
        let version_or_url = if rest.is_empty() {
            None
        } else {
            Some(VersionOrUrl::VersionSpecifier(
                rest.parse().map_err(|_| err())?,
            ))
        };
        Ok(Requirement {
            name,
            extras: Vec::new(),
            version_or_url,
        })
    }
}

//! Wheel and sdist file names. (Provisional: replaced by the full implementation.)

use std::fmt;

use crate::name::PackageName;
use crate::version::Version;

/// A distribution file name that parsed: the only way storage reaches a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DistFilename {
    Wheel(WheelFilename),
    Sdist(SdistFilename),
}

/// `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WheelFilename {
    pub raw: String,
    pub name: PackageName,
    pub version: Version,
    pub python_tags: Vec<String>,
    pub abi_tags: Vec<String>,
    pub platform_tags: Vec<String>,
}

/// `{name}-{version}.tar.gz` or `.zip`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdistFilename {
    pub name: PackageName,
    pub version: Version,
    pub raw: String,
}

/// Why a string is not a distribution file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilenameError {
    input: String,
}

impl fmt::Display for FilenameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid distribution file name `{}`", self.input)
    }
}

impl std::error::Error for FilenameError {}

impl DistFilename {
    pub fn parse(s: &str) -> Result<Self, FilenameError> {
        let err = || FilenameError {
            input: s.to_string(),
        };
        if s.contains(['/', '\\', '\0']) || s.starts_with('.') {
            return Err(err());
        }
        if let Some(stem) = s.strip_suffix(".whl") {
            let parts: Vec<&str> = stem.split('-').collect();
            if parts.len() != 5 {
                return Err(err());
            }
            return Ok(DistFilename::Wheel(WheelFilename {
                raw: s.to_string(),
                name: PackageName::new(parts[0]).map_err(|_| err())?,
                version: parts[1].parse().map_err(|_| err())?,
                python_tags: parts[2].split('.').map(String::from).collect(),
                abi_tags: parts[3].split('.').map(String::from).collect(),
                platform_tags: parts[4].split('.').map(String::from).collect(),
            }));
        }
        let stem = s
            .strip_suffix(".tar.gz")
            .or_else(|| s.strip_suffix(".zip"))
            .ok_or_else(err)?;
        let (name, version) = stem.rsplit_once('-').ok_or_else(err)?;
        Ok(DistFilename::Sdist(SdistFilename {
            raw: s.to_string(),
            name: PackageName::new(name).map_err(|_| err())?,
            version: version.parse().map_err(|_| err())?,
        }))
    }

    pub fn is_wheel(&self) -> bool {
        matches!(self, DistFilename::Wheel(_))
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
}

impl fmt::Display for DistFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DistFilename::Wheel(w) => f.write_str(&w.raw),
            DistFilename::Sdist(s) => f.write_str(&s.raw),
        }
    }
}

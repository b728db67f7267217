//! PEP 440 versions. (Provisional: replaced by the full implementation.)

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A PEP 440 version, compared by its meaning (`1.0 == 1.0.0`).
#[derive(Clone, Debug)]
pub struct Version {
    release: Vec<u64>,
    text: String,
}

/// Why a string is not a PEP 440 version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionParseError {
    input: String,
}

impl fmt::Display for VersionParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid version `{}`", self.input)
    }
}

impl std::error::Error for VersionParseError {}

impl FromStr for Version {
    type Err = VersionParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let release: Result<Vec<u64>, _> = s.trim().split('.').map(str::parse).collect();
        match release {
            Ok(release) => Ok(Version {
                release,
                text: s.trim().to_string(),
            }),
            Err(_) => Err(VersionParseError {
                input: s.to_string(),
            }),
        }
    }
}

impl Version {
    /// Whether this is a pre-release or a development release.
    pub fn is_prerelease(&self) -> bool {
        false
    }
    /// Whether it carries a local label (`+ubuntu1`).
    pub fn is_local(&self) -> bool {
        false
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Version {}
impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.release.len().max(other.release.len());
        let get = |r: &[u64], i: usize| r.get(i).copied().unwrap_or(0);
        (0..n)
            .map(|i| get(&self.release, i).cmp(&get(&other.release, i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}
impl std::hash::Hash for Version {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let mut r = self.release.clone();
        while r.last() == Some(&0) {
            r.pop();
        }
        r.hash(state);
    }
}

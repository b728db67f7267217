//! PEP 440 version specifiers. (Provisional: replaced by the full implementation.)

use std::fmt;
use std::str::FromStr;

use crate::version::Version;

/// A comparison operator of a version specifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operator {
    Equal,
    GreaterThanEqual,
    LessThan,
}

/// One clause, such as `>=1.0`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VersionSpecifier {
    pub operator: Operator,
    pub version: Version,
}

/// A comma-separated set of clauses; empty means any version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct VersionSpecifiers(Vec<VersionSpecifier>);

/// Why a string is not a version specifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecifierParseError {
    input: String,
}

impl fmt::Display for SpecifierParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid version specifier `{}`", self.input)
    }
}

impl std::error::Error for SpecifierParseError {}

impl FromStr for VersionSpecifiers {
    type Err = SpecifierParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || SpecifierParseError {
            input: s.to_string(),
        };
        let mut out = Vec::new();
        for clause in s.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            let (operator, rest) = if let Some(r) = clause.strip_prefix(">=") {
                (Operator::GreaterThanEqual, r)
            } else if let Some(r) = clause.strip_prefix("==") {
                (Operator::Equal, r)
            } else if let Some(r) = clause.strip_prefix('<') {
                (Operator::LessThan, r)
            } else {
                return Err(err());
            };
            out.push(VersionSpecifier {
                operator,
                version: rest.trim().parse().map_err(|_| err())?,
            });
        }
        Ok(VersionSpecifiers(out))
    }
}

impl VersionSpecifiers {
    /// Whether `version` satisfies every clause (prereleases not considered).
    pub fn contains(&self, version: &Version) -> bool {
        self.0.iter().all(|s| match s.operator {
            Operator::Equal => version == &s.version,
            Operator::GreaterThanEqual => version >= &s.version,
            Operator::LessThan => version < &s.version,
        })
    }

    /// The versions that satisfy the set, with PEP 440's pre-release rule.
    pub fn filter<'a, I>(&self, versions: I) -> Vec<&'a Version>
    where
        I: IntoIterator<Item = &'a Version>,
    {
        versions.into_iter().filter(|v| self.contains(v)).collect()
    }
}

impl fmt::Display for VersionSpecifiers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let op = match s.operator {
                Operator::Equal => "==",
                Operator::GreaterThanEqual => ">=",
                Operator::LessThan => "<",
            };
            write!(f, "{op}{}", s.version)?;
        }
        Ok(())
    }
}

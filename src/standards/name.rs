//! Project and extra names, validated and normalized as PEP 503 says.
//!
//! <https://packaging.python.org/en/latest/specifications/name-normalization/>
//!
//! A valid name is ASCII letters and digits, with `.`, `_` and `-` allowed only
//! between them. Normalization lowercases it and turns every run of `.`, `_` and
//! `-` into a single `-`, so `Foo.Bar__baz` and `foo-bar-baz` are the same project.
//! Names are normalized when they are built, so no raw string travels between stages.

use std::fmt;
use std::str::FromStr;

/// A normalized project name: the only form in which names are compared or stored.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageName(String);

/// A normalized extra name (PEP 685 normalizes extras the same way as projects).
pub type ExtraName = PackageName;

/// Why a string is not a valid project name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidName {
    name: String,
}

impl fmt::Display for InvalidName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid name `{}`: expected ASCII letters and digits, with `.`, `_` or `-` only between them",
            self.name
        )
    }
}

impl std::error::Error for InvalidName {}

impl PackageName {
    /// Validates `name` and returns its normalized form.
    pub fn new(name: &str) -> Result<Self, InvalidName> {
        let bytes = name.as_bytes();
        let valid = match (bytes.first(), bytes.last()) {
            (Some(first), Some(last)) => {
                first.is_ascii_alphanumeric()
                    && last.is_ascii_alphanumeric()
                    && bytes
                        .iter()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            }
            _ => false,
        };
        if !valid {
            return Err(InvalidName {
                name: name.to_string(),
            });
        }
        let mut normalized = String::with_capacity(name.len());
        let mut in_separator = false;
        for c in name.chars() {
            if matches!(c, '.' | '_' | '-') {
                if !in_separator {
                    normalized.push('-');
                }
                in_separator = true;
            } else {
                normalized.push(c.to_ascii_lowercase());
                in_separator = false;
            }
        }
        Ok(PackageName(normalized))
    }

    /// The normalized name, as used in `/simple/<name>/` URLs.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as the wheel spec escapes it in file and `.dist-info` names:
    /// normalized, with `-` replaced by `_`.
    pub fn as_escaped(&self) -> String {
        self.0.replace('-', "_")
    }
}

impl FromStr for PackageName {
    type Err = InvalidName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PackageName::new(s)
    }
}

impl fmt::Display for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_runs_of_separators_and_case() {
        for (raw, normalized) in [
            ("friendly-bard", "friendly-bard"),
            ("Friendly-Bard", "friendly-bard"),
            ("FRIENDLY-BARD", "friendly-bard"),
            ("friendly.bard", "friendly-bard"),
            ("friendly_bard", "friendly-bard"),
            ("friendly--bard", "friendly-bard"),
            ("FrIeNdLy-._.-bArD", "friendly-bard"),
            ("a", "a"),
            ("A1", "a1"),
            ("zope.interface", "zope-interface"),
        ] {
            assert_eq!(PackageName::new(raw).unwrap().as_str(), normalized, "{raw}");
        }
    }

    #[test]
    fn escapes_for_file_names() {
        assert_eq!(
            PackageName::new("Foo.Bar-baz").unwrap().as_escaped(),
            "foo_bar_baz"
        );
    }

    #[test]
    fn rejects_invalid_names() {
        for raw in [
            "", "-a", "a-", ".a", "a.", "_", "a b", "a/b", "a\0", "é", "a+b", "..", "a..b/",
        ] {
            let err = PackageName::new(raw).unwrap_err();
            assert!(
                err.to_string().starts_with("invalid name `"),
                "{raw}: {err}"
            );
        }
    }
}

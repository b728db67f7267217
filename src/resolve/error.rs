//! Why resolution failed, in terms a person can act on: the chain of versions that
//! led to the failing requirement goes with each error.

use std::fmt;

use crate::standards::name::{ExtraName, PackageName};
use crate::standards::specifier::VersionSpecifiers;
use crate::standards::url::redact_str;
use crate::standards::version::Version;

use super::provider::Unusable;

/// One step of a chain from the root requirements down to a project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub name: PackageName,
    /// Set when the step is the project with one of its extras.
    pub extra: Option<ExtraName>,
    pub version: Version,
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.extra {
            Some(extra) => write!(f, "{}[{extra}] {}", self.name, self.version),
            None => write!(f, "{} {}", self.name, self.version),
        }
    }
}

/// Prints `root -> a 1.0 -> b 2.0`.
struct Chain<'a>(&'a [Link]);

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("root")?;
        for link in self.0 {
            write!(f, " -> {link}")?;
        }
        Ok(())
    }
}

/// How many unusable versions an error names, newest first.
const UNUSABLE_SHOWN: usize = 5;

/// Why resolution failed. Chains start below the root requirements: an empty
/// chain means a root requirement itself.
#[derive(Debug)]
pub enum ResolveError<E> {
    /// The requirements conflict; the text explains how, step by step.
    NoSolution(String),
    /// A requirement that no candidate satisfies, reached through `chain` alone;
    /// `unusable` the versions that would, newest first, and why they cannot be used.
    NoVersions {
        name: PackageName,
        specifiers: VersionSpecifiers,
        chain: Vec<Link>,
        unusable: Vec<(Version, Unusable)>,
    },
    /// The provider failed while resolving the last link of `chain` (or a project
    /// it requires).
    Provider(E, Vec<Link>),
    /// A direct URL requirement, which the caller must pin before resolving.
    Url {
        name: PackageName,
        url: String,
        chain: Vec<Link>,
    },
    /// The search took more than [`Options::max_steps`](super::Options::max_steps) steps.
    TooComplex { steps: usize },
}

impl<E: fmt::Display> fmt::Display for ResolveError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResolveError::NoSolution(explanation) => {
                write!(f, "no solution found:\n{explanation}")
            }
            ResolveError::NoVersions {
                name,
                specifiers,
                chain,
                unusable,
            } => {
                if specifiers.is_empty() && unusable.is_empty() {
                    write!(f, "no version of {name} is available")?;
                } else if specifiers.is_empty() {
                    write!(f, "no version of {name} can be used")?;
                } else {
                    write!(f, "no version of {name} satisfies {specifiers}")?;
                }
                write!(f, " (required by {})", Chain(chain))?;
                for (version, reason) in unusable.iter().take(UNUSABLE_SHOWN) {
                    write!(f, "\n  {name} {version} {reason}")?;
                }
                match unusable.len().saturating_sub(UNUSABLE_SHOWN) {
                    0 => Ok(()),
                    1 => write!(f, "\n  and 1 older version that cannot be used either"),
                    more => write!(
                        f,
                        "\n  and {more} older versions that cannot be used either"
                    ),
                }
            }
            ResolveError::Provider(error, chain) => {
                write!(f, "{error} (while resolving {})", Chain(chain))
            }
            ResolveError::Url { name, url, chain } => write!(
                f,
                "{name} @ {} (required by {}) is a direct URL requirement: \
                 only the command line and requirements files may name one\n\
                 hint: add `{name} @ URL` to the command line or a requirements file",
                redact_str(url),
                Chain(chain)
            ),
            ResolveError::TooComplex { steps } => write!(
                f,
                "gave up after {steps} resolution steps: the requirements leave too many \
                 combinations to try; narrow them or add constraints"
            ),
        }
    }
}

impl<E: fmt::Display + fmt::Debug> std::error::Error for ResolveError<E> {}

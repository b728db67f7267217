//! Where an sdist entry's name, or a link's target, leads: worked out from names
//! alone, before anything is written, so that nothing lands or points outside the
//! project.

use std::collections::HashSet;
use std::fmt;

/// Why an entry's name could lead outside the destination.
#[derive(Debug)]
pub enum NameError {
    /// The name starts at the root.
    Absolute,
    /// A separator on Windows, so a way around the `..` check there.
    Backslash,
    /// No file name holds one; tools would cut the name short there.
    Nul,
    /// A `..` part.
    GoesUp,
    /// A drive letter (`C:`), which Windows reads as another disk's root.
    Drive,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameError::Absolute => "is an absolute path",
            NameError::Backslash => "holds a backslash",
            NameError::Nul => "holds a NUL byte",
            NameError::GoesUp => "goes up a folder with `..`",
            NameError::Drive => "starts with a drive letter",
        })
    }
}

impl std::error::Error for NameError {}

/// A name inside the archive as `/`-separated parts, without `.` and empty parts;
/// `None` for the archive's root itself (`./`).
pub fn archive_path(name: &str) -> Result<Option<String>, NameError> {
    if name.starts_with('/') {
        return Err(NameError::Absolute);
    }
    if name.contains('\\') {
        return Err(NameError::Backslash);
    }
    if name.contains('\0') {
        return Err(NameError::Nul);
    }
    if let [letter, b':', ..] = name.as_bytes()
        && letter.is_ascii_alphabetic()
    {
        return Err(NameError::Drive);
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(NameError::GoesUp),
            part => parts.push(part),
        }
    }
    Ok((!parts.is_empty()).then(|| parts.join("/")))
}

/// Why a symbolic link would lead outside the project.
#[derive(Debug)]
pub enum LinkError {
    /// The target is empty.
    Empty,
    /// The target is absolute, or holds a backslash or a NUL byte.
    NotRelative { target: String },
    /// The target goes up with `..` after passing through another link.
    UpThroughLink { target: String, through: String },
    /// The target goes up past the project folder.
    Outside { target: String },
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::Empty => f.write_str("is a link to nothing"),
            LinkError::NotRelative { target } => {
                write!(f, "is a link to `{}`", target.escape_debug())
            }
            LinkError::UpThroughLink { target, through } => write!(
                f,
                "is a link to `{}`, which goes up after passing through the link `{through}`",
                target.escape_debug()
            ),
            LinkError::Outside { target } => write!(
                f,
                "is a link to `{}`, outside the project",
                target.escape_debug()
            ),
        }
    }
}

impl std::error::Error for LinkError {}

/// Whether a link stays inside the project, worked out from names alone.
///
/// Names tell where a path leads only until it passes through a link: after one,
/// `..` leaves from wherever that link leads (with `a -> .`, `a/a/a/../../..` is
/// two folders above the project). So `..` after a link is refused, and then each
/// link leads where its name says, or further in through links checked the same way.
pub fn check_link(link: &str, target: &str, links: &HashSet<String>) -> Result<(), LinkError> {
    if target.is_empty() {
        return Err(LinkError::Empty);
    }
    if target.starts_with('/') || target.contains('\\') || target.contains('\0') {
        return Err(LinkError::NotRelative {
            target: target.to_string(),
        });
    }
    let mut at: Vec<&str> = link.split('/').collect();
    at.pop();
    let mut through: Option<String> = None;
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if let Some(other) = &through {
                    return Err(LinkError::UpThroughLink {
                        target: target.to_string(),
                        through: other.clone(),
                    });
                }
                at.pop();
                // `at[0]` is the project folder: leaving it leaves the project.
                if at.is_empty() {
                    return Err(LinkError::Outside {
                        target: target.to_string(),
                    });
                }
            }
            part => {
                at.push(part);
                if through.is_none() {
                    let here = at.join("/");
                    if links.contains(&here) {
                        through = Some(here);
                    }
                }
            }
        }
    }
    Ok(())
}

//! htpasswd files and HTTP Basic authentication. (Provisional: replaced by the full implementation.)

use std::fmt;
use std::path::{Path, PathBuf};

/// The users allowed in, read from an htpasswd file and reloaded when it changes.
pub struct UserDb {
    path: PathBuf,
}

/// Why the user database could not be loaded.
#[derive(Debug)]
pub enum AuthError {
    Read { path: PathBuf, message: String },
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Read { path, message } => write!(
                f,
                "cannot read user database `{}`: {message}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for AuthError {}

/// Why a request was not let in; shown in the log, never with the password.
#[derive(Debug, PartialEq, Eq)]
pub enum Denied {
    /// No `Authorization` header.
    Missing,
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denied::Missing => f.write_str("no credentials"),
        }
    }
}

impl UserDb {
    pub fn open(path: &Path) -> Result<UserDb, AuthError> {
        std::fs::metadata(path).map_err(|e| AuthError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(UserDb {
            path: path.to_path_buf(),
        })
    }

    /// Checks the value of an `Authorization` header; returns the user name.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<String, Denied> {
        let _ = (&self.path, authorization);
        Err(Denied::Missing)
    }
}

//! `-u`: wheels the cache servers lacked go back to one of them, so the next machine
//! downloads and builds nothing. An upload that fails is a warning, never a failed
//! install (the environment is already right), unless `--upload-required` makes it
//! one: the summary says how many arrived, and why the others did not.

use std::fmt;
use std::path::PathBuf;

use crate::client::fetch::{Client, FetchError, status_text};
use crate::standards::url::{Url, UrlError};
use crate::util::encoding::percent_encode;
use crate::util::sync::Jobs;

/// What an upload run did.
#[derive(Debug, Default)]
pub struct Uploaded {
    pub count: usize,
    pub failures: Vec<UploadError>,
}

impl Uploaded {
    /// How many wheels were tried.
    pub fn of(&self) -> usize {
        self.count + self.failures.len()
    }

    /// Why the failed uploads failed, each reason once, for a summary line:
    /// `401 Unauthorized: the user name or password was refused`.
    pub fn reasons(&self) -> String {
        let mut reasons: Vec<String> = Vec::new();
        for failure in &self.failures {
            let reason = match &failure.cause {
                UploadCause::Url(e) => e.to_string(),
                UploadCause::Put(e) => short(e),
            };
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
        reasons.join("; ")
    }
}

/// A failed request said without its URL where the status says it all.
fn short(error: &FetchError) -> String {
    match error {
        FetchError::Status { status, detail, .. } => status_text(*status, detail),
        FetchError::GaveUp { last, .. } => short(last),
        other => other.to_string(),
    }
}

/// One wheel that did not reach the server.
#[derive(Debug)]
pub struct UploadError {
    pub name: String,
    pub cause: UploadCause,
}

/// Why a wheel did not reach the server.
#[derive(Debug)]
pub enum UploadCause {
    /// Its name makes no URL under the server's upload folder.
    Url(UrlError),
    /// The server refused it, or could not be reached.
    Put(FetchError),
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not upload `{}`: ", self.name)?;
        match &self.cause {
            UploadCause::Url(e) => e.fmt(f),
            UploadCause::Put(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for UploadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.cause {
            UploadCause::Url(e) => e.source(),
            UploadCause::Put(e) => e.source(),
        }
    }
}

/// PUTs each wheel to `files` + its name, as many at once as `jobs` allows.
pub fn upload(client: &Client, jobs: &Jobs, files: &Url, wheels: &[PathBuf]) -> Uploaded {
    let results = jobs.parallel(wheels, |wheel| {
        let name = wheel
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let url = match files.join(&percent_encode(&name)) {
            Ok(url) => url,
            Err(e) => {
                return Err(UploadError {
                    name,
                    cause: UploadCause::Url(e),
                });
            }
        };
        client.put(&url, wheel).map(drop).map_err(|e| UploadError {
            name,
            cause: UploadCause::Put(e),
        })
    });
    let mut uploaded = Uploaded::default();
    for result in results {
        match result {
            Ok(()) => uploaded.count += 1,
            Err(e) => uploaded.failures.push(e),
        }
    }
    uploaded
}

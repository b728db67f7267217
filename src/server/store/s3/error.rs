//! Why a request to the bucket failed, said for people: the store's own code and
//! message when it gave them, never a credential.

use std::fmt;
use std::path::PathBuf;

/// Why a request to the bucket failed.
#[derive(Debug)]
pub enum S3Error {
    /// The endpoint is not an http or https URL without credentials.
    Endpoint { endpoint: String, reason: String },
    /// The bucket's name cannot be a host name, as virtual-host addressing needs.
    BucketName { bucket: String },
    /// An environment variable of the credentials is unset or empty.
    NoCredentials { missing: &'static str },
    /// The credentials file could not be read or lacks the keys.
    CredentialsFile { path: PathBuf, reason: String },
    /// The store could not be reached, or the connection broke.
    Transfer {
        endpoint: String,
        what: &'static str,
        key: String,
        source: Box<ureq::Error>,
    },
    /// The store refused the credentials or the signature.
    Denied {
        bucket: String,
        code: Option<String>,
        message: Option<String>,
    },
    /// The bucket does not exist.
    NoBucket { bucket: String },
    /// Any other error the store answered.
    Status {
        what: &'static str,
        key: String,
        status: u16,
        code: Option<String>,
        message: Option<String>,
    },
    /// The answer is not what S3 sends (too large, not XML, a field missing).
    Answer {
        what: &'static str,
        key: String,
        reason: &'static str,
    },
    /// The body to send could not be read.
    Local(std::io::Error),
}

/// `: CODE: message`, as much of it as the store said.
fn said(code: &Option<String>, message: &Option<String>) -> String {
    let mut out = String::new();
    for part in [code, message].into_iter().flatten() {
        out.push_str(": ");
        out.push_str(&part.escape_debug().to_string());
    }
    out
}

impl fmt::Display for S3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            S3Error::Endpoint { endpoint, reason } => {
                write!(f, "`--s3-endpoint` `{endpoint}`: {reason}")
            }
            S3Error::BucketName { bucket } => write!(
                f,
                "bucket `{bucket}`: expected a name that can be a host name (lowercase letters, digits, `-` and `.`) for virtual-host addressing\nhint: use path-style addressing"
            ),
            S3Error::NoCredentials { missing } => write!(
                f,
                "no credentials for the bucket: `{missing}` is not set\nhint: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give a credentials file"
            ),
            S3Error::CredentialsFile { path, reason } => {
                write!(f, "credentials file `{}`: {reason}", path.display())
            }
            S3Error::Transfer {
                endpoint,
                what,
                key,
                source,
            } => write!(
                f,
                "cannot reach the store at `{endpoint}` to {what} `{key}`: {source}"
            ),
            S3Error::Denied {
                bucket,
                code,
                message,
            } => write!(
                f,
                "the store refused access to bucket `{bucket}`{}\nhint: check the access key, its secret and the key's rights on the bucket",
                said(code, message)
            ),
            S3Error::NoBucket { bucket } => write!(f, "no bucket `{bucket}` in the store"),
            S3Error::Status {
                what,
                key,
                status,
                code,
                message,
            } => write!(
                f,
                "cannot {what} `{key}`: the store answered HTTP {status}{}",
                said(code, message)
            ),
            S3Error::Answer { what, key, reason } => {
                write!(f, "cannot {what} `{key}`: the store's answer {reason}")
            }
            S3Error::Local(e) => write!(f, "cannot read what to send to the store: {e}"),
        }
    }
}

impl std::error::Error for S3Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            S3Error::Transfer { source, .. } => Some(source.as_ref()),
            S3Error::Local(e) => Some(e),
            _ => None,
        }
    }
}

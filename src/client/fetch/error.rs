//! What can go wrong with a request, said for a user (every URL through its
//! redacting `Display`), and told transient or not, which decides whether a
//! patient policy asks again.

use std::fmt;
use std::io::{self, Read};
use std::path::PathBuf;
use std::time::Duration;

use crate::client::dns::{LookupCause, LookupError};
use crate::client::policy::{MAX_REDIRECTS, Policy, TooSlow, retry_after, seconds};
use crate::standards::url::{Scheme, Url};
use crate::util::fs::FsError;
use crate::util::messages::count;

/// What went wrong, said for a user: every URL is redacted.
#[derive(Debug)]
pub enum FetchError {
    /// The host name gave no address.
    Lookup { url: Url, error: LookupError },
    /// No connection: refused, unreachable.
    Connect { url: Url, reason: String },
    /// No connection (with its TLS handshake) within the policy's connect timeout.
    ConnectTimeout { url: Url, after: Duration },
    /// The TLS handshake or the certificate failed.
    Tls { url: Url, reason: String },
    /// The exchange broke after it started.
    Transfer {
        url: Url,
        reason: String,
        transient: bool,
    },
    /// Connected, but then nothing moved for the policy's read timeout.
    Stalled { url: Url, after: Duration },
    /// The answer, or its head, did not come whole within the policy's deadline.
    Deadline { url: Url, after: Duration },
    /// A download fell below the policy's pace.
    TooSlow { url: Url, slow: TooSlow },
    /// An error status; `detail` is the server's own one-line reason when it gave
    /// one, or a hint about credentials.
    Status {
        url: Url,
        status: u16,
        detail: String,
        /// How long the server asked to be left alone (`Retry-After`).
        retry_after: Option<Duration>,
    },
    /// More than [`MAX_REDIRECTS`] redirects.
    TooManyRedirects { url: Url },
    /// A document bigger than the limit for documents.
    TooLarge { url: Url, limit: u64 },
    /// The file is not the one the index described.
    HashMismatch {
        file: String,
        expected: String,
        actual: String,
    },
    /// A URL this request cannot use (an upload to a `file://` URL).
    Unsupported { url: Url, reason: &'static str },
    /// The certificate bundle given cannot be used.
    Cert { path: PathBuf, reason: String },
    /// Every attempt failed in a way that may pass; this was the last.
    GaveUp {
        attempts: u32,
        last: Box<FetchError>,
    },
    /// A local file (`file://`, the download's destination) cannot be read or written.
    File(FsError),
}

impl FetchError {
    /// Whether the server was never reached: no address for its name, or no
    /// connection (after every retry, when it was retried).
    pub fn is_unreachable(&self) -> bool {
        match self {
            FetchError::Lookup { .. }
            | FetchError::Connect { .. }
            | FetchError::ConnectTimeout { .. } => true,
            FetchError::GaveUp { last, .. } => last.is_unreachable(),
            _ => false,
        }
    }

    /// Whether the same request may succeed if tried again soon: whatever a bad
    /// network or a busy server causes, including a refused connection (a proxy
    /// restarting); never what the server or the user said for good.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Lookup { error, .. } => error.is_transient(),
            FetchError::Connect { .. }
            | FetchError::ConnectTimeout { .. }
            | FetchError::Stalled { .. }
            | FetchError::Deadline { .. }
            | FetchError::TooSlow { .. } => true,
            FetchError::Transfer { transient, .. } => *transient,
            FetchError::Status { status, .. } => {
                *status == 429 || (*status >= 500 && !matches!(status, 501 | 505))
            }
            FetchError::GaveUp { last, .. } => last.is_transient(),
            _ => false,
        }
    }
}

/// An error status as people read it: `401 Unauthorized: the user name or password
/// was refused`.
pub fn status_text(status: u16, detail: &str) -> String {
    let mut text = status.to_string();
    if let Some(reason) = ureq::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        text.push(' ');
        text.push_str(reason);
    }
    if !detail.is_empty() {
        text.push_str(": ");
        text.push_str(detail);
    }
    text
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Lookup { url, error } => write!(
                f,
                "cannot look up `{}` to reach `{url}`: {}",
                error.host, error.cause
            ),
            FetchError::Connect { url, reason } => write!(f, "cannot connect to `{url}`: {reason}"),
            FetchError::ConnectTimeout { url, after } => write!(
                f,
                "cannot connect to `{url}`: no answer (gave up after {})",
                seconds(*after)
            ),
            FetchError::Tls { url, reason } => {
                write!(f, "cannot connect securely to `{url}`: {reason}")?;
                if reason.contains("UnknownIssuer") {
                    f.write_str(
                        " (a network that inspects TLS needs its own authority: pass it with --cert FILE or SSL_CERT_FILE)",
                    )?;
                }
                Ok(())
            }
            FetchError::Transfer { url, reason, .. } => {
                write!(f, "connection to `{url}` failed: {reason}")
            }
            FetchError::Stalled { url, after } => write!(
                f,
                "`{url}` stopped answering (nothing for {})",
                seconds(*after)
            ),
            FetchError::Deadline { url, after } => write!(
                f,
                "`{url}` did not answer in full within {}",
                seconds(*after)
            ),
            FetchError::TooSlow { url, slow } => write!(f, "`{url}` is too slow: {slow}"),
            FetchError::Status {
                url,
                status,
                detail,
                ..
            } => write!(f, "`{url}` answered {}", status_text(*status, detail)),
            FetchError::TooManyRedirects { url } => {
                write!(f, "`{url}` redirected more than {MAX_REDIRECTS} times")
            }
            FetchError::TooLarge { url, limit } => {
                write!(f, "`{url}` sent more than {limit} bytes")
            }
            FetchError::HashMismatch {
                file,
                expected,
                actual,
            } => write!(
                f,
                "sha256 mismatch for `{file}`: expected {expected}, got {actual}"
            ),
            FetchError::Unsupported { url, reason } => write!(f, "cannot use `{url}`: {reason}"),
            FetchError::Cert { path, reason } => write!(
                f,
                "cannot use the certificates in `{}`: {reason}",
                path.display()
            ),
            FetchError::GaveUp { attempts, last } => {
                write!(f, "{last} (tried {})", count(*attempts as usize, "time"))
            }
            FetchError::File(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for FetchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FetchError::Lookup { error, .. } => Some(error),
            FetchError::TooSlow { slow, .. } => Some(slow),
            FetchError::GaveUp { last, .. } => Some(last.as_ref()),
            FetchError::File(e) => Some(e),
            _ => None,
        }
    }
}

impl From<crate::util::tls::CertError> for FetchError {
    fn from(e: crate::util::tls::CertError) -> Self {
        match e {
            crate::util::tls::CertError::Read(e) => FetchError::File(e),
            crate::util::tls::CertError::Invalid { path, reason } => {
                FetchError::Cert { path, reason }
            }
        }
    }
}

impl From<FsError> for FetchError {
    fn from(e: FsError) -> Self {
        FetchError::File(e)
    }
}

/// Maps a ureq error, naming the limit of `policy` that ran out.
pub(super) fn ureq_error(url: &Url, e: ureq::Error, policy: &Policy) -> FetchError {
    let url = url.clone();
    match e {
        ureq::Error::Io(e) => io_error(&url, e, policy),
        ureq::Error::Timeout(ureq::Timeout::Resolve) => FetchError::Lookup {
            error: LookupError {
                host: url.host().to_string(),
                cause: LookupCause::TimedOut(policy.resolve),
            },
            url,
        },
        ureq::Error::Timeout(ureq::Timeout::Connect) => FetchError::ConnectTimeout {
            url,
            after: policy.connect,
        },
        ureq::Error::Timeout(ureq::Timeout::PerRead | ureq::Timeout::PerWrite) => {
            FetchError::Stalled {
                url,
                after: policy.io,
            }
        }
        ureq::Error::Timeout(_) => FetchError::Deadline {
            url,
            after: policy.deadline.unwrap_or(policy.io),
        },
        ureq::Error::HostNotFound => FetchError::Lookup {
            error: LookupError {
                host: url.host().to_string(),
                cause: LookupCause::Failed("no address for it".into()),
            },
            url,
        },
        ureq::Error::ConnectionFailed => FetchError::Connect {
            url,
            reason: "connection failed".into(),
        },
        e @ (ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_)) => {
            FetchError::Tls {
                url,
                reason: e.to_string(),
            }
        }
        e => FetchError::Transfer {
            url,
            reason: e.to_string(),
            transient: false,
        },
    }
}

/// Maps an I/O error from a connection, unwrapping what ureq, the resolver and
/// the pace check wrap in one.
pub(super) fn io_error(url: &Url, e: io::Error, policy: &Policy) -> FetchError {
    if e.get_ref().is_some_and(|inner| inner.is::<ureq::Error>()) {
        return ureq_error(url, ureq::Error::from(e), policy);
    }
    if let Some(error) = e.get_ref().and_then(|i| i.downcast_ref::<LookupError>()) {
        return FetchError::Lookup {
            url: url.clone(),
            error: error.clone(),
        };
    }
    if let Some(slow) = e.get_ref().and_then(|i| i.downcast_ref::<TooSlow>()) {
        return FetchError::TooSlow {
            url: url.clone(),
            slow: slow.clone(),
        };
    }
    let url = url.clone();
    match e.kind() {
        io::ErrorKind::ConnectionRefused => FetchError::Connect {
            url,
            reason: "connection refused".into(),
        },
        io::ErrorKind::NetworkUnreachable
        | io::ErrorKind::HostUnreachable
        | io::ErrorKind::AddrNotAvailable
        | io::ErrorKind::NetworkDown => FetchError::Connect {
            url,
            reason: e.to_string(),
        },
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => FetchError::Stalled {
            url,
            after: policy.io,
        },
        // rustls reports a failed handshake (an unknown authority) this way.
        io::ErrorKind::InvalidData if url.scheme() == Scheme::Https => FetchError::Tls {
            url,
            reason: e.to_string(),
        },
        kind => FetchError::Transfer {
            url,
            reason: match kind {
                io::ErrorKind::UnexpectedEof => "the server closed the connection early".into(),
                _ => e.to_string(),
            },
            transient: matches!(
                kind,
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof
            ),
        },
    }
}

pub(super) fn header(response: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
}

/// A status error, with the first line of a plain-text body as the server's
/// reason (curd-server says why it refused an upload), or a hint for a 401.
pub(super) fn status_error(
    url: &Url,
    response: ureq::http::Response<ureq::Body>,
    sent_credentials: bool,
) -> FetchError {
    let status = response.status().as_u16();
    let retry_after = header(&response, "retry-after").and_then(|v| retry_after(&v));
    let mut head = Vec::new();
    let _ = response
        .into_body()
        .into_reader()
        .take(4096)
        .read_to_end(&mut head);
    let text = String::from_utf8_lossy(&head);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty());
    let mut detail: String = match line {
        Some(l) if !l.starts_with('<') && !l.starts_with('{') => {
            l.chars().filter(|c| !c.is_control()).take(200).collect()
        }
        _ => String::new(),
    };
    if status == 401 && detail.is_empty() {
        detail = if sent_credentials {
            "the user name or password was refused".into()
        } else {
            "a login is needed: put it in the URL (https://USER:PASSWORD@host/) or in ~/.netrc"
                .into()
        };
    }
    FetchError::Status {
        url: url.clone(),
        status,
        detail,
        retry_after,
    }
}

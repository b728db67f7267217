//! The HTTP client: index pages, metadata, downloads and uploads, over one pooled
//! `ureq` agent shared by every thread.
//!
//! What it promises its callers:
//! - A cache server that is down costs about `connect_timeout` (2 s), not minutes:
//!   a refused connection or a connect timeout is never retried. Transient failures
//!   (a reset connection, 5xx, 429) are retried a few times with short backoff.
//! - Hashes are of the bytes the server sent: `Accept-Encoding: identity`, and
//!   ureq is built without decompression, so a `Content-Encoding` changes nothing.
//! - A download is hashed as it streams to a temporary file beside its
//!   destination and renamed into place only once the hash matches: a failure
//!   leaves nothing behind, and two processes downloading the same file at once
//!   both end with the whole file.
//! - Credentials come from the URL or `~/.netrc`, travel only to their own host
//!   (redirects elsewhere drop them), and never appear in an error: every URL is
//!   shown through its redacting `Display`.
//! - TLS trusts the system's CA bundle, because networks that inspect TLS add
//!   their own authority there; Mozilla's roots (built in) are only the fallback
//!   for systems without a bundle, such as scratch containers.
//!
//! `file://` URLs are read from disk, so a local folder or page works wherever a
//! URL does (air-gapped machines, `-f DIR`).

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};
use ureq::tls::{PemItem, RootCerts, TlsConfig};

use crate::client::netrc::Netrc;
use crate::standards::url::{Scheme, Url};
use crate::util::encoding::base64;
use crate::util::fs::{Context, FsError, TempFile};

/// Index pages and metadata are small; a bigger answer is a misbehaving server.
pub const MAX_DOCUMENT_SIZE: u64 = 64 * 1024 * 1024;

const USER_AGENT: &str = concat!("curd/", env!("CARGO_PKG_VERSION"));
const MAX_REDIRECTS: usize = 10;
/// The first retry waits this long, each next one twice as long.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// Where distributions keep their CA bundle, in the order Go and curl look.
const SYSTEM_BUNDLES: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// How a [`Client`] connects. The command line's settings fill in what the
/// environment says (`NETRC`, `SSL_CERT_FILE`); `Default` reads nothing.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// A PEM bundle to trust instead of the system's (`--cert`, as pip has it).
    pub cert: Option<PathBuf>,
    pub connect_timeout: Duration,
    /// The longest wait for any one read or write once connected.
    pub read_timeout: Duration,
    /// Extra attempts after a transient failure.
    pub retries: u32,
    /// The netrc file to take credentials from; `None` for none.
    pub netrc: Option<PathBuf>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            cert: None,
            connect_timeout: Duration::from_secs(2),
            read_timeout: Duration::from_secs(30),
            retries: 3,
            netrc: None,
        }
    }
}

/// One connection pool for the whole process; cheap to share by reference.
pub struct Client {
    agent: ureq::Agent,
    netrc: Netrc,
    connect_timeout: Duration,
    read_timeout: Duration,
    retries: u32,
}

/// A small document, read whole.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Where the document came from after redirects: links in it are relative to this.
    pub final_url: Url,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// A file that was downloaded and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Downloaded {
    pub size: u64,
    pub sha256: String,
}

/// What went wrong, said for a user: every URL is redacted.
#[derive(Debug)]
pub enum FetchError {
    /// No connection: refused, unreachable, unknown host.
    Connect {
        url: Url,
        reason: String,
    },
    ConnectTimeout {
        url: Url,
        after: Duration,
    },
    Tls {
        url: Url,
        reason: String,
    },
    /// The exchange broke after it started.
    Transfer {
        url: Url,
        reason: String,
        transient: bool,
    },
    /// Connected, but then nothing moved for the read timeout.
    Stalled {
        url: Url,
        after: Duration,
    },
    /// An error status, after retries; `detail` is the server's own one-line
    /// reason when it gave one, or a hint about credentials.
    Status {
        url: Url,
        status: u16,
        detail: String,
    },
    TooManyRedirects {
        url: Url,
    },
    TooLarge {
        url: Url,
        limit: u64,
    },
    HashMismatch {
        file: String,
        expected: String,
        actual: String,
    },
    Unsupported {
        url: Url,
        reason: &'static str,
    },
    Cert {
        path: PathBuf,
        reason: String,
    },
    File(FsError),
}

impl FetchError {
    /// Whether the same request may succeed if tried again soon. A refused
    /// connection or a connect timeout is not: retrying a server that is down
    /// only makes the user wait longer for the same answer.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Transfer { transient, .. } => *transient,
            FetchError::Status { status, .. } => {
                *status == 429 || (*status >= 500 && !matches!(status, 501 | 505))
            }
            _ => false,
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
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
            FetchError::Status {
                url,
                status,
                detail,
            } => {
                write!(f, "`{url}` answered {status}")?;
                if let Some(reason) = ureq::http::StatusCode::from_u16(*status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                {
                    write!(f, " {reason}")?;
                }
                if !detail.is_empty() {
                    write!(f, ": {detail}")?;
                }
                Ok(())
            }
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
            FetchError::File(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for FetchError {}

impl From<FsError> for FetchError {
    fn from(e: FsError) -> Self {
        FetchError::File(e)
    }
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

impl Client {
    pub fn new(options: ClientOptions) -> Result<Client, FetchError> {
        let roots = root_certs(options.cert.as_deref())?;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Redirects are followed here, to decide per hop where credentials go.
            .max_redirects(0)
            .user_agent(USER_AGENT)
            .accept_encoding("identity")
            .timeout_resolve(Some(options.connect_timeout))
            .timeout_connect(Some(options.connect_timeout))
            .timeout_per_read(Some(options.read_timeout))
            .timeout_per_write(Some(options.read_timeout))
            // Installs fetch many files from few hosts at once.
            .max_idle_connections(64)
            .max_idle_connections_per_host(32)
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .build();
        let netrc = match &options.netrc {
            // A missing or unreadable netrc is simply no credentials, as in curl.
            Some(path) => std::fs::read_to_string(path)
                .map(|text| Netrc::parse(&text))
                .unwrap_or_default(),
            None => Netrc::default(),
        };
        Ok(Client {
            agent: config.new_agent(),
            netrc,
            connect_timeout: options.connect_timeout,
            read_timeout: options.read_timeout,
            retries: options.retries,
        })
    }

    /// Fetches a small document (an index page, metadata), following redirects.
    /// A 404 is an answer like any other (`Ok`); other error statuses are errors.
    pub fn get(&self, url: &Url, accept: &str) -> Result<Response, FetchError> {
        if url.scheme() == Scheme::File {
            return read_local_document(url);
        }
        self.with_retries(|| {
            let (final_url, response) = self.get_following(url, accept)?;
            let status = response.status().as_u16();
            if status >= 300 && status != 404 {
                return Err(status_error(&final_url, response, false));
            }
            let content_type = header(&response, "content-type");
            let declared = header(&response, "content-length").and_then(|l| l.parse::<u64>().ok());
            if declared.is_some_and(|l| l > MAX_DOCUMENT_SIZE) {
                return Err(FetchError::TooLarge {
                    url: final_url,
                    limit: MAX_DOCUMENT_SIZE,
                });
            }
            let mut body = Vec::new();
            response
                .into_body()
                .into_reader()
                .take(MAX_DOCUMENT_SIZE + 1)
                .read_to_end(&mut body)
                .map_err(|e| self.io_error(&final_url, e))?;
            if body.len() as u64 > MAX_DOCUMENT_SIZE {
                return Err(FetchError::TooLarge {
                    url: final_url,
                    limit: MAX_DOCUMENT_SIZE,
                });
            }
            Ok(Response {
                status,
                final_url,
                content_type,
                body,
            })
        })
    }

    /// Downloads `url` to `dest`, checking `expected_sha256` (hex) when given.
    /// On any failure `dest` is untouched and no temporary file is left. Downloads
    /// go to caches, so `dest` is not fsynced.
    pub fn download(
        &self,
        url: &Url,
        dest: &Path,
        expected_sha256: Option<&str>,
    ) -> Result<Downloaded, FetchError> {
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let file_name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| dest.display().to_string());
        self.with_retries(|| {
            let mut temp = TempFile::new_in(dir)?;
            let (size, sha256) = if url.scheme() == Scheme::File {
                let path = local_path(url)?;
                let file = File::open(&path).context("read", &path)?;
                copy_hashing(file, &mut temp, |e| FetchError::File(read_error(&path, e)))?
            } else {
                let (final_url, response) = self.get_following(url, "*/*")?;
                if response.status().as_u16() >= 300 {
                    return Err(status_error(&final_url, response, false));
                }
                let reader = response.into_body().into_reader();
                copy_hashing(reader, &mut temp, |e| self.io_error(&final_url, e))?
            };
            if let Some(expected) = expected_sha256
                && !expected.eq_ignore_ascii_case(&sha256)
            {
                return Err(FetchError::HashMismatch {
                    file: file_name.clone(),
                    expected: expected.to_ascii_lowercase(),
                    actual: sha256,
                });
            }
            temp.persist_unsynced(dest)?;
            Ok(Downloaded { size, sha256 })
        })
    }

    /// Uploads a file as the raw body of a `PUT` (curd-server's `/p/<file>`), with
    /// its length, and returns the success status (201 created, 200 unchanged).
    pub fn put(&self, url: &Url, body: &Path) -> Result<u16, FetchError> {
        if url.scheme() == Scheme::File {
            return Err(FetchError::Unsupported {
                url: url.clone(),
                reason: "uploads need an http or https URL",
            });
        }
        let credentials = self.credentials_for(url);
        self.with_retries(|| {
            let file = File::open(body).context("read", body)?;
            let mut request = self.agent.put(url.request_target());
            if let Some((user, password)) = &credentials {
                request = request.header("authorization", basic_auth(user, password));
            }
            let response = request
                .header("content-type", "application/octet-stream")
                .send(file)
                .map_err(|e| self.ureq_error(url, e))?;
            let status = response.status().as_u16();
            if status >= 300 {
                return Err(status_error(url, response, credentials.is_some()));
            }
            Ok(status)
        })
    }

    fn with_retries<T>(
        &self,
        mut attempt: impl FnMut() -> Result<T, FetchError>,
    ) -> Result<T, FetchError> {
        let mut delay = FIRST_BACKOFF;
        let mut tries = 0;
        loop {
            match attempt() {
                Err(e) if e.is_transient() && tries < self.retries => {
                    tries += 1;
                    std::thread::sleep(delay);
                    delay *= 2;
                }
                result => return result,
            }
        }
    }

    /// A `GET` that follows redirects, carrying credentials only to the same
    /// origin; a 401 comes back as a status error with a hint about credentials.
    fn get_following(
        &self,
        url: &Url,
        accept: &str,
    ) -> Result<(Url, ureq::http::Response<ureq::Body>), FetchError> {
        let mut current = url.clone();
        let mut credentials = self.credentials_for(url);
        for _ in 0..=MAX_REDIRECTS {
            let mut request = self
                .agent
                .get(current.request_target())
                .header("accept", accept);
            if let Some((user, password)) = &credentials {
                request = request.header("authorization", basic_auth(user, password));
            }
            let response = request.call().map_err(|e| self.ureq_error(&current, e))?;
            let status = response.status().as_u16();
            if status == 401 {
                return Err(status_error(&current, response, credentials.is_some()));
            }
            let location = header(&response, "location");
            let (true, Some(location)) = (matches!(status, 301 | 302 | 303 | 307 | 308), location)
            else {
                return Ok((current, response));
            };
            let next = current.join(&location).map_err(|e| FetchError::Transfer {
                url: current.clone(),
                reason: format!("bad redirect: {e}"),
                transient: false,
            })?;
            if next.scheme() == Scheme::File {
                return Err(FetchError::Unsupported {
                    url: next,
                    reason: "a server may not redirect to a local file",
                });
            }
            (current, credentials) = if next.credentials().is_some() {
                let c = self.credentials_for(&next);
                (next, c)
            } else if current.same_origin(&next) {
                (next.with_userinfo_of(&current), credentials)
            } else {
                let c = self.credentials_for(&next);
                (next, c)
            };
        }
        Err(FetchError::TooManyRedirects { url: current })
    }

    /// The URL's own credentials, else the netrc's for its host. A user name
    /// without a password takes the password from a netrc entry for that user.
    fn credentials_for(&self, url: &Url) -> Option<(String, String)> {
        let from_netrc = self.netrc.lookup(url.host());
        match url.credentials() {
            Some((user, password)) if password.is_empty() => match from_netrc {
                Some((login, password)) if login == user => Some((login, password)),
                _ => Some((user, password)),
            },
            Some(credentials) => Some(credentials),
            None => from_netrc,
        }
    }

    fn ureq_error(&self, url: &Url, e: ureq::Error) -> FetchError {
        let url = url.clone();
        match e {
            ureq::Error::Io(e) => self.io_error(&url, e),
            ureq::Error::Timeout(ureq::Timeout::Resolve | ureq::Timeout::Connect) => {
                FetchError::ConnectTimeout {
                    url,
                    after: self.connect_timeout,
                }
            }
            ureq::Error::Timeout(_) => FetchError::Stalled {
                url,
                after: self.read_timeout,
            },
            ureq::Error::HostNotFound => FetchError::Connect {
                url,
                reason: "host not found".into(),
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

    /// Maps an I/O error from a connection, unwrapping the ureq error that a body
    /// reader wraps in one.
    fn io_error(&self, url: &Url, e: io::Error) -> FetchError {
        if e.get_ref().is_some_and(|inner| inner.is::<ureq::Error>()) {
            return self.ureq_error(url, ureq::Error::from(e));
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
                after: self.read_timeout,
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
}

fn header(response: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
}

/// A status error, with the first line of a plain-text body as the server's
/// reason (curd-server says why it refused an upload), or a hint for a 401.
fn status_error(
    url: &Url,
    response: ureq::http::Response<ureq::Body>,
    sent_credentials: bool,
) -> FetchError {
    let status = response.status().as_u16();
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
    }
}

/// Streams `reader` into `out`, returning the size and hex sha256.
fn copy_hashing(
    mut reader: impl Read,
    out: &mut TempFile,
    read_error: impl Fn(io::Error) -> FetchError,
) -> Result<(u64, String), FetchError> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = crate::util::fs::read_full(&mut reader, &mut buf).map_err(&read_error)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        let path = out.path().to_path_buf();
        out.write_all(&buf[..n]).context("write", &path)?;
        size += n as u64;
    }
    Ok((size, crate::util::digest::hex(&hasher.finalize())))
}

fn read_error(path: &Path, source: io::Error) -> FsError {
    FsError {
        path: path.to_path_buf(),
        action: "read",
        source,
    }
}

fn local_path(url: &Url) -> Result<PathBuf, FetchError> {
    url.to_file_path().ok_or_else(|| FetchError::Unsupported {
        url: url.clone(),
        reason: "not a file on this machine",
    })
}

/// A `file://` document: a missing file is a 404, as a server would say, and a
/// folder stands for its `index.html` (a static mirror of an index).
fn read_local_document(url: &Url) -> Result<Response, FetchError> {
    let mut path = local_path(url)?;
    if path.is_dir() {
        path.push("index.html");
    }
    let not_found = Response {
        status: 404,
        final_url: url.clone(),
        content_type: None,
        body: Vec::new(),
    };
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(not_found),
        Err(e) => return Err(read_error(&path, e).into()),
    };
    let mut body = Vec::new();
    file.take(MAX_DOCUMENT_SIZE + 1)
        .read_to_end(&mut body)
        .context("read", &path)?;
    if body.len() as u64 > MAX_DOCUMENT_SIZE {
        return Err(FetchError::TooLarge {
            url: url.clone(),
            limit: MAX_DOCUMENT_SIZE,
        });
    }
    let html = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
    Ok(Response {
        status: 200,
        final_url: url.clone(),
        content_type: html.then(|| "text/html".to_string()),
        body,
    })
}

/// The trusted roots: `cert` if given (`--cert`, else `SSL_CERT_FILE`), else the
/// first system bundle that holds certificates, else Mozilla's built-in list.
fn root_certs(cert: Option<&Path>) -> Result<RootCerts, FetchError> {
    if let Some(path) = cert.map(Path::to_path_buf) {
        let certs = load_pem(&path)?;
        if certs.is_empty() {
            return Err(FetchError::Cert {
                path,
                reason: "no certificates in it".into(),
            });
        }
        return Ok(RootCerts::from(certs));
    }
    for path in SYSTEM_BUNDLES.iter().map(Path::new) {
        if path.is_file() {
            let certs = load_pem(path)?;
            if !certs.is_empty() {
                return Ok(RootCerts::from(certs));
            }
        }
    }
    Ok(RootCerts::WebPki)
}

fn load_pem(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>, FetchError> {
    let pem = std::fs::read(path).context("read", path)?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(e) => {
                return Err(FetchError::Cert {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                });
            }
        }
    }
    Ok(certs)
}

/// `Basic base64(user:password)`.
fn basic_auth(user: &str, password: &str) -> String {
    format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_basic_auth() {
        assert_eq!(
            basic_auth("alice", "wonderland"),
            "Basic YWxpY2U6d29uZGVybGFuZA=="
        );
        assert_eq!(basic_auth("a", "b"), "Basic YTpi");
        assert_eq!(basic_auth("bob", "p:ss wörd"), "Basic Ym9iOnA6c3Mgd8O2cmQ=");
    }

    fn client_with_netrc(text: &str) -> (Client, PathBuf) {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("curd-netrc-{}-{n}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        let client = Client::new(ClientOptions {
            netrc: Some(path.clone()),
            ..ClientOptions::default()
        })
        .unwrap();
        (client, path)
    }

    #[test]
    fn credentials_come_from_the_url_then_the_netrc() {
        let (client, path) = client_with_netrc(
            "machine cache login alice password wonderland\nmachine tok login t password tp",
        );
        let url = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            client.credentials_for(&url("http://cache:8000/simple/")),
            Some(("alice".into(), "wonderland".into()))
        );
        assert_eq!(
            client.credentials_for(&url("http://bob:pw@cache/")),
            Some(("bob".into(), "pw".into()))
        );
        assert_eq!(
            client.credentials_for(&url("http://alice@cache/")),
            Some(("alice".into(), "wonderland".into()))
        );
        assert_eq!(
            client.credentials_for(&url("http://token@tok/")),
            Some(("token".into(), String::new()))
        );
        assert_eq!(client.credentials_for(&url("http://elsewhere/")), None);
        std::fs::remove_file(path).unwrap();
        // A missing netrc is no credentials, not an error.
        let client = Client::new(ClientOptions {
            netrc: Some(PathBuf::from("/nonexistent/.netrc")),
            ..ClientOptions::default()
        })
        .unwrap();
        assert_eq!(client.credentials_for(&url("http://cache/")), None);
    }

    #[test]
    fn transient_errors_are_the_retryable_ones() {
        let url = Url::parse("http://cache:8000/").unwrap();
        let status = |status| FetchError::Status {
            url: url.clone(),
            status,
            detail: String::new(),
        };
        for s in [429, 500, 502, 503, 504] {
            assert!(status(s).is_transient(), "{s}");
        }
        for s in [400, 401, 403, 404, 409, 501, 505] {
            assert!(!status(s).is_transient(), "{s}");
        }
        let connect = FetchError::Connect {
            url: url.clone(),
            reason: "connection refused".into(),
        };
        assert!(!connect.is_transient());
        let timeout = FetchError::ConnectTimeout {
            url,
            after: Duration::from_secs(2),
        };
        assert!(!timeout.is_transient());
    }

    #[test]
    fn errors_read_well_and_hide_passwords() {
        let url = Url::parse("http://alice:wonderland@cache:8000/simple/x/").unwrap();
        let client = Client::new(ClientOptions {
            netrc: None,
            ..ClientOptions::default()
        })
        .unwrap();
        let cases = [
            (
                FetchError::Connect {
                    url: url.clone(),
                    reason: "connection refused".into(),
                },
                "cannot connect to `http://****@cache:8000/simple/x/`: connection refused",
            ),
            (
                FetchError::ConnectTimeout {
                    url: url.clone(),
                    after: Duration::from_secs(2),
                },
                "cannot connect to `http://****@cache:8000/simple/x/`: no answer (gave up after 2 s)",
            ),
            (
                FetchError::Status {
                    url: url.clone(),
                    status: 500,
                    detail: String::new(),
                },
                "`http://****@cache:8000/simple/x/` answered 500 Internal Server Error",
            ),
            (
                FetchError::Stalled {
                    url: url.clone(),
                    after: Duration::from_millis(1500),
                },
                "`http://****@cache:8000/simple/x/` stopped answering (nothing for 1.5 s)",
            ),
            (
                FetchError::HashMismatch {
                    file: "x.whl".into(),
                    expected: "aa".into(),
                    actual: "bb".into(),
                },
                "sha256 mismatch for `x.whl`: expected aa, got bb",
            ),
            (
                client.io_error(
                    &url,
                    io::Error::new(io::ErrorKind::ConnectionReset, "reset by peer"),
                ),
                "connection to `http://****@cache:8000/simple/x/` failed: reset by peer",
            ),
            (
                client.ureq_error(&url, ureq::Error::HostNotFound),
                "cannot connect to `http://****@cache:8000/simple/x/`: host not found",
            ),
            (
                client.ureq_error(&url, ureq::Error::Timeout(ureq::Timeout::Connect)),
                "cannot connect to `http://****@cache:8000/simple/x/`: no answer (gave up after 2 s)",
            ),
        ];
        for (error, expected) in cases {
            let shown = format!("{error} {error:?}");
            assert_eq!(error.to_string(), expected);
            assert!(!shown.contains("wonderland"), "{shown}");
        }
        assert!(
            client
                .io_error(&url, io::Error::new(io::ErrorKind::ConnectionReset, "x"))
                .is_transient()
        );
        assert!(
            client
                .io_error(&url, io::Error::from(io::ErrorKind::UnexpectedEof))
                .is_transient()
        );
    }

    #[test]
    fn explicit_certificates_must_hold_some() {
        let dir = std::env::temp_dir().join(format!("curd-cert-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = root_certs(Some(&empty)).unwrap_err().to_string();
        assert!(err.starts_with("cannot use the certificates in `"), "{err}");
        let err = root_certs(Some(&dir.join("missing.pem")))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("cannot read `"), "{err}");
        if let Some(system) = SYSTEM_BUNDLES.iter().map(Path::new).find(|p| p.is_file()) {
            assert!(matches!(
                root_certs(Some(system)),
                Ok(RootCerts::Specific(certs)) if !certs.is_empty()
            ));
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

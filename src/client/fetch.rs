//! The HTTP client: index pages, metadata, downloads and uploads, over one pooled
//! `ureq` agent shared by every thread.
//!
//! What it promises its callers:
//! - Each request follows the policy of its kind of source (`client::policy`): a
//!   package index is waited for and asked again; a cache server is given up on
//!   quickly. The policy is chosen by the URL's host and port: every request to a
//!   cache server's, pages and files alike, is quick.
//! - Each host is looked up once per run (`client::dns`), and connections are pooled.
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
use ureq::RequestBuilder;
use ureq::tls::{PemItem, RootCerts, TlsConfig};
use ureq::unversioned::transport::DefaultConnector;

use crate::client::dns::{LookupCause, LookupError, Resolver};
use crate::client::netrc::Netrc;
use crate::client::policy::{
    DEFAULT_RETRIES, DEFAULT_TIMEOUT, MAX_RETRY_AFTER, Paced, Policy, TooSlow, retry_after, seconds,
};
use crate::standards::url::{Scheme, Url};
use crate::util::encoding::base64;
use crate::util::fs::{Context, FsError, TempFile};

/// Index pages and metadata are small; a bigger answer is a misbehaving server.
pub const MAX_DOCUMENT_SIZE: u64 = 64 * 1024 * 1024;

const USER_AGENT: &str = concat!("curd/", env!("CARGO_PKG_VERSION"));
const MAX_REDIRECTS: usize = 10;
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
    /// pip's `--timeout`: the longest wait for a package index at each step (the
    /// lookup, the connection with its handshake, each read or write).
    pub timeout: Duration,
    /// Extra attempts after a transient failure of a package index (`--retries`).
    pub retries: u32,
    /// The netrc file to take credentials from; `None` for none.
    pub netrc: Option<PathBuf>,
    /// The cache servers: requests to their hosts and ports follow the quick policy.
    pub caches: Vec<Url>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            cert: None,
            timeout: DEFAULT_TIMEOUT,
            retries: DEFAULT_RETRIES,
            netrc: None,
            caches: Vec::new(),
        }
    }
}

/// One connection pool and one DNS cache for the whole process; cheap to share by
/// reference.
pub struct Client {
    agent: ureq::Agent,
    netrc: Netrc,
    /// For package indexes and find-links pages.
    patient: Policy,
    /// For cache servers.
    quick: Policy,
    caches: Vec<Url>,
}

/// What a request fetches, which decides the deadlines that apply to it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Exchange {
    /// A small document, read whole within the policy's deadline.
    Document,
    /// A file of any size: its head within the deadline, then at the policy's pace.
    Download,
    /// A file sent: no deadline but each write's.
    Upload,
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
            FetchError::GaveUp { attempts, last } => {
                write!(f, "{last} (tried {attempts} times)")
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

impl From<FsError> for FetchError {
    fn from(e: FsError) -> Self {
        FetchError::File(e)
    }
}

impl Client {
    pub fn new(options: ClientOptions) -> Result<Client, FetchError> {
        Client::with_resolver(options, Resolver::default())
    }

    /// A client whose host names are looked up by `resolver`: tests count and fail
    /// lookups with it.
    pub fn with_resolver(options: ClientOptions, resolver: Resolver) -> Result<Client, FetchError> {
        let roots = root_certs(options.cert.as_deref())?;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // Redirects are followed here, to decide per hop where credentials go.
            .max_redirects(0)
            .user_agent(USER_AGENT)
            .accept_encoding("identity")
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
            agent: ureq::Agent::with_parts(config, DefaultConnector::new(), resolver),
            netrc,
            patient: Policy::patient(options.timeout, options.retries),
            quick: Policy::quick(),
            caches: options.caches,
        })
    }

    /// The policy for requests to `url`: quick for a cache server's host and port,
    /// patient for anything else.
    pub fn policy(&self, url: &Url) -> &Policy {
        let cache = self
            .caches
            .iter()
            .any(|c| c.host() == url.host() && c.port_or_default() == url.port_or_default());
        if cache { &self.quick } else { &self.patient }
    }

    /// Fetches a small document (an index page, metadata), following redirects.
    /// A 404 is an answer like any other (`Ok`); other error statuses are errors.
    pub fn get(&self, url: &Url, accept: &str) -> Result<Response, FetchError> {
        if url.scheme() == Scheme::File {
            return read_local_document(url);
        }
        let policy = self.policy(url);
        self.with_retries(policy, || {
            let (final_url, response) =
                self.get_following(url, accept, policy, Exchange::Document)?;
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
                .map_err(|e| io_error(&final_url, e, policy))?;
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
        let policy = self.policy(url);
        self.with_retries(policy, || {
            let mut temp = TempFile::new_in(dir)?;
            let (size, sha256) = if url.scheme() == Scheme::File {
                let path = local_path(url)?;
                let file = File::open(&path).context("read", &path)?;
                copy_hashing(file, &mut temp, |e| FetchError::File(read_error(&path, e)))?
            } else {
                let (final_url, response) =
                    self.get_following(url, "*/*", policy, Exchange::Download)?;
                if response.status().as_u16() >= 300 {
                    return Err(status_error(&final_url, response, false));
                }
                let reader = response.into_body().into_reader();
                let reader: Box<dyn Read> = match policy.pace {
                    Some(pace) => Box::new(Paced::new(reader, pace)),
                    None => Box::new(reader),
                };
                copy_hashing(reader, &mut temp, |e| io_error(&final_url, e, policy))?
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
        let policy = self.policy(url);
        self.with_retries(policy, || {
            let file = File::open(body).context("read", body)?;
            let mut request = configured(
                self.agent.put(url.request_target()),
                policy,
                Exchange::Upload,
            );
            if let Some((user, password)) = &credentials {
                request = request.header("authorization", basic_auth(user, password));
            }
            let response = request
                .header("content-type", "application/octet-stream")
                .send(file)
                .map_err(|e| ureq_error(url, e, policy))?;
            let status = response.status().as_u16();
            if status >= 300 {
                return Err(status_error(url, response, credentials.is_some()));
            }
            Ok(status)
        })
    }

    /// Runs `attempt` until it succeeds, fails for good, or has failed transiently
    /// `policy.retries` times more; waits between attempts as the policy says, or
    /// as the server's `Retry-After` asks, up to [`MAX_RETRY_AFTER`].
    fn with_retries<T>(
        &self,
        policy: &Policy,
        mut attempt: impl FnMut() -> Result<T, FetchError>,
    ) -> Result<T, FetchError> {
        let mut retries = 0;
        loop {
            let error = match attempt() {
                Err(e) if e.is_transient() => e,
                result => return result,
            };
            let asked = match &error {
                FetchError::Status { retry_after, .. } => *retry_after,
                _ => None,
            };
            if retries == policy.retries || asked.is_some_and(|a| a > MAX_RETRY_AFTER) {
                return Err(match retries {
                    0 => error,
                    _ => FetchError::GaveUp {
                        attempts: retries + 1,
                        last: Box::new(error),
                    },
                });
            }
            retries += 1;
            let wait = policy.backoff(retries).max(asked.unwrap_or_default());
            crate::debug!(
                "{error}; trying again in {} ({retries} of {})",
                seconds(wait),
                policy.retries
            );
            std::thread::sleep(wait);
        }
    }

    /// A `GET` that follows redirects, carrying credentials only to the same
    /// origin; a 401 comes back as a status error with a hint about credentials.
    /// Every hop keeps the first URL's policy: a cache server's answer stays quick.
    fn get_following(
        &self,
        url: &Url,
        accept: &str,
        policy: &Policy,
        exchange: Exchange,
    ) -> Result<(Url, ureq::http::Response<ureq::Body>), FetchError> {
        let mut current = url.clone();
        let mut credentials = self.credentials_for(url);
        for _ in 0..=MAX_REDIRECTS {
            let mut request =
                configured(self.agent.get(current.request_target()), policy, exchange)
                    .header("accept", accept);
            if let Some((user, password)) = &credentials {
                request = request.header("authorization", basic_auth(user, password));
            }
            let response = request
                .call()
                .map_err(|e| ureq_error(&current, e, policy))?;
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
}

/// A request with the timeouts of its policy and exchange. ureq keeps pooling
/// connections for requests whose timeouts differ from the agent's.
fn configured<B>(
    request: RequestBuilder<B>,
    policy: &Policy,
    exchange: Exchange,
) -> RequestBuilder<B> {
    let config = request
        .config()
        .timeout_resolve(Some(policy.resolve))
        .timeout_connect(Some(policy.connect))
        .timeout_per_read(Some(policy.io))
        .timeout_per_write(Some(policy.io));
    match exchange {
        Exchange::Document => config.timeout_global(policy.deadline),
        Exchange::Download => config
            .timeout_send_request(policy.deadline)
            .timeout_recv_response(policy.deadline),
        Exchange::Upload => config,
    }
    .build()
}

/// Maps a ureq error, naming the limit of `policy` that ran out.
fn ureq_error(url: &Url, e: ureq::Error, policy: &Policy) -> FetchError {
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
fn io_error(url: &Url, e: io::Error, policy: &Policy) -> FetchError {
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
mod tests;

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

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};
use ureq::RequestBuilder;
use ureq::tls::TlsConfig;
use ureq::unversioned::transport::DefaultConnector;

use crate::client::dns::Resolver;
use crate::client::policy::{
    DEFAULT_RETRIES, DEFAULT_TIMEOUT, MAX_REDIRECTS, MAX_RETRY_AFTER, Paced, Policy, seconds,
};
use crate::standards::url::{Scheme, Url};
use crate::util::encoding::base64;
use crate::util::fs::{Context, FsError, TempFile};
use crate::util::netrc::Netrc;
use crate::util::tls::root_certs;

mod error;

pub use error::{FetchError, status_text};
use error::{header, io_error, status_error, ureq_error};

/// Index pages and metadata are small; a bigger answer is a misbehaving server.
pub const MAX_DOCUMENT_SIZE: u64 = 64 * 1024 * 1024;

const USER_AGENT: &str = concat!("curd/", env!("CARGO_PKG_VERSION"));
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
    fn policy(&self, url: &Url) -> &Policy {
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
                "retrying in {} ({retries} of {}): {error}",
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

/// `Basic base64(user:password)`.
fn basic_auth(user: &str, password: &str) -> String {
    format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
}

#[cfg(test)]
mod tests;

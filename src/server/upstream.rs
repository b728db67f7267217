//! The upstream indexes (`--upstream`), as the pull-through cache asks them
//! (network I/O): project pages, files and core metadata.
//!
//! - Upstreams are asked in the order given, and the first that knows a project
//!   answers for all of it: another index's project of the same name is never
//!   mixed in, which is how dependency confusion happens. An upstream that fails
//!   (not a 404) fails the page, rather than letting the next index answer for it.
//! - Pages are PEP 503 HTML or PEP 691 JSON, read by `standards::simple`, the
//!   reader the installer uses.
//! - Credentials come from the upstream URL, else `~/.netrc` (or `$NETRC`), and
//!   go only to their own origin (scheme, host and port): redirects are followed
//!   here, hop by hop, as ureq's own rule looks at the host alone. Every URL is
//!   shown through its redacting `Display`, so no password reaches a log, a page
//!   or an error.
//! - Every read is bounded: pages and metadata in size and in time as a whole;
//!   files in size, by a timeout on each read and by a pace they must keep, so a
//!   stalled or trickling upstream frees its worker and those waiting on it.

use std::fmt;
use std::io::Read;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ureq::tls::TlsConfig;

use crate::standards::name::PackageName;
use crate::standards::simple::{ACCEPT, IndexFile, PageError, parse_page};
use crate::standards::url::{Scheme, Url};
use crate::util::encoding::base64;
use crate::util::netrc::Netrc;
use crate::util::pace::{Pace, Paced};
use crate::util::sync::lock;
use crate::util::tls::{CertError, root_certs};

/// The largest page or METADATA file taken from an upstream (PyPI's largest
/// project pages are a few MiB).
pub const MAX_DOCUMENT: u64 = 64 * 1024 * 1024;
/// The largest file pulled through (the largest wheels on PyPI are a few GiB).
pub const MAX_FILE: u64 = 16 << 30;
/// Pages larger than this are read one at a time.
const LARGE_PAGE: usize = 4 * 1024 * 1024;
const CONNECT: Duration = Duration::from_secs(10);
/// A page or METADATA file, whole.
const DOCUMENT_DEADLINE: Duration = Duration::from_secs(60);
/// The longest silence while a file downloads.
const READ: Duration = Duration::from_secs(15);
/// What a file download must bring in every window (13 KiB/s): a slow link
/// passes, a trickle meant to hold the worker is cut off.
const FILE_PACE: Pace = Pace {
    bytes: 64 * 1024,
    window: Duration::from_secs(5),
};
const MAX_REDIRECTS: usize = 10;
const USER_AGENT: &str = concat!("curd-server/", env!("CARGO_PKG_VERSION"));

/// Why an upstream did not give what was asked.
#[derive(Debug)]
pub enum UpstreamError {
    /// The upstream could not be reached, or broke off.
    Transfer { url: Url, reason: String },
    /// The upstream answered with an error status.
    Status { url: Url, status: u16 },
    /// The answer is larger than the server takes.
    TooLarge { url: Url, limit: u64 },
    /// The answer is no index page the server can read.
    Page(PageError),
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpstreamError::Transfer { url, reason } => write!(f, "upstream `{url}`: {reason}"),
            UpstreamError::Status { url, status } => {
                write!(f, "upstream `{url}` answered HTTP {status}")
            }
            UpstreamError::TooLarge { url, limit } => {
                write!(f, "upstream `{url}` sent more than {limit} bytes")
            }
            UpstreamError::Page(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for UpstreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UpstreamError::Page(e) => Some(e),
            _ => None,
        }
    }
}

/// A page or METADATA file as an upstream sent it.
pub struct Document {
    /// Where it came from, after redirects.
    pub url: Url,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// The upstream indexes, in order, over one pooled agent.
pub struct Upstreams {
    agent: ureq::Agent,
    indexes: Vec<Url>,
    netrc: Netrc,
    /// Held while a large page is read.
    reading: Mutex<()>,
}

impl Upstreams {
    /// `netrc` is the text of the netrc file, if there is one.
    pub fn new(indexes: Vec<Url>, netrc: Option<&str>) -> Result<Upstreams, CertError> {
        let roots = root_certs(None)?;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(USER_AGENT)
            .accept_encoding("identity")
            .max_idle_connections_per_host(16)
            .timeout_connect(Some(CONNECT))
            .timeout_per_read(Some(READ))
            .timeout_per_write(Some(READ))
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .build();
        Ok(Upstreams {
            agent: config.into(),
            indexes: indexes.into_iter().map(|u| u.as_directory()).collect(),
            netrc: netrc.map(Netrc::parse).unwrap_or_default(),
            reading: Mutex::new(()),
        })
    }

    pub fn indexes(&self) -> &[Url] {
        &self.indexes
    }

    /// The project's files at the first upstream that knows it; `None` when none does.
    pub fn project(&self, name: &PackageName) -> Result<Option<Vec<IndexFile>>, UpstreamError> {
        for index in &self.indexes {
            let url = index.with_path_suffix(&format!("{}/", name.as_str()));
            let Some(page) = self.document(&url, ACCEPT)? else {
                continue;
            };
            // Reading a page takes some times its size in memory: large ones are
            // read one at a time, so hostile upstreams cannot multiply it.
            let _one_at_a_time = (page.body.len() > LARGE_PAGE).then(|| lock(&self.reading));
            let page = parse_page(page.content_type.as_deref(), &page.body, &page.url)
                .map_err(UpstreamError::Page)?;
            return Ok(Some(page.files));
        }
        Ok(None)
    }

    /// A small document, whole; `None` for a 404.
    pub fn document(&self, url: &Url, accept: &str) -> Result<Option<Document>, UpstreamError> {
        let deadline = Instant::now() + DOCUMENT_DEADLINE;
        let (final_url, response) = self.send(url, |at| {
            let left = deadline.saturating_duration_since(Instant::now());
            self.agent
                .get(at.request_target())
                .config()
                .timeout_global(Some(left.max(Duration::from_millis(1))))
                .build()
                .header("accept", accept)
        })?;
        if response.status().as_u16() == 404 {
            return Ok(None);
        }
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let mut body = Vec::new();
        response
            .into_body()
            .into_reader()
            .take(MAX_DOCUMENT + 1)
            .read_to_end(&mut body)
            .map_err(|e| transfer(url, e))?;
        if body.len() as u64 > MAX_DOCUMENT {
            return Err(UpstreamError::TooLarge {
                url: url.clone(),
                limit: MAX_DOCUMENT,
            });
        }
        Ok(Some(Document {
            url: final_url,
            content_type,
            body,
        }))
    }

    /// A file's bytes as they arrive, cut one byte past [`MAX_FILE`], so a
    /// larger file fails its size check rather than pass truncated.
    pub fn file(&self, url: &Url) -> Result<impl Read + use<>, UpstreamError> {
        let (_, response) = self.send(url, |at| self.agent.get(at.request_target()))?;
        if response.status().as_u16() == 404 {
            return Err(UpstreamError::Status {
                url: url.clone(),
                status: 404,
            });
        }
        let body = response.into_body().into_reader().take(MAX_FILE + 1);
        Ok(Paced::new(body, FILE_PACE))
    }

    /// A `GET` built by `request` for each hop, following redirects: links in
    /// the answer are relative to the URL it returns, which keeps the first URL's
    /// login while the hops stay on its origin.
    fn send(
        &self,
        url: &Url,
        request: impl Fn(&Url) -> ureq::RequestBuilder<ureq::typestate::WithoutBody>,
    ) -> Result<(Url, ureq::http::Response<ureq::Body>), UpstreamError> {
        let mut current = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            if current.scheme() == Scheme::File {
                return Err(UpstreamError::Transfer {
                    url: current,
                    reason: "expected an http or https URL".into(),
                });
            }
            let mut hop = request(&current);
            if let Some((user, password)) = self.credentials_for(&current) {
                let token = base64(format!("{user}:{password}").as_bytes());
                hop = hop.header("authorization", format!("Basic {token}"));
            }
            let response = hop.call().map_err(|e| UpstreamError::Transfer {
                url: current.clone(),
                reason: ureq_reason(e),
            })?;
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok());
            if let (301 | 302 | 303 | 307 | 308, Some(location)) = (status, location) {
                let next = current
                    .join(location)
                    .map_err(|e| UpstreamError::Transfer {
                        url: current.clone(),
                        reason: format!("bad redirect: {e}"),
                    })?;
                current = if current.same_origin(&next) && next.credentials().is_none() {
                    next.with_userinfo_of(&current)
                } else {
                    next
                };
                continue;
            }
            if status >= 300 && status != 404 {
                return Err(UpstreamError::Status {
                    url: current,
                    status,
                });
            }
            return Ok((current, response));
        }
        Err(UpstreamError::Transfer {
            url: current,
            reason: "too many redirects".into(),
        })
    }

    /// The URL's own credentials, else those of the upstream it belongs to (file
    /// links often lose them), else the netrc's for its host.
    fn credentials_for(&self, url: &Url) -> Option<(String, String)> {
        url.credentials()
            .or_else(|| {
                self.indexes
                    .iter()
                    .find(|index| index.same_origin(url))
                    .and_then(Url::credentials)
            })
            .or_else(|| self.netrc.lookup(url.host()))
    }
}

fn transfer(url: &Url, e: std::io::Error) -> UpstreamError {
    UpstreamError::Transfer {
        url: url.clone(),
        reason: e.to_string(),
    }
}

/// What went wrong, in words that name no URL (the caller shows it, redacted).
fn ureq_reason(e: ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(what) => format!("timed out ({what})"),
        ureq::Error::HostNotFound => "no address for its host".into(),
        ureq::Error::Io(e) => e.to_string(),
        ureq::Error::Tls(e) => format!("TLS: {e}"),
        e => e.to_string(),
    }
}

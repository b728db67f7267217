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
//!   go only to their own origin: ureq keeps `Authorization` across a redirect
//!   only to the same host over https. Every URL is shown through its redacting `Display`, so no password
//!   reaches a log, a page or an error.
//! - Every read is bounded: pages and metadata in size and in time as a whole;
//!   files in size and by a timeout on each read, so a stalled upstream frees its
//!   worker.

use std::fmt;
use std::io::Read;
use std::time::Duration;

use ureq::ResponseExt;
use ureq::config::RedirectAuthHeaders;
use ureq::tls::TlsConfig;

use crate::standards::name::PackageName;
use crate::standards::simple::{ACCEPT, IndexFile, PageError, parse_page};
use crate::standards::url::{Scheme, Url};
use crate::util::encoding::base64;
use crate::util::netrc::Netrc;
use crate::util::tls::{CertError, root_certs};

/// The largest page or METADATA file taken from an upstream (PyPI's largest
/// project pages are a few MiB).
pub const MAX_DOCUMENT: u64 = 64 * 1024 * 1024;
/// The largest file pulled through (the largest wheels on PyPI are a few GiB).
pub const MAX_FILE: u64 = 16 << 30;
const CONNECT: Duration = Duration::from_secs(10);
/// A page or METADATA file, whole.
const DOCUMENT_DEADLINE: Duration = Duration::from_secs(60);
/// The longest silence while a file downloads.
const READ: Duration = Duration::from_secs(30);
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
}

impl Upstreams {
    /// `netrc` is the text of the netrc file, if there is one.
    pub fn new(indexes: Vec<Url>, netrc: Option<&str>) -> Result<Upstreams, CertError> {
        let roots = root_certs(None)?;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(10)
            .redirect_auth_headers(RedirectAuthHeaders::SameHost)
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
            let page = parse_page(page.content_type.as_deref(), &page.body, &page.url)
                .map_err(UpstreamError::Page)?;
            return Ok(Some(page.files));
        }
        Ok(None)
    }

    /// A small document, whole; `None` for a 404.
    pub fn document(&self, url: &Url, accept: &str) -> Result<Option<Document>, UpstreamError> {
        let request = self
            .agent
            .get(url.request_target())
            .config()
            .timeout_global(Some(DOCUMENT_DEADLINE))
            .build()
            .header("accept", accept);
        let response = self.send(url, request)?;
        if response.status().as_u16() == 404 {
            return Ok(None);
        }
        // Links are relative to where redirects led, with the first URL's login
        // where they stayed on its origin.
        let landed = Url::parse(&response.get_uri().to_string())
            .ok()
            .filter(|landed| landed.request_target() != url.request_target());
        let final_url = match landed {
            Some(landed) if url.same_origin(&landed) => landed.with_userinfo_of(url),
            Some(landed) => landed,
            None => url.clone(),
        };
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
        let response = self.send(url, self.agent.get(url.request_target()))?;
        if response.status().as_u16() == 404 {
            return Err(UpstreamError::Status {
                url: url.clone(),
                status: 404,
            });
        }
        Ok(response.into_body().into_reader().take(MAX_FILE + 1))
    }

    fn send(
        &self,
        url: &Url,
        mut request: ureq::RequestBuilder<ureq::typestate::WithoutBody>,
    ) -> Result<ureq::http::Response<ureq::Body>, UpstreamError> {
        if url.scheme() == Scheme::File {
            return Err(UpstreamError::Transfer {
                url: url.clone(),
                reason: "expected an http or https URL".into(),
            });
        }
        if let Some((user, password)) = self.credentials_for(url) {
            let token = base64(format!("{user}:{password}").as_bytes());
            request = request.header("authorization", format!("Basic {token}"));
        }
        let response = request.call().map_err(|e| UpstreamError::Transfer {
            url: url.clone(),
            reason: ureq_reason(e),
        })?;
        let status = response.status().as_u16();
        if status >= 300 && status != 404 {
            return Err(UpstreamError::Status {
                url: url.clone(),
                status,
            });
        }
        Ok(response)
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
        ureq::Error::TooManyRedirects => "too many redirects".into(),
        e => e.to_string(),
    }
}

//! An S3-compatible bucket (network I/O): AWS, MinIO, Garage, Ceph RGW, R2.
//!
//! Requests are signed with Signature Version 4 ([`sign`]) and sent over the one
//! blocking HTTP client the binary already has; answers in XML are read bounded
//! and only for the few elements needed ([`xml`]).
//!
//! - Bodies stream both ways: a PUT sends from a reader with its length known (S3
//!   takes no chunked bodies), signing the body's sha256 when the caller knows it
//!   and `UNSIGNED-PAYLOAD` otherwise; a GET hands back a reader. A file larger
//!   than a part goes up as a multipart upload ([`multipart`]), which becomes
//!   visible whole at completion or not at all.
//! - A write can be made conditional (`If-None-Match: *`): a store that honours it
//!   answers 412 when the key exists. Some stores ignore the header and overwrite;
//!   [`Bucket::honours_if_none_match`] finds out, so the caller can fall back.
//! - Requests whose body can be sent again (none, or bytes in memory) are retried
//!   on a dropped connection or a 500/503, a few times with a short pause: one
//!   node of a cluster going away should not fail a request.
//! - Credentials live in [`Credentials`] and reach the wire only as a signature;
//!   no error or log line carries them. The endpoint may not hold a password.

mod credentials;
mod error;
mod multipart;
pub mod sign;
mod xml;

use std::fmt;
use std::io::Read;
use std::time::{Duration, SystemTime};

use ureq::http::{Response, StatusCode};

pub use self::credentials::Credentials;
pub use self::error::S3Error;
use self::sign::{EMPTY_SHA256, Scope, Stamp, UNSIGNED_PAYLOAD};
use crate::standards::url::{Scheme, Url};
use crate::util::clock::parse_utc;

/// The largest XML answer read (a listing page of 1,000 long keys is ~1 MiB).
const MAX_ANSWER: u64 = 8 << 20;
/// The most keys one listing may bring: a third of a million distributions (three
/// objects each), some 150 MB of keys at the peak of a listing.
pub const MAX_LISTED: usize = 1_000_000;
/// The most pages one listing may take, so a store answering empty pages that
/// never end cannot keep a listing going.
const MAX_PAGES: usize = 10_000;
/// The largest error body read, for its code and message.
const MAX_ERROR: u64 = 64 * 1024;
/// Tries for a request whose body can be sent again.
const TRIES: u32 = 3;
const RETRY_PAUSE: Duration = Duration::from_millis(200);
/// Parts of a multipart upload: S3's smallest is 5 MiB (all but the last).
pub const MIN_PART: u64 = 5 << 20;
pub const DEFAULT_PART: u64 = 16 << 20;

/// How the bucket is named in a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addressing {
    /// `https://endpoint/bucket/key`: every store takes it.
    Path,
    /// `https://bucket.endpoint/key`: AWS's preferred form; needs DNS for each bucket.
    VirtualHost,
}

/// Where the bucket is and how to reach it.
#[derive(Debug)]
pub struct Config {
    /// `http(s)://host[:port][/path]`.
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub addressing: Addressing,
    pub credentials: Credentials,
    /// The longest wait to connect, and the longest silence on a connection.
    pub timeout: Duration,
    /// Files larger than this go up in parts of this size (at least [`MIN_PART`]).
    pub part_size: u64,
}

/// What a HEAD or a listing says of an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    /// As the store sends it, quotes included.
    pub etag: String,
    /// When the store stored it, by the store's clock (seconds since 1970), as
    /// listings give it.
    pub modified: Option<u64>,
}

/// An object being read.
pub struct Object {
    pub size: u64,
    pub etag: String,
    pub body: Box<dyn Read + Send>,
}

impl fmt::Debug for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Object({} bytes, {})", self.size, self.etag)
    }
}

/// One page of a listing.
pub struct Page {
    pub objects: Vec<ObjectInfo>,
    /// Where the next page starts, when there is one.
    pub next: Option<String>,
}

/// Whether a write may replace what is there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overwrite {
    Always,
    /// `If-None-Match: *`: only when the key is absent (if the store honours it).
    IfAbsent,
}

/// What a write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    Stored,
    /// A conditional write found the key there, and left it.
    Exists,
}

/// A request body.
pub enum Payload<'a> {
    Empty,
    Bytes(&'a [u8]),
    /// `len` bytes from `reader`; `sha256` signs them when known.
    Stream {
        reader: &'a mut dyn Read,
        len: u64,
        sha256: Option<&'a str>,
    },
}

impl Payload<'_> {
    fn sha256(&self) -> String {
        match self {
            Payload::Empty => EMPTY_SHA256.to_string(),
            Payload::Bytes(b) => crate::util::digest::sha256_hex(b),
            Payload::Stream { sha256, .. } => sha256.unwrap_or(UNSIGNED_PAYLOAD).to_string(),
        }
    }

    fn len(&self) -> u64 {
        match self {
            Payload::Empty => 0,
            Payload::Bytes(b) => b.len() as u64,
            Payload::Stream { len, .. } => *len,
        }
    }
}

/// One signed request.
struct Call<'a> {
    method: &'static str,
    /// For errors: what was being done.
    what: &'static str,
    key: &'a str,
    query: &'a [(&'a str, &'a str)],
    headers: &'a [(&'a str, &'a str)],
}

/// A bucket and the client that reaches it.
pub struct Bucket {
    agent: ureq::Agent,
    scheme: Scheme,
    /// `host[:port]` of the endpoint.
    authority: String,
    /// The endpoint's path, without a trailing `/`.
    base: String,
    bucket: String,
    region: String,
    addressing: Addressing,
    credentials: Credentials,
    part_size: u64,
}

impl fmt::Debug for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bucket({})", self.describe())
    }
}

impl Bucket {
    pub fn new(config: Config) -> Result<Bucket, S3Error> {
        let bad = |reason: &str| S3Error::Endpoint {
            endpoint: crate::standards::url::redact_str(&config.endpoint),
            reason: reason.to_string(),
        };
        let lower = config.endpoint.to_ascii_lowercase();
        if !lower.starts_with("http://") && !lower.starts_with("https://") {
            return Err(bad("expected an http or https URL"));
        }
        let url = Url::parse(&config.endpoint).map_err(|e| bad(&e.to_string()))?;
        if !matches!(url.scheme(), Scheme::Http | Scheme::Https) {
            return Err(bad("expected an http or https URL"));
        }
        if url.credentials().is_some() {
            return Err(bad(
                "expected no credentials in the URL (give them by AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a file)",
            ));
        }
        if url.path().contains('?') || url.fragment().is_some() {
            return Err(bad("expected no query or fragment"));
        }
        if config.addressing == Addressing::VirtualHost && !host_label(&config.bucket) {
            return Err(S3Error::BucketName {
                bucket: config.bucket,
            });
        }
        let host = if url.host().contains(':') {
            format!("[{}]", url.host())
        } else {
            url.host().to_string()
        };
        let default_port = if url.scheme() == Scheme::Https {
            443
        } else {
            80
        };
        let authority = match url.port_or_default() {
            Some(port) if port != default_port => format!("{host}:{port}"),
            _ => host,
        };
        let agent_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("curd-server/", env!("CARGO_PKG_VERSION")))
            .accept_encoding("identity")
            .max_idle_connections_per_host(32)
            .timeout_connect(Some(config.timeout))
            .timeout_per_read(Some(config.timeout))
            .timeout_per_write(Some(config.timeout))
            .build();
        Ok(Bucket {
            agent: agent_config.into(),
            scheme: url.scheme(),
            authority,
            base: url.path().trim_end_matches('/').to_string(),
            bucket: config.bucket,
            region: config.region,
            addressing: config.addressing,
            credentials: config.credentials,
            part_size: config.part_size.max(MIN_PART),
        })
    }

    pub fn name(&self) -> &str {
        &self.bucket
    }

    /// The endpoint and bucket, for messages (no credentials).
    pub fn describe(&self) -> String {
        format!("{}/{}", self.endpoint(), self.bucket)
    }

    fn endpoint(&self) -> String {
        format!("{}://{}{}", self.scheme.as_str(), self.authority, self.base)
    }

    /// The host and encoded path of `key` (the bucket itself, `/bucket/`, when empty).
    fn target(&self, key: &str) -> (String, String) {
        let key = sign::uri_encode(key, true);
        match self.addressing {
            Addressing::Path => (
                self.authority.clone(),
                format!("{}/{}/{key}", self.base, self.bucket),
            ),
            Addressing::VirtualHost => (
                format!("{}.{}", self.bucket, self.authority),
                format!("{}/{key}", self.base),
            ),
        }
    }

    /// Signs and sends one request; the answer may be any status.
    fn send(&self, call: &Call<'_>, payload: Payload<'_>) -> Result<Response<ureq::Body>, S3Error> {
        let replayable = !matches!(payload, Payload::Stream { .. });
        let mut payload = payload;
        let mut tries = 0;
        loop {
            tries += 1;
            let result = self.send_once(call, &mut payload);
            let retry = replayable
                && tries < TRIES
                && match &result {
                    Err(S3Error::Transfer { .. }) => true,
                    Ok(response) => matches!(
                        response.status(),
                        StatusCode::INTERNAL_SERVER_ERROR | StatusCode::SERVICE_UNAVAILABLE
                    ),
                    Err(_) => false,
                };
            if !retry {
                return result;
            }
            std::thread::sleep(RETRY_PAUSE * tries);
        }
    }

    fn send_once(
        &self,
        call: &Call<'_>,
        payload: &mut Payload<'_>,
    ) -> Result<Response<ureq::Body>, S3Error> {
        let (host, path) = self.target(if call.what == "list" { "" } else { call.key });
        let query = sign::canonical_query(call.query);
        let stamp = Stamp::of(SystemTime::now());
        let sha256 = payload.sha256();
        let length = payload.len().to_string();
        let has_body = matches!(call.method, "PUT" | "POST");
        let mut headers: Vec<(&str, &str)> = vec![
            ("host", &host),
            ("x-amz-content-sha256", &sha256),
            ("x-amz-date", &stamp.datetime),
        ];
        headers.extend_from_slice(call.headers);
        let authorization = sign::authorization(
            &self.credentials,
            &Scope {
                region: &self.region,
                stamp: &stamp,
            },
            &sign::Request {
                method: call.method,
                path: &path,
                query: &query,
                headers: &headers,
                payload: &sha256,
            },
        );
        let mut url = format!("{}://{host}{path}", self.scheme.as_str());
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        let mut request = ureq::http::Request::builder().method(call.method).uri(&url);
        for (name, value) in &headers {
            request = request.header(*name, *value);
        }
        request = request.header("authorization", authorization);
        if has_body {
            request = request.header("content-length", &length);
        }
        let result = match payload {
            Payload::Empty => request
                .body(ureq::SendBody::none())
                .map(|r| self.agent.run(r)),
            Payload::Bytes(bytes) => {
                // A copy of the slice, so a retry sends the bytes again.
                let mut unread: &[u8] = bytes;
                request
                    .body(ureq::SendBody::from_reader(&mut unread))
                    .map(|r| self.agent.run(r))
            }
            Payload::Stream { reader, .. } => request
                .body(ureq::SendBody::from_reader(reader))
                .map(|r| self.agent.run(r)),
        };
        result
            .map_err(ureq::Error::Http)
            .and_then(|r| r)
            .map_err(|source| self.transfer_error(call.what, call.key, source))
    }

    /// The error a failed answer means.
    fn failure(&self, what: &'static str, key: &str, response: Response<ureq::Body>) -> S3Error {
        let status = response.status().as_u16();
        let body = read_text(response, MAX_ERROR).unwrap_or_default();
        let code = xml::first(&body, "Code");
        let message = xml::first(&body, "Message");
        match (status, code.as_deref()) {
            (404, Some("NoSuchBucket")) => S3Error::NoBucket {
                bucket: self.bucket.clone(),
            },
            (401 | 403, _)
            | (
                400,
                Some(
                    "InvalidAccessKeyId" | "SignatureDoesNotMatch" | "AuthorizationHeaderMalformed",
                ),
            ) => S3Error::Denied {
                bucket: self.bucket.clone(),
                code,
                message,
            },
            _ => S3Error::Status {
                what,
                key: key.to_string(),
                status,
                code,
                message,
            },
        }
    }

    /// What the bucket holds under `key`, or `None`.
    pub fn head(&self, key: &str) -> Result<Option<ObjectInfo>, S3Error> {
        let call = Call {
            method: "HEAD",
            what: "look up",
            key,
            query: &[],
            headers: &[],
        };
        let response = self.send(&call, Payload::Empty)?;
        match response.status().as_u16() {
            200 => Ok(Some(ObjectInfo {
                key: key.to_string(),
                size: content_length(&response),
                etag: header(&response, "etag"),
                modified: None,
            })),
            404 => Ok(None),
            _ => Err(self.failure(call.what, key, response)),
        }
    }

    /// Starts reading `key`; `None` when there is no such object.
    pub fn get(&self, key: &str) -> Result<Option<Object>, S3Error> {
        let call = Call {
            method: "GET",
            what: "read",
            key,
            query: &[],
            headers: &[],
        };
        let response = self.send(&call, Payload::Empty)?;
        match response.status().as_u16() {
            200 => {
                let size = content_length(&response);
                let etag = header(&response, "etag");
                let body = response.into_body().into_with_config().limit(size).reader();
                Ok(Some(Object {
                    size,
                    etag,
                    body: Box::new(body),
                }))
            }
            404 => match self.failure(call.what, key, response) {
                e @ S3Error::NoBucket { .. } => Err(e),
                _ => Ok(None),
            },
            _ => Err(self.failure(call.what, key, response)),
        }
    }

    /// The whole of a small object (at most `limit` bytes), or `None`.
    pub fn get_small(&self, key: &str, limit: u64) -> Result<Option<Vec<u8>>, S3Error> {
        let Some(object) = self.get(key)? else {
            return Ok(None);
        };
        let too_large = || S3Error::Answer {
            what: "read",
            key: key.to_string(),
            reason: "is larger than expected",
        };
        if object.size > limit {
            return Err(too_large());
        }
        crate::util::fs::take_bounded(object.body, limit)
            .map(Some)
            .map_err(|e| self.read_error("read", key, e))
    }

    fn read_error(&self, what: &'static str, key: &str, e: std::io::Error) -> S3Error {
        self.transfer_error(what, key, ureq::Error::Io(e))
    }

    fn transfer_error(&self, what: &'static str, key: &str, source: ureq::Error) -> S3Error {
        S3Error::Transfer {
            endpoint: self.endpoint(),
            what,
            key: key.to_string(),
            source: Box::new(source),
        }
    }

    /// Writes `payload` under `key`, in one request.
    pub fn put(
        &self,
        key: &str,
        payload: Payload<'_>,
        overwrite: Overwrite,
    ) -> Result<Written, S3Error> {
        let conditional = [("if-none-match", "*")];
        let call = Call {
            method: "PUT",
            what: "write",
            key,
            query: &[],
            headers: match overwrite {
                Overwrite::Always => &[],
                Overwrite::IfAbsent => &conditional,
            },
        };
        let response = self.send(&call, payload)?;
        written(response.status().as_u16(), overwrite)
            .ok_or_else(|| self.failure(call.what, key, response))
    }

    /// Removes `key`; removing what is not there is no error.
    pub fn delete(&self, key: &str) -> Result<(), S3Error> {
        let call = Call {
            method: "DELETE",
            what: "remove",
            key,
            query: &[],
            headers: &[],
        };
        let response = self.send(&call, Payload::Empty)?;
        match response.status().as_u16() {
            200 | 204 | 404 => Ok(()),
            _ => Err(self.failure(call.what, key, response)),
        }
    }

    /// One page (at most `max` keys, S3 caps it at 1,000) of the keys under
    /// `prefix`, in key order, from where `after` (a previous page's `next`) left off.
    pub fn list_page(&self, prefix: &str, after: Option<&str>, max: u32) -> Result<Page, S3Error> {
        let max = max.to_string();
        let mut query = vec![
            ("list-type", "2"),
            ("prefix", prefix),
            ("max-keys", max.as_str()),
        ];
        if let Some(token) = after {
            query.push(("continuation-token", token));
        }
        let call = Call {
            method: "GET",
            what: "list",
            key: prefix,
            query: &query,
            headers: &[],
        };
        let answer = self.send_for_xml(&call, Payload::Empty)?;
        let bad = |reason| S3Error::Answer {
            what: "list",
            key: prefix.to_string(),
            reason,
        };
        if !answer.contains("<ListBucketResult") {
            return Err(bad("is no listing"));
        }
        let mut objects = Vec::new();
        for entry in xml::elements(&answer, "Contents") {
            let key = xml::first(entry, "Key").ok_or(bad("has an entry without a key"))?;
            let size = xml::first(entry, "Size")
                .and_then(|s| s.parse().ok())
                .ok_or(bad("has an entry without a size"))?;
            let etag = xml::first(entry, "ETag").unwrap_or_default();
            let modified = xml::first(entry, "LastModified").and_then(|t| parse_utc(&t));
            objects.push(ObjectInfo {
                key,
                size,
                etag,
                modified,
            });
        }
        let next = match xml::first(&answer, "IsTruncated").as_deref() {
            Some("true") => Some(
                xml::first(&answer, "NextContinuationToken")
                    .filter(|t| !t.is_empty())
                    .ok_or(bad("is truncated without a continuation token"))?,
            ),
            _ => None,
        };
        Ok(Page { objects, next })
    }

    /// Every key under `prefix`, page after page, up to [`MAX_LISTED`] keys and
    /// [`MAX_PAGES`] pages: a store that never stops listing (a fault, or hostile)
    /// gets an error, not all of the server's memory and time.
    pub fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, S3Error> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self.list_page(prefix, after.as_deref(), 1000)?;
            all.extend(page.objects);
            let bad = |reason| S3Error::Answer {
                what: "list",
                key: prefix.to_string(),
                reason,
            };
            if all.len() > MAX_LISTED {
                return Err(bad("lists more keys than a server holds (1,000,000)"));
            }
            match page.next {
                Some(next) if after.as_ref() == Some(&next) => {
                    return Err(bad("gives the same continuation token twice"));
                }
                Some(next) => after = Some(next),
                None => return Ok(all),
            }
        }
        Err(S3Error::Answer {
            what: "list",
            key: prefix.to_string(),
            reason: "does not end within 10,000 pages",
        })
    }

    /// Sends a request whose success is an XML document, and reads it.
    fn send_for_xml(&self, call: &Call<'_>, payload: Payload<'_>) -> Result<String, S3Error> {
        let response = self.send(call, payload)?;
        if response.status() != StatusCode::OK {
            return Err(self.failure(call.what, call.key, response));
        }
        let text =
            read_text(response, MAX_ANSWER).map_err(|e| self.read_error(call.what, call.key, e))?;
        // S3 may answer 200 and put the error in the body (CompleteMultipartUpload).
        if text.contains("<Error>") {
            let code = xml::first(&text, "Code");
            return Err(S3Error::Status {
                what: call.what,
                key: call.key.to_string(),
                status: 200,
                code,
                message: xml::first(&text, "Message"),
            });
        }
        Ok(text)
    }

    /// Whether the store refuses a second `If-None-Match: *` write of one key
    /// (tried on `probe_key`, removed afterwards). Stores that ignore the header
    /// overwrite instead, and the caller must guard names another way.
    pub fn honours_if_none_match(&self, probe_key: &str) -> Result<bool, S3Error> {
        self.put(probe_key, Payload::Bytes(b"1"), Overwrite::Always)?;
        let second = self.put(probe_key, Payload::Bytes(b"2"), Overwrite::IfAbsent);
        let _ = self.delete(probe_key);
        Ok(second? == Written::Exists)
    }

    /// A URL that reads `key` without credentials for `expires`.
    pub fn presigned_get(&self, key: &str, expires: Duration) -> String {
        let (host, path) = self.target(key);
        let stamp = Stamp::of(SystemTime::now());
        let query = sign::presigned_query(
            &self.credentials,
            &Scope {
                region: &self.region,
                stamp: &stamp,
            },
            "GET",
            &host,
            &path,
            expires.as_secs().clamp(1, 7 * 24 * 3600),
        );
        format!("{}://{host}{path}?{query}", self.scheme.as_str())
    }

    pub fn part_size(&self) -> u64 {
        self.part_size
    }
}

/// What a write's status says, or `None` for a failure.
fn written(status: u16, overwrite: Overwrite) -> Option<Written> {
    match (status, overwrite) {
        (200 | 201 | 204, _) => Some(Written::Stored),
        // 409: a conditional write raced another one to the same key (S3).
        (412 | 409, Overwrite::IfAbsent) => Some(Written::Exists),
        _ => None,
    }
}

/// Whether `name` can be a DNS label sequence (a bucket in the host name).
fn host_label(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !name.starts_with(['-', '.'])
        && !name.ends_with(['-', '.'])
        && !name.contains("..")
}

fn header(response: &Response<ureq::Body>, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn content_length(response: &Response<ureq::Body>) -> u64 {
    header(response, "content-length").parse().unwrap_or(0)
}

/// The body as text, at most `limit` bytes of it.
fn read_text(response: Response<ureq::Body>, limit: u64) -> std::io::Result<String> {
    let reader = response.into_body().into_reader();
    let bytes = crate::util::fs::take_bounded(reader, limit)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(endpoint: &str, name: &str, addressing: Addressing) -> Result<Bucket, S3Error> {
        Bucket::new(Config {
            endpoint: endpoint.into(),
            region: "us-east-1".into(),
            bucket: name.into(),
            addressing,
            credentials: Credentials::new("AKID".into(), "secret".into()),
            timeout: Duration::from_secs(1),
            part_size: 0,
        })
    }

    #[test]
    fn names_objects_by_path_or_by_host() {
        let path = bucket("http://127.0.0.1:3900/s3/", "b", Addressing::Path).unwrap();
        assert_eq!(
            path.target("a b/c+1.whl"),
            ("127.0.0.1:3900".into(), "/s3/b/a%20b/c%2B1.whl".into())
        );
        assert_eq!(path.target(""), ("127.0.0.1:3900".into(), "/s3/b/".into()));
        assert_eq!(path.part_size(), MIN_PART);
        let host = bucket(
            "https://s3.example.com:443",
            "my.bucket",
            Addressing::VirtualHost,
        )
        .unwrap();
        assert_eq!(
            host.target("k"),
            ("my.bucket.s3.example.com".into(), "/k".into())
        );
        assert!(host.presigned_get("k", Duration::from_secs(60)).starts_with(
            "https://my.bucket.s3.example.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F"
        ));
    }

    #[test]
    fn refuses_endpoints_and_names_it_cannot_use() {
        let error = |endpoint, name, addressing| {
            bucket(endpoint, name, addressing).unwrap_err().to_string()
        };
        assert_eq!(
            error("ftp://host", "b", Addressing::Path),
            "`--s3-endpoint` `ftp://host`: expected an http or https URL"
        );
        let with_password = error("http://user:hunter2@host", "b", Addressing::Path);
        assert!(!with_password.contains("hunter2"), "{with_password}");
        assert!(
            error("http://host", "Under_Score", Addressing::VirtualHost)
                .starts_with("bucket `Under_Score`: expected a name that can be a host name")
        );
    }
}

//! AWS Signature Version 4 as S3 checks it: the `Authorization` header of a
//! request, and the query string of a presigned URL.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html>
//!
//! Traps:
//! - S3 encodes the path once (other services twice): each key segment is
//!   percent-encoded, every byte but `A-Z a-z 0-9 - . _ ~`, and the `/` between
//!   segments kept. The URL sent must carry the very string that was signed.
//! - Query names and values are encoded the same way (a space is `%20`, never `+`),
//!   then sorted by name; a name without value is `name=`.
//! - Header names are lowercase, sorted, values trimmed; `host` includes the port
//!   when it is not the scheme's default, as the client sends it.
//! - The payload's hash is signed too: the hex sha256 of the body, or the literal
//!   `UNSIGNED-PAYLOAD` when the body streams past unread (presigned URLs always).
//! - HMAC-SHA256 (RFC 2104) over sha2, written out here: a key longer than the
//!   64-byte block is hashed first.

use sha2::{Digest, Sha256};

use super::credentials::Credentials;
use crate::util::clock::Civil;
use crate::util::digest::hex;

/// The hex sha256 of no bytes: what a body-less request signs.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// Signed instead of a hash when the body is not read ahead.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(data);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    let mut out = [0u8; 32];
    out.copy_from_slice(&outer.finalize());
    out
}

/// Percent-encodes as SigV4 wants: every byte but the unreserved ones, and `/`
/// kept only when `keep_slash` (an object key in a path).
pub fn uri_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The canonical query string, which is also the one sent: pairs encoded, then
/// sorted.
pub fn canonical_query(query: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The moment a request is signed at, in the two shapes the signature uses.
#[derive(Clone, Debug)]
pub struct Stamp {
    /// `20130524T000000Z`, the `x-amz-date` header.
    pub datetime: String,
    /// `20130524`, in the credential scope.
    pub date: String,
}

impl Stamp {
    pub fn of(time: std::time::SystemTime) -> Stamp {
        let c = Civil::of(time);
        let date = format!("{:04}{:02}{:02}", c.year, c.month, c.day);
        Stamp {
            datetime: format!("{date}T{:02}{:02}{:02}Z", c.hour, c.minute, c.second),
            date,
        }
    }
}

/// One request as the signature sees it.
pub struct Request<'a> {
    pub method: &'a str,
    /// The path, already encoded by [`uri_encode`].
    pub path: &'a str,
    /// The query, already canonical ([`canonical_query`]).
    pub query: &'a str,
    /// Lowercase names; `host` among them.
    pub headers: &'a [(&'a str, &'a str)],
    /// Hex sha256 of the body, or [`UNSIGNED_PAYLOAD`].
    pub payload: &'a str,
}

/// The region and moment a signature is bound to.
pub struct Scope<'a> {
    pub region: &'a str,
    pub stamp: &'a Stamp,
}

impl Scope<'_> {
    fn text(&self) -> String {
        format!("{}/{}/s3/aws4_request", self.stamp.date, self.region)
    }

    fn signature(&self, credentials: &Credentials, canonical: &str) -> String {
        let to_sign = format!(
            "{ALGORITHM}\n{}\n{}\n{}",
            self.stamp.datetime,
            self.text(),
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let secret = format!("AWS4{}", credentials.secret_access_key);
        let key = hmac_sha256(secret.as_bytes(), self.stamp.date.as_bytes());
        let key = hmac_sha256(&key, self.region.as_bytes());
        let key = hmac_sha256(&key, b"s3");
        let key = hmac_sha256(&key, b"aws4_request");
        hex(&hmac_sha256(&key, to_sign.as_bytes()))
    }
}

fn canonical_request(request: &Request<'_>) -> (String, String) {
    let mut headers: Vec<(&str, String)> = request
        .headers
        .iter()
        .map(|(k, v)| (*k, v.split_whitespace().collect::<Vec<_>>().join(" ")))
        .collect();
    headers.sort();
    let signed = headers
        .iter()
        .map(|(k, _)| *k)
        .collect::<Vec<_>>()
        .join(";");
    let lines: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let canonical = format!(
        "{}\n{}\n{}\n{lines}\n{signed}\n{}",
        request.method, request.path, request.query, request.payload
    );
    (canonical, signed)
}

/// The `Authorization` header for a request whose headers include `host`,
/// `x-amz-date` and `x-amz-content-sha256`.
pub fn authorization(
    credentials: &Credentials,
    scope: &Scope<'_>,
    request: &Request<'_>,
) -> String {
    let (canonical, signed) = canonical_request(request);
    format!(
        "{ALGORITHM} Credential={}/{}, SignedHeaders={signed}, Signature={}",
        credentials.access_key_id,
        scope.text(),
        scope.signature(credentials, &canonical)
    )
}

/// The query string of a presigned URL for `method` on `path` at `host`, valid
/// for `expires` seconds: only `host` is signed, and the payload is not.
pub fn presigned_query(
    credentials: &Credentials,
    scope: &Scope<'_>,
    method: &str,
    host: &str,
    path: &str,
    expires: u64,
) -> String {
    let credential = format!("{}/{}", credentials.access_key_id, scope.text());
    let expires = expires.to_string();
    let query = canonical_query(&[
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", &credential),
        ("X-Amz-Date", &scope.stamp.datetime),
        ("X-Amz-Expires", &expires),
        ("X-Amz-SignedHeaders", "host"),
    ]);
    let (canonical, _) = canonical_request(&Request {
        method,
        path,
        query: &query,
        headers: &[("host", host)],
        payload: UNSIGNED_PAYLOAD,
    });
    format!(
        "{query}&X-Amz-Signature={}",
        scope.signature(credentials, &canonical)
    )
}

#[cfg(test)]
mod tests;

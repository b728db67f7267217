//! HTTP/1.1 without I/O (RFC 9112): where a request head ends, what it says, how
//! its body is framed, and the bytes of a response head. Pure functions over bytes,
//! so each rule is tested without a socket.
//!
//! Traps:
//! - Request smuggling: a body whose length a proxy could read differently is
//!   refused (chunked or any Transfer-Encoding, several Content-Lengths that differ,
//!   signs or spaces in one), and so is an HTTP/1.1 request without exactly one Host.
//! - Servers accept the absolute form of a target (RFC 9112 3.2.2): only its path is kept.
//! - HTTP/1.1 keeps a connection open unless told `close`; HTTP/1.0 only if told
//!   `keep-alive`.
//! - No Content-Length on a status that has no body (1xx, 204, 304: RFC 9110 8.6).

use std::fmt;
use std::io::Write as _;

use super::response::Response;

/// Sent before reading a body the client holds back with `Expect: 100-continue`.
pub(super) const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// The whole answer to a connection past the limit, small enough for a new socket's buffer.
pub(super) const SERVICE_UNAVAILABLE: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// A request head as sent.
#[derive(Debug)]
pub(super) struct Head {
    pub(super) method: String,
    /// The path and query, still percent-encoded.
    pub(super) target: String,
    pub(super) http11: bool,
    /// Header names lowercased, in the order sent.
    pub(super) headers: Vec<(String, String)>,
}

impl Head {
    /// The first header named `name` (lowercase).
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The target split at the first `?` into path and query.
    pub(super) fn path_and_query(&self) -> (&str, &str) {
        self.target.split_once('?').unwrap_or((&self.target, ""))
    }

    /// The body's length, refusing every framing a proxy could read differently
    /// (request smuggling): chunked bodies, several lengths, signs or spaces.
    pub(super) fn body_length(&self) -> Result<u64, HeadError> {
        if self.header("transfer-encoding").is_some() {
            return Err(HeadError::TransferEncoding);
        }
        if self.http11 && self.headers.iter().filter(|(n, _)| n == "host").count() != 1 {
            return Err(HeadError::Malformed("expected exactly one Host header"));
        }
        let mut length = None;
        for (_, value) in self.headers.iter().filter(|(n, _)| n == "content-length") {
            for item in value.split(',').map(str::trim) {
                let parsed = (!item.is_empty() && item.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| item.parse::<u64>().ok())
                    .flatten();
                match (parsed, length) {
                    (None, _) => {
                        return Err(HeadError::Malformed("Content-Length must be a number"));
                    }
                    (Some(n), Some(m)) if n != m => {
                        return Err(HeadError::Malformed("conflicting Content-Length headers"));
                    }
                    (Some(n), _) => length = Some(n),
                }
            }
        }
        Ok(length.unwrap_or(0))
    }

    /// Whether the client holds its body back until told to send it.
    pub(super) fn expects_continue(&self) -> bool {
        self.http11
            && self
                .header("expect")
                .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    }

    /// Whether the client asks to send another request on this connection.
    pub(super) fn keep_alive(&self) -> bool {
        let connection = self.header("connection").unwrap_or("").to_ascii_lowercase();
        if self.http11 {
            !connection.contains("close")
        } else {
            connection.contains("keep-alive")
        }
    }
}

/// Why a head was refused, with the status that says so.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum HeadError {
    /// More bytes than a head may have, and no end in sight.
    TooLarge,
    /// Not HTTP as RFC 9112 writes it; says what is wrong.
    Malformed(&'static str),
    /// Another version than HTTP/1.0 or HTTP/1.1.
    Version,
    /// A Transfer-Encoding header: only bodies with a Content-Length are read.
    TransferEncoding,
}

impl HeadError {
    pub(super) fn status(&self) -> u16 {
        match self {
            HeadError::TooLarge => 431,
            HeadError::Malformed(_) => 400,
            HeadError::Version => 505,
            HeadError::TransferEncoding => 411,
        }
    }
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeadError::TooLarge => f.write_str("request head too large"),
            HeadError::Malformed(what) => write!(f, "malformed request: {what}"),
            HeadError::Version => {
                f.write_str("unsupported HTTP version: expected HTTP/1.0 or HTTP/1.1")
            }
            HeadError::TransferEncoding => f.write_str(
                "chunked request bodies are not supported: send the body with a Content-Length",
            ),
        }
    }
}

impl std::error::Error for HeadError {}

/// The offset just past the blank line that ends a head, if `buf` holds one.
pub(super) fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// Parses the head at the start of `buf`; returns it with the offset where the body
/// (or the next request) starts.
pub(super) fn parse_head(buf: &[u8], max: usize) -> Result<(Head, usize), HeadError> {
    let end = match head_end(buf) {
        Some(end) if end <= max => end,
        _ if buf.len() > max => return Err(HeadError::TooLarge),
        _ => return Err(HeadError::Malformed("incomplete head")),
    };
    let text = std::str::from_utf8(&buf[..end - 4])
        .map_err(|_| HeadError::Malformed("the head is not valid UTF-8"))?;
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Malformed(
            "expected `METHOD TARGET HTTP/1.1` on the first line",
        ));
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(HeadError::Malformed("the method must be uppercase letters"));
    }
    let target = match target.split_once("://") {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
        {
            rest.find('/').map_or("/", |i| &rest[i..])
        }
        _ => target,
    };
    if !target.starts_with('/') || target.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(HeadError::Malformed(
            "the target must be a path starting with `/`",
        ));
    }
    let http11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return Err(HeadError::Version),
    };
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(HeadError::Malformed(
            "expected `Name: value` in a header line",
        ))?;
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(HeadError::Malformed("invalid header name"));
        }
        let value = value.trim_matches([' ', '\t']);
        if value.bytes().any(|b| b < b' ' && b != b'\t') {
            return Err(HeadError::Malformed("control character in a header value"));
        }
        headers.push((name.to_ascii_lowercase(), value.to_string()));
    }
    Ok((
        Head {
            method: method.to_string(),
            target: target.to_string(),
            http11,
            headers,
        },
        end,
    ))
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The status line and headers of `response`, with the framing headers the engine
/// owns, up to and including the blank line.
pub(super) fn response_head(response: &Response, keep_alive: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let _ = write!(
        out,
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    for (name, value) in &response.headers {
        let _ = write!(out, "{name}: {value}\r\n");
    }
    if !matches!(response.status, 100..=199 | 204 | 304) {
        let _ = write!(out, "Content-Length: {}\r\n", response.len());
    }
    out.extend_from_slice(b"Server: curd\r\n");
    out.extend_from_slice(if keep_alive {
        b"Connection: keep-alive\r\n\r\n"
    } else {
        b"Connection: close\r\n\r\n"
    });
    out
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        301 => "Moved Permanently",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        507 => "Insufficient Storage",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::http::response::Payload;

    fn head(raw: &str) -> Head {
        parse_head(raw.as_bytes(), 1024).expect(raw).0
    }

    #[test]
    fn parses_a_head_and_finds_its_end() {
        let raw = b"GET /simple/?x=1 HTTP/1.1\r\nHost: a\r\nAccept:  text/html \r\n\r\nBODY";
        let (head, end) = parse_head(raw, 1024).unwrap();
        assert_eq!(head.method, "GET");
        assert_eq!(head.target, "/simple/?x=1");
        assert_eq!(head.path_and_query(), ("/simple/", "x=1"));
        assert!(head.http11);
        assert_eq!(
            head.headers,
            [
                ("host".into(), "a".into()),
                ("accept".into(), "text/html".into())
            ]
        );
        assert_eq!(&raw[end..], b"BODY");
    }

    #[test]
    fn keeps_the_path_of_an_absolute_target() {
        let head = head("GET http://example.com/simple/a/?b HTTP/1.1\r\n\r\n");
        assert_eq!(head.path_and_query(), ("/simple/a/", "b"));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n\r"), None);
    }

    #[test]
    fn refuses_bad_heads_with_the_right_status() {
        let cases: &[(&[u8], u16)] = &[
            (b"GET / HTTP/2.0\r\n\r\n", 505),
            (b"get / HTTP/1.1\r\n\r\n", 400),
            (b"GET simple HTTP/1.1\r\n\r\n", 400),
            (b"GET / HTTP/1.1 extra\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nno colon\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\n folded: x\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nA: \x01\r\n\r\n", 400),
            (b"GET /\xff HTTP/1.1\r\n\r\n", 400),
        ];
        for (raw, status) in cases {
            let err = parse_head(raw, 1024).unwrap_err();
            assert_eq!(err.status(), *status, "{}", String::from_utf8_lossy(raw));
        }
        let big = [
            b"GET / HTTP/1.1\r\nA: ".as_slice(),
            &[b'x'; 100],
            b"\r\n\r\n",
        ]
        .concat();
        assert_eq!(parse_head(&big, 64).unwrap_err(), HeadError::TooLarge);
    }

    #[test]
    fn frames_bodies_by_one_content_length_only() {
        let ok = [
            ("POST / HTTP/1.1\r\nHost: a\r\n\r\n", 0),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n",
                12,
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n",
                5,
            ),
            ("POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\n", 3),
        ];
        for (raw, length) in ok {
            assert_eq!(head(raw).body_length(), Ok(length), "{raw}");
        }
        let refused = [
            (
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
                411,
                "chunked request bodies are not supported: send the body with a Content-Length",
            ),
            (
                "POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\n",
                400,
                "malformed request: expected exactly one Host header",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                400,
                "malformed request: expected exactly one Host header",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n",
                400,
                "malformed request: Content-Length must be a number",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,\r\n\r\n",
                400,
                "malformed request: Content-Length must be a number",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
                400,
                "malformed request: conflicting Content-Length headers",
            ),
        ];
        for (raw, status, message) in refused {
            let err = head(raw).body_length().unwrap_err();
            assert_eq!((err.status(), err.to_string().as_str()), (status, message));
        }
    }

    #[test]
    fn keep_alive_and_continue_follow_the_version() {
        assert!(head("GET / HTTP/1.1\r\n\r\n").keep_alive());
        assert!(!head("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n").keep_alive());
        assert!(!head("GET / HTTP/1.0\r\n\r\n").keep_alive());
        assert!(head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive());
        assert!(head("PUT / HTTP/1.1\r\nExpect: 100-Continue\r\n\r\n").expects_continue());
        assert!(!head("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").expects_continue());
    }

    #[test]
    fn writes_response_heads_with_their_framing() {
        let response = Response::new(200, "text/html", Payload::Bytes(b"hello".to_vec()))
            .header("ETag", "\"x\"");
        assert_eq!(
            String::from_utf8(response_head(&response, true)).unwrap(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nETag: \"x\"\r\n\
             Content-Length: 5\r\nServer: curd\r\nConnection: keep-alive\r\n\r\n"
        );
        assert_eq!(
            String::from_utf8(response_head(&Response::empty(304), false)).unwrap(),
            "HTTP/1.1 304 Not Modified\r\nServer: curd\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn every_status_used_has_a_reason() {
        for status in [
            200, 201, 304, 400, 401, 403, 404, 409, 411, 413, 429, 431, 500, 503, 505,
        ] {
            assert_ne!(reason(status), "Unknown");
        }
    }
}

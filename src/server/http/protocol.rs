//! HTTP/1.1 without I/O (RFC 9112): where a request head ends, what it says, how
//! its body is framed, and the bytes of a response head. Pure functions over bytes,
//! so each rule is tested without a socket. Heads are parsed by httparse; the rules
//! it leaves to its caller are here.
//!
//! Traps:
//! - Request smuggling: a body whose length a proxy could read differently is
//!   refused: a Transfer-Encoding with a Content-Length, any encoding but `chunked`
//!   alone, several Content-Lengths that differ, signs or spaces in one, a
//!   Transfer-Encoding in HTTP/1.0, and an HTTP/1.1 request without exactly one Host.
//! - A head may end its lines with a bare LF (RFC 9112 2.2 lets a server accept
//!   them, and httparse does): its end is `\n\r\n` or `\n\n`, not only `\r\n\r\n`.
//! - Servers accept the absolute form of a target (RFC 9112 3.2.2): only its path is kept.
//! - HTTP/1.1 keeps a connection open unless told `close`; HTTP/1.0 only if told
//!   `keep-alive`.
//! - No Content-Length on a status that has no body (1xx, 204, 304: RFC 9110 8.6).
//! - Every response carries a Date (RFC 9110 6.6.1), in IMF-fixdate, always GMT.

use std::fmt;
use std::io::Write as _;
use std::time::SystemTime;

use super::response::Response;
use crate::util::clock::Civil;

/// Sent before reading a body the client holds back with `Expect: 100-continue`.
pub(super) const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// Headers a head may have; more is answered 431, as a head too large.
const MAX_HEADERS: usize = 100;

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

/// How a request's body is delimited (RFC 9112 6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Framing {
    /// No Content-Length and no Transfer-Encoding: no body.
    None,
    Length(u64),
    Chunked,
}

impl Framing {
    /// Whether there are body bytes to read (or to wait for).
    pub(super) fn has_body(self) -> bool {
        !matches!(self, Framing::None | Framing::Length(0))
    }
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

    /// How the body is framed, refusing every framing a proxy could read
    /// differently (request smuggling).
    pub(super) fn framing(&self) -> Result<Framing, HeadError> {
        if self.http11 && self.headers.iter().filter(|(n, _)| n == "host").count() != 1 {
            return Err(HeadError::Malformed("expected exactly one Host header"));
        }
        let mut encodings = self
            .headers
            .iter()
            .filter(|(n, _)| n == "transfer-encoding")
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .peekable();
        if encodings.peek().is_some() {
            if !self.http11 {
                return Err(HeadError::Malformed(
                    "Transfer-Encoding is not allowed in HTTP/1.0",
                ));
            }
            if self.header("content-length").is_some() {
                return Err(HeadError::Malformed(
                    "a request may not have both Transfer-Encoding and Content-Length",
                ));
            }
            let encodings: Vec<&str> = encodings.collect();
            return match encodings.as_slice() {
                [one] if one.eq_ignore_ascii_case("chunked") => Ok(Framing::Chunked),
                _ => Err(HeadError::Encoding(encodings.join(", "))),
            };
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
        Ok(length.map_or(Framing::None, Framing::Length))
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
    /// More bytes or headers than a head may have.
    TooLarge,
    /// Not HTTP as RFC 9112 writes it; says what is wrong.
    Malformed(&'static str),
    /// Another version than HTTP/1.0 or HTTP/1.1.
    Version,
    /// A Transfer-Encoding other than `chunked` alone, as sent.
    Encoding(String),
}

impl HeadError {
    pub(super) fn status(&self) -> u16 {
        match self {
            HeadError::TooLarge => 431,
            HeadError::Malformed(_) => 400,
            HeadError::Version => 505,
            HeadError::Encoding(_) => 501,
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
            HeadError::Encoding(sent) => write!(
                f,
                "unsupported Transfer-Encoding `{sent}`: expected `chunked` alone"
            ),
        }
    }
}

impl std::error::Error for HeadError {}

/// Whether a head may have ended in `buf[from..]`, the bytes that just arrived (with
/// the few before them that a line end can straddle). A cheap look for a blank line
/// first, so a head that trickles in is not parsed again for every byte.
pub(super) fn may_end(buf: &[u8], from: usize) -> bool {
    let start = from.saturating_sub(2);
    buf[start..]
        .windows(2)
        .any(|w| w == b"\n\n" || w == b"\n\r")
}

/// Parses the head at the start of `buf`: `Ok(None)` while it is incomplete, else
/// the head with the offset where the body (or the next request) starts.
pub(super) fn parse_head(buf: &[u8], max: usize) -> Result<Option<(Head, usize)>, HeadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let end = match request.parse(buf) {
        Ok(httparse::Status::Complete(end)) if end <= max => end,
        Ok(_) if buf.len() > max => return Err(HeadError::TooLarge),
        Ok(httparse::Status::Complete(_)) => return Err(HeadError::TooLarge),
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooLarge),
        Err(httparse::Error::Version) => return Err(HeadError::Version),
        Err(httparse::Error::HeaderName | httparse::Error::HeaderValue) => {
            return Err(HeadError::Malformed(
                "expected `Name: value` in a header line",
            ));
        }
        Err(_) => {
            return Err(HeadError::Malformed(
                "expected `METHOD TARGET HTTP/1.1` on the first line",
            ));
        }
    };
    let method = request.method.unwrap_or_default();
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(HeadError::Malformed("the method must be uppercase letters"));
    }
    let target = request.path.unwrap_or_default();
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
    let mut fields = Vec::with_capacity(request.headers.len());
    for header in request.headers.iter() {
        let value = std::str::from_utf8(header.value)
            .map_err(|_| HeadError::Malformed("a header value is not valid UTF-8"))?;
        if value.bytes().any(|b| b < b' ' && b != b'\t') {
            return Err(HeadError::Malformed("control character in a header value"));
        }
        let value = value.trim_matches([' ', '\t']);
        fields.push((header.name.to_ascii_lowercase(), value.to_string()));
    }
    Ok(Some((
        Head {
            method: method.to_string(),
            target: target.to_string(),
            http11: request.version == Some(1),
            headers: fields,
        },
        end,
    )))
}

/// The status line and headers of `response`, with the headers the engine owns
/// (Date, Content-Length, Server, Connection), up to and including the blank line.
pub(super) fn response_head(response: &Response, keep_alive: bool, now: SystemTime) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let _ = write!(
        out,
        "HTTP/1.1 {} {}\r\nDate: {}\r\n",
        response.status,
        reason(response.status),
        http_date(now)
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

/// `time` as an IMF-fixdate (RFC 9110 5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(super) fn http_date(time: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let c = Civil::of(time);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[c.weekday_from_thursday as usize],
        c.day,
        MONTHS[(c.month - 1) as usize],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
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
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        507 => "Insufficient Storage",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::server::http::response::Payload;

    fn parse(raw: &[u8]) -> Result<(Head, usize), HeadError> {
        parse_head(raw, 1024).map(|parsed| parsed.expect("a complete head"))
    }

    fn head(raw: &str) -> Head {
        parse(raw.as_bytes()).expect(raw).0
    }

    #[test]
    fn parses_a_head_and_finds_its_end() {
        let raw = b"GET /simple/?x=1 HTTP/1.1\r\nHost: a\r\nAccept:  text/html \r\n\r\nBODY";
        let (head, end) = parse(raw).unwrap();
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
        assert!(
            parse_head(b"GET / HTTP/1.1\r\nHost: a\r\n\r", 1024)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn accepts_bare_lf_line_ends() {
        let raw = b"GET /health HTTP/1.1\nHost: a\r\nX: y\n\nNEXT";
        assert!(may_end(raw, raw.len() - 6));
        let (head, end) = parse(raw).unwrap();
        assert_eq!(head.headers.len(), 2);
        assert_eq!(&raw[end..], b"NEXT");
    }

    #[test]
    fn looks_for_the_end_only_where_bytes_arrived() {
        let raw = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        // The blank line straddles the last two reads.
        assert!(may_end(raw, raw.len() - 1));
        assert!(!may_end(b"GET / HTTP/1.1\r\nHost: a", 3));
    }

    #[test]
    fn keeps_the_path_of_an_absolute_target() {
        let head = head("GET http://example.com/simple/a/?b HTTP/1.1\r\n\r\n");
        assert_eq!(head.path_and_query(), ("/simple/a/", "b"));
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
            (b"GET / HTTP/1.1\r\nA: \xff\r\n\r\n", 400),
        ];
        for (raw, status) in cases {
            let err = parse(raw).unwrap_err();
            assert_eq!(err.status(), *status, "{}", String::from_utf8_lossy(raw));
        }
        let big = [
            b"GET / HTTP/1.1\r\nA: ".as_slice(),
            &[b'x'; 100],
            b"\r\n\r\n",
        ]
        .concat();
        assert_eq!(parse_head(&big, 64).unwrap_err(), HeadError::TooLarge);
        assert_eq!(parse_head(&big[..80], 64).unwrap_err(), HeadError::TooLarge);
        let many: String = (0..=MAX_HEADERS).map(|i| format!("H{i}: x\r\n")).collect();
        let many = format!("GET / HTTP/1.1\r\n{many}\r\n");
        assert_eq!(
            parse_head(many.as_bytes(), 1 << 20).unwrap_err(),
            HeadError::TooLarge
        );
    }

    #[test]
    fn frames_bodies_without_ambiguity() {
        let ok = [
            ("POST / HTTP/1.1\r\nHost: a\r\n\r\n", Framing::None),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n",
                Framing::Length(12),
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n",
                Framing::Length(5),
            ),
            (
                "POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\n",
                Framing::Length(3),
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n",
                Framing::Chunked,
            ),
        ];
        for (raw, framing) in ok {
            assert_eq!(head(raw).framing(), Ok(framing), "{raw}");
        }
        let refused = [
            (
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                501,
                "unsupported Transfer-Encoding `gzip, chunked`: expected `chunked` alone",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                501,
                "unsupported Transfer-Encoding `chunked, chunked`: expected `chunked` alone",
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
                400,
                "malformed request: a request may not have both Transfer-Encoding and Content-Length",
            ),
            (
                "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
                400,
                "malformed request: Transfer-Encoding is not allowed in HTTP/1.0",
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
            let err = head(raw).framing().unwrap_err();
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
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777);
        let response = Response::new(200, "text/html", Payload::Bytes(b"hello".to_vec()))
            .header("ETag", "\"x\"");
        assert_eq!(
            String::from_utf8(response_head(&response, true, now)).unwrap(),
            "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
             Content-Type: text/html\r\nETag: \"x\"\r\n\
             Content-Length: 5\r\nServer: curd\r\nConnection: keep-alive\r\n\r\n"
        );
        assert_eq!(
            String::from_utf8(response_head(&Response::empty(304), false, now)).unwrap(),
            "HTTP/1.1 304 Not Modified\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
             Server: curd\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn dates_are_imf_fixdates() {
        let at = |secs| http_date(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(at(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        // The leap day of a year divisible by 400, and the day after it.
        assert_eq!(at(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(at(951_868_799), "Tue, 29 Feb 2000 23:59:59 GMT");
        assert_eq!(at(951_868_800), "Wed, 01 Mar 2000 00:00:00 GMT");
        assert_eq!(at(1_767_225_599), "Wed, 31 Dec 2025 23:59:59 GMT");
        assert_eq!(at(4_107_542_400), "Mon, 01 Mar 2100 00:00:00 GMT");
    }

    #[test]
    fn every_status_used_has_a_reason() {
        for status in [
            100, 200, 201, 304, 400, 401, 403, 404, 408, 409, 411, 413, 429, 431, 500, 501, 503,
            505, 507,
        ] {
            assert_ne!(reason(status), "Unknown");
        }
    }
}

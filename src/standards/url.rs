//! URLs of indexes, files and cache servers: parsed by hand, resolved exactly as
//! RFC 3986 says, and never shown with a password.
//!
//! <https://www.rfc-editor.org/rfc/rfc3986>
//!
//! Only what the package tools use is supported: absolute `http`, `https` and
//! `file` URLs with an authority (`scheme://[user[:password]@]host[:port]/path
//! [?query][#fragment]`), and references relative to them as index pages write
//! them. A URL is kept in parts, not as one string, so the password cannot leak
//! through formatting: `Display` and `Debug` print `****@` for any user
//! information (a user name alone is often a token), and the credentials are only
//! handed out decoded, to build an `Authorization` header.
//!
//! Characters that may not stand raw in a URL (spaces, non-ASCII, `"`, `<`, `>`,
//! and so on) are percent-encoded when parsed, as browsers and pip do, so every
//! `Url` is also a valid request target. Existing `%XX` escapes are kept as written.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::util::encoding::percent_decode;

/// The schemes curd fetches from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    Http,
    Https,
    File,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
            Scheme::File => "file",
        }
    }

    fn default_port(self) -> Option<u16> {
        match self {
            Scheme::Http => Some(80),
            Scheme::Https => Some(443),
            Scheme::File => None,
        }
    }
}

/// An absolute URL, in parts. Equality is of the normalized parts (scheme and host
/// lowercased), not of the meaning (`:80` and no port differ). Boxed, so that
/// errors and records that carry a URL stay small.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Url(Box<Parts>);

#[derive(Clone, PartialEq, Eq, Hash)]
struct Parts {
    scheme: Scheme,
    /// User and optional password, percent-encoded as written.
    userinfo: Option<(String, Option<String>)>,
    /// Lowercase; an IPv6 address keeps its brackets; empty only for `file`.
    host: String,
    port: Option<u16>,
    /// Percent-encoded, dot segments removed; empty when the URL has no path.
    path: String,
    query: Option<String>,
    fragment: Option<String>,
}

/// Why a string is not a URL curd can use. The input is shown with its user
/// information masked, since a malformed URL may still hold a password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlError {
    Empty,
    NoScheme { url: String },
    UnsupportedScheme { url: String, scheme: String },
    NoAuthority { url: String },
    InvalidHost { url: String },
    InvalidPort { url: String },
    NotAbsolutePath { path: PathBuf },
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::Empty => f.write_str("invalid URL: empty"),
            UrlError::NoScheme { url } => write!(
                f,
                "invalid URL `{url}`: expected an absolute URL such as `https://host/simple/`"
            ),
            UrlError::UnsupportedScheme { url, scheme } => write!(
                f,
                "unsupported URL `{url}`: scheme `{scheme}` (expected http, https or file)"
            ),
            UrlError::NoAuthority { url } => {
                write!(f, "invalid URL `{url}`: expected `//` after the scheme")
            }
            UrlError::InvalidHost { url } => write!(f, "invalid URL `{url}`: bad host name"),
            UrlError::InvalidPort { url } => write!(f, "invalid URL `{url}`: bad port number"),
            UrlError::NotAbsolutePath { path } => write!(
                f,
                "cannot make a file URL of `{}`: not an absolute path",
                path.display()
            ),
        }
    }
}

impl std::error::Error for UrlError {}

impl Url {
    /// Parses an absolute URL.
    pub fn parse(input: &str) -> Result<Url, UrlError> {
        let input = clean(input);
        let input = input.as_ref();
        if input.is_empty() {
            return Err(UrlError::Empty);
        }
        let Some((scheme, rest)) = split_scheme(input) else {
            return Err(UrlError::NoScheme {
                url: redact_str(input),
            });
        };
        let Some(scheme) = [Scheme::Http, Scheme::Https, Scheme::File]
            .into_iter()
            .find(|known| scheme.eq_ignore_ascii_case(known.as_str()))
        else {
            return Err(UrlError::UnsupportedScheme {
                url: redact_str(input),
                scheme: scheme.to_ascii_lowercase(),
            });
        };
        let Some(rest) = rest.strip_prefix("//") else {
            return Err(UrlError::NoAuthority {
                url: redact_str(input),
            });
        };
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, rest) = rest.split_at(authority_end);
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(at) => {
                let info = &authority[..at];
                let (user, password) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(encode(p, USERINFO))),
                    None => (info, None),
                };
                (
                    Some((encode(user, USERINFO), password)),
                    &authority[at + 1..],
                )
            }
            None => (None, authority),
        };
        let (host, port) = parse_host_port(hostport).ok_or_else(|| {
            if hostport.starts_with('[') || !hostport.contains(':') {
                UrlError::InvalidHost {
                    url: redact_str(input),
                }
            } else {
                UrlError::InvalidPort {
                    url: redact_str(input),
                }
            }
        })?;
        if host.is_empty() && scheme != Scheme::File {
            return Err(UrlError::InvalidHost {
                url: redact_str(input),
            });
        }
        let (path, query, fragment) = split_path(rest);
        Ok(Url(Box::new(Parts {
            scheme,
            userinfo,
            host,
            port,
            path: remove_dot_segments(encode(path, PATH)),
            query: query.map(|q| encode(q, QUERY)),
            fragment: fragment.map(|f| encode(f, FRAGMENT)),
        })))
    }

    /// Resolves `reference` (an `href`) against this URL, as RFC 3986 §5.2 says.
    ///
    /// One deliberate leniency, which Python's `urljoin` and browsers share: a
    /// reference with this URL's own scheme but no `//` (`http:g`) is relative.
    /// A reference to another scheme (`mailto:`, `g:h`) is an error, because curd
    /// cannot fetch it.
    pub fn join(&self, reference: &str) -> Result<Url, UrlError> {
        let reference = clean(reference);
        let mut rest = reference.as_ref();
        if let Some((scheme, after)) = split_scheme(rest) {
            if !scheme.eq_ignore_ascii_case(self.0.scheme.as_str()) || after.starts_with("//") {
                return Url::parse(rest);
            }
            rest = after;
        }
        if rest.starts_with("//") {
            return Url::parse(&format!("{}:{rest}", self.0.scheme.as_str()));
        }
        let (path, query, fragment) = split_path(rest);
        let mut url = self.clone();
        url.0.fragment = fragment.map(|f| encode(f, FRAGMENT));
        if path.is_empty() {
            if let Some(q) = query {
                url.0.query = Some(encode(q, QUERY));
            }
            return Ok(url);
        }
        url.0.query = query.map(|q| encode(q, QUERY));
        let path = encode(path, PATH);
        url.0.path = if path.starts_with('/') {
            remove_dot_segments(path)
        } else if self.0.path.is_empty() {
            // RFC 3986 §5.2.3: a base with an authority and an empty path.
            remove_dot_segments(format!("/{path}"))
        } else {
            let dir = &self.0.path[..self.0.path.rfind('/').map_or(0, |i| i + 1)];
            remove_dot_segments(format!("{dir}{path}"))
        };
        Ok(url)
    }

    /// A `file://` URL for a local absolute path, every byte that is not plainly
    /// safe percent-encoded (as Python's `pathname2url` does).
    pub fn from_file_path(path: &Path) -> Result<Url, UrlError> {
        use std::os::unix::ffi::OsStrExt;
        if !path.is_absolute() {
            return Err(UrlError::NotAbsolutePath {
                path: path.to_path_buf(),
            });
        }
        let mut encoded = String::new();
        for &b in path.as_os_str().as_bytes() {
            if b == b'/' || is_unreserved(b) {
                encoded.push(b as char);
            } else {
                push_escape(&mut encoded, b);
            }
        }
        Ok(Url(Box::new(Parts {
            scheme: Scheme::File,
            userinfo: None,
            host: String::new(),
            port: None,
            path: remove_dot_segments(encoded),
            query: None,
            fragment: None,
        })))
    }

    /// The local path of a `file://` URL on this machine (no host, or `localhost`).
    pub fn to_file_path(&self) -> Option<PathBuf> {
        use std::os::unix::ffi::OsStringExt;
        if self.0.scheme != Scheme::File || !(self.0.host.is_empty() || self.0.host == "localhost")
        {
            return None;
        }
        let bytes = percent_decode(&self.0.path);
        if bytes.is_empty() || bytes.contains(&0) {
            return None;
        }
        Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
    }

    pub fn scheme(&self) -> Scheme {
        self.0.scheme
    }

    /// The host as written in the URL, lowercase; an IPv6 address without brackets.
    pub fn host(&self) -> &str {
        self.0
            .host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&self.0.host)
    }

    /// The port, or the scheme's default one.
    pub fn port_or_default(&self) -> Option<u16> {
        self.0.port.or(self.0.scheme.default_port())
    }

    pub fn path(&self) -> &str {
        &self.0.path
    }

    pub fn fragment(&self) -> Option<&str> {
        self.0.fragment.as_deref()
    }

    /// The user and password, percent-decoded; `None` without user information.
    /// A user alone (a token) comes with an empty password.
    pub fn credentials(&self) -> Option<(String, String)> {
        let (user, password) = self.0.userinfo.as_ref()?;
        let decode = |s: &str| String::from_utf8_lossy(&percent_decode(s)).into_owned();
        let password = password.as_deref().map(decode).unwrap_or_default();
        // `https://@host/` names no one.
        (!user.is_empty() || !password.is_empty()).then(|| (decode(user), password))
    }

    pub fn without_credentials(&self) -> Url {
        let mut url = self.clone();
        url.0.userinfo = None;
        url
    }

    pub fn without_fragment(mut self) -> Url {
        self.0.fragment = None;
        self
    }

    /// The `sha256=` value of the fragment (`#sha256=...`, also among other
    /// `&`-separated items as pip accepts them), lowercased.
    pub fn fragment_sha256(&self) -> Option<String> {
        self.0
            .fragment
            .as_deref()?
            .split('&')
            .find_map(|item| item.strip_prefix("sha256="))
            .map(str::to_ascii_lowercase)
    }

    /// The last path segment, percent-decoded: a file's name. `None` for a folder
    /// (`/simple/x/`) or a segment that does not decode to UTF-8.
    pub fn filename(&self) -> Option<String> {
        let segment = &self.0.path[self.0.path.rfind('/').map_or(0, |i| i + 1)..];
        let name = String::from_utf8(percent_decode(segment)).ok()?;
        (!name.is_empty()).then_some(name)
    }

    /// Whether a request to `other` may carry this URL's credentials: the same
    /// host and port, or an upgrade from http to https (on the default ports, or
    /// on one same explicit port), as requests allows. Never a downgrade.
    pub fn same_origin(&self, other: &Url) -> bool {
        let (a, b) = (&self.0, &other.0);
        a.host == b.host
            && match (a.scheme, b.scheme) {
                (x, y) if x == y => self.port_or_default() == other.port_or_default(),
                (Scheme::Http, Scheme::Https) => {
                    a.port == b.port
                        || (self.port_or_default() == Some(80)
                            && other.port_or_default() == Some(443))
                }
                _ => false,
            }
    }

    /// This URL with `other`'s user information, for a redirect that stays on
    /// the same origin: links on the page it leads to need the same login.
    pub(crate) fn with_userinfo_of(mut self, other: &Url) -> Url {
        self.0.userinfo = other.0.userinfo.clone();
        self
    }

    /// This URL as a folder (its path ending in `/`), so that names join under
    /// it: an index given as `https://host/simple` still finds `simple/<name>/`.
    pub(crate) fn as_directory(&self) -> Url {
        let mut url = self.clone();
        if !url.0.path.ends_with('/') {
            url.0.path.push('/');
        }
        url.0.query = None;
        url.0.fragment = None;
        url
    }

    /// The path with `suffix` appended, without query or fragment: PEP 658's
    /// `<file URL>.metadata`.
    pub(crate) fn with_path_suffix(&self, suffix: &str) -> Url {
        let mut url = self.clone();
        url.0.path.push_str(&encode(suffix, PATH));
        url.0.query = None;
        url.0.fragment = None;
        url
    }

    /// The URL as sent in a request line: no user information, no fragment.
    pub(crate) fn request_target(&self) -> String {
        let mut out = String::new();
        self.write_base(&mut out, false);
        out.push_str(if self.0.path.is_empty() {
            "/"
        } else {
            &self.0.path
        });
        if let Some(q) = &self.0.query {
            out.push('?');
            out.push_str(q);
        }
        out
    }

    fn write_base(&self, out: &mut String, show_userinfo: bool) {
        out.push_str(self.0.scheme.as_str());
        out.push_str("://");
        if show_userinfo && self.0.userinfo.is_some() {
            out.push_str("****@");
        }
        out.push_str(&self.0.host);
        if let Some(port) = self.0.port {
            out.push(':');
            out.push_str(&port.to_string());
        }
    }
}

impl FromStr for Url {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Url::parse(s)
    }
}

/// Never shows the password, nor the user (often a token): `https://****@host/`.
impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write_base(&mut out, true);
        out.push_str(&self.0.path);
        if let Some(q) = &self.0.query {
            out.push('?');
            out.push_str(q);
        }
        if let Some(fr) = &self.0.fragment {
            out.push('#');
            out.push_str(fr);
        }
        f.write_str(&out)
    }
}

/// The same as `Display`, so a failing assertion cannot print a password either.
impl fmt::Debug for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Url({self})")
    }
}

/// Removes tabs and newlines anywhere and blanks at the ends, as browsers and
/// Python's `urlsplit` do: `href` values are often wrapped or padded.
fn clean(input: &str) -> Cow<'_, str> {
    let trimmed = input.trim_matches(|c: char| c <= ' ');
    let wrapped = |b: u8| matches!(b, b'\t' | b'\n' | b'\r');
    if trimmed.bytes().any(wrapped) {
        Cow::Owned(
            trimmed
                .chars()
                .filter(|&c| !(c.is_ascii() && wrapped(c as u8)))
                .collect(),
        )
    } else {
        Cow::Borrowed(trimmed)
    }
}

/// `scheme:rest`, when `input` starts with a syntactically valid scheme.
fn split_scheme(input: &str) -> Option<(&str, &str)> {
    let colon = input.find(':')?;
    let scheme = &input[..colon];
    let mut bytes = scheme.bytes();
    let valid = bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    valid.then(|| (scheme, &input[colon + 1..]))
}

/// Splits `path?query#fragment`.
fn split_path(s: &str) -> (&str, Option<&str>, Option<&str>) {
    let (s, fragment) = match s.split_once('#') {
        Some((s, f)) => (s, Some(f)),
        None => (s, None),
    };
    let (path, query) = match s.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (s, None),
    };
    (path, query, fragment)
}

/// `host[:port]` or `[v6]:port`; the host lowercased and checked.
fn parse_host_port(s: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = s.strip_prefix('[') {
        let (addr, after) = rest.split_once(']')?;
        addr.parse::<std::net::Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (format!("[{}]", addr.to_ascii_lowercase()), port)
    } else {
        let (host, port) = match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        };
        let valid = host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if !valid {
            return None;
        }
        (host.to_ascii_lowercase(), port)
    };
    let port = match port {
        None | Some("") => None,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse::<u16>().ok()?),
        Some(_) => return None,
    };
    Some((host, port))
}

/// RFC 3986 §5.2.4, on an already encoded path; one without `.` or `..`
/// segments (nearly every one) comes back as it is.
fn remove_dot_segments(path: String) -> String {
    if !path
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return path;
    }
    let mut input = path.as_str();
    let mut output = String::with_capacity(path.len());
    while !input.is_empty() {
        if let Some(rest) = input.strip_prefix("../") {
            input = rest;
        } else if let Some(rest) = input.strip_prefix("./") {
            input = rest;
        } else if input.starts_with("/./") {
            input = &input[2..];
        } else if input == "/." {
            input = "/";
        } else if input.starts_with("/../") || input == "/.." {
            input = if input == "/.." { "/" } else { &input[3..] };
            let cut = output.rfind('/').unwrap_or(0);
            output.truncate(cut);
        } else if input == "." || input == ".." {
            input = "";
        } else {
            let start = usize::from(input.starts_with('/'));
            let end = input[start..].find('/').map_or(input.len(), |i| i + start);
            output.push_str(&input[..end]);
            input = &input[end..];
        }
    }
    output
}

/// Which bytes stand raw in a component; the rest are percent-encoded, but for
/// `%XX` escapes, which stay as they are. Unreserved characters and sub-delims
/// always stand raw.
type Allowed = &'static [bool; 256];
const USERINFO: Allowed = &stands_raw(b":");
const PATH: Allowed = &stands_raw(b":@/");
const QUERY: Allowed = &stands_raw(b":@/?");
const FRAGMENT: Allowed = &stands_raw(b":@/?");

const fn stands_raw(also: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = is_unreserved(b as u8)
            || matches!(
                b as u8,
                b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
            );
        b += 1;
    }
    let mut i = 0;
    while i < also.len() {
        table[also[i] as usize] = true;
        i += 1;
    }
    table
}

const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn encode(s: &str, allowed: Allowed) -> String {
    let bytes = s.as_bytes();
    if bytes.iter().all(|&b| allowed[usize::from(b)]) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for (i, &b) in bytes.iter().enumerate() {
        let escape = b == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if escape || allowed[usize::from(b)] {
            out.push(b as char);
        } else {
            push_escape(&mut out, b);
        }
    }
    out
}

fn push_escape(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(HEX[usize::from(b >> 4)] as char);
    out.push(HEX[usize::from(b & 15)] as char);
}

/// Whether a string that could name a file is meant as a URL: it has `://`,
/// starts with a scheme and a `:` (`http:/host`, `user:pw@host`), or with a scheme
/// curd fetches and `//` (`http//host`). A malformed one is then refused as a URL,
/// its password masked, rather than looked for as a folder of that name.
pub fn looks_like_url(text: &str) -> bool {
    let scheme = text
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        .count();
    let (head, rest) = text.split_at(scheme);
    let named = head.len() > 1 && head.starts_with(|c: char| c.is_ascii_alphabetic());
    text.contains("://")
        || (named && rest.starts_with(':'))
        || (["http", "https", "file"]
            .iter()
            .any(|s| head.eq_ignore_ascii_case(s))
            && rest.starts_with("//"))
}

/// `input`, a URL as someone wrote it, with its user information masked: every
/// message that shows a URL string that did not parse goes through here, as a
/// malformed URL may hold a password all the same. Everything before the last `@`
/// is masked but a leading scheme and its slashes (`http:/user:pw@host` shows as
/// `http:/****@host`, `user:pw@host` as `****@host`). The last `@` of the whole
/// string counts, not of the authority: where a malformed URL's authority ends
/// cannot be known, since a password may hold a raw `/`, `?` or `#`.
pub fn redact_str(input: &str) -> String {
    match masked_span(input) {
        Some(span) => format!("{}****{}", &input[..span.start], &input[span.end..]),
        None => input.to_string(),
    }
}

/// The bytes of `input` that [`redact_str`] masks, if any.
pub(crate) fn masked_span(input: &str) -> Option<std::ops::Range<usize>> {
    let at = input.rfind('@')?;
    let bytes = input.as_bytes();
    let scheme = bytes
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        .count();
    let mut start = 0;
    if scheme > 0 && bytes[0].is_ascii_alphabetic() {
        let colon = scheme + usize::from(bytes.get(scheme) == Some(&b':'));
        let slashes = bytes[colon..].iter().take_while(|&&b| b == b'/').count();
        if slashes > 0 {
            start = colon + slashes;
        }
    }
    (start < at).then_some(start..at)
}

/// A URL as `direct_url.json` (PEP 610) records it: without user information, unless it is
/// environment variables (`${USER}:${TOKEN}`), or `git` for a git URL, as pip does.
pub fn recorded(url: &str, git: bool) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_string();
    };
    let userinfo = &rest[..at];
    let variable = |s: &str| {
        s.strip_prefix("${")
            .and_then(|s| s.strip_suffix('}'))
            .is_some_and(|name| {
                !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            })
    };
    let kept = match userinfo.split_once(':') {
        Some((user, password)) => variable(user) && variable(password),
        None => variable(userinfo) || (git && userinfo == "git"),
    };
    if kept {
        url.to_string()
    } else {
        format!("{scheme}://{}", &rest[at + 1..])
    }
}

#[cfg(test)]
mod tests;

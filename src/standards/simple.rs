//! Simple-index pages as servers write them: a project's files from PEP 503 HTML
//! or PEP 691 JSON, with their hashes, `requires-python`, yanked marks (PEP 592)
//! and core-metadata availability (PEP 658/714). Pure: the client and the
//! server's pull-through both read pages with it.
//!
//! <https://packaging.python.org/en/latest/specifications/simple-repository-api/>
//!
//! The HTML reader is hand-written and tolerant, because index pages are written
//! by many servers (PyPI, pypiserver, devpi, Artifactory, Nexus, static mirrors)
//! and by hand: attributes come in any order and case, quoted either way or not at
//! all, with entities; comments and scripts are skipped; `<base href>` is obeyed.
//! It keeps what pip's `parse_links` keeps, and agrees with it on every page the
//! differential test tries (`tests/it/client/index.rs`), with two deliberate exceptions
//! that follow the PEPs where pip does not: a bare `data-yanked` (no value) marks
//! the file yanked (PEP 592), and `data-core-metadata="false"` means no metadata.
//!
//! Each [`IndexFile`] keeps its URL without the fragment: the hash is in
//! `sha256`, and other hash kinds (`#md5=`) are dropped with it.

mod json;

use std::fmt;

use self::json::{Field, Json};
use crate::standards::url::Url;

/// What `Accept` asks an index for: JSON first (faster to parse, and it has
/// sizes), HTML from servers that have only that.
pub const ACCEPT: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

/// Whether an index serves a file's core metadata on its own (PEP 658/714), so a
/// resolver can read dependencies without downloading the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetadataAvailability {
    No,
    /// Served, with no hash curd can check.
    Yes,
    /// Served, with its sha256 (lowercase hex).
    Sha256(String),
}

/// One file of a project, as an index describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexFile {
    /// The last segment of the URL, percent-decoded (HTML), or the `filename`
    /// field (JSON). Not yet checked to be a distribution name.
    pub filename: String,
    /// Where to download it; absolute, without fragment.
    pub url: Url,
    /// Lowercase hex.
    pub sha256: Option<String>,
    pub requires_python: Option<String>,
    /// The reason it was yanked (PEP 592), `""` when none was given.
    pub yanked: Option<String>,
    pub core_metadata: MetadataAvailability,
    /// Only JSON pages and local folders say.
    pub size: Option<u64>,
}

impl IndexFile {
    /// Where the index serves the file's core metadata (PEP 658), if it does.
    pub fn metadata_url(&self) -> Option<Url> {
        match self.core_metadata {
            MetadataAvailability::No => None,
            _ => Some(self.url.with_path_suffix(".metadata")),
        }
    }
}

/// A project's files, in the order the page lists them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectPage {
    pub files: Vec<IndexFile>,
}

/// Why a page could not be read.
#[derive(Debug)]
pub enum PageError {
    /// The JSON is malformed or lacks what PEP 691 requires.
    Json { url: Url, reason: String },
    /// The page speaks a major API version other than 1.
    ApiVersion { url: Url, version: String },
    /// The answer is neither HTML nor PEP 691 JSON.
    ContentType { url: Url, content_type: String },
    /// The page lists more files than any real project has.
    TooManyFiles { url: Url, limit: usize },
}

/// The most files a project page may list. PyPI's largest projects list tens of
/// thousands; a page of millions of tiny links is an attack on memory (each
/// file read takes some hundreds of bytes).
pub const MAX_PAGE_FILES: usize = 250_000;

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PageError::Json { url, reason } => {
                write!(f, "malformed index page `{url}`: {reason}")
            }
            PageError::ApiVersion { url, version } => write!(
                f,
                "index page `{url}` uses simple API version {version}; curd reads 1.x"
            ),
            PageError::ContentType { url, content_type } => write!(
                f,
                "`{url}` is not an index page: its Content-Type is `{content_type}`"
            ),
            PageError::TooManyFiles { url, limit } => write!(
                f,
                "index page `{url}` lists more than {limit} files; expected a project's page"
            ),
        }
    }
}

impl std::error::Error for PageError {}

/// Picks the parser by Content-Type, as PEP 691 says; HTML when none is given
/// (static file servers and `file://` pages).
pub fn parse_page(
    content_type: Option<&str>,
    body: &[u8],
    page_url: &Url,
) -> Result<ProjectPage, PageError> {
    let media = content_type.map(|c| {
        c.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    match media.as_deref() {
        Some("application/vnd.pypi.simple.v1+json" | "application/vnd.pypi.simple.latest+json") => {
            parse_json(body, page_url)
        }
        None
        | Some(
            "application/vnd.pypi.simple.v1+html"
            | "application/vnd.pypi.simple.latest+html"
            | "text/html"
            | "",
        ) => parse_html(&String::from_utf8_lossy(body), page_url),
        Some(_) => Err(PageError::ContentType {
            url: page_url.clone(),
            content_type: content_type.unwrap_or_default().to_string(),
        }),
    }
}

/// Reads a PEP 691 JSON page (API version 1.x). Links that cannot be resolved
/// (another scheme, a malformed host) are skipped, as the HTML reader does.
pub fn parse_json(body: &[u8], page_url: &Url) -> Result<ProjectPage, PageError> {
    let malformed = |reason: String| PageError::Json {
        url: page_url.clone(),
        reason,
    };
    let page = Json::parse(body).map_err(|e| malformed(e.to_string()))?;
    if !matches!(page, Json::Object(_)) {
        return Err(malformed("expected a JSON object".into()));
    }
    if let Some(version) = page.get(Field::Meta).and_then(|m| m.get(Field::ApiVersion)) {
        let version = version.as_str().unwrap_or_default();
        if version.split('.').next() != Some("1") {
            return Err(PageError::ApiVersion {
                url: page_url.clone(),
                version: version.to_string(),
            });
        }
    }
    let Some(Json::Array(entries)) = page.get(Field::Files) else {
        return Err(malformed("expected a `files` list".into()));
    };
    if entries.len() > MAX_PAGE_FILES {
        return Err(too_many(page_url));
    }
    let mut files = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let field = |name: Field| entry.get(name).and_then(Json::as_str);
        let (Some(filename), Some(href)) = (field(Field::Filename), field(Field::Url)) else {
            return Err(malformed(format!(
                "file {} has no `filename` or `url` string",
                i + 1
            )));
        };
        let Ok(url) = page_url.join(href) else {
            continue;
        };
        let sha256 = entry
            .get(Field::Hashes)
            .and_then(|h| h.get(Field::Sha256))
            .and_then(Json::as_str)
            .map(str::to_ascii_lowercase)
            .or_else(|| url.fragment_sha256())
            .filter(|h| !h.is_empty());
        let yanked = match entry.get(Field::Yanked) {
            Some(Json::Bool(true)) => Some(String::new()),
            Some(Json::Text(reason)) => Some(reason.to_string()),
            _ => None,
        };
        let metadata = entry
            .get(Field::CoreMetadata)
            .or_else(|| entry.get(Field::DistInfoMetadata));
        let core_metadata = match metadata {
            None | Some(Json::Null) | Some(Json::Bool(false)) => MetadataAvailability::No,
            Some(hashes @ Json::Object(_)) => {
                match hashes.get(Field::Sha256).and_then(Json::as_str) {
                    Some(sha) => MetadataAvailability::Sha256(sha.to_ascii_lowercase()),
                    None => MetadataAvailability::Yes,
                }
            }
            Some(_) => MetadataAvailability::Yes,
        };
        let size = match entry.get(Field::Size) {
            Some(Json::Number(size)) => *size,
            _ => None,
        };
        files.push(IndexFile {
            filename: filename.to_string(),
            url: url.without_fragment(),
            sha256,
            requires_python: non_empty(field(Field::RequiresPython)),
            yanked,
            core_metadata,
            size,
        });
    }
    Ok(ProjectPage { files })
}

fn too_many(page_url: &Url) -> PageError {
    PageError::TooManyFiles {
        url: page_url.clone(),
        limit: MAX_PAGE_FILES,
    }
}

/// Reads a PEP 503 HTML page: every `<a href>` that names a file.
pub fn parse_html(body: &str, page_url: &Url) -> Result<ProjectPage, PageError> {
    let mut base: Option<Url> = None;
    let mut files = Vec::new();
    for tag in Tags::new(body) {
        match tag.name.as_str() {
            "base" if base.is_none() => {
                if let Some(href) = tag.attr("href") {
                    base = page_url.join(href).ok();
                }
            }
            "a" => {
                if let Some(file) = anchor_file(&tag, base.as_ref().unwrap_or(page_url)) {
                    if files.len() == MAX_PAGE_FILES {
                        return Err(too_many(page_url));
                    }
                    files.push(file);
                }
            }
            _ => {}
        }
    }
    Ok(ProjectPage { files })
}

fn anchor_file(tag: &Tag, base: &Url) -> Option<IndexFile> {
    let href = tag.attr("href").filter(|h| !h.is_empty())?;
    let url = base.join(href).ok()?;
    let filename = url.filename()?;
    let metadata = tag
        .attr("data-core-metadata")
        .or_else(|| tag.attr("data-dist-info-metadata"));
    let core_metadata = match metadata {
        None | Some("false") => MetadataAvailability::No,
        Some(value) => match value.split_once('=') {
            Some(("sha256", sha)) => MetadataAvailability::Sha256(sha.to_ascii_lowercase()),
            _ => MetadataAvailability::Yes,
        },
    };
    Some(IndexFile {
        filename,
        sha256: url.fragment_sha256().filter(|h| !h.is_empty()),
        url: url.without_fragment(),
        requires_python: non_empty(tag.attr("data-requires-python")),
        yanked: tag.attr("data-yanked").map(str::to_string),
        core_metadata,
        size: None,
    })
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(String::from)
}

/// A start tag: its lowercase name and its attributes, values decoded.
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
}

impl Tag {
    /// The first attribute of that name, as browsers take it.
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The start tags of an HTML document, skipping comments, declarations, end
/// tags and the contents of `<script>` and `<style>`. Never fails: what does not
/// parse as a tag is text.
struct Tags<'a> {
    html: &'a str,
    pos: usize,
}

impl<'a> Tags<'a> {
    fn new(html: &'a str) -> Self {
        Tags { html, pos: 0 }
    }

    /// Moves past the next `end` (or to the end of the document).
    fn skip_past(&mut self, end: &str) {
        self.pos = match self.html[self.pos..].find(end) {
            Some(i) => self.pos + i + end.len(),
            None => self.html.len(),
        };
    }

    /// Moves past `</name`, case-insensitively, for raw-text elements.
    fn skip_raw_text(&mut self, name: &str) {
        let bytes = self.html.as_bytes();
        let mut i = self.pos;
        while let Some(found) = self.html[i..].find("</") {
            let start = i + found + 2;
            let end = start + name.len();
            if bytes
                .get(start..end)
                .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
            {
                self.pos = start;
                self.skip_past(">");
                return;
            }
            i = start;
        }
        self.pos = self.html.len();
    }

    /// Parses attributes from `self.pos` up to the tag's `>`; `None` when the
    /// document ends first (a truncated tag is dropped, as Python's parser does).
    fn attributes(&mut self) -> Option<Vec<(String, String)>> {
        let bytes = self.html.as_bytes();
        let mut attrs = Vec::new();
        loop {
            while bytes
                .get(self.pos)
                .is_some_and(|&b| b.is_ascii_whitespace() || b == b'/')
            {
                self.pos += 1;
            }
            match bytes.get(self.pos) {
                None => return None,
                Some(b'>') => {
                    self.pos += 1;
                    return Some(attrs);
                }
                Some(_) => {}
            }
            let start = self.pos;
            self.pos += 1;
            while bytes
                .get(self.pos)
                .is_some_and(|&b| !(b.is_ascii_whitespace() || matches!(b, b'/' | b'>' | b'=')))
            {
                self.pos += 1;
            }
            let name = self.html[start..self.pos].to_ascii_lowercase();
            let after_name = self.pos;
            self.skip_whitespace();
            if bytes.get(self.pos) != Some(&b'=') {
                self.pos = after_name;
                attrs.push((name, String::new()));
                continue;
            }
            while bytes.get(self.pos) == Some(&b'=') {
                self.pos += 1;
            }
            self.skip_whitespace();
            let raw = match bytes.get(self.pos) {
                None => return None,
                Some(&quote @ (b'"' | b'\'')) => {
                    let open = self.pos + 1;
                    let close = self.html[open..].find(quote as char)? + open;
                    self.pos = close + 1;
                    &self.html[open..close]
                }
                Some(_) => {
                    let start = self.pos;
                    while bytes
                        .get(self.pos)
                        .is_some_and(|&b| !(b.is_ascii_whitespace() || b == b'>'))
                    {
                        self.pos += 1;
                    }
                    &self.html[start..self.pos]
                }
            };
            attrs.push((name, decode_entities(raw)));
        }
    }

    fn skip_whitespace(&mut self) {
        let bytes = self.html.as_bytes();
        while bytes.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }
}

impl Iterator for Tags<'_> {
    type Item = Tag;

    fn next(&mut self) -> Option<Tag> {
        loop {
            let lt = self.html[self.pos..].find('<')? + self.pos;
            let rest = &self.html[lt..];
            self.pos = lt + 1;
            if rest.starts_with("<!--") {
                self.pos = lt + 4;
                self.skip_past("-->");
                continue;
            }
            if rest.starts_with("<!") || rest.starts_with("<?") || rest.starts_with("</") {
                self.skip_past(">");
                continue;
            }
            let name_len = rest[1..]
                .bytes()
                .take_while(u8::is_ascii_alphanumeric)
                .count();
            if !rest.as_bytes().get(1).is_some_and(u8::is_ascii_alphabetic) {
                continue;
            }
            let name = rest[1..=name_len].to_ascii_lowercase();
            self.pos = lt + 1 + name_len;
            let attrs = self.attributes()?;
            if name == "script" || name == "style" {
                self.skip_raw_text(&name);
            }
            return Some(Tag { name, attrs });
        }
    }
}

/// Decodes character references: the named ones index pages use, and numeric
/// ones. Unknown or unterminated references stay as written.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|&semi| semi <= 32).and_then(|semi| {
            let entity = &rest[1..semi];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => {
                    let number = entity.strip_prefix('#')?;
                    let (digits, radix) = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => (hex, 16),
                        None => (number, 10),
                    };
                    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
                        return None;
                    }
                    // Too many digits for a u32 is no character either.
                    let code = u32::from_str_radix(digits, radix).unwrap_or(u32::MAX);
                    Some(
                        char::from_u32(code)
                            .filter(|&c| c != '\0')
                            .unwrap_or('\u{fffd}'),
                    )
                }
            }?;
            Some((c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;

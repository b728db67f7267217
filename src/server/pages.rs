//! What the server says about the index: simple-index pages (PEP 503 HTML, PEP 691
//! JSON, with PEP 658/714 metadata hashes), Curdling's JSON API, and the home page.
//! Pure rendering from an [`Index`] snapshot and the rows of upstream pages; the
//! only I/O is the lazy hashing that [`Store::facts`] does on first use.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::server::storage::{Index, StoredFile, listing_order};
use crate::server::store::Store;
use crate::standards::filename::DistFilename;
use crate::standards::name::PackageName;
use crate::standards::simple::{IndexFile, MetadataAvailability};
use crate::util::encoding::percent_encode;
use crate::util::messages::count;

/// The PEP 691 media types, and plain HTML for browsers and old clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Json,
    Html,
    LegacyHtml,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/vnd.pypi.simple.v1+json",
            Format::Html => "application/vnd.pypi.simple.v1+html",
            Format::LegacyHtml => "text/html; charset=utf-8",
        }
    }

    /// Picks the format a client prefers from its `Accept` header (PEP 691's content
    /// negotiation); `None` when it accepts none of them. Ties go to JSON, the
    /// faster to parse.
    pub fn negotiate(accept: Option<&str>) -> Option<Format> {
        let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
            return Some(Format::LegacyHtml);
        };
        let mut best: Option<(f32, usize, Format)> = None;
        for item in accept.split(',') {
            let mut parts = item.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let (rank, format) = match media.as_str() {
                "application/vnd.pypi.simple.v1+json"
                | "application/vnd.pypi.simple.latest+json" => (0, Format::Json),
                "application/vnd.pypi.simple.v1+html"
                | "application/vnd.pypi.simple.latest+html" => (1, Format::Html),
                "text/html" | "text/*" | "*/*" => (2, Format::LegacyHtml),
                _ => continue,
            };
            if q <= 0.0 {
                continue;
            }
            let better = match best {
                None => true,
                Some((bq, brank, _)) => q > bq || (q == bq && rank < brank),
            };
            if better {
                best = Some((q, rank, format));
            }
        }
        best.map(|(_, _, f)| f)
    }
}

/// `/simple/`: every project, each named once.
pub fn simple_index(mut names: Vec<&PackageName>, format: Format) -> Vec<u8> {
    names.sort();
    names.dedup();
    match format {
        Format::Json => {
            let projects: Vec<Value> = names
                .iter()
                .map(|n| json!({ "name": n.as_str() }))
                .collect();
            json_bytes(&json!({ "meta": { "api-version": "1.1" }, "projects": projects }))
        }
        Format::Html | Format::LegacyHtml => {
            let mut out = html_head("Simple index");
            for name in names {
                let _ = writeln!(out, "<a href=\"{0}/\">{0}</a><br/>", name.as_str());
            }
            out.push_str("</body>\n</html>\n");
            out.into_bytes()
        }
    }
}

/// One file as a project page lists it: a stored file with what its checks
/// found, or an upstream's file with what the upstream said of it.
#[derive(Clone, Debug)]
pub struct Row {
    pub filename: DistFilename,
    pub name: String,
    /// Where the page links: this server's `/p/` for what it serves.
    pub href: String,
    /// Hex sha256; empty when unknown.
    pub sha256: String,
    pub size: Option<u64>,
    pub requires_python: Option<String>,
    pub metadata: MetadataAvailability,
    /// Why the file was yanked (PEP 592), `""` when no reason was given.
    pub yanked: Option<String>,
}

impl Row {
    /// A stored file, with the facts its checks found.
    pub fn stored(storage: &dyn Store, file: &StoredFile) -> Row {
        let facts = storage.facts(file);
        Row {
            filename: file.filename.clone(),
            name: file.name.clone(),
            href: served_href(&file.name),
            sha256: facts.sha256,
            size: Some(file.size),
            requires_python: facts.requires_python,
            metadata: match facts.metadata_sha256 {
                Some(sha) => MetadataAvailability::Sha256(sha),
                None => MetadataAvailability::No,
            },
            yanked: None,
        }
    }

    /// An upstream's file, as its page describes it, linked at `href`.
    pub fn listed(file: &IndexFile, filename: DistFilename, href: String) -> Row {
        Row {
            filename,
            name: file.filename.clone(),
            href,
            sha256: file.sha256.clone().unwrap_or_default(),
            size: file.size,
            requires_python: file.requires_python.clone(),
            metadata: file.core_metadata.clone(),
            yanked: file.yanked.clone(),
        }
    }
}

/// Where a project page links a file this server serves, relative to the page.
pub fn served_href(name: &str) -> String {
    format!("../../p/{}", percent_encode(name))
}

/// Lists rows in the order the folder's files are listed.
pub fn sort_rows(rows: &mut [Row]) {
    rows.sort_by(|a, b| listing_order((&a.filename, &a.name), (&b.filename, &b.name)));
}

/// `/simple/<project>/`: a project's files (sorted by [`sort_rows`]), with hashes
/// and metadata links.
pub fn simple_project(name: &PackageName, rows: &[Row], format: Format) -> Vec<u8> {
    match format {
        Format::Json => {
            let mut versions = versions(rows);
            versions.reverse();
            let files: Vec<Value> = rows.iter().map(json_file).collect();
            json_bytes(&json!({
                "meta": { "api-version": "1.1" },
                "name": name.as_str(),
                "versions": versions,
                "files": files,
            }))
        }
        Format::Html | Format::LegacyHtml => {
            let mut out = html_head(&format!("Links for {name}"));
            for row in rows {
                let _ = write!(out, "<a href=\"{}", escape(&row.href));
                if !row.sha256.is_empty() {
                    let _ = write!(out, "#sha256={}", row.sha256);
                }
                out.push('"');
                if let Some(rp) = &row.requires_python {
                    let _ = write!(out, " data-requires-python=\"{}\"", escape(rp));
                }
                let metadata = match &row.metadata {
                    MetadataAvailability::No => None,
                    MetadataAvailability::Yes => Some("true".to_string()),
                    MetadataAvailability::Sha256(sha) => Some(format!("sha256={sha}")),
                };
                if let Some(value) = metadata {
                    let value = escape(&value);
                    let _ = write!(
                        out,
                        " data-dist-info-metadata=\"{value}\" data-core-metadata=\"{value}\""
                    );
                }
                if let Some(reason) = &row.yanked {
                    let _ = write!(out, " data-yanked=\"{}\"", escape(reason));
                }
                let _ = writeln!(out, ">{}</a><br/>", escape(&row.name));
            }
            out.push_str("</body>\n</html>\n");
            out.into_bytes()
        }
    }
}

/// One file of a PEP 691 page.
fn json_file(row: &Row) -> Value {
    let metadata = match &row.metadata {
        MetadataAvailability::No => json!(false),
        MetadataAvailability::Yes => json!(true),
        MetadataAvailability::Sha256(sha) => json!({ "sha256": sha }),
    };
    let hashes = if row.sha256.is_empty() {
        json!({})
    } else {
        json!({ "sha256": row.sha256 })
    };
    let mut file = json!({
        "filename": row.name,
        "url": row.href,
        "hashes": hashes,
        "core-metadata": metadata,
        "dist-info-metadata": metadata,
    });
    if let Some(obj) = file.as_object_mut() {
        if let Some(size) = row.size {
            obj.insert("size".into(), json!(size));
        }
        if let Some(rp) = &row.requires_python {
            obj.insert("requires-python".into(), json!(rp));
        }
        match row.yanked.as_deref() {
            Some("") => obj.insert("yanked".into(), json!(true)),
            Some(reason) => obj.insert("yanked".into(), json!(reason)),
            None => None,
        };
    }
    file
}

/// Curdling's `/api/`: the projects' names, which its client's locator lists.
pub fn api_projects(index: &Index) -> Vec<u8> {
    let names: Vec<Value> = index.projects.keys().map(|n| json!(n.as_str())).collect();
    json_bytes(&Value::Array(names))
}

/// Curdling's `/api/<project>`: releases, newest first, each with its files' URLs
/// (under `base`, this server's URL) and sha256.
pub fn api_project(name: &PackageName, rows: &[Row], base: &str) -> Vec<u8> {
    let releases: Vec<Value> = versions(rows)
        .into_iter()
        .map(|version| {
            let urls: Vec<Value> = rows
                .iter()
                .filter(|row| row.filename.version().to_string() == version)
                .map(|row| {
                    json!({
                        "filename": row.name,
                        "url": format!("{base}/p/{}", percent_encode(&row.name)),
                        "sha256": row.sha256,
                        "size": row.size,
                    })
                })
                .collect();
            json!({ "name": name.as_str(), "version": version, "urls": urls })
        })
        .collect();
    json_bytes(&Value::Array(releases))
}

/// A JSON error body, as Curdling's API answers them.
pub fn json_error(message: &str) -> Vec<u8> {
    json_bytes(&json!({ "error": message }))
}

/// Distinct versions, newest first (rows are sorted that way).
fn versions(rows: &[Row]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for row in rows {
        let v = row.filename.version().to_string();
        if out.last() != Some(&v) {
            out.push(v);
        }
    }
    out
}

/// The top of the home page: what is here and how to use it. `base` is this
/// server's URL as the browser reached it.
pub fn home_header(index: &Index, base: &str, auth: bool) -> String {
    let base = escape(base);
    let mut out = html_head("curd-server");
    let file_count: usize = index.projects.values().map(Vec::len).sum();
    let _ = writeln!(
        out,
        "<h1>curd-server</h1>\n<p>{}, {}.</p>",
        count(index.projects.len(), "project"),
        count(file_count, "file")
    );
    let login = if auth { "USER:PASSWORD@" } else { "" };
    let with_login = |url: &str| url.replacen("://", &format!("://{login}"), 1);
    let _ = writeln!(
        out,
        "<h2>Use it</h2>\n<pre>\
         pip install --index-url {simple} NAME\n\
         uv pip install --index-url {simple} NAME\n\
         curd install -c {cache} NAME\n\
         twine upload --repository-url {base}/ dist/*\n\
         curl -T FILE.whl {cache}/p/FILE.whl</pre>",
        simple = with_login(&format!("{base}/simple/")),
        cache = with_login(&base),
    );
    out
}

/// The rest of the home page: every file, the same for every client.
pub fn home_table(index: &Index) -> Vec<u8> {
    let mut out = String::from(
        "<h2>Projects</h2>\n<table>\n<tr><th>project</th><th>version</th><th>file</th><th>size</th></tr>\n",
    );
    for (name, files) in &index.projects {
        for f in files.iter() {
            let _ = writeln!(
                out,
                "<tr><td><a href=\"/simple/{name}/\">{name}</a></td><td>{}</td><td><a href=\"/p/{}\">{}</a></td><td>{}</td></tr>",
                escape(&f.filename.version().to_string()),
                percent_encode(&f.name),
                escape(&f.name),
                human_size(f.size)
            );
        }
    }
    out.push_str("</table>\n</body>\n</html>\n");
    out.into_bytes()
}

fn html_head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta name=\"pypi:repository-version\" content=\"1.1\">\n<title>{}</title>\n</head>\n<body>\n",
        escape(title)
    )
}

fn json_bytes(value: &Value) -> Vec<u8> {
    let mut out = value.to_string().into_bytes();
    out.push(b'\n');
    out
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{size:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_like_pep_691() {
        let pip = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01";
        assert_eq!(Format::negotiate(Some(pip)), Some(Format::Json));
        assert_eq!(Format::negotiate(None), Some(Format::LegacyHtml));
        assert_eq!(
            Format::negotiate(Some("text/html")),
            Some(Format::LegacyHtml)
        );
        assert_eq!(
            Format::negotiate(Some("application/vnd.pypi.simple.v1+html")),
            Some(Format::Html)
        );
        assert_eq!(
            Format::negotiate(Some("application/vnd.pypi.simple.v1+json;q=0.5, text/html")),
            Some(Format::LegacyHtml)
        );
        assert_eq!(Format::negotiate(Some("*/*")), Some(Format::LegacyHtml));
        assert_eq!(Format::negotiate(Some("application/xml")), None);
        assert_eq!(Format::negotiate(Some("text/html;q=0")), None);
    }

    #[test]
    fn escapes_html_and_urls() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(percent_encode("a-1.0+local.whl"), "a-1.0%2Blocal.whl");
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(20 * 1024 * 1024), "20.0 MiB");
    }
}

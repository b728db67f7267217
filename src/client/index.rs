//! The simple-index client: a project's files as an index lists them (pages read
//! by `standards::simple`), and from local find-links folders and pages.

use std::fmt;
use std::path::Path;

use crate::client::fetch::{Client, FetchError, Response};
use crate::standards::filename::DistFilename;
use crate::standards::name::PackageName;
pub use crate::standards::simple::{
    ACCEPT, IndexFile, MetadataAvailability, PageError, ProjectPage, parse_html, parse_json,
};
use crate::standards::url::Url;
use crate::util::fs::{Context, FsError};

/// Why an index or find-links source could not be read.
#[derive(Debug)]
pub enum IndexError {
    /// The page or file could not be fetched.
    Fetch(FetchError),
    /// The page came but is no index page curd can read.
    Page(PageError),
    /// A find-links folder could not be listed.
    Folder(FsError),
}

impl fmt::Display for IndexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexError::Fetch(e) => e.fmt(f),
            IndexError::Page(e) => e.fmt(f),
            IndexError::Folder(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for IndexError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IndexError::Fetch(e) => Some(e),
            IndexError::Page(e) => Some(e),
            IndexError::Folder(e) => Some(e),
        }
    }
}

impl From<FetchError> for IndexError {
    fn from(e: FetchError) -> Self {
        IndexError::Fetch(e)
    }
}

/// A simple index (`--index-url`), such as `https://pypi.org/simple/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    pub url: Url,
}

impl Index {
    /// The project's page, `None` when the index does not know the project.
    pub fn project(
        &self,
        client: &Client,
        name: &PackageName,
    ) -> Result<Option<ProjectPage>, IndexError> {
        let url = self
            .url
            .as_directory()
            .with_path_suffix(&format!("{}/", name.as_str()));
        let response = client.get(&url, ACCEPT)?;
        if response.status == 404 {
            crate::debug!("{url}: 404, no such project");
            return Ok(None);
        }
        let page = parse_response(&response)?;
        crate::debug!("{url}: {}, {} files", response.status, page.files.len());
        Ok(Some(page))
    }
}

/// The files a find-links page (`-f URL`) links to, read like an index page.
pub fn find_links_page(client: &Client, url: &Url) -> Result<Vec<IndexFile>, IndexError> {
    let response = client.get(url, "text/html")?;
    if response.status == 404 {
        return Err(IndexError::Fetch(FetchError::Status {
            url: response.final_url,
            status: 404,
            detail: String::new(),
            retry_after: None,
        }));
    }
    let files = parse_response(&response)?.files;
    crate::debug!("{url}: {}, {} files", response.status, files.len());
    Ok(files)
}

/// The distributions in a local folder (`-f DIR`), as `file://` URLs, sorted by
/// name. Only names that parse as wheels or sdists count, which also skips
/// hidden and temporary files.
pub fn find_links_dir(dir: &Path) -> Result<Vec<IndexFile>, IndexError> {
    let dir = std::path::absolute(dir)
        .context("read", dir)
        .map_err(IndexError::Folder)?;
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir)
        .context("read", &dir)
        .map_err(IndexError::Folder)?
    {
        let entry = entry.context("read", &dir).map_err(IndexError::Folder)?;
        let Ok(filename) = entry.file_name().into_string() else {
            continue;
        };
        if DistFilename::parse(&filename).is_err() {
            continue;
        }
        let path = entry.path();
        // Follows symlinks, so a folder of links to a shared store works.
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        let Ok(url) = Url::from_file_path(&path) else {
            continue;
        };
        if meta.is_file() {
            files.push(IndexFile {
                filename,
                url,
                sha256: None,
                requires_python: None,
                yanked: None,
                core_metadata: MetadataAvailability::No,
                size: Some(meta.len()),
            });
        }
    }
    files.sort_by(|a, b| a.filename.cmp(&b.filename));
    crate::debug!("{}: {} files", dir.display(), files.len());
    Ok(files)
}
/// Picks the parser by Content-Type, as PEP 691 says.
fn parse_response(response: &Response) -> Result<ProjectPage, IndexError> {
    crate::standards::simple::parse_page(
        response.content_type.as_deref(),
        &response.body,
        &response.final_url,
    )
    .map_err(IndexError::Page)
}

//! `curd install --report FILE`: pip's installation report, version 1, for the
//! tools that read pip's (`pip install --dry-run --report` is how many lock
//! dependencies).
//!
//! - <https://pip.pypa.io/en/stable/reference/installation-report/>
//!
//! Traps:
//! - `install` lists what the run installs (or would, with `--dry-run`): what is
//!   installed already and whole is not in it, as in pip.
//! - `metadata` is the METADATA file of the chosen distribution as PEP 566 turns it
//!   into JSON, every field pip knows, not only the fields the resolver reads.
//! - `download_info.url` never carries credentials; a hash is given only where
//!   the index lists one or the file is on local disk.
//! - There is no `pip_version`: curd is not pip, and a consumer that needs pip's
//!   version would be misled by any value.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::client::error::FindError;
use crate::client::find::{Candidate, Finder};
use crate::resolve::Resolved;
use crate::standards::metadata::to_json;
use crate::util::fs::{Context, FsError, TempFile};

/// Why the report could not be made.
#[derive(Debug)]
pub enum ReportError {
    /// A distribution's metadata could not be read for it.
    Metadata { project: String, source: FindError },
    /// The report file could not be written.
    Write(FsError),
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::Metadata { project, source } => {
                write!(
                    f,
                    "cannot write the report: the metadata of {project}: {source}"
                )
            }
            ReportError::Write(e) => write!(f, "cannot write the report: {e}"),
        }
    }
}

impl std::error::Error for ReportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReportError::Metadata { source, .. } => Some(source),
            ReportError::Write(e) => Some(e),
        }
    }
}

/// The report of an install of `resolved`, read in `environment` (the marker
/// environment, by name).
pub fn build(
    finder: &Finder<'_>,
    resolved: &[&Resolved],
    environment: &BTreeMap<String, String>,
) -> Result<Value, ReportError> {
    let entries = finder.jobs().parallel(resolved, |resolved| {
        let (candidate, metadata) = finder
            .raw_core_metadata(&resolved.name, &resolved.version)
            .map_err(|source| ReportError::Metadata {
                project: format!("{} {}", resolved.name, resolved.version),
                source,
            })?;
        let mut entry = Map::new();
        entry.insert("download_info".into(), download_info(&candidate));
        entry.insert("is_direct".into(), Value::Bool(false));
        entry.insert(
            "is_yanked".into(),
            Value::Bool(candidate.file.yanked.is_some()),
        );
        entry.insert("requested".into(), Value::Bool(resolved.requested));
        if resolved.requested && !resolved.extras.is_empty() {
            let extras = resolved.extras.iter().map(|e| Value::from(e.to_string()));
            entry.insert("requested_extras".into(), Value::Array(extras.collect()));
        }
        entry.insert("metadata".into(), Value::Object(to_json(&metadata)));
        Ok(Value::Object(entry))
    });
    let install = entries
        .into_iter()
        .collect::<Result<Vec<Value>, ReportError>>()?;
    Ok(json!({
        "version": "1",
        "install": install,
        "environment": environment,
    }))
}

/// PEP 610's `url` and `archive_info` for an index's or a folder's file.
fn download_info(candidate: &Candidate) -> Value {
    let file = &candidate.file;
    let listed = file
        .sha256
        .as_deref()
        .filter(|sha| sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_ascii_lowercase);
    let sha256 = listed.or_else(|| {
        let path = file.url.to_file_path()?;
        crate::util::digest::sha256_file(&path).ok()
    });
    let archive_info = match sha256 {
        Some(sha) => json!({"hash": format!("sha256={sha}"), "hashes": {"sha256": sha}}),
        None => json!({}),
    };
    json!({
        "url": file.url.without_credentials().to_string(),
        "archive_info": archive_info,
    })
}

/// Writes the report to `dest`, whole or not at all; `-` is stdout.
pub fn write(dest: &Path, report: &Value) -> Result<(), ReportError> {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
    text.push('\n');
    if dest == Path::new("-") {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .context("write", Path::new("<stdout>"))
            .map_err(ReportError::Write);
    }
    let dir = match dest.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut temp = TempFile::new_in(&dir).map_err(ReportError::Write)?;
    temp.write_all(text.as_bytes())
        .context("write", dest)
        .map_err(ReportError::Write)?;
    temp.persist(dest).map_err(ReportError::Write)
}

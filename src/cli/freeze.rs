//! `curd freeze`: `name==version` lines on stdout, as `pip freeze` prints them; and
//! what every command that reports on an environment reads of its projects
//! ([`describe`]): `list`, `show` and `check` too.
//!
//! A project installed from a path or URL is printed as where it came from, read
//! from its `direct_url.json` (PEP 610), in pip's forms, so that the output installs
//! the same set again:
//! - an archive: `name @ URL#sha256=…`; a folder: `name @ file:///path`;
//! - git: `name @ git+URL@COMMIT` (`#subdirectory=…` when it has one);
//! - an editable: `-e git+REMOTE@COMMIT#egg=NAME` in a git work tree with a
//!   remote, else its folder after `-e`, below a comment saying why.

use std::path::PathBuf;

use crate::archive::metadata::MAX_METADATA_BYTES;
use crate::cli::args::FreezeArgs;
use crate::cli::error::CommandError;
use crate::cli::settings::Variables;
use crate::client::direct::frozen_editable;
use crate::client::environment::Environment;
use crate::install::InstalledDist;
use crate::standards::metadata;
use crate::standards::url::Url;
use crate::util::encoding::percent_decode;
use crate::util::fs::read_bounded;

use serde_json::Value;

/// The tools pip leaves out of its list, and so does curd.
const HIDDEN: [&str; 4] = ["pip", "setuptools", "wheel", "distribute"];

/// Larger than any `direct_url.json` an installer writes.
const MAX_DIRECT_URL_BYTES: u64 = 64 * 1024;

/// An installed project and what its METADATA says.
pub struct Described {
    pub dist: InstalledDist,
    /// METADATA's header fields, in order; empty if it cannot be read again.
    pub fields: Vec<(String, String)>,
}

impl Described {
    /// A field's first value, or the empty string, as pip shows a missing one.
    pub fn field(&self, name: &str) -> &str {
        let mut values = self
            .fields
            .iter()
            .filter(|(field, _)| field.eq_ignore_ascii_case(name));
        values.next().map_or("", |(_, value)| value.as_str())
    }

    /// Every value of a field that may repeat (`Requires-Dist`).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(field, _)| field.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The name as the project spells it (`Flask`, not `flask`).
    pub fn name(&self) -> String {
        match self.field("Name") {
            "" => self.dist.name.to_string(),
            name => name.to_string(),
        }
    }

    /// The project's own folder when it is installed editable: `direct_url.json`
    /// (PEP 610) says so with `"dir_info": {"editable": true}` and a `file:` URL.
    pub fn editable_location(&self) -> Option<PathBuf> {
        let raw = read_bounded(
            &self.dist.dist_info.join("direct_url.json"),
            MAX_DIRECT_URL_BYTES,
        )
        .ok()?;
        let json: serde_json::Value = serde_json::from_slice(&raw).ok()?;
        let editable = json.pointer("/dir_info/editable")?.as_bool()?;
        let path = json.get("url")?.as_str()?.strip_prefix("file://")?;
        let bytes = percent_decode(path);
        editable.then(|| PathBuf::from(String::from_utf8_lossy(&bytes).into_owned()))
    }
}

/// Every project installed in `env`, with its metadata, in name order.
pub fn describe(env: &Environment) -> Result<Vec<Described>, CommandError> {
    let dists = env.installed()?.dists;
    Ok(dists
        .into_iter()
        .map(|dist| {
            let fields = read_bounded(&dist.dist_info.join("METADATA"), MAX_METADATA_BYTES)
                .ok()
                .and_then(|raw| metadata::fields(&raw).ok())
                .unwrap_or_default();
            Described { dist, fields }
        })
        .collect())
}

/// The environment a reporting command reads: any Python, virtual or not.
pub fn open(python: Option<PathBuf>) -> Result<Environment, CommandError> {
    let vars = Variables::from_process();
    Ok(Environment::open(
        &vars.discovery(python),
        true,
        &vars.interpreters(),
    )?)
}

/// `curd freeze`: names as the projects spell them, in pip's order.
pub fn freeze(args: FreezeArgs) -> Result<(), CommandError> {
    let env = open(args.python)?;
    let mut lines: Vec<(String, String)> = describe(&env)?
        .into_iter()
        .filter(|d| !HIDDEN.contains(&d.dist.name.as_str()))
        .map(|d| {
            let name = d.name();
            let pinned = format!("{name}=={}", d.dist.version);
            let direct = read_bounded(
                &d.dist.dist_info.join("direct_url.json"),
                MAX_DIRECT_URL_BYTES,
            )
            .ok()
            .and_then(|raw| serde_json::from_slice::<Value>(&raw).ok())
            .and_then(|direct| direct_line(&name, &pinned, &direct));
            (name.to_ascii_lowercase(), direct.unwrap_or(pinned))
        })
        .collect();
    lines.sort();
    for (_, line) in lines {
        println!("{line}");
    }
    Ok(())
}

/// How pip freezes a project with `direct_url.json`; `None` when it does not
/// read as PEP 610 says, and pip would print `name==version`.
fn direct_line(name: &str, pinned: &str, direct: &Value) -> Option<String> {
    let url = direct.get("url")?.as_str()?;
    let mut fragments = Vec::new();
    let mut line = format!("{name} @ ");
    if let Some(vcs) = direct.get("vcs_info") {
        let commit = vcs.get("commit_id")?.as_str()?;
        line += &format!("{}+{url}@{commit}", vcs.get("vcs")?.as_str()?);
    } else if let Some(archive) = direct.get("archive_info") {
        line += url;
        fragments.extend(
            archive
                .get("hash")
                .and_then(Value::as_str)
                .map(str::to_string),
        );
    } else {
        let dir = direct.get("dir_info")?;
        if dir.get("editable").and_then(Value::as_bool) == Some(true) {
            let path = Url::parse(url).ok()?.to_file_path()?;
            return Some(frozen_editable(&path, name, pinned));
        }
        line += url;
    }
    if let Some(sub) = direct.get("subdirectory").and_then(Value::as_str) {
        fragments.push(format!("subdirectory={sub}"));
    }
    if !fragments.is_empty() {
        line += "#";
        line += &fragments.join("&");
    }
    Some(line)
}

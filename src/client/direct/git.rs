//! git sources (`git+https://host/repo@rev#subdirectory=sub`), through the `git`
//! command: no library, so the user's git configuration (credentials helpers, ssh
//! keys, proxies) applies as it does for pip.
//!
//! Each repository is mirrored once in the cache, keyed by its URL, and fetched
//! again only when the revision asked for is not a full commit id it already has;
//! the revision is resolved to a commit, and that commit's tree is checked out into
//! a work folder only when no wheel was built from it before.
//!
//! Traps:
//! - The revision is after the last `@` of the path, not of the URL: the
//!   authority may hold `user@`.
//! - git's own messages may quote the URL with its password: they are shown with
//!   the user information masked.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::client::cache::{Cache, WorkDir};
use crate::standards::url::{recorded, redact_str};
use crate::util::fs::{Context, FsError};

/// A git repository, at a revision, maybe in a subfolder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitSource {
    /// The repository's URL, without `git+`, revision or fragment.
    pub url: String,
    /// A branch, tag or commit; the default branch when `None`.
    pub rev: Option<String>,
    /// The project's folder within the repository.
    pub subdirectory: Option<String>,
    /// `#egg=name`: the project's name, which pip asks of editable checkouts.
    pub egg: Option<String>,
}

/// Why a git source could not be used.
#[derive(Debug)]
pub enum GitError {
    /// Not `https://`, `http://`, `ssh://`, `git://` or `file://`.
    Scheme,
    /// A `#subdirectory=` that leaves the repository.
    Subdirectory { path: String },
    /// `git` could not be started.
    Spawn(std::io::Error),
    /// A git command failed.
    Failed { action: &'static str, said: String },
    /// The revision names no commit.
    UnknownRev { rev: String },
    /// A work folder could not be made.
    Io(FsError),
}

impl fmt::Display for GitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitError::Scheme => f.write_str(
                "expected git+https://, git+ssh://, git+http://, git+git:// or git+file://",
            ),
            GitError::Subdirectory { path } => write!(
                f,
                "subdirectory `{path}`: expected a relative path inside the repository"
            ),
            GitError::Spawn(e) => write!(f, "cannot run `git`: {e}"),
            GitError::Failed { action, said } => write!(f, "git could not {action}: {said}"),
            GitError::UnknownRev { rev } => {
                write!(f, "the repository has no branch, tag or commit `{rev}`")
            }
            GitError::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for GitError {}

/// A git source resolved to a commit, its mirror in the cache.
pub struct Checkout<'s> {
    source: &'s GitSource,
    mirror: PathBuf,
    pub commit: String,
}

impl GitSource {
    /// Reads what follows `git+`.
    pub fn parse(text: &str) -> Result<GitSource, GitError> {
        let (url, fragment) = text.split_once('#').unwrap_or((text, ""));
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(GitError::Scheme);
        };
        if !["https", "http", "ssh", "git", "file"].contains(&scheme) {
            return Err(GitError::Scheme);
        }
        let path_start = rest.find('/').unwrap_or(rest.len());
        let (url, rev) = match rest[path_start..].rfind('@') {
            Some(at) => {
                let at = scheme.len() + 3 + path_start + at;
                (&url[..at], Some(url[at + 1..].to_string()))
            }
            None => (url, None),
        };
        let subdirectory = fragment
            .split('&')
            .find_map(|item| item.strip_prefix("subdirectory="))
            .map(|s| s.trim_matches('/').to_string())
            .filter(|s| !s.is_empty());
        if let Some(path) = &subdirectory
            && path.split('/').any(|part| part == ".." || part.is_empty())
        {
            return Err(GitError::Subdirectory { path: path.clone() });
        }
        let egg = fragment
            .split('&')
            .find_map(|item| item.strip_prefix("egg="))
            .map(str::to_string);
        Ok(GitSource {
            url: url.to_string(),
            rev: rev.filter(|r| !r.is_empty()),
            subdirectory,
            egg,
        })
    }

    /// Mirrors the repository into the cache (or brings the mirror up to date) and
    /// resolves the revision to a commit.
    pub fn checkout(&self, cache: &Cache) -> Result<Checkout<'_>, GitError> {
        let key = crate::util::digest::sha256_hex(self.url.as_bytes());
        let mirror = cache.root().join("git").join(key);
        let rev = self.rev.as_deref().unwrap_or("HEAD");
        let full_commit = rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit());
        cache.filling(&mirror, || {
            if !mirror.join("HEAD").is_file() {
                let parent = mirror.parent().unwrap_or(Path::new("."));
                let work = cache.work_dir("git").map_err(GitError::Io)?;
                let temp = work.path().join("mirror");
                self.git(None, "clone the repository")
                    .args(["clone", "--mirror", "--quiet", &self.url])
                    .arg(&temp)
                    .run(&self.url)?;
                std::fs::create_dir_all(parent)
                    .and_then(|()| std::fs::rename(&temp, &mirror))
                    .context("move the mirror to", &mirror)
                    .map_err(GitError::Io)?;
            } else if !(full_commit && self.commit(&mirror, rev).is_ok()) {
                self.git(Some(&mirror), "fetch the repository")
                    .args(["fetch", "--quiet", "--prune", "--tags", "--force", "origin"])
                    .run(&self.url)?;
            }
            Ok(())
        })?;
        let commit = self.commit(&mirror, rev)?;
        Ok(Checkout {
            source: self,
            mirror,
            commit,
        })
    }

    /// An editable checkout: a clone of the repository in `dest` (a folder of the
    /// environment's `src/`, where pip keeps them), made or fetched again, at the
    /// revision; a branch is the remote's, not a stale local one. Gives the commit.
    pub fn clone_into(&self, dest: &Path) -> Result<String, GitError> {
        if dest.join(".git").exists() {
            self.git(Some(dest), "fetch the repository")
                .args(["fetch", "--quiet", "--tags", "--force", "origin"])
                .run(&self.url)?;
        } else {
            self.git(None, "clone the repository")
                .args(["clone", "--quiet", &self.url])
                .arg(dest)
                .run(&self.url)?;
        }
        let commit = match &self.rev {
            Some(rev) => self
                .commit(dest, &format!("origin/{rev}"))
                .or_else(|_| self.commit(dest, rev))?,
            None => self.commit(dest, "origin/HEAD")?,
        };
        self.git(Some(dest), "check out the commit")
            .args(["checkout", "--quiet", "--detach", &commit])
            .run(&self.url)?;
        Ok(commit)
    }

    fn commit(&self, mirror: &Path, rev: &str) -> Result<String, GitError> {
        let spec = format!("{rev}^{{commit}}");
        self.git(Some(mirror), "resolve the revision")
            .args([
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                &spec,
            ])
            .run(&self.url)
            .map(|out| out.trim().to_string())
            .map_err(|_| GitError::UnknownRev {
                rev: rev.to_string(),
            })
    }

    fn git(&self, dir: Option<&Path>, action: &'static str) -> Git {
        let mut command = Command::new("git");
        if let Some(dir) = dir {
            command.arg("-C").arg(dir);
        }
        // Never wait for a password on a terminal nobody watches.
        command
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Git { command, action }
    }
}

/// One git command, and what it was for.
struct Git {
    command: Command,
    action: &'static str,
}

impl Git {
    fn args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(mut self, args: I) -> Git {
        self.command.args(args);
        self
    }

    fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Git {
        self.command.arg(arg);
        self
    }

    /// Its stdout, or what it said on stderr (the last line, the URL masked).
    fn run(mut self, url: &str) -> Result<String, GitError> {
        let output = self.command.output().map_err(GitError::Spawn)?;
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
        let said = last.replace(url, &redact_str(url));
        Err(GitError::Failed {
            action: self.action,
            said: if said.is_empty() {
                output.status.to_string()
            } else {
                said.trim().to_string()
            },
        })
    }
}

impl Checkout<'_> {
    /// What names the wheels built from this commit in the cache.
    pub fn key(&self) -> String {
        format!(
            "git+{}@{}#subdirectory={}",
            recorded(&self.source.url, true),
            self.commit,
            self.source.subdirectory.as_deref().unwrap_or("")
        )
    }

    /// The commit's files, in a work folder of the cache; and the project's folder
    /// among them.
    pub fn tree(&self, cache: &Cache) -> Result<(WorkDir, PathBuf), GitError> {
        let work = cache.work_dir("checkout").map_err(GitError::Io)?;
        let tree = work.path().join("tree");
        self.source
            .git(None, "check out the commit")
            .args(["clone", "--quiet", "--no-checkout", "--shared"])
            .arg(&self.mirror)
            .arg(&tree)
            .run(&self.source.url)?;
        self.source
            .git(Some(&tree), "check out the commit")
            .args(["checkout", "--quiet", "--detach", &self.commit])
            .run(&self.source.url)?;
        let project = match &self.source.subdirectory {
            Some(sub) => tree.join(sub),
            None => tree,
        };
        Ok((work, project))
    }

    /// `direct_url.json`'s content for this commit.
    pub fn direct_url(&self) -> Value {
        let mut info = json!({"vcs": "git", "commit_id": self.commit});
        if let Some(rev) = &self.source.rev {
            info["requested_revision"] = json!(rev);
        }
        let mut out = json!({"url": recorded(&self.source.url, true), "vcs_info": info});
        if let Some(sub) = &self.source.subdirectory {
            out["subdirectory"] = json!(sub);
        }
        out
    }
}

/// How `pip freeze` shows an editable project in `location`, which `pinned`
/// (`name==version`) names: a git work tree with a remote as `-e git+REMOTE@COMMIT
/// #egg=NAME` (and `&subdirectory=` when the project is not at its top), anything
/// else as its folder below a comment saying why, in pip's words.
pub fn frozen_editable(location: &Path, name: &str, pinned: &str) -> String {
    let folder = format!("-e {}", location.display());
    let git = |args: &[&str]| {
        let output = Command::new("git")
            .arg("-C")
            .arg(location)
            .args(args)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())?;
        Some(String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    let Some(top) = git(&["rev-parse", "--show-toplevel"]) else {
        return format!("# Editable install with no version control ({pinned})\n{folder}");
    };
    let remotes = git(&["config", "--get-regexp", r"remote\..*\.url"]).unwrap_or_default();
    let remotes: Vec<(&str, &str)> = remotes
        .lines()
        .filter_map(|line| line.split_once(' '))
        .collect();
    let remote = remotes
        .iter()
        .find(|(key, _)| *key == "remote.origin.url")
        .or(remotes.first())
        .map(|(_, url)| url.trim());
    let Some(remote) = remote else {
        return format!("# Editable Git install with no remote ({pinned})\n{folder}");
    };
    let Some(url) = pip_url(remote) else {
        return format!(
            "# Editable Git install ({pinned}) with either a deleted local remote or invalid URI:\n# '{}'\n{folder}",
            redact_str(remote)
        );
    };
    let Some(commit) = git(&["rev-parse", "HEAD"]) else {
        return format!("# Editable Git install with no remote ({pinned})\n{folder}");
    };
    let mut line = format!("-e {url}@{commit}#egg={}", name.replace('-', "_"));
    if let Some(sub) = project_root(location)
        .filter(|root| !same_file(root, Path::new(&top)))
        .and_then(|root| root.strip_prefix(&top).ok().map(Path::to_path_buf))
    {
        line = line + "&subdirectory=" + &sub.display().to_string();
    }
    line
}

/// A git remote as pip writes it after `-e`: URLs as they are (`git+` before all
/// but `git://`), a local path as a `file://` URL, an scp-like address as `ssh://`.
fn pip_url(remote: &str) -> Option<String> {
    let scheme = remote.split_once("://").map(|(s, _)| s);
    let url = if scheme
        .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    {
        remote.to_string()
    } else if Path::new(remote).exists() {
        let path = std::path::absolute(remote).ok()?;
        crate::standards::url::Url::from_file_path(&path)
            .ok()?
            .to_string()
    } else {
        let (host, path) = remote.split_once(':')?;
        if host.contains('/') || path.is_empty() || path.contains(':') {
            return None;
        }
        format!("ssh://{host}/{path}")
    };
    Some(match url.to_ascii_lowercase().starts_with("git:") {
        true => url,
        false => format!("git+{url}"),
    })
}

/// The nearest folder up from `location` that holds a project, as pip looks for it.
fn project_root(location: &Path) -> Option<PathBuf> {
    location
        .ancestors()
        .find(|dir| dir.join("pyproject.toml").is_file() || dir.join("setup.py").is_file())
        .map(Path::to_path_buf)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

//! Requirements files, read as pip reads them (reads files from disk).
//!
//! <https://pip.pypa.io/en/stable/reference/requirements-file-format/>
//!
//! Traps:
//! - `\` at the end of a line joins it with the next, before comments are removed,
//!   and errors still name the first physical line of the joined one.
//! - A `#` starts a comment only at the start of a line or after whitespace, so
//!   `https://host/x.whl#sha256=...` keeps its fragment.
//! - Only `${NAME}` with uppercase letters, digits and `_` is expanded, as pip does,
//!   so that `$HOME` or `${lower}` in a URL stay as written; unset variables stay too.
//! - `-r` and `-c` paths are relative to the file that names them, not to the
//!   current folder; options in a nested file apply to the whole set.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::client::formats::{Format, Formats};
use crate::standards::requirement::Requirement;
use crate::standards::url::{looks_like_url, redact_str};

/// Everything a set of requirements files asks for.
#[derive(Debug, Default)]
pub struct RequirementsFile {
    pub requirements: Vec<Entry>,
    /// From `-c` files: versions a requirement may take, without requiring it.
    pub constraints: Vec<Entry>,
    pub index_url: Option<String>,
    pub extra_index_urls: Vec<String>,
    pub find_links: Vec<String>,
    pub no_index: bool,
    /// `--pre`: pre-releases are as good as final releases.
    pub pre: bool,
    /// `--require-hashes`: every package pinned and hashed.
    pub require_hashes: bool,
    /// `--only-binary` and `--no-binary` lines, in order, their names checked.
    pub formats: Vec<(Format, String)>,
}

/// One requirement line.
#[derive(Debug)]
pub struct Entry {
    pub requirement: Spec,
    /// Hashes from `--hash=sha256:...`, lowercase hex; any of them must match.
    pub hashes: Vec<String>,
    pub origin: Origin,
}

/// What a requirement line names.
#[derive(Debug)]
pub enum Spec {
    /// A PEP 508 requirement.
    Named(Requirement),
    /// A local path or a URL to a wheel, an sdist or a project folder.
    Unnamed(String),
    /// `-e PATH`: a project folder to install as editable.
    Editable(String),
}

/// Where a line came from, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: PathBuf,
    /// 1-based, the first physical line of a continued line.
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` line {}", self.file.display(), self.line)
    }
}

/// Why a requirements file could not be read.
#[derive(Debug)]
pub enum RequirementsError {
    /// The file could not be read.
    Read { file: PathBuf, message: String },
    /// A requirements file includes itself, directly or not.
    Cycle { origin: Origin, file: PathBuf },
    /// An option pip knows that curd does not do.
    Unsupported {
        origin: Origin,
        option: String,
        hint: &'static str,
    },
    /// An option no one knows.
    UnknownOption { origin: Origin, option: String },
    /// An option given without its value.
    MissingValue { origin: Origin, option: String },
    /// A `--hash` not of the form `sha256:<64 hex digits>`.
    BadHash { origin: Origin, hash: String },
    /// A line that is not a requirement.
    Requirement { origin: Origin, message: String },
}

impl fmt::Display for RequirementsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequirementsError::Read { file, message } => {
                write!(
                    f,
                    "cannot read requirements file `{}`: {message}",
                    file.display()
                )
            }
            RequirementsError::Cycle { origin, file } => {
                write!(f, "{origin}: `{}` includes itself", file.display())
            }
            RequirementsError::Unsupported {
                origin,
                option,
                hint,
            } => {
                write!(f, "{origin}: `{option}` is not supported yet\nhint: {hint}")
            }
            RequirementsError::UnknownOption { origin, option } => {
                write!(f, "{origin}: unknown option `{option}`")
            }
            RequirementsError::MissingValue { origin, option } => {
                write!(f, "{origin}: `{option}` expects a value")
            }
            RequirementsError::BadHash { origin, hash } => write!(
                f,
                "{origin}: invalid hash `{hash}`: expected `sha256:` and 64 hex digits"
            ),
            RequirementsError::Requirement { origin, message } => write!(f, "{origin}: {message}"),
        }
    }
}

impl std::error::Error for RequirementsError {}

/// Options pip accepts in requirements files that change nothing curd does.
const IGNORED: &[&str] = &[
    "--prefer-binary",
    "--use-feature",
    "--trusted-host",
    "--progress-bar",
];

/// Options in [`IGNORED`] that take a value.
const IGNORED_WITH_VALUE: &[&str] = &["--use-feature", "--trusted-host", "--progress-bar"];

impl RequirementsFile {
    /// Reads `path` and every file it includes. `env` looks up variables for `${NAME}`.
    pub fn read(
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<RequirementsFile, RequirementsError> {
        RequirementsFile::read_as(path, false, env)
    }

    /// Reads `path` as a constraints file (`--constraint FILE`): its requirements
    /// are constraints, as those of a file a requirements file names with `-c`.
    pub fn read_constraints(
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<RequirementsFile, RequirementsError> {
        RequirementsFile::read_as(path, true, env)
    }

    fn read_as(
        path: &Path,
        constraint: bool,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<RequirementsFile, RequirementsError> {
        let mut out = RequirementsFile::default();
        let mut stack = Vec::new();
        out.read_into(path, constraint, env, &mut stack, None)?;
        Ok(out)
    }

    fn read_into(
        &mut self,
        path: &Path,
        constraint: bool,
        env: &dyn Fn(&str) -> Option<String>,
        stack: &mut Vec<PathBuf>,
        included_from: Option<&Origin>,
    ) -> Result<(), RequirementsError> {
        if let Some(url) = path
            .to_str()
            .filter(|p| looks_like_url(p) && !path.exists())
        {
            let url = redact_str(url);
            return Err(RequirementsError::Unsupported {
                origin: included_from.cloned().unwrap_or_else(|| Origin {
                    file: PathBuf::from(&url),
                    line: 0,
                }),
                option: url,
                hint: "download the requirements file and name the local copy",
            });
        }
        let text = std::fs::read_to_string(path).map_err(|e| RequirementsError::Read {
            file: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if stack.contains(&key) {
            return Err(RequirementsError::Cycle {
                origin: included_from.cloned().unwrap_or_else(|| Origin {
                    file: path.to_path_buf(),
                    line: 0,
                }),
                file: path.to_path_buf(),
            });
        }
        stack.push(key);
        let base = path.parent().unwrap_or(Path::new(""));
        for (line, content) in logical_lines(&text) {
            let origin = Origin {
                file: path.to_path_buf(),
                line,
            };
            let content = expand(strip_comment(&content), env);
            let content = content.trim();
            if content.is_empty() {
                continue;
            }
            self.parse_line(content, constraint, &origin, base, env, stack)?;
        }
        stack.pop();
        Ok(())
    }

    fn parse_line(
        &mut self,
        line: &str,
        constraint: bool,
        origin: &Origin,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
        stack: &mut Vec<PathBuf>,
    ) -> Result<(), RequirementsError> {
        if line.starts_with('-') {
            let mut words = Words::new(line);
            let (option, inline) = words.option();
            let mut value = || -> Result<String, RequirementsError> {
                inline.clone().or_else(|| words.next()).ok_or_else(|| {
                    RequirementsError::MissingValue {
                        origin: origin.clone(),
                        option: option.clone(),
                    }
                })
            };
            match option.as_str() {
                "-r" | "--requirement" | "-c" | "--constraint" => {
                    let value = value()?;
                    // A URL stays one, to be refused as such.
                    let nested = match join_lexically(base, &value) {
                        path if looks_like_url(&value) && !path.exists() => PathBuf::from(value),
                        path => path,
                    };
                    // As in pip, what a file includes is a constraint only when included
                    // with `-c`, even from a constraints file.
                    let is_constraint = option == "-c" || option == "--constraint";
                    return self.read_into(&nested, is_constraint, env, stack, Some(origin));
                }
                "-i" | "--index-url" => self.index_url = Some(value()?),
                "--extra-index-url" => self.extra_index_urls.push(value()?),
                "-f" | "--find-links" => {
                    let link = value()?;
                    let local = !Path::new(&link).is_absolute()
                        && (!looks_like_url(&link) || base.join(&link).is_dir());
                    let link = if local {
                        base.join(&link).display().to_string()
                    } else {
                        link
                    };
                    self.find_links.push(link);
                }
                "--no-index" => self.no_index = true,
                "--pre" => self.pre = true,
                "--require-hashes" => self.require_hashes = true,
                "--only-binary" | "--no-binary" => {
                    let format = match option.as_str() {
                        "--only-binary" => Format::OnlyBinary,
                        _ => Format::NoBinary,
                    };
                    let names = value()?;
                    // Checked here, where the line is known; applied in order later.
                    Formats::default().apply(format, &names).map_err(|e| {
                        RequirementsError::Requirement {
                            origin: origin.clone(),
                            message: format!("{option}: {e}"),
                        }
                    })?;
                    self.formats.push((format, names));
                }
                "-e" | "--editable" => {
                    let entry = Entry {
                        requirement: Spec::Editable(value()?),
                        hashes: Vec::new(),
                        origin: origin.clone(),
                    };
                    match constraint {
                        true => self.constraints.push(entry),
                        false => self.requirements.push(entry),
                    }
                }
                o if IGNORED_WITH_VALUE.contains(&o) => {
                    value()?;
                }
                o if IGNORED.contains(&o) => {}
                _ => {
                    return Err(RequirementsError::UnknownOption {
                        origin: origin.clone(),
                        option,
                    });
                }
            }
            return Ok(());
        }
        // A requirement, then its per-requirement options (`--hash`).
        let (spec, options) = split_options(line);
        let mut hashes = Vec::new();
        let mut words = Words::new(options);
        while !words.rest().is_empty() {
            let (option, inline) = words.option();
            if option != "--hash" {
                return Err(RequirementsError::UnknownOption {
                    origin: origin.clone(),
                    option,
                });
            }
            let hash =
                inline
                    .or_else(|| words.next())
                    .ok_or_else(|| RequirementsError::MissingValue {
                        origin: origin.clone(),
                        option: option.clone(),
                    })?;
            hashes.push(parse_hash(&hash).ok_or_else(|| RequirementsError::BadHash {
                origin: origin.clone(),
                hash: hash.clone(),
            })?);
        }
        let requirement = if is_unnamed(spec) {
            Spec::Unnamed(spec.to_string())
        } else {
            Spec::Named(spec.parse().map_err(
                |e: crate::standards::requirement::RequirementParseError| {
                    RequirementsError::Requirement {
                        origin: origin.clone(),
                        message: e.to_string(),
                    }
                },
            )?)
        };
        let entry = Entry {
            requirement,
            hashes,
            origin: origin.clone(),
        };
        if constraint {
            self.constraints.push(entry);
        } else {
            self.requirements.push(entry);
        }
        Ok(())
    }
}

/// Joins `\`-continued lines; yields each logical line with its first line number.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let (start, mut acc) = current.take().unwrap_or((i + 1, String::new()));
        match raw.strip_suffix('\\') {
            Some(head) => {
                acc.push_str(head);
                current = Some((start, acc));
            }
            None => {
                acc.push_str(raw);
                out.push((start, acc));
            }
        }
    }
    out.extend(current);
    out
}

/// Removes a `#` comment that starts the line or follows whitespace.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

/// Expands `${NAME}` (uppercase letters, digits, `_`) from `env`; leaves the rest.
fn expand(line: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        match (
            after[name_len..].starts_with('}') && !name.is_empty(),
            env(name),
        ) {
            (true, Some(value)) => {
                out.push_str(&value);
                rest = &after[name_len + 1..];
            }
            _ => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Splits `requirement --hash=... --hash ...` at the first option that follows whitespace.
fn split_options(line: &str) -> (&str, &str) {
    let bytes = line.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i] == b'-' && bytes.get(i + 1) == Some(&b'-') && bytes[i - 1].is_ascii_whitespace()
        {
            return (line[..i].trim(), &line[i..]);
        }
    }
    (line.trim(), "")
}

fn parse_hash(hash: &str) -> Option<String> {
    let (algorithm, hex) = hash.split_once(':')?;
    (algorithm == "sha256" && hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

/// Whether a line names a path or URL rather than a project.
fn is_unnamed(spec: &str) -> bool {
    let first = spec
        .split(|c: char| c.is_whitespace() || c == ';')
        .next()
        .unwrap_or("");
    first.starts_with('.')
        || first.starts_with('/')
        || first.starts_with('~')
        || first.starts_with("git+")
        || (first.contains("://") && !spec.contains(" @ ") && !spec.contains('@'))
        || [".whl", ".tar.gz", ".zip"]
            .iter()
            .any(|ext| first.ends_with(ext))
}

/// Whitespace-separated words of an option line.
struct Words<'a> {
    rest: &'a str,
}

impl<'a> Words<'a> {
    fn new(line: &'a str) -> Words<'a> {
        Words { rest: line.trim() }
    }

    fn rest(&self) -> &'a str {
        self.rest
    }

    fn next(&mut self) -> Option<String> {
        let rest = self.rest.trim_start();
        if rest.is_empty() {
            return None;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        self.rest = rest[end..].trim_start();
        Some(rest[..end].to_string())
    }

    /// The next option and its `=value` or glued short value (`-rfile`), if any.
    fn option(&mut self) -> (String, Option<String>) {
        let word = self.next().unwrap_or_default();
        if let Some((name, value)) = word.split_once('=').filter(|(n, _)| n.starts_with("--")) {
            return (name.to_string(), Some(value.to_string()));
        }
        // A short option is `-` and one character, which may be more than one byte.
        let short = word.char_indices().nth(2).map(|(at, _)| at);
        match short {
            Some(at) if !word.starts_with("--") => {
                (word[..at].to_string(), Some(word[at..].to_string()))
            }
            _ => (word, None),
        }
    }
}

/// `base` joined with `path`, `.` and `..` taken away without asking the disk, as
/// pip's `os.path.abspath` does: the file a line comes from is named as pip names it.
fn join_lexically(base: &Path, path: &str) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in base.join(path).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(files: &[(&str, &str)]) -> PathBuf {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "curd-reqs-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn names(entries: &[Entry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| match &e.requirement {
                Spec::Named(r) => r.name.to_string(),
                Spec::Unnamed(s) | Spec::Editable(s) => s.clone(),
            })
            .collect()
    }

    #[test]
    fn reads_comments_continuations_and_options() {
        let dir = scratch(&[(
            "requirements.txt",
            "# a comment\n\
             \n\
             flask>=2 # trailing comment\n\
             requests \\\n  >=2.0\n\
             -i https://example.invalid/simple\n\
             --extra-index-url=https://mirror.invalid/simple\n\
             --no-index\n\
             --pre\n\
             -f wheels\n\
             ./local/project\n\
             https://host.invalid/x-1.0-py3-none-any.whl#sha256=abc\n",
        )]);
        let file = RequirementsFile::read(&dir.join("requirements.txt"), &no_env).unwrap();
        assert_eq!(
            names(&file.requirements),
            [
                "flask",
                "requests",
                "./local/project",
                "https://host.invalid/x-1.0-py3-none-any.whl#sha256=abc"
            ]
        );
        assert_eq!(
            file.requirements[1].origin.line, 4,
            "a continued line is named by its first line"
        );
        assert_eq!(
            file.index_url.as_deref(),
            Some("https://example.invalid/simple")
        );
        assert_eq!(file.extra_index_urls, ["https://mirror.invalid/simple"]);
        assert!(file.no_index && file.pre);
        assert_eq!(file.find_links, [dir.join("wheels").display().to_string()]);
    }

    #[test]
    fn nests_relative_to_the_including_file_and_keeps_constraints_apart() {
        let dir = scratch(&[
            (
                "requirements.txt",
                "-r sub/more.txt\n-c constraints.txt\nalpha\n",
            ),
            ("sub/more.txt", "--requirement=../other.txt\nbeta\n"),
            ("other.txt", "gamma\n"),
            ("constraints.txt", "delta<2\n-r nested-constraints.txt\n"),
            ("nested-constraints.txt", "epsilon==1\n"),
        ]);
        let file = RequirementsFile::read(&dir.join("requirements.txt"), &no_env).unwrap();
        assert_eq!(
            names(&file.requirements),
            ["gamma", "beta", "epsilon", "alpha"]
        );
        assert_eq!(names(&file.constraints), ["delta"]);
    }

    #[test]
    fn reads_hashes() {
        let sha = "a".repeat(64);
        let text = format!(
            "alpha==1.0 --hash=sha256:{sha} \\\n    --hash sha256:{}\n",
            "B".repeat(64)
        );
        let dir = scratch(&[("r.txt", &text)]);
        let file = RequirementsFile::read(&dir.join("r.txt"), &no_env).unwrap();
        assert_eq!(file.requirements[0].hashes, [sha, "b".repeat(64)]);
        let dir = scratch(&[("r.txt", "alpha --hash=md5:abc\n")]);
        let err = RequirementsFile::read(&dir.join("r.txt"), &no_env).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("line 1: invalid hash `md5:abc`: expected `sha256:` and 64 hex digits")
        );
    }

    #[test]
    fn expands_only_uppercase_braced_variables() {
        let env = |name: &str| (name == "TOKEN").then(|| "s3cret".to_string());
        assert_eq!(
            expand("https://${TOKEN}@host/${MISSING}/$HOME/${lower}", &env),
            "https://s3cret@host/${MISSING}/$HOME/${lower}"
        );
        assert_eq!(expand("${TOKEN", &env), "${TOKEN");
    }

    #[test]
    fn keeps_fragments_that_are_not_comments() {
        assert_eq!(strip_comment("x.whl#sha256=1 # note"), "x.whl#sha256=1 ");
        assert_eq!(strip_comment("#all"), "");
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let dir = scratch(&[
            ("a.txt", "alpha\n-e\n"),
            ("b.txt", "\n\n--frobnicate\n"),
            ("c.txt", "-r c.txt\n"),
            ("d.txt", "alpha beta\n"),
            ("e.txt", "-r\n"),
            ("f.txt", "-ébc\n"),
        ]);
        let read = |name: &str| {
            RequirementsFile::read(&dir.join(name), &no_env)
                .unwrap_err()
                .to_string()
        };
        let a = read("a.txt");
        assert!(a.ends_with("a.txt` line 2: `-e` expects a value"), "{a}");
        assert!(read("b.txt").ends_with("b.txt` line 3: unknown option `--frobnicate`"));
        assert!(read("c.txt").contains("c.txt` line 1: `"), "cycle");
        assert!(read("d.txt").contains("d.txt` line 1: "));
        assert!(read("e.txt").ends_with("e.txt` line 1: `-r` expects a value"));
        assert!(read("f.txt").ends_with("f.txt` line 1: unknown option `-é`"));
        let missing = RequirementsFile::read(&dir.join("nope.txt"), &no_env)
            .unwrap_err()
            .to_string();
        assert!(
            missing.starts_with("cannot read requirements file `"),
            "{missing}"
        );
    }

    #[test]
    fn editables_are_read_as_pip_reads_them() {
        let dir = scratch(&[("r.txt", "-e ./pkg[test]\n--editable=../other\n")]);
        let file = RequirementsFile::read(&dir.join("r.txt"), &no_env).expect("reads");
        let editables: Vec<&str> = file
            .requirements
            .iter()
            .filter_map(|e| match &e.requirement {
                Spec::Editable(path) => Some(path.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(editables, ["./pkg[test]", "../other"]);
    }

    #[test]
    fn recognizes_paths_and_urls() {
        for unnamed in [
            "./x",
            "../x",
            "/abs/x",
            "dist/x-1.0.tar.gz",
            "x-1.0-py3-none-any.whl",
            "https://h/x.zip",
            "git+https://h/r.git@v1#subdirectory=s",
        ] {
            assert!(is_unnamed(unnamed), "{unnamed}");
        }
        for named in ["flask", "flask>=2", "x @ https://h/x.whl", "zope.interface"] {
            assert!(!is_unnamed(named), "{named}");
        }
    }
}

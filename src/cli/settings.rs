//! Everything `curd install` and `curd wheel` need to know, resolved once: the flags
//! (with what the environment and configuration files add to them, `cli::config`),
//! the requirements files they name, and the environment variables (read here and
//! in `cli::config`, nowhere else on the client's side), lowest precedence first as
//! ripgrep's argument step does: built-in defaults, then configuration files, then
//! the environment, then requirements files, then the command line.
//!
//! Traps:
//! - `--timeout` and `--retries` (and their variables) are about package indexes:
//!   cache servers keep their own short limits, whatever they say.
//! - An index from the command line replaces one from a requirements file, which
//!   replaces one from the environment or a configuration file, which replaces
//!   PyPI; extra indexes (flags, files, `$PIP_EXTRA_INDEX_URL`) always add to
//!   whichever main index won, as in pip.
//! - `-u` uploads to the first cache server, named by its root (`http://host:8000/`)
//!   whether it was given as the root or as its `/simple/` index.
//! - `-c` is Curdling's flag for a cache server, while pip's `-c` is a constraints
//!   file: a `-c` value that is a file (or ends in `.txt`) is refused with a hint.
//! - Hash mode is on with `--require-hashes` (flag or file line) or with any
//!   `--hash`, as in pip: every root must then be pinned with `==` and hashed, and
//!   every dependency hashed when it is fetched.
//! - `-U` means pip's "only if needed": the roots move to their newest versions,
//!   their dependencies only where the roots' new versions need it.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::cli::args::InstallArgs;
use crate::cli::requirements_txt::{RequirementsError, RequirementsFile, Spec};
use crate::client::direct::{self, DirectError, DirectRequest};
use crate::client::fetch::ClientOptions;
use crate::client::find::Source;
use crate::client::formats::{Format, Formats};
use crate::client::index::Index;
use crate::client::policy::{DEFAULT_RETRIES, DEFAULT_TIMEOUT};
use crate::client::python::Discovery;
use crate::client::schemes::Location;
use crate::install::LinkMode;
use crate::standards::machine::Machine;
use crate::standards::name::{InvalidName, PackageName};
use crate::standards::requirement::{Requirement, RequirementParseError, VersionOrUrl};
use crate::standards::specifier::Operator;
use crate::standards::url::{Url, UrlError, looks_like_url};
use crate::util::fs::temp_name;
use crate::util::messages::Level;

/// PyPI's simple index, the default as for pip.
const PYPI: &str = "https://pypi.org/simple/";

/// The environment variables the client reads, read once.
#[derive(Clone, Debug, Default)]
pub struct Variables {
    vars: HashMap<String, OsString>,
}

/// A snapshot of given variables, as a test or an embedding program sets them.
impl FromIterator<(String, OsString)> for Variables {
    fn from_iter<I: IntoIterator<Item = (String, OsString)>>(pairs: I) -> Variables {
        Variables {
            vars: pairs.into_iter().collect(),
        }
    }
}

impl Variables {
    /// The process's environment, taken once at start-up.
    pub fn from_process() -> Variables {
        Variables {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v)))
                .collect(),
        }
    }

    /// A variable's value; unset and empty are the same, as for the tools users know.
    pub fn get(&self, name: &str) -> Option<String> {
        self.os(name).and_then(|v| v.to_str()).map(str::to_string)
    }

    /// A variable's value as the system gave it, for paths.
    pub fn get_os(&self, name: &str) -> Option<&OsString> {
        self.os(name)
    }

    fn os(&self, name: &str) -> Option<&OsString> {
        self.vars.get(name).filter(|v| !v.is_empty())
    }

    /// The local cache: `--cache-dir`, else `$XDG_CACHE_HOME/curd`, else `~/.cache/curd`.
    pub fn cache_dir(&self, explicit: Option<PathBuf>) -> PathBuf {
        explicit.unwrap_or_else(|| match (self.os("XDG_CACHE_HOME"), self.os("HOME")) {
            (Some(xdg), _) => PathBuf::from(xdg).join("curd"),
            (None, Some(home)) => PathBuf::from(home).join(".cache/curd"),
            (None, None) => std::env::temp_dir().join("curd-cache"),
        })
    }

    /// Where interpreter answers are kept for commands that only read an environment:
    /// the cache when it can be made, else a temporary folder.
    pub fn interpreters(&self) -> PathBuf {
        let dir = self.cache_dir(None);
        match std::fs::create_dir_all(&dir) {
            Ok(()) => dir,
            Err(_) => std::env::temp_dir(),
        }
    }

    /// Where to look for the interpreter, besides `--python`.
    pub fn discovery(&self, explicit: Option<PathBuf>) -> Discovery {
        Discovery {
            explicit,
            virtual_env: self.os("VIRTUAL_ENV").cloned(),
            path: self.os("PATH").cloned(),
        }
    }

    /// `PATH`, for the build backends' subprocesses.
    pub fn path(&self) -> Option<OsString> {
        self.os("PATH").cloned()
    }

    /// The HTTP client's options: `--cert`, else `$SSL_CERT_FILE`; `$NETRC`, as curl
    /// and Python read it, else `~/.netrc`.
    pub fn client(&self, cert: Option<PathBuf>) -> ClientOptions {
        ClientOptions {
            cert: cert.or_else(|| self.os("SSL_CERT_FILE").map(PathBuf::from)),
            netrc: match (self.os("NETRC"), self.os("HOME")) {
                (Some(netrc), _) => Some(PathBuf::from(netrc)),
                (None, Some(home)) => Some(PathBuf::from(home).join(".netrc")),
                (None, None) => None,
            },
            ..ClientOptions::default()
        }
    }
}

/// What the command makes of the resolved wheels.
#[derive(Clone, Debug)]
pub enum Mode {
    Install,
    /// `curd wheel`: copy every wheel into a folder.
    Wheel(PathBuf),
}

/// One install or wheel run, settled.
pub struct Settings {
    pub mode: Mode,
    pub roots: Vec<Requirement>,
    /// Requirements that name a path or URL (`-e` ones too), made into wheels
    /// before resolving.
    pub direct: Vec<DirectRequest>,
    /// From `-c` lines of requirements files.
    pub constraints: Vec<Requirement>,
    /// `--hash` lines: once any requirement has one, every package needs one.
    pub hashes: HashMap<PackageName, Vec<String>>,
    /// `--require-hashes`, or any `--hash`: every package pinned and hashed.
    pub require_hashes: bool,
    /// `-U` (the roots' names) and `-P`: installed versions of these do not hold
    /// the resolver back.
    pub upgrade: Vec<PackageName>,
    /// `--no-deps`: the roots and nothing they require.
    pub no_deps: bool,
    /// `--only-binary` and `--no-binary`, every value applied.
    pub formats: Formats,
    /// `--no-cache-dir`: `cache_dir` is a fresh folder, to remove at the end.
    pub temporary_cache: bool,
    /// The package sources as given; [`Settings::sources`] checks them.
    given: GivenSources,
    pub pre: bool,
    pub force: bool,
    pub dry_run: bool,
    pub compile: bool,
    pub link: LinkMode,
    pub jobs: usize,
    pub cache_dir: PathBuf,
    pub python: Discovery,
    pub system: bool,
    pub client: ClientOptions,
    pub no_build_isolation: bool,
    /// `--upload-required`: a wheel `-u` could not upload fails the run.
    pub upload_required: bool,
    pub level: Level,
    /// A progress line on a terminal, unless `-q`.
    pub progress: bool,
    /// `PATH`, for build subprocesses.
    pub path: Option<OsString>,
    /// `--target`, `--prefix`, `--user`, or the environment.
    pub location: Location,
    /// `--report`: where pip's installation report goes (`-`: stdout).
    pub report: Option<PathBuf>,
    /// `curd wheel`'s other machine, if one was named.
    pub machine: Machine,
}

/// The package sources as the flags, files and environment give them, in order.
struct GivenSources {
    caches: Vec<String>,
    /// Empty with `--no-index`.
    indexes: Vec<String>,
    find_links: Vec<String>,
    upload: bool,
}

/// Every package source, in the order they are asked, and where `-u` uploads.
pub struct Sources {
    pub list: Vec<Source>,
    /// `-u`: where wheels go (`…/p/`), and the index they are then listed in.
    pub upload: Option<UploadTarget>,
}

/// The cache server that `-u` uploads to.
#[derive(Clone, Debug)]
pub struct UploadTarget {
    /// Its upload folder: each wheel is PUT to `files` + its name.
    pub files: Url,
    /// Its simple index, as the summary names it.
    pub index: Url,
}

/// Why the flags, files and variables do not make a runnable command.
#[derive(Debug)]
pub enum SettingsError {
    /// A requirement on the command line does not parse.
    Requirement(RequirementParseError),
    /// A requirements file could not be read or does not parse.
    File(RequirementsError),
    /// A path or URL that cannot be installed from.
    Direct {
        origin: Option<String>,
        error: DirectError,
    },
    /// A URL given for a source does not parse.
    Url { what: &'static str, error: UrlError },
    /// No requirement at all.
    NothingToInstall,
    /// `--no-index` and nothing else.
    NoSource,
    /// `-u` without a cache server.
    UploadWithoutCache,
    /// Two flags that name different install locations.
    Conflict {
        first: &'static str,
        second: &'static str,
    },
    /// `--user` with neither `$PYTHONUSERBASE` nor `$HOME` set.
    NoUserBase,
    /// A folder flag's value cannot be made absolute (it is empty).
    Folder {
        flag: &'static str,
        source: std::io::Error,
    },
    /// `-c` given a file, as pip's `-c` takes one.
    ConstraintsAsCache { value: String },
    /// A name in `--only-binary` or `--no-binary` that is not one.
    Formats {
        flag: &'static str,
        error: InvalidName,
    },
    /// Hash mode, and requirements not pinned to one version with `==`.
    Unpinned { requirements: Vec<String> },
    /// Hash mode, and requirements without a `--hash`.
    Unhashed { requirements: Vec<String> },
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::Requirement(e) => {
                write!(f, "invalid requirement on the command line: {e}")
            }
            SettingsError::File(e) => e.fmt(f),
            SettingsError::Direct {
                origin: Some(origin),
                error,
            } => write!(f, "{origin}: {error}"),
            SettingsError::Direct { error, .. } => error.fmt(f),
            SettingsError::Url { what, error } => write!(f, "invalid {what}: {error}"),
            SettingsError::NothingToInstall => f.write_str(
                "nothing to install: expected requirements or -r FILE\nhint: curd install -r requirements.txt",
            ),
            SettingsError::NoSource => f.write_str(
                "no package source: --no-index leaves none\nhint: add -c URL, -i URL or --find-links DIR",
            ),
            SettingsError::UploadWithoutCache => f.write_str(
                "-u uploads to a cache server, and none was given\nhint: add -c http://HOST:8000",
            ),
            SettingsError::Conflict { first, second } => write!(
                f,
                "{first} and {second} cannot be combined: they name different install locations"
            ),
            SettingsError::NoUserBase => f.write_str(
                "--user needs a user base, and neither $PYTHONUSERBASE nor $HOME is set",
            ),
            SettingsError::Folder { flag, source } => {
                write!(f, "{flag}: expected a folder, found an unusable path: {source}")
            }
            SettingsError::ConstraintsAsCache { value } => write!(
                f,
                "-c expects the URL of a curd cache server, found the file `{value}`\nhint: constraints files are --constraint FILE; -c is a curd cache server"
            ),
            SettingsError::Formats { flag, error } => write!(f, "--{flag}: {error}"),
            SettingsError::Unpinned { requirements } => write!(
                f,
                "with hashes, every requirement must be pinned with `==`, and {} not\nhint: pin each to the version its hash is of",
                listed(requirements, "is", "are")
            ),
            SettingsError::Unhashed { requirements } => write!(
                f,
                "--require-hashes: every requirement needs a --hash, and {} none\nhint: name them in a requirements file, each with `--hash=sha256:...`",
                listed(requirements, "has", "have")
            ),
        }
    }
}

impl std::error::Error for SettingsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SettingsError::Requirement(e) => Some(e),
            SettingsError::File(e) => Some(e),
            SettingsError::Url { error, .. } => Some(error),
            SettingsError::Folder { source, .. } => Some(source),
            SettingsError::Formats { error, .. } => Some(error),
            SettingsError::Direct { error, .. } => error.source(),
            _ => None,
        }
    }
}

/// `a`, or `a`, `b` and `c`, then the verb that agrees: `one` or `many`.
fn listed(items: &[String], one: &str, many: &str) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => format!("{last} {one}"),
        Some((last, rest)) => format!("{} and {last} {many}", rest.join(", ")),
        None => String::new(),
    }
}

/// Whether a requirement names one version, as hash mode needs: `==` without `.*`,
/// or `===`, alone.
fn pinned(requirement: &Requirement) -> bool {
    match &requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
            let clauses: Vec<_> = specifiers.iter().collect();
            matches!(
                clauses.as_slice(),
                [one] if matches!(one.operator, Operator::Equal | Operator::ArbitraryEqual)
            )
        }
        _ => false,
    }
}

impl Settings {
    /// Whether anything is asked to move from its installed version (`-U`, `-P`):
    /// if not, an environment that satisfies the requirements needs nothing.
    pub fn upgrades(&self) -> bool {
        !self.upgrade.is_empty()
    }

    /// Settles a run from its flags, the requirements files they name and `vars`.
    pub fn resolve(
        args: InstallArgs,
        mode: Mode,
        vars: &Variables,
    ) -> Result<Settings, SettingsError> {
        // pip's `-c` is a constraints file: say so rather than fetch a file name.
        if let Some(value) = args
            .curdling_index
            .iter()
            .find(|c| !looks_like_url(c) && (Path::new(c).is_file() || c.ends_with(".txt")))
        {
            return Err(SettingsError::ConstraintsAsCache {
                value: value.clone(),
            });
        }
        let caches = args.curdling_index.clone();
        let timeout = args.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let retries = args.retries.unwrap_or(DEFAULT_RETRIES);
        // The client needs only their hosts; a malformed one is reported by `sources`.
        let cache_indexes = caches
            .iter()
            .filter_map(|c| cache_server(c).ok())
            .map(|(_, index)| index)
            .collect();
        let upload = args.upload || args.upload_required;
        if upload && caches.is_empty() {
            return Err(SettingsError::UploadWithoutCache);
        }
        let mut roots = Vec::new();
        let mut direct = Vec::new();
        let here = Path::new("");
        let from_line = |error| SettingsError::Direct {
            origin: None,
            error,
        };
        for text in &args.packages {
            match direct::parse(text, here, false).map_err(from_line)? {
                Some(request) => direct.push(request),
                None => roots.push(text.parse().map_err(SettingsError::Requirement)?),
            }
        }
        for text in &args.editable {
            direct.extend(direct::parse(text, here, true).map_err(from_line)?);
        }
        let mut constraints = Vec::new();
        let mut hashes: HashMap<PackageName, Vec<String>> = HashMap::new();
        let mut indexes = match args.index_configured {
            true => Vec::new(),
            false => args.index.clone(),
        };
        let mut find_links = args.find_links.clone();
        let mut no_index = args.no_index;
        let mut pre = args.pre;
        let mut file_indexes = Vec::new();
        let mut extra_indexes = Vec::new();
        let mut require_hashes = args.require_hashes;
        let mut formats = Formats::default();
        for (format, value) in &args.formats {
            formats
                .apply(*format, value)
                .map_err(|error| SettingsError::Formats {
                    flag: match format {
                        Format::OnlyBinary => "only-binary",
                        Format::NoBinary => "no-binary",
                    },
                    error,
                })?;
        }
        let lookup = |name: &str| vars.get(name);
        let files = args
            .requirements
            .iter()
            .map(|path| RequirementsFile::read(path, &lookup))
            .chain(
                args.constraints
                    .iter()
                    .map(|path| RequirementsFile::read_constraints(path, &lookup)),
            );
        for file in files {
            let file = file.map_err(SettingsError::File)?;
            for entry in file.requirements {
                let base = entry.origin.file.parent().unwrap_or(here);
                let from_file = |error| SettingsError::Direct {
                    origin: Some(entry.origin.to_string()),
                    error,
                };
                let request = match &entry.requirement {
                    Spec::Named(r) => direct::from_requirement(r.clone(), base),
                    Spec::Unnamed(text) => direct::parse(text, base, false),
                    Spec::Editable(text) => direct::parse(text, base, true),
                };
                if let Some(request) = request.map_err(from_file)? {
                    direct.push(request);
                    continue;
                }
                match entry.requirement {
                    Spec::Named(r) => {
                        if !entry.hashes.is_empty() {
                            hashes
                                .entry(r.name.clone())
                                .or_default()
                                .extend(entry.hashes);
                        }
                        roots.push(r);
                    }
                    Spec::Unnamed(text) | Spec::Editable(text) => match text.parse() {
                        Ok(r) => roots.push(r),
                        Err(e) => {
                            return Err(SettingsError::File(RequirementsError::Requirement {
                                origin: entry.origin,
                                message: format!("{e}"),
                            }));
                        }
                    },
                }
            }
            constraints.extend(
                file.constraints
                    .into_iter()
                    .filter_map(|e| match e.requirement {
                        Spec::Named(r) => Some(r),
                        Spec::Unnamed(_) | Spec::Editable(_) => None,
                    }),
            );
            file_indexes.extend(file.index_url);
            extra_indexes.extend(file.extra_index_urls);
            find_links.extend(file.find_links);
            no_index |= file.no_index;
            pre |= file.pre;
            require_hashes |= file.require_hashes;
            for (format, value) in &file.formats {
                // Checked as the file was read.
                let _ = formats.apply(*format, value);
            }
        }
        if indexes.is_empty() {
            indexes = file_indexes;
        }
        if indexes.is_empty() {
            indexes = args.index.clone();
        }
        if indexes.is_empty() {
            indexes.push(PYPI.to_string());
        }
        indexes.extend(args.extra_index.iter().cloned());
        indexes.extend(extra_indexes);
        if roots.is_empty() && direct.is_empty() {
            return Err(SettingsError::NothingToInstall);
        }
        // As in pip, any `--hash` turns hash mode on for the whole run.
        require_hashes |= !hashes.is_empty();
        if require_hashes {
            let named = |r: &Requirement| r.to_string();
            let unpinned: Vec<String> = roots.iter().filter(|r| !pinned(r)).map(named).collect();
            if !unpinned.is_empty() {
                return Err(SettingsError::Unpinned {
                    requirements: unpinned,
                });
            }
            let unhashed: Vec<String> = roots
                .iter()
                .filter(|r| !hashes.contains_key(&r.name))
                .map(named)
                .collect();
            if !unhashed.is_empty() {
                return Err(SettingsError::Unhashed {
                    requirements: unhashed,
                });
            }
        }
        let mut upgrade = args.upgrade_packages.clone();
        if args.upgrade {
            upgrade.extend(roots.iter().map(|r| r.name.clone()));
        }
        upgrade.sort();
        upgrade.dedup();

        let given = GivenSources {
            caches,
            indexes: if no_index { Vec::new() } else { indexes },
            find_links,
            upload,
        };

        let location = location(&args, vars)?;
        let level = if args.quiet {
            Level::Error
        } else {
            args.log_level
        };
        Ok(Settings {
            mode,
            roots,
            direct,
            constraints,
            hashes,
            require_hashes,
            upgrade,
            no_deps: args.no_deps,
            formats,
            temporary_cache: args.no_cache,
            given,
            pre,
            force: args.force,
            dry_run: args.dry_run,
            compile: args.compile,
            link: args.link_mode,
            jobs: args.jobs.max(1),
            cache_dir: match args.no_cache {
                true => std::env::temp_dir().join(temp_name("cache")),
                false => vars.cache_dir(args.cache_dir),
            },
            python: vars.discovery(args.python),
            system: args.system,
            client: ClientOptions {
                timeout,
                retries,
                caches: cache_indexes,
                ..vars.client(args.cert)
            },
            no_build_isolation: args.no_build_isolation,
            upload_required: args.upload_required,
            level,
            progress: !args.quiet,
            path: vars.path(),
            location,
            report: args.report,
            machine: args.machine,
        })
    }
}

/// Where `curd install` puts things: `--target`, `--prefix` or `--user`, one at
/// most, as pip allows; else the environment. The user base is
/// `$PYTHONUSERBASE`, else `~/.local`, as `site.USER_BASE` has it on POSIX.
fn location(args: &InstallArgs, vars: &Variables) -> Result<Location, SettingsError> {
    let given: Vec<&'static str> = [
        (args.target.is_some(), "--target"),
        (args.prefix.is_some(), "--prefix"),
        (args.user, "--user"),
    ]
    .into_iter()
    .filter_map(|(given, flag)| given.then_some(flag))
    .collect();
    if let [first, second, ..] = given[..] {
        return Err(SettingsError::Conflict { first, second });
    }
    let absolute = |flag, dir: &Path| {
        std::path::absolute(dir).map_err(|source| SettingsError::Folder { flag, source })
    };
    Ok(match (&args.target, &args.prefix) {
        (Some(dir), _) => Location::Target(absolute("--target", dir)?),
        (_, Some(dir)) => Location::Prefix(absolute("--prefix", dir)?),
        _ if args.user => Location::User(match (vars.os("PYTHONUSERBASE"), vars.os("HOME")) {
            (Some(base), _) => absolute("--user", Path::new(base))?,
            (None, Some(home)) => PathBuf::from(home).join(".local"),
            (None, None) => return Err(SettingsError::NoUserBase),
        }),
        _ => Location::Environment,
    })
}

impl Settings {
    /// Every package source, in the order they are asked, and the upload target.
    /// Checked after the environment is found, so that a wrong Python is the first
    /// thing said.
    pub fn sources(&self) -> Result<Sources, SettingsError> {
        let given = &self.given;
        let mut list = Vec::new();
        let mut upload = None;
        for cache in &given.caches {
            let (root, index) = cache_server(cache)?;
            if given.upload && upload.is_none() {
                let files = root.join("p/").map_err(|error| SettingsError::Url {
                    what: "cache server URL",
                    error,
                })?;
                upload = Some(UploadTarget {
                    files,
                    index: index.clone(),
                });
            }
            list.push(Source::Cache(Index { url: index }));
        }
        for index in &given.indexes {
            let url = Url::parse(index).map_err(|error| SettingsError::Url {
                what: "index URL",
                error,
            })?;
            list.push(Source::Index(Index { url }));
        }
        for link in &given.find_links {
            if let Some(path) = link.strip_prefix("file://") {
                list.push(Source::Folder(PathBuf::from(path)));
            } else if looks_like_url(link) && !Path::new(link).is_dir() {
                let url = Url::parse(link).map_err(|error| SettingsError::Url {
                    what: "--find-links URL",
                    error,
                })?;
                list.push(Source::Page(url));
            } else {
                list.push(Source::Folder(PathBuf::from(link)));
            }
        }
        if list.is_empty() {
            return Err(SettingsError::NoSource);
        }
        Ok(Sources { list, upload })
    }
}

/// A curd-server given by its address, as its root and its simple index: either may
/// be given.
fn cache_server(text: &str) -> Result<(Url, Url), SettingsError> {
    let invalid = |error| SettingsError::Url {
        what: "cache server URL",
        error,
    };
    let url = Url::parse(text).map_err(invalid)?;
    if url.path().trim_end_matches('/').ends_with("/simple") {
        let index = url.as_directory();
        let root = index.join("../").map_err(invalid)?;
        Ok((root, index))
    } else {
        let root = url.as_directory();
        let index = root.join("simple/").map_err(invalid)?;
        Ok((root, index))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Variables {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect()
    }

    #[test]
    fn finds_the_cache_like_xdg_says() {
        let xdg = vars(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/h")]);
        assert_eq!(xdg.cache_dir(None), PathBuf::from("/x/curd"));
        let home = vars(&[("XDG_CACHE_HOME", ""), ("HOME", "/h")]);
        assert_eq!(home.cache_dir(None), PathBuf::from("/h/.cache/curd"));
        let explicit = Some(PathBuf::from("/e"));
        assert_eq!(xdg.cache_dir(explicit), PathBuf::from("/e"));
    }

    #[test]
    fn netrc_and_certificates_come_from_the_environment() {
        let options =
            vars(&[("NETRC", "/n"), ("HOME", "/h"), ("SSL_CERT_FILE", "/c")]).client(None);
        assert_eq!(options.netrc, Some(PathBuf::from("/n")));
        assert_eq!(options.cert, Some(PathBuf::from("/c")));
        let options = vars(&[("HOME", "/h")]).client(Some(PathBuf::from("/flag")));
        assert_eq!(options.netrc, Some(PathBuf::from("/h/.netrc")));
        assert_eq!(options.cert, Some(PathBuf::from("/flag")));
        assert_eq!(vars(&[]).client(None).netrc, None);
    }

    fn settle(args: &[&str], env: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let argv = ["install"].iter().chain(args).map(OsString::from);
        let env = vars(env);
        let layers = |m: &mut _, name: &str| crate::cli::config::fill(m, name, &env);
        let Ok(crate::cli::args::Command::Install(args)) =
            crate::cli::args::parse_with(argv, &layers)
        else {
            panic!("{args:?} do not parse as `curd install`");
        };
        Settings::resolve(args, Mode::Install, &env)
    }

    /// Why `args` do not settle.
    fn refused(args: &[&str]) -> String {
        match settle(args, &[]) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{args:?} settled"),
        }
    }

    fn indexes(settings: &Settings) -> Vec<String> {
        let sources = settings.sources().expect("valid sources");
        sources.list.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn one_install_location_at_most() {
        let location = |args: &[&str], env: &[(&str, &str)]| {
            settle(args, env)
                .map(|s| s.location)
                .map_err(|e| e.to_string())
        };
        let home = [("HOME", "/home/u")];
        assert_eq!(location(&["x"], &home), Ok(Location::Environment));
        assert_eq!(
            location(&["--user", "x"], &home),
            Ok(Location::User(PathBuf::from("/home/u/.local")))
        );
        let base = [("HOME", "/home/u"), ("PYTHONUSERBASE", "/opt/ub")];
        assert_eq!(
            location(&["--user", "x"], &base),
            Ok(Location::User(PathBuf::from("/opt/ub")))
        );
        assert_eq!(
            location(&["--prefix", "/opt/p", "x"], &home),
            Ok(Location::Prefix(PathBuf::from("/opt/p")))
        );
        let err = location(&["-t", "/t", "--user", "x"], &home).unwrap_err();
        assert!(
            err.starts_with("--target and --user cannot be combined"),
            "{err}"
        );
        assert!(location(&["--user", "x"], &[]).is_err());
    }

    #[test]
    fn the_command_line_beats_the_environment_beats_pypi() {
        let env = [("CURD_INDEX_URL", "http://env/simple/")];
        let given = settle(&["-i", "http://flag/simple/", "x"], &env).expect("settles");
        assert_eq!(indexes(&given), ["index http://flag/simple/"]);
        let from_env = settle(&["x"], &env).expect("settles");
        assert_eq!(indexes(&from_env), ["index http://env/simple/"]);
        let default = settle(&["x"], &[]).expect("settles");
        assert_eq!(indexes(&default), [format!("index {PYPI}")]);
        let extra = settle(&["--extra-index-url", "http://extra/", "x"], &env).expect("settles");
        assert_eq!(
            indexes(&extra),
            ["index http://env/simple/", "index http://extra/"]
        );
        let cached = settle(&["x"], &[("CURD_CACHE_URL", "http://u:p@cache:8000")]);
        let sources = cached.expect("settles").sources().expect("valid sources");
        assert_eq!(sources.list.len(), 2);
        assert!(sources.list[0].is_cache() && sources.upload.is_none());
    }

    #[test]
    fn network_limits_come_from_flags_then_the_environment() {
        let env = [("CURD_TIMEOUT", "40"), ("CURD_RETRIES", "1")];
        let client =
            |args: &[&str], env: &[(&str, &str)]| settle(args, env).expect("settles").client;
        let flags = client(&["--timeout=2.5", "--retries=7", "x"], &env);
        assert_eq!(
            (flags.timeout, flags.retries),
            (Duration::from_millis(2500), 7)
        );
        let from_env = client(&["x"], &env);
        assert_eq!(
            (from_env.timeout, from_env.retries),
            (Duration::from_secs(40), 1)
        );
        let default = client(&["x"], &[]);
        assert_eq!(
            (default.timeout, default.retries),
            (DEFAULT_TIMEOUT, DEFAULT_RETRIES)
        );
        // The client knows the cache servers, to be quick with them.
        let cached = client(
            &["-c", "http://u:p@cache:8000", "-c", "ht tp://x", "x"],
            &[],
        );
        let caches: Vec<String> = cached.caches.iter().map(ToString::to_string).collect();
        assert_eq!(caches, ["http://****@cache:8000/simple/"]);
    }

    #[test]
    fn refusals_name_what_is_missing() {
        assert!(refused(&["-u", "x"]).starts_with("-u uploads to a cache server"));
        assert!(refused(&[]).starts_with("nothing to install"));
        assert!(refused(&["x y"]).starts_with("invalid requirement on the command line"));
        // Sources are checked later, after the interpreter is found.
        let no_source = settle(&["--no-index", "x"], &[]).expect("settles");
        let error = no_source.sources().err().map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.starts_with("no package source")));
        let bad_url = settle(&["-c", "ht tp://x", "x"], &[]).expect("settles");
        let error = bad_url.sources().err().map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.starts_with("invalid cache server URL")));
    }

    #[test]
    fn a_constraints_file_given_to_c_is_refused_with_a_hint() {
        assert_eq!(
            refused(&["-c", "constraints.txt", "x"]),
            "-c expects the URL of a curd cache server, found the file `constraints.txt`\n\
             hint: constraints files are --constraint FILE; -c is a curd cache server"
        );
        let file = std::env::current_exe().expect("the test binary");
        let file = file.to_str().expect("a UTF-8 path");
        assert!(refused(&["-c", file, "x"]).starts_with("-c expects the URL"));
        assert!(settle(&["-c", "http://h/c.txt", "x"], &[]).is_ok());
    }

    #[test]
    fn hash_mode_needs_every_root_pinned_and_hashed() {
        assert!(
            refused(&["--require-hashes", "a>=1", "b==1.*", "c==1"])
                .starts_with("with hashes, every requirement must be pinned with `==`, and `a>=1` and `b==1.*` are not")
        );
        assert!(refused(&["--require-hashes", "a==1", "b===2"]).starts_with(
            "--require-hashes: every requirement needs a --hash, and `a==1` and `b===2` have none\n"
        ));
        let plain = settle(&["a>=1"], &[]).expect("settles");
        assert!(!plain.require_hashes && !plain.upgrades());
    }

    #[test]
    fn upgrades_name_the_roots_and_the_packages_given() {
        let names = |args: &[&str]| {
            let settings = settle(args, &[]).expect("settles");
            let names: Vec<String> = settings.upgrade.iter().map(|n| n.to_string()).collect();
            (settings.upgrades(), names)
        };
        assert_eq!(names(&["A", "b>1"]), (false, vec![]));
        assert_eq!(
            names(&["-U", "A", "b>1"]),
            (true, vec!["a".into(), "b".into()])
        );
        assert_eq!(names(&["-P", "c", "A"]), (true, vec!["c".into()]));
    }

    #[test]
    fn uploads_go_to_the_first_cache_servers_upload_folder() {
        let settings = settle(
            &["-u", "-c", "http://a:1/simple", "-c", "http://b:2", "x"],
            &[],
        );
        let sources = settings.expect("settles").sources().expect("valid sources");
        let upload = sources.upload.expect("an upload target");
        assert_eq!(upload.files.to_string(), "http://a:1/p/");
        assert_eq!(upload.index.to_string(), "http://a:1/simple/");
    }

    #[test]
    fn a_cache_server_is_named_by_its_root_or_its_index() {
        for given in [
            "http://h:8000",
            "http://h:8000/",
            "http://h:8000/simple",
            "http://h:8000/simple/",
        ] {
            let (root, index) = cache_server(given).expect("a valid URL");
            assert_eq!(root.to_string(), "http://h:8000/", "{given}");
            assert_eq!(index.to_string(), "http://h:8000/simple/", "{given}");
        }
    }
}

//! The client's commands: what `curd install`, `uninstall` and `freeze` do, in terms
//! of the modules above (find, fetch, resolve, install). Each returns an error whose
//! message is written for the person at the terminal; `main` prints it.

pub mod args;
pub mod install;
pub mod requirements_txt;

use std::fmt;
use std::path::PathBuf;

use argh::FromArgs;

use crate::client::environment::Environment;
use crate::install::LinkMode;

/// Install packages: from curd cache servers first, then package indexes.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "install")]
pub struct InstallArgs {
    /// install from this requirements file (repeatable)
    #[argh(option, short = 'r', long = "requirements")]
    pub requirements: Vec<PathBuf>,

    /// package index, PEP 503 or 691 (repeatable; replaces the default, PyPI); also $CURD_INDEX_URL
    #[argh(option, short = 'i', long = "index")]
    pub index: Vec<String>,

    /// curd cache server, asked before any index (repeatable); also $CURD_CACHE_URL
    #[argh(option, short = 'c', long = "curdling-index")]
    pub curdling_index: Vec<String>,

    /// upload every wheel the cache servers lacked to the first of them
    #[argh(switch, short = 'u')]
    pub upload: bool,

    /// reinstall even what is already installed
    #[argh(switch, short = 'f')]
    pub force: bool,

    /// a folder (or page) of wheels to install from, for machines with no index (repeatable)
    #[argh(option)]
    pub find_links: Vec<String>,

    /// ask no index, only cache servers and --find-links
    #[argh(switch)]
    pub no_index: bool,

    /// allow pre-releases everywhere
    #[argh(switch)]
    pub pre: bool,

    /// write .pyc files for what is installed
    #[argh(switch)]
    pub compile: bool,

    /// print nothing but errors
    #[argh(switch, short = 'q')]
    pub quiet: bool,

    /// how much to say: error, warn, info (default) or debug
    #[argh(option, short = 'l', default = "LogLevel::Info")]
    pub log_level: LogLevel,

    /// the Python environment to install into (default: $VIRTUAL_ENV, then .venv, then python3)
    #[argh(option)]
    pub python: Option<PathBuf>,

    /// install into a Python that is not a virtual environment
    #[argh(switch)]
    pub system: bool,

    /// say what would be installed, and change nothing
    #[argh(switch)]
    pub dry_run: bool,

    /// downloads and installs at once (default: 8)
    #[argh(option, short = 'j', default = "8")]
    pub jobs: usize,

    /// the local cache (default: $XDG_CACHE_HOME/curd or ~/.cache/curd)
    #[argh(option)]
    pub cache_dir: Option<PathBuf>,

    /// how files reach the environment from the cache: hardlink (default) or copy
    #[argh(option, default = "Link(LinkMode::Hardlink)")]
    pub link_mode: Link,

    /// a PEM bundle of certificate authorities to trust instead of the system's
    #[argh(option)]
    pub cert: Option<PathBuf>,

    /// build sdists in the target environment instead of a fresh one
    #[argh(switch)]
    pub no_build_isolation: bool,

    /// requirements, as pip takes them: `flask>=2`, `requests[socks]`
    #[argh(positional)]
    pub packages: Vec<String>,
}

/// Resolve, fetch and build every wheel a requirement set needs into a folder,
/// without installing: the way to fill a curd-server folder for an air-gapped network.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "wheel")]
pub struct WheelArgs {
    /// the folder to put the wheels in (default: the current folder)
    #[argh(
        option,
        short = 'w',
        long = "wheel-dir",
        default = "PathBuf::from(\".\")"
    )]
    pub wheel_dir: PathBuf,

    /// requirements file (repeatable)
    #[argh(option, short = 'r', long = "requirements")]
    pub requirements: Vec<PathBuf>,

    /// package index, PEP 503 or 691 (repeatable; replaces the default, PyPI)
    #[argh(option, short = 'i', long = "index")]
    pub index: Vec<String>,

    /// curd cache server, asked before any index (repeatable)
    #[argh(option, short = 'c', long = "curdling-index")]
    pub curdling_index: Vec<String>,

    /// upload every wheel the cache servers lacked to the first of them
    #[argh(switch, short = 'u')]
    pub upload: bool,

    /// a folder (or page) of wheels to use too (repeatable)
    #[argh(option)]
    pub find_links: Vec<String>,

    /// ask no index, only cache servers and --find-links
    #[argh(switch)]
    pub no_index: bool,

    /// allow pre-releases everywhere
    #[argh(switch)]
    pub pre: bool,

    /// print nothing but errors
    #[argh(switch, short = 'q')]
    pub quiet: bool,

    /// the Python the wheels are for (default: $VIRTUAL_ENV, then .venv, then python3)
    #[argh(option)]
    pub python: Option<PathBuf>,

    /// downloads and builds at once (default: 8)
    #[argh(option, short = 'j', default = "8")]
    pub jobs: usize,

    /// the local cache (default: $XDG_CACHE_HOME/curd or ~/.cache/curd)
    #[argh(option)]
    pub cache_dir: Option<PathBuf>,

    /// a PEM bundle of certificate authorities to trust instead of the system's
    #[argh(option)]
    pub cert: Option<PathBuf>,

    /// build sdists with the given Python's own packages instead of a fresh environment
    #[argh(switch)]
    pub no_build_isolation: bool,

    /// requirements, as pip takes them
    #[argh(positional)]
    pub packages: Vec<String>,
}

/// `curd wheel`: what `curd install` does, ending in a folder instead of an environment.
pub fn wheel(args: WheelArgs) -> Result<(), CommandError> {
    std::fs::create_dir_all(&args.wheel_dir).map_err(|e| {
        CommandError::new(format!("cannot create `{}`: {e}", args.wheel_dir.display()))
    })?;
    let install = InstallArgs {
        requirements: args.requirements,
        index: args.index,
        curdling_index: args.curdling_index,
        upload: args.upload,
        force: true,
        find_links: args.find_links,
        no_index: args.no_index,
        pre: args.pre,
        compile: false,
        quiet: args.quiet,
        log_level: LogLevel::Info,
        python: args.python,
        system: true,
        dry_run: false,
        jobs: args.jobs,
        cache_dir: args.cache_dir,
        link_mode: Link(LinkMode::Copy),
        cert: args.cert,
        no_build_isolation: args.no_build_isolation,
        packages: args.packages,
    };
    install::run(install, install::Mode::Wheel(args.wheel_dir))
}

/// Remove installed packages.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "uninstall")]
pub struct UninstallArgs {
    /// uninstall the projects named in this requirements file (repeatable)
    #[argh(option, short = 'r', long = "requirements")]
    pub requirements: Vec<PathBuf>,

    /// the Python environment (default: $VIRTUAL_ENV, then .venv, then python3)
    #[argh(option)]
    pub python: Option<PathBuf>,

    /// uninstall from a Python that is not a virtual environment
    #[argh(switch)]
    pub system: bool,

    /// print nothing but errors
    #[argh(switch, short = 'q')]
    pub quiet: bool,

    /// the projects to remove
    #[argh(positional)]
    pub names: Vec<String>,
}

/// List installed packages as `name==version`, as `pip freeze` does.
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "freeze")]
pub struct FreezeArgs {
    /// the Python environment (default: $VIRTUAL_ENV, then .venv, then python3)
    #[argh(option)]
    pub python: Option<PathBuf>,
}

/// How much a command says on stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

impl argh::FromArgValue for LogLevel {
    fn from_arg_value(value: &str) -> Result<LogLevel, String> {
        match value.to_ascii_lowercase().as_str() {
            "error" => Ok(LogLevel::Error),
            "warn" | "warning" => Ok(LogLevel::Warn),
            "info" => Ok(LogLevel::Info),
            "debug" => Ok(LogLevel::Debug),
            _ => Err(format!(
                "expected error, warn, info or debug, found `{value}`"
            )),
        }
    }
}

/// `--link-mode`, as argh reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link(pub LinkMode);

impl argh::FromArgValue for Link {
    fn from_arg_value(value: &str) -> Result<Link, String> {
        match value {
            "hardlink" => Ok(Link(LinkMode::Hardlink)),
            "copy" => Ok(Link(LinkMode::Copy)),
            _ => Err(format!("expected hardlink or copy, found `{value}`")),
        }
    }
}

/// A command that failed as a whole, or some of whose parts did.
#[derive(Debug)]
pub struct CommandError {
    pub message: String,
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CommandError {}

impl CommandError {
    pub fn new(message: impl fmt::Display) -> CommandError {
        CommandError {
            message: message.to_string(),
        }
    }
}

/// `curd uninstall`: removes each named project through its RECORD.
pub fn uninstall(args: UninstallArgs) -> Result<(), CommandError> {
    let env = Environment::open(args.python.as_deref(), args.system, None)?;
    let mut names = Vec::new();
    for file in &args.requirements {
        let reqs = crate::cli::requirements_txt::RequirementsFile::read(file, &|name| {
            std::env::var(name).ok()
        })
        .map_err(CommandError::new)?;
        for entry in reqs.requirements {
            if let crate::cli::requirements_txt::Spec::Named(r) = entry.requirement {
                names.push(r.name);
            }
        }
    }
    for name in &args.names {
        names.push(crate::standards::name::PackageName::new(name).map_err(CommandError::new)?);
    }
    if names.is_empty() {
        return Err(CommandError::new(
            "nothing to uninstall: expected project names or -r FILE",
        ));
    }
    let installed = env.installed()?;
    let mut removed = Vec::new();
    let mut missing = Vec::new();
    for name in &names {
        match installed.iter().find(|d| &d.name == name) {
            Some(dist) => {
                crate::install::uninstall(&env.target.scheme, dist).map_err(CommandError::new)?;
                removed.push(format!("{}-{}", dist.name, dist.version));
            }
            None => missing.push(name.to_string()),
        }
    }
    if !args.quiet {
        if !removed.is_empty() {
            eprintln!("Uninstalled {}", removed.join(" "));
        }
        for name in &missing {
            eprintln!("warning: `{name}` is not installed");
        }
    }
    Ok(())
}

/// `curd freeze`: `name==version` lines, with the names as the projects spell
/// them and in pip's order, leaving out the tools pip leaves out.
pub fn freeze(args: FreezeArgs) -> Result<(), CommandError> {
    let env = Environment::open(args.python.as_deref(), true, None)?;
    const HIDDEN: [&str; 4] = ["pip", "setuptools", "wheel", "distribute"];
    let mut lines: Vec<(String, String)> = env
        .installed()?
        .into_iter()
        .filter(|d| !HIDDEN.contains(&d.name.as_str()))
        .map(|d| {
            let name = std::fs::read(d.dist_info.join("METADATA"))
                .ok()
                .and_then(|raw| crate::standards::metadata::CoreMetadata::parse(&raw).ok())
                .map(|m| m.name)
                .unwrap_or_else(|| d.name.to_string());
            (name.to_ascii_lowercase(), format!("{name}=={}", d.version))
        })
        .collect();
    lines.sort();
    for (_, line) in lines {
        println!("{line}");
    }
    Ok(())
}

impl From<crate::client::environment::EnvironmentError> for CommandError {
    fn from(error: crate::client::environment::EnvironmentError) -> CommandError {
        CommandError::new(error)
    }
}

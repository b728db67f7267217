//! The client's commands: what `curd install`, `uninstall` and `freeze` do, in terms
//! of the modules above (find, fetch, resolve, install). Each returns an error whose
//! message is written for the person at the terminal; `main` prints it.

pub mod args;
pub mod error;
pub mod install;
pub mod requirements_txt;
pub mod settings;
pub mod summary;
pub mod uninstall;
pub mod freeze;

use std::path::PathBuf;

use argh::FromArgs;

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

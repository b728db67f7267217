//! The client's command line: `curd install`, `wheel`, `uninstall`, `freeze`, `list`,
//! `show` and `check`, each a table of flags read by `util::args`; `curd server`
//! hands its arguments on to the server's own table. Values the command line lacks
//! may come from the environment and configuration files (`cli::config`).
//!
//! `curd wheel` is `curd install` ending in a folder: it takes the install flags but
//! those that only matter to an environment, and gives the same `InstallArgs`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::client::formats::Format;
use crate::install::LinkMode;
use crate::standards::machine::{Machine, PythonVersion};
use crate::standards::name::PackageName;
use crate::util::args::{Command as Table, Flag, FromArg, Matches, Operand, Origin, Program, Stop};
use crate::util::messages::Level;

/// The flags of `curd install` and `curd wheel`.
#[derive(Debug)]
pub struct InstallArgs {
    pub requirements: Vec<PathBuf>,
    pub index: Vec<String>,
    /// Whether `index` came from the environment or a configuration file rather
    /// than the command line, so that a requirements file's `--index-url` beats it.
    pub index_configured: bool,
    /// `--extra-index-url`: asked after the main index.
    pub extra_index: Vec<String>,
    pub curdling_index: Vec<String>,
    pub upload: bool,
    /// `--upload-required`: a failed upload fails the run.
    pub upload_required: bool,
    pub force: bool,
    pub find_links: Vec<String>,
    pub no_index: bool,
    pub pre: bool,
    pub compile: bool,
    pub quiet: bool,
    pub log_level: Level,
    pub python: Option<PathBuf>,
    pub system: bool,
    pub dry_run: bool,
    pub jobs: usize,
    pub cache_dir: Option<PathBuf>,
    pub link_mode: LinkMode,
    pub cert: Option<PathBuf>,
    /// `--timeout`; `None` leaves it to `$CURD_TIMEOUT`, then the default.
    pub timeout: Option<Duration>,
    /// `--retries`; `None` leaves it to `$CURD_RETRIES`, then the default.
    pub retries: Option<u32>,
    pub no_build_isolation: bool,
    /// `-U`: the named requirements go to their newest fitting versions.
    pub upgrade: bool,
    /// `-P`: these projects go to their newest fitting versions.
    pub upgrade_packages: Vec<PackageName>,
    pub no_deps: bool,
    /// `--constraint` files.
    pub constraints: Vec<PathBuf>,
    pub require_hashes: bool,
    /// `--only-binary` and `--no-binary` values, in the order given.
    pub formats: Vec<(Format, String)>,
    /// `--no-cache-dir` or `--no-cache`: a temporary cache, removed at the end.
    pub no_cache: bool,
    /// `curd wheel`'s folder; `None` for `curd install`.
    pub wheel_dir: Option<PathBuf>,
    pub packages: Vec<String>,
    /// `--target`, `--prefix`, `--user`: an install outside the environment.
    pub target: Option<PathBuf>,
    pub prefix: Option<PathBuf>,
    pub user: bool,
    /// `--report FILE`, `-` for stdout.
    pub report: Option<PathBuf>,
    /// `curd wheel --python-version --platform --implementation --abi`.
    pub machine: Machine,
    /// `-e`: project folders to install as editable (PEP 660).
    pub editable: Vec<String>,
}

/// The flags of `curd uninstall`.
#[derive(Debug)]
pub struct UninstallArgs {
    pub requirements: Vec<PathBuf>,
    pub python: Option<PathBuf>,
    pub system: bool,
    pub quiet: bool,
    pub names: Vec<String>,
}

/// The flags of `curd freeze`.
#[derive(Debug)]
pub struct FreezeArgs {
    pub python: Option<PathBuf>,
}

/// How `curd list` prints, as `pip list --format` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    Columns,
    Freeze,
    Json,
}

impl FromArg for ListFormat {
    const EXPECTED: &'static str = "columns, freeze or json";
    fn from_arg(text: &str) -> Option<ListFormat> {
        match text {
            "columns" => Some(ListFormat::Columns),
            "freeze" => Some(ListFormat::Freeze),
            "json" => Some(ListFormat::Json),
            _ => None,
        }
    }
}

/// The flags of `curd list`.
#[derive(Debug)]
pub struct ListArgs {
    pub python: Option<PathBuf>,
    pub format: ListFormat,
}

/// The flags of `curd show`.
#[derive(Debug)]
pub struct ShowArgs {
    pub python: Option<PathBuf>,
    /// `-f`: RECORD's files too.
    pub files: bool,
    pub names: Vec<String>,
}

/// The flags of `curd check`.
#[derive(Debug)]
pub struct CheckArgs {
    pub python: Option<PathBuf>,
}

/// `-l`, `--log-level`: how much a command says on stderr.
impl FromArg for Level {
    const EXPECTED: &'static str = "error, warn, info or debug";
    fn from_arg(text: &str) -> Option<Level> {
        match text.to_ascii_lowercase().as_str() {
            "error" => Some(Level::Error),
            "warn" | "warning" => Some(Level::Warn),
            "info" => Some(Level::Info),
            "debug" => Some(Level::Debug),
            _ => None,
        }
    }
}

/// `--link-mode`.
impl FromArg for LinkMode {
    const EXPECTED: &'static str = "hardlink or copy";
    fn from_arg(text: &str) -> Option<LinkMode> {
        match text {
            "hardlink" => Some(LinkMode::Hardlink),
            "copy" => Some(LinkMode::Copy),
            _ => None,
        }
    }
}

/// `--timeout`: seconds as pip takes them, fractions allowed; more than a day is a
/// typo, and no wait at all would fail every request.
impl FromArg for Duration {
    const EXPECTED: &'static str = "a number of seconds, above 0 and at most 86400";
    fn from_arg(text: &str) -> Option<Duration> {
        let seconds: f64 = text.trim().parse().ok()?;
        (seconds > 0.0 && seconds <= 86_400.0).then(|| Duration::from_secs_f64(seconds))
    }
}

/// `--python-version`.
impl FromArg for PythonVersion {
    const EXPECTED: &'static str = "a Python version such as 3.12, 3.12.1 or 312";
    fn from_arg(text: &str) -> Option<PythonVersion> {
        PythonVersion::parse(text)
    }
}

/// `-P`: a project name, normalized.
impl FromArg for PackageName {
    const EXPECTED: &'static str = "a project name";
    fn from_arg(text: &str) -> Option<PackageName> {
        PackageName::new(text).ok()
    }
}

/// What `curd` was asked to do.
#[derive(Debug)]
pub enum Command {
    Install(InstallArgs),
    Wheel(InstallArgs),
    Uninstall(UninstallArgs),
    Freeze(FreezeArgs),
    List(ListArgs),
    Show(ShowArgs),
    Check(CheckArgs),
    /// `curd server`: the arguments after it, for the server's own table.
    Server(Vec<OsString>),
}

static CURD: Program = Program {
    name: "curd",
    about: "Install Python packages from cache servers and package indexes, or serve a cache.",
    commands: &[
        (
            "install",
            "install packages: from curd cache servers first, then package indexes",
        ),
        (
            "wheel",
            "build every wheel a requirement set needs into a folder, installing nothing",
        ),
        ("uninstall", "remove installed packages"),
        ("freeze", "list installed packages as `name==version`"),
        ("list", "list installed packages in columns, or as JSON"),
        ("show", "show what an installed package says of itself"),
        (
            "check",
            "verify that installed packages have the dependencies they require",
        ),
        (
            "server",
            "serve a folder of wheels to pip, uv, twine and curd",
        ),
    ],
};

static REQUIREMENTS: Flag = Flag::option(
    "requirements",
    "FILE",
    "the requirements in this file (repeatable)",
)
.short('r')
.repeatable();
static INDEX: Flag = Flag::option(
    "index",
    "URL",
    "package index, PEP 503 or 691 (repeatable; replaces the default, PyPI); also $CURD_INDEX_URL, $PIP_INDEX_URL, $UV_DEFAULT_INDEX",
)
.short('i')
.aliases(&["index-url", "default-index"])
.repeatable();
static EXTRA_INDEX_URL: Flag = Flag::option(
    "extra-index-url",
    "URL",
    "package index asked after the main one (repeatable); also $PIP_EXTRA_INDEX_URL, $UV_INDEX",
)
.repeatable();
static NO_CONFIG: Flag = Flag::switch(
    "no-config",
    "read no curd.toml (/etc/curd, ~/.config/curd, $CURD_CONFIG_FILE)",
);
static CURDLING_INDEX: Flag = Flag::option(
    "curdling-index",
    "URL",
    "curd cache server, asked before any index (repeatable); also $CURD_CACHE_URL",
)
.short('c')
.repeatable();
static UPLOAD: Flag = Flag::switch(
    "upload",
    "upload every wheel the cache servers lacked to the first of them",
)
.short('u');
static UPLOAD_REQUIRED: Flag = Flag::switch(
    "upload-required",
    "upload as -u does, and fail the run (once installed) if any wheel was not uploaded",
);
static FORCE: Flag = Flag::switch("force", "reinstall even what is already installed").short('f');
static FIND_LINKS: Flag = Flag::option(
    "find-links",
    "DIR",
    "a folder (or page) of wheels and sdists, for machines with no index (repeatable); also $PIP_FIND_LINKS",
)
.repeatable();
static NO_INDEX: Flag = Flag::switch(
    "no-index",
    "ask no index, only cache servers and --find-links; also $PIP_NO_INDEX",
);
static PRE: Flag = Flag::switch("pre", "allow pre-releases everywhere");
static COMPILE: Flag = Flag::switch("compile", "write .pyc files for what is installed");
static QUIET: Flag = Flag::switch("quiet", "print nothing but errors").short('q');
static LOG_LEVEL: Flag = Flag::option(
    "log-level",
    "LEVEL",
    "how much to say: error, warn, info (default) or debug",
)
.short('l');
static PYTHON: Flag = Flag::option(
    "python",
    "PATH",
    "the Python environment (default: $VIRTUAL_ENV, then .venv, then python3)",
)
.short('p');
static SYSTEM: Flag = Flag::switch("system", "allow a Python that is not a virtual environment");
static DRY_RUN: Flag = Flag::switch("dry-run", "say what would be installed, and change nothing");
static JOBS: Flag = Flag::option(
    "jobs",
    "N",
    "downloads, builds and installs at once (default: 8)",
)
.short('j');
static CACHE_DIR: Flag = Flag::option(
    "cache-dir",
    "DIR",
    "the local cache (default: $XDG_CACHE_HOME/curd or ~/.cache/curd)",
);
static LINK_MODE: Flag = Flag::option(
    "link-mode",
    "MODE",
    "how files reach the environment from the cache: hardlink (default) or copy",
);
static CERT: Flag = Flag::option(
    "cert",
    "FILE",
    "a PEM bundle of certificate authorities to trust instead of the system's",
);
static TIMEOUT: Flag = Flag::option(
    "timeout",
    "SECONDS",
    "the longest wait for a package index at each step: lookup, connection, each read (default: 15); also $CURD_TIMEOUT",
);
static RETRIES: Flag = Flag::option(
    "retries",
    "N",
    "attempts after the first when a package index fails in a way that may pass (default: 4); also $CURD_RETRIES",
);
static NO_BUILD_ISOLATION: Flag = Flag::switch(
    "no-build-isolation",
    "build sdists with the target Python's own packages instead of a fresh environment",
);
static UPGRADE: Flag = Flag::switch(
    "upgrade",
    "upgrade the named requirements to their newest fitting versions (their dependencies only if needed)",
)
.short('U');
static UPGRADE_PACKAGE: Flag = Flag::option(
    "upgrade-package",
    "NAME",
    "upgrade this project to its newest fitting version (repeatable)",
)
.short('P')
.repeatable();
static NO_DEPS: Flag = Flag::switch("no-deps", "install what is named, none of its dependencies");
static CONSTRAINT: Flag = Flag::option(
    "constraint",
    "FILE",
    "versions to keep to, for what is installed, without installing it (repeatable)",
)
.repeatable();
static REQUIRE_HASHES: Flag = Flag::switch(
    "require-hashes",
    "every package needs a pinned version (==) and a --hash in a requirements file",
);
static ONLY_BINARY: Flag = Flag::option(
    "only-binary",
    "NAMES",
    "never build these projects' sdists: names, :all: or :none: (repeatable)",
)
.repeatable();
static NO_BINARY: Flag = Flag::option(
    "no-binary",
    "NAMES",
    "build these projects from sdists, never from wheels: names, :all: or :none: (repeatable)",
)
.repeatable();
static NO_CACHE_DIR: Flag = Flag::switch(
    "no-cache-dir",
    "keep nothing: a temporary cache, removed at the end",
);
static NO_CACHE: Flag = Flag::switch("no-cache", "--no-cache-dir, as uv spells it").short('n');
static VERBOSE: Flag = Flag::switch(
    "verbose",
    "say everything: -l debug, and what each package source answered",
)
.short('v');
static EDITABLE: Flag = Flag::option(
    "editable",
    "PATH",
    "install the project folder PATH (with [extras]) in editable mode (repeatable)",
)
.short('e')
.repeatable();
static WHEEL_DIR: Flag = Flag::option(
    "wheel-dir",
    "DIR",
    "the folder to put the wheels in (default: the current folder)",
)
.short('w');

static TARGET: Flag = Flag::option(
    "target",
    "DIR",
    "install into this folder (for PYTHONPATH) instead of the environment, as pip does",
)
.short('t');
static PREFIX: Flag = Flag::option(
    "prefix",
    "DIR",
    "install under this prefix, laid out as the interpreter's own",
);
static USER: Flag = Flag::switch(
    "user",
    "install into the user site (~/.local, or $PYTHONUSERBASE)",
);
static REPORT: Flag = Flag::option(
    "report",
    "FILE",
    "write pip's installation report (JSON) to FILE, or `-` for stdout",
);
/// Where `curd install` puts things, and what it says of them: `curd install` only.
static LOCATION: [&Flag; 4] = [&TARGET, &PREFIX, &USER, &REPORT];

static PYTHON_VERSION: Flag = Flag::option(
    "python-version",
    "X.Y",
    "fetch wheels for this Python version instead of the interpreter's",
);
static PLATFORM: Flag = Flag::option(
    "platform",
    "TAG",
    "fetch wheels for this platform (repeatable), e.g. macosx_11_0_arm64",
)
.repeatable();
static IMPLEMENTATION: Flag = Flag::option(
    "implementation",
    "IMPL",
    "fetch wheels for this Python implementation: cp, pp, py, ...",
);
static ABI: Flag = Flag::option(
    "abi",
    "ABI",
    "fetch wheels for this ABI (repeatable), e.g. cp312",
)
.repeatable();
/// Another machine's wheels: `curd wheel` only; with any, sdists are not built.
static MACHINE: [&Flag; 4] = [&PYTHON_VERSION, &PLATFORM, &IMPLEMENTATION, &ABI];

static INSTALL: [&Flag; 33] = [
    &REQUIREMENTS,
    &INDEX,
    &CURDLING_INDEX,
    &UPLOAD,
    &UPLOAD_REQUIRED,
    &FORCE,
    &FIND_LINKS,
    &NO_INDEX,
    &PRE,
    &COMPILE,
    &QUIET,
    &LOG_LEVEL,
    &PYTHON,
    &SYSTEM,
    &DRY_RUN,
    &JOBS,
    &CACHE_DIR,
    &LINK_MODE,
    &CERT,
    &TIMEOUT,
    &RETRIES,
    &NO_BUILD_ISOLATION,
    &UPGRADE,
    &UPGRADE_PACKAGE,
    &NO_DEPS,
    &CONSTRAINT,
    &REQUIRE_HASHES,
    &ONLY_BINARY,
    &NO_BINARY,
    &NO_CACHE_DIR,
    &NO_CACHE,
    &VERBOSE,
    &EDITABLE,
];

/// The install flags `curd wheel` lacks: `-f`, `--system`, `--link-mode`,
/// `--compile`, `-U` and `-P` are about an environment, which its folder is not; `-l`
/// and `--dry-run` it has never taken; `-e` points an environment at a folder.
static NOT_FOR_WHEEL: [&Flag; 9] = [
    &FORCE,
    &COMPILE,
    &LOG_LEVEL,
    &SYSTEM,
    &DRY_RUN,
    &LINK_MODE,
    &UPGRADE,
    &UPGRADE_PACKAGE,
    &EDITABLE,
];

static FORMAT: Flag = Flag::option(
    "format",
    "FORMAT",
    "columns (default), freeze (`name==version`) or json",
);
static FILES: Flag = Flag::switch("files", "list the files each package installed").short('f');

/// Reads `curd`'s arguments (without the program's name), the command line alone.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, Stop> {
    parse_with(args, &|_, _| Ok(()))
}

/// Each command's table, by the name typed after `curd`; every name
/// [`configurable`] lists has one.
pub fn table(name: &str) -> Table {
    let packages = || Operand {
        name: "REQUIREMENT",
        help: "requirements, as pip takes them: `flask>=2`, `requests[socks]`",
        many: true,
    };
    let mut table = match name {
        "wheel" => {
            let wanted = |f: &&Flag| !NOT_FOR_WHEEL.iter().any(|n| std::ptr::eq(*f, *n));
            let flags = INSTALL.iter().copied().filter(wanted);
            Table {
                name: "curd wheel",
                about: "Resolve, fetch and build every wheel a requirement set needs into a folder, \
                        without installing: the way to fill a curd-server folder for an air-gapped \
                        network.",
                flags: std::iter::once(&WHEEL_DIR)
                    .chain(flags)
                    .chain(MACHINE)
                    .collect(),
                operand: Some(packages()),
            }
        }
        "uninstall" => Table {
            name: "curd uninstall",
            about: "Remove installed packages.",
            flags: vec![&REQUIREMENTS, &PYTHON, &SYSTEM, &QUIET],
            operand: Some(Operand {
                name: "NAME",
                help: "the projects to remove",
                many: true,
            }),
        },
        "freeze" => Table {
            name: "curd freeze",
            about: "List installed packages as `name==version`, as `pip freeze` does.",
            flags: vec![&PYTHON],
            operand: None,
        },
        "list" => Table {
            name: "curd list",
            about: "List installed packages, as `pip list` does.",
            flags: vec![&FORMAT, &PYTHON],
            operand: None,
        },
        "show" => Table {
            name: "curd show",
            about: "Show what installed packages say of themselves, as `pip show` does.",
            flags: vec![&FILES, &PYTHON],
            operand: Some(Operand {
                name: "NAME",
                help: "the projects to show",
                many: true,
            }),
        },
        "check" => Table {
            name: "curd check",
            about: "Verify that every installed package has the dependencies it requires, \
                    in versions it accepts, as `pip check` does; exit 1 if not.",
            flags: vec![&PYTHON],
            operand: None,
        },
        // "install": the program dispatches to the commands it lists, and no other.
        _ => Table {
            name: "curd install",
            about: "Install packages: from curd cache servers first, then package indexes.",
            flags: INSTALL.iter().chain(&LOCATION).copied().collect(),
            operand: Some(packages()),
        },
    };
    // Extra indexes come with the index flag, wherever a command has it.
    if let Some(at) = table.flags.iter().position(|f| std::ptr::eq(*f, &INDEX)) {
        table.flags.insert(at + 1, &EXTRA_INDEX_URL);
    }
    table.flags.push(&NO_CONFIG);
    table
}

/// The commands a configuration file may set flags of (all but `server`, which
/// has its own), with their tables.
pub fn configurable() -> Vec<(&'static str, Table)> {
    let names = CURD.commands.iter().map(|(name, _)| *name);
    names
        .filter(|name| *name != "server")
        .map(|name| (name, table(name)))
        .collect()
}

/// Reads `curd`'s arguments (without the program's name); `layers` adds to what the
/// command line gave the values of lower layers (environment, configuration
/// files), given the command's name.
pub fn parse_with(
    args: impl IntoIterator<Item = OsString>,
    layers: &dyn Fn(&mut Matches, &str) -> Result<(), Stop>,
) -> Result<Command, Stop> {
    let (name, rest) = CURD.dispatch(args)?;
    if name == "server" {
        return Ok(Command::Server(rest));
    }
    let mut m = table(name).parse(rest)?;
    layers(&mut m, name)?;
    Ok(match name {
        "wheel" => {
            // Every wheel is written, whatever the Python has installed; the Python only
            // names the tags, so any will do; the folder gets copies.
            Command::Wheel(InstallArgs {
                force: true,
                system: true,
                link_mode: LinkMode::Copy,
                wheel_dir: Some(m.value(&WHEEL_DIR)?.unwrap_or_else(|| PathBuf::from("."))),
                ..install(&m)?
            })
        }
        "uninstall" => Command::Uninstall(UninstallArgs {
            requirements: m.values(&REQUIREMENTS)?,
            python: m.value(&PYTHON)?,
            system: m.switch(&SYSTEM),
            quiet: m.switch(&QUIET),
            names: m.operands()?,
        }),
        "freeze" => Command::Freeze(FreezeArgs {
            python: m.value(&PYTHON)?,
        }),
        "list" => Command::List(ListArgs {
            python: m.value(&PYTHON)?,
            format: m.value(&FORMAT)?.unwrap_or(ListFormat::Columns),
        }),
        "show" => Command::Show(ShowArgs {
            python: m.value(&PYTHON)?,
            files: m.switch(&FILES),
            names: m.operands()?,
        }),
        "check" => Command::Check(CheckArgs {
            python: m.value(&PYTHON)?,
        }),
        _ => Command::Install(install(&m)?),
    })
}

/// The install flags as given; those a command lacks read as not given.
fn install(m: &Matches) -> Result<InstallArgs, Stop> {
    Ok(InstallArgs {
        requirements: m.values(&REQUIREMENTS)?,
        index: m.values(&INDEX)?,
        index_configured: m.origin(&INDEX).is_some_and(|o| *o != Origin::CommandLine),
        extra_index: m.values(&EXTRA_INDEX_URL)?,
        curdling_index: m.values(&CURDLING_INDEX)?,
        upload: m.switch(&UPLOAD),
        upload_required: m.switch(&UPLOAD_REQUIRED),
        force: m.switch(&FORCE),
        find_links: m.values(&FIND_LINKS)?,
        no_index: m.switch(&NO_INDEX),
        pre: m.switch(&PRE),
        compile: m.switch(&COMPILE),
        quiet: m.switch(&QUIET),
        log_level: match m.switch(&VERBOSE) {
            true => Level::Debug,
            false => m.value(&LOG_LEVEL)?.unwrap_or(Level::Info),
        },
        python: m.value(&PYTHON)?,
        system: m.switch(&SYSTEM),
        dry_run: m.switch(&DRY_RUN),
        jobs: m.value(&JOBS)?.unwrap_or(8),
        cache_dir: m.value(&CACHE_DIR)?,
        link_mode: m.value(&LINK_MODE)?.unwrap_or(LinkMode::Hardlink),
        cert: m.value(&CERT)?,
        timeout: m.value(&TIMEOUT)?,
        retries: m.value(&RETRIES)?,
        no_build_isolation: m.switch(&NO_BUILD_ISOLATION),
        upgrade: m.switch(&UPGRADE),
        upgrade_packages: m.values(&UPGRADE_PACKAGE)?,
        no_deps: m.switch(&NO_DEPS),
        constraints: m.values(&CONSTRAINT)?,
        require_hashes: m.switch(&REQUIRE_HASHES),
        formats: m
            .interleaved(&[&ONLY_BINARY, &NO_BINARY])?
            .into_iter()
            .map(|(flag, value)| match std::ptr::eq(flag, &ONLY_BINARY) {
                true => (Format::OnlyBinary, value),
                false => (Format::NoBinary, value),
            })
            .collect(),
        no_cache: m.switch(&NO_CACHE_DIR) || m.switch(&NO_CACHE),
        wheel_dir: None,
        packages: m.operands()?,
        target: m.value(&TARGET)?,
        prefix: m.value(&PREFIX)?,
        user: m.switch(&USER),
        report: m.value(&REPORT)?,
        machine: Machine {
            python_version: m.value(&PYTHON_VERSION)?,
            platforms: m.values(&PLATFORM)?,
            implementation: m.value(&IMPLEMENTATION)?,
            abis: m.values(&ABI)?,
        },
        editable: m.values(&EDITABLE)?,
    })
}

#[cfg(test)]
mod tests;

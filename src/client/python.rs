//! The target interpreter: runs Python once to learn what an install needs.
//!
//! Which wheels fit, where files go and how markers evaluate are all facts about
//! the interpreter being installed into, not about the machine curd runs on, so
//! curd asks that interpreter. It runs one small embedded script that computes
//! everything the way today's `packaging` does (tags, marker environment)
//! without importing anything outside the standard library, and writes a JSON
//! answer to a file named on its command line: stdout is left to whatever a
//! `sitecustomize` prints, stderr is kept to show when it fails.
//!
//! Starting Python costs tens of milliseconds, so the answer is cached under the
//! cache folder, keyed by the interpreter's path and checked against the real
//! file's size and modification time and the venv's `pyvenv.cfg`: a second run
//! does not start Python, nor does a run in a new venv made like one met before
//! (`family.rs`).

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::UNIX_EPOCH;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::client::schemes::{BASE, InstallPaths, Schemes};
use crate::standards::tags::{Platform, Tag, Target};
use crate::util::fs::{Context, FsError, TempFile, write_unsynced};
use family::Family;
use platform::{PlatformFacts, parse_glibc, parse_musl};

/// Where a virtual environment keeps its interpreter.
const VENV_PYTHON: &str = if cfg!(windows) {
    "Scripts/python.exe"
} else {
    "bin/python"
};

/// The marker names PEP 508 defines, all of which the answer must carry.
const MARKER_NAMES: [&str; 11] = [
    "implementation_name",
    "implementation_version",
    "os_name",
    "platform_machine",
    "platform_python_implementation",
    "platform_release",
    "platform_system",
    "platform_version",
    "python_full_version",
    "python_version",
    "sys_platform",
];

/// The question put to the interpreter. It runs under `-I` (isolated: no current
/// folder or `PYTHONPATH` on `sys.path`, so no local `json.py` can answer instead),
/// on any Python from 3.5 on, and follows today's packaging function by function.
const SCRIPT: &str = r#"
import json, os, platform, struct, subprocess, sys, sysconfig


def config_var(name):
    return sysconfig.get_config_var(name)


def full_version(info):
    # packaging.markers.format_full_version
    version = "{0.major}.{0.minor}.{0.micro}".format(info)
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version


def cpython_abis():
    # packaging.tags._cpython_abis, with the free-threading flag of later releases
    from importlib.machinery import EXTENSION_SUFFIXES
    py = sys.version_info[:2]
    version = "%d%d" % py
    threading = debug = pymalloc = ""
    if py >= (3, 13) and config_var("Py_GIL_DISABLED"):
        threading = "t"
    with_debug = config_var("Py_DEBUG")
    has_refcount = hasattr(sys, "gettotalrefcount")
    has_ext = "_d.pyd" in EXTENSION_SUFFIXES
    if with_debug or (with_debug is None and (has_refcount or has_ext)):
        debug = "d"
    abis = []
    if py < (3, 8):
        with_pymalloc = config_var("WITH_PYMALLOC")
        if with_pymalloc or with_pymalloc is None:
            pymalloc = "m"
    elif debug:
        abis.append("cp" + version + threading)
    abis.insert(0, "cp" + version + threading + debug + pymalloc)
    return abis


def generic_abis():
    # packaging.tags._generic_abi: the ABI part of EXT_SUFFIX
    ext_suffix = config_var("EXT_SUFFIX")
    if not isinstance(ext_suffix, str) or not ext_suffix.startswith("."):
        return []
    parts = ext_suffix.split(".")
    if len(parts) < 3:
        return cpython_abis()
    soabi = parts[1]
    if soabi.startswith("cpython"):
        words = soabi.split("-")
        if len(words) < 2 or not words[1]:
            return []
        abi = "cp" + words[1]
    elif soabi.startswith("cp"):
        abi = soabi.split("-")[0]
    elif soabi.startswith("pypy"):
        abi = "-".join(soabi.split("-")[:2])
    elif soabi.startswith("graalpy"):
        abi = "-".join(soabi.split("-")[:3])
    elif soabi:
        abi = soabi
    else:
        return []
    return [abi.replace(".", "_").replace("-", "_")]


def glibc():
    # packaging._manylinux._glibc_version_string
    try:
        _, version = os.confstr("CS_GNU_LIBC_VERSION").split()
        if version:
            return version
    except (AttributeError, OSError, ValueError):
        pass
    try:
        import ctypes
        get_version = ctypes.CDLL(None).gnu_get_libc_version
    except (ImportError, OSError, AttributeError, TypeError):
        return None
    get_version.restype = ctypes.c_char_p
    version = get_version()
    if not isinstance(version, str):
        version = version.decode("ascii", "replace")
    return version


def executable_head():
    try:
        with open(sys.executable, "rb") as f:
            return f.read(64)
    except (OSError, TypeError):
        return b""


def elf_abi(head):
    # packaging._manylinux._is_linux_armhf and _is_linux_i686
    if len(head) < 16 or head[:4] != b"\x7fELF" or head[4] != 1 or head[5] != 1:
        return False, False
    if len(head) < 52:
        return False, False
    machine, = struct.unpack("<H", head[18:20])
    flags, = struct.unpack("<I", head[36:40])
    armhf = (machine == 40 and flags & 0xFF000000 == 0x05000000
             and flags & 0x00000400 == 0x00000400)
    return armhf, machine == 3


def musl_loader(f):
    # packaging._musllinux._parse_ld_musl_from_elf
    def unpack(fmt):
        return struct.unpack(fmt, f.read(struct.calcsize(fmt)))
    try:
        ident = unpack("16B")
        if ident[:4] != tuple(b"\x7fELF"):
            return None
        f.seek(struct.calcsize("HHI"), 1)
        e_fmt, p_fmt, p_idx = {
            1: ("IIIIHHH", "IIIIIIII", (0, 1, 4)),
            2: ("QQQIHHH", "IIQQQQQQ", (0, 2, 5)),
        }[ident[4]]
        _, e_phoff, _, _, _, e_phentsize, e_phnum = unpack(e_fmt)
        for i in range(e_phnum + 1):
            f.seek(e_phoff + e_phentsize * i)
            header = unpack(p_fmt)
            if header[p_idx[0]] != 3:
                continue
            f.seek(header[p_idx[1]])
            interpreter = os.fsdecode(f.read(header[p_idx[2]])).strip("\0")
            return interpreter if "musl" in interpreter else None
    except (KeyError, OSError, ValueError, struct.error):
        return None
    return None


def musl_loader_output():
    # packaging._musllinux._get_musl_version, up to parsing the loader's words
    try:
        with open(sys.executable, "rb") as f:
            ld = musl_loader(f)
        if not ld:
            return None
        return subprocess.run([ld], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, universal_newlines=True).stderr
    except (OSError, TypeError, ValueError):
        return None


def scheme_paths(key, fallback, variables):
    # pip._internal.locations._sysconfig.get_scheme, with the base a placeholder
    preferred = getattr(sysconfig, "get_preferred_scheme", None)
    try:
        name = preferred(key) if preferred else fallback
        if key == "prefix" and name == "osx_framework_library":
            name = "posix_prefix"
        paths = sysconfig.get_paths(name, vars=variables)
    except (AttributeError, KeyError, ValueError):
        return None
    return dict((k, paths.get(k)) for k in ("purelib", "platlib", "scripts", "data", "include"))


def schemes(base):
    posix = os.name == "posix"
    home = dict((k, base) for k in ("installed_base", "base", "installed_platbase",
                                     "platbase", "prefix", "exec_prefix"))
    return {
        "home": scheme_paths("home", "posix_home" if posix else "nt", home),
        "prefix": scheme_paths("prefix", "posix_prefix" if posix else "nt", home),
        "user": scheme_paths("user", "posix_user" if posix else "nt_user", {"userbase": base}),
    }


def main():
    impl = sys.implementation
    system = platform.system()
    markers = {
        # packaging.markers.default_environment
        "implementation_name": impl.name,
        "implementation_version": full_version(impl.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": system,
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }
    paths = sysconfig.get_paths()
    linux = system == "Linux"
    armhf, i686 = elf_abi(executable_head()) if linux else (False, False)
    mac_release, _, mac_machine = platform.mac_ver()
    answer = {
        "executable": sys.executable or None,
        "version_info": list(sys.version_info[:2]),
        "markers": markers,
        "paths": dict((k, paths.get(k)) for k in ("purelib", "platlib", "scripts", "data", "include")),
        "schemes": schemes(sys.argv[2]),
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "real_prefix", None) or getattr(sys, "base_prefix", sys.prefix),
        "abis": cpython_abis() if impl.name == "cpython" else generic_abis(),
        "soabi": config_var("SOABI"),
        "cache_tag": impl.cache_tag,
        "ext_suffix": config_var("EXT_SUFFIX"),
        "sysconfig_platform": sysconfig.get_platform(),
        "mac_ver": [mac_release, mac_machine],
        "is_64bit": sys.maxsize > 2 ** 32,
        "glibc": glibc() if linux else None,
        "musl": musl_loader_output() if linux else None,
        "elf_armhf": armhf,
        "elf_i686": i686,
    }
    with open(sys.argv[1], "w") as f:
        json.dump(answer, f)


main()
"#;

/// Why the target interpreter could not be found or asked.
#[derive(Debug)]
pub enum PythonError {
    /// Nothing given, no virtual environment, no `python3`.
    NotFound { cwd: PathBuf },
    /// `--python` named a path that does not exist.
    NoSuchPath { path: PathBuf },
    /// `--python` named a command that is not on `PATH`.
    NotOnPath { name: String },
    /// `$VIRTUAL_ENV` points at a folder without an interpreter (deleted or moved).
    StaleVirtualEnv { venv: PathBuf },
    /// The interpreter could not be started.
    Spawn {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The interpreter ran the script and failed; `stderr` is what it said.
    Failed {
        path: PathBuf,
        status: ExitStatus,
        stderr: String,
    },
    /// The interpreter answered something curd cannot use.
    BadAnswer { path: PathBuf, reason: AnswerError },
    /// The cache folder, which also holds the answer file, is not usable.
    Cache(FsError),
}

impl fmt::Display for PythonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PythonError::NotFound { cwd } => write!(
                f,
                "no Python found: tried --python (not given), $VIRTUAL_ENV (not set), \
                 .venv in `{}` and its parents, python3 on PATH\n\
                 hint: create one with `python3 -m venv .venv`, or pass --python PATH",
                cwd.display()
            ),
            PythonError::NoSuchPath { path } => write!(
                f,
                "no Python at `{}`: no such file or folder\n\
                 hint: --python takes an interpreter, a virtual environment's folder, or a command on PATH",
                path.display()
            ),
            PythonError::NotOnPath { name } => write!(
                f,
                "no Python `{name}` on PATH\n\
                 hint: --python takes an interpreter, a virtual environment's folder, or a command on PATH"
            ),
            PythonError::StaleVirtualEnv { venv } => write!(
                f,
                "$VIRTUAL_ENV is `{}`, which has no `{VENV_PYTHON}`\n\
                 hint: recreate it with `python3 -m venv {}`, or leave it with `deactivate`",
                venv.display(),
                venv.display()
            ),
            PythonError::Spawn { path, source } => {
                write!(f, "cannot run `{}`: {source}", path.display())
            }
            PythonError::Failed {
                path,
                status,
                stderr,
            } => {
                write!(
                    f,
                    "`{}` failed ({status}) when asked about itself",
                    path.display()
                )?;
                if !stderr.trim().is_empty() {
                    f.write_str(", saying:")?;
                    for line in stderr.trim_end().lines() {
                        write!(f, "\n  | {line}")?;
                    }
                }
                // Python 2 stops at the first option the script is run with.
                if stderr.contains("Unknown option: -I") {
                    f.write_str("\nhint: curd needs Python 3.5 or newer")?;
                }
                Ok(())
            }
            PythonError::BadAnswer { path, reason } => write!(
                f,
                "`{}` gave an answer curd cannot use: {reason}",
                path.display()
            ),
            PythonError::Cache(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for PythonError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PythonError::Spawn { source, .. } => Some(source),
            PythonError::Cache(e) => Some(e),
            _ => None,
        }
    }
}

/// What is wrong with an interpreter's answer.
#[derive(Debug)]
pub enum AnswerError {
    /// The answer file could not be read.
    Read(std::io::Error),
    /// The answer is not JSON.
    NotJson(serde_json::Error),
    /// A key is missing.
    Missing(String),
    /// A key holds a value of the wrong shape: `is` says what it is instead.
    Shape { key: String, is: &'static str },
    /// A list holds an item of the wrong kind.
    Holds { key: &'static str, what: String },
    /// The answer as a whole is not a JSON object.
    NotObject,
    /// A fault inside one section of the answer.
    Within {
        section: &'static str,
        inner: Box<AnswerError>,
    },
}

impl fmt::Display for AnswerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnswerError::Read(e) => write!(f, "cannot read its answer: {e}"),
            AnswerError::NotJson(e) => write!(f, "its answer is not JSON: {e}"),
            AnswerError::Missing(key) => write!(f, "no `{key}`"),
            AnswerError::Shape { key, is } => write!(f, "`{key}` is {is}"),
            AnswerError::Holds { key, what } => write!(f, "`{key}` holds {what}"),
            AnswerError::NotObject => f.write_str("the answer is not an object"),
            AnswerError::Within { section, inner } => write!(f, "`{section}`: {inner}"),
        }
    }
}

impl std::error::Error for AnswerError {}

impl From<FsError> for PythonError {
    fn from(e: FsError) -> Self {
        PythonError::Cache(e)
    }
}

/// Finds the interpreter to install into: `explicit` (`--python`), else the active
/// virtual environment (`$VIRTUAL_ENV`), else a `.venv` in the current folder or
/// a parent, else `python3` on `PATH`. Installing into a venv is what a user who
/// has one expects; the system Python comes last.
pub fn find(discovery: &Discovery) -> Result<PathBuf, PythonError> {
    let cwd = std::env::current_dir().context("read the current folder", Path::new("."))?;
    find_in(
        discovery.explicit.as_deref(),
        discovery.virtual_env.as_deref(),
        &cwd,
        discovery.path.as_deref(),
    )
}

/// What decides which interpreter a command works on: `--python`, and the
/// environment's `$VIRTUAL_ENV` and `$PATH` as the command line's settings read them.
#[derive(Clone, Debug, Default)]
pub struct Discovery {
    pub explicit: Option<PathBuf>,
    pub virtual_env: Option<OsString>,
    pub path: Option<OsString>,
}

fn find_in(
    explicit: Option<&Path>,
    virtual_env: Option<&OsStr>,
    cwd: &Path,
    path_var: Option<&OsStr>,
) -> Result<PathBuf, PythonError> {
    if let Some(explicit) = explicit {
        let path = cwd.join(explicit);
        if path.is_dir() {
            let python = path.join(VENV_PYTHON);
            return if python.is_file() {
                Ok(python)
            } else {
                Err(PythonError::NoSuchPath { path: python })
            };
        }
        if path.exists() {
            return Ok(path);
        }
        // A bare name (`python3.12`) is a command, as in a shell.
        if explicit.components().count() == 1 && !explicit.is_absolute() {
            let name = explicit.to_string_lossy().into_owned();
            return on_path(&name, path_var).ok_or(PythonError::NotOnPath { name });
        }
        return Err(PythonError::NoSuchPath { path });
    }
    if let Some(venv) = virtual_env.filter(|v| !v.is_empty()) {
        let venv = cwd.join(venv);
        let python = venv.join(VENV_PYTHON);
        // A stale $VIRTUAL_ENV is an error, not a reason to fall back: installing
        // into the system Python instead of the venv the shell shows is worse.
        return if python.is_file() {
            Ok(python)
        } else {
            Err(PythonError::StaleVirtualEnv { venv })
        };
    }
    for dir in cwd.ancestors() {
        let python = dir.join(".venv").join(VENV_PYTHON);
        if python.is_file() {
            return Ok(python);
        }
    }
    on_path("python3", path_var).ok_or_else(|| PythonError::NotFound {
        cwd: cwd.to_path_buf(),
    })
}

/// The first executable `name` in the folders of `PATH`, as a shell would run it.
fn on_path(name: &str, path_var: Option<&OsStr>) -> Option<PathBuf> {
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    std::env::split_paths(path_var?)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(&file))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// What curd knows about the interpreter it installs into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interpreter {
    /// The path curd runs, absolute but with symlinks kept: a venv's `bin/python`
    /// links to the base interpreter, yet running it through the link is what makes
    /// it the venv's.
    pub path: PathBuf,
    /// `sys.executable`: where `path` leads once launchers (pyenv shims) have run.
    pub executable: PathBuf,
    /// The language version as (major, minor), for tags and `Requires-Python`.
    pub python_version: (u32, u32),
    /// `platform.python_version()`, such as `3.11.7`.
    pub python_full_version: String,
    /// `sys.implementation.name`: `cpython`, `pypy`, ...
    pub implementation_name: String,
    /// `sys.implementation.version` in marker form, such as `7.3.15` for PyPy.
    pub implementation_version: String,
    pub paths: InstallPaths,
    /// The schemes of `--target`, `--prefix` and `--user`.
    pub schemes: Schemes,
    /// `sys.prefix`.
    pub prefix: PathBuf,
    /// `sys.base_prefix` (or a legacy virtualenv's `sys.real_prefix`): the same as
    /// `prefix` unless this is a virtual environment.
    pub base_prefix: PathBuf,
    /// The interpreter's ABI tags, as packaging computes them (see [`Target::abis`]).
    pub abis: Vec<String>,
    /// `sysconfig.get_config_var("SOABI")`, such as `cpython-311-x86_64-linux-gnu`.
    pub soabi: Option<String>,
    /// `sys.implementation.cache_tag` (`cpython-311`), which names bytecode files;
    /// `None` where bytecode is not cached.
    pub cache_tag: Option<String>,
    /// `sysconfig.get_config_var("EXT_SUFFIX")`: the file name ending of the
    /// extension modules this interpreter loads.
    pub ext_suffix: Option<String>,
    /// `sysconfig.get_platform()`, such as `linux-x86_64` or `macosx-11.0-arm64`.
    pub sysconfig_platform: String,
    /// `sys.maxsize > 2**32`: a 32-bit interpreter on a 64-bit machine needs 32-bit wheels.
    pub is_64bit: bool,
    /// The glibc version, on Linux with glibc.
    pub glibc: Option<(u32, u32)>,
    /// The musl version, on Linux with musl.
    pub musl: Option<(u32, u32)>,
    /// The platform as tags see it, worked out from the facts above as packaging does.
    pub platform: Platform,
    /// Whether this answer came from the cache rather than from running Python.
    pub from_cache: bool,
    markers: BTreeMap<String, String>,
}

impl Interpreter {
    /// Asks the interpreter at `path` about itself, or reads the answer it gave
    /// before from `cache_dir/interpreters/` if the file has not changed since.
    /// Launcher scripts (`#!`, such as pyenv shims) are always asked: which Python
    /// they start can change while they stay the same.
    pub fn query(path: &Path, cache_dir: &Path) -> Result<Interpreter, PythonError> {
        let path = std::path::absolute(path).context("resolve", path)?;
        if !path.exists() {
            return Err(PythonError::NoSuchPath { path });
        }
        // The cache is a convenience: with no writable cache folder (a read-only
        // HOME) the interpreter is asked every time instead.
        let dir = cache_dir.join("interpreters");
        let cacheable = std::fs::create_dir_all(&dir).is_ok();
        let work = if cacheable {
            dir.clone()
        } else {
            std::env::temp_dir()
        };
        let cache_file = dir.join(format!(
            "{}.json",
            crate::util::digest::hex(&Sha256::digest(path.as_os_str().as_encoded_bytes()))
        ));
        let script_hash = crate::util::digest::hex(&Sha256::digest(SCRIPT.as_bytes()));
        let stamp = stamp(&path);
        if let Some(stamp) = &stamp
            && let Some(cached) = read_cache(&cache_file, &path, &script_hash, stamp)
        {
            return Ok(cached);
        }
        let family = match (&stamp, cacheable) {
            (Some(_), true) => Family::of(&path, &dir, &script_hash),
            _ => None,
        };
        if let Some(found) = family.as_ref().and_then(|family| family.read(&path)) {
            return Ok(found);
        }
        let answer = ask(&path, &work)?;
        let interpreter = Interpreter::from_answer(&path, &answer, false).map_err(|reason| {
            PythonError::BadAnswer {
                path: path.clone(),
                reason,
            }
        })?;
        if let Some(family) = family {
            family.keep(&answer, &interpreter);
        }
        if let (Some(stamp), true) = (stamp, cacheable) {
            let entry = json!({
                "script": script_hash,
                "path": path.to_string_lossy(),
                "stamp": stamp,
                "answer": answer,
            });
            write_unsynced(&cache_file, entry.to_string().as_bytes())?;
        }
        Ok(interpreter)
    }

    /// Whether this is a virtual environment (`sys.prefix != sys.base_prefix`).
    pub fn is_virtualenv(&self) -> bool {
        self.prefix != self.base_prefix
    }

    /// The PEP 508 marker environment, by marker name (as
    /// `packaging.markers.default_environment()` builds it).
    pub fn markers(&self) -> &BTreeMap<String, String> {
        &self.markers
    }

    /// What tags need to know about this interpreter.
    pub fn target(&self) -> Target {
        Target {
            implementation: self.implementation_name.clone(),
            python_version: self.python_version,
            abis: self.abis.clone(),
            platform: self.platform.clone(),
        }
    }

    /// Every wheel tag this interpreter accepts, best first.
    pub fn tags(&self) -> Vec<Tag> {
        self.target().tags()
    }

    fn from_answer(
        path: &Path,
        answer: &Value,
        from_cache: bool,
    ) -> Result<Interpreter, AnswerError> {
        let shape = |key: &str, is| AnswerError::Shape {
            key: key.to_string(),
            is,
        };
        let version_info = field(answer, "version_info")?
            .as_array()
            .filter(|v| v.len() == 2)
            .ok_or_else(|| shape("version_info", "not a pair"))?;
        let number = |v: &Value| {
            v.as_u64()
                .filter(|n| *n < 1000)
                .map(|n| n as u32)
                .ok_or_else(|| AnswerError::Holds {
                    key: "version_info",
                    what: format!("{v}, not a version number"),
                })
        };
        let python_version = (number(&version_info[0])?, number(&version_info[1])?);

        let marker_map = field(answer, "markers")?
            .as_object()
            .ok_or_else(|| shape("markers", "not an object"))?;
        let mut markers = BTreeMap::new();
        for name in MARKER_NAMES {
            let value = text(marker_map, name).map_err(|inner| AnswerError::Within {
                section: "markers",
                inner: Box::new(inner),
            })?;
            markers.insert(name.to_string(), value);
        }
        let system = markers["platform_system"].clone();

        let paths = field(answer, "paths")?
            .as_object()
            .ok_or_else(|| shape("paths", "not an object"))?;
        let path_of = |key| {
            text(paths, key)
                .map(PathBuf::from)
                .map_err(|inner| AnswerError::Within {
                    section: "paths",
                    inner: Box::new(inner),
                })
        };
        let paths = InstallPaths {
            purelib: path_of("purelib")?,
            platlib: path_of("platlib")?,
            scripts: path_of("scripts")?,
            data: path_of("data")?,
            include: path_of("include")?,
        };

        let answer = answer.as_object().ok_or(AnswerError::NotObject)?;
        let abis = field_of(answer, "abis")?
            .as_array()
            .ok_or_else(|| shape("abis", "not a list"))?
            .iter()
            .map(|a| {
                a.as_str()
                    .map(String::from)
                    .ok_or_else(|| AnswerError::Holds {
                        key: "abis",
                        what: "a non-string".to_string(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mac_ver = field_of(answer, "mac_ver")?
            .as_array()
            .filter(|v| v.len() == 2)
            .ok_or_else(|| shape("mac_ver", "not a pair"))?;
        let mac_text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let facts = PlatformFacts {
            system: &system,
            sysconfig_platform: &text(answer, "sysconfig_platform")?,
            mac_release: &mac_text(&mac_ver[0]),
            mac_machine: &mac_text(&mac_ver[1]),
            is_64bit: flag(answer, "is_64bit")?,
            glibc: optional_text(answer, "glibc")?.and_then(|g| parse_glibc(&g)),
            musl: optional_text(answer, "musl")?.and_then(|m| parse_musl(&m)),
            elf_armhf: flag(answer, "elf_armhf")?,
            elf_i686: flag(answer, "elf_i686")?,
        };
        Ok(Interpreter {
            path: path.to_path_buf(),
            executable: optional_text(answer, "executable")?
                .map_or_else(|| path.to_path_buf(), PathBuf::from),
            python_version,
            python_full_version: markers["python_full_version"].clone(),
            implementation_name: markers["implementation_name"].clone(),
            implementation_version: markers["implementation_version"].clone(),
            paths,
            schemes: match answer.get("schemes") {
                Some(value) => schemes(value)?,
                None => Schemes::default(),
            },
            prefix: text(answer, "prefix")?.into(),
            base_prefix: text(answer, "base_prefix")?.into(),
            abis,
            soabi: optional_text(answer, "soabi")?,
            cache_tag: optional_text(answer, "cache_tag")?,
            ext_suffix: optional_text(answer, "ext_suffix")?,
            sysconfig_platform: facts.sysconfig_platform.to_string(),
            is_64bit: facts.is_64bit,
            glibc: facts.glibc,
            musl: facts.musl,
            platform: facts.platform(),
            from_cache,
            markers,
        })
    }
}

/// The answer's `schemes`, refusing a path outside the placeholder base.
fn schemes(value: &Value) -> Result<Schemes, AnswerError> {
    let map = value
        .as_object()
        .ok_or_else(|| wrong("schemes", "not an object"))?;
    let one = |key: &str| -> Result<Option<InstallPaths>, AnswerError> {
        let paths = match map.get(key) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Object(paths)) => paths,
            Some(_) => return Err(wrong(key, "neither an object nor null")),
        };
        let path = |name: &str| -> Result<PathBuf, AnswerError> {
            let path = PathBuf::from(text(paths, name)?);
            if !path.starts_with(BASE) {
                return Err(AnswerError::Holds {
                    key: "schemes",
                    what: format!(
                        "`{}` for {key}.{name}, outside the scheme's base",
                        path.display()
                    ),
                });
            }
            Ok(path)
        };
        Ok(Some(InstallPaths {
            purelib: path("purelib")?,
            platlib: path("platlib")?,
            scripts: path("scripts")?,
            data: path("data")?,
            include: path("include")?,
        }))
    };
    let within = |inner| AnswerError::Within {
        section: "schemes",
        inner: Box::new(inner),
    };
    Ok(Schemes {
        home: one("home").map_err(within)?,
        prefix: one("prefix").map_err(within)?,
        user: one("user").map_err(within)?,
    })
}

fn field<'a>(value: &'a Value, key: &str) -> Result<&'a Value, AnswerError> {
    value
        .get(key)
        .ok_or_else(|| AnswerError::Missing(key.to_string()))
}

fn field_of<'a>(map: &'a Map<String, Value>, key: &str) -> Result<&'a Value, AnswerError> {
    map.get(key)
        .ok_or_else(|| AnswerError::Missing(key.to_string()))
}

fn wrong(key: &str, is: &'static str) -> AnswerError {
    AnswerError::Shape {
        key: key.to_string(),
        is,
    }
}

fn text(map: &Map<String, Value>, key: &str) -> Result<String, AnswerError> {
    field_of(map, key)?
        .as_str()
        .map(String::from)
        .ok_or_else(|| wrong(key, "not a string"))
}

fn optional_text(map: &Map<String, Value>, key: &str) -> Result<Option<String>, AnswerError> {
    match field_of(map, key)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(wrong(key, "neither a string nor null")),
    }
}

fn flag(map: &Map<String, Value>, key: &str) -> Result<bool, AnswerError> {
    field_of(map, key)?
        .as_bool()
        .ok_or_else(|| wrong(key, "not true or false"))
}

/// Runs the script under `path`, with its answer file in `dir` (removed after).
fn ask(path: &Path, dir: &Path) -> Result<Value, PythonError> {
    let answer_file = TempFile::new_in(dir)?;
    let output = Command::new(path)
        .args(["-I", "-c", SCRIPT])
        .arg(answer_file.path())
        .arg(BASE)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|source| PythonError::Spawn {
            path: path.to_path_buf(),
            source,
        })?;
    if !output.status.success() {
        return Err(PythonError::Failed {
            path: path.to_path_buf(),
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    let bad = |reason| PythonError::BadAnswer {
        path: path.to_path_buf(),
        reason,
    };
    let text =
        std::fs::read_to_string(answer_file.path()).map_err(|e| bad(AnswerError::Read(e)))?;
    serde_json::from_str(&text).map_err(|e| bad(AnswerError::NotJson(e)))
}

/// The cached answer for `path`, if there is one made by this script for the file
/// as it is now. Anything else (missing, corrupt, stale) is no answer, and gets
/// rewritten after Python is asked again.
fn read_cache(file: &Path, path: &Path, script_hash: &str, stamp: &str) -> Option<Interpreter> {
    let text = std::fs::read_to_string(file).ok()?;
    let entry: Value = serde_json::from_str(&text).ok()?;
    let same = entry.get("script")?.as_str()? == script_hash
        && entry.get("path")?.as_str()? == path.to_string_lossy()
        && entry.get("stamp")?.as_str()? == stamp;
    if !same {
        return None;
    }
    Interpreter::from_answer(path, entry.get("answer")?, true).ok()
}

/// What must stay the same for a cached answer to hold: the interpreter file that
/// runs (its real path, size and modification time) and the `pyvenv.cfg` that makes
/// it a virtual environment. Not the link's own time: a venv made again in the same
/// place on the same Python is the same environment, and CI makes a fresh one every
/// run. `None` (never cache) for a launcher script or a file that cannot be read.
fn stamp(path: &Path) -> Option<String> {
    let mut stamp = exe_stamp(path)?;
    // Python looks for it beside the executable and one folder up.
    for dir in path.ancestors().skip(1).take(2) {
        if let Ok(bytes) = crate::util::fs::read_bounded(&dir.join("pyvenv.cfg"), 64 * 1024) {
            stamp.push(' ');
            stamp.push_str(&crate::util::digest::hex(&Sha256::digest(&bytes)));
        }
    }
    Some(stamp)
}

/// The interpreter file that runs: its real path, size and modification time;
/// `None` for a launcher script or a file that cannot be read.
fn exe_stamp(path: &Path) -> Option<String> {
    let real = std::fs::canonicalize(path).ok()?;
    let file = std::fs::metadata(&real).ok()?;
    let mut head = [0u8; 2];
    std::fs::File::open(&real)
        .and_then(|mut f| f.read_exact(&mut head))
        .ok()?;
    if &head == b"#!" {
        return None;
    }
    let since = file.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some(format!(
        "{} {}.{:09} {}",
        real.display(),
        since.as_secs(),
        since.subsec_nanos(),
        file.len()
    ))
}

mod family;
mod platform;
#[cfg(test)]
mod tests;

//! Builds wheels from source distributions by running Python: a PEP 517 build frontend.
//!
//! <https://peps.python.org/pep-0517/> (the hooks), <https://peps.python.org/pep-0518/>
//! (`[build-system]`), and
//! <https://packaging.python.org/en/latest/specifications/source-distribution-format/>
//! (the archive, and what unpacking one may do).
//!
//! Each step is a separate function, because the installer runs its own resolver and
//! installer between them: unpack, read the build system, make an isolated
//! environment, install `requires` into it, ask the backend for more, install
//! those, then build.
//!
//! An sdist is input from anywhere, so unpacking refuses whatever could write or
//! point outside the destination, and bounds what it writes. A backend is code
//! the user chose to run, so it is trusted to run, but not to be well behaved: its
//! answers come through a JSON file curd names (stdout belongs to whatever the
//! backend prints, which goes to the build log) and are checked before use.
//!
//! Nothing here keeps state between calls, and every temporary file has a unique
//! name, so builds of different projects can run at once.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::standards::filename::DistFilename;
use crate::standards::requirement::Requirement;
use crate::util::fs::{Context, FsError, TempFile};

/// Where a virtual environment keeps its interpreter.
const VENV_PYTHON: &str = if cfg!(windows) {
    "Scripts/python.exe"
} else {
    "bin/python"
};

/// What a project without `[build-system]` is built with: setuptools running its
/// `setup.py`, with the requirements pip gives it.
const LEGACY_BACKEND: &str = "setuptools.build_meta:__legacy__";
const LEGACY_REQUIRES: [&str; 2] = ["setuptools>=40.8.0", "wheel"];

/// Far above what real sdists unpack to (the largest, with vendored C++ sources,
/// reach a few hundred MiB): a bound for archives that expand without end (a
/// gzip bomb), not a quota.
const MAX_UNPACKED_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// Tiny entries exhaust inodes long before bytes run out.
const MAX_ENTRIES: u64 = 500_000;

/// How much of a failed build's log an error shows; the rest is in the file.
const TAIL_LINES: usize = 20;

/// Hook answers are short lists or names; anything larger is not an answer.
const MAX_ANSWER_BYTES: u64 = 1024 * 1024;

/// Variables that would carry the user's setup into a build: `PYTHONPATH` and
/// `PYTHONHOME` put other packages (or another standard library) before the build
/// environment's, and pip's install-location settings would send a backend's own
/// pip runs (setuptools' `setup_requires`) outside it or make them refuse to run.
const CLEARED_VARIABLES: [&str; 8] = [
    "PYTHONPATH",
    "PYTHONHOME",
    "PIP_USER",
    "PIP_TARGET",
    "PIP_PREFIX",
    "PIP_ROOT",
    "PIP_REQUIRE_VIRTUALENV",
    "PIP_REQUIRE_VENV",
];

/// Reads `[build-system]` with the interpreter's TOML parser (tomllib from 3.11,
/// else tomli, else the copy inside pip), so curd needs no TOML parser of its own
/// and reads the file exactly as Python tools do. Run under `-I`: nothing of the
/// project or the user's environment is on `sys.path`.
const PYPROJECT_SCRIPT: &str = r#"
import json, sys


def toml_reader():
    try:
        import tomllib
        return tomllib
    except ImportError:
        pass
    try:
        import tomli
        return tomli
    except ImportError:
        pass
    try:
        from pip._vendor import tomli
        return tomli
    except ImportError:
        return None


def main():
    pyproject, answer = sys.argv[1:3]
    toml = toml_reader()
    if toml is None:
        result = {"no_reader": True}
    else:
        try:
            with open(pyproject, "rb") as f:
                result = {"build_system": toml.load(f).get("build-system")}
        except ValueError as e:  # TOMLDecodeError and UnicodeDecodeError
            result = {"invalid": str(e)}
    with open(answer, "w", encoding="utf-8") as f:
        json.dump(result, f, default=str)


main()
"#;

/// Runs one hook: `python -c HOOK_SHIM answer backend hook backend_path args`, in
/// the project folder. Arguments and answers are JSON; the answer goes to the
/// file named first, as one of `{"returned": value}`, `{"missing": true}` (the
/// backend lacks the hook), `{"unavailable": reason}` (it cannot be imported) or
/// `{"invalid": reason}`. A hook that raises leaves no answer and a traceback in
/// the log.
///
/// Not `-I`: for a build without isolation the target's user site-packages is
/// where `pip install --user` put the backend, and pip finds it there. A build
/// environment is a virtual environment, which leaves out user and system
/// site-packages by itself.
const HOOK_SHIM: &str = r#"
import sys

# `-c` puts the current folder, the project, first on sys.path. PEP 517 keeps the
# source tree off it: an in-tree backend comes only from backend-path, and a
# project's own `json.py` must not stand in for the standard library's.
if sys.path and sys.path[0] == "":
    del sys.path[0]

import importlib, json, os


def reply(path, answer):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(answer, f, default=repr)


def within(path, folders):
    path = os.path.normcase(os.path.abspath(path))
    return any(path.startswith(os.path.join(os.path.normcase(os.path.abspath(f)), ""))
               for f in folders)


def main():
    answer, spec, hook_name, backend_path, args = sys.argv[1:6]
    backend_path = json.loads(backend_path)
    sys.path[:0] = backend_path
    module_name, _, object_path = spec.partition(":")
    try:
        backend = importlib.import_module(module_name)
    except Exception as e:
        import traceback
        traceback.print_exc()
        reason = "".join(traceback.format_exception_only(type(e), e)).strip()
        return reply(answer, {"unavailable": reason})
    if backend_path:
        origin = getattr(backend, "__file__", None)
        if not origin or not within(origin, backend_path):
            return reply(answer, {"invalid": "it was loaded from %s, not from its backend-path" % origin})
    for name in filter(None, object_path.split(".")):
        if not hasattr(backend, name):
            return reply(answer, {"invalid": "`%s` has no `%s`" % (module_name, object_path)})
        backend = getattr(backend, name)
    hook = getattr(backend, hook_name, None)
    if hook is None:
        return reply(answer, {"missing": True})
    reply(answer, {"returned": hook(*json.loads(args))})


main()
"#;

/// A project's `[build-system]`: what to install, and which backend to ask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildSystem {
    /// Installed before any hook runs.
    pub requires: Vec<Requirement>,
    /// `module` or `module:object`, as PEP 517 writes it.
    pub backend: String,
    /// Folders put first on `sys.path` for an in-tree backend: absolute, or
    /// relative to the project.
    pub backend_path: Vec<PathBuf>,
}

/// The PEP 517 hooks curd calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    GetRequiresForBuildWheel,
    PrepareMetadataForBuildWheel,
    BuildWheel,
}

impl Hook {
    /// The function's name in the backend.
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::GetRequiresForBuildWheel => "get_requires_for_build_wheel",
            Hook::PrepareMetadataForBuildWheel => "prepare_metadata_for_build_wheel",
            Hook::BuildWheel => "build_wheel",
        }
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a project could not be unpacked, read or built.
#[derive(Debug)]
pub enum BuildError {
    Io(FsError),
    /// Neither `.tar.gz` nor `.zip`.
    UnknownArchive {
        sdist: PathBuf,
    },
    /// The archive is damaged or not what its name says.
    Archive {
        sdist: PathBuf,
        reason: String,
    },
    /// An entry that could write or point outside the destination, or clash.
    UnsafeEntry {
        sdist: PathBuf,
        entry: String,
        reason: String,
    },
    TooLarge {
        sdist: PathBuf,
        reason: String,
    },
    /// Not exactly one top-level folder.
    TopLevel {
        sdist: PathBuf,
        found: String,
    },
    /// Neither `pyproject.toml` nor `setup.py`.
    NotAProject {
        project: PathBuf,
    },
    Pyproject {
        path: PathBuf,
        reason: String,
    },
    /// The interpreter has no TOML parser to read `pyproject.toml` with.
    NoTomlReader {
        python: PathBuf,
    },
    Spawn {
        python: PathBuf,
        source: io::Error,
    },
    /// Python failed at a task of curd's own (not a hook).
    PythonFailed {
        python: PathBuf,
        task: String,
        status: ExitStatus,
        output: String,
    },
    /// Importing the backend failed.
    BackendUnavailable {
        backend: String,
        project: PathBuf,
        reason: String,
        log: PathBuf,
        tail: String,
    },
    /// The backend is not what `[build-system]` promised.
    BackendInvalid {
        backend: String,
        project: PathBuf,
        reason: String,
    },
    HookFailed {
        backend: String,
        hook: Hook,
        project: PathBuf,
        status: ExitStatus,
        log: PathBuf,
        tail: String,
    },
    /// The hook ran, and answered something curd cannot use.
    BadHookResult {
        backend: String,
        hook: Hook,
        project: PathBuf,
        reason: String,
    },
}

/// A project by its folder's name: an sdist's folder is `{name}-{version}`, which
/// says more than the temporary path it was unpacked to.
fn project_name(project: &Path) -> String {
    project.file_name().map_or_else(
        || project.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

/// Lines of program output, framed so they read as quoted.
fn write_framed(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    for line in text.lines() {
        write!(f, "\n  | {line}")?;
    }
    Ok(())
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Io(e) => e.fmt(f),
            BuildError::UnknownArchive { sdist } => write!(
                f,
                "cannot unpack `{}`: expected a `.tar.gz` or `.zip` sdist",
                sdist.display()
            ),
            BuildError::Archive { sdist, reason } => {
                write!(f, "cannot read the sdist `{}`: {reason}", sdist.display())
            }
            BuildError::UnsafeEntry {
                sdist,
                entry,
                reason,
            } => write!(
                f,
                "refusing to unpack `{}`: its entry `{}` {reason}",
                sdist.display(),
                entry.escape_debug()
            ),
            BuildError::TooLarge { sdist, reason } => {
                write!(f, "refusing to unpack `{}`: {reason}", sdist.display())
            }
            BuildError::TopLevel { sdist, found } => write!(
                f,
                "invalid sdist `{}`: expected one top-level folder, found {found}",
                sdist.display()
            ),
            BuildError::NotAProject { project } => write!(
                f,
                "`{}` is not a Python project: it has neither `pyproject.toml` nor `setup.py`",
                project.display()
            ),
            BuildError::Pyproject { path, reason } => {
                write!(f, "invalid `{}`: {reason}", path.display())
            }
            BuildError::NoTomlReader { python } => write!(
                f,
                "`{}` cannot read pyproject.toml: it has neither tomllib (Python 3.11+), \
                 nor tomli, nor pip\nhint: read it with another interpreter, such as the \
                 one the build environment was made from",
                python.display()
            ),
            BuildError::Spawn { python, source } => {
                write!(f, "cannot run `{}`: {source}", python.display())
            }
            BuildError::PythonFailed {
                python,
                task,
                status,
                output,
            } => {
                write!(f, "`{}` failed ({status}) to {task}", python.display())?;
                if !output.trim().is_empty() {
                    f.write_str(", saying:")?;
                    write_framed(f, output)?;
                }
                Ok(())
            }
            BuildError::BackendUnavailable {
                backend,
                project,
                reason,
                log,
                tail,
            } => {
                write!(
                    f,
                    "cannot import the build backend `{backend}` for `{}`: {reason}",
                    project_name(project)
                )?;
                write_framed(f, tail)?;
                write!(f, "\nfull log: `{}`", log.display())
            }
            BuildError::BackendInvalid {
                backend,
                project,
                reason,
            } => write!(
                f,
                "the build backend `{backend}` of `{}` cannot be used: {reason}",
                project_name(project)
            ),
            BuildError::HookFailed {
                backend,
                hook,
                project,
                status,
                log,
                tail,
            } => {
                write!(
                    f,
                    "the build backend `{backend}` failed in {hook} for `{}` ({status})",
                    project_name(project)
                )?;
                if tail.is_empty() {
                    f.write_str(", saying nothing")?;
                } else {
                    f.write_str(", ending with:")?;
                    write_framed(f, tail)?;
                }
                write!(f, "\nfull log: `{}`", log.display())
            }
            BuildError::BadHookResult {
                backend,
                hook,
                project,
                reason,
            } => write!(
                f,
                "the build backend `{backend}` gave {hook} for `{}` an answer curd cannot use: {reason}",
                project_name(project)
            ),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Io(e) => Some(e),
            BuildError::Spawn { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<FsError> for BuildError {
    fn from(e: FsError) -> Self {
        BuildError::Io(e)
    }
}

/// Safe extraction of a `.tar.gz` or `.zip` sdist into `dest`: the project folder
/// (the archive's one top-level folder) comes back.
///
/// Refused: absolute names, `..`, links that point outside the project or go up
/// after passing through another link, hard links to anything but a file unpacked before them,
/// device files and pipes, an entry that would be written through a link or over
/// another, and more than 4 GiB or 500 000 entries. Permissions keep only whether
/// a file is executable; modification times are kept, because build tools compare
/// them (a generated `.c` file older than its `.pyx` gets regenerated). After an
/// error, `dest` may hold part of the archive.
pub fn unpack_sdist(sdist: &Path, dest: &Path) -> Result<PathBuf, BuildError> {
    unpack_within(
        sdist,
        dest,
        Limits {
            bytes: MAX_UNPACKED_BYTES,
            entries: MAX_ENTRIES,
        },
    )
}

#[derive(Clone, Copy)]
struct Limits {
    bytes: u64,
    entries: u64,
}

fn unpack_within(sdist: &Path, dest: &Path, limits: Limits) -> Result<PathBuf, BuildError> {
    let name = sdist
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let is_tar = name.ends_with(".tar.gz");
    if !is_tar && !name.ends_with(".zip") {
        return Err(BuildError::UnknownArchive {
            sdist: sdist.to_path_buf(),
        });
    }
    std::fs::create_dir_all(dest).context("create", dest)?;
    let file = File::open(sdist).context("open", sdist)?;
    let mut unpacker = Unpacker {
        sdist,
        dest,
        limits,
        top: None,
        bytes: 0,
        entries: 0,
        dirs: HashSet::new(),
        files: HashSet::new(),
        links: Vec::new(),
    };
    if is_tar {
        unpack_tar(&mut unpacker, file)?;
    } else {
        unpack_zip(&mut unpacker, file)?;
    }
    unpacker.finish()
}

/// What an archive entry is, once checked to be something an sdist may hold.
enum Kind {
    Dir,
    File {
        executable: bool,
        modified: Option<SystemTime>,
    },
    Symlink(String),
    HardLink(String),
}

fn unpack_tar(unpacker: &mut Unpacker<'_>, file: File) -> Result<(), BuildError> {
    let sdist = unpacker.sdist;
    let damaged = |e: io::Error| BuildError::Archive {
        sdist: sdist.to_path_buf(),
        reason: e.to_string(),
    };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(BufReader::new(file)));
    for entry in archive.entries().map_err(damaged)? {
        let mut entry = entry.map_err(damaged)?;
        let header = entry.header();
        let kind = header.entry_type();
        // Global pax headers (git archive writes one) carry no file.
        if kind.is_pax_global_extensions() {
            continue;
        }
        let name = utf8(sdist, &entry.path_bytes(), None)?;
        let link_target = || match entry.link_name_bytes() {
            Some(bytes) => utf8(sdist, &bytes, Some(&name)),
            None => Err(unsafe_entry(sdist, &name, "is a link to nothing")),
        };
        // Tars older than POSIX mark folders as files whose names end in `/`.
        let kind = if kind.is_dir() || (kind.is_file() && name.ends_with('/')) {
            Kind::Dir
        } else if kind.is_file() || kind.is_contiguous() {
            Kind::File {
                executable: header.mode().is_ok_and(|mode| mode & 0o100 != 0),
                modified: header
                    .mtime()
                    .ok()
                    .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs))),
            }
        } else if kind.is_symlink() {
            Kind::Symlink(link_target()?)
        } else if kind.is_hard_link() {
            Kind::HardLink(link_target()?)
        } else if kind.is_character_special() || kind.is_block_special() || kind.is_fifo() {
            return Err(unsafe_entry(sdist, &name, "is a device file or a pipe"));
        } else {
            let reason = format!(
                "is of a kind curd does not unpack (tar type `{}`)",
                (kind.as_byte() as char).escape_default()
            );
            return Err(unsafe_entry(sdist, &name, &reason));
        };
        let declared = entry.size();
        unpacker.entry(&name, kind, &mut entry, declared)?;
    }
    Ok(())
}

fn unpack_zip(unpacker: &mut Unpacker<'_>, file: File) -> Result<(), BuildError> {
    let sdist = unpacker.sdist;
    let damaged = |reason: String| BuildError::Archive {
        sdist: sdist.to_path_buf(),
        reason,
    };
    let mut archive =
        zip::ZipArchive::new(BufReader::new(file)).map_err(|e| damaged(e.to_string()))?;
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| damaged(format!("entry {index}: {e}")))?;
        let name = match entry.name() {
            Ok(name) => name.into_owned(),
            Err(_) => utf8(sdist, entry.name_raw(), None)?,
        };
        let mode = entry.unix_mode().unwrap_or(0);
        let kind = if entry.is_symlink() {
            let mut target = Vec::new();
            (&mut entry)
                .take(4096)
                .read_to_end(&mut target)
                .map_err(|e| damaged(format!("entry `{name}`: {e}")))?;
            Kind::Symlink(utf8(sdist, &target, Some(&name))?)
        } else if entry.is_dir() || mode & 0o170000 == 0o040000 {
            Kind::Dir
        } else if matches!(mode & 0o170000, 0 | 0o100000) {
            Kind::File {
                executable: mode & 0o100 != 0,
                modified: None,
            }
        } else {
            return Err(unsafe_entry(sdist, &name, "is a device file or a pipe"));
        };
        let declared = entry.size();
        unpacker.entry(&name, kind, &mut entry, declared)?;
    }
    Ok(())
}

/// Text from an archive: names and link targets must be UTF-8, as every tool that
/// writes sdists makes them. `entry` is the entry a link target belongs to.
fn utf8(sdist: &Path, bytes: &[u8], entry: Option<&str>) -> Result<String, BuildError> {
    match (std::str::from_utf8(bytes), entry) {
        (Ok(text), _) => Ok(text.to_string()),
        (Err(_), None) => Err(unsafe_entry(
            sdist,
            &String::from_utf8_lossy(bytes),
            "has a name that is not UTF-8",
        )),
        (Err(_), Some(entry)) => Err(unsafe_entry(
            sdist,
            entry,
            "is a link whose target is not UTF-8",
        )),
    }
}

fn unsafe_entry(sdist: &Path, entry: &str, reason: &str) -> BuildError {
    BuildError::UnsafeEntry {
        sdist: sdist.to_path_buf(),
        entry: entry.to_string(),
        reason: reason.to_string(),
    }
}

/// A name inside the archive as `/`-separated parts, without `.` and empty parts;
/// `None` for the archive's root itself (`./`).
fn archive_path(name: &str) -> Result<Option<String>, &'static str> {
    if name.starts_with('/') {
        return Err("is an absolute path");
    }
    if name.contains('\\') {
        // A separator on Windows, so a way around the `..` check there.
        return Err("holds a backslash");
    }
    if name.contains('\0') {
        return Err("holds a NUL byte");
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("goes up a folder with `..`"),
            part => parts.push(part),
        }
    }
    Ok((!parts.is_empty()).then(|| parts.join("/")))
}

/// Whether a link stays inside the project, worked out from names alone.
///
/// Names tell where a path leads only until it passes through a link: after one,
/// `..` leaves from wherever that link leads (with `a -> .`, `a/a/a/../../..` is
/// two folders above the project). So `..` after a link is refused, and then each
/// link leads where its name says, or further in through links checked the same way.
fn check_link(link: &str, target: &str, links: &HashSet<String>) -> Result<(), String> {
    let shown = target.escape_debug();
    if target.is_empty() {
        return Err("is a link to nothing".into());
    }
    if target.starts_with('/') || target.contains('\\') || target.contains('\0') {
        return Err(format!("is a link to `{shown}`"));
    }
    let mut at: Vec<&str> = link.split('/').collect();
    at.pop();
    let mut through: Option<String> = None;
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if let Some(other) = &through {
                    return Err(format!(
                        "is a link to `{shown}`, which goes up after passing through the link `{other}`"
                    ));
                }
                at.pop();
                // `at[0]` is the project folder: leaving it leaves the project.
                if at.is_empty() {
                    return Err(format!("is a link to `{shown}`, outside the project"));
                }
            }
            part => {
                at.push(part);
                if through.is_none() {
                    let here = at.join("/");
                    if links.contains(&here) {
                        through = Some(here);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Writes an archive's entries under `dest`, one at a time as they stream by.
///
/// Links are made last, after every file and folder: nothing is ever written
/// through one, and a link's check can see every other link in the archive.
struct Unpacker<'a> {
    sdist: &'a Path,
    dest: &'a Path,
    limits: Limits,
    /// The top-level folder, once the first entry names it.
    top: Option<String>,
    bytes: u64,
    entries: u64,
    /// Folders made or checked to be real folders (not links), by archive path.
    dirs: HashSet<String>,
    /// Regular files written, which hard links may copy.
    files: HashSet<String>,
    /// Symbolic links to make at the end: (archive path, target).
    links: Vec<(String, String)>,
}

impl Unpacker<'_> {
    fn refuse(&self, entry: &str, reason: &str) -> BuildError {
        unsafe_entry(self.sdist, entry, reason)
    }

    fn too_large(&self, reason: String) -> BuildError {
        BuildError::TooLarge {
            sdist: self.sdist.to_path_buf(),
            reason,
        }
    }

    fn entry(
        &mut self,
        name: &str,
        kind: Kind,
        reader: &mut dyn Read,
        declared: u64,
    ) -> Result<(), BuildError> {
        self.entries += 1;
        if self.entries > self.limits.entries {
            return Err(self.too_large(format!(
                "it holds more than {} entries",
                self.limits.entries
            )));
        }
        let Some(path) = archive_path(name).map_err(|reason| self.refuse(name, reason))? else {
            return Ok(());
        };
        let (first, rest) = path.split_once('/').unwrap_or((&path, ""));
        match &self.top {
            None if rest.is_empty() && !matches!(kind, Kind::Dir) => {
                return Err(BuildError::TopLevel {
                    sdist: self.sdist.to_path_buf(),
                    found: format!("`{}`, which is not a folder", first.escape_debug()),
                });
            }
            None => self.top = Some(first.to_string()),
            Some(top) if top != first => {
                return Err(BuildError::TopLevel {
                    sdist: self.sdist.to_path_buf(),
                    found: format!("`{}` and `{}`", top.escape_debug(), first.escape_debug()),
                });
            }
            Some(_) if rest.is_empty() && !matches!(kind, Kind::Dir) => {
                return Err(BuildError::TopLevel {
                    sdist: self.sdist.to_path_buf(),
                    found: format!("`{}`, which is not a folder", first.escape_debug()),
                });
            }
            Some(_) => {}
        }
        match kind {
            Kind::Dir => self.dir(name, &path),
            Kind::File {
                executable,
                modified,
            } => self.file(name, &path, reader, declared, executable, modified),
            Kind::HardLink(target) => self.hard_link(name, &path, &target),
            Kind::Symlink(target) => {
                self.links.push((path, target));
                Ok(())
            }
        }
    }

    /// Makes the folders above `path`, refusing to go through anything that is not
    /// a real folder, and gives where `path` goes on disk.
    fn parent_of(&mut self, name: &str, path: &str) -> Result<PathBuf, BuildError> {
        for (end, _) in path.match_indices('/') {
            let folder = &path[..end];
            if self.dirs.contains(folder) {
                continue;
            }
            let on_disk = self.dest.join(folder);
            match std::fs::symlink_metadata(&on_disk) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => {
                    let reason = format!("passes through `{folder}`, which is not a folder");
                    return Err(self.refuse(name, &reason));
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    std::fs::create_dir(&on_disk).context("create", &on_disk)?;
                }
                Err(e) => return Err(fs_error("inspect", &on_disk, e)),
            }
            self.dirs.insert(folder.to_string());
        }
        Ok(self.dest.join(path))
    }

    fn dir(&mut self, name: &str, path: &str) -> Result<(), BuildError> {
        let on_disk = self.parent_of(name, path)?;
        if self.dirs.contains(path) {
            return Ok(());
        }
        match std::fs::create_dir(&on_disk) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if !std::fs::symlink_metadata(&on_disk).is_ok_and(|m| m.is_dir()) {
                    return Err(self.refuse(name, "clashes with an entry before it"));
                }
            }
            Err(e) => return Err(fs_error("create", &on_disk, e)),
        }
        self.dirs.insert(path.to_string());
        Ok(())
    }

    /// A new file at `path`: never over another entry, or through a link left
    /// there by someone else.
    fn create(&mut self, name: &str, path: &str, executable: bool) -> Result<File, BuildError> {
        let on_disk = self.parent_of(name, path)?;
        let mut options = File::options();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(if executable { 0o755 } else { 0o644 });
        }
        #[cfg(not(unix))]
        let _ = executable;
        match options.open(&on_disk) {
            Ok(file) => Ok(file),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                Err(self.refuse(name, "clashes with an entry before it"))
            }
            Err(e) => Err(fs_error("create", &on_disk, e)),
        }
    }

    fn file(
        &mut self,
        name: &str,
        path: &str,
        reader: &mut dyn Read,
        declared: u64,
        executable: bool,
        modified: Option<SystemTime>,
    ) -> Result<(), BuildError> {
        self.reserve(declared)?;
        let mut file = self.create(name, path, executable)?;
        let on_disk = self.dest.join(path);
        let sdist = self.sdist;
        self.copy(reader, &mut file, &on_disk, |e| BuildError::Archive {
            sdist: sdist.to_path_buf(),
            reason: format!("entry `{name}`: {e}"),
        })?;
        if let Some(time) = modified {
            file.set_modified(time)
                .context("set the modification time of", &on_disk)?;
        }
        self.files.insert(path.to_string());
        Ok(())
    }

    /// A hard link becomes a copy: a second name for a file is all it means in an
    /// sdist, and a copy cannot be changed through the first.
    fn hard_link(&mut self, name: &str, path: &str, target: &str) -> Result<(), BuildError> {
        let source = match archive_path(target) {
            Ok(Some(source)) if self.files.contains(&source) => source,
            _ => {
                let reason = format!(
                    "is a hard link to `{}`, which is not a file unpacked before it",
                    target.escape_debug()
                );
                return Err(self.refuse(name, &reason));
            }
        };
        let from = self.dest.join(&source);
        let mut reader = File::open(&from).context("open", &from)?;
        let executable = is_executable(&reader);
        let mut file = self.create(name, path, executable)?;
        let on_disk = self.dest.join(path);
        self.copy(&mut reader, &mut file, &on_disk, |e| {
            fs_error("read", &from, e)
        })?;
        self.files.insert(path.to_string());
        Ok(())
    }

    /// Refuses an entry whose header alone says it would pass the size limit,
    /// before anything of it is written.
    fn reserve(&self, declared: u64) -> Result<(), BuildError> {
        if self.bytes.saturating_add(declared) > self.limits.bytes {
            return Err(self.too_large(self.size_reason()));
        }
        Ok(())
    }

    fn size_reason(&self) -> String {
        format!("it unpacks to more than {} bytes", self.limits.bytes)
    }

    /// Copies until the end, or until the size limit is passed whatever headers
    /// claimed; read errors are the archive's, write errors the disk's.
    fn copy(
        &mut self,
        reader: &mut dyn Read,
        file: &mut File,
        on_disk: &Path,
        read_error: impl Fn(io::Error) -> BuildError,
    ) -> Result<(), BuildError> {
        let mut buffer = vec![0; 64 * 1024];
        loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(read_error(e)),
            };
            self.bytes += n as u64;
            if self.bytes > self.limits.bytes {
                return Err(self.too_large(self.size_reason()));
            }
            file.write_all(&buffer[..n]).context("write", on_disk)?;
        }
    }

    /// Makes the links, then gives the project folder.
    fn finish(mut self) -> Result<PathBuf, BuildError> {
        let Some(top) = self.top.take() else {
            return Err(BuildError::TopLevel {
                sdist: self.sdist.to_path_buf(),
                found: "nothing".to_string(),
            });
        };
        let links: HashSet<String> = self.links.iter().map(|(path, _)| path.clone()).collect();
        for (path, target) in &self.links {
            check_link(path, target, &links).map_err(|reason| self.refuse(path, &reason))?;
        }
        for (path, target) in std::mem::take(&mut self.links) {
            let on_disk = self.parent_of(&path, &path)?;
            match symlink(&target, &on_disk) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    return Err(self.refuse(&path, "clashes with an entry before it"));
                }
                Err(e) => return Err(fs_error("create the link", &on_disk, e)),
            }
        }
        Ok(self.dest.join(top))
    }
}

fn fs_error(action: &'static str, path: &Path, source: io::Error) -> BuildError {
    BuildError::Io(FsError {
        path: path.to_path_buf(),
        action,
        source,
    })
}

#[cfg(unix)]
fn symlink(target: &str, path: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, path)
}

#[cfg(not(unix))]
fn symlink(_target: &str, _path: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "links in sdists are unpacked only on Unix",
    ))
}

#[cfg(unix)]
fn is_executable(file: &File) -> bool {
    use std::os::unix::fs::PermissionsExt;
    file.metadata()
        .is_ok_and(|m| m.permissions().mode() & 0o100 != 0)
}

#[cfg(not(unix))]
fn is_executable(_file: &File) -> bool {
    false
}

/// Reads `[build-system]` from the project's `pyproject.toml` by asking `python`,
/// which needs tomllib (3.11+), tomli or pip: the target interpreter, or the one a
/// build environment is made from (a fresh one has no pip).
///
/// Without `pyproject.toml`, or without `[build-system]` in it, the project is
/// built as pip builds it: by setuptools' legacy backend, which runs `setup.py`.
/// A `[build-system]` without `build-backend` keeps its `requires` and gets that
/// backend too, as PEP 517 says.
pub fn build_system(python: &Path, project: &Path) -> Result<BuildSystem, BuildError> {
    let pyproject = project.join("pyproject.toml");
    if !pyproject.is_file() {
        if !project.join("setup.py").is_file() {
            return Err(BuildError::NotAProject {
                project: project.to_path_buf(),
            });
        }
        return legacy_build_system(&pyproject, &LEGACY_REQUIRES);
    }
    let answer_file = TempFile::new_in(&std::env::temp_dir())?;
    let output = python_command(python)
        .args(["-I", "-c", PYPROJECT_SCRIPT])
        .arg(&pyproject)
        .arg(answer_file.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|source| BuildError::Spawn {
            python: python.to_path_buf(),
            source,
        })?;
    if !output.status.success() {
        return Err(python_failed(python, "read pyproject.toml", &output));
    }
    let answer = read_answer(answer_file.path()).map_err(|reason| BuildError::PythonFailed {
        python: python.to_path_buf(),
        task: format!("read pyproject.toml ({reason})"),
        status: output.status,
        output: tail(&String::from_utf8_lossy(&output.stderr)),
    })?;
    let invalid = |reason: String| BuildError::Pyproject {
        path: pyproject.clone(),
        reason,
    };
    if answer.get("no_reader").is_some() {
        return Err(BuildError::NoTomlReader {
            python: python.to_path_buf(),
        });
    }
    if let Some(reason) = answer.get("invalid") {
        return Err(invalid(format!(
            "not TOML: {}",
            reason.as_str().unwrap_or_default()
        )));
    }
    let table = match answer.get("build_system") {
        None | Some(Value::Null) => return legacy_build_system(&pyproject, &LEGACY_REQUIRES),
        Some(Value::Object(table)) => table,
        Some(_) => return Err(invalid("`build-system` is not a table".into())),
    };
    let requires = match table.get("requires") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str())
            .collect::<Option<Vec<&str>>>()
            .ok_or_else(|| invalid("`build-system.requires` is not a list of strings".into()))?,
        Some(_) => {
            return Err(invalid(
                "`build-system.requires` is not a list of strings".into(),
            ));
        }
        None => {
            return Err(invalid(
                "`[build-system]` has no `requires`, which PEP 518 makes mandatory".into(),
            ));
        }
    };
    let backend = match table.get("build-backend") {
        None => return legacy_build_system(&pyproject, &requires),
        Some(Value::String(backend)) if is_backend_reference(backend) => backend.clone(),
        Some(other) => {
            return Err(invalid(format!(
                "`build-system.build-backend` is `{other}`, not `module` or `module:object`"
            )));
        }
    };
    let backend_path = match table.get("backend-path") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item.as_str() {
                Some(entry) => backend_folder(project, entry).map_err(&invalid),
                None => Err(invalid(
                    "`build-system.backend-path` is not a list of strings".into(),
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(invalid(
                "`build-system.backend-path` is not a list of strings".into(),
            ));
        }
    };
    Ok(BuildSystem {
        requires: parse_requires(&pyproject, &requires)?,
        backend,
        backend_path,
    })
}

fn legacy_build_system(pyproject: &Path, requires: &[&str]) -> Result<BuildSystem, BuildError> {
    Ok(BuildSystem {
        requires: parse_requires(pyproject, requires)?,
        backend: LEGACY_BACKEND.to_string(),
        backend_path: Vec::new(),
    })
}

fn parse_requires(pyproject: &Path, requires: &[&str]) -> Result<Vec<Requirement>, BuildError> {
    requires
        .iter()
        .map(|text| {
            text.parse().map_err(|e| BuildError::Pyproject {
                path: pyproject.to_path_buf(),
                reason: format!("`build-system.requires` holds an invalid requirement: {e}"),
            })
        })
        .collect()
}

/// `module` or `module:object`, both dotted names of Python identifiers: anything
/// else could not be imported, and is better refused with the file's name than
/// with a traceback.
fn is_backend_reference(text: &str) -> bool {
    let dotted = |part: &str| {
        part.split('.').all(|name| {
            name.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        })
    };
    match text.split_once(':') {
        Some((module, object)) => dotted(module) && dotted(object),
        None => dotted(text),
    }
}

/// A `backend-path` entry as a folder inside the project, or why it is not one.
/// PEP 517 requires frontends to check this: an entry outside the source tree
/// would run code the sdist does not hold.
fn backend_folder(project: &Path, entry: &str) -> Result<PathBuf, String> {
    let outside = || format!("`build-system.backend-path` holds `{entry}`, outside the project");
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in Path::new(entry).components() {
        match component {
            Component::CurDir => {}
            Component::Normal(part) => parts.push(part),
            Component::ParentDir => {
                parts.pop().ok_or_else(outside)?;
            }
            Component::RootDir | Component::Prefix(_) => return Err(outside()),
        }
    }
    let project = std::path::absolute(project).map_err(|e| e.to_string())?;
    let folder: PathBuf = parts
        .iter()
        .fold(project.clone(), |path, part| path.join(part));
    // A link inside the project can still lead out of it.
    if let (Ok(real), Ok(real_project)) = (folder.canonicalize(), project.canonicalize()) {
        if !real.starts_with(real_project) {
            return Err(outside());
        }
    }
    Ok(folder)
}

/// A fresh isolated environment for builds in `dir`, and its interpreter.
///
/// `python -m venv --without-pip`: a venv leaves out user and system
/// site-packages, so a build sees only what its `requires` installed, and without
/// pip it takes tens of milliseconds instead of seconds; curd's own installer
/// fills it.
pub fn create_build_env(base_python: &Path, dir: &Path) -> Result<PathBuf, BuildError> {
    let dir = std::path::absolute(dir).context("resolve", dir)?;
    let output = python_command(base_python)
        .args(["-I", "-m", "venv", "--without-pip"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|source| BuildError::Spawn {
            python: base_python.to_path_buf(),
            source,
        })?;
    let task = || format!("create a build environment in `{}`", dir.display());
    if !output.status.success() {
        return Err(python_failed(base_python, &task(), &output));
    }
    let python = dir.join(VENV_PYTHON);
    if !python.exists() {
        return Err(BuildError::PythonFailed {
            python: base_python.to_path_buf(),
            task: format!("{} (it has no `{VENV_PYTHON}`)", task()),
            status: output.status,
            output: tail(&String::from_utf8_lossy(&output.stderr)),
        });
    }
    Ok(python)
}

fn python_failed(python: &Path, task: &str, output: &std::process::Output) -> BuildError {
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    BuildError::PythonFailed {
        python: python.to_path_buf(),
        task: task.to_string(),
        status: output.status,
        output: tail(&text),
    }
}

/// The requirements the backend needs beyond `requires`, to install before
/// building; none when the backend has no such hook.
pub fn get_requires_for_build_wheel(
    python: &Path,
    project: &Path,
    system: &BuildSystem,
    log: &Path,
) -> Result<Vec<Requirement>, BuildError> {
    const HOOK: Hook = Hook::GetRequiresForBuildWheel;
    let Some(answer) = run_hook(python, project, system, HOOK, json!([null]), log)? else {
        return Ok(Vec::new());
    };
    let bad = |reason: String| BuildError::BadHookResult {
        backend: system.backend.clone(),
        hook: HOOK,
        project: project.to_path_buf(),
        reason,
    };
    let Value::Array(items) = &answer else {
        return Err(bad(format!(
            "expected a list of requirements, found {answer}"
        )));
    };
    items
        .iter()
        .map(|item| {
            let text = item
                .as_str()
                .ok_or_else(|| bad(format!("expected requirement strings, found {item}")))?;
            text.parse()
                .map_err(|e| bad(format!("an invalid requirement: {e}")))
        })
        .collect()
}

/// The wheel's `.dist-info` folder, written into `out_dir` without building, or
/// `None` when the backend cannot do that (the hook is optional): then only
/// building the wheel tells its metadata.
pub fn prepare_metadata_for_build_wheel(
    python: &Path,
    project: &Path,
    system: &BuildSystem,
    out_dir: &Path,
    log: &Path,
) -> Result<Option<PathBuf>, BuildError> {
    const HOOK: Hook = Hook::PrepareMetadataForBuildWheel;
    let target = output_folder(out_dir)?;
    let Some(answer) = run_hook(python, project, system, HOOK, json!([target, null]), log)? else {
        return Ok(None);
    };
    let bad = |reason: String| BuildError::BadHookResult {
        backend: system.backend.clone(),
        hook: HOOK,
        project: project.to_path_buf(),
        reason,
    };
    let name = answer
        .as_str()
        .ok_or_else(|| bad(format!("expected a folder name, found {answer}")))?;
    if !is_plain_name(name) || !name.ends_with(".dist-info") {
        return Err(bad(format!(
            "expected the name of a `.dist-info` folder, found `{}`",
            name.escape_debug()
        )));
    }
    let dist_info = out_dir.join(name);
    if !dist_info.is_dir() {
        return Err(bad(format!(
            "it named `{name}`, which it did not create in `{}`",
            out_dir.display()
        )));
    }
    Ok(Some(dist_info))
}

/// Builds the wheel into `out_dir`, and gives its path.
pub fn build_wheel(
    python: &Path,
    project: &Path,
    system: &BuildSystem,
    out_dir: &Path,
    log: &Path,
) -> Result<PathBuf, BuildError> {
    const HOOK: Hook = Hook::BuildWheel;
    let target = output_folder(out_dir)?;
    let Some(answer) = run_hook(
        python,
        project,
        system,
        HOOK,
        json!([target, null, null]),
        log,
    )?
    else {
        return Err(BuildError::BackendInvalid {
            backend: system.backend.clone(),
            project: project.to_path_buf(),
            reason: "it has no build_wheel hook, which PEP 517 makes mandatory".into(),
        });
    };
    let bad = |reason: String| BuildError::BadHookResult {
        backend: system.backend.clone(),
        hook: HOOK,
        project: project.to_path_buf(),
        reason,
    };
    let name = answer
        .as_str()
        .ok_or_else(|| bad(format!("expected a wheel's file name, found {answer}")))?;
    // The file name parser is also the traversal guard: no separators, no `..`.
    match DistFilename::parse(name) {
        Ok(filename) if filename.is_wheel() => {}
        Ok(_) => return Err(bad(format!("`{name}` is not a wheel"))),
        Err(e) => return Err(bad(e.to_string())),
    }
    let wheel = out_dir.join(name);
    if !wheel.is_file() {
        return Err(bad(format!(
            "it named `{name}`, which it did not write in `{}`",
            out_dir.display()
        )));
    }
    Ok(wheel)
}

/// Creates `out_dir` and gives it absolute: the hook runs in the project folder,
/// where a relative path would lead elsewhere.
fn output_folder(out_dir: &Path) -> Result<String, BuildError> {
    std::fs::create_dir_all(out_dir).context("create", out_dir)?;
    let absolute = std::path::absolute(out_dir).context("resolve", out_dir)?;
    absolute.into_os_string().into_string().map_err(|path| {
        BuildError::Io(FsError {
            path: PathBuf::from(path),
            action: "pass to Python",
            source: io::Error::new(io::ErrorKind::InvalidData, "the path is not UTF-8"),
        })
    })
}

/// A single file name: nothing that leads to another folder.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// `python` with the variables that would carry the user's setup into a build
/// cleared, and nothing to answer a prompt.
fn python_command(python: &Path) -> Command {
    let mut command = Command::new(python);
    for variable in CLEARED_VARIABLES {
        command.env_remove(variable);
    }
    command.env("PIP_NO_INPUT", "1").stdin(Stdio::null());
    command
}

/// Runs one hook in a subprocess: `Some(answer)`, or `None` when the backend does
/// not have the hook. Its output goes to the end of `log`, after a line naming the
/// hook, so one log can follow a build through every hook.
fn run_hook(
    python: &Path,
    project: &Path,
    system: &BuildSystem,
    hook: Hook,
    args: Value,
    log: &Path,
) -> Result<Option<Value>, BuildError> {
    let log = std::path::absolute(log).context("resolve", log)?;
    let log_dir = log.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(log_dir).context("create", log_dir)?;
    // A relative interpreter path would be taken from the project folder.
    let python = if python.components().count() > 1 {
        std::path::absolute(python).context("resolve", python)?
    } else {
        python.to_path_buf()
    };
    let mut log_file = File::options()
        .create(true)
        .append(true)
        .open(&log)
        .context("open", &log)?;
    writeln!(
        log_file,
        "# {hook} of the build backend `{}`",
        system.backend
    )
    .context("write", &log)?;
    let start = log_file.metadata().context("inspect", &log)?.len();
    let answer_file = TempFile::new_in(log_dir)?;
    let backend_path: Vec<String> = system
        .backend_path
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let mut command = python_command(&python);
    command
        .arg("-c")
        .arg(HOOK_SHIM)
        .arg(answer_file.path())
        .arg(&system.backend)
        .arg(hook.as_str())
        .arg(json!(backend_path).to_string())
        .arg(args.to_string())
        .current_dir(project)
        // Output in the order it was written, not in the order buffers filled.
        .env("PYTHONUNBUFFERED", "1")
        .stdout(log_file.try_clone().context("open", &log)?)
        .stderr(log_file.try_clone().context("open", &log)?);
    if let Some(path) = search_path_with_scripts(&python) {
        command.env("PATH", path);
    }
    let status = command.status().map_err(|source| BuildError::Spawn {
        python: python.clone(),
        source,
    })?;
    drop(log_file);
    let log_tail = || read_tail(&log, start);
    if !status.success() {
        return Err(BuildError::HookFailed {
            backend: system.backend.clone(),
            hook,
            project: project.to_path_buf(),
            status,
            tail: log_tail(),
            log,
        });
    }
    let bad = |reason: String| BuildError::BadHookResult {
        backend: system.backend.clone(),
        hook,
        project: project.to_path_buf(),
        reason,
    };
    let answer = read_answer(answer_file.path()).map_err(&bad)?;
    if answer.get("missing").is_some() {
        return Ok(None);
    }
    if let Some(reason) = answer.get("unavailable") {
        return Err(BuildError::BackendUnavailable {
            backend: system.backend.clone(),
            project: project.to_path_buf(),
            reason: reason.as_str().unwrap_or_default().to_string(),
            tail: log_tail(),
            log,
        });
    }
    if let Some(reason) = answer.get("invalid") {
        return Err(BuildError::BackendInvalid {
            backend: system.backend.clone(),
            project: project.to_path_buf(),
            reason: reason.as_str().unwrap_or_default().to_string(),
        });
    }
    match answer {
        Value::Object(mut map) if map.contains_key("returned") => Ok(map.remove("returned")),
        other => Err(bad(format!("its answer is {other}"))),
    }
}

/// `PATH` with a virtual environment's scripts folder first, as an activated venv
/// has it: build tools installed into the build environment (cmake, ninja,
/// cython) are found before the machine's. Another interpreter's folder is left
/// out of it: putting `/usr/bin` first would change which tools everything finds.
fn search_path_with_scripts(python: &Path) -> Option<OsString> {
    let scripts = python.parent()?;
    if !scripts.parent()?.join("pyvenv.cfg").is_file() {
        return None;
    }
    let rest = std::env::var_os("PATH").unwrap_or_default();
    let folders = std::iter::once(scripts.to_path_buf()).chain(std::env::split_paths(&rest));
    std::env::join_paths(folders).ok()
}

/// A JSON answer file, bounded; the reason is for a user when it is not one.
fn read_answer(path: &Path) -> Result<Value, String> {
    let mut text = Vec::new();
    File::open(path)
        .and_then(|file| file.take(MAX_ANSWER_BYTES + 1).read_to_end(&mut text))
        .map_err(|e| format!("cannot read its answer: {e}"))?;
    if text.is_empty() {
        return Err("it ended without an answer".into());
    }
    if text.len() as u64 > MAX_ANSWER_BYTES {
        return Err(format!("its answer is over {MAX_ANSWER_BYTES} bytes"));
    }
    serde_json::from_slice(&text).map_err(|e| format!("its answer is not JSON: {e}"))
}

/// The last lines the log got from `start` on; only its end is read, however long
/// the build talked.
fn read_tail(log: &Path, start: u64) -> String {
    const WINDOW: u64 = 64 * 1024;
    let mut bytes = Vec::new();
    let read = File::open(log).and_then(|mut file| {
        let end = file.metadata()?.len();
        file.seek(SeekFrom::Start(start.max(end.saturating_sub(WINDOW))))?;
        file.take(WINDOW).read_to_end(&mut bytes)
    });
    match read {
        Ok(_) => tail(&String::from_utf8_lossy(&bytes)),
        Err(e) => format!("(cannot read the log: {e})"),
    }
}

/// The last [`TAIL_LINES`] lines of program output, as a terminal showed them:
/// only what follows a carriage return (progress bars redraw their line), and
/// other control characters escaped so they cannot drive the terminal the error
/// is printed to.
fn tail(text: &str) -> String {
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let shown = line.rsplit('\r').next().unwrap_or_default();
            shown
                .chars()
                .map(|c| {
                    if c.is_control() && c != '\t' {
                        c.escape_unicode().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        })
        .collect();
    let end = lines
        .iter()
        .rposition(|line| !line.trim().is_empty())
        .map_or(0, |last| last + 1);
    lines[end.saturating_sub(TAIL_LINES)..end].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    fn scratch(name: &str) -> PathBuf {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("curd-build-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// An archive entry, with its name written as is: the tar crate's own
    /// builder refuses the names these tests need.
    enum Entry<'a> {
        Dir(&'a str),
        File(&'a str, &'a [u8]),
        Executable(&'a str, &'a [u8]),
        Link(&'a str, &'a str),
        HardLink(&'a str, &'a str),
        Fifo(&'a str),
    }

    fn tar_gz(dir: &Path, entries: &[Entry]) -> PathBuf {
        let path = dir.join("demo-1.0.tar.gz");
        let gz = flate2::write::GzEncoder::new(
            File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        let mut builder = tar::Builder::new(gz);
        for entry in entries {
            let mut header = tar::Header::new_gnu();
            let (name, kind, data, link, mode): (&str, _, &[u8], &str, u32) = match entry {
                Entry::Dir(name) => (name, tar::EntryType::Directory, b"", "", 0o755),
                Entry::File(name, data) => (name, tar::EntryType::Regular, data, "", 0o664),
                Entry::Executable(name, data) => (name, tar::EntryType::Regular, data, "", 0o4775),
                Entry::Link(name, target) => (name, tar::EntryType::Symlink, b"", target, 0o777),
                Entry::HardLink(name, target) => (name, tar::EntryType::Link, b"", target, 0o644),
                Entry::Fifo(name) => (name, tar::EntryType::Fifo, b"", "", 0o644),
            };
            header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
            header.set_entry_type(kind);
            header.set_size(data.len() as u64);
            header.set_mode(mode);
            header.set_mtime(1_000_000_000);
            header.set_cksum();
            builder.append(&header, data).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap();
        path
    }

    fn zip(dir: &Path, entries: &[Entry]) -> PathBuf {
        let path = dir.join("demo-1.0.zip");
        let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        for entry in entries {
            match entry {
                Entry::Dir(name) => zip.add_directory(*name, options).unwrap(),
                Entry::File(name, data) => {
                    zip.start_file(*name, options).unwrap();
                    zip.write_all(data).unwrap();
                }
                Entry::Executable(name, data) => {
                    zip.start_file(*name, options.unix_permissions(0o755))
                        .unwrap();
                    zip.write_all(data).unwrap();
                }
                Entry::Link(name, target) => zip.add_symlink(*name, *target, options).unwrap(),
                Entry::HardLink(..) | Entry::Fifo(_) => unreachable!("not in zip files"),
            }
        }
        zip.finish().unwrap();
        path
    }

    fn refusal(result: Result<PathBuf, BuildError>) -> (String, String) {
        match result {
            Err(BuildError::UnsafeEntry { entry, reason, .. }) => (entry, reason),
            other => panic!("expected a refused entry, got {other:?}"),
        }
    }

    #[test]
    fn unpacks_the_one_folder() {
        let dir = scratch("good");
        let sdist = tar_gz(
            &dir,
            &[
                Entry::Dir("./"),
                Entry::Dir("./demo-1.0/"),
                Entry::File("./demo-1.0/pyproject.toml", b"[build-system]\n"),
                // No folder entry before it: the folders are made anyway.
                Entry::File("demo-1.0/src/demo/__init__.py", b"X = 1\n"),
                Entry::Executable("demo-1.0/tools/run.sh", b"#!/bin/sh\n"),
                Entry::Link("demo-1.0/README", "src/demo/__init__.py"),
                Entry::Link("demo-1.0/src/demo/up", "../../tools"),
                Entry::HardLink("demo-1.0/copy.py", "demo-1.0/src/demo/__init__.py"),
                Entry::Dir("demo-1.0/src/"),
                Entry::File("demo-1.0/old-style/", b""),
            ],
        );
        let dest = dir.join("out");
        let project = unpack_sdist(&sdist, &dest).unwrap();
        assert_eq!(project, dest.join("demo-1.0"));
        let read = |path: &str| std::fs::read_to_string(project.join(path)).unwrap();
        assert_eq!(read("pyproject.toml"), "[build-system]\n");
        assert_eq!(read("README"), "X = 1\n");
        assert_eq!(read("copy.py"), "X = 1\n");
        assert_eq!(read("src/demo/up/run.sh"), "#!/bin/sh\n");
        assert!(project.join("old-style").is_dir());
        assert_eq!(
            std::fs::read_link(project.join("README")).unwrap(),
            Path::new("src/demo/__init__.py")
        );
        let meta = std::fs::metadata(project.join("src/demo/__init__.py")).unwrap();
        assert_eq!(
            meta.modified().unwrap(),
            UNIX_EPOCH + Duration::from_secs(1_000_000_000)
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &str| {
                std::fs::metadata(project.join(path))
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o7777
            };
            // No setuid, no group write, whatever the archive says.
            assert_eq!(mode("tools/run.sh") & !0o755, 0);
            assert_ne!(mode("tools/run.sh") & 0o100, 0);
            assert_eq!(mode("pyproject.toml") & 0o111, 0);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn unpacks_zip_sdists() {
        let dir = scratch("zip");
        let sdist = zip(
            &dir,
            &[
                Entry::File("demo-1.0/setup.py", b"import setuptools\n"),
                Entry::Executable("demo-1.0/bin/tool", b"#!/bin/sh\n"),
                Entry::Link("demo-1.0/link", "setup.py"),
            ],
        );
        let project = unpack_sdist(&sdist, &dir.join("out")).unwrap();
        assert_eq!(
            std::fs::read_to_string(project.join("link")).unwrap(),
            "import setuptools\n"
        );
        assert!(is_executable(
            &File::open(project.join("bin/tool")).unwrap()
        ));
        let sdist = zip(&dir, &[Entry::File("demo-1.0/../../evil", b"x")]);
        let (entry, reason) = refusal(unpack_sdist(&sdist, &dir.join("out2")));
        assert_eq!(entry, "demo-1.0/../../evil");
        assert_eq!(reason, "goes up a folder with `..`");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn refuses_names_outside_the_destination() {
        let dir = scratch("names");
        let dest = dir.join("a/b/out");
        for (name, expected) in [
            ("demo-1.0/../../../escaped", "goes up a folder with `..`"),
            ("../escaped", "goes up a folder with `..`"),
            ("/tmp/escaped", "is an absolute path"),
            ("demo-1.0\\..\\..\\escaped", "holds a backslash"),
        ] {
            let sdist = tar_gz(
                &dir,
                &[Entry::File("demo-1.0/ok", b"1"), Entry::File(name, b"evil")],
            );
            let (entry, reason) = refusal(unpack_sdist(&sdist, &dest));
            assert_eq!((entry.as_str(), reason.as_str()), (name, expected));
            let _ = std::fs::remove_dir_all(&dest);
        }
        assert!(!dir.join("a/escaped").exists() && !dir.join("escaped").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn refuses_links_out_of_the_project() {
        let dir = scratch("links");
        let dest = dir.join("out");
        for (entries, bad, expected) in [
            (
                vec![Entry::Link("demo-1.0/passwd", "/etc/passwd")],
                "demo-1.0/passwd",
                "is a link to `/etc/passwd`",
            ),
            (
                vec![Entry::Link("demo-1.0/sub/up", "../../out")],
                "demo-1.0/sub/up",
                "is a link to `../../out`, outside the project",
            ),
            (
                vec![Entry::Link("demo-1.0/empty", "")],
                "demo-1.0/empty",
                "is a link to nothing",
            ),
            // By name `a/a/a/../../..` is the project; on disk, with `a -> .`,
            // it is two folders above it.
            (
                vec![
                    Entry::Link("demo-1.0/b", "a/a/a/../../.."),
                    Entry::Link("demo-1.0/a", "."),
                ],
                "demo-1.0/b",
                "is a link to `a/a/a/../../..`, which goes up after passing through the link `demo-1.0/a`",
            ),
            (
                vec![Entry::HardLink("demo-1.0/shadow", "/etc/shadow")],
                "demo-1.0/shadow",
                "is a hard link to `/etc/shadow`, which is not a file unpacked before it",
            ),
            (
                vec![Entry::HardLink("demo-1.0/later", "demo-1.0/x")],
                "demo-1.0/later",
                "is a hard link to `demo-1.0/x`, which is not a file unpacked before it",
            ),
            // A link to a folder, then a file written through it.
            (
                vec![
                    Entry::Link("demo-1.0/dir", "sub"),
                    Entry::Dir("demo-1.0/sub"),
                    Entry::Link("demo-1.0/dir/x", "../y"),
                ],
                "demo-1.0/dir/x",
                "passes through `demo-1.0/dir`, which is not a folder",
            ),
            (
                vec![
                    Entry::Link("demo-1.0/x", "y"),
                    Entry::File("demo-1.0/x", b"1"),
                ],
                "demo-1.0/x",
                "clashes with an entry before it",
            ),
            (
                vec![Entry::Fifo("demo-1.0/pipe")],
                "demo-1.0/pipe",
                "is a device file or a pipe",
            ),
        ] {
            let mut all = vec![Entry::File("demo-1.0/y", b"1")];
            all.extend(entries);
            let sdist = tar_gz(&dir, &all);
            let (entry, reason) = refusal(unpack_sdist(&sdist, &dest));
            assert_eq!((entry.as_str(), reason.as_str()), (bad, expected));
            let _ = std::fs::remove_dir_all(&dest);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn needs_exactly_one_top_level_folder() {
        let dir = scratch("top");
        for (entries, expected) in [
            (
                vec![
                    Entry::File("demo-1.0/a", b"1"),
                    Entry::File("other/b", b"1"),
                ],
                "`demo-1.0` and `other`",
            ),
            (
                vec![Entry::File("setup.py", b"1")],
                "`setup.py`, which is not a folder",
            ),
            (
                vec![Entry::Dir("demo-1.0"), Entry::File("PKG-INFO", b"1")],
                "`demo-1.0` and `PKG-INFO`",
            ),
            (vec![Entry::Dir("./")], "nothing"),
        ] {
            let sdist = tar_gz(&dir, &entries);
            let dest = dir.join("out");
            match unpack_sdist(&sdist, &dest) {
                Err(BuildError::TopLevel { found, .. }) => assert_eq!(found, expected),
                other => panic!("expected a top-level error, got {other:?}"),
            }
            let _ = std::fs::remove_dir_all(&dest);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bounds_what_it_writes() {
        let dir = scratch("bounds");
        let big = vec![b'x'; 10_000];
        let sdist = tar_gz(
            &dir,
            &[
                Entry::File("demo-1.0/a", &big),
                Entry::File("demo-1.0/b", &big),
            ],
        );
        let limits = Limits {
            bytes: 15_000,
            entries: 100,
        };
        let err = unpack_within(&sdist, &dir.join("out"), limits).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "refusing to unpack `{}`: it unpacks to more than 15000 bytes",
                sdist.display()
            )
        );
        let limits = Limits {
            bytes: 1 << 20,
            entries: 1,
        };
        let err = unpack_within(&sdist, &dir.join("out2"), limits).unwrap_err();
        assert!(
            err.to_string().ends_with("it holds more than 1 entries"),
            "{err}"
        );
        let sdist = zip(&dir, &[Entry::File("demo-1.0/a", &big)]);
        let limits = Limits {
            bytes: 5_000,
            entries: 100,
        };
        assert!(matches!(
            unpack_within(&sdist, &dir.join("out3"), limits),
            Err(BuildError::TooLarge { .. })
        ));
        // Headers can lie: an entry that says it holds 1 byte and holds 10 000 is
        // stopped by what is written.
        let dest = dir.join("out4");
        std::fs::create_dir_all(&dest).unwrap();
        let mut unpacker = Unpacker {
            sdist: &sdist,
            dest: &dest,
            limits,
            top: None,
            bytes: 0,
            entries: 0,
            dirs: HashSet::new(),
            files: HashSet::new(),
            links: Vec::new(),
        };
        let kind = Kind::File {
            executable: false,
            modified: None,
        };
        let result = unpacker.entry("demo-1.0/a", kind, &mut &big[..], 1);
        assert!(
            matches!(result, Err(BuildError::TooLarge { .. })),
            "{result:?}"
        );
        assert!(std::fs::metadata(dest.join("demo-1.0/a")).unwrap().len() <= 5_000);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn refuses_damaged_and_unknown_archives() {
        let dir = scratch("damaged");
        let sdist = dir.join("demo-1.0.tar.gz");
        std::fs::write(&sdist, b"not gzip at all").unwrap();
        let err = unpack_sdist(&sdist, &dir.join("out")).unwrap_err();
        assert!(matches!(err, BuildError::Archive { .. }), "{err:?}");
        assert!(
            err.to_string().starts_with("cannot read the sdist `"),
            "{err}"
        );
        let other = dir.join("demo-1.0.tar.bz2");
        std::fs::write(&other, b"").unwrap();
        assert_eq!(
            unpack_sdist(&other, &dir.join("out"))
                .unwrap_err()
                .to_string(),
            format!(
                "cannot unpack `{}`: expected a `.tar.gz` or `.zip` sdist",
                other.display()
            )
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn backend_references_are_module_and_object() {
        for good in [
            "setuptools.build_meta",
            "setuptools.build_meta:__legacy__",
            "flit_core.buildapi",
            "backend",
            "a.b:c.d",
        ] {
            assert!(is_backend_reference(good), "{good}");
        }
        for bad in [
            "", ":", "a:", ":b", "a..b", "1a", "a-b", "a:b:c", "a b", "a/b",
        ] {
            assert!(!is_backend_reference(bad), "{bad}");
        }
    }

    #[test]
    fn backend_path_stays_in_the_project() {
        let dir = scratch("backend-path");
        let project = dir.join("demo-1.0");
        std::fs::create_dir_all(project.join("_build")).unwrap();
        assert_eq!(
            backend_folder(&project, "_build").unwrap(),
            project.join("_build")
        );
        assert_eq!(backend_folder(&project, ".").unwrap(), project);
        assert_eq!(
            backend_folder(&project, "a/../_build").unwrap(),
            project.join("_build")
        );
        for bad in ["..", "../demo-1.0", "a/../..", "/usr/lib/python3"] {
            assert_eq!(
                backend_folder(&project, bad).unwrap_err(),
                format!("`build-system.backend-path` holds `{bad}`, outside the project")
            );
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/usr", project.join("usr")).unwrap();
            assert!(backend_folder(&project, "usr").is_err());
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn tails_show_the_last_lines_as_a_terminal_would() {
        let text: String = (1..=30).map(|n| format!("line {n}\n")).collect();
        let shown = tail(&format!("{text}\n\n"));
        assert_eq!(shown.lines().count(), TAIL_LINES);
        assert!(shown.starts_with("line 11\n") && shown.ends_with("line 30"));
        assert_eq!(tail("10%\r50%\r100%\ndone\n"), "100%\ndone");
        assert_eq!(tail("\u{1b}[31mred\u{1b}[0m"), "\\u{1b}[31mred\\u{1b}[0m");
        assert_eq!(tail(""), "");
    }
}

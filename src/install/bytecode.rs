//! Bytecode: where Python caches it (PEP 3147, 488), and `--compile`, bytecode for
//! what is installed (runs Python).
//!
//! With hard links, modules are compiled where the cache keeps each unpacked wheel,
//! once per interpreter cache tag, and the `.pyc` files are then linked into every
//! environment beside their sources ([`record_bytecode`]): a machine compiles a wheel
//! once, not once per environment. Copies get a new mtime, which would make that
//! bytecode stale, so with `--link-mode copy` the environment's site-packages is
//! compiled after installing instead, as pip does.
//!
//! As with pip, a module that does not compile (Python 2 syntax in a test folder,
//! say) is skipped, not an error: Python reports it if it is ever imported.

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::error::InstallError;
use super::layout::Target;
use super::stream::Hasher;
use super::wheel::{MAX_TEXT_BYTES, Source, Wheel, is_safe_entry, parse_record};
use crate::standards::filename::WheelFilename;
use crate::standards::record::{self, Algorithm, Row};
use crate::util::fs::{Context, TempFile, read_bounded};

/// Compiles the NUL-separated paths on stdin on every core. `py_compile.compile`
/// itself is what the pool runs, so workers need nothing from this script (which
/// `spawn`, the start method off Linux, could not import); it prints what fails to
/// stderr, which the caller discards.
const SCRIPT: &str = r#"
import os, sys, py_compile
from concurrent.futures import ProcessPoolExecutor

paths = [os.fsdecode(p) for p in sys.stdin.buffer.read().split(b"\0") if p]
workers = min(os.cpu_count() or 1, max(1, len(paths) // 64))
if workers == 1:
    for path in paths:
        py_compile.compile(path)
else:
    with ProcessPoolExecutor(workers) as pool:
        for _ in pool.map(py_compile.compile, paths, chunksize=max(1, len(paths) // (workers * 8))):
            pass
"#;

/// Why bytecode could not be compiled; what was installed stays installed.
#[derive(Debug)]
pub enum BytecodeError {
    /// An unpacked wheel, or the list of its bytecode, could not be read or written.
    Install(InstallError),
    /// The interpreter could not be run.
    Spawn { python: PathBuf, source: io::Error },
    /// The paths to compile could not be handed to the interpreter.
    Send { python: PathBuf, source: io::Error },
    /// The compiling script failed; the last line of its stderr says why.
    Script { stderr: String },
    /// `compileall` failed otherwise than for a module that does not compile.
    Compileall { stderr: String },
}

impl fmt::Display for BytecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BytecodeError::Install(error) => error.fmt(f),
            BytecodeError::Spawn { python, source } => {
                write!(f, "cannot run `{}`: {source}", python.display())
            }
            BytecodeError::Send { python, source } => {
                write!(f, "cannot send paths to `{}`: {source}", python.display())
            }
            BytecodeError::Script { stderr } => {
                let last = stderr.trim_end().lines().last().unwrap_or("no message");
                write!(f, "byte-compiling failed: {last}")
            }
            BytecodeError::Compileall { stderr } => {
                write!(f, "byte-compiling failed:\n{}", stderr.trim_end())
            }
        }
    }
}

impl std::error::Error for BytecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BytecodeError::Install(error) => error.source(),
            BytecodeError::Spawn { source, .. } | BytecodeError::Send { source, .. } => {
                Some(source)
            }
            BytecodeError::Script { .. } | BytecodeError::Compileall { .. } => None,
        }
    }
}

impl From<InstallError> for BytecodeError {
    fn from(error: InstallError) -> Self {
        BytecodeError::Install(error)
    }
}

/// Compiles, in the cache, the unpacked wheels that have no bytecode for `tag` yet.
pub fn compile_cached(
    python: &Path,
    tag: &str,
    wheels: &[(&Path, &WheelFilename)],
) -> Result<(), BytecodeError> {
    let mut todo = Vec::new();
    for (unpacked, filename) in wheels {
        if !has_bytecode(unpacked, tag) {
            let sources = python_sources(unpacked, filename, tag)?;
            todo.push((*unpacked, sources));
        }
    }
    let paths: Vec<&PathBuf> = todo.iter().flat_map(|(_, sources)| sources).collect();
    if !paths.is_empty() {
        compile_files(python, &paths)?;
    }
    for (unpacked, sources) in &todo {
        record_bytecode(unpacked, sources, tag)?;
    }
    Ok(())
}

/// Compiles the environment's site-packages in place.
pub fn compile_environment(target: &Target) -> Result<(), BytecodeError> {
    let scheme = &target.scheme;
    let mut dirs = vec![scheme.purelib.clone()];
    if scheme.platlib != scheme.purelib {
        dirs.push(scheme.platlib.clone());
    }
    let out = Command::new(&target.python)
        .args(["-m", "compileall", "-q", "-j", "0"])
        .args(&dirs)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| BytecodeError::Spawn {
            python: target.python.clone(),
            source,
        })?;
    // compileall fails when any module fails; that is a module to skip, not an error.
    match out.status.code() {
        Some(0 | 1) => Ok(()),
        _ => Err(BytecodeError::Compileall {
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }),
    }
}

fn compile_files(python: &Path, paths: &[&PathBuf]) -> Result<(), BytecodeError> {
    let spawn_error = |source| BytecodeError::Spawn {
        python: python.to_path_buf(),
        source,
    };
    let mut child = Command::new(python)
        .args(["-I", "-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    let mut input = Vec::new();
    for path in paths {
        input.extend_from_slice(path.as_os_str().as_encoded_bytes());
        input.push(0);
    }
    // Written before reading stderr: the script reads all of stdin before it prints.
    let written = child
        .stdin
        .take()
        .map(|mut stdin| stdin.write_all(&input))
        .transpose();
    let out = child.wait_with_output().map_err(spawn_error)?;
    if let Err(source) = written {
        return Err(BytecodeError::Send {
            python: python.to_path_buf(),
            source,
        });
    }
    if out.status.success() {
        Ok(())
    } else {
        Err(BytecodeError::Script {
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

/// The modules of an unpacked wheel that an installer byte-compiles: its `.py` files
/// that land in purelib or platlib, as paths inside `unpacked`, less those whose
/// bytecode for this cache tag the wheel itself carries.
fn python_sources(
    unpacked: &Path,
    filename: &WheelFilename,
    tag: &str,
) -> Result<Vec<PathBuf>, InstallError> {
    let wheel = Wheel::open(Source::Unpacked(unpacked), filename)?;
    let stem = wheel
        .dist_info
        .strip_suffix(".dist-info")
        .unwrap_or(&wheel.dist_info);
    let data = format!("{stem}.data/");
    let listed: HashSet<&str> = wheel.record.iter().map(|row| row.path.as_str()).collect();
    Ok(wheel
        .record
        .iter()
        .filter_map(|row| row.path.strip_suffix(".py"))
        .filter(|module| is_safe_entry(module))
        .filter(|module| match module.strip_prefix(&data) {
            Some(rest) => rest.starts_with("purelib/") || rest.starts_with("platlib/"),
            None => true,
        })
        .filter(|module| !listed.contains(bytecode_path(module, tag).as_str()))
        .map(|module| unpacked.join(format!("{module}.py")))
        .collect())
}

/// Where Python keeps a module's bytecode: `a/b.py` -> `a/__pycache__/b.TAG.pyc`.
fn bytecode_path(module: &str, tag: &str) -> String {
    match module.rsplit_once('/') {
        Some((dir, stem)) => format!("{dir}/__pycache__/{stem}.{tag}.pyc"),
        None => format!("__pycache__/{module}.{tag}.pyc"),
    }
}

/// Lists, beside an unpacked wheel, the bytecode compiled for `sources` (from
/// [`python_sources`]) by an interpreter with this cache tag, so installs with
/// [`InstallOptions::bytecode`](super::InstallOptions::bytecode) link it like the sources: compiled once per machine,
/// not once per environment. A module that did not compile is left out. The `.pyc`
/// files record their source's size and mtime, which hard links share, so Python
/// takes them as current; `co_filename` is set from where they are loaded.
fn record_bytecode(unpacked: &Path, sources: &[PathBuf], tag: &str) -> Result<(), InstallError> {
    let mut rows = Vec::new();
    for source in sources {
        let Some(module) = source
            .strip_prefix(unpacked)
            .ok()
            .and_then(|p| p.to_str())
            .and_then(|p| p.strip_suffix(".py"))
        else {
            continue;
        };
        let path = bytecode_path(module, tag);
        let pyc = unpacked.join(&path);
        let bytes = match fs::read(&pyc) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => Err(error).context("read", &pyc)?,
        };
        let mut hasher = Hasher::new(Algorithm::Sha256);
        hasher.update(&bytes);
        rows.push(Row {
            path,
            hash: hasher.finish(),
            size: Some(bytes.len() as u64),
            line: 0,
        });
    }
    let mut temp = TempFile::new_in(unpacked)?;
    temp.write_all(record::write(&rows).as_bytes())
        .context("write", temp.path())?;
    // Synced, unlike the cache's downloads: installs trust the list as they trust
    // RECORD, so a crash must not leave half of it.
    temp.persist(&bytecode_list(unpacked, tag))?;
    Ok(())
}

/// Whether [`record_bytecode`] ran for this unpacked wheel and cache tag.
fn has_bytecode(unpacked: &Path, tag: &str) -> bool {
    bytecode_list(unpacked, tag).is_file()
}

fn bytecode_list(unpacked: &Path, tag: &str) -> PathBuf {
    unpacked.join(format!(".curd-bytecode-{tag}"))
}

/// The bytecode [`record_bytecode`] listed beside an unpacked wheel for this cache
/// tag, to be placed like the wheel's files; none if it never ran.
pub(super) fn listed_bytecode(unpacked: &Path, tag: &str) -> Result<Vec<Row>, InstallError> {
    let list = bytecode_list(unpacked, tag);
    let bytes = match read_bounded(&list, MAX_TEXT_BYTES) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => Err(error).context("read", &list)?,
    };
    parse_record(&bytes, &list)
}

/// Whether `name` in a `__pycache__` folder is bytecode cached for `{stem}.py`:
/// `{stem}.{cache tag}.pyc` or `{stem}.{cache tag}.opt-{level}.pyc` (PEP 3147, 488).
pub(super) fn is_cached_bytecode(name: &str, stem: &str) -> bool {
    let Some(rest) = name
        .strip_prefix(stem)
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|rest| rest.strip_suffix(".pyc"))
    else {
        return false;
    };
    let mut parts = rest.split('.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(tag), None, None) => !tag.is_empty(),
        (Some(tag), Some(level), None) => !tag.is_empty() && level.starts_with("opt-"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognizes_cached_bytecode() {
        for name in [
            "mod.cpython-311.pyc",
            "mod.cpython-311.opt-1.pyc",
            "mod.pypy39.opt-2.pyc",
        ] {
            assert!(is_cached_bytecode(name, "mod"), "{name}");
        }
        for name in [
            "mod.pyc",
            "mod.b.cpython-311.pyc",
            "module.cpython-311.pyc",
            "mod.cpython-311.pyc.tmp",
            "mod..pyc",
            "mod.cpython-311.x.pyc",
        ] {
            assert!(!is_cached_bytecode(name, "mod"), "{name}");
        }
    }
}

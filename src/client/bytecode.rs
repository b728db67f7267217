//! `--compile`: bytecode for what is installed (runs Python).
//!
//! With hard links, modules are compiled where the cache keeps each unpacked wheel,
//! once per interpreter cache tag, and the `.pyc` files are then linked into every
//! environment beside their sources ([`install::record_bytecode`]): a machine
//! compiles a wheel once, not once per environment. Copies get a new mtime, which
//! would make that bytecode stale, so with `--link-mode copy` the environment's
//! site-packages is compiled after installing instead, as pip does.
//!
//! As with pip, a module that does not compile (Python 2 syntax in a test folder,
//! say) is skipped, not an error: Python reports it if it is ever imported.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::client::environment::Environment;
use crate::install;
use crate::standards::filename::WheelFilename;

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

/// Compiles, in the cache, the unpacked wheels that have no bytecode for `tag` yet.
pub fn compile_cached(
    python: &Path,
    tag: &str,
    wheels: &[(&Path, &WheelFilename)],
) -> Result<(), String> {
    let mut todo = Vec::new();
    for (unpacked, filename) in wheels {
        if !install::has_bytecode(unpacked, tag) {
            let sources =
                install::python_sources(unpacked, filename, tag).map_err(|e| e.to_string())?;
            todo.push((*unpacked, sources));
        }
    }
    let paths: Vec<&PathBuf> = todo.iter().flat_map(|(_, sources)| sources).collect();
    if !paths.is_empty() {
        compile_files(python, &paths)?;
    }
    for (unpacked, sources) in &todo {
        install::record_bytecode(unpacked, sources, tag).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Compiles the environment's site-packages in place.
pub fn compile_environment(env: &Environment) -> Result<(), String> {
    let scheme = &env.target.scheme;
    let mut dirs = vec![scheme.purelib.clone()];
    if scheme.platlib != scheme.purelib {
        dirs.push(scheme.platlib.clone());
    }
    let out = Command::new(&env.target.python)
        .args(["-m", "compileall", "-q", "-j", "0"])
        .args(&dirs)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", env.target.python.display()))?;
    // compileall fails when any module fails; that is a module to skip, not an error.
    match out.status.code() {
        Some(0 | 1) => Ok(()),
        _ => Err(format!(
            "byte-compiling failed:\n{}",
            String::from_utf8_lossy(&out.stderr).trim_end()
        )),
    }
}

fn compile_files(python: &Path, paths: &[&PathBuf]) -> Result<(), String> {
    let spawn_error = |e: std::io::Error| format!("cannot run `{}`: {e}", python.display());
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
    if let Err(e) = written {
        return Err(format!("cannot send paths to `{}`: {e}", python.display()));
    }
    if out.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.trim_end().lines().last().unwrap_or("no message");
        Err(format!("byte-compiling failed: {last}"))
    }
}

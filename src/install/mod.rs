//! Writes files: installs wheels into a Python environment, unpacks them into a
//! cache folder, uninstalls what was installed, and has the environment's
//! interpreter compile bytecode for it.
//!
//! - Wheels: <https://packaging.python.org/en/latest/specifications/binary-distribution-format/>
//! - RECORD, INSTALLER, REQUESTED:
//!   <https://packaging.python.org/en/latest/specifications/recording-installed-packages/>
//! - Console and GUI scripts: <https://packaging.python.org/en/latest/specifications/entry-points/>
//! - `direct_url.json`: <https://packaging.python.org/en/latest/specifications/direct-url-data-structure/>
//!
//! The shape is pypa/installer's: [`install_wheel`] is a short orchestrator over a
//! source (a wheel archive, or a folder [`unpack`] made from one) and a destination
//! (the environment's folders); each file written gives back its RECORD row, and
//! RECORD is written last, from the rows of what was actually written.
//!
//! Wheels are input. Every path in the archive is checked before anything is
//! written (no absolute paths, no `..`, nothing that could land outside the scheme's
//! folders); every file is checked against RECORD while it streams to disk; no entry
//! may decompress to more than RECORD declares, so a zip bomb stops one byte past
//! its declared size.
//!
//! Nothing is left half-installed: files are written under temporary names beside
//! their destinations and renamed into place only once the whole wheel has verified,
//! the `.dist-info` folder last and RECORD very last. Any error before that removes
//! the temporary files and the folders made for them, so the environment is as it
//! was, including files the install would have replaced.
//!
//! Each call touches only its own files and keeps no global state beyond a counter
//! for unique temporary names, so wheels can be installed from several threads at once.
//!
//! The files, in the order data flows: `wheel` reads the source, `stream` hashes
//! and bounds its bytes, `layout` says where each file goes, `destination` places it
//! through `writer` (staging, renames, cleanup) and `script` (launchers, shebangs)
//! and gives back its RECORD row; `uninstall` reads what is installed and removes it
//! through RECORD, and `seal` remembers how a whole project's folders looked, so a
//! run that changes nothing need not check it file by file; `bytecode` compiles
//! what is installed. RECORD's rows and text are [`crate::standards::record`]'s.

mod bytecode;
mod destination;
mod error;
mod layout;
mod script;
mod journal;
mod seal;
mod stream;
mod transaction;
mod uninstall;
mod wheel;
mod writer;

use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

pub use self::bytecode::{BytecodeError, compile_cached, compile_environment};
pub use self::error::{InstallError, WheelFileError};
pub use self::journal::JOURNAL;
pub use self::layout::{Scheme, Target};
pub use self::seal::{SETTLE, Seal, Seals, seal};
pub use self::transaction::{Change, Recovered, Staged, Transaction, recover};
pub use self::uninstall::{
    Damage, InstalledDist, Inventory, Removal, Removed, Spare, damage, installed, record, uninstall,
};
pub use self::wheel::Source;
pub use self::writer::LinkMode;

use self::destination::Destination;
use self::journal::Journal;
use self::layout::{InstallLayout, Layout};
use self::script::{launcher, parse_entry_points, shebang};
use self::wheel::Wheel;
use self::writer::{Staging, Writer};
use crate::standards::filename::WheelFilename;
use crate::standards::record::Row;
use crate::util::fs::Context;
use crate::util::sync::Jobs;

/// How many files of a wheel one thread writes at a time: a wheel of fewer is
/// written by one thread, and a big one is shared out in parts small enough that
/// threads finish close together.
const FILES_PER_PART: usize = 64;

/// How to install a wheel: what to write beside its files, and how to place them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallOptions {
    /// Written to `.dist-info/INSTALLER`: the command that installed the project.
    pub installer: &'static str,
    /// Whether the user asked for this project rather than it coming in as a
    /// dependency: writes `.dist-info/REQUESTED`.
    pub requested: bool,
    /// The JSON text of `direct_url.json`, for projects installed from a URL or a
    /// path rather than by name from an index.
    pub direct_url: Option<String>,
    /// How files of a [`Source::Unpacked`] wheel are placed; ignored for archives.
    pub link: LinkMode,
    /// An interpreter's `sys.implementation.cache_tag`: also place the bytecode
    /// [`compile_cached`] kept for it beside a [`Source::Unpacked`] wheel's sources.
    pub bytecode: Option<String>,
}

/// What an install did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Installed {
    pub dist_info: PathBuf,
    /// The number of files written, RECORD included.
    pub files: usize,
    /// What the user should be told but did not stop the install (a newer minor
    /// wheel format, which the specification says to install with a warning).
    pub warnings: Vec<String>,
}

/// Installs one wheel into `target`.
///
/// The wheel must be `filename`'s: its one `.dist-info` folder is checked against the
/// file name's project and version. An installed earlier version is not removed
/// (files it has that this one lacks would stay): [`uninstall`](uninstall()) it first,
/// as pip does.
/// Bytecode is not compiled ("compile any installed .py to .pyc" needs the
/// environment's interpreter: [`compile_environment`] runs it); Python writes it on
/// first import.
pub fn install_wheel(
    source: Source<'_>,
    filename: &WheelFilename,
    target: &Target,
    options: &InstallOptions,
) -> Result<Installed, InstallError> {
    let (writer, installed) = write_wheel(source, filename, target, options, None, &Jobs::new(1))?;
    writer.commit()?;
    Ok(installed)
}

impl Transaction {
    /// Writes a wheel beside its place, as [`install_wheel`] would install it, a
    /// big one on as many threads as `jobs` has free; it is placed by
    /// [`Transaction::commit`].
    pub fn stage(
        &self,
        source: Source<'_>,
        filename: &WheelFilename,
        target: &Target,
        options: &InstallOptions,
        jobs: &Jobs,
    ) -> Result<Staged<'_>, InstallError> {
        let journal = Some(self.journal());
        let (writer, _) = write_wheel(source, filename, target, options, journal, jobs)?;
        Ok(Staged::new(writer))
    }
}

/// Writes every file of a wheel beside its place (in `journal`'s transaction, if
/// given), leaving the renames into place to the writer's commit.
fn write_wheel<'j>(
    source: Source<'_>,
    filename: &WheelFilename,
    target: &Target,
    options: &InstallOptions,
    journal: Option<&'j Journal>,
    jobs: &Jobs,
) -> Result<(Writer<'j>, Installed), InstallError> {
    if let Some(text) = &options.direct_url {
        check_direct_url(text)?;
    }
    // Unpack: "Parse distribution-1.0.dist-info/WHEEL. Check that installer is
    // compatible with Wheel-Version."
    let mut wheel = Wheel::open(source, filename)?;
    if let (Some(tag), Source::Unpacked(dir)) = (&options.bytecode, source) {
        wheel.bytecode = bytecode::listed_bytecode(dir, tag)?;
    }
    let scripts = match &wheel.entry_points {
        Some(text) => {
            parse_entry_points(text).map_err(|error| InstallError::InvalidEntryPoint {
                wheel: wheel.path.clone(),
                line: error.line,
                expected: error.expected,
            })?
        }
        None => Vec::new(),
    };
    let layout = InstallLayout::new(&wheel, filename, &target.scheme, &scripts)?;
    let dist_info = layout.root.dir.join(&wheel.dist_info);
    let scripts_place = layout.scripts.clone();
    let mut destination = Destination {
        wheel: wheel.path.clone(),
        writer: Writer::staged(dist_info.clone(), journal),
        shebang: shebang(&target.python),
        link: options.link,
        layout: Layout::Install(Box::new(layout)),
        stop: None,
    };
    // "If Root-Is-Purelib == 'true', unpack archive into purelib (site-packages).
    // Else unpack archive into platlib (site-packages)." Spread: "Move each subtree
    // of distribution-1.0.data/ onto its destination path." ("Remove empty
    // distribution-1.0.data directory": it is never made, files go straight to their
    // destination.) And "during extraction, wheel installers verify all the hashes
    // in RECORD against the file contents."
    let mut rows = place_files(&wheel, &mut destination, jobs)?;
    // Entry points: "Install tools are expected to set up wrappers for both
    // console_scripts and gui_scripts in the scripts directory of the install scheme."
    for script in &scripts {
        let (path, record) = scripts_place.join(&script.name);
        let text = launcher(&destination.shebang, &script.module, &script.function);
        rows.push(destination.write_generated(path, record, text.as_bytes(), true)?);
    }
    // "INSTALLER ... should contain the command name."
    let (installer, record) = (
        dist_info.join("INSTALLER"),
        format!("{}/INSTALLER", wheel.dist_info),
    );
    let text = format!("{}\n", options.installer);
    rows.push(destination.write_generated(installer, record, text.as_bytes(), false)?);
    // "If a distribution is installed by direct user request (the usual case), a file
    // named REQUESTED must be added ... The REQUESTED file may be empty."
    if options.requested {
        let (path, record) = (
            dist_info.join("REQUESTED"),
            format!("{}/REQUESTED", wheel.dist_info),
        );
        rows.push(destination.write_generated(path, record, b"", false)?);
    }
    // "This file MUST be created in the .dist-info directory by installers when
    // installing a distribution from a requirement specifying a direct URL reference."
    if let Some(text) = &options.direct_url {
        let (path, record) = (
            dist_info.join("direct_url.json"),
            format!("{}/direct_url.json", wheel.dist_info),
        );
        rows.push(destination.write_generated(path, record, text.as_bytes(), false)?);
    }
    // "Update distribution-1.0.dist-info/RECORD with the installed paths": the
    // contents of .dist-info "including the RECORD file itself must be listed".
    let record = format!("{}/RECORD", wheel.dist_info);
    destination.write_record(dist_info.join("RECORD"), &rows, &record)?;
    let installed = Installed {
        dist_info,
        files: rows.len() + 1,
        warnings: wheel.warnings,
    };
    Ok((destination.writer, installed))
}

/// Extracts a wheel into `dest`, verifying it as [`install_wheel`] does, so later
/// installs can link its files instead of decompressing them again.
///
/// The folder keeps the wheel's layout, with a RECORD listing exactly the files
/// extracted. It appears whole or not at all: extraction happens in a temporary
/// folder beside `dest`, renamed into place at the end. An existing `dest` is taken
/// as already unpacked, so concurrent unpacks of one wheel are harmless.
///
/// A big wheel's entries are taken in ranges by as many threads as `jobs` has free,
/// so the one wheel that is left unpacking at the end of a run (numpy's, pandas')
/// keeps every core busy rather than one.
pub fn unpack(
    wheel: &Path,
    filename: &WheelFilename,
    dest: &Path,
    jobs: &Jobs,
) -> Result<(), InstallError> {
    unpack_until(wheel, filename, dest, jobs, &AtomicBool::new(false))
}

/// [`unpack`], given up once `stop` is set (the temporary folder removed, nothing
/// left behind): for a tree made ahead of need, which the run may end without.
pub fn unpack_until(
    wheel: &Path,
    filename: &WheelFilename,
    dest: &Path,
    jobs: &Jobs,
    stop: &AtomicBool,
) -> Result<(), InstallError> {
    if dest.is_dir() {
        return Ok(());
    }
    let parent = match dest.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(parent).context("create folder", parent)?;
    // What an unpack cut short by Ctrl-C or a kill left beside the trees.
    crate::util::fs::sweep_abandoned(parent);
    let staging = Staging::new(parent)?;
    let wheel = Wheel::open(Source::Zip(wheel), filename)?;
    let mut destination = unpacking(&wheel, &staging.path, stop);
    let rows = place_files(&wheel, &mut destination, jobs)?;
    let record = format!("{}/RECORD", wheel.dist_info);
    destination.write_record(staging.path.join(&record), &rows, &record)?;
    match fs::rename(&staging.path, dest) {
        Ok(()) => staging.keep(),
        // Another process unpacked the same wheel first; the staging copy goes.
        Err(_) if dest.is_dir() => {}
        Err(error) => Err(error).context("rename into place", dest)?,
    }
    Ok(())
}

/// Places every file of `wheel` through `destination` and gives back their RECORD
/// rows. A big wheel is shared out in parts to as many threads as `jobs` has free,
/// so the one wheel left at the end of a run (numpy's, pandas') keeps every core
/// busy rather than one; each part's writer is taken over by `destination`'s.
fn place_files<'j>(
    wheel: &Wheel,
    destination: &mut Destination<'j>,
    jobs: &Jobs,
) -> Result<Vec<Row>, InstallError> {
    let files = wheel.files();
    let parts: Vec<Range<usize>> = (0..files)
        .step_by(FILES_PER_PART)
        .map(|start| start..files.min(start + FILES_PER_PART))
        .collect();
    if parts.len() < 2 {
        let mut rows = Vec::new();
        wheel.for_each_file(|entry, row, content| {
            rows.extend(destination.write_file(entry, row, content)?);
            Ok(())
        })?;
        return Ok(rows);
    }
    // Once a part fails the wheel is refused, and the parts not begun are skipped.
    let failed = AtomicBool::new(false);
    let shared = &*destination;
    let written = jobs.parallel(&parts, |range| {
        let mut part = shared.part();
        let mut rows = Vec::new();
        if failed.load(Ordering::Relaxed) {
            return Ok((part, rows));
        }
        let placed = wheel.for_each_part(range.clone(), |entry, row, content| {
            rows.extend(part.write_file(entry, row, content)?);
            Ok(())
        });
        if placed.is_err() {
            failed.store(true, Ordering::Relaxed);
        }
        placed.map(|()| (part, rows))
    });
    let mut rows = Vec::new();
    let mut parts = Vec::new();
    for outcome in written {
        let (part, part_rows) = outcome?;
        parts.push(part);
        rows.extend(part_rows);
    }
    for part in parts {
        destination.absorb(part)?;
    }
    Ok(rows)
}

/// Writes a wheel's files into `root` as the archive names them.
fn unpacking<'s>(wheel: &Wheel, root: &Path, stop: &'s AtomicBool) -> Destination<'s> {
    Destination {
        wheel: wheel.path.clone(),
        writer: Writer::direct(),
        shebang: Vec::new(),
        link: LinkMode::Copy,
        layout: Layout::Unpack {
            root: root.to_path_buf(),
        },
        stop: Some(stop),
    }
}

/// "This JSON file MUST be a UTF-8 encoded, RFC 8259 compliant, serialization of the
/// direct URL data structure", whose top level is an object.
fn check_direct_url(text: &str) -> Result<(), InstallError> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) if value.is_object() => Ok(()),
        Ok(_) => Err(InstallError::InvalidDirectUrl {
            found: "another JSON value".into(),
        }),
        Err(error) => Err(InstallError::InvalidDirectUrl {
            found: format!("invalid JSON ({error})"),
        }),
    }
}

#[cfg(test)]
mod tests;

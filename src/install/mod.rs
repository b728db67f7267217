//! Writes files: installs wheels into a Python environment, unpacks them into a
//! cache folder, and uninstalls what was installed.
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

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::{self, Write as _};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

use sha2::Digest as _;

use crate::standards::filename::WheelFilename;
use crate::standards::metadata::{CoreMetadata, MAX_METADATA_BYTES, MetadataError, ZipArchive};
use crate::standards::name::PackageName;
use crate::standards::version::Version;
use crate::util::fs::{Context, FsError, read_bounded, read_full, take_bounded, temp_name};

/// Far above any real RECORD (one listing 100,000 files is about 10 MiB), WHEEL or
/// `entry_points.txt`, and a bound on what a hostile wheel can make us hold in memory.
const MAX_TEXT_BYTES: u64 = 64 * 1024 * 1024;

/// The major version of the wheel format this module implements (1.0).
const WHEEL_MAJOR: u64 = 1;

/// Files of `.dist-info` that the installer writes itself, so a wheel's own copies
/// (which the specification says it does not have) are not installed.
const WRITTEN_BY_INSTALLER: [&str; 3] = ["INSTALLER", "REQUESTED", "direct_url.json"];

/// Where an environment's files go: `sysconfig.get_paths()`, asked of the environment's
/// interpreter by the caller. All five should be absolute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scheme {
    pub purelib: PathBuf,
    pub platlib: PathBuf,
    pub scripts: PathBuf,
    /// The environment's prefix: `.data/data` files go under it, and uninstalling
    /// removes nothing outside it.
    pub data: PathBuf,
    /// The folder for C headers, without the project: each project's headers go into
    /// a subfolder named after it, as pip's `get_scheme` does. In a virtual environment
    /// this should be pip's `{prefix}/include/site/pythonX.Y`, because sysconfig's
    /// `include` there is the base interpreter's, which is usually not writable.
    pub headers: PathBuf,
}

/// The environment to install into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub scheme: Scheme,
    /// The absolute path of the environment's interpreter, written into script shebangs.
    pub python: PathBuf,
}

/// How files of an unpacked wheel reach the environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkMode {
    /// An independent copy; where the file system can share extents
    /// (`copy_file_range` on Btrfs or XFS) it does, without being asked.
    Copy,
    /// A hard link to the unpacked file, falling back to a copy where linking fails
    /// (another file system, a link limit). Installed files then share the cache's
    /// bytes: editing one in place edits the other.
    Hardlink,
}

/// Where a wheel's files come from.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// The `.whl` archive itself, verified while it is read.
    Zip(&'a Path),
    /// A folder made by [`unpack`], verified when it was made; its files are linked
    /// or copied, and RECORD's hashes are taken from it rather than recomputed.
    Unpacked(&'a Path),
}

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
    /// [`record_bytecode`] kept for it beside a [`Source::Unpacked`] wheel's sources.
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

/// A project installed in an environment, as its `.dist-info` folder describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstalledDist {
    pub name: PackageName,
    pub version: Version,
    pub dist_info: PathBuf,
}

/// The projects found in an environment's site-packages folders.
#[derive(Debug, Default)]
pub struct Inventory {
    /// Sorted by name.
    pub dists: Vec<InstalledDist>,
    /// `.dist-info` folders that could not be read (no METADATA, unparsable
    /// metadata): left out of `dists`, and worth a debug-level note.
    pub broken: Vec<InstallError>,
}

/// What an uninstall removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    /// Files listed in RECORD, and the cached bytecode of its `.py` files.
    pub files: Vec<PathBuf>,
    /// Folders the uninstall emptied, and the `.dist-info` folder.
    pub dirs: Vec<PathBuf>,
}

/// Why a wheel could not be installed or unpacked, or a project uninstalled.
#[derive(Debug)]
pub enum InstallError {
    Io(FsError),
    NotZip {
        wheel: PathBuf,
        reason: String,
    },
    DuplicateEntries {
        wheel: PathBuf,
    },
    UnreadableEntry {
        wheel: PathBuf,
        entry: String,
        reason: String,
    },
    /// An entry that could land outside its folder: absolute, with `..`, or otherwise
    /// not a plain relative path.
    UnsafePath {
        wheel: PathBuf,
        entry: String,
    },
    NoDistInfo {
        wheel: PathBuf,
        expected: String,
    },
    MultipleDistInfo {
        wheel: PathBuf,
        first: String,
        second: String,
    },
    DistInfoMismatch {
        wheel: PathBuf,
        found: String,
        expected: String,
    },
    DataDirMismatch {
        wheel: PathBuf,
        found: String,
        expected: String,
    },
    UnknownScheme {
        wheel: PathBuf,
        entry: String,
    },
    MissingFile {
        wheel: PathBuf,
        entry: String,
    },
    InvalidWheelFile {
        wheel: PathBuf,
        reason: String,
    },
    UnsupportedWheelVersion {
        wheel: PathBuf,
        found: String,
    },
    InvalidRecord {
        record: PathBuf,
        line: usize,
        reason: String,
    },
    NotInRecord {
        wheel: PathBuf,
        entry: String,
    },
    HashMismatch {
        wheel: PathBuf,
        entry: String,
        expected: String,
        found: String,
    },
    /// `found` is `None` when the entry holds more than it declares (it is not read further).
    SizeMismatch {
        wheel: PathBuf,
        entry: String,
        expected: u64,
        found: Option<u64>,
    },
    DuplicateDestination {
        wheel: PathBuf,
        path: PathBuf,
    },
    InvalidEntryPoint {
        wheel: PathBuf,
        line: String,
        expected: &'static str,
    },
    InvalidDirectUrl {
        found: String,
    },
    NotUtf8Path {
        path: PathBuf,
    },
    NoRecord {
        dist_info: PathBuf,
    },
    OutsideEnvironment {
        path: PathBuf,
        prefix: PathBuf,
    },
    BrokenDist {
        dist_info: PathBuf,
        reason: String,
    },
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use InstallError::*;
        let shown = |text: &str| text.escape_debug().to_string();
        match self {
            Io(error) => error.fmt(f),
            NotZip { wheel, reason } => write!(
                f,
                "cannot read `{}`: expected a zip archive, found something else ({reason})",
                wheel.display()
            ),
            DuplicateEntries { wheel } => write!(
                f,
                "invalid wheel `{}`: expected unique entry names, found some twice",
                wheel.display()
            ),
            UnreadableEntry {
                wheel,
                entry,
                reason,
            } => write!(
                f,
                "cannot read `{}` in `{}`: {reason}",
                shown(entry),
                wheel.display()
            ),
            UnsafePath { wheel, entry } => write!(
                f,
                "invalid wheel `{}`: expected relative paths inside the wheel, found `{}`",
                wheel.display(),
                shown(entry)
            ),
            NoDistInfo { wheel, expected } => write!(
                f,
                "invalid wheel `{}`: expected a top-level `{expected}` folder, found no `.dist-info` folder",
                wheel.display()
            ),
            MultipleDistInfo {
                wheel,
                first,
                second,
            } => write!(
                f,
                "invalid wheel `{}`: expected one top-level `.dist-info` folder, found `{}` and `{}`",
                wheel.display(),
                shown(first),
                shown(second)
            ),
            DistInfoMismatch {
                wheel,
                found,
                expected,
            } => write!(
                f,
                "invalid wheel `{}`: expected the `.dist-info` folder `{expected}`, found `{}`",
                wheel.display(),
                shown(found)
            ),
            DataDirMismatch {
                wheel,
                found,
                expected,
            } => write!(
                f,
                "invalid wheel `{}`: expected the `.data` folder `{expected}`, found `{}`",
                wheel.display(),
                shown(found)
            ),
            UnknownScheme { wheel, entry } => write!(
                f,
                "invalid wheel `{}`: expected files in `.data` under `purelib`, `platlib`, `headers`, `scripts` or `data`, found `{}`",
                wheel.display(),
                shown(entry)
            ),
            MissingFile { wheel, entry } => write!(
                f,
                "invalid wheel `{}`: expected a file `{}`, found none",
                wheel.display(),
                shown(entry)
            ),
            InvalidWheelFile { wheel, reason } => {
                write!(f, "invalid wheel `{}`: in WHEEL, {reason}", wheel.display())
            }
            UnsupportedWheelVersion { wheel, found } => write!(
                f,
                "unsupported wheel `{}`: expected `Wheel-Version` 1.x, found `{}`",
                wheel.display(),
                shown(found)
            ),
            InvalidRecord {
                record,
                line,
                reason,
            } => write!(
                f,
                "invalid RECORD `{}` at line {line}: {reason}",
                record.display()
            ),
            NotInRecord { wheel, entry } => write!(
                f,
                "invalid wheel `{}`: expected every file listed in RECORD, found `{}` missing from it",
                wheel.display(),
                shown(entry)
            ),
            HashMismatch {
                wheel,
                entry,
                expected,
                found,
            } => write!(
                f,
                "invalid wheel `{}`: expected `{}` to hash to `{}` as RECORD says, found `{found}`",
                wheel.display(),
                shown(entry),
                shown(expected)
            ),
            SizeMismatch {
                wheel,
                entry,
                expected,
                found,
            } => {
                write!(
                    f,
                    "invalid wheel `{}`: expected `{}` to be {expected} bytes as RECORD says, found ",
                    wheel.display(),
                    shown(entry)
                )?;
                match found {
                    Some(found) => write!(f, "{found}"),
                    None => f.write_str("more"),
                }
            }
            DuplicateDestination { wheel, path } => write!(
                f,
                "invalid wheel `{}`: expected one file per destination, found two for `{}`",
                wheel.display(),
                path.display()
            ),
            InvalidEntryPoint {
                wheel,
                line,
                expected,
            } => write!(
                f,
                "invalid entry point `{}` in `{}`: expected {expected}",
                shown(line),
                wheel.display()
            ),
            InvalidDirectUrl { found } => write!(
                f,
                "invalid direct_url.json: expected a JSON object, found {found}"
            ),
            NotUtf8Path { path } => write!(
                f,
                "cannot record `{}` in RECORD: expected a UTF-8 path, found other bytes",
                path.display()
            ),
            NoRecord { dist_info } => write!(
                f,
                "cannot uninstall `{}`: expected a RECORD file listing its files, found none",
                dist_info.display()
            ),
            OutsideEnvironment { path, prefix } => write!(
                f,
                "refusing to remove `{}`: expected a path inside the environment `{}`",
                path.display(),
                prefix.display()
            ),
            BrokenDist { dist_info, reason } => {
                write!(f, "ignoring `{}`: {reason}", dist_info.display())
            }
        }
    }
}

impl std::error::Error for InstallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InstallError::Io(error) => Some(error),
            _ => None,
        }
    }
}

impl From<FsError> for InstallError {
    fn from(error: FsError) -> Self {
        InstallError::Io(error)
    }
}

/// Installs one wheel into `target`.
///
/// The wheel must be `filename`'s: its one `.dist-info` folder is checked against the
/// file name's project and version. An installed earlier version is not removed
/// (files it has that this one lacks would stay): [`uninstall`] it first, as pip does.
/// Bytecode is not compiled ("compile any installed .py to .pyc" needs the
/// environment's interpreter); Python writes it on first import.
pub fn install_wheel(
    source: Source<'_>,
    filename: &WheelFilename,
    target: &Target,
    options: &InstallOptions,
) -> Result<Installed, InstallError> {
    if let Some(text) = &options.direct_url {
        check_direct_url(text)?;
    }
    // Unpack: "Parse distribution-1.0.dist-info/WHEEL. Check that installer is
    // compatible with Wheel-Version."
    let mut wheel = Wheel::open(source, filename)?;
    if let (Some(tag), Source::Unpacked(dir)) = (&options.bytecode, source) {
        let list = bytecode_list(dir, tag);
        match read_bounded(&list, MAX_TEXT_BYTES) {
            Ok(bytes) => wheel.bytecode = parse_record_bytes(&bytes, &list)?,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => Err(error).context("read", &list)?,
        }
    }
    let scripts = match &wheel.entry_points {
        Some(text) => parse_entry_points(text).map_err(|(line, expected)| {
            InstallError::InvalidEntryPoint {
                wheel: wheel.path.clone(),
                line,
                expected,
            }
        })?,
        None => Vec::new(),
    };
    let layout = InstallLayout::new(&wheel, filename, &target.scheme, &scripts)?;
    let dist_info = layout.root.dir.join(&wheel.dist_info);
    let scripts_place = layout.scripts.clone();
    let mut destination = Destination {
        wheel: wheel.path.clone(),
        writer: Writer::staged(dist_info.clone()),
        shebang: shebang(&target.python),
        link: options.link,
        layout: Layout::Install(Box::new(layout)),
    };
    let mut rows = Vec::new();
    // "If Root-Is-Purelib == 'true', unpack archive into purelib (site-packages).
    // Else unpack archive into platlib (site-packages)." Spread: "Move each subtree
    // of distribution-1.0.data/ onto its destination path." ("Remove empty
    // distribution-1.0.data directory": it is never made, files go straight to their
    // destination.) And "during extraction, wheel installers verify all the hashes
    // in RECORD against the file contents."
    wheel.for_each_file(|entry, row, content| {
        rows.extend(destination.write_file(entry, row, content)?);
        Ok(())
    })?;
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
    destination.writer.commit()?;
    Ok(Installed {
        dist_info,
        files: rows.len() + 1,
        warnings: wheel.warnings,
    })
}

/// Extracts a wheel into `dest`, verifying it as [`install_wheel`] does, so later
/// installs can link its files instead of decompressing them again.
///
/// The folder keeps the wheel's layout, with a RECORD listing exactly the files
/// extracted. It appears whole or not at all: extraction happens in a temporary
/// folder beside `dest`, renamed into place at the end. An existing `dest` is taken
/// as already unpacked, so concurrent unpacks of one wheel are harmless.
pub fn unpack(wheel: &Path, filename: &WheelFilename, dest: &Path) -> Result<(), InstallError> {
    if dest.is_dir() {
        return Ok(());
    }
    let parent = match dest.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(parent).context("create folder", parent)?;
    let staging = Staging::new(parent)?;
    let mut wheel = Wheel::open(Source::Zip(wheel), filename)?;
    let mut destination = Destination {
        wheel: wheel.path.clone(),
        writer: Writer::direct(),
        shebang: Vec::new(),
        link: LinkMode::Copy,
        layout: Layout::Unpack {
            root: staging.path.clone(),
        },
    };
    let mut rows = Vec::new();
    wheel.for_each_file(|entry, row, content| {
        rows.extend(destination.write_file(entry, row, content)?);
        Ok(())
    })?;
    let record = format!("{}/RECORD", wheel.dist_info);
    destination.write_record(staging.path.join(&record), &rows, &record)?;
    destination.writer.commit()?;
    match fs::rename(&staging.path, dest) {
        Ok(()) => staging.keep(),
        // Another process unpacked the same wheel first; the staging copy goes.
        Err(_) if dest.is_dir() => {}
        Err(error) => Err(error).context("rename into place", dest)?,
    }
    Ok(())
}

/// The modules of an unpacked wheel that an installer byte-compiles: its `.py` files
/// that land in purelib or platlib, as paths inside `unpacked`, less those whose
/// bytecode for this cache tag the wheel itself carries.
pub fn python_sources(
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
/// [`InstallOptions::bytecode`] link it like the sources: compiled once per machine,
/// not once per environment. A module that did not compile is left out. The `.pyc`
/// files record their source's size and mtime, which hard links share, so Python
/// takes them as current; `co_filename` is set from where they are loaded.
pub fn record_bytecode(
    unpacked: &Path,
    sources: &[PathBuf],
    tag: &str,
) -> Result<(), InstallError> {
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
    let mut temp = crate::util::fs::TempFile::new_in(unpacked)?;
    temp.write_all(rows_text(&rows).as_bytes())
        .context("write", temp.path())?;
    // Synced, unlike the cache's downloads: installs trust the list as they trust
    // RECORD, so a crash must not leave half of it.
    temp.persist(&bytecode_list(unpacked, tag))?;
    Ok(())
}

/// Whether [`record_bytecode`] ran for this unpacked wheel and cache tag.
pub fn has_bytecode(unpacked: &Path, tag: &str) -> bool {
    bytecode_list(unpacked, tag).is_file()
}

fn bytecode_list(unpacked: &Path, tag: &str) -> PathBuf {
    unpacked.join(format!(".curd-bytecode-{tag}"))
}

/// Removes an installed project: every file its RECORD lists, the cached bytecode of
/// its `.py` files, the folders this empties, and its `.dist-info` folder.
///
/// Every path is resolved (symbolic links included) before anything is removed, and
/// a RECORD naming anything outside the environment's prefix (`scheme.data`) is
/// refused as a whole. Folders are removed only once empty and never the scheme's own
/// folders or their parents (an emptied `include/site/pythonX.Y` stays, as with pip).
pub fn uninstall(scheme: &Scheme, dist: &InstalledDist) -> Result<Removed, InstallError> {
    // Another process upgrading the same environment may have removed it already.
    if !dist.dist_info.exists() {
        return Ok(Removed::default());
    }
    let record_path = dist.dist_info.join("RECORD");
    // "If the RECORD file is missing, tools that rely on .dist-info must not attempt
    // to uninstall or upgrade the package."
    let text = match read_bounded(&record_path, MAX_TEXT_BYTES) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(InstallError::NoRecord {
                dist_info: dist.dist_info.clone(),
            });
        }
        Err(error) => Err(error).context("read", &record_path)?,
    };
    let rows = parse_record_bytes(&text, &record_path)?;
    let prefix = fs::canonicalize(&scheme.data).context("open", &scheme.data)?;
    let dist_info = fs::canonicalize(&dist.dist_info).context("open", &dist.dist_info)?;
    if !dist_info.starts_with(&prefix) {
        return Err(InstallError::OutsideEnvironment {
            path: dist_info,
            prefix,
        });
    }
    let site = absolute(dist.dist_info.parent().unwrap_or(Path::new("/")))?;
    let mut kept = HashSet::new();
    for dir in [
        &scheme.purelib,
        &scheme.platlib,
        &scheme.scripts,
        &scheme.data,
        &scheme.headers,
        &site,
    ] {
        let dir = fs::canonicalize(dir).or_else(|_| absolute(dir))?;
        kept.extend(dir.ancestors().map(Path::to_path_buf));
    }

    // "The path may be either absolute, or relative to the directory containing the
    // .dist-info directory." Paths are resolved first, so that a RECORD pointing
    // outside the environment removes nothing at all.
    let mut resolved: HashMap<PathBuf, Option<PathBuf>> = HashMap::new();
    let mut files = Vec::new();
    for row in &rows {
        let path = absolute(&site.join(&row.path))?;
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(InstallError::OutsideEnvironment { path, prefix });
        };
        let parent = match resolved.get(parent) {
            Some(parent) => parent.clone(),
            None => {
                let canonical = match fs::canonicalize(parent) {
                    Ok(canonical) => Some(canonical),
                    // Its folder is gone, so the file is too.
                    Err(error) if error.kind() == io::ErrorKind::NotFound => None,
                    Err(error) => Err(error).context("open", parent)?,
                };
                resolved.insert(parent.to_path_buf(), canonical.clone());
                canonical
            }
        };
        let Some(parent) = parent else { continue };
        if !parent.starts_with(&prefix) {
            return Err(InstallError::OutsideEnvironment { path, prefix });
        }
        let file = parent.join(name);
        // The .dist-info folder goes last and whole, so an interrupted uninstall
        // keeps the RECORD that lets it be run again.
        if !file.starts_with(&dist_info) {
            files.push(file);
        }
    }

    let mut removed = Removed::default();
    let mut emptied = BTreeSet::new();
    let mut sources: HashMap<PathBuf, Vec<String>> = HashMap::new();
    for file in files {
        match fs::remove_file(&file) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            // "Directories should not be listed"; the ones emptied go below.
            Err(error) if error.kind() == io::ErrorKind::IsADirectory => continue,
            Err(error) => Err(error).context("remove", &file)?,
        }
        if let Some(parent) = file.parent() {
            emptied.insert(parent.to_path_buf());
            let stem = file
                .file_name()
                .and_then(|name| name.to_str())
                .and_then(|name| name.strip_suffix(".py"));
            if let Some(stem) = stem {
                sources
                    .entry(parent.to_path_buf())
                    .or_default()
                    .push(stem.to_string());
            }
        }
        removed.files.push(file);
    }
    // "To completely uninstall a package, a tool needs to remove all files listed in
    // RECORD, all .pyc files (of all optimization levels) corresponding to removed .py
    // files, and any directories emptied by the uninstallation."
    for (dir, stems) in &sources {
        let cache = dir.join("__pycache__");
        let entries = match fs::read_dir(&cache) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => Err(error).context("read folder", &cache)?,
        };
        for entry in entries {
            let entry = entry.context("read folder", &cache)?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if stems.iter().any(|stem| is_cached_bytecode(name, stem)) {
                let path = entry.path();
                match fs::remove_file(&path) {
                    Ok(()) => removed.files.push(path),
                    Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                    Err(error) => Err(error).context("remove", &path)?,
                }
            }
        }
        emptied.insert(cache);
    }
    // Deepest first, so a parent is tried after its children.
    let mut emptied: Vec<PathBuf> = emptied.into_iter().collect();
    emptied.sort_by_key(|dir| std::cmp::Reverse(dir.components().count()));
    for start in &emptied {
        let mut dir = Some(start.as_path());
        while let Some(current) = dir {
            if kept.contains(current) || !current.starts_with(&prefix) {
                break;
            }
            match fs::remove_dir(current) {
                Ok(()) => removed.dirs.push(current.to_path_buf()),
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(_) => break,
            }
            dir = current.parent();
        }
    }
    match fs::remove_dir_all(&dist_info) {
        Ok(()) => removed.dirs.push(dist_info),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => Err(error).context("remove", &dist_info)?,
    }
    Ok(removed)
}

/// The projects installed in `site_packages` (usually purelib and platlib, which may
/// be the same folder): every `*.dist-info` folder with readable METADATA.
///
/// A folder that does not exist holds nothing; a broken `.dist-info` is reported in
/// [`Inventory::broken`] rather than failing the whole scan, as pip does.
pub fn installed(site_packages: &[PathBuf]) -> Result<Inventory, InstallError> {
    let mut inventory = Inventory::default();
    let mut seen = HashSet::new();
    for dir in site_packages {
        if !seen.insert(dir) {
            continue;
        }
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => Err(error).context("read folder", dir)?,
        };
        for entry in entries {
            let entry = entry.context("read folder", dir)?;
            let is_dist_info = entry
                .file_name()
                .to_str()
                .is_some_and(|name| name.ends_with(".dist-info"));
            if is_dist_info && entry.path().is_dir() {
                match read_installed(entry.path()) {
                    Ok(dist) => inventory.dists.push(dist),
                    Err(error) => inventory.broken.push(error),
                }
            }
        }
    }
    inventory
        .dists
        .sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    Ok(inventory)
}

fn read_installed(dist_info: PathBuf) -> Result<InstalledDist, InstallError> {
    let broken = |reason: String| InstallError::BrokenDist {
        dist_info: dist_info.clone(),
        reason,
    };
    let bytes = match read_bounded(&dist_info.join("METADATA"), MAX_METADATA_BYTES) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(broken("expected a METADATA file, found none".into()));
        }
        Err(error) => return Err(broken(format!("cannot read METADATA: {error}"))),
    };
    let metadata = CoreMetadata::parse(&bytes).map_err(|error| broken(error.to_string()))?;
    let name = PackageName::new(&metadata.name).map_err(|error| broken(error.to_string()))?;
    let version = metadata
        .version
        .parse()
        .map_err(|error: crate::standards::version::VersionParseError| broken(error.to_string()))?;
    Ok(InstalledDist {
        name,
        version,
        dist_info,
    })
}

/// A wheel opened for reading: its `.dist-info` found and checked, WHEEL, RECORD and
/// `entry_points.txt` read, and (for an archive) every entry name checked.
struct Wheel {
    /// The archive or unpacked folder, as errors name it.
    path: PathBuf,
    /// `None` for an unpacked folder.
    archive: Option<ZipArchive>,
    dist_info: String,
    record: Vec<Row>,
    /// Bytecode compiled into an unpacked folder, placed like its files.
    bytecode: Vec<Row>,
    root_is_purelib: bool,
    entry_points: Option<String>,
    warnings: Vec<String>,
}

/// The bytes of one file of a wheel, as the source offers them.
enum Content<'a> {
    /// Being read from the archive; `executable` comes from its Unix mode bits.
    Stream {
        reader: &'a mut dyn Read,
        executable: bool,
    },
    /// A file of an unpacked wheel, to be linked or copied.
    File(&'a Path),
}

impl Wheel {
    fn open(source: Source<'_>, filename: &WheelFilename) -> Result<Wheel, InstallError> {
        let (path, archive, tops) = match source {
            Source::Zip(path) => {
                let archive = open_zip(path)?;
                let mut tops = Vec::new();
                for name in archive.file_names() {
                    let name = name.map_err(|error| InstallError::NotZip {
                        wheel: path.to_path_buf(),
                        reason: error.to_string(),
                    })?;
                    // The traversal guard: every name is checked before anything is
                    // read or written.
                    if !is_safe_entry(&name) {
                        return Err(InstallError::UnsafePath {
                            wheel: path.to_path_buf(),
                            entry: name.into_owned(),
                        });
                    }
                    if let Some((top, _)) = name.split_once('/') {
                        if !tops.iter().any(|known| known == top) {
                            tops.push(top.to_string());
                        }
                    }
                }
                (path, Some(archive), tops)
            }
            Source::Unpacked(path) => {
                let mut tops = Vec::new();
                for entry in fs::read_dir(path).context("read folder", path)? {
                    let entry = entry.context("read folder", path)?;
                    if let Some(name) = entry.file_name().to_str() {
                        if entry.path().is_dir() {
                            tops.push(name.to_string());
                        }
                    }
                }
                tops.sort();
                (path, None, tops)
            }
        };
        let path = path.to_path_buf();
        let dist_info = find_dist_info(&path, &tops, filename)?;
        let mut wheel = Wheel {
            path,
            archive,
            dist_info,
            record: Vec::new(),
            bytecode: Vec::new(),
            root_is_purelib: false,
            entry_points: None,
            warnings: Vec::new(),
        };
        // "Wheel .dist-info directories include at a minimum METADATA, WHEEL, and RECORD."
        if !wheel.has_file("METADATA") {
            return Err(InstallError::MissingFile {
                wheel: wheel.path.clone(),
                entry: format!("{}/METADATA", wheel.dist_info),
            });
        }
        let text = wheel.read_text("WHEEL")?;
        let (major, minor, root_is_purelib) =
            parse_wheel_file(&text).map_err(|reason| InstallError::InvalidWheelFile {
                wheel: wheel.path.clone(),
                reason,
            })?;
        // "A wheel installer should warn if Wheel-Version is greater than the version
        // it supports, and must fail if Wheel-Version has a greater major version."
        // A smaller major predates the specification, which pip refuses too.
        if major != WHEEL_MAJOR {
            return Err(InstallError::UnsupportedWheelVersion {
                wheel: wheel.path.clone(),
                found: format!("{major}.{minor}"),
            });
        }
        if minor > 0 {
            wheel.warnings.push(format!(
                "`{}` declares Wheel-Version {major}.{minor}, newer than the 1.0 this installer implements; installing it anyway",
                wheel.path.display()
            ));
        }
        wheel.root_is_purelib = root_is_purelib;
        let text = wheel.read_text("RECORD")?;
        let record_path = wheel.path.join(&wheel.dist_info).join("RECORD");
        wheel.record = parse_record_bytes(text.as_bytes(), &record_path)?;
        if wheel.has_file("entry_points.txt") {
            wheel.entry_points = Some(wheel.read_text("entry_points.txt")?);
        }
        Ok(wheel)
    }

    fn has_file(&self, name: &str) -> bool {
        let entry = format!("{}/{name}", self.dist_info);
        match &self.archive {
            Some(archive) => archive.index_for_name(&entry).is_some(),
            None => self.path.join(entry).is_file(),
        }
    }

    /// A UTF-8 file of `.dist-info`, bounded by [`MAX_TEXT_BYTES`].
    fn read_text(&mut self, name: &str) -> Result<String, InstallError> {
        let entry = format!("{}/{name}", self.dist_info);
        let unreadable = |reason: String| InstallError::UnreadableEntry {
            wheel: self.path.clone(),
            entry: entry.clone(),
            reason,
        };
        let bytes = match &mut self.archive {
            Some(archive) => {
                let file = match archive.by_name(&entry) {
                    Ok(file) => file,
                    Err(zip::result::ZipError::FileNotFound) => {
                        return Err(InstallError::MissingFile {
                            wheel: self.path.clone(),
                            entry,
                        });
                    }
                    Err(error) => return Err(unreadable(error.to_string())),
                };
                if file.size() > MAX_TEXT_BYTES {
                    return Err(unreadable(format!(
                        "expected at most {MAX_TEXT_BYTES} bytes, found {}",
                        file.size()
                    )));
                }
                take_bounded(file, MAX_TEXT_BYTES).map_err(|error| unreadable(error.to_string()))?
            }
            None => {
                let path = self.path.join(&entry);
                match read_bounded(&path, MAX_TEXT_BYTES) {
                    Ok(bytes) => bytes,
                    Err(error) if error.kind() == io::ErrorKind::NotFound => {
                        return Err(InstallError::MissingFile {
                            wheel: self.path.clone(),
                            entry,
                        });
                    }
                    Err(error) => Err(error).context("read", &path)?,
                }
            }
        };
        String::from_utf8(bytes)
            .map_err(|_| unreadable("expected UTF-8 text, found other bytes".into()))
    }

    /// Hands every file of the wheel to `place`, in archive order (or RECORD order
    /// for an unpacked folder), except RECORD and its signatures.
    ///
    /// Archive entries are verified as `place` reads them: each must be in RECORD
    /// with a hash and a size, its header must declare that size, and it may not
    /// decompress to more. What `place` leaves unread is read and checked anyway.
    fn for_each_file(
        &mut self,
        mut place: impl FnMut(&str, &Row, Content<'_>) -> Result<(), InstallError>,
    ) -> Result<(), InstallError> {
        let record = format!("{}/RECORD", self.dist_info);
        // "RECORD.jws is used for digital signatures. It is not mentioned in RECORD."
        // Nor is RECORD.p7s; neither means anything once RECORD is rewritten.
        let skipped = [
            record.clone(),
            format!("{record}.jws"),
            format!("{record}.p7s"),
        ];
        let wheel = &self.path;
        let Some(archive) = &mut self.archive else {
            for row in self.record.iter().chain(&self.bytecode) {
                if skipped.contains(&row.path) {
                    continue;
                }
                if !is_safe_entry(&row.path) || row.path.ends_with('/') {
                    return Err(InstallError::UnsafePath {
                        wheel: wheel.clone(),
                        entry: row.path.clone(),
                    });
                }
                place(&row.path, row, Content::File(&wheel.join(&row.path)))?;
            }
            return Ok(());
        };
        let rows: HashMap<&str, &Row> = self.record.iter().map(|r| (r.path.as_str(), r)).collect();
        let record_path = wheel.join(&record);
        for index in 0..archive.len() {
            let mut file = archive
                .by_index(index)
                .map_err(|error| InstallError::NotZip {
                    wheel: wheel.clone(),
                    reason: error.to_string(),
                })?;
            let name = match file.name() {
                Ok(name) => name.into_owned(),
                Err(error) => {
                    return Err(InstallError::NotZip {
                        wheel: wheel.clone(),
                        reason: error.to_string(),
                    });
                }
            };
            // Folders are made as files need them; RECORD lists none.
            if name.ends_with('/') || skipped.contains(&name) {
                continue;
            }
            // "Apart from RECORD and its signatures, installation will fail if any
            // file in the archive is not both mentioned and correctly hashed in RECORD."
            let row = rows
                .get(name.as_str())
                .ok_or_else(|| InstallError::NotInRecord {
                    wheel: wheel.clone(),
                    entry: name.clone(),
                })?;
            let (algorithm, size) = row.expected(&record_path)?;
            // A header declaring another size than RECORD is refused before a byte is
            // decompressed; the reader below stops one byte past RECORD's size.
            if file.size() != size {
                return Err(InstallError::SizeMismatch {
                    wheel: wheel.clone(),
                    entry: name,
                    expected: size,
                    found: Some(file.size()),
                });
            }
            // As pip does: executable if the entry is a regular file with any x bit.
            let mode = file.external_attributes() >> 16;
            let executable = mode & 0o170_000 == 0o100_000 && mode & 0o111 != 0;
            let mut verified = Verified {
                inner: (&mut file as &mut dyn Read).take(size + 1),
                hasher: Hasher::new(algorithm),
                read: 0,
            };
            place(
                &name,
                row,
                Content::Stream {
                    reader: &mut verified,
                    executable,
                },
            )?;
            verified.finish(wheel, &name, row, size)?;
        }
        Ok(())
    }
}

/// Opens a wheel to read all of it (into memory, unless it is huge).
fn open_zip(path: &Path) -> Result<ZipArchive, InstallError> {
    // Two entries with one name are read differently by different tools, so what was
    // verified might not be what is installed: the metadata reader refuses them too.
    crate::standards::metadata::open_zip(path, true).map_err(|error| match error {
        MetadataError::Io(e) => InstallError::Io(e),
        MetadataError::DuplicateEntries { .. } => InstallError::DuplicateEntries {
            wheel: path.to_path_buf(),
        },
        MetadataError::NotZip { reason, .. } => InstallError::NotZip {
            wheel: path.to_path_buf(),
            reason,
        },
        other => InstallError::NotZip {
            wheel: path.to_path_buf(),
            reason: other.to_string(),
        },
    })
}

/// Whether an archive entry name is a plain relative path: no leading `/`, no `.`,
/// `..` or empty components, no `\` (a separator on Windows) and no NUL. Joined to
/// any folder, such a path stays inside it.
fn is_safe_entry(name: &str) -> bool {
    let path = name.strip_suffix('/').unwrap_or(name);
    !path.is_empty()
        && path.split('/').all(|part| {
            !part.is_empty() && part != "." && part != ".." && !part.contains(['\\', '\0'])
        })
}

/// The wheel's one top-level `.dist-info` folder, which must be the file name's
/// project and version; and no `.data` folder but the one named after it.
///
/// Names are compared normalized, because wheels built before names were escaped
/// spell the folder as the project did (`Zope.Interface-4.0.dist-info`).
fn find_dist_info(
    wheel: &Path,
    tops: &[String],
    filename: &WheelFilename,
) -> Result<String, InstallError> {
    let mut found: Option<&String> = None;
    for top in tops.iter().filter(|top| top.ends_with(".dist-info")) {
        if let Some(first) = found {
            return Err(InstallError::MultipleDistInfo {
                wheel: wheel.to_path_buf(),
                first: first.clone(),
                second: top.clone(),
            });
        }
        found = Some(top);
    }
    let dist_info = found.ok_or_else(|| InstallError::NoDistInfo {
        wheel: wheel.to_path_buf(),
        expected: filename.dist_info_dir(),
    })?;
    let stem = dist_info.strip_suffix(".dist-info").unwrap_or(dist_info);
    let matches = stem.split_once('-').is_some_and(|(name, version)| {
        PackageName::new(name).is_ok_and(|name| name == filename.name)
            && version
                .parse::<Version>()
                .is_ok_and(|version| version == filename.version)
    });
    if !matches {
        return Err(InstallError::DistInfoMismatch {
            wheel: wheel.to_path_buf(),
            found: dist_info.clone(),
            expected: filename.dist_info_dir(),
        });
    }
    // "Any file that is not normally installed inside site-packages goes into the
    // .data directory, named as the .dist-info directory but with the .data/ extension."
    let data = format!("{stem}.data");
    if let Some(other) = tops
        .iter()
        .find(|top| top.ends_with(".data") && **top != data)
    {
        return Err(InstallError::DataDirMismatch {
            wheel: wheel.to_path_buf(),
            found: other.clone(),
            expected: data,
        });
    }
    Ok(dist_info.clone())
}

/// `Wheel-Version` (major, minor) and `Root-Is-Purelib` from WHEEL, which is "in
/// the same basic key: value format" as METADATA.
fn parse_wheel_file(text: &str) -> Result<(u64, u64, bool), String> {
    let mut version = None;
    let mut root_is_purelib = false;
    for line in text.lines() {
        let Some((field, value)) = line.split_once(':') else {
            continue;
        };
        let (field, value) = (field.trim(), value.trim());
        if field.eq_ignore_ascii_case("Wheel-Version") {
            version = Some(value);
        } else if field.eq_ignore_ascii_case("Root-Is-Purelib") {
            // "Root-Is-Purelib is true if the top level directory of the archive
            // should be installed into purelib", compared as pip does.
            root_is_purelib = value.eq_ignore_ascii_case("true");
        }
    }
    let version = version.ok_or("expected a `Wheel-Version` field, found none")?;
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let parsed = version
        .split_once('.')
        .and_then(|(major, minor)| Some((number(major)?, number(minor)?)));
    match parsed {
        Some((major, minor)) => Ok((major, minor, root_is_purelib)),
        None => Err(format!(
            "expected `Wheel-Version` as `major.minor`, found `{}`",
            version.escape_debug()
        )),
    }
}

/// A folder of the scheme, and how RECORD writes paths under it: relative to the
/// folder holding `.dist-info`, as pip writes them (`../../../bin/x`).
#[derive(Clone, Debug)]
struct Place {
    dir: PathBuf,
    record: String,
}

impl Place {
    fn join(&self, sub: &str) -> (PathBuf, String) {
        let record = if self.record.is_empty() {
            sub.to_string()
        } else {
            format!("{}/{sub}", self.record)
        };
        (self.dir.join(sub), record)
    }
}

/// Where each file of a wheel goes in an environment.
struct InstallLayout {
    /// Purelib or platlib, as WHEEL says: where the archive's root and `.dist-info` go.
    root: Place,
    /// `{name}-{version}.data/`.
    data_prefix: String,
    /// `{name}-{version}.dist-info/`.
    dist_info_prefix: String,
    /// The five `.data` subfolders, by name.
    data: [(&'static str, Place); 5],
    scripts: Place,
    /// Names of console and GUI scripts, whose setuptools-made wrappers in
    /// `.data/scripts` are replaced by the launchers written here, as pip does.
    entry_points: HashSet<String>,
}

impl InstallLayout {
    fn new(
        wheel: &Wheel,
        filename: &WheelFilename,
        scheme: &Scheme,
        scripts: &[Script],
    ) -> Result<InstallLayout, InstallError> {
        let purelib = absolute(&scheme.purelib)?;
        let platlib = absolute(&scheme.platlib)?;
        let root = if wheel.root_is_purelib {
            purelib.clone()
        } else {
            platlib.clone()
        };
        let place = |dir: PathBuf| -> Result<Place, InstallError> {
            let record = relative(&dir, &root)?;
            Ok(Place { dir, record })
        };
        let headers = absolute(&scheme.headers)?.join(filename.name.as_str());
        let scripts_place = place(absolute(&scheme.scripts)?)?;
        let stem = wheel
            .dist_info
            .strip_suffix(".dist-info")
            .unwrap_or(&wheel.dist_info);
        Ok(InstallLayout {
            data_prefix: format!("{stem}.data/"),
            dist_info_prefix: format!("{}/", wheel.dist_info),
            data: [
                ("purelib", place(purelib)?),
                ("platlib", place(platlib)?),
                ("headers", place(headers)?),
                ("scripts", scripts_place.clone()),
                ("data", place(absolute(&scheme.data)?)?),
            ],
            scripts: scripts_place,
            entry_points: scripts.iter().map(|s| s.name.clone()).collect(),
            root: place(root.clone())?,
        })
    }

    /// Where `entry` goes, whether it is a script, or `None` for a file not installed.
    fn destination(
        &self,
        wheel: &Path,
        entry: &str,
    ) -> Result<Option<(PathBuf, String, bool)>, InstallError> {
        if let Some(rest) = entry.strip_prefix(&self.data_prefix) {
            // "Each subdirectory of distribution-1.0.data/ is a key into a dict of
            // destination directories, such as
            // distribution-1.0.data/(purelib|platlib|headers|scripts|data)."
            let place = rest.split_once('/').and_then(|(key, sub)| {
                let (_, place) = self.data.iter().find(|(name, _)| *name == key)?;
                Some((key, place, sub))
            });
            let Some((key, place, sub)) = place else {
                return Err(InstallError::UnknownScheme {
                    wheel: wheel.to_path_buf(),
                    entry: entry.to_string(),
                });
            };
            let script = key == "scripts";
            if script && self.is_entry_point_wrapper(sub) {
                return Ok(None);
            }
            let (path, record) = place.join(sub);
            return Ok(Some((path, record, script)));
        }
        let generated = entry
            .strip_prefix(&self.dist_info_prefix)
            .is_some_and(|file| WRITTEN_BY_INSTALLER.contains(&file));
        if generated {
            return Ok(None);
        }
        let (path, record) = self.root.join(entry);
        Ok(Some((path, record, false)))
    }

    /// Whether a `.data/scripts` file is a wrapper setuptools made for an entry point
    /// (`EP`, `EP.exe`, `EP-script.py`, `EP.pya`), which pip skips.
    fn is_entry_point_wrapper(&self, sub: &str) -> bool {
        let name = sub.rsplit_once('/').map_or(sub, |(_, name)| name);
        let lower = name.to_ascii_lowercase();
        let stem = [".exe", "-script.py", ".pya"]
            .iter()
            .find_map(|suffix| lower.strip_suffix(suffix))
            .map_or(name, |stem| name.get(..stem.len()).unwrap_or(name));
        self.entry_points.contains(stem)
    }
}

enum Layout {
    Install(Box<InstallLayout>),
    /// A cache folder: the wheel's own layout, nothing rewritten or added.
    Unpack {
        root: PathBuf,
    },
}

/// The writing side: places each file and returns the row RECORD gets for it.
struct Destination {
    /// The archive or folder read, as errors name it.
    wheel: PathBuf,
    writer: Writer,
    layout: Layout,
    shebang: Vec<u8>,
    link: LinkMode,
}

impl Destination {
    fn write_file(
        &mut self,
        entry: &str,
        row: &Row,
        content: Content<'_>,
    ) -> Result<Option<Row>, InstallError> {
        let (path, record, script) = match &self.layout {
            Layout::Install(layout) => match layout.destination(&self.wheel, entry)? {
                Some(destination) => destination,
                None => return Ok(None),
            },
            Layout::Unpack { root } => (root.join(entry), entry.to_string(), false),
        };
        self.claim(&path)?;
        if script {
            // "If the first line of a file in scripts/ starts with exactly b'#!python',
            // rewrite to point to the correct interpreter. Unix installers may need to
            // add the +x bit to these files if the archive was created on Windows."
            let file = self.writer.create(&path, true)?;
            let mut out = Hashing::new(file);
            let copied = match content {
                Content::Stream { reader, .. } => copy_script(reader, &mut out, &self.shebang),
                Content::File(source) => {
                    let mut file = File::open(source).context("open", source)?;
                    copy_script(&mut file, &mut out, &self.shebang)
                }
            };
            copied.map_err(|error| self.copy_error(error, entry, &path))?;
            return Ok(Some(out.finish(record)));
        }
        match content {
            Content::Stream { reader, executable } => {
                let mut file = self.writer.create(&path, executable)?;
                copy(reader, &mut file).map_err(|error| self.copy_error(error, entry, &path))?;
            }
            Content::File(source) => self.writer.link(source, &path, self.link)?,
        }
        // Written unchanged, so the wheel's row holds once the source verifies it.
        Ok(Some(Row {
            path: record,
            hash: row.hash.clone(),
            size: row.size,
            line: 0,
        }))
    }

    fn write_generated(
        &mut self,
        path: PathBuf,
        record: String,
        bytes: &[u8],
        executable: bool,
    ) -> Result<Row, InstallError> {
        self.claim(&path)?;
        let mut out = Hashing::new(self.writer.create(&path, executable)?);
        out.write_all(bytes).context("write", &path)?;
        Ok(out.finish(record))
    }

    /// RECORD itself, listed last with empty hash and size, since it "cannot contain
    /// a hash of itself".
    fn write_record(
        &mut self,
        path: PathBuf,
        rows: &[Row],
        record: &str,
    ) -> Result<(), InstallError> {
        self.claim(&path)?;
        let mut file = self.writer.create(&path, false)?;
        file.write_all(record_text(rows, record).as_bytes())
            .context("write", &path)?;
        Ok(())
    }

    fn claim(&mut self, path: &Path) -> Result<(), InstallError> {
        if self.writer.taken.insert(path.to_path_buf()) {
            Ok(())
        } else {
            Err(InstallError::DuplicateDestination {
                wheel: self.wheel.clone(),
                path: path.to_path_buf(),
            })
        }
    }

    fn copy_error(&self, error: CopyError, entry: &str, path: &Path) -> InstallError {
        match error {
            CopyError::Read(error) => InstallError::UnreadableEntry {
                wheel: self.wheel.clone(),
                entry: entry.to_string(),
                reason: error.to_string(),
            },
            CopyError::Write(source) => InstallError::Io(FsError {
                path: path.to_path_buf(),
                action: "write",
                source,
            }),
        }
    }
}

/// Creates files and folders, and undoes it all unless committed.
///
/// Staged, each file is written under a temporary name beside its destination and
/// renamed into place by [`Writer::commit`] (hard links that replace nothing go
/// straight to their place, see [`Writer::link`]); direct (for a private staging folder,
/// removed whole on failure), files are written where they belong.
struct Writer {
    staged: bool,
    /// Files under this folder are renamed into place after all others.
    last: PathBuf,
    /// Folders known to exist, so each is created (or found) once.
    known: HashSet<PathBuf>,
    /// Folders this writer created, removed again if it is not committed.
    created: Vec<PathBuf>,
    pending: Vec<Pending>,
    /// How many of `pending` are in place.
    placed: usize,
    /// Destinations already written, to refuse a second file at one place.
    taken: HashSet<PathBuf>,
    committed: bool,
}

struct Pending {
    temp: PathBuf,
    dest: PathBuf,
    linked: bool,
    last: bool,
}

impl Writer {
    fn staged(last: PathBuf) -> Writer {
        Writer::new(true, last)
    }

    fn direct() -> Writer {
        Writer::new(false, PathBuf::new())
    }

    fn new(staged: bool, last: PathBuf) -> Writer {
        Writer {
            staged,
            last,
            known: HashSet::new(),
            created: Vec::new(),
            pending: Vec::new(),
            placed: 0,
            taken: HashSet::new(),
            committed: false,
        }
    }

    /// A new file for `dest`, with the permissions of a new file, or of a new
    /// executable (`0o777` less the umask, as pip gives them).
    fn create(&mut self, dest: &Path, executable: bool) -> Result<File, FsError> {
        let (dir, temp) = self.prepare(dest)?;
        let mode = if executable { 0o777 } else { 0o666 };
        let open = || {
            File::options()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&temp)
        };
        let file = self.retry(&dir, open).context("create", dest)?;
        self.push(temp, dest, false);
        Ok(file)
    }

    fn link(&mut self, source: &Path, dest: &Path, mode: LinkMode) -> Result<(), FsError> {
        // A hard link appears whole, so where nothing is in the way it can go straight
        // to its place (into a fresh environment, that is every file) and spare the
        // rename. The .dist-info is staged all the same: it must appear last.
        let mut link = mode == LinkMode::Hardlink;
        if self.staged && link && !dest.starts_with(&self.last) {
            let dir = dest.parent().unwrap_or(Path::new("/")).to_path_buf();
            self.ensure_dir(&dir)?;
            match self.retry(&dir, || fs::hard_link(source, dest)) {
                Ok(()) => {
                    self.push(dest.to_path_buf(), dest, true);
                    return Ok(());
                }
                // A file is in the way: linked beside it and renamed over it below.
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                // Across filesystems, say: a second link would fail the same way.
                Err(_) => link = false,
            }
        }
        let (dir, temp) = self.prepare(dest)?;
        let linked = link && self.retry(&dir, || fs::hard_link(source, &temp)).is_ok();
        if !linked {
            self.retry(&dir, || fs::copy(source, &temp))
                .context("copy", source)?;
        }
        self.push(temp, dest, linked);
        Ok(())
    }

    /// Makes sure `dest`'s folder exists; returns it and the name to write to.
    fn prepare(&mut self, dest: &Path) -> Result<(PathBuf, PathBuf), FsError> {
        let dir = dest.parent().unwrap_or(Path::new("/")).to_path_buf();
        self.ensure_dir(&dir)?;
        let temp = if self.staged {
            dir.join(temp_name(""))
        } else {
            dest.to_path_buf()
        };
        Ok((dir, temp))
    }

    fn push(&mut self, temp: PathBuf, dest: &Path, linked: bool) {
        let last = self.staged && dest.starts_with(&self.last);
        self.pending.push(Pending {
            temp,
            dest: dest.to_path_buf(),
            linked,
            last,
        });
    }

    fn ensure_dir(&mut self, dir: &Path) -> Result<(), FsError> {
        if self.known.contains(dir) {
            return Ok(());
        }
        match fs::create_dir(dir) {
            Ok(()) => self.created.push(dir.to_path_buf()),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                let Some(parent) = dir.parent() else {
                    return Err(error).context("create folder", dir);
                };
                self.ensure_dir(parent)?;
                match fs::create_dir(dir) {
                    Ok(()) => self.created.push(dir.to_path_buf()),
                    Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(error) => return Err(error).context("create folder", dir),
                }
            }
            Err(error) => return Err(error).context("create folder", dir),
        }
        self.known.insert(dir.to_path_buf());
        Ok(())
    }

    /// Runs `op`, which creates a file in `dir`, once more if `dir` vanished: an
    /// install failing in another thread removes the folders it made, and this one
    /// may have counted on one of them (a namespace package's, say).
    fn retry<T>(&mut self, dir: &Path, op: impl Fn() -> io::Result<T>) -> io::Result<T> {
        match op() {
            Err(error) if error.kind() == io::ErrorKind::NotFound && !dir.is_dir() => {
                self.known.retain(|known| !dir.starts_with(known));
                self.ensure_dir(dir).map_err(|error| error.source)?;
                op()
            }
            other => other,
        }
    }

    /// Renames every file into place, `.dist-info` last, in the order written
    /// otherwise (so RECORD, written last, is placed last).
    fn commit(mut self) -> Result<(), FsError> {
        if self.staged {
            self.pending.sort_by_key(|pending| pending.last);
            while let Some(pending) = self.pending.get(self.placed) {
                if pending.temp == pending.dest {
                    self.placed += 1;
                    continue;
                }
                fs::rename(&pending.temp, &pending.dest)
                    .context("rename into place", &pending.dest)?;
                if pending.linked {
                    // Renaming a hard link over another link to the same file succeeds
                    // and does nothing (POSIX), leaving the temporary name behind.
                    let _ = fs::remove_file(&pending.temp);
                }
                self.placed += 1;
            }
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if self.committed || !self.staged {
            return;
        }
        for (index, pending) in self.pending.iter().enumerate() {
            let written = if index < self.placed {
                &pending.dest
            } else {
                &pending.temp
            };
            let _ = fs::remove_file(written);
        }
        for dir in self.created.iter().rev() {
            // Only if empty: another install may have put files there meanwhile.
            let _ = fs::remove_dir(dir);
        }
    }
}

/// A temporary folder beside an unpacked wheel's destination, removed unless kept.
struct Staging {
    path: PathBuf,
    keep: bool,
}

impl Staging {
    fn new(parent: &Path) -> Result<Staging, FsError> {
        loop {
            let path = parent.join(temp_name("unpack-"));
            match fs::create_dir(&path) {
                Ok(()) => return Ok(Staging { path, keep: false }),
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(error).context("create folder", &path),
            }
        }
    }

    fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// One row of RECORD: `path,algorithm=digest,size`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Row {
    path: String,
    /// Empty, or `algorithm=digest` (urlsafe base64 without padding).
    hash: String,
    size: Option<u64>,
    /// Where it was read, for errors; 0 for rows made here.
    line: usize,
}

impl Row {
    /// The hash algorithm and size a wheel file must have. "Every file except RECORD
    /// ... must include its hash. The hash algorithm must be sha256 or better."
    fn expected(&self, record: &Path) -> Result<(Algorithm, u64), InstallError> {
        let invalid = |reason: String| InstallError::InvalidRecord {
            record: record.to_path_buf(),
            line: self.line,
            reason,
        };
        let path = self.path.escape_debug();
        if self.hash.is_empty() {
            return Err(invalid(format!("expected a hash for `{path}`, found none")));
        }
        let name = self.hash.split_once('=').map_or("", |(name, _)| name);
        let algorithm = match name {
            "sha256" => Algorithm::Sha256,
            "sha384" => Algorithm::Sha384,
            "sha512" => Algorithm::Sha512,
            _ => {
                return Err(invalid(format!(
                    "expected a sha256, sha384 or sha512 hash for `{path}`, found `{}`",
                    self.hash.escape_debug()
                )));
            }
        };
        let size = self
            .size
            .ok_or_else(|| invalid(format!("expected a size for `{path}`, found none")))?;
        Ok((algorithm, size))
    }
}

fn parse_record_bytes(bytes: &[u8], record: &Path) -> Result<Vec<Row>, InstallError> {
    let invalid = |line: usize, reason: String| InstallError::InvalidRecord {
        record: record.to_path_buf(),
        line,
        reason,
    };
    let text = std::str::from_utf8(bytes).map_err(|error| {
        let line = 1 + bytes[..error.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        invalid(line, "expected UTF-8 text, found other bytes".into())
    })?;
    parse_record(text).map_err(|(line, reason)| invalid(line, reason))
}

/// Rows of a RECORD file, read as Python's `csv.reader` reads them (the specification's
/// dialect): `,` between fields, `"` around a field holding one, `""` for a quote
/// inside it, lines ended by `\n` or `\r\n`. Blank lines are skipped.
fn parse_record(text: &str) -> Result<Vec<Row>, (usize, String)> {
    let mut rows = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut row_line = 1;
    let mut chars = text.chars().peekable();
    let mut end_row = |fields: &mut Vec<String>, row_line: usize| -> Result<(), (usize, String)> {
        let taken = std::mem::take(fields);
        if taken.len() == 1 && taken[0].is_empty() {
            return Ok(());
        }
        let [path, hash, size]: [String; 3] = taken.try_into().map_err(|taken: Vec<String>| {
            (
                row_line,
                format!(
                    "expected 3 fields (path, hash, size), found {}",
                    taken.len()
                ),
            )
        })?;
        if path.is_empty() {
            return Err((row_line, "expected a path, found an empty field".into()));
        }
        let size = if size.is_empty() {
            None
        } else {
            Some(size.parse().map_err(|_| {
                (
                    row_line,
                    format!("expected a size in bytes, found `{}`", size.escape_debug()),
                )
            })?)
        };
        rows.push(Row {
            path,
            hash,
            size,
            line: row_line,
        });
        Ok(())
    };
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => fields.push(std::mem::take(&mut field)),
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                fields.push(std::mem::take(&mut field));
                end_row(&mut fields, row_line)?;
                line += 1;
                row_line = line;
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err((
            row_line,
            "expected a closing `\"`, found the end of the file".into(),
        ));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        end_row(&mut fields, row_line)?;
    }
    Ok(rows)
}

/// RECORD's text: one row per file written, then RECORD's own row.
fn record_text(rows: &[Row], record: &str) -> String {
    let mut out = rows_text(rows);
    push_field(&mut out, record);
    out.push_str(",,\n");
    out
}

fn rows_text(rows: &[Row]) -> String {
    let mut out = String::with_capacity(rows.len() * 96);
    for row in rows {
        push_field(&mut out, &row.path);
        out.push(',');
        push_field(&mut out, &row.hash);
        out.push(',');
        if let Some(size) = row.size {
            let _ = write!(out, "{size}");
        }
        out.push('\n');
    }
    out
}

/// A CSV field, quoted as `csv.writer` quotes by default: only when it must be.
fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Algorithm {
    Sha256,
    Sha384,
    Sha512,
}

enum Hasher {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hasher {
    fn new(algorithm: Algorithm) -> Hasher {
        match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            Algorithm::Sha384 => Hasher::Sha384(sha2::Sha384::new()),
            Algorithm::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(hasher) => hasher.update(bytes),
            Hasher::Sha384(hasher) => hasher.update(bytes),
            Hasher::Sha512(hasher) => hasher.update(bytes),
        }
    }

    /// `algorithm=digest`, as RECORD writes it.
    fn finish(self) -> String {
        match self {
            Hasher::Sha256(hasher) => format!("sha256={}", urlsafe_b64(&hasher.finalize())),
            Hasher::Sha384(hasher) => format!("sha384={}", urlsafe_b64(&hasher.finalize())),
            Hasher::Sha512(hasher) => format!("sha512={}", urlsafe_b64(&hasher.finalize())),
        }
    }
}

/// "urlsafe_b64encode_nopad(digest) (urlsafe base64 encoding with no trailing =
/// characters)".
fn urlsafe_b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity((bytes.len() * 4).div_ceil(3));
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// An archive entry being read: hashed as it goes, and cut off one byte past the
/// size RECORD declares, so a lying header cannot make it write more than that.
struct Verified<'a> {
    inner: io::Take<&'a mut dyn Read>,
    hasher: Hasher,
    read: u64,
}

impl Read for Verified<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

impl Verified<'_> {
    /// Reads what was left unread, then checks the size and hash against RECORD.
    fn finish(
        mut self,
        wheel: &Path,
        entry: &str,
        row: &Row,
        size: u64,
    ) -> Result<(), InstallError> {
        copy(&mut self, &mut io::sink()).map_err(|error| {
            let (CopyError::Read(error) | CopyError::Write(error)) = error;
            InstallError::UnreadableEntry {
                wheel: wheel.to_path_buf(),
                entry: entry.to_string(),
                reason: error.to_string(),
            }
        })?;
        if self.read != size {
            return Err(InstallError::SizeMismatch {
                wheel: wheel.to_path_buf(),
                entry: entry.to_string(),
                expected: size,
                found: (self.read < size).then_some(self.read),
            });
        }
        let found = self.hasher.finish();
        let (name, digest) = row.hash.split_once('=').unwrap_or_default();
        if found.strip_prefix(name).and_then(|d| d.strip_prefix('='))
            != Some(digest.trim_end_matches('='))
        {
            return Err(InstallError::HashMismatch {
                wheel: wheel.to_path_buf(),
                entry: entry.to_string(),
                expected: row.hash.clone(),
                found,
            });
        }
        Ok(())
    }
}

/// A file being written, hashed with SHA-256 as it goes, for its RECORD row.
struct Hashing {
    file: File,
    hasher: Hasher,
    size: u64,
}

impl Hashing {
    fn new(file: File) -> Hashing {
        Hashing {
            file,
            hasher: Hasher::new(Algorithm::Sha256),
            size: 0,
        }
    }

    fn finish(self, path: String) -> Row {
        Row {
            path,
            hash: self.hasher.finish(),
            size: Some(self.size),
            line: 0,
        }
    }
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Which side of a copy failed: a read is the wheel's fault, a write the disk's.
enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

fn copy(reader: &mut dyn Read, writer: &mut dyn Write) -> Result<u64, CopyError> {
    let mut buf = [0u8; 64 * 1024];
    let mut total = 0;
    loop {
        let n = read_full(reader, &mut buf).map_err(CopyError::Read)?;
        if n == 0 {
            return Ok(total);
        }
        writer.write_all(&buf[..n]).map_err(CopyError::Write)?;
        total += n as u64;
    }
}

/// Copies a script, replacing a first line starting with `#!python` (which covers
/// `#!pythonw`, "a GUI script", the same on Unix) with `shebang`.
fn copy_script(
    reader: &mut dyn Read,
    out: &mut dyn Write,
    shebang: &[u8],
) -> Result<(), CopyError> {
    let mut head = [0u8; 8];
    let mut len = 0;
    while len < head.len() {
        match reader.read(&mut head[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(CopyError::Read(error)),
        }
    }
    if head[..len] != *b"#!python" {
        out.write_all(&head[..len]).map_err(CopyError::Write)?;
        return copy(reader, out).map(drop);
    }
    out.write_all(shebang).map_err(CopyError::Write)?;
    let mut buf = [0u8; 8 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(CopyError::Read(error)),
        };
        if let Some(end) = buf[..n].iter().position(|&b| b == b'\n') {
            out.write_all(&buf[end + 1..n]).map_err(CopyError::Write)?;
            return copy(reader, out).map(drop);
        }
    }
}

/// `#!<python>\n`, or, where a shebang line cannot hold the path (a space, or longer
/// than the 127 bytes older kernels read), pypa/installer's `/bin/sh` trampoline that
/// both sh and Python read correctly.
fn shebang(python: &Path) -> Vec<u8> {
    let executable = python.as_os_str().as_bytes();
    if !executable.contains(&b' ') && executable.len() + 3 <= 127 {
        return [b"#!", executable, b"\n"].concat();
    }
    let mut quoted = Vec::with_capacity(executable.len() + 2);
    let safe = |b: &u8| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(b);
    if !executable.is_empty() && executable.iter().all(safe) {
        quoted.extend_from_slice(executable);
    } else {
        // As Python's shlex.quote: single quotes, and `'"'"'` for a single quote.
        quoted.push(b'\'');
        for &b in executable {
            if b == b'\'' {
                quoted.extend_from_slice(b"'\"'\"'");
            } else {
                quoted.push(b);
            }
        }
        quoted.push(b'\'');
    }
    [
        &b"#!/bin/sh\n'''exec' "[..],
        &quoted,
        b" \"$0\" \"$@\"\n' '''\n",
    ]
    .concat()
}

/// A console or GUI script: `name = module:function`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Script {
    name: String,
    module: String,
    function: String,
}

/// The `[console_scripts]` and `[gui_scripts]` of `entry_points.txt`, read as
/// `importlib.metadata` reads them (`#` and `;` comments, as configparser has).
/// The error is the offending line and what was expected instead.
fn parse_entry_points(text: &str) -> Result<Vec<Script>, (String, &'static str)> {
    let mut scripts = Vec::new();
    let mut in_scripts = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            // "The difference between console_scripts and gui_scripts only affects
            // Windows systems."
            in_scripts = matches!(section, "console_scripts" | "gui_scripts");
            continue;
        }
        if !in_scripts {
            continue;
        }
        let error = |expected| (line.to_string(), expected);
        let (name, value) = line
            .split_once('=')
            .ok_or_else(|| error("`name = module:function`"))?;
        let name = name.trim();
        // "The name may contain any characters except =, but it cannot start or end
        // with any whitespace character, or start with [." A script's name is also a
        // file name in the scripts folder, so it may not name another place.
        if name.is_empty()
            || name.starts_with('[')
            || name == "."
            || name == ".."
            || name.contains(['/', '\\', '\0'])
        {
            return Err(error(
                "a script name that is a plain file name (no `/`, `\\`, `.` or `..`)",
            ));
        }
        // "If extras are used, they are a comma-separated list inside square brackets";
        // consumers "may then ignore them".
        let reference = match value.split_once('[') {
            Some((reference, extras)) if extras.trim_end().ends_with(']') => reference,
            Some(_) => return Err(error("extras closed by `]`")),
            None => value,
        };
        // "The object reference points to a function which will be called with no
        // arguments": a module alone is not enough for a script.
        let (module, function) = reference
            .split_once(':')
            .ok_or_else(|| error("`module:function`, the function the script calls"))?;
        let (module, function) = (module.trim(), function.trim());
        // "Each of the parts delimited by dots and the colon is a valid Python
        // identifier", which also keeps the launcher's code what it says.
        if !is_dotted_identifier(module) || !is_dotted_identifier(function) {
            return Err(error(
                "Python identifiers separated by `.` in `module:function`",
            ));
        }
        scripts.push(Script {
            name: name.to_string(),
            module: module.to_string(),
            function: function.to_string(),
        });
    }
    Ok(scripts)
}

fn is_dotted_identifier(text: &str) -> bool {
    text.split('.').all(|part| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|first| first == '_' || first.is_alphabetic())
            && chars.all(|c| c == '_' || c.is_alphanumeric())
    })
}

/// The launcher pip and pypa/installer write: "import sys; from mymod import main;
/// sys.exit(main())", with `sys.argv[0]` cleaned of Windows wrapper suffixes.
fn launcher(shebang: &[u8], module: &str, function: &str) -> String {
    let import = function.split('.').next().unwrap_or(function);
    format!(
        "{}# -*- coding: utf-8 -*-\n\
         import re\n\
         import sys\n\
         from {module} import {import}\n\
         if __name__ == \"__main__\":\n    \
         sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n    \
         sys.exit({function}())\n",
        String::from_utf8_lossy(shebang)
    )
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

/// Whether `name` in a `__pycache__` folder is bytecode cached for `{stem}.py`:
/// `{stem}.{cache tag}.pyc` or `{stem}.{cache tag}.opt-{level}.pyc` (PEP 3147, 488).
fn is_cached_bytecode(name: &str, stem: &str) -> bool {
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

/// The absolute form of `path`, with `.` and `..` resolved by name as Python's
/// `os.path.abspath` does, so relative RECORD paths come out as pip writes them.
fn absolute(path: &Path) -> Result<PathBuf, FsError> {
    let path = std::path::absolute(path).context("resolve", path)?;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Ok(out)
}

/// `path` relative to `base` (both absolute and normalized), `/`-separated, as
/// `os.path.relpath` gives it; empty when they are the same.
fn relative(path: &Path, base: &Path) -> Result<String, InstallError> {
    let path_parts: Vec<Component<'_>> = path.components().collect();
    let base_parts: Vec<Component<'_>> = base.components().collect();
    let common = path_parts
        .iter()
        .zip(&base_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts = vec![".."; base_parts.len() - common];
    for part in &path_parts[common..] {
        parts.push(
            part.as_os_str()
                .to_str()
                .ok_or_else(|| InstallError::NotUtf8Path {
                    path: path.to_path_buf(),
                })?,
        );
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standards::filename::DistFilename;
    use crate::util::fs::{TEMP_PREFIX, TestDir as TempDir};
    use std::collections::BTreeMap;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn sha256(bytes: &[u8]) -> String {
        let mut hasher = Hasher::new(Algorithm::Sha256);
        hasher.update(bytes);
        hasher.finish()
    }

    fn wheel_name(filename: &str) -> WheelFilename {
        match DistFilename::parse(filename) {
            Ok(DistFilename::Wheel(wheel)) => wheel,
            other => panic!("{filename}: {other:?}"),
        }
    }

    /// (name in the archive, contents, Unix mode)
    type Entry = (String, Vec<u8>, u32);

    fn entry(name: &str, contents: &[u8], mode: u32) -> Entry {
        (name.to_string(), contents.to_vec(), mode)
    }

    /// A wheel with a package, scripts, data, headers, a platlib file and entry points.
    fn demo_entries() -> Vec<Entry> {
        vec![
            entry("demo/__init__.py", b"VALUE = 1\n", 0o644),
            entry("demo/sub/mod.py", b"def main():\n    print('hi')\n", 0o644),
            entry("demo/tool.sh", b"#!/bin/sh\necho tool\n", 0o755),
            entry(
                "demo-1.0.data/scripts/demo-rewritten",
                b"#!python -u\nprint('x')\n",
                0o644,
            ),
            entry("demo-1.0.data/scripts/plain", b"#!/bin/sh\necho plain\n", 0o644),
            entry("demo-1.0.data/scripts/demo.exe", b"MZ wrapper", 0o644),
            entry("demo-1.0.data/data/share/demo/readme.txt", b"data\n", 0o644),
            entry("demo-1.0.data/headers/demo.h", b"int x;\n", 0o644),
            entry("demo-1.0.data/platlib/demo_native.py", b"", 0o644),
            entry(
                "demo-1.0.dist-info/METADATA",
                b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
                0o644,
            ),
            entry(
                "demo-1.0.dist-info/WHEEL",
                b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
                0o644,
            ),
            entry(
                "demo-1.0.dist-info/entry_points.txt",
                b"[console_scripts]\ndemo = demo.sub.mod:main\n\n[gui_scripts]\ndemo-gui = demo.sub.mod:main [gui]\n\n[other]\nx = y\n",
                0o644,
            ),
        ]
    }

    fn record_of(entries: &[Entry], dist_info: &str) -> Vec<u8> {
        let mut record = String::new();
        for (name, contents, _) in entries {
            if !name.ends_with('/') {
                record.push_str(&format!("{name},{},{}\n", sha256(contents), contents.len()));
            }
        }
        record.push_str(&format!("{dist_info}/RECORD,,\n"));
        record.into_bytes()
    }

    fn zip_entries(path: &Path, entries: &[Entry]) {
        let mut zip = zip::ZipWriter::new(File::create(path).expect("create wheel"));
        for (name, contents, mode) in entries {
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .unix_permissions(*mode);
            if name.ends_with('/') {
                zip.add_directory(name.as_str(), options)
                    .expect("add folder");
            } else {
                zip.start_file(name.as_str(), options).expect("start file");
                zip.write_all(contents).expect("write file");
            }
        }
        zip.finish().expect("finish wheel");
    }

    /// Writes `entries` and a RECORD for them as `dir/filename`.
    fn build(dir: &Path, filename: &str, mut entries: Vec<Entry>) -> PathBuf {
        let dist_info = entries
            .iter()
            .find_map(|(name, _, _)| name.split_once(".dist-info/").map(|(d, _)| d.to_string()))
            .map(|d| format!("{d}.dist-info"))
            .unwrap_or_else(|| "demo-1.0.dist-info".into());
        let record = record_of(&entries, &dist_info);
        entries.push((format!("{dist_info}/RECORD"), record, 0o644));
        let path = dir.join(filename);
        zip_entries(&path, &entries);
        path
    }

    struct Env {
        _dir: TempDir,
        root: PathBuf,
        target: Target,
    }

    /// An environment's folders without an interpreter; platlib differs from purelib
    /// (as on Fedora) so that relative RECORD paths are exercised.
    fn env(label: &str) -> Env {
        let dir = TempDir::new(label);
        let root = dir.0.join("env");
        let scheme = Scheme {
            purelib: root.join("lib/python3.11/site-packages"),
            platlib: root.join("lib64/python3.11/site-packages"),
            scripts: root.join("bin"),
            data: root.clone(),
            headers: root.join("include/site/python3.11"),
        };
        for path in [&scheme.purelib, &scheme.platlib, &scheme.scripts] {
            fs::create_dir_all(path).expect("create scheme folder");
        }
        fs::write(root.join("bin/python"), b"").expect("write python");
        let python = root.join("bin/python");
        Env {
            _dir: dir,
            root,
            target: Target { scheme, python },
        }
    }

    fn options() -> InstallOptions {
        InstallOptions {
            installer: "curd",
            requested: true,
            direct_url: None,
            link: LinkMode::Hardlink,
            bytecode: None,
        }
    }

    /// Every file and folder under `root`: contents, and mode for files.
    fn tree(root: &Path) -> BTreeMap<PathBuf, Option<(Vec<u8>, u32)>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).expect("read folder") {
                let path = entry.expect("entry").path();
                let relative = path.strip_prefix(root).expect("inside").to_path_buf();
                if path.is_dir() {
                    stack.push(path);
                    out.insert(relative, None);
                } else {
                    let mode = fs::metadata(&path).expect("stat").permissions().mode();
                    out.insert(relative, Some((fs::read(&path).expect("read"), mode)));
                }
            }
        }
        out
    }

    fn install(env: &Env, wheel: &Path, filename: &str) -> Result<Installed, InstallError> {
        install_wheel(
            Source::Zip(wheel),
            &wheel_name(filename),
            &env.target,
            &options(),
        )
    }

    const DEMO: &str = "demo-1.0-py3-none-any.whl";

    #[test]
    fn encodes_urlsafe_base64_without_padding() {
        for (bytes, encoded) in [
            (&b""[..], ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"\xfb\xff", "-_8"),
            (b"\xfb\xef\xbe", "----"),
            (b"\xff\xff\xff", "____"),
        ] {
            assert_eq!(urlsafe_b64(bytes), encoded, "{bytes:?}");
        }
        // `base64.urlsafe_b64encode(hashlib.sha256(b"").digest()).rstrip(b"=")`
        assert_eq!(
            sha256(b""),
            "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
        );
    }

    #[test]
    fn reads_record_as_the_csv_module_does() {
        let text = "a.py,sha256=x,1\r\n\"b,c.py\",sha256=y,2\n\n\"q\"\"uote\",,\n\"multi\nline\",,\nlast,,";
        let rows = parse_record(text).expect("parses");
        let paths: Vec<&str> = rows.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["a.py", "b,c.py", "q\"uote", "multi\nline", "last"]);
        assert_eq!(rows[0].size, Some(1));
        assert_eq!(rows[2].size, None);
        assert_eq!(rows[2].hash, "");
        assert_eq!(
            rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [1, 2, 4, 5, 7]
        );
        for (text, line, reason) in [
            ("a,b\n", 1, "expected 3 fields (path, hash, size), found 2"),
            (
                "a,b,c,d\n",
                1,
                "expected 3 fields (path, hash, size), found 4",
            ),
            (
                "ok,,\nx,sha256=a,big\n",
                2,
                "expected a size in bytes, found `big`",
            ),
            ("x,sha256=a,-1\n", 1, "expected a size in bytes, found `-1`"),
            (",sha256=a,1\n", 1, "expected a path, found an empty field"),
            (
                "ok,,\n\"open,,\n",
                2,
                "expected a closing `\"`, found the end of the file",
            ),
        ] {
            assert_eq!(
                parse_record(text),
                Err((line, reason.to_string())),
                "{text:?}"
            );
        }
    }

    #[test]
    fn writes_record_that_reads_back() {
        let rows = vec![
            Row {
                path: "pkg/a.py".into(),
                hash: sha256(b"a"),
                size: Some(1),
                line: 0,
            },
            Row {
                path: "../../../bin/odd, \"name\"".into(),
                hash: sha256(b""),
                size: Some(0),
                line: 0,
            },
        ];
        let text = record_text(&rows, "pkg-1.0.dist-info/RECORD");
        assert_eq!(
            text,
            format!(
                "pkg/a.py,{},1\n\"../../../bin/odd, \"\"name\"\"\",{},0\npkg-1.0.dist-info/RECORD,,\n",
                sha256(b"a"),
                sha256(b"")
            )
        );
        let read = parse_record(&text).expect("reads back");
        assert_eq!(read[0].path, rows[0].path);
        assert_eq!(read[1].path, rows[1].path);
        assert_eq!(read[1].hash, rows[1].hash);
        assert_eq!(read[2].path, "pkg-1.0.dist-info/RECORD");
    }

    #[test]
    fn guards_against_paths_leaving_their_folder() {
        for safe in [
            "a",
            "a/b.py",
            "a/",
            "a.data/scripts/x",
            "..a/b..",
            "a/.hidden",
            "a b/c",
        ] {
            assert!(is_safe_entry(safe), "{safe}");
        }
        for unsafe_ in [
            "",
            "/",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/..",
            "..",
            ".",
            "./a",
            "a/./b",
            "a//b",
            "a\\b",
            "..\\x",
            "a\0b",
            "//x",
        ] {
            assert!(!is_safe_entry(unsafe_), "{unsafe_:?}");
        }
    }

    #[test]
    fn builds_shebangs_like_pypa_installer() {
        assert_eq!(
            shebang(Path::new("/venv/bin/python")),
            b"#!/venv/bin/python\n"
        );
        assert_eq!(
            shebang(Path::new("/my venv/bin/python")),
            b"#!/bin/sh\n'''exec' '/my venv/bin/python' \"$0\" \"$@\"\n' '''\n"
        );
        assert_eq!(
            shebang(Path::new("/it's here/python")),
            b"#!/bin/sh\n'''exec' '/it'\"'\"'s here/python' \"$0\" \"$@\"\n' '''\n"
        );
        // 124 bytes fit (with `#!` and the newline, 127); 125 do not.
        let fits = format!("/{}", "p".repeat(123));
        assert_eq!(
            shebang(Path::new(&fits)),
            format!("#!{fits}\n").into_bytes()
        );
        let long = format!("/{}", "p".repeat(124));
        assert_eq!(
            shebang(Path::new(&long)),
            format!("#!/bin/sh\n'''exec' {long} \"$0\" \"$@\"\n' '''\n").into_bytes()
        );
    }

    #[test]
    fn rewrites_only_python_shebangs() {
        let rewrite = |input: &[u8]| {
            let mut out = Vec::new();
            let mut reader = input;
            assert!(copy_script(&mut reader, &mut out, b"#!/env/python\n").is_ok());
            out
        };
        assert_eq!(
            rewrite(b"#!python\nprint(1)\n"),
            b"#!/env/python\nprint(1)\n"
        );
        assert_eq!(rewrite(b"#!pythonw -u\r\nx\n"), b"#!/env/python\nx\n");
        assert_eq!(rewrite(b"#!python"), b"#!/env/python\n");
        assert_eq!(rewrite(b"#!/bin/sh\necho\n"), b"#!/bin/sh\necho\n");
        assert_eq!(rewrite(b"#!pyth"), b"#!pyth");
        assert_eq!(rewrite(b" #!python\n"), b" #!python\n");
        assert_eq!(rewrite(b""), b"");
        let long_first_line = [&b"#!python"[..], &[b'x'; 20_000], b"\nrest"].concat();
        assert_eq!(rewrite(&long_first_line), b"#!/env/python\nrest");
    }

    #[test]
    fn parses_console_and_gui_scripts() {
        let text = "\
            # comment\n\
            [console_scripts]\n\
            foo = foomod:main\n\
            Foo.Bar-baz=  foo.mod : main.attr [extra1, extra2]  \n\
            ; another comment\n\
            \n\
            [pytest11]\n\
            nbval = nbval.plugin\n\
            [gui_scripts]\n\
            gui = pkg:run\n\
            [ console_scripts ]\n\
            ignored = not:checked\n";
        let scripts = parse_entry_points(text).expect("parses");
        let got: Vec<(&str, &str, &str)> = scripts
            .iter()
            .map(|s| (s.name.as_str(), s.module.as_str(), s.function.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("foo", "foomod", "main"),
                ("Foo.Bar-baz", "foo.mod", "main.attr"),
                ("gui", "pkg", "run"),
            ]
        );
        for (line, expected) in [
            ("../evil = m:f", "a script name that is a plain file name"),
            ("a/b = m:f", "a script name that is a plain file name"),
            ("a\\b = m:f", "a script name that is a plain file name"),
            (".. = m:f", "a script name that is a plain file name"),
            (" = m:f", "a script name that is a plain file name"),
            ("noequals", "`name = module:function`"),
            ("mod = pkg.module", "`module:function`"),
            ("x = m:f; import os", "Python identifiers"),
            ("x = m:f()", "Python identifiers"),
            ("x = 1m:f", "Python identifiers"),
            ("x = m..n:f", "Python identifiers"),
            ("x = m:", "Python identifiers"),
            ("x = m:f [extra", "extras closed by `]`"),
        ] {
            let text = format!("[console_scripts]\n{line}\n");
            match parse_entry_points(&text) {
                Err((found, message)) => {
                    assert_eq!(found, line.trim(), "{line}");
                    assert!(message.starts_with(expected), "{line}: {message}");
                }
                Ok(scripts) => panic!("{line}: parsed as {scripts:?}"),
            }
        }
    }

    #[test]
    fn writes_launchers_like_pip() {
        assert_eq!(
            launcher(b"#!/env/bin/python\n", "foo.cli", "main.run"),
            "#!/env/bin/python\n\
             # -*- coding: utf-8 -*-\n\
             import re\n\
             import sys\n\
             from foo.cli import main\n\
             if __name__ == \"__main__\":\n\
             \x20   sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n\
             \x20   sys.exit(main.run())\n"
        );
    }

    #[test]
    fn computes_record_paths_as_os_path_relpath() {
        let site = Path::new("/venv/lib/python3.11/site-packages");
        for (path, expected) in [
            ("/venv/bin", "../../../bin"),
            ("/venv", "../../.."),
            ("/venv/lib/python3.11/site-packages", ""),
            ("/venv/lib/python3.11/site-packages/x", "x"),
            (
                "/venv/include/site/python3.11/demo",
                "../../../include/site/python3.11/demo",
            ),
            ("/elsewhere/bin", "../../../../elsewhere/bin"),
        ] {
            assert_eq!(
                relative(Path::new(path), site).expect("utf-8"),
                expected,
                "{path}"
            );
        }
        assert_eq!(
            absolute(Path::new("/a/./b/../c/")).expect("absolute"),
            Path::new("/a/c")
        );
        assert!(
            absolute(Path::new("relative"))
                .expect("absolute")
                .is_absolute()
        );
    }

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

    #[test]
    fn reads_wheel_file() {
        assert_eq!(
            parse_wheel_file("Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"),
            Ok((1, 0, true))
        );
        assert_eq!(
            parse_wheel_file("wheel-version:2.13\r\nroot-is-purelib: False\r\n"),
            Ok((2, 13, false))
        );
        assert_eq!(parse_wheel_file("Wheel-Version: 1.0\n"), Ok((1, 0, false)));
        assert_eq!(
            parse_wheel_file("Generator: x\n"),
            Err("expected a `Wheel-Version` field, found none".into())
        );
        for bad in ["1", "1.", ".0", "one.0", "1.0.0", "+1.0", "1.-0"] {
            assert_eq!(
                parse_wheel_file(&format!("Wheel-Version: {bad}\n")),
                Err(format!(
                    "expected `Wheel-Version` as `major.minor`, found `{bad}`"
                )),
                "{bad}"
            );
        }
    }

    #[test]
    fn installs_every_file_where_the_scheme_says() {
        let env = env("full");
        let dir = TempDir::new("full-wheels");
        let wheel = build(&dir.0, DEMO, demo_entries());
        let installed = install(&env, &wheel, DEMO).expect("installs");
        let site = &env.target.scheme.purelib;
        assert_eq!(installed.dist_info, site.join("demo-1.0.dist-info"));
        assert!(installed.warnings.is_empty());
        let read =
            |path: &Path| fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mode = |path: &Path| fs::metadata(path).expect("stat").permissions().mode() & 0o111;
        assert_eq!(read(&site.join("demo/__init__.py")), b"VALUE = 1\n");
        assert_eq!(mode(&site.join("demo/__init__.py")), 0);
        assert_ne!(mode(&site.join("demo/tool.sh")), 0);
        let bin = &env.root.join("bin");
        assert_eq!(
            read(&bin.join("demo-rewritten")),
            format!("#!{}\nprint('x')\n", env.target.python.display()).as_bytes()
        );
        assert_ne!(mode(&bin.join("demo-rewritten")), 0);
        assert_eq!(read(&bin.join("plain")), b"#!/bin/sh\necho plain\n");
        assert_ne!(mode(&bin.join("plain")), 0, "scripts get +x");
        assert!(!bin.join("demo.exe").exists(), "setuptools wrapper skipped");
        let launcher = String::from_utf8(read(&bin.join("demo"))).expect("utf-8");
        assert!(launcher.starts_with(&format!("#!{}\n", env.target.python.display())));
        assert!(launcher.contains("from demo.sub.mod import main\n"));
        assert_ne!(mode(&bin.join("demo")), 0);
        assert!(bin.join("demo-gui").is_file());
        assert!(!bin.join("x").exists(), "other groups are not scripts");
        assert_eq!(read(&env.root.join("share/demo/readme.txt")), b"data\n");
        assert_eq!(
            read(&env.root.join("include/site/python3.11/demo/demo.h")),
            b"int x;\n"
        );
        assert!(env.target.scheme.platlib.join("demo_native.py").is_file());
        let dist_info = site.join("demo-1.0.dist-info");
        assert_eq!(read(&dist_info.join("INSTALLER")), b"curd\n");
        assert_eq!(read(&dist_info.join("REQUESTED")), b"");
        assert!(!dist_info.join("direct_url.json").exists());

        // RECORD lists every file written, relative to site-packages, with the hash
        // and size of what is on disk; RECORD itself last.
        let record = String::from_utf8(read(&dist_info.join("RECORD"))).expect("utf-8");
        let rows = parse_record(&record).expect("valid RECORD");
        assert_eq!(rows.len(), installed.files);
        let last = rows.last().expect("rows");
        assert_eq!(
            (last.path.as_str(), last.hash.as_str(), last.size),
            ("demo-1.0.dist-info/RECORD", "", None)
        );
        let mut listed = BTreeSet::new();
        for row in &rows[..rows.len() - 1] {
            let path = absolute(&site.join(&row.path)).expect("absolute");
            let bytes = read(&path);
            assert_eq!(row.hash, sha256(&bytes), "{}", row.path);
            assert_eq!(row.size, Some(bytes.len() as u64), "{}", row.path);
            listed.insert(path);
        }
        listed.insert(dist_info.join("RECORD"));
        let on_disk: BTreeSet<PathBuf> = tree(&env.root)
            .into_iter()
            .filter(|(path, kind)| kind.is_some() && path != Path::new("bin/python"))
            .map(|(path, _)| env.root.join(path))
            .collect();
        assert_eq!(listed, on_disk);
        for expected in [
            "../../../bin/demo",
            "../../../bin/demo-rewritten",
            "../../../share/demo/readme.txt",
            "../../../include/site/python3.11/demo/demo.h",
            "../../../lib64/python3.11/site-packages/demo_native.py",
            "demo/sub/mod.py",
            "demo-1.0.dist-info/INSTALLER",
        ] {
            assert!(
                rows.iter().any(|r| r.path == expected),
                "{expected} in {record}"
            );
        }
        // No temporary file is left anywhere.
        assert!(
            tree(&env.root)
                .keys()
                .all(|path| !path.to_string_lossy().contains(TEMP_PREFIX))
        );
    }

    #[test]
    fn writes_direct_url_and_honours_root_is_purelib_false() {
        let env = env("platlib");
        let dir = TempDir::new("platlib-wheels");
        let mut entries = demo_entries();
        for (name, contents, _) in &mut entries {
            if name.ends_with("/WHEEL") {
                *contents = b"Wheel-Version: 1.0\nRoot-Is-Purelib: false\n".to_vec();
            }
        }
        entries.retain(|(name, _, _)| !name.contains(".data/platlib/"));
        let wheel = build(&dir.0, DEMO, entries);
        let direct_url = r#"{"url": "file:///tmp/demo-1.0-py3-none-any.whl", "archive_info": {}}"#;
        let options = InstallOptions {
            requested: false,
            direct_url: Some(direct_url.into()),
            ..options()
        };
        let installed = install_wheel(
            Source::Zip(&wheel),
            &wheel_name(DEMO),
            &env.target,
            &options,
        )
        .expect("installs");
        let platlib = &env.target.scheme.platlib;
        assert_eq!(installed.dist_info, platlib.join("demo-1.0.dist-info"));
        assert!(platlib.join("demo/__init__.py").is_file());
        assert!(!env.target.scheme.purelib.join("demo").exists());
        assert_eq!(
            fs::read_to_string(platlib.join("demo-1.0.dist-info/direct_url.json")).expect("read"),
            direct_url
        );
        assert!(!platlib.join("demo-1.0.dist-info/REQUESTED").exists());
        let record = fs::read_to_string(platlib.join("demo-1.0.dist-info/RECORD")).expect("read");
        assert!(record.contains("demo-1.0.dist-info/direct_url.json,sha256="));
        assert!(record.contains("\n../../../bin/demo,sha256="));

        for bad in ["[1, 2]", "{not json"] {
            let options = InstallOptions {
                direct_url: Some(bad.into()),
                ..options.clone()
            };
            let error = install_wheel(
                Source::Zip(&wheel),
                &wheel_name(DEMO),
                &env.target,
                &options,
            )
            .expect_err(bad);
            assert!(
                error
                    .to_string()
                    .starts_with("invalid direct_url.json: expected a JSON object, found "),
                "{error}"
            );
        }
    }

    #[test]
    fn warns_about_newer_minor_versions_and_refuses_other_majors() {
        let env = env("versions");
        let dir = TempDir::new("versions-wheels");
        let with_version = |version: &str| {
            let mut entries = demo_entries();
            for (name, contents, _) in &mut entries {
                if name.ends_with("/WHEEL") {
                    *contents =
                        format!("Wheel-Version: {version}\nRoot-Is-Purelib: true\n").into_bytes();
                }
            }
            build(&dir.0, DEMO, entries)
        };
        let installed = install(&env, &with_version("1.9"), DEMO).expect("installs");
        assert_eq!(installed.warnings.len(), 1);
        assert!(installed.warnings[0].contains("Wheel-Version 1.9, newer than the 1.0"));
        let before = tree(&env.root);
        for version in ["2.0", "0.1"] {
            let error = install(&env, &with_version(version), DEMO).expect_err(version);
            assert!(
                matches!(&error, InstallError::UnsupportedWheelVersion { found, .. } if found == version),
                "{error}"
            );
            assert!(error.to_string().contains("expected `Wheel-Version` 1.x"));
        }
        assert_eq!(tree(&env.root), before);
    }

    /// A malformed case: entries added to the demo wheel, and the RECORD to use
    /// instead of a correct one.
    struct Malformed {
        label: &'static str,
        extra: Vec<Entry>,
        record: Option<Vec<u8>>,
        check: fn(&InstallError) -> bool,
    }

    /// The demo wheel's RECORD with `rows` appended.
    fn record_with(rows: &str) -> Option<Vec<u8>> {
        let mut record = record_of(&demo_entries(), "demo-1.0.dist-info");
        record.extend(rows.bytes());
        Some(record)
    }

    /// A wheel refused at any point leaves the environment exactly as it was, even
    /// files it would have replaced and folders it had to create.
    #[test]
    fn refuses_malformed_wheels_and_leaves_nothing_behind() {
        let env = env("malformed");
        let dir = TempDir::new("malformed-wheels");
        // A previous install the bad wheels would overwrite.
        install(&env, &build(&dir.0, DEMO, demo_entries()), DEMO).expect("installs");
        let before = tree(&env.root);
        let cases = [
            Malformed {
                label: "hash mismatch in the last file",
                extra: vec![entry("zzz/late.py", b"tampered", 0o644)],
                record: record_with(&format!("zzz/late.py,{},8\n", sha256(b"original"))),
                check: |e| matches!(e, InstallError::HashMismatch { entry, .. } if entry == "zzz/late.py"),
            },
            Malformed {
                label: "parent traversal",
                extra: vec![entry("demo/../../../../escape.py", b"x", 0o644)],
                record: None,
                check: |e| matches!(e, InstallError::UnsafePath { entry, .. } if entry == "demo/../../../../escape.py"),
            },
            Malformed {
                label: "absolute path",
                extra: vec![entry("/tmp/absolute.py", b"x", 0o644)],
                record: None,
                check: |e| matches!(e, InstallError::UnsafePath { .. }),
            },
            Malformed {
                label: "a second dist-info",
                extra: vec![entry("other-1.0.dist-info/METADATA", b"x", 0o644)],
                record: None,
                check: |e| matches!(e, InstallError::MultipleDistInfo { .. }),
            },
            Malformed {
                label: "a file not in RECORD",
                extra: vec![entry("demo/extra.py", b"x", 0o644)],
                record: record_with(""),
                check: |e| matches!(e, InstallError::NotInRecord { entry, .. } if entry == "demo/extra.py"),
            },
            Malformed {
                label: "a header larger than RECORD says",
                extra: vec![entry("zzz/big.py", b"0123456789", 0o644)],
                record: record_with(&format!("zzz/big.py,{},5\n", sha256(b"01234"))),
                check: |e| {
                    matches!(
                        e,
                        InstallError::SizeMismatch {
                            expected: 5,
                            found: Some(10),
                            ..
                        }
                    )
                },
            },
            Malformed {
                label: "an md5 hash",
                extra: vec![entry("zzz/weak.py", b"x", 0o644)],
                record: record_with("zzz/weak.py,md5=nope,1\n"),
                check: |e| matches!(e, InstallError::InvalidRecord { reason, .. } if reason.contains("found `md5=nope`")),
            },
            Malformed {
                label: "no hash",
                extra: vec![entry("zzz/unhashed.py", b"x", 0o644)],
                record: record_with("zzz/unhashed.py,,1\n"),
                check: |e| matches!(e, InstallError::InvalidRecord { reason, .. } if reason.contains("expected a hash")),
            },
            Malformed {
                label: "an unknown .data folder",
                extra: vec![entry("demo-1.0.data/config/x.cfg", b"x", 0o644)],
                record: None,
                check: |e| matches!(e, InstallError::UnknownScheme { entry, .. } if entry == "demo-1.0.data/config/x.cfg"),
            },
            Malformed {
                label: "another .data folder",
                extra: vec![entry("demo-2.0.data/scripts/x", b"x", 0o644)],
                record: None,
                check: |e| matches!(e, InstallError::DataDirMismatch { found, .. } if found == "demo-2.0.data"),
            },
            Malformed {
                label: "two files for one destination",
                extra: vec![entry(
                    "demo-1.0.data/purelib/demo/__init__.py",
                    b"VALUE = 1\n",
                    0o644,
                )],
                record: None,
                check: |e| matches!(e, InstallError::DuplicateDestination { .. }),
            },
            Malformed {
                label: "a script name with a slash",
                extra: vec![entry(
                    "demo-1.0.dist-info/entry_points.txt",
                    b"[console_scripts]\n../evil = demo:main\n",
                    0o644,
                )],
                record: None,
                check: |e| matches!(e, InstallError::InvalidEntryPoint { line, .. } if line == "../evil = demo:main"),
            },
        ];
        for case in cases {
            // An extra entry replaces the demo's entry of the same name.
            let mut entries: Vec<Entry> = demo_entries()
                .into_iter()
                .filter(|(name, _, _)| !case.extra.iter().any(|(extra, _, _)| extra == name))
                .collect();
            entries.extend(case.extra);
            let path = match case.record {
                Some(record) => {
                    entries.push(("demo-1.0.dist-info/RECORD".into(), record, 0o644));
                    let path = dir.0.join(DEMO);
                    zip_entries(&path, &entries);
                    path
                }
                None => build(&dir.0, DEMO, entries),
            };
            let error = install(&env, &path, DEMO).expect_err(case.label);
            assert!((case.check)(&error), "{}: {error}", case.label);
            assert_eq!(
                tree(&env.root),
                before,
                "{}: the environment changed",
                case.label
            );
        }
    }

    #[test]
    fn refuses_wheels_of_another_project_or_without_their_files() {
        let env = env("mismatch");
        let dir = TempDir::new("mismatch-wheels");
        let wheel = build(&dir.0, DEMO, demo_entries());
        let error = install(&env, &wheel, "demo-2.0-py3-none-any.whl").expect_err("version");
        assert_eq!(
            error.to_string(),
            format!(
                "invalid wheel `{}`: expected the `.dist-info` folder `demo-2.0.dist-info`, found `demo-1.0.dist-info`",
                wheel.display()
            )
        );
        let error = install(&env, &wheel, "other-1.0-py3-none-any.whl").expect_err("name");
        assert!(
            matches!(error, InstallError::DistInfoMismatch { .. }),
            "{error}"
        );
        for missing in ["METADATA", "WHEEL"] {
            let entries: Vec<Entry> = demo_entries()
                .into_iter()
                .filter(|(name, _, _)| !name.ends_with(&format!("/{missing}")))
                .collect();
            let wheel = build(&dir.0, DEMO, entries);
            match install(&env, &wheel, DEMO) {
                Err(InstallError::MissingFile { entry, .. }) => {
                    assert_eq!(entry, format!("demo-1.0.dist-info/{missing}"))
                }
                other => panic!("{missing}: {other:?}"),
            }
        }
        let no_dist_info = dir.0.join("bare.whl");
        zip_entries(&no_dist_info, &[entry("demo/__init__.py", b"", 0o644)]);
        assert!(matches!(
            install(&env, &no_dist_info, DEMO),
            Err(InstallError::NoDistInfo { .. })
        ));
        let not_zip = dir.0.join("not.whl");
        fs::write(&not_zip, b"not a zip").expect("write");
        assert!(matches!(
            install(&env, &not_zip, DEMO),
            Err(InstallError::NotZip { .. })
        ));
        assert!(matches!(
            install(&env, &dir.0.join("missing.whl"), DEMO),
            Err(InstallError::Io(_))
        ));
        // Old wheels spell the folder as the project did.
        let entries: Vec<Entry> = demo_entries()
            .into_iter()
            .map(|(name, contents, mode)| (name.replace("demo-1.0.", "Demo-1.0."), contents, mode))
            .collect();
        let wheel = build(&dir.0, DEMO, entries);
        let installed = install(&env, &wheel, DEMO).expect("old spelling installs");
        assert!(installed.dist_info.ends_with("Demo-1.0.dist-info"));
    }

    /// A zip bomb: the headers and RECORD declare a small size, the data inflates
    /// to far more. Reading stops one byte past what RECORD declares.
    #[test]
    fn stops_entries_that_inflate_past_their_declared_size() {
        let env = env("bomb");
        let dir = TempDir::new("bomb-wheels");
        let big = vec![b'a'; 1 << 20];
        let small = &big[..10];
        let mut entries = demo_entries();
        entries.push(entry("zzz/bomb.py", &big, 0o644));
        let mut record = record_of(&demo_entries(), "demo-1.0.dist-info");
        record.extend(format!("zzz/bomb.py,{},10\n", sha256(small)).bytes());
        entries.push(("demo-1.0.dist-info/RECORD".into(), record, 0o644));
        let path = dir.0.join(DEMO);
        zip_entries(&path, &entries);
        // Patch the uncompressed size to 10 in the entry's local header (size at
        // offset 22, name at 30) and its central header (size at 24, name at 46).
        let mut bytes = fs::read(&path).expect("read");
        let mut patched = 0;
        for (signature, size_at, name_at) in [(b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)] {
            for at in 0..bytes.len() - name_at - 11 {
                if &bytes[at..at + 4] == signature
                    && &bytes[at + name_at..at + name_at + 11] == b"zzz/bomb.py"
                {
                    bytes[at + size_at..at + size_at + 4].copy_from_slice(&10u32.to_le_bytes());
                    patched += 1;
                }
            }
        }
        assert_eq!(patched, 2, "local and central headers");
        fs::write(&path, &bytes).expect("write");
        let before = tree(&env.root);
        match install(&env, &path, DEMO) {
            Err(InstallError::SizeMismatch {
                entry,
                expected: 10,
                found: None,
                ..
            }) => {
                assert_eq!(entry, "zzz/bomb.py")
            }
            // The zip reader enforces the header's size itself, before our bound does.
            Err(InstallError::UnreadableEntry { entry, reason, .. }) => {
                assert_eq!(entry, "zzz/bomb.py");
                assert!(reason.contains("larger than its declared"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(tree(&env.root), before);
    }

    #[test]
    fn installs_the_same_from_an_unpacked_wheel_with_hard_links() {
        let dir = TempDir::new("unpacked");
        let wheel = build(&dir.0, DEMO, demo_entries());
        let cache = dir.0.join("cache/demo-1.0");
        unpack(&wheel, &wheel_name(DEMO), &cache).expect("unpacks");
        assert!(cache.join("demo/__init__.py").is_file());
        assert!(cache.join("demo-1.0.data/scripts/demo-rewritten").is_file());
        let cache_parent = tree(&dir.0.join("cache"));
        assert!(
            cache_parent
                .keys()
                .all(|p| !p.to_string_lossy().contains(TEMP_PREFIX)),
            "{cache_parent:?}"
        );
        // Unpacking again is a no-op.
        unpack(&wheel, &wheel_name(DEMO), &cache).expect("unpacks again");

        let from_zip = env("from-zip");
        install(&from_zip, &wheel, DEMO).expect("installs from the zip");
        for mode in [LinkMode::Hardlink, LinkMode::Copy] {
            let from_cache = env("from-cache");
            let options = InstallOptions {
                link: mode,
                ..options()
            };
            install_wheel(
                Source::Unpacked(&cache),
                &wheel_name(DEMO),
                &from_cache.target,
                &options,
            )
            .expect("installs from the cache");
            // Same tree, same bytes, same modes; RECORD differs only by the prefix
            // in the rewritten shebangs (each environment has its own python).
            let (a, b) = (tree(&from_zip.root), tree(&from_cache.root));
            assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
            for (path, contents) in &a {
                let other = &b[path];
                let text = |c: &Option<(Vec<u8>, u32)>| {
                    c.as_ref().map(|(bytes, mode)| {
                        let text = String::from_utf8_lossy(bytes)
                            .replace(&from_zip.root.display().to_string(), "ENV")
                            .replace(&from_cache.root.display().to_string(), "ENV");
                        (text, *mode)
                    })
                };
                if path.ends_with("RECORD") || path.starts_with("bin") {
                    assert_eq!(
                        text(contents).map(|(t, m)| (t.lines().count(), m)),
                        text(other).map(|(t, m)| (t.lines().count(), m)),
                        "{}",
                        path.display()
                    );
                } else {
                    assert_eq!(text(contents), text(other), "{}", path.display());
                }
            }
            let ino = |path: &Path| fs::metadata(path).expect("stat").ino();
            let module = from_cache.target.scheme.purelib.join("demo/__init__.py");
            let shared = ino(&module) == ino(&cache.join("demo/__init__.py"));
            assert_eq!(shared, mode == LinkMode::Hardlink, "{mode:?}");
            let script = from_cache.root.join("bin/demo-rewritten");
            assert_ne!(
                ino(&script),
                ino(&cache.join("demo-1.0.data/scripts/demo-rewritten")),
                "scripts are written fresh"
            );
            // The cache keeps its own shebang.
            assert_eq!(
                fs::read(cache.join("demo-1.0.data/scripts/demo-rewritten")).expect("read"),
                b"#!python -u\nprint('x')\n"
            );
            // Installing over itself (same inodes) leaves no temporary names behind.
            install_wheel(
                Source::Unpacked(&cache),
                &wheel_name(DEMO),
                &from_cache.target,
                &options,
            )
            .expect("installs again");
            assert!(
                tree(&from_cache.root)
                    .keys()
                    .all(|p| !p.to_string_lossy().contains(TEMP_PREFIX))
            );
        }
    }

    #[test]
    fn a_link_install_failing_midway_leaves_the_environment_as_it_was() {
        let dir = TempDir::new("unpacked-broken");
        let wheel = build(&dir.0, DEMO, demo_entries());
        let cache = dir.0.join("cache/demo-1.0");
        unpack(&wheel, &wheel_name(DEMO), &cache).expect("unpacks");
        // Files before it in RECORD are linked into place by the time it is missed.
        fs::remove_file(cache.join("demo-1.0.data/headers/demo.h")).expect("remove");
        let target = env("linked-broken");
        let before = tree(&target.root);
        install_wheel(
            Source::Unpacked(&cache),
            &wheel_name(DEMO),
            &target.target,
            &options(),
        )
        .expect_err("a file is missing from the cache");
        assert_eq!(tree(&target.root), before);
    }

    #[test]
    fn unpacking_a_bad_wheel_leaves_no_folder() {
        let dir = TempDir::new("unpack-bad");
        let mut entries = demo_entries();
        let wheel = build(&dir.0, DEMO, entries.clone());
        entries.push(entry("zzz/unlisted.py", b"", 0o644));
        entries.push((
            "demo-1.0.dist-info/RECORD".into(),
            record_of(&demo_entries(), "demo-1.0.dist-info"),
            0o644,
        ));
        let bad = dir.0.join("bad").join(DEMO);
        fs::create_dir_all(bad.parent().expect("parent")).expect("mkdir");
        zip_entries(&bad, &entries);
        let cache = dir.0.join("cache");
        let error = unpack(&bad, &wheel_name(DEMO), &cache.join("demo")).expect_err("refused");
        assert!(matches!(error, InstallError::NotInRecord { .. }), "{error}");
        assert_eq!(fs::read_dir(&cache).expect("cache").count(), 0);
        unpack(&wheel, &wheel_name(DEMO), &cache.join("demo")).expect("good one unpacks");
        assert_eq!(fs::read_dir(&cache).expect("cache").count(), 1);
    }

    #[test]
    fn uninstalls_everything_it_installed() {
        let env = env("uninstall");
        let dir = TempDir::new("uninstall-wheels");
        let before = tree(&env.root);
        let wheel = build(&dir.0, DEMO, demo_entries());
        install(&env, &wheel, DEMO).expect("installs");
        // What Python's import system leaves behind, and a stranger's file.
        let site = env.target.scheme.purelib.clone();
        for name in [
            "demo/__pycache__/__init__.cpython-311.pyc",
            "demo/sub/__pycache__/mod.cpython-311.opt-1.pyc",
        ] {
            fs::create_dir_all(site.join(name).parent().expect("parent")).expect("mkdir");
            fs::write(site.join(name), b"bytecode").expect("write");
        }
        let inventory = installed(&[site.clone(), site.clone()]).expect("scans");
        assert_eq!(inventory.dists.len(), 1);
        let dist = &inventory.dists[0];
        assert_eq!(
            (dist.name.as_str(), dist.version.to_string().as_str()),
            ("demo", "1.0")
        );
        let removed = uninstall(&env.target.scheme, dist).expect("uninstalls");
        assert!(
            removed
                .files
                .iter()
                .any(|f| f.ends_with("mod.cpython-311.opt-1.pyc"))
        );
        assert!(
            removed
                .dirs
                .iter()
                .any(|d| d.ends_with("demo-1.0.dist-info"))
        );
        // Everything is gone but the scheme's own headers folder, which pip keeps too.
        let mut after = tree(&env.root);
        for kept in ["include", "include/site", "include/site/python3.11"] {
            assert_eq!(after.remove(Path::new(kept)), Some(None), "{kept}");
        }
        assert_eq!(after, before);
        assert!(
            installed(std::slice::from_ref(&site))
                .expect("scans")
                .dists
                .is_empty()
        );
        // Uninstalled meanwhile by another process: nothing left to do, no error.
        let again = uninstall(&env.target.scheme, dist).expect("already gone");
        assert!(again.files.is_empty() && again.dirs.is_empty());

        // A folder holding a file of another project stays.
        install(&env, &wheel, DEMO).expect("installs again");
        fs::write(site.join("demo/sub/stranger.py"), b"").expect("write");
        let dist = installed(std::slice::from_ref(&site))
            .expect("scans")
            .dists
            .remove(0);
        uninstall(&env.target.scheme, &dist).expect("uninstalls");
        assert!(site.join("demo/sub/stranger.py").is_file());
        assert!(!site.join("demo/sub/mod.py").exists());
    }

    #[test]
    fn refuses_to_uninstall_outside_the_environment() {
        let env = env("outside");
        let dir = TempDir::new("outside-wheels");
        let victim = dir.0.join("victim.txt");
        fs::write(&victim, b"keep me").expect("write");
        install(&env, &build(&dir.0, DEMO, demo_entries()), DEMO).expect("installs");
        let site = env.target.scheme.purelib.clone();
        let record = site.join("demo-1.0.dist-info/RECORD");
        let original = fs::read_to_string(&record).expect("read");
        // A symbolic link inside the environment pointing out of it counts as outside.
        std::os::unix::fs::symlink(&dir.0, site.join("link")).expect("symlink");
        for line in [
            format!("{},,\n", victim.display()),
            "../../../../victim.txt,,\n".to_string(),
            "link/victim.txt,,\n".to_string(),
        ] {
            fs::write(&record, format!("{line}{original}")).expect("write");
            let dist = installed(std::slice::from_ref(&site))
                .expect("scans")
                .dists
                .remove(0);
            let error = uninstall(&env.target.scheme, &dist).expect_err(&line);
            assert!(
                matches!(error, InstallError::OutsideEnvironment { .. }),
                "{error}"
            );
            assert!(victim.is_file());
            assert!(site.join("demo/__init__.py").is_file(), "nothing removed");
        }
        fs::remove_file(&record).expect("remove");
        let dist = InstalledDist {
            name: PackageName::new("demo").expect("name"),
            version: "1.0".parse().expect("version"),
            dist_info: site.join("demo-1.0.dist-info"),
        };
        let error = uninstall(&env.target.scheme, &dist).expect_err("no RECORD");
        assert_eq!(
            error.to_string(),
            format!(
                "cannot uninstall `{}`: expected a RECORD file listing its files, found none",
                dist.dist_info.display()
            )
        );
    }

    #[test]
    fn lists_installed_projects_and_reports_broken_ones() {
        let dir = TempDir::new("inventory");
        let site = dir.0.join("site-packages");
        for (folder, metadata) in [
            (
                "b_pkg-2.0.dist-info",
                Some("Metadata-Version: 2.1\nName: B.Pkg\nVersion: 2.0\n"),
            ),
            (
                "a-1.0.dist-info",
                Some("Metadata-Version: 2.1\nName: a\nVersion: 1.0rc1\n"),
            ),
            ("empty-1.0.dist-info", None),
            (
                "bad-1.0.dist-info",
                Some("Metadata-Version: 2.1\nName: bad\n"),
            ),
            (
                "badver-1.0.dist-info",
                Some("Metadata-Version: 2.1\nName: badver\nVersion: one\n"),
            ),
            ("notes.txt", None),
        ] {
            fs::create_dir_all(site.join(folder)).expect("mkdir");
            if let Some(metadata) = metadata {
                fs::write(site.join(folder).join("METADATA"), metadata).expect("write");
            }
        }
        fs::write(site.join("c-1.0.dist-info-not-a-folder.dist-info"), b"").expect("write");
        let inventory = installed(&[site.clone(), dir.0.join("missing")]).expect("scans");
        let found: Vec<(String, String)> = inventory
            .dists
            .iter()
            .map(|d| (d.name.to_string(), d.version.to_string()))
            .collect();
        assert_eq!(
            found,
            [
                ("a".into(), "1.0rc1".into()),
                ("b-pkg".into(), "2.0".into())
            ]
        );
        assert_eq!(inventory.broken.len(), 3);
        let messages: Vec<String> = inventory.broken.iter().map(|e| e.to_string()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("empty-1.0.dist-info`: expected a METADATA file")),
            "{messages:?}"
        );
        assert!(
            messages.iter().all(|m| m.starts_with("ignoring `")),
            "{messages:?}"
        );
    }

    /// Wheels sharing a namespace folder install from several threads at once, some
    /// failing and rolling back, without disturbing each other.
    #[test]
    fn installs_wheels_in_parallel() {
        let env = env("parallel");
        let dir = TempDir::new("parallel-wheels");
        let wheels: Vec<(String, PathBuf, bool)> = (0..12)
            .map(|i| {
                let name = format!("ns{i}");
                let filename = format!("{name}-1.0-py3-none-any.whl");
                let dist_info = format!("{name}-1.0.dist-info");
                let module = format!("nspkg/{name}/deep/x.py");
                let mut entries = vec![
                    entry(&module, b"x = 1\n", 0o644),
                    entry(
                        &format!("{dist_info}/METADATA"),
                        format!("Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n").as_bytes(),
                        0o644,
                    ),
                    entry(
                        &format!("{dist_info}/WHEEL"),
                        b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\n",
                        0o644,
                    ),
                ];
                let good = i % 3 != 0;
                let mut record = record_of(&entries, &dist_info);
                if !good {
                    entries.push(entry("nspkg/zz.py", b"bad", 0o644));
                    record.extend(format!("nspkg/zz.py,{},3\n", sha256(b"good")).bytes());
                }
                entries.push((format!("{dist_info}/RECORD"), record, 0o644));
                let path = dir.0.join(&filename);
                zip_entries(&path, &entries);
                (filename, path, good)
            })
            .collect();
        std::thread::scope(|scope| {
            for (filename, path, good) in &wheels {
                let env = &env;
                scope.spawn(move || {
                    let result = install(env, path, filename);
                    assert_eq!(result.is_ok(), *good, "{filename}: {result:?}");
                });
            }
        });
        let site = &env.target.scheme.purelib;
        let inventory = installed(std::slice::from_ref(site)).expect("scans");
        assert_eq!(inventory.dists.len(), 8);
        for (filename, _, good) in &wheels {
            let name = filename.split('-').next().expect("name");
            assert_eq!(
                site.join(format!("nspkg/{name}/deep/x.py")).is_file(),
                *good,
                "{name}"
            );
        }
        assert!(!site.join("nspkg/zz.py").exists());
        assert!(
            tree(&env.root)
                .keys()
                .all(|p| !p.to_string_lossy().contains(TEMP_PREFIX))
        );
    }

    #[test]
    fn explains_errors_to_users() {
        let wheel = PathBuf::from("/w/demo-1.0-py3-none-any.whl");
        let w = || wheel.clone();
        for (error, message) in [
            (
                InstallError::HashMismatch {
                    wheel: w(),
                    entry: "demo/x.py".into(),
                    expected: "sha256=abc".into(),
                    found: "sha256=def".into(),
                },
                "invalid wheel `/w/demo-1.0-py3-none-any.whl`: expected `demo/x.py` to hash to `sha256=abc` as RECORD says, found `sha256=def`",
            ),
            (
                InstallError::SizeMismatch {
                    wheel: w(),
                    entry: "demo/x.py".into(),
                    expected: 10,
                    found: None,
                },
                "invalid wheel `/w/demo-1.0-py3-none-any.whl`: expected `demo/x.py` to be 10 bytes as RECORD says, found more",
            ),
            (
                InstallError::UnsafePath {
                    wheel: w(),
                    entry: "../x\n".into(),
                },
                "invalid wheel `/w/demo-1.0-py3-none-any.whl`: expected relative paths inside the wheel, found `../x\\n`",
            ),
            (
                InstallError::UnsupportedWheelVersion {
                    wheel: w(),
                    found: "2.0".into(),
                },
                "unsupported wheel `/w/demo-1.0-py3-none-any.whl`: expected `Wheel-Version` 1.x, found `2.0`",
            ),
            (
                InstallError::InvalidRecord {
                    record: PathBuf::from("/w/x.whl/demo-1.0.dist-info/RECORD"),
                    line: 3,
                    reason: "expected 3 fields (path, hash, size), found 2".into(),
                },
                "invalid RECORD `/w/x.whl/demo-1.0.dist-info/RECORD` at line 3: expected 3 fields (path, hash, size), found 2",
            ),
            (
                InstallError::InvalidEntryPoint {
                    wheel: w(),
                    line: "a/b = m:f".into(),
                    expected: "a script name that is a plain file name (no `/`, `\\`, `.` or `..`)",
                },
                "invalid entry point `a/b = m:f` in `/w/demo-1.0-py3-none-any.whl`: expected a script name that is a plain file name (no `/`, `\\`, `.` or `..`)",
            ),
            (
                InstallError::OutsideEnvironment {
                    path: "/etc/passwd".into(),
                    prefix: "/venv".into(),
                },
                "refusing to remove `/etc/passwd`: expected a path inside the environment `/venv`",
            ),
        ] {
            assert_eq!(error.to_string(), message);
        }
    }
}

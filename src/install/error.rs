//! Why an install, an unpack or an uninstall failed, in words for users: each message
//! names the wheel or file, what was expected and what was found.

use std::fmt;
use std::path::PathBuf;

use crate::standards::record::RecordError;
use crate::util::fs::FsError;

/// Why a wheel could not be installed or unpacked, or a project uninstalled.
#[derive(Debug)]
pub enum InstallError {
    /// A file or folder of the wheel, the cache or the environment could not be used.
    Io(FsError),
    /// The wheel is not a readable zip archive.
    NotZip { wheel: PathBuf, reason: String },
    /// The archive names one entry twice, so tools could disagree on which is installed.
    DuplicateEntries { wheel: PathBuf },
    /// An entry could not be decompressed, or a `.dist-info` text file is too big or not UTF-8.
    UnreadableEntry {
        wheel: PathBuf,
        entry: String,
        reason: String,
    },
    /// An entry that could land outside its folder: absolute, with `..`, or otherwise
    /// not a plain relative path.
    UnsafePath { wheel: PathBuf, entry: String },
    /// An entry named as curd names its own files in an environment.
    ReservedName { wheel: PathBuf, entry: String },
    /// A file to be put where a folder is, or a folder where a file is: the rename
    /// that puts it in place would fail after the install is committed.
    KindClash { path: PathBuf, folder: bool },
    /// No top-level `.dist-info` folder.
    NoDistInfo { wheel: PathBuf, expected: String },
    /// More than one top-level `.dist-info` folder.
    MultipleDistInfo {
        wheel: PathBuf,
        first: String,
        second: String,
    },
    /// The `.dist-info` folder is another project's or version's than the file name's.
    DistInfoMismatch {
        wheel: PathBuf,
        found: String,
        expected: String,
    },
    /// A top-level `.data` folder not named after the `.dist-info` folder.
    DataDirMismatch {
        wheel: PathBuf,
        found: String,
        expected: String,
    },
    /// A `.data` subfolder that is not one of the five scheme keys.
    UnknownScheme { wheel: PathBuf, entry: String },
    /// A file the wheel must have (METADATA, WHEEL, RECORD) is absent.
    MissingFile { wheel: PathBuf, entry: String },
    /// The WHEEL file cannot be read.
    InvalidWheelFile {
        wheel: PathBuf,
        reason: WheelFileError,
    },
    /// A `Wheel-Version` whose major version is not 1.
    UnsupportedWheelVersion { wheel: PathBuf, found: String },
    /// RECORD cannot be read, or does not hash and size a wheel's file.
    InvalidRecord { record: PathBuf, error: RecordError },
    /// An archive entry that RECORD does not list.
    NotInRecord { wheel: PathBuf, entry: String },
    /// An entry whose bytes do not hash as RECORD says.
    HashMismatch {
        wheel: PathBuf,
        entry: String,
        expected: String,
        found: String,
    },
    /// An entry of another size than RECORD declares. `found` is `None` when the entry
    /// holds more than it declares (it is not read further).
    SizeMismatch {
        wheel: PathBuf,
        entry: String,
        expected: u64,
        found: Option<u64>,
    },
    /// Two files of the wheel would be written to one place.
    DuplicateDestination { wheel: PathBuf, path: PathBuf },
    /// Unpacking was called off: the run no longer needed the tree.
    Stopped { wheel: PathBuf },
    /// A console or GUI script in `entry_points.txt` that cannot be made into a launcher.
    InvalidEntryPoint {
        wheel: PathBuf,
        line: String,
        expected: &'static str,
    },
    /// The `direct_url.json` text to write is not a JSON object.
    InvalidDirectUrl { found: String },
    /// A path RECORD must hold that is not UTF-8.
    NotUtf8Path { path: PathBuf },
    /// An installed project without RECORD, which cannot be uninstalled safely.
    NoRecord { dist_info: PathBuf },
    /// A RECORD of an installed project naming a path outside the environment.
    OutsideEnvironment { path: PathBuf, prefix: PathBuf },
    /// A `.dist-info` folder without readable metadata, left out of the inventory.
    BrokenDist { dist_info: PathBuf, reason: String },
    /// A transaction's journal that a killed run left, which is not one curd wrote.
    Journal {
        path: PathBuf,
        line: usize,
        reason: &'static str,
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
            ReservedName { wheel, entry } => write!(
                f,
                "invalid wheel `{}`: expected no names that curd keeps for its own files in an environment (`.curd-*`, `.curd.lock`), found `{}`",
                wheel.display(),
                shown(entry)
            ),
            KindClash { path, folder } => {
                let (new, old) = if *folder {
                    ("folder", "file")
                } else {
                    ("file", "folder")
                };
                write!(
                    f,
                    "a {new} would go at `{}`, where a {old} is; uninstall the project that owns it first",
                    path.display()
                )
            }
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
            InvalidRecord { record, error } => write!(
                f,
                "invalid RECORD `{}` at line {}: {error}",
                record.display(),
                error.line()
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
            Stopped { wheel } => write!(
                f,
                "unpacking `{}` stopped: the run ended without needing it",
                wheel.display()
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
            Journal { path, line, reason } => write!(
                f,
                "cannot read the journal of an interrupted install, `{}`, line {line}: {reason}\n\
                 hint: check that the environment is whole (`pip check`), then remove the journal",
                path.display()
            ),
        }
    }
}

impl std::error::Error for InstallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InstallError::Io(error) => Some(error),
            InstallError::InvalidWheelFile { reason, .. } => Some(reason),
            InstallError::InvalidRecord { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl From<FsError> for InstallError {
    fn from(error: FsError) -> Self {
        InstallError::Io(error)
    }
}

/// Why the WHEEL file of a wheel cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WheelFileError {
    /// No `Wheel-Version` field.
    NoVersion,
    /// A `Wheel-Version` that is not `major.minor` in digits.
    InvalidVersion { found: String },
}

impl fmt::Display for WheelFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WheelFileError::NoVersion => {
                f.write_str("expected a `Wheel-Version` field, found none")
            }
            WheelFileError::InvalidVersion { found } => write!(
                f,
                "expected `Wheel-Version` as `major.minor`, found `{}`",
                found.escape_debug()
            ),
        }
    }
}

impl std::error::Error for WheelFileError {}

#[cfg(test)]
mod tests {
    use super::*;

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
                InstallError::ReservedName {
                    wheel: w(),
                    entry: ".curd-journal".into(),
                },
                "invalid wheel `/w/demo-1.0-py3-none-any.whl`: expected no names that curd keeps for its own files in an environment (`.curd-*`, `.curd.lock`), found `.curd-journal`",
            ),
            (
                InstallError::KindClash {
                    path: PathBuf::from("/v/site-packages/demo/data"),
                    folder: true,
                },
                "a folder would go at `/v/site-packages/demo/data`, where a file is; uninstall the project that owns it first",
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
                    error: RecordError::FieldCount { line: 3, found: 2 },
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

//! Where each file of a wheel goes: the environment's scheme, and for each entry its
//! path on disk and the path RECORD gives it.
//!
//! - <https://packaging.python.org/en/latest/specifications/binary-distribution-format/#installing-a-wheel-distribution-1-0-py32-none-any-whl>
//!
//! Traps: RECORD paths are relative to the folder holding `.dist-info` and climb out
//! of it for scripts, data and headers (`../../../bin/x`), computed as
//! `os.path.relpath` does, by name; `.data/scripts` may hold wrappers setuptools made
//! for entry points, which the launchers written here replace.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use super::error::InstallError;
use super::script::Script;
use super::wheel::Wheel;
use crate::standards::filename::WheelFilename;
use crate::util::fs::{Context, FsError};

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

impl Scheme {
    /// The scheme `python -m venv` lays out at `prefix` on POSIX, for environments
    /// curd makes itself (build environments), where asking the interpreter would
    /// cost a process per build.
    pub fn venv(prefix: &Path, version: (u32, u32)) -> Scheme {
        let (major, minor) = version;
        let site = prefix.join(format!("lib/python{major}.{minor}/site-packages"));
        Scheme {
            purelib: site.clone(),
            platlib: site,
            scripts: prefix.join("bin"),
            data: prefix.to_path_buf(),
            headers: Scheme::venv_headers(prefix, version),
        }
    }

    /// pip's header folder in a virtual environment at `prefix`: see `headers`.
    pub fn venv_headers(prefix: &Path, (major, minor): (u32, u32)) -> PathBuf {
        prefix.join(format!("include/site/python{major}.{minor}"))
    }
}

/// The environment to install into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub scheme: Scheme,
    /// The absolute path of the environment's interpreter, written into script shebangs.
    pub python: PathBuf,
}

/// A folder of the scheme, and how RECORD writes paths under it: relative to the
/// folder holding `.dist-info`, as pip writes them (`../../../bin/x`).
#[derive(Clone, Debug)]
pub(super) struct Place {
    pub(super) dir: PathBuf,
    record: String,
}

impl Place {
    pub(super) fn join(&self, sub: &str) -> (PathBuf, String) {
        let record = if self.record.is_empty() {
            sub.to_string()
        } else {
            format!("{}/{sub}", self.record)
        };
        (self.dir.join(sub), record)
    }
}

/// Where each file of a wheel goes in an environment.
#[derive(Clone)]
pub(super) struct InstallLayout {
    /// Purelib or platlib, as WHEEL says: where the archive's root and `.dist-info` go.
    pub(super) root: Place,
    /// `{name}-{version}.data/`.
    data_prefix: String,
    /// `{name}-{version}.dist-info/`.
    dist_info_prefix: String,
    /// The five `.data` subfolders, by name.
    data: [(&'static str, Place); 5],
    pub(super) scripts: Place,
    /// Names of console and GUI scripts, whose setuptools-made wrappers in
    /// `.data/scripts` are replaced by the launchers written here, as pip does.
    entry_points: HashSet<String>,
}

impl InstallLayout {
    pub(super) fn new(
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
    pub(super) fn destination(
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

/// Where a [`Destination`](super::destination::Destination) puts files.
#[derive(Clone)]
pub(super) enum Layout {
    /// An environment: files spread over its scheme, scripts and metadata added.
    Install(Box<InstallLayout>),
    /// A cache folder: the wheel's own layout, nothing rewritten or added.
    Unpack { root: PathBuf },
}

/// The absolute form of `path`, with `.` and `..` resolved by name as Python's
/// `os.path.abspath` does, so relative RECORD paths come out as pip writes them.
pub(super) fn absolute(path: &Path) -> Result<PathBuf, FsError> {
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
}

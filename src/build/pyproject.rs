//! Reading `pyproject.toml` in Rust: `[build-system]` (PEP 518), with PEP 517's
//! fallback for projects that have none and the checks on `backend-path`, and the
//! fields of `[project]` (PEP 621) a frontend can use before building.
//!
//! <https://packaging.python.org/en/latest/specifications/pyproject-toml/>
//!
//! Read here rather than by the interpreter, so a build needs no TOML parser in
//! Python: 3.8 to 3.10 have no tomllib, and a venv made without pip (by
//! `python -m venv --without-pip`, or by uv) has no vendored copy either.
//!
//! Traps:
//! - The `toml` crate reads TOML 1.1, a superset of the 1.0 that tomllib reads:
//!   a file only 1.1 allows (a newline in an inline table) is read here, where a
//!   Python backend may refuse it later; never the other way round.
//! - A `[project]` field absent from `dynamic` is static and absent means empty
//!   (PEP 621), so `dependencies` missing and not dynamic is "none", not "unknown".
//! - `[project]` is read only when asked for: a backend that ignores it (an
//!   in-tree one, an older tool's) builds whatever it holds, as pip builds it.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::build::error::BuildError;
use crate::standards::metadata::CoreMetadata;
use crate::standards::requirement::Requirement;
use crate::util::config::{line_of, parse_toml, read_toml_text};

/// What a project without `[build-system]` is built with: setuptools running its
/// `setup.py`, with the requirements pip gives it.
const LEGACY_BACKEND: &str = "setuptools.build_meta:__legacy__";
const LEGACY_REQUIRES: [&str; 2] = ["setuptools>=40.8.0", "wheel"];

/// Far above real files (those with every tool's settings are tens of KiB), and
/// read whole into memory.
pub const MAX_PYPROJECT_BYTES: u64 = 1 << 20;

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

/// `[build-system]` as written, its types checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildSystemTable {
    pub requires: Vec<String>,
    pub build_backend: Option<String>,
    pub backend_path: Option<Vec<String>>,
}

/// The fields of `[project]` a frontend may use before building, as written: the
/// requirements stay text, parsed by whoever uses them, as core metadata's are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectTable {
    pub name: String,
    pub version: Option<String>,
    /// The fields the backend fills in when it builds (`version`, `dependencies`, …).
    pub dynamic: Vec<String>,
    pub requires_python: Option<String>,
    pub dependencies: Option<Vec<String>>,
    /// Each extra's requirements, by the extra's name as written.
    pub optional_dependencies: Option<BTreeMap<String, Vec<String>>>,
}

impl ProjectTable {
    /// Whether `field` (as `[project]` spells it) is known without building.
    pub fn is_static(&self, field: &str) -> bool {
        !self.dynamic.iter().any(|d| d == field)
    }

    /// The core metadata a wheel built from this project will have, as far as
    /// resolving needs it, with Metadata 2.2's meaning (PEP 643): a field the
    /// table leaves dynamic is listed in `dynamic` under its core metadata name.
    /// `None` when the version is left to the build, or a requirement does not
    /// parse (the backend will say so when it builds).
    pub fn core_metadata(&self) -> Option<CoreMetadata> {
        let version = self.version.clone()?;
        let mut dynamic = Vec::new();
        let mut leave = |field: &str, names: &[&str]| {
            if !self.is_static(field) {
                dynamic.extend(names.iter().map(|name| name.to_string()));
            }
        };
        leave("requires-python", &["Requires-Python"]);
        leave("dependencies", &["Requires-Dist"]);
        leave(
            "optional-dependencies",
            &["Requires-Dist", "Provides-Extra"],
        );
        let mut requires_dist = Vec::new();
        for text in self.dependencies.iter().flatten() {
            requires_dist.push(text.parse::<Requirement>().ok()?.to_string());
        }
        let extras = self.optional_dependencies.iter().flatten();
        for (extra, requirements) in extras.clone() {
            for text in requirements {
                requires_dist.push(in_extra(text.parse().ok()?, extra));
            }
        }
        Some(CoreMetadata {
            metadata_version: "2.2".into(),
            name: self.name.clone(),
            version,
            requires_dist,
            requires_python: self.requires_python.clone(),
            provides_extra: extras.map(|(extra, _)| extra.clone()).collect(),
            dynamic,
        })
    }
}

/// A requirement of an extra as core metadata writes it: its marker, if any,
/// and `extra == "…"`.
fn in_extra(mut requirement: Requirement, extra: &str) -> String {
    let marker = requirement.marker.take();
    let extra = format!("extra == \"{}\"", extra.escape_debug());
    match marker {
        Some(marker) => format!("{requirement} ; ({marker}) and {extra}"),
        None => format!("{requirement} ; {extra}"),
    }
}

/// The tables of a `pyproject.toml` a frontend reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pyproject {
    pub build_system: Option<BuildSystemTable>,
    pub project: Option<ProjectTable>,
}

/// The parsed document and where it came from, for errors that name the file,
/// the line and the key.
struct Document<'a, 'i> {
    path: &'a Path,
    text: &'i str,
    root: DeTable<'i>,
}

impl<'i> Document<'_, 'i> {
    fn invalid(&self, reason: String) -> BuildError {
        BuildError::Pyproject {
            path: self.path.to_path_buf(),
            reason,
        }
    }

    /// `expected` for `key`, on the line the value is.
    fn wrong(&self, key: &str, expected: &str, value: &Spanned<DeValue<'_>>) -> BuildError {
        self.invalid(format!(
            "line {}: `{key}` is {} {}, expected {expected}",
            line_of(self.text, value.span().start),
            article(value.get_ref().type_str()),
            value.get_ref().type_str()
        ))
    }

    fn table(&self, key: &str) -> Result<Option<&DeTable<'i>>, BuildError> {
        match self.root.get(key) {
            None => Ok(None),
            Some(value) => match value.get_ref() {
                DeValue::Table(table) => Ok(Some(table)),
                _ => Err(self.wrong(key, "a table", value)),
            },
        }
    }

    fn string(
        &self,
        table: &DeTable<'_>,
        prefix: &str,
        key: &str,
    ) -> Result<Option<String>, BuildError> {
        match table.get(key) {
            None => Ok(None),
            Some(value) => match value.get_ref() {
                DeValue::String(text) => Ok(Some(text.to_string())),
                _ => Err(self.wrong(&format!("{prefix}.{key}"), "a string", value)),
            },
        }
    }

    fn strings(
        &self,
        table: &DeTable<'_>,
        prefix: &str,
        key: &str,
    ) -> Result<Option<Vec<String>>, BuildError> {
        let Some(value) = table.get(key) else {
            return Ok(None);
        };
        let key = format!("{prefix}.{key}");
        let DeValue::Array(items) = value.get_ref() else {
            return Err(self.wrong(&key, "a list of strings", value));
        };
        items
            .iter()
            .map(|item| match item.get_ref() {
                DeValue::String(text) => Ok(text.to_string()),
                _ => Err(self.wrong(&format!("{key}[]"), "a string", item)),
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }

    fn build_system(&self) -> Result<Option<BuildSystemTable>, BuildError> {
        const TABLE: &str = "build-system";
        let Some(table) = self.table(TABLE)? else {
            return Ok(None);
        };
        let requires = self.strings(table, TABLE, "requires")?.ok_or_else(|| {
            self.invalid("`[build-system]` has no `requires`, which PEP 518 makes mandatory".into())
        })?;
        Ok(Some(BuildSystemTable {
            requires,
            build_backend: self.string(table, TABLE, "build-backend")?,
            backend_path: self.strings(table, TABLE, "backend-path")?,
        }))
    }

    fn project(&self) -> Result<Option<ProjectTable>, BuildError> {
        const TABLE: &str = "project";
        let Some(table) = self.table(TABLE)? else {
            return Ok(None);
        };
        let name = self.string(table, TABLE, "name")?.ok_or_else(|| {
            self.invalid("`[project]` has no `name`, which PEP 621 makes mandatory".into())
        })?;
        let optional_dependencies = match table.get("optional-dependencies") {
            None => None,
            Some(value) => {
                let key = "project.optional-dependencies";
                let DeValue::Table(extras) = value.get_ref() else {
                    return Err(self.wrong(key, "a table of lists of strings", value));
                };
                let mut found = BTreeMap::new();
                for (extra, _) in extras.iter() {
                    let requires = self.strings(extras, key, extra.get_ref())?;
                    found.insert(extra.get_ref().to_string(), requires.unwrap_or_default());
                }
                Some(found)
            }
        };
        let project = ProjectTable {
            name,
            version: self.string(table, TABLE, "version")?,
            dynamic: self.strings(table, TABLE, "dynamic")?.unwrap_or_default(),
            requires_python: self.string(table, TABLE, "requires-python")?,
            dependencies: self.strings(table, TABLE, "dependencies")?,
            optional_dependencies,
        };
        // PEP 621: a field given and listed in `dynamic` is an error, and one
        // neither given nor dynamic is empty, so `version` must be one or the other.
        let given = |field: &str| table.get(field).is_some();
        if let Some(both) = project.dynamic.iter().find(|field| given(field)) {
            return Err(self.invalid(format!(
                "`project.{both}` is given and listed in `project.dynamic`, which PEP 621 forbids"
            )));
        }
        if project.version.is_none() && project.is_static("version") {
            return Err(self
                .invalid("`[project]` has no `version` and does not list it in `dynamic`".into()));
        }
        Ok(Some(project))
    }
}

/// "a" or "an", for a TOML type's name.
fn article(kind: &str) -> &'static str {
    if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Parses `text`, read from `path`, and gives the tables it checks with `read`.
fn with_document<T>(
    path: &Path,
    text: &str,
    read: impl FnOnce(&Document<'_, '_>) -> Result<T, BuildError>,
) -> Result<T, BuildError> {
    let root = parse_toml(path, text)
        .map_err(BuildError::Toml)?
        .into_inner();
    read(&Document { path, text, root })
}

/// Both tables of `pyproject.toml` text (from an archive, say), strictly: a
/// `[project]` PEP 621 refuses is an error here.
pub fn parse_pyproject(path: &Path, text: &str) -> Result<Pyproject, BuildError> {
    with_document(path, text, |document| {
        Ok(Pyproject {
            build_system: document.build_system()?,
            project: document.project()?,
        })
    })
}

/// Reads `path` and parses it as [`parse_pyproject`] does; `Ok(None)` if there is
/// no such file.
pub fn read_pyproject(path: &Path) -> Result<Option<Pyproject>, BuildError> {
    match read_toml_text(path, MAX_PYPROJECT_BYTES).map_err(BuildError::Toml)? {
        Some(text) => parse_pyproject(path, &text).map(Some),
        None => Ok(None),
    }
}

/// Reads `[build-system]` from the project's `pyproject.toml`.
///
/// Without `pyproject.toml`, or without `[build-system]` in it, the project is
/// built as pip builds it: by setuptools' legacy backend, which runs `setup.py`.
/// A `[build-system]` without `build-backend` keeps its `requires` and gets that
/// backend too, as PEP 517 says.
pub fn build_system(project: &Path) -> Result<BuildSystem, BuildError> {
    let pyproject = project.join("pyproject.toml");
    let Some(text) = read_toml_text(&pyproject, MAX_PYPROJECT_BYTES).map_err(BuildError::Toml)?
    else {
        if !project.join("setup.py").is_file() {
            return Err(BuildError::NotAProject {
                project: project.to_path_buf(),
            });
        }
        return legacy_build_system(&pyproject, &LEGACY_REQUIRES);
    };
    let Some(table) = with_document(&pyproject, &text, |document| document.build_system())? else {
        return legacy_build_system(&pyproject, &LEGACY_REQUIRES);
    };
    let invalid = |reason: String| BuildError::Pyproject {
        path: pyproject.clone(),
        reason,
    };
    let requires: Vec<&str> = table.requires.iter().map(String::as_str).collect();
    let backend = match table.build_backend {
        None => return legacy_build_system(&pyproject, &requires),
        Some(backend) if is_backend_reference(&backend) => backend,
        Some(other) => {
            return Err(invalid(format!(
                "`build-system.build-backend` is `{}`, not `module` or `module:object`",
                other.escape_debug()
            )));
        }
    };
    let backend_path = table
        .backend_path
        .unwrap_or_default()
        .iter()
        .map(|entry| backend_folder(project, entry).map_err(|e| invalid(e.to_string())))
        .collect::<Result<_, _>>()?;
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

/// Why a `backend-path` entry cannot be used.
#[derive(Debug)]
pub enum BackendPathError {
    /// The entry leads outside the project, by its name or through a link.
    Outside { entry: String },
    /// The project folder could not be made absolute.
    Resolve(io::Error),
}

impl fmt::Display for BackendPathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendPathError::Outside { entry } => write!(
                f,
                "`build-system.backend-path` holds `{entry}`, outside the project"
            ),
            BackendPathError::Resolve(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for BackendPathError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BackendPathError::Outside { .. } => None,
            BackendPathError::Resolve(e) => Some(e),
        }
    }
}

/// A `backend-path` entry as a folder inside the project, or why it is not one.
/// PEP 517 requires frontends to check this: an entry outside the source tree
/// would run code the sdist does not hold.
fn backend_folder(project: &Path, entry: &str) -> Result<PathBuf, BackendPathError> {
    let outside = || BackendPathError::Outside {
        entry: entry.to_string(),
    };
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
    let project = std::path::absolute(project).map_err(BackendPathError::Resolve)?;
    let folder: PathBuf = parts
        .iter()
        .fold(project.clone(), |path, part| path.join(part));
    // A link inside the project can still lead out of it.
    if let (Ok(real), Ok(real_project)) = (folder.canonicalize(), project.canonicalize())
        && !real.starts_with(real_project)
    {
        return Err(outside());
    }
    Ok(folder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::fs::TestDir;

    fn project(toml: &str) -> ProjectTable {
        let pyproject = parse_pyproject(Path::new("pyproject.toml"), toml).unwrap();
        pyproject.project.unwrap()
    }

    #[test]
    fn static_project_tables_are_core_metadata() {
        let metadata = project(
            "[project]\nname = \"Demo\"\nversion = \"1.0\"\nrequires-python = \">=3.8\"\n\
             dependencies = [\"a>=1\", \"b; python_version < '3.11'\"]\n\
             [project.optional-dependencies]\n\
             Test = [\"c\", \"d @ https://example.org/d.whl ; os_name == 'nt' or os_name == 'posix'\"]\n\
             docs = []\n",
        )
        .core_metadata()
        .unwrap();
        assert_eq!(
            metadata,
            CoreMetadata {
                metadata_version: "2.2".into(),
                name: "Demo".into(),
                version: "1.0".into(),
                requires_dist: vec![
                    "a>=1".into(),
                    "b; python_version < \"3.11\"".into(),
                    "c ; extra == \"Test\"".into(),
                    "d@ https://example.org/d.whl ; (os_name == \"nt\" or os_name == \"posix\") and extra == \"Test\"".into(),
                ],
                requires_python: Some(">=3.8".into()),
                provides_extra: vec!["Test".into(), "docs".into()],
                dynamic: vec![],
            }
        );
        assert!(metadata.has_static_dependencies());
        // What the core metadata parser and the requirement parser read back.
        for line in &metadata.requires_dist {
            line.parse::<Requirement>().unwrap();
        }

        let dynamic =
            project("[project]\nname = \"demo\"\nversion = \"1\"\ndynamic = [\"dependencies\"]\n")
                .core_metadata()
                .unwrap();
        assert_eq!(dynamic.dynamic, ["Requires-Dist"]);
        assert!(!dynamic.has_static_dependencies());
        let unversioned = project("[project]\nname = \"demo\"\ndynamic = [\"version\"]\n");
        assert_eq!(unversioned.core_metadata(), None);
        let invalid =
            project("[project]\nname = \"demo\"\nversion = \"1\"\ndependencies = [\"a >=\"]\n");
        assert_eq!(invalid.core_metadata(), None);
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
        let dir = TestDir::new("backend-path");
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
                backend_folder(&project, bad).unwrap_err().to_string(),
                format!("`build-system.backend-path` holds `{bad}`, outside the project")
            );
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/usr", project.join("usr")).unwrap();
            assert!(backend_folder(&project, "usr").is_err());
        }
    }
}

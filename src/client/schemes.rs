//! Where `curd install --target`, `--prefix` and `--user` put files: the install
//! schemes pip's `get_scheme` picks (`home`, `prefix` and `user`, through
//! `sysconfig.get_preferred_scheme` where the interpreter has it), asked of the
//! interpreter once with a placeholder for their base folder, so that one cached
//! answer serves every folder a command line names.
//!
//! - <https://docs.python.org/3/library/sysconfig.html#installation-paths>
//!
//! Traps:
//! - `--target DIR` is pip's `home` scheme in a temporary folder whose top-level
//!   items pip then moves into DIR: purelib and platlib land at DIR's top, and the
//!   rest of the scheme (scripts in `bin`, data, headers) under DIR as the home
//!   scheme lays them out.
//! - In a virtual environment pip puts headers under `include/site/pythonX.Y` of the
//!   scheme's base (the user base for `--user`), not sysconfig's `include`.
//! - The user base is `$PYTHONUSERBASE`, else `~/.local`: curd runs Python isolated
//!   (`-I`), which hides that variable, so it is read on curd's side.

use std::path::{Path, PathBuf};

/// The base folder in the interpreter's answer, replaced by the one given.
pub const BASE: &str = "@curd-base@";

/// Where a wheel's files go (`sysconfig.get_paths()`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallPaths {
    pub purelib: PathBuf,
    pub platlib: PathBuf,
    pub scripts: PathBuf,
    pub data: PathBuf,
    /// The interpreter's C headers folder; pip puts a wheel's headers under
    /// `<prefix>/include/site/pythonX.Y/<project>` in a virtual environment instead.
    pub include: PathBuf,
}

impl InstallPaths {
    /// These paths (each under [`BASE`]) under `base` instead.
    pub fn rebased(&self, base: &Path) -> InstallPaths {
        InstallPaths {
            purelib: rebase(&self.purelib, base),
            platlib: rebase(&self.platlib, base),
            scripts: rebase(&self.scripts, base),
            data: rebase(&self.data, base),
            include: rebase(&self.include, base),
        }
    }
}

/// The interpreter's `home`, `prefix` and `user` schemes, every path under
/// [`BASE`]; `None` where the interpreter has no such scheme.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schemes {
    pub home: Option<InstallPaths>,
    pub prefix: Option<InstallPaths>,
    pub user: Option<InstallPaths>,
}

/// Where an install goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// The interpreter's own environment.
    Environment,
    /// `--target DIR`: a flat folder for `PYTHONPATH`.
    Target(PathBuf),
    /// `--prefix DIR`: the interpreter's layout under another prefix.
    Prefix(PathBuf),
    /// `--user`: the user site, under the user base.
    User(PathBuf),
}

impl Location {
    /// The flag that chose it, for messages.
    pub fn flag(&self) -> Option<&'static str> {
        match self {
            Location::Environment => None,
            Location::Target(_) => Some("--target"),
            Location::Prefix(_) => Some("--prefix"),
            Location::User(_) => Some("--user"),
        }
    }
}

fn rebase(path: &Path, base: &Path) -> PathBuf {
    match path.strip_prefix(BASE) {
        Ok(rest) if rest.as_os_str().is_empty() => base.to_path_buf(),
        Ok(rest) => base.join(rest),
        Err(_) => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebases_by_component() {
        let base = Path::new("/opt/x");
        assert_eq!(
            rebase(Path::new("@curd-base@/lib/python3.11/site-packages"), base),
            Path::new("/opt/x/lib/python3.11/site-packages")
        );
        assert_eq!(rebase(Path::new("@curd-base@"), base), base);
    }
}

//! A wheel made ready for an environment: fetched (or built), verified and unpacked
//! in the cache, so that all that can fail happens before an environment is touched.

use std::path::PathBuf;

use crate::client::cache::{Cache, CacheKey};
use crate::client::error::PrepareError;
use crate::client::find::{Candidate, Finder, Origin};
use crate::install::{InstallOptions, Source as WheelSource, Staged, Target, Transaction};
use crate::standards::filename::WheelFilename;
use crate::standards::name::PackageName;
use crate::standards::version::Version;

/// A wheel fetched (or built), verified and unpacked in the cache: all that can fail
/// before an environment is touched.
pub struct Prepared {
    pub candidate: Candidate,
    /// The wheel file, for uploads and `curd wheel`.
    pub path: PathBuf,
    pub wheel: WheelFilename,
    pub unpacked: PathBuf,
    pub origin: Origin,
}

/// Fetches a version's wheel and unpacks it into the cache, once. With `allowed`
/// (a requirements file's `--hash` values), only a file with one of those hashes.
pub fn prepare(
    finder: &Finder<'_>,
    cache: &Cache,
    name: &PackageName,
    version: &Version,
    allowed: Option<&[String]>,
) -> Result<Prepared, PrepareError> {
    // Downloads are not fsynced: one that a crash cut short is fetched again, once.
    let mut retried = false;
    loop {
        let fetched = match allowed {
            Some(allowed) => finder.fetch_allowed(name, version, allowed),
            None => finder.fetch(name, version),
        };
        let (candidate, local) = fetched.map_err(PrepareError::Find)?;
        let (path, wheel) = (local.path, local.filename);
        let key = match candidate.wheel() {
            Some(_) => candidate.cache_key(),
            // A built wheel is named by where the cache keeps it.
            None => CacheKey::Url(path.display().to_string()),
        };
        let unpacked = cache.unpacked_dir(&key);
        let unpacking = cache.filling(&unpacked, || {
            crate::install::unpack(&path, &wheel, &unpacked, finder.jobs())
        });
        match unpacking {
            Ok(()) => {
                return Ok(Prepared {
                    candidate,
                    path,
                    wheel,
                    unpacked,
                    origin: local.origin,
                });
            }
            Err(error) => {
                let downloaded = candidate.wheel().is_some() && path.starts_with(cache.root());
                if retried || !downloaded || std::fs::remove_file(&path).is_err() {
                    return Err(PrepareError::Install(error));
                }
                retried = true;
            }
        }
    }
}

impl Prepared {
    /// Links the unpacked wheel into `target`.
    pub fn install(&self, target: &Target, options: &InstallOptions) -> Result<(), PrepareError> {
        crate::install::install_wheel(self.source(), &self.wheel, target, options)
            .map(drop)
            .map_err(PrepareError::Install)
    }

    /// Writes the unpacked wheel beside its places in `target`, for `transaction`
    /// to put in place with the rest.
    pub fn stage<'t>(
        &self,
        transaction: &'t Transaction,
        target: &Target,
        options: &InstallOptions,
    ) -> Result<Staged<'t>, PrepareError> {
        transaction
            .stage(self.source(), &self.wheel, target, options)
            .map_err(PrepareError::Install)
    }

    fn source(&self) -> WheelSource<'_> {
        WheelSource::Unpacked(&self.unpacked)
    }
}

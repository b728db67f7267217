//! A wheel made ready for an environment: fetched (or built), hash-checked, and
//! unpacked in the cache where it will be linked from again.
//!
//! A wheel this run fetched or built is installed straight from its archive: making
//! the cache's unpacked tree as well would create every file twice (the tree, then a
//! link into the environment), which is most of a cold install's time on a real
//! disk. A wheel the cache held already is one in use again, so it is unpacked once
//! and every later install links it. Either way the archive is verified while it is
//! read, before anything is put in place.

use std::path::PathBuf;

use crate::client::cache::{Cache, CacheKey};
use crate::client::error::PrepareError;
use crate::client::find::{Candidate, Finder, Origin};
use crate::install::{InstallOptions, Source as WheelSource, Staged, Target, Transaction};
use crate::standards::filename::WheelFilename;
use crate::standards::name::PackageName;
use crate::standards::version::Version;
use crate::util::sync::Jobs;

/// A wheel fetched (or built), hash-checked, and unpacked in the cache if it is to be.
pub struct Prepared {
    pub candidate: Candidate,
    /// The wheel file, for uploads and `curd wheel`.
    pub path: PathBuf,
    pub wheel: WheelFilename,
    /// Its unpacked tree in the cache, where installs link its files from; without
    /// one they are read from the archive.
    pub unpacked: Option<PathBuf>,
    pub origin: Origin,
}

/// Whether a prepared wheel is unpacked into the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unpack {
    /// Never: only the archive is wanted (`curd wheel`).
    Never,
    /// When the cache held the wheel before this run, or has its tree already.
    Reused,
    /// Always: bytecode is compiled into the trees, or the wheel goes into many
    /// environments (a build backend, into each build's).
    Always,
}

/// Fetches a version's wheel and, as `unpack` says, unpacks it into the cache, once.
/// With `allowed` (a requirements file's `--hash` values), only a file with one of
/// those hashes.
pub fn prepare(
    finder: &Finder<'_>,
    cache: &Cache,
    name: &PackageName,
    version: &Version,
    allowed: Option<&[String]>,
    unpack: Unpack,
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
        finder.settle_unpacking(&unpacked);
        let wanted = match unpack {
            Unpack::Never => false,
            Unpack::Reused => local.cached || unpacked.is_dir(),
            Unpack::Always => true,
        };
        let unpacking = match wanted {
            true => cache.filling(&unpacked, || {
                crate::install::unpack(&path, &wheel, &unpacked, finder.jobs())
            }),
            false => Ok(()),
        };
        match unpacking {
            Ok(()) => {
                return Ok(Prepared {
                    candidate,
                    path,
                    wheel,
                    unpacked: wanted.then_some(unpacked),
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
    /// Installs the wheel into `target`.
    pub fn install(&self, target: &Target, options: &InstallOptions) -> Result<(), PrepareError> {
        crate::install::install_wheel(self.source(), &self.wheel, target, options)
            .map(drop)
            .map_err(PrepareError::Install)
    }

    /// Writes the wheel beside its places in `target` (a big one on as many
    /// threads as `jobs` has free), for `transaction` to put in place with the rest.
    pub fn stage<'t>(
        &self,
        transaction: &'t Transaction,
        target: &Target,
        options: &InstallOptions,
        jobs: &Jobs,
    ) -> Result<Staged<'t>, PrepareError> {
        transaction
            .stage(self.source(), &self.wheel, target, options, jobs)
            .map_err(PrepareError::Install)
    }

    fn source(&self) -> WheelSource<'_> {
        match &self.unpacked {
            Some(unpacked) => WheelSource::Unpacked(unpacked),
            None => WheelSource::Zip(&self.path),
        }
    }
}

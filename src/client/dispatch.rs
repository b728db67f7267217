//! Building sdists into wheels for `curd install` and `curd wheel` (runs Python).
//!
//! Each sdist is built once per interpreter: in a fresh isolated environment whose
//! build requirements curd resolves and installs itself (from the cache servers
//! first, like everything else), or in the target environment with
//! `--no-build-isolation`. The wheel lands in the local cache, keyed by the sdist's
//! hash and the interpreter's best tag, so the same machine never builds the same
//! sdist twice.
//!
//! Traps:
//! - Parallel steps can ask for the same sdist at once: one builds, the others wait
//!   for its answer.
//! - A build requirement may itself be an sdist, maybe one another thread is
//!   building: waiting for it is fine. A cycle is a chain of builds each waiting on
//!   the next (x needs y to build, y needs x), whichever threads they run on; the
//!   wait that would close it is refused, so the cycle is an error, not a hang.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use crate::archive::unpack::unpack_sdist;
use crate::build;
use crate::build::hooks::Backend;
use crate::client::cache::{Cache, CacheKey};
use crate::client::error::DispatchError;
use crate::client::find::{Built, Candidate, Finder, WheelBuilder};
use crate::client::prepare::{Unpack, prepare};
use crate::install::{InstallOptions, LinkMode, Scheme, Target};
use crate::message;
use crate::resolve::{self, Options};
use crate::standards::marker::MarkerEnvironment;
use crate::standards::name::PackageName;
use crate::standards::requirement::Requirement;
use crate::util::fs::{Context, FsError};
use crate::util::sync::{lock, wait};

/// What a project folder is built into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// A wheel, its files copied into the environment.
    Wheel,
    /// An editable wheel (PEP 660), pointing the environment at the folder.
    Editable,
}

/// One sdist's build, shared by everyone who asks for it.
enum Slot {
    /// Running; the project's name, to say a cycle.
    Running(PackageName),
    Done(Result<Built, Arc<DispatchError>>),
}

/// Every build of this run, and which builds wait on which.
#[derive(Default)]
struct Builds {
    slots: HashMap<CacheKey, Slot>,
    /// (waiting, awaited) sdists, once per wait: several threads may work for one build.
    waits: Vec<(CacheKey, CacheKey)>,
}

impl Builds {
    /// The projects of the builds from `from` to `to` along waits, both included, if
    /// `from` waits on `to` (or is it); every build on such a chain is running.
    fn chain(&self, from: &CacheKey, to: &CacheKey) -> Option<Vec<&PackageName>> {
        let mut seen = HashSet::from([from]);
        let mut paths = vec![vec![from]];
        while let Some(path) = paths.pop() {
            let Some(&last) = path.last() else { continue };
            if last == to {
                let names = path.iter().filter_map(|key| match self.slots.get(*key) {
                    Some(Slot::Running(name)) => Some(name),
                    _ => None,
                });
                return Some(names.collect());
            }
            for (_, next) in self.waits.iter().filter(|(waiting, _)| waiting == last) {
                if seen.insert(next) {
                    paths.push([&path[..], &[next]].concat());
                }
            }
        }
        None
    }

    fn finish(
        &mut self,
        key: CacheKey,
        result: Result<Built, Arc<DispatchError>>,
        finished: &Condvar,
    ) {
        self.slots.insert(key, Slot::Done(result));
        finished.notify_all();
    }
}

/// A build this thread runs. Dropped before it is finished (the thread unwinds), it
/// fails the build, so that no thread waits for it for ever.
struct Running<'b> {
    builder: &'b Builder<'b>,
    key: Option<CacheKey>,
}

impl<'b> Running<'b> {
    fn finish(mut self, result: Result<Built, Arc<DispatchError>>) -> MutexGuard<'b, Builds> {
        let mut builds = lock(&self.builder.builds);
        if let Some(key) = self.key.take() {
            builds.finish(key, result, &self.builder.finished);
        }
        builds
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let failed = Err(Arc::new(DispatchError::Stopped));
            lock(&self.builder.builds).finish(key, failed, &self.builder.finished);
        }
    }
}

/// Builds sdists for one target interpreter.
pub struct Builder<'a> {
    /// The target's interpreter: builds run with it, or with a venv made from it.
    python: PathBuf,
    /// The target environment, for builds without isolation.
    target: Option<&'a Target>,
    python_version: (u32, u32),
    markers: MarkerEnvironment,
    /// Where built wheels are kept, per interpreter.
    tag: String,
    /// `PATH`, as the command line's settings read it, for the backends.
    search_path: Option<OsString>,
    cache: &'a Cache,
    builds: Mutex<Builds>,
    /// Signalled when a build is done.
    finished: Condvar,
}

impl<'a> Builder<'a> {
    /// `target` is `None` for isolated builds.
    pub fn new(
        python: PathBuf,
        target: Option<&'a Target>,
        python_version: (u32, u32),
        markers: MarkerEnvironment,
        tag: String,
        search_path: Option<OsString>,
        cache: &'a Cache,
    ) -> Builder<'a> {
        Builder {
            python,
            target,
            python_version,
            markers,
            tag,
            search_path,
            cache,
            builds: Mutex::default(),
            finished: Condvar::new(),
        }
    }

    /// Says when a build starts and how it ended, with its output when it failed:
    /// a CI log then shows which sdists cost the time.
    fn build_now(
        &self,
        finder: &Finder<'_>,
        candidate: &Candidate,
    ) -> Result<Built, DispatchError> {
        let (done, found) = self.built(&candidate.cache_key());
        if let Some(path) = found {
            return Ok(Built { path, fresh: false });
        }
        let file = &candidate.file.filename;
        message!("Building {file}");
        let started = Instant::now();
        let built = self.build_fresh(finder, candidate, &done);
        let seconds = started.elapsed().as_secs_f64();
        match &built {
            Ok(_) => message!("Built {file} in {seconds:.2} s"),
            Err(error) => message!("Failed to build {file} in {seconds:.2} s: {error}"),
        }
        built
    }

    /// Builds the sdist into the cache folder `done`.
    fn build_fresh(
        &self,
        finder: &Finder<'_>,
        candidate: &Candidate,
        done: &Path,
    ) -> Result<Built, DispatchError> {
        let sdist = finder.local_file(candidate).map_err(DispatchError::Fetch)?;
        let work = self.cache.work_dir("build").map_err(DispatchError::Cache)?;
        let project = unpack_sdist(&sdist, &work.path().join("src"))
            .map_err(|e| DispatchError::Build(e.into()))?;
        let out = work.path().join("out");
        let label = candidate.filename.to_string();
        let wheel = self.build_tree(finder, &project, &label, Flavor::Wheel, &out)?;
        let path = keep(&wheel, done)?;
        Ok(Built { path, fresh: true })
    }

    /// Builds the project folder `project` (an unpacked sdist, a checkout, a folder of
    /// the user's) into `out`, its build requirements resolved through `finder`;
    /// `label` names its build log. Gives the wheel's path.
    pub fn build_tree(
        &self,
        finder: &Finder<'_>,
        project: &Path,
        label: &str,
        flavor: Flavor,
        out: &Path,
    ) -> Result<PathBuf, DispatchError> {
        let work = self.cache.work_dir("build").map_err(DispatchError::Cache)?;
        let log = self.cache.build_log(label).map_err(DispatchError::Cache)?;
        let system = build::pyproject::build_system(project).map_err(DispatchError::Build)?;
        let python = match self.target {
            Some(target) => target.python.clone(),
            None => {
                let env = work.path().join("env");
                let python = build::process::create_build_env(&self.python, &env)
                    .map_err(DispatchError::Build)?;
                self.install_into(finder, &env, &python, &system.requires)?;
                python
            }
        };
        let backend = Backend {
            python: &python,
            project,
            system: &system,
            log: &log,
            search_path: self.search_path.as_deref(),
        };
        let extra = match flavor {
            Flavor::Wheel => backend.get_requires_for_build_wheel(),
            Flavor::Editable => backend.get_requires_for_build_editable(),
        }
        .map_err(DispatchError::Build)?;
        if self.target.is_none() && !extra.is_empty() {
            self.install_into(finder, &work.path().join("env"), &python, &extra)?;
        }
        std::fs::create_dir_all(out)
            .context("create", out)
            .map_err(DispatchError::Cache)?;
        match flavor {
            Flavor::Wheel => backend.build_wheel(out),
            Flavor::Editable => backend.build_editable(out),
        }
        .map_err(DispatchError::Build)
    }

    /// The folder the wheels built from the source `key` names are kept in, for
    /// this interpreter, and the wheel there if one was built already.
    pub fn built(&self, key: &CacheKey) -> (PathBuf, Option<PathBuf>) {
        let done = self.cache.built_dir(key).join(&self.tag);
        let found = first_wheel(&done);
        (done, found)
    }

    /// Resolves and installs build requirements into a build environment.
    fn install_into(
        &self,
        finder: &Finder<'_>,
        env: &Path,
        python: &Path,
        requires: &[Requirement],
    ) -> Result<(), DispatchError> {
        if requires.is_empty() {
            return Ok(());
        }
        let resolution = resolve::resolve(requires, &self.markers, finder, &Options::default())
            .map_err(DispatchError::Requirements)?;
        let target = Target {
            scheme: Scheme::venv(env, self.python_version),
            python: python.to_path_buf(),
        };
        let options = InstallOptions {
            installer: "curd",
            requested: false,
            direct_url: None,
            link: LinkMode::Hardlink,
            bytecode: None,
        };
        for package in &resolution.packages {
            prepare(
                finder,
                self.cache,
                &package.name,
                &package.version,
                None,
                Unpack::Always,
            )
            .and_then(|ready| ready.install(&target, &options))
            .map_err(|source| DispatchError::Requirement {
                name: package.name.clone(),
                source,
            })?;
        }
        Ok(())
    }
}

impl WheelBuilder for Builder<'_> {
    /// Builds the sdist, or waits for the thread already building it. When `finder`
    /// works for another build, that build now waits on this one (even when this
    /// thread builds it), unless this one already waits on it: a cycle.
    fn build(
        &self,
        finder: &Finder<'_>,
        candidate: &Candidate,
    ) -> Result<Built, Arc<DispatchError>> {
        let key = candidate.cache_key();
        let mut builds = lock(&self.builds);
        if let Some(Slot::Done(result)) = builds.slots.get(&key) {
            return result.clone();
        }
        let waiting = finder.building();
        if let Some(waiting) = waiting {
            if let Some(chain) = builds.chain(&key, waiting) {
                let chain: Vec<&str> = chain.iter().map(|n| n.as_str()).collect();
                return Err(Arc::new(DispatchError::Cycle {
                    name: candidate.filename.name().clone(),
                    chain: chain.join(" -> "),
                }));
            }
            builds.waits.push((waiting.clone(), key.clone()));
        }
        let result = if builds.slots.contains_key(&key) {
            loop {
                // Its place in the limit goes to other work while it waits.
                builds = finder.jobs().idle(|| wait(&self.finished, builds));
                if let Some(Slot::Done(result)) = builds.slots.get(&key) {
                    break result.clone();
                }
            }
        } else {
            let name = candidate.filename.name().clone();
            builds.slots.insert(key.clone(), Slot::Running(name));
            drop(builds);
            let running = Running {
                builder: self,
                key: Some(key.clone()),
            };
            let result = self
                .build_now(&finder.within(key.clone()), candidate)
                .map_err(Arc::new);
            builds = running.finish(result.clone());
            result
        };
        if let Some(waiting) = waiting {
            let pair = (waiting.clone(), key);
            if let Some(i) = builds.waits.iter().position(|w| *w == pair) {
                builds.waits.swap_remove(i);
            }
        }
        result
    }
}

/// Moves a built wheel into the cache folder `done` (renaming a whole folder, so a
/// reader sees all of it or none); returns where it now is.
pub fn keep(wheel: &Path, done: &Path) -> Result<PathBuf, DispatchError> {
    let no_wheel = || DispatchError::NoWheel {
        dir: done.display().to_string(),
    };
    let name = wheel.file_name().ok_or_else(no_wheel)?;
    let staging = wheel.with_extension("kept");
    let keep = |result: Result<(), FsError>| result.map_err(DispatchError::Keep);
    keep(std::fs::create_dir_all(&staging).context("create", &staging))?;
    keep(std::fs::rename(wheel, staging.join(name)).context("move the built wheel", wheel))?;
    if let Some(parent) = done.parent() {
        keep(std::fs::create_dir_all(parent).context("create", parent))?;
    }
    // Another process may have built the same sdist first; its wheel is as good.
    if let Err(error) = std::fs::rename(&staging, done)
        && first_wheel(done).is_none()
    {
        keep(Err(error).context("move the built wheel into", done))?;
    }
    first_wheel(done).ok_or_else(no_wheel)
}

fn first_wheel(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
}

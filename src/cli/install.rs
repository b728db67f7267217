//! `curd install` and `curd wheel`: requirements in, an environment (or a folder of
//! wheels) that satisfies them out.
//!
//! The run reads as its five steps: settings (flags, requirements files and the
//! environment, settled once), plan (resolve against the cache servers and indexes,
//! and leave out what is installed already), prepare (fetch or build every wheel and
//! unpack it in the cache, in parallel), place (link each into the environment, or
//! copy it into the wheel folder), summary (what came from where; `-u` uploads what
//! the cache servers lacked). Every failure is collected and reported at the end;
//! the environment never holds half a project.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cli::args::InstallArgs;
use crate::cli::error::{CommandError, Failure, Failures, HashError, StepError};
use crate::cli::settings::{Mode, Settings, Variables};
use crate::cli::summary::Summary;
use crate::client::cache::Cache;
use crate::client::dispatch::Builder;
use crate::client::environment::Environment;
use crate::client::fetch::Client;
use crate::client::find::{Candidate, Compatibility, Finder, Origin};
use crate::client::prepare::{Prepared, prepare};
use crate::client::upload::upload;
use crate::install::{
    InstallOptions, InstalledDist, LinkMode, compile_cached, compile_environment,
};
use crate::resolve::{self, Options, Resolved};
use crate::standards::marker::MarkerEnvironment;
use crate::standards::name::PackageName;
use crate::standards::tags::TagPriority;
use crate::standards::version::Version;
use crate::util::fs::{Context, FsError};
use crate::util::messages;
use crate::util::progress::Progress;
use crate::util::sync::Jobs;
use crate::{debug, message, warn};

/// `curd install`.
pub fn install(args: InstallArgs) -> Result<(), CommandError> {
    run(args, Mode::Install)
}

/// `curd wheel`: what `curd install` does, ending in a folder instead of an environment.
pub fn wheel(args: InstallArgs) -> Result<(), CommandError> {
    let dir = args.wheel_dir.clone().unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir).context("create", &dir)?;
    run(args, Mode::Wheel(dir))
}

/// `curd install` and `curd wheel`: everything up to the last step is the same.
pub fn run(args: InstallArgs, mode: Mode) -> Result<(), CommandError> {
    let started = Instant::now();
    let settings = Settings::resolve(args, mode, &Variables::from_process())?;
    messages::set_level(settings.level);
    let cache = Cache::open(settings.cache_dir.clone())?;
    let env = Environment::open(&settings.python, settings.system, &cache.interpreters())?;
    let markers = MarkerEnvironment::from_map(env.interpreter.markers().iter())?;
    let python_version: Version = env.interpreter.python_full_version.parse()?;
    let client = Client::new(settings.client.clone())?;
    let sources = settings.sources()?;
    let jobs = Jobs::new(settings.jobs);
    let tags = env.interpreter.tags();
    let builder = Builder::new(
        env.interpreter.executable.clone(),
        settings.no_build_isolation.then_some(&env.target),
        env.interpreter.python_version,
        markers.clone(),
        tags.first().map(|t| t.to_string()).unwrap_or_default(),
        settings.path.clone(),
        &cache,
    );
    let finder = Finder::new(
        &client,
        &cache,
        sources.list,
        Compatibility {
            tags: TagPriority::new(&tags),
            python_version,
        },
        &settings.roots,
        &jobs,
        Some(&builder),
    );

    let plan = plan(&settings, &env, &finder, &markers);
    // What went wrong on the way (a cache server down) helps explain a failure too.
    let warn_all = || {
        for warning in finder.warnings() {
            warn!("{warning}");
        }
    };
    let plan = plan.inspect_err(|_| warn_all())?;
    debug!(
        "resolved {} packages in {:.2} s",
        plan.steps.len() + plan.satisfied,
        started.elapsed().as_secs_f64()
    );
    if settings.dry_run {
        warn_all();
        println!("{}", plan.dry_run());
        return Ok(());
    }

    let placed = prepare_and_place(&settings, &env, &finder, &cache, &plan.steps);
    let mut failed = Vec::new();
    let mut summary = Summary::new(&settings.mode, plan.steps.len(), plan.satisfied);
    let mut to_upload = Vec::new();
    for (step, outcome) in plan.steps.iter().zip(placed.outcomes) {
        match outcome {
            Ok(ready) => {
                summary.count(ready.origin);
                if ready.origin != Origin::CacheServer {
                    to_upload.push(ready.path.clone());
                }
            }
            Err(error) => failed.push(Failure {
                name: step.resolved.name.clone(),
                version: step.resolved.version.clone(),
                required_by: required_by(&step.resolved),
                error,
            }),
        }
    }
    if settings.compile
        && !placed.compiled_in_cache
        && summary.done() > 0
        && matches!(settings.mode, Mode::Install)
        && let Err(e) = compile_environment(&env.target)
    {
        warn!("{e}");
    }
    let uploaded = sources
        .upload
        .as_ref()
        .map(|target| (upload(&client, &jobs, &target.files, &to_upload), target));
    warn_all();
    summary.seconds = started.elapsed().as_secs_f64();
    let said = summary.to_string();
    if !said.is_empty() {
        message!("{said}");
    }
    if let Some((uploaded, target)) = uploaded {
        for failure in &uploaded.failures {
            warn!("{failure}");
        }
        message!("Uploaded {} wheels to {}", uploaded.count, target.index);
    }
    if failed.is_empty() {
        return Ok(());
    }
    Err(CommandError::Steps(Failures {
        of: plan.steps.len(),
        failed,
    }))
}

/// What the run will change: the resolved packages that are not installed as they
/// should be, each with the version it replaces.
struct Plan {
    steps: Vec<Step>,
    /// How many resolved packages are installed already.
    satisfied: usize,
}

/// One project to put into the environment (or the wheel folder).
struct Step {
    resolved: Resolved,
    replaces: Option<InstalledDist>,
}

impl Plan {
    /// `--dry-run`'s one line, on stdout.
    fn dry_run(&self) -> String {
        if self.steps.is_empty() {
            return format!(
                "Would install nothing: {} packages already satisfied",
                self.satisfied
            );
        }
        let names: Vec<String> = self
            .steps
            .iter()
            .map(|s| format!("{}-{}", s.resolved.name, s.resolved.version))
            .collect();
        format!("Would install {}", names.join(" "))
    }
}

/// Resolves the requirements, preferring what is installed unless `-f`, and leaves
/// out what is installed already.
fn plan(
    settings: &Settings,
    env: &Environment,
    finder: &Finder<'_>,
    markers: &MarkerEnvironment,
) -> Result<Plan, CommandError> {
    let resolving = Progress::new("Resolving", 0, settings.progress);
    let installed = match settings.mode {
        Mode::Install => env.installed()?,
        Mode::Wheel(_) => Vec::new(),
    };
    let mut options = Options {
        prereleases: settings.pre,
        constraints: settings.constraints.clone(),
        ..Options::default()
    };
    if !settings.force {
        options.preferences = installed
            .iter()
            .map(|d| (d.name.clone(), d.version.clone()))
            .collect();
    }
    let resolution = {
        let finder = finder.reporting_to(&resolving);
        resolve::resolve(&settings.roots, markers, &finder, &options)
    };
    resolving.finish();
    let mut plan = Plan {
        steps: Vec::new(),
        satisfied: 0,
    };
    for resolved in resolution?.packages {
        let current = installed.iter().find(|d| d.name == resolved.name).cloned();
        if !settings.force
            && current
                .as_ref()
                .is_some_and(|d| d.version == resolved.version)
        {
            plan.satisfied += 1;
            continue;
        }
        plan.steps.push(Step {
            resolved,
            replaces: current,
        });
    }
    Ok(plan)
}

/// Each step's wheel, placed, or why not; and whether bytecode went into the cache.
struct Placed {
    outcomes: Vec<Result<Prepared, StepError>>,
    compiled_in_cache: bool,
}

/// Fetches (or builds) and unpacks every step's wheel, then places it. With
/// `--compile` and hard links, every wheel is prepared first, so that one process
/// pool compiles all that the cache lacks; otherwise each is placed as soon as it is
/// ready.
fn prepare_and_place(
    settings: &Settings,
    env: &Environment,
    finder: &Finder<'_>,
    cache: &Cache,
    steps: &[Step],
) -> Placed {
    let installing = Progress::new(
        match settings.mode {
            Mode::Install => "Installing",
            Mode::Wheel(_) => "Fetching",
        },
        steps.len(),
        settings.progress,
    );
    let bytecode = match (&settings.mode, &env.interpreter.cache_tag) {
        (Mode::Install, Some(tag)) if settings.compile && settings.link == LinkMode::Hardlink => {
            Some(tag.clone())
        }
        _ => None,
    };
    let place_one = |step: &Step, ready: &Prepared| {
        let outcome = place(settings, env, bytecode.clone(), step, ready);
        installing.tick();
        outcome
    };
    let ready = |step: &Step| {
        let ready = prepare(finder, cache, &step.resolved.name, &step.resolved.version)
            .map_err(StepError::Prepare)?;
        check_hashes(
            finder,
            &settings.hashes,
            &step.resolved.name,
            &ready.candidate,
        )
        .map_err(StepError::Hash)?;
        Ok(ready)
    };
    let jobs = finder.jobs();
    let mut compiled_in_cache = bytecode.is_some();
    let outcomes = match &bytecode {
        Some(tag) => {
            let mut outcomes: Vec<Result<Prepared, StepError>> = jobs.parallel(steps, ready);
            let unpacked: Vec<_> = outcomes
                .iter()
                .flatten()
                .map(|ready| (ready.unpacked.as_path(), &ready.wheel))
                .collect();
            if let Err(e) = compile_cached(&env.target.python, tag, &unpacked) {
                warn!("{e}; compiling in the environment instead");
                compiled_in_cache = false;
            }
            let placed: Vec<(usize, Result<(), StepError>)> = {
                let work: Vec<(usize, &Step, &Prepared)> = outcomes
                    .iter()
                    .zip(steps)
                    .enumerate()
                    .filter_map(|(i, (outcome, step))| Some((i, step, outcome.as_ref().ok()?)))
                    .collect();
                jobs.parallel(&work, |&(i, step, ready)| (i, place_one(step, ready)))
            };
            for (i, result) in placed {
                if let (Err(error), Some(outcome)) = (result, outcomes.get_mut(i)) {
                    *outcome = Err(error);
                }
            }
            outcomes
        }
        None => jobs.parallel(steps, |step| {
            let ready = ready(step)?;
            place_one(step, &ready)?;
            Ok(ready)
        }),
    };
    installing.finish();
    Placed {
        outcomes,
        compiled_in_cache,
    }
}

/// Installs a prepared wheel, replacing the old version, or copies it into the wheel
/// folder. The old version is removed only now, once the new one is verified and
/// unpacked, so a failure before leaves it in place.
fn place(
    settings: &Settings,
    env: &Environment,
    bytecode: Option<String>,
    step: &Step,
    ready: &Prepared,
) -> Result<(), StepError> {
    match &settings.mode {
        Mode::Install => {
            if let Some(old) = &step.replaces {
                crate::install::uninstall(&env.target.scheme, old).map_err(StepError::Uninstall)?;
            }
            let options = InstallOptions {
                installer: "curd",
                requested: step.resolved.requested,
                direct_url: None,
                link: settings.link,
                bytecode,
            };
            ready
                .install(&env.target, &options)
                .map_err(StepError::Prepare)
        }
        Mode::Wheel(dir) => {
            copy_wheel(&ready.path, &ready.wheel.to_string(), dir).map_err(StepError::Copy)
        }
    }
}

/// Who asked for a package, as a person would say it.
fn required_by(resolved: &Resolved) -> String {
    if resolved.requested || resolved.why.is_empty() {
        "you".to_string()
    } else {
        resolved
            .why
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `--hash` lines of a requirements file: the downloaded file must match one. As in
/// pip, once any requirement has a hash, every package must have one.
fn check_hashes(
    finder: &Finder<'_>,
    hashes: &HashMap<PackageName, Vec<String>>,
    name: &PackageName,
    candidate: &Candidate,
) -> Result<(), HashError> {
    if hashes.is_empty() {
        return Ok(());
    }
    let Some(allowed) = hashes.get(name) else {
        return Err(HashError::Missing {
            name: name.clone(),
            version: candidate.filename.version().clone(),
        });
    };
    let path = finder.local_file(candidate).map_err(HashError::Find)?;
    let actual = crate::util::digest::sha256_file(&path)
        .context("read", &path)
        .map_err(HashError::Read)?;
    if allowed.iter().any(|h| h.eq_ignore_ascii_case(&actual)) {
        Ok(())
    } else {
        Err(HashError::Mismatch {
            file: candidate.file.filename.clone(),
            actual,
        })
    }
}

/// `curd wheel`: a wheel, downloaded or built, copied into `dir` whole or not at all.
fn copy_wheel(path: &Path, name: &str, dir: &Path) -> Result<(), FsError> {
    let dest: PathBuf = dir.join(name);
    let mut temp = crate::util::fs::TempFile::new_in(dir)?;
    let mut source = std::fs::File::open(path).context("read", path)?;
    std::io::copy(&mut source, &mut temp).context("write", &dest)?;
    temp.persist(&dest)
}

//! `curd install` and `curd wheel`: requirements in, an environment (or a folder of
//! wheels) that satisfies them out.
//!
//! The run reads as its five steps: settings (flags, requirements files and the
//! environment, settled once), plan (resolve against the cache servers and indexes,
//! and leave out what is installed already and whole), prepare (fetch or build
//! every wheel, check its hash and unpack it in the cache, in parallel), place (in
//! one transaction into the environment, or a copy each into the wheel folder),
//! summary (what came from where; `-u` uploads what the cache servers lacked).
//!
//! An install is all or nothing: the environment is locked for the run, and
//! touched only once every wheel is ready; every failure before the transaction
//! commits is collected, reported at once, and leaves the environment as it was.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cli::args::InstallArgs;
use crate::cli::error::{CommandError, Failure, Failures, StepError, UploadFailed};
use crate::cli::settings::{Mode, Settings, UploadTarget, Variables};
use crate::cli::summary::Summary;
use crate::client::ahead::UnpackAhead;
use crate::client::cache::Cache;
use crate::client::direct::{DirectDist, Maker};
use crate::client::dispatch::Builder;
use crate::client::environment::Environment;
use crate::client::fetch::Client;
use crate::client::find::{Compatibility, Finder, Origin};
use crate::client::prepare::{Prepared, Unpack, prepare};
use crate::client::satisfied::installed_satisfies;
use crate::client::schemes::Location;
use crate::client::upload::{Uploaded, upload};
use crate::install::{
    Change, InstallError, InstallOptions, InstalledDist, Inventory, LinkMode, Removal, Scheme,
    Seals, Spare, Staged, Transaction, compile_cached, compile_environment, seal,
};
use crate::resolve::{self, Dependencies, Hint, Lookahead, Options, Provider, Resolved, Unusable};
use crate::standards::marker::MarkerEnvironment;
use crate::standards::name::PackageName;
use crate::standards::requirement::Requirement;
use crate::standards::tags::TagPriority;
use crate::standards::version::Version;
use crate::util::fs::{Context, FsError};
use crate::util::messages::{self, count};
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
    let _temporary = settings
        .temporary_cache
        .then(|| RemovedAtEnd(settings.cache_dir.clone()));
    let cache = Cache::open(settings.cache_dir.clone())?;
    let env = Environment::open_at(
        &settings.python,
        settings.system,
        &cache.interpreters(),
        &settings.location,
    )?;
    // `curd wheel --platform …`: another machine's tags and markers.
    let machine = &settings.machine;
    let (tags, marker_map) = if machine.is_given() {
        let host = env.interpreter.markers();
        (
            machine.tags(&env.interpreter.target()),
            machine.markers(host),
        )
    } else {
        (env.interpreter.tags(), env.interpreter.markers().clone())
    };
    let markers = MarkerEnvironment::from_map(marker_map.iter())?;
    let python_version: Version = markers.python_full_version.parse()?;
    let sources = settings.sources()?;
    let jobs = Jobs::new(settings.jobs);
    // One run at a time changes an environment, and what a killed run left is
    // finished or undone before anything installed is looked at.
    let _lock = match settings.mode {
        Mode::Install if !settings.dry_run => Some(env.lock()?),
        _ => None,
    };
    let inventory = match settings.mode {
        Mode::Install => env.installed()?,
        Mode::Wheel(_) => Inventory::default(),
    };
    let site = (&cache, env.target.scheme.purelib.as_path());
    if let Some(satisfied) = already_satisfied(&settings, &inventory, &markers, site, &jobs) {
        debug!(
            "everything installed already, told in {:.1} ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
        if settings.dry_run {
            println!("{}", Plan::nothing(satisfied).dry_run());
        } else {
            message!("{}", Summary::new(&settings.mode, 0, satisfied));
        }
        return Ok(());
    }
    let client = Client::new(settings.client.clone())?;
    let builder = Builder::new(
        env.interpreter.executable.clone(),
        settings.no_build_isolation.then_some(&env.target),
        env.interpreter.python_version,
        markers.clone(),
        tags.first().map(|t| t.to_string()).unwrap_or_default(),
        settings.path.clone(),
        &cache,
    );
    // A run that installs what it resolves unpacks, while it resolves, the wheels
    // it downloads for their metadata: one thread a core, as the work is all CPU.
    let installs = matches!(settings.mode, Mode::Install) && !settings.dry_run;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let ahead = installs.then(|| UnpackAhead::start(&cache, cores.min(settings.jobs)));
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
        // An sdist cannot be built for another machine: wheels only, as in pip.
        (!machine.is_given()).then_some(&builder),
    )
    .with_formats(settings.formats.clone())
    .with_unpack_ahead(ahead.as_ref());
    // Projects given by path or URL: each made into its wheel, the one candidate
    // of its project. A folder's wheel lives in `scratch` for the run.
    let scratch = cache.work_dir("direct")?;
    let src = env.target.scheme.data.join("src");
    let maker = Maker {
        src: &src,
        builder: &builder,
        finder: &finder,
        cache: &cache,
        client: &client,
        scratch: scratch.path(),
    };
    let directs = maker.make_all(&settings.direct, &markers);
    let directs = directs.map_err(CommandError::Direct).inspect_err(|_| {
        for warning in finder.warnings() {
            warn!("{warning}");
        }
    })?;
    for direct in &directs {
        finder.pin_direct(&direct.wheel, &direct.filename, direct.origin);
    }
    let plan = plan(&settings, &inventory, &finder, &markers, &directs);
    // What went wrong on the way (a cache server down) helps explain a failure too.
    let warn_all = || {
        for warning in finder.warnings() {
            warn!("{warning}");
        }
    };
    let plan = plan.inspect_err(|_| warn_all())?;
    debug!(
        "resolved {} in {:.2} s",
        count(plan.steps.len() + plan.satisfied, "package"),
        started.elapsed().as_secs_f64()
    );
    if let Some(dest) = &settings.report {
        let resolved: Vec<&Resolved> = plan.steps.iter().map(|s| &s.resolved).collect();
        let report = crate::cli::report::build(&finder, &resolved, &marker_map);
        crate::cli::report::write(dest, &report.inspect_err(|_| warn_all())?)?;
    }
    if settings.dry_run {
        warn_all();
        // With the report on stdout, stdout is the report's alone.
        if settings.report.as_deref() == Some(Path::new("-")) {
            message!("{}", plan.dry_run());
        } else {
            println!("{}", plan.dry_run());
        }
        return Ok(());
    }

    let placed = prepare_and_place(&settings, &env, &finder, &cache, &plan.steps);
    let placed = placed.inspect_err(|_| warn_all())?;
    let mut failed = Vec::new();
    let mut summary = Summary::new(&settings.mode, plan.steps.len(), plan.satisfied);
    let mut to_upload = Vec::new();
    for (step, outcome) in plan.steps.iter().zip(placed.outcomes) {
        match outcome {
            Ok(ready) => {
                let replaced = step.replaces.as_ref().map(|d| &d.version);
                let resolved = &step.resolved;
                summary.count(&resolved.name, &resolved.version, replaced, ready.origin);
                let shareable = step.direct.as_ref().is_none_or(|d| d.shareable);
                if ready.origin != Origin::CacheServer && shareable {
                    to_upload.push(ready.path.clone());
                }
            }
            Err(error) => failed.push(failure(step, error)),
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
    let uploaded = sources.upload.as_ref().map(|target| {
        let outcome = if finder.is_down(&target.index) {
            Err(to_upload.len())
        } else {
            Ok(upload(&client, &jobs, &target.files, &to_upload))
        };
        (outcome, target)
    });
    warn_all();
    summary.seconds = started.elapsed().as_secs_f64();
    for line in summary.lines() {
        message!("{line}");
    }
    let said = summary.to_string();
    if !said.is_empty() {
        message!("{said}");
    }
    let upload_failed = uploaded.and_then(|(outcome, target)| said_uploads(outcome, target));
    if !failed.is_empty() {
        return Err(CommandError::Steps(Failures {
            of: plan.steps.len(),
            failed,
            installed_nothing: false,
        }));
    }
    match upload_failed {
        Some(failed) if settings.upload_required => Err(CommandError::Upload(failed)),
        _ => Ok(()),
    }
}

/// Says what `-u` did, each failed wheel as a warning and the count in the
/// summary's words: `Uploaded 0 of 3 wheels to URL: 401 Unauthorized: ...`. The
/// outcome is what was uploaded, or how many wheels were not tried because the
/// server failed earlier in the run. Gives what failed, if anything did.
fn said_uploads(outcome: Result<Uploaded, usize>, target: &UploadTarget) -> Option<UploadFailed> {
    let server = target.index.to_string();
    let failed = match outcome {
        Ok(uploaded) if uploaded.failures.is_empty() => {
            message!("Uploaded {} to {server}", count(uploaded.count, "wheel"));
            return None;
        }
        Ok(uploaded) => {
            for failure in &uploaded.failures {
                warn!("{failure}");
            }
            UploadFailed {
                server,
                failed: uploaded.failures.len(),
                of: uploaded.of(),
                why: uploaded.reasons(),
            }
        }
        Err(0) => return None,
        Err(untried) => UploadFailed {
            server,
            failed: untried,
            of: untried,
            why: "it was not usable earlier in this run".to_string(),
        },
    };
    message!(
        "Uploaded {} of {} to {}: {}",
        failed.of - failed.failed,
        count(failed.of, "wheel"),
        failed.server,
        failed.why
    );
    Some(failed)
}

fn failure(step: &Step, error: StepError) -> Failure {
    Failure {
        name: step.resolved.name.clone(),
        version: step.resolved.version.clone(),
        required_by: required_by(&step.resolved),
        error,
    }
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
    /// `.dist-info` folders of the project whose metadata cannot be read: they go.
    broken: Vec<PathBuf>,
    /// The project given by path or URL, when it was.
    direct: Option<DirectDist>,
}

impl Plan {
    /// A plan that changes nothing, `satisfied` packages being installed already.
    fn nothing(satisfied: usize) -> Plan {
        Plan {
            steps: Vec::new(),
            satisfied,
        }
    }

    /// `--dry-run`'s one line, on stdout.
    fn dry_run(&self) -> String {
        if self.steps.is_empty() {
            return format!(
                "Would install nothing: {} already satisfied",
                count(self.satisfied, "package")
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

/// How many installed packages the requirements need, when those satisfy them all
/// (transitively, by their own metadata) and are whole: then no source is asked.
/// A project to look up afresh (`-f`: every one) sends the run to the resolver;
/// so do `--target`, which resolves as if nothing were installed, projects given by
/// path or URL, and `--report`,
/// which tells what the resolver found.
/// Whole is what [`crate::install::damage`] checks, taken from the project's seal
/// when its folders are as they were at its last full check.
fn already_satisfied(
    settings: &Settings,
    inventory: &Inventory,
    markers: &MarkerEnvironment,
    site: (&Cache, &Path),
    jobs: &Jobs,
) -> Option<usize> {
    let target = matches!(settings.location, Location::Target(_));
    // A project given by path or URL is made into its wheel to know what it is.
    let direct = !settings.direct.is_empty();
    if !matches!(settings.mode, Mode::Install) || target || direct || settings.report.is_some() {
        return None;
    }
    let refresh = |name: &PackageName| settings.force || settings.upgrade.contains(name);
    let needed = installed_satisfies(
        &settings.roots,
        &settings.constraints,
        &inventory.dists,
        markers,
        &refresh,
    )?;
    let (cache, site) = site;
    let file = cache.seals(site);
    let mut seals = Seals::read(&file);
    // A project sealed before and unchanged since, or whole but too freshly
    // changed to seal, gives `None`; one found whole and settled, its new seal.
    let checked = jobs.parallel(&needed, |dist| match seals.holds(dist) {
        true => Ok(None),
        false => seal(dist),
    });
    let mut fresh = Vec::new();
    for outcome in checked {
        fresh.extend(outcome.ok()?);
    }
    if !fresh.is_empty() {
        seals.update(fresh);
        let installed: Vec<&Path> = inventory
            .dists
            .iter()
            .map(|d| d.dist_info.as_path())
            .collect();
        seals.retain(&installed);
        if let Err(e) = seals.write(&file) {
            debug!("{e}");
        }
    }
    Some(needed.len())
}

/// Resolves the requirements, preferring what is installed unless `-f`, and leaves
/// out what is installed already and whole: a project whose files are gone
/// (an install or uninstall cut short) is installed again.
fn plan(
    settings: &Settings,
    inventory: &Inventory,
    finder: &Finder<'_>,
    markers: &MarkerEnvironment,
    directs: &[DirectDist],
) -> Result<Plan, CommandError> {
    let resolving = Progress::new("Resolving", 0, settings.progress);
    let installed = &inventory.dists;
    let mut options = Options {
        prereleases: settings.pre,
        constraints: settings.constraints.clone(),
        ..Options::default()
    };
    // `--target` resolves as if nothing were installed, as pip does; what its folder
    // holds already is left as it is, unless `-f`.
    let target = matches!(settings.location, Location::Target(_));
    if !settings.force && !target {
        // `-U` and `-P` projects go to their newest versions; the rest stay as they
        // are where they fit (pip's "only if needed").
        options.preferences = installed
            .iter()
            .filter(|d| !settings.upgrade.contains(&d.name))
            .map(|d| (d.name.clone(), d.version.clone()))
            .collect();
    }
    let roots: Vec<Requirement> = settings
        .roots
        .iter()
        .cloned()
        .chain(directs.iter().map(DirectDist::requirement))
        .collect();
    let resolution = {
        let finder = finder.reporting_to(&resolving);
        match settings.no_deps {
            true => resolve::resolve(&roots, markers, &NoDeps(&finder), &options),
            false => resolve::resolve(&roots, markers, &finder, &options),
        }
    };
    resolving.finish();
    let packages = resolution?.packages;
    let current: Vec<Option<&InstalledDist>> = packages
        .iter()
        .map(|resolved| installed.iter().find(|d| d.name == resolved.name))
        .collect();
    // Whole, or why not: asked only of what would be left as it is.
    let damage = finder.jobs().parallel(&current, |dist| match dist {
        Some(dist) if !settings.force => Some(crate::install::damage(dist)),
        _ => None,
    });
    let broken = broken_dist_infos(inventory);
    let mut plan = Plan::nothing(0);
    for ((resolved, current), damage) in packages.into_iter().zip(current).zip(damage) {
        let direct = directs.iter().find(|d| d.name == resolved.name).cloned();
        // A project given by path or URL is installed as it is only when it came
        // from the same source, unchanged.
        let same_source = |dist: &InstalledDist| match &direct {
            Some(direct) => std::fs::read_to_string(dist.dist_info.join("direct_url.json"))
                .is_ok_and(|text| direct.installed_as(&text)),
            None => true,
        };
        if target
            && !settings.force
            && let Some(dist) = current
        {
            warn!(
                "the target folder has {} {} already (`{}`), so it is left as it is, not made {}\n\
                 hint: pass -f to replace it",
                dist.name,
                dist.version,
                dist.dist_info.display(),
                resolved.version
            );
            plan.satisfied += 1;
            continue;
        }
        if let Some(dist) =
            current.filter(|d| !target && d.version == resolved.version && same_source(d))
        {
            match damage {
                Some(None) => {
                    plan.satisfied += 1;
                    continue;
                }
                Some(Some(damage)) => warn!(
                    "{} {} is damaged, so it is installed again: {damage}",
                    dist.name, dist.version
                ),
                None => {}
            }
        }
        let broken = broken
            .iter()
            .filter(|(name, _)| name == &resolved.name)
            .map(|(_, dir)| dir.clone())
            .collect();
        plan.steps.push(Step {
            resolved,
            replaces: current.cloned(),
            broken,
            direct,
        });
    }
    Ok(plan)
}

/// `--no-deps`: the finder, but every version requires nothing. What makes a
/// version unusable (its Requires-Python) still counts.
struct NoDeps<'f, 'a>(&'f Finder<'a>);

impl Provider for NoDeps<'_, '_> {
    type Error = <Finder<'static> as Provider>::Error;

    fn versions(&self, name: &PackageName) -> Result<Vec<Version>, Self::Error> {
        self.0.versions(name)
    }

    fn dependencies(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Dependencies, Self::Error> {
        Ok(match self.0.dependencies(name, version)? {
            Dependencies::Known(_) => Dependencies::Known(Vec::new()),
            unusable => unusable,
        })
    }

    fn unusable(&self, name: &PackageName) -> Vec<(Version, Unusable)> {
        self.0.unusable(name)
    }

    fn prefetch(&self, hints: &[Hint], lookahead: Lookahead<'_>) {
        self.0.prefetch(hints, lookahead.shallow());
    }
}

/// `--no-cache-dir`'s cache, removed when the run ends, however it ends.
struct RemovedAtEnd(PathBuf);

impl Drop for RemovedAtEnd {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            warn!(
                "could not remove the temporary cache `{}`: {e}",
                self.0.display()
            );
        }
    }
}

/// The `.dist-info` folders whose metadata cannot be read (an empty one, say), with
/// the project their name gives.
fn broken_dist_infos(inventory: &Inventory) -> Vec<(PackageName, PathBuf)> {
    inventory
        .broken
        .iter()
        .filter_map(|error| match error {
            InstallError::BrokenDist { dist_info, .. } => {
                let stem = dist_info
                    .file_name()?
                    .to_str()?
                    .strip_suffix(".dist-info")?;
                let name = stem.split('-').next()?;
                Some((PackageName::new(name).ok()?, dist_info.clone()))
            }
            _ => None,
        })
        .collect()
}

/// Each step's wheel, placed, or why not; and whether bytecode went into the cache.
struct Placed {
    outcomes: Vec<Result<Prepared, StepError>>,
    compiled_in_cache: bool,
}

/// Fetches (or builds), hash-checks and unpacks every step's wheel, then places
/// them. Into an environment that is one transaction, begun only once every wheel
/// is ready: any failure before it commits leaves the environment as it was, and is
/// the run's one error. Into a wheel folder each wheel is copied when it is ready,
/// and a failure costs only its own.
fn prepare_and_place(
    settings: &Settings,
    env: &Environment,
    finder: &Finder<'_>,
    cache: &Cache,
    steps: &[Step],
) -> Result<Placed, CommandError> {
    let installing = Progress::new(
        match settings.mode {
            Mode::Install => "Installing",
            Mode::Wheel(_) => "Fetching",
        },
        steps.len(),
        settings.progress,
    );
    let jobs = finder.jobs();
    let ready = |step: &Step, unpack: Unpack| {
        let name = &step.resolved.name;
        let allowed = match settings.hashes.get(name) {
            Some(allowed) => Some(allowed.as_slice()),
            // Its source was checked as it was made into a wheel.
            None if step.direct.is_some() => None,
            // In hash mode (any `--hash`, or `--require-hashes`) every package needs one.
            None if settings.require_hashes => {
                return Err(StepError::NoHash {
                    name: name.clone(),
                    version: step.resolved.version.clone(),
                });
            }
            None => None,
        };
        prepare(finder, cache, name, &step.resolved.version, allowed, unpack)
            .map_err(StepError::Prepare)
    };
    let placed = match &settings.mode {
        Mode::Wheel(dir) => {
            let outcomes = jobs.parallel(steps, |step| {
                let ready = ready(step, Unpack::Never)?;
                copy_wheel(&ready.path, &ready.wheel.to_string(), dir).map_err(StepError::Copy)?;
                installing.tick();
                Ok(ready)
            });
            Placed {
                outcomes,
                compiled_in_cache: false,
            }
        }
        // Without bytecode to compile into the cache first, nothing waits for every
        // wheel: each is written into the environment's transaction as soon as it is
        // ready, while the others still download and unpack.
        Mode::Install if !steps.is_empty() && !compiles_in_cache(settings, env) => {
            let transaction = Transaction::begin(&env.target.scheme.purelib)
                .map_err(CommandError::Transaction)?;
            let outcomes = jobs.parallel(steps, |step| {
                let ready = ready(step, Unpack::Reused)?;
                let staged = ready
                    .stage(
                        &transaction,
                        &env.target,
                        &install_options(settings, step, None),
                        jobs,
                    )
                    .map_err(StepError::Prepare)?;
                installing.tick();
                Ok((ready, staged))
            });
            let (prepared, staged): (Vec<_>, Vec<_>) =
                all_or_nothing(steps, outcomes)?.into_iter().unzip();
            commit_all(env, jobs, steps, &transaction, staged)?;
            Placed {
                outcomes: prepared.into_iter().map(Ok).collect(),
                compiled_in_cache: false,
            }
        }
        Mode::Install => {
            let outcomes = jobs.parallel(steps, |step| {
                let ready = ready(step, Unpack::Always);
                installing.tick();
                ready
            });
            let prepared = all_or_nothing(steps, outcomes)?;
            let bytecode = match &env.interpreter.cache_tag {
                Some(tag) if compiles_in_cache(settings, env) => {
                    let unpacked: Vec<_> = prepared
                        .iter()
                        .filter_map(|ready| Some((ready.unpacked.as_deref()?, &ready.wheel)))
                        .collect();
                    match compile_cached(&env.target.python, tag, &unpacked) {
                        Ok(()) => Some(tag.clone()),
                        Err(e) => {
                            warn!("{e}; compiling in the environment instead");
                            None
                        }
                    }
                }
                _ => None,
            };
            let compiled_in_cache = bytecode.is_some();
            install_all(settings, env, jobs, steps, &prepared, bytecode)?;
            Placed {
                outcomes: prepared.into_iter().map(Ok).collect(),
                compiled_in_cache,
            }
        }
    };
    installing.finish();
    Ok(placed)
}

/// Installs every prepared wheel in one transaction: each is written beside its
/// place, the versions they replace are planned away (sparing the files the new
/// ones write), and only then is anything put in place.
fn install_all(
    settings: &Settings,
    env: &Environment,
    jobs: &Jobs,
    steps: &[Step],
    prepared: &[Prepared],
    bytecode: Option<String>,
) -> Result<(), CommandError> {
    if prepared.is_empty() {
        return Ok(());
    }
    let transaction =
        Transaction::begin(&env.target.scheme.purelib).map_err(CommandError::Transaction)?;
    let work: Vec<(&Step, &Prepared)> = steps.iter().zip(prepared).collect();
    let outcomes = jobs.parallel(&work, |(step, ready)| {
        ready
            .stage(
                &transaction,
                &env.target,
                &install_options(settings, step, bytecode.clone()),
                jobs,
            )
            .map_err(StepError::Prepare)
    });
    let staged = all_or_nothing(steps, outcomes)?;
    commit_all(env, jobs, steps, &transaction, staged)
}

/// How a step's wheel is installed: `bytecode`, the cache tag of bytecode compiled
/// into the cache beside it.
fn install_options(settings: &Settings, step: &Step, bytecode: Option<String>) -> InstallOptions {
    InstallOptions {
        installer: "curd",
        requested: step.resolved.requested,
        direct_url: step.direct.as_ref().map(|d| d.direct_url.clone()),
        link: settings.link,
        bytecode,
    }
}

/// Whether bytecode is compiled into the cache, once for every wheel, before any is
/// installed (linked installs only: a copy would not share it).
fn compiles_in_cache(settings: &Settings, env: &Environment) -> bool {
    settings.compile && settings.link == LinkMode::Hardlink && env.interpreter.cache_tag.is_some()
}

/// Plans away the versions the staged wheels replace (sparing the files the new
/// ones write), then puts everything in place in one commit.
fn commit_all(
    env: &Environment,
    jobs: &Jobs,
    steps: &[Step],
    transaction: &Transaction,
    staged: Vec<Staged<'_>>,
) -> Result<(), CommandError> {
    // Resolving every new file's folder costs a `realpath` each, which only a
    // removal needs.
    let removes = steps
        .iter()
        .any(|step| step.replaces.is_some() || !step.broken.is_empty());
    let spare = if removes {
        Spare::of(staged.iter().flat_map(|wheel| wheel.destinations()))
            .map_err(CommandError::Transaction)?
    } else {
        Spare::default()
    };
    let planned = steps
        .iter()
        .map(|step| removals(&env.target.scheme, step, &spare).map_err(StepError::Uninstall))
        .collect();
    let removals = all_or_nothing(steps, planned)?;
    let changes = staged
        .into_iter()
        .zip(removals)
        .map(|(wheel, removals)| Change {
            staged: Some(wheel),
            removals,
        })
        .collect();
    transaction
        .commit(changes, jobs)
        .map_err(|error| match error {
            // Found before anything changed.
            InstallError::KindClash { .. } => CommandError::Transaction(error),
            error => CommandError::Commit(error),
        })
}

/// What every step gave, or (if any failed) the run's error, listing every
/// failure: nothing was installed.
fn all_or_nothing<T>(
    steps: &[Step],
    outcomes: Vec<Result<T, StepError>>,
) -> Result<Vec<T>, CommandError> {
    let mut good = Vec::new();
    let mut failed = Vec::new();
    for (step, outcome) in steps.iter().zip(outcomes) {
        match outcome {
            Ok(value) => good.push(value),
            Err(error) => failed.push(failure(step, error)),
        }
    }
    if failed.is_empty() {
        return Ok(good);
    }
    Err(CommandError::Steps(Failures {
        of: steps.len(),
        failed,
        installed_nothing: true,
    }))
}

/// What a step takes away: the version it replaces, and the project's unreadable
/// `.dist-info` folders. A version without RECORD (cut short while it was removed)
/// loses only its `.dist-info`: its other files cannot be known, and the new
/// version writes over those it shares.
fn removals(scheme: &Scheme, step: &Step, spare: &Spare) -> Result<Vec<Removal>, InstallError> {
    let mut out = Vec::new();
    if let Some(old) = &step.replaces {
        match Removal::plan(scheme, old, spare) {
            Ok(removal) => out.push(removal),
            Err(InstallError::NoRecord { dist_info }) => {
                warn!(
                    "`{}` has no RECORD, so files of {} {} that {} lacks may stay",
                    dist_info.display(),
                    old.name,
                    old.version,
                    step.resolved.version
                );
                out.push(Removal::dist_info_only(&dist_info)?);
            }
            Err(error) => return Err(error),
        }
    }
    for dir in &step.broken {
        out.push(Removal::dist_info_only(dir)?);
    }
    Ok(out)
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

/// `curd wheel`: a wheel, downloaded or built, copied into `dir` whole or not at all.
fn copy_wheel(path: &Path, name: &str, dir: &Path) -> Result<(), FsError> {
    let dest: PathBuf = dir.join(name);
    let mut temp = crate::util::fs::TempFile::new_in(dir)?;
    let mut source = std::fs::File::open(path).context("read", path)?;
    std::io::copy(&mut source, &mut temp).context("write", &dest)?;
    temp.persist(&dest)
}

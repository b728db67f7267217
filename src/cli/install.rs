//! `curd install`: requirements in, an environment that satisfies them out.
//!
//! Read the requirements, ask the interpreter, resolve against the cache servers and
//! indexes, fetch what is missing into the local cache (in parallel), unpack it there
//! once, link it into the environment (in parallel), then upload what the cache
//! servers lacked when `-u` asks for it. Every failure is collected and reported at
//! the end; the environment never holds half a project.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cli::requirements_txt::{RequirementsFile, Spec};
use crate::cli::{CommandError, InstallArgs, LogLevel};
use crate::client::bytecode::{compile_cached, compile_environment};
use crate::client::cache::Cache;
use crate::client::dispatch::Builder;
use crate::client::environment::Environment;
use crate::client::fetch::{Client, ClientOptions};
use crate::client::find::{Candidate, Compatibility, Finder, Source};
use crate::client::index::Index;
use crate::client::prepare::{Prepared, prepare};
use crate::install::{InstallOptions, LinkMode};
use crate::resolve::{self, Options, Resolved};
use crate::standards::filename::WheelFilename;
use crate::standards::marker::MarkerEnvironment;
use crate::standards::name::PackageName;
use crate::standards::requirement::Requirement;
use crate::standards::tags::TagPriority;
use crate::standards::url::Url;
use crate::standards::version::Version;
use crate::util::progress::Progress;

/// PyPI's simple index, the default as for pip.
const PYPI: &str = "https://pypi.org/simple/";

/// What the user asked for, gathered from the command line and requirements files.
struct Wanted {
    roots: Vec<Requirement>,
    constraints: Vec<Requirement>,
    hashes: HashMap<PackageName, Vec<String>>,
    indexes: Vec<String>,
    find_links: Vec<String>,
    no_index: bool,
    pre: bool,
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn gather(args: &InstallArgs) -> Result<Wanted, CommandError> {
    let mut wanted = Wanted {
        roots: Vec::new(),
        constraints: Vec::new(),
        hashes: HashMap::new(),
        indexes: args.index.clone(),
        find_links: args.find_links.clone(),
        no_index: args.no_index,
        pre: args.pre,
    };
    for text in &args.packages {
        let requirement: Requirement = text.parse().map_err(|e| {
            CommandError::new(format!("invalid requirement on the command line: {e}"))
        })?;
        wanted.roots.push(requirement);
    }
    let mut file_indexes = Vec::new();
    let mut extra_indexes = Vec::new();
    for path in &args.requirements {
        let file = RequirementsFile::read(path, &env_var).map_err(CommandError::new)?;
        for entry in file.requirements {
            match entry.requirement {
                Spec::Named(r) => {
                    if !entry.hashes.is_empty() {
                        wanted
                            .hashes
                            .entry(r.name.clone())
                            .or_default()
                            .extend(entry.hashes);
                    }
                    wanted.roots.push(r);
                }
                Spec::Unnamed(target) => {
                    return Err(CommandError::new(format!(
                        "{}: `{target}` names a path or URL, which curd does not install yet\nhint: name the project instead, with a version",
                        entry.origin
                    )));
                }
            }
        }
        wanted
            .constraints
            .extend(
                file.constraints
                    .into_iter()
                    .filter_map(|e| match e.requirement {
                        Spec::Named(r) => Some(r),
                        Spec::Unnamed(_) => None,
                    }),
            );
        file_indexes.extend(file.index_url);
        extra_indexes.extend(file.extra_index_urls);
        wanted.find_links.extend(file.find_links);
        wanted.no_index |= file.no_index;
        wanted.pre |= file.pre;
    }
    if wanted.indexes.is_empty() {
        wanted.indexes = file_indexes;
    }
    if wanted.indexes.is_empty() {
        wanted.indexes.extend(env_var("CURD_INDEX_URL"));
    }
    if wanted.indexes.is_empty() {
        wanted.indexes.push(PYPI.to_string());
    }
    // `--extra-index-url` adds to the main index, as in pip; it never replaces it.
    wanted.indexes.extend(extra_indexes);
    if wanted.roots.is_empty() {
        return Err(CommandError::new(
            "nothing to install: expected requirements or -r FILE\nhint: curd install -r requirements.txt",
        ));
    }
    Ok(wanted)
}

/// The simple index of a curd-server given by its address.
fn cache_index(text: &str) -> Result<Index, CommandError> {
    let url = Url::parse(text)
        .map_err(|e| CommandError::new(format!("invalid cache server URL: {e}")))?;
    let url = if url.path().trim_end_matches('/').ends_with("/simple") {
        url
    } else {
        url.as_directory()
            .join("simple/")
            .map_err(|e| CommandError::new(format!("invalid cache server URL: {e}")))?
    };
    Ok(Index { url })
}

fn sources(args: &InstallArgs, wanted: &Wanted) -> Result<Vec<Source>, CommandError> {
    let mut sources = Vec::new();
    let mut caches = args.curdling_index.clone();
    if caches.is_empty() {
        caches.extend(env_var("CURD_CACHE_URL"));
    }
    for cache in &caches {
        sources.push(Source::Cache(cache_index(cache)?));
    }
    if !wanted.no_index {
        for index in &wanted.indexes {
            let url = Url::parse(index)
                .map_err(|e| CommandError::new(format!("invalid index URL: {e}")))?;
            sources.push(Source::Index(Index { url }));
        }
    }
    for link in &wanted.find_links {
        if let Some(path) = link.strip_prefix("file://") {
            sources.push(Source::Folder(PathBuf::from(path)));
        } else if link.contains("://") {
            let url = Url::parse(link)
                .map_err(|e| CommandError::new(format!("invalid --find-links URL: {e}")))?;
            sources.push(Source::Page(url));
        } else {
            sources.push(Source::Folder(PathBuf::from(link)));
        }
    }
    if sources.is_empty() {
        return Err(CommandError::new(
            "no package source: --no-index leaves none\nhint: add -c URL, -i URL or --find-links DIR",
        ));
    }
    Ok(sources)
}

/// One project to put into the environment (or the wheel folder).
struct Step {
    resolved: Resolved,
    replaces: Option<crate::install::InstalledDist>,
}

/// Where a wheel came from, for the summary and for `-u`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    CacheServer,
    Index,
    Built,
}

/// What a command does with the resolved wheels.
pub enum Mode {
    Install,
    /// `curd wheel`: copy every wheel into a folder.
    Wheel(PathBuf),
}

/// `curd install`.
pub fn install(args: InstallArgs) -> Result<(), CommandError> {
    run(args, Mode::Install)
}

/// `curd install` and `curd wheel`: everything up to the last step is the same.
pub fn run(args: InstallArgs, mode: Mode) -> Result<(), CommandError> {
    let started = Instant::now();
    let say = |level: LogLevel, message: &str| {
        if !args.quiet && args.log_level >= level {
            eprintln!("{message}");
        }
    };
    if args.upload && args.curdling_index.is_empty() && env_var("CURD_CACHE_URL").is_none() {
        return Err(CommandError::new(
            "-u uploads to a cache server, and none was given\nhint: add -c http://HOST:8000",
        ));
    }
    let wanted = gather(&args)?;
    let cache = Cache::open(args.cache_dir.as_deref(), &env_var).map_err(CommandError::new)?;
    let env = Environment::open(args.python.as_deref(), args.system, Some(&cache))?;
    let markers =
        MarkerEnvironment::from_map(env.interpreter.markers().iter()).map_err(CommandError::new)?;
    let python_version: Version = env
        .interpreter
        .python_full_version
        .parse()
        .map_err(|e| CommandError::new(format!("the interpreter reports an {e}")))?;
    let client = Client::new(ClientOptions {
        cert: args.cert.clone(),
        ..ClientOptions::default()
    })
    .map_err(CommandError::new)?;
    let tags = env.interpreter.tags();
    let builder = Builder::new(
        env.interpreter.executable.clone(),
        args.no_build_isolation.then_some(&env.target),
        env.interpreter.python_version,
        markers.clone(),
        tags.first().map(|t| t.to_string()).unwrap_or_default(),
        &cache,
    );
    let mut finder = Finder::new(
        &client,
        &cache,
        sources(&args, &wanted)?,
        Compatibility {
            tags: TagPriority::new(&tags),
            python_version,
        },
        &wanted.roots,
        args.jobs,
        Some(&builder),
    );

    let resolving = Progress::new("Resolving", 0, !args.quiet);
    finder.report_to(&resolving);
    let installed = match mode {
        Mode::Install => env.installed()?,
        Mode::Wheel(_) => Vec::new(),
    };
    let mut options = Options {
        prereleases: wanted.pre,
        constraints: wanted.constraints.clone(),
        ..Options::default()
    };
    if !args.force {
        options.preferences = installed
            .iter()
            .map(|d| (d.name.clone(), d.version.clone()))
            .collect();
    }
    let resolution = resolve::resolve(&wanted.roots, &markers, &finder, &options);
    resolving.finish();
    // What went wrong on the way (a cache server down) helps explain a failure too.
    let warn_all = || {
        for warning in finder.warnings() {
            say(LogLevel::Warn, &format!("warning: {warning}"));
        }
    };
    let resolution = resolution.map_err(|e| {
        warn_all();
        CommandError::new(e)
    })?;
    say(
        LogLevel::Debug,
        &format!(
            "resolved {} packages in {:.2} s",
            resolution.packages.len(),
            started.elapsed().as_secs_f64()
        ),
    );

    let mut steps = Vec::new();
    let mut satisfied = 0;
    for resolved in resolution.packages {
        let current = installed.iter().find(|d| d.name == resolved.name).cloned();
        if !args.force
            && current
                .as_ref()
                .is_some_and(|d| d.version == resolved.version)
        {
            satisfied += 1;
            continue;
        }
        steps.push(Step {
            resolved,
            replaces: current,
        });
    }

    if args.dry_run {
        warn_all();
        if steps.is_empty() {
            println!("Would install nothing: {satisfied} packages already satisfied");
        } else {
            let names: Vec<String> = steps
                .iter()
                .map(|s| format!("{}-{}", s.resolved.name, s.resolved.version))
                .collect();
            println!("Would install {}", names.join(" "));
        }
        return Ok(());
    }

    let installing = Progress::new(
        match mode {
            Mode::Install => "Installing",
            Mode::Wheel(_) => "Fetching",
        },
        steps.len(),
        !args.quiet,
    );
    let link = args.link_mode.0;
    let bytecode = match (&mode, &env.interpreter.cache_tag) {
        (Mode::Install, Some(tag)) if args.compile && link == LinkMode::Hardlink => {
            Some(tag.clone())
        }
        _ => None,
    };
    let place = |step: &Step, ready: &Prepared| {
        let outcome = place_step(&env, &mode, link, bytecode.clone(), step, ready);
        installing.tick();
        outcome
    };
    let mut compiled_in_cache = bytecode.is_some();
    let outcomes = match &bytecode {
        // Everything is fetched and unpacked first, so that one process pool compiles
        // all that the cache lacks.
        Some(tag) => {
            let fetched =
                finder.parallel(&steps, |step| fetch_step(&finder, &cache, &wanted, step));
            let unpacked: Vec<_> = fetched
                .iter()
                .flatten()
                .map(|(_, ready)| (ready.unpacked.as_path(), &ready.wheel))
                .collect();
            if let Err(e) = compile_cached(&env.target.python, tag, &unpacked) {
                say(
                    LogLevel::Warn,
                    &format!("warning: {e}; compiling in the environment instead"),
                );
                compiled_in_cache = false;
            }
            let work: Vec<_> = steps.iter().zip(fetched).collect();
            finder.parallel(&work, |(step, fetched)| match fetched {
                Ok((origin, ready)) => place(step, ready).map(|path| (*origin, path)),
                Err(e) => Err(e.clone()),
            })
        }
        None => finder.parallel(&steps, |step| {
            let (origin, ready) = fetch_step(&finder, &cache, &wanted, step)?;
            place(step, &ready).map(|path| (origin, path))
        }),
    };
    installing.finish();

    let mut failures = Vec::new();
    let mut counts = [0usize; 3];
    let mut to_upload = Vec::new();
    for (step, outcome) in steps.iter().zip(outcomes) {
        match outcome {
            Ok((origin, wheel)) => {
                counts[origin as usize] += 1;
                if origin != Origin::CacheServer {
                    to_upload.push(wheel);
                }
            }
            Err(message) => failures.push(format!(
                "{} {} (required by {}): {message}",
                step.resolved.name,
                step.resolved.version,
                chain(&step.resolved)
            )),
        }
    }
    let done = steps.len() - failures.len();

    if args.compile && !compiled_in_cache && done > 0 && matches!(mode, Mode::Install) {
        if let Err(e) = compile_environment(&env) {
            say(LogLevel::Warn, &format!("warning: {e}"));
        }
    }
    let uploads = if args.upload {
        upload(&client, &finder, &to_upload)
    } else {
        None
    };

    warn_all();
    let [from_cache, from_index, from_sdists] = counts;
    let built = builder
        .count
        .load(std::sync::atomic::Ordering::Relaxed)
        .min(from_sdists);
    let earlier = match from_sdists - built {
        0 => String::new(),
        n => format!(" ({n} built earlier)"),
    };
    let seconds = started.elapsed().as_secs_f64();
    let verb = match &mode {
        Mode::Install => "Installed",
        Mode::Wheel(_) => "Saved",
    };
    if steps.is_empty() {
        say(
            LogLevel::Info,
            &format!("Nothing to install: {satisfied} packages already satisfied"),
        );
    } else if done > 0 {
        say(
            LogLevel::Info,
            &format!(
                "{verb} {done} packages in {seconds:.2} s: {from_cache} from cache, {from_index} from index, {built} built{earlier}"
            ),
        );
    }
    if let Some((uploaded, to, warnings)) = uploads {
        for warning in &warnings {
            say(LogLevel::Warn, &format!("warning: {warning}"));
        }
        say(
            LogLevel::Info,
            &format!("Uploaded {uploaded} wheels to {to}"),
        );
    }
    if failures.is_empty() {
        return Ok(());
    }
    let mut report = format!("{} of {} packages failed:", failures.len(), steps.len());
    for failure in &failures {
        report.push_str("\n  ");
        report.push_str(failure);
    }
    Err(CommandError::new(report))
}

/// Fetches (or builds) one package's wheel, unpacked into the cache and checked
/// against the requirements file's hashes.
fn fetch_step(
    finder: &Finder<'_>,
    cache: &Cache,
    wanted: &Wanted,
    step: &Step,
) -> Result<(Origin, Prepared), String> {
    let ready = prepare(finder, cache, &step.resolved.name, &step.resolved.version)?;
    let origin = if ready.candidate.wheel().is_none() {
        Origin::Built
    } else if finder.from_cache(&ready.candidate) {
        Origin::CacheServer
    } else {
        Origin::Index
    };
    check_hashes(finder, wanted, &step.resolved.name, &ready.candidate)?;
    Ok((origin, ready))
}

/// Installs a fetched wheel, replacing the old version, or copies it into the wheel
/// folder; returns the wheel file. The old version is removed only now, once the new
/// one is verified and unpacked, so a failure before leaves it in place.
fn place_step(
    env: &Environment,
    mode: &Mode,
    link: LinkMode,
    bytecode: Option<String>,
    step: &Step,
    ready: &Prepared,
) -> Result<PathBuf, String> {
    match mode {
        Mode::Install => {
            if let Some(old) = &step.replaces {
                crate::install::uninstall(&env.target.scheme, old).map_err(|e| e.to_string())?;
            }
            let options = InstallOptions {
                installer: "curd",
                requested: step.resolved.requested,
                direct_url: None,
                link,
                bytecode,
            };
            ready.install(&env.target, &options)?;
        }
        Mode::Wheel(dir) => copy_wheel(&ready.path, &ready.wheel, dir)?,
    }
    Ok(ready.path.clone())
}

/// Who asked for a package, as a person would say it.
fn chain(resolved: &Resolved) -> String {
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
    wanted: &Wanted,
    name: &PackageName,
    candidate: &Candidate,
) -> Result<(), String> {
    if wanted.hashes.is_empty() {
        return Ok(());
    }
    let Some(allowed) = wanted.hashes.get(name) else {
        return Err(format!(
            "the requirements give hashes, but none for `{name}`\nhint: pin it with `=={}` and a --hash line",
            candidate.filename.version()
        ));
    };
    let path = finder.local_file(candidate).map_err(|e| e.to_string())?;
    let actual = crate::util::digest::sha256_file(&path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if allowed.iter().any(|h| h.eq_ignore_ascii_case(&actual)) {
        Ok(())
    } else {
        Err(format!(
            "`{}` has sha256 {actual}, which none of the requirements file's --hash values match",
            candidate.file.filename
        ))
    }
}

/// `curd wheel`: a wheel, downloaded or built, copied into `dir`.
fn copy_wheel(path: &Path, wheel: &WheelFilename, dir: &Path) -> Result<(), String> {
    let dest = dir.join(wheel.to_string());
    let mut temp = crate::util::fs::TempFile::new_in(dir).map_err(|e| e.to_string())?;
    let mut source =
        std::fs::File::open(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    std::io::copy(&mut source, &mut temp)
        .map_err(|e| format!("cannot write `{}`: {e}", dest.display()))?;
    temp.persist(&dest).map_err(|e| e.to_string())
}

/// `-u`: sends each wheel to the first cache server. A failed upload is a warning,
/// never a failed install. Returns how many went, where, and what went wrong.
fn upload(
    client: &Client,
    finder: &Finder<'_>,
    wheels: &[PathBuf],
) -> Option<(usize, Url, Vec<String>)> {
    let Some(Source::Cache(index)) = finder.sources().iter().find(|s| s.is_cache()) else {
        return None;
    };
    let mut warnings = Vec::new();
    let base = match index.url.join("../p/") {
        Ok(base) => base,
        Err(e) => return Some((0, index.url.clone(), vec![e.to_string()])),
    };
    let results = finder.parallel(wheels, |wheel| {
        let name = wheel
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let url = base
            .join(&crate::util::encoding::percent_encode(name))
            .map_err(|e| format!("could not upload `{name}`: {e}"))?;
        client
            .put(&url, wheel)
            .map(drop)
            .map_err(|e| format!("could not upload `{name}`: {e}"))
    });
    let mut uploaded = 0;
    for result in results {
        match result {
            Ok(()) => uploaded += 1,
            Err(e) => warnings.push(e),
        }
    }
    Some((uploaded, index.url.clone(), warnings))
}

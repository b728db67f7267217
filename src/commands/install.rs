//! `curd install`: requirements in, an environment that satisfies them out.
//!
//! Read the requirements, ask the interpreter, resolve against the cache servers and
//! indexes, fetch what is missing into the local cache (in parallel), unpack it there
//! once, link it into the environment (in parallel), then upload what the cache
//! servers lacked when `-u` asks for it. Every failure is collected and reported at
//! the end; the environment never holds half a project.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use crate::cache::Cache;
use crate::commands::environment::Environment;
use crate::commands::{CommandError, InstallArgs, LogLevel};
use crate::fetch::{Client, ClientOptions};
use crate::find::{Candidate, Finder, Source};
use crate::index::Index;
use crate::install::{InstallOptions, Source as WheelSource};
use crate::marker::MarkerEnvironment;
use crate::name::PackageName;
use crate::requirement::Requirement;
use crate::requirements_txt::{RequirementsFile, Spec};
use crate::resolve::{self, Options, Resolved};
use crate::tags::TagPriority;
use crate::url::Url;
use crate::version::Version;

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
        file_indexes.extend(file.extra_index_urls);
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
        if link.contains("://") {
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

/// One project to put into the environment.
struct Step {
    resolved: Resolved,
    candidate: Candidate,
    replaces: Option<crate::install::InstalledDist>,
}

/// What happened to one step.
enum Outcome {
    Installed { from_cache: bool, wheel: PathBuf },
    Failed(String),
}

pub fn install(args: InstallArgs) -> Result<(), CommandError> {
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
    let finder = Finder::new(
        &client,
        &cache,
        sources(&args, &wanted)?,
        TagPriority::new(&env.interpreter.tags()),
        python_version,
        &wanted.roots,
        args.jobs,
    );

    let installed = env.installed()?;
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
    let resolution =
        resolve::resolve(&wanted.roots, &markers, &finder, &options).map_err(CommandError::new)?;
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
        let candidate = finder
            .best(&resolved.name, &resolved.version)
            .ok_or_else(|| {
                CommandError::new(format!(
                    "no installable file for {} {}",
                    resolved.name, resolved.version
                ))
            })?;
        steps.push(Step {
            resolved,
            candidate,
            replaces: current,
        });
    }

    if args.dry_run {
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

    let link = args.link_mode.0;
    let outcomes = finder.parallel(&steps, |step| {
        match run_step(&finder, &cache, &env, &wanted, step, link) {
            Ok(outcome) => outcome,
            Err(message) => Outcome::Failed(message),
        }
    });

    let mut failures = Vec::new();
    let mut from_cache = 0;
    let mut to_upload = Vec::new();
    for (step, outcome) in steps.iter().zip(outcomes) {
        match outcome {
            Outcome::Installed {
                from_cache: true, ..
            } => from_cache += 1,
            Outcome::Installed { wheel, .. } => to_upload.push(wheel),
            Outcome::Failed(message) => failures.push(format!(
                "{} {} (required by {}): {message}",
                step.resolved.name,
                step.resolved.version,
                chain(&step.resolved)
            )),
        }
    }
    let installed_count = steps.len() - failures.len();

    if args.compile && installed_count > 0 {
        if let Err(e) = compile(&env) {
            failures.push(e);
        }
    }

    let mut uploaded = 0;
    let mut upload_warnings = Vec::new();
    if args.upload {
        if let Some(Source::Cache(index)) = finder.sources().iter().find(|s| s.is_cache()) {
            let base = index.url.join("../p/").map_err(CommandError::new)?;
            for wheel in &to_upload {
                let Some(name) = wheel.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                let url = match base.join(&crate::server::pages::percent_encode(name)) {
                    Ok(url) => url,
                    Err(e) => {
                        upload_warnings.push(format!("{name}: {e}"));
                        continue;
                    }
                };
                match client.put(&url, wheel) {
                    Ok(_) => uploaded += 1,
                    Err(e) => upload_warnings.push(format!("could not upload `{name}`: {e}")),
                }
            }
        }
    }

    for warning in finder.warnings() {
        say(LogLevel::Warn, &format!("warning: {warning}"));
    }
    for warning in &upload_warnings {
        say(LogLevel::Warn, &format!("warning: {warning}"));
    }
    let seconds = started.elapsed().as_secs_f64();
    if installed_count == 0 && failures.is_empty() {
        say(
            LogLevel::Info,
            &format!("Nothing to install: {satisfied} packages already satisfied"),
        );
    } else {
        say(
            LogLevel::Info,
            &format!(
                "Installed {installed_count} packages in {seconds:.2} s: {from_cache} from cache, {} from index",
                installed_count - from_cache
            ),
        );
    }
    if args.upload {
        if let Some(Source::Cache(index)) = finder.sources().iter().find(|s| s.is_cache()) {
            say(
                LogLevel::Info,
                &format!("Uploaded {uploaded} wheels to {}", index.url),
            );
        }
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

/// Fetches, checks, unpacks and installs one project; replaces its old version.
fn run_step(
    finder: &Finder<'_>,
    cache: &Cache,
    env: &Environment,
    wanted: &Wanted,
    step: &Step,
    link: crate::install::LinkMode,
) -> Result<Outcome, String> {
    let candidate = &step.candidate;
    let wheel = candidate.wheel().ok_or("expected a wheel")?;
    let path = finder.local_file(candidate).map_err(|e| e.to_string())?;
    if let Some(allowed) = wanted.hashes.get(&step.resolved.name) {
        let actual = crate::digest::sha256_file(&path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        if !allowed.iter().any(|h| h.eq_ignore_ascii_case(&actual)) {
            return Err(format!(
                "`{}` has sha256 {actual}, which none of the requirements file's --hash values match",
                candidate.file.filename
            ));
        }
    }
    let unpacked = cache.unpacked_dir(&candidate.cache_key());
    if !unpacked.is_dir() {
        let temp = cache.temp_dir().map_err(|e| e.to_string())?.join(format!(
            "unpack-{}-{}",
            std::process::id(),
            candidate.file.filename
        ));
        let _ = std::fs::remove_dir_all(&temp);
        crate::install::unpack(&path, wheel, &temp).map_err(|e| e.to_string())?;
        if let Some(parent) = unpacked.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
        }
        // Another process may have finished the same entry first: its copy is as good.
        if std::fs::rename(&temp, &unpacked).is_err() {
            let _ = std::fs::remove_dir_all(&temp);
            if !unpacked.is_dir() {
                return Err(format!(
                    "cannot move the unpacked wheel into `{}`",
                    unpacked.display()
                ));
            }
        }
    }
    if let Some(old) = &step.replaces {
        crate::install::uninstall(&env.target.scheme, old).map_err(|e| e.to_string())?;
    }
    let options = InstallOptions {
        installer: "curd",
        requested: step.resolved.requested,
        direct_url: None,
        link,
    };
    crate::install::install_wheel(
        WheelSource::Unpacked(&unpacked),
        wheel,
        &env.target,
        &options,
    )
    .map_err(|e| e.to_string())?;
    Ok(Outcome::Installed {
        from_cache: finder.from_cache(candidate),
        wheel: path,
    })
}

/// `--compile`: byte-compiles site-packages with the environment's own Python.
fn compile(env: &Environment) -> Result<(), String> {
    let scheme = &env.target.scheme;
    let mut dirs = vec![scheme.purelib.clone()];
    if scheme.platlib != scheme.purelib {
        dirs.push(scheme.platlib.clone());
    }
    let out = std::process::Command::new(&env.target.python)
        .args(["-m", "compileall", "-q", "-j", "0"])
        .args(&dirs)
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", env.target.python.display()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "byte-compiling failed:\n{}",
            String::from_utf8_lossy(&out.stderr).trim_end()
        ))
    }
}

//! `curd-server prune DIRECTORY`: removes files not downloaded for a while, for
//! cron. By default only files cached from upstreams (`DIRECTORY/upstream/`);
//! uploads too with `--uploads`.
//!
//! A file's last download is the server's access journal's time, else its mtime
//! (when it was stored). The newest `--keep-latest` versions of each project
//! are kept however old. Safe beside a running server on the same folder: files
//! are unlinked (a download in progress ends whole), and the server reads its
//! folder again when the folder's mtime changes, so its next listing drops them.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::server::ServerError;
use crate::server::access::Access;
use crate::server::args::Age;
use crate::server::pages::human_size;
use crate::server::pull::files::remove_metadata;
use crate::server::storage::{Storage, StoredFile};
use crate::standards::version::Version;
use crate::util::args::{ArgsError, Command, Flag, Operand, Stop};
use crate::util::messages::count;

/// What `prune` is asked to do.
#[derive(Debug)]
pub struct PruneArgs {
    pub older_than: Duration,
    pub keep_latest: usize,
    pub dry_run: bool,
    pub uploads: bool,
    pub directory: std::path::PathBuf,
}

static OLDER_THAN: Flag = Flag::option(
    "older-than",
    "AGE",
    "remove files not downloaded for this long (90d, 2w, 12h); a file never \
     downloaded counts from when it was stored (required)",
);
static KEEP_LATEST: Flag = Flag::option(
    "keep-latest",
    "N",
    "keep the newest N versions of each project however old (default: 0)",
);
static DRY_RUN: Flag = Flag::switch("dry-run", "print what would be removed; remove nothing");
static UPLOADS: Flag = Flag::switch(
    "uploads",
    "remove uploads too (default: only files cached from upstreams)",
);

/// Reads `prune`'s arguments (after the word `prune`).
pub fn parse(
    name: &'static str,
    args: impl IntoIterator<Item = OsString>,
) -> Result<PruneArgs, Stop> {
    let table = Command {
        name,
        about: "Remove the files of a curd-server folder not downloaded for a while, \
                keeping the newest versions of each project; safe while the server runs.",
        flags: vec![&OLDER_THAN, &KEEP_LATEST, &DRY_RUN, &UPLOADS],
        operand: Some(Operand {
            name: "DIRECTORY",
            help: "the server's folder",
            many: false,
        }),
    };
    let m = table.parse(args)?;
    let Some(Age(older_than)) = m.value(&OLDER_THAN)? else {
        return Err(Stop::Usage {
            command: name,
            error: ArgsError::Missing {
                name: "--older-than=AGE",
            },
        });
    };
    Ok(PruneArgs {
        older_than,
        keep_latest: m.value(&KEEP_LATEST)?.unwrap_or(0),
        dry_run: m.switch(&DRY_RUN),
        uploads: m.switch(&UPLOADS),
        directory: m.operand()?,
    })
}

/// Removes (or, dry, lists) what is older than asked; prints one line per file
/// and a total on stdout.
pub fn prune(args: &PruneArgs) -> Result<(), ServerError> {
    let dir = &args.directory;
    if !dir.is_dir() {
        return Err(ServerError::NoFolder(dir.clone()));
    }
    let times = Access::read(dir);
    let now = SystemTime::now();
    let mut removed: Vec<Arc<StoredFile>> = Vec::new();
    let upstream = dir.join("upstream");
    let mut folders: Vec<(&Path, &str)> = Vec::new();
    if upstream.is_dir() {
        folders.push((&upstream, "upstream/"));
    }
    if args.uploads {
        folders.push((dir, ""));
    }
    for (folder, prefix) in folders {
        let storage = Storage::open_beside_server(folder).map_err(ServerError::Storage)?;
        let old = stale_files(&storage, &times, now, args);
        for file in &old {
            let last = times.get(&file.name).copied().unwrap_or(file.mtime);
            let age = now.duration_since(last).unwrap_or_default().as_secs() / 86_400;
            println!(
                "{}{prefix}{} ({}, last downloaded {})",
                if args.dry_run {
                    "would remove "
                } else {
                    "removed "
                },
                file.name,
                human_size(file.size),
                match age {
                    0 => "today".to_string(),
                    1 => "1 day ago".to_string(),
                    days => format!("{days} days ago"),
                }
            );
        }
        if !args.dry_run {
            storage.remove_files(&old).map_err(ServerError::Storage)?;
            if prefix == "upstream/" {
                remove_metadata(&upstream.join("metadata"), &old);
            }
        }
        removed.extend(old);
    }
    let bytes: u64 = removed.iter().map(|f| f.size).sum();
    println!(
        "{} {}, {}",
        if args.dry_run {
            "would remove"
        } else {
            "removed"
        },
        count(removed.len(), "file"),
        human_size(bytes)
    );
    Ok(())
}

/// The files of a folder not downloaded within the age, but for each project's
/// newest versions.
fn stale_files(
    storage: &Storage,
    times: &HashMap<String, SystemTime>,
    now: SystemTime,
    args: &PruneArgs,
) -> Vec<Arc<StoredFile>> {
    let index = storage.index();
    let mut stale = Vec::new();
    for files in index.projects.values() {
        // Files are listed newest version first.
        let mut versions: Vec<&Version> = files.iter().map(|f| f.filename.version()).collect();
        versions.dedup();
        let kept = &versions[..args.keep_latest.min(versions.len())];
        for file in files {
            if kept.contains(&file.filename.version()) {
                continue;
            }
            let last = times
                .get(&file.name)
                .map_or(file.mtime, |t| (*t).max(file.mtime));
            if now.duration_since(last).unwrap_or_default() > args.older_than {
                stale.push(Arc::clone(file));
            }
        }
    }
    stale
}

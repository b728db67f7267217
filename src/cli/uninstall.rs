//! `curd uninstall`: removes each named project through its RECORD, as pip does,
//! all in one transaction (see [`crate::install::Transaction`]).

use crate::cli::args::UninstallArgs;
use crate::cli::error::CommandError;
use crate::cli::requirements_txt::{RequirementsFile, Spec};
use crate::cli::settings::Variables;
use crate::client::environment::Environment;
use crate::install::{Change, Removal, Spare, Transaction};
use crate::standards::name::PackageName;
use crate::util::messages::{self, Level};
use crate::util::sync::Jobs;
use crate::{message, warn};

/// `curd uninstall`: the projects named on the command line and in `-r` files.
pub fn uninstall(args: UninstallArgs) -> Result<(), CommandError> {
    let vars = Variables::from_process();
    if args.quiet {
        messages::set_level(Level::Error);
    }
    let env = Environment::open(
        &vars.discovery(args.python),
        args.system,
        &vars.interpreters(),
    )?;
    let mut names = Vec::new();
    for file in &args.requirements {
        let reqs = RequirementsFile::read(file, &|name| vars.get(name))?;
        for entry in reqs.requirements {
            if let Spec::Named(r) = entry.requirement {
                names.push(r.name);
            }
        }
    }
    for name in &args.names {
        names.push(PackageName::new(name)?);
    }
    if names.is_empty() {
        return Err(CommandError::NothingToUninstall);
    }
    let _lock = env.lock()?;
    let installed = env.installed()?.dists;
    let scheme = &env.target.scheme;
    let transaction = Transaction::begin(&scheme.purelib).map_err(CommandError::Transaction)?;
    let mut changes = Vec::new();
    let mut removed = Vec::new();
    let mut missing = Vec::new();
    for name in &names {
        match installed.iter().find(|d| &d.name == name) {
            Some(dist) => {
                let removal = Removal::plan(scheme, dist, &Spare::default())
                    .map_err(CommandError::Uninstall)?;
                changes.push(Change {
                    staged: None,
                    removals: vec![removal],
                });
                removed.push(format!("{}-{}", dist.name, dist.version));
            }
            None => missing.push(name.to_string()),
        }
    }
    transaction
        .commit(changes, &Jobs::new(1))
        .map_err(CommandError::Commit)?;
    if !removed.is_empty() {
        message!("Uninstalled {}", removed.join(" "));
    }
    for name in &missing {
        warn!("`{name}` is not installed");
    }
    Ok(())
}

//! `curd uninstall`: removes each named project through its RECORD, as pip does.

use crate::cli::args::UninstallArgs;
use crate::cli::error::CommandError;
use crate::cli::requirements_txt::{RequirementsFile, Spec};
use crate::cli::settings::Variables;
use crate::client::environment::Environment;
use crate::standards::name::PackageName;
use crate::util::messages::{self, Level};
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
    let installed = env.installed()?;
    let mut removed = Vec::new();
    let mut missing = Vec::new();
    for name in &names {
        match installed.iter().find(|d| &d.name == name) {
            Some(dist) => {
                crate::install::uninstall(&env.target.scheme, dist)
                    .map_err(CommandError::Uninstall)?;
                removed.push(format!("{}-{}", dist.name, dist.version));
            }
            None => missing.push(name.to_string()),
        }
    }
    if !removed.is_empty() {
        message!("Uninstalled {}", removed.join(" "));
    }
    for name in &missing {
        warn!("`{name}` is not installed");
    }
    Ok(())
}

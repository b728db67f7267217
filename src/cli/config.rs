//! The layers under the command line, highest first: curd's own environment
//! variables, then pip's and uv's (so an image set up for either is not silently
//! sent to PyPI), then configuration files (`curd.toml`): the user's above the
//! machine's, each command's table above the top-level keys.
//!
//! Traps:
//! - A flag takes all its values from the highest layer that has it
//!   ([`Matches::fill`]): `PIP_INDEX_URL` does not add to `-i`, it yields to it.
//! - `$CURD_CONFIG_FILE` names the one file to read, as `$UV_CONFIG_FILE` does; it
//!   must exist. The files found by themselves may be absent.
//! - `$UV_INDEX` entries may be `name=URL`; curd has no named indexes and keeps
//!   the URL.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::cli::args::configurable;
use crate::cli::settings::Variables;
use crate::util::args::{ArgsError, Matches, Origin, Stop, check_config};
use crate::util::config::{ConfigError, ConfigFile};

/// The machine's configuration file.
const SYSTEM_FILE: &str = "/etc/curd/curd.toml";

/// Each variable of curd's own and the flag it stands for.
const CURD_VARIABLES: [(&str, &str); 4] = [
    ("CURD_INDEX_URL", "index"),
    ("CURD_CACHE_URL", "curdling-index"),
    ("CURD_TIMEOUT", "timeout"),
    ("CURD_RETRIES", "retries"),
];

/// pip's and uv's variables for the main index, the first set wins.
const INDEX_VARIABLES: [&str; 3] = ["PIP_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX_URL"];

/// pip's and uv's variables for more indexes, each a space-separated list.
const EXTRA_INDEX_VARIABLES: [&str; 3] = ["PIP_EXTRA_INDEX_URL", "UV_INDEX", "UV_EXTRA_INDEX_URL"];

/// Adds the lower layers to what the command line of `command` gave.
pub fn fill(m: &mut Matches, command: &str, vars: &Variables) -> Result<(), Stop> {
    m.fill(layer(m, curd_variables(vars)));
    m.fill(layer(m, tool_variables(vars)?));
    let no_config = m.flag("no-config").is_some_and(|flag| m.switch(flag));
    if no_config {
        return Ok(());
    }
    let commands = configurable();
    let tables: Vec<(&str, &crate::util::args::Command)> = commands
        .iter()
        .map(|(name, table)| (*name, table))
        .collect();
    for file in files(vars)? {
        check_config(&file, &tables).map_err(Stop::Config)?;
        m.fill_from(&file, command).map_err(Stop::Config)?;
    }
    Ok(())
}

/// The configuration files to read, highest first: `$CURD_CONFIG_FILE` alone if
/// set, else the user's (`$XDG_CONFIG_HOME/curd/curd.toml`, else
/// `~/.config/curd/curd.toml`) and the machine's.
pub fn files(vars: &Variables) -> Result<Vec<ConfigFile>, Stop> {
    if let Some(named) = vars.get_os("CURD_CONFIG_FILE") {
        let path = PathBuf::from(named);
        return match ConfigFile::read(&path).map_err(Stop::Config)? {
            Some(file) => Ok(vec![file]),
            None => Err(Stop::Config(ConfigError::Read(crate::util::fs::FsError {
                path,
                action: "read `$CURD_CONFIG_FILE`",
                source: std::io::ErrorKind::NotFound.into(),
            }))),
        };
    }
    let user = match (vars.get_os("XDG_CONFIG_HOME"), vars.get_os("HOME")) {
        (Some(xdg), _) => Some(PathBuf::from(xdg).join("curd/curd.toml")),
        (None, Some(home)) => Some(PathBuf::from(home).join(".config/curd/curd.toml")),
        (None, None) => None,
    };
    let mut files = Vec::new();
    for path in user.into_iter().chain([PathBuf::from(SYSTEM_FILE)]) {
        files.extend(ConfigFile::read(&path).map_err(Stop::Config)?);
    }
    Ok(files)
}

/// A layer's entries as flags of the command; those it lacks are left out.
fn layer(
    m: &Matches,
    entries: Vec<(&'static str, String, String)>,
) -> Vec<(&'static crate::util::args::Flag, OsString, Origin)> {
    entries
        .into_iter()
        .filter_map(|(key, value, variable)| {
            Some((
                m.flag(key)?,
                OsString::from(value),
                Origin::Variable(variable),
            ))
        })
        .collect()
}

/// `$CURD_*`, as (flag, value, variable).
fn curd_variables(vars: &Variables) -> Vec<(&'static str, String, String)> {
    CURD_VARIABLES
        .iter()
        .filter_map(|(variable, flag)| Some((*flag, vars.get(variable)?, variable.to_string())))
        .collect()
}

/// pip's and uv's variables, as (flag, value, variable).
fn tool_variables(vars: &Variables) -> Result<Vec<(&'static str, String, String)>, Stop> {
    let mut entries = Vec::new();
    if let Some((variable, url)) = INDEX_VARIABLES.iter().find_map(|v| Some((v, vars.get(v)?))) {
        entries.push(("index", url, variable.to_string()));
    }
    let mut extras: Vec<String> = Vec::new();
    for variable in EXTRA_INDEX_VARIABLES {
        for url in vars.get(variable).iter().flat_map(|v| v.split_whitespace()) {
            let url = match url.split_once('=') {
                Some((name, url)) if variable == "UV_INDEX" && !name.contains([':', '/']) => url,
                _ => url,
            };
            if !extras.iter().any(|e| e == url) {
                extras.push(url.to_string());
                entries.push(("extra-index-url", url.to_string(), variable.to_string()));
            }
        }
    }
    for url in vars
        .get("PIP_FIND_LINKS")
        .iter()
        .flat_map(|v| v.split_whitespace())
    {
        entries.push(("find-links", url.to_string(), "PIP_FIND_LINKS".to_string()));
    }
    for variable in ["PIP_NO_INDEX", "UV_NO_INDEX"] {
        if let Some(value) = vars.get(variable)
            && truth(variable, &value)?
        {
            entries.push(("no-index", String::new(), variable.to_string()));
        }
    }
    Ok(entries)
}

/// A boolean variable as pip reads one (`strtobool`).
fn truth(variable: &str, value: &str) -> Result<bool, Stop> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "y" | "yes" | "t" | "true" | "on" => Ok(true),
        "0" | "n" | "no" | "f" | "false" | "off" => Ok(false),
        _ => Err(Stop::Usage {
            command: "curd",
            error: ArgsError::Invalid {
                what: format!("`${variable}`"),
                expected: "true or false (or 1, 0, yes, no, on, off)",
                found: value.to_string(),
            },
        }),
    }
}

#[cfg(test)]
mod tests;

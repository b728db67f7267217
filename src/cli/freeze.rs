//! `curd freeze`: `name==version` lines on stdout, as `pip freeze` prints them.

use crate::cli::args::FreezeArgs;
use crate::cli::error::CommandError;
use crate::cli::settings::Variables;
use crate::client::environment::Environment;
use crate::standards::metadata::CoreMetadata;

/// The tools pip leaves out of its list, and so does curd.
const HIDDEN: [&str; 4] = ["pip", "setuptools", "wheel", "distribute"];

/// `curd freeze`: names as the projects spell them, in pip's order.
pub fn freeze(args: FreezeArgs) -> Result<(), CommandError> {
    let vars = Variables::from_process();
    let env = Environment::open(&vars.discovery(args.python), true, &vars.interpreters())?;
    let mut lines: Vec<(String, String)> = env
        .installed()?
        .dists
        .into_iter()
        .filter(|d| !HIDDEN.contains(&d.name.as_str()))
        .map(|d| {
            let name = std::fs::read(d.dist_info.join("METADATA"))
                .ok()
                .and_then(|raw| CoreMetadata::parse(&raw).ok())
                .map(|m| m.name)
                .unwrap_or_else(|| d.name.to_string());
            (name.to_ascii_lowercase(), format!("{name}=={}", d.version))
        })
        .collect();
    lines.sort();
    for (_, line) in lines {
        println!("{line}");
    }
    Ok(())
}

//! `curd show`: what installed projects say of themselves, as `pip show` prints it,
//! field for field, with `---` between projects; `-f` adds the files RECORD lists.

use crate::cli::args::ShowArgs;
use crate::cli::error::CommandError;
use crate::cli::freeze::{Described, describe, open};
use crate::install::record;
use crate::standards::marker::MarkerEnvironment;
use crate::standards::name::PackageName;
use crate::standards::requirement::Requirement;
use crate::warn;

/// `curd show`: `Ok(false)` when none of the names is installed, for exit code 1,
/// as pip does.
pub fn show(args: ShowArgs) -> Result<bool, CommandError> {
    if args.names.is_empty() {
        return Err(CommandError::NothingToShow);
    }
    let env = open(args.python)?;
    let markers = MarkerEnvironment::from_map(env.interpreter.markers().iter())?;
    let installed = describe(&env)?;
    let mut wanted = Vec::new();
    let mut missing = Vec::new();
    for name in &args.names {
        let found = PackageName::new(name)
            .ok()
            .and_then(|n| installed.iter().find(|d| d.dist.name == n));
        match found {
            Some(dist) => wanted.push(dist),
            None => missing.push(name.as_str()),
        }
    }
    if !missing.is_empty() {
        missing.sort();
        warn!("Package(s) not found: {}", missing.join(", "));
    }
    for (i, dist) in wanted.iter().enumerate() {
        if i > 0 {
            println!("---");
        }
        print!("{}", describe_one(dist, &installed, &markers));
        if args.files {
            print!("{}", files(dist));
        }
    }
    Ok(!wanted.is_empty())
}

/// The requirements of `dist` that apply here with no extra asked for, those
/// `pip show` lists as `Requires` and by which it finds `Required-by`, each with
/// the name as written (`Jinja2`).
fn requirements(dist: &Described, markers: &MarkerEnvironment) -> Vec<(String, Requirement)> {
    dist.all("Requires-Dist")
        .filter_map(|text| {
            let requirement = text.parse::<Requirement>().ok()?;
            let name = text
                .trim_start()
                .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
                .next()
                .unwrap_or_default();
            Some((name.to_string(), requirement))
        })
        .filter(|(_, r)| r.marker.as_ref().is_none_or(|m| m.evaluate(markers, &[])))
        .collect()
}

/// One project's lines.
fn describe_one(dist: &Described, installed: &[Described], markers: &MarkerEnvironment) -> String {
    let mut requires: Vec<String> = requirements(dist, markers)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    requires.sort_by_key(|name| name.to_lowercase());
    let mut required_by: Vec<String> = installed
        .iter()
        .filter(|other| {
            requirements(other, markers)
                .iter()
                .any(|(_, r)| r.name == dist.dist.name)
        })
        .map(Described::name)
        .collect();
    required_by.sort_by_key(|name| name.to_lowercase());
    let location = dist
        .dist
        .dist_info
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut out = format!("Name: {}\nVersion: {}\n", dist.name(), dist.dist.version);
    for field in ["Summary", "Home-page", "Author", "Author-email", "License"] {
        out += &format!("{field}: {}\n", dist.field(field));
    }
    out += &format!("Location: {location}\n");
    if let Some(editable) = dist.editable_location() {
        out += &format!("Editable project location: {}\n", editable.display());
    }
    out += &format!("Requires: {}\n", requires.join(", "));
    out += &format!("Required-by: {}\n", required_by.join(", "));
    out
}

/// `Files:` and RECORD's paths, sorted, as `pip show -f` lists them.
fn files(dist: &Described) -> String {
    match record(&dist.dist) {
        Ok(rows) => {
            let mut paths: Vec<String> = rows.into_iter().map(|row| row.path).collect();
            paths.sort();
            let mut out = String::from("Files:\n");
            for path in paths {
                out += &format!("  {path}\n");
            }
            out
        }
        Err(_) => "Files:\nCannot locate RECORD or installed-files.txt\n".to_string(),
    }
}

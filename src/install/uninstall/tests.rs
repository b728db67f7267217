//! Uninstalling what the installer wrote, and listing what is installed.

use std::fs;
use std::path::Path;

use super::*;
use crate::install::tests::{DEMO, build, demo_entries, env, install, tree};
use crate::standards::name::PackageName;
use crate::util::fs::TestDir as TempDir;

#[test]
fn uninstalls_everything_it_installed() {
    let env = env("uninstall");
    let dir = TempDir::new("uninstall-wheels");
    let before = tree(&env.root);
    let wheel = build(&dir.0, DEMO, demo_entries());
    install(&env, &wheel, DEMO).expect("installs");
    // What Python's import system leaves behind, and a stranger's file.
    let site = env.target.scheme.purelib.clone();
    for name in [
        "demo/__pycache__/__init__.cpython-311.pyc",
        "demo/sub/__pycache__/mod.cpython-311.opt-1.pyc",
    ] {
        fs::create_dir_all(site.join(name).parent().expect("parent")).expect("mkdir");
        fs::write(site.join(name), b"bytecode").expect("write");
    }
    let inventory = installed(&[site.clone(), site.clone()]).expect("scans");
    assert_eq!(inventory.dists.len(), 1);
    let dist = &inventory.dists[0];
    assert_eq!(
        (dist.name.as_str(), dist.version.to_string().as_str()),
        ("demo", "1.0")
    );
    let removed = uninstall(&env.target.scheme, dist).expect("uninstalls");
    assert!(
        removed
            .files
            .iter()
            .any(|f| f.ends_with("mod.cpython-311.opt-1.pyc"))
    );
    assert!(
        removed
            .dirs
            .iter()
            .any(|d| d.ends_with("demo-1.0.dist-info"))
    );
    // Everything is gone but the scheme's own headers folder, which pip keeps too.
    let mut after = tree(&env.root);
    for kept in ["include", "include/site", "include/site/python3.11"] {
        assert_eq!(after.remove(Path::new(kept)), Some(None), "{kept}");
    }
    assert_eq!(after, before);
    assert!(
        installed(std::slice::from_ref(&site))
            .expect("scans")
            .dists
            .is_empty()
    );
    // Uninstalled meanwhile by another process: nothing left to do, no error.
    let again = uninstall(&env.target.scheme, dist).expect("already gone");
    assert!(again.files.is_empty() && again.dirs.is_empty());

    // A folder holding a file of another project stays.
    install(&env, &wheel, DEMO).expect("installs again");
    fs::write(site.join("demo/sub/stranger.py"), b"").expect("write");
    let dist = installed(std::slice::from_ref(&site))
        .expect("scans")
        .dists
        .remove(0);
    uninstall(&env.target.scheme, &dist).expect("uninstalls");
    assert!(site.join("demo/sub/stranger.py").is_file());
    assert!(!site.join("demo/sub/mod.py").exists());
}

#[test]
fn refuses_to_uninstall_outside_the_environment() {
    let env = env("outside");
    let dir = TempDir::new("outside-wheels");
    let victim = dir.0.join("victim.txt");
    fs::write(&victim, b"keep me").expect("write");
    install(&env, &build(&dir.0, DEMO, demo_entries()), DEMO).expect("installs");
    let site = env.target.scheme.purelib.clone();
    let record = site.join("demo-1.0.dist-info/RECORD");
    let original = fs::read_to_string(&record).expect("read");
    // A symbolic link inside the environment pointing out of it counts as outside.
    std::os::unix::fs::symlink(&dir.0, site.join("link")).expect("symlink");
    for line in [
        format!("{},,\n", victim.display()),
        "../../../../victim.txt,,\n".to_string(),
        "link/victim.txt,,\n".to_string(),
    ] {
        fs::write(&record, format!("{line}{original}")).expect("write");
        let dist = installed(std::slice::from_ref(&site))
            .expect("scans")
            .dists
            .remove(0);
        let error = uninstall(&env.target.scheme, &dist).expect_err(&line);
        assert!(
            matches!(error, InstallError::OutsideEnvironment { .. }),
            "{error}"
        );
        assert!(victim.is_file());
        assert!(site.join("demo/__init__.py").is_file(), "nothing removed");
    }
    fs::remove_file(&record).expect("remove");
    let dist = InstalledDist {
        name: PackageName::new("demo").expect("name"),
        version: "1.0".parse().expect("version"),
        dist_info: site.join("demo-1.0.dist-info"),
        requires_dist: Vec::new(),
    };
    let error = uninstall(&env.target.scheme, &dist).expect_err("no RECORD");
    assert_eq!(
        error.to_string(),
        format!(
            "cannot uninstall `{}`: expected a RECORD file listing its files, found none",
            dist.dist_info.display()
        )
    );
}

#[test]
fn lists_installed_projects_and_reports_broken_ones() {
    let dir = TempDir::new("inventory");
    let site = dir.0.join("site-packages");
    for (folder, metadata) in [
        (
            "b_pkg-2.0.dist-info",
            Some("Metadata-Version: 2.1\nName: B.Pkg\nVersion: 2.0\n"),
        ),
        (
            "a-1.0.dist-info",
            Some("Metadata-Version: 2.1\nName: a\nVersion: 1.0rc1\n"),
        ),
        ("empty-1.0.dist-info", None),
        (
            "bad-1.0.dist-info",
            Some("Metadata-Version: 2.1\nName: bad\n"),
        ),
        (
            "badver-1.0.dist-info",
            Some("Metadata-Version: 2.1\nName: badver\nVersion: one\n"),
        ),
        ("notes.txt", None),
    ] {
        fs::create_dir_all(site.join(folder)).expect("mkdir");
        if let Some(metadata) = metadata {
            fs::write(site.join(folder).join("METADATA"), metadata).expect("write");
        }
    }
    fs::write(site.join("c-1.0.dist-info-not-a-folder.dist-info"), b"").expect("write");
    let inventory = installed(&[site.clone(), dir.0.join("missing")]).expect("scans");
    let found: Vec<(String, String)> = inventory
        .dists
        .iter()
        .map(|d| (d.name.to_string(), d.version.to_string()))
        .collect();
    assert_eq!(
        found,
        [
            ("a".into(), "1.0rc1".into()),
            ("b-pkg".into(), "2.0".into())
        ]
    );
    assert_eq!(inventory.broken.len(), 3);
    let messages: Vec<String> = inventory.broken.iter().map(|e| e.to_string()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("empty-1.0.dist-info`: expected a METADATA file")),
        "{messages:?}"
    );
    assert!(
        messages.iter().all(|m| m.starts_with("ignoring `")),
        "{messages:?}"
    );
}

#[test]
fn a_project_is_damaged_when_its_record_or_a_file_it_lists_is_gone() {
    let env = env("damage");
    let dir = TempDir::new("damage-wheels");
    let wheel = build(&dir.0, DEMO, demo_entries());
    install(&env, &wheel, DEMO).expect("installs");
    let site = env.target.scheme.purelib.clone();
    let dist = &installed(std::slice::from_ref(&site)).expect("scans").dists[0];
    assert_eq!(damage(dist), None);
    // Bytecode RECORD lists is a cache: clearing it damages nothing.
    let record = dist.dist_info.join("RECORD");
    let mut text = fs::read_to_string(&record).expect("read");
    text.push_str("demo/__pycache__/__init__.cpython-311.pyc,,\n");
    fs::write(&record, &text).expect("write");
    assert_eq!(damage(dist), None);
    for gone in ["demo/sub/mod.py", "../../../bin/demo"] {
        let path = site.join(gone);
        let kept = fs::read(&path).expect("read");
        fs::remove_file(&path).expect("remove");
        match damage(dist) {
            Some(Damage::Missing(missing)) => {
                assert_eq!(
                    fs::canonicalize(missing.parent().unwrap()).unwrap(),
                    fs::canonicalize(path.parent().unwrap()).unwrap()
                );
                assert_eq!(missing.file_name(), path.file_name());
            }
            other => panic!("{gone}: {other:?}"),
        }
        fs::write(&path, kept).expect("restore");
    }
    fs::remove_file(&record).expect("remove RECORD");
    assert_eq!(damage(dist), Some(Damage::Record("is missing".into())));
    assert_eq!(
        damage(dist).map(|d| d.to_string()).as_deref(),
        Some("its RECORD is missing")
    );
}

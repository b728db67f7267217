//! Transactions killed at every step: what the next run finds is finished or undone,
//! and never a project with a `.dist-info` whose files are gone.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::*;
use crate::install::journal::word;
use crate::install::tests::{
    DEMO, Entry, Env, big_entries, build, demo_entries, env, options, tree, wheel_name,
};
use crate::install::{Removal, Source, Spare, damage, installed, unpack};
use crate::util::fs::TestDir as TempDir;
use crate::util::sync::Jobs;

const DEMO2: &str = "demo-2.0-py3-none-any.whl";

/// Version 2.0 of the demo: one module changed, one gone, one new.
fn demo2_entries() -> Vec<Entry> {
    let mut entries: Vec<Entry> = demo_entries()
        .into_iter()
        .filter(|(name, _, _)| name != "demo/tool.sh")
        .map(|(name, contents, mode)| {
            let name = name.replace("demo-1.0", "demo-2.0");
            let contents = match name.as_str() {
                "demo/__init__.py" => b"VALUE = 2\n".to_vec(),
                "demo-2.0.dist-info/METADATA" => {
                    b"Metadata-Version: 2.1\nName: demo\nVersion: 2.0\n".to_vec()
                }
                _ => contents,
            };
            (name, contents, mode)
        })
        .collect();
    entries.push(("demo/new/x.py".into(), b"NEW = 1\n".to_vec(), 0o644));
    entries
}

/// The wheel unpacked, as the client installs it: its files are linked into place.
fn unpacked(dir: &Path, filename: &str, entries: Vec<Entry>) -> PathBuf {
    let wheel = build(dir, filename, entries);
    let dest = dir.join(format!("{filename}.unpacked"));
    unpack(&wheel, &wheel_name(filename), &dest, &Jobs::new(2)).expect("unpacks");
    dest
}

/// The environment's files and folders, with its own path in their contents put as
/// `{root}` (scripts name their interpreter), and RECORD's text left out (it hashes
/// those scripts), so two environments compare.
fn shape(env: &Env) -> BTreeMap<PathBuf, Option<(Vec<u8>, u32)>> {
    let root = env.root.as_os_str().as_bytes();
    tree(&env.root)
        .into_iter()
        .map(|(path, file)| {
            let file = file.map(|(bytes, mode)| {
                if path.ends_with("RECORD") {
                    return (Vec::new(), mode);
                }
                let mut out = Vec::new();
                let mut rest = &bytes[..];
                while let Some(at) = rest.windows(root.len()).position(|w| w == root) {
                    out.extend_from_slice(&rest[..at]);
                    out.extend_from_slice(b"{root}");
                    rest = &rest[at + root.len()..];
                }
                out.extend_from_slice(rest);
                (out, mode)
            });
            (path, file)
        })
        .collect()
}

fn site(env: &Env) -> &Path {
    &env.target.scheme.purelib
}

/// Every project installed has its RECORD and every file it names.
fn assert_projects_whole(env: &Env, when: &str) {
    let scheme = &env.target.scheme;
    let inventory = installed(&[scheme.purelib.clone(), scheme.platlib.clone()]).expect("scans");
    assert!(
        inventory.broken.is_empty(),
        "{when}: {:?}",
        inventory.broken
    );
    for dist in &inventory.dists {
        assert_eq!(damage(dist), None, "{when}: {}", dist.name);
    }
}

/// Installs `source` in a transaction of its own, replacing what is installed.
fn upgrade(env: &Env, source: &Path, filename: &str) {
    let transaction = Transaction::begin(site(env)).expect("begins");
    let changes = changes(env, &transaction, source, filename);
    transaction.commit(changes, &Jobs::new(2)).expect("commits");
}

/// The unpacked wheel at `source`, written beside its place in `env`.
fn stage<'t>(env: &Env, transaction: &'t Transaction, source: &Path, filename: &str) -> Staged<'t> {
    transaction
        .stage(
            Source::Unpacked(source),
            &wheel_name(filename),
            &env.target,
            &options(),
            &Jobs::new(2),
        )
        .expect("stages")
}

fn changes<'t>(
    env: &Env,
    transaction: &'t Transaction,
    source: &Path,
    filename: &str,
) -> Vec<Change<'t>> {
    let scheme = &env.target.scheme;
    let old = installed(&[scheme.purelib.clone(), scheme.platlib.clone()]).expect("scans");
    let staged = stage(env, transaction, source, filename);
    let spare = Spare::of(staged.destinations()).expect("spare");
    let removals = old
        .dists
        .iter()
        .map(|dist| Removal::plan(scheme, dist, &spare).expect("plans"))
        .collect();
    vec![Change {
        staged: Some(staged),
        removals,
    }]
}

#[test]
fn a_commit_killed_at_any_step_is_finished_by_the_next_run() {
    let wheels = TempDir::new("txn-steps-wheels");
    let v1 = unpacked(&wheels.0, DEMO, demo_entries());
    let v2 = unpacked(&wheels.0, DEMO2, demo2_entries());
    let reference = env("txn-reference");
    upgrade(&reference, &v1, DEMO);
    upgrade(&reference, &v2, DEMO2);
    let expected = shape(&reference);
    assert!(expected.contains_key(Path::new("lib/python3.11/site-packages/demo/new/x.py")));
    assert!(!expected.contains_key(Path::new("lib/python3.11/site-packages/demo/tool.sh")));

    let mut k = 0;
    loop {
        let env = env("txn-steps");
        upgrade(&env, &v1, DEMO);
        let transaction = Transaction::begin(site(&env)).expect("begins");
        let changes = changes(&env, &transaction, &v2, DEMO2);
        let blocks = transaction.write_commit(changes).expect("commits");
        let steps: Vec<&Step> = blocks.iter().flatten().collect();
        for step in steps.iter().take(k) {
            step.run().expect("runs");
        }
        // Killed here: no destructor runs.
        std::mem::forget(transaction);
        assert_projects_whole(&env, &format!("killed after {k} steps"));
        assert_eq!(
            recover(site(&env)).expect("recovers"),
            Some(Recovered::Finished)
        );
        assert_eq!(shape(&env), expected, "killed after {k} steps");
        if k == steps.len() {
            break;
        }
        k += 1;
    }
    assert!(k > 10, "the upgrade has its steps: {k}");
}

#[test]
fn a_transaction_killed_before_its_commit_is_undone_by_the_next_run() {
    let wheels = TempDir::new("txn-undo-wheels");
    let v1 = unpacked(&wheels.0, DEMO, demo_entries());
    let v2 = unpacked(&wheels.0, DEMO2, demo2_entries());
    // Into a fresh environment (whose new folders take hard links straight away), and
    // over an installed version (whose folders get temporary files).
    for first in [None, Some(&v1)] {
        let env = env("txn-undo");
        if let Some(v1) = first {
            upgrade(&env, v1, DEMO);
        }
        let before = tree(&env.root);
        let transaction = Transaction::begin(site(&env)).expect("begins");
        let staged = stage(&env, &transaction, &v2, DEMO2);
        assert_ne!(tree(&env.root), before, "staging writes files");
        std::mem::forget(staged);
        std::mem::forget(transaction);
        assert_projects_whole(&env, "killed while staging");
        // Another tool installs meanwhile, into a folder the killed run was making.
        let foreign = site(&env).join("demo/new/foreign.py");
        fs::create_dir_all(foreign.parent().expect("parent")).expect("mkdir");
        fs::write(&foreign, b"").expect("write");
        assert_eq!(
            recover(site(&env)).expect("recovers"),
            Some(Recovered::RolledBack)
        );
        assert!(foreign.exists(), "what others wrote stays");
        fs::remove_dir_all(site(&env).join("demo/new")).expect("remove");
        if first.is_none() {
            fs::remove_dir(site(&env).join("demo")).expect("remove");
        }
        assert_eq!(tree(&env.root), before);
        assert_eq!(recover(site(&env)).expect("nothing left"), None);
    }
}

#[test]
fn a_failed_transaction_undoes_itself() {
    let wheels = TempDir::new("txn-fail-wheels");
    let v2 = unpacked(&wheels.0, DEMO2, demo2_entries());
    let env = env("txn-fail");
    let before = tree(&env.root);
    {
        let transaction = Transaction::begin(site(&env)).expect("begins");
        let _staged = stage(&env, &transaction, &v2, DEMO2);
    }
    assert_eq!(tree(&env.root), before);
}

/// A big wheel staged straight from its archive, in parts on several threads,
/// installs exactly as one thread installs it.
#[test]
fn a_big_wheel_staged_in_parts_installs_as_one_thread_installs_it() {
    let wheels = TempDir::new("txn-parts-wheels");
    let wheel = build(&wheels.0, DEMO, big_entries());
    let serial = env("txn-parts-serial");
    crate::install::install_wheel(
        Source::Zip(&wheel),
        &wheel_name(DEMO),
        &serial.target,
        &options(),
    )
    .expect("installs");
    let parts = env("txn-parts");
    let transaction = Transaction::begin(site(&parts)).expect("begins");
    let staged = transaction
        .stage(
            Source::Zip(&wheel),
            &wheel_name(DEMO),
            &parts.target,
            &options(),
            &Jobs::new(4),
        )
        .expect("stages");
    let change = Change {
        staged: Some(staged),
        removals: Vec::new(),
    };
    transaction
        .commit(vec![change], &Jobs::new(2))
        .expect("commits");
    assert_eq!(shape(&parts), shape(&serial));
    let record =
        fs::read_to_string(site(&parts).join("demo-1.0.dist-info/RECORD")).expect("RECORD");
    assert_eq!(record.lines().count(), big_entries().len() + 4, "{record}");
}

/// Two files of one wheel bound for one place are refused even when different
/// threads write them, and the environment is left as it was.
#[test]
fn one_place_written_by_two_parts_of_a_wheel_is_refused() {
    let wheels = TempDir::new("txn-parts-twice-wheels");
    let mut entries = big_entries();
    entries.push((
        "demo-1.0.data/purelib/demo/part0/mod0.py".into(),
        b"VALUE = 0\n".to_vec(),
        0o644,
    ));
    let wheel = build(&wheels.0, DEMO, entries);
    let env = env("txn-parts-twice");
    let before = tree(&env.root);
    {
        let transaction = Transaction::begin(site(&env)).expect("begins");
        let refused = transaction.stage(
            Source::Zip(&wheel),
            &wheel_name(DEMO),
            &env.target,
            &options(),
            &Jobs::new(4),
        );
        match refused {
            Err(InstallError::DuplicateDestination { path, .. }) => {
                assert!(path.ends_with("demo/part0/mod0.py"), "{}", path.display());
            }
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("staged"),
        }
    }
    assert_eq!(tree(&env.root), before);
}

/// A project whose module `demo/data` became a package `demo/data/`, and back:
/// refused before the commit (a rename after it would fail and leave every later
/// run stuck), with the environment as it was and no journal left.
#[test]
fn a_file_that_becomes_a_folder_is_refused_before_the_commit() {
    let wheels = TempDir::new("txn-kind-wheels");
    let with = |path: &str| {
        let mut entries = demo_entries();
        entries.push((path.into(), b"X = 1\n".to_vec(), 0o644));
        entries
    };
    for (old, new) in [
        ("demo/data", "demo/data/x.py"),
        ("demo/data/x.py", "demo/data"),
    ] {
        let v1 = unpacked(&wheels.0, DEMO, with(old));
        let v2_entries: Vec<Entry> = demo2_entries()
            .into_iter()
            .chain([(new.to_string(), b"X = 2\n".to_vec(), 0o644)])
            .collect();
        let v2 = unpacked(&wheels.0, DEMO2, v2_entries);
        let env = env("txn-kind");
        upgrade(&env, &v1, DEMO);
        let before = tree(&env.root);
        let transaction = Transaction::begin(site(&env)).expect("begins");
        let changes = changes(&env, &transaction, &v2, DEMO2);
        match transaction.commit(changes, &Jobs::new(2)) {
            Err(InstallError::KindClash { path, .. }) => {
                assert!(path.ends_with("demo/data"), "{}", path.display());
            }
            other => panic!("{other:?}"),
        }
        drop(transaction);
        assert_eq!(tree(&env.root), before);
        assert!(!site(&env).join(JOURNAL).exists());
        fs::remove_dir_all(&v1).expect("remove");
        fs::remove_dir_all(&v2).expect("remove");
    }
}

#[test]
fn a_journal_cut_short_in_its_commit_is_rolled_back() {
    let env = env("txn-cut");
    let site = site(&env);
    let transaction = Transaction::begin(site).expect("begins");
    let temp = site.join(temp_name(transaction.journal.label()));
    fs::write(&temp, b"half").expect("write");
    transaction.journal.note(site).expect("notes");
    std::mem::forget(transaction);
    let journal = site.join(JOURNAL);
    let mut text = fs::read_to_string(&journal).expect("read");
    text.push_str(&format!(
        "B\nR {} {}\nX /etc/pas",
        word(&temp),
        word(&site.join("x"))
    ));
    fs::write(&journal, text).expect("write");
    assert_eq!(
        recover(site).expect("recovers"),
        Some(Recovered::RolledBack)
    );
    assert!(!temp.exists());
    assert!(!site.join("x").exists());
    assert!(!journal.exists());
}

#[test]
fn a_journal_curd_did_not_write_is_refused_and_kept() {
    let env = env("txn-garbage");
    let site = site(&env);
    let journal = site.join(JOURNAL);
    for (text, line) in [
        ("not a journal\n", 1),
        ("curd-journal 1 /tmp/\n", 1),
        ("curd-journal 1 .curd-tmp-1-x\nZ what\nC\n", 2),
        ("curd-journal 1 .curd-tmp-1-x\nC\nX /etc/passwd\n", 3),
    ] {
        fs::write(&journal, text).expect("write");
        match recover(site) {
            Err(InstallError::Journal { line: found, .. }) => assert_eq!(found, line, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
        assert!(journal.exists());
    }
}

#[test]
fn paths_with_any_bytes_survive_the_journal() {
    let env = env("txn-bytes");
    let site = site(&env);
    let odd = site.join(std::ffi::OsStr::from_bytes(b"a b%20\n\xff"));
    fs::create_dir(&odd).expect("mkdir");
    let transaction = Transaction::begin(site).expect("begins");
    let temp = odd.join(temp_name(transaction.journal.label()));
    transaction.journal.note(&odd).expect("notes");
    fs::write(&temp, b"").expect("write");
    std::mem::forget(transaction);
    assert_eq!(
        recover(site).expect("recovers"),
        Some(Recovered::RolledBack)
    );
    assert!(!temp.exists());
    assert!(odd.is_dir());
}

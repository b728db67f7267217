use super::*;

fn file() -> Kind {
    Kind::File {
        executable: false,
        modified: None,
    }
}

fn admitted(rules: &mut Rules<'_>, name: &str, kind: Kind, size: u64) -> Option<String> {
    rules
        .admit(name, kind, size)
        .expect(name)
        .map(|(path, _)| path)
}

fn refusal(result: Result<Option<(String, Kind)>, ArchiveError>) -> String {
    match result {
        Err(error @ ArchiveError::Refused { .. }) => error.to_string(),
        other => panic!("expected a refusal, found {other:?}"),
    }
}

const SDIST: &str = "demo-1.0.tar.gz";

/// A hard link is unpacked as a copy, so the server must count it as the
/// client writes it: a file of 60 bytes and a link to it make 120.
#[test]
fn hard_links_count_the_bytes_they_copy() {
    let limits = Limits {
        bytes: 100,
        ..Limits::SDIST
    };
    let mut rules = Rules::new(Path::new(SDIST), limits);
    admitted(&mut rules, "demo-1.0/a", file(), 60);
    let text = refusal(rules.admit("demo-1.0/b", Kind::HardLink("demo-1.0/a".into()), 0));
    assert_eq!(
        text,
        "refusing `demo-1.0.tar.gz`: it unpacks to more than 100 bytes"
    );
}

/// A file where a folder was implied by an entry before it is written over
/// that folder by one tool and refused by another.
#[test]
fn a_file_over_an_implied_folder_clashes() {
    let mut rules = Rules::new(Path::new(SDIST), Limits::SDIST);
    admitted(&mut rules, "demo-1.0/a/b/c", file(), 1);
    for name in ["demo-1.0/a/b", "demo-1.0/a"] {
        assert!(
            refusal(rules.admit(name, file(), 1)).ends_with("clashes with an entry before it"),
            "{name}"
        );
        assert!(
            refusal(rules.admit(name, Kind::Symlink("x".into()), 0))
                .ends_with("clashes with an entry before it"),
            "{name}"
        );
    }
    assert_eq!(
        admitted(&mut rules, "./demo-1.0/a/b/", Kind::Dir, 0).as_deref(),
        Some("demo-1.0/a/b")
    );
}

/// The folders a deep name implies are kept, so they count: one name of
/// 20 000 bytes implies 10 000 folders, 100 MB of them.
#[test]
fn folders_implied_by_deep_names_count_against_the_names_bound() {
    let limits = Limits {
        names: 1 << 20,
        ..Limits::SDIST
    };
    let mut rules = Rules::new(Path::new(SDIST), limits);
    let deep = format!("demo-1.0/{}", "a/".repeat(10_000));
    let text = refusal(rules.admit(&deep, file(), 0));
    assert_eq!(
        text,
        "refusing `demo-1.0.tar.gz`: its names add up to more than 1048576 bytes"
    );
    // A real sdist's names come nowhere near it.
    let mut rules = Rules::new(Path::new(SDIST), limits);
    for i in 0..1000 {
        admitted(
            &mut rules,
            &format!("demo-1.0/src/pkg/mod{i}.py"),
            file(),
            10,
        );
    }
}

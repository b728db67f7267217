//! `pyproject.toml` read in Rust against Python's own reader: each file of
//! `fixtures/pyproject/` (real projects' files, and one in every spelling TOML
//! allows) and a few broken ones, read by curd and by `tomllib` under the
//! machine's python3, must give the same `[build-system]` and `[project]`, or
//! both be refused.

use std::path::Path;

use serde_json::{Value, json};

use curd::build::pyproject::{Pyproject, parse_pyproject};

use crate::support::process::{command, run_ok};
use crate::support::tmp::TempDir;

/// Reads each file named in `sys.argv[1]` (one a line) with tomllib and writes, one
/// JSON line each, what a frontend takes from it, or `null` when tomllib refuses it.
const ORACLE: &str = r#"
import json, sys, tomllib

def view(doc):
    out = {"build_system": None, "project": None}
    system = doc.get("build-system")
    if system is not None:
        out["build_system"] = {
            "requires": system["requires"],
            "build_backend": system.get("build-backend"),
            "backend_path": system.get("backend-path"),
        }
    project = doc.get("project")
    if project is not None:
        out["project"] = {
            "name": project["name"],
            "version": project.get("version"),
            "dynamic": project.get("dynamic", []),
            "requires_python": project.get("requires-python"),
            "dependencies": project.get("dependencies"),
            "optional_dependencies": project.get("optional-dependencies"),
        }
    return out

with open(sys.argv[1]) as names, open(sys.argv[2], "w") as answers:
    for name in names.read().splitlines():
        try:
            with open(name, "rb") as f:
                answer = view(tomllib.load(f))
        except tomllib.TOMLDecodeError:
            answer = None
        answers.write(json.dumps(answer) + "\n")
"#;

/// What curd takes from a file, in the oracle's shape.
fn view(pyproject: &Pyproject) -> Value {
    json!({
        "build_system": pyproject.build_system.as_ref().map(|system| json!({
            "requires": system.requires,
            "build_backend": system.build_backend,
            "backend_path": system.backend_path,
        })),
        "project": pyproject.project.as_ref().map(|project| json!({
            "name": project.name,
            "version": project.version,
            "dynamic": project.dynamic,
            "requires_python": project.requires_python,
            "dependencies": project.dependencies,
            "optional_dependencies": project.optional_dependencies,
        })),
    })
}

/// What tomllib makes of each file, in order.
fn tomllib(files: &[std::path::PathBuf], dir: &Path) -> Vec<Value> {
    let names = dir.join("names.txt");
    let answers = dir.join("answers.txt");
    let script = dir.join("oracle.py");
    let list: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    std::fs::write(&names, list.join("\n")).unwrap();
    std::fs::write(&script, ORACLE).unwrap();
    run_ok(command("python3").arg(&script).arg(&names).arg(&answers));
    let text = std::fs::read_to_string(&answers).unwrap();
    let answers: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(answers.len(), files.len());
    answers
}

#[test]
fn real_pyproject_files_read_as_tomllib_reads_them() {
    let dir = TempDir::new("pyproject-oracle");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pyproject");
    let mut files: Vec<_> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 9, "{files:?}");
    // Files both readers must refuse.
    for (name, text) in [
        ("duplicate.toml", "[project]\nname = \"a\"\nname = \"b\"\n"),
        (
            "redefined.toml",
            "build-system.requires = []\n[build-system]\nrequires = []\n",
        ),
        ("unterminated.toml", "[build-system]\nrequires = [\"a\n"),
        ("bad-escape.toml", "[project]\nname = \"\\q\"\n"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        files.push(path);
    }
    let expected = tomllib(&files, dir.path());
    assert_eq!(expected.iter().filter(|e| e.is_null()).count(), 4);
    for (file, expected) in files.iter().zip(expected) {
        let text = std::fs::read_to_string(file).unwrap();
        let found = match parse_pyproject(file, &text) {
            Ok(pyproject) => view(&pyproject),
            Err(error) => {
                assert!(
                    expected.is_null(),
                    "{} was refused: {error}",
                    file.display()
                );
                continue;
            }
        };
        assert_eq!(found, expected, "{}", file.display());
    }
}

#[test]
fn project_tables_that_pep_621_forbids_are_named() {
    let error = |text: &str| {
        parse_pyproject(Path::new("p/pyproject.toml"), text)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        error("[project]\nversion = \"1\"\n"),
        "invalid `p/pyproject.toml`: `[project]` has no `name`, which PEP 621 makes mandatory"
    );
    assert_eq!(
        error("[project]\nname = \"a\"\n"),
        "invalid `p/pyproject.toml`: `[project]` has no `version` and does not list it in `dynamic`"
    );
    assert_eq!(
        error("[project]\nname = \"a\"\nversion = \"1\"\ndynamic = [\"version\"]\n"),
        "invalid `p/pyproject.toml`: `project.version` is given and listed in `project.dynamic`, which PEP 621 forbids"
    );
    assert_eq!(
        error(
            "[project]\nname = \"a\"\nversion = \"1\"\n[project.optional-dependencies]\nx = \"y\"\n"
        ),
        "invalid `p/pyproject.toml`: line 5: `project.optional-dependencies.x` is a string, expected a list of strings"
    );
    assert_eq!(
        error(
            "[project]\nname = \"a\"\ndynamic = [\"version\"]\ndependencies = [{ name = \"x\" }]\n"
        ),
        "invalid `p/pyproject.toml`: line 4: `project.dependencies[]` is a table, expected a string"
    );
    let pyproject = parse_pyproject(
        Path::new("pyproject.toml"),
        "[project]\nname = \"a\"\ndynamic = [\"version\", \"dependencies\"]\n",
    )
    .unwrap();
    let project = pyproject.project.unwrap();
    assert!(!project.is_static("dependencies") && project.is_static("requires-python"));
    assert_eq!(pyproject.build_system, None);
}

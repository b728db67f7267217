//! Test support: temporary folders, the real binaries, and Python oracles.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// A temporary folder removed on drop, unique to one test.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("curd-it-{}-{label}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temporary folder");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `script` under the machine's python3, which imports the reference
/// implementation as `packaging` (the copy vendored in pip). The script reads
/// one case per line from the file named by `sys.argv[1]` and writes one result
/// per line to the file named by `sys.argv[2]`; results come back through that
/// file, never through stdout.
pub fn packaging_oracle(script: &str, cases: &[String]) -> Vec<String> {
    let dir = TempDir::new("oracle");
    let input = dir.path().join("cases.txt");
    let output = dir.path().join("results.txt");
    let program = dir.path().join("oracle.py");
    std::fs::write(&input, cases.join("\n")).expect("write oracle cases");
    let prelude = "import sys\nfrom pip._vendor import packaging\nimport pip._vendor.packaging.version, pip._vendor.packaging.specifiers, pip._vendor.packaging.requirements, pip._vendor.packaging.markers, pip._vendor.packaging.tags, pip._vendor.packaging.utils\n";
    std::fs::write(&program, format!("{prelude}{script}")).expect("write oracle script");
    let out = Command::new("python3")
        .arg(&program)
        .arg(&input)
        .arg(&output)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "oracle failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&output).expect("read oracle results");
    let results: Vec<String> = text.lines().map(String::from).collect();
    assert_eq!(
        results.len(),
        cases.len(),
        "oracle answered a different number of cases"
    );
    results
}

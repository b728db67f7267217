//! Hostile sdists met by the installer in a find-links folder: refused with one
//! line that names the sdist and the bound, before their bytes are read, with
//! nothing installed, and within a memory limit far below what the bomb would
//! make a trusting reader hold.

use crate::support::crafted;
use crate::support::curd::Curd;
use crate::support::python::{pip_freeze, venv};
use crate::support::tmp::{TempDir, mkdir};

/// The limit curd runs under here: far above what an install needs, far below
/// the GiB a long name of the bomb would take whole.
const MEMORY: u64 = 512 << 20;

#[test]
fn a_long_name_bomb_is_refused_before_it_is_read() {
    let tmp = TempDir::new("long-name-bomb");
    let links = mkdir(tmp.path().join("links"));
    let env = venv(tmp.path());
    // 1 GiB of long name in 1 MB, then PKG-INFO.
    let bomb = crafted::long_name_bomb("bomb-1.0", &crafted::pkg_info("bomb", "1.0"), 1024);
    assert!(bomb.len() < 2 << 20, "{}", bomb.len());
    let sdist = links.join("bomb-1.0.tar.gz");
    std::fs::write(&sdist, bomb).unwrap();
    let run = Curd::within_memory(tmp.path(), MEMORY)
        .arg("install")
        .arg("--python")
        .arg(env.join("bin/python"))
        .args(["--no-index", "--find-links"])
        .arg(&links)
        .arg("bomb")
        .run()
        .failure();
    let line = run
        .stderr
        .lines()
        .find(|line| line.contains("long-name or pax header"))
        .unwrap_or_else(|| panic!("no line names the bound:\n{}", run.stderr));
    let refusal = format!(
        "refusing `{}`: it has a long-name or pax header of 1073741824 bytes, more than the 65536 allowed",
        sdist.display()
    );
    assert!(line.contains(&refusal), "{line}");
    assert_eq!(pip_freeze(&env), "");
}

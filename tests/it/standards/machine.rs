//! `curd wheel --python-version --platform --implementation --abi`: the tags of
//! another machine, against pip's own `get_supported` for the same flags.

use curd::standards::machine::{Machine, PythonVersion};
use curd::standards::tags::{Platform, Target};

use crate::support::process::{command, run_ok};
use crate::support::python::tools_python;
use crate::support::tmp::TempDir;

/// pip's tags for `version`, `platforms`, `implementation`, `abis` (empty: not
/// given), one per line.
const ORACLE: &str = r#"
import json, sys
from pip._internal.utils.compatibility_tags import get_supported
case = json.loads(sys.argv[1])
tags = get_supported(version=case["version"], platforms=case["platforms"],
                     impl=case["implementation"], abis=case["abis"] or None)
with open(sys.argv[2], "w") as f:
    f.write("\n".join(str(t) for t in tags))
"#;

#[test]
fn another_machines_tags_are_pips() {
    let python = tools_python(&["pip"]);
    let tmp = TempDir::new("machine-tags");
    // The interpreter curd runs on, which the flags override.
    let host = Target {
        implementation: "cpython".to_string(),
        python_version: (3, 11),
        abis: vec!["cp311".to_string()],
        platform: Platform::Linux {
            arch: "x86_64".to_string(),
            glibc: Some((2, 36)),
            musl: None,
            elf_abi: false,
        },
    };
    let cases: [(&str, &[&str], &str, &[&str]); 4] = [
        ("3.12", &["macosx_11_0_arm64"], "cp", &[]),
        (
            "312",
            &["manylinux2014_x86_64", "manylinux_2_28_x86_64"],
            "cp",
            &["cp312", "abi3"],
        ),
        ("3.10", &["win_amd64"], "pp", &["pypy310_pp73"]),
        (
            "3.7",
            &["macosx_10_9_x86_64", "macosx_10_9_x86_64"],
            "cp",
            &[],
        ),
    ];
    for (version, platforms, implementation, abis) in cases {
        let machine = Machine {
            python_version: PythonVersion::parse(version),
            platforms: platforms.iter().map(|p| p.to_string()).collect(),
            implementation: Some(implementation.to_string()),
            abis: abis.iter().map(|a| a.to_string()).collect(),
        };
        let ours: Vec<String> = machine.tags(&host).iter().map(|t| t.to_string()).collect();
        let case = serde_json::json!({
            "version": version.replace('.', ""),
            "platforms": platforms,
            "implementation": implementation,
            "abis": abis,
        });
        let out = tmp.path().join("tags.txt");
        run_ok(
            command(&python)
                .args(["-c", ORACLE, &case.to_string()])
                .arg(&out),
        );
        let pips = std::fs::read_to_string(&out).unwrap();
        let pips: Vec<&str> = pips.lines().collect();
        let first = ours.iter().zip(&pips).position(|(a, b)| a != b);
        assert!(
            first.is_none() && ours.len() == pips.len(),
            "{case}: first difference at {first:?} of {} / {}: {:?} / {:?}",
            ours.len(),
            pips.len(),
            first.map(|i| &ours[i]),
            first.map(|i| pips[i]),
        );
    }
}

//! Requirements files, read by curd and by pip's own parser (`pip._internal.req.req_file`),
//! which must agree on every requirement, whether it is a constraint, its hashes, and
//! the file and line it came from.

use std::path::Path;

use curd::cli::requirements_txt::{Entry, RequirementsFile, Spec};

use crate::support::python::packaging_oracle;
use crate::support::tmp::TempDir;

const PIP_PARSER: &str = r#"
from pip._internal.req.req_file import parse_requirements
from pip._internal.network.session import PipSession
from packaging.utils import canonicalize_name
import re

session = PipSession()
out = []
for path in open(sys.argv[1]).read().splitlines():
    rows = []
    try:
        for r in parse_requirements(path, session=session):
            try:
                name = canonicalize_name(packaging.requirements.Requirement(r.requirement).name)
            except Exception:
                name = r.requirement
            hashes = ",".join(r.options.get("hashes", {}).get("sha256", [])) if r.options else ""
            m = re.match(r"-[rc] (.*) \(line (\d+)\)$", r.comes_from)
            rows.append(f"{name}|{int(r.constraint)}|{hashes}|{m.group(1)}:{m.group(2)}")
        out.append(";".join(sorted(rows)))
    except Exception as e:
        out.append("error")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
"#;

fn describe(entries: &[Entry], constraint: bool) -> Vec<String> {
    entries
        .iter()
        .map(|e| {
            let name = match &e.requirement {
                Spec::Named(r) => r.name.to_string(),
                Spec::Unnamed(s) | Spec::Editable(s) => s.clone(),
            };
            format!(
                "{name}|{}|{}|{}:{}",
                u8::from(constraint),
                e.hashes.join(","),
                e.origin.file.display(),
                e.origin.line
            )
        })
        .collect()
}

/// Each tree is a set of files; the first is the one read.
fn trees() -> Vec<Vec<(&'static str, String)>> {
    let sha = "ab".repeat(32);
    vec![
        vec![("r.txt", "flask>=2\nrequests[socks]  >=2.0 ; python_version >= '3'\n".into())],
        vec![("r.txt", "# only a comment\n\n   \n  # indented comment\nalpha # trailing\n".into())],
        vec![("r.txt", "alpha \\\n  >=1.0 \\\n  ,<2\nbeta\n".into())],
        vec![("r.txt", format!("alpha==1.0 --hash=sha256:{sha}\nbeta==2 \\\n    --hash=sha256:{sha} \\\n    --hash=sha256:{}\n", "cd".repeat(32)))],
        vec![
            ("r.txt", "-r sub/more.txt\nalpha\n--requirement=sub/other.txt\n".into()),
            ("sub/more.txt", "beta\n-r ../third.txt\n".into()),
            ("sub/other.txt", "gamma\n".into()),
            ("third.txt", "delta\n".into()),
        ],
        vec![
            ("r.txt", "-c constraints.txt\nalpha\n".into()),
            ("constraints.txt", "alpha<3\nbeta==1\n-r nested.txt\n".into()),
            ("nested.txt", "epsilon\n".into()),
        ],
        vec![(
            "r.txt",
            "-i https://example.invalid/simple\n--extra-index-url https://mirror.invalid/simple\n--no-index\n--pre\nalpha\n".into(),
        )],
        vec![("r.txt", "zope.interface\nZope_Interface2 >= 4\nfoo.bar-baz_qux\n".into())],
        vec![("r.txt", "alpha @ https://host.invalid/alpha-1.0-py3-none-any.whl\nbeta (>=1,<2)\n".into())],
        vec![("r.txt", "--prefer-binary\n--only-binary :all:\nalpha\n".into())],
    ]
}

#[test]
fn agrees_with_pips_parser() {
    let tmp = TempDir::new("reqs");
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for (i, tree) in trees().into_iter().enumerate() {
        let root = tmp.path().join(format!("tree{i}"));
        for (name, text) in &tree {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
        }
        let top = root.join(tree[0].0);
        cases.push(top.display().to_string());
        ours.push(read(&top));
    }
    let theirs = packaging_oracle(PIP_PARSER, &cases);
    for ((case, ours), theirs) in cases.iter().zip(&ours).zip(&theirs) {
        assert_eq!(ours, theirs, "{case}");
    }
    assert!(
        theirs.iter().all(|t| t != "error"),
        "pip could not read every tree: {theirs:?}"
    );
}

/// curd keeps requirements and constraints apart, pip yields them in file order:
/// both sides are compared sorted.
fn read(path: &Path) -> String {
    match RequirementsFile::read(path, &|_| None) {
        Ok(file) => {
            let mut rows = describe(&file.requirements, false);
            rows.extend(describe(&file.constraints, true));
            rows.sort();
            rows.join(";")
        }
        Err(_) => "error".into(),
    }
}

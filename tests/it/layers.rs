//! The import table of `src/lib.rs`, held against the code: each file of a layer may
//! name (through `crate::` paths) only the layers its row allows, and no two files
//! import each other, directly or round a longer circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each layer and the layers it may import, as `src/lib.rs` states them.
const TABLE: [(&str, &[&str]); 9] = [
    ("util", &[]),
    ("standards", &["util"]),
    ("archive", &["standards", "util"]),
    ("resolve", &["standards"]),
    ("install", &["archive", "standards", "util"]),
    ("build", &["archive", "standards", "util"]),
    (
        "client",
        &[
            "resolve",
            "install",
            "build",
            "archive",
            "standards",
            "util",
        ],
    ),
    ("server", &["archive", "standards", "util"]),
    (
        "cli",
        &[
            "client",
            "resolve",
            "install",
            "build",
            "archive",
            "standards",
            "util",
        ],
    ),
];

/// One source file: its path under `src/` and its text.
struct Source {
    path: String,
    text: String,
}

/// The module path of a file: `client/find.rs` is `[client, find]`, `client/mod.rs`
/// is `[client]`.
fn module_of(path: &str) -> Vec<String> {
    let mut parts: Vec<String> = path
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The code of a file that is not a comment; with `shipped`, only what comes before
/// its `#[cfg(test)]` module, and nothing of a `tests.rs` file.
fn code(source: &Source, shipped: bool) -> String {
    if shipped && source.path.ends_with("/tests.rs") {
        return String::new();
    }
    let mut out = String::new();
    for line in source.text.lines() {
        let trimmed = line.trim_start();
        if shipped && trimmed.starts_with("#[cfg(test)]") {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every module path the code names through `crate::…` (with `{a, b::c}` groups
/// opened), `super::…` or `self::…`, as absolute paths.
fn imports(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(start) {
            let at = from + at;
            from = at + start.len();
            let boundary = at == 0
                || !(bytes[at - 1].is_ascii_alphanumeric()
                    || bytes[at - 1] == b'_'
                    || bytes[at - 1] == b':');
            if !boundary {
                continue;
            }
            let base: Vec<String> = if start == "crate::" {
                Vec::new()
            } else if start == "self::" {
                module.to_vec()
            } else {
                // `super` of `a/b.rs` is `a`, and of `a/b/mod.rs` too: a `mod.rs`
                // file is its folder's module, whose parent is one folder up.
                let mut parent = module.to_vec();
                parent.pop();
                while code[from..].starts_with("super::") {
                    from += "super::".len();
                    parent.pop();
                }
                parent
            };
            for tail in paths_at(&code[from..]) {
                let mut full = base.clone();
                full.extend(tail);
                if !full.is_empty() {
                    found.push(full);
                }
            }
        }
    }
    found
}

/// The paths that start at `text`: `a::b::C` is one, `{a::b, c}` two.
fn paths_at(text: &str) -> Vec<Vec<String>> {
    if let Some(group) = text.strip_prefix('{') {
        let end = group.find('}').unwrap_or(group.len());
        return group[..end]
            .split(',')
            .map(|item| segments(item.trim()))
            .filter(|p| !p.is_empty())
            .collect();
    }
    vec![segments(text)]
}

fn segments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        out.push(rest[..end].to_string());
        match rest[end..].strip_prefix("::") {
            // `a::{b, c}`: the group's common prefix is enough for layers and files.
            Some(next) if !next.starts_with('{') => rest = next,
            _ => break,
        }
    }
    out
}

/// The file a module path lands in: the longest prefix that is a file of the tree.
fn file_of(path: &[String], files: &BTreeSet<String>) -> Option<String> {
    (1..=path.len()).rev().find_map(|n| {
        let stem = path[..n].join("/");
        [format!("{stem}.rs"), format!("{stem}/mod.rs")]
            .into_iter()
            .find(|f| files.contains(f))
    })
}

/// Everything wrong with a tree: forbidden imports, then circles between files.
fn check(sources: &[Source]) -> Vec<String> {
    let table: BTreeMap<&str, &[&str]> = TABLE.into_iter().collect();
    let files: BTreeSet<String> = sources.iter().map(|s| s.path.clone()).collect();
    let mut problems = Vec::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for source in sources {
        let module = module_of(&source.path);
        let layer = module[0].as_str();
        let allowed = table.get(layer);
        for path in imports(&module, &code(source, false)) {
            let target = path[0].as_str();
            if target == layer || !table.contains_key(target) {
                continue;
            }
            match allowed {
                Some(allowed) if allowed.contains(&target) => {}
                Some(_) => problems.push(format!(
                    "src/{} imports `crate::{}`, but {layer} may not import {target}",
                    source.path,
                    path.join("::")
                )),
                None => problems.push(format!(
                    "src/{} is in `{layer}`, which is not a layer of src/lib.rs",
                    source.path
                )),
            }
        }
        for path in imports(&module, &code(source, true)) {
            if let Some(file) = file_of(&path, &files).filter(|f| *f != source.path) {
                edges.entry(source.path.clone()).or_default().insert(file);
            }
        }
    }
    for circle in circles(&edges) {
        problems.push(format!("files import each other: {}", circle.join(" -> ")));
    }
    problems
}

/// The strongly connected groups of more than one file (Tarjan's algorithm), each as
/// a list of its files.
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(state: &mut State<'a>, node: &'a str) {
        let n = state.index.len();
        state.index.insert(node, n);
        state.low.insert(node, n);
        state.stack.push(node);
        state.on_stack.insert(node);
        if let Some(next) = state.edges.get(node) {
            for next in next {
                let next = next.as_str();
                if !state.index.contains_key(next) {
                    visit(state, next);
                    let low = state.low[next].min(state.low[node]);
                    state.low.insert(node, low);
                } else if state.on_stack.contains(next) {
                    let low = state.index[next].min(state.low[node]);
                    state.low.insert(node, low);
                }
            }
        }
        if state.low[node] == state.index[node] {
            let mut group = Vec::new();
            while let Some(top) = state.stack.pop() {
                state.on_stack.remove(top);
                group.push(format!("src/{top}"));
                if top == node {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                state.found.push(group);
            }
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in edges.keys() {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state.found
}

fn read_tree(root: &Path, dir: &Path, out: &mut Vec<Source>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("read src entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_tree(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path
                .strip_prefix(root)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path).expect("read source");
            out.push(Source {
                path: relative,
                text,
            });
        }
    }
}

#[test]
fn the_tree_keeps_the_import_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources = Vec::new();
    for entry in std::fs::read_dir(&root).expect("read src") {
        let path = entry.expect("read src entry").path();
        if path.is_dir() && path.file_name().is_some_and(|n| n != "bin") {
            read_tree(&root, &path, &mut sources);
        }
    }
    assert!(sources.len() > 20, "found only {} files", sources.len());
    let problems = check(&sources);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn tree(files: &[(&str, &str)]) -> Vec<Source> {
    files
        .iter()
        .map(|(path, text)| Source {
            path: path.to_string(),
            text: text.to_string(),
        })
        .collect()
}

#[test]
fn a_forbidden_import_is_named() {
    let problems = check(&tree(&[
        ("server/routes.rs", "use crate::client::fetch::Client;\n"),
        ("client/fetch.rs", "pub struct Client;\n"),
        ("util/fs.rs", "// crate::server::x in a comment is fine\n"),
    ]));
    assert_eq!(
        problems,
        [
            "src/server/routes.rs imports `crate::client::fetch::Client`, but server may not import client"
        ]
    );
}

#[test]
fn groups_and_super_paths_count() {
    let problems = check(&tree(&[
        ("standards/name.rs", "use crate::{util::fs, cli::args};\n"),
        ("util/fs.rs", ""),
        ("cli/args.rs", ""),
        ("util/sync.rs", "use super::super::standards::name;\n"),
    ]));
    assert_eq!(
        problems,
        [
            "src/standards/name.rs imports `crate::cli::args`, but standards may not import cli",
            "src/util/sync.rs imports `crate::standards::name`, but util may not import standards",
        ]
    );
}

#[test]
fn a_circle_between_files_is_named() {
    let problems = check(&tree(&[
        ("install/mod.rs", "use crate::install::writer::Writer;\n"),
        ("install/writer.rs", "use super::InstallError;\n"),
        ("server/mod.rs", "use self::routes::App;\n"),
        ("server/routes.rs", "use crate::server::App;\n"),
        (
            "install/record.rs",
            "use crate::util::fs;\n#[cfg(test)]\nmod tests { use crate::install::Target; }\n",
        ),
        ("util/fs.rs", ""),
    ]));
    assert_eq!(
        problems,
        [
            "files import each other: src/install/mod.rs -> src/install/writer.rs",
            "files import each other: src/server/mod.rs -> src/server/routes.rs",
        ]
    );
}

use super::*;
use crate::standards::url::recorded;

fn parsed(text: &str, base: &Path) -> Option<DirectRequest> {
    parse(text, base, false).expect("parses")
}

#[test]
fn strings_are_paths_as_pip_reads_them() {
    let dir = std::env::temp_dir().join(crate::util::fs::temp_name("direct-test"));
    std::fs::create_dir_all(dir.join("proj")).expect("mkdir");
    std::fs::write(dir.join("proj/pyproject.toml"), "").expect("write");
    std::fs::create_dir_all(dir.join("empty")).expect("mkdir");
    std::fs::write(dir.join("x-1.0-py3-none-any.whl"), "").expect("write");

    let folder = parsed("./proj[test, docs]", &dir).expect("a path");
    assert_eq!(folder.location, Location::Folder(dir.join("proj")));
    let extras: Vec<&str> = folder.extras.iter().map(|e| e.as_str()).collect();
    assert_eq!(extras, ["test", "docs"]);
    let wheel = parsed("x-1.0-py3-none-any.whl", &dir).expect("an archive");
    assert_eq!(
        wheel.location,
        Location::Archive(dir.join("x-1.0-py3-none-any.whl"))
    );
    // A bare name is a project's, even with a folder of that name here.
    assert!(parsed("proj", &dir).is_none());
    assert!(parsed("six>=1", &dir).is_none());
    let refused = |text: &str| match parse(text, &dir, false) {
        Err(e) => e.to_string(),
        Ok(r) => panic!("{text} parsed as {r:?}"),
    };
    assert_eq!(
        refused("./missing"),
        "`./missing` looks like a path, but there is no such file or folder"
    );
    assert_eq!(
        refused("gone-1.0.tar.gz"),
        "`gone-1.0.tar.gz` looks like a path, but there is no such file or folder"
    );
    assert!(refused("./empty").starts_with("`./empty` is not a Python project"));
    let named = parsed("six @ https://h/six-1.0-py3-none-any.whl#sha256=AB", &dir);
    let named = named.expect("a URL");
    assert_eq!(named.name.map(|n| n.to_string()), Some("six".into()));
    match named.location {
        Location::Url {
            written, sha256, ..
        } => {
            assert_eq!(written, "https://h/six-1.0-py3-none-any.whl");
            assert_eq!(sha256.as_deref(), Some("ab"));
        }
        other => panic!("{other:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn git_revisions_follow_the_path_not_the_user() {
    let source = GitSource::parse("https://u:p@h/r.git@v1#subdirectory=sub/pkg&egg=x");
    assert_eq!(
        source.expect("parses"),
        GitSource {
            url: "https://u:p@h/r.git".into(),
            rev: Some("v1".into()),
            subdirectory: Some("sub/pkg".into()),
            egg: Some("x".into()),
        }
    );
    let plain = GitSource::parse("ssh://git@h/r.git").expect("parses");
    assert_eq!((plain.url.as_str(), plain.rev), ("ssh://git@h/r.git", None));
    assert!(GitSource::parse("ftp://h/r").is_err());
    assert!(GitSource::parse("https://h/r#subdirectory=../x").is_err());
}

#[test]
fn direct_urls_keep_only_variables_as_credentials() {
    assert_eq!(recorded("https://u:p@h/x.whl", false), "https://h/x.whl");
    assert_eq!(recorded("https://token@h/x.whl", false), "https://h/x.whl");
    let variables = "https://${USER}:${TOKEN}@h/x.whl";
    assert_eq!(recorded(variables, false), variables);
    assert_eq!(recorded("ssh://git@h/r.git", true), "ssh://git@h/r.git");
    assert_eq!(recorded("https://git@h/r.git", false), "https://h/r.git");
    assert_eq!(recorded("https://h/a@b", false), "https://h/a@b");
}

#[test]
fn messages_mask_only_what_a_user_wrote_as_credentials() {
    assert_eq!(
        shown("far @ https://u:p@h/x.whl#sha256=ab"),
        "far @ https://****@h/x.whl#sha256=ab"
    );
    assert_eq!(
        shown("git+https://u:p@h/r.git@v1#subdirectory=s"),
        "git+https://****@h/r.git@v1#subdirectory=s"
    );
    assert_eq!(shown("x @ git+file:///r@main"), "x @ git+file:///r@main");
    assert_eq!(shown("./proj[test]"), "./proj[test]");
}

#[test]
fn an_editable_git_source_is_named_by_its_egg() {
    let base = Path::new("/");
    let request = parse("git+https://h/r.git@v1#egg=demo[test]", base, true);
    let request = request.expect("parses").expect("direct");
    assert_eq!(request.name.map(|n| n.to_string()), Some("demo".into()));
    assert_eq!(request.extras.len(), 1);
    assert!(request.editable);
    let refused = parse("git+https://h/r.git", base, true).map(drop);
    assert_eq!(
        refused.map_err(|e| e.to_string()),
        Err(
            "-e `git+https://h/r.git`: expected `#egg=NAME` at the end, to name the checkout"
                .into()
        )
    );
}

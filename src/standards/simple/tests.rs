use super::*;

const SHA_A: &str = "813202ace4d9301a3c00740c700e012fb9f3f8c73ddcfe02ab558a8df6f175fd";
const SHA_B: &str = "f2c3881dddb70d056c5bd7600a4fae312b2a300e39be6a118d30b90bd27262b5";

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn file(filename: &str, href: &str) -> IndexFile {
    IndexFile {
        filename: filename.into(),
        url: url(href),
        sha256: None,
        requires_python: None,
        yanked: None,
        core_metadata: MetadataAvailability::No,
        size: None,
    }
}

#[test]
fn reads_a_pypi_page() {
    let html = format!(
        r#"<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="1.1">
    <title>Links for requests</title>
  </head>
  <body>
    <h1>Links for requests</h1>
    <a href="https://files.pythonhosted.org/packages/1a/2b/requests-0.2.0.tar.gz#sha256={SHA_A}" >requests-0.2.0.tar.gz</a><br />
    <a href="https://files.pythonhosted.org/packages/3c/4d/requests-2.32.0-py3-none-any.whl#sha256={SHA_B}" data-requires-python="&gt;=3.8" data-yanked="Yanked due to conflicts with CVE-2024-35195 mitigation" data-dist-info-metadata="sha256={SHA_A}" data-core-metadata="sha256={SHA_A}">requests-2.32.0-py3-none-any.whl</a><br />
  </body>
</html>
<!--SERIAL 23873911-->"#
    );
    let page = parse_html(&html, &url("https://pypi.org/simple/requests/")).unwrap();
    assert_eq!(
        page.files,
        vec![
            IndexFile {
                sha256: Some(SHA_A.into()),
                ..file(
                    "requests-0.2.0.tar.gz",
                    "https://files.pythonhosted.org/packages/1a/2b/requests-0.2.0.tar.gz"
                )
            },
            IndexFile {
                sha256: Some(SHA_B.into()),
                requires_python: Some(">=3.8".into()),
                yanked: Some("Yanked due to conflicts with CVE-2024-35195 mitigation".into()),
                core_metadata: MetadataAvailability::Sha256(SHA_A.into()),
                ..file(
                    "requests-2.32.0-py3-none-any.whl",
                    "https://files.pythonhosted.org/packages/3c/4d/requests-2.32.0-py3-none-any.whl"
                )
            },
        ]
    );
    assert_eq!(
        page.files[1].metadata_url().unwrap().to_string(),
        "https://files.pythonhosted.org/packages/3c/4d/requests-2.32.0-py3-none-any.whl.metadata"
    );
    assert_eq!(page.files[0].metadata_url(), None);
}

#[test]
fn reads_a_pypiserver_page() {
    let html = "<html><head><title>Links for pkg</title></head><body><h1>Links for pkg</h1>\
        <a href=\"../../packages/pkg-1.0.tar.gz#md5=0123456789abcdef0123456789abcdef\">pkg-1.0.tar.gz</a><br>\
        <a href=\"../../packages/pkg-1.1.tar.gz#sha256=ABCDEF\" data-requires-python=\"&gt;=3.6, &lt;4\">pkg-1.1.tar.gz</a><br>\
        </body></html>";
    let page = parse_html(html, &url("http://localhost:8080/simple/pkg/")).unwrap();
    assert_eq!(
        page.files,
        vec![
            file(
                "pkg-1.0.tar.gz",
                "http://localhost:8080/packages/pkg-1.0.tar.gz"
            ),
            IndexFile {
                sha256: Some("abcdef".into()),
                requires_python: Some(">=3.6, <4".into()),
                ..file(
                    "pkg-1.1.tar.gz",
                    "http://localhost:8080/packages/pkg-1.1.tar.gz"
                )
            },
        ]
    );
}

#[test]
fn reads_a_devpi_page() {
    let html = format!(
        "<!DOCTYPE html>\n<html><head><title>root/pypi/: links for pkg</title></head><body>\
         <h1>root/pypi/: links for pkg</h1>\n\
         <a data-requires-python='&gt;=3.7' href='../../+f/a1b/2c3d4e5f6a7b8/pkg-2.0-py3-none-any.whl#sha256={SHA_A}'>root/pypi/pkg-2.0-py3-none-any.whl</a><br/>\n\
         <a href=\"../../+e/https_github.com_x_pkg/pkg-2.0.zip\" data-yanked=\"\">pkg-2.0.zip</a><br/>\n\
         </body></html>"
    );
    let page = parse_html(&html, &url("https://devpi.example/root/pypi/+simple/pkg/")).unwrap();
    assert_eq!(
        page.files,
        vec![
            IndexFile {
                sha256: Some(SHA_A.into()),
                requires_python: Some(">=3.7".into()),
                ..file(
                    "pkg-2.0-py3-none-any.whl",
                    "https://devpi.example/root/pypi/+f/a1b/2c3d4e5f6a7b8/pkg-2.0-py3-none-any.whl"
                )
            },
            IndexFile {
                yanked: Some(String::new()),
                ..file(
                    "pkg-2.0.zip",
                    "https://devpi.example/root/pypi/+e/https_github.com_x_pkg/pkg-2.0.zip"
                )
            },
        ]
    );
}

#[test]
fn tolerates_odd_markup() {
    let html = "<BASE HREF=\"https://mirror.example/files/\">\
        <base href=\"https://ignored.example/\">\
        <!-- <a href=\"commented-1.0.tar.gz\">x</a> -->\
        <script>var s = '<a href=\"scripted-1.0.tar.gz\">';</SCRIPT>\
        <style>a { content: \"<a href='styled.tar.gz'>\" }</style>\
        <A DATA-YANKED data-REQUIRES-python = '&lt;4&#44;&#x3e;=3' HREF = unquoted-1.0.tar.gz#sha256=aa>u</A>\
        <a\nhref=\"a%2Bb-1.0.tar.gz?x=1&amp;y=2#egg=ab&amp;sha256=bb\"\ndata-core-metadata=true>q</a>\
        <a href=\"dup-1.0.tar.gz\" href=\"other.tar.gz\" data-dist-info-metadata=\"md5=00\">d</a>\
        <a href=\"meta-1.0.tar.gz\" data-dist-info-metadata=\"sha256=CC\" data-core-metadata=\"false\">m</a>\
        <a href=\"meta-2.0.tar.gz\" data-dist-info-metadata=\"sha256=CC\">m</a>\
        <a>no href</a><a href=\"\">empty</a><a href=\"../folder/\">folder</a>\
        <a href=\"mailto:x@example.com\">mail</a><a href=\"http://[bad/x.whl\">bad</a>\
        <ab href=\"not-an-anchor.tar.gz\"></ab><a/href=\"slash-1.0.tar.gz\">s</a>\
        <a href=\"sp ace-1.0.tar.gz\">s</a>\
        <a href=\"truncated-1.0.tar.gz\"";
    let page = parse_html(html, &url("https://index.example/simple/x/")).unwrap();
    let m = "https://mirror.example/files/";
    assert_eq!(
        page.files,
        vec![
            IndexFile {
                sha256: Some("aa".into()),
                requires_python: Some("<4,>=3".into()),
                yanked: Some(String::new()),
                ..file("unquoted-1.0.tar.gz", &format!("{m}unquoted-1.0.tar.gz"))
            },
            IndexFile {
                sha256: Some("bb".into()),
                core_metadata: MetadataAvailability::Yes,
                ..file("a+b-1.0.tar.gz", &format!("{m}a%2Bb-1.0.tar.gz?x=1&y=2"))
            },
            IndexFile {
                core_metadata: MetadataAvailability::Yes,
                ..file("dup-1.0.tar.gz", &format!("{m}dup-1.0.tar.gz"))
            },
            file("meta-1.0.tar.gz", &format!("{m}meta-1.0.tar.gz")),
            IndexFile {
                core_metadata: MetadataAvailability::Sha256("cc".into()),
                ..file("meta-2.0.tar.gz", &format!("{m}meta-2.0.tar.gz"))
            },
            file("slash-1.0.tar.gz", &format!("{m}slash-1.0.tar.gz")),
            file("sp ace-1.0.tar.gz", &format!("{m}sp%20ace-1.0.tar.gz")),
        ]
    );
}

#[test]
fn survives_any_bytes() {
    // Truncations of a real page at every byte, and a few pathological inputs.
    let html = "<a href=\"x-1.0.tar.gz#sha256=aa\" data-yanked='r&amp;s'>x</a><!-- c --><script>";
    for end in 0..=html.len() {
        let _ = parse_html(&html[..end], &url("http://h/")).unwrap();
    }
    for junk in [
        "<",
        "<<<<",
        "<a",
        "<a href",
        "<a href=",
        "<a href='",
        "&#xffffffff;",
        "<a href=\"&#0;&#xD800;\">",
        "<!--",
        "<script",
        "<a =x>",
        "é<é>",
    ] {
        let _ = parse_html(junk, &url("http://h/"));
    }
}

#[test]
fn decodes_entities() {
    for (raw, decoded) in [
        ("a&lt;b&gt;c&amp;d&quot;e&#39;f&apos;", "a<b>c&d\"e'f'"),
        ("&#x3E;&#X3e;&#62;", ">>>"),
        ("&unknown; &amp &#xzz; & &;", "&unknown; &amp &#xzz; & &;"),
        ("&#0;&#xD800;&#x110000;", "\u{fffd}\u{fffd}\u{fffd}"),
        ("&#128512;", "😀"),
    ] {
        assert_eq!(decode_entities(raw), decoded, "{raw}");
    }
}

#[test]
fn reads_json_with_every_field() {
    let json = format!(
        r#"{{"meta": {{"api-version": "1.1", "_last-serial": 3}}, "name": "pkg", "versions": ["1.0"],
            "files": [
              {{"filename": "pkg-1.0-py3-none-any.whl", "url": "../../p/pkg-1.0-py3-none-any.whl",
                "hashes": {{"sha256": "{}", "md5": "00"}}, "requires-python": ">=3.8",
                "yanked": "broken", "core-metadata": {{"sha256": "{SHA_B}"}},
                "dist-info-metadata": false, "size": 1234, "upload-time": "2024-01-01T00:00:00Z"}},
              {{"filename": "pkg-1.0.tar.gz", "url": "https://files.example/pkg-1.0.tar.gz#sha256={SHA_B}",
                "hashes": {{}}, "yanked": true, "dist-info-metadata": true}},
              {{"filename": "pkg-0.9.tar.gz", "url": "/x/pkg-0.9.tar.gz", "hashes": {{}},
                "requires-python": null, "yanked": false, "core-metadata": {{"md5": "00"}}}},
              {{"filename": "pkg-0.8.tar.gz", "url": "mailto:nobody@example.com", "hashes": {{}}}}
            ]}}"#,
        SHA_A.to_uppercase()
    );
    let page = parse_json(json.as_bytes(), &url("https://idx.example/simple/pkg/")).unwrap();
    assert_eq!(
        page.files,
        vec![
            IndexFile {
                sha256: Some(SHA_A.into()),
                requires_python: Some(">=3.8".into()),
                yanked: Some("broken".into()),
                core_metadata: MetadataAvailability::Sha256(SHA_B.into()),
                size: Some(1234),
                ..file(
                    "pkg-1.0-py3-none-any.whl",
                    "https://idx.example/p/pkg-1.0-py3-none-any.whl"
                )
            },
            IndexFile {
                sha256: Some(SHA_B.into()),
                yanked: Some(String::new()),
                core_metadata: MetadataAvailability::Yes,
                ..file("pkg-1.0.tar.gz", "https://files.example/pkg-1.0.tar.gz")
            },
            IndexFile {
                core_metadata: MetadataAvailability::Yes,
                ..file("pkg-0.9.tar.gz", "https://idx.example/x/pkg-0.9.tar.gz")
            },
        ]
    );
}

/// Only the fields the reader uses are kept, but every field is parsed: escapes
/// are decoded, a field given twice counts by its last value, a field of another
/// type is read as absent or as what it says, and trailing bytes are an error.
#[test]
fn reads_json_fields_of_any_shape() {
    let json = r#"{"files": [
        {"filename": "a-1.tar.gz", "filename": "b\u002d1.tar.gz", "url": "\/f\/b-1.tar.gz",
         "size": -1, "yanked": 1, "core-metadata": "yes", "hashes": {"sha256": 5},
         "upload-time": {"deep": [[[{"filename": "x"}]]]}, "requires-python": " "},
        {"filename": "c-1.tar.gz", "url": "c-1.tar.gz", "size": 2.5, "hashes": [],
         "core-metadata": null, "dist-info-metadata": true, "yanked": "\u00e9"}
      ], "meta": {"api-version": "1.3"}}"#;
    let page = parse_json(json.as_bytes(), &url("https://h/simple/b/")).unwrap();
    assert_eq!(
        page.files,
        vec![
            IndexFile {
                core_metadata: MetadataAvailability::Yes,
                ..file("b-1.tar.gz", "https://h/f/b-1.tar.gz")
            },
            IndexFile {
                yanked: Some("é".into()),
                ..file("c-1.tar.gz", "https://h/simple/b/c-1.tar.gz")
            },
        ]
    );
    let page_url = url("https://h/simple/b/");
    let odd = |body: &str| parse_json(body.as_bytes(), &page_url).map_err(|e| e.to_string());
    assert!(odd(r#"{"files": [{"filename": 5, "url": "x"}]}"#).is_err());
    assert!(odd(r#"{"files": {}}"#).is_err());
    assert!(odd(r#"{"files": []} []"#).is_err());
    assert_eq!(
        odd(r#"{"meta": {"api-version": 1}, "files": []}"#).unwrap_err(),
        "index page `https://h/simple/b/` uses simple API version ; curd reads 1.x"
    );
}

#[test]
fn reads_minimal_json() {
    let page = parse_json(
        br#"{"meta": {"api-version": "1.0"}, "name": "x", "files": []}"#,
        &url("https://h/simple/x/"),
    )
    .unwrap();
    assert!(page.files.is_empty());
    let page = parse_json(
        br#"{"files": [{"filename": "x-1.tar.gz", "url": "x-1.tar.gz", "hashes": {}}]}"#,
        &url("https://h/simple/x/"),
    )
    .unwrap();
    assert_eq!(
        page.files,
        vec![file("x-1.tar.gz", "https://h/simple/x/x-1.tar.gz")]
    );
}

#[test]
fn malformed_json_names_the_page_without_its_password() {
    let page = url("https://alice:wonderland@h/simple/x/");
    for (body, expected) in [
        (
            &b"<html>"[..],
            "malformed index page `https://****@h/simple/x/`: expected value at line 1 column 1",
        ),
        (
            b"[]",
            "malformed index page `https://****@h/simple/x/`: expected a JSON object",
        ),
        (
            b"{}",
            "malformed index page `https://****@h/simple/x/`: expected a `files` list",
        ),
        (
            br#"{"files": [{"url": "x"}]}"#,
            "malformed index page `https://****@h/simple/x/`: file 1 has no `filename` or `url` string",
        ),
        (
            br#"{"meta": {"api-version": "2.0"}, "files": []}"#,
            "index page `https://****@h/simple/x/` uses simple API version 2.0; curd reads 1.x",
        ),
    ] {
        let err = parse_json(body, &page).unwrap_err();
        assert_eq!(err.to_string(), expected);
        assert!(!format!("{err:?}").contains("wonderland"));
    }
}

#[test]
fn picks_the_parser_by_content_type() {
    let page_url = url("https://h/simple/x/");
    let json = r#"{"meta": {"api-version": "1.1"}, "files": [{"filename": "x-1.tar.gz", "url": "x-1.tar.gz", "hashes": {}}]}"#;
    let html = "<a href=\"x-1.tar.gz\">x</a>";
    let expected = ProjectPage {
        files: vec![file("x-1.tar.gz", "https://h/simple/x/x-1.tar.gz")],
    };
    for (content_type, body) in [
        (Some("application/vnd.pypi.simple.v1+json"), json),
        (
            Some("Application/Vnd.Pypi.Simple.Latest+JSON; charset=utf-8"),
            json,
        ),
        (Some("application/vnd.pypi.simple.v1+html"), html),
        (Some("text/html; charset=utf-8"), html),
        (None, html),
    ] {
        assert_eq!(
            parse_page(content_type, body.as_bytes(), &page_url).unwrap(),
            expected
        );
    }
    let err = parse_page(Some("application/json"), json.as_bytes(), &page_url).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`https://h/simple/x/` is not an index page: its Content-Type is `application/json`"
    );
}

#[test]
fn a_page_of_more_files_than_any_project_has_is_refused() {
    let page_url = url("http://h/simple/x/");
    let html = "<a href=\"x-1.0.tar.gz\">x</a>".repeat(MAX_PAGE_FILES + 1);
    let e = parse_html(&html, &page_url).unwrap_err();
    assert!(matches!(e, PageError::TooManyFiles { .. }), "{e}");
    assert!(e.to_string().contains("more than 250000 files"), "{e}");
    let entry = r#"{"filename": "x-1.0.tar.gz", "url": "x-1.0.tar.gz", "hashes": {}},"#;
    let json = format!(
        r#"{{"meta": {{"api-version": "1.0"}}, "files": [{}{{"filename": "x-1.0.tar.gz", "url": "x", "hashes": {{}}}}]}}"#,
        entry.repeat(MAX_PAGE_FILES)
    );
    let e = parse_json(json.as_bytes(), &page_url).unwrap_err();
    assert!(matches!(e, PageError::TooManyFiles { .. }), "{e}");
    let fits = "<a href=\"x-1.0.tar.gz\">x</a>".repeat(MAX_PAGE_FILES);
    assert_eq!(
        parse_html(&fits, &page_url).unwrap().files.len(),
        MAX_PAGE_FILES
    );
}

use super::*;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

/// RFC 3986 §5.4.1, with the one documented exception (`g:h`).
#[test]
fn resolves_rfc_3986_normal_examples() {
    let base = url("http://a/b/c/d;p?q");
    for (reference, expected) in [
        ("g", "http://a/b/c/g"),
        ("./g", "http://a/b/c/g"),
        ("g/", "http://a/b/c/g/"),
        ("/g", "http://a/g"),
        ("//g", "http://g"),
        ("?y", "http://a/b/c/d;p?y"),
        ("g?y", "http://a/b/c/g?y"),
        ("#s", "http://a/b/c/d;p?q#s"),
        ("g#s", "http://a/b/c/g#s"),
        ("g?y#s", "http://a/b/c/g?y#s"),
        (";x", "http://a/b/c/;x"),
        ("g;x", "http://a/b/c/g;x"),
        ("g;x?y#s", "http://a/b/c/g;x?y#s"),
        ("", "http://a/b/c/d;p?q"),
        (".", "http://a/b/c/"),
        ("./", "http://a/b/c/"),
        ("..", "http://a/b/"),
        ("../", "http://a/b/"),
        ("../g", "http://a/b/g"),
        ("../..", "http://a/"),
        ("../../", "http://a/"),
        ("../../g", "http://a/g"),
    ] {
        assert_eq!(
            base.join(reference).unwrap().to_string(),
            expected,
            "{reference}"
        );
    }
    assert_eq!(
        base.join("g:h"),
        Err(UrlError::UnsupportedScheme {
            url: "g:h".into(),
            scheme: "g".into()
        })
    );
}

/// RFC 3986 §5.4.2; `http:g` resolves the lenient way, as Python does.
#[test]
fn resolves_rfc_3986_abnormal_examples() {
    let base = url("http://a/b/c/d;p?q");
    for (reference, expected) in [
        ("../../../g", "http://a/g"),
        ("../../../../g", "http://a/g"),
        ("/./g", "http://a/g"),
        ("/../g", "http://a/g"),
        ("g.", "http://a/b/c/g."),
        (".g", "http://a/b/c/.g"),
        ("g..", "http://a/b/c/g.."),
        ("..g", "http://a/b/c/..g"),
        ("./../g", "http://a/b/g"),
        ("./g/.", "http://a/b/c/g/"),
        ("g/./h", "http://a/b/c/g/h"),
        ("g/../h", "http://a/b/c/h"),
        ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
        ("g;x=1/../y", "http://a/b/c/y"),
        ("g?y/./x", "http://a/b/c/g?y/./x"),
        ("g?y/../x", "http://a/b/c/g?y/../x"),
        ("g#s/./x", "http://a/b/c/g#s/./x"),
        ("g#s/../x", "http://a/b/c/g#s/../x"),
        ("http:g", "http://a/b/c/g"),
    ] {
        assert_eq!(
            base.join(reference).unwrap().to_string(),
            expected,
            "{reference}"
        );
    }
}

#[test]
fn resolves_index_page_links() {
    let page = url("https://user:secret@cache.example:8443/simple/alpha/");
    let cases = [
        (
            "../../p/alpha-1.0-py3-none-any.whl#sha256=ab",
            "https://****@cache.example:8443/p/alpha-1.0-py3-none-any.whl#sha256=ab",
        ),
        ("/abs/x.whl", "https://****@cache.example:8443/abs/x.whl"),
        ("//files.example/x.whl", "https://files.example/x.whl"),
        ("http://other/x.whl", "http://other/x.whl"),
        ("?q=1", "https://****@cache.example:8443/simple/alpha/?q=1"),
        (
            "#frag",
            "https://****@cache.example:8443/simple/alpha/#frag",
        ),
        (
            "x.whl",
            "https://****@cache.example:8443/simple/alpha/x.whl",
        ),
        (
            "  x.whl\n",
            "https://****@cache.example:8443/simple/alpha/x.whl",
        ),
        ("HTTPS://H/x", "https://h/x"),
    ];
    for (reference, expected) in cases {
        assert_eq!(
            page.join(reference).unwrap().to_string(),
            expected,
            "{reference}"
        );
    }
    // Relative links keep the page's credentials; other hosts never get them.
    assert!(page.join("x.whl").unwrap().credentials().is_some());
    assert!(
        page.join("//files.example/x")
            .unwrap()
            .credentials()
            .is_none()
    );
    // A base without a path.
    assert_eq!(url("http://a").join("x").unwrap().to_string(), "http://a/x");
    assert!(page.join("mailto:someone@example.com").is_err());
    assert!(page.join("javascript:alert(1)").is_err());
    assert!(page.join("http://[::1").is_err());
}

#[test]
fn parses_parts() {
    let u = url("HTTP://Alice:p%40ss@Example.COM:8080/a/b%20c/./d?x=1&y#sha256=ABCD&md5=0");
    assert_eq!(u.scheme(), Scheme::Http);
    assert_eq!(u.host(), "example.com");
    assert_eq!(u.port_or_default(), Some(8080));
    assert_eq!(u.path(), "/a/b%20c/d");
    assert_eq!(u.fragment(), Some("sha256=ABCD&md5=0"));
    assert_eq!(u.fragment_sha256().as_deref(), Some("abcd"));
    assert_eq!(u.credentials(), Some(("Alice".into(), "p@ss".into())));
    assert_eq!(u.filename().as_deref(), Some("d"));
    assert_eq!(
        u.to_string(),
        "http://****@example.com:8080/a/b%20c/d?x=1&y#sha256=ABCD&md5=0"
    );
    assert_eq!(
        u.request_target(),
        "http://example.com:8080/a/b%20c/d?x=1&y"
    );
    assert_eq!(url("https://h").port_or_default(), Some(443));
    assert_eq!(url("https://h").request_target(), "https://h/");
    assert_eq!(url("http://h:/x").port_or_default(), Some(80));
    // `FromStr`, so command-line options can be typed `Url`.
    assert_eq!("HTTPS://H/x".parse::<Url>(), Ok(url("https://h/x")));
}

#[test]
fn parses_ipv6_hosts() {
    let u = url("http://[::1]:8000/simple/");
    assert_eq!(u.host(), "::1");
    assert_eq!(u.port_or_default(), Some(8000));
    assert_eq!(u.to_string(), "http://[::1]:8000/simple/");
    let u = url("https://u:p@[2001:DB8::1]/");
    assert_eq!(u.to_string(), "https://****@[2001:db8::1]/");
    assert!(Url::parse("http://[::1/").is_err());
    assert!(Url::parse("http://[nothex]/").is_err());
    assert!(Url::parse("http://[::1]x/").is_err());
}

#[test]
fn encodes_what_may_not_stand_raw() {
    let u = url("https://h/a b/é\"<>{}|\\^`/%zz%2f?q=a b#f g");
    assert_eq!(
        u.to_string(),
        "https://h/a%20b/%C3%A9%22%3C%3E%7B%7D%7C%5C%5E%60/%25zz%2f?q=a%20b#f%20g"
    );
    assert_eq!(u.without_fragment().to_string().matches('#').count(), 0);
}

#[test]
fn rejects_what_it_cannot_fetch() {
    for (input, prefix) in [
        ("", "invalid URL: empty"),
        ("   ", "invalid URL: empty"),
        (
            "/simple/",
            "invalid URL `/simple/`: expected an absolute URL",
        ),
        ("cache:8000", "unsupported URL `cache:8000`: scheme `cache`"),
        ("ftp://h/x", "unsupported URL `ftp://h/x`: scheme `ftp`"),
        ("http:/x", "invalid URL `http:/x`: expected `//`"),
        ("http:///x", "invalid URL `http:///x`: bad host name"),
        (
            "http://h:99999/",
            "invalid URL `http://h:99999/`: bad port number",
        ),
        (
            "http://h:8x/",
            "invalid URL `http://h:8x/`: bad port number",
        ),
        ("http://h h/", "invalid URL `http://h h/`: bad host name"),
        ("http://é/", "invalid URL `http://é/`: bad host name"),
    ] {
        let err = Url::parse(input).unwrap_err().to_string();
        assert!(err.starts_with(prefix), "{input}: {err}");
    }
}

#[test]
fn never_shows_a_password() {
    let secret = "s3cr3t-pa55";
    for input in [
        format!("https://alice:{secret}@h/simple/"),
        format!("https://{secret}@h/simple/"),
        format!("https://alice:{secret}@h:99999/"),
        format!("https://alice:{secret}@h h/"),
        format!("https://alice:{secret}@[::1/"),
        format!("https://alice:{secret}@/x"),
    ] {
        let shown = match Url::parse(&input) {
            Ok(u) => {
                assert!(u.credentials().is_some());
                format!(
                    "{u} {u:?} {} {}",
                    u.join("x").unwrap(),
                    u.clone().without_fragment()
                )
            }
            Err(e) => format!("{e} {e:?}"),
        };
        assert!(!shown.contains(secret), "{shown}");
        assert!(shown.contains("****@"), "{shown}");
    }
    let u = url(&format!("https://alice:{secret}@h/"));
    assert_eq!(u.without_credentials().credentials(), None);
    assert_eq!(u.without_credentials().to_string(), "https://h/");
    assert!(!u.request_target().contains(secret));
}

#[test]
fn masks_what_could_be_credentials_in_strings_that_do_not_parse() {
    for (input, shown) in [
        ("http:/user:pw@host", "http:/****@host"),
        ("user:pw@host", "****@host"),
        ("http//user:pw@host", "http//****@host"),
        ("http://user:pw@", "http://****@"),
        ("ftp://u:p@h", "ftp://****@h"),
        ("http:///user:pw@host", "http:///****@host"),
        ("http:user:pw@host", "****@host"),
        ("https://user:p/w#d?@host/x", "https://****@host/x"),
        ("name@https://user:pw@host/x.whl", "****@host/x.whl"),
        ("git+https://token@host/r.git@v1", "git+https://****@v1"),
        ("https://@host/", "https://@host/"),
        ("https://host/simple/", "https://host/simple/"),
        ("", ""),
        ("@", "@"),
        ("é@h", "****@h"),
    ] {
        assert_eq!(redact_str(input), shown, "{input}");
    }
    // The errors of every malformed form show it masked.
    for input in [
        "http:/user:s3cr3t@host",
        "user:s3cr3t@host",
        "http//user:s3cr3t@host",
        "http://user:s3cr3t@",
        "ftp://u:s3cr3t@h",
        "https://user:s3cr3t/x@host/",
    ] {
        let error = Url::parse(input).unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }
}

#[test]
fn tells_urls_from_paths() {
    for url in [
        "https://host/",
        "http:/user:pw@host",
        "user:pw@host",
        "http//user:pw@host",
        "HTTPS//host",
        "file:relative",
        "git+ssh:x",
    ] {
        assert!(looks_like_url(url), "{url}");
    }
    for path in ["wheels", "./a:b", "/abs/x:y", "c:", "wheels//x", "1x:y", ""] {
        assert!(!looks_like_url(path), "{path}");
    }
}

#[test]
fn decodes_credentials() {
    assert_eq!(
        url("https://b%C3%B6b:p%3Ass%20w%C3%B6rd@h/").credentials(),
        Some(("böb".into(), "p:ss wörd".into()))
    );
    assert_eq!(
        url("https://__token__@h/").credentials(),
        Some(("__token__".into(), String::new()))
    );
    assert_eq!(
        url("https://u:a:b@h/").credentials(),
        Some(("u".into(), "a:b".into()))
    );
    assert_eq!(
        url("https://u@x:p@h/").credentials(),
        Some(("u@x".into(), "p".into()))
    );
    assert_eq!(url("https://h/").credentials(), None);
    assert_eq!(url("https://@h/").credentials(), None);
    assert_eq!(
        url("https://:p@h/").credentials(),
        Some((String::new(), "p".into()))
    );
}

#[test]
fn file_urls_round_trip() {
    let path = Path::new("/tmp/wheels dir/a+b-1.0-py3-none-any.whl");
    let u = Url::from_file_path(path).unwrap();
    assert_eq!(
        u.to_string(),
        "file:///tmp/wheels%20dir/a%2Bb-1.0-py3-none-any.whl"
    );
    assert_eq!(u.to_file_path().as_deref(), Some(path));
    assert_eq!(u.filename().as_deref(), Some("a+b-1.0-py3-none-any.whl"));
    assert_eq!(
        url("file://localhost/x/y").to_file_path().as_deref(),
        Some(Path::new("/x/y"))
    );
    assert_eq!(url("file://remote/x").to_file_path(), None);
    assert_eq!(url("http://h/x").to_file_path(), None);
    assert_eq!(url("file:///x%00y").to_file_path(), None);
    assert!(Url::from_file_path(Path::new("relative/x")).is_err());
    assert_eq!(
        url("file:///a/b/page.html")
            .join("../c.whl")
            .unwrap()
            .to_file_path()
            .as_deref(),
        Some(Path::new("/a/c.whl"))
    );
}

#[test]
fn filenames_are_decoded_last_segments() {
    assert_eq!(
        url("http://h/p/a%2Bb.whl?x#y").filename().as_deref(),
        Some("a+b.whl")
    );
    assert_eq!(url("http://h/simple/x/").filename(), None);
    assert_eq!(url("http://h").filename(), None);
    assert_eq!(url("http://h/%FF.whl").filename(), None);
}

#[test]
fn origins_for_credentials() {
    let a = url("http://u:p@h:8000/simple/");
    assert!(a.same_origin(&url("http://h:8000/p/x")));
    assert!(a.same_origin(&url("https://h:8000/p/x")));
    assert!(!a.same_origin(&url("http://h:8001/p/x")));
    assert!(!a.same_origin(&url("http://g:8000/p/x")));
    assert!(!url("https://h/").same_origin(&url("http://h:443/")));
    assert!(url("https://h/").same_origin(&url("https://h:443/")));
    assert!(url("http://h/").same_origin(&url("https://h/")));
    assert!(url("http://h:80/").same_origin(&url("https://h/")));
    assert!(!url("http://h:8080/").same_origin(&url("https://h/")));
    assert!(!url("https://h/").same_origin(&url("http://h/")));
    assert!(!url("file:///x").same_origin(&url("http://localhost/")));
}

#[test]
fn removes_dot_segments() {
    for (input, expected) in [
        ("/a/b/c/./../../g", "/a/g"),
        ("mid/content=5/../6", "mid/6"),
        ("/..", "/"),
        ("/.", "/"),
        ("", ""),
        ("/a/..", "/"),
        ("/a/b/..", "/a/"),
        ("../x", "x"),
    ] {
        assert_eq!(remove_dot_segments(input.to_string()), expected, "{input}");
    }
}

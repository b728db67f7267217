use super::*;

/// The passwords of `fixtures/htpasswd/` (see fixtures/README.md).
pub(crate) const ALICE: &str = "wonderland";
pub(crate) const BOB: &str = "p:ss wörd";

pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/htpasswd")
        .join(name)
}

fn users(name: &str) -> Users {
    read(&fixture(name)).expect(name)
}

/// The line of `user` in the fixture `name`.
pub(crate) fn line_of(name: &str, user: &str) -> String {
    std::fs::read_to_string(fixture(name))
        .expect("read fixture")
        .lines()
        .find(|line| line.starts_with(&format!("{user}:")))
        .expect("user in fixture")
        .to_owned()
}

fn entry(hash: &str) -> Entry {
    Entry {
        stored: hash.to_owned(),
        scheme: parse_hash(hash).ok().expect(hash),
    }
}

fn parse_err(contents: &str) -> HtpasswdError {
    match parse(Path::new("htpasswd"), contents.as_bytes()) {
        Ok(_) => panic!("{contents:?} loaded"),
        Err(e) => e,
    }
}

#[test]
fn every_htpasswd_format_verifies() {
    for name in ["apr1", "bcrypt", "sha1", "crypt", "sha256", "sha512"] {
        let users = users(name);
        let (alice, bob) = (users.get("alice").unwrap(), users.get("bob").unwrap());
        assert!(alice.verify(ALICE.as_bytes()), "{name}");
        assert!(bob.verify(BOB.as_bytes()), "{name}");
        assert!(!alice.verify(b"Wonderland"), "{name}");
        assert!(!bob.verify(b"p:ss word"), "{name}");
        assert!(!alice.verify(b""), "{name}");
        assert!(users.get("carol").is_none(), "{name}");
    }
}

#[test]
fn hashes_made_by_other_tools_verify() {
    // One line per format from `openssl passwd`, Perl's and Python's crypt
    // (glibc/libxcrypt), beside the fixtures made by Apache's htpasswd.
    for (hash, password) in [
        ("$1$abcdefgh$90FgjgNE3pH//25Pe/ys.1", ALICE),
        (
            "$5$saltstring$P8WxiZdsQgEV/WrUJLFhcY321KVz2YovpJcf0/DrUQ2",
            ALICE,
        ),
        (
            "$6$saltstring$Q78qN3hztgTquoWC9NtuDHj45jbqRGGbA4LEwaFxw3MHtUvbisWpNl2GcJxgV8s4WnkDTKEyViX3xD6jBJP0B0",
            ALICE,
        ),
        (
            "$5$rounds=1000$abcdefghijklmnop$7sctibpYavDOcxTKqoiWsyoiG9zuC3zQ3xqypQ51LC2",
            ALICE,
        ),
        (
            "$2b$04$abcdefghijklmnopqrstuuPp7HPfoAs8I2dCQCQ/fW7zEJv8I8C8e",
            "x",
        ),
        ("abbIw0V4oaGvc", ALICE),
        ("abukCgJZAObl.", BOB),
    ] {
        let entry = entry(hash);
        assert!(entry.verify(password.as_bytes()), "{hash}");
        assert!(!entry.verify(b"Wonderland"), "{hash}");
    }
}

#[test]
fn a_sha_crypt_setting_crypt3_would_not_write_never_verifies() {
    // glibc raises rounds=500 to 1000 and writes that back, libxcrypt refuses it:
    // either way the stored line is never matched, whatever the password.
    let good = "$5$rounds=1000$abcdefghijklmnop$7sctibpYavDOcxTKqoiWsyoiG9zuC3zQ3xqypQ51LC2";
    assert!(entry(good).verify(ALICE.as_bytes()));
    for setting in ["rounds=500", "rounds=01000", "rounds=99999999999"] {
        let hash = good.replace("rounds=1000", setting);
        assert!(!entry(&hash).verify(ALICE.as_bytes()), "{hash}");
    }
}

#[test]
fn des_crypt_reads_eight_bytes_as_htpasswd_warns() {
    let users = users("crypt");
    assert!(users.get("alice").unwrap().verify(b"wonderlaXX"));
    assert!(users.get("bob").unwrap().verify("p:ss wöXX".as_bytes()));
    assert!(!users.get("alice").unwrap().verify(b"wonder"));
}

#[test]
fn mixed_file_with_comments_and_blank_lines() {
    let users = users("mixed");
    for (user, password) in [
        ("alice", ALICE),
        ("bob", BOB),
        ("carol", "café:crème"),
        ("zoë", "Ünïcødé"),
        ("dave", "correct horse battery staple"),
        ("erin", "hunter2"),
    ] {
        assert!(
            users.get(user).unwrap().verify(password.as_bytes()),
            "{user}"
        );
        assert!(
            !users
                .get(user)
                .unwrap()
                .verify(format!("{password}!").as_bytes()),
            "{user}"
        );
    }
    assert_eq!(users.len(), 6);
}

#[test]
fn crlf_and_surrounding_whitespace_are_tolerated() {
    let text = std::fs::read_to_string(fixture("mixed")).expect("mixed");
    let crlf = format!("\u{feff}  {}", text.replace('\n', " \r\n"));
    let users = parse(Path::new("crlf"), crlf.as_bytes()).expect("crlf file");
    assert!(users.get("alice").unwrap().verify(ALICE.as_bytes()));
    assert!(users.get("erin").unwrap().verify(b"hunter2"));
}

#[test]
fn bcrypt_variants() {
    // From OpenBSD's and Openwall's test vectors, and libxcrypt's `$2b$`.
    for (hash, password) in [
        (
            "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            "U*U",
        ),
        (
            "$2b$04$abcdefghijklmnopqrstuujZkTwHUiJ9XdZPwKfcfDo7dMp5DjlTu",
            ALICE,
        ),
        (
            "$2y$04$abcdefghijklmnopqrstuujZkTwHUiJ9XdZPwKfcfDo7dMp5DjlTu",
            ALICE,
        ),
    ] {
        let entry = entry(hash);
        assert!(entry.verify(password.as_bytes()), "{hash}");
        assert!(!entry.verify(b"U*U*"), "{hash}");
    }
}

#[test]
fn apr1_fixture_is_md5_crypt_with_its_magic() {
    let apr1 = line_of("apr1", "alice");
    let (_, stored) = apr1.split_once(':').expect("user:hash");
    let salt = md5_crypt_salt(&stored[APR1_MAGIC.len()..]).expect("salt");
    assert_eq!(md5_crypt(APR1_MAGIC, salt, ALICE.as_bytes()), stored);
}

#[test]
fn sha1_known_vector() {
    // `htpasswd -nbs alice wonderland`, and SHA-1 of "abc" from FIPS 180.
    assert_eq!(
        line_of("sha1", "alice"),
        "alice:{SHA}tiY7sUhYKUwI5L3866kDY+ENcrQ="
    );
    let Ok(Scheme::Sha1(digest)) = parse_hash("{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0=") else {
        panic!("{{SHA}} not recognised");
    };
    assert_eq!(
        digest[..4],
        [0xa9, 0x99, 0x3e, 0x36],
        "base64 decoding of the stored digest"
    );
    assert!(entry("{SHA}qZk+NkcGgWq6PiVxeFDCbJzQ2J0=").verify(b"abc"));
}

#[test]
fn malformed_file_names_its_line() {
    let path = fixture("malformed");
    let e = read(&path).err().expect("malformed fixture loaded");
    assert_eq!(
        e,
        HtpasswdError::Malformed {
            path: path.clone(),
            line: 4,
            expected: "`user:hash`"
        }
    );
    let message = e.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("line 4"), "{message}");
    assert!(message.contains("expected `user:hash`"), "{message}");
}

#[test]
fn damaged_lines_are_refused_with_their_line_number() {
    let alice = line_of("apr1", "alice");
    let bcrypt = line_of("bcrypt", "alice");
    let sha512 = line_of("sha512", "bob");
    let cases = [
        (format!("{alice}\n:nobody"), 2, "`user:hash`"),
        (format!("{alice}\nbob:"), 2, "`user:hash`"),
        (
            format!("#\n\n{}", &alice[..alice.len() - 1]),
            3,
            "a whole `$apr1$`",
        ),
        (
            format!("{}\n", &bcrypt[..bcrypt.len() - 1]),
            1,
            "a whole bcrypt",
        ),
        (
            sha512.replace("rounds=10000", "rounds=x"),
            1,
            "a whole `$6$`",
        ),
        ("x:$5$salt".to_owned(), 1, "a whole `$5$`"),
        (bcrypt.replace("$05$", "$03$"), 1, "a whole bcrypt"),
        ("x:$1$saltsaltsalt$abc".to_owned(), 1, "a whole `$1$`"),
        (
            "x:{SHA}tiY7sUhYKUwI5L3866kDY+ENcr==".to_owned(),
            1,
            "a whole `{SHA}`",
        ),
    ];
    for (text, line, expected) in cases {
        match parse_err(&text) {
            HtpasswdError::Malformed {
                line: got,
                expected: message,
                ..
            } => {
                assert_eq!(got, line, "{text}");
                assert!(message.starts_with(expected), "{text}: {message}");
            }
            e => panic!("{text}: {e}"),
        }
    }
    let bytes = [alice.as_bytes(), b"\nb\xffb:x\n"].concat();
    let e = parse(Path::new("f"), &bytes)
        .err()
        .expect("non-UTF-8 line loaded");
    assert!(
        matches!(
            e,
            HtpasswdError::Malformed {
                line: 2,
                expected: "UTF-8 text",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn plain_text_and_foreign_hashes_are_refused() {
    let path = fixture("plaintext");
    let e = read(&path).err().expect("plain text loaded");
    assert_eq!(
        e,
        HtpasswdError::Unsupported {
            path,
            line: 1,
            scheme: None
        }
    );
    let message = e.to_string();
    assert!(message.contains("plain-text"), "{message}");
    assert!(!message.contains(ALICE), "{message}");
    for (hash, scheme) in [
        ("$y$j9T$abc$def", Some("$y$")),
        ("{SSHA}abcdef", Some("{SSHA}")),
        ("$argon2id$v=19$m=65536", Some("$argon2id$")),
        ("$money$in$the$bank", None),
        ("_J9..CCCCXBrJUJV154M", None),
        ("secret", None),
    ] {
        let e = parse_err(&format!("# users\nalice:{hash}\n"));
        assert_eq!(
            e,
            HtpasswdError::Unsupported {
                path: PathBuf::from("htpasswd"),
                line: 2,
                scheme
            },
            "{hash}"
        );
        if scheme.is_none() {
            assert!(!e.to_string().contains(hash), "{e}");
        }
    }
}

#[test]
fn duplicate_users_are_refused() {
    let alice = line_of("apr1", "alice");
    let bob = line_of("apr1", "bob");
    let e = parse_err(&format!("{alice}\n{bob}\n{alice}\n"));
    assert!(
        matches!(&e, HtpasswdError::Duplicate { line: 3, first: 1, user, .. } if user == "alice"),
        "{e}"
    );
}

#[test]
fn constant_time_comparison() {
    assert!(ct_eq(b"", b""));
    assert!(ct_eq(b"abc", b"abc"));
    assert!(!ct_eq(b"abc", b"abd"));
    assert!(!ct_eq(b"abc", b"ab"));
}

#[test]
fn the_decoy_costs_what_most_users_cost_and_matches_nothing() {
    for name in [
        "apr1", "bcrypt", "sha1", "crypt", "sha256", "sha512", "mixed",
    ] {
        let users = users(name);
        let decoy = users.decoy().expect(name);
        for password in [ALICE, BOB, ""] {
            assert!(!decoy.verify(password.as_bytes()), "{name}");
        }
        let like = users.by_name.values().find(|e| e.class() == decoy.class());
        let like = like.unwrap_or_else(|| panic!("{name}: the decoy is like no user"));
        assert_eq!(decoy.stored.len(), like.stored.len(), "{name}");
    }
    // A tie goes to the costlier: bob's SHA-crypt has 10000 rounds, alice's 5000.
    let sha512 = users("sha512");
    let bob = sha512.get("bob").unwrap();
    let decoy = sha512.decoy().unwrap();
    assert_eq!(decoy.class(), bob.class());
    assert!(
        decoy.stored.starts_with("$6$rounds=10000$"),
        "{}",
        decoy.stored
    );
    // The commonest class wins: two bcrypt users over one apr1.
    let bcrypt_hash = |user| {
        line_of("bcrypt", user)
            .split_once(':')
            .unwrap()
            .1
            .to_owned()
    };
    let file = format!(
        "{}\nbob:{}\ncarol:{}\n",
        line_of("apr1", "alice"),
        bcrypt_hash("bob"),
        bcrypt_hash("alice")
    );
    let users = parse(Path::new("f"), file.as_bytes()).unwrap();
    let decoy = users.decoy().unwrap();
    assert_eq!(decoy.class(), users.get("bob").unwrap().class());
    assert!(!decoy.verify(ALICE.as_bytes()) && !decoy.verify(BOB.as_bytes()));
    let empty = parse(Path::new("e"), b"# nobody yet\n").unwrap();
    assert!(empty.decoy().is_none() && empty.is_empty());
}

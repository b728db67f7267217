use super::*;
use crate::server::htpasswd::tests::{ALICE, BOB, fixture, line_of};
use crate::util::encoding::base64;
use crate::util::fs::TestDir as TempDir;
use std::time::Duration;

/// Where the tests' logins come from.
const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
}

fn login(db: &UserDb, user: &str, password: &str) -> Result<String, Denied> {
    db.authenticate(PEER, Some(&basic(user, password)))
}

/// Writes `contents` with a modification time of its own, so a rewrite is
/// seen even within the file system's timestamp granularity.
fn write(path: &Path, contents: &str, second: u64) {
    fs::write(path, contents).expect("write htpasswd");
    fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(second)))
        .expect("set modification time");
}

/// A database of Alice alone, in a file of its own to rewrite; with Bob's line.
fn alice_alone(dir: &TempDir) -> (PathBuf, UserDb, String) {
    let path = dir.0.join("htpasswd");
    write(&path, &format!("{}\n", line_of("apr1", "alice")), 1);
    let db = UserDb::open(&path, 16).expect("open");
    (path, db, line_of("bcrypt", "bob"))
}

#[test]
fn logins_are_checked_against_the_file() {
    for name in ["apr1", "bcrypt", "sha1", "crypt", "sha256", "sha512"] {
        let db = UserDb::open(&fixture(name), 16).expect(name);
        assert_eq!(login(&db, "alice", ALICE), Ok("alice".to_owned()), "{name}");
        assert_eq!(login(&db, "bob", BOB), Ok("bob".to_owned()), "{name}");
        assert_eq!(
            login(&db, "alice", "Wonderland"),
            Err(Denied::WrongPassword("alice".to_owned())),
            "{name}"
        );
        assert_eq!(
            login(&db, "carol", ALICE),
            Err(Denied::UnknownUser("carol".to_owned())),
            "{name}"
        );
    }
}

#[test]
fn uploads_always_need_a_login() {
    assert!(ReadAccess::Anonymous.needs_login(true));
    assert!(!ReadAccess::Anonymous.needs_login(false));
    assert!(ReadAccess::LoginRequired.needs_login(true));
    assert!(ReadAccess::LoginRequired.needs_login(false));
}

#[test]
fn basic_header_parsing() {
    let db = UserDb::open(&fixture("apr1"), 16).expect("apr1");
    let token = base64(b"alice:wonderland");
    for header in [
        format!("Basic {token}"),
        format!("basic {token}"),
        format!("BASIC  {token}"),
        format!(" Basic\t{token} "),
        format!("Basic {}", token.trim_end_matches('=')),
    ] {
        assert_eq!(
            db.authenticate(PEER, Some(&header)),
            Ok("alice".to_owned()),
            "{header}"
        );
    }
    // The password may hold `:`; the user name ends at the first one.
    assert_eq!(login(&db, "bob", BOB), Ok("bob".to_owned()));
    assert_eq!(login(&db, "bob:p", "ss wörd"), Ok("bob".to_owned()));
    let cases = [
        (None, Denied::Missing),
        (Some("Bearer abc".to_owned()), Denied::NotBasic),
        (Some(format!("Basicx {token}")), Denied::NotBasic),
        (Some(token.clone()), Denied::NotBasic),
        (Some(String::new()), Denied::NotBasic),
        (
            Some("Basic".to_owned()),
            Denied::Malformed("no credentials after `Basic`"),
        ),
        (
            Some("Basic  ".to_owned()),
            Denied::Malformed("no credentials after `Basic`"),
        ),
        (
            Some("Basic YWxpY2U6d29uZGVy bGFuZA==".to_owned()),
            Denied::Malformed("credentials are not base64"),
        ),
        (
            Some("Basic !!!!".to_owned()),
            Denied::Malformed("credentials are not base64"),
        ),
        (
            Some("Basic YWxpY2U6d29uZGVybGFuZA=".to_owned()),
            Denied::Malformed("credentials are not base64"),
        ),
        (
            Some(format!("Basic {}", base64(b"alice:\xff\xfe"))),
            Denied::Malformed("credentials are not UTF-8"),
        ),
        (
            Some(format!("Basic {}", base64(b"alice"))),
            Denied::Malformed("no `:` between user and password"),
        ),
        (
            Some(format!("Basic {}", base64(b":wonderland"))),
            Denied::Malformed("empty user name"),
        ),
    ];
    for (header, denied) in cases {
        assert_eq!(
            db.authenticate(PEER, header.as_deref()),
            Err(denied),
            "{header:?}"
        );
    }
}

#[test]
fn unreadable_file_is_refused() {
    let dir = TempDir::new("auth");
    let path = dir.0.join("missing");
    let e = UserDb::open(&path, 16).err().expect("missing file loaded");
    assert!(
        matches!(&e, HtpasswdError::Read { path: p, .. } if *p == path),
        "{e}"
    );
    assert!(e.to_string().contains("missing"), "{e}");
}

#[test]
fn reload_picks_up_a_changed_file() {
    let dir = TempDir::new("auth");
    let (path, db, bob) = alice_alone(&dir);
    let alice = line_of("apr1", "alice");
    assert_eq!(
        login(&db, "bob", BOB),
        Err(Denied::UnknownUser("bob".to_owned()))
    );
    write(&path, &format!("{alice}\n{bob}\n"), 2);
    assert_eq!(login(&db, "bob", BOB), Ok("bob".to_owned()));
    assert_eq!(db.take_reload_error(), None);
    // Same size, new time: still re-read.
    write(&path, &format!("{bob}\n{alice}\n"), 3);
    assert_eq!(login(&db, "alice", ALICE), Ok("alice".to_owned()));
    write(&path, &format!("{bob}\n"), 4);
    assert_eq!(
        login(&db, "alice", ALICE),
        Err(Denied::UnknownUser("alice".to_owned()))
    );
}

#[test]
fn a_bad_reload_keeps_the_previous_users_and_is_reported_once() {
    let dir = TempDir::new("auth");
    let (path, db, bob) = alice_alone(&dir);
    let alice = line_of("apr1", "alice");
    write(&path, &format!("{alice}\n{bob}\nbroken\n"), 2);
    assert_eq!(login(&db, "alice", ALICE), Ok("alice".to_owned()));
    assert_eq!(
        login(&db, "bob", BOB),
        Err(Denied::UnknownUser("bob".to_owned()))
    );
    assert_eq!(
        db.take_reload_error(),
        Some(HtpasswdError::Malformed {
            path: path.clone(),
            line: 3,
            expected: "`user:hash`"
        })
    );
    assert_eq!(login(&db, "alice", ALICE), Ok("alice".to_owned()));
    assert_eq!(db.take_reload_error(), None);

    fs::remove_file(&path).expect("remove");
    assert_eq!(login(&db, "alice", ALICE), Ok("alice".to_owned()));
    assert!(matches!(
        db.take_reload_error(),
        Some(HtpasswdError::Read { .. })
    ));
    assert_eq!(login(&db, "alice", ALICE), Ok("alice".to_owned()));
    assert_eq!(db.take_reload_error(), None);

    write(&path, &format!("{alice}\n{bob}\n"), 3);
    assert_eq!(login(&db, "bob", BOB), Ok("bob".to_owned()));
    assert_eq!(db.take_reload_error(), None);
}

#[test]
fn successes_are_cached_by_digest_and_forgotten_on_reload() {
    let dir = TempDir::new("auth");
    let path = dir.0.join("htpasswd");
    let old = line_of("bcrypt", "alice");
    write(&path, &format!("{old}\n"), 1);
    let db = UserDb::open(&path, 16).expect("open");
    assert_eq!(login(&db, "alice", ALICE), Ok("alice".to_owned()));
    assert_eq!(
        login(&db, "alice", "wrong"),
        Err(Denied::WrongPassword("alice".to_owned()))
    );
    let (_, stored) = old.split_once(':').expect("user:hash");
    let key = cache_key("alice", ALICE, stored);
    assert_eq!(db.lock().verified, HashSet::from([key]));
    // The cache is what answers: a key planted for a wrong password lets it in.
    db.lock()
        .verified
        .insert(cache_key("alice", "planted", stored));
    assert_eq!(login(&db, "alice", "planted"), Ok("alice".to_owned()));

    // Alice's password changes to Bob's: the old one must stop working.
    let new = line_of("bcrypt", "bob").replacen("bob", "alice", 1);
    write(&path, &format!("{new}\n"), 2);
    assert_eq!(
        login(&db, "alice", ALICE),
        Err(Denied::WrongPassword("alice".to_owned()))
    );
    assert!(db.lock().verified.is_empty());
    assert_eq!(login(&db, "alice", BOB), Ok("alice".to_owned()));
    assert_eq!(db.lock().verified.len(), 1);
}

#[test]
fn the_cache_is_bounded() {
    let dir = TempDir::new("auth");
    let path = dir.0.join("htpasswd");
    write(&path, &format!("{}\n", line_of("crypt", "alice")), 1);
    let db = UserDb::open(&path, 16).expect("open");
    // DES crypt ignores all but 8 bytes, so these all verify.
    for n in 0..CACHE_LIMIT + 10 {
        assert!(login(&db, "alice", &format!("wonderla{n}")).is_ok());
    }
    assert!(db.lock().verified.len() <= CACHE_LIMIT);
}

#[test]
fn cache_keys_keep_their_parts_apart() {
    assert_ne!(cache_key("a", "b:c", "h"), cache_key("a:b", "c", "h"));
    assert_ne!(cache_key("a", "bh", ""), cache_key("a", "b", "h"));
}

#[test]
fn denials_never_show_the_password() {
    let db = UserDb::open(&fixture("mixed"), 16).expect("mixed");
    let secret = "s3cr3t:Pässwörd";
    let mut shown = Vec::new();
    for header in [
        basic("alice", secret),
        basic("mallory", secret),
        basic("a\nb", secret),
        format!("Bearer {secret}"),
        format!("Basic {secret}"),
        format!("Basic {}", base64(secret.replace(':', "").as_bytes())),
    ] {
        let denied = db.authenticate(PEER, Some(&header)).expect_err(&header);
        let text = denied.to_string();
        assert!(
            !text.contains("s3cr3t") && !text.contains("Pässwörd"),
            "{text}"
        );
        shown.push(text);
    }
    assert_eq!(shown[0], "wrong password for `alice`");
    assert_eq!(shown[1], "unknown user `mallory`");
    // User names come from the client: a newline must not forge a log line.
    assert_eq!(shown[2], "unknown user `a\\nb`");
    assert_eq!(shown[3], "Authorization header is not Basic");
    assert_eq!(Denied::Missing.to_string(), "no credentials");
}

#[test]
fn the_same_credentials_at_once_wait_for_one_check() {
    // One hash at a time and no one waiting for a turn: a second check computed
    // at once would be refused as busy.
    let db = UserDb::open(&fixture("bcrypt"), 1).expect("bcrypt");
    let start = std::sync::Barrier::new(8);
    std::thread::scope(|s| {
        let logins: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    login(&db, "alice", ALICE)
                })
            })
            .collect();
        for login in logins {
            assert_eq!(login.join().unwrap(), Ok("alice".to_owned()));
        }
    });
    assert!(db.lock().checking.is_empty());
}

#[test]
fn long_credentials_and_a_shut_out_client_are_refused_before_any_check() {
    let db = UserDb::open(&fixture("sha512"), 16).expect("sha512");
    let long = "x".repeat(MAX_PASSWORD + 1);
    assert_eq!(
        login(&db, "alice", &long),
        Err(Denied::TooLong {
            what: "password",
            limit: MAX_PASSWORD
        })
    );
    let name = "u".repeat(MAX_USER + 1);
    let denied = login(&db, &name, ALICE).expect_err("a long name");
    assert_eq!(denied.to_string(), "user name longer than 256 bytes");
    let fits = "x".repeat(MAX_PASSWORD);
    assert!(matches!(
        login(&db, "alice", &fits),
        Err(Denied::WrongPassword(_))
    ));
    for _ in 0..limits::FREE_FAILURES {
        let _ = login(&db, "alice", "guess");
    }
    assert!(matches!(
        login(&db, "alice", ALICE),
        Err(Denied::ShutOut(_))
    ));
    assert!(matches!(
        login(&db, "mallory", &long),
        Err(Denied::ShutOut(_))
    ));
    let elsewhere = db.authenticate("192.0.2.1".parse().unwrap(), Some(&basic("alice", ALICE)));
    assert_eq!(elsewhere, Ok("alice".to_owned()));
}

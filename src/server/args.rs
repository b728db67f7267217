//! curd-server's command line, as the seed documents it:
//! `curd-server [-h] [-d] [-H HOST] [-p PORT] [-u USER_DB] DIRECTORY`, and the flags
//! that came after it. `curd server` reads the same table.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use crate::util::args::{Command, Flag, FromArg, Operand, Stop};

/// The server's settings, as the command line gives them.
#[derive(Debug)]
pub struct Args {
    pub debug: bool,
    pub host: String,
    pub port: u16,
    pub user_db: Option<PathBuf>,
    pub public_read: bool,
    /// Who may upload; everyone who logs in when empty.
    pub upload_users: Vec<String>,
    pub overwrite: bool,
    pub max_upload_size: Size,
    pub threads: usize,
    pub max_connections: usize,
    /// The upstream indexes, in order, as typed: parsed by the server, whose
    /// errors never show a password.
    pub upstreams: Vec<String>,
    pub upstream_ttl: Duration,
    pub offline: bool,
    /// The most the stored files may take; no limit when `None`.
    pub max_size: Option<Size>,
    pub evict_uploads: bool,
    /// Where uploads live instead of DIRECTORY: `s3://bucket/prefix`.
    pub storage: Option<String>,
    pub s3: S3Args,
    pub directory: PathBuf,
}

/// How to reach the bucket of `--storage s3://…`.
#[derive(Debug, Default)]
pub struct S3Args {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub virtual_host: bool,
    pub credentials: Option<PathBuf>,
    pub redirect: bool,
}

/// A duration written as `600` (seconds), `30s`, `10m` or `1h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ttl(pub Duration);

impl FromArg for Ttl {
    const EXPECTED: &'static str = "a duration such as 600, 30s, 10m or 1h";
    fn from_arg(text: &str) -> Option<Ttl> {
        duration(text).map(Ttl)
    }
}

/// An age written as `90d`, `2w`, `12h`, `30m` or `600` (seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Age(pub Duration);

impl FromArg for Age {
    const EXPECTED: &'static str = "an age such as 90d, 2w, 12h, 30m or 600 (seconds)";
    fn from_arg(text: &str) -> Option<Age> {
        duration(text).map(Age)
    }
}

/// A number of seconds, or of minutes, hours, days or weeks with `m`, `h`, `d`, `w`.
fn duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last() {
        Some((i, 's')) => (&text[..i], 1),
        Some((i, 'm')) => (&text[..i], 60),
        Some((i, 'h')) => (&text[..i], 3600),
        Some((i, 'd')) => (&text[..i], 86_400),
        Some((i, 'w')) => (&text[..i], 7 * 86_400),
        _ => (text, 1),
    };
    let seconds = digits.parse::<u64>().ok()?.checked_mul(unit)?;
    Some(Duration::from_secs(seconds))
}

/// A byte count written as `1048576`, `512K`, `100M` or `2G`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size(pub u64);

impl FromArg for Size {
    const EXPECTED: &'static str = "a size such as 1048576, 512K, 100M, 2G or 1T";
    fn from_arg(text: &str) -> Option<Size> {
        let text = text.trim();
        let (digits, shift) = match text.char_indices().last() {
            Some((i, 'k' | 'K')) => (&text[..i], 10),
            Some((i, 'm' | 'M')) => (&text[..i], 20),
            Some((i, 'g' | 'G')) => (&text[..i], 30),
            Some((i, 't' | 'T')) => (&text[..i], 40),
            _ => (text, 0),
        };
        digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(1 << shift))
            .map(Size)
    }
}

static VERSION: Flag = Flag::switch("version", "print the version and exit");
static DEBUG: Flag = Flag::switch(
    "debug",
    "log every request's headers and timing (passwords never are)",
)
.short('d');
static HOST: Flag = Flag::option(
    "host",
    "HOST",
    "interface to bind (default: 0.0.0.0, all of them)",
)
.short('H');
static PORT: Flag = Flag::option("port", "PORT", "port number (default: 8000)").short('p');
static USER_DB: Flag = Flag::option(
    "user-db",
    "USER_DB",
    "htpasswd file of users (apr1, bcrypt, SHA1, crypt, SHA-256/512 hashes); every \
     request then needs a login, unless --public-read",
)
.short('u');
/// User names separated by commas: `alice,bob`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserList(pub Vec<String>);

impl FromArg for UserList {
    const EXPECTED: &'static str = "user names separated by commas, such as alice,bob";
    fn from_arg(text: &str) -> Option<UserList> {
        let names: Vec<String> = text.split(',').map(|n| n.trim().to_string()).collect();
        names
            .iter()
            .all(|n| !n.is_empty() && !n.contains(':'))
            .then_some(UserList(names))
    }
}

static PUBLIC_READ: Flag = Flag::switch(
    "public-read",
    "with --user-db: anyone may read and download, only uploads need a login",
);
static UPLOAD_USERS: Flag = Flag::option(
    "upload-users",
    "USERS",
    "with --user-db: only these users (alice,bob) may upload; the others may still \
     read (default: every user may upload)",
)
.repeatable();
static OVERWRITE: Flag = Flag::switch(
    "overwrite",
    "let an upload replace a stored file that has different contents (default: 409)",
);
static MAX_UPLOAD_SIZE: Flag = Flag::option(
    "max-upload-size",
    "SIZE",
    "largest upload accepted, in bytes or with a K, M or G suffix (default: 1G)",
);
static THREADS: Flag = Flag::option("threads", "N", "requests handled at once (default: 16)");
static MAX_CONNECTIONS: Flag = Flag::option(
    "max-connections",
    "N",
    "connections open at once; more are answered 503 (default: 1024)",
);

static UPSTREAM: Flag = Flag::option(
    "upstream",
    "URL",
    "also serve this index's projects (PEP 503/691, such as https://pypi.org/simple/), \
     fetching each file once and keeping it; repeat for more, asked in order, the first \
     that has a project answering for it; credentials from the URL or ~/.netrc",
)
.repeatable();
static UPSTREAM_TTL: Flag = Flag::option(
    "upstream-ttl",
    "TIME",
    "how long an upstream's page is served before it is fetched again, in the \
     background (default: 10m)",
);
static OFFLINE: Flag = Flag::switch(
    "offline",
    "never contact an upstream: serve the pages and files pulled through before",
);

static MAX_SIZE: Flag = Flag::option(
    "max-size",
    "SIZE",
    "the most the stored files may take, in bytes or with a K, M, G or T suffix \
     (powers of 1024: 50G is 50 GiB); past it, the files cached from upstreams \
     downloaded least recently are removed first (default: no limit)",
);
static EVICT_UPLOADS: Flag = Flag::switch(
    "evict-uploads",
    "with --max-size: uploads may be removed too, least recently downloaded first \
     (default: only files cached from upstreams are)",
);

static STORAGE: Flag = Flag::option(
    "storage",
    "URL",
    "keep uploads in an S3-compatible bucket, s3://BUCKET/PREFIX, shared by any number \
     of servers; DIRECTORY then holds only this server's cache (default: DIRECTORY)",
);
static S3_ENDPOINT: Flag = Flag::option(
    "s3-endpoint",
    "URL",
    "with --storage: the store's S3 API, such as https://s3.eu-west-1.amazonaws.com or \
     http://127.0.0.1:3900; credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
);
static S3_REGION: Flag = Flag::option(
    "s3-region",
    "REGION",
    "with --storage: the region requests are signed for (default: us-east-1)",
);
static S3_VIRTUAL_HOST: Flag = Flag::switch(
    "s3-virtual-host",
    "with --storage: name the bucket in the host (BUCKET.endpoint) rather than the path",
);
static S3_CREDENTIALS: Flag = Flag::option(
    "s3-credentials",
    "FILE",
    "with --storage: read the access key from FILE (AWS's format, [default] section) \
     instead of the environment",
);
static S3_REDIRECT: Flag = Flag::switch(
    "s3-redirect",
    "with --storage: answer downloads with a redirect to a presigned URL of the store, \
     so clients fetch the files from it straight",
);

/// Reads the server's arguments (without the program's name); `name` is how the
/// server was started (`curd-server`, `curd server`), for help and hints.
pub fn parse(name: &'static str, args: impl IntoIterator<Item = OsString>) -> Result<Args, Stop> {
    let table = Command {
        name,
        about: "Serve a folder of wheels and sdists to pip, uv, twine and curd, as a PEP \
                503/691 simple index and Curdling's cache API. `prune DIRECTORY --older-than \
                AGE` (see `prune -h`) removes the files not downloaded for a while.",
        flags: vec![
            &DEBUG,
            &HOST,
            &PORT,
            &USER_DB,
            &PUBLIC_READ,
            &UPLOAD_USERS,
            &OVERWRITE,
            &MAX_UPLOAD_SIZE,
            &THREADS,
            &MAX_CONNECTIONS,
            &UPSTREAM,
            &UPSTREAM_TTL,
            &OFFLINE,
            &MAX_SIZE,
            &EVICT_UPLOADS,
            &STORAGE,
            &S3_ENDPOINT,
            &S3_REGION,
            &S3_VIRTUAL_HOST,
            &S3_CREDENTIALS,
            &S3_REDIRECT,
            &VERSION,
        ],
        operand: Some(Operand {
            name: "DIRECTORY",
            help: "the folder of wheels and sdists; created if missing",
            many: false,
        }),
    };
    let m = table.parse(args)?;
    Ok(Args {
        debug: m.switch(&DEBUG),
        host: m.value(&HOST)?.unwrap_or_else(|| "0.0.0.0".to_string()),
        port: m.value(&PORT)?.unwrap_or(8000),
        user_db: m.value(&USER_DB)?,
        public_read: m.switch(&PUBLIC_READ),
        upload_users: m
            .values::<UserList>(&UPLOAD_USERS)?
            .into_iter()
            .flat_map(|list| list.0)
            .collect(),
        overwrite: m.switch(&OVERWRITE),
        max_upload_size: m.value(&MAX_UPLOAD_SIZE)?.unwrap_or(Size(1 << 30)),
        threads: m.value(&THREADS)?.unwrap_or(16),
        max_connections: m.value(&MAX_CONNECTIONS)?.unwrap_or(1024),
        upstreams: m.values(&UPSTREAM)?,
        upstream_ttl: m
            .value::<Ttl>(&UPSTREAM_TTL)?
            .map_or(Duration::from_secs(600), |t| t.0),
        offline: m.switch(&OFFLINE),
        max_size: m.value(&MAX_SIZE)?,
        evict_uploads: m.switch(&EVICT_UPLOADS),
        storage: m.value(&STORAGE)?,
        s3: S3Args {
            endpoint: m.value(&S3_ENDPOINT)?,
            region: m.value(&S3_REGION)?,
            virtual_host: m.switch(&S3_VIRTUAL_HOST),
            credentials: m.value(&S3_CREDENTIALS)?,
            redirect: m.switch(&S3_REDIRECT),
        },
        directory: m.operand()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_args(args: &[&str]) -> Result<Args, Stop> {
        parse("curd-server", args.iter().map(OsString::from))
    }

    #[test]
    fn reads_the_seed_command_line() {
        let args = parse_args(&["-d", "--host=::1", "-p", "0", "-u", "users", "dir"]).unwrap();
        assert!(args.debug);
        assert_eq!((args.host.as_str(), args.port), ("::1", 0));
        assert_eq!(args.user_db, Some(PathBuf::from("users")));
        assert_eq!(args.directory, PathBuf::from("dir"));
        let defaults = parse_args(&["dir"]).unwrap();
        assert_eq!((defaults.host.as_str(), defaults.port), ("0.0.0.0", 8000));
        assert_eq!(defaults.max_upload_size, Size(1 << 30));
        assert_eq!((defaults.threads, defaults.max_connections), (16, 1024));
    }

    #[test]
    fn help_has_the_seed_usage() {
        let Err(Stop::Help(text)) = parse_args(&["-h"]) else {
            panic!("-h is not help");
        };
        let usage = "Usage: curd-server [-h] [-d] [-H HOST] [-p PORT] [-u USER_DB] DIRECTORY";
        assert!(text.contains(usage), "{text}");
        assert!(text.contains("-u, --user-db=USER_DB"), "{text}");
    }

    #[test]
    fn upload_users_are_lists_of_names() {
        let args = parse_args(&["--upload-users", "alice, bob", "--upload-users=carol", "d"]);
        assert_eq!(args.unwrap().upload_users, ["alice", "bob", "carol"]);
        assert!(parse_args(&["d"]).unwrap().upload_users.is_empty());
        for bad in ["", "alice,,bob", "alice,", "a:b"] {
            let Err(Stop::Usage { error, .. }) = parse_args(&["--upload-users", bad, "d"]) else {
                panic!("`{bad}` is a list of users");
            };
            let expected = format!(
                "`--upload-users`: expected user names separated by commas, such as alice,bob, found `{bad}`"
            );
            assert_eq!(error.to_string(), expected);
        }
    }

    #[test]
    fn upstream_flags() {
        let args = parse_args(&[
            "--upstream=https://a/simple/",
            "--upstream",
            "https://b/",
            "--upstream-ttl=30s",
            "--offline",
            "d",
        ])
        .unwrap();
        assert_eq!(args.upstreams, ["https://a/simple/", "https://b/"]);
        assert_eq!(args.upstream_ttl, Duration::from_secs(30));
        assert!(args.offline);
        let defaults = parse_args(&["d"]).unwrap();
        assert_eq!(defaults.upstream_ttl, Duration::from_secs(600));
        assert!(defaults.upstreams.is_empty() && !defaults.offline);
        let ttl = |text| Ttl::from_arg(text).map(|t| t.0.as_secs());
        assert_eq!(
            [ttl("600"), ttl("10m"), ttl("1h"), ttl("0")],
            [Some(600), Some(600), Some(3600), Some(0)]
        );
        assert_eq!(ttl("soon"), None);
    }

    #[test]
    fn retention_flags() {
        let args = parse_args(&["--max-size=50G", "--evict-uploads", "d"]).unwrap();
        assert_eq!(
            (args.max_size, args.evict_uploads),
            (Some(Size(50 << 30)), true)
        );
        let defaults = parse_args(&["d"]).unwrap();
        assert_eq!((defaults.max_size, defaults.evict_uploads), (None, false));
        let age = |text| Age::from_arg(text).map(|a| a.0.as_secs());
        assert_eq!(
            [age("90d"), age("2w"), age("12h"), age("600")],
            [
                Some(90 * 86_400),
                Some(14 * 86_400),
                Some(12 * 3600),
                Some(600)
            ]
        );
        assert_eq!(age("soon"), None);
    }

    #[test]
    fn version_needs_no_directory() {
        let Err(Stop::Help(text)) = parse_args(&["--version"]) else {
            panic!("--version does not print the version");
        };
        assert_eq!(text, format!("curd-server {}\n", env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        let size = |text| Size::from_arg(text);
        assert_eq!(size("1048576"), Some(Size(1 << 20)));
        assert_eq!(size("512K"), Some(Size(512 << 10)));
        assert_eq!(size("100m"), Some(Size(100 << 20)));
        assert_eq!(size("2G"), Some(Size(2 << 30)));
        assert_eq!(size("50T"), Some(Size(50 << 40)));
        assert_eq!(size("lots"), None);
        assert_eq!(size("99999999999G"), None);
        let Err(Stop::Usage { error, .. }) = parse_args(&["--max-upload-size=lots", "d"]) else {
            panic!("a bad size is not an error");
        };
        let expected = "`--max-upload-size`: expected a size such as 1048576, 512K, 100M, 2G or 1T, found `lots`";
        assert_eq!(error.to_string(), expected);
    }
}

//! The cache server: a folder of wheels served over HTTP.
//!
//! Data flows http -> routes -> auth -> storage: `http` owns connections and the
//! protocol, `routes` maps requests to handlers, `auth` decides who may do what
//! (over `htpasswd`, the user file and its hashes), `storage` is the only module
//! that touches the folder, and `pages` renders what the index says.
//!
//! Everything the server says goes to stderr through `crate::util::messages`: the
//! start-up lines and one access-log line per request at the default level, each
//! request's headers at the debug level that `-d` sets.

pub mod access;
pub mod args;
pub mod auth;
pub mod htpasswd;
pub mod http;
pub mod multipart;
pub mod pages;
pub mod prune;
pub mod pull;
pub mod retention;
pub mod routes;
pub mod storage;
pub mod store;
pub mod upstream;

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use self::args::Args;
use self::auth::{ReadAccess, Uploaders};
use self::routes::App;
use self::store::Store;
use crate::util::messages::{self, Level, count};

/// Why the server could not start or stopped.
#[derive(Debug)]
pub enum ServerError {
    /// The host and port do not name an address; no `source` when the lookup
    /// found none.
    Address {
        host: String,
        port: u16,
        source: Option<std::io::Error>,
    },
    /// The address is taken or not ours.
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// The folder could not be created or read.
    Storage(crate::util::fs::FsError),
    /// The user database could not be read.
    Users(htpasswd::HtpasswdError),
    /// `--upload-users` without a user database to log in against.
    UploadUsersAlone,
    /// `--upload-users` names a user the database does not have.
    UnknownUploader { user: String, user_db: PathBuf },
    /// An `--upstream` is no http or https URL.
    Upstream(crate::standards::url::UrlError),
    /// An `--upstream` is a local file, which pull-through does not read.
    UpstreamScheme(crate::standards::url::Url),
    /// The certificates to trust upstreams with could not be read.
    Certs(crate::util::tls::CertError),
    /// The connection loop failed.
    Io(std::io::Error),
    /// `prune` was given a folder that does not exist.
    NoFolder(PathBuf),
    /// `--storage` is no `s3://BUCKET/PREFIX` URL.
    StorageUrl(String),
    /// An `--s3-…` flag without `--storage`, or `--storage` without `--s3-endpoint`.
    S3Flags(&'static str),
    /// The bucket's settings or credentials are unusable.
    S3(store::s3::S3Error),
    /// The bucket could not be reached or refused the server at start-up.
    Bucket(store::bucket::StoreError),
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerError::Address { host, port, source } => match source {
                Some(e) => write!(f, "cannot resolve `{host}:{port}`: {e}"),
                None => write!(f, "cannot resolve `{host}:{port}`: no address found"),
            },
            ServerError::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            ServerError::Storage(e) => e.fmt(f),
            ServerError::Users(e) => e.fmt(f),
            ServerError::UploadUsersAlone => f.write_str(
                "`--upload-users` needs `--user-db`: without a user database no one logs in",
            ),
            ServerError::UnknownUploader { user, user_db } => write!(
                f,
                "`--upload-users`: no user `{}` in `{}`",
                user.escape_debug(),
                user_db.display()
            ),
            ServerError::Upstream(e) => write!(f, "`--upstream`: {e}"),
            ServerError::UpstreamScheme(url) => write!(
                f,
                "`--upstream`: expected an http or https URL, found `{url}`"
            ),
            ServerError::Certs(e) => e.fmt(f),
            ServerError::Io(e) => write!(f, "server failed: {e}"),
            ServerError::StorageUrl(url) => write!(
                f,
                "`--storage`: expected s3://BUCKET or s3://BUCKET/PREFIX, found `{}`",
                url.escape_debug()
            ),
            ServerError::S3Flags(what) => f.write_str(what),
            ServerError::S3(e) => e.fmt(f),
            ServerError::Bucket(e) => write!(f, "cannot use the bucket: {e}"),
            ServerError::NoFolder(dir) => {
                write!(
                    f,
                    "no folder `{}`: expected the server's folder",
                    dir.display()
                )
            }
        }
    }
}

impl std::error::Error for ServerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServerError::Address { source, .. } => source.as_ref().map(|e| e as _),
            ServerError::Bind { source, .. } | ServerError::Io(source) => Some(source),
            ServerError::Storage(e) => Some(e),
            ServerError::Users(e) => Some(e),
            ServerError::Upstream(e) => Some(e),
            ServerError::Certs(e) => Some(e),
            ServerError::S3(e) => Some(e),
            ServerError::Bucket(e) => Some(e),
            ServerError::StorageUrl(_) | ServerError::S3Flags(_) => None,
            ServerError::UploadUsersAlone
            | ServerError::UnknownUploader { .. }
            | ServerError::UpstreamScheme(_)
            | ServerError::NoFolder(_) => None,
        }
    }
}

/// Runs what the command line (after the program's name) asks: `prune
/// DIRECTORY …`, else the server. `name` is how the server was started
/// (`curd-server`, `curd server`). A folder named `prune` is served as `./prune`.
pub fn main(name: &'static str, argv: Vec<std::ffi::OsString>) -> Result<(), ServerError> {
    if argv.len() > 1 && argv[0] == "prune" {
        let prune_name = if name == "curd server" {
            "curd server prune"
        } else {
            "curd-server prune"
        };
        let prune_args =
            prune::parse(prune_name, argv.into_iter().skip(1)).unwrap_or_else(|s| s.exit());
        return prune::prune(&prune_args);
    }
    run(args::parse(name, argv).unwrap_or_else(|s| s.exit()))
}

/// Runs the server until SIGINT or SIGTERM.
pub fn run(args: Args) -> Result<(), ServerError> {
    if args.debug {
        messages::set_level(Level::Debug);
    }
    let address_error = |source| ServerError::Address {
        host: args.host.clone(),
        port: args.port,
        source,
    };
    let addr = (args.host.as_str(), args.port)
        .to_socket_addrs()
        .map_err(|e| address_error(Some(e)))?
        .next()
        .ok_or_else(|| address_error(None))?;
    let threads = args.threads.max(1);
    let users = match &args.user_db {
        Some(path) => Some(auth::UserDb::open(path, threads).map_err(ServerError::Users)?),
        None => None,
    };
    let uploaders = uploaders(&args, users.as_ref())?;
    let (storage, folder, copies) = open_store(&args)?;
    let dir = match &folder {
        Some(folder) => folder.dir().to_path_buf(),
        None => args.directory.clone(),
    };
    let pull = pull_through(&args, &dir, threads)?;
    let listener = http::bind(addr).map_err(|source| ServerError::Bind { addr, source })?;
    let local = listener.local_addr().unwrap_or(addr);

    let shutdown = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // The first signal lets in-flight requests finish; a second one exits at once.
        signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(&shutdown))
            .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&shutdown)))
            .map_err(ServerError::Io)?;
    }
    let index = storage.index();
    let files: usize = index.projects.values().map(Vec::len).sum();
    crate::message!(
        "curd-server: serving {} ({}, {}) on http://{local}/{}",
        storage.describe(),
        count(index.projects.len(), "project"),
        count(files, "file"),
        if users.is_some() {
            " (login required)"
        } else {
            ""
        }
    );
    Arc::clone(&storage).warm_up();
    if let Some(pull) = &pull {
        storage::Storage::warm_up(&pull.store);
        let from: Vec<String> = pull.upstreams().iter().map(|u| u.to_string()).collect();
        if pull.offline() {
            crate::message!("curd-server: offline: serving what was pulled through before");
        } else {
            crate::message!("curd-server: pulling through from {}", from.join(", "));
        }
    }
    let spool_dir = storage.spool().to_path_buf();
    let read_access = if args.public_read {
        ReadAccess::Anonymous
    } else {
        ReadAccess::LoginRequired
    };
    let app = App::new(
        storage,
        users,
        read_access,
        uploaders,
        args.overwrite,
        args.max_upload_size.0,
    );
    let retention = Arc::new(retention::Retention::new(
        &dir,
        folder,
        pull.clone(),
        copies,
        args.max_size.map(|s| s.0),
        args.evict_uploads,
    ));
    retention.start();
    let app = app.with_retention(retention);
    let app = match pull {
        Some(pull) => app.with_pull(pull),
        None => app,
    };
    let limits = http::Limits {
        threads,
        max_connections: connection_limit(args.max_connections.max(1), threads),
        ..http::Limits::default()
    };
    http::serve(
        listener,
        Arc::new(app),
        limits,
        spool_dir,
        Arc::clone(&shutdown),
    )
    .map_err(ServerError::Io)?;
    crate::message!("curd-server: stopped");
    Ok(())
}

/// The store of uploads; the folder when it is one, else this server's copies
/// of the bucket's files.
type Opened = (
    Arc<dyn Store>,
    Option<Arc<storage::Storage>>,
    Option<Arc<store::copies::Copies>>,
);

/// Where uploads live: the folder (also returned as such, for what only a folder
/// has), or the bucket `--storage` names, with DIRECTORY as this server's cache.
fn open_store(args: &Args) -> Result<Opened, ServerError> {
    let Some(url) = &args.storage else {
        if args.s3.endpoint.is_some()
            || args.s3.region.is_some()
            || args.s3.virtual_host
            || args.s3.credentials.is_some()
            || args.s3.redirect
        {
            return Err(ServerError::S3Flags(
                "the `--s3-…` flags need `--storage s3://BUCKET/PREFIX`",
            ));
        }
        let folder =
            Arc::new(storage::Storage::open(&args.directory).map_err(ServerError::Storage)?);
        return Ok((Arc::clone(&folder) as Arc<dyn Store>, Some(folder), None));
    };
    let (bucket, prefix) = url
        .strip_prefix("s3://")
        .map(|rest| rest.split_once('/').unwrap_or((rest, "")))
        .filter(|(bucket, _)| !bucket.is_empty())
        .ok_or_else(|| ServerError::StorageUrl(url.clone()))?;
    let Some(endpoint) = &args.s3.endpoint else {
        return Err(ServerError::S3Flags(
            "`--storage` needs `--s3-endpoint URL`, the store's S3 API",
        ));
    };
    if args.evict_uploads {
        return Err(ServerError::S3Flags(
            "`--evict-uploads` works with a folder: a bucket's size is the store's to bound",
        ));
    }
    let credentials =
        store::s3::Credentials::load(args.s3.credentials.as_deref()).map_err(ServerError::S3)?;
    let bucket = store::s3::Bucket::new(store::s3::Config {
        endpoint: endpoint.clone(),
        region: args.s3.region.clone().unwrap_or_else(|| "us-east-1".into()),
        bucket: bucket.to_string(),
        addressing: if args.s3.virtual_host {
            store::s3::Addressing::VirtualHost
        } else {
            store::s3::Addressing::Path
        },
        credentials,
        timeout: S3_TIMEOUT,
        part_size: store::s3::DEFAULT_PART,
    })
    .map_err(ServerError::S3)?;
    std::fs::create_dir_all(&args.directory).map_err(|source| {
        ServerError::Storage(crate::util::fs::FsError {
            path: args.directory.clone(),
            action: "create folder",
            source,
        })
    })?;
    let bucket =
        store::bucket::BucketStore::open(bucket, prefix, args.directory.join("bucket-cache"))
            .map_err(ServerError::Bucket)?;
    if !bucket.conditional() {
        crate::message!(
            "curd-server: the store ignores conditional writes (If-None-Match); names are guarded by claims"
        );
    }
    let redirect = args.s3.redirect.then_some(PRESIGNED_FOR);
    let copies = Arc::clone(bucket.copies());
    let remote = store::remote::Remote::new(bucket, args.directory.clone(), redirect);
    Ok((Arc::new(remote), None, Some(copies)))
}

/// The longest wait on the store: to connect, and between bytes.
const S3_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// How long a presigned download URL of `--s3-redirect` works.
const PRESIGNED_FOR: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The pull-through cache, when `--upstream` or `--offline` asks for one: in
/// `DIRECTORY/upstream/`, apart from uploads. Waiting on upstreams may take at
/// most three quarters of the workers, so local files are always answered.
fn pull_through(
    args: &Args,
    dir: &std::path::Path,
    threads: usize,
) -> Result<Option<Arc<pull::Pull>>, ServerError> {
    if args.upstreams.is_empty() && !args.offline {
        return Ok(None);
    }
    let upstreams = if args.offline {
        None
    } else {
        let mut urls = Vec::new();
        for text in &args.upstreams {
            let url = crate::standards::url::Url::parse(text).map_err(ServerError::Upstream)?;
            if url.scheme() == crate::standards::url::Scheme::File {
                return Err(ServerError::UpstreamScheme(url));
            }
            urls.push(url);
        }
        let netrc = netrc_text();
        Some(upstream::Upstreams::new(urls, netrc.as_deref()).map_err(ServerError::Certs)?)
    };
    let max_waiting = threads - threads / 4;
    let pull = pull::Pull::open(
        dir.join("upstream"),
        upstreams,
        args.upstream_ttl,
        max_waiting,
    )
    .map_err(ServerError::Storage)?;
    Ok(Some(Arc::new(pull)))
}

/// The netrc file's text (`$NETRC`, else `~/.netrc`); none when unreadable, as in curl.
fn netrc_text() -> Option<String> {
    let path = std::env::var_os("NETRC")
        .map(PathBuf::from)
        .or_else(|| std::env::home_dir().map(|home| home.join(".netrc")))?;
    let bytes = crate::util::fs::read_bounded(&path, 1 << 20).ok()?;
    String::from_utf8(bytes).ok()
}

/// Who may upload, once each name `--upload-users` gives is known to the user
/// database: a misspelt name would otherwise only show when its uploads fail.
fn uploaders(args: &Args, users: Option<&auth::UserDb>) -> Result<Uploaders, ServerError> {
    if args.upload_users.is_empty() {
        return Ok(Uploaders::default());
    }
    let (Some(users), Some(user_db)) = (users, &args.user_db) else {
        return Err(ServerError::UploadUsersAlone);
    };
    if let Some(user) = args.upload_users.iter().find(|u| !users.has_user(u)) {
        return Err(ServerError::UnknownUploader {
            user: user.clone(),
            user_db: user_db.clone(),
        });
    }
    Ok(Uploaders::only(args.upload_users.iter().cloned()))
}

/// Raises the soft open-files limit as far as the hard one allows, and keeps the
/// connection limit under it (each worker may also hold a file open), so the server
/// answers 503 rather than failing to accept.
fn connection_limit(wanted: usize, threads: usize) -> usize {
    let Ok(files) = rlimit::increase_nofile_limit(u64::MAX) else {
        return wanted;
    };
    let reserve = threads as u64 + 32;
    let most = usize::try_from(files.saturating_sub(reserve))
        .unwrap_or(usize::MAX)
        .max(1);
    if wanted > most {
        crate::message!(
            "curd-server: the open-files limit allows {most} connections, not {wanted}"
        );
    }
    wanted.min(most)
}

//! Routes: maps each request to its handler, checks who may make it, and picks the
//! status code. Reaches the uploads only through the [`Store`] (a folder or a bucket).

mod removals;
mod uploads;

use std::sync::{Arc, Mutex};

use crate::server::auth::{Denied, ReadAccess, Uploaders, UserDb};
use crate::server::http::{Handler, Payload, Request, Response};
use crate::server::pages::{self, Format, Row};
use crate::server::pull::{Pull, PullError, Upstreamed};
use crate::server::retention::Retention;
use crate::server::storage::{Index, NotServed, StoredFile};
use crate::server::store::Store;
use crate::standards::filename::{DistFilename, Shown};
use crate::standards::name::PackageName;
use crate::standards::requirement::{Requirement, VersionOrUrl};
use crate::util::encoding::percent_encode;
use crate::util::lru::Lru;
use crate::util::messages::count;
use crate::util::sync::lock;

/// The application: every route, over one store of uploads.
pub struct App {
    pub storage: Arc<dyn Store>,
    pub users: Option<UserDb>,
    pub read_access: ReadAccess,
    pub uploaders: Uploaders,
    pub overwrite: bool,
    pub max_upload: u64,
    /// Pull-through from upstream indexes, when on.
    pub pull: Option<Arc<Pull>>,
    /// Download times and the size limit.
    pub retention: Option<Arc<Retention>>,
    pages: Mutex<PageCache>,
    /// Project pages with upstream rows, by what they were rendered from.
    union_pages: Mutex<UnionPages>,
}

type UnionPages = Lru<(PackageName, Format), (UnionStamp, Arc<Vec<u8>>)>;

/// Bytes of rendered pages kept, for each of the two caches: a page of a few
/// files renders in microseconds, so the caches are for the big pages clients ask
/// for again and again, and are kept small.
const RENDERED_BYTES: usize = 2 * 1024 * 1024;

/// What a project page with upstream rows is rendered from: the folder's index
/// generation, the upstream cache's, and the upstream listing's serial.
type UnionStamp = (u64, u64, u64);

/// Rendered pages of one index generation; emptied when the index changes.
struct PageCache {
    generation: u64,
    pages: Lru<PageKey, Arc<Vec<u8>>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum PageKey {
    Simple(Format),
    Project(PackageName, Format),
    ApiProjects,
    Home,
}

impl App {
    pub fn new(
        storage: Arc<dyn Store>,
        users: Option<UserDb>,
        read_access: ReadAccess,
        uploaders: Uploaders,
        overwrite: bool,
        max_upload: u64,
    ) -> App {
        App {
            storage,
            users,
            read_access,
            uploaders,
            overwrite,
            max_upload,
            pull: None,
            retention: None,
            pages: Mutex::new(PageCache {
                generation: 0,
                pages: Lru::new(RENDERED_BYTES),
            }),
            union_pages: Mutex::new(Lru::new(RENDERED_BYTES)),
        }
    }

    /// Notes downloads and keeps the folder under its size limit.
    pub fn with_retention(mut self, retention: Arc<Retention>) -> App {
        self.retention = Some(retention);
        self
    }

    /// Serves the upstreams' projects beside the folder's.
    pub fn with_pull(mut self, pull: Arc<Pull>) -> App {
        self.pull = Some(pull);
        self
    }

    /// Lets the request in, or answers 401 (429 to a client that failed too often,
    /// 503 when too many logins are being checked, 403 to a user who may not upload).
    /// `None` user means no login was needed.
    fn authorize(&self, request: &Request<'_>, write: bool) -> Result<Option<String>, Response> {
        let Some(users) = &self.users else {
            return Ok(None);
        };
        if !self.read_access.needs_login(write) {
            return Ok(None);
        }
        let result = users.authenticate(request.peer.ip(), request.header("authorization"));
        if let Some(e) = users.take_reload_error() {
            crate::message!("curd-server: {e}; the previous users stay in force");
        }
        let user = result.map_err(|denied| {
            // The reason (no such user, wrong password) is for the log: telling the
            // client would say which user names exist.
            crate::message!("curd-server: {}: login refused: {denied}", request.peer);
            login_refused(&denied)
        })?;
        if write && !self.uploaders.allows(&user) {
            let message = format!(
                "user `{}` may not upload to this server",
                user.escape_debug()
            );
            return Err(Response::text(403, message).with_user(Some(user)));
        }
        Ok(Some(user))
    }

    /// A rendered page from the cache, or rendered now and cached.
    fn page(
        &self,
        index: &Index,
        key: PageKey,
        render: impl FnOnce(&Index) -> Vec<u8>,
    ) -> Arc<Vec<u8>> {
        {
            let mut cache = lock(&self.pages);
            if cache.generation != index.generation {
                cache.generation = index.generation;
                cache.pages.clear();
            }
            if let Some(page) = cache.pages.get(&key) {
                return Arc::clone(page);
            }
        }
        let page = Arc::new(render(index));
        let mut cache = lock(&self.pages);
        if cache.generation == index.generation {
            cache.pages.insert(key, Arc::clone(&page), page.len());
        }
        page
    }

    fn route(&self, request: &mut Request<'_>) -> Response {
        let method = request.method.as_str();
        let read = matches!(method, "GET" | "HEAD");
        let path = request.path.clone();
        let segments: Vec<&str> = path.split('/').skip(1).collect();

        if path == "/health" {
            return allow(read, "GET, HEAD", || Response::text(200, "ok"));
        }
        let write = is_upload(method, &segments) || is_delete(method, &segments);
        let user = match self.authorize(request, write) {
            Ok(user) => user,
            Err(denied) => return denied,
        };
        let response = match segments.as_slice() {
            [""] if method == "POST" => self.twine_upload(request),
            ["legacy", ""] => allow(method == "POST", "POST", || self.twine_upload(request)),
            [""] => allow(read, "GET, HEAD, POST", || self.home(request)),
            ["api"] | ["api", ""] => allow(read, "GET, HEAD", || {
                let index = self.storage.index();
                let page = self.page(&index, PageKey::ApiProjects, pages::api_projects);
                shared(200, "application/json", page)
            }),
            ["api", project] => allow(read, "GET, HEAD", || self.api_project(request, project)),
            ["p", file] if method == "PUT" => self.put_upload(request, file),
            ["p", file] if method == "DELETE" => self.delete(file),
            ["p", file] => allow(read, "GET, HEAD, PUT, DELETE", || {
                self.download(request, file)
            }),
            ["s", query] => allow(read, "GET, HEAD", || self.search(request, query)),
            ["simple"] => Response::empty(301).header("Location", "/simple/"),
            ["simple", ""] => allow(read, "GET, HEAD", || self.simple_index(request)),
            ["simple", project] => {
                Response::empty(301).header("Location", format!("/simple/{project}/"))
            }
            ["simple", project, ""] => {
                allow(read, "GET, HEAD", || self.simple_project(request, project))
            }
            _ => Response::text(404, format!("not found: `{path}`")),
        };
        response.with_user(user)
    }

    /// The page's table is cached; the commands that name this server's address (from
    /// the client's Host header) are not, so no client can fill the cache.
    fn home(&self, request: &Request<'_>) -> Response {
        let host = request.header("host").unwrap_or("localhost:8000");
        let base = format!("http://{host}");
        let index = self.storage.index();
        let table = self.page(&index, PageKey::Home, pages::home_table);
        let mut page = pages::home_header(&index, &base, self.users.is_some());
        if let Some(pull) = &self.pull {
            page.push_str(&crate::server::pull::summary::summary(pull, &index));
        }
        if let Some(retention) = &self.retention {
            page.push_str(&retention.summary());
        }
        let mut page = page.into_bytes();
        page.extend_from_slice(&table);
        Response::new(200, "text/html; charset=utf-8", Payload::Bytes(page))
    }

    fn simple_index(&self, request: &Request<'_>) -> Response {
        let Some(format) = negotiate(request) else {
            return not_acceptable();
        };
        let index = self.storage.index();
        if let Some(pull) = &self.pull {
            let cached = pull.store.index();
            let names = index.projects.keys().chain(cached.projects.keys());
            let page = pages::simple_index(names.collect(), format);
            return Response::new(200, format.content_type(), Payload::Bytes(page))
                .header("Vary", "Accept");
        }
        let page = self.page(&index, PageKey::Simple(format), |index| {
            pages::simple_index(index.projects.keys().collect(), format)
        });
        shared(200, format.content_type(), page).header("Vary", "Accept")
    }

    fn simple_project(&self, request: &Request<'_>, project: &str) -> Response {
        let Some(format) = negotiate(request) else {
            return not_acceptable();
        };
        let raw = percent_decode(project);
        let Ok(name) = PackageName::new(&raw) else {
            return Response::text(404, format!("no project named `{}`", Shown(&raw)));
        };
        if name.as_str() != raw {
            // PEP 503: the normalized name is the canonical URL.
            return Response::empty(301).header("Location", format!("/simple/{name}/"));
        }
        let index = self.storage.index();
        if let Some(pull) = &self.pull {
            let key = (name.clone(), format);
            let cached_generation = pull.store.index().generation;
            let stamp = |serial| (index.generation, cached_generation, serial);
            if let Some(listing) = pull.peek(&name)
                && let Some((rendered, page)) = lock(&self.union_pages).get(&key)
                && *rendered == stamp(listing.serial)
            {
                let listing = pull.hit(&name, listing);
                let response = shared(200, format.content_type(), Arc::clone(page));
                return with_age(response.header("Vary", "Accept"), Some(listing.age()));
            }
            return match self.project_rows(&index, &name) {
                Ok(Some(Upstreamed { rows, age, serial })) => {
                    let page = Arc::new(pages::simple_project(&name, &rows, format));
                    if let Some(serial) = serial {
                        lock(&self.union_pages).insert(
                            key,
                            (stamp(serial), Arc::clone(&page)),
                            page.len(),
                        );
                    }
                    let response = shared(200, format.content_type(), page);
                    with_age(response.header("Vary", "Accept"), age)
                }
                Ok(None) => Response::text(404, format!("no project named `{name}`")),
                Err(response) => response,
            };
        }
        let Some(files) = index.project(&name) else {
            return Response::text(404, format!("no project named `{name}`"));
        };
        let key = PageKey::Project(name.clone(), format);
        let page = self.page(&index, key, |_| {
            let rows: Vec<Row> = files
                .iter()
                .map(|f| Row::stored(&*self.storage, f))
                .collect();
            pages::simple_project(&name, &rows, format)
        });
        shared(200, format.content_type(), page).header("Vary", "Accept")
    }

    /// A project's rows, newest first: the folder's files, then the upstream's
    /// that no local file names (a local file wins on its name), with the age of
    /// the upstream's page. `None` when no one has the project; an upstream
    /// failure with nothing to stand in for it is a 502.
    fn project_rows(
        &self,
        index: &Index,
        name: &PackageName,
    ) -> Result<Option<Upstreamed>, Response> {
        let local = index.project(name).unwrap_or_default();
        let mut rows: Vec<Row> = local
            .iter()
            .map(|f| Row::stored(&*self.storage, f))
            .collect();
        let (mut age, mut serial) = (None, None);
        if let Some(pull) = &self.pull {
            match pull.project(name) {
                Ok(upstream) => {
                    (age, serial) = (upstream.age, upstream.serial);
                    let theirs = upstream.rows.into_iter();
                    rows.extend(theirs.filter(|r| !local.iter().any(|f| f.name == r.name)));
                }
                Err(e) if local.is_empty() => return Err(pull_error(&e)),
                Err(_) => {}
            }
        }
        if rows.is_empty() {
            return Ok(None);
        }
        pages::sort_rows(&mut rows);
        Ok(Some(Upstreamed { rows, age, serial }))
    }

    /// Curdling's `/api/<project>`. Its client downloads each URL as it is, so they
    /// are absolute, to the host the client asked; rendered for each request, as
    /// the Host header is the client's to choose.
    fn api_project(&self, request: &Request<'_>, project: &str) -> Response {
        let raw = percent_decode(project);
        let not_found = || {
            let body = pages::json_error(&format!("no project named `{}`", Shown(&raw)));
            Response::new(404, "application/json", Payload::Bytes(body))
        };
        let Ok(name) = PackageName::new(&raw) else {
            return not_found();
        };
        let index = self.storage.index();
        let Upstreamed { rows, age, .. } = match self.project_rows(&index, &name) {
            Ok(Some(found)) => found,
            Ok(None) => return not_found(),
            Err(response) => return response,
        };
        let base = request
            .header("host")
            .map_or(String::new(), |host| format!("http://{host}"));
        let page = pages::api_project(&name, &rows, &base);
        with_age(
            Response::new(200, "application/json", Payload::Bytes(page)),
            age,
        )
    }

    /// `/s/<query>`: Curdling's search, which sends the file itself as an attachment.
    /// The query is a requirement (`flask>=2,<3`, or PEP 345's `flask (>=2)`), then
    /// optionally `;` and a format: `whl`, `gz` or `zip` (a file's last extension),
    /// or `~` before one for any other. As Curdling does, the newest version that
    /// satisfies the requirement is chosen first, then its file in that format;
    /// without a format, a pure-Python wheel, then any wheel, then the sdist.
    fn search(&self, request: &Request<'_>, query: &str) -> Response {
        let text = percent_decode(query);
        let (spec, format) = text.split_once(';').unwrap_or((&text, ""));
        let (negated, extension) = match format.strip_prefix('~') {
            Some(extension) => (true, extension),
            None => (false, format),
        };
        if !format.is_empty() && !["whl", "gz", "zip"].contains(&extension) {
            return Response::text(
                400,
                format!(
                    "unknown format `{}` in `{}`: expected whl, gz or zip, or `~` before one for any other",
                    Shown(format),
                    Shown(&text)
                ),
            );
        }
        let fits = |f: &StoredFile| {
            format.is_empty() || (f.name.rsplit('.').next() == Some(extension)) != negated
        };
        let requirement: Requirement = match spec.parse() {
            Ok(r) => r,
            Err(e) => {
                let reason = format!("invalid requirement {}", e.summary());
                return Response::text(400, reason);
            }
        };
        let specifiers = match &requirement.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(s)) => s.clone(),
            Some(VersionOrUrl::Url(_)) => {
                return Response::text(
                    400,
                    format!(
                        "`{}` names a URL: expected a name and version specifiers",
                        Shown(spec)
                    ),
                );
            }
            None => Default::default(),
        };
        let index = self.storage.index();
        let files = index.project(&requirement.name).unwrap_or_default();
        let versions: Vec<_> = files.iter().map(|f| f.filename.version()).collect();
        let Some(version) = specifiers.filter(versions).into_iter().max() else {
            return Response::text(
                404,
                format!(
                    "no release of `{}` satisfies `{}`",
                    requirement.name,
                    Shown(spec)
                ),
            );
        };
        // Files are sorted wheels first within a version.
        let candidates = files
            .iter()
            .filter(|f| f.filename.version() == version && fits(f));
        let pure = |f: &&Arc<StoredFile>| f.name.ends_with("-none-any.whl");
        let Some(file) = candidates
            .clone()
            .find(pure)
            .or_else(|| candidates.clone().next())
        else {
            return Response::text(
                404,
                format!(
                    "no `{}` file of {} {version}, the newest release that satisfies `{}`",
                    Shown(format),
                    requirement.name,
                    Shown(spec)
                ),
            );
        };
        let response = self.download(request, &percent_encode(&file.name));
        if response.status != 200 {
            return response;
        }
        response.header(
            "Content-Disposition",
            format!("attachment; filename=\"{}\"", file.name),
        )
    }

    fn download(&self, request: &Request<'_>, file: &str) -> Response {
        let raw = percent_decode(file);
        let (name, metadata) = match raw.strip_suffix(".metadata") {
            Some(wheel) => (wheel, true),
            None => (raw.as_str(), false),
        };
        let not_found = || Response::text(404, format!("not found: `{}`", Shown(&raw)));
        let Ok(filename) = DistFilename::parse(name) else {
            return not_found();
        };
        let refusal = |why: NotServed| match why {
            NotServed::Missing => not_found(),
            NotServed::Invalid(why) => Response::text(404, format!("not served: {why}")),
            NotServed::Busy => Response::text(
                503,
                "the server holds too much metadata in memory now; retry shortly",
            )
            .header("Retry-After", "1"),
            NotServed::Unavailable(e) => {
                crate::message!("curd-server: {e}");
                Response::text(503, format!("the store is unavailable: {e}"))
                    .header("Retry-After", "1")
            }
        };
        if metadata {
            let payload = match (self.storage.wheel_metadata(&filename), &self.pull) {
                (Ok(bytes), _) => Payload::Shared(bytes),
                (Err(NotServed::Missing), Some(pull)) if filename.is_wheel() => {
                    match pull.metadata(&filename) {
                        Ok(Some(payload)) => payload,
                        Ok(None) => return not_found(),
                        Err(e) => return pull_error(&e),
                    }
                }
                (Err(why), _) => return refusal(why),
            };
            return Response::new(200, "text/plain; charset=utf-8", payload);
        }
        if let Some(url) = self.storage.redirect(&filename) {
            return Response::empty(302).header("Location", url);
        }
        // The ETag is the hash of what this very handle reads, whatever replaces
        // the file meanwhile.
        let download = match (self.storage.download(&filename), &self.pull) {
            (Ok(download), _) => {
                if let Some(retention) = &self.retention.as_ref().filter(|_| download.copied) {
                    retention.poke();
                }
                download
            }
            (Err(NotServed::Missing), Some(pull)) => match pull.download(&filename) {
                Ok(Some(download)) => {
                    if let Some(retention) = &self.retention {
                        retention.poke();
                    }
                    download
                }
                Ok(None) => return not_found(),
                Err(e) => return pull_error(&e),
            },
            (Err(why), _) => return refusal(why),
        };
        if let Some(retention) = &self.retention {
            retention.access.touch(name);
        }
        let etag = format!("\"{}\"", download.sha256);
        if request.header("if-none-match").is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        }) {
            return Response::empty(304).header("ETag", etag);
        }
        Response::new(
            200,
            content_type(name),
            Payload::File(download.file, download.size),
        )
        .header("ETag", etag)
    }
}

impl Handler for App {
    /// Only uploads read a body, and only from whoever may upload; any other
    /// request is answered without waiting for its body.
    fn admit(&self, request: &mut Request<'_>) -> Result<u64, Response> {
        let segments: Vec<&str> = request.path.split('/').skip(1).collect();
        if !is_upload(&request.method, &segments) {
            return Err(self.route(request));
        }
        self.authorize(request, true)?;
        self.check_upload(request)?;
        Ok(self.max_upload)
    }

    fn handle(&self, request: &mut Request<'_>) -> Response {
        self.route(request)
    }
}

/// The route that removes a file, which needs the rights an upload needs.
fn is_delete(method: &str, segments: &[&str]) -> bool {
    matches!((method, segments), ("DELETE", ["p", _]))
}

/// The routes that take an upload, and need a login to write.
fn is_upload(method: &str, segments: &[&str]) -> bool {
    matches!(
        (method, segments),
        ("PUT", ["p", _]) | ("POST", [""]) | ("POST", ["legacy", ""])
    )
}

fn allow(ok: bool, methods: &'static str, respond: impl FnOnce() -> Response) -> Response {
    if ok {
        respond()
    } else {
        Response::text(405, format!("method not allowed here: expected {methods}"))
            .header("Allow", methods)
    }
}

/// Why a login was refused, as the client hears it.
fn login_refused(denied: &Denied) -> Response {
    match denied {
        Denied::ShutOut(wait) => {
            let seconds = wait.seconds();
            let message = format!(
                "too many failed logins from this address; retry after {}",
                count(seconds as usize, "second")
            );
            Response::text(429, message).header("Retry-After", seconds.to_string())
        }
        Denied::Busy => Response::text(
            503,
            "too many logins are being checked at once; retry in a second",
        )
        .header("Retry-After", "1"),
        _ => Response::text(401, "login required").header(
            "WWW-Authenticate",
            "Basic realm=\"curd\", charset=\"UTF-8\"",
        ),
    }
}

/// What a client hears when pulling through failed; the server's own trouble
/// is said in the log (with its paths), the client hears that it happened.
fn pull_error(e: &PullError) -> Response {
    let status = e.status();
    if status == 500 {
        crate::message!("curd-server: {e}");
        return Response::text(
            500,
            "the server could not store an upstream file; its log says why",
        );
    }
    let response = Response::text(status, e);
    if status == 503 {
        return response.header("Retry-After", "1");
    }
    response
}

/// Says how old the upstream's part of a page is (RFC 9111's `Age`).
fn with_age(response: Response, age: Option<std::time::Duration>) -> Response {
    match age {
        Some(age) => response.header("Age", age.as_secs().to_string()),
        None => response,
    }
}

fn shared(status: u16, content_type: &str, page: Arc<Vec<u8>>) -> Response {
    Response::new(status, content_type, Payload::Shared(page))
}

fn negotiate(request: &Request<'_>) -> Option<Format> {
    let by_query = request
        .query
        .split('&')
        .find_map(|kv| kv.strip_prefix("format="));
    match by_query {
        Some(f) => Format::negotiate(Some(&percent_decode(f))),
        None => Format::negotiate(request.header("accept")),
    }
}

fn not_acceptable() -> Response {
    Response::text(
        406,
        "none of the accepted types is served: expected application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html or text/html",
    )
}

fn content_type(filename: &str) -> &'static str {
    if filename.ends_with(".tar.gz") {
        "application/gzip"
    } else if filename.ends_with(".zip") {
        "application/zip"
    } else {
        "application/octet-stream"
    }
}

/// Decodes `%XX` escapes; anything malformed is kept as sent, so it fails validation later.
fn percent_decode(s: &str) -> String {
    String::from_utf8_lossy(&crate::util::encoding::percent_decode(s)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("a-1.0%2Blocal.whl"), "a-1.0+local.whl");
        assert_eq!(percent_decode("flask%3E%3D2%2C%3C3"), "flask>=2,<3");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("..%2F..%2Fetc"), "../../etc");
    }
}

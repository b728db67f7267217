//! A static package index on loopback: serves a test folder's files as they are,
//! as an upstream for curd-server's pull-through, and counts what it was asked.
//! `simple/<name>/` answers with `simple/<name>/index.json` (as PEP 691 JSON) or
//! `index.html`, or redirects (301) to the path its `moved` file holds; any other
//! path is the file at that path. It can sleep before
//! answering, demand a login, and stops listening (connections then refused)
//! when dropped.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::support::dists::sha256_hex;
use crate::support::tmp::mkdir;

#[derive(Default)]
struct Seen {
    /// Requests by path.
    paths: HashMap<String, usize>,
    /// Every Authorization header sent.
    logins: Vec<String>,
}

pub struct StaticIndex {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
    delay_ms: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl StaticIndex {
    /// Serves `root`; with `login`, every request needs that `Authorization`
    /// header (else 401).
    pub fn start(root: &Path, login: Option<String>) -> StaticIndex {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (root, shared) = (root.to_path_buf(), Arc::clone(&seen));
        let (delay, stopped) = (Arc::clone(&delay_ms), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (root, seen, delay) =
                            (root.clone(), Arc::clone(&shared), Arc::clone(&delay));
                        let login = login.clone();
                        std::thread::spawn(move || answer(stream, &root, &seen, &delay, login));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        StaticIndex {
            addr,
            seen,
            delay_ms,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many requests asked for `path`.
    pub fn requests(&self, path: &str) -> usize {
        self.seen
            .lock()
            .unwrap()
            .paths
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Every request so far.
    pub fn total(&self) -> usize {
        self.seen.lock().unwrap().paths.values().sum()
    }

    pub fn logins(&self) -> Vec<String> {
        self.seen.lock().unwrap().logins.clone()
    }

    /// Sleeps this long before each answer from now on.
    pub fn set_delay(&self, delay: Duration) {
        self.delay_ms
            .store(delay.as_millis() as u64, Ordering::Relaxed);
    }
}

impl Drop for StaticIndex {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn answer(
    mut stream: TcpStream,
    root: &Path,
    seen: &Mutex<Seen>,
    delay: &AtomicU64,
    login: Option<String>,
) {
    stream.set_nonblocking(false).unwrap();
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let path = head.split(' ').nth(1).unwrap_or("/").to_string();
    let authorization = super::servers::header_of(&head, "authorization").map(String::from);
    {
        let mut seen = seen.lock().unwrap();
        *seen.paths.entry(path.clone()).or_default() += 1;
        seen.logins.extend(authorization.clone());
    }
    std::thread::sleep(Duration::from_millis(delay.load(Ordering::Relaxed)));
    if login.is_some() && authorization != login {
        let _ = stream.write_all(&response("401 Unauthorized", "text/plain", b"login\n"));
        return;
    }
    let moved = root.join(path.trim_start_matches('/')).join("moved");
    if let Ok(location) = std::fs::read_to_string(&moved) {
        let head = format!(
            "HTTP/1.1 301 Moved Permanently\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let _ = stream.write_all(head.as_bytes());
        return;
    }
    let reply = match file_for(root, &path) {
        Some((file, content_type)) => match std::fs::read(&file) {
            Ok(bytes) => response("200 OK", content_type, &bytes),
            Err(_) => response("404 Not Found", "text/plain", b"no\n"),
        },
        None => response("404 Not Found", "text/plain", b"no\n"),
    };
    let _ = stream.write_all(&reply);
}

/// The file a path names, with its Content-Type.
fn file_for(root: &Path, path: &str) -> Option<(PathBuf, &'static str)> {
    let relative = path.trim_start_matches('/');
    if relative.split('/').any(|s| s == "..") {
        return None;
    }
    let target = root.join(relative);
    if path.ends_with('/') {
        let json = target.join("index.json");
        if json.is_file() {
            return Some((json, "application/vnd.pypi.simple.v1+json"));
        }
        return Some((target.join("index.html"), "text/html; charset=utf-8"));
    }
    Some((target, "application/octet-stream"))
}

fn response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// A static index in `root`: each file under `files/`, and `simple/<project>/`
/// listing them with `attrs` (HTML attributes after the link, per file).
pub fn publish_html(root: &Path, project: &str, files: &[(&str, &[u8], &str)]) {
    let files_dir = mkdir(root.join("files"));
    let mut page = String::from("<!DOCTYPE html><html><body>\n");
    for (name, bytes, attrs) in files {
        std::fs::write(files_dir.join(name), bytes).unwrap();
        page.push_str(&format!(
            "<a href=\"../../files/{name}#sha256={}\" {attrs}>{name}</a><br/>\n",
            sha256_hex(bytes)
        ));
    }
    page.push_str("</body></html>\n");
    let dir = mkdir(root.join("simple").join(project));
    std::fs::write(dir.join("index.html"), page).unwrap();
}

//! The HTTP/1.1 engine: owns the listening socket and every connection (network I/O).
//!
//! One reactor thread waits on all idle connections with epoll (through mio) and reads
//! request heads as their bytes arrive; only a complete head is handed to the bounded
//! pool of workers, which read the body, run the handler and write the response with
//! plain blocking I/O. A keep-alive connection then goes back to the reactor. So a
//! client that trickles its request byte by byte costs a buffer, not a thread, and
//! can never hold a worker that normal requests are waiting for.
//!
//! Limits, each a line in [`Limits`]: open connections, header size, the time to send a
//! head, the idle time between keep-alive requests, and each body read or write.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token, Waker};

/// Bounds on what clients may cost the server.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Worker threads: requests handled at once.
    pub threads: usize,
    /// Connections open at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// The request line and headers together.
    pub max_header_bytes: usize,
    /// From the first byte of a request to the end of its head.
    pub header_timeout: Duration,
    /// A keep-alive connection waiting for its next request.
    pub idle_timeout: Duration,
    /// Each read of a body and each write of a response.
    pub io_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            threads: 16,
            max_connections: 1024,
            max_header_bytes: 16 * 1024,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(15),
            io_timeout: Duration::from_secs(30),
        }
    }
}

/// Turns a request into a response. Called from many worker threads at once.
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, request: &mut Request<'_>) -> Response;
}

/// A request whose head has been parsed; the body is read on demand.
pub struct Request<'a> {
    pub method: String,
    /// The path as sent, still percent-encoded, without the query.
    pub path: String,
    pub query: String,
    /// Header names lowercased, in the order sent.
    pub headers: Vec<(String, String)>,
    pub peer: SocketAddr,
    body: Body<'a>,
}

impl Request<'_> {
    /// The first header named `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body's declared length.
    pub fn content_length(&self) -> u64 {
        self.body.remaining
    }

    /// The body, limited to its Content-Length. Reading it first answers a client
    /// that sent `Expect: 100-continue`, so refusing early (401, 413) costs nothing.
    pub fn body(&mut self) -> &mut dyn Read {
        &mut self.body
    }
}

struct Body<'a> {
    stream: &'a mut TcpStream,
    /// Bytes read with the head that belong to the body (and maybe beyond).
    buffered: Vec<u8>,
    pos: usize,
    remaining: u64,
    send_continue: bool,
}

impl Read for Body<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || out.is_empty() {
            return Ok(0);
        }
        if self.send_continue {
            self.send_continue = false;
            self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        let want = out
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = if self.pos < self.buffered.len() {
            let n = want.min(self.buffered.len() - self.pos);
            out[..n].copy_from_slice(&self.buffered[self.pos..self.pos + n]);
            self.pos += n;
            n
        } else {
            let n = self.stream.read(&mut out[..want])?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the client closed the connection before sending the whole body",
                ));
            }
            n
        };
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// A response body.
pub enum Payload {
    Empty,
    Bytes(Vec<u8>),
    /// A cached page, shared by every response that sends it.
    Shared(Arc<Vec<u8>>),
    /// Streamed from disk; never held in memory.
    File(std::fs::File, u64),
}

/// A response, built by handlers and written by the engine.
pub struct Response {
    pub status: u16,
    headers: Vec<(&'static str, String)>,
    payload: Payload,
    /// Who made the request, for the access log.
    pub user: Option<String>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, payload: Payload) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", content_type.to_string())],
            payload,
            user: None,
        }
    }

    /// A status with no body.
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            payload: Payload::Empty,
            user: None,
        }
    }

    /// A one-line plain-text message, as every error is answered.
    pub fn text(status: u16, message: impl fmt::Display) -> Response {
        Response::new(
            status,
            "text/plain; charset=utf-8",
            Payload::Bytes(format!("{message}\n").into_bytes()),
        )
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    pub fn with_user(mut self, user: Option<String>) -> Response {
        self.user = user;
        self
    }

    fn len(&self) -> u64 {
        match &self.payload {
            Payload::Empty => 0,
            Payload::Bytes(b) => b.len() as u64,
            Payload::Shared(b) => b.len() as u64,
            Payload::File(_, len) => *len,
        }
    }
}

/// Opens the listening socket with a backlog deep enough for clients such as uv
/// that open dozens of connections at once: a dropped SYN costs a client a second.
pub fn bind(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() {
        // `::` then serves IPv4 clients too, as users of `-H ::` expect.
        socket.set_only_v6(false)?;
    }
    socket.bind(&addr.into())?;
    socket.listen(4096)?;
    Ok(socket.into())
}

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);
const FIRST_CONNECTION: usize = 2;
/// How often deadlines and the shutdown flag are checked.
const TICK: Duration = Duration::from_millis(200);

/// A connection waiting in the reactor for (the rest of) a request head.
struct Waiting {
    stream: mio::net::TcpStream,
    peer: SocketAddr,
    buf: Vec<u8>,
    /// When the connection came in or went idle.
    since: Instant,
    /// When the first byte of the current head arrived.
    first_byte: Option<Instant>,
}

/// A connection handed to a worker: its head is complete, or it broke a limit.
struct Job {
    stream: TcpStream,
    peer: SocketAddr,
    buf: Vec<u8>,
}

/// A keep-alive connection coming back from a worker.
type Returned = (TcpStream, SocketAddr, Vec<u8>);

/// Shared between the reactor and the workers.
struct Shared {
    limits: Limits,
    debug: bool,
    handler: Arc<dyn Handler>,
    shutdown: Arc<AtomicBool>,
    open: AtomicUsize,
    returned: Mutex<Vec<Returned>>,
    waker: Waker,
}

/// Serves until `shutdown` becomes true, then lets in-flight requests finish.
pub fn serve(
    listener: std::net::TcpListener,
    handler: Arc<dyn Handler>,
    limits: Limits,
    debug: bool,
    shutdown: Arc<AtomicBool>,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let mut listener = mio::net::TcpListener::from_std(listener);
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let shared = Arc::new(Shared {
        waker: Waker::new(poll.registry(), WAKER)?,
        limits,
        debug,
        handler,
        shutdown,
        open: AtomicUsize::new(0),
        returned: Mutex::new(Vec::new()),
    });

    let (jobs, queue) = mpsc::channel::<Job>();
    let queue = Arc::new(Mutex::new(queue));
    let mut workers = Vec::new();
    for i in 0..shared.limits.threads.max(1) {
        let queue = Arc::clone(&queue);
        let shared = Arc::clone(&shared);
        workers.push(
            std::thread::Builder::new()
                .name(format!("worker-{i}"))
                .spawn(move || worker(&shared, &queue))?,
        );
    }

    let mut reactor = Reactor {
        shared: Arc::clone(&shared),
        jobs,
        slots: Vec::new(),
        free: Vec::new(),
    };
    let result = reactor.run(&mut poll, &mut listener);
    drop(reactor);
    for w in workers {
        let _ = w.join();
    }
    result
}

struct Reactor {
    shared: Arc<Shared>,
    jobs: mpsc::Sender<Job>,
    slots: Vec<Option<Waiting>>,
    free: Vec<usize>,
}

impl Reactor {
    fn run(&mut self, poll: &mut Poll, listener: &mut mio::net::TcpListener) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let mut last_sweep = Instant::now();
        while !self.shared.shutdown.load(Ordering::SeqCst) {
            if let Err(e) = poll.poll(&mut events, Some(TICK)) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept(poll, listener),
                    WAKER => self.take_returned(poll),
                    Token(t) => self.read(poll, t - FIRST_CONNECTION),
                }
            }
            if last_sweep.elapsed() >= TICK {
                self.sweep(poll);
                last_sweep = Instant::now();
            }
        }
        Ok(())
    }

    fn accept(&mut self, poll: &mut Poll, listener: &mut mio::net::TcpListener) {
        loop {
            match listener.accept() {
                Ok((mut stream, peer)) => {
                    let open = self.shared.open.fetch_add(1, Ordering::SeqCst);
                    if open >= self.shared.limits.max_connections {
                        // Best effort: the socket is new, so this small write fits its buffer.
                        let _ = stream.write_all(
                            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        );
                        self.shared.open.fetch_sub(1, Ordering::SeqCst);
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    self.insert(poll, stream, peer, Vec::new());
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // Out of file descriptors and the like: the connection is lost, the server is not.
                Err(e) => {
                    eprintln!("curd-server: accept failed: {e}");
                    return;
                }
            }
        }
    }

    fn insert(
        &mut self,
        poll: &mut Poll,
        mut stream: mio::net::TcpStream,
        peer: SocketAddr,
        buf: Vec<u8>,
    ) {
        let index = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        if poll
            .registry()
            .register(
                &mut stream,
                Token(index + FIRST_CONNECTION),
                Interest::READABLE,
            )
            .is_err()
        {
            self.free.push(index);
            self.shared.open.fetch_sub(1, Ordering::SeqCst);
            return;
        }
        let now = Instant::now();
        let first_byte = (!buf.is_empty()).then_some(now);
        self.slots[index] = Some(Waiting {
            stream,
            peer,
            buf,
            since: now,
            first_byte,
        });
        // Pipelined bytes may already hold a whole request.
        if self.slots[index]
            .as_ref()
            .is_some_and(|w| head_end(&w.buf).is_some())
        {
            self.dispatch(poll, index);
        }
    }

    fn take_returned(&mut self, poll: &mut Poll) {
        let returned = match self.shared.returned.lock() {
            Ok(mut r) => std::mem::take(&mut *r),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        for (stream, peer, buf) in returned {
            if stream.set_nonblocking(true).is_err() {
                self.shared.open.fetch_sub(1, Ordering::SeqCst);
                continue;
            }
            self.insert(poll, mio::net::TcpStream::from_std(stream), peer, buf);
        }
    }

    fn read(&mut self, poll: &mut Poll, index: usize) {
        let Some(Some(conn)) = self.slots.get_mut(index) else {
            return;
        };
        match fill(conn, self.shared.limits.max_header_bytes) {
            Progress::Waiting => {}
            Progress::Ready => self.dispatch(poll, index),
            Progress::Closed => self.close(poll, index),
        }
    }

    fn remove(&mut self, poll: &mut Poll, index: usize) -> Option<Waiting> {
        let mut conn = self.slots.get_mut(index)?.take()?;
        self.free.push(index);
        let _ = poll.registry().deregister(&mut conn.stream);
        Some(conn)
    }

    fn close(&mut self, poll: &mut Poll, index: usize) {
        if self.remove(poll, index).is_some() {
            self.shared.open.fetch_sub(1, Ordering::SeqCst);
        }
    }

    fn dispatch(&mut self, poll: &mut Poll, index: usize) {
        let Some(conn) = self.remove(poll, index) else {
            return;
        };
        let stream = TcpStream::from(conn.stream);
        let job = Job {
            stream,
            peer: conn.peer,
            buf: conn.buf,
        };
        if self.jobs.send(job).is_err() {
            self.shared.open.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Closes connections past their deadline: idle too long, or too slow to send a head.
    fn sweep(&mut self, poll: &mut Poll) {
        let limits = &self.shared.limits;
        let now = Instant::now();
        let expired: Vec<usize> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| {
                let conn = slot.as_ref()?;
                let late = match conn.first_byte {
                    Some(t) => now.duration_since(t) > limits.header_timeout,
                    None => now.duration_since(conn.since) > limits.idle_timeout,
                };
                late.then_some(i)
            })
            .collect();
        for index in expired {
            self.close(poll, index);
        }
    }
}

impl Drop for Reactor {
    fn drop(&mut self) {
        let open = self.slots.iter().filter(|s| s.is_some()).count();
        self.shared.open.fetch_sub(open, Ordering::SeqCst);
    }
}

/// Where a connection's head stands after reading what has arrived.
enum Progress {
    Waiting,
    /// A whole head arrived, or more bytes than a head may have.
    Ready,
    Closed,
}

/// Reads what the socket has (edge-triggered: until it would block).
fn fill(conn: &mut Waiting, max_header_bytes: usize) -> Progress {
    let mut chunk = [0u8; 4096];
    loop {
        match conn.stream.read(&mut chunk) {
            Ok(0) => return Progress::Closed,
            Ok(n) => {
                let searched = conn.buf.len().saturating_sub(3);
                conn.buf.extend_from_slice(&chunk[..n]);
                conn.first_byte.get_or_insert_with(Instant::now);
                if conn.buf.len() > max_header_bytes || head_end(&conn.buf[searched..]).is_some() {
                    return Progress::Ready;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Progress::Waiting,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Progress::Closed,
        }
    }
}

/// The offset just past the blank line that ends a head, if `buf` holds one.
fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

fn worker(shared: &Shared, queue: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        let job = {
            let Ok(queue) = queue.lock() else { return };
            match queue.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        match serve_one(shared, job) {
            Some(back) if !shared.shutdown.load(Ordering::SeqCst) => {
                if let Ok(mut r) = shared.returned.lock() {
                    r.push(back);
                }
                let _ = shared.waker.wake();
            }
            _ => {
                shared.open.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }
}

/// A request head as sent.
#[derive(Debug)]
struct Head {
    method: String,
    target: String,
    http11: bool,
    headers: Vec<(String, String)>,
}

/// Why a head was refused, with the status that says so.
#[derive(Debug, PartialEq, Eq)]
enum HeadError {
    TooLarge,
    Malformed(&'static str),
    Version,
}

impl HeadError {
    fn status(&self) -> u16 {
        match self {
            HeadError::TooLarge => 431,
            HeadError::Malformed(_) => 400,
            HeadError::Version => 505,
        }
    }
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeadError::TooLarge => f.write_str("request head too large"),
            HeadError::Malformed(what) => write!(f, "malformed request: {what}"),
            HeadError::Version => {
                f.write_str("unsupported HTTP version: expected HTTP/1.0 or HTTP/1.1")
            }
        }
    }
}

fn parse_head(buf: &[u8], max: usize) -> Result<(Head, usize), HeadError> {
    let end = match head_end(buf) {
        Some(end) if end <= max => end,
        _ if buf.len() > max => return Err(HeadError::TooLarge),
        _ => return Err(HeadError::Malformed("incomplete head")),
    };
    let text = std::str::from_utf8(&buf[..end - 4])
        .map_err(|_| HeadError::Malformed("the head is not valid UTF-8"))?;
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::Malformed(
            "expected `METHOD TARGET HTTP/1.1` on the first line",
        ));
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(HeadError::Malformed("the method must be uppercase letters"));
    }
    if !target.starts_with('/') || target.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(HeadError::Malformed(
            "the target must be a path starting with `/`",
        ));
    }
    let http11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return Err(HeadError::Version),
    };
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(HeadError::Malformed(
            "expected `Name: value` in a header line",
        ))?;
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(HeadError::Malformed("invalid header name"));
        }
        let value = value.trim_matches([' ', '\t']);
        if value.bytes().any(|b| b < b' ' && b != b'\t') {
            return Err(HeadError::Malformed("control character in a header value"));
        }
        headers.push((name.to_ascii_lowercase(), value.to_string()));
    }
    Ok((
        Head {
            method: method.to_string(),
            target: target.to_string(),
            http11,
            headers,
        },
        end,
    ))
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Handles one request on a connection; gives the connection back if it may be reused.
fn serve_one(shared: &Shared, job: Job) -> Option<Returned> {
    let started = Instant::now();
    let Job {
        mut stream,
        peer,
        buf,
    } = job;
    let limits = &shared.limits;
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(limits.io_timeout)).ok()?;
    stream.set_write_timeout(Some(limits.io_timeout)).ok()?;

    let (head, end) = match parse_head(&buf, limits.max_header_bytes) {
        Ok(parsed) => parsed,
        Err(e) => {
            let response = Response::text(e.status(), &e);
            log_access(peer, "-", "-", &response, 0, started);
            let _ = write_response(&mut stream, response, false, false);
            return None;
        }
    };
    let Head {
        method,
        target,
        http11,
        headers,
    } = head;
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target.clone(), String::new()),
    };
    if shared.debug {
        for (name, value) in &headers {
            let value = if name == "authorization" || name == "cookie" {
                "[redacted]"
            } else {
                value
            };
            eprintln!("curd-server: {peer} {method} {target} < {name}: {value}");
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let connection = header("connection").unwrap_or("").to_ascii_lowercase();
    let mut keep_alive = if http11 {
        !connection.contains("close")
    } else {
        connection.contains("keep-alive")
    };
    let early: Option<Response> = if header("transfer-encoding").is_some() {
        Some(Response::text(
            411,
            "chunked request bodies are not supported: send the body with a Content-Length",
        ))
    } else {
        None
    };
    let content_length = match header("content-length").map(str::parse::<u64>) {
        None => Ok(0),
        Some(Ok(n)) => Ok(n),
        Some(Err(_)) => Err(()),
    };
    let (response, leftover, body_done) = match (early, content_length) {
        (Some(r), _) => (r, Vec::new(), false),
        (None, Err(())) => (
            Response::text(400, "malformed request: Content-Length must be a number"),
            Vec::new(),
            false,
        ),
        (None, Ok(length)) => {
            let send_continue =
                http11 && header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));
            let mut request = Request {
                method: method.clone(),
                path,
                query,
                headers,
                peer,
                body: Body {
                    stream: &mut stream,
                    buffered: buf,
                    pos: end,
                    remaining: length,
                    send_continue,
                },
            };
            let response = catch_unwind(AssertUnwindSafe(|| shared.handler.handle(&mut request)))
                .unwrap_or_else(|_| {
                    Response::text(500, "internal error: the request handler failed")
                });
            let body = request.body;
            let done = body.remaining == 0;
            let leftover = if done {
                body.buffered[body.pos..].to_vec()
            } else {
                Vec::new()
            };
            (response, leftover, done)
        }
    };
    // An unread body would be taken for the next request: close instead.
    keep_alive &= body_done && !shared.shutdown.load(Ordering::SeqCst);
    let bytes = if method == "HEAD" { 0 } else { response.len() };
    log_access(peer, &method, &target, &response, bytes, started);
    match write_response(&mut stream, response, method == "HEAD", keep_alive) {
        Ok(()) if keep_alive => Some((stream, peer, leftover)),
        _ => None,
    }
}

fn log_access(
    peer: SocketAddr,
    method: &str,
    target: &str,
    response: &Response,
    bytes: u64,
    started: Instant,
) {
    let user = response.user.as_deref().unwrap_or("-");
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    eprintln!(
        "{peer} {user} \"{method} {target}\" {} {bytes} {ms:.1}ms",
        response.status
    );
}

fn write_response(
    stream: &mut TcpStream,
    response: Response,
    head_only: bool,
    keep_alive: bool,
) -> io::Result<()> {
    let len = response.len();
    let mut out = Vec::with_capacity(256);
    let _ = write!(
        out,
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    for (name, value) in &response.headers {
        let _ = write!(out, "{name}: {value}\r\n");
    }
    let _ = write!(out, "Content-Length: {len}\r\nServer: curd\r\n");
    out.extend_from_slice(if keep_alive {
        b"Connection: keep-alive\r\n\r\n"
    } else {
        b"Connection: close\r\n\r\n"
    });
    match response.payload {
        Payload::Bytes(bytes) if !head_only => {
            out.extend_from_slice(&bytes);
            stream.write_all(&out)
        }
        Payload::Shared(bytes) if !head_only => {
            out.extend_from_slice(&bytes);
            stream.write_all(&out)
        }
        Payload::File(file, len) if !head_only => {
            stream.write_all(&out)?;
            let copied = io::copy(&mut file.take(len), stream)?;
            if copied < len {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file shrank while being sent",
                ));
            }
            Ok(())
        }
        _ => stream.write_all(&out),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        507 => "Insufficient Storage",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_head_and_finds_its_end() {
        let raw = b"GET /simple/?x=1 HTTP/1.1\r\nHost: a\r\nAccept:  text/html \r\n\r\nBODY";
        let (head, end) = parse_head(raw, 1024).unwrap();
        assert_eq!(head.method, "GET");
        assert_eq!(head.target, "/simple/?x=1");
        assert!(head.http11);
        assert_eq!(
            head.headers,
            [
                ("host".into(), "a".into()),
                ("accept".into(), "text/html".into())
            ]
        );
        assert_eq!(&raw[end..], b"BODY");
    }

    #[test]
    fn refuses_bad_heads_with_the_right_status() {
        let cases: &[(&[u8], u16)] = &[
            (b"GET / HTTP/2.0\r\n\r\n", 505),
            (b"get / HTTP/1.1\r\n\r\n", 400),
            (b"GET simple HTTP/1.1\r\n\r\n", 400),
            (b"GET / HTTP/1.1 extra\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nno colon\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\n folded: x\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nA: \x01\r\n\r\n", 400),
            (b"GET /\xff HTTP/1.1\r\n\r\n", 400),
        ];
        for (raw, status) in cases {
            let err = parse_head(raw, 1024).unwrap_err();
            assert_eq!(err.status(), *status, "{}", String::from_utf8_lossy(raw));
        }
        let big = [
            b"GET / HTTP/1.1\r\nA: ".as_slice(),
            &[b'x'; 100],
            b"\r\n\r\n",
        ]
        .concat();
        assert_eq!(parse_head(&big, 64).unwrap_err(), HeadError::TooLarge);
    }

    #[test]
    fn every_status_used_has_a_reason() {
        for status in [
            200, 201, 304, 400, 401, 404, 409, 411, 413, 431, 500, 503, 505,
        ] {
            assert_ne!(reason(status), "Unknown");
        }
    }
}

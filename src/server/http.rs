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

use crate::util::sync::lock;
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

    /// The body's length, as declared by Content-Length.
    pub fn content_length(&self) -> u64 {
        self.body.declared
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
    declared: u64,
    remaining: u64,
    send_continue: bool,
    /// A body that trickles in holds a worker; past this it is cut off.
    deadline: Instant,
    io_timeout: Duration,
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
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the client sent the body too slowly",
                ));
            }
            self.stream
                .set_read_timeout(Some(left.min(self.io_timeout)))?;
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

/// What a response sends after its head.
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

/// A connection between the reactor and a worker, with the bytes read so far:
/// handed to a worker once its head is complete (or too large), and handed back
/// after a keep-alive response with whatever the client pipelined.
struct Conn {
    stream: TcpStream,
    peer: SocketAddr,
    buf: Vec<u8>,
}

/// Shared between the reactor and the workers.
struct Shared {
    limits: Limits,
    debug: bool,
    handler: Arc<dyn Handler>,
    shutdown: Arc<AtomicBool>,
    open: AtomicUsize,
    returned: Mutex<Vec<Conn>>,
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

    let (jobs, queue) = mpsc::channel::<Conn>();
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
        accept_again: false,
    };
    let result = reactor.run(&mut poll, &mut listener);
    // New clients are refused at once while in-flight requests finish.
    drop(listener);
    drop(reactor);
    for w in workers {
        let _ = w.join();
    }
    result
}

struct Reactor {
    shared: Arc<Shared>,
    jobs: mpsc::Sender<Conn>,
    slots: Vec<Option<Waiting>>,
    free: Vec<usize>,
    /// Accepting failed for want of file descriptors: the listener is edge-triggered,
    /// so queued connections wait for the next tick instead of the next client.
    accept_again: bool,
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
                if self.accept_again {
                    self.accept(poll, listener);
                }
                last_sweep = Instant::now();
            }
        }
        Ok(())
    }

    fn accept(&mut self, poll: &mut Poll, listener: &mut mio::net::TcpListener) {
        self.accept_again = false;
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
                // Out of file descriptors and the like: the connection waits, the server goes on.
                Err(e) => {
                    eprintln!("curd-server: accept failed: {e}");
                    self.accept_again = true;
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
        let ready = head_end(&buf).is_some();
        self.slots[index] = Some(Waiting {
            stream,
            peer,
            buf,
            since: now,
            first_byte,
        });
        // Pipelined bytes may already hold a whole request.
        if ready {
            self.dispatch(poll, index);
        }
    }

    fn take_returned(&mut self, poll: &mut Poll) {
        let returned = std::mem::take(&mut *lock(&self.shared.returned));
        for conn in returned {
            if conn.stream.set_nonblocking(true).is_err() {
                self.shared.open.fetch_sub(1, Ordering::SeqCst);
                continue;
            }
            let stream = mio::net::TcpStream::from_std(conn.stream);
            self.insert(poll, stream, conn.peer, conn.buf);
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
        let Some(waiting) = self.remove(poll, index) else {
            return;
        };
        let conn = Conn {
            stream: TcpStream::from(waiting.stream),
            peer: waiting.peer,
            buf: waiting.buf,
        };
        if self.jobs.send(conn).is_err() {
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

fn worker(shared: &Shared, queue: &Mutex<mpsc::Receiver<Conn>>) {
    loop {
        let conn = {
            let Ok(queue) = queue.lock() else { return };
            match queue.recv() {
                Ok(conn) => conn,
                Err(_) => return,
            }
        };
        match serve_one(shared, conn) {
            Some(back) if !shared.shutdown.load(Ordering::SeqCst) => {
                lock(&shared.returned).push(back);
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

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body's length, refusing every framing a proxy could read differently
    /// (request smuggling): chunked bodies, several lengths, signs or spaces.
    fn body_length(&self) -> Result<u64, Response> {
        if self.header("transfer-encoding").is_some() {
            return Err(Response::text(
                411,
                "chunked request bodies are not supported: send the body with a Content-Length",
            ));
        }
        if self.http11 && self.headers.iter().filter(|(n, _)| n == "host").count() != 1 {
            return Err(Response::text(
                400,
                "malformed request: expected exactly one Host header",
            ));
        }
        let mut length = None;
        for (_, value) in self.headers.iter().filter(|(n, _)| n == "content-length") {
            for item in value.split(',').map(str::trim) {
                let parsed = (!item.is_empty() && item.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| item.parse::<u64>().ok())
                    .flatten();
                match (parsed, length) {
                    (None, _) => {
                        return Err(Response::text(
                            400,
                            "malformed request: Content-Length must be a number",
                        ));
                    }
                    (Some(n), Some(m)) if n != m => {
                        return Err(Response::text(
                            400,
                            "malformed request: conflicting Content-Length headers",
                        ));
                    }
                    (Some(n), _) => length = Some(n),
                }
            }
        }
        Ok(length.unwrap_or(0))
    }

    fn keep_alive(&self) -> bool {
        let connection = self.header("connection").unwrap_or("").to_ascii_lowercase();
        if self.http11 {
            !connection.contains("close")
        } else {
            connection.contains("keep-alive")
        }
    }
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
    // RFC 9112 3.2.2: servers accept the absolute form; only its path matters here.
    let target = match target.split_once("://") {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
        {
            rest.find('/').map_or("/", |i| &rest[i..])
        }
        _ => target,
    };
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

/// The slowest a body may arrive or a response leave, past a grace period: a client
/// that trickles holds a worker for a bounded time, not for as long as it likes.
const MIN_BYTES_PER_SECOND: u64 = 32 * 1024;

fn deadline(len: u64, grace: Duration) -> Instant {
    Instant::now() + grace + Duration::from_secs(len / MIN_BYTES_PER_SECOND)
}

/// Headers whose values never reach the debug log.
const SECRET_HEADERS: [&str; 3] = ["authorization", "proxy-authorization", "cookie"];

/// Handles one request on a connection; gives the connection back if it may be reused.
fn serve_one(shared: &Shared, conn: Conn) -> Option<Conn> {
    let started = Instant::now();
    let Conn {
        mut stream,
        peer,
        buf,
    } = conn;
    let limits = &shared.limits;
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(limits.io_timeout)).ok()?;
    stream.set_write_timeout(Some(limits.io_timeout)).ok()?;

    let (head, end) = match parse_head(&buf, limits.max_header_bytes) {
        Ok(parsed) => parsed,
        Err(e) => {
            let response = Response::text(e.status(), &e);
            let sent = write_response(&mut stream, response, false, false, limits.io_timeout);
            log_access(peer, None, "-", "-", e.status(), &sent, started);
            return None;
        }
    };
    if shared.debug {
        for (name, value) in &head.headers {
            let value = if SECRET_HEADERS.contains(&name.as_str()) {
                "[redacted]"
            } else {
                value
            };
            eprintln!(
                "curd-server: {peer} {} {} < {name}: {value}",
                head.method, head.target
            );
        }
    }
    let (mut response, leftover, body_done) = match head.body_length() {
        Err(response) => (response, Vec::new(), false),
        Ok(length) => {
            let (path, query) = match head.target.split_once('?') {
                Some((p, q)) => (p.to_string(), q.to_string()),
                None => (head.target.clone(), String::new()),
            };
            let send_continue = head.http11
                && head
                    .header("expect")
                    .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));
            let mut request = Request {
                method: head.method.clone(),
                path,
                query,
                headers: head.headers.clone(),
                peer,
                body: Body {
                    stream: &mut stream,
                    buffered: buf,
                    pos: end,
                    declared: length,
                    remaining: length,
                    send_continue,
                    deadline: deadline(length, limits.io_timeout),
                    io_timeout: limits.io_timeout,
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
    let keep_alive = head.keep_alive() && body_done && !shared.shutdown.load(Ordering::SeqCst);
    let status = response.status;
    let user = response.user.take();
    let sent = write_response(
        &mut stream,
        response,
        head.method == "HEAD",
        keep_alive,
        limits.io_timeout,
    );
    log_access(
        peer,
        user.as_deref(),
        &head.method,
        &head.target,
        status,
        &sent,
        started,
    );
    if !body_done {
        linger(&mut stream);
        return None;
    }
    match sent {
        Ok(_) if keep_alive => Some(Conn {
            stream,
            peer,
            buf: leftover,
        }),
        _ => None,
    }
}

/// After answering early (401, 413) a request whose body was not read, reads and
/// drops what the client is still sending for a moment before closing: closing with
/// unread bytes makes the kernel reset the connection, and clients that send the whole
/// body before reading (Python's http.client, so twine) would see the reset instead
/// of the answer.
fn linger(stream: &mut TcpStream) {
    const MAX_DRAIN: usize = 64 << 20;
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let until = Instant::now() + Duration::from_secs(5);
    let mut drained = 0;
    let mut buf = [0u8; 16 * 1024];
    while drained < MAX_DRAIN {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => drained += n,
        }
    }
}

/// How much of a response's payload went out, or how far it got before failing.
type Sent = Result<u64, (io::Error, u64)>;

fn log_access(
    peer: SocketAddr,
    user: Option<&str>,
    method: &str,
    target: &str,
    status: u16,
    sent: &Sent,
    started: Instant,
) {
    let user = user.unwrap_or("-");
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let (bytes, aborted) = match sent {
        Ok(bytes) => (*bytes, String::new()),
        Err((e, bytes)) => (*bytes, format!(" aborted: {e}")),
    };
    // Formatted first and written whole: stderr is unbuffered, and `eprintln!` would
    // make a write(2) per piece, dozens per request, all under stderr's lock.
    let line = format!("{peer} {user} \"{method} {target}\" {status} {bytes} {ms:.1}ms{aborted}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// How much of a file is read and written at a time.
const FILE_CHUNK: usize = 256 * 1024;

/// Writes a response; files go out in chunks under an overall deadline.
fn write_response(
    stream: &mut TcpStream,
    response: Response,
    head_only: bool,
    keep_alive: bool,
    io_timeout: Duration,
) -> Sent {
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
    // RFC 9110 8.6: no Content-Length on 304 (or any status that has no body).
    if !matches!(response.status, 100..=199 | 204 | 304) {
        let _ = write!(out, "Content-Length: {len}\r\n");
    }
    out.extend_from_slice(b"Server: curd\r\n");
    out.extend_from_slice(if keep_alive {
        b"Connection: keep-alive\r\n\r\n"
    } else {
        b"Connection: close\r\n\r\n"
    });
    let body: &[u8] = match &response.payload {
        _ if head_only => &[],
        Payload::Bytes(bytes) => bytes,
        Payload::Shared(bytes) => bytes,
        Payload::Empty | Payload::File(..) => &[],
    };
    out.extend_from_slice(body);
    stream.write_all(&out).map_err(|e| (e, 0))?;
    let mut sent = body.len() as u64;
    if let (Payload::File(mut file, len), false) = (response.payload, head_only) {
        let until = deadline(len, io_timeout);
        // std's io::copy would use 8 KiB pieces here (it uses sendfile(2) only into
        // pipes): four thousand system calls for a 16 MiB wheel, where this makes 130.
        let mut buf = vec![0u8; FILE_CHUNK.min(len as usize)];
        while sent < len {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let e = io::Error::new(io::ErrorKind::TimedOut, "the client read too slowly");
                return Err((e, sent));
            }
            stream
                .set_write_timeout(Some(left.min(io_timeout)))
                .map_err(|e| (e, sent))?;
            let want = buf.len().min((len - sent) as usize);
            let n = match crate::util::fs::read_full(&mut file, &mut buf[..want]) {
                Ok(0) => {
                    let e = io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the file shrank while being sent",
                    );
                    return Err((e, sent));
                }
                Ok(n) => n,
                Err(e) => return Err((e, sent)),
            };
            stream.write_all(&buf[..n]).map_err(|e| (e, sent))?;
            sent += n as u64;
        }
    }
    Ok(sent)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        301 => "Moved Permanently",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
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

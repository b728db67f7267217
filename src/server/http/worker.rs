//! The fixed pool of workers. Each takes a connection whose head is complete, reads
//! the body as the handler asks for it, runs the handler, writes the response with
//! plain blocking I/O under deadlines, logs one access line, and gives a keep-alive
//! connection back to the reactor.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::protocol::{self, Head};
use super::request::Request;
use super::response::{Payload, Response};
use super::shared::{Conn, Shared};
use crate::util::sync::lock;

/// The worker threads, all taking connections from one queue.
pub(super) struct Pool {
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts `shared.limits.threads` workers; connections sent on the returned
    /// queue are served. Dropping the sender lets the workers finish and stop.
    pub(super) fn start(shared: &Arc<Shared>) -> io::Result<(mpsc::Sender<Conn>, Pool)> {
        let (jobs, queue) = mpsc::channel::<Conn>();
        let queue = Arc::new(Mutex::new(queue));
        let mut threads = Vec::new();
        for i in 0..shared.limits.threads.max(1) {
            let queue = Arc::clone(&queue);
            let shared = Arc::clone(shared);
            threads.push(
                std::thread::Builder::new()
                    .name(format!("worker-{i}"))
                    .spawn(move || work(&shared, &queue))?,
            );
        }
        Ok((jobs, Pool { threads }))
    }

    /// Waits for every worker to finish the request it is on.
    pub(super) fn join(self) {
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

fn work(shared: &Shared, queue: &Mutex<mpsc::Receiver<Conn>>) {
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

    let (head, end) = match protocol::parse_head(&buf, limits.max_header_bytes) {
        Ok(parsed) => parsed,
        Err(e) => {
            let response = Response::text(e.status(), &e);
            let sent = write_response(&mut stream, response, false, false, shared);
            log_access(peer, None, "-", "-", e.status(), &sent, started);
            return None;
        }
    };
    log_headers(peer, &head);
    let (mut response, leftover) = match head.body_length() {
        Err(e) => (Response::text(e.status(), &e), None),
        Ok(length) => {
            let mut request = Request::new(&head, peer, &mut stream, buf, end, length, limits);
            let response = catch_unwind(AssertUnwindSafe(|| shared.handler.handle(&mut request)))
                .unwrap_or_else(|_| {
                    Response::text(500, "internal error: the request handler failed")
                });
            (response, request.leftover())
        }
    };
    let body_done = leftover.is_some();
    let keep_alive = head.keep_alive() && body_done && !shared.shutdown.load(Ordering::SeqCst);
    let status = response.status;
    let user = response.user.take();
    let sent = write_response(
        &mut stream,
        response,
        head.method == "HEAD",
        keep_alive,
        shared,
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
    let Some(leftover) = leftover else {
        linger(&mut stream);
        return None;
    };
    match sent {
        Ok(_) if keep_alive => Some(Conn {
            stream,
            peer,
            buf: leftover,
        }),
        _ => None,
    }
}

/// With `-d`, each header of the request on a line of its own; secrets redacted.
fn log_headers(peer: SocketAddr, head: &Head) {
    for (name, value) in &head.headers {
        let value = if SECRET_HEADERS.contains(&name.as_str()) {
            "[redacted]"
        } else {
            value
        };
        crate::debug!(
            "curd-server: {peer} {} {} < {name}: {value}",
            head.method,
            head.target
        );
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

/// The access log: one line per request, whole, at the default level.
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
    crate::message!("{peer} {user} \"{method} {target}\" {status} {bytes} {ms:.1}ms{aborted}");
}

/// How much of a file is read and written at a time.
const FILE_CHUNK: usize = 256 * 1024;

/// Writes a response: the head and an in-memory payload in one write, a file in
/// chunks under an overall deadline.
fn write_response(
    stream: &mut TcpStream,
    response: Response,
    head_only: bool,
    keep_alive: bool,
    shared: &Shared,
) -> Sent {
    let mut out = protocol::response_head(&response, keep_alive);
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
        let io_timeout = shared.limits.io_timeout;
        let until = shared.limits.deadline(len);
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

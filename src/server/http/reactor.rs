//! The reactor: one thread waits with epoll (through mio) on the listening socket
//! and on every connection, and does all the network I/O, as far as each socket
//! allows at the moment: reading heads and bodies, writing answers. Requests that
//! need nothing more from their client go to the worker pool, and their answers
//! come back here. It also keeps the limits no worker could: open connections, per
//! address and in all, uploads per address, and every deadline.
//!
//! Sockets are registered once, edge-triggered, for reading and writing: each
//! connection is moved on until its socket would block, and whenever it changes
//! phase (a worker's answer arrives), since an event that came meanwhile is not
//! repeated. A connection that could go on but has had its turn waits in `ready`,
//! and a few of those take their next turns between two looks at new events: a
//! thousand downloads that can all go on cost a new request a few of their turns,
//! not a thousand.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token, Waker};

use super::conn::{Conn, Ctx, Expiry, Step};
use super::limits::{Limits, client_of};
use super::response::Response;
use super::shared::{Done, Handler, Job, Outcome, Shared};
use super::worker::{Pool, Queue};
use crate::util::sync::lock;

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
/// Each connection's send buffer in the kernel (which doubles it). Left to
/// itself the kernel grows a buffer to 4 MiB for a client that does not read, and
/// a thousand such clients then take the memory all TCP shares, so that other
/// connections, new ones included, wait for it, seconds at a time. This is
/// still more than a fast client over loopback keeps in flight.
const SEND_BUFFER: usize = 256 * 1024;
/// How many waiting connections take a turn between two looks at new events.
const TURNS_BETWEEN_EVENTS: usize = 32;
/// The reactor's one read buffer, shared by every connection in turn. It bounds
/// what a client can leave buffered after a chunked body (its pipelined bytes).
const SCRATCH: usize = 32 * 1024;

/// Serves until `shutdown` becomes true, then lets requests under way finish (for
/// at most the I/O timeout). Request bodies too large to keep in memory are
/// received into temporary files in `spool_dir`.
pub fn serve(
    listener: std::net::TcpListener,
    handler: Arc<dyn Handler>,
    limits: Limits,
    spool_dir: PathBuf,
    shutdown: Arc<AtomicBool>,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let mut listener = mio::net::TcpListener::from_std(listener);
    let poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let shared = Arc::new(Shared {
        waker: Waker::new(poll.registry(), WAKER)?,
        limits,
        handler,
        shutdown,
        done: Mutex::new(Vec::new()),
    });
    let (jobs, pool) = Pool::start(&shared)?;
    let mut reactor = Reactor {
        poll,
        listener: Some(listener),
        shared,
        jobs,
        spool_dir,
        conns: Vec::new(),
        free: Vec::new(),
        open: 0,
        peers: HashMap::new(),
        next_id: 0,
        ready: VecDeque::new(),
        scratch: vec![0; SCRATCH],
        accept_again: false,
    };
    let result = reactor.run();
    drop(reactor);
    pool.join();
    result
}

/// What one client (an address, or an IPv6 /64) holds.
#[derive(Default)]
struct Peer {
    connections: usize,
    uploads: usize,
}

struct Reactor {
    poll: Poll,
    /// `None` once the server stops taking connections.
    listener: Option<mio::net::TcpListener>,
    shared: Arc<Shared>,
    jobs: Arc<Queue>,
    spool_dir: PathBuf,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    /// Connections counted against the limits.
    open: usize,
    /// By client, as [`client_of`] tells them.
    peers: HashMap<IpAddr, Peer>,
    next_id: u64,
    /// Connections that had their turn with work left, by slot and id.
    ready: VecDeque<(usize, u64)>,
    scratch: Vec<u8>,
    /// Accepting failed for want of file descriptors: the listener is edge-triggered,
    /// so queued connections wait for the next tick instead of the next client.
    accept_again: bool,
}

impl Reactor {
    fn run(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let mut last_sweep = Instant::now();
        let mut stopping: Option<Instant> = None;
        loop {
            if stopping.is_none() && self.shared.shutdown.load(Ordering::SeqCst) {
                stopping = Some(Instant::now());
                // New clients are refused at once; idle connections are closed.
                self.listener = None;
                for slot in 0..self.conns.len() {
                    if self.conn(slot).is_some_and(Conn::between_requests) {
                        self.close(slot);
                    }
                }
            }
            if let Some(since) = stopping
                && (self.open == 0 || since.elapsed() > self.shared.limits.io_timeout)
            {
                return Ok(());
            }
            let timeout = if self.ready.is_empty() {
                TICK
            } else {
                Duration::ZERO
            };
            if let Err(e) = self.poll.poll(&mut events, Some(timeout)) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept(),
                    WAKER => self.take_done(),
                    Token(t) => self.advance(t - FIRST_CONNECTION),
                }
            }
            for _ in 0..self.ready.len().min(TURNS_BETWEEN_EVENTS) {
                let Some((slot, id)) = self.ready.pop_front() else {
                    break;
                };
                if self.conn(slot).is_some_and(|c| c.id == id) {
                    self.advance(slot);
                }
            }
            if last_sweep.elapsed() >= TICK {
                self.sweep();
                if self.accept_again {
                    self.accept();
                }
                last_sweep = Instant::now();
            }
        }
    }

    fn conn(&self, slot: usize) -> Option<&Conn> {
        self.conns.get(slot).and_then(Option::as_ref)
    }

    fn accept(&mut self) {
        self.accept_again = false;
        loop {
            let Some(listener) = &self.listener else {
                return;
            };
            match listener.accept() {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let _ = socket2::SockRef::from(&stream).set_send_buffer_size(SEND_BUFFER);
                    self.admit_connection(stream, peer);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // Out of file descriptors and the like: the connection waits, the server goes on.
                Err(e) => {
                    crate::message!("curd-server: accept failed: {e}");
                    self.accept_again = true;
                    return;
                }
            }
        }
    }

    /// Takes a new connection in, or answers it 503 when its address or the
    /// server has no room left (after closing an idle one to make room).
    fn admit_connection(&mut self, stream: mio::net::TcpStream, peer: SocketAddr) {
        let shared = Arc::clone(&self.shared);
        let limits = &shared.limits;
        let per_peer = limits.max_connections_per_peer();
        let client = client_of(peer.ip());
        let held = self.peers.get(&client).map_or(0, |p| p.connections);
        let refusal = if held >= per_peer {
            Some(format!(
                "too many connections from {}: at most {per_peer} at once",
                peer.ip()
            ))
        } else if self.open >= limits.max_connections && !self.close_oldest_idle() {
            Some(format!(
                "too many connections: at most {} at once",
                limits.max_connections
            ))
        } else {
            None
        };
        let id = self.next_id;
        self.next_id += 1;
        let conn = match refusal {
            // Too many refusals at once are not answered: each would hold a
            // descriptor while it lingers.
            Some(_) if self.conns.len() - self.free.len() >= 2 * limits.max_connections => {
                return;
            }
            Some(message) => Conn::refused(
                id,
                stream,
                peer,
                Response::text(503, message).header("Retry-After", "1"),
            ),
            None => {
                self.open += 1;
                self.peers.entry(client).or_default().connections += 1;
                Conn::new(id, stream, peer)
            }
        };
        let slot = self.free.pop().unwrap_or_else(|| {
            self.conns.push(None);
            self.conns.len() - 1
        });
        self.conns[slot] = Some(conn);
        let registered = match self.conns[slot].as_mut() {
            Some(conn) => self.poll.registry().register(
                &mut conn.stream,
                Token(slot + FIRST_CONNECTION),
                Interest::READABLE | Interest::WRITABLE,
            ),
            None => Ok(()),
        };
        if registered.is_err() {
            self.close(slot);
            return;
        }
        // A refusal is written at once; a head may already be waiting.
        self.advance(slot);
    }

    /// Closes the keep-alive connection that has waited longest for its next
    /// request; false if there is none.
    fn close_oldest_idle(&mut self) -> bool {
        let oldest = self
            .conns
            .iter()
            .enumerate()
            .filter_map(|(slot, c)| Some((c.as_ref()?.idle_since()?, slot)))
            .min();
        match oldest {
            Some((_, slot)) => {
                self.close(slot);
                true
            }
            None => false,
        }
    }

    /// Moves a connection on as far as its socket allows.
    fn advance(&mut self, slot: usize) {
        let Some(Some(conn)) = self.conns.get_mut(slot) else {
            return;
        };
        let mut ctx = Ctx {
            limits: &self.shared.limits,
            spool_dir: &self.spool_dir,
            scratch: &mut self.scratch,
        };
        let step = conn.advance(&mut ctx);
        let (id, peer) = (conn.id, conn.peer);
        match step {
            Step::Wait => {}
            Step::Yield => self.ready.push_back((slot, id)),
            Step::Dispatch(head, framing, work) => {
                let job = Job {
                    slot,
                    id,
                    peer,
                    head,
                    framing,
                    work,
                };
                self.jobs.push(job);
            }
            Step::Close => {
                self.close(slot);
                return;
            }
        }
        self.count_upload(slot);
    }

    /// Keeps each address's count of uploads in step with its connections.
    fn count_upload(&mut self, slot: usize) {
        let Some(Some(conn)) = self.conns.get_mut(slot) else {
            return;
        };
        let receiving = conn.receiving() && conn.counted;
        if receiving == conn.uploading {
            return;
        }
        conn.uploading = receiving;
        let peer = self.peers.entry(client_of(conn.peer.ip())).or_default();
        if receiving {
            peer.uploads += 1;
        } else {
            peer.uploads = peer.uploads.saturating_sub(1);
        }
    }

    fn close(&mut self, slot: usize) {
        let Some(mut conn) = self.conns.get_mut(slot).and_then(Option::take) else {
            return;
        };
        self.free.push(slot);
        let _ = self.poll.registry().deregister(&mut conn.stream);
        if conn.busy() {
            self.jobs.cancel(conn.peer.ip(), slot, conn.id);
        }
        if !conn.counted {
            return;
        }
        self.open -= 1;
        let ip = client_of(conn.peer.ip());
        if let Some(peer) = self.peers.get_mut(&ip) {
            peer.connections = peer.connections.saturating_sub(1);
            if conn.uploading {
                peer.uploads = peer.uploads.saturating_sub(1);
            }
            if peer.connections == 0 {
                self.peers.remove(&ip);
            }
        }
    }

    /// Takes the workers' answers to their connections.
    fn take_done(&mut self) {
        let done = std::mem::take(&mut *lock(&self.shared.done));
        for done in done {
            self.finish(done);
        }
    }

    fn finish(&mut self, done: Done) {
        let Done {
            slot,
            id,
            head,
            framing,
            outcome,
        } = done;
        let max_uploads = self.shared.limits.max_uploads_per_peer;
        let stopping = self.shared.shutdown.load(Ordering::SeqCst);
        let Some(Some(conn)) = self.conns.get_mut(slot) else {
            return;
        };
        if conn.id != id {
            return;
        }
        let ip = conn.peer.ip();
        let client = client_of(ip);
        match outcome {
            Outcome::Handled(response) => conn.answer(response, stopping),
            Outcome::Admitted(Err(response)) => conn.refuse(response),
            Outcome::Admitted(Ok(_))
                if self.peers.get(&client).map_or(0, |p| p.uploads) >= max_uploads =>
            {
                let message = format!("too many uploads from {ip} at once: at most {max_uploads}");
                conn.refuse(Response::text(429, message).header("Retry-After", "5"));
            }
            Outcome::Admitted(Ok(limit)) => conn.receive(head, framing, limit, &self.spool_dir),
        }
        self.count_upload(slot);
        self.advance(slot);
    }

    /// Acts on every deadline that has passed.
    fn sweep(&mut self) {
        let now = Instant::now();
        let limits = &self.shared.limits;
        let expired: Vec<(usize, Expiry)> = self
            .conns
            .iter()
            .enumerate()
            .filter_map(|(slot, c)| Some((slot, c.as_ref()?.expired(now, limits)?)))
            .collect();
        for (slot, expiry) in expired {
            match expiry {
                Expiry::Answer(response) => {
                    if let Some(Some(conn)) = self.conns.get_mut(slot) {
                        conn.refuse(response);
                    }
                    self.count_upload(slot);
                    self.advance(slot);
                }
                Expiry::Close(reason) => {
                    if let Some(conn) = self.conn(slot) {
                        conn.log_abort(&reason);
                    }
                    self.close(slot);
                }
            }
        }
    }
}

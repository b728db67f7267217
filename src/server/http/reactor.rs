//! The reactor: one thread waits on the listening socket and on every idle
//! connection with epoll (through mio), reads request heads as their bytes arrive,
//! and hands each complete head to the worker pool. It also enforces the limits no
//! worker could: open connections, the time to send a head, the idle time between
//! keep-alive requests.
//!
//! Sockets are registered edge-triggered: each readiness event is read until the
//! socket would block, or the event is not repeated.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token, Waker};

use super::limits::Limits;
use super::protocol::{SERVICE_UNAVAILABLE, head_end};
use super::shared::{Conn, Handler, Shared};
use super::worker::Pool;
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

/// Serves until `shutdown` becomes true, then lets in-flight requests finish.
pub fn serve(
    listener: std::net::TcpListener,
    handler: Arc<dyn Handler>,
    limits: Limits,
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
        handler,
        shutdown,
        open: AtomicUsize::new(0),
        returned: Mutex::new(Vec::new()),
    });
    let (jobs, pool) = Pool::start(&shared)?;
    let mut reactor = Reactor {
        shared,
        jobs,
        slots: Vec::new(),
        free: Vec::new(),
        accept_again: false,
    };
    let result = reactor.run(&mut poll, &mut listener);
    // New clients are refused at once while in-flight requests finish.
    drop(listener);
    drop(reactor);
    pool.join();
    result
}

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
                        let _ = stream.write_all(SERVICE_UNAVAILABLE);
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
                    crate::message!("curd-server: accept failed: {e}");
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

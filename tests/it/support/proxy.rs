//! A TCP proxy that puts a bad network, or a misbehaving server, between curd and a
//! real server on loopback: connections that take seconds to be accepted (lost
//! SYNs), connections reset at once, answers trickled a byte at a time or stalled
//! after their head, and servers that accept and never answer. Threads only; each
//! connection meets the next fault of a list, then a default one. Stopped when
//! dropped: every socket it holds is shut down, which ends its threads.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How the bytes of one direction flow.
#[derive(Clone, Copy, Debug)]
pub enum Flow {
    /// As fast as they come.
    Full,
    /// One byte every so often.
    Trickle(Duration),
    /// Not at all.
    Stall,
}

/// What one connection meets.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// Nothing: both ways pass untouched.
    Pass,
    /// A reset (RST) as soon as it is accepted.
    Reset,
    /// The request goes through; the answer's head, then its body, flow so.
    Slow { head: Flow, body: Flow },
}

/// A running proxy.
pub struct Proxy {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    sockets: Arc<Mutex<Vec<TcpStream>>>,
    thread: Option<JoinHandle<()>>,
}

impl Proxy {
    /// A proxy to `upstream`. For `plugged` after it starts, its listen queue is
    /// full, so new connections are not even completed (their SYNs are dropped and
    /// sent again by the client's kernel after 1 s, 3 s, 7 s...); then the first
    /// connections meet `first` in order, and the rest `rest`.
    pub fn start(upstream: SocketAddr, plugged: Duration, first: Vec<Fault>, rest: Fault) -> Proxy {
        use socket2::{Domain, Socket, Type};
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        socket
            .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .unwrap();
        // A queue of one, which the plug below fills.
        socket.listen(0).unwrap();
        let listener: TcpListener = socket.into();
        let addr = listener.local_addr().unwrap();
        let plug = (!plugged.is_zero()).then(|| TcpStream::connect(addr).unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let sockets = Arc::new(Mutex::new(Vec::new()));
        let (stopped, held) = (Arc::clone(&stop), Arc::clone(&sockets));
        let thread = std::thread::spawn(move || {
            let until = Instant::now() + plugged;
            while Instant::now() < until && !stopped.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(10));
            }
            if plug.is_some() {
                let _ = listener.accept();
            }
            drop(plug);
            listener.set_nonblocking(true).unwrap();
            let mut faults = first.into_iter();
            while !stopped.load(Ordering::Relaxed) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                client.set_nonblocking(false).unwrap();
                let fault = faults.next().unwrap_or(rest);
                serve(client, upstream, fault, &held, &stopped);
            }
        });
        Proxy {
            addr,
            stop,
            sockets,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for socket in self.sockets.lock().unwrap().drain(..) {
            let _ = socket.shutdown(Shutdown::Both);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the threads of one connection.
fn serve(
    client: TcpStream,
    upstream: SocketAddr,
    fault: Fault,
    held: &Arc<Mutex<Vec<TcpStream>>>,
    stop: &Arc<AtomicBool>,
) {
    let (head, body) = match fault {
        Fault::Reset => {
            socket2::SockRef::from(&client)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
            return;
        }
        Fault::Pass => (Flow::Full, Flow::Full),
        Fault::Slow { head, body } => (head, body),
    };
    let Ok(server) = TcpStream::connect(upstream) else {
        return;
    };
    let mut sockets = held.lock().unwrap();
    for socket in [&client, &server] {
        sockets.push(socket.try_clone().unwrap());
    }
    let (client_in, server_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
    std::thread::spawn(move || pump(client_in, server_out, Flow::Full, Flow::Full, None));
    let stop = Arc::clone(stop);
    std::thread::spawn(move || pump(server, client, head, body, Some(&stop)));
}

/// Copies `from` to `to`, the bytes up to the end of an HTTP head (`\r\n\r\n`)
/// flowing as `head` says and the rest as `body` says, until either side closes;
/// then closes `to` for writing.
fn pump(mut from: TcpStream, mut to: TcpStream, head: Flow, body: Flow, stop: Option<&AtomicBool>) {
    let stopped = || stop.is_some_and(|s| s.load(Ordering::Relaxed));
    let mut seen: Vec<u8> = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    'copy: while let Ok(n @ 1..) = from.read(&mut buf) {
        let mut out = Vec::with_capacity(n);
        for &byte in &buf[..n] {
            let in_head = !seen.ends_with(b"\r\n\r\n");
            if in_head {
                seen.push(byte);
            }
            let flow = if in_head { head } else { body };
            if !matches!(flow, Flow::Full) && to.write_all(&std::mem::take(&mut out)).is_err() {
                break 'copy;
            }
            match flow {
                Flow::Full => {}
                Flow::Trickle(every) => std::thread::sleep(every),
                Flow::Stall => {
                    while !stopped() {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            }
            if stopped() {
                break 'copy;
            }
            out.push(byte);
        }
        if to.write_all(&out).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

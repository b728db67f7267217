//! What the reactor and the workers share: the handler, the limits, the count of
//! open connections, and the connections they hand each other.

use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex};

use mio::Waker;

use super::limits::Limits;
use super::request::Request;
use super::response::Response;

/// Turns a request into a response. Called from many worker threads at once.
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, request: &mut Request<'_>) -> Response;
}

/// A connection between the reactor and a worker, with the bytes read so far:
/// handed to a worker once its head is complete (or too large), and handed back
/// after a keep-alive response with whatever the client pipelined.
pub(super) struct Conn {
    pub(super) stream: TcpStream,
    pub(super) peer: SocketAddr,
    pub(super) buf: Vec<u8>,
}

/// Shared between the reactor and the workers.
pub(super) struct Shared {
    pub(super) limits: Limits,
    pub(super) handler: Arc<dyn Handler>,
    pub(super) shutdown: Arc<AtomicBool>,
    /// Connections open, wherever they are; the reactor refuses past the limit.
    pub(super) open: AtomicUsize,
    /// Keep-alive connections given back by workers, for the reactor to take.
    pub(super) returned: Mutex<Vec<Conn>>,
    /// Wakes the reactor when a connection was given back.
    pub(super) waker: Waker,
}

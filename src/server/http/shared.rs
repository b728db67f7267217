//! What the reactor and the workers share: the handler, the limits, the jobs the
//! reactor hands out and the work the workers hand back.

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use mio::Waker;

use super::body::Body;
use super::limits::Limits;
use super::protocol::{Framing, Head};
use super::request::Request;
use super::response::Response;

/// Turns requests into responses. Called from many worker threads at once.
pub trait Handler: Send + Sync + 'static {
    /// Called for every request that sends a body, before any of it is read:
    /// `Ok(limit)` lets up to `limit` bytes of it be received, after which
    /// [`handle`](Handler::handle) runs; an `Err` is the answer, sent at once,
    /// without waiting for the body (the connection is then closed). So a route
    /// that needs no body, or a client not allowed to send one, costs no wait.
    fn admit(&self, request: &mut Request<'_>) -> Result<u64, Response>;

    /// Answers a request whose body, if any, has arrived whole.
    fn handle(&self, request: &mut Request<'_>) -> Response;
}

/// Shared between the reactor and the workers.
pub(super) struct Shared {
    pub(super) limits: Limits,
    pub(super) handler: Arc<dyn Handler>,
    pub(super) shutdown: Arc<AtomicBool>,
    /// Work the workers finished, for the reactor to take.
    pub(super) done: Mutex<Vec<Done>>,
    /// Wakes the reactor when work is done.
    pub(super) waker: Waker,
}

/// A request for a worker, from the connection in `slot` (while it has that `id`).
pub(super) struct Job {
    pub(super) slot: usize,
    pub(super) id: u64,
    pub(super) peer: SocketAddr,
    pub(super) head: Head,
    pub(super) framing: Framing,
    pub(super) work: Work,
}

pub(super) enum Work {
    /// Ask the handler whether to receive the body.
    Admit,
    /// Answer the request, whose body has arrived.
    Handle(Body),
}

/// What a worker hands back, with the head it was given.
pub(super) struct Done {
    pub(super) slot: usize,
    pub(super) id: u64,
    pub(super) head: Head,
    pub(super) framing: Framing,
    pub(super) outcome: Outcome,
}

pub(super) enum Outcome {
    /// The handler's answer to [`Work::Admit`]: a body limit, or a response now.
    Admitted(Result<u64, Response>),
    Handled(Response),
}

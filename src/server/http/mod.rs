//! The HTTP/1.1 engine: owns the listening socket and every connection (network I/O).
//!
//! One reactor thread waits on all idle connections with epoll (through mio) and reads
//! request heads as their bytes arrive; only a complete head is handed to the bounded
//! pool of workers, which read the body, run the handler and write the response with
//! plain blocking I/O. A keep-alive connection then goes back to the reactor. So a
//! client that trickles its request byte by byte costs a buffer, not a thread, and
//! can never hold a worker that normal requests are waiting for.
//!
//! Limits, each a line in [`Limits`]: open connections (more are answered 503), header
//! size, the time to send a head, the idle time between keep-alive requests, and each
//! body read or write; a body or a download also has an overall deadline that grows
//! with its size, so a client that trickles holds a worker for a bounded time.
//!
//! The files, in the order a request meets them: `reactor` (accepting, collecting
//! heads, deadlines of idle connections), `protocol` (the HTTP rules, without I/O),
//! `worker` (the pool: body, handler, response, access log), with `request` and
//! `response` (what handlers see and build), `limits`, and `shared` (what the
//! reactor and the workers share).

mod limits;
mod protocol;
mod reactor;
mod request;
mod response;
mod shared;
mod worker;

pub use limits::Limits;
pub use reactor::{bind, serve};
pub use request::Request;
pub use response::{Payload, Response};
pub use shared::Handler;

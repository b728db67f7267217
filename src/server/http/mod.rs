//! The HTTP/1.1 engine: owns the listening socket and every connection (network I/O).
//!
//! One reactor thread does all the network I/O, with epoll (through mio), as each
//! socket allows: it reads request heads and bodies as their bytes arrive and writes
//! answers as the client takes them, files straight from the page cache with
//! sendfile(2). A request goes to the bounded pool of workers only when it needs
//! nothing more from its client: its head, to ask the handler whether its body is
//! wanted (a 401 or a route that reads none is answered without waiting for it),
//! then the head with the whole body, received meanwhile into memory or a
//! temporary file. So a client that trickles, stops reading, or announces a body it
//! never sends costs a buffer and a deadline, never a worker.
//!
//! Limits, each a line in [`Limits`]: open connections (an idle keep-alive one is
//! closed to make room for a newcomer; without one, 503), connections and uploads
//! per address, header size, the time to send a head (then 408), the idle time
//! between keep-alive requests, and a minimum rate for bodies and answers past a
//! grace period, so every connection ends in bounded time.
//!
//! The files, in the order a request meets them: `reactor` (the event loop,
//! accepting, limits, deadlines), `conn` (one connection's phases and non-blocking
//! I/O), `protocol` and `chunked` (the HTTP rules, without I/O), `body` (a body
//! received for the handler), `worker` (the pool), `request` and `response` (what
//! handlers see and build), `limits`, and `shared` (the handler trait, and what the
//! reactor and the workers share).

mod body;
mod chunked;
mod conn;
mod limits;
mod protocol;
mod reactor;
mod request;
mod response;
mod shared;
mod worker;

pub use limits::{Limits, client_of};
pub use reactor::{bind, serve};
pub use request::Request;
pub use response::{Payload, Response};
pub use shared::Handler;

//! A request as handlers see it: the parsed head, and a body read on demand from the
//! connection, cut off at its Content-Length and at a deadline.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::limits::Limits;
use super::protocol::{CONTINUE, Head};

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

impl<'a> Request<'a> {
    /// The request of `head`, whose body of `length` bytes starts at `buffered[start..]`
    /// and goes on in `stream`.
    pub(super) fn new(
        head: &Head,
        peer: SocketAddr,
        stream: &'a mut TcpStream,
        buffered: Vec<u8>,
        start: usize,
        length: u64,
        limits: &Limits,
    ) -> Request<'a> {
        let (path, query) = head.path_and_query();
        Request {
            method: head.method.clone(),
            path: path.to_string(),
            query: query.to_string(),
            headers: head.headers.clone(),
            peer,
            body: Body {
                stream,
                buffered,
                pos: start,
                declared: length,
                remaining: length,
                send_continue: head.expects_continue(),
                deadline: limits.deadline(length),
                io_timeout: limits.io_timeout,
            },
        }
    }

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

    /// What was read past the body (the start of a pipelined request), or `None`
    /// when the handler left part of the body unread: those bytes would be taken
    /// for the next request, so the connection cannot be used again.
    pub(super) fn leftover(self) -> Option<Vec<u8>> {
        let body = self.body;
        (body.remaining == 0).then(|| body.buffered[body.pos..].to_vec())
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
            self.stream.write_all(CONTINUE)?;
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

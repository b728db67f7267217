//! A request as handlers see it: the parsed head, and its body, whole (see `body`).

use std::io::Read;
use std::net::SocketAddr;

use super::body::Body;
use super::protocol::{Framing, Head};

/// A request whose head has been parsed and whose body, if any, has arrived.
pub struct Request<'a> {
    pub method: String,
    /// The path as sent, still percent-encoded, without the query.
    pub path: String,
    pub query: String,
    /// Header names lowercased, in the order sent.
    pub headers: Vec<(String, String)>,
    pub peer: SocketAddr,
    framing: Framing,
    body: &'a mut Body,
}

impl<'a> Request<'a> {
    pub(super) fn new(
        head: &Head,
        peer: SocketAddr,
        framing: Framing,
        body: &'a mut Body,
    ) -> Request<'a> {
        let (path, query) = head.path_and_query();
        Request {
            method: head.method.clone(),
            path: path.to_string(),
            query: query.to_string(),
            headers: head.headers.clone(),
            peer,
            framing,
            body,
        }
    }

    /// The first header named `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the request sends a body, even an empty one: it has a Content-Length
    /// or is chunked.
    pub fn has_body(&self) -> bool {
        self.framing != Framing::None
    }

    /// The body's length as Content-Length declared it; `None` for a chunked body,
    /// whose length is known only once it has arrived, or for no body.
    pub fn content_length(&self) -> Option<u64> {
        match self.framing {
            Framing::Length(n) => Some(n),
            Framing::None | Framing::Chunked => None,
        }
    }

    /// The body. In [`Handler::admit`](super::Handler::admit) it has not arrived
    /// yet and reads as empty.
    pub fn body(&mut self) -> &mut dyn Read {
        self.body
    }
}

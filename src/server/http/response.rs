//! A response as handlers build it: a status, headers and a payload, which the
//! reactor then writes. The engine adds the headers it owns itself (Date,
//! Content-Length, Server, Connection), so a handler can never send a length that
//! disagrees with its body.

use std::fmt;
use std::sync::Arc;

/// What a response sends after its head.
pub enum Payload {
    Empty,
    Bytes(Vec<u8>),
    /// A cached page, shared by every response that sends it.
    Shared(Arc<Vec<u8>>),
    /// Streamed from disk; never held in memory.
    File(std::fs::File, u64),
}

impl Payload {
    /// The bytes held in memory: none for a file, which is sent from disk.
    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Payload::Bytes(bytes) => bytes,
            Payload::Shared(bytes) => bytes,
            Payload::Empty | Payload::File(..) => &[],
        }
    }
}

/// A response, built by handlers and written by the engine.
pub struct Response {
    pub status: u16,
    pub(super) headers: Vec<(&'static str, String)>,
    pub(super) payload: Payload,
    /// Who made the request, for the access log.
    pub user: Option<String>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, payload: Payload) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", content_type.to_string())],
            payload,
            user: None,
        }
    }

    /// A status with no body.
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            payload: Payload::Empty,
            user: None,
        }
    }

    /// A one-line plain-text message, as every error is answered.
    pub fn text(status: u16, message: impl fmt::Display) -> Response {
        Response::new(
            status,
            "text/plain; charset=utf-8",
            Payload::Bytes(format!("{message}\n").into_bytes()),
        )
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    pub fn with_user(mut self, user: Option<String>) -> Response {
        self.user = user;
        self
    }

    /// The payload's length in bytes, as Content-Length announces it.
    pub(super) fn len(&self) -> u64 {
        match &self.payload {
            Payload::Empty => 0,
            Payload::Bytes(b) => b.len() as u64,
            Payload::Shared(b) => b.len() as u64,
            Payload::File(_, len) => *len,
        }
    }
}

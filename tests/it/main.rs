//! Integration tests: the real binaries run as separate processes, and differential
//! tests against the reference implementation of the packaging standards.
//!
//! One binary, grouped as the library is layered: `standards` (pure parsing, against
//! packaging and pip), `client` (index, installer, builds and the `curd` binary),
//! `server` (curd-server with real clients), and `layers` (the import table). What
//! the groups share lives in `support`.

mod support;

mod layers;

mod client;
mod server;
mod standards;

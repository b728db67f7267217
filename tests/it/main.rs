//! Integration tests: the real binaries run as separate processes, and differential
//! tests against the reference implementation of the packaging standards.

mod server;
mod support;
mod tags;

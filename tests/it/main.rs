//! Integration tests: the real binaries run as separate processes, and differential
//! tests against the reference implementation of the packaging standards.

mod pep508;
mod support;

mod filenames;
mod pep440;
mod server;

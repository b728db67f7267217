//! Integration tests: the real binaries run as separate processes, and differential
//! tests against the reference implementation of the packaging standards.

mod support;

mod layers;

mod pep440;
mod pep508;
mod requirements_txt;
mod filenames;
mod tags;
mod index;
mod install;
mod build;
mod client;
mod warm_cache;
mod online;
mod server;

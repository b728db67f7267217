//! curd: a distributed cache and installer for Python packages.
//!
//! A cache server (`curd-server`, or `curd server`) turns a folder of wheels into a
//! package index that speaks Curdling's API and the standard simple index (PEP 503,
//! 691 and 658), so pip, uv and twine can use it as well as curd's own client.
//!
//! The design is synchronous on purpose: blocking I/O on bounded thread pools keeps
//! the code plain, the dependencies few and the binary small and static.
//!
//! Modules are listed in the order data flows through them: the packaging standards
//! first (pure parsing, no I/O), then the client's network side, then the server.
#![forbid(unsafe_code)]

pub mod args;
pub mod fs;
pub mod digest;
pub mod progress;

// Requirement text and its parsing: the packaging standards, pure, no I/O.
pub mod name;
pub mod version;
pub mod specifier;
pub mod marker;
pub mod requirement;
pub mod requirements_txt;
pub mod filename;
pub mod tags;
pub mod metadata;
pub mod url;

// Find and fetch: the target interpreter, the network, the local cache.
pub mod python;
pub mod fetch;
pub mod index;
pub mod cache;
pub mod find;

// Build, resolve and install into an environment.
pub mod build;
pub mod resolve;
pub mod install;

// What each of the client's commands does.
pub mod commands;

pub mod server;

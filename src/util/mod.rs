//! Helpers with no packaging knowledge: command lines and their configuration
//! files, calendar dates, files, digests, encodings, locks, messages, netrc credentials, progress,
//! TLS roots.
//!
//! May import: std and crates only.

pub mod args;
pub mod clock;
pub mod config;
pub mod digest;
pub mod encoding;
pub mod fs;
pub mod lru;
pub mod messages;
pub mod netrc;
pub mod pace;
pub mod progress;
pub mod sync;
pub mod tls;

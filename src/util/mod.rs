//! Helpers with no packaging knowledge: command lines, files, digests, encodings,
//! locks, messages, progress.
//!
//! May import: std and crates only.

pub mod args;
pub mod digest;
pub mod encoding;
pub mod fs;
pub mod messages;
pub mod progress;
pub mod sync;

//! Helpers with no packaging knowledge: files, digests, encodings, locks, messages,
//! progress.
//!
//! May import: std and crates only.

pub mod digest;
pub mod encoding;
pub mod fs;
pub mod messages;
pub mod progress;
pub mod sync;

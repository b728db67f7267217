//! Bounded reads of untrusted archives, shared by the client and the server: the
//! metadata of wheels and sdists, the checks a server makes before it stores or
//! serves one, and safe sdist unpacking.
//!
//! May import: standards, util.

pub mod error;
pub mod zipfile;
pub mod zipdir;
pub mod metadata;
pub mod paths;
pub mod unpack;
pub mod check;

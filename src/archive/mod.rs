//! Bounded reads of untrusted archives, shared by the client and the server: the
//! metadata of wheels and sdists, and safe sdist unpacking.
//!
//! May import: standards, util.

pub mod error;
pub mod zipfile;
pub mod metadata;
pub mod paths;
pub mod unpack;

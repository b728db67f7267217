//! Bounded reads of untrusted archives, shared by the client and the server: the
//! metadata of wheels and sdists, the checks a server makes before it stores or
//! serves one, and safe sdist unpacking: one set of bounds (`limits`), one set
//! of rules for what an sdist may hold (`sdist`, over `paths`) and one bounded
//! tar reader (`tarball`) for the server's checks and the client's unpacking.
//!
//! May import: standards, util.

pub mod error;
pub mod limits;
pub mod zipfile;
pub mod zipdir;
pub mod metadata;
pub mod paths;
pub mod sdist;
pub mod tarball;
pub mod unpack;
pub mod check;
#[cfg(test)]
mod testing;

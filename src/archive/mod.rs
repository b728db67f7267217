//! Bounded reads of untrusted archives, shared by the client and the server: the
//! metadata of wheels and sdists, and safe sdist unpacking.
//!
//! May import: standards, util.

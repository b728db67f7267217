//! The client's side of the network, its local cache and the install pipeline: the
//! target interpreter, HTTP, indexes, the finder every source is asked through, and
//! the builds it dispatches.
//!
//! May import: resolve, install, build, archive, standards, util.

pub mod schemes;
pub mod python;
pub mod policy;
pub mod dns;
pub mod fetch;
pub mod index;
pub mod cache;
pub mod ahead;
pub mod environment;
pub mod error;
pub mod formats;
pub mod find;
pub mod prepare;
pub mod dispatch;
pub mod direct;
pub mod upload;
pub mod satisfied;

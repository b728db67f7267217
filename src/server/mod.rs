//! The cache server: a folder of wheels served over HTTP.
//!
//! Data flows http -> auth -> storage: `http` owns connections and the protocol,
//! `routes` maps requests to handlers, `auth` decides who may do what, and
//! `storage` is the only module that touches the folder.

pub mod auth;

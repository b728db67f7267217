//! curd: a distributed cache and installer for Python packages.
//!
//! A cache server (`curd-server`, or `curd server`) turns a folder of wheels into a
//! package index that speaks Curdling's API and the standard simple index (PEP 503,
//! 691 and 658), so pip, uv and twine can use it as well as curd's own client.
//!
//! The design is synchronous on purpose: blocking I/O on bounded thread pools keeps
//! the code plain, the dependencies few and the binary small and static.
//!
//! The layers, bottom to top, in the order data flows through them. Each may import
//! only the layers its line names (`tests/it/layers.rs` holds every file to it):
//!
//! | layer       | what it is                                        | may import |
//! |-------------|---------------------------------------------------|------------|
//! | `util`      | files, digests, encodings, locks, messages        | std and crates only |
//! | `standards` | the packaging standards, pure                     | util |
//! | `archive`   | bounded reads of untrusted wheels and sdists      | standards, util |
//! | `resolve`   | the PubGrub solver over a provider trait          | standards |
//! | `install`   | the wheel installer (disk; Python for bytecode)   | archive, standards, util |
//! | `build`     | the PEP 517 frontend                              | archive, standards, util |
//! | `client`    | network, local cache, the install pipeline        | resolve, install, build, archive, standards, util |
//! | `server`    | the cache server                                  | archive, standards, util |
//! | `cli`       | flags in, messages out                            | everything but server |
#![forbid(unsafe_code)]

pub mod util;
pub mod standards;
pub mod archive;
pub mod resolve;
pub mod install;
pub mod build;
pub mod client;
pub mod server;
pub mod cli;

//! Test support, one idea a file: per-test folders kept when a test fails (`tmp`),
//! child processes that leave the developer's settings behind and dump everything
//! when a test fails (`process`), the `curd` runner over them (`curd`), throwaway
//! servers stopped by their handle (`servers`, spoken to by `http`), a proxy that
//! puts faults between curd and them (`proxy`), distributions made for a test
//! (`dists`), hostile archives no tool makes (`crafted`), Python and pip as the
//! oracle (`python`), committed fixtures (`files`), and the one seeded random
//! number generator (`rng`).

pub mod crafted;
pub mod curd;
pub mod dists;
pub mod files;
pub mod garage;
pub mod http;
pub mod process;
pub mod proxy;
pub mod python;
pub mod rng;
pub mod servers;
pub mod static_index;
pub mod tmp;

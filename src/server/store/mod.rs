//! Where the server keeps distributions beyond a local folder.

pub mod bucket;
pub mod s3;

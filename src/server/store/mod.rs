//! Where the server keeps distributions beyond a local folder.

pub mod s3;

//! The packaging standards, parsed to the letter: names (PEP 503), versions and
//! specifiers (PEP 440), markers and requirements (PEP 508), wheel and sdist file
//! names (PEP 427, 625), platform tags (PEP 425), URLs, simple-index pages (PEP 503, 691), core metadata, RECORD
//! (PEP 376, 627).
//!
//! May import: util.

pub mod name;
pub mod version;
pub mod specifier;
pub mod marker;
pub mod requirement;
pub mod filename;
pub mod tags;
pub mod machine;
pub mod url;
pub mod simple;
pub mod metadata;
pub mod record;

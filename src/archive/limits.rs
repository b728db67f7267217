//! The bounds every read of an untrusted archive keeps, in one place: the server's
//! checks and the client's reads use the same numbers, so a file the server
//! stores is one the client will read, and a bomb costs either side at most what
//! is written here.
//!
//! Each number is far above what real archives need (said beside it, with the
//! largest ones known) and far below what would hurt a machine: bounds for
//! archives that expand without end, not quotas.

/// Five times the entries of the largest real wheels: ansible 12.3 has 21 488,
/// torch about 15 000.
pub const MAX_WHEEL_ENTRIES: u64 = 100_000;

/// Room for [`MAX_WHEEL_ENTRIES`] central directory records with names of 300
/// bytes (ansible's 21 488 take 2.7 MB).
pub const MAX_CENTRAL_DIRECTORY: u64 = 32 * 1024 * 1024;

/// Twice what the largest real wheels unpack to (CUDA wheels reach a few GiB;
/// ansible unpacks to 211 MB).
pub const MAX_WHEEL_UNPACKED: u64 = 8 * 1024 * 1024 * 1024;

/// An sdist's members, counting the long-name and pax records that come before
/// them: tiny entries exhaust inodes long before bytes run out, and each costs a
/// header to read even when it carries no file. Real sdists hold a few thousand
/// (tens of thousands with vendored sources).
pub const MAX_SDIST_ENTRIES: u64 = 500_000;

/// The bytes an sdist's members declare, added up, hard-link copies included:
/// the largest real sdists, with vendored C++ sources, unpack to a few hundred
/// MiB. With [`MAX_SDIST_ENTRIES`] headers of a KiB at most, this bounds what a
/// gzip bomb makes a reader decompress, not only what it writes.
pub const MAX_SDIST_UNPACKED: u64 = 4 * 1024 * 1024 * 1024;

/// An sdist's names and link targets, added up: all are kept in memory to check
/// each entry against those before it. 50 000 files with names of 100 bytes
/// take 5 MB; this is [`MAX_SDIST_ENTRIES`] names of 250 bytes.
pub const MAX_SDIST_NAMES: u64 = 128 * 1024 * 1024;

/// A GNU long name or link target: no file system takes a path this long
/// (Linux's PATH_MAX is 4 KiB), and it is read whole into memory.
pub const MAX_LONG_NAME: u64 = 64 * 1024;

/// One pax header's records (long names, times, comments), read whole into
/// memory; the ones tools write are a few hundred bytes.
pub const MAX_PAX_HEADER: u64 = 1024 * 1024;

/// A symbolic link's target stored as a zip entry's data: as long as a path gets.
pub const MAX_LINK_TARGET: u64 = 4096;

/// Far above any real METADATA or PKG-INFO (the largest on PyPI are a few
/// hundred KiB of description), far below what would hurt the server.
pub const MAX_METADATA_BYTES: u64 = 16 * 1024 * 1024;

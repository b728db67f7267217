//! An sdist's `.tar.gz`, read in one pass with every read bounded: what the
//! server's check and the client's unpacker both stream entries from, with one
//! reading of tar's entry types.
//!
//! <https://pubs.opengroup.org/onlinepubs/9799919799/utilities/pax.html> (ustar
//! and pax headers); GNU long names as GNU tar writes them.
//!
//! Traps: the tar crate reads a GNU long name or a pax header whole into memory
//! however large its header says it is (4 GiB from a few MB of gzip bomb), so the
//! tar is read raw here, and each such record is refused past its bound before a
//! byte of it is read. Every member, whether it carries a file or not, counts
//! against the entries and bytes of [`Limits`](crate::archive::sdist::Limits)
//! before it is read: a folder that declares gigabytes of data is refused rather
//! than skipped, since skipping decompresses it all the same. A pax `size` record
//! is refused: no sdist within the bounds needs one (tools write it past 8 GiB),
//! and it would make this reader and Python's see different entries.

use std::io::{self, Read};
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use crate::archive::error::{ArchiveError, Refusal};
use crate::archive::limits::{MAX_LONG_NAME, MAX_PAX_HEADER};
use crate::archive::sdist::{Entry, Kind, Rules, text};

fn not_tar_gz(sdist: &Path, reason: impl Into<String>) -> ArchiveError {
    ArchiveError::NotTarGz {
        path: sdist.to_path_buf(),
        reason: reason.into(),
    }
}

/// Reads the sdist's members from `reader` (its gzipped bytes), checks each
/// with `rules`, and hands each entry they admit to `visit`, whose data it may
/// read. Data it leaves is skipped, within the bytes the rules counted.
pub(crate) fn walk<E: From<ArchiveError>>(
    reader: impl Read,
    sdist: &Path,
    rules: &mut Rules<'_>,
    mut visit: impl FnMut(Entry<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let damaged = |e: io::Error| not_tar_gz(sdist, e.to_string());
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(reader));
    // The names that GNU long-name and pax records give the next entry.
    let mut long_name: Option<Vec<u8>> = None;
    let mut long_link: Option<Vec<u8>> = None;
    for member in archive.entries().map_err(damaged)?.raw(true) {
        let mut member = member.map_err(damaged)?;
        let kind = member.header().entry_type();
        let size = member.size();
        let is_long = kind.is_gnu_longname() || kind.is_gnu_longlink();
        let is_pax = kind.is_pax_local_extensions() || kind.is_pax_global_extensions();
        if is_long || is_pax {
            rules.count(size)?;
        }
        if is_long {
            let mut bytes = read_record(&mut member, size, MAX_LONG_NAME, sdist)?;
            while bytes.last() == Some(&0) {
                bytes.pop();
            }
            *(if kind.is_gnu_longname() {
                &mut long_name
            } else {
                &mut long_link
            }) = Some(bytes);
            continue;
        }
        if is_pax {
            let records = read_record(&mut member, size, MAX_PAX_HEADER, sdist)?;
            // Global records hold nothing an sdist's entries need (`git archive`
            // writes its commit there).
            if kind.is_pax_local_extensions() {
                for record in tar::PaxExtensions::new(&records) {
                    let record = record.map_err(damaged)?;
                    match record.key_bytes() {
                        b"path" => long_name = Some(record.value_bytes().to_vec()),
                        b"linkpath" => long_link = Some(record.value_bytes().to_vec()),
                        b"size" => {
                            return Err(not_tar_gz(
                                sdist,
                                "a pax size record, which no sdist needs",
                            )
                            .into());
                        }
                        _ => {}
                    }
                }
            }
            continue;
        }
        let name_bytes = long_name
            .take()
            .unwrap_or_else(|| member.path_bytes().into_owned());
        let link_bytes = long_link
            .take()
            .or_else(|| member.link_name_bytes().map(|b| b.into_owned()));
        let name = text(sdist, &name_bytes, None)?;
        let target = || match &link_bytes {
            Some(bytes) => text(sdist, bytes, Some(&name)),
            None => Err(ArchiveError::entry(sdist, &name, "is a link to nothing")),
        };
        let header = member.header();
        // Tars older than POSIX mark folders as files whose names end in `/`.
        let entry_kind = if kind.is_dir() || (kind.is_file() && name.ends_with('/')) {
            Kind::Dir
        } else if kind.is_file() || kind.is_contiguous() {
            Kind::File {
                executable: header.mode().is_ok_and(|mode| mode & 0o100 != 0),
                modified: header
                    .mtime()
                    .ok()
                    .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs))),
            }
        } else if kind.is_symlink() {
            Kind::Symlink(target()?)
        } else if kind.is_hard_link() {
            Kind::HardLink(target()?)
        } else if kind.is_character_special() || kind.is_block_special() || kind.is_fifo() {
            return Err(ArchiveError::entry(sdist, &name, "is a device file or a pipe").into());
        } else {
            let reason = format!(
                "is of a kind curd does not unpack (tar type `{}`)",
                (kind.as_byte() as char).escape_default()
            );
            return Err(ArchiveError::entry(sdist, &name, reason).into());
        };
        let Some((path, entry_kind)) = rules.admit(&name, entry_kind, size)? else {
            continue;
        };
        visit(Entry {
            name: &name,
            path,
            kind: entry_kind,
            size,
            data: &mut member,
        })?;
    }
    Ok(())
}

/// Reads a long name or pax records whole, once its declared size is within
/// `limit`.
fn read_record(
    reader: impl Read,
    size: u64,
    limit: u64,
    sdist: &Path,
) -> Result<Vec<u8>, ArchiveError> {
    if size > limit {
        return Err(ArchiveError::refused(
            sdist,
            Refusal::Header { size, limit },
        ));
    }
    let mut bytes = Vec::new();
    reader
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| not_tar_gz(sdist, e.to_string()))?;
    Ok(bytes)
}

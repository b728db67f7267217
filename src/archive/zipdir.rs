//! A zip archive's central directory, read straight from the file and checked
//! before any of it is trusted.
//!
//! <https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT> (sections 4.3.6
//! to 4.3.16, 4.5.3).
//!
//! Traps: the entry count of the end record is checked before a single record is
//! read, so a million-entry archive costs one read of its tail, never a table of
//! a million entries in memory (the zip crate builds one); records are streamed,
//! one at a time. Bytes before the archive (a script or an executable with a zip
//! appended) and after it are refused: tools that read such a file each find a
//! different archive in it. Names without the UTF-8 flag are Latin-1 here and
//! cp437 in Python, both one character a byte, so the ASCII that the path
//! checks look at reads the same.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use crate::archive::error::{ArchiveError, Refusal};
use crate::util::fs::Context;

const END: u32 = 0x0605_4b50;
const END64_LOCATOR: u32 = 0x0706_4b50;
const END64: u32 = 0x0606_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const LOCAL: u32 = 0x0403_4b50;
/// The end record: 22 bytes and a comment of at most 65 535.
const END_SIZE: u64 = 22;
const MAX_TAIL: u64 = END_SIZE + 0xFFFF;
const LOCAL_SIZE: u64 = 30;

/// Where the central directory is, and how many records it holds.
#[derive(Debug)]
pub struct Directory {
    pub entries: u64,
    pub offset: u64,
    pub size: u64,
}

/// One central directory record.
#[derive(Debug)]
pub struct Record {
    pub name: String,
    pub flags: u16,
    pub method: u16,
    pub crc32: u32,
    pub compressed: u64,
    pub uncompressed: u64,
    /// Where the entry's local header starts.
    pub header: u64,
    /// The name's length as stored.
    pub name_len: u64,
    /// The Unix file type bits of its mode (`0o170000`), or 0 when not made on Unix.
    pub unix_type: u32,
}

impl Record {
    /// Where the local header and the data end at the least: the local header's
    /// extra field comes on top.
    pub fn min_end(&self) -> u64 {
        self.header
            .saturating_add(LOCAL_SIZE)
            .saturating_add(self.name_len)
            .saturating_add(self.compressed)
    }

    pub fn is_symlink(&self) -> bool {
        self.unix_type == 0o120_000
    }

    pub fn is_dir(&self) -> bool {
        self.name.ends_with('/') || self.unix_type == 0o040_000
    }

    /// Neither a file, a folder nor a link: a device or a pipe.
    pub fn is_special(&self) -> bool {
        !matches!(self.unix_type, 0 | 0o100_000 | 0o040_000 | 0o120_000)
    }
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(b)
}

fn not_zip(path: &Path, reason: &str) -> ArchiveError {
    ArchiveError::NotZip {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Reads exactly `len` bytes at `at`; a file too short is a damaged archive.
fn read_at(file: &mut File, path: &Path, at: u64, len: usize) -> Result<Vec<u8>, ArchiveError> {
    file.seek(SeekFrom::Start(at)).context("read", path)?;
    let mut bytes = vec![0u8; len];
    match file.read_exact(&mut bytes) {
        Ok(()) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Err(not_zip(path, "the file ends early"))
        }
        Err(e) => Err(e).context("read", path).map_err(ArchiveError::from),
    }
}

/// Finds the central directory from the end record, refusing more than
/// `max_entries` records or a directory over `max_size` bytes before reading it.
pub fn directory(
    file: &mut File,
    path: &Path,
    max_entries: u64,
    max_size: u64,
) -> Result<Directory, ArchiveError> {
    let len = file.metadata().context("read", path)?.len();
    if len < END_SIZE {
        return Err(not_zip(path, "too short for a zip"));
    }
    let tail_start = len.saturating_sub(MAX_TAIL);
    let tail = read_at(file, path, tail_start, (len - tail_start) as usize)?;
    let signature = END.to_le_bytes();
    let at = (0..=tail.len() - END_SIZE as usize)
        .rev()
        .find(|&i| tail[i..i + 4] == signature)
        .ok_or_else(|| not_zip(path, "no end of central directory record"))?;
    let end = &tail[at..];
    let end_at = tail_start + at as u64;
    let archive_end = end_at + END_SIZE + u64::from(u16_at(end, 20));
    if archive_end > len {
        return Err(not_zip(path, "the end record's comment runs past the end"));
    }
    if archive_end < len {
        return Err(ArchiveError::refused(
            path,
            Refusal::BytesAfter(len - archive_end),
        ));
    }
    if u16_at(end, 4) != 0 || u16_at(end, 6) != 0 {
        return Err(not_zip(path, "split over several disks"));
    }
    let mut dir = Directory {
        entries: u64::from(u16_at(end, 10)),
        size: u64::from(u32_at(end, 12)),
        offset: u64::from(u32_at(end, 16)),
    };
    let mut directory_end = end_at;
    let zip64 = dir.entries == 0xFFFF || dir.size == 0xFFFF_FFFF || dir.offset == 0xFFFF_FFFF;
    if zip64 {
        let locator_at = end_at
            .checked_sub(20)
            .ok_or_else(|| not_zip(path, "no zip64 end record locator"))?;
        let locator = read_at(file, path, locator_at, 20)?;
        if u32_at(&locator, 0) != END64_LOCATOR {
            return Err(not_zip(path, "no zip64 end record locator"));
        }
        let end64_at = u64_at(&locator, 8);
        let end64 = read_at(file, path, end64_at, 56)?;
        if u32_at(&end64, 0) != END64 {
            return Err(not_zip(path, "no zip64 end record"));
        }
        if end64_at
            .saturating_add(12)
            .saturating_add(u64_at(&end64, 4))
            != locator_at
        {
            return Err(not_zip(path, "a zip64 end record of the wrong size"));
        }
        dir = Directory {
            entries: u64_at(&end64, 32),
            size: u64_at(&end64, 40),
            offset: u64_at(&end64, 48),
        };
        directory_end = end64_at;
    }
    if dir.entries > max_entries {
        return Err(ArchiveError::refused(path, Refusal::Entries(max_entries)));
    }
    if dir.size > max_size {
        return Err(ArchiveError::refused(path, Refusal::Directory(max_size)));
    }
    // Python's zipfile reads the difference as bytes prepended to the archive.
    match dir.offset.checked_add(dir.size) {
        Some(end) if end == directory_end => Ok(dir),
        Some(end) if end < directory_end => Err(ArchiveError::refused(path, Refusal::BytesBefore)),
        _ => Err(not_zip(
            path,
            "the central directory overlaps its end record",
        )),
    }
}

/// Calls `visit` with each record of the central directory, in order.
pub fn records(
    file: &mut File,
    path: &Path,
    dir: &Directory,
    mut visit: impl FnMut(Record) -> Result<(), ArchiveError>,
) -> Result<(), ArchiveError> {
    file.seek(SeekFrom::Start(dir.offset))
        .context("read", path)?;
    let mut input = BufReader::with_capacity(64 * 1024, &mut *file).take(dir.size);
    let truncated = || not_zip(path, "the central directory ends early");
    let mut fixed = [0u8; 46];
    for _ in 0..dir.entries {
        input.read_exact(&mut fixed).map_err(|_| truncated())?;
        if u32_at(&fixed, 0) != CENTRAL {
            return Err(not_zip(path, "a damaged central directory record"));
        }
        let mut variable =
            vec![0u8; usize::from(u16_at(&fixed, 28)) + usize::from(u16_at(&fixed, 30))];
        input.read_exact(&mut variable).map_err(|_| truncated())?;
        let comment = u64::from(u16_at(&fixed, 32));
        if std::io::copy(&mut (&mut input).take(comment), &mut std::io::sink()).ok()
            != Some(comment)
        {
            return Err(truncated());
        }
        let (raw_name, extra) = variable.split_at(usize::from(u16_at(&fixed, 28)));
        let flags = u16_at(&fixed, 8);
        let name = entry_name(raw_name, flags).ok_or_else(|| {
            ArchiveError::entry(
                path,
                &String::from_utf8_lossy(raw_name),
                "has a name marked UTF-8 that is not",
            )
        })?;
        let made_on_unix = u16_at(&fixed, 4) >> 8 == 3;
        let mut record = Record {
            name,
            flags,
            method: u16_at(&fixed, 10),
            crc32: u32_at(&fixed, 16),
            compressed: u64::from(u32_at(&fixed, 20)),
            uncompressed: u64::from(u32_at(&fixed, 24)),
            header: u64::from(u32_at(&fixed, 42)),
            name_len: raw_name.len() as u64,
            unix_type: if made_on_unix {
                (u32_at(&fixed, 38) >> 16) & 0o170_000
            } else {
                0
            },
        };
        apply_zip64(&mut record, extra)
            .ok_or_else(|| not_zip(path, "a damaged zip64 extra field"))?;
        visit(record)?;
    }
    if input.limit() != 0 {
        return Err(not_zip(
            path,
            "the central directory holds more than its records",
        ));
    }
    Ok(())
}

fn entry_name(raw: &[u8], flags: u16) -> Option<String> {
    if flags & 0x0800 != 0 {
        return String::from_utf8(raw.to_vec()).ok();
    }
    Some(raw.iter().map(|&b| char::from(b)).collect())
}

/// Sizes and offsets too large for their fields are in the zip64 extra field, in
/// this order, each only when its field says so.
fn apply_zip64(record: &mut Record, mut extra: &[u8]) -> Option<()> {
    while extra.len() >= 4 {
        let (id, len) = (u16_at(extra, 0), usize::from(u16_at(extra, 2)));
        let body = extra.get(4..4 + len)?;
        if id == 1 {
            let mut values = body.chunks_exact(8).map(|c| u64_at(c, 0));
            for field in [
                &mut record.uncompressed,
                &mut record.compressed,
                &mut record.header,
            ] {
                if *field == 0xFFFF_FFFF {
                    *field = values.next()?;
                }
            }
            return Some(());
        }
        extra = &extra[4 + len..];
    }
    let wide = [record.uncompressed, record.compressed, record.header];
    (!wide.contains(&0xFFFF_FFFF)).then_some(())
}

/// Where an entry's data starts: after its local header, which must name it as the
/// central directory does. Tools that stream a zip read the local headers alone, so
/// a header naming `../x` under a harmless central record would reach them.
fn data_start(file: &mut File, path: &Path, header: u64, name: &str) -> Result<u64, ArchiveError> {
    let unreadable = |reason: &str| ArchiveError::UnreadableEntry {
        path: path.to_path_buf(),
        entry: name.to_string(),
        reason: reason.to_string(),
    };
    let local = read_at(file, path, header, LOCAL_SIZE as usize)?;
    if u32_at(&local, 0) != LOCAL {
        return Err(unreadable(
            "no local header where the central directory says",
        ));
    }
    let name_len = u64::from(u16_at(&local, 26));
    let raw_name = read_at(file, path, header + LOCAL_SIZE, name_len as usize)?;
    if entry_name(&raw_name, u16_at(&local, 6)).as_deref() != Some(name) {
        return Err(unreadable("its local header names another entry"));
    }
    Ok(header + LOCAL_SIZE + name_len + u64::from(u16_at(&local, 28)))
}

/// Checks every entry's local header against its central record: `entries` are
/// (local header offset, name) pairs.
pub fn check_local_headers(
    file: &mut File,
    path: &Path,
    entries: &[(u64, String)],
) -> Result<(), ArchiveError> {
    for (header, name) in entries {
        data_start(file, path, *header, name)?;
    }
    Ok(())
}

/// The bytes of one entry, at most `limit` of them, checked against its CRC: from
/// its local header, which must name it as the central directory does.
pub fn read_entry(
    file: &mut File,
    path: &Path,
    dir: &Directory,
    record: &Record,
    limit: u64,
) -> Result<Vec<u8>, ArchiveError> {
    let unreadable = |reason: &str| ArchiveError::UnreadableEntry {
        path: path.to_path_buf(),
        entry: record.name.clone(),
        reason: reason.to_string(),
    };
    let too_large = || ArchiveError::TooLarge {
        path: path.to_path_buf(),
        entry: record.name.clone(),
        limit,
    };
    if record.uncompressed > limit {
        return Err(too_large());
    }
    if record.flags & 1 != 0 {
        return Err(unreadable("it is encrypted"));
    }
    let start = data_start(file, path, record.header, &record.name)?;
    if start.saturating_add(record.compressed) > dir.offset {
        return Err(unreadable("its data runs into the central directory"));
    }
    file.seek(SeekFrom::Start(start)).context("read", path)?;
    let raw = (&mut *file).take(record.compressed);
    let mut bytes = Vec::new();
    let read = match record.method {
        0 => raw.take(limit + 1).read_to_end(&mut bytes),
        8 => flate2::read::DeflateDecoder::new(raw)
            .take(limit + 1)
            .read_to_end(&mut bytes),
        _ => {
            return Err(unreadable(
                "it is compressed with a method other than deflate",
            ));
        }
    };
    read.map_err(|e| unreadable(&e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    let mut crc = flate2::Crc::new();
    crc.update(&bytes);
    if bytes.len() as u64 != record.uncompressed || crc.sum() != record.crc32 {
        return Err(unreadable(
            "its size or CRC differs from the central directory's",
        ));
    }
    Ok(bytes)
}

/// Checks that the entries tile the archive as written: the first at its very
/// start, none overlapping the next (a bomb that reuses one compressed block for
/// many entries), all before the central directory. `extents` are each entry's
/// (local header, least end, name).
pub fn check_layout(
    path: &Path,
    dir: &Directory,
    extents: &mut [(u64, u64, String)],
) -> Result<(), ArchiveError> {
    extents.sort_unstable_by_key(|(header, ..)| *header);
    if extents.first().is_some_and(|(header, ..)| *header != 0) {
        return Err(ArchiveError::refused(path, Refusal::BytesBefore));
    }
    for pair in extents.windows(2) {
        if pair[0].1 > pair[1].0 {
            return Err(ArchiveError::refused(
                path,
                Refusal::Overlap(pair[0].2.clone(), pair[1].2.clone()),
            ));
        }
    }
    if extents.last().is_some_and(|(_, end, _)| *end > dir.offset) {
        return Err(not_zip(path, "an entry runs into the central directory"));
    }
    Ok(())
}

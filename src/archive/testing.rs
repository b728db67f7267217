//! Archives no tool writes, for the unit tests of this folder: tar members whose
//! headers declare more than the stream holds (the shape of a bomb, without its
//! gigabytes), and zips whose end record claims more entries than they hold.

/// A gzipped tar of raw members: (name, type, declared size, data). The data may
/// be shorter than declared, as in a bomb cut short: a reader that trusts the
/// header reads on to the end of the stream, one that bounds it never starts.
pub(crate) fn tar_gz(members: &[(&str, tar::EntryType, u64, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut tar = Vec::new();
    for (name, kind, size, data) in members {
        let mut header = tar::Header::new_gnu();
        let gnu = header.as_gnu_mut().expect("a GNU header");
        gnu.name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_entry_type(*kind);
        header.set_mode(0o644);
        header.set_size(*size);
        header.set_cksum();
        tar.extend_from_slice(header.as_bytes());
        tar.extend_from_slice(data);
        tar.resize(tar.len().next_multiple_of(512), 0);
    }
    if members
        .iter()
        .all(|(_, _, size, data)| *size == data.len() as u64)
    {
        tar.resize(tar.len() + 1024, 0);
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).expect("gzip");
    gz.finish().expect("gzip finish")
}

/// `zip` with its end record replaced by a zip64 one that claims `entries`
/// entries in the same central directory: what a reader that sizes a table by
/// the claim allocates for.
pub(crate) fn claiming_entries(zip: &[u8], entries: u64) -> Vec<u8> {
    let u16_at = |at: usize| u16::from_le_bytes([zip[at], zip[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes([zip[at], zip[at + 1], zip[at + 2], zip[at + 3]]);
    let end = zip.len() - 22;
    assert_eq!(u32_at(end), 0x0605_4b50, "a zip without a comment");
    let size = u64::from(u32_at(end + 12));
    let offset = u64::from(u32_at(end + 16));
    let mut out = zip[..end].to_vec();
    let end64_at = out.len() as u64;
    out.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
    out.extend_from_slice(&44u64.to_le_bytes());
    out.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    for value in [entries, entries, size, offset] {
        out.extend_from_slice(&value.to_le_bytes());
    }
    out.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&end64_at.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&zip[end..end + 8]);
    out.extend_from_slice(&[0xFF; 4]);
    out.extend_from_slice(&zip[end + 12..end + 20]);
    out.extend_from_slice(&u16_at(end + 20).to_le_bytes());
    out
}

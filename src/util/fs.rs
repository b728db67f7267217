//! File helpers that touch the disk: errors that name the path, and atomic writes.
//!
//! An atomic write goes to a hidden temporary file in the destination's folder, is
//! fsynced, then renamed over the destination and the folder fsynced, so a reader or
//! a crash sees either the old file or the whole new one, never half of one. Caches
//! skip the fsyncs: a reader still never sees half a file, and what a crash spoils
//! is fetched again.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// An I/O error with the path it happened on.
#[derive(Debug)]
pub struct FsError {
    pub path: PathBuf,
    pub action: &'static str,
    pub source: io::Error,
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot {} `{}`: {}",
            self.action,
            self.path.display(),
            self.source
        )
    }
}

impl std::error::Error for FsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Attaches a path and an action to an `io::Result`.
pub trait Context<T> {
    fn context(self, action: &'static str, path: &Path) -> Result<T, FsError>;
}

impl<T> Context<T> for io::Result<T> {
    fn context(self, action: &'static str, path: &Path) -> Result<T, FsError> {
        self.map_err(|source| FsError {
            path: path.to_path_buf(),
            action,
            source,
        })
    }
}

/// Copies `source` to `dest`, which must not exist (a file there is an error, never
/// written through: it may be a hard link into a cache), with `source`'s permission
/// bits less the umask. `fs::copy` costs twice the system calls of this on a copy
/// of thousands of small files (a second stat, a `fchmod`, a read of the end), and
/// a copy-mode install is made of little else. The kernel copies the bytes
/// (`copy_file_range`, sharing extents where the file system can); where it will
/// not, they go through a buffer.
pub fn copy_new(source: &Path, dest: &Path) -> io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut from = File::open(source)?;
    let meta = from.metadata()?;
    let mut to = File::options()
        .write(true)
        .create_new(true)
        .mode(meta.permissions().mode() & 0o777)
        .open(dest)?;
    let mut left = meta.len();
    while left > 0 {
        let chunk = usize::try_from(left).unwrap_or(usize::MAX);
        match rustix::fs::copy_file_range(&from, None, &to, None, chunk) {
            Ok(0) => return Ok(()),
            Ok(copied) => left = left.saturating_sub(copied as u64),
            // Not between these two (another file system on an old kernel, a
            // special file): the offsets are where the kernel left them.
            Err(_) => {
                io::copy(&mut from, &mut to)?;
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The prefix of temporary files, so a folder scan can skip (and clean) them.
pub const TEMP_PREFIX: &str = ".curd-tmp-";

/// A name no other temporary file of any process has: the prefix, this process's id
/// and a counter. The id is read once: an install names thousands of files.
pub fn temp_name(label: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}{n}", temp_prefix(label))
}

/// How every name [`temp_name`] gives for `label` in this process begins, so a
/// folder scan can find them all.
pub fn temp_prefix(label: &str) -> String {
    static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let pid = *PID.get_or_init(std::process::id);
    format!("{TEMP_PREFIX}{pid}-{label}")
}

/// How old a temporary entry of a process that is gone must be before
/// [`sweep_abandoned`] takes it: a process of the same id on another machine
/// sharing the folder may still be writing it, but not for this long unseen.
const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes the temporary files and folders in `dir` that a process cut short left
/// behind (Ctrl-C or a kill mid-unpack): those of a process id that no longer runs
/// here, untouched for an hour. Says how many went; a failure leaves the entry.
pub fn sweep_abandoned(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let own = std::process::id().to_string();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .and_then(|rest| rest.split('-').next())
            .filter(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        let old = meta
            .modified()
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > ABANDONED_AFTER);
        if pid == own || !old || Path::new("/proc").join(pid).exists() {
            continue;
        }
        let path = entry.path();
        let gone = if meta.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        if gone.is_ok() {
            removed += 1;
        }
    }
    removed
}

/// A folder's entries; `None` if the folder is not there.
pub fn read_dir_if_there(dir: &Path) -> Result<Option<std::fs::ReadDir>, FsError> {
    match std::fs::read_dir(dir) {
        Ok(entries) => Ok(Some(entries)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).context("read folder", dir),
    }
}

/// Reads at most `limit` bytes of a file, failing if it holds more.
pub fn read_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    take_bounded(File::open(path)?, limit)
}

/// Reads at most `limit` bytes, failing if there are more.
pub fn take_bounded(reader: impl Read, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("expected at most {limit} bytes, found more"),
        ));
    }
    Ok(bytes)
}

/// Reads until `buf` is full or the reader ends; returns how much it holds. Readers
/// such as decompressors and sockets hand out a little at a time, and one write of a
/// full buffer costs less than many small ones.
pub fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Whether an error says the disk is full: no room left for bytes, for a new file
/// (no inode: also `ENOSPC`), or under the user's quota (`EDQUOT`).
pub fn out_of_space(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded
    )
}

/// Writes `bytes` to `dest` whole or not at all, without waiting for the disk (see
/// [`TempFile::persist_unsynced`]): for caches and state cheaper to make again than
/// to fsync.
pub fn write_unsynced(dest: &Path, bytes: &[u8]) -> Result<(), FsError> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let mut temp = TempFile::new_in(dir)?;
    temp.write_all(bytes).context("write", temp.path())?;
    temp.persist_unsynced(dest)
}

/// A file being written next to its destination; removed on drop unless persisted.
pub struct TempFile {
    path: PathBuf,
    file: Option<File>,
}

impl TempFile {
    /// Creates a new, uniquely named temporary file in `dir`.
    pub fn new_in(dir: &Path) -> Result<TempFile, FsError> {
        loop {
            let path = dir.join(temp_name(""));
            match File::options().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    return Ok(TempFile {
                        path,
                        file: Some(file),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e).context("create", &path),
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Holds an exclusive lock on the file until it is persisted or dropped: the
    /// lock dies with this process, so whoever sweeps the folder can tell a file
    /// still being written from one a crash left behind.
    pub fn lock(&self) -> Result<(), FsError> {
        match &self.file {
            Some(file) => file.lock().context("lock", &self.path),
            None => Ok(()),
        }
    }

    /// Flushes the bytes written so far to disk, so that a later [`persist`]
    /// (under a lock, say) has little left to wait for.
    ///
    /// [`persist`]: TempFile::persist
    pub fn sync(&self) -> Result<(), FsError> {
        match &self.file {
            Some(file) => file.sync_all().context("sync", &self.path),
            None => Ok(()),
        }
    }

    /// Flushes to disk and renames over `dest` (same folder), then syncs the folder.
    pub fn persist(mut self, dest: &Path) -> Result<(), FsError> {
        if let Some(file) = self.file.take() {
            file.sync_all().context("sync", &self.path)?;
        }
        self.rename(dest)?;
        if let Some(dir) = dest.parent() {
            // A folder fsync makes the rename itself durable; where a filesystem cannot
            // sync folders the file is still whole, so the error is not fatal.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }

    /// Renames over `dest` (same folder) without waiting for the disk, for caches:
    /// readers still never see half a file, but a power cut can leave a short one,
    /// which whoever reads it must check for (and which is cheaper to fetch again
    /// than an fsync of every file is to wait for).
    pub fn persist_unsynced(mut self, dest: &Path) -> Result<(), FsError> {
        self.file = None;
        self.rename(dest)
    }

    fn rename(&mut self, dest: &Path) -> Result<(), FsError> {
        std::fs::rename(&self.path, dest).context("rename into place", dest)?;
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Write for TempFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(io::Error::other("temporary file already persisted")),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A folder removed on drop, unique to one unit test.
#[cfg(test)]
pub(crate) struct TestDir(pub(crate) PathBuf);

#[cfg(test)]
impl TestDir {
    pub(crate) fn new(label: &str) -> TestDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("curd-unit-{}-{label}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temporary folder");
        TestDir(path)
    }

    pub(crate) fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

#[cfg(test)]
impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("curd-fs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn sweeps_what_a_process_gone_for_an_hour_left() {
        let dir = scratch("sweep");
        // No process has an id this high (the kernel's limit is 2^22).
        let gone = format!("{TEMP_PREFIX}999999999-unpack-3");
        let young = format!("{TEMP_PREFIX}999999998-unpack-1");
        let alive = format!("{TEMP_PREFIX}1-unpack-0");
        let own = temp_name("unpack-");
        let file = format!("{TEMP_PREFIX}999999997-x0");
        for name in [&gone, &young, &alive, &own] {
            std::fs::create_dir_all(dir.join(name).join("pkg")).unwrap();
            std::fs::write(dir.join(name).join("pkg/mod.py"), b"x").unwrap();
        }
        std::fs::write(dir.join(&file), b"x").unwrap();
        std::fs::write(dir.join("wheel"), b"kept").unwrap();
        let hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        for name in [&gone, &alive, &own, &file] {
            File::open(dir.join(name))
                .unwrap()
                .set_modified(hours_ago)
                .unwrap();
        }
        assert_eq!(sweep_abandoned(&dir), 2);
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut expected = vec![young, alive, own, "wheel".to_string()];
        expected.sort();
        assert_eq!(left, expected);
    }

    #[test]
    fn persist_replaces_destination_whole() {
        let dir = scratch("persist");
        let dest = dir.join("a.whl");
        std::fs::write(&dest, b"old").unwrap();
        let mut t = TempFile::new_in(&dir).unwrap();
        t.write_all(b"new contents").unwrap();
        t.persist(&dest).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new contents");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    }

    #[test]
    fn copy_new_copies_bytes_and_mode_and_never_writes_through() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("copy");
        let (source, dest) = (dir.join("tool"), dir.join("copy"));
        // Past one copy_file_range call's usual chunk, and not a multiple of a page.
        let bytes: Vec<u8> = (0..3_000_001u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&source, &bytes).unwrap();
        std::fs::set_permissions(&source, std::fs::Permissions::from_mode(0o755)).unwrap();
        copy_new(&source, &dest).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), bytes);
        let mode = std::fs::metadata(&dest).unwrap().permissions().mode();
        assert_eq!(mode & 0o100, 0o100, "{mode:o}");
        // A file in the way is refused, not written through.
        let error = copy_new(&dir.join("tool"), &dest).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        let empty = dir.join("empty");
        std::fs::write(&empty, b"").unwrap();
        copy_new(&empty, &dir.join("empty-copy")).unwrap();
        assert_eq!(std::fs::read(dir.join("empty-copy")).unwrap(), b"");
    }

    #[test]
    fn dropped_temp_file_leaves_nothing() {
        let dir = scratch("drop");
        let mut t = TempFile::new_in(&dir).unwrap();
        t.write_all(b"partial").unwrap();
        drop(t);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    }

    #[test]
    fn a_full_disk_or_quota_is_out_of_space() {
        // ENOSPC and EDQUOT on Linux.
        for errno in [28, 122] {
            assert!(
                out_of_space(&io::Error::from_raw_os_error(errno)),
                "{errno}"
            );
        }
        assert!(!out_of_space(&io::Error::from_raw_os_error(13)));
    }

    #[test]
    fn errors_name_the_path() {
        let err = std::fs::read("/nonexistent/x").context("read", Path::new("/nonexistent/x"));
        assert!(
            err.unwrap_err()
                .to_string()
                .starts_with("cannot read `/nonexistent/x`: ")
        );
    }
}

//! The environment (or a cache folder) as the destination of a wheel's files: each
//! write places one file where the layout says and gives back its RECORD row (the
//! wheel's own for a file placed unchanged, the hash of what was written for a
//! script or a file the installer makes); RECORD itself comes last, from those rows.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use super::error::InstallError;
use super::layout::Layout;
use super::script::copy_script;
use super::stream::{CopyError, Hashing, copy};
use super::wheel::Content;
use super::writer::{LinkMode, Writer};
use crate::standards::record::{self, Row};
use crate::util::fs::{Context, FsError};

/// The writing side: places each file and returns the row RECORD gets for it.
pub(super) struct Destination<'j> {
    /// The archive or folder read, as errors name it.
    pub(super) wheel: PathBuf,
    pub(super) writer: Writer<'j>,
    pub(super) layout: Layout,
    /// The first line of scripts, pointing at the environment's interpreter.
    pub(super) shebang: Vec<u8>,
    pub(super) link: LinkMode,
    /// Set when the files are no longer wanted: writing gives up within one
    /// buffer, however big the file.
    pub(super) stop: Option<&'j AtomicBool>,
}

impl<'j> Destination<'j> {
    /// Places one file of the wheel; `None` for a file not installed (one the
    /// installer writes itself, or a wrapper its launchers replace).
    pub(super) fn write_file(
        &mut self,
        entry: &str,
        row: &Row,
        content: Content<'_>,
    ) -> Result<Option<Row>, InstallError> {
        let (path, record, script) = match &self.layout {
            Layout::Install(layout) => match layout.destination(&self.wheel, entry)? {
                Some(destination) => destination,
                None => return Ok(None),
            },
            Layout::Unpack { root } => (root.join(entry), entry.to_string(), false),
        };
        self.check_stop()?;
        self.claim(&path)?;
        if script {
            // "If the first line of a file in scripts/ starts with exactly b'#!python',
            // rewrite to point to the correct interpreter. Unix installers may need to
            // add the +x bit to these files if the archive was created on Windows."
            let file = self.writer.create(&path, true)?;
            let mut out = Hashing::new(file);
            let copied = match content {
                Content::Stream { reader, .. } => copy_script(reader, &mut out, &self.shebang),
                Content::File(source) => {
                    let mut file = File::open(source).context("open", source)?;
                    copy_script(&mut file, &mut out, &self.shebang)
                }
            };
            copied.map_err(|error| self.copy_error(error, entry, &path))?;
            return Ok(Some(out.finish(record)));
        }
        match content {
            Content::Stream { reader, executable } => {
                let mut file = self.writer.create(&path, executable)?;
                let copied = match self.stop {
                    Some(stop) => copy(&mut Stoppable { reader, stop }, &mut file),
                    None => copy(reader, &mut file),
                };
                copied.map_err(|error| self.copy_error(error, entry, &path))?;
            }
            Content::File(source) => self.writer.link(source, &path, self.link)?,
        }
        // Written unchanged, so the wheel's row holds once the source verifies it.
        Ok(Some(Row {
            path: record,
            hash: row.hash.clone(),
            size: row.size,
            line: 0,
        }))
    }

    /// A destination for another part of the same wheel, on another thread.
    pub(super) fn part(&self) -> Destination<'j> {
        Destination {
            wheel: self.wheel.clone(),
            writer: self.writer.sibling(),
            layout: self.layout.clone(),
            shebang: self.shebang.clone(),
            link: self.link,
            stop: self.stop,
        }
    }

    fn check_stop(&self) -> Result<(), InstallError> {
        match self.stop {
            Some(stop) if stop.load(Ordering::Relaxed) => Err(InstallError::Stopped {
                wheel: self.wheel.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// Takes over what a [`Destination::part`] wrote.
    pub(super) fn absorb(&mut self, part: Destination<'j>) -> Result<(), InstallError> {
        self.writer
            .absorb(part.writer)
            .map_err(|path| InstallError::DuplicateDestination {
                wheel: self.wheel.clone(),
                path,
            })
    }

    /// Writes a file the installer makes (a launcher, INSTALLER, REQUESTED).
    pub(super) fn write_generated(
        &mut self,
        path: PathBuf,
        record: String,
        bytes: &[u8],
        executable: bool,
    ) -> Result<Row, InstallError> {
        self.claim(&path)?;
        let mut out = Hashing::new(self.writer.create(&path, executable)?);
        out.write_all(bytes).context("write", &path)?;
        Ok(out.finish(record))
    }

    /// RECORD itself, listed last with empty hash and size, since it "cannot contain
    /// a hash of itself".
    pub(super) fn write_record(
        &mut self,
        path: PathBuf,
        rows: &[Row],
        record: &str,
    ) -> Result<(), InstallError> {
        self.claim(&path)?;
        let own = Row {
            path: record.to_string(),
            hash: String::new(),
            size: None,
            line: 0,
        };
        let text = record::write(rows) + &record::write(&[own]);
        let mut file = self.writer.create(&path, false)?;
        file.write_all(text.as_bytes()).context("write", &path)?;
        Ok(())
    }

    fn claim(&mut self, path: &Path) -> Result<(), InstallError> {
        if self.writer.claim(path) {
            Ok(())
        } else {
            Err(InstallError::DuplicateDestination {
                wheel: self.wheel.clone(),
                path: path.to_path_buf(),
            })
        }
    }

    fn copy_error(&self, error: CopyError, entry: &str, path: &Path) -> InstallError {
        if let Err(stopped) = self.check_stop() {
            return stopped;
        }
        match error {
            CopyError::Read(error) => InstallError::UnreadableEntry {
                wheel: self.wheel.clone(),
                entry: entry.to_string(),
                reason: error.to_string(),
            },
            CopyError::Write(source) => InstallError::Io(FsError {
                path: path.to_path_buf(),
                action: "write",
                source,
            }),
        }
    }
}

/// A reader that fails once `stop` is set, so that a long copy ends soon after.
struct Stoppable<'a> {
    reader: &'a mut dyn Read,
    stop: &'a AtomicBool,
}

impl Read for Stoppable<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(io::Error::other("stopped"));
        }
        self.reader.read(buf)
    }
}

//! RECORD, the list of a wheel's or an installed project's files: one CSV row per
//! file, `path,algorithm=digest,size`.
//!
//! - The file: <https://packaging.python.org/en/latest/specifications/recording-installed-packages/#the-record-file>
//! - In wheels: <https://packaging.python.org/en/latest/specifications/binary-distribution-format/#the-dist-info-directory>
//!
//! Traps:
//! - The dialect is Python's `csv` module's default, not a line format: a field
//!   holding `,`, `"` or a newline is quoted, `""` stands for a quote inside it, and a
//!   quoted field may span lines. Lines end in `\n` or `\r\n`.
//! - RECORD lists itself, with empty hash and size, since it "cannot contain a hash
//!   of itself"; its signatures (`RECORD.jws`, `RECORD.p7s`) are not listed at all.
//! - Digests are urlsafe base64 without padding, but some tools write the padding:
//!   a reader compares them without it.
//! - In a wheel, every other file must have a hash of sha256 or better and a size;
//!   an installed RECORD may leave both empty (files made at install time).
//! - Paths are relative to the folder holding `.dist-info` and may climb out of it
//!   (`../../../bin/x`) or be absolute: whoever acts on them confines them first.
//!
//! Pure: rows in, text out. Reading the file is the installer's business.

use std::fmt::{self, Write as _};

/// The hash algorithms a wheel's RECORD may use: "sha256 or better".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    /// The name before the `=` of a digest, as `hashlib` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }
}

/// One row of RECORD: `path,algorithm=digest,size`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub path: String,
    /// Empty, or `algorithm=digest` (urlsafe base64 without padding).
    pub hash: String,
    pub size: Option<u64>,
    /// Where it was read, for errors; 0 for rows made here.
    pub line: usize,
}

impl Row {
    /// The hash algorithm and size a wheel file must have. "Every file except RECORD
    /// ... must include its hash. The hash algorithm must be sha256 or better."
    pub fn expected(&self) -> Result<(Algorithm, u64), RecordError> {
        let line = self.line;
        let path = || self.path.clone();
        if self.hash.is_empty() {
            return Err(RecordError::MissingHash { line, path: path() });
        }
        let name = self.hash.split_once('=').map_or("", |(name, _)| name);
        let algorithm = [Algorithm::Sha256, Algorithm::Sha384, Algorithm::Sha512]
            .into_iter()
            .find(|algorithm| algorithm.name() == name)
            .ok_or_else(|| RecordError::WeakHash {
                line,
                path: path(),
                found: self.hash.clone(),
            })?;
        let size = self
            .size
            .ok_or_else(|| RecordError::MissingSize { line, path: path() })?;
        Ok((algorithm, size))
    }
}

/// Why RECORD could not be read, or a row of it does not hold for a wheel's file.
///
/// Its `Display` says what is wrong, not where: the caller names the file, and the
/// line from [`RecordError::line`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordError {
    /// The bytes are not UTF-8; `line` is where the first bad byte stands.
    NotUtf8 { line: usize },
    /// A row without exactly three fields.
    FieldCount { line: usize, found: usize },
    /// A row whose path is empty.
    EmptyPath { line: usize },
    /// A size that is not a whole number of bytes.
    InvalidSize { line: usize, found: String },
    /// A quoted field still open at the end of the text.
    UnclosedQuote { line: usize },
    /// A wheel's file listed without a hash.
    MissingHash { line: usize, path: String },
    /// A wheel's file hashed with an algorithm weaker than sha256, or unknown.
    WeakHash {
        line: usize,
        path: String,
        found: String,
    },
    /// A wheel's file listed without a size.
    MissingSize { line: usize, path: String },
}

impl RecordError {
    /// The line of RECORD the fault is on, counted from 1.
    pub fn line(&self) -> usize {
        use RecordError::*;
        match self {
            NotUtf8 { line }
            | FieldCount { line, .. }
            | EmptyPath { line }
            | InvalidSize { line, .. }
            | UnclosedQuote { line }
            | MissingHash { line, .. }
            | WeakHash { line, .. }
            | MissingSize { line, .. } => *line,
        }
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use RecordError::*;
        match self {
            NotUtf8 { .. } => f.write_str("expected UTF-8 text, found other bytes"),
            FieldCount { found, .. } => {
                write!(f, "expected 3 fields (path, hash, size), found {found}")
            }
            EmptyPath { .. } => f.write_str("expected a path, found an empty field"),
            InvalidSize { found, .. } => write!(
                f,
                "expected a size in bytes, found `{}`",
                found.escape_debug()
            ),
            UnclosedQuote { .. } => {
                f.write_str("expected a closing `\"`, found the end of the file")
            }
            MissingHash { path, .. } => {
                write!(
                    f,
                    "expected a hash for `{}`, found none",
                    path.escape_debug()
                )
            }
            WeakHash { path, found, .. } => write!(
                f,
                "expected a sha256, sha384 or sha512 hash for `{}`, found `{}`",
                path.escape_debug(),
                found.escape_debug()
            ),
            MissingSize { path, .. } => {
                write!(
                    f,
                    "expected a size for `{}`, found none",
                    path.escape_debug()
                )
            }
        }
    }
}

impl std::error::Error for RecordError {}

/// The rows of RECORD's bytes, which must be UTF-8.
pub fn parse_bytes(bytes: &[u8]) -> Result<Vec<Row>, RecordError> {
    let text = std::str::from_utf8(bytes).map_err(|error| {
        let line = 1 + bytes[..error.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        RecordError::NotUtf8 { line }
    })?;
    parse(text)
}

/// Rows of a RECORD file, read as Python's `csv.reader` reads them (the specification's
/// dialect): `,` between fields, `"` around a field holding one, `""` for a quote
/// inside it, lines ended by `\n` or `\r\n`. Blank lines are skipped.
pub fn parse(text: &str) -> Result<Vec<Row>, RecordError> {
    let mut rows = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut row_line = 1;
    let mut chars = text.chars().peekable();
    let mut end_row = |fields: &mut Vec<String>, row_line: usize| -> Result<(), RecordError> {
        let taken = std::mem::take(fields);
        if taken.len() == 1 && taken[0].is_empty() {
            return Ok(());
        }
        let [path, hash, size]: [String; 3] =
            taken
                .try_into()
                .map_err(|taken: Vec<String>| RecordError::FieldCount {
                    line: row_line,
                    found: taken.len(),
                })?;
        if path.is_empty() {
            return Err(RecordError::EmptyPath { line: row_line });
        }
        let size = if size.is_empty() {
            None
        } else {
            Some(size.parse().map_err(|_| RecordError::InvalidSize {
                line: row_line,
                found: size.clone(),
            })?)
        };
        rows.push(Row {
            path,
            hash,
            size,
            line: row_line,
        });
        Ok(())
    };
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => fields.push(std::mem::take(&mut field)),
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                fields.push(std::mem::take(&mut field));
                end_row(&mut fields, row_line)?;
                line += 1;
                row_line = line;
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err(RecordError::UnclosedQuote { line: row_line });
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        end_row(&mut fields, row_line)?;
    }
    Ok(rows)
}

/// RECORD's text for `rows`, one line each, as `csv.writer` writes them.
pub fn write(rows: &[Row]) -> String {
    let mut out = String::with_capacity(rows.len() * 96);
    for row in rows {
        push_field(&mut out, &row.path);
        out.push(',');
        push_field(&mut out, &row.hash);
        out.push(',');
        if let Some(size) = row.size {
            let _ = write!(out, "{size}");
        }
        out.push('\n');
    }
    out
}

/// A CSV field, quoted as `csv.writer` quotes by default: only when it must be.
fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_record_as_the_csv_module_does() {
        let text = "a.py,sha256=x,1\r\n\"b,c.py\",sha256=y,2\n\n\"q\"\"uote\",,\n\"multi\nline\",,\nlast,,";
        let rows = parse(text).expect("parses");
        let paths: Vec<&str> = rows.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["a.py", "b,c.py", "q\"uote", "multi\nline", "last"]);
        assert_eq!(rows[0].size, Some(1));
        assert_eq!(rows[2].size, None);
        assert_eq!(rows[2].hash, "");
        assert_eq!(
            rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [1, 2, 4, 5, 7]
        );
        for (text, line, reason) in [
            ("a,b\n", 1, "expected 3 fields (path, hash, size), found 2"),
            (
                "a,b,c,d\n",
                1,
                "expected 3 fields (path, hash, size), found 4",
            ),
            (
                "ok,,\nx,sha256=a,big\n",
                2,
                "expected a size in bytes, found `big`",
            ),
            ("x,sha256=a,-1\n", 1, "expected a size in bytes, found `-1`"),
            (",sha256=a,1\n", 1, "expected a path, found an empty field"),
            (
                "ok,,\n\"open,,\n",
                2,
                "expected a closing `\"`, found the end of the file",
            ),
        ] {
            let error = parse(text).expect_err(text);
            assert_eq!(
                (error.line(), error.to_string()),
                (line, reason.into()),
                "{text:?}"
            );
        }
        let error = parse_bytes(b"a,,\nb\xff,,\n").expect_err("not UTF-8");
        assert_eq!(error, RecordError::NotUtf8 { line: 2 });
    }

    #[test]
    fn writes_record_that_reads_back() {
        let rows = vec![
            Row {
                path: "pkg/a.py".into(),
                hash: "sha256=a".into(),
                size: Some(1),
                line: 0,
            },
            Row {
                path: "../../../bin/odd, \"name\"".into(),
                hash: "sha256=b".into(),
                size: Some(0),
                line: 0,
            },
            Row {
                path: "pkg-1.0.dist-info/RECORD".into(),
                hash: String::new(),
                size: None,
                line: 0,
            },
        ];
        let text = write(&rows);
        assert_eq!(
            text,
            "pkg/a.py,sha256=a,1\n\"../../../bin/odd, \"\"name\"\"\",sha256=b,0\npkg-1.0.dist-info/RECORD,,\n",
        );
        let read = parse(&text).expect("reads back");
        for (read, row) in read.iter().zip(&rows) {
            assert_eq!(
                (&read.path, &read.hash, read.size),
                (&row.path, &row.hash, row.size)
            );
        }
    }

    #[test]
    fn a_wheel_file_needs_a_strong_hash_and_a_size() {
        let row = |hash: &str, size| Row {
            path: "a.py".into(),
            hash: hash.into(),
            size,
            line: 3,
        };
        assert_eq!(
            row("sha256=x", Some(1)).expected(),
            Ok((Algorithm::Sha256, 1))
        );
        assert_eq!(
            row("sha512=x", Some(0)).expected(),
            Ok((Algorithm::Sha512, 0))
        );
        for (row, message) in [
            (row("", Some(1)), "expected a hash for `a.py`, found none"),
            (
                row("md5=nope", Some(1)),
                "expected a sha256, sha384 or sha512 hash for `a.py`, found `md5=nope`",
            ),
            (
                row("sha256", Some(1)),
                "expected a sha256, sha384 or sha512 hash for `a.py`, found `sha256`",
            ),
            (
                row("sha256=x", None),
                "expected a size for `a.py`, found none",
            ),
        ] {
            let error = row.expected().expect_err(message);
            assert_eq!((error.line(), error.to_string()), (3, message.into()));
        }
    }
}

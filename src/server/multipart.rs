//! `multipart/form-data` request bodies (RFC 7578), read as a stream.
//!
//! Uploads can be hundreds of megabytes, so the file part goes straight to a writer
//! as it arrives while the parser looks for the closing delimiter; only the small
//! text fields (twine's `:action`, `sha256_digest`, ...) are kept in memory, bounded.

use std::fmt;
use std::io::{self, Read, Write};

/// The text fields of a form, and which part carried the file.
#[derive(Debug, Default)]
pub struct Form {
    pub fields: Vec<(String, String)>,
    pub file: Option<FilePart>,
}

impl Form {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The part that carried the file.
#[derive(Debug, PartialEq, Eq)]
pub struct FilePart {
    pub filename: String,
}

/// Why a form could not be read.
#[derive(Debug)]
pub enum MultipartError {
    /// The body does not follow the multipart format.
    Malformed(&'static str),
    /// The Content-Type's boundary is missing or not one RFC 2046 allows.
    Boundary(String),
    /// A text field or the part headers are larger than allowed.
    TooLarge(&'static str),
    /// More than one part carried a file.
    SecondFile(String),
    /// Reading the body failed.
    Read(io::Error),
    /// Writing the file part failed.
    Write(io::Error),
}

impl fmt::Display for MultipartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MultipartError::Malformed(what) => write!(f, "malformed multipart body: {what}"),
            MultipartError::Boundary(why) => write!(f, "invalid multipart boundary: {why}"),
            MultipartError::TooLarge(what) => write!(f, "multipart body refused: {what}"),
            MultipartError::SecondFile(field) => {
                write!(
                    f,
                    "expected one file in the form, found a second one in field `{field}`"
                )
            }
            MultipartError::Read(e) => write!(f, "could not read the upload: {e}"),
            MultipartError::Write(e) => write!(f, "could not store the upload: {e}"),
        }
    }
}

impl std::error::Error for MultipartError {}

const MAX_PART_HEADERS: usize = 8 * 1024;
const MAX_FIELD: usize = 64 * 1024;
const MAX_FIELDS: usize = 256;
const CHUNK: usize = 64 * 1024;

/// The boundary of a `multipart/form-data` Content-Type; `None` when the body is
/// not a form.
///
/// RFC 2046 section 5.1.1: 1 to 70 characters of `bchars`, the last not a space.
/// Anything else is refused rather than read as something other than a form.
pub fn boundary(content_type: &str) -> Result<Option<String>, MultipartError> {
    let mut params = content_type.split(';');
    let media = params.next().unwrap_or_default().trim();
    if !media.eq_ignore_ascii_case("multipart/form-data") {
        return Ok(None);
    }
    let boundary = params
        .find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("boundary")
                .then(|| v.trim().trim_matches('"').to_string())
        })
        .ok_or_else(|| MultipartError::Boundary("the Content-Type names none".into()))?;
    let length = boundary.chars().count();
    if !(1..=70).contains(&length) {
        return Err(MultipartError::Boundary(format!(
            "expected 1 to 70 characters, found {length}"
        )));
    }
    let bchar = |c: char| c.is_ascii_alphanumeric() || "'()+_,-./:=? ".contains(c);
    if let Some(c) = boundary.chars().find(|&c| !bchar(c)) {
        return Err(MultipartError::Boundary(format!(
            "`{}` is not allowed in a boundary",
            c.escape_debug()
        )));
    }
    if boundary.ends_with(' ') {
        return Err(MultipartError::Boundary(
            "expected no space at the end".into(),
        ));
    }
    Ok(Some(boundary))
}

/// Buffered reading with look-ahead, for finding delimiters that straddle reads.
/// The buffer is allocated once: a client sending one byte at a time costs a read
/// per byte, not an allocation.
struct Scanner<'a> {
    input: &'a mut dyn Read,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
}

impl Scanner<'_> {
    fn available(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Reads more input; false at the end of it.
    fn fill(&mut self) -> Result<bool, MultipartError> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let n = loop {
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(MultipartError::Read(e)),
            }
        };
        self.end += n;
        self.eof = n == 0;
        Ok(n > 0)
    }

    /// Ensures at least `n` bytes are available.
    fn need(&mut self, n: usize) -> Result<(), MultipartError> {
        while self.available().len() < n {
            if !self.fill()? {
                return Err(MultipartError::Malformed("the body ended early"));
            }
        }
        Ok(())
    }

    /// Passes everything before `needle` to `sink` and consumes the needle too.
    fn copy_until(
        &mut self,
        needle: &[u8],
        sink: &mut dyn FnMut(&[u8]) -> Result<(), MultipartError>,
    ) -> Result<(), MultipartError> {
        loop {
            let data = self.available();
            if let Some(at) = find(data, needle) {
                sink(&data[..at])?;
                self.start += at + needle.len();
                return Ok(());
            }
            // Everything but a possible partial needle at the end is content.
            let safe = data.len().saturating_sub(needle.len() - 1);
            sink(&data[..safe])?;
            self.start += safe;
            if !self.fill()? {
                return Err(MultipartError::Malformed("missing the closing boundary"));
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut from = 0;
    while let Some(i) = haystack[from..].iter().position(|&b| b == first) {
        let at = from + i;
        if haystack[at..].starts_with(needle) {
            return Some(at);
        }
        if haystack.len() - at < needle.len() {
            return None;
        }
        from = at + 1;
    }
    None
}

/// Reads a whole form from `body`: text fields into memory, the one file part into `file_out`.
pub fn read_form(
    body: &mut dyn Read,
    boundary: &str,
    file_out: &mut dyn Write,
) -> Result<Form, MultipartError> {
    let mut scanner = Scanner {
        input: body,
        buf: vec![0; CHUNK],
        start: 0,
        end: 0,
        eof: false,
    };
    let opening = format!("--{boundary}");
    let delimiter = format!("\r\n--{boundary}");
    // The preamble before the first boundary is ignored, as RFC 2046 says.
    let mut preamble = 0usize;
    scanner.copy_until(opening.as_bytes(), &mut |skipped| {
        preamble += skipped.len();
        if preamble > MAX_PART_HEADERS {
            return Err(MultipartError::Malformed("no opening boundary"));
        }
        Ok(())
    })?;
    let mut form = Form::default();
    loop {
        scanner.need(2)?;
        match &scanner.available()[..2] {
            b"--" => return Ok(form),
            b"\r\n" => scanner.start += 2,
            _ => {
                return Err(MultipartError::Malformed(
                    "expected a line break after a boundary",
                ));
            }
        }
        let headers = read_part_headers(&mut scanner)?;
        let (field, filename) = disposition(&headers)?;
        match filename {
            Some(filename) => {
                if form.file.is_some() {
                    return Err(MultipartError::SecondFile(field));
                }
                scanner.copy_until(delimiter.as_bytes(), &mut |data| {
                    file_out.write_all(data).map_err(MultipartError::Write)
                })?;
                form.file = Some(FilePart { filename });
            }
            None => {
                if form.fields.len() >= MAX_FIELDS {
                    return Err(MultipartError::TooLarge("too many fields"));
                }
                let mut value = Vec::new();
                scanner.copy_until(delimiter.as_bytes(), &mut |data| {
                    if value.len() + data.len() > MAX_FIELD {
                        return Err(MultipartError::TooLarge(
                            "a text field is larger than 64 KiB",
                        ));
                    }
                    value.extend_from_slice(data);
                    Ok(())
                })?;
                let value = String::from_utf8(value)
                    .map_err(|_| MultipartError::Malformed("a text field is not UTF-8"))?;
                form.fields.push((field, value));
            }
        }
    }
}

fn read_part_headers(scanner: &mut Scanner<'_>) -> Result<String, MultipartError> {
    let mut raw = Vec::new();
    scanner.copy_until(b"\r\n\r\n", &mut |data| {
        if raw.len() + data.len() > MAX_PART_HEADERS {
            return Err(MultipartError::TooLarge("part headers larger than 8 KiB"));
        }
        raw.extend_from_slice(data);
        Ok(())
    })?;
    String::from_utf8(raw).map_err(|_| MultipartError::Malformed("part headers are not UTF-8"))
}

/// The field name and file name of a part's `Content-Disposition: form-data`.
fn disposition(headers: &str) -> Result<(String, Option<String>), MultipartError> {
    let value = headers
        .split("\r\n")
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-disposition")
                .then_some(value)
        })
        .ok_or(MultipartError::Malformed(
            "a part has no Content-Disposition",
        ))?;
    let mut field = None;
    let mut filename = None;
    for (key, val) in params(value) {
        match key.to_ascii_lowercase().as_str() {
            "name" => field = Some(val),
            "filename" => filename = Some(val),
            _ => {}
        }
    }
    let field = field.ok_or(MultipartError::Malformed("a part has no field name"))?;
    Ok((field, filename))
}

/// `key=value` and `key="quoted \" value"` parameters after the disposition type.
fn params(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    // Skip the disposition type.
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ';') {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|&c| c != '=').collect();
        if key.is_empty() {
            return out;
        }
        let mut val = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => val.extend(chars.next()),
                    '"' => break,
                    c => val.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ';' {
                    break;
                }
                val.push(c);
                chars.next();
            }
        }
        out.push((key.trim().to_string(), val.trim().to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[(&str, Option<&str>, &[u8])], boundary: &str) -> Vec<u8> {
        let mut out = b"preamble to ignore\r\n".to_vec();
        for (name, filename, data) in parts {
            out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            let file = filename
                .map(|f| format!("; filename=\"{f}\""))
                .unwrap_or_default();
            out.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"{file}\r\n").as_bytes(),
            );
            if filename.is_some() {
                out.extend_from_slice(b"Content-Type: application/octet-stream\r\n");
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        out
    }

    /// Reads in tiny pieces, so delimiters straddle reads.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(self.0.len()).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn reads_fields_and_streams_the_file() {
        let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let raw = body(
            &[
                (":action", None, b"file_upload"),
                ("sha256_digest", None, b"abc"),
                ("content", Some("a-1.0-py3-none-any.whl"), &content),
                ("name", None, b"a"),
            ],
            "xYzZY",
        );
        for step in [1, 7, 4096, usize::MAX] {
            let mut file = Vec::new();
            let form = read_form(&mut Trickle(&raw, step), "xYzZY", &mut file).unwrap();
            assert_eq!(file, content, "step {step}");
            assert_eq!(form.field(":action"), Some("file_upload"));
            assert_eq!(form.field("name"), Some("a"));
            assert_eq!(
                form.file,
                Some(FilePart {
                    filename: "a-1.0-py3-none-any.whl".into()
                })
            );
        }
    }

    #[test]
    fn content_resembling_the_boundary_is_kept() {
        let content = b"--xYzZ\r\n--xYzZ not quite\r\n-";
        let raw = body(&[("f", Some("f.whl"), content)], "xYzZY");
        let mut file = Vec::new();
        read_form(&mut Trickle(&raw, 3), "xYzZY", &mut file).unwrap();
        assert_eq!(file, content);
    }

    #[test]
    fn refuses_broken_bodies() {
        let mut sink = Vec::new();
        let truncated = &body(&[("f", Some("f.whl"), b"data")], "B")[..40];
        assert!(matches!(
            read_form(&mut &truncated[..], "B", &mut sink),
            Err(MultipartError::Malformed(_))
        ));
        let two = body(
            &[("a", Some("a.whl"), b"1"), ("b", Some("b.whl"), b"2")],
            "B",
        );
        assert!(matches!(
            read_form(&mut &two[..], "B", &mut sink),
            Err(MultipartError::SecondFile(f)) if f == "b"
        ));
        let big = vec![b'x'; MAX_FIELD + 1];
        let raw = body(&[("a", None, &big)], "B");
        assert!(matches!(
            read_form(&mut &raw[..], "B", &mut sink),
            Err(MultipartError::TooLarge(_))
        ));
        let nameless = b"--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--".to_vec();
        assert!(matches!(
            read_form(&mut &nameless[..], "B", &mut sink),
            Err(MultipartError::Malformed(_))
        ));
    }

    #[test]
    fn finds_the_boundary_parameter() {
        let found = |ct: &str| boundary(ct).unwrap();
        assert_eq!(
            found("multipart/form-data; boundary=abc").as_deref(),
            Some("abc")
        );
        assert_eq!(
            found("Multipart/Form-Data;boundary=\"a b\"").as_deref(),
            Some("a b")
        );
        let longest = "x".repeat(70);
        assert_eq!(
            found(&format!("multipart/form-data; boundary={longest}")),
            Some(longest)
        );
        assert_eq!(found("application/octet-stream"), None);
    }

    #[test]
    fn refuses_boundaries_rfc_2046_does_not_allow() {
        for (ct, reason) in [
            ("multipart/form-data", "names none"),
            ("multipart/form-data; boundary=", "found 0"),
            (
                &format!("multipart/form-data; boundary={}", "x".repeat(71)),
                "found 71",
            ),
            (
                "multipart/form-data; boundary=\"ab \"",
                "no space at the end",
            ),
            ("multipart/form-data; boundary=a\tb", "`\\t` is not allowed"),
            ("multipart/form-data; boundary=a@b", "`@` is not allowed"),
        ] {
            match boundary(ct) {
                Err(e) => assert!(e.to_string().contains(reason), "{ct}: {e}"),
                other => panic!("{ct}: {other:?}"),
            }
        }
    }

    #[test]
    fn parses_quoted_parameters() {
        assert_eq!(
            params(r#"form-data; name="a\"b"; filename=x.whl"#),
            [
                ("name".into(), "a\"b".into()),
                ("filename".into(), "x.whl".into())
            ]
        );
    }
}

//! The chunked transfer coding of request bodies (RFC 9112 7.1), decoded as bytes
//! arrive, without I/O: the reactor feeds it what a socket gave and gets back the
//! data, whatever the pieces the client sent it in.
//!
//! Traps:
//! - Request smuggling lives in lenient chunk parsing: sizes are hex digits only
//!   (no sign, no space, no `0x`), at most 16 of them, and every line ends in CRLF,
//!   never a bare LF, so no two readers can disagree on where the body ends.
//! - Chunk extensions (`;name=value`) and trailer fields are allowed and ignored;
//!   each line is bounded, and so are the trailers together.
//! - The body's limit is checked against each chunk's declared size, before its
//!   data arrives: a client announcing too much is refused at once.

use std::fmt;

/// The longest chunk-size line or trailer line.
const MAX_LINE: usize = 4096;
/// All trailer lines together.
const MAX_TRAILERS: usize = 16 * 1024;

/// A chunked body being decoded.
#[derive(Debug)]
pub(super) struct Chunked {
    state: State,
    /// The line being read (a chunk size or a trailer), without its end.
    line: Vec<u8>,
    /// Data bytes so far.
    total: u64,
    limit: u64,
    trailers: usize,
}

#[derive(Debug, PartialEq, Eq)]
enum State {
    Size,
    Data(u64),
    /// The CRLF after a chunk's data; how much of it has been seen.
    DataEnd(u8),
    Trailers,
    Done,
}

/// Why a chunked body was refused.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum ChunkedError {
    /// Not the chunked coding as RFC 9112 writes it; says what is wrong.
    Malformed(&'static str),
    /// The data would pass the body's limit.
    TooLarge { limit: u64 },
}

impl fmt::Display for ChunkedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChunkedError::Malformed(what) => write!(f, "malformed chunked body: {what}"),
            ChunkedError::TooLarge { limit } => {
                write!(f, "request body too large: the limit is {limit} bytes")
            }
        }
    }
}

impl std::error::Error for ChunkedError {}

impl Chunked {
    /// A body of at most `limit` data bytes.
    pub(super) fn new(limit: u64) -> Chunked {
        Chunked {
            state: State::Size,
            line: Vec::new(),
            total: 0,
            limit,
            trailers: 0,
        }
    }

    /// Whether the last chunk and the trailers have been read.
    pub(super) fn done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes from the start of `input`: returns how many bytes it used and the data
    /// among them (a part of `input`). Call again with the rest until all is used or
    /// the body is done; bytes after the body are left for the next request.
    pub(super) fn decode<'a>(
        &mut self,
        input: &'a [u8],
    ) -> Result<(usize, &'a [u8]), ChunkedError> {
        match self.state {
            State::Done => Ok((0, &[])),
            State::Data(left) => {
                let n = input.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                self.state = if n as u64 == left {
                    State::DataEnd(0)
                } else {
                    State::Data(left - n as u64)
                };
                Ok((n, &input[..n]))
            }
            State::DataEnd(seen) => {
                let mut used = 0;
                let mut seen = seen;
                while seen < 2 && used < input.len() {
                    if input[used] != b"\r\n"[usize::from(seen)] {
                        return Err(ChunkedError::Malformed(
                            "expected CRLF after a chunk's data",
                        ));
                    }
                    used += 1;
                    seen += 1;
                }
                self.state = if seen == 2 {
                    State::Size
                } else {
                    State::DataEnd(seen)
                };
                Ok((used, &[]))
            }
            State::Size | State::Trailers => {
                let Some(newline) = input.iter().position(|&b| b == b'\n') else {
                    self.take_line_part(input)?;
                    return Ok((input.len(), &[]));
                };
                self.take_line_part(&input[..newline])?;
                let line = std::mem::take(&mut self.line);
                let Some(line) = line.strip_suffix(b"\r") else {
                    return Err(ChunkedError::Malformed(
                        "expected CRLF at the end of a line",
                    ));
                };
                if self.state == State::Size {
                    self.start_chunk(line)?;
                } else if line.is_empty() {
                    self.state = State::Done;
                } else {
                    self.trailers += line.len() + 2;
                    if self.trailers > MAX_TRAILERS {
                        return Err(ChunkedError::Malformed("trailers too large"));
                    }
                }
                Ok((newline + 1, &[]))
            }
        }
    }

    fn take_line_part(&mut self, part: &[u8]) -> Result<(), ChunkedError> {
        if self.line.len() + part.len() > MAX_LINE {
            return Err(ChunkedError::Malformed("a chunk line is too long"));
        }
        self.line.extend_from_slice(part);
        Ok(())
    }

    /// Reads `SIZE[;extensions]`.
    fn start_chunk(&mut self, line: &[u8]) -> Result<(), ChunkedError> {
        let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        let rest = &line[digits..];
        let rest = rest.trim_ascii_start();
        if digits == 0 || !(rest.is_empty() || rest.starts_with(b";")) {
            return Err(ChunkedError::Malformed(
                "expected a chunk size in hex digits",
            ));
        }
        if rest.iter().any(|&b| (b < b' ' && b != b'\t') || b == 0x7f) {
            return Err(ChunkedError::Malformed(
                "control character in a chunk extension",
            ));
        }
        // More than 16 hex digits overflow a u64: more than any limit.
        let size = std::str::from_utf8(&line[..digits])
            .ok()
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())
            .filter(|&size| size <= self.limit - self.total)
            .ok_or(ChunkedError::TooLarge { limit: self.limit })?;
        self.total += size;
        self.state = if size == 0 {
            State::Trailers
        } else {
            State::Data(size)
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `input` fed in pieces of `step` bytes; the data and the bytes left over.
    fn decode(input: &[u8], step: usize, limit: u64) -> Result<(Vec<u8>, Vec<u8>), ChunkedError> {
        let mut chunked = Chunked::new(limit);
        let mut data = Vec::new();
        let mut pos = 0;
        while pos < input.len() && !chunked.done() {
            let piece = &input[pos..(pos + step).min(input.len())];
            let mut used = 0;
            while used < piece.len() && !chunked.done() {
                let (n, out) = chunked.decode(&piece[used..])?;
                data.extend_from_slice(out);
                used += n;
            }
            pos += used;
        }
        assert!(chunked.done(), "the body did not end");
        Ok((data, input[pos..].to_vec()))
    }

    #[test]
    fn decodes_in_any_pieces() {
        let body = b"5;name=value\r\nhello\r\n1 ; x\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
        for step in [1, 2, 3, 7, body.len()] {
            let (data, rest) = decode(body, step, 100).unwrap();
            assert_eq!(data, b"hello 0123456789", "pieces of {step}");
            assert_eq!(rest, b"NEXT", "pieces of {step}");
        }
        assert_eq!(decode(b"0\r\n\r\n", 1, 0).unwrap().0, b"");
    }

    #[test]
    fn refuses_what_could_be_read_two_ways() {
        let cases: &[&[u8]] = &[
            b"zz\r\n",
            b"-1\r\n",
            b"+1\r\nx\r\n",
            b"0x1\r\nx\r\n",
            b" 1\r\nx\r\n",
            b"1\nx\r\n0\r\n\r\n",
            b"1\r\nx\n0\r\n\r\n",
            b"3\r\nabcd\r\n",
            b"1;\x01\r\nx\r\n",
            b"0\r\nTrailer: x\n\r\n",
        ];
        for case in cases {
            match decode(case, 1, 100) {
                Err(ChunkedError::Malformed(_)) => {}
                other => panic!("{:?}: {other:?}", String::from_utf8_lossy(case)),
            }
        }
        let long = [b"1;".as_slice(), &[b'x'; MAX_LINE]].concat();
        assert!(matches!(
            decode(&long, 100, 100),
            Err(ChunkedError::Malformed(_))
        ));
    }

    #[test]
    fn holds_the_body_to_its_limit_before_the_data_comes() {
        assert_eq!(
            decode(b"a\r\n", 100, 9),
            Err(ChunkedError::TooLarge { limit: 9 })
        );
        assert_eq!(
            decode(b"5\r\nhello\r\n5\r\n", 100, 9),
            Err(ChunkedError::TooLarge { limit: 9 })
        );
        assert_eq!(
            decode(b"fffffffffffffffffffff\r\n", 100, 9),
            Err(ChunkedError::TooLarge { limit: 9 })
        );
        assert_eq!(
            decode(b"9\r\n123456789\r\n0\r\n\r\n", 4, 9).unwrap().0,
            b"123456789"
        );
    }
}

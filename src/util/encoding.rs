//! The byte encodings the protocols use: base64 (HTTP Basic logins, `{SHA}` hashes,
//! RECORD's urlsafe digests) and percent-encoding (URL path segments, and paths as
//! words of a line).
//!
//! Both come from the crates the HTTP client already links, so the binary carries one
//! copy of each. Traps: RECORD's base64 is urlsafe and unpadded (PEP 376/427), while
//! clients differ on whether a Basic login is padded, so decoding takes either.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC};

/// Standard base64 (RFC 4648 §4), padded.
pub fn base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Standard base64, padding optional but whole when present; `None` for anything else.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let engine = if text.ends_with('=') {
        STANDARD
    } else {
        STANDARD_NO_PAD
    };
    engine.decode(text).ok()
}

/// Urlsafe base64 without padding (RFC 4648 §5), as RECORD writes digests.
pub fn urlsafe_base64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What stands raw in one path segment: the unreserved characters of RFC 3986.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes what may not stand raw in a URL path segment (`+` in local versions, `/`).
pub fn percent_encode(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, SEGMENT).to_string()
}

/// What may not stand raw in a word of a line: controls, space and `%` (bytes
/// beyond ASCII are always escaped).
const WORD: &AsciiSet = &CONTROLS.add(b' ').add(b'%');

/// Encodes any bytes (a path that need not be UTF-8) as one word of a line of text,
/// which [`percent_decode`] gives back whole.
pub fn percent_encode_word(bytes: &[u8]) -> String {
    percent_encoding::percent_encode(bytes, WORD).to_string()
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits stays as it is.
pub fn percent_decode(text: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_decodes_either_padding() {
        assert_eq!(base64(b"alice:wonderland"), "YWxpY2U6d29uZGVybGFuZA==");
        assert_eq!(base64_decode("YQ==").as_deref(), Some(&b"a"[..]));
        assert_eq!(base64_decode("YQ").as_deref(), Some(&b"a"[..]));
        assert_eq!(
            base64_decode("+/+/").as_deref(),
            Some(&[0xfb, 0xff, 0xbf][..])
        );
        for bad in [
            "Y", "YQ=", "YQ===", "Y===", "YW=I", "YW I", "YW-_", "YQ==YQ==",
        ] {
            assert_eq!(base64_decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn urlsafe_base64_has_no_padding() {
        assert_eq!(urlsafe_base64(&[0xfb, 0xff]), "-_8");
        assert_eq!(urlsafe_base64(b""), "");
    }

    #[test]
    fn percent_encodes_a_segment() {
        assert_eq!(percent_encode("a-1.0+local.whl"), "a-1.0%2Blocal.whl");
        assert_eq!(percent_encode("x/y z~_"), "x%2Fy%20z~_");
        assert_eq!(percent_encode("é"), "%C3%A9");
    }

    #[test]
    fn a_word_round_trips_any_bytes() {
        let bytes = b"a b%c\n\xff/\xc3\xa9";
        let word = percent_encode_word(bytes);
        assert_eq!(word, "a%20b%25c%0A%FF/%C3%A9");
        assert_eq!(percent_decode(&word), bytes);
    }

    #[test]
    fn percent_decodes_leniently() {
        assert_eq!(percent_decode("a%20b%zz%4"), b"a b%zz%4");
        assert_eq!(percent_decode("%e2%82%AC"), "€".as_bytes());
        assert_eq!(percent_decode("100%"), b"100%");
    }
}

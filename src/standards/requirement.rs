//! Dependency specifiers: `requests[security] >= 2.8.1, == 2.8.* ; python_version < "3.8"`.
//!
//! <https://packaging.python.org/en/latest/specifications/dependency-specifiers/>
//! (PEP 508, <https://peps.python.org/pep-0508/>; markers live in [`crate::standards::marker`]).
//!
//! Traps, each handled below:
//! - A direct reference's URL runs to the next space or tab, so in
//!   `name @ https://host/x.whl;python_version<"3"` the marker is part of the URL:
//!   a marker after a URL needs whitespace before its `;`.
//! - Specifiers may be parenthesized, `name (>=1,<2)`: PEP 345's form, which Curdling
//!   and old metadata still write.
//! - A trailing comma after the last specifier is allowed (since the spec's 2024
//!   revision), a trailing comma after the last extra is not; `name[]` is valid.
//! - Names and extras start and end with a letter or digit; `name-` is an error, not
//!   `name` followed by junk.
//! - Extras are a set: normalized (PEP 685), sorted and deduplicated.
//! - Only absolute URLs make sense in metadata: `scheme://host/...`, or `file://`
//!   with an empty host. The spec's grammar admits relative references; packaging
//!   and pip reject them, and so does this parser.
//! - Whitespace is spaces and tabs only; any other control character is an error.
//! - The canonical form is packaging's `str(Requirement)`, quirks included: no space
//!   before the `@` of a URL (`name@ https://...`), one before a marker's `;` after
//!   a URL.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use crate::standards::marker::{self, Cursor, Found, MarkerErrorKind, MarkerTree};
use crate::standards::name::{ExtraName, PackageName};
use crate::standards::specifier::{SpecifierParseError, VersionSpecifiers};
use crate::standards::url::{self, redact_str};

/// A dependency as PEP 508 writes it: `name[extras] specifiers ; marker`, or
/// `name[extras] @ url ; marker`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub name: PackageName,
    /// Sorted and deduplicated when parsed.
    pub extras: Vec<ExtraName>,
    pub version_or_url: Option<VersionOrUrl>,
    pub marker: Option<MarkerTree>,
}

/// What a requirement pins: versions, or one file by URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionOrUrl {
    VersionSpecifier(VersionSpecifiers),
    Url(String),
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        if !self.extras.is_empty() {
            f.write_str("[")?;
            for (i, extra) in self.extras.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{extra}")?;
            }
            f.write_str("]")?;
        }
        match &self.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => write!(f, "{specifiers}")?,
            Some(VersionOrUrl::Url(url)) => {
                write!(f, "@ {url}")?;
                if self.marker.is_some() {
                    f.write_str(" ")?;
                }
            }
            None => {}
        }
        if let Some(marker) = &self.marker {
            write!(f, "; {marker}")?;
        }
        Ok(())
    }
}

impl FromStr for Requirement {
    type Err = RequirementParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_requirement(&mut Cursor::new(s))
            .map_err(|(kind, span)| RequirementParseError::new(s, kind, span))
    }
}

/// Why a string is not a PEP 508 requirement: what went wrong, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequirementParseError {
    kind: RequirementErrorKind,
    /// The byte range of the input at fault.
    span: Range<usize>,
    /// The input as messages show it, anything like credentials masked.
    shown: String,
    /// `span` in `shown`.
    shown_span: Range<usize>,
}

impl RequirementParseError {
    /// Keeps `input` for messages with whatever could be credentials in its URLs
    /// masked, as [`redact_str`] masks them, and `span` moved along with the text.
    fn new(input: &str, kind: RequirementErrorKind, span: Range<usize>) -> Self {
        let mut shown = input.to_string();
        let mut shown_span = span.clone();
        // From the last word back, so that the offsets of those left still hold.
        for word in words(input).into_iter().rev() {
            let text = &input[word.clone()];
            let Some(masked) =
                url::masked_span(text).filter(|m| text[..m.end].contains([':', '/']))
            else {
                continue;
            };
            let masked = word.start + masked.start..word.start + masked.end;
            let moved = |at: usize, is_end: bool| match at {
                at if at <= masked.start => at,
                at if at >= masked.end => at - masked.len() + MASK.len(),
                _ if is_end => masked.start + MASK.len(),
                _ => masked.start,
            };
            shown_span = moved(shown_span.start, false)..moved(shown_span.end, true);
            shown.replace_range(masked, MASK);
        }
        RequirementParseError {
            kind,
            span,
            shown,
            shown_span,
        }
    }

    pub fn kind(&self) -> &RequirementErrorKind {
        &self.kind
    }

    /// The fault and the start of the requirement, in one line: for a list of
    /// reasons, where the input and its caret would take two lines more.
    pub fn summary(&self) -> impl fmt::Display + '_ {
        Summary(self)
    }

    /// The byte range of the input at fault (empty at the end of the input).
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }
}

impl fmt::Display for RequirementParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        marker::write_caret(f, &self.shown, &self.shown_span)
    }
}

impl std::error::Error for RequirementParseError {}

/// The byte ranges of the words of `input`, split at spaces and tabs.
fn words(input: &str) -> Vec<Range<usize>> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, b) in input.bytes().chain([b' ']).enumerate() {
        match (b == b' ' || b == b'\t', start) {
            (true, Some(from)) => {
                words.push(from..i);
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    words
}

/// What a masked part of an input shows instead.
const MASK: &str = "****";

/// How many characters of the requirement a summary quotes.
const SUMMARY_HEAD: usize = 40;

struct Summary<'a>(&'a RequirementParseError);

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let input = &self.0.shown;
        let head: String = input.chars().take(SUMMARY_HEAD).collect();
        let cut = if head.len() < input.len() { "…" } else { "" };
        marker::write_quoted(f, &format!("{head}{cut}"))?;
        write!(f, ": {}", self.0.kind)
    }
}

/// The faults a requirement can have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequirementErrorKind {
    ExpectedName {
        found: Found,
    },
    /// A name that ends with `-`, `_` or `.`.
    NameEnd {
        name: String,
    },
    ExpectedExtra {
        found: Found,
    },
    /// An extra that ends with `-`, `_` or `.`.
    ExtraEnd {
        extra: String,
    },
    ExpectedCommaOrBracket {
        found: Found,
    },
    /// After the name and extras, `head` being their text.
    ExpectedAfterName {
        head: String,
        found: Found,
    },
    /// Where a specifier's operator should be: after `(` or `,`.
    ExpectedOperator {
        found: Found,
    },
    ExpectedVersion {
        operator: &'static str,
        found: Found,
    },
    /// The clause at fault, as the version specifier module judges it.
    InvalidSpecifier(SpecifierParseError),
    /// After an unparenthesized specifier.
    ExpectedCommaOrMarker {
        found: Found,
    },
    /// After a parenthesized specifier's last clause.
    ExpectedCommaOrParen {
        found: Found,
    },
    /// After `)` or a URL.
    ExpectedMarker {
        found: Found,
    },
    ExpectedUrl,
    /// A character RFC 3986 does not allow in a URL; `after_semicolon` flags the
    /// likely cause, a marker glued to the URL.
    UrlCharacter {
        /// `None` when it stands where a password could, and is not shown.
        character: Option<char>,
        after_semicolon: bool,
    },
    /// Not `scheme://...` (nor `file:` followed by `//`).
    UrlForm {
        url: String,
    },
    UrlWithoutHost {
        url: String,
    },
    Marker(MarkerErrorKind),
}

impl fmt::Display for RequirementErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequirementErrorKind::ExpectedName { found } => {
                write!(f, "expected a package name, found {found}")
            }
            RequirementErrorKind::NameEnd { name } => {
                write!(f, "package name `{name}` must end with a letter or digit")
            }
            RequirementErrorKind::ExpectedExtra { found } => {
                write!(f, "expected an extra name, found {found}")
            }
            RequirementErrorKind::ExtraEnd { extra } => {
                write!(f, "extra name `{extra}` must end with a letter or digit")
            }
            RequirementErrorKind::ExpectedCommaOrBracket { found } => {
                write!(f, "expected `,` or `]` after an extra name, found {found}")
            }
            RequirementErrorKind::ExpectedAfterName { head, found } => write!(
                f,
                "expected a version specifier, `@` or `;` after `{head}`, found {found}"
            ),
            RequirementErrorKind::ExpectedOperator { found } => write!(
                f,
                "expected a version operator (`==`, `!=`, `<`, `<=`, `>`, `>=`, `~=` or `===`), found {found}"
            ),
            RequirementErrorKind::ExpectedVersion { operator, found } => {
                write!(f, "expected a version after `{operator}`, found {found}")
            }
            RequirementErrorKind::InvalidSpecifier(error) => write!(f, "{error}"),
            RequirementErrorKind::ExpectedCommaOrMarker { found } => write!(
                f,
                "expected `,`, `;` or the end of the requirement after a version specifier, found {found}"
            ),
            RequirementErrorKind::ExpectedCommaOrParen { found } => write!(
                f,
                "expected `,` or `)` after a version specifier, found {found}"
            ),
            RequirementErrorKind::ExpectedMarker { found } => {
                write!(
                    f,
                    "expected `;` or the end of the requirement, found {found}"
                )
            }
            RequirementErrorKind::ExpectedUrl => f.write_str("expected a URL after `@`"),
            RequirementErrorKind::UrlCharacter {
                character,
                after_semicolon,
            } => {
                match character {
                    Some(character) => {
                        f.write_str("character ")?;
                        marker::write_quoted(f, &character.to_string())?;
                        f.write_str(" is not allowed in a URL")?;
                    }
                    None => f.write_str(
                        "the user information of a URL holds a character that is not allowed",
                    )?,
                }
                if *after_semicolon {
                    f.write_str(" (a marker after a URL needs a space before its `;`)")?;
                }
                Ok(())
            }
            RequirementErrorKind::UrlForm { url } => write!(
                f,
                "expected a URL of the form `scheme://host/path` or `file:///path`, found `{url}`"
            ),
            RequirementErrorKind::UrlWithoutHost { url } => write!(f, "URL `{url}` has no host"),
            RequirementErrorKind::Marker(kind) => write!(f, "{kind}"),
        }
    }
}

type Parsed<T> = Result<T, (RequirementErrorKind, Range<usize>)>;

fn parse_requirement(cursor: &mut Cursor) -> Parsed<Requirement> {
    cursor.skip_wsp();
    let start = cursor.pos;
    let name = parse_identifier(cursor, false)?;
    let mut head_end = cursor.pos;
    cursor.skip_wsp();
    let extras = if cursor.peek() == Some(b'[') {
        let extras = parse_extras(cursor)?;
        head_end = cursor.pos;
        cursor.skip_wsp();
        extras
    } else {
        Vec::new()
    };
    let (version_or_url, after) = if cursor.eat(b'@') {
        let url = parse_url(cursor)?;
        (Some(VersionOrUrl::Url(url)), After::Other)
    } else if cursor.peek() == Some(b'(') {
        let specifiers = parse_specifiers(cursor, true)?;
        (
            Some(VersionOrUrl::VersionSpecifier(specifiers)),
            After::Other,
        )
    } else if starts_with_operator(cursor) {
        let specifiers = parse_specifiers(cursor, false)?;
        (
            Some(VersionOrUrl::VersionSpecifier(specifiers)),
            After::Specifier,
        )
    } else {
        (None, After::Name(start..head_end))
    };
    cursor.skip_wsp();
    let marker = if cursor.eat(b';') {
        let marker = marker::parse_marker(cursor)
            .map_err(|(kind, span)| (RequirementErrorKind::Marker(kind), span))?;
        Some(marker)
    } else if cursor.at_end() {
        None
    } else {
        let (found, span) = cursor.found();
        let kind = match after {
            After::Name(head) => RequirementErrorKind::ExpectedAfterName {
                head: cursor.slice(head).to_string(),
                found,
            },
            After::Specifier => RequirementErrorKind::ExpectedCommaOrMarker { found },
            After::Other => RequirementErrorKind::ExpectedMarker { found },
        };
        return Err((kind, span));
    };
    Ok(Requirement {
        name,
        extras,
        version_or_url,
        marker,
    })
}

/// What precedes the marker, which decides what else could have come there.
enum After {
    /// The name and extras, spanning this range.
    Name(Range<usize>),
    /// An unparenthesized specifier, which a `,` could continue.
    Specifier,
    /// A parenthesized specifier or a URL.
    Other,
}

/// A name or an extra: `letterOrDigit ( [-_.]* letterOrDigit )*`.
fn parse_identifier(cursor: &mut Cursor, extra: bool) -> Parsed<PackageName> {
    if !cursor.peek().is_some_and(|b| b.is_ascii_alphanumeric()) {
        let (found, span) = cursor.found();
        let kind = if extra {
            RequirementErrorKind::ExpectedExtra { found }
        } else {
            RequirementErrorKind::ExpectedName { found }
        };
        return Err((kind, span));
    }
    let span = cursor.take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    let text = cursor.slice(span.clone());
    // Having started with a letter or digit and taken only valid characters, the
    // name can only be wrong in how it ends.
    PackageName::new(text).map_err(|_| {
        let kind = if extra {
            RequirementErrorKind::ExtraEnd {
                extra: text.to_string(),
            }
        } else {
            RequirementErrorKind::NameEnd {
                name: text.to_string(),
            }
        };
        (kind, span.end - 1..span.end)
    })
}

fn parse_extras(cursor: &mut Cursor) -> Parsed<Vec<ExtraName>> {
    cursor.pos += 1;
    cursor.skip_wsp();
    let mut extras = Vec::new();
    if !cursor.eat(b']') {
        loop {
            extras.push(parse_identifier(cursor, true)?);
            cursor.skip_wsp();
            if cursor.eat(b']') {
                break;
            }
            if !cursor.eat(b',') {
                let (found, span) = cursor.found();
                return Err((RequirementErrorKind::ExpectedCommaOrBracket { found }, span));
            }
            cursor.skip_wsp();
        }
    }
    extras.sort();
    extras.dedup();
    Ok(extras)
}

/// Longest first, so `===` is not read as `==` followed by `=`.
const OPERATORS: [&str; 8] = ["===", "==", "!=", "<=", ">=", "~=", "<", ">"];

fn starts_with_operator(cursor: &Cursor) -> bool {
    OPERATORS.iter().any(|op| cursor.rest().starts_with(op))
}

/// The spec's `version` characters; the specifier module judges the rest.
fn is_version_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'*' | b'+' | b'!')
}

/// Reads `version_many` (in parentheses if `parenthesized`), delimiting each clause
/// by the grammar so that an invalid one can be pointed at.
fn parse_specifiers(cursor: &mut Cursor, parenthesized: bool) -> Parsed<VersionSpecifiers> {
    if parenthesized {
        cursor.pos += 1;
    }
    cursor.skip_wsp();
    let text_start = cursor.pos;
    let mut text_end = text_start;
    let mut clauses: Vec<Range<usize>> = Vec::new();
    loop {
        cursor.skip_wsp();
        let start = cursor.pos;
        let Some(operator) = OPERATORS.into_iter().find(|op| cursor.eat_str(op)) else {
            let trailing_comma = !clauses.is_empty()
                && match cursor.peek() {
                    None | Some(b';') => true,
                    Some(b')') => parenthesized,
                    Some(_) => false,
                };
            if trailing_comma {
                break;
            }
            let (found, span) = cursor.found();
            return Err((RequirementErrorKind::ExpectedOperator { found }, span));
        };
        cursor.skip_wsp();
        if cursor.take_while(is_version_byte).is_empty() {
            let (found, span) = cursor.found();
            return Err((
                RequirementErrorKind::ExpectedVersion { operator, found },
                span,
            ));
        }
        clauses.push(start..cursor.pos);
        text_end = cursor.pos;
        cursor.skip_wsp();
        if !cursor.eat(b',') {
            break;
        }
    }
    if parenthesized {
        cursor.skip_wsp();
        if !cursor.eat(b')') {
            let (found, span) = cursor.found();
            return Err((RequirementErrorKind::ExpectedCommaOrParen { found }, span));
        }
    }
    let all = text_start..text_end;
    cursor.slice(all.clone()).parse().map_err(|error| {
        // Point at the first clause that fails on its own, if one does.
        let culprit = clauses.iter().find_map(|clause| {
            let parsed = cursor.slice(clause.clone()).parse::<VersionSpecifiers>();
            parsed.err().map(|error| (error, clause.clone()))
        });
        let (error, span) = culprit.unwrap_or((error, all));
        (RequirementErrorKind::InvalidSpecifier(error), span)
    })
}

/// Reads the URL after `@`: everything up to the next space or tab.
fn parse_url(cursor: &mut Cursor) -> Parsed<String> {
    cursor.skip_wsp();
    let span = cursor.take_while(|b| b != b' ' && b != b'\t');
    let url = cursor.slice(span.clone());
    if url.is_empty() {
        return Err((RequirementErrorKind::ExpectedUrl, span));
    }
    if let Some((i, character)) = url.char_indices().find(|&(_, c)| !is_url_char(c)) {
        let hidden = url::masked_span(url).is_some_and(|masked| masked.contains(&i));
        let kind = RequirementErrorKind::UrlCharacter {
            character: (!hidden).then_some(character),
            after_semicolon: url.get(..i).is_some_and(|before| before.contains(';')),
        };
        let at = span.start + i;
        return Err((kind, at..at + character.len_utf8()));
    }
    let scheme_end = url.find(':').unwrap_or(0);
    let scheme_valid = url.get(..scheme_end).is_some_and(|scheme| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    });
    let after_scheme = url.get(scheme_end + 1..).unwrap_or("");
    let Some(authority_and_path) = after_scheme.strip_prefix("//").filter(|_| scheme_valid) else {
        let url = redact_str(url);
        return Err((RequirementErrorKind::UrlForm { url }, span));
    };
    let host_len = authority_and_path
        .find(['/', '?', '#'])
        .unwrap_or(authority_and_path.len());
    // `file:///path`, and a VCS's over it (`git+file:///path`), name no host.
    let file = url.get(..scheme_end).is_some_and(|scheme| {
        let scheme = scheme.to_ascii_lowercase();
        scheme == "file" || scheme.ends_with("+file")
    });
    if host_len == 0 && !file {
        let url = redact_str(url);
        return Err((RequirementErrorKind::UrlWithoutHost { url }, span));
    }
    Ok(url.to_string())
}

/// RFC 3986: unreserved, reserved and `%` of percent-encoding.
fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

#[cfg(test)]
mod tests;

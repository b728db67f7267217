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
        parse_requirement(&mut Cursor::new(s)).map_err(|(kind, span)| RequirementParseError {
            kind,
            input: s.to_string(),
            span,
        })
    }
}

/// Why a string is not a PEP 508 requirement: what went wrong, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequirementParseError {
    kind: RequirementErrorKind,
    input: String,
    span: Range<usize>,
}

impl RequirementParseError {
    pub fn kind(&self) -> &RequirementErrorKind {
        &self.kind
    }

    /// The byte range of the input at fault (empty at the end of the input).
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }
}

impl fmt::Display for RequirementParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        marker::write_caret(f, &self.input, &self.span)
    }
}

impl std::error::Error for RequirementParseError {}

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
        character: char,
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
                f.write_str("character ")?;
                marker::write_quoted(f, &character.to_string())?;
                f.write_str(" is not allowed in a URL")?;
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
        let kind = RequirementErrorKind::UrlCharacter {
            character,
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
        let url = url.to_string();
        return Err((RequirementErrorKind::UrlForm { url }, span));
    };
    let host_len = authority_and_path
        .find(['/', '?', '#'])
        .unwrap_or(authority_and_path.len());
    let file = url
        .get(..scheme_end)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("file"));
    if host_len == 0 && !file {
        let url = url.to_string();
        return Err((RequirementErrorKind::UrlWithoutHost { url }, span));
    }
    Ok(url.to_string())
}

/// RFC 3986: unreserved, reserved and `%` of percent-encoding.
fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Requirement {
        match s.parse() {
            Ok(requirement) => requirement,
            Err(e) => panic!("{s:?} should parse:\n{e}"),
        }
    }

    fn specifiers(requirement: &Requirement) -> String {
        match &requirement.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(s)) => s.to_string(),
            _ => String::new(),
        }
    }

    fn url(requirement: &Requirement) -> Option<&str> {
        match &requirement.version_or_url {
            Some(VersionOrUrl::Url(url)) => Some(url),
            _ => None,
        }
    }

    fn marker(requirement: &Requirement) -> String {
        requirement
            .marker
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    /// Each case: input, then the parts (name, extras, specifiers, URL, marker).
    type Case<'a> = (
        &'a str,
        &'a str,
        &'a [&'a str],
        &'a str,
        Option<&'a str>,
        &'a str,
    );

    fn check(cases: &[Case]) {
        for &(input, name, extras, specifier, expected_url, expected_marker) in cases {
            let r = parse(input);
            assert_eq!(r.name.as_str(), name, "{input}");
            let got: Vec<&str> = r.extras.iter().map(ExtraName::as_str).collect();
            assert_eq!(got, extras, "{input}");
            // Through the specifier module's own printing, which may reorder or
            // normalize clauses.
            let specifier = match specifier {
                "" => String::new(),
                text => text.parse::<VersionSpecifiers>().unwrap().to_string(),
            };
            assert_eq!(specifiers(&r), specifier, "{input}");
            assert_eq!(url(&r), expected_url, "{input}");
            assert_eq!(marker(&r), expected_marker, "{input}");
            assert_eq!(parse(&r.to_string()), r, "{input} printed as {r}");
        }
    }

    #[test]
    fn parses_the_specs_examples() {
        check(&[
            (
                "pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686",
                "pip",
                &[],
                "",
                Some(
                    "https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686",
                ),
                "",
            ),
            (
                "argparse;python_version<\"2.7\"",
                "argparse",
                &[],
                "",
                None,
                r#"python_version < "2.7""#,
            ),
            ("A", "a", &[], "", None, ""),
            ("A.B-C_D", "a-b-c-d", &[], "", None, ""),
            ("aa", "aa", &[], "", None, ""),
            ("name", "name", &[], "", None, ""),
            ("name>=3", "name", &[], ">=3", None, ""),
            ("name>=3,", "name", &[], ">=3", None, ""),
            ("name>=3,<2", "name", &[], ">=3,<2", None, ""),
            (
                "name@http://foo.com",
                "name",
                &[],
                "",
                Some("http://foo.com"),
                "",
            ),
            (
                "name [fred,bar] @ http://foo.com ; python_version=='2.7'",
                "name",
                &["bar", "fred"],
                "",
                Some("http://foo.com"),
                r#"python_version == "2.7""#,
            ),
            (
                "name[quux, strange];python_version<'2.7' and platform_version=='2'",
                "name",
                &["quux", "strange"],
                "",
                None,
                r#"python_version < "2.7" and platform_version == "2""#,
            ),
            (
                "name; os_name=='a' or os_name=='b'",
                "name",
                &[],
                "",
                None,
                r#"os_name == "a" or os_name == "b""#,
            ),
            (
                "name; os_name=='a' and os_name=='b' or os_name=='c'",
                "name",
                &[],
                "",
                None,
                r#"os_name == "a" and os_name == "b" or os_name == "c""#,
            ),
            (
                "name; os_name=='a' and (os_name=='b' or os_name=='c')",
                "name",
                &[],
                "",
                None,
                r#"os_name == "a" and (os_name == "b" or os_name == "c")"#,
            ),
            (
                "name; os_name=='a' or os_name=='b' and os_name=='c'",
                "name",
                &[],
                "",
                None,
                r#"os_name == "a" or os_name == "b" and os_name == "c""#,
            ),
            (
                "name; (os_name=='a' or os_name=='b') and os_name=='c'",
                "name",
                &[],
                "",
                None,
                r#"(os_name == "a" or os_name == "b") and os_name == "c""#,
            ),
        ]);
    }

    #[test]
    fn parses_names_extras_and_specifiers() {
        check(&[
            ("foo-bar.quux_baz", "foo-bar-quux-baz", &[], "", None, ""),
            ("name (==4)", "name", &[], "==4", None, ""),
            ("name ( >= 2 , < 3 )", "name", &[], ">=2,<3", None, ""),
            ("name (>=1,<2,)", "name", &[], ">=1,<2", None, ""),
            ("name >=2, <3", "name", &[], ">=2,<3", None, ""),
            (
                "name>=1.0 , ; os_name == 'a'",
                "name",
                &[],
                ">=1.0",
                None,
                r#"os_name == "a""#,
            ),
            (
                "foobar [quux,bar]",
                "foobar",
                &["bar", "quux"],
                "",
                None,
                "",
            ),
            ("foo[]", "foo", &[], "", None, ""),
            ("foo [ ]", "foo", &[], "", None, ""),
            (
                "name [ Quux_Ext , bar,quux.ext ]",
                "name",
                &["bar", "quux-ext"],
                "",
                None,
                "",
            ),
            (
                "name[bar]>=3; python_version == \"2.7\"",
                "name",
                &["bar"],
                ">=3",
                None,
                r#"python_version == "2.7""#,
            ),
            ("  name  ", "name", &[], "", None, ""),
            (
                "\tname\t>=1\t;\tos_name=='a'\t",
                "name",
                &[],
                ">=1",
                None,
                r#"os_name == "a""#,
            ),
            (
                "name;os_name=='a'",
                "name",
                &[],
                "",
                None,
                r#"os_name == "a""#,
            ),
            (
                "name>=1.0;os_name=='a'",
                "name",
                &[],
                ">=1.0",
                None,
                r#"os_name == "a""#,
            ),
            (
                "name (>=1.0);os_name=='a'",
                "name",
                &[],
                ">=1.0",
                None,
                r#"os_name == "a""#,
            ),
            ("name[x](==1.0)", "name", &["x"], "==1.0", None, ""),
            (
                "something>=1.2.3; sys_platform == \"foo\"",
                "something",
                &[],
                ">=1.2.3",
                None,
                r#"sys_platform == "foo""#,
            ),
            (
                "aviato>=1.2.3; 'f' in sys_platform",
                "aviato",
                &[],
                ">=1.2.3",
                None,
                r#""f" in sys_platform"#,
            ),
        ]);
    }

    #[test]
    fn parses_direct_references() {
        check(&[
            (
                "name @ file:///absolute/path",
                "name",
                &[],
                "",
                Some("file:///absolute/path"),
                "",
            ),
            ("name @ file://.", "name", &[], "", Some("file://."), ""),
            (
                "name @ FILE:///C:/pkgs/name.whl",
                "name",
                &[],
                "",
                Some("FILE:///C:/pkgs/name.whl"),
                "",
            ),
            (
                "name @ git+https://github.com/org/name.git@v1.0#egg=name",
                "name",
                &[],
                "",
                Some("git+https://github.com/org/name.git@v1.0#egg=name"),
                "",
            ),
            (
                "foo @ https://example.com/name;v=1.1/?query=foo&bar=baz#blah ; python_version=='3.4'",
                "foo",
                &[],
                "",
                Some("https://example.com/name;v=1.1/?query=foo&bar=baz#blah"),
                r#"python_version == "3.4""#,
            ),
            (
                "name[a]@https://host/n.whl\t;extra=='a'",
                "name",
                &["a"],
                "",
                Some("https://host/n.whl"),
                r#"extra == "a""#,
            ),
            // The URL runs to whitespace: without it the marker is part of the URL.
            (
                "name @ https://host/n.whl;extra=='a'",
                "name",
                &[],
                "",
                Some("https://host/n.whl;extra=='a'"),
                "",
            ),
        ]);
    }

    /// The operators and versions the full PEP 440 module brings.
    #[test]
    fn parses_every_version_operator() {
        check(&[
            (
                r#"requests [security,tests] >= 2.8.1, == 2.8.* ; python_version < "2.7""#,
                "requests",
                &["security", "tests"],
                ">=2.8.1,==2.8.*",
                None,
                r#"python_version < "2.7""#,
            ),
            ("name<=1", "name", &[], "<=1", None, ""),
            ("name~=1.4.2", "name", &[], "~=1.4.2", None, ""),
            ("name!=1.5.7,>1.0", "name", &[], "!=1.5.7,>1.0", None, ""),
            ("name===1.0.custom", "name", &[], "===1.0.custom", None, ""),
            ("name==1.0a1", "name", &[], "==1.0a1", None, ""),
            (
                "name==1!2.0.post1.dev3+local.7",
                "name",
                &[],
                "==1!2.0.post1.dev3+local.7",
                None,
                "",
            ),
        ]);
    }

    #[test]
    fn prints_the_canonical_form() {
        for (input, printed) in [
            (
                r#"name[bar]>=3; python_version == "2.7""#,
                r#"name[bar]>=3; python_version == "2.7""#,
            ),
            ("name@ http://foo.com", "name@ http://foo.com"),
            (
                r#"name@ http://foo.com ; extra == "feature""#,
                r#"name@ http://foo.com ; extra == "feature""#,
            ),
            (
                "Name.Foo [Quux , bar] (>=1.0) ; os.name=='a'",
                r#"name-foo[bar,quux]>=1.0; os_name == "a""#,
            ),
            ("name [a,a,A]", "name[a]"),
            ("name[]", "name"),
            ("name ; extra == 'Foo_Bar'", r#"name; extra == "foo-bar""#),
            (
                "name @ file:///x ;os_name=='nt'",
                r#"name@ file:///x ; os_name == "nt""#,
            ),
        ] {
            assert_eq!(parse(input).to_string(), printed, "{input}");
        }
    }

    /// Each error: the input, the message, and the caret line under it.
    #[test]
    fn reports_errors_with_a_caret() {
        for (input, message, caret) in [
            ("", "expected a package name, found end of input", "^"),
            ("   ", "expected a package name, found end of input", "   ^"),
            ("-name", "expected a package name, found `-`", "^"),
            (
                "name-",
                "package name `name-` must end with a letter or digit",
                "    ^",
            ),
            (
                "name.-_ >=1",
                "package name `name.-_` must end with a letter or digit",
                "      ^",
            ),
            (
                "name[",
                "expected an extra name, found end of input",
                "     ^",
            ),
            ("name[a,]", "expected an extra name, found `]`", "       ^"),
            (
                "name[a b]",
                "expected `,` or `]` after an extra name, found `b`",
                "       ^",
            ),
            (
                "name[a",
                "expected `,` or `]` after an extra name, found end of input",
                "      ^",
            ),
            (
                "name[a_]",
                "extra name `a_` must end with a letter or digit",
                "      ^",
            ),
            (
                "name ! 1.0",
                "expected a version specifier, `@` or `;` after `name`, found `!`",
                "     ^",
            ),
            (
                "toto 42",
                "expected a version specifier, `@` or `;` after `toto`, found `42`",
                "     ^^",
            ),
            (
                "foo!",
                "expected a version specifier, `@` or `;` after `foo`, found `!`",
                "   ^",
            ),
            (
                "name [x] 1.0",
                "expected a version specifier, `@` or `;` after `name [x]`, found `1.0`",
                "         ^^^",
            ),
            (
                "name = 1.0",
                "expected a version specifier, `@` or `;` after `name`, found `=`",
                "     ^",
            ),
            (
                "na me",
                "expected a version specifier, `@` or `;` after `na`, found `me`",
                "   ^^",
            ),
            (
                "name\n",
                r"expected a version specifier, `@` or `;` after `name`, found `\n`",
                "    ^",
            ),
            (
                "name (",
                "expected a version operator (`==`, `!=`, `<`, `<=`, `>`, `>=`, `~=` or `===`), found end of input",
                "      ^",
            ),
            (
                "name ()",
                "expected a version operator (`==`, `!=`, `<`, `<=`, `>`, `>=`, `~=` or `===`), found `)`",
                "      ^",
            ),
            (
                "name>=1,2",
                "expected a version operator (`==`, `!=`, `<`, `<=`, `>`, `>=`, `~=` or `===`), found `2`",
                "        ^",
            ),
            (
                "name (>=1.0",
                "expected `,` or `)` after a version specifier, found end of input",
                "           ^",
            ),
            (
                "name (>=1.0 <2)",
                "expected `,` or `)` after a version specifier, found `<`",
                "            ^",
            ),
            (
                "name >=",
                "expected a version after `>=`, found end of input",
                "       ^",
            ),
            (
                "name >= ;",
                "expected a version after `>=`, found `;`",
                "        ^",
            ),
            (
                "name==(1.0)",
                "expected a version after `==`, found `(`",
                "      ^",
            ),
            (
                "name>=1.0 <2",
                "expected `,`, `;` or the end of the requirement after a version specifier, found `<`",
                "          ^",
            ),
            (
                "name==1.0 @ https://host/n.whl",
                "expected `,`, `;` or the end of the requirement after a version specifier, found `@`",
                "          ^",
            ),
            (
                "name (>=1.0) x",
                "expected `;` or the end of the requirement, found `x`",
                "             ^",
            ),
            ("name @", "expected a URL after `@`", "      ^"),
            ("name @ \t", "expected a URL after `@`", "       \t^"),
            (
                "name @ https://host/n.whl foo",
                "expected `;` or the end of the requirement, found `foo`",
                "                          ^^^",
            ),
            (
                "name @ ./foo",
                "expected a URL of the form `scheme://host/path` or `file:///path`, found `./foo`",
                "       ^^^^^",
            ),
            (
                "name @ gopher:/foo/com",
                "expected a URL of the form `scheme://host/path` or `file:///path`, found `gopher:/foo/com`",
                "       ^^^^^^^^^^^^^^^",
            ),
            (
                "name @ file:.",
                "expected a URL of the form `scheme://host/path` or `file:///path`, found `file:.`",
                "       ^^^^^^",
            ),
            (
                "name @ 1http://host/x",
                "expected a URL of the form `scheme://host/path` or `file:///path`, found `1http://host/x`",
                "       ^^^^^^^^^^^^^^",
            ),
            (
                "name @ https:///x",
                "URL `https:///x` has no host",
                "       ^^^^^^^^^^",
            ),
            (
                "name @ https://host/n.whl;python_version<'3'",
                "character `<` is not allowed in a URL (a marker after a URL needs a space before its `;`)",
                "                                        ^",
            ),
            (
                "name @ https://host/a\\b",
                r"character `\` is not allowed in a URL",
                "                     ^",
            ),
            (
                "name @ https://host/ä.whl",
                "character `ä` is not allowed in a URL",
                "                    ^",
            ),
            (
                "name; ",
                "expected a marker variable, a quoted string or `(`, found end of input",
                "      ^",
            ),
            (
                "name; os_name == 'a' ;",
                "expected `and`, `or` or the end of the marker, found `;`",
                "                     ^",
            ),
            (
                "name; foobar=='x'",
                "unknown marker variable `foobar`",
                "      ^^^^^^",
            ),
            (
                "name @ https://host/n.whl ; python_version=='3.11' or",
                "expected a marker variable, a quoted string or `(`, found end of input",
                "                                                     ^",
            ),
        ] {
            let error = input.parse::<Requirement>().unwrap_err();
            let shown: String = input
                .chars()
                .map(|c| if c == '\n' { '\u{FFFD}' } else { c })
                .collect();
            assert_eq!(
                error.to_string(),
                format!("{message}\n{shown}\n{caret}"),
                "{input:?}"
            );
        }
    }

    /// Random strings over the grammar's characters and some it lacks: no panic, every
    /// error points inside the input, and whatever parses prints back to itself.
    #[test]
    fn never_panics_and_round_trips() {
        let pieces = [
            "name",
            "a",
            "-",
            "_",
            ".",
            "[",
            "]",
            ",",
            "(",
            ")",
            ";",
            "@",
            " ",
            "\t",
            "\n",
            ">=",
            "==",
            "!=",
            "~=",
            "===",
            "<",
            ">",
            "=",
            "!",
            "*",
            "+",
            "1.0",
            "2!3a1",
            "'",
            "\"",
            "and",
            "or",
            "not",
            "in",
            "extra",
            "python_version",
            "os.name",
            "https://h/x",
            "file:///p",
            "é",
            "\\",
            "\u{0}",
            "0",
        ];
        let mut state: u64 = 0x0508_0508;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..20_000 {
            let len = next(12);
            let input: String = (0..len).map(|_| pieces[next(pieces.len())]).collect();
            match input.parse::<Requirement>() {
                Ok(requirement) => {
                    let printed = requirement.to_string();
                    assert_eq!(
                        parse(&printed),
                        requirement,
                        "{input:?} printed as {printed:?}"
                    );
                }
                Err(error) => {
                    let span = error.span();
                    assert!(
                        span.start <= span.end && span.end <= input.len(),
                        "{input:?}"
                    );
                    assert!(input.is_char_boundary(span.start), "{input:?}");
                    assert!(input.is_char_boundary(span.end), "{input:?}");
                    assert_eq!(error.to_string().lines().count(), 3, "{input:?}: {error}");
                }
            }
        }
    }

    /// The specifier module judges versions; the error points at the clause.
    #[test]
    fn points_at_the_invalid_specifier_clause() {
        for (input, span) in [
            ("name>=1.0.x", 4..11),
            ("name >= 1.0 , < 2.x", 14..19),
            ("name (==1.0, >= 1.x.y)", 13..21),
            ("name==1.0.org1", 4..14),
        ] {
            let error = input.parse::<Requirement>().unwrap_err();
            assert!(
                matches!(error.kind(), RequirementErrorKind::InvalidSpecifier(_)),
                "{input}: {error}"
            );
            assert_eq!(error.span(), span, "{input}: {error}");
        }
    }
}

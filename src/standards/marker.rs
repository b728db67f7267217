//! Environment markers: the `python_version < "3.8"` after the `;` of a requirement.
//!
//! <https://packaging.python.org/en/latest/specifications/dependency-specifiers/#environment-markers>
//! (PEP 508, <https://peps.python.org/pep-0508/>; extra names compare as PEP 685 says,
//! <https://peps.python.org/pep-0685/>).
//!
//! Traps, each handled below:
//! - `and` binds tighter than `or`. The spec's grammar shows a single `and` or `or`
//!   per level, but chains (`a and b and c`) are meant and universally accepted.
//! - The variable may stand on either side: `"3.6" <= python_version` puts the
//!   literal on the left, and evaluation must keep that order.
//! - Version comparison applies only to the version-typed variables (`python_version`,
//!   `python_full_version`, `implementation_version`, `platform_release`) and only
//!   when both sides are versions; everything else compares as strings, where `<`
//!   and `>` are false and `<=`, `>=` mean `==` (packaging up to 21 ordered strings
//!   lexically, and compared any variable as a version when both sides parsed). So
//!   `platform_release != "5.0"` holds on a `5.15.0-91-generic` kernel, which is no
//!   version; packaging says false there, as no version operator matches a non-version.
//! - `in` is a substring test: `python_version in "2.7 3.10"` is true on 3.1.
//! - Pre-releases count: `python_full_version >= "3.11"` holds on 3.12.0rc1.
//! - `extra` names compare normalized (`extra == "Foo_Bar"` matches `foo-bar`) and
//!   never as versions (`extra == "v2"` is not `extra == "v2.0"`).
//! - Strings have no escapes and may hold the other quote (`'say "hi"'`), so
//!   printing must pick the quote that the value does not contain.
//! - `===` and `~=` between strings (a variable that is no version, or a value no
//!   version specifier takes, `python_version ~= "3"`) have no meaning: packaging
//!   22+ raises when evaluating them (pip stops with a traceback) and uv refuses
//!   them, so they are refused when parsing. With a version variable second
//!   (`"3.8" ~= python_version`) the meaning depends on the environment; there
//!   `~=` between strings evaluates false and `===` compares without case.
//! - Comparing two literals or two variables is grammatical but meaningless, and is
//!   rejected when parsing.
//! - `extras` and `dependency_groups` exist only in lock files (PEP 751).
//! - A marker is evaluated once per requested extra, as pip does, so
//!   `extra == "a" and extra == "b"` never holds and `extra != "a"` holds without extras.
//! - The grammar nests without limit and packaging only stops at Python's recursion
//!   limit; a parser that recurses must stop first, or a requirement of a few
//!   kilobytes of `(` overflows the stack. Real markers nest two or three deep.

mod environment;

use std::fmt::{self, Write};
use std::ops::Range;
use std::str::FromStr;

use crate::standards::name::ExtraName;
use crate::standards::specifier::VersionSpecifier;
use crate::standards::version::Version;

pub use environment::{MarkerEnvironment, MarkerEnvironmentError, MarkerVariable};

/// A parsed marker. `And` and `Or` hold two or more children and never a child of
/// their own kind, so equal markers have equal trees whatever parentheses they used.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MarkerTree {
    Expression(MarkerExpression),
    And(Vec<MarkerTree>),
    Or(Vec<MarkerTree>),
}

/// One comparison between a marker variable and a quoted string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MarkerExpression {
    pub variable: MarkerVariable,
    pub operator: MarkerOperator,
    /// The quoted string, unquoted; normalized when the variable is `extra`.
    pub value: String,
    /// Whether the string is written before the variable (`"3.6" <= python_version`),
    /// which makes it the left operand.
    pub value_first: bool,
}

/// A marker comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MarkerOperator {
    Equal,
    NotEqual,
    LessThan,
    LessEqual,
    GreaterThan,
    GreaterEqual,
    Compatible,
    ArbitraryEqual,
    In,
    NotIn,
}

impl MarkerOperator {
    pub fn as_str(self) -> &'static str {
        match self {
            MarkerOperator::Equal => "==",
            MarkerOperator::NotEqual => "!=",
            MarkerOperator::LessThan => "<",
            MarkerOperator::LessEqual => "<=",
            MarkerOperator::GreaterThan => ">",
            MarkerOperator::GreaterEqual => ">=",
            MarkerOperator::Compatible => "~=",
            MarkerOperator::ArbitraryEqual => "===",
            MarkerOperator::In => "in",
            MarkerOperator::NotIn => "not in",
        }
    }
}

impl fmt::Display for MarkerOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl MarkerTree {
    /// Whether the marker holds in `env` when installing `extras` (already
    /// normalized, being `ExtraName`s). Like pip, the marker is tried once per extra
    /// and holds if any try does; with no extras, `extra` is the empty string.
    pub fn evaluate(&self, env: &MarkerEnvironment, extras: &[ExtraName]) -> bool {
        if extras.is_empty() {
            self.evaluate_with(env, "")
        } else {
            extras
                .iter()
                .any(|extra| self.evaluate_with(env, extra.as_str()))
        }
    }

    fn evaluate_with(&self, env: &MarkerEnvironment, extra: &str) -> bool {
        match self {
            MarkerTree::Expression(expression) => expression.evaluate(env, extra),
            MarkerTree::And(children) => children.iter().all(|c| c.evaluate_with(env, extra)),
            MarkerTree::Or(children) => children.iter().any(|c| c.evaluate_with(env, extra)),
        }
    }
}

impl MarkerExpression {
    fn evaluate(&self, env: &MarkerEnvironment, extra: &str) -> bool {
        let actual = env.get(self.variable, extra);
        let (lhs, rhs) = if self.value_first {
            (self.value.as_str(), actual)
        } else {
            (actual, self.value.as_str())
        };
        if self.variable.is_version()
            && let Some(result) = compare_versions(lhs, self.operator, rhs)
        {
            return result;
        }
        compare_strings(lhs, self.operator, rhs)
    }
}

/// `lhs op rhs` as PEP 440 says, when the specifier `{op}{rhs}` and the version `lhs`
/// both parse; `None` sends the comparison to strings.
fn compare_versions(lhs: &str, operator: MarkerOperator, rhs: &str) -> Option<bool> {
    let version_operator = matches!(
        operator,
        MarkerOperator::Equal
            | MarkerOperator::NotEqual
            | MarkerOperator::LessThan
            | MarkerOperator::LessEqual
            | MarkerOperator::GreaterThan
            | MarkerOperator::GreaterEqual
            | MarkerOperator::Compatible
    );
    // Pasting `rhs` after the operator must yield one clause: a leading `=` would
    // turn `<` into `<=` and a comma would add clauses.
    let one_clause = rhs
        .trim_start()
        .starts_with(|c: char| c.is_ascii_alphanumeric())
        && !rhs.contains(',');
    if !version_operator || !one_clause {
        return None;
    }
    // One clause, matched without the pre-release rule: markers compare versions
    // as `Specifier.contains(v, prereleases=True)` does.
    let specifier: VersionSpecifier = format!("{operator}{rhs}").parse().ok()?;
    let version: Version = lhs.parse().ok()?;
    Some(specifier.contains(&version))
}

/// The string semantics of the current spec: equality for `==`, `<=`, `>=` (and
/// `===`, PEP 440's arbitrary equality, case-insensitive as packaging has it), no
/// ordering at all, substrings for `in`; `~=` is undefined and so false.
fn compare_strings(lhs: &str, operator: MarkerOperator, rhs: &str) -> bool {
    match operator {
        MarkerOperator::Equal | MarkerOperator::LessEqual | MarkerOperator::GreaterEqual => {
            lhs == rhs
        }
        MarkerOperator::NotEqual => lhs != rhs,
        MarkerOperator::ArbitraryEqual => lhs.eq_ignore_ascii_case(rhs),
        MarkerOperator::LessThan | MarkerOperator::GreaterThan | MarkerOperator::Compatible => {
            false
        }
        MarkerOperator::In => rhs.contains(lhs),
        MarkerOperator::NotIn => !rhs.contains(lhs),
    }
}

impl fmt::Display for MarkerTree {
    /// Prints the form packaging's `str(Marker(...))` gives, with parentheses only
    /// where precedence needs them (packaging also keeps redundant ones it was given).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MarkerTree::Expression(expression) => write!(f, "{expression}"),
            MarkerTree::And(children) => {
                for (i, child) in children.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" and ")?;
                    }
                    match child {
                        MarkerTree::Or(_) => write!(f, "({child})")?,
                        _ => write!(f, "{child}")?,
                    }
                }
                Ok(())
            }
            MarkerTree::Or(children) => {
                for (i, child) in children.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" or ")?;
                    }
                    write!(f, "{child}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for MarkerExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quote = if self.value.contains('"') { '\'' } else { '"' };
        let value = format!("{quote}{}{quote}", self.value);
        if self.value_first {
            write!(f, "{value} {} {}", self.operator, self.variable)
        } else {
            write!(f, "{} {} {value}", self.variable, self.operator)
        }
    }
}

impl FromStr for MarkerTree {
    type Err = MarkerParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_marker(&mut Cursor::new(s)).map_err(|(kind, span)| MarkerParseError {
            kind,
            input: s.to_string(),
            span,
        })
    }
}

/// Why a string is not a marker: what went wrong, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarkerParseError {
    kind: MarkerErrorKind,
    input: String,
    span: Range<usize>,
}

impl MarkerParseError {
    pub fn kind(&self) -> &MarkerErrorKind {
        &self.kind
    }

    /// The byte range of the input at fault (empty at the end of the input).
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }
}

impl fmt::Display for MarkerParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        write_caret(f, &self.input, &self.span)
    }
}

impl std::error::Error for MarkerParseError {}

/// The faults a marker can have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MarkerErrorKind {
    /// Where a comparison or `(` should start.
    ExpectedExpression {
        found: Found,
    },
    /// Where the right-hand side of a comparison should be.
    ExpectedOperand {
        operator: MarkerOperator,
        found: Found,
    },
    UnknownVariable {
        name: String,
    },
    /// `extras` or `dependency_groups`, defined by lock files only.
    LockFileVariable {
        name: String,
    },
    ExpectedOperator {
        found: Found,
    },
    /// `not` without the `in` that must follow.
    ExpectedIn {
        found: Found,
    },
    UnterminatedString {
        quote: char,
    },
    /// A character outside the spec's `python_str_c` (backslash, control, non-ASCII).
    StringCharacter {
        character: char,
    },
    TwoStrings,
    TwoVariables,
    /// `===` or `~=` between strings, which no version comparison gives a meaning.
    UndefinedComparison {
        operator: MarkerOperator,
    },
    /// After a complete comparison at the top level.
    ExpectedAndOrEnd {
        found: Found,
    },
    /// After a complete comparison inside parentheses.
    ExpectedAndOrClose {
        found: Found,
    },
    /// Parentheses nested deeper than [`MAX_NESTING`].
    TooDeep {
        limit: usize,
    },
}

impl fmt::Display for MarkerErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MarkerErrorKind::ExpectedExpression { found } => write!(
                f,
                "expected a marker variable, a quoted string or `(`, found {found}"
            ),
            MarkerErrorKind::ExpectedOperand { operator, found } => write!(
                f,
                "expected a marker variable or a quoted string after `{operator}`, found {found}"
            ),
            MarkerErrorKind::UnknownVariable { name } => {
                write!(f, "unknown marker variable `{name}`")
            }
            MarkerErrorKind::LockFileVariable { name } => {
                write!(f, "marker variable `{name}` is only defined in lock files")
            }
            MarkerErrorKind::ExpectedOperator { found } => write!(
                f,
                "expected a comparison operator (`==`, `!=`, `<`, `<=`, `>`, `>=`, `~=`, `===`, `in` or `not in`), found {found}"
            ),
            MarkerErrorKind::ExpectedIn { found } => {
                write!(f, "expected `in` after `not`, found {found}")
            }
            MarkerErrorKind::UnterminatedString { quote } => {
                write!(f, "unterminated string: no closing `{quote}`")
            }
            MarkerErrorKind::StringCharacter { character } => {
                f.write_str("character ")?;
                write_quoted(f, &character.to_string())?;
                f.write_str(" is not allowed in a marker string")
            }
            MarkerErrorKind::TwoStrings => f.write_str(
                "a marker compares a variable with a quoted string, not two quoted strings",
            ),
            MarkerErrorKind::TwoVariables => {
                f.write_str("a marker compares a variable with a quoted string, not two variables")
            }
            MarkerErrorKind::UndefinedComparison { operator } => write!(
                f,
                "`{operator}` compares a version variable (`python_version`, \
                 `python_full_version`, `implementation_version`, `platform_release`) with a \
                 version; between strings it is undefined (use `==`)"
            ),
            MarkerErrorKind::ExpectedAndOrEnd { found } => {
                write!(
                    f,
                    "expected `and`, `or` or the end of the marker, found {found}"
                )
            }
            MarkerErrorKind::ExpectedAndOrClose { found } => {
                write!(f, "expected `and`, `or` or `)`, found {found}")
            }
            MarkerErrorKind::TooDeep { limit } => {
                write!(f, "parentheses nest deeper than {limit} levels in a marker")
            }
        }
    }
}

/// What a parser found where it expected something else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    End,
    /// A word, or else a single character.
    Text(String),
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::End => f.write_str("end of input"),
            Found::Text(text) => write_quoted(f, text),
        }
    }
}

/// Writes `text` in backticks, control characters escaped so they show.
pub(crate) fn write_quoted(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_char('`')?;
    for c in text.chars() {
        if c.is_control() {
            write!(f, "{}", c.escape_debug())?;
        } else {
            f.write_char(c)?;
        }
    }
    f.write_char('`')
}

/// Writes the input below an error message, with carets under `span`:
/// ```text
/// name ! 1.0
///      ^
/// ```
/// Of an input longer than [`CARET_WINDOW`] characters, only its start (which
/// names the project) and the characters around the fault are shown, `…` marking
/// each cut, so that a requirement of megabytes makes an error of two short lines.
pub(crate) fn write_caret(
    f: &mut fmt::Formatter<'_>,
    input: &str,
    span: &Range<usize>,
) -> fmt::Result {
    let chars = input.chars().count();
    let start = input.get(..span.start).map_or(chars, |s| s.chars().count());
    let width = input.get(span.clone()).map_or(0, |s| s.chars().count());
    let (first, last) = if chars <= CARET_WINDOW {
        (0, chars)
    } else {
        let first = start
            .saturating_sub(CARET_WINDOW / 2)
            .min(chars - CARET_WINDOW);
        (first, first + CARET_WINDOW)
    };
    let head = first.min(CARET_HEAD);
    // Runs of shown characters, by char position, with a cut between them.
    let runs = [(0, head), (first, last)];
    let cut = |shown: bool| if shown { "…" } else { "" };
    f.write_char('\n')?;
    for (i, &(from, to)) in runs.iter().enumerate() {
        f.write_str(cut(i == 1 && first > head))?;
        for c in input.chars().skip(from).take(to - from) {
            // A control character would break the line or the alignment.
            let shown = if c.is_control() && c != '\t' {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            };
            f.write_char(shown)?;
        }
    }
    f.write_str(cut(chars > last))?;
    f.write_char('\n')?;
    for (i, &(from, to)) in runs.iter().enumerate() {
        f.write_str(if i == 1 && first > head { " " } else { "" })?;
        // Tabs are copied so the caret lines up however the terminal expands them.
        for c in input
            .chars()
            .skip(from)
            .take(to.min(start) - from.min(start))
        {
            f.write_char(if c == '\t' { '\t' } else { ' ' })?;
        }
    }
    for _ in 0..width.min(last - start.min(last)).max(1) {
        f.write_char('^')?;
    }
    Ok(())
}

/// How many characters of a long input an error shows around its fault.
const CARET_WINDOW: usize = 100;

/// How many characters of a long input's start an error shows before a cut.
const CARET_HEAD: usize = 20;

/// A position in the input of a parse. Every byte it steps over one at a time is
/// ASCII, so its position is always a char boundary.
pub(crate) struct Cursor<'a> {
    input: &'a str,
    pub(crate) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(input: &'a str) -> Self {
        Cursor { input, pos: 0 }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.input.as_bytes().get(self.pos).copied()
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    pub(crate) fn rest(&self) -> &'a str {
        self.input.get(self.pos..).unwrap_or("")
    }

    pub(crate) fn slice(&self, span: Range<usize>) -> &'a str {
        self.input.get(span).unwrap_or("")
    }

    pub(crate) fn eat(&mut self, byte: u8) -> bool {
        let hit = self.peek() == Some(byte);
        if hit {
            self.pos += 1;
        }
        hit
    }

    pub(crate) fn eat_str(&mut self, text: &str) -> bool {
        let hit = self.rest().starts_with(text);
        if hit {
            self.pos += text.len();
        }
        hit
    }

    /// Eats `word` only as a whole word, so `android` is not `and` + `roid`.
    fn eat_word(&mut self, word: &str) -> bool {
        let rest = self.rest().as_bytes();
        let hit = rest.starts_with(word.as_bytes())
            && !rest.get(word.len()).copied().is_some_and(is_word_byte);
        if hit {
            self.pos += word.len();
        }
        hit
    }

    /// Skips the spec's `wsp*` (spaces and tabs only) and says how much it skipped.
    pub(crate) fn skip_wsp(&mut self) -> usize {
        self.take_while(|b| b == b' ' || b == b'\t').len()
    }

    /// `accept` must only accept ASCII, or the cursor could stop inside a character.
    pub(crate) fn take_while(&mut self, accept: impl Fn(u8) -> bool) -> Range<usize> {
        let start = self.pos;
        while self.peek().is_some_and(&accept) {
            self.pos += 1;
        }
        start..self.pos
    }

    /// What is at the cursor, for an error message, and its span.
    pub(crate) fn found(&self) -> (Found, Range<usize>) {
        let rest = self.rest();
        let word = rest.bytes().take_while(|&b| is_word_byte(b)).count();
        let len = match rest.chars().next() {
            None => return (Found::End, self.pos..self.pos),
            Some(_) if word > 0 => word,
            Some(c) => c.len_utf8(),
        };
        let span = self.pos..self.pos + len;
        (Found::Text(self.slice(span.clone()).to_string()), span)
    }
}

/// A character of a word: variable names (dotted aliases included) and keywords.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// The spec's `python_str_c`, plus both quotes (the closing one is checked first).
fn is_string_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b" \t().{}-_*#:;,/?[]!~`@$%^&=+|<>'\"".contains(&b)
}

type Parsed<T> = Result<T, (MarkerErrorKind, Range<usize>)>;

/// How deep parentheses may nest: far beyond any real marker, far below what
/// the parser's recursion can take on a 2 MiB thread stack.
pub const MAX_NESTING: usize = 100;

/// Parses a marker that runs from the cursor to the end of the input.
pub(crate) fn parse_marker(cursor: &mut Cursor) -> Parsed<MarkerTree> {
    let tree = parse_or(cursor, 0)?;
    cursor.skip_wsp();
    if !cursor.at_end() {
        let (found, span) = cursor.found();
        return Err((MarkerErrorKind::ExpectedAndOrEnd { found }, span));
    }
    Ok(tree)
}

/// `depth` counts the parentheses open around the cursor.
fn parse_or(cursor: &mut Cursor, depth: usize) -> Parsed<MarkerTree> {
    let first = parse_and(cursor, depth)?;
    if !eat_keyword(cursor, "or") {
        return Ok(first);
    }
    let mut children = Vec::new();
    push_flat(&mut children, first, false);
    loop {
        push_flat(&mut children, parse_and(cursor, depth)?, false);
        if !eat_keyword(cursor, "or") {
            return Ok(MarkerTree::Or(children));
        }
    }
}

fn parse_and(cursor: &mut Cursor, depth: usize) -> Parsed<MarkerTree> {
    let first = parse_atom(cursor, depth)?;
    if !eat_keyword(cursor, "and") {
        return Ok(first);
    }
    let mut children = Vec::new();
    push_flat(&mut children, first, true);
    loop {
        push_flat(&mut children, parse_atom(cursor, depth)?, true);
        if !eat_keyword(cursor, "and") {
            return Ok(MarkerTree::And(children));
        }
    }
}

/// Adds `tree` to the children of an `and` (or `or`) node, splicing in its
/// children if it is one too: `(a and b) and c` is `a and b and c`.
fn push_flat(children: &mut Vec<MarkerTree>, tree: MarkerTree, and: bool) {
    match tree {
        MarkerTree::And(inner) if and => children.extend(inner),
        MarkerTree::Or(inner) if !and => children.extend(inner),
        other => children.push(other),
    }
}

fn eat_keyword(cursor: &mut Cursor, keyword: &str) -> bool {
    let start = cursor.pos;
    cursor.skip_wsp();
    let hit = cursor.eat_word(keyword);
    if !hit {
        cursor.pos = start;
    }
    hit
}

fn parse_atom(cursor: &mut Cursor, depth: usize) -> Parsed<MarkerTree> {
    cursor.skip_wsp();
    let open = cursor.pos;
    if !cursor.eat(b'(') {
        return parse_expression(cursor).map(MarkerTree::Expression);
    }
    if depth == MAX_NESTING {
        return Err((
            MarkerErrorKind::TooDeep { limit: MAX_NESTING },
            open..open + 1,
        ));
    }
    let inner = parse_or(cursor, depth + 1)?;
    cursor.skip_wsp();
    if !cursor.eat(b')') {
        let (found, span) = cursor.found();
        return Err((MarkerErrorKind::ExpectedAndOrClose { found }, span));
    }
    Ok(inner)
}

enum Operand {
    Variable(MarkerVariable),
    String(String),
}

fn parse_expression(cursor: &mut Cursor) -> Parsed<MarkerExpression> {
    let start = cursor.pos;
    let left = parse_operand(cursor, None)?;
    let operator = parse_operator(cursor)?;
    let right = parse_operand(cursor, Some(operator))?;
    let (variable, value, value_first) = match (left, right) {
        (Operand::Variable(variable), Operand::String(value)) => (variable, value, false),
        (Operand::String(value), Operand::Variable(variable)) => (variable, value, true),
        (Operand::String(_), Operand::String(_)) => {
            return Err((MarkerErrorKind::TwoStrings, start..cursor.pos));
        }
        (Operand::Variable(_), Operand::Variable(_)) => {
            return Err((MarkerErrorKind::TwoVariables, start..cursor.pos));
        }
    };
    let undefined = matches!(
        operator,
        MarkerOperator::ArbitraryEqual | MarkerOperator::Compatible
    ) && (!variable.is_version()
        || (!value_first
            && format!("{operator}{value}")
                .parse::<VersionSpecifier>()
                .is_err()));
    if undefined {
        return Err((
            MarkerErrorKind::UndefinedComparison { operator },
            start..cursor.pos,
        ));
    }
    // PEP 685: extras compare normalized; a value that is no valid name cannot
    // match any extra, so it is kept as written.
    let value = match variable {
        MarkerVariable::Extra => ExtraName::new(&value).map_or(value, |n| n.to_string()),
        _ => value,
    };
    Ok(MarkerExpression {
        variable,
        operator,
        value,
        value_first,
    })
}

/// `after` is the operator before a right-hand operand, for the error message.
fn parse_operand(cursor: &mut Cursor, after: Option<MarkerOperator>) -> Parsed<Operand> {
    cursor.skip_wsp();
    let expected = |found| match after {
        None => MarkerErrorKind::ExpectedExpression { found },
        Some(operator) => MarkerErrorKind::ExpectedOperand { operator, found },
    };
    match cursor.peek() {
        Some(quote @ (b'\'' | b'"')) => parse_string(cursor, quote).map(Operand::String),
        Some(b) if b.is_ascii_alphabetic() => {
            let span = cursor.take_while(is_word_byte);
            let word = cursor.slice(span.clone());
            match MarkerVariable::from_name(word) {
                Some(variable) => Ok(Operand::Variable(variable)),
                None => {
                    let name = word.to_string();
                    let kind = match word {
                        "and" | "or" | "not" | "in" => expected(Found::Text(name)),
                        "extras" | "dependency_groups" => {
                            MarkerErrorKind::LockFileVariable { name }
                        }
                        _ => MarkerErrorKind::UnknownVariable { name },
                    };
                    Err((kind, span))
                }
            }
        }
        _ => {
            let (found, span) = cursor.found();
            Err((expected(found), span))
        }
    }
}

fn parse_string(cursor: &mut Cursor, quote: u8) -> Parsed<String> {
    let open = cursor.pos;
    cursor.pos += 1;
    loop {
        match cursor.peek() {
            None => {
                let quote = char::from(quote);
                return Err((
                    MarkerErrorKind::UnterminatedString { quote },
                    open..open + 1,
                ));
            }
            Some(b) if b == quote => {
                cursor.pos += 1;
                return Ok(cursor.slice(open + 1..cursor.pos - 1).to_string());
            }
            Some(b) if is_string_byte(b) => cursor.pos += 1,
            Some(_) => {
                let character = cursor.rest().chars().next().unwrap_or_default();
                let span = cursor.pos..cursor.pos + character.len_utf8();
                return Err((MarkerErrorKind::StringCharacter { character }, span));
            }
        }
    }
}

fn parse_operator(cursor: &mut Cursor) -> Parsed<MarkerOperator> {
    cursor.skip_wsp();
    // Longest first: `===` before `==`, `<=` before `<`.
    for (text, operator) in [
        ("===", MarkerOperator::ArbitraryEqual),
        ("==", MarkerOperator::Equal),
        ("!=", MarkerOperator::NotEqual),
        ("<=", MarkerOperator::LessEqual),
        (">=", MarkerOperator::GreaterEqual),
        ("~=", MarkerOperator::Compatible),
        ("<", MarkerOperator::LessThan),
        (">", MarkerOperator::GreaterThan),
    ] {
        if cursor.eat_str(text) {
            return Ok(operator);
        }
    }
    if cursor.eat_word("in") {
        return Ok(MarkerOperator::In);
    }
    if cursor.eat_word("not") {
        if cursor.skip_wsp() > 0 && cursor.eat_word("in") {
            return Ok(MarkerOperator::NotIn);
        }
        let (found, span) = cursor.found();
        return Err((MarkerErrorKind::ExpectedIn { found }, span));
    }
    let (found, span) = cursor.found();
    Err((MarkerErrorKind::ExpectedOperator { found }, span))
}

#[cfg(test)]
mod tests;

//! Command lines as a table of flags over lexopt, as ripgrep does: each flag is
//! declared once, and both parsing and `--help` come from that declaration.
//!
//! lexopt does the lexing (`--opt=value`, `--opt value`, `-ovalue`, `-o value`,
//! `-qf`, `--`); this module knows which flags a command has and how often each may
//! come, turns values into types with messages written for people, and renders help.
//!
//! Traps:
//! - A flag that takes a value takes the next argument whatever it looks like, as
//!   getopt does: in `-r -f`, `-f` is the file.
//! - `-h` and `--help` belong to every command: no table may declare them. A table
//!   that declares `--version` gets it the same way: it stops parsing and prints;
//!   a program of commands always has it, before its command (`curd --version`).
//! - Flags are told apart by address, so a table lists `static`s, never `const`s
//!   (each use of a `const` may be a new copy).
//! - Values also come from lower layers (environment variables, configuration
//!   files; see [`Matches::fill`]): a flag takes all its values from the highest
//!   layer that has it, so a file's `index` list never mixes with `-i` given on the
//!   command line, and errors name where the value came from.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::Write;
use std::path::PathBuf;

use lexopt::{Arg, Parser};

use crate::util::config::{ConfigError, ConfigFile, Setting, SettingValue};
use crate::util::messages::{Level, emit};

/// Where help text wraps.
const WIDTH: usize = 80;

/// One flag of a command.
#[derive(Debug)]
pub struct Flag {
    long: &'static str,
    /// Other long names it answers to, as other tools spell it (`--index-url`).
    aliases: &'static [&'static str],
    short: Option<char>,
    /// What its value is called in help (`FILE`); `None` for a switch.
    value: Option<&'static str>,
    help: &'static str,
    /// Whether it may come more than once, each time with one more value.
    repeatable: bool,
}

impl Flag {
    /// A flag that takes no value.
    pub const fn switch(long: &'static str, help: &'static str) -> Flag {
        Flag {
            long,
            aliases: &[],
            short: None,
            value: None,
            help,
            repeatable: false,
        }
    }

    /// A flag that takes a value, called `value` in help.
    pub const fn option(long: &'static str, value: &'static str, help: &'static str) -> Flag {
        Flag {
            value: Some(value),
            ..Flag::switch(long, help)
        }
    }

    pub const fn short(self, short: char) -> Flag {
        Flag {
            short: Some(short),
            ..self
        }
    }

    pub const fn repeatable(self) -> Flag {
        Flag {
            repeatable: true,
            ..self
        }
    }

    /// Other long names for the flag; help lists them after its own.
    pub const fn aliases(self, aliases: &'static [&'static str]) -> Flag {
        Flag { aliases, ..self }
    }

    /// Whether `name` (without `--`) is this flag's long name or an alias.
    fn named(&self, name: &str) -> bool {
        self.long == name || self.aliases.contains(&name)
    }

    /// `-r, --requirements=FILE`, as the help lists it.
    fn spelling(&self) -> String {
        let short = self.short.map_or("    ".to_string(), |c| format!("-{c}, "));
        let value = self.value.map_or(String::new(), |v| format!("={v}"));
        let mut spelling = format!("{short}--{}{value}", self.long);
        for alias in self.aliases {
            spelling += &format!(", --{alias}");
        }
        spelling
    }
}

/// The arguments after the flags: `DIRECTORY`, `[REQUIREMENT]...`.
#[derive(Debug)]
pub struct Operand {
    pub name: &'static str,
    pub help: &'static str,
    /// Any number of them; otherwise exactly one.
    pub many: bool,
}

/// One command: what parses its arguments and explains them.
#[derive(Debug)]
pub struct Command {
    /// As it is typed, for help and hints: `curd install`.
    pub name: &'static str,
    pub about: &'static str,
    pub flags: Vec<&'static Flag>,
    pub operand: Option<Operand>,
}

/// A value a flag or operand can take.
pub trait FromArg: Sized {
    /// What a value must look like, for errors: `a number`.
    const EXPECTED: &'static str;

    fn from_arg(text: &str) -> Option<Self>;

    /// From the argument as the system gave it: text, unless the type takes any bytes.
    fn from_os(raw: &OsStr) -> Option<Self> {
        raw.to_str().and_then(Self::from_arg)
    }
}

impl FromArg for String {
    const EXPECTED: &'static str = "UTF-8 text";
    fn from_arg(text: &str) -> Option<String> {
        Some(text.to_string())
    }
}

impl FromArg for PathBuf {
    const EXPECTED: &'static str = "a path";
    fn from_arg(text: &str) -> Option<PathBuf> {
        Some(PathBuf::from(text))
    }
    fn from_os(raw: &OsStr) -> Option<PathBuf> {
        Some(PathBuf::from(raw))
    }
}

impl FromArg for usize {
    const EXPECTED: &'static str = "a number";
    fn from_arg(text: &str) -> Option<usize> {
        text.parse().ok()
    }
}

impl FromArg for u32 {
    const EXPECTED: &'static str = "a number";
    fn from_arg(text: &str) -> Option<u32> {
        text.parse().ok()
    }
}

impl FromArg for u16 {
    const EXPECTED: &'static str = "a number from 0 to 65535";
    fn from_arg(text: &str) -> Option<u16> {
        text.parse().ok()
    }
}

/// Why a command line does not fit its command.
#[derive(Debug)]
pub enum ArgsError {
    /// A flag the command does not have.
    Unknown { flag: String },
    /// A flag that takes a value came last.
    MissingValue { flag: String },
    /// A switch given a value, as in `--pre=yes`.
    UnexpectedValue { flag: String, value: String },
    /// A value that is not what its flag or operand takes.
    Invalid {
        /// The flag or operand, quoted, and where the value came from.
        what: String,
        expected: &'static str,
        found: String,
    },
    /// A flag that takes one value given twice.
    Repeated { flag: String },
    /// More operands than the command takes.
    Extra { found: String },
    /// The operand the command needs is missing.
    Missing { name: &'static str },
    /// The first operand names no command.
    Command {
        expected: String,
        found: Option<String>,
    },
    /// What lexopt reports that the cases above do not cover.
    Lexer(lexopt::Error),
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgsError::Unknown { flag } => write!(f, "unknown flag `{flag}`"),
            ArgsError::MissingValue { flag } => write!(f, "`{flag}` expects a value"),
            ArgsError::UnexpectedValue { flag, value } => {
                write!(f, "`{flag}` takes no value, found `{value}`")
            }
            ArgsError::Invalid {
                what,
                expected,
                found,
            } => write!(f, "{what}: expected {expected}, found `{found}`"),
            ArgsError::Repeated { flag } => write!(f, "`{flag}` may be given only once"),
            ArgsError::Extra { found } => write!(f, "unexpected argument `{found}`"),
            ArgsError::Missing { name } => write!(f, "missing {name}"),
            ArgsError::Command { expected, found } => match found {
                Some(found) => write!(f, "expected a command ({expected}), found `{found}`"),
                None => write!(f, "expected a command ({expected})"),
            },
            ArgsError::Lexer(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ArgsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ArgsError::Lexer(e) => Some(e),
            _ => None,
        }
    }
}

/// Why a command does not run: help was asked for, or the command line is wrong.
#[derive(Debug)]
pub enum Stop {
    /// `-h` or `--help` (or a command's `--version`): text for stdout, then exit 0.
    Help(String),
    /// A command line that does not fit; `command` is the one whose help explains it.
    Usage {
        command: &'static str,
        error: ArgsError,
    },
    /// A configuration file that cannot be read or does not fit the commands.
    Config(ConfigError),
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Help(text) => f.write_str(text),
            Stop::Usage { error, .. } => error.fmt(f),
            Stop::Config(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for Stop {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Stop::Help(_) => None,
            Stop::Usage { error, .. } => Some(error),
            Stop::Config(error) => Some(error),
        }
    }
}

impl Stop {
    /// Prints the help (exit 0), or the error and where to read more (exit 2).
    pub fn exit(self) -> ! {
        match self {
            Stop::Help(text) => {
                // A closed stdout (`| head`) is no reason to fail.
                let _ = std::io::stdout().write_all(text.as_bytes());
                std::process::exit(0)
            }
            Stop::Usage { command, error } => {
                emit(
                    Level::Error,
                    format_args!("error: {error}\nhint: run `{command} --help` for usage"),
                );
                std::process::exit(2)
            }
            Stop::Config(error) => {
                emit(Level::Error, format_args!("error: {error}"));
                std::process::exit(2)
            }
        }
    }
}

/// Where a flag's value came from, so that an error says where to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    CommandLine,
    /// An environment variable, by name.
    Variable(String),
    /// A configuration file's line.
    File {
        path: PathBuf,
        line: usize,
    },
}

impl Origin {
    /// `flag` as errors name it: `--timeout`, `$CURD_TIMEOUT`, `curd.toml:3: timeout`.
    fn describe(&self, flag: &Flag) -> String {
        match self {
            Origin::CommandLine => format!("`--{}`", flag.long),
            Origin::Variable(name) => format!("`${name}`"),
            Origin::File { path, line } => format!("{}:{line}: `{}`", path.display(), flag.long),
        }
    }
}

/// What a command line gave, checked against its command; values are typed on demand.
#[derive(Debug)]
pub struct Matches {
    command: Command,
    /// Each flag as given, in order, with its value (empty for a switch) and where it
    /// came from.
    given: Vec<(&'static Flag, OsString, Origin)>,
    operands: Vec<OsString>,
}

impl Command {
    /// Reads `args` (without the program's name) against the table.
    pub fn parse(self, args: impl IntoIterator<Item = OsString>) -> Result<Matches, Stop> {
        let mut parser = Parser::from_args(args);
        let mut given: Vec<(&'static Flag, OsString, Origin)> = Vec::new();
        let mut operands = Vec::new();
        while let Some(arg) = parser.next().map_err(|e| self.usage(lexer(e)))? {
            let (flag, spelled) = match arg {
                Arg::Short('h') | Arg::Long("help") => return Err(Stop::Help(self.help())),
                // Like help, it needs nothing else, operands included.
                Arg::Long("version") if self.flags.iter().any(|f| f.long == "version") => {
                    let version = env!("CARGO_PKG_VERSION");
                    return Err(Stop::Help(format!("{} {version}\n", self.name)));
                }
                Arg::Value(value) => {
                    if !self
                        .operand
                        .as_ref()
                        .is_some_and(|o| o.many || operands.is_empty())
                    {
                        let found = value.to_string_lossy().into_owned();
                        return Err(self.usage(ArgsError::Extra { found }));
                    }
                    operands.push(value);
                    continue;
                }
                Arg::Short(c) => (
                    self.flags.iter().find(|f| f.short == Some(c)),
                    format!("-{c}"),
                ),
                Arg::Long(name) => (
                    self.flags.iter().find(|f| f.named(name)),
                    format!("--{name}"),
                ),
            };
            let Some(&flag) = flag else {
                return Err(self.usage(ArgsError::Unknown { flag: spelled }));
            };
            let value = match flag.value {
                // lexopt's only error here is a missing value.
                Some(_) => parser.value().map_err(|_| {
                    let flag = format!("--{}", flag.long);
                    self.usage(ArgsError::MissingValue { flag })
                })?,
                None => OsString::new(),
            };
            let again = given.iter().any(|(f, ..)| std::ptr::eq(*f, flag));
            if again && flag.value.is_some() && !flag.repeatable {
                let flag = format!("--{}", flag.long);
                return Err(self.usage(ArgsError::Repeated { flag }));
            }
            given.push((flag, value, Origin::CommandLine));
        }
        match &self.operand {
            Some(operand) if !operand.many && operands.is_empty() => {
                let name = operand.name;
                Err(self.usage(ArgsError::Missing { name }))
            }
            _ => Ok(Matches {
                command: self,
                given,
                operands,
            }),
        }
    }

    /// The flag a configuration key names: its long name or an alias.
    pub fn flag(&self, key: &str) -> Option<&'static Flag> {
        self.flags.iter().copied().find(|f| f.named(key))
    }

    fn usage(&self, error: ArgsError) -> Stop {
        Stop::Usage {
            command: self.name,
            error,
        }
    }

    /// The help text: what the command does, its usage line (the flags with a short
    /// form, as man pages show them), its operand and flags.
    pub fn help(&self) -> String {
        let mut usage = vec!["[-h]".to_string()];
        for (short, flag) in self.flags.iter().filter_map(|f| Some((f.short?, f))) {
            let value = flag.value.map_or(String::new(), |v| format!(" {v}"));
            let more = if flag.repeatable { "..." } else { "" };
            usage.push(format!("[-{short}{value}]{more}"));
        }
        let mut operand = Vec::new();
        if let Some(o) = &self.operand {
            usage.push(match o.many {
                true => format!("[{}]...", o.name),
                false => o.name.to_string(),
            });
            operand.push((o.name.to_string(), o.help));
        }
        let mut flags = vec![("-h, --help".to_string(), "print this help")];
        flags.extend(self.flags.iter().map(|f| (f.spelling(), f.help)));
        let column = column(operand.iter().chain(&flags));
        let usage_at = format!("Usage: {} ", self.name);
        let usage = wrap(usage.iter().map(String::as_str), usage_at.len());
        let mut out = format!(
            "{}\n{usage_at}{usage}",
            wrap(self.about.split_whitespace(), 0)
        );
        if !operand.is_empty() {
            out += &format!("\nArguments:\n{}", rows(&operand, column));
        }
        out += &format!("\nOptions:\n{}", rows(&flags, column));
        out
    }
}

/// lexopt's errors, in this module's words where it has them.
fn lexer(error: lexopt::Error) -> ArgsError {
    match error {
        lexopt::Error::UnexpectedValue { option, value } => ArgsError::UnexpectedValue {
            flag: option,
            value: value.to_string_lossy().into_owned(),
        },
        other => ArgsError::Lexer(other),
    }
}

impl Matches {
    /// Whether a switch was given.
    pub fn switch(&self, flag: &'static Flag) -> bool {
        self.raw(flag).next().is_some()
    }

    /// A flag's value, if it was given.
    pub fn value<T: FromArg>(&self, flag: &'static Flag) -> Result<Option<T>, Stop> {
        Ok(self.values(flag)?.pop())
    }

    /// Every value of a repeatable flag, in order.
    pub fn values<T: FromArg>(&self, flag: &'static Flag) -> Result<Vec<T>, Stop> {
        self.entries(flag)
            .map(|(raw, origin)| self.typed(&origin.describe(flag), raw))
            .collect()
    }

    /// The values of several flags, each with its flag, in the order given: for
    /// flags that change one shared state, where which came first matters.
    pub fn interleaved<T: FromArg>(
        &self,
        flags: &[&'static Flag],
    ) -> Result<Vec<(&'static Flag, T)>, Stop> {
        self.given
            .iter()
            .filter(|(f, _, _)| flags.iter().any(|flag| std::ptr::eq(*f, *flag)))
            .map(|(f, raw, origin)| Ok((*f, self.typed(&origin.describe(f), raw)?)))
            .collect()
    }

    /// The operands, in order.
    pub fn operands<T: FromArg>(&self) -> Result<Vec<T>, Stop> {
        let what = self.command.operand.as_ref().map_or("", |o| o.name);
        let what = format!("`{what}`");
        self.operands
            .iter()
            .map(|raw| self.typed(&what, raw))
            .collect()
    }

    /// The one operand of a command that takes exactly one.
    pub fn operand<T: FromArg>(&self) -> Result<T, Stop> {
        self.operands()?.into_iter().next().ok_or_else(|| {
            let name = self.command.operand.as_ref().map_or("", |o| o.name);
            self.command.usage(ArgsError::Missing { name })
        })
    }

    /// The command's flag a key names (its long name or an alias), if it has one.
    pub fn flag(&self, key: &str) -> Option<&'static Flag> {
        self.command.flag(key)
    }

    /// Where a flag's values came from, if it was given in any layer.
    pub fn origin(&self, flag: &'static Flag) -> Option<&Origin> {
        self.entries(flag).next().map(|(_, origin)| origin)
    }

    /// Adds a lower layer of values (environment variables, a configuration file):
    /// each flag in it that no higher layer gave takes its values from it. Call from
    /// the highest layer down.
    pub fn fill(&mut self, layer: Vec<(&'static Flag, OsString, Origin)>) {
        let before = self.given.len();
        for (flag, value, origin) in layer {
            let known = self.given[..before]
                .iter()
                .any(|(f, ..)| std::ptr::eq(*f, flag));
            if !known && self.command.flags.iter().any(|f| std::ptr::eq(*f, flag)) {
                self.given.push((flag, value, origin));
            }
        }
    }

    /// A configuration file's settings for this command, as a layer for
    /// [`Matches::fill`]: those of its table (`[install]` for `curd install`) above
    /// the top-level ones, which only apply to the commands that have the flag.
    /// Keys are checked by [`check_config`] first.
    pub fn fill_from(&mut self, file: &ConfigFile, table: &str) -> Result<(), ConfigError> {
        for section in [Some(table), None] {
            let mut layer = Vec::new();
            for setting in &file.settings {
                if setting.table.as_deref() != section {
                    continue;
                }
                let Some(flag) = self.command.flag(&setting.key) else {
                    continue;
                };
                let origin = Origin::File {
                    path: file.path.clone(),
                    line: setting.line,
                };
                for value in flag_values(file, setting, flag)? {
                    layer.push((flag, value, origin.clone()));
                }
            }
            self.fill(layer);
        }
        Ok(())
    }

    fn entries(&self, flag: &'static Flag) -> impl Iterator<Item = (&OsString, &Origin)> {
        let given = self.given.iter();
        given
            .filter(move |(f, ..)| std::ptr::eq(*f, flag))
            .map(|(_, v, origin)| (v, origin))
    }

    fn raw(&self, flag: &'static Flag) -> impl Iterator<Item = &OsString> {
        self.entries(flag).map(|(v, _)| v)
    }

    fn typed<T: FromArg>(&self, what: &str, raw: &OsStr) -> Result<T, Stop> {
        T::from_os(raw).ok_or_else(|| {
            self.command.usage(ArgsError::Invalid {
                what: what.to_string(),
                expected: T::EXPECTED,
                found: raw.to_string_lossy().into_owned(),
            })
        })
    }
}

/// A setting's value as the flag's values: `true` gives a switch, `false` nothing;
/// an array gives a repeatable flag each of its items.
fn flag_values(
    file: &ConfigFile,
    setting: &Setting,
    flag: &Flag,
) -> Result<Vec<OsString>, ConfigError> {
    match (&setting.value, flag.value, flag.repeatable) {
        (SettingValue::Bool(on), None, _) => Ok(match on {
            true => vec![OsString::new()],
            false => Vec::new(),
        }),
        (_, None, _) => Err(file.misfit(setting, "true or false")),
        (SettingValue::Bool(_), Some(_), true) => {
            Err(file.misfit(setting, "a string or a list of strings"))
        }
        (SettingValue::Bool(_), Some(_), false) => Err(file.misfit(setting, "a string or number")),
        (SettingValue::One(text), Some(_), _) => Ok(vec![OsString::from(text)]),
        (SettingValue::Many(texts), Some(_), true) => {
            Ok(texts.iter().map(OsString::from).collect())
        }
        (SettingValue::Many(_), Some(_), false) => Err(file.misfit(
            setting,
            "one value, as the flag may be given only once, found a list",
        )),
    }
}

/// Checks every key of a configuration file against a program's commands: a
/// top-level key must be a flag of one of them, a table must be one of them and its
/// keys its flags. `commands` are each command's table name (`install`) and table.
pub fn check_config(file: &ConfigFile, commands: &[(&str, &Command)]) -> Result<(), ConfigError> {
    for setting in &file.settings {
        let known = match &setting.table {
            None => commands.iter().any(|(_, c)| c.flag(&setting.key).is_some()),
            Some(table) => match commands.iter().find(|(name, _)| name == table) {
                Some((_, command)) => command.flag(&setting.key).is_some(),
                None => {
                    let names: Vec<_> = commands.iter().map(|(n, _)| format!("[{n}]")).collect();
                    let expected = format!(
                        "`[{table}]` is no command's table: expected one of {}",
                        names.join(", ")
                    );
                    return Err(file.unknown(setting, expected));
                }
            },
        };
        if !known {
            let expected = match &setting.table {
                Some(table) => format!(
                    "keys are the long flags of `{}`: run it with --help",
                    commands
                        .iter()
                        .find(|(n, _)| n == table)
                        .map_or(table.as_str(), |(_, c)| c.name)
                ),
                None => "keys are the long flags of the commands, without `--`".to_string(),
            };
            return Err(file.unknown(setting, expected));
        }
    }
    Ok(())
}

/// A program whose first operand names the command, as in `curd install`.
#[derive(Debug)]
pub struct Program {
    pub name: &'static str,
    pub about: &'static str,
    /// Each command's name and summary, in the order help lists them.
    pub commands: &'static [(&'static str, &'static str)],
}

impl Program {
    /// The command named first and the arguments after it; `help COMMAND` is
    /// `COMMAND --help`.
    pub fn dispatch(
        &self,
        args: impl IntoIterator<Item = OsString>,
    ) -> Result<(&'static str, Vec<OsString>), Stop> {
        let usage = |error| Stop::Usage {
            command: self.name,
            error,
        };
        let mut parser = Parser::from_args(args);
        let first = match parser.next().map_err(|e| usage(lexer(e)))? {
            Some(Arg::Short('h') | Arg::Long("help")) => return Err(Stop::Help(self.help())),
            Some(Arg::Long("version")) => {
                let version = env!("CARGO_PKG_VERSION");
                return Err(Stop::Help(format!("{} {version}\n", self.name)));
            }
            Some(Arg::Value(value)) => value,
            Some(Arg::Short(c)) => {
                return Err(usage(ArgsError::Unknown {
                    flag: format!("-{c}"),
                }));
            }
            Some(Arg::Long(name)) => {
                let flag = format!("--{name}");
                return Err(usage(ArgsError::Unknown { flag }));
            }
            None => return Err(usage(self.no_command(None))),
        };
        let raw = parser.raw_args().map_err(|e| usage(lexer(e)))?;
        let mut rest: Vec<OsString> = raw.collect();
        let (name, rest) = match first.to_str() {
            Some("help") if rest.is_empty() => return Err(Stop::Help(self.help())),
            Some("help") => (rest.remove(0), vec![OsString::from("--help")]),
            _ => (first, rest),
        };
        match self.commands.iter().find(|(c, _)| name.to_str() == Some(c)) {
            Some((command, _)) => Ok((command, rest)),
            None => {
                let found = name.to_string_lossy().into_owned();
                Err(usage(self.no_command(Some(found))))
            }
        }
    }

    fn no_command(&self, found: Option<String>) -> ArgsError {
        let names: Vec<&str> = self.commands.iter().map(|(c, _)| *c).collect();
        ArgsError::Command {
            expected: names.join(", "),
            found,
        }
    }

    /// The help text: what the program does and its commands.
    pub fn help(&self) -> String {
        let commands: Vec<(String, &str)> = self
            .commands
            .iter()
            .map(|(name, summary)| (name.to_string(), *summary))
            .collect();
        let name = self.name;
        format!(
            "{}\nUsage: {name} [-h] [--version] COMMAND [ARGS]...\n\nCommands:\n{}\n\
             Run `{name} help COMMAND` for a command's flags.\n",
            wrap(self.about.split_whitespace(), 0),
            rows(&commands, column(&commands)),
        )
    }
}

/// Where the right sides of rows start: past the longest left side that is not
/// much longer than the others.
fn column<'a>(rows: impl IntoIterator<Item = &'a (String, &'a str)>) -> usize {
    let widest = rows
        .into_iter()
        .map(|(left, _)| left.len())
        .filter(|&n| n <= 26);
    widest.max().unwrap_or(0) + 4
}

/// `  left  right` rows, the right sides aligned at `column` and wrapped; a left side
/// too long for the column puts its right side on the next line.
fn rows(rows: &[(String, &str)], column: usize) -> String {
    let mut out = String::new();
    for (left, right) in rows {
        let left = format!("  {left}");
        if left.len() + 2 > column {
            out += &format!("{left}\n{}", " ".repeat(column));
        } else {
            out += &format!("{left:column$}");
        }
        out += &wrap(right.split_whitespace(), column);
    }
    out
}

/// `words` in lines that end before `WIDTH`, starting at column `indent`: the first
/// where the caller left it, the others after as many spaces.
fn wrap<'a>(words: impl IntoIterator<Item = &'a str>, indent: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in words {
        if line > 0 && indent + line + 1 + word.len() > WIDTH {
            out += &format!("\n{}", " ".repeat(indent));
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out += word;
        line += word.len();
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests;

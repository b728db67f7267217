//! Configuration files in TOML whose keys are a program's long flags: `index = ["…"]`,
//! `cache-dir = "…"`, `timeout = 30`, `pre = true`, at the top and in a table per
//! command (`[install]`). This module reads a file into such settings, each with the
//! line it came from; `util::args` turns them into flag values, so every flag is
//! configurable without code of its own.
//!
//! <https://toml.io/en/v1.0.0>
//!
//! Traps:
//! - A typo must not be silent: keys are checked against the flags by the caller,
//!   and anything this module cannot map to flag values (a date, a table inside a
//!   command's table, an array of tables) is refused with its line.
//! - Integers keep their meaning, not their spelling: `0x1e` is `30`, `1_000` is
//!   `1000`, since flags read decimal text.

use std::fmt;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::util::fs::{FsError, read_bounded};

/// Larger than any configuration people write, small enough to read whole.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// A configuration file, read.
#[derive(Debug)]
pub struct ConfigFile {
    pub path: PathBuf,
    /// The top-level keys first (`table: None`), then each table's, in the file's order.
    pub settings: Vec<Setting>,
}

/// One key of a configuration file and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The `[table]` it is in, if any.
    pub table: Option<String>,
    pub key: String,
    /// 1-based.
    pub line: usize,
    pub value: SettingValue,
}

/// A value as flags take values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingValue {
    /// `true` or `false`, for a switch.
    Bool(bool),
    /// A string or a number, as text.
    One(String),
    /// An array of strings or numbers, for a flag that may come more than once.
    Many(Vec<String>),
}

/// Why a configuration file cannot be used.
#[derive(Debug)]
pub enum ConfigError {
    /// The file could not be read.
    Read(FsError),
    /// It is larger than its bound ([`MAX_CONFIG_BYTES`] for configuration).
    TooLarge { path: PathBuf, limit: u64 },
    /// It is not valid UTF-8 TOML.
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A value of a kind no flag takes.
    Value {
        path: PathBuf,
        line: usize,
        key: String,
        found: &'static str,
    },
    /// A key that names no flag, or a table that names no command.
    Unknown {
        path: PathBuf,
        line: usize,
        key: String,
        /// What the key may be, for the hint.
        expected: String,
    },
    /// A value that does not fit its flag: a list for a flag given once, a string
    /// for a switch.
    Shape {
        path: PathBuf,
        line: usize,
        key: String,
        expected: &'static str,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read(e) => e.fmt(f),
            ConfigError::TooLarge { path, limit } => write!(
                f,
                "{}: expected a TOML file of at most {limit} bytes",
                path.display()
            ),
            ConfigError::Syntax {
                path,
                line,
                message,
            } => write!(f, "{}:{line}: invalid TOML: {message}", path.display()),
            ConfigError::Value {
                path,
                line,
                key,
                found,
            } => write!(
                f,
                "{}:{line}: `{key}`: expected a string, number, boolean or array of them, found {found}",
                path.display()
            ),
            ConfigError::Unknown {
                path,
                line,
                key,
                expected,
            } => write!(
                f,
                "{}:{line}: unknown key `{key}`\nhint: {expected}",
                path.display()
            ),
            ConfigError::Shape {
                path,
                line,
                key,
                expected,
            } => write!(f, "{}:{line}: `{key}`: expected {expected}", path.display()),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Read(e) => Some(e),
            _ => None,
        }
    }
}

impl ConfigFile {
    /// Reads and parses `path`; `Ok(None)` if there is no such file.
    pub fn read(path: &Path) -> Result<Option<ConfigFile>, ConfigError> {
        match read_toml_text(path, MAX_CONFIG_BYTES)? {
            Some(text) => ConfigFile::parse(path, &text).map(Some),
            None => Ok(None),
        }
    }

    /// Parses `text`, read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, ConfigError> {
        let document = parse_toml(path, text)?;
        let mut reader = Reader {
            path,
            text,
            settings: Vec::new(),
        };
        let mut tables = Vec::new();
        let mut entries: Vec<_> = document.get_ref().iter().collect();
        // The map is sorted by key; the file's order reads better in errors.
        entries.sort_by_key(|(key, _)| key.span().start);
        for (key, value) in entries {
            match value.get_ref() {
                DeValue::Table(table) => tables.push((key, table)),
                _ => reader.setting(None, key, value)?,
            }
        }
        for (name, table) in tables {
            let mut entries: Vec<_> = table.iter().collect();
            entries.sort_by_key(|(key, _)| key.span().start);
            for (key, value) in entries {
                reader.setting(Some(name.get_ref()), key, value)?;
            }
        }
        Ok(ConfigFile {
            path: path.to_path_buf(),
            settings: reader.settings,
        })
    }

    /// A [`ConfigError::Unknown`] for `setting`.
    pub fn unknown(&self, setting: &Setting, expected: String) -> ConfigError {
        let key = match &setting.table {
            Some(table) => format!("{table}.{}", setting.key),
            None => setting.key.clone(),
        };
        ConfigError::Unknown {
            path: self.path.clone(),
            line: setting.line,
            key,
            expected,
        }
    }

    /// A [`ConfigError::Shape`] for `setting`.
    pub fn misfit(&self, setting: &Setting, expected: &'static str) -> ConfigError {
        ConfigError::Shape {
            path: self.path.clone(),
            line: setting.line,
            key: setting.key.clone(),
            expected,
        }
    }
}

/// A TOML file's text, read whole within `limit` bytes; `Ok(None)` if there is no
/// such file. Bytes that are not UTF-8 are a syntax error on their line.
pub fn read_toml_text(path: &Path, limit: u64) -> Result<Option<String>, ConfigError> {
    let bytes = match read_bounded(path, limit) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
            return Err(ConfigError::TooLarge {
                path: path.to_path_buf(),
                limit,
            });
        }
        Err(source) => {
            return Err(ConfigError::Read(FsError {
                path: path.to_path_buf(),
                action: "read",
                source,
            }));
        }
    };
    String::from_utf8(bytes).map(Some).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        ConfigError::Syntax {
            path: path.to_path_buf(),
            line: e.as_bytes()[..valid]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1,
            message: "expected UTF-8, found other bytes".into(),
        }
    })
}

/// Parses `text`, read from `path`, as a TOML document; an error names its line.
pub fn parse_toml<'i>(path: &Path, text: &'i str) -> Result<Spanned<DeTable<'i>>, ConfigError> {
    DeTable::parse(text).map_err(|e| ConfigError::Syntax {
        path: path.to_path_buf(),
        line: line_of(text, e.span().map_or(0, |s| s.start)),
        message: e.message().to_string(),
    })
}

struct Reader<'a> {
    path: &'a Path,
    text: &'a str,
    settings: Vec<Setting>,
}

impl Reader<'_> {
    fn setting(
        &mut self,
        table: Option<&str>,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        value: &Spanned<DeValue<'_>>,
    ) -> Result<(), ConfigError> {
        let line = line_of(self.text, key.span().start);
        let refuse = |found| ConfigError::Value {
            path: self.path.to_path_buf(),
            line,
            key: key.get_ref().to_string(),
            found,
        };
        let value = match value.get_ref() {
            DeValue::Boolean(b) => SettingValue::Bool(*b),
            DeValue::Array(items) => {
                let mut texts = Vec::new();
                for item in items {
                    match scalar(item.get_ref()) {
                        Ok(text) => texts.push(text),
                        Err(found) => return Err(refuse(found)),
                    }
                }
                SettingValue::Many(texts)
            }
            other => SettingValue::One(scalar(other).map_err(refuse)?),
        };
        self.settings.push(Setting {
            table: table.map(str::to_string),
            key: key.get_ref().to_string(),
            line,
            value,
        });
        Ok(())
    }
}

/// A string or number as a flag's text; otherwise what it is, for the error.
fn scalar(value: &DeValue<'_>) -> Result<String, &'static str> {
    match value {
        DeValue::String(s) => Ok(s.to_string()),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            i64::from_str_radix(&digits, i.radix())
                .map(|n| n.to_string())
                .map_err(|_| "an integer out of range")
        }
        DeValue::Float(f) => Ok(f.as_str().replace('_', "")),
        DeValue::Boolean(_) => Err("a boolean inside an array"),
        DeValue::Datetime(_) => Err("a date or time"),
        DeValue::Array(_) => Err("an array inside an array"),
        DeValue::Table(_) => Err("a table"),
    }
}

/// The 1-based line of byte `offset`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Setting>, String> {
        ConfigFile::parse(Path::new("c.toml"), text)
            .map(|c| c.settings)
            .map_err(|e| e.to_string())
    }

    fn one(table: Option<&str>, key: &str, line: usize, value: SettingValue) -> Setting {
        Setting {
            table: table.map(str::to_string),
            key: key.into(),
            line,
            value,
        }
    }

    #[test]
    fn reads_keys_with_their_lines_and_tables() {
        let text = "# comment\nindex = [\n  \"a\",\n  'b', # why\n]\ntimeout = 0x1e\n\
                    pre = true\n[install]\njobs = 1_000\ncache-dir = \"\"\"\nx\"\"\"\n\
                    [wheel]\nretries = 2.5\n";
        let settings = parse(text).expect("valid TOML");
        use SettingValue::*;
        assert_eq!(
            settings,
            [
                one(None, "index", 2, Many(vec!["a".into(), "b".into()])),
                one(None, "timeout", 6, One("30".into())),
                one(None, "pre", 7, Bool(true)),
                one(Some("install"), "jobs", 9, One("1000".into())),
                one(Some("install"), "cache-dir", 10, One("x".into())),
                one(Some("wheel"), "retries", 13, One("2.5".into())),
            ]
        );
    }

    #[test]
    fn refuses_what_no_flag_takes_naming_the_line() {
        assert_eq!(
            parse("a = 1\nwhen = 1979-05-27\n").unwrap_err(),
            "c.toml:2: `when`: expected a string, number, boolean or array of them, found a date or time"
        );
        assert_eq!(
            parse("[install]\nx = { y = 1 }\n").unwrap_err(),
            "c.toml:2: `x`: expected a string, number, boolean or array of them, found a table"
        );
        assert!(parse("[[install]]\nx = 1\n").is_err());
        let error = parse("a = 1\nb = \"open\n").unwrap_err();
        assert!(error.starts_with("c.toml:2: invalid TOML: "), "{error}");
        let error = parse("a = 1\na = 2\n").unwrap_err();
        assert!(error.starts_with("c.toml:2: invalid TOML: "), "{error}");
    }
}

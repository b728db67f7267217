//! One channel for what the client and the server say to people, on stderr.
//!
//! The level is set once, at start-up, from the flags; the macros below check it and
//! write each message as one line (one `write` call, so lines from several threads
//! never interleave). stdout stays for data a script could pipe.
//!
//! On a terminal a progress line may be drawn where the message goes: the message
//! clears it first, and the bar is drawn again below at its next step.

use std::io::{IsTerminal, Write};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU8, Ordering};

/// How much is said: each level includes those before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Nothing but errors (`-q`).
    Error,
    Warn,
    /// Summaries and start-up lines: the default.
    Info,
    /// What happened on the way, for a person finding a fault (`-l debug`, `-d`).
    Debug,
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);

/// Sets how much is said, for the whole process.
pub fn set_level(level: Level) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

/// Whether messages of `level` are shown.
pub fn enabled(level: Level) -> bool {
    level as u8 <= LEVEL.load(Ordering::Relaxed)
}

/// Writes one line to stderr, whole. Used by the macros; a failed write (a closed
/// stderr) is not worth failing a command over.
pub fn emit(level: Level, line: std::fmt::Arguments<'_>) {
    if !enabled(level) {
        return;
    }
    static TERMINAL: LazyLock<bool> = LazyLock::new(|| std::io::stderr().is_terminal());
    let mut text = if *TERMINAL {
        String::from("\r\x1b[2K")
    } else {
        String::new()
    };
    text.push_str(&line.to_string());
    text.push('\n');
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// `n` and its noun, singular for one: `1 package`, `3 packages`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A message at the default level: summaries, start-up lines, access-log lines.
#[macro_export]
macro_rules! message {
    ($($arg:tt)*) => {
        $crate::util::messages::emit($crate::util::messages::Level::Info, format_args!($($arg)*))
    };
}

/// A warning: `warning: ` and the message, shown unless only errors are asked for.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => {
        $crate::util::messages::emit(
            $crate::util::messages::Level::Warn,
            format_args!("warning: {}", format_args!($($arg)*)),
        )
    };
}

/// What happened on the way, shown with `-l debug` (the client) or `-d` (the server).
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => {
        $crate::util::messages::emit($crate::util::messages::Level::Debug, format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_include_those_before() {
        assert!(Level::Error < Level::Warn && Level::Warn < Level::Info);
        assert!(Level::Info < Level::Debug);
        assert!(enabled(Level::Error));
    }

    #[test]
    fn counts_read_as_english() {
        assert_eq!(count(0, "package"), "0 packages");
        assert_eq!(count(1, "package"), "1 package");
        assert_eq!(count(45, "wheel"), "45 wheels");
    }
}

//! Which kinds of file a project may be installed from: pip's `--only-binary` and
//! `--no-binary`, from the command line and from requirements files.
//!
//! <https://pip.pypa.io/en/stable/cli/pip_install/#cmdoption-only-binary>
//!
//! Traps (pip's `FormatControl`, which this follows rule for rule):
//! - Each value is a comma-separated list read left to right, and the two flags
//!   share one state: naming a project in one takes it out of the other.
//! - `:all:` empties both lists and puts `:all:` in its own; a `:none:` after it
//!   in the same value empties its own list again, and the names after that count.
//! - A project named in `--only-binary` gets wheels only even under
//!   `--no-binary :all:`, and one named in `--no-binary` gets sdists only under
//!   `--only-binary :all:`: a name beats `:all:`, and `--only-binary`'s name is
//!   looked at first.
//! - The order between the flags matters (`--no-binary :all: --only-binary x` is
//!   not `--only-binary x --no-binary :all:`), so values are applied in the order
//!   they were given, command line first, then requirements files.

use std::collections::BTreeSet;

use crate::standards::name::{InvalidName, PackageName};

/// One of the two flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `--only-binary`: never build an sdist.
    OnlyBinary,
    /// `--no-binary`: never install a wheel someone else built.
    NoBinary,
}

/// A list of projects, or every project.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Names {
    all: bool,
    names: BTreeSet<PackageName>,
}

impl Names {
    fn clear(&mut self) {
        self.all = false;
        self.names.clear();
    }
}

/// What `--only-binary` and `--no-binary` said, all values applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Formats {
    only_binary: Names,
    no_binary: Names,
}

impl Formats {
    /// Applies one value of a flag, as pip does; a name that is not one is refused.
    pub fn apply(&mut self, format: Format, value: &str) -> Result<(), InvalidName> {
        let (target, other) = match format {
            Format::OnlyBinary => (&mut self.only_binary, &mut self.no_binary),
            Format::NoBinary => (&mut self.no_binary, &mut self.only_binary),
        };
        let mut items: &[&str] = &value.split(',').map(str::trim).collect::<Vec<_>>();
        while let Some(at) = items.iter().position(|item| *item == ":all:") {
            other.clear();
            target.clear();
            target.all = true;
            items = &items[at + 1..];
            if !items.contains(&":none:") {
                return Ok(());
            }
        }
        for item in items {
            match *item {
                ":none:" => target.clear(),
                "" => {}
                name => {
                    let name = PackageName::new(name)?;
                    other.names.remove(&name);
                    target.names.insert(name);
                }
            }
        }
        Ok(())
    }

    /// Whether a wheel of the project may be installed.
    pub fn wheels(&self, name: &PackageName) -> bool {
        self.only_binary.names.contains(name)
            || !(self.no_binary.names.contains(name)
                || (!self.only_binary.all && self.no_binary.all))
    }

    /// Whether an sdist of the project may be built.
    pub fn sdists(&self, name: &PackageName) -> bool {
        !self.only_binary.names.contains(name)
            && (self.no_binary.names.contains(name) || !self.only_binary.all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies `(flag, value)` pairs and says what each project may use, as
    /// `binary`/`source` sets, in pip's words.
    fn allowed(given: &[(Format, &str)], names: &[&str]) -> Vec<String> {
        let mut formats = Formats::default();
        for (format, value) in given {
            formats.apply(*format, value).expect("valid names");
        }
        names
            .iter()
            .map(|n| {
                let name = PackageName::new(n).expect("a name");
                let mut kinds = Vec::new();
                if formats.wheels(&name) {
                    kinds.push("binary");
                }
                if formats.sdists(&name) {
                    kinds.push("source");
                }
                format!("{n}:{}", kinds.join("+"))
            })
            .collect()
    }

    use Format::{NoBinary, OnlyBinary};

    /// Each answer is what pip 23's `FormatControl.get_allowed_formats` gives after
    /// `handle_mutual_excludes` of the same values.
    #[test]
    fn combines_as_pip_does() {
        assert_eq!(allowed(&[], &["a"]), ["a:binary+source"]);
        assert_eq!(allowed(&[(OnlyBinary, ":all:")], &["a"]), ["a:binary"]);
        assert_eq!(allowed(&[(NoBinary, ":all:")], &["a"]), ["a:source"]);
        assert_eq!(
            allowed(&[(NoBinary, ":all:"), (OnlyBinary, "fast")], &["a", "fast"]),
            ["a:source", "fast:binary"]
        );
        // `:all:` given later wipes the names given before it.
        assert_eq!(
            allowed(&[(OnlyBinary, "fast"), (NoBinary, ":all:")], &["fast"]),
            ["fast:source"]
        );
        assert_eq!(
            allowed(
                &[(OnlyBinary, ":all:"), (NoBinary, "Slow_Pkg")],
                &["a", "slow-pkg"]
            ),
            ["a:binary", "slow-pkg:source"]
        );
        assert_eq!(
            allowed(&[(NoBinary, "a,b"), (OnlyBinary, "b")], &["a", "b", "c"]),
            ["a:source", "b:binary", "c:binary+source"]
        );
        assert_eq!(
            allowed(&[(OnlyBinary, ":all:,:none:,x")], &["a", "x"]),
            ["a:binary+source", "x:binary"]
        );
        assert_eq!(
            allowed(&[(NoBinary, "a"), (NoBinary, ":none:")], &["a"]),
            ["a:binary+source"]
        );
    }

    #[test]
    fn a_name_that_is_not_one_is_refused() {
        let mut formats = Formats::default();
        let error = formats.apply(OnlyBinary, "ok,no good");
        assert!(error.is_err_and(|e| e.to_string().starts_with("invalid name `no good`")));
    }
}

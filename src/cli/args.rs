//! Command-line front end over argh, accepting the forms users type that argh does not.
//!
//! argh knows `--help` but not `-h`, and `--opt value` but not `--opt=value`; the seed
//! documents both (`-h`, `--host=HOST`). Rewriting argv before argh sees it keeps the
//! declarative parser and its generated help.

use argh::FromArgs;

/// Rewrites `-h` to `--help` and `--opt=value` to `--opt value`, up to a `--`.
pub fn normalize<I: IntoIterator<Item = String>>(args: I) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = false;
    for arg in args {
        if rest {
            out.push(arg);
            continue;
        }
        if arg == "--" {
            rest = true;
            out.push(arg);
        } else if arg == "-h" {
            out.push("--help".to_string());
        } else if let Some((flag, value)) = arg.split_once('=').filter(|(f, _)| f.starts_with("--"))
        {
            out.push(flag.to_string());
            out.push(value.to_string());
        } else {
            out.push(arg);
        }
    }
    out
}

/// Parses the process's arguments into `T`; prints help (exit 0) or a usage error (exit 2).
pub fn from_env<T: FromArgs>() -> T {
    let mut argv = std::env::args();
    let program = argv.next().unwrap_or_else(|| "curd".to_string());
    let command = std::path::Path::new(&program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("curd")
        .to_string();
    let args = normalize(argv);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    T::from_args(&[&command], &refs).unwrap_or_else(|early| match early.status {
        Ok(()) => {
            print!("{}", early.output);
            std::process::exit(0)
        }
        Err(()) => {
            eprint!("error: {}", early.output);
            if !early.output.ends_with('\n') {
                eprintln!();
            }
            eprintln!("hint: run `{command} --help` for usage");
            std::process::exit(2)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(args: &[&str]) -> Vec<String> {
        normalize(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn splits_long_options_with_equals() {
        assert_eq!(
            norm(&["--host=1.2.3.4", "-p", "80"]),
            ["--host", "1.2.3.4", "-p", "80"]
        );
        assert_eq!(norm(&["--user-db=a=b"]), ["--user-db", "a=b"]);
    }

    #[test]
    fn short_h_is_help() {
        assert_eq!(norm(&["-h"]), ["--help"]);
        assert_eq!(norm(&["-H", "::1"]), ["-H", "::1"]);
    }

    #[test]
    fn leaves_everything_after_double_dash() {
        assert_eq!(norm(&["--", "-h", "--a=b"]), ["--", "-h", "--a=b"]);
    }

    #[test]
    fn leaves_short_options_and_positionals_alone() {
        assert_eq!(norm(&["-d", "dir=x"]), ["-d", "dir=x"]);
    }
}

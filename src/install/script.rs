//! Scripts: the console and GUI entry points of `entry_points.txt` made into
//! launchers, and the `#!python` shebang of `.data/scripts` files pointed at the
//! environment's interpreter.
//!
//! - <https://packaging.python.org/en/latest/specifications/entry-points/>
//! - <https://packaging.python.org/en/latest/specifications/binary-distribution-format/#recommended-installer-features>
//!
//! Traps: a script's name becomes a file name in the scripts folder, so it may not
//! name another place; its object reference becomes code in the launcher, so it must
//! be identifiers; a shebang line holds at most 127 bytes and no space on older
//! kernels, so longer interpreter paths go through a `/bin/sh` trampoline.

use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::stream::{CopyError, copy};

/// Copies a script, replacing a first line starting with `#!python` (which covers
/// `#!pythonw`, "a GUI script", the same on Unix) with `shebang`.
pub(super) fn copy_script(
    reader: &mut dyn Read,
    out: &mut dyn Write,
    shebang: &[u8],
) -> Result<(), CopyError> {
    let mut head = [0u8; 8];
    let mut len = 0;
    while len < head.len() {
        match reader.read(&mut head[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(CopyError::Read(error)),
        }
    }
    if head[..len] != *b"#!python" {
        out.write_all(&head[..len]).map_err(CopyError::Write)?;
        return copy(reader, out).map(drop);
    }
    out.write_all(shebang).map_err(CopyError::Write)?;
    let mut buf = [0u8; 8 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(CopyError::Read(error)),
        };
        if let Some(end) = buf[..n].iter().position(|&b| b == b'\n') {
            out.write_all(&buf[end + 1..n]).map_err(CopyError::Write)?;
            return copy(reader, out).map(drop);
        }
    }
}

/// `#!<python>\n`, or, where a shebang line cannot hold the path (a space, or longer
/// than the 127 bytes older kernels read), pypa/installer's `/bin/sh` trampoline that
/// both sh and Python read correctly.
pub(super) fn shebang(python: &Path) -> Vec<u8> {
    let executable = python.as_os_str().as_bytes();
    if !executable.contains(&b' ') && executable.len() + 3 <= 127 {
        return [b"#!", executable, b"\n"].concat();
    }
    let mut quoted = Vec::with_capacity(executable.len() + 2);
    let safe = |b: &u8| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(b);
    if !executable.is_empty() && executable.iter().all(safe) {
        quoted.extend_from_slice(executable);
    } else {
        // As Python's shlex.quote: single quotes, and `'"'"'` for a single quote.
        quoted.push(b'\'');
        for &b in executable {
            if b == b'\'' {
                quoted.extend_from_slice(b"'\"'\"'");
            } else {
                quoted.push(b);
            }
        }
        quoted.push(b'\'');
    }
    [
        &b"#!/bin/sh\n'''exec' "[..],
        &quoted,
        b" \"$0\" \"$@\"\n' '''\n",
    ]
    .concat()
}

/// A console or GUI script: `name = module:function`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Script {
    pub(super) name: String,
    pub(super) module: String,
    pub(super) function: String,
}

/// A line of `entry_points.txt` that cannot be a script, and what was expected
/// instead; the installer names the wheel when it tells the user.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct EntryPointError {
    pub(super) line: String,
    pub(super) expected: &'static str,
}

/// The `[console_scripts]` and `[gui_scripts]` of `entry_points.txt`, read as
/// `importlib.metadata` reads them (`#` and `;` comments, as configparser has).
pub(super) fn parse_entry_points(text: &str) -> Result<Vec<Script>, EntryPointError> {
    let mut scripts = Vec::new();
    let mut in_scripts = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            // "The difference between console_scripts and gui_scripts only affects
            // Windows systems."
            in_scripts = matches!(section, "console_scripts" | "gui_scripts");
            continue;
        }
        if !in_scripts {
            continue;
        }
        let error = |expected| EntryPointError {
            line: line.to_string(),
            expected,
        };
        let (name, value) = line
            .split_once('=')
            .ok_or_else(|| error("`name = module:function`"))?;
        let name = name.trim();
        // "The name may contain any characters except =, but it cannot start or end
        // with any whitespace character, or start with [." A script's name is also a
        // file name in the scripts folder, so it may not name another place.
        if name.is_empty()
            || name.starts_with('[')
            || name == "."
            || name == ".."
            || name.contains(['/', '\\', '\0'])
        {
            return Err(error(
                "a script name that is a plain file name (no `/`, `\\`, `.` or `..`)",
            ));
        }
        // "If extras are used, they are a comma-separated list inside square brackets";
        // consumers "may then ignore them".
        let reference = match value.split_once('[') {
            Some((reference, extras)) if extras.trim_end().ends_with(']') => reference,
            Some(_) => return Err(error("extras closed by `]`")),
            None => value,
        };
        // "The object reference points to a function which will be called with no
        // arguments": a module alone is not enough for a script.
        let (module, function) = reference
            .split_once(':')
            .ok_or_else(|| error("`module:function`, the function the script calls"))?;
        let (module, function) = (module.trim(), function.trim());
        // "Each of the parts delimited by dots and the colon is a valid Python
        // identifier", which also keeps the launcher's code what it says.
        if !is_dotted_identifier(module) || !is_dotted_identifier(function) {
            return Err(error(
                "Python identifiers separated by `.` in `module:function`",
            ));
        }
        scripts.push(Script {
            name: name.to_string(),
            module: module.to_string(),
            function: function.to_string(),
        });
    }
    Ok(scripts)
}

fn is_dotted_identifier(text: &str) -> bool {
    text.split('.').all(|part| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|first| first == '_' || first.is_alphabetic())
            && chars.all(|c| c == '_' || c.is_alphanumeric())
    })
}

/// The launcher pip and pypa/installer write: "import sys; from mymod import main;
/// sys.exit(main())", with `sys.argv[0]` cleaned of Windows wrapper suffixes.
pub(super) fn launcher(shebang: &[u8], module: &str, function: &str) -> String {
    let import = function.split('.').next().unwrap_or(function);
    format!(
        "{}# -*- coding: utf-8 -*-\n\
         import re\n\
         import sys\n\
         from {module} import {import}\n\
         if __name__ == \"__main__\":\n    \
         sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n    \
         sys.exit({function}())\n",
        String::from_utf8_lossy(shebang)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_shebangs_like_pypa_installer() {
        assert_eq!(
            shebang(Path::new("/venv/bin/python")),
            b"#!/venv/bin/python\n"
        );
        assert_eq!(
            shebang(Path::new("/my venv/bin/python")),
            b"#!/bin/sh\n'''exec' '/my venv/bin/python' \"$0\" \"$@\"\n' '''\n"
        );
        assert_eq!(
            shebang(Path::new("/it's here/python")),
            b"#!/bin/sh\n'''exec' '/it'\"'\"'s here/python' \"$0\" \"$@\"\n' '''\n"
        );
        // 124 bytes fit (with `#!` and the newline, 127); 125 do not.
        let fits = format!("/{}", "p".repeat(123));
        assert_eq!(
            shebang(Path::new(&fits)),
            format!("#!{fits}\n").into_bytes()
        );
        let long = format!("/{}", "p".repeat(124));
        assert_eq!(
            shebang(Path::new(&long)),
            format!("#!/bin/sh\n'''exec' {long} \"$0\" \"$@\"\n' '''\n").into_bytes()
        );
    }

    #[test]
    fn rewrites_only_python_shebangs() {
        let rewrite = |input: &[u8]| {
            let mut out = Vec::new();
            let mut reader = input;
            assert!(copy_script(&mut reader, &mut out, b"#!/env/python\n").is_ok());
            out
        };
        assert_eq!(
            rewrite(b"#!python\nprint(1)\n"),
            b"#!/env/python\nprint(1)\n"
        );
        assert_eq!(rewrite(b"#!pythonw -u\r\nx\n"), b"#!/env/python\nx\n");
        assert_eq!(rewrite(b"#!python"), b"#!/env/python\n");
        assert_eq!(rewrite(b"#!/bin/sh\necho\n"), b"#!/bin/sh\necho\n");
        assert_eq!(rewrite(b"#!pyth"), b"#!pyth");
        assert_eq!(rewrite(b" #!python\n"), b" #!python\n");
        assert_eq!(rewrite(b""), b"");
        let long_first_line = [&b"#!python"[..], &[b'x'; 20_000], b"\nrest"].concat();
        assert_eq!(rewrite(&long_first_line), b"#!/env/python\nrest");
    }

    #[test]
    fn parses_console_and_gui_scripts() {
        let text = "\
            # comment\n\
            [console_scripts]\n\
            foo = foomod:main\n\
            Foo.Bar-baz=  foo.mod : main.attr [extra1, extra2]  \n\
            ; another comment\n\
            \n\
            [pytest11]\n\
            nbval = nbval.plugin\n\
            [gui_scripts]\n\
            gui = pkg:run\n\
            [ console_scripts ]\n\
            ignored = not:checked\n";
        let scripts = parse_entry_points(text).expect("parses");
        let got: Vec<(&str, &str, &str)> = scripts
            .iter()
            .map(|s| (s.name.as_str(), s.module.as_str(), s.function.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("foo", "foomod", "main"),
                ("Foo.Bar-baz", "foo.mod", "main.attr"),
                ("gui", "pkg", "run"),
            ]
        );
        for (line, expected) in [
            ("../evil = m:f", "a script name that is a plain file name"),
            ("a/b = m:f", "a script name that is a plain file name"),
            ("a\\b = m:f", "a script name that is a plain file name"),
            (".. = m:f", "a script name that is a plain file name"),
            (" = m:f", "a script name that is a plain file name"),
            ("noequals", "`name = module:function`"),
            ("mod = pkg.module", "`module:function`"),
            ("x = m:f; import os", "Python identifiers"),
            ("x = m:f()", "Python identifiers"),
            ("x = 1m:f", "Python identifiers"),
            ("x = m..n:f", "Python identifiers"),
            ("x = m:", "Python identifiers"),
            ("x = m:f [extra", "extras closed by `]`"),
        ] {
            let text = format!("[console_scripts]\n{line}\n");
            match parse_entry_points(&text) {
                Err(EntryPointError {
                    line: found,
                    expected: message,
                }) => {
                    assert_eq!(found, line.trim(), "{line}");
                    assert!(message.starts_with(expected), "{line}: {message}");
                }
                Ok(scripts) => panic!("{line}: parsed as {scripts:?}"),
            }
        }
    }

    #[test]
    fn writes_launchers_like_pip() {
        assert_eq!(
            launcher(b"#!/env/bin/python\n", "foo.cli", "main.run"),
            "#!/env/bin/python\n\
             # -*- coding: utf-8 -*-\n\
             import re\n\
             import sys\n\
             from foo.cli import main\n\
             if __name__ == \"__main__\":\n\
             \x20   sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n\
             \x20   sys.exit(main.run())\n"
        );
    }
}

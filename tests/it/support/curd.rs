//! The real `curd` binary, run as a user would but with nothing of the developer's:
//! HOME and the XDG folders inside the test's own folder, where it also works, and
//! none of curd's, pip's or uv's variables (cargo's test support does the same for
//! cargo).

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use super::process::{Run, Running, command};

/// A `curd` command line being built.
pub struct Curd {
    cmd: Command,
}

impl Curd {
    /// `curd` at home in `home`: its cache, unless given, is `home/xdg-cache/curd`.
    pub fn new(home: &Path) -> Curd {
        Curd::at_home(command(env!("CARGO_BIN_EXE_curd")), home)
    }

    /// `curd` as [`Curd::new`] runs it, but whose data segment may not pass
    /// `bytes` (`ulimit -d`, set by the shell that then becomes curd): an
    /// allocation past it fails, which shows a read of a bomb stayed bounded.
    pub fn within_memory(home: &Path, bytes: u64) -> Curd {
        let mut shell = command("sh");
        shell
            .arg("-c")
            .arg(format!("ulimit -d {} && exec \"$0\" \"$@\"", bytes / 1024))
            .arg(env!("CARGO_BIN_EXE_curd"));
        Curd::at_home(shell, home)
    }

    fn at_home(mut cmd: Command, home: &Path) -> Curd {
        cmd.current_dir(home)
            .env("HOME", home)
            .env("XDG_CACHE_HOME", home.join("xdg-cache"))
            .env("XDG_CONFIG_HOME", home.join("xdg-config"));
        Curd { cmd }
    }

    /// `curd install --python` into the venv at `env`.
    pub fn install(home: &Path, env: &Path) -> Curd {
        Curd::new(home)
            .arg("install")
            .arg("--python")
            .arg(env.join("bin/python"))
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Curd {
        self.cmd.arg(arg);
        self
    }

    pub fn args(mut self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Curd {
        self.cmd.args(args);
        self
    }

    /// Sets a variable, such as one of curd's own.
    pub fn env(mut self, name: &str, value: impl AsRef<OsStr>) -> Curd {
        self.cmd.env(name, value);
        self
    }

    /// Starts it, for runs that must overlap.
    pub fn start(mut self) -> Running {
        Running::start(&mut self.cmd)
    }

    /// Runs it to its end.
    pub fn run(self) -> Run {
        self.start().wait()
    }
}

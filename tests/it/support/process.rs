//! Child processes as the tests run them: none of the developer's settings for curd,
//! pip or uv, a deadline, and, when anything fails while a run is at hand, the
//! command, its folder, its stdout and its stderr (ripgrep's habit), so a failure
//! can be replayed by hand.

use std::ffi::OsStr;
use std::fmt;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long one command may take: a hang fails its test instead of stalling the run.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// Variables whose names start so configure curd, pip or uv: a developer's own
/// would change what the tests see.
const CLEARED_PREFIXES: [&str; 3] = ["CURD_", "PIP_", "UV_"];

/// Single variables that would leak in the same way: the active venv, another
/// netrc, and another Python search path or standard library.
const CLEARED: [&str; 4] = ["VIRTUAL_ENV", "NETRC", "PYTHONPATH", "PYTHONHOME"];

/// `program`, with every variable above removed from what it inherits.
pub fn command(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if CLEARED.contains(&text.as_ref()) || CLEARED_PREFIXES.iter().any(|p| text.starts_with(p))
        {
            cmd.env_remove(&name);
        }
    }
    cmd
}

/// A finished command. Dropped while the test panics, it prints everything about
/// itself: any failed assertion made while it is at hand shows what ran.
pub struct Run {
    command: String,
    folder: PathBuf,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn success(self) -> Run {
        assert!(
            self.status.success(),
            "the command failed ({})",
            self.status
        );
        self
    }

    pub fn failure(self) -> Run {
        assert!(!self.status.success(), "the command should have failed");
        self
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "command: {}\nfolder: {}\nstatus: {}\n--- stdout\n{}\n--- stderr\n{}",
            self.command,
            self.folder.display(),
            self.status,
            self.stdout,
            self.stderr
        )
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{self}");
        }
    }
}

/// A started command, in a process group of its own so that what it starts (build
/// backends, interpreters) is stopped with it; killed if dropped before it ends.
pub struct Running {
    child: Child,
    command: String,
    folder: PathBuf,
    started: Instant,
    stdout: Pipe,
    stderr: Pipe,
}

impl Running {
    /// Starts `cmd` with its output piped; its folder is the one it works in.
    pub fn start(cmd: &mut Command) -> Running {
        let folder = cmd
            .get_current_dir()
            .map(Path::to_path_buf)
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default();
        let command = format!("{cmd:?}");
        let mut child = cmd
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {command}: {e}"));
        let stdout = Pipe::drain(child.stdout.take());
        let stderr = Pipe::drain(child.stderr.take());
        Running {
            child,
            command,
            folder,
            started: Instant::now(),
            stdout,
            stderr,
        }
    }

    /// Waits until the command ends; past [`TIMEOUT`] its group is killed and the
    /// test fails with what it wrote so far.
    pub fn wait(self) -> Run {
        self.wait_within(TIMEOUT)
    }

    /// Waits until the command ends; past `limit` (a guard against a hang, for
    /// commands that must give up on something on their own) its group is killed
    /// and the test fails with what it wrote so far.
    pub fn wait_within(mut self, limit: Duration) -> Run {
        loop {
            if let Some(status) = self.child.try_wait().expect("poll a child process") {
                // Whole output: the pipes close once the command has ended.
                self.stdout.finish();
                self.stderr.finish();
                return self.collect(status);
            }
            if self.started.elapsed() > limit {
                let status = self.kill();
                let _run = self.collect(status);
                panic!("still running after {limit:?}, so killed");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the command and everything it started (`kill -9`, as a crash would), and
    /// gives what it wrote until then.
    pub fn killed(mut self) -> Run {
        let status = self.kill();
        self.stdout.finish();
        self.stderr.finish();
        self.collect(status)
    }

    /// Sends the command and everything it started signal `name` (`STOP` freezes
    /// them as a hung machine would, `CONT` lets them go on).
    pub fn signal(&self, name: &str) {
        let group = format!("-{}", self.child.id());
        let status = Command::new("kill")
            .args(["-s", name, "--", &group])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -s {name} {group} failed");
    }

    /// What the command wrote to stderr so far.
    pub fn stderr_so_far(&self) -> String {
        self.stderr.text()
    }

    /// Kills the command and everything it started, by the group it leads.
    fn kill(&mut self) -> ExitStatus {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &group])
            .status();
        let _ = self.child.kill();
        self.child.wait().expect("wait for a killed child")
    }

    fn collect(&self, status: ExitStatus) -> Run {
        Run {
            command: self.command.clone(),
            folder: self.folder.clone(),
            status,
            stdout: self.stdout.text(),
            stderr: self.stderr.text(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}

/// One of the child's output pipes, read on a thread of its own so that neither
/// pipe fills and blocks the child; what came so far can be read at any time.
struct Pipe {
    bytes: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl Pipe {
    fn drain(pipe: Option<impl Read + Send + 'static>) -> Pipe {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&bytes);
        let reader = pipe.map(|mut pipe| {
            std::thread::spawn(move || {
                let mut chunk = [0u8; 8192];
                while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                    sink.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .extend_from_slice(&chunk[..n]);
                }
            })
        });
        Pipe { bytes, reader }
    }

    /// Waits for the pipe's end.
    fn finish(&mut self) {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

/// Runs `cmd` to its end.
pub fn run(cmd: &mut Command) -> Run {
    Running::start(cmd).wait()
}

/// Runs `cmd`, failing the test if it fails, and gives its stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    let mut run = run(cmd).success();
    std::mem::take(&mut run.stdout)
}

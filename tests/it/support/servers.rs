//! Throwaway servers on loopback: the real curd-server as a separate process, and
//! canned servers that answer from a script, for failures no real server makes. Each
//! listens on a port the system picks (port 0) and is stopped by its handle when
//! dropped, so a failing test leaves nothing running.

use std::io::{BufRead, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::http::{self, Reply};
use super::process::{TIMEOUT, command};

/// A running curd-server.
pub struct Server {
    child: Child,
    pub url: String,
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `curd-server` over `dir` with extra arguments, and waits until it listens.
    pub fn start(dir: &Path, args: &[&str]) -> Server {
        Server::start_binary(env!("CARGO_BIN_EXE_curd-server"), &[], dir, args)
    }

    /// Starts `program prefix... -H 127.0.0.1 -p 0 args... dir`, and reads the
    /// address it listens on from its first lines.
    pub fn start_binary(program: &str, prefix: &[&str], dir: &Path, args: &[&str]) -> Server {
        let mut child = command(program)
            .args(prefix)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .args(args)
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start curd-server");
        let stderr = child.stderr.take().expect("server stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split(" on http://").nth(1) {
                    let _ = tx.send(rest.split('/').next().unwrap_or_default().to_string());
                }
                sink.lock().unwrap().push(line);
            }
        });
        let Ok(addr) = rx.recv_timeout(Duration::from_secs(20)) else {
            let _ = child.kill();
            panic!("curd-server did not start: {:?}", log.lock().unwrap());
        };
        let addr: SocketAddr = addr.parse().expect("server address");
        Server {
            child,
            url: format!("http://{addr}"),
            addr,
            log,
        }
    }

    /// Everything the server wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// The log once it holds `line`: the server logs a request after answering it,
    /// so the client can have its answer before the line is written.
    pub fn log_with(&self, line: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if log.contains(line) || Instant::now() > deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        let status = self.child.wait().expect("wait for curd-server");
        std::mem::forget(self);
        status
    }

    /// The process id, for reading what the kernel says of it.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The most memory the process has held at once (its peak resident set), in KiB.
    pub fn peak_memory_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/PID/status")
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().expect("poll curd-server").is_none()
    }

    /// A request on a fresh connection.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        http::request(None, self.addr, method, path, headers, body)
    }

    /// A request on a fresh connection from the loopback address `source`.
    pub fn request_from(
        &self,
        source: Ipv4Addr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Reply {
        http::request(Some(source), self.addr, method, path, headers, b"")
    }

    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[], b"")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("curd-server at {} logged:\n{}", self.url, self.log());
        }
    }
}

/// What a canned server does with one connection.
pub enum Canned {
    /// Sends these bytes and closes.
    Reply(Vec<u8>),
    /// Reads the request and says nothing for a while.
    Silence(Duration),
}

/// An answer with this status line, headers and body, and `Connection: close`.
pub fn reply(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Canned {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    Canned::Reply(out)
}

/// A loopback server that answers each connection with the next canned answer,
/// then stops. It gives up when dropped, so a failing test cannot hang it, or after
/// the time a command may take without a connection (a loaded machine may take
/// long to make a venv before the client comes).
pub struct CannedServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<String>>>,
}

impl CannedServer {
    pub fn start(answers: Vec<Canned>) -> CannedServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut heads = Vec::new();
            for answer in answers {
                let deadline = Instant::now() + TIMEOUT;
                let mut stream = loop {
                    match listener.accept() {
                        Ok((stream, _)) => break stream,
                        Err(_) if Instant::now() < deadline && !stopped.load(Ordering::Relaxed) => {
                            std::thread::sleep(Duration::from_millis(5))
                        }
                        Err(_) => return heads,
                    }
                };
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                heads.push(String::from_utf8_lossy(&head).into_owned());
                match answer {
                    Canned::Reply(bytes) => {
                        let _ = stream.write_all(&bytes);
                    }
                    Canned::Silence(d) => std::thread::sleep(d),
                }
            }
            heads
        });
        CannedServer {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The request heads it read, in order, once the client is done: connections
    /// already made are still answered, and no new one is waited for.
    pub fn heads(mut self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        let thread = self.thread.take().expect("a canned server's thread");
        thread.join().expect("the canned server's thread")
    }
}

impl Drop for CannedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The value of header `name` in a request head.
pub fn header_of<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// An address nothing listens on: a port the system picked, then closed.
pub fn closed_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

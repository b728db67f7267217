//! Test support: temporary folders, the real binaries, and Python oracles.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// A temporary folder removed on drop, unique to one test.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("curd-it-{}-{label}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temporary folder");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `script` under the machine's python3, which imports the reference
/// implementation as `packaging` (the copy vendored in pip). The script reads
/// one case per line from the file named by `sys.argv[1]` and writes one result
/// per line to the file named by `sys.argv[2]`; results come back through that
/// file, never through stdout.
pub fn packaging_oracle(script: &str, cases: &[String]) -> Vec<String> {
    let dir = TempDir::new("oracle");
    let input = dir.path().join("cases.txt");
    let output = dir.path().join("results.txt");
    let program = dir.path().join("oracle.py");
    std::fs::write(&input, cases.join("\n")).expect("write oracle cases");
    let prelude = "import sys\nfrom pip._vendor import packaging\nimport pip._vendor.packaging.version, pip._vendor.packaging.specifiers, pip._vendor.packaging.requirements, pip._vendor.packaging.markers, pip._vendor.packaging.tags, pip._vendor.packaging.utils\n";
    std::fs::write(&program, format!("{prelude}{script}")).expect("write oracle script");
    let out = Command::new("python3")
        .arg(&program)
        .arg(&input)
        .arg(&output)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "oracle failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&output).expect("read oracle results");
    let results: Vec<String> = text.lines().map(String::from).collect();
    assert_eq!(
        results.len(),
        cases.len(),
        "oracle answered a different number of cases"
    );
    results
}

/// A running curd-server on a free loopback port, stopped on drop.
pub struct Server {
    child: std::process::Child,
    pub url: String,
    pub addr: std::net::SocketAddr,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `curd-server` over `dir` with extra arguments, and waits until it listens.
    pub fn start(dir: &Path, args: &[&str]) -> Server {
        Server::start_binary(env!("CARGO_BIN_EXE_curd-server"), &[], dir, args)
    }

    /// Starts `program prefix... -H 127.0.0.1 -p 0 args... dir`.
    pub fn start_binary(program: &str, prefix: &[&str], dir: &Path, args: &[&str]) -> Server {
        use std::io::BufRead;
        let mut child = Command::new(program)
            .args(prefix)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .args(args)
            .arg(dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start curd-server");
        let stderr = child.stderr.take().expect("server stderr");
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = std::sync::Arc::clone(&log);
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split(" on http://").nth(1) {
                    let _ = tx.send(rest.split('/').next().unwrap_or_default().to_string());
                }
                sink.lock().unwrap().push(line);
            }
        });
        let Ok(addr) = rx.recv_timeout(std::time::Duration::from_secs(20)) else {
            let _ = child.kill();
            panic!("curd-server did not start: {:?}", log.lock().unwrap());
        };
        let addr: std::net::SocketAddr = addr.parse().expect("server address");
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
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let log = self.log();
            if log.contains(line) || std::time::Instant::now() > deadline {
                return log;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        let status = self.child.wait().expect("wait for curd-server");
        std::mem::forget(self);
        status
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
        http(self.addr, method, path, headers, body)
    }

    pub fn get(&self, path: &str) -> Reply {
        self.request("GET", path, &[], b"")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP response as the tests see it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A minimal HTTP/1.1 client: one request per connection, so the tests depend on
/// nothing but the server under test.
pub fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect to server");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || matches!(method, "PUT" | "POST") {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413, 401) and close before reading a large body.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_reply(&raw, method == "HEAD")
}

/// Parses one response from `raw`.
pub fn parse_reply(raw: &[u8], head_only: bool) -> Reply {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse::<usize>().unwrap());
    if head_only {
        body.clear();
    } else if let Some(length) = length {
        body.truncate(length);
    }
    Reply {
        status,
        headers,
        body,
    }
}

/// `Authorization: Basic ...` for a user and password.
pub fn basic(user: &str, password: &str) -> String {
    let standard = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    format!(
        "Basic {}",
        base64(format!("{user}:{password}").as_bytes(), standard, true)
    )
}

fn base64(bytes: &[u8], alphabet: &[u8], pad: bool) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(alphabet[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// A small wheel, built the way the wheel spec says: a package, METADATA, WHEEL,
/// any extra files and entry points, and a RECORD with every file's hash.
pub struct WheelSpec<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub requires: &'a [&'a str],
    pub requires_python: Option<&'a str>,
    pub tag: &'a str,
    /// More files, as (path in the wheel, contents); files in a `.data/scripts/`
    /// folder are stored executable.
    pub files: &'a [(&'a str, &'a str)],
    /// The text of `.dist-info/entry_points.txt`.
    pub entry_points: Option<&'a str>,
    pub root_is_purelib: bool,
}

impl<'a> WheelSpec<'a> {
    pub fn new(name: &'a str, version: &'a str) -> WheelSpec<'a> {
        WheelSpec {
            name,
            version,
            requires: &[],
            requires_python: None,
            tag: "py3-none-any",
            files: &[],
            entry_points: None,
            root_is_purelib: true,
        }
    }

    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{}.whl",
            self.name.replace('-', "_"),
            self.version,
            self.tag
        )
    }

    /// Writes the wheel into `dir` and returns its path.
    pub fn build(&self, dir: &Path) -> PathBuf {
        use sha2::Digest;
        use std::io::Write;
        let module = self.name.replace('-', "_").to_lowercase();
        let dist_info = format!("{}-{}.dist-info", self.name.replace('-', "_"), self.version);
        let mut metadata = format!(
            "Metadata-Version: 2.1\nName: {}\nVersion: {}\n",
            self.name, self.version
        );
        if let Some(rp) = self.requires_python {
            metadata.push_str(&format!("Requires-Python: {rp}\n"));
        }
        for r in self.requires {
            metadata.push_str(&format!("Requires-Dist: {r}\n"));
        }
        let mut files = vec![
            (
                format!("{module}/__init__.py"),
                format!("VERSION = {:?}\n", self.version),
            ),
            (format!("{dist_info}/METADATA"), metadata),
            (
                format!("{dist_info}/WHEEL"),
                format!(
                    "Wheel-Version: 1.0\nGenerator: curd-tests\nRoot-Is-Purelib: {}\nTag: {}\n",
                    self.root_is_purelib, self.tag
                ),
            ),
        ];
        files.extend(
            self.files
                .iter()
                .map(|(name, contents)| (name.to_string(), contents.to_string())),
        );
        if let Some(entry_points) = self.entry_points {
            files.push((format!("{dist_info}/entry_points.txt"), entry_points.into()));
        }
        let path = dir.join(self.file_name());
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let mut record = String::new();
        for (name, contents) in &files {
            let mode = if name.contains(".data/scripts/") {
                0o755
            } else {
                0o644
            };
            zip.start_file(name.as_str(), options.unix_permissions(mode))
                .unwrap();
            zip.write_all(contents.as_bytes()).unwrap();
            let digest = sha2::Sha256::digest(contents.as_bytes());
            record.push_str(&format!(
                "{name},sha256={},{}\n",
                urlsafe_b64(&digest),
                contents.len()
            ));
        }
        record.push_str(&format!("{dist_info}/RECORD,,\n"));
        zip.start_file(format!("{dist_info}/RECORD"), options)
            .unwrap();
        zip.write_all(record.as_bytes()).unwrap();
        zip.finish().unwrap();
        path
    }
}

fn urlsafe_b64(bytes: &[u8]) -> String {
    base64(
        bytes,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        false,
    )
}

/// A fresh virtual environment made by `python3 -m venv`.
pub fn venv(dir: &Path) -> PathBuf {
    let path = dir.join("venv");
    let out = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&path)
        .output()
        .expect("run python3 -m venv");
    assert!(
        out.status.success(),
        "venv failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// Runs a command, failing the test with its output if it fails.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A committed fixture file.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The names in a folder, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// What pip says is installed in a venv, as `name==version` lines.
pub fn pip_freeze(env: &Path) -> String {
    run_ok(
        Command::new(env.join("bin/python"))
            .args(["-m", "pip", "freeze", "--disable-pip-version-check"])
            .env("PIP_CONFIG_FILE", "/dev/null"),
    )
}

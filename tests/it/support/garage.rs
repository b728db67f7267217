//! A real Garage cluster on loopback: three nodes, each its own process with its
//! own config, folders and ports, joined into one layout with three replicas, a
//! bucket and a key. Stopped, node by node, when dropped.
//!
//! Garage (AGPL) runs as a separate program and is never linked: `make garage`
//! installs the pinned version into `.tools/` (`CURD_TEST_GARAGE` names another
//! binary). A missing binary fails the test: a test that cannot run its store has
//! not passed.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::process::{Run, Running, command, run};
use super::tmp::{TempDir, mkdir};

pub const REGION: &str = "garage";
pub const BUCKET: &str = "curd";
/// A key made for the tests alone, in the shape Garage gives keys.
pub const KEY_ID: &str = "GK31c2f218a2e44f485b94239e";
pub const SECRET: &str = "b892c0665f0ada8a4755dae98baa3b133590e11dae3bcc1f9d3ad1d2f3b82727";
const NODES: usize = 3;
const START: Duration = Duration::from_secs(60);

/// The Garage binary the tests run.
pub fn binary() -> PathBuf {
    let path = std::env::var_os("CURD_TEST_GARAGE")
        .map(PathBuf::from)
        .or_else(|| {
            let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools");
            std::fs::read_dir(tools)
                .ok()?
                .flatten()
                .map(|e| e.path().join("bin/garage"))
                .find(|p| p.is_file())
        });
    match path {
        Some(path) if path.is_file() => path,
        _ => panic!(
            "no Garage binary: run `make garage` (or `make test`, which does), or set CURD_TEST_GARAGE"
        ),
    }
}

/// One node of the cluster.
struct Node {
    config: PathBuf,
    s3: SocketAddr,
    process: Option<Running>,
}

/// A running three-node cluster with one bucket and one key.
pub struct Garage {
    _dir: TempDir,
    nodes: Vec<Node>,
}

impl Garage {
    pub fn start() -> Garage {
        let garage = binary();
        let dir = TempDir::new("garage");
        let secret: String = (0..32)
            .map(|i| format!("{:02x}", (i * 37 + 11) % 256))
            .collect();
        // All ports picked at once, so no two are the same.
        let listeners: Vec<TcpListener> = (0..NODES * 2)
            .map(|_| TcpListener::bind("127.0.0.1:0").expect("pick a port"))
            .collect();
        let ports: Vec<u16> = listeners
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect();
        drop(listeners);
        let mut nodes = Vec::new();
        for n in 0..NODES {
            let home = mkdir(dir.path().join(format!("node{n}")));
            let (rpc, s3) = (ports[2 * n], ports[2 * n + 1]);
            let config = home.join("garage.toml");
            std::fs::write(
                &config,
                format!(
                    "metadata_dir = \"{meta}\"\n\
                     data_dir = \"{data}\"\n\
                     db_engine = \"lmdb\"\n\
                     replication_factor = 3\n\
                     rpc_bind_addr = \"127.0.0.1:{rpc}\"\n\
                     rpc_public_addr = \"127.0.0.1:{rpc}\"\n\
                     rpc_secret = \"{secret}\"\n\
                     [s3_api]\n\
                     s3_region = \"{REGION}\"\n\
                     api_bind_addr = \"127.0.0.1:{s3}\"\n\
                     root_domain = \".s3.garage.localhost\"\n",
                    meta = home.join("meta").display(),
                    data = home.join("data").display(),
                ),
            )
            .expect("write a Garage config");
            let process = Running::start(
                command(&garage)
                    .arg("-c")
                    .arg(&config)
                    .arg("server")
                    .env("RUST_LOG", "garage=warn")
                    .current_dir(&home),
            );
            nodes.push(Node {
                config,
                s3: SocketAddr::from(([127, 0, 0, 1], s3)),
                process: Some(process),
            });
        }
        let cluster = Garage { _dir: dir, nodes };
        let ids: Vec<String> = (0..NODES).map(|n| cluster.node_id(n)).collect();
        for id in &ids[1..] {
            cluster.cli(&["node", "connect", id]);
        }
        for id in &ids {
            let short = id.split('@').next().unwrap_or_default();
            cluster.cli(&["layout", "assign", "-z", "dc1", "-c", "1G", short]);
        }
        cluster.cli(&["layout", "apply", "--version", "1"]);
        cluster.cli_until_ok(&["bucket", "create", BUCKET]);
        cluster.cli(&["key", "import", "--yes", "-n", "curd-tests", KEY_ID, SECRET]);
        cluster.cli(&[
            "bucket", "allow", "--read", "--write", "--owner", BUCKET, "--key", KEY_ID,
        ]);
        cluster
    }

    /// The S3 endpoint of node `n`.
    pub fn endpoint(&self, n: usize) -> String {
        format!("http://{}", self.nodes[n].s3)
    }

    /// Kills node `n` (`kill -9`, as a crash would).
    pub fn kill(&mut self, n: usize) -> Run {
        let process = self.nodes[n].process.take().expect("node is running");
        process.killed()
    }

    /// Freezes node `n` (`SIGSTOP`): it keeps its connections and answers nothing,
    /// as a store that hangs; [`Garage::resume`] lets it go on.
    pub fn pause(&self, n: usize) {
        self.nodes[n]
            .process
            .as_ref()
            .expect("node is running")
            .signal("STOP");
    }

    pub fn resume(&self, n: usize) {
        self.nodes[n]
            .process
            .as_ref()
            .expect("node is running")
            .signal("CONT");
    }

    /// `garage node id` of node `n`, once it answers.
    fn node_id(&self, n: usize) -> String {
        let deadline = Instant::now() + START;
        loop {
            let out = run(self.command(n).args(["node", "id", "-q"]));
            if out.status.success() {
                return out.stdout.trim().to_string();
            }
            assert!(Instant::now() < deadline, "Garage node {n} did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn command(&self, n: usize) -> Command {
        let mut cmd = command(binary());
        cmd.arg("-c").arg(&self.nodes[n].config);
        cmd
    }

    /// Runs a `garage` command against the first node, failing the test if it fails.
    pub fn cli(&self, args: &[&str]) -> String {
        let mut out = run(self.command(0).args(args)).success();
        std::mem::take(&mut out.stdout)
    }

    /// Runs a command until the cluster is ready to take it.
    fn cli_until_ok(&self, args: &[&str]) {
        let deadline = Instant::now() + START;
        loop {
            let out = run(self.command(0).args(args));
            if out.status.success() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the Garage cluster did not become ready"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

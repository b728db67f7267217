"""A three-node Garage cluster on loopback for the bucket scenario of run.py.

The same cluster the tests start (tests/it/support/garage.rs): three processes,
each with its own config, folders and ports, joined into one layout with three
replicas, one bucket and one key. Garage (AGPL) is a program `make garage`
builds into .tools/; it is run, never linked. Standard library only.
"""

import os
import secrets
import socket
import subprocess
import time
from pathlib import Path

REGION = "garage"
BUCKET = "curd"
NODES = 3
START_TIMEOUT = 60


def binary(root):
    """The Garage binary: CURD_BENCH_GARAGE, else the one `make garage` built, else None."""
    named = os.environ.get("CURD_BENCH_GARAGE")
    if named:
        return Path(named) if Path(named).is_file() else None
    for path in sorted((root / ".tools").glob("garage-*/bin/garage")):
        if path.is_file():
            return path
    return None


def free_ports(count):
    """count distinct free ports, picked at once so no two are the same."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class Cluster:
    """A running cluster with one bucket and one key; stopped node by node on exit."""

    def __init__(self, garage, folder):
        self.garage = garage
        self.key_id = "GK" + secrets.token_hex(12)
        self.secret = secrets.token_hex(32)
        self.configs, self.endpoints, self.processes = [], [], []
        rpc_secret = secrets.token_hex(32)
        ports = free_ports(NODES * 2)
        for n in range(NODES):
            home = folder / f"node{n}"
            home.mkdir(parents=True)
            rpc, s3 = ports[2 * n], ports[2 * n + 1]
            config = home / "garage.toml"
            config.write_text(
                f'metadata_dir = "{home / "meta"}"\n'
                f'data_dir = "{home / "data"}"\n'
                'db_engine = "lmdb"\n'
                "replication_factor = 3\n"
                f'rpc_bind_addr = "127.0.0.1:{rpc}"\n'
                f'rpc_public_addr = "127.0.0.1:{rpc}"\n'
                f'rpc_secret = "{rpc_secret}"\n'
                "[s3_api]\n"
                f's3_region = "{REGION}"\n'
                f'api_bind_addr = "127.0.0.1:{s3}"\n'
                'root_domain = ".s3.garage.localhost"\n'
            )
            self.configs.append(config)
            self.endpoints.append(f"http://127.0.0.1:{s3}")
            self.processes.append(subprocess.Popen(
                [str(garage), "-c", str(config), "server"],
                cwd=home, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=open(home / "log", "wb"), env={**os.environ, "RUST_LOG": "garage=warn"}))
        try:
            self.form()
        except BaseException:
            self.stop()
            raise

    def cli(self, *args, until_ok=False):
        """A `garage` command against node 0; with until_ok, retried while the cluster forms."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            done = subprocess.run([str(self.garage), "-c", str(self.configs[0]), *args],
                                  capture_output=True, text=True, timeout=START_TIMEOUT)
            if done.returncode == 0:
                return done.stdout.strip()
            if not until_ok or time.monotonic() > deadline:
                raise RuntimeError(f"garage {' '.join(args)}: {done.stderr.strip()[-300:]}")
            time.sleep(0.2)

    def node_id(self, n):
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            done = subprocess.run([str(self.garage), "-c", str(self.configs[n]), "node", "id", "-q"],
                                  capture_output=True, text=True, timeout=START_TIMEOUT)
            if done.returncode == 0:
                return done.stdout.strip()
            if time.monotonic() > deadline:
                raise RuntimeError(f"Garage node {n} did not start: {done.stderr.strip()[-300:]}")
            time.sleep(0.1)

    def form(self):
        ids = [self.node_id(n) for n in range(NODES)]
        for node in ids[1:]:
            self.cli("node", "connect", node)
        for node in ids:
            self.cli("layout", "assign", "-z", "dc1", "-c", "1G", node.split("@")[0])
        self.cli("layout", "apply", "--version", "1")
        self.cli("bucket", "create", BUCKET, until_ok=True)
        self.cli("key", "import", "--yes", "-n", "curd-bench", self.key_id, self.secret)
        self.cli("bucket", "allow", "--read", "--write", "--owner", BUCKET, "--key", self.key_id)

    def server_options(self, n, prefix):
        """curd-server's flags for a bucket under prefix, through node n's S3 API."""
        return ["--storage", f"s3://{BUCKET}/{prefix}", "--s3-endpoint",
                self.endpoints[n % NODES], "--s3-region", REGION]

    def credentials(self, env):
        return {**env, "AWS_ACCESS_KEY_ID": self.key_id, "AWS_SECRET_ACCESS_KEY": self.secret}

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

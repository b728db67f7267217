#!/usr/bin/env python3
"""`make bench`: curd against uv, pip and pypiserver, side by side, on this machine.

curd claims only what it measures, and only as ratios taken in one run, on one
machine, against one local server. This script takes them. Python 3, standard
library only; `make bench-data` must have fetched the inputs first (data.py).

The client scenarios: one curd-server on 127.0.0.1 serves bench-data/wheels,
and every tool installs from it (uv and pip through its /simple/ index, curd
with `-c URL --no-index`), each time into a fresh venv made with
`python3 -m venv --without-pip`. pip runs from a folder holding only pip
(PYTHONPATH), so it is the pinned pip and the venv holds nothing else. Each
variant runs --reps times (at least 5), the variants interleaved and rotated
each round; a table gives the median and min-max of the wall time of the
tool's one process, from spawn to exit. Venvs and caches live in
bench-data/run, on the same disk as the repository; each run's are moved
aside (deleted when the bench ends, see remove()), and the disk synced, before
the next run starts.

  1. warm server, cold client: each run gets a new, empty cache folder
     (curd --cache-dir, uv --cache-dir, PIP_CACHE_DIR); bytecode compilation
     off for all (pip --no-compile, uv and curd by default)
  2. warm server, warm client: the cache was filled by untimed installs until
     the next is as the ones after it: one for uv and pip, two for curd (which
     installs a wheel it just downloaded from the archive, and unpacks it into
     its cache on the second use, to link from then on);
     uv's default link mode (hardlink) and --link-mode=copy, curd's hardlink
     (default) and --link-mode copy; bytecode off, then on for all (pip by
     default, uv --compile-bytecode, curd --compile) with the default link
     modes: compiling costs the same whatever filled the venv, and it is the
     slowest part of the bench, so it is measured where it is most of the time
  3. sdist-only projects, served by their own curd-server on bench-data/sdist-server
     (the sdists and the setuptools, wheel and packaging wheels that build them).
     First one `curd install -u` into a throwaway venv fills a second, writable
     curd-server (its own copy of that folder, uploads behind an htpasswd login)
     with the wheels it built; when that fails, curd cannot build and the scenario
     is skipped. Then uv and pip fill their caches with one untimed install each
     from the sdist-only index, which they read in every run. Cold: every tool
     builds, empty caches. Warm: each curd run is a fresh client (new venv, empty
     cache) installing from the filled curd-server, against uv and pip with their
     filled caches
  4. resolution alone on 161 distributions: curd install --dry-run,
     uv pip install --dry-run, uv pip compile, pip install --dry-run --report;
     cold client caches, then warm
  5. the floor: the CI set's wheels unzipped into one folder by a process pool
     with one worker per core (and, for bytecode on, then compileall -j 0)
  6. the no-op: the CI set installed again into a venv that already has it (each
     tool's own venv, filled by one untimed install from its warm cache, and left
     a few seconds to settle), curd against uv pip install; neither asks the
     server anything

The server scenarios: curd-server, pypiserver under its own default server
(wsgiref, what `pip install pypiserver` alone runs) and pypiserver under waitress
with a backlog of 4096, each in turn on bench-data/server (1,000+ files). wrk
measures requests per second and p50/p99 latency for /simple/, one project page,
the real wheels nearest 100 KiB and 20 MiB, at 1, 8 and 64 connections, for
--wrk-seconds each, after the server has gone quiet. Access logs go to a file;
one more curd-server run with the log sent to /dev/null shows what it costs.
On the 20 MiB wheel, the least server there can be (a Python loop answering every
request with that file by os.sendfile, a thread per connection) shows what the
machine allows: where ten times pypiserver is more than that loop serves, the
goal is out of reach here, and the table says so.
Resident memory (VmRSS from /proc/PID/status) is read when the server is idle
and sampled every 50 ms under load. curd-server's start-up time is the time
from spawn to the first successful GET /health with bench-data/startup's 10,000
files.

The pull-through scenario: bench-data/wheels as a static PEP 503 tree (pages with
sha256 and PEP 658 METADATA files, as PyPI serves them; upstream.py) behind
`python3 -m http.server`, the "PyPI" of the scenario. In front of it:
curd-server --upstream, devpi-server with a mirror index of it, and proxpi under
waitress, each warmed by one untimed install per client. Each run is a fresh
client (a new venv, no client cache: pip --no-cache-dir --no-compile, uv
--no-cache) installing the CI set, through each proxy and straight from the
static copy. Then curd-server's memory with a pull-through cache of 10,000
synthetic wheels (1,000 projects × 10 versions): VmRSS when up, after every page
and after every file, and VmHWM.

The bucket scenario: a three-node Garage cluster (bucket.py; `make garage` builds
Garage) on loopback. bench-data/server's wheels are uploaded 8 at a time through a
curd-server on a folder and through one over the bucket, then bench-data/startup's
first 3,334 small wheels (10,002 objects) into another prefix of the bucket;
start-up over those is timed (spawn to first /health). Every file is downloaded once through a server
that never served it (the bucket's first fetch against the folder), then wrk
measures one project page and a 100 KiB wheel through 1, 2 and 3 curd-servers
over the bucket, each on its own Garage node, against one on a folder.

Every server is started here, on 127.0.0.1 with a free port, and stopped through
its process handle. Every loop is bounded; nothing asserts on time: a goal that
is missed says so in the table. The tables go to stdout and into BENCHMARKS.md,
between its two markers (the text around them is kept).
"""

import argparse
import base64
import concurrent.futures
import datetime
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import sysconfig
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import attack
import bucket
import upstream

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# The static binaries `make static` builds: what ships, allocator and all.
STATIC = ROOT / "target" / "x86_64-unknown-linux-musl" / "release"
CURD = STATIC / "curd"
CURD_SERVER = STATIC / "curd-server"
CI_REQUIREMENTS = HERE / "ci-requirements.txt"
RESOLVE_REQUIREMENTS = HERE / "resolve-requirements.txt"
SDIST_REQUIREMENTS = HERE / "sdist-requirements.txt"
BEGIN = "<!-- bench:begin (written by tests/bench/run.py; edits here are lost) -->"
END = "<!-- bench:end -->"

# Every subprocess gets at most this long: a stuck tool fails its run, not the bench.
COMMAND_TIMEOUT = 600
STARTUP_TIMEOUT = 30

# pypiserver under waitress, with the backlog raised (waitress's other settings
# stay at their defaults: 4 threads, 100 connections).
WAITRESS_LAUNCHER = """
import sys, pypiserver, waitress
app = pypiserver.app(roots=[sys.argv[2]])
waitress.serve(app, host="127.0.0.1", port=int(sys.argv[1]), backlog=4096, _quiet=True)
"""

# The least download server: every request, whatever its path, gets the one file,
# by sendfile(2) from the kernel's page cache, over keep-alive connections.
SENDFILE_LAUNCHER = """
import os, socket, sys, threading
port, path = int(sys.argv[1]), sys.argv[2]
size = os.path.getsize(path)
head = b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n" % size
def serve(conn):
    with conn, open(path, "rb") as f:
        pending = b""
        while True:
            while b"\\r\\n\\r\\n" not in pending:
                data = conn.recv(65536)
                if not data:
                    return
                pending += data
            pending = pending.split(b"\\r\\n\\r\\n", 1)[1]
            conn.sendall(head)
            sent = 0
            while sent < size:
                sent += os.sendfile(conn.fileno(), f.fileno(), sent, size - sent)
listener = socket.create_server(("127.0.0.1", port), backlog=4096)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"""


def say(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Processes, ports, servers


def clean_env():
    """This process's environment less everything that configures the tools measured.

    PIP_FIND_LINKS, for one, would add a second source to pip's runs.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "UV_", "CURD_"))
        and k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV", "CONDA_PREFIX")
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=2.0):
    """The status of GET url, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as e:
        return e.code
    except (OSError, urllib.error.URLError):
        return None


def vm_kib(pid, field):
    """A field of /proc/PID/status (VmRSS, VmHWM), in KiB, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_kib(pid):
    return vm_kib(pid, "VmRSS")


class Server:
    """A server process on 127.0.0.1, stopped by its handle, never by name."""

    def __init__(self, name, command, port, log_path, ready_path="/health", env=None):
        self.name = name
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log = open(log_path, "wb") if log_path else None
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [str(c) for c in command],
            stdin=subprocess.DEVNULL,
            stdout=self.log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            env=env or clean_env(),
        )
        self.ready_path = ready_path

    def wait_ready(self, poll=0.005, timeout=STARTUP_TIMEOUT):
        """Seconds from spawn to the first 200 on the ready path."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            if http_get(self.base + self.ready_path, timeout=1.0) == 200:
                return time.perf_counter() - self.started
            time.sleep(poll)
        raise RuntimeError(f"{self.name} did not answer within {timeout} s")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.log:
            self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def curd_server(folder, log_path, *options):
    port = free_port()
    return Server(
        "curd-server",
        [CURD_SERVER, "-H", "127.0.0.1", "-p", port, *options, folder],
        port,
        log_path,
    )


class Run:
    """One timed command: wall seconds, processor seconds, exit code and output.

    The processor time is the command's user plus system time, with every process it
    waited for: the children's resource usage taken before and after. The servers
    the bench starts are not waited for until they stop, so they are not in it."""

    def __init__(self, command, env, cwd=None):
        self.command = [str(c) for c in command]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        try:
            done = subprocess.run(
                self.command,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=COMMAND_TIMEOUT,
            )
            self.returncode = done.returncode
            self.stdout = done.stdout.decode(errors="replace")
            self.stderr = done.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            self.returncode = "timeout"
            self.stdout = (e.stdout or b"").decode(errors="replace")
            self.stderr = (e.stderr or b"").decode(errors="replace")
        self.seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.processor = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    @property
    def ok(self):
        return self.returncode == 0

    def describe(self):
        tail = (self.stdout + self.stderr).strip().splitlines()[-15:]
        return "$ " + " ".join(self.command) + f"\nexit {self.returncode}\n" + "\n".join(tail)


# ---------------------------------------------------------------------------
# Statistics and formatting


class Samples:
    def __init__(self):
        self.values = []
        self.failures = []
        # Processor seconds of the same runs, where taken.
        self.processor = []

    def add(self, value, processor=None):
        self.values.append(value)
        if processor is not None:
            self.processor.append(processor)

    @property
    def median(self):
        return statistics.median(self.values) if self.values else None

    def span(self, digits=2):
        if not self.values:
            return "–"
        return f"{min(self.values):.{digits}f}–{max(self.values):.{digits}f}"


def fmt(value, digits=2, suffix=""):
    return "–" if value is None else f"{value:.{digits}f}{suffix}"


def ratio(a, b, digits=2):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.{digits}f}"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# The tools, as commands


class Bench:
    def __init__(self, args):
        self.args = args
        self.data = Path(args.data).resolve()
        self.work = self.data / "run"
        self.venv = self.data / "venv"
        self.pip_runner = self.data / "pip-runner"
        self.uv = self.venv / "bin" / "uv"
        self.failures = []  # (what, Run.describe())
        self.counter = 0
        self.index = None  # the curd-server of the client scenarios

    # -- set-up

    def check_inputs(self, only):
        if sys.version_info[:2] != (3, 11):
            sys.exit("bench: the sets are wheels for CPython 3.11\nhint: make bench PYTHON=python3.11")
        for path in ("wheels", "sdist-server", "server", "startup", "peers", "sets/ci"):
            if not (self.data / path).is_dir():
                sys.exit(f"bench: `{self.data / path}` is missing\nhint: run `make bench-data` first")
        for binary in (CURD, CURD_SERVER):
            if not binary.is_file():
                sys.exit(f"bench: `{binary}` is missing\nhint: make static")
        if not shutil.which("wrk"):
            sys.exit("bench: wrk is missing\nhint: apt-get install -y wrk (make bench does)")
        if "sdist" in only:
            # Scenario 3 compiles C extensions, with every tool.
            if not shutil.which("cc"):
                sys.exit("bench: no C compiler (cc) for scenario 3's C extensions\n"
                         "hint: apt-get install -y gcc (make bench does)")
            headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
            if not headers.is_file():
                sys.exit(f"bench: `{headers}` is missing: scenario 3 compiles C extensions\n"
                         "hint: install this Python's development headers (python3-dev)")

    def install_peers(self):
        """The peers go into bench-data/venv, offline, from bench-data/peers."""
        peers = (HERE / "peers.txt").read_text()
        stamp = self.venv / "peers.txt"
        if stamp.is_file() and stamp.read_text() == peers:
            return
        say("installing the peers into bench-data/venv (offline)")
        shutil.rmtree(self.venv, ignore_errors=True)
        shutil.rmtree(self.pip_runner, ignore_errors=True)
        env = clean_env()
        subprocess.run([sys.executable, "-m", "venv", self.venv], check=True)
        offline = ["--quiet", "--no-index", "--find-links", self.data / "peers"]
        subprocess.run(
            [self.venv / "bin" / "python", "-m", "pip", "install", *offline, "-r", HERE / "peers.txt"],
            check=True,
            env=env,
        )
        pip_pin = next(line for line in peers.splitlines() if line.startswith("pip=="))
        subprocess.run(
            [self.venv / "bin" / "python", "-m", "pip", "install", *offline,
             "--target", self.pip_runner, pip_pin],
            check=True,
            env=env,
        )
        stamp.write_text(peers)

    def fresh(self, kind):
        """A new, empty folder under the work folder."""
        self.counter += 1
        path = self.work / f"{kind}-{self.counter}"
        path.mkdir(parents=True)
        return path

    def new_venv(self):
        self.counter += 1
        path = self.work / f"venv-{self.counter}"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", path], check=True)
        return path

    @staticmethod
    def site_packages(venv):
        return venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"

    def installed(self, venv):
        return len(list(self.site_packages(venv).glob("*.dist-info")))

    # -- commands; each returns (command, env)

    def curd(self, venv, cache, requirements, compile=False, copy=False, dry_run=False,
             cache_server=None, upload=False):
        """curd, with the index (or cache_server, a URL) as its cache server, -u to upload."""
        command = [CURD, "install", "-q", "--python", venv / "bin" / "python",
                   "-c", cache_server or self.index.base, "--no-index", "--cache-dir", cache,
                   "-r", requirements]
        command += ["-u"] if upload else []
        command += ["--compile"] if compile else []
        command += ["--link-mode", "copy"] if copy else []
        command += ["--dry-run"] if dry_run else []
        return command, clean_env()

    def uv_install(self, venv, cache, requirements, compile=False, copy=False, dry_run=False):
        command = [self.uv, "pip", "install", "--no-config", "--python", venv / "bin" / "python",
                   "--index-url", self.index.base + "/simple/", "--cache-dir", cache,
                   "-r", requirements]
        command += ["--compile-bytecode"] if compile else []
        command += ["--link-mode=copy"] if copy else []
        command += ["--dry-run"] if dry_run else ["-q"]
        return command, clean_env()

    def uv_compile(self, venv, cache, requirements, output):
        command = [self.uv, "pip", "compile", "-q", "--no-config", "--python", venv / "bin" / "python",
                   "--index-url", self.index.base + "/simple/", "--cache-dir", cache,
                   "-o", output, requirements]
        return command, clean_env()

    def pip(self, venv, cache, requirements, compile=False, report=None):
        env = clean_env()
        env["PYTHONPATH"] = str(self.pip_runner)
        env["PIP_CACHE_DIR"] = str(cache)
        command = [venv / "bin" / "python", "-m", "pip", "install", "-q",
                   "--index-url", self.index.base + "/simple/", "-r", requirements]
        command += [] if compile else ["--no-compile"]
        command += ["--dry-run", "--report", report] if report else []
        return command, env

    # -- running

    def timed(self, what, command_env, check):
        """Runs one command; a failure or a wrong result is recorded, not raised."""
        command, env = command_env
        run = Run(command, env, cwd=self.work)
        problem = None if run.ok else "failed"
        if problem is None:
            problem = check(run)
        if problem:
            self.failures.append((what, problem, run.describe()))
            say(f"{what}: {problem}")
            return None
        return run

    def rounds(self, variants, reps):
        """variants: (key, prepare) where prepare() returns (command_env, check, cleanup).

        Rotates the order each round so no variant always runs first.
        """
        results = {key: Samples() for key, _ in variants}
        for rep in range(reps):
            shift = rep % len(variants)
            for key, prepare in variants[shift:] + variants[:shift]:
                command_env, check, cleanup = prepare()
                run = self.timed(f"{key} (round {rep + 1})", command_env, check)
                if run is not None:
                    results[key].add(run.seconds, run.processor)
                else:
                    results[key].failures.append(rep)
                cleanup()
        return results


# ---------------------------------------------------------------------------
# The client scenarios


def expect_installed(bench, venv, count):
    def check(run):
        found = bench.installed(venv)
        return None if found == count else f"expected {count} distributions installed, found {found}"
    return check


def remove(*paths):
    """Puts what a run made out of the way, then waits for the disk, so the next run
    starts quiet.

    Nothing is deleted until the bench ends: each folder is renamed into `trash/`
    beside it. On ext4 without a journal (this machine's disk), the inode allocator
    passes over every inode freed in the last minute (five, before writeback), so
    a run that follows the deletion of the last run's few thousand files spends
    most of its time in the kernel looking for inodes (perf: `recently_deleted`
    and `find_get_block_common`, half the samples), and is timed on the cleanup
    before it rather than on its own work."""
    def cleanup():
        for path in paths:
            trash = path.parent / "trash"
            trash.mkdir(exist_ok=True)
            try:
                path.rename(trash / path.name)
            except OSError:
                shutil.rmtree(path, ignore_errors=True)
        os.sync()
    return cleanup


def requirement_count(path):
    return sum(
        1 for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")
    )


INSTALLERS = ("pip", "uv", "curd")


def install_command(bench, tool, venv, cache, requirements, compile, copy=False, **curd_options):
    if tool == "pip":
        return bench.pip(venv, cache, requirements, compile=compile)
    if tool == "uv":
        return bench.uv_install(venv, cache, requirements, compile=compile, copy=copy)
    return bench.curd(venv, cache, requirements, compile=compile, copy=copy, **curd_options)


def cold_variant(bench, key, tool, requirements, expected, compile, **curd_options):
    """A variant for Bench.rounds: each run a new venv and a new, empty cache."""
    def prepare():
        venv, cache = bench.new_venv(), bench.fresh("cache")
        return (
            install_command(bench, tool, venv, cache, requirements, compile, **curd_options),
            expect_installed(bench, venv, expected),
            remove(venv, cache),
        )
    return key, prepare


def scenario_cold(bench, requirements, expected, compile, tools=INSTALLERS):
    variants = [cold_variant(bench, t, t, requirements, expected, compile) for t in tools]
    return bench.rounds(variants, bench.args.reps)


WARM_VARIANTS = (
    ("pip", "pip", False),
    ("uv", "uv", False),
    ("uv copy", "uv", True),
    ("curd", "curd", False),
    ("curd copy", "curd", True),
)


def fill_caches(bench, requirements, expected, tools=INSTALLERS, compile=False):
    """Untimed installs per tool, each into a venv thrown away: the warm caches.
    curd takes two: it unpacks a wheel into its cache on the second use.

    With compile, curd's install compiles bytecode too, so its cache holds the .pyc
    files it keeps beside the unpacked wheels, as on a CI machine that always
    compiles. uv and pip keep no bytecode in their caches, which come out the same
    either way, so their fills skip the compiling (it would only cost time)."""
    caches = {}
    for tool in tools:
        cache = bench.fresh(f"warm-{tool}")
        for _ in range(2 if tool == "curd" else 1):
            venv = bench.new_venv()
            bench.timed(f"filling {tool}'s cache",
                        install_command(bench, tool, venv, cache, requirements,
                                        compile and tool == "curd"),
                        expect_installed(bench, venv, expected))
            remove(venv)()
        caches[tool] = cache
    return caches


def warm_variant(bench, caches, requirements, expected, compile, key, tool, copy):
    """A variant for Bench.rounds: each run a new venv, the tool's cache from caches."""
    def prepare():
        venv = bench.new_venv()
        return (
            install_command(bench, tool, venv, caches[tool], requirements, compile, copy),
            expect_installed(bench, venv, expected),
            remove(venv),
        )
    return key, prepare


def scenario_warm(bench, caches, requirements, expected, compile, variants=WARM_VARIANTS):
    return bench.rounds(
        [warm_variant(bench, caches, requirements, expected, compile, *v) for v in variants],
        bench.args.reps,
    )


NOOP_TOOLS = ("uv", "curd")


def scenario_noop(bench, caches, requirements, expected):
    """6: each tool's install again into the venv it filled; the venvs are kept."""
    venvs = {}
    for tool in NOOP_TOOLS:
        venv = bench.new_venv()
        bench.timed(f"filling {tool}'s venv",
                    install_command(bench, tool, venv, caches[tool], requirements, False),
                    expect_installed(bench, venv, expected))
        venvs[tool] = venv
    # A folder changed in the last 2 s is checked in full by curd, every run, until
    # it settles: what a CI machine's second install meets is a venv left longer.
    # Then one untimed no-op each: curd's first one checks every file and keeps
    # what it found (its seals), as the one after any install does.
    time.sleep(3)
    for tool in NOOP_TOOLS:
        bench.timed(f"{tool}'s first no-op",
                    install_command(bench, tool, venvs[tool], caches[tool], requirements, False),
                    expect_installed(bench, venvs[tool], expected))

    def variant(tool):
        def prepare():
            venv = venvs[tool]
            return (install_command(bench, tool, venv, caches[tool], requirements, False),
                    expect_installed(bench, venv, expected), lambda: None)
        return tool, prepare

    # Runs of tens of milliseconds on a shared machine: four times the runs.
    results = bench.rounds([variant(tool) for tool in NOOP_TOOLS], 4 * bench.args.reps)
    remove(*venvs.values())()
    return results


def extract_one(job):
    wheel, dest = job
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(dest)


def floor_once(wheels, dest, compile):
    """Unzips every wheel into dest with one process per core; wall and processor
    seconds (the workers', waited for when the pool shuts down)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    jobs = [(w, dest) for w in sorted(wheels, key=lambda p: -p.stat().st_size)]
    with concurrent.futures.ProcessPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(extract_one, jobs))
    if compile:
        subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", dest], check=True,
                       stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def scenario_floor(bench, compile):
    wheels = sorted((bench.data / "sets" / "ci").glob("*.whl"))
    samples = Samples()
    for _ in range(bench.args.reps):
        dest = bench.fresh("floor")
        samples.add(*floor_once(wheels, dest, compile))
        remove(dest)()
    return samples


def resolution_count(kind, run, output):
    """How many distributions a dry run resolved, from each tool's own report."""
    if kind == "curd":
        words = run.stdout.split()
        return len(words) - 2 if words[:2] == ["Would", "install"] else None
    if kind == "uv install":
        match = re.search(r"Would (?:download|install) (\d+) packages?", run.stderr)
        return int(match.group(1)) if match else None
    if kind == "uv compile":
        return sum(1 for line in output.read_text().splitlines() if "==" in line and not line.startswith("#"))
    if kind == "pip":
        return len(json.loads(output.read_text())["install"])
    return None


RESOLVERS = ("pip", "uv install", "uv compile", "curd")


def resolve_command(bench, kind, venv, cache, output):
    requirements = RESOLVE_REQUIREMENTS
    if kind == "pip":
        return bench.pip(venv, cache, requirements, report=output)
    if kind == "uv install":
        return bench.uv_install(venv, cache, requirements, dry_run=True)
    if kind == "uv compile":
        return bench.uv_compile(venv, cache, requirements, output)
    return bench.curd(venv, cache, requirements, dry_run=True)


def scenario_resolve(bench, warm):
    """Dry runs into one empty venv; the counts each tool resolved are kept too."""
    venv = bench.new_venv()
    counts = {kind: set() for kind in RESOLVERS}
    caches = {}
    if warm:
        for kind in RESOLVERS:
            caches[kind] = bench.fresh("resolve-cache")
            output = bench.work / f"resolve-{bench.counter}.out"
            bench.timed(f"filling {kind}'s cache for resolution",
                        resolve_command(bench, kind, venv, caches[kind], output), lambda run: None)

    def variant(kind):
        def prepare():
            cache = caches[kind] if warm else bench.fresh("resolve-cache")
            output = bench.work / f"resolve-{bench.counter}.out"

            def check(run):
                try:
                    counts[kind].add(resolution_count(kind, run, output))
                except (OSError, ValueError, KeyError) as e:
                    return f"cannot read what it resolved: {e}"
                return None

            def cleanup():
                if not warm:
                    shutil.rmtree(cache, ignore_errors=True)
                if output.exists():
                    output.unlink()
            return resolve_command(bench, kind, venv, cache, output), check, cleanup
        return kind, prepare

    results = bench.rounds([variant(k) for k in RESOLVERS], bench.args.reps)
    shutil.rmtree(venv, ignore_errors=True)
    return results, counts


# Scenario 3's writable curd-server takes uploads from this login only.
UPLOAD_LOGIN = ("bench", "bench")
CURD_FRESH = "curd, fresh client"


def upload_server(bench):
    """A writable curd-server on its own copy of sdist-server/; uploads need UPLOAD_LOGIN.

    Returns the server, already spawned, and its folder.
    """
    folder = bench.fresh("cache-server")
    # Files only: a curd-server that served the folder leaves its (empty) upload
    # staging folder there.
    for path in (bench.data / "sdist-server").iterdir():
        if path.is_file():
            os.link(path, folder / path.name)
    server = curd_server(folder, bench.work / "cache-server.log", "-u", upload_logins(bench),
                         "--public-read")
    return server, folder


def upload_logins(bench):
    """An htpasswd file holding UPLOAD_LOGIN, in the `{SHA}` format of `htpasswd -s`."""
    user, password = UPLOAD_LOGIN
    sha1 = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    htpasswd = bench.work / "htpasswd"
    htpasswd.write_text(f"{user}:{{SHA}}{sha1}\n")
    return htpasswd


def fill_curd_server(bench, server, folder, expected):
    """One `curd install -u` from a new client: it builds every sdist and uploads the wheels.

    Returns the run, the names of the wheels it added to folder, and what went wrong
    (None when nothing did): curd could not install the set, or uploaded too few wheels.
    """
    before = {p.name for p in folder.iterdir()}
    venv, cache = bench.new_venv(), bench.fresh("cache")
    user, password = UPLOAD_LOGIN
    login = server.base.replace("://", f"://{user}:{password}@", 1)
    command, env = bench.curd(venv, cache, SDIST_REQUIREMENTS, cache_server=login, upload=True)
    run = Run(command, env, cwd=bench.work)
    found = bench.installed(venv)
    remove(venv, cache)()
    built = sorted(p.name for p in folder.glob("*.whl") if p.name not in before)
    if not run.ok or found != expected:
        missing = "" if not run.ok else f"\n({found} of {expected} installed)"
        return run, built, run.describe() + missing
    if len(built) != expected:
        # curd -q says nothing of a failed upload (a warning); the server's log does.
        server_log = Path(server.log.name).read_text(errors="replace").splitlines()[-5:]
        return run, built, (run.describe() + f"\n(uploaded {len(built)} wheels, {expected} "
                            "expected; the curd-server's log ends with:)\n" + "\n".join(server_log))
    return run, built, None


def scenario_sdist(bench, expected):
    """Scenario 3, with bench.index serving sdist-server/ (see the top of this file).

    Returns ((cold, warm, the filling run, the wheels it uploaded), None), or
    (None, what went wrong) when curd could not fill the curd-server.
    """
    server, folder = upload_server(bench)
    with server:
        server.wait_ready()
        fill, built, problem = fill_curd_server(bench, server, folder, expected)
        if problem:
            return None, problem
        # As in scenario 1, filling the caches is also the untimed round that warms the index.
        caches = fill_caches(bench, SDIST_REQUIREMENTS, expected, tools=("pip", "uv"))
        cold = scenario_cold(bench, SDIST_REQUIREMENTS, expected, False)
        own_caches = [warm_variant(bench, caches, SDIST_REQUIREMENTS, expected, False, t, t, False)
                      for t in ("pip", "uv")]
        fresh_curd = cold_variant(bench, CURD_FRESH, "curd", SDIST_REQUIREMENTS, expected, False,
                                  cache_server=server.base)
        warm = bench.rounds([*own_caches, fresh_curd], bench.args.reps)
    return (cold, warm, fill, built), None


# ---------------------------------------------------------------------------
# The server scenarios


def parse_duration_ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        return None
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url, connections, seconds):
    """Requests/s, p50 and p99 in ms, and the error count of one bounded wrk run."""
    threads = min(connections, os.cpu_count() or 1)
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", "5s", "--latency", url]
    result = {"rps": None, "p50": None, "p99": None, "errors": 0, "requests": 0}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        # wrk waits for its connections to be accepted; a server that never does
        # leaves it hanging, and it is stopped.
        result["errors"] = "wrk hung"
        result["failed"] = f"wrk did not finish within {seconds + 60} s"
        return result
    out = done.stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match:
        result["rps"] = float(match.group(1))
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        if match:
            result[f"p{pct}"] = parse_duration_ms(match.group(1))
    match = re.search(r"(\d+) requests in", out)
    if match:
        result["requests"] = int(match.group(1))
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if match:
        result["errors"] += sum(int(g) for g in match.groups())
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if match:
        result["errors"] += int(match.group(1))
    if done.returncode != 0 or result["rps"] is None:
        result["failed"] = (done.stdout + done.stderr).strip()[-500:]
    return result


def cpu_ticks(pid):
    """utime + stime of a process, in clock ticks, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def wait_quiet(pid, limit=30.0):
    """Waits until a server has used no CPU for 300 ms (at most limit seconds).

    A server still answering requests the last wrk run left queued would
    otherwise slow the next run; the Python servers take seconds to drain 64.
    """
    deadline = time.perf_counter() + limit
    last = cpu_ticks(pid)
    while time.perf_counter() < deadline:
        time.sleep(0.3)
        now = cpu_ticks(pid)
        if now is None or now == last:
            return
        last = now


class RssSampler:
    """The largest VmRSS of a process while running, sampled every 50 ms."""

    def __init__(self, pid):
        self.pid = pid
        self.peak = 0
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        while not self.stop_event.is_set():
            value = rss_kib(self.pid)
            if value:
                self.peak = max(self.peak, value)
            self.stop_event.wait(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join(timeout=5)


def pick_file(folder, size):
    """The real wheel whose size is nearest to size."""
    wheels = [p for p in folder.iterdir() if p.suffix == ".whl" and not p.name.startswith("bench")]
    return min(wheels, key=lambda p: abs(p.stat().st_size - size))


def server_targets(bench):
    small = pick_file(bench.data / "server", 100 * 1024)
    big = pick_file(bench.data / "server", 20 * 1024 * 1024)
    return [
        ("/simple/", "index", "/simple/", "/simple/"),
        ("/simple/numpy/", "index", "/simple/numpy/", "/simple/numpy/"),
        (f"{small.name} ({small.stat().st_size / 1024:.0f} KiB)", "download",
         f"/p/{small.name}", f"/packages/{small.name}"),
        (f"{big.name} ({big.stat().st_size / 2**20:.1f} MiB)", "download",
         f"/p/{big.name}", f"/packages/{big.name}"),
    ]


CURD_QUIET = "curd-server, log discarded"
PYPISERVERS = ("pypiserver (wsgiref)", "pypiserver (waitress)")
SENDFILE_LOOP = "sendfile loop (the least server)"


def server_specs(bench):
    """(name, command for a port, curd's paths or pypiserver's, log file or not, cells).

    Every server writes its access log (one line per request, curd-server's and
    wsgiref's) to a file, as `2>>server.log` would. One more curd-server sends it
    to /dev/null, on the index pages at 64 connections only: the log's cost.
    """
    folder = bench.data / "server"
    python = bench.venv / "bin" / "python"
    curd = lambda port: [CURD_SERVER, "-H", "127.0.0.1", "-p", port, folder]  # noqa: E731
    every = None
    big_label, _, _, big_path = server_targets(bench)[-1]
    big = folder / big_path.rsplit("/", 1)[1]
    return [
        ("curd-server", curd, "curd", True, every),
        (PYPISERVERS[0],
         lambda port: [bench.venv / "bin" / "pypi-server", "run", "-i", "127.0.0.1", "-p", port,
                       "--server", "wsgiref", folder], "pypi", True, every),
        (PYPISERVERS[1], lambda port: [python, "-c", WAITRESS_LAUNCHER, port, folder], "pypi",
         True, every),
        (CURD_QUIET, curd, "curd", False, {("index", 64)}),
        (SENDFILE_LOOP, lambda port: [python, "-c", SENDFILE_LAUNCHER, port, big], "curd", False,
         {(big_label, c) for c in (1, 8, 64)}),
    ]


def scenario_servers(bench):
    targets = server_targets(bench)
    results = {}  # (server, target label, connections) -> wrk result
    memory = {}  # server -> (idle KiB, peak KiB)
    for name, command, paths, logged, cells in server_specs(bench):
        port = free_port()
        log = bench.work / f"{name.split()[0]}-{port}.log" if logged else None
        say(f"server scenarios: {name}")
        with Server(name, command(port), port, log) as server:
            server.wait_ready()
            # Every target once, so first-use work (hashes, page caches) is done.
            for _, _, curd_path, pypi_path in targets:
                http_get(server.base + (curd_path if paths == "curd" else pypi_path), timeout=30)
            time.sleep(1.0)
            idle = rss_kib(server.process.pid)
            with RssSampler(server.process.pid) as sampler:
                for label, kind, curd_path, pypi_path in targets:
                    url = server.base + (curd_path if paths == "curd" else pypi_path)
                    for connections in (1, 8, 64):
                        if cells is not None and not {(kind, connections),
                                                      (label, connections)} & cells:
                            continue
                        wait_quiet(server.process.pid)
                        result = wrk(url, connections, bench.args.wrk_seconds)
                        if "failed" in result:
                            bench.failures.append((f"wrk on {name} {label} at {connections}",
                                                   "failed", result["failed"]))
                        results[(name, label, connections)] = result
            if cells is None:
                memory[name] = (idle, sampler.peak)
    return targets, results, memory


ATTACK_DOWNLOADERS = 200
ATTACK_UPLOADERS = 50
ATTACK_CONNECTIONS = 64
ATTACK_SECONDS = 10
ATTACK_ROUNDS = 3
# From the start of the attack to the start of wrk: every slow client connected
# and under way.
ATTACK_RAMP = 3.0


def scenario_attack(bench):
    """/simple/ under wrk while slow clients download and upload (tests/bench/attack.py).

    For each server, ATTACK_ROUNDS rounds of: wrk alone on /simple/, then the same
    wrk while 200 clients download the biggest wheel at 64 KiB/s each and 50 upload
    a 100 MiB body at 1 KiB/s each, started ATTACK_RAMP seconds before wrk and
    stopped after it. Alone and attacked alternate, so the machine's other load
    falls on both alike. RSS is sampled during the attacks; how many slow clients
    were connected and moving bytes is read as each attacked wrk ends.
    """
    folder = bench.data / "server"
    big = max((p for p in folder.iterdir() if p.suffix == ".whl"), key=lambda p: p.stat().st_size)
    results = []
    for name, command, paths, logged, cells in server_specs(bench):
        if name == CURD_QUIET:
            continue
        port = free_port()
        log = bench.work / f"attack-{name.split()[0]}-{port}.log"
        download = f"/p/{big.name}" if paths == "curd" else f"/packages/{big.name}"
        say(f"attack scenario: {name}")
        result = {"server": name, "alone": [], "attacked": [], "fleet": []}
        with Server(name, command(port), port, log) as server:
            server.wait_ready()
            # First-use work (the big file's hash, the page) before anything is timed.
            http_get(server.base + download, timeout=120)
            http_get(server.base + "/simple/", timeout=30)
            wait_quiet(server.process.pid)
            idle = rss_kib(server.process.pid)
            with RssSampler(server.process.pid) as sampler:
                for _ in range(ATTACK_ROUNDS):
                    wait_quiet(server.process.pid)
                    result["alone"].append(
                        wrk(server.base + "/simple/", ATTACK_CONNECTIONS, ATTACK_SECONDS))
                    with attack.Attack(port, download, ATTACK_DOWNLOADERS,
                                       ATTACK_UPLOADERS) as fleet:
                        time.sleep(ATTACK_RAMP)
                        result["attacked"].append(
                            wrk(server.base + "/simple/", ATTACK_CONNECTIONS, ATTACK_SECONDS))
                        live, moving = fleet.snapshot()
                    result["fleet"].append((live, moving, dict(fleet.stats)))
            result["rss"] = (idle, sampler.peak)
        results.append(result)
    return big, results


def attack_cell(runs, key, digits):
    """The median of one wrk figure over rounds, with its range."""
    values = [r[key] for r in runs if r[key] is not None]
    if not values:
        return "–"
    if len(values) == 1:
        return fmt(values[0], digits)
    return f"{fmt(statistics.median(values), digits)} ({fmt(min(values), digits)}–" \
           f"{fmt(max(values), digits)})"


def attack_section(big, results, goals):
    """The attack scenario's tables, and its goals."""
    rows, fleet_rows = [], []
    for r in results:
        for label in ("alone", "attacked"):
            runs = r[label]
            errors = ", ".join(str(run["errors"]) for run in runs)
            rows.append([r["server"], "alone" if label == "alone" else "under attack",
                         attack_cell(runs, "rps", 0), attack_cell(runs, "p50", 2),
                         attack_cell(runs, "p99", 2), errors])
        idle, peak = r["rss"]
        moving = " ".join(f"{m['down']}/{l['down']}" for l, m, _ in r["fleet"])
        moving_up = " ".join(f"{m['up']}/{l['up']}" for l, m, _ in r["fleet"])
        answers = {}
        for _, _, stats in r["fleet"]:
            for status, n in stats["upload answers"].items():
                answers[status] = answers.get(status, 0) + n
        downloaded = sum(stats["downloaded bytes"] for _, _, stats in r["fleet"]) / 2**20
        connect_errors = sum(stats["connect errors"] for _, _, stats in r["fleet"])
        fleet_rows.append([
            r["server"], fmt(idle / 1024 if idle else None, 1),
            fmt(peak / 1024 if peak else None, 1), moving, moving_up, f"{downloaded:.0f}",
            ", ".join(f"{k}: {v}" for k, v in sorted(answers.items())) or "–", connect_errors])
    curd = next((r for r in results if r["server"] == "curd-server"), None)
    if curd:
        p99s = [run["p99"] for run in curd["attacked"] if run["p99"] is not None]
        p99 = statistics.median(p99s) if p99s else None
        errors = sum(run["errors"] for run in curd["attacked"] if isinstance(run["errors"], int))
        peak = curd["rss"][1]
        goals.append(["attack: /simple/ p99 at 64 connections with 200 slow downloaders and 50 "
                      "slow uploaders connected (median of rounds)", "< 20 ms",
                      fmt(p99, 2, " ms"), verdict(p99 is not None and p99 < 20 and errors == 0)])
        goals.append(["attack: curd-server RSS peak", "< 64 MiB",
                      fmt(peak / 1024 if peak else None, 1, " MiB"),
                      verdict(peak is not None and peak < 64 * 1024)])
    size = big.stat().st_size / 2**20
    return "\n".join([
        f"### Attack: /simple/ while {ATTACK_DOWNLOADERS} slow downloaders and "
        f"{ATTACK_UPLOADERS} slow uploaders are connected",
        "",
        f"{ATTACK_ROUNDS} rounds, each of wrk on /simple/ at {ATTACK_CONNECTIONS} connections for "
        f"{ATTACK_SECONDS} s alone, then the same while {ATTACK_DOWNLOADERS} clients download "
        f"{big.name} ({size:.1f} MiB) reading {attack.DOWNLOAD_RATE // 1024} KiB/s each and "
        f"{ATTACK_UPLOADERS} clients upload (twine's `POST /`) a body announced as "
        f"{attack.UPLOAD_DECLARED // 2**20} MiB, sending {attack.UPLOAD_RATE} B/s each. The "
        f"attack starts {ATTACK_RAMP:.0f} s before wrk and stops after it; a client whose "
        "connection ends connects again. Each slow client has its own loopback address "
        "(tests/bench/attack.py). Medians of the rounds, with their range; `errors` (each "
        "round's) counts socket errors, timeouts (5 s) and non-2xx answers.",
        "",
        table(["server", "/simple/", "req/s", "p50 ms", "p99 ms", "errors"], rows),
        "",
        "`moving/connected`, each round: slow clients connected when wrk ended, and those "
        "of them that had moved bytes on their current connection. `upload answers`: "
        "statuses the uploaders got, all rounds (`closed`: the connection ended without one).",
        "",
        table(["server", "RSS idle MiB", "RSS peak MiB", "downloaders moving/connected",
               "uploaders moving/connected", "MiB downloaded", "upload answers",
               "connect errors"], fleet_rows),
    ])


def scenario_startup(bench):
    """curd-server: spawn to first /health with 10,000 files; RSS when up."""
    files = sum(1 for _ in (bench.data / "startup").iterdir())
    times, rss = Samples(), []
    for _ in range(bench.args.reps):
        with curd_server(bench.data / "startup", bench.work / "startup.log") as server:
            times.add(server.wait_ready(poll=0.002))
            time.sleep(0.5)
            rss.append(rss_kib(server.process.pid))
    return files, times, rss


# ---------------------------------------------------------------------------
# The pull-through scenario


# A fresh CI client (no client cache) installs the CI set from each of these, its
# index URL given by the server's base: "PyPI" (the static copy) and the proxies
# in front of it, each warmed by one untimed install per tool.
PULL_TOOLS = ("pip", "uv")
STATIC = "static copy (http.server)"
PULL_CURD = "curd-server --upstream"
PULL_DEVPI = "devpi-server (mirror)"
PULL_PROXPI = "proxpi (waitress)"
# The RSS check's cache: synthetic wheels, projects × versions.
RSS_PROJECTS, RSS_VERSIONS = 1000, 10


def pull_client(bench, tool, venv, index_url):
    """pip or uv into venv from index_url, with no client cache at all."""
    if tool == "pip":
        env = clean_env()
        env["PYTHONPATH"] = str(bench.pip_runner)
        return [venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-cache-dir",
                "--no-compile", "--index-url", index_url, "-r", CI_REQUIREMENTS], env
    return [bench.uv, "pip", "install", "-q", "--no-config", "--no-cache",
            "--python", venv / "bin" / "python", "--index-url", index_url,
            "-r", CI_REQUIREMENTS], clean_env()


def static_server(root, log_path):
    port = free_port()
    return Server("http.server", [sys.executable, "-m", "http.server", "-b", "127.0.0.1",
                                  "-d", root, port], port, log_path, ready_path="/simple/")


def devpi_server(bench, upstream_url):
    """devpi-server with one mirror index, root/static, of upstream_url.

    Returns (server, its index URL). devpi-init makes no root/pypi (PyPI's mirror),
    so nothing is asked of any host but the static copy.
    """
    serverdir = bench.fresh("devpi")
    bin_dir = bench.venv / "bin"
    subprocess.run([bin_dir / "devpi-init", "--serverdir", serverdir, "--no-root-pypi",
                    "--root-passwd", "bench"], check=True, env=clean_env(),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=COMMAND_TIMEOUT)
    port = free_port()
    server = Server("devpi-server", [bin_dir / "devpi-server", "--serverdir", serverdir,
                                     "--host", "127.0.0.1", "--port", port],
                    port, bench.work / "devpi.log", ready_path="/+api")
    return server, f"{server.base}/root/static/+simple/"


def devpi_mirror_index(server, upstream_url):
    """PUT root/static as a mirror of upstream_url, as root (HTTP basic auth)."""
    body = json.dumps({"type": "mirror", "mirror_url": upstream_url}).encode()
    request = urllib.request.Request(server.base + "/root/static", data=body, method="PUT")
    request.add_header("Content-Type", "application/json")
    request.add_header("Accept", "application/json")
    request.add_header("Authorization", "Basic " + base64.b64encode(b"root:bench").decode())
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def proxpi_server(bench, upstream_url):
    """proxpi under waitress (its docs run it under a WSGI server), its cache in a folder."""
    port = free_port()
    env = clean_env()
    env["PROXPI_INDEX_URL"] = upstream_url
    env["PROXPI_CACHE_DIR"] = str(bench.fresh("proxpi"))
    # proxpi gives up on a download after 0.9 s by default and redirects the
    # client to the upstream; the warm-up below fetches every file anyway.
    server = Server("proxpi", [bench.venv / "bin" / "waitress-serve", "--listen",
                               f"127.0.0.1:{port}", "proxpi.server:app"],
                    port, bench.work / "proxpi.log", ready_path="/health", env=env)
    return server, f"{server.base}/index/"


def pull_variant(bench, key, tool, index_url, expected):
    def prepare():
        venv = bench.new_venv()
        return (pull_client(bench, tool, venv, index_url),
                expect_installed(bench, venv, expected), remove(venv))
    return key, prepare


def warm_proxy(bench, name, index_url, expected):
    """One untimed install per tool through the proxy: it holds every page and file after.

    Returns None, or what went wrong."""
    for tool in PULL_TOOLS:
        venv = bench.new_venv()
        run = bench.timed(f"warming {name} with {tool}", pull_client(bench, tool, venv, index_url),
                          expect_installed(bench, venv, expected))
        remove(venv)()
        if run is None:
            return f"the untimed install with {tool} through it failed (see Failures)"
    return None


def scenario_pull(bench, expected):
    """Fresh clients through warm proxies of a static copy, against the static copy itself.

    Returns (results keyed by (server, tool), {server: problem}, projects).
    """
    root = bench.fresh("static")
    projects = upstream.static_tree(bench.data / "wheels", root)
    problems, indexes, servers = {}, {}, []
    static = static_server(root, bench.work / "static.log")
    servers.append(static)
    try:
        static.wait_ready()
        upstream_url = static.base + "/simple/"
        indexes[STATIC] = upstream_url
        curd = curd_server(bench.fresh("pull-cache"), bench.work / "pull.log",
                           "--upstream", upstream_url)
        servers.append(curd)
        curd.wait_ready()
        indexes[PULL_CURD] = curd.base + "/simple/"
        for name, start in ((PULL_DEVPI, devpi_server), (PULL_PROXPI, proxpi_server)):
            try:
                server, url = start(bench, upstream_url)
                servers.append(server)
                # devpi-server takes some 20 s here to start (its first secret, its
                # database); it is not timed.
                server.wait_ready(poll=0.05, timeout=120)
                if name == PULL_DEVPI:
                    devpi_mirror_index(server, upstream_url)
                indexes[name] = url
            except (OSError, RuntimeError, subprocess.SubprocessError, urllib.error.URLError) as e:
                problems[name] = f"did not start: {e}"
        for name in [n for n in indexes if n != STATIC]:
            problem = warm_proxy(bench, name, indexes[name], expected)
            if problem:
                problems[name] = problem
                del indexes[name]
        variants = [pull_variant(bench, (name, tool), tool, url, expected)
                    for name, url in indexes.items() for tool in PULL_TOOLS]
        results = bench.rounds(variants, bench.args.reps)
    finally:
        for server in reversed(servers):
            server.stop()
    return results, problems, projects


def fetch_all(urls, workers=8):
    """GETs every URL, 8 at a time; the number that did not answer 200."""
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return sum(1 for status in pool.map(lambda u: http_get(u, timeout=60), urls)
                   if status != 200)


def scenario_pull_rss(bench):
    """curd-server's memory on a pull-through cache of 10,000 upstream files.

    A static tree of synthetic wheels is the upstream; one curd-server --upstream
    pulls every page through once, the files are linked into DIRECTORY/upstream/
    beside them, then a new curd-server --offline starts on that folder and every
    page (HTML and JSON) and file is asked of it. Returns a dict of the counts and RSS readings (KiB).
    """
    wheels = bench.work / "synthetic"
    upstream.synthetic_wheels(wheels, RSS_PROJECTS, RSS_VERSIONS)
    root = bench.fresh("static-synthetic")
    upstream.static_tree(wheels, root)
    shutil.rmtree(wheels)
    files = sorted(p.name for p in (root / "files").glob("*.whl"))
    names = sorted({upstream.project_of(f) for f in files})
    cache = bench.fresh("pull-rss")
    out = {"files": len(files), "projects": len(names)}
    with static_server(root, bench.work / "static-synthetic.log") as static:
        static.wait_ready()
        with curd_server(cache, bench.work / "pull-fill.log",
                         "--upstream", static.base + "/simple/") as filler:
            filler.wait_ready()
            out["fill_errors"] = fetch_all([f"{filler.base}/simple/{n}/" for n in names])
    # The files go in as an air-gapped site syncs them: pulling 10,000 through one by
    # one takes longer with every file already cached (see BENCHMARKS.md).
    for name in files:
        os.link(root / "files" / name, cache / "upstream" / name)
    out["cached"] = sum(1 for p in (cache / "upstream").iterdir() if p.name.endswith(".whl"))
    with curd_server(cache, bench.work / "pull-rss.log", "--offline") as server:
        server.wait_ready()
        time.sleep(0.5)
        pid = server.process.pid
        out["rss_up"] = vm_kib(pid, "VmRSS")
        json_pages = [f"{server.base}/simple/{n}/?format=application/vnd.pypi.simple.v1%2Bjson"
                      for n in names]
        out["serve_errors"] = (fetch_all([f"{server.base}/simple/{n}/" for n in names])
                               + fetch_all(json_pages)
                               + fetch_all([f"{server.base}/simple/"]))
        out["rss_pages"] = vm_kib(pid, "VmRSS")
        out["serve_errors"] += fetch_all([f"{server.base}/p/{f}" for f in files])
        out["rss_files"] = vm_kib(pid, "VmRSS")
        out["hwm"] = vm_kib(pid, "VmHWM")
    return out


# ---------------------------------------------------------------------------
# The report


def shell(command):
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def versions(bench):
    commit = shell(["git", "-C", ROOT, "rev-parse", "HEAD"])
    if shell(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no", "src", "Cargo.toml"]):
        commit += " (with uncommitted changes to src/)"
    python = bench.venv / "bin" / "python"
    meta = "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))"
    return [
        ("curd", f"git commit {commit}, static (musl)"),
        ("uv", shell([bench.uv, "--version"])),
        ("pip", shell([python, "-c", meta, "pip"]) + " (bench-data/pip-runner)"),
        ("pypiserver", shell([python, "-c", meta, "pypiserver"])),
        ("waitress", shell([python, "-c", meta, "waitress"])),
        ("devpi-server", shell([python, "-c", meta, "devpi-server"])),
        ("proxpi", shell([python, "-c", meta, "proxpi"])),
        ("wrk", (shell(["sh", "-c", "wrk -v 2>&1 | head -1"]).split(" [")[0])),
        ("python", platform.python_version() + f" ({sys.executable})"),
    ]


def load_average():
    """The 1, 5 and 15-minute load averages: other work on the machine shows here."""
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


LOAD_AT_START = load_average()


def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    free = shell(["free", "-h"]).splitlines()
    df = shell(["df", "-h", str(ROOT)]).splitlines()
    return [
        ("cores (`nproc`)", f"{shell(['nproc'])} × {cpu}"),
        ("memory (`free -h`)", " ".join(free[1].split()[:2]) if len(free) > 1 else "?"),
        ("disk (`df -h`)", " ".join(df[-1].split()) if df else "?"),
        ("kernel", platform.release()),
        ("load average at start, at end", LOAD_AT_START + ", " + load_average()),
    ]


def sdist_section(result, problem, goals):
    """Scenario 3's text and table; its goal is appended to goals."""
    goal = "3 sdists, warm curd-server: fresh curd client vs uv cold"
    if problem:
        goals.append([goal, "≤ 0.05", "–", "**skipped**"])
        return ("Skipped: curd could not build the sdist-only set and upload its wheels to a "
                "curd-server, so there is nothing to compare. What it said:\n\n```\n"
                + problem + "\n```")
    cold, warm, fill, built = result
    fresh = warm[CURD_FRESH]
    rows = [["cold", tool, fmt(cold[tool].median), cold[tool].span(),
             ratio(cold["curd"].median, cold[tool].median), ratio(fresh.median, cold[tool].median)]
            for tool in INSTALLERS]
    rows += [["warm", label, fmt(warm[key].median), warm[key].span(), "–",
              ratio(fresh.median, warm[key].median)]
             for key, label in (("pip", "pip, own cache"), ("uv", "uv, own cache"),
                                (CURD_FRESH, "curd, fresh client, warm curd-server"))]
    goals.append(time_goal(goal, fresh, cold["uv"], 0.05))
    compiled = [name.split("-")[0] for name in built if not name.endswith("-none-any.whl")]
    return (
        f"{len(built)} projects served as sdists only, built with setuptools from the same "
        "server; bytecode off; seconds. Cold: every tool builds, into a new venv with an empty "
        "cache. Warm: one `curd install -u` filled a second curd-server beforehand (it built "
        f"and uploaded {len(built)} wheels in {fill.seconds:.1f} s, {len(compiled)} with a "
        f"compiled extension: {', '.join(compiled) or 'none'}); each curd run is then a fresh "
        "client, a new venv with an empty cache, installing from it. uv and pip keep their own "
        "caches, filled by one install, and read the sdist-only index, as in the cold runs. "
        "`curd/this` is curd's cold median over this row's; `fresh curd/this` is the fresh "
        "curd client's.\n\n"
        + table(["client cache", "tool", "median", "min–max", "curd/this", "fresh curd/this"],
                rows))


# ---------------------------------------------------------------------------
# The bucket scenario: several curd-servers over one Garage bucket


BUCKET_FLEET = (1, 2, 3)
BUCKET_PREFIX, BUCKET_STARTUP_PREFIX = "fleet", "startup"
BUCKET_STARTUP_FILES = 3334
FOLDER = "one curd-server, folder"


def put_file(base, path):
    """PUT /p/NAME (Curdling's upload) of one file with UPLOAD_LOGIN; the status or None."""
    login = base64.b64encode(":".join(UPLOAD_LOGIN).encode()).decode()
    request = urllib.request.Request(
        f"{base}/p/{path.name}", data=path.read_bytes(), method="PUT",
        headers={"Authorization": f"Basic {login}", "Content-Type": "application/octet-stream"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def upload_all(base, paths, workers=8):
    """Seconds to upload every path, 8 at a time, and how many were not stored."""
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        statuses = list(pool.map(lambda p: put_file(base, p), paths))
    return time.perf_counter() - started, sum(1 for s in statuses if s not in (200, 201))


def wrk_fleet(urls, connections, seconds):
    """wrk on every server at once, connections shared out: summed req/s, worst p99."""
    share = max(1, connections // len(urls))
    with concurrent.futures.ThreadPoolExecutor(len(urls)) as pool:
        runs = list(pool.map(lambda u: wrk(u, share, seconds), urls))
    failed = [r["failed"] for r in runs if "failed" in r]
    return {
        "rps": None if failed else sum(r["rps"] for r in runs),
        "p99": None if failed else max(r["p99"] or 0 for r in runs),
        "errors": sum(r["errors"] if isinstance(r["errors"], int) else 1 for r in runs),
        "failed": failed[0] if failed else None,
    }


def scenario_bucket(bench):
    """Uploads, downloads and pages through 1-3 curd-servers over a Garage bucket."""
    garage = bucket.binary(ROOT)
    if garage is None:
        return None, "no Garage binary: `make garage` builds it"
    htpasswd = upload_logins(bench)
    files = sorted(p for p in (bench.data / "server").iterdir() if p.suffix == ".whl")
    # Three objects a file (bytes, METADATA, entry): 10,000 objects to list.
    # Distribution files only: a curd-server that served the folder leaves its
    # (hidden) upload folder in it.
    startup_files = sorted(p for p in (bench.data / "startup").iterdir()
                           if p.is_file() and not p.name.startswith("."))[:BUCKET_STARTUP_FILES]
    small = pick_file(bench.data / "server", 100 * 1024)
    targets = [("/simple/numpy/", "index page"),
               (f"/p/{small.name}", f"download, {small.stat().st_size / 1024:.0f} KiB")]
    connections = 64
    r = {"files": len(files), "size": sum(p.stat().st_size for p in files),
         "startup_files": len(startup_files), "uploads": {}, "first": {}, "serve": {},
         "startup": Samples(), "connections": connections}
    with bucket.Cluster(garage, bench.fresh("garage")) as cluster:
        env = cluster.credentials(clean_env())

        def over_bucket(node, prefix, *options):
            port = free_port()
            command = [CURD_SERVER, "-H", "127.0.0.1", "-p", port,
                       *cluster.server_options(node, prefix), *options, bench.fresh("bucket-server")]
            return Server(f"curd-server over the bucket (node {node})", command, port,
                          bench.work / f"bucket-{port}.log", env=env)

        say("bucket scenario: uploads")
        with curd_server(bench.fresh("folder-server"), bench.work / "folder-server.log",
                         "-u", htpasswd) as server:
            server.wait_ready()
            r["uploads"][FOLDER] = upload_all(server.base, files)
        with over_bucket(0, BUCKET_PREFIX, "-u", htpasswd) as server:
            server.wait_ready()
            r["uploads"]["curd-server, bucket"] = upload_all(server.base, files)
        with over_bucket(0, BUCKET_STARTUP_PREFIX, "-u", htpasswd) as server:
            server.wait_ready()
            r["startup_upload"] = upload_all(server.base, startup_files, workers=16)

        say(f"bucket scenario: start-up over {len(startup_files):,} files")
        for rep in range(bench.args.reps):
            with over_bucket(rep, BUCKET_STARTUP_PREFIX) as server:
                r["startup"].add(server.wait_ready(poll=0.002, timeout=120))

        say("bucket scenario: first downloads, then pages and downloads with 1-3 servers")
        with over_bucket(1, BUCKET_PREFIX) as server:
            server.wait_ready()
            started = time.perf_counter()
            missed = fetch_all([f"{server.base}/p/{p.name}" for p in files])
            r["first"]["curd-server, bucket"] = (time.perf_counter() - started, missed)
        with curd_server(bench.data / "server", bench.work / "folder-server.log") as server:
            server.wait_ready()
            started = time.perf_counter()
            missed = fetch_all([f"{server.base}/p/{p.name}" for p in files])
            r["first"][FOLDER] = (time.perf_counter() - started, missed)
            for path, _ in targets:
                wait_quiet(server.process.pid)
                r["serve"][(FOLDER, path)] = wrk_fleet([server.base + path], connections,
                                                       bench.args.wrk_seconds)
        for count in BUCKET_FLEET:
            servers = [over_bucket(node, BUCKET_PREFIX) for node in range(count)]
            try:
                for server in servers:
                    server.wait_ready(timeout=120)
                    for path, _ in targets:
                        http_get(server.base + path, timeout=60)
                for path, _ in targets:
                    for server in servers:
                        wait_quiet(server.process.pid)
                    r["serve"][(count, path)] = wrk_fleet([s.base + path for s in servers],
                                                          connections, bench.args.wrk_seconds)
            finally:
                for server in servers:
                    server.stop()
    r["targets"] = targets
    return r, None


def bucket_section(r, problem, goals, wrk_seconds):
    """The bucket scenario's tables, its goal rows added to goals."""
    if r is None:
        goals.append(["several curd-servers over one bucket", "runs", "–", f"**not run**: {problem}"])
        return f"### Several curd-servers over one Garage bucket\n\nNot run: {problem}."
    mib_total = r["size"] / 2**20
    uploads = [[name, fmt(seconds, 1), fmt(r["files"] / seconds, 0), fmt(mib_total / seconds, 1),
                failed] for name, (seconds, failed) in r["uploads"].items()]
    seconds, failed = r["startup_upload"]
    uploads.append([f"curd-server, bucket ({r['startup_files']:,} small files)", fmt(seconds, 1),
                    fmt(r["startup_files"] / seconds, 0), "–", failed])
    first = [[name, fmt(seconds, 1), fmt(mib_total / seconds, 1), missed]
             for name, (seconds, missed) in r["first"].items()]
    serve = []
    for path, label in r["targets"]:
        folder = r["serve"][(FOLDER, path)]
        for key in (FOLDER, *BUCKET_FLEET):
            res = r["serve"][(key, path)]
            name = key if key == FOLDER else f"{key} curd-server{'s' if key > 1 else ''}, bucket"
            serve.append([label, name, fmt(res["rps"], 0), fmt(res["p99"], 2), res["errors"],
                          ratio(res["rps"], folder["rps"], 2)])
    startup = r["startup"]
    goals.append([f"curd-server start-up over a bucket of {r['startup_files']:,} files",
                  "< 2 s", fmt(startup.median, 3, " s"),
                  verdict(startup.median is not None and startup.median < 2)])
    return (
        "### Several curd-servers over one Garage bucket\n\n"
        "A three-node Garage cluster (replication factor 3) on the same two cores as "
        "the servers and wrk, so the store and the machine are the limit, not the servers: "
        "these numbers say what a bucket costs against a folder, not how a fleet on "
        "several machines scales. Each curd-server talks to its own Garage node.\n\n"
        f"Uploads of bench-data/server ({r['files']:,} wheels, {mib_total:.0f} MiB), "
        "8 at a time (`PUT /p/NAME`), then of the first of bench-data/startup's small wheels, 16 at a time:\n\n"
        + table(["server", "seconds", "files/s", "MiB/s", "not stored"], uploads)
        + "\n\nFirst downloads of every file, 8 at a time, through a server that has "
        "never served them (over the bucket: fetched from the store, checked and kept in "
        "its cache folder):\n\n"
        + table(["server", "seconds", "MiB/s", "not 200"], first)
        + f"\n\nAfter one warm-up request each, wrk for {wrk_seconds} s with {r['connections']} "
        "connections shared out over the servers: summed req/s, worst p99:\n\n"
        + table(["path", "servers", "req/s", "p99 ms", "errors", "÷ folder"], serve)
        + f"\n\nStart-up over a bucket of {r['startup_files']:,} files (three objects each: "
        "bytes, METADATA, entry): spawn to first /health, which waits for the first listing: "
        f"median {fmt(startup.median, 3)} s, {startup.span(3)} s.")


def mib(kib):
    return fmt(kib / 1024 if kib else None, 1, " MiB")


def pull_section(results, problems, projects, rss, goals):
    """The pull-through scenario's tables, its goal rows added to goals."""
    rows = []
    for tool in PULL_TOOLS:
        static = results.get((STATIC, tool), Samples())
        for name in (STATIC, PULL_CURD, PULL_DEVPI, PULL_PROXPI):
            s = results.get((name, tool))
            if s is None:
                rows.append([tool, name, "–", "–", "–", "not run: " + problems.get(name, "?")])
                continue
            curd = results.get((PULL_CURD, tool), Samples())
            rows.append([tool, name, fmt(s.median), s.span(), ratio(s.median, static.median),
                         ratio(curd.median, s.median)])
        goals.append(time_goal(f"pull-through, fresh {tool} client: warm curd-server --upstream "
                               "vs the static copy", results.get((PULL_CURD, tool), Samples()),
                               static, 1.2))
    goals.append(["pull-through cache of 10,000 files: curd-server RSS, peak",
                  "< 20 MiB", mib(rss["hwm"]),
                  verdict(rss["hwm"] is not None and rss["hwm"] < 20 * 1024)])
    memory = table(
        ["files cached", "projects", "RSS when up", "after every page", "after every file",
         "VmHWM", "failed requests"],
        [[f"{rss['cached']:,} of {rss['files']:,}", f"{rss['projects']:,}", mib(rss["rss_up"]),
          mib(rss["rss_pages"]), mib(rss["rss_files"]), mib(rss["hwm"]),
          f"{rss['fill_errors']} filling, {rss['serve_errors']} serving"]])
    return (
        "### Pull-through: a fresh CI client through a warm proxy of a static index, seconds\n\n"
        f"The upstream is a static PEP 503 copy of bench-data/wheels ({projects} projects, "
        "pages with sha256 and PEP 658 METADATA files, as PyPI serves them) behind "
        "`python3 -m http.server`. Each proxy pulls from it, and was warmed by one untimed "
        "install per tool. Each run is a fresh client: a new venv, no client cache (pip "
        "`--no-cache-dir --no-compile`, uv `--no-cache`), installing the CI set. "
        "`× static` is this row's median over the static copy's; `curd/this` is "
        "curd-server's median over this row's.\n\n"
        + table(["client", "index", "median", "min–max", "× static", "curd/this"], rows)
        + "\n\ncurd-server's memory with a pull-through cache of "
        f"{rss['files']:,} upstream files: {RSS_PROJECTS:,} synthetic projects × "
        f"{RSS_VERSIONS} versions of a minimal pure-Python wheel (about 950 bytes), served as a "
        "static tree; one curd-server --upstream pulled every page through, the files were "
        "linked into its `upstream/` folder (as an air-gapped site syncs it), then a "
        "new curd-server --offline on that folder was asked every project page (HTML, then "
        "JSON), /simple/ and every file. VmRSS and VmHWM from /proc/PID/status.\n\n"
        + memory)


def render(bench, r):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [f"Measured {now} by `make bench` ({r['elapsed'] / 60:.1f} minutes), "
           f"{bench.args.reps} runs of each variant.", ""]
    out.append(table(["machine", ""], machine()))
    out.append("")
    out.append(table(["tool", "version"], versions(bench)))
    out.append("")

    out.append("### Goals")
    out.append("")
    out.append("Ratios of times: below 1 means curd took less time. Ratios of requests per "
               "second: above 1 means curd served more. \"ranges overlap\": the medians are "
               "on the side stated, but the min–max ranges of the two (one scaled by the "
               "target) overlap, so these runs do not settle it.")
    out.append("")
    out.append(table(["goal", "target", "measured", "verdict"], r["goals"]))
    out.append("")

    if "install" in r:
        ci_files = sorted((bench.data / "sets" / "ci").glob("*.whl"))
        size = sum(p.stat().st_size for p in ci_files) / 2**20
        out.append(f"### Installing the CI set ({len(ci_files)} wheels, {size:.0f} MiB), "
                   "seconds")
        out.append("")
        out.append("`× floor` is the tool's median over the floor's (scenario 5) with the same "
                   "bytecode setting; `curd/this` is curd's median (same link mode) over this "
                   "row's.")
        out.append("")
        out.append(table(["scenario", "bytecode", "tool", "median", "min–max", "× floor", "curd/this"],
                         r["install"]))
        out.append("")
    if "processor" in r:
        cores = os.cpu_count() or 1
        out.append("### Scenario 1, bytecode off: wall time against processor time, seconds")
        out.append("")
        out.append("Medians of the same runs. Processor time is user plus system time of "
                   f"the tool and every process it waited for; over the {cores} cores, it is "
                   "the least wall time that tool's work allows here, however well spread.")
        out.append("")
        out.append(table(["tool", "wall", "processor", f"processor / {cores} cores"],
                         r["processor"]))
        out.append("")
    if "noop" in r:
        out.append("### Scenario 6: the same install again, into a venv that has it, seconds")
        out.append("")
        out.append("Each tool installs the CI set again into the venv it filled (its cache "
                   f"warm), {4 * bench.args.reps} times, after one untimed run; nothing is to "
                   "be done, and neither asks the server anything. `curd/this` is curd's "
                   "median over this row's.")
        out.append("")
        out.append(table(["tool", "median", "min–max", "curd/this"], r["noop"]))
        out.append("")
    if "sdist" in r:
        out.append("### Scenario 3: sdist-only projects")
        out.append("")
        out.append(r["sdist"])
        out.append("")
    if "resolve" in r:
        out.append(f"### Scenario 4: resolution alone ({requirement_count(RESOLVE_REQUIREMENTS)} "
                   "requirements, 161 distributions in the closure), seconds")
        out.append("")
        out.append(table(["client cache", "tool", "median", "min–max", "resolved", "curd/this"],
                         r["resolve"]))
        out.append("")
    if "servers" in r:
        out.append(f"### Server: {r['server_files']} files, wrk for {bench.args.wrk_seconds} s "
                   "per cell, loopback")
        out.append("")
        out.append("wrk runs on the same 2 cores as the server (1 thread for 1 connection, 2 "
                   "otherwise). `errors` counts socket errors, timeouts (5 s) and non-2xx "
                   "answers. Each server's access log goes to a file, as with `2>>server.log`; "
                   f"`{CURD_QUIET}` is curd-server with it sent to /dev/null (index pages, "
                   "64 connections): what the log costs.")
        out.append("")
        out.append(table(["path", "conns", "server", "req/s", "p50 ms", "p99 ms", "errors",
                          "curd ÷ this (req/s)"], r["servers"]))
        out.append("")
        out.append(table(["server", "RSS idle", "RSS peak under load"], r["memory"]))
        out.append("")
    if "attack" in r:
        out.append(r["attack"])
        out.append("")
    if "pull" in r:
        out.append(r["pull"])
        out.append("")
    if "bucket" in r:
        out.append(r["bucket"])
        out.append("")
    if "startup" in r:
        out.append(r["startup"])
        out.append("")
    if bench.failures:
        out.append("### Failures")
        out.append("")
        for what, problem, detail in bench.failures:
            out.append(f"{what}: {problem}")
            out.append("")
            out.append("```")
            out.append(detail)
            out.append("```")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def write_report(path, body):
    block = f"{BEGIN}\n{body}{END}"
    if path.is_file():
        text = path.read_text()
        if BEGIN in text and END in text:
            before, rest = text.split(BEGIN, 1)
            after = rest.split(END, 1)[1]
            path.write_text(before + block + after)
            return
    path.write_text("# Benchmarks\n\n" + block + "\n")


# ---------------------------------------------------------------------------
# Putting it together


def verdict(ok):
    return "met" if ok else "**missed**"


def time_goal(what, curd, other, factor):
    """A goal row: curd's median time under factor times the other's.

    When curd's min-max range and the other's (times factor) overlap, the verdict
    says so: the medians differ, but the runs do not settle it.
    """
    target = "< 1" if factor == 1 else f"≤ {factor:.2f}"
    if curd.median is None or other.median is None:
        return [what, target, "–", "**failed runs**"]
    measured = curd.median / other.median
    ok = measured < factor if factor == 1 else measured <= factor
    apart = (max(curd.values) < factor * min(other.values)
             or min(curd.values) > factor * max(other.values))
    return [what, target, f"{measured:.2f}", verdict(ok) + ("" if apart else " (ranges overlap)")]


def work_bound(what, curd, other, factor):
    """A row that tells whether a time goal can be met at all: curd's processor time
    (median) shared perfectly over every core is the least wall time its work allows.
    Past factor times the other's wall time, no schedule of that work meets the goal;
    only doing less work would."""
    cores = os.cpu_count() or 1
    target = f"≤ {factor:.2f}"
    if not curd.processor or other.median is None:
        return [what, target, "–", "**failed runs**"]
    measured = statistics.median(curd.processor) / cores / other.median
    ok = measured <= factor
    return [what, target, f"{measured:.2f}",
            "within reach" if ok else "**out of reach**: the work itself takes longer"]


def processor_rows(samples, tools, floor):
    """Wall and processor time of the floor and of each tool, and the processor time
    over the cores: the least wall time that work allows on this machine."""
    cores = os.cpu_count() or 1
    rows = []
    for name, s in [("floor (unzip)", floor)] + [(tool, samples[tool]) for tool in tools]:
        busy = statistics.median(s.processor) if s.processor else None
        rows.append([name, fmt(s.median), fmt(busy), fmt(None if busy is None else busy / cores)])
    return rows


def main():
    parser = argparse.ArgumentParser(description="curd against uv, pip, pypiserver, devpi-server and proxpi")
    parser.add_argument("--data", default=str(ROOT / "bench-data"))
    parser.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"),
                        help="the Markdown file to write the tables into ('-': none)")
    parser.add_argument("--reps", type=int, default=5, help="runs of each variant (default 5)")
    parser.add_argument("--wrk-seconds", type=int, default=3, help="length of each wrk run")
    parser.add_argument("--only",
                        default="install,noop,sdist,resolve,server,attack,pull,bucket,startup",
                        help="comma-separated scenarios to run")
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so every server started is stopped by its handle.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    only = set(args.only.split(","))
    bench = Bench(args)
    bench.check_inputs(only)
    bench.install_peers()
    if bench.work.exists():
        # A run cut short left its files: deleted, then a minute and more for the
        # disk to forget them (see remove()).
        shutil.rmtree(bench.work, ignore_errors=True)
        os.sync()
        time.sleep(65)
    bench.work.mkdir(parents=True)
    started = time.perf_counter()
    report = {"goals": []}
    goals = report["goals"]

    def lap(what):
        say(f"{what} done at {(time.perf_counter() - started) / 60:.1f} min")

    index_log = bench.work / "index-server.log"
    with curd_server(bench.data / "wheels", index_log) as index:
        bench.index = index
        index.wait_ready()
        expected = requirement_count(CI_REQUIREMENTS)

        if "install" in only:
            rows = []
            # One untimed round of each tool warms the server (hashes, metadata, pages)
            # and fills the caches of scenario 2.
            caches = fill_caches(bench, CI_REQUIREMENTS, expected, compile=True)
            lap("warm-up")
            for compile in (False, True):
                bytecode = "on" if compile else "off"
                floor = scenario_floor(bench, compile)
                floor_name = "unzip, 1 process per core" + (" + compileall -j 0" if compile else "")
                rows.append(["5 floor", bytecode, floor_name, fmt(floor.median), floor.span(),
                             "1.00", "–"])
                # Compiling costs the same whatever filled the venv and is the slowest
                # part of the bench: with bytecode on, warm clients (scenario 2) only,
                # each tool with its default link mode.
                if not compile:
                    cold = scenario_cold(bench, CI_REQUIREMENTS, expected, compile)
                    lap(f"scenario 1, bytecode {bytecode}")
                    for tool in INSTALLERS:
                        s = cold[tool]
                        rows.append(["1 cold client", bytecode, tool, fmt(s.median), s.span(),
                                     ratio(s.median, floor.median),
                                     ratio(cold["curd"].median, s.median)])
                    goals.append(time_goal(f"1 cold, bytecode {bytecode}: curd vs uv",
                                           cold["curd"], cold["uv"], 0.8))
                    goals.append(time_goal(f"1 cold, bytecode {bytecode}: curd vs the floor",
                                           cold["curd"], floor, 1.15))
                    goals.append(time_goal(f"1 cold, bytecode {bytecode}: curd vs pip",
                                           cold["curd"], cold["pip"], 0.2))
                    goals.append(work_bound(f"1 cold, bytecode {bytecode}: curd's processor "
                                            "time over the cores vs uv", cold["curd"],
                                            cold["uv"], 0.8))
                    goals.append(work_bound(f"1 cold, bytecode {bytecode}: curd's processor "
                                            "time over the cores vs the floor", cold["curd"],
                                            floor, 1.15))
                    report["processor"] = processor_rows(cold, INSTALLERS, floor)
                variants = [v for v in WARM_VARIANTS if not (compile and v[2])]
                warm = scenario_warm(bench, caches, CI_REQUIREMENTS, expected, compile, variants)
                lap(f"scenario 2, bytecode {bytecode}")
                for key, tool, copy in variants:
                    s = warm[key]
                    same = warm["curd copy" if copy else "curd"]
                    label = key + (" (hardlink)" if tool != "pip" and not copy else "")
                    rows.append(["2 warm client", bytecode, label, fmt(s.median), s.span(),
                                 ratio(s.median, floor.median), ratio(same.median, s.median)])
                for curd_key, uv_key, factor in (("curd", "uv", 0.7), ("curd copy", "uv copy", 0.85)):
                    if curd_key not in warm:
                        continue
                    goals.append(time_goal(f"2 warm, bytecode {bytecode}: {curd_key} vs {uv_key}",
                                           warm[curd_key], warm[uv_key], factor))
                    goals.append(time_goal(f"2 warm, bytecode {bytecode}: {curd_key} vs pip",
                                           warm[curd_key], warm["pip"], 0.2))
            report["install"] = rows

        if "noop" in only:
            if "install" not in only:
                caches = fill_caches(bench, CI_REQUIREMENTS, expected, tools=NOOP_TOOLS)
            noop = scenario_noop(bench, caches, CI_REQUIREMENTS, expected)
            report["noop"] = [[tool, fmt(noop[tool].median, 3), noop[tool].span(3),
                               ratio(noop["curd"].median, noop[tool].median)]
                              for tool in NOOP_TOOLS]
            goals.append(time_goal("6 no-op: curd vs uv pip install", noop["curd"], noop["uv"],
                                   0.5))
            lap("scenario 6")

        if "sdist" in only:
            # Scenario 3 has its own index: the sdists and what builds them, nothing else.
            sdist_log = bench.work / "sdist-server.log"
            with curd_server(bench.data / "sdist-server", sdist_log) as sdist_index:
                bench.index = sdist_index
                sdist_index.wait_ready()
                result, problem = scenario_sdist(bench, requirement_count(SDIST_REQUIREMENTS))
            bench.index = index
            report["sdist"] = sdist_section(result, problem, goals)
            lap("scenario 3")

        if "resolve" in only:
            rows = []
            for warm in (False, True):
                results, counts = scenario_resolve(bench, warm)
                state = "warm" if warm else "cold"
                for kind in RESOLVERS:
                    s = results[kind]
                    found = ", ".join(str(c) for c in sorted(counts[kind], key=str)) or "–"
                    rows.append([state, kind, fmt(s.median, 3), s.span(3), found,
                                 ratio(results["curd"].median, s.median)])
                goals.append(time_goal(f"4 resolution, {state} client: curd vs uv pip install "
                                       "--dry-run", results["curd"], results["uv install"], 1.0))
            report["resolve"] = rows
            lap("scenario 4")
    bench.index = None

    if "server" in only:
        targets, results, memory = scenario_servers(bench)
        report["server_files"] = sum(1 for _ in (bench.data / "server").iterdir())
        rows = []
        names = ["curd-server", *PYPISERVERS, CURD_QUIET, SENDFILE_LOOP]
        for label, kind, _, _ in targets:
            worst = None
            target = 20 if kind == "index" else 10
            beyond = []  # (connections, req/s the goal needs, the sendfile loop's)
            for connections in (1, 8, 64):
                curd = results[("curd-server", label, connections)]
                best_other = max((results[(n, label, connections)]["rps"] or 0) for n in PYPISERVERS)
                if curd["rps"] is not None and best_other:
                    r = curd["rps"] / best_other
                    worst = r if worst is None else min(worst, r)
                    least = results.get((SENDFILE_LOOP, label, connections), {}).get("rps")
                    if r < target:
                        beyond.append((connections, target * best_other, least))
                for name in names:
                    res = results.get((name, label, connections))
                    if res is None:
                        continue
                    rows.append([label, connections, name, fmt(res["rps"], 0), fmt(res["p50"], 2),
                                 fmt(res["p99"], 2), res["errors"],
                                 ratio(curd["rps"], res["rps"], 1) if name in PYPISERVERS else "–"])
            met = worst is not None and worst >= target
            verdict_text = verdict(met)
            if not met and beyond and all(least and need > least for _, need, least in beyond):
                verdict_text = "**out of reach**: more than the sendfile loop serves here (" + ", ".join(
                    f"{c} conn.: {need:.0f} req/s needed, loop {least:.0f}" for c, need, least in beyond) + ")"
            goals.append([f"server {label}: curd req/s over the better pypiserver, worst of 1/8/64",
                          f"≥ {target}×", fmt(worst, 1, "×"), verdict_text])
            if kind == "index":
                p99 = results[("curd-server", label, 64)]["p99"]
                quiet = results.get((CURD_QUIET, label, 64), {}).get("p99")
                goals.append([f"server {label}: p99 at 64 connections (log discarded)", "< 10 ms",
                              f"{fmt(p99, 2, ' ms')} ({fmt(quiet, 2, ' ms')})",
                              verdict(p99 is not None and p99 < 10)])
        report["servers"] = rows
        report["memory"] = [[name, fmt(idle / 1024 if idle else None, 1, " MiB"),
                             fmt(peak / 1024 if peak else None, 1, " MiB")]
                            for name, (idle, peak) in memory.items()]
        idle, peak = memory["curd-server"]
        goals.append(["server RSS, idle and peak under load", "< 20 MiB",
                      f"{fmt(idle / 1024, 1)} / {fmt(peak / 1024, 1)} MiB",
                      verdict(peak is not None and peak < 20 * 1024)])
        lap("server scenarios")

    if "attack" in only:
        big, results = scenario_attack(bench)
        report["attack"] = attack_section(big, results, goals)
        lap("attack scenario")

    if "pull" in only:
        results, problems, projects = scenario_pull(bench, requirement_count(CI_REQUIREMENTS))
        rss = scenario_pull_rss(bench)
        report["pull"] = pull_section(results, problems, projects, rss, goals)
        lap("pull-through scenario")

    if "bucket" in only:
        result, problem = scenario_bucket(bench)
        report["bucket"] = bucket_section(result, problem, goals, args.wrk_seconds)
        lap("bucket scenario")

    if "startup" in only:
        files, times, rss = scenario_startup(bench)
        rss_text = ", ".join(fmt(r / 1024 if r else None, 1) for r in rss)
        report["startup"] = (
            f"### curd-server start-up with {files:,} files\n\n"
            + table(["spawn to first /health", "min–max", "RSS when up (each run)"],
                    [[fmt(times.median, 3, " s"), times.span(3), rss_text + " MiB"]]))
        goals.append([f"curd-server start-up with {files:,} files", "< 1 s",
                      fmt(times.median, 3, " s"), verdict(times.median is not None and times.median < 1)])
        lap("start-up")

    report["elapsed"] = time.perf_counter() - started
    body = render(bench, report)
    print(body)
    if args.out != "-":
        write_report(Path(args.out), body)
        say(f"tables written into {args.out}")
    shutil.rmtree(bench.work, ignore_errors=True)


if __name__ == "__main__":
    main()

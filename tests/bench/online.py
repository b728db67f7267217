#!/usr/bin/env python3
"""Cold installs from the public index, over the real network: curd against uv.

`make bench-online` runs it; it needs the internet, so it is never part of
`make test` or `make bench`. Each run is a fresh client: a new venv (no pip in
it) and an empty cache folder, installing tests/bench/online-requirements.txt
(jupyterlab, about 90 distributions) from https://pypi.org/simple/ with bytecode
off. The tools take turns, run by run, so a change in the network's speed falls
on both. The table it prints (medians, min–max, and curd's median over uv's) is
what BENCHMARKS.md quotes; the installed sets are compared, so a ratio is never
of two different installs.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
REQUIREMENTS = HERE / "online-requirements.txt"


def installed(venv):
    """The `name==version` of every distribution in the venv, as its .dist-info names it."""
    site = next((venv / "lib").glob("python*/site-packages"))
    found = set()
    for dist_info in site.glob("*.dist-info"):
        name, _, version = dist_info.name[: -len(".dist-info")].partition("-")
        found.add(f"{name.lower().replace('_', '-')}=={version}")
    return found


def command(tool, args, venv, cache):
    python = venv / "bin" / "python"
    if tool == "curd":
        return [args.curd, "install", "-q", "--python", python, "--cache-dir", cache, "-r", REQUIREMENTS]
    return [args.uv, "pip", "install", "-q", "--no-config", "--python", python,
            "--index-url", "https://pypi.org/simple/", "--cache-dir", cache, "-r", REQUIREMENTS]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curd", default=str(ROOT / "target" / "x86_64-unknown-linux-musl" / "release" / "curd"))
    parser.add_argument("--uv", default=str(ROOT / ".tools" / "bin" / "uv"))
    parser.add_argument("--reps", type=int, default=5, help="runs of each tool (default 5)")
    args = parser.parse_args()
    env = {key: os.environ[key] for key in ("PATH", "HOME", "SSL_CERT_FILE") if key in os.environ}
    times = {"curd": [], "uv": []}
    sets = {}
    work = Path(tempfile.mkdtemp(prefix="curd-bench-online-", dir=ROOT / "target"))
    try:
        for run in range(args.reps):
            for tool in times:
                venv, cache = work / f"{tool}-{run}-venv", work / f"{tool}-{run}-cache"
                subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
                started = time.perf_counter()
                done = subprocess.run(command(tool, args, venv, cache), env=env,
                                      capture_output=True, text=True)
                seconds = time.perf_counter() - started
                if done.returncode != 0:
                    sys.exit(f"error: {tool} failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
                times[tool].append(seconds)
                sets[tool] = installed(venv)
                print(f"run {run + 1}: {tool} {seconds:.2f} s, {len(sets[tool])} distributions",
                      file=sys.stderr)
                # Kept until the end, and not synced: on this bench's machines
                # (ext4 without a journal, a virtual disk) files created in the
                # minute after a delete or a sync of thousands cost several times
                # as much (see remove() in run.py), and the next run would be
                # timed on that rather than on the tools.
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if sets["curd"] != sets["uv"]:
        only = sorted(sets["curd"] ^ sets["uv"])
        sys.exit(f"error: the tools installed different sets: {', '.join(only)}")
    medians = {tool: statistics.median(values) for tool, values in times.items()}
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"Measured {stamp} by `make bench-online`: {args.reps} interleaved cold runs each, "
          f"{len(sets['curd'])} distributions from https://pypi.org/simple/, bytecode off.\n")
    print("| tool | median | min–max | curd/this |")
    print("|---|---|---|---|")
    for tool, values in times.items():
        print(f"| {tool} | {medians[tool]:.2f} | {min(values):.2f}–{max(values):.2f} "
              f"| {medians['curd'] / medians[tool]:.2f} |")


if __name__ == "__main__":
    main()

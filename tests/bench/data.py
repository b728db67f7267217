#!/usr/bin/env python3
"""`make bench-data`: fetch the inputs of `make bench` once, into bench-data/.

This is the only step of the benchmarks that uses the network, and it uses it
only through pip (`python3 -m pip download`, from the index pip is configured
with). Everything `make bench` then does stays on this machine.

What it makes, under the data folder (git-ignored):

  sets/ci/        the CI set: ci-requirements.txt, 45 pinned wheels
  sets/resolve/   the resolution set: resolve-lock.txt, 161 pinned wheels
  sets/sdist/     sdist-only projects (sdist-requirements.txt)
  sets/build/     the setuptools and wheel wheels that build them
                  (build-requirements.txt)
  peers/          wheels of uv, pip, pypiserver, waitress, devpi-server and
                  proxpi (peers.txt) and their dependencies, which `make bench`
                  installs offline
  wheels/         the folder the install scenarios serve: every file of sets/
  sdist-server/   the folder scenario 3 serves: sets/sdist and sets/build only,
                  so its projects are found as sdists and nothing else
  server/         the folder the server scenarios serve: wheels/ and 1,000
                  small synthetic wheels, so 1,000+ files
  startup/        10,000 small synthetic wheels, for curd-server's start-up time

Files in wheels/ and server/ are hard links to sets/, so nothing is stored
twice. Each step writes a stamp naming its inputs and is skipped when the stamp
matches, so running this again costs nothing; delete the data folder to start
over. The wheels are for CPython 3.11 on x86_64 Linux, the interpreter this runs
with; other interpreters are refused.
"""

import argparse
import base64
import hashlib
import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# How many synthetic files each folder gets: projects times versions.
SERVER_SYNTHETIC = (250, 4)
STARTUP_SYNTHETIC = (2500, 4)


def log(message):
    print(f"bench-data: {message}", file=sys.stderr, flush=True)


def pip_env():
    """pip's environment, less what would mix other wheels into the download."""
    env = dict(os.environ)
    for name in ("PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_REQUIRE_VIRTUALENV", "PIP_TARGET"):
        env.pop(name, None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def stamp_ok(data, step, key):
    path = data / "stamps" / step
    return path.is_file() and path.read_text() == key


def stamp_write(data, step, key):
    (data / "stamps").mkdir(parents=True, exist_ok=True)
    (data / "stamps" / step).write_text(key)


def key_of(*parts):
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else str(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def pip_download(dest, args):
    """`pip download` into dest; a failure stops everything with pip's own words."""
    dest.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(dest), *args]
    log("$ " + " ".join(command))
    result = subprocess.run(command, env=pip_env())
    if result.returncode != 0:
        sys.exit(f"bench-data: pip download failed (exit {result.returncode})")


def download_step(data, step, dest, files, args):
    """One download, skipped when its stamp names the same requirement files."""
    key = key_of(step, *(f.read_bytes() for f in files), *args)
    if stamp_ok(data, step, key) and dest.is_dir():
        log(f"{step}: already there")
        return
    if dest.exists():
        shutil.rmtree(dest)
    for f in files:
        pip_download(dest, [*args, "-r", str(f)])
    stamp_write(data, step, key)


def synthetic_wheel(name, version):
    """The bytes of a small, valid wheel: one module, METADATA, WHEEL, RECORD.

    Fixed timestamps, so the same name and version always give the same bytes.
    """
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    files = {
        f"{dist}/__init__.py": f'"""Synthetic package {name} {version}, for benchmarks."""\n'
        f'__version__ = "{version}"\n',
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        f"Summary: synthetic package for curd's benchmarks\nRequires-Python: >=3.8\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: curd-bench\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in files.items():
            raw = text.encode()
            archive.writestr(zipfile.ZipInfo(path, (1980, 1, 1, 0, 0, 0)), raw)
            digest = hashlib.sha256(raw).digest()
            b64 = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            record.append(f"{path},sha256={b64},{len(raw)}")
        record.append(f"{info}/RECORD,,")
        archive.writestr(
            zipfile.ZipInfo(f"{info}/RECORD", (1980, 1, 1, 0, 0, 0)), "\n".join(record) + "\n"
        )
    return f"{dist}-{version}-py3-none-any.whl", buffer.getvalue()


def write_synthetic(folder, prefix, shape):
    projects, versions = shape
    count = 0
    for p in range(projects):
        for v in range(versions):
            filename, raw = synthetic_wheel(f"{prefix}-{p:05d}", f"1.{v}.0")
            (folder / filename).write_bytes(raw)
            count += 1
    return count


def link_all(sources, folder):
    """Hard-links every file of the source folders into folder (copies across devices)."""
    count = 0
    for source in sources:
        for path in sorted(source.iterdir()):
            if not path.is_file() or path.name.startswith("."):
                continue
            target = folder / path.name
            if target.exists():
                continue
            try:
                os.link(path, target)
            except OSError:
                shutil.copy2(path, target)
            count += 1
    return count


def folder_step(data, step, folder, key, fill):
    if stamp_ok(data, step, key) and folder.is_dir():
        log(f"{step}: already there")
        return
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    count = fill(folder)
    log(f"{step}: {count} files in {folder}")
    stamp_write(data, step, key)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", default="bench-data", help="the data folder")
    args = parser.parse_args()
    if sys.version_info[:2] != (3, 11) or not sys.platform.startswith("linux"):
        sys.exit(
            "bench-data: the benchmark sets are wheels for CPython 3.11 on Linux, "
            f"found Python {sys.version.split()[0]} on {sys.platform}\n"
            "hint: make bench-data PYTHON=python3.11"
        )
    data = Path(args.data).resolve()
    data.mkdir(parents=True, exist_ok=True)
    sets = data / "sets"
    wheels_only = ["--only-binary", ":all:", "--no-deps"]

    download_step(data, "ci", sets / "ci", [HERE / "ci-requirements.txt"], wheels_only)
    download_step(data, "resolve", sets / "resolve", [HERE / "resolve-lock.txt"], wheels_only)
    download_step(
        data,
        "sdist",
        sets / "sdist",
        [HERE / "sdist-requirements.txt"],
        ["--no-binary", ":all:", "--no-deps"],
    )
    download_step(data, "build", sets / "build", [HERE / "build-requirements.txt"], wheels_only)
    download_step(data, "peers", data / "peers", [HERE / "peers.txt"], ["--only-binary", ":all:"])

    set_dirs = [sets / name for name in ("ci", "resolve", "sdist", "build")]
    listing = key_of(*(sorted(p.name for d in set_dirs for p in d.iterdir())))
    folder_step(data, "wheels", data / "wheels", listing, lambda f: link_all(set_dirs, f))
    sdist_dirs = [sets / "sdist", sets / "build"]
    folder_step(
        data,
        "sdist-server",
        data / "sdist-server",
        key_of(*(sorted(p.name for d in sdist_dirs for p in d.iterdir()))),
        lambda f: link_all(sdist_dirs, f),
    )
    folder_step(
        data,
        "server",
        data / "server",
        key_of(listing, SERVER_SYNTHETIC),
        lambda f: link_all([data / "wheels"], f)
        + write_synthetic(f, "benchsynth", SERVER_SYNTHETIC),
    )
    folder_step(
        data,
        "startup",
        data / "startup",
        key_of(STARTUP_SYNTHETIC),
        lambda f: write_synthetic(f, "benchstart", STARTUP_SYNTHETIC),
    )
    size = sum(p.stat().st_size for d in set_dirs for p in d.iterdir())
    log(f"ready: {size / 2**20:.0f} MiB of real distributions in {data}")


if __name__ == "__main__":
    main()

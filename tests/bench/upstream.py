"""The pull-through scenario's upstream: a static PEP 503 tree, as PyPI serves it.

PyPI's /simple/ pages are static files behind a CDN; here they are files on disk
served by `python3 -m http.server` on 127.0.0.1. Each project page links its
files with `#sha256=` and, like PyPI, a PEP 658/714 METADATA file beside each
wheel (`data-core-metadata`, `data-dist-info-metadata`), so uv and pip read what
they would read from PyPI. Standard library only.
"""

import base64
import hashlib
import html
import io
import re
import zipfile
from pathlib import Path


def project_of(filename):
    """The normalized project name of a wheel's file name."""
    return re.sub(r"[-_.]+", "-", filename.split("-", 1)[0]).lower()


def wheel_metadata(path):
    """The bytes of a wheel's .dist-info/METADATA, or None when it has none."""
    with zipfile.ZipFile(path) as wheel:
        for name in wheel.namelist():
            parts = name.split("/")
            if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                return wheel.read(name)
    return None


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def static_tree(wheels, root):
    """root/simple/ (pages) and root/files/ (hard links) for every wheel in wheels.

    Returns the number of projects.
    """
    files = root / "files"
    files.mkdir(parents=True)
    projects = {}
    for path in sorted(Path(wheels).glob("*.whl")):
        target = files / path.name
        try:
            target.hardlink_to(path)
        except OSError:
            target.write_bytes(path.read_bytes())
        metadata = wheel_metadata(path)
        link = {"name": path.name, "sha256": sha256_of(path), "metadata": None}
        if metadata is not None:
            (files / (path.name + ".metadata")).write_bytes(metadata)
            link["metadata"] = hashlib.sha256(metadata).hexdigest()
        projects.setdefault(project_of(path.name), []).append(link)
    simple = root / "simple"
    simple.mkdir()
    names = sorted(projects)
    (simple / "index.html").write_text(
        "<!DOCTYPE html><html><body>\n"
        + "".join(f'<a href="{n}/">{n}</a>\n' for n in names)
        + "</body></html>\n")
    for name in names:
        rows = []
        for link in projects[name]:
            meta = ""
            if link["metadata"]:
                meta = (f' data-core-metadata="sha256={link["metadata"]}"'
                        f' data-dist-info-metadata="sha256={link["metadata"]}"')
            href = html.escape(f"../../files/{link['name']}#sha256={link['sha256']}")
            rows.append(f'<a href="{href}"{meta}>{html.escape(link["name"])}</a><br>\n')
        page = simple / name
        page.mkdir()
        (page / "index.html").write_text(
            f"<!DOCTYPE html><html><head><title>Links for {name}</title></head><body>\n"
            + "".join(rows) + "</body></html>\n")
    return len(names)


def synthetic_wheel(folder, project, version):
    """A minimal valid wheel (METADATA, WHEEL, RECORD and one module), under 1 KiB."""
    dist = f"{project}-{version}"
    files = {
        f"{project}/__init__.py": f"VERSION = {version!r}\n".encode(),
        f"{dist}.dist-info/METADATA": (f"Metadata-Version: 2.1\nName: {project}\n"
                                       f"Version: {version}\n").encode(),
        f"{dist}.dist-info/WHEEL": (b"Wheel-Version: 1.0\nGenerator: curd-bench\n"
                                    b"Root-Is-Purelib: true\nTag: py3-none-any\n"),
    }
    record = io.StringIO()
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.write(f"{name},sha256={digest},{len(data)}\n")
    record.write(f"{dist}.dist-info/RECORD,,\n")
    files[f"{dist}.dist-info/RECORD"] = record.getvalue().encode()
    path = folder / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
    return path


def synthetic_wheels(folder, projects, versions):
    """projects × versions synthetic wheels, `pullbench0000-1.0.0` and on, in folder."""
    folder.mkdir(parents=True)
    for p in range(projects):
        for v in range(versions):
            synthetic_wheel(folder, f"pullbench{p:04d}", f"1.0.{v}")

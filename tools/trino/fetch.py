"""Download, verify and unpack the Trino server the SQL tests run, into ``.cache/trino/<version>/``.

    python3 tools/trino/fetch.py            # prints the installation directory
    python3 tools/trino/fetch.py --json     # {"version", "home", "minimum_java"}, for tests/trino_server.py

Athena engine 3 is Trino, and AWS documents no fixed Trino release for it (it follows upstream); so this is
the newest Trino release Maven Central serves here, 476, which needs Java 24.0.1 or newer (a Temurin 25 JDK
runs it; Java 17 runs no Trino newer than 435). Two artifacts make a server with the Hive connector:
``io.trino:trino-server-core`` (the engine, 194 MB) and ``io.trino:trino-hive`` (the plugin, 258 MB),
452 MB together, where the full ``trino-server`` tarball, with every connector, is 821 MB.

Each file is checked against the SHA-1 Maven Central publishes next to it and against the SHA-256 pinned
below, so neither a changed upload nor a truncated download is ever unpacked. Only ``lib/`` of the core
is kept, and the Hive plugin beside it: the core's own plugins (Python functions, spooling, exchange...)
are not used by the tests and would each cost start-up time. The finished tree is renamed into place in
one step, under a lock, so a run that stops half way leaves nothing that looks installed, and a second
run downloads nothing.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

VERSION = "476"
MINIMUM_JAVA = "24.0.1"  # io.trino.server.TrinoSystemRequirements of this release refuses anything older
REPOSITORY = "https://repo1.maven.org/maven2"
REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE = REPO_ROOT / ".cache" / "trino"
READ_TIMEOUT_SECONDS = 60  # per socket read: a stalled download fails instead of hanging the test run
CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Artifact:
    """One file of Maven Central: its coordinates and the SHA-256 it must have."""

    artifact_id: str
    extension: str
    sha256: str

    @property
    def file_name(self) -> str:
        return f"{self.artifact_id}-{VERSION}.{self.extension}"

    @property
    def url(self) -> str:
        return f"{REPOSITORY}/io/trino/{self.artifact_id}/{VERSION}/{self.file_name}"


SERVER_CORE = Artifact(
    "trino-server-core", "tar.gz", "0f388f9967c177ae70a47c099082fc95387f0c3cb96d8000d1d41fc3a5223158"
)
HIVE_PLUGIN = Artifact("trino-hive", "zip", "611bacdb07d9f3cf7b9d47f97ecc76fa2e7ff8bfe8a9728c3d06adc1bfb8662e")
# What is kept of the core tarball, below its top directory.
CORE_KEPT = ("lib/", "NOTICE", "README.txt")


def _open(url: str) -> IO[bytes]:
    """An HTTPS response; only Maven Central's https URLs are ever opened."""
    if not url.startswith(f"{REPOSITORY}/"):
        raise ValueError(f"not a Maven Central URL: {url}")
    response: IO[bytes] = urllib.request.urlopen(url, timeout=READ_TIMEOUT_SECONDS)  # noqa: S310 - https only
    return response


def published_sha1(artifact: Artifact) -> str:
    """The ``.sha1`` Maven Central serves next to the file (its first word: some carry the file name too)."""
    with _open(f"{artifact.url}.sha1") as response:
        return response.read().decode("ascii").split()[0].lower()


def download(artifact: Artifact, directory: Path) -> Path:
    """The artifact saved in ``directory``, after both of its checksums matched; ValueError otherwise."""
    expected_sha1 = published_sha1(artifact)
    target = directory / artifact.file_name
    sha1, sha256 = hashlib.sha1(usedforsecurity=False), hashlib.sha256()
    started = time.monotonic()
    with _open(artifact.url) as response, target.open("wb") as out:
        while chunk := response.read(CHUNK):
            sha1.update(chunk)
            sha256.update(chunk)
            out.write(chunk)
    seconds = time.monotonic() - started
    if sha1.hexdigest() != expected_sha1:
        raise ValueError(f"{artifact.file_name}: SHA-1 {sha1.hexdigest()}, Maven Central publishes {expected_sha1}")
    if sha256.hexdigest() != artifact.sha256:
        raise ValueError(f"{artifact.file_name}: SHA-256 {sha256.hexdigest()}, pinned {artifact.sha256}")
    size = target.stat().st_size
    print(f"downloaded {artifact.file_name}: {size / 1e6:.1f} MB in {seconds:.1f} s, checksums match", file=sys.stderr)
    return target


def _below_top(name: str) -> str:
    """An archive member's path without the archive's single top directory (``trino-hive-476/x`` -> ``x``)."""
    parts = PurePosixPath(name).parts
    return "/".join(parts[1:])


def unpack_core(archive: Path, destination: Path) -> None:
    """The kept part of the core tarball (``CORE_KEPT``) into ``destination``."""
    with tarfile.open(archive, "r:gz") as tar:
        members = []
        for member in tar.getmembers():
            relative = _below_top(member.name)
            if relative.startswith(CORE_KEPT):
                member.name = relative
                members.append(member)
        tar.extractall(destination, members=members, filter="data")


def unpack_plugin(archive: Path, destination: Path) -> None:
    """The Hive plugin's jars into ``destination`` (the zip holds one top directory of jars)."""
    destination.mkdir(parents=True)
    with zipfile.ZipFile(archive) as plugin:
        for entry in plugin.infolist():
            relative = _below_top(entry.filename)
            if entry.is_dir() or not relative or "/" in relative or relative.startswith("."):
                continue
            with plugin.open(entry) as source, (destination / relative).open("wb") as out:
                shutil.copyfileobj(source, out, CHUNK)


@contextmanager
def _locked(cache: Path) -> Iterator[None]:
    """One fetch at a time per cache (``make trino`` and a test run may start together)."""
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def install_dir(cache: Path = CACHE) -> Path:
    """Where this version is (or will be) installed."""
    return cache / VERSION


def ensure_installed(cache: Path = CACHE) -> Path:
    """The installed server's directory, downloading and unpacking it first when it is not there yet."""
    target = install_dir(cache)
    with _locked(cache):
        if target.is_dir():
            return target
        for stale in cache.glob(f".{VERSION}-*"):  # what a run killed half way left behind
            shutil.rmtree(stale, ignore_errors=True)
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=cache, prefix=f".{VERSION}-") as scratch:
            work = Path(scratch)
            tree = work / "tree"
            unpack_core(download(SERVER_CORE, work), tree)
            unpack_plugin(download(HIVE_PLUGIN, work), tree / "plugin" / "hive")
            tree.rename(target)  # the archives go with the scratch directory
        print(f"installed Trino {VERSION} in {target} in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return target


def main(argv: list[str] | None = None) -> int:
    """Install when missing; print the installation directory (or, with --json, what a caller needs to run it)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cache", type=Path, default=CACHE, help="cache directory (default: .cache/trino)")
    parser.add_argument("--json", action="store_true", help="print version, home and minimum_java as JSON")
    arguments = parser.parse_args(argv)
    home = ensure_installed(arguments.cache)
    if arguments.json:
        print(json.dumps({"version": VERSION, "home": str(home), "minimum_java": MINIMUM_JAVA}))
    else:
        print(home)
    return 0


if __name__ == "__main__":
    sys.exit(main())

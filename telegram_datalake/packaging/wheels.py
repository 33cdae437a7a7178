"""Installing pinned wheels for a target platform into a folder, through a local download cache."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WHEEL_CACHE = REPO / ".cache" / "wheels"
_PIN = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*==\s*([A-Za-z0-9_.+!-]+)\s*(?:#.*)?$")


_MANYLINUX = re.compile(r"manylinux_2_(?P<minor>[0-9]+)_(?P<arch>[a-z0-9_]+)")
OLDEST_MANYLINUX_MINOR = 17  # manylinux2014: the oldest tag wheels for Python 3.13 carry


@dataclass(frozen=True)
class Target:
    """The interpreter and platform the installed wheels must run on (the Lambda runtime's)."""

    python_version: str = "3.13"
    platform: str | None = None  # a manylinux tag such as manylinux_2_28_aarch64; None: this machine

    def platforms(self) -> list[str]:
        """The target's manylinux tag and every older one its glibc runs (a wheel may carry only an older
        tag, e.g. orjson's manylinux_2_17), newest first: pip takes ``--platform`` tags literally."""
        if self.platform is None:
            return []
        match = _MANYLINUX.fullmatch(self.platform)
        if match is None:
            return [self.platform]
        minor, arch = int(match["minor"]), match["arch"]
        older = [f"manylinux_2_{version}_{arch}" for version in range(minor - 1, OLDEST_MANYLINUX_MINOR - 1, -1)]
        return [self.platform, *older, f"manylinux2014_{arch}"]

    def pip_options(self) -> list[str]:
        if self.platform is None:
            return []
        return [
            *(f"--platform={platform}" for platform in self.platforms()),
            f"--python-version={self.python_version}",
            "--implementation=cp",
            "--only-binary=:all:",
        ]

    @property
    def cache_dir(self) -> Path:
        return WHEEL_CACHE / f"cp{self.python_version.replace('.', '')}-{self.platform or 'host'}"


def read_pins(requirements: Path) -> dict[str, str]:
    """``name == version`` lines of a requirements file; anything looser is refused (builds must be pinned)."""
    pins: dict[str, str] = {}
    for number, line in enumerate(requirements.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _PIN.match(line)
        if not match:
            raise ValueError(f"{requirements}:{number}: pin an exact version (name==version), got {line.strip()!r}")
        pins[normalise(match[1])] = match[2]
    return pins


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_versions(target_dir: Path) -> dict[str, str]:
    """The versions pip actually installed, read from the ``*.dist-info`` folders."""
    versions: dict[str, str] = {}
    for metadata in target_dir.glob("*.dist-info/METADATA"):
        fields = dict(
            line.split(": ", 1)
            for line in metadata.read_text().splitlines()
            if line.startswith(("Name: ", "Version: "))
        )
        versions[normalise(fields["Name"])] = fields["Version"]
    return versions


def _pip(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *arguments]
    return subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed pip call


def install_pinned(requirements: Path, target_dir: Path, target: Target) -> dict[str, str]:
    """Install exactly the pins of ``requirements`` into ``target_dir``; fail if pip resolved anything else.

    Wheels come from the local cache, and are downloaded into it first when missing, so repeated
    builds (and the test suite) do not download again.
    """
    pins = read_pins(requirements)
    target.cache_dir.mkdir(parents=True, exist_ok=True)
    common = [*target.pip_options(), "--no-deps", "-r", str(requirements)]
    install = ["install", "--quiet", "--no-compile", "--no-index", f"--find-links={target.cache_dir}"]
    result = _pip(*install, f"--target={target_dir}", *common)
    if result.returncode != 0:
        download = _pip("download", "--quiet", f"--dest={target.cache_dir}", *common)
        if download.returncode != 0:
            raise RuntimeError(f"pip could not download {requirements.name} for {target}:\n{download.stderr}")
        result = _pip(*install, f"--target={target_dir}", *common)
        if result.returncode != 0:
            raise RuntimeError(f"pip could not install {requirements.name} for {target}:\n{result.stderr}")
    installed = installed_versions(target_dir)
    check_versions(pins, installed)
    return installed


def check_versions(pins: dict[str, str], installed: dict[str, str]) -> None:
    """Fail unless every pin was installed at exactly its version.

    pip, asked for a platform whose tag a release lacks, can settle on an older release that has it;
    a layer built that way would not be the pyarrow the tests ran with.
    """
    wrong = {name: (version, installed.get(name)) for name, version in pins.items() if installed.get(name) != version}
    if wrong:
        details = ", ".join(f"{name}: pinned {pin}, got {got}" for name, (pin, got) in sorted(wrong.items()))
        raise RuntimeError(f"pip installed other versions than pinned: {details}")

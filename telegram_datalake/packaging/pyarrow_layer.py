"""``dist/pyarrow-layer.zip``: pyarrow for the ETL function, slimmed to what ``pyarrow.parquet`` needs.

Built without Docker: pip installs the pinned manylinux wheel for the Lambda runtime's Python and
architecture into ``python/`` (the folder Lambda puts on ``sys.path``), then the layer loses what the
ETL never loads (tests, headers, Cython sources, Flight, the cloud filesystems, ORC...) and its shared
libraries are stripped. The libraries ``pyarrow.lib`` links (compute, acero, dataset, substrait,
parquet) all stay.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from telegram_datalake.packaging.layer_slimming import slim_pyarrow
from telegram_datalake.packaging.reproducible_zip import tree_entries, write_reproducible_zip
from telegram_datalake.packaging.wheels import REPO, Target, install_pinned

REQUIREMENTS = REPO / "layers" / "pyarrow" / "requirements.txt"
PLATFORMS = {"arm64": "manylinux_2_28_aarch64", "x86_64": "manylinux_2_28_x86_64"}
MB = 1024 * 1024
# What the layer may weigh (Lambda allows 250 MB unzipped for a function and its layers together).
BUDGET_UNZIPPED_BYTES = 85 * MB
BUDGET_ZIPPED_BYTES = 30 * MB
STRIP_COMMANDS = ("llvm-strip", *(f"llvm-strip-{version}" for version in range(25, 13, -1)))


@dataclass(frozen=True)
class LayerReport:
    """Sizes of the layer before and after slimming, printed by the build and kept for the README."""

    architecture: str
    python_version: str
    pyarrow_version: str
    installed_bytes: int
    unzipped_bytes: int
    zipped_bytes: int

    def lines(self) -> list[str]:
        return [
            f"pyarrow {self.pyarrow_version} layer for {self.architecture}, Python {self.python_version}:",
            f"  installed wheel  {self.installed_bytes / MB:7.1f} MB",
            f"  slim, unzipped   {self.unzipped_bytes / MB:7.1f} MB (budget {BUDGET_UNZIPPED_BYTES / MB:.0f} MB)",
            f"  slim, zipped     {self.zipped_bytes / MB:7.1f} MB (budget {BUDGET_ZIPPED_BYTES / MB:.0f} MB)",
        ]


def find_strip() -> str:
    """``llvm-strip`` (any version): unlike binutils' strip it handles both aarch64 and x86_64 binaries."""
    for command in STRIP_COMMANDS:
        path = shutil.which(command)
        if path:
            return path
    raise SystemExit("llvm-strip is missing: install LLVM (Debian/Ubuntu: apt-get install llvm)")


def strip_binaries(site_dir: Path, strip: str) -> None:
    """Remove symbols and debug sections that dlopen does not need."""
    libraries = sorted(str(path) for path in site_dir.rglob("*.so*") if path.is_file())
    if libraries:
        subprocess.run([strip, "--strip-unneeded", *libraries], check=True)  # noqa: S603 - our own arguments


def tree_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def build_layer(
    architecture: str, output: Path, python_version: str = "3.13", enforce_budget: bool = True
) -> LayerReport:
    """Build the layer zip at ``output``; SystemExit (with the sizes) when it is over budget."""
    target = Target(python_version=python_version, platform=PLATFORMS[architecture])
    strip = find_strip()
    with tempfile.TemporaryDirectory(prefix=f"pyarrow-layer-{architecture}-") as work:
        site_dir = Path(work) / "python"
        versions = install_pinned(REQUIREMENTS, site_dir, target)
        installed = tree_bytes(site_dir)
        slim_pyarrow(site_dir)
        strip_binaries(site_dir, strip)
        unzipped = tree_bytes(site_dir)
        zipped = write_reproducible_zip(tree_entries(site_dir, prefix="python/"), output)
    report = LayerReport(architecture, python_version, versions["pyarrow"], installed, unzipped, zipped)
    print("\n".join(report.lines()))
    if unzipped > BUDGET_UNZIPPED_BYTES or zipped > BUDGET_ZIPPED_BYTES:
        output.unlink()
        raise SystemExit(f"{output.name} is over its size budget (see above); nothing was written")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="arm64", help="Lambda architecture")
    parser.add_argument("--python-version", default="3.13", help="the Lambda runtime's Python (default 3.13)")
    parser.add_argument("--output", type=Path, default=REPO / "dist" / "pyarrow-layer.zip")
    arguments = parser.parse_args()
    build_layer(arguments.arch, arguments.output, arguments.python_version)


if __name__ == "__main__":
    main()

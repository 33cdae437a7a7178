"""What the ETL's pyarrow layer can lose: everything ``pyarrow.parquet`` never loads.

Kept on purpose: ``lib`` and the libraries it links (libarrow, compute, acero, dataset, substrait,
parquet, arrow_python), the extension modules ``pyarrow.parquet`` and ``pyarrow.dataset`` import
(_compute, _fs, _parquet, _dataset, _dataset_parquet, _csv, _json, _feather, _acero, encryption).
"""

from __future__ import annotations

import hashlib
import shutil
from collections import defaultdict
from pathlib import Path

# Folders inside pyarrow/: tests, C++ headers, Cython declarations, C++ sources.
REMOVED_DIRS = ("tests", "include", "includes", "src", "__pycache__")
# Source and build leftovers anywhere in the package.
REMOVED_SUFFIXES = (".pyx", ".pxd", ".pxi", ".h", ".hpp", ".cc", ".cpp", ".pyc")
# Extension modules and their libraries that pyarrow.parquet never imports.
REMOVED_PREFIXES = (
    "_flight",
    "libarrow_flight",
    "libarrow_python_flight",
    "_s3fs",
    "libarrow_s3",
    "_gcsfs",
    "_azurefs",
    "_hdfs",
    "_orc",
    "_dataset_orc",
    "_substrait",
    "_cuda",
    "libarrow_cuda",
    "_pyarrow_cpp_tests",
    "gandiva",
    "libgandiva",
)
# Python wrappers of what was removed, and modules for other runtimes.
REMOVED_MODULES = ("flight.py", "orc.py", "cuda.py", "substrait.py", "jvm.py", "benchmark.py", "conftest.py")


def remove_unneeded(package_dir: Path) -> None:
    for name in REMOVED_DIRS:
        for folder in list(package_dir.rglob(name)):
            if folder.is_dir():
                shutil.rmtree(folder)
    for path in list(package_dir.rglob("*")):
        if not path.is_file():
            continue
        removable = (
            path.suffix in REMOVED_SUFFIXES
            or (path.parent == package_dir and path.name.startswith(REMOVED_PREFIXES))
            or (path.parent == package_dir and path.name in REMOVED_MODULES)
        )
        if removable:
            path.unlink()


def remove_duplicate_libraries(package_dir: Path) -> None:
    """Wheels cannot hold symlinks, so ``libX.so``, ``libX.so.N`` and ``libX.so.N.M.P`` are full copies.

    Only the name a library records as its own (its SONAME, the one other libraries link) is ever
    loaded; identical copies under other names go.
    """
    copies: dict[str, list[Path]] = defaultdict(list)
    for path in package_dir.glob("lib*.so*"):
        copies[hashlib.sha256(path.read_bytes()).hexdigest()].append(path)
    for paths in copies.values():
        if len(paths) < 2:  # noqa: PLR2004 - a pair is the smallest duplicate
            continue
        content = paths[0].read_bytes()
        linked = [path for path in paths if path.name.encode() + b"\x00" in content]
        if len(linked) != 1:
            raise RuntimeError(f"cannot tell which copy is linked among {sorted(path.name for path in paths)}")
        for path in paths:
            if path != linked[0]:
                path.unlink()


def slim_pyarrow(site_dir: Path) -> None:
    """Slim ``site_dir/pyarrow`` in place."""
    package_dir = site_dir / "pyarrow"
    if not package_dir.is_dir():
        raise RuntimeError(f"no pyarrow package in {site_dir}")
    remove_unneeded(package_dir)
    remove_duplicate_libraries(package_dir)

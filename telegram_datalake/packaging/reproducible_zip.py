"""Zip files whose bytes depend only on the files' names and contents.

Terraform redeploys when ``source_code_hash`` changes; a zip that embeds build times or the
builder's umask would change on every build and cause a perpetual diff.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
FILE_MODE = 0o644
EXECUTABLE_MODE = 0o755  # shared libraries, as the wheels ship them
UNIX = 3


def entry_mode(arcname: str) -> int:
    """The permission bits an entry gets, whatever they are on the build machine."""
    name = arcname.rsplit("/", 1)[-1]
    return EXECUTABLE_MODE if name.endswith(".so") or ".so." in name else FILE_MODE


def write_reproducible_zip(entries: Iterable[tuple[str, Path]], output: Path) -> int:
    """Write ``(arcname, source)`` entries sorted by name with fixed times and modes; return the zip's size."""
    ordered = sorted(entries)
    names = [arcname for arcname, _ in ordered]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate entries in {output.name}")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for arcname, source in ordered:
            info = zipfile.ZipInfo(arcname, date_time=FIXED_DATE_TIME)
            info.create_system = UNIX
            info.external_attr = (0o100000 | entry_mode(arcname)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, source.read_bytes(), compresslevel=9)
    partial.replace(output)  # never leave a half-written zip where Terraform looks
    return output.stat().st_size


def tree_entries(root: Path, prefix: str = "") -> list[tuple[str, Path]]:
    """Every file under ``root`` as ``(prefix + relative path, path)``, caches left out."""
    return [
        (prefix + path.relative_to(root).as_posix(), path)
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    ]

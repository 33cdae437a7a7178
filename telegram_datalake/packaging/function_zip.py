"""``dist/<function>.zip``: one Lambda function's own code, plus the time zone database.

The zip keeps the repository's package path (``functions/<name>/...``), so the handler is
``functions.<name>.handler.lambda_handler`` in Lambda exactly as in the tests. boto3 comes from
the runtime and pyarrow from the layer; ``tzdata`` is bundled because ``zoneinfo`` needs a time zone
database and the python3.13 runtime (Amazon Linux 2023 minimal) is not guaranteed to ship one.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from telegram_datalake.packaging.reproducible_zip import tree_entries, write_reproducible_zip
from telegram_datalake.packaging.wheels import REPO, Target, install_pinned

FUNCTIONS_DIR = REPO / "functions"
FUNCTION_NAMES = ("ingest", "etl")
RUNTIME_REQUIREMENTS = FUNCTIONS_DIR / "requirements.txt"
MAX_ZIP_BYTES = 1024 * 1024


def code_entries(function: str) -> list[tuple[str, Path]]:
    """The function's modules and the shared ones it imports; nothing else from the repository."""
    if function not in FUNCTION_NAMES:
        raise ValueError(f"unknown function {function!r}; expected one of {FUNCTION_NAMES}")
    entries = [("functions/__init__.py", FUNCTIONS_DIR / "__init__.py")]
    for package in ("common", function):
        entries += [
            (f"functions/{package}/{path.name}", path) for path in sorted((FUNCTIONS_DIR / package).glob("*.py"))
        ]
    return entries


def build_function_zip(function: str, output: Path) -> int:
    """Write the function's zip and return its size; fail when it outgrows MAX_ZIP_BYTES."""
    with tempfile.TemporaryDirectory(prefix=f"{function}-vendor-") as vendor:
        vendor_dir = Path(vendor)
        install_pinned(RUNTIME_REQUIREMENTS, vendor_dir, Target(platform="any"))
        size = write_reproducible_zip([*code_entries(function), *tree_entries(vendor_dir)], output)
    if size > MAX_ZIP_BYTES:
        output.unlink()
        raise SystemExit(f"{output} is {size:,} bytes, over the {MAX_ZIP_BYTES:,}-byte budget of a function zip")
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("function", choices=FUNCTION_NAMES)
    parser.add_argument("--output", type=Path, help="default: dist/<function>.zip")
    arguments = parser.parse_args()
    output = arguments.output or REPO / "dist" / f"{arguments.function}.zip"
    size = build_function_zip(arguments.function, output)
    print(f"{output.relative_to(REPO) if output.is_relative_to(REPO) else output}: {size:,} bytes")


if __name__ == "__main__":
    main()

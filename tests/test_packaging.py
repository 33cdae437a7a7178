"""The deployable artifacts: reproducible function zips with only their own code, and a slim layer that works.

The layer test builds pyarrow for this machine's architecture and Python with the same code that
builds the arm64 layer for Lambda, then imports it in an interpreter that sees nothing else.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from telegram_datalake.packaging.function_zip import FUNCTION_NAMES, MAX_ZIP_BYTES, build_function_zip
from telegram_datalake.packaging.pyarrow_layer import (
    BUDGET_UNZIPPED_BYTES,
    BUDGET_ZIPPED_BYTES,
    LayerReport,
    build_layer,
)
from telegram_datalake.packaging.reproducible_zip import FIXED_DATE_TIME, write_reproducible_zip
from telegram_datalake.packaging.wheels import Target, check_versions, read_pins
from tests.hcl import REPO

HOST_ARCHITECTURE = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]
HOST_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def expected_code(function: str) -> set[str]:
    paths = [REPO / "functions" / "__init__.py"]
    for package in ("common", function):
        paths += (REPO / "functions" / package).glob("*.py")
    return {path.relative_to(REPO).as_posix() for path in paths}


@pytest.fixture(scope="module")
def function_zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("functions")
    return {name: folder / f"{name}.zip" for name in FUNCTION_NAMES if build_function_zip(name, folder / f"{name}.zip")}


@pytest.mark.parametrize("function", FUNCTION_NAMES)
def test_function_zip_holds_its_code_and_the_time_zone_database_only(
    function_zips: dict[str, Path], function: str
) -> None:
    """No tests, no caches, not the other function's code; boto3 and pyarrow come from the runtime and layer."""
    names = zip_names(function_zips[function])
    assert names == sorted(names)
    code = {name for name in names if name.startswith("functions/")}
    vendored = {name.split("/", 1)[0] for name in names if not name.startswith("functions/")}
    assert code == expected_code(function)
    assert vendored == {"tzdata", "tzdata-2026.6.dist-info"}
    assert "tzdata/zoneinfo/America/Sao_Paulo" in names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert function_zips[function].stat().st_size < MAX_ZIP_BYTES


@pytest.mark.parametrize("function", FUNCTION_NAMES)
def test_function_zip_is_byte_identical_when_rebuilt(
    function_zips: dict[str, Path], function: str, tmp_path: Path
) -> None:
    """Same sources, same bytes, whatever the files' times: Terraform sees no change without a code change."""
    for path in (REPO / "functions" / function).glob("*.py"):
        os.utime(path)  # a checkout or an edit-and-undo changes mtimes, not content
    rebuilt = tmp_path / f"{function}.zip"
    build_function_zip(function, rebuilt)
    assert rebuilt.read_bytes() == function_zips[function].read_bytes()
    with zipfile.ZipFile(rebuilt) as archive:
        assert {info.date_time for info in archive.infolist()} == {FIXED_DATE_TIME}
        assert {info.external_attr >> 16 for info in archive.infolist()} == {0o100644}


def test_function_zip_runs_the_handler_from_the_zip_alone(function_zips: dict[str, Path], tmp_path: Path) -> None:
    """The ingest zip imports and answers with nothing but itself and boto3 (which the runtime provides)."""
    with zipfile.ZipFile(function_zips["ingest"]) as archive:
        archive.extractall(tmp_path / "task")
    script = (
        "import json, sys, zoneinfo\n"
        f"sys.path.insert(0, {str(tmp_path / 'task')!r})\n"
        "zoneinfo.reset_tzpath([])  # no system time zone database, as on a minimal image\n"
        "from functions.ingest.handler import lambda_handler\n"
        "import functions, tzdata\n"
        "print(json.dumps({'response': lambda_handler({'headers': {}}, None), 'from': functions.__file__,\n"
        "                  'tz': str(zoneinfo.ZoneInfo('America/Sao_Paulo'))}))\n"
    )
    result = subprocess.run(  # noqa: S603 - the test's own script
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "RAW_BUCKET": "b", "WEBHOOK_SECRET_ARN": "s", "ALLOWED_CHAT_IDS": "1"},
    )
    output = json.loads(result.stdout.splitlines()[-1])
    assert output["response"]["statusCode"] == 401
    assert output["from"].startswith(str(tmp_path / "task"))
    assert output["tz"] == "America/Sao_Paulo"


def test_reproducible_zip_refuses_duplicate_entries(tmp_path: Path) -> None:
    source = tmp_path / "a.py"
    source.write_text("x = 1\n")
    with pytest.raises(ValueError, match="duplicate entries"):
        write_reproducible_zip([("a.py", source), ("a.py", source)], tmp_path / "out.zip")
    assert not (tmp_path / "out.zip").exists()


def test_requirements_must_be_pinned(tmp_path: Path) -> None:
    """A range would let pip pick whatever release has a wheel for the platform."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# comment\npyarrow==26.0.1\n\n")
    assert read_pins(requirements) == {"pyarrow": "26.0.1"}
    requirements.write_text("pyarrow>=26\n")
    with pytest.raises(ValueError, match="pin an exact version"):
        read_pins(requirements)
    assert read_pins(REPO / "layers" / "pyarrow" / "requirements.txt") == {"pyarrow": "26.0.1", "orjson": "3.13.0"}


def test_a_resolved_version_other_than_the_pin_fails_the_build() -> None:
    check_versions({"pyarrow": "26.0.1"}, {"pyarrow": "26.0.1", "numpy": "2.0"})
    with pytest.raises(RuntimeError, match=r"pyarrow: pinned 26\.0\.1, got 17\.0\.0"):
        check_versions({"pyarrow": "26.0.1"}, {"pyarrow": "17.0.0"})
    with pytest.raises(RuntimeError, match=r"pyarrow: pinned 26\.0\.1, got None"):
        check_versions({"pyarrow": "26.0.1"}, {})


@pytest.fixture(scope="module")
def host_layer(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, LayerReport]:
    output = tmp_path_factory.mktemp("layer") / "pyarrow-layer.zip"
    return output, build_layer(HOST_ARCHITECTURE, output, HOST_PYTHON)


def test_layer_is_slim_and_keeps_what_pyarrow_lib_links(host_layer: tuple[Path, LayerReport]) -> None:
    layer, report = host_layer
    names = zip_names(layer)
    assert names == sorted(names)
    assert all(name.startswith("python/") for name in names)
    files = {name.rsplit("/", 1)[-1] for name in names}
    for dropped in ("_flight", "libarrow_flight", "_s3fs", "libarrow_s3", "_gcsfs", "_azurefs", "_hdfs", "_orc"):
        assert not [name for name in files if name.startswith(dropped)], dropped
    assert not [name for name in names if "/tests/" in name or "/include/" in name or name.endswith((".pyx", ".pxd"))]
    for kept in (
        "arrow",
        "arrow_compute",
        "arrow_acero",
        "arrow_dataset",
        "arrow_substrait",
        "parquet",
        "arrow_python",
    ):
        assert [name for name in files if name.startswith(f"lib{kept}.so")] == [f"lib{kept}.so.2600"]
    assert report.pyarrow_version == "26.0.1"
    assert report.zipped_bytes == layer.stat().st_size
    assert report.unzipped_bytes <= BUDGET_UNZIPPED_BYTES
    assert report.zipped_bytes <= BUDGET_ZIPPED_BYTES
    assert report.unzipped_bytes < report.installed_bytes * 0.6


def test_etl_writes_and_reads_parquet_with_only_the_layer(
    host_layer: tuple[Path, LayerReport], function_zips: dict[str, Path], tmp_path: Path
) -> None:
    """In an interpreter that sees only the layer, the ETL zip and the standard library, as in Lambda."""
    layer, _ = host_layer
    for archive, folder in ((layer, "opt"), (function_zips["etl"], "task")):
        with zipfile.ZipFile(archive) as opened:
            opened.extractall(tmp_path / folder)
    script = (
        "import io, json, sys\n"
        f"sys.path[:0] = [{str(tmp_path / 'task')!r}, {str(tmp_path / 'opt' / 'python')!r}]\n"
        "import pyarrow.parquet as pq\n"
        "from functions.etl.flatten import flatten_update\n"
        "from functions.etl.table import build_table, to_parquet\n"
        "import orjson  # what functions/etl/job.py parses the raw updates with\n"
        "assert orjson.loads(b'{\"update_id\":1}') == {'update_id': 1}\n"
        "updates = [{'update_id': i, 'message': {'message_id': i, 'date': 1704078000 + i, 'text': f'olá {i} 🚀',\n"
        "            'chat': {'id': -1001234567890123, 'type': 'supergroup'}}} for i in range(1, 4)]\n"
        "body = to_parquet(build_table([flatten_update(update).row for update in updates]))\n"
        "table = pq.read_table(io.BytesIO(body), use_threads=False)  # apache/arrow#34314: threads can abort at exit\n"
        "print(json.dumps({'pyarrow': pq.__file__, 'orjson': orjson.__file__,\n"
        "                  'texts': table.column('text').to_pylist(),\n"
        "                  'chats': table.column('chat_id').to_pylist(), 'rows': table.num_rows,\n"
        "                  'paths': sorted({getattr(m, '__file__', None) or '' for m in sys.modules.values()})}))\n"
    )
    result = subprocess.run(  # noqa: S603 - the test's own script
        [sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["pyarrow"].startswith(str(tmp_path / "opt" / "python"))
    assert output["orjson"].startswith(str(tmp_path / "opt" / "python"))
    assert output["texts"] == ["olá 1 🚀", "olá 2 🚀", "olá 3 🚀"]
    assert output["chats"] == [-1001234567890123] * 3
    outside = [path for path in output["paths"] if "site-packages" in path]
    assert not outside, f"modules loaded from outside the layer: {outside}"


def test_layer_is_byte_identical_when_rebuilt(host_layer: tuple[Path, LayerReport], tmp_path: Path) -> None:
    layer, _ = host_layer
    rebuilt = tmp_path / "again.zip"
    build_layer(HOST_ARCHITECTURE, rebuilt, HOST_PYTHON)
    assert rebuilt.read_bytes() == layer.read_bytes()


@pytest.fixture
def make_tree(tmp_path: Path) -> Path:
    """A copy of the sources with freshly 'built' artifacts, to ask Make what it would rebuild."""
    listing = ["git", "ls-files", "--cached", "--others", "--exclude-standard"]
    tracked = subprocess.run(listing, cwd=REPO, capture_output=True, text=True, check=True).stdout.split()  # noqa: S603
    for name in tracked:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes((REPO / name).read_bytes())
    (tmp_path / "dist").mkdir()
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "arch-arm64").touch()
    for artifact in ("ingest.zip", "etl.zip", "pyarrow-layer.zip"):
        (tmp_path / "dist" / artifact).write_bytes(b"built")
        os.utime(tmp_path / "dist" / artifact, (4e9, 4e9))  # newer than every source
    return tmp_path


def up_to_date(
    tree: Path, target: str, changed: str | None = None, variables: tuple[str, ...] | list[str] = ()
) -> bool:
    """``make -q``: whether ``target`` is up to date, as if ``changed`` had just been edited."""
    what_if = ["-W", changed] if changed else []
    result = subprocess.run(  # noqa: S603 - fixed make call
        ["make", "-q", "STAMP=", "PACKAGING=", *variables, *what_if, target],  # noqa: S607 - make on PATH
        cwd=tree,
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


@pytest.mark.parametrize(
    ("changed", "rebuilt"),
    [
        (None, set()),
        ("functions/ingest/handler.py", {"dist/ingest.zip"}),
        ("functions/etl/flatten.py", {"dist/etl.zip"}),
        ("functions/common/settings.py", {"dist/ingest.zip", "dist/etl.zip"}),
        ("functions/requirements.txt", {"dist/ingest.zip", "dist/etl.zip"}),
        ("layers/pyarrow/requirements.txt", {"dist/pyarrow-layer.zip"}),
        ("sql/messages_per_day.sql", set()),
    ],
)
def test_make_rebuilds_only_the_artifacts_whose_sources_changed(
    make_tree: Path, changed: str | None, rebuilt: set[str]
) -> None:
    zips = {"dist/ingest.zip", "dist/etl.zip", "dist/pyarrow-layer.zip"}
    assert {target for target in zips if not up_to_date(make_tree, target, changed)} == rebuilt


def test_changing_arch_rebuilds_the_layer(make_tree: Path) -> None:
    """A layer built for arm64 is stale for x86_64, and stale again when switching back."""
    layer = "dist/pyarrow-layer.zip"
    assert up_to_date(make_tree, layer)
    assert not up_to_date(make_tree, layer, variables=["ARCH=x86_64"])

    subprocess.run(["make", "-s", "build/arch-x86_64"], cwd=make_tree, check=True)  # noqa: S607 - make on PATH
    os.utime(make_tree / layer, (5e9, 5e9))  # the layer rebuilt for x86_64
    assert sorted(path.name for path in (make_tree / "build").iterdir()) == ["arch-x86_64"]
    assert up_to_date(make_tree, layer, variables=["ARCH=x86_64"])
    assert not up_to_date(make_tree, layer, variables=["ARCH=arm64"])


def test_a_target_accepts_the_older_manylinux_tags_its_glibc_runs() -> None:
    """pip takes --platform literally: orjson's aarch64 wheel is tagged manylinux_2_17 only, and would be
    missing for a manylinux_2_28 target without the older tags."""
    platforms = Target(platform="manylinux_2_28_aarch64").platforms()
    assert platforms[:2] == ["manylinux_2_28_aarch64", "manylinux_2_27_aarch64"]
    assert platforms[-2:] == ["manylinux_2_17_aarch64", "manylinux2014_aarch64"]
    assert len(platforms) == 13
    options = Target(platform="manylinux_2_28_x86_64").pip_options()
    assert [option for option in options if option.startswith("--platform=")][-1] == "--platform=manylinux2014_x86_64"
    assert Target().pip_options() == []

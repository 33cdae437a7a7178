"""Cold start: importing each handler in a fresh interpreter that sees what Lambda's would.

``sys.path`` is the function's zip (``/var/task``), for the ETL the slim pyarrow layer (``/opt/python``),
built by ``build_layer`` for this machine's architecture and Python and cached in ``.bench/``, and
boto3 with its dependencies (``/var/runtime``); the interpreter runs ``-I -S``, so nothing else is
visible. The zips and the layer hold no ``.pyc`` and Lambda's file system is read-only, so every cold
start compiles their modules: the runs use ``-B`` and no bytecode cache, like Lambda. A second set of
runs reads bytecode compiled beforehand, to show what shipping ``.pyc`` files would save.

Run: ``python -m benchmarks.cold_start``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import platform
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

from benchmarks.report import REPO, Result
from telegram_datalake.packaging.function_zip import build_function_zip
from telegram_datalake.packaging.pyarrow_layer import REQUIREMENTS, build_layer

RUNS = 9
WORK = REPO / ".bench" / "cold-start"
ARCHITECTURES = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
HANDLERS = {"etl": "functions.etl.handler", "ingest": "functions.ingest.handler"}

CHILD = """\
import sys, time
started = time.perf_counter()
sys.path[:0] = {paths!r}
import {module}
imported = time.perf_counter()
import json
origins = {{name: getattr(sys.modules.get(name), "__file__", None) for name in ("pyarrow", "boto3")}}
print(json.dumps({{"seconds": imported - started, "modules": len(sys.modules), "origins": origins}}))
"""


def layer_dir() -> Path:
    """The slim layer's ``python/`` folder for this machine, built once per pin and packaging code."""
    architecture = ARCHITECTURES[platform.machine()]
    sources = [REQUIREMENTS, *sorted((REPO / "telegram_datalake" / "packaging").glob("*.py"))]
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in sources)).hexdigest()[:12]
    folder = REPO / ".bench" / f"pyarrow-layer-{architecture}-py{PYTHON}-{digest}"
    if not (folder / "python").is_dir():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        with redirect_stdout(sys.stderr):  # the build's size report is not a figure
            build_layer(architecture, folder / "layer.zip", PYTHON)
        with zipfile.ZipFile(folder / "layer.zip") as archive:
            archive.extractall(folder)
    return folder / "python"


def function_dir(function: str) -> Path:
    """The function's zip, built from the current sources and unpacked as ``/var/task``."""
    archive, folder = WORK / f"{function}.zip", WORK / function
    build_function_zip(function, archive)
    shutil.rmtree(folder, ignore_errors=True)
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(folder)
    return folder


def runtime_dir() -> Path:
    """boto3 and its dependencies, as the runtime provides them: links to this environment's copies."""
    folder = WORK / "runtime"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise RuntimeError(f"{name} is not installed")
        source = Path(spec.origin)
        source = source.parent if spec.submodule_search_locations else source
        (folder / source.name).symlink_to(source)
    return folder


def start(module: str, paths: list[Path], pycache: Path | None) -> dict[str, Any]:
    """One fresh interpreter importing ``module``: its own import time, and the process's whole life."""
    options = ["-X", f"pycache_prefix={pycache}"] if pycache else ["-B"]
    script = CHILD.format(paths=[str(path) for path in paths], module=module) if module else "pass"
    started = time.perf_counter()
    completed = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-I", "-S", *options, "-c", script], capture_output=True, text=True, check=False
    )
    total = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"importing {module or 'nothing'} failed:\n{completed.stderr}")
    figures: dict[str, Any] = json.loads(completed.stdout) if module else {"seconds": 0.0}
    return {**figures, "process_seconds": total}


def check_origins(name: str, figures: dict[str, Any], expected: dict[str, Path]) -> None:
    for package, folder in expected.items():
        origin = figures["origins"].get(package)
        if origin is None or not Path(origin).is_relative_to(folder):
            raise RuntimeError(f"{name}: {package} came from {origin}, not from {folder}")


def measure(runs: int = RUNS) -> dict[str, Any]:
    layer, runtime = layer_dir(), runtime_dir()
    tasks = {function: function_dir(function) for function in HANDLERS}
    paths = {"etl": [tasks["etl"], layer, runtime], "ingest": [tasks["ingest"], runtime]}
    pycache = WORK / "pycache"
    shutil.rmtree(pycache, ignore_errors=True)
    cases: dict[str, tuple[str, list[Path], Path | None]] = {"interpreter": ("", [], None)}
    for function, module in HANDLERS.items():
        cases[function] = (module, paths[function], None)
        cases[f"{function}_with_pyc"] = (module, paths[function], pycache)
        start(module, paths[function], pycache)  # compiles into the cache the *_with_pyc runs read
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
    for case in cases.values():
        start(*case)  # once untimed: the files are in the page cache for every timed run
    for _ in range(runs):  # round robin, so a busy moment of the machine touches every case alike
        for name, case in cases.items():
            samples[name].append(start(*case))
    check_origins("etl", samples["etl"][0], {"pyarrow": layer, "boto3": runtime})
    check_origins("ingest", samples["ingest"][0], {"boto3": runtime})
    figures: dict[str, Any] = {"runs": runs}
    for name, values in samples.items():
        figures[name] = {
            "import_ms": round(statistics.median(value["seconds"] for value in values) * 1000, 1),
            "process_ms": round(statistics.median(value["process_seconds"] for value in values) * 1000, 1),
            "import_ms_min": round(min(value["seconds"] for value in values) * 1000, 1),
            "import_ms_max": round(max(value["seconds"] for value in values) * 1000, 1),
            "modules": values[0].get("modules", 0),
        }
    return figures


def run(runs: int = RUNS) -> Result:
    title = f"Cold start: import the handler in a fresh interpreter (median of {runs})"
    if sys.platform != "linux":
        result = Result(title, {"skipped": sys.platform})
        result.notes.append("skipped: the layer holds Linux libraries, as Lambda runs them")
        return result
    figures = measure(runs)
    result = Result(title, figures)
    labels = {
        "etl": "ETL (pyarrow from the slim layer)",
        "ingest": "ingest (stdlib + boto3)",
        "etl_with_pyc": "ETL, had the zip and layer .pyc",
        "ingest_with_pyc": "ingest, had the zip .pyc",
    }
    for name, label in labels.items():
        case = figures[name]
        result.add(
            label,
            f"import {case['import_ms']:6.0f} ms  (min {case['import_ms_min']:.0f}, max {case['import_ms_max']:.0f};"
            f" whole process {case['process_ms']:.0f} ms; {case['modules']} modules)",
        )
    result.add(
        "bare interpreter", f"whole process {figures['interpreter']['process_ms']:.0f} ms (python -I -S -c pass)"
    )
    result.notes.append(
        "Lambda's INIT also starts its runtime client; this is the part our code and its imports decide"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    print(run(parser.parse_args().runs).render())


if __name__ == "__main__":
    main()

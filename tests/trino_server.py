"""A real Trino server, the engine of Athena engine 3, for the SQL tests: provisioned, started, queried, stopped.

``tools/trino/fetch.py`` installs the server into ``.cache/trino/<version>/`` when it is missing (the one
download, verified), so a fresh clone needs nothing else; ``make trino`` runs the same script. The server
runs on 127.0.0.1 on a free port, with a 2 GB heap (the machine has 2 cores and 24 GB, shared with other
work), in a process group of its own that is killed when the tests end, also when they fail; on Linux the
kernel also kills it if the test process dies without cleaning up. Start-up has a deadline, each query a
time limit on the server and on the client.

Its one catalog, ``hive``, is the Hive connector over a directory of the local file system
(``local:///...`` paths below ``storage_root``) with a file metastore, as Athena's Glue table reads the
enriched bucket. Like Athena's, the session time zone is UTC.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trino
from trino.exceptions import TrinoConnectionError, TrinoQueryError

from telegram_datalake.duckdb_engine import QueryResult
from telegram_datalake.parquet_source import table_prefixes
from telegram_datalake.saved_queries import MESSAGES_TABLE, SQL_DIR, load_schema

REPO = Path(__file__).resolve().parent.parent
FETCH_SCRIPT = REPO / "tools" / "trino" / "fetch.py"
PROVISION_TIMEOUT_SECONDS = 900  # a cold fetch is 452 MB; seconds here, minutes on a slow link
STARTUP_DEADLINE_SECONDS = 180  # seen: 13-18 s, with a build keeping the 2 cores busy
QUERY_TIMEOUT_SECONDS = 60  # the tables are a few hundred rows: a query this slow is a hung server
STOP_GRACE_SECONDS = 15
POLL_SECONDS = 0.25
HEAP = "2G"
CATALOG = "hive"
USER = "tests"
JDK_ROOT = Path("/usr/lib/jvm")
DDL_TEMPLATE = "create_table.sql.tftpl"
READINESS_PROBE = (
    "CREATE SCHEMA IF NOT EXISTS readiness",
    "CREATE TABLE IF NOT EXISTS readiness.probe AS SELECT 1 AS ready",
    "SELECT count(*) FROM readiness.probe",
)
_TABLE_PROPERTY = re.compile(r"^  '([^']+)' = '([^']*)',?$", re.MULTILINE)  # a TBLPROPERTIES line

# Hive types of sql/tables/*.json as Trino's Hive connector declares them (Athena shows the same types).
TRINO_TYPES = {
    "bigint": "bigint",
    "boolean": "boolean",
    "string": "varchar",
    "timestamp": "timestamp(3)",
    "date": "date",
}


@dataclass(frozen=True, slots=True)
class Installation:
    """An unpacked Trino server: its version, its directory and the oldest Java it runs on."""

    version: str
    home: Path
    minimum_java: str


def provision() -> Installation:
    """The cached server, fetched first if missing, by the script ``make trino`` runs."""
    completed = subprocess.run(  # noqa: S603 - this interpreter and the repository's own script
        [sys.executable, str(FETCH_SCRIPT), "--json"],
        capture_output=True,
        text=True,
        timeout=PROVISION_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{FETCH_SCRIPT} failed ({completed.returncode}):\n{completed.stderr}")
    found = json.loads(completed.stdout)
    return Installation(found["version"], Path(found["home"]), found["minimum_java"])


def _version_tuple(text: str) -> tuple[int, ...]:
    """``"25.0.3"`` -> ``(25, 0, 3)``; what does not parse sorts first."""
    parts = []
    for part in text.split("."):
        if not part.isdigit():
            break
        parts.append(int(part))
    return tuple(parts)


def jdk_version(home: Path) -> tuple[int, ...]:
    """A JDK's version from its ``release`` file, without starting a JVM (``()`` when it has none)."""
    try:
        lines = (home / "release").read_text(encoding="utf-8").splitlines()
    except OSError:
        return ()
    for line in lines:
        if line.startswith("JAVA_VERSION="):
            return _version_tuple(line.partition("=")[2].strip().strip('"'))
    return ()


def _jdk_homes() -> list[Path]:
    """Candidate JDKs: $TRINO_JAVA_HOME, $JAVA_HOME, every JDK under /usr/lib/jvm, and ``java`` on PATH."""
    homes = [Path(os.environ[name]) for name in ("TRINO_JAVA_HOME", "JAVA_HOME") if os.environ.get(name)]
    if JDK_ROOT.is_dir():
        homes += sorted(path for path in JDK_ROOT.iterdir() if path.is_dir())
    on_path = shutil.which("java")
    if on_path:
        homes.append(Path(on_path).resolve().parent.parent)
    return homes


def find_java(minimum: str) -> Path:
    """The ``java`` of the newest JDK at least ``minimum`` (Trino refuses to start on an older one)."""
    usable = [(jdk_version(home), home) for home in _jdk_homes() if (home / "bin" / "java").is_file()]
    usable = [(version, home) for version, home in usable if version >= _version_tuple(minimum)]
    if not usable:
        raise RuntimeError(f"Trino needs Java {minimum} or newer: set TRINO_JAVA_HOME to such a JDK")
    return max(usable, key=lambda found: found[0])[1] / "bin" / "java"


def free_port() -> int:
    """A TCP port nobody listens on now, on the loopback address (another process could take it before the
    server binds it: the server then exits at once, and the error names the port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _write_properties(path: Path, properties: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{key}={value}\n" for key, value in properties.items()), encoding="utf-8")


def write_configuration(etc: Path, installation: Installation, port: int, storage_root: Path) -> Path:
    """A single-node coordinator's ``config.properties`` and the Hive catalog; returns the config file."""
    config = etc / "config.properties"
    _write_properties(
        config,
        {
            "coordinator": "true",
            "node-scheduler.include-coordinator": "true",
            "node.environment": "tests",
            "node.id": "tests",
            "node.bind-ip": "127.0.0.1",  # loopback only
            "node.internal-address": "127.0.0.1",
            "http-server.http.port": str(port),
            "discovery.uri": f"http://127.0.0.1:{port}",
            "http-server.log.enabled": "false",
            "web-ui.enabled": "false",
            "plugin.dir": str(installation.home / "plugin"),
            "catalog.config-dir": str(etc / "catalog"),
            "query.max-run-time": f"{QUERY_TIMEOUT_SECONDS}s",
        },
    )
    _write_properties(
        etc / "catalog" / f"{CATALOG}.properties",
        {
            "connector.name": "hive",
            "hive.metastore": "file",
            "hive.metastore.catalog.dir": "local:///.metastore",
            "fs.native-local.enabled": "true",
            "local.location": str(storage_root),
            # A projected day without a directory reads as empty, as on Athena (registered days all exist).
            "hive.ignore-absent-partitions": "true",
        },
    )
    return config


def jvm_command(java: Path, installation: Installation, config: Path) -> list[str]:
    """The server's command line: Trino's recommended JVM flags, sized for a small shared machine."""
    return [
        str(java),
        f"-Xmx{HEAP}",
        "-XX:+UseG1GC",
        "-XX:TieredStopAtLevel=1",  # C1 only: starts in ~13 s instead of ~20 s; the tables are tiny
        "-XX:+ExitOnOutOfMemoryError",
        "-XX:-OmitStackTraceInFastThrow",
        "-XX:+EnableDynamicAgentLoading",
        "--enable-native-access=ALL-UNNAMED",
        "-Djdk.attach.allowAttachSelf=true",
        "-XX:-UsePerfData",  # no /tmp/hsperfdata_<user>/<pid> file, which a SIGKILL would leave behind
        "-Dfile.encoding=UTF-8",
        f"-Djava.io.tmpdir={config.parent.parent / 'tmp'}",  # its temporary files go with the work directory
        "-Duser.timezone=UTC",  # the server's zone, as Athena's: what a session without one gets
        f"-Dconfig={config}",
        "-cp",
        str(installation.home / "lib" / "*"),
        "io.trino.server.TrinoServer",
    ]


def _parent_death_signal() -> Callable[[], None] | None:
    """For the child, before exec: have the kernel SIGKILL it if the test process dies without cleaning up
    (Linux's ``prctl(PR_SET_PDEATHSIG)``). Looked up here, in the parent: the child only calls it."""
    if sys.platform != "linux":
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    set_parent_death_signal = 1  # PR_SET_PDEATHSIG

    def arm() -> None:
        prctl(set_parent_death_signal, signal.SIGKILL)

    return arm


def _log_tail(log: Path, lines: int = 40) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    return ""


def _started(port: int) -> bool:
    """Whether ``/v1/info`` answers that the server is no longer starting."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/info", timeout=2) as response:
            info: dict[str, Any] = json.load(response)
    except (OSError, ValueError):
        return False
    return info.get("starting") is False


def _hive_works(port: int) -> bool:
    """Whether a query can write and read a Hive table. The node announces its catalogs a few seconds after
    it says it has started; until the coordinator sees them a scan fails with NO_NODES_AVAILABLE."""
    connection = trino.dbapi.Connection(host="127.0.0.1", port=port, user=USER, catalog=CATALOG, request_timeout=10)
    try:
        with contextlib.closing(connection):
            cursor = connection.cursor()
            for statement in READINESS_PROBE:
                cursor.execute(statement)
                rows = cursor.fetchall()
            return bool(rows == [[1]])
    except (OSError, TrinoQueryError, TrinoConnectionError):
        return False


def wait_until_ready(process: subprocess.Popen[bytes], port: int, log: Path) -> float:
    """Poll until the server has started and runs Hive queries; seconds waited. RuntimeError, with the end
    of its log, if it exits or the deadline passes first."""
    started = time.monotonic()
    deadline = started + STARTUP_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Trino exited with {process.returncode} while starting:\n{_log_tail(log)}")
        if _started(port) and _hive_works(port):
            return time.monotonic() - started
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"Trino did not start within {STARTUP_DEADLINE_SECONDS} s:\n{_log_tail(log)}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server's whole process group: SIGTERM (a graceful JVM shutdown), then SIGKILL."""
    for sent in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sent)
        try:
            process.wait(timeout=STOP_GRACE_SECONDS)
            return
        except subprocess.TimeoutExpired:
            continue
    raise RuntimeError(f"Trino (pid {process.pid}) survived SIGKILL")


@dataclass(frozen=True)
class TrinoServer:
    """A started server: where it listens, the directory ``local:///`` names, its log."""

    installation: Installation
    port: int
    storage_root: Path
    log: Path
    startup_seconds: float

    def location(self, path: Path) -> str:
        """``path`` (below ``storage_root``) as the Hive connector names it: ``local:///relative/path``."""
        return "local:///" + path.relative_to(self.storage_root).as_posix()

    def connect(self) -> trino.dbapi.Connection:
        """A connection to the ``hive`` catalog, in UTC like Athena, with the query time limit."""
        return trino.dbapi.Connection(
            host="127.0.0.1",
            port=self.port,
            user=USER,
            catalog=CATALOG,
            timezone="UTC",
            request_timeout=QUERY_TIMEOUT_SECONDS,
            session_properties={"query_max_run_time": f"{QUERY_TIMEOUT_SECONDS}s"},
        )

    def query(self, sql: str) -> QueryResult:
        """Run one statement and fetch all of its rows, as ``duckdb_engine.run_query`` returns them."""
        with contextlib.closing(self.connect()) as connection:
            cursor = connection.cursor()
            try:
                rows = cursor.execute(sql).fetchall()
                columns = [column[0] for column in cursor.description or ()]
            finally:
                cursor.close()
        return QueryResult(columns=columns, rows=[tuple(row) for row in rows])


@contextlib.contextmanager
def running_trino(work_dir: Path, storage_root: Path) -> Iterator[TrinoServer]:
    """A started server whose files (configuration, log) are in ``work_dir``; stopped on exit, however left."""
    installation = provision()
    java = find_java(installation.minimum_java)
    (storage_root / ".metastore").mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = write_configuration(work_dir / "etc", installation, port, storage_root)
    (work_dir / "tmp").mkdir(exist_ok=True)
    log = work_dir / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - the JDK found above and the server's own classes
            jvm_command(java, installation, config),
            cwd=work_dir,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as one
            preexec_fn=_parent_death_signal(),  # noqa: PLW1509 - one prctl call, nothing else
        )
    try:
        seconds = wait_until_ready(process, port, log)
        yield TrinoServer(installation, port, storage_root, log, seconds)
    finally:
        stop(process)


def quote(name: str) -> str:
    """A Trino identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A Trino string literal."""
    return "'" + value.replace("'", "''") + "'"


def table_columns(table: str = MESSAGES_TABLE, sql_dir: Path = SQL_DIR) -> list[tuple[str, str]]:
    """``sql/tables/<table>.json``'s columns, then the partition key, with their Trino types: the Glue table
    as Trino sees it."""
    schema = load_schema(sql_dir, table)
    return [(column["name"], TRINO_TYPES[column["type"]]) for column in (*schema["columns"], *schema["partition_keys"])]


def glue_table_properties(location: str, projection_start: str, sql_dir: Path = SQL_DIR) -> dict[str, str]:
    """The Athena DDL's TBLPROPERTIES (partition projection over ``location``), placeholders filled as
    Terraform fills them: Trino's Hive connector reads Athena's ``projection.*`` parameters itself."""
    template = (sql_dir / DDL_TEMPLATE).read_text(encoding="utf-8")
    block = template[template.index("\nTBLPROPERTIES (\n") :]
    properties = {}
    for key, value in _TABLE_PROPERTY.findall(block):
        filled = value.replace("${location}", f"{location}/").replace("${projection_start}", projection_start)
        properties[key] = filled.replace("$${", "${")
    return properties


def create_table_sql(
    database: str,
    name: str,
    location: str,
    *,
    table: str = MESSAGES_TABLE,
    properties: dict[str, str] | None = None,
    sql_dir: Path = SQL_DIR,
) -> str:
    """``CREATE TABLE`` ``name`` of the Glue table of ``sql/tables/<table>.json`` for Trino's Hive connector:
    external, Parquet, partitioned by the partition keys (which Trino wants last, as the file lists them);
    ``properties`` become the table's parameters, as Glue's."""
    partition_keys = [column["name"] for column in load_schema(sql_dir, table)["partition_keys"]]
    columns = ",\n  ".join(f"{quote(column)} {trino_type}" for column, trino_type in table_columns(table, sql_dir))
    options = [
        f"external_location = {literal(location)}",
        "format = 'PARQUET'",
        f"partitioned_by = ARRAY[{', '.join(literal(key) for key in partition_keys)}]",
    ]
    if properties:
        keys, values = (", ".join(literal(text) for text in texts) for texts in zip(*properties.items(), strict=True))
        options.append(f"extra_properties = MAP(ARRAY[{keys}], ARRAY[{values}])")
    return (
        f"CREATE TABLE {quote(CATALOG)}.{quote(database)}.{quote(name)} (\n  {columns}\n)\nWITH ({', '.join(options)})"
    )


def lake_tables(root: Path, messages_name: str, prefix: str) -> dict[str, tuple[str, Path]]:
    """Every table of ``sql/tables/`` in the lake at ``root`` (laid out as the enriched bucket): its name in
    the database and its folder, by schema name; the messages table is ``messages_name``, under ``prefix``."""
    return {
        table: (messages_name if table == MESSAGES_TABLE else table, root / key_prefix)
        for table, key_prefix in table_prefixes(prefix).items()
    }


def register_lake(server: TrinoServer, database: str, root: Path, *, table: str, prefix: str) -> None:
    """A table per ``sql/tables/`` file over the lake at ``root``, as the Glue tables over the enriched bucket,
    with the partitions registered from the directories the ETL left (a table without files is empty)."""
    server.query(f"CREATE SCHEMA IF NOT EXISTS {quote(CATALOG)}.{quote(database)}")
    for schema_name, (name, folder) in lake_tables(root, table, prefix).items():
        folder.mkdir(parents=True, exist_ok=True)  # Trino wants the location to exist, as S3 does not
        server.query(create_table_sql(database, name, server.location(folder), table=schema_name))
        server.query(
            f"CALL {quote(CATALOG)}.system.sync_partition_metadata({literal(database)}, {literal(name)}, 'ADD')"
        )


def register_projected_lake(
    server: TrinoServer, database: str, root: Path, *, table: str, prefix: str, projection_start: str
) -> None:
    """The same tables with the Glue tables' partition projection instead of registered partitions: every day
    from ``projection_start`` to today is a partition, whether or not the ETL wrote it."""
    server.query(f"CREATE SCHEMA IF NOT EXISTS {quote(CATALOG)}.{quote(database)}")
    for schema_name, (name, folder) in lake_tables(root, table, prefix).items():
        folder.mkdir(parents=True, exist_ok=True)
        location = server.location(folder)
        properties = glue_table_properties(location, projection_start)
        server.query(create_table_sql(database, name, location, table=schema_name, properties=properties))

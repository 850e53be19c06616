"""A real Virtuoso for the remote backend's tests: Debian's ``virtuoso-opensource`` (7.2.5)
started by the tests with its own ``virtuoso.ini`` and database in a temporary folder, its
SQL (ISQL) and HTTP ports on 127.0.0.1 only (free ports picked at start), SPARQL update
granted to the ``SPARQL`` account only while ``kg load`` uploads the dataset and revoked
after (see docs/joining.md, which shows the same statements).

Fixtures (imported by tests/conftest.py): ``virtuoso_server`` (the running server, session
scope) and ``virtuoso_endpoint`` (its ``/sparql`` query endpoint once loaded).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from processes import free_port

from kg.config import ROOT

BINARY = "virtuoso-t"
ISQL = "isql-vt"
PASSWORD = "dba"  # the fresh database's own; the SQL port listens on 127.0.0.1 only
GRANT = 'GRANT SPARQL_UPDATE TO "SPARQL";'
REVOKE = 'REVOKE SPARQL_UPDATE FROM "SPARQL";'
# MaxQueryExecutionTime, seconds: the server stops any query after this, all or nothing (the
# app's own query-timeout is 10 s too).
QUERY_TIME_LIMIT = 10

INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 10
CheckpointInterval = 60
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
AllowOSCalls = 0
DirsAllowed = ., {db}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
MaxQueryMem = 500M
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}/vsp
MaxClientConnections = 10
DavRoot = DAV
EnabledDavVSP = 0
HTTPProxyEnabled = 0
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
HTTPThreadSize = 280000
Charset = UTF-8
EnabledGzipContent = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = {time_limit}
DeferInferenceRulesInit = 0
"""


class VirtuosoServer:
    """One ``virtuoso-t`` process with a fresh database in a temporary folder."""

    def __init__(self) -> None:
        if shutil.which(BINARY) is None or shutil.which(ISQL) is None:
            raise RuntimeError(
                "Virtuoso is not installed: `make system-deps` installs virtuoso-opensource"
            )
        self.folder = Path(tempfile.mkdtemp(prefix="hmic-kg-virtuoso-"))
        (self.folder / "vsp").mkdir()
        self.sql_port, self.http_port = free_port(), free_port()
        ini = self.folder / "virtuoso.ini"
        ini.write_text(
            INI.format(
                db=self.folder,
                sql_port=self.sql_port,
                http_port=self.http_port,
                time_limit=QUERY_TIME_LIMIT,
            )
        )
        # +foreground keeps it our child, so the tests stop exactly the process they started.
        self.process = subprocess.Popen(
            [BINARY, "+foreground", "+configfile", str(ini)],
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.query_url = f"{self.url}/sparql"
        self.store_url = f"{self.url}/sparql-graph-crud"
        self._wait()

    def _wait(self, seconds: float = 120.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited: {self.log()[-2000:]}")
            try:
                with urllib.request.urlopen(
                    f"{self.query_url}?query=ASK%7B%7D", timeout=5
                ) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        raise RuntimeError(f"virtuoso-t did not answer in {seconds:.0f} s: {self.log()[-2000:]}")

    def log(self) -> str:
        """The server's error log."""
        path = self.folder / "virtuoso.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def sql(self, statement: str) -> str:
        """Run one SQL statement through ``isql-vt`` on the SQL port; its output."""
        done = subprocess.run(
            [ISQL, f"127.0.0.1:{self.sql_port}", "dba", PASSWORD, f"EXEC={statement}"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise RuntimeError(f"isql-vt {statement!r} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def stop(self) -> None:
        """Stop the server and delete its database (idempotent)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def kg_load(endpoint: str, graph_store: str) -> subprocess.CompletedProcess[str]:
    """The real ``kg load`` command against a server."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "kg.cli",
            "load",
            "--endpoint",
            endpoint,
            "--graph-store",
            graph_store,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="session")
def virtuoso_server() -> Iterator[VirtuosoServer]:
    """A running Virtuoso (empty), stopped at the end of the session."""
    server = VirtuosoServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def virtuoso_endpoint(settings, virtuoso_server: VirtuosoServer) -> str:
    """The query endpoint of that Virtuoso once ``kg load`` has uploaded the built dataset
    (update granted for the load, revoked after)."""
    virtuoso_server.sql(GRANT)
    try:
        done = kg_load(virtuoso_server.query_url, virtuoso_server.store_url)
    finally:
        virtuoso_server.sql(REVOKE)
        # Write the load to the database now, not in an automatic checkpoint mid-test
        # (Virtuoso holds queries while it checkpoints).
        virtuoso_server.sql("checkpoint;")
    assert done.returncode == 0, done.stdout + done.stderr
    return virtuoso_server.query_url


@pytest.fixture(scope="session")
def virtuoso_store(settings, virtuoso_endpoint: str):
    """The remote backend over that Virtuoso."""
    from kg.store.remote import RemoteStore

    return RemoteStore(settings.with_(store="remote", remote_query_endpoint=virtuoso_endpoint))

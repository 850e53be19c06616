"""The real server (``kg serve``: gunicorn, a 2-second query time limit) against what a
public endpoint gets sent: a pathological cross product alongside normal queries (stopped at
the limit, its CPU freed, the others served meanwhile), hostile queries and bodies, and
malformed request lines — each a 4xx or a bounded error, the server serving on."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from processes import engines, free_port, replaced

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 2.0
ASK = "ASK { ?s a <https://w3id.org/hmic-kg/def/hmic/Judgment> }"
CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@dataclass
class Server:
    """A ``kg serve`` process and the lines it has logged."""

    process: subprocess.Popen[str]
    url: str
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.url}/sparql"


def _start() -> Server:
    env = {
        **os.environ,
        "HMIC_KG_QUERY_TIMEOUT": str(TIMEOUT),
        "HMIC_KG_QUERY_WORKERS": "2",
    }
    for _attempt in range(5):  # a free port may be taken again before gunicorn binds it
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", "serve", "--port", str(port), "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        server = Server(process, f"http://127.0.0.1:{port}")
        for line in process.stdout:
            server.lines.append(line)
            if "Booting worker" in line or "Address already in use" in line:
                break
        if any("Booting worker" in line for line in server.lines):
            server.reader = threading.Thread(target=_collect, args=(server,), daemon=True)
            server.reader.start()
            return server
        process.kill()
        process.wait(timeout=30)
        process.stdout.close()
    raise RuntimeError("kg serve did not start:\n" + "".join(server.lines))


def _collect(server: Server) -> None:
    assert server.process.stdout is not None
    for line in server.process.stdout:
        server.lines.append(line)


@pytest.fixture(scope="module")
def server(settings) -> Iterator[Server]:
    """``kg serve`` on a free port (one gunicorn worker, its engine running two queries at
    once), ready."""
    started = _start()
    try:
        for _attempt in range(20):  # the first requests wait for the engine to load
            try:
                ready = requests.get(started.endpoint, params={"query": ASK}, timeout=30)
            except requests.ConnectionError:
                continue
            if ready.status_code == 200:
                break
        yield started
    finally:
        started.process.terminate()
        started.process.wait(timeout=30)
        if started.reader is not None:  # EOF once the engine, sharing stderr, is gone
            started.reader.join(timeout=30)
        if started.process.stdout is not None:
            started.process.stdout.close()
    assert engines(started.process.pid) == {}, "the query engine outlived the server"


def _ok(server: Server) -> float:
    began = time.monotonic()
    answer = requests.get(server.endpoint, params={"query": ASK}, timeout=30)
    assert answer.status_code == 200 and answer.json()["boolean"] is True
    return time.monotonic() - began


def test_a_pathological_query_is_stopped_while_others_are_served(server):
    before = set(engines(server.process.pid))
    assert len(before) == 1  # one engine per server process, running two queries at once
    outcome: dict[str, object] = {}

    def pathological() -> None:
        began = time.monotonic()
        outcome["answer"] = requests.get(server.endpoint, params={"query": CROSS}, timeout=60)
        outcome["seconds"] = time.monotonic() - began

    thread = threading.Thread(target=pathological)
    thread.start()
    latencies = []
    while thread.is_alive():
        latencies.append(_ok(server))
    thread.join()
    answer = outcome["answer"]
    assert isinstance(answer, requests.Response)
    assert answer.status_code == 503
    assert "ran longer than 2 s and was stopped" in answer.text
    assert TIMEOUT <= float(outcome["seconds"]) < TIMEOUT + 3  # type: ignore[arg-type]
    assert len(latencies) >= 10 and max(latencies) < 1.0  # others were served throughout
    # The engine that ran it was killed, not merely abandoned: the process is gone (not even
    # a zombie), so its CPU is free; a fresh engine takes its place, and the queries it was
    # running besides were sent again to that one (max(latencies) above).
    assert not any(Path(f"/proc/{pid}").exists() for pid in before)
    replaced(server.process.pid, before)
    _ok(server)


def _post(server: Server, body: bytes, content_type: str) -> requests.Response:
    return requests.post(
        server.endpoint, data=body, headers={"Content-Type": content_type}, timeout=30
    )


def _get(server: Server, query: str) -> requests.Response:
    return requests.post(server.endpoint, data={"query": query}, timeout=30)


HOSTILE = {
    "nested-groups": (lambda s: _get(s, "SELECT * WHERE " + "{" * 500 + "}" * 500), {400}),
    "nested-expressions": (
        lambda s: _get(s, "SELECT * { FILTER(" + "(" * 500 + "1" + ")" * 500 + ") }"),
        {400},
    ),
    "long-path": (
        lambda s: _get(s, "SELECT * { ?s " + "/".join(["<http://p>"] * 10000) + " ?o }"),
        {400},
    ),
    "long-union": (lambda s: _get(s, "SELECT * {" + " UNION ".join(["{}"] * 5000) + "}"), {400}),
    "values-10000": (
        lambda s: _get(
            s, "SELECT ?x { VALUES ?x { " + " ".join(str(i) for i in range(10000)) + " } }"
        ),
        {200},
    ),
    "megabyte-literal": (
        lambda s: _post(
            s,
            b'SELECT * { ?s ?p "' + b"a" * 1_000_000 + b'" }',
            "application/sparql-query",
        ),
        {413},
    ),
    "invalid-utf8": (
        lambda s: _post(s, b"SELECT * { ?s ?p '\xc3\x28\xff' }", "application/sparql-query"),
        {400},
    ),
    "invalid-utf16": (
        lambda s: _post(
            s, b"\xff\xfeS\x00E\x00\x00\xd8L\x00", "application/sparql-query; charset=utf-16"
        ),
        {415},
    ),
    "utf16-without-charset": (
        lambda s: _post(s, "ASK {}".encode("utf-16-le"), "application/sparql-query"),
        {400},
    ),
    "unknown-function": (
        lambda s: _get(s, "SELECT * { ?s ?p ?o FILTER(<http://example.org/nope>(?o)) }"),
        {400},
    ),
    "catastrophic-regex": (
        lambda s: _get(s, 'SELECT * { ?s ?p ?o FILTER(REGEX(STR(?o), "^(a+)+$")) } LIMIT 5'),
        {200, 503},
    ),
    "huge-regex": (
        lambda s: _get(s, 'SELECT * { ?s ?p ?o FILTER(REGEX(STR(?o), "(a{1000}){1000}")) }'),
        {200, 400, 503},
    ),
    "huge-form": (
        lambda s: _post(s, b"query=" + b"x" * 2_000_000, "application/x-www-form-urlencoded"),
        {413},
    ),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_input_gets_a_bounded_answer_and_the_server_serves_on(server, case):
    send, statuses = HOSTILE[case]
    began = time.monotonic()
    answer = send(server)
    assert answer.status_code in statuses, answer.text[:300]
    assert time.monotonic() - began < TIMEOUT + 3
    assert "Traceback" not in answer.text
    _ok(server)


RAW = [
    b"GET sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET http//x/sparql HTTP/1.1\r\nHost: x\r\n\r\n",
    b"\x00\xff\xfe\xfd garbage\r\n\r\n",
    b"GET /sparql HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /sparql HTTP/1.1\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
]


@pytest.mark.parametrize(
    "raw", RAW, ids=["no-slash", "bad-url", "binary", "version", "long-line", "long-header"]
)
def test_malformed_request_lines_get_400_and_the_server_serves_on(server, raw):
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(raw)
        status = conn.recv(100).split(b"\r\n")[0]
    assert re.match(rb"HTTP/1\.[01] 4\d\d ", status), status
    _ok(server)


def test_one_log_line_per_request_with_status_and_time(server):
    requests.get(server.endpoint, params={"query": "SELECT * {"}, timeout=30)
    _ok(server)
    access = [line for line in server.lines if '"GET /sparql?query=' in line]
    pattern = re.compile(
        r'^127\.0\.0\.1 "GET /sparql\?query=\S+ HTTP/1\.1" (\d{3}) \d+ \d+\.\d{6}s$'
    )
    statuses = {pattern.match(line.strip()).group(1) for line in access}  # type: ignore[union-attr]
    assert {"200", "400"} <= statuses


def test_a_query_past_the_memory_limit_ends_only_its_worker(settings):
    from kg.sparql.pool import WorkerPool
    from kg.store.base import QueryAborted

    pool = WorkerPool(settings.dataset_dir / "dataset.nq", 1, memory_mb=64)
    request = {"op": "raw", "format": "json", "cap": 10, "count_rows": False}
    try:
        began = time.monotonic()
        with pytest.raises(QueryAborted, match="ran out of memory"):
            pool.call({**request, "text": "SELECT * { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"}, 60)
        assert time.monotonic() - began < 30
        assert pool.call({**request, "text": "ASK { ?s ?p ?o }"}, 60)[0] == "ok"  # restarted
    finally:
        pool.close()

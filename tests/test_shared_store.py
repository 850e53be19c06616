"""One store per release, shared: the build writes Oxigraph's on-disk store into the release,
a query engine opens it read-only (the same answers as the N-Quads parsed into memory,
nothing written to it), the sandbox still stops a query from opening a socket, and the query
engine of a real ``kg serve`` killed with SIGKILL mid-query is replaced while every other
request is answered: the queries it was running are sent again, and only a query that was
running at two deaths of the engine is answered 503."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from processes import engines, free_port, replaced, running

from kg.sparql.pool import WorkerPool
from kg.store.embedded import STORE_DIR, EmbeddedStore, store_source

ROOT = Path(__file__).resolve().parent.parent
CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def _raw(text: str) -> dict[str, object]:
    return {"op": "raw", "text": text, "format": "tsv", "cap": 100, "count_rows": False}


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def test_the_release_holds_a_store_with_the_merge_as_default_graph(settings):
    folder = settings.dataset_dir / STORE_DIR
    quads = list(ox.parse(path=str(settings.dataset_dir / "dataset.nq")))
    store = ox.Store.read_only(str(folder))
    named = list(store.query("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }"))
    merged = list(store.query("SELECT * WHERE { ?s ?p ?o }"))
    assert len(named) == len(quads)
    assert len(merged) == len({q.triple for q in quads}) < len(quads)


def test_the_shared_engine_opens_the_release_store_and_leaves_it_unchanged(settings):
    folder = (settings.dataset_dir / STORE_DIR).resolve()
    before = _snapshot(folder)
    shared = settings.with_(query_store="shared")
    store = EmbeddedStore(settings.dataset_dir / "dataset.nq", settings=shared, workers=1)
    try:
        assert store.source == folder
        result = store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        quads = sum(1 for _ in ox.parse(path=str(settings.dataset_dir / "dataset.nq")))
        assert int(result.rows[0]["n"]) == quads
    finally:
        store.close()
    assert _snapshot(folder) == before


def test_a_release_without_a_store_is_parsed_into_memory(settings, tmp_path):
    copy = tmp_path / "dataset.nq"
    copy.write_bytes((settings.dataset_dir / "dataset.nq").read_bytes())
    assert store_source(copy) == copy
    pool = WorkerPool(store_source(copy), 1)
    try:
        answer = pool.call(_raw("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"), 30)
    finally:
        pool.close()
    triples = len({q.triple for q in ox.parse(path=str(copy))})
    assert answer[0] == "ok" and answer[2].split(b"\n")[1].startswith(f"{triples}".encode())


def test_a_sandboxed_worker_on_the_store_opens_no_socket(settings):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.2)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    pool = WorkerPool(settings.dataset_dir / STORE_DIR, 1, sandbox=True)
    try:
        answer = pool.call(_raw(f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"), 30)
        (engine,) = pool.pids()
        fds = os.listdir(f"/proc/{engine}/fd")
        targets = {os.readlink(f"/proc/{engine}/fd/{fd}") for fd in fds}
        counted = pool.call(_raw("SELECT (COUNT(*) AS ?n) WHERE { ?s a ?c }"), 30)
    finally:
        pool.close()
    assert answer[0] == "os" and "Too many open files" in answer[1]
    with pytest.raises(TimeoutError):
        listener.accept()
    listener.close()
    folder = str((settings.dataset_dir / STORE_DIR).resolve())
    assert {t for t in targets if not t.startswith((folder, "pipe:", os.devnull))} <= {
        os.readlink("/proc/self/fd/2")
    }
    assert counted[0] == "ok"  # the store's files stayed open: queries still run
    # what the sandbox relies on: RocksDB opened every table file when the store opened
    tables = {str(p) for p in (settings.dataset_dir / STORE_DIR).resolve().glob("*.sst")}
    assert tables and tables <= targets


# -- a query worker killed with SIGKILL mid-query, on a real kg serve ------------------------


def _always_running(root: int) -> int:
    """The query worker found running in every one of 20 looks (the runaway query's: the
    others wait on their pipe between short queries)."""
    for _window in range(20):
        seen: dict[int, int] = {}
        for _ in range(20):
            for pid in engines(root):
                seen[pid] = seen.get(pid, 0) + running(pid)
            time.sleep(0.01)
        busiest = max(seen, key=lambda p: seen[p])
        if seen[busiest] == 20:
            return busiest
    raise AssertionError(f"no query worker was always running: {seen}")


@pytest.fixture()
def served(settings) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``kg serve`` (one server process, its engine running two queries at once, no answer
    cache), ready."""
    port = free_port()
    env = {
        **os.environ,
        "HMIC_KG_QUERY_WORKERS": "2",
        "HMIC_KG_RESULT_CACHE_ENTRIES": "0",
        "HMIC_KG_QUERY_TIMEOUT": "20",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(url, params={"query": "ASK {}"}, timeout=10).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.05)
        yield process, url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_killed_engine_is_replaced_and_nothing_else_fails(served):
    process, url = served
    (first,) = engines(process.pid)
    killed: dict[str, requests.Response] = {}
    others: list[int] = []
    stop = threading.Event()

    def runaway() -> None:
        killed["answer"] = requests.get(url, params={"query": CROSS}, timeout=60)

    def steady() -> None:
        n = 0
        while not stop.is_set():  # a new text each time: every answer is computed
            query = f'SELECT ?s WHERE {{ ?s ?p "{n}" }} LIMIT 1'
            others.append(requests.get(url, params={"query": query}, timeout=30).status_code)
            n += 1

    threads = [threading.Thread(target=runaway), threading.Thread(target=steady)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # the runaway query runs in the engine, always
    assert _always_running(process.pid) == first
    os.kill(first, signal.SIGKILL)
    (second,) = replaced(process.pid, {first})
    time.sleep(0.5)  # the runaway query, sent again, runs in the new engine
    assert "answer" not in killed  # the first death was not its end
    assert _always_running(process.pid) == second
    os.kill(second, signal.SIGKILL)  # its second death: now it is answered
    threads[0].join(timeout=30)
    replacement = replaced(process.pid, {first, second})
    time.sleep(0.5)
    stop.set()
    threads[1].join(timeout=30)
    assert killed["answer"].status_code == 503
    assert "restarted" in killed["answer"].text
    assert not any(Path(f"/proc/{pid}").exists() for pid in (first, second))
    assert len(replacement) == 1
    assert others and set(others) == {200}, others
    assert requests.get(url, params={"query": "ASK { ?s ?p ?o }"}, timeout=30).status_code == 200


def test_query_store_memory_parses_the_dataset_into_the_engine(settings):
    store = EmbeddedStore(
        settings.dataset_dir / "dataset.nq",
        settings=settings.with_(query_store="memory"),
        workers=2,
    )
    try:
        counted = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        (engine,) = store._pool.pids()
        fds = {
            int(fd): os.readlink(f"/proc/{engine}/fd/{fd}")
            for fd in os.listdir(f"/proc/{engine}/fd")
        }
    finally:
        store.close()
    quads = list(ox.parse(path=str(settings.dataset_dir / "dataset.nq")))
    assert int(counted.rows[0]["n"]) == len({q.triple for q in quads})
    # nothing of the store stays open: the standard three, a pipe pair per query slot, and
    # /dev/null in the gaps below them (so no new file can take a number there)
    kept = {fd: target for fd, target in fds.items() if fd > 2 and target != os.devnull}
    assert len(kept) == 4 and all(target.startswith("pipe:") for target in kept.values())


def test_auto_copies_a_small_dataset_into_memory_and_leaves_a_large_one_on_disk(
    settings, monkeypatch
):
    from kg.store import embedded

    dataset = settings.dataset_dir / "dataset.nq"
    assert embedded.query_store("auto", dataset) == "memory"  # the report: 5 MB
    monkeypatch.setattr(embedded, "AUTO_MEMORY_BYTES", dataset.stat().st_size - 1)
    assert embedded.query_store("auto", dataset) == "shared"
    store = EmbeddedStore(dataset, settings=settings.with_(query_store="auto"), workers=1)
    try:
        assert store.source == (settings.dataset_dir / STORE_DIR).resolve()
        assert store.query("ASK { ?s ?p ?o }").boolean is True
    finally:
        store.close()


def test_the_engine_hands_large_blocks_and_free_heap_back(settings):
    from kg.sparql.pool import ALLOCATOR

    pool = WorkerPool(settings.dataset_dir / "dataset.nq", 1)
    try:
        assert pool.ready(60)
        (engine,) = pool.pids()
        environ = Path(f"/proc/{engine}/environ").read_bytes().split(b"\0")
    finally:
        pool.close()
    for name, value in ALLOCATOR.items():
        assert f"{name}={value}".encode() in environ


def test_an_unknown_query_store_setting_is_refused(settings):
    with pytest.raises(ValueError, match="query-store"):
        EmbeddedStore(
            settings.dataset_dir / "dataset.nq", settings=settings.with_(query_store="disk")
        )

"""Helpers the serving benchmarks share: start a real ``kg serve`` (optionally over a copy of
the current release without its on-disk store, i.e. the way every process used to parse
``dataset.nq`` into memory), wait for its first 200, and measure the resident memory of its
whole process tree from /proc (RSS, and PSS, which splits shared pages between the processes
that map them). Reads ``out/current``; writes only temporary folders."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CURRENT = ROOT / "out" / "current"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tree(root: int) -> list[int]:
    """``root`` and all its descendants."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += [child for child, parent in parents.items() if parent == pid]
    return found


def memory(root: int) -> tuple[int, float, float]:
    """(processes, total PSS MB, total RSS MB) of the tree under ``root``."""
    pss = rss = 0
    pids = tree(root)
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("Pss:"):
                pss += int(line.split()[1])
            elif line.startswith("Rss:"):
                rss += int(line.split()[1])
    return len(pids), pss / 1024, rss / 1024


def by_kind(root: int) -> dict[str, tuple[int, float, float]]:
    """Per kind of process under ``root`` (master, server worker, query worker): (count,
    mean PSS MB, mean private anonymous MB: what a process holds of its own)."""
    kinds: dict[str, list[tuple[float, float]]] = {}
    workers = set(query_workers(root))
    for pid in tree(root):
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        fields = {line.split(":")[0]: int(line.split()[1]) for line in text.splitlines()[1:]}
        kind = "master" if pid == root else "query engine" if pid in workers else "server worker"
        kinds.setdefault(kind, []).append((fields["Pss"] / 1024, fields["Anonymous"] / 1024))
    return {
        kind: (len(v), sum(a for a, _ in v) / len(v), sum(b for _, b in v) / len(v))
        for kind, v in kinds.items()
    }


def query_workers(root: int) -> list[int]:
    """The query worker processes under ``root``."""
    found = []
    for pid in tree(root):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"kg.sparql.worker" in command:
            found.append(pid)
    return found


@dataclass
class Served:
    """A running ``kg serve``: its process, base URL and seconds to its first 200."""

    process: subprocess.Popen[bytes]
    url: str
    cold_start: float


@contextmanager
def kg_serve(
    workers: int = 2,
    *,
    env: dict[str, str] | None = None,
    code: Path = ROOT,
) -> Iterator[Served]:
    """``kg serve`` on a free port, timed from start to its first 200 on ``/sparql``
    (``code``: the source tree to run, e.g. an older commit's, over this tree's release)."""
    port = free_port()
    environment = {**os.environ, "HMIC_KG_OUTPUT_DIR": str(ROOT / "out"), **(env or {})}
    began = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kg.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=code,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    probe = f"{url}/sparql?query=" + urllib.parse.quote("ASK { ?s ?p ?o }")
    try:
        wait_until_answered(probe, process, 120, "kg serve")
        yield Served(process, url, time.perf_counter() - began)
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_answered(
    probe: str, process: subprocess.Popen[bytes], seconds: float, name: str
) -> None:
    """Poll ``probe`` until it answers 200; fail once ``seconds`` pass or ``process`` ends."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(probe, timeout=30) as answer:
                if answer.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{name} did not answer") from None
            time.sleep(0.01)


@contextmanager
def source_tree(revision: str) -> Iterator[Path]:
    """The files of ``revision`` of this repository in a temporary folder (run with this
    tree's virtual environment: ``python -m`` imports from the working directory first)."""
    with tempfile.TemporaryDirectory(prefix="kg-rev-") as tmp:
        archive = subprocess.run(
            ["git", "archive", revision], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        yield Path(tmp)


@contextmanager
def oxigraph_serve() -> Iterator[Served]:
    """``oxigraph serve-read-only`` (the server the ``oxigraph`` package installs) over a
    store loaded from the release's ``dataset.nq`` with the same default graph (the merge of
    the named graphs), on a free port; ``url`` is its query endpoint's base."""
    binary = Path(sys.executable).with_name("oxigraph")
    merge = "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
    with tempfile.TemporaryDirectory(prefix="kg-oxigraph-") as tmp:
        location = str(Path(tmp) / "db")
        for args in (
            ["load", "--location", location, "--file", str(CURRENT / "dataset.nq")],
            ["update", "--location", location, "--update", merge],
        ):
            subprocess.run([str(binary), *args], check=True, capture_output=True, timeout=300)
        port = free_port()
        began = time.perf_counter()
        process = subprocess.Popen(
            [str(binary), "serve-read-only", "--location", location, "--bind", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        probe = f"http://127.0.0.1:{port}/query?query=" + urllib.parse.quote("ASK {}")
        try:
            wait_until_answered(probe, process, 60, "oxigraph serve")
            yield Served(process, f"http://127.0.0.1:{port}", time.perf_counter() - began)
        finally:
            process.terminate()
            process.wait(timeout=30)

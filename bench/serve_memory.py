"""Benchmark: resident memory and cold start of ``kg serve``, with the release's shared on-disk
store against each query worker parsing ``dataset.nq`` into memory of its own (the same code,
over a copy of the release without ``store/``), in one run.

For each layout and each number of server processes (``--workers``): seconds from starting
``kg serve`` to its first 200 on ``/sparql``, then the total PSS and RSS of the whole process
tree (server, its workers, their query workers), idle and after every query worker has run a
few whole-dataset queries (``--warm`` rounds). PSS splits shared pages (the store's page
cache mappings, the libraries) between the processes mapping them; it is the honest sum.
Also prints what one in-memory copy of the dataset costs a process, to compare with what each
extra server process adds. Bounded: a few seconds per server.

    .venv/bin/python bench/serve_memory.py                   # about 30 s
    .venv/bin/python bench/serve_memory.py --workers 1 2 4
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from serving import CURRENT, by_kind, kg_serve, memory, query_workers

WARM = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER (isLiteral(?o) && CONTAINS(STR(?o), 'e')) }",
]


def warm(url: str, rounds: int) -> None:
    """Run the whole-dataset queries ``rounds`` times over 8 connections, so that every query
    worker (picked freely by the servers) touches all the data."""
    urls = [
        f"{url}/sparql?query=" + urllib.parse.quote(f"{q} # {i}")  # distinct: never cached
        for i in range(rounds)
        for q in WARM
    ]

    def get(target: str) -> int:
        with urllib.request.urlopen(target, timeout=60) as answer:
            answer.read()
            return int(answer.status)

    with ThreadPoolExecutor(8) as pool:
        statuses = set(pool.map(get, urls))
    if statuses != {200}:
        raise SystemExit(f"warm-up failed: {statuses}")


def one_copy_mb() -> float:
    """RSS a fresh Python process gains by parsing the dataset into an in-memory store."""
    code = (
        "import sys; sys.path.insert(0, '.'); from pathlib import Path\n"
        "def rss():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmRSS'): return int(line.split()[1])\n"
        "import pyoxigraph\nfrom kg.sparql.worker import load\nbefore = rss()\n"
        f"store = load(Path({str(CURRENT / 'dataset.nq')!r}))\n"
        "print((rss() - before) / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def worker_start_ms(source: str, runs: int = 5) -> float:
    """Median milliseconds for one query worker to start and open ``source`` (what a worker
    restarted after a time-out or a crash costs before it serves again)."""
    sys.path.insert(0, str(CURRENT.parent.parent))
    from kg.sparql.pool import WorkerPool

    times = []
    for _ in range(runs):
        began = time.perf_counter()
        pool = WorkerPool(CURRENT / source, 1)
        pool.ready(60)
        times.append((time.perf_counter() - began) * 1000)
        pool.close()
    return sorted(times)[len(times) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--warm", type=int, default=6, help="rounds of whole-dataset queries")
    args = parser.parse_args()
    if not (CURRENT / "dataset.nq").exists():
        raise SystemExit("no build: run `kg build`")
    print(f"one in-memory copy of the dataset: {one_copy_mb():.1f} MB RSS in a process")
    print(
        f"a query worker starts in {worker_start_ms('store'):.0f} ms over the store, "
        f"{worker_start_ms('dataset.nq'):.0f} ms parsing dataset.nq"
    )
    print(
        f"{'layout':<22} {'workers':>7} {'procs':>5} {'cold s':>7} "
        f"{'PSS idle':>9} {'PSS warm':>9} {'RSS warm':>9}  MB"
    )
    rows: dict[tuple[bool, int], float] = {}
    kinds: dict[tuple[bool, int], dict[str, tuple[int, float, float]]] = {}
    for with_store in (False, True):
        label = "shared on-disk store" if with_store else "dataset.nq per worker"
        for workers in args.workers:
            with kg_serve(workers, with_store=with_store) as served:
                pid = served.process.pid
                expected = 2 * workers  # query-workers (2) per server process
                # the first 200 comes from the first query worker up; wait for all of them
                for _ in range(600):
                    if len(query_workers(pid)) >= expected:
                        break
                    time.sleep(0.05)
                idle = memory(pid)
                warm(served.url, args.warm)
                procs, pss, rss = memory(pid)
                kinds[(with_store, workers)] = by_kind(pid)
            rows[(with_store, workers)] = pss
            print(
                f"{label:<22} {workers:>7} {procs:>5} {served.cold_start:>7.2f} "
                f"{idle[1]:>9.1f} {pss:>9.1f} {rss:>9.1f}"
            )
    print("\nper process, warm, largest run (mean PSS / mean private anonymous MB):")
    for with_store in (False, True):
        label = "shared on-disk store" if with_store else "dataset.nq per worker"
        found = kinds[(with_store, args.workers[-1])]
        cells = [f"{k} x{n}: {a:.1f} / {b:.1f}" for k, (n, a, b) in sorted(found.items())]
        print(f"{label:<22} " + "; ".join(cells))
    for with_store in (False, True):
        sizes = args.workers
        steps = [
            (rows[(with_store, b)] - rows[(with_store, a)]) / (b - a)
            for a, b in itertools.pairwise(sizes)
        ]
        label = "shared on-disk store" if with_store else "dataset.nq per worker"
        print(
            f"{label}: each extra server process adds "
            + ", ".join(f"{s:.1f}" for s in steps)
            + " MB PSS"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

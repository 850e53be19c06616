"""Benchmark: resident memory and cold start of ``kg serve`` with each ``query-store``: each
server process's query engine parsing ``dataset.nq`` into memory once (``memory``, what the
default ``auto`` picks for the report), against the engine querying the release's on-disk
store (``shared``, what it picks for a large corpus), in one run; ``--output`` serves another
build, e.g. a corpus's.

For each layout and each number of server processes (``--workers``): seconds from starting
``kg serve`` to its first 200 on ``/sparql``, then the total PSS and RSS of the whole process
tree (server, its workers, their engines), idle and after every engine has run a few
whole-dataset queries (``--warm`` rounds); and, with two server processes, the same with more
queries at once per engine (``--slots``: threads, not copies). PSS splits shared pages (the
store's page cache mappings, the libraries) between the processes mapping them; it is the
honest sum. Also prints what one in-memory copy of the dataset costs a process, to compare
with what each extra server process and each extra slot adds. Bounded: a few seconds per
server.

    .venv/bin/python bench/serve_memory.py                   # about 40 s
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
from pathlib import Path
from typing import Any

from serving import CURRENT, ROOT, by_kind, kg_serve, memory, query_workers

WARM = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER (isLiteral(?o) && CONTAINS(STR(?o), 'e')) }",
]


def warm(url: str, rounds: int) -> None:
    """Run the whole-dataset queries ``rounds`` times over 8 connections, so that every
    engine (picked freely by the servers) touches all the data."""
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


def one_copy_mb(current: Path) -> float:
    """RSS a fresh Python process gains by parsing the dataset into an in-memory store."""
    code = (
        "import sys; sys.path.insert(0, '.'); from pathlib import Path\n"
        "def rss():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmRSS'): return int(line.split()[1])\n"
        "import pyoxigraph\nfrom kg.sparql.worker import load\nbefore = rss()\n"
        f"store = load(Path({str(current / 'dataset.nq')!r}))\n"
        "print((rss() - before) / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def engine_start_ms(current: Path, source: str, runs: int = 5) -> float:
    """Median milliseconds for a query engine to start and open ``source`` (what an engine
    restarted after a time-out or a crash costs before it serves again)."""
    sys.path.insert(0, str(ROOT))
    from kg.sparql.pool import WorkerPool

    times = []
    for _ in range(runs):
        began = time.perf_counter()
        pool = WorkerPool(current / source, 2)
        pool.ready(60)
        times.append((time.perf_counter() - began) * 1000)
        pool.close()
    return sorted(times)[len(times) // 2]


LAYOUTS = {"memory": "memory", "shared": "shared on-disk store"}  # setting: label


def measure(workers: int, store: str, slots: int, rounds: int, output: Path) -> tuple[Any, ...]:
    """(processes, cold start s, idle PSS, warm PSS, warm RSS, per-kind memory) of one
    ``kg serve`` of the build in ``output``."""
    env = {
        "HMIC_KG_QUERY_STORE": store,
        "HMIC_KG_QUERY_WORKERS": str(slots),
        "HMIC_KG_OUTPUT_DIR": str(output),
    }
    with kg_serve(workers, env=env) as served:
        pid = served.process.pid
        for _ in range(600):  # the first 200 comes from the first engine up: wait for all
            if len(query_workers(pid)) >= workers:
                break
            time.sleep(0.05)
        idle = memory(pid)
        warm(served.url, rounds)
        procs, pss, rss = memory(pid)
        return procs, served.cold_start, idle[1], pss, rss, by_kind(pid)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--slots", type=int, default=4, help="queries at once, extra row")
    parser.add_argument("--warm", type=int, default=6, help="rounds of whole-dataset queries")
    parser.add_argument(
        "--output",
        type=Path,
        default=CURRENT.parent,
        help="the build to serve (default out/; e.g. a corpus build's output folder)",
    )
    parser.add_argument("--stores", nargs="+", default=list(LAYOUTS), choices=list(LAYOUTS))
    args = parser.parse_args()
    current = args.output / "current"
    if not (current / "dataset.nq").exists():
        raise SystemExit(f"no build in {args.output}: run `kg build`")
    layouts = {LAYOUTS[store]: store for store in args.stores}
    print(f"one in-memory copy of the dataset: {one_copy_mb(current):.1f} MB RSS in a process")
    print(
        f"a query engine starts in {engine_start_ms(current, 'dataset.nq'):.0f} ms parsing "
        f"dataset.nq, {engine_start_ms(current, 'store'):.0f} ms over the store"
    )
    print(
        f"{'layout':<22} {'workers':>7} {'slots':>5} {'procs':>5} {'cold s':>7} "
        f"{'PSS idle':>9} {'PSS warm':>9} {'RSS warm':>9}  MB"
    )
    rows: dict[tuple[str, int, int], tuple[Any, ...]] = {}
    runs = [(w, 2) for w in args.workers] + [(2, args.slots)]
    for label, store in layouts.items():
        for workers, slots in runs:
            found = rows[(label, workers, slots)] = measure(
                workers, store, slots, args.warm, args.output
            )
            procs, cold, idle, pss, rss, _kinds = found
            print(
                f"{label:<22} {workers:>7} {slots:>5} {procs:>5} {cold:>7.2f} "
                f"{idle:>9.1f} {pss:>9.1f} {rss:>9.1f}"
            )
    print("\nper process, warm, largest run (mean PSS / mean private anonymous MB):")
    for label in layouts:
        kinds = rows[(label, args.workers[-1], 2)][5]
        cells = [f"{k} x{n}: {a:.1f} / {b:.1f}" for k, (n, a, b) in sorted(kinds.items())]
        print(f"{label:<22} " + "; ".join(cells))
    for label in layouts:
        pss = {w: rows[(label, w, 2)][3] for w in args.workers}
        steps = [(pss[b] - pss[a]) / (b - a) for a, b in itertools.pairwise(args.workers)]
        extra = (rows[(label, 2, args.slots)][3] - rows[(label, 2, 2)][3]) / (2 * (args.slots - 2))
        print(
            f"{label}: each extra server process adds "
            + ", ".join(f"{s:.1f}" for s in steps)
            + f" MB PSS; each extra slot {extra:.1f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

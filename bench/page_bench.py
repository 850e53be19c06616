"""Benchmark: server time of a resource page on the embedded store (and, side by side, over
a SPARQL server through the remote store with ``--endpoint``).

Builds the app over the embedded store of the current build (``out/current``), requests the
page of each resource N times through Flask's test client (no network: this is server time —
query, page model and template), and prints p50 / p99 of the wall time and the p50 of the
process CPU time (steadier on a busy machine) in milliseconds, and how many store queries
each page made, and the time of the first request (which fills the per-app caches: the
ontology, search's text index). Target: p50 ≤ 20 ms with one or two queries per page.

    .venv/bin/python bench/page_bench.py              # the default pages, 200 requests each
    .venv/bin/python bench/page_bench.py -n 500 /doc/force/leicestershire
    .venv/bin/python bench/page_bench.py -n 50 --endpoint http://127.0.0.1:8890/sparql
    .venv/bin/python bench/page_bench.py --output-dir /tmp/n43 --corpus   # a corpus build

``--output-dir`` benchmarks another build (e.g. ``kg build --corpus`` with N synthetic
reports, see bench/corpus.py and docs/build.md); ``--corpus`` times the pages whose work
grows with the number of reports: home, forces, a force, search and the report reader.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.config import load_settings  # noqa: E402
from kg.store.embedded import EmbeddedStore  # noqa: E402
from kg.store.remote import RemoteStore  # noqa: E402
from web.app import create_app  # noqa: E402

DEFAULT_PAGES = (
    "/doc/force/leicestershire",
    "/doc/judgment/leicestershire-2014/reducing-crime",
    "/doc/initiative/operation-tiger",
    "/doc/observation/crime-rate/leicestershire/12-months-to-2014-06",
    "/def/hmic/Judgment",
)
CORPUS_PAGES = (
    "/",
    "/forces",
    "/doc/force/leicestershire",
    "/doc/force/kent",
    "/search?q=anti-social+behaviour",
    "/search?q=victims",
    "/report",
)


class CountingStore:
    """Wraps a store and counts the queries it answers."""

    def __init__(self, inner: EmbeddedStore | RemoteStore) -> None:
        self.inner = inner
        self.backend = inner.backend
        self.count = 0

    def query(self, *args, **kwargs):
        self.count += 1
        return self.inner.query(*args, **kwargs)

    def query_raw(self, *args, **kwargs):
        self.count += 1
        return self.inner.query_raw(*args, **kwargs)

    def close(self) -> None:
        self.inner.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def bench(
    paths: list[str], n: int, endpoint: str | None = None, output_dir: Path | None = None
) -> list[tuple[str, float, float, float, int, float]]:
    settings = load_settings(**({"output_dir": str(output_dir)} if output_dir else {}))
    if endpoint:
        settings = settings.with_(store="remote", remote_query_endpoint=endpoint)
        store = CountingStore(RemoteStore(settings))
    else:
        store = CountingStore(EmbeddedStore(settings.dataset_dir / "dataset.nq"))
    app = create_app(settings, store=store)
    client = app.test_client()
    # Warm the per-app ontology cache, as a running server would be; a large build takes the
    # query workers a while to load (503 until then).
    deadline = time.monotonic() + 300
    while client.get("/def/hmic").status_code == 503 and time.monotonic() < deadline:
        time.sleep(2)
    results = []
    for path in paths:
        start = time.perf_counter()
        first = client.get(path)
        first_ms = (time.perf_counter() - start) * 1000
        if first.status_code != 200:
            print(f"{path}: HTTP {first.status_code}", file=sys.stderr)
            continue
        before = store.count
        client.get(path)
        queries = store.count - before
        times, cpu = [], []
        for _ in range(n):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            if response.status_code != 200:
                print(f"{path}: HTTP {response.status_code} on a repeat", file=sys.stderr)
                break
        results.append(
            (
                path,
                statistics.median(times),
                percentile(times, 99),
                statistics.median(cpu),
                queries,
                first_ms,
            )
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=list(DEFAULT_PAGES))
    parser.add_argument("-n", type=int, default=200, help="requests per page")
    parser.add_argument("--endpoint", help="also time the pages over this SPARQL endpoint")
    parser.add_argument("--output-dir", type=Path, default=None, help="the build to serve")
    parser.add_argument("--corpus", action="store_true", help="the pages that grow with N")
    args = parser.parse_args()
    paths = list(CORPUS_PAGES) if args.corpus and args.paths == list(DEFAULT_PAGES) else args.paths
    if not args.endpoint:
        print(f"{'page':66} {'p50 ms':>7} {'p99 ms':>7} {'cpu p50':>8} {'queries':>7} {'first':>7}")
        for path, p50, p99, cpu, queries, first in bench(paths, args.n, output_dir=args.output_dir):
            print(f"{path:66} {p50:7.1f} {p99:7.1f} {cpu:8.1f} {queries:7d} {first:7.0f}")
        return
    embedded = {r[0]: r for r in bench(paths, args.n, output_dir=args.output_dir)}
    remote = {r[0]: r for r in bench(paths, args.n, args.endpoint, args.output_dir)}
    print(f"remote: {args.endpoint}, {args.n} requests a page")
    print(
        f"{'page':52} {'embedded p50':>12} {'p99':>6} {'remote p50':>10} {'p99':>6} {'queries':>7}"
    )
    for path in paths:
        if path in embedded and path in remote:
            e, r = embedded[path], remote[path]
            print(f"{path:52} {e[1]:12.1f} {e[2]:6.1f} {r[1]:10.1f} {r[2]:6.1f} {r[4]:7d}")


if __name__ == "__main__":
    main()

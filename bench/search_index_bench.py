"""Benchmark: the search page's text index (web/data/text_index.py) on a build.

Runs the ``search-texts`` query once over the embedded store of a build, builds the index from
its rows and prints: rows, distinct texts and resources, the query and build times, the
memory the index holds (``tracemalloc``: Python allocations made while building it, the rows
freed) and the time to match and rank a few searches (median of 20, wall and CPU). The page
itself is timed by bench/page_bench.py.

    .venv/bin/python bench/search_index_bench.py                        # the real build
    .venv/bin/python bench/search_index_bench.py --output-dir /tmp/n43   # a corpus build
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.config import load_settings  # noqa: E402
from kg.namespaces import Base  # noqa: E402
from kg.store.embedded import EmbeddedStore  # noqa: E402
from web.data import queries  # noqa: E402
from web.data.text_index import TextIndex  # noqa: E402
from web.pages.search import rank_matches, terms_of  # noqa: E402

SEARCHES = ("anti-social behaviour", "victims", "operation tiger", "crime")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=None, help="the build to read")
    args = parser.parse_args()
    settings = load_settings(**({"output_dir": str(args.output_dir)} if args.output_dir else {}))
    base = Base(settings.base_iri)
    store = EmbeddedStore(settings.dataset_dir / "dataset.nq", workers=1)
    try:
        text = queries.load("search-texts", base)
        deadline = time.monotonic() + 300
        while True:  # a large store takes the worker a while to open
            try:
                start = time.perf_counter()
                rows = store.query(text, timeout=120).rows
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)
        query_s = time.perf_counter() - start
    finally:
        store.close()
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    index = TextIndex.from_rows(rows)
    build_s = time.perf_counter() - start
    del rows
    gc.collect()
    held_mb = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    print(f"texts {len(index.texts):,}, resources {len(index.nodes):,}")
    print(f"query {query_s:.2f} s, build {build_s:.2f} s, index holds {held_mb:.0f} MB")
    print(f"{'search':24} {'texts':>7} {'hits':>7} {'match+rank ms':>14} {'CPU ms':>7}")
    hmic_text = str(base.HMIC.text)
    for search in SEARCHES:
        terms = terms_of(search)
        times, cpu = [], []
        for _ in range(20):
            start, start_cpu = time.perf_counter(), time.process_time()
            matches = index.matching(terms)
            hits = rank_matches(matches, terms, hmic_text)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        wall, spent = statistics.median(times), statistics.median(cpu)
        print(f"{search:24} {len(matches):7,} {len(hits):7,} {wall:14.1f} {spent:7.1f}")


if __name__ == "__main__":
    main()

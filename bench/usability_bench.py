"""Benchmark what ``/sparql`` adds to each query for usability: lexing the text once, the
unknown-terms and never-bound checks on every answer, the prefix prologue a remote store adds
and the error explainer on broken queries — over the competency queries — next to the
engine's own time for the same queries (no result cache), and the one-off load of the
dataset's project IRIs. Prints a table.

    .venv/bin/python bench/usability_bench.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from kg.config import load_settings
from kg.sparql.errors import explain, never_bound
from kg.sparql.lexer import tokens
from kg.sparql.prefixes import predeclared, with_prologue
from kg.sparql.unknown import KnownTerms, header_value
from kg.store.embedded import EmbeddedStore

QUERIES = sorted((Path(__file__).resolve().parent.parent / "tests" / "competency").glob("*.rq"))


def _per_call(work: Callable[[], object], calls: int, rounds: int) -> float:
    """Median microseconds per call over ``rounds`` rounds."""
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        work()
        times.append((time.perf_counter() - began) / calls * 1e6)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    settings = load_settings()
    table = predeclared(settings.base_iri)
    texts = [q.read_text(encoding="utf-8") for q in QUERIES]
    broken = [t[: len(t) // 2] for t in texts]
    # No result cache: the engine row is the engine's own time (through its worker process).
    settings = settings.with_(result_cache_entries=0)
    store = EmbeddedStore(settings.dataset_dir / "dataset.nq", settings=settings, workers=1)
    try:
        began = time.perf_counter()
        known = KnownTerms.load(store, settings.base_iri, settings.query_timeout)
        load_ms = (time.perf_counter() - began) * 1e3
        engine = _per_call(lambda: [store.query_raw(t, "json") for t in texts], len(texts), 1)
    finally:
        store.close()
    oxi = ox.Store()
    errors = []
    for text in broken:
        try:
            oxi.query(text, prefixes=table)
        except SyntaxError as exc:
            errors.append((text, str(exc)))
    n = len(texts)
    rows = [
        ("lex the text (once per text)", lambda: [tokens(t) for t in texts], n),
        ("unknown-terms header", lambda: [header_value(known, t, table) for t in texts], n),
        ("never-bound header", lambda: [never_bound(t) for t in texts], len(texts)),
        ("remote prologue", lambda: [with_prologue(t, table) for t in texts], len(texts)),
        ("explain a parse error", lambda: [explain(t, m, table) for t, m in errors], len(errors)),
    ]
    print(f"{len(texts)} competency queries, {len(known.iris):,} project IRIs")
    print(f"{'step':28} {'µs per query':>14}")
    print(f"{'-' * 28} {'-' * 14}")
    for name, work, calls in rows:
        print(f"{name:28} {_per_call(work, calls, args.rounds):14.1f}")
    print(f"{'the query itself (engine)':28} {engine:14.1f}")
    print(f"load project IRIs once per app: {load_ms:.0f} ms")


if __name__ == "__main__":
    main()

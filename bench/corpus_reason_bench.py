"""Benchmark: the reason stage alone over the ontology plus N renamed copies of the real report.

The measurement the issue made for owlrl (2.5 s and 17 MB per report), repeated with the
build's reasoner (:func:`kg.pipeline.reason.infer_scalable`): the ontology, the external graphs
and N copies of the real asserted graph, each copy's own identifiers renamed into
``synthetic/{k}/`` (forces, periods, programmes and terms shared, as bench/corpus.py does).
The copies are streamed to the reasoner, never held as rdflib graphs, so the memory measured
is the reasoner's (its triple sets and the inferred graph it returns). Each N runs in a fresh
process; prints CPU seconds, wall seconds, peak RSS and the closure size.

Usage: ``python bench/corpus_reason_bench.py [--sizes 1,10,43,100,430] [--timeout 900]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.term import Node

ROOT = Path(__file__).resolve().parent.parent
SHARED = ("force/", "period/", "programme/")


class RenamedCopy:
    """Copy ``number`` of a graph, iterated lazily, its own identifiers renamed."""

    def __init__(self, graph: Graph, base: str, number: int) -> None:
        self.graph, self.ids, self.prefix = graph, base + "id/", f"{base}synthetic/{number:04d}/"
        self.cache: dict[Node, Node] = {}

    def _rename(self, node: Node) -> Node:
        if not isinstance(node, URIRef) or not node.startswith(self.ids):
            return node
        if node[len(self.ids) :].startswith(SHARED):
            return node
        found = self.cache.get(node)
        if found is None:
            found = self.cache[node] = URIRef(self.prefix + node[len(self.ids) - 3 :])
        return found

    def __iter__(self) -> Iterator[tuple[Node, Node, Node]]:
        for s, p, o in self.graph:
            yield self._rename(s), p, self._rename(o)


def worker(count: int) -> dict[str, float]:
    """Reason over the ontology, the external graphs and ``count`` copies; measure it."""
    sys.path.insert(0, str(ROOT))
    from kg.namespaces import Base
    from kg.pipeline.encode import encode
    from kg.pipeline.external import links_graph, peel_graph
    from kg.pipeline.reason import infer_scalable

    base = Base()
    sources = encode(base)
    data = [links_graph(base), peel_graph(base)]
    copies = [RenamedCopy(sources.asserted, base.iri, k) for k in range(1, count + 1)]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu, wall = time.process_time(), time.perf_counter()
    inference = infer_scalable(sources.ontology, [*data, *copies])  # type: ignore[list-item]
    return {
        "cpu": time.process_time() - cpu,
        "wall": time.perf_counter() - wall,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "before_mb": before / 1024,
        "inferred": len(inference.inferred),
        "errors": len(inference.errors),
    }


def main() -> None:
    """Print one row per N."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,10,43,100,430")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per N")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(args.worker)))
        return
    print("| N | CPU s | wall s | CPU s per report | peak RSS MB | inferred triples |")
    print("|---:|---:|---:|---:|---:|---:|")
    for count in (int(n) for n in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--worker", str(count)]
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=args.timeout, check=True
            )
        except subprocess.TimeoutExpired:
            print(f"| {count} | (timed out after {args.timeout:.0f} s) | | | | |", flush=True)
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"| {count} | {r['cpu']:.1f} | {r['wall']:.1f} | {r['cpu'] / count:.2f} | "
            f"{r['peak_mb']:.0f} | {r['inferred']:,} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

"""A generic 27-query mix derived from the data, for the serving benchmarks: three variants each
of nine shapes (a CONSTRUCT of a subject, its outgoing links, its incoming links, class counts
with GROUP BY, instances of a class with an OPTIONAL label, a label CONTAINS search, an
``rdfs:subClassOf*`` roll-up, a two-hop join on a frequent property, ORDER BY … LIMIT 10).

The IRIs, classes, properties and words are picked from the release's store by frequency
(the most linked subjects and objects, the largest classes, the most used properties, the
commonest label words), so the mix fits any dataset, not this one by hand. Reads
``out/current/store`` (or ``dataset.nq``); writes nothing.

    .venv/bin/python bench/query_mix.py        # prints the mix
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
CURRENT = ROOT / "out" / "current"
JSON = "application/sparql-results+json"
NT = "application/n-triples"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
RANKS = (0, 2, 5)  # which of the most frequent candidates the three variants take


@dataclass(frozen=True)
class Query:
    """One query of the mix: its shape, variant, text and the Accept header to send."""

    shape: str
    variant: int
    text: str
    accept: str

    @property
    def name(self) -> str:
        return f"{self.shape}-{self.variant}"


def open_release() -> ox.Store:
    """The current release's store (read-only), or its N-Quads parsed into memory."""
    if (CURRENT / "store" / "CURRENT").exists():
        return ox.Store.read_only(str(CURRENT / "store"))
    sys.path.insert(0, str(ROOT))
    from kg.sparql.worker import load

    return load(CURRENT / "dataset.nq")


def _top(store: ox.Store, query: str, count: int = 8) -> list[str]:
    return [row[0].value for row in store.query(f"{query} LIMIT {count}")]  # type: ignore[union-attr]


def _pick(candidates: list[str]) -> list[str]:
    return [candidates[min(rank, len(candidates) - 1)] for rank in RANKS]


def _words(store: ox.Store) -> list[str]:
    counts: Counter[str] = Counter()
    for row in store.query(f"SELECT ?l WHERE {{ ?s <{LABEL}> ?l }}"):  # type: ignore[union-attr]
        counts.update(set(re.findall(r"[a-z]{6,}", row[0].value.lower())))
    return [word for word, _n in counts.most_common(10)]


def derive(store: ox.Store) -> list[Query]:
    """The 27 queries, their IRIs and words picked from ``store``."""
    subjects = _pick(
        _top(
            store,
            "SELECT ?s WHERE { ?s ?p ?o FILTER isIRI(?s) } GROUP BY ?s ORDER BY DESC(COUNT(*)) ?s",
        )
    )
    objects = _pick(
        _top(
            store,
            f"SELECT ?o WHERE {{ ?s ?p ?o FILTER (isIRI(?o) && ?p != <{RDF_TYPE}>) }} "
            "GROUP BY ?o ORDER BY DESC(COUNT(*)) ?o",
        )
    )
    classes = _pick(
        _top(store, "SELECT ?c WHERE { ?s a ?c } GROUP BY ?c ORDER BY DESC(COUNT(*)) ?c")
    )
    supers = _pick(
        _top(
            store,
            f"SELECT ?c WHERE {{ ?s <{SUBCLASS}> ?c }} GROUP BY ?c ORDER BY DESC(COUNT(*)) ?c",
        )
    )
    links = _pick(
        _top(
            store,
            f"SELECT ?p WHERE {{ ?s ?p ?o . ?o ?q ?x FILTER (?p != <{RDF_TYPE}>) }} "
            "GROUP BY ?p ORDER BY DESC(COUNT(DISTINCT ?s)) ?p",
        )
    )
    starts = [
        _top(store, f"SELECT ?s WHERE {{ ?s <{p}> ?o }} GROUP BY ?s ORDER BY DESC(COUNT(*)) ?s", 1)[
            0
        ]
        for p in links
    ]
    valued = _pick(
        _top(
            store,
            "SELECT ?p WHERE { ?s ?p ?o FILTER (isNumeric(?o)) } GROUP BY ?p "
            "ORDER BY DESC(COUNT(*)) ?p",
        )
    )
    words = _pick(_words(store))
    namespaces = [
        c.rsplit("#", 1)[0] + "#" if "#" in c else c.rsplit("/", 1)[0] + "/" for c in classes
    ]
    shapes: list[tuple[str, list[str], str]] = [
        (
            "construct",
            [f"CONSTRUCT {{ <{s}> ?p ?o }} WHERE {{ <{s}> ?p ?o }}" for s in subjects],
            NT,
        ),
        ("outgoing", [f"SELECT ?p ?o WHERE {{ <{s}> ?p ?o }}" for s in subjects], JSON),
        ("incoming", [f"SELECT ?s ?p WHERE {{ ?s ?p <{o}> }}" for o in objects], JSON),
        (
            "class-counts",
            [
                "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c ORDER BY DESC(?n) ?c",
                "SELECT ?g ?c (COUNT(?s) AS ?n) WHERE { GRAPH ?g { ?s a ?c } } "
                "GROUP BY ?g ?c ORDER BY ?g DESC(?n)",
                "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c "
                f'FILTER STRSTARTS(STR(?c), "{namespaces[0]}") }} GROUP BY ?c ORDER BY DESC(?n)',
            ],
            JSON,
        ),
        (
            "instances",
            [
                f"SELECT ?s ?label WHERE {{ ?s a <{c}> OPTIONAL {{ ?s <{LABEL}> ?label }} }}"
                for c in classes
            ],
            JSON,
        ),
        (
            "label-search",
            [
                f"SELECT ?s ?label WHERE {{ ?s <{LABEL}> ?label "
                f'FILTER CONTAINS(LCASE(STR(?label)), "{w}") }}'
                for w in words
            ],
            JSON,
        ),
        (
            "subclass-rollup",
            [f"SELECT ?s ?c WHERE {{ ?c <{SUBCLASS}>* <{c}> . ?s a ?c }}" for c in supers],
            JSON,
        ),
        (
            "two-hop",
            [
                f"SELECT ?b ?q ?c WHERE {{ <{s}> <{p}> ?b . ?b ?q ?c }}"
                for s, p in zip(starts, links, strict=True)
            ],
            JSON,
        ),
        (
            "top-10",
            [f"SELECT ?s ?v WHERE {{ ?s <{p}> ?v }} ORDER BY DESC(?v) ?s LIMIT 10" for p in valued],
            JSON,
        ),
    ]
    return [
        Query(shape, i + 1, text, accept)
        for shape, texts, accept in shapes
        for i, text in enumerate(texts)
    ]


def sizes(store: ox.Store, mix: list[Query]) -> dict[str, int]:
    """Rows (or triples) each query of the mix returns."""
    return {q.name: sum(1 for _ in store.query(q.text)) for q in mix}  # type: ignore[union-attr]


if __name__ == "__main__":
    release = open_release()
    queries = derive(release)
    counts = sizes(release, queries)
    for query in queries:
        print(f"{query.name:<18} {counts[query.name]:>6} rows  {query.text}")

"""Which forces were graded below Leicestershire on investigating offending in 2014?

Joins the report's own force with the 43-force PEEL 2014 grades: every force whose agreed
grade on the question ranks lower on HMIC's four-grade scale than Leicestershire's. Disputed
grades (Cheshire) and missing ones (Hampshire) have no agreed grade, so they are not counted.

Run it over the built graph, or over a SPARQL server loaded with ``kg load``:

    .venv/bin/python docs/examples/below_leicestershire.py
    .venv/bin/python docs/examples/below_leicestershire.py http://127.0.0.1:7878/query
"""

from __future__ import annotations

import sys

from kg.api import KnowledgeGraph, connect, open_graph

QUERY = """
SELECT ?reference ?question ?force (MIN(STR(?label)) AS ?name) ?grade
WHERE {
  ?mine hmic:judgedForce ?reference ; hmic:question ?question ; hmic:grade ?mineGrade .
  ?mineGrade hmic:rank ?mineRank .
  ?judgment hmic:judgedForce ?force ; hmic:question ?question ; hmic:grade ?grade .
  ?grade hmic:rank ?rank .
  FILTER (?rank < ?mineRank)
  ?force rdfs:label ?label .
}
GROUP BY ?reference ?question ?force ?grade
ORDER BY ?name
"""


def below(kg: KnowledgeGraph, force: str, question: str) -> list[dict]:
    """The forces graded below ``force`` on ``question`` (prefixed names, e.g. ``force:x``)."""
    return kg.query(QUERY, reference=kg.iri(force), question=kg.iri(question))


def main(argv: list[str]) -> None:
    with connect(argv[1]) if len(argv) > 1 else open_graph() as kg:
        rows = below(kg, "force:leicestershire", "question:investigating-offending")
    print(f"{len(rows)} forces were graded below Leicestershire on investigating offending:")
    for row in rows:
        print(f"  {row['name']:<20} {row['grade'].rsplit('/', 1)[-1]}")


if __name__ == "__main__":
    main(sys.argv)

"""How many forces got each grade for each question in the 2014 crime inspections?

Counts the 43 forces' judgments by question and grade, and the judgments that have no agreed
grade (disputed between sources, or missing), so the totals add up to 43 per question.

    .venv/bin/python docs/examples/grade_distribution.py [SPARQL endpoint URL]

The rows are plain dicts: ``pandas.DataFrame(rows, columns=rows.columns)`` turns them into a
data frame, and ``.pivot(index="question", columns="grade", values="forces")`` into a table.
"""

from __future__ import annotations

import sys

from kg.api import connect, open_graph

QUERY = """
SELECT ?peel ?question ?grade (COUNT(DISTINCT ?force) AS ?forces)
WHERE {
  GRAPH ?peel {
    ?judgment hmic:judgedForce ?force ; hmic:question ?q ; hmic:gradeStatus ?status .
  }
  ?q skos:altLabel ?qLabel .
  ?status skos:prefLabel ?sLabel .
  OPTIONAL { ?judgment hmic:grade ?g . ?g skos:prefLabel ?gLabel }
  BIND (STR(?qLabel) AS ?question)
  BIND (COALESCE(STR(?gLabel), CONCAT("(", STR(?sLabel), ")")) AS ?grade)
}
GROUP BY ?peel ?question ?grade
ORDER BY ?question DESC(?forces) ?grade
"""


def main(argv: list[str]) -> None:
    with connect(argv[1]) if len(argv) > 1 else open_graph() as kg:
        rows = kg.query(QUERY, peel=kg.iri("graph:peel2014"))
    question = None
    for row in rows:
        if row["question"] != question:
            question = row["question"]
            total = sum(r["forces"] for r in rows if r["question"] == question)
            print(f"{question} ({total} forces)")
        print(f"  {row['grade']:<22} {row['forces']:>3}  {'#' * row['forces']}")


if __name__ == "__main__":
    main(sys.argv)

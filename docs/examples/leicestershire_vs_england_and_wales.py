"""Leicestershire's crime rates against England and Wales, with each area's ONS code.

Pairs every observation of the report's rates table for the Leicestershire police force area
with the England and Wales observation of the same indicator and period, and adds the GSS
code of each area from the links graph, ready to join with ONS statistics. (The ONS code
names the area, not the police force.)

    .venv/bin/python docs/examples/leicestershire_vs_england_and_wales.py [SPARQL endpoint URL]
"""

from __future__ import annotations

import sys

from kg.api import connect, open_graph

QUERY = """
SELECT ?dataset ?area ?comparison ?measure ?period ?value ?benchmark ?code ?benchmarkCode
WHERE {
  ?mine qb:dataSet ?dataset ; hmic:indicator ?indicator ; sdmx-dimension:refPeriod ?p ;
        sdmx-dimension:refArea ?area ; sdmx-measure:obsValue ?value .
  ?other qb:dataSet ?dataset ; hmic:indicator ?indicator ; sdmx-dimension:refPeriod ?p ;
         sdmx-dimension:refArea ?comparison ; sdmx-measure:obsValue ?benchmark .
  ?area hmic:gssCode ?code .
  ?comparison hmic:gssCode ?benchmarkCode .
  ?indicator skos:prefLabel ?label .
  ?p rdfs:label ?periodLabel .
  BIND (STR(?label) AS ?measure)
  BIND (STR(?periodLabel) AS ?period)
}
ORDER BY ?measure
"""


def main(argv: list[str]) -> None:
    with connect(argv[1]) if len(argv) > 1 else open_graph() as kg:
        rows = kg.query(
            QUERY,
            dataset=kg.iri("dataset:crime-rates"),
            area=kg.iri("place:leicestershire-police-area"),
            comparison=kg.iri("place:england-and-wales"),
        )
    first = rows[0]
    print(f"{'measure':<44} {first['code']:>10} {first['benchmarkCode']:>10} {'diff':>6}")
    for row in rows:
        diff = row["value"] - row["benchmark"]
        print(
            f"{row['measure']:<44} {row['value']:>10} {row['benchmark']:>10} {diff:>+6}"
            f"  ({row['period']})"
        )


if __name__ == "__main__":
    main(sys.argv)

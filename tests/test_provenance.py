"""Every fact is traceable to the passage it came from: quotes are verbatim and the Web
Annotation selectors built from them point at the right characters."""

from __future__ import annotations

from rdflib import URIRef

from kg.namespaces import AUTHORED

PREFIXES = """PREFIX hmic: <https://w3id.org/hmic-kg/def/hmic/>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX qb: <http://purl.org/linked-data/cube#>
"""


def test_every_quote_is_in_a_passage_it_cites(store):
    rows = store.query(
        PREFIXES
        + """SELECT ?fact ?quote (SAMPLE(?text) AS ?t) WHERE {
               ?fact hmic:quote ?quote ; hmic:statedIn ?p . ?p hmic:text ?text
               FILTER(CONTAINS(STR(?text), STR(?quote)))
             } GROUP BY ?fact ?quote"""
    ).rows
    found = {(r["fact"], str(r["quote"])) for r in rows}
    every = {
        (r["fact"], str(r["quote"]))
        for r in store.query(
            PREFIXES + "SELECT ?fact ?quote WHERE { ?fact hmic:quote ?quote }"
        ).rows
    }
    assert every and every == found


def test_position_selectors_point_at_the_quote(store):
    rows = store.query(
        PREFIXES
        + """SELECT ?exact ?start ?end ?text WHERE {
               ?a a oa:Annotation ; oa:hasTarget ?t .
               ?t oa:hasSource ?p ; oa:hasSelector ?q, ?pos .
               ?q a oa:TextQuoteSelector ; oa:exact ?exact .
               ?pos a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
               ?p hmic:text ?text }"""
    ).rows
    assert len(rows) > 500
    for row in rows:
        text, start, end = str(row["text"]), int(row["start"]), int(row["end"])
        assert text[start:end] == str(row["exact"])


def test_each_kind_of_fact_cites_the_report(store):
    for cls in ("Judgment", "Finding", "Initiative", "Recommendation", "PoliceUnit", "Community"):
        missing = store.query(
            PREFIXES
            + """SELECT ?s ?g ?cls WHERE { GRAPH ?g { ?s a ?cls }
                   FILTER NOT EXISTS { ?s hmic:statedIn ?p ; hmic:quote ?q }
                   FILTER NOT EXISTS { ?s <http://www.w3.org/ns/prov#wasDerivedFrom> ?src } }""",
            {"cls": URIRef(AUTHORED.HMIC[cls]), "g": URIRef(AUTHORED.GRAPH["asserted"])},
        ).rows
        assert missing == [], f"{cls} without provenance: {missing[:5]}"


def test_every_passage_outside_the_contents_page_is_cited(store):
    rows = store.query(
        PREFIXES
        + """SELECT ?p WHERE { ?p a hmic:Passage .
               FILTER NOT EXISTS { ?p <http://purl.org/dc/terms/isPartOf> ?s
                                   FILTER(STRENDS(STR(?s), "/section/contents")) }
               FILTER NOT EXISTS { ?fact hmic:statedIn ?p } }"""
    ).rows
    assert rows == []

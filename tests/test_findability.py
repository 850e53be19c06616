"""Over the built dataset: everything a user can meet has an English rdfs:label; anything the
report talks about reaches the passages that mention it (hmic:mentionedIn) and, through
hmic:under, the sections and inspection questions they sit under; each quote is paired with
its passage (hmic:evidence); each footnote is linked to its passage and phrase."""

from __future__ import annotations

import pytest
from rdflib import URIRef

from kg.namespaces import AUTHORED_BASE
from kg.report import FOOTNOTE_PHRASES, footnote_markers, parse_report

B = AUTHORED_BASE
REPORT = f"{B}id/report/crime-inspection-2014-leicestershire/"
PREFIXES = f"""
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX hmic: <{B}def/hmic/>
PREFIX question: <{B}def/question/>
PREFIX force: <{B}id/force/>
PREFIX initiative: <{B}id/initiative/>
PREFIX paragraph: <{REPORT}paragraph/>
PREFIX footnote: <{REPORT}footnote/>
"""


def _rows(store, query: str) -> list[dict[str, str]]:
    result = store.query(PREFIXES + query)
    return [{k: str(v) for k, v in row.items()} for row in result.rows]


def test_every_resource_but_annotation_plumbing_has_an_english_label(store):
    """Every IRI described in the default graph, and every project IRI it names."""
    unlabelled = _rows(
        store,
        """
        SELECT DISTINCT ?x WHERE {
          { ?x ?p ?o } UNION { ?s ?p ?x FILTER (STRSTARTS(STR(?x), "https://w3id.org/hmic-kg/")) }
          FILTER (isIRI(?x))
          FILTER NOT EXISTS { ?x rdfs:label ?l FILTER (langMatches(lang(?l), "en")) }
          FILTER NOT EXISTS {
            VALUES ?plumbing { oa:Annotation oa:SpecificResource oa:TextQuoteSelector
                               oa:TextPositionSelector }
            ?x a ?plumbing }
          FILTER (!STRSTARTS(STR(?x), "http://www.w3.org/"))  # W3C terms (skos:prefLabel)
        }""",
    )
    assert unlabelled == []


def test_code_list_concepts_and_distributions_are_found_by_rdfs_label(store):
    counts = _rows(
        store,
        """
        SELECT ?kind (COUNT(DISTINCT ?x) AS ?n) WHERE {
          VALUES ?kind { skos:Concept <http://www.w3.org/ns/dcat#Distribution> }
          ?x a ?kind ; rdfs:label ?l } GROUP BY ?kind""",
    )
    found = {r["kind"].rsplit("#", 1)[-1]: int(r["n"]) for r in counts}
    assert found["Concept"] >= 101 and found["Distribution"] >= 17


def test_under_which_questions_is_a_thing_mentioned(store):
    rows = _rows(
        store,
        """
        SELECT DISTINCT ?question WHERE {
          initiative:operation-tiger hmic:mentionedIn/hmic:under ?question .
          ?question a hmic:InspectionQuestion }""",
    )
    assert rows, "Operation Tiger is mentioned under no question"
    assert all(r["question"].startswith(f"{B}def/question/") for r in rows)


def test_things_mentioned_under_more_than_one_question(store):
    rows = _rows(
        store,
        """
        SELECT ?thing (COUNT(DISTINCT ?q) AS ?n) WHERE {
          ?thing hmic:mentionedIn/hmic:under ?q . ?q a hmic:InspectionQuestion }
        GROUP BY ?thing HAVING (COUNT(DISTINCT ?q) > 1)""",
    )
    things = {r["thing"] for r in rows}
    assert f"{B}id/force/leicestershire" in things
    assert all(t.startswith(f"{B}id/") for t in things)


def test_mentions_follow_the_facts(store):
    """Every passage a fact is stated in mentions the fact and what it names."""
    missing = _rows(
        store,
        """
        SELECT ?fact ?passage WHERE {
          ?fact hmic:statedIn ?passage ; hmic:judgedForce ?force .
          FILTER NOT EXISTS { ?fact hmic:mentionedIn ?passage }
          FILTER NOT EXISTS { ?force hmic:mentionedIn ?passage } }""",
    )
    assert missing == []


def test_under_is_transitive_from_passage_to_question(store):
    rows = _rows(
        store,
        """
        SELECT ?up WHERE { paragraph:65 hmic:under ?up }""",
    )
    ups = {r["up"] for r in rows}
    assert f"{B}def/question/reducing-crime" in ups
    assert f"{REPORT}section/reducing-crime" in ups
    assert any(u.startswith(f"{REPORT}section/reducing-crime/") for u in ups)


def test_each_quote_is_paired_with_its_passage(store):
    unpaired = _rows(
        store,
        """
        SELECT ?fact ?quote WHERE {
          ?fact hmic:quote ?quote
          FILTER NOT EXISTS { ?fact hmic:evidence [ hmic:exactQuote ?quote ] } }""",
    )
    assert unpaired == []
    wrong = _rows(
        store,
        """
        SELECT ?e WHERE {
          ?fact hmic:evidence ?e . ?e hmic:fromPassage ?p ; hmic:exactQuote ?q .
          ?p hmic:text ?text
          FILTER (!CONTAINS(STR(?text), STR(?q)) || NOT EXISTS { ?fact hmic:statedIn ?p }) }""",
    )
    assert wrong == []


@pytest.mark.parametrize("number", sorted(FOOTNOTE_PHRASES))
def test_a_footnote_is_linked_to_its_passage_and_phrase(store, number):
    rows = _rows(
        store,
        f"""
        SELECT ?passage ?phrase ?text WHERE {{
          footnote:{number} hmic:footnoteTo ?passage ; hmic:annotatedPhrase ?phrase .
          ?passage hmic:hasFootnote footnote:{number} ; hmic:text ?text }}""",
    )
    assert len(rows) == 1
    assert rows[0]["phrase"] == FOOTNOTE_PHRASES[number]
    assert rows[0]["phrase"] in rows[0]["text"]


def test_footnote_markers_follow_their_phrase():
    markers = {m.footnote: m for m in footnote_markers(parse_report())}
    assert sorted(markers) == [1, 2, 3, 4, 5]
    report = parse_report()
    for m in markers.values():
        text = report.passage(m.passage).text
        after = text[m.start + len(m.phrase)]
        assert after in ("¹²³⁴⁵" + str(m.footnote)), (m, after)
    assert URIRef(REPORT + markers[4].passage).endswith("paragraph/113")

"""Search's in-memory text index: it finds exactly the texts SPARQL's CONTAINS finds.

The reference is the query search used to run on every request (every text must contain every
term, compared lower case), kept here and run over the real build with the terms bound; the
index (web/data/text_index.py, built from the ``search-texts`` query) must find the same
(resource, property, text) triples for each search, and the search page must rank them.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDFS

from kg.namespaces import Base
from web.data import queries
from web.data.text_index import TextIndex
from web.pages.search import MAX_TERMS, terms_of

REFERENCE = """
SELECT ?t1 ?t2 ?t3 ?t4 ?t5 ?t6 ?s ?prop ?text
WHERE {
  VALUES ?prop {
    rdfs:label skos:prefLabel skos:altLabel dct:title foaf:name
    dct:description skos:definition rdfs:comment hmic:recommendationText hmic:text
  }
  ?s ?prop ?text .
  FILTER (isLiteral(?text))
  BIND (LCASE(STR(?text)) AS ?lc)
  FILTER ((?t1 = "" || CONTAINS(?lc, ?t1)) && (?t2 = "" || CONTAINS(?lc, ?t2))
          && (?t3 = "" || CONTAINS(?lc, ?t3)) && (?t4 = "" || CONTAINS(?lc, ?t4))
          && (?t5 = "" || CONTAINS(?lc, ?t5)) && (?t6 = "" || CONTAINS(?lc, ?t6)))
}
"""

SEARCHES = [
    "operation tiger",
    "victims",
    "anti-social behaviour",
    "crime",
    "Leicestershire Police",
    "e",
    "victims victim",
    "partnership neighbourhood police",
    "no such word anywhere",
    "'s",
]


@pytest.fixture
def base(settings) -> Base:
    return Base(settings.base_iri)


@pytest.fixture(scope="module")
def index(store, settings) -> TextIndex:
    text = queries.load("search-texts", Base(settings.base_iri))
    return TextIndex.from_rows(store.query(text).rows)


def _reference(store, settings, terms: list[str]) -> set[tuple[str, str, str]]:
    text = queries.prefix_block(Base(settings.base_iri)) + REFERENCE
    padded = terms + [""] * (MAX_TERMS - len(terms))
    bindings = {f"t{i + 1}": Literal(t) for i, t in enumerate(padded)}
    rows = store.query(text, bindings).rows
    return {(str(r["s"]), str(r["prop"]), str(r["text"])) for r in rows}


@pytest.mark.parametrize("query", SEARCHES)
def test_the_index_finds_what_contains_finds(store, settings, index, query):
    terms = terms_of(query)
    expected = _reference(store, settings, terms)
    found = [(str(m.node), m.prop, m.text) for m in index.matching(terms)]
    assert len(found) == len(set(found))  # one match per text, however often a term occurs
    assert set(found) == expected
    if query in ("victims", "crime", "operation tiger"):
        assert expected  # the comparison is not between two empty sets


def test_the_index_holds_types_and_labels(index, base):
    tiger = URIRef(str(base.ID) + "initiative/operation-tiger")
    types, labels = index.about(tiger)
    assert str(base.HMIC.Operation) in types
    assert "Operation Tiger" in {str(label) for label in labels}


def test_matching_lower_cases_like_sparql_and_keeps_texts_apart():
    a, b = URIRef("http://example.org/a"), URIRef("http://example.org/b")
    rows = [
        {"s": a, "prop": RDFS.label, "text": Literal("İstanbul Tiger")},  # lower-cases to 2 chars
        {"s": a, "prop": RDFS.label, "text": Literal("İstanbul Tiger")},  # a repeated row
        {"s": b, "prop": RDFS.comment, "text": Literal("ends with tig")},
        {"s": b, "prop": RDFS.comment, "text": Literal("er starts; tiger tiger")},
    ]
    index = TextIndex.from_rows(rows)
    assert [(m.node, m.text) for m in index.matching(["tiger"])] == [
        (a, "İstanbul Tiger"),
        (b, "er starts; tiger tiger"),
    ]
    assert index.matching(["tiger", "istanbul"]) == []  # "İ" lower-cases to "i̇", not "i"
    assert [m.node for m in index.matching(["i̇stanbul", "tiger"])] == [a]
    assert index.matching(["tig\x00er"]) == [] and index.matching([]) == []
    assert [str(label) for label in index.about(a)[1]] == ["İstanbul Tiger"]
    assert index.about(b)[1] == []


def test_search_page_pages_many_hits(client):
    page = client.get("/search?q=e").get_data(as_text=True)
    total = int(re.search(r"([\d,]+) results?", page).group(1).replace(",", ""))
    assert total > 20
    assert len(re.findall(r'<p class="hit-title">', page)) == 20
    last = client.get(f"/search?q=e&page={(total + 19) // 20}").get_data(as_text=True)
    assert 1 <= len(re.findall(r'<p class="hit-title">', last)) <= 20


@pytest.mark.external
@pytest.mark.parametrize(
    "backend",
    [
        pytest.param("remote_store", id="oxigraph"),
        pytest.param("virtuoso_store", id="virtuoso", marks=pytest.mark.virtuoso),
    ],
)
def test_a_remote_server_gives_the_same_index(request, settings, index, backend):
    remote = request.getfixturevalue(backend)
    text = queries.load("search-texts", Base(settings.base_iri))
    other = TextIndex.from_rows(remote.query(text).rows)

    def name(node) -> str:  # blank node labels are each server's own
        return "_:" if isinstance(node, BNode) else str(node)

    def entries(ix: TextIndex) -> Counter:
        return Counter(
            (name(ix.nodes[n]), p, t, ix.types[n])
            for n, p, t in zip(ix.text_node, ix.text_prop, ix.texts, strict=True)
        )

    assert entries(other) == entries(index) and entries(index)
    for query in SEARCHES:
        terms = terms_of(query)
        assert Counter((name(m.node), m.prop, m.text) for m in other.matching(terms)) == Counter(
            (name(m.node), m.prop, m.text) for m in index.matching(terms)
        )

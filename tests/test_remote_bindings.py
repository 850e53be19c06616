"""The VALUES-block writer of the remote backend (kg/store/bindings.py): terms are escaped or
refused, the block lands where Oxigraph's own substitutions would bind the value, and the
injected query answers exactly as the substituted one does."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from kg.sparql.lexer import analyse
from kg.store import bindings
from kg.store.base import QueryRefused
from kg.store.bindings import BindingError, inject, query_form, term
from kg.store.embedded import to_oxigraph, to_rdflib

A, B, C, D = (URIRef(f"http://example.org/{x}") for x in "abcd")
P, Q = URIRef("http://example.org/p"), URIRef("http://example.org/q")
G1, G2 = URIRef("http://example.org/g1"), URIRef("http://example.org/g2")

HOSTILE_LITERALS = [
    'say "hi"',
    "line one\nline two\r\n",
    "back\\slash",
    '" } } INSERT DATA { <http://x> <http://y> <http://z> } #',
    "\\u0022 is a quote",
    "tab\tbell\x07nul\x00",
    "'single' and '''triple'''",
    "émigré ☃ 𝄞",
    "# not a comment",
    "?notavariable {braces}",
]


@pytest.fixture(scope="module")
def ox_store() -> ox.Store:
    store = ox.Store()
    for s, p, o, g in [(A, P, B, G1), (C, P, A, G2), (A, Q, D, G1), (C, Q, D, G2)]:
        store.add(ox.Quad(*(to_oxigraph(t) for t in (s, p, o)), to_oxigraph(g)))
    store.add(
        ox.Quad(to_oxigraph(A), to_oxigraph(P), ox.Literal("x", language="en"), ox.NamedNode(G1))
    )
    return store


def _answers(result: object) -> object:
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        return sorted(
            repr([(n, to_rdflib(sol[n]) if sol[n] else None) for n in names]) for sol in result
        )
    return sorted(repr(t) for t in result)  # type: ignore[attr-defined]


PARITY_QUERIES = [
    "ASK { ?s <http://example.org/p> <http://example.org/b> }",
    "SELECT ?s ?o WHERE { ?s ?p ?o }",
    "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    "CONSTRUCT { ?s <http://example.org/r> ?o } WHERE { ?s ?p ?o }",
    "DESCRIBE ?s WHERE { ?s ?p ?o }",
    # The bound value is seen by a FILTER inside a UNION branch that does not bind it.
    "SELECT ?s ?skip ?o ?g WHERE { { GRAPH ?g { ?s ?p ?o } FILTER (?g != ?skip) } UNION "
    "{ GRAPH ?g { ?o ?p ?s } } }",
    "SELECT ?s ?x ?z WHERE { ?x <http://example.org/q> ?y "
    "OPTIONAL { ?s <http://example.org/q> ?z } }",
    "SELECT ?s ?x WHERE { ?x <http://example.org/q> ?y MINUS { ?s <http://example.org/q> ?z } }",
    "SELECT ?s ?o WHERE { ?x ?p ?o FILTER NOT EXISTS { ?s <http://example.org/p> ?o } }",
    # A sub-select that does not project ?s has its own ?s, untouched by the binding.
    "SELECT ?s ?n WHERE { { SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } } }",
    "SELECT ?s ?x WHERE { { SELECT ?s ?x WHERE { ?s ?p ?x } } }",
    "SELECT ?s (COUNT(?o) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?s",
    "PREFIX ex: <http://example.org/> SELECT ?s ?o WHERE { ?s ex:p ?o VALUES ?o { ex:b ex:z } }",
    "SELECT ?s ?l WHERE { ?s ?p ?l FILTER (lang(?l) = 'en') } # a comment with { and ?s",
    'SELECT ?s ?t WHERE { ?s ?p ?o BIND ("} { ?s" AS ?t) }',
]


@pytest.mark.parametrize("query", PARITY_QUERIES)
def test_injected_values_answer_like_oxigraph_substitutions(ox_store, query):
    bound = {"s": A} if "?skip" not in query else {"s": A, "skip": G2}
    substituted = ox_store.query(
        query,
        use_default_graph_as_union=True,
        substitutions={ox.Variable(k): to_oxigraph(v) for k, v in bound.items()},
    )
    injected = ox_store.query(inject(query, bound), use_default_graph_as_union=True)
    assert _answers(injected) == _answers(substituted)


@pytest.mark.parametrize("text", HOSTILE_LITERALS)
def test_hostile_literals_round_trip(ox_store, text):
    value = Literal(text)
    rows = list(ox_store.query(inject("SELECT ?v WHERE { }", {"v": value})))
    assert len(rows) == 1
    assert to_rdflib(rows[0]["v"]) == Literal(text, datatype=XSD.string)


@pytest.mark.parametrize(
    "value",
    [
        Literal("colour", lang="en-GB"),
        Literal(42),
        Literal("2014-11-01", datatype=XSD.date),
        Literal("1.5", datatype=XSD.decimal),
        URIRef("https://w3id.org/hmic-kg/id/force/leicestershire"),
        URIRef("urn:isbn:978-1-78246-635-2"),
    ],
)
def test_terms_round_trip(ox_store, value):
    rows = list(ox_store.query(inject("SELECT ?v WHERE { }", {"v": value})))
    assert to_rdflib(rows[0]["v"]) == value


@pytest.mark.parametrize(
    "value",
    [
        "http://example.org/a>b",
        "http://example.org/a> } INSERT DATA { <x:y> <x:y> <x:y> } #",
        "http://example.org/a b",
        "http://example.org/a\nb",
        'http://example.org/"quoted"',
        "http://example.org/{x}",
        "http://example.org/a\\u003E",
        "relative/path",
        "",
    ],
)
def test_hostile_iris_are_refused(value):
    with pytest.raises(BindingError):
        term(URIRef(value))


def test_literal_datatype_and_language_are_checked():
    with pytest.raises(BindingError):
        term(Literal("x", datatype=URIRef("http://example.org/a>b")))
    literal = Literal("x", lang="en")
    object.__setattr__(literal, "_language", 'en" } #')  # rdflib itself refuses to build it
    with pytest.raises(BindingError):
        term(literal)


def test_blank_nodes_and_bad_names_are_refused():
    with pytest.raises(BindingError):
        term(BNode("b0"))
    for name in ("s o", "s}", "1s", "", "s?"):
        with pytest.raises(BindingError):
            inject("SELECT * WHERE { ?s ?p ?o }", {name: A})


def test_binding_errors_are_400_refusals_and_value_errors():
    assert issubclass(BindingError, QueryRefused) and issubclass(BindingError, ValueError)
    assert BindingError.status == 400


def test_block_goes_after_the_where_brace_not_into_templates_or_data():
    query = (
        "PREFIX ex: <http://example.org/>\n"
        "CONSTRUCT { ?s ex:r ?o } WHERE { ?s ?p ?o VALUES ?o { ex:b } }"
    )
    out = inject(query, {"s": A})
    assert out.startswith("PREFIX ex: <http://example.org/>\nCONSTRUCT { ?s ex:r ?o } WHERE {")
    assert out.count("VALUES (?s)") == 1
    assert "VALUES ?o { ex:b }" in out


def test_queries_it_cannot_bind_into_are_refused():
    for query in (
        "DESCRIBE ?s",  # no WHERE group
        "CONSTRUCT WHERE { ?s ?p ?o }",  # short form: a template, no group
        "INSERT DATA { <http://x> <http://y> <http://z> }",
        "SELECT ?s WHERE { ?s ?p ?o ",  # unbalanced
        "SELECT ?o WHERE { ?s ?p ?o }",  # ?s not projected (Oxigraph refuses it too)
        "ASK { ?x ?p ?o }",  # ?s not used
    ):
        with pytest.raises(BindingError):
            inject(query, {"s": A})


def test_no_bindings_leaves_the_text_alone():
    assert inject("SELECT * WHERE { ?s ?p ?o }", {}) == "SELECT * WHERE { ?s ?p ?o }"


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("PREFIX select: <http://x/> SELECT * { ?s ?p ?o }", "SELECT"),
        ("# ASK\nconstruct { ?s ?p ?o } where { ?s ?p ?o }", "CONSTRUCT"),
        ("BASE <http://x/> ASK { }", "ASK"),
        ("DESCRIBE <http://x>", "DESCRIBE"),
        ("PREFIX ex: <http://x/> INSERT DATA { ex:a ex:b ex:c }", "UPDATE"),
        ("clear all", "UPDATE"),
        ("garbage", ""),
    ],
)
def test_query_form(query, form):
    assert query_form(query) == form


def test_one_values_block_per_group_that_uses_the_value():
    query = "SELECT ?s ?o WHERE { { ?s ?p ?o } UNION { ?o ?p ?x } OPTIONAL { ?o ?q ?s } }"
    out = inject(query, {"s": A})
    assert out.count(bindings.values_block({"s": A})) == 3  # outermost, first branch, OPTIONAL


def test_service_targets_are_resolved():
    query = (
        "PREFIX ex: <http://a.example/> BASE <http://b.example/x/>\n"
        "SELECT * { SERVICE ex:sp\\-arql { ?s ?p ?o } SERVICE SILENT <q> { }\n"
        "# SERVICE <http://commented.example/> { }\n"
        "SERVICE ?e { } SERVICE unknown:q { } SERVICE <http://c.example/sparql> { }\n"
        "FILTER (?o != 'SERVICE <http://string.example/>') }"
    )
    assert list(analyse(query).services) == [
        "http://a.example/sp-arql",
        "http://b.example/x/q",
        None,
        None,
        "http://c.example/sparql",
    ]


def test_escaped_iris_are_read_as_the_engine_reads_them():
    escaped = r"SELECT * { SERVICE <http://127.0.0.1:1\u002Fsparql> { ?s ?p ?o } }"
    assert analyse(escaped).services == ("http://127.0.0.1:1/sparql",)
    query = r"SELECT ?s WHERE { ?s <http://example.org/\u007B> ?o }"
    assert inject(query, {"s": A}).count("VALUES") == 1

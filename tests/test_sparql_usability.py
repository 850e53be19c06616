"""Researchers write SPARQL without learning the graph's quirks: ``/sparql``, ``kg query`` and
the Python API predeclare the project's and the usual W3C prefixes (an explicit PREFIX wins),
parse errors are at most two lines in the user's own positions with a hint for the common
mistakes, and a query naming project terms the dataset lacks says so in ``X-Unknown-Terms``."""

from __future__ import annotations

import json
import re

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH, XSD

from kg.api import KnowledgeGraph
from kg.namespaces import AUTHORED_BASE
from kg.sparql.errors import ExplainedSyntaxError, explain
from kg.sparql.prefixes import missing, predeclared, shift_positions, with_prologue
from kg.sparql.unknown import KnownTerms, named_iris

B = AUTHORED_BASE
LEICESTERSHIRE = f"{B}id/force/leicestershire"
W3C = (
    "rdf rdfs owl xsd skos dct foaf org qb sdmx-dimension sdmx-measure sdmx-attribute prov "
    "dcat void time oa"
).split()
JSON = {"Accept": "application/json"}


def _select(client, query: str, **headers: str):
    return client.get(
        "/sparql",
        query_string={"query": query},
        headers={"Accept": "application/sparql-results+json", **headers},
    )


def test_the_table_has_the_w3c_and_project_prefixes():
    table = predeclared(B)
    for prefix in [*W3C, "hmic", "id", "report", "grade", "question", "period"]:
        assert prefix in table, prefix
    assert table["hmic"] == f"{B}def/hmic/"


def test_sparql_predeclares_prefixes(client):
    query = "SELECT ?label WHERE { ?f a hmic:PoliceForce ; rdfs:label ?label } ORDER BY ?label"
    answer = _select(client, query)
    assert answer.status_code == 200, answer.text
    labels = [b["label"]["value"] for b in answer.get_json()["results"]["bindings"]]
    assert "Leicestershire Police" in labels or any("Leicestershire" in x for x in labels)


def test_an_explicit_prefix_wins(client):
    query = "PREFIX hmic: <http://example.org/nothing#> ASK { ?f a hmic:PoliceForce }"
    assert _select(client, query).get_json()["boolean"] is False
    assert _select(client, "ASK { ?f a hmic:PoliceForce }").get_json()["boolean"] is True


def test_the_service_description_declares_the_prefixes(client):
    answer = client.get("/sparql", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=answer.data, format="turtle")
    declared = {
        str(graph.value(node, SH.prefix)): graph.value(node, SH.namespace)
        for node in graph.objects(None, SH.declare)
    }
    assert declared["skos"] == Literal("http://www.w3.org/2004/02/skos/core#", datatype=XSD.anyURI)
    assert declared["hmic"] == Literal(f"{B}def/hmic/", datatype=XSD.anyURI)
    page = client.get("/sparql", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "<h2>Prefixes</h2>" in page and "<code>sdmx-measure:</code>" in page


# The five common mistakes: (query, words the message must hold, words the hint must hold).
MISTAKES = [
    (
        "SELECT ?x WHERE { ?x a hmc:PoliceForce }",
        ["line 1, column 24", "hmc:", "not declared"],
        ["did you mean hmic:?", "PREFIX hmc:"],
    ),
    (
        "SELECT ?j WHERE {\n  ?j hmic:judgedForce id:force/leicestershire }",
        ["line 2, column 23", "id:force/leicestershire", "a / cannot appear"],
        ["write force:leicestershire (the prefix for that kind of identifier) or <https://"],
    ),
    (
        "SELECT ?j ?g WHERE {\n  ?j a hmic:Judgment\n  ?j hmic:grade ?g }",
        ["line 3, column 3", "?j starts a new triple pattern"],
        ["add . after hmic:Judgment (line 2, column 8)"],
    ),
    (
        "SELECT ?j WHERE {\n  ?j a hmic:Judgment .\n",
        ["line 3, column 1", "not closed"],
        ["add } to close the { at line 1, column 17"],
    ),
    (
        "SELECT ?force (COUNT(?j) AS ?n) WHERE { ?j hmic:judgedForce ?force ; hmic:grade ?g }",
        ["line 1, column 8", "?force is selected but neither grouped nor aggregated"],
        ["GROUP BY ?force"],
    ),
    (
        "SELECT * WHERE { ?j hmic:grade ?g } GROUP BY ?g",
        ["line 1, column 8", "SELECT * cannot be used with GROUP BY"],
        ["SELECT ?g (COUNT(*) AS ?n)"],
    ),
    (
        "SELECT ?g ?n WHERE { ?j hmic:grade ?g } GROUP BY ?g",
        ["line 1, column 11", "?n is selected but neither grouped nor aggregated"],
        ["GROUP BY ?g ?n"],
    ),
    (
        "SELCT ?x WHERE { ?x ?p ?o }",
        ["line 1, column 1", "unexpected SELCT"],
        ["did you mean SELECT?"],
    ),
]


@pytest.mark.parametrize(("query", "words", "hints"), MISTAKES)
def test_a_common_mistake_gets_a_message_and_a_hint(client, query, words, hints):
    answer = _select(client, query, **JSON)
    assert answer.status_code == 400
    body = answer.get_json()
    assert set(body) == {"status", "error", "message", "line", "column", "hint", "parser"}
    assert body["status"] == 400 and body["error"] == "Bad Request"
    for word in words:
        assert word in body["message"], body
    for word in hints:
        assert word in body["hint"], body
    line, column = words[0].removeprefix("line ").split(", column ")
    assert (body["line"], body["column"]) == (int(line), int(column))
    assert not re.search(r"\bexpected\b", body["message"] + body["hint"])
    assert body["parser"]  # the engine's own text, for tools
    text = _select(client, query, Accept="*/*").get_data(as_text=True)
    assert text.startswith("400 Bad Request: line ")
    assert text.count("\n") == 2 and "\nhint: " in text
    assert not re.search(r"\bexpected\b", text)


def test_without_a_prefix_for_it_the_hint_gives_the_full_iri():
    table = {"id": f"{B}id/"}
    problem = explain("ASK { ?j ?p id:x/y/z }", "error at 1:14: expected", table)
    assert problem.hint == f"write <{B}id/x/y/z>, or escape each / in the name with " + chr(92)


def test_positions_past_an_added_prologue_are_the_users():
    text, added = with_prologue("SELECT * WHERE { ?s skos:prefLabel ?o }", predeclared(B))
    assert added == 1 and text.splitlines()[0] == (
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>"
    )
    assert shift_positions("error at 2:17: expected", 1) == "error at 1:17: expected"
    assert shift_positions("SP030: line 3: syntax error", 1) == "SP030: line 2: syntax error"
    assert missing(
        "PREFIX skos: <x:> SELECT * { ?s skos:a ?o ; rdfs:label ?l }",
        {
            "skos": "y:",
            "rdfs": "z:",
        },
    ) == {"rdfs": "z:"}


def test_kg_query_needs_no_prefixes_and_reports_the_users_position(settings, capsys):
    from kg.cli import main

    assert main(["query", "ASK { ?f a hmic:PoliceForce ; rdfs:label ?l }"]) == 0
    assert capsys.readouterr().out.strip() == "true"
    assert main(["query", "SELECT ?x WHERE { ?x a hmc:PoliceForce }"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: line 1, column 24: the prefix hmc:") and err.count("\n") == 2


def test_the_api_explains_parse_errors(store):
    graph = KnowledgeGraph(store)
    assert graph.query("ASK { ?f a hmic:PoliceForce }") is True
    with pytest.raises(ExplainedSyntaxError) as caught:
        graph.query("SELECT ?j WHERE {\n ?j a hmic:Judgment\n ?j hmic:grade ?g }")
    assert (caught.value.problem.line, caught.value.problem.column) == (3, 2)
    assert "add . after hmic:Judgment" in str(caught.value)


@pytest.mark.external
def test_the_remote_store_declares_and_maps_back(remote_store):
    graph = KnowledgeGraph(remote_store)
    assert graph.query("ASK { ?f a hmic:PoliceForce ; rdfs:label ?l }") is True
    with pytest.raises(ExplainedSyntaxError) as caught:
        graph.query("SELECT ?j WHERE {\n ?j a hmic:Judgment\n ?j hmic:grade ?g }")
    assert caught.value.problem.line == 3


def test_unknown_project_terms_are_named_with_a_suggestion(client):
    query = f"SELECT ?j WHERE {{ ?j a <{B}def/hmic#Judgment> ; hmic:grad ?g }}"
    answer = _select(client, query)
    assert answer.status_code == 200
    assert answer.get_json()["results"]["bindings"] == []
    header = answer.headers["X-Unknown-Terms"]
    assert header == (
        f"<{B}def/hmic#Judgment>; suggestion=<{B}def/hmic/Judgment>, "
        f"<{B}def/hmic/grad>; suggestion=<{B}def/hmic/grade>"
    )
    assert "X-Unknown-Terms" in answer.headers["Access-Control-Expose-Headers"]
    known = _select(client, "SELECT ?j WHERE { ?j a hmic:Judgment ; hmic:grade ?g }")
    assert "X-Unknown-Terms" not in known.headers


def test_known_terms_are_loaded_once_and_resolve_prefixed_names(store):
    known = KnownTerms.load(store, B, 10.0)
    assert URIRef(LEICESTERSHIRE) in {URIRef(i) for i in known.iris}
    iris = named_iris("PREFIX x: <http://e/> SELECT * { ?s x:p hmic:PoliceForce }", predeclared(B))
    assert iris == ["http://e/p", f"{B}def/hmic/PoliceForce"]
    assert known.unknown(iris) == []
    assert json.dumps(known.unknown([f"{B}id/force/leicestershre"])[0].header()).count(
        "suggestion=<" + LEICESTERSHIRE
    )


def test_the_query_page_shows_the_explained_message(client):
    query = "SELECT ?j WHERE {\n  ?j a hmic:Judgment\n  ?j hmic:grade ?g }"
    answer = client.get("/query", query_string={"query": query})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "line 3, column 3: ?j starts a new triple pattern before the last one ended" in page
    assert "Hint: add . after hmic:Judgment (line 2, column 8)" in page
    assert "line 3:   ?j hmic:grade ?g }" in page


def test_from_may_name_a_graph_by_a_predeclared_prefix(client):
    query = "SELECT (COUNT(*) AS ?n) FROM graph:asserted WHERE { ?s hmic:statedIn ?p }"
    answer = _select(client, query)
    assert answer.status_code == 200, answer.text
    assert int(answer.get_json()["results"]["bindings"][0]["n"]["value"]) > 100


def test_a_selected_variable_the_query_never_binds_is_named(client):
    answer = _select(client, "SELECT ?force ?lable WHERE { ?force rdfs:label ?label } LIMIT 1")
    assert answer.status_code == 200
    assert answer.headers["X-Unbound-Variables"] == "?lable"
    assert "X-Unbound-Variables" in answer.headers["Access-Control-Expose-Headers"]
    bound = _select(client, "SELECT ?force ?label WHERE { ?force rdfs:label ?label } LIMIT 1")
    assert "X-Unbound-Variables" not in bound.headers


def test_the_unknown_term_check_never_costs_an_answer(settings):
    from kg.store.remote import RemoteStore

    nowhere = RemoteStore(
        settings.with_(store="remote", remote_query_endpoint="http://127.0.0.1:9/q")
    )
    known = KnownTerms.load(nowhere, B, 1.0)  # the server cannot be reached: nothing is checked
    assert known.iris == frozenset() and known.unknown([f"{B}def/hmic/Nothing"]) == []


def test_pages_share_the_apps_known_terms(app):
    from web.endpoint.sparql import known_terms

    with app.test_request_context("/query"):
        first = known_terms()
        assert first is known_terms()  # read once per app
        assert first.closest(f"{B}def/hmic/judgment") == f"{B}def/hmic/Judgment"

"""One contract, every backend: every test here runs against the embedded store and against the
remote store over a real ``oxigraph serve`` and a real Virtuoso (started on 127.0.0.1 by the
fixtures in conftest.py and virtuoso_server.py, loaded with ``kg load``), and most compare the
embedded answer with each server's directly.

Covers SELECT/ASK/CONSTRUCT/DESCRIBE, bound values (hostile ones too), named graphs and the
default graph, serialised results in every format, errors, the Python API, the web pages
(``/doc/…`` HTML and Turtle, search, the forces page, VoID) and the ``/sparql`` endpoint when it
is registered; and what the pages say when the server is down or slow.
"""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Iterator

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.query import Result

from kg.api import KnowledgeGraph, connect, open_graph
from kg.namespaces import Base
from kg.store.base import (
    GraphStore,
    QueryResult,
    QuerySyntaxError,
    QueryTimeout,
    StoreError,
    StoreUnavailable,
)
from kg.store.remote import RemoteStore
from web.data import queries

BASE = Base()
PREFIXES = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in BASE.prefixes().items())
LEICESTERSHIRE = BASE.ID["force/leicestershire"]
PEEL = str(BASE.GRAPH["peel2014"])
LINKS = str(BASE.GRAPH["links"])
# The remote backend over each real server the tests start (conftest.py, virtuoso_server.py).
REMOTES = [
    pytest.param("remote_store", id="oxigraph", marks=pytest.mark.external),
    pytest.param("virtuoso_store", id="virtuoso", marks=pytest.mark.virtuoso),
]
BACKENDS = [pytest.param("store", id="embedded"), *REMOTES]

GRADES_QUERY = (
    PREFIXES
    + """
SELECT ?force ?grade WHERE {
  ?j hmic:judgedForce ?force ; hmic:question question:investigating-offending ; hmic:grade ?grade .
}"""
)


@pytest.fixture(params=BACKENDS)
def backend(request) -> GraphStore:
    """The store under test (each test runs once per backend)."""
    return request.getfixturevalue(request.param)


@pytest.fixture(params=REMOTES)
def remote(request) -> RemoteStore:
    """The remote backend over one of the servers (each test runs once per server)."""
    return request.getfixturevalue(request.param)


@pytest.fixture()
def both(store, remote) -> tuple[GraphStore, GraphStore]:
    """Both stores, to compare their answers."""
    return store, remote


def _rows(result: QueryResult) -> list[tuple]:
    return sorted(tuple(sorted((k, v.n3()) for k, v in row.items())) for row in result.rows)


def _triples(graph: Graph | None) -> set:
    assert graph is not None
    return set(graph)


# -- query forms -----------------------------------------------------------------------------


@pytest.mark.external
def test_select_gives_the_same_rows(both):
    embedded, remote = both
    a, b = embedded.query(GRADES_QUERY), remote.query(GRADES_QUERY)
    assert a.kind == b.kind == "select"
    assert a.variables == b.variables == ["force", "grade"]
    assert len(a.rows) >= 41
    assert _rows(a) == _rows(b)


@pytest.mark.external
def test_ordered_aggregate_gives_the_same_sequence(both):
    query = (
        PREFIXES
        + """
    SELECT ?grade (COUNT(*) AS ?n) WHERE {
      GRAPH ?g { ?j hmic:question question:tackling-asb ; hmic:grade ?grade }
      FILTER (?g = ?peel)
    } GROUP BY ?grade ORDER BY DESC(?n) ?grade"""
    )
    bound = {"peel": URIRef(PEEL)}
    query = query.replace("SELECT ?grade", "SELECT ?peel ?grade").replace(
        "GROUP BY ?grade", "GROUP BY ?peel ?grade"
    )
    a, b = (s.query(query, bound) for s in both)
    assert [(str(r["grade"]), int(r["n"])) for r in a.rows] == [
        (str(r["grade"]), int(r["n"])) for r in b.rows
    ]
    assert [int(r["n"]) for r in a.rows] == [36, 4, 2]


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_ask(request, backend_name):
    backend = request.getfixturevalue(backend_name)
    yes = backend.query(PREFIXES + "ASK { ?f a hmic:PoliceForce ; hmic:servesArea ?a }")
    no = backend.query(PREFIXES + "ASK { ?j hmic:grade grade:inadequate }")
    assert (yes.kind, yes.boolean, no.boolean) == ("ask", True, False)


@pytest.mark.external
def test_construct_and_describe_give_the_same_graph(both):
    construct = (
        PREFIXES + "CONSTRUCT { ?f rdfs:label ?l } WHERE { ?f a hmic:PoliceForce ; rdfs:label ?l }"
    )
    a, b = (s.query(construct) for s in both)
    assert a.kind == b.kind == "graph"
    assert len(a.graph) >= 43
    assert _triples(a.graph) == _triples(b.graph)
    describe = (
        PREFIXES + "DESCRIBE ?j WHERE { ?j hmic:judgedForce ?f ; hmic:gradeStatus hmic:Disputed }"
    )
    a, b = (s.query(describe) for s in both)
    assert _triples(a.graph) == _triples(b.graph) and len(a.graph) > 10


# -- bindings --------------------------------------------------------------------------------


@pytest.mark.external
@pytest.mark.parametrize(
    "value",
    [
        LEICESTERSHIRE,
        Literal("Leicestershire Police", lang="en"),
        Literal(43),
        Literal("2014-11-01", datatype=XSD.date),
        Literal("\"}} DROP ALL #\n\\u0022 'quoted' "),
    ],
    ids=["iri", "lang", "integer", "date", "hostile"],
)
def test_bound_values_come_back_unchanged(both, value):
    a, b = (s.query("SELECT ?v WHERE { }", {"v": value}) for s in both)
    assert a.rows == b.rows
    assert a.rows[0]["v"] == (
        value
        if not isinstance(value, Literal) or value.datatype or value.language
        else Literal(str(value), datatype=XSD.string)
    )


@pytest.mark.external
def test_bound_iri_selects_the_same_rows(both):
    query = (
        PREFIXES
        + "SELECT ?force ?question ?grade WHERE "
        + "{ ?j hmic:judgedForce ?force ; hmic:question ?question ; hmic:grade ?grade }"
    )
    a, b = (s.query(query, {"force": LEICESTERSHIRE}) for s in both)
    assert _rows(a) == _rows(b)
    assert {str(r["grade"]) for r in a.rows} == {f"{BASE.iri}def/grade/good"}
    assert len({str(r["question"]) for r in a.rows}) == 3


@pytest.mark.external
def test_named_page_query_agrees(both):
    """The browser's resource query: the bound resource is used in several UNION branches."""
    bound = {"s": LEICESTERSHIRE}
    a, b = (s.query(queries.load("resource", BASE), bound) for s in both)
    assert _rows(a) == _rows(b) and len(a.rows) > 20


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("iri", ["http://example.org/a>b", "http://example.org/a b", "x"])
def test_hostile_bound_iris_are_refused(request, backend_name, iri):
    backend = request.getfixturevalue(backend_name)
    with pytest.raises(ValueError):
        backend.query("SELECT ?v WHERE { }", {"v": URIRef(iri)})


# -- named graphs and the default graph ------------------------------------------------------


@pytest.mark.external
def test_named_graphs_and_default_graph(both):
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    a, b = (s.query(graphs) for s in both)
    names = {str(r["g"]) for r in a.rows}
    assert names == {str(r["g"]) for r in b.rows}
    assert {PEEL, LINKS, str(BASE.GRAPH["asserted"]), str(BASE.GRAPH["metadata"])} <= names
    # The default graph is the merge of the named graphs: each triple once on both stores.
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert int(both[0].query(count).rows[0]["n"]) == int(both[1].query(count).rows[0]["n"])


@pytest.mark.external
def test_request_datasets(both):
    forces = PREFIXES + "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { ?f a hmic:PoliceForce }"
    a, b = (s.query(forces, default_graphs=[PEEL]) for s in both)
    assert int(a.rows[0]["n"]) == int(b.rows[0]["n"]) == 43
    a, b = (s.query(forces, default_graphs=[LINKS]) for s in both)
    assert int(a.rows[0]["n"]) == int(b.rows[0]["n"]) == 0
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    a, b = (s.query(graphs, default_graphs=[PEEL], named_graphs=[LINKS]) for s in both)
    assert {str(r["g"]) for r in a.rows} == {str(r["g"]) for r in b.rows} == {LINKS}


# -- serialised results ----------------------------------------------------------------------


ORDERED = (
    PREFIXES
    + "SELECT ?force ?label WHERE { ?force a hmic:PoliceForce ; rdfs:label ?label }"
    + " ORDER BY ?force ?label"
)


@pytest.mark.external
@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_raw_select_formats(both, fmt):
    a, b = (s.query_raw(ORDERED, fmt) for s in both)
    assert a.media_type == b.media_type and a.kind == b.kind == "select"
    if fmt == "json":
        assert json.loads(a.body) == json.loads(b.body)
    ra, rb = (Result.parse(io.BytesIO(r.body), format=fmt) for r in (a, b))
    assert [tuple(row) for row in ra] == [tuple(row) for row in rb]
    assert len(ra) >= 43


@pytest.mark.external
@pytest.mark.parametrize(
    ("fmt", "parser"),
    [("turtle", "turtle"), ("ntriples", "nt"), ("jsonld", "json-ld"), ("rdfxml", "xml")],
)
def test_raw_graph_formats(both, fmt, parser):
    query = (
        PREFIXES + "CONSTRUCT { ?f rdfs:label ?l } WHERE { ?f a hmic:PoliceForce ; rdfs:label ?l }"
    )
    a, b = (s.query_raw(query, fmt) for s in both)
    assert a.media_type == b.media_type and a.kind == b.kind == "graph"
    ga, gb = Graph().parse(data=a.body, format=parser), Graph().parse(data=b.body, format=parser)
    assert set(ga) == set(gb) and len(ga) >= 43


@pytest.mark.external
def test_raw_ask(both):
    a, b = (s.query_raw(PREFIXES + "ASK { ?f a hmic:PoliceForce }", "json") for s in both)
    assert json.loads(a.body)["boolean"] is json.loads(b.body)["boolean"] is True


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_syntax_errors_carry_the_parser_message(request, backend_name):
    backend = request.getfixturevalue(backend_name)
    with pytest.raises(QuerySyntaxError) as caught:
        backend.query("SELECT ?s WHERE { ?s ?p }")
    assert caught.value.status == 400 and "1:" in str(caught.value)


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }",
        "CLEAR ALL",
        "DROP GRAPH <http://x/g>",
    ],
)
def test_updates_are_refused(request, backend_name, update):
    backend = request.getfixturevalue(backend_name)
    with pytest.raises(StoreError) as caught:
        backend.query(update)
    assert 400 <= caught.value.status < 500  # a refusal (400 or 403), never a server error
    assert backend.query("ASK { ?s ?p ?o }").boolean is True


def test_server_down_is_unavailable(settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = RemoteStore(settings.with_(remote_query_endpoint=f"http://127.0.0.1:{port}/query"))
    with pytest.raises(StoreUnavailable) as caught:
        store.query("ASK { ?s ?p ?o }")
    assert caught.value.status == 503 and "cannot be reached" in str(caught.value)


@pytest.fixture()
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/query"
    stop.set()
    listener.close()
    for conn in held:
        conn.close()


def test_slow_server_times_out(settings, silent_server):
    store = RemoteStore(settings.with_(remote_query_endpoint=silent_server, remote_timeout=1.0))
    with pytest.raises(QueryTimeout) as caught:
        store.query("ASK { ?s ?p ?o }")
    assert caught.value.status in (503, 504) and "in time" in str(caught.value)


# -- the Python API --------------------------------------------------------------------------


@pytest.mark.external
def test_python_api_gives_the_same_rows(settings, remote):
    query = (
        "SELECT ?force ?grade WHERE { ?j hmic:judgedForce ?force ;"
        " hmic:question question:investigating-offending ; hmic:grade ?grade } ORDER BY ?force"
    )
    with open_graph(settings) as local, connect(remote.endpoint) as api:
        assert isinstance(local, KnowledgeGraph)
        a, b = local.query(query), api.query(query)
        assert a == b and a.columns == b.columns == ["force", "grade"]
        assert all(isinstance(v, str) for row in a for v in row.values())
        bound = (
            "SELECT ?force ?n WHERE { { SELECT ?force (COUNT(?j) AS ?n)"
            " WHERE { ?j hmic:judgedForce ?force } GROUP BY ?force } }"
        )
        one = local.query(bound, force=local.iri("force:leicestershire"))
        assert one == api.query(bound, force=api.iri("force:leicestershire"))
        assert isinstance(one[0]["n"], int)


# -- the web app -----------------------------------------------------------------------------


@pytest.fixture()
def web(settings, store, remote):
    """Test clients of the app over the embedded store and over the remote one under test."""
    from web.app import create_app

    def client_for(backend_name: str):
        app = create_app(settings, store=store if backend_name == "embedded" else remote)
        app.config["TESTING"] = True
        return app.test_client()

    return client_for


@pytest.mark.external
def test_resource_pages_agree(web):
    pages = {}
    for name in ("embedded", "remote"):
        client = web(name)
        html = client.get("/doc/force/leicestershire")
        assert html.status_code == 200, html.status_code
        assert "Leicestershire Police" in html.get_data(as_text=True)
        turtle = client.get("/doc/force/leicestershire", headers={"Accept": "text/turtle"})
        assert turtle.status_code == 200 and turtle.mimetype == "text/turtle"
        pages[name] = (
            html.get_data(as_text=True),
            set(Graph().parse(data=turtle.data, format="turtle")),
        )
    assert pages["embedded"][1] == pages["remote"][1]
    assert pages["embedded"][0] == pages["remote"][0]


@pytest.mark.external
@pytest.mark.parametrize(
    "path",
    [
        "/search?q=operation+tiger",
        "/forces",
        "/forces?question=investigating-offending&grade=requires-improvement",
        "/.well-known/void",
        "/export/judgments.csv",
    ],
)
def test_pages_agree(web, path):
    a, b = web("embedded").get(path), web("remote").get(path)
    assert a.status_code == b.status_code == 200
    assert a.get_data(as_text=True) == b.get_data(as_text=True)


@pytest.mark.external
def test_sparql_endpoint_agrees(web):
    clients = [web("embedded"), web("remote")]
    if not any(rule.rule == "/sparql" for rule in clients[0].application.url_map.iter_rules()):
        pytest.fail("the /sparql endpoint is not registered in web/blueprints.py")
    headers = {"Accept": "application/sparql-results+json"}
    answers = [c.get("/sparql", query_string={"query": ORDERED}, headers=headers) for c in clients]
    assert [a.status_code for a in answers] == [200, 200]
    assert json.loads(answers[0].data) == json.loads(answers[1].data)


def test_pages_say_the_server_is_down(settings):
    from web.app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = RemoteStore(settings.with_(remote_query_endpoint=f"http://127.0.0.1:{port}/query"))
    client = create_app(settings, store=store).test_client()
    for path in ("/doc/force/leicestershire", "/forces", "/search?q=tiger"):
        page = client.get(path)
        text = page.get_data(as_text=True)
        assert page.status_code == 503, (path, page.status_code)
        assert "cannot be reached" in text and "Traceback" not in text


def test_pages_say_the_server_is_slow(settings, silent_server):
    from web.app import create_app

    store = RemoteStore(settings.with_(remote_query_endpoint=silent_server, remote_timeout=1.0))
    client = create_app(settings, store=store).test_client()
    page = client.get("/forces")
    assert page.status_code in (503, 504)
    assert "did not answer in time" in page.get_data(as_text=True)

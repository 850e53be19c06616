"""The RDF dataset of a query, exactly as SPARQL 1.1 Query §13.2 and Protocol §2.1.4 say, on
both backends (the embedded store and the remote store over a real ``oxigraph serve``) and for
each way of asking (GET, form POST, direct POST with the parameters in the URL):

- ``default-graph-uri`` alone: the default graph is the merge of those graphs; no named graphs.
- ``named-graph-uri`` alone: an empty default graph and only those named graphs.
- both: both; the same for ``FROM`` / ``FROM NAMED``; the parameters override the query's.
- an IRI naming no graph of the dataset is an empty graph: a 200, never a fetch.
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlencode

import pytest
from werkzeug.datastructures import MultiDict

GRAPHS = "https://w3id.org/hmic-kg/id/graph/"
LINKS, METADATA, PEEL = GRAPHS + "links", GRAPHS + "metadata", GRAPHS + "peel2014"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
NAMED = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
ALL_GRAPHS = {
    GRAPHS + n
    for n in ("ontology", "asserted", "annotations", "inferred", "links", "peel2014", "metadata")
}


@pytest.fixture(params=["get", "form", "direct"])
def ask(request, backend):
    """``ask(query, **parameters)``: the JSON answer of the endpoint, sent one way."""
    method = request.param

    def send(query: str, **params: str | list[str]):
        pairs = [
            (name, value)
            for name, values in params.items()
            for value in (values if isinstance(values, list) else [values])
        ]
        accept = {"Accept": "application/sparql-results+json"}
        if method == "get":
            answer = backend.get("/sparql", query_string=[("query", query), *pairs], headers=accept)
        elif method == "form":
            answer = backend.post(
                "/sparql", data=MultiDict([("query", query), *pairs]), headers=accept
            )
        else:
            answer = backend.post(
                "/sparql?" + urlencode(pairs),
                data=query.encode("utf-8"),
                content_type="application/sparql-query",
                headers=accept,
            )
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return answer.get_json()

    return send


def count(ask, query: str = COUNT, **params) -> int:
    return int(ask(query, **params)["results"]["bindings"][0]["n"]["value"])


def graphs(ask, query: str = NAMED, **params) -> set[str]:
    return {row["g"]["value"] for row in ask(query, **params)["results"]["bindings"]}


@pytest.fixture(scope="module")
def sizes(store):
    """Distinct triples of one graph, or of the merge of several, from the store itself."""

    def size(*names: str) -> int:
        values = " ".join(f"<{n}>" for n in names)
        text = (
            "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE "
            f"{{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} }}"
        )
        return int(store.query(text).rows[0]["n"])

    return size


def test_no_dataset_given_is_the_merge_and_every_named_graph(ask, sizes):
    assert count(ask) == sizes(*ALL_GRAPHS)
    assert graphs(ask) == ALL_GRAPHS


def test_default_graph_uri_alone_is_the_default_graph_and_no_named_graphs(ask, sizes):
    assert count(ask, **{"default-graph-uri": LINKS}) == sizes(LINKS)
    assert graphs(ask, **{"default-graph-uri": LINKS}) == set()


def test_several_default_graph_uris_are_merged(ask, sizes):
    both = {"default-graph-uri": [LINKS, METADATA]}
    assert count(ask, **both) == sizes(LINKS, METADATA)
    assert sizes(LINKS, METADATA) > max(sizes(LINKS), sizes(METADATA))
    assert graphs(ask, **both) == set()


def test_named_graph_uri_alone_is_an_empty_default_graph(ask):
    assert count(ask, **{"named-graph-uri": LINKS}) == 0
    assert graphs(ask, **{"named-graph-uri": [LINKS, PEEL]}) == {LINKS, PEEL}


def test_both_parameters_give_both(ask, sizes):
    params = {"default-graph-uri": LINKS, "named-graph-uri": PEEL}
    assert count(ask, **params) == sizes(LINKS)
    assert graphs(ask, **params) == {PEEL}


def test_from_and_from_named_in_the_query(ask, sizes):
    assert count(ask, f"SELECT (COUNT(*) AS ?n) FROM <{LINKS}> WHERE {{ ?s ?p ?o }}") == sizes(
        LINKS
    )
    merged = f"SELECT (COUNT(*) AS ?n) FROM <{LINKS}> FROM <{METADATA}> WHERE {{ ?s ?p ?o }}"
    assert count(ask, merged) == sizes(LINKS, METADATA)
    assert (
        graphs(ask, f"SELECT DISTINCT ?g FROM <{LINKS}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}")
        == set()
    )
    named_only = f"SELECT (COUNT(*) AS ?n) FROM NAMED <{LINKS}> WHERE {{ ?s ?p ?o }}"
    assert count(ask, named_only) == 0
    both = (
        f"SELECT DISTINCT ?g FROM <{LINKS}> FROM NAMED <{PEEL}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    )
    assert graphs(ask, both) == {PEEL}


def test_protocol_parameters_override_from_and_from_named(ask, sizes):
    query = f"SELECT (COUNT(*) AS ?n) FROM <{PEEL}> FROM NAMED <{PEEL}> WHERE {{ ?s ?p ?o }}"
    assert count(ask, query, **{"default-graph-uri": LINKS}) == sizes(LINKS)
    assert count(ask, query, **{"named-graph-uri": LINKS}) == 0
    named = (
        f"SELECT DISTINCT ?g FROM <{PEEL}> FROM NAMED <{PEEL}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    )
    assert graphs(ask, named, **{"default-graph-uri": LINKS}) == set()
    assert graphs(ask, named, **{"named-graph-uri": LINKS}) == {LINKS}


@pytest.fixture()
def listener():
    """A TCP socket on 127.0.0.1 that counts the connections made to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    seen = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            seen.append(conn)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/graph.ttl", seen
    stop.set()
    thread.join(timeout=5)
    sock.close()


def test_an_iri_naming_no_graph_is_an_empty_graph_and_is_never_fetched(ask, listener, sizes):
    outside, seen = listener
    assert count(ask, **{"default-graph-uri": outside}) == 0
    assert count(ask, **{"default-graph-uri": [outside, LINKS]}) == sizes(LINKS)
    assert graphs(ask, **{"named-graph-uri": outside}) == set()
    assert count(ask, f"SELECT (COUNT(*) AS ?n) FROM <{outside}> WHERE {{ ?s ?p ?o }}") == 0
    from_named = f"SELECT DISTINCT ?g FROM NAMED <{outside}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert graphs(ask, from_named) == set()
    assert seen == []


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        (
            {"default-graph-uri": "graph/links"},
            "default-graph-uri 'graph/links' is not an absolute IRI",
        ),
        ({"named-graph-uri": "<http://x>"}, "named-graph-uri '<http://x>' is not an absolute IRI"),
    ],
)
def test_a_graph_parameter_that_is_not_an_iri_is_a_400(client, params, reason):
    answer = client.get("/sparql", query_string={"query": COUNT, **params})
    assert answer.status_code == 400
    assert reason in answer.get_data(as_text=True)
    assert answer.headers["Access-Control-Allow-Origin"] == "*"

"""The SPARQL 1.1 endpoint over real HTTP (the app on 127.0.0.1 and an ephemeral port):
SPARQLWrapper for every query form and result format over GET, form POST and direct POST;
raw HTTP for the protocol itself — datasets, content negotiation, errors, updates, CORS, the
service description and the result limit."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator

import pytest
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import VOID, XSD
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)
from werkzeug.serving import make_server

from kg.namespaces import SD
from kg.store.embedded import EmbeddedStore

FORCE = "https://w3id.org/hmic-kg/id/force/leicestershire"
GRAPHS = "https://w3id.org/hmic-kg/id/graph/"
PREFIX = "PREFIX hmic: <https://w3id.org/hmic-kg/def/hmic/>\n"
SELECT = PREFIX + (
    f"SELECT ?question ?grade WHERE {{ ?j a hmic:Judgment ; hmic:judgedForce <{FORCE}> ; "
    "hmic:question ?question ; hmic:grade ?grade } ORDER BY ?question ?grade"
)
ASK = PREFIX + f"ASK {{ <{FORCE}> a hmic:PoliceForce }}"
CONSTRUCT = f"CONSTRUCT {{ <{FORCE}> ?p ?o }} WHERE {{ <{FORCE}> ?p ?o }}"
DESCRIBE = f"DESCRIBE <{FORCE}>"
METHODS = {
    "get": (GET, URLENCODED),
    "post-form": (POST, URLENCODED),
    "post-direct": (POST, POSTDIRECTLY),
}


def _wrapper(url: str, query: str, fmt: str, method: str) -> SPARQLWrapper:
    wrapper = SPARQLWrapper(f"{url}/sparql")
    wrapper.setQuery(query)
    wrapper.setReturnFormat(fmt)
    wrapper.setMethod(METHODS[method][0])
    wrapper.setRequestMethod(METHODS[method][1])
    return wrapper


def _plain(graph: Graph) -> set[tuple]:
    """The triples with xsd:string literals written as plain literals (RDF 1.1: the same)."""
    return {
        tuple(
            Literal(str(t)) if isinstance(t, Literal) and t.datatype == XSD.string else t
            for t in triple
        )
        for triple in graph
    }


def _expected_rows(store) -> list[tuple[str, str]]:
    rows = store.query(SELECT).rows
    assert rows, "the test query must return something"
    return [(str(r["question"]), str(r["grade"])) for r in rows]


# -- every form and format through SPARQLWrapper ----------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_select_in_every_result_format(live_server, store, method, fmt):
    expected = _expected_rows(store)
    result = _wrapper(live_server, SELECT, fmt, method).queryAndConvert()
    if fmt == JSON:
        got = [(b["question"]["value"], b["grade"]["value"]) for b in result["results"]["bindings"]]
    elif fmt == XML:
        got = []
        for element in result.getElementsByTagName("result"):
            values = {
                b.getAttribute("name"): b.getElementsByTagName("uri")[0].firstChild.data
                for b in element.getElementsByTagName("binding")
            }
            got.append((values["question"], values["grade"]))
    elif fmt == CSV:
        lines = list(csv.reader(io.StringIO(result.decode("utf-8"))))
        assert lines[0] == ["question", "grade"]
        got = [tuple(line) for line in lines[1:]]
    else:
        lines = result.decode("utf-8").splitlines()
        assert lines[0] == "?question\t?grade"
        got = [tuple(v.strip("<>") for v in line.split("\t")) for line in lines[1:]]
    assert got == expected


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_ask_in_every_result_format(live_server, method, fmt):
    result = _wrapper(live_server, ASK, fmt, method).queryAndConvert()
    if fmt == JSON:
        assert result["boolean"] is True
    elif fmt == XML:
        assert result.getElementsByTagName("boolean")[0].firstChild.data == "true"
    elif fmt == CSV:  # the one-column table Jena writes and reads (docs/sparql.md)
        assert result.decode("utf-8") == "_askResult\r\ntrue\r\n"
    else:
        assert result.decode("utf-8") == "?_askResult\ntrue\n"


# SPARQLWrapper 2 parses RDF/XML and JSON-LD answers into rdflib's deprecated ConjunctiveGraph.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("fmt", [TURTLE, JSONLD, RDFXML, XML])
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["construct", "describe"])
def test_graph_queries_in_every_rdf_format(live_server, store, method, fmt, query):
    expected = store.query(query).graph
    assert expected is not None and len(expected) > 5
    got = _wrapper(live_server, query, fmt, method).queryAndConvert()
    if fmt == TURTLE:  # SPARQLWrapper hands Turtle over unparsed
        got = Graph().parse(data=got, format="turtle")
    assert isinstance(got, Graph)
    assert _plain(got) == _plain(expected)


def test_n_triples_by_accept(live_server, store):
    answer = requests.get(
        f"{live_server}/sparql",
        params={"query": CONSTRUCT},
        headers={"Accept": "application/n-triples"},
        timeout=30,
    )
    assert answer.headers["Content-Type"] == "application/n-triples; charset=utf-8"
    got = Graph().parse(data=answer.text, format="nt")
    assert _plain(got) == _plain(store.query(CONSTRUCT).graph)


# -- the protocol over raw HTTP ---------------------------------------------------------------


def _count(url: str, query: str, **params: str | list[str]) -> int:
    answer = requests.get(
        f"{url}/sparql",
        params={"query": query, **params},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def _graph_sizes(store) -> dict[str, int]:
    rows = store.query("SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g").rows
    return {str(r["g"]): int(r["n"]) for r in rows}


def test_the_default_graph_is_the_merge_of_the_named_graphs(live_server, store):
    merged = _count(
        live_server,
        "SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o { GRAPH ?g { ?s ?p ?o } } }",
    )
    assert _count(live_server, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") == merged
    sizes = _graph_sizes(store)
    assert {GRAPHS + n for n in ("ontology", "asserted", "annotations", "inferred")} <= set(sizes)
    assert merged <= sum(sizes.values())


def test_each_named_graph_is_reachable_with_graph_from_and_the_protocol(live_server, store):
    for graph, size in _graph_sizes(store).items():
        one = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        assert _count(live_server, one) == size
        from_clause = f"SELECT (COUNT(*) AS ?n) FROM <{graph}> {{ ?s ?p ?o }}"
        assert _count(live_server, from_clause) == size
        default = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
        assert _count(live_server, default, **{"default-graph-uri": graph}) == size


def test_named_graph_uri_limits_graph(live_server):
    asserted, links = GRAPHS + "asserted", GRAPHS + "links"
    answer = requests.get(
        f"{live_server}/sparql",
        params={
            "query": "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }",
            "named-graph-uri": [asserted, links],
        },
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert {b["g"]["value"] for b in answer.json()["results"]["bindings"]} == {asserted, links}


def test_get_form_post_and_direct_post_agree(live_server):
    url = f"{live_server}/sparql"
    accept = {"Accept": "application/sparql-results+json"}
    by_get = requests.get(url, params={"query": SELECT}, headers=accept, timeout=30)
    by_form = requests.post(url, data={"query": SELECT}, headers=accept, timeout=30)
    direct = requests.post(
        url,
        data=SELECT.encode("utf-8"),
        headers={**accept, "Content-Type": "application/sparql-query"},
        timeout=30,
    )
    assert by_get.status_code == by_form.status_code == direct.status_code == 200
    assert by_get.json() == by_form.json() == direct.json()


@pytest.mark.parametrize(
    ("accept", "params", "media_type"),
    [
        (None, {}, "application/sparql-results+json"),
        ("text/csv", {}, "text/csv"),
        (
            "text/csv;q=0.4, application/sparql-results+xml;q=0.8",
            {},
            "application/sparql-results+xml",
        ),
        ("text/*;q=0.3, text/tab-separated-values;q=0.9", {}, "text/tab-separated-values"),
        ("application/json", {}, "application/sparql-results+json"),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            {},
            "application/sparql-results+xml",
        ),
        ("text/csv", {"format": "json"}, "application/sparql-results+json"),
        (None, {"format": "tsv"}, "text/tab-separated-values"),
        (None, {"format": "application/sparql-results+xml"}, "application/sparql-results+xml"),
    ],
)
def test_content_negotiation_with_q_values_and_format(live_server, accept, params, media_type):
    headers = {"Accept": accept} if accept else {}
    answer = requests.get(
        f"{live_server}/sparql", params={"query": SELECT, **params}, headers=headers, timeout=30
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == f"{media_type}; charset=utf-8"
    assert answer.headers["Vary"] == "Accept, Accept-Encoding"


@pytest.mark.parametrize(
    ("query", "accept", "media_type"),
    [
        (CONSTRUCT, None, "text/turtle"),
        (CONSTRUCT, "application/rdf+xml", "application/rdf+xml"),
        (DESCRIBE, "application/ld+json;q=0.9, text/turtle;q=0.5", "application/ld+json"),
        (DESCRIBE, "text/plain", "application/n-triples"),
    ],
)
def test_graph_results_are_negotiated(live_server, query, accept, media_type):
    headers = {"Accept": accept} if accept else {}
    answer = requests.get(
        f"{live_server}/sparql", params={"query": query}, headers=headers, timeout=30
    )
    assert answer.headers["Content-Type"] == f"{media_type}; charset=utf-8"


def _error(answer: requests.Response, status: int, *words: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Traceback" not in answer.text
    if answer.headers["Content-Type"].startswith("application/json"):
        body = answer.json()
        assert body["status"] == status
        message = body["message"]
    else:
        assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert answer.text.count("\n") <= 2  # one line, or two for a parse error's hint
        message = answer.text
    for word in words:
        assert word in message


def test_errors_are_one_line_of_text_or_json(live_server):
    url = f"{live_server}/sparql"
    broken = "SELECT ?s WHERE {\n  ?s ?p \n"
    _error(requests.get(url, params={"query": broken}, timeout=30), 400, "line 3, column 1")
    as_json = requests.get(
        url, params={"query": broken}, headers={"Accept": "application/json"}, timeout=30
    )
    _error(as_json, 400, "line 3, column 1")


@pytest.mark.parametrize(
    ("call", "status", "words"),
    [
        (lambda u: requests.post(u, data={"other": "1"}, timeout=30), 400, ["missing query"]),
        (
            lambda u: requests.get(u, params={"query": ["ASK {}", "ASK {}"]}, timeout=30),
            400,
            ["2 query parameters"],
        ),
        (lambda u: requests.get(u, params={"query": " "}, timeout=30), 400, ["empty"]),
        (
            lambda u: requests.post(
                u, data=b"ASK {}", headers={"Content-Type": "text/plain"}, timeout=30
            ),
            415,
            ["application/sparql-query"],
        ),
        (
            lambda u: requests.post(
                u,
                data=b"ASK {} #" + b"x" * 1_100_000,
                headers={"Content-Type": "application/sparql-query"},
                timeout=30,
            ),
            413,
            ["limit"],
        ),
        (
            lambda u: requests.post(u, data={"query": "ASK {} #" + "x" * 140_000}, timeout=30),
            413,
            ["characters long"],
        ),
        (
            lambda u: requests.get(
                u, params={"query": SELECT}, headers={"Accept": "image/png"}, timeout=30
            ),
            406,
            ["no acceptable"],
        ),
        (
            lambda u: requests.get(u, params={"query": SELECT, "format": "pdf"}, timeout=30),
            406,
            ["not available"],
        ),
        (lambda u: requests.put(u, data=b"x", timeout=30), 405, ["PUT"]),
        (
            lambda u: requests.get(
                u,
                params={"query": "SELECT * { ?s ?p ?o FILTER(<http://example.org/fn>(?o)) }"},
                timeout=30,
            ),
            400,
            ["custom function"],
        ),
    ],
    ids=[
        "missing",
        "twice",
        "empty",
        "content-type",
        "body-size",
        "query-size",
        "accept",
        "format",
        "method",
        "unknown-function",
    ],
)
def test_bad_requests_get_a_clear_4xx(live_server, call, status, words):
    _error(call(f"{live_server}/sparql"), status, *words)


UPDATES = [
    f"INSERT DATA {{ <{FORCE}> <http://example.org/p> 'changed' }}",
    "DELETE WHERE { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>",
    "CLEAR ALL",
    "DROP DEFAULT",
    "CREATE GRAPH <http://example.org/g>",
    "ADD DEFAULT TO <http://example.org/g>",
    "MOVE DEFAULT TO <http://example.org/g>",
    "COPY DEFAULT TO <http://example.org/g>",
]


@pytest.mark.parametrize("update", UPDATES)
def test_updates_are_refused_in_every_shape_and_change_nothing(live_server, update):
    url = f"{live_server}/sparql"
    before = _count(live_server, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    for answer in (
        requests.get(url, params={"query": update}, timeout=30),
        requests.post(url, data={"query": update}, timeout=30),
        requests.post(url, data={"update": update}, timeout=30),
        requests.post(
            url, data=update, headers={"Content-Type": "application/sparql-update"}, timeout=30
        ),
        requests.post(
            url, data=update, headers={"Content-Type": "application/sparql-query"}, timeout=30
        ),
    ):
        _error(answer, 403, "read-only")
    assert _count(live_server, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") == before
    assert _count(live_server, "SELECT (COUNT(*) AS ?n) { ?s <http://example.org/p> ?o }") == 0


def test_cors_preflight_and_responses(live_server):
    url = f"{live_server}/sparql"
    preflight = requests.options(
        url,
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, accept",
        },
        timeout=30,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()
    for answer in (
        requests.get(
            url, params={"query": ASK}, headers={"Origin": "https://x.example"}, timeout=30
        ),
        requests.post(
            url, data={"query": ASK}, headers={"Origin": "https://x.example"}, timeout=30
        ),
    ):
        assert answer.status_code == 200
        assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_head_answers_without_a_body(live_server):
    answer = requests.head(f"{live_server}/sparql", params={"query": ASK}, timeout=30)
    assert answer.status_code == 200 and answer.content == b""


# -- the service description ------------------------------------------------------------------


def test_the_service_description_names_endpoint_formats_and_dataset(live_server, store):
    answer = requests.get(f"{live_server}/sparql", timeout=30)
    assert answer.headers["Content-Type"] == "text/turtle; charset=utf-8"
    graph = Graph().parse(data=answer.text, format="turtle")
    endpoint = URIRef(f"{live_server}/sparql")
    service = graph.value(None, SD.endpoint, endpoint)
    assert service is not None
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    formats = {str(f) for f in graph.objects(service, SD.resultFormat)}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in formats
    assert "http://www.w3.org/ns/formats/Turtle" in formats
    dataset = graph.value(service, SD.defaultDataset)
    default = graph.value(dataset, SD.defaultGraph)
    total = _count(live_server, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    assert graph.value(default, VOID.triples) == Literal(total)
    named = {
        str(graph.value(n, SD.name)): int(graph.value(graph.value(n, SD.graph), VOID.triples))
        for n in graph.objects(dataset, SD.namedGraph)
    }
    assert named == _graph_sizes(store)


@pytest.mark.parametrize(
    ("accept", "params", "media_type", "rdf"),
    [
        ("application/ld+json", {}, "application/ld+json", "json-ld"),
        ("application/rdf+xml", {}, "application/rdf+xml", "xml"),
        (None, {"format": "ntriples"}, "application/n-triples", "nt"),
    ],
)
def test_the_service_description_is_negotiated(live_server, accept, params, media_type, rdf):
    headers = {"Accept": accept} if accept else {}
    answer = requests.get(f"{live_server}/sparql", params=params, headers=headers, timeout=30)
    assert answer.headers["Content-Type"] == f"{media_type}; charset=utf-8"
    assert len(Graph().parse(data=answer.content, format=rdf)) > 20


def test_a_browser_gets_a_page_with_a_query_form(live_server):
    answer = requests.get(
        f"{live_server}/sparql",
        headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
        timeout=30,
    )
    assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<form method="get"' in answer.text and 'name="query"' in answer.text
    assert GRAPHS + "asserted" in answer.text


# -- the result limit -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def capped_server(settings) -> Iterator[str]:
    """The app over a store that returns at most five rows or triples."""
    from web.app import create_app

    store = EmbeddedStore(settings.dataset_dir / "dataset.nq", workers=1, result_limit=5)
    server = make_server("127.0.0.1", 0, create_app(settings, store=store), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    store.close()


PAGING = (
    "the result has more than 5 rows or triples (the endpoint's result-limit); "
    "nothing was cut silently: ask for it in pages, with ORDER BY and LIMIT 5 OFFSET 0, then "
    "OFFSET 5, and so on"
)


@pytest.mark.parametrize(
    ("accept", "rows"),
    [
        ("application/sparql-results+json", lambda r: len(r.json()["results"]["bindings"])),
        ("application/sparql-results+xml", lambda r: r.text.count("<result>")),
        ("text/csv", lambda r: len(r.text.strip().splitlines()) - 1),
        ("text/tab-separated-values", lambda r: len(r.text.strip().splitlines()) - 1),
    ],
)
def test_a_result_over_the_limit_is_refused_never_cut(capped_server, accept, rows):
    url = f"{capped_server}/sparql"
    over = requests.get(
        url, params={"query": "SELECT * { ?s ?p ?o }"}, headers={"Accept": accept}, timeout=30
    )
    assert over.status_code == 400 and PAGING in over.text
    assert over.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Result-Truncated" not in over.headers
    whole = requests.get(
        url,
        params={"query": "SELECT * { ?s ?p ?o } LIMIT 3"},
        headers={"Accept": accept},
        timeout=30,
    )
    assert rows(whole) == 3 and "X-Result-Truncated" not in whole.headers
    exact = requests.get(
        url,
        params={"query": "SELECT * { VALUES ?x { 1 2 3 4 5 } }"},
        headers={"Accept": accept},
        timeout=30,
    )
    assert rows(exact) == 5 and "X-Result-Truncated" not in exact.headers
    paged = requests.get(
        url,
        params={"query": "SELECT * { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 5 OFFSET 5"},
        headers={"Accept": accept},
        timeout=30,
    )
    assert paged.status_code == 200 and rows(paged) == 5


def test_graph_results_over_the_limit_are_refused_too(capped_server):
    answer = requests.get(
        f"{capped_server}/sparql",
        params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
        headers={"Accept": "application/n-triples"},
        timeout=30,
    )
    assert answer.status_code == 400 and answer.text.strip() == "400 Bad Request: " + PAGING
    assert (
        json.loads(
            requests.get(
                f"{capped_server}/sparql",
                params={"query": "ASK { ?s ?p ?o }"},
                timeout=30,
            ).text
        )["boolean"]
        is True
    )


def test_pages_still_get_a_flagged_cut_from_the_store(settings):
    """The browser's own pages read through ``store.query``, which keeps its flagged cut."""
    store = EmbeddedStore(settings.dataset_dir / "dataset.nq", workers=1, result_limit=5)
    try:
        result = store.query("SELECT * { ?s ?p ?o }")
    finally:
        store.close()
    assert len(result.rows) == 5 and result.truncated


def test_the_default_limit_holds_the_whole_dataset(live_server, store):
    """The default result-limit lets every triple of the dataset come back in one answer."""
    total = int(store.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }").rows[0]["n"])
    answer = requests.get(
        f"{live_server}/sparql",
        params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
        headers={"Accept": "application/n-triples"},
        timeout=60,
    )
    assert answer.status_code == 200
    assert total > 20000 and len(answer.text.strip().splitlines()) == total

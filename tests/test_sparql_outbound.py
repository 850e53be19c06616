"""No query makes the endpoint fetch a URL: what pyoxigraph 0.5 does on its own (it calls
``SERVICE`` endpoints over HTTP; it never fetches ``FROM`` graphs), the sandbox of the query
workers, the endpoint's refusals (checked with a listener on 127.0.0.1 that must receive no
connection), and the pass-through of an allowlisted ``SERVICE``."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyoxigraph as ox
import pytest
import requests
from werkzeug.serving import make_server

from kg.sparql.pool import WorkerPool

ANSWER = {
    "head": {"vars": ["o"]},
    "results": {"bindings": [{"o": {"type": "literal", "value": "from the fake endpoint"}}]},
}


class _Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = json.dumps(ANSWER).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


class Listener(ThreadingHTTPServer):
    """A SPARQL endpoint on 127.0.0.1 that answers one fixed row and counts connections."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.url = f"http://127.0.0.1:{self.server_address[1]}/sparql"

    def verify_request(self, request: object, client_address: object) -> bool:
        self.connections += 1
        return True


@pytest.fixture()
def listener() -> Iterator[Listener]:
    server = Listener()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _settle(server: Listener) -> int:
    """Connections so far. Nothing to wait for: a query that connects waits for the answer,
    which needs the listener to have accepted (and counted) the connection first."""
    return server.connections


# -- what the engine does by itself ----------------------------------------------------------


def test_pyoxigraph_calls_service_endpoints_itself(listener):
    """Why the guards exist: pyoxigraph 0.5 has no switch to turn SERVICE off."""
    store = ox.Store()
    result = store.query(f"SELECT ?o WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}")
    assert [s["o"].value for s in result] == ["from the fake endpoint"]
    assert listener.connections == 1


def test_pyoxigraph_never_fetches_from_graphs(listener):
    """FROM / FROM NAMED only pick graphs of the store by name: nothing is fetched."""
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://a"), ox.NamedNode("http://p"), ox.Literal("x")))
    for query in (
        f"SELECT * FROM <{listener.url}> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{listener.url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    ):
        assert list(store.query(query)) == []
    assert _settle(listener) == 0


def test_a_sandboxed_worker_cannot_open_a_socket(settings, listener):
    """Defence in depth: even a SERVICE the guards missed could not leave a query worker."""
    pool = WorkerPool(settings.dataset_dir / "dataset.nq", 1, sandbox=True)
    try:
        request = {
            "op": "raw",
            "text": f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}",
            "format": "json",
            "cap": 10,
            "count_rows": False,
        }
        answer = pool.call(request, 30)
    finally:
        pool.close()
    assert answer[0] == "os" and "Too many open files" in answer[1]
    assert _settle(listener) == 0


# -- the endpoint's refusals ------------------------------------------------------------------

REFUSED = [
    ("query", "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"),
    ("query", "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}"),
    ("query", "PREFIX x: <{url}> SELECT * WHERE {{ SERVICE x: {{ ?s ?p ?o }} }}"),
    ("query", "BASE <{url}> SELECT * WHERE {{ SERVICE <> {{ ?s ?p ?o }} }}"),
    ("query", "SELECT * WHERE {{ BIND (<{url}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}"),
    ("query", "SELECT * WHERE {{ ?s ?p true.SERVICE <{url}> {{ ?s ?p ?o }} }}"),
    ("query", "select * where {{ optional {{ service <{url}> {{ ?s ?p ?o }} }} }}"),
]
# Graph names never reach outside: an IRI naming no graph of the dataset is an empty graph.
EMPTY = [
    ("query", "SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}"),
    ("query", "SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"),
    ("default-graph-uri", "{url}"),
    ("named-graph-uri", "{url}"),
]


@pytest.mark.parametrize(("parameter", "template"), REFUSED)
@pytest.mark.parametrize("method", ["get", "post"])
def test_remote_targets_are_refused_before_execution(
    live_server, listener, method, parameter, template
):
    params = {parameter: template.format(url=listener.url)}
    if parameter != "query":
        params["query"] = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
    if method == "get":
        answer = requests.get(f"{live_server}/sparql", params=params, timeout=30)
    else:
        answer = requests.post(f"{live_server}/sparql", data=params, timeout=30)
    assert answer.status_code == 400, answer.text
    assert "allowlist" in answer.text or "never fetches" in answer.text or "SERVICE" in answer.text
    assert _settle(listener) == 0


@pytest.mark.parametrize(("parameter", "template"), EMPTY)
@pytest.mark.parametrize("method", ["get", "post"])
def test_outside_graph_names_are_empty_graphs_never_fetched(
    live_server, listener, method, parameter, template
):
    params = {parameter: template.format(url=listener.url)}
    if parameter != "query":
        params["query"] = "SELECT * WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } LIMIT 1"
    headers = {"Accept": "application/sparql-results+json"}
    if method == "get":
        answer = requests.get(f"{live_server}/sparql", params=params, headers=headers, timeout=30)
    else:
        answer = requests.post(f"{live_server}/sparql", data=params, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"]["bindings"] == []
    assert _settle(listener) == 0


# -- an allowlisted SERVICE is passed through -------------------------------------------------


@contextmanager
def _serve(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_an_allowlisted_service_is_called_and_others_still_refused(settings, store, listener):
    from web.app import create_app

    app = create_app(settings.with_(service_allowlist=(listener.url,)), store=store)
    with _serve(app) as url:
        allowed = requests.get(
            f"{url}/sparql",
            params={"query": f"SELECT ?o WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        )
        assert allowed.status_code == 200, allowed.text
        values = [b["o"]["value"] for b in allowed.json()["results"]["bindings"]]
        assert values == ["from the fake endpoint"]
        calls = listener.connections
        assert calls >= 1
        other = listener.url.replace("/sparql", "/other")
        refused = requests.get(
            f"{url}/sparql",
            params={"query": f"SELECT * WHERE {{ SERVICE <{other}> {{ ?s ?p ?o }} }}"},
            timeout=30,
        )
        assert refused.status_code == 400
        description = requests.get(f"{url}/sparql", timeout=30).text
        assert "BasicFederatedQuery" in description and listener.url in description
    assert _settle(listener) == calls

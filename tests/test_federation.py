"""Federation: a SERVICE clause to an allowlisted endpoint joins an external dataset with the
report's statistics in one query, on both backends; every other SERVICE is refused before a
single connection is made.

The external dataset is a second local Oxigraph server holding
``tests/fixtures/federation/synthetic-area-populations.ttl``: made-up round numbers keyed by
ONS code, a test fixture and not real populations.
"""

from __future__ import annotations

import socket
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.store.base import QueryRefused
from kg.store.remote import RemoteStore

FIXTURE = (
    Path(__file__).resolve().parent / "fixtures" / "federation" / "synthetic-area-populations.ttl"
)

JOIN = """
PREFIX hmic: <https://w3id.org/hmic-kg/def/hmic/>
PREFIX indicator: <https://w3id.org/hmic-kg/def/indicator/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
PREFIX fx: <http://example.org/federation-fixture/>
SELECT ?gss ?rate ?population ?implied WHERE {
  ?observation hmic:indicator indicator:crime-rate ;
               sdmx-dimension:refArea ?area ;
               sdmx-measure:obsValue ?rate .
  ?area hmic:gssCode ?gss ;
        skos:exactMatch ?ons .
  SERVICE <%s> { ?ons fx:syntheticPopulation ?population }
  BIND (?rate * ?population / 1000 AS ?implied)
}
ORDER BY ?gss
"""
# Leicestershire's and England and Wales's crime rates per 1,000 population (from the report)
# times the fixture's synthetic populations.
EXPECTED = [
    ("E23000021", "59", "1000000", "59000"),
    ("K04000001", "60.7", "50000000", "3035000"),
]


@pytest.fixture(scope="module")
def external(oxigraph_server) -> str:
    """The query endpoint of the second server, loaded with the synthetic fixture."""
    server = oxigraph_server()
    request = urllib.request.Request(
        f"{server.store_url}?default", data=FIXTURE.read_bytes(), method="PUT"
    )
    request.add_header("Content-Type", "text/turtle")
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status in (200, 201, 204)
    return server.query_url


class Listener:
    """A socket on 127.0.0.1 that counts the connections made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.connections = 0
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/sparql"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture()
def listener() -> Iterator[Listener]:
    trap = Listener()
    yield trap
    trap.close()


def _values(rows) -> list[tuple[str, ...]]:
    return [tuple(str(row[v]) for v in ("gss", "rate", "population", "implied")) for row in rows]


def test_embedded_store_joins_an_allowlisted_service(store, external):
    result = store.query(JOIN % external)
    assert _values(result.rows) == EXPECTED


@pytest.mark.external
def test_remote_store_joins_an_allowlisted_service(settings, remote_endpoint, external):
    remote = RemoteStore(
        settings.with_(remote_query_endpoint=remote_endpoint, service_allowlist=(external,))
    )
    assert _values(remote.query(JOIN % external).rows) == EXPECTED


@pytest.mark.external
@pytest.mark.parametrize(
    "query",
    [
        JOIN,
        "SELECT * WHERE { SERVICE SILENT <%s> { ?s ?p ?o } }",
        "PREFIX x: <%s> SELECT * WHERE { SERVICE x: { ?s ?p ?o } }",
        "SELECT * WHERE { BIND (<%s> AS ?e) SERVICE ?e { ?s ?p ?o } }",
    ],
    ids=["join", "silent", "prefixed", "variable"],
)
def test_remote_store_refuses_other_services(settings, remote_endpoint, external, listener, query):
    remote = RemoteStore(
        settings.with_(remote_query_endpoint=remote_endpoint, service_allowlist=(external,))
    )
    with pytest.raises(QueryRefused) as caught:
        remote.query(query % listener.url)
    assert caught.value.status == 400 and "SERVICE" in str(caught.value)
    assert listener.connections == 0


def _client(settings, store, allowlist: tuple[str, ...], path: str):
    """The web app with ``allowlist``; the SPARQL endpoint must be there when ``path`` is it."""
    from web.app import create_app

    app = create_app(settings.with_(service_allowlist=allowlist), store=store)
    if not any(rule.rule == path for rule in app.url_map.iter_rules()):
        pytest.fail(f"{path} is not registered in web/blueprints.py")
    return app.test_client()


@pytest.mark.parametrize("path", ["/sparql", "/query"])
def test_web_endpoints_run_allowlisted_services(settings, store, external, path):
    client = _client(settings, store, (external,), path)
    answer = client.get(
        path,
        query_string={"query": JOIN % external, "format": "json"}
        if path == "/query"
        else {"query": JOIN % external},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    bindings = answer.get_json()["results"]["bindings"]
    assert [(b["gss"]["value"], b["implied"]["value"]) for b in bindings] == [
        (gss, implied) for gss, _rate, _population, implied in EXPECTED
    ]


@pytest.mark.parametrize("path", ["/sparql", "/query"])
def test_web_endpoints_refuse_other_services(settings, store, external, listener, path):
    client = _client(settings, store, (external,), path)
    answer = client.get(path, query_string={"query": JOIN % listener.url})
    assert answer.status_code == 400
    assert listener.connections == 0

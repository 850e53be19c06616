"""The app over a real Virtuoso (tests/virtuoso_server.py): only the project's dataset is
seen, each triple once; the example queries answer as on the embedded store; the load's write
permission is revoked after it; and the server's own time limit stops a runaway query.
(The contract suite, the web-over-remote tests and the competency questions also run against
this server: tests/test_contract.py, test_web_remote.py, test_competency.py.)"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from rdflib import Literal
from virtuoso_server import GRANT, QUERY_TIME_LIMIT, REVOKE

from kg.config import ROOT
from kg.load import LoadError, load, split_graphs
from kg.namespaces import Base
from kg.store.base import QueryTimeout
from kg.store.remote import RemoteStore
from web.data import queries

pytestmark = pytest.mark.virtuoso

GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
EXAMPLES = [e.name for e in queries.examples()]
SYSTEM_GRAPH = "http://www.openlinksw.com/schemas/virtrdf#"  # Virtuoso's own, in every database


def _server_answer(endpoint: str, query: str) -> dict:
    """The server's own answer to a query sent without any dataset (what a naive client sees)."""
    url = f"{endpoint}?{urllib.parse.urlencode({'query': query})}"
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=60) as response:  # our own 127.0.0.1 server
        return json.loads(response.read())


def test_only_the_project_graphs_are_seen_and_each_triple_once(settings, store, virtuoso_store):
    built = split_graphs(settings.dataset_dir / "dataset.nq")
    names = {str(r["g"]) for r in virtuoso_store.query(GRAPHS).rows}
    assert names == set(built) == {str(r["g"]) for r in store.query(GRAPHS).rows}
    merge = {t for triples in built.values() for t in triples}
    assert int(virtuoso_store.query(COUNT).rows[0]["n"]) == len(merge)
    assert int(store.query(COUNT).rows[0]["n"]) == len(merge)
    # Without the dataset named, Virtuoso answers from all its graphs, its own included.
    naive = _server_answer(virtuoso_store.endpoint, GRAPHS)["results"]["bindings"]
    assert SYSTEM_GRAPH in {b["g"]["value"] for b in naive} and SYSTEM_GRAPH not in names


def _parts(term, separator: str | None):
    """A ``GROUP_CONCAT`` value as the sorted list of its parts (SPARQL leaves their order
    to the engine); any other term as it is."""
    if separator and isinstance(term, Literal) and separator in term:
        return sorted(str(term).split(separator))
    return term


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_queries_answer_the_same(store, virtuoso_store, name):
    text = queries.load(name, Base())
    a, b = store.query(text), virtuoso_store.query(text)
    assert a.kind == b.kind and a.variables == b.variables
    found = re.search(r'GROUP_CONCAT\(.*separator\s*=\s*"([^"]+)"', text)
    sep = found.group(1) if found else None
    rows_a = [tuple(_parts(row.get(v), sep) for v in a.variables) for row in a.rows]
    rows_b = [tuple(_parts(row.get(v), sep) for v in b.variables) for row in b.rows]
    if not re.search(r"ORDER\s+BY", text, re.IGNORECASE):
        rows_a, rows_b = sorted(rows_a, key=repr), sorted(rows_b, key=repr)
    assert rows_a == rows_b and rows_a, name


def test_the_load_may_write_only_while_granted(settings, virtuoso_server, virtuoso_endpoint):
    """After ``kg load`` the ``SPARQL`` account's update role is revoked: the Graph Store
    refuses a write (403) and a second load fails cleanly, the dataset unchanged."""
    graph = urllib.parse.quote("http://example.org/g", safe="")
    request = urllib.request.Request(
        f"{virtuoso_server.store_url}?graph={graph}",
        data=b"<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n",
        method="PUT",
        headers={"Content-Type": "application/n-triples"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)  # our own 127.0.0.1 server
    assert refused.value.code == 403
    with pytest.raises(LoadError, match="HTTP 403"):
        load(settings, virtuoso_endpoint, virtuoso_server.store_url, log=lambda _l: None)
    assert load(settings, virtuoso_endpoint, check_only=True, log=lambda _l: None).ok


def test_the_server_stops_a_query_at_its_own_limit(settings, virtuoso_endpoint):
    """Virtuoso's ``MaxQueryExecutionTime`` (10 s in the test ini) stops a runaway query on
    the server, all or nothing: the store reports the server's time-out, and the server is
    free at once. No per-request ``timeout`` is sent (it would allow partial answers)."""
    store = RemoteStore(settings.with_(remote_query_endpoint=virtuoso_endpoint, remote_timeout=40))
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"stopped the query.*timed out"):
        store.query(heavy)
    assert QUERY_TIME_LIMIT <= time.monotonic() - started < 30
    started = time.monotonic()
    assert store.query("ASK { ?s ?p ?o }").boolean is True
    assert time.monotonic() - started < 2


def test_the_docs_show_the_statements_the_tests_run():
    text = (ROOT / "docs" / "joining.md").read_text(encoding="utf-8")
    assert f"'EXEC={GRANT}'" in text and f"'EXEC={REVOKE}'" in text

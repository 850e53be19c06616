"""``kg load``: the built dataset uploaded to a real Oxigraph server with its named graphs,
the merge of those graphs as the dataset's default graph (``graph:default``), and the counts
verified; a server whose copy of that graph is not the merge, or that holds something else,
is reported."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request
from urllib.parse import quote

import pytest

from kg.config import ROOT
from kg.load import DEFAULT, LoadError, graph_store_url, load, split_graphs
from kg.store.base import StoreError
from kg.store.remote import RemoteStore, dataset_default_graph

pytestmark = pytest.mark.external


@pytest.mark.parametrize(
    ("endpoint", "store"),
    [
        ("http://127.0.0.1:7878/query", "http://127.0.0.1:7878/store"),
        ("http://localhost:3030/hmic/query", "http://localhost:3030/hmic/data"),
        ("https://example.org/fuseki/hmic/sparql", "https://example.org/fuseki/hmic/data"),
    ],
)
def test_graph_store_endpoint_is_derived_for_known_layouts(endpoint, store):
    assert graph_store_url(endpoint) == store


def test_unknown_layouts_need_graph_store():
    with pytest.raises(ValueError, match="--graph-store"):
        graph_store_url("http://localhost:7200/repositories/hmic")


def test_load_reports_every_graph_and_is_repeatable(settings, remote_endpoint):
    lines: list[str] = []
    report = load(settings, remote_endpoint, log=lines.append)  # a second load of the same data
    assert report.ok
    assert set(report.sent) >= {
        f"{settings.base_iri}id/graph/{g}" for g in ("asserted", "peel2014", "links", "metadata")
    }
    assert (
        report.found[DEFAULT]
        == report.sent[DEFAULT]
        < sum(n for g, n in report.sent.items() if g != DEFAULT)
    )
    assert len(lines) == len(report.sent) and all(line.endswith("ok") for line in lines)


def test_check_only(settings, remote_endpoint, oxigraph_server):
    assert load(settings, remote_endpoint, check_only=True, log=lambda _l: None).ok
    empty = oxigraph_server()
    with pytest.raises(LoadError, match="does not hold what was sent"):
        load(settings, empty.query_url, check_only=True, log=lambda _l: None)


def test_nquads_upload_can_be_repeated(settings, oxigraph_server):
    server = oxigraph_server()
    for _ in range(2):
        assert load(settings, server.query_url, nquads=True, log=lambda _l: None).ok


def test_a_union_default_graph_is_never_read(settings, oxigraph_server):
    """The dataset is named in every request, so a server's union default graph (which would
    count a triple stated in two graphs twice) does not matter."""
    server = oxigraph_server("--union-default-graph")
    report = load(settings, server.query_url, log=lambda _l: None)
    assert report.ok and report.found[DEFAULT] == report.sent[DEFAULT]


def test_a_wrong_default_graph_is_reported(settings, oxigraph_server):
    server = oxigraph_server()
    load(settings, server.query_url, log=lambda _l: None)
    extra = b"<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n"
    graph = quote(dataset_default_graph(settings.base_iri), safe="")
    request = urllib.request.Request(f"{server.store_url}?graph={graph}", data=extra, method="POST")
    request.add_header("Content-Type", "application/n-triples")
    with urllib.request.urlopen(request, timeout=30):  # our own 127.0.0.1 server
        pass
    with pytest.raises(LoadError, match="must be the merge of the named graphs"):
        load(settings, server.query_url, check_only=True, log=lambda _l: None)


def test_cli_failure_is_one_line(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "load", "--endpoint", f"http://127.0.0.1:{port}/query"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: PUT http://127.0.0.1:") and "Traceback" not in done.stderr
    with pytest.raises(ValueError, match="http"):
        load(settings, "file:///etc/passwd")
    assert issubclass(LoadError, StoreError)


def test_a_store_opened_before_the_load_sees_the_whole_dataset_after_it(settings, oxigraph_server):
    server = oxigraph_server()
    store = RemoteStore(settings.with_(remote_query_endpoint=server.query_url))
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert store.query(graphs).rows == []
    load(settings, server.query_url, log=lambda _l: None)
    built = split_graphs(settings.dataset_dir / "dataset.nq")
    assert {str(r["g"]) for r in store.query(graphs).rows} == set(built)

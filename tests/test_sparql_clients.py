"""Real third-party SPARQL clients against the endpoint, used the way their users use them:

- SPARQLWrapper 2: every return format it has × every query form × GET, form POST and direct
  POST (108 combinations). It always sends ``format=…`` and, when that format does not fit
  the query form, ``Accept: */*``; the endpoint then falls back to ``Accept``, so every
  combination answers something SPARQLWrapper parses, holding the same answer.
- rdflib's ``SPARQLStore``: a Graph over the endpoint (queries, ``len``, triple patterns).
- Comunica (``@comunica/query-sparql`` on its own Node.js, installed in ``tests/clients/`` by
  ``make sparql-clients``): a federated query over the endpoint and a small local Turtle file
  gives the endpoint's rows, and counting every triple gets all of them (no silent cut).
  Comunica may reach 127.0.0.1 only: ``tests/clients/federate.mjs`` refuses any other host.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path
from xml.dom.minidom import Document

import pytest
from rdflib import Graph, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDF,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)

pytestmark = pytest.mark.clients

CLIENTS = Path(__file__).resolve().parent / "clients"
NODE = CLIENTS / "node_modules" / ".bin" / "node"
FORCE = "https://w3id.org/hmic-kg/id/force/leicestershire"
HMIC = "https://w3id.org/hmic-kg/def/hmic/"
SELECT = (
    f"PREFIX hmic: <{HMIC}>\n"
    f"SELECT ?question ?grade WHERE {{ ?j a hmic:Judgment ; hmic:judgedForce <{FORCE}> ; "
    "hmic:question ?question ; hmic:grade ?grade } ORDER BY ?question ?grade"
)
ASK = f"ASK {{ <{FORCE}> a <{HMIC}PoliceForce> }}"
CONSTRUCT = f"CONSTRUCT {{ <{FORCE}> ?p ?o }} WHERE {{ <{FORCE}> ?p ?o }}"
DESCRIBE = f"DESCRIBE <{FORCE}>"
FORMS = {"select": SELECT, "ask": ASK, "construct": CONSTRUCT, "describe": DESCRIBE}
FORMATS = [JSON, XML, TURTLE, N3, RDF, RDFXML, CSV, TSV, JSONLD]
METHODS = {"get": (GET, URLENCODED), "form": (POST, URLENCODED), "direct": (POST, POSTDIRECTLY)}


@pytest.fixture(scope="module")
def expected(store):
    """What each query form answers, from the store itself."""
    rows = {(str(r["question"]), str(r["grade"])) for r in store.query(SELECT).rows}
    triples = len(store.query(CONSTRUCT).graph)
    assert rows and triples and store.query(ASK).boolean is True
    return {"select": rows, "ask": True, "construct": triples, "describe": triples}


def _table(text: str, fmt: str) -> list[list[str]]:
    if fmt == "csv":
        return list(csv.reader(io.StringIO(text)))
    return [[v.strip("<>") for v in line.split("\t")] for line in text.splitlines()]


def _answer(converted: object, content_type: str) -> object:
    """What a converted SPARQLWrapper result says: rows, a boolean or a number of triples."""
    if isinstance(converted, dict):  # SPARQL JSON
        if "boolean" in converted:
            return converted["boolean"]
        return {
            (b["question"]["value"], b["grade"]["value"]) for b in converted["results"]["bindings"]
        }
    if isinstance(converted, Document):  # SPARQL XML
        booleans = converted.getElementsByTagName("boolean")
        if booleans:
            return booleans[0].firstChild.data == "true"
        return {
            tuple(
                b.getElementsByTagName("uri")[0].firstChild.data
                for b in result.getElementsByTagName("binding")
            )
            for result in converted.getElementsByTagName("result")
        }
    if isinstance(converted, Graph):  # RDF/XML, JSON-LD
        return len(converted)
    text = converted.decode("utf-8") if isinstance(converted, bytes) else str(converted)
    if "csv" in content_type or "tab-separated" in content_type:
        table = _table(text, "csv" if "csv" in content_type else "tsv")
        if table[0] in (["_askResult"], ["?_askResult"]):
            return table[1] == ["true"]
        return {tuple(row) for row in table[1:]}
    return len(Graph().parse(data=text, format="turtle"))


@pytest.mark.filterwarnings("ignore:Sending Accept header:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:Format requested was:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_sparqlwrapper_combination_answers(live_server, expected, fmt, form, method):
    wrapper = SPARQLWrapper(f"{live_server}/sparql")
    wrapper.setQuery(FORMS[form])
    wrapper.setReturnFormat(fmt)
    wrapper.setMethod(METHODS[method][0])
    wrapper.setRequestMethod(METHODS[method][1])
    result = wrapper.query()
    content_type = result.info()["content-type"]
    assert _answer(result.convert(), content_type) == expected[form], content_type


def test_rdflib_sparqlstore_reads_the_endpoint(live_server, store, expected):
    """With its defaults (XML results, RDF/XML graphs, GET)."""
    graph = Graph(SPARQLStore(f"{live_server}/sparql"))
    rows = {(str(r.question), str(r.grade)) for r in graph.query(SELECT)}
    assert rows == expected["select"]
    assert graph.query(ASK).askAnswer is True
    assert len(graph.query(CONSTRUCT).graph) == expected["construct"]
    total = int(store.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }").rows[0]["n"])
    assert len(graph) == total
    about = set(graph.triples((URIRef(FORCE), None, None)))
    assert len(about) == expected["construct"]


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore_in_every_result_format_and_method(live_server, expected, fmt, method):
    graph = Graph(SPARQLStore(f"{live_server}/sparql", returnFormat=fmt, method=method))
    rows = {(str(r.question), str(r.grade)) for r in graph.query(SELECT)}
    assert rows == expected["select"]
    if fmt in ("json", "xml"):  # rdflib reads ASK from these two only
        assert graph.query(ASK).askAnswer is True


# -- Comunica: a federated query ---------------------------------------------------------------

LOCAL_TURTLE = f"""@prefix ex: <http://example.org/local#> .
<{FORCE}> ex:nickname "Leicestershire (local file)" .
ex:note ex:says "a second local triple" .
"""
FEDERATED = (
    f"PREFIX hmic: <{HMIC}>\nPREFIX ex: <http://example.org/local#>\n"
    "SELECT ?question ?grade ?nickname WHERE { ?j a hmic:Judgment ; hmic:judgedForce ?force ; "
    "hmic:question ?question ; hmic:grade ?grade . ?force ex:nickname ?nickname }"
)


def _comunica(endpoint: str, turtle: Path, query: str) -> list[dict[str, str]]:
    if not NODE.exists():
        pytest.fail("Comunica is not installed: run `make sparql-clients`")
    done = subprocess.run(
        [str(NODE), str(CLIENTS / "federate.mjs"), endpoint, str(turtle), query],
        cwd=CLIENTS,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_comunica_federates_the_endpoint_with_a_local_file(live_server, expected, tmp_path):
    turtle = tmp_path / "local.ttl"
    turtle.write_text(LOCAL_TURTLE, encoding="utf-8")
    rows = _comunica(f"{live_server}/sparql", turtle, FEDERATED)
    assert {(r["question"], r["grade"]) for r in rows} == expected["select"]
    assert {r["nickname"] for r in rows} == {"Leicestershire (local file)"}
    assert len(rows) == len(expected["select"])


def test_comunica_counts_every_triple(live_server, store, tmp_path):
    """Federating the whole default graph with the file: every triple arrives (none cut)."""
    turtle = tmp_path / "local.ttl"
    turtle.write_text(LOCAL_TURTLE, encoding="utf-8")
    total = int(store.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }").rows[0]["n"])
    rows = _comunica(f"{live_server}/sparql", turtle, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert [int(r["n"]) for r in rows] == [total + 2]
    assert total > 20000


def test_comunica_is_kept_on_127_0_0_1(tmp_path):
    """The guard in federate.mjs refuses any other host before a connection is tried (here
    127.0.0.2: still loopback, so nothing could leave the machine were the guard broken)."""
    turtle = tmp_path / "local.ttl"
    turtle.write_text(LOCAL_TURTLE, encoding="utf-8")
    done = subprocess.run(
        [str(NODE), str(CLIENTS / "federate.mjs"), "http://127.0.0.2:9/sparql", str(turtle), ASK],
        cwd=CLIENTS,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode != 0
    assert "refused a fetch outside 127.0.0.1: http://127.0.0.2:9/sparql" in done.stderr

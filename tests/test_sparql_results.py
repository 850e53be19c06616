"""What the endpoint does to results on both backends (embedded, and remote over a real
``oxigraph serve``): ``SELECT *`` columns in the order of first appearance in every result
format, ASK as the CSV/TSV table Jena reads, and a ``format`` parameter that does not fit the
query form falling back to ``Accept``."""

from __future__ import annotations

import csv
import io
import json
from xml.dom.minidom import parseString

import pytest

from kg.sparql.results import ordered, reorder, star_order

VALUES = "SELECT * WHERE { VALUES (?zeta ?alpha ?mid) { (1 'two' <http://x/3>) } }"
TRIPLES = "SELECT * WHERE { ?s ?p ?o } LIMIT 3"
ASK = "ASK { ?s ?p ?o }"
CONSTRUCT = "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 3"
MEDIA = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}


def _columns(body: str, fmt: str) -> tuple[list[str], list[list[str]]]:
    """Variable names and rows (values as text) of a SELECT result."""
    if fmt == "json":
        data = json.loads(body)
        names = data["head"]["vars"]
        rows = [[b[n]["value"] for n in names] for b in data["results"]["bindings"]]
        return names, rows
    if fmt == "xml":
        dom = parseString(body)
        names = [v.getAttribute("name") for v in dom.getElementsByTagName("variable")]
        rows = []
        for result in dom.getElementsByTagName("result"):
            bound = {
                b.getAttribute("name"): b.firstChild.firstChild.data
                for b in result.getElementsByTagName("binding")
            }
            rows.append([bound[n] for n in names])
        return names, rows
    if fmt == "csv":
        table = list(csv.reader(io.StringIO(body)))
        return table[0], table[1:]
    table = [line.split("\t") for line in body.splitlines()]
    rows = [[v.strip("<>").split('"')[1] if '"' in v else v.strip("<>") for v in r] for r in table]
    return [n[1:] for n in table[0]], rows[1:]


@pytest.mark.parametrize("fmt", MEDIA)
def test_select_star_lists_variables_in_order_of_appearance(backend, fmt):
    answer = backend.get("/sparql", query_string={"query": VALUES}, headers={"Accept": MEDIA[fmt]})
    assert answer.status_code == 200
    names, rows = _columns(answer.get_data(as_text=True), fmt)
    assert names == ["zeta", "alpha", "mid"]
    assert rows == [["1", "two", "http://x/3"]]  # every value moved with its column
    answer = backend.get("/sparql", query_string={"query": TRIPLES}, headers={"Accept": MEDIA[fmt]})
    names, rows = _columns(answer.get_data(as_text=True), fmt)
    assert names == ["s", "p", "o"] and len(rows) == 3


def test_an_explicit_projection_keeps_its_order(client):
    text = "SELECT ?mid ?zeta WHERE { VALUES (?zeta ?alpha ?mid) { (1 2 3) } }"
    answer = client.get("/sparql", query_string={"query": text, "format": "csv"})
    assert answer.get_data(as_text=True).splitlines()[0] == "mid,zeta"


@pytest.mark.parametrize(
    ("fmt", "body"), [("csv", "_askResult\r\ntrue\r\n"), ("tsv", "?_askResult\ntrue\n")]
)
def test_ask_as_csv_and_tsv_is_a_table_with_a_header(backend, fmt, body):
    answer = backend.get("/sparql", query_string={"query": ASK}, headers={"Accept": MEDIA[fmt]})
    assert answer.status_code == 200 and answer.get_data(as_text=True) == body
    false = backend.get(
        "/sparql", query_string={"query": "ASK { <http://x/nothing> ?p ?o }", "format": fmt}
    )
    assert false.get_data(as_text=True) == body.replace("true", "false")


def test_ask_csv_reads_as_a_table_in_pandas_style_readers(client):
    """csv.DictReader (as pandas.read_csv) reads the answer as one row of one column."""
    answer = client.get("/sparql", query_string={"query": ASK, "format": "csv"})
    assert list(csv.DictReader(io.StringIO(answer.get_data(as_text=True)))) == [
        {"_askResult": "true"}
    ]


def test_a_format_that_does_not_fit_falls_back_to_accept(backend):
    graph = backend.get(
        "/sparql", query_string={"query": CONSTRUCT, "format": "csv"}, headers={"Accept": "*/*"}
    )
    assert graph.status_code == 200 and graph.content_type.startswith("text/turtle")
    rows = backend.get(
        "/sparql",
        query_string={"query": TRIPLES, "format": "turtle"},
        headers={"Accept": "text/csv"},
    )
    assert rows.status_code == 200 and rows.content_type.startswith("text/csv")
    fitting = backend.get(
        "/sparql", query_string={"query": TRIPLES, "format": "tsv"}, headers={"Accept": "text/csv"}
    )
    assert fitting.content_type.startswith("text/tab-separated-values")  # format wins


def test_a_format_that_fits_nothing_acceptable_is_a_406(client):
    answer = client.get(
        "/sparql",
        query_string={"query": CONSTRUCT, "format": "csv"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert answer.status_code == 406
    assert "format 'csv' does not fit this query and Accept allows no other" in answer.get_data(
        as_text=True
    )
    unknown = client.get("/sparql", query_string={"query": TRIPLES, "format": "pdf"})
    assert unknown.status_code == 406 and "format 'pdf' is not available" in unknown.get_data(
        as_text=True
    )


def test_star_order_reads_the_query_text():
    assert star_order("PREFIX a: <http://a/> SELECT DISTINCT * { ?b a:x ?a . ?c ?b ?d }") == (
        "b",
        "a",
        "c",
        "d",
    )
    assert star_order("SELECT ?x {}") is None
    assert star_order("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }") is None
    assert star_order("CONSTRUCT WHERE { ?s ?p ?o }") is None
    assert ordered(["a", "extra", "b"], ("b", "a")) == ["b", "a", "extra"]


def test_reorder_leaves_what_it_cannot_read_alone():
    assert reorder(b"not json", "json", ("b", "a")) == b"not json"
    assert reorder(b"a,b\r\n1\r\n", "csv", ("b", "a")) == b"a,b\r\n1\r\n"  # ragged
    assert reorder(b"?a\t?b\n1\t2\n", "tsv", ("b", "a")) == b"?b\t?a\n2\t1\n"


def test_the_query_editor_shows_select_star_columns_in_order_of_appearance(client):
    text = "SELECT * WHERE { VALUES (?zeta ?alpha ?mid) { (1 2 3) } }"
    page = client.get("/query", query_string={"query": text}).get_data(as_text=True)
    found = [page.find(f">{name}<") for name in ("zeta", "alpha", "mid")]
    assert -1 not in found and found == sorted(found), found

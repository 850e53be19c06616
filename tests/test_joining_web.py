"""The joining features of the web app on the embedded store: the forces page (table, filters
with and without JavaScript, chart, data-quality notes), the VoID description and its formats,
the dump downloads (media types, only existing files, no path traversal) and the CSV exports."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, RDF, VOID, XSD

from kg.namespaces import Base

BASE = Base()


class _Rows(HTMLParser):
    """Collects the body rows of the forces table: (hidden, data attributes, cell texts)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[bool, dict[str, str], list[str]]] = []
        self.links: list[str] = []
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "tbody" and not self.rows:
            self._in_body = True
        elif tag == "tr" and self._in_body:
            data = {k[5:]: v or "" for k, v in values.items() if k.startswith("data-")}
            self.rows.append(("hidden" in values, data, []))
        elif tag in ("th", "td") and self._in_body and self.rows:
            self._cell = []
        elif tag == "a" and self._in_body and self._cell is not None:
            self.links.append(values.get("href") or "")

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag in ("th", "td") and self._cell is not None:
            self.rows[-1][2].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _plain(triple):
    """The triple with ``"x"^^xsd:string`` written as ``"x"`` (the same RDF 1.1 literal)."""
    return tuple(
        Literal(str(t)) if isinstance(t, Literal) and t.datatype == XSD.string else t
        for t in triple
    )


def _table(client, query: str = ""):
    page = client.get("/forces" + query)
    assert page.status_code == 200
    parser = _Rows()
    parser.feed(page.get_data(as_text=True))
    return parser, page.get_data(as_text=True)


def _shown(parser: _Rows) -> list[str]:
    return [cells[0] for hidden, _data, cells in parser.rows if not hidden]


def test_forces_table_lists_43_forces_linking_to_their_pages(client):
    parser, html = _table(client)
    assert len(parser.rows) == 43 and len(_shown(parser)) == 43
    assert "Leicestershire" in _shown(parser)
    assert "/doc/force/leicestershire" in parser.links
    assert "/doc/judgment/durham-2014/investigating-offending" in parser.links
    assert "<strong>43</strong> of 43 forces shown" in html


def test_filter_without_javascript(client):
    parser, html = _table(client, "?question=investigating-offending&grade=requires-improvement")
    shown = _shown(parser)
    assert len(shown) == 18
    assert "Lincolnshire" in shown and "Leicestershire" not in shown
    assert "Cheshire" not in shown  # disputed, not requires improvement
    assert '<option value="requires-improvement" selected>' in html
    parser, _ = _table(client, "?grade=outstanding")
    assert sorted(_shown(parser)) == [
        "Durham",
        "Norfolk",
        "Northumbria",
        "South Wales",
        "Staffordshire",
    ]


def test_disputes_and_gaps_are_shown_as_such(client):
    parser, html = _table(client, "?grade=disputed")
    assert _shown(parser) == ["Cheshire"]
    cheshire = next(cells for hidden, _d, cells in parser.rows if not hidden)
    assert cheshire[1].startswith("disputed: good (source) / requires improvement (source)")
    assert cheshire[3] == "good"  # both sources agree on tackling anti-social behaviour
    parser, _ = _table(client, "?grade=missing")
    assert _shown(parser) == ["Hampshire"]
    hampshire = next(cells for hidden, _d, cells in parser.rows if not hidden)
    assert hampshire[1:4] == ["no grade found"] * 3
    assert "overview page not found" in html


def test_rows_carry_what_the_script_filters_on(client):
    parser, _ = _table(client)
    data = {cells[0]: attrs for _h, attrs, cells in parser.rows}
    assert data["Cheshire"] == {
        "reducing-crime": "disputed",
        "investigating-offending": "disputed",
        "tackling-asb": "good",
    }
    assert data["Hampshire"]["tackling-asb"] == "missing"
    script = client.get("/forces/forces.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert b"replaceState" in script.data and b"data-" in script.data


@pytest.mark.parametrize("query", ["?grade=terrible", "?question=all", "?grade=%3Cscript%3E"])
def test_bad_filters_are_400(client, query):
    page = client.get("/forces" + query)
    assert page.status_code == 400
    assert "<script>" not in page.get_data(as_text=True)


def test_distribution_chart_and_table(client):
    _parser, html = _table(client)
    svg = re.search(r"<svg[^>]*id=\"chart-forces\".*?</svg>", html, re.S)
    assert svg, "no server-rendered chart"
    bars = re.findall(r'class="bar grade-([a-z-]+)"><title>([^<]+)</title>', svg.group())
    assert ("requires-improvement", "requires improvement: 18") in bars
    assert ("disputed", "disputed between sources: 1") in bars
    assert ("missing", "no grade found: 1") in bars
    assert 'href="/forces?question=tackling-asb&amp;grade=outstanding">4</a>' in html


def test_void_html_and_formats(client):
    page = client.get("/.well-known/void")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert 'href="/download/dataset.nq"' in html and 'href="/sparql"' in html
    assert "Links to Wikidata" in html
    graphs = {}
    for media, parser in [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
    ]:
        answer = client.get("/.well-known/void", headers={"Accept": media})
        assert answer.status_code == 200 and answer.mimetype == media
        assert "Accept" in answer.headers.get("Vary", "")
        graphs[media] = {_plain(t) for t in Graph().parse(data=answer.data, format=parser)}
    assert graphs["text/turtle"] == graphs["application/ld+json"] == graphs["application/n-triples"]
    g = Graph()
    for triple in graphs["text/turtle"]:
        g.add(triple)
    dataset = BASE.ID["dataset/hmic-kg"]
    assert (dataset, RDF.type, VOID.Dataset) in g and (dataset, RDF.type, DCAT.Dataset) in g
    assert len(set(g.subjects(RDF.type, VOID.Linkset))) == 3
    assert (dataset, VOID.sparqlEndpoint, URIRef(BASE.iri + "sparql")) in g


def test_every_advertised_dump_downloads_with_its_media_type(client, settings):
    g = Graph().parse(data=client.get("/.well-known/void?format=turtle").data, format="turtle")
    dumps = sorted(str(d) for d in g.objects(None, VOID.dataDump))
    assert len(dumps) >= 3 + 2 * 7  # the whole dataset, and each named graph twice
    for dump in dumps:
        local = "/" + dump[len(BASE.iri) :]
        answer = client.get(local)
        assert answer.status_code == 200, local
        media = str(g.value(URIRef(dump), DCAT.mediaType)).rsplit("/media-types/", 1)[1]
        assert answer.mimetype == media, local
        answer.close()


@pytest.mark.parametrize(
    "path",
    [
        "/download/stats.json",
        "/download/..%2Fstats.json",
        "/download/../stats.json",
        "/download/dumps%2Fasserted.ttl",
        "/download/%2Fetc%2Fpasswd",
        "/download/nonexistent.ttl",
        "/download/asserted.TTL",
        "/download/dataset.nq.bak",
    ],
)
def test_downloads_serve_only_dumps(client, path):
    assert client.get(path, follow_redirects=True).status_code == 404


def test_csv_exports(client):
    expected = {
        "judgments": (130, "judgment"),
        "statistics": (46, "observation"),
        "recommendations": (3, "recommendation"),
        "initiatives": (92, "initiative"),
    }
    for table, (count, key) in expected.items():
        answer = client.get(f"/export/{table}.csv")
        assert answer.status_code == 200 and answer.mimetype == "text/csv"
        assert f"hmic-kg-{table}.csv" in answer.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
        assert len(rows) == count and rows[0][key].startswith(BASE.iri)
    judgments = {
        r["judgment"]: r
        for r in csv.DictReader(
            io.StringIO(client.get("/export/judgments.csv").get_data(as_text=True))
        )
    }
    cheshire = judgments[str(BASE.ID["judgment/cheshire-2014/reducing-crime"])]
    assert cheshire["grade"] == "" and cheshire["grade_status"].endswith("/Disputed")
    assert cheshire["claimed_grades"].count(" | ") == 1
    assert client.get("/export/passwords.csv").status_code == 404


def test_forces_page_has_no_inline_script(client):
    html = client.get("/forces").get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    json.dumps(html)  # the page is text

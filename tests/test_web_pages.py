"""The browser's pages over the real build, through the Flask test client: linked-data
manners (303, content negotiation, Link headers, 400/404), the resource page, the report
reader, search, classes, vocabulary, charts, the query editor, downloads — and how many store
queries each page makes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from counting import CountingStore
from rdflib import RDF, Graph, URIRef

from kg.namespaces import Base
from web.app import create_app

WEB = Path(__file__).resolve().parent.parent / "web"
FORCE = "/doc/force/leicestershire"
JUDGMENT = "/doc/judgment/leicestershire-2014/reducing-crime"


@pytest.fixture(scope="module")
def counted(settings, store):
    counting = CountingStore(store)
    application = create_app(settings, store=counting)
    application.config["TESTING"] = True
    return application, counting


@pytest.fixture()
def base(settings) -> Base:
    return Base(settings.base_iri)


def html(response) -> str:
    return response.get_data(as_text=True)


# --- linked-data manners ---------------------------------------------------------------


def test_id_redirects_303_to_doc(client):
    response = client.get("/id/force/leicestershire")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(FORCE)


def test_doc_is_html_by_default_with_alternates_announced(client):
    response = client.get(FORCE)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Accept" in response.headers["Vary"]
    link = response.headers["Link"]
    for media in (
        "text/turtle",
        "application/ld+json",
        "application/n-triples",
        "application/rdf+xml",
    ):
        assert f'type="{media}"' in link
    assert 'rel="alternate"' in link
    page = html(response)
    for fmt in ("turtle", "jsonld", "ntriples", "rdfxml"):
        assert f"{FORCE}?format={fmt}" in page


@pytest.mark.parametrize(
    ("accept", "media", "rdflib_format"),
    [
        ("text/turtle", "text/turtle", "turtle"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("text/html;q=0.5, text/turtle;q=0.9", "text/turtle", "turtle"),
    ],
)
def test_doc_negotiates_rdf(client, base, accept, media, rdflib_format):
    response = client.get(FORCE, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == media
    graph = Graph().parse(data=response.get_data(), format=rdflib_format)
    force = URIRef(base.ID["force/leicestershire"])
    assert (force, RDF.type, base.HMIC.PoliceForce) in graph


def test_explicit_format_links_win_over_accept(client):
    response = client.get(FORCE + "?format=turtle", headers={"Accept": "text/html"})
    assert response.mimetype == "text/turtle"


def test_unknown_format_is_400_and_unacceptable_accept_is_406(client):
    assert client.get(FORCE + "?format=png").status_code == 400
    assert client.get(FORCE, headers={"Accept": "image/png"}).status_code == 406


def test_unknown_resource_is_a_404_page_offering_search(client):
    response = client.get("/doc/force/atlantis")
    assert response.status_code == 404
    page = html(response)
    assert 'role="search"' in page and 'name="q"' in page and 'value="atlantis"' in page
    assert client.get("/doc/force/atlantis", headers={"Accept": "text/turtle"}).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/doc/force//leicestershire",
        "/doc/force/lei%3Ccester",
        "/resource?iri=not-an-iri",
        "/resource",
        f"{FORCE}?page=0",
        f"{FORCE}?page=abc",
        "/search?q=tiger&page=-1",
        "/search?q=tiger&type=javascript:alert(1)",
        "/class?iri=%20",
        "/why?s=x&p=y&o=z",
        "/report?highlight=notaniri",
        "/query?format=exe&query=ASK%7B%7D",
        "/query?example=no-such-example",
        "/search?q=" + "x" * 300,
    ],
)
def test_malformed_paths_and_parameters_are_400(client, url):
    response = client.get(url)
    assert response.status_code == 400, url
    assert "Traceback" not in html(response)


def test_def_terms_resolve(client):
    for url in ("/def/hmic/Judgment", "/def/grade/good", "/def/question/reducing-crime"):
        response = client.get(url)
        assert response.status_code == 200, url
    page = html(client.get("/def/hmic/Judgment"))
    assert "judgment" in page.lower() and "Statements" in page


def test_external_iris_are_shown_through_resource(client):
    response = client.get("/resource?iri=" + quote("http://www.wikidata.org/entity/Q6519259"))
    assert response.status_code == 200
    assert "Leicestershire Police" in html(response)


def test_our_own_iris_passed_to_resource_redirect_to_their_page(client, base):
    response = client.get("/resource?iri=" + quote(str(base.ID["force/leicestershire"])))
    assert response.status_code == 303 and response.headers["Location"].endswith(FORCE)


# --- the resource page -----------------------------------------------------------------


def test_resource_page_shows_label_types_provenance_and_links(client):
    page = html(client.get(FORCE))
    assert '<h1 id="resource-title">Leicestershire Police</h1>' in page
    assert "police force" in page.lower()
    assert "Where the report says so" in page
    assert re.search(r'href="/report\?highlight=[^"#]+#paragraph-\d+"', page)
    assert 'class="quote"' in page
    assert "https://www.wikidata.org/wiki/" in page or "http://www.wikidata.org/entity/" in page
    assert 'rel="external noopener"' in page
    assert "<svg" in page and 'class="graph"' in page


def test_inferred_statements_are_marked_and_explained(client):
    page = html(client.get(FORCE))
    assert 'class="badge inferred"' in page
    why = re.search(r'href="(/why\?[^"]+)"', page).group(1).replace("&amp;", "&")
    response = client.get(why)
    assert response.status_code == 200
    explained = html(response)
    assert "OWL 2 RL rule" in explained
    assert "It rests on" in explained and "asserted" in explained


def test_observation_page_shows_value_unit_area_and_period(client):
    page = html(client.get("/doc/observation/crime-rate/leicestershire/12-months-to-2014-06"))
    headline = page[page.index('class="headline"') :][:1500]
    assert "59" in headline
    assert "1,000" in headline
    assert "June 2014" in headline


def test_dates_are_shown_as_dates(client):
    page = html(client.get("/doc/recommendation/leicestershire-2014/1"))
    deadline = re.search(r'href="(/doc/[^"]*deadline[^"]*)"', page)
    if deadline is None:  # the deadline may be a blank node or named differently
        assert "2015" in page
        return
    assert re.search(r"\d{1,2} (February|March|May) 2015", html(client.get(deadline.group(1))))


def test_long_lists_are_paginated(client):
    first = html(client.get(FORCE))
    assert 'rel="next"' in first and f"{FORCE}?page=2" in first
    second = client.get(FORCE + "?page=2")
    assert second.status_code == 200
    assert 'rel="prev"' in html(second)
    assert client.get(FORCE + "?page=999").status_code == 404


def test_a_passage_page_links_to_the_reader(client):
    page = html(client.get("/doc/report/crime-inspection-2014-leicestershire/paragraph/19"))
    assert "/report#paragraph-19" in page


# --- report reader ---------------------------------------------------------------------


def test_report_reader_has_every_passage_as_an_anchor_and_highlights(client, base):
    response = client.get("/report")
    page = html(response)
    assert response.status_code == 200
    assert 'id="paragraph-1"' in page and 'id="paragraph-19"' in page and 'id="footnote-1"' in page
    assert page.index('id="paragraph-19"') < page.index('id="paragraph-23"')
    assert '<mark class="quote"' in page
    assert 'href="/doc/judgment/leicestershire-2014/reducing-crime"' in page
    fact = quote(str(base.ID["judgment/leicestershire-2014/reducing-crime"]), safe="")
    focused = html(client.get(f"/report?highlight={fact}"))
    assert 'class="quote focus"' in focused and 'role="status"' in focused


# --- search ----------------------------------------------------------------------------


def test_search_ranks_and_filters(client, base):
    page = html(client.get("/search?q=operation+tiger"))
    hits = re.findall(r'<p class="hit-title"><a href="([^"]+)"', page)
    assert hits[0] == "/doc/initiative/operation-tiger"
    operation = quote(str(base.HMIC.Operation), safe="")
    filtered = html(client.get(f"/search?q=operation+tiger&type={operation}"))
    filtered_hits = re.findall(r'<p class="hit-title"><a href="([^"]+)"', filtered)
    assert filtered_hits and set(filtered_hits) <= set(hits)
    assert len(filtered_hits) <= len(hits)


@pytest.mark.parametrize(
    "q", ['") } DROP ALL #', "?s ?p ?o", "' OR 1=1 --", "} UNION { ?s ?p ?o", "\\u0022"]
)
def test_search_input_is_bound_not_spliced(client, q):
    response = client.get("/search?q=" + quote(q))
    assert response.status_code == 200
    assert "0 results" in html(response) or "result" in html(response)


# --- classes, vocabulary, charts -------------------------------------------------------


def test_class_index_and_class_page(client, base):
    page = html(client.get("/classes"))
    judgment = quote(str(base.HMIC.Judgment), safe="")
    assert f"/class?iri={judgment}" in page
    listing = html(client.get(f"/class?iri={judgment}"))
    assert re.search(r'href="/doc/judgment/[a-z-]+-2014/reducing-crime"', listing)
    total = int(re.search(r"Instances \((\d+)\)", listing).group(1))
    if total > 50:
        assert 'rel="next"' in listing
        assert client.get(f"/class?iri={judgment}&page=2").status_code == 200
    assert client.get("/class?iri=" + quote("http://example.org/NoSuchClass")).status_code == 404


def test_ontology_page_is_generated_from_the_ontology(client):
    page = html(client.get("/def/hmic"))
    assert 'id="Judgment"' in page and 'id="grade"' in page
    assert "Domain" in page and "Range" in page and "Subclass of" in page
    assert "transitive" in page
    turtle = client.get("/def/hmic", headers={"Accept": "text/turtle"})
    assert turtle.mimetype == "text/turtle"
    assert len(Graph().parse(data=turtle.get_data(), format="turtle")) > 100


def test_charts_compare_leicestershire_with_england_and_wales(client):
    page = html(client.get("/charts"))
    assert page.count("<svg viewBox") >= 3
    assert "England and Wales" in page and "Leicestershire" in page
    assert '<rect x="' in page and 'class="bar ' in page
    assert "60.7" in page and "59" in page
    assert "-22%" in page
    assert 'class="marker"' in page


# --- the query editor ------------------------------------------------------------------


def test_editor_has_prefixes_and_examples(client):
    page = html(client.get("/query"))
    assert "PREFIX hmic:" in page and "<textarea" in page and 'for="query"' in page
    assert page.count("/query?example=example-") >= 10
    assert "yasgui.min.js" in page and "query-ui.js" in page


def test_every_example_runs_and_returns_rows(client):
    page = html(client.get("/query"))
    names = sorted(set(re.findall(r"/query\?example=(example-[a-z0-9-]+)", page)))
    for name in names:
        response = client.get(f"/query?example={name}")
        assert response.status_code == 200, name
        text = html(response)
        assert "Results" in text, name
        assert not re.search(r"<p>0 rows", text), name


def test_results_link_iris_and_offer_downloads(client):
    text = html(client.get("/query?example=example-judgments"))
    assert 'href="/doc/judgment/leicestershire-2014/' in text
    assert 'id="permalink"' in text
    csv_link = re.search(r'href="([^"]+format=csv)"', text).group(1).replace("&amp;", "&")
    csv = client.get(csv_link)
    assert csv.mimetype == "text/csv"
    assert 'filename="results.csv"' in csv.headers["Content-Disposition"]
    assert csv.get_data(as_text=True).splitlines()[0].startswith("judgment,question")
    json_link = csv_link.replace("format=csv", "format=json")
    body = json.loads(client.get(json_link).get_data())
    assert body["head"]["vars"][:2] == ["judgment", "question"]


def test_parse_errors_are_shown_next_to_the_query(client):
    query = "SELECT ?s\nWHERE { ?s ?p }"
    response = client.get("/query?query=" + quote(query))
    assert response.status_code == 400
    page = html(response)
    assert 'id="query-problem"' in page and 'aria-invalid="true"' in page
    assert "SELECT ?s\nWHERE { ?s ?p }" in page  # the query stays in the editor
    assert "line 2: WHERE { ?s ?p }" in page  # the position is the user's, not ours


def test_service_is_refused(client):
    query = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    response = client.get("/query?query=" + quote(query))
    assert response.status_code == 400
    assert "SERVICE &lt;http://127.0.0.1:9/sparql&gt; is not on this endpoint" in html(response)


def test_ask_and_construct_queries(client):
    ask = html(client.get("/query?query=" + quote("ASK { ?s a hmic:Judgment }")))
    assert "Answer: <strong>yes</strong>" in ask
    construct = "CONSTRUCT { ?s a hmic:Judgment } WHERE { ?s a hmic:Judgment } LIMIT 3"
    page = html(client.get("/query?query=" + quote(construct)))
    assert "subject" in page and "format=turtle" in page


# --- downloads -------------------------------------------------------------------------


def test_downloads(client):
    page = html(client.get("/download"))
    assert "/download/dataset.nq" in page and "/download/asserted.ttl" in page
    with client.get("/download/asserted.ttl") as dump:
        assert dump.status_code == 200 and dump.mimetype == "text/turtle"
    assert client.get("/download/../pyproject.toml").status_code == 404
    assert client.get("/download/stats.py").status_code == 404


# --- structure -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "most"),
    [
        ("/", 2),
        (FORCE, 2),
        (JUDGMENT, 2),
        (FORCE + "?format=turtle", 2),
        ("/report", 2),
        ("/search?q=victims", 2),
        ("/charts", 2),
        ("/classes", 2),
        ("/def/hmic", 2),  # built once per app from the cached ontology, then 0
        ("/def/hmic/Judgment", 2),
    ],
)
def test_each_page_is_one_or_two_queries(counted, url, most):
    application, counting = counted
    client = application.test_client()
    client.get("/def/hmic")  # the ontology is fetched once per app, then cached
    before = counting.calls
    assert client.get(url).status_code == 200
    assert counting.calls - before <= most, url
    if url.startswith("/doc/"):
        assert counting.calls - before == 1, url


def test_views_hold_no_sparql_text():
    for module in WEB.glob("*.py"):
        text = module.read_text(encoding="utf-8")
        assert not re.search(r"\b(SELECT|CONSTRUCT)\b[^\n]*\bWHERE\b", text), module.name
        assert "WHERE {" not in text, module.name


def test_why_explains_a_sample_of_every_kind_of_inference(client, store, settings):
    inferred = Base(settings.base_iri).GRAPH["inferred"]
    rows = store.query(
        "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?p ?s ?o", {"g": inferred}
    ).rows
    assert rows
    by_property: dict[str, list] = {}
    for row in rows:
        by_property.setdefault(str(row["p"]), []).append(row)
    sample = [r for group in by_property.values() for r in group[:: max(1, len(group) // 3)][:3]]
    for row in sample:
        s, p, o = row["s"], row["p"], row["o"]
        url = (
            f"/why?s={quote(str(s), safe='')}&p={quote(str(p), safe='')}&o={quote(o.n3(), safe='')}"
        )
        page = html(client.get(url))
        assert "It rests on" in page, (s, p, o)

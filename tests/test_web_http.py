"""The browser over real HTTP (the ``live_server`` fixture): redirects, content negotiation,
status codes, headers and downloads as a client such as curl or a crawler sees them."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import requests
from rdflib import Graph

FORCE = "/doc/force/leicestershire"


def test_id_303_then_doc_over_http(live_server):
    response = requests.get(
        live_server + "/id/force/leicestershire", allow_redirects=False, timeout=30
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(FORCE)
    followed = requests.get(live_server + "/id/force/leicestershire", timeout=30)
    assert followed.status_code == 200
    assert followed.history[0].status_code == 303
    assert followed.headers["Content-Type"].startswith("text/html")


def test_negotiation_survives_the_redirect(live_server):
    response = requests.get(
        live_server + "/id/force/leicestershire", headers={"Accept": "text/turtle"}, timeout=30
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/turtle")
    assert len(Graph().parse(data=response.text, format="turtle")) > 10


def test_json_ld_and_link_headers(live_server):
    response = requests.get(
        live_server + FORCE, headers={"Accept": "application/ld+json"}, timeout=30
    )
    assert response.headers["Content-Type"].startswith("application/ld+json")
    body = json.loads(response.text)
    assert "@context" in body or isinstance(body, list)
    links = requests.utils.parse_header_links(response.headers["Link"])
    assert {link["type"] for link in links} >= {
        "text/turtle",
        "application/ld+json",
        "application/n-triples",
        "application/rdf+xml",
    }
    assert all(link["rel"] == "alternate" for link in links)
    assert "Accept" in response.headers["Vary"]


def test_head_answers_without_a_body(live_server):
    response = requests.head(live_server + FORCE, timeout=30)
    assert response.status_code == 200
    assert response.headers["Link"]
    assert response.text == ""


def test_errors_over_http(live_server):
    assert requests.get(live_server + "/doc/force/atlantis", timeout=30).status_code == 404
    assert requests.get(live_server + "/resource?iri=%3Cx%3E", timeout=30).status_code == 400
    assert requests.get(live_server + FORCE + "?page=x", timeout=30).status_code == 400
    bad_accept = requests.get(live_server + FORCE, headers={"Accept": "image/png"}, timeout=30)
    assert bad_accept.status_code == 406


def test_csv_download_over_http(live_server):
    query = "SELECT ?j WHERE { ?j a hmic:Judgment } LIMIT 3"
    response = requests.get(
        live_server + "/query", params={"query": query, "format": "csv"}, timeout=30
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.text.strip().splitlines()
    assert lines[0] == "j" and len(lines) == 4


def test_pages_load_nothing_from_other_origins(live_server):
    for path in ("/", FORCE, "/query", "/charts", "/report", "/search?q=tiger"):
        page = requests.get(live_server + path, timeout=30).text
        for attr in re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]+)"', page):
            assert attr.startswith("/"), (path, attr)
        response = requests.get(live_server + path, timeout=30)
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_search_binding_over_http(live_server):
    nasty = '") } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o } #'
    response = requests.get(live_server + "/search?q=" + quote(nasty), timeout=30)
    assert response.status_code == 200
    assert "0 results" in response.text

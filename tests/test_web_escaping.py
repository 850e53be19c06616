"""Every value from the data is escaped, whatever it contains; and the browser works under
another base IRI. Runs over a tiny dataset written here (not the real build)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from kg.config import ROOT, load_settings
from kg.store.embedded import EmbeddedStore
from web.app import create_app

BASE = "http://example.org/kg/"
SCRIPT = "<script>alert('pwned')</script>"
G = BASE + "id/graph/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"


def quad(s: str, p: str, o: str, graph: str) -> str:
    return f"{s} {p} {o} <{G}{graph}> .\n"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    thing = f"<{BASE}id/thing/x>"
    cls = f"<{BASE}def/hmic/Thing>"
    label = '"' + SCRIPT.replace('"', '\\"') + '"@en'
    nquads = "".join(
        [
            quad(thing, "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>", cls, "asserted"),
            quad(thing, f"<{RDFS}label>", label, "asserted"),
            quad(
                thing,
                "<http://purl.org/dc/terms/description>",
                '"<img src=x onerror=alert(1)> & <b>bold</b>"@en',
                "asserted",
            ),
            quad(f"<{BASE}id/thing/y>", f"<{RDFS}seeAlso>", thing, "asserted"),
            quad(
                cls,
                "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>",
                "<http://www.w3.org/2002/07/owl#Class>",
                "ontology",
            ),
            quad(cls, f"<{RDFS}label>", '"thing <i>"@en', "ontology"),
        ]
    )
    (folder / "dataset.nq").write_text(nquads, encoding="utf-8")
    settings = load_settings(ROOT / "pyproject.toml", base_iri=BASE, output_dir=folder)
    store = EmbeddedStore(folder / "dataset.nq")
    app = create_app(settings, store=store)
    app.config["TESTING"] = True
    yield app.test_client()
    store.close()


def assert_escaped(page: str) -> None:
    assert SCRIPT not in page
    assert "<img src=x" not in page
    assert "<b>bold</b>" not in page


def test_resource_page_escapes_literals(client):
    response = client.get("/doc/thing/x")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert_escaped(page)
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "thing &lt;i&gt;" in page


def test_search_and_query_results_escape_literals(client):
    found = client.get("/search?q=script").get_data(as_text=True)
    assert "&lt;script&gt;" in found
    assert_escaped(found)
    query = "SELECT ?label WHERE { ?s rdfs:label ?label }"
    table = client.get("/query?query=" + quote(query)).get_data(as_text=True)
    assert "&lt;script&gt;" in table
    assert_escaped(table)


def test_the_configured_base_maps_local_paths(client):
    redirect = client.get("/id/thing/x")
    assert redirect.status_code == 303 and redirect.headers["Location"].endswith("/doc/thing/x")
    page = client.get("/doc/thing/y").get_data(as_text=True)
    assert 'href="/doc/thing/x"' in page
    turtle = client.get("/doc/thing/x?format=turtle").get_data(as_text=True)
    assert "http://example.org/kg/id/thing/x" in turtle or "id:thing" in turtle
    other_base = client.get("/doc/force/leicestershire")
    assert other_base.status_code == 404

"""The browser over the remote backend (a real ``oxigraph serve`` and a real Virtuoso, each
holding the built dataset):
the same pages, the same answers as over the embedded store — each query a round trip."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from rdflib import RDF, Graph, URIRef

from kg.namespaces import Base
from web.app import create_app

pytestmark = pytest.mark.external


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("remote_store", id="oxigraph"),
        pytest.param("virtuoso_store", id="virtuoso", marks=pytest.mark.virtuoso),
    ],
)
def remote_client(request, settings):
    remote_store = request.getfixturevalue(request.param)
    application = create_app(settings.with_(store="remote"), store=remote_store)
    application.config["TESTING"] = True
    return application.test_client()


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/doc/force/leicestershire",
        "/doc/judgment/leicestershire-2014/reducing-crime",
        "/def/hmic",
        "/def/hmic/Judgment",
        "/report",
        "/classes",
        "/search?q=operation+tiger",
        "/charts",
        "/query?example=example-crime-rates",
    ],
)
def test_pages_answer_the_same_over_both_backends(client, remote_client, url):
    local, remote = client.get(url), remote_client.get(url)
    assert remote.status_code == local.status_code == 200, url
    # The same links on both (one page, one order): the data and its rendering agree.
    links = re.compile(r'href="(/(?:doc|def)/[^"#?]+)"')
    assert links.findall(remote.get_data(as_text=True)) == links.findall(
        local.get_data(as_text=True)
    ), url


def test_negotiation_and_why_over_the_remote_backend(remote_client, settings):
    base = Base(settings.base_iri)
    turtle = remote_client.get("/doc/force/leicestershire", headers={"Accept": "text/turtle"})
    graph = Graph().parse(data=turtle.get_data(), format="turtle")
    assert (URIRef(base.ID["force/leicestershire"]), RDF.type, base.HMIC.PoliceForce) in graph
    page = remote_client.get("/doc/force/leicestershire").get_data(as_text=True)
    why = re.search(r'href="(/why\?[^"]+)"', page).group(1).replace("&amp;", "&")
    assert "It rests on" in remote_client.get(why).get_data(as_text=True)
    bound = remote_client.get("/search?q=" + quote('") } DROP ALL #'))
    assert bound.status_code == 200

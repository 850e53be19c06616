"""The fast lane of ``/sparql`` (:mod:`web.endpoint.fastlane`) gives exactly the answer the
Flask view gives: the same status, body bytes and headers, for every form of query, format,
content coding and dataset, and for the errors it hands to the view. Each request is made
twice on the same app: through the lane, and straight to Flask behind it."""

from __future__ import annotations

import urllib.parse

import pytest
from werkzeug.test import Client

from web.endpoint.fastlane import FastLane

SELECT = "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s LIMIT 5"
CASES = [
    ({"query": SELECT}, {}),
    ({"query": SELECT}, {"Accept": "application/sparql-results+xml"}),
    ({"query": SELECT}, {"Accept": "text/csv", "Accept-Encoding": "gzip"}),
    ({"query": SELECT}, {"Accept": "text/tab-separated-values", "Accept-Encoding": "br, gzip"}),
    ({"query": SELECT, "format": "json"}, {"Accept-Encoding": "identity"}),
    ({"query": "SELECT * WHERE { ?s a hmic:Judgment ; hmic:grade ?g }"}, {}),
    ({"query": "ASK { ?s a hmic:Judgment }"}, {"Accept": "text/csv"}),
    ({"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 20"}, {"Accept": "text/turtle"}),
    ({"query": "DESCRIBE force:leicestershire"}, {"Accept": "application/ld+json"}),
    ({"query": "SELECT ?x WHERE { ?x a hmic:PoliceFroce }"}, {}),  # X-Unknown-Terms
    ({"query": "SELECT ?x ?y WHERE { ?x a hmic:Judgment }"}, {}),  # X-Unbound-Variables
    (
        {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
        {"Accept": "application/sparql-results+json", "Accept-Encoding": "gzip"},
    ),
    (
        {
            "query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
            "default-graph-uri": "https://w3id.org/hmic-kg/id/graph/asserted",
        },
        {},
    ),
    # errors the lane hands to the view, and requests it leaves to Flask
    ({"query": "SELECT * WHERE { ?s ?p ?o"}, {}),  # syntax
    ({"query": "SELECT * WHERE { ?s ?p ?o }"}, {"Accept": "image/png"}),  # 406
    ({"query": "INSERT DATA { <a:b> <a:b> <a:b> }"}, {}),  # 403
    ({"query": "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }"}, {}),
    ({"query": SELECT}, {"If-None-Match": '"nothing"'}),
    ({"query": SELECT}, {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}),  # a browser
    ({"query": SELECT, "format": "nonsense"}, {}),
    ({"query": "SELECT ?s WHERE { ?s ?p ?o }"}, {"Accept": "*/*", "Host": "example.org:8080"}),
]


def _answer(wsgi, params, headers):
    query = urllib.parse.urlencode(params)
    response = Client(wsgi).get(f"/sparql?{query}" if query else "/sparql", headers=headers)
    return response.status_code, response.get_data(), sorted(response.headers.items())


@pytest.mark.parametrize(("params", "headers"), CASES)
def test_the_lane_answers_as_the_view_does(app, params, headers):
    lane = app.wsgi_app
    assert isinstance(lane, FastLane)
    flask_answer = _answer(lane.downstream, params, headers)
    lane_answer = _answer(lane, params, headers)
    assert lane_answer == flask_answer


def test_the_lane_is_taken_for_a_plain_query(app, monkeypatch):
    """A plain GET is answered without Flask (its WSGI callable is not called), anything
    else goes through it."""
    lane = app.wsgi_app
    calls = []
    downstream = lane.downstream
    monkeypatch.setattr(lane, "downstream", lambda *a: calls.append(1) or downstream(*a))
    assert _answer(lane, {"query": SELECT}, {})[0] == 200
    assert calls == []
    assert _answer(lane, {"query": SELECT}, {"If-None-Match": '"x"'})[0] == 200
    assert _answer(lane, {"query": "SELECT * {"}, {})[0] == 400
    assert _answer(lane, {}, {"Accept": "text/turtle"})[0] == 200  # the service description
    assert len(calls) == 3

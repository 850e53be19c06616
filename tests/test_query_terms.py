"""The query editor's completion data (``/query/terms.json``): the app's whole prefix table
and the dataset's own classes, properties and concepts, each with a prefixed name that expands
back to its IRI and needs no escape."""

from __future__ import annotations

from kg.namespaces import Base
from web.pages.query_terms import compact


def test_the_document_has_every_prefix_and_the_dataset_terms(client, settings):
    base = Base(settings.base_iri)
    response = client.get("/query/terms.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    assert set(base.prefixes()) <= set(doc["prefixes"])  # the table grows: nothing hardcoded
    by_curie = {t["curie"]: t for t in doc["terms"]}
    assert by_curie["hmic:Judgment"]["kind"] == "class"
    assert by_curie["hmic:Judgment"]["label"] == "judgment"
    assert by_curie["hmic:judgedForce"]["kind"] == "property"
    assert by_curie["grade:good"]["kind"] == "concept"
    assert by_curie["skos:prefLabel"]["kind"] == "property"  # used by the data, not declared
    for term in doc["terms"]:
        prefix, _, local = term["curie"].partition(":")
        assert doc["prefixes"][prefix] + local == term["iri"]
        assert "/" not in local and "\\" not in local


def test_compact_takes_the_longest_namespace_and_refuses_escapes():
    prefixes = {"id": "https://x/id/", "force": "https://x/id/force/"}
    assert compact("https://x/id/force/kent", prefixes) == "force:kent"
    assert compact("https://x/id/report/p/1", prefixes) is None  # would need an escaped slash
    assert compact("https://elsewhere/a", prefixes) is None

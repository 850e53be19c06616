"""The embedded store's answer cache: a repeated request is answered without the engine,
answers stay correct, errors and federated queries are never cached, and it can be off."""

from __future__ import annotations

import pytest
from rdflib import URIRef

from kg.store.base import QuerySyntaxError
from kg.store.embedded import EmbeddedStore

QUERY = (
    "SELECT ?g WHERE { <https://w3id.org/hmic-kg/id/judgment/leicestershire-2014/tackling-asb>"
    " <https://w3id.org/hmic-kg/def/hmic/grade> ?g }"
)


@pytest.fixture()
def counted(settings, monkeypatch):
    def make(entries: int) -> tuple[EmbeddedStore, list[dict]]:
        store = EmbeddedStore(
            settings.dataset_dir / "dataset.nq",
            settings=settings.with_(result_cache_entries=entries),
        )
        calls: list[dict] = []
        real = store._pool.call

        def call(request, limit):
            calls.append(request)
            return real(request, limit)

        monkeypatch.setattr(store._pool, "call", call)
        stores.append(store)
        return store, calls

    stores: list[EmbeddedStore] = []
    yield make
    for store in stores:
        store.close()


def test_repeated_request_is_answered_from_the_cache(counted):
    store, calls = counted(8)
    first = store.query(QUERY)
    second = store.query(QUERY)
    assert first.rows == second.rows == [{"g": URIRef("https://w3id.org/hmic-kg/def/grade/good")}]
    assert len(calls) == 1
    assert store.query_raw(QUERY, "csv").body == store.query_raw(QUERY, "csv").body
    assert len(calls) == 2  # another format is another request


def test_bindings_are_part_of_the_request(counted):
    store, calls = counted(8)
    query = "SELECT ?j ?g WHERE { ?j <https://w3id.org/hmic-kg/def/hmic/grade> ?g }"
    asb = URIRef("https://w3id.org/hmic-kg/id/judgment/leicestershire-2014/tackling-asb")
    other = URIRef("https://w3id.org/hmic-kg/id/judgment/gwent-2014/tackling-asb")
    good = store.query(query, {"j": asb}).rows
    ri = store.query(query, {"j": other}).rows
    assert good[0]["g"].endswith("/good") and ri[0]["g"].endswith("/requires-improvement")
    assert len(calls) == 2


def test_errors_are_not_cached_as_answers(counted):
    store, _calls = counted(8)
    for _ in range(2):
        with pytest.raises(QuerySyntaxError):
            store.query("SELECT ?x WHERE {")
    assert not store._answers


def test_cache_can_be_switched_off(counted):
    store, calls = counted(0)
    store.query(QUERY)
    store.query(QUERY)
    assert len(calls) == 2

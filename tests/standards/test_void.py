"""VoID sizes: every subset (the metadata graph included) states its size, the dataset states
the number of distinct triples of its default graph (the merge of the named graphs, a triple
in two graphs counted once), and the home page shows that number."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import VOID

from kg.config import Settings

GRAPH_PREFIX = "id/graph/"


@pytest.fixture(scope="module")
def quads(settings: Settings) -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=str(settings.dataset_dir / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
    return store


@pytest.fixture(scope="module")
def metadata(settings: Settings) -> Graph:
    return Graph().parse(settings.dataset_dir / "dumps" / "metadata.ttl")


def _size(store: ox.Store, query: str) -> int:
    return int(next(iter(store.query(query)))["n"].value)


def test_every_named_graph_is_a_subset_stating_its_size(
    quads: ox.Store, metadata: Graph, settings: Settings
) -> None:
    dataset = URIRef(settings.base_iri + "id/dataset/hmic-kg")
    subsets = {str(s) for s in metadata.objects(dataset, VOID.subset)}
    graphs = {g.value for g in quads.named_graphs()}
    assert graphs <= subsets
    assert settings.base_iri + GRAPH_PREFIX + "metadata" in graphs
    for graph in graphs:
        stated = metadata.value(URIRef(graph), VOID.triples)
        assert stated is not None, f"{graph} states no void:triples"
        counted = _size(
            quads, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        )
        assert int(stated) == counted, graph


def test_the_total_is_the_distinct_triples_of_the_merge(
    quads: ox.Store, metadata: Graph, settings: Settings
) -> None:
    dataset = URIRef(settings.base_iri + "id/dataset/hmic-kg")
    distinct = _size(
        quads,
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o { GRAPH ?g { ?s ?p ?o } } }",
    )
    assert int(metadata.value(dataset, VOID.triples)) == distinct
    per_graph = sum(
        int(metadata.value(URIRef(g.value), VOID.triples)) for g in quads.named_graphs()
    )
    assert per_graph > distinct  # some triples are in two graphs: the rule matters


def test_the_home_page_shows_the_same_number(client, metadata: Graph, settings: Settings) -> None:
    dataset = URIRef(settings.base_iri + "id/dataset/hmic-kg")
    total = int(metadata.value(dataset, VOID.triples))
    page = client.get("/").get_data(as_text=True)
    shown = re.search(r"holds ([\d,]+) distinct statements", page)
    assert shown and int(shown.group(1).replace(",", "")) == total

"""The metadata graph against the official DCAT-AP 3.0.1 SHACL shapes (unchanged copies in
tests/standards/dcat-ap-3.0.1/): no violation of ``shapes.ttl`` or ``range.ttl``, and of the
recommended properties only those the data cannot give are missing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import RDFS, Graph, URIRef
from rdflib.namespace import SH

from kg.config import Settings
from kg.store.embedded import EmbeddedStore

SHAPES = Path(__file__).resolve().parent / "dcat-ap-3.0.1"
# sha256 of each copy, as the README of the shapes gives it: the files are used unchanged.
DIGESTS = {
    "shapes.ttl": "7fe9815e0f32b10f5cbce74fa6ccd0290aae3ef9e5080fb84e2d8093eb984d1d",
    "range.ttl": "24d3bfd0fa17a3d0e877c9ebb91c8174124e5038538e1bf081b2cb679ad0f1b2",
    "shapes_recommended.ttl": "9afbf23f1f56d10d6839259684934137e20506a9aedce0249b619bbc593b9abd",
    "mdr-vocabularies.shape.ttl": (
        "2362f83971766a15cc20b2b54420022dc10547dd2c483da02080847c61b4b45a"
    ),
}
# Recommended properties the data does not allow (docs/joining.md, "DCAT-AP"): no geometry
# for the places, and no ADMS publisher type that fits a volunteer project.
UNMET = {
    ("place/england-and-wales", "http://www.w3.org/ns/dcat#bbox"),
    ("place/england-and-wales", "http://www.w3.org/ns/dcat#centroid"),
    ("place/leicestershire-police-area", "http://www.w3.org/ns/dcat#bbox"),
    ("place/leicestershire-police-area", "http://www.w3.org/ns/dcat#centroid"),
    ("organisation/hmic-kg-project", "http://purl.org/dc/terms/type"),
}


@pytest.fixture(scope="module")
def metadata(settings: Settings) -> Graph:
    return Graph().parse(settings.dataset_dir / "dumps" / "metadata.ttl")


def results(data: Graph, shapes: str) -> list[tuple[str, str, str, str]]:
    """(severity, focus node, path, message) of every result of ``shapes`` on ``data``."""
    _conforms, report, _text = validate(
        data, shacl_graph=Graph().parse(SHAPES / shapes), inference="none", allow_warnings=True
    )
    rows = []
    for result in report.subjects(SH.resultSeverity, None):
        rows.append(
            (
                str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
                str(report.value(result, SH.focusNode)),
                str(report.value(result, SH.resultPath)),
                str(report.value(result, SH.resultMessage)),
            )
        )
    return sorted(rows)


@pytest.mark.parametrize("name", sorted(DIGESTS))
def test_the_shapes_are_the_official_files(name: str) -> None:
    assert hashlib.sha256((SHAPES / name).read_bytes()).hexdigest() == DIGESTS[name]


@pytest.mark.parametrize("shapes", ["shapes.ttl", "range.ttl"])
def test_no_violation(metadata: Graph, shapes: str) -> None:
    found = results(metadata, shapes)
    assert not found, "\n".join(" | ".join(row) for row in found)


def test_recommended_properties_wherever_the_data_allows(
    metadata: Graph, settings: Settings
) -> None:
    base = settings.base_iri + "id/"
    found = {
        (focus.removeprefix(base), path)
        for severity, focus, path, _msg in results(metadata, "shapes_recommended.ttl")
    }
    assert found == UNMET


def test_the_shapes_catch_what_was_wrong(metadata: Graph, settings: Settings) -> None:
    """The checks can fail: without accessURL, typed media types and an agent publisher, and
    with the report as dct:source, the shapes report each (the state before DCAT-AP)."""
    broken = Graph()
    broken += metadata
    dcat = "http://www.w3.org/ns/dcat#"
    dct = "http://purl.org/dc/terms/"
    broken.remove((None, URIRef(dcat + "accessURL"), None))
    broken.remove((None, None, URIRef(dct + "MediaType")))
    broken.remove((None, None, URIRef("http://xmlns.com/foaf/0.1/Agent")))
    dataset = URIRef(settings.base_iri + "id/dataset/hmic-kg")
    report = URIRef(settings.base_iri + "id/report/crime-inspection-2014-leicestershire")
    broken.add((dataset, URIRef(dct + "source"), report))
    paths = {
        path for _s, _f, path, _m in results(broken, "shapes.ttl") + results(broken, "range.ttl")
    }
    assert {dcat + "accessURL", dcat + "mediaType", dct + "publisher", dct + "source"} <= paths


def test_every_resource_described_is_labelled_in_english(
    metadata: Graph, store: EmbeddedStore
) -> None:
    """Every IRI the metadata graph describes has an English rdfs:label in the dataset."""
    unlabelled = []
    for subject in set(metadata.subjects()):
        if not isinstance(subject, URIRef):
            continue
        labels = list(metadata.objects(subject, RDFS.label))
        if not any(getattr(label, "language", None) == "en" for label in labels):
            labelled = store.query(
                "ASK { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l "
                "FILTER(LANGMATCHES(LANG(?l), 'en')) }",
                {"s": subject},
            )
            if not labelled.boolean:
                unlabelled.append(str(subject))
    assert not unlabelled, unlabelled

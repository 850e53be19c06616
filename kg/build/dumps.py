"""Build stage "write": serialise the dataset and each named graph as downloadable dumps.

Writes into a release folder (the caller makes it current atomically): ``dataset.nq`` (what
the embedded store loads), ``dataset.trig``, ``dataset.jsonld`` and, per named graph,
``dumps/{graph}.ttl`` and ``dumps/{graph}.nt``.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Dataset, Graph, URIRef

from kg.namespaces import Base

FACT_KINDS = {
    "judgments": "Judgment",
    "findings": "Finding",
    "observations": None,  # qb:Observation
    "initiatives": "Initiative",
    "partners": "PartnerOrganisation",
    "recommendations": "Recommendation",
    "units": "PoliceUnit",
    "multi_agency_bodies": "MultiAgencyBody",
    "communities": "Community",
    "places": "Place",
    "passages": "Passage",
}


def write_all(folder: Path, dataset: Dataset, graphs: dict[str, Graph], base: Base) -> None:
    """Write every dump of ``dataset`` into ``folder`` (created)."""
    (folder / "dumps").mkdir(parents=True)
    dataset.serialize(folder / "dataset.nq", format="nquads", encoding="utf-8")
    dataset.serialize(folder / "dataset.trig", format="trig", encoding="utf-8")
    dataset.serialize(folder / "dataset.jsonld", format="json-ld", encoding="utf-8")
    for name, graph in graphs.items():
        for prefix, ns in base.prefixes().items():
            graph.bind(prefix, ns, replace=True)
        graph.serialize(folder / "dumps" / f"{name}.ttl", format="turtle", encoding="utf-8")
        graph.serialize(folder / "dumps" / f"{name}.nt", format="nt", encoding="utf-8")


def fact_counts(dataset: Dataset, base: Base) -> dict[str, int]:
    """How many facts of each kind the dataset holds (inferred types included)."""
    counts: dict[str, int] = {}
    for name, local in FACT_KINDS.items():
        cls = (
            "http://purl.org/linked-data/cube#Observation"
            if local is None
            else str(base.HMIC[local])
        )
        rows = dataset.query(
            "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?cls } }",
            initBindings={"cls": URIRef(cls)},
        )
        counts[name] = int(next(iter(rows))[0])  # type: ignore[index]
    return counts

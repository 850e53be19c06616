"""Build stage "write": serialise the dataset and each named graph as downloadable dumps.

Writes into a release folder (the caller makes it current atomically): ``dataset.nq``,
``dataset.trig``, ``dataset.jsonld``, per named graph ``dumps/{graph}.ttl`` and
``dumps/{graph}.nt``, and ``store/``: Oxigraph's on-disk store of the release (the named graphs
plus their merge as the default graph, compacted), which every query worker of the embedded
backend opens read-only instead of parsing ``dataset.nq`` into memory of its own.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, Graph
from rdflib.namespace import QB

from kg.namespaces import Base, writing_prefixes
from kg.store.embedded import STORE_DIR, to_oxigraph

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


def _quads(graphs: dict[str, Graph], base: Base) -> list[ox.Quad]:
    return [
        ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), ox.NamedNode(str(base.GRAPH[name])))
        for name, graph in graphs.items()
        for s, p, o in graph
    ]


def write_all(folder: Path, graphs: dict[str, Graph], base: Base) -> None:
    """Write every dump of the named ``graphs`` into ``folder`` (created), with Oxigraph's
    serialisers (an order of magnitude faster than rdflib's for TriG and JSON-LD)."""
    (folder / "dumps").mkdir(parents=True)
    quads = _quads(graphs, base)
    names = {
        term.value
        for quad in quads
        for term in (quad.subject, quad.predicate, quad.object)
        if isinstance(term, ox.NamedNode)
    }
    prefixes = writing_prefixes(base.prefixes(), names)
    ox.serialize(quads, str(folder / "dataset.nq"), ox.RdfFormat.N_QUADS)
    ox.serialize(quads, str(folder / "dataset.trig"), ox.RdfFormat.TRIG, prefixes=prefixes)
    ox.serialize(quads, str(folder / "dataset.jsonld"), ox.RdfFormat.JSON_LD)
    for name in graphs:
        triples = [q.triple for q in quads if q.graph_name.value == str(base.GRAPH[name])]
        target = folder / "dumps" / name
        ox.serialize(triples, f"{target}.ttl", ox.RdfFormat.TURTLE, prefixes=prefixes)
        ox.serialize(triples, f"{target}.nt", ox.RdfFormat.N_TRIPLES)
    write_store(folder / STORE_DIR, quads)


def write_store(location: Path, quads: list[ox.Quad]) -> None:
    """Bulk-load ``quads`` and, as the default graph, their RDF merge (a set of triples: one
    stated in two graphs is one triple) into a new on-disk Oxigraph store at ``location``,
    compacted and closed, so it can be opened read-only by any number of processes."""
    merged = {quad.triple for quad in quads}
    store = ox.Store(str(location))
    store.bulk_extend([*quads, *(ox.Quad(t.subject, t.predicate, t.object) for t in merged)])
    store.optimize()
    store.flush()
    del store  # closes the database: nothing of it stays open while the release is renamed


def fact_counts(graphs: dict[str, Graph], base: Base) -> dict[str, int]:
    """How many facts of each kind the named graphs hold (inferred types included)."""
    counts: dict[str, int] = {}
    for name, local in FACT_KINDS.items():
        cls = QB.Observation if local is None else base.HMIC[local]
        members: set[object] = set()
        for graph in graphs.values():
            members.update(graph.subjects(RDF.type, cls))
        counts[name] = len(members)
    return counts

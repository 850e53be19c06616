"""Part of the build stage "provenance": short paths from a thing to where the report
mentions it, derived from the asserted data.

Reads ontology + asserted data (facts with ``hmic:statedIn``, passages and sections with
``dct:isPartOf``, the section headings and the inspection questions' labels); returns
``hmic:mentionedIn`` (any thing — ``/id/…`` — a fact is about or names → each passage
stating that fact)
and ``hmic:under`` (passage → its section → parent sections → the inspection question whose
heading they sit under), closed transitively so no reasoner is needed to follow it.
"""

from __future__ import annotations

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from kg.namespaces import Base

# Links that say where a fact comes from, not what it is about.
NOT_MENTIONS = frozenset((RDF.type, DCTERMS.source, DCTERMS.isPartOf, PROV.wasDerivedFrom))


def mentions(graph: Graph, base: Base) -> Graph:
    """``hmic:mentionedIn`` and ``hmic:under`` triples for the facts and passages of ``graph``."""
    hmic = base.HMIC
    out = Graph()
    passages = set(graph.subjects(hmic.text, None))
    structure = passages | set(graph.subjects(hmic.inReport, None)) | {base.REPORT_IRI}
    things = base.iri + "id/"  # identified things, not code-list concepts or terms
    for fact, passage in graph.subject_objects(hmic.statedIn):
        if passage not in passages:
            continue
        if isinstance(fact, URIRef) and fact not in structure:
            out.add((fact, hmic.mentionedIn, passage))
        for predicate, thing in graph.predicate_objects(fact):
            if (
                predicate in NOT_MENTIONS
                or predicate == hmic.statedIn
                or not isinstance(thing, URIRef)
                or thing in structure
                or not str(thing).startswith(things)
            ):
                continue
            out.add((thing, hmic.mentionedIn, passage))
    out += _under(graph, base, structure)
    return out


def _under(graph: Graph, base: Base, structure: set[object]) -> Graph:
    hmic = base.HMIC
    out = Graph()
    questions = {
        str(label): concept
        for concept in graph.subjects(RDF.type, hmic.InspectionQuestion)
        for label in graph.objects(concept, SKOS.prefLabel)
        if isinstance(label, Literal)
    }
    parent: dict[object, list[object]] = {}
    for node in structure:
        for up in graph.objects(node, DCTERMS.isPartOf):
            if up in structure and up != base.REPORT_IRI:
                parent.setdefault(node, []).append(up)
        for title in graph.objects(node, RDFS.label):
            if str(title) in questions:
                parent.setdefault(node, []).append(questions[str(title)])
    for node in parent:
        seen: set[object] = set()
        todo = list(parent[node])
        while todo:
            up = todo.pop()
            if up in seen:
                continue
            seen.add(up)
            out.add((node, hmic.under, up))  # type: ignore[arg-type]
            todo.extend(parent.get(up, ()))
    return out

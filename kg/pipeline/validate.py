"""Build stage "validate": the graph must be consistent (OWL 2 RL) and valid (SHACL).

Reads the ontology, the asserted and the inferred graphs, and the shapes in
``ontology/shapes.ttl``; writes nothing. Any inconsistency or shape violation raises a
:class:`BuildError` whose lines name the file, the subject and the rule that was broken.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyshacl
from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH
from rdflib.term import Node

from kg.namespaces import Base
from kg.pipeline.encode import SHAPES_FILE, parse_turtle
from kg.pipeline.errors import BuildError


def _name(node: Node, graph: Graph) -> str:
    try:
        return graph.namespace_manager.normalizeUri(node) if isinstance(node, URIRef) else str(node)
    except ValueError:
        return str(node)


def _disjoint_pairs(ontology: Graph) -> Iterable[tuple[Node, Node]]:
    yield from ontology.subject_objects(OWL.disjointWith)
    for node in ontology.subjects(RDF.type, OWL.AllDisjointClasses):
        members = list(Collection(ontology, ontology.value(node, OWL.members)))
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                yield a, b


def consistency_problems(
    ontology: Graph, data: Graph, owlrl_errors: list[str], origin: dict[URIRef, str]
) -> list[str]:
    """Readable inconsistency messages: functional properties with two values, individuals in
    two disjoint classes, and any other clash owlrl reported."""
    problems: list[str] = []
    for prop in sorted(ontology.subjects(RDF.type, OWL.FunctionalProperty)):
        for subject in sorted(set(data.subjects(prop))):
            values = sorted(set(data.objects(subject, prop)))
            if len(values) > 1:
                shown = ", ".join(_name(v, ontology) for v in values)
                problems.append(
                    f"{origin.get(subject, '?')}: {subject}: has {len(values)} values for "
                    f"{_name(prop, ontology)} (owl:FunctionalProperty, at most one): {shown}"
                )
    for a, b in _disjoint_pairs(ontology):
        for individual in sorted(set(data.subjects(RDF.type, a)) & set(data.subjects(RDF.type, b))):
            problems.append(
                f"{origin.get(individual, '?')}: {individual}: is both {_name(a, ontology)} and "
                f"{_name(b, ontology)}, which are disjoint (owl:disjointWith)"
            )
    if owlrl_errors and not problems:
        problems.extend(f"OWL-RL: {message}" for message in owlrl_errors)
    return problems


def shacl_problems(union: Graph, base: Base, origin: dict[URIRef, str]) -> list[str]:
    """SHACL violations of ``union`` against the project's shapes, one line each."""
    if not SHAPES_FILE.exists():
        return []
    shapes = parse_turtle(SHAPES_FILE, base)
    conforms, results, _ = pyshacl.validate(
        union, shacl_graph=shapes, inference="none", allow_warnings=True
    )
    if conforms:
        return []
    problems = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        if results.value(result, SH.resultSeverity) != SH.Violation:
            continue
        focus = results.value(result, SH.focusNode)
        shape = results.value(result, SH.sourceShape)
        path = results.value(result, SH.resultPath)
        message = results.value(result, SH.resultMessage) or ""
        label = shapes.value(shape, RDFS.label) or _name(shape, shapes)
        where = origin.get(focus, "?") if isinstance(focus, URIRef) else "?"
        rule = f"{label}" + (f" [{_name(path, union)}]" if isinstance(path, URIRef) else "")
        problems.append(f"{where}: {focus}: {rule}: {message}")
    return sorted(problems)


def validate(
    ontology: Graph,
    data: Graph,
    owlrl_errors: list[str],
    base: Base,
    origin: dict[URIRef, str],
) -> None:
    """Fail the build on any inconsistency, then on any SHACL violation."""
    problems = consistency_problems(ontology, data, owlrl_errors, origin)
    if problems:
        raise BuildError("the graph is inconsistent:\n  " + "\n  ".join(problems))
    union = ontology + data
    problems = shacl_problems(union, base, origin)
    if problems:
        raise BuildError(
            f"SHACL validation failed ({len(problems)} violation(s)):\n  " + "\n  ".join(problems)
        )

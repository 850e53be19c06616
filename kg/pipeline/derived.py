"""Build stage "encode", derived part: comparisons of each observation with its comparator.

Reads the asserted graph (observations with ``hmic:comparator``, their values, units and
indicators) and the ontology (each indicator's ``hmic:direction``); returns the triples the
build computes: one ``hmic:Comparison`` per pair (higher/lower/equal, the difference, and
better/worse where the indicator has a direction), each derived value marked with a
``hmic:ValueDerivation`` (PROV-O qualified derivation) saying how and from what.
"""

from __future__ import annotations

import re
from decimal import Decimal

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import PROV
from rdflib.term import Node

from kg.namespaces import SDMX_DIMENSION, SDMX_MEASURE, Base


def comparisons(base: Base, ontology: Graph, asserted: Graph) -> Graph:
    """The comparisons of every observation that names a comparator."""
    hmic = base.HMIC
    g = Graph()
    for obs, comparator in sorted(asserted.subject_objects(hmic.comparator)):
        value, other = (
            asserted.value(obs, SDMX_MEASURE.obsValue),
            asserted.value(comparator, SDMX_MEASURE.obsValue),
        )
        if not isinstance(value, Literal) or not isinstance(other, Literal):
            continue
        a, b = Decimal(str(value)), Decimal(str(other))
        difference = a - b
        result = hmic.Higher if difference > 0 else hmic.Lower if difference < 0 else hmic.Equal
        comparison = base.ID[f"comparison/{_slug(base, obs)}"]
        g.add((obs, hmic.comparison, comparison))
        g.add((comparison, RDF.type, hmic.Comparison))
        area = _label(asserted, asserted.value(comparator, SDMX_DIMENSION.refArea))
        g.add(
            (
                comparison,
                RDFS.label,
                Literal(f"Comparison of {_label(asserted, obs)} with {area}", lang="en"),
            )
        )
        g.add((comparison, hmic.comparedObservation, obs))
        g.add((comparison, hmic.comparatorObservation, comparator))
        g.add((comparison, PROV.wasDerivedFrom, obs))
        g.add((comparison, PROV.wasDerivedFrom, comparator))
        sources = (obs, comparator)
        mark_derived(
            g, base, comparison, hmic.difference, Literal(difference, datatype=XSD.decimal),
            f"derived: this value ({a}) minus the comparator's ({b})", sources,
        )  # fmt: skip
        mark_derived(
            g, base, comparison, hmic.comparisonResult, result,
            f"derived: {a} compared with {b}", sources,
        )  # fmt: skip
        indicator = asserted.value(obs, hmic.indicator)
        direction = ontology.value(indicator, hmic.direction) if indicator else None
        if direction in (hmic.HigherIsBetter, hmic.LowerIsBetter):
            assessment = _assessment(result, direction, hmic)
            why = "higher" if direction == hmic.HigherIsBetter else "lower"
            mark_derived(
                g, base, comparison, hmic.assessment, assessment,
                f"derived: the comparison read with the project's modelling that a {why} "
                "figure is better", (*sources, indicator),
            )  # fmt: skip
    return g


def _assessment(result: Node, direction: Node, hmic: Namespace) -> URIRef:
    """Better, worse or the same: the result read with the indicator's direction."""
    if result == hmic.Equal:
        return hmic.Same
    better = (result == hmic.Higher) == (direction == hmic.HigherIsBetter)
    return hmic.Better if better else hmic.Worse


def mark_derived(
    g: Graph,
    base: Base,
    subject: URIRef,
    prop: URIRef,
    value: Node,
    how: str,
    sources: tuple[Node, ...],
) -> None:
    """Add ``subject prop value`` and the value derivation that marks it."""
    hmic = base.HMIC
    record = base.ID[f"derivation/{_slug(base, subject)}-{re.split('[/#]', str(prop))[-1]}"]
    g.add((subject, prop, value))
    g.add((subject, PROV.qualifiedDerivation, record))
    g.add((record, RDF.type, hmic.ValueDerivation))
    g.add((record, RDFS.label, Literal(how, lang="en")))
    g.add((record, hmic.ofProperty, prop))
    g.add((record, hmic.ofValue, value))
    for source in sources:
        g.add((record, PROV.entity, source))


def _slug(base: Base, node: Node) -> str:
    """One path segment naming ``node`` (its path after ``/id/{type}/``, slashes as
    hyphens), so the derived resources have plain prefixed names (``comparison:…``)."""
    rest = str(node)[len(str(base.ID)) :]
    return rest.split("/", 1)[-1].replace("/", "-")


def _label(graph: Graph, node: Node | None) -> str:
    label = graph.value(node, RDFS.label) if node is not None else None
    return str(label) if label is not None else str(node)

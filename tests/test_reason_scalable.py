"""The scalable reasoner (:func:`kg.pipeline.reason.infer_scalable`) against the reference, owlrl's
full closure (:func:`kg.pipeline.reason.infer`): the same triples on the real report, and the same
answer where it must fall back to owlrl (equality reasoning)."""

from __future__ import annotations

import pytest
from rdflib import Graph

from kg.namespaces import Base
from kg.pipeline.encode import encode
from kg.pipeline.external import links_graph, peel_graph
from kg.pipeline.reason import infer, infer_scalable
from kg.pipeline.rules import Rules, SameAsReached, close

HMIC = "https://w3id.org/hmic-kg/def/hmic/"
ID = "https://w3id.org/hmic-kg/id/"


@pytest.fixture(scope="module")
def real() -> tuple[Graph, list[Graph]]:
    base = Base()
    sources = encode(base)
    return sources.ontology, [sources.asserted, links_graph(base), peel_graph(base)]


def test_same_triples_as_owlrl_on_the_real_report(real: tuple[Graph, list[Graph]]) -> None:
    ontology, data = real
    union = ontology + data[0]
    for graph in data[1:]:
        union += graph
    reference = infer(union)
    scalable = infer_scalable(ontology, data)
    assert len(reference.inferred) > 3000
    assert set(scalable.inferred) == set(reference.inferred)
    assert scalable.errors == [] == reference.errors


def test_functional_property_with_two_values_falls_back_to_owlrl(
    real: tuple[Graph, list[Graph]],
) -> None:
    ontology, _ = real
    data = Graph().parse(
        data=f"""
        <{ID}judgment/x> <{HMIC}grade> <{ID}thing/a>, <{ID}thing/b> .
        """,
        format="turtle",
    )
    # hmic:grade is functional: owlrl makes the two values owl:sameAs, which the compiled
    # rules do not do; the scalable reasoner must notice and give owlrl's answer.
    with pytest.raises(SameAsReached):
        close(Rules.compile(ontology), set(ontology) | set(data))
    assert set(infer_scalable(ontology, [data]).inferred) == set(infer(ontology + data).inferred)

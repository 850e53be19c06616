"""The SHACL shapes (``ontology/shapes.ttl``): every shape is labelled and explains itself, and
each node shape has a pair of fixtures in ``tests/fixtures/shapes/``: ``<Shape>.valid.ttl``
conforms to every shape, and ``<Shape>.invalid.ttl`` breaks every rule of that shape and no
rule of any other.

Validation runs as in the build: pyshacl with ``inference="none"`` on the ontology plus the
data plus the data's superclass types (here computed with one SPARQL query; one test checks the
same result with the real OWL 2 RL reasoner).
"""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import SH

from kg.pipeline.reason import infer

ROOT = Path(__file__).resolve().parent.parent
SHAPES_FILE = ROOT / "ontology" / "shapes.ttl"
ONTOLOGY_FILES = sorted(p for p in (ROOT / "ontology").rglob("*.ttl") if p != SHAPES_FILE)
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "shapes"
SHAPE_NS = "https://w3id.org/hmic-kg/def/shapes/"
# Constraint parameters that make a shape produce results of its own (not via sh:property).
CONSTRAINTS = {
    SH["or"],
    SH["and"],
    SH["not"],
    SH.minCount,
    SH.maxCount,
    SH.datatype,
    SH.nodeKind,
    SH.minLength,
    SH.pattern,
    SH["class"],
    SH["in"],
    SH.hasValue,
}


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES_FILE, format="turtle")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    graph = Graph()
    for path in ONTOLOGY_FILES:
        graph.parse(path, format="turtle")
    return graph


def _node_shapes(shapes: Graph) -> list[URIRef]:
    return sorted(s for s in shapes.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef))


def _rule_shapes(shapes: Graph, node_shape: URIRef) -> set[URIRef]:
    """The shapes whose violations belong to ``node_shape``: itself, if it has constraints of
    its own, and its property shapes."""
    own = {node_shape} if CONSTRAINTS & set(shapes.predicates(node_shape)) else set()
    return own | set(shapes.objects(node_shape, SH.property))


def _with_superclass_types(ontology: Graph, data: Graph) -> Graph:
    union = ontology + data
    union += union.query(
        """CONSTRUCT { ?x a ?super } WHERE {
             ?x a ?class . ?class <http://www.w3.org/2000/01/rdf-schema#subClassOf>+ ?super }"""
    ).graph
    return union


def _violations(shapes: Graph, data: Graph) -> list[tuple[URIRef, URIRef, str]]:
    """(focus node, source shape, message) of every result."""
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none")
    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        found.append(
            (
                report.value(result, SH.focusNode),
                report.value(result, SH.sourceShape),
                str(report.value(result, SH.resultMessage) or ""),
            )
        )
    return found


def _fixture(name: str) -> Graph:
    return Graph().parse(FIXTURES / name, format="turtle")


def test_every_named_shape_has_an_english_label(shapes: Graph) -> None:
    named = {
        s
        for kind in (SH.NodeShape, SH.PropertyShape)
        for s in shapes.subjects(RDF.type, kind)
        if isinstance(s, URIRef)
    }
    assert named
    for shape in named:
        assert str(shape).startswith(SHAPE_NS), shape
        label = shapes.value(shape, RDFS.label)
        assert label is not None and label.language == "en", shape


def test_every_rule_has_a_message(shapes: Graph) -> None:
    for node_shape in _node_shapes(shapes):
        assert set(shapes.objects(node_shape, SH.targetClass)) | set(
            shapes.objects(node_shape, SH.targetSubjectsOf)
        ), f"{node_shape} has no target"
        for rule in _rule_shapes(shapes, node_shape):
            assert isinstance(rule, URIRef), f"{node_shape}: name its property shapes"
            message = shapes.value(rule, SH.message)
            assert message is not None and len(str(message)) > 20, rule
            assert shapes.value(rule, RDFS.label) is not None, rule


def test_every_node_shape_has_a_fixture_pair(shapes: Graph) -> None:
    names = {str(s)[len(SHAPE_NS) :] for s in _node_shapes(shapes)}
    valid = {p.name.removesuffix(".valid.ttl") for p in FIXTURES.glob("*.valid.ttl")}
    invalid = {p.name.removesuffix(".invalid.ttl") for p in FIXTURES.glob("*.invalid.ttl")}
    assert names == valid == invalid


SHAPE_NAMES = sorted(p.name.removesuffix(".valid.ttl") for p in FIXTURES.glob("*.valid.ttl"))


@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_valid_fixture_conforms(shapes: Graph, ontology: Graph, name: str) -> None:
    data = _with_superclass_types(ontology, _fixture(f"{name}.valid.ttl"))
    assert _violations(shapes, data) == []


@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_invalid_fixture_breaks_every_rule_of_its_shape_only(
    shapes: Graph, ontology: Graph, name: str
) -> None:
    node_shape = URIRef(SHAPE_NS + name)
    rules = _rule_shapes(shapes, node_shape)
    fixture = _fixture(f"{name}.invalid.ttl")
    violations = _violations(shapes, _with_superclass_types(ontology, fixture))
    assert violations, f"{name}.invalid.ttl conforms"
    strays = [v for v in violations if v[1] not in rules]
    assert not strays, f"violations of other shapes: {strays}"
    assert {v[1] for v in violations} == rules, "some rule of the shape is not exercised"
    for focus, rule, message in violations:
        assert message == str(shapes.value(rule, SH.message)), (focus, rule)
    # Every resource in the invalid fixture is there to break a rule.
    subjects = {s for s in fixture.subjects(RDF.type) if isinstance(s, URIRef)}
    assert {v[0] for v in violations} == subjects


def test_subclass_instances_are_targeted_after_reasoning(shapes: Graph, ontology: Graph) -> None:
    """Given a police force without provenance, when the build adds the OWL 2 RL inferences,
    then the provenance shape (which targets org:Organization) reports it."""
    fixture = _fixture("ProvenanceShape.invalid.ttl")
    premises = ontology + fixture
    union = premises + infer(premises).inferred
    force = URIRef("https://w3id.org/hmic-kg/id/force/example-force")
    provenance = URIRef(SHAPE_NS + "ProvenanceShape")
    assert (force, provenance) in {(v[0], v[1]) for v in _violations(shapes, union)}

"""The "why" explainer: one test per OWL 2 RL rule the browser explains, a chain, a cycle and
an inference no covered rule produces — on small graphs written here."""

from __future__ import annotations

from rdflib import OWL, RDF, RDFS, Graph, Namespace

from web.model.explain import Facts, derive, steps

EX = Namespace("http://example.org/")


def graphs(ontology: list, asserted: list, inferred: list) -> Facts:
    made = []
    for triples in (ontology, asserted, inferred):
        g = Graph()
        for t in triples:
            g.add(t)
        made.append(g)
    return Facts(*made)


def test_subclass_gives_the_axiom_and_the_asserted_type():
    facts = graphs(
        [(EX.Force, RDFS.subClassOf, EX.Organisation)],
        [(EX.leics, RDF.type, EX.Force)],
        [(EX.leics, RDF.type, EX.Organisation)],
    )
    d = derive((EX.leics, RDF.type, EX.Organisation), facts)
    assert d is not None and d.explained
    assert d.step.rule.code == "cax-sco"
    assert d.step.axioms == ((EX.Force, RDFS.subClassOf, EX.Organisation),)
    assert [p.triple for p in d.premises] == [(EX.leics, RDF.type, EX.Force)]
    assert d.premises[0].source == "asserted"


def test_a_chain_of_subclasses_is_followed_down_to_the_asserted_statement():
    facts = graphs(
        [(EX.A, RDFS.subClassOf, EX.B), (EX.B, RDFS.subClassOf, EX.C)],
        [(EX.x, RDF.type, EX.A)],
        [(EX.x, RDF.type, EX.B), (EX.x, RDF.type, EX.C)],
    )
    d = derive((EX.x, RDF.type, EX.C), facts)
    assert d is not None and d.explained
    assert [leaf.triple for leaf in d.leaves()] == [(EX.x, RDF.type, EX.A)]
    assert d.axioms() == [(EX.B, RDFS.subClassOf, EX.C), (EX.A, RDFS.subClassOf, EX.B)]


def test_domain_and_range():
    ontology = [(EX.judgedForce, RDFS.domain, EX.Judgment), (EX.judgedForce, RDFS.range, EX.Force)]
    asserted = [(EX.j, EX.judgedForce, EX.leics)]
    inferred = [(EX.j, RDF.type, EX.Judgment), (EX.leics, RDF.type, EX.Force)]
    facts = graphs(ontology, asserted, inferred)
    by_domain = derive((EX.j, RDF.type, EX.Judgment), facts)
    by_range = derive((EX.leics, RDF.type, EX.Force), facts)
    assert by_domain.step.rule.code == "prp-dom"
    assert by_range.step.rule.code == "prp-rng"
    assert by_range.premises[0].triple == (EX.j, EX.judgedForce, EX.leics)


def test_subproperty_and_inverse_compose():
    facts = graphs(
        [(EX.unitOf, RDFS.subPropertyOf, EX.partOf), (EX.hasPart, OWL.inverseOf, EX.partOf)],
        [(EX.cid, EX.unitOf, EX.force)],
        [(EX.cid, EX.partOf, EX.force), (EX.force, EX.hasPart, EX.cid)],
    )
    d = derive((EX.force, EX.hasPart, EX.cid), facts)
    assert d.step.rule.code == "prp-inv"
    assert d.step.axioms == ((EX.hasPart, OWL.inverseOf, EX.partOf),)
    inner = d.premises[0]
    assert inner.triple == (EX.cid, EX.partOf, EX.force)
    assert inner.step.rule.code == "prp-spo1"
    assert [leaf.source for leaf in d.leaves()] == ["asserted"]


def test_inverse_declared_on_the_other_property():
    facts = graphs(
        [(EX.partOf, OWL.inverseOf, EX.hasPart)],
        [(EX.cid, EX.partOf, EX.force)],
        [(EX.force, EX.hasPart, EX.cid)],
    )
    d = derive((EX.force, EX.hasPart, EX.cid), facts)
    assert d.step.rule.code == "prp-inv"
    assert d.step.axioms == ((EX.partOf, OWL.inverseOf, EX.hasPart),)


def test_transitive_property_uses_two_statements():
    facts = graphs(
        [(EX.within, RDF.type, OWL.TransitiveProperty)],
        [(EX.hinckley, EX.within, EX.leics), (EX.leics, EX.within, EX.englandWales)],
        [(EX.hinckley, EX.within, EX.englandWales)],
    )
    d = derive((EX.hinckley, EX.within, EX.englandWales), facts)
    assert d.step.rule.code == "prp-trp"
    assert [p.triple for p in d.premises] == [
        (EX.hinckley, EX.within, EX.leics),
        (EX.leics, EX.within, EX.englandWales),
    ]


def test_equivalent_class_and_symmetric_property():
    facts = graphs(
        [(EX.A, OWL.equivalentClass, EX.B), (EX.near, RDF.type, OWL.SymmetricProperty)],
        [(EX.x, RDF.type, EX.A), (EX.p, EX.near, EX.q)],
        [(EX.x, RDF.type, EX.B), (EX.q, EX.near, EX.p)],
    )
    assert derive((EX.x, RDF.type, EX.B), facts).step.rule.code == "cax-eqc"
    assert derive((EX.q, EX.near, EX.p), facts).step.rule.code == "prp-symp"


def test_schema_subclass_chain_and_owl_thing():
    facts = graphs(
        [(EX.A, RDFS.subClassOf, EX.B), (EX.B, RDFS.subClassOf, EX.C), (EX.A, RDF.type, OWL.Class)],
        [],
        [(EX.A, RDFS.subClassOf, EX.C), (EX.A, RDFS.subClassOf, OWL.Thing)],
    )
    chain = derive((EX.A, RDFS.subClassOf, EX.C), facts)
    assert chain.step.rule.code == "scm-sco" and chain.explained
    thing = derive((EX.A, RDFS.subClassOf, OWL.Thing), facts)
    assert thing.step.rule.code == "scm-cls"


def test_asserted_statements_need_no_explanation():
    facts = graphs([], [(EX.a, EX.p, EX.b)], [])
    d = derive((EX.a, EX.p, EX.b), facts)
    assert d.source == "asserted" and d.step is None and d.explained


def test_a_statement_not_in_the_graphs_has_no_derivation():
    assert derive((EX.a, EX.p, EX.b), graphs([], [], [])) is None


def test_an_inference_no_rule_covers_is_reported_unexplained():
    facts = graphs([], [], [(EX.a, OWL.sameAs, EX.b)])
    d = derive((EX.a, OWL.sameAs, EX.b), facts)
    assert d is not None and d.step is None and not d.explained


def test_a_cycle_of_inverse_inferences_does_not_explain_itself():
    # a p b and b q a are both inferred and each is the other's inverse: no asserted ground.
    facts = graphs(
        [(EX.p, OWL.inverseOf, EX.q)],
        [],
        [(EX.a, EX.p, EX.b), (EX.b, EX.q, EX.a)],
    )
    d = derive((EX.a, EX.p, EX.b), facts)
    assert d is not None and not d.explained
    assert list(steps((EX.a, EX.p, EX.b), facts))  # the rule applies, its premise is ungrounded

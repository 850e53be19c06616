"""The OWL 2 RL entailments the project relies on, one test each, in "given … then …" form.

Each test reasons with the build's own reasoner (:func:`kg.pipeline.reason.infer`) over the
ontology's logical axioms plus a few example triples. Annotations (labels, definitions, quotes,
citations) and the SKOS structure of the code lists are left out of the premises: the ontology
restates no SKOS or DCMI axioms, so they entail nothing here and only slow owlrl down. The
consistent examples share one closure; each contradiction gets a closure of its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import OWL, RDF, Graph, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, RDFS, SKOS

from kg.namespaces import Base
from kg.pipeline.reason import Inference, infer

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_FILES = sorted(p for p in (ROOT / "ontology").rglob("*.ttl") if p.name != "shapes.ttl")
HMIC = "https://w3id.org/hmic-kg/def/hmic/"
ID = "https://w3id.org/hmic-kg/id/"
PREFIXES = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in Base().prefixes().items())
ANNOTATIONS = {RDFS.label, RDFS.comment, RDFS.seeAlso, RDFS.isDefinedBy, OWL.versionInfo}


def h(name: str) -> URIRef:
    return URIRef(HMIC + name)


def i(path: str) -> URIRef:
    return URIRef(ID + path)


def g(code: str) -> URIRef:
    return URIRef(f"https://w3id.org/hmic-kg/def/grade/{code}")


@pytest.fixture(scope="module")
def axioms() -> Graph:
    graph = Graph()
    for path in ONTOLOGY_FILES:
        graph.parse(path, format="turtle")
    for s, p, o in list(graph):
        if (
            p in ANNOTATIONS
            or p in (h("quote"), h("statedIn"))
            or str(p).startswith((str(SKOS), str(DCTERMS), "http://purl.org/vocab/vann/"))
        ):
            graph.remove((s, p, o))
    return graph


def reason(axioms: Graph, turtle: str) -> Inference:
    return infer(axioms + Graph().parse(data=PREFIXES + turtle, format="turtle"))


# One consistent world, reasoned about once.
EXAMPLES = """
place:patch hmic:withinArea place:town .
place:town hmic:withinArea place:county .
place:county hmic:withinArea place:country .

policeunit:team a hmic:NeighbourhoodTeam ; org:unitOf policeunit:lpu .
policeunit:lpu a hmic:LocalPolicingUnit ; org:unitOf force:f .
force:f a hmic:PoliceForce ; hmic:servesArea place:force-area .
body:jag a hmic:MultiAgencyBody .
organisation:council hmic:partnerOf force:f ;
    hmic:coLocatedWith policeunit:team .

<https://w3id.org/hmic-kg/id/recommendation/r> hmic:hasPart <https://w3id.org/hmic-kg/id/part/a> .
<https://w3id.org/hmic-kg/id/part/b> hmic:partOf <https://w3id.org/hmic-kg/id/recommendation/r> .

inspection:i hmic:inspectedForce force:f .
<https://w3id.org/hmic-kg/id/judgment/j> hmic:judgedForce force:f ; hmic:grade grade:good ;
    hmic:statedIn paragraph:19 .
<https://w3id.org/hmic-kg/id/finding/s> a hmic:Strength .
initiative:op a hmic:Operation .
"""


@pytest.fixture(scope="module")
def world(axioms: Graph) -> Graph:
    result = reason(axioms, EXAMPLES)
    assert result.errors == [], result.errors
    return result.inferred


# --- grades -------------------------------------------------------------------------------


def test_better_than_is_transitive(world: Graph) -> None:
    """Given only adjacent steps outstanding > good > requires improvement > inadequate,
    then every higher grade is better than every lower one."""
    order = ["outstanding", "good", "requires-improvement", "inadequate"]
    for n, higher in enumerate(order):
        for lower in order[n + 2 :]:
            assert (g(higher), h("betterThan"), g(lower)) in world, (higher, lower)


def test_worse_than_is_the_inverse_of_better_than(world: Graph) -> None:
    """Given good betterThan requires-improvement (stated) and outstanding betterThan
    inadequate (inferred), then the reverse worseThan triples hold."""
    assert (g("requires-improvement"), h("worseThan"), g("good")) in world
    assert (g("inadequate"), h("worseThan"), g("outstanding")) in world


def test_at_least_good(axioms: Graph, world: Graph) -> None:
    """Given the inferred order, then "at least good" is good or better than good."""
    rows = (axioms + world).query(
        f"""SELECT ?grade WHERE {{
              ?grade a <{HMIC}Grade> .
              FILTER(?grade = <{g("good")}> || EXISTS {{ ?grade <{HMIC}betterThan> <{g("good")}> }})
            }}"""
    )
    assert {row.grade for row in rows} == {g("outstanding"), g("good")}


def test_grade_value_is_a_grade_of_a_judgment(world: Graph) -> None:
    """Given j hmic:grade grade:good, then j is a hmic:Judgment (domain)."""
    assert (i("judgment/j"), RDF.type, h("Judgment")) in world


# --- places -------------------------------------------------------------------------------


def test_within_area_is_transitive(world: Graph) -> None:
    """Given patch within town within county within country, then patch is within country."""
    assert (i("place/patch"), h("withinArea"), i("place/county")) in world
    assert (i("place/patch"), h("withinArea"), i("place/country")) in world


def test_contains_area_is_the_inverse_of_within_area(world: Graph) -> None:
    """Given patch within town … within country, then country contains patch."""
    assert (i("place/town"), h("containsArea"), i("place/patch")) in world
    assert (i("place/country"), h("containsArea"), i("place/patch")) in world


def test_places_in_within_area_are_places(world: Graph) -> None:
    """Given patch withinArea town, then both are hmic:Place, hence dct:Location."""
    assert (i("place/patch"), RDF.type, h("Place")) in world
    assert (i("place/country"), RDF.type, DCTERMS.Location) in world


def test_served_area_is_a_police_force_area(world: Graph) -> None:
    """Given force servesArea x, then x is a hmic:PoliceForceArea and a hmic:Place."""
    assert (i("place/force-area"), RDF.type, h("PoliceForceArea")) in world
    assert (i("place/force-area"), RDF.type, h("Place")) in world


# --- organisations ------------------------------------------------------------------------


def test_unit_of_is_a_sub_organization_of(world: Graph) -> None:
    """Given team org:unitOf lpu, then team org:subOrganizationOf lpu."""
    assert (i("unit/team"), ORG.subOrganizationOf, i("unit/lpu")) in world


def test_transitive_sub_organization_of_is_transitive(world: Graph) -> None:
    """Given team unitOf lpu unitOf force, then team transitiveSubOrganizationOf force."""
    assert (i("unit/team"), ORG.transitiveSubOrganizationOf, i("force/f")) in world


def test_has_sub_organization_and_has_unit_are_inverses(world: Graph) -> None:
    """Given lpu unitOf force, then force hasUnit lpu and force hasSubOrganization lpu."""
    assert (i("force/f"), ORG.hasUnit, i("unit/lpu")) in world
    assert (i("force/f"), ORG.hasSubOrganization, i("unit/lpu")) in world


def test_partner_of_makes_a_partner_organisation(world: Graph) -> None:
    """Given council hmic:partnerOf force, then council is a hmic:PartnerOrganisation and an
    org:Organization."""
    assert (i("organisation/council"), RDF.type, h("PartnerOrganisation")) in world
    assert (i("organisation/council"), RDF.type, ORG.Organization) in world


def test_co_located_with_is_symmetric(world: Graph) -> None:
    """Given council coLocatedWith team, then team coLocatedWith council."""
    assert (i("unit/team"), h("coLocatedWith"), i("organisation/council")) in world


# --- class hierarchy ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("thing", "types"),
    [
        ("finding/s", [h("Finding"), PROV.Entity]),
        ("initiative/op", [h("Initiative"), PROV.Entity]),
        ("force/f", [ORG.FormalOrganization, ORG.Organization]),
        ("unit/team", [h("PoliceUnit"), ORG.OrganizationalUnit, ORG.Organization]),
        ("unit/lpu", [h("PoliceUnit"), ORG.OrganizationalUnit, ORG.Organization]),
        ("body/jag", [ORG.OrganizationalCollaboration, ORG.Organization]),
    ],
)
def test_subclass_instances_get_superclass_types(world: Graph, thing: str, types: list) -> None:
    """Given x typed with a subclass (Strength, Operation, PoliceForce, NeighbourhoodTeam,
    LocalPolicingUnit, MultiAgencyBody), then x has every superclass type."""
    for cls in types:
        assert (i(thing), RDF.type, cls) in world, cls


# --- sub-properties and inverses ----------------------------------------------------------


def test_stated_in_is_a_source(world: Graph) -> None:
    """Given j hmic:statedIn a passage, then j dct:source that passage."""
    passage = i("report/crime-inspection-2014-leicestershire/paragraph/19")
    assert (i("judgment/j"), DCTERMS.source, passage) in world


def test_judged_and_inspected_force_are_concerns_force(world: Graph) -> None:
    """Given judgedForce and inspectedForce, then both subjects hmic:concernsForce the force."""
    assert (i("judgment/j"), h("concernsForce"), i("force/f")) in world
    assert (i("inspection/i"), h("concernsForce"), i("force/f")) in world


def test_has_part_and_part_of_are_inverses(world: Graph) -> None:
    """Given r hasPart a and b partOf r, then a partOf r and r hasPart b; parts are typed."""
    assert (i("part/a"), h("partOf"), i("recommendation/r")) in world
    assert (i("recommendation/r"), h("hasPart"), i("part/b")) in world
    assert (i("part/a"), RDF.type, h("RecommendationPart")) in world
    assert (i("recommendation/r"), DCTERMS.hasPart, i("part/a")) in world


# --- contradictions -----------------------------------------------------------------------


def _clash(errors: list[str], *names: str) -> bool:
    return any(all(name in error for name in names) for error in errors)


def test_two_grades_on_one_judgment_is_inconsistent(axioms: Graph) -> None:
    """Given a judgment graded good and inadequate, then owlrl reports an inconsistency
    (hmic:grade is functional, the grades are different individuals)."""
    result = reason(
        axioms,
        "<https://w3id.org/hmic-kg/id/judgment/j> hmic:grade grade:good , grade:inadequate .",
    )
    assert _clash(result.errors, "/grade/good", "/grade/inadequate"), result.errors


def test_strength_and_concern_is_inconsistent(axioms: Graph) -> None:
    """Given a finding typed both Strength and Concern, then owlrl reports disjoint classes."""
    result = reason(
        axioms, "<https://w3id.org/hmic-kg/id/finding/f> a hmic:Strength , hmic:Concern ."
    )
    assert _clash(result.errors, "Disjoint", "Strength", "Concern", "finding/f"), result.errors


def test_force_typed_as_a_place_is_inconsistent(axioms: Graph) -> None:
    """Given a police force also typed as its force area, then owlrl reports that PoliceForce
    and Place are disjoint."""
    result = reason(axioms, "force:f a hmic:PoliceForce , hmic:PoliceForceArea .")
    assert _clash(result.errors, "Disjoint", "PoliceForce", "Place", "force/f"), result.errors


def test_judgment_that_is_a_recommendation_is_inconsistent(axioms: Graph) -> None:
    """Given a resource typed Judgment and Recommendation, then owlrl reports disjointness."""
    result = reason(
        axioms, "<https://w3id.org/hmic-kg/id/thing/x> a hmic:Judgment , hmic:Recommendation ."
    )
    assert _clash(result.errors, "Disjoint", "Judgment", "Recommendation"), result.errors


def test_planned_and_existing_is_inconsistent(axioms: Graph) -> None:
    """Given a unit with status Planned and Existing, then owlrl reports an inconsistency
    (hmic:status is functional, the statuses are different)."""
    result = reason(axioms, "policeunit:u hmic:status hmic:Planned , hmic:Existing .")
    assert _clash(result.errors, "Planned", "Existing"), result.errors

"""The ontology and its code lists: every file parses, every term is documented, every code
list matches the modelling guide, and every hmic: term the project uses is declared.

The "undeclared terms" test reads the data files other engineers write (``data/**/*.ttl``) and
the graph generated from the report; when it fails, its message lists the missing terms.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from kg.report import parse_report, report_graph

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
ONTOLOGY_FILES = sorted(p for p in ONTOLOGY_DIR.rglob("*.ttl") if p.name != "shapes.ttl")
ALL_OWN_FILES = sorted(ONTOLOGY_DIR.rglob("*.ttl"))
DATA_FILES = sorted((ROOT / "data").rglob("*.ttl"))
GUIDE = ROOT / "docs" / "modelling.md"

ONTOLOGY_IRI = URIRef("https://w3id.org/hmic-kg/def/hmic")
HMIC = "https://w3id.org/hmic-kg/def/hmic/"
DEF = "https://w3id.org/hmic-kg/def/"
SCHEMES = ("grade", "question", "topic", "offence", "indicator", "unit", "method", "status")
PREFIXES = f"""
PREFIX rdf: <{RDF}> PREFIX rdfs: <{RDFS}> PREFIX owl: <{OWL}> PREFIX skos: <{SKOS}>
PREFIX dct: <{DCTERMS}>
"""


@pytest.fixture(scope="module")
def ontology() -> Graph:
    graph = Graph()
    for path in ONTOLOGY_FILES:
        graph.parse(path, format="turtle")
    return graph


@pytest.mark.parametrize("path", ALL_OWN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_file_parses(path: Path) -> None:
    graph = Graph().parse(path, format="turtle")
    assert len(graph) > 0


def test_every_code_list_has_a_file() -> None:
    assert sorted(p.stem for p in (ONTOLOGY_DIR / "concepts").glob("*.ttl")) == sorted(SCHEMES)


def test_ontology_header(ontology: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.license, OWL.versionInfo):
        assert ontology.value(ONTOLOGY_IRI, prop) is not None, prop
    assert ontology.value(ONTOLOGY_IRI, DCTERMS.creator) == Literal("hmic-kg developers")


TERM_CHECKS = {
    "rdfs:label": '?term rdfs:label ?v FILTER(LANG(?v) = "en")',
    "skos:definition": '?term skos:definition ?v FILTER(LANG(?v) = "en")',
    "rdfs:isDefinedBy": "?term rdfs:isDefinedBy <https://w3id.org/hmic-kg/def/hmic>",
}
INDIVIDUAL_CHECKS = {
    "rdfs:label or skos:prefLabel": '?term rdfs:label|skos:prefLabel ?v FILTER(LANG(?v) = "en")',
    "skos:definition": '?term skos:definition ?v FILTER(LANG(?v) = "en")',
}
CONCEPT_CHECKS = {
    "skos:prefLabel": '?term skos:prefLabel ?v FILTER(LANG(?v) = "en")',
    "skos:definition": '?term skos:definition ?v FILTER(LANG(?v) = "en")',
    "skos:inScheme": "?term skos:inScheme ?s . ?s a skos:ConceptScheme",
}
OWN_CONCEPT_CHECKS = {
    "skos:notation": "?term skos:notation ?v",
    "skos:topConceptOf or skos:broader": "?term skos:topConceptOf|skos:broader ?x",
}
IN_HMIC = f'FILTER(STRSTARTS(STR(?term), "{HMIC}"))'
TERM_KINDS = "owl:Class owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty rdf:Property"
ANY_CONCEPT = "?term a ?c . ?c rdfs:subClassOf* skos:Concept ."


def _lacking(graph: Graph, selection: str, checks: dict[str, str]) -> list[str]:
    """One line per (term, missing property): terms matching ``selection`` without a match."""
    problems = []
    for name, pattern in checks.items():
        query = f"{PREFIXES} SELECT DISTINCT ?term WHERE {{ {selection} "
        query += f"FILTER NOT EXISTS {{ {pattern} }} }}"
        problems += [f"{row.term} lacks {name}" for row in graph.query(query)]
    return sorted(problems)


def test_every_class_and_property_is_labelled_defined_and_attached(ontology: Graph) -> None:
    selection = f"VALUES ?kind {{ {TERM_KINDS} }} ?term a ?kind . {IN_HMIC}"
    problems = _lacking(ontology, selection, TERM_CHECKS)
    assert not problems, "\n".join(problems)


def test_every_other_hmic_term_is_labelled_and_defined(ontology: Graph) -> None:
    selection = (
        f"?term a ?any . {IN_HMIC} "
        f"FILTER NOT EXISTS {{ VALUES ?kind {{ {TERM_KINDS} }} ?term a ?kind }}"
    )
    problems = _lacking(ontology, selection, INDIVIDUAL_CHECKS)
    assert not problems, "\n".join(problems)


def test_every_concept_is_complete(ontology: Graph) -> None:
    problems = _lacking(ontology, ANY_CONCEPT, CONCEPT_CHECKS)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_code_list_concept_has_notation_and_place(ontology: Graph, scheme: str) -> None:
    selection = f"{ANY_CONCEPT} ?term skos:inScheme <{DEF}{scheme}/scheme> ."
    problems = _lacking(ontology, selection, OWN_CONCEPT_CHECKS)
    assert not problems, "\n".join(problems)


def _guide_code_lists() -> dict[str, set[str]]:
    """The code lists as the modelling guide lists them (section "Code lists")."""
    text = GUIDE.read_text(encoding="utf-8").split("## Code lists", 1)[1]
    lists: dict[str, set[str]] = {}
    for match in re.finditer(r"^- `(\w+):` (.+?)(?=^- |\Z)", text, flags=re.M | re.S):
        body = re.sub(r"\([^)]*\)", "", match.group(2).replace("\n", " "))
        codes = {c.strip().rstrip(".").strip() for c in body.split(",")}
        lists[match.group(1)] = {c for c in codes if c}
    return lists


def _scheme_codes(ontology: Graph, scheme: str) -> dict[str, URIRef]:
    scheme_iri = URIRef(f"{DEF}{scheme}/scheme")
    return {
        str(ontology.value(c, SKOS.notation)): c
        for c in ontology.subjects(SKOS.inScheme, scheme_iri)
    }


@pytest.mark.parametrize("scheme", [s for s in SCHEMES if s != "status"])
def test_code_list_matches_the_guide(ontology: Graph, scheme: str) -> None:
    expected = _guide_code_lists()[scheme]
    codes = _scheme_codes(ontology, scheme)
    assert set(codes) == expected
    for code, concept in codes.items():
        assert concept == URIRef(f"{DEF}{scheme}/{code}")


def test_status_values_keep_the_guide_names(ontology: Graph) -> None:
    codes = _scheme_codes(ontology, "status")
    assert codes == {"planned": URIRef(HMIC + "Planned"), "existing": URIRef(HMIC + "Existing")}


def test_typed_code_lists(ontology: Graph) -> None:
    hmic = {name: URIRef(HMIC + name) for name in ("Grade", "InspectionQuestion", "Indicator")}
    for scheme, cls in (("grade", "Grade"), ("question", "InspectionQuestion")):
        for concept in _scheme_codes(ontology, scheme).values():
            assert (concept, RDF.type, hmic[cls]) in ontology, concept
    for concept in _scheme_codes(ontology, "indicator").values():
        assert (concept, RDF.type, hmic["Indicator"]) in ontology, concept
        definition = str(ontology.value(concept, SKOS.definition))
        assert re.search(r"\(unit: [a-z0-9-]+\)", definition), f"{concept}: no unit named"


def test_grade_ranks_and_adjacent_order(ontology: Graph) -> None:
    grade = {code: URIRef(f"{DEF}grade/{code}") for code in _scheme_codes(ontology, "grade")}
    better = URIRef(HMIC + "betterThan")
    rank = URIRef(HMIC + "rank")
    order = ["outstanding", "good", "requires-improvement", "inadequate"]
    assert [ontology.value(grade[g], rank).toPython() for g in order] == [4, 3, 2, 1]
    stated = set(ontology.subject_objects(better))
    assert stated == {(grade[a], grade[b]) for a, b in pairwise(order)}


def test_questions_are_narrower_than_cutting_crime(ontology: Graph) -> None:
    top = URIRef(f"{DEF}question/cutting-crime")
    narrower = set(ontology.subjects(SKOS.broader, top))
    assert {str(q).rsplit("/", 1)[1] for q in narrower} == {
        "reducing-crime",
        "investigating-offending",
        "tackling-asb",
    }


def test_ontology_stays_in_owl2_rl(ontology: Graph) -> None:
    for forbidden in (OWL.unionOf, OWL.someValuesFrom, OWL.minCardinality, OWL.cardinality):
        assert not list(ontology.subject_objects(forbidden)), forbidden
    for card in (OWL.maxCardinality, OWL.maxQualifiedCardinality):
        assert all(int(v) <= 1 for v in ontology.objects(None, card))


def test_ontology_quotes_are_verbatim(ontology: Graph) -> None:
    base = "https://w3id.org/hmic-kg/id/report/crime-inspection-2014-leicestershire/"
    text = {URIRef(base + p.local_id): p.text for p in parse_report().passages}
    stated_in = URIRef(HMIC + "statedIn")
    quote = URIRef(HMIC + "quote")
    for subject in set(ontology.subjects(quote)):
        passages = [text[p] for p in ontology.objects(subject, stated_in)]
        for q in ontology.objects(subject, quote):
            assert any(str(q) in t for t in passages), f"{subject}: {q!r} not in its passages"


def _hmic_terms(graph: Graph) -> set[str]:
    terms = set()
    for triple in graph:
        for node in triple:
            if isinstance(node, URIRef) and str(node).startswith(HMIC):
                terms.add(str(node))
    return terms


def _hmic_terms_by_regex(path: Path) -> set[str]:
    """Fallback for a file that does not parse (someone may be editing it)."""
    text = path.read_text(encoding="utf-8")
    found = {HMIC + m for m in re.findall(r"(?<![\w/])hmic:([A-Za-z][\w-]*)", text)}
    found |= set(re.findall(re.escape(HMIC) + r"[A-Za-z][\w-]*", text))
    return found


def test_every_hmic_term_used_is_declared(ontology: Graph) -> None:
    declared = {str(s) for s in ontology.subjects(RDF.type) if str(s).startswith(HMIC)}
    used: dict[str, set[str]] = {}
    for path in ALL_OWN_FILES + DATA_FILES:
        try:
            terms = _hmic_terms(Graph().parse(path, format="turtle"))
        except Exception:  # a half-written data file must not hide the others
            terms = _hmic_terms_by_regex(path)
        for term in terms:
            used.setdefault(term, set()).add(str(path.relative_to(ROOT)))
    for term in _hmic_terms(report_graph(parse_report())):
        used.setdefault(term, set()).add("kg/report.py (generated report structure)")
    missing = sorted(set(used) - declared)
    assert not missing, "hmic: terms used but not declared in ontology/:\n" + "\n".join(
        f"  hmic:{t[len(HMIC) :]}  (in {', '.join(sorted(used[t]))})" for t in missing
    )


@pytest.mark.parametrize(
    "condition",
    [
        "?grade hmic:betterThan* grade:good",
        "?grade hmic:rank ?r . FILTER(?r >= 3)",
    ],
)
def test_at_least_good_without_inference(ontology: Graph, condition: str) -> None:
    """The two ways docs/ontology.md gives to ask "at least good" on the asserted graph."""
    rows = ontology.query(
        f"PREFIX hmic: <{HMIC}> PREFIX grade: <{DEF}grade/> "
        f"SELECT DISTINCT ?grade WHERE {{ ?grade a hmic:Grade . {condition} }}"
    )
    assert {str(row.grade) for row in rows} == {f"{DEF}grade/outstanding", f"{DEF}grade/good"}
